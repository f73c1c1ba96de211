/**
 * RFC 7959 §2.2 Block1/Block2 option values: NUM (up to 20 bits), M (more), SZX (size = 2^(SZX+4)).
 *
 * ```
 *  0 1 2 3 4 5 6 7   (1-byte form; 2- and 3-byte forms widen NUM)
 * +-+-+-+-+-+-+-+-+
 * |  NUM  |M| SZX |
 * +-+-+-+-+-+-+-+-+
 * ```
 *
 * @example
 * ```ts
 * blockOption(OptionNumber.BLOCK2, { num: 1, more: true, szx: 2 }); // value [0x1a]
 * decodeBlock(Uint8Array.of(0x1a), 0, 1); // { num: 1, more: true, szx: 2, size: 64 }
 * ```
 */
import { CoapFormatError } from "./errors.js";
import { ArgumentError } from "../errors.js";
import { readUint, uintBytes, type OptionValue } from "./options.js";

export interface BlockValue {
  readonly num: number;
  readonly more: boolean;
  readonly szx: number;
}

export interface DecodedBlock extends BlockValue {
  readonly size: number;
}

/** Largest NUM: 20 bits. */
export const MAX_BLOCK_NUM = 0xfffff;

export function blockSize(szx: number): number {
  return 1 << (szx + 4);
}

/** SZX for a block size of 16..1024 (a power of two); ArgumentError otherwise. */
export function szxForSize(size: number): number {
  for (let szx = 0; szx <= 6; szx++) if (blockSize(szx) === size) return szx;
  throw new ArgumentError("coap.bad_block_size", `block size ${size} is not a power of two in 16..1024`);
}

/** Largest SZX whose size is at most `bytes` (at least 0). */
export function szxAtMost(bytes: number): number {
  let szx = 6;
  while (szx > 0 && blockSize(szx) > bytes) szx--;
  return szx;
}

/** Decodes a Block option value; SZX 7 or more than 3 bytes is `coap.bad_block`. */
export function decodeBlock(bytes: Uint8Array, offset: number, length: number): DecodedBlock {
  if (length > 3) throw new CoapFormatError("coap.bad_block", `block option of ${length} bytes`);
  const v = readUint(bytes, offset, length);
  const szx = v & 7;
  if (szx === 7) throw new CoapFormatError("coap.bad_block", "block SZX 7 is reserved");
  return { num: v >>> 4, more: (v & 8) !== 0, szx, size: blockSize(szx) };
}

export function encodeBlockValue(b: BlockValue): number {
  if (b.num < 0 || b.num > MAX_BLOCK_NUM || b.szx < 0 || b.szx > 6) throw new ArgumentError("coap.bad_block", `block ${b.num}/${b.szx}`);
  return b.num * 16 + (b.more ? 8 : 0) + b.szx;
}

export function blockOption(number: number, b: BlockValue): OptionValue {
  return { number, value: uintBytes(encodeBlockValue(b)) };
}
