/**
 * DtlsServerSocket: the DTLS server driver of src/link (DtlsServerDriver: cookies first, bounded peers with
 * least-recently-heard eviction, idle expiry, close_notify on close, refusals counted and logged at a bounded
 * rate) on one Node dgram socket and the N-API DtlsServer. Only the socket, the binding and the timers are
 * Node's; the policy is the driver's, the same as the XS server link's. It is a DatagramLink of plaintext
 * (send(data, peer) encrypts to that peer), so a CoAP server (the local identity provider, the gate) sits on it.
 *
 * @example
 * ```ts
 * const srv = await DtlsServerSocket.listen({ port: 0, psk: { identity: "dev", key: "hex:0011" } });
 * srv.onDatagram((data, peer) => srv.send(data, peer)); // echo
 * ```
 */
import { DtlsServerDriver } from "../../../src/link/dtls-server-driver.js";
import { nodeMonotonicClock, nodeUnrefTimers } from "../ports.js";
import { UdpLink } from "../udp-link.js";
import { DtlsServer } from "./server.js";
import type { DtlsOptions } from "./options.js";

export interface DtlsServerSocketOptions extends DtlsOptions {
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly address?: string;
  /** Peers holding a session at once (default DTLS_SERVER_MAX_SESSIONS). */
  readonly maxSessions?: number;
  /** Close a peer silent this long, ms (default DTLS_SERVER_IDLE_MS; 0 = never). */
  readonly idleTimeoutMs?: number;
  /** Where refusal summaries go (at most one line per 10 s). */
  readonly log?: (line: string) => void;
}

export class DtlsServerSocket extends DtlsServerDriver {
  readonly #udp: UdpLink;

  private constructor(udp: UdpLink, options: DtlsServerSocketOptions) {
    super({
      raw: udp,
      open: (table) => new DtlsServer({ ...options, ...table }),
      clock: nodeMonotonicClock,
      timers: nodeUnrefTimers,
      ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }),
      ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    this.#udp = udp;
  }

  static async listen(options: DtlsServerSocketOptions): Promise<DtlsServerSocket> {
    const address = options.address ?? "127.0.0.1";
    // lingerOnClose: the close_notify records close() sends must leave before the socket closes.
    const udp = await UdpLink.open({
      family: address.includes(":") ? 6 : 4,
      bindAddress: address,
      port: options.port,
      lingerOnClose: true,
      dualStack: true,
    });
    return new DtlsServerSocket(udp, options);
  }

  get port(): number {
    return this.#udp.localPort(4) ?? this.#udp.localPort(6) ?? 0;
  }
}
