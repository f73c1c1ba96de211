/**
 * The gate's datagram path in steady state: what one command allocates on XS (issue 13: "chunks and slots
 * per 100 commands after warm-up"). The gate of examples/gate with its CoAP server engine and a real
 * Verifier (native digest, every command a cache hit) over a link that hands it plaintext datagrams; DTLS
 * is left out (its XS side is the binding's; mbedtls's heap is native). Run on the XS test host:
 * `hosts/xs/out/idpgate-xs --stack 1024 build/bench/xs/datagram.bench.js` (section "XS datagram path").
 *
 * Allocated = peak above the start of the run, from a full collection, without collecting in between (XS
 * collects only when its heap runs out; the heap here is far from it, so this is the total allocated). The
 * bench's own waiting (one `await` a turn) is measured alone and taken off. Two rows: the gate as a device
 * runs it with per-command log lines off (`logCommands: false`), and with them on (each line is a string).
 * A third row puts the DTLS server link of hosts/moddable (the native mbedtls server, its JS driver) under
 * the gate: what the same commands allocate with DTLS, the client's records made beforehand (the client's
 * work is not the device's). The socket's own read (a new buffer per datagram in ECMA-419) is left out.
 */
import { gc, isXsHost, memory, meter, print, resetMeter, resetPeaks, type XsMemory } from "../../hosts/xs/js/host.js";
import { clock, FakeLink, seededRandom, timers } from "./_fakes.js";
import {
  CoapClient,
  decodeMessage,
  encodeMessageToBytes,
  MessageType,
  Method,
  OptionNumber,
  stringOption,
  uintOption,
  utf8Encode,
} from "../../src/coap/index.js";
import { AnswerMapper, IntrospectionClient } from "../../src/idp/index.js";
import { CoapIntrospectionTransport } from "../../src/idp/coap-transport.js";
import type { DatagramLink, Endpoint } from "../../src/ports.js";
import { Verifier } from "../../src/verifier/index.js";
import { Gate } from "../../examples/gate/app.js";

const SECTION = "XS datagram path";
/** Hoisted: a literal in the log callback would be a 24-byte chunk a call (XS copies literals unpreloaded). */
const COMMAND_LINE = "gate: command";
/** Called on the line, not as its method: `line.startsWith` boxes the string on XS (2 slots a line, the bench's). */
const startsWith = String.prototype.startsWith;
const COMMANDS = 100;
const WARM_UP = 40; // more than the engine's 32 dedup entries: the table is full and recycling
const TOKEN = `tok-${"Qx7".repeat(30)}`;
const PEER = { address: "127.0.0.1", port: 40000 };
const ANSWER = utf8Encode(
  '{"active":true,"sub":"bench.device","scope":"tenant.demo relay.write","iss":"https://iot-idp.demo.apps.iothentix.com/","exp":4102444800}',
);

const start: XsMemory = { chunks: 0, chunksPeak: 0, slots: 0, slotsPeak: 0, chunksLimit: 0, slotsLimit: 0 };
const end: XsMemory = { chunks: 0, chunksPeak: 0, slots: 0, slotsPeak: 0, chunksLimit: 0, slotsLimit: 0 };

function command(i: number, state: string): Uint8Array {
  return encodeMessageToBytes({
    type: MessageType.CON,
    code: Method.POST,
    messageId: (0x1000 + i) & 0xffff,
    token: Uint8Array.of(i & 0xff, (i >> 8) & 0xff, 7, 9),
    options: [stringOption(OptionNumber.URI_PATH, "relay"), uintOption(OptionNumber.CONTENT_FORMAT, 50)],
    payload: utf8Encode(`{"token":"${TOKEN}","state":"${state}"}`),
  });
}

interface Run {
  readonly computrons: number;
  readonly chunks: number;
  readonly slots: number;
  readonly turns: number;
}

/**
 * Grows both heaps well past what a run allocates, then frees it: XS keeps the blocks, so the run takes
 * from free space and never collects (checked: a collection would lower the current counts below the peaks).
 */
