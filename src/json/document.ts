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
import { lastIndexOf, slice, startsWith } from "./_chars.js";
import { contentEquals, decodeString, listContainsAt } from "./_decode.js";
import { decodeValidUtf8, plainText } from "./_text.js";
import {
  ESCAPED,
  FIELDS,
  F_END,
  F_PARENT,
  F_START,
  F_TYPE,
  T_ARRAY,
  T_FALSE,
  T_NUMBER,
  T_OBJECT,
  T_STRING,
  T_TRUE,
  SIZE_SHIFT,
  tokenize,
  TYPE_MASK,
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
  /**
   * Whether to build the input's plain text (see plainText in _text.ts) for indexOf and slicing: default
   * true. False: byte mode, nothing allocated by the parse (for small inputs read in place, like the
   * gate's commands, where the text costs more than it saves).
   */
  readonly text?: boolean;
}

const EMPTY = 0;

export class JsonDocument {
  /** How many tokens the pool holds; a document needing more fails with `json.too_many_tokens`. */
  readonly capacity: number;
  readonly #t: Int32Array;
  #count = 0;
  #input: Uint8Array;
  /** The input as plain text (see plainText), when it is: strings without escapes are sliced out of it. */
  #text: string | undefined = undefined;

  constructor(capacity: number = JSON_DEFAULT_TOKENS) {
    if (!(capacity >= 1 && capacity <= 65536)) throw new RangeError("token capacity must be 1..65536");
    this.capacity = capacity;
    this.#t = new Int32Array(capacity * FIELDS);
    this.#input = new Uint8Array(EMPTY);
  }

