import { test, assert } from "../harness/index.js";
import { utf8Encode } from "../../src/json/index.js";
import {
  AnswerMapper,
  answerTokensFor,
  coapCodeOf,
  IdpAnswerTooLarge,
  IdpBadContentFormat,
  IdpError,
  IdpMalformedAnswer,
  IdpMethodNotAllowed,
  IdpServerError,
  IdpUnauthorized,
  IdpUnexpectedCode,
  MAX_ANSWER_BYTES,
  MAX_ANSWER_TOKENS,
  type CoapAnswer,
} from "../../src/idp/index.js";

const ACTIVE =
  '{"active": true, "sub": "test.device.01", "scope": "tenant.demo refresh.token temp", "iss": "https://iot-idp.demo.apps.iothentix.com/", "exp": 1658179642}';
const FORBIDDEN =
  '{"error": "FORBIDDEN", "error_uri": "iot-idp.demo.apps.iothentix.com", "error_description": "The requested action was forbidden"}';
const SERVER =
  '{"error": {"code": 500, "status": "Internal Server Error", "request": "req-7f3a", "message": "An internal server error occurred, please contact the system administrator"}}';

function answer(code: number | string, body: string | Uint8Array, contentFormat: number | null = 50, maxAge?: number): CoapAnswer {
  return {
    code,
    contentFormat: contentFormat ?? undefined,
    payload: typeof body === "string" ? utf8Encode(body) : body,
    ...(maxAge === undefined ? {} : { maxAge }),
  };
}

function mapError(mapper: AnswerMapper, a: CoapAnswer): IdpError {
  const error = assert.throws(() => mapper.map(a));
  assert.ok(error instanceof IdpError, "an IdpError");
  return error as IdpError;
}

test("IDP-API 2.01 active: claims with sub, scope, iss, exp", () => {
  const mapper = new AnswerMapper();
  for (const code of [65, "2.01"]) {
    const claims = mapper.map(answer(code, ACTIVE));
    assert.equal(claims.active, true);
    assert.equal(claims.sub, "test.device.01");
    assert.equal(claims.scope, "tenant.demo refresh.token temp");
    assert.equal(claims.iss, "https://iot-idp.demo.apps.iothentix.com/");
    assert.equal(claims.exp, 1658179642);
    assert.ok(claims.hasScope("refresh.token") && !claims.hasScope("refresh") && !claims.hasScope("tenant.demo refresh.token"));
    assert.equal(claims.hasUnknownClaims, false);
  }
});

test("IDP-API 2.01 active with unknown claims: kept and readable by name", () => {
  const claims = new AnswerMapper().map(answer(65, '{"active":true,"sub":"d","cnf":{"kid":"k1"},"aud":["a","b"],"client_id":"x"}'));
  assert.ok(claims.hasUnknownClaims);
  assert.deepEqual(claims.claim("cnf"), { kid: "k1" });
  assert.deepEqual(claims.claim("aud"), ["a", "b"]);
  assert.equal(claims.claim("client_id"), "x");
  assert.equal(claims.claim("sub"), "d");
  assert.equal(claims.claim("nope"), undefined);
});

test("IDP-API 2.01 inactive: active false, nothing else", () => {
  const claims = new AnswerMapper().map(answer("2.01", '{"active": false}'));
  assert.equal(claims.active, false);
  assert.equal(claims.sub, undefined);
  assert.equal(
    new AnswerMapper().map(answer(69, '{"active":false,"sub":"ignored"}')).active,
    false,
    "any 2.xx with a JSON object is an answer",
  );
});

test("IDP-API 4.01: IdpUnauthorized with the FORBIDDEN body's fields", () => {
  const e = mapError(new AnswerMapper(), answer("4.01", FORBIDDEN));
  assert.ok(e instanceof IdpUnauthorized);
  assert.equal(e.code, "idp.unauthorized");
  assert.equal(e.fault, "caller");
  assert.equal(e.coapCode, 129);
  assert.deepEqual(e.provider, {
    error: "FORBIDDEN",
    message: "The requested action was forbidden",
    errorUri: "iot-idp.demo.apps.iothentix.com",
  });
  assert.ok(/4\.01/.test(e.message) && /forbidden/.test(e.message));
  const bare = mapError(new AnswerMapper(), answer(129, "", null));
  assert.equal(bare.code, "idp.unauthorized");
  assert.equal(bare.provider, undefined);
});

