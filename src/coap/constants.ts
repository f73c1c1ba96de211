/**
 * RFC 7252 constants: message types, codes, ports and the engine's named limits.
 *
 * @example
 * ```ts
 * import { MessageType, Method, codeToString } from "./constants.js";
 * codeToString(0x45); // "2.05"
 * ```
 */

/** RFC 7252 §3: the 2-bit Type field. */
export const MessageType = { CON: 0, NON: 1, ACK: 2, RST: 3 } as const;
export type MessageType = 0 | 1 | 2 | 3;

/** RFC 7252 §12.1.1 (and RFC 8132): request method codes (class 0). */
export const Method = { GET: 1, POST: 2, PUT: 3, DELETE: 4, FETCH: 5, PATCH: 6, IPATCH: 7 } as const;
export type MethodName = keyof typeof Method;

/** RFC 7252 §3: the only version this codec speaks; others are silently ignored. */
export const COAP_VERSION = 1;
/** RFC 7252 §3: token length 0..8. */
export const MAX_TOKEN_LENGTH = 8;
/** Decoder limit: more options than this in one message is a format error, never growth. */
export const MAX_OPTIONS = 64;
/** Largest option value the encoder accepts (RFC 7252 §3.1: 14 + 255 + 65535). */
export const MAX_OPTION_VALUE_LENGTH = 65535 + 269;
/** RFC 7252 §6.1/§6.2 default ports. */
export const DEFAULT_PORT = 5683;
export const DEFAULT_SECURE_PORT = 5684;
/** RFC 7252 §4.6: the default maximum message size when nothing is known about the path. */
export const DEFAULT_MAX_MESSAGE_SIZE = 1152;
/** Default largest response or request body the engine will assemble or send (block-wise). */
export const MAX_BODY_BYTES = 64 * 1024;
/** Default bound of the per-peer NSTART queue. */
export const MAX_QUEUED_REQUESTS = 16;
/** Default bound of the (endpoint, MID) deduplication table. */
export const DEDUP_ENTRIES = 64;
/** Default bound of the recently used token table. */
export const RECENT_TOKENS = 64;

/** Code 0.00: the Empty message (RFC 7252 §4.1). */
export const EMPTY_CODE = 0;

/** Builds a code from class and detail: `makeCode(2, 5) === 0x45`. */
export function makeCode(cls: number, detail: number): number {
  return ((cls & 7) << 5) | (detail & 31);
}

/** "c.dd" form of a code: `codeToString(0x84) === "4.04"`. */
export function codeToString(code: number): string {
  const detail = code & 31;
  return `${code >> 5}.${detail < 10 ? "0" : ""}${detail}`;
}

/** Parses "2.05" into 0x45; undefined when malformed. */
export function codeFromString(text: string): number | undefined {
  const m = /^([0-7])\.([0-3][0-9])$/.exec(text);
  if (m === null) return undefined;
  const detail = Number(m[2]);
  if (detail > 31) return undefined;
  return makeCode(Number(m[1]), detail);
}

/** RFC 7252 §12.1.2: names of the response codes the CLI and errors print. */
export const CODE_NAMES: Readonly<Record<string, string>> = {
  "2.01": "Created",
  "2.02": "Deleted",
  "2.03": "Valid",
  "2.04": "Changed",
  "2.05": "Content",
  "2.31": "Continue",
  "4.00": "Bad Request",
  "4.01": "Unauthorized",
  "4.02": "Bad Option",
  "4.03": "Forbidden",
  "4.04": "Not Found",
  "4.05": "Method Not Allowed",
  "4.06": "Not Acceptable",
  "4.08": "Request Entity Incomplete",
  "4.12": "Precondition Failed",
  "4.13": "Request Entity Too Large",
  "4.15": "Unsupported Content-Format",
  "5.00": "Internal Server Error",
  "5.01": "Not Implemented",
  "5.02": "Bad Gateway",
  "5.03": "Service Unavailable",
  "5.04": "Gateway Timeout",
  "5.05": "Proxying Not Supported",
};

/** Code 2.31 Continue (RFC 7959 §2.9.1). */
export const CODE_CONTINUE = 0x5f;
