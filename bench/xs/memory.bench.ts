/**
 * Where the XS heap goes: the XS side of modules/dtls's HEAPBENCH_TRACE. Each row is what one structure
 * holds live (after a full collection, with a reference kept): chunk bytes and slots, and `estBytes`, the
 * device estimate the device bench uses (chunk bytes + 16 bytes a slot). Run on the XS test host only:
 * `hosts/xs/out/idpgate-xs --stack 1024 build/bench/xs/memory.bench.js` (section "XS memory breakdown").
 *
 * Rows, in the order of a gate's life:
 *  - loaded code: each module group as it is first imported (byte code, module objects, the strings and
 *    tables they build); on a device this is preloaded into flash, here it is the armed baseline;
 *  - the structures of a running gate, each built alone: the answer mapper's token pool (follows
 *    maxAnswerBytes), the gate's command pool, the CoAP client and server engines (the server driven to its
 *    steady state: dedup and answer caches full), the DTLS links' JS side (mbedtls's own heap is native, see
 *    the DTLS section), the verifier empty and with its 16-entry cache full (answers as the local provider
 *    sends them, and with one unknown claim), the whole TokenVerifier, the gate's own state.
 * This is a 64-bit build: chunks that hold slots (arrays, Map tables) are about twice a device's.
 */
import { gc, isXsHost, memory, print, type XsMemory } from "../../hosts/xs/js/host.js";
import { clock, FakeLink, seededRandom, timers } from "./_fakes.js";

const SECTION = "XS memory breakdown";
const SLOT_BYTES_ESP32 = 16;
const CACHE_ENTRIES = 16;

const before: XsMemory = { chunks: 0, chunksPeak: 0, slots: 0, slotsPeak: 0, chunksLimit: 0, slotsLimit: 0 };
const after: XsMemory = { chunks: 0, chunksPeak: 0, slots: 0, slotsPeak: 0, chunksLimit: 0, slotsLimit: 0 };
/** Everything measured stays reachable from here until the end, so no row is collected under another. */
const keep: unknown[] = [];

function row(name: string, chunkBytes: number, slots: number, extra: Record<string, number | string> = {}): void {
  print(
    `BENCH ${JSON.stringify({ section: SECTION, name, chunkBytes, slots, estBytes: chunkBytes + slots * SLOT_BYTES_ESP32, ...extra })}`,
  );
}

function live(into: XsMemory): XsMemory {
  gc();
  return memory(into);
}

/** Live growth while `make` runs and its result is kept. */
async function held<T>(name: string, make: () => T | Promise<T>, extra: Record<string, number | string> = {}): Promise<T> {
  live(before);
  const value = await make();
  keep.push(value);
  live(after);
  row(name, after.chunks - before.chunks, after.slots - before.slots, extra);
  return value;
}

const MODDABLE = "../../hosts/moddable/index.js";
interface ModdableGlue {
  readonly DtlsServerLink: new (o: {
    raw: FakeLink;
    psk: { identity: Uint8Array; key: Uint8Array };
    clock: typeof clock;
    timers: typeof timers;
  }) => object;
  readonly TokenVerifier: new (o: { url: string; psk: { identity: string; key: string }; cacheEntries: number }) => object;
}

const random = seededRandom(0x2545f491);