  /**
   * Tokenizes one complete JSON text (a single top-level value, any type). Returns the token count;
   * token 0 is the root. On error the document is empty and a JsonError is thrown. `start`: where the text
   * begins in `input` (it runs to the end: a CoAP payload read in place in its datagram); offsets stay
   * offsets into `input`. A text past 0 is read in byte mode only (`text: false`): the bytes before it
   * (a datagram's header) are not text.
   */
  parse(input: Uint8Array, options?: JsonParseOptions, start = 0): number {
    this.#count = 0;
    this.#text = undefined;
    if (start !== 0) {
      // Checked only past 0 (a provider's answer parses from 0 and pays one comparison): no call on the way.
      if (!(start >>> 0 === start && start <= input.length)) throw new RangeError("start must be an offset into the input");
      if (options?.text !== false) throw new RangeError("a text at an offset is read in byte mode (text: false)");
    }
    const maxBytes = options?.maxBytes ?? JSON_MAX_INPUT_BYTES;
    const length = input.length - start;
    if (length > maxBytes) throw new JsonError("json.too_large", maxBytes, `input of ${length} bytes is above the limit of ${maxBytes}`);
    const text = options?.text === false ? undefined : plainText(input);
    const count = tokenize(input, this.#t, this.capacity, options?.maxDepth ?? JSON_MAX_DEPTH, text, start);
    this.#input = input;
    this.#text = text;
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

  /** The offset of token `i`'s fields in the pool; throws for a token the last parse did not make. */
  #base(i: number): number {
    if (!(i >= 0 && i < this.#count)) throw noSuchToken();
    return i * FIELDS;
  }

  #field(i: number, f: number): number {
    return this.#t[this.#base(i) + f]!;
  }

  type(i: number): JsonTokenType {
    return (this.#field(i, F_TYPE) & TYPE_MASK) as JsonTokenType;
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
    return this.#field(i, F_TYPE) >> SIZE_SHIFT;
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
      pending += (t[i * FIELDS + F_TYPE]! >> SIZE_SHIFT) - 1;
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
    for (let m = t[object * FIELDS + F_TYPE]! >> SIZE_SHIFT; m > 0; m--) {
      const base = k * FIELDS;
      if (this.#equals(t[base + F_TYPE]!, t[base + F_START]!, t[base + F_END]!, key)) {
        if (found >= 0) throw new JsonError("json.duplicate_key", t[base + F_START]!, "a member appears twice");
        found = k + 1;
      }
      k = this.next(k + 1);
    }
    return found;
  }

  /**
   * One pass over the members of object `object`: `values[j]` receives the value token of the member
   * named `names[j]`, or -1 when there is none. Returns how many members have a name not in `names`.
   * A name of `names` present twice throws `json.duplicate_key`. Allocates only short key strings.
   */
  members(object: number, names: readonly string[], values: Int32Array): number {
    if (!(object >= 0 && object < this.#count)) throw noSuchToken();
    const t = this.#t;
    if ((t[object * FIELDS + F_TYPE]! & TYPE_MASK) !== T_OBJECT) throw wrongType("an object");
    const n = names.length;
    if (values.length < n) throw new RangeError("values must hold one entry a name");
    values.fill(-1, 0, n);
    const text = this.#text;
    // Plain keys are looked up by their text in a Map of the names (about 20 computrons on XS, against
    // 60 for each name compared in place); the Map of the last `names` is kept.
    const index = text === undefined ? undefined : nameIndex(names);
    let others = 0;
    let k = object + 1;
    let pending = 0;
    for (let m = t[object * FIELDS + F_TYPE]! >> SIZE_SHIFT; m > 0; m--) {
      const b = k * FIELDS;
      const type = t[b + F_TYPE]!;
      const start = t[b + F_START]!;
      const end = t[b + F_END]!;
      let j = -1;
      if (index !== undefined && (type & ESCAPED) === 0) j = index.get(slice.call(text!, start, end)) ?? -1;
      else for (let c = 0; c < n && j < 0; c++) if (contentEquals(this.#input, start, end, names[c]!, true)) j = c;
      if (j < 0) others++;
      else if (values[j]! >= 0) throw new JsonError("json.duplicate_key", start, "a member appears twice");
      else values[j] = k + 1;
      // The next key: past the value's subtree.
      k++;
      for (pending = 1; pending > 0; k++) pending += (t[k * FIELDS + F_TYPE]! >> SIZE_SHIFT) - 1;
    }
    return others;
  }

  /** True for a string token holding an escape: its bytes [start, end) are not its value's UTF-8. */
  escaped(i: number): boolean {
    return (this.#field(i, F_TYPE) & ESCAPED) !== 0;
  }

  /** True for a string token. */
  isString(i: number): boolean {
    return this.type(i) === T_STRING;
  }

  /** String content [start, end) of a token of raw type `type` compared with `s`, without allocating. */
  #equals(type: number, start: number, end: number, s: string): boolean {
    const text = this.#text;
    if (text !== undefined && (type & ESCAPED) === 0) return lastIndexOf.call(s, "") === end - start && startsWith.call(text, s, start);
    return contentEquals(this.#input, start, end, s, true);
  }

  /** The decoded string value of a string token (allocates the string). */
  string(i: number): string {
    if (!(i >= 0 && i < this.#count)) throw noSuchToken();
    const t = this.#t;
    const b = i * FIELDS;
    const type = t[b + F_TYPE]!;
    if ((type & TYPE_MASK) !== T_STRING) throw wrongType("a string");
    const start = t[b + F_START]!;
    const end = t[b + F_END]!;
    if ((type & ESCAPED) !== 0) return decodeString(this.#input, start, end, true);
    const text = this.#text;
    return text !== undefined ? slice.call(text, start, end) : decodeValidUtf8(this.#input, start, end);
  }

  /** True when string token `i` decodes to exactly `s` (no allocation). */
  stringEquals(i: number, s: string): boolean {
    if (!(i >= 0 && i < this.#count)) throw noSuchToken();
    const t = this.#t;
    const b = i * FIELDS;
    const type = t[b + F_TYPE]!;
    return (type & TYPE_MASK) === T_STRING && this.#equals(type, t[b + F_START]!, t[b + F_END]!, s);
  }

  /** True when string token `i`, a space-separated list, contains `word` (no allocation). */
  listContains(i: number, word: string): boolean {
    if (this.type(i) !== T_STRING) throw wrongType("a string");
    return listContainsAt(this.#input, this.start(i), this.end(i), word, true);
  }

  /** The value of a boolean token. */
  boolean(i: number): boolean {
    const type = this.#t[this.#base(i) + F_TYPE];
    if (type !== T_TRUE && type !== T_FALSE) throw wrongType("a boolean");
    return type === T_TRUE;
  }

  /** The value of a number token; `json.not_finite` when it overflows a double (`1e999`). */
  number(i: number): number {
    if (!(i >= 0 && i < this.#count)) throw noSuchToken();
    const t = this.#t;
    const b = i * FIELDS;
    if (t[b + F_TYPE] !== T_NUMBER) throw wrongType("a number");
    const input = this.#input;
    const start = t[b + F_START]!;
    const end = t[b + F_END]!;
    const text = this.#text;
    let value = 0;
    if (text !== undefined) {
      // The engine's conversion, as JSON.parse's (RFC 8259 grammar checked by the tokenizer).
      value = Number(slice.call(text, start, end));
      if (!Number.isFinite(value)) throw new JsonError("json.not_finite", start, "number out of range");
      return value;
    }
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

let lastNames: readonly string[] | undefined;
let lastIndex: Map<string, number> | undefined;

/** Name to position in `names`, built once for the last array asked about (callers pass a constant). */
function nameIndex(names: readonly string[]): Map<string, number> {
  if (names !== lastNames || lastIndex === undefined) {
    const index = new Map<string, number>();
    for (let j = names.length - 1; j >= 0; j--) index.set(names[j]!, j);
    lastIndex = index;
    lastNames = names;
  }
  return lastIndex;
}

function noSuchToken(): RangeError {
  return new RangeError("no such token");
}

function wrongType(what: string): JsonError {
  return new JsonError("json.wrong_type", -1, `expected ${what}`);
}
