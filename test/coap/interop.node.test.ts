/**
 * Interop with libcoap's coap-server-openssl (Debian libcoap3-bin) over plain CoAP on loopback:
 * GET /time, PUT then GET of a dynamic resource, POST JSON (Content-Format 50), Block1 PUT and
 * Block2 GET of 4,000 bytes at 64-byte blocks, and the CLI end to end.
 */
import { test, before, after } from "node:test";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { assert, Prng } from "../harness/index.js";
import { CoapClient, type CoapResponse } from "../../src/coap/index.js";
import { UdpLink } from "../../hosts/node/udp-link.js";
import { nodePorts } from "../../hosts/node/ports.js";
import { startLibcoapServer, type LibcoapServer } from "../support/node/libcoap.js";

let server: LibcoapServer;
let client: CoapClient;
let base = "";

before(async () => {
  server = await startLibcoapServer();
  base = `coap://127.0.0.1:${server.port}`;
  client = new CoapClient(await UdpLink.open({ family: 4 }), nodePorts(), { params: { ackTimeoutMs: 500 } });
});

after(async () => {
  client?.close();
  await server?.stop();
});

test("GET /time from libcoap answers 2.05 with text", async () => {
  const r = await client.request({ method: "GET", url: `${base}/time`, timeoutMs: 5000 });
  assert.equal(r.code, "2.05");
  assert.equal(r.payload.length > 0, true);
});

test("a NON GET /time is answered by libcoap", async () => {
  const r = await client.request({ method: "GET", url: `${base}/time`, confirmable: false, timeoutMs: 5000 });
  assert.equal(r.code, "2.05");
  assert.equal(r.type, 1, "NON answer to a NON request");
});

test("PUT then GET of a dynamic libcoap resource round-trips the payload", async () => {
  const put = await client.request({ method: "PUT", url: `${base}/dyn-a`, payload: "hello libcoap", contentFormat: 0, timeoutMs: 5000 });
  assert.equal(put.code, "2.01");
  const get = await client.request({ method: "GET", url: `${base}/dyn-a`, timeoutMs: 5000 });
  assert.equal(get.code, "2.05");
  assert.equal(get.text(), "hello libcoap");
});

test("POST of JSON with Content-Format 50 creates a resource that reads back as JSON", async () => {
  const json = '{"token":"x","client_id":"dev-1"}';
  const post = await client.request({ method: "POST", url: `${base}/json-a`, payload: json, contentFormat: 50, timeoutMs: 5000 });
  assert.equal(post.ok, true, `POST answered ${post.code}`);
  const get = await client.request({ method: "GET", url: `${base}/json-a`, timeoutMs: 5000 });
  assert.equal(get.text(), json);
  assert.equal(get.contentFormat, 50);
});

test("Block1 PUT of 4,000 bytes and Block2 GET at 64-byte blocks are byte-identical", async () => {
  const body = new Prng(4000).bytes(4000);
  const put = await client.request({
    method: "PUT",
    url: `${base}/blob`,
    payload: body,
    blockSize: 64,
    contentFormat: 42,
    timeoutMs: 20000,
  });
  assert.equal(put.ok, true, `PUT answered ${put.code}`);
  const get: CoapResponse = await client.request({ method: "GET", url: `${base}/blob`, blockSize: 64, timeoutMs: 20000 });
  assert.equal(get.code, "2.05");
  assert.bytesEqual(get.payload, body);
  // The server saw 64-byte blocks in both directions (its -v 7 log prints every PDU; the line for the
  // last answer may be written just after we received it).
  for (let i = 0; i < 50 && !/Block2:62\/_\/64/.test(server.log()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  const log = server.log();
  assert.equal(/Block1:62\/_\/64/.test(log), true, "Block1 62/_/64 in the server log");
  assert.equal(/Block2:62\/_\/64/.test(log), true, "Block2 62/_/64 in the server log");
});

test("a missing resource answers 4.04 (not an error)", async () => {
  const r = await client.request({ method: "GET", url: `${base}/nothing-here`, timeoutMs: 5000 });
  assert.equal(r.code, "4.04");
});

function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const main = fileURLToPath(new URL("../../hosts/node/cli/main.js", import.meta.url));
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { timeout: 20000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

test("the CLI talks to libcoap end to end with the documented exit codes", async () => {
  const put = await cli(["coap", "put", `${base}/cli-a`, "--payload", "from cli", "--content-format", "0"]);
  assert.equal(put.code, 0, put.stderr);
  assert.equal(put.stdout.split("\n")[0], "2.01 Created");
  const get = await cli(["coap", "get", `${base}/cli-a`, "--block-size", "16", "-v"]);
  assert.equal(get.code, 0, get.stderr);
  assert.equal(get.stdout, "2.05 Content\nfrom cli");
  const missing = await cli(["coap", "get", `${base}/no-such`]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout.split("\n")[0], "4.04 Not Found");
  const usage = await cli(["coap", "get"]);
  assert.equal(usage.code, 2);
  const noAnswer = await cli(["coap", "get", "coap://127.0.0.1:9/x", "--timeout", "300"]);
  assert.equal(noAnswer.code, 3);
});
