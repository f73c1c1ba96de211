/**
 * UTF-8 through the engine when it can, in JS when it cannot (src/utf8.ts).
 *
 * - XS with UTF-8 strings (Moddable devices: XS's default build) has `ArrayBuffer.fromString(s)`, a
 *   memcpy of the string's UTF-8, and `String.fromArrayBuffer(buffer, byteOffset, byteLength)`, which
 *   stops at a NUL byte and checks UTF-8 only loosely. The idpgate-xs test host is built the same way;
 *   XS built with mxCESU8 (UTF-16 strings) has neither.
 * - Node and browsers have TextEncoder/TextDecoder.
 *
 * Each native is used only where its weakness cannot show: the decoder only on bytes our tokenizer has
 * validated (UTF-8 well formed, no control character, so no NUL); the encoder only on strings without a
 * lone surrogate, and its output is checked for what is not UTF-8 there: an encoded surrogate (a pair XS
 * stored as two halves) or XS's two-byte NUL (C0 80).
 * The statics are reached through typed views of the constructors, never through `any`.
 */
import { lastIndexOf, slice } from "./_chars.js";
import { decodeString } from "./_decode.js";
import { utf8Encode } from "../utf8.js";

interface XsArrayBufferStatics {
  readonly fromString?: (this: ArrayBufferConstructor, s: string) => ArrayBuffer;
}
interface XsStringStatics {
  readonly fromArrayBuffer?: (buffer: ArrayBufferLike, byteOffset?: number, byteLength?: number) => string;
}
interface Utf8Encoder {
  encode(s: string): Uint8Array;
}
interface Utf8Decoder {
  decode(bytes: Uint8Array): string;
}
interface TextCodecGlobals {
  readonly TextEncoder?: new () => Utf8Encoder;
  readonly TextDecoder?: new () => Utf8Decoder;
}

const xsFromString = (ArrayBuffer as unknown as XsArrayBufferStatics).fromString;
const xsFromArrayBuffer = (String as unknown as XsStringStatics).fromArrayBuffer;
const codecs = globalThis as unknown as TextCodecGlobals;
const encoder: Utf8Encoder | undefined =
  xsFromString === undefined && codecs.TextEncoder !== undefined ? new codecs.TextEncoder() : undefined;
const decoder: Utf8Decoder | undefined =
  xsFromArrayBuffer === undefined && codecs.TextDecoder !== undefined ? new codecs.TextDecoder() : undefined;

/** Which codec this engine uses: for tests and benchmarks (`"xs"` on the XS test host and devices). */
export const TEXT_CODEC: "xs" | "text-codec" | "js" =
  xsFromString !== undefined && xsFromArrayBuffer !== undefined
    ? "xs"
    : encoder !== undefined && decoder !== undefined
      ? "text-codec"
      : "js";

/**
 * True when XS's bytes of a string are not its UTF-8: an encoded surrogate (ED A0..BF; XS may store a
 * pair as two halves) or a NUL, which XS stores as C0 80 (Modified UTF-8), a byte UTF-8 never holds.
 */
function notUtf8(bytes: Uint8Array): boolean {
  if (bytes.indexOf(0xc0) >= 0) return true;
  for (let at = bytes.indexOf(0xed); at >= 0; at = bytes.indexOf(0xed, at + 1)) if (bytes[at + 1]! >= 0xa0) return true;
  return false;
}

/** UTF-8 of `s`, which holds no lone surrogate (the caller checked). Allocates the result. */
export function encodeUtf8(s: string): Uint8Array {
  if (xsFromString !== undefined) {
    // Called on ArrayBuffer: it constructs its result from `this` (Moddable's XS throws "new: not a constructor" without it).
    const bytes = new Uint8Array(xsFromString.call(ArrayBuffer, s));
    if (!notUtf8(bytes)) return bytes;
  } else if (encoder !== undefined) return encoder.encode(s);
  return utf8Encode(s);
}

/**
 * The text of UTF-8 bytes [start, end) of `input` that the tokenizer validated (well formed, no byte
 * below 0x20) and that hold no escape.
 */
export function decodeValidUtf8(input: Uint8Array, start: number, end: number): string {
  if (xsFromArrayBuffer !== undefined) return xsFromArrayBuffer(input.buffer, input.byteOffset + start, end - start);
  if (decoder !== undefined) return decoder.decode(input.subarray(start, end));
  return decodeString(input, start, end, false);
}

const fromCharCode = String.fromCharCode;
/**
 * Characters per String.fromCharCode call: each is an argument slot on the XS stack (a device's is 512
 * slots; the XS test host aborts on overflow), and each further call costs a subarray (4 slots).
 */
const ASCII_CHUNK = 64;

/**
 * Bytes as char codes (Latin-1; ASCII for the callers): whole chunks of ASCII_CHUNK through
 * String.fromCharCode.apply (a subarray each), the rest 16 bytes a call with the arguments written out
 * (no subarray, no slot; about 9 computrons a byte on XS against 7.5 through apply).
 */
export function asciiText(input: Uint8Array, start: number, end: number): string {
  if (end - start <= ASCII_CHUNK && start === 0 && end === input.length)
    return String.fromCharCode.apply(null, input as unknown as number[]);
  let out = "";
  let pos = start;
  for (; end - pos >= ASCII_CHUNK; pos += ASCII_CHUNK)
    out += String.fromCharCode.apply(null, input.subarray(pos, pos + ASCII_CHUNK) as unknown as number[]);
  if (pos >= end) return out;
  let rest = "";
  const a = input;
  for (let p = pos; p < end; p += 16) {
    // Past the end of `input` a read gives undefined, a NUL here; what lies past `end` is cut off below.
    // prettier-ignore
    rest += fromCharCode(a[p]!, a[p + 1]!, a[p + 2]!, a[p + 3]!, a[p + 4]!, a[p + 5]!, a[p + 6]!, a[p + 7]!,
      a[p + 8]!, a[p + 9]!, a[p + 10]!, a[p + 11]!, a[p + 12]!, a[p + 13]!, a[p + 14]!, a[p + 15]!);
  }
  return out + slice.call(rest, 0, end - pos);
}

/** Anything but printable ASCII, tab, line feed and carriage return. */
const NOT_PLAIN_TEXT = /[^\x20-\x7e\t\n\r]/;
const test = RegExp.prototype.test;

/**
 * `input` as a string with the same character at every offset, when every byte is printable ASCII,
 * tab, line feed or carriage return (a JSON text from a provider nearly always is); otherwise undefined.
 * The tokenizer then finds strings with the engine's indexOf and readers slice them out of it.
 */
export function plainText(input: Uint8Array): string | undefined {
  const n = input.length;
  let text: string;
  if (xsFromArrayBuffer !== undefined) {
    try {
      text = xsFromArrayBuffer(input.buffer, input.byteOffset, n); // shorter at a NUL or a multi-byte sequence
    } catch {
      return undefined;
    }
  } else if (decoder !== undefined)
    text = decoder.decode(input); // a bad byte becomes U+FFFD
  else text = asciiText(input, 0, n); // bytes as Latin-1
  return lastIndexOf.call(text, "") === n && !test.call(NOT_PLAIN_TEXT, text) ? text : undefined;
}
