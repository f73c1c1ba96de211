import { ArgumentError, IdpgateError } from "../src/errors.js";
import { CoapExchangeError, CoapFormatError } from "../src/coap/index.js";
import { JsonError } from "../src/json/index.js";
import { IdpUnavailable, IdpServerError } from "../src/idp/index.js";

/** One error of each class. */
export function all(): IdpgateError[] {
  return [
    new IdpgateError("x.y", "internal", "m"),
    new ArgumentError("x.bad", "m"),
    new CoapFormatError("coap.truncated_header", "m"),
    new CoapExchangeError("coap.timeout", "environment", "m"),
    new JsonError("json.truncated", 3, "m"),
    new IdpUnavailable(new Error("down")),
    new IdpServerError({ coapCode: 160 }),
  ];
}
