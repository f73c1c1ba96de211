// examples/gate keys the verifier's per-caller introspection limit by the identity the peer's DTLS session
// authenticated (issue 10 4g): one identity spending its budget on fresh tokens leaves another identity's
// verifications alone, also when the first one comes back from new source ports. Runtime-neutral (Node, XS).
import { test, assert, FakeClock } from "../harness/index.js";
import { decodeMessage, utf8Decode, utf8Encode } from "../../src/coap/index.js";
import { LinkReceivers } from "../../src/link/link-receivers.js";
import type { Endpoint } from "../../src/ports.js";
import { Verifier } from "../../src/verifier/index.js";
import { Gate, type GateLink } from "../../examples/gate/app.js";
import { NoTimers, relayCommand } from "./relay-command.fixture.js";
import { ACTIVE, EPOCH, FakeIdp, FakeWall, PrngRandom, settle } from "../verifier/fakes.fixture.js";

/** Peers by port, each with the PSK identity its (imagined) DTLS session authenticated. */
class IdentifiedLink extends LinkReceivers implements GateLink {
  readonly maxDatagramSize = 1152;
  readonly identities = new Map<number, string>();
  readonly sent: { data: Uint8Array; to: Endpoint }[] = [];
  send(datagram: Uint8Array, to: Endpoint): void {
    this.sent.push({ data: datagram.slice(), to });
  }
  close(): void {}
  peerIdentity(peer: Endpoint): string | undefined {
    return this.identities.get(peer.port);
  }
  receive(datagram: Uint8Array, from: Endpoint): void {
    this.deliver(datagram, from);
  }
}

async function command(link: IdentifiedLink, from: Endpoint, token: string): Promise<string> {
  const datagram = relayCommand(utf8Encode(`{"token":"${token}","state":"on"}`));
  link.sent.length = 0;
  await Promise.resolve().then(() => link.receive(datagram, from));
  for (let i = 0; i < 4 && link.sent.length === 0; i++) await settle();
  const m = decodeMessage(link.sent[link.sent.length - 1]!.data);
  assert.ok(m !== null, "the gate answered");
  return (JSON.parse(utf8Decode(m.payload)) as { reason: string }).reason;
}

test("gate: one PSK identity exhausting its per-caller introspection budget does not stop another identity's", async () => {
  const clock = new FakeClock(0);
  const idp = new FakeIdp(() => ({ ...ACTIVE, scope: "relay.write" }));
  // Budgets that do not refill during the test: the global one holds four introspections, a caller's two.
  const verifier = new Verifier({
    introspector: idp,
    clock,
    wallClock: new FakeWall(clock, EPOCH),
    random: new PrngRandom(7),
    rate: { perSecond: 0.0001, burst: 4 },
    callerRate: { perSecond: 0.0001, burst: 2 },
  });
  const link = new IdentifiedLink();
  new Gate({ link, verifier, clock, timers: new NoTimers(), scope: "relay.write" });
  for (let port = 40_001; port <= 40_004; port++) link.identities.set(port, "mallory");
  link.identities.set(50_001, "operator");
  // Mallory: four fresh tokens from four source ports (four sessions of one identity).
  const mallory: string[] = [];
  for (let i = 0; i < 4; i++)
    mallory.push(await command(link, { address: "192.0.2.66", port: 40_001 + i }, `mallory-token-${i}-0123456789`));
  assert.deepEqual(mallory, ["ok", "ok", "rate_limited", "rate_limited"], "mallory's own budget is two");
  const operator = await command(link, { address: "192.0.2.10", port: 50_001 }, "operator-token-0123456789");
  assert.equal(operator, "ok", "the operator's verification still runs");
  assert.equal(idp.calls, 3);
});
