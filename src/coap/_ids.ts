/**
 * Message IDs and tokens for the client engine (RFC 7252 §4.4, §5.3.1).
 *
 * MIDs come from a 16-bit counter with a random start. Tokens are drawn from the CSPRNG and are unique
 * among outstanding exchanges (checked by the caller's `inUse`) and the RECENT_TOKENS most recently
 * retired ones, so a late answer to a finished exchange can never match a new one.
 */
import type { RandomSource } from "../ports.js";
import { ArgumentError } from "../errors.js";
import { MAX_TOKEN_LENGTH, RECENT_TOKENS } from "./constants.js";
import { CoapExchangeError } from "./errors.js";

/** Lower-case hex of `bytes`: the key tokens are indexed by. */
export function hexKey(bytes: Uint8Array): string {
  // An index loop: for...of builds an iterator (and XS stack frames) per call, and this runs per request.
  let s = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    s += (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}

export class IdAllocator {
  readonly #random: RandomSource;
  readonly #tokenLength: number;
  /** The RECENT_TOKENS most recently retired tokens: a ring of fixed rows, sized once (no string or Set entry each). */
  readonly #recent: Uint8Array;
  #recentCount = 0;
  #recentNext = 0;
  readonly #two = new Uint8Array(2);
  #mid: number;

  constructor(random: RandomSource, tokenLength: number) {
    if (!Number.isInteger(tokenLength) || tokenLength < 1 || tokenLength > MAX_TOKEN_LENGTH) {
      throw new ArgumentError("coap.bad_token_length", "tokenLength must be 1..8");
    }
    this.#random = random;
    this.#tokenLength = tokenLength;
    this.#recent = new Uint8Array(RECENT_TOKENS * tokenLength);
    this.#mid = this.#random16();
  }

  #random16(): number {
    this.#random.fill(this.#two);
    return (this.#two[0]! << 8) | this.#two[1]!;
  }

  /** The next message ID. */
  nextMid(): number {
    this.#mid = (this.#mid + 1) & 0xffff;
    return this.#mid;
  }

  /** A uniformly distributed number in [0, 1) from the random source (retransmission jitter). */
  fraction(): number {
    return this.#random16() / 65536;
  }

  /** A fresh token and its key. @throws `coap.token_exhausted` if the source keeps repeating itself. */
  newToken(inUse: (key: string) => boolean): [Uint8Array, string] {
    for (let attempt = 0; attempt < 16; attempt++) {
      const token = new Uint8Array(this.#tokenLength);
      this.#random.fill(token);
      const key = hexKey(token);
      if (!inUse(key) && !this.#isRecent(token)) return [token, key];
    }
    throw new CoapExchangeError("coap.token_exhausted", "internal", "could not draw a fresh token (random source broken?)");
  }

  #isRecent(token: Uint8Array): boolean {
    const n = this.#tokenLength;
    const recent = this.#recent;
    for (let r = 0; r < this.#recentCount; r++) {
      let k = 0;
      while (k < n && recent[r * n + k] === token[k]) k++;
      if (k === n) return true;
    }
    return false;
  }

  /** Remembers a token whose exchange ended, for RECENT_TOKENS more tokens (the oldest row is reused). */
  retire(token: Uint8Array): void {
    if (token.length !== this.#tokenLength) return; // not one of ours
    this.#recent.set(token, this.#recentNext * this.#tokenLength);
    this.#recentNext = (this.#recentNext + 1) % RECENT_TOKENS;
    if (this.#recentCount < RECENT_TOKENS) this.#recentCount++;
  }
}
