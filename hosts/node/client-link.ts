/**
 * The client side of a datagram link on Node for a CoAP URI: plain UDP for coap://, and for coaps:// a
 * DTLS link (N-API over modules/dtls). src/idp/connection.ts wraps it in a ReconnectingLink, which makes
 * a new one after each failure.
 */
import { lookup } from "node:dns/promises";
import type { CoapUri } from "../../src/coap/index.js";
import { ArgumentError } from "../../src/errors.js";
import { IDP_MAX_DATAGRAM, type IdpLinkOpener } from "../../src/idp/connection.js";
import type { ConnectAttempt } from "../../src/link/reconnecting-link.js";
import { ReconnectingLink } from "../../src/link/reconnecting-link.js";
import type { DatagramLink } from "../../src/ports.js";
import { keyFromText } from "../../src/key-text.js";
import type { TokenVerifierOptions } from "../../src/verifier/token-verifier.js";
import { DtlsLink } from "./dtls/dtls-link.js";
import type { DtlsOptions } from "./dtls/options.js";
import { UdpLink } from "./udp-link.js";

export async function resolveHost(host: string): Promise<string> {
  return (await lookup(host)).address;
}

/** TokenVerifier's credential options as Node's DtlsOptions; the PSK is decoded (and checked) now. */
export function dtlsOptionsOf(o: TokenVerifierOptions): DtlsOptions {
  return {
    ...(o.psk === undefined ? {} : { psk: { identity: o.psk.identity, key: keyFromText(o.psk.key, "psk.key") } }),
    ...(o.ca === undefined ? {} : { ca: o.ca }),
    ...(o.serverName === undefined ? {} : { serverName: o.serverName }),
    ...(o.pin === undefined ? {} : { pin: o.pin }),
    ...(o.certificate === undefined ? {} : { certificate: o.certificate }),
    ...(o.privateKey === undefined ? {} : { privateKey: o.privateKey }),
  };
}

/** Opens UDP for coap://, a DTLS session with `dtls` for coaps://. */
export function nodeIdpLinkOpener(dtls: DtlsOptions | undefined): IdpLinkOpener {
  return async (address: string, uri: CoapUri, attempt: ConnectAttempt) => {
    if (!uri.secure) return new UdpLink();
    if (dtls === undefined) throw new ArgumentError("dtls.no_credentials", "coaps:// needs DTLS credentials (PSK, CA or pin)");
    // Certificates are checked against the URL's host name unless told otherwise; a PSK has no name.
    const serverName = dtls.serverName ?? (uri.hostIsLiteral || dtls.psk !== undefined ? undefined : uri.host);
    return DtlsLink.connect({ ...dtls, ...(serverName === undefined ? {} : { serverName }), host: address, port: uri.port }, attempt);
  };
}

export interface ClientLink {
  readonly link: DatagramLink;
  /** Starts the DTLS session over on the next send (no-op for UDP). */
  reset(): void;
}

/** A link for one-off CoAP requests (the CLI's `coap`): UDP, or a DTLS link that handshakes on first use. */
export function openClientLink(uri: CoapUri, dtls: DtlsOptions | undefined): ClientLink {
  if (!uri.secure) return { link: new UdpLink(), reset: () => {} };
  if (dtls === undefined) throw new ArgumentError("dtls.no_credentials", "coaps:// needs DTLS credentials (PSK, CA or pin)");
  const open = nodeIdpLinkOpener(dtls);
  const link = new ReconnectingLink(async (attempt) => open(uri.hostIsLiteral ? uri.host : await resolveHost(uri.host), uri, attempt), {
    maxDatagramSize: IDP_MAX_DATAGRAM,
  });
  return { link, reset: () => link.reset() };
}
