import { test, assert, Prng, onNode } from "../harness/index.js";
import { spaceListContains } from "../../src/idp/index.js";

test("spaceListContains answers as a split-and-compare reference on random lists over a small alphabet", () => {
  const seed = 0x5c09e;
  const prng = new Prng(seed);
  const alphabet = ["a", "b", " ", "é", "😀"];
  const text = (max: number): string => {
    let s = "";
    const n = prng.u32() % (max + 1);
    for (let i = 0; i < n; i++) s += alphabet[prng.u32() % alphabet.length]!;
    return s;
  };
  const runs = onNode ? 100_000 : 3_000;
  for (let i = 0; i < runs; i++) {
    const list = text(10);
    const word = text(3);
    assert.equal(spaceListContains(list, word), reference(list, word), `seed ${seed} run ${i}: ${JSON.stringify([list, word])}`);
  }
});

/** The obvious, allocating definition: RFC 6749 §3.3 scope-tokens are non-empty and space-free. */
function reference(list: string, word: string): boolean {
  return word !== "" && !word.includes(" ") && list.split(" ").includes(word);
}
