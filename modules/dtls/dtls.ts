/**
 * DtlsSession for XS (Moddable devices, the simulator, the XS test host): the sans-IO DTLS 1.2 session of
 * modules/dtls (C, over mbedtls) as a native class written the Moddable way. C in modules/dtls/xs/dtls_xs.c.
 *
 * Same vocabulary as the Node wrapper (hosts/node/dtls/session.ts): handleDatagram(bytes, now),
 * handleTimeout(now), pollTransmit(), pollTimeout(), pollEvent(); write(data, now); close(now); free().
 * Peer and network failures end the session with a "closed" event carrying an IdpgateError (`dtls.*` code);
 * misuse throws.
 *
 * @example
 * ```ts
 * const c = new DtlsSession({ role: "client", psks: [{ identity: bytes("dev"), psk: keyBytes }] });
 * c.start(Time.ticks);
 * for (let d = c.pollTransmit(); d; d = c.pollTransmit()) udp.write(d, address, port);
 * ```
 */
import { DTLS_EV_CLOSED, DTLS_EV_CONNECTED, DTLS_EV_DATA } from "../../src/link/dtls-client-session.js";
import type { IdpgateError } from "../../src/errors.js";
import { DtlsError, faultOf } from "../../src/link/dtls-error.js";
import type { DtlsServerEvent, DtlsServerSessions } from "../../src/link/dtls-server-sessions.js";
import type { DtlsBindingOptions, DtlsBindingServerOptions } from "../../src/link/dtls-binding-options.js";
import { ViewsByLength } from "../../src/views-by-length.js";
import type {} from "./native.js";

export { DtlsError };

/** The options both bindings take (src/link/dtls-binding-options.ts): the same names on Node and on XS. */
export type DtlsSessionOptions = DtlsBindingOptions;

export type DtlsState = "handshaking" | "connected" | "closed" | "failed";
const STATES: readonly DtlsState[] = ["handshaking", "connected", "closed", "failed"];

export type DtlsEvent =
  | { readonly type: "connected" }
  | { readonly type: "data"; readonly data: Uint8Array }
  | { readonly type: "closed"; readonly error?: IdpgateError };

/** What a native call threw: an Error of the binding (with .code) becomes a DtlsError. */
function typed(e: unknown): unknown {
  const x = e as { code?: unknown; fault?: unknown; alert?: unknown };
  if (typeof x.code !== "string" || !x.code.startsWith("dtls.")) return e;
  const alert = typeof x.alert === "number" ? x.alert : -1;
  return new DtlsError(x.code, faultOf(x.fault), alert >= 0 ? `${x.code} (alert ${alert})` : x.code, alert);
}

/**
 * Runs a native call; an Error thrown by the binding becomes a DtlsError. The server's per-datagram calls use
 * try/catch with `typed` in place instead: a closure a call is an allocation a datagram on XS (issue 13).
 */
function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw typed(e);
  }
}

export class DtlsSession extends Native("xs_dtls_session_destructor") {
  constructor(o: DtlsSessionOptions) {
    super();
    call(() => native("xs_dtls_session_init").call(this, o));
  }

  /** True when the connected session uses an RFC 9146 Connection ID (both ends asked for one). */
  get connectionIdInUse(): boolean {
    return native("xs_dtls_session_cid_in_use").call(this) === true;
  }

  get state(): DtlsState {
    return STATES[native("xs_dtls_session_state").call(this) as number] ?? "failed";
  }

  /** Why the session ended, if it did. */
  get error(): DtlsError | undefined {
    const code = native("xs_dtls_session_error").call(this) as string | undefined;
    if (code === undefined) return undefined;
    const alert = native("xs_dtls_session_alert").call(this) as number;
    return new DtlsError(code, faultOf(native("xs_dtls_error_fault")(code)), alert >= 0 ? `${code} (alert ${alert})` : code, alert);
  }

  /** Client: sends the ClientHello. */
  start(now: number): void {
    this.#guarded(() => native("xs_dtls_session_start").call(this, now));
  }

  handleDatagram(bytes: Uint8Array | ArrayBuffer, now: number): void {
    this.#guarded(() => native("xs_dtls_session_feed").call(this, bytes, now));
  }

  handleTimeout(now: number): void {
    this.#guarded(() => native("xs_dtls_session_handle_timeout").call(this, now));
  }

