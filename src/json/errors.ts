import { IdpgateError, nameError, type Fault } from "../errors.js";

/**
 * Stable codes of the JSON tokenizer, readers and writer.
 *
 * Tokenizer (fault `peer`: the bytes came from the other side):
 *  - `json.unexpected_byte`  a byte that cannot start or continue the value at this position
 *  - `json.trailing_comma`   `[1,]` or `{"a":1,}`
 *  - `json.leading_zero`     `01`, `-01`
 *  - `json.bad_escape`       an unknown escape, a bad `\u` digit, or a lone surrogate escape
 *  - `json.bad_utf8`         invalid UTF-8 (overlong, surrogate, above U+10FFFF, stray continuation)
 *  - `json.control_char`     an unescaped byte below 0x20 inside a string
 *  - `json.trailing_data`    anything but whitespace after the single top-level value
 *  - `json.truncated`        the input ends inside a value (or is empty)
 *  - `json.too_deep`, `json.too_many_tokens`, `json.too_large`: a configured limit was reached
 * Readers (fault `peer`): `json.wrong_type`, `json.not_finite`, `json.not_integer`, `json.duplicate_key`.
 * Writer (fault `caller`): `json.lone_surrogate`, `json.buffer_too_small`, `json.not_finite`,
 * `json.writer_state`.
 */
/** The syntax errors of the tokenizer (RFC 8259), the codes before its limits in the list above. */
export type JsonSyntaxErrorCode =
  | "json.unexpected_byte"
  | "json.trailing_comma"
  | "json.leading_zero"
  | "json.bad_escape"
  | "json.bad_utf8"
  | "json.control_char"
  | "json.trailing_data"
  | "json.truncated";

export type JsonErrorCode =
  | JsonSyntaxErrorCode
  | "json.too_deep"
  | "json.too_many_tokens"
  | "json.too_large"
  | "json.wrong_type"
  | "json.not_finite"
  | "json.not_integer"
  | "json.duplicate_key"
  | "json.lone_surrogate"
  | "json.buffer_too_small"
  | "json.writer_state";

export class JsonError extends IdpgateError {
  declare readonly code: JsonErrorCode;
  /** Byte offset in the input (tokenizer) or output (writer) where the problem was found; -1 if none. */
  readonly offset: number;

  constructor(code: JsonErrorCode, offset: number, message: string, fault: Fault = "peer") {
    super(code, fault, offset >= 0 ? `${message} at byte ${offset}` : message);
    this.offset = offset;
  }
}
nameError(JsonError, "JsonError");
