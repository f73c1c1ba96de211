import { test, assert, FakeClock, FakeTimers } from "../harness/index.js";
import {
  CoapServerDriver,
  blockOption,
  MessageType,
  Method,
  OptionNumber,
  decodeMessage,
  encodeMessageToBytes,
  makeCode,
  stringOption,
  utf8Decode,
  utf8Encode,
  type CoapServerDriverOptions,
  type DecodedMessage,
  type ServerRequest,
} from "../../src/coap/index.js";
import type { Endpoint } from "../../src/ports.js";

const CONTENT = makeCode(2, 5);
/** The one peer of these tests (the driver keys nothing by it; the engine's tables do). */
const PEER: Endpoint = { address: "192.0.2.7", port: 40000 };

/** A link in memory: what the driver sent, and a way to deliver a datagram to it. */
class MemoryLink {
  readonly sent: DecodedMessage[] = [];
  #receiver: ((data: Uint8Array, from: Endpoint) => void) | undefined;
  send(datagram: Uint8Array, to: Endpoint): void {
    assert.equal(to.port, PEER.port);
    this.sent.push(decodeMessage(datagram)!);
  }
  onDatagram(receiver: (data: Uint8Array, from: Endpoint) => void): void {
    this.#receiver = receiver;
  }
  deliver(data: Uint8Array): void {
    this.#receiver!(data, PEER);
  }
}

function get(messageId: number, type = MessageType.CON, block2?: number): Uint8Array {
  const path = stringOption(OptionNumber.URI_PATH, "relay");
  return encodeMessageToBytes({
    type,
    code: Method.GET,
    messageId,
    token: Uint8Array.of(9, messageId & 0xff),
    options: block2 === undefined ? [path] : [path, blockOption(OptionNumber.BLOCK2, { num: block2, more: false, szx: 0 })],
  });
}

/** Lets queued promise jobs run (the driver serves from one). */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await Promise.resolve();
}

interface Rig {
  readonly link: MemoryLink;
  readonly clock: FakeClock;
  readonly timers: FakeTimers;
  readonly driver: CoapServerDriver;
  readonly seen: ServerRequest[];
}

function rig(handle: (req: ServerRequest, driver: CoapServerDriver) => void, extra: Partial<CoapServerDriverOptions> = {}): Rig {
  const link = new MemoryLink();
  const clock = new FakeClock(1000);
  const timers = new FakeTimers(clock);
  const seen: ServerRequest[] = [];
  const holder: { driver?: CoapServerDriver } = {};
  const driver = new CoapServerDriver({
    link,
    clock,
    timers,
    handler: (req) => {
      seen.push(req);
      handle(req, holder.driver!);
    },
    ...extra,
  });
  holder.driver = driver;
  return { link, clock, timers, driver, seen };
}

const answerAtOnce = (req: ServerRequest, driver: CoapServerDriver): void =>
  void driver.respond(req, { code: CONTENT, contentFormat: 50, payload: utf8Encode(`{"path":"${req.path}"}`) });

test("CoapServerDriver hands a request to the handler from a job and sends its answer on the ACK", async () => {
  const r = rig(answerAtOnce);
  r.link.deliver(get(11));
  assert.equal(r.seen.length, 0, "not served inside the datagram's call");
  await settle();
  assert.equal(r.seen.length, 1);
  assert.equal(r.seen[0]!.path, "relay");
  assert.equal(r.link.sent.length, 1);
  const ack = r.link.sent[0]!;
  assert.equal(ack.type, MessageType.ACK);
  assert.equal(ack.messageId, 11);
  assert.equal(ack.code, CONTENT);
  assert.bytesEqual(ack.token, [9, 11]);
  assert.equal(utf8Decode(ack.payload), '{"path":"relay"}');
  assert.equal(r.driver.pendingRequests, 0);
});

test("CoapServerDriver sends an answer given later, once", async () => {
  const r = rig(() => {});
  r.link.deliver(get(12));
  await settle();
  assert.equal(r.seen.length, 1);
  assert.equal(r.link.sent.length, 0);
  assert.equal(r.driver.pendingRequests, 1);
  r.clock.advance(300);
  assert.equal(r.driver.respond(r.seen[0]!, { code: CONTENT }), true);
  assert.equal(r.link.sent.length, 1);
  assert.equal(r.link.sent[0]!.messageId, 12);
  assert.equal(r.driver.respond(r.seen[0]!, { code: CONTENT }), false, "a request is answered once");
  assert.equal(r.link.sent.length, 1);
});

