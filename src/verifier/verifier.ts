/**
 * The on-device token verifier: bounded digest-keyed cache, single flight, rate limits, fail closed.
 *
 * Theory of operation. `verify(token, requirements)`:
 *  1. a token that cannot be introspected (empty, too long) is `malformed`;
 *  2. the token's keyed digest finds a fresh cache entry -> the policy decides on its claims (a hit:
 *     no I/O, no allocation with `verifyCached`). With a native digest that can (`digestFind`) the digest
 *     and the table search are one call, made before the length check of 1. (only a token that passed it
 *     was ever cached). A compiled `Requirement` whose static checks (issuer, audience, subjects, scope)
 *     passed on an entry's claims is remembered by the entry, and those checks are skipped on its next
 *     hits; active, exp and the entry's lifetime are checked on every hit, and a plain object in full;
 *  3. otherwise, if an introspection of the same token is in flight, wait for it (`coalesced`);
 *  4. otherwise take one token from the per-caller and the global bucket (else `rate_limited`) and
 *     introspect; the answer is cached (claims, not the decision) and the policy decides;
 *  5. a failed introspection denies (`idp_unavailable` / `idp_error`), unless stale-if-error is enabled
 *     and an active entry is still within its grace window.
 *
 * Revocation delay: a token revoked at the provider can still be allowed from the cache for up to
 * `maxTtlMs` (default 60 s) after the introspection that cached it (plus `staleIfErrorMs` while the
 * provider is unreachable, when that opt-in is enabled). Lower `maxTtlMs` to see revocations sooner at
 * the price of more introspections. With a synchronised wall clock, entries also end `skewMs` before
 * `exp` and after `ttlFraction` of the remaining lifetime; without one, `active` decides and only the
 * monotonic `maxTtlMs` bounds the cache. Inactive answers are cached `negativeTtlMs`.
 */
import { lastIndexOf } from "../json/_chars.js";
import { ArgumentError, IdpgateError } from "../errors.js";
import { IdpError, MAX_TOKEN_LENGTH, type IntrospectionClaims, type Introspector } from "../idp/index.js";
import type { MonotonicClock, RandomSource, WallClock } from "../ports.js";
import { digestKey, TokenCache } from "./cache.js";
import { SipHashTokenDigest, type TokenDigest } from "./digest.js";
// Strings from policy.ts STRINGS, not literals (no chunk garbage on a hit; one stack slot: see there).
import { checkByteRange } from "./ascii.js";
import { decide, MutableDecision, Requirement, STRINGS as S, type Decision, type DecisionReason, type Requirements } from "./policy.js";
import { KeyedBuckets, TokenBucket, type RateLimit } from "./rate-limit.js";
import { VerifierCounters, type VerifierStats } from "./stats.js";

export const VERIFIER_CACHE_ENTRIES = 32;
export const VERIFIER_MAX_TTL_MS = 60_000;
export const VERIFIER_TTL_FRACTION = 0.5;
export const VERIFIER_NEGATIVE_TTL_MS = 5_000;
export const VERIFIER_SKEW_MS = 5_000;
export const VERIFIER_MAX_IN_FLIGHT = 4;
export const VERIFIER_MAX_CALLERS = 16;
export const VERIFIER_RATE: RateLimit = { perSecond: 2, burst: 10 };
export const VERIFIER_CALLER_RATE: RateLimit = { perSecond: 0.5, burst: 3 };

export interface VerifierOptions {
  /** Turns a token into claims: an IntrospectionClient, or any object with the same method. */
  readonly introspector: Introspector;
  readonly clock: MonotonicClock;
  /** Enforces `exp` when it returns a number; omit or return undefined before time sync. */
  readonly wallClock?: WallClock;
  /** CSPRNG for the cache key; required unless `digest` is given. */
  readonly random?: RandomSource;
  readonly digest?: TokenDigest;
  readonly cacheEntries?: number;
  readonly maxTtlMs?: number;
  readonly ttlFraction?: number;
  readonly negativeTtlMs?: number;
  readonly skewMs?: number;
  /** Opt-in grace after an entry's fresh lifetime while the provider is unreachable; 0 (off) by default. */
  readonly staleIfErrorMs?: number;
  readonly rate?: RateLimit;
  readonly callerRate?: RateLimit;
  readonly maxCallers?: number;
  readonly maxInFlight?: number;
  readonly maxTokenLength?: number;
}

