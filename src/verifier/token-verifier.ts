/**
 * TokenVerifier: the one object an application uses to check access tokens, the same on a device, in the
 * simulator and on Node. Built from an options bag (the URL of the introspection endpoint, the DTLS
 * credentials, default requirements, cache and rate-limit settings), the way Moddable's network modules
 * are; inside it is the whole chain (link, re-handshake after a provider restart, CoAP, introspection,
 * the verifier's cache and policy).
 *
 * This file is runtime-neutral. Each host's `TokenVerifier` (hosts/moddable/token-verifier.ts,
 * hosts/node/token-verifier.ts) is this class with the host's ports, resolver, DTLS link and digest.
 *
 * @example
 * ```ts
 * const verifier = new TokenVerifier({ url: "coaps://idp.local/idp/introspect", psk: { identity: "dev", key: "hex:00112233" } });
 * const decision = await verifier.verify(token, { scope: "relay.write" });
 * ```
 */
import { parseCoapUri } from "../coap/index.js";
import { ArgumentError, IdpgateError, type Fault } from "../errors.js";
import {
  connectIntrospection,
  type IdpLinkOpener,
  type IntrospectionConnection,
  type IntrospectionConnectionOptions,
} from "../idp/connection.js";
import type { MonotonicClock, RandomSource, Timers, WallClock } from "../ports.js";
import type { TokenDigest } from "./digest.js";
import { MutableDecision, overlay, Requirement, type Decision, type Requirements } from "./policy.js";
import type { VerifierStats } from "./stats.js";
import { Verifier, type VerifierOptions } from "./verifier.js";

/** A pre-shared key: the identity as text or bytes, the key as text, `hex:...` or bytes. */
export interface PskCredentials {
  readonly identity: string | Uint8Array;
  readonly key: string | Uint8Array;
}

/** What reaches `trace`: never a token, a key or a secret; codes and reasons only. */
export type TokenVerifierTrace =
  | {
      readonly event: "decision";
      readonly allowed: boolean;
      readonly reason: Decision["reason"];
      readonly fromCache: boolean;
      readonly errorCode: string | undefined;
    }
  | { readonly event: "link_error"; readonly code: string; readonly fault: Fault };

/** Verifier settings a TokenVerifier passes through (defaults as in src/verifier/verifier.ts). */
export type TokenVerifierCacheOptions = Omit<VerifierOptions, "introspector" | "clock" | "wallClock" | "random" | "digest">;

export interface TokenVerifierOptions extends IntrospectionConnectionOptions, TokenVerifierCacheOptions {
  /** The introspection endpoint: `coaps://host[:port][/path]` (port 5684, path /idp/introspect by default). */
  readonly url: string;
  /** PSK mode (RFC 7925's mandatory mode): identity and key. */
  readonly psk?: PskCredentials;
  /** Certificate mode: trusted CA certificates (PEM text or DER bytes); the chain and the name are checked. */
  readonly ca?: string | Uint8Array;
  /** The name the provider's certificate must carry (default: the URL's host name). */
  readonly serverName?: string;
  /** Pin the provider: SHA-256 of its certificate or of its public key (SPKI), hex or bytes (Node host). */
  readonly pin?: { readonly kind: "cert" | "spki"; readonly sha256: string | Uint8Array };
  /** Own certificate and its private key, for providers that ask for a client certificate. */
  readonly certificate?: string | Uint8Array;
  readonly privateKey?: string | Uint8Array;
  /** Default requirements of every `verify`; a call's own requirements replace them key by key. */
  readonly scope?: string | readonly string[];
  readonly issuer?: string;
  readonly audience?: string;
  readonly subject?: string | readonly string[];
  /** Called with decisions and link failures, for logs; never with a token or a key. */
  readonly trace?: (event: TokenVerifierTrace) => void;
}

/** What a host gives TokenVerifier: its ports, its resolver, its DTLS link and, optionally, its digest. */
export interface TokenVerifierHost {
  readonly ports: { readonly clock: MonotonicClock; readonly wall: WallClock; readonly random: RandomSource; readonly timers: Timers };
  readonly resolve: (host: string) => Promise<string>;
  /** Checks and decodes the credentials now (a wrong key throws in the constructor) and returns the opener. */
  opener(options: TokenVerifierOptions): IdpLinkOpener;
  /** The host's cache-key digest (HMAC-SHA-256 in C on XS); SipHash over `ports.random` when absent. */
  digest?(): TokenDigest;
}

function defaultRequirements(o: TokenVerifierOptions): Requirement {
  return new Requirement({ scope: o.scope, issuer: o.issuer, audience: o.audience, subjects: o.subject });
}

export class TokenVerifier {
  readonly #connection: IntrospectionConnection;
  readonly #verifier: Verifier;
  /** The default requirements, compiled once. */
  readonly #defaults: Requirement;
  /** Whether the defaults require anything: without any, a call's compiled Requirement is used as it is. */
  readonly #hasDefaults: boolean;
  /** The last compiled Requirement a call passed and the defaults merged under it (one entry, no allocation on reuse). */
  #lastOwn: Requirement | undefined = undefined;
  #lastMerged: Requirement | undefined = undefined;
  /**
   * The merges the one entry above let go, by the caller's Requirement (made at the first): callers that alternate
   * keep their merged Requirement, and so the cache's memo of their static checks, instead of a new one each call.
   */
  #merged: WeakMap<Requirement, Requirement> | undefined = undefined;
  readonly #trace: ((event: TokenVerifierTrace) => void) | undefined;
  #closed = false;

