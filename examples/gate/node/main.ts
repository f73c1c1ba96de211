/**
 * The gate on the Node host: `node build/examples/gate/node/main.js --idp URL --idp-psk-id ID --idp-psk KEY
 * --psk-id ID --psk KEY [--port N] [--bind ADDR] [--scope S] [--issuer I] [--cache N]`. Same app logic
 * (../app.ts) and configuration keys (../config.ts) as on XS; Node's dgram, N-API DTLS and timers below.
 * Prints `gate: listening on coaps://ADDR:PORT` once ready; stops on SIGINT/SIGTERM.
 */
import { nodePorts } from "../../../hosts/node/ports.js";
import { TokenVerifier } from "../../../hosts/node/token-verifier.js";
import { DtlsServerSocket } from "../../../hosts/node/dtls/dtls-server-socket.js";
import { Gate } from "../app.js";
import { gateVerifierOptions, readGateConfig } from "../config.js";
import { gateStatsJson } from "../stats.js";

const FLAGS: Record<string, string> = {
  "--idp": "idpUrl",
  "--idp-psk-id": "idpPskId",
  "--idp-psk": "idpPsk",
  "--client-id": "idpClientId",
  "--client-secret": "idpClientSecret",
  "--psk-id": "gatePskId",
  "--psk": "gatePsk",
  "--port": "gatePort",
  "--scope": "scope",
  "--issuer": "issuer",
  "--cache": "cacheEntries",
  "--max-ttl": "maxTtlMs",
};

async function main(argv: readonly string[]): Promise<void> {
  const raw: Record<string, string> = {};
  let bind = "127.0.0.1";
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--bind") bind = value;
    else if (FLAGS[flag] !== undefined) raw[FLAGS[flag]!] = value;
    else throw new Error(`unknown flag ${flag}`);
  }
  const c = readGateConfig(raw);
  const ports = nodePorts();
  const verifier = new TokenVerifier(gateVerifierOptions(c));
  const socket = await DtlsServerSocket.listen({
    port: c.gatePort,
    address: bind,
    psk: { identity: c.gatePskId, key: c.gatePsk },
    log: (line) => console.log(line),
  });
  const stats = (): string => {
    const m = process.memoryUsage();
    return `{"rss":${m.rss},"heapUsed":${m.heapUsed},${gateStatsJson(verifier.stats(), socket.stats())}}`;
  };
  const gate = new Gate({
    link: socket,
    verifier,
    clock: ports.clock,
    timers: ports.timers,
    scope: c.scope,
    log: (line) => console.log(line),
    stats,
    ...(c.issuer === undefined ? {} : { issuer: c.issuer }),
  });
  console.log(`gate: listening on coaps://${bind}:${socket.port} scope ${c.scope}, identity provider ${c.idpUrl}`);
  const stop = (): void => {
    gate.close();
    verifier.close();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(`gate: ${(e as { code?: string }).code ?? ""} ${(e as Error).message}`);
  process.exit(1);
});
