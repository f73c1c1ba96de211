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

test("TokenCache: digests that differ in any word are told apart, both kept; LRU eviction at capacity", () => {
  const cache = new TokenCache(4);
  const claims = new IntrospectionClaims({ active: true });
  const a = Uint32Array.of(1, 2, 3, 4);
  const b = Uint32Array.of(1, 2, 3, 5);
  cache.put(a, claims, 10, 10);
  assert.ok(cache.get(a) >= 0);
  assert.equal(cache.get(b), -1);
  cache.put(b, claims, 10, 10);
  assert.ok(cache.get(a) >= 0 && cache.get(b) >= 0 && cache.get(a) !== cache.get(b));
  assert.equal(cache.size, 2);
  for (let i = 0; i < 10; i++) cache.put(Uint32Array.of(100 + i, 0, 0, 0), claims, 10, 10);
  assert.equal(cache.size, 4);
  assert.equal(cache.evictions, 8);
  assert.equal(cache.get(a), -1);
  for (let i = 6; i < 10; i++) assert.ok(cache.get(Uint32Array.of(100 + i, 0, 0, 0)) >= 0);
  cache.clear();
  assert.equal(cache.size, 0);
});

test("TokenCache: a probe run stays whole after deletions (same home slot, wrap-around)", () => {
  const cache = new TokenCache(8); // 16 index slots
  const claims = new IntrospectionClaims({ active: true });
  const d = (w0: number, w1: number): Uint32Array => Uint32Array.of(w0, w1, 0, 0);
  // Five digests whose home is slot 15, two whose home is 0: the run wraps around the end of the index.
  const keys = [d(15, 1), d(31, 2), d(47, 3), d(0, 4), d(63, 5), d(16, 6), d(79, 7)];
  for (const k of keys) cache.put(k, claims, 10, 10);
  const rows = keys.map((k) => cache.get(k));
  assert.equal(new Set(rows).size, keys.length);
  for (const drop of [1, 3, 0]) {
    cache.delete(cache.get(keys[drop]!));
    assert.equal(cache.get(keys[drop]!), -1);
  }
  for (const k of [2, 4, 5, 6]) assert.ok(cache.get(keys[k]!) >= 0, `key ${k} still found`);
  assert.equal(cache.size, 4);
  cache.put(keys[1]!, claims, 10, 10);
  assert.ok(cache.get(keys[1]!) >= 0);
  assert.equal(cache.size, 5);
});
