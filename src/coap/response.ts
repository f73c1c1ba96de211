/**
 * A CoAP response as the client hands it out: owns a copy of the datagram (the link's buffer is only
 * valid during its callback) and reads options lazily from it.
 *
 * @example
 * ```ts
 * const r = await client.request({ method: "GET", url: "coap://127.0.0.1/time" });
 * r.code;          // "2.05"
 * r.contentFormat; // 0
 * r.text();        // "Nov 24 17:00:00"
 * ```
 */
import { codeToString, CODE_NAMES, type MessageType } from "./constants.js";
import type { DecodedMessage, OptionRef } from "./decode.js";
import { OptionNumber, readUint } from "./options.js";
import { utf8Decode } from "../utf8.js";

export class CoapResponse {
  /** "2.05" form. */
  readonly code: string;
  /** Numeric code, e.g. 0x45 (69) for 2.05. */
  readonly codeNumber: number;
  readonly type: MessageType;
  readonly token: Uint8Array;
  /** The whole body (assembled across Block2 blocks when block-wise). */
  readonly payload: Uint8Array;
  readonly #bytes: Uint8Array;
  readonly #options: readonly OptionRef[];

  /** `message` is copied unless `owned` says it already belongs to us. */
  constructor(message: DecodedMessage, payload?: Uint8Array, owned = false) {
    const bytes = owned ? message.bytes : message.bytes.slice();
    this.#bytes = bytes;
    this.#options = message.options;
    this.code = codeToString(message.code);
    this.codeNumber = message.code;
    this.type = message.type;
    const tokenStart = message.token.byteOffset - message.bytes.byteOffset;
    this.token = bytes.subarray(tokenStart, tokenStart + message.token.length);
    if (payload !== undefined) this.payload = payload;
    else {
      const start = message.payload.byteOffset - message.bytes.byteOffset;
      this.payload = bytes.subarray(start, start + message.payload.length);
    }
  }

  /** Response class: 2 success, 4 client error, 5 server error. */
  get codeClass(): number {
    return this.codeNumber >> 5;
  }

  get ok(): boolean {
    return this.codeClass === 2;
  }

  /** "Content" for 2.05, or "" when unknown. */
  get codeName(): string {
    return CODE_NAMES[this.code] ?? "";
  }

  /** The first value of option `number`, or undefined. */
  option(number: number): Uint8Array | undefined {
    for (const o of this.#options) if (o.number === number) return this.#bytes.subarray(o.offset, o.offset + o.length);
    return undefined;
  }

  /** Every value of option `number`, in order. */
  options(number: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const o of this.#options) if (o.number === number) out.push(this.#bytes.subarray(o.offset, o.offset + o.length));
    return out;
  }

  /** Option numbers present, in wire order (with repeats). */
  optionNumbers(): number[] {
    return this.#options.map((o) => o.number);
  }

  uintOption(number: number): number | undefined {
    const v = this.option(number);
    return v === undefined ? undefined : readUint(v, 0, v.length);
  }

  stringOptions(number: number): string[] {
    return this.options(number).map((v) => utf8Decode(v));
  }

  get contentFormat(): number | undefined {
    return this.uintOption(OptionNumber.CONTENT_FORMAT);
  }

  /** RFC 7252 §5.10.5: 60 seconds when absent. */
  get maxAge(): number {
    return this.uintOption(OptionNumber.MAX_AGE) ?? 60;
  }

  get etag(): Uint8Array | undefined {
    return this.option(OptionNumber.ETAG);
  }

  get size2(): number | undefined {
    return this.uintOption(OptionNumber.SIZE2);
  }

  /** "/a/b" from Location-Path options, or undefined. */
  get locationPath(): string | undefined {
    const p = this.stringOptions(OptionNumber.LOCATION_PATH);
    return p.length === 0 ? undefined : `/${p.join("/")}`;
  }

  /** The payload as UTF-8 text. */
  text(): string {
    return utf8Decode(this.payload);
  }
}
