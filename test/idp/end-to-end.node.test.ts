/**
 * Our introspection client and verifier against our local identity provider, end to end over real DTLS
 * and UDP on loopback: every row of IDP-API.md, every fault mode, a lossy path and a provider restart.
 * The invariant throughout: every verification ends in the correct decision or a typed failure, and
 * never in a wrong "allowed".
 */
import { test, assert } from "../harness/index.js";
import { Prng } from "../harness/prng.js";
import { AnswerMapper, IdpError, IdpServerError, MAX_ANSWER_BYTES } from "../../src/idp/index.js";
import { LARGE_FAULT_PADDING } from "../../hosts/node/idp/provider.js";
import { Verifier, type Decision } from "../../src/verifier/index.js";
import { connectIdp, type IdpConnection, type IdpConnectionOptions } from "../../hosts/node/idp-connection.js";
import { nodeMonotonicClock, nodeRandom, nodeWallClock } from "../../hosts/node/ports.js";
import { LossyRelay } from "../support/node/lossy-relay.js";
import { CLIENT_ID, CLIENT_SECRET, PSK_IDENTITY, PSK_KEY, startIdp, type IdpFixture } from "../support/node/idp-fixture.js";

const SCOPE = "relay.write";
const FAST = { ackTimeoutMs: 200, maxRetransmit: 4 };
const NO_FAULTS = { delayMs: 0, drop: 0, error500: 0, garbage: 0, large: 0 };

function connect(url: string, options: IdpConnectionOptions = {}): IdpConnection {
  return connectIdp(url, { dtls: { psk: { identity: PSK_IDENTITY, key: PSK_KEY } }, coapParams: FAST, timeoutMs: 4_000, ...options });
}

function verifierFor(idp: IdpConnection, options: { rate?: { perSecond: number; burst: number } } = {}): Verifier {
  return new Verifier({
    introspector: idp.introspector,
    clock: nodeMonotonicClock,
    wallClock: nodeWallClock,
    random: nodeRandom,
    ...(options.rate === undefined ? {} : { rate: options.rate, callerRate: options.rate }),
  });
}

async function withIdp<T>(fixture: Promise<IdpFixture>, work: (idp: IdpFixture) => Promise<T>): Promise<T> {
  const idp = await fixture;
  try {
    return await work(idp);
  } finally {
    await idp.close();
  }
}

function expectDecision(d: Decision, reason: Decision["reason"], allowed = reason === "ok"): void {
  assert.equal(d.reason, reason, `expected reason ${reason}, got ${d.reason} (${d.errorCode ?? "no error"})`);
  assert.equal(d.allowed, allowed);
}

test("every 2.01 row: valid, expired, unknown and wrong-scope tokens get the right decision, then from the cache", () =>
  withIdp(startIdp(), async (idp) => {
    const conn = connect(idp.url);
    try {
      const v = verifierFor(conn);
      const valid = await v.verify(idp.valid, { scope: SCOPE });
      expectDecision(valid, "ok");
      assert.equal(valid.sub, "test.device.01");
      assert.equal(valid.fromCache, false);
      expectDecision(await v.verify(idp.expired, { scope: SCOPE }), "inactive");
      expectDecision(await v.verify(idp.unknown, { scope: SCOPE }), "inactive");
      expectDecision(await v.verify(idp.wrongScope, { scope: SCOPE }), "scope");
      const again = await v.verify(idp.valid, { scope: SCOPE });
      expectDecision(again, "ok");
      assert.equal(again.fromCache, true);
      expectDecision(await v.verify(idp.valid, { scope: "admin" }), "scope"); // cached claims, checked again
      assert.equal(v.stats().introspections, 4);
    } finally {
      conn.close();
    }
    assert.ok(!idp.log.join("\n").includes(idp.valid), "the provider log never holds a token");
  }));

