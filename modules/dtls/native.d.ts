/**
 * Ambient declarations of the Moddable native-binding globals used by modules/dtls/dtls.ts. On a device or
 * the simulator they come from the Moddable runtime (mcconfig); in the XS test host from hosts/xs
 * (see hosts/xs/README.md "Native modules"). Neither exists under Node. Pulled in with
 * `import type {} from "./native.js"` (erased at run time).
 */
export {};

declare global {
  /** A host function bound to the C function `void xs_<name>(xsMachine* the)`; call it with `.call(this, ...)`. */
  function native(name: string): (this: object | void, ...args: unknown[]) => unknown;
  /** A base class whose instances carry C host data released by `void xs_<name>(void* data)`. */
  function Native(destructorName: string): new () => object;
}