async function main(): Promise<void> {
  // Loaded code, group by group (each row: what that import added that earlier ones had not loaded).
  const code: [string, () => Promise<unknown>][] = [
    ["src/json (tokenizer, writer)", () => import("../../src/json/index.js")],
    ["src/coap (codec, engines, client, server)", () => import("../../src/coap/index.js")],
    ["src/idp (request, answer mapping, client, transport)", () => import("../../src/idp/index.js")],
    ["src/verifier (cache, policy, digest, TokenVerifier)", () => import("../../src/verifier/index.js")],
    ["modules/dtls + modules/digest (JS halves of the native classes)", () => import("../../modules/dtls/dtls.js")],
    ["hosts/moddable (ports, UDP, DTLS links, device TokenVerifier)", () => import(MODDABLE)],
    ["examples/gate (app, config)", () => import("../../examples/gate/app.js")],
  ];
  const start = live({ ...before });
  row("loaded code: XS machine, built-ins and the bench's host module", start.chunks, start.slots, { part: "code" });
  for (const [name, load] of code) await held(`loaded code: ${name}`, load, { part: "code" });
  await import("../../modules/digest/token_digest.js");
  await import("../../examples/gate/config.js");
  const loaded = live({ ...before });
  row("loaded code: total above the machine (a device has it in flash)", loaded.chunks - start.chunks, loaded.slots - start.slots, {
    part: "code",
  });

  const { JsonDocument } = await import("../../src/json/index.js");
  const coap = await import("../../src/coap/index.js");
  const idp = await import("../../src/idp/index.js");
  const v = await import("../../src/verifier/index.js");
  const { NativeTokenDigest } = await import("../../modules/digest/token_digest.js");
  // The device glue is compiled against Moddable's typings (tsconfig.moddable.json): reached by a computed
  // specifier, typed here by what the rows use.
  const moddable = (await import(MODDABLE)) as ModdableGlue;
  const { DtlsServerLink, TokenVerifier } = moddable;
  const { Gate } = await import("../../examples/gate/app.js");

  await held(`JSON token pool, answer limit 4 KB (${idp.MAX_ANSWER_TOKENS} tokens x 20 B)`, () => new JsonDocument(idp.MAX_ANSWER_TOKENS), {
    part: "idp",
  });
  await held("AnswerMapper, default limits (its token pool + the mapper)", () => new idp.AnswerMapper(), { part: "idp" });
  await held("JSON token pool of the gate's commands (24 tokens)", () => new JsonDocument(24), { part: "gate" });

  await held("CoAP client engine, empty (device options)", () => new coap.CoapClientEngine({ random, maxMessageSize: 1152 }), {
    part: "coap",
  });
  await held("CoapClient over a link, empty", () => new coap.CoapClient(new FakeLink(), { clock, timers, random }), { part: "coap" });
  const serverOptions = { maxPending: 8, dedupEntries: 32, dedupReplyBytes: 32 * 86, cachedAnswers: 2, maxBodyBytes: 512 };
  await held("CoAP server engine, empty (the gate's options)", () => new coap.CoapServerEngine(serverOptions), { part: "coap" });
  await held(
    "CoAP server engine, steady state (dedup table full: 32 answered CON commands)",
    () => {
      const engine = new coap.CoapServerEngine(serverOptions);
      const answer = coap.utf8Encode('{"allowed":true,"reason":"ok","fromCache":true,"state":"on"}');
      for (let i = 0; i < 40; i++) {
        const bytes = coap.encodeMessageToBytes({
          type: coap.MessageType.CON,
          code: coap.Method.POST,
          messageId: 0x100 + i,
          token: Uint8Array.of(i & 0xff, 7),
          options: [coap.stringOption(coap.OptionNumber.URI_PATH, "relay"), coap.uintOption(coap.OptionNumber.CONTENT_FORMAT, 50)],
          payload: coap.utf8Encode(`{"token":"tok-${"Qx7".repeat(30)}","state":"on"}`),
        });
        clock.t += 10;
        engine.handleDatagram(bytes, { address: "127.0.0.1", port: 40000 }, clock.now());
        for (let r = engine.pollEvent(); r !== undefined; r = engine.pollEvent())
          engine.respond(r.id, { code: 0x44, contentFormat: 50, payload: answer }, clock.now());
        while (engine.pollTransmit() !== undefined);
      }
      return engine;
    },
    { part: "coap" },
  );

  const psk = { identity: coap.utf8Encode("gate"), key: new Uint8Array(16).fill(7) };
  await held(
    "DTLS server link, JS side, no peer (mbedtls heap: native, DTLS section)",
    () => new DtlsServerLink({ raw: new FakeLink(), psk, clock, timers }),
    {
      part: "dtls",
    },
  );

  const answerOf = (i: number, extra: string): Uint8Array =>
    coap.utf8Encode(
      `{"active":true,"sub":"bench.device.${i}","scope":"tenant.demo relay.write","iss":"https://iot-idp.demo.apps.iothentix.com/","exp":4102444800${extra}}`,
    );
  const wall = { now: (): number => 1_700_000_000_000 + clock.t };
  const mapper = new idp.AnswerMapper();
  const filled = async (extra: string): Promise<unknown> => {
    let i = 0;
    const verifier = new v.Verifier({
      introspector: { introspect: async () => mapper.map({ code: 65, contentFormat: 50, payload: answerOf(i++, extra) }) },
      clock,
      wallClock: wall,
      digest: new NativeTokenDigest(),
      cacheEntries: CACHE_ENTRIES,
      rate: { perSecond: 1000, burst: 1000 },
    });
    await verifier.verify("warm-up");
    verifier.clear();
    return { verifier };
  };
  const full = async (state: { verifier: InstanceType<typeof v.Verifier> }): Promise<void> => {
    for (let k = 0; k < CACHE_ENTRIES; k++) await state.verifier.verify(`tok-${"Qx7".repeat(30)}-${k}`, { scope: "tenant.demo" });
    if (state.verifier.stats().cacheSize !== CACHE_ENTRIES) throw new Error("cache not full");
  };
  const empty = (await held(
    "Verifier, empty (its 16-entry cache table preallocated, native digest, rate limits; its mapper counted above)",
    () => filled(""),
    {
      part: "verifier",
    },
  )) as {
    verifier: InstanceType<typeof v.Verifier>;
  };
  const fillRow = async (name: string, state: { verifier: InstanceType<typeof v.Verifier> }): Promise<void> => {
    live(before);
    await full(state);
    live(after);
    const chunkBytes = (after.chunks - before.chunks) / CACHE_ENTRIES;
    const slots = (after.slots - before.slots) / CACHE_ENTRIES;
    row(name, after.chunks - before.chunks, after.slots - before.slots, {
      part: "verifier",
      perEntryChunkBytes: chunkBytes,
      perEntrySlots: slots,
      perEntryEstBytes: chunkBytes + slots * SLOT_BYTES_ESP32,
    });
  };
  await fillRow(`Verifier cache, ${CACHE_ENTRIES} entries filled (claims of the provider's answers: sub, scope, iss, exp)`, empty);
  const unknown = (await filled(',"client_id":"bench.client"')) as { verifier: InstanceType<typeof v.Verifier> };
  keep.push(unknown);
  await fillRow(`Verifier cache, ${CACHE_ENTRIES} entries filled, answers with one unknown claim`, unknown);

  await held(
    "TokenVerifier (XS), whole chain before the first verification (link not yet opened)",
    () =>
      new TokenVerifier({
        url: "coaps://127.0.0.1:5999/idp/introspect",
        psk: { identity: "dev", key: "hex:00112233" },
        cacheEntries: CACHE_ENTRIES,
      }),
    { part: "verifier" },
  );

  const gateVerifier = {
    verify: () =>
      Promise.resolve({
        allowed: true,
        reason: "ok" as const,
        sub: "d",
        scopes: "relay.write",
        expiresAt: 0,
        fromCache: true,
        errorCode: undefined,
      }),
  };
  await held(
    "Gate's own state, no command yet (engine, command pool, timer)",
    () => new Gate({ link: new FakeLink(), verifier: gateVerifier, clock, timers, scope: "relay.write" }),
    {
      part: "gate",
    },
  );
}

if (!isXsHost()) throw new Error("memory.bench runs on the XS test host only");
await Promise.resolve().then(main);
