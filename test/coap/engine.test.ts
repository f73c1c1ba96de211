/**
 * The exchange engine on a virtual clock: retransmission schedule, piggybacked and separate
 * responses, duplicates, RST, NON, NSTART queue, cancellation, timeouts, tokens and MIDs.
 */
import { test, assert, FakeClock } from "../harness/index.js";
import {
  MessageType,
  Method,
  OptionNumber,
  encodeMessageToBytes,
  stringOption,
  maxTransmitWait,
  transmissionParams,
  CoapExchangeError,
} from "../../src/coap/index.js";
import { SERVER, ack, bytesOf, deliver, drain, events, newEngine, one, seededRandom } from "./virtual.fixture.js";
import { CoapClientEngine } from "../../src/coap/index.js";

const GET_TEMP = { peer: SERVER, code: Method.GET, options: [stringOption(OptionNumber.URI_PATH, "temperature")] };

test("a CON is retransmitted at 2, 6, 14, 30 s and fails at 62 s with zero jitter (ACK_TIMEOUT 2 s, MAX_RETRANSMIT 4)", () => {
  const clock = new FakeClock();
  const engine = new CoapClientEngine({ random: seededRandom(1, 0) });
  engine.submit(GET_TEMP, clock.now());
  const first = one(drain(engine));
  const sentAt: number[] = [0];
  for (let i = 0; i < 10 && engine.pending > 0; i++) {
    const at = engine.pollTimeout();
    if (at === undefined) return assert.fail("no timeout while pending");
    clock.set(at);
    engine.handleTimeout(clock.now());
    for (const m of drain(engine)) {
      assert.equal(m.messageId, first.messageId);
      assert.bytesEqual(m.token, first.token);
      sentAt.push(clock.now());
    }
  }
  assert.deepEqual(sentAt, [0, 2000, 6000, 14000, 30000]);
  assert.equal(clock.now(), 62000);
  const e = one(events(engine));
  assert.equal(e.kind === "error" && e.error.code, "coap.timeout");
});

test("the first timeout lies in [ACK_TIMEOUT, ACK_TIMEOUT * 1.5] and intervals double", () => {
  for (const constant of [0, 0x80, 0xff]) {
    const engine = new CoapClientEngine({ random: seededRandom(1, constant) });
    engine.submit(GET_TEMP, 0);
    drain(engine);
    const t0 = engine.pollTimeout() ?? -1;
    assert.equal(t0 >= 2000 && t0 <= 3000, true, `first timeout ${t0}`);
    engine.handleTimeout(t0);
    assert.equal(one(drain(engine)).type, MessageType.CON);
    assert.equal((engine.pollTimeout() ?? 0) - t0, 2 * t0);
  }
  assert.equal(maxTransmitWait(transmissionParams()), 93000);
});

test("transmission parameters are configurable", () => {
  const engine = new CoapClientEngine({ random: seededRandom(1, 0), params: { ackTimeoutMs: 100, maxRetransmit: 2 } });
  engine.submit(GET_TEMP, 0);
  drain(engine);
  const times: number[] = [];
  for (let t = engine.pollTimeout(); t !== undefined; t = engine.pollTimeout()) {
    engine.handleTimeout(t);
    times.push(t);
    drain(engine);
  }
  assert.deepEqual(times, [100, 300, 700]);
  assert.equal(one(events(engine)).kind, "error");
});

test("a piggybacked response completes the request once and stops retransmission", () => {
  const engine = newEngine();
  const id = engine.submit(GET_TEMP, 0);
  const req = one(drain(engine));
  assert.equal(req.type, MessageType.CON);
  assert.equal(req.token.length, 4);
  const answer = ack(req, 0x45, [], bytesOf("22.3 C"));
  deliver(engine, answer, 10);
  deliver(engine, answer, 11); // duplicate ACK: ignored
  const e = one(events(engine));
  if (e.kind !== "response") return assert.fail("expected a response");
  assert.equal(e.id, id);
  assert.equal(e.response.code, "2.05");
  assert.equal(e.response.codeNumber, 0x45);
  assert.equal(e.response.text(), "22.3 C");
  assert.equal(engine.pollTimeout(), undefined);
  assert.equal(drain(engine).length, 0);
});

test("a piggybacked response with the wrong token or from another endpoint is ignored", () => {
  const engine = newEngine();
  engine.submit(GET_TEMP, 0);
  const req = one(drain(engine));
  deliver(engine, encodeMessageToBytes({ type: 2, code: 0x45, messageId: req.messageId, token: Uint8Array.of(1, 2, 3) }), 1);
  deliver(engine, ack(req, 0x45), 1, { address: "192.0.2.9", port: 5683 });
  assert.equal(events(engine).length, 0);
  assert.equal(engine.pending, 1);
});

