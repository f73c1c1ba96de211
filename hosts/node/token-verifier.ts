/**
 * TokenVerifier on Node: src/verifier/token-verifier.ts over Node's ports, DNS, the N-API DTLS link and an
 * HMAC cache key (node:crypto). Same options and behaviour as on a device.
 *
 * @example
 * ```ts
 * import { TokenVerifier } from "idpgate";
 * const verifier = new TokenVerifier({ url: "coaps://127.0.0.1:5684/idp/introspect", psk: { identity: "dev", key: "hex:00112233" } });
 * const decision = await verifier.verify(token, { scope: "relay.write" });
 * ```
 */
import {
  TokenVerifier as CoreTokenVerifier,
  type TokenVerifierHost,
  type TokenVerifierOptions,
} from "../../src/verifier/token-verifier.js";
import { dtlsOptionsOf, nodeIdpLinkOpener, resolveHost } from "./client-link.js";
import { nodePorts } from "./ports.js";
import { NodeTokenDigest } from "./token-digest.js";

const host: TokenVerifierHost = {
  ports: nodePorts(),
  resolve: resolveHost,
  opener: (options) => nodeIdpLinkOpener(dtlsOptionsOf(options)),
  digest: () => new NodeTokenDigest(),
};

export class TokenVerifier extends CoreTokenVerifier {
  constructor(options: TokenVerifierOptions) {
    super(options, host);
  }
}

export type { TokenVerifierOptions };
