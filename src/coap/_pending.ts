/**
 * The request objects of the CoAP server engine (server.ts): one per pending slot, filled request after
 * request (issue 13: nothing allocated per datagram), and what the engine needs to answer each.
 */
import { MessageType } from "./constants.js";
import type { MessageView } from "./decode.js";
import type { ServerRequest } from "./server.js";
import type { Endpoint } from "../ports.js";

const EMPTY = new Uint8Array(0);
const NO_QUERY: readonly string[] = Object.freeze([]);
const NO_PEER: Endpoint = Object.freeze({ address: "", port: 0 });

/**
 * A request as handed to the application, with what the engine needs to answer it: one object per pending
 * slot, filled request after request (and one scratch object for answers from the block cache).
 */
export class PendingRequest implements ServerRequest {
  id = 0;
  peer: Endpoint = NO_PEER;
  method = 0;
  path = "";
  query: readonly string[] = NO_QUERY;
  contentFormat: number | undefined = undefined;
  accept: number | undefined = undefined;
  bytes: Uint8Array = EMPTY;
  payloadStart = 0;
  /** `bytes` is the datagram of the call that queued it (valid only during that call): detach() copies it. */
  inPlace = false;
  type: MessageType = MessageType.CON;
  messageId = 0;
  /** The token: `tokenLength` bytes at `tokenStart` of `tokenBytes` (the engine's token table, not a copy each). */
  tokenBytes: Uint8Array = EMPTY;
  tokenStart = 0;
  tokenLength = 0;
  szx = 0;
  /** The Block1 value to echo in the answer (§2.3), or -1 for a request without Block1. */
  block1 = -1;

  get payload(): Uint8Array {
    return this.payloadStart === 0 ? this.bytes : this.bytes.subarray(this.payloadStart);
  }

  /** Describes the request `m` from `from` (its body: `bytes` from `payloadStart` on). */
  fill(
    id: number,
    m: MessageView,
    from: Endpoint,
    path: string,
    query: readonly string[],
    contentFormat: number | undefined,
    accept: number | undefined,
    bytes: Uint8Array,
    payloadStart: number,
    tokenBytes: Uint8Array,
    tokenStart: number,
    szx: number,
    block1: number,
  ): this {
    this.id = id;
    this.peer = from;
    this.method = m.code;
    this.path = path;
    this.query = query;
    this.contentFormat = contentFormat;
    this.accept = accept;
    this.bytes = bytes;
    this.payloadStart = payloadStart;
    this.inPlace = false;
    this.type = m.type;
    this.messageId = m.messageId;
    this.tokenBytes = tokenBytes;
    this.tokenStart = tokenStart;
    this.tokenLength = m.tokenLength;
    this.szx = szx;
    this.block1 = block1;
    return this;
  }

  /** Answered or dropped: describes nothing (and keeps no datagram or body alive). */
  release(): void {
    this.id = 0;
    this.bytes = EMPTY;
    this.payloadStart = 0;
    this.inPlace = false;
    this.query = NO_QUERY;
    this.tokenBytes = EMPTY;
  }
}
