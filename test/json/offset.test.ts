// JsonDocument.parse at an offset: a payload read in place in its datagram (the gate's commands, issue 13).
import { test, assert } from "../harness/index.js";
import { JsonDocument, JsonError, T_OBJECT } from "../../src/json/index.js";
import { utf8Encode } from "../../src/utf8.js";

const HEADER = Uint8Array.of(0x44, 0x02, 0x12, 0x34, 0xff); // a CoAP header's bytes before the payload
const BYTE_MODE = { text: false } as const;

function framed(json: string): Uint8Array {
  const body = utf8Encode(json);
  const out = new Uint8Array(HEADER.length + body.length);
  out.set(HEADER);
  out.set(body, HEADER.length);
  return out;
}

test("JsonDocument.parse from an offset reads the text to the end, its offsets into the whole input", () => {
  const doc = new JsonDocument(8);
  const input = framed('{"token":"abc","state":"on"}');
  assert.equal(doc.parse(input, BYTE_MODE, HEADER.length), 5);
  assert.equal(doc.type(0), T_OBJECT);
  assert.equal(doc.start(0), HEADER.length);
  const t = doc.member(0, "token");
  assert.equal(doc.string(t), "abc");
  assert.equal(doc.start(t), HEADER.length + 10);
  assert.equal(doc.input, input, "not a copy");
  assert.ok(doc.stringEquals(doc.member(0, "state"), "on"));
});

test("JsonDocument.parse from an offset: limits count from it; text mode and bad offsets are refused", () => {
  const doc = new JsonDocument(8);
  const input = framed('{"a":1}'); // 7 bytes of JSON after 5 of header
  assert.equal(doc.parse(input, { text: false, maxBytes: 7 }, HEADER.length), 3);
  assert.throws(() => doc.parse(input, { text: false, maxBytes: 6 }, HEADER.length), { code: "json.too_large" });
  assert.throws(() => doc.parse(input, {}, HEADER.length), { instanceOf: RangeError }, "the header is not text");
  assert.throws(() => doc.parse(input, BYTE_MODE, -1), { instanceOf: RangeError });
  assert.throws(() => doc.parse(input, BYTE_MODE, input.length + 1), { instanceOf: RangeError });
  assert.throws(() => doc.parse(input, BYTE_MODE, 1.5), { instanceOf: RangeError });
  assert.throws(() => doc.parse(input, BYTE_MODE, 0), { instanceOf: JsonError }, "the header is not JSON");
  assert.throws(() => doc.parse(input, BYTE_MODE, input.length), { code: "json.truncated" });
  assert.equal(doc.count, 0, "a failed parse leaves the document empty");
});
