/**
 * The tokenizer's text mode and the readers' fast paths (src/json/_text.ts, _tokenize.ts): a document
 * of printable ASCII is scanned with the engine's indexOf and read by slicing its text; anything else
 * (escapes, non-ASCII, control characters) goes through the byte scanner and the JS decoder. Both must
 * give the same tokens, values and errors, on Node (TextDecoder) and on XS (String.fromArrayBuffer, and the JS
 * decoder when test/json/text-codec-js.xs.test.ts runs this suite again without it).
 */
import { test, assert } from "../harness/index.js";
import { JsonDocument, JsonError, T_STRING, utf8Encode } from "../../src/json/index.js";
import { encodeUtf8 } from "../../src/json/_text.js";

function errorOf(doc: JsonDocument, bytes: Uint8Array): { code: string; offset: number } | undefined {
  try {
    doc.parse(bytes);
    return undefined;
  } catch (error) {
    if (!(error instanceof JsonError)) throw error;
    return { code: error.code, offset: error.offset };
  }
}

test("fast paths: escape-free and escaped strings read the same (string, stringEquals, member, members)", () => {
  const doc = new JsonDocument(32);
  for (const text of ['{"key":"abc","n":12}', '{"k\\u0065y":"\\u0061bc","n":12}', '{"key":"a\\u0062c","\\u006e":12}']) {
    doc.parse(utf8Encode(text));
    const v = doc.member(0, "key");
    assert.ok(v > 0, text);
    assert.equal(doc.type(v), T_STRING, text);
    assert.equal(doc.string(v), "abc", text);
    assert.ok(doc.stringEquals(v, "abc") && !doc.stringEquals(v, "ab") && !doc.stringEquals(v, "abcd"), text);
    assert.equal(doc.number(doc.member(0, "n")), 12, text);
    const at = new Int32Array(3);
    assert.equal(doc.members(0, ["n", "key", "absent"], at), 0, text);
    assert.deepEqual([...at], [doc.member(0, "n"), v, -1], text);
  }
});

test("fast paths: a key written once plainly and once escaped is a duplicate", () => {
  const doc = new JsonDocument(16);
  for (const text of ['{"active":true,"\\u0061ctive":false}', '{"\\u0061ctive":true,"active":false}']) {
    doc.parse(utf8Encode(text));
    assert.throws(() => doc.member(0, "active"), { code: "json.duplicate_key" }, text);
    assert.throws(() => doc.members(0, ["active"], new Int32Array(1)), { code: "json.duplicate_key" }, text);
  }
  doc.parse(utf8Encode('{"a":1,"b":2,"a":3}'));
  assert.equal(doc.members(0, ["b"], new Int32Array(1)), 2, "members not asked for are counted, duplicates or not");
  doc.parse(utf8Encode("[1]"));
  assert.throws(() => doc.members(0, ["a"], new Int32Array(1)), { code: "json.wrong_type" });
});

test("fast paths: a view with a byte offset into a larger buffer", () => {
  const doc = new JsonDocument(16);
  const body = utf8Encode('{"sub":"dev-1","scope":"a b","exp":1700000000,"t":true,"u":"\\u00e9t\u00e9"}');
  const big = new Uint8Array(body.length + 21).fill(0x22); // quotes around it: a scan past either end would show
  big.set(body, 13);
  const view = big.subarray(13, 13 + body.length);
  assert.equal(view.byteOffset, 13);
  doc.parse(view);
  assert.equal(doc.string(doc.member(0, "sub")), "dev-1");
  assert.equal(doc.string(doc.member(0, "scope")), "a b");
  assert.ok(doc.listContains(doc.member(0, "scope"), "b"));
  assert.equal(doc.number(doc.member(0, "exp")), 1700000000);
  assert.equal(doc.boolean(doc.member(0, "t")), true);
  assert.equal(doc.string(doc.member(0, "u")), "\u00e9t\u00e9");
  assert.deepEqual(JSON.parse(doc.text(0)), JSON.parse('{"sub":"dev-1","scope":"a b","exp":1700000000,"t":true,"u":"\\u00e9t\u00e9"}'));
});

test("fast paths: NUL, tab, line feed and other control bytes inside a string are refused where they are", () => {
  const doc = new JsonDocument(16);
  for (const [prefix, byte] of [
    ['{"a":"x', 0x00],
    ['{"a":"x', 0x09],
    ['{"a":"x', 0x0a],
    ['{"a":"x', 0x0d],
    ['{"a":"x', 0x01],
    ['{"a":"x', 0x1f],
    ['{"a', 0x00],
    ['{"a', 0x0a],
  ] as const) {
    const bytes = Uint8Array.from([...utf8Encode(prefix), byte, ...utf8Encode('y"}')]);
    assert.deepEqual(errorOf(doc, bytes), { code: "json.control_char", offset: prefix.length }, `${prefix} + ${byte}`);
  }
  // The same bytes between tokens are whitespace (tab, line feed, carriage return) or not allowed.
  doc.parse(utf8Encode('{\n\t"a" :\r\n "x\\ty" ,\n "b":[1,\n2]}\n'));
  assert.equal(doc.string(doc.member(0, "a")), "x\ty");
  assert.deepEqual(errorOf(doc, Uint8Array.from([0x7b, 0x00, 0x7d])), { code: "json.unexpected_byte", offset: 1 });
  // A backslash after a line feed between tokens: the string still needs the escape decoder.
  doc.parse(utf8Encode('{"a":1,\n"b":"q\\"r","c":"plain"}'));
  assert.equal(doc.string(doc.member(0, "b")), 'q"r');
  assert.equal(doc.string(doc.member(0, "c")), "plain");
});

