// DtlsClientDriver on a virtual clock over a model of the C core's client session (no sockets, no mbedtls):
// handshake then data both ways, deadline-driven retransmission, close_notify once on close, a cancelled
// attempt releasing everything, bounded events per wake-up and a failure reported once. Runtime-neutral: runs
// on Node and on the XS test host, so both hosts' client links (thin subclasses) are held to it.
import { test, assert, FakeClock, FakeTimers } from "../harness/index.js";
import { LinkReceivers } from "../../src/link/link-receivers.js";
import { DTLS_CLIENT_MAX_EVENTS, DtlsClientDriver } from "../../src/link/dtls-client-driver.js";
import { Attempt, type ConnectAttempt } from "../../src/link/reconnecting-link.js";
import type { DatagramLink, Endpoint } from "../../src/ports.js";
import { utf8Decode, utf8Encode } from "../../src/utf8.js";
import { FAKE_HELLO_SENDS, FAKE_MAX_PAYLOAD, FAKE_RTO_MS, FakeDtlsClient } from "./fake-dtls-client.fixture.js";

const SERVER: Endpoint = { address: "192.0.2.1", port: 5684 };

/** The socket side: what the driver sent, and a way to receive as if from a peer. */
class MemorySocket extends LinkReceivers implements DatagramLink {
  readonly maxDatagramSize = 1500;
  readonly sent: string[] = [];
  closed = 0;
  send(datagram: Uint8Array, to: Endpoint): void {
    assert.deepEqual(to, SERVER, "records go to the peer only");
    this.sent.push(utf8Decode(datagram));
  }
  close(): void {
    this.closed++;
  }
  receive(text: string, from: Endpoint = SERVER): void {
    this.deliver(utf8Encode(text), from);
  }
  break(error: Error): void {
    this.fail(error, undefined);
  }
}

/** A host's link as both hosts write theirs: the driver with a session handed in. */
class TestLink extends DtlsClientDriver<FakeDtlsClient> {
  connect(attempt?: ConnectAttempt): Promise<void> {
    return this.handshake(attempt);
  }
}

function setup(maxEventsPerWake?: number) {
  const clock = new FakeClock(1000);
  const timers = new FakeTimers(clock);
  const socket = new MemorySocket();
  const session = new FakeDtlsClient();
  const link = new TestLink({
    raw: socket,
    peer: SERVER,
    session,
    clock,
    timers,
    ...(maxEventsPerWake === undefined ? {} : { maxEventsPerWake }),
  });
  const received: string[] = [];
  const errors: string[] = [];
  link.onDatagram((d, from) => received.push(`${from.port}:${utf8Decode(d)}`));
  link.onError((e) => errors.push((e as { code?: string }).code ?? e.message));
  return { clock, timers, socket, session, link, received, errors };
}

/** How a promise settled, once the pending jobs have run. */
function outcome(p: Promise<void>): { state: string } {
  const o = { state: "pending" };
  p.then(
    () => void (o.state = "resolved"),
    (e: { code?: string }) => void (o.state = `rejected:${e.code ?? String(e)}`),
  );
  return o;
}

async function settled(): Promise<void> {
  for (let i = 0; i < 4; i++) await null;
}

async function connected(s: ReturnType<typeof setup>): Promise<void> {
  const o = outcome(s.link.connect());
  s.socket.receive("flight");
  await settled();
  assert.equal(o.state, "resolved");
}

test("DtlsClientDriver: the handshake resolves on the server's flight, then data goes both ways", async () => {
  const s = setup();
  const o = outcome(s.link.connect());
  assert.deepEqual(s.socket.sent, ["hello"]);
  assert.equal(s.link.maxDatagramSize, 0, "nothing fits before the handshake");
  s.socket.receive("flight");
  await settled();
  assert.equal(o.state, "resolved");
  assert.deepEqual(s.socket.sent, ["hello", "finished"]);
  assert.equal(s.link.maxDatagramSize, FAKE_MAX_PAYLOAD);
  assert.equal(s.link.suite, "TLS-PSK-WITH-AES-128-CCM-8");
  s.link.send(utf8Encode("GET /"), SERVER);
  assert.equal(s.socket.sent.at(-1), "enc:GET /");
  s.socket.receive("enc:2.05");
  s.socket.receive("enc:spoofed", { address: "192.0.2.66", port: 5684 });
  s.socket.receive("enc:spoofed", { address: "192.0.2.1", port: 5685 });
  assert.deepEqual(s.received, ["5684:2.05"], "datagrams from elsewhere never reach the session");
  assert.equal(s.timers.armed, 0, "a connected session with nothing pending holds no timer");
  assert.deepEqual(s.errors, []);
});

test("DtlsClientDriver: the session's deadline drives retransmission; the flight stops it", async () => {
  const s = setup();
  const o = outcome(s.link.connect());
  s.timers.runUntil(s.clock.now() + FAKE_RTO_MS - 1);
  assert.deepEqual(s.socket.sent, ["hello"], "nothing before the deadline");
  s.timers.runUntil(s.clock.now() + 1);
  assert.deepEqual(s.socket.sent, ["hello", "hello"], "retransmitted at the deadline");
  s.timers.runUntil(s.clock.now() + 2 * FAKE_RTO_MS);
  assert.deepEqual(s.socket.sent, ["hello", "hello", "hello"], "at the doubled deadline");
  s.socket.receive("flight");
  await settled();
  assert.equal(o.state, "resolved");
  assert.equal(s.timers.armed, 0);
  s.timers.runUntil(s.clock.now() + 60_000);
  assert.equal(s.socket.sent.filter((d) => d === "hello").length, 3);
});

