// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- Native()/native() are ambient globals on XS
/// <reference path="../../modules/dtls/native.d.ts" />
/**
 * Moddable implementations of the ports in src/ports.ts: timers from `timer`, a monotonic clock from
 * `Time.ticks`, a wall clock that is unknown until the board's clock is set, and a CSPRNG (random.c).
 * Nothing here holds state at module level (modules may be preloaded into flash): every object is made by
 * `devicePorts()` or a constructor at run time.
 *
 * Wall-clock synchronisation: a board's clock starts at the epoch (1970) and becomes wall time once SNTP or
 * `Time.set()` sets it. `DeviceWallClock.now()` therefore answers `Date.now()` only once it has passed a
 * floor (`WALL_CLOCK_FLOOR_MS`, a date before this build; configurable), or after `markSynced()` (a board
 * with a battery-backed RTC known to be right), and `undefined` before: the verifier then lets `active`
 * decide and bounds its cache by the monotonic clock only.
 *
 * @example
 * ```ts
 * const ports = devicePorts();
 * const client = new CoapClient(link, ports);
 * ```
 */
import Timer from "timer";
import Time from "time";
import type { MonotonicClock, RandomSource, TimerHandle, Timers, WallClock } from "../../src/ports.js";

/** 2025-01-01T00:00:00Z: a board whose clock reads earlier has not been set. */
export const WALL_CLOCK_FLOOR_MS = 1_735_689_600_000;
const TICKS_WRAP = 4_294_967_296;

/**
 * `Time.ticks` made monotonic over its 32-bit wrap (about 49.7 days on ESP32): a step backwards by more
 * than half the range is taken as a wrap.
 */
export class TicksClock implements MonotonicClock {
  #last = -1;
  #base = 0;

  now(): number {
    const t = Time.ticks;
    if (this.#last >= 0 && t < this.#last - TICKS_WRAP / 2) this.#base += TICKS_WRAP;
    this.#last = t;
    return this.#base + t;
  }
}

export interface DeviceWallClockOptions {
  /** Unix ms below which the board's clock counts as not set (default WALL_CLOCK_FLOOR_MS). */
  readonly floorMs?: number;
}

export class DeviceWallClock implements WallClock {
  readonly #floor: number;
  #synced = false;

  constructor(options: DeviceWallClockOptions = {}) {
    this.#floor = options.floorMs ?? WALL_CLOCK_FLOOR_MS;
  }

  /** Declares the clock right whatever it reads (RTC with a known-good time). */
  markSynced(): void {
    this.#synced = true;
  }

  get synced(): boolean {
    return this.#synced || Date.now() >= this.#floor;
  }

  now(): number | undefined {
    const t = Date.now();
    return this.#synced || t >= this.#floor ? t : undefined;
  }
}

/** Secure random bytes from the platform (hosts/moddable/random.c). */
export class NativeRandom implements RandomSource {
  fill(bytes: Uint8Array): void {
    native("xs_idpgate_random_fill")(bytes);
  }
}

class DeviceTimer implements TimerHandle {
  #id: Timer | undefined;

  constructor(delayMs: number, callback: () => void) {
    this.#id = Timer.set(
      () => {
        this.#id = undefined; // fired: a one-shot timer is gone, never clear it again
        callback();
      },
      Math.max(0, Math.ceil(delayMs)),
    );
  }

  cancel(): void {
    const id = this.#id;
    if (id === undefined) return;
    this.#id = undefined;
    Timer.clear(id);
  }
}

export class DeviceTimers implements Timers {
  schedule(delayMs: number, callback: () => void): TimerHandle {
    return new DeviceTimer(delayMs, callback);
  }
}

export interface DevicePorts {
  readonly clock: MonotonicClock;
  readonly wall: DeviceWallClock;
  readonly random: RandomSource;
  readonly timers: Timers;
}

/** Everything a CoapClient and a Verifier need on a device, the simulator or the XS test host. */
export function devicePorts(options: DeviceWallClockOptions = {}): DevicePorts {
  return { clock: new TicksClock(), wall: new DeviceWallClock(options), random: new NativeRandom(), timers: new DeviceTimers() };
}
