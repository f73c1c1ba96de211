// TokenVerifier on Node against our local provider over real DTLS and UDP: the options bag, default
// requirements and per-call ones, audience, early revocation, two providers that never share an entry,
// the trace (never a token or a key), close(), and typed errors for bad options that never echo a key.
// The same class on XS runs README's device block (test/device/readme-use.node.test.ts).
import { test, assert } from "../harness/index.js";
import { isIdpgateError } from "../../src/errors.js";
import { TokenVerifier, type TokenVerifierOptions } from "../../hosts/node/token-verifier.js";
import { MutableDecision, Requirement, type Requirements, type TokenVerifierTrace } from "../../src/verifier/index.js";
import { PSK_IDENTITY, PSK_KEY, startIdp, type IdpFixture } from "../support/node/idp-fixture.js";

const FAST = { ackTimeoutMs: 200, maxRetransmit: 2 };

function options(idp: IdpFixture, extra: Partial<TokenVerifierOptions> = {}): TokenVerifierOptions {
  return { url: idp.url, psk: { identity: PSK_IDENTITY, key: PSK_KEY }, coapParams: FAST, timeoutMs: 4_000, ...extra };
}

async function withIdp<T>(work: (idp: IdpFixture) => Promise<T>): Promise<T> {
  const idp = await startIdp();
  try {
    return await work(idp);
  } finally {
    await idp.close();
  }
}

test("TokenVerifier: default requirements decide, a call's own replace them key by key", () =>
  withIdp(async (idp) => {
    const v = new TokenVerifier(options(idp, { scope: "relay.write" }));
    try {
      assert.equal((await v.verify(idp.valid)).reason, "ok");
      assert.equal((await v.verify(idp.wrongScope)).reason, "scope");
      assert.equal((await v.verify(idp.wrongScope, { scope: "telemetry.read" })).reason, "ok", "the call's scope replaces the default");
      assert.equal((await v.verify(idp.expired)).reason, "inactive");
      assert.equal((await v.verify(idp.unknown)).reason, "inactive");
      assert.equal((await v.verify(idp.valid, { issuer: "https://elsewhere/" })).reason, "issuer", "defaults kept for other keys");
      const hit = await v.verify(idp.valid);
      assert.equal(hit.fromCache, true);
      assert.equal(v.stats().introspections, 4);
    } finally {
      v.close();
    }
  }));

test("TokenVerifier: a compiled Requirement replaces the defaults key by key too, and never drops one", () =>
  withIdp(async (idp) => {
    const v = new TokenVerifier(options(idp, { scope: "relay.write", issuer: "https://elsewhere/" }));
    const out = new MutableDecision();
    try {
      const scopeOnly = new Requirement({ scope: "telemetry.read" });
      assert.equal((await v.verify(idp.wrongScope, scopeOnly)).reason, "issuer", "the default issuer is kept");
      // A key present but undefined (every compiled Requirement has all keys) keeps the default.
      const noScope = new Requirement({ scope: undefined, issuer: undefined });
      assert.equal((await v.verify(idp.valid, noScope)).reason, "issuer");
      assert.equal((await v.verify(idp.valid, { scope: undefined })).reason, "issuer", "a plain object the same");
      const both = new Requirement({ scope: "telemetry.read", issuer: undefined });
      for (let i = 0; i < 3; i++) {
        assert.equal(v.verifyCached(idp.wrongScope, both, out), true);
        assert.equal(out.reason, "issuer", "the compiled merge is remembered, not the call's own keys alone");
        assert.equal(v.verifyCached(idp.wrongScope, scopeOnly, out) && out.reason, "issuer");
      }
    } finally {
      v.close();
    }
  }));

