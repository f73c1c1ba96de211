/**
 * Verifier benchmarks for the XS test host (runtime-neutral; on Node the meter columns are -1).
 *
 * Rows (section "Verifier"):
 *  - cache-hit verify (verifyCached): the hot path; must retain nothing (slotsRetained 0);
 *  - cache-hit verify (await verify): the same through the promise API;
 *  - cache-hit verify (native digest) / (native digest, await verify): the same two with
 *    NativeTokenDigest (modules/digest: HMAC-SHA-256/128 in C, digest and probe in one call) instead of the
 *    default JS SipHash; XS only. The hit rows pass a compiled `Requirement`;
 *  - cache-hit verify (native digest, token bytes in place): the gate's path, the token's bytes in the command;
 *  - cache-hit verify (native digest, plain requirements): the same with a plain object, checked in full;
 *  - token digest alone: SipHash (JS) and native, per call;
 *  - cold verify, idpgate tokenizer: request encode + answer mapping + policy, no network;
 *  - cold verify, JSON.parse: the same with JSON.stringify/JSON.parse, side by side; both cold rows also
 *    give slotsPerRun, the slots of one run (see slotsOfOneRun);
 *  - bytes per cache entry: heap growth over N cached tokens, divided by N: the claims an entry refers to
 *    (the cache's table is preallocated by the constructor, see src/verifier/cache.ts).
 *
 * Uses the XS host's meter and heap API (hosts/xs/js/host.ts); on Node only the rows are printed.
 */
import { utf8Encode } from "../../src/json/index.js";
import { AnswerMapper, IntrospectionClaims, IntrospectionRequestEncoder, type Introspector } from "../../src/idp/index.js";
import { decide, MutableDecision, Requirement, SipHashTokenDigest, Verifier } from "../../src/verifier/index.js";
import { seededRandom } from "./_fakes.js";
import { gc, isXsHost, memory, meter, print, resetMeter, resetPeaks, type XsMemory } from "../../hosts/xs/js/host.js";

const onXs = isXsHost();

function out(row: Record<string, string | number>): void {
  const line = `BENCH ${JSON.stringify({ section: "Verifier", ...row })}`;
  if (onXs) print(line);
  else (globalThis as { console?: { log(s: string): void } }).console?.log(line);
}

function collect(): void {
  if (onXs) gc();
}

// Two records allocated up front: reading the heap must not itself show up as retained memory.
const BEFORE: XsMemory = { chunks: -1, chunksPeak: -1, slots: -1, slotsPeak: -1, chunksLimit: 0, slotsLimit: 0 };
const AFTER: XsMemory = { chunks: -1, chunksPeak: -1, slots: -1, slotsPeak: -1, chunksLimit: 0, slotsLimit: 0 };

function heap(into: XsMemory): XsMemory {
  return onXs ? memory(into) : into;
}

const ANSWER = utf8Encode(
  '{"active": true, "sub": "test.device.01", "scope": "tenant.demo refresh.token temp", "iss": "https://iot-idp.demo.apps.iothentix.com/", "exp": 4102444800}',
);
const TOKEN = "tok-" + "Qx7".repeat(32);

const random = seededRandom(0x2545f491);
const mono = {
  t: 0,
  now(): number {
    return this.t;
  },
};
const wall = {
  now(): number {
    return 1_700_000_000_000 + mono.t;
  },
};

class InstantIdp implements Introspector {
  readonly mapper = new AnswerMapper();
  // Like a real transport, the answer arrives in a later job (on a fresh stack).
  async introspect(): Promise<IntrospectionClaims> {
    await undefined;
    return this.mapper.map({ code: 65, contentFormat: 50, payload: ANSWER });
  }
}

/**
 * Slots one synchronous run of `fn` allocates (its peak over a collected heap, garbage included). Unlike
 * slotsPeakGrowth over many runs, this does not depend on when the collector happens to run: the
 * JSON.parse row's string building churns enough chunks to collect on nearly every run, which caps its
 * peak at about one run's slots, while a row that allocates fewer chunks collects less often.
 */
