/**
 * One host timer for a sans-IO core's next deadline (`pollTimeout()`): every driver (the CoAP client,
 * the device DTLS links, the gate) asks for "wake me at `at`" after each step; re-asking for the same
 * deadline costs nothing, a new one replaces the old, `undefined` cancels.
 */
import type { MonotonicClock, TimerHandle, Timers } from "../ports.js";

export class DeadlineTimer {
  readonly #timers: Timers;
  readonly #clock: MonotonicClock;
  readonly #onDue: () => void;
  #handle: TimerHandle | undefined;
  #at: number | undefined;

  constructor(timers: Timers, clock: MonotonicClock, onDue: () => void) {
    this.#timers = timers;
    this.#clock = clock;
    this.#onDue = onDue;
  }

  /** Arranges one call of `onDue` at monotonic time `at` (ms); `undefined` cancels. */
  set(at: number | undefined): void {
    if (at === this.#at) return;
    this.cancel();
    if (at === undefined) return;
    this.#at = at;
    this.#handle = this.#timers.schedule(Math.max(0, at - this.#clock.now()), () => {
      this.#handle = undefined;
      this.#at = undefined;
      this.#onDue();
    });
  }

  cancel(): void {
    this.#handle?.cancel();
    this.#handle = undefined;
    this.#at = undefined;
  }
}
