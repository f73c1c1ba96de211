/**
 * RFC 7252 §3 message encoder: writes into a caller buffer and returns the end offset.
 *
 * Options may be given in any order; they are written sorted by number (stable, so repeated options
 * keep their order, §5.4.5).
 *
 * @example
 * ```ts
 * const out = new Uint8Array(64);
 * const end = encodeMessage({ type: MessageType.CON, code: Method.GET, messageId: 0x7d34,
 *   options: [stringOption(OptionNumber.URI_PATH, "temperature")] }, out);
 * send(out.subarray(0, end));
 * ```
 */
import { EMPTY_CODE, MAX_OPTION_VALUE_LENGTH, MAX_TOKEN_LENGTH, type MessageType } from "./constants.js";
import { ArgumentError } from "../errors.js";
import type { OptionValue } from "./options.js";

export interface MessageFields {
  readonly type: MessageType;
  readonly code: number;
  readonly messageId: number;
  readonly token?: Uint8Array;
  readonly options?: readonly OptionValue[];
  readonly payload?: Uint8Array;
}

const NO_OPTIONS: readonly OptionValue[] = [];

function sorted(options: readonly OptionValue[]): readonly OptionValue[] {
  for (let i = 1; i < options.length; i++) {
    if (options[i]!.number < options[i - 1]!.number) return [...options].sort((a, b) => a.number - b.number);
  }
  return options;
}

function nibble(v: number): number {
  return v < 13 ? v : v < 269 ? 13 : 14;
}

function extLength(v: number): number {
  return v < 13 ? 0 : v < 269 ? 1 : 2;
}

function check(m: MessageFields): void {
  const tkl = m.token?.length ?? 0;
  if (tkl > MAX_TOKEN_LENGTH) throw new ArgumentError("coap.bad_token_length", `token of ${tkl} bytes (max ${MAX_TOKEN_LENGTH})`);
  if (!Number.isInteger(m.messageId) || m.messageId < 0 || m.messageId > 0xffff)
    throw new ArgumentError("coap.bad_message_id", `message id ${m.messageId}`);
  if (!Number.isInteger(m.code) || m.code < 0 || m.code > 0xff) throw new ArgumentError("coap.bad_code", `code ${m.code}`);
  if (m.code === EMPTY_CODE && (tkl > 0 || (m.options?.length ?? 0) > 0 || (m.payload?.length ?? 0) > 0)) {
    throw new ArgumentError("coap.bad_empty_message", "an empty message (0.00) carries no token, options or payload");
  }
}

/** Bytes `encodeMessage` will write for `m`. */
export function encodedLength(m: MessageFields): number {
  check(m);
  let n = 4 + (m.token?.length ?? 0);
  let prev = 0;
  const options = sorted(m.options ?? NO_OPTIONS);
  // Indexed loops: no iterator objects, so encoding allocates nothing on XS.
  for (let k = 0; k < options.length; k++) {
    const o = options[k]!;
    const delta = o.number - prev;
    if (!Number.isInteger(o.number) || o.number < 0 || o.number > 0xffff)
      throw new ArgumentError("coap.bad_option", `option number ${o.number}`);
    if (o.value.length > MAX_OPTION_VALUE_LENGTH)
      throw new ArgumentError("coap.bad_option", `option ${o.number} value of ${o.value.length} bytes`);
    n += 1 + extLength(delta) + extLength(o.value.length) + o.value.length;
    prev = o.number;
  }
  const p = m.payload?.length ?? 0;
  return p > 0 ? n + 1 + p : n;
}

function writeExt(out: Uint8Array, i: number, v: number): number {
  if (v >= 269) {
    const x = v - 269;
    out[i] = x >> 8;
    out[i + 1] = x & 0xff;
    return i + 2;
  }
  if (v >= 13) {
    out[i] = v - 13;
    return i + 1;
  }
  return i;
}

/**
 * Writes `m` at `out[offset]` and returns the end offset.
 * @throws ArgumentError `coap.buffer_too_small` when it does not fit, or for invalid fields.
 */
export function encodeMessage(m: MessageFields, out: Uint8Array, offset = 0): number {
  const total = encodedLength(m);
  if (offset < 0 || offset + total > out.length)
    throw new ArgumentError("coap.buffer_too_small", `message needs ${total} bytes, buffer has ${out.length - offset}`);
  const token = m.token;
  const tkl = token?.length ?? 0;
  let i = offset;
  out[i++] = 0x40 | ((m.type & 3) << 4) | tkl;
  out[i++] = m.code;
  out[i++] = m.messageId >> 8;
  out[i++] = m.messageId & 0xff;
  if (token !== undefined) {
    out.set(token, i);
    i += tkl;
  }
  let prev = 0;
  const options = sorted(m.options ?? NO_OPTIONS);
  // Indexed loops: no iterator objects, so encoding allocates nothing on XS.
  for (let k = 0; k < options.length; k++) {
    const o = options[k]!;
    const delta = o.number - prev;
    const len = o.value.length;
    out[i++] = (nibble(delta) << 4) | nibble(len);
    i = writeExt(out, i, delta);
    i = writeExt(out, i, len);
    out.set(o.value, i);
    i += len;
    prev = o.number;
  }
  const payload = m.payload;
  if (payload !== undefined && payload.length > 0) {
    out[i++] = 0xff;
    out.set(payload, i);
    i += payload.length;
  }
  return i;
}

/** Encodes into a fresh buffer of exactly the right size. */
export function encodeMessageToBytes(m: MessageFields): Uint8Array {
  const out = new Uint8Array(encodedLength(m));
  encodeMessage(m, out, 0);
  return out;
}
