import { test, assert, FakeClock } from "../harness/index.js";
import { MutableDecision, Verifier, type VerifierOptions } from "../../src/verifier/index.js";
import type { ClaimFields } from "../../src/idp/index.js";
import { ACTIVE, EPOCH, FakeIdp, FakeWall, PrngRandom, settle } from "./fakes.fixture.js";

function setup(overrides: Partial<VerifierOptions> = {}, claims: (token: string) => ClaimFields = () => ACTIVE) {
  const clock = new FakeClock(0);
  const wall = new FakeWall(clock, EPOCH);
  const idp = new FakeIdp(claims);
  const verifier = new Verifier({ introspector: idp, clock, wallClock: wall, random: new PrngRandom(7), ...overrides });
  return { clock, wall, idp, verifier };
}

test("a second verification of a token is a cache hit with no introspection", async () => {
  const { idp, verifier } = setup();
  const first = await verifier.verify("tok-a", { scope: "relay.switch" });
  assert.deepEqual(
    { ...first },
    {
      allowed: true,
      reason: "ok",
      sub: "dev-1",
      scopes: "relay.switch tenant.demo",
      expiresAt: ACTIVE.exp! * 1000,
      fromCache: false,
      errorCode: undefined,
    },
  );
  const second = await verifier.verify("tok-a", { scope: "relay.switch" });
  assert.equal(second.allowed, true);
  assert.equal(second.fromCache, true);
  assert.equal(idp.calls, 1);
  const s = verifier.stats();
  assert.equal(s.hits, 1);
  assert.equal(s.misses, 1);
  assert.equal(s.introspections, 1);
});

test("verifyCached decides a hit synchronously into a caller-owned decision, and reports a miss", async () => {
  const { verifier } = setup();
  const out = new MutableDecision();
  const req = { scope: "relay.switch" };
  assert.equal(verifier.verifyCached("tok-b", req, out), false);
  await verifier.verify("tok-b", req);
  assert.equal(verifier.verifyCached("tok-b", req, out), true);
  assert.equal(out.allowed, true);
  assert.equal(out.fromCache, true);
  assert.equal(verifier.verifyCached("", req, out), true);
  assert.equal(out.reason, "malformed");
});

test("the cache holds claims: scope, issuer and subject are re-checked on every call", async () => {
  const { idp, verifier } = setup();
  assert.equal((await verifier.verify("t", { scope: "relay.switch" })).reason, "ok");
  assert.equal((await verifier.verify("t", { scope: "admin" })).reason, "scope");
  assert.equal((await verifier.verify("t", { scope: ["relay.switch", "tenant.demo"] })).reason, "ok");
  assert.equal((await verifier.verify("t", { scope: ["relay.switch", "admin"] })).reason, "scope");
  assert.equal((await verifier.verify("t", { scope: "relay" })).reason, "scope");
  assert.equal((await verifier.verify("t", { scope: [] })).reason, "scope");
  assert.equal((await verifier.verify("t", { issuer: "https://idp/" })).reason, "ok");
  assert.equal((await verifier.verify("t", { issuer: "https://other/" })).reason, "issuer");
  assert.equal((await verifier.verify("t", { subjects: "dev-1" })).reason, "ok");
  assert.equal((await verifier.verify("t", { subjects: ["dev-2", "dev-1"] })).reason, "ok");
  assert.equal((await verifier.verify("t", { subjects: ["dev-2"] })).reason, "subject");
  assert.equal(idp.calls, 1);
});

test("malformed tokens are denied without introspection", async () => {
  const { idp, verifier } = setup({ maxTokenLength: 200 });
  assert.equal((await verifier.verify("")).reason, "malformed");
  assert.equal((await verifier.verify("x".repeat(201))).reason, "malformed");
  assert.equal(idp.calls, 0);
});

test("property (synced clock): no allowed decision at or after exp", async () => {
  const { clock, idp, verifier, wall } = setup({ maxTtlMs: 30_000, skewMs: 2_000 }, (token) => ({
    active: true,
    sub: "d",
    exp: Number(token.slice(4)),
  }));
  // The provider keeps saying active: exp enforcement is ours.
  let allowed = 0;
  for (let step = 0; step < 400; step++) {
    const token = `tok-${EPOCH / 1000 + 5 + (step % 7) * 13}`;
    const d = await verifier.verify(token);
    const now = wall.now()!;
    if (d.allowed) {
      allowed++;
      assert.ok(now < d.expiresAt! - 2_000 + 1e-9, `allowed at ${now} with exp ${d.expiresAt}`);
    } else {
      assert.equal(d.reason, "expired");
    }
    clock.advance(250 + (step % 5) * 100);
  }
  assert.ok(allowed > 0 && idp.calls > 0);
});

