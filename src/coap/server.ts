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
import { decodeInto, MessageView } from "./decode.js";
import { OptionNumber, isCritical, optionDefinition, readUint } from "./options.js";
import { blockSize, decodeBlock, encodeBlockValue, szxAtMost, type DecodedBlock } from "./block.js";
import { DedupTable } from "./_dedup.js";
import { PendingRequest } from "./_pending.js";
import { ReplyBuffer } from "./_reply-buffer.js";
import { hexKey } from "./_ids.js";
import { Block1Reassembly } from "./_reassembly.js";
import { DEFAULT_TRANSMISSION_PARAMS, maxTransmitWait } from "./params.js";
import { utf8Decode } from "../utf8.js";
import { isIdpgateError } from "../errors.js";
import type { Endpoint } from "../ports.js";

/**
 * A request as the engine hands it out. The object is the engine's and is reused (issue 13: nothing
 * allocated per datagram): it describes this request from `pollEvent` until the request is answered or
 * dropped. Then its `id` reads 0 (a late `respond` with it finds nothing and returns false) until the engine
 * hands the same object out for a later request; from then on it describes that one. Keep it while the
 * request is pending (to answer it later), never past its answer; copy out what is needed for longer.
 */
export interface ServerRequest {
  /** Unique per request (never reused); 0 once the request is answered or dropped. */
  readonly id: number;
  readonly peer: Endpoint;
  readonly method: number;
  /** Uri-Path segments joined with "/" (no leading slash). */
  readonly path: string;
  readonly query: readonly string[];
  readonly contentFormat: number | undefined;
  readonly accept: number | undefined;
  /**
   * The payload in place: bytes [payloadStart, bytes.length) of `bytes` (the datagram, or the body
   * reassembled from Block1 blocks). Read through the request each time: while it is pending these stay
   * valid (a request that outlives its datagram's call gets a copy, CoapServerEngine.detach).
   */
  readonly bytes: Uint8Array;
  readonly payloadStart: number;
  /** The payload as a view of its own (made at each read when the payload sits in its datagram). */
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
  /**
   * Bytes of the one arena the deduplication table keeps its replies in (sized once); default
   * `dedupEntries` x DEDUP_REPLY_BYTES. A reply it cannot keep leaves its duplicates unanswered, never
   * re-executed (_dedup.ts).
   */
  readonly dedupReplyBytes?: number;
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
/** Default reply bytes the deduplication arena holds per entry (an answer of up to a short block). */
export const DEDUP_REPLY_BYTES = 128;

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
const EMPTY = new Uint8Array(0);
const NO_QUERY: readonly string[] = Object.freeze([]);
/** Paths remembered with their bytes, so a repeated Uri-Path is not decoded into a new string each time. */
const PATH_CACHE = 4;
const PATH_CACHE_BYTES = 64;

/** The uint options a reply may carry, in option-number order (§3.1); ReplyOptions.uints holds their values. */
const UINT_OPTIONS: readonly number[] = [
  OptionNumber.CONTENT_FORMAT,
  OptionNumber.MAX_AGE,
  OptionNumber.BLOCK2,
  OptionNumber.BLOCK1,
  OptionNumber.SIZE2,
  OptionNumber.SIZE1,
];

/** Indexes of ReplyOptions.uints: the positions of UINT_OPTIONS. */
const U_CONTENT_FORMAT = 0;
const U_MAX_AGE = 1;
const U_BLOCK2 = 2;
const U_BLOCK1 = 3;
const U_SIZE2 = 4;
const U_SIZE1 = 5;

/** The options of one reply (uint values -1: absent), reused reply after reply. */
class ReplyOptions {
  etag: Uint8Array = EMPTY;
  readonly uints = new Float64Array(UINT_OPTIONS.length).fill(-1);
  clear(): this {
    this.etag = EMPTY;
    this.uints.fill(-1);
    return this;
  }
}

/**
 * Writes one option header (RFC 7252 §3.1) at `i` of `out`, or only counts it when `out` is null; returns
 * where its value goes.
 */
function optionHeader(out: Uint8Array | null, i: number, delta: number, length: number): number {
  const d = delta < 13 ? delta : delta < 269 ? 13 : 14;
  const l = length < 13 ? length : 13; // values here are at most 8 bytes
  if (out === null) return i + 1 + (d === 13 ? 1 : d === 14 ? 2 : 0);
  out[i++] = (d << 4) | l;
  if (d === 13) out[i++] = delta - 13;
  else if (d === 14) {
    out[i++] = (delta - 269) >> 8;
    out[i++] = (delta - 269) & 0xff;
  }
  return i;
}

/** Bytes of a uint option value (§3.2: shortest, 0 is empty). */
function uintLength(v: number): number {
  return v === 0 ? 0 : v < 0x100 ? 1 : v < 0x10000 ? 2 : v < 0x1000000 ? 3 : 4;
}

function putUint(out: Uint8Array | null, i: number, delta: number, v: number): number {
  const n = uintLength(v);
  i = optionHeader(out, i, delta, n);
  if (out !== null) for (let k = n - 1, x = v; k >= 0; k--, x = Math.floor(x / 256)) out[i + k] = x & 0xff;
  return i + n;
}

export class CoapServerEngine {
  readonly #maxSzx: number;
  readonly #maxPending: number;
  readonly #cachedAnswers: number;
  readonly #lifetime: number;
  readonly #maxBody: number;
  readonly #dedup: DedupTable;
  readonly #block1: Block1Reassembly;
  /** Requests handed out and not yet answered: a fixed table of maxPending. */
  readonly #pending: (PendingRequest | undefined)[];
  /** The request object of each pending slot, made the first time the slot is used (then reused). */
  readonly #pool: PendingRequest[] = [];
  /** Answers a block from the block cache (never pending, never handed out). */
  readonly #scratch = new PendingRequest();
  /** Pending requests whose body is read in place from the datagram being handled (detach copies them). */
  #inPlace = 0;
  /** The tokens of pending requests: 8 bytes per pending slot. */
  readonly #tokens: Uint8Array;
  #pendingCount = 0;
  /** Each datagram is decoded into this view (no objects per message). */
  readonly #view = new MessageView();
  readonly #blocks = new Map<string, CachedAnswer>();
  /** Queues as index rings over arrays that keep their length (no shift, no shrinking and regrowing). */
  readonly #txBytes: (Uint8Array | undefined)[] = [];
  readonly #txTo: (Endpoint | undefined)[] = [];
  #txHead = 0;
  #txTail = 0;
  readonly #events: (PendingRequest | undefined)[] = [];
  #evHead = 0;
  #evTail = 0;
  readonly #paths: string[] = [];
  readonly #pathBytes: Uint8Array[] = [];
  #pathNext = 0;
  readonly #opts = new ReplyOptions();
  /** What replies are written into (_reply-buffer.ts: one buffer, reused reply after reply). */
  readonly #replies = new ReplyBuffer();
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
    const dedupEntries = options.dedupEntries ?? 128;
    this.#dedup = new DedupTable(dedupEntries, this.#lifetime, options.dedupReplyBytes ?? dedupEntries * DEDUP_REPLY_BYTES);
    this.#maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
    this.#block1 = new Block1Reassembly(
      options.block1Transfers ?? BLOCK1_TRANSFERS,
      this.#maxBody,
      options.block1TimeoutMs ?? maxTransmitWait(DEFAULT_TRANSMISSION_PARAMS),
    );
    this.#pending = new Array<PendingRequest | undefined>(this.#maxPending).fill(undefined);
    this.#tokens = new Uint8Array(this.#maxPending * 8);
  }

  /**
   * Handles one datagram. A request it queues gets a copy of its body, unless `inPlace`: then the request
   * reads the body from `bytes`, and the caller keeps `bytes` unchanged until it calls `detach()`, which
   * copies the bodies of the requests still pending (the server driver serves a request within the
   * datagram's call, so a command answered there is never copied).
   */
  handleDatagram(bytes: Uint8Array, from: Endpoint, now: number, inPlace = false): void {
    this.#handle(bytes, from, now, inPlace);
    this.#view.bytes = EMPTY; // the view does not keep the datagram (and what it carries) alive
    if (this.#scratch.tokenBytes !== EMPTY) this.#scratch.release(); // nor the block cache's scratch request
  }

  /** Gives every pending request that reads its body in place (handleDatagram's `inPlace`) a copy of it. */
  detach(): void {
    for (let i = 0; this.#inPlace > 0 && i < this.#maxPending; i++) {
      const p = this.#pending[i];
      if (p === undefined || !p.inPlace) continue;
      p.bytes = p.bytes.slice(p.payloadStart);
      p.payloadStart = 0;
      p.inPlace = false;
      this.#inPlace--;
    }
  }

  #handle(bytes: Uint8Array, from: Endpoint, now: number, inPlace: boolean): void {
    const m = this.#view;
    let ok: boolean;
    try {
      ok = decodeInto(bytes, m);
    } catch (error) {
      // §4.2/§4.3: a malformed CON is rejected with RST when its MID can be read; anything else is ignored.
      if (isIdpgateError(error, "coap.") && bytes.length >= 4 && bytes[0]! >> 6 === 1 && ((bytes[0]! >> 4) & 3) === MessageType.CON) {
        this.#queue(Uint8Array.of(0x40 | (MessageType.RST << 4), EMPTY_CODE, bytes[2]!, bytes[3]!), from);
      }
      return;
    }
    if (!ok || m.type === MessageType.ACK || m.type === MessageType.RST) return;
    if (m.code === EMPTY_CODE) {
      // CoAP ping
      if (m.type === MessageType.CON) this.#queue(Uint8Array.of(0x40 | (MessageType.RST << 4), EMPTY_CODE, bytes[2]!, bytes[3]!), from);
      return;
    }
    if (m.code >> 5 !== 0) return; // a response where a request belongs: not ours to handle
    const seen = this.#dedup.find(from, m.messageId, now);
    if (seen >= 0) {
      const reply = this.#dedup.replyFor(seen);
      if (reply !== undefined) this.#queue(reply, from);
      return; // still pending (the answer will come once), or its answer was not kept (never re-executed)
    }
    return this.#accept(m, from, now, inPlace); // a tail call (XS): #handle's frame is gone below the request path
  }

  /** Duplicates left unanswered because their reply could not be kept in the arena (_dedup.ts). */
  get lostReplies(): number {
    return this.#dedup.lost;
  }

  #accept(m: MessageView, from: Endpoint, now: number, inPlace: boolean): void {
    let query: string[] | undefined;
    let contentFormat: number | undefined;
    let accept: number | undefined;
    let szx = this.#maxSzx;
    let blockNum = 0;
    let block1 = -1; // the option's index in m
    let requestTag = -1; // RFC 9175 §3: part of a Block1 transfer's key
    let size1 = -1;
    // Indexed, not for-of: an iterator per request is garbage on XS (the datagram path allocates as little as it can).
    for (let k = 0; k < m.count; k++) {
      const number = m.numbers[k]!;
      const offset = m.offsets[k]!;
      const length = m.lengths[k]!;
      if (number === OptionNumber.URI_PATH)
        continue; // #pathOf below
      else if (number === OptionNumber.URI_QUERY) (query ??= []).push(utf8Decode(m.bytes, offset, offset + length));
      else if (number === OptionNumber.CONTENT_FORMAT) contentFormat = readUint(m.bytes, offset, length);
      else if (number === OptionNumber.ACCEPT) accept = readUint(m.bytes, offset, length);
      else if (number === OptionNumber.BLOCK1) block1 = k;
      else if (number === OptionNumber.SIZE1) size1 = readUint(m.bytes, offset, length);
      else if (number === OptionNumber.REQUEST_TAG) requestTag = k;
      else if (number === OptionNumber.BLOCK2) {
        try {
          const b = decodeBlock(m.bytes, offset, length);
          szx = Math.min(szx, b.szx);
          blockNum = b.num;
        } catch {
          return this.#reject(m, from, now, BAD_OPTION);
        }
      } else if (isCritical(number) && optionDefinition(number) === undefined) {
        return this.#reject(m, from, now, BAD_OPTION); // §5.4.1
      }
    }
    const path = this.#pathOf(m);
    if (blockNum > 0) {
      const cached = this.#blocks.get(cacheKey(from, m.code, path));
      if (cached !== undefined && cached.expires > now) {
        const p = this.#scratch.fill(0, m, from, path, NO_QUERY, undefined, undefined, EMPTY, 0, m.bytes, m.tokenStart, szx, -1);
        return this.#answer(p, cached.answer, cached.etag, blockNum, now); // a tail call (XS): one frame less
      }
    }
    // RFC 7959 §4: a body (or an announced Size1) past the limit is refused up front, with the limit in Size1.
    if (size1 > this.#maxBody || m.payloadLength > this.#maxBody) return this.#tooLarge(m, from, now);
    let payload: Uint8Array | undefined;
    let echo = -1;
    if (block1 >= 0) {
      let b: DecodedBlock;
      try {
        b = decodeBlock(m.bytes, m.offsets[block1]!, m.lengths[block1]!);
      } catch {
        return this.#reject(m, from, now, BAD_REQUEST); // SZX 7 or a value over 3 bytes
      }
      if (b.num > 0 || b.more) {
        // The whole body is about to exist: refuse before taking the last block, so a retry of it still fits.
        if (!b.more && this.#pendingCount >= this.#maxPending) return this.#reject(m, from, now, SERVICE_UNAVAILABLE);
        const key = `${cacheKey(from, m.code, path)}?${(query ?? NO_QUERY).join("&")}#${requestTag < 0 ? "" : hexKey(m.bytes.subarray(m.offsets[requestTag]!, m.offsets[requestTag]! + m.lengths[requestTag]!))}`;
        const outcome = this.#block1.offer(key, b, m.bytes.subarray(m.payloadStart), size1 < 0 ? undefined : size1, now);
        switch (outcome.kind) {
          case "continue":
            this.#opts.clear().uints[U_BLOCK1] = encodeBlockValue(b); // §2.3: echo NUM/M/SZX
            return this.#reply(from, m.type, m.messageId, m.bytes, m.tokenStart, m.tokenLength, CODE_CONTINUE, EMPTY, now);
          case "incomplete":
            return this.#reject(m, from, now, REQUEST_ENTITY_INCOMPLETE);
          case "too_large":
            return this.#tooLarge(m, from, now);
          case "bad":
            return this.#reject(m, from, now, BAD_REQUEST);
          case "busy":
            return this.#reject(m, from, now, SERVICE_UNAVAILABLE);
          case "complete":
            payload = outcome.body;
        }
      }
      echo = encodeBlockValue(b);
    }
    if (this.#pendingCount >= this.#maxPending) return this.#reject(m, from, now, SERVICE_UNAVAILABLE);
    let slot = 0;
    while (this.#pending[slot] !== undefined) slot++; // one is free: #pendingCount < #maxPending
    const tokenStart = slot * 8;
    for (let k = 0; k < m.tokenLength; k++) this.#tokens[tokenStart + k] = m.bytes[m.tokenStart + k]!;
    if (slot === this.#pool.length) this.#pool.push(new PendingRequest()); // slots fill from 0: dense
    const req = this.#pool[slot]!;
    const id = this.#nextId++;
    const q = query ?? NO_QUERY;
    if (payload !== undefined) req.fill(id, m, from, path, q, contentFormat, accept, payload, 0, this.#tokens, tokenStart, szx, echo);
    else if (!inPlace)
      req.fill(id, m, from, path, q, contentFormat, accept, m.bytes.slice(m.payloadStart), 0, this.#tokens, tokenStart, szx, echo);
    else {
      req.fill(id, m, from, path, q, contentFormat, accept, m.bytes, m.payloadStart, this.#tokens, tokenStart, szx, echo);
      req.inPlace = true;
      this.#inPlace++;
    }
    this.#pending[slot] = req;
    this.#pendingCount++;
    this.#dedup.record(from, m.messageId, now);
    if (this.#evTail === this.#events.length) this.#events.push(req);
    else this.#events[this.#evTail] = req;
    this.#evTail++;
  }

  /** The Uri-Path segments joined with "/": a path seen recently is the same string again, not decoded anew. */
  #pathOf(m: MessageView): string {
    const bytes = m.bytes;
    let total = -1;
    for (let k = 0; k < m.count; k++) if (m.numbers[k] === OptionNumber.URI_PATH) total += m.lengths[k]! + 1;
    if (total < 0) return "";
    for (let c = 0; c < this.#paths.length; c++) {
      const known = this.#pathBytes[c]!;
      if (known.length !== total) continue;
      let at = 0;
      let same = true;
      for (let k = 0; same && k < m.count; k++) {
        if (m.numbers[k] !== OptionNumber.URI_PATH) continue;
        const offset = m.offsets[k]!;
        if (at > 0 && known[at++] !== 0x2f) same = false;
        for (let j = 0; same && j < m.lengths[k]!; j++) if (known[at++] !== bytes[offset + j]) same = false;
      }
      if (same) return this.#paths[c]!;
    }
    let path = "";
    let first = true;
    for (let k = 0; k < m.count; k++) {
      if (m.numbers[k] !== OptionNumber.URI_PATH) continue;
      path += (first ? "" : "/") + utf8Decode(bytes, m.offsets[k]!, m.offsets[k]! + m.lengths[k]!);
      first = false;
    }
    if (total <= PATH_CACHE_BYTES) {
      const known = new Uint8Array(total);
      let at = 0;
      for (let k = 0; k < m.count; k++) {
        if (m.numbers[k] !== OptionNumber.URI_PATH) continue;
        if (at > 0) known[at++] = 0x2f;
        known.set(bytes.subarray(m.offsets[k]!, m.offsets[k]! + m.lengths[k]!), at);
        at += m.lengths[k]!;
      }
      const c = this.#pathNext;
      this.#pathNext = (c + 1) % PATH_CACHE;
      this.#paths[c] = path;
      this.#pathBytes[c] = known;
    }
    return path;
  }

  /** Answers request `id`; unknown ids (already answered, or dropped) are ignored and return false. */
  respond(id: number, answer: ServerAnswer, now: number): boolean {
    const pending = this.#take(id);
    if (pending === undefined) return false;
    const payload = answer.payload ?? EMPTY;
    let etag = EMPTY;
    if (payload.length > blockSize(pending.szx)) {
      etag = Uint8Array.of((++this.#etag >>> 24) & 0xff, (this.#etag >>> 16) & 0xff, (this.#etag >>> 8) & 0xff, this.#etag & 0xff);
      if (this.#blocks.size >= this.#cachedAnswers) this.#blocks.delete(this.#blocks.keys().next().value as string);
      this.#blocks.set(cacheKey(pending.peer, pending.method, pending.path), { answer, etag, expires: now + this.#lifetime });
    }
    this.#answer(pending, answer, etag, 0, now);
    pending.release(); // after the answer, which reads it
    return true;
  }

  #take(id: number): PendingRequest | undefined {
    if (id <= 0) return undefined;
    for (let i = 0; i < this.#maxPending; i++) {
      const p = this.#pending[i];
      if (p !== undefined && p.id === id) {
        this.#pending[i] = undefined;
        this.#pendingCount--;
        if (p.inPlace) this.#inPlace--;
        return p;
      }
    }
    return undefined;
  }

  /** Forgets request `id` without answering (a provider that drops requests); its retransmissions stay ignored. */
  drop(id: number): void {
    this.#take(id)?.release();
  }

  #answer(p: PendingRequest, answer: ServerAnswer, etag: Uint8Array, num: number, now: number): void {
    const payload = answer.payload ?? EMPTY;
    const size = blockSize(p.szx);
    const o = this.#opts.clear();
    if (p.block1 >= 0) o.uints[U_BLOCK1] = p.block1;
    if (answer.contentFormat !== undefined) o.uints[U_CONTENT_FORMAT] = answer.contentFormat;
    if (answer.maxAge !== undefined) o.uints[U_MAX_AGE] = answer.maxAge;
    let body = payload;
    if (payload.length > size) {
      const start = num * size;
      if (start >= payload.length) {
        o.clear();
        return this.#reply(p.peer, p.type, p.messageId, p.tokenBytes, p.tokenStart, p.tokenLength, BAD_OPTION, EMPTY, now);
      }
      const more = start + size < payload.length;
      body = payload.subarray(start, start + size);
      o.etag = etag;
      o.uints[U_BLOCK2] = encodeBlockValue({ num, more, szx: p.szx });
      if (num === 0) o.uints[U_SIZE2] = payload.length;
    }
    return this.#reply(p.peer, p.type, p.messageId, p.tokenBytes, p.tokenStart, p.tokenLength, answer.code, body, now);
  }

  /**
   * Encodes the reply (options from #opts) into a datagram of its exact length (measured first: no scratch
   * buffer), queues it and keeps it for the duplicates of (peer, MID) (§4.5).
   */
  #reply(
    peer: Endpoint,
    requestType: MessageType,
    requestMid: number,
    tokenBytes: Uint8Array,
    tokenStart: number,
    tokenLength: number,
    code: number,
    payload: Uint8Array,
    now: number,
  ): void {
    const con = requestType === MessageType.CON;
    const type = con ? MessageType.ACK : MessageType.NON;
    const messageId = con ? requestMid : (this.#nonMessageId = (this.#nonMessageId + 1) & 0xffff);
    const bytes = this.#replies.take(this.#encodeOptions(null, 4 + tokenLength) + (payload.length > 0 ? 1 + payload.length : 0));
    bytes[0] = 0x40 | (type << 4) | tokenLength;
    bytes[1] = code;
    bytes[2] = messageId >> 8;
    bytes[3] = messageId & 0xff;
    for (let k = 0; k < tokenLength; k++) bytes[4 + k] = tokenBytes[tokenStart + k]!;
    const i = this.#encodeOptions(bytes, 4 + tokenLength);
    if (payload.length > 0) {
      bytes[i] = 0xff;
      bytes.set(payload, i + 1);
    }
    this.#queue(bytes, peer);
    // Calls in tail position here and above are tail calls on XS (strict code): the answer path runs above
    // the receive path on a device's 512-slot stack, and each one leaves a frame less.
    return this.#dedup.keep(peer, requestMid, bytes, now);
  }

  /** Writes the options of #opts at `i` (or counts them, `out` null); returns their end. */
  #encodeOptions(out: Uint8Array | null, i: number): number {
    const o = this.#opts;
    let prev = 0;
    // In option-number order (§3.1): ETag 4, then UINT_OPTIONS (Content-Format 12 ... Size1 60).
    if (o.etag.length > 0) {
      i = optionHeader(out, i, OptionNumber.ETAG - prev, o.etag.length);
      if (out !== null) out.set(o.etag, i);
      i += o.etag.length;
      prev = OptionNumber.ETAG;
    }
    for (let k = 0; k < UINT_OPTIONS.length; k++) {
      const v = o.uints[k]!;
      if (v < 0) continue;
      i = putUint(out, i, UINT_OPTIONS[k]! - prev, v);
      prev = UINT_OPTIONS[k]!;
    }
    return i;
  }

  #reject(m: MessageView, from: Endpoint, now: number, code: number): void {
    this.#opts.clear();
    this.#reply(from, m.type, m.messageId, m.bytes, m.tokenStart, m.tokenLength, code, EMPTY, now);
  }

  /** 4.13 with Size1 giving the largest body this server takes (RFC 7959 §2.9.3, §4). */
  #tooLarge(m: MessageView, from: Endpoint, now: number): void {
    this.#opts.clear().uints[U_SIZE1] = this.#maxBody;
    this.#reply(from, m.type, m.messageId, m.bytes, m.tokenStart, m.tokenLength, REQUEST_ENTITY_TOO_LARGE, EMPTY, now);
  }

  #queue(bytes: Uint8Array, to: Endpoint): void {
    if (this.#txTail === this.#txBytes.length) {
      this.#txBytes.push(bytes);
      this.#txTo.push(to);
    } else {
      this.#txBytes[this.#txTail] = bytes;
      this.#txTo[this.#txTail] = to;
    }
    this.#txTail++;
  }

  /** The next datagram to send (its bytes the caller's to keep), or undefined. */
  pollTransmit(): ServerTransmit | undefined {
    if (this.#txHead === this.#txTail) return undefined;
    let bytes = this.#txBytes[this.#txHead]!;
    const to = this.#txTo[this.#txHead]!;
    this.#advanceTransmit();
    if (this.#replies.sent(bytes)) bytes = bytes.slice(); // the reply buffer is written again by the next reply
    return { bytes, to };
  }

  /**
   * Hands every queued datagram to `link.send`, in order (pollTransmit without an object per datagram; the
   * link's own method, no closure frame between). `send` must be done with the bytes when it returns
   * (DatagramLink.send): a reply's buffer is written again.
   */
  transmit(link: { send(bytes: Uint8Array, to: Endpoint): void }): void {
    while (this.#txHead !== this.#txTail) {
      const bytes = this.#txBytes[this.#txHead]!;
      const to = this.#txTo[this.#txHead]!;
      this.#advanceTransmit();
      link.send(bytes, to);
      this.#replies.sent(bytes);
    }
  }

  #advanceTransmit(): void {
    this.#txBytes[this.#txHead] = undefined;
    this.#txTo[this.#txHead] = undefined;
    if (++this.#txHead === this.#txTail) this.#txHead = this.#txTail = 0;
  }

  pollEvent(): ServerRequest | undefined {
    if (this.#evHead === this.#evTail) return undefined;
    const req = this.#events[this.#evHead];
    this.#events[this.#evHead] = undefined;
    if (++this.#evHead === this.#evTail) this.#evHead = this.#evTail = 0;
    return req;
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
    return this.#pendingCount;
  }

  /** Block1 request bodies being reassembled. */
  get block1Transfers(): number {
    return this.#block1.size;
  }
}

/** The key of a block-wise answer (built only for block-wise traffic, never on a one-datagram command). */
function cacheKey(peer: Endpoint, code: number, path: string): string {
  return `${peer.address}|${peer.port}|${code}|${path}`;
}
