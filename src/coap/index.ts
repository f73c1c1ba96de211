/**
 * idpgate's CoAP: codec (RFC 7252), options, block-wise (RFC 7959), URIs, the sans-IO client engine
 * and the port-driven `CoapClient`. This export map is the public API of src/coap.
 */
export {
  MessageType,
  Method,
  type MethodName,
  COAP_VERSION,
  MAX_TOKEN_LENGTH,
  MAX_OPTIONS,
  MAX_OPTION_VALUE_LENGTH,
  DEFAULT_PORT,
  DEFAULT_SECURE_PORT,
  DEFAULT_MAX_MESSAGE_SIZE,
  MAX_BODY_BYTES,
  MAX_QUEUED_REQUESTS,
  DEDUP_ENTRIES,
  RECENT_TOKENS,
  EMPTY_CODE,
  CODE_CONTINUE,
  CODE_NAMES,
  makeCode,
  codeToString,
  codeFromString,
} from "./constants.js";
export { CoapFormatError, CoapExchangeError } from "./errors.js";
export {
  OptionNumber,
  type OptionFormat,
  type OptionDefinition,
  type OptionValue,
  optionDefinition,
  isCritical,
  isUnsafe,
  uintBytes,
  readUint,
  uintOption,
  stringOption,
  opaqueOption,
  emptyOption,
} from "./options.js";
export { decodeMessage, findOption, optionValue, type DecodedMessage, type OptionRef, type DecodeOptions } from "./decode.js";
export { encodeMessage, encodedLength, encodeMessageToBytes, type MessageFields } from "./encode.js";
export {
  blockSize,
  szxForSize,
  szxAtMost,
  decodeBlock,
  encodeBlockValue,
  blockOption,
  MAX_BLOCK_NUM,
  type BlockValue,
  type DecodedBlock,
} from "./block.js";
export { parseCoapUri, uriOptions, pathOptions, percentDecode, type CoapUri } from "./uri.js";
export { DEFAULT_TRANSMISSION_PARAMS, transmissionParams, maxTransmitSpan, maxTransmitWait, type TransmissionParams } from "./params.js";
export { CoapResponse } from "./response.js";
export { CoapClientEngine } from "./engine.js";
export type { EngineOptions, EngineRequest, EngineEvent, Transmit } from "./engine-types.js";
export { CoapClient, type CoapClientOptions, type CoapRequest, type ClientPorts, type AbortSignalLike } from "./client.js";
export { utf8Encode, utf8Decode } from "../utf8.js";
export {
  CoapServerEngine,
  BLOCK1_TRANSFERS,
  type ServerRequest,
  type ServerAnswer,
  type ServerTransmit,
  type ServerOptions,
} from "./server.js";
export { CoapServerDriver, MAX_REQUESTS_PER_WAKE, type CoapServerDriverOptions, type CoapServerLink } from "./server-driver.js";
