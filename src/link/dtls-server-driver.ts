/**
 * DtlsServerDriver: the DTLS 1.2 server role, written once for every host. It moves datagrams between a raw
 * DatagramLink (the host's UDP socket) and the sans-IO multi-peer server of modules/dtls
 * (DtlsServerSessions), and is itself a DatagramLink of plaintext: `send(data, peer)` encrypts to that peer,
 * so a CoAP server engine sits on it. Hosts subclass it only to hand in a socket, a binding and timers.
 *
 * Theory of operation (the policy is here, so it is the same on every host by construction):
 *  - Cookie first. A ClientHello without a valid cookie is answered statelessly by the C core and costs no
 *    session; a spoofed source address never gets further (RFC 6347 4.2.1).
 *  - Bounded peers, least recently heard evicted. At most `maxSessions` peers hold a session. The C table
 *    has one slot more: a newcomer that returned its cookie (it receives at its address) takes it, and the
 *    driver at once closes the peer it has heard from least recently. So clients that finish the cookie
 *    exchange and go silent (half-open handshakes) can delay the operator by nothing: the operator is heard
 *    last, the silent ones go first. "Heard" means a datagram received, never one we sent.
 *  - Idle expiry. A peer silent for `idleTimeoutMs` is closed (close_notify when connected).
 *  - close() sends close_notify to every connected peer before it frees the server.
 *  - Bounded work. At most `maxEventsPerWake` events per wake-up; the rest wait for a zero-delay wake-up,
 *    so one burst cannot hold the VM.
 *  - Refusals (evictions, refused newcomers, failed sessions) are counted (stats()) and logged through a
 *    RefusalTally: at most one line per interval, never one per datagram. Per-peer failures do not go to
 *    onError (a peer could turn them into a line each); onClose gets every session's end.
 *
 * Peers are in `#peers` in least-recently-heard-first order (a Map keeps insertion order; hearing a peer
 * moves it to the end), so eviction and the idle deadline look at the first entry only.
 */
import type { DatagramLink, Endpoint, MonotonicClock, Timers } from "../ports.js";
import { utf8Decode } from "../utf8.js";
import { isIdpgateError, type IdpgateError } from "../errors.js";
import { DeadlineTimer } from "./deadline-timer.js";
import { DtlsError } from "./dtls-error.js";
import { LinkReceivers } from "./link-receivers.js";
import { RefusalTally, REFUSAL_LOG_INTERVAL_MS } from "./refusal-tally.js";
import { endpointOfKey, peerKey, type DtlsServerEvent, type DtlsServerSessions, type DtlsServerTable } from "./dtls-server-sessions.js";

export const DTLS_SERVER_MAX_SESSIONS = 4;
/**
 * The event types compared at every datagram, as constants: on the XS test host a string literal is a new string
 * at each evaluation (modules there are not preloaded; a device's literals are in flash), so the datagram bench
 * would count what a device does not allocate.
 */
const DATA = "data";
const TRANSMIT = "transmit";
export const DTLS_SERVER_IDLE_MS = 120_000;
export const DTLS_SERVER_MAX_EVENTS = 64;
/** One CCM_8 record under a 1280-byte path MTU (IPv6 minimum), as the client links assume. */
export const DTLS_SERVER_MAX_DATAGRAM = 1152;

export interface DtlsServerDriverOptions {
  /** The socket: ciphertext datagrams in and out. Closed by close(). */
  readonly raw: DatagramLink;
  /** Makes the binding's server with the driver's table bound (and no eviction or idle expiry of its own). */
  readonly open: (table: DtlsServerTable) => DtlsServerSessions;
  readonly clock: MonotonicClock;
  readonly timers: Timers;
  /** Peers holding a session at once (default DTLS_SERVER_MAX_SESSIONS). */
  readonly maxSessions?: number;
  /** Close a peer silent this long, ms (default DTLS_SERVER_IDLE_MS; 0 = never). */
  readonly idleTimeoutMs?: number;
  readonly maxEventsPerWake?: number;
  /** Where refusal summaries go (default: nowhere; still counted). */
  readonly log?: (line: string) => void;
  readonly logIntervalMs?: number;
}

