/**
 * Fuzz: random and mutated datagrams into the decoder and into the client engine. Nothing but a
 * CoapFormatError (decoder) may come out; the engine never throws and only emits typed errors.
 * Seeds are fixed and printed in the test names.
 */
import { test, assert, Prng, onNode } from "../harness/index.js";
import { IdpgateError } from "../../src/errors.js";
import {
  CoapFormatError,
  Method,
  OptionNumber,
  blockOption,
  decodeMessage,
  encodeMessageToBytes,
  stringOption,
  uintOption,
  type DecodedMessage,
} from "../../src/coap/index.js";
import { SERVER, ack, drain, newEngine } from "./virtual.fixture.js";

const COUNT = onNode ? 1_000_000 : 3_000;

function corpus(rng: Prng): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 64; i++) {
    out.push(
      encodeMessageToBytes({
        type: rng.below(4) as 0 | 1 | 2 | 3,
        code: rng.pick([1, 2, 3, 0x41, 0x44, 0x45, 0x5f, 0x84, 0xa0]),
        messageId: rng.below(65536),
        token: rng.bytes(rng.below(9)),
        options: [
          stringOption(11, "idp"),
          uintOption(12, 50),
          blockOption(23, { num: rng.below(40), more: rng.chance(0.5), szx: rng.below(7) }),
          { number: 252 + rng.below(100), value: rng.bytes(rng.below(20)) },
        ],
        payload: rng.bytes(rng.below(80)),
      }),
    );
  }
  return out;
}

function mutate(rng: Prng, seed: Uint8Array): Uint8Array {
  const b = new Uint8Array(seed.length + 8);
  b.set(seed);
  let len = seed.length;
  const n = 1 + rng.below(4);
  for (let i = 0; i < n; i++) {
    switch (rng.below(5)) {
      case 0:
        if (len > 0) b[rng.below(len)]! ^= 1 << rng.below(8);
        break;
      case 1:
        if (len > 0) b[rng.below(len)] = rng.pick([0x00, 0x0d, 0x0e, 0x0f, 0xd0, 0xe0, 0xf0, 0xff, 0xdd, 0xee, rng.below(256)]);
        break;
      case 2:
        len = rng.below(len + 1);
        break;
      case 3:
        if (len < b.length) b[len++] = rng.below(256);
        break;
      default:
        if (len >= 1) b[0] = (b[0]! & 0x3f) | 0x40;
        break;
    }
  }
  return b.subarray(0, len);
}

function input(rng: Prng, seeds: readonly Uint8Array[]): Uint8Array {
  return rng.chance(0.3) ? rng.bytes(rng.below(48)) : mutate(rng, rng.pick(seeds));
}

test(`decodeMessage survives ${COUNT} random and mutated datagrams with only CoapFormatError (seed 0xc0a9)`, () => {
  const rng = new Prng(0xc0a9);
  const seeds = corpus(rng);
  let ok = 0;
  let errors = 0;
  let ignored = 0;
  for (let i = 0; i < COUNT; i++) {
    const bytes = input(rng, seeds);
    let m: DecodedMessage | null;
    try {
      m = decodeMessage(bytes);
    } catch (error) {
      if (!(error instanceof CoapFormatError)) assert.fail(`case ${i}: ${String(error)}`);
      errors++;
      continue;
    }
    if (m === null) {
      ignored++;
      continue;
    }
    ok++;
    for (const o of m.options) if (o.offset + o.length > bytes.length) assert.fail(`case ${i}: option out of bounds`);
  }
  assert.equal(ok + errors + ignored, COUNT);
  assert.equal(ok > COUNT / 10 && errors > COUNT / 10, true, `ok ${ok} errors ${errors} ignored ${ignored}`);
});

test(`the client engine survives ${COUNT} random and mutated datagrams, emitting only typed errors (seed 0xe9e)`, () => {
  const rng = new Prng(0xe9e);
  const engine = newEngine({ maxBodyBytes: 4096, params: { nstart: 4 } });
  const seeds = corpus(rng);
  let requests: DecodedMessage[] = [];
  let responses = 0;
  let failures = 0;
  let now = 0;
  for (let i = 0; i < COUNT; i++) {
    while (engine.pending < 4) {
      engine.submit(
        {
          peer: SERVER,
          code: rng.pick([Method.GET, Method.POST]),
          options: [stringOption(OptionNumber.URI_PATH, "x")],
          payload: rng.bytes(rng.chance(0.2) ? 1500 : 10),
          blockSize: rng.pick([16, 64, 1024]),
        },
        now,
      );
    }
    const sent = drain(engine);
    if (sent.length > 0) requests = sent;
    let bytes: Uint8Array;
    const req = requests.length > 0 ? rng.pick(requests) : undefined;
    if (req !== undefined && rng.chance(0.5)) {
      // A plausible answer (matching MID and token), mutated half of the time.
      const answer = ack(
        req,
        rng.pick([0x45, 0x44, 0x5f, 0x84]),
        [blockOption(rng.chance(0.5) ? 23 : 27, { num: rng.below(3), more: rng.chance(0.5), szx: rng.below(7) })],
        rng.bytes(rng.below(70)),
      );
      if (rng.chance(0.2)) answer[0] = (answer[0]! & 0xcf) | (rng.below(4) << 4);
      bytes = rng.chance(0.5) ? mutate(rng, answer) : answer;
    } else bytes = input(rng, seeds);
    engine.handleDatagram(bytes, rng.chance(0.9) ? SERVER : { address: "192.0.2.7", port: rng.below(65536) }, now);
    if (rng.chance(0.01)) {
      now += rng.below(5000);
      engine.handleTimeout(now);
    }
    for (let e = engine.pollEvent(); e !== undefined; e = engine.pollEvent()) {
      if (e.kind === "response") responses++;
      else if (e.error instanceof IdpgateError && e.error.code !== "coap.internal") failures++;
      else assert.fail(`case ${i}: untyped error ${String(e.error)}`);
    }
  }
  assert.equal(responses > 0 && failures > 0, true, `responses ${responses} failures ${failures}`);
});
