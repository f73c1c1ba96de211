/**
 * The suites that go through src/json/_text.ts, run again on XS without its native text codec: the
 * statics ArrayBuffer.fromString and String.fromArrayBuffer are deleted before any of src/ loads, so
 * TEXT_CODEC is "js", as on an XS built with mxCESU8 or an engine without TextEncoder. The idpgate-xs
 * host has the natives (as devices do), so without this file the JS encoders and decoders (utf8Encode,
 * decodeString, the ASCII request paths) would run on no XS at all.
 */
import { test, assert } from "../harness/index.js";

interface TextStatics {
  fromString?: unknown;
  fromArrayBuffer?: unknown;
}
delete (ArrayBuffer as unknown as TextStatics).fromString;
delete (String as unknown as TextStatics).fromArrayBuffer;

const { TEXT_CODEC } = await import("../../src/json/_text.js");
await import("./fast-paths.test.js");
await import("./tokenizer.test.js");
await import("./writer.test.js");
await import("./fuzz.test.js");
await import("../idp/request.test.js");
await import("../idp/answer.test.js");
await import("../astral.test.js");

test("these suites ran with the JS text codec", () => {
  assert.equal(TEXT_CODEC, "js");
});
