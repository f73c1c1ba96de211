/**
 * CoAP on the XS test host: computrons and heap of encoding the introspection request and decoding
 * its answer, and of one whole engine exchange. Run: `hosts/xs/out/idpgate-xs build/bench/xs/coap.bench.js`.
 * Same method as baseline.bench.ts: one warm-up run, a full collection, then one measured run; the
 * cost of the measuring calls is subtracted.
 */
import { measure, report as reportRow } from "./_measure.js";
import {
  CoapClientEngine,
  MessageType,
  Method,
  OptionNumber,
  decodeMessage,
  encodeMessage,
  encodeMessageToBytes,
  stringOption,
  uintOption,
  utf8Encode,
  type MessageFields,
} from "../../src/coap/index.js";

const SECTION = "CoAP";

// A 100-byte opaque token, as the provider issues them.
let token = "";
for (let i = 0; i < 100; i++) token += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[(i * 37) % 64];
const BODY = utf8Encode(`{"token":"${token}"}`);
const REQUEST: MessageFields = {
  type: MessageType.CON,
  code: Method.POST,
  messageId: 0x1234,
  token: Uint8Array.of(1, 2, 3, 4),
  options: [
    stringOption(OptionNumber.URI_PATH, "idp"),
    stringOption(OptionNumber.URI_PATH, "introspect"),
    uintOption(OptionNumber.CONTENT_FORMAT, 50),
  ],
  payload: BODY,
};
const OUT = new Uint8Array(1152);
const ANSWER = encodeMessageToBytes({
  type: MessageType.ACK,
  code: 0x41,
  messageId: 0x1234,
  token: Uint8Array.of(1, 2, 3, 4),
  options: [uintOption(OptionNumber.CONTENT_FORMAT, 50)],
  payload: utf8Encode(
    '{"active": true, "sub": "test.device.01", "scope": "tenant.demo refresh.token temp", "iss": "https://iot-idp.demo.apps.iothentix.com/", "exp": 1658179642}',
  ),
});

reportRow(
  SECTION,
  "encode introspection request",
  measure(REQUEST, (m) => encodeMessage(m, OUT, 0)),
  { bytes: encodeMessage(REQUEST, OUT, 0) },
);
reportRow(
  SECTION,
  "decode introspection answer",
  measure(ANSWER, (a) => decodeMessage(a)),
  { bytes: ANSWER.length },
);

const random = {
  fill(b: Uint8Array): void {
    for (let i = 0; i < b.length; i++) b[i] = (i * 31 + 7) & 0xff;
  },
};
const engine = new CoapClientEngine({ random });
const peer = { address: "192.0.2.1", port: 5684 };
reportRow(
  SECTION,
  "engine: submit POST, send, piggybacked 2.01 answer, event",
  measure(engine, (e) => {
    e.submit({ peer, code: Method.POST, options: REQUEST.options ?? [], payload: BODY }, 0);
    const t = e.pollTransmit();
    if (t === undefined) return undefined;
    const sent = decodeMessage(t.datagram);
    if (sent === null) return undefined;
    const reply = ANSWER.slice();
    reply[2] = sent.messageId >> 8;
    reply[3] = sent.messageId & 0xff;
    reply.set(sent.token, 4);
    e.handleDatagram(reply, peer, 1);
    return e.pollEvent();
  }),
);
