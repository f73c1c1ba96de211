/**
 * Characters beyond U+FFFF on both string models (src/utf8.ts): UTF-16 strings (Node), where one is a
 * surrogate pair, and XS's UTF-8 strings (devices, the simulator, the idpgate-xs test host), where it is
 * one character whose charCodeAt is the code point. Strings are built with String.fromCodePoint, which
 * means the same on both; every walk of a string in src/ must give the same bytes and answers on both.
 * The halves of a pair concatenated apart (one string on Node, two surrogate code points on XS) are read
 * as the pair; a surrogate without its partner is lone, and refused wherever it is refused.
 */
import { test, assert } from "./harness/index.js";
import { loneSurrogateAt, utf8Decode, utf8Encode, utf8Length } from "../src/utf8.js";
import { JsonDocument, JsonError, JsonWriter, jsonStringLength, utf8Encode as jsonUtf8Encode } from "../src/json/index.js";
import { OptionNumber, parseCoapUri, pathOptions, uriOptions } from "../src/coap/index.js";
import { AnswerMapper, encodeIntrospectionRequest, IdpError, MAX_PROVIDER_TEXT, writeIntrospectionRequest } from "../src/idp/index.js";
import { SipHash128 } from "../src/verifier/index.js";

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const GRIN = String.fromCodePoint(0x1f600);
const FIRST = String.fromCodePoint(0x10000);
const LAST = String.fromCodePoint(0x10ffff);
const GRIN_UTF8 = [0xf0, 0x9f, 0x98, 0x80];
const FIRST_UTF8 = [0xf0, 0x90, 0x80, 0x80];
const LAST_UTF8 = [0xf4, 0x8f, 0xbf, 0xbf];
/** Mixed text: ASCII, 2-, 3- and 4-byte characters. */
const TEXT = `a${GRIN}\u00e9${FIRST}\u20ac${LAST}z`;
const TEXT_UTF8 = [0x61, ...GRIN_UTF8, 0xc3, 0xa9, ...FIRST_UTF8, 0xe2, 0x82, 0xac, ...LAST_UTF8, 0x7a];
const HIGH = String.fromCharCode(0xd83d);
const LOW = String.fromCharCode(0xde00);
/** U+1F600 as its two halves, concatenated apart: two characters on XS, the pair on Node. */
const SPLIT = HIGH + LOW;
/** Strings holding a lone surrogate, and where. */
const LONE: ReadonlyArray<readonly [string, number]> = [
  [HIGH, 0],
  [`a${LOW}`, 1],
  [LOW + HIGH, 0],
  [`${GRIN}${HIGH}x`, GRIN.length],
  [`${HIGH}${GRIN}`, 0],
];

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

test("utf8: characters beyond U+FFFF are 4 bytes each way; lone surrogates become U+FFFD", () => {
  assert.equal(utf8Length(TEXT), TEXT_UTF8.length);
  assert.bytesEqual(utf8Encode(TEXT), TEXT_UTF8);
  assert.equal(utf8Decode(Uint8Array.from(TEXT_UTF8)), TEXT);
  assert.equal(utf8Decode(Uint8Array.from(GRIN_UTF8)), GRIN);
  assert.equal(loneSurrogateAt(TEXT), -1);
  assert.equal(utf8Length(SPLIT), 4);
  assert.bytesEqual(utf8Encode(SPLIT), GRIN_UTF8);
  assert.equal(loneSurrogateAt(SPLIT), -1);
  for (const [s, at] of LONE) {
    assert.equal(loneSurrogateAt(s), at, `lone surrogate at ${at}`);
    assert.equal(utf8Length(s), utf8Encode(s).length, `length of a string with a lone surrogate at ${at}`);
  }
  assert.bytesEqual(utf8Encode(`${HIGH}x`), [0xef, 0xbf, 0xbd, 0x78]);
  assert.bytesEqual(utf8Encode(`${GRIN}${LOW}`), [...GRIN_UTF8, 0xef, 0xbf, 0xbd]);
});

