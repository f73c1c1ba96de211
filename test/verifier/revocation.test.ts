// Early revocation and audience, and the bug classes other introspection caches have shipped: scope and
// exp checked on every hit, a bounded revocation delay, no cross-token collisions, and answers in flight
// during invalidate()/clear() not cached. Runtime-neutral: runs under Node and on the XS test host.
import { test, assert, FakeClock } from "../harness/index.js";
import { SipHashTokenDigest, Verifier, type VerifierOptions } from "../../src/verifier/index.js";
import type { ClaimFields } from "../../src/idp/index.js";
import { ACTIVE, EPOCH, FakeIdp, FakeWall, PrngRandom, settle } from "./fakes.fixture.js";

function setup(overrides: Partial<VerifierOptions> = {}, claims: (token: string) => ClaimFields = () => ACTIVE) {
  const clock = new FakeClock(0);
  const wall = new FakeWall(clock, EPOCH);
  const idp = new FakeIdp(claims);
  const verifier = new Verifier({ introspector: idp, clock, wallClock: wall, random: new PrngRandom(11), ...overrides });
  return { clock, wall, idp, verifier };
}

test("invalidate(token) drops that token's entry only: its next verification asks the provider", async () => {
  let revoked = false;
  const { idp, verifier } = setup({}, (t) => (t === "a" && revoked ? { active: false } : ACTIVE));
  await verifier.verify("a");
  await verifier.verify("b");
  assert.equal(idp.calls, 2);
  revoked = true; // revoked at the provider: the cache would still allow it for maxTtlMs
  assert.equal((await verifier.verify("a")).allowed, true, "cached before invalidate");
  assert.equal(verifier.invalidate("a"), true);
  assert.equal(verifier.invalidate("a"), false, "nothing left to drop");
  assert.equal(verifier.invalidate("never-seen"), false);
  const after = await verifier.verify("a");
  assert.equal(after.reason, "inactive");
  assert.equal(after.fromCache, false);
  assert.equal(idp.calls, 3);
  assert.equal((await verifier.verify("b")).fromCache, true, "the other token's entry stays");
});

test("clear() drops every entry", async () => {
  const { idp, verifier } = setup();
  await verifier.verify("a");
  await verifier.verify("b");
  verifier.clear();
  assert.equal(verifier.stats().cacheSize, 0);
  assert.equal((await verifier.verify("a")).fromCache, false);
  assert.equal((await verifier.verify("b")).fromCache, false);
  assert.equal(idp.calls, 4);
});

test("an answer in flight during invalidate() or clear() reaches its callers but is not cached", async () => {
  for (const drop of ["invalidate", "clear"] as const) {
    const { idp, verifier } = setup();
    idp.mode = "deferred";
    const pending = verifier.verify("a");
    await settle();
    if (drop === "invalidate") verifier.invalidate("a");
    else verifier.clear();
    idp.release();
    assert.equal((await pending).allowed, true, `${drop}: the waiting caller gets its answer`);
    idp.mode = "answer";
    assert.equal((await verifier.verify("a")).fromCache, false, `${drop}: the answer of before was not cached`);
    assert.equal(idp.calls, 2);
  }
});

test("audience: aud as a string or a list must contain the required value; checked on every hit", async () => {
  const { verifier } = setup({}, (t) =>
    t === "list" ? { ...ACTIVE, aud: ["gate-a", "gate-b"] } : t === "one" ? { ...ACTIVE, aud: "gate-a" } : ACTIVE,
  );
  for (const token of ["list", "one"]) {
    assert.equal((await verifier.verify(token, { audience: "gate-a" })).reason, "ok", token);
    assert.equal((await verifier.verify(token, { audience: "gate-c" })).reason, "audience", `${token} from the cache`);
    assert.equal((await verifier.verify(token, { audience: "gate" })).reason, "audience", `${token}: no prefix match`);
  }
  assert.equal((await verifier.verify("list", { audience: "gate-b" })).reason, "ok");
  assert.equal((await verifier.verify("none", { audience: "gate-a" })).reason, "audience", "no aud claim at all");
  assert.equal((await verifier.verify("none")).reason, "ok", "no audience required");
});

test("every hit checks exp and scope again: an entry never outlives exp, a scope is never remembered", async () => {
  const { clock, verifier } = setup({ maxTtlMs: 3_600_000, ttlFraction: 1, skewMs: 0 }, () => ({ ...ACTIVE, exp: EPOCH / 1000 + 10 }));
  assert.equal((await verifier.verify("t", { scope: "relay.switch" })).reason, "ok");
  assert.equal((await verifier.verify("t", { scope: "admin" })).reason, "scope");
  clock.advance(9_999);
  const hit = await verifier.verify("t", { scope: "relay.switch" });
  assert.equal(hit.fromCache, true);
  assert.equal(hit.allowed, true);
  clock.advance(1);
  const d = await verifier.verify("t", { scope: "relay.switch" });
  assert.equal(d.allowed, false, "at exp: denied, cached or not");
});

test("revocation delay is bounded by maxTtlMs, however often the token is used", async () => {
  let revoked = false;
  const { clock, verifier } = setup({ maxTtlMs: 1_000 }, () => (revoked ? { active: false } : ACTIVE));
  await verifier.verify("t");
  revoked = true;
  let lastAllowed = -1;
  for (let ms = 0; ms <= 2_000; ms += 50) {
    if ((await verifier.verify("t")).allowed) lastAllowed = clock.now();
    clock.advance(50);
  }
  assert.ok(lastAllowed >= 0 && lastAllowed < 1_000, `allowed until ${lastAllowed} ms, never at or past maxTtlMs`);
});

test("no cross-token answers: 500 distinct tokens with distinct claims each get their own", async () => {
  const { verifier } = setup({ cacheEntries: 64, rate: { perSecond: 1e6, burst: 1e6 } }, (t) => ({ ...ACTIVE, sub: t }));
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 500; i++) {
      const token = `token-${i}-${"x".repeat(i % 7)}`;
      assert.equal((await verifier.verify(token)).sub, token);
    }
  }
});

test("two providers (or two credentials) never share an entry: one token, two verifiers with one digest, two answers", async () => {
  const clock = new FakeClock(0);
  const wall = new FakeWall(clock, EPOCH);
  // The cache belongs to the Verifier (a TokenVerifier is one provider URL with one credential), so even a
  // digest shared on purpose gives no path from one provider's answer to the other's callers.
  const digest = new SipHashTokenDigest(new PrngRandom(5));
  const providerA = new FakeIdp(() => ACTIVE);
  const providerB = new FakeIdp(() => ({ active: false }));
  const a = new Verifier({ introspector: providerA, clock, wallClock: wall, digest });
  const b = new Verifier({ introspector: providerB, clock, wallClock: wall, digest });
  assert.equal((await a.verify("same-token")).allowed, true);
  assert.equal((await a.verify("same-token")).fromCache, true);
  const fromB = await b.verify("same-token");
  assert.equal(fromB.allowed, false, "B's provider decides B's answer");
  assert.equal(fromB.fromCache, false, "not from A's entry");
  assert.equal(providerB.calls, 1);
  assert.equal((await a.verify("same-token")).allowed, true, "and B's answer does not reach A");
  assert.equal(providerA.calls, 1);
});
