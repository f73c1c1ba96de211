/**
 * `coap://` and `coaps://` URIs to request options (RFC 7252 §6.4 "Decomposing URIs into Options").
 *
 * Uri-Host is sent only for a registered name (not for an IPv4 or bracketed IPv6 literal); Uri-Port is
 * never sent, because the destination port is always the URI's port here (§6.4 step 6). Resolving a
 * name to an address is the host's job.
 *
 * @example
 * ```ts
 * const u = parseCoapUri("coap://[::1]:5690/idp/intro%2Fspect?a=1");
 * u.port;        // 5690
 * uriOptions(u); // Uri-Path "idp", Uri-Path "intro/spect", Uri-Query "a=1"
 * ```
 */
import { DEFAULT_PORT, DEFAULT_SECURE_PORT } from "./constants.js";
import { ArgumentError } from "../errors.js";
import { OptionNumber, type OptionValue } from "./options.js";
import { utf8Encode } from "../utf8.js";

export interface CoapUri {
  readonly secure: boolean;
  /** Lower-cased host name, dotted IPv4 or IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
  /** True for an IPv4 or IPv6 literal: no Uri-Host, no resolution needed. */
  readonly hostIsLiteral: boolean;
  readonly pathSegments: readonly Uint8Array[];
  readonly querySegments: readonly Uint8Array[];
}

function bad(uri: string, why: string): ArgumentError {
  // The URI may carry a query with a secret: name the problem, not the whole URI.
  return new ArgumentError("coap.bad_uri", `bad CoAP URI (${why})${uri.length <= 64 && !uri.includes("?") ? `: ${uri}` : ""}`);
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Percent-decodes one segment into bytes (non-ASCII characters become their UTF-8). */
export function percentDecode(text: string, uri = text): Uint8Array {
  if (!text.includes("%")) return utf8Encode(text);
  const raw = utf8Encode(text);
  const out = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === 37) {
      const h = i + 2 < raw.length ? hex(raw[i + 1]!) : -1;
      const l = i + 2 < raw.length ? hex(raw[i + 2]!) : -1;
      if (h < 0 || l < 0) throw bad(uri, "bad percent-encoding");
      out[n++] = (h << 4) | l;
      i += 2;
    } else out[n++] = c;
  }
  return out.slice(0, n);
}

function isIPv4(host: string): boolean {
  const parts = host.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

function splitSegments(text: string, sep: string, uri: string): Uint8Array[] {
  return text.split(sep).map((s) => percentDecode(s, uri));
}

/** Parses a coap/coaps URI. @throws ArgumentError `coap.bad_uri`. */
export function parseCoapUri(uri: string): CoapUri {
  const m = /^(coaps?):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/i.exec(uri);
  if (m === null) throw bad(uri, "not a coap:// or coaps:// URI");
  if (m[5] !== undefined) throw bad(uri, "fragment not allowed"); // §6.4 step 4
  const secure = m[1]!.toLowerCase() === "coaps";
  const authority = m[2]!;
  if (authority.includes("@")) throw bad(uri, "user information not allowed");
  let host: string;
  let portText: string | undefined;
  let hostIsLiteral = false;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close < 0) throw bad(uri, "unterminated IPv6 literal");
    host = authority.slice(1, close).toLowerCase();
    if (!/^[0-9a-f:.]+$/.test(host) || !host.includes(":")) throw bad(uri, "bad IPv6 literal");
    hostIsLiteral = true;
    const rest = authority.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) throw bad(uri, "junk after IPv6 literal");
      portText = rest.slice(1);
    }
  } else {
    const colon = authority.lastIndexOf(":");
    host = colon < 0 ? authority : authority.slice(0, colon);
    if (colon >= 0) portText = authority.slice(colon + 1);
    hostIsLiteral = isIPv4(host);
    if (!hostIsLiteral) {
      host = String.fromCharCode(...percentDecode(host, uri)).toLowerCase();
      if (!/^[a-z0-9._~!$&'()*+,;=-]+$/.test(host)) throw bad(uri, "bad host name");
    }
  }
  if (host === "") throw bad(uri, "empty host");
  let port = secure ? DEFAULT_SECURE_PORT : DEFAULT_PORT;
  if (portText !== undefined && portText !== "") {
    if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535 || Number(portText) === 0) throw bad(uri, "bad port");
    port = Number(portText);
  }
  const path = m[3]!;
  // §6.4 step 8: "" and "/" carry no Uri-Path; otherwise every segment, empty ones included.
  const pathSegments = path === "" || path === "/" ? [] : splitSegments(path.slice(1), "/", uri);
  const query = m[4];
  const querySegments = query === undefined ? [] : splitSegments(query.slice(1), "&", uri);
  return { secure, host, port, hostIsLiteral, pathSegments, querySegments };
}

/** Options for a path ("/a/b" or "a/b") and an optional query ("x=1&y=2"), percent-decoded. */
export function pathOptions(path: string, query?: string): OptionValue[] {
  const out: OptionValue[] = [];
  const p = path.startsWith("/") ? path.slice(1) : path;
  if (p !== "") for (const s of splitSegments(p, "/", path)) out.push({ number: OptionNumber.URI_PATH, value: s });
  if (query !== undefined && query !== "") {
    for (const s of splitSegments(query.startsWith("?") ? query.slice(1) : query, "&", "?"))
      out.push({ number: OptionNumber.URI_QUERY, value: s });
  }
  return out;
}

/** Uri-Host (names only), Uri-Path and Uri-Query options of a parsed URI, in number order. */
export function uriOptions(uri: CoapUri): OptionValue[] {
  const out: OptionValue[] = [];
  if (!uri.hostIsLiteral) out.push({ number: OptionNumber.URI_HOST, value: utf8Encode(uri.host) });
  for (const s of uri.pathSegments) out.push({ number: OptionNumber.URI_PATH, value: s });
  for (const s of uri.querySegments) out.push({ number: OptionNumber.URI_QUERY, value: s });
  return out;
}
