/**
 * The CoAP error family. Codes are stable; who is at fault is in `fault`.
 *
 * Format errors (`CoapFormatError`, fault `peer`) come out of the decoder:
 *  - `coap.truncated_header`      fewer than 4 bytes
 *  - `coap.bad_token_length`      TKL 9..15 (RFC 7252 §3)
 *  - `coap.truncated_token`       TKL larger than what follows the header
 *  - `coap.bad_empty_message`     code 0.00 with anything after the header (§4.1)
 *  - `coap.bad_option_delta`      delta nibble 15 not part of the payload marker (§3.1)
 *  - `coap.bad_option_length`     length nibble 15 (§3.1)
 *  - `coap.truncated_option`      option header or value runs past the datagram
 *  - `coap.bad_option_number`     option number above 65535
 *  - `coap.too_many_options`      more than MAX_OPTIONS
 *  - `coap.empty_payload_after_marker` payload marker followed by nothing (§3)
 *  - `coap.unknown_critical_option` / `coap.bad_option_value` in a response (§5.4.1, §5.4.3)
 *  - `coap.bad_block`             Block1/Block2 with SZX 7 or too long (RFC 7959 §2.2)
 *
 * Encoder and argument errors are `ArgumentError` (fault `caller`): `coap.buffer_too_small`,
 * `coap.bad_token_length`, `coap.bad_uri`, `coap.bad_option`, `coap.message_too_large`, ...
 *
 * Exchange errors (`CoapExchangeError`): `coap.timeout` (environment), `coap.reset` (peer),
 * `coap.cancelled` (caller), `coap.queue_full` (caller), `coap.block_mismatch` (peer),
 * `coap.etag_changed` (environment), `coap.body_too_large` (environment), `coap.closed` (caller),
 * `coap.link_failed` (environment: the datagram link reported a failure; the cause is attached).
 */
import { IdpgateError, nameError, type Fault } from "../errors.js";

export class CoapFormatError extends IdpgateError {
  constructor(code: string, message: string) {
    super(code, "peer", message);
  }
}
nameError(CoapFormatError, "CoapFormatError");

export class CoapExchangeError extends IdpgateError {
  constructor(code: string, fault: Fault, message: string, options?: { readonly cause?: unknown }) {
    super(code, fault, message, options);
  }
}
nameError(CoapExchangeError, "CoapExchangeError");
