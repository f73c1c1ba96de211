/**
 * Codec vectors: RFC 7252 Appendix A and RFC 7959 figures (byte-exact, both directions), decoder
 * error table, and a seeded round-trip property.
 */
import { test, assert, Prng } from "../harness/index.js";
import {
  decodeMessage,
  encodeMessage,
  encodeMessageToBytes,
  encodedLength,
  CoapFormatError,
  MessageType,
  OptionNumber,
  type MessageFields,
  type OptionValue,
  type DecodedMessage,
} from "../../src/coap/index.js";

function hex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-f]/gi, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
function asciiHex(s: string): string {
  return Array.from(s, (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}
function fill(n: number, seed: number): Uint8Array {
  return new Prng(seed).bytes(n);
}
function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
const o = (number: number, value: Uint8Array): OptionValue => ({ number, value });

const TEMP = asciiHex("temperature");
const block128 = fill(128, 7);

interface Vector {
  readonly name: string;
  readonly hex: string;
  readonly fields: MessageFields;
}

const VECTORS: readonly Vector[] = [
  // RFC 7252 Appendix A.1, Figure 16: CON GET /temperature, piggybacked 2.05 "22.3 C", no token.
  {
    name: "A.1 request",
    hex: `40 01 7d 34 bb ${TEMP}`,
    fields: { type: MessageType.CON, code: 0x01, messageId: 0x7d34, options: [o(11, ascii("temperature"))] },
  },
  {
    name: "A.1 response",
    hex: `60 45 7d 34 ff ${asciiHex("22.3 C")}`,
    fields: { type: MessageType.ACK, code: 0x45, messageId: 0x7d34, payload: ascii("22.3 C") },
  },
  // A.2: the same with a 1-byte token 0x20.
  {
    name: "A.2 request",
    hex: `41 01 7d 35 20 bb ${TEMP}`,
    fields: { type: MessageType.CON, code: 0x01, messageId: 0x7d35, token: hex("20"), options: [o(11, ascii("temperature"))] },
  },
  {
    name: "A.2 response",
    hex: `61 45 7d 35 20 ff ${asciiHex("22.3 C")}`,
    fields: { type: MessageType.ACK, code: 0x45, messageId: 0x7d35, token: hex("20"), payload: ascii("22.3 C") },
  },
  // A.3: separate response: empty ACK, then CON 2.05 with the token, then our empty ACK.
  {
    name: "A.3 request",
    hex: `41 01 7a 10 73 bb ${TEMP}`,
    fields: { type: MessageType.CON, code: 0x01, messageId: 0x7a10, token: hex("73"), options: [o(11, ascii("temperature"))] },
  },
  { name: "A.3 empty ACK", hex: "60 00 7a 10", fields: { type: MessageType.ACK, code: 0, messageId: 0x7a10 } },
  {
    name: "A.3 separate response",
    hex: `41 45 23 bb 73 ff ${asciiHex("22.5 C")}`,
    fields: { type: MessageType.CON, code: 0x45, messageId: 0x23bb, token: hex("73"), payload: ascii("22.5 C") },
  },
  { name: "A.3 ACK of the response", hex: "60 00 23 bb", fields: { type: MessageType.ACK, code: 0, messageId: 0x23bb } },
  // A.4: NON request and NON response.
  {
    name: "A.4 NON request",
    hex: `51 01 7a 11 74 bb ${TEMP}`,
    fields: { type: MessageType.NON, code: 0x01, messageId: 0x7a11, token: hex("74"), options: [o(11, ascii("temperature"))] },
  },
  {
    name: "A.4 NON response",
    hex: `51 45 23 bc 74 ff ${asciiHex("22.5 C")}`,
    fields: { type: MessageType.NON, code: 0x45, messageId: 0x23bc, token: hex("74"), payload: ascii("22.5 C") },
  },
  // A.5: coap://example.net/.well-known/core
  {
    name: "A.5 Uri-Host and two Uri-Path",
    hex: `40 01 00 01 3b ${asciiHex("example.net")} 8b ${asciiHex(".well-known")} 04 ${asciiHex("core")}`,
    fields: {
      type: MessageType.CON,
      code: 1,
      messageId: 1,
      options: [o(3, ascii("example.net")), o(11, ascii(".well-known")), o(11, ascii("core"))],
    },
  },
  // RST (§4.2).
  { name: "RST", hex: "70 00 12 34", fields: { type: MessageType.RST, code: 0, messageId: 0x1234 } },
  // RFC 7959 Figure 2 (simple block-wise GET): GET /status, then Block2 1/0/128; answers 0/1/128, 2/0/128.
  {
    name: "7959 F2 GET",
    hex: `40 01 04 d2 b6 ${asciiHex("status")}`,
    fields: { type: 0, code: 1, messageId: 1234, options: [o(11, ascii("status"))] },
  },
  {
    name: "7959 F2 GET Block2 1/0/128",
    hex: `40 01 04 d3 b6 ${asciiHex("status")} c1 13`,
    fields: { type: 0, code: 1, messageId: 1235, options: [o(11, ascii("status")), o(23, hex("13"))] },
  },
  {
    name: "7959 F2 2.05 Block2 0/1/128",
    hex: `60 45 04 d2 d1 0a 0b ff ${toHex(block128)}`,
    fields: { type: 2, code: 0x45, messageId: 1234, options: [o(23, hex("0b"))], payload: block128 },
  },
  {
    name: "7959 F2 2.05 Block2 2/0/128",
    hex: `60 45 04 d4 d1 0a 23 ff ${asciiHex("end")}`,
    fields: { type: 2, code: 0x45, messageId: 1236, options: [o(23, hex("23"))], payload: ascii("end") },
  },
  // RFC 7959 Figure 3 (early negotiation): GET /status Block2 0/0/64.
  {
    name: "7959 F3 GET Block2 0/0/64",
    hex: `40 01 04 d2 b6 ${asciiHex("status")} c1 02`,
    fields: { type: 0, code: 1, messageId: 1234, options: [o(11, ascii("status")), o(23, hex("02"))] },
  },
  // RFC 7959 Figure 4: a 2-byte Block2 value (NUM 20, M 1, SZX 2 -> 0x014a).
  {
    name: "7959 Block2 20/1/64",
    hex: `60 45 04 e6 d2 0a 01 4a ff 00`,
    fields: { type: 2, code: 0x45, messageId: 1254, options: [o(23, hex("014a"))], payload: hex("00") },
  },
  // RFC 7959 Figure 5 (simple atomic block-wise PUT): PUT /options Block1 0/1/128 + Size1; 2.31 Block1 0/1/128; final 2.04.
  {
    name: "7959 F5 PUT Block1 0/1/128",
    hex: `40 03 04 d2 b7 ${asciiHex("options")} d1 03 0b ff ${toHex(block128)}`,
    fields: { type: 0, code: 3, messageId: 1234, options: [o(11, ascii("options")), o(27, hex("0b"))], payload: block128 },
  },
  {
    name: "7959 F5 2.31 Block1 0/1/128",
    hex: "60 5f 04 d2 d1 0e 0b",
    fields: { type: 2, code: 0x5f, messageId: 1234, options: [o(27, hex("0b"))] },
  },
  {
    name: "7959 F5 2.04 Block1 2/0/128",
    hex: "60 44 04 d4 d1 0e 23",
    fields: { type: 2, code: 0x44, messageId: 1236, options: [o(27, hex("23"))] },
  },
  {
    name: "7959 Size1 (60) after Block1 (27)",
    hex: "40 03 00 01 d1 0e 0b d2 14 0f a0",
    fields: { type: 0, code: 3, messageId: 1, options: [o(27, hex("0b")), o(60, hex("0fa0"))] },
  },
  // Extended forms: Echo (252) needs a 1-byte delta ext, Request-Tag (292) a 2-byte delta ext; 300-byte value a 2-byte length ext.
  {
    name: "extended delta 14 and length 14",
    hex: "40 02 00 02 e1 00 17 01",
    fields: { type: 0, code: 2, messageId: 2, options: [o(292, hex("01"))] },
  },
  {
    name: "extended delta 13 (Echo 252)",
    hex: "40 02 00 04 d1 ef 05",
    fields: { type: 0, code: 2, messageId: 4, options: [o(252, hex("05"))] },
  },
  {
    name: "extended length 14 (300 bytes)",
    hex: `40 02 00 03 be 00 1f ${"61".repeat(300)}`,
    fields: { type: 0, code: 2, messageId: 3, options: [o(11, new Uint8Array(300).fill(0x61))] },
  },
];

function fieldsOf(m: DecodedMessage): MessageFields {
  const options = m.options.map((r) => o(r.number, m.bytes.slice(r.offset, r.offset + r.length)));
  return { type: m.type, code: m.code, messageId: m.messageId, token: m.token.slice(), options, payload: m.payload.slice() };
}

function normal(f: MessageFields): MessageFields {
  return {
    type: f.type,
    code: f.code,
    messageId: f.messageId,
    token: f.token ?? new Uint8Array(0),
    options: f.options ?? [],
    payload: f.payload ?? new Uint8Array(0),
  };
}

for (const v of VECTORS) {
  test(`encodeMessage writes the ${v.name} vector byte for byte`, () => {
    const out = new Uint8Array(600);
    const end = encodeMessage(v.fields, out, 3);
    assert.bytesEqual(out.subarray(3, end), hex(v.hex));
    assert.equal(encodedLength(v.fields), end - 3);
  });
  test(`decodeMessage reads the ${v.name} vector`, () => {
    const m = decodeMessage(hex(v.hex));
    if (m === null) return assert.fail("null");
    assert.deepEqual(fieldsOf(m), normal(v.fields));
  });
}

test("decodeMessage copies nothing: payload and token are views of the input", () => {
  const bytes = hex(`61 45 7d 35 20 ff ${asciiHex("22.3 C")}`);
  const m = decodeMessage(bytes);
  if (m === null) return assert.fail("null");
  assert.equal(m.payload.buffer, bytes.buffer);
  assert.equal(m.token.buffer, bytes.buffer);
  assert.equal(m.payload.byteOffset, 6);
});

const ERRORS: readonly [string, string][] = [
  ["", "coap.truncated_header"],
  ["40 01 00", "coap.truncated_header"],
  ["49 01 00 00", "coap.bad_token_length"],
  ["4f 01 00 00 00 00", "coap.bad_token_length"],
  ["42 01 00 00 aa", "coap.truncated_token"],
  ["40 00 00 00 ff", "coap.bad_empty_message"],
  ["41 00 00 00 aa", "coap.bad_empty_message"],
  ["40 01 00 00 f0", "coap.bad_option_delta"],
  ["40 01 00 00 f5 00", "coap.bad_option_delta"],
  ["40 01 00 00 0f", "coap.bad_option_length"],
  ["40 01 00 00 ff", "coap.empty_payload_after_marker"],
  ["40 01 00 00 d0", "coap.truncated_option"],
  ["40 01 00 00 e0 01", "coap.truncated_option"],
  ["40 01 00 00 0d", "coap.truncated_option"],
  ["40 01 00 00 03 61", "coap.truncated_option"],
  ["40 01 00 00 e0 ff 00", "coap.bad_option_number"],
  [`40 01 00 00 ${"00 ".repeat(65)}`, "coap.too_many_options"],
];

for (const [input, code] of ERRORS) {
  test(`decodeMessage rejects [${input.slice(0, 24)}] with ${code}`, () => {
    assert.throws(() => decodeMessage(hex(input)), { instanceOf: CoapFormatError, code });
  });
}

test("decodeMessage ignores (returns null for) versions other than 1", () => {
  for (const v of [0x00, 0x80, 0xc0]) assert.equal(decodeMessage(Uint8Array.of(v | 0x01, 0x01, 0, 0)), null);
  assert.equal(decodeMessage(Uint8Array.of(0x80)), null);
});

test("encodeMessage refuses a buffer that is too small and bad fields", () => {
  const f: MessageFields = { type: 0, code: 1, messageId: 1, payload: ascii("abc") };
  assert.throws(() => encodeMessage(f, new Uint8Array(7)), { code: "coap.buffer_too_small" });
  assert.throws(() => encodeMessageToBytes({ ...f, token: new Uint8Array(9) }), { code: "coap.bad_token_length" });
  assert.throws(() => encodeMessageToBytes({ type: 2, code: 0, messageId: 1, token: hex("01") }), { code: "coap.bad_empty_message" });
});

test("encodeMessage sorts options stably (repeated options keep their order)", () => {
  const bytes = encodeMessageToBytes({
    type: 0,
    code: 1,
    messageId: 9,
    options: [o(15, ascii("q")), o(11, ascii("a")), o(3, ascii("h")), o(11, ascii("b"))],
  });
  const m = decodeMessage(bytes);
  if (m === null) return assert.fail("null");
  assert.deepEqual(
    m.options.map((r) => [r.number, String.fromCharCode(m.bytes[r.offset]!)]),
    [
      [3, "h"],
      [11, "a"],
      [11, "b"],
      [15, "q"],
    ],
  );
});

test("encode/decode round-trips random messages (seed 7252)", () => {
  const rng = new Prng(7252);
  const lengths = [0, 1, 12, 13, 14, 268, 269, 270, 600];
  for (let n = 0; n < 2000; n++) {
    const count = rng.below(8);
    const options: OptionValue[] = [];
    let number = 0;
    for (let i = 0; i < count; i++) {
      number += rng.pick([0, 1, 5, 12, 13, 14, 268, 269, 270, 1000]);
      if (number > 65535) break;
      options.push(o(number, rng.bytes(rng.chance(0.1) ? rng.pick(lengths) : rng.below(20))));
    }
    const fields: MessageFields = {
      type: rng.below(4) as 0 | 1 | 2 | 3,
      code: 1 + rng.below(255),
      messageId: rng.below(65536),
      token: rng.bytes(rng.below(9)),
      options,
      payload: rng.bytes(rng.chance(0.3) ? 0 : rng.below(300)),
    };
    const bytes = encodeMessageToBytes(fields);
    const m = decodeMessage(bytes);
    if (m === null) return assert.fail("null");
    assert.deepEqual(fieldsOf(m), normal(fields), `case ${n}`);
    assert.bytesEqual(encodeMessageToBytes(fieldsOf(m)), bytes);
  }
});

test("option registry numbers match RFC 7252 / 7959 / 9175", () => {
  assert.deepEqual(
    [
      OptionNumber.IF_MATCH,
      OptionNumber.URI_HOST,
      OptionNumber.ETAG,
      OptionNumber.IF_NONE_MATCH,
      OptionNumber.OBSERVE,
      OptionNumber.URI_PORT,
      OptionNumber.LOCATION_PATH,
      OptionNumber.URI_PATH,
      OptionNumber.CONTENT_FORMAT,
      OptionNumber.MAX_AGE,
      OptionNumber.URI_QUERY,
      OptionNumber.ACCEPT,
      OptionNumber.LOCATION_QUERY,
      OptionNumber.BLOCK2,
      OptionNumber.BLOCK1,
      OptionNumber.SIZE2,
      OptionNumber.PROXY_URI,
      OptionNumber.PROXY_SCHEME,
      OptionNumber.SIZE1,
      OptionNumber.ECHO,
      OptionNumber.REQUEST_TAG,
    ],
    [1, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 17, 20, 23, 27, 28, 35, 39, 60, 252, 292],
  );
});
