/**
 * DtlsClientLink: the DTLS client driver of src/link (DtlsClientDriver) on XS (Moddable devices, the simulator,
 * the XS test host): one raw DatagramLink (UdpLink), the XS binding's DtlsSession (modules/dtls) and the
 * host's timers. The handshake, the one deadline timer, close_notify on close, bounded events per wake-up and
 * how failures are reported are the driver's, the same as on Node.
 *
 * @example
 * ```ts
 * const link = await DtlsClientLink.connect({ raw: new UdpLink(), peer: { address: "192.0.2.1", port: 5684 },
 *   session: { role: "client", identity, key }, ...devicePorts() });
 * link.send(coapBytes, link.peer);
 * ```
 */
import { DtlsSession, type DtlsSessionOptions } from "../../modules/dtls/dtls.js";
import type { DatagramLink, Endpoint, MonotonicClock, Timers } from "../../src/ports.js";
import { DtlsClientDriver } from "../../src/link/dtls-client-driver.js";
import type { ConnectAttempt } from "../../src/link/reconnecting-link.js";

export interface DtlsClientLinkOptions {
  /** The socket the records travel on; closed with this link. */
  readonly raw: DatagramLink;
  readonly peer: Endpoint;
  readonly session: DtlsSessionOptions;
  readonly clock: MonotonicClock;
  readonly timers: Timers;
}

export class DtlsClientLink extends DtlsClientDriver<DtlsSession> {
  private constructor(o: DtlsClientLinkOptions) {
    super({ raw: o.raw, peer: o.peer, session: new DtlsSession({ ...o.session, role: "client" }), clock: o.clock, timers: o.timers });
  }

  /** Resolves once the handshake is done; rejects with a DtlsError (the raw link is then closed), with
   * dtls.closed when `attempt` is cancelled first. */
  static connect(o: DtlsClientLinkOptions, attempt?: ConnectAttempt): Promise<DtlsClientLink> {
    let link: DtlsClientLink;
    try {
      link = new DtlsClientLink(o);
    } catch (e) {
      o.raw.close();
      return Promise.reject(e as Error);
    }
    return link.handshake(attempt).then(() => link);
  }
}
