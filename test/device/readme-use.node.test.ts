// README "Use" runs as printed (Node only): its two code blocks are extracted from README.md, compiled as
// they stand (TypeScript's transpileModule, no edits), and run against the local identity provider over real
// DTLS and UDP: the device block on the XS test host with ESP32-like limits (`idpgate` and `mc/config`
// resolved as on a device), the Node block under Node (`idpgate` through package.json's export map). Each
// decides a valid, an unknown, an expired and a wrong-scope token. The blocks are also the files
// examples/use/moddable/main.ts and examples/use/node/main.ts, which the build type-checks against Moddable's
// and Node's typings; this suite fails when README and those files differ.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { IdpServer } from "../../hosts/node/idp/server.js";
import { Provider } from "../../hosts/node/idp/provider.js";
import { TokenStore } from "../../hosts/node/idp/token-store.js";
import { listenDtls } from "../../hosts/node/server-transport.js";
import { REPO_ROOT, XS_HOST, XS_LAUNCH } from "../../hosts/node/demo/stack.js";

/** README's `idpgate idp serve --port 5684 --psk-id dev --psk hex:00112233`, which the Node block talks to. */
const README_PORT = 5684;
const README_PSK = { identity: "dev", key: "hex:00112233" };
const EXPECTED = { valid: true, unknown: false, expired: false, wrongScope: false };

interface Blocks {
  readonly device: string;
  readonly node: string;
}

function useBlocks(): Blocks {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const start = readme.indexOf("\n## Use\n");
  assert.ok(start >= 0, 'README.md has a "## Use" section');
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const device = blocks.filter((b) => b.includes('from "mc/config"'));
  const node = blocks.filter((b) => !b.includes('from "mc/config"'));
  assert.equal(device.length, 1, 'README "Use" has one device block (the one that imports mc/config)');
  assert.equal(node.length, 1, 'README "Use" has one Node block');
  return { device: device[0]!, node: node[0]! };
}

function transpile(source: string): string {
  return ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
}

interface Provider5684 {
  readonly url: string;
  readonly tokens: Record<keyof typeof EXPECTED, string>;
  close(): Promise<void>;
}

async function startProvider(port: number): Promise<Provider5684> {
  const store = new TokenStore();
  const tokens = {
    valid: store.issue({ sub: "readme.device", scope: "tenant.demo relay.write", lifetimeSeconds: 3600 }),
    unknown: `never-issued-${"r".repeat(87)}`,
    expired: store.issue({ sub: "readme.device", scope: "tenant.demo relay.write", lifetimeSeconds: -60 }),
    wrongScope: store.issue({ sub: "readme.device", scope: "tenant.demo telemetry.read", lifetimeSeconds: 3600 }),
  };
  const transport = await listenDtls(port, "127.0.0.1", { psk: README_PSK }, () => {});
  const server = new IdpServer(transport, new Provider({ store, log: () => {} }));
  return { url: `coaps://127.0.0.1:${server.port}/idp/introspect`, tokens, close: () => server.close() };
}

function run(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function results(out: { code: number | null; stdout: string; stderr: string }, tokens: Record<string, string>): unknown {
  for (const token of Object.values(tokens)) {
    assert.ok(!out.stdout.includes(token) && !out.stderr.includes(token), "no token in the output");
  }
  const line = /^README-USE (\{.*\})$/m.exec(out.stdout);
  assert.ok(
    line !== null,
    `the block ran to the end (exit ${out.code}); stdout: ${out.stdout.slice(-400)} stderr: ${out.stderr.slice(-400)}`,
  );
  return JSON.parse(line[1]!);
}

test("README Use: the blocks are examples/use/moddable/main.ts and examples/use/node/main.ts, word for word", () => {
  const blocks = useBlocks();
  assert.equal(blocks.device, readFileSync(join(REPO_ROOT, "examples", "use", "moddable", "main.ts"), "utf8"));
  assert.equal(blocks.node, readFileSync(join(REPO_ROOT, "examples", "use", "node", "main.ts"), "utf8"));
});

test("README Use, device block: on the XS test host with ESP32-like limits, against the local provider", { timeout: 120_000 }, async () => {
  const provider = await startProvider(0);
  const dir = mkdtempSync(join(tmpdir(), "idpgate-readme-"));
  try {
    writeFileSync(join(dir, "use.js"), transpile(useBlocks().device));
    // The app around the block: calls its `allowed` as a command handler would, then reports and exits.
    writeFileSync(
      join(dir, "main.js"),
      `import config from "mc/config";
import { allowed } from "./use.js";
import { exit, print } from ${JSON.stringify(join(REPO_ROOT, "build", "hosts", "xs", "js", "host.js"))};
async function run() {
  const out = {};
  for (const name of ${JSON.stringify(Object.keys(EXPECTED))}) out[name] = await allowed(config.tokens[name]);
  print("README-USE " + JSON.stringify(out));
  exit(0);
}
export default function main() {
  run().catch((e) => { print("README-USE failed: " + (e && e.code) + " " + (e && e.message)); exit(1); });
}
`,
    );
    const config = { idpUrl: provider.url, pskId: README_PSK.identity, psk: README_PSK.key, tokens: provider.tokens };
    writeFileSync(join(dir, "config.json"), JSON.stringify(config), { mode: 0o600 });
    const out = await run(XS_HOST, ["--module", `mc/config=${join(dir, "config.json")}`, XS_LAUNCH, join(dir, "main.js")], 90_000);
    assert.deepEqual(results(out, provider.tokens), EXPECTED);
    assert.equal(out.code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await provider.close();
  }
});

test(
  "README Use, Node block: under Node against a provider on 127.0.0.1:5684 (README's idp serve line)",
  { timeout: 120_000 },
  async () => {
    let provider: Provider5684;
    try {
      provider = await startProvider(README_PORT);
    } catch (e) {
      throw new Error(
        `README's Node block talks to 127.0.0.1:${README_PORT}, which is taken (${(e as Error).message}): free it to run this test`,
      );
    }
    // Inside the package, so that `import ... from "idpgate"` resolves as it does for a user (self-reference).
    const dir = join(REPO_ROOT, "build", "test", "device", "readme-use");
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(join(dir, "use.js"), transpile(useBlocks().node));
      writeFileSync(
        join(dir, "main.js"),
        `import { allowed } from "./use.js";
const tokens = JSON.parse(process.env.README_TOKENS);
const out = {};
for (const name of ${JSON.stringify(Object.keys(EXPECTED))}) out[name] = await allowed(tokens[name]);
console.log("README-USE " + JSON.stringify(out));
process.exit(0);
`,
      );
      const out = await run(process.execPath, [join(dir, "main.js")], 60_000, {
        ...process.env,
        README_TOKENS: JSON.stringify(provider.tokens),
      });
      assert.deepEqual(results(out, provider.tokens), EXPECTED);
      assert.equal(out.code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await provider.close();
    }
  },
);
