/**
 * Node implementations of the ports in src/ports.ts: monotonic clock (performance.now), wall clock,
 * CSPRNG (crypto.randomFillSync) and timers (setTimeout).
 */
import { randomFillSync } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { MonotonicClock, RandomSource, TimerHandle, Timers, WallClock } from "../../src/ports.js";

export const nodeMonotonicClock: MonotonicClock = { now: () => performance.now() };

export const nodeWallClock: WallClock = { now: () => Date.now() };

export const nodeRandom: RandomSource = {
  fill(bytes: Uint8Array): void {
    randomFillSync(bytes);
  },
};

export const nodeTimers: Timers = {
  schedule(delayMs: number, callback: () => void): TimerHandle {
    const t = setTimeout(callback, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(t) };
  },
};

/** nodeTimers whose timers do not keep the process alive (a server's housekeeping: its socket does). */
export const nodeUnrefTimers: Timers = {
  schedule(delayMs: number, callback: () => void): TimerHandle {
    const t = setTimeout(callback, Math.max(0, delayMs));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** Everything a CoapClient needs on Node. */
export function nodePorts(): { clock: MonotonicClock; wall: WallClock; random: RandomSource; timers: Timers } {
  return { clock: nodeMonotonicClock, wall: nodeWallClock, random: nodeRandom, timers: nodeTimers };
}
