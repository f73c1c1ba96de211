/**
 * NativeTokenDigest for XS (Moddable devices, the simulator, the XS test host): the verifier's cache key
 * as HMAC-SHA-256 truncated to 128 bits, computed in C over mbedtls under a 32-byte key drawn from the
 * host entropy and never visible to JS (C in modules/digest/token_digest.c, binding in
 * modules/digest/xs/token_digest_xs.c). A drop-in for the default SipHash `TokenDigest`: a cache hit then
 * costs a native call instead of ~14,000 computrons of JS arithmetic.
 *
 * @example
 * ```ts
 * const verifier = new Verifier({ introspector, clock, wallClock, digest: new NativeTokenDigest() });
 * ```
 */
import { IdpgateError, type Fault } from "../../src/errors.js";
import type { TokenDigest } from "../../src/verifier/index.js";
import type {} from "../dtls/native.js";

function toFault(v: unknown): Fault {
  return v === "peer" || v === "caller" || v === "environment" ? v : "internal";
}

export class NativeTokenDigest extends Native("xs_token_digest_destructor") implements TokenDigest {
  /**
   * `digest(token, out)`, then the row of the digest in a verifier cache table (TokenCache `table`, `mask`)
   * or -1: the cache-hit probe in the same native call. Allocates nothing; throws a RangeError for a buffer
   * that is not a consistent table. The host function itself, as an own property: called as a method, with
   * no JS frame in between (a wrapper method cost ~40 computrons a hit).
   */
  readonly digestFind: (token: string, out: Uint32Array, table: ArrayBuffer, mask: number) => number;
  /** digestFind of the token whose UTF-8 is bytes[start, end) (printable ASCII only, else -2): no string made. */
  readonly digestFindBytes: (bytes: Uint8Array, start: number, end: number, out: Uint32Array, table: ArrayBuffer, mask: number) => number;

  /** Draws the key; throws an IdpgateError `digest.entropy` when the host has no entropy source. */
  constructor() {
    super();
    // Looked up here, at run time (preloaded modules hold no state).
    this.digestFind = native("xs_token_digest_find") as (token: string, out: Uint32Array, table: ArrayBuffer, mask: number) => number;
    this.digestFindBytes = native("xs_token_digest_find_bytes") as (
      bytes: Uint8Array,
      start: number,
      end: number,
      out: Uint32Array,
      table: ArrayBuffer,
      mask: number,
    ) => number;
    try {
      native("xs_token_digest_init").call(this);
    } catch (e) {
      const x = e as { code?: unknown; fault?: unknown };
      if (typeof x.code === "string" && x.code.startsWith("digest.")) throw new IdpgateError(x.code, toFault(x.fault), x.code);
      throw e;
    }
  }

  /** Writes the 128-bit digest of `token` into `out[0..3]`; allocates nothing. Throws after free(). */
  digest(token: string, out: Uint32Array): void {
    native("xs_token_digest_digest").call(this, token, out);
  }

  /** Wipes the key and frees the C object now (collection would too); safe twice. */
  free(): void {
    native("xs_token_digest_free").call(this);
  }
}
