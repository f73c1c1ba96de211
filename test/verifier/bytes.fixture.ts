/**
 * verifyCached of bytes (a token read in place, as the gate reads a command's) against verifyCached of the same
 * token as a string, declared for one TokenDigest: test/verifier/bytes.test.ts runs it with SipHash (Node and
 * XS), test/verifier/native-probe.xs.test.ts with NativeTokenDigest (digestFindBytes in C).
 *
 * What must hold: the bytes of a token find exactly the entry its string finds (the same cache key), and
 * decide exactly as verifyCached does; what the bytes path does not decide (a miss, a byte that is not
 * printable ASCII, a length out of bounds) answers false and leaves the decision to the string path.
 */
import { assert, FakeClock, test } from "../harness/index.js";
import { utf8Encode } from "../../src/json/index.js";
import { MutableDecision, Requirement, Verifier, type Decision, type TokenDigest } from "../../src/verifier/index.js";
import { ACTIVE, EPOCH, FakeIdp, FakeWall } from "./fakes.fixture.js";

function fields(d: Decision): Record<string, unknown> {
  return {
    allowed: d.allowed,
    reason: d.reason,
    sub: d.sub,
    scopes: d.scopes,
    expiresAt: d.expiresAt,
    errorCode: d.errorCode,
    fromCache: d.fromCache,
  };
}

/** `token`'s UTF-8 inside other bytes (as in a command), with its range. */
function embedded(token: string): { bytes: Uint8Array; start: number; end: number } {
  const head = utf8Encode('{"token":"');
  const body = utf8Encode(token);
  const bytes = new Uint8Array(head.length + body.length + 2);
  bytes.set(head, 0);
  bytes.set(body, head.length);
  bytes[bytes.length - 2] = 0x22;
  bytes[bytes.length - 1] = 0x7d;
  return { bytes, start: head.length, end: head.length + body.length };
}

export function declareBytesTests(label: string, makeDigest: () => TokenDigest): void {
  test(`${label}: digestBytes writes digest()'s words for printable ASCII, and refuses any other byte`, () => {
    const d = makeDigest();
    const a = new Uint32Array(4);
    const b = new Uint32Array(4);
    for (const token of ["x", "tok-abcdefg", "tok-abcdefgh", "tok-" + "Qx7".repeat(30), "!~" + "z".repeat(63)]) {
      const e = embedded(token);
      d.digest(token, a);
      const ok =
        d.digestFindBytes !== undefined
          ? d.digestFindBytes(e.bytes, e.start, e.end, b, new ArrayBuffer(2 * 2 + 16), 1) >= -1
          : d.digestBytes!(e.bytes, e.start, e.end, b);
      assert.ok(ok, "digested");
      assert.deepEqual([...b], [...a], "the string's digest");
    }
    for (const token of ["a b", "caf\u00e9", "\u{1f600}x"]) {
      const e = embedded(token);
      const refused =
        d.digestFindBytes !== undefined
          ? d.digestFindBytes(e.bytes, e.start, e.end, b, new ArrayBuffer(2 * 2 + 16), 1) === -2
          : d.digestBytes!(e.bytes, e.start, e.end, b) === false;
      assert.ok(refused, "not printable ASCII: the string path");
    }
  });

  test(`${label}: verifyCached of bytes decides exactly as verifyCached, on the same entries`, async () => {
    const clock = new FakeClock(0);
    const wall = new FakeWall(clock, EPOCH);
    const idp = new FakeIdp((token) =>
      token.startsWith("no-") ? { active: false } : token.startsWith("ro-") ? { ...ACTIVE, scope: "relay.read" } : ACTIVE,
    );
    const verifier = new Verifier({ introspector: idp, clock, wallClock: wall, digest: makeDigest(), maxTokenLength: 40 });
    const compiled = new Requirement({ scope: "relay.switch" });
    const viaBytes = new MutableDecision();
    const viaString = new MutableDecision();
    const tokens = ["tok-1", "tok-" + "Z".repeat(36), "no-2", "ro-3", "tok-unseen", "x".repeat(41), "caf\u00e9-4"];
    const check = (when: string): void => {
      for (const token of tokens) {
        const e = embedded(token);
        const b = verifier.verifyCached(e.bytes, compiled, viaBytes, e.start, e.end);
        const s = verifier.verifyCached(token, compiled, viaString);
        if (b) assert.deepEqual(fields(viaBytes), fields(viaString), `${when}: ${token.length}-char token decided alike`);
        // The bytes path decides a fresh hit of an ASCII token, nothing else; the string path the rest.
        const hit = s && viaString.fromCache;
        assert.equal(b, hit && /^[\x21-\x7e]*$/.test(token), `${when}: bytes decide the ${token.length}-char token's hit only`);
      }
    };
    check("empty cache");
    for (const token of tokens) await verifier.verify(token, compiled);
    const calls = idp.calls;
    check("cached");
    // Each token found its own entry: a bytes hit introspects nothing and counts as a hit.
    assert.equal(idp.calls, calls);
    clock.advance(61_000); // past maxTtlMs: no longer fresh
    check("expired");
  });

  test(`${label}: verifyCached of bytes refuses a range outside the bytes, and a hit does not depend on the bytes around it`, async () => {
    const verifier = new Verifier({ introspector: new FakeIdp(() => ACTIVE), clock: new FakeClock(0), digest: makeDigest() });
    const out = new MutableDecision();
    await verifier.verify("tok-abc", {});
    const e = embedded("tok-abc");
    assert.ok(verifier.verifyCached(e.bytes, {}, out, e.start, e.end) && out.allowed);
    assert.equal(verifier.verifyCached(e.bytes, {}, out, e.start, e.end - 1), false, "a prefix is another token");
    assert.equal(verifier.verifyCached(e.bytes, {}, out, e.start, e.start), false, "empty");
    assert.throws(() => verifier.verifyCached(e.bytes, {}, out, e.start, e.bytes.length + 1), { instanceOf: RangeError });
    assert.throws(() => verifier.verifyCached(e.bytes, {}, out, 5, 4), { instanceOf: RangeError });
  });
}