test("TokenVerifier: callers that alternate compiled Requirements each keep one merge (no new Requirement per call)", () =>
  withIdp(async (idp) => {
    const v = new TokenVerifier(options(idp, { scope: "relay.write" }));
    const out = new MutableDecision();
    const withOf = Requirement.prototype.with;
    let merges = 0;
    Requirement.prototype.with = function (this: Requirement, r: Requirements): Requirement {
      merges++;
      return withOf.call(this, r);
    };
    try {
      assert.equal((await v.verify(idp.valid)).reason, "ok");
      const a = new Requirement({ scope: "telemetry.read" });
      const b = new Requirement({ subjects: "device-17" });
      for (let i = 0; i < 4; i++) {
        assert.equal(v.verifyCached(idp.valid, a, out) && out.reason, "scope");
        assert.equal(v.verifyCached(idp.valid, b, out) && out.reason, "subject");
      }
      assert.equal(merges, 2, "one merge per Requirement, however the calls alternate");
    } finally {
      Requirement.prototype.with = withOf;
      v.close();
    }
  }));

test("TokenVerifier: audience against the provider's aud claim", () =>
  withIdp(async (idp) => {
    const token = idp.store.issue({ sub: "d", scope: "relay.write", lifetimeSeconds: 3600, extra: { aud: ["gate-17", "gate-18"] } });
    const v = new TokenVerifier(options(idp, { audience: "gate-17" }));
    try {
      assert.equal((await v.verify(token)).reason, "ok");
      assert.equal((await v.verify(token, { audience: "gate-19" })).reason, "audience");
      assert.equal((await v.verify(idp.valid)).reason, "audience", "a token without aud fails an audience requirement");
    } finally {
      v.close();
    }
  }));

test("TokenVerifier: invalidate(token) sees a revocation at once, clear() forgets all", () =>
  withIdp(async (idp) => {
    const v = new TokenVerifier(options(idp));
    try {
      assert.equal((await v.verify(idp.valid)).allowed, true);
      idp.store.revoke(idp.valid);
      assert.equal((await v.verify(idp.valid)).allowed, true, "cached: allowed until maxTtlMs");
      assert.equal(v.invalidate(idp.valid), true);
      assert.equal((await v.verify(idp.valid)).reason, "inactive");
      await v.verify(idp.wrongScope);
      v.clear();
      assert.equal((await v.verify(idp.wrongScope)).fromCache, false);
    } finally {
      v.close();
    }
  }));

test("TokenVerifier: two providers never share an entry, even for the same token text", async () => {
  const a = await startIdp();
  const b = await startIdp();
  try {
    b.store.add(a.valid, { sub: "other", scope: "telemetry.read", lifetimeSeconds: 3600 });
    const va = new TokenVerifier(options(a, { scope: "relay.write" }));
    const vb = new TokenVerifier(options(b, { scope: "relay.write" }));
    try {
      for (let round = 0; round < 2; round++) {
        const da = await va.verify(a.valid);
        const db = await vb.verify(a.valid);
        assert.equal(da.reason, "ok");
        assert.equal(da.sub, "test.device.01");
        assert.equal(db.reason, "scope", `round ${round}: provider b's own answer`);
        assert.equal(db.sub, "other");
        assert.equal(da.fromCache, round === 1);
        assert.equal(db.fromCache, round === 1);
      }
    } finally {
      va.close();
      vb.close();
    }
  } finally {
    await a.close();
    await b.close();
  }
});

test("TokenVerifier: trace gets decisions and link failures, never a token or a key; close() denies afterwards", () =>
  withIdp(async (idp) => {
    const events: TokenVerifierTrace[] = [];
    const v = new TokenVerifier(options(idp, { trace: (e) => events.push(e) }));
    await v.verify(idp.valid);
    await v.verify(idp.valid);
    await v.verify(idp.unknown);
    v.close();
    const closed = await v.verify(idp.valid);
    assert.equal(closed.allowed, false);
    assert.equal(closed.errorCode, "verifier.closed");
    assert.deepEqual(
      events.map((e) => (e.event === "decision" ? `${e.reason}${e.fromCache ? "+cache" : ""}` : e.event)),
      ["ok", "ok+cache", "inactive", "idp_unavailable"],
    );
    const text = JSON.stringify(events);
    for (const secret of [idp.valid, idp.unknown, PSK_KEY]) assert.ok(!text.includes(secret), "no secret in trace events");
  }));

