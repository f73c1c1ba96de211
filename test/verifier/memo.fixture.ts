/**
 * The security suite of the cache-hit path (compiled requirements and the cache's memo of static checks),
 * declared for one TokenDigest: test/verifier/requirement.test.ts runs it with SipHash (Node and XS),
 * test/verifier/native-probe.xs.test.ts with NativeTokenDigest (the fused digest-and-probe call).
 *
 * What must hold: a memo never carries a decision across tokens, rows, claims or requirements; a plain
 * object is checked in full on every call (mutating it changes the next decision); the time checks (active,
 * exp with the skew, the row's TTL) run on every hit; the hit path decides exactly as `decide` does.
 */
import { assert, FakeClock, test } from "../harness/index.js";
import type { ClaimFields } from "../../src/idp/index.js";
import {
  decide,
  MutableDecision,
  Requirement,
  Verifier,
  type Decision,
  type Requirements,
  type TokenDigest,
  type VerifierOptions,
} from "../../src/verifier/index.js";
import { PASSED_SLOTS } from "../../src/verifier/cache.js";
import { ACTIVE, EPOCH, FakeIdp, FakeWall } from "./fakes.fixture.js";

/** The fields a decision reports, fromCache left out (it tells a hit from a cold decision). */
function fields(d: Decision): Record<string, unknown> {
  return { allowed: d.allowed, reason: d.reason, sub: d.sub, scopes: d.scopes, expiresAt: d.expiresAt, errorCode: d.errorCode };
}

