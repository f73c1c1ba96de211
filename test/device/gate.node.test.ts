// The whole device stack (Node only): examples/gate on the XS test host with ESP32-like limits (armed after
// start-up), commands from libcoap's coap-client-openssl over DTLS PSK, verified against the local
// identity provider over real DTLS and UDP; and the same gate on the Node host. Needs
// hosts/xs/out/idpgate-xs and build/ (including the Moddable glue, tsconfig.moddable.json), and
// coap-client-openssl (Debian libcoap3-bin); fails loudly without them.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertBlock1Upload, runCoapClient } from "../support/node/coap-client-log.js";
import {
  DEMO,
  coapClientCommand,
  startDemoProvider,
  startGate,
  type CommandResult,
  type DemoProvider,
  type GateDevice,
  type GateHost,
} from "../../hosts/node/demo/stack.js";

interface Expected {
  readonly name: string;
  readonly token: (p: DemoProvider) => string;
  readonly code: string;
  readonly allowed: boolean;
  readonly reason: string;
  readonly fromCache: boolean;
}

const SEQUENCE: readonly Expected[] = [
  { name: "valid", token: (p) => p.tokens.valid, code: "2.xx", allowed: true, reason: "ok", fromCache: false },
  { name: "expired", token: (p) => p.tokens.expired, code: "4.01", allowed: false, reason: "inactive", fromCache: false },
  { name: "wrong scope", token: (p) => p.tokens.wrongScope, code: "4.03", allowed: false, reason: "scope", fromCache: false },
  { name: "unknown", token: (p) => p.tokens.unknown, code: "4.01", allowed: false, reason: "inactive", fromCache: false },
  { name: "valid again", token: (p) => p.tokens.valid, code: "2.xx", allowed: true, reason: "ok", fromCache: true },
];

function check(e: Expected, r: CommandResult, host: GateHost): void {
  assert.ok(r.decision !== undefined, `${host} ${e.name}: answer carries a decision (got ${r.code} "${r.text.slice(0, 80)}")`);
  assert.equal(r.code, e.code, `${host} ${e.name}: code`);
  assert.equal(r.decision.allowed, e.allowed, `${host} ${e.name}: allowed`);
  assert.equal(r.decision.reason, e.reason, `${host} ${e.name}: reason`);
  assert.equal(r.decision.fromCache, e.fromCache, `${host} ${e.name}: fromCache`);
}

async function runSequence(p: DemoProvider, gate: GateDevice): Promise<void> {
  for (const e of SEQUENCE) {
    const r = await coapClientCommand(gate.port, JSON.stringify({ token: e.token(p), state: "on" }));
    check(e, r, gate.host);
  }
  const state = await coapClientCommand(gate.port, undefined, { method: "get" });
  assert.equal(state.text, '{"state":"on"}', "GET /relay reads the relay back");
}

function noMemoryFull(gate: GateDevice): void {
  const text = gate.stderr.join("\n");
  assert.ok(!/memory full|stack overflow/.test(text), `no XS abort (stderr: ${text.slice(0, 300)})`);
}

interface XsStats {
  readonly chunks: number;
  readonly slots: number;
  readonly hits: number;
  readonly misses: number;
  readonly introspections: number;
  readonly sessions: number;
}

async function xsStats(gate: GateDevice): Promise<XsStats> {
  const r = await coapClientCommand(gate.port, undefined, { method: "get", path: "stats" });
  return JSON.parse(r.text) as XsStats;
}