  pollTransmit(): Uint8Array | undefined {
    const b = native("xs_dtls_session_poll_transmit").call(this) as ArrayBuffer | undefined;
    return b === undefined ? undefined : new Uint8Array(b);
  }

  pollTimeout(): number | undefined {
    const t = native("xs_dtls_session_next_timeout").call(this) as number;
    return t < 0 ? undefined : t;
  }

  /** The core's events in its order (dtls_session_poll_event): connected once, data, closed once. */
  pollEvent(): DtlsEvent | undefined {
    switch (native("xs_dtls_session_poll_event").call(this) as number) {
      case DTLS_EV_CONNECTED:
        return { type: "connected" };
      case DTLS_EV_DATA: {
        const b = native("xs_dtls_session_read").call(this) as ArrayBuffer | undefined;
        return b === undefined ? undefined : { type: "data", data: new Uint8Array(b) };
      }
      case DTLS_EV_CLOSED: {
        const error = this.error;
        return error === undefined ? { type: "closed" } : { type: "closed", error };
      }
      default:
        return undefined;
    }
  }

  write(data: Uint8Array | ArrayBuffer, now: number): void {
    call(() => native("xs_dtls_session_write").call(this, data, now));
  }

  /** Queues close_notify. */
  close(now: number): void {
    call(() => native("xs_dtls_session_close").call(this, now));
  }

  get maxPayload(): number {
    return call(() => native("xs_dtls_session_max_payload").call(this) as number);
  }

  get suite(): string | undefined {
    return call(() => native("xs_dtls_session_suite").call(this) as string | undefined);
  }

  /** Frees the C session now (the destructor would at collection); safe twice. */
  free(): void {
    native("xs_dtls_session_free").call(this);
  }

  #guarded(fn: () => unknown): void {
    try {
      call(fn);
    } catch (e) {
      if (e instanceof DtlsError && (this.state === "failed" || e.code === "dtls.closed")) return;
      throw e;
    }
  }
}

/** DtlsServer's own options: the session options for the server role and the table's bounds
 *  (maxSessions; idleTimeoutMs, 0 = never; evictLeastRecent: a newcomer that proved its address replaces the
 *  least recently heard session, reported closed with dtls.session_limit). */
export type DtlsServerOptions = Omit<DtlsBindingServerOptions, "role" | "serverName">;

/** Peers are string keys the caller chooses (at most 64 bytes), e.g. "address|port" (`peerKey`). */
export type { DtlsServerEvent };

/** What the native poll writes into (xs_dtls_server_poll_into): one object per server, filled event after event. */
interface PollState {
  peer: string;
  length: number;
  alert: number;
  code: string | undefined;
}

/**
 * The poll buffers' first size: the server link's datagram bound (DTLS_SERVER_MAX_DATAGRAM of
 * src/link/dtls-server-driver.ts, not imported: the binding stays below the driver, which loads it). They grow
 * for a larger record.
 */
const POLL_BUFFER_BYTES = 1152;

interface TransmitEvent {
  readonly type: "transmit";
  peer: string;
  data: Uint8Array;
}

interface DataEvent {
  readonly type: "data";
  peer: string;
  data: Uint8Array;
}

/**
 * The multi-peer DTLS server of modules/dtls (dtls_server) on XS, sans-IO: stateless HelloVerifyRequest
 * cookies (a ClientHello costs no session until it returns its cookie), a bounded session table, idle expiry,
 * Connection IDs.
 * Inputs: handleDatagram(bytes, peer, now), handleTimeout(now). Outputs: pollEvent() in order, pollTimeout().
 */
export class DtlsServer extends Native("xs_dtls_server_destructor") implements DtlsServerSessions {
  readonly #state: PollState = { peer: "", length: 0, alert: -1, code: undefined };
  /** Datagrams to send, polled one after the other (views of one buffer, sized once, by length). */
  readonly #toSend = new ViewsByLength(new ArrayBuffer(POLL_BUFFER_BYTES));
  /** Received plaintext: its own buffer, which no transmit poll writes (a reply is sent while a request is read). */
  readonly #received = new ViewsByLength(new ArrayBuffer(POLL_BUFFER_BYTES));
  /** The transmit event, filled again at each: the driver sends its bytes before it polls again (issue 13). */
  readonly #transmit: TransmitEvent = { type: "transmit", peer: "", data: new Uint8Array(0) };
  /** The data event, filled again at each. */
  readonly #data: DataEvent = { type: "data", peer: "", data: new Uint8Array(0) };
  /**
   * The natives of the per-datagram calls, looked up once: on the test host each `native("...")` evaluates its
   * name, a string made at every call in a module that is not preloaded (a device's are in flash).
   */
  readonly #feed = native("xs_dtls_server_feed");
  readonly #pollInto = native("xs_dtls_server_poll_into");
  readonly #nextTimeout = native("xs_dtls_server_next_timeout");
  readonly #write = native("xs_dtls_server_write");
  readonly #count = native("xs_dtls_server_count");

