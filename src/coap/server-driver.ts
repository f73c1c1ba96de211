/**
 * The CoAP server driver: the one pump between a datagram link and the sans-IO CoapServerEngine
 * (server.ts), for every CoAP server of idpgate (the gate example, the local identity provider).
 *
 * Theory of operation:
 *  - a datagram from the link goes to `handleDatagram` at once; what the engine can answer by itself (a
 *    retransmitted CON from the deduplication table, a later Block2 block, RST, 4.02, 4.13, 2.31) is sent
 *    within that call. New requests are not served there: one promise job is queued, so the receive path
 *    (socket -> DTLS -> here) stays shallow on a device's 512-slot XS stack and holds no handler frames.
 *  - the job hands at most `maxRequestsPerWake` requests to `handler`, then queues another job if more
 *    wait, so a burst cannot starve other work.
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
  send(datagram: Uint8Array, to: Endpoint): void;
  onDatagram(receiver: (data: Uint8Array, from: Endpoint) => void): void;
}

export interface CoapServerDriverOptions {
  readonly link: CoapServerLink;
  readonly clock: MonotonicClock;
  readonly timers: Timers;
  /** Called once per request, from a promise job; answers it with `respond` or `drop`, now or later. */
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
  /** Bound once: the engine hands each datagram to it (no transmit object per datagram). */
  readonly #send: (bytes: Uint8Array, to: Endpoint) => void;
  /** Bound once: the job that serves queued requests. */
  readonly #serveJob: () => void;
  /**
   * Resolved once: each wake-up queues its job with `#ready.then` (one reaction, ~40 slots on XS) instead of
   * `Promise.resolve().then` (a promise more: ~65 slots). Made here, not at module evaluation (a preloaded
   * module's objects are frozen in ROM on a device).
   */
  readonly #ready: Promise<void> = Promise.resolve();
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
    const link = options.link;
    this.#send = (bytes, to) => link.send(bytes, to);
    this.#serveJob = () => this.#serve();
    options.link.onDatagram((data, from) => this.#receive(data, from));
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

  #receive(data: Uint8Array, from: Endpoint): void {
    if (this.#closed) return;
    this.#engine.handleDatagram(data, from, this.#clock.now());
    if (!this.#serving) {
      this.#serving = true;
      void this.#ready.then(this.#serveJob);
    }
    this.#flush();
  }

  #serve(): void {
    this.#serving = false;
    if (this.#closed) return;
    let i = 0;
    for (let req = this.#engine.pollEvent(); req !== undefined; req = i < this.#perWake ? this.#engine.pollEvent() : undefined) {
      i++;
      try {
        this.#handler(req);
      } catch {
        this.#engine.respond(req.id, { code: INTERNAL_SERVER_ERROR }, this.#clock.now());
      }
    }
    if (i >= this.#perWake) {
      this.#serving = true; // more may wait: another job, so other work runs in between
      void this.#ready.then(this.#serveJob);
    }
    this.#flush();
  }

  #flush(): void {
    if (this.#closed) return;
    this.#engine.transmit(this.#send);
    this.#deadline.set(this.#engine.pollTimeout());
  }
}
