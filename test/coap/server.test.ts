import { test, assert, onNode } from "../harness/index.js";
import {
  CoapServerEngine,
  MessageType,
  Method,
  OptionNumber,
  decodeMessage,
  decodeBlock,
  encodeMessageToBytes,
  findOption,
  optionValue,
  readUint,
  stringOption,
  uintOption,
  blockOption,
  makeCode,
  type DecodedMessage,
  type ServerTransmit,
  utf8Encode,
  utf8Decode,
} from "../../src/coap/index.js";

const PEER = { address: "127.0.0.1", port: 40000 };
const CREATED = makeCode(2, 1);

interface RequestShape {
  type?: number;
  path?: string;
  block2?: number;
  extra?: { number: number; value: Uint8Array }[];
}

function request(messageId: number, options: RequestShape = {}): Uint8Array {
  const opts = [
    ...(options.path ?? "idp/introspect").split("/").map((s) => stringOption(OptionNumber.URI_PATH, s)),
    uintOption(OptionNumber.CONTENT_FORMAT, 50),
    ...(options.block2 === undefined ? [] : [blockOption(OptionNumber.BLOCK2, { num: options.block2, more: false, szx: 2 })]),
    ...(options.extra ?? []),
  ];
  return encodeMessageToBytes({
    type: (options.type ?? MessageType.CON) as MessageType,
    code: Method.POST,
    messageId,
    token: Uint8Array.of(1, 2, messageId & 0xff),
    options: opts,
    payload: utf8Encode('{"token":"t"}'),
  });
}

function sent(server: CoapServerEngine): (ServerTransmit & { m: DecodedMessage })[] {
  const out = [];
  for (let t = server.pollTransmit(); t !== undefined; t = server.pollTransmit()) out.push({ ...t, m: decodeMessage(t.bytes)! });
  return out;
}

test("CoapServerEngine piggybacks the answer on the ACK with the request's token", () => {
  const server = new CoapServerEngine();
  server.handleDatagram(request(7), PEER, 0);
  const req = server.pollEvent();
  assert.ok(req);
  assert.equal(req.path, "idp/introspect");
  assert.equal(req.contentFormat, 50);
  assert.equal(utf8Decode(req.payload), '{"token":"t"}');
  assert.equal(server.respond(req.id, { code: CREATED, contentFormat: 50, payload: utf8Encode('{"active":false}') }, 1), true);
  const [reply] = sent(server);
  assert.ok(reply);
  assert.equal(reply.m.type, MessageType.ACK);
  assert.equal(reply.m.messageId, 7);
  assert.equal(reply.m.code, CREATED);
  assert.bytesEqual(reply.m.token, [1, 2, 7]);
  assert.equal(utf8Decode(reply.m.payload), '{"active":false}');
  assert.equal(server.respond(req.id, { code: CREATED }, 2), false, "a request is answered once");
});

test("CoapServerEngine answers a retransmitted CON from its deduplication table, not the application", () => {
  const server = new CoapServerEngine();
  server.handleDatagram(request(9), PEER, 0);
  server.handleDatagram(request(9), PEER, 100); // duplicate while pending: ignored
  const req = server.pollEvent();
  assert.ok(req);
  assert.equal(server.pollEvent(), undefined);
  assert.equal(sent(server).length, 0);
  server.respond(req.id, { code: CREATED }, 200);
  const first = sent(server);
  server.handleDatagram(request(9), PEER, 3000);
  const again = sent(server);
  assert.equal(server.pollEvent(), undefined);
  assert.equal(again.length, 1);
  assert.bytesEqual(again[0]!.bytes, first[0]!.bytes);
});

