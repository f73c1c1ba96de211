/**
 * The local identity provider's tokens: opaque random strings mapped to their claims. Only the provider
 * can check a token, as with the hosted provider; tokens are never logged in full (see `tokenTag`).
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

export interface TokenClaims {
  readonly sub: string;
  readonly scope: string;
  readonly iss: string;
  /** Seconds since the Unix epoch. */
  readonly exp: number;
  revoked: boolean;
  /** Claims added on request, returned as they are. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface IssueOptions {
  readonly sub: string;
  readonly scope: string;
  /** Lifetime in seconds; negative issues an already expired token (for demos and tests). */
  readonly lifetimeSeconds: number;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** Token length: 75 random bytes in base64url are 100 characters, the size the hosted provider issues. */
export const TOKEN_RANDOM_BYTES = 75;
export const DEFAULT_ISSUER = "https://idp.local.idpgate/";

/** A short, non-reversible label for logs: the first 8 hex digits of the token's SHA-256. */
export function tokenTag(token: string): string {
  return `tok:${createHash("sha256").update(token).digest("hex").slice(0, 8)}`;
}

export class TokenStore {
  readonly #tokens = new Map<string, TokenClaims>();

  constructor(
    readonly issuer = DEFAULT_ISSUER,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  issue(options: IssueOptions): string {
    const token = randomBytes(TOKEN_RANDOM_BYTES).toString("base64url");
    this.add(token, options);
    return token;
  }

  add(token: string, options: IssueOptions): void {
    const claims: TokenClaims = {
      sub: options.sub,
      scope: options.scope,
      iss: this.issuer,
      exp: this.nowSeconds() + options.lifetimeSeconds,
      revoked: false,
      ...(options.extra === undefined ? {} : { extra: options.extra }),
    };
    this.#tokens.set(token, claims);
  }

  revoke(token: string): boolean {
    const claims = this.#tokens.get(token);
    if (claims === undefined) return false;
    claims.revoked = true;
    return true;
  }

  /** The claims of an active token, or undefined for unknown, expired and revoked ones (RFC 7662 §2.2). */
  active(token: string): TokenClaims | undefined {
    const claims = this.#tokens.get(token);
    if (claims === undefined || claims.revoked || claims.exp <= this.nowSeconds()) return undefined;
    return claims;
  }

  get size(): number {
    return this.#tokens.size;
  }

  /**
   * Loads tokens from a JSON file: `[{"token": "...", "sub": "...", "scope": "...", "expiresIn": 3600}, ...]`
   * (`exp` in epoch seconds may replace `expiresIn`).
   */
  loadFile(path: string): number {
    const entries: unknown = JSON.parse(readFileSync(path, "utf8"));
    if (!Array.isArray(entries)) throw new Error(`${path}: expected a JSON array of tokens`);
    for (const [i, e] of entries.entries()) {
      const entry = e as Record<string, unknown>;
      const { token, sub, scope } = entry;
      if (typeof token !== "string" || typeof sub !== "string" || typeof scope !== "string") {
        throw new Error(`${path}: entry ${i} needs string "token", "sub" and "scope"`);
      }
      const lifetime =
        typeof entry.exp === "number" ? entry.exp - this.nowSeconds() : typeof entry.expiresIn === "number" ? entry.expiresIn : 3600;
      this.add(token, { sub, scope, lifetimeSeconds: lifetime });
    }
    return entries.length;
  }
}
