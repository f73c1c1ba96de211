/**
 * The verifier's bounded LRU cache: claims keyed by a 128-bit token digest, never by the token.
 *
 * A Map from the first 53 digest bits to an entry gives the lookup; the other 75 bits are stored and
 * compared, so two tokens whose keys collide are told apart (the newer one replaces the older). An
 * intrusive doubly linked list keeps the recency order, so a hit moves pointers and allocates nothing.
 * At `capacity` entries the least recently used one is evicted and its object reused.
 */
import type { IntrospectionClaims } from "../idp/index.js";

export class CacheEntry {
  key = 0;
  w1 = 0;
  w2 = 0;
  w3 = 0;
  claims: IntrospectionClaims | undefined = undefined;
  /** Monotonic ms until which the claims answer without introspection. */
  freshUntil = 0;
  /** Monotonic ms until which the claims may serve under stale-if-error (>= freshUntil). */
  staleUntil = 0;
  prev: CacheEntry | undefined = undefined;
  next: CacheEntry | undefined = undefined;
}

/** The Map key of a digest: 53 bits, exact in a double. */
export function digestKey(d: Uint32Array): number {
  return (d[1]! & 0x1fffff) * 4294967296 + d[0]!;
}

export class TokenCache {
  readonly capacity: number;
  readonly #map = new Map<number, CacheEntry>();
  #head: CacheEntry | undefined = undefined; // most recently used
  #tail: CacheEntry | undefined = undefined;
  evictions = 0;

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError("cache capacity must be at least 1");
    this.capacity = capacity;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The entry of digest `d`, most recently used from now on; undefined when absent. */
  get(d: Uint32Array): CacheEntry | undefined {
    const e = this.#map.get(digestKey(d));
    if (e === undefined || e.w1 !== d[1] || e.w2 !== d[2] || e.w3 !== d[3]) return undefined;
    this.#toFront(e);
    return e;
  }

  /** Stores claims for digest `d`, replacing its entry or evicting the least recently used one. */
  put(d: Uint32Array, claims: IntrospectionClaims, freshUntil: number, staleUntil: number): CacheEntry {
    const key = digestKey(d);
    let e = this.#map.get(key);
    if (e === undefined) {
      if (this.#map.size >= this.capacity && this.#tail !== undefined) {
        e = this.#tail;
        this.delete(e);
        this.evictions++;
      } else {
        e = new CacheEntry();
      }
      e.key = key;
      this.#map.set(key, e);
      this.#toFront(e);
    } else {
      this.#toFront(e);
    }
    e.w1 = d[1]!;
    e.w2 = d[2]!;
    e.w3 = d[3]!;
    e.claims = claims;
    e.freshUntil = freshUntil;
    e.staleUntil = staleUntil;
    return e;
  }

  delete(e: CacheEntry): void {
    if (this.#map.get(e.key) !== e) return;
    this.#map.delete(e.key);
    this.#unlink(e);
    e.claims = undefined;
  }

  clear(): void {
    while (this.#tail !== undefined) this.delete(this.#tail);
  }

  #unlink(e: CacheEntry): void {
    if (e.prev !== undefined) e.prev.next = e.next;
    else if (this.#head === e) this.#head = e.next;
    if (e.next !== undefined) e.next.prev = e.prev;
    else if (this.#tail === e) this.#tail = e.prev;
    e.prev = undefined;
    e.next = undefined;
  }

  #toFront(e: CacheEntry): void {
    if (this.#head === e) return;
    this.#unlink(e);
    e.next = this.#head;
    if (this.#head !== undefined) this.#head.prev = e;
    this.#head = e;
    if (this.#tail === undefined) this.#tail = e;
  }
}
