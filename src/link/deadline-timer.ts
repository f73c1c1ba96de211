/**
 * One host timer for a sans-IO core's next deadline (`pollTimeout()`): every driver (the CoAP client,
 * the device DTLS links, the gate) asks for "wake me at `at`" after each step; re-asking for the same
 * deadline costs nothing, an earlier one replaces the timer, `undefined` cancels. A later one keeps the timer
 * armed and moves the wanted time: when it fires early it re-arms for the rest instead of calling `onDue`. A
 * deadline that moves later at every datagram (an idle timeout) so costs no timer and no closure a datagram
 * (issue 13), only a re-arm when the old time comes.
 */
import type { MonotonicClock, TimerHandle, Timers } from "../ports.js";

export class DeadlineTimer {
  readonly #timers: Timers;
  readonly #clock: MonotonicClock;
  readonly #onDue: () => void;
  #handle: TimerHandle | undefined;
  /** When the armed timer fires. */
  #armedAt: number | undefined;
  /** When `onDue` is wanted (at or after #armedAt while armed). */
  #at: number | undefined;
  /** Bound once: the armed timer's callback. */
  readonly #fire = (): void => {
    this.#handle = undefined;
    this.#armedAt = undefined;
    const at = this.#at;
    if (at === undefined) return;
    const now = this.#clock.now();
    if (at > now) return this.#arm(at, now); // moved later since it was armed
    this.#at = undefined;
    this.#onDue();
  };

  constructor(timers: Timers, clock: MonotonicClock, onDue: () => void) {
    this.#timers = timers;
    this.#clock = clock;
    this.#onDue = onDue;
  }

  /** Arranges one call of `onDue` at monotonic time `at` (ms), not before; `undefined` cancels. */
  set(at: number | undefined): void {
    if (at === this.#at) return;
    if (at === undefined) return this.cancel();
    this.#at = at;
    if (this.#armedAt !== undefined && this.#armedAt <= at) return; // fires first, then re-arms for the rest
    this.#handle?.cancel();
    this.#arm(at, this.#clock.now());
  }

  cancel(): void {
    this.#handle?.cancel();
    this.#handle = undefined;
    this.#armedAt = undefined;
    this.#at = undefined;
  }

  #arm(at: number, now: number): void {
    this.#armedAt = at;
    this.#handle = this.#timers.schedule(Math.max(0, at - now), this.#fire);
  }
}