function slotsOfOneRun(fn: () => void | Promise<void>): number {
  if (!onXs) return -1;
  // Room for the run's chunks, so that no collection runs in the middle of it and hides garbage slots.
  let room: ArrayBuffer | undefined = new ArrayBuffer(1 << 16);
  if (room.byteLength === 0) throw new Error("no room");
  room = undefined;
  collect();
  const before = heap(BEFORE);
  resetPeaks();
  void fn();
  return heap(AFTER).slotsPeak - before.slots;
}

/** Runs `fn` n times under the meter; prints computrons per run and slots/chunks retained after gc. */
async function measure(name: string, n: number, fn: () => void | Promise<void>): Promise<void> {
  out(await measured(name, n, fn));
}

/** What `measure` prints, as a row. */
async function measured(name: string, n: number, fn: () => void | Promise<void>): Promise<Record<string, string | number>> {
  await fn(); // warm up: first-call allocations are not steady state
  collect();
  const before = heap(BEFORE);
  if (onXs) {
    resetPeaks();
    resetMeter();
  }
  for (let i = 0; i < n; i++) {
    // Await only asynchronous rows: an await of undefined would itself allocate.
    const pending = fn();
    if (pending !== undefined) await pending;
  }
  const computrons = onXs ? Math.round(meter() / n) : -1;
  // Peak growth during the runs, before collecting: 0 means the loop allocated nothing at all.
  const slotsPeakGrowth = onXs ? heap(AFTER).slotsPeak - before.slots : -1;
  collect();
  const after = heap(AFTER);
  return {
    name,
    computrons,
    slotsPeakGrowth,
    slotsRetained: !onXs ? -1 : after.slots - before.slots,
    chunksRetained: !onXs ? -1 : after.chunks - before.chunks,
    runs: n,
  };
}

