/**
 * The one error family of idpgate.
 *
 * Every error raised by the library is an `IdpgateError` with a stable dotted `code`
 * (`coap.bad_option_delta`, `dtls.bad_psk`, `idp.unauthorized`, ...) that callers switch on, and a
 * `fault` saying who is to blame:
 *  - `peer`: the other side sent something wrong (malformed datagram, bad answer, alert);
 *  - `caller`: the application misused the API (bad argument, closed object);
 *  - `environment`: the world got in the way (timeout, no route, memory full, provider down);
 *  - `internal`: a bug in idpgate.
 * Messages are for people and never contain a token, a secret or a key: at most a short digest prefix.
 */
export type Fault = "peer" | "caller" | "environment" | "internal";

export interface IdpgateErrorOptions {
  readonly cause?: unknown;
}

export class IdpgateError extends Error {
  readonly code: string;
  readonly fault: Fault;

  constructor(code: string, fault: Fault, message: string, options?: IdpgateErrorOptions) {
    super(message);
    this.code = code;
    this.fault = fault;
    // Set by hand: XS and older engines ignore Error's options bag.
    if (options?.cause !== undefined)
      Object.defineProperty(this, "cause", { value: options.cause, enumerable: false, writable: true, configurable: true });
  }
}
nameError(IdpgateError, "IdpgateError");

/**
 * Gives an error class its name, on its prototype: once per class, not per error (throwing on a peer's bad
 * input then costs no extra frame, property or descriptor object). Defined, not assigned: on a device the
 * preloaded Error.prototype is frozen and assigning over its read-only `name` throws; and Moddable's release
 * builds drop function names, so `new.target.name` is undefined there (both seen in the simulator).
 */
export function nameError(errorClass: { readonly prototype: Error }, name: string): void {
  Object.defineProperty(errorClass.prototype, "name", { value: name, writable: true, enumerable: false, configurable: true });
}

/** True for any idpgate error, optionally of one code or code family (`"coap."`). */
export function isIdpgateError(error: unknown, codeOrPrefix?: string): error is IdpgateError {
  if (!(error instanceof IdpgateError)) return false;
  if (codeOrPrefix === undefined) return true;
  return codeOrPrefix.endsWith(".") ? error.code.startsWith(codeOrPrefix) : error.code === codeOrPrefix;
}

/** A caller passed an argument the API cannot accept. */
export class ArgumentError extends IdpgateError {
  constructor(code: string, message: string) {
    super(code, "caller", message);
  }
}
nameError(ArgumentError, "ArgumentError");
