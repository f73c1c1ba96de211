/**
 * How XS benchmarks measure: one warm-up run (first-use costs such as property keys and lazily built
 * tables are not steady state), a full collection, then one measured run: computrons (XS metering,
 * deterministic) and the slots and chunk bytes allocated (peak minus start, garbage included). The cost
 * of the measuring calls themselves is measured once and subtracted.
 */
import { gc, memory, meter, print, resetMeter, resetPeaks, type XsMemory } from "../../hosts/xs/js/host.js";

export interface Row {
  readonly computrons: number;
  readonly slots: number;
  readonly chunkBytes: number;
}

const start: XsMemory = memory();
const end: XsMemory = memory();

export function measure<T>(input: T, operation: (input: T) => unknown): Row {
  operation(input);
  gc();
  memory(start);
  resetPeaks();
  resetMeter();
  operation(input);
  const computrons = meter();
  memory(end);
  return { computrons, slots: end.slotsPeak - start.slots, chunkBytes: end.chunksPeak - start.chunks };
}

function empty(): void {}

const overhead = measure(undefined, empty);

/** Prints one BENCH row (see docs/CONVENTIONS.md) with the measuring overhead taken off. */
export function report(section: string, name: string, row: Row, extra: Record<string, number | string> = {}): void {
  const line = {
    section,
    name,
    computrons: row.computrons - overhead.computrons,
    slots: row.slots - overhead.slots,
    chunkBytes: row.chunkBytes - overhead.chunkBytes,
    ...extra,
  };
  print(`BENCH ${JSON.stringify(line)}`);
}