test("JSON writer: such characters are written as their UTF-8, sized exactly; lone surrogates refused", () => {
  const expected = [0x7b, 0x22, 0x6b, ...GRIN_UTF8, 0x22, 0x3a, 0x22, ...TEXT_UTF8, 0x22, 0x7d];
  for (const value of [TEXT, `a${SPLIT}\u00e9${FIRST}\u20ac${LAST}z`]) {
    const measure = new JsonWriter().beginObject().member(`k${GRIN}`, value).endObject();
    assert.equal(measure.offset, expected.length, "measured size");
    const out = new Uint8Array(expected.length);
    new JsonWriter(out).beginObject().member(`k${GRIN}`, value).endObject();
    assert.bytesEqual(out, expected);
    assert.equal(jsonStringLength(value), TEXT_UTF8.length + 2);
    assert.bytesEqual(jsonUtf8Encode(value), TEXT_UTF8);
  }
  for (const [s, at] of LONE) {
    assert.throws(() => new JsonWriter().string(s), { code: "json.lone_surrogate", instanceOf: JsonError }, `lone at ${at}`);
    assert.throws(() => new JsonWriter(new Uint8Array(64)).beginObject().key(s), { code: "json.lone_surrogate" }, `key, lone at ${at}`);
    assert.ok(jsonStringLength(s) < 0, `jsonStringLength, lone at ${at}`);
    assert.throws(() => jsonUtf8Encode(s), { code: "json.lone_surrogate" }, `utf8Encode, lone at ${at}`);
  }
});

test("JSON tokenizer and readers: raw 4-byte UTF-8 and escaped pairs read as the same characters", () => {
  const key = `k${GRIN}`;
  const value = `v${GRIN}${LAST}`;
  const scope = `read ${GRIN} write`;
  // The same document twice: raw UTF-8 (built byte by byte, not by our encoder), then all escaped.
  const raw = Uint8Array.from([
    ...ascii('{"k'),
    ...GRIN_UTF8,
    ...ascii('":"v'),
    ...GRIN_UTF8,
    ...LAST_UTF8,
    ...ascii('","scope":"read '),
    ...GRIN_UTF8,
    ...ascii(' write"}'),
  ]);
  const escaped = Uint8Array.from(ascii('{"k\\uD83D\\uDE00":"v\\ud83d\\ude00\\uDBFF\\uDFFF","scope":"read \\uD83D\\uDE00 write"}'));
  const doc = new JsonDocument(16);
  for (const [name, input] of [
    ["raw", raw],
    ["escaped", escaped],
  ] as const) {
    doc.parse(input);
    const v = doc.member(0, key);
    assert.ok(v > 0, `${name}: member by a key beyond U+FFFF`);
    assert.ok(doc.member(0, `k${SPLIT}`) === v, `${name}: the key's halves concatenated apart`);
    assert.equal(doc.member(0, "k"), -1, `${name}: a prefix of the key is not it`);
    assert.equal(doc.string(v), value, name);
    assert.ok(doc.stringEquals(v, value) && doc.stringEquals(v, `v${SPLIT}${LAST}`), `${name}: stringEquals`);
    assert.ok(!doc.stringEquals(v, `v${GRIN}`) && !doc.stringEquals(v, `v${HIGH}`) && !doc.stringEquals(v, `v${LAST}${GRIN}`), name);
    const s = doc.member(0, "scope");
    assert.equal(doc.string(s), scope, name);
    assert.ok(doc.listContains(s, GRIN) && doc.listContains(s, SPLIT) && doc.listContains(s, "write"), `${name}: listContains`);
    assert.ok(!doc.listContains(s, HIGH) && !doc.listContains(s, `${GRIN}x`) && !doc.listContains(s, LAST), `${name}: listContains`);
    assert.deepEqual(JSON.parse(utf8Decode(input)), { [key]: value, scope }, `${name}: as JSON.parse reads it`);
  }
  // Lone surrogate escapes, and a pair stored as two 3-byte halves (CESU-8), are refused.
  for (const text of ['"\\uD83D"', '"\\uDE00"', '"\\uD83Dx"', '"\\uD83D\\u0041"', '"\\uDE00\\uD83D"'])
    assert.throws(() => doc.parse(Uint8Array.from(ascii(text))), { code: "json.bad_escape" }, text);
  assert.throws(() => doc.parse(Uint8Array.of(0x22, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80, 0x22)), { code: "json.bad_utf8" });
});

