/**
 * Token buckets for introspection (RFC 9200 section 5.9: rate-limit introspection per peer and
 * globally). `now` is the monotonic clock in milliseconds, always passed in.
 */
export interface RateLimit {
  /** Sustained introspections per second. */
  readonly perSecond: number;
  /** Largest burst. */
  readonly burst: number;
}

export class TokenBucket {
  #tokens: number;
  #last: number;
  constructor(
    readonly limit: RateLimit,
    now: number,
  ) {
    this.#tokens = limit.burst;
    this.#last = now;
  }

  /** Tokens available at `now` (refills first). */
  available(now: number): number {
    if (now > this.#last) {
      this.#tokens = Math.min(this.limit.burst, this.#tokens + ((now - this.#last) * this.limit.perSecond) / 1000);
      this.#last = now;
    }
    return this.#tokens;
  }

  take(now: number): boolean {
    if (this.available(now) < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Back to a full bucket (reuse for another key). */
  refill(now: number): void {
    this.#tokens = this.limit.burst;
    this.#last = now;
  }
}

/**
 * Per-key buckets, at most `maxKeys` of them. A new key takes the place of a bucket that is full again
 * (forgetting it loses nothing); when every bucket is still draining, new keys are refused: a flood of
 * fresh caller keys can neither grow memory nor reset anyone's limit.
 */
export class KeyedBuckets {
  readonly #buckets = new Map<string, TokenBucket>();
  constructor(
    readonly limit: RateLimit,
    readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.#buckets.size;
  }

  /** The bucket of `key`, or undefined when none can be given (table full of draining buckets). */
  bucket(key: string, now: number): TokenBucket | undefined {
    const found = this.#buckets.get(key);
    if (found !== undefined) return found;
    if (this.#buckets.size < this.maxKeys) {
      const fresh = new TokenBucket(this.limit, now);
      this.#buckets.set(key, fresh);
      return fresh;
    }
    for (const [k, b] of this.#buckets) {
      if (b.available(now) >= this.limit.burst) {
        this.#buckets.delete(k);
        b.refill(now);
        this.#buckets.set(key, b);
        return b;
      }
    }
    return undefined;
  }
}
