// RFC 7959 §2.3/§2.5 Block1 on CoapServerEngine: request bodies reassembled in order, 2.31 for each block but
// the last, 4.08/4.13/4.00/5.03 for broken transfers, never a partial body handed to the application; the
// transfers are bounded and expire on a fake clock.
import { test, assert, FakeClock } from "../harness/index.js";
import {
  CoapServerEngine,
  MessageType,
  Method,
  OptionNumber,
  decodeMessage,
  decodeBlock,
  encodeMessageToBytes,
  findOption,
  readUint,
  stringOption,
  uintOption,
  opaqueOption,
  blockOption,
  makeCode,
  CODE_CONTINUE,
  type DecodedMessage,
  type OptionValue,
  type ServerRequest,
} from "../../src/coap/index.js";
import type { Endpoint } from "../../src/ports.js";

const PEER: Endpoint = { address: "127.0.0.1", port: 40000 };
const CHANGED = makeCode(2, 4);
const BAD_REQUEST = makeCode(4, 0);
const INCOMPLETE = makeCode(4, 8);
const TOO_LARGE = makeCode(4, 13);
const UNAVAILABLE = makeCode(5, 3);

interface Block {
  readonly num: number;
  readonly more: boolean;
  /** 0..6 (16..1024 bytes); 7 is written raw to test the reserved value. */
  readonly szx: number;
  readonly payload: Uint8Array;
  readonly size1?: number;
  readonly requestTag?: number;
  readonly type?: MessageType;
}

/** A body whose bytes say where they belong, so a misplaced block shows. */
function body(length: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => (i * 7 + 3) & 0xff);
}

function blockRequest(messageId: number, b: Block): Uint8Array {
  const block1: OptionValue =
    b.szx === 7 ? uintOption(OptionNumber.BLOCK1, b.num * 16 + (b.more ? 8 : 0) + 7) : blockOption(OptionNumber.BLOCK1, b);
  const options: OptionValue[] = [
    stringOption(OptionNumber.URI_PATH, "relay"),
    uintOption(OptionNumber.CONTENT_FORMAT, 50),
    block1,
    ...(b.size1 === undefined ? [] : [uintOption(OptionNumber.SIZE1, b.size1)]),
    ...(b.requestTag === undefined ? [] : [opaqueOption(OptionNumber.REQUEST_TAG, Uint8Array.of(b.requestTag))]),
  ];
  // A new token per block, as libcoap sends them: the transfer is matched by peer and resource, not token.
  return encodeMessageToBytes({
    type: b.type ?? MessageType.CON,
    code: Method.POST,
    messageId,
    token: Uint8Array.of(9, messageId & 0xff),
    options,
    payload: b.payload,
  });
}

/** Blocks `num` of `whole` at block size 2^(szx+4). */
function slice(whole: Uint8Array, num: number, szx: number): Block {
  const size = 1 << (szx + 4);
  const start = num * size;
  return { num, more: start + size < whole.length, szx, payload: whole.subarray(start, start + size) };
}

function replies(server: CoapServerEngine): DecodedMessage[] {
  const out: DecodedMessage[] = [];
  for (let t = server.pollTransmit(); t !== undefined; t = server.pollTransmit()) out.push(decodeMessage(t.bytes)!);
  return out;
}

function onlyReply(server: CoapServerEngine): DecodedMessage {
  const r = replies(server);
  assert.equal(r.length, 1, "one reply");
  return r[0]!;
}

function block1Of(m: DecodedMessage): { num: number; more: boolean; szx: number } | undefined {
  const o = findOption(m, OptionNumber.BLOCK1);
  if (o === undefined) return undefined;
  const b = decodeBlock(m.bytes, o.offset, o.length);
  return { num: b.num, more: b.more, szx: b.szx };
}

function uintOf(m: DecodedMessage, number: number): number | undefined {
  const o = findOption(m, number);
  return o === undefined ? undefined : readUint(m.bytes, o.offset, o.length);
}

