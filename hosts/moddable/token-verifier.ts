/**
 * TokenVerifier on XS (Moddable devices, the simulator, the XS test host): src/verifier/token-verifier.ts
 * over the device ports (`timer`, `Time.ticks`, the native CSPRNG), ECMA-419 UDP, the modules/dtls client
 * link and the native HMAC cache key of modules/digest. Same options and behaviour as on Node.
 *
 * @example
 * ```ts
 * import { TokenVerifier } from "idpgate";
 * const verifier = new TokenVerifier({ url: "coaps://192.0.2.10/idp/introspect", psk: { identity: "dev", key: "hex:00112233" } });
 * const decision = await verifier.verify(token, { scope: "relay.write" });
 * ```
 */
import { utf8Encode } from "../../src/utf8.js";
import { ArgumentError } from "../../src/errors.js";
import type { IdpLinkOpener } from "../../src/idp/connection.js";
import { keyFromText } from "../../src/key-text.js";
import {
  TokenVerifier as CoreTokenVerifier,
  type TokenVerifierHost,
  type TokenVerifierOptions,
} from "../../src/verifier/token-verifier.js";
import { NativeTokenDigest } from "../../modules/digest/token_digest.js";
import type { DtlsSessionOptions } from "../../modules/dtls/dtls.js";
import { DtlsClientLink } from "./dtls-client-link.js";
import { devicePorts, type DevicePorts } from "./ports.js";
import { resolveHost } from "./resolve.js";
import { UdpLink } from "./udp-link.js";

function bytes(v: string | Uint8Array): Uint8Array {
  return typeof v === "string" ? utf8Encode(v) : v;
}

/** TokenVerifier's credential options as a modules/dtls client session; keys decoded (and checked) now. */
export function deviceSessionOptions(o: TokenVerifierOptions, mtu?: number): DtlsSessionOptions {
  if (o.pin !== undefined) throw new ArgumentError("verifier.unsupported", "certificate pins are not available on XS: use psk or ca");
  return {
    role: "client",
    ...(o.psk === undefined ? {} : { psks: [{ identity: bytes(o.psk.identity), psk: keyFromText(o.psk.key, "psk.key") }] }),
    ...(o.ca === undefined ? {} : { ca: bytes(o.ca) }),
    ...(o.serverName === undefined ? {} : { serverName: o.serverName }),
    ...(o.certificate === undefined ? {} : { certificate: bytes(o.certificate) }),
    ...(o.privateKey === undefined ? {} : { privateKey: bytes(o.privateKey) }),
    ...(mtu === undefined ? {} : { mtu }),
  };
}

/** One DTLS client session over a fresh ECMA-419 UDP socket per connection. */
export function deviceIdpLinkOpener(session: DtlsSessionOptions, ports: DevicePorts): IdpLinkOpener {
  return (address, uri, attempt) => {
    if (!uri.secure) throw new ArgumentError("idp.insecure", "the device reaches its identity provider over coaps:// only");
    // Certificates are checked against the URL's host name unless told otherwise.
    const serverName = session.serverName ?? (uri.hostIsLiteral || session.psks !== undefined ? undefined : uri.host);
    return DtlsClientLink.connect(
      {
        raw: new UdpLink(),
        peer: { address, port: uri.port },
        session: serverName === undefined ? session : { ...session, serverName },
        clock: ports.clock,
        timers: ports.timers,
      },
      attempt,
    );
  };
}

export class TokenVerifier extends CoreTokenVerifier {
  constructor(options: TokenVerifierOptions) {
    // Ports are made here, at run time: preloaded modules hold no state.
    const ports = devicePorts();
    const host: TokenVerifierHost = {
      ports,
      resolve: resolveHost,
      opener: (o) => deviceIdpLinkOpener(deviceSessionOptions(o), ports),
      digest: () => new NativeTokenDigest(),
    };
    super(options, host);
  }
}

export type { TokenVerifierOptions };
