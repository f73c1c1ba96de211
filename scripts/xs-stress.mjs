#!/usr/bin/env node
// The XS suites on a stress build of the test host (hosts/xs/out/stress/idpgate-xs, `make STRESS=1`): XS
// collects at every allocation (mxStress) and every collection moves every chunk to a new malloc block and
// frees the old one (mxNoChunks), under AddressSanitizer. So a native binding that keeps a pointer into a
// chunk (an ArrayBuffer's bytes, a string) across a call that can allocate (xsID of a new name, xsmcGet,
// xsNew*, conversions) is reported at once as a heap-use-after-free, deterministically, instead of reading
// moved bytes or corrupting the heap at some later collection. Not part of `npm test` (building the engine
// a second time with ASan costs more than the whole budget of a cheap check).
//
//   node scripts/xs-stress.mjs            the suites that call native code (bindings, host modules), stress
//                                         from the start (IDPGATE_XS_STRESS=all): about 2 minutes
//   node scripts/xs-stress.mjs --all      every XS suite, stress once the runner arms the limits (the tests,
//                                         not the loading): several minutes (suites over 5 minutes time out)
//   node scripts/xs-stress.mjs FILTER...  the XS suites whose build path contains a filter
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { root, say, run, capture, listFiles } from "./lib.mjs";

const HOST = join(root, "hosts", "xs", "out", "stress", "idpgate-xs");
const RUNNER = join(root, "build", "hosts", "xs", "js", "runner.js");
/** Suites that go through native code: C bindings (DTLS, digest, the test counter), the host's UDP and timers. */
const NATIVE = [
  "test/xs/native.xs.test.js",
  "test/verifier/native-digest.xs.test.js",
  "test/verifier/native-probe.xs.test.js",
  "test/verifier/cache-hit-memory.xs.test.js",
  "test/dtls/handshake.xs.test.js",
  "test/link/dtls-client-driver.test.js",
  "test/link/dtls-server-driver.test.js",
  "test/link/deadline-timer.test.js",
  "test/coap/server-driver.test.js",
  "test/errors-frozen.xs.test.js",
];

const args = process.argv.slice(2);
const all = args.includes("--all");
const filters = args.filter((a) => !a.startsWith("--"));
if (!existsSync(RUNNER)) {
  say("compile first: node scripts/build.mjs");
  process.exit(2);
}
say("building the stress host (make -C hosts/xs -j2 STRESS=1)");
run("make", ["-s", "-C", "hosts/xs", "-j2", "STRESS=1"]);

const suites = listFiles(join(root, "build", "test"), (p) => p.endsWith(".test.js") && !p.endsWith(".node.test.js"))
  .map((p) => relative(join(root, "build"), p))
  .filter((p) => (filters.length > 0 ? filters.some((f) => p.includes(f)) : all || NATIVE.includes(p)))
  .sort();
const mode = all ? "armed" : "all";
say(`${suites.length} XS suites, IDPGATE_XS_STRESS=${mode}`);
let failed = 0;
for (const suite of suites) {
  const started = Date.now();
  const result = await capture(HOST, ["--stack", "1024", RUNNER, join("build", suite)], {
    env: { ...process.env, IDPGATE_XS_STRESS: mode, ASAN_OPTIONS: "detect_leaks=0:abort_on_error=0" },
    timeoutMs: 300_000,
  });
  const match = /^xs-summary: (\{.*\})$/m.exec(result.stdout);
  const counts = match ? JSON.parse(match[1]) : undefined;
  const ok = result.code === 0 && counts !== undefined && counts.failed === 0;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `stress ${ok ? "ok    " : "FAILED"} ${suite} (${seconds} s): ${counts ? `${counts.passed} passed, ${counts.failed} failed` : `exit ${result.code}${result.signal ? ` ${result.signal}` : ""}`}\n`,
  );
  if (!ok) {
    failed++;
    for (const l of result.stdout.split("\n").filter((l) => l.startsWith("not ok"))) process.stdout.write(`    ${l}\n`);
    process.stdout.write(result.stderr.replace(/^/gm, "    ") + "\n");
  }
}
say(failed === 0 ? `stress: all ${suites.length} suites passed` : `stress: ${failed} of ${suites.length} suites failed`);
process.exit(failed === 0 ? 0 : 1);
