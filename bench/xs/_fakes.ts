/** Test doubles shared by the XS benchmarks: a seeded RandomSource, a settable clock, inert timers, a link. */
import type { DatagramLink, Endpoint } from "../../src/ports.js";

/** A seeded, deterministic RandomSource (an LCG: reproducible rows, not for keys). */
export function seededRandom(seed: number): { fill(bytes: Uint8Array): void } {
  let state = seed >>> 0;
  return {
    fill(bytes: Uint8Array): void {
      for (let i = 0; i < bytes.length; i++) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        bytes[i] = state >>> 24;
      }
    },
  };
}

/** A monotonic clock the bench moves by hand (`clock.t`). */
export const clock = { t: 0, now: (): number => clock.t };

/** Timers that never fire: the benches drive timeouts themselves, if at all. */
export const timers = { schedule: (): { cancel(): void } => ({ cancel(): void {} }) };

/** A DatagramLink that counts what is sent and lets the bench deliver datagrams to the receiver. */
export class FakeLink implements DatagramLink {
  readonly maxDatagramSize = 1152;
  receiver: ((data: Uint8Array, from: Endpoint) => void) | undefined;
  sent = 0;
  send(): void {
    this.sent++;
  }
  onDatagram(r: (data: Uint8Array, from: Endpoint) => void): void {
    this.receiver = r;
  }
  onError(): void {}
  close(): void {}
}
