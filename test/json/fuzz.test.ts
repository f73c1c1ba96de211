import { test, assert, onNode, Prng } from "../harness/index.js";
import { JsonDocument, JsonError, utf8Encode } from "../../src/json/index.js";
import { TEXT_CASES } from "./corpus.fixture.js";

const SEED = 0x150b6a7e;
const ALPHABET = [
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  '"',
  "\\",
  " ",
  "\n",
  "0",
  "1",
  "9",
  "-",
  "+",
  ".",
  "e",
  "E",
  "u",
  "a",
  "t",
  "r",
  "f",
  "n",
  "l",
  "s",
  "d",
  "8",
  "c",
  "x",
  "/",
  "\t",
  "\u0001",
  "é",
  "€",
  "😀",
  "\ufeff",
  "true",
  "false",
  "null",
  '"a"',
  "\\u00e9",
  "\\ud83d\\ude00",
  "\\ud800",
  '{"k":',
  "[1,",
  "1e5",
  "-0.5",
];

function mutate(prng: Prng, base: string): string {
  let s = base;
  const edits = prng.between(1, 4);
  for (let e = 0; e < edits; e++) {
    const at = prng.below(s.length + 1);
    const piece = prng.pick(ALPHABET);
    switch (prng.below(3)) {
      case 0:
        s = s.slice(0, at) + piece + s.slice(at);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + prng.between(1, 3));
        break;
      default:
        s = s.slice(0, at) + piece + s.slice(at + 1);
    }
  }
  // Never leave a lone surrogate code unit: such a string has no UTF-8 form to feed the tokenizer.
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "?");
}

function randomText(prng: Prng): string {
  let s = "";
  const n = prng.between(0, 24);
  for (let i = 0; i < n; i++) s += prng.pick(ALPHABET);
  return s;
}

function ourCode(doc: JsonDocument, bytes: Uint8Array): string | undefined {
  try {
    doc.parse(bytes, { maxBytes: 1 << 20 });
    return undefined;
  } catch (error) {
    if (!(error instanceof JsonError)) throw new Error(`untyped error ${String(error)}`);
    return error.code;
  }
}

test(`fuzz: mutated and random documents agree with JSON.parse (seed ${SEED})`, () => {
  const prng = new Prng(SEED);
  const doc = new JsonDocument(256);
  const valid = TEXT_CASES.filter((c) => c.code === undefined).map((c) => c.text);
  const runs = onNode ? 1_000_000 : 3_000;
  let accepted = 0;
  let deviations = 0;
  for (let i = 0; i < runs; i++) {
    const text = prng.chance(0.8) ? mutate(prng, prng.pick(valid)) : randomText(prng);
    const code = ourCode(doc, utf8Encode(text));
    let reference = true;
    try {
      JSON.parse(text);
    } catch {
      reference = false;
    }
    if ((code === undefined) === reference) {
      if (reference) accepted++;
      continue;
    }
    // Documented deviations: we reject lone surrogate escapes and nesting beyond the depth limit.
    const allowed = reference && ((code === "json.bad_escape" && /\\u[dD][89a-fA-F]/.test(text)) || code === "json.too_deep");
    if (!allowed)
      assert.fail(
        `case ${i} (seed ${SEED}) disagrees with JSON.parse: ours ${code ?? "accept"}, JSON.parse ${reference ? "accept" : "reject"}: ${JSON.stringify(text)}`,
      );
    deviations++;
  }
  assert.ok(accepted > runs / 50, `enough valid cases to mean something (${accepted})`);
  assert.ok(deviations < runs / 10, `deviations stay rare (${deviations})`);
});

test(`fuzz: random and bit-flipped bytes raise nothing but JsonError (seed ${SEED + 1})`, () => {
  const prng = new Prng(SEED + 1);
  const doc = new JsonDocument(64);
  const valid = TEXT_CASES.filter((c) => c.code === undefined).map((c) => utf8Encode(c.text));
  const runs = onNode ? 200_000 : 1_000;
  for (let i = 0; i < runs; i++) {
    let bytes: Uint8Array;
    if (prng.chance(0.5)) {
      bytes = prng.bytes(prng.between(0, 40));
    } else {
      bytes = Uint8Array.from(prng.pick(valid));
      for (let k = prng.between(1, 3); k > 0 && bytes.length > 0; k--) bytes[prng.below(bytes.length)]! ^= 1 << prng.below(8);
    }
    ourCode(doc, bytes);
    if (doc.count > 0) assert.ok(doc.next(0) === doc.count, `case ${i}: root subtree covers all tokens`);
  }
});