test("fast paths: non-ASCII text reads the same, in keys and values, and bad UTF-8 is still refused", () => {
  const doc = new JsonDocument(16);
  const text = '{"caf\u00e9":"\u00fcber \u20ac \ud83d\ude00","plain":"ascii","esc":"\\ud83d\\ude00"}';
  doc.parse(utf8Encode(text));
  assert.equal(doc.string(doc.member(0, "caf\u00e9")), "\u00fcber \u20ac \ud83d\ude00");
  assert.ok(doc.stringEquals(doc.member(0, "caf\u00e9"), "\u00fcber \u20ac \ud83d\ude00"));
  assert.equal(doc.string(doc.member(0, "plain")), "ascii");
  assert.equal(doc.string(doc.member(0, "esc")), "\ud83d\ude00");
  assert.deepEqual(JSON.parse(doc.text(0)), JSON.parse(text));
  const at = new Int32Array(2);
  assert.equal(doc.members(0, ["plain", "caf\u00e9"], at), 1);
  assert.deepEqual([...at], [doc.member(0, "plain"), doc.member(0, "caf\u00e9")]);
  // An overlong slash and a lone continuation byte, in an otherwise plain document.
  assert.deepEqual(errorOf(doc, Uint8Array.from([0x22, 0x61, 0xc0, 0xaf, 0x22])), { code: "json.bad_utf8", offset: 2 });
  assert.deepEqual(errorOf(doc, Uint8Array.from([0x22, 0x80, 0x22])), { code: "json.bad_utf8", offset: 1 });
});

test("fast paths: a lone surrogate escape is refused in keys and values; numbers keep their errors", () => {
  const doc = new JsonDocument(16);
  for (const text of ['{"a":"\\ud800"}', '{"\\udc00":1}', '["\\ud83dx"]'])
    assert.equal(errorOf(doc, utf8Encode(text))?.code, "json.bad_escape", text);
  assert.deepEqual(errorOf(doc, utf8Encode('{"a":01}')), { code: "json.leading_zero", offset: 5 });
  assert.deepEqual(errorOf(doc, utf8Encode('{"a":1.}')), { code: "json.unexpected_byte", offset: 7 });
  assert.deepEqual(errorOf(doc, utf8Encode('{"a":tru}')), { code: "json.unexpected_byte", offset: 8 });
  assert.deepEqual(errorOf(doc, utf8Encode('{"a":"x')), { code: "json.truncated", offset: 7 });
  assert.deepEqual(errorOf(doc, utf8Encode('{"a":1e999}')), undefined);
  assert.throws(() => doc.number(doc.member(0, "a")), { code: "json.not_finite" });
  doc.parse(utf8Encode("[-0.5e+2,123456789012345678,true,false,null]"));
  assert.deepEqual(JSON.parse(doc.text(0)), [-50, 123456789012345678, true, false, null]);
  assert.equal(doc.number(1), -50);
  assert.equal(doc.number(2), 123456789012345678);
});

test("token layout: sizes far above the type bits survive the packing (size << 4 beside the type)", () => {
  const doc = new JsonDocument(1300);
  const members = Array.from({ length: 200 }, (_, i) => `"k${i}":[${i}]`).join(",");
  const text = `[{${members}},[${Array.from({ length: 600 }, (_, i) => i).join(",")}],"\\u0041",true]`;
  doc.parse(utf8Encode(text), { maxBytes: 8192 });
  assert.equal(doc.size(0), 4);
  assert.equal(doc.size(1), 200);
  const list = doc.next(1);
  assert.equal(doc.size(list), 600);
  assert.equal(doc.number(list + 600), 599);
  assert.equal(doc.string(doc.next(list)), "A");
  assert.equal(doc.boolean(doc.count - 1), true);
  assert.equal(doc.number(doc.member(1, "k199") + 1), 199);
  const at = new Int32Array(2);
  assert.equal(doc.members(1, ["k0", "k199"], at), 198);
  assert.equal(doc.number(at[1]! + 1), 199);
  assert.equal(doc.size(2), 1, "a key's size is 1");
});

test("encodeUtf8: a NUL and a pair's halves concatenated apart come out as UTF-8 on every codec", () => {
  // XS's own bytes of such strings are not UTF-8 (C0 80 for the NUL, two 3-byte halves for the pair).
  const halves = String.fromCharCode(0xd83d) + String.fromCharCode(0xde00);
  assert.bytesEqual(encodeUtf8("a\u0000b"), [0x61, 0x00, 0x62]);
  assert.bytesEqual(encodeUtf8(`x${halves}`), [0x78, 0xf0, 0x9f, 0x98, 0x80]);
  assert.bytesEqual(encodeUtf8(`\u0000${halves}\u00e9`), [0x00, 0xf0, 0x9f, 0x98, 0x80, 0xc3, 0xa9]);
});
