/**
 * UTF-8 without TextEncoder/TextDecoder, which XS builds lack unless those modules are included.
 * One implementation for the whole library: CoAP options and payloads, JSON bodies, tests.
 *
 * Strings are read through `String.prototype` functions called on them (`charCodeAt.call(s, i)`, the length as
 * `lastIndexOf.call(s, "")`): `s.charCodeAt(i)` and `s.length` make XS box the primitive in a temporary
 * String object each time (see src/json/_chars.ts), which cost the gate ~490 slots per answer it encoded.
 *
 * Two string models, both handled by every function here and by every other string walk in src/:
 * - UTF-16 (Node, browsers, XS built with mxCESU8): `charCodeAt` gives code units, a character beyond
 *   U+FFFF is a surrogate pair, a surrogate without its partner is lone;
 * - UTF-8 (XS as Moddable builds it for devices and the simulator, and the idpgate-xs test host):
 *   `length` and indices count code points and `charCodeAt` gives the whole code point, so a result
 *   above 0xFFFF is one character (4 UTF-8 bytes). A surrogate code point there (from "\uD800", or
 *   the two halves of a pair concatenated apart) is read as a UTF-16 engine reads the same JS program:
 *   a high one followed by a low one is a pair, any other is lone.
 */
import { charCodeAt, lastIndexOf } from "./json/_chars.js";

/** Index of the first lone surrogate in `s`, or -1 (JSON refuses them; CoAP replaces them). */
export function loneSurrogateAt(s: string): number {
  for (let i = 0, n = lastIndexOf.call(s, ""); i < n; i++) {
    const c = charCodeAt.call(s, i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const low = charCodeAt.call(s, i + 1);
    if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) return i;
    i++;
  }
  return -1;
}

/** Bytes `utf8Encode(s)` produces (a lone surrogate counts as U+FFFD, 3 bytes; charCodeAt > 0xFFFF, 4). Allocates nothing. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0, end = lastIndexOf.call(s, ""); i < end; i++) {
    const c = charCodeAt.call(s, i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c > 0xffff) n += 4;
    else if (c < 0xd800 || c > 0xdbff) n += 3;
    else {
      const low = charCodeAt.call(s, i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    }
  }
  return n;
}

/** UTF-8 bytes of `s`; lone surrogates become U+FFFD (WHATWG encode semantics). */
export function utf8Encode(s: string): Uint8Array {
  const out = new Uint8Array(utf8Length(s));
  let p = 0;
  for (let i = 0, n = lastIndexOf.call(s, ""); i < n; i++) {
    let c = charCodeAt.call(s, i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const low = charCodeAt.call(s, i + 1);
      if (c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      } else c = 0xfffd;
    }
    if (c < 0x80) out[p++] = c;
    else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 0x3f);
    } else if (c < 0x10000) {
      out[p++] = 0xe0 | (c >> 12);
      out[p++] = 0x80 | ((c >> 6) & 0x3f);
      out[p++] = 0x80 | (c & 0x3f);
    } else {
      out[p++] = 0xf0 | (c >> 18);
      out[p++] = 0x80 | ((c >> 12) & 0x3f);
      out[p++] = 0x80 | ((c >> 6) & 0x3f);
      out[p++] = 0x80 | (c & 0x3f);
    }
  }
  return out;
}

/** Decodes UTF-8, replacing malformed sequences with U+FFFD; never throws. */
export function utf8Decode(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = "";
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    let cp = 0xfffd;
    let n = 1;
    if (b < 0x80) cp = b;
    else if (b >= 0xc2 && b < 0xe0 && i + 1 < end && (bytes[i + 1]! & 0xc0) === 0x80) {
      cp = ((b & 31) << 6) | (bytes[i + 1]! & 63);
      n = 2;
    } else if (b >= 0xe0 && b < 0xf0 && i + 2 < end && (bytes[i + 1]! & 0xc0) === 0x80 && (bytes[i + 2]! & 0xc0) === 0x80) {
      cp = ((b & 15) << 12) | ((bytes[i + 1]! & 63) << 6) | (bytes[i + 2]! & 63);
      n = 3;
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
    } else if (
      b >= 0xf0 &&
      b < 0xf5 &&
      i + 3 < end &&
      (bytes[i + 1]! & 0xc0) === 0x80 &&
      (bytes[i + 2]! & 0xc0) === 0x80 &&
      (bytes[i + 3]! & 0xc0) === 0x80
    ) {
      cp = ((b & 7) << 18) | ((bytes[i + 1]! & 63) << 12) | ((bytes[i + 2]! & 63) << 6) | (bytes[i + 3]! & 63);
      n = 4;
      if (cp < 0x10000 || cp > 0x10ffff) cp = 0xfffd;
    }
    s += String.fromCodePoint(cp);
    i += n;
  }
  return s;
}