function noRequest(server: CoapServerEngine, why: string): void {
  assert.equal(server.pollEvent(), undefined, why);
}

test("CoapServerEngine reassembles Block1 blocks in order, answers 2.31 echoing each, and hands over the whole body once", () => {
  const server = new CoapServerEngine();
  const whole = body(40); // blocks of 16: 16 + 16 + 8
  for (let num = 0; num < 2; num++) {
    server.handleDatagram(blockRequest(100 + num, slice(whole, num, 0)), PEER, num * 10);
    const r = onlyReply(server);
    assert.equal(r.type, MessageType.ACK);
    assert.equal(r.messageId, 100 + num);
    assert.equal(r.code, CODE_CONTINUE, `block ${num}: 2.31 Continue`);
    assert.deepEqual(block1Of(r), { num, more: true, szx: 0 }, `block ${num}: Block1 echoed`);
    noRequest(server, `block ${num} is not a whole body`);
  }
  assert.equal(server.block1Transfers, 1);
  server.handleDatagram(blockRequest(102, slice(whole, 2, 0)), PEER, 30);
  assert.equal(replies(server).length, 0, "the last block waits for the application's answer");
  const req = server.pollEvent();
  assert.ok(req);
  assert.bytesEqual(req.payload, whole);
  assert.equal(req.path, "relay");
  assert.equal(server.block1Transfers, 0);
  server.respond(req.id, { code: CHANGED }, 40);
  const final = onlyReply(server);
  assert.equal(final.code, CHANGED);
  assert.equal(final.messageId, 102);
  assert.deepEqual(block1Of(final), { num: 2, more: false, szx: 0 }, "the final answer echoes the last Block1");
});

test("CoapServerEngine answers 4.08 for a middle Block1 block without its start (NUM 5, M 1) and never executes it", () => {
  const server = new CoapServerEngine();
  server.handleDatagram(blockRequest(1, { num: 5, more: true, szx: 0, payload: body(16) }), PEER, 0);
  assert.equal(onlyReply(server).code, INCOMPLETE);
  server.handleDatagram(blockRequest(2, { num: 3, more: false, szx: 0, payload: body(5) }), PEER, 0);
  assert.equal(onlyReply(server).code, INCOMPLETE, "a last block without the rest");
  noRequest(server, "no partial body");
  assert.equal(server.block1Transfers, 0);
});

test("CoapServerEngine answers 4.08 for a missing Block1 block and drops the transfer", () => {
  const server = new CoapServerEngine();
  const whole = body(64);
  server.handleDatagram(blockRequest(1, slice(whole, 0, 0)), PEER, 0);
  assert.equal(onlyReply(server).code, CODE_CONTINUE);
  server.handleDatagram(blockRequest(2, slice(whole, 2, 0)), PEER, 1); // block 1 lost
  assert.equal(onlyReply(server).code, INCOMPLETE);
  server.handleDatagram(blockRequest(3, slice(whole, 1, 0)), PEER, 2);
  assert.equal(onlyReply(server).code, INCOMPLETE, "the broken transfer is gone: the client starts again at 0");
  server.handleDatagram(blockRequest(4, slice(whole, 3, 0)), PEER, 3);
  assert.equal(onlyReply(server).code, INCOMPLETE);
  noRequest(server, "no partial body");
  assert.equal(server.block1Transfers, 0);
});

