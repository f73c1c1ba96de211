/**
 * DtlsServerLink: the DTLS 1.2 server role on XS over one raw DatagramLink (UdpLink), many peers, each with
 * its own sans-IO DtlsSession of modules/dtls (XS binding, role "server": HelloVerifyRequest cookies, PSK).
 * It is itself a DatagramLink: datagrams in and out are plaintext, `send(data, peer)` encrypts to that
 * peer, so a CoAP server engine sits on it.
 *
 * Bounds: at most `maxSessions` peers (a new peer evicts the least recently heard one, so a stream of
 * short-lived clients such as coap-client runs never fills the table); a peer silent for `idleTimeoutMs`
 * is dropped; per wake-up at most MAX_EVENTS events per peer are handled. One timer is armed at the
 * earliest deadline over all peers (handshake retransmission or idle expiry).
 *
 * @example
 * ```ts
 * const server = new DtlsServerLink({ raw: new UdpLink({ port: 5684 }), psk: { identity, key }, ...devicePorts() });
 * server.onDatagram((data, peer) => server.send(data, peer)); // echo over DTLS
 * ```
 */
import { DtlsError, DtlsSession } from "../../modules/dtls/dtls.js";
import type { DatagramLink, Endpoint, MonotonicClock, Timers } from "../../src/ports.js";
import { DeadlineTimer } from "../../src/link/deadline-timer.js";

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

interface Peer {
  readonly endpoint: Endpoint;
  readonly session: DtlsSession;
  heard: number;
  connected: boolean;
}

type Receiver = (data: Uint8Array, from: Endpoint) => void;
type ErrorReceiver = (error: Error, peer: Endpoint | undefined) => void;

export class DtlsServerLink implements DatagramLink {
  readonly maxDatagramSize: number;
  readonly #raw: DatagramLink;
  readonly #o: DtlsServerLinkOptions;
  readonly #max: number;
  readonly #idle: number;
  readonly #peers = new Map<string, Peer>();
  readonly #deadline: DeadlineTimer;
  #receiver: Receiver = () => {};
  #errorReceiver: ErrorReceiver = () => {};
  #closed = false;
  /** Peers evicted to admit a new one; sessions that ended with an error. */
  evicted = 0;
  failed = 0;

