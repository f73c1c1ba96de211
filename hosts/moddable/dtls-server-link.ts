/**
 * DtlsServerLink: the DTLS server driver of src/link (DtlsServerDriver) on XS: one raw DatagramLink (UdpLink)
 * and the XS binding's multi-peer DtlsServer (modules/dtls: stateless HelloVerifyRequest cookies, PSK).
 * Only the socket, the binding and the timers are the device's; cookies first, at most `maxSessions` peers
 * with the least recently heard evicted for a proven newcomer, idle expiry, close_notify on close, bounded
 * events per wake-up, and refusals counted (stats()) and logged at a bounded rate are the driver's, the same
 * as on Node. Datagrams in and out are plaintext, `send(data, peer)` encrypts to that peer, so a CoAP server
 * engine sits on it.
 *
 * @example
 * ```ts
 * const server = new DtlsServerLink({ raw: new UdpLink({ port: 5684 }), psk: { identity, key }, ...devicePorts() });
 * server.onDatagram((data, peer) => server.send(data, peer)); // echo over DTLS
 * ```
 */
import { DtlsServer } from "../../modules/dtls/dtls.js";
import type { DatagramLink, MonotonicClock, Timers } from "../../src/ports.js";
import { DtlsServerDriver } from "../../src/link/dtls-server-driver.js";

export { DTLS_SERVER_IDLE_MS, DTLS_SERVER_MAX_SESSIONS } from "../../src/link/dtls-server-driver.js";

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
  /** Where refusal summaries go (at most one line per 10 s). */
  readonly log?: (line: string) => void;
}

export class DtlsServerLink extends DtlsServerDriver {
  constructor(o: DtlsServerLinkOptions) {
    super({
      raw: o.raw,
      open: (table) =>
        new DtlsServer({
          psks: [{ identity: o.psk.identity, psk: o.psk.key }],
          ...table,
          ...(o.mtu === undefined ? {} : { mtu: o.mtu }),
          ...(o.handshakeDeadlineMs === undefined ? {} : { handshakeDeadlineMs: o.handshakeDeadlineMs }),
        }),
      clock: o.clock,
      timers: o.timers,
      ...(o.maxSessions === undefined ? {} : { maxSessions: o.maxSessions }),
      ...(o.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: o.idleTimeoutMs }),
      ...(o.log === undefined ? {} : { log: o.log }),
    });
  }
}
