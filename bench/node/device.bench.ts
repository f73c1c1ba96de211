/**
 * Device benchmark: the whole stack (examples/gate on the XS test host, default ESP32-like limits, the local
 * identity provider over DTLS) measured from outside through the gate's GET /stats (live XS heap after gc,
 * peaks since the previous GET /stats). Commands come over one DTLS session of our own client, so the
 * windows hold only the gate's work. Rows:
 *  - at rest after start-up: the armed baseline (on a device this is in flash: preloaded modules);
 *  - live above the baseline after the first verification, and with the 16-entry cache full;
 *  - peaks above the baseline during a cold verification (DTLS handshake to the provider + introspection),
 *    a warm miss (introspection on the open link) and a cache hit; XS collects only when its heap is
 *    exhausted, so these peaks include garbage not yet collected and mostly show the collector's policy;
 *  - what is actually needed: the smallest chunk budget and slot budget (searched, one run each) with which
 *    the whole sequence still passes (valid, expired, wrong scope, unknown, valid again, 10 hits);
 *  - growth over 100 cache hits;
 *  - a RAM estimate for the device: XS (chunk bytes + slots x 16 bytes, the ESP32 slot size) at the worst
 *    peak + native mbedtls sessions (provider link + one command peer) from modules/dtls's device-config heap
 *    bench when built (build/dtls-test/dtls_heapbench_device_32, 32-bit like the device, else
 *    dtls_heapbench_device), else left out and said so.
 * Chunk bytes here are from a 64-bit build: chunks holding slots (arrays, Map tables) are about twice a
 * device's, so the estimate errs high.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { GateClient, REPO_ROOT, startDemoProvider, startGate } from "../../hosts/node/demo/stack.js";

const SECTION = "Device";
const SLOT_BYTES_ESP32 = 16;

interface Stats {
  readonly chunks: number;
  readonly slots: number;
  readonly chunksPeak: number;
  readonly slotsPeak: number;
  readonly cacheSize: number;
}

function row(name: string, columns: Record<string, number | string>): void {
  console.log(`BENCH ${JSON.stringify({ section: SECTION, name, ...columns })}`);
}

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

function nativeDtls(): { client: number; clientPeak: number; server: number; serverPeak: number; source: string } | undefined {
  /* the 32-bit build (4-byte pointers as on ESP32) when dtls-heap.bench.ts could make it, else the host's */
  const name = ["dtls_heapbench_device_32", "dtls_heapbench_device"].find((n) => existsSync(join(REPO_ROOT, "build/dtls-test", n)));
  if (name === undefined) return undefined;
  const bin = join(REPO_ROOT, "build/dtls-test", name);
  const out = execFileSync(bin, { encoding: "utf8" });
  const rows = out
    .split("\n")
    .filter((l) => l.startsWith("BENCH "))
    .map((l) => JSON.parse(l.slice(6)) as { name: string; peakBytes?: number; heldBytes?: number; heldAfterExchangeBytes?: number });
  const client = rows.find((r) => r.name.startsWith("client PSK-CCM8 handshake heap"));
  const server = rows.find((r) => r.name.startsWith("server (dtls_server) PSK-CCM8"));
  if (client?.heldBytes === undefined || server?.heldBytes === undefined) return undefined;
  /* held in steady state: after the first datagram each way the last flight's sender drops its handshake state */
  return {
    client: client.heldAfterExchangeBytes ?? client.heldBytes,
    clientPeak: client.peakBytes ?? client.heldBytes,
    server: server.heldAfterExchangeBytes ?? server.heldBytes,
    serverPeak: server.peakBytes ?? server.heldBytes,
    source: name,
  };
}

interface Budget {
  readonly ok: boolean;
  /** Live totals allowed above the armed baseline (the budget given: the host trims what is free beyond it). */
  readonly chunkBudget: number;
  readonly slotBudget: number;
}

/**
 * Runs the sequence on a fresh provider and gate with these XS options; ok when every decision is right and
 * XS did not abort. (A fresh provider each time: a killed gate never closes its DTLS session, and the
 * provider holds at most 8.)
 */
