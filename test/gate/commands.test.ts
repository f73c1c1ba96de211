// examples/gate's command handling over an in-memory link: hostile command bodies (every nesting depth a
// 512-byte command can hold, duplicate members, wrong types) are answered 4.00 without reaching the
// verifier, and the gate keeps working. Runtime-neutral: on the XS test host this runs with the device's
// 512-slot stack, where JSON.parse of ~230 nested arrays ended the process.
import { test, assert, FakeClock } from "../harness/index.js";
import { decodeMessage, utf8Decode, utf8Encode } from "../../src/coap/index.js";
import type { Endpoint } from "../../src/ports.js";
import { MutableDecision, type Decision, type Requirements } from "../../src/verifier/index.js";
import { Gate } from "../../examples/gate/app.js";
import { MemoryLink, NoTimers, relayCommand } from "./relay-command.fixture.js";

const PEER: Endpoint = { address: "192.0.2.7", port: 40001 };
const GOOD = "good-token-0123456789";

class CountingVerifier {
  calls = 0;
  verify(token: string, _requirements: Requirements): Promise<Decision> {
    this.calls++;
    const d = new MutableDecision();
    if (token === GOOD) {
      d.allowed = true;
      d.reason = "ok";
    } else d.deny("inactive");
    return Promise.resolve(d);
  }
}

const command = relayCommand;

async function settle(): Promise<void> {
  for (let i = 0; i < 8; i++) await Promise.resolve();
}

function setup() {
  const link = new MemoryLink(PEER);
  const verifier = new CountingVerifier();
  const gate = new Gate({ link, verifier, clock: new FakeClock(0), timers: new NoTimers(), scope: "relay.write" });
  return { link, verifier, gate };
}

async function answer(link: MemoryLink, body: string | Uint8Array): Promise<{ code: string; text: string }> {
  link.sent.length = 0;
  const datagram = command(typeof body === "string" ? utf8Encode(body) : body);
  // Delivered from a fresh job, as a socket callback runs: not on top of this test's own frames.
  await Promise.resolve().then(() => link.receive(datagram));
  await settle();
  const m = decodeMessage(link.sent[link.sent.length - 1]!);
  assert.ok(m !== null, "the gate answered");
  return { code: `${m.code >> 5}.${String(m.code & 31).padStart(2, "0")}`, text: utf8Decode(m.payload) };
}

/** `{"token":[[[...]]],"state":"on"}` nested `depth` arrays deep, or undefined past 512 bytes. */
function nested(depth: number, open: string, close: string): string | undefined {
  const body = `{"token":${open.repeat(depth)}${close.repeat(depth)},"state":"on"}`;
  return body.length > 512 ? undefined : body;
}

test("every nesting depth a 512-byte command can hold is refused 4.00, and the gate goes on", async () => {
  const { link, verifier, gate } = setup();
  let depths = 0;
  for (const [open, close] of [
    ["[", "]"],
    ['{"a":', "}"],
  ] as const) {
    for (let depth = 1; ; depth++) {
      const body = nested(depth, open, close);
      if (body === undefined) break;
      const r = await answer(link, body);
      assert.equal(r.code, "4.00", `depth ${depth} (${open})`);
      depths++;
    }
  }
  // Unclosed nesting up to the size limit too: a tokenizer that recursed would go deepest here.
  const unclosed = await answer(link, `{"token":${"[".repeat(500)}`);
  assert.equal(unclosed.code, "4.00");
  assert.ok(depths > 300, `depths tried: ${depths}`);
  assert.equal(verifier.calls, 0, "no hostile body reached the verifier");
  const ok = await answer(link, `{"token":"${GOOD}","state":"on"}`);
  assert.equal(ok.code, "2.04");
  assert.equal(gate.state, "on");
  assert.equal(verifier.calls, 1);
});

test("commands: duplicate members, wrong types and unknown states are 4.00; extra members are ignored", async () => {
  const { link, verifier } = setup();
  for (const bad of [
    `{"token":"${GOOD}","token":"other","state":"on"}`,
    `{"token":"${GOOD}","state":"on","state":"off"}`,
    `{"token":7,"state":"on"}`,
    `{"token":"${GOOD}","state":"maybe"}`,
    `{"token":"${GOOD}"}`,
    `["${GOOD}","on"]`,
    `"${GOOD}"`,
    `{"token":"${GOOD}","state":"on"`,
  ]) {
    assert.equal((await answer(link, bad)).code, "4.00", bad.replace(GOOD, "<token>"));
  }
  assert.equal(verifier.calls, 0);
  assert.equal((await answer(link, `{"note":{"x":[1,2]},"token":"${GOOD}","state":"off"}`)).code, "2.04");
  assert.equal((await answer(link, `{"token":"wrong","state":"on"}`)).code, "4.01");
  assert.equal(verifier.calls, 2);
});
