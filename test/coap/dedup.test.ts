/**
 * The deduplication table (RFC 7252 §4.5) as a preallocated table with one reply arena: the same reply for
 * a duplicate, expiry after EXCHANGE_LIFETIME, the bound on entries, and what happens when a reply cannot
 * be kept (arena full, oversize answer): its duplicates are left unanswered and never re-executed.
 */
import { test, assert, onNode, Prng } from "../harness/index.js";
import { DedupTable } from "../../src/coap/_dedup.js";
import {
  CoapServerEngine,
  MessageType,
  Method,
  OptionNumber,
  encodeMessageToBytes,
  makeCode,
  stringOption,
  utf8Encode,
} from "../../src/coap/index.js";

const PEER = { address: "127.0.0.1", port: 40000 };
const CHANGED = makeCode(2, 4);

function command(messageId: number): Uint8Array {
  return encodeMessageToBytes({
    type: MessageType.CON,
    code: Method.POST,
    messageId,
    token: Uint8Array.of(messageId & 0xff, 9),
    options: [stringOption(OptionNumber.URI_PATH, "relay")],
    payload: utf8Encode('{"state":"on"}'),
  });
}

function sentBytes(server: CoapServerEngine): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let t = server.pollTransmit(); t !== undefined; t = server.pollTransmit()) out.push(t.bytes);
  return out;
}

/** Delivers MID `mid`, answers it with `payloadBytes` of payload; returns the reply sent. */
function answered(server: CoapServerEngine, mid: number, payloadBytes: number, now: number): Uint8Array {
  server.handleDatagram(command(mid), PEER, now);
  const req = server.pollEvent();
  assert.ok(req, `MID ${mid} reaches the application`);
  assert.equal(server.respond(req.id, { code: CHANGED, payload: new Uint8Array(payloadBytes).fill(mid & 0xff) }, now), true);
  const [reply] = sentBytes(server);
  assert.ok(reply);
  return reply;
}

test("DedupTable: a kept reply comes back byte for byte for its (peer, MID), not for another port or address", () => {
  const t = new DedupTable(4, 1000, 64);
  t.keep(PEER, 7, Uint8Array.of(1, 2, 3), 0);
  const s = t.find(PEER, 7, 10);
  assert.ok(s >= 0);
  assert.bytesEqual(t.replyFor(s)!, [1, 2, 3]);
  assert.equal(t.find({ address: PEER.address, port: 40001 }, 7, 10), -1);
  assert.equal(t.find({ address: "127.0.0.2", port: PEER.port }, 7, 10), -1);
  assert.equal(t.find(PEER, 8, 10), -1);
});

test("DedupTable: an entry expires after the lifetime and the table holds at most `capacity`", () => {
  const t = new DedupTable(3, 1000, 64);
  t.record(PEER, 1, 0);
  assert.ok(t.find(PEER, 1, 999) >= 0);
  assert.equal(t.find(PEER, 1, 1000), -1, "gone at EXCHANGE_LIFETIME");
  for (let mid = 10; mid < 15; mid++) t.record(PEER, mid, 2000);
  assert.equal(t.size, 3);
  assert.equal(t.find(PEER, 11, 2000), -1, "the oldest are evicted");
  assert.ok(t.find(PEER, 12, 2000) >= 0 && t.find(PEER, 14, 2000) >= 0);
});

test("DedupTable: sizes are checked once, at construction", () => {
  assert.throws(() => new DedupTable(0, 1000, 64), { code: "coap.bad_dedup" });
  assert.throws(() => new DedupTable(4, 1000, 2), { code: "coap.bad_dedup" });
  assert.equal(new DedupTable(4, 1000, 64).maxReplyBytes, 60);
});