async function runWith(xsOptions: readonly string[]): Promise<Budget> {
  const p = await startDemoProvider();
  const tokens = p.tokens;
  let gate;
  try {
    gate = await startGate({ host: "xs", idpUrl: p.url, xsOptions, cacheEntries: 16 });
  } catch {
    await p.close();
    return { ok: false, chunkBudget: 0, slotBudget: 0 };
  }
  const launch = JSON.parse(gate.stdout.find((l) => l.startsWith("xs-launch: "))!.slice("xs-launch: ".length)) as Stats & {
    chunksLimit: number;
    slotsLimit: number;
  };
  const budget = { chunkBudget: launch.chunksLimit - launch.chunks, slotBudget: launch.slotsLimit - launch.slots };
  let client: GateClient | undefined;
  const died = gate.exited.then(() => undefined);
  try {
    client = await Promise.race([GateClient.connect(gate.port), died]);
    if (client === undefined) return { ok: false, ...budget };
    const expect: [string, boolean][] = [
      [tokens.valid, true],
      [tokens.expired, false],
      [tokens.wrongScope, false],
      [tokens.unknown, false],
      ...Array.from({ length: 11 }, (): [string, boolean] => [tokens.valid, true]),
    ];
    for (const [t, allowed] of expect) {
      const r = await Promise.race([client.command(t, "on"), died]);
      if (r?.decision?.allowed !== allowed) return { ok: false, ...budget };
    }
    return { ok: !gate.stderr.some((l) => /memory full/.test(l)), ...budget };
  } catch {
    return { ok: false, ...budget };
  } finally {
    client?.close();
    await gate.stop();
    await p.close();
  }
}

async function smallest(option: string, lo: number, hi: number, step: number): Promise<Budget | undefined> {
  let best: Budget | undefined;
  for (let i = 0; i < 10 && hi - lo > step; i++) {
    const mid = Math.floor((lo + hi) / 2);
    const r = await runWith([option, String(mid)]);
    process.stderr.write(`device bench: ${option} ${mid}: ${r.ok ? "passes" : "fails"}\n`);
    if (r.ok) {
      hi = mid;
      best = r;
    } else lo = mid;
  }
  return best ?? (await runWith([option, String(hi)]));
}