test("4.01: wrong client credentials are a typed idp.unauthorized, right ones work", () =>
  withIdp(startIdp({ requireClient: true }), async (idp) => {
    const wrong = connect(idp.url, { clientId: CLIENT_ID, clientSecret: "not-the-secret" });
    const right = connect(idp.url, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    try {
      const error = await assert.rejects(wrong.introspector.introspect(idp.valid), { code: "idp.unauthorized" });
      assert.ok(!String((error as Error).message).includes("not-the-secret"), "the secret is not in the error");
      assert.equal((error as IdpError).provider?.error, "FORBIDDEN");
      const d = await verifierFor(wrong).verify(idp.valid, { scope: SCOPE });
      expectDecision(d, "idp_error");
      assert.equal(d.errorCode, "idp.unauthorized");
      expectDecision(await verifierFor(right).verify(idp.valid, { scope: SCOPE }), "ok");
    } finally {
      wrong.close();
      right.close();
    }
  }));

test("4.05: anything but POST to /idp/introspect maps to idp.method_not_allowed", () =>
  withIdp(startIdp(), async (idp) => {
    const conn = connect(idp.url);
    try {
      const r = await conn.client.request({ method: "GET", path: "/idp/introspect", timeoutMs: 4_000 });
      assert.equal(r.code, "4.05");
      assert.throws(() => new AnswerMapper().map({ code: r.codeNumber, contentFormat: r.contentFormat, payload: r.payload }), {
        code: "idp.method_not_allowed",
      });
    } finally {
      conn.close();
    }
  }));

test("5.00 (fault error500): a typed idp.server_error with the provider's request id; the verifier fails closed", () =>
  withIdp(startIdp({ faults: { ...NO_FAULTS, error500: 1 } }), async (idp) => {
    const conn = connect(idp.url);
    try {
      const error = await assert.rejects(conn.introspector.introspect(idp.valid), { code: "idp.server_error", instanceOf: IdpServerError });
      assert.ok(/^req-/.test((error as IdpError).provider?.requestId ?? ""), "the request id is kept");
      const d = await verifierFor(conn).verify(idp.valid, { scope: SCOPE });
      expectDecision(d, "idp_unavailable");
      assert.equal(d.errorCode, "idp.server_error");
    } finally {
      conn.close();
    }
  }));

test("fault garbage: a malformed answer is idp.malformed_answer, never allowed", () =>
  withIdp(startIdp({ faults: { ...NO_FAULTS, garbage: 1 } }), async (idp) => {
    const conn = connect(idp.url);
    try {
      const d = await verifierFor(conn).verify(idp.valid, { scope: SCOPE });
      expectDecision(d, "idp_error");
      assert.equal(d.errorCode, "idp.malformed_answer");
    } finally {
      conn.close();
    }
  }));

test("fault large: a Block2 answer above the answer limit is idp.answer_too_large; with a larger limit it verifies", () =>
  withIdp(startIdp({ faults: { ...NO_FAULTS, large: 1 } }), async (idp) => {
    const small = connect(idp.url);
    const roomy = connect(idp.url, { maxAnswerBytes: 2 * MAX_ANSWER_BYTES });
    try {
      const d = await verifierFor(small).verify(idp.valid, { scope: SCOPE });
      expectDecision(d, "idp_error");
      assert.equal(d.errorCode, "idp.answer_too_large");
      const claims = await roomy.introspector.introspect(idp.valid);
      assert.equal(claims.active, true);
      assert.equal((claims.claim("padding") as unknown[]).length, LARGE_FAULT_PADDING, "unknown claims stay readable");
      expectDecision(await verifierFor(roomy).verify(idp.valid, { scope: SCOPE }), "ok");
    } finally {
      small.close();
      roomy.close();
    }
  }));

test("fault delay: a slow provider within the timeout still decides; beyond it the verifier fails closed", () =>
  withIdp(startIdp({ faults: { ...NO_FAULTS, delayMs: 700 } }), async (idp) => {
    const patient = connect(idp.url, { timeoutMs: 5_000, coapParams: { ackTimeoutMs: 2_000, maxRetransmit: 4 } });
    const hasty = connect(idp.url, { timeoutMs: 300 });
    try {
      expectDecision(await verifierFor(patient).verify(idp.valid, { scope: SCOPE }), "ok");
      const d = await verifierFor(hasty).verify(idp.valid, { scope: SCOPE });
      expectDecision(d, "idp_unavailable");
      assert.equal(d.errorCode, "idp.unavailable");
    } finally {
      patient.close();
      hasty.close();
    }
  }));

test("fault drop: a provider that never answers is idp.unavailable after the timeout", () =>
  withIdp(startIdp({ faults: { ...NO_FAULTS, drop: 1 } }), async (idp) => {
    const conn = connect(idp.url, { timeoutMs: 1_500 });
    try {
      const started = Date.now();
      const d = await verifierFor(conn).verify(idp.valid, { scope: SCOPE });
      expectDecision(d, "idp_unavailable");
      assert.ok(Date.now() - started < 5_000, "bounded by the request timeout");
    } finally {
      conn.close();
    }
  }));

test("a wrong PSK fails fast with idp.unavailable caused by dtls.bad_psk, and never leaks the key", () =>
  withIdp(startIdp(), async (idp) => {
    const conn = connectIdp(idp.url, {
      dtls: { psk: { identity: PSK_IDENTITY, key: "wrong-key-material" } },
      coapParams: FAST,
      timeoutMs: 8_000,
    });
    try {
      const error = await assert.rejects(conn.introspector.introspect(idp.valid), { code: "idp.unavailable" });
      let cause: unknown = error;
      const codes: string[] = [];
      for (let i = 0; i < 4 && cause !== undefined; i++) {
        codes.push(String((cause as { code?: unknown }).code));
        assert.ok(!String((cause as Error).message).includes("wrong-key-material"));
        cause = (cause as { cause?: unknown }).cause;
      }
      assert.ok(codes.includes("dtls.bad_psk"), `cause chain ${codes.join(" <- ")}`);
    } finally {
      conn.close();
    }
  }));

test("30% loss each way: every verification is correct or a typed failure, never a wrong allowed", () =>
  withIdp(startIdp(), async (idp) => {
    const relay = await LossyRelay.start({ serverPort: idp.port, seed: 0x1d9, loss: 0.3, duplicate: 0.05, reorder: 0.05, maxDelayMs: 30 });
    const conn = connect(`coaps://127.0.0.1:${relay.port}/idp/introspect`, {
      timeoutMs: 6_000,
      coapParams: { ackTimeoutMs: 150, maxRetransmit: 8 },
    });
    const rng = new Prng(0x7662);
    const cases: [string, Decision["reason"]][] = [
      [idp.valid, "ok"],
      [idp.expired, "inactive"],
      [idp.unknown, "inactive"],
      [idp.wrongScope, "scope"],
    ];
    let correct = 0;
    let failed = 0;
    try {
      for (let i = 0; i < 16; i++) {
        const [token, expected] = rng.pick(cases);
        // A fresh verifier each time: every decision comes from the provider, over the lossy path.
        const d = await verifierFor(conn, { rate: { perSecond: 100, burst: 100 } }).verify(token, { scope: SCOPE });
        if (d.allowed) assert.equal(expected, "ok", "an allowed decision only for the valid token");
        if (d.reason === expected) correct++;
        else {
          assert.ok(d.reason === "idp_unavailable" && !d.allowed, `only a typed failure may replace the right answer, got ${d.reason}`);
          failed++;
        }
      }
    } finally {
      conn.close();
      relay.close();
    }
    assert.ok(relay.stats.dropped > 0, "the relay dropped datagrams");
    assert.ok(correct >= 12, `most verifications get through the loss (${correct} correct, ${failed} unavailable)`);
  }));

test("after the provider restarts (its close_notify reaches us), the next request handshakes again at once", async () => {
  const first = await startIdp();
  const port = first.port;
  const conn = connect(first.url, { timeoutMs: 1_500, deadAfterTimeouts: 1 });
  try {
    assert.equal((await conn.introspector.introspect(first.valid)).active, true);
    await first.close(); // sends close_notify: the client's link drops the session on it
    const second = await withRetry(() => startIdpOnPort(port));
    try {
      const again = await conn.introspector.introspect(second.valid);
      assert.equal(again.active, true, "the first request after the restart is answered, on a new session");
      assert.equal(conn.link.connections, 2, "after a new handshake");
    } finally {
      await second.close();
    }
  } finally {
    conn.close();
  }
});

test("after the provider vanishes without a word and comes back, the first request goes unanswered and the next handshakes again", async () => {
  const first = await startIdp();
  const port = first.port;
  // Through a relay that can go silent: the provider's close_notify never arrives, as after a crash.
  const relay = await LossyRelay.start({ serverPort: port, seed: 7 });
  const conn = connect(`coaps://127.0.0.1:${relay.port}/idp/introspect`, { timeoutMs: 1_500, deadAfterTimeouts: 1 });
  try {
    assert.equal((await conn.introspector.introspect(first.valid)).active, true);
    relay.muteServer = true;
    await first.close();
    const second = await withRetry(() => startIdpOnPort(port));
    relay.muteServer = false;
    try {
      // The old session is dead at the provider: its records go unanswered, and that resets the link.
      await assert.rejects(
        conn.introspector.introspect(second.valid),
        { code: "idp.unavailable" },
        "the old session's request goes unanswered",
      );
      assert.equal(conn.link.connections, 1, "still the first session: nothing answered it");
      const again = await conn.introspector.introspect(second.valid);
      assert.equal(again.active, true, "the new session works");
      assert.equal(conn.link.connections, 2, "after a new handshake");
    } finally {
      await second.close();
    }
  } finally {
    conn.close();
    relay.close();
  }
});

async function startIdpOnPort(port: number): Promise<IdpFixture> {
  const { IdpServer } = await import("../../hosts/node/idp/server.js");
  const { Provider } = await import("../../hosts/node/idp/provider.js");
  const { TokenStore } = await import("../../hosts/node/idp/token-store.js");
  const { listenDtls } = await import("../../hosts/node/server-transport.js");
  const store = new TokenStore();
  const valid = store.issue({ sub: "test.device.01", scope: `tenant.demo ${SCOPE}`, lifetimeSeconds: 3600 });
  const transport = await listenDtls(port, "127.0.0.1", { psk: { identity: PSK_IDENTITY, key: PSK_KEY } });
  const server = new IdpServer(transport, new Provider({ store }));
  return {
    server,
    store,
    url: `coaps://127.0.0.1:${port}/idp/introspect`,
    port,
    valid,
    expired: "",
    wrongScope: "",
    unknown: "",
    log: [],
    close: () => server.close(),
  };
}

async function withRetry<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
