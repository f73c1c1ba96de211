/**
 * The sans-IO DTLS 1.2 client session both bindings offer (modules/dtls `dtls_session_*`: the XS class
 * `DtlsSession` in modules/dtls/dtls.ts and the N-API one in hosts/node/dtls/session.ts). The driver in
 * dtls-client-driver.ts runs on it; this file names only what the driver needs.
 *
 * Inputs: start(now) once (queues the ClientHello), handleDatagram(bytes, now), handleTimeout(now) (at or after
 * pollTimeout()), write(data, now) once connected, close(now) (queues close_notify). Outputs: pollTransmit()
 * (ciphertext for the peer, in order) and pollEvent(), in this order: "connected" once, "data" per plaintext
 * datagram, one final "closed" (`error` unless we closed it: dtls.peer_closed for the peer's close_notify, or
 * a failure). Peer and network failures never throw; they come out as that "closed" event. Misuse throws.
 */
import type { IdpgateError } from "../errors.js";

/** dtls_event_kind (modules/dtls/dtls_session.h): what both bindings' session `pollEvent` returns. */
export const DTLS_EV_CONNECTED = 2;
export const DTLS_EV_DATA = 3;
export const DTLS_EV_CLOSED = 4;

export type DtlsClientEvent =
  | { readonly type: "connected" }
  | { readonly type: "data"; readonly data: Uint8Array }
  | { readonly type: "closed"; readonly error?: IdpgateError };

export interface DtlsClientSession {
  start(now: number): void;
  handleDatagram(bytes: Uint8Array, now: number): void;
  handleTimeout(now: number): void;
  /** The next ciphertext datagram to send, or undefined. */
  pollTransmit(): Uint8Array | undefined;
  /** When handleTimeout must next be called (the `now` clock), or undefined. */
  pollTimeout(): number | undefined;
  pollEvent(): DtlsClientEvent | undefined;
  /** Encrypts one plaintext datagram as one record; throws over maxPayload or when not connected. */
  write(data: Uint8Array, now: number): void;
  /** Queues close_notify when connected; safe twice. */
  close(now: number): void;
  /** Largest datagram write() accepts (0 until connected and after free). */
  readonly maxPayload: number;
  /** The negotiated cipher suite's name, once connected. */
  readonly suite: string | undefined;
  /** Releases the C session; safe twice. */
  free(): void;
}
