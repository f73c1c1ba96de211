// examples/gate with a real Verifier: a command's token is tried in place (verifyCached of the bytes) before it is
// made a string. The decisions must be those of the string path: a hit on the bytes is the hit of the same
// token, an escaped token is never looked up by its raw bytes (they spell another token), a token the bytes
// path does not take (non-ASCII) is still answered from the cache through its string.
import { test, assert, FakeClock } from "../harness/index.js";
import { decodeMessage, utf8Decode, utf8Encode } from "../../src/coap/index.js";
import type { Endpoint } from "../../src/ports.js";
import { SipHashTokenDigest, Verifier } from "../../src/verifier/index.js";
import { Gate } from "../../examples/gate/app.js";
import { MemoryLink, NoTimers, relayCommand } from "./relay-command.fixture.js";
import { ACTIVE, FakeIdp, PrngRandom } from "../verifier/fakes.fixture.js";

const PEER: Endpoint = { address: "192.0.2.9", port: 40009 };
/** A token whose characters include a backslash: its JSON form is `tok\\u002dabc`. */
const BACKSLASHED = "tok\\u002dabc";

function setup() {
  const link = new MemoryLink(PEER);
  const clock = new FakeClock(0);
  // Only BACKSLASHED and the plain tokens are active; "tok-abc" (what the escape spells) is not.
  const idp = new FakeIdp((token) => (token === "tok-abc" ? { active: false } : { ...ACTIVE, scope: "relay.write" }));
  const verifier = new Verifier({
    introspector: idp,
    clock,
    digest: new SipHashTokenDigest(new PrngRandom(5)),
    rate: { perSecond: 100, burst: 100 },
  });
  const gate = new Gate({ link, verifier, clock, timers: new NoTimers(), scope: "relay.write" });
  return { link, idp, gate };
}

async function answer(link: MemoryLink, body: string): Promise<{ code: string; text: string }> {
  link.sent.length = 0;
  const datagram = relayCommand(utf8Encode(body));
  await Promise.resolve().then(() => link.receive(datagram));
  for (let i = 0; i < 12; i++) await Promise.resolve();
  const m = decodeMessage(link.sent[link.sent.length - 1]!);
  assert.ok(m !== null, "the gate answered");
  return { code: `${m.code >> 5}.${String(m.code & 31).padStart(2, "0")}`, text: utf8Decode(m.payload) };
}

test("gate: a repeated ASCII token is answered from the cache (in place), with one introspection", async () => {
  const { link, idp, gate } = setup();
  const first = await answer(link, '{"token":"tok-Qx7Qx7Qx7","state":"on"}');
  assert.equal(first.code, "2.04");
  assert.ok(first.text.includes('"fromCache":false'), first.text);
  for (let i = 0; i < 3; i++) {
    const again = await answer(link, `{"token":"tok-Qx7Qx7Qx7","state":"${i % 2 === 0 ? "off" : "on"}"}`);
    assert.equal(again.code, "2.04");
    assert.ok(again.text.includes('"fromCache":true'), again.text);
  }
  assert.equal(idp.calls, 1);
  assert.equal(gate.state, "off");
  gate.close();
});

test("gate: an escaped token is decided as the token it spells, never by its raw bytes (another token's entry)", async () => {
  const { link, idp, gate } = setup();
  // Cache the token with a literal backslash: its value's bytes are `tok\u002dabc`.
  assert.equal((await answer(link, `{"token":${JSON.stringify(BACKSLASHED)},"state":"on"}`)).code, "2.04");
  assert.equal(idp.calls, 1);
  // `"tok\u002dabc"` in a command is the token "tok-abc" (inactive), though its raw bytes equal the cached token's value.
  const escaped = await answer(link, '{"token":"tok\\u002dabc","state":"off"}');
  assert.equal(escaped.code, "4.01", escaped.text);
  assert.equal(idp.calls, 2, "introspected as itself");
  assert.equal(gate.state, "on");
  gate.close();
});

test("gate: a non-ASCII token (not taken in place) is still answered from the cache through its string", async () => {
  const { link, idp, gate } = setup();
  for (let i = 0; i < 3; i++) {
    const a = await answer(link, '{"token":"tok-caf\u00e9-\u{1f600}","state":"on"}');
    assert.equal(a.code, "2.04");
    assert.equal(a.text.includes('"fromCache":true'), i > 0, a.text);
  }
  assert.equal(idp.calls, 1);
  gate.close();
});

test("gate: a hit is answered within its datagram's call; a miss asks the provider only from a later job", async () => {
  const { link, idp, gate } = setup();
  const miss = relayCommand(utf8Encode('{"token":"tok-later","state":"on"}'));
  let callsInside = -1;
  let sentInside = -1;
  await Promise.resolve().then(() => {
    link.receive(miss);
    callsInside = idp.calls;
    sentInside = link.sent.length;
  });
  assert.equal(callsInside, 0, "the miss's verification had not started when the datagram's call returned");
  assert.equal(sentInside, 0);
  for (let i = 0; i < 12 && link.sent.length === 0; i++) await Promise.resolve();
  assert.equal(idp.calls, 1);
  assert.equal(link.sent.length, 1, "answered once the provider did");
  const hit = relayCommand(utf8Encode('{"token":"tok-later","state":"off"}'));
  await Promise.resolve().then(() => {
    link.receive(hit);
    sentInside = link.sent.length;
  });
  assert.equal(sentInside, 2, "the hit's answer left within its datagram's call");
  assert.ok(utf8Decode(decodeMessage(link.sent[1]!)!.payload).includes('"fromCache":true'));
  assert.equal(gate.state, "off");
  gate.close();
});
