/**
 * RFC 7252 §3 message decoder. Copies nothing: options are `{number, offset, length}` into the input
 * and the token and payload are subarray views of it.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Ver| T |  TKL  |      Code     |          Message ID           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Token (if any, TKL bytes) ...
 * |   Options (if any) ...
 * |1 1 1 1 1 1 1 1|    Payload (if any) ...
 * ```
 *
 * Only `CoapFormatError` leaves `decodeMessage`; a version other than 1 yields `null` (§3: silently ignore).
 *
 * @example
 * ```ts
 * const m = decodeMessage(Uint8Array.of(0x40, 0x01, 0x7d, 0x34)); // CON GET, MID 0x7d34
 * m?.code; // 1
 * ```
 */
import { COAP_VERSION, EMPTY_CODE, MAX_OPTIONS, MAX_TOKEN_LENGTH, type MessageType } from "./constants.js";
import { CoapFormatError } from "./errors.js";
import { readUint } from "./options.js";

/** One option of a decoded message: its value is `bytes[offset, offset + length)`. */
export interface OptionRef {
  readonly number: number;
  readonly offset: number;
  readonly length: number;
}

export interface DecodedMessage {
  /** The input the offsets refer to. */
  readonly bytes: Uint8Array;
  readonly type: MessageType;
  readonly code: number;
  readonly messageId: number;
  readonly token: Uint8Array;
  /** In wire order, i.e. sorted by number. */
  readonly options: readonly OptionRef[];
  readonly payload: Uint8Array;
}

export interface DecodeOptions {
  /** Default MAX_OPTIONS. */
  readonly maxOptions?: number;
}

const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * A decoded message as numbers into its datagram, reused message after message (no object per option, no
 * views): what a server's datagram path decodes into. Valid until the next `decodeInto` with it.
 */
export class MessageView {
  bytes: Uint8Array = EMPTY;
  type: MessageType = 0;
  code = 0;
  messageId = 0;
  tokenStart = 4;
  tokenLength = 0;
  /** Options, in wire order: number, value offset and value length of option k. */
  count = 0;
  readonly numbers: Uint16Array;
  readonly offsets: Int32Array;
  readonly lengths: Int32Array;
  /** Where the payload starts; `bytes.length` when there is none. */
  payloadStart = 0;

  constructor(readonly maxOptions: number = MAX_OPTIONS) {
    const buffer = new ArrayBuffer(maxOptions * 10); // one buffer for the three columns
    this.offsets = new Int32Array(buffer, 0, maxOptions);
    this.lengths = new Int32Array(buffer, maxOptions * 4, maxOptions);
    this.numbers = new Uint16Array(buffer, maxOptions * 8, maxOptions);
  }

  get payloadLength(): number {
    return this.bytes.length - this.payloadStart;
  }
}

/**
 * Decodes one datagram into `v`. Returns false for a version other than 1 (to be silently ignored).
 * @throws CoapFormatError for anything malformed.
 */
