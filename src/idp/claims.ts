/**
 * The claims of one introspection answer, kept compact for the verifier's cache.
 *
 * The well-known claims are plain fields. Unknown claims (the provider may add more on request) stay
 * readable by name through `claim()`: when the answer had any, a copy of its bytes is kept and parsed
 * again on demand, so the common answer costs no copy at all.
 */
import { indexOf, lastIndexOf } from "../json/_chars.js";
import { charCodeAt, JsonDocument } from "../json/index.js";

/** Members the mapping reads into fields. */
export const KNOWN_CLAIMS: readonly string[] = ["active", "sub", "scope", "iss", "exp", "aud"];

export interface ClaimFields {
  readonly active: boolean;
  readonly sub?: string | undefined;
  readonly scope?: string | undefined;
  readonly iss?: string | undefined;
  readonly exp?: number | undefined;
  readonly aud?: string | readonly string[] | undefined;
}

interface RawAnswer {
  readonly bytes: Uint8Array;
  readonly tokens: number;
}

export class IntrospectionClaims {
  readonly active: boolean;
  /** Owner of the token (a device id). */
  readonly sub: string | undefined;
  /** Granted scopes, space-separated (RFC 6749 section 3.3). */
  readonly scope: string | undefined;
  readonly iss: string | undefined;
  /** Expiry, seconds since the Unix epoch. */
  readonly exp: number | undefined;
  /** Audience: one value or a list (RFC 7662 section 2.2, RFC 7519 section 4.1.3). */
  readonly aud: string | readonly string[] | undefined;
  /**
   * The answer's bytes when it had unknown claims, with the JSON tokens they hold (a re-parse needs
   * exactly this pool, not a guess). One field, not two: a slot less in every cached entry on XS.
   */
  readonly #raw: RawAnswer | undefined;

  /**
   * `raw`: the answer's JSON bytes, kept (not copied) to read unknown claims later; pass a copy.
   * `rawTokens`: how many JSON tokens `raw` holds (the mapping's count); default a bound from its size.
   */
  constructor(fields: ClaimFields, raw?: Uint8Array, rawTokens?: number) {
    this.active = fields.active;
    this.sub = fields.sub;
    this.scope = fields.scope;
    this.iss = fields.iss;
    this.exp = fields.exp;
    this.aud = fields.aud;
    this.#raw = raw === undefined ? undefined : { bytes: raw, tokens: Math.max(8, rawTokens ?? raw.length >> 1) };
  }

  /** `raw` tokenized again, in a pool of exactly its size. */
  #reparse(raw: RawAnswer): JsonDocument {
    const doc = new JsonDocument(raw.tokens);
    doc.parse(raw.bytes, { maxBytes: raw.bytes.length });
    return doc;
  }

  /** True when the granted scopes contain `scope` (exact token match, no allocation). */
  hasScope(scope: string): boolean {
    return spaceListContains(this.scope, scope);
  }

  /** True when the audience is `audience` or a list containing it (exact match, no allocation). */
  hasAudience(audience: string): boolean {
    const aud = this.aud;
    if (aud === undefined) return false;
    if (typeof aud === "string") return aud === audience;
    for (let i = 0; i < aud.length; i++) if (aud[i] === audience) return true;
    return false;
  }

  /** Whether the answer had claims beyond the well-known ones. */
  get hasUnknownClaims(): boolean {
    return this.#raw !== undefined;
  }

  /** Every claim, unknown ones included, as a plain object (allocates; for tools and logs). */
  toJSON(): Record<string, unknown> {
    const raw = this.#raw;
    if (raw !== undefined) {
      return JSON.parse(this.#reparse(raw).text(0)) as Record<string, unknown>;
    }
    const out: Record<string, unknown> = { active: this.active };
    if (this.sub !== undefined) out["sub"] = this.sub;
    if (this.scope !== undefined) out["scope"] = this.scope;
    if (this.iss !== undefined) out["iss"] = this.iss;
    if (this.exp !== undefined) out["exp"] = this.exp;
    if (this.aud !== undefined) out["aud"] = typeof this.aud === "string" ? this.aud : [...this.aud];
    return out;
  }

  /** Any claim by name, as JSON.parse would give it; `undefined` when absent (allocates). */
  claim(name: string): unknown {
    switch (name) {
      case "active":
        return this.active;
      case "sub":
        return this.sub;
      case "scope":
        return this.scope;
      case "iss":
        return this.iss;
      case "exp":
        return this.exp;
      case "aud":
        return typeof this.aud === "string" || this.aud === undefined ? this.aud : [...this.aud];
    }
    const raw = this.#raw;
    if (raw === undefined) return undefined;
    const doc = this.#reparse(raw);
    const i = doc.member(0, name);
    return i < 0 ? undefined : JSON.parse(doc.text(i));
  }
}

const SPACE = 0x20;

/**
 * True when the space-separated `list` contains `word` as a whole item (RFC 6749 §3.3: a scope-token
 * holds no space, so a word with a space, or an empty word, never matches). The hot path of every
 * cache hit: no allocation, and the search runs in the engine's `indexOf` (about 150 computrons on XS
 * for a 3-item list, against 590 walking both strings with `charCodeAt`). Built-ins are called through
 * `.call` so XS does not box the primitive strings (see src/json/_chars.ts).
 */
export function spaceListContains(list: string | undefined, word: string): boolean {
  if (list === undefined) return false;
  // `word.length` without touching a property of the primitive: lastIndexOf("") is the length.
  const n = lastIndexOf.call(word, "");
  if (n === 0 || indexOf.call(word, " ") >= 0) return false;
  for (let at = indexOf.call(list, word, 0); at >= 0; at = indexOf.call(list, word, at + 1)) {
    if (at !== 0 && charCodeAt.call(list, at - 1) !== SPACE) continue;
    const after = charCodeAt.call(list, at + n); // NaN at the end
    if (after !== after || after === SPACE) return true;
  }
  return false;
}