test("property (unsynced clock): a revoked token is never allowed later than maxTtl after revocation", async () => {
  const revokedAt = 45_000;
  const maxTtlMs = 20_000;
  const { clock, wall, verifier } = setup({ maxTtlMs, rate: { perSecond: 100, burst: 100 } }, () => ({
    active: clock.now() < revokedAt,
    sub: "d",
  }));
  wall.synced = false;
  let lastAllowed = -1;
  while (clock.now() < 120_000) {
    const d = await verifier.verify("tok-r");
    if (d.allowed) lastAllowed = clock.now();
    clock.advance(700);
  }
  assert.ok(lastAllowed >= revokedAt - 700, "allowed before revocation");
  assert.ok(lastAllowed < revokedAt + maxTtlMs, `last allowed at ${lastAllowed}`);
});

test("positive lifetime = min(exp - now - skew, maxTtl, fraction x remaining)", async () => {
  const { clock, idp, verifier } = setup({ maxTtlMs: 60_000, skewMs: 5_000, ttlFraction: 0.5 }, () => ({
    active: true,
    exp: EPOCH / 1000 + 100,
  }));
  await verifier.verify("t");
  clock.set(49_000);
  await verifier.verify("t");
  assert.equal(idp.calls, 1, "fresh before half the remaining 100 s");
  clock.set(50_001);
  await verifier.verify("t");
  assert.equal(idp.calls, 2, "introspected again after it");
});

test("inactive answers are cached for negativeTtlMs only", async () => {
  const { clock, idp, verifier } = setup({ negativeTtlMs: 3_000 }, () => ({ active: false }));
  assert.equal((await verifier.verify("t")).reason, "inactive");
  const cached = await verifier.verify("t");
  assert.equal(cached.reason, "inactive");
  assert.equal(cached.fromCache, true);
  assert.equal(idp.calls, 1);
  clock.advance(3_000);
  await verifier.verify("t");
  assert.equal(idp.calls, 2);
});

test("fail closed: provider down or refusing gives idp_unavailable / idp_error, counted by code", async () => {
  const { idp, verifier } = setup();
  idp.mode = "down";
  const down = await verifier.verify("t1", { scope: "relay.switch" });
  assert.deepEqual([down.allowed, down.reason, down.errorCode], [false, "idp_unavailable", "idp.unavailable"]);
  idp.mode = "unauthorized";
  const refused = await verifier.verify("t2");
  assert.deepEqual([refused.allowed, refused.reason, refused.errorCode], [false, "idp_error", "idp.unauthorized"]);
  assert.deepEqual(verifier.stats().errors, { "idp.unavailable": 1, "idp.unauthorized": 1 });
  idp.mode = "answer";
  assert.equal((await verifier.verify("t1")).allowed, true, "errors are not cached");
});

test("stale-if-error is off by default and, when enabled, serves only within its window", async () => {
  for (const staleIfErrorMs of [0, 30_000]) {
    const { clock, idp, verifier } = setup({ maxTtlMs: 10_000, staleIfErrorMs });
    await verifier.verify("t");
    idp.mode = "down";
    clock.advance(15_000);
    const d = await verifier.verify("t", { scope: "relay.switch" });
    assert.equal(d.allowed, staleIfErrorMs > 0, `stale ${staleIfErrorMs}`);
    if (staleIfErrorMs > 0) {
      assert.equal(d.fromCache, true);
      assert.equal((await verifier.verify("t", { scope: "admin" })).reason, "scope", "policy still applies to stale claims");
      clock.advance(30_000);
      assert.equal((await verifier.verify("t")).reason, "idp_unavailable", "after the window");
    } else {
      assert.equal(d.reason, "idp_unavailable");
    }
  }
});

test("single flight: concurrent verifications of one token make one introspection", async () => {
  const { idp, verifier } = setup();
  idp.mode = "deferred";
  const all = Array.from({ length: 10 }, (_, i) => verifier.verify("same", { scope: i % 2 === 0 ? "relay.switch" : "admin" }));
  await settle();
  assert.equal(idp.calls, 1);
  assert.equal(verifier.stats().inFlight, 1);
  idp.release();
  const decisions = await Promise.all(all);
  assert.deepEqual(
    decisions.map((d) => d.reason),
    ["ok", "scope", "ok", "scope", "ok", "scope", "ok", "scope", "ok", "scope"],
  );
  assert.equal(verifier.stats().coalesced, 9);
  assert.equal(verifier.stats().inFlight, 0);
});

