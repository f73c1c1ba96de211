/**
 * The sans-IO DTLS session and server through the N-API addon, in memory on a virtual clock: handshake and
 * exchange, events in order, resumption, the session limit, idle expiry, unknown identity, key parsing,
 * Connection ID reported unavailable on mbedtls 2.28, misuse errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DtlsError, DtlsServer, DtlsSession, type DtlsEvent } from "../../hosts/node/dtls/index.js";
import { keyFromText } from "../../src/key-text.js";
import { makePki, requireAddon, requireTool } from "../support/node/dtls-peers.js";
import { runPair } from "../support/dtls-pair.js";

const PSK = { identity: "device-1", key: "hex:00112233445566778899aabbccddeeff" };
const TIMERS = { handshakeTimeoutMinMs: 100, handshakeTimeoutMaxMs: 800, handshakeDeadlineMs: 5000 };

function events(s: DtlsSession): DtlsEvent[] {
  const out: DtlsEvent[] = [];
  for (let e = s.pollEvent(); e; e = s.pollEvent()) out.push(e);
  return out;
}

test("client and server sessions handshake in memory, exchange datagrams, close cleanly", () => {
  requireAddon();
  const c = DtlsSession.client({ psk: PSK, ...TIMERS });
  const s = DtlsSession.server({ psk: [PSK], ...TIMERS });
  c.start(0);
  runPair(c, s, 0);
  assert.equal(c.state, "connected");
  assert.equal(s.state, "connected");
  assert.equal(c.suite, "TLS-PSK-WITH-AES-128-CCM-8");
  assert.deepEqual(events(c), [{ type: "connected" }]);
  c.write(new Uint8Array([1, 2, 3]), 10);
  c.write(new Uint8Array([4]), 10);
  runPair(c, s, 10);
  const got = events(s)
    .filter((e) => e.type === "data")
    .map((e) => (e.type === "data" ? [...e.data] : []));
  assert.deepEqual(got, [[1, 2, 3], [4]]);
  assert.throws(
    () => c.write(new Uint8Array(c.maxPayload + 1), 10),
    (e: unknown) => e instanceof DtlsError && e.code === "dtls.datagram_too_big",
  );
  c.close(20);
  c.close(20);
  runPair(c, s, 20);
  assert.equal(s.state, "closed");
  const end = events(s);
  assert.equal(end.length, 1);
  assert.equal(end[0]?.type === "closed" && end[0].error?.code, "dtls.peer_closed");
  assert.throws(
    () => c.write(new Uint8Array([1]), 30),
    (e: unknown) => e instanceof DtlsError && e.code === "dtls.closed",
  );
  c.free();
  c.free();
  s.free();
});

test("a saved session resumes with an abbreviated handshake through DtlsServer's cache", () => {
  requireAddon();
  const server = new DtlsServer({ psk: PSK, ...TIMERS, maxSessions: 2 });
  const peer = "192.0.2.1|40000"; // the C core's peer key
  const handshake = (c: DtlsSession): { sent: number; bytes: number } => {
    c.start(0);
    for (let i = 0; i < 50 && c.state === "handshaking"; i++) {
      for (let d = c.pollTransmit(); d; d = c.pollTransmit()) server.handleDatagram(d, peer, 0);
      for (let e = server.pollEvent(); e; e = server.pollEvent()) if (e.type === "transmit") c.handleDatagram(e.data, 0);
    }
    assert.equal(c.state, "connected");
    return { sent: c.stats.txDatagrams, bytes: c.stats.txBytes };
  };
  const first = DtlsSession.client({ psk: PSK, ...TIMERS });
  const full = handshake(first);
  assert.equal(first.resumed, false);
  const blob = first.save();
  assert.ok(blob.length > 0);
  first.close(1);
  for (let d = first.pollTransmit(); d; d = first.pollTransmit()) server.handleDatagram(d, peer, 1);
  const closed = [];
  for (let e = server.pollEvent(); e; e = server.pollEvent()) closed.push(e.type);
  assert.deepEqual(closed, ["closed"]);
  first.free();
  const second = DtlsSession.client({ psk: PSK, ...TIMERS });
  second.restore(blob);
  const resumed = handshake(second);
  assert.equal(second.resumed, true);
  console.log(
    `BENCH ${JSON.stringify({ section: "DTLS", name: "client handshake traffic, full vs resumed (with cookie)", fullDatagrams: full.sent, fullBytes: full.bytes, resumedDatagrams: resumed.sent, resumedBytes: resumed.bytes })}`,
  );
  const bad = DtlsSession.client({ psk: PSK });
  assert.throws(
    () => bad.restore(new Uint8Array([1, 2, 3])),
    (e: unknown) => e instanceof DtlsError && e.code === "dtls.session_invalid",
  );
  second.free();
  bad.free();
  server.free();
});

test("DtlsServer refuses a peer beyond maxSessions with dtls.session_limit and expires idle peers", () => {
  requireAddon();
  const server = new DtlsServer({ psk: PSK, ...TIMERS, maxSessions: 1, idleTimeoutMs: 1000 });
  const a = DtlsSession.client({ psk: PSK, ...TIMERS });
  const b = DtlsSession.client({ psk: PSK, ...TIMERS });
  const pa: string = "127.0.0.1|1";
  const pb: string = "127.0.0.1|2";
  a.start(0);
  const log: string[] = [];
  const pump = (now: number): void => {
    for (let d = a.pollTransmit(); d; d = a.pollTransmit()) server.handleDatagram(d, pa, now);
    for (let e = server.pollEvent(); e; e = server.pollEvent()) {
      if (e.type === "transmit") (e.peer === pa ? a : b).handleDatagram(e.data, now);
      else log.push(`${e.type}:${e.peer.slice(e.peer.indexOf("|") + 1)}${e.type === "closed" && e.error ? `:${e.error.code}` : ""}`);
    }
  };
  for (let i = 0; i < 10; i++) pump(0);
  assert.equal(a.state, "connected");
  assert.equal(server.sessionCount, 1);
  b.start(0);
  const hello = b.pollTransmit();
  assert.ok(hello);
  server.handleDatagram(hello, pb, 0); // a full server still hands out cookies
  pump(0);
  const withCookie = b.pollTransmit();
  assert.ok(withCookie && withCookie.length > hello.length, "the newcomer came back with its cookie");
  assert.throws(
    () => server.handleDatagram(withCookie, pb, 0),
    (e: unknown) => e instanceof DtlsError && e.code === "dtls.session_limit",
  );
  assert.equal(server.pollTimeout(), 1000);
  server.handleTimeout(1000);
  pump(1000);
  assert.deepEqual(log, ["connected:1", "closed:1:dtls.idle_timeout"]);
  assert.equal(server.sessionCount, 0);
  server.handleDatagram(withCookie, pb, 1000); // room again
  a.free();
  b.free();
  server.free();
});

test("DtlsServer with evictLeastRecent: only a newcomer that proved its address replaces the least recently heard peer", () => {
  requireAddon();
  const server = new DtlsServer({ psk: PSK, ...TIMERS, maxSessions: 1, idleTimeoutMs: 0, evictLeastRecent: true });
  const a = DtlsSession.client({ psk: PSK, ...TIMERS });
  const b = DtlsSession.client({ psk: PSK, ...TIMERS });
  const pa: string = "127.0.0.1|1";
  const pb: string = "127.0.0.1|2";
  const log: string[] = [];
  const pump = (c: DtlsSession, from: typeof pa, now: number): void => {
    for (let i = 0; i < 10; i++) {
      for (let d = c.pollTransmit(); d; d = c.pollTransmit()) server.handleDatagram(d, from, now);
      for (let e = server.pollEvent(); e; e = server.pollEvent()) {
        if (e.type === "transmit") (e.peer === pa ? a : b).handleDatagram(e.data, now);
        else log.push(`${e.type}:${e.peer.slice(e.peer.indexOf("|") + 1)}${e.type === "closed" && e.error ? `:${e.error.code}` : ""}`);
      }
    }
  };
  a.start(0);
  pump(a, pa, 0);
  assert.equal(a.state, "connected");
  // b's hellos replayed from a third address: it never receives the cookie request, so it proves nothing
  b.start(1);
  const hello = b.pollTransmit();
  assert.ok(hello);
  server.handleDatagram(hello, "127.0.0.1|3", 1);
  for (let e = server.pollEvent(); e; e = server.pollEvent()) assert.equal(e.type, "transmit");
  assert.deepEqual(log, ["connected:1"], "nobody evicted by an unproven hello");
  server.handleDatagram(hello, pb, 2);
  pump(b, pb, 2);
  assert.equal(b.state, "connected");
  assert.deepEqual(log, ["connected:1", "closed:1:dtls.session_limit", "connected:2"]);
  assert.equal(server.sessionCount, 1);
  a.free();
  b.free();
  server.free();
});

test("an unknown identity is refused by our server with alert 115: dtls.unknown_identity on both sides", () => {
  requireAddon();
  const c = DtlsSession.client({ psk: { identity: "stranger", key: PSK.key }, ...TIMERS });
  const s = DtlsSession.server({ psk: [PSK], ...TIMERS });
  c.start(0);
  const end = runPair(c, s, 0);
  assert.ok(end < 1000, "no waiting for timeouts");
  assert.equal(c.error?.code, "dtls.unknown_identity");
  assert.equal(c.error?.alert, 115);
  assert.equal(s.error?.code, "dtls.unknown_identity");
  c.free();
  s.free();
});

test("a wrong key is dtls.bad_psk", () => {
  requireAddon();
  const c = DtlsSession.client({ psk: { identity: PSK.identity, key: "hex:ffff" }, ...TIMERS });
  const s = DtlsSession.server({ psk: [PSK], ...TIMERS });
  c.start(0);
  runPair(c, s, 0);
  assert.equal(c.state, "failed");
  assert.equal(c.error?.code, "dtls.bad_psk");
  c.free();
  s.free();
});

test("options: hex keys, text keys, bad hex, Connection ID unavailable on 2.28, no credentials, bad PEM", () => {
  requireAddon();
  // The one key parser (src/key-text.ts) reads the DTLS options' keys.
  assert.deepEqual([...keyFromText("hex:00ff10")], [0, 255, 16]);
  assert.deepEqual([...keyFromText("ab")], [97, 98]);
  assert.throws(
    () => DtlsSession.client({ psk: { identity: "d", key: "hex:abc" } }),
    (e: unknown) => (e as { code?: string }).code === "key.malformed",
  );
  assert.throws(
    () => DtlsSession.client({ psk: PSK, connectionId: true }),
    (e: unknown) => e instanceof DtlsError && e.code === "dtls.unavailable",
  );
  assert.throws(
    () => DtlsSession.client({}),
    (e: unknown) => e instanceof DtlsError && e.code === "dtls.bad_config",
  );
  assert.throws(
    () => DtlsSession.client({ ca: "not a certificate" }),
    (e: unknown) => e instanceof DtlsError && e.code === "dtls.bad_config",
  );
  assert.throws(
    () => DtlsSession.client({ psk: PSK, suites: ["TLS-NOPE"] }),
    (e: unknown) => e instanceof DtlsError && e.code === "dtls.bad_config",
  );
  const s = DtlsSession.client({ psk: PSK, suites: ["TLS-PSK-WITH-AES-128-CCM-8"] });
  assert.throws(
    () => s.write(new Uint8Array(1), 0),
    (e: unknown) => e instanceof DtlsError && e.code === "dtls.bad_state" && e.fault === "caller",
  );
  s.free();
});

test("certificate handshake fragmented to a 300-byte MTU: every datagram fits, both sides connect", () => {
  requireAddon();
  requireTool("openssl");
  const pki = makePki();
  try {
    const c = DtlsSession.client({ ca: pki.caPem, serverName: "localhost", mtu: 300, ...TIMERS });
    const s = DtlsSession.server({ certificate: pki.serverCert, privateKey: pki.serverKey, mtu: 300, ...TIMERS });
    c.start(0);
    let largest = 0;
    let now = 0;
    for (let i = 0; i < 200 && (c.state === "handshaking" || s.state === "handshaking"); i++) {
      let moved = false;
      for (let d = c.pollTransmit(); d; d = c.pollTransmit()) {
        moved = true;
        largest = Math.max(largest, d.length);
        s.handleDatagram(d, now);
      }
      for (let d = s.pollTransmit(); d; d = s.pollTransmit()) {
        moved = true;
        largest = Math.max(largest, d.length);
        c.handleDatagram(d, now);
      }
      if (!moved) now += 100;
      c.handleTimeout(now);
      s.handleTimeout(now);
    }
    assert.equal(c.state, "connected", c.error?.message);
    assert.equal(s.state, "connected");
    assert.equal(c.suite, "TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8");
    assert.ok(largest <= 300, `largest datagram ${largest}`);
    assert.ok(c.maxPayload <= 300 - 13 - 16);
    c.free();
    s.free();
  } finally {
    pki.cleanup();
  }
});

test("anti-replay: a replayed record is delivered once", () => {
  requireAddon();
  const c = DtlsSession.client({ psk: PSK, ...TIMERS });
  const s = DtlsSession.server({ psk: [PSK], ...TIMERS });
  c.start(0);
  runPair(c, s, 0);
  events(s);
  c.write(new Uint8Array([42]), 1);
  const record = c.pollTransmit();
  assert.ok(record);
  s.handleDatagram(record, 1);
  s.handleDatagram(record, 2);
  s.handleDatagram(record, 3);
  assert.deepEqual(
    events(s).map((e) => e.type),
    ["data"],
  );
  assert.equal(s.state, "connected");
  c.free();
  s.free();
});

test("the whole-handshake deadline ends a handshake that mbedtls would still retry", () => {
  requireAddon();
  const c = DtlsSession.client({ psk: PSK, handshakeTimeoutMinMs: 1000, handshakeTimeoutMaxMs: 60000, handshakeDeadlineMs: 2500 });
  c.start(0);
  let now = 0;
  for (let i = 0; i < 20 && c.state === "handshaking"; i++) {
    while (c.pollTransmit()) {}
    now = c.pollTimeout() ?? now;
    c.handleTimeout(now);
  }
  assert.equal(c.error?.code, "dtls.handshake_timeout");
  assert.equal(now, 2500);
  c.free();
});

test("an expired server certificate is dtls.expired_certificate; a CA-less client with certificate suites is refused", () => {
  requireAddon();
  requireTool("openssl");
  const pki = makePki();
  try {
    const c = DtlsSession.client({ ca: pki.caPem, serverName: "localhost", ...TIMERS });
    const s = DtlsSession.server({ certificate: pki.expiredCert, privateKey: pki.expiredKey, ...TIMERS });
    c.start(0);
    runPair(c, s, 0);
    assert.equal(c.state, "failed");
    assert.equal(c.error?.code, "dtls.expired_certificate");
    c.free();
    s.free();
    assert.throws(
      () => DtlsSession.client({ suites: ["TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8"] }),
      (e: unknown) => e instanceof DtlsError && e.code === "dtls.bad_config",
    );
  } finally {
    pki.cleanup();
  }
});
