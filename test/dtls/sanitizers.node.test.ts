/**
 * Builds modules/dtls's selftest with AddressSanitizer and UndefinedBehaviorSanitizer (`make -C modules/dtls/test
 * sanitize`) and runs it with a million hostile datagrams (random bytes and mutations of real records) thrown at a
 * server and a connected client, besides the usual handshakes, failures, Connection ID and eviction cases. Any
 * out-of-bounds access, use after free, leak or undefined behaviour in the core aborts it; afterwards both sessions
 * must still carry data (the selftest checks).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { requireTool } from "../support/node/dtls-peers.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
const HOSTILE = 1_000_000;

test(`modules/dtls selftest under ASan and UBSan: ${HOSTILE} hostile datagrams leave both ends working`, () => {
  requireTool("make");
  execFileSync("make", ["-C", resolve(ROOT, "modules/dtls/test"), "sanitize"], { stdio: "pipe" });
  const r = spawnSync(resolve(ROOT, "build/dtls-test/dtls_selftest_asan"), {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, DTLS_FUZZ_N: String(HOSTILE), ASAN_OPTIONS: "detect_leaks=1:abort_on_error=1" },
  });
  const out = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, out);
  assert.match(r.stdout, new RegExp(`hostile datagrams: ${HOSTILE} into a server and a connected client, both still work: ok`));
  assert.match(r.stdout, /selftest ok/);
  assert.doesNotMatch(r.stderr, /runtime error|AddressSanitizer|LeakSanitizer/);
});
