/**
 * The one wiring of an introspection client, for every host: URL -> (resolve) -> a self-healing datagram
 * link (ReconnectingLink over the host's link opener) -> CoapClient -> CoapIntrospectionTransport, which
 * starts the link over after unanswered requests -> IntrospectionClient.
 *
 * A host supplies only what is its own: ports, host-name resolution and `open`, which makes one link
 * (UDP, or a DTLS client session over UDP) to a resolved address. TokenVerifier, Node's connectIdp and the
 * device's connectDeviceIdp are all this function.
 */
import { CoapClient, parseCoapUri, utf8Decode, type ClientPorts, type CoapUri, type TransmissionParams } from "../coap/index.js";
import { ReconnectingLink, type ConnectAttempt } from "../link/reconnecting-link.js";
import { IdpgateError } from "../errors.js";
import type { DatagramLink } from "../ports.js";
import { INTROSPECT_PATH, IntrospectionClient, type IntrospectionClientOptions } from "./client.js";
import { CoapIntrospectionTransport } from "./coap-transport.js";

/** Largest datagram the link carries: a DTLS record of the device configuration's 1152-byte input buffer. */
export const IDP_MAX_DATAGRAM = 1152;

/** Makes one link to the provider at a resolved `address` (a new DTLS session each time, for coaps://). */
/** Opens the link to the provider at `address`; gives up (rejects, releases everything) when `attempt` is cancelled. */
export type IdpLinkOpener = (address: string, uri: CoapUri, attempt: ConnectAttempt) => Promise<DatagramLink>;

export interface IdpHost {
  readonly ports: ClientPorts;
  readonly resolve: (host: string) => Promise<string>;
  readonly open: IdpLinkOpener;
}

export interface IntrospectionConnectionOptions extends IntrospectionClientOptions {
  /** Unanswered requests in a row after which the DTLS session is started over (default 2). */
  readonly deadAfterTimeouts?: number;
  /** CoAP transmission parameters (RFC 7252 §4.8), e.g. a shorter ACK_TIMEOUT on loopback tests. */
  readonly coapParams?: Partial<TransmissionParams>;
}

export interface IntrospectionConnection {
  readonly introspector: IntrospectionClient;
  readonly client: CoapClient;
  readonly link: ReconnectingLink;
  close(): void;
}

/** The endpoint's path: the URL's, or /idp/introspect when the URL has none. */
export function introspectionPath(uri: CoapUri): string {
  return uri.pathSegments.length === 0 ? INTROSPECT_PATH : `/${uri.pathSegments.map((s) => utf8Decode(s)).join("/")}`;
}

export function connectIntrospection(
  url: string | CoapUri,
  host: IdpHost,
  options: IntrospectionConnectionOptions = {},
): IntrospectionConnection {
  const uri = typeof url === "string" ? parseCoapUri(url) : url;
  const name = uri.host.includes(":") ? `[${uri.host}]` : uri.host;
  const baseUrl = `${uri.secure ? "coaps" : "coap"}://${name}:${uri.port}`;
  const link = new ReconnectingLink(
    async (attempt) => {
      // A fresh promise job: the first send (deep inside a verification) only starts the connection, and the
      // handshake then runs on a shallow stack (a device's XS stack is 384 to 512 slots).
      await undefined;
      const address = uri.hostIsLiteral ? uri.host : await host.resolve(uri.host);
      if (attempt.cancelled) throw new IdpgateError("idp.closed", "caller", "the connection was closed while connecting");
      return host.open(address, uri, attempt);
    },
    { maxDatagramSize: IDP_MAX_DATAGRAM },
  );
  const client = new CoapClient(link, host.ports, {
    baseUrl,
    resolve: host.resolve,
    ...(options.coapParams === undefined ? {} : { params: options.coapParams }),
  });
  const transport = new CoapIntrospectionTransport(client, {
    ...(options.deadAfterTimeouts === undefined ? {} : { deadAfterTimeouts: options.deadAfterTimeouts }),
    onDead: () => link.reset(),
  });
  // The IntrospectionClient reads its own options and ignores the connection's.
  const introspector = new IntrospectionClient(transport, { ...options, path: introspectionPath(uri) });
  return {
    introspector,
    client,
    link,
    close: () => client.close(), // closes the link too
  };
}