export function declareMemoTests(label: string, makeDigest: () => TokenDigest): void {
  function setup(claimsOf: (token: string) => ClaimFields, overrides: Partial<VerifierOptions> = {}) {
    const clock = new FakeClock(0);
    const wall = new FakeWall(clock, EPOCH);
    const idp = new FakeIdp(claimsOf);
    const verifier = new Verifier({
      introspector: idp,
      clock,
      wallClock: wall,
      digest: makeDigest(),
      rate: { perSecond: 1000, burst: 1000 },
      ...overrides,
    });
    return { clock, wall, idp, verifier, out: new MutableDecision() };
  }

  /** verifyCached, which must hit; its reason. */
  function hit(verifier: Verifier, token: string, req: Requirements, out: MutableDecision): string {
    assert.equal(verifier.verifyCached(token, req, out), true, `a hit for ${token}`);
    assert.equal(out.fromCache, true);
    return out.reason;
  }

  test(`${label}: a memo never carries a pass from one token to another`, async () => {
    const { verifier, out } = setup((t) => (t === "tok-wide" ? ACTIVE : { ...ACTIVE, scope: "tenant.demo" }));
    const req = new Requirement({ scope: "relay.switch" });
    await verifier.verify("tok-wide", req);
    await verifier.verify("tok-narrow", req);
    for (let i = 0; i < 3; i++) {
      assert.equal(hit(verifier, "tok-wide", req, out), "ok");
      assert.equal(hit(verifier, "tok-narrow", req, out), "scope");
    }
  });

  test(`${label}: a memo never carries a pass from one requirement to another (issuer, audience, subjects, scope)`, async () => {
    const { verifier, out } = setup(() => ({ ...ACTIVE, aud: ["gate-1"] }));
    const good = new Requirement({ scope: "relay.switch", issuer: "https://idp/", audience: "gate-1", subjects: ["dev-1"] });
    const others: [Requirement, string][] = [
      [new Requirement({ scope: "admin" }), "scope"],
      [new Requirement({ scope: ["relay.switch", "admin"] }), "scope"],
      [new Requirement({ issuer: "https://other/" }), "issuer"],
      [new Requirement({ audience: "gate-2" }), "audience"],
      [new Requirement({ subjects: "dev-2" }), "subject"],
    ];
    await verifier.verify("t", good);
    for (let round = 0; round < 2; round++) {
      for (const [req, reason] of others) {
        assert.equal(hit(verifier, "t", good, out), "ok");
        assert.equal(hit(verifier, "t", req, out), reason);
      }
    }
  });

  test(`${label}: new claims for a row (re-introspection, reuse after eviction) forget the memo`, async () => {
    let scope = "relay.switch";
    // staleIfErrorMs: the row outlives its TTL, so the new answer replaces its claims in place.
    const { clock, verifier, out } = setup(() => ({ ...ACTIVE, scope }), { maxTtlMs: 1_000, cacheEntries: 1, staleIfErrorMs: 60_000 });
    const req = new Requirement({ scope: "relay.switch" });
    await verifier.verify("t", req);
    assert.equal(hit(verifier, "t", req, out), "ok");
    // The same token introspected again after its TTL: the provider now grants less.
    scope = "tenant.demo";
    clock.advance(1_000);
    assert.equal(verifier.verifyCached("t", req, out), false, "expired by the TTL: a miss");
    assert.equal((await verifier.verify("t", req)).reason, "scope");
    assert.equal(hit(verifier, "t", req, out), "scope");
    // One row only: another token evicts "t" and takes its row; its claims are checked afresh.
    scope = "relay.switch";
    clock.advance(1_000);
    await verifier.verify("t", req);
    assert.equal(hit(verifier, "t", req, out), "ok");
    scope = "tenant.demo";
    await verifier.verify("u", req);
    assert.equal(hit(verifier, "u", req, out), "scope");
    assert.equal(verifier.verifyCached("t", req, out), false, "t was evicted");
    // invalidate() frees the row; the next answer for the token is checked in full.
    verifier.invalidate("u");
    scope = "relay.switch";
    await verifier.verify("u", req);
    assert.equal(hit(verifier, "u", req, out), "ok");
  });

  test(`${label}: a plain object is checked in full on every call: mutating it changes the decision`, async () => {
    const { verifier, out } = setup(() => ACTIVE);
    const plain: { scope?: string | string[]; issuer?: string; subjects?: string } = { scope: "relay.switch" };
    await verifier.verify("t", plain);
    assert.equal(hit(verifier, "t", plain, out), "ok");
    plain.scope = "admin";
    assert.equal(hit(verifier, "t", plain, out), "scope");
    plain.scope = ["relay.switch"];
    assert.equal(hit(verifier, "t", plain, out), "ok");
    plain.scope[0] = "admin";
    assert.equal(hit(verifier, "t", plain, out), "scope");
    delete plain.scope;
    plain.issuer = "https://other/";
    assert.equal(hit(verifier, "t", plain, out), "issuer");
    delete plain.issuer;
    plain.subjects = "dev-2";
    assert.equal(hit(verifier, "t", plain, out), "subject");
  });

  test(`${label}: a Requirement is frozen and copies its lists: changing the source changes nothing`, async () => {
    const { verifier, out } = setup(() => ACTIVE);
    const scopes = ["relay.switch"];
    const subjects = ["dev-1"];
    const req = new Requirement({ scope: scopes, subjects });
    assert.ok(Object.isFrozen(req) && Object.isFrozen(req.scope) && Object.isFrozen(req.subjects));
    await verifier.verify("t", req);
    assert.equal(hit(verifier, "t", req, out), "ok");
    scopes[0] = "admin";
    subjects[0] = "dev-2";
    assert.equal(hit(verifier, "t", req, out), "ok", "the source lists were copied");
    assert.equal(hit(verifier, "t", new Requirement({ scope: scopes }), out), "scope");
    assert.throws(() => {
      (req as { scope: unknown }).scope = "admin";
    });
  });

  test(`${label}: with a memo, active, exp (with the skew) and the TTL are still checked on every hit`, async () => {
    const exp = EPOCH / 1000 + 60;
    const { clock, verifier, out, wall } = setup((t) => (t === "inactive" ? { active: false } : { ...ACTIVE, exp }), {
      skewMs: 5_000,
      maxTtlMs: 600_000,
      ttlFraction: 1,
    });
    const req = new Requirement({ scope: "relay.switch" });
    const none = new Requirement({});
    await verifier.verify("t", req);
    await verifier.verify("inactive", none);
    assert.equal(hit(verifier, "t", req, out), "ok");
    assert.equal(hit(verifier, "inactive", none, out), "inactive");
    assert.equal(hit(verifier, "inactive", none, out), "inactive", "a memo of passed static checks is no pass");
    // The row stays fresh by the monotonic clock (fresh until exp - skew by the wall clock at storing), but
    // the wall clock jumps forward (a time sync): exp is enforced at once, memo or not.
    wall.epochMs += 56_000;
    assert.equal(hit(verifier, "t", req, out), "expired");
    wall.epochMs -= 56_000;
    assert.equal(hit(verifier, "t", req, out), "ok");
    // An unsynchronised wall clock: `active` decides (as in decide()).
    wall.synced = false;
    assert.equal(hit(verifier, "t", req, out), "ok");
    wall.synced = true;
    // The TTL: at exp - skew the row is no longer fresh: a miss, not a remembered pass.
    clock.advance(55_000);
    assert.equal(verifier.verifyCached("t", req, out), false);
  });

  test(`${label}: more requirements than the memo has slots are all decided right`, async () => {
    const { verifier, out } = setup((t) => ({ ...ACTIVE, scope: `s-${t}` }), { cacheEntries: 4 });
    const reqs: Requirement[] = [];
    for (let i = 0; i < PASSED_SLOTS + 3; i++) reqs.push(new Requirement({ scope: `s-${i % 4}` }));
    for (let t = 0; t < 4; t++) await verifier.verify(String(t), reqs[t]!);
    for (let round = 0; round < 3; round++)
      for (let r = 0; r < reqs.length; r++)
        for (let t = 0; t < 4; t++) assert.equal(hit(verifier, String(t), reqs[r]!, out), r % 4 === t ? "ok" : "scope", `round ${round}`);
  });

  test(`${label}: a memo slot given to another requirement is forgotten by the rows that remembered it`, async () => {
    const { verifier, out } = setup((t) => ({ ...ACTIVE, scope: t === "a" ? "only-a" : "only-b" }));
    const first = new Requirement({ scope: "only-a" });
    await verifier.verify("a", first);
    await verifier.verify("b", first);
    assert.equal(hit(verifier, "a", first, out), "ok"); // row a remembers `first` in slot 1
    let last = first;
    for (let i = 0; i < PASSED_SLOTS; i++) {
      last = new Requirement({ scope: "only-b" });
      assert.equal(hit(verifier, "b", last, out), "ok"); // the last one takes slot 1 again
    }
    assert.equal(hit(verifier, "a", last, out), "scope");
    assert.equal(hit(verifier, "a", first, out), "ok");
  });

  test(`${label}: the hit path decides as decide() does (claims x requirements x clocks, plain and compiled)`, async () => {
    const claimSets: ClaimFields[] = [
      ACTIVE,
      { ...ACTIVE, aud: "gate-1" },
      { ...ACTIVE, aud: ["gate-2", "gate-1"], sub: undefined },
      { ...ACTIVE, exp: undefined, iss: undefined },
      { ...ACTIVE, exp: EPOCH / 1000 + 3 },
      { ...ACTIVE, scope: undefined },
      { active: false, sub: "dev-1", scope: "relay.switch" },
    ];
    const plains: Requirements[] = [
      {},
      { scope: "relay.switch" },
      { scope: "relay" },
      { scope: "" },
      { scope: "relay.switch tenant.demo" },
      { scope: ["tenant.demo", "relay.switch"] },
      { scope: [] },
      { issuer: "https://idp/" },
      { issuer: "https://other/", scope: "admin" },
      { audience: "gate-1" },
      { subjects: ["dev-2", "dev-1"] },
      { subjects: "dev-2", audience: "gate-3" },
    ];
    const skewMs = 2_000;
    const { verifier, out, wall, idp } = setup((t) => claimSets[Number(t)]!, { skewMs, maxTtlMs: 600_000, ttlFraction: 1 });
    // From promise jobs, as a device's handler runs: the test's own frames would count against XS's 512 slots.
    for (let c = 0; c < claimSets.length; c++) await Promise.resolve().then(() => verifier.verify(String(c), {}));
    const expected = new MutableDecision();
    for (const offset of [0, 1_000, 5_000])
      for (const synced of [true, false]) {
        wall.epochMs = EPOCH + offset;
        wall.synced = synced;
        for (const plain of plains) {
          const compiled = new Requirement(plain);
          for (let c = 0; c < claimSets.length; c++) {
            const claims = await idp.introspect(String(c));
            decide(claims, plain, wall.now(), skewMs, expected);
            for (const req of [plain, compiled, compiled]) {
              if (verifier.verifyCached(String(c), req, out)) assert.deepEqual(fields(out), fields(expected), `claims ${c}`);
              else assert.fail(`claims ${c}: a miss (offset ${offset})`);
            }
          }
        }
      }
  });
}
