// XS metering is deterministic: the baseline benchmark gives the same computrons on every run (Node only).
// Needs hosts/xs/out/idpgate-xs and build/ (the test script builds them first).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { assert, test } from "../harness/index.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const HOST = `${ROOT}hosts/xs/out/idpgate-xs`;
const BENCH = "build/bench/xs/baseline.bench.js";

interface BenchRow {
  name: string;
  computrons: number;
  slots: number;
  chunkBytes: number;
}

function runBench(): BenchRow[] {
  for (const needed of [HOST, `${ROOT}${BENCH}`]) {
    if (!existsSync(needed))
      throw new Error(`missing ${needed}: build with \`make -C hosts/xs -j2\` and \`npx tsc -p tsconfig.node.json\``);
  }
  const result = spawnSync(HOST, [BENCH], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  if (result.error) throw result.error;
  assert.equal(result.status, 0, `exit ${String(result.status)}: ${result.stderr}`);
  return result.stdout
    .split("\n")
    .filter((line) => line.startsWith("BENCH "))
    .map((line) => JSON.parse(line.slice("BENCH ".length)) as BenchRow);
}

test("XS meter: the baseline bench reports the same non-zero computrons twice", () => {
  const first = runBench();
  const second = runBench();
  assert.equal(first.length, 3);
  assert.deepEqual(
    second.map((row) => [row.name, row.computrons]),
    first.map((row) => [row.name, row.computrons]),
  );
  for (const row of first) {
    assert.ok(row.computrons > 0, `${row.name}: computrons`);
    assert.ok(Number.isInteger(row.slots) && Number.isInteger(row.chunkBytes), `${row.name}: memory columns`);
  }
});
