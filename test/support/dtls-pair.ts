/**
 * Runs two sans-IO DTLS sessions against each other in memory on a virtual clock: the Node wrapper
 * (hosts/node/dtls) and the XS binding (modules/dtls/dtls.ts) share this vocabulary, so one driver serves the
 * suites of both. Runtime-neutral.
 */

/** What a sans-IO DTLS session offers its transport. */
export interface SansIoDtls {
  pollTransmit(): Uint8Array | undefined;
  handleDatagram(bytes: Uint8Array, now: number): void;
  pollTimeout(): number | undefined;
  handleTimeout(now: number): void;
}

/** Moves datagrams both ways until quiet, advancing the clock to the next deadline when idle; returns the time. */
export function runPair(a: SansIoDtls, b: SansIoDtls, start: number, maxSteps = 500): number {
  let now = start;
  for (let i = 0; i < maxSteps; i++) {
    let moved = false;
    for (let d = a.pollTransmit(); d; d = a.pollTransmit()) {
      moved = true;
      b.handleDatagram(d, now);
    }
    for (let d = b.pollTransmit(); d; d = b.pollTransmit()) {
      moved = true;
      a.handleDatagram(d, now);
    }
    if (moved) continue;
    const ta = a.pollTimeout();
    const tb = b.pollTimeout();
    if (ta === undefined && tb === undefined) return now;
    now = Math.max(now, Math.min(ta ?? Infinity, tb ?? Infinity));
    a.handleTimeout(now);
    b.handleTimeout(now);
  }
  return now;
}