  constructor(o: DtlsServerOptions) {
    super();
    call(() => native("xs_dtls_server_init").call(this, { ...o, role: "server" }));
  }

  /** Throws dtls.session_limit when a newcomer that proved its address finds no room. */
  handleDatagram(bytes: Uint8Array | ArrayBuffer, peer: string, now: number): void {
    try {
      this.#feed.call(this, peer, bytes, now);
    } catch (e) {
      throw typed(e);
    }
  }

  handleTimeout(now: number): void {
    call(() => native("xs_dtls_server_handle_timeout").call(this, now));
  }

  pollTimeout(): number | undefined {
    let t: number;
    try {
      t = this.#nextTimeout.call(this) as number;
    } catch (e) {
      throw typed(e);
    }
    return t < 0 ? undefined : t;
  }

  /**
   * The next event (DtlsServerSessions.pollEvent). A transmit or data event is one object filled again at each of
   * its kind, its bytes a view of one of the server's two buffers (nothing allocated, issue 13): a transmit's are
   * valid until the next poll (the driver sends them at once; DatagramLink.send is done with them when it
   * returns), a data event's until the next data event, which `holdData` keeps back while they are being read.
   */
  pollEvent(holdData = false): DtlsServerEvent | undefined {
    const s = this.#state;
    let kind: number;
    try {
      kind = this.#pollInto.call(this, s, this.#toSend.buffer, this.#received.buffer, holdData) as number;
      if (kind < 0) {
        // Larger than one record under the links' datagram bound: either buffer may be the one it needs.
        if (-kind > this.#toSend.buffer.byteLength) this.#toSend.reset(new ArrayBuffer(-kind));
        if (-kind > this.#received.buffer.byteLength) this.#received.reset(new ArrayBuffer(-kind));
        kind = this.#pollInto.call(this, s, this.#toSend.buffer, this.#received.buffer, holdData) as number;
      }
    } catch (e) {
      throw typed(e);
    }
    switch (kind) {
      case 0:
        return undefined;
      case 1: {
        const t = this.#transmit;
        t.peer = s.peer;
        t.data = this.#toSend.view(s.length);
        return t;
      }
      case 2: {
        // The PSK identity the peer authenticated with (empty: none).
        if (s.length === 0) return { type: "connected", peer: s.peer };
        return { type: "connected", peer: s.peer, identity: new Uint8Array(this.#received.buffer.slice(0, s.length)) };
      }
      case 3: {
        const d = this.#data;
        d.peer = s.peer;
        d.data = this.#received.view(s.length);
        return d;
      }
      default: {
        const code = s.code;
        if (code === undefined) return { type: "closed", peer: s.peer };
        const message = s.alert >= 0 ? `${code} (alert ${s.alert})` : code;
        return {
          type: "closed",
          peer: s.peer,
          error: new DtlsError(code, faultOf(native("xs_dtls_error_fault")(code)), message, s.alert),
        };
      }
    }
  }

  write(data: Uint8Array | ArrayBuffer, peer: string, now: number): void {
    try {
      this.#write.call(this, peer, data, now);
    } catch (e) {
      throw typed(e);
    }
  }

  /** Queues close_notify to one peer; its "closed" event follows. */
  closePeer(peer: string, now: number): void {
    call(() => native("xs_dtls_server_close_peer").call(this, peer, now));
  }

  /** Sessions held (cookie exchanges in progress not counted). */
  get sessionCount(): number {
    try {
      return this.#count.call(this) as number;
    } catch (e) {
      throw typed(e);
    }
  }

  /** Frees the C server and its sessions now (the destructor would at collection); safe twice. */
  free(): void {
    native("xs_dtls_server_free").call(this);
  }
}
