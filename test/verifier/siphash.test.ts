import { test, assert } from "../harness/index.js";
import { SipHash128, SipHashTokenDigest } from "../../src/verifier/index.js";
import { utf8Encode } from "../../src/json/index.js";
import { PrngRandom } from "./fakes.fixture.js";

// veorq/SipHash vectors.h, vectors_sip128: key 00..0f, message 00..(len-1).
const VECTORS: ReadonlyArray<readonly [number, string]> = [
  [0, "a3817f04ba25a8e66df67214c7550293"],
  [1, "da87c1d86b99af44347659119b22fc45"],
  [7, "a1f1ebbed8dbc153c0b84aa61ff08239"],
  [8, "3b62a9ba6258f5610f83e264f31497b4"],
  [9, "264499060ad9baabc47f8b02bb6d71ed"],
  [15, "5493e99933b0a8117e08ec0f97cfc3d9"],
  [16, "6ee2a4ca67b054bbfd3315bf85230577"],
  [17, "473d06e8738db89854c066c47ae47740"],
  [63, "5150d1772f50834a503e069a973fbd7c"],
];

function hex(words: Uint32Array): string {
  let s = "";
  for (let i = 0; i < 4; i++) for (let b = 0; b < 4; b++) s += ((words[i]! >>> (b * 8)) & 0xff).toString(16).padStart(2, "0");
  return s;
}

test("SipHash-2-4-128 matches the reference vectors", () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const h = new SipHash128(key);
  const out = new Uint32Array(4);
  for (const [len, expected] of VECTORS) {
    h.update(Uint8Array.from({ length: len }, (_, i) => i)).finish(out);
    assert.equal(hex(out), expected, `length ${len}`);
    // Byte by byte gives the same result (streaming), and finish() resets.
    for (let i = 0; i < len; i++) h.update(Uint8Array.of(i));
    h.finish(out);
    assert.equal(hex(out), expected, `length ${len}, streamed`);
  }
});

test("SipHash updateString hashes the UTF-8 encoding", () => {
  const h = new SipHash128(new Uint8Array(16));
  const a = new Uint32Array(4);
  const b = new Uint32Array(4);
  for (const s of ["", "abc", "tok-é€😀", "x".repeat(100), "abcdefgĀabcdefgh", "0123456789abcdeféxyz0123456789"]) {
    h.updateString(s).finish(a);
    h.update(utf8Encode(s)).finish(b);
    assert.equal(hex(a), hex(b), s);
  }
  h.updateString("ab\ud800cdefghij").finish(a);
  h.updateString("ab\ufffdcdefghij").finish(b);
  assert.equal(hex(a), hex(b), "a lone surrogate hashes as U+FFFD");
});

test("SipHashTokenDigest: keyed by the random source, deterministic per key", () => {
  const one = new SipHashTokenDigest(new PrngRandom(1));
  const same = new SipHashTokenDigest(new PrngRandom(1));
  const other = new SipHashTokenDigest(new PrngRandom(2));
  const a = new Uint32Array(4);
  const b = new Uint32Array(4);
  one.digest("token", a);
  same.digest("token", b);
  assert.equal(hex(a), hex(b));
  other.digest("token", b);
  assert.notEqual(hex(a), hex(b));
});