function roomToAllocate(): void {
  let junk: unknown[] | undefined = [];
  for (let i = 0; i < 150_000; i++) junk.push({ i });
  for (let i = 0; i < 200; i++) junk.push(new Uint8Array(16_384));
  junk = undefined;
  gc();
}

/**
 * Runs `step(i)` for i in [from, from + n), each followed by turns until `done()`; measured. Both made once
 * by the caller: the loop allocates nothing of its own but its awaits (the idle run's the same).
 */
async function measured(from: number, n: number, step: (i: number) => void, done: () => boolean): Promise<Run> {
  roomToAllocate();
  memory(start);
  resetPeaks();
  resetMeter();
  let turns = 0;
  for (let i = from; i < from + n; i++) {
    step(i);
    while (!done()) {
      await undefined;
      turns++;
    }
  }
  const computrons = meter();
  memory(end);
  if (end.slots !== end.slotsPeak || end.chunks !== end.chunksPeak) throw new Error("XS collected during the run: numbers would be low");
  return { computrons, chunks: end.chunksPeak - start.chunks, slots: end.slotsPeak - start.slots, turns };
}

/** The bench's own waiting: `turns` over `n` steps with nothing to do, measured as the runs are. */
function idleTurns(n: number, turns: number): Promise<Run> {
  const perStep = Math.round(turns / n);
  let left = 0;
  return measured(
    0,
    n,
    () => void (left = perStep),
    () => left-- <= 0,
  );
}

async function main(): Promise<void> {
  await scenario(false);
  await scenario(true);
  await overDtls();
  await coldPath();
}

/** A raw link under the DTLS server link: keeps what the server sends (a copy) only while `keep` is set. */
class CiphertextLink extends FakeLink {
  keep = false;
  readonly kept: Uint8Array[] = [];
  override send(datagram?: Uint8Array): void {
    super.send();
    if (this.keep && datagram !== undefined) this.kept.push(datagram.slice());
  }
}

const MODDABLE = "../../hosts/moddable/index.js";
interface DtlsServerLinkClass {
  new (o: { raw: DatagramLink; psk: { identity: Uint8Array; key: Uint8Array }; clock: typeof clock; timers: typeof timers }): DatagramLink;
}

/**
 * The hit path with DTLS: the gate over the device's DTLS server link over a raw link, an XS DtlsSession as the
 * client. The handshake runs first; then the client encrypts every command in advance, so the window holds only
 * the device's work: a ciphertext datagram in, decrypted, served, the reply encrypted and sent.
 */
async function overDtls(): Promise<void> {
  const { DtlsSession } = await import("../../modules/dtls/dtls.js");
  // The device glue is compiled against Moddable's typings: reached by a computed specifier, typed by its use.
  const { DtlsServerLink } = (await import(MODDABLE)) as { DtlsServerLink: DtlsServerLinkClass };
  const identity = utf8Encode("bench-operator");
  const key = Uint8Array.of(0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f);
  const verifier = await hitVerifier();
  const raw = new CiphertextLink();
  const link = new DtlsServerLink({ raw, psk: { identity, key }, clock, timers });
  const gate = new Gate({ link, verifier, clock, timers, scope: "relay.write", log: () => {}, logCommands: false });
  const client = new DtlsSession({ role: "client", psks: [{ identity, psk: key }] });
  raw.keep = true;
  client.start(clock.t);
  for (let round = 0; round < 50 && client.state !== "connected"; round++) {
    for (let d = client.pollTransmit(); d !== undefined; d = client.pollTransmit()) raw.receiver!(d, PEER);
    for (const d of raw.kept.splice(0)) client.handleDatagram(d, clock.t);
    clock.t += 1;
  }
  if (client.state !== "connected") throw new Error(`DTLS handshake: client ${client.state}`);
  raw.keep = false;
  const records: Uint8Array[] = [];
  for (let i = 0; i < WARM_UP + COMMANDS; i++) {
    client.write(command(i, i % 2 === 0 ? "on" : "off"), clock.t);
    const d = client.pollTransmit();
    if (d === undefined || client.pollTransmit() !== undefined) throw new Error("one record a command expected");
    records.push(d);
  }
  const { send, answered } = deliverer(raw, records);
  await measured(0, WARM_UP, send, answered);
  if (gate.allowed !== WARM_UP) throw new Error(`DTLS warm-up: ${gate.allowed} of ${WARM_UP} allowed`);
  const run = await measured(WARM_UP, COMMANDS, send, answered);
  if (gate.allowed !== WARM_UP + COMMANDS) throw new Error("DTLS: commands were not all allowed");
  const idle = await idleTurns(COMMANDS, run.turns);
  print(
    `BENCH ${JSON.stringify({
      section: SECTION,
      name: `gate: ${COMMANDS} cache-hit commands after warm-up, over the device's DTLS server link (PSK-CCM8 records in, encrypted replies out; the socket's read left out)`,
      chunksAllocated: run.chunks - idle.chunks,
      slotsAllocated: run.slots - idle.slots,
      computronsPerCommand: Math.round((run.computrons - idle.computrons) / COMMANDS),
      turnsPerCommand: run.turns / COMMANDS,
    })}`,
  );
  gate.close();
  client.free();
}

