/**
 * The introspection answer mapping (IDP-API.md, RFC 7662 section 2.2), sans-IO: a CoAP response in,
 * claims or one typed IdpError out.
 *
 *   2.xx + Content-Format 50 + JSON object with boolean `active` -> IntrospectionClaims
 *   2.xx otherwise                     -> bad_content_format | answer_too_large | malformed_answer
 *   4.01                               -> IdpUnauthorized (with the FORBIDDEN body's fields)
 *   4.05                               -> IdpMethodNotAllowed
 *   5.00                               -> IdpServerError (nested error object, request id kept)
 *   anything else                      -> IdpUnexpectedCode (with Max-Age, and the body's fields)
 *
 * A missing or non-boolean `active` is malformed, never "valid"; a duplicated well-known claim is
 * malformed too (JSON.parse would take the last one: ambiguity fails closed).
 */
import { ArgumentError } from "../errors.js";
import { JsonDocument, JsonError, T_ARRAY, T_NUMBER, T_OBJECT, T_STRING } from "../json/index.js";
import { IntrospectionClaims, KNOWN_CLAIMS, type ClaimFields } from "./claims.js";
import {
  IdpAnswerTooLarge,
  IdpBadContentFormat,
  IdpMalformedAnswer,
  IdpMethodNotAllowed,
  IdpServerError,
  IdpUnauthorized,
  IdpUnexpectedCode,
  type ProviderError,
} from "./errors.js";

/** CoAP Content-Format of application/json (RFC 7252 section 12.3). */
export const CONTENT_FORMAT_JSON = 50;
/**
 * Default largest answer body. The documented answer is ~150 bytes, but a provider may add claims
 * (RFC 7662 §2.2): 4 KB is four 1024-byte Block2 blocks. Memory per byte: see
 * IntrospectionClientOptions.maxAnswerBytes.
 */
export const MAX_ANSWER_BYTES = 4096;
/** Answer bytes per token in the default token pool (a claim `"k":"v"` is two tokens in ~10-20 bytes). */
export const ANSWER_BYTES_PER_TOKEN = 16;
/** The smallest default token pool, for small answer limits. */
export const MIN_ANSWER_TOKENS = 16;
/** Default token pool for an answer of MAX_ANSWER_BYTES (256 tokens, 16 bytes each). */
export const MAX_ANSWER_TOKENS = MAX_ANSWER_BYTES / ANSWER_BYTES_PER_TOKEN;

/** The default token pool for an answer limit: one token per ANSWER_BYTES_PER_TOKEN bytes. */
export function answerTokensFor(maxAnswerBytes: number): number {
  return Math.max(MIN_ANSWER_TOKENS, Math.ceil(maxAnswerBytes / ANSWER_BYTES_PER_TOKEN));
}
/** Provider messages are cut to this many characters in errors. */
export const MAX_PROVIDER_TEXT = 200;

/** A CoAP response as the mapping needs it (the transport fills it in). */
export interface CoapAnswer {
  /** class*32+detail (65 for 2.01), or the dotted form `"2.01"`. */
  readonly code: number | string;
  readonly contentFormat: number | undefined;
  readonly payload: Uint8Array;
  /** Max-Age option in seconds, when the response carried one. */
  readonly maxAge?: number | undefined;
}

export interface AnswerMapperOptions {
  /** Default MAX_ANSWER_BYTES. */
  readonly maxAnswerBytes?: number;
  /** Default answerTokensFor(maxAnswerBytes). */
  readonly maxTokens?: number;
}

const CODE_UNAUTHORIZED = (4 << 5) | 1;
const CODE_METHOD_NOT_ALLOWED = (4 << 5) | 5;
const CODE_INTERNAL_SERVER_ERROR = 5 << 5;

/** Numeric CoAP code from either form; -1 when it is neither a valid number nor `c.dd`. */
export function coapCodeOf(code: number | string): number {
  if (typeof code === "number") return (code & 255) === code ? code : -1; // an integer 0..255
  if (code.length !== 4 || code.charCodeAt(1) !== 0x2e) return -1;
  const c = code.charCodeAt(0) - 0x30;
  const d = (code.charCodeAt(2) - 0x30) * 10 + (code.charCodeAt(3) - 0x30);
  if (c < 0 || c > 7 || !(d >= 0 && d <= 31) || code.charCodeAt(2) > 0x39 || code.charCodeAt(3) > 0x39) return -1;
  return (c << 5) | d;
}

