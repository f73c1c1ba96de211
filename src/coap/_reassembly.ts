/**
 * RFC 7959 §2.3/§2.5 Block1 on the server side: the blocks of one request body, reassembled in order into a
 * bounded buffer, so the application only ever sees a whole body.
 *
 * Theory of operation: a transfer is keyed by peer and request (method, path, query), not by token, because a
 * client may use a new token for each block (§2.5, and libcoap does). `offer(key, block, payload, now)` takes
 * one block and says what to answer:
 *
 * ```
 *  block                               state before            outcome (answer)        state after
 *  NUM 0, M 1                          none or any             continue (2.31)         receiving (replaced)
 *  NUM n, M 1, at the byte received    receiving               continue (2.31)         receiving
 *  NUM n, M 0, at the byte received    receiving               complete (the request)  none
 *  the last block again (new MID)      receiving               continue (2.31)         receiving (unchanged)
 *  NUM n > 0, anywhere else            none or receiving       incomplete (4.08)       none
 *  past the body limit                 any                     too_large (4.13)        none
 *  a non-final block not of its size   any                     bad (4.00)              none
 *  NUM 0 while `capacity` are open     (others)                busy (5.03)             unchanged
 * ```
 *
 * Positions are byte offsets (NUM × block size), so a client that changes its block size mid-way (§2.3) still
 * lines up. Every transfer expires `lifetimeMs` after its last block; expired ones are pruned on every call
 * and by `prune(now)`; `nextExpiry()` is the engine's deadline for it. Bounded: at most `capacity` transfers,
 * each at most `maxBodyBytes`.
 */
import { blockSize, type DecodedBlock } from "./block.js";

export type Block1Outcome =
  | { readonly kind: "continue" }
  | { readonly kind: "complete"; readonly body: Uint8Array }
  | { readonly kind: "incomplete" | "too_large" | "bad" | "busy" };

interface Transfer {
  body: Uint8Array;
  /** Bytes received so far: where the next block must start. */
  received: number;
  /** Where the last accepted block started, to recognise it sent again. */
  lastStart: number;
  expires: number;
}

/** Blocks of room a new transfer starts with; it doubles as blocks arrive. */
const INITIAL_BLOCKS = 4;
const CONTINUE: Block1Outcome = { kind: "continue" };
const INCOMPLETE: Block1Outcome = { kind: "incomplete" };
const TOO_LARGE: Block1Outcome = { kind: "too_large" };
const BAD: Block1Outcome = { kind: "bad" };
const BUSY: Block1Outcome = { kind: "busy" };

export class Block1Reassembly {
  /** Insertion order is expiry order: a transfer is moved to the end whenever it is refreshed. */
  readonly #transfers = new Map<string, Transfer>();

  constructor(
    readonly capacity: number,
    readonly maxBodyBytes: number,
    readonly lifetimeMs: number,
  ) {}

  /** One block of the request `key`; `announced` is the Size1 the client gave (or undefined). */
  offer(key: string, block: DecodedBlock, payload: Uint8Array, announced: number | undefined, now: number): Block1Outcome {
    this.prune(now);
    const start = block.num * block.size;
    let t = this.#transfers.get(key);
    if (block.more && payload.length !== block.size) return this.#end(key, BAD); // §2.3: only the last block may be short
    if (block.num === 0) {
      if (t === undefined && this.#transfers.size >= this.capacity) return BUSY;
      this.#transfers.delete(key);
      t = { body: new Uint8Array(this.#initialSize(block, announced)), received: 0, lastStart: -1, expires: 0 };
    } else if (t === undefined) {
      return INCOMPLETE; // a body continued without its start
    } else if (block.more && start === t.lastStart && start + payload.length === t.received) {
      return this.#keep(key, t, now); // the last block again under a new MID: its 2.31 was lost
    } else if (start !== t.received) {
      return this.#end(key, INCOMPLETE);
    }
    const end = start + payload.length;
    if (end > this.maxBodyBytes) return this.#end(key, TOO_LARGE);
    if (end > t.body.length) t.body = grow(t.body, t.received, Math.min(this.maxBodyBytes, Math.max(end, t.body.length * 2)));
    t.body.set(payload, start);
    t.received = end;
    t.lastStart = start;
    if (!block.more) {
      this.#transfers.delete(key);
      return { kind: "complete", body: t.body.subarray(0, end) };
    }
    return this.#keep(key, t, now);
  }

  /** Drops transfers whose last block is older than the lifetime. */
  prune(now: number): void {
    if (this.#transfers.size === 0) return;
    for (const [k, t] of this.#transfers) {
      if (t.expires > now) break;
      this.#transfers.delete(k);
    }
  }

  /** When the oldest open transfer expires, or undefined when none is open. */
  nextExpiry(): number | undefined {
    if (this.#transfers.size === 0) return undefined;
    for (const t of this.#transfers.values()) return t.expires;
    return undefined;
  }

  get size(): number {
    return this.#transfers.size;
  }

  #keep(key: string, t: Transfer, now: number): Block1Outcome {
    t.expires = now + this.lifetimeMs;
    this.#transfers.delete(key);
    this.#transfers.set(key, t);
    return CONTINUE;
  }

  #end(key: string, outcome: Block1Outcome): Block1Outcome {
    this.#transfers.delete(key);
    return outcome;
  }

  /**
   * Room for a few blocks, or less when Size1 announces less; never past the limit. An announced Size1 is not
   * trusted further: one datagram must not make the server set aside a whole body's worth of memory.
   */
  #initialSize(block: DecodedBlock, announced: number | undefined): number {
    const few = INITIAL_BLOCKS * blockSize(block.szx);
    return Math.min(this.maxBodyBytes, announced !== undefined && announced > 0 ? Math.min(announced, few) : few);
  }
}

function grow(body: Uint8Array, used: number, size: number): Uint8Array {
  const bigger = new Uint8Array(size);
  bigger.set(body.subarray(0, used));
  return bigger;
}
