/**
 * The verifier's bounded LRU cache: claims keyed by a 128-bit token digest, never by the token.
 *
 * Theory of operation. Everything is allocated once, in the constructor, for `capacity` entries; an entry
 * is a row number `i` in these tables, and a lookup, a hit, an insertion, an eviction and a deletion
 * allocate nothing:
 *
 *   words   Uint32Array(4n)       the digest of entry i at 4i..4i+3, all 128 bits compared    16 B
 *   times   Float64Array(2n)      2i: freshUntil, 2i+1: staleUntil (monotonic ms)             16 B
 *   links   Int16Array(2n)        2i: prev, 2i+1: next in recency order (-1: none);            4 B
 *                                 the free rows are chained through `next`
 *   index   Int16Array(m)         open addressing, linear probing from words[4i] & (m-1);   <= 8 B
 *                                 i+1, or 0 for an empty slot; m is the smallest power of
 *                                 two >= 2n (load at most 1/2); deletion shifts back (no tombstones)
 *   passed  Uint8Array(n)         memo: requirement passedBy[passed[i]] (1..PASSED_SLOTS) was 1 B
 *                                 allowed on claims[i], so its static checks pass (policy.ts
 *                                 `Requirement`); reset whenever the row's claims are set,
 *                                 the row is freed or its slot is given to another
 *                                 requirement; 0: nothing known (passedBy[0] is a sentinel)
 *   claims  Array(n)              the IntrospectionClaims of entry i (undefined: row free)    1 slot
 *
 * (Int32Array instead of Int16Array above 8,192 entries: the index has the next power of two above 2 x entries slots.) `index` and `words` are views of one
 * ArrayBuffer, `table` (the index first), which a native probe reads (TokenDigest.digestFind,
 * token_digest_find in modules/digest). So an entry costs at most 45 chunk bytes and one slot: at most
 * 61 bytes on a device (16-byte slots), 77 on the 64-bit XS test host, plus its claims; the memo's
 * `passedBy` adds PASSED_SLOTS + 1 slots to the whole cache.
 * Two tokens whose digests share a prefix are told apart by the full 128 bits and both kept.
 * At `capacity` entries the least recently used one is evicted and its row reused.
 */
import type { IntrospectionClaims } from "../idp/index.js";
import type { Requirement } from "./policy.js";

/** A digest's 53 low bits, exact in a double: the key of the verifier's in-flight table. */
export function digestKey(d: Uint32Array): number {
  return (d[1]! & 0x1fffff) * 4294967296 + d[0]!;
}

const NONE = -1;
/** How many compiled requirements the memo tells apart at a time (see `passedBy`). */
export const PASSED_SLOTS = 8;
/** passedBy[0]: equal to no argument a caller can pass (not exported), so that "0: nothing known" needs no test. */
const NOTHING_PASSED = Object.freeze({});

export class TokenCache {
  readonly capacity: number;
  /** Per-row digests, 4 words a row (see the layout above). */
  readonly words: Uint32Array;
  /** Per-row times: freshUntil at 2i, staleUntil at 2i+1. */
  readonly times: Float64Array;
  /** Per-row claims; undefined for a free row. */
  readonly claims: (IntrospectionClaims | undefined)[];
  /**
   * The memo of static checks: row i's claims passed requirement `passedBy[passed[i]]`; passed[i] = 0 and
   * passedBy[0], a private sentinel, mean nothing known. Public for the verifier's hit path (one comparison,
   * no call); written only through `remember`.
   */
  readonly passed: Uint8Array;
  readonly passedBy: (Requirement | object | undefined)[];
  #nextPassed = 1;
  /** The open-addressing table (row + 1, 0: empty); public for a native probe (TokenDigest.digestFind), read-only there. */
  readonly index: Int16Array | Int32Array;
  /**
   * `index` and `words` in one buffer (index first, then words): what a native probe reads
   * (TokenDigest.digestFind), with `mask`; the slots are 4 bytes when mask + 1 > 0x7fff, else 2.
   */
  readonly table: ArrayBuffer;
  /** The number of index slots - 1 (a power of two - 1). */
  readonly mask: number;
  readonly #links: Int16Array | Int32Array;
  /** The most recently used row; public so that a hit on it costs no call. */
  head = NONE;
  #tail = NONE;
  #free = 0;
  #size = 0;
  evictions = 0;

  constructor(capacity: number) {
    if (!(capacity >= 1 && capacity <= 0x3fffffff)) throw new RangeError("cache capacity must be at least 1 (and finite)");
    capacity = Math.floor(capacity);
    this.capacity = capacity;
    let m = 2;
    while (m < 2 * capacity) m *= 2;
    this.mask = m - 1;
    const wide = m > 0x7fff;
    // One buffer, the index then the digests, so that a native probe reads both from one argument.
    const indexBytes = wide ? 4 * m : 2 * m;
    this.table = new ArrayBuffer(indexBytes + 16 * capacity);
    this.index = wide ? new Int32Array(this.table, 0, m) : new Int16Array(this.table, 0, m);
    this.words = new Uint32Array(this.table, indexBytes, 4 * capacity);
    this.times = new Float64Array(2 * capacity);
    this.#links = wide ? new Int32Array(2 * capacity) : new Int16Array(2 * capacity);
    this.passed = new Uint8Array(capacity);
    this.passedBy = [NOTHING_PASSED];
    for (let k = 0; k < PASSED_SLOTS; k++) this.passedBy.push(undefined);
    this.claims = [];
    for (let i = 0; i < capacity; i++) {
      this.claims.push(undefined);
      this.#links[2 * i] = NONE;
      this.#links[2 * i + 1] = i + 1 < capacity ? i + 1 : NONE;
    }
  }