export interface DtlsServerStats {
  readonly sessions: number;
  readonly connected: number;
  readonly admitted: number;
  readonly evicted: number;
  readonly expired: number;
  readonly refused: number;
  readonly failed: number;
  readonly logLines: number;
}

interface Peer {
  readonly endpoint: Endpoint;
  heardAt: number;
  connected: boolean;
  /** The PSK identity the session authenticated with (text), once connected. */
  identity: string | undefined;
}

type Ending = "evicted" | "expired" | "closed";

export class DtlsServerDriver extends LinkReceivers implements DatagramLink {
  readonly maxDatagramSize = DTLS_SERVER_MAX_DATAGRAM;
  readonly #raw: DatagramLink;
  readonly #clock: MonotonicClock;
  readonly #sessions: DtlsServerSessions;
  readonly #maxSessions: number;
  readonly #idleMs: number;
  readonly #maxEvents: number;
  /** Least recently heard first (a Map keeps insertion order: a peer heard is moved to the end). */
  readonly #peers = new Map<string, Peer>();
  /** The key of the peer heard last (the Map's last), while it is in the Map: hearing it again moves nothing. */
  #newest: string | undefined = undefined;
  /** The least recently heard peer's heardAt as last looked up (at most its own), and whether the order changed since. */
  #oldestHeardAt: number | undefined = undefined;
  #oldestStale = true;
  /** The last endpoint given a key and its key: a command and its reply, peer after peer, make no string each. */
  #keyAddress = "";
  #keyPort = -1;
  #key = "";
  /** Peers we closed whose "closed" event is still to come, and why we closed them. */
  readonly #ending = new Map<string, Ending>();
  readonly #tally: RefusalTally;
  readonly #deadline: DeadlineTimer;
  #connection: (peer: Endpoint) => void = () => {};
  #closeReceiver: (peer: Endpoint, error: IdpgateError | undefined) => void = () => {};
  #more = false;
  /** A data event's bytes are being delivered: the binding may lend them from a buffer the next one would fill. */
  #delivering = false;
  #closed = false;
  #admitted = 0;
  #expired = 0;

