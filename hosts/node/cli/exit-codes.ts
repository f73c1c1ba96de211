/**
 * The one place that maps outcomes to CLI exit codes (CONVENTIONS: one place maps a code to the wire
 * and to an exit code). Never 0 on an error.
 *   0  success: CoAP 2.xx, token active, command allowed
 *   1  a negative answer: CoAP code not 2.xx, token inactive, command denied by policy
 *   2  usage error (bad arguments, bad URL, unknown subcommand, missing or malformed credentials, files
 *      or token)
 *   3  no answer: timeout, reset, DTLS or link failure, name not resolved (idp.unavailable)
 *   4  the provider refused or failed: idp.unauthorized, idp.method_not_allowed, idp.server_error,
 *      idp.unexpected_code
 *   5  the provider's answer was unusable: idp.malformed_answer, idp.bad_content_format,
 *      idp.answer_too_large
 *   6  rate limited by the verifier (verifier.rate_limited)
 */
import { IdpgateError } from "../../../src/errors.js";
import type { IdpErrorCode } from "../../../src/idp/index.js";
import type { Decision, DecisionReason } from "../../../src/verifier/index.js";

export const EXIT_OK = 0;
export const EXIT_NOT_SUCCESS = 1;
export const EXIT_USAGE = 2;
export const EXIT_NO_ANSWER = 3;
export const EXIT_PROVIDER_ERROR = 4;
export const EXIT_BAD_ANSWER = 5;
export const EXIT_RATE_LIMITED = 6;

/** Every introspection error code (a new one does not compile until it has a row). */
const BY_IDP_CODE: Readonly<Record<IdpErrorCode, number>> = {
  "idp.unavailable": EXIT_NO_ANSWER,
  "idp.unauthorized": EXIT_PROVIDER_ERROR,
  "idp.method_not_allowed": EXIT_PROVIDER_ERROR,
  "idp.server_error": EXIT_PROVIDER_ERROR,
  "idp.unexpected_code": EXIT_PROVIDER_ERROR,
  "idp.malformed_answer": EXIT_BAD_ANSWER,
  "idp.bad_content_format": EXIT_BAD_ANSWER,
  "idp.answer_too_large": EXIT_BAD_ANSWER,
};

/**
 * Every decision reason of `idpgate verify` (a new one does not compile until it has a row). The
 * `idp_*` rows are the fallback when the decision names no error code; with one, the code's row above
 * decides, so `verify` and `introspect` give one exit code for one provider outcome.
 */
const BY_REASON: Readonly<Record<DecisionReason, number>> = {
  ok: EXIT_OK,
  inactive: EXIT_NOT_SUCCESS,
  expired: EXIT_NOT_SUCCESS,
  scope: EXIT_NOT_SUCCESS,
  issuer: EXIT_NOT_SUCCESS,
  audience: EXIT_NOT_SUCCESS,
  subject: EXIT_NOT_SUCCESS,
  // the token itself cannot be sent (empty, too long, not text): the caller's input, as in `introspect`
  malformed: EXIT_USAGE,
  rate_limited: EXIT_RATE_LIMITED,
  idp_unavailable: EXIT_NO_ANSWER,
  idp_error: EXIT_BAD_ANSWER,
};

function idpCodeExit(code: string | undefined): number | undefined {
  return code !== undefined && Object.hasOwn(BY_IDP_CODE, code) ? BY_IDP_CODE[code as IdpErrorCode] : undefined;
}

/** Exit code for a CoAP response code class (2 -> 0, anything else -> 1). */
export function exitCodeForResponse(codeClass: number): number {
  return codeClass === 2 ? EXIT_OK : EXIT_NOT_SUCCESS;
}

/** Exit code for a verifier decision: its reason's row, refined by its error code for `idp_*` reasons. */
export function exitCodeForDecision(decision: Pick<Decision, "reason" | "errorCode">): number {
  return idpCodeExit(decision.errorCode) ?? BY_REASON[decision.reason];
}

/** Exit code for an error thrown by a command. */
export function exitCodeForError(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (!(error instanceof IdpgateError)) return EXIT_NO_ANSWER;
  if (error.code === "verifier.rate_limited") return EXIT_RATE_LIMITED;
  return idpCodeExit(error.code) ?? (error.fault === "caller" ? EXIT_USAGE : EXIT_NO_ANSWER);
}

/** Thrown by argument parsers; printed as one line naming the command's --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
