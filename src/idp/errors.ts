/**
 * Typed errors of the introspection client (IDP-API.md). One class per documented answer, each with a
 * stable code; none ever carries the token or the client secret.
 *
 * | code                    | class                  | fault       | when                                       |
 * |-------------------------|------------------------|-------------|--------------------------------------------|
 * | idp.unauthorized        | IdpUnauthorized        | caller      | 4.01: our client_id / client_secret refused  |
 * | idp.method_not_allowed  | IdpMethodNotAllowed    | internal    | 4.05: we sent something but a POST           |
 * | idp.server_error        | IdpServerError         | environment | 5.00 with the nested error object            |
 * | idp.unexpected_code     | IdpUnexpectedCode      | peer        | any other code (4.00, 4.04, 4.13, 5.03, ...)   |
 * | idp.malformed_answer    | IdpMalformedAnswer     | peer        | bad JSON, not an object, bad `active`/claims |
 * | idp.bad_content_format  | IdpBadContentFormat    | peer        | a 2.xx answer whose Content-Format is not 50 |
 * | idp.answer_too_large    | IdpAnswerTooLarge      | peer        | body or token count above the limit          |
 * | idp.unavailable         | IdpUnavailable         | environment | transport failure (timeout, DTLS, network)   |
 */
import { IdpgateError, nameError, type Fault } from "../errors.js";

export type IdpErrorCode =
  | "idp.unauthorized"
  | "idp.method_not_allowed"
  | "idp.server_error"
  | "idp.unexpected_code"
  | "idp.malformed_answer"
  | "idp.bad_content_format"
  | "idp.answer_too_large"
  | "idp.unavailable";

/** What the provider said in an error body (either documented shape), when it said it. */
export interface ProviderError {
  /** `error` when it is a string (`"FORBIDDEN"`), or `status` of the nested object. */
  readonly error?: string;
  /** `error_description`, or `message` of the nested object. */
  readonly message?: string;
  /** `request` of the nested object: the provider's request id, for its logs. */
  readonly requestId?: string;
  readonly errorUri?: string;
  /** `code` of the nested object (the HTTP-style status number). */
  readonly status?: number;
}

export interface IdpErrorDetails {
  /** The CoAP response code as class*32+detail, when there was a response. */
  readonly coapCode?: number | undefined;
  readonly provider?: ProviderError | undefined;
  readonly maxAge?: number | undefined;
  readonly cause?: unknown;
}

export class IdpError extends IdpgateError {
  declare readonly code: IdpErrorCode;
  readonly coapCode: number | undefined;
  readonly provider: ProviderError | undefined;

  constructor(code: IdpErrorCode, fault: Fault, message: string, details?: IdpErrorDetails) {
    const p = details?.provider;
    const extra =
      p === undefined
        ? ""
        : `${p.error === undefined ? "" : ` ${p.error}`}${p.message === undefined ? "" : `: ${p.message}`}${p.requestId === undefined ? "" : ` (request ${p.requestId})`}`;
    super(
      code,
      fault,
      `${message}${details?.coapCode === undefined ? "" : ` [${formatCoapCode(details.coapCode)}]`}${extra}`,
      details?.cause === undefined ? undefined : { cause: details.cause },
    );
    this.coapCode = details?.coapCode;
    this.provider = p;
  }
}
nameError(IdpError, "IdpError");

export class IdpUnauthorized extends IdpError {
  constructor(details: IdpErrorDetails) {
    super("idp.unauthorized", "caller", "the identity provider refused our client credentials", details);
  }
}
nameError(IdpUnauthorized, "IdpUnauthorized");

export class IdpMethodNotAllowed extends IdpError {
  constructor(details: IdpErrorDetails) {
    super("idp.method_not_allowed", "internal", "the identity provider refused the method", details);
  }
}
nameError(IdpMethodNotAllowed, "IdpMethodNotAllowed");

export class IdpServerError extends IdpError {
  /** The provider's request id, when its body named one. */
  readonly requestId: string | undefined;
  constructor(details: IdpErrorDetails) {
    super("idp.server_error", "environment", "the identity provider failed", details);
    this.requestId = details.provider?.requestId;
  }
}
nameError(IdpServerError, "IdpServerError");

export class IdpUnexpectedCode extends IdpError {
  /** Max-Age of the response in seconds (a 5.03 says when to retry), if present. */
  readonly maxAge: number | undefined;
  constructor(details: IdpErrorDetails) {
    super("idp.unexpected_code", "peer", "the identity provider answered with an undocumented code", details);
    this.maxAge = details.maxAge;
  }
}
nameError(IdpUnexpectedCode, "IdpUnexpectedCode");

export class IdpMalformedAnswer extends IdpError {
  constructor(reason: string, details: IdpErrorDetails) {
    super("idp.malformed_answer", "peer", `malformed introspection answer: ${reason}`, details);
  }
}
nameError(IdpMalformedAnswer, "IdpMalformedAnswer");

export class IdpBadContentFormat extends IdpError {
  readonly contentFormat: number | undefined;
  constructor(contentFormat: number | undefined, details: IdpErrorDetails) {
    super(
      "idp.bad_content_format",
      "peer",
      `answer has Content-Format ${contentFormat ?? "none"}, expected 50 (application/json)`,
      details,
    );
    this.contentFormat = contentFormat;
  }
}
nameError(IdpBadContentFormat, "IdpBadContentFormat");

export class IdpAnswerTooLarge extends IdpError {
  constructor(limit: number, details: IdpErrorDetails) {
    super("idp.answer_too_large", "peer", `answer above the limit of ${limit} bytes or its token budget`, details);
  }
}
nameError(IdpAnswerTooLarge, "IdpAnswerTooLarge");

export class IdpUnavailable extends IdpError {
  constructor(cause: unknown) {
    super(
      "idp.unavailable",
      "environment",
      `the identity provider could not be reached${cause instanceof IdpgateError ? ` (${cause.code})` : ""}`,
      { cause },
    );
  }
}
nameError(IdpUnavailable, "IdpUnavailable");

/** `2.01` for 65. */
export function formatCoapCode(code: number): string {
  const detail = code & 31;
  return `${code >> 5}.${detail < 10 ? "0" : ""}${detail}`;
}