test("CoapServerEngine serves a large answer block by block with Block2, ETag and Size2", () => {
  const server = new CoapServerEngine({ maxBlockSize: 64 });
  const body = new Uint8Array(150).map((_, i) => i);
  server.handleDatagram(request(1), PEER, 0);
  server.respond(server.pollEvent()!.id, { code: CREATED, contentFormat: 50, payload: body }, 0);
  const received: number[] = [];
  let etag: Uint8Array | undefined;
  let last = false;
  for (let num = 0; num < 10 && !last; num++) {
    if (num > 0) server.handleDatagram(request(100 + num, { block2: num }), PEER, 10);
    assert.equal(server.pollEvent(), undefined, "later blocks come from the cache");
    const [reply] = sent(server);
    assert.ok(reply);
    const b2 = findOption(reply.m, OptionNumber.BLOCK2)!;
    const block = decodeBlock(reply.m.bytes, b2.offset, b2.length);
    const tag = optionValue(reply.m, findOption(reply.m, OptionNumber.ETAG)!);
    if (etag === undefined) {
      etag = tag;
      const size2 = findOption(reply.m, OptionNumber.SIZE2)!;
      assert.equal(readUint(reply.m.bytes, size2.offset, size2.length), 150);
    } else assert.bytesEqual(tag, etag);
    received.push(...reply.m.payload);
    last = !block.more;
  }
  assert.ok(last, "the last block says no more");
  assert.bytesEqual(Uint8Array.from(received), body);
});

test("CoapServerEngine honours a smaller block size asked by the client", () => {
  const server = new CoapServerEngine({ maxBlockSize: 512 });
  server.handleDatagram(request(1, { block2: 0 }), PEER, 0); // szx 2: 64 bytes
  server.respond(server.pollEvent()!.id, { code: CREATED, payload: new Uint8Array(100) }, 0);
  const [reply] = sent(server);
  assert.equal(reply!.m.payload.length, 64);
});

test("CoapServerEngine rejects a malformed CON with RST and an unknown critical option with 4.02", () => {
  const server = new CoapServerEngine();
  server.handleDatagram(Uint8Array.of(0x40, 0x02, 0x12, 0x34, 0xf0), PEER, 0); // delta nibble 15 without marker
  const [rst] = sent(server);
  assert.equal(rst!.m.type, MessageType.RST);
  assert.equal(rst!.m.messageId, 0x1234);
  server.handleDatagram(request(5, { extra: [{ number: 9, value: Uint8Array.of(1) }] }), PEER, 0);
  const [bad] = sent(server);
  assert.equal(bad!.m.code, makeCode(4, 2));
  assert.equal(server.pollEvent(), undefined);
  server.handleDatagram(Uint8Array.of(0x50, 0x02, 0x12, 0x34, 0xf0), PEER, 0); // malformed NON: ignored
  assert.equal(sent(server).length, 0);
});

test("CoapServerEngine answers 5.03 past its bound of pending requests", () => {
  const server = new CoapServerEngine({ maxPending: 2 });
  for (let mid = 1; mid <= 3; mid++) server.handleDatagram(request(mid), PEER, 0);
  assert.ok(server.pollEvent());
  assert.ok(server.pollEvent());
  assert.equal(server.pollEvent(), undefined);
  const [busy] = sent(server);
  assert.equal(busy!.m.code, makeCode(5, 3));
  assert.equal(busy!.m.messageId, 3);
});

test("CoapServerEngine answers a NON request with a NON response", () => {
  const server = new CoapServerEngine();
  server.handleDatagram(request(11, { type: MessageType.NON }), PEER, 0);
  server.respond(server.pollEvent()!.id, { code: CREATED }, 0);
  const [reply] = sent(server);
  assert.equal(reply!.m.type, MessageType.NON);
  assert.bytesEqual(reply!.m.token, [1, 2, 11]);
});