describe("examples/gate on the XS test host (ESP32-like limits)", { timeout: 240_000 }, () => {
  let p: DemoProvider;
  let gate: GateDevice;
  before(async () => {
    p = await startDemoProvider();
    gate = await startGate({ host: "xs", idpUrl: p.url });
  });
  after(async () => {
    await gate?.stop();
    await p?.close();
  });

  test("acts only on the valid token with the right scope: valid, expired, wrong scope, unknown, valid again from the cache", async () => {
    await runSequence(p, gate);
    assert.equal(p.log.filter((l) => l.includes("POST /idp/introspect")).length, 4, "four introspections, the repeat came from the cache");
    assert.ok(gate.stdout.includes("gate: relay on"), "the relay switched on");
    noMemoryFull(gate);
  });

  test("a hundred commands in a row leave the XS heap where it was after the first (once the bounded tables are full)", async () => {
    const token = p.tokens.valid;
    const command = async (i: number): Promise<void> => {
      const r = await coapClientCommand(gate.port, JSON.stringify({ token, state: i % 2 === 0 ? "on" : "off" }));
      assert.equal(r.decision?.allowed, true, `command ${i}`);
      assert.equal(r.decision?.fromCache, true, `command ${i} from the cache`);
    };
    await command(0);
    const first = await xsStats(gate);
    for (let i = 1; i <= 100; i++) await command(i);
    const hundred = await xsStats(gate);
    for (let i = 101; i <= 200; i++) await command(i);
    const twoHundred = await xsStats(gate);
    console.log(
      `xs heap (after gc) after the first command: ${first.chunks} chunk bytes, ${first.slots} slots; after 100 more: ${hundred.chunks}, ${hundred.slots}; after 200: ${twoHundred.chunks}, ${twoHundred.slots}`,
    );
    // The first hundred may only fill the bounded tables (32 CoAP deduplication entries: ~4.5 KB, ~400 slots).
    assert.ok(hundred.slots <= first.slots + 600, `slots grew from ${first.slots} to ${hundred.slots}`);
    assert.ok(hundred.chunks <= first.chunks + 8192, `chunk bytes grew from ${first.chunks} to ${hundred.chunks}`);
    // From then on nothing grows (within one XS growth step).
    assert.ok(Math.abs(twoHundred.slots - hundred.slots) <= 64, `slots moved from ${hundred.slots} to ${twoHundred.slots}`);
    assert.ok(Math.abs(twoHundred.chunks - hundred.chunks) <= 1024, `chunk bytes moved from ${hundred.chunks} to ${twoHundred.chunks}`);
    assert.ok(twoHundred.hits >= first.hits + 200, "every repeat was a cache hit");
    assert.equal(twoHundred.introspections, first.introspections, "no further introspection");
    assert.ok(twoHundred.sessions <= 4, "DTLS peers are bounded");
    noMemoryFull(gate);
    assert.equal(gate.child.exitCode, null, "the gate is still running");
  });

  test("coap-client-openssl -b 16 sends a command in 16-byte Block1 blocks; the gate reassembles it and acts on it once", async () => {
    const commands = commandLines(gate);
    const body = JSON.stringify({ token: p.tokens.valid, state: "off" });
    const run = await runCoapClient([...GATE_POST, "-b", "16", "-t", "50", "-e", body, `coaps://127.0.0.1:${gate.port}/relay`]);
    assertBlock1Upload(run, body.length, 16, "2.04");
    const decision = run.body as { allowed?: unknown; reason?: unknown; state?: unknown };
    assert.deepEqual([decision.allowed, decision.reason, decision.state], [true, "ok", "off"], "the decision on the whole command");
    for (let i = 0; i < 50 && commandLines(gate) === commands; i++) await new Promise((r) => setTimeout(r, 100)); // the log line follows the answer
    assert.equal(commandLines(gate), commands + 1, "one command, not one per block");
    noMemoryFull(gate);
  });

  test("the gate answers 4.13 with Size1 512 to a command body past 512 bytes in Block1 blocks, before reading it", async () => {
    const commands = commandLines(gate);
    const body = JSON.stringify({ token: p.tokens.valid, state: "on", padding: "x".repeat(600) });
    const run = await runCoapClient([...GATE_POST, "-b", "64", "-t", "50", "-e", body, `coaps://127.0.0.1:${gate.port}/relay`]);
    assert.equal(run.answer?.code, "4.13", "4.13 Request Entity Too Large");
    assert.equal(run.answer?.size1, 512, "Size1 gives the largest command the gate takes");
    assert.equal(commandLines(gate), commands, "no command was acted on");
    noMemoryFull(gate);
  });

  test("the gate answers 4.15 to a command without Content-Format 50 (none, or text/plain 0) and does not act on it", async () => {
    const before = (await coapClientCommand(gate.port, undefined, { method: "get" })).text;
    const body = JSON.stringify({ token: p.tokens.valid, state: before.includes('"on"') ? "off" : "on" });
    for (const extra of [[], ["-t", "0"], ["-t", "0", "-b", "16"]]) {
      const run = await runCoapClient([...GATE_POST, ...extra, "-e", body, `coaps://127.0.0.1:${gate.port}/relay`]);
      assert.equal(run.answer?.code, "4.15", `coap-client ${extra.join(" ")}: 4.15 Unsupported Content-Format`);
      assert.deepEqual(run.body, { allowed: false, reason: "bad_request", fromCache: false });
    }
    const after = (await coapClientCommand(gate.port, undefined, { method: "get" })).text;
    assert.equal(after, before, "the relay did not move");
    noMemoryFull(gate);
  });
});

/** coap-client arguments for a POST to the gate over DTLS PSK. */
const GATE_POST = ["-m", "post", "-u", DEMO.gatePskId, "-k", DEMO.gatePsk, "-B", "20"];

/** The gate's "gate: command ..." log lines so far: one per command it acted on. */
function commandLines(gate: GateDevice): number {
  return gate.stdout.filter((l) => l.startsWith("gate: command")).length;
}

describe("examples/gate on the Node host", { timeout: 120_000 }, () => {
  test("the same decisions for the same commands", async () => {
    const p = await startDemoProvider();
    let gate: GateDevice | undefined;
    try {
      gate = await startGate({ host: "node", idpUrl: p.url });
      await runSequence(p, gate);
    } finally {
      await gate?.stop();
      await p.close();
    }
  });
});
