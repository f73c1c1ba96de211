/**
 * The one place that maps outcomes to CLI exit codes (CONVENTIONS: one place maps a code to the wire
 * and to an exit code). Never 0 on an error.
 *   0  success: CoAP 2.xx, token active, command allowed
 *   1  a negative answer: CoAP code not 2.xx, token inactive, command denied by policy
 *   2  usage error (bad arguments, bad URL, unknown subcommand, missing credentials)
 *   3  no answer: timeout, reset, DTLS or link failure, name not resolved (idp.unavailable)
 *   4  the provider refused or failed: idp.unauthorized, idp.method_not_allowed, idp.server_error,
 *      idp.unexpected_code
 *   5  the provider's answer was unusable: idp.malformed_answer, idp.bad_content_format,
 *      idp.answer_too_large
 *   6  rate limited by the verifier (verifier.rate_limited)
 */
import { IdpgateError } from "../../../src/errors.js";

export const EXIT_OK = 0;
export const EXIT_NOT_SUCCESS = 1;
export const EXIT_USAGE = 2;
export const EXIT_NO_ANSWER = 3;
export const EXIT_PROVIDER_ERROR = 4;
export const EXIT_BAD_ANSWER = 5;
export const EXIT_RATE_LIMITED = 6;

const BY_CODE: Readonly<Record<string, number>> = {
  "idp.unavailable": EXIT_NO_ANSWER,
  "idp.unauthorized": EXIT_PROVIDER_ERROR,
  "idp.method_not_allowed": EXIT_PROVIDER_ERROR,
  "idp.server_error": EXIT_PROVIDER_ERROR,
  "idp.unexpected_code": EXIT_PROVIDER_ERROR,
  "idp.malformed_answer": EXIT_BAD_ANSWER,
  "idp.bad_content_format": EXIT_BAD_ANSWER,
  "idp.answer_too_large": EXIT_BAD_ANSWER,
};

/** Exit code for a CoAP response code class (2 -> 0, anything else -> 1). */
export function exitCodeForResponse(codeClass: number): number {
  return codeClass === 2 ? EXIT_OK : EXIT_NOT_SUCCESS;
}

/** Exit code for an error code string (`idp.server_error`, `coap.timeout`, ...). */
export function exitCodeForCode(code: string): number {
  return BY_CODE[code] ?? (code === "verifier.rate_limited" ? EXIT_RATE_LIMITED : EXIT_NO_ANSWER);
}

/** Exit code for an error thrown by a command. */
export function exitCodeForError(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof IdpgateError) return error.fault === "caller" && !(error.code in BY_CODE) ? EXIT_USAGE : exitCodeForCode(error.code);
  return EXIT_NO_ANSWER;
}

/** Thrown by argument parsers; printed with the command's usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
