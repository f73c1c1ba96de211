/**
 * The client side of a datagram link on Node for a CoAP URI: plain UDP for coap://, and for coaps:// a
 * DTLS link that handshakes on first use and again after it fails (ReconnectingLink).
 */
import { lookup } from "node:dns/promises";
import type { CoapUri } from "../../src/coap/index.js";
import { ArgumentError } from "../../src/errors.js";
import { ReconnectingLink } from "../../src/link/reconnecting-link.js";
import type { DatagramLink } from "../../src/ports.js";
import { DtlsLink } from "./dtls/dtls-link.js";
import type { DtlsOptions } from "./dtls/options.js";
import { UdpLink } from "./udp-link.js";

export async function resolveHost(host: string): Promise<string> {
  return (await lookup(host)).address;
}

export interface ClientLink {
  readonly link: DatagramLink;
  /** Starts the DTLS session over on the next send (no-op for UDP). */
  reset(): void;
}

export function openClientLink(uri: CoapUri, dtls: DtlsOptions | undefined): ClientLink {
  if (!uri.secure) return { link: new UdpLink(), reset: () => {} };
  if (dtls === undefined) throw new ArgumentError("dtls.no_credentials", "coaps:// needs DTLS credentials (PSK, CA or pin)");
  // Certificates are checked against the URL's host name unless told otherwise; a PSK has no name.
  const serverName = dtls.serverName ?? (uri.hostIsLiteral || dtls.psk !== undefined ? undefined : uri.host);
  const link = new ReconnectingLink(
    async () =>
      DtlsLink.connect({
        ...dtls,
        ...(serverName === undefined ? {} : { serverName }),
        host: uri.hostIsLiteral ? uri.host : await resolveHost(uri.host),
        port: uri.port,
      }),
    { maxDatagramSize: 1152 },
  );
  return { link, reset: () => link.reset() };
}
