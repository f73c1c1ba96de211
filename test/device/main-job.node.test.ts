// README's first command, `npm start`, runs as printed on both hosts (Node only): the demo (the local
// identity provider and examples/gate verifying a valid, an expired, a wrong-scope and an unknown token, then
// the valid one again from the device's cache) must exit 0 and say that every decision was the expected one.
// The demo's own checks decide; this suite only refuses a run that did not end in them. It runs the built
// demo (scripts/start.mjs after its set-up and build steps, which npm test has already done).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "../../hosts/node/demo/stack.js";

const DEMO = join(REPO_ROOT, "build", "hosts", "node", "demo", "main.js");
const RUN_TIMEOUT_MS = 120_000;

function runDemo(args: readonly string[]): Promise<{ code: number | null; signal: string | null; text: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.stderr.on("data", (d: Buffer) => (text += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, text });
    });
  });
}

for (const host of ["xs", "node"] as const) {
  test(`npm start --host ${host}: every decision of the demo is the expected one`, { timeout: RUN_TIMEOUT_MS + 10_000 }, async () => {
    const { code, signal, text } = await runDemo(["--host", host]);
    assert.equal(signal, null, `the demo was killed (${signal}):\n${text}`);
    assert.equal(code, 0, `the demo exited ${code}:\n${text}`);
    assert.match(text, /all decisions as expected/);
    assert.doesNotMatch(text, /UNEXPECTED/);
  });
}
