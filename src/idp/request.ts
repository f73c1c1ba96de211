/**
 * The introspection request body (IDP-API.md, RFC 7662 section 2.1):
 * `{"token":"...","client_id":"...","client_secret":"..."}` as UTF-8 JSON, the optional members only
 * when configured.
 */
import { ArgumentError } from "../errors.js";
import { JsonError, JsonWriter, jsonStringLength } from "../json/index.js";

/** Longest access token accepted (in UTF-16 code units); the provider's are about 100 bytes. */
export const MAX_TOKEN_LENGTH = 2048;

export interface ClientCredentials {
  readonly clientId?: string | undefined;
  /** Send only over a DTLS session whose peer is authenticated (IDP-API.md). */
  readonly clientSecret?: string | undefined;
}

/** Throws `idp.bad_token` (caller) for an empty or oversized token. Never echoes the token. */
export function checkToken(token: string, maxLength = MAX_TOKEN_LENGTH): void {
  if (typeof token !== "string" || token.length === 0 || token.length > maxLength) {
    throw new ArgumentError("idp.bad_token", `the token must be a string of 1..${maxLength} characters`);
  }
}

function body(w: JsonWriter, token: string, credentials: ClientCredentials | undefined): void {
  w.beginObject().member("token", token);
  if (credentials?.clientId !== undefined) w.member("client_id", credentials.clientId);
  if (credentials?.clientSecret !== undefined) w.member("client_secret", credentials.clientSecret);
  w.endObject();
}

/**
 * Writes the request into `out` from `offset`; returns the end offset. Throws `json.buffer_too_small`
 * when it does not fit, `idp.bad_token` for a token that cannot be sent (empty, or not Unicode text).
 */
export function writeIntrospectionRequest(
  out: Uint8Array,
  token: string,
  options?: ClientCredentials & { readonly offset?: number },
): number {
  checkToken(token, Number.MAX_SAFE_INTEGER); // the length policy belongs to the caller (client option)
  const w = new JsonWriter(out, options?.offset ?? 0);
  try {
    body(w, token, options);
  } catch (error) {
    throw rethrow(error);
  }
  return w.offset;
}

/** The request as a new, exactly sized buffer. */
export function encodeIntrospectionRequest(token: string, credentials?: ClientCredentials): Uint8Array {
  checkToken(token, Number.MAX_SAFE_INTEGER); // the length policy belongs to the caller (client option)
  // Exact size without a measuring pass: fixed JSON syntax plus each string's escaped UTF-8 length.
  let size = 2 + 8 + jsonStringLength(token);
  if (credentials?.clientId !== undefined) size += 13 + jsonStringLength(credentials.clientId);
  if (credentials?.clientSecret !== undefined) size += 17 + jsonStringLength(credentials.clientSecret);
  if (size < 0) throw rethrow(new JsonError("json.lone_surrogate", -1, "lone surrogate", "caller"));
  const out = new Uint8Array(size);
  const w = new JsonWriter(out);
  body(w, token, credentials);
  if (w.offset !== size) throw new JsonError("json.writer_state", w.offset, "request size mismatch", "internal");
  return out;
}

function rethrow(error: unknown): unknown {
  // A lone surrogate in the token or a credential: say which kind of input, never its value.
  if (error instanceof JsonError && error.code === "json.lone_surrogate")
    return new ArgumentError("idp.bad_token", "the token or a credential is not valid Unicode text");
  return error;
}