test("DtlsClientDriver.close sends close_notify once, frees the session and closes the socket; twice is safe", async () => {
  const s = setup();
  await connected(s);
  s.link.close();
  s.link.close();
  assert.equal(s.socket.sent.filter((d) => d === "close_notify").length, 1);
  assert.equal(s.socket.sent.at(-1), "close_notify", "close_notify leaves before the socket closes");
  assert.equal(s.session.freed, 1);
  assert.equal(s.socket.closed, 1);
  assert.equal(s.link.maxDatagramSize, 0);
  s.link.send(utf8Encode("late"), SERVER);
  s.socket.receive("enc:late");
  assert.equal(s.socket.sent.at(-1), "close_notify", "nothing is sent after close()");
  assert.deepEqual(s.received, [], "nothing is delivered after close()");
  assert.deepEqual(s.errors, []);
  assert.equal(s.timers.armed, 0);
});

test("DtlsClientDriver: a cancelled attempt rejects with dtls.closed and releases socket, session and timer", async () => {
  const s = setup();
  const attempt = new Attempt();
  const o = outcome(s.link.connect(attempt));
  assert.equal(s.timers.armed, 1, "the retransmission timer is armed");
  attempt.cancel();
  await settled();
  assert.equal(o.state, "rejected:dtls.closed");
  assert.equal(s.session.freed, 1);
  assert.equal(s.socket.closed, 1);
  assert.equal(s.timers.armed, 0);
  assert.deepEqual(s.socket.sent, ["hello"], "no close_notify before the handshake is done");
  s.socket.receive("flight");
  assert.deepEqual(s.errors, [], "the failure went to the attempt, not to onError");

  const early = setup();
  const gone = new Attempt();
  gone.cancel();
  const o2 = outcome(early.link.connect(gone));
  await settled();
  assert.equal(o2.state, "rejected:dtls.closed");
  assert.equal(early.session.starts, 0, "an attempt cancelled already never starts a handshake");
  assert.equal(early.socket.closed, 1);
});

test("DtlsClientDriver handles at most DTLS_CLIENT_MAX_EVENTS events per wake-up; the rest follow on a zero-delay wake-up", async () => {
  const s = setup();
  await connected(s);
  s.socket.receive(`burst:${DTLS_CLIENT_MAX_EVENTS * 2 + 5}`);
  assert.equal(s.received.length, DTLS_CLIENT_MAX_EVENTS);
  assert.equal(s.timers.armed, 1);
  s.timers.runUntil(s.clock.now(), 1);
  assert.equal(s.received.length, 2 * DTLS_CLIENT_MAX_EVENTS);
  s.timers.runUntil(s.clock.now(), 1);
  assert.equal(s.received.length, 2 * DTLS_CLIENT_MAX_EVENTS + 5);
  assert.equal(s.timers.armed, 0);
  const small = setup(3);
  await connected(small);
  small.link.onDatagram((d) => small.link.send(utf8Encode(`ack ${utf8Decode(d)}`), SERVER));
  small.socket.receive("burst:7");
  assert.deepEqual(small.socket.sent.slice(2), ["enc:ack b0", "enc:ack b1", "enc:ack b2"], "maxEventsPerWake bounds it, answers included");
  small.timers.runUntil(small.clock.now(), 1);
  assert.equal(small.socket.sent.length, 2 + 6);
});

test("DtlsClientDriver: a failed handshake is reported once, through the attempt, after its alert left", async () => {
  const s = setup();
  const o = outcome(s.link.connect());
  s.socket.receive("alert:dtls.bad_psk");
  await settled();
  assert.equal(o.state, "rejected:dtls.bad_psk");
  assert.deepEqual(s.socket.sent, ["hello", "alert"]);
  assert.deepEqual(s.errors, []);
  assert.equal(s.session.freed, 1);
  assert.equal(s.socket.closed, 1);
  assert.equal(s.timers.armed, 0);

  const t = setup();
  const o2 = outcome(t.link.connect());
  t.timers.runUntil(t.clock.now() + 100 * FAKE_RTO_MS);
  await settled();
  assert.equal(o2.state, "rejected:dtls.handshake_timeout");
  assert.equal(t.socket.sent.filter((d) => d === "hello").length, FAKE_HELLO_SENDS);
  assert.deepEqual(t.errors, []);
  assert.equal(t.timers.armed, 0);
});

test("DtlsClientDriver: the end of a connected session goes to onError once and closes the link", async () => {
  const s = setup();
  await connected(s);
  s.socket.receive("close_notify");
  s.socket.receive("alert:dtls.fatal_alert");
  s.link.close();
  assert.deepEqual(s.errors, ["dtls.peer_closed"]);
  assert.equal(s.session.freed, 1);
  assert.equal(s.socket.closed, 1);
  assert.equal(s.socket.sent.filter((d) => d === "close_notify").length, 0, "the peer closed: nothing to answer");

  const t = setup();
  await connected(t);
  t.link.send(utf8Encode("x".repeat(FAKE_MAX_PAYLOAD + 1)), SERVER);
  t.link.send(utf8Encode("ok"), { address: "192.0.2.9", port: 5684 });
  assert.deepEqual(t.errors, ["dtls.datagram_too_big", "dtls.bad_argument"], "misuse is the caller's, the link stays up");
  t.link.send(utf8Encode("ok"), SERVER);
  assert.equal(t.socket.sent.at(-1), "enc:ok");
  t.socket.break(new Error("ENETDOWN"));
  assert.deepEqual(t.errors, ["dtls.datagram_too_big", "dtls.bad_argument", "ENETDOWN"]);
});