test("LRU: at the entry limit the least recently used token is evicted", async () => {
  const { idp, verifier } = setup({ cacheEntries: 2 });
  await verifier.verify("A");
  await verifier.verify("B");
  await verifier.verify("A");
  await verifier.verify("C");
  assert.equal(idp.calls, 3);
  assert.equal((await verifier.verify("A")).fromCache, true);
  assert.equal((await verifier.verify("B")).fromCache, false);
  assert.equal(verifier.stats().cacheSize, 2);
  assert.ok(verifier.stats().evictions >= 1);
});

test("flood of random tokens: cache never exceeds its limit and the global rate limit kicks in", async () => {
  const { clock, idp, verifier } = setup({ cacheEntries: 8, rate: { perSecond: 5, burst: 10 } });
  const random = new PrngRandom(99);
  const bytes = new Uint8Array(24);
  for (let i = 0; i < 2_000; i++) {
    random.fill(bytes);
    const d = await verifier.verify(Array.from(bytes, (b) => b.toString(36)).join(""));
    assert.ok(verifier.stats().cacheSize <= 8, "bounded cache");
    if (!d.allowed) assert.equal(d.reason, "rate_limited");
    clock.advance(10);
  }
  const s = verifier.stats();
  // 20 s of virtual time: at most burst + rate x time introspections.
  assert.ok(idp.calls <= 10 + 5 * 20 + 1, `introspections ${idp.calls}`);
  assert.ok(s.rateLimited > 1_500, `rate limited ${s.rateLimited}`);
});

test("per-caller rate limit: one caller is throttled, others are not; caller table is bounded", async () => {
  const { clock, verifier } = setup({ callerRate: { perSecond: 0.1, burst: 2 }, rate: { perSecond: 100, burst: 100 }, maxCallers: 4 });
  const reasons: string[] = [];
  for (let i = 0; i < 4; i++) reasons.push((await verifier.verify(`noisy-${i}`, { callerKey: "peer-1" })).reason);
  assert.deepEqual(reasons, ["ok", "ok", "rate_limited", "rate_limited"]);
  assert.equal((await verifier.verify("quiet", { callerKey: "peer-2" })).reason, "ok");
  // Fill the caller table with draining buckets: new callers are refused, not given fresh buckets.
  await verifier.verify("x3", { callerKey: "peer-3" });
  await verifier.verify("x4", { callerKey: "peer-4" });
  assert.equal((await verifier.verify("x5", { callerKey: "peer-5" })).reason, "rate_limited");
  clock.advance(30_000);
  assert.equal((await verifier.verify("x6", { callerKey: "peer-6" })).reason, "ok", "a refilled bucket is recycled");
});

test("in-flight bound: more distinct concurrent introspections than maxInFlight are refused", async () => {
  const { idp, verifier } = setup({ maxInFlight: 2 });
  idp.mode = "deferred";
  const a = verifier.verify("a");
  const b = verifier.verify("b");
  const c = await verifier.verify("c");
  assert.equal(c.reason, "rate_limited");
  idp.release();
  assert.equal((await a).allowed && (await b).allowed, true);
});

test("options are validated", () => {
  const clock = new FakeClock();
  const idp = new FakeIdp(() => ACTIVE);
  assert.throws(() => new Verifier({ introspector: idp, clock }), { code: "verifier.bad_option" });
  assert.throws(() => new Verifier({ introspector: idp, clock, random: new PrngRandom(1), maxTtlMs: 0 }), { code: "verifier.bad_option" });
  assert.throws(() => new Verifier({ introspector: idp, clock, random: new PrngRandom(1), ttlFraction: 2 }), {
    code: "verifier.bad_option",
  });
});

test("token length limits: exactly maxTokenLength is accepted, one more is malformed", async () => {
  const { idp, verifier } = setup({ maxTokenLength: 64 });
  assert.equal((await verifier.verify("x".repeat(64))).reason, "ok");
  assert.equal((await verifier.verify("y".repeat(65))).reason, "malformed");
  assert.equal(idp.calls, 1);
});

test("non-ASCII tokens are told apart (digest over UTF-8)", async () => {
  const { idp, verifier } = setup();
  await verifier.verify("tök-1");
  await verifier.verify("tok-1");
  await verifier.verify("tök-1");
  assert.equal(idp.calls, 2);
});
