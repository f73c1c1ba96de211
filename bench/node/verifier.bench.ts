/**
 * Node figures for the verifier against the local provider over DTLS PSK on loopback:
 *  - verifications per second on cache hits (`verify`, and the allocation-free `verifyCached`);
 *  - end-to-end introspection latency: ours warm (established session), ours cold (DTLS handshake +
 *    POST, in process), our CLI as a process, and libcoap's coap-client-openssl doing the same POST
 *    (a process that handshakes each time). Ratios are ours / libcoap's.
 * Wall-clock figures from this machine: compare ratios, not absolute numbers.
 * Run: `node build/bench/node/verifier.bench.js`.
 */
import { execFile } from "node:child_process";
import { performance } from "node:perf_hooks";
import { join } from "node:path";
import { MutableDecision, Verifier } from "../../src/verifier/index.js";
import { connectIdp } from "../../hosts/node/idp-connection.js";
import { nodeMonotonicClock, nodeRandom, nodeWallClock } from "../../hosts/node/ports.js";
import { PSK_IDENTITY, PSK_KEY, startIdp } from "../../test/support/node/idp-fixture.js";
import { requireTool } from "../../test/support/node/libcoap.js";

const SECTION = "Verifier on Node (loopback, DTLS PSK-CCM8)";
const CLI = join(process.cwd(), "build", "hosts", "node", "cli", "main.js");

function row(name: string, columns: Record<string, number | string>): void {
  process.stdout.write(`BENCH ${JSON.stringify({ section: SECTION, name, ...columns })}\n`);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function runProcess(file: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    execFile(file, args, { timeout: 20_000 }, (error, stdout) => {
      if (error !== null) return reject(new Error(`${file} failed: ${error.message}`));
      if (!stdout.includes('"active":true')) return reject(new Error(`${file} did not get an active answer`));
      resolve(performance.now() - started);
    });
  });
}

async function main(): Promise<void> {
  const idp = await startIdp();
  const conn = connectIdp(idp.url, { dtls: { psk: { identity: PSK_IDENTITY, key: PSK_KEY } } });
  try {
    const verifier = new Verifier({
      introspector: conn.introspector,
      clock: nodeMonotonicClock,
      wallClock: nodeWallClock,
      random: nodeRandom,
      maxTtlMs: 600_000,
    });
    const requirements = { scope: "relay.write" };
    if (!(await verifier.verify(idp.valid, requirements)).allowed) throw new Error("the valid token was not allowed");

    const hits = 200_000;
    let started = performance.now();
    for (let i = 0; i < hits; i++) await verifier.verify(idp.valid, requirements);
    const asyncRate = hits / ((performance.now() - started) / 1000);
    const out = new MutableDecision();
    started = performance.now();
    for (let i = 0; i < hits; i++) verifier.verifyCached(idp.valid, requirements, out);
    const syncRate = hits / ((performance.now() - started) / 1000);
    if (!out.allowed || !out.fromCache) throw new Error("cache hits were not allowed from the cache");
    row("cache-hit verify()", { perSecond: Math.round(asyncRate) });
    row("cache-hit verifyCached()", { perSecond: Math.round(syncRate) });

    const warm: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await conn.introspector.introspect(idp.valid);
      warm.push(performance.now() - t0);
    }
    const cold: number[] = [];
    for (let i = 0; i < 15; i++) {
      const fresh = connectIdp(idp.url, { dtls: { psk: { identity: PSK_IDENTITY, key: PSK_KEY } } });
      const t0 = performance.now();
      await fresh.introspector.introspect(idp.valid);
      cold.push(performance.now() - t0);
      fresh.close();
    }
    const tool = requireTool("coap-client-openssl");
    const body = JSON.stringify({ token: idp.valid });
    const libcoap: number[] = [];
    const ourCli: number[] = [];
    for (let i = 0; i < 15; i++) {
      libcoap.push(await runProcess(tool, ["-m", "post", "-t", "50", "-e", body, "-u", PSK_IDENTITY, "-k", PSK_KEY, idp.url]));
      ourCli.push(
        await runProcess(process.execPath, [CLI, "introspect", idp.url, "--token", idp.valid, "--psk-id", PSK_IDENTITY, "--psk", PSK_KEY]),
      );
    }
    const lib = median(libcoap);
    row("introspection, established session (ours, in process)", { medianMs: median(warm), vsLibcoapProcess: median(warm) / lib });
    row("introspection with DTLS handshake (ours, in process)", { medianMs: median(cold), vsLibcoapProcess: median(cold) / lib });
    row("introspection with DTLS handshake (idpgate CLI process)", { medianMs: median(ourCli), vsLibcoapProcess: median(ourCli) / lib });
    row("introspection with DTLS handshake (coap-client-openssl process)", { medianMs: lib, vsLibcoapProcess: 1 });
  } finally {
    conn.close();
    await idp.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`verifier bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
