/**
 * The members of the gate's GET /stats that are the same on every host: the verifier's counters and the DTLS
 * server's (peers held, peers evicted for a newcomer, newcomers refused, failed sessions, refusal log lines).
 * Each start-up adds its own memory figures in front.
 */
import type { DtlsServerStats } from "../../src/link/dtls-server-driver.js";
import type { VerifierStats } from "../../src/verifier/index.js";

export function gateStatsJson(v: VerifierStats, d: DtlsServerStats): string {
  return `"hits":${v.hits},"misses":${v.misses},"introspections":${v.introspections},"rateLimited":${v.rateLimited},"cacheSize":${v.cacheSize},"sessions":${d.sessions},"evicted":${d.evicted},"refused":${d.refused},"failed":${d.failed},"refusalLines":${d.logLines}`;
}
