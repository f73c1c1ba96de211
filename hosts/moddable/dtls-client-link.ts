/**
 * DtlsClientLink: a DatagramLink carrying plaintext datagrams over DTLS 1.2 to one server, on XS (Moddable
 * devices, the simulator, the XS test host): the sans-IO DtlsSession of modules/dtls (dtls.ts, the XS
 * binding) over a raw DatagramLink (UdpLink) and the host's timers. This file only moves bytes and keeps one
 * timer armed at the session's next deadline.
 *
 * @example
 * ```ts
 * const link = await DtlsClientLink.connect({ raw: new UdpLink(), peer: { address: "192.0.2.1", port: 5684 },
 *   session: { role: "client", identity, key }, ...devicePorts() });
 * link.send(coapBytes, link.peer);
 * ```
 */
import { DtlsError, DtlsSession, type DtlsSessionOptions } from "../../modules/dtls/dtls.js";
import type { DatagramLink, Endpoint, MonotonicClock, Timers } from "../../src/ports.js";
import { DeadlineTimer } from "../../src/link/deadline-timer.js";
import { LinkReceivers } from "../../src/link/link-receivers.js";
import type { ConnectAttempt } from "../../src/link/reconnecting-link.js";

export interface DtlsClientLinkOptions {
  /** The socket the records travel on; closed with this link. */
  readonly raw: DatagramLink;
  readonly peer: Endpoint;
  readonly session: DtlsSessionOptions;
  readonly clock: MonotonicClock;
  readonly timers: Timers;
}

/** Events handled per wake-up (a datagram or a timer). */
const MAX_EVENTS = 64;

export class DtlsClientLink extends LinkReceivers implements DatagramLink {
  readonly peer: Endpoint;
  readonly #raw: DatagramLink;
  readonly #session: DtlsSession;
  readonly #clock: MonotonicClock;
  readonly #deadline: DeadlineTimer;
  #onConnected: (() => void) | undefined;
  #onFailed: ((e: Error) => void) | undefined;
  #closed = false;

  private constructor(o: DtlsClientLinkOptions) {
    super();
    this.peer = { address: o.peer.address, port: o.peer.port };
    this.#raw = o.raw;
    this.#clock = o.clock;
    this.#deadline = new DeadlineTimer(o.timers, o.clock, () => {
      if (this.#closed) return;
      this.#session.handleTimeout(this.#clock.now());
      this.#pump();
    });
    this.#session = new DtlsSession({ ...o.session, role: "client" });
    o.raw.onDatagram((data, from) => {
      if (this.#closed || from.port !== this.peer.port || from.address !== this.peer.address) return;
      this.#session.handleDatagram(data, this.#clock.now());
      this.#pump();
    });
    o.raw.onError((error) => this.fail(error, this.peer));
  }

  /** Runs the handshake; resolves when connected, rejects with a DtlsError (the raw link is then closed). */
  /** Resolves once the handshake is done; a cancelled `attempt` closes the link and rejects with dtls.closed. */
  static connect(o: DtlsClientLinkOptions, attempt?: ConnectAttempt): Promise<DtlsClientLink> {
    let link: DtlsClientLink;
    try {
      link = new DtlsClientLink(o);
    } catch (e) {
      o.raw.close();
      return Promise.reject(e);
    }
    return new Promise<DtlsClientLink>((resolve, reject) => {
      link.#onConnected = () => resolve(link);
      link.#onFailed = reject;
      attempt?.onCancel(() => {
        if (link.#onFailed === undefined) return; // settled already
        link.#onConnected = link.#onFailed = undefined;
        link.close();
        reject(new DtlsError("dtls.closed", "caller", "closed during the handshake"));
      });
      link.#session.start(o.clock.now());
      link.#pump();
    });
  }

  get maxDatagramSize(): number {
    return this.#closed ? 0 : this.#session.maxPayload;
  }

  get suite(): string | undefined {
    return this.#closed ? undefined : this.#session.suite;
  }

  send(datagram: Uint8Array, to: Endpoint): void {
    if (this.#closed) return;
    if (to.port !== this.peer.port || to.address !== this.peer.address) {
      this.fail(new DtlsError("dtls.bad_argument", "caller", "a DtlsClientLink only reaches its own peer"), to);
      return;
    }
    try {
      this.#session.write(datagram, this.#clock.now());
    } catch (e) {
      this.fail(e as Error, to);
    }
    this.#pump();
  }

  /** Sends close_notify, frees the session and closes the raw link. Safe twice. */
  close(): void {
    if (this.#closed) return;
    try {
      this.#session.close(this.#clock.now());
    } catch {
      // already failed: nothing to say to the peer
    }
    this.#flush();
    this.#shutdown();
  }

  #shutdown(): void {
    this.#closed = true;
    this.#deadline.cancel();
    this.#session.free();
    this.#raw.close();
    const failed = this.#onFailed;
    this.#onFailed = undefined;
    this.#onConnected = undefined;
    failed?.(new DtlsError("dtls.closed", "caller", "closed during the handshake"));
  }

  #flush(): void {
    for (let d = this.#session.pollTransmit(), i = 0; d !== undefined && i < MAX_EVENTS; d = this.#session.pollTransmit(), i++) {
      this.#raw.send(d, this.peer);
    }
  }

  #pump(): void {
    if (this.#closed) return;
    this.#flush();
    for (let ev = this.#session.pollEvent(), i = 0; ev !== undefined && i < MAX_EVENTS; ev = this.#session.pollEvent(), i++) {
      if (ev.type === "connected") {
        const connected = this.#onConnected;
        this.#onConnected = undefined;
        this.#onFailed = undefined;
        connected?.();
      } else if (ev.type === "data") {
        this.deliver(ev.data, this.peer);
        if (this.#closed) return;
      } else {
        const err = ev.error ?? new DtlsError("dtls.peer_closed", "peer", "the server closed the session");
        const failed = this.#onFailed;
        this.#onFailed = undefined;
        if (failed !== undefined) failed(err);
        else this.fail(err, this.peer);
        this.#flush();
        this.#shutdown();
        return;
      }
    }
    // Re-arm only when the deadline moved: a connected session mostly has none, so the common path
    // (one datagram in, one out) creates no timer.
    this.#deadline.set(this.#session.pollTimeout());
  }
}
