/**
 * The introspection request body (IDP-API.md, RFC 7662 section 2.1):
 * `{"token":"...","client_id":"...","client_secret":"..."}` as UTF-8 JSON, the optional members only
 * when configured.
 *
 * The credentials never change for a client, so `IntrospectionRequestEncoder` encodes what follows the
 * token once; each request then costs the token alone. The token is copied byte by byte when it is
 * plain printable ASCII (access tokens are: base64url, JWT), else turned into JSON text by the engine
 * (JSON.stringify escapes exactly as our writer does) and encoded natively where the engine can
 * (src/json/_text.ts), else by the JsonWriter.
 */
import { ArgumentError } from "../errors.js";
import { charCodeAt, indexOf, lastIndexOf } from "../json/_chars.js";
import { encodeUtf8, TEXT_CODEC } from "../json/_text.js";
import { JsonError, JsonWriter, jsonStringLength } from "../json/index.js";
import { loneSurrogateAt } from "../utf8.js";

/**
 * Longest access token accepted, in characters as the engine counts them: UTF-16 code units on Node,
 * code points on XS devices (src/utf8.ts). Either way a character is at most 6 bytes of JSON (`\u0000`),
 * so the request's size has the same bound. The provider's tokens are about 100 ASCII bytes.
 */
export const MAX_TOKEN_LENGTH = 2048;

export interface ClientCredentials {
  readonly clientId?: string | undefined;
  /** Send only over a DTLS session whose peer is authenticated (IDP-API.md). */
  readonly clientSecret?: string | undefined;
}

/** Throws `idp.bad_token` (caller) for an empty or oversized token. Never echoes the token. */
export function checkToken(token: string, maxLength = MAX_TOKEN_LENGTH): void {
  // The length without `token.length`, which would box the string on XS (src/json/_chars.ts).
  const n = typeof token === "string" ? lastIndexOf.call(token, "") : 0;
  if (n === 0 || n > maxLength) {
    throw new ArgumentError("idp.bad_token", `the token must be a string of 1..${maxLength} characters`);
  }
}

/** `{"token":` */
const PREFIX = Uint8Array.from([0x7b, 0x22, 0x74, 0x6f, 0x6b, 0x65, 0x6e, 0x22, 0x3a]);
const PREFIX_TEXT = '{"token":"';
const TOKEN_AT = PREFIX.length;

/** A character a JSON string cannot hold as itself in one byte: to escape, or not ASCII. */
const NOT_PLAIN = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;
const test = RegExp.prototype.test;

/** 0, 1, ..., 255. */
const INDICES = new Uint8Array(256);
for (let i = 0; i < 256; i++) INDICES[i] = i;
/** The last INDICES view handed out: requests of one client have one length, so one view is reused. */
let indices = INDICES.subarray(0, 0);
type CodeAt = (value: number) => number;

/**
 * The char codes of `s` in a new array of `size` bytes (0 past the end of `s`), when `s` is ASCII and
 * `size` at most 256. Mapping 0..size-1 through String.prototype.charCodeAt, with `s` as `this`, runs
 * the loop in the engine: about 14 computrons a byte on XS, against 29 for a loop in JS.
 */
function asciiCodes(s: string, size: number): Uint8Array {
  let view = indices;
  if (view.length !== size) view = indices = INDICES.subarray(0, size);
  return view.map(charCodeAt as unknown as CodeAt, s);
}

/** The request of a long ASCII token (over 200 characters), but the tail: a copy loop in JS. */
function longAscii(token: string, n: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(PREFIX);
  out[TOKEN_AT] = out[TOKEN_AT + n + 1] = 0x22;
  for (let i = 0; i < n; i++) out[TOKEN_AT + 1 + i] = charCodeAt.call(token, i);
  return out;
}

/** `s` as a JSON string, quotes included, as UTF-8; a lone surrogate throws `json.lone_surrogate`. */
function quoted(s: string): Uint8Array {
  if (TEXT_CODEC !== "js") {
    const text = JSON.stringify(s);
    // JSON.stringify writes a lone surrogate as `\udXXX`: only then is the slow scan needed.
    if (indexOf.call(text, "\\ud") < 0 || loneSurrogateAt(s) < 0) return encodeUtf8(text);
  }
  const size = jsonStringLength(s);
  if (size < 0) throw new JsonError("json.lone_surrogate", -1, "lone surrogate", "caller");
  const out = new Uint8Array(size);
  new JsonWriter(out).string(s);
  return out;
}

