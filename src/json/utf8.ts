/**
 * Sizing and encoding helpers shared by the writer, the request encoder and tests: UTF-8 of JS strings
 * (lone surrogates are refused, as in the writer).
 */
import { JsonError } from "./errors.js";
import { loneSurrogateAt, utf8Encode as encode } from "../utf8.js";

/** UTF-8 bytes of a string (allocates; lone surrogates throw `json.lone_surrogate`). */
export function utf8Encode(s: string): Uint8Array {
  const at = loneSurrogateAt(s);
  if (at >= 0) throw new JsonError("json.lone_surrogate", at, "string holds a lone surrogate", "caller");
  return encode(s);
}

/**
 * Bytes the writer needs for `s` as a JSON string, quotes included; a very negative number when `s`
 * holds a lone surrogate (so that any sum containing it stays negative). Allocates nothing. A charCodeAt
 * above 0xFFFF is a whole code point (XS's UTF-8 strings, src/utf8.ts): 4 bytes, as a pair is.
 */
export function jsonStringLength(s: string): number {
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x80) n += c === 0x22 || c === 0x5c ? 2 : 1;
    else if (c < 0x20) n += c === 0x08 || c === 0x0c || c === 0x0a || c === 0x0d || c === 0x09 ? 2 : 6;
    else if (c < 0x800) n += 2;
    else if (c > 0xffff) n += 4;
    else if (c < 0xd800 || c > 0xdfff) n += 3;
    else {
      const low = s.charCodeAt(i + 1);
      if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) return -1e9;
      n += 4;
      i++;
    }
  }
  return n;
}
