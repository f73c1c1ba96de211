/**
 * DtlsServer: the sans-IO server of modules/dtls through the N-API addon: many peers keyed by the C core's
 * peer key (`peerKey(endpoint)`, as on XS), HelloVerifyRequest cookies, a bounded session count
 * (dtls.session_limit) and idle expiry. It is the DtlsServerSessions the driver (src/link) runs on.
 *
 * Inputs: handleDatagram(bytes, peer, now), handleTimeout(now). Outputs: pollEvent() returns, in order,
 * { type: "transmit", peer, data } (ciphertext to send), "connected" (with the PSK identity the peer used),
 * "data" (plaintext), "closed" (with error unless we closed it). pollTimeout() gives the next deadline.
 */
import type { DtlsServerEvent, DtlsServerSessions } from "../../../src/link/dtls-server-sessions.js";
import { loadAddon, type NativeServer } from "./_native.js";
import { dtlsError, native } from "./errors.js";
import { toNative, type DtlsOptions } from "./options.js";
import type { DtlsBindingServerOptions } from "../../../src/link/dtls-binding-options.js";

export interface DtlsServerOptions extends DtlsOptions {
  /** Peers held at once; more are refused (default 8). */
  readonly maxSessions?: number;
  /** Drop a connected peer silent this long, ms (default 300000; 0 = never). */
  readonly idleTimeoutMs?: number;
  /** When full, a newcomer that proved its address with a valid cookie replaces the least recently heard peer
   *  (its "closed" event carries dtls.session_limit) instead of being refused (default false). */
  readonly evictLeastRecent?: boolean;
}

export type { DtlsServerEvent };

export class DtlsServer implements DtlsServerSessions {
  readonly #s: NativeServer;
  #freed = false;

  constructor(options: DtlsServerOptions) {
    const Addon = loadAddon();
    // Outside native(): see DtlsSession.
    const n: DtlsBindingServerOptions = {
      ...toNative("server", options),
      role: "server",
      maxSessions: options.maxSessions ?? 8,
      idleTimeoutMs: options.idleTimeoutMs ?? 300_000,
      evictLeastRecent: options.evictLeastRecent === true,
    };
    this.#s = native(() => new Addon.Server(n));
  }

  /** Throws dtls.session_limit when `from` is new and there is no room. */
  handleDatagram(bytes: Uint8Array, peer: string, now: number): void {
    if (this.#freed) return;
    native(() => this.#s.feed(peer, bytes, Math.floor(now)));
  }

  handleTimeout(now: number): void {
    if (!this.#freed) native(() => this.#s.handleTimeout(Math.floor(now)));
  }

  pollTimeout(): number | undefined {
    if (this.#freed) return undefined;
    const t = this.#s.nextTimeout();
    return t < 0 ? undefined : t;
  }

  pollEvent(): DtlsServerEvent | undefined {
    if (this.#freed) return undefined;
    const ev = this.#s.poll();
    if (ev === null) return undefined;
    const peer = ev.peer;
    const data = ev.data === undefined ? new Uint8Array(0) : new Uint8Array(ev.data.buffer, ev.data.byteOffset, ev.data.byteLength);
    switch (ev.kind) {
      case "transmit":
        return { type: "transmit", peer, data };
      case "connected":
        return data.length === 0 ? { type: "connected", peer } : { type: "connected", peer, identity: data };
      case "data":
        return { type: "data", peer, data };
      default:
        return ev.code === undefined ? { type: "closed", peer } : { type: "closed", peer, error: dtlsError(ev) };
    }
  }

  write(data: Uint8Array, peer: string, now: number): void {
    if (this.#freed) throw dtlsError({ code: "dtls.closed", fault: "caller" });
    native(() => this.#s.write(peer, data, Math.floor(now)));
  }

  closePeer(peer: string, now: number): void {
    if (!this.#freed) native(() => this.#s.closePeer(peer, Math.floor(now)));
  }

  get sessionCount(): number {
    return this.#freed ? 0 : this.#s.count();
  }

  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.#s.free();
  }
}
