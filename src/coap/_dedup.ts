/**
 * RFC 7252 §4.5 message deduplication: remembers incoming CON/NON by (endpoint, MID) for
 * EXCHANGE_LIFETIME, with the reply (ACK or RST) to send again for a duplicate CON.
 *
 * Bounded: at `capacity` entries the oldest is evicted (documented eviction; a duplicate arriving after
 * that is treated as new, which for a client only means one more ACK/RST and an ignored response).
 * Entries are kept in insertion order, which is also expiry order because the lifetime is constant.
 */
import type { Endpoint } from "../ports.js";

interface Entry {
  readonly expires: number;
  reply: Uint8Array | undefined;
}

export class DedupTable {
  readonly #entries = new Map<string, Entry>();
  /** No entry expires before this (a lower bound): until then #expire walks nothing, so allocates nothing. */
  #notBefore = Infinity;

  constructor(
    readonly capacity: number,
    readonly lifetimeMs: number,
  ) {}

  static key(peer: Endpoint, messageId: number): string {
    return `${peer.address}|${peer.port}|${messageId}`;
  }

  #expire(now: number): void {
    if (now < this.#notBefore) return;
    this.#notBefore = Infinity;
    for (const [k, e] of this.#entries) {
      if (e.expires > now) {
        this.#notBefore = e.expires;
        break;
      }
      this.#entries.delete(k);
    }
  }

  /** The entry for a duplicate, or undefined for a message not seen within the lifetime. */
  lookup(key: string, now: number): { reply: Uint8Array | undefined } | undefined {
    this.#expire(now);
    return this.#entries.get(key);
  }

  record(key: string, reply: Uint8Array | undefined, now: number): void {
    this.#expire(now);
    if (this.#entries.has(key)) return;
    if (this.#entries.size >= this.capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    const expires = now + this.lifetimeMs;
    this.#entries.set(key, { expires, reply });
    if (expires < this.#notBefore) this.#notBefore = expires;
  }

  get size(): number {
    return this.#entries.size;
  }
}
