/**
 * Virtual timers on a FakeClock for sans-IO drivers: nothing fires until the test runs time forward.
 */
import type { TimerHandle, Timers } from "../../src/ports.js";
import type { FakeClock } from "./fake-clock.js";

export class FakeTimers implements Timers {
  readonly #pending: { at: number; fn: () => void; live: boolean }[] = [];
  readonly #clock: FakeClock;

  constructor(clock: FakeClock) {
    this.#clock = clock;
  }

  schedule(delayMs: number, callback: () => void): TimerHandle {
    const t = { at: this.#clock.now() + Math.max(0, delayMs), fn: callback, live: true };
    this.#pending.push(t);
    return { cancel: () => void (t.live = false) };
  }

  /** Timers armed and not yet fired or cancelled. */
  get armed(): number {
    return this.#pending.filter((t) => t.live).length;
  }

  /** Fires due timers in time order up to `until` (at most `maxFires`), moving the clock; returns the count. */
  runUntil(until: number, maxFires = 10_000): number {
    let fired = 0;
    for (; fired < maxFires; fired++) {
      let next: { at: number; fn: () => void; live: boolean } | undefined;
      for (const t of this.#pending) if (t.live && (next === undefined || t.at < next.at)) next = t;
      if (next === undefined || next.at > until) break;
      next.live = false;
      this.#clock.set(Math.max(this.#clock.now(), next.at));
      next.fn();
    }
    for (let i = this.#pending.length - 1; i >= 0; i--) if (!this.#pending[i]!.live) this.#pending.splice(i, 1);
    this.#clock.set(Math.max(this.#clock.now(), until));
    return fired;
  }
}
