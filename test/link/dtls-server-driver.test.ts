// DtlsServerDriver on a virtual clock over a model of the C core's multi-peer server (no sockets, no
// mbedtls): cookie-first admission, least-recently-heard eviction, idle expiry, close_notify on close,
// bounded event handling and bounded refusal logging. Runtime-neutral: runs on Node and on the XS test host.
import { test, assert, FakeClock, FakeTimers } from "../harness/index.js";
import { LinkReceivers } from "../../src/link/link-receivers.js";
import { DtlsServerDriver, type DtlsServerDriverOptions } from "../../src/link/dtls-server-driver.js";
import { REFUSAL_LOG_INTERVAL_MS } from "../../src/link/refusal-tally.js";
import type { DatagramLink, Endpoint } from "../../src/ports.js";
import { utf8Decode, utf8Encode } from "../../src/utf8.js";
import { FAKE_HANDSHAKE_DEADLINE_MS, FakeDtlsServer } from "./fake-dtls-server.fixture.js";

/** The socket side: what the driver sent, and a way to receive as if from a peer. */
const SENT_KEPT = 64;

class MemorySocket extends LinkReceivers implements DatagramLink {
  readonly maxDatagramSize = 1500;
  /** The last SENT_KEPT datagrams sent: a log of every one would be the suite's memory, not the driver's (XS runs it in a device's budget). */
  readonly sent: { text: string; to: string }[] = [];
  closed = false;
  send(datagram: Uint8Array, to: Endpoint): void {
    if (this.sent.length === SENT_KEPT) this.sent.shift();
    this.sent.push({ text: utf8Decode(datagram), to: `${to.address}:${to.port}` });
  }
  close(): void {
    this.closed = true;
  }
  receive(text: string, from: Endpoint): void {
    this.deliver(utf8Encode(text), from);
  }
  /** What went to `peer`, in order. */
  to(peer: Endpoint): string[] {
    return this.sent.filter((s) => s.to === `${peer.address}:${peer.port}`).map((s) => s.text);
  }
}

function peer(n: number): Endpoint {
  return { address: "192.0.2.1", port: 40_000 + n };
}

function setup(o: Partial<DtlsServerDriverOptions> = {}) {
  const clock = new FakeClock(1000);
  const timers = new FakeTimers(clock);
  const socket = new MemorySocket();
  let server: FakeDtlsServer | undefined;
  const log: string[] = [];
  const closes: string[] = [];
  const errors: string[] = [];
  const received: string[] = [];
  const driver = new DtlsServerDriver({
    raw: socket,
    open: (table) => (server = new FakeDtlsServer(table)),
    clock,
    timers,
    log: (line) => log.push(line),
    ...o,
  });
  driver.onClose((p, e) => closes.push(`${p.port}:${e?.code ?? "-"}`));
  driver.onError((e) => errors.push((e as { code?: string }).code ?? e.message));
  driver.onDatagram((d, from) => received.push(`${from.port}:${utf8Decode(d)}`));
  return { clock, timers, socket, server: server!, driver, log, closes, errors, received };
}

/** A full handshake: cookie exchange, then the client's last flight with its PSK identity. */
function connect(socket: MemorySocket, p: Endpoint, identity = "operator"): void {
  socket.receive("hello", p);
  socket.receive("hello+cookie", p);
  socket.receive(`finish:${identity}`, p);
}

/** A half-open handshake: the cookie exchange completes, then the client goes silent. */
function halfOpen(socket: MemorySocket, p: Endpoint): void {
  socket.receive("hello", p);
  socket.receive("hello+cookie", p);
}

test("DtlsServerDriver: a ClientHello without a cookie costs no session; one that returns the cookie does", () => {
  const { socket, driver, server } = setup();
  socket.receive("hello", peer(1));
  assert.deepEqual(socket.to(peer(1)), ["hvr"]);
  assert.equal(driver.sessionCount, 0);
  assert.equal(server.sessionCount, 0);
  socket.receive("hello+cookie", peer(1));
  assert.equal(driver.sessionCount, 1);
  assert.equal(driver.stats().admitted, 1);
});

test("DtlsServerDriver asks the binding for its peer bound plus one slot for the newcomer being admitted", () => {
  const { server } = setup({ maxSessions: 3 });
  assert.equal(server.maxSessions, 4);
});

test("DtlsServerDriver: when full, a proven newcomer replaces the least recently heard peer, not the most recent", () => {
  const { socket, driver, closes } = setup({ maxSessions: 2 });
  connect(socket, peer(1));
  connect(socket, peer(2));
  socket.receive("data:ping", peer(1)); // peer 1 heard after peer 2: peer 2 is now the least recent
  halfOpen(socket, peer(3));
  assert.equal(driver.sessionCount, 2);
  assert.deepEqual(closes, ["40002:dtls.session_limit"]);
  assert.equal(socket.to(peer(2)).at(-1), "close_notify", "the evicted connected peer is told");
  assert.equal(driver.stats().evicted, 1);
  socket.receive("finish:newcomer", peer(3));
  assert.equal(driver.peerIdentity(peer(3)), "newcomer");
  assert.equal(driver.peerIdentity(peer(1)), "operator");
  assert.equal(driver.peerIdentity(peer(2)), undefined);
});

