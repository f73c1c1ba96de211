// The XS test runner and host, run as a process (Node only). Needs hosts/xs/out/idpgate-xs and build/:
// the test script builds both first (`make -C hosts/xs -j2`, `tsc -p tsconfig.node.json`).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { assert, test } from "../harness/index.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const HOST = `${ROOT}hosts/xs/out/idpgate-xs`;
const RUNNER = "build/hosts/xs/js/runner.js";
const FIXTURES = "build/test/xs/fixtures";

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[]): Run {
  for (const needed of [HOST, `${ROOT}${RUNNER}`]) {
    if (!existsSync(needed))
      throw new Error(`missing ${needed}: build with \`make -C hosts/xs -j2\` and \`npx tsc -p tsconfig.node.json\``);
  }
  const result = spawnSync(HOST, args, { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function runFixture(name: string, options: readonly string[] = []): Run {
  return run([...options, RUNNER, `${FIXTURES}/${name}.fixture.js`]);
}

function summary(output: string): { passed: number; failed: number } | undefined {
  const lines = output.split("\n").filter((line) => line.startsWith("xs-summary: "));
  assert.ok(lines.length <= 1, "at most one summary line");
  const line = lines[0];
  return line === undefined ? undefined : (JSON.parse(line.slice("xs-summary: ".length)) as { passed: number; failed: number });
}

function explain(result: Run): string {
  return `exit ${String(result.status)}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

test("XS runner: a passing suite exits 0 and counts every test", () => {
  const result = runFixture("pass");
  assert.equal(result.status, 0, explain(result));
  assert.deepEqual(summary(result.stdout), { passed: 3, failed: 0 });
  assert.ok(result.stdout.includes("ok - test/xs/fixtures/pass.fixture > a timer fires through the event loop\n"), explain(result));
});

test("XS runner: a failing assertion is reported and exits 1", () => {
  const result = runFixture("fail");
  assert.equal(result.status, 1, explain(result));
  assert.deepEqual(summary(result.stdout), { passed: 1, failed: 1 });
  assert.ok(
    result.stdout.includes(
      "not ok - test/xs/fixtures/fail.fixture > fails an assertion: AssertionError[test.assertion]: arithmetic is broken",
    ),
    explain(result),
  );
});

test("XS runner: a suite that throws at module load fails and exits non-zero", () => {
  const result = runFixture("throw-at-load");
  assert.equal(result.status, 1, explain(result));
  assert.deepEqual(summary(result.stdout), { passed: 0, failed: 1 });
  assert.ok(result.stdout.includes("> (import): Error: thrown at module load"), explain(result));
});

test("XS runner: a suite whose top-level await rejects fails and exits non-zero", () => {
  const result = runFixture("reject-at-load");
  assert.equal(result.status, 1, explain(result));
  assert.deepEqual(summary(result.stdout), { passed: 0, failed: 1 });
  assert.ok(result.stdout.includes("> (import): RangeError: rejected top-level await"), explain(result));
});

test("XS runner: running out of memory under the default limits exits 3 with 'xs: memory full'", () => {
  const result = runFixture("out-of-memory");
  assert.equal(result.status, 3, explain(result));
  assert.ok(result.stderr.includes("xs: memory full"), explain(result));
  assert.equal(summary(result.stdout), undefined);
});

test("XS runner: the same suite passes with larger limits, so the limits caused the failure", () => {
  const result = runFixture("out-of-memory", ["--slot-heap", "40000", "--chunk-heap", "1000000"]);
  assert.equal(result.status, 0, explain(result));
  assert.deepEqual(summary(result.stdout), { passed: 1, failed: 0 });
});

function lastHeld(output: string): number {
  const lines = output.split("\n").filter((line) => line.startsWith("xs-held: "));
  return lines.length === 0 ? 0 : Number(lines[lines.length - 1]!.slice("xs-held: ".length));
}

// Loading leaves ~1 MB and ~10,000 slots of garbage, so XS holds far more free space at arming than these budgets: the host gives
// the excess back (chunks) or sets it aside (slots), else the smallest budget a program needs could not be
// measured below what loading happened to leave free.
test("XS host: the chunk budget is exact, whatever loading left free", () => {
  const result = runFixture("exact-chunk-budget", ["--chunk-heap", "16384"]);
  assert.equal(result.status, 3, explain(result));
  assert.ok(result.stderr.includes("xs: memory full"), explain(result));
  const held = lastHeld(result.stdout);
  assert.ok(held > 16384 - 6 * 1024 && held <= 16384, `held ${held} bytes of a 16,384-byte budget\n${explain(result)}`);
});

test("XS host: the slot budget is exact, whatever loading left free", () => {
  const result = runFixture("exact-slot-budget", ["--slot-heap", "2048"]);
  assert.equal(result.status, 3, explain(result));
  assert.ok(result.stderr.includes("xs: memory full"), explain(result));
  const held = lastHeld(result.stdout);
  assert.ok(held > 2048 - 256 && held <= 2048, `held ${held} slots of a 2,048-slot budget\n${explain(result)}`);
});

test("XS runner: several suites in one process add up", () => {
  const result = run([RUNNER, `${FIXTURES}/pass.fixture.js`, `${FIXTURES}/fail.fixture.js`]);
  assert.equal(result.status, 1, explain(result));
  assert.deepEqual(summary(result.stdout), { passed: 4, failed: 1 });
});

test("XS host: an entry module that throws exits 1 (XS alone would exit 0)", () => {
  const result = run([`${FIXTURES}/throw-at-load.fixture.js`]);
  assert.equal(result.status, 1, explain(result));
  assert.ok(result.stderr.includes("xs: entry module failed: Error: thrown at module load"), explain(result));
});

test("XS host: an entry module whose top-level await rejects exits 1", () => {
  const result = run([`${FIXTURES}/reject-at-load.fixture.js`]);
  assert.equal(result.status, 1, explain(result));
  assert.ok(result.stderr.includes("xs: entry module failed: RangeError: rejected top-level await"), explain(result));
});

test("XS host: a missing module and a bad option are errors", () => {
  const missing = run([RUNNER, "build/test/xs/fixtures/no-such.fixture.js"]);
  assert.equal(missing.status, 1, explain(missing));
  assert.ok(missing.stdout.includes("URIError: module not found"), explain(missing));
  const usage = run(["--slot-heap", "many", RUNNER]);
  assert.equal(usage.status, 2, explain(usage));
});
