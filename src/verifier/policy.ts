/**
 * Decisions and the policy that checks claims against a caller's requirements. The policy runs on
 * every verification, cached or not: the cache holds claims, never decisions.
 */
import { spaceListContains, type IntrospectionClaims } from "../idp/index.js";

/**
 * Why a verification allowed or denied:
 * - `ok`: allowed;
 * - `inactive`: the provider says the token is not valid (unknown, expired, revoked);
 * - `expired`: `exp` has passed by our synchronised wall clock (minus the configured skew);
 * - `scope`, `issuer`, `audience`, `subject`: a requirement of this call is not met;
 * - `idp_unavailable`: the provider could not be reached or failed (5.xx); fail closed;
 * - `idp_error`: the provider answered something we cannot use (4.xx, malformed); fail closed;
 * - `rate_limited`: introspection refused by a rate limit or the in-flight bound; fail closed;
 * - `malformed`: the token itself cannot be sent (empty, too long, not Unicode text).
 */
export type DecisionReason =
  | "ok"
  | "inactive"
  | "expired"
  | "scope"
  | "issuer"
  | "audience"
  | "subject"
  | "idp_unavailable"
  | "idp_error"
  | "rate_limited"
  | "malformed";

export interface Decision {
  readonly allowed: boolean;
  readonly reason: DecisionReason;
  /** The token's subject, when the provider named one. */
  readonly sub: string | undefined;
  /** The granted scopes, space-separated as the provider sent them (not split, to avoid allocation). */
  readonly scopes: string | undefined;
  /** `exp` in milliseconds since the Unix epoch, when the provider sent one. */
  readonly expiresAt: number | undefined;
  /** True when no introspection was made for this call (cache hit or stale-if-error). */
  readonly fromCache: boolean;
  /** For `idp_*` reasons: the IdpError code (`idp.unavailable`, ...). */
  readonly errorCode: string | undefined;
}

/** A decision the caller owns and the verifier fills (`verifyCached`): no allocation per call. */
export class MutableDecision implements Decision {
  allowed = false;
  reason: DecisionReason = "malformed";
  sub: string | undefined = undefined;
  scopes: string | undefined = undefined;
  expiresAt: number | undefined = undefined;
  fromCache = false;
  errorCode: string | undefined = undefined;

  /** Sets a denial with no claims. */
  deny(reason: DecisionReason, errorCode?: string): this {
    this.allowed = false;
    this.reason = reason;
    this.sub = undefined;
    this.scopes = undefined;
    this.expiresAt = undefined;
    this.fromCache = false;
    this.errorCode = errorCode;
    return this;
  }
}

/** What a verification requires; a key absent or undefined requires nothing. */
export interface Requirements {
  /** Scope(s) the token must grant; with several, all of them. */
  readonly scope?: string | readonly string[] | undefined;
  /** Exact `iss` the token must carry. */
  readonly issuer?: string | undefined;
  /** A value the token's `aud` (a string or a list) must contain (RFC 7662 section 2.2). */
  readonly audience?: string | undefined;
  /** Accepted subjects (`sub`), one or a list. */
  readonly subjects?: string | readonly string[] | undefined;
  /** Who asks (a peer address, a client id): the key of the per-caller introspection rate limit. */
  readonly callerKey?: string | undefined;
}

/**
 * Requirements compiled once: a frozen copy (a list of scopes or subjects copied and frozen too), so that
 * nobody can change it after the fact. Because it cannot change and a cache row's claims cannot either, a
 * row may remember that this requirement's static checks (issuer, audience, subjects, scope) passed on its
 * claims and skip them on the next hit; the time checks (active, exp with the skew, the row's TTL) still
 * run on every hit. A plain `Requirements` object is checked in full on every call: it may have been
 * mutated since. Make one per distinct set of requirements, once (at start-up, per caller), not per call.
 */
export class Requirement implements Requirements {
  readonly scope: string | readonly string[] | undefined;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  readonly subjects: string | readonly string[] | undefined;
  readonly callerKey: string | undefined;

  constructor(r: Requirements) {
    this.scope = frozenCopy(r.scope);
    this.issuer = r.issuer;
    this.audience = r.audience;
    this.subjects = frozenCopy(r.subjects);
    this.callerKey = r.callerKey;
    Object.freeze(this);
  }

