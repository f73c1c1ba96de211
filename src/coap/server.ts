/**
 * A small sans-IO CoAP server engine (RFC 7252 §5, §4.5; RFC 7959 Block1 for request bodies, Block2 for
 * answers). The local identity provider and the gate example sit on it; a device answers commands with it.
 *
 * Theory of operation: `handleDatagram(bytes, from, now)` decodes a request and either
 *  - answers it again from the deduplication table (a retransmitted CON, §4.5),
 *  - serves a later block of an answer it already built (Block2 NUM > 0 from the block cache),
 *  - rejects it (RST for a malformed CON, 4.02 for an unknown critical option, §5.4.1; 4.13 with Size1 for a
 *    body, or an announced Size1, past `maxBodyBytes`, RFC 7959 §2.9.3/§4),
 *  - takes one block of a Block1 request body (_reassembly.ts): 2.31 Continue for a block that is not the
 *    last, 4.08 for a block out of order or without its start, 4.00 for a malformed Block1 (SZX 7), 5.03
 *    for a new transfer past `block1Transfers`, or
 *  - queues a `request` event, with the whole body. The application calls `respond(id, answer, now)`, at
 *    once or later; the answer to a Block1 request echoes its last Block1 (§2.3).
 * The application never sees part of a body. Answers to CON requests are piggybacked on the ACK; answers to
 * NON requests are NON. `pollTransmit()` yields datagrams to send; `pollTimeout()` the next time
 * `handleTimeout` prunes state. Every table is bounded: pending requests, deduplication, cached block-wise
 * answers, Block1 transfers in progress (each at most `maxBodyBytes`, expiring).
 */
import { MessageType, EMPTY_CODE, CODE_CONTINUE, MAX_BODY_BYTES, makeCode } from "./constants.js";
import { decodeMessage, optionValue, type DecodedMessage, type OptionRef } from "./decode.js";
import { encodeMessageToBytes } from "./encode.js";
import { OptionNumber, isCritical, optionDefinition, readUint, uintOption, opaqueOption, type OptionValue } from "./options.js";
import { blockOption, blockSize, decodeBlock, encodeBlockValue, szxAtMost, type DecodedBlock } from "./block.js";
import { DedupTable } from "./_dedup.js";
import { hexKey } from "./_ids.js";
import { Block1Reassembly } from "./_reassembly.js";
import { DEFAULT_TRANSMISSION_PARAMS, maxTransmitWait } from "./params.js";
import { utf8Decode } from "../utf8.js";
import { isIdpgateError } from "../errors.js";
import type { Endpoint } from "../ports.js";

export interface ServerRequest {
  readonly id: number;
  readonly peer: Endpoint;
  readonly method: number;
  /** Uri-Path segments joined with "/" (no leading slash). */
  readonly path: string;
  readonly query: readonly string[];
  readonly contentFormat: number | undefined;
  readonly accept: number | undefined;
  readonly payload: Uint8Array;
}

export interface ServerAnswer {
  readonly code: number;
  readonly contentFormat?: number;
  readonly payload?: Uint8Array;
  readonly maxAge?: number;
}

export interface ServerTransmit {
  readonly bytes: Uint8Array;
  readonly to: Endpoint;
}

export interface ServerOptions {
  /** Largest block of an answer (16..1024); default 512 keeps a DTLS record under 600 bytes. */
  readonly maxBlockSize?: number;
  readonly maxPending?: number;
  readonly dedupEntries?: number;
  readonly cachedAnswers?: number;
  /** RFC 7252 §4.8.2 EXCHANGE_LIFETIME. */
  readonly exchangeLifetimeMs?: number;
  /** Largest request body, in one datagram or reassembled from Block1 blocks; default MAX_BODY_BYTES. */
  readonly maxBodyBytes?: number;
  /** Block1 transfers in progress at once (each holds up to maxBodyBytes); default BLOCK1_TRANSFERS. */
  readonly block1Transfers?: number;
  /** How long a Block1 transfer waits for its next block; default MAX_TRANSMIT_WAIT (RFC 7252 §4.8.2). */
  readonly block1TimeoutMs?: number;
}

/** Default bound of the Block1 transfers a server reassembles at once. */
export const BLOCK1_TRANSFERS = 4;

interface Pending {
  readonly peer: Endpoint;
  readonly type: MessageType;
  readonly messageId: number;
  readonly token: Uint8Array;
  readonly dedupKey: string;
  readonly cacheKey: string;
  readonly szx: number;
  /** The Block1 value to echo in the answer (§2.3), or -1 for a request without Block1. */
  readonly block1: number;
}

