/**
 * Typed access to the globals of the XS test host (hosts/xs, `idpgate-xs`).
 *
 * Runtime-neutral: importing this module never touches a global, so Node code may import it too (for
 * example to share types); the functions throw a clear error when called outside the XS test host.
 * The globals are reached through `globalThis` instead of `declare global`, so these declarations never
 * clash with Node's own `setTimeout`/`gc` types.
 *
 * @example
 * ```ts
 * import { armMemoryLimits, memory, meter, resetMeter } from "../../hosts/xs/js/host.js";
 * resetMeter();
 * JSON.parse('{"a":1}');
 * print(meter(), memory().slots);
 * ```
 */

/** Heap use of the machine: chunk bytes and slots, current and peak, and the armed limits (0 before). */
export interface XsMemory {
  chunks: number;
  chunksPeak: number;
  slots: number;
  slotsPeak: number;
  chunksLimit: number;
  slotsLimit: number;
}

/** A host function bound to a C function `void xs_<name>(xsMachine* the)`. Call it with `.call(this, ...)`. */
export type NativeFunction = (this: object | void, ...args: unknown[]) => unknown;

/** A base class whose instances are host objects with a C destructor `void xs_<name>(void* data)`. */
export type NativeBase = new () => object;

/** The `xsHost` global. */
export interface XsHostApi {
  /** Command-line arguments after the entry module. */
  readonly args: readonly string[];
  /** The current directory of the host process (absolute). */
  readonly cwd: string;
  /** Exits the process at once with `code` (0..255). */
  exit(code: number): never;
  /** Current and peak heap use. Pass the object of a previous call to measure without allocating. */
  memory(into?: XsMemory): XsMemory;
  /** Sets the peaks to the current values. */
  resetPeaks(): void;
  /** Computrons (XS metering units) since the last resetMeter() or since start. */
  meter(): number;
  resetMeter(): void;
  /** Collects garbage and starts enforcing --chunk-heap/--slot-heap above what is live now. */
  armMemoryLimits(): void;
  /** Monotonic milliseconds since the host started (integer). */
  ticks(): number;
  /** Fills `bytes` from the operating system's CSPRNG (getrandom(2)) and returns it. */
  randomFill(bytes: Uint8Array): Uint8Array;
}

/** Everything `idpgate-xs` adds to the global object. */
export interface XsHostGlobals {
  print(...values: unknown[]): void;
  gc(): void;
  setTimeout(callback: () => void, ms?: number): number;
  clearTimeout(id: number | undefined): void;
  native(name: string): NativeFunction;
  Native(destructorName: string): NativeBase;
  xsHost: XsHostApi;
}

const globals = globalThis as unknown as Partial<XsHostGlobals>;

/** True when running in the XS test host. */
export function isXsHost(): boolean {
  return typeof globals.xsHost === "object" && globals.xsHost !== null;
}

function need<K extends keyof XsHostGlobals>(key: K): XsHostGlobals[K] {
  const value = globals[key];
  if (value === undefined) throw new Error(`${String(key)} is only available in the XS test host (idpgate-xs)`);
  return value as XsHostGlobals[K];
}

/** The `xsHost` global (throws outside the XS test host). */
export function xsHost(): XsHostApi {
  return need("xsHost");
}

/** Writes the values, separated by spaces, and a newline to stdout. */
export function print(...values: unknown[]): void {
  need("print")(...values);
}

export function gc(): void {
  need("gc")();
}

/** Runs `callback` once after `ms` milliseconds of the host's monotonic clock; returns an id for clearTimer. */
export function setTimer(callback: () => void, ms: number): number {
  return need("setTimeout")(callback, ms);
}

export function clearTimer(id: number | undefined): void {
  need("clearTimeout")(id);
}

export function args(): readonly string[] {
  return xsHost().args;
}

export function exit(code: number): never {
  return xsHost().exit(code);
}

export function memory(into?: XsMemory): XsMemory {
  return into === undefined ? xsHost().memory() : xsHost().memory(into);
}

export function resetPeaks(): void {
  xsHost().resetPeaks();
}

export function meter(): number {
  return xsHost().meter();
}

export function resetMeter(): void {
  xsHost().resetMeter();
}

export function armMemoryLimits(): void {
  xsHost().armMemoryLimits();
}

export function ticks(): number {
  return xsHost().ticks();
}

export function randomFill(bytes: Uint8Array): Uint8Array {
  return xsHost().randomFill(bytes);
}

/** `native("xs_foo")`: the host function bound to the C function xs_foo (TypeError when unknown). */
export function native(name: string): NativeFunction {
  return need("native")(name);
}

/** `Native("xs_foo_destructor")`: a base class for host objects destroyed by that C function. */
export function Native(destructorName: string): NativeBase {
  return need("Native")(destructorName);
}
