import { test, assert } from "../harness/index.js";
import { IntrospectionClaims, spaceListContains } from "../../src/idp/index.js";
import { decide, KeyedBuckets, MutableDecision, TokenBucket, TokenCache } from "../../src/verifier/index.js";

test("spaceListContains: whole items only, no partial or multi-item matches", () => {
  const cases: ReadonlyArray<readonly [string | undefined, string, boolean]> = [
    ["tenant.demo refresh.token temp", "tenant.demo", true],
    ["tenant.demo refresh.token temp", "refresh.token", true],
    ["tenant.demo refresh.token temp", "temp", true],
    ["tenant.demo refresh.token temp", "tenant", false],
    ["tenant.demo refresh.token temp", "token", false],
    ["tenant.demo refresh.token temp", "temp2", false],
    ["tenant.demo refresh.token temp", "te", false],
    ["tenant.demo refresh.token temp", "tenant.demo refresh.token", false],
    ["tenant.demo refresh.token temp", "", false],
    ["tenant.demo refresh.token temp", " ", false],
    ["a  b", "b", true],
    ["a  b", "a", true],
    [" a ", "a", true],
    ["", "a", false],
    [undefined, "a", false],
    ["aa a", "a", true],
    ["ab", "a", false],
    ["a", "ab", false],
    ["é 😀", "😀", true],
    ["ba a", "a", true],
    ["ab ba", "a", false],
    ["é😀 😀é", "😀", false],
    ["a\u0000 b", "a", false],
    ["a\u0000 b", "a\u0000", true],
  ];
  for (const [list, word, expected] of cases) assert.equal(spaceListContains(list, word), expected, `${String(list)} / ${word}`);
});

test("decide: policy order inactive > expired > issuer > subject > scope, and unsynced clocks ignore exp", () => {
  const out = new MutableDecision();
  const claims = new IntrospectionClaims({ active: true, sub: "d", scope: "s", iss: "i", exp: 1000 });
  assert.equal(decide(claims, { scope: "x", issuer: "y" }, 2_000_000, 0, out).reason, "expired");
  assert.equal(decide(claims, { scope: "x", issuer: "y" }, undefined, 0, out).reason, "issuer");
  assert.equal(decide(claims, { scope: "x", subjects: ["e"] }, undefined, 0, out).reason, "subject");
  assert.equal(decide(claims, { scope: "x" }, undefined, 0, out).reason, "scope");
  assert.equal(decide(claims, { scope: "s" }, 999_000 - 10, 0, out).reason, "ok");
  assert.equal(decide(claims, { scope: "s" }, 999_000 - 10, 5_000, out).reason, "expired", "skew denies early");
  assert.equal(decide(new IntrospectionClaims({ active: false }), {}, undefined, 0, out).reason, "inactive");
  assert.equal(out.allowed, false);
});

test("TokenBucket: burst, then the sustained rate", () => {
  const b = new TokenBucket({ perSecond: 2, burst: 3 }, 0);
  assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
  assert.equal(b.take(499), false);
  assert.equal(b.take(500), true);
  assert.equal(b.available(100_000), 3, "never above the burst");
});

test("KeyedBuckets: bounded; a full table only recycles buckets that refilled", () => {
  const k = new KeyedBuckets({ perSecond: 1, burst: 1 }, 2);
  k.bucket("a", 0)!.take(0);
  k.bucket("b", 0)!.take(0);
  assert.equal(k.bucket("c", 0), undefined);
  assert.equal(k.size, 2);
  const c = k.bucket("c", 1_000);
  assert.ok(c !== undefined && c.take(1_000));
  assert.equal(k.size, 2);
});

test("TokenCache: a 53-bit key collision with different check words is a miss and a replacement", () => {
  const cache = new TokenCache(4);
  const claims = new IntrospectionClaims({ active: true });
  const a = Uint32Array.of(1, 2, 3, 4);
  const b = Uint32Array.of(1, 2, 3, 5);
  cache.put(a, claims, 10, 10);
  assert.notEqual(cache.get(a), undefined);
  assert.equal(cache.get(b), undefined);
  cache.put(b, claims, 10, 10);
  assert.equal(cache.get(a), undefined);
  assert.notEqual(cache.get(b), undefined);
  assert.equal(cache.size, 1);
  for (let i = 0; i < 10; i++) cache.put(Uint32Array.of(100 + i, 0, 0, 0), claims, 10, 10);
  assert.equal(cache.size, 4);
  assert.equal(cache.evictions, 7);
  cache.clear();
  assert.equal(cache.size, 0);
});