test("TokenVerifier: an unreachable provider denies with idp_unavailable and a link_error trace, typed", async () => {
  const idp = await startIdp();
  const url = idp.url;
  await idp.close(); // nothing listens there now
  const socketsBefore = await settledUdpSockets();
  const events: TokenVerifierTrace[] = [];
  const v = new TokenVerifier({
    url,
    psk: { identity: PSK_IDENTITY, key: PSK_KEY },
    coapParams: FAST,
    timeoutMs: 1_500,
    trace: (e) => events.push(e),
  });
  try {
    const d = await v.verify("some-token-that-is-long-enough");
    assert.equal(d.allowed, false);
    assert.equal(d.reason, "idp_unavailable");
  } finally {
    v.close();
  }
  // close() gives up the handshake in progress: its socket and retransmission timer go at once, so the
  // process does not wait out the handshake timeout.
  assert.equal(await settledUdpSockets(), socketsBefore, "no UDP socket left open after close()");
});

/** UDP sockets open once those being closed are gone (a socket closes on a later tick; at most ~0.5 s). */
async function settledUdpSockets(): Promise<number> {
  let n = udpSockets();
  for (let i = 0; i < 50 && n > 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
    const now = udpSockets();
    if (now === n && i >= 5) break;
    n = now;
  }
  return n;
}

function udpSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "UDPWrap" || r === "UDPWRAP").length;
}

test("TokenVerifier options: typed errors that name the option and never echo a key", () => {
  const url = "coaps://127.0.0.1:5684/idp/introspect";
  const cases: Array<[unknown, string]> = [
    [undefined, "verifier.bad_option"],
    [{}, "verifier.bad_option"],
    [{ url: "coap://127.0.0.1/idp/introspect", psk: { identity: "d", key: "k" } }, "verifier.insecure"],
    [{ url }, "verifier.no_credentials"],
    [{ url: "http://x/", psk: { identity: "d", key: "k" } }, "coap."],
    [{ url, psk: { identity: "d", key: "hex:xyz0" } }, "key.malformed"],
    [{ url, psk: { identity: "d", key: "hex:123" } }, "key.malformed"],
    [{ url, psk: { identity: "d", key: "hex:" } }, "key.malformed"],
    [{ url, psk: { identity: "d", key: "" } }, "key.malformed"],
    [{ url, psk: { identity: "d", key: "s3cret-".repeat(6) } }, "key.malformed"],
  ];
  for (const [o, code] of cases) {
    let error: unknown;
    try {
      new TokenVerifier(o as TokenVerifierOptions).close();
    } catch (e) {
      error = e;
    }
    assert.ok(isIdpgateError(error, code), `${JSON.stringify(o)?.slice(0, 60)}: ${code}, got ${String(error)}`);
    assert.ok(!(error as Error).message.includes("s3cret") && !(error as Error).message.includes("xyz"), "the key is not echoed");
  }
});

test("TokenVerifier: a token read in place (verifyCached of bytes) decides its hit as verifyCached does, with the defaults; nothing once closed", () =>
  withIdp(async (idp) => {
    const v = new TokenVerifier(options(idp, { scope: "relay.write" }));
    const viaBytes = new MutableDecision();
    const viaString = new MutableDecision();
    const command = new TextEncoder().encode(`{"token":"${idp.wrongScope}","state":"on"}`);
    const start = 10;
    const end = start + idp.wrongScope.length;
    try {
      assert.equal(v.verifyCached(command, undefined, viaBytes, start, end), false, "a miss: the string path");
      await v.verify(idp.wrongScope);
      assert.equal(v.verifyCached(command, undefined, viaBytes, start, end), true);
      assert.equal(v.verifyCached(idp.wrongScope, undefined, viaString), true);
      assert.deepEqual([viaBytes.reason, viaBytes.fromCache], [viaString.reason, viaString.fromCache]);
      assert.equal(viaBytes.reason, "scope", "the default scope applies");
      assert.equal(v.verifyCached(command, { scope: "telemetry.read" }, viaBytes, start, end) && viaBytes.reason, "ok");
    } finally {
      v.close();
    }
    assert.equal(v.verifyCached(command, undefined, viaBytes, start, end), false, "closed: the string path, which denies");
  }));
