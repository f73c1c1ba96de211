/** A seeded, deterministic RandomSource for benchmarks (an LCG: reproducible rows, not for keys). */
export function seededRandom(seed: number): { fill(bytes: Uint8Array): void } {
  let state = seed >>> 0;
  return {
    fill(bytes: Uint8Array): void {
      for (let i = 0; i < bytes.length; i++) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        bytes[i] = state >>> 24;
      }
    },
  };
}