/** Encodes the requests of one client: its credentials' members are encoded once, on first use. */
export class IntrospectionRequestEncoder {
  readonly #credentials: ClientCredentials | undefined;
  /** What follows the token: `,"client_id":"...","client_secret":"..."}` (holds the secret). */
  #tail: Uint8Array | undefined;
  /** As many spaces as the tail has bytes: room for it in a natively encoded request. */
  #padding = "";

  constructor(credentials?: ClientCredentials) {
    this.#credentials = credentials === undefined ? undefined : { clientId: credentials.clientId, clientSecret: credentials.clientSecret };
  }

  #tailBytes(): Uint8Array {
    let tail = this.#tail;
    if (tail === undefined) {
      const c = this.#credentials;
      let size = 1;
      if (c?.clientId !== undefined) size += 13 + jsonStringLength(c.clientId);
      if (c?.clientSecret !== undefined) size += 17 + jsonStringLength(c.clientSecret);
      if (size < 0) throw rethrow(new JsonError("json.lone_surrogate", -1, "lone surrogate", "caller"));
      // The members are written after a placeholder first member, then cut off it: `{"":0` is 5 bytes.
      const out = new Uint8Array(5 + size);
      const w = new JsonWriter(out).beginObject().key("").number(0);
      if (c?.clientId !== undefined) w.member("client_id", c.clientId);
      if (c?.clientSecret !== undefined) w.member("client_secret", c.clientSecret);
      w.endObject();
      tail = this.#tail = out.slice(5);
      out.fill(0);
      this.#padding = " ".repeat(tail.length);
    }
    return tail;
  }

  /** The request for `token` as a new, exactly sized buffer. Throws `idp.bad_token` for a token that cannot be sent. */
  encode(token: string): Uint8Array {
    checkToken(token, Number.MAX_SAFE_INTEGER); // the length policy belongs to the caller (client option)
    const tail = this.#tailBytes();
    if (!test.call(NOT_PLAIN, token)) {
      // Nothing to escape and all ASCII: the bytes are those of `{"token":"<token>"`, then the tail,
      // copied over what follows (zeros, or spaces natively): the string holds the token, never the secret.
      const n = lastIndexOf.call(token, "");
      const size = TOKEN_AT + n + 2 + tail.length;
      let out: Uint8Array;
      if (TEXT_CODEC !== "js") out = encodeUtf8(PREFIX_TEXT + token + '"' + this.#padding);
      else out = size <= INDICES.length ? asciiCodes(PREFIX_TEXT + token + '"', size) : longAscii(token, n, size);
      out.set(tail, TOKEN_AT + n + 2);
      return out;
    }
    const value = quotedToken(token);
    const out = new Uint8Array(TOKEN_AT + value.length + tail.length);
    out.set(PREFIX);
    out.set(value, TOKEN_AT);
    out.set(tail, TOKEN_AT + value.length);
    return out;
  }

  /**
   * Writes the request for `token` into `out` from `offset`; returns the end offset. Throws
   * `json.buffer_too_small` when it does not fit (nothing written), `idp.bad_token` for a token that
   * cannot be sent.
   */
  write(out: Uint8Array, token: string, offset = 0): number {
    checkToken(token, Number.MAX_SAFE_INTEGER);
    const tail = this.#tailBytes();
    const value = quotedToken(token);
    const end = offset + TOKEN_AT + value.length + tail.length;
    if (!(offset >= 0) || end > out.length) {
      value.fill(0);
      throw new JsonError("json.buffer_too_small", Math.min(out.length, Math.max(0, offset)), "output buffer too small", "caller");
    }
    out.set(PREFIX, offset);
    out.set(value, offset + TOKEN_AT);
    out.set(tail, offset + TOKEN_AT + value.length);
    value.fill(0);
    return end;
  }
}

function quotedToken(token: string): Uint8Array {
  try {
    return quoted(token);
  } catch (error) {
    throw rethrow(error);
  }
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
  return new IntrospectionRequestEncoder(options).write(out, token, options?.offset ?? 0);
}

/** The request as a new, exactly sized buffer (a client keeps an IntrospectionRequestEncoder instead). */
export function encodeIntrospectionRequest(token: string, credentials?: ClientCredentials): Uint8Array {
  return new IntrospectionRequestEncoder(credentials).encode(token);
}

function rethrow(error: unknown): unknown {
  // A lone surrogate in the token or a credential: say which kind of input, never its value.
  if (error instanceof JsonError && error.code === "json.lone_surrogate")
    return new ArgumentError("idp.bad_token", "the token or a credential is not valid Unicode text");
  return error;
}
