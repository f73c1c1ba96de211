/**
 * DtlsLink: the DTLS client driver of src/link (DtlsClientDriver) on Node: one UdpLink (dgram), the N-API
 * DtlsSession and Node's timers, plus session resumption, which only this binding offers. The handshake, the
 * one deadline timer, close_notify on close, bounded events per wake-up and how failures are reported are the
 * driver's, the same as on XS.
 *
 * @example
 * ```ts
 * const link = await DtlsLink.connect({ host: "127.0.0.1", port: 5684, psk: { identity: "dev", key: "hex:0011" } });
 * link.onDatagram((data) => console.log(data));
 * link.send(coapBytes, link.peer);
 * link.close();
 * ```
 */
import { isIPv6 } from "node:net";
import { DtlsClientDriver } from "../../../src/link/dtls-client-driver.js";
import type { ConnectAttempt } from "../../../src/link/reconnecting-link.js";
import { nodeMonotonicClock, nodeTimers } from "../ports.js";
import { UdpLink } from "../udp-link.js";
import type { DtlsOptions } from "./options.js";
import { DtlsSession } from "./session.js";

export interface DtlsLinkOptions extends DtlsOptions {
  /** Server address (numeric IPv4 or IPv6). */
  readonly host: string;
  readonly port: number;
  readonly bindAddress?: string;
  /** A saved session (DtlsLink.saveSession) to resume; ignored when unusable. */
  readonly resume?: Uint8Array;
}

export class DtlsLink extends DtlsClientDriver<DtlsSession> {
  private constructor(udp: UdpLink, session: DtlsSession, options: DtlsLinkOptions) {
    super({ raw: udp, peer: { address: options.host, port: options.port }, session, clock: nodeMonotonicClock, timers: nodeTimers });
  }

  /** Binds a socket, runs the handshake and resolves when connected; rejects with a DtlsError (dtls.closed
   * when `attempt` is cancelled first). */
  static async connect(options: DtlsLinkOptions, attempt?: ConnectAttempt): Promise<DtlsLink> {
    const session = DtlsSession.client(options);
    if (options.resume !== undefined) {
      try {
        session.restore(options.resume);
      } catch {
        // gotcha 3 of MBEDTLS-COMPAT.md: an unusable saved session is a cache miss
      }
    }
    let udp: UdpLink;
    try {
      udp = await UdpLink.open({
        family: isIPv6(options.host) ? 6 : 4,
        lingerOnClose: true, // close_notify must leave before the socket closes
        ...(options.bindAddress === undefined ? {} : { bindAddress: options.bindAddress }),
      });
    } catch (e) {
      session.free();
      throw e;
    }
    const link = new DtlsLink(udp, session, options);
    await link.handshake(attempt);
    return link;
  }

  /** True when this connection resumed a saved session. */
  get resumed(): boolean {
    return this.session.resumed;
  }

  /** The session to pass as `resume` to a later connect (secret: store like a key). */
  saveSession(): Uint8Array {
    return this.session.save();
  }
}