class Flight {
  /** Set by invalidate()/clear() while the introspection runs: its answer then is not cached. */
  cancelled = false;
  result: Promise<IntrospectionClaims | IdpgateError> | undefined = undefined;
  constructor(
    readonly w1: number,
    readonly w2: number,
    readonly w3: number,
  ) {}
}

const NO_REQUIREMENTS: Requirements = {};

export class Verifier {
  readonly #introspector: Introspector;
  readonly #clock: MonotonicClock;
  readonly #wall: WallClock | undefined;
  readonly #digest: TokenDigest;
  /** Whether the digest has digestFind (digest and probe in one native call). */
  readonly #fused: boolean;
  /** Whether the digest has digestFindBytes (verifyCached of bytes in one native call). */
  readonly #fusedBytes: boolean;
  readonly #d = new Uint32Array(4);
  readonly #cache: TokenCache;
  readonly #flights = new Map<number, Flight>();
  readonly #global: TokenBucket;
  readonly #callers: KeyedBuckets;
  readonly #counters = new VerifierCounters();
  readonly #maxTtl: number;
  readonly #fraction: number;
  readonly #negativeTtl: number;
  readonly #skew: number;
  readonly #staleIfError: number;
  readonly #maxInFlight: number;
  readonly #maxTokenLength: number;

