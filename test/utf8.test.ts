import { test, assert, Prng } from "./harness/index.js";
import { loneSurrogateAt, utf8Decode, utf8Encode, utf8Length } from "../src/utf8.js";

test("utf8Encode writes 1- to 4-byte sequences exactly", () => {
  assert.bytesEqual(utf8Encode("A"), [0x41]);
  assert.bytesEqual(utf8Encode("é"), [0xc3, 0xa9]);
  assert.bytesEqual(utf8Encode("€"), [0xe2, 0x82, 0xac]);
  assert.bytesEqual(utf8Encode("😀"), [0xf0, 0x9f, 0x98, 0x80]);
  assert.equal(utf8Length("A€😀"), 8);
});

test("utf8Encode replaces lone surrogates with U+FFFD; loneSurrogateAt finds them", () => {
  assert.bytesEqual(utf8Encode("a\ud800b"), [0x61, 0xef, 0xbf, 0xbd, 0x62]);
  assert.bytesEqual(utf8Encode("\udc00"), [0xef, 0xbf, 0xbd]);
  assert.equal(loneSurrogateAt("ok😀"), -1);
  assert.equal(loneSurrogateAt("ab\udc00"), 2);
  assert.equal(loneSurrogateAt("\ud800"), 0);
});

test("utf8Decode replaces malformed sequences and never throws", () => {
  assert.equal(utf8Decode(Uint8Array.of(0x61, 0x80, 0x62)), "a\ufffdb");
  assert.equal(utf8Decode(Uint8Array.of(0xc0, 0xaf)), "\ufffd\ufffd"); // overlong
  assert.equal(utf8Decode(Uint8Array.of(0xed, 0xa0, 0x80)), "\ufffd"); // encoded surrogate
  assert.equal(utf8Decode(Uint8Array.of(0xf0, 0x9f, 0x98)), "\ufffd\ufffd\ufffd"); // truncated
  assert.equal(utf8Decode(Uint8Array.of(0x78, 0x41, 0x42, 0x79), 1, 3), "AB");
});

test("utf8Decode(utf8Encode(s)) is s for random well-formed strings (seed 0x0f8)", () => {
  const rng = new Prng(0x0f8);
  for (let n = 0; n < 300; n++) {
    let s = "";
    const length = rng.below(12);
    for (let i = 0; i < length; i++) {
      const kind = rng.below(4);
      const cp =
        kind === 0
          ? rng.below(0x80)
          : kind === 1
            ? 0x80 + rng.below(0x780)
            : kind === 2
              ? 0xe000 + rng.below(0x2000)
              : 0x10000 + rng.below(0xfffff);
      s += String.fromCodePoint(cp);
    }
    const bytes = utf8Encode(s);
    assert.equal(bytes.length, utf8Length(s));
    assert.equal(utf8Decode(bytes), s);
  }
});