  constructor(options: TokenVerifierOptions, host: TokenVerifierHost) {
    if (typeof options !== "object" || options === null || typeof options.url !== "string")
      throw new ArgumentError("verifier.bad_option", "TokenVerifier needs { url, psk | ca | pin }");
    const uri = parseCoapUri(options.url);
    // Tokens and client secrets cross this link: only over DTLS with an authenticated provider.
    if (!uri.secure) throw new ArgumentError("verifier.insecure", "TokenVerifier reaches its identity provider over coaps:// only");
    if (options.psk === undefined && options.ca === undefined && options.pin === undefined)
      throw new ArgumentError("verifier.no_credentials", "coaps:// needs credentials: psk, or ca / pin");
    const open = host.opener(options);
    this.#trace = options.trace;
    this.#connection = connectIntrospection(uri, { ports: host.ports, resolve: host.resolve, open }, options);
    const digest = host.digest?.();
    this.#verifier = new Verifier({
      ...options,
      introspector: this.#connection.introspector,
      clock: host.ports.clock,
      wallClock: host.ports.wall,
      random: host.ports.random,
      ...(digest === undefined ? {} : { digest }),
    });
    this.#defaults = defaultRequirements(options);
    const d = this.#defaults;
    this.#hasDefaults = d.scope !== undefined || d.issuer !== undefined || d.audience !== undefined || d.subjects !== undefined;
    const trace = this.#trace;
    if (trace !== undefined)
      this.#connection.link.onError((error) => {
        const typed = error instanceof IdpgateError ? error : undefined;
        trace({ event: "link_error", code: typed?.code ?? "link.error", fault: typed?.fault ?? "environment" });
      });
  }

  /**
   * What a call checks: the defaults, or `requirements` replacing them where it sets a key. A compiled
   * Requirement merged with the defaults is itself compiled (and kept for the next call with the same one),
   * so that the cache's memo of static checks applies; a plain object is merged into a new plain object.
   */
  #requirementsOf(requirements: Requirements | undefined): Requirements {
    if (requirements === undefined) return this.#defaults;
    if (!(requirements instanceof Requirement)) return overlay(this.#defaults, requirements);
    if (!this.#hasDefaults) return requirements;
    if (requirements !== this.#lastOwn) {
      if (this.#lastOwn !== undefined) (this.#merged ??= new WeakMap()).set(this.#lastOwn, this.#lastMerged!);
      this.#lastMerged = this.#merged?.get(requirements) ?? this.#defaults.with(requirements);
      this.#lastOwn = requirements;
    }
    return this.#lastMerged!;
  }

  /**
   * Checks `token` against the default requirements, or against `requirements` where it sets a key.
   * Never rejects: every failure is a denial (fail closed) whose `reason` says why.
   */
  verify(token: string, requirements?: Requirements): Promise<Decision> {
    // Not an async function: one frame less on the caller's stack (a device's XS stack is 512 slots).
    const decided = this.#closed
      ? Promise.resolve<Decision>(new MutableDecision().deny("idp_unavailable", "verifier.closed"))
      : this.#verifier.verify(token, this.#requirementsOf(requirements));
    const trace = this.#trace;
    if (trace === undefined) return decided;
    return decided.then((d) => {
      trace({ event: "decision", allowed: d.allowed, reason: d.reason, fromCache: d.fromCache, errorCode: d.errorCode });
      return d;
    });
  }

  /**
   * The synchronous path, argument for argument Verifier's: decides from the cache into `out` (which the
   * caller owns and reuses) and returns true, or returns false on a miss (then call `verify`). `token` may be
   * bytes holding its UTF-8 at [start, end), read in place (Verifier.verifyCached says what that decides).
   * `requirements` replace the defaults key by key, as in `verify`; `undefined` takes the defaults. Pass a
   * `Requirement` made once (or none) on a hot path: a plain object is merged and checked in full every call.
   */
  verifyCached(
    token: string | Uint8Array,
    requirements: Requirements | undefined,
    out: MutableDecision,
    start?: number,
    end?: number,
  ): boolean {
    if (this.#closed) {
      if (typeof token !== "string") return false; // the string path denies
      out.deny("idp_unavailable", "verifier.closed");
      return true;
    }
    return this.#verifier.verifyCached(token, this.#requirementsOf(requirements), out, start, end);
  }

  /** Counters: hits, misses, introspections, rate-limited, errors by code, cache size, ... */
  stats(): VerifierStats {
    return this.#verifier.stats();
  }

  /** Forgets one token's cached answer (early revocation); true when there was one. */
  invalidate(token: string): boolean {
    return this.#verifier.invalidate(token);
  }

  /** Forgets every cached answer. */
  clear(): void {
    this.#verifier.clear();
  }

  /** Ends the DTLS session and fails requests in flight; later verifications deny (`verifier.closed`). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#verifier.clear();
    this.#connection.close();
  }
}