/** Maps answers to claims or typed errors; owns one reusable token pool (not reentrant). */
export class AnswerMapper {
  readonly maxAnswerBytes: number;
  readonly #doc: JsonDocument;
  /** The last answer's `iss` and `scope`, handed out again for the same text (see `reuse`). */
  readonly #last: LastStrings = { iss: undefined, scope: undefined };
  readonly #fields: Fields = { active: false, sub: undefined, scope: undefined, iss: undefined, exp: undefined, aud: undefined };
  readonly #parseOptions: { readonly maxBytes: number };
  /** The value token of each of KNOWN_CLAIMS in the last answer (JsonDocument.members). */
  readonly #at = new Int32Array(KNOWN_CLAIMS.length);

  constructor(options?: AnswerMapperOptions) {
    this.maxAnswerBytes = options?.maxAnswerBytes ?? MAX_ANSWER_BYTES;
    if (!(Number.isInteger(this.maxAnswerBytes) && this.maxAnswerBytes >= 1))
      throw new ArgumentError("idp.bad_option", "maxAnswerBytes must be a positive integer");
    this.#doc = new JsonDocument(options?.maxTokens ?? answerTokensFor(this.maxAnswerBytes));
    this.#parseOptions = { maxBytes: this.maxAnswerBytes };
  }

