// The lock-out attack of issue 10 4b on the real gates (XS test host and Node), over loopback UDP with real
// mbedtls: N clients complete the cookie exchange and go silent, then the operator connects and commands.
// "Within one handshake time" is asserted by events, not by a clock: the operator's client sends each flight
// once (its first retransmission would come after its deadline), so it connects only if the gate answered
// every flight at once; a gate whose table the silent peers hold refuses the cookie and the client fails.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CoapClient } from "../../src/coap/index.js";
import { DtlsLink } from "../../hosts/node/dtls/index.js";
import { nodePorts } from "../../hosts/node/ports.js";
import { DEMO, startDemoProvider, startGate, type GateHost } from "../../hosts/node/demo/stack.js";
import { halfOpenHandshake, type HalfOpenPeer } from "../support/node/half-open.js";

const PSK = { identity: DEMO.gatePskId, key: DEMO.gatePsk };
const REFUSAL_LOG_INTERVAL_S = 10;

async function operatorCommand(port: number, token: string): Promise<{ code: string; text: string; stats: string }> {
  const link = await DtlsLink.connect({
    host: "127.0.0.1",
    port,
    psk: PSK,
    handshakeTimeoutMinMs: 20_000,
    handshakeTimeoutMaxMs: 20_000,
    handshakeDeadlineMs: 15_000, // before the first retransmission: one handshake, or none
  });
  const client = new CoapClient(link, nodePorts());
  try {
    const url = `coaps://127.0.0.1:${port}`;
    const r = await client.request({
      method: "POST",
      url: `${url}/relay`,
      contentFormat: 50,
      payload: JSON.stringify({ token, state: "on" }),
      timeoutMs: 20_000,
    });
    const s = await client.request({ method: "GET", url: `${url}/stats`, timeoutMs: 20_000 });
    return { code: r.code, text: new TextDecoder().decode(r.payload), stats: new TextDecoder().decode(s.payload) };
  } finally {
    client.close();
  }
}

for (const host of ["xs", "node"] as GateHost[]) {
  describe(`examples/gate on ${host}: half-open handshakes do not lock the operator out`, { timeout: 240_000 }, () => {
    for (const n of [4, 200]) {
      test(`${n} clients complete the cookie exchange and go silent; the operator's command then succeeds in one handshake`, async () => {
        const p = await startDemoProvider();
        const gate = await startGate({ host, idpUrl: p.url });
        const peers: HalfOpenPeer[] = [];
        const started = Date.now();
        try {
          for (let i = 0; i < n; i++) peers.push(await halfOpenHandshake(gate.port, PSK));
          const r = await operatorCommand(gate.port, p.tokens.valid);
          assert.equal(r.code, "2.04", `the command is acted on (${r.text})`);
          assert.equal((JSON.parse(r.text) as { allowed: boolean }).allowed, true);
          const stats = JSON.parse(r.stats) as { sessions: number; evicted: number; refused: number };
          assert.equal(stats.evicted, Math.max(0, n + 1 - 4), "each newcomer past 4 peers evicted the least recently heard");
          assert.ok(stats.sessions <= 4, `sessions bounded (${stats.sessions})`);
          const elapsedS = (Date.now() - started) / 1000;
          const refusalLines = gate.stdout.filter((l) => l.startsWith("dtls server:")).length;
          assert.ok(refusalLines <= 2 + Math.ceil(elapsedS / REFUSAL_LOG_INTERVAL_S), `${refusalLines} refusal lines in ${elapsedS} s`);
          assert.equal(gate.stdout.filter((l) => l.startsWith("gate: link")).length, 0, "no line per refused datagram");
          if (n > 4) assert.ok(refusalLines >= 1, "evictions are logged");
          console.log(
            `${host} gate, ${n} half-open: evicted ${stats.evicted}, refused ${stats.refused}, ${refusalLines} refusal lines, ${elapsedS.toFixed(1)} s`,
          );
        } finally {
          for (const peer of peers) peer.close();
          await gate.stop();
          await p.close();
        }
      });
    }
  });
}
