// NodeTokenDigest (hosts/node/token-digest.ts): the Node port of modules/digest's native HMAC-SHA-256/128.
import { test, assert, FakeClock } from "../harness/index.js";
import { MutableDecision, Verifier } from "../../src/verifier/index.js";
import { NodeTokenDigest } from "../../hosts/node/token-digest.js";
import type { RandomSource } from "../../src/ports.js";
import { FakeIdp, FakeWall } from "./fakes.fixture.js";

/** The test key 00 01 .. 1f, as in modules/digest/test/token_digest_selftest.c. */
const FIXED_KEY: RandomSource = {
  fill(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) bytes[i] = i;
  },
};

const hex = (d: Uint32Array): string => Array.from(d, (w) => w.toString(16).padStart(8, "0")).join("");
const digestOf = (d: NodeTokenDigest, token: string): Uint32Array => {
  const out = new Uint32Array(4);
  d.digest(token, out);
  return out;
};

test("NodeTokenDigest gives the C core's known answers for the same key", () => {
  const d = new NodeTokenDigest(FIXED_KEY);
  assert.equal(hex(digestOf(d, "")), "d38b42096d80f45f826b44a9d5607de7");
  assert.equal(hex(digestOf(d, "abc")), "f0133729c4163dede81e21cd47839256");
  assert.equal(hex(digestOf(d, "tok-" + "Qx7".repeat(32))), "c05b7a780fca43d1497531a26cb48cfb");
});

test("NodeTokenDigest: equal tokens equal, different tokens different, two instances differ", () => {
  const a = new NodeTokenDigest();
  const b = new NodeTokenDigest();
  assert.equal(hex(digestOf(a, "tok-a")), hex(digestOf(a, ["tok", "-a"].join(""))));
  const tokens = ["tok-a", "tok-b", "tok-a ", "", "tok-\u00e9", "tok-\u{1f511}", "tok-\u0000"];
  const seen = new Set(tokens.map((t) => hex(digestOf(a, t))));
  assert.equal(seen.size, tokens.length);
  assert.notEqual(hex(digestOf(a, "tok-a")), hex(digestOf(b, "tok-a")));
});

test("NodeTokenDigest: free() makes later digests throw digest.closed", () => {
  const d = new NodeTokenDigest();
  d.free();
  d.free();
  assert.throws(() => d.digest("tok-a", new Uint32Array(4)), { code: "digest.closed" });
});

test("the Verifier caches by NodeTokenDigest end to end", async () => {
  const clock = new FakeClock(0);
  const idp = new FakeIdp(() => ({ active: true, sub: "dev-1", scope: "relay.switch" }));
  const verifier = new Verifier({
    introspector: idp,
    clock,
    wallClock: new FakeWall(clock, 1_700_000_000_000),
    digest: new NodeTokenDigest(),
  });
  assert.equal((await verifier.verify("tok-a", { scope: "relay.switch" })).allowed, true);
  const out = new MutableDecision();
  assert.equal(verifier.verifyCached("tok-a", { scope: "relay.switch" }, out), true);
  assert.equal(out.fromCache, true);
  assert.equal(verifier.verifyCached("tok-b", { scope: "relay.switch" }, out), false);
  assert.equal(idp.calls, 1);
});