test("IDP-API 4.05: IdpMethodNotAllowed, no payload", () => {
  const e = mapError(new AnswerMapper(), answer("4.05", "", null));
  assert.ok(e instanceof IdpMethodNotAllowed);
  assert.equal(e.code, "idp.method_not_allowed");
});

test("IDP-API 5.00: IdpServerError keeps the nested error's request id and message", () => {
  const e = mapError(new AnswerMapper(), answer("5.00", SERVER));
  assert.ok(e instanceof IdpServerError);
  assert.equal(e.code, "idp.server_error");
  assert.equal((e as IdpServerError).requestId, "req-7f3a");
  assert.deepEqual(e.provider, {
    error: "Internal Server Error",
    message: "An internal server error occurred, please contact the system administrator",
    requestId: "req-7f3a",
    status: 500,
  });
  assert.ok(e.message.includes("req-7f3a"));
});

test("IDP-API other codes: 4.00, 4.04, 4.13, 5.03 with Max-Age, 4.03 body are IdpUnexpectedCode", () => {
  const mapper = new AnswerMapper();
  for (const code of ["4.00", "4.04", "4.13", "4.03", "5.02", "1.00", "3.00", 0]) {
    const e = mapError(mapper, answer(code, "", null));
    assert.ok(e instanceof IdpUnexpectedCode, String(code));
    assert.equal(e.code, "idp.unexpected_code");
  }
  const e = mapError(mapper, answer("5.03", "", null, 30)) as IdpUnexpectedCode;
  assert.equal(e.maxAge, 30);
  assert.equal(e.coapCode, 163);
  const forbidden = mapError(mapper, answer("4.03", '{"error":"FORBIDDEN","error_description":"no"}'));
  assert.deepEqual(forbidden.provider, { error: "FORBIDDEN", message: "no" });
  for (const bad of ["2.1", "x.01", "2.32", "9.00", -1, 256, 1.5])
    assert.equal(mapError(mapper, answer(bad, "")).code, "idp.unexpected_code", String(bad));
});

test("malformed answers: bad JSON, not an object, missing or non-boolean active, bad claim types", () => {
  const mapper = new AnswerMapper();
  const cases = [
    "",
    "{",
    '{"active":true,}',
    "[]",
    '"active"',
    "{}",
    '{"active":"true"}',
    '{"active":1}',
    '{"active":null}',
    '{"sub":"x"}',
    '{"active":true,"sub":7}',
    '{"active":true,"exp":"1658179642"}',
    '{"active":true,"exp":1e999}',
    '{"active":true,"scope":["a"]}',
    '{"active":false,"active":true}',
    '{"active":true,"iss":null}',
  ];
  for (const body of cases) {
    const e = mapError(mapper, answer(65, body));
    assert.ok(e instanceof IdpMalformedAnswer, body);
    assert.equal(e.code, "idp.malformed_answer", body);
  }
  assert.equal(
    mapError(mapper, answer(65, Uint8Array.from([0x7b, 0x22, 0xc0, 0x80, 0x22, 0x3a, 0x31, 0x7d]))).code,
    "idp.malformed_answer",
  );
});

test("wrong content format on 2.xx: IdpBadContentFormat", () => {
  const mapper = new AnswerMapper();
  for (const cf of [0, 60, 42, undefined]) {
    const e = mapError(mapper, { code: 65, contentFormat: cf, payload: utf8Encode('{"active":true}') });
    assert.ok(e instanceof IdpBadContentFormat);
    assert.equal(e.code, "idp.bad_content_format");
  }
});

test("oversized answers: IdpAnswerTooLarge by bytes and by token count", () => {
  const mapper = new AnswerMapper({ maxAnswerBytes: 256, maxTokens: 16 });
  const big = `{"active":true,"pad":"${"x".repeat(300)}"}`;
  assert.ok(mapError(mapper, answer(65, big)) instanceof IdpAnswerTooLarge);
  const many = `{"active":true,"a":[${Array.from({ length: 20 }, (_, i) => i).join(",")}]}`;
  assert.equal(mapError(mapper, answer(65, many)).code, "idp.answer_too_large");
  assert.equal(new AnswerMapper().map(answer(65, ACTIVE)).active, true);
});

