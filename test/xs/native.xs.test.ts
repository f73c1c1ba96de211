// native()/Native() of the XS test host, proven with the test-only C counter.
// XS only: scripts/test.mjs runs *.xs.test.js on the XS host alone; under a plain `node --test build/test/xs/`
// this file declares nothing (the counter class cannot even be defined without the host's Native()).
import { assert, onNode, test } from "../harness/index.js";
import { Native, gc, native } from "../../hosts/xs/js/host.js";

async function declareTests(): Promise<void> {
  const { TestCounter, destroyedCount } = await import("./native-counter.fixture.js");

  function makeUnreachableCounters(count: number): void {
    for (let index = 0; index < count; index++) new TestCounter(index).increment();
  }

  test("a Native() subclass keeps C host data across method calls", () => {
    const counter = new TestCounter(5);
    assert.equal(counter.increment(), 6);
    assert.equal(counter.increment(10), 16);
    assert.equal(counter.value, 16);
    assert.ok(counter instanceof TestCounter);
    counter.close();
  });

  test("close() frees the C data once and later calls fail", () => {
    const before = destroyedCount();
    const counter = new TestCounter();
    counter.close();
    counter.close();
    assert.equal(destroyedCount() - before, 1);
    assert.throws(() => counter.increment());
  });

  test("gc() runs the C destructor of unreachable instances", () => {
    gc();
    const before = destroyedCount();
    makeUnreachableCounters(3);
    gc();
    assert.equal(destroyedCount() - before, 3);
  });

  test("a native method rejects an object of another class", () => {
    assert.throws(() => native("xs_test_counter_increment").call({}));
  });

  test("native() and Native() reject unknown names with a TypeError", () => {
    assert.throws(() => native("xs_no_such_function"), { instanceOf: TypeError });
    assert.throws(() => Native("xs_no_such_destructor"), { instanceOf: TypeError });
  });

  test("native() returns the same function for the same name", () => {
    assert.equal(native("xs_test_counter_get_value"), native("xs_test_counter_get_value"));
  });
}

if (!onNode) await declareTests();