/** A provider answering every introspection at once (2.05, the answer above) from the next job. */
class ScriptedProvider implements DatagramLink {
  static readonly PEER: Endpoint = { address: "127.0.0.1", port: 5684 };
  readonly maxDatagramSize = 1152;
  #receiver: ((data: Uint8Array, from: Endpoint) => void) | undefined;
  send(datagram: Uint8Array): void {
    const m = decodeMessage(datagram)!;
    const answer = encodeMessageToBytes({
      type: MessageType.ACK,
      code: 0x45,
      messageId: m.messageId,
      token: m.token,
      options: [uintOption(OptionNumber.CONTENT_FORMAT, 50)],
      payload: ANSWER,
    });
    void Promise.resolve().then(() => this.#receiver?.(answer, ScriptedProvider.PEER));
  }
  onDatagram(r: (data: Uint8Array, from: Endpoint) => void): void {
    this.#receiver = r;
  }
  onError(): void {}
  close(): void {}
}

/**
 * The cold path's allocations (issue 13 step 4): one verification of a new token through the CoAP client,
 * the introspection client and the verifier, against a scripted provider (no DTLS: its XS side is the
 * binding's). The provider's own decode/encode is in the figures (~1.9 KB + 150 slots a request).
 */
async function coldPath(): Promise<void> {
  const { NativeTokenDigest } = await import("../../modules/digest/token_digest.js");
  const client = new CoapClient(
    new ScriptedProvider(),
    { clock, timers, random: seededRandom(0x13) },
    { baseUrl: "coap://127.0.0.1:5684" },
  );
  const verifier = new Verifier({
    introspector: new IntrospectionClient(new CoapIntrospectionTransport(client)),
    clock,
    wallClock: { now: () => 1_700_000_000_000 + clock.t },
    digest: new NativeTokenDigest(),
    cacheEntries: 16,
    rate: { perSecond: 1000, burst: 1000 },
  });
  let allowed = 0;
  let verified = false;
  const verify = (i: number): void => {
    verified = false;
    clock.t += 10;
    void verifier.verify(`${TOKEN}-${i}`, { scope: "relay.write" }).then((d) => {
      if (d.allowed) allowed++;
      verified = true;
    });
  };
  const isVerified = (): boolean => verified;
  const COLD = 10;
  await measured(0, 5, verify, isVerified);
  const run = await measured(100, COLD, verify, isVerified);
  if (allowed !== 5 + COLD) throw new Error(`cold path: ${allowed} of ${5 + COLD} allowed`);
  const idle = await idleTurns(COLD, run.turns);
  print(
    `BENCH ${JSON.stringify({
      section: SECTION,
      name: `cold verification of a new token: CoAP client + introspection client + verifier, scripted provider, no DTLS (per verification, ${COLD} measured)`,
      chunksAllocated: Math.round((run.chunks - idle.chunks) / COLD),
      slotsAllocated: Math.round((run.slots - idle.slots) / COLD),
      computronsPerCommand: Math.round((run.computrons - idle.computrons) / COLD),
      turnsPerCommand: run.turns / COLD,
    })}`,
  );
}

/** Steps for `measured`: datagram i to the link's receiver from PEER, done once the link has sent one reply more. */
function deliverer(link: FakeLink, datagrams: readonly Uint8Array[]): { send: (i: number) => void; answered: () => boolean } {
  let target = 0;
  return {
    send: (i) => {
      target = link.sent + 1;
      clock.t += 5;
      link.receiver!(datagrams[i]!, PEER);
    },
    answered: () => link.sent >= target,
  };
}

/** The gates' verifier: native digest, every token's introspection answered at once by the answer above. */
async function hitVerifier(): Promise<Verifier> {
  const { NativeTokenDigest } = await import("../../modules/digest/token_digest.js");
  const mapper = new AnswerMapper();
  return new Verifier({
    introspector: { introspect: async () => mapper.map({ code: 65, contentFormat: 50, payload: ANSWER }) },
    clock,
    wallClock: { now: () => 1_700_000_000_000 + clock.t },
    digest: new NativeTokenDigest(),
    cacheEntries: 16,
  });
}

/** One gate, warmed up and measured; `logCommands`: whether it builds its per-command log line. */
async function scenario(logCommands: boolean): Promise<void> {
  const verifier = await hitVerifier();
  const link = new FakeLink();
  let logged = 0;
  // The device's log is `trace`; here the lines are built and dropped.
  const gate = new Gate({
    link,
    verifier,
    clock,
    timers,
    scope: "relay.write",
    log: (line) => void (startsWith.call(line, COMMAND_LINE) && logged++),
    logCommands,
  });
  const datagrams: Uint8Array[] = [];
  for (let i = 0; i < WARM_UP + 3 * COMMANDS; i++) datagrams.push(command(i, i % 2 === 0 ? "on" : "off"));
  const { send, answered } = deliverer(link, datagrams);
  await measured(0, WARM_UP, send, answered);
  if (gate.allowed !== WARM_UP) throw new Error(`warm-up: ${gate.allowed} of ${WARM_UP} allowed`);
  const run = await measured(WARM_UP, COMMANDS, send, answered);
  if (gate.allowed !== WARM_UP + COMMANDS) throw new Error("commands were not all allowed");
  if (logCommands !== logged > 0) throw new Error(`command log lines: ${logged}`);
  const idle = await idleTurns(COMMANDS, run.turns);
  // Retained: over a later window (the first windows still settle one-time state: 1.5 KB and 83 slots once).
  const drive = async (from: number): Promise<void> => {
    for (let i = from; i < from + COMMANDS; i++) {
      send(i);
      while (!answered()) await undefined;
    }
  };
  await drive(WARM_UP + COMMANDS);
  gc();
  memory(start);
  await drive(WARM_UP + 2 * COMMANDS);
  gc();
  memory(end);
  print(
    `BENCH ${JSON.stringify({
      section: SECTION,
      name: `gate: ${COMMANDS} cache-hit commands after warm-up (CON POST /relay -> 2.04; CoAP server + verifier, no DTLS)${logCommands ? ", with a log line per command" : ""}`,
      chunksAllocated: run.chunks - idle.chunks,
      slotsAllocated: run.slots - idle.slots,
      computronsPerCommand: Math.round((run.computrons - idle.computrons) / COMMANDS),
      chunksRetained: end.chunks - start.chunks,
      slotsRetained: end.slots - start.slots,
      turnsPerCommand: run.turns / COMMANDS,
    })}`,
  );
  gate.close();
}

if (!isXsHost()) throw new Error("datagram.bench runs on the XS test host only");
await Promise.resolve().then(main);