test("separate response: empty ACK stops retransmission, the CON response is ACKed, its duplicate gets the same ACK and is delivered once", () => {
  const clock = new FakeClock();
  const engine = newEngine();
  engine.submit(GET_TEMP, clock.now());
  const req = one(drain(engine));
  deliver(engine, encodeMessageToBytes({ type: MessageType.ACK, code: 0, messageId: req.messageId }), clock.advance(5));
  const wait = engine.pollTimeout();
  assert.equal(wait, 5 + 93000);
  clock.advance(20000);
  engine.handleTimeout(clock.now());
  assert.equal(drain(engine).length, 0, "no retransmission after the empty ACK");
  const response = encodeMessageToBytes({
    type: MessageType.CON,
    code: 0x45,
    messageId: 0x23bb,
    token: req.token,
    payload: bytesOf("22.5 C"),
  });
  deliver(engine, response, clock.advance(1));
  const ack1 = one(drain(engine));
  assert.deepEqual([ack1.type, ack1.code, ack1.messageId], [MessageType.ACK, 0, 0x23bb]);
  const e = one(events(engine));
  assert.equal(e.kind === "response" && e.response.text(), "22.5 C");
  deliver(engine, response, clock.advance(1000));
  const ack2 = one(drain(engine));
  assert.deepEqual([ack2.type, ack2.messageId], [MessageType.ACK, 0x23bb]);
  assert.equal(events(engine).length, 0, "a duplicate is not delivered again");
});

test("a separate response that never comes fails with coap.timeout after responseTimeoutMs", () => {
  const engine = newEngine({ params: { responseTimeoutMs: 5000 } });
  engine.submit(GET_TEMP, 0);
  const req = one(drain(engine));
  deliver(engine, encodeMessageToBytes({ type: MessageType.ACK, code: 0, messageId: req.messageId }), 10);
  engine.handleTimeout(5009);
  assert.equal(events(engine).length, 0);
  engine.handleTimeout(5010);
  const e = one(events(engine));
  assert.equal(e.kind === "error" && e.error.code, "coap.timeout");
});

test("a RST to our request fails it with coap.reset", () => {
  const engine = newEngine();
  engine.submit(GET_TEMP, 0);
  const req = one(drain(engine));
  deliver(engine, encodeMessageToBytes({ type: MessageType.RST, code: 0, messageId: req.messageId }), 3);
  const e = one(events(engine));
  if (e.kind !== "error") return assert.fail("expected an error");
  assert.equal(e.error.code, "coap.reset");
  assert.equal(e.error.fault, "peer");
  assert.equal(e.error instanceof CoapExchangeError, true);
});

test("an unexpected CON (unknown token, ping or request) is answered with RST; an unexpected NON is dropped", () => {
  const engine = newEngine();
  deliver(engine, encodeMessageToBytes({ type: MessageType.CON, code: 0x45, messageId: 77, token: Uint8Array.of(9) }), 0);
  deliver(engine, encodeMessageToBytes({ type: MessageType.CON, code: 0, messageId: 78 }), 0);
  deliver(engine, encodeMessageToBytes({ type: MessageType.CON, code: 1, messageId: 79 }), 0);
  deliver(engine, encodeMessageToBytes({ type: MessageType.NON, code: 0x45, messageId: 80, token: Uint8Array.of(9) }), 0);
  deliver(engine, Uint8Array.of(0x40, 0x01, 0x00, 0x51, 0xf0), 0); // malformed CON
  const out = drain(engine);
  assert.deepEqual(
    out.map((m) => [m.type, m.messageId]),
    [
      [3, 77],
      [3, 78],
      [3, 79],
      [3, 81],
    ],
  );
  assert.equal(engine.stats.formatErrors, 1);
});

test("a response with an unknown critical option is rejected (RST for a CON) and fails the request", () => {
  const engine = newEngine();
  engine.submit(GET_TEMP, 0);
  const req = one(drain(engine));
  deliver(
    engine,
    encodeMessageToBytes({
      type: MessageType.CON,
      code: 0x45,
      messageId: 5,
      token: req.token,
      options: [{ number: 9, value: Uint8Array.of(1) }],
    }),
    1,
  );
  assert.equal(one(drain(engine)).type, MessageType.RST);
  const e = one(events(engine));
  assert.equal(e.kind === "error" && e.error.code, "coap.unknown_critical_option");
});

test("unknown elective options in a response are kept", () => {
  const engine = newEngine();
  engine.submit(GET_TEMP, 0);
  const req = one(drain(engine));
  deliver(engine, ack(req, 0x45, [{ number: 65000, value: Uint8Array.of(7) }]), 1);
  const e = one(events(engine));
  if (e.kind !== "response") return assert.fail("expected a response");
  assert.bytesEqual(e.response.option(65000) ?? new Uint8Array(0), [7]);
});

