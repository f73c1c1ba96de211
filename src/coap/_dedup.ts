/**
 * RFC 7252 §4.5 message deduplication: remembers incoming CON/NON by (endpoint, MID) for
 * EXCHANGE_LIFETIME, with the reply (ACK, RST or piggybacked answer) to send again for a duplicate.
 *
 * A preallocated, fixed table: every array is sized once in the constructor and recording, looking up,
 * keeping a reply and expiring allocate nothing (the datagram path of a device, issue 13). Entries are
 * keyed by numbers and the peer's own address string (compared, never copied or concatenated): MID,
 * port, address. Entries are a ring in insertion order, which is also expiry order because the lifetime is
 * constant.
 *
 * Bounded twice:
 *  - at `capacity` entries the oldest is evicted (documented eviction; a duplicate arriving after that is
 *    treated as new, as before);
 *  - replies are copied into one byte arena of `arenaBytes`, a ring of records in the order they were kept
 *    ([owner slot: 2 bytes][length: 2 bytes][bytes]). Keeping a reply that does not fit drops the oldest
 *    records first. An entry whose reply was dropped that way, or whose reply is larger than the whole
 *    arena (`oversize`), keeps a LOST marker: its duplicates are **not answered and never re-executed**.
 *    The peer then sees what a lost ACK gives it (retransmissions unanswered, its own timeout): the outcome
 *    stays unknown to it, which is the truth. A 5.03 would say the request was not carried out when it was,
 *    and a re-execution would carry it out twice. `lost` counts such duplicates.
 */
import { ArgumentError } from "../errors.js";
import type { Endpoint } from "../ports.js";

/** What a slot holds. */
const NO_REPLY = 0; // recorded, no reply (yet): a duplicate is ignored (a pending request, a NON)
const KEPT = 1; // its reply is in the arena
const LOST = 2; // answered, the reply could not be kept: a duplicate is ignored, counted

const RECORD_HEADER = 4;
/** A record's length field is 16 bits. */
const MAX_RECORD = 0xffff;

export class DedupTable {
  readonly #addresses: (string | undefined)[];
  readonly #ports: Uint16Array;
  readonly #mids: Uint16Array;
  readonly #expires: Float64Array;
  readonly #states: Uint8Array;
  /** Offset of a KEPT slot's record in the arena. */
  readonly #at: Int32Array;
  /** Chains by MID: the first slot of a bucket, the next slot of a slot (-1 ends); a lookup reads about one slot. */
  readonly #buckets: Int32Array;
  readonly #next: Int32Array;
  readonly #mask: number;
  readonly #arena: Uint8Array;
  /** Oldest slot and number of live slots. */
  #head = 0;
  #count = 0;
  /** Arena ring: oldest record, where the next one goes, where the data before a wrap ends, records held. */
  #tail = 0;
  #write = 0;
  #end = 0;
  #wrapped = false;
  #records = 0;
  /** Duplicates not answered because their reply could not be kept (see the module comment). */
  lost = 0;