test("CoapServerEngine answers 4.00 for a Block1 with SZX 7 and for a short block that is not the last", () => {
  const server = new CoapServerEngine();
  server.handleDatagram(blockRequest(1, { num: 0, more: true, szx: 7, payload: body(16) }), PEER, 0);
  assert.equal(onlyReply(server).code, BAD_REQUEST, "SZX 7, more");
  server.handleDatagram(blockRequest(2, { num: 0, more: false, szx: 7, payload: body(16) }), PEER, 0);
  assert.equal(onlyReply(server).code, BAD_REQUEST, "SZX 7, single block");
  server.handleDatagram(blockRequest(3, { num: 0, more: true, szx: 1, payload: body(20) }), PEER, 0);
  assert.equal(onlyReply(server).code, BAD_REQUEST, "20 bytes in a 32-byte block with more to come");
  noRequest(server, "none of them is executed");
  assert.equal(server.block1Transfers, 0);
});

test("CoapServerEngine answers 4.13 with Size1 when a Block1 body, an announced Size1 or a single datagram passes maxBodyBytes", () => {
  const server = new CoapServerEngine({ maxBodyBytes: 40 });
  const whole = body(64);
  server.handleDatagram(blockRequest(1, slice(whole, 0, 0)), PEER, 0);
  server.handleDatagram(blockRequest(2, slice(whole, 1, 0)), PEER, 0);
  assert.deepEqual(
    replies(server).map((r) => r.code),
    [CODE_CONTINUE, CODE_CONTINUE],
  );
  server.handleDatagram(blockRequest(3, slice(whole, 2, 0)), PEER, 0); // bytes 32..48
  const over = onlyReply(server);
  assert.equal(over.code, TOO_LARGE);
  assert.equal(uintOf(over, OptionNumber.SIZE1), 40, "Size1 says what fits");
  assert.equal(server.block1Transfers, 0, "the transfer is dropped");

  server.handleDatagram(blockRequest(4, { ...slice(whole, 0, 0), size1: 64 }), PEER, 0);
  const announced = onlyReply(server);
  assert.equal(announced.code, TOO_LARGE, "refused at the first block when Size1 says it will not fit");
  assert.equal(uintOf(announced, OptionNumber.SIZE1), 40);
  assert.equal(server.block1Transfers, 0);

  const single = encodeMessageToBytes({
    type: MessageType.CON,
    code: Method.POST,
    messageId: 5,
    token: Uint8Array.of(1),
    payload: body(41),
  });
  server.handleDatagram(single, PEER, 0);
  assert.equal(onlyReply(server).code, TOO_LARGE, "one datagram past the limit");
  noRequest(server, "nothing over the limit is executed");

  server.handleDatagram(blockRequest(6, { ...slice(body(40), 0, 1), size1: 40 }), PEER, 0);
  server.handleDatagram(blockRequest(7, slice(body(40), 1, 1)), PEER, 0);
  assert.equal(replies(server)[0]!.code, CODE_CONTINUE);
  assert.bytesEqual(server.pollEvent()!.payload, body(40), "exactly the limit is taken");
});

test("CoapServerEngine bounds Block1 transfers in progress (5.03 past the bound) and expires them on the clock", () => {
  const clock = new FakeClock(1000);
  const server = new CoapServerEngine({ block1Transfers: 2, block1TimeoutMs: 5000 });
  const whole = body(48);
  const peer = (port: number): Endpoint => ({ address: "127.0.0.1", port });
  server.handleDatagram(blockRequest(1, slice(whole, 0, 0)), peer(1), clock.now());
  clock.advance(1000);
  server.handleDatagram(blockRequest(1, slice(whole, 0, 0)), peer(2), clock.now());
  assert.equal(server.block1Transfers, 2);
  assert.equal(server.pollTimeout(), 6000, "the oldest transfer's expiry is the next deadline");
  server.handleDatagram(blockRequest(1, slice(whole, 0, 0)), peer(3), clock.now());
  const r = replies(server);
  assert.equal(r[2]!.code, UNAVAILABLE, "a third transfer is refused, the two open ones are kept");
  assert.equal(server.block1Transfers, 2);

  clock.advance(3000); // t = 5000: peer 1's next block refreshes it
  server.handleDatagram(blockRequest(2, slice(whole, 1, 0)), peer(1), clock.now());
  assert.equal(onlyReply(server).code, CODE_CONTINUE);
  assert.equal(server.pollTimeout(), 7000, "peer 2 expires first now");
  clock.set(7000);
  server.handleTimeout(clock.now());
  assert.equal(server.block1Transfers, 1, "peer 2's transfer expired");
  assert.equal(server.pollTimeout(), 10_000);
  server.handleDatagram(blockRequest(2, slice(whole, 1, 0)), peer(2), clock.now());
  assert.equal(onlyReply(server).code, INCOMPLETE, "an expired transfer cannot be continued");
  server.handleDatagram(blockRequest(3, slice(whole, 0, 0)), peer(3), clock.now());
  assert.equal(onlyReply(server).code, CODE_CONTINUE, "the freed place is taken");
  clock.set(10_000);
  server.handleTimeout(clock.now());
  assert.equal(server.block1Transfers, 1);
  clock.set(12_000);
  server.handleTimeout(clock.now());
  assert.equal(server.block1Transfers, 0);
  assert.equal(server.pollTimeout(), undefined, "nothing left to expire");
  noRequest(server, "no body was completed");
});