async function main(): Promise<void> {
  const p = await startDemoProvider();
  const gate = await startGate({ host: "xs", idpUrl: p.url, cacheEntries: 16 });
  let client: GateClient | undefined;
  try {
    const launch = JSON.parse(gate.stdout.find((l) => l.startsWith("xs-launch: "))!.slice("xs-launch: ".length)) as Stats;
    const base = { chunks: launch.chunks, slots: launch.slots };
    row("XS heap at rest after start-up (armed baseline; in flash on a device)", { chunkBytes: base.chunks, slots: base.slots });
    // Of the baseline, what the start-up's objects hold (not code: RAM on a device; examples/gate/moddable/main.ts).
    const stateLine = gate.stdout.find((l) => l.startsWith("xs-gate-state: "));
    const state =
      stateLine === undefined ? undefined : (JSON.parse(stateLine.slice("xs-gate-state: ".length)) as { chunks: number; slots: number });
    if (state !== undefined)
      row("of it, held by the start-up's objects (TokenVerifier, DTLS server link, gate, CoAP server engine: RAM on a device)", {
        chunkBytes: state.chunks,
        slots: state.slots,
        estBytes: state.chunks + state.slots * SLOT_BYTES_ESP32,
      });
    client = await GateClient.connect(gate.port);
    const stats = async (): Promise<Stats> => JSON.parse((await client!.get("stats")).text) as Stats;
    const above = (s: Stats, peak: boolean): { chunkBytes: number; slots: number; estBytes: number } => {
      const chunkBytes = (peak ? s.chunksPeak : s.chunks) - base.chunks;
      const slots = (peak ? s.slotsPeak : s.slots) - base.slots;
      return { chunkBytes, slots, estBytes: chunkBytes + slots * SLOT_BYTES_ESP32 };
    };
    await stats(); // resets the peaks
    const cold = await client.command(p.tokens.valid, "on");
    if (cold.decision?.allowed !== true) throw new Error(`cold verification: ${cold.code} ${cold.text}`);
    const afterCold = await stats();
    row("XS peak above baseline during a cold verification (provider DTLS handshake + introspection)", above(afterCold, true));
    row("XS live above baseline after the first verification", above(afterCold, false));
    await client.command(p.tokens.wrongScope, "on");
    const afterWarm = await stats();
    row("XS peak above baseline during a warm miss (introspection on the open link)", above(afterWarm, true));
    await client.command(p.tokens.valid, "off");
    const afterHit = await stats();
    row("XS peak above baseline during a cache hit", above(afterHit, true));
    for (let i = 0; i < 100; i++) await client.command(p.tokens.valid, i % 2 === 0 ? "on" : "off");
    const afterHundred = await stats();
    row("XS live growth over 100 cache hits", {
      chunkBytes: afterHundred.chunks - afterHit.chunks,
      slots: afterHundred.slots - afterHit.slots,
    });
    // Fill the 16-entry cache with distinct active tokens, paced under the gate's per-caller limit (one
    // operator identity: GATE_CALLER_RATE, 1 introspection a second once its burst is spent).
    let worst = Math.max(above(afterCold, true).estBytes, above(afterWarm, true).estBytes);
    let peakStats = afterCold;
    for (let i = 0; i < 16; i++) {
      const t = p.store.issue({ sub: `bench.device.${i}`, scope: "tenant.demo relay.write", lifetimeSeconds: 3600 });
      await sleep(1_050);
      const r = await client.command(t, "on");
      if (r.decision?.allowed !== true) throw new Error(`fill ${i}: ${r.code} ${r.text}`);
      const s = await stats();
      if (above(s, true).estBytes > worst) {
        worst = above(s, true).estBytes;
        peakStats = s;
      }
    }
    const full = await stats();
    row(`XS live above baseline with the cache full (${full.cacheSize} entries)`, above(full, false));
    const n = nativeDtls();
    const xsPeak = above(peakStats, true);
    if (n === undefined) {
      row("RAM estimate, 16-entry cache (XS only: native DTLS heap not measured, build modules/dtls/test)", {
        xsBytes: worst,
        nativeBytes: "n/a",
        totalBytes: worst,
        xsChunkBytes: xsPeak.chunkBytes,
        xsSlots: xsPeak.slots,
      });
    } else {
      // The provider link (client session held) + one command peer mid-handshake (server peak).
      const nativeBytes = n.client + n.serverPeak;
      row("RAM estimate, 16-entry cache (XS peak + mbedtls device config: provider session + one command peer)", {
        xsBytes: worst,
        nativeBytes,
        totalBytes: worst + nativeBytes,
        totalKB: Math.round(((worst + nativeBytes) / 1024) * 10) / 10,
        xsChunkBytes: xsPeak.chunkBytes,
        xsSlots: xsPeak.slots,
      });
    }
    if (gate.stderr.some((l) => /memory full|stack overflow/.test(l))) throw new Error(`XS abort: ${gate.stderr.join(" | ")}`);
    client.close();
    client = undefined;
    await gate.stop();
    // What the stack needs: smallest budgets (effective, above the armed baseline) that still pass.
    const chunks = await smallest("--chunk-heap", 1024, 78848, 1024);
    const slots = await smallest("--slot-heap", 64, 4900, 64);
    if (chunks?.ok === true && slots?.ok === true) {
      // Exact to one growth step (1 KB of chunks, 64 slots): arming trims what XS holds free beyond the budget.
      row("smallest XS budgets that pass the sequence (above the armed baseline; to 1 KB / 64 slots)", {
        chunkBytes: chunks.chunkBudget,
        slots: slots.slotBudget,
        estBytes: chunks.chunkBudget + slots.slotBudget * SLOT_BYTES_ESP32,
      });
      const needed = chunks.chunkBudget + slots.slotBudget * SLOT_BYTES_ESP32;
      // The sequence caches 4 answers; a full 16-entry cache adds what the live heap showed above.
      const fullCache = Math.max(0, above(full, false).estBytes - above(afterCold, false).estBytes);
      const nativeBytes = n === undefined ? 0 : n.client + n.serverPeak;
      row(
        `RAM needed with the 16-entry cache full (smallest XS budgets + full cache${n === undefined ? "; native DTLS not measured" : " + mbedtls device config: provider session + one command peer"})`,
        {
          xsBytes: needed + fullCache,
          nativeBytes: n === undefined ? "n/a" : nativeBytes,
          totalBytes: needed + fullCache + nativeBytes,
          totalKB: Math.round(((needed + fullCache + nativeBytes) / 1024) * 10) / 10,
        },
      );
      if (state !== undefined) {
        const held = state.chunks + state.slots * SLOT_BYTES_ESP32;
        row("RAM needed with the 16-entry cache full, the start-up's objects included (the row above + the start-up row)", {
          xsBytes: needed + fullCache + held,
          nativeBytes: n === undefined ? "n/a" : nativeBytes,
          totalBytes: needed + fullCache + held + nativeBytes,
          totalKB: Math.round(((needed + fullCache + held + nativeBytes) / 1024) * 10) / 10,
        });
      }
    }
  } finally {
    client?.close();
    await gate.stop();
    await p.close();
  }
}

await main();