test("CoapServerEngine: NON responses carry message IDs of their own, unique over a 16-bit cycle, never the request's", () => {
  // The whole cycle on Node; on XS (~0.4 ms a response) past 32,768, where IDs shared with request ids repeated.
  const responses = onNode ? 0x10000 : 33_000;
  const server = new CoapServerEngine();
  const seen = new Uint8Array(0x10000 / 8); // a bitmap: a Set of 65,536 numbers would not fit the XS test heap
  let distinct = 0;
  // Every request has message ID 11: a server that echoed it, or reused its own, would repeat at once.
  for (let i = 0; i < responses; i++) {
    server.handleDatagram(
      request(11 + ((i & 1) << 8), { type: MessageType.NON, path: `p${i & 0xff}` }),
      { ...PEER, port: 40000 + (i % 300) },
      i * 200,
    );
    const ev = server.pollEvent();
    assert.ok(ev, `request ${i} delivered`);
    server.respond(ev.id, { code: CREATED }, i * 200);
    const [reply] = sent(server);
    assert.equal(reply!.m.type, MessageType.NON);
    const id = reply!.m.messageId;
    if ((seen[id >> 3]! & (1 << (id & 7))) !== 0) assert.fail(`NON message ID ${id} repeated after ${i} responses`);
    seen[id >> 3]! |= 1 << (id & 7);
    distinct++;
  }
  assert.equal(distinct, responses);
});

test("CoapServerEngine: a request's body is a copy, unless handled in place; detach() copies what still reads the datagram", () => {
  const server = new CoapServerEngine();
  const copied = request(0x300);
  server.handleDatagram(copied, PEER, 0);
  copied.fill(0);
  const a = server.pollEvent()!;
  assert.equal(utf8Decode(a.payload), '{"token":"t"}', "copied by default: the caller's buffer is free at once");
  const inPlace = request(0x301);
  server.handleDatagram(inPlace, PEER, 0, true);
  const b = server.pollEvent()!;
  assert.equal(b.bytes, inPlace, "read in place from the datagram");
  assert.equal(utf8Decode(inPlace, b.payloadStart), '{"token":"t"}');
  server.detach();
  assert.ok(b.bytes !== inPlace, "detached: a copy of its own");
  inPlace.fill(0);
  assert.equal(utf8Decode(b.payload), '{"token":"t"}');
  assert.equal(b.payloadStart, 0);
  assert.equal(server.respond(b.id, { code: CREATED }, 0), true);
  assert.equal(server.respond(a.id, { code: CREATED }, 0), true);
  assert.deepEqual(
    sent(server).map((t) => t.m.messageId),
    [0x301, 0x300],
  );
});

test("CoapServerEngine: polled replies are the caller's to keep; transmit's send must be done with its bytes when it returns", () => {
  const server = new CoapServerEngine();
  const answer = (id: number, text: string): void => void server.respond(id, { code: CREATED, payload: utf8Encode(text) }, 0);
  server.handleDatagram(request(0x310), PEER, 0);
  server.handleDatagram(request(0x311), PEER, 0);
  const [a, b] = [server.pollEvent()!, server.pollEvent()!];
  answer(a.id, "first");
  answer(b.id, "other"); // queued while the first waits: the two replies do not share bytes
  assert.deepEqual(
    sent(server).map((t) => utf8Decode(t.m.payload)),
    ["first", "other"],
  );
  // transmit: a send that kept the bytes (against DatagramLink.send) would see them written again.
  const kept: Uint8Array[] = [];
  const copies: string[] = [];
  const keep = (bytes: Uint8Array): void => {
    kept.push(bytes);
    copies.push(utf8Decode(decodeMessage(bytes.slice())!.payload));
  };
  for (let mid = 0x320; mid < 0x322; mid++) {
    server.handleDatagram(request(mid), PEER, 0);
    answer(server.pollEvent()!.id, mid === 0x320 ? "AAAAA" : "BBBBB");
    server.transmit({ send: keep });
  }
  assert.deepEqual(copies, ["AAAAA", "BBBBB"], "each reply was whole when handed to send");
  assert.equal(utf8Decode(decodeMessage(kept[0]!)!.payload), "BBBBB", "the reply buffer is reused: keeping it is a link's bug");
});
