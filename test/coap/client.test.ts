/**
 * CoapClient (the port-driven driver) over a fake link, fake timers and a FakeClock: a full
 * request, retransmission through timers, AbortSignal-like cancellation, queue full, close.
 */
import { test, assert, FakeClock } from "../harness/index.js";
import type { DatagramLink, Endpoint, TimerHandle, Timers } from "../../src/ports.js";
import { CoapClient, MessageType, decodeMessage, encodeMessageToBytes, type DecodedMessage } from "../../src/coap/index.js";
import { seededRandom, bytesOf } from "./virtual.fixture.js";

class FakeLink implements DatagramLink {
  readonly maxDatagramSize = 1152;
  readonly sent: { m: DecodedMessage; to: Endpoint }[] = [];
  receiver: (d: Uint8Array, from: Endpoint) => void = () => {};
  closed = 0;
  send(datagram: Uint8Array, to: Endpoint): void {
    const m = decodeMessage(datagram.slice());
    if (m !== null) this.sent.push({ m, to });
  }
  onDatagram(r: (d: Uint8Array, from: Endpoint) => void): void {
    this.receiver = r;
  }
  onError(): void {}
  close(): void {
    this.closed++;
  }
}

class FakeTimers implements Timers {
  readonly pending: { at: number; fn: () => void; live: boolean }[] = [];
  constructor(readonly clock: FakeClock) {}
  schedule(delayMs: number, callback: () => void): TimerHandle {
    const t = { at: this.clock.now() + delayMs, fn: callback, live: true };
    this.pending.push(t);
    return { cancel: () => void (t.live = false) };
  }
  /** Runs due timers up to `until`, advancing the clock. */
  runUntil(until: number): void {
    for (let guard = 0; guard < 1000; guard++) {
      const live = this.pending.filter((t) => t.live).sort((a, b) => a.at - b.at);
      const next = live[0];
      if (next === undefined || next.at > until) break;
      next.live = false;
      this.clock.set(Math.max(this.clock.now(), next.at));
      next.fn();
    }
    this.clock.set(Math.max(this.clock.now(), until));
  }
}

function setup(): { clock: FakeClock; link: FakeLink; timers: FakeTimers; client: CoapClient } {
  const clock = new FakeClock(1000);
  const link = new FakeLink();
  const timers = new FakeTimers(clock);
  const client = new CoapClient(link, { clock, timers, random: seededRandom(3, 0) });
  return { clock, link, timers, client };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

test("CoapClient sends the URL's options, retransmits on its timer and resolves with the response", async () => {
  const { link, timers, client } = setup();
  const p = client.request({ method: "POST", url: "coap://127.0.0.1:5690/idp/introspect", contentFormat: 50, accept: 50, payload: "{}" });
  await flush();
  assert.equal(link.sent.length, 1);
  const first = link.sent[0]!;
  assert.deepEqual(first.to, { address: "127.0.0.1", port: 5690 });
  assert.deepEqual(
    first.m.options.map((o) => o.number),
    [11, 11, 12, 17],
  );
  timers.runUntil(3000);
  assert.equal(link.sent.length, 2, "one retransmission after 2 s");
  link.receiver(
    encodeMessageToBytes({
      type: MessageType.ACK,
      code: 0x41,
      messageId: first.m.messageId,
      token: first.m.token,
      payload: bytesOf('{"active":false}'),
    }),
    first.to,
  );
  const r = await p;
  assert.equal(r.code, "2.01");
  assert.equal(r.text(), '{"active":false}');
  client.close();
  client.close();
  assert.equal(link.closed, 1);
});

test("CoapClient cancels through an AbortSignal-like object", async () => {
  const { client } = setup();
  let listener: (() => void) | undefined;
  const signal = {
    aborted: false,
    addEventListener: (_t: "abort", l: () => void) => void (listener = l),
    removeEventListener: () => void (listener = undefined),
  };
  const p = client.request({ method: "GET", url: "coap://127.0.0.1/x", signal });
  await flush();
  signal.aborted = true;
  listener?.();
  await assert.rejects(p, { code: "coap.cancelled" });
  assert.equal(listener, undefined, "listener removed");
  await assert.rejects(client.request({ method: "GET", url: "coap://127.0.0.1/x", signal }), { code: "coap.cancelled" });
});

test("CoapClient times out a request with timeoutMs and rejects host names without a resolver", async () => {
  const { timers, client } = setup();
  const p = client.request({ method: "GET", url: "coap://127.0.0.1/x", timeoutMs: 500 });
  await flush();
  timers.runUntil(2000);
  await assert.rejects(p, { code: "coap.timeout" });
  await assert.rejects(client.request({ method: "GET", url: "coap://example.net/x" }), { code: "coap.unresolved_host" });
  await assert.rejects(client.request({ method: "GET", url: "http://x/" }), { code: "coap.bad_uri" });
});

test("CoapClient reports a full queue and fails pending requests on close", async () => {
  const clock = new FakeClock();
  const link = new FakeLink();
  const client = new CoapClient(
    link,
    { clock, timers: new FakeTimers(clock), random: seededRandom(1) },
    { maxQueued: 1, baseUrl: "coap://127.0.0.1" },
  );
  const a = client.request({ method: "GET", path: "/a" });
  const b = client.request({ method: "GET", path: "/b" });
  const c = client.request({ method: "GET", path: "/c" });
  await assert.rejects(c, { code: "coap.queue_full" });
  client.close();
  await assert.rejects(a, { code: "coap.closed" });
  await assert.rejects(b, { code: "coap.closed" });
});