  constructor(o: DtlsServerLinkOptions) {
    this.#raw = o.raw;
    this.#o = o;
    this.#deadline = new DeadlineTimer(o.timers, o.clock, () => {
      if (!this.#closed) this.#expire();
    });
    this.#max = Math.max(1, o.maxSessions ?? DTLS_SERVER_MAX_SESSIONS);
    this.#idle = o.idleTimeoutMs ?? DTLS_SERVER_IDLE_MS;
    // One CCM_8 record under a 1280-byte MTU, as the Node server socket.
    this.maxDatagramSize = 1152;
    o.raw.onDatagram((data, from) => this.#receive(data, from));
    o.raw.onError((error, peer) => this.#errorReceiver(error, peer));
  }

  get sessionCount(): number {
    return this.#peers.size;
  }

  send(datagram: Uint8Array, to: Endpoint): void {
    if (this.#closed) return;
    const p = this.#peers.get(key(to));
    if (p === undefined || !p.connected) {
      this.#errorReceiver(new DtlsError("dtls.closed", "caller", "no DTLS session with this peer"), to);
      return;
    }
    try {
      p.session.write(datagram, this.#o.clock.now());
    } catch (e) {
      this.#errorReceiver(e as Error, to);
    }
    this.#pump(p);
    this.#arm();
  }

  onDatagram(receiver: Receiver): void {
    this.#receiver = receiver;
  }

  onError(receiver: ErrorReceiver): void {
    this.#errorReceiver = receiver;
  }

  /** Sends close_notify to every peer, frees the sessions and closes the raw link. Safe twice. */
  close(): void {
    if (this.#closed) return;
    const now = this.#o.clock.now();
    for (const p of this.#peers.values()) {
      try {
        p.session.close(now);
        for (let d = p.session.pollTransmit(), i = 0; d !== undefined && i < MAX_EVENTS; d = p.session.pollTransmit(), i++)
          this.#raw.send(d, p.endpoint);
      } catch {
        // a failed session has nothing to say
      }
      p.session.free();
    }
    this.#peers.clear();
    this.#closed = true;
    this.#deadline.cancel();
    this.#raw.close();
  }

  #receive(data: Uint8Array, from: Endpoint): void {
    if (this.#closed) return;
    const now = this.#o.clock.now();
    const k = key(from);
    let p = this.#peers.get(k);
    if (p === undefined) {
      // Only a ClientHello opens a session (a stray record from a forgotten peer must not evict anyone).
      if (!isClientHello(data)) return;
      if (this.#peers.size >= this.#max) this.#evictOldest();
      let session: DtlsSession;
      try {
        session = new DtlsSession({
          role: "server",
          identity: this.#o.psk.identity,
          key: this.#o.psk.key,
          ...(this.#o.mtu === undefined ? {} : { mtu: this.#o.mtu }),
          ...(this.#o.handshakeDeadlineMs === undefined ? {} : { handshakeDeadlineMs: this.#o.handshakeDeadlineMs }),
        });
      } catch (e) {
        this.#errorReceiver(e as Error, from);
        return;
      }
      p = { endpoint: { address: from.address, port: from.port }, session, heard: now, connected: false };
      this.#peers.set(k, p);
    }
    p.heard = now;
    p.session.handleDatagram(data, now);
    this.#pump(p);
    this.#arm();
  }

  /** Evicts the least recently heard peer, preferring one still handshaking over an established one. */
  #evictOldest(): void {
    let oldest: Peer | undefined;
    for (const p of this.#peers.values()) {
      if (oldest === undefined || (oldest.connected && !p.connected) || (oldest.connected === p.connected && p.heard < oldest.heard))
        oldest = p;
    }
    if (oldest === undefined) return;
    this.evicted++;
    this.#drop(oldest);
  }

  #drop(p: Peer): void {
    this.#peers.delete(key(p.endpoint));
    p.session.free();
  }

  /** Transmits, then events, for one peer; drops it when its session ended. */
  #pump(p: Peer): void {
    for (let d = p.session.pollTransmit(), i = 0; d !== undefined && i < MAX_EVENTS; d = p.session.pollTransmit(), i++)
      this.#raw.send(d, p.endpoint);
    for (let ev = p.session.pollEvent(), i = 0; ev !== undefined && i < MAX_EVENTS; ev = p.session.pollEvent(), i++) {
      if (ev.type === "connected") p.connected = true;
      else if (ev.type === "data") {
        this.#receiver(ev.data, p.endpoint);
        if (this.#closed) return;
      } else {
        for (let d = p.session.pollTransmit(), j = 0; d !== undefined && j < MAX_EVENTS; d = p.session.pollTransmit(), j++)
          this.#raw.send(d, p.endpoint);
        if (ev.error !== undefined && ev.error.code !== "dtls.peer_closed") {
          this.failed++;
          this.#errorReceiver(ev.error, p.endpoint);
        }
        if (this.#peers.get(key(p.endpoint)) === p) this.#drop(p);
        return;
      }
    }
  }

  /** One timer at the earliest deadline: a session's retransmission or a peer's idle expiry. */
  #arm(): void {
    if (this.#closed) return;
    let at: number | undefined;
    for (const p of this.#peers.values()) {
      const t = p.session.pollTimeout();
      if (t !== undefined && (at === undefined || t < at)) at = t;
      if (this.#idle > 0 && (at === undefined || p.heard + this.#idle < at)) at = p.heard + this.#idle;
    }
    this.#deadline.set(at);
  }

  #expire(): void {
    const now = this.#o.clock.now();
    for (const p of [...this.#peers.values()]) {
      if (this.#idle > 0 && now >= p.heard + this.#idle) {
        this.#drop(p);
        continue;
      }
      const t = p.session.pollTimeout();
      if (t !== undefined && now >= t) {
        p.session.handleTimeout(now);
        this.#pump(p);
      }
    }
    this.#arm();
  }
}

/** RFC 6347 §4.1, §4.2.2: a handshake record (22) of epoch 0 whose first message is a ClientHello (1). */
function isClientHello(d: Uint8Array): boolean {
  return d.length > 25 && d[0] === 22 && d[3] === 0 && d[4] === 0 && d[13] === 1;
}

function key(e: Endpoint): string {
  return `${e.address}|${e.port}`;
}
