import { test, assert, onNode, Prng } from "../harness/index.js";
import { JsonDocument, JsonError, JsonWriter, utf8Encode } from "../../src/json/index.js";

function write(build: (w: JsonWriter) => void): Uint8Array {
  const measure = new JsonWriter();
  build(measure);
  const out = new Uint8Array(measure.offset);
  const w = new JsonWriter(out);
  build(w);
  assert.equal(w.offset, out.length, "measuring mode gives the exact size");
  return out;
}

function decode(bytes: Uint8Array): string {
  const doc = new JsonDocument(64);
  doc.parse(bytes);
  return doc.text(0);
}

test("writer: an introspection request body", () => {
  const bytes = write((w) => w.beginObject().member("token", "abc").member("client_id", "dev-1").endObject());
  assert.equal(decode(bytes), '{"token":"abc","client_id":"dev-1"}');
});

test("writer: nested arrays, numbers, booleans and null", () => {
  const bytes = write((w) =>
    w.beginArray().number(1.5).number(-0).boolean(true).null().beginObject().key("a").beginArray().endArray().endObject().endArray(),
  );
  assert.deepEqual(JSON.parse(decode(bytes)), [1.5, 0, true, null, { a: [] }]);
});

test("writer: escaping of quotes, backslash and every control character", () => {
  let s = '"\\/\u007f\u2028';
  for (let c = 0; c < 0x20; c++) s += String.fromCharCode(c);
  const bytes = write((w) => w.string(s));
  const text = decode(bytes);
  assert.equal(JSON.parse(text), s);
  assert.ok(text.includes("\\b\\t\\n\\u000b\\f\\r"), "short escapes where JSON has them");
});

test("writer: random strings round-trip through our tokenizer and JSON.parse", () => {
  const prng = new Prng(0x5eed);
  const doc = new JsonDocument(4);
  const runs = onNode ? 20_000 : 500;
  for (let i = 0; i < runs; i++) {
    let s = "";
    for (let n = prng.between(0, 12); n > 0; n--) {
      const r = prng.below(4);
      if (r === 0) s += String.fromCharCode(prng.below(0x80));
      else if (r === 1) s += String.fromCharCode(prng.between(0x80, 0xd7ff));
      else if (r === 2) s += String.fromCharCode(prng.between(0xe000, 0xffff));
      else s += String.fromCodePoint(prng.between(0x10000, 0x10ffff));
    }
    const bytes = write((w) => w.string(s));
    doc.parse(bytes);
    assert.ok(doc.stringEquals(0, s), `case ${i}: stringEquals`);
    assert.equal(doc.string(0), s, `case ${i}: string`);
    assert.equal(JSON.parse(doc.text(0)), s, `case ${i}: JSON.parse`);
  }
});

test("writer: lone surrogates are refused with json.lone_surrogate", () => {
  for (const s of ["\ud800", "a\udc00", "\ud800\ud800", "\udc00\ud800", "x\ud83d"]) {
    assert.throws(() => new JsonWriter().string(s), { code: "json.lone_surrogate", instanceOf: JsonError });
    assert.throws(() => utf8Encode(s), { code: "json.lone_surrogate" });
  }
});

test("writer: a small buffer fails with json.buffer_too_small; misuse fails with json.writer_state", () => {
  assert.throws(() => new JsonWriter(new Uint8Array(5)).string("abcdef"), { code: "json.buffer_too_small" });
  assert.throws(() => new JsonWriter().beginObject().string("x"), { code: "json.writer_state" });
  assert.throws(() => new JsonWriter().beginArray().endObject(), { code: "json.writer_state" });
  assert.throws(() => new JsonWriter().key("a"), { code: "json.writer_state" });
  assert.throws(() => new JsonWriter().number(1).number(2), { code: "json.writer_state" });
  assert.throws(() => new JsonWriter().number(NaN), { code: "json.not_finite" });
});
