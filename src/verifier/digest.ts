/**
 * Token digests for the cache. The default is SipHash-2-4-128 under a random 16-byte key drawn once
 * from the host's CSPRNG: a keyed hash, used as a cache key and not as a security primitive. A host
 * with hardware SHA-256 (mbedtls) may inject its own `TokenDigest`; it should then be keyed (HMAC) so
 * that digests are useless outside this process.
 */
import type { RandomSource } from "../ports.js";
import { SipHash128 } from "./siphash.js";

export interface TokenDigest {
  /** Writes 128 bits derived from `token` into `out[0..3]`; must not allocate on the hot path. */
  digest(token: string, out: Uint32Array): void;
  /**
   * Optional, for a native digest: `digest(token, out)`, then the row of that digest in a cache table
   * (TokenCache `table` and `mask`, src/verifier/cache.ts), or -1, in one call. Must answer exactly what
   * `digest` followed by TokenCache's own search answers; it only reads the table.
   */
  digestFind?(token: string, out: Uint32Array, table: ArrayBuffer, mask: number): number;
  /**
   * Optional: `digest` of the token whose UTF-8 is `bytes[start, end)`, without a string of it, for a token of
   * printable ASCII (0x21..0x7e) only: true when written; false, with `out` unspecified, for any other byte
   * (the caller then takes the string path). Must give exactly what `digest` gives for the same token.
   */
  digestBytes?(bytes: Uint8Array, start: number, end: number, out: Uint32Array): boolean;
  /**
   * Optional, for a native digest: `digestBytes`, then `digestFind`'s table search in the same call: the
   * row, -1 when absent, -2 (nothing digested) for a byte that is not printable ASCII.
   */
  digestFindBytes?(bytes: Uint8Array, start: number, end: number, out: Uint32Array, table: ArrayBuffer, mask: number): number;
}

export class SipHashTokenDigest implements TokenDigest {
  readonly #hash: SipHash128;
  constructor(random: RandomSource) {
    const key = new Uint8Array(16);
    random.fill(key);
    this.#hash = new SipHash128(key);
    key.fill(0);
  }

  digest(token: string, out: Uint32Array): void {
    this.#hash.updateString(token).finish(out);
  }

  digestBytes(bytes: Uint8Array, start: number, end: number, out: Uint32Array): boolean {
    if (!this.#hash.updateAscii(bytes, start, end)) return false;
    this.#hash.finish(out);
    return true;
  }
}
