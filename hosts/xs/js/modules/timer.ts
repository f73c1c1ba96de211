// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- Native()/native() are ambient globals on XS
/// <reference path="../../../../modules/dtls/native.d.ts" />
/**
 * Moddable's `timer` module on the XS test host (modules/base/timer/timer.js); C in
 * hosts/xs/c/host_timer.c. Timers run from the host's event loop, on its monotonic clock.
 *
 * @example
 * ```ts
 * import Timer from "timer";
 * const t = Timer.set((t) => print("once"), 100);
 * Timer.clear(t);
 * ```
 */
export type TimerCallback = (timer: TimerId) => void;
/** An opaque timer object. */
export interface TimerId {
  readonly __timer?: never;
}

class Timer {
  static set(callback: TimerCallback, delay?: number, repeat?: number): TimerId {
    return native("xs_timer_set").call(this, callback, delay, repeat) as TimerId;
  }
  static repeat(callback: TimerCallback, interval: number): TimerId {
    return native("xs_timer_repeat").call(this, callback, interval) as TimerId;
  }
  static schedule(timer: TimerId, delay?: number, repeat?: number): void {
    native("xs_timer_schedule").call(this, timer, delay, repeat);
  }
  static clear(timer: TimerId | undefined | null): void {
    native("xs_timer_clear").call(this, timer);
  }
  static delay(milliseconds: number): void {
    native("xs_timer_delay").call(this, milliseconds);
  }
}
Object.freeze(Timer);

export default Timer;
