/**
 * Block-wise transfer (RFC 7959) against a virtual server on a virtual clock: Block2 and Block1,
 * repeated request options, smaller SZX from the server, caller block size, ETag change, Size1/Size2
 * and the body limit.
 */
import { test, assert, Prng } from "../harness/index.js";
import {
  Method,
  OptionNumber,
  blockOption,
  decodeBlock,
  stringOption,
  uintOption,
  CODE_CONTINUE,
  type DecodedMessage,
  type OptionValue,
} from "../../src/coap/index.js";
import { SERVER, ack, deliver, drain, events, newEngine, one, optionValues, uintValue } from "./virtual.fixture.js";
import type { CoapClientEngine } from "../../src/coap/index.js";

const RESOURCE = new Prng(7959).bytes(1000);
const BASE: OptionValue[] = [
  stringOption(OptionNumber.URI_HOST, "example.net"),
  stringOption(OptionNumber.URI_PATH, "big"),
  stringOption(OptionNumber.URI_QUERY, "q=1"),
];

function block(m: DecodedMessage, number: number): { num: number; more: boolean; szx: number; size: number } | undefined {
  const v = optionValues(m, number)[0];
  return v === undefined ? undefined : decodeBlock(v, 0, v.length);
}

function baseOptions(m: DecodedMessage): string[] {
  return m.options
    .filter((o) => o.number === 3 || o.number === 11 || o.number === 15)
    .map((o) => `${o.number}=${String.fromCharCode(...m.bytes.subarray(o.offset, o.offset + o.length))}`);
}

interface ServeOptions {
  readonly serverSzx?: number;
  readonly etagFor?: (num: number) => Uint8Array | undefined;
  readonly size2?: number;
}

/** Serves RESOURCE block-wise until the engine stops asking; returns every request seen. */
function serveBlock2(engine: CoapClientEngine, o: ServeOptions = {}): DecodedMessage[] {
  const seen: DecodedMessage[] = [];
  for (let round = 0; round < 200; round++) {
    const sent = drain(engine);
    if (sent.length === 0) break;
    const req = one(sent);
    seen.push(req);
    const asked = block(req, OptionNumber.BLOCK2);
    const szx = Math.min(asked?.szx ?? 6, o.serverSzx ?? 6);
    const size = 16 << szx;
    const num = asked === undefined ? 0 : (asked.num * asked.size) / size;
    const chunk = RESOURCE.subarray(num * size, num * size + size);
    const more = (num + 1) * size < RESOURCE.length;
    const options = [blockOption(OptionNumber.BLOCK2, { num, more, szx })];
    const etag = o.etagFor?.(num);
    if (etag !== undefined) options.push({ number: OptionNumber.ETAG, value: etag });
    if (num === 0) options.push(uintOption(OptionNumber.SIZE2, o.size2 ?? RESOURCE.length));
    deliver(engine, ack(req, 0x45, options, chunk), round);
  }
  return seen;
}

test("Block2 GET at a caller-chosen 64-byte size repeats every request option and assembles the body", () => {
  const engine = newEngine();
  engine.submit({ peer: SERVER, code: Method.GET, options: BASE, blockSize: 64 }, 0);
  const seen = serveBlock2(engine, { etagFor: () => Uint8Array.of(1, 2) });
  assert.equal(seen.length, Math.ceil(RESOURCE.length / 64));
  for (const [i, req] of seen.entries()) {
    assert.deepEqual(baseOptions(req), ["3=example.net", "11=big", "15=q=1"]);
    assert.deepEqual(block(req, OptionNumber.BLOCK2), { num: i, more: false, szx: 2, size: 64 });
  }
  const e = one(events(engine));
  if (e.kind !== "response") return assert.fail(`expected a response, got ${e.kind === "error" ? e.error.code : ""}`);
  assert.bytesEqual(e.response.payload, RESOURCE);
});

test("Block2 honours a smaller SZX chosen by the server", () => {
  const engine = newEngine();
  engine.submit({ peer: SERVER, code: Method.GET, options: BASE }, 0);
  const seen = serveBlock2(engine, { serverSzx: 1 });
  assert.equal(block(seen[0]!, OptionNumber.BLOCK2), undefined, "no Block2 in the first request without a caller size");
  assert.deepEqual(block(seen[1]!, OptionNumber.BLOCK2), { num: 1, more: false, szx: 1, size: 32 });
  const e = one(events(engine));
  assert.equal(e.kind === "response" && e.response.payload.length, RESOURCE.length);
});

