/**
 * Bytes on the wire for the same introspection POST (a 100-byte token in JSON to /idp/introspect,
 * Content-Format 50) from our client and from libcoap's coap-client-openssl, captured by a UDP
 * listener on loopback that answers 2.01 like the provider. Prints one BENCH line per message.
 * Run: `node build/bench/node/coap-wire.bench.js`.
 */
import dgram from "node:dgram";
import { execFile } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoapClient, decodeMessage, encodeMessageToBytes, uintOption } from "../../src/coap/index.js";
import { UdpLink } from "../../hosts/node/udp-link.js";
import { nodePorts } from "../../hosts/node/ports.js";
import { requireTool } from "../../test/support/node/libcoap.js";

const ANSWER_JSON =
  '{"active": true, "sub": "test.device.01", "scope": "tenant.demo refresh.token temp", "iss": "https://iot-idp.demo.apps.iothentix.com/", "exp": 1658179642}';
let token = "";
for (let i = 0; i < 100; i++) token += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[(i * 37) % 64];
const BODY = `{"token":"${token}"}`;

/** A listener that answers every CON POST with a piggybacked 2.01 and records sizes. */
async function listener(): Promise<{ port: number; requests: number[]; answers: number[]; close(): void }> {
  const s = dgram.createSocket("udp4");
  const requests: number[] = [];
  const answers: number[] = [];
  s.on("message", (msg, from) => {
    const m = decodeMessage(new Uint8Array(msg));
    if (m === null || m.code !== 2) return;
    requests.push(msg.length);
    const reply = encodeMessageToBytes({
      type: 2,
      code: 0x41,
      messageId: m.messageId,
      token: m.token,
      options: [uintOption(12, 50)],
      payload: new TextEncoder().encode(ANSWER_JSON),
    });
    answers.push(reply.length);
    s.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", () => resolve()));
  return { port: s.address().port, requests, answers, close: () => s.close() };
}

async function ours(port: number, tokenLength = 4): Promise<void> {
  const client = new CoapClient(await UdpLink.open({ family: 4 }), nodePorts(), { tokenLength });
  try {
    const r = await client.request({
      method: "POST",
      url: `coap://127.0.0.1:${port}/idp/introspect`,
      contentFormat: 50,
      payload: BODY,
      timeoutMs: 5000,
    });
    if (r.code !== "2.01") throw new Error(`our client got ${r.code}`);
  } finally {
    client.close();
  }
}

async function libcoap(port: number): Promise<void> {
  const bin = requireTool("coap-client-openssl");
  const dir = mkdtempSync(join(tmpdir(), "idpgate-wire-"));
  const file = join(dir, "body.json");
  writeFileSync(file, BODY);
  await new Promise<void>((resolve, reject) => {
    // -U: no Uri-Port (we never send one either: RFC 7252 §6.4 step 6).
    execFile(
      bin,
      ["-m", "post", "-t", "50", "-f", file, "-U", "-B", "5", `coap://127.0.0.1:${port}/idp/introspect`],
      { timeout: 10000 },
      (err) => (err ? reject(err) : resolve()),
    );
  });
}

const l1 = await listener();
await ours(l1.port);
l1.close();
const l3 = await listener();
await ours(l3.port, 1);
l3.close();
const l2 = await listener();
await libcoap(l2.port);
l2.close();
const row = (name: string, a: number | undefined, b: number | undefined): void => {
  if (a === undefined || b === undefined) throw new Error(`no capture for ${name}`);
  console.log(`BENCH ${JSON.stringify({ section: "CoAP wire", name, ours: a, libcoap: b, ratio: Math.round((a / b) * 1000) / 1000 })}`);
};
row("introspection POST request (bytes)", l1.requests[0], l2.requests[0]);
// libcoap's first token is 1 byte; ours is 4 random bytes by default (RFC 7252 §5.3.1 asks for at
// least 32 random bits on an unsecured path). With the same 1-byte token:
row("introspection POST request, 1-byte token (bytes)", l3.requests[0], l2.requests[0]);
row("piggybacked 2.01 answer (bytes)", l1.answers[0], l2.answers[0]);
row("requests sent for one POST", l1.requests.length, l2.requests.length);
