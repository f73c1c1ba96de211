// "A cache hit retains nothing", asserted on the real XS engine (it was a bench row only): after warm-up,
// 200 cache hits through verifyCached allocate no slot and retain no slot or chunk byte after a
// collection; the same through the promise API retains nothing. XS only: under Node this file
// declares nothing (Node has no heap counters to read).
import { assert, FakeClock, onNode, test } from "../harness/index.js";
import { MutableDecision, SipHashTokenDigest, Verifier } from "../../src/verifier/index.js";
import { ACTIVE, EPOCH, FakeIdp, FakeWall, PrngRandom } from "./fakes.fixture.js";
import { assertHitsAllocateNothing } from "./hit-heap.fixture.js";

async function declareTests(): Promise<void> {
  const { gc, memory, resetPeaks } = await import("../../hosts/xs/js/host.js");
  const BEFORE = memory();
  const AFTER = memory();
  const TOKEN = "tok-" + "Qx7".repeat(32);
  const REQUIREMENTS = { scope: "temp" };

  async function cachedVerifier(): Promise<Verifier> {
    const clock = new FakeClock(0);
    const verifier = new Verifier({
      introspector: new FakeIdp(() => ({ ...ACTIVE, scope: "tenant.demo temp" })),
      clock,
      wallClock: new FakeWall(clock, EPOCH),
      digest: new SipHashTokenDigest(new PrngRandom(7)),
    });
    // From a promise job, as a device's command handler runs: the suite runner's own async frames would
    // otherwise count against the 512-slot stack.
    const first = await Promise.resolve().then(() => verifier.verify(TOKEN, REQUIREMENTS));
    assert.equal(first.allowed, true, "the token is cached");
    return verifier;
  }

  test("XS: 200 cache hits (verifyCached) allocate no slot and retain nothing", async () => {
    const verifier = await cachedVerifier();
    const decision = new MutableDecision();
    assert.ok(verifier.verifyCached(TOKEN, REQUIREMENTS, decision) && decision.allowed, "warm-up hit");
    assertHitsAllocateNothing({ gc, memory, resetPeaks }, () => verifier.verifyCached(TOKEN, REQUIREMENTS, decision) && decision.allowed);
  });

  test("XS: 200 cache hits through await verify() retain nothing after a collection", async () => {
    const verifier = await cachedVerifier();
    assert.equal((await verifier.verify(TOKEN, REQUIREMENTS)).fromCache, true, "warm-up hit");
    gc();
    memory(BEFORE);
    let hits = 0;
    for (let i = 0; i < 200; i++) if ((await verifier.verify(TOKEN, REQUIREMENTS)).fromCache) hits++;
    gc();
    memory(AFTER);
    assert.equal(hits, 200);
    assert.ok(AFTER.slots - BEFORE.slots <= 0, `slots retained (${AFTER.slots - BEFORE.slots})`);
    assert.ok(AFTER.chunks - BEFORE.chunks <= 0, `chunk bytes retained (${AFTER.chunks - BEFORE.chunks})`);
  });
}

// Declared from a promise job: the module body runs on the runner's import frames, near a 512-slot stack's end.
if (!onNode) await Promise.resolve().then(declareTests);
