/**
 * The tokenizer core: one pass over UTF-8 bytes, RFC 8259, no recursion, no allocation.
 *
 * Tokens are five Int32 fields each in a caller-owned array (jsmn layout plus a parent link):
 *   [type, start, end, size, parent]
 * - strings: start/end exclude the quotes (escapes are kept verbatim, decoded on read);
 * - objects/arrays: start at the opening bracket, end just after the closing one;
 * - size: members of an object, elements of an array, 1 for a key, 0 for a scalar;
 * - parent: the enclosing array, or the key for an object member's value, or -1 for the root.
 *
 * Theory of operation: `state` says what may come next; whitespace is skipped before every byte;
 * the open containers form a chain through `parent`, so no stack is needed. Reaching the end of the
 * input anywhere but after the complete top-level value is `json.truncated`, so every proper prefix
 * of a valid document is either itself valid (`12` of `123`) or truncated: a caller can tell "wait
 * for more bytes" from "reject" (RFC 8259 section 2 to 8).
 */
import { JsonError } from "./errors.js";
import { fail, scanLiteral, scanNumber, scanString } from "./_scan.js";

export const T_OBJECT = 1;
export const T_ARRAY = 2;
export const T_STRING = 3;
export const T_NUMBER = 4;
export const T_TRUE = 5;
export const T_FALSE = 6;
export const T_NULL = 7;
export const FIELDS = 5;
export const F_TYPE = 0;
export const F_START = 1;
export const F_END = 2;
export const F_SIZE = 3;
export const F_PARENT = 4;

const ST_VALUE = 0; // top level, or after ':'
const ST_VALUE_OR_CLOSE = 1; // after '['
const ST_VALUE_AFTER_COMMA = 2; // after ',' in an array
const ST_KEY_OR_CLOSE = 3; // after '{'
const ST_KEY_AFTER_COMMA = 4; // after ',' in an object
const ST_COLON = 5;
const ST_NEXT = 6; // after a member or element: ',' or the closing bracket
const ST_DONE = 7;

const LITERAL_TRUE = [0x74, 0x72, 0x75, 0x65];
const LITERAL_FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const LITERAL_NULL = [0x6e, 0x75, 0x6c, 0x6c];

/** Tokenizes `input` into `t` (capacity tokens); returns the token count. Throws JsonError. */
export function tokenize(input: Uint8Array, t: Int32Array, capacity: number, maxDepth: number): number {
  const len = input.length;
  let pos = 0;
  let count = 0;
  let parent = -1;
  let depth = 0;
  let state = ST_VALUE;
  for (;;) {
    let c = 0;
    while (pos < len) {
      c = input[pos]!;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    if (pos >= len) {
      if (state === ST_DONE) return count;
      fail("json.truncated", pos);
    }
    if (state === ST_DONE) fail("json.trailing_data", pos);
    if (state === ST_COLON) {
      if (c !== 0x3a) fail("json.unexpected_byte", pos);
      pos++;
      state = ST_VALUE;
      continue;
    }
    if (state === ST_NEXT) {
      const ptype = t[parent * FIELDS + F_TYPE];
      if (c === 0x2c) {
        pos++;
        state = ptype === T_OBJECT ? ST_KEY_AFTER_COMMA : ST_VALUE_AFTER_COMMA;
        continue;
      }
      if (!((c === 0x7d && ptype === T_OBJECT) || (c === 0x5d && ptype === T_ARRAY))) fail("json.unexpected_byte", pos);
    } else if (state === ST_KEY_OR_CLOSE || state === ST_KEY_AFTER_COMMA) {
      if (c === 0x22) {
        if (count >= capacity) tooMany(pos);
        const k = count++ * FIELDS;
        const end = scanString(input, pos + 1, len);
        t[k + F_TYPE] = T_STRING;
        t[k + F_START] = pos + 1;
        t[k + F_END] = end;
        t[k + F_SIZE] = 1;
        t[k + F_PARENT] = parent;
        t[parent * FIELDS + F_SIZE]!++;
        parent = k / FIELDS;
        pos = end + 1;
        state = ST_COLON;
        continue;
      }
      if (c !== 0x7d) fail("json.unexpected_byte", pos);
      if (state === ST_KEY_AFTER_COMMA) fail("json.trailing_comma", pos);
    } else if (c === 0x5d) {
      if (state === ST_VALUE_AFTER_COMMA) fail("json.trailing_comma", pos);
      if (state !== ST_VALUE_OR_CLOSE) fail("json.unexpected_byte", pos);
    } else {
      // A value: state is ST_VALUE, ST_VALUE_OR_CLOSE or ST_VALUE_AFTER_COMMA.
      if (count >= capacity) tooMany(pos);
      const v = count++ * FIELDS;
      t[v + F_START] = pos;
      t[v + F_SIZE] = 0;
      t[v + F_PARENT] = parent;
      if (parent >= 0 && t[parent * FIELDS + F_TYPE] === T_ARRAY) t[parent * FIELDS + F_SIZE]!++;
      if (c === 0x7b || c === 0x5b) {
        if (++depth > maxDepth) throw new JsonError("json.too_deep", pos, `nesting deeper than ${maxDepth}`);
        t[v + F_TYPE] = c === 0x7b ? T_OBJECT : T_ARRAY;
        t[v + F_END] = -1;
        parent = v / FIELDS;
        pos++;
        state = c === 0x7b ? ST_KEY_OR_CLOSE : ST_VALUE_OR_CLOSE;
        continue;
      }
      if (c === 0x22) {
        const end = scanString(input, pos + 1, len);
        t[v + F_TYPE] = T_STRING;
        t[v + F_START] = pos + 1;
        pos = end + 1;
        t[v + F_END] = end;
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        t[v + F_TYPE] = T_NUMBER;
        pos = scanNumber(input, pos, len);
        t[v + F_END] = pos;
      } else if (c === 0x74) {
        t[v + F_TYPE] = T_TRUE;
        pos = t[v + F_END] = scanLiteral(input, pos, len, LITERAL_TRUE);
      } else if (c === 0x66) {
        t[v + F_TYPE] = T_FALSE;
        pos = t[v + F_END] = scanLiteral(input, pos, len, LITERAL_FALSE);
      } else if (c === 0x6e) {
        t[v + F_TYPE] = T_NULL;
        pos = t[v + F_END] = scanLiteral(input, pos, len, LITERAL_NULL);
      } else {
        fail("json.unexpected_byte", pos);
      }
      if (parent >= 0 && t[parent * FIELDS + F_TYPE] === T_STRING) parent = t[parent * FIELDS + F_PARENT]!;
      state = parent < 0 ? ST_DONE : ST_NEXT;
      continue;
    }
    // Closing bracket of `parent` at `pos`.
    t[parent * FIELDS + F_END] = pos + 1;
    pos++;
    depth--;
    parent = t[parent * FIELDS + F_PARENT]!;
    if (parent >= 0 && t[parent * FIELDS + F_TYPE] === T_STRING) parent = t[parent * FIELDS + F_PARENT]!;
    state = parent < 0 ? ST_DONE : ST_NEXT;
  }
}

function tooMany(pos: number): never {
  throw new JsonError("json.too_many_tokens", pos, "more tokens than the pool holds");
}
