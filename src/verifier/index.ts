/**
 * `idpgate/verifier`: the on-device token verifier (cache, policy, single flight, rate limits, fail
 * closed). See `Verifier` for the theory of operation and the revocation delay.
 */
export {
  Verifier,
  VERIFIER_CACHE_ENTRIES,
  VERIFIER_CALLER_RATE,
  VERIFIER_MAX_CALLERS,
  VERIFIER_MAX_IN_FLIGHT,
  VERIFIER_MAX_TTL_MS,
  VERIFIER_NEGATIVE_TTL_MS,
  VERIFIER_RATE,
  VERIFIER_SKEW_MS,
  VERIFIER_TTL_FRACTION,
  type VerifierOptions,
} from "./verifier.js";
export { decide, MutableDecision, Requirement, type Decision, type DecisionReason, type Requirements } from "./policy.js";
export { SipHashTokenDigest, type TokenDigest } from "./digest.js";
export { isPrintableAscii } from "./ascii.js";
export { SipHash128 } from "./siphash.js";
export { TokenCache, digestKey } from "./cache.js";
export { KeyedBuckets, TokenBucket, type RateLimit } from "./rate-limit.js";
export type { VerifierStats } from "./stats.js";
export {
  TokenVerifier as TokenVerifierCore,
  type TokenVerifierHost,
  type TokenVerifierOptions,
  type TokenVerifierCacheOptions,
  type TokenVerifierTrace,
  type PskCredentials,
} from "./token-verifier.js";
