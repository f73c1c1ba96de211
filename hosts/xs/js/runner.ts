/**
 * The XS test runner: `idpgate-xs build/hosts/xs/js/runner.js <suite.js>...`
 *
 * For each suite module: import it (its `test()` calls are recorded by test/harness), take its tests,
 * arm the memory limits (so the suite's code and module-level data are "in flash", as on a device), then run
 * the tests one by one, awaiting async ones with a per-test timeout. Output, one line each:
 *
 *   ok - <suite> > <test name>
 *   not ok - <suite> > <test name>: <error name>[<code>]: <message>
 *   xs-memory: {"chunks":N,"chunksPeak":N,"slots":N,"slotsPeak":N,"chunksLimit":N,"slotsLimit":N}
 *   xs-summary: {"passed":N,"failed":N}
 *
 * A suite that fails to import counts as one failure (`not ok - <suite> > (import): ...`). The process exits
 * 0 only when every test passed (an XS abort such as "memory full" exits the process with its own code).
 */
import { takeRegisteredTests } from "../../../test/harness/index.js";
import { armMemoryLimits, exit, gc, memory, print, setTimer, clearTimer, xsHost } from "./host.js";

/** Time one test may take, in milliseconds. */
export const TEST_TIMEOUT_MS = 60_000;

function suiteName(path: string): string {
  const at = path.lastIndexOf("build/");
  const name = at >= 0 ? path.slice(at + "build/".length) : path;
  return name.endsWith(".js") ? name.slice(0, -3) : name;
}

function absolute(path: string): string {
  if (path.startsWith("/")) return path;
  const relative = path.startsWith("./") ? path.slice(2) : path;
  return `${xsHost().cwd}/${relative}`;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${code === undefined ? "" : `[${String(code)}]`}: ${error.message}`;
  }
  try {
    return `thrown: ${String(error)}`;
  } catch {
    return "thrown: (a value that cannot be printed)";
  }
}

/** Settles like `work`, or rejects when `work` takes longer than `ms`. */
function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimer(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    work.then(
      () => {
        clearTimer(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimer(timer);
        reject(error);
      },
    );
  });
}

async function runSuite(path: string, counts: { passed: number; failed: number }): Promise<void> {
  const suite = suiteName(path);
  try {
    await import(absolute(path));
  } catch (error) {
    takeRegisteredTests(); // what it declared before failing must not leak into the next suite
    counts.failed++;
    print(`not ok - ${suite} > (import): ${describe(error)}`);
    return;
  }
  const tests = takeRegisteredTests();
  armMemoryLimits();
  for (const { name, fn } of tests) {
    try {
      // Called right here, not through helpers: on XS every frame counts against the 512-slot stack.
      const result: unknown = fn();
      if (result instanceof Promise) await withTimeout(result as Promise<void>, TEST_TIMEOUT_MS);
      counts.passed++;
      print(`ok - ${suite} > ${name}`);
    } catch (error) {
      counts.failed++;
      print(`not ok - ${suite} > ${name}: ${describe(error)}`);
    }
  }
}

async function main(): Promise<void> {
  const suites = xsHost().args;
  if (suites.length === 0) {
    print("usage: idpgate-xs build/hosts/xs/js/runner.js <suite.js>...");
    exit(2);
  }
  const counts = { passed: 0, failed: 0 };
  for (const path of suites) await runSuite(path, counts);
  gc();
  print(`xs-memory: ${JSON.stringify(memory())}`);
  print(`xs-summary: ${JSON.stringify(counts)}`);
  exit(counts.failed === 0 ? 0 : 1);
}

await main();
