/**
 * RFC 7252 §5.4.1 / §5.4.3 checks on a response's options before it is accepted.
 * Unknown critical options and critical options with a value of the wrong length reject the response;
 * elective ones are kept (the response accessors still show them).
 */
import type { DecodedMessage } from "./decode.js";
import { CoapFormatError } from "./errors.js";
import { isCritical, optionDefinition } from "./options.js";

export function validateResponseOptions(m: DecodedMessage): void {
  for (const o of m.options) {
    const d = optionDefinition(o.number);
    if (d === undefined) {
      if (isCritical(o.number))
        throw new CoapFormatError("coap.unknown_critical_option", `response carries unknown critical option ${o.number}`);
    } else if ((o.length < d.minLength || o.length > d.maxLength) && isCritical(o.number)) {
      throw new CoapFormatError("coap.bad_option_value", `response option ${d.name} has a ${o.length}-byte value`);
    }
  }
}
