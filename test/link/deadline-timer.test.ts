import { test, assert, FakeClock } from "../harness/index.js";
import { DeadlineTimer } from "../../src/link/deadline-timer.js";
import type { TimerHandle, Timers } from "../../src/ports.js";

/** Fake timers on a FakeClock: `run()` fires what is due. */
class FakeTimers implements Timers {
  readonly pending: { at: number; fn: () => void; cancelled: boolean }[] = [];
  scheduled = 0;
  constructor(readonly clock: FakeClock) {}
  schedule(delayMs: number, fn: () => void): TimerHandle {
    const t = { at: this.clock.now() + delayMs, fn, cancelled: false };
    this.scheduled++;
    this.pending.push(t);
    return { cancel: () => (t.cancelled = true) };
  }
  run(): void {
    for (const t of this.pending.splice(0)) {
      if (t.cancelled) continue;
      if (t.at <= this.clock.now()) t.fn();
      else this.pending.push(t);
    }
  }
}

test("DeadlineTimer keeps one host timer for the latest deadline and fires once", () => {
  const clock = new FakeClock(1000);
  const timers = new FakeTimers(clock);
  let fired = 0;
  const d = new DeadlineTimer(timers, clock, () => fired++);
  d.set(1500);
  d.set(1500); // same deadline: no new timer
  assert.equal(timers.scheduled, 1);
  d.set(1200); // moved: the old one is cancelled
  assert.equal(timers.scheduled, 2);
  clock.set(1199);
  timers.run();
  assert.equal(fired, 0);
  clock.set(1500);
  timers.run();
  assert.equal(fired, 1, "only the current deadline fires");
  d.set(1500); // after firing, the same time arms again
  assert.equal(timers.scheduled, 3);
  d.set(undefined);
  clock.advance(1000);
  timers.run();
  assert.equal(fired, 1, "undefined cancels");
  d.set(2600);
  d.cancel();
  clock.advance(1000);
  timers.run();
  assert.equal(fired, 1, "cancel cancels");
});

test("DeadlineTimer: a deadline moved later keeps the armed timer and re-arms when it fires, never calling early", () => {
  const clock = new FakeClock(1000);
  const timers = new FakeTimers(clock);
  let fired = 0;
  const d = new DeadlineTimer(timers, clock, () => fired++);
  d.set(1200);
  for (let at = 1210; at <= 1400; at += 10) d.set(at); // an idle timeout pushed on by every datagram
  assert.equal(timers.scheduled, 1, "no timer per later deadline");
  clock.set(1200);
  timers.run();
  assert.equal(fired, 0, "the old time came: not due yet");
  assert.equal(timers.scheduled, 2, "re-armed once, for the rest");
  clock.set(1399);
  timers.run();
  assert.equal(fired, 0);
  clock.set(1400);
  timers.run();
  assert.equal(fired, 1);
  d.set(1600);
  d.set(1700);
  d.set(1500); // earlier than the one armed: a timer of its own
  assert.equal(timers.scheduled, 4);
  clock.set(1500);
  timers.run();
  assert.equal(fired, 2, "the earlier deadline fires at its time");
  clock.advance(1000);
  timers.run();
  assert.equal(fired, 2, "and only once");
});