async function main(): Promise<void> {
  const verifier = new Verifier({ introspector: new InstantIdp(), clock: mono, wallClock: wall, random });
  const req = { scope: "tenant.demo", issuer: "https://iot-idp.demo.apps.iothentix.com/" };
  // The hit rows pass the requirements compiled once, as the gate and TokenVerifier do (a row may then skip
  // the static checks it has seen pass); "plain requirements" is the same object checked in full every time.
  const compiled = new Requirement(req);
  const decision = new MutableDecision();
  await verifier.verify(TOKEN, compiled);

  await measure("cache-hit verify (verifyCached)", 200, () => {
    if (!verifier.verifyCached(TOKEN, compiled, decision) || !decision.allowed) throw new Error("expected a cache hit");
  });
  await measure("cache-hit verify (await verify)", 200, async () => {
    if (!(await verifier.verify(TOKEN, compiled)).allowed) throw new Error("expected allowed");
  });

  const words = new Uint32Array(4);
  const sip = new SipHashTokenDigest(random);
  await measure("token digest alone (SipHash-2-4, JS)", 200, () => {
    sip.digest(TOKEN, words);
  });
  if (onXs) {
    // Native() exists only on XS: load the binding lazily so that Node can still print the other rows.
    const { NativeTokenDigest } = await import("../../modules/digest/token_digest.js");
    const native = new NativeTokenDigest();
    await measure("token digest alone (native HMAC-SHA-256/128)", 200, () => {
      native.digest(TOKEN, words);
    });
    const fast = new Verifier({ introspector: new InstantIdp(), clock: mono, wallClock: wall, digest: native });
    await fast.verify(TOKEN, compiled);
    await measure("cache-hit verify (native digest)", 200, () => {
      if (!fast.verifyCached(TOKEN, compiled, decision) || !decision.allowed) throw new Error("expected a cache hit");
    });
    // The gate's path: the token read in place from the command's bytes, no string of it.
    const command = utf8Encode(`{"token":"${TOKEN}","state":"on"}`);
    const tokenAt = 10;
    const tokenEnd = tokenAt + TOKEN.length; // once: .length of a string boxes it on XS
    await measure("cache-hit verify (native digest, token bytes in place)", 200, () => {
      if (!fast.verifyCached(command, compiled, decision, tokenAt, tokenEnd) || !decision.allowed) throw new Error("expected a cache hit");
    });
    await measure("cache-hit verify (native digest, await verify)", 200, async () => {
      if (!(await fast.verify(TOKEN, compiled)).allowed) throw new Error("expected allowed");
    });
    await measure("cache-hit verify (native digest, plain requirements)", 200, () => {
      if (!fast.verifyCached(TOKEN, req, decision) || !decision.allowed) throw new Error("expected a cache hit");
    });
  }

  const mapper = new AnswerMapper();
  // As IntrospectionClient does: one encoder for the client's credentials, one request per token.
  const encoder = new IntrospectionRequestEncoder({ clientId: "test.device.01" });
  const ours = (): void => {
    const body = encoder.encode(TOKEN);
    if (body.length === 0) throw new Error("empty body");
    const claims = mapper.map({ code: 65, contentFormat: 50, payload: ANSWER });
    if (!decide(claims, req, wall.now(), 5_000, decision).allowed) throw new Error("expected allowed");
  };
  const theirs = (): void => {
    const body = JSON.stringify({ token: TOKEN, client_id: "test.device.01" });
    if (body.length === 0) throw new Error("empty body");
    let text = "";
    for (let i = 0; i < ANSWER.length; i++) text += String.fromCharCode(ANSWER[i]!);
    const parsed = JSON.parse(text) as { active?: unknown; sub?: unknown; scope?: unknown; iss?: unknown; exp?: unknown };
    if (typeof parsed.active !== "boolean") throw new Error("malformed");
    const claims = new IntrospectionClaims({
      active: parsed.active,
      sub: typeof parsed.sub === "string" ? parsed.sub : undefined,
      scope: typeof parsed.scope === "string" ? parsed.scope : undefined,
      iss: typeof parsed.iss === "string" ? parsed.iss : undefined,
      exp: typeof parsed.exp === "number" ? parsed.exp : undefined,
    });
    if (!decide(claims, req, wall.now(), 5_000, decision).allowed) throw new Error("expected allowed");
  };
  const oursRow = await measured("cold verify, idpgate tokenizer", 50, ours);
  const theirsRow = await measured("cold verify, JSON.parse", 50, theirs);
  // One run each, after both rows: its heap preparation must not change the other row's collections.
  out({ ...oursRow, slotsPerRun: slotsOfOneRun(ours) });
  out({ ...theirsRow, slotsPerRun: slotsOfOneRun(theirs) });

  // Bytes per cache entry: fill N entries with distinct tokens (claims from distinct answers).
  const n = 32;
  const fill = new Verifier({
    introspector: new InstantIdp(),
    clock: mono,
    wallClock: wall,
    random,
    cacheEntries: n,
    rate: { perSecond: 1000, burst: 1000 },
  });
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) tokens.push(`${TOKEN}-${i}`);
  await fill.verify("warm-up");
  fill.clear();
  collect();
  const before = heap(BEFORE);
  for (const t of tokens) await fill.verify(t, req);
  collect();
  const after = heap(AFTER);
  if (fill.stats().cacheSize !== n) throw new Error("cache not filled");
  out({
    name: "bytes per cache entry",
    entries: n,
    slotsPerEntry: !onXs ? -1 : (after.slots - before.slots) / n,
    chunkBytesPerEntry: !onXs ? -1 : (after.chunks - before.chunks) / n,
  });
}

// Run from a promise job, not from the module body: the measured calls then sit on a shallow stack, as
// they would in a device's network callback (the XS host gives 512 slots, like an ESP32 build).
await Promise.resolve().then(main);
