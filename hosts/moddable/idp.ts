/**
 * An introspection client on XS (src/idp/connection.ts over the device ports, ECMA-419 UDP and the
 * modules/dtls client link), for apps that want the parts without TokenVerifier's cache and policy.
 *
 * @example
 * ```ts
 * const idp = connectDeviceIdp("coaps://192.0.2.1:5684/idp/introspect", { psk: { identity, key }, ports: devicePorts() });
 * const claims = await idp.introspector.introspect(token);
 * ```
 */
import { parseCoapUri } from "../../src/coap/index.js";
import { ArgumentError } from "../../src/errors.js";
import { connectIntrospection, type IntrospectionConnection, type IntrospectionConnectionOptions } from "../../src/idp/connection.js";
import type { DevicePorts } from "./ports.js";
import { resolveHost } from "./resolve.js";
import { deviceIdpLinkOpener } from "./token-verifier.js";

export interface DeviceIdpOptions extends IntrospectionConnectionOptions {
  /** PSK for coaps:// (RFC 7925's mandatory mode). */
  readonly psk: { readonly identity: Uint8Array; readonly key: Uint8Array };
  readonly ports: DevicePorts;
  readonly resolve?: (host: string) => Promise<string>;
  readonly mtu?: number;
}

export type DeviceIdpConnection = IntrospectionConnection;

export function connectDeviceIdp(url: string, options: DeviceIdpOptions): DeviceIdpConnection {
  const uri = parseCoapUri(url);
  if (!uri.secure) throw new ArgumentError("idp.insecure", "the device reaches its identity provider over coaps:// only");
  const session = {
    role: "client" as const,
    psks: [{ identity: options.psk.identity, psk: options.psk.key }],
    ...(options.mtu === undefined ? {} : { mtu: options.mtu }),
  };
  const { psk: _psk, ports: _ports, resolve: _resolve, mtu: _mtu, ...connection } = options;
  return connectIntrospection(
    uri,
    { ports: options.ports, resolve: options.resolve ?? resolveHost, open: deviceIdpLinkOpener(session, options.ports) },
    connection,
  );
}
