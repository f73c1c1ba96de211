/**
 * NSTART admission (RFC 7252 §4.7): at most `nstart` active requests per peer, the rest waiting in a
 * bounded FIFO per peer (`coap.queue_full` beyond `maxQueued`).
 */
import { CoapExchangeError } from "./errors.js";

interface Peer<T> {
  active: number;
  readonly queue: T[];
}

export class Admission<T> {
  readonly #peers = new Map<string, Peer<T>>();

  constructor(
    readonly nstart: number,
    readonly maxQueued: number,
  ) {}

  /** True: start `item` now. False: it was queued. @throws `coap.queue_full`. */
  admit(peerKey: string, item: T): boolean {
    let peer = this.#peers.get(peerKey);
    if (peer === undefined) this.#peers.set(peerKey, (peer = { active: 0, queue: [] }));
    if (peer.active < this.nstart) {
      peer.active++;
      return true;
    }
    if (peer.queue.length >= this.maxQueued) {
      if (peer.active === 0) this.#peers.delete(peerKey);
      throw new CoapExchangeError("coap.queue_full", "caller", `more than ${this.maxQueued} requests queued for one peer`);
    }
    peer.queue.push(item);
    return false;
  }

  /** Checks whether `admit` would throw, without changing anything. */
  wouldQueueOverflow(peerKey: string): boolean {
    const peer = this.#peers.get(peerKey);
    return peer !== undefined && peer.active >= this.nstart && peer.queue.length >= this.maxQueued;
  }

  /**
   * Removes `item`. If it was active, frees its slot and returns the next queued item, which is now
   * active and must be started by the caller.
   */
  remove(peerKey: string, item: T): T | undefined {
    const peer = this.#peers.get(peerKey);
    if (peer === undefined) return undefined;
    const queued = peer.queue.indexOf(item);
    let next: T | undefined;
    if (queued >= 0) peer.queue.splice(queued, 1);
    else {
      next = peer.queue.shift();
      if (next === undefined) peer.active--;
    }
    if (peer.active === 0 && peer.queue.length === 0) this.#peers.delete(peerKey);
    return next;
  }
}
