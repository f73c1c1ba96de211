/**
 * Builds modules/digest's C self-test (known answers, error paths, and token_digest_find, the cache-table
 * probe behind NativeTokenDigest.digestFind, on 2- and 4-byte index tables and corrupt ones) and runs it
 * under valgrind memcheck (`make -C modules/digest/test check`). Fails on a failed check, a memcheck error
 * or a leak.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { requireTool } from "../support/node/dtls-peers.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");

test("modules/digest selftest passes under valgrind memcheck (token_digest_find included)", () => {
  requireTool("valgrind");
  requireTool("make");
  const r = spawnSync("make", ["-s", "-C", resolve(ROOT, "modules/digest/test"), "check"], { encoding: "utf8", timeout: 180_000 });
  const out = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, out);
  assert.match(r.stdout, /^passed: 0 failure\(s\)$/m);
  assert.match(r.stdout, /^ok - find row 2 \(4-byte slots\)$/m);
  assert.doesNotMatch(r.stdout, /^not ok/m);
});
