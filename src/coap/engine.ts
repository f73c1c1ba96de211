/**
 * The sans-IO CoAP client engine (RFC 7252 §4, §5.2, RFC 7959). Theory of operation:
 *
 * - `submit(request, now)` queues a logical request (a BlockwiseRequest) for its peer. At most
 *   NSTART requests per peer are active; the rest wait in a bounded per-peer queue
 *   (`coap.queue_full` beyond it).
 * - An active request has one Transmission at a time: a message with a fresh MID (counter from a
 *   random start) and a fresh token (CSPRNG, unique among outstanding and recent exchanges).
 * - `handleDatagram(bytes, from, now)` decodes, deduplicates incoming CON/NON by (endpoint, MID)
 *   and matches ACK/RST by MID and responses by token. A CON response is ACKed (the same ACK again
 *   for a duplicate, delivered once); an unexpected CON is answered with RST.
 * - `handleTimeout(now)` retransmits CONs and fails requests whose time ran out.
 * - Outputs, polled by the driver after every input: `pollTransmit()` until undefined (datagrams in
 *   the order to send them), then `pollEvent()` until undefined (one response or error per request,
 *   exactly once), then `pollTimeout()` (the next deadline, or undefined when idle).
 *
 * Nothing here reads a clock, a socket or a timer: `now` is always an argument.
 */
import type { Endpoint } from "../ports.js";
import { IdpgateError } from "../errors.js";
import { DEDUP_ENTRIES, DEFAULT_MAX_MESSAGE_SIZE, EMPTY_CODE, MAX_BODY_BYTES, MAX_QUEUED_REQUESTS, MessageType } from "./constants.js";
import { decodeMessage, type DecodedMessage } from "./decode.js";
import { encodeMessageToBytes } from "./encode.js";
import { CoapExchangeError, CoapFormatError } from "./errors.js";
import { transmissionParams, type TransmissionParams } from "./params.js";
import { szxForSize } from "./block.js";
import type { EngineEvent, EngineOptions, EngineRequest, Transmit } from "./engine-types.js";
import { Admission } from "./_admission.js";
import { DedupTable } from "./_dedup.js";
import { IdAllocator, hexKey } from "./_ids.js";
import { BlockwiseRequest } from "./_request.js";
import { Transmission } from "./_transmission.js";
import { validateResponseOptions } from "./_validate.js";

interface Rec {
  readonly id: number;
  readonly peer: Endpoint;
  readonly peerKey: string;
  readonly confirmable: boolean;
  readonly deadline: number | undefined;
  readonly sm: BlockwiseRequest;
  tx: Transmission | undefined;
}

const MAX_PENDING_TRANSMITS = 256;

export class CoapClientEngine {
  readonly params: TransmissionParams;
  /** Datagrams dropped as malformed, and the code of the last one (diagnostics). */
  readonly stats = { formatErrors: 0, ignored: 0, lastFormatError: "" };
  readonly #ids: IdAllocator;
  readonly #admission: Admission<Rec>;
  readonly #maxBody: number;
  readonly #maxMessage: number;
  readonly #dedup: DedupTable;
  readonly #recs = new Map<number, Rec>();
  readonly #byToken = new Map<string, Rec>();
  readonly #byMid = new Map<string, Rec>();
  readonly #out: Transmit[] = [];
  readonly #events: EngineEvent[] = [];
  #nextId = 1;

  constructor(options: EngineOptions) {
    this.params = transmissionParams(options.params);
    this.#ids = new IdAllocator(options.random, options.tokenLength ?? 4);
    this.#admission = new Admission<Rec>(this.params.nstart, options.maxQueued ?? MAX_QUEUED_REQUESTS);
    this.#maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
    this.#maxMessage = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    const dedupEntries = options.dedupEntries ?? DEDUP_ENTRIES;
    // Its replies are empty ACKs and RSTs: 4 bytes (+ the arena's 4-byte record header) each. Lazy: a provider
    // answering piggybacked never sends a CON or NON, so a device's client holds none of the table.
    this.#dedup = new DedupTable(dedupEntries, this.params.exchangeLifetimeMs, dedupEntries * 8, true);
  }

