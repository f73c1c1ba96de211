/**
 * The request encoder's paths (src/idp/request.ts): a plain ASCII token is mapped through charCodeAt in
 * the engine, a long one copied in JS, anything else goes through JSON.stringify and a native encoder or
 * the JsonWriter. Every path must give the JsonWriter's exact bytes.
 */
import { test, assert } from "../harness/index.js";
import { JsonDocument, JsonWriter } from "../../src/json/index.js";
import {
  encodeIntrospectionRequest,
  IntrospectionRequestEncoder,
  writeIntrospectionRequest,
  type ClientCredentials,
} from "../../src/idp/index.js";

/** The body as the JsonWriter alone writes it (the reference). */
function reference(token: string, c?: ClientCredentials): Uint8Array {
  const body = (w: JsonWriter): void => {
    w.beginObject().member("token", token);
    if (c?.clientId !== undefined) w.member("client_id", c.clientId);
    if (c?.clientSecret !== undefined) w.member("client_secret", c.clientSecret);
    w.endObject();
  };
  const measure = new JsonWriter();
  body(measure);
  const out = new Uint8Array(measure.offset);
  body(new JsonWriter(out));
  return out;
}

const TOKENS = [
  "tok-" + "Qx7".repeat(32),
  "x",
  "a".repeat(244), // without credentials the largest request (256 bytes) of the mapped path
  "a".repeat(245),
  "b".repeat(3000),
  'with "quotes" and \\ backslash',
  "ctl\u0000\u001f\t\n",
  "caf\u00e9 \u20ac \ud83d\ude00",
  "\u007f del and / slash",
  "\\ud800 is text here, not a surrogate",
];
const CREDENTIALS: (ClientCredentials | undefined)[] = [
  undefined,
  { clientId: "test.device.01" },
  { clientId: "d\u00e9v", clientSecret: 's"e\\c' },
  { clientSecret: "only-secret" },
];

test("request encoder: every path gives the JsonWriter's exact bytes, for one token or many", () => {
  for (const c of CREDENTIALS) {
    const encoder = new IntrospectionRequestEncoder(c);
    for (let round = 0; round < 2; round++) {
      for (const token of TOKENS) {
        const expected = reference(token, c);
        assert.bytesEqual(encoder.encode(token), expected, `encode, ${token.length} chars`);
        assert.bytesEqual(encodeIntrospectionRequest(token, c), expected, `encodeIntrospectionRequest, ${token.length} chars`);
        const out = new Uint8Array(expected.length + 9).fill(0xee);
        const end = encoder.write(out, token, 5);
        assert.equal(end, 5 + expected.length);
        assert.bytesEqual(out.subarray(5, end), expected, `write, ${token.length} chars`);
        assert.bytesEqual(out.subarray(0, 5), [0xee, 0xee, 0xee, 0xee, 0xee], "nothing before the offset");
        assert.bytesEqual(out.subarray(end), [0xee, 0xee, 0xee, 0xee], "nothing after the end");
      }
    }
  }
  const doc = new JsonDocument(16);
  doc.parse(encodeIntrospectionRequest("caf\u00e9 \ud83d\ude00", { clientId: "c" }));
  assert.secretEqual(JSON.parse(doc.text(0)), { token: "caf\u00e9 \ud83d\ude00", client_id: "c" });
});

test("request encoder: a lone surrogate anywhere is idp.bad_token; a small buffer json.buffer_too_small", () => {
  const encoder = new IntrospectionRequestEncoder({ clientId: "c" });
  for (const token of ["a\ud800", "\ud800b", "a\udc00b", "\ude00\ud83d", "x".repeat(300) + "\ud83d"]) {
    assert.throws(() => encoder.encode(token), { code: "idp.bad_token" }, `token of ${token.length}`);
    assert.throws(() => encoder.write(new Uint8Array(400), token), { code: "idp.bad_token" });
  }
  for (const c of [{ clientId: "\ud800" }, { clientSecret: "s\udfff" }]) {
    assert.throws(() => new IntrospectionRequestEncoder(c).encode("tok"), { code: "idp.bad_token" }, "credential");
    assert.throws(() => writeIntrospectionRequest(new Uint8Array(100), "tok", c), { code: "idp.bad_token" });
  }
  const out = new Uint8Array(20).fill(7);
  assert.throws(() => encoder.write(out, "tok-123456789"), { code: "json.buffer_too_small" });
  assert.bytesEqual(out, new Uint8Array(20).fill(7), "nothing written");
  assert.throws(() => encoder.write(new Uint8Array(60), "tok", 50), { code: "json.buffer_too_small" });
  assert.throws(() => encoder.encode(""), { code: "idp.bad_token" });
});
