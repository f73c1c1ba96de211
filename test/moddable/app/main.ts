/**
 * The Moddable simulator app of test/moddable/simulator.node.test.ts: it exercises idpgate's preloaded
 * modules on the real XS of the Moddable SDK and prints one `IDPGATE-SIM <name> <json>` line per check,
 * then `IDPGATE-SIM done`. Built with `mcconfig -m -p lin`, run by `mcsim` (under xvfb-run).
 *
 * The root manifest names every module by its path in this repository (`idpgate/src/coap/index`), and
 * this app's manifest names this file `idpgate/test/moddable/app/main`, so the same relative imports
 * resolve on disk (tsc, Node) and in XS's module map. Moddable-only modules ("timer") are imported by a
 * computed specifier so that this file also compiles under tsconfig.node.json, which includes test/.
 */
import {
  CoapClient,
  CoapServerEngine,
  DEFAULT_TRANSMISSION_PARAMS,
  MessageType,
  Method,
  OptionNumber,
  codeToString,
  decodeMessage,
  encodeMessageToBytes,
  stringOption,
} from "../../../src/coap/index.js";
import { JsonDocument, utf8Encode } from "../../../src/json/index.js";
import { IntrospectionClient } from "../../../src/idp/index.js";
import { CoapIntrospectionTransport } from "../../../src/idp/coap-transport.js";
import { Verifier, type Decision } from "../../../src/verifier/index.js";
import type { DatagramLink, Endpoint, TimerHandle } from "../../../src/ports.js";

/** XS's global print (the Moddable typings declare it too; a module-local declaration keeps Node's tsc happy). */
declare function trace(text: string): void;

/** Moddable's `timer` module, as much of it as this app uses. */
interface ModdableTimer {
  set(callback: () => void, delay: number): unknown;
  clear(id: unknown): void;
}
const TIMER_MODULE: string = "timer";

function say(name: string, value: unknown): void {
  trace(`IDPGATE-SIM ${name} ${JSON.stringify(value)}\n`);
}

const ANSWER = `{"active": true, "sub": "test.device.01", "scope": "tenant.demo refresh.token temp", "iss": "https://iot-idp.demo.apps.iothentix.com/", "exp": 1658179642}`;
const GOOD_TOKEN = "good-" + "t".repeat(95);
const PROVIDER: Endpoint = { address: "127.0.0.1", port: 5683 };
const DEVICE: Endpoint = { address: "127.0.0.1", port: 40000 };

