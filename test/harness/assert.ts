/**
 * Assertions that behave the same on Node and XS. Messages never include the compared values when a
 * caller marks them secret (`assert.secretEqual`), so a failing test cannot print a token.
 */
export class AssertionError extends Error {
  readonly code = "test.assertion";
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, "name", { value: "AssertionError", writable: true, enumerable: false, configurable: true });
  }
}

function show(value: unknown): string {
  if (value instanceof Uint8Array) return `Uint8Array[${Array.from(value, (b) => b.toString(16).padStart(2, "0")).join(" ")}]`;
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? show(v) : typeof v === "bigint" ? `${v}n` : v));
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}

function deepEqualValues(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !deepEqualValues(v, b.get(k))) return false;
    return true;
  }
  if (a instanceof Set && b instanceof Set) {
    if (a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepEqualValues((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** What a thrown error must match: its class, its `code`, or both. */
export interface ErrorMatch {
  readonly code?: string;
  readonly instanceOf?: abstract new (...args: never[]) => unknown;
  readonly message?: RegExp;
}

function checkError(error: unknown, expected: ErrorMatch | undefined, what: string): void {
  if (expected === undefined) return;
  if (expected.instanceOf !== undefined && !(error instanceof expected.instanceOf)) {
    throw new AssertionError(`${what}: expected an instance of ${expected.instanceOf.name}, got ${describeError(error)}`);
  }
  if (expected.code !== undefined) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== expected.code) throw new AssertionError(`${what}: expected code ${expected.code}, got ${describeError(error)}`);
  }
  if (expected.message !== undefined) {
    const message = (error as { message?: unknown } | null)?.message;
    if (typeof message !== "string" || !expected.message.test(message)) {
      throw new AssertionError(`${what}: message does not match ${String(expected.message)}: ${describeError(error)}`);
    }
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${code === undefined ? "" : `[${String(code)}]`}: ${error.message}`;
  }
  return show(error);
}

/** Declared as an interface so `assert.ok` narrows types (TS2775 needs an explicit annotation). */
export interface Assert {
  ok(value: unknown, message?: string): asserts value;
  equal<T>(actual: T, expected: T, message?: string): void;
  notEqual<T>(actual: T, expected: T, message?: string): void;
  deepEqual(actual: unknown, expected: unknown, message?: string): void;
  secretEqual(actual: unknown, expected: unknown, message?: string): void;
  bytesEqual(actual: Uint8Array, expected: Uint8Array | readonly number[], message?: string): void;
  throws(fn: () => unknown, expected?: ErrorMatch, message?: string): unknown;
  rejects(work: Promise<unknown> | (() => Promise<unknown>), expected?: ErrorMatch, message?: string): Promise<unknown>;
  fail(message: string): never;
}

export const assert: Assert = {
  ok(value: unknown, message = "expected a truthy value"): asserts value {
    if (!value) throw new AssertionError(message);
  },
  equal<T>(actual: T, expected: T, message?: string): void {
    if (!Object.is(actual, expected)) throw new AssertionError(message ?? `expected ${show(expected)}, got ${show(actual)}`);
  },
  notEqual<T>(actual: T, expected: T, message?: string): void {
    if (Object.is(actual, expected)) throw new AssertionError(message ?? `expected anything but ${show(expected)}`);
  },
  deepEqual(actual: unknown, expected: unknown, message?: string): void {
    if (!deepEqualValues(actual, expected)) throw new AssertionError(message ?? `expected ${show(expected)}, got ${show(actual)}`);
  },
  /** Equality that never prints either side: for tokens, secrets and keys. */
  secretEqual(actual: unknown, expected: unknown, message = "secret values differ"): void {
    if (!deepEqualValues(actual, expected)) throw new AssertionError(message);
  },
  bytesEqual(actual: Uint8Array, expected: Uint8Array | readonly number[], message?: string): void {
    const e = expected instanceof Uint8Array ? expected : Uint8Array.from(expected);
    if (!deepEqualValues(new Uint8Array(actual), e))
      throw new AssertionError(message ?? `expected ${show(e)}, got ${show(new Uint8Array(actual))}`);
  },
  throws(fn: () => unknown, expected?: ErrorMatch, message = "expected the call to throw"): unknown {
    try {
      fn();
    } catch (error) {
      if (error instanceof AssertionError) throw error;
      checkError(error, expected, message);
      return error;
    }
    throw new AssertionError(message);
  },
  async rejects(
    work: Promise<unknown> | (() => Promise<unknown>),
    expected?: ErrorMatch,
    message = "expected a rejection",
  ): Promise<unknown> {
    try {
      await (typeof work === "function" ? work() : work);
    } catch (error) {
      if (error instanceof AssertionError) throw error;
      checkError(error, expected, message);
      return error;
    }
    throw new AssertionError(message);
  },
  fail(message: string): never {
    throw new AssertionError(message);
  },
};
