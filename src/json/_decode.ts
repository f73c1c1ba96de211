import { charCodeAt } from "./_chars.js";

/**
 * Decoding of already validated string content, one code point at a time, without allocation.
 * The result packs the code point and the bytes consumed: `cp * 16 + consumed` (consumed <= 12).
 */
function hex(input: Uint8Array, pos: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const c = input[pos + i]!;
    v = (v << 4) | (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
  }
  return v;
}

/** Next code point of validated UTF-8 at `pos`; with `escapes`, JSON escapes are decoded too. */
export function decodeAt(input: Uint8Array, pos: number, escapes: boolean): number {
  const c = input[pos]!;
  if (c < 0x80) {
    if (c !== 0x5c || !escapes) return c * 16 + 1;
    const e = input[pos + 1]!;
    switch (e) {
      case 0x62:
        return 0x08 * 16 + 2;
      case 0x66:
        return 0x0c * 16 + 2;
      case 0x6e:
        return 0x0a * 16 + 2;
      case 0x72:
        return 0x0d * 16 + 2;
      case 0x74:
        return 0x09 * 16 + 2;
      case 0x75: {
        const u = hex(input, pos + 2);
        if (u < 0xd800 || u > 0xdbff) return u * 16 + 6;
        const low = hex(input, pos + 8);
        return (0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00)) * 16 + 12;
      }
      default:
        return e * 16 + 2;
    }
  }
  if (c < 0xe0) return (((c & 0x1f) << 6) | (input[pos + 1]! & 0x3f)) * 16 + 2;
  if (c < 0xf0) return (((c & 0x0f) << 12) | ((input[pos + 1]! & 0x3f) << 6) | (input[pos + 2]! & 0x3f)) * 16 + 3;
  return (((c & 0x07) << 18) | ((input[pos + 1]! & 0x3f) << 12) | ((input[pos + 2]! & 0x3f) << 6) | (input[pos + 3]! & 0x3f)) * 16 + 4;
}

/** Compares decoded content [start, end) with a JS string, character by character. */
export function contentEquals(input: Uint8Array, start: number, end: number, s: string, escapes: boolean): boolean {
  let j = 0;
  let pos = start;
  while (pos < end) {
    const b = input[pos]!;
    if (b < 0x80 && b !== 0x5c) {
      // Plain ASCII: compare in place (keys and scopes are almost always only this).
      if (charCodeAt.call(s, j) !== b) return false;
      j++;
      pos++;
      continue;
    }
    const r = decodeAt(input, pos, escapes);
    pos += r & 15;
    j = matchAt(s, j, r >>> 4);
    if (j < 0) return false;
  }
  return isEnd(s, j);
}

/**
 * The index in `s` after code point `cp` when `s` holds it at `j`, else -1. Beyond U+FFFF that is one
 * character on XS's UTF-8 strings and a surrogate pair on UTF-16 ones (src/utf8.ts): either matches.
 */
function matchAt(s: string, j: number, cp: number): number {
  const c = charCodeAt.call(s, j);
  if (c === cp) return j + 1;
  if (cp < 0x10000 || c !== 0xd800 + ((cp - 0x10000) >> 10) || charCodeAt.call(s, j + 1) !== 0xdc00 + ((cp - 0x10000) & 0x3ff)) return -1;
  return j + 2;
}

/** True when `j` is past the end of `s` (charCodeAt gives NaN there). */
function isEnd(s: string, j: number): boolean {
  const c = charCodeAt.call(s, j);
  return c !== c;
}

/** Decodes content [start, end) into a JS string (allocates: only when a caller reads a field). */
export function decodeString(input: Uint8Array, start: number, end: number, escapes: boolean): string {
  let out = "";
  let pos = start;
  while (pos < end) {
    // Runs of plain ASCII go through String.fromCharCode in chunks of at most ASCII_CHUNK arguments:
    // far fewer intermediate strings, and a bounded number of stack slots for the arguments.
    let run = pos;
    while (run < end && run - pos < ASCII_CHUNK && input[run]! < 0x80 && input[run] !== 0x5c) run++;
    if (run > pos) {
      out += String.fromCharCode.apply(null, input.subarray(pos, run) as unknown as number[]);
      pos = run;
      continue;
    }
    const r = decodeAt(input, pos, escapes);
    pos += r & 15;
    out += String.fromCodePoint(r >>> 4);
  }
  return out;
}

const ASCII_CHUNK = 32;

/** True when the space-separated list in [start, end) contains `word` (RFC 6749 section 3.3). */
export function listContainsAt(input: Uint8Array, start: number, end: number, word: string, escapes: boolean): boolean {
  if (isEnd(word, 0)) return false;
  let j = 0;
  let ok = true;
  let pos = start;
  while (pos <= end) {
    let cp = 0x20;
    if (pos < end) {
      const r = decodeAt(input, pos, escapes);
      pos += r & 15;
      cp = r >>> 4;
    } else {
      pos++;
    }
    if (cp === 0x20) {
      if (ok && isEnd(word, j)) return true;
      ok = true;
      j = 0;
    } else if (ok) {
      // Scope tokens are printable ASCII (RFC 6749 %x21 / %x23-5B / %x5D-7E), but any text is compared
      // exactly, as spaceListContains does on strings: the same answer on both string models.
      if (charCodeAt.call(word, j) === cp) j++;
      else {
        j = cp > 0xffff ? matchAt(word, j, cp) : -1; // a surrogate pair of a UTF-16 string
        ok = j >= 0;
      }
    }
  }
  return false;
}