  /** Queues a request; returns its id. @throws `coap.queue_full`, `coap.body_too_large`, ArgumentError. */
  submit(request: EngineRequest, now: number): number {
    const szx = request.blockSize === undefined ? undefined : szxForSize(request.blockSize);
    const sm = new BlockwiseRequest(
      { code: request.code, options: request.options ?? [], payload: request.payload ?? new Uint8Array(0), szx },
      { maxBodyBytes: Math.min(this.#maxBody, request.maxBodyBytes ?? this.#maxBody), maxMessageSize: this.#maxMessage },
    );
    const peerKey = `${request.peer.address}|${request.peer.port}`;
    if (this.#admission.wouldQueueOverflow(peerKey)) {
      throw new CoapExchangeError("coap.queue_full", "caller", `more than ${this.#admission.maxQueued} requests queued for one peer`);
    }
    const id = this.#nextId++;
    const rec: Rec = {
      id,
      peer: request.peer,
      peerKey,
      confirmable: request.confirmable ?? true,
      sm,
      tx: undefined,
      deadline: request.timeoutMs === undefined ? undefined : now + request.timeoutMs,
    };
    this.#recs.set(id, rec);
    if (this.#admission.admit(peerKey, rec)) this.#send(rec, now);
    return id;
  }

  /** Cancels a request; its error event (`coap.cancelled`) follows. False if it is already finished. */
  cancel(id: number, now: number): boolean {
    const rec = this.#recs.get(id);
    if (rec === undefined) return false;
    this.#fail(rec, new CoapExchangeError("coap.cancelled", "caller", "request cancelled"), now);
    return true;
  }

  /** Outstanding (active or queued) requests. */
  get pending(): number {
    return this.#recs.size;
  }

  pollTransmit(): Transmit | undefined {
    return this.#out.shift();
  }

  pollEvent(): EngineEvent | undefined {
    return this.#events.shift();
  }

  pollTimeout(): number | undefined {
    let t: number | undefined;
    for (const rec of this.#recs.values()) {
      if (rec.tx !== undefined && rec.tx.state !== "closed" && (t === undefined || rec.tx.nextAt < t)) t = rec.tx.nextAt;
      if (rec.deadline !== undefined && (t === undefined || rec.deadline < t)) t = rec.deadline;
    }
    return t;
  }

  handleTimeout(now: number): void {
    for (const rec of [...this.#recs.values()]) {
      if (rec.deadline !== undefined && now >= rec.deadline) {
        this.#fail(rec, new CoapExchangeError("coap.timeout", "environment", "no response before the request timeout"), now);
        continue;
      }
      const tx = rec.tx;
      if (tx === undefined) continue;
      const what = tx.onTimeout(now);
      if (what === "retransmit") this.#queue(tx.bytes, tx.peer);
      else if (what === "give-up") {
        this.#fail(
          rec,
          new CoapExchangeError(
            "coap.timeout",
            "environment",
            tx.confirmable && tx.retransmits > 0 && tx.state === "closed"
              ? `no answer after ${tx.retransmits} retransmissions`
              : "no response in time",
          ),
          now,
        );
      }
    }
  }

  /** Feeds one received datagram. Never throws: malformed input is counted and dropped (or RST). */
  handleDatagram(bytes: Uint8Array, from: Endpoint, now: number): void {
    let m: DecodedMessage | null;
    try {
      m = decodeMessage(bytes);
    } catch (error) {
      if (!(error instanceof CoapFormatError)) throw error;
      this.stats.formatErrors++;
      this.stats.lastFormatError = error.code;
      // §4.2: a malformed CON is rejected with RST (if its MID can be read); anything else is dropped.
      if (bytes.length >= 4 && ((bytes[0]! >> 4) & 3) === MessageType.CON) this.#reply(MessageType.RST, (bytes[2]! << 8) | bytes[3]!, from);
      return;
    }
    if (m === null) return void this.stats.ignored++;
    switch (m.type) {
      case MessageType.ACK:
      case MessageType.RST:
        return this.#onAckOrReset(m, from, now);
      default:
        return this.#onConOrNon(m, from, now);
    }
  }

  #onAckOrReset(m: DecodedMessage, from: Endpoint, now: number): void {
    const rec = this.#byMid.get(`${from.address}|${from.port}|${m.messageId}`);
    const tx = rec?.tx;
    if (rec === undefined || tx === undefined || tx.state === "closed") return void this.stats.ignored++;
    if (m.type === MessageType.RST) {
      this.#fail(rec, new CoapExchangeError("coap.reset", "peer", "the peer rejected the request with RST"), now);
    } else if (m.code === EMPTY_CODE) {
      tx.onEmptyAck(now);
    } else if (m.code >> 5 >= 2 && m.code >> 5 <= 5 && hexKey(m.token) === tx.tokenKey) {
      this.#onResponse(rec, m, now);
    } else this.stats.ignored++;
  }

  #onConOrNon(m: DecodedMessage, from: Endpoint, now: number): void {
    const con = m.type === MessageType.CON;
    const seen = this.#dedup.find(from, m.messageId, now);
    if (seen >= 0) {
      // §4.5: the same ACK/RST again for a duplicate CON; a duplicate is never delivered twice.
      const reply = this.#dedup.replyFor(seen);
      if (reply !== undefined) this.#queue(reply, from);
      return;
    }
    const cls = m.code >> 5;
    const rec = cls >= 2 && cls <= 5 ? this.#byToken.get(hexKey(m.token)) : undefined;
    const matches =
      rec !== undefined &&
      rec.tx !== undefined &&
      rec.tx.state !== "closed" &&
      rec.peer.port === from.port &&
      rec.peer.address === from.address;
    if (!matches || rec === undefined) {
      // Not ours: RST a CON (§4.2, also pings), drop a NON (§4.3 allows either).
      this.#remember(con ? this.#reply(MessageType.RST, m.messageId, from) : undefined, m.messageId, from, now);
      this.stats.ignored++;
      return;
    }
    try {
      validateResponseOptions(m);
    } catch (error) {
      this.#remember(con ? this.#reply(MessageType.RST, m.messageId, from) : undefined, m.messageId, from, now);
      this.#fail(rec, error as IdpgateError, now);
      return;
    }
    this.#remember(con ? this.#reply(MessageType.ACK, m.messageId, from) : undefined, m.messageId, from, now);
    this.#onResponse(rec, m, now);
  }

  #onResponse(rec: Rec, m: DecodedMessage, now: number): void {
    let step;
    try {
      if (m.type === MessageType.ACK) validateResponseOptions(m);
      step = rec.sm.onResponse(m);
    } catch (error) {
      this.#fail(
        rec,
        error instanceof IdpgateError ? error : new CoapExchangeError("coap.internal", "internal", "unexpected error", { cause: error }),
        now,
      );
      return;
    }
    if (step.kind === "next") this.#send(rec, now);
    else this.#finish(rec, { kind: "response", id: rec.id, response: step.response }, now);
  }

  #send(rec: Rec, now: number): void {
    this.#release(rec);
    let datagram: Uint8Array;
    let token: Uint8Array;
    let tokenKey: string;
    let messageId: number;
    try {
      const out = rec.sm.message();
      [token, tokenKey] = this.#ids.newToken((key) => this.#byToken.has(key));
      messageId = this.#ids.nextMid();
      const type = rec.confirmable ? MessageType.CON : MessageType.NON;
      const payload = out.payload === undefined ? {} : { payload: out.payload };
      datagram = encodeMessageToBytes({ type, code: out.code, messageId, token, options: out.options, ...payload });
      if (datagram.length > this.#maxMessage) {
        throw new CoapExchangeError("coap.message_too_large", "caller", `request of ${datagram.length} bytes exceeds ${this.#maxMessage}`);
      }
    } catch (error) {
      const typed =
        error instanceof IdpgateError ? error : new CoapExchangeError("coap.internal", "internal", "encoding failed", { cause: error });
      this.#fail(rec, typed, now);
      return;
    }
    const jitter = this.#ids.fraction();
    const tx = new Transmission(messageId, token, tokenKey, datagram, rec.peer, rec.confirmable, this.params, jitter, now);
    rec.tx = tx;
    this.#byToken.set(tokenKey, rec);
    this.#byMid.set(`${rec.peerKey}|${messageId}`, rec);
    this.#queue(datagram, rec.peer);
  }

  /** Drops the indexes of the request's current transmission and retires its token. */
  #release(rec: Rec): void {
    const tx = rec.tx;
    if (tx === undefined) return;
    tx.close();
    this.#byToken.delete(tx.tokenKey);
    this.#byMid.delete(`${rec.peerKey}|${tx.messageId}`);
    this.#ids.retire(tx.token);
    rec.tx = undefined;
  }

  #fail(rec: Rec, error: IdpgateError, now: number): void {
    this.#finish(rec, { kind: "error", id: rec.id, error }, now);
  }

  /** Emits the request's one event, frees its NSTART slot and starts the next queued request. */
  #finish(rec: Rec, event: EngineEvent, now: number): void {
    if (!this.#recs.delete(rec.id)) return;
    this.#events.push(event);
    this.#release(rec);
    const next = this.#admission.remove(rec.peerKey, rec);
    if (next !== undefined) this.#send(next, now);
  }

  /** Deduplicates (from, MID) from now on, with the ACK/RST (if any) its duplicates get again. */
  #remember(reply: Uint8Array | undefined, messageId: number, from: Endpoint, now: number): void {
    if (reply === undefined) this.#dedup.record(from, messageId, now);
    else this.#dedup.keep(from, messageId, reply, now);
  }

  #reply(type: MessageType, messageId: number, to: Endpoint): Uint8Array {
    const bytes = Uint8Array.of(0x40 | (type << 4), EMPTY_CODE, messageId >> 8, messageId & 0xff);
    this.#queue(bytes, to);
    return bytes;
  }

  #queue(datagram: Uint8Array, to: Endpoint): void {
    // Bounded: a driver that stops polling loses replies, never memory.
    if (this.#out.length < MAX_PENDING_TRANSMITS) this.#out.push({ datagram, to });
  }
}
