import { test, assert } from "../harness/index.js";
import { JsonDocument, utf8Encode } from "../../src/json/index.js";
import {
  IdpError,
  IdpUnavailable,
  IntrospectionClient,
  encodeIntrospectionRequest,
  MAX_ANSWER_BYTES,
  writeIntrospectionRequest,
  type CoapAnswer,
  type IntrospectionPostOptions,
  type IntrospectionTransport,
} from "../../src/idp/index.js";

const TOKEN = "tok-" + "A".repeat(96);
const SECRET = "s3cr3t-value";

interface Sent {
  path: string;
  body: unknown;
  options: IntrospectionPostOptions;
}

class FakeTransport implements IntrospectionTransport {
  readonly sent: Sent[] = [];
  constructor(readonly reply: (body: unknown) => Promise<CoapAnswer>) {}
  post(path: string, payload: Uint8Array, options: IntrospectionPostOptions): Promise<CoapAnswer> {
    const doc = new JsonDocument(16);
    doc.parse(payload);
    const body: unknown = JSON.parse(doc.text(0));
    this.sent.push({ path, body, options });
    return this.reply(body);
  }
}

const active = (): Promise<CoapAnswer> =>
  Promise.resolve({ code: 65, contentFormat: 50, payload: utf8Encode('{"active":true,"sub":"d1","scope":"s"}') });

test("request: the body has token, client_id, client_secret, and nothing when not configured", () => {
  const doc = new JsonDocument(8);
  doc.parse(encodeIntrospectionRequest(TOKEN));
  assert.secretEqual(JSON.parse(doc.text(0)), { token: TOKEN });
  doc.parse(encodeIntrospectionRequest('a"b\\c', { clientId: "dev-1", clientSecret: SECRET }));
  assert.secretEqual(JSON.parse(doc.text(0)), { token: 'a"b\\c', client_id: "dev-1", client_secret: SECRET });
  const out = new Uint8Array(200);
  const end = writeIntrospectionRequest(out, TOKEN, { offset: 3, clientId: "c" });
  assert.equal(end, 3 + encodeIntrospectionRequest(TOKEN, { clientId: "c" }).length);
  assert.throws(() => writeIntrospectionRequest(new Uint8Array(20), TOKEN), { code: "json.buffer_too_small" });
  assert.throws(() => encodeIntrospectionRequest(""), { code: "idp.bad_token" });
  assert.equal(encodeIntrospectionRequest("x".repeat(3000)).length, 3012, "length limits are the client's");
  assert.throws(() => encodeIntrospectionRequest("a\ud800"), { code: "idp.bad_token" });
});

test("client: posts to /idp/introspect with Content-Format and Accept 50 and maps the answer", async () => {
  const transport = new FakeTransport(active);
  const client = new IntrospectionClient(transport, { clientId: "dev-1", clientSecret: SECRET, timeoutMs: 5000 });
  const claims = await client.introspect(TOKEN);
  assert.equal(claims.sub, "d1");
  assert.equal(transport.sent.length, 1);
  const sent = transport.sent[0]!;
  assert.equal(sent.path, "/idp/introspect");
  assert.deepEqual(sent.options, { contentFormat: 50, accept: 50, timeoutMs: 5000, maxAnswerBytes: MAX_ANSWER_BYTES });
  assert.secretEqual(sent.body, { token: TOKEN, client_id: "dev-1", client_secret: SECRET });
});

test("client: a transport failure becomes IdpUnavailable with the cause; mapped errors pass through", async () => {
  const cause = new Error("timeout");
  const down = new IntrospectionClient(new FakeTransport(() => Promise.reject(cause)), { clientSecret: SECRET });
  const e = (await assert.rejects(down.introspect(TOKEN), { code: "idp.unavailable", instanceOf: IdpUnavailable })) as IdpUnavailable;
  assert.equal((e as { cause?: unknown }).cause, cause);
  assert.equal(e.fault, "environment");
  const refused = new IntrospectionClient(
    new FakeTransport(() => Promise.resolve({ code: "4.01", contentFormat: 50, payload: utf8Encode('{"error":"FORBIDDEN"}') })),
  );
  await assert.rejects(refused.introspect(TOKEN), { code: "idp.unauthorized", instanceOf: IdpError });
  await assert.rejects(refused.introspect(""), { code: "idp.bad_token" });
});

test("client: no error message or code ever contains the token or the secret", async () => {
  const answers: Array<() => Promise<CoapAnswer>> = [
    () => Promise.reject(new Error("link down")),
    () => Promise.resolve({ code: "4.01", contentFormat: 50, payload: utf8Encode('{"error":"FORBIDDEN"}') }),
    () => Promise.resolve({ code: "5.00", contentFormat: 50, payload: utf8Encode('{"error":{"request":"r1"}}') }),
    () => Promise.resolve({ code: "2.01", contentFormat: 50, payload: utf8Encode("{") }),
    () => Promise.resolve({ code: "2.01", contentFormat: 0, payload: utf8Encode("{}") }),
    () => Promise.resolve({ code: "4.04", contentFormat: undefined, payload: new Uint8Array(0) }),
  ];
  for (const reply of answers) {
    const client = new IntrospectionClient(new FakeTransport(reply), { clientSecret: SECRET });
    const e = await assert.rejects(client.introspect(TOKEN));
    const text = `${String(e)} ${(e as Error).stack ?? ""} ${JSON.stringify(e)}`;
    assert.ok(!text.includes(TOKEN) && !text.includes(SECRET), "no secret in the error");
  }
});

test("client: a token above maxTokenLength is refused before anything is sent", async () => {
  const transport = new FakeTransport(active);
  const client = new IntrospectionClient(transport, { maxTokenLength: 16 });
  await assert.rejects(client.introspect("x".repeat(17)), { code: "idp.bad_token" });
  assert.equal(transport.sent.length, 0);
  assert.equal((await client.introspect("x".repeat(16))).sub, "d1");
});
