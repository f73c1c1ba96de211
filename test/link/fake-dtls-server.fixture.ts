/**
 * A model of modules/dtls's multi-peer server (DtlsServerSessions) for the driver's virtual-clock suite:
 * the same contract (stateless cookie exchange, a bounded table that throws dtls.session_limit, a handshake
 * deadline, close_notify only from a connected session, events in order), with readable datagrams in place
 * of records. A client's datagrams: "hello" (no cookie), "hello+cookie", "finish:<identity>", "data:<text>",
 * "burst:<n>" (n data events at once), "close_notify". The server sends "hvr", "flight", "enc:<text>",
 * "close_notify".
 * Like the XS binding, it lends a data event's bytes from one buffer of its own, which the next data event fills,
 * and keeps that next one back while the caller says it is still reading (pollEvent(holdData)).
 */
import { IdpgateError } from "../../src/errors.js";
import { utf8Decode, utf8Encode } from "../../src/utf8.js";
import type { DtlsServerEvent, DtlsServerSessions, DtlsServerTable } from "../../src/link/dtls-server-sessions.js";

export const FAKE_HANDSHAKE_DEADLINE_MS = 30_000;

interface FakeSession {
  state: "handshaking" | "connected" | "closed";
  startedAt: number;
  error: IdpgateError | undefined;
}

export class FakeDtlsServer implements DtlsServerSessions {
  readonly maxSessions: number;
  readonly #sessions = new Map<string, FakeSession>();
  readonly #events: DtlsServerEvent[] = [];
  /** Where a data event's bytes are lent from. */
  readonly #lent = new Uint8Array(256);
  freed = false;

  /** What the driver asked for. */
  readonly table: DtlsServerTable;

  constructor(table: DtlsServerTable) {
    this.table = table;
    this.maxSessions = table.maxSessions;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  handleDatagram(bytes: Uint8Array, peer: string, now: number): void {
    const text = utf8Decode(bytes);
    const s = this.#sessions.get(peer);
    if (s === undefined) {
      if (text === "hello") this.#emit({ type: "transmit", peer, data: utf8Encode("hvr") });
      else if (text === "hello+cookie") {
        if (this.#sessions.size >= this.maxSessions) throw new IdpgateError("dtls.session_limit", "environment", "table full");
        this.#sessions.set(peer, { state: "handshaking", startedAt: now, error: undefined });
        this.#emit({ type: "transmit", peer, data: utf8Encode("flight") });
      }
      return;
    }
    if (s.state === "closed") return;
    if (text.startsWith("finish:") && s.state === "handshaking") {
      s.state = "connected";
      this.#emit({ type: "connected", peer, identity: utf8Encode(text.slice(7)) });
    } else if (text.startsWith("data:") && s.state === "connected") this.#emit({ type: "data", peer, data: utf8Encode(text.slice(5)) });
    else if (text.startsWith("burst:") && s.state === "connected")
      for (let i = 0; i < Number(text.slice(6)); i++) this.#emit({ type: "data", peer, data: utf8Encode(`b${i}`) });
    else if (text === "close_notify") this.#finish(peer, s, new IdpgateError("dtls.peer_closed", "peer", "close_notify"));
  }

  handleTimeout(now: number): void {
    for (const [peer, s] of this.#sessions)
      if (s.state === "handshaking" && now >= s.startedAt + FAKE_HANDSHAKE_DEADLINE_MS)
        this.#finish(peer, s, new IdpgateError("dtls.handshake_timeout", "environment", "no answer"));
  }

  pollTimeout(): number | undefined {
    let at: number | undefined;
    for (const s of this.#sessions.values())
      if (s.state === "handshaking") at = Math.min(at ?? Infinity, s.startedAt + FAKE_HANDSHAKE_DEADLINE_MS);
    return at;
  }

  pollEvent(holdData = false): DtlsServerEvent | undefined {
    if (holdData && this.#events[0]?.type === "data") return undefined;
    const ev = this.#events.shift();
    if (ev?.type === "closed") this.#sessions.delete(ev.peer);
    if (ev?.type !== "data") return ev;
    this.#lent.set(ev.data);
    return { type: "data", peer: ev.peer, data: this.#lent.subarray(0, ev.data.length) };
  }

  write(data: Uint8Array, peer: string): void {
    if (this.#sessions.get(peer)?.state !== "connected") throw new IdpgateError("dtls.unknown_peer", "caller", "no session");
    this.#emit({ type: "transmit", peer, data: utf8Encode(`enc:${utf8Decode(data)}`) });
  }

  closePeer(peer: string): void {
    const s = this.#sessions.get(peer);
    if (s === undefined) throw new IdpgateError("dtls.unknown_peer", "caller", "no session");
    if (s.state === "connected") this.#emit({ type: "transmit", peer, data: utf8Encode("close_notify") });
    this.#finish(peer, s, undefined);
  }

  free(): void {
    this.freed = true;
    this.#sessions.clear();
    this.#events.length = 0;
  }

  #finish(peer: string, s: FakeSession, error: IdpgateError | undefined): void {
    if (s.state === "closed") return;
    s.state = "closed";
    s.error = error;
    this.#emit(error === undefined ? { type: "closed", peer } : { type: "closed", peer, error });
  }

  #emit(ev: DtlsServerEvent): void {
    if (!this.freed) this.#events.push(ev);
  }
}
