/**
 * DtlsSession: one sans-IO DTLS 1.2 session (modules/dtls through the N-API addon), in the project's sans-IO
 * vocabulary: handleDatagram(bytes, now), handleTimeout(now), pollTransmit(), pollTimeout(), pollEvent().
 *
 * States: handshaking -> connected -> closed | failed. Events, in this order after each input: "connected"
 * once, "data" per plaintext datagram, and one final "closed" (with `error` unless we closed it ourselves).
 * Failures of the peer or the network never throw from handleDatagram/handleTimeout; they end the session
 * with a "closed" event carrying a DtlsError. Misuse (writing before connected, after close) throws.
 *
 * @example
 * ```ts
 * const s = DtlsSession.client({ psk: { identity: "dev", key: "hex:00112233" } });
 * s.start(now);
 * for (let d; (d = s.pollTransmit()); ) socket.send(d);
 * ```
 */
import { DTLS_EV_CLOSED, DTLS_EV_CONNECTED, DTLS_EV_DATA } from "../../../src/link/dtls-client-session.js";
import { loadAddon, type NativeSession } from "./_native.js";
import { DtlsError, dtlsError, native } from "./errors.js";
import { toNative, type DtlsOptions } from "./options.js";

export type DtlsState = "handshaking" | "connected" | "closed" | "failed";
const STATES: readonly DtlsState[] = ["handshaking", "connected", "closed", "failed"];

export type DtlsEvent =
  | { readonly type: "connected" }
  | { readonly type: "data"; readonly data: Uint8Array }
  | { readonly type: "closed"; readonly error?: DtlsError };

export class DtlsSession {
  readonly #s: NativeSession;
  #freed = false;

  private constructor(role: "client" | "server", options: DtlsOptions) {
    const Addon = loadAddon();
    // Outside native(): a malformed option is the caller's typed error (key.malformed), not a binding failure.
    const n = toNative(role, options);
    this.#s = native(() => new Addon.Session(n));
  }

  /** A client session; call start(now) to send the ClientHello. */
  static client(options: DtlsOptions): DtlsSession {
    return new DtlsSession("client", options);
  }

  /** A standalone server session for one peer (tests, in-memory pairs); see DtlsServer for many peers. */
  static server(options: DtlsOptions): DtlsSession {
    return new DtlsSession("server", options);
  }

  get state(): DtlsState {
    if (this.#freed) return "closed";
    return STATES[this.#s.state()] ?? "failed";
  }

  /** Why the session ended (close_notify from the peer included), if it did. */
  get error(): DtlsError | undefined {
    if (this.#freed) return undefined;
    const e = this.#s.error();
    return e === null ? undefined : dtlsError(e);
  }

  start(now: number): void {
    this.#guarded(() => this.#s.start(Math.floor(now)));
  }

  handleDatagram(bytes: Uint8Array, now: number): void {
    this.#guarded(() => this.#s.feed(bytes, Math.floor(now)));
  }

  handleTimeout(now: number): void {
    this.#guarded(() => this.#s.handleTimeout(Math.floor(now)));
  }

  /** Next ciphertext datagram to send, in order. */
  pollTransmit(): Uint8Array | undefined {
    if (this.#freed) return undefined;
    return this.#s.pollTransmit() ?? undefined;
  }

  /** When handleTimeout must next be called (same clock as `now`), or undefined. */
  pollTimeout(): number | undefined {
    if (this.#freed) return undefined;
    const t = this.#s.nextTimeout();
    return t < 0 ? undefined : t;
  }

  /** The core's events in its order (dtls_session_poll_event): connected once, data, closed once. */
  pollEvent(): DtlsEvent | undefined {
    if (this.#freed) return undefined;
    switch (this.#s.pollEvent()) {
      case DTLS_EV_CONNECTED:
        return { type: "connected" };
      case DTLS_EV_DATA: {
        const data = this.#s.read();
        return data === null ? undefined : { type: "data", data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
      }
      case DTLS_EV_CLOSED: {
        const error = this.error;
        return error === undefined ? { type: "closed" } : { type: "closed", error };
      }
      default:
        return undefined;
    }
  }

  /** Sends one plaintext datagram as one record. Throws dtls.datagram_too_big over maxPayload. */
  write(data: Uint8Array, now: number): void {
    if (this.#freed) throw dtlsError({ code: "dtls.closed", fault: "caller" });
    native(() => this.#s.write(data, Math.floor(now)));
  }

  /** Queues close_notify; safe twice. */
  close(now: number): void {
    if (this.#freed) return;
    native(() => this.#s.close(Math.floor(now)));
  }

  /** Largest datagram write() accepts (0 until connected). */
  get maxPayload(): number {
    return this.#freed ? 0 : this.#s.maxPayload();
  }

  get resumed(): boolean {
    return !this.#freed && this.#s.resumed();
  }

  /** True when the connected session uses an RFC 9146 Connection ID (both ends asked for one). */
  get connectionIdInUse(): boolean {
    return !this.#freed && this.#s.cidInUse();
  }

  get suite(): string | undefined {
    return this.#freed ? undefined : (this.#s.suite() ?? undefined);
  }

  get stats(): { txDatagrams: number; txBytes: number; dropped: number } {
    return this.#freed ? { txDatagrams: 0, txBytes: 0, dropped: 0 } : this.#s.stats();
  }

  /** A connected client's session, for restore() in a later session with the same server. Secret. */
  save(): Uint8Array {
    return native(() => new Uint8Array(this.#s.save()));
  }

  /** Before start(): try to resume. Throws dtls.session_invalid when the blob is unusable (treat as a miss). */
  restore(blob: Uint8Array): void {
    native(() => this.#s.restore(blob));
  }

  /** Releases the C session now (the garbage collector would later). Safe twice. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.#s.free();
  }

  #guarded(fn: () => void): void {
    if (this.#freed) return;
    try {
      native(fn);
    } catch (e) {
      // Peer or network failures end the session and come out of pollEvent; stale datagrams after the
      // end are ignored. Only misuse propagates.
      if (e instanceof DtlsError && (this.state === "failed" || e.code === "dtls.closed")) return;
      throw e;
    }
  }
}
