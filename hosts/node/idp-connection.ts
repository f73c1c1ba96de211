/**
 * Wires an introspection client on Node: URL -> (DNS) -> UDP or a self-healing DTLS link -> CoapClient
 * -> IntrospectionClient. The CLI, the demo and the integration tests all connect through here.
 */
import { CoapClient, parseCoapUri, utf8Decode, type TransmissionParams } from "../../src/coap/index.js";
import { CoapIntrospectionTransport } from "../../src/idp/coap-transport.js";
import { INTROSPECT_PATH, IntrospectionClient, type IntrospectionClientOptions } from "../../src/idp/index.js";
import type { DatagramLink } from "../../src/ports.js";
import { openClientLink, resolveHost } from "./client-link.js";
import type { DtlsOptions } from "./dtls/options.js";
import { nodePorts } from "./ports.js";

export interface IdpConnectionOptions extends IntrospectionClientOptions {
  /** Credentials for coaps:// (required there). */
  readonly dtls?: DtlsOptions;
  /** Unanswered requests in a row after which the DTLS session is started over (default 2). */
  readonly deadAfterTimeouts?: number;
  /** CoAP transmission parameters (RFC 7252 §4.8), e.g. a shorter ACK_TIMEOUT on loopback tests. */
  readonly coapParams?: Partial<TransmissionParams>;
}

export interface IdpConnection {
  readonly introspector: IntrospectionClient;
  readonly client: CoapClient;
  readonly link: DatagramLink;
  close(): void;
}

/** `url` is the endpoint, e.g. `coaps://127.0.0.1:5684/idp/introspect` (the path defaults to /idp/introspect). */
export function connectIdp(url: string, options: IdpConnectionOptions = {}): IdpConnection {
  const uri = parseCoapUri(url);
  const path = uri.pathSegments.length === 0 ? INTROSPECT_PATH : `/${uri.pathSegments.map((s) => utf8Decode(s)).join("/")}`;
  const host = uri.host.includes(":") ? `[${uri.host}]` : uri.host;
  const baseUrl = `${uri.secure ? "coaps" : "coap"}://${host}:${uri.port}`;
  const { link, reset } = openClientLink(uri, options.dtls);
  const client = new CoapClient(link, nodePorts(), {
    baseUrl,
    resolve: resolveHost,
    ...(options.coapParams === undefined ? {} : { params: options.coapParams }),
  });
  const transport = new CoapIntrospectionTransport(client, {
    ...(options.deadAfterTimeouts === undefined ? {} : { deadAfterTimeouts: options.deadAfterTimeouts }),
    onDead: reset,
  });
  const introspector = new IntrospectionClient(transport, { ...options, path });
  return { introspector, client, link, close: () => client.close() };
}
