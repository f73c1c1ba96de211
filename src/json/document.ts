/**
 * A reusable JSON token pool and its field readers (jsmn-style, RFC 8259).
 *
 * The caller owns one `JsonDocument` per parser and reuses it: `parse()` writes tokens into a fixed
 * Int32Array and keeps a reference to the input, nothing else. No string, number or object is created
 * until a reader is called, and the comparing readers (`member`, `stringEquals`, `listContains`,
 * `boolean`) never allocate.
 *
 * @example
 * const doc = new JsonDocument(32);
 * doc.parse(bytes);
 * const active = doc.member(0, "active");
 * if (active >= 0 && doc.boolean(active)) { ... }
 */
import { JsonError } from "./errors.js";
import { contentEquals, decodeString, listContainsAt } from "./_decode.js";
import {
  FIELDS,
  F_END,
  F_PARENT,
  F_SIZE,
  F_START,
  F_TYPE,
  T_ARRAY,
  T_FALSE,
  T_NUMBER,
  T_OBJECT,
  T_STRING,
  T_TRUE,
  tokenize,
} from "./_tokenize.js";

export { T_ARRAY, T_FALSE, T_NULL, T_NUMBER, T_OBJECT, T_STRING, T_TRUE } from "./_tokenize.js";

/** Token type: 1 object, 2 array, 3 string, 4 number, 5 true, 6 false, 7 null. */
export type JsonTokenType = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Default nesting limit (containers open at once). */
export const JSON_MAX_DEPTH = 16;
/** Default input size limit in bytes. */
export const JSON_MAX_INPUT_BYTES = 4096;
/** Default token pool size. */
export const JSON_DEFAULT_TOKENS = 64;

export interface JsonParseOptions {
  /** Largest accepted nesting depth (default JSON_MAX_DEPTH). */
  readonly maxDepth?: number;
  /** Largest accepted input in bytes (default JSON_MAX_INPUT_BYTES). */
  readonly maxBytes?: number;
}

const EMPTY = 0;

export class JsonDocument {
  /** How many tokens the pool holds; a document needing more fails with `json.too_many_tokens`. */
  readonly capacity: number;
  readonly #t: Int32Array;
  #count = 0;
  #input: Uint8Array;

  constructor(capacity: number = JSON_DEFAULT_TOKENS) {
    if (!(capacity >= 1 && capacity <= 65536)) throw new RangeError("token capacity must be 1..65536");
    this.capacity = capacity;
    this.#t = new Int32Array(capacity * FIELDS);
    this.#input = new Uint8Array(EMPTY);
  }

