/**
 * Builds the C test driver (modules/dtls/test, `make -C modules/dtls/test`) and runs it under valgrind
 * memcheck: full PSK client/server handshake, exchange, close_notify, resumption, failures, the server
 * object, loss. Fails on any memcheck error or leak.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { requireTool } from "../support/node/dtls-peers.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");

test("modules/dtls selftest is valgrind-memcheck clean (no errors, no leaks)", () => {
  requireTool("valgrind");
  requireTool("make");
  execFileSync("make", ["-C", resolve(ROOT, "modules/dtls/test"), resolve(ROOT, "build/dtls-test/dtls_selftest")], { stdio: "pipe" });
  const r = spawnSync(
    "valgrind",
    [
      "--leak-check=full",
      "--show-leak-kinds=all",
      "--errors-for-leak-kinds=all",
      "--error-exitcode=99",
      resolve(ROOT, "build/dtls-test/dtls_selftest"),
    ],
    { encoding: "utf8", timeout: 120_000 },
  );
  const out = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, out);
  assert.match(r.stdout, /selftest ok/);
  assert.match(r.stderr, /ERROR SUMMARY: 0 errors/);
  assert.match(r.stderr, /All heap blocks were freed -- no leaks are possible/);
});
