/**
 * DtlsServerLink: the DTLS 1.2 server role on XS over one raw DatagramLink (UdpLink), many peers, on the
 * multi-peer server of modules/dtls (XS binding DtlsServer: stateless HelloVerifyRequest cookies, PSK, a
 * bounded session table, idle expiry). It is itself a DatagramLink: datagrams in and out are plaintext,
 * `send(data, peer)` encrypts to that peer, so a CoAP server engine sits on it.
 *
 * Bounds: at most `maxSessions` peers. A ClientHello from a new address gets its cookie and costs no session;
 * one that comes back with the cookie, having proved it receives at its address, gets a session, and when all
 * are taken replaces the least recently heard peer; so a stream of short-lived clients such as coap-client
 * runs never fills the table, while a flood of ClientHellos from spoofed addresses evicts no one.
 * A peer silent for `idleTimeoutMs` is dropped; per wake-up at most MAX_EVENTS events are handled. One timer
 * is armed at the server's earliest deadline (handshake retransmission or idle expiry).
 *
 * @example
 * ```ts
 * const server = new DtlsServerLink({ raw: new UdpLink({ port: 5684 }), psk: { identity, key }, ...devicePorts() });
 * server.onDatagram((data, peer) => server.send(data, peer)); // echo over DTLS
 * ```
 */
import { DtlsError, DtlsServer } from "../../modules/dtls/dtls.js";
import type { DatagramLink, Endpoint, MonotonicClock, Timers } from "../../src/ports.js";
import { DeadlineTimer } from "../../src/link/deadline-timer.js";
import { LinkReceivers } from "../../src/link/link-receivers.js";

export const DTLS_SERVER_MAX_SESSIONS = 4;
export const DTLS_SERVER_IDLE_MS = 120_000;
const MAX_EVENTS = 64;

export interface DtlsServerLinkOptions {
  readonly raw: DatagramLink;
  /** The one PSK identity and key accepted. */
  readonly psk: { readonly identity: Uint8Array; readonly key: Uint8Array };
  readonly clock: MonotonicClock;
  readonly timers: Timers;
  readonly maxSessions?: number;
  readonly idleTimeoutMs?: number;
  readonly mtu?: number;
  readonly handshakeDeadlineMs?: number;
}

export class DtlsServerLink extends LinkReceivers implements DatagramLink {
  readonly maxDatagramSize: number;
  readonly #raw: DatagramLink;
  readonly #clock: MonotonicClock;
  readonly #server: DtlsServer;
  /** Connected peers by key (for close()); the server keeps the sessions. */
  readonly #connected = new Map<string, Endpoint>();
  readonly #deadline: DeadlineTimer;
  #closed = false;
  /** Peers replaced by a newcomer; newcomers refused; sessions that ended with an error. */
  evicted = 0;
  refused = 0;
  failed = 0;

  constructor(o: DtlsServerLinkOptions) {
    super();
    this.#raw = o.raw;
    this.#clock = o.clock;
    this.#server = new DtlsServer({
      identity: o.psk.identity,
      key: o.psk.key,
      maxSessions: Math.max(1, o.maxSessions ?? DTLS_SERVER_MAX_SESSIONS),
      idleTimeoutMs: o.idleTimeoutMs ?? DTLS_SERVER_IDLE_MS,
      evictLeastRecent: true,
      ...(o.mtu === undefined ? {} : { mtu: o.mtu }),
      ...(o.handshakeDeadlineMs === undefined ? {} : { handshakeDeadlineMs: o.handshakeDeadlineMs }),
    });
    this.#deadline = new DeadlineTimer(o.timers, o.clock, () => {
      if (this.#closed) return;
      this.#guard(undefined, () => this.#server.handleTimeout(this.#clock.now()));
      this.#pump();
    });
    // One CCM_8 record under a 1280-byte MTU, as the Node server socket.
    this.maxDatagramSize = 1152;
    o.raw.onDatagram((data, from) => this.#receive(data, from));
    o.raw.onError((error, peer) => this.fail(error, peer));
  }

  get sessionCount(): number {
    return this.#closed ? 0 : this.#server.sessionCount;
  }

  send(datagram: Uint8Array, to: Endpoint): void {
    if (this.#closed) return;
    const k = key(to);
    if (!this.#connected.has(k)) {
      this.fail(new DtlsError("dtls.closed", "caller", "no DTLS session with this peer"), to);
      return;
    }
    this.#guard(to, () => this.#server.write(datagram, k, this.#clock.now()));
    this.#pump();
  }

  /** Sends close_notify to every connected peer, frees the server and closes the raw link. Safe twice. */
  close(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    for (const k of this.#connected.keys()) this.#guard(undefined, () => this.#server.closePeer(k, now));
    for (let ev = this.#server.pollEvent(), i = 0; ev !== undefined && i < MAX_EVENTS; ev = this.#server.pollEvent(), i++)
      if (ev.type === "transmit") this.#raw.send(ev.data, endpoint(ev.peer));
    this.#connected.clear();
    this.#closed = true;
    this.#deadline.cancel();
    this.#server.free();
    this.#raw.close();
  }

  #receive(data: Uint8Array, from: Endpoint): void {
    if (this.#closed) return;
    this.#guard(from, () => this.#server.handleDatagram(data, key(from), this.#clock.now()));
    this.#pump();
  }

  /** Runs a server call; its typed failure goes to the error receiver (a refused newcomer is counted). */
  #guard(peer: Endpoint | undefined, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof DtlsError && e.code === "dtls.session_limit") this.refused++;
      this.fail(e as Error, peer);
    }
  }

  /** Handles the server's events in order, then arms the timer at its next deadline. */
  #pump(): void {
    for (let ev = this.#server.pollEvent(), i = 0; ev !== undefined && i < MAX_EVENTS; ev = this.#server.pollEvent(), i++) {
      if (ev.type === "transmit") this.#raw.send(ev.data, endpoint(ev.peer));
      else if (ev.type === "connected") this.#connected.set(ev.peer, endpoint(ev.peer));
      else if (ev.type === "data") {
        this.deliver(ev.data, endpoint(ev.peer));
        if (this.#closed) return;
      } else {
        this.#connected.delete(ev.peer);
        const code = ev.error?.code;
        if (code === "dtls.session_limit") this.evicted++;
        else if (ev.error !== undefined && code !== "dtls.peer_closed" && code !== "dtls.idle_timeout") {
          this.failed++;
          this.fail(ev.error, endpoint(ev.peer));
        }
      }
    }
    this.#deadline.set(this.#server.pollTimeout());
  }
}

function key(e: Endpoint): string {
  return `${e.address}|${e.port}`;
}

function endpoint(k: string): Endpoint {
  const i = k.lastIndexOf("|");
  return { address: k.slice(0, i), port: Number(k.slice(i + 1)) };
}
