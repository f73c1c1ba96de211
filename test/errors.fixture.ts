import { ArgumentError, IdpgateError } from "../src/errors.js";
import { CoapExchangeError, CoapFormatError } from "../src/coap/index.js";
import { JsonError } from "../src/json/index.js";
import { IdpUnavailable, IdpServerError } from "../src/idp/index.js";

/**
 * One error of each class with the name it must carry. Names are spelled out, not taken from the
 * constructor: Moddable's release builds drop function names.
 */
export function all(): [IdpgateError, string][] {
  return [
    [new IdpgateError("x.y", "internal", "m"), "IdpgateError"],
    [new ArgumentError("x.bad", "m"), "ArgumentError"],
    [new CoapFormatError("coap.truncated_header", "m"), "CoapFormatError"],
    [new CoapExchangeError("coap.timeout", "environment", "m"), "CoapExchangeError"],
    [new JsonError("json.truncated", 3, "m"), "JsonError"],
    [new IdpUnavailable(new Error("down")), "IdpUnavailable"],
    [new IdpServerError({ coapCode: 160 }), "IdpServerError"],
  ];
}