test("CoapServerDriver answers a retransmitted CON from the deduplication table, not the handler", async () => {
  const r = rig(() => {});
  r.link.deliver(get(13));
  await settle();
  r.link.deliver(get(13)); // while pending: nothing to say yet
  await settle();
  assert.equal(r.link.sent.length, 0);
  r.driver.respond(r.seen[0]!, { code: CONTENT, payload: utf8Encode("on") });
  r.link.deliver(get(13)); // after the answer: the same answer again, within the datagram's call
  assert.equal(r.link.sent.length, 2);
  assert.equal(r.link.sent[1]!.messageId, 13);
  assert.equal(utf8Decode(r.link.sent[1]!.payload), "on");
  await settle();
  assert.equal(r.seen.length, 1, "the handler saw the request once");
});

test("CoapServerDriver arms one timer for the engine's deadline and expires its block cache on it", async () => {
  const body = "0123456789abcdef0123456789abcdef0123"; // 36 bytes: three 16-byte blocks
  const r = rig((req, driver) => void driver.respond(req, { code: CONTENT, payload: utf8Encode(body) }), {
    engine: { exchangeLifetimeMs: 1000, maxBlockSize: 16 },
  });
  assert.equal(r.timers.armed, 0);
  r.link.deliver(get(14));
  await settle();
  assert.equal(r.link.sent.length, 1);
  assert.equal(r.link.sent[0]!.payload.length, 16, "the first block");
  assert.equal(r.timers.armed, 1, "the cached answer's expiry");
  r.timers.runUntil(1999);
  r.link.deliver(get(15, MessageType.CON, 1));
  await settle();
  assert.equal(r.seen.length, 1, "block 1 from the cache before the lifetime ends");
  assert.equal(utf8Decode(r.link.sent[1]!.payload), body.slice(16, 32));
  r.timers.runUntil(2001);
  assert.equal(r.timers.armed, 0, "expired on the timer: nothing left to wait for");
  r.link.deliver(get(16, MessageType.CON, 2));
  await settle();
  assert.equal(r.seen.length, 2, "after expiry a later block is a new request to the handler");
});

test("CoapServerDriver hands at most maxRequestsPerWake requests per job, then the rest in later jobs", async () => {
  const r = rig(answerAtOnce, { maxRequestsPerWake: 3 });
  for (let mid = 20; mid < 30; mid++) r.link.deliver(get(mid));
  await Promise.resolve();
  assert.equal(r.seen.length, 3, "one wake-up serves three");
  await settle();
  await settle();
  assert.equal(r.seen.length, 10);
  assert.equal(r.link.sent.length, 10);
});

test("CoapServerDriver drops a request unanswered and answers a handler that throws with 5.00", async () => {
  const r = rig((req, driver) => {
    if (req.path !== "relay") return;
    if (r.seen.length === 1) driver.drop(req);
    else throw new Error("handler bug");
  });
  r.link.deliver(get(31));
  await settle();
  assert.equal(r.link.sent.length, 0);
  assert.equal(r.driver.pendingRequests, 0);
  r.link.deliver(get(32));
  await settle();
  assert.equal(r.link.sent.length, 1);
  assert.equal(r.link.sent[0]!.code, makeCode(5, 0));
});

test("CoapServerDriver after close ignores datagrams and answers and keeps no timer", async () => {
  const r = rig(() => {}, { engine: { maxBlockSize: 16 } });
  r.link.deliver(get(40));
  await settle();
  r.link.deliver(get(42)); // a second request, answered with a block-wise answer: a cache entry and its timer
  await settle();
  r.driver.respond(r.seen[1]!, { code: CONTENT, payload: new Uint8Array(40) });
  assert.equal(r.timers.armed, 1);
  r.driver.close();
  r.driver.close(); // twice is fine
  assert.equal(r.driver.closed, true);
  assert.equal(r.timers.armed, 0);
  assert.equal(r.driver.respond(r.seen[0]!, { code: CONTENT }), false);
  const sent = r.link.sent.length;
  r.link.deliver(get(41));
  r.link.deliver(get(42, MessageType.CON, 1));
  await settle();
  assert.equal(r.seen.length, 2);
  assert.equal(r.link.sent.length, sent);
  assert.equal(r.driver.pendingRequests, 1, "the engine took nothing after close");
});

test("CoapServerDriver does not serve requests queued before close", async () => {
  const r = rig(answerAtOnce);
  r.link.deliver(get(50));
  r.driver.close();
  await settle();
  assert.equal(r.seen.length, 0);
  assert.equal(r.link.sent.length, 0);
});
