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

/**
 * A link in memory: what the driver sent (decoded from a copy: the link is done with the bytes when send
 * returns, DatagramLink.send), and a way to deliver a datagram to it. `deliver` hands the driver one buffer it
 * reuses for every datagram, as a device's link does: what the driver keeps of a datagram must be a copy.
 */
class MemoryLink {
  readonly sent: DecodedMessage[] = [];
  #receiver: ((data: Uint8Array, from: Endpoint) => void) | undefined;
  #buffer = new ArrayBuffer(256);
  send(datagram: Uint8Array, to: Endpoint): void {
    assert.equal(to.port, PEER.port);
    this.sent.push(decodeMessage(datagram.slice())!);
  }
  onDatagram(receiver: (data: Uint8Array, from: Endpoint) => void): void {
    this.#receiver = receiver;
  }
  deliver(data: Uint8Array): void {
    if (data.length > this.#buffer.byteLength) this.#buffer = new ArrayBuffer(data.length);
    const view = new Uint8Array(this.#buffer, 0, data.length);
    view.set(data);
    this.#receiver!(view, PEER);
    view.fill(0xee); // the buffer is the link's again
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

function post(messageId: number, body: string): Uint8Array {
  return encodeMessageToBytes({
    type: MessageType.CON,
    code: Method.POST,
    messageId,
    token: Uint8Array.of(7, messageId & 0xff),
    options: [stringOption(OptionNumber.URI_PATH, "relay")],
    payload: utf8Encode(body),
  });
}

/** Lets queued promise jobs run (the driver serves past maxRequestsPerWake from one). */
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

test("CoapServerDriver hands a request to the handler within the datagram's call and sends its answer on the ACK", () => {
  const r = rig(answerAtOnce);
  r.link.deliver(get(11));
  assert.equal(r.seen.length, 1, "served inside the datagram's call: no promise job");
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

/**
 * A link whose `deliverNext` hands over the next datagram of `later` (from one buffer it reuses), called by a
 * handler: a datagram arriving while a handler runs. Kept shallow: the nested delivery runs above a handler,
 * above the first delivery, on the XS host's 512-slot stack.
 */
class LoopbackLink {
  readonly sent: Uint8Array[] = [];
  receiver: (data: Uint8Array, from: Endpoint) => void = () => {};
  next = 0;
  readonly #buffer = new Uint8Array(64);
  constructor(readonly later: readonly Uint8Array[]) {}
  send(datagram: Uint8Array): void {
    this.sent.push(datagram.slice());
  }
  deliverNext(): void {
    if (this.next < this.later.length) this.deliver(this.later[this.next++]!);
  }
  onDatagram(receiver: (data: Uint8Array, from: Endpoint) => void): void {
    this.receiver = receiver;
  }
  deliver(data: Uint8Array): void {
    const view = this.#buffer.subarray(0, data.length);
    view.set(data);
    this.receiver(view, PEER);
    view.fill(0xee); // the buffer is the link's again
  }
}

test("CoapServerDriver queues datagrams that arrive while a handler runs, serves maxRequestsPerWake at a time, the rest from jobs", async () => {
  const later: Uint8Array[] = [];
  for (let mid = 21; mid < 30; mid++) later.push(post(mid, `body ${mid}`));
  const link = new LoopbackLink(later);
  const clock = new FakeClock(1000);
  const bodies: string[] = [];
  const holder: { driver?: CoapServerDriver } = {};
  let inHandler = false;
  const answer = (req: ServerRequest): void => {
    assert.equal(inHandler, false, "a datagram delivered while a handler runs is not served inside it");
    inHandler = true;
    bodies.push(utf8Decode(req.payload));
    holder.driver!.respond(req, { code: CONTENT, payload: req.payload });
    link.deliverNext();
    inHandler = false;
  };
  holder.driver = new CoapServerDriver({ link, clock, timers: new FakeTimers(clock), handler: answer, maxRequestsPerWake: 3 });
  const first = post(20, "body 20");
  let served = 0;
  const deliverFirst = (): void => {
    link.deliver(first);
    served = bodies.length;
  };
  const firstJob = Promise.resolve().then(deliverFirst); // from a job: the nested deliveries need the stack
  await firstJob;
  assert.equal(served, 3, "one serving hands over three");
  assert.equal(bodies.length, 6, "the next three from the job it queued (which ran before this await)");
  await settle();
  await settle();
  assert.equal(bodies.length, 10);
  assert.equal(link.sent.length, 10);
  for (let i = 0; i < 10; i++) {
    assert.equal(bodies[i], `body ${20 + i}`, "a queued request kept its body, not the link's reused buffer");
    const m = decodeMessage(link.sent[i]!)!;
    assert.equal(m.messageId, 20 + i);
    assert.equal(utf8Decode(m.payload), `body ${20 + i}`);
  }
  assert.equal(holder.driver.pendingRequests, 0);
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
  const link = new LoopbackLink([get(51)]); // 50's handler delivers 51, queued behind it
  const clock = new FakeClock(1000);
  const seen: number[] = [];
  const holder: { driver?: CoapServerDriver } = {};
  const handler = (req: ServerRequest): void => {
    seen.push(req.id);
    holder.driver!.respond(req, { code: CONTENT });
    link.deliverNext();
    holder.driver!.close();
  };
  holder.driver = new CoapServerDriver({ link, clock, timers: new FakeTimers(clock), handler });
  const first = get(50);
  await Promise.resolve().then(() => link.deliver(first)); // from a job, as above
  await settle();
  assert.equal(seen.length, 1, "51 was queued, then the driver closed");
  assert.equal(link.sent.length, 1);
});

test("CoapServerDriver: a request is valid until answered; then its id is 0, a late respond is refused, and the object is reused", async () => {
  const r = rig(() => {});
  r.link.deliver(post(60, "first"));
  const first = r.seen[0]!;
  const id = first.id;
  assert.ok(id > 0);
  assert.equal(utf8Decode(first.payload), "first", "pending after its datagram's call: its body was copied");
  assert.equal(r.driver.respond(first, { code: CONTENT }), true);
  assert.equal(first.id, 0, "answered: describes no request");
  assert.equal(first.payload.length, 0);
  assert.equal(r.driver.respond(first, { code: CONTENT }), false, "a late answer finds nothing");
  r.driver.drop(first); // nor does a late drop
  r.link.deliver(post(61, "second"));
  const second = r.seen[1]!;
  assert.equal(second, first, "the engine's object, reused for the next request (ServerRequest says so)");
  assert.ok(second.id > id, "with an id of its own: ids are never reused");
  assert.equal(utf8Decode(second.payload), "second");
  assert.equal(r.driver.pendingRequests, 1);
  assert.equal(r.driver.respond(second, { code: CONTENT }), true);
  assert.equal(r.link.sent.length, 2);
  assert.equal(r.link.sent[1]!.messageId, 61);
  await settle();
});

test("CoapServerDriver: more requests at once than the engine's pending bound get 5.03; every accepted one is answered once, nothing lost", () => {
  const MAX = 4;
  const r = rig(() => {}, { engine: { maxPending: MAX } });
  for (let mid = 100; mid < 110; mid++) r.link.deliver(post(mid, `cmd ${mid}`));
  assert.equal(r.seen.length, MAX);
  assert.equal(r.driver.pendingRequests, MAX);
  assert.equal(r.link.sent.length, 10 - MAX);
  for (const m of r.link.sent) assert.equal(m.code, makeCode(5, 3));
  const held = r.seen.map((q) => ({ req: q, id: q.id, body: utf8Decode(q.payload) }));
  assert.equal(new Set(held.map((h) => h.req)).size, MAX, "one object per pending request");
  for (let i = MAX - 1; i >= 0; i--) {
    const h = held[i]!;
    assert.equal(h.req.id, h.id);
    assert.equal(utf8Decode(h.req.payload), `cmd ${100 + i}`);
    assert.equal(r.driver.respond(h.req, { code: CONTENT, payload: h.req.payload }), true);
  }
  const answers = r.link.sent.slice(10 - MAX);
  assert.deepEqual(
    answers.map((m) => [m.messageId, m.token[1], utf8Decode(m.payload)]),
    [103, 102, 101, 100].map((mid) => [mid, mid & 0xff, `cmd ${mid}`]),
  );
  // Many more, one at a time: the same few objects serve them all, each answered with its own MID and body.
  const r2 = rig((req, driver) => void driver.respond(req, { code: CONTENT, payload: req.payload }), { engine: { maxPending: MAX } });
  for (let mid = 200; mid < 300; mid++) r2.link.deliver(post(mid, `cmd ${mid}`));
  assert.equal(r2.link.sent.length, 100);
  for (let i = 0; i < 100; i++) {
    assert.equal(r2.link.sent[i]!.messageId, 200 + i);
    assert.equal(utf8Decode(r2.link.sent[i]!.payload), `cmd ${200 + i}`);
  }
  assert.equal(new Set(r2.seen).size, 1, "answered within its call, each request took the same object");
});
