/**
 * DtlsClientDriver: the DTLS 1.2 client role, written once for every host. It moves datagrams between a raw
 * DatagramLink (the host's UDP socket) and one sans-IO client session of modules/dtls (DtlsClientSession), and
 * is itself a DatagramLink of plaintext to its one peer, so a CoAP client sits on it. Hosts subclass it only to
 * hand in a socket, a session from their binding and timers.
 *
 * Theory of operation (the same on every host by construction):
 *  - handshake(attempt) starts the session and settles once: it resolves on "connected"; it rejects with the
 *    session's error when the handshake fails, or with dtls.closed when the link is closed or `attempt`
 *    cancelled first. The link is then closed: socket, timer and session released.
 *  - One timer, armed at the session's next deadline after every step (DeadlineTimer: re-arming the same
 *    deadline costs nothing, so a connected session's datagram path creates no timer).
 *  - Bounded work. At most `maxEventsPerWake` events (and as many records sent) per wake-up; the rest wait for
 *    a zero-delay wake-up, so one burst cannot hold the VM.
 *  - A failure is reported once: through the handshake's rejection while connecting, through onError after.
 *    The end of a connected session (the peer's close_notify, dtls.peer_closed, or a failure) closes the link.
 *  - close() queues close_notify (when connected), sends it, then frees the session and closes the socket.
 *    Safe twice; nothing is fed or reported after it.
 *
 * Datagrams from any other address than the peer's are dropped before the session sees them.
 */
import type { DatagramLink, Endpoint, MonotonicClock, Timers } from "../ports.js";
import { DeadlineTimer } from "./deadline-timer.js";
import { LinkReceivers } from "./link-receivers.js";
import { DtlsError } from "./dtls-error.js";
import type { ConnectAttempt } from "./reconnecting-link.js";
import type { DtlsClientSession } from "./dtls-client-session.js";

export const DTLS_CLIENT_MAX_EVENTS = 64;

export interface DtlsClientDriverOptions<S extends DtlsClientSession> {
  /** The socket the records travel on; closed with this link. */
  readonly raw: DatagramLink;
  readonly peer: Endpoint;
  /** A client session from the host's binding, not yet started; freed with this link. */
  readonly session: S;
  readonly clock: MonotonicClock;
  readonly timers: Timers;
  readonly maxEventsPerWake?: number;
}

interface Pending {
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export class DtlsClientDriver<S extends DtlsClientSession = DtlsClientSession> extends LinkReceivers implements DatagramLink {
  readonly peer: Endpoint;
  /** The host's session, for what only its binding offers (resumption); the driver owns its life. */
  protected readonly session: S;
  readonly #raw: DatagramLink;
  readonly #clock: MonotonicClock;
  readonly #maxEvents: number;
  readonly #deadline: DeadlineTimer;
  #pending: Pending | undefined;
  #more = false;
  #pumping = false;
  #closed = false;

  constructor(o: DtlsClientDriverOptions<S>) {
    super();
    this.peer = { address: o.peer.address, port: o.peer.port };
    this.session = o.session;
    this.#raw = o.raw;
    this.#clock = o.clock;
    this.#maxEvents = Math.max(1, o.maxEventsPerWake ?? DTLS_CLIENT_MAX_EVENTS);
    this.#deadline = new DeadlineTimer(o.timers, o.clock, () => this.#wake());
    o.raw.onDatagram(this.#receive);
    // While connecting, a socket failure ends the handshake at once (its rejection), as any other failure does.
    o.raw.onError((error) => (this.#pending !== undefined ? this.#end(error) : this.fail(error, this.peer)));
  }

  /** Starts the handshake; see the theory of operation for how it settles. Call once. */
  protected handshake(attempt?: ConnectAttempt): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending = { resolve, reject };
      attempt?.onCancel(() => {
        if (this.#pending !== undefined) this.close();
      });
      if (this.#closed) return;
      try {
        this.session.start(this.#clock.now());
      } catch (e) {
        this.#pending = undefined;
        this.#shutdown();
        reject(e as Error);
        return;
      }
      this.#pump();
    });
  }

  get maxDatagramSize(): number {
    return this.#closed ? 0 : this.session.maxPayload;
  }

  get suite(): string | undefined {
    return this.#closed ? undefined : this.session.suite;
  }

  send(datagram: Uint8Array, to: Endpoint): void {
    if (this.#closed) return;
    if (to.port !== this.peer.port || to.address !== this.peer.address) {
      this.fail(new DtlsError("dtls.bad_argument", "caller", "a DTLS client link only reaches its own peer"), to);
      return;
    }
    try {
      this.session.write(datagram, this.#clock.now());
    } catch (e) {
      this.fail(e as Error, to);
    }
    this.#pump();
  }

  /** Sends close_notify (when connected), frees the session and closes the socket. Safe twice. */
  close(): void {
    if (this.#closed) return;
    try {
      this.session.close(this.#clock.now());
    } catch {
      // already failed: nothing to say to the peer
    }
    this.#flush();
    this.#shutdown();
  }

  // A field, not a method: the raw link calls it directly, one frame less under the CoAP client (512-slot
  // XS stack).
  readonly #receive = (data: Uint8Array, from: Endpoint): void => {
    if (this.#closed || from.port !== this.peer.port || from.address !== this.peer.address) return;
    this.session.handleDatagram(data, this.#clock.now());
    this.#pump();
  };

  #wake(): void {
    if (this.#closed) return;
    this.#more = false;
    this.session.handleTimeout(this.#clock.now());
    this.#pump();
  }

  /** Sends what the session queued, at most maxEventsPerWake records; true when some are left. */
  #flush(): boolean {
    for (let i = 0; i < this.#maxEvents; i++) {
      const d = this.session.pollTransmit();
      if (d === undefined) return false;
      this.#raw.send(d, this.peer);
    }
    return true;
  }

  /**
   * Sends, then handles at most maxEventsPerWake events in order, then arms the one timer. Plaintext is
   * delivered from this frame, which is kept small: the CoAP client's whole response path runs above it. A
   * send() from a receiver only queues its record here (this loop sends it), so the bound holds per wake-up
   * and the stack does not grow with each answer.
   */
  #pump(): void {
    if (this.#closed || this.#pumping) return;
    this.#pumping = true;
    try {
      let more = this.#flush();
      let i = 0;
      for (; i < this.#maxEvents; i++) {
        const ev = this.session.pollEvent();
        if (ev === undefined) break;
        if (ev.type === "data") this.deliver(ev.data, this.peer);
        else if (ev.type === "connected") {
          const pending = this.#pending;
          this.#pending = undefined;
          pending?.resolve();
        } else {
          this.#end(ev.error ?? new DtlsError("dtls.peer_closed", "peer", "the server closed the session"));
          return;
        }
        if (this.#closed) return;
        more = this.#flush() || more;
      }
      this.#more = more || i === this.#maxEvents;
    } finally {
      this.#pumping = false;
    }
    this.#arm();
  }

  /** The session ended by itself (its last records, an alert, left with the input): reported once. */
  #end(error: Error): void {
    const pending = this.#pending;
    this.#pending = undefined;
    this.#shutdown();
    if (pending !== undefined) pending.reject(error);
    else this.fail(error, this.peer);
  }

  #shutdown(): void {
    this.#closed = true;
    this.#deadline.cancel();
    this.session.free();
    this.#raw.close();
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(new DtlsError("dtls.closed", "caller", "closed during the handshake"));
  }

  #arm(): void {
    this.#deadline.set(this.#more ? this.#clock.now() : this.session.pollTimeout());
  }
}