  constructor(
    readonly capacity: number,
    readonly lifetimeMs: number,
    readonly arenaBytes: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 0xffff)
      throw new ArgumentError("coap.bad_dedup", `dedup entries must be 1..65535, got ${capacity}`);
    if (!Number.isInteger(arenaBytes) || arenaBytes < RECORD_HEADER || arenaBytes > 0x7fffffff)
      throw new ArgumentError("coap.bad_dedup", `dedup reply bytes must be at least ${RECORD_HEADER}, got ${arenaBytes}`);
    this.#addresses = new Array<string | undefined>(capacity).fill(undefined);
    this.#ports = new Uint16Array(capacity);
    this.#mids = new Uint16Array(capacity);
    this.#expires = new Float64Array(capacity);
    this.#states = new Uint8Array(capacity);
    this.#at = new Int32Array(capacity);
    let buckets = 1;
    while (buckets < capacity) buckets *= 2;
    this.#buckets = new Int32Array(buckets).fill(-1);
    this.#next = new Int32Array(capacity).fill(-1);
    this.#mask = buckets - 1;
    this.#arena = new Uint8Array(arenaBytes);
  }

  /** The largest reply the arena can keep. */
  get maxReplyBytes(): number {
    return Math.min(this.arenaBytes - RECORD_HEADER, MAX_RECORD);
  }

  #expire(now: number): void {
    while (this.#count > 0 && this.#expires[this.#head]! <= now) this.#dropOldest();
  }

  #dropOldest(): void {
    const s = this.#head;
    // Unlink s from its chain (the oldest is last in it: slots are linked in at the front).
    const b = this.#mids[s]! & this.#mask;
    let at = this.#buckets[b]!;
    if (at === s) this.#buckets[b] = this.#next[s]!;
    else {
      while (at >= 0 && this.#next[at] !== s) at = this.#next[at]!;
      if (at >= 0) this.#next[at] = this.#next[s]!;
    }
    this.#next[s] = -1;
    this.#addresses[s] = undefined; // the peer's string is not held past its entry
    this.#states[s] = NO_REPLY;
    this.#head = s + 1 === this.capacity ? 0 : s + 1;
    this.#count--;
  }

  /** The slot of (peer, MID) seen within the lifetime, or -1. A slot is valid until the next record(). */
  find(peer: Endpoint, messageId: number, now: number): number {
    this.#expire(now);
    const port = peer.port;
    const address = peer.address;
    for (let s = this.#buckets[messageId & this.#mask]!; s >= 0; s = this.#next[s]!) {
      if (this.#mids[s] === messageId && this.#ports[s] === port && this.#addresses[s] === address) return s;
    }
    return -1;
  }

  /**
   * What to send again for a duplicate in `slot`: a copy of its reply (the arena is reused; a copy is made
   * only for a duplicate), or undefined (none yet, none at all, or lost: counted).
   */
  replyFor(slot: number): Uint8Array | undefined {
    const state = this.#states[slot];
    if (state === LOST) this.lost++;
    if (state !== KEPT) return undefined;
    const at = this.#at[slot]!;
    const length = (this.#arena[at + 2]! << 8) | this.#arena[at + 3]!;
    return this.#arena.slice(at + RECORD_HEADER, at + RECORD_HEADER + length);
  }

  /** Records (peer, MID) unless it is already there; returns its slot. */
  record(peer: Endpoint, messageId: number, now: number): number {
    const found = this.find(peer, messageId, now);
    if (found >= 0) return found;
    if (this.#count >= this.capacity) this.#dropOldest();
    let s = this.#head + this.#count;
    if (s >= this.capacity) s -= this.capacity;
    this.#addresses[s] = peer.address;
    this.#ports[s] = peer.port;
    this.#mids[s] = messageId;
    this.#expires[s] = now + this.lifetimeMs;
    this.#states[s] = NO_REPLY;
    const b = messageId & this.#mask;
    this.#next[s] = this.#buckets[b]!;
    this.#buckets[b] = s;
    this.#count++;
    return s;
  }

  /** Records (peer, MID) if needed and keeps `reply` for its duplicates (or marks it LOST; see above). */
  keep(peer: Endpoint, messageId: number, reply: Uint8Array, now: number): void {
    const s = this.record(peer, messageId, now);
    const at = reply.length > this.maxReplyBytes ? -1 : this.#allocate(RECORD_HEADER + reply.length);
    if (at < 0) {
      this.#states[s] = LOST;
      return;
    }
    const arena = this.#arena;
    arena[at] = s >> 8;
    arena[at + 1] = s & 0xff;
    arena[at + 2] = reply.length >> 8;
    arena[at + 3] = reply.length & 0xff;
    arena.set(reply, at + RECORD_HEADER);
    this.#at[s] = at;
    this.#states[s] = KEPT;
  }

  /** Room for `need` contiguous bytes (need fits the arena), the oldest records dropped for it; its offset. */
  #allocate(need: number): number {
    for (;;) {
      if (this.#records === 0) {
        this.#tail = this.#write = this.#end = 0;
        this.#wrapped = false;
      }
      if (this.#wrapped) {
        if (this.#tail - this.#write >= need) break; // data in [tail, end) and [0, write): room between
      } else {
        if (this.arenaBytes - this.#write >= need) break; // data in [tail, write): room after it,
        if (this.#tail >= need) {
          // or before it: wrap
          this.#end = this.#write;
          this.#write = 0;
          this.#wrapped = true;
          break;
        }
      }
      this.#dropRecord();
    }
    const at = this.#write;
    this.#write += need;
    this.#records++;
    return at;
  }

  /** Drops the oldest record; its slot, if it still owns it, becomes LOST. */
  #dropRecord(): void {
    const arena = this.#arena;
    const at = this.#tail;
    const owner = (arena[at]! << 8) | arena[at + 1]!;
    const length = (arena[at + 2]! << 8) | arena[at + 3]!;
    if (this.#states[owner] === KEPT && this.#at[owner] === at) this.#states[owner] = LOST;
    this.#records--;
    this.#tail = at + RECORD_HEADER + length;
    if (this.#wrapped && this.#tail >= this.#end) {
      this.#tail = 0; // the data before the wrap is used up
      this.#wrapped = false;
    }
  }

  get size(): number {
    return this.#count;
  }
}
