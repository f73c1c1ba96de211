/**
 * "200 cache hits allocate no slot and retain nothing", on the XS engine's heap counters: shared by
 * cache-hit-memory.xs.test.ts (SipHash, plain requirements) and native-probe.xs.test.ts (the fused native
 * probe, a compiled Requirement). The XS host's functions are passed in: only XS suites load them.
 */
import { assert } from "../harness/index.js";
import type { XsMemory } from "../../hosts/xs/js/host.js";

export interface XsHeap {
  gc(): void;
  memory(into?: XsMemory): XsMemory;
  resetPeaks(): void;
}

/**
 * Runs `hit` 200 times after the caller's warm-up; each must return true. With `noChunks`, the chunk heap's peak
 * must not grow either (no transient garbage at all), beyond measuring's own.
 */
export function assertHitsAllocateNothing(heap: XsHeap, hit: () => boolean, noChunks = false): void {
  const { gc, memory, resetPeaks } = heap;
  // Two records allocated up front: reading the heap must not itself show up as growth.
  const before = memory();
  const after = memory();
  // The slot-peak growth of measuring itself (an empty loop between the two memory() reads).
  gc();
  resetPeaks();
  memory(before);
  let x = 0;
  for (let i = 0; i < 200; i++) x += i;
  memory(after);
  assert.equal(x, 19_900);
  const measuring = after.slotsPeak - before.slotsPeak;
  const measuringChunks = after.chunksPeak - before.chunksPeak;
  gc();
  resetPeaks();
  memory(before); // peaks start from here
  let hits = 0;
  for (let i = 0; i < 200; i++) if (hit()) hits++;
  memory(after);
  assert.equal(hits, 200);
  assert.equal(after.slotsPeak - before.slotsPeak, measuring, "slot heap peak growth during the hits: none beyond measuring's own");
  // Without `noChunks` chunks are not asserted here: such a hit leaves transient chunk garbage (a string literal
  // is copied into a chunk each time it runs on XS), collected later and never retained (below).
  if (noChunks)
    assert.ok(
      after.chunksPeak - before.chunksPeak <= measuringChunks,
      `chunk heap peak growth during the hits (${after.chunksPeak - before.chunksPeak} B): none beyond measuring's own (${measuringChunks} B)`,
    );
  // What a collection frees, a second one started by the same garbage may not: compare settled heaps, and
  // count less afterwards (garbage from before the first reading) as nothing retained.
  gc();
  memory(after);
  assert.ok(after.slots - before.slots <= 0, `slots retained (${after.slots - before.slots})`);
  assert.ok(after.chunks - before.chunks <= 0, `chunk bytes retained (${after.chunks - before.chunks})`);
}
