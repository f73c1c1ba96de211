/**
 * NodeTokenDigest: the Node port of modules/digest's NativeTokenDigest, the verifier's cache key as
 * HMAC-SHA-256 (node:crypto, OpenSSL) truncated to 128 bits under a 32-byte random key. For the same key
 * and a token of Basic Multilingual Plane characters it gives the same words as the C core (UTF-8 bytes,
 * first 16 bytes of the MAC as four big-endian words). Node allocates per call (an Hmac object and a
 * Buffer): the no-allocation rule of a cache hit is an XS rule.
 *
 * @example
 * ```ts
 * const verifier = new Verifier({ introspector, clock: nodeMonotonicClock, digest: new NodeTokenDigest() });
 * ```
 */
import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { IdpgateError } from "../../src/errors.js";
import type { RandomSource } from "../../src/ports.js";
import { isPrintableAscii, type TokenDigest } from "../../src/verifier/index.js";
import { nodeRandom } from "./ports.js";

export const TOKEN_DIGEST_KEY_BYTES = 32;

export class NodeTokenDigest implements TokenDigest {
  #key: KeyObject | undefined;

  /** `random` defaults to the CSPRNG (crypto.randomFillSync); tests may pass a fixed one. */
  constructor(random: RandomSource = nodeRandom) {
    const raw = new Uint8Array(TOKEN_DIGEST_KEY_BYTES);
    random.fill(raw);
    // A KeyObject keeps the key out of the JS heap; the raw copy is wiped at once.
    this.#key = createSecretKey(raw);
    raw.fill(0);
  }

  digest(token: string, out: Uint32Array): void {
    this.#mac(createHmac("sha256", this.#keyOrThrow()).update(token, "utf8"), out);
  }

  /** The token `bytes[start, end)` of printable ASCII (its UTF-8 is itself): `digest`'s words; false for another byte; RangeError for a range outside the bytes. */
  digestBytes(bytes: Uint8Array, start: number, end: number, out: Uint32Array): boolean {
    const key = this.#keyOrThrow();
    if (!isPrintableAscii(bytes, start, end)) return false;
    this.#mac(createHmac("sha256", key).update(bytes.subarray(start, end)), out);
    return true;
  }

  #keyOrThrow(): KeyObject {
    if (this.#key === undefined) throw new IdpgateError("digest.closed", "caller", "digest.closed");
    return this.#key;
  }

  #mac(hmac: ReturnType<typeof createHmac>, out: Uint32Array): void {
    const mac = hmac.digest();
    out[0] = mac.readUInt32BE(0);
    out[1] = mac.readUInt32BE(4);
    out[2] = mac.readUInt32BE(8);
    out[3] = mac.readUInt32BE(12);
    mac.fill(0);
  }

  /** Drops the key (OpenSSL frees it when the KeyObject is collected); later digests throw; safe twice. */
  free(): void {
    this.#key = undefined;
  }
}