test("default limits: a 3.5 KB answer with many claims is taken, one byte over MAX_ANSWER_BYTES is not; the pool follows the limit", () => {
  const claims = Array.from({ length: 60 }, (_, i) => `"claim_${i}":"${"v".repeat(40)}"`).join(",");
  const body = `{"active":true,"sub":"d","scope":"${"tenant.scope ".repeat(60)}relay.write",${claims}}`;
  assert.ok(body.length >= 3500 && body.length <= MAX_ANSWER_BYTES, `answer of ${body.length} bytes`);
  const mapper = new AnswerMapper();
  assert.equal(mapper.maxAnswerBytes, MAX_ANSWER_BYTES);
  const taken = mapper.map(answer(65, body));
  assert.equal(taken.hasScope("relay.write") && taken.claim("claim_59"), "v".repeat(40));
  const over = `{"active":true,"pad":"${"x".repeat(MAX_ANSWER_BYTES - 23)}"}`;
  assert.equal(over.length, MAX_ANSWER_BYTES + 1);
  assert.ok(mapError(mapper, answer(65, over)) instanceof IdpAnswerTooLarge);
  assert.equal(answerTokensFor(MAX_ANSWER_BYTES), MAX_ANSWER_TOKENS);
  assert.equal(answerTokensFor(8192), 2 * MAX_ANSWER_TOKENS);
  // 200 one-digit numbers fit 1 KB of bytes but not the 64 tokens of a 1 KB limit
  const dense = `{"active":true,"a":[${Array.from({ length: 200 }, () => 1).join(",")}]}`;
  assert.equal(mapError(new AnswerMapper({ maxAnswerBytes: 1024 }), answer(65, dense)).code, "idp.answer_too_large");
  assert.equal(new AnswerMapper({ maxAnswerBytes: 1024, maxTokens: 256 }).map(answer(65, dense)).active, true);
  assert.throws(() => new AnswerMapper({ maxAnswerBytes: 0 }), { code: "idp.bad_option" });
});

test("coapCodeOf: numeric and dotted forms", () => {
  assert.equal(coapCodeOf("2.01"), 65);
  assert.equal(coapCodeOf("5.03"), 163);
  assert.equal(coapCodeOf(65), 65);
  assert.equal(coapCodeOf("2.1"), -1);
  assert.equal(coapCodeOf("2.a1"), -1);
});

test("IntrospectionClaims.toJSON gives every claim, unknown ones included, as JSON.parse would", () => {
  const mapper = new AnswerMapper();
  const known = mapper.map(answer(65, ACTIVE));
  assert.deepEqual(known.toJSON(), JSON.parse(ACTIVE));
  const extra = '{"active":true,"sub":"d","cnf":{"kid":"k1"},"aud":["a","b"],"exp":5}';
  assert.deepEqual(mapper.map(answer(65, extra)).toJSON(), JSON.parse(extra));
  assert.deepEqual(mapper.map(answer(65, '{"active":false}')).toJSON(), { active: false });
});

test("aud (RFC 7662 section 2.2): a string or a list of strings; anything else is malformed", () => {
  const m = new AnswerMapper();
  const one = m.map(answer(65, '{"active": true, "aud": "gate-a"}'));
  assert.equal(one.aud, "gate-a");
  assert.equal(one.hasAudience("gate-a"), true);
  assert.equal(one.hasUnknownClaims, false, "aud is a known claim: no copy of the bytes kept");
  const list = m.map(answer(65, '{"active": true, "aud": ["gate-a", "gate-\\u0062"]}'));
  assert.deepEqual(list.aud, ["gate-a", "gate-b"]);
  assert.equal(list.hasAudience("gate-b"), true);
  assert.equal(list.hasAudience("gate-c"), false);
  assert.deepEqual(list.toJSON(), { active: true, aud: ["gate-a", "gate-b"] });
  assert.equal(m.map(answer(65, '{"active": true}')).hasAudience("gate-a"), false);
  for (const bad of [
    '{"active": true, "aud": 7}',
    '{"active": true, "aud": ["a", 1]}',
    '{"active": true, "aud": {"a": 1}}',
    '{"active": true, "aud": "a", "aud": "b"}',
  ]) {
    const e = mapError(m, answer(65, bad));
    assert.ok(e instanceof IdpMalformedAnswer, bad);
    assert.equal(e.code, "idp.malformed_answer", bad);
  }
});
