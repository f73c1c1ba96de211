// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- Native()/native() are ambient globals on XS
/// <reference path="../../../../modules/dtls/native.d.ts" />
/**
 * Moddable's `time` module on the XS test host (modules/base/time); C in hosts/xs/c/host_timer.c.
 * `ticks` is the host's monotonic millisecond clock. `set` is accepted but leaves the wall clock
 * (the system's) as it is; `timezone` and `dst` are 0.
 */
const Time = {
  get ticks(): number {
    return native("xs_time_ticks")() as number;
  },
  get microseconds(): number {
    return native("xs_time_microseconds")() as number;
  },
  delta(start: number, end?: number): number {
    return (end ?? (native("xs_time_ticks")() as number)) - start;
  },
  set(seconds: number): void {
    native("xs_time_set")(seconds);
  },
  timezone: 0,
  dst: 0,
};
Object.freeze(Time);

export default Time;
