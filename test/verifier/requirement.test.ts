// Compiled requirements and the cache's memo of static checks, with the default SipHash digest (Node and
// XS); the same suite runs with the native digest in native-probe.xs.test.ts. See memo.fixture.ts.
import { assert, test } from "../harness/index.js";
import { Requirement, SipHashTokenDigest } from "../../src/verifier/index.js";
import { declareMemoTests } from "./memo.fixture.js";
import { PrngRandom } from "./fakes.fixture.js";

declareMemoTests("SipHash", () => new SipHashTokenDigest(new PrngRandom(7)));

test("Requirement.of compiles a plain object once and returns a Requirement as it is; with() replaces set keys only", () => {
  const base = new Requirement({ scope: "relay.switch", issuer: "https://idp/" });
  assert.equal(Requirement.of(base), base);
  const plain = { scope: "a" };
  const compiled = Requirement.of(plain);
  assert.ok(compiled instanceof Requirement && compiled.scope === "a");
  const merged = base.with({ scope: undefined, audience: "gate-1", callerKey: "psk:dev" });
  assert.deepEqual(
    { ...merged },
    { scope: "relay.switch", issuer: "https://idp/", audience: "gate-1", subjects: undefined, callerKey: "psk:dev" },
  );
  assert.ok(Object.isFrozen(merged));
});
