/** The Node UdpLink carries CoapClient traffic over IPv4 and IPv6 loopback. */
import { test } from "node:test";
import dgram from "node:dgram";
import { assert } from "../harness/index.js";
import { CoapClient, decodeMessage, encodeMessageToBytes } from "../../src/coap/index.js";
import { UdpLink } from "../../hosts/node/udp-link.js";
import { nodePorts } from "../../hosts/node/ports.js";

async function responder(type: "udp4" | "udp6", address: string): Promise<{ port: number; close(): void }> {
  const s = dgram.createSocket({ type, ipv6Only: type === "udp6" });
  s.on("message", (msg, from) => {
    const m = decodeMessage(new Uint8Array(msg));
    if (m === null || m.type !== 0) return;
    s.send(
      encodeMessageToBytes({
        type: 2,
        code: 0x45,
        messageId: m.messageId,
        token: m.token,
        payload: new TextEncoder().encode(`hi ${from.family}`),
      }),
      from.port,
      from.address,
    );
  });
  await new Promise<void>((resolve, reject) => {
    s.once("error", reject);
    s.bind(0, address, () => resolve());
  });
  return { port: s.address().port, close: () => s.close() };
}

for (const [type, address, host] of [
  ["udp4", "127.0.0.1", "127.0.0.1"],
  ["udp6", "::1", "[::1]"],
] as const) {
  test(`CoapClient over UdpLink gets an answer on ${type} loopback`, async () => {
    const r = await responder(type, address);
    const client = new CoapClient(new UdpLink(), nodePorts());
    try {
      const answer = await client.request({ method: "GET", url: `coap://${host}:${r.port}/x`, timeoutMs: 3000 });
      assert.equal(answer.code, "2.05");
      assert.equal(answer.text(), `hi ${type === "udp4" ? "IPv4" : "IPv6"}`);
    } finally {
      client.close();
      r.close();
    }
  });
}