  /**
   * Tokenizes one complete JSON text (a single top-level value, any type). Returns the token count;
   * token 0 is the root. On error the document is empty and a JsonError is thrown.
   */
  parse(input: Uint8Array, options?: JsonParseOptions): number {
    this.#count = 0;
    const maxBytes = options?.maxBytes ?? JSON_MAX_INPUT_BYTES;
    if (input.length > maxBytes)
      throw new JsonError("json.too_large", maxBytes, `input of ${input.length} bytes is above the limit of ${maxBytes}`);
    const count = tokenize(input, this.#t, this.capacity, options?.maxDepth ?? JSON_MAX_DEPTH);
    this.#input = input;
    this.#count = count;
    return count;
  }

  /** Tokens of the last successful parse. */
  get count(): number {
    return this.#count;
  }

  /** The input of the last successful parse (not a copy). */
  get input(): Uint8Array {
    return this.#input;
  }

  #field(i: number, f: number): number {
    if (!(i >= 0 && i < this.#count)) throw new RangeError("no such token");
    return this.#t[i * FIELDS + f]!;
  }

  type(i: number): JsonTokenType {
    return this.#field(i, F_TYPE) as JsonTokenType;
  }
  /** Byte offset where the token starts (a string's first content byte). */
  start(i: number): number {
    return this.#field(i, F_START);
  }
  /** Byte offset just after the token (a string's closing quote). */
  end(i: number): number {
    return this.#field(i, F_END);
  }
  /** Members of an object, elements of an array, 1 for a key, 0 otherwise. */
  size(i: number): number {
    return this.#field(i, F_SIZE);
  }
  /** Enclosing array, key (for a member's value), object (for a key), or -1. */
  parent(i: number): number {
    return this.#field(i, F_PARENT);
  }

  /** Index of the token after the subtree rooted at `i` (== count at the end). */
  next(i: number): number {
    let pending = 1;
    const t = this.#t;
    while (pending > 0) {
      pending += t[i * FIELDS + F_SIZE]! - 1;
      i++;
    }
    return i;
  }

  /**
   * The value token of member `key` of object `object`, or -1 when absent. A key present twice
   * throws `json.duplicate_key` (JSON.parse would silently take the last one: ambiguity fails closed).
   */
  member(object: number, key: string): number {
    if (this.type(object) !== T_OBJECT) throw wrongType("an object");
    const t = this.#t;
    let found = -1;
    let k = object + 1;
    for (let m = t[object * FIELDS + F_SIZE]!; m > 0; m--) {
      const base = k * FIELDS;
      if (contentEquals(this.#input, t[base + F_START]!, t[base + F_END]!, key, true)) {
        if (found >= 0) throw new JsonError("json.duplicate_key", t[base + F_START]!, "a member appears twice");
        found = k + 1;
      }
      k = this.next(k + 1);
    }
    return found;
  }

  /** True for a string token. */
  isString(i: number): boolean {
    return this.type(i) === T_STRING;
  }

  /** The decoded string value of a string token (allocates the string). */
  string(i: number): string {
    if (this.type(i) !== T_STRING) throw wrongType("a string");
    return decodeString(this.#input, this.start(i), this.end(i), true);
  }

  /** True when string token `i` decodes to exactly `s` (no allocation). */
  stringEquals(i: number, s: string): boolean {
    return this.type(i) === T_STRING && contentEquals(this.#input, this.start(i), this.end(i), s, true);
  }

  /** True when string token `i`, a space-separated list, contains `word` (no allocation). */
  listContains(i: number, word: string): boolean {
    if (this.type(i) !== T_STRING) throw wrongType("a string");
    return listContainsAt(this.#input, this.start(i), this.end(i), word, true);
  }

  /** The value of a boolean token. */
  boolean(i: number): boolean {
    const type = this.type(i);
    if (type !== T_TRUE && type !== T_FALSE) throw wrongType("a boolean");
    return type === T_TRUE;
  }

  /** The value of a number token; `json.not_finite` when it overflows a double (`1e999`). */
  number(i: number): number {
    if (this.type(i) !== T_NUMBER) throw wrongType("a number");
    const input = this.#input;
    const start = this.start(i);
    const end = this.end(i);
    let value = 0;
    let pos = start;
    const negative = input[pos] === 0x2d;
    if (negative) pos++;
    // Fast path: up to 15 plain digits are exact in a double and need no string.
    if (end - pos <= 15) {
      for (; pos < end; pos++) {
        const c = input[pos]!;
        if (c < 0x30 || c > 0x39) break;
        value = value * 10 + (c - 0x30);
      }
      if (pos === end) return negative ? -value : value;
    }
    value = Number(decodeString(input, start, end, false));
    if (!Number.isFinite(value)) throw new JsonError("json.not_finite", start, "number out of range");
    return value;
  }

  /** The value of a number token that must be a safe integer (`json.not_integer` otherwise). */
  integer(i: number): number {
    const value = this.number(i);
    if (!Number.isSafeInteger(value)) throw new JsonError("json.not_integer", this.start(i), "number is not a safe integer");
    return value;
  }

  /** The source text of the subtree at `i`, for `JSON.parse` of a value the caller wants whole. */
  text(i: number): string {
    const quoted = this.type(i) === T_STRING ? 1 : 0;
    return decodeString(this.#input, this.start(i) - quoted, this.end(i) + quoted, false);
  }

  /** True for arrays and objects. */
  isContainer(i: number): boolean {
    const type = this.type(i);
    return type === T_OBJECT || type === T_ARRAY;
  }
}

function wrongType(what: string): JsonError {
  return new JsonError("json.wrong_type", -1, `expected ${what}`);
}
