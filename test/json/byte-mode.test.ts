/**
 * Byte mode (`parse(input, { text: false })`): no text of the input is built, strings are found and read on
 * the bytes. It must give the same tokens, values and errors as the default (text) mode, over the corpus.
 * The gate parses its commands this way (issue 13: nothing allocated per datagram).
 */
import { test, assert } from "../harness/index.js";
import { JsonDocument, JsonError, T_STRING, utf8Encode } from "../../src/json/index.js";
import { BYTE_CASES, TEXT_CASES } from "./corpus.fixture.js";

interface Outcome {
  readonly error?: string;
  readonly tokens?: readonly (readonly [number, number, number, number, number, boolean, string | undefined])[];
}

function outcome(doc: JsonDocument, bytes: Uint8Array, text: boolean): Outcome {
  try {
    doc.parse(bytes, { text, maxDepth: 64 });
  } catch (error) {
    if (!(error instanceof JsonError)) throw error;
    return { error: `${error.code}@${error.offset}` };
  }
  const tokens = [];
  for (let i = 0; i < doc.count; i++) {
    const isString = doc.type(i) === T_STRING;
    tokens.push([
      doc.type(i),
      doc.start(i),
      doc.end(i),
      doc.size(i),
      doc.parent(i),
      isString && doc.escaped(i),
      isString ? doc.string(i) : undefined,
    ] as const);
  }
  return { tokens };
}

test("byte mode: the same tokens, string values, escape flags and errors as text mode, over the corpus", () => {
  const doc = new JsonDocument(512);
  let strings = 0;
  const inputs = [
    ...TEXT_CASES.map((c) => [c.name, utf8Encode(c.text)] as const),
    ...BYTE_CASES.map((c) => [c.name, Uint8Array.from(c.bytes)] as const),
  ];
  for (const [name, bytes] of inputs) {
    const bytesMode = outcome(doc, bytes, false);
    assert.deepEqual(bytesMode, outcome(doc, bytes, true), name);
    strings += bytesMode.tokens?.filter((t) => t[0] === T_STRING).length ?? 0;
  }
  assert.ok(strings > 20, `strings were compared (${strings})`);
});

test("byte mode: a command's members and values read in place; escaped() tells a string whose bytes are not its value", () => {
  const doc = new JsonDocument(24);
  doc.parse(utf8Encode('{"token":"tok-abc","state":"o\\u006e"}'), { text: false });
  const t = doc.member(0, "token");
  const s = doc.member(0, "state");
  assert.equal(doc.string(t), "tok-abc");
  assert.equal(doc.escaped(t), false);
  assert.equal(doc.escaped(s), true);
  assert.ok(doc.stringEquals(s, "on"));
  assert.throws(() => doc.escaped(9), { instanceOf: RangeError });
});
