// The fused cache-hit probe of NativeTokenDigest (digestFind: digest and table search in one native call)
// against the JS path, and the cache-hit security suite (memo.fixture.ts) with it. XS only: under Node this
// file declares nothing. (4-byte table slots need a cache past the suite's memory limits: the C self-test,
// modules/digest/test, covers them.)
import { assert, FakeClock, onNode, test } from "../harness/index.js";
import { IntrospectionClaims } from "../../src/idp/index.js";
import { utf8Encode } from "../../src/json/index.js";
import { MutableDecision, Requirement, TokenCache, Verifier } from "../../src/verifier/index.js";
import { ACTIVE, FakeIdp, PrngRandom } from "./fakes.fixture.js";
import { assertHitsAllocateNothing } from "./hit-heap.fixture.js";
import { declareMemoTests } from "./memo.fixture.js";
import { declareBytesTests } from "./bytes.fixture.js";

const same = (a: Uint32Array, b: Uint32Array): boolean => a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];

async function declareTests(): Promise<void> {
  const { NativeTokenDigest } = await import("../../modules/digest/token_digest.js");
  const { gc, memory, resetPeaks } = await import("../../hosts/xs/js/host.js");

  // The fused call (digest and probe in C) against digest() and TokenCache's own search, on the same tables.
  function differential(capacity: number, steps: number, seed: number): void {
    const d = new NativeTokenDigest();
    const cache = new TokenCache(capacity);
    const claims = new IntrospectionClaims({ active: true });
    const random = new PrngRandom(seed);
    const pick = new Uint8Array(2);
    const live = new Set<string>();
    const fused = new Uint32Array(4);
    const plain = new Uint32Array(4);
    // Few distinct tokens for the table's size: puts find their own rows, deletions leave probe runs to mend.
    const tokens = Math.min(2 * capacity, 300);
    let found = 0;
    for (let step = 0; step < steps; step++) {
      random.fill(pick);
      const token = `tok-${(pick[0]! * 256 + pick[1]!) % tokens}`;
      const row = d.digestFind(token, fused, cache.table, cache.mask);
      d.digest(token, plain);
      assert.ok(same(fused, plain), "digestFind writes the digest() words");
      assert.equal(row, cache.find(plain), `step ${step}: the same row as TokenCache.find`);
      if (row >= 0) found++;
      assert.equal(row >= 0, live.has(token));
      if (pick[0]! % 3 === 0 && row >= 0) {
        cache.delete(row);
        live.delete(token);
      } else {
        cache.put(plain, claims, 1, 1);
        live.add(token);
        // An eviction dropped the least recently used token: recompute what is live.
        if (cache.size < live.size) for (const t of [...live]) if (d.digestFind(t, fused, cache.table, cache.mask) < 0) live.delete(t);
      }
    }
    assert.ok(found > steps / 10, `hits were exercised (${found})`);
    d.free();
  }

  test("digestFind answers exactly as digest() + TokenCache.find over random puts, deletions and evictions", () => {
    differential(1, 200, 1);
    differential(5, 600, 2);
    differential(32, 1500, 3);
  });

  test("digestFind refuses what is not a consistent cache table, and throws digest.closed after free()", () => {
    const d = new NativeTokenDigest();
    const out = new Uint32Array(4);
    const cache = new TokenCache(4);
    assert.throws(() => d.digestFind("tok-a", out, cache.table, 5), { instanceOf: RangeError }, "mask + 1 not a power of two");
    assert.throws(() => d.digestFind("tok-a", out, cache.table, 0), { instanceOf: RangeError });
    assert.throws(() => d.digestFind("tok-a", out, cache.table, 1023), { instanceOf: RangeError }, "more slots than the buffer holds");
    assert.throws(() => d.digestFind("tok-a", out, new ArrayBuffer(20), 7), { instanceOf: RangeError }, "no whole rows after the index");
    // A slot naming a row past the table (a corrupted index) is refused, never read.
    d.digest("tok-a", out);
    const bad = new ArrayBuffer(cache.table.byteLength);
    new Int16Array(bad, 0, cache.mask + 1)[out[0]! & cache.mask] = 5;
    assert.throws(() => d.digestFind("tok-a", out, bad, cache.mask), { instanceOf: RangeError });
    assert.throws(() => d.digestFind("tok-a", out, 42 as unknown as ArrayBuffer, cache.mask), { instanceOf: TypeError });
    assert.throws(() => d.digestFind(42 as unknown as string, out, cache.table, cache.mask), { instanceOf: TypeError });
    d.free();
    assert.throws(() => d.digestFind("tok-a", out, cache.table, cache.mask), { code: "digest.closed" });
  });

  test("with the fused probe, malformed tokens are still malformed (probed first, checked on the miss)", async () => {
    const clock = new FakeClock(0);
    const idp = new FakeIdp(() => ACTIVE);
    const verifier = new Verifier({ introspector: idp, clock, digest: new NativeTokenDigest(), maxTokenLength: 16 });
    const out = new MutableDecision();
    for (const token of ["", "x".repeat(17), 42 as unknown as string, undefined as unknown as string]) {
      assert.equal(verifier.verifyCached(token, {}, out), true);
      assert.equal(out.reason, "malformed");
      assert.equal((await verifier.verify(token)).reason, "malformed");
    }
    assert.equal((await verifier.verify("x".repeat(16))).reason, "ok");
    assert.equal(idp.calls, 1);
  });

  test("XS: 200 cache hits with a compiled Requirement and the fused probe allocate no slot and no chunk, and retain nothing", async () => {
    const token = "tok-" + "Qx7".repeat(32);
    const verifier = new Verifier({ introspector: new FakeIdp(() => ACTIVE), clock: new FakeClock(0), digest: new NativeTokenDigest() });
    const compiled = new Requirement({ scope: "relay.switch" });
    const decision = new MutableDecision();
    // From a promise job, as a device's command handler runs (the runner's frames are deep).
    await Promise.resolve().then(() => verifier.verify(token, compiled));
    // Two warm-up hits: the first checks in full and remembers the pass, the second takes the memo.
    for (let i = 0; i < 2; i++) assert.ok(verifier.verifyCached(token, compiled, decision) && decision.allowed, "warm-up hit");
    assertHitsAllocateNothing({ gc, memory, resetPeaks }, () => verifier.verifyCached(token, compiled, decision) && decision.allowed, true);
  });

  test("XS: 200 cache hits on a token read in place (verifyCached of bytes, digestFindBytes) allocate no slot and no chunk", async () => {
    const token = "tok-" + "Qx7".repeat(30);
    const command = utf8Encode(`{"token":"${token}","state":"on"}`);
    const start = 10;
    const end = start + token.length;
    const verifier = new Verifier({ introspector: new FakeIdp(() => ACTIVE), clock: new FakeClock(0), digest: new NativeTokenDigest() });
    const compiled = new Requirement({ scope: "relay.switch" });
    const decision = new MutableDecision();
    await Promise.resolve().then(() => verifier.verify(token, compiled));
    for (let i = 0; i < 2; i++)
      assert.ok(verifier.verifyCached(command, compiled, decision, start, end) && decision.allowed, "warm-up hit");
    assertHitsAllocateNothing(
      { gc, memory, resetPeaks },
      () => verifier.verifyCached(command, compiled, decision, start, end) && decision.allowed,
      true,
    );
  });

  declareMemoTests("native digest", () => new NativeTokenDigest());
  declareBytesTests("native digest", () => new NativeTokenDigest());
}

// Declared from a promise job: the module body runs on the runner's import frames, near a 512-slot stack's end.
if (!onNode) await Promise.resolve().then(declareTests);
