/**
 * The idpgate-xs host has a device's string model (hosts/xs/c/host_platform.h: no mxCESU8): strings hold
 * UTF-8, a character beyond U+FFFF is one character whose charCodeAt is the code point, and the engine's
 * text codec (ArrayBuffer.fromString, String.fromArrayBuffer) exists and is the one src/json/_text.ts uses.
 * Built with mxCESU8 (UTF-16 strings, as Node), every test in this file fails.
 */
import { test, assert } from "../harness/index.js";
import { TEXT_CODEC } from "../../src/json/_text.js";

interface TextStatics {
  readonly fromString?: (s: string) => ArrayBuffer;
  readonly fromArrayBuffer?: (buffer: ArrayBufferLike) => string;
}

test("strings are UTF-8: U+1F600 is one character, charCodeAt gives its code point", () => {
  const grin = String.fromCodePoint(0x1f600);
  assert.equal(grin.length, 1);
  assert.equal(grin.charCodeAt(0), 0x1f600);
  // The halves of a pair concatenated apart stay two characters (src/utf8.ts reads them as the pair).
  assert.equal((String.fromCharCode(0xd83d) + String.fromCharCode(0xde00)).length, 2);
});

test("the engine's text codec is there and in use", () => {
  const { fromString } = ArrayBuffer as unknown as TextStatics;
  const { fromArrayBuffer } = String as unknown as TextStatics;
  assert.ok(fromString !== undefined && fromArrayBuffer !== undefined, "ArrayBuffer.fromString and String.fromArrayBuffer");
  const text = `a${String.fromCodePoint(0x1f600)}`;
  const bytes = new Uint8Array(fromString(text)); // called detached, as src/json/_text.ts calls it
  assert.bytesEqual(bytes, [0x61, 0xf0, 0x9f, 0x98, 0x80]);
  assert.equal(fromArrayBuffer(bytes.buffer), text);
  assert.equal(TEXT_CODEC, "xs");
});
