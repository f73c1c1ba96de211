/**
 * One test harness for both runtimes.
 *
 * Suites import `test` and `assert` from here and nothing else, so a suite written once runs under
 * node:test (each `test()` becomes a node:test case) and under the XS test host (each `test()` is
 * recorded; hosts/xs/js/runner runs the records one by one and reports them). Which runtime we are on
 * is decided once, at load, by looking for Node's `process.versions.node`.
 */
export type TestFn = () => void | Promise<void>;

export interface RegisteredTest {
  readonly name: string;
  readonly fn: TestFn;
}

type NodeTest = (name: string, fn: TestFn) => unknown;

const registry: RegisteredTest[] = [];

async function loadNodeTest(): Promise<NodeTest | undefined> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (proc?.versions?.node === undefined) return undefined;
  // A computed specifier keeps bundlers and the XS loader from ever resolving it.
  const specifier = ["node", "test"].join(":");
  const mod = (await import(specifier)) as { test: NodeTest };
  return mod.test;
}

const nodeTest = await loadNodeTest();

/** Declares a test. Under Node it is a node:test case; under XS it is queued for the XS runner. */
export function test(name: string, fn: TestFn): void {
  if (nodeTest !== undefined) {
    nodeTest(name, fn);
    return;
  }
  registry.push({ name, fn });
}

/** The tests declared so far and not yet taken (XS runner only). */
export function takeRegisteredTests(): RegisteredTest[] {
  return registry.splice(0, registry.length);
}

/** True when running under Node (some suites scale their iteration counts down on XS). */
export const onNode = nodeTest !== undefined;

export { assert, AssertionError } from "./assert.js";
export { Prng } from "./prng.js";
export { FakeClock } from "./fake-clock.js";
export { FakeTimers } from "./fake-timers.js";