interface CachedAnswer {
  readonly answer: ServerAnswer;
  readonly etag: Uint8Array;
  readonly expires: number;
}

const BAD_REQUEST = makeCode(4, 0);
const BAD_OPTION = makeCode(4, 2);
const REQUEST_ENTITY_INCOMPLETE = makeCode(4, 8);
const REQUEST_ENTITY_TOO_LARGE = makeCode(4, 13);
const SERVICE_UNAVAILABLE = makeCode(5, 3);
const NO_OPTIONS: readonly OptionValue[] = [];
const EMPTY = new Uint8Array(0);

export class CoapServerEngine {
  readonly #maxSzx: number;
  readonly #maxPending: number;
  readonly #cachedAnswers: number;
  readonly #lifetime: number;
  readonly #maxBody: number;
  readonly #dedup: DedupTable;
  readonly #block1: Block1Reassembly;
  readonly #pending = new Map<number, Pending>();
  readonly #blocks = new Map<string, CachedAnswer>();
  readonly #transmits: ServerTransmit[] = [];
  readonly #events: ServerRequest[] = [];
  /** Request ids handed to the application (respond(id, ...)). */
  #nextId = 1;
  /** Message IDs of NON responses: a counter of their own, so they repeat only after 65,536 responses. */
  #nonMessageId = 0;
  #etag = 0;