test("an ETag change mid-transfer fails with coap.etag_changed", () => {
  const engine = newEngine();
  engine.submit({ peer: SERVER, code: Method.GET, options: BASE, blockSize: 128 }, 0);
  serveBlock2(engine, { etagFor: (num) => Uint8Array.of(num < 3 ? 1 : 2) });
  const e = one(events(engine));
  assert.equal(e.kind === "error" && e.error.code, "coap.etag_changed");
});

test("Size2 above maxBodyBytes fails at once with coap.body_too_large; so does a growing body", () => {
  const engine = newEngine({ maxBodyBytes: 500 });
  engine.submit({ peer: SERVER, code: Method.GET, options: BASE, blockSize: 64 }, 0);
  const seen = serveBlock2(engine);
  assert.equal(seen.length, 1);
  const e = one(events(engine));
  assert.equal(e.kind === "error" && e.error.code, "coap.body_too_large");
  const engine2 = newEngine({ maxBodyBytes: 500 });
  engine2.submit({ peer: SERVER, code: Method.GET, options: BASE, blockSize: 64 }, 0);
  serveBlock2(engine2, { size2: 100 });
  const e2 = one(events(engine2));
  assert.equal(e2.kind === "error" && e2.error.code, "coap.body_too_large");
});

test("a request's own maxBodyBytes below the engine's stops Block2 there: by Size2 or by the bytes received", () => {
  const engine = newEngine();
  engine.submit({ peer: SERVER, code: Method.GET, options: BASE, blockSize: 64, maxBodyBytes: 500 }, 0);
  assert.equal(serveBlock2(engine).length, 1, "Size2 1000 ends it after the first block");
  const e = one(events(engine));
  assert.equal(e.kind === "error" && e.error.code, "coap.body_too_large");
  const engine2 = newEngine();
  engine2.submit({ peer: SERVER, code: Method.GET, options: BASE, blockSize: 64, maxBodyBytes: 500 }, 0);
  assert.equal(serveBlock2(engine2, { size2: 100 }).length, Math.ceil(500 / 64), "no block fetched past the limit");
  const e2 = one(events(engine2));
  assert.equal(e2.kind === "error" && e2.error.code, "coap.body_too_large");
  const engine3 = newEngine({ maxBodyBytes: 500 });
  engine3.submit({ peer: SERVER, code: Method.GET, options: BASE, blockSize: 64, maxBodyBytes: 4000 }, 0);
  serveBlock2(engine3);
  const e3 = one(events(engine3));
  assert.equal(e3.kind === "error" && e3.error.code, "coap.body_too_large", "a request cannot raise the engine's limit");
});

test("a Block2 block out of sequence fails with coap.block_mismatch", () => {
  const engine = newEngine();
  engine.submit({ peer: SERVER, code: Method.GET, options: BASE, blockSize: 64 }, 0);
  const req = one(drain(engine));
  deliver(engine, ack(req, 0x45, [blockOption(OptionNumber.BLOCK2, { num: 2, more: true, szx: 2 })], RESOURCE.subarray(0, 64)), 1);
  const e = one(events(engine));
  assert.equal(e.kind === "error" && e.error.code, "coap.block_mismatch");
});

