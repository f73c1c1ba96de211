/**
 * One logical request, possibly spread over several exchanges by block-wise transfer (RFC 7959).
 *
 * States:
 *   single  first exchange, whole payload in one message (maybe with a Block2 size proposal, §2.4)
 *   block1  sending the request body block by block; 2.31 Continue advances (§2.5); a smaller SZX
 *           from the server is adopted and NUM recomputed so the data continues (§2.3)
 *   block2  fetching the response body; every block request repeats the request's method and options
 *           (§2.4); ETag must not change (§2.4); Size2 and the running total are checked against
 *           maxBodyBytes before anything is buffered
 *   done    a response was produced or the request failed
 *
 * Events: message() describes what to send next; onResponse(m) answers "next" (send message() again)
 * or "done" with the response; it throws a typed error for a protocol violation.
 */
import { CODE_CONTINUE } from "./constants.js";
import { decodeBlock, blockOption, blockSize, szxAtMost, type DecodedBlock } from "./block.js";
import { findOption, type DecodedMessage } from "./decode.js";
import { encodedLength } from "./encode.js";
import { CoapExchangeError } from "./errors.js";
import { OptionNumber, uintOption, type OptionValue } from "./options.js";
import { CoapResponse } from "./response.js";

export interface RequestSpec {
  readonly code: number;
  readonly options: readonly OptionValue[];
  readonly payload: Uint8Array;
  /** Caller's preferred block size exponent, or undefined for "as large as fits". */
  readonly szx: number | undefined;
}

export interface RequestLimits {
  readonly maxBodyBytes: number;
  readonly maxMessageSize: number;
}

export type RequestState = "single" | "block1" | "block2" | "done";
export type Step = { readonly kind: "next" } | { readonly kind: "done"; readonly response: CoapResponse };

export interface OutgoingRequest {
  readonly code: number;
  readonly options: readonly OptionValue[];
  readonly payload: Uint8Array | undefined;
}

const NEXT: Step = { kind: "next" };
const BLOCK_OPTIONS: readonly number[] = [OptionNumber.BLOCK1, OptionNumber.BLOCK2, OptionNumber.SIZE1, OptionNumber.SIZE2];

function mismatch(why: string): CoapExchangeError {
  return new CoapExchangeError("coap.block_mismatch", "peer", `block-wise transfer out of step: ${why}`);
}