test("DedupTable: under random reply sizes the arena never hands back wrong bytes; the newest reply is always kept", () => {
  const prng = new Prng(13_7252);
  const t = new DedupTable(16, 1_000_000, 300);
  const expected = new Map<number, Uint8Array>();
  const rounds = onNode ? 20_000 : 2_000;
  let lost = 0;
  for (let i = 0; i < rounds; i++) {
    const mid = i & 0xffff;
    const reply = prng.bytes(prng.below(120));
    reply[0] = i & 0xff;
    t.keep(PEER, mid, reply, i);
    expected.set(mid, reply);
    expected.delete((i - 16) & 0xffff); // evicted by capacity
    const newest = t.find(PEER, mid, i);
    assert.ok(newest >= 0);
    assert.bytesEqual(t.replyFor(newest)!, reply, `reply ${i}`);
    for (const [m, bytes] of expected) {
      const s = t.find(PEER, m, i);
      assert.ok(s >= 0, `MID ${m} is still recorded`);
      const got = t.replyFor(s);
      if (got === undefined) lost++;
      else assert.bytesEqual(got, bytes, `MID ${m} at round ${i}`);
    }
  }
  assert.ok(lost > 0 && t.lost === lost, `some replies were dropped for room and counted (seed ${prng.seed})`);
});

test("CoapServerEngine: a duplicate whose reply was dropped from a full arena is not answered and not executed again", () => {
  // Each reply here is 4 + 2 (token) + 1 + 40 = 47 bytes, 51 with its record header: 2 fit in 110 bytes.
  const server = new CoapServerEngine({ dedupEntries: 8, dedupReplyBytes: 110 });
  const first = answered(server, 1, 40, 0);
  const second = answered(server, 2, 40, 10);
  server.handleDatagram(command(1), PEER, 20);
  assert.bytesEqual(sentBytes(server)[0]!, first, "kept while it fits");
  const third = answered(server, 3, 40, 30); // drops the oldest reply (MID 1) for room
  server.handleDatagram(command(1), PEER, 40);
  assert.equal(sentBytes(server).length, 0, "the duplicate of MID 1 gets no answer (not a 5.03: it was carried out)");
  assert.equal(server.pollEvent(), undefined, "and it is not handed to the application again");
  assert.equal(server.lostReplies, 1);
  server.handleDatagram(command(2), PEER, 50);
  server.handleDatagram(command(3), PEER, 60);
  const again = sentBytes(server);
  assert.equal(again.length, 2);
  assert.bytesEqual(again[0]!, second);
  assert.bytesEqual(again[1]!, third);
});

test("CoapServerEngine: an answer larger than the whole arena is sent once; its duplicates are not answered nor executed", () => {
  const server = new CoapServerEngine({ dedupEntries: 8, dedupReplyBytes: 40 });
  const small = answered(server, 1, 10, 0);
  answered(server, 2, 100, 10); // oversize: cannot be kept
  server.handleDatagram(command(2), PEER, 20);
  assert.equal(sentBytes(server).length, 0);
  assert.equal(server.pollEvent(), undefined);
  assert.equal(server.lostReplies, 1);
  server.handleDatagram(command(1), PEER, 30);
  assert.bytesEqual(sentBytes(server)[0]!, small, "the smaller reply kept before it is untouched");
});

test("DedupTable: a lazy table (a client engine's) behaves the same from its first entry on", () => {
  const t = new DedupTable(2, 1000, 32, true);
  assert.equal(t.find(PEER, 1, 0), -1, "nothing before the first entry");
  t.keep(PEER, 1, Uint8Array.of(0x60, 0, 0, 1), 0);
  t.keep(PEER, 2, Uint8Array.of(0x60, 0, 0, 2), 0);
  t.record(PEER, 3, 0);
  assert.equal(t.find(PEER, 1, 10), -1, "bounded at capacity");
  assert.bytesEqual(t.replyFor(t.find(PEER, 2, 10))!, [0x60, 0, 0, 2]);
  assert.equal(t.replyFor(t.find(PEER, 3, 10)), undefined);
});