test("Block1 PUT sends Size1, continues after 2.31 and adopts a smaller SZX from the server", () => {
  const engine = newEngine();
  const body = RESOURCE.subarray(0, 300);
  engine.submit({ peer: SERVER, code: Method.PUT, options: BASE, payload: body, blockSize: 64 }, 0);
  const received: Uint8Array[] = [];
  let final: DecodedMessage | undefined;
  for (let round = 0; round < 50; round++) {
    const sent = drain(engine);
    if (sent.length === 0) break;
    const req = one(sent);
    assert.deepEqual(baseOptions(req), ["3=example.net", "11=big", "15=q=1"]);
    const b = block(req, OptionNumber.BLOCK1);
    if (b === undefined) return assert.fail("no Block1");
    if (round === 0) assert.equal(uintValue(req, OptionNumber.SIZE1), 300);
    assert.equal(
      b.num * b.size,
      received.reduce((n, c) => n + c.length, 0),
      "blocks continue the data",
    );
    received.push(req.payload.slice());
    if (b.more) deliver(engine, ack(req, CODE_CONTINUE, [blockOption(OptionNumber.BLOCK1, { num: b.num, more: true, szx: 1 })]), round);
    else {
      final = req;
      deliver(engine, ack(req, 0x44, [blockOption(OptionNumber.BLOCK1, { num: b.num, more: false, szx: b.szx })]), round);
    }
  }
  assert.notEqual(final, undefined);
  const all = new Uint8Array(300);
  let at = 0;
  for (const c of received) {
    all.set(c, at);
    at += c.length;
  }
  assert.bytesEqual(all, body);
  assert.equal(received[0]!.length, 64);
  assert.equal(received[1]!.length, 32, "smaller SZX adopted");
  const e = one(events(engine));
  assert.equal(e.kind === "response" && e.response.code, "2.04");
});

test("Block1 without a caller size splits only what does not fit in one datagram", () => {
  const engine = newEngine({ maxMessageSize: 300 });
  engine.submit({ peer: SERVER, code: Method.POST, options: BASE, payload: RESOURCE.subarray(0, 200) }, 0);
  const single = one(drain(engine));
  assert.equal(block(single, OptionNumber.BLOCK1), undefined);
  assert.equal(single.payload.length, 200);
  engine.submit({ peer: { address: "192.0.2.3", port: 5683 }, code: Method.POST, options: BASE, payload: RESOURCE.subarray(0, 600) }, 0);
  const first = one(drain(engine));
  assert.deepEqual(block(first, OptionNumber.BLOCK1), { num: 0, more: true, szx: 4, size: 256 });
});

test("a final Block1 answer that starts Block2 is followed with GET-less POST block requests", () => {
  const engine = newEngine();
  engine.submit({ peer: SERVER, code: Method.POST, options: BASE, payload: RESOURCE.subarray(0, 100), blockSize: 64 }, 0);
  const b0 = one(drain(engine));
  deliver(engine, ack(b0, CODE_CONTINUE, [blockOption(OptionNumber.BLOCK1, { num: 0, more: true, szx: 2 })]), 1);
  const b1 = one(drain(engine));
  deliver(engine, ack(b1, 0x44, [blockOption(OptionNumber.BLOCK2, { num: 0, more: true, szx: 2 })], RESOURCE.subarray(0, 64)), 2);
  const next = one(drain(engine));
  assert.equal(next.code, Method.POST);
  assert.equal(next.payload.length, 0);
  assert.equal(optionValues(next, OptionNumber.BLOCK1).length, 0);
  assert.deepEqual(block(next, OptionNumber.BLOCK2), { num: 1, more: false, szx: 2, size: 64 });
  deliver(engine, ack(next, 0x44, [blockOption(OptionNumber.BLOCK2, { num: 1, more: false, szx: 2 })], RESOURCE.subarray(64, 70)), 3);
  const e = one(events(engine));
  assert.equal(e.kind === "response" && e.response.payload.length, 70);
});

test("a request body above maxBodyBytes is refused before anything is sent", () => {
  const engine = newEngine({ maxBodyBytes: 100 });
  assert.throws(() => engine.submit({ peer: SERVER, code: Method.PUT, payload: new Uint8Array(101) }, 0), { code: "coap.body_too_large" });
  assert.equal(drain(engine).length, 0);
});

test("4.13 with a smaller Block1 SZX on the first block restarts the body at that size (RFC 7959 §2.9.3)", () => {
  const engine = newEngine();
  engine.submit({ peer: SERVER, code: Method.PUT, options: BASE, payload: RESOURCE.subarray(0, 100), blockSize: 64 }, 0);
  const first = one(drain(engine));
  deliver(engine, ack(first, 0x8d, [blockOption(OptionNumber.BLOCK1, { num: 0, more: false, szx: 1 })]), 1);
  const again = one(drain(engine));
  assert.deepEqual(block(again, OptionNumber.BLOCK1), { num: 0, more: true, szx: 1, size: 32 });
  assert.bytesEqual(again.payload, RESOURCE.subarray(0, 32));
});