test("CoAP: Uri-Path and Uri-Query options carry the UTF-8 of such characters", () => {
  const options = pathOptions(`/idp/${GRIN}${LAST}`, `q=${FIRST}&x`);
  assert.deepEqual(
    options.map((o) => o.number),
    [OptionNumber.URI_PATH, OptionNumber.URI_PATH, OptionNumber.URI_QUERY, OptionNumber.URI_QUERY],
  );
  assert.bytesEqual(options[1]!.value, [...GRIN_UTF8, ...LAST_UTF8]);
  assert.bytesEqual(options[2]!.value, [0x71, 0x3d, ...FIRST_UTF8]);
  // Written as the character or percent-encoded, a segment is the same bytes.
  const uri = parseCoapUri(`coap://example.org/a/${GRIN}/%F0%9F%98%80/${SPLIT}`);
  for (let i = 1; i < 4; i++) assert.bytesEqual(uri.pathSegments[i]!, GRIN_UTF8, `segment ${i}`);
  const values = uriOptions(uri).map((o) => utf8Decode(o.value));
  assert.deepEqual(values, ["example.org", "a", GRIN, GRIN, GRIN]);
  // CoAP replaces a lone surrogate (it does not refuse it).
  assert.bytesEqual(pathOptions(`/${HIGH}`)[0]!.value, [0xef, 0xbf, 0xbd]);
});

test("introspection request: tokens and credentials beyond U+FFFF; lone surrogates are idp.bad_token", () => {
  const token = `t${GRIN}${LAST}`;
  const expected = Uint8Array.from([
    ...ascii('{"token":"t'),
    ...GRIN_UTF8,
    ...LAST_UTF8,
    ...ascii('","client_id":"c'),
    ...FIRST_UTF8,
    ...ascii('","client_secret":"s'),
    ...GRIN_UTF8,
    ...ascii('"}'),
  ]);
  const credentials = { clientId: `c${FIRST}`, clientSecret: `s${GRIN}` };
  // Only a verdict on failure: the body holds a token and a client secret.
  assert.ok(sameBytes(encodeIntrospectionRequest(token, credentials), expected), "request bytes with astral credentials");
  const out = new Uint8Array(expected.length + 2);
  assert.equal(writeIntrospectionRequest(out, token, { ...credentials, offset: 1 }), expected.length + 1);
  assert.ok(sameBytes(out.subarray(1, expected.length + 1), expected), "request bytes written at an offset");
  // A token whose pair was concatenated apart: the same text (as raw UTF-8 or as an escaped pair).
  for (const body of [encodeIntrospectionRequest(`t${SPLIT}`), out.subarray(0, writeIntrospectionRequest(out, `t${SPLIT}`))])
    assert.secretEqual(JSON.parse(utf8Decode(body)), { token: `t${GRIN}` });
  for (const [s, at] of LONE) {
    assert.throws(() => encodeIntrospectionRequest(s), { code: "idp.bad_token" }, `token, lone at ${at}`);
    assert.throws(() => writeIntrospectionRequest(out, s), { code: "idp.bad_token" }, `write, lone at ${at}`);
    assert.throws(() => encodeIntrospectionRequest("tok", { clientId: s }), { code: "idp.bad_token" }, `client_id, lone at ${at}`);
  }
});

test("SipHash: updateString hashes the UTF-8 of such characters", () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const hash = (feed: (h: SipHash128) => void): string => {
    const h = new SipHash128(key);
    feed(h);
    const out = new Uint32Array(4);
    h.finish(out);
    return Array.from(out, (w) => w.toString(16)).join(".");
  };
  for (const s of [TEXT, `tok-${GRIN}`, `12345678${LAST}`, `a${SPLIT}`])
    assert.equal(
      hash((h) => h.updateString(s)),
      hash((h) => h.update(utf8Encode(s))),
    );
});

test("provider text is cut to MAX_PROVIDER_TEXT characters, never inside a character", () => {
  const mapper = new AnswerMapper();
  const description = `${"m".repeat(MAX_PROVIDER_TEXT - 1)}${GRIN}tail`;
  const body = jsonUtf8Encode(JSON.stringify({ error: "FORBIDDEN", error_description: description }));
  const error = assert.throws(() => mapper.map({ code: "4.03", contentFormat: 50, payload: body }));
  assert.ok(error instanceof IdpError);
  const message = (error as IdpError).provider?.message ?? "";
  assert.equal(loneSurrogateAt(message), -1);
  assert.ok(message.startsWith("m".repeat(MAX_PROVIDER_TEXT - 1)) && message.endsWith("...") && !message.includes("tail"), message);
});