test("CoapServerEngine keys Block1 transfers by peer, resource and Request-Tag, not by token", () => {
  const server = new CoapServerEngine();
  const a = body(20);
  const b = body(20).map((x) => x ^ 0xff);
  server.handleDatagram(blockRequest(1, { ...slice(a, 0, 0), requestTag: 1 }), PEER, 0);
  server.handleDatagram(blockRequest(2, { ...slice(b, 0, 0), requestTag: 2 }), PEER, 0);
  assert.equal(server.block1Transfers, 2);
  server.handleDatagram(blockRequest(3, { ...slice(b, 1, 0), requestTag: 2 }), PEER, 0);
  server.handleDatagram(blockRequest(4, { ...slice(a, 1, 0), requestTag: 1 }), PEER, 0);
  const bodies: ServerRequest[] = [server.pollEvent()!, server.pollEvent()!];
  assert.bytesEqual(bodies[0]!.payload, b);
  assert.bytesEqual(bodies[1]!.payload, a);
});

test("CoapServerEngine takes a Block1 block sent again once: the same 2.31, the body not doubled", () => {
  const server = new CoapServerEngine();
  const whole = body(40);
  server.handleDatagram(blockRequest(1, slice(whole, 0, 0)), PEER, 0);
  const first = onlyReply(server);
  server.handleDatagram(blockRequest(1, slice(whole, 0, 0)), PEER, 10); // the same CON again (ACK lost)
  assert.bytesEqual(onlyReply(server).bytes, first.bytes, "answered from the deduplication table");
  server.handleDatagram(blockRequest(2, slice(whole, 1, 0)), PEER, 20);
  server.handleDatagram(blockRequest(3, slice(whole, 1, 0)), PEER, 30); // the same block under a new MID
  assert.deepEqual(
    replies(server).map((r) => [r.code, r.messageId]),
    [
      [CODE_CONTINUE, 2],
      [CODE_CONTINUE, 3],
    ],
  );
  server.handleDatagram(blockRequest(4, slice(whole, 2, 0)), PEER, 40);
  assert.bytesEqual(server.pollEvent()!.payload, whole);
  noRequest(server, "one body, once");
});

test("CoapServerEngine restarts a Block1 transfer at NUM 0 and accepts a smaller block size mid-way", () => {
  const server = new CoapServerEngine();
  const whole = body(80);
  server.handleDatagram(blockRequest(1, { num: 0, more: true, szx: 1, payload: body(32).fill(0xee) }), PEER, 0);
  server.handleDatagram(blockRequest(2, slice(whole, 0, 1)), PEER, 0); // start again: 32 bytes
  server.handleDatagram(blockRequest(3, slice(whole, 2, 0)), PEER, 0); // then 16-byte blocks from byte 32
  server.handleDatagram(blockRequest(4, slice(whole, 3, 0)), PEER, 0);
  server.handleDatagram(blockRequest(5, slice(whole, 4, 0)), PEER, 0);
  assert.deepEqual(
    replies(server).map((r) => r.code),
    [CODE_CONTINUE, CODE_CONTINUE, CODE_CONTINUE, CODE_CONTINUE],
  );
  assert.bytesEqual(server.pollEvent()!.payload, whole);
});

