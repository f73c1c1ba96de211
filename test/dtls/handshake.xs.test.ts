// The XS binding of modules/dtls on the real XS engine: a PSK client and server DtlsSession in one XS
// machine, datagrams passed in memory (sans-IO) on a virtual clock. XS only: under Node this file declares
// nothing (Native() does not exist there; Node covers the same core through N-API in *.node.test.ts).
import { assert, onNode, test } from "../harness/index.js";
import { runPair } from "../support/dtls-pair.js";

async function declareTests(): Promise<void> {
  const { DtlsServer, DtlsSession, DtlsError } = await import("../../modules/dtls/dtls.js");
  type Session = InstanceType<typeof DtlsSession>;
  type Server = InstanceType<typeof DtlsServer>;
  type ServerEvent = NonNullable<ReturnType<Server["pollEvent"]>>;

  const bytes = (s: string): Uint8Array => {
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
    return out;
  };
  const KEY = new Uint8Array([0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
  const TIMERS = { handshakeTimeoutMinMs: 100, handshakeTimeoutMaxMs: 800, handshakeDeadlineMs: 5000 };

  const run = (a: Session, b: Session, start: number): number => runPair(a, b, start, 300);

  test("PSK-CCM8 handshake, exchange and close_notify between two XS DtlsSessions", () => {
    const c = new DtlsSession({ role: "client", psks: [{ identity: bytes("device-1"), psk: KEY }], ...TIMERS });
    const s = new DtlsSession({ role: "server", psks: [{ identity: bytes("device-1"), psk: KEY }], ...TIMERS });
    c.start(0);
    run(c, s, 0);
    assert.equal(c.state, "connected");
    assert.equal(s.state, "connected");
    assert.equal(c.suite, "TLS-PSK-WITH-AES-128-CCM-8");
    assert.equal(c.pollEvent()?.type, "connected");
    assert.equal(s.pollEvent()?.type, "connected");
    c.write(bytes("GET /time"), 10);
    run(c, s, 10);
    const ev = s.pollEvent();
    assert.ok(ev !== undefined && ev.type === "data" && ev.data.length === 9 && ev.data[0] === 0x47);
    s.write(new Uint8Array([0x60, 0x45, 1, 2]), 11);
    run(c, s, 11);
    const back = c.pollEvent();
    assert.ok(back !== undefined && back.type === "data" && back.data[1] === 0x45);
    assert.ok(c.maxPayload > 1000);
    c.close(12);
    run(c, s, 12);
    const end = s.pollEvent();
    assert.ok(end !== undefined && end.type === "closed" && end.error?.code === "dtls.peer_closed");
    assert.equal(c.pollEvent()?.type, "closed");
    c.free();
    c.free();
    s.free();
    assert.equal(c.state, "closed");
  });

  test("a wrong key ends with dtls.bad_psk; use after free throws dtls.closed", () => {
    const c = new DtlsSession({ role: "client", psks: [{ identity: bytes("device-1"), psk: bytes("wrong") }], ...TIMERS });
    const s = new DtlsSession({ role: "server", psks: [{ identity: bytes("device-1"), psk: KEY }], ...TIMERS });
    c.start(0);
    run(c, s, 0);
    assert.equal(c.state, "failed");
    assert.equal(c.error?.code, "dtls.bad_psk");
    assert.equal(c.error?.fault, "peer");
    c.free();
    let code = "";
    try {
      c.write(bytes("x"), 1);
    } catch (e) {
      code = e instanceof DtlsError ? e.code : String(e);
    }
    assert.equal(code, "dtls.closed");
    s.free();
  });

  /** Moves datagrams between client c (as `peer`) and the server until both are quiet; returns the server's events. */
  function exchange(srv: Server, c: Session, peer: string, now: number): ServerEvent[] {
    const events: ServerEvent[] = [];
    for (let round = 0; round < 20; round++) {
      let moved = false;
      for (let d = c.pollTransmit(); d; d = c.pollTransmit()) {
        moved = true;
        srv.handleDatagram(d, peer, now);
      }
      for (let ev = srv.pollEvent(); ev; ev = srv.pollEvent()) {
        moved = true;
        events.push(ev);
        if (ev.type === "transmit" && ev.peer === peer) c.handleDatagram(ev.data, now);
      }
      if (!moved) break;
    }
    return events;
  }

  test("DtlsServer: a session per peer through cookies; a newcomer that proved its address replaces the least recent", () => {
    const psk = { psks: [{ identity: bytes("device-1"), psk: KEY }], ...TIMERS };
    const srv = new DtlsServer({ ...psk, maxSessions: 1, idleTimeoutMs: 0, evictLeastRecent: true });
    const a = new DtlsSession({ role: "client", ...psk });
    const b = new DtlsSession({ role: "client", ...psk });
    a.start(0);
    let events = exchange(srv, a, "10.0.0.1|5000", 0);
    assert.equal(a.state, "connected");
    assert.equal(a.pollEvent()?.type, "connected");
    assert.ok(
      events.some((e) => e.type === "connected" && e.peer === "10.0.0.1|5000"),
      "server reports A connected",
    );
    const connected = events.find((e) => e.type === "connected");
    const identity = connected?.type === "connected" ? connected.identity : undefined;
    assert.ok(identity !== undefined && String.fromCharCode(...identity) === "device-1", "with the PSK identity A used");
    a.write(new Uint8Array([1, 2, 3]), 1);
    events = exchange(srv, a, "10.0.0.1|5000", 1);
    const got = events.find((e) => e.type === "data");
    assert.ok(got !== undefined && got.type === "data" && got.data.length === 3 && got.data[2] === 3, "server got A's data");
    srv.write(new Uint8Array([9]), "10.0.0.1|5000", 2);
    exchange(srv, a, "10.0.0.1|5000", 2);
    const back = a.pollEvent();
    assert.ok(back !== undefined && back.type === "data" && back.data[0] === 9, "A got the answer");
    b.start(3);
    events = exchange(srv, b, "10.0.0.2|6000", 3);
    assert.equal(b.state, "connected");
    const end = events.find((e) => e.type === "closed");
    assert.ok(
      end !== undefined && end.type === "closed" && end.peer === "10.0.0.1|5000" && end.error?.code === "dtls.session_limit",
      "A's end reported as dtls.session_limit",
    );
    assert.equal(srv.sessionCount, 1);
    let code = "";
    try {
      srv.write(new Uint8Array([1]), "10.0.0.1|5000", 4);
    } catch (e) {
      code = e instanceof DtlsError ? e.code : String(e);
    }
    assert.equal(code, "dtls.unknown_peer");
    srv.free();
    srv.free();
    a.free();
    b.free();
  });

  test("DtlsServer: events filled again poll after poll, their bytes lent; holdData keeps the next plaintext back", () => {
    const psk = { psks: [{ identity: bytes("device-1"), psk: KEY }], ...TIMERS };
    const srv = new DtlsServer({ ...psk, maxSessions: 2, idleTimeoutMs: 0, evictLeastRecent: false });
    const a = new DtlsSession({ role: "client", ...psk });
    const b = new DtlsSession({ role: "client", ...psk });
    a.start(0);
    exchange(srv, a, "10.0.0.1|5000", 0);
    b.start(0);
    exchange(srv, b, "10.0.0.2|6000", 0);
    assert.equal(a.pollEvent()?.type, "connected");
    assert.equal(b.pollEvent()?.type, "connected");
    // Two records from A. While the first is being read, a poll with holdData gives a transmit (the reply) but
    // not the second record, whose bytes would overwrite the first's; the next poll without it does.
    a.write(bytes("first"), 1);
    a.write(bytes("second!"), 1);
    for (let d = a.pollTransmit(); d; d = a.pollTransmit()) srv.handleDatagram(d, "10.0.0.1|5000", 1);
    const one = srv.pollEvent();
    assert.ok(one?.type === "data" && String.fromCharCode(...one.data) === "first");
    srv.write(bytes("reply"), "10.0.0.1|5000", 1);
    const reply = srv.pollEvent(true);
    assert.ok(reply?.type === "transmit", `a transmit while holding, not ${reply?.type}`);
    assert.equal(srv.pollEvent(true), undefined, "the second record waits");
    assert.equal(String.fromCharCode(...one.data), "first", "the first record's bytes are intact");
    const two = srv.pollEvent();
    assert.ok(two?.type === "data", `then the second record, not ${two?.type}`);
    assert.equal(one, two, "one data event object, filled again");
    assert.equal(String.fromCharCode(...two.data), "second!");
    // Replies to two peers: the transmit event names each peer in turn (the key string changes with it).
    srv.write(bytes("to a"), "10.0.0.1|5000", 2);
    srv.write(bytes("to b, longer"), "10.0.0.2|6000", 2);
    const t1 = srv.pollEvent();
    assert.ok(t1?.type === "transmit" && t1.peer === "10.0.0.1|5000", `t1 ${t1?.type} ${t1?.peer}`);
    const first = t1.data.slice();
    const t2 = srv.pollEvent();
    assert.ok(t2?.type === "transmit" && t2.peer === "10.0.0.2|6000" && t2.data.length > first.length, `t2 ${t2?.type} ${t2?.peer}`);
    a.handleDatagram(first, 2);
    b.handleDatagram(t2.data, 2);
    const ga = a.pollEvent();
    const gb = b.pollEvent();
    assert.ok(ga?.type === "data" && String.fromCharCode(...ga.data) === "to a");
    assert.ok(gb?.type === "data" && String.fromCharCode(...gb.data) === "to b, longer");
    srv.free();
    a.free();
    b.free();
  });

  test("bad options throw typed errors", () => {
    let code = "";
    try {
      new DtlsSession({ role: "client" });
    } catch (e) {
      code = e instanceof DtlsError ? e.code : String(e);
    }
    assert.equal(code, "dtls.bad_config");
  });

  test("a Connection ID is refused with dtls.unavailable where mbedtls lacks RFC 9146, else negotiated", () => {
    const ask = { psks: [{ identity: bytes("device-1"), psk: KEY }], connectionId: true, ...TIMERS };
    let c: Session;
    try {
      c = new DtlsSession({ role: "client", ...ask });
    } catch (e) {
      assert.equal(e instanceof DtlsError ? e.code : String(e), "dtls.unavailable"); // mbedtls 2.28 (CI)
      return;
    }
    const s = new DtlsSession({ role: "server", ...ask });
    c.start(0);
    run(c, s, 0);
    assert.equal(c.state, "connected");
    assert.equal(c.connectionIdInUse, true);
    c.free();
    s.free();
  });
}

if (!onNode) await declareTests();
