/**
 * idpgate: check an access token with the identity provider before acting on a command.
 *
 * The runtime-neutral core. An application imports `idpgate` (hosts/moddable/public/idpgate.ts on a device,
 * the simulator and the XS test host; hosts/node/public.ts on Node), whose `TokenVerifier` is the one object
 * it needs; the parts below stay public for those who wire their own. This is README's "Use", on a device:
 *
 * @example
 * ```ts
 * import { TokenVerifier } from "idpgate";
 * import config from "mc/config";
 *
 * const verifier = new TokenVerifier({ url: config.idpUrl, psk: { identity: config.pskId, key: config.psk } });
 *
 * export async function allowed(token: string): Promise<boolean> {
 *   const decision = await verifier.verify(token, { scope: "relay.write" });
 *   return decision.allowed;
 * }
 * ```
 */
export { IdpgateError, ArgumentError, isIdpgateError, type Fault } from "./errors.js";
export type { MonotonicClock, WallClock, RandomSource, Timers, TimerHandle, Endpoint, DatagramLink } from "./ports.js";
export {
  CoapClient,
  CoapResponse,
  CoapServerEngine,
  CoapServerDriver,
  CoapFormatError,
  CoapExchangeError,
  type CoapRequest,
} from "./coap/index.js";
export { ReconnectingLink, type LinkConnector } from "./link/reconnecting-link.js";
export {
  IntrospectionClient,
  IntrospectionClaims,
  IdpError,
  IdpUnavailable,
  type IntrospectionTransport,
  type Introspector,
} from "./idp/index.js";
export { CoapIntrospectionTransport } from "./idp/coap-transport.js";
export { connectIntrospection, type IdpHost, type IdpLinkOpener, type IntrospectionConnectionOptions } from "./idp/connection.js";
export {
  Verifier,
  MutableDecision,
  Requirement,
  type Decision,
  type DecisionReason,
  type Requirements,
  type VerifierOptions,
  TokenVerifierCore,
  type TokenVerifierHost,
  type TokenVerifierOptions,
  type TokenVerifierTrace,
  type PskCredentials,
  type VerifierStats,
} from "./verifier/index.js";
export { keyFromText } from "./key-text.js";
export { utf8Encode, utf8Decode } from "./utf8.js";
