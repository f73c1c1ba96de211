// ReconnectingLink on its own (runtime-neutral: Node and the XS test host), with links and connectors the
// test controls and, for the reset after unanswered requests, a real CoapClient on virtual timers.
import { test, assert, FakeClock } from "../harness/index.js";
import { ReconnectingLink, type ConnectAttempt } from "../../src/link/reconnecting-link.js";
import { LinkReceivers } from "../../src/link/link-receivers.js";
import { CoapClient } from "../../src/coap/index.js";
import { CoapIntrospectionTransport } from "../../src/idp/coap-transport.js";
import type { DatagramLink, Endpoint, TimerHandle, Timers } from "../../src/ports.js";
import { seededRandom } from "../coap/virtual.fixture.js";

const PEER: Endpoint = { address: "192.0.2.7", port: 5684 };

/** A link the test drives: records what is sent, delivers and fails on the test's word. */
class ScriptedLink extends LinkReceivers implements DatagramLink {
  readonly maxDatagramSize = 1024;
  readonly sent: string[] = [];
  closed = false;
  send(datagram: Uint8Array, _to: Endpoint): void {
    this.sent.push(String.fromCharCode(...datagram));
  }
  close(): void {
    this.closed = true;
  }
  receive(text: string): void {
    this.deliver(bytes(text), PEER);
  }
  break(error: Error): void {
    this.fail(error, PEER);
  }
}

/** A connector whose attempts the test settles by hand. */
class ManualConnector {
  readonly attempts: { attempt: ConnectAttempt; resolve: (l: DatagramLink) => void; reject: (e: Error) => void }[] = [];
  readonly connect = (attempt: ConnectAttempt): Promise<DatagramLink> =>
    new Promise((resolve, reject) => this.attempts.push({ attempt, resolve, reject }));
}

function bytes(text: string): Uint8Array {
  const b = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i);
  return b;
}

const turn = (): Promise<void> => Promise.resolve().then(() => undefined);
/** Starts `work` from a promise job, at the bottom of the stack, as a device's verification runs (512 XS slots). */
const fromJob = <T>(work: () => Promise<T>): Promise<T> => Promise.resolve().then(work);

test("ReconnectingLink: sends while connecting wait in a bounded queue (oldest dropped) and leave in order on connect", async () => {
  const c = new ManualConnector();
  const link = new ReconnectingLink(c.connect, { maxDatagramSize: 1024, maxQueued: 2 });
  link.send(bytes("one"), PEER);
  const buffer = bytes("two");
  link.send(buffer, PEER);
  buffer.set(bytes("XXX")); // the caller may reuse its buffer once send returns
  link.send(bytes("three"), PEER);
  assert.equal(c.attempts.length, 1, "one connection attempt for all three sends");
  assert.equal(link.connected, false);
  const l = new ScriptedLink();
  c.attempts[0]!.resolve(l);
  await turn();
  assert.deepEqual(l.sent, ["two", "three"], "the queue kept the newest two, in order, as sent");
  assert.equal(link.connected, true);
  link.send(bytes("four"), PEER);
  assert.deepEqual(l.sent, ["two", "three", "four"], "connected: straight through");
  assert.equal(link.connections, 1);
});

test("ReconnectingLink: a failed link is forgotten, its error passed on once, and the next send connects again; an old link is ignored", async () => {
  const c = new ManualConnector();
  const link = new ReconnectingLink(c.connect, { maxDatagramSize: 1024 });
  const got: string[] = [];
  const errors: string[] = [];
  link.onDatagram((d) => got.push(String.fromCharCode(...d)));
  link.onError((e) => errors.push(e.message));
  link.send(bytes("a"), PEER);
  const first = new ScriptedLink();
  c.attempts[0]!.resolve(first);
  await turn();
  first.receive("answer-1");
  first.break(new Error("peer closed"));
  assert.deepEqual(errors, ["peer closed"]);
  assert.equal(first.closed, true, "the failed link is closed");
  assert.equal(link.connected, false);
  // The stale link guard: what the old link still reports reaches no one.
  first.receive("late");
  first.break(new Error("late error"));
  assert.deepEqual(got, ["answer-1"]);
  assert.deepEqual(errors, ["peer closed"]);
  link.send(bytes("b"), PEER);
  assert.equal(c.attempts.length, 2, "the next send connects again");
  const second = new ScriptedLink();
  c.attempts[1]!.resolve(second);
  await turn();
  assert.deepEqual(second.sent, ["b"]);
  second.receive("answer-2");
  assert.deepEqual(got, ["answer-1", "answer-2"]);
  assert.equal(link.connections, 2);
  // reset(): the caller's word, same effect
  link.reset();
  assert.equal(second.closed, true);
  second.receive("after reset");
  assert.deepEqual(got, ["answer-1", "answer-2"]);
});