test("DtlsServerDriver: what we send does not count as hearing a peer", () => {
  const { socket, driver, closes } = setup({ maxSessions: 2 });
  connect(socket, peer(1));
  connect(socket, peer(2));
  driver.send(utf8Encode("to 1"), peer(1)); // we wrote to peer 1 last; peer 1 is still the least recently heard
  halfOpen(socket, peer(3));
  assert.deepEqual(closes, ["40001:dtls.session_limit"]);
});

for (const n of [4, 200]) {
  test(`DtlsServerDriver: ${n} half-open handshakes, then the operator's handshake completes at once; refusal lines stay bounded`, () => {
    const { socket, driver, timers, clock, log, errors } = setup();
    const start = clock.now();
    for (let i = 0; i < n; i++) {
      halfOpen(socket, peer(i));
      assert.ok(driver.sessionCount <= 4, "never more than maxSessions peers");
      timers.runUntil(clock.now() + 5);
    }
    const operator = peer(9999);
    connect(socket, operator);
    assert.equal(driver.stats().connected, 1, "the operator is connected without waiting for any deadline");
    driver.send(utf8Encode("2.04"), operator);
    assert.deepEqual(socket.to(operator), ["hvr", "flight", "enc:2.04"]);
    timers.runUntil(clock.now() + FAKE_HANDSHAKE_DEADLINE_MS + REFUSAL_LOG_INTERVAL_MS);
    const s = driver.stats();
    assert.equal(s.evicted, Math.max(0, n + 1 - 4), "each newcomer past the bound evicted one silent peer");
    assert.equal(s.connected, 1, "the silent peers' handshakes timed out; the operator stays");
    const elapsed = clock.now() - start;
    assert.ok(log.length >= 1, "refusals are logged");
    assert.ok(log.length <= 2 + Math.floor(elapsed / REFUSAL_LOG_INTERVAL_MS), `${log.length} lines in ${elapsed} ms`);
    assert.equal(errors.length, 0, "peer failures are counted, not reported one by one");
    assert.equal(s.logLines, log.length);
  });
}

test("DtlsServerDriver: refusal lines carry counts and codes, never a peer's bytes", () => {
  const { socket, timers, clock, log } = setup({ maxSessions: 1 });
  connect(socket, peer(1), "secret-identity");
  for (let i = 2; i < 50; i++) halfOpen(socket, peer(i));
  timers.runUntil(clock.now() + FAKE_HANDSHAKE_DEADLINE_MS + 2 * REFUSAL_LOG_INTERVAL_MS);
  assert.equal(log[0], "dtls server: 1 evicted, 0 refused, 0 failed");
  assert.equal(log[1], `dtls server: 47 evicted, 0 refused, 0 failed in the last ${REFUSAL_LOG_INTERVAL_MS / 1000} s`);
  assert.ok(
    /^dtls server: 0 evicted, 0 refused, 1 failed \(last dtls.handshake_timeout\) in the last \d+ s$/.test(log[2] ?? ""),
    log.join(" | "),
  );
  assert.equal(log.length, 3);
  for (const l of log) assert.ok(!l.includes("secret") && !l.includes("hello"), l);
});

test("DtlsServerDriver: a peer silent for idleTimeoutMs is closed with close_notify; hearing it postpones that", () => {
  const { socket, driver, timers, clock, closes } = setup({ idleTimeoutMs: 10_000 });
  connect(socket, peer(1));
  connect(socket, peer(2));
  timers.runUntil(clock.now() + 6000);
  socket.receive("data:still here", peer(2));
  timers.runUntil(clock.now() + 5000);
  assert.deepEqual(closes, ["40001:dtls.idle_timeout"]);
  assert.equal(socket.to(peer(1)).at(-1), "close_notify");
  assert.equal(driver.sessionCount, 1);
  timers.runUntil(clock.now() + 5000);
  assert.deepEqual(closes, ["40001:dtls.idle_timeout", "40002:dtls.idle_timeout"]);
  assert.equal(driver.stats().expired, 2);
  assert.equal(timers.armed, 0, "no timer once nothing is pending");
});

