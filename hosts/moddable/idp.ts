/**
 * Wires an introspection client on XS: URL -> (resolve) -> self-healing DTLS client link over UDP ->
 * CoapClient -> IntrospectionClient. The device counterpart of hosts/node/idp-connection.ts.
 *
 * @example
 * ```ts
 * const idp = connectDeviceIdp("coaps://192.0.2.1:5684/idp/introspect", { psk: { identity, key }, ports: devicePorts() });
 * const claims = await idp.introspector.introspect(token);
 * ```
 */
import { CoapClient, parseCoapUri, utf8Decode } from "../../src/coap/index.js";
import { ArgumentError } from "../../src/errors.js";
import { CoapIntrospectionTransport } from "../../src/idp/coap-transport.js";
import { INTROSPECT_PATH, IntrospectionClient, type IntrospectionClientOptions } from "../../src/idp/index.js";
import { ReconnectingLink } from "../../src/link/reconnecting-link.js";
import { DtlsClientLink } from "./dtls-client-link.js";
import type { DevicePorts } from "./ports.js";
import { resolveHost } from "./resolve.js";
import { UdpLink } from "./udp-link.js";

export interface DeviceIdpOptions extends IntrospectionClientOptions {
  /** PSK for coaps:// (this build's device links use PSK, the RFC 7925 mandatory mode). */
  readonly psk: { readonly identity: Uint8Array; readonly key: Uint8Array };
  readonly ports: DevicePorts;
  readonly resolve?: (host: string) => Promise<string>;
  /** Unanswered requests in a row after which the DTLS session is started over (default 2). */
  readonly deadAfterTimeouts?: number;
  readonly mtu?: number;
}

export interface DeviceIdpConnection {
  readonly introspector: IntrospectionClient;
  readonly client: CoapClient;
  readonly link: ReconnectingLink;
  close(): void;
}

export function connectDeviceIdp(url: string, options: DeviceIdpOptions): DeviceIdpConnection {
  const uri = parseCoapUri(url);
  if (!uri.secure) throw new ArgumentError("idp.insecure", "the device reaches its identity provider over coaps:// only");
  const path = uri.pathSegments.length === 0 ? INTROSPECT_PATH : `/${uri.pathSegments.map((s) => utf8Decode(s)).join("/")}`;
  const host = uri.host.includes(":") ? `[${uri.host}]` : uri.host;
  const baseUrl = `coaps://${host}:${uri.port}`;
  const resolve = options.resolve ?? resolveHost;
  const ports = options.ports;
  const link = new ReconnectingLink(
    async () => {
      // A fresh promise job: the first send (deep inside a verification) only starts the connection, and the
      // handshake then runs on a shallow stack (a device's XS stack is 384 to 512 slots).
      await undefined;
      const address = uri.hostIsLiteral ? uri.host : await resolve(uri.host);
      return DtlsClientLink.connect({
        raw: new UdpLink(),
        peer: { address, port: uri.port },
        session: {
          role: "client",
          identity: options.psk.identity,
          key: options.psk.key,
          ...(options.mtu === undefined ? {} : { mtu: options.mtu }),
        },
        clock: ports.clock,
        timers: ports.timers,
      });
    },
    { maxDatagramSize: 1152 },
  );
  const client = new CoapClient(link, ports, { baseUrl, resolve });
  const transport = new CoapIntrospectionTransport(client, {
    ...(options.deadAfterTimeouts === undefined ? {} : { deadAfterTimeouts: options.deadAfterTimeouts }),
    onDead: () => link.reset(),
  });
  const { psk: _psk, ports: _ports, resolve: _resolve, deadAfterTimeouts: _dead, mtu: _mtu, ...clientOptions } = options;
  const introspector = new IntrospectionClient(transport, { ...clientOptions, path });
  return { introspector, client, link, close: () => client.close() };
}
