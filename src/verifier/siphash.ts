/**
 * SipHash-2-4 with 128-bit output (Aumasson and Bernstein, reference `siphash.c`, `vectors_sip128`),
 * on 32-bit halves, streaming, allocation-free after construction.
 *
 * Used as a keyed cache key for tokens, not as a security primitive: with a random key the outputs of
 * tokens an attacker chooses are unpredictable, so entries cannot be made to collide on purpose, and the
 * cache never holds the token itself. Tokens are hashed as UTF-8 (a lone surrogate as U+FFFD).
 */
import { charCodeAt } from "../json/index.js";
import { isPrintableAscii } from "./ascii.js";

const S = 8; // state words: v0lo v0hi v1lo v1hi v2lo v2hi v3lo v3hi

export class SipHash128 {
  readonly #key = new Int32Array(4);
  readonly #v = new Int32Array(S);
  #m0 = 0; // pending message word, little-endian, low 32 bits
  #m1 = 0; // high 32 bits
  #length = 0;

  /** `key`: 16 bytes (k0 then k1, little-endian). */
  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError("SipHash key is 16 bytes");
    for (let i = 0; i < 4; i++) this.#key[i] = key[i * 4]! | (key[i * 4 + 1]! << 8) | (key[i * 4 + 2]! << 16) | (key[i * 4 + 3]! << 24);
    this.reset();
  }

  reset(): this {
    const k = this.#key;
    const v = this.#v;
    v[0] = k[0]! ^ 0x70736575;
    v[1] = k[1]! ^ 0x736f6d65;
    v[2] = k[2]! ^ 0x6e646f6d ^ 0xee; // 128-bit output variant
    v[3] = k[3]! ^ 0x646f7261;
    v[4] = k[0]! ^ 0x6e657261;
    v[5] = k[1]! ^ 0x6c796765;
    v[6] = k[2]! ^ 0x79746573;
    v[7] = k[3]! ^ 0x74656462;
    this.#m0 = 0;
    this.#m1 = 0;
    this.#length = 0;
    return this;
  }

  #byte(b: number): void {
    const at = this.#length & 7;
    if (at < 4) this.#m0 |= b << (at * 8);
    else this.#m1 |= b << ((at - 4) * 8);
    this.#length++;
    if (at === 7) {
      this.#rounds(2, this.#m0, this.#m1);
      this.#m0 = 0;
      this.#m1 = 0;
    }
  }

  update(bytes: Uint8Array): this {
    for (let i = 0; i < bytes.length; i++) this.#byte(bytes[i]!);
    return this;
  }

  /**
   * Feeds `bytes[start, end)` when every one is printable ASCII (0x21..0x7e): the same input as
   * `updateString` of their text. Otherwise false, and the state is reset (nothing fed).
   */
  updateAscii(bytes: Uint8Array, start: number, end: number): boolean {
    if (!isPrintableAscii(bytes, start, end)) {
      this.reset();
      return false;
    }
    let i = start;
    if ((this.#length & 7) === 0)
      for (; end - i >= 8; i += 8) {
        this.#rounds(
          2,
          bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24),
          bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24),
        );
        this.#length += 8;
      }
    for (; i < end; i++) this.#byte(bytes[i]!);
    return true;
  }

  /**
   * Feeds the UTF-8 encoding of `s` without building it. Characters are read with `charCodeAt.call`
   * until it gives NaN (the end): no method call or `length` on the primitive string, so nothing is
   * allocated on XS.
   */
  updateString(s: string): this {
    let i = 0;
    for (;;) {
      // Fast path: eight ASCII characters on a word boundary make one block (tokens are ASCII).
      if ((this.#length & 7) === 0 && charCodeAt.call(s, i + 7) < 0x80) {
        const c0 = charCodeAt.call(s, i),
          c1 = charCodeAt.call(s, i + 1),
          c2 = charCodeAt.call(s, i + 2),
          c3 = charCodeAt.call(s, i + 3);
        const c4 = charCodeAt.call(s, i + 4),
          c5 = charCodeAt.call(s, i + 5),
          c6 = charCodeAt.call(s, i + 6),
          c7 = charCodeAt.call(s, i + 7);
        if ((c0 | c1 | c2 | c3 | c4 | c5 | c6) < 0x80) {
          this.#rounds(2, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24), c4 | (c5 << 8) | (c6 << 16) | (c7 << 24));
          this.#length += 8;
          i += 8;
          continue;
        }
      }
      let c = charCodeAt.call(s, i++);
      if (c !== c) return this;
      if (c < 0x80) {
        this.#byte(c);
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const low = charCodeAt.call(s, i);
        if (c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
        } else c = 0xfffd;
      }
      // Above 0xFFFF: a pair, or a whole code point on XS's UTF-8 strings (src/utf8.ts).
      if (c < 0x800) {
        this.#byte(0xc0 | (c >> 6));
      } else if (c < 0x10000) {
        this.#byte(0xe0 | (c >> 12));
        this.#byte(0x80 | ((c >> 6) & 0x3f));
      } else {
        this.#byte(0xf0 | (c >> 18));
        this.#byte(0x80 | ((c >> 12) & 0x3f));
        this.#byte(0x80 | ((c >> 6) & 0x3f));
      }
      this.#byte(0x80 | (c & 0x3f));
    }
  }

  /** Writes the 128-bit result as four little-endian 32-bit words into `out`, then resets. */
  finish(out: Uint32Array): void {
    const v = this.#v;
    const lo = this.#m0;
    const hi = this.#m1 | ((this.#length & 0xff) << 24);
    this.#rounds(2, lo, hi);
    v[4]! ^= 0xee;
    this.#rounds(4, 0, 0);
    out[0] = (v[0]! ^ v[2]! ^ v[4]! ^ v[6]!) >>> 0;
    out[1] = (v[1]! ^ v[3]! ^ v[5]! ^ v[7]!) >>> 0;
    v[2]! ^= 0xdd;
    this.#rounds(4, 0, 0);
    out[2] = (v[0]! ^ v[2]! ^ v[4]! ^ v[6]!) >>> 0;
    out[3] = (v[1]! ^ v[3]! ^ v[5]! ^ v[7]!) >>> 0;
    this.reset();
  }

  /**
   * One compression: v3 ^= m, `n` SipRounds, v0 ^= m (m = 0 for the finalization rounds). On locals,
   * add/rotate/xor on (lo, hi) pairs; one frame, to keep the XS stack shallow.
   */
  #rounds(n: number, lo: number, hi: number): void {
    const v = this.#v;
    let a0 = v[0]!,
      a1 = v[1]!,
      b0 = v[2]!,
      b1 = v[3]!,
      c0 = v[4]!,
      c1 = v[5]!;
    let d0 = v[6]! ^ lo,
      d1 = v[7]! ^ hi;
    let t = 0;
    let u = 0;
    for (let r = 0; r < n; r++) {
      // Int32 arithmetic throughout (no `>>> 0`): XS keeps such values as integers, not doubles. The
      // carry out of a 32-bit add is bit 31 of (a & b) | ((a | b) & ~sum).
      // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
      t = (a0 + b0) | 0;
      a1 = (a1 + b1 + (((a0 & b0) | ((a0 | b0) & ~t)) >>> 31)) | 0;
      a0 = t;
      t = (b0 << 13) | (b1 >>> 19);
      u = (b1 << 13) | (b0 >>> 19);
      b0 = t ^ a0;
      b1 = u ^ a1;
      t = a0;
      a0 = a1;
      a1 = t;
      // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
      t = (c0 + d0) | 0;
      c1 = (c1 + d1 + (((c0 & d0) | ((c0 | d0) & ~t)) >>> 31)) | 0;
      c0 = t;
      t = (d0 << 16) | (d1 >>> 16);
      u = (d1 << 16) | (d0 >>> 16);
      d0 = t ^ c0;
      d1 = u ^ c1;
      // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
      t = (a0 + d0) | 0;
      a1 = (a1 + d1 + (((a0 & d0) | ((a0 | d0) & ~t)) >>> 31)) | 0;
      a0 = t;
      t = (d0 << 21) | (d1 >>> 11);
      u = (d1 << 21) | (d0 >>> 11);
      d0 = t ^ a0;
      d1 = u ^ a1;
      // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
      t = (c0 + b0) | 0;
      c1 = (c1 + b1 + (((c0 & b0) | ((c0 | b0) & ~t)) >>> 31)) | 0;
      c0 = t;
      t = (b0 << 17) | (b1 >>> 15);
      u = (b1 << 17) | (b0 >>> 15);
      b0 = t ^ c0;
      b1 = u ^ c1;
      t = c0;
      c0 = c1;
      c1 = t;
    }
    v[0] = a0 ^ lo;
    v[1] = a1 ^ hi;
    v[2] = b0;
    v[3] = b1;
    v[4] = c0;
    v[5] = c1;
    v[6] = d0;
    v[7] = d1;
  }
}