  constructor(options: VerifierOptions) {
    this.#introspector = options.introspector;
    this.#clock = options.clock;
    this.#wall = options.wallClock;
    if (options.digest !== undefined) this.#digest = options.digest;
    else if (options.random !== undefined) this.#digest = new SipHashTokenDigest(options.random);
    else throw new ArgumentError("verifier.bad_option", "a RandomSource or a TokenDigest is required");
    this.#fused = typeof this.#digest.digestFind === "function";
    this.#fusedBytes = typeof this.#digest.digestFindBytes === "function";
    this.#cache = new TokenCache(positive(options.cacheEntries ?? VERIFIER_CACHE_ENTRIES, "cacheEntries"));
    this.#maxTtl = positive(options.maxTtlMs ?? VERIFIER_MAX_TTL_MS, "maxTtlMs");
    this.#fraction = options.ttlFraction ?? VERIFIER_TTL_FRACTION;
    if (!(this.#fraction > 0 && this.#fraction <= 1)) throw new ArgumentError("verifier.bad_option", "ttlFraction must be in (0, 1]");
    this.#negativeTtl = Math.min(nonNegative(options.negativeTtlMs ?? VERIFIER_NEGATIVE_TTL_MS, "negativeTtlMs"), this.#maxTtl);
    this.#skew = nonNegative(options.skewMs ?? VERIFIER_SKEW_MS, "skewMs");
    this.#staleIfError = nonNegative(options.staleIfErrorMs ?? 0, "staleIfErrorMs");
    this.#maxInFlight = positive(options.maxInFlight ?? VERIFIER_MAX_IN_FLIGHT, "maxInFlight");
    this.#maxTokenLength = positive(options.maxTokenLength ?? MAX_TOKEN_LENGTH, "maxTokenLength");
    const now = this.#clock.now();
    this.#global = new TokenBucket(options.rate ?? VERIFIER_RATE, now);
    this.#callers = new KeyedBuckets(
      options.callerRate ?? VERIFIER_CALLER_RATE,
      positive(options.maxCallers ?? VERIFIER_MAX_CALLERS, "maxCallers"),
    );
  }

  /**
   * Decides from the cache only, into a decision the caller owns. `token` is the token, or bytes holding its
   * UTF-8 at [start, end) (default: all of them), read in place without a string of it (the gate reads a
   * command's token so: issue 13). A string: true when `out` holds the final decision (a fresh hit, or a
   * malformed token), false on a miss (then call `verify`, which counts the miss). Bytes: true for a fresh hit
   * of a printable-ASCII token only, false for anything else (a miss, another byte, a length out of bounds, a
   * digest without `digestBytes`): then the string path with the decoded token decides it. Either finds the
   * same entry for the same token. RangeError for a range outside the bytes. Allocates nothing.
   */
  verifyCached(token: string | Uint8Array, requirements: Requirements, out: MutableDecision, start?: number, end?: number): boolean {
    const cache = this.#cache;
    const digest = this.#digest;
    let i: number;
    // One method for both, not two around a shared one: a call is ~28 computrons of the 300 a hit may cost.
    if (typeof token === S.string) {
      if (this.#fused) {
        // Probed before the length check: a row exists only for a token that passed it when it was
        // introspected (the bound never changes), so a hit needs none; a miss is checked now.
        i = digest.digestFind!(token as string, this.#d, cache.table, cache.mask);
        if (i < 0) return this.#malformed(token as string, out);
      } else {
        if (this.#malformed(token as string, out)) return true;
        digest.digest(token as string, this.#d);
        i = cache.find(this.#d);
        if (i < 0) return false;
      }
    } else if (token instanceof Uint8Array) {
      const from = start ?? 0;
      const to = end ?? token.length;
      if (this.#fusedBytes) {
        // As for digestFind: only a token that passed the length check was ever cached.
        i = digest.digestFindBytes!(token, from, to, this.#d, cache.table, cache.mask);
      } else {
        // The native call checks the range itself.
        checkByteRange(token, from, to);
        const n = to - from; // ASCII: bytes are characters
        if (!(n > 0 && n <= this.#maxTokenLength) || digest.digestBytes?.(token, from, to, this.#d) !== true) return false;
        i = cache.find(this.#d);
      }
      if (i < 0) return false;
    } else return this.#malformed(token, out);
    if (i !== cache.head) cache.touch(i);
    const now = this.#clock.now();
    if (now >= cache.times[2 * i]!) {
      if (now >= cache.times[2 * i + 1]!) cache.delete(i);
      return false;
    }
    this.#counters.hits++;
    const claims = cache.claims[i]!;
    if (cache.passedBy[cache.passed[i]!] !== requirements) {
      // Not known to pass: the whole policy. A compiled Requirement (never a plain object, which may change)
      // that is allowed on these claims (immutable too) is remembered: its static checks passed.
      decide(claims, requirements, this.#wall?.now(), this.#skew, out).fromCache = true;
      if (out.allowed && requirements instanceof Requirement) cache.remember(i, requirements);
      return true;
    }
    // Known to pass issuer, audience, subjects and scope: what remains of `decide` are its time checks,
    // inlined (a call is ~35 computrons of the 300 a hit may cost, issue 13; test/verifier/memo.fixture.ts
    // holds this to decide's decisions). The wall clock is read only when there is an `exp` to hold it against.
    const exp = claims.exp;
    let reason: DecisionReason = claims.active ? S.ok : S.inactive;
    out.sub = claims.sub;
    out.scopes = claims.scope;
    out.errorCode = undefined;
    out.fromCache = true;
    if (exp === undefined) out.expiresAt = undefined;
    else {
      const at = exp * 1000;
      out.expiresAt = at;
      const wall = this.#wall?.now();
      if (reason === S.ok && wall !== undefined && wall >= at - this.#skew) reason = S.expired;
    }
    out.reason = reason;
    out.allowed = reason === S.ok;
    return true;
  }

  /** Verifies `token` against `requirements`; never rejects for a provider problem (fail closed). */
  async verify(token: string, requirements: Requirements = NO_REQUIREMENTS): Promise<Decision> {
    const out = new MutableDecision();
    if (this.verifyCached(token, requirements, out)) return out;
    // Counted here, not in verifyCached: a caller that tries verifyCached first and then verify (the gate)
    // makes one miss, not two.
    this.#counters.misses++;
    const d = this.#d;
    const key = digestKey(d);
    const w1 = d[1]!;
    const w2 = d[2]!;
    const w3 = d[3]!;
    let flight = this.#flights.get(key);
    if (flight !== undefined && flight.w1 === w1 && flight.w2 === w2 && flight.w3 === w3) {
      this.#counters.coalesced++;
    } else {
      const now = this.#clock.now();
      if (this.#flights.size >= this.#maxInFlight || !this.#takeRate(requirements.callerKey, now)) {
        this.#counters.rateLimited++;
        return out.deny("rate_limited");
      }
      flight = new Flight(w1, w2, w3);
      flight.result = this.#introspect(token, now, flight);
      // Only one flight per key: a colliding different token (astronomically rare) is simply not shared.
      if (!this.#flights.has(key)) this.#flights.set(key, flight);
      const mine = flight;
      void mine.result!.then(() => {
        if (this.#flights.get(key) === mine) this.#flights.delete(key);
      });
    }
    const result = await flight.result!;
    if (!(result instanceof Error)) return decide(result, requirements, this.#wall?.now(), this.#skew, out);
    const unavailable =
      result.code === "idp.unavailable" || (result instanceof IdpError && result.coapCode !== undefined && result.coapCode >> 5 === 5);
    if (unavailable && this.#staleIfError > 0) {
      d[1] = w1;
      d[2] = w2;
      d[3] = w3;
      d[0] = key % 4294967296;
      const i = this.#cache.get(d);
      const claims = i < 0 ? undefined : this.#cache.claims[i];
      if (claims !== undefined && claims.active && this.#clock.now() < this.#cache.times[2 * i + 1]!) {
        this.#counters.staleServed++;
        decide(claims, requirements, this.#wall?.now(), this.#skew, out).fromCache = true;
        return out;
      }
    }
    return out.deny(unavailable ? "idp_unavailable" : "idp_error", result.code);
  }

  /** True, with `out` denied `malformed`, for a token that cannot be introspected (not text, empty, too long). */
  #malformed(token: unknown, out: MutableDecision): boolean {
    // The length as lastIndexOf("") (one call): `token.length` would box the string on XS.
    const n = typeof token === S.string ? lastIndexOf.call(token as string, S.empty) : 0;
    if (n > 0 && n <= this.#maxTokenLength) return false;
    out.deny("malformed");
    return true;
  }

  /** A snapshot of the counters. */
  stats(): VerifierStats {
    return this.#counters.snapshot(this.#cache.size, this.#cache.evictions, this.#flights.size);
  }

  /**
   * Forgets the cached answer of one token, so that its next verification asks the provider: early
   * revocation (a logout, a token reported stolen) without waiting for `maxTtlMs`. True when an entry was
   * dropped. An introspection of that token already in flight still answers its waiting callers, but its
   * answer is not cached.
   */
  invalidate(token: string): boolean {
    if (typeof token !== "string") return false;
    this.#digest.digest(token, this.#d);
    const key = digestKey(this.#d);
    const flight = this.#flights.get(key);
    if (flight !== undefined && flight.w1 === this.#d[1] && flight.w2 === this.#d[2] && flight.w3 === this.#d[3]) {
      flight.cancelled = true;
    }
    const i = this.#cache.get(this.#d);
    if (i < 0) return false;
    this.#cache.delete(i);
    return true;
  }

  /** Forgets every cached answer (e.g. after a key rotation at the provider), in-flight answers included. */
  clear(): void {
    for (const flight of this.#flights.values()) flight.cancelled = true;
    this.#cache.clear();
  }

  #takeRate(callerKey: string | undefined, now: number): boolean {
    if (this.#global.available(now) < 1) return false;
    if (callerKey !== undefined) {
      const bucket = this.#callers.bucket(callerKey, now);
      if (bucket === undefined || !bucket.take(now)) return false;
    }
    return this.#global.take(now);
  }

  async #introspect(token: string, started: number, flight: Flight): Promise<IntrospectionClaims | IdpgateError> {
    this.#counters.introspections++;
    // The digest scratch is shared by every call: keep this call's own copy across the await.
    // (`Uint32Array.from` would walk an iterator: more XS stack than a device can spare this deep.)
    const d = new Uint32Array(4);
    d.set(this.#d);
    try {
      // Start the exchange in a fresh promise job: the CoAP/DTLS send path then runs on a shallow stack,
      // not on top of the caller's (an ESP32 XS stack is 512 slots).
      await undefined;
      const claims = await this.#introspector.introspect(token);
      if (!flight.cancelled) this.#store(d, claims, started);
      return claims;
    } catch (error) {
      const typed =
        error instanceof IdpgateError
          ? error
          : new IdpgateError("verifier.introspector_failed", "internal", "the introspector threw an untyped error", { cause: error });
      this.#counters.error(typed.code);
      return typed;
    }
  }

  #store(d: Uint32Array, claims: IntrospectionClaims, started: number): number {
    // Cached claims never change (the memo of static checks relies on it): frozen, their audience list too.
    if (typeof claims.aud === "object") Object.freeze(claims.aud);
    Object.freeze(claims);
    let ttl = claims.active ? this.#maxTtl : this.#negativeTtl;
    const wall = this.#wall?.now();
    if (claims.active && wall !== undefined && claims.exp !== undefined) {
      const remaining = claims.exp * 1000 - wall;
      ttl = Math.min(ttl, remaining - this.#skew, this.#fraction * remaining);
    }
    // Expired (or within the skew of it) by our clock: keep the claims briefly anyway, so that retries
    // of that token are answered "expired" from the cache instead of hammering the provider.
    if (!(ttl > 0)) ttl = this.#negativeTtl;
    if (!(ttl > 0)) return -1;
    const freshUntil = started + ttl;
    return this.#cache.put(d, claims, freshUntil, claims.active ? freshUntil + this.#staleIfError : freshUntil);
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0)) throw new ArgumentError("verifier.bad_option", `${name} must be positive`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!(value >= 0)) throw new ArgumentError("verifier.bad_option", `${name} must not be negative`);
  return value;
}
