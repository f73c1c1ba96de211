/**
 * TEST ONLY: a native class of the XS test host (C in hosts/xs/c/test_native_counter.c), written the way
 * idpgate's Moddable bindings are: `extends Native(destructor)` and `native(name).call(this, ...)`.
 * Imported by test/xs/native.xs.test.ts; XS only (Native() throws elsewhere).
 */
import { Native, native } from "../../hosts/xs/js/host.js";

export class TestCounter extends Native("xs_test_counter_destructor") {
  constructor(start = 0) {
    super();
    native("xs_test_counter_init").call(this, start);
  }

  /** Adds `by` and returns the new value. */
  increment(by = 1): number {
    return native("xs_test_counter_increment").call(this, by) as number;
  }

  get value(): number {
    return native("xs_test_counter_get_value").call(this) as number;
  }

  /** Frees the C data now; safe to call twice. */
  close(): void {
    native("xs_test_counter_close").call(this);
  }
}

/** How many counters the C side has destroyed (closed or collected) in this process. */
export function destroyedCount(): number {
  return native("xs_test_counter_destroyed")() as number;
}