  constructor(options: ServerOptions = {}) {
    this.#maxSzx = szxAtMost(options.maxBlockSize ?? 512);
    this.#maxPending = options.maxPending ?? 32;
    this.#cachedAnswers = options.cachedAnswers ?? 16;
    this.#lifetime = options.exchangeLifetimeMs ?? 247_000;
    this.#dedup = new DedupTable(options.dedupEntries ?? 128, this.#lifetime);
    this.#maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
    this.#block1 = new Block1Reassembly(
      options.block1Transfers ?? BLOCK1_TRANSFERS,
      this.#maxBody,
      options.block1TimeoutMs ?? maxTransmitWait(DEFAULT_TRANSMISSION_PARAMS),
    );
  }

  handleDatagram(bytes: Uint8Array, from: Endpoint, now: number): void {
    let m: DecodedMessage | null;
    try {
      m = decodeMessage(bytes);
    } catch (error) {
      // §4.2/§4.3: a malformed CON is rejected with RST when its MID can be read; anything else is ignored.
      if (isIdpgateError(error, "coap.") && bytes.length >= 4 && bytes[0]! >> 6 === 1 && ((bytes[0]! >> 4) & 3) === MessageType.CON) {
        this.#send(from, { type: MessageType.RST, code: EMPTY_CODE, messageId: (bytes[2]! << 8) | bytes[3]! });
      }
      return;
    }
    if (m === null || m.type === MessageType.ACK || m.type === MessageType.RST) return;
    if (m.code === EMPTY_CODE) {
      if (m.type === MessageType.CON) this.#send(from, { type: MessageType.RST, code: EMPTY_CODE, messageId: m.messageId }); // CoAP ping
      return;
    }
    if (m.code >> 5 !== 0) return; // a response where a request belongs: not ours to handle
    const dedupKey = DedupTable.key(from, m.messageId);
    const seen = this.#dedup.lookup(dedupKey, now);
    if (seen !== undefined) {
      if (seen.reply !== undefined) this.#transmits.push({ bytes: seen.reply, to: from });
      return; // still pending: the answer will come once
    }
    this.#accept(m, from, dedupKey, now);
  }

  #accept(m: DecodedMessage, from: Endpoint, dedupKey: string, now: number): void {
    const path: string[] = [];
    const query: string[] = [];
    let contentFormat: number | undefined;
    let accept: number | undefined;
    let szx = this.#maxSzx;
    let blockNum = 0;
    let block1: OptionRef | undefined;
    let requestTag: OptionRef | undefined; // RFC 9175 §3: part of a Block1 transfer's key
    let size1 = -1;
    // Indexed, not for-of: an iterator per request is garbage on XS (the datagram path allocates as little as it can).
    for (let k = 0; k < m.options.length; k++) {
      const o = m.options[k]!;
      if (o.number === OptionNumber.URI_PATH) path.push(utf8Decode(m.bytes, o.offset, o.offset + o.length));
      else if (o.number === OptionNumber.URI_QUERY) query.push(utf8Decode(m.bytes, o.offset, o.offset + o.length));
      else if (o.number === OptionNumber.CONTENT_FORMAT) contentFormat = readUint(m.bytes, o.offset, o.length);
      else if (o.number === OptionNumber.ACCEPT) accept = readUint(m.bytes, o.offset, o.length);
      else if (o.number === OptionNumber.BLOCK1) block1 = o;
      else if (o.number === OptionNumber.SIZE1) size1 = readUint(m.bytes, o.offset, o.length);
      else if (o.number === OptionNumber.REQUEST_TAG) requestTag = o;
      else if (o.number === OptionNumber.BLOCK2) {
        try {
          const b = decodeBlock(m.bytes, o.offset, o.length);
          szx = Math.min(szx, b.szx);
          blockNum = b.num;
        } catch {
          return this.#reject(m, from, dedupKey, now, BAD_OPTION);
        }
      } else if (isCritical(o.number) && optionDefinition(o.number) === undefined) {
        return this.#reject(m, from, dedupKey, now, BAD_OPTION); // §5.4.1
      }
    }
    const cacheKey = `${from.address}|${from.port}|${m.code}|${path.join("/")}`;
    if (blockNum > 0) {
      const cached = this.#blocks.get(cacheKey);
      if (cached !== undefined && cached.expires > now) {
        return this.#answer(this.#pendingFor(m, from, dedupKey, cacheKey, szx, -1), cached.answer, cached.etag, blockNum, now);
      }
    }
    // RFC 7959 §4: a body (or an announced Size1) past the limit is refused up front, with the limit in Size1.
    if (size1 > this.#maxBody || m.payload.length > this.#maxBody) return this.#tooLarge(m, from, dedupKey, now);
    let payload: Uint8Array | undefined;
    let echo = -1;
    if (block1 !== undefined) {
      let b: DecodedBlock;
      try {
        b = decodeBlock(m.bytes, block1.offset, block1.length);
      } catch {
        return this.#reject(m, from, dedupKey, now, BAD_REQUEST); // SZX 7 or a value over 3 bytes
      }
      if (b.num > 0 || b.more) {
        // The whole body is about to exist: refuse before taking the last block, so a retry of it still fits.
        if (!b.more && this.#pending.size >= this.#maxPending) return this.#reject(m, from, dedupKey, now, SERVICE_UNAVAILABLE);
        const key = `${cacheKey}?${query.join("&")}#${requestTag === undefined ? "" : hexKey(optionValue(m, requestTag))}`;
        const outcome = this.#block1.offer(key, b, m.payload, size1 < 0 ? undefined : size1, now);
        switch (outcome.kind) {
          case "continue":
            return this.#reject(m, from, dedupKey, now, CODE_CONTINUE, [blockOption(OptionNumber.BLOCK1, b)]); // §2.3: echo NUM/M/SZX
          case "incomplete":
            return this.#reject(m, from, dedupKey, now, REQUEST_ENTITY_INCOMPLETE);
          case "too_large":
            return this.#tooLarge(m, from, dedupKey, now);
          case "bad":
            return this.#reject(m, from, dedupKey, now, BAD_REQUEST);
          case "busy":
            return this.#reject(m, from, dedupKey, now, SERVICE_UNAVAILABLE);
          case "complete":
            payload = outcome.body;
        }
      }
      echo = encodeBlockValue(b);
    }
    if (this.#pending.size >= this.#maxPending) return this.#reject(m, from, dedupKey, now, SERVICE_UNAVAILABLE);
    const id = this.#nextId++;
    this.#pending.set(id, this.#pendingFor(m, from, dedupKey, cacheKey, szx, echo));
    this.#dedup.record(dedupKey, undefined, now);
    this.#events.push({
      id,
      peer: from,
      method: m.code,
      path: path.join("/"),
      query,
      contentFormat,
      accept,
      payload: payload ?? m.payload.slice(),
    });
  }

  #pendingFor(m: DecodedMessage, from: Endpoint, dedupKey: string, cacheKey: string, szx: number, block1: number): Pending {
    return { peer: from, type: m.type as MessageType, messageId: m.messageId, token: m.token.slice(), dedupKey, cacheKey, szx, block1 };
  }

  /** Answers request `id`; unknown ids (already answered, or dropped) are ignored and return false. */
  respond(id: number, answer: ServerAnswer, now: number): boolean {
    const pending = this.#pending.get(id);
    if (pending === undefined) return false;
    this.#pending.delete(id);
    const payload = answer.payload ?? EMPTY;
    let etag = EMPTY;
    if (payload.length > blockSize(pending.szx)) {
      etag = Uint8Array.of((++this.#etag >>> 24) & 0xff, (this.#etag >>> 16) & 0xff, (this.#etag >>> 8) & 0xff, this.#etag & 0xff);
      if (this.#blocks.size >= this.#cachedAnswers) this.#blocks.delete(this.#blocks.keys().next().value as string);
      this.#blocks.set(pending.cacheKey, { answer, etag, expires: now + this.#lifetime });
    }
    this.#answer(pending, answer, etag, 0, now);
    return true;
  }

  /** Forgets request `id` without answering (a provider that drops requests); its retransmissions stay ignored. */
  drop(id: number): void {
    this.#pending.delete(id);
  }

  #answer(p: Pending, answer: ServerAnswer, etag: Uint8Array, num: number, now: number): void {
    const payload = answer.payload ?? EMPTY;
    const size = blockSize(p.szx);
    const options: OptionValue[] = [];
    if (p.block1 >= 0) options.push(uintOption(OptionNumber.BLOCK1, p.block1));
    if (answer.contentFormat !== undefined) options.push(uintOption(OptionNumber.CONTENT_FORMAT, answer.contentFormat));
    if (answer.maxAge !== undefined) options.push(uintOption(OptionNumber.MAX_AGE, answer.maxAge));
    let body = payload;
    if (payload.length > size) {
      const start = num * size;
      if (start >= payload.length) return this.#reply(p, { code: makeCode(4, 2) }, NO_OPTIONS, now);
      const more = start + size < payload.length;
      body = payload.subarray(start, start + size);
      options.push(opaqueOption(OptionNumber.ETAG, etag), blockOption(OptionNumber.BLOCK2, { num, more, szx: p.szx }));
      if (num === 0) options.push(uintOption(OptionNumber.SIZE2, payload.length));
    }
    this.#reply(p, { code: answer.code, payload: body }, options, now);
  }

  #reply(p: Pending, a: { code: number; payload?: Uint8Array }, options: readonly OptionValue[], now: number): void {
    const type = p.type === MessageType.CON ? MessageType.ACK : MessageType.NON;
    const messageId = p.type === MessageType.CON ? p.messageId : (this.#nonMessageId = (this.#nonMessageId + 1) & 0xffff);
    const bytes = this.#send(p.peer, {
      type,
      code: a.code,
      messageId,
      token: p.token,
      options,
      ...(a.payload && a.payload.length > 0 ? { payload: a.payload } : {}),
    });
    // The reply is kept so a retransmitted CON gets the same answer again (§4.5).
    const entry = this.#dedup.lookup(p.dedupKey, now);
    if (entry !== undefined) entry.reply = bytes;
    else this.#dedup.record(p.dedupKey, bytes, now);
  }

  #reject(m: DecodedMessage, from: Endpoint, dedupKey: string, now: number, code: number, options = NO_OPTIONS): void {
    this.#reply(this.#pendingFor(m, from, dedupKey, "", this.#maxSzx, -1), { code }, options, now);
  }

  /** 4.13 with Size1 giving the largest body this server takes (RFC 7959 §2.9.3, §4). */
  #tooLarge(m: DecodedMessage, from: Endpoint, dedupKey: string, now: number): void {
    this.#reject(m, from, dedupKey, now, REQUEST_ENTITY_TOO_LARGE, [uintOption(OptionNumber.SIZE1, this.#maxBody)]);
  }

  #send(to: Endpoint, fields: Parameters<typeof encodeMessageToBytes>[0]): Uint8Array {
    const bytes = encodeMessageToBytes(fields);
    this.#transmits.push({ bytes, to });
    return bytes;
  }

  pollTransmit(): ServerTransmit | undefined {
    return this.#transmits.shift();
  }

  pollEvent(): ServerRequest | undefined {
    return this.#events.shift();
  }

  /** Prunes expired block-wise answers and Block1 transfers; the deduplication table prunes itself on use. */
  handleTimeout(now: number): void {
    if (this.#blocks.size > 0) for (const [k, c] of this.#blocks) if (c.expires <= now) this.#blocks.delete(k);
    this.#block1.prune(now);
  }

  pollTimeout(): number | undefined {
    let next = this.#block1.nextExpiry();
    if (this.#blocks.size > 0) for (const c of this.#blocks.values()) next = next === undefined ? c.expires : Math.min(next, c.expires);
    return next;
  }

  get pendingRequests(): number {
    return this.#pending.size;
  }

  /** Block1 request bodies being reassembled. */
  get block1Transfers(): number {
    return this.#block1.size;
  }
}
