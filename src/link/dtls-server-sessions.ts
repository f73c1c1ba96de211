/**
 * The sans-IO multi-peer DTLS 1.2 server both bindings offer (modules/dtls `dtls_server_*`: the XS class
 * `DtlsServer` in modules/dtls/dtls.ts and the N-API one in hosts/node/dtls/server.ts). The driver in
 * dtls-server-driver.ts runs on it; this file names only what the driver needs.
 *
 * A peer is a key (`peerKey(endpoint)`), as the C core keys its table. A ClientHello without a valid
 * cookie is answered with a HelloVerifyRequest and costs nothing (RFC 6347 4.2.1); one that returns the
 * cookie gets a session, or, when the table is full, `handleDatagram` throws `dtls.session_limit`.
 *
 * Events, in order after each input: "transmit" (ciphertext for a peer), "connected" once per session (with
 * the PSK identity the peer authenticated with, when it used one), "data" (plaintext) and one "closed" per
 * session (`error` unless we closed it: dtls.peer_closed for the peer's close_notify, or a failure).
 */
import type { IdpgateError } from "../errors.js";
import type { Endpoint } from "../ports.js";

export type DtlsServerEvent =
  | { readonly type: "transmit"; readonly peer: string; readonly data: Uint8Array }
  | { readonly type: "connected"; readonly peer: string; readonly identity?: Uint8Array }
  | { readonly type: "data"; readonly peer: string; readonly data: Uint8Array }
  | { readonly type: "closed"; readonly peer: string; readonly error?: IdpgateError };

export interface DtlsServerSessions {
  /** Feeds one ciphertext datagram from `peer`. Throws dtls.session_limit for a proven newcomer without room. */
  handleDatagram(bytes: Uint8Array, peer: string, now: number): void;
  handleTimeout(now: number): void;
  /** When handleTimeout must next be called (the `now` clock), or undefined. */
  pollTimeout(): number | undefined;
  /**
   * The next event, or undefined. A binding may fill one object again at each poll and lend its bytes from
   * buffers of its own (the XS one does, issue 13): read an event's fields before polling again; a transmit's
   * `data` may be valid only until the next poll (send it at once), a data event's until the next data event.
   * `holdData`: the caller is still reading a data event's bytes (the driver polls again, for the reply it sends,
   * from inside their delivery): a binding that lends them must then keep the next data event back (undefined
   * while one waits) and give it at a later poll without `holdData`; one that copies may ignore the flag.
   */
  pollEvent(holdData?: boolean): DtlsServerEvent | undefined;
  /** Encrypts one plaintext datagram to a connected peer. */
  write(data: Uint8Array, peer: string, now: number): void;
  /** Queues close_notify to one peer; its "closed" event follows. */
  closePeer(peer: string, now: number): void;
  /** Sessions held (cookie exchanges in progress cost none). */
  readonly sessionCount: number;
  /** Releases the C server and every session; safe twice. */
  free(): void;
}

/**
 * How the driver asks a binding for its server: the table bound, eviction and idle expiry are the driver's, not
 * the C core's, so a host passes these options to the core as they are (`{ ...theirs, ...table }`).
 */
export interface DtlsServerTable {
  /** Sessions the C table holds: the driver's peer bound plus one for the newcomer it is admitting. */
  readonly maxSessions: number;
  /** The core expires no session itself: the driver closes silent peers. */
  readonly idleTimeoutMs: 0;
  /** The core evicts no session itself: the driver picks whom to close. */
  readonly evictLeastRecent: false;
}

/** The table key of a peer: the C core's peer id ("address|port"). */
export function peerKey(e: Endpoint): string {
  return `${e.address}|${e.port}`;
}

/** The endpoint of a table key. */
export function endpointOfKey(key: string): Endpoint {
  const i = key.lastIndexOf("|");
  return { address: key.slice(0, i), port: Number(key.slice(i + 1)) };
}