  /** The claims of a 2.xx answer; throws an IdpError for everything else. */
  map(answer: CoapAnswer): IntrospectionClaims {
    const code = coapCodeOf(answer.code);
    if (code >> 5 !== 2) throw this.#errorFor(code, answer);
    if (answer.payload.length > this.maxAnswerBytes) throw new IdpAnswerTooLarge(this.maxAnswerBytes, { coapCode: code });
    if (answer.contentFormat !== CONTENT_FORMAT_JSON) throw new IdpBadContentFormat(answer.contentFormat, { coapCode: code });
    const doc = this.#doc;
    try {
      doc.parse(answer.payload, this.#parseOptions);
    } catch (error) {
      if (!(error instanceof JsonError)) throw error;
      if (error.code === "json.too_many_tokens" || error.code === "json.too_large")
        throw new IdpAnswerTooLarge(this.maxAnswerBytes, { coapCode: code, cause: error });
      throw new IdpMalformedAnswer("not valid JSON", { coapCode: code, cause: error });
    }
    try {
      return readClaims(doc, answer.payload, this.#last, this.#fields, this.#at);
    } catch (error) {
      if (error instanceof JsonError) throw new IdpMalformedAnswer(error.message, { coapCode: code, cause: error });
      throw error;
    }
  }

  #errorFor(code: number, answer: CoapAnswer): Error {
    const provider = code >= 0 ? this.#providerError(answer) : undefined;
    const details = { coapCode: code < 0 ? undefined : code, provider, maxAge: answer.maxAge };
    if (code === CODE_UNAUTHORIZED) return new IdpUnauthorized(details);
    if (code === CODE_METHOD_NOT_ALLOWED) return new IdpMethodNotAllowed(details);
    if (code === CODE_INTERNAL_SERVER_ERROR) return new IdpServerError(details);
    return new IdpUnexpectedCode(details);
  }

  /** Reads either documented error body shape; anything unreadable gives `undefined`, never a throw. */
  #providerError(answer: CoapAnswer): ProviderError | undefined {
    if (answer.contentFormat !== CONTENT_FORMAT_JSON || answer.payload.length === 0 || answer.payload.length > this.maxAnswerBytes)
      return undefined;
    const doc = this.#doc;
    try {
      doc.parse(answer.payload, this.#parseOptions);
      if (doc.type(0) !== T_OBJECT) return undefined;
      const e = doc.member(0, "error");
      if (e >= 0 && doc.type(e) === T_OBJECT) {
        return {
          ...text(doc, doc.member(e, "status"), "error"),
          ...text(doc, doc.member(e, "message"), "message"),
          ...text(doc, doc.member(e, "request"), "requestId"),
          ...status(doc, doc.member(e, "code")),
        };
      }
      return {
        ...text(doc, e, "error"),
        ...text(doc, doc.member(0, "error_description"), "message"),
        ...text(doc, doc.member(0, "error_uri"), "errorUri"),
      };
    } catch {
      return undefined;
    }
  }
}

type TextField = "error" | "message" | "requestId" | "errorUri";

function text(doc: JsonDocument, i: number, field: TextField): Partial<Record<TextField, string>> {
  if (i < 0 || doc.type(i) !== T_STRING) return {};
  const s = doc.string(i);
  if (s.length <= MAX_PROVIDER_TEXT) return { [field]: s };
  // Never cut between the halves of a surrogate pair (UTF-16 strings; on XS's a character is whole).
  const high = s.charCodeAt(MAX_PROVIDER_TEXT - 1);
  return { [field]: `${s.slice(0, high >= 0xd800 && high <= 0xdbff ? MAX_PROVIDER_TEXT - 1 : MAX_PROVIDER_TEXT)}...` };
}

function status(doc: JsonDocument, i: number): { status?: number } {
  return i >= 0 && doc.type(i) === T_NUMBER ? { status: doc.number(i) } : {};
}

function optionalString(doc: JsonDocument, i: number, name: string): string | undefined {
  if (i < 0) return undefined;
  try {
    return doc.string(i); // checks the type itself: no second look at the token on the common path
  } catch (error) {
    if (error instanceof JsonError && error.code === "json.wrong_type")
      throw new JsonError("json.wrong_type", doc.start(i), `\`${name}\` is not a string`);
    throw error;
  }
}

/** `aud`: a string or an array of strings (RFC 7519 section 4.1.3); anything else is malformed. */
function audience(doc: JsonDocument, i: number): string | readonly string[] | undefined {
  if (i < 0) return undefined;
  if (doc.type(i) === T_STRING) return doc.string(i);
  if (doc.type(i) !== T_ARRAY) throw new JsonError("json.wrong_type", doc.start(i), "`aud` is neither a string nor an array");
  const n = doc.size(i);
  const out: string[] = [];
  for (let k = 0, e = i + 1; k < n; k++, e = doc.next(e)) {
    if (doc.type(e) !== T_STRING) throw new JsonError("json.wrong_type", doc.start(e), "an `aud` element is not a string");
    out.push(doc.string(e));
  }
  return out;
}

interface LastStrings {
  iss: string | undefined;
  scope: string | undefined;
}

/**
 * String token `i`, or `last` when it holds the same text: answers of one provider repeat its `iss` (and
 * often the scopes), and a cache of N entries then holds one copy of them instead of N. The new string is
 * garbage at once (cheaper on XS than comparing in place); strings are immutable, so sharing is invisible.
 */
function reuse(doc: JsonDocument, i: number, name: string, last: string | undefined): string | undefined {
  const s = optionalString(doc, i, name);
  return s === last ? last : s;
}

/** The fields of one answer, written in place by readClaims (one object per mapper, not one per answer). */
type Fields = { -readonly [K in keyof ClaimFields]-?: ClaimFields[K] };

/** Where claim `name`'s value token lands in JsonDocument.members' output: its index in KNOWN_CLAIMS. */
function slot(name: string): number {
  const i = KNOWN_CLAIMS.indexOf(name);
  if (i < 0) throw new Error(`${name} is not in KNOWN_CLAIMS`);
  return i;
}
const ACTIVE = slot("active"),
  SUB = slot("sub"),
  SCOPE = slot("scope"),
  ISS = slot("iss"),
  EXP = slot("exp"),
  AUD = slot("aud");

/**
 * One pass over the members (JsonDocument.members) finds the well-known claims (KNOWN_CLAIMS), instead
 * of one scan of the object per claim. A well-known claim present twice is malformed, even in an
 * inactive answer; any other member makes the claims keep a copy of the payload.
 */
function readClaims(doc: JsonDocument, payload: Uint8Array, last: LastStrings, fields: Fields, at: Int32Array): IntrospectionClaims {
  const others = doc.members(0, KNOWN_CLAIMS, at); // json.wrong_type when the answer is not an object
  const a = at[ACTIVE]!;
  if (a < 0) throw new JsonError("json.wrong_type", -1, "`active` is missing");
  const active = doc.boolean(a);
  if (!active) return new IntrospectionClaims({ active: false });
  const e = at[EXP]!;
  const scope = at[SCOPE]!;
  const iss = at[ISS]!;
  // a non-number `exp` is json.wrong_type, 1e999 json.not_finite: both malformed
  fields.active = active;
  fields.sub = optionalString(doc, at[SUB]!, "sub");
  fields.scope = reuse(doc, scope, "scope", last.scope);
  fields.iss = reuse(doc, iss, "iss", last.iss);
  fields.exp = e < 0 ? undefined : doc.number(e);
  fields.aud = audience(doc, at[AUD]!);
  if (fields.iss !== undefined) last.iss = fields.iss;
  if (fields.scope !== undefined) last.scope = fields.scope;
  // Members we did not read make us keep a copy of the bytes, to read them by name later.
  const claims = others > 0 ? new IntrospectionClaims(fields, payload.slice(), doc.count) : new IntrospectionClaims(fields);
  // The scratch object must not keep the last answer's strings alive.
  fields.sub = fields.scope = fields.iss = undefined;
  fields.aud = undefined;
  return claims;
}