function tooLarge(bytes: number, max: number): CoapExchangeError {
  return new CoapExchangeError("coap.body_too_large", "environment", `response body of ${bytes} bytes exceeds the maximum of ${max}`);
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class BlockwiseRequest {
  state: RequestState;
  readonly #spec: RequestSpec;
  readonly #limits: RequestLimits;
  readonly #base: readonly OptionValue[];
  #b1Szx = 6;
  #b1Num = 0;
  #b2Szx: number | undefined;
  #b2Num = 0;
  #chunks: Uint8Array[] = [];
  #received = 0;
  #etag: Uint8Array | undefined;

  constructor(spec: RequestSpec, limits: RequestLimits) {
    this.#spec = spec;
    this.#limits = limits;
    this.#base = spec.options.filter((o) => !BLOCK_OPTIONS.includes(o.number));
    this.#b2Szx = spec.szx;
    if (spec.payload.length > limits.maxBodyBytes) {
      throw new CoapExchangeError(
        "coap.body_too_large",
        "caller",
        `request body of ${spec.payload.length} bytes exceeds the maximum of ${limits.maxBodyBytes}`,
      );
    }
    // Room for the payload beside the options, with space kept for Block1 (4) and Size1 (6).
    const room =
      limits.maxMessageSize -
      encodedLength({ type: 0, code: spec.code, messageId: 0, token: new Uint8Array(8), options: this.#base }) -
      1 -
      10;
    const fitsWhole = spec.szx === undefined ? spec.payload.length <= room + 10 : spec.payload.length <= blockSize(spec.szx);
    if (fitsWhole) this.state = "single";
    else {
      if (room < 16) throw new CoapExchangeError("coap.message_too_large", "caller", "request options leave no room for a payload block");
      this.state = "block1";
      this.#b1Szx = Math.min(spec.szx ?? 6, szxAtMost(room));
    }
  }

  /** What to send for the current step (the engine adds type, MID and token). */
  message(): OutgoingRequest {
    const spec = this.#spec;
    if (this.state === "block1") {
      const size = blockSize(this.#b1Szx);
      const start = this.#b1Num * size;
      const end = Math.min(start + size, spec.payload.length);
      const more = end < spec.payload.length;
      const options = [...this.#base, blockOption(OptionNumber.BLOCK1, { num: this.#b1Num, more, szx: this.#b1Szx })];
      if (this.#b1Num === 0) options.push(uintOption(OptionNumber.SIZE1, spec.payload.length));
      return { code: spec.code, options, payload: spec.payload.subarray(start, end) };
    }
    if (this.state === "block2") {
      const options = [...this.#base, blockOption(OptionNumber.BLOCK2, { num: this.#b2Num, more: false, szx: this.#b2Szx ?? 6 })];
      return { code: spec.code, options, payload: undefined };
    }
    // §2.4: a client may propose a block size in its first request (early negotiation), here only
    // when the caller asked for a size and the request has no body.
    if (spec.szx !== undefined && spec.payload.length === 0) {
      return {
        code: spec.code,
        options: [...this.#base, blockOption(OptionNumber.BLOCK2, { num: 0, more: false, szx: spec.szx })],
        payload: undefined,
      };
    }
    return { code: spec.code, options: this.#base, payload: spec.payload.length > 0 ? spec.payload : undefined };
  }

  onResponse(m: DecodedMessage): Step {
    if (this.state === "block1") {
      const step = this.#onBlock1Response(m);
      if (step !== undefined) return step;
    }
    const ref = findOption(m, OptionNumber.BLOCK2);
    if (this.state === "block2" && ref === undefined) {
      if (m.code >> 5 === 2) throw mismatch("success response without Block2 in the middle of a transfer");
      return this.#done(new CoapResponse(m)); // an error answer mid-transfer is the answer
    }
    if (ref === undefined) {
      if (m.payload.length > this.#limits.maxBodyBytes) throw tooLarge(m.payload.length, this.#limits.maxBodyBytes);
      return this.#done(new CoapResponse(m));
    }
    return this.#onBlock2(m, decodeBlock(m.bytes, ref.offset, ref.length));
  }

  #onBlock1Response(m: DecodedMessage): Step | undefined {
    const size = blockSize(this.#b1Szx);
    const sentEnd = (this.#b1Num + 1) * size;
    const last = sentEnd >= this.#spec.payload.length;
    const ref = findOption(m, OptionNumber.BLOCK1);
    const b = ref === undefined ? undefined : decodeBlock(m.bytes, ref.offset, ref.length);
    if (m.code === CODE_CONTINUE) {
      if (last) throw mismatch("2.31 Continue after the last Block1 block");
      if (b === undefined || b.num !== this.#b1Num) throw mismatch("2.31 Continue without the matching Block1");
      // §2.3: the server may ask for smaller blocks; continue right after what was sent.
      if (b.szx < this.#b1Szx) this.#b1Szx = b.szx;
      this.#b1Num = sentEnd / blockSize(this.#b1Szx);
      return NEXT;
    }
    // §2.9.3: 4.13 with a smaller Block1 SZX on the first block: start over with that size.
    if (m.code === 0x8d && this.#b1Num === 0 && b !== undefined && b.szx < this.#b1Szx) {
      this.#b1Szx = b.szx;
      return NEXT;
    }
    this.state = "single"; // the final answer to the body, which may start a Block2 transfer
    return undefined;
  }

  #onBlock2(m: DecodedMessage, b: DecodedBlock): Step {
    const max = this.#limits.maxBodyBytes;
    if (b.num * b.size !== this.#received) throw mismatch(`Block2 ${b.num}/${b.size} does not continue at byte ${this.#received}`);
    if (b.more && m.payload.length !== b.size) throw mismatch(`Block2 ${b.num} carries ${m.payload.length} bytes, not ${b.size}`);
    const etagRef = findOption(m, OptionNumber.ETAG);
    const etag = etagRef === undefined ? undefined : m.bytes.subarray(etagRef.offset, etagRef.offset + etagRef.length);
    if (this.#received === 0) {
      this.#etag = etag?.slice();
      const size2 = findOption(m, OptionNumber.SIZE2);
      if (size2 !== undefined) {
        let total = 0;
        for (let i = size2.offset; i < size2.offset + size2.length; i++) total = total * 256 + m.bytes[i]!;
        if (total > max) throw tooLarge(total, max);
      }
    } else if (!sameBytes(this.#etag, etag)) {
      throw new CoapExchangeError("coap.etag_changed", "environment", "the resource changed (ETag) during a Block2 transfer");
    }
    if (this.#received + m.payload.length > max) throw tooLarge(this.#received + m.payload.length, max);
    if (!b.more) {
      if (this.#received === 0) return this.#done(new CoapResponse(m));
      const body = new Uint8Array(this.#received + m.payload.length);
      let at = 0;
      for (const c of this.#chunks) {
        body.set(c, at);
        at += c.length;
      }
      body.set(m.payload, at);
      this.#chunks = [];
      return this.#done(new CoapResponse(m, body));
    }
    this.#chunks.push(m.payload.slice());
    this.#received += m.payload.length;
    // §2.4: later requests use the server's size, or the caller's if smaller.
    this.#b2Szx = Math.min(b.szx, this.#spec.szx ?? 6);
    this.#b2Num = this.#received / blockSize(this.#b2Szx);
    this.state = "block2";
    return NEXT;
  }

  #done(response: CoapResponse): Step {
    this.state = "done";
    return { kind: "done", response };
  }
}
