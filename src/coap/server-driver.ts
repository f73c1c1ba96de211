/**
 * The CoAP server driver: the one pump between a datagram link and the sans-IO CoapServerEngine
 * (server.ts), for every CoAP server of idpgate (the gate example, the local identity provider).
 *
 * Theory of operation:
 *  - a datagram from the link goes to `handleDatagram` at once; what the engine can answer by itself (a
 *    retransmitted CON from the deduplication table, a later Block2 block, RST, 4.02, 4.13, 2.31) is sent
 *    within that call. A new request is handed to `handler` within that call too, after the engine has
 *    returned, its body read in place from the datagram (issue 13: no promise job, no copy per datagram).
 *    The handler runs above the receive path (socket -> DTLS -> here) on a device's 512-slot XS stack: it
 *    answers what it can decide at once and moves deep work (a provider round trip) to a job of its own.
 *  - a request that outlives the datagram's call (pending after its handler returned, or not served yet)
 *    gets a copy of its body (CoapServerEngine.detach) before the call returns.
 *  - a datagram arriving while a handler runs (a link that delivers within send) is queued, not served
 *    inside that handler: the serving frame takes it next. One serving hands at most `maxRequestsPerWake`
 *    requests to `handler`, then queues a promise job for the rest, so a burst cannot starve other work.
 *  - the handler answers each request with `respond(req, answer)` (within its call, or later, after its
 *    own work) or gives it up with `drop(req)` (a CON is then retransmitted by the peer and answered from
 *    nothing: the engine forgets it). A handler that throws is a bug: its request is answered 5.00.
 *  - after every step the driver sends what the engine queued and arms one timer for `pollTimeout()`;
 *    the timer runs `handleTimeout` (deduplication, block cache and Block1 expiry).
 *  - `close()` cancels the timer and the queued job's work; later datagrams and answers are ignored. The
 *    link is the caller's: it closes it.
 * Nothing here reads a clock or sets a timer but through the ports it is given.
 */
import { makeCode } from "./constants.js";
import { CoapServerEngine, type ServerAnswer, type ServerOptions, type ServerRequest } from "./server.js";
import { DeadlineTimer } from "../link/deadline-timer.js";
import type { Endpoint, MonotonicClock, Timers } from "../ports.js";

/** Default bound of the requests handed to the handler per wake-up (the engine's queue is bounded too). */
export const MAX_REQUESTS_PER_WAKE = 8;

const INTERNAL_SERVER_ERROR = makeCode(5, 0);

/** What the driver needs of a link: plaintext CoAP datagrams to and from peers (a DatagramLink fits). */
export interface CoapServerLink {
  /** Done with the bytes when it returns, as DatagramLink.send (src/ports.ts): the engine reuses its reply buffer. */
  send(datagram: Uint8Array, to: Endpoint): void;
  onDatagram(receiver: (data: Uint8Array, from: Endpoint) => void): void;
}

export interface CoapServerDriverOptions {
  readonly link: CoapServerLink;
  readonly clock: MonotonicClock;
  readonly timers: Timers;
  /**
   * Called once per request, within the call that delivered its datagram (from a promise job past
   * maxRequestsPerWake); answers it with `respond` or `drop`, now or later. The request object is the
   * engine's and is reused once answered (ServerRequest): keep it only while it is pending.
   */
  readonly handler: (req: ServerRequest) => void;
  /** The engine's bounds (pending requests, deduplication, block cache, body size). */
  readonly engine?: ServerOptions;
  /** Requests handed to `handler` per wake-up; default MAX_REQUESTS_PER_WAKE. */
  readonly maxRequestsPerWake?: number;
}

export class CoapServerDriver {
  readonly #engine: CoapServerEngine;
  readonly #clock: MonotonicClock;
  readonly #handler: (req: ServerRequest) => void;
  readonly #perWake: number;
  readonly #deadline: DeadlineTimer;
  /** The engine hands each datagram to its send (no transmit object per datagram). */
  readonly #link: CoapServerLink;
  /** Bound once: the job that serves what one serving left (past maxRequestsPerWake). */
  readonly #serveJob: () => void;
  /**
   * Resolved once: a job is queued with `#ready.then` (one reaction, ~40 slots on XS) instead of
   * `Promise.resolve().then` (a promise more: ~65 slots). Made here, not at module evaluation (a preloaded
   * module's objects are frozen in ROM on a device).
   */
  readonly #ready: Promise<void> = Promise.resolve();
  /** A frame is serving requests, or a job to serve them is queued: a datagram meanwhile only queues. */
  #serving = false;
  #closed = false;

  constructor(options: CoapServerDriverOptions) {
    this.#engine = new CoapServerEngine(options.engine);
    this.#clock = options.clock;
    this.#handler = options.handler;
    this.#perWake = options.maxRequestsPerWake ?? MAX_REQUESTS_PER_WAKE;
    this.#deadline = new DeadlineTimer(options.timers, options.clock, () => {
      if (this.#closed) return;
      this.#engine.handleTimeout(this.#clock.now());
      this.#flush();
    });
    this.#link = options.link;
    this.#serveJob = () => {
      this.#serving = false;
      this.#serve();
      this.#flush();
    };
    options.link.onDatagram(this.#receive);
  }

  /** Requests handed to the handler and not yet answered or dropped. */
  get pendingRequests(): number {
    return this.#engine.pendingRequests;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Answers `req` and sends the answer; false when it was answered, dropped or expired, or the driver closed. */
  respond(req: ServerRequest, answer: ServerAnswer): boolean {
    if (this.#closed) return false;
    const answered = this.#engine.respond(req.id, answer, this.#clock.now());
    this.#flush();
    return answered;
  }

  /** Gives `req` up unanswered. */
  drop(req: ServerRequest): void {
    if (this.#closed) return;
    this.#engine.drop(req.id);
    this.#flush();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deadline.cancel();
  }

  /**
   * The link's receiver. A field, not a method: the link calls it directly, one frame less below the handler
   * (the whole request path runs above it on a device's 512-slot XS stack).
   */
  readonly #receive = (data: Uint8Array, from: Endpoint): void => {
    if (this.#closed) return;
    this.#engine.handleDatagram(data, from, this.#clock.now(), true);
    if (!this.#serving) this.#serve();
    this.#engine.detach(); // `data` is the link's only during this call
    this.#flush();
  };

  /** Hands at most maxRequestsPerWake queued requests to the handler; queues a job when more may wait. */
  #serve(): void {
    if (this.#closed) return;
    this.#serving = true;
    let i = 0;
    for (
      let req = this.#engine.pollEvent();
      req !== undefined;
      req = i < this.#perWake && !this.#closed ? this.#engine.pollEvent() : undefined
    ) {
      i++;
      const id = req.id; // the object may describe a later request once answered
      try {
        this.#handler(req);
      } catch {
        this.#engine.respond(id, { code: INTERNAL_SERVER_ERROR }, this.#clock.now());
      }
    }
    if (i >= this.#perWake && !this.#closed)
      void this.#ready.then(this.#serveJob); // more may wait: other work runs first
    else this.#serving = false;
  }

  #flush(): void {
    if (this.#closed) return;
    this.#engine.transmit(this.#link);
    this.#deadline.set(this.#engine.pollTimeout());
  }
}