test("NON requests go out as NON and take a NON response", () => {
  const engine = newEngine();
  engine.submit({ ...GET_TEMP, confirmable: false }, 0);
  const req = one(drain(engine));
  assert.equal(req.type, MessageType.NON);
  deliver(engine, encodeMessageToBytes({ type: MessageType.NON, code: 0x45, messageId: 1000, token: req.token, payload: bytesOf("x") }), 2);
  assert.equal(drain(engine).length, 0);
  assert.equal(one(events(engine)).kind, "response");
});

test("MIDs count up from a random start; tokens are fresh, 4 bytes by default, configurable to 8", () => {
  const engine = newEngine({ params: { nstart: 8 } });
  const mids: number[] = [];
  const tokens = new Set<string>();
  for (let i = 0; i < 8; i++) engine.submit(GET_TEMP, 0);
  for (const m of drain(engine)) {
    mids.push(m.messageId);
    tokens.add(Array.from(m.token).join(","));
    assert.equal(m.token.length, 4);
  }
  for (let i = 1; i < mids.length; i++) assert.equal(mids[i], (mids[0]! + i) & 0xffff);
  assert.equal(tokens.size, 8);
  const e8 = newEngine({ tokenLength: 8 });
  e8.submit(GET_TEMP, 0);
  assert.equal(one(drain(e8)).token.length, 8);
  assert.throws(() => newEngine({ tokenLength: 9 }), { code: "coap.bad_token_length" });
});

test("tokens are never reused while recent, even from a random source that repeats", () => {
  let n = 0;
  const repeating = {
    fill(b: Uint8Array): void {
      for (let i = 0; i < b.length; i++) b[i] = (n >> 1) & 3;
      n++;
    },
  };
  const engine = new CoapClientEngine({ random: repeating, tokenLength: 1, params: { nstart: 3 } });
  for (let i = 0; i < 3; i++) engine.submit(GET_TEMP, 0);
  const tokens = drain(engine).map((m) => m.token[0]);
  assert.equal(new Set(tokens).size, tokens.length);
});

test("NSTART 1: a second request to the same peer waits; other peers do not", () => {
  const engine = newEngine();
  const a = engine.submit(GET_TEMP, 0);
  engine.submit(GET_TEMP, 0);
  engine.submit({ ...GET_TEMP, peer: { address: "192.0.2.2", port: 5683 } }, 0);
  const sent = drain(engine);
  assert.equal(sent.length, 2);
  deliver(engine, ack(sent[0]!, 0x45), 1);
  const e = one(events(engine));
  assert.equal(e.id, a);
  assert.equal(one(drain(engine)).type, MessageType.CON, "the queued request starts");
});

test("a full queue rejects with coap.queue_full", () => {
  const engine = newEngine({ maxQueued: 2 });
  engine.submit(GET_TEMP, 0);
  engine.submit(GET_TEMP, 0);
  engine.submit(GET_TEMP, 0);
  assert.throws(() => engine.submit(GET_TEMP, 0), { code: "coap.queue_full", instanceOf: CoapExchangeError });
  assert.equal(engine.pending, 3);
});

test("cancel fails an active request with coap.cancelled and starts the next queued one", () => {
  const engine = newEngine();
  const a = engine.submit(GET_TEMP, 0);
  const b = engine.submit(GET_TEMP, 0);
  const first = one(drain(engine));
  assert.equal(engine.cancel(a, 5), true);
  const e = one(events(engine));
  assert.deepEqual([e.id, e.kind === "error" && e.error.code], [a, "coap.cancelled"]);
  const second = one(drain(engine));
  assert.notEqual(second.messageId, first.messageId);
  deliver(engine, ack(first, 0x45), 6); // late answer to the cancelled one: ignored
  assert.equal(events(engine).length, 0);
  assert.equal(engine.cancel(b, 7), true);
  assert.equal(engine.cancel(b, 8), false);
});

test("a per-request timeout fails the request even while it is queued", () => {
  const engine = newEngine();
  engine.submit(GET_TEMP, 0);
  const queued = engine.submit({ ...GET_TEMP, timeoutMs: 1500 }, 0);
  drain(engine);
  assert.equal(engine.pollTimeout(), 1500);
  engine.handleTimeout(1500);
  const e = one(events(engine));
  assert.deepEqual([e.id, e.kind === "error" && e.error.code], [queued, "coap.timeout"]);
});

test("the dedup table is bounded", () => {
  const engine = newEngine({ dedupEntries: 4 });
  for (let mid = 0; mid < 100; mid++)
    deliver(engine, encodeMessageToBytes({ type: MessageType.CON, code: 0x45, messageId: mid, token: Uint8Array.of(1) }), mid);
  assert.equal(drain(engine).length, 100);
});
