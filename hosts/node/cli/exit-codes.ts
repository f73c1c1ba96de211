/**
 * The one place that maps outcomes to CLI exit codes (CONVENTIONS: one place maps a code to the wire
 * and to an exit code).
 *   0  success (CoAP 2.xx)
 *   1  an answer that is not 2.xx
 *   2  usage error (bad arguments, bad URL, unknown subcommand)
 *   3  no answer (timeout, reset, link failure, name not resolved)
 */
import { IdpgateError } from "../../../src/errors.js";

export const EXIT_OK = 0;
export const EXIT_NOT_SUCCESS = 1;
export const EXIT_USAGE = 2;
export const EXIT_NO_ANSWER = 3;

/** Exit code for a CoAP response code class (2 -> 0, anything else -> 1). */
export function exitCodeForResponse(codeClass: number): number {
  return codeClass === 2 ? EXIT_OK : EXIT_NOT_SUCCESS;
}

/** Exit code for an error thrown by a command. */
export function exitCodeForError(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof IdpgateError) return error.fault === "caller" ? EXIT_USAGE : EXIT_NO_ANSWER;
  return EXIT_NO_ANSWER;
}

/** Thrown by argument parsers; printed with the command's usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
