/**
 * `idpgate/idp`: the introspection client of IDP-API.md, sans-IO: request encoding, answer mapping to
 * claims or typed errors, and a client over a minimal transport the host provides.
 */
export {
  ANSWER_BYTES_PER_TOKEN,
  AnswerMapper,
  answerTokensFor,
  coapCodeOf,
  CONTENT_FORMAT_JSON,
  MAX_ANSWER_BYTES,
  MAX_ANSWER_TOKENS,
  MAX_PROVIDER_TEXT,
  MIN_ANSWER_TOKENS,
  type AnswerMapperOptions,
  type CoapAnswer,
} from "./answer.js";
export { IntrospectionClaims, KNOWN_CLAIMS, spaceListContains, type ClaimFields } from "./claims.js";
export {
  INTROSPECT_PATH,
  INTROSPECT_TIMEOUT_MS,
  IntrospectionClient,
  type IntrospectionClientOptions,
  type IntrospectionPostOptions,
  type IntrospectionTransport,
  type Introspector,
} from "./client.js";
export {
  formatCoapCode,
  IdpAnswerTooLarge,
  IdpBadContentFormat,
  IdpError,
  IdpMalformedAnswer,
  IdpMethodNotAllowed,
  IdpServerError,
  IdpUnauthorized,
  IdpUnavailable,
  IdpUnexpectedCode,
  type IdpErrorCode,
  type IdpErrorDetails,
  type ProviderError,
} from "./errors.js";
export {
  checkToken,
  encodeIntrospectionRequest,
  IntrospectionRequestEncoder,
  MAX_TOKEN_LENGTH,
  writeIntrospectionRequest,
  type ClientCredentials,
} from "./request.js";
export {
  connectIntrospection,
  introspectionPath,
  IDP_MAX_DATAGRAM,
  type IdpHost,
  type IdpLinkOpener,
  type IntrospectionConnection,
  type IntrospectionConnectionOptions,
} from "./connection.js";
