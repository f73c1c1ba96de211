/**
 * The gate's start-up on XS: Moddable devices, the simulator, and the XS test host (which runs this file
 * unmodified through hosts/xs/js/launch.ts). Like Moddable's examples, the app starts when its main module
 * is evaluated (the main module is not preloaded; every other module is, and holds no state).
 */
import config from "mc/config";
import { utf8Encode } from "../../../src/coap/index.js";
import { keyFromText } from "../../../src/key-text.js";
import { devicePorts, DtlsServerLink, TokenVerifier, UdpLink } from "../../../hosts/moddable/index.js";
import { Gate } from "../app.js";
import { gateVerifierOptions, readGateConfig } from "../config.js";
import { gateStatsJson } from "../stats.js";

/** The XS test host's measurement API (hosts/xs/js/host.ts); absent on devices. */
interface XsHostMemory {
  memory(): { chunks: number; slots: number; chunksPeak: number; slotsPeak: number };
  resetPeaks(): void;
}

function log(line: string): void {
  trace(`${line}\n`);
}

function main(): Gate | undefined {
  try {
    return start();
  } catch (e) {
    // Say why on the console (a device has no other place), then stay down.
    const x = e as { code?: string; message?: string };
    log(`gate: start-up failed: ${x.code ?? ""} ${x.message ?? String(e)}`);
    return undefined;
  }
}

function start(): Gate {
  const g = globalThis as { xsHost?: XsHostMemory; gc?: () => void };
  const host = g.xsHost;
  const gc = g.gc;
  // On the XS test host: the live heap before the gate's objects exist (modules loaded: flash on a device),
  // so the device bench can tell the RAM start-up leaves held (preallocated tables included) from code.
  if (gc !== undefined) gc();
  const before = host?.memory();
  const c = readGateConfig(config as Record<string, unknown>);
  const ports = devicePorts();
  const verifier = new TokenVerifier(gateVerifierOptions(c));
  const server = new DtlsServerLink({
    raw: new UdpLink({ port: c.gatePort }),
    psk: { identity: utf8Encode(c.gatePskId), key: keyFromText(c.gatePsk, "config.gatePsk") },
    clock: ports.clock,
    timers: ports.timers,
    log,
  });
  // GET /stats: the verifier's and the DTLS server's counters; on the XS test host also the live heap after gc
  // and the peaks since the previous GET /stats.
  const stats =
    host === undefined || gc === undefined
      ? (): string => `{${gateStatsJson(verifier.stats(), server.stats())}}`
      : (): string => {
          const peaks = host.memory(); // before gc: a compacting collection has its own transient peak
          gc();
          const m = host.memory();
          const json = `{"chunks":${m.chunks},"slots":${m.slots},"chunksPeak":${peaks.chunksPeak},"slotsPeak":${peaks.slotsPeak},${gateStatsJson(verifier.stats(), server.stats())}}`;
          host.resetPeaks(); // peaks are "since the last GET /stats"
          return json;
        };
  const gate = new Gate({
    link: server,
    verifier,
    clock: ports.clock,
    timers: ports.timers,
    scope: c.scope,
    log,
    ...(c.issuer === undefined ? {} : { issuer: c.issuer }),
    stats,
  });
  if (host !== undefined && gc !== undefined && before !== undefined) {
    gc();
    const after = host.memory();
    log(`xs-gate-state: {"chunks":${after.chunks - before.chunks},"slots":${after.slots - before.slots}}`);
  }
  log(
    `gate: listening on UDP port ${c.gatePort} (coaps), scope ${c.scope}, identity provider ${c.idpUrl}, wall clock ${ports.wall.synced ? "synced" : "not synced"}`,
  );
  return gate;
}

main();
