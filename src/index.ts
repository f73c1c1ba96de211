/**
 * idpgate: check an access token with the identity provider before acting on a command.
 *
 * The runtime-neutral core. Hosts (hosts/node, hosts/moddable, hosts/xs) provide the ports and the
 * datagram link; see README.md for wiring on each.
 *
 * @example
 * ```ts
 * const client = new CoapClient(link, ports, { baseUrl: "coaps://idp.example:5684" });
 * const introspector = new IntrospectionClient(new CoapIntrospectionTransport(client));
 * const verifier = new Verifier({ introspector, clock: ports.clock, wallClock: ports.wall, random: ports.random });
 * const decision = await verifier.verify(token, { scope: "relay.write" });
 * if (decision.allowed) actOnCommand();
 * ```
 */
export { IdpgateError, ArgumentError, isIdpgateError, type Fault } from "./errors.js";
export type { MonotonicClock, WallClock, RandomSource, Timers, TimerHandle, Endpoint, DatagramLink } from "./ports.js";
export { CoapClient, CoapResponse, CoapServerEngine, CoapFormatError, CoapExchangeError, type CoapRequest } from "./coap/index.js";
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
export {
  Verifier,
  MutableDecision,
  type Decision,
  type DecisionReason,
  type Requirements,
  type VerifierOptions,
} from "./verifier/index.js";
export { utf8Encode, utf8Decode } from "./utf8.js";
