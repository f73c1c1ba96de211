/**
 * Byte-level scanners of the tokenizer (RFC 8259 sections 6, 7, 8.1): strings with their escapes and
 * UTF-8, numbers, literals. Each returns the offset after what it scanned or throws a JsonError; the
 * end of input inside a value is always `json.truncated`.
 */
import { JsonError, type JsonSyntaxErrorCode } from "./errors.js";

/** 1 for a byte a string holds as itself: printable ASCII and DEL, but not `"` and `\`. */
const PLAIN = new Uint8Array(0x80).fill(1, 0x20);
PLAIN[0x22] = PLAIN[0x5c] = 0;

export function fail(code: JsonSyntaxErrorCode, pos: number): never {
  throw new JsonError(code, pos, code === "json.truncated" ? "input ends inside a value" : `invalid JSON (${code.slice(5)})`);
}

/**
 * Scans string content from `pos` (after the quote); returns the offset of the closing quote times 2,
 * plus 1 when the content holds an escape (so that readers know whether it needs JSON decoding).
 */
export function scanString(input: Uint8Array, pos: number, len: number): number {
  let escaped = 0;
  while (pos < len) {
    // Runs of plain bytes in one table test each (past the end the table gives undefined).
    while (PLAIN[input[pos]!] === 1) pos++;
    if (pos >= len) break;
    const c = input[pos]!;
    if (c === 0x22) return pos * 2 + escaped;
    if (c === 0x5c) {
      pos = scanEscape(input, pos, len);
      escaped = 1;
    } else if (c < 0x20) fail("json.control_char", pos);
    else if (c < 0x80) pos++;
    else pos = scanUtf8(input, pos, len);
  }
  return fail("json.truncated", pos);
}

function hex4(input: Uint8Array, pos: number, len: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) {
    if (pos + i >= len) fail("json.truncated", pos + i);
    const c = input[pos + i]!;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (d < 0) fail("json.bad_escape", pos + i);
    v = (v << 4) | d;
  }
  return v;
}

/** `pos` is at a backslash; returns the offset after the escape (a surrogate pair is one escape). */
function scanEscape(input: Uint8Array, pos: number, len: number): number {
  if (pos + 1 >= len) fail("json.truncated", pos + 1);
  const e = input[pos + 1]!;
  if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) return pos + 2;
  if (e !== 0x75) fail("json.bad_escape", pos);
  const u = hex4(input, pos + 2, len);
  if (u < 0xd800 || u > 0xdfff) return pos + 6;
  // RFC 8259 section 7: a character outside the BMP is a pair of escapes. A lone surrogate cannot be
  // turned into UTF-8 or compared with a key, so it is rejected (JSON.parse accepts it: documented).
  if (u >= 0xdc00) fail("json.bad_escape", pos);
  if (pos + 6 >= len) fail("json.truncated", pos + 6);
  if (input[pos + 6] !== 0x5c) fail("json.bad_escape", pos);
  if (pos + 7 >= len) fail("json.truncated", pos + 7);
  if (input[pos + 7] !== 0x75) fail("json.bad_escape", pos);
  const low = hex4(input, pos + 8, len);
  if (low < 0xdc00 || low > 0xdfff) fail("json.bad_escape", pos);
  return pos + 12;
}

function cont(input: Uint8Array, pos: number, len: number, lo: number, hi: number): void {
  if (pos >= len) fail("json.truncated", pos);
  const c = input[pos]!;
  if (c < lo || c > hi) fail("json.bad_utf8", pos);
}

/** Validates one multi-byte UTF-8 sequence (Unicode 15, table 3-7); returns the offset after it. */
function scanUtf8(input: Uint8Array, pos: number, len: number): number {
  const c = input[pos]!;
  if (c >= 0xc2 && c <= 0xdf) {
    cont(input, pos + 1, len, 0x80, 0xbf);
    return pos + 2;
  }
  if (c >= 0xe0 && c <= 0xef) {
    cont(input, pos + 1, len, c === 0xe0 ? 0xa0 : 0x80, c === 0xed ? 0x9f : 0xbf);
    cont(input, pos + 2, len, 0x80, 0xbf);
    return pos + 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    cont(input, pos + 1, len, c === 0xf0 ? 0x90 : 0x80, c === 0xf4 ? 0x8f : 0xbf);
    cont(input, pos + 2, len, 0x80, 0xbf);
    cont(input, pos + 3, len, 0x80, 0xbf);
    return pos + 4;
  }
  return fail("json.bad_utf8", pos);
}

/** 1 for the digits. */
const DIGIT = new Uint8Array(0x80).fill(1, 0x30, 0x3a);

function digits(input: Uint8Array, pos: number, len: number): number {
  if (pos >= len) fail("json.truncated", pos);
  if (DIGIT[input[pos]!] !== 1) fail("json.unexpected_byte", pos);
  pos++;
  while (DIGIT[input[pos]!] === 1) pos++; // undefined past the end
  return pos;
}

/** RFC 8259 section 6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; returns its end. */
export function scanNumber(input: Uint8Array, pos: number, len: number): number {
  if (input[pos] === 0x2d) pos++;
  if (pos >= len) fail("json.truncated", pos);
  if (input[pos] === 0x30) {
    pos++;
    const n = pos < len ? input[pos]! : 0;
    if (n >= 0x30 && n <= 0x39) fail("json.leading_zero", pos - 1);
  } else {
    pos = digits(input, pos, len);
  }
  if (pos < len && input[pos] === 0x2e) pos = digits(input, pos + 1, len);
  if (pos < len && (input[pos] === 0x65 || input[pos] === 0x45)) {
    pos++;
    if (pos < len && (input[pos] === 0x2b || input[pos] === 0x2d)) pos++;
    pos = digits(input, pos, len);
  }
  return pos;
}

export function scanLiteral(input: Uint8Array, pos: number, len: number, literal: readonly number[]): number {
  for (let i = 0; i < literal.length; i++) {
    if (pos + i >= len) fail("json.truncated", pos + i);
    if (input[pos + i] !== literal[i]) fail("json.unexpected_byte", pos + i);
  }
  return pos + literal.length;
}