  constructor(o: DtlsServerDriverOptions) {
    super();
    this.#raw = o.raw;
    this.#clock = o.clock;
    this.#maxSessions = Math.max(1, o.maxSessions ?? DTLS_SERVER_MAX_SESSIONS);
    this.#idleMs = Math.max(0, o.idleTimeoutMs ?? DTLS_SERVER_IDLE_MS);
    this.#maxEvents = Math.max(1, o.maxEventsPerWake ?? DTLS_SERVER_MAX_EVENTS);
    this.#sessions = o.open({ maxSessions: this.#maxSessions + 1, idleTimeoutMs: 0, evictLeastRecent: false });
    this.#tally = new RefusalTally("dtls server", o.log ?? (() => {}), o.logIntervalMs ?? REFUSAL_LOG_INTERVAL_MS);
    this.#deadline = new DeadlineTimer(o.timers, o.clock, () => this.#wake());
    o.raw.onDatagram(this.#receive);
    o.raw.onError((error, peer) => this.fail(error, peer));
  }

  /** Sessions held, handshakes in progress included. */
  get sessionCount(): number {
    return this.#closed ? 0 : this.#peers.size;
  }

  stats(): DtlsServerStats {
    let connected = 0;
    for (const p of this.#peers.values()) if (p.connected) connected++;
    const t = this.#tally;
    return {
      sessions: this.sessionCount,
      connected,
      admitted: this.#admitted,
      evicted: t.evicted,
      expired: this.#expired,
      refused: t.refused,
      failed: t.failed,
      logLines: t.lines,
    };
  }

  /** The PSK identity `peer`'s session authenticated with, while it is connected. */
  peerIdentity(peer: Endpoint): string | undefined {
    return this.#peers.get(this.#keyOf(peer))?.identity;
  }

  onConnection(receiver: (peer: Endpoint) => void): void {
    this.#connection = receiver;
  }

  /** Every session's end: `error` says why (undefined when we closed it on request). */
  onClose(receiver: (peer: Endpoint, error: IdpgateError | undefined) => void): void {
    this.#closeReceiver = receiver;
  }

  send(datagram: Uint8Array, to: Endpoint): void {
    if (this.#closed) return;
    const key = this.#keyOf(to);
    if (this.#peers.get(key)?.connected !== true) {
      this.fail(new DtlsError("dtls.closed", "caller", "no DTLS session with this peer"), to);
      return;
    }
    try {
      this.#sessions.write(datagram, key, this.#clock.now());
    } catch (e) {
      this.fail(e as Error, to);
    }
    this.#pump();
  }

  /** Sends close_notify to one peer (when connected) and ends its session. */
  closePeer(peer: Endpoint): void {
    if (this.#closed) return;
    this.#end(peerKey(peer), "closed", this.#clock.now());
    this.#pump();
  }

  /** Sends close_notify to every connected peer, frees the server and closes the socket. Safe twice. */
  close(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    // Every peer's close_notify must leave: a transmit and a closed event per peer, plus what was queued.
    const bound = 4 * (this.#peers.size + 1) + this.#maxEvents;
    for (const key of [...this.#peers.keys()]) this.#end(key, "closed", now);
    // Only the close_notify records matter now; the ends themselves are not reported after close().
    for (let ev = this.#sessions.pollEvent(), i = 0; ev !== undefined && i < bound; ev = this.#sessions.pollEvent(), i++)
      if (ev.type === "transmit") this.#raw.send(ev.data, endpointOfKey(ev.peer));
    this.#closed = true;
    this.#deadline.cancel();
    this.#sessions.free();
    this.#raw.close();
  }

  // A field, not a method: the raw link calls it directly, one frame less under the gate (512-slot XS stack).
  readonly #receive = (data: Uint8Array, from: Endpoint): void => {
    if (this.#closed) return;
    const now = this.#clock.now();
    const key = this.#keyOf(from);
    const before = this.#sessions.sessionCount;
    try {
      this.#sessions.handleDatagram(data, key, now);
    } catch (e) {
      if (isIdpgateError(e, "dtls.session_limit")) this.#tally.count("refused", now);
      else this.fail(e as Error, from);
    }
    const peer = this.#peers.get(key);
    if (peer !== undefined) {
      if (key !== this.#newest) {
        this.#peers.delete(key); // heard: to the end of the least-recently-heard order
        this.#peers.set(key, peer);
        this.#newest = key;
        this.#oldestStale = true;
      }
      peer.heardAt = now;
    } else if (this.#sessions.sessionCount > before) {
      // The C core admitted a newcomer that returned its cookie: it holds the spare slot.
      this.#peers.set(key, { endpoint: from, heardAt: now, connected: false, identity: undefined });
      this.#newest = key;
      this.#oldestStale = true;
      this.#admitted++;
      if (this.#peers.size > this.#maxSessions) this.#evictLeastRecent(now);
    }
    this.#pump();
  };

  /** peerKey(e), made once for a run of datagrams from and to the same endpoint. */
  #keyOf(e: Endpoint): string {
    if (e.port !== this.#keyPort || e.address !== this.#keyAddress) {
      this.#key = peerKey(e);
      this.#keyAddress = e.address;
      this.#keyPort = e.port;
    }
    return this.#key;
  }

  #evictLeastRecent(now: number): void {
    const victim = this.#peers.keys().next();
    if (victim.done !== true) {
      this.#tally.count("evicted", now);
      this.#end(victim.value, "evicted", now);
    }
  }

  /** Closes `key`'s session for `why`; its "closed" event follows from the server. */
  #end(key: string, why: Ending, now: number): void {
    if (!this.#peers.delete(key)) return;
    if (key === this.#newest) this.#newest = undefined;
    this.#oldestStale = true;
    this.#ending.set(key, why);
    try {
      this.#sessions.closePeer(key, now);
    } catch {
      // Not in the C table under this key (its session moved to a new address with a Connection ID,
      // RFC 9146 6): no "closed" event will come for it.
      this.#ending.delete(key);
    }
  }

  #wake(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    this.#more = false;
    this.#oldestStale = true; // an idle deadline from a time earlier than the peer's own: look it up again
    this.#sessions.handleTimeout(now);
    if (this.#idleMs > 0)
      for (
        let p = this.#peers.entries().next();
        p.done !== true && now - p.value[1].heardAt >= this.#idleMs;
        p = this.#peers.entries().next()
      ) {
        this.#expired++;
        this.#end(p.value[0], "expired", now);
      }
    this.#tally.handleTimeout(now);
    this.#pump();
  }

  /**
   * Handles at most maxEventsPerWake events in order, then arms the one timer at the next deadline. Plaintext
   * is delivered from this frame, which is kept small: the gate's whole request path runs above it, on a
   * device's 512-slot XS stack.
   */
  #pump(): void {
    for (let i = 0; i < this.#maxEvents; i++) {
      // Within a delivery (its reply, sent from inside it, pumps again) the next plaintext waits for this loop.
      const ev = this.#sessions.pollEvent(this.#delivering);
      if (ev === undefined) {
        this.#more = false;
        this.#arm();
        return;
      }
      if (ev.type === DATA) {
        const from = this.#dataPeer(ev.peer);
        if (from !== undefined) {
          const outer = this.#delivering;
          this.#delivering = true;
          try {
            this.deliver(ev.data, from);
          } finally {
            this.#delivering = outer;
          }
        }
      } else this.#handle(ev);
      if (this.#closed) return;
    }
    this.#more = true;
    this.#arm();
  }

  #handle(ev: Exclude<DtlsServerEvent, { type: "data" }>): void {
    // A peer's own endpoint: no parse of its key (and no Endpoint) a datagram; a newcomer's cookie exchange has none.
    if (ev.type === TRANSMIT) this.#raw.send(ev.data, this.#peers.get(ev.peer)?.endpoint ?? endpointOfKey(ev.peer));
    else if (ev.type === "closed") this.#ended(ev.peer, ev.error);
    else {
      const peer = this.#peers.get(ev.peer);
      if (peer === undefined) return; // ended before it connected
      peer.connected = true;
      peer.identity = ev.identity === undefined ? undefined : utf8Decode(ev.identity);
      this.#connection(peer.endpoint);
    }
  }

  /** Where a "data" event's peer is, when it is connected. */
  #dataPeer(key: string): Endpoint | undefined {
    let peer = this.#peers.get(key);
    if (peer === undefined && !this.#ending.has(key)) {
      // A session that followed its client to a new address (Connection ID): the C core keys it anew.
      peer = { endpoint: endpointOfKey(key), heardAt: this.#clock.now(), connected: true, identity: undefined };
      this.#peers.set(key, peer);
      this.#newest = key;
      this.#oldestStale = true;
    }
    return peer?.connected === true ? peer.endpoint : undefined;
  }

  #ended(key: string, error: IdpgateError | undefined): void {
    const why = this.#ending.get(key);
    this.#ending.delete(key);
    this.#peers.delete(key);
    if (key === this.#newest) this.#newest = undefined;
    this.#oldestStale = true;
    const now = this.#clock.now();
    let reason = error;
    if (why === "evicted") reason = new DtlsError("dtls.session_limit", "environment", "replaced by a newer peer (least recently heard)");
    else if (why === "expired") reason = new DtlsError("dtls.idle_timeout", "environment", "silent for the idle timeout");
    else if (why === undefined && error !== undefined && error.code !== "dtls.peer_closed") this.#tally.count("failed", now, error.code);
    this.#closeReceiver(endpointOfKey(key), reason);
  }

  #arm(): void {
    if (this.#closed) return;
    if (this.#more) {
      this.#deadline.set(this.#clock.now());
      return;
    }
    let at = this.#sessions.pollTimeout();
    if (this.#idleMs > 0) {
      // The least recently heard peer's time, looked up only when the order changed (an iterator a lookup):
      // hearing the newest again leaves the cached time earlier than its own, and an early wake re-arms.
      if (this.#oldestStale) {
        const oldest = this.#peers.values().next();
        this.#oldestHeardAt = oldest.done === true ? undefined : oldest.value.heardAt;
        this.#oldestStale = false;
      }
      if (this.#oldestHeardAt !== undefined) at = earliest(at, this.#oldestHeardAt + this.#idleMs);
    }
    this.#deadline.set(earliest(at, this.#tally.pollTimeout()));
  }
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