test("ReconnectingLink: a failed attempt drops the queue and reports; close() cancels an attempt in progress and closes a link that arrives late", async () => {
  const c = new ManualConnector();
  const link = new ReconnectingLink(c.connect, { maxDatagramSize: 1024 });
  const errors: string[] = [];
  link.onError((e) => errors.push(e.message));
  link.send(bytes("a"), PEER);
  c.attempts[0]!.reject(new Error("handshake timeout"));
  await turn();
  await turn();
  assert.deepEqual(errors, ["handshake timeout"]);
  link.send(bytes("b"), PEER);
  const pending = c.attempts[1]!;
  let cancelled = 0;
  pending.attempt.onCancel(() => cancelled++);
  assert.equal(pending.attempt.cancelled, false);
  link.close();
  assert.equal(pending.attempt.cancelled, true, "close() cancels the attempt in progress");
  assert.equal(cancelled, 1);
  let lateListener = 0;
  pending.attempt.onCancel(() => lateListener++);
  assert.equal(lateListener, 1, "a listener added after the cancellation runs at once");
  const late = new ScriptedLink();
  pending.resolve(late);
  await turn();
  assert.equal(late.closed, true, "a link that arrives after close() is closed, not used");
  assert.equal(link.connected, false);
  link.send(bytes("c"), PEER);
  assert.equal(c.attempts.length, 2, "a closed link never connects again");
  assert.deepEqual(errors, ["handshake timeout"], "nothing reported after close()");
});

/** Virtual timers: `advance(ms)` moves the clock and fires what is due, in order. */
class VirtualTimers implements Timers {
  readonly #pending: { at: number; fn: () => void; cancelled: boolean }[] = [];
  constructor(readonly clock: FakeClock) {}
  schedule(delayMs: number, fn: () => void): TimerHandle {
    const t = { at: this.clock.now() + delayMs, fn, cancelled: false };
    this.#pending.push(t);
    return { cancel: () => (t.cancelled = true) };
  }
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (let guard = 0; guard < 10_000; guard++) {
      this.#pending.sort((a, b) => a.at - b.at);
      const next = this.#pending.find((t) => !t.cancelled && t.at <= end);
      if (next === undefined) break;
      this.#pending.splice(this.#pending.indexOf(next), 1);
      this.clock.advance(Math.max(0, next.at - this.clock.now()));
      next.fn();
      await turn();
    }
    this.clock.advance(end - this.clock.now());
  }
}

test("after N confirmable requests without any answer the transport resets the link once, and the next request reconnects", async () => {
  const clock = new FakeClock(0);
  const timers = new VirtualTimers(clock);
  const c = new ManualConnector();
  const link = new ReconnectingLink(c.connect, { maxDatagramSize: 1024 });
  const client = new CoapClient(
    link,
    { clock, timers, random: seededRandom(7) },
    {
      baseUrl: `coap://${PEER.address}:${PEER.port}`,
      params: { ackTimeoutMs: 100, ackRandomFactor: 1, maxRetransmit: 1, nstart: 1 },
    },
  );
  let resets = 0;
  const transport = new CoapIntrospectionTransport(client, {
    deadAfterTimeouts: 2,
    onDead: () => {
      resets++;
      link.reset();
    },
  });
  const post = { contentFormat: 50 as const, accept: 50 as const, timeoutMs: 10_000, maxAnswerBytes: 1024 };
  const silent = new ScriptedLink(); // a DTLS server that restarted: it answers nothing to the old session
  const first = fromJob(() => transport.post("/idp/introspect", bytes("{}"), post));
  await turn();
  c.attempts[0]!.resolve(silent);
  await turn();
  assert.equal(silent.sent.length, 1, "the first CON went out on the connected link");
  await timers.advance(1_000);
  await assert.rejects(first, { code: "coap.timeout" });
  assert.equal(resets, 0, "one unanswered request is not yet a dead link");
  assert.equal(silent.sent.length, 2, "one retransmission (maxRetransmit 1)");
  const second = fromJob(() => transport.post("/idp/introspect", bytes("{}"), post));
  await turn();
  await timers.advance(1_000);
  await assert.rejects(second, { code: "coap.timeout" });
  assert.equal(resets, 1, "the second unanswered request resets the link");
  assert.equal(silent.closed, true, "the dead link is closed");
  assert.equal(c.attempts.length, 1);
  const third = fromJob(() => transport.post("/idp/introspect", bytes("{}"), post));
  await turn();
  assert.equal(c.attempts.length, 2, "the next request starts a new connection");
  client.close();
  await assert.rejects(third, { code: "coap.closed" });
});