  /** `r` itself when it is compiled already, else `new Requirement(r)`. */
  static of(r: Requirements): Requirement {
    return r instanceof Requirement ? r : new Requirement(r);
  }

  /** A new Requirement: this one with every key `over` sets replacing this one's (as TokenVerifier merges). */
  with(over: Requirements): Requirement {
    return new Requirement(overlay(this, over));
  }
}

/** `over` replacing `base` key by key where it sets one (TokenVerifier's merge of a call's requirements). */
export function overlay(base: Requirements, over: Requirements): Requirements {
  return {
    scope: over.scope ?? base.scope,
    issuer: over.issuer ?? base.issuer,
    audience: over.audience ?? base.audience,
    subjects: over.subjects ?? base.subjects,
    callerKey: over.callerKey ?? base.callerKey,
  };
}

function frozenCopy(v: string | readonly string[] | undefined): string | readonly string[] | undefined {
  return v === undefined || typeof v === "string" ? v : Object.freeze(v.slice());
}

/**
 * The strings the policy and the verifier's hit path hand out or compare with, in one frozen module object
 * rather than as literals: on XS a string literal in a function is copied into a fresh 24-byte chunk each time
 * it runs (XS_CODE_STRING), garbage a cache hit should not make. One object, not a constant each: every module
 * binding a function uses is one more slot on the caller's stack (512 slots on a device).
 */
export const STRINGS = Object.freeze({
  string: "string",
  empty: "",
  ok: "ok",
  inactive: "inactive",
  expired: "expired",
  issuer: "issuer",
  audience: "audience",
  subject: "subject",
  scope: "scope",
} as const);

function oneOf(value: string | undefined, accepted: string | readonly string[]): boolean {
  if (value === undefined) return false;
  if (typeof accepted === STRINGS.string) return value === accepted;
  for (let i = 0; i < accepted.length; i++) if (accepted[i] === value) return true;
  return false;
}

/**
 * Checks claims against requirements and fills `out`. `wallNow` is Unix milliseconds or undefined
 * when the clock is not synchronised (then `active` alone decides). A token counts as expired once
 * `wallNow >= exp*1000 - skewMs`: the skew makes us deny early rather than allow late. (Verifier.verifyCached
 * repeats the time checks inline for a hit whose static checks it remembers passed; test/verifier/memo.fixture.ts
 * holds the two to the same decisions.)
 */
export function decide(
  claims: IntrospectionClaims,
  req: Requirements,
  wallNow: number | undefined,
  skewMs: number,
  out: MutableDecision,
): MutableDecision {
  out.sub = claims.sub;
  out.scopes = claims.scope;
  out.expiresAt = claims.exp === undefined ? undefined : claims.exp * 1000;
  out.errorCode = undefined;
  out.allowed = false;
  if (!claims.active) out.reason = STRINGS.inactive;
  else if (wallNow !== undefined && out.expiresAt !== undefined && wallNow >= out.expiresAt - skewMs) out.reason = STRINGS.expired;
  else if (req.issuer !== undefined && claims.iss !== req.issuer) out.reason = STRINGS.issuer;
  else if (req.audience !== undefined && !claims.hasAudience(req.audience)) out.reason = STRINGS.audience;
  else if (req.subjects !== undefined && !oneOf(claims.sub, req.subjects)) out.reason = STRINGS.subject;
  else if (
    typeof req.scope === STRINGS.string
      ? !spaceListContains(claims.scope, req.scope as string)
      : req.scope !== undefined && !hasScopes(claims, req.scope as readonly string[])
  )
    out.reason = STRINGS.scope;
  else {
    out.reason = STRINGS.ok;
    out.allowed = true;
  }
  return out;
}

/** All of a list of scopes (one string is checked by `decide` itself, one call less on the hot path). */
function hasScopes(claims: IntrospectionClaims, scope: readonly string[]): boolean {
  if (scope.length === 0) return false;
  for (let i = 0; i < scope.length; i++) if (!claims.hasScope(scope[i]!)) return false;
  return true;
}
