// NativeTokenDigest (modules/digest: HMAC-SHA-256/128 in C over mbedtls) on the real XS engine, alone and
// as the Verifier's cache key. XS only: under Node this file declares nothing (Native() does not exist
// there; hosts/node/token-digest.ts is the Node port, tested in test/verifier/token-digest.node.test.ts).
import { assert, FakeClock, onNode, test } from "../harness/index.js";
import { MutableDecision, Verifier } from "../../src/verifier/index.js";
import { ACTIVE, EPOCH, FakeIdp, FakeWall } from "./fakes.fixture.js";

async function declareTests(): Promise<void> {
  const { NativeTokenDigest } = await import("../../modules/digest/token_digest.js");
  const { gc } = await import("../../hosts/xs/js/host.js");

  const digestOf = (d: InstanceType<typeof NativeTokenDigest>, token: string): Uint32Array => {
    const out = new Uint32Array(4);
    d.digest(token, out);
    return out;
  };
  const same = (a: Uint32Array, b: Uint32Array): boolean => a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];

  test("equal tokens give equal digests, also from equal strings built apart", () => {
    const d = new NativeTokenDigest();
    const token = "tok-" + "Qx7".repeat(32);
    const built = ["tok-", "Qx7".repeat(16), "Qx7".repeat(16)].join("");
    assert.ok(same(digestOf(d, token), digestOf(d, token)));
    assert.ok(same(digestOf(d, token), digestOf(d, built)));
    const zero = digestOf(d, "tok-a");
    assert.ok(zero[0]! !== 0 || zero[1]! !== 0 || zero[2]! !== 0 || zero[3]! !== 0);
    d.free();
  });

  test("different tokens give different digests (one-character, length, non-ASCII and NUL changes)", () => {
    const d = new NativeTokenDigest();
    const tokens = ["tok-a", "tok-b", "tok-a ", "tok-", "Tok-a", "tok-\u00e9", "tok-\u{1f511}", "tok-\u0000", "tok-\u0000a", ""];
    const seen = tokens.map((t) => digestOf(d, t));
    for (let i = 0; i < seen.length; i++)
      for (let j = i + 1; j < seen.length; j++) assert.ok(!same(seen[i]!, seen[j]!), `tokens ${i} and ${j}`);
    d.free();
  });

  test("two instances have different random keys", () => {
    const a = new NativeTokenDigest();
    const b = new NativeTokenDigest();
    assert.ok(!same(digestOf(a, "tok-a"), digestOf(b, "tok-a")));
    a.free();
    b.free();
  });

  test("digest() writes only out[0..3] and accepts a view into a larger buffer", () => {
    const d = new NativeTokenDigest();
    const wide = new Uint32Array(6).fill(7);
    const view = new Uint32Array(wide.buffer, 4, 4);
    d.digest("tok-a", view);
    assert.equal(wide[0], 7);
    assert.equal(wide[5], 7);
    assert.ok(same(view, digestOf(d, "tok-a")));
    d.free();
  });

  test("bad arguments throw TypeError; free() wipes once and later digests throw digest.closed", () => {
    const d = new NativeTokenDigest();
    const out = new Uint32Array(4);
    assert.throws(() => d.digest(42 as unknown as string, out), { instanceOf: TypeError });
    assert.throws(() => d.digest("tok-a", undefined as unknown as Uint32Array), { instanceOf: TypeError });
    d.free();
    d.free();
    assert.throws(() => d.digest("tok-a", out), { code: "digest.closed" });
  });

  test("unreachable instances are destroyed by gc() (key wiped in the destructor)", () => {
    for (let i = 0; i < 8; i++) digestOf(new NativeTokenDigest(), "tok-a");
    gc(); // the host aborts on a destructor fault; valgrind runs cover the wipe in modules/digest/test
  });

  test("the Verifier caches by the native digest end to end", async () => {
    const clock = new FakeClock(0);
    const idp = new FakeIdp((token) => (token === "tok-off" ? { active: false } : ACTIVE));
    const verifier = new Verifier({ introspector: idp, clock, wallClock: new FakeWall(clock, EPOCH), digest: new NativeTokenDigest() });
    const req = { scope: "relay.switch" };
    const first = await verifier.verify("tok-a", req);
    assert.equal(first.allowed, true);
    assert.equal(first.fromCache, false);
    const out = new MutableDecision();
    assert.equal(verifier.verifyCached("tok-a", req, out), true);
    assert.equal(out.allowed, true);
    assert.equal(out.fromCache, true);
    assert.equal(verifier.verifyCached("tok-b", req, out), false);
    assert.equal((await verifier.verify("tok-b", req)).allowed, true);
    assert.equal((await verifier.verify("tok-off", req)).reason, "inactive");
    assert.equal((await verifier.verify("tok-off", req)).fromCache, true);
    assert.equal((await verifier.verify("tok-a", { scope: "admin" })).reason, "scope");
    assert.equal(idp.calls, 3);
    clock.advance(61_000);
    assert.equal(verifier.verifyCached("tok-a", req, out), false);
    assert.equal((await verifier.verify("tok-a", req)).allowed, true);
    assert.equal(idp.calls, 4);
    const s = verifier.stats();
    assert.equal(s.introspections, 4);
    assert.equal(s.cacheSize, 3);
  });
}

if (!onNode) await declareTests();
