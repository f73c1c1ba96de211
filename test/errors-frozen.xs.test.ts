/**
 * XS only: Moddable freezes the preloaded heap, built-ins included, and assigning over the read-only
 * Error.prototype.name then throws. (Node's own internals assign error names, so this cannot run there.)
 */
import { test, assert } from "./harness/index.js";
import { all } from "./errors.fixture.js";

test("errors can still be made once the built-ins are frozen, as on a device with preloaded modules", () => {
  // Moddable freezes the preloaded heap: assigning over Error.prototype.name would throw there.
  Object.freeze(Error.prototype);
  for (const [e, name] of all()) assert.equal(e.name, name);
});
