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

export interface Requirements {
  /** Scope(s) the token must grant; with several, all of them. */
  readonly scope?: string | readonly string[];
  /** Exact `iss` the token must carry. */
  readonly issuer?: string;
  /** A value the token's `aud` (a string or a list) must contain (RFC 7662 section 2.2). */
  readonly audience?: string;
  /** Accepted subjects (`sub`), one or a list. */
  readonly subjects?: string | readonly string[];
  /** Who asks (a peer address, a client id): the key of the per-caller introspection rate limit. */
  readonly callerKey?: string;
}

function oneOf(value: string | undefined, accepted: string | readonly string[]): boolean {
  if (value === undefined) return false;
  if (typeof accepted === "string") return value === accepted;
  for (let i = 0; i < accepted.length; i++) if (accepted[i] === value) return true;
  return false;
}

/**
 * Checks claims against requirements and fills `out`. `wallNow` is Unix milliseconds or undefined
 * when the clock is not synchronised (then `active` alone decides). A token counts as expired once
 * `wallNow >= exp*1000 - skewMs`: the skew makes us deny early rather than allow late.
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
  if (!claims.active) out.reason = "inactive";
  else if (wallNow !== undefined && out.expiresAt !== undefined && wallNow >= out.expiresAt - skewMs) out.reason = "expired";
  else if (req.issuer !== undefined && claims.iss !== req.issuer) out.reason = "issuer";
  else if (req.audience !== undefined && !claims.hasAudience(req.audience)) out.reason = "audience";
  else if (req.subjects !== undefined && !oneOf(claims.sub, req.subjects)) out.reason = "subject";
  else if (
    typeof req.scope === "string" ? !spaceListContains(claims.scope, req.scope) : req.scope !== undefined && !hasScopes(claims, req.scope)
  )
    out.reason = "scope";
  else {
    out.reason = "ok";
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
