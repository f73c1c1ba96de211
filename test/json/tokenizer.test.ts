import { test, assert } from "../harness/index.js";
import { JsonDocument, JsonError, T_ARRAY, T_NUMBER, T_OBJECT, T_STRING, utf8Encode } from "../../src/json/index.js";
import { isIdpgateError } from "../../src/errors.js";
import { BYTE_CASES, DEVIATIONS, TEXT_CASES } from "./corpus.fixture.js";

function parseCode(doc: JsonDocument, bytes: Uint8Array): string | undefined {
  try {
    doc.parse(bytes);
    return undefined;
  } catch (error) {
    if (!(error instanceof JsonError)) throw error;
    return error.code;
  }
}

function jsonParseAccepts(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

test("corpus: each text case gives the expected result and agrees with JSON.parse", () => {
  const doc = new JsonDocument(64);
  assert.ok(TEXT_CASES.length + BYTE_CASES.length >= 100, "corpus has at least 100 cases");
  for (const c of TEXT_CASES) {
    const code = parseCode(doc, utf8Encode(c.text));
    assert.equal(code, c.code, `${c.name}: expected ${c.code ?? "accept"}, got ${code ?? "accept"}`);
    const agrees = (code === undefined) === jsonParseAccepts(c.text);
    assert.equal(agrees, !DEVIATIONS.has(c.name), `${c.name}: agreement with JSON.parse`);
  }
});

test("corpus: invalid UTF-8 byte cases are rejected with their code", () => {
  const doc = new JsonDocument(16);
  for (const c of BYTE_CASES) assert.equal(parseCode(doc, Uint8Array.from(c.bytes)), c.code, c.name);
});

test("prefix-by-prefix: every proper prefix of a valid document is valid or json.truncated", () => {
  const doc = new JsonDocument(64);
  for (const c of TEXT_CASES) {
    if (c.code !== undefined) continue;
    const bytes = utf8Encode(c.text);
    for (let len = 0; len < bytes.length; len++) {
      const code = parseCode(doc, bytes.subarray(0, len));
      if (code === undefined) continue;
      // A prefix ending after a complete value is legal JSON with trailing whitespace cut.
      assert.equal(code, "json.truncated", `${c.name} prefix ${len}: ${code}`);
    }
  }
});

test("tokens: layout of an introspection answer (type, start, end, size, parent)", () => {
  const doc = new JsonDocument(16);
  const bytes = utf8Encode('{"active":true,"scope":"a b","n":[1,{"x":null}]}');
  assert.equal(doc.parse(bytes), 11);
  assert.equal(doc.type(0), T_OBJECT);
  assert.equal(doc.size(0), 3);
  assert.equal(doc.end(0), bytes.length);
  assert.equal(doc.type(1), T_STRING);
  assert.equal(doc.size(1), 1);
  assert.equal(doc.parent(1), 0);
  assert.equal(doc.parent(2), 1);
  const n = doc.member(0, "n");
  assert.equal(doc.type(n), T_ARRAY);
  assert.equal(doc.size(n), 2);
  assert.equal(doc.type(n + 1), T_NUMBER);
  assert.equal(doc.next(n), 11);
  assert.equal(doc.next(0), 11);
  assert.equal(doc.member(0, "missing"), -1);
});

test("limits: too many tokens, too large, too deep are typed errors with stable codes", () => {
  const small = new JsonDocument(3);
  assert.throws(() => small.parse(utf8Encode("[1,2,3]")), { code: "json.too_many_tokens", instanceOf: JsonError });
  assert.equal(small.parse(utf8Encode("[1,2]")), 3);
  const doc = new JsonDocument(8);
  assert.throws(() => doc.parse(new Uint8Array(5000)), { code: "json.too_large" });
  assert.throws(() => doc.parse(utf8Encode("[1,2]"), { maxBytes: 4 }), { code: "json.too_large" });
  assert.throws(() => doc.parse(utf8Encode("[[1]]"), { maxDepth: 1 }), { code: "json.too_deep" });
  const error = assert.throws(() => doc.parse(utf8Encode("[1,]")));
  assert.ok(isIdpgateError(error, "json."));
  assert.equal((error as JsonError).fault, "peer");
  assert.equal((error as JsonError).offset, 3);
  assert.equal(doc.count, 0, "a failed parse leaves the document empty");
});

test("readers: member, string, number, integer, boolean, listContains, text", () => {
  const doc = new JsonDocument(32);
  doc.parse(
    utf8Encode(
      '{"s":"a\\"b\\u00e9\\ud83d\\ude00","n":-12.5e-1,"i":1658179642,"big":1e999,"t":true,"f":false,"l":"tenant.demo refresh.token  temp","o":{"k":[1,"x"]},"\\u0065sc":1}',
    ),
  );
  assert.equal(doc.string(doc.member(0, "s")), 'a"bé😀');
  assert.ok(doc.stringEquals(doc.member(0, "s"), 'a"bé😀'));
  assert.ok(!doc.stringEquals(doc.member(0, "s"), 'a"bé'));
  assert.equal(doc.number(doc.member(0, "n")), -1.25);
  assert.equal(doc.integer(doc.member(0, "i")), 1658179642);
  assert.throws(() => doc.integer(doc.member(0, "n")), { code: "json.not_integer" });
  assert.throws(() => doc.number(doc.member(0, "big")), { code: "json.not_finite" });
  assert.equal(doc.boolean(doc.member(0, "t")), true);
  assert.equal(doc.boolean(doc.member(0, "f")), false);
  assert.throws(() => doc.boolean(doc.member(0, "s")), { code: "json.wrong_type" });
  assert.throws(() => doc.string(doc.member(0, "n")), { code: "json.wrong_type" });
  const l = doc.member(0, "l");
  for (const w of ["tenant.demo", "refresh.token", "temp"]) assert.ok(doc.listContains(l, w), w);
  for (const w of ["tenant", "demo", "temp2", "", " ", "refresh.token  temp", "emp"])
    assert.ok(!doc.listContains(l, w), `not ${JSON.stringify(w)}`);
  assert.deepEqual(JSON.parse(doc.text(doc.member(0, "o"))), { k: [1, "x"] });
  assert.equal(JSON.parse(doc.text(doc.member(0, "s"))), 'a"bé😀');
  assert.ok(doc.member(0, "esc") > 0, "keys are compared after unescaping");
});

test("readers: a duplicate key fails closed with json.duplicate_key", () => {
  const doc = new JsonDocument(8);
  doc.parse(utf8Encode('{"active":false,"active":true}'));
  assert.throws(() => doc.member(0, "active"), { code: "json.duplicate_key" });
});

test("readers: numbers agree with JSON.parse", () => {
  const doc = new JsonDocument(4);
  for (const text of [
    "0",
    "-0",
    "7",
    "123456789012345",
    "1234567890123456789",
    "-9007199254740993",
    "0.1",
    "1e-7",
    "2.5E+3",
    "-1.7976931348623157e308",
    "5e-324",
  ]) {
    doc.parse(utf8Encode(text));
    assert.equal(doc.number(0), JSON.parse(text) as number, text);
  }
});
