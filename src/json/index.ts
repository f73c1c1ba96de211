/**
 * `idpgate/json`: a strict RFC 8259 tokenizer over UTF-8 bytes into a caller-owned token pool, field
 * readers that compare bytes without allocating, and a writer for request bodies.
 */
export { JsonError, type JsonErrorCode } from "./errors.js";
export {
  JsonDocument,
  JSON_DEFAULT_TOKENS,
  JSON_MAX_DEPTH,
  JSON_MAX_INPUT_BYTES,
  T_ARRAY,
  T_FALSE,
  T_NULL,
  T_NUMBER,
  T_OBJECT,
  T_STRING,
  T_TRUE,
  type JsonParseOptions,
  type JsonTokenType,
} from "./document.js";
export { JsonWriter, JSON_WRITER_MAX_DEPTH } from "./writer.js";
export { jsonStringLength, utf8Encode } from "./utf8.js";
export { charCodeAt } from "./_chars.js";
