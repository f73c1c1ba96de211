/**
 * A virtual monotonic clock for sans-IO tests: time moves only when the test says so.
 */
export class FakeClock {
  #now: number;

  constructor(start = 0) {
    this.#now = start;
  }

  /** Milliseconds on the virtual monotonic clock. */
  now(): number {
    return this.#now;
  }

  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError("time only moves forward");
    this.#now += ms;
    return this.#now;
  }

  set(ms: number): number {
    if (ms < this.#now) throw new RangeError("time only moves forward");
    this.#now = ms;
    return this.#now;
  }
}
