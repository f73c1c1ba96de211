/**
 * RFC 7252 §4.5 message deduplication: remembers incoming CON/NON by (endpoint, MID) for
 * EXCHANGE_LIFETIME, with the reply (ACK, RST or piggybacked answer) to send again for a duplicate.
 *
 * A preallocated, fixed table: every array is sized once, in the constructor, and recording, looking up,
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
/** A slot's fields in #ints: (port << 16 | MID), state, record offset, next slot in its chain. */
const KEY = 0;
const STATE = 1;
const AT = 2;
const NEXT = 3;
const STRIDE = 4;
/** The tables of a lazy table before its first entry. */
const NO_TIMES = new Float64Array(0);
const NO_INTS = new Int32Array(0);
const NO_BYTES = new Uint8Array(0);

/** A record's length field is 16 bits. */
const MAX_RECORD = 0xffff;

export class DedupTable {
  #addresses: (string | undefined)[] = [];
  #expires: Float64Array = NO_TIMES;
  /**
   * STRIDE numbers a slot (KEY, STATE, AT: offset of a KEPT slot's record, NEXT), then the chain heads by MID
   * from #bucketsAt: a lookup reads about one slot. One buffer holds the expiry times, these and the arena.
   */
  #ints: Int32Array = NO_INTS;
  #bucketsAt = 0;
  #mask = 0;
  #arena: Uint8Array = NO_BYTES;
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

  /**
   * `lazy`: allocate the tables at the first entry, not here (a client engine, whose peer almost never sends
   * a CON or NON, holds none of it); a server's datagram path takes them at construction.
   */
  constructor(
    readonly capacity: number,
    readonly lifetimeMs: number,
    readonly arenaBytes: number,
    lazy = false,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 0xffff)
      throw new ArgumentError("coap.bad_dedup", `dedup entries must be 1..65535, got ${capacity}`);
    if (!Number.isInteger(arenaBytes) || arenaBytes < RECORD_HEADER || arenaBytes > 0x7fffffff)
      throw new ArgumentError("coap.bad_dedup", `dedup reply bytes must be at least ${RECORD_HEADER}, got ${arenaBytes}`);
    // Every table, once. (A server's allocated at its first entry instead, inside a command's delivery, the XS
    // gate died with SIGSEGV in fxSweepValue at a later collection: a heap corruption this allocation pattern
    // exposes, its cause not found yet; see the issue 13 report.)
    if (!lazy) this.#allocateTables();
  }

  #allocateTables(): void {
    const capacity = this.capacity;
    const arenaBytes = this.arenaBytes;
    this.#addresses = new Array<string | undefined>(capacity).fill(undefined);
    let buckets = 1;
    while (buckets < capacity) buckets *= 2;
    const ints = capacity * STRIDE + buckets;
    const buffer = new ArrayBuffer(capacity * 8 + ints * 4 + arenaBytes);
    this.#expires = new Float64Array(buffer, 0, capacity);
    this.#ints = new Int32Array(buffer, capacity * 8, ints).fill(-1);
    this.#bucketsAt = capacity * STRIDE;
    this.#mask = buckets - 1;
    this.#arena = new Uint8Array(buffer, capacity * 8 + ints * 4, arenaBytes);
    for (let s = 0; s < capacity; s++) this.#ints[s * STRIDE + STATE] = NO_REPLY;
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
    const ints = this.#ints;
    // Unlink s from its chain (the oldest is last in it: slots are linked in at the front).
    const b = this.#bucketsAt + (ints[s * STRIDE + KEY]! & this.#mask);
    let at = ints[b]!;
    if (at === s) ints[b] = ints[s * STRIDE + NEXT]!;
    else {
      while (at >= 0 && ints[at * STRIDE + NEXT] !== s) at = ints[at * STRIDE + NEXT]!;
      if (at >= 0) ints[at * STRIDE + NEXT] = ints[s * STRIDE + NEXT]!;
    }
    ints[s * STRIDE + NEXT] = -1;
    ints[s * STRIDE + STATE] = NO_REPLY;
    this.#addresses[s] = undefined; // the peer's string is not held past its entry
    this.#head = s + 1 === this.capacity ? 0 : s + 1;
    this.#count--;
  }

  /** The slot of (peer, MID) seen within the lifetime, or -1. A slot is valid until the next record(). */
  find(peer: Endpoint, messageId: number, now: number): number {
    this.#expire(now);
    if (this.#count === 0) return -1;
    const key = (peer.port << 16) | messageId;
    const address = peer.address;
    const ints = this.#ints;
    for (let s = ints[this.#bucketsAt + (messageId & this.#mask)]!; s >= 0; s = ints[s * STRIDE + NEXT]!) {
      if (ints[s * STRIDE + KEY] === key && this.#addresses[s] === address) return s;
    }
    return -1;
  }

  /**
   * What to send again for a duplicate in `slot`: a copy of its reply (the arena is reused; a copy is made
   * only for a duplicate), or undefined (none yet, none at all, or lost: counted).
   */
  replyFor(slot: number): Uint8Array | undefined {
    const state = this.#ints[slot * STRIDE + STATE];
    if (state === LOST) this.lost++;
    if (state !== KEPT) return undefined;
    const at = this.#ints[slot * STRIDE + AT]!;
    const length = (this.#arena[at + 2]! << 8) | this.#arena[at + 3]!;
    return this.#arena.slice(at + RECORD_HEADER, at + RECORD_HEADER + length);
  }

  /** Records (peer, MID) unless it is already there; returns its slot. */
  record(peer: Endpoint, messageId: number, now: number): number {
    const found = this.find(peer, messageId, now);
    if (found >= 0) return found;
    if (this.#arena === NO_BYTES) this.#allocateTables();
    if (this.#count >= this.capacity) this.#dropOldest();
    let s = this.#head + this.#count;
    if (s >= this.capacity) s -= this.capacity;
    const ints = this.#ints;
    this.#addresses[s] = peer.address;
    this.#expires[s] = now + this.lifetimeMs;
    ints[s * STRIDE + KEY] = (peer.port << 16) | messageId;
    ints[s * STRIDE + STATE] = NO_REPLY;
    const b = this.#bucketsAt + (messageId & this.#mask);
    ints[s * STRIDE + NEXT] = ints[b]!;
    ints[b] = s;
    this.#count++;
    return s;
  }

  /** Records (peer, MID) if needed and keeps `reply` for its duplicates (or marks it LOST; see above). */
  keep(peer: Endpoint, messageId: number, reply: Uint8Array, now: number): void {
    const s = this.record(peer, messageId, now);
    const at = reply.length > this.maxReplyBytes ? -1 : this.#allocate(RECORD_HEADER + reply.length);
    if (at < 0) {
      this.#ints[s * STRIDE + STATE] = LOST;
      return;
    }
    const arena = this.#arena;
    arena[at] = s >> 8;
    arena[at + 1] = s & 0xff;
    arena[at + 2] = reply.length >> 8;
    arena[at + 3] = reply.length & 0xff;
    arena.set(reply, at + RECORD_HEADER);
    this.#ints[s * STRIDE + AT] = at;
    this.#ints[s * STRIDE + STATE] = KEPT;
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
    const fields = owner * STRIDE;
    if (this.#ints[fields + STATE] === KEPT && this.#ints[fields + AT] === at) this.#ints[fields + STATE] = LOST;
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
