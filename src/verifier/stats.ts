/** Counters of a Verifier: plain numbers, incremented in place (no allocation on the hot path). */
export interface VerifierStats {
  readonly hits: number;
  readonly misses: number;
  readonly coalesced: number;
  readonly introspections: number;
  readonly rateLimited: number;
  readonly staleServed: number;
  readonly evictions: number;
  readonly cacheSize: number;
  readonly inFlight: number;
  /** Failed introspections by error code (`idp.unavailable`, `idp.unauthorized`, ...). */
  readonly errors: Readonly<Record<string, number>>;
}

export class VerifierCounters {
  hits = 0;
  misses = 0;
  coalesced = 0;
  introspections = 0;
  rateLimited = 0;
  staleServed = 0;
  readonly #errors = new Map<string, number>();

  error(code: string): void {
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1);
  }

  snapshot(cacheSize: number, evictions: number, inFlight: number): VerifierStats {
    const errors: Record<string, number> = {};
    for (const [code, n] of this.#errors) errors[code] = n;
    return {
      hits: this.hits,
      misses: this.misses,
      coalesced: this.coalesced,
      introspections: this.introspections,
      rateLimited: this.rateLimited,
      staleServed: this.staleServed,
      evictions,
      cacheSize,
      inFlight,
      errors,
    };
  }
}