  get size(): number {
    return this.#size;
  }

  /** The row of digest `d`, most recently used from now on; -1 when absent. */
  get(d: Uint32Array): number {
    const i = this.find(d);
    if (i >= 0 && i !== this.head) this.touch(i);
    return i;
  }

  /**
   * The row of digest `d`, or -1; the recency order is left alone. The hot path of every cache hit with a
   * JS digest (a native one does the same search itself, TokenDigest.digestFind): one probe in the common case.
   */
  find(d: Uint32Array): number {
    const index = this.index;
    const mask = this.mask;
    const w = this.words;
    const w0 = d[0]!;
    for (let s = w0 & mask, e = index[s]!; e !== 0; s = (s + 1) & mask, e = index[s]!) {
      const b = 4 * e - 4;
      if (w[b] === w0 && w[b + 1] === d[1] && w[b + 2] === d[2] && w[b + 3] === d[3]) return e - 1;
    }
    return NONE;
  }

  /** Stores claims for digest `d` in its row, or a free one, or the least recently used one's; returns the row. */
  put(d: Uint32Array, claims: IntrospectionClaims, freshUntil: number, staleUntil: number): number {
    let i = this.find(d);
    if (i < 0) {
      if (this.#free === NONE) {
        this.delete(this.#tail);
        this.evictions++;
      }
      i = this.#free;
      this.#free = this.#links[2 * i + 1]!;
      const w = this.words;
      w[4 * i] = d[0]!;
      w[4 * i + 1] = d[1]!;
      w[4 * i + 2] = d[2]!;
      w[4 * i + 3] = d[3]!;
      let s = d[0]! & this.mask;
      while (this.index[s] !== 0) s = (s + 1) & this.mask;
      this.index[s] = i + 1;
      this.#size++;
      this.#links[2 * i] = NONE;
      this.#links[2 * i + 1] = NONE;
      this.#pushFront(i);
    } else if (i !== this.head) this.touch(i);
    this.claims[i] = claims;
    this.passed[i] = 0; // new claims: nothing is known to pass on them yet
    this.times[2 * i] = freshUntil;
    this.times[2 * i + 1] = staleUntil;
    return i;
  }

  /** Frees row `i` (no-op for a free row or -1). */
  delete(i: number): void {
    if (!(i >= 0 && i < this.capacity) || this.claims[i] === undefined) return;
    const index = this.index;
    const mask = this.mask;
    const w = this.words;
    let s = w[4 * i]! & mask;
    while (index[s] !== i + 1) s = (s + 1) & mask;
    // Backward-shift deletion (Knuth 6.4, algorithm R): later members of the probe run move up into the hole.
    index[s] = 0;
    for (let j = (s + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = w[4 * (index[j]! - 1)]! & mask;
      const stays = s <= j ? s < home && home <= j : s < home || home <= j;
      if (stays) continue;
      index[s] = index[j]!;
      index[j] = 0;
      s = j;
    }
    this.#unlink(i);
    this.claims[i] = undefined;
    this.passed[i] = 0;
    this.#links[2 * i + 1] = this.#free;
    this.#free = i;
    this.#size--;
  }

  /**
   * Remembers that compiled requirement `req` passed its static checks on row i's claims (a used row). A
   * requirement new to the memo takes the next of PASSED_SLOTS slots in turn; the rows that remembered the
   * slot's previous requirement forget it first.
   */
  remember(i: number, req: Requirement): void {
    if (this.claims[i] === undefined) return;
    const by = this.passedBy;
    let k = by.indexOf(req);
    if (k < 1) {
      k = this.#nextPassed;
      this.#nextPassed = k === PASSED_SLOTS ? 1 : k + 1;
      const passed = this.passed;
      for (let r = 0; r < this.capacity; r++) if (passed[r] === k) passed[r] = 0;
      by[k] = req;
    }
    this.passed[i] = k;
  }

  clear(): void {
    while (this.#tail !== NONE) this.delete(this.#tail);
  }

  #unlink(i: number): void {
    const links = this.#links;
    const prev = links[2 * i]!;
    const next = links[2 * i + 1]!;
    if (prev !== NONE) links[2 * prev + 1] = next;
    else this.head = next;
    if (next !== NONE) links[2 * next] = prev;
    else this.#tail = prev;
  }

  #pushFront(i: number): void {
    const links = this.#links;
    links[2 * i] = NONE;
    links[2 * i + 1] = this.head;
    if (this.head !== NONE) links[2 * this.head] = i;
    this.head = i;
    if (this.#tail === NONE) this.#tail = i;
  }

  /** Makes row `i` (a used row) the most recently used one. */
  touch(i: number): void {
    this.#unlink(i);
    this.#pushFront(i);
  }
}
