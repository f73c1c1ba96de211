/**
 * The local identity provider's tokens: opaque random strings mapped to their claims. Only the provider
 * can check a token, as with the hosted provider; tokens are never logged in full (see `tokenTag`).
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { IdpgateError, nameError } from "../../../src/errors.js";
import { KNOWN_CLAIMS } from "../../../src/idp/index.js";

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

/**
 * A tokens file that cannot be used (`idp.bad_tokens_file`, the caller's fault). The message names the
 * file, the entry's index and the field, never a byte of the file: it holds secrets.
 */
export class TokensFileError extends IdpgateError {
  constructor(path: string, problem: string) {
    super("idp.bad_tokens_file", "caller", `tokens file ${path}: ${problem}`);
  }
}
nameError(TokensFileError, "TokensFileError");

/** The fields of one tokens-file entry (README, "Tokens file"). */
const ENTRY_FIELDS = new Set(["token", "sub", "scope", "exp", "expiresIn", "claims"]);

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
   * Loads tokens from a JSON file (format: README, "Tokens file"):
   * `[{"token": "...", "sub": "...", "scope": "...", "expiresIn": 3600, "claims": {...}}, ...]`, with
   * `exp` (epoch seconds) in place of `expiresIn` if wanted. All or nothing: a bad entry loads none.
   * @throws TokensFileError, whose message quotes nothing from the file.
   */
  loadFile(path: string): number {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new TokensFileError(path, `cannot be read (${(error as { code?: unknown }).code ?? "error"})`);
    }
    let entries: unknown;
    try {
      entries = JSON.parse(text);
    } catch {
      // JSON.parse's message quotes the text around the error: a token could be in it.
      throw new TokensFileError(path, "not valid JSON");
    }
    if (!Array.isArray(entries)) throw new TokensFileError(path, "expected a JSON array of token entries");
    const parsed = entries.map((e: unknown, i) => this.#entry(path, i, e));
    const seen = new Set<string>();
    for (const [i, { token }] of parsed.entries()) {
      if (seen.has(token)) throw new TokensFileError(path, `entry ${i} repeats the token of an earlier entry`);
      seen.add(token);
    }
    for (const { token, options } of parsed) this.add(token, options);
    return parsed.length;
  }

  #entry(path: string, i: number, e: unknown): { token: string; options: IssueOptions } {
    const bad = (problem: string): TokensFileError => new TokensFileError(path, `entry ${i} ${problem}`);
    if (typeof e !== "object" || e === null || Array.isArray(e)) throw bad("is not an object");
    const entry = e as Record<string, unknown>;
    for (const key of Object.keys(entry)) if (!ENTRY_FIELDS.has(key)) throw bad(`has an unknown field (${ENTRY_FIELDS.size} are known)`);
    const { token, sub, scope, exp, expiresIn, claims } = entry;
    if (typeof token !== "string" || token === "") throw bad(`needs "token", a non-empty string`);
    if (typeof sub !== "string" || typeof scope !== "string") throw bad(`needs "sub" and "scope" as strings`);
    if (exp !== undefined && expiresIn !== undefined) throw bad(`has both "exp" and "expiresIn"`);
    const seconds = exp ?? expiresIn ?? 3600;
    if (typeof seconds !== "number" || !Number.isFinite(seconds)) throw bad(`needs "exp" or "expiresIn" as a number`);
    if (claims !== undefined && (typeof claims !== "object" || claims === null || Array.isArray(claims)))
      throw bad(`needs "claims" as a JSON object`);
    const extra = claims as Record<string, unknown> | undefined;
    if (extra !== undefined && KNOWN_CLAIMS.some((k) => Object.hasOwn(extra, k)))
      throw bad(`names a claim the provider sets itself (${KNOWN_CLAIMS.join(", ")}) in "claims"`);
    const lifetimeSeconds = exp === undefined ? seconds : seconds - this.nowSeconds();
    return { token, options: { sub, scope, lifetimeSeconds, ...(extra === undefined ? {} : { extra }) } };
  }
}
