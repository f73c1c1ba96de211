/**
 * The option registry (RFC 7252 §5.10, RFC 7959 §2.1, RFC 7641, RFC 9175) and value helpers.
 *
 * RFC 7252 §5.4.6: bit 0 of the number marks a critical option, bit 1 an unsafe-to-forward one.
 *
 * @example
 * ```ts
 * import { OptionNumber, uintOption, readUint } from "./options.js";
 * const o = uintOption(OptionNumber.CONTENT_FORMAT, 50); // { number: 12, value: [0x32] }
 * readUint(o.value, 0, o.value.length); // 50
 * ```
 */
import { utf8Encode } from "../utf8.js";
import { ArgumentError } from "../errors.js";

export const OptionNumber = {
  IF_MATCH: 1,
  URI_HOST: 3,
  ETAG: 4,
  IF_NONE_MATCH: 5,
  OBSERVE: 6,
  URI_PORT: 7,
  LOCATION_PATH: 8,
  URI_PATH: 11,
  CONTENT_FORMAT: 12,
  MAX_AGE: 14,
  URI_QUERY: 15,
  ACCEPT: 17,
  LOCATION_QUERY: 20,
  BLOCK2: 23,
  BLOCK1: 27,
  SIZE2: 28,
  PROXY_URI: 35,
  PROXY_SCHEME: 39,
  SIZE1: 60,
  ECHO: 252,
  REQUEST_TAG: 292,
} as const;

export type OptionFormat = "empty" | "opaque" | "uint" | "string";

export interface OptionDefinition {
  readonly number: number;
  readonly name: string;
  readonly format: OptionFormat;
  readonly repeatable: boolean;
  readonly minLength: number;
  readonly maxLength: number;
}

/** An option to encode: its number and its already-encoded value bytes. */
export interface OptionValue {
  readonly number: number;
  readonly value: Uint8Array;
}

function def(
  number: number,
  name: string,
  format: OptionFormat,
  repeatable: boolean,
  minLength: number,
  maxLength: number,
): OptionDefinition {
  return { number, name, format, repeatable, minLength, maxLength };
}

const DEFINITIONS: readonly OptionDefinition[] = [
  def(1, "If-Match", "opaque", true, 0, 8),
  def(3, "Uri-Host", "string", false, 1, 255),
  def(4, "ETag", "opaque", true, 1, 8),
  def(5, "If-None-Match", "empty", false, 0, 0),
  def(6, "Observe", "uint", false, 0, 3),
  def(7, "Uri-Port", "uint", false, 0, 2),
  def(8, "Location-Path", "string", true, 0, 255),
  def(11, "Uri-Path", "string", true, 0, 255),
  def(12, "Content-Format", "uint", false, 0, 2),
  def(14, "Max-Age", "uint", false, 0, 4),
  def(15, "Uri-Query", "string", true, 0, 255),
  def(17, "Accept", "uint", false, 0, 2),
  def(20, "Location-Query", "string", true, 0, 255),
  def(23, "Block2", "uint", false, 0, 3),
  def(27, "Block1", "uint", false, 0, 3),
  def(28, "Size2", "uint", false, 0, 4),
  def(35, "Proxy-Uri", "string", false, 1, 1034),
  def(39, "Proxy-Scheme", "string", false, 1, 255),
  def(60, "Size1", "uint", false, 0, 4),
  def(252, "Echo", "opaque", false, 1, 40),
  def(292, "Request-Tag", "opaque", true, 0, 8),
];

/** The definition of a registered option, or undefined for an unknown one. */
export function optionDefinition(number: number): OptionDefinition | undefined {
  for (const d of DEFINITIONS) if (d.number === number) return d;
  return undefined;
}

/** RFC 7252 §5.4.6: odd numbers are critical. */
export function isCritical(number: number): boolean {
  return (number & 1) === 1;
}

/** RFC 7252 §5.4.6: bit 1 set means unsafe to forward. */
export function isUnsafe(number: number): boolean {
  return (number & 2) === 2;
}

/** RFC 7252 §3.2: the shortest big-endian bytes of `value` (0 is the empty string). */
export function uintBytes(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
    throw new ArgumentError("coap.bad_option", `uint option value out of range: ${value}`);
  const n = value === 0 ? 0 : value < 0x100 ? 1 : value < 0x10000 ? 2 : value < 0x1000000 ? 3 : 4;
  const out = new Uint8Array(n);
  for (let i = n - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v & 0xff;
  return out;
}

/** Reads a big-endian unsigned integer of up to 4 bytes (longer values read their last 4 bytes). */
export function readUint(bytes: Uint8Array, offset: number, length: number): number {
  let v = 0;
  const start = length > 4 ? offset + length - 4 : offset;
  for (let i = start; i < offset + length; i++) v = v * 256 + bytes[i]!;
  return v;
}

export function uintOption(number: number, value: number): OptionValue {
  return { number, value: uintBytes(value) };
}

export function stringOption(number: number, value: string): OptionValue {
  return { number, value: utf8Encode(value) };
}

export function opaqueOption(number: number, value: Uint8Array): OptionValue {
  return { number, value };
}

export function emptyOption(number: number): OptionValue {
  return { number, value: new Uint8Array(0) };
}