test("CoapServerEngine answers a one-block Block1 request (NUM 0, M 0) at once and echoes it", () => {
  const server = new CoapServerEngine();
  server.handleDatagram(blockRequest(1, { num: 0, more: false, szx: 2, payload: body(10) }), PEER, 0);
  const req = server.pollEvent();
  assert.ok(req);
  assert.bytesEqual(req.payload, body(10));
  assert.equal(server.block1Transfers, 0, "no state kept");
  server.respond(req.id, { code: CHANGED }, 0);
  assert.deepEqual(block1Of(onlyReply(server)), { num: 0, more: false, szx: 2 });
});

test("CoapServerEngine answers 5.03 to a last Block1 block past its pending bound and keeps the transfer for a retry", () => {
  const server = new CoapServerEngine({ maxPending: 1 });
  server.handleDatagram(
    encodeMessageToBytes({ type: MessageType.CON, code: Method.GET, messageId: 50, token: Uint8Array.of(5) }),
    { address: "127.0.0.1", port: 1 },
    0,
  );
  const busy = server.pollEvent()!;
  const whole = body(20);
  server.handleDatagram(blockRequest(1, slice(whole, 0, 0)), PEER, 0);
  server.handleDatagram(blockRequest(2, slice(whole, 1, 0)), PEER, 0);
  assert.deepEqual(
    replies(server).map((r) => r.code),
    [CODE_CONTINUE, UNAVAILABLE],
  );
  noRequest(server, "not while the server is full");
  server.respond(busy.id, { code: CHANGED }, 0);
  replies(server);
  server.handleDatagram(blockRequest(3, slice(whole, 1, 0)), PEER, 0);
  assert.bytesEqual(server.pollEvent()!.payload, whole, "the retried last block completes the body");
});

test("CoapServerEngine answers a Block1 upload with a Block2 answer: the first block echoes the last Block1, later blocks come from the cache", () => {
  const server = new CoapServerEngine({ maxBlockSize: 64 });
  const whole = body(20);
  server.handleDatagram(blockRequest(1, slice(whole, 0, 0)), PEER, 0);
  server.handleDatagram(blockRequest(2, slice(whole, 1, 0)), PEER, 0);
  const answer = body(100);
  server.respond(server.pollEvent()!.id, { code: CHANGED, payload: answer }, 0);
  const [, first] = replies(server);
  assert.deepEqual(block1Of(first!), { num: 1, more: false, szx: 0 });
  const b2 = findOption(first!, OptionNumber.BLOCK2)!;
  assert.equal(decodeBlock(first!.bytes, b2.offset, b2.length).more, true);
  // The next block is asked for with Block2 NUM 1 and no payload (libcoap keeps Size1 on it).
  const next = encodeMessageToBytes({
    type: MessageType.CON,
    code: Method.POST,
    messageId: 3,
    token: Uint8Array.of(7),
    options: [
      stringOption(OptionNumber.URI_PATH, "relay"),
      blockOption(OptionNumber.BLOCK2, { num: 1, more: false, szx: 2 }),
      uintOption(OptionNumber.SIZE1, 20),
    ],
  });
  server.handleDatagram(next, PEER, 0);
  const second = onlyReply(server);
  assert.bytesEqual(second.payload, answer.subarray(64));
  assert.equal(block1Of(second), undefined, "only the answer to the last block echoes Block1");
  noRequest(server, "served from the cache");
});
