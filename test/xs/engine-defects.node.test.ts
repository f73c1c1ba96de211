// Defects of the XS engine itself that idpgate's code must stay clear of, each reduced to a few lines and
// run on the XS test host, which compiles the XS of @agoric/xsnap 0.15.0 (XS 13.3); Moddable SDK 8.2.3's
// xsMemory.c and xsProperty.c have the same code. A test here fails when the engine no longer has the defect:
// then the workaround in our code (named in the fixture) may go, and this note with it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { assert, test } from "../harness/index.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const HOST = `${ROOT}hosts/xs/out/idpgate-xs`;
const SPARSE = "build/test/xs/fixtures/sparse-array-gc.fixture.js";

function run(args: string[]): { status: number | null; signal: NodeJS.Signals | null; stdout: string } {
  for (const needed of [HOST, `${ROOT}${SPARSE}`])
    if (!existsSync(needed)) throw new Error(`missing ${needed}: build with node scripts/build.mjs`);
  const r = spawnSync(HOST, [SPARSE, ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout };
}

test("XS defect: a compacting collection misreads a sparse array in an over-allocated chunk (examples/gate DecisionAnswers)", () => {
  const dense = run(["dense"]);
  assert.equal(dense.status, 0, `the dense control must survive: ${dense.signal ?? ""} ${dense.stdout}`);
  assert.ok(dense.stdout.includes("sparse-array-gc: survived 2"), dense.stdout);
  const sparse = run([]);
  assert.ok(
    sparse.signal === "SIGSEGV" || sparse.signal === "SIGBUS",
    `XS no longer crashes on the sparse array (exit ${String(sparse.status)}, ${sparse.stdout.trim()}): the defect may be fixed; see the fixture`,
  );
});