async function main(): Promise<void> {
  const Timer = ((await import(TIMER_MODULE)) as { default: ModdableTimer }).default;

  // 1. CoAP codec round trip (RFC 7252 §3).
  const bytes = encodeMessageToBytes({
    type: MessageType.CON,
    code: Method.POST,
    messageId: 0x1234,
    token: Uint8Array.of(0xca, 0xfe),
    options: [stringOption(OptionNumber.URI_PATH, "idp"), stringOption(OptionNumber.URI_PATH, "introspect")],
    payload: utf8Encode('{"token":"x"}'),
  });
  const m = decodeMessage(bytes);
  if (m === null) throw new Error("decodeMessage returned null");
  let hex = "";
  for (const b of bytes.subarray(0, 6)) hex += (b < 16 ? "0" : "") + b.toString(16);
  say("coap", {
    length: bytes.length,
    head: hex,
    type: m.type,
    code: codeToString(m.code),
    messageId: m.messageId,
    token: Array.from(m.token),
    options: m.options.length,
    payload: m.payload.length,
  });

  // 2. JSON tokenizer on the IDP-API example answer.
  const doc = new JsonDocument(32);
  doc.parse(utf8Encode(ANSWER));
  say("json", {
    tokens: doc.count,
    active: doc.boolean(doc.member(0, "active")),
    sub: doc.string(doc.member(0, "sub")),
    scopeHasTemp: doc.listContains(doc.member(0, "scope"), "temp"),
    exp: doc.number(doc.member(0, "exp")),
    missing: doc.member(0, "nope"),
  });

  // 3. Typed errors on a device: Moddable freezes the built-ins after preload, so an Error subclass that
  //    assigns `this.name` hits the override mistake ("set name: not writable") instead of throwing itself.
  const caught = (f: () => unknown): { name: string; code: string | null; message: string } => {
    try {
      f();
      return { name: "none", code: null, message: "" };
    } catch (error) {
      const e = error as { name?: unknown; code?: unknown; message?: unknown };
      return { name: String(e.name), code: typeof e.code === "string" ? e.code : null, message: String(e.message) };
    }
  };
  const coapError = caught(() => decodeMessage(Uint8Array.of(0x40, 0x01)));
  const jsonError = caught(() => new JsonDocument(4).parse(utf8Encode("{")));
  say("typed-errors", {
    coap: { name: coapError.name, code: coapError.code },
    json: { name: jsonError.name, code: jsonError.code },
    messages: [coapError.message, jsonError.message].filter((m) => m.includes("not writable")),
  });

  // 4. Preloaded objects live in flash: frozen, and JSON.stringify of them throws.
  const params = DEFAULT_TRANSMISSION_PARAMS as object;
  let stringifyThrows = false;
  try {
    JSON.stringify(params);
  } catch {
    stringifyThrows = true;
  }
  say("preload", { frozen: Object.isFrozen(params), stringifyThrows });

  // 5. The whole path: Verifier -> IntrospectionClient -> CoapClient -> in-memory link -> CoapServerEngine
  //    answering as the provider does (2.01, Block2 with 64-byte blocks), on XS timers and promises.
  const start = Date.now();
  const clock = { now: (): number => Date.now() - start };
  const timers = {
    schedule(delayMs: number, callback: () => void): TimerHandle {
      const id = Timer.set(callback, delayMs);
      return { cancel: () => Timer.clear(id) };
    },
  };
  let seed = 0x9e3779b9;
  const random = {
    fill(out: Uint8Array): void {
      for (let i = 0; i < out.length; i++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        out[i] = seed >>> 24;
      }
    },
  };
  const server = new CoapServerEngine({ maxBlockSize: 64 });
  let toDevice: ((data: Uint8Array, from: Endpoint) => void) | undefined;
  let exchanged = 0;
  const pumpServer = (): void => {
    for (let r = server.pollEvent(); r !== undefined; r = server.pollEvent()) {
      const body = new JsonDocument(16);
      body.parse(r.payload);
      const good = r.path === "idp/introspect" && body.stringEquals(body.member(0, "token"), GOOD_TOKEN);
      server.respond(r.id, { code: 65, contentFormat: 50, payload: utf8Encode(good ? ANSWER : '{"active": false}') }, clock.now());
    }
    for (let t = server.pollTransmit(); t !== undefined; t = server.pollTransmit()) {
      const copy = t.bytes.slice();
      exchanged++;
      Promise.resolve().then(() => toDevice?.(copy, PROVIDER));
    }
  };
  const link: DatagramLink = {
    maxDatagramSize: 1152,
    send(datagram: Uint8Array): void {
      const copy = datagram.slice();
      exchanged++;
      Promise.resolve().then(() => {
        server.handleDatagram(copy, DEVICE, clock.now());
        pumpServer();
      });
    },
    onDatagram(receiver): void {
      toDevice = receiver;
    },
    onError(): void {},
    close(): void {},
  };
  const client = new CoapClient(link, { clock, timers, random }, { baseUrl: "coap://127.0.0.1:5683" });
  const introspector = new IntrospectionClient(new CoapIntrospectionTransport(client));
  const gate = new Verifier({ introspector, clock, random, wallClock: { now: () => 1658179000000 } });
  const first = await gate.verify(GOOD_TOKEN, { scope: "tenant.demo" });
  const again = await gate.verify(GOOD_TOKEN, { scope: "tenant.demo" });
  const wrongScope = await gate.verify(GOOD_TOKEN, { scope: "admin" });
  const unknown = await gate.verify("bad-" + "t".repeat(60), { scope: "tenant.demo" });
  const pick = (d: Decision): object => ({ allowed: d.allowed, reason: d.reason, sub: d.sub ?? null, fromCache: d.fromCache });
  say("verifier", {
    first: pick(first),
    again: pick(again),
    wrongScope: pick(wrongScope),
    unknown: pick(unknown),
    datagrams: exchanged > 4,
  });
  client.close();
}

main().then(
  () => trace("IDPGATE-SIM done\n"),
  (error: unknown) => {
    const e = error as { code?: unknown; message?: unknown; stack?: unknown };
    trace(`IDPGATE-SIM error ${String(e.code ?? "")} ${String(e.message ?? error)}\n${String(e.stack ?? "")}\n`);
  },
);