test("DtlsServerDriver: a peer heard all along is never expired, its datagrams arm no timer each, and silence still expires it", () => {
  const { socket, driver, timers, clock, closes } = setup({ idleTimeoutMs: 10_000 });
  connect(socket, peer(1));
  const schedule = timers.schedule.bind(timers);
  let scheduled = 0;
  timers.schedule = (ms, fn) => (scheduled++, schedule(ms, fn));
  for (let i = 0; i < 300; i++) {
    timers.runUntil(clock.now() + 100); // 30 s of datagrams every 100 ms: three idle timeouts' worth
    socket.receive("data:ping", peer(1));
  }
  assert.deepEqual(closes, [], "heard within every idle timeout");
  assert.ok(scheduled <= 6, `${scheduled} timers armed in 30 s: not one a datagram`);
  assert.equal(driver.sessionCount, 1);
  timers.runUntil(clock.now() + 10_000);
  assert.deepEqual(closes, ["40001:dtls.idle_timeout"], "silent for the idle timeout: closed, on time");
});

test("DtlsServerDriver: plaintext is delivered one datagram at a time, even when the receiver replies from inside", () => {
  // The binding lends each datagram's bytes from one buffer (the fake does, as the XS one): a reply sent from
  // within a delivery pumps the driver again, which must not deliver the next datagram over the one being read.
  const { socket, driver } = setup();
  connect(socket, peer(1));
  let depth = 0;
  let deepest = 0;
  const seen: string[] = [];
  driver.onDatagram((data, from) => {
    depth++;
    deepest = Math.max(deepest, depth);
    const before = utf8Decode(data);
    driver.send(utf8Encode(`re:${before}`), from);
    seen.push(`${before}/${utf8Decode(data)}`); // the bytes as they were, after the reply went out
    depth--;
  });
  socket.receive("burst:3", peer(1));
  assert.deepEqual(seen, ["b0/b0", "b1/b1", "b2/b2"]);
  assert.equal(deepest, 1, "no delivery inside another");
  assert.deepEqual(socket.to(peer(1)).slice(-3), ["enc:re:b0", "enc:re:b1", "enc:re:b2"]);
});

test("DtlsServerDriver: idleTimeoutMs 0 never expires a peer", () => {
  const { socket, driver, timers, clock } = setup({ idleTimeoutMs: 0 });
  connect(socket, peer(1));
  timers.runUntil(clock.now() + 10 * 3_600_000);
  assert.equal(driver.sessionCount, 1);
});

test("DtlsServerDriver.close sends close_notify to every connected peer, frees the server and the socket; twice is safe", () => {
  const { socket, driver, server, closes } = setup();
  connect(socket, peer(1));
  connect(socket, peer(2));
  halfOpen(socket, peer(3));
  driver.close();
  driver.close();
  assert.equal(socket.to(peer(1)).at(-1), "close_notify");
  assert.equal(socket.to(peer(2)).at(-1), "close_notify");
  assert.equal(socket.to(peer(3)).at(-1), "flight", "a handshake in progress gets no close_notify");
  assert.ok(server.freed && socket.closed);
  assert.equal(driver.sessionCount, 0);
  assert.deepEqual(closes, [], "no close reports after close()");
  socket.receive("hello+cookie", peer(4));
  assert.equal(server.sessionCount, 0, "nothing is fed after close()");
});

test("DtlsServerDriver handles at most maxEventsPerWake events per wake-up; the rest follow on a zero-delay wake-up", () => {
  const { socket, timers, clock, received } = setup({ maxEventsPerWake: 8 });
  connect(socket, peer(1));
  socket.receive("burst:20", peer(1));
  assert.equal(received.length, 8);
  timers.runUntil(clock.now(), 1);
  assert.equal(received.length, 16);
  timers.runUntil(clock.now(), 1);
  assert.equal(received.length, 20);
  assert.equal(received.at(-1), "40001:b19", "in order");
});

test("DtlsServerDriver: a peer's close_notify ends its session quietly; a write to a peer without a session is dtls.closed", () => {
  const { socket, driver, closes, errors } = setup();
  connect(socket, peer(1));
  socket.receive("close_notify", peer(1));
  assert.deepEqual(closes, ["40001:dtls.peer_closed"]);
  assert.equal(driver.stats().failed, 0);
  driver.send(utf8Encode("late"), peer(1));
  assert.deepEqual(errors, ["dtls.closed"]);
});

test("DtlsServerDriver asks the binding for its bound plus the newcomer, and for neither expiry nor eviction of its own", () => {
  const { server } = setup({ maxSessions: 3 });
  assert.deepEqual(server.table, { maxSessions: 4, idleTimeoutMs: 0, evictLeastRecent: false });
});

test("DtlsServerDriver counts a newcomer the binding refuses (table full) without reporting it per datagram", () => {
  // The binding's own bound is reached only if the driver's eviction lags; model it with a one-slot table.
  const { socket, driver, errors } = setup({
    maxSessions: 4,
    open: (table) => new FakeDtlsServer({ ...table, maxSessions: table.maxSessions - 4 }),
  });
  halfOpen(socket, peer(1));
  for (let i = 0; i < 3; i++) socket.receive("hello+cookie", peer(2));
  assert.equal(driver.stats().refused, 3);
  assert.deepEqual(errors, []);
});