export function decodeInto(bytes: Uint8Array, v: MessageView): boolean {
  const len = bytes.length;
  if (len >= 1 && bytes[0]! >> 6 !== COAP_VERSION) return false;
  if (len < 4) throw new CoapFormatError("coap.truncated_header", `datagram of ${len} bytes is shorter than the 4-byte header`);
  const b0 = bytes[0]!;
  const tkl = b0 & 15;
  const code = bytes[1]!;
  if (tkl > MAX_TOKEN_LENGTH) throw new CoapFormatError("coap.bad_token_length", `token length ${tkl} is reserved`);
  v.bytes = bytes;
  v.type = ((b0 >> 4) & 3) as MessageType;
  v.code = code;
  v.messageId = (bytes[2]! << 8) | bytes[3]!;
  v.tokenStart = 4;
  v.tokenLength = 0;
  v.count = 0;
  v.payloadStart = len;
  if (code === EMPTY_CODE) {
    // §4.1: an Empty message has nothing after the header.
    if (len !== 4 || tkl !== 0) throw new CoapFormatError("coap.bad_empty_message", "empty message (0.00) with token, options or payload");
    return true;
  }
  if (4 + tkl > len) throw new CoapFormatError("coap.truncated_token", `token of ${tkl} bytes runs past the datagram`);
  v.tokenLength = tkl;
  const max = v.maxOptions;
  let count = 0;
  let i = 4 + tkl;
  let number = 0;
  while (i < len) {
    const b = bytes[i]!;
    i++;
    if (b === 0xff) {
      if (i === len) throw new CoapFormatError("coap.empty_payload_after_marker", "payload marker followed by a zero-length payload");
      v.payloadStart = i;
      break;
    }
    let delta = b >> 4;
    let olen = b & 15;
    // §3.1: nibble 13 = 1 extended byte (+13), 14 = 2 bytes (+269), 15 reserved.
    if (delta === 15) throw new CoapFormatError("coap.bad_option_delta", "option delta nibble 15 outside the payload marker");
    if (olen === 15) throw new CoapFormatError("coap.bad_option_length", "option length nibble 15 is reserved");
    if (delta >= 13) {
      const n = delta - 12;
      if (i + n > len) throw new CoapFormatError("coap.truncated_option", "extended option delta runs past the datagram");
      delta = readUint(bytes, i, n) + (n === 1 ? 13 : 269);
      i += n;
    }
    if (olen >= 13) {
      const n = olen - 12;
      if (i + n > len) throw new CoapFormatError("coap.truncated_option", "extended option length runs past the datagram");
      olen = readUint(bytes, i, n) + (n === 1 ? 13 : 269);
      i += n;
    }
    if (i + olen > len) throw new CoapFormatError("coap.truncated_option", `option value of ${olen} bytes runs past the datagram`);
    number += delta;
    if (number > 0xffff) throw new CoapFormatError("coap.bad_option_number", `option number ${number} exceeds 65535`);
    if (count >= max) throw new CoapFormatError("coap.too_many_options", `more than ${max} options`);
    v.numbers[count] = number;
    v.offsets[count] = i;
    v.lengths[count] = olen;
    count++;
    v.count = count;
    i += olen;
  }
  return true;
}

/** The default-bound view `decodeMessage` decodes through (synchronous: never in use twice at once). */
let shared: MessageView | undefined;

/**
 * Decodes one datagram. Returns null for a version other than 1 (to be silently ignored).
 * @throws CoapFormatError for anything malformed.
 */
export function decodeMessage(bytes: Uint8Array, options?: DecodeOptions): DecodedMessage | null {
  const max = options?.maxOptions ?? MAX_OPTIONS;
  const v = max === MAX_OPTIONS ? (shared ??= new MessageView()) : new MessageView(max);
  if (!decodeInto(bytes, v)) return null;
  const refs: OptionRef[] = [];
  for (let k = 0; k < v.count; k++) refs.push({ number: v.numbers[k]!, offset: v.offsets[k]!, length: v.lengths[k]! });
  return {
    bytes,
    type: v.type,
    code: v.code,
    messageId: v.messageId,
    token: v.tokenLength === 0 ? EMPTY : bytes.subarray(4, 4 + v.tokenLength),
    options: refs,
    payload: v.payloadStart < bytes.length ? bytes.subarray(v.payloadStart) : EMPTY,
  };
}

/** The first option `number` of `m`, or undefined. */
export function findOption(m: DecodedMessage, number: number): OptionRef | undefined {
  for (const o of m.options) {
    if (o.number === number) return o;
    if (o.number > number) break;
  }
  return undefined;
}

/** The value bytes of an option (a view into the message). */
export function optionValue(m: DecodedMessage, ref: OptionRef): Uint8Array {
  return m.bytes.subarray(ref.offset, ref.offset + ref.length);
}
