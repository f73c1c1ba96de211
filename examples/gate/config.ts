/**
 * The gate's configuration, the same on every host: on Moddable the manifest's `config` (mc/config), on the
 * XS test host the same object from a JSON file (`--module mc/config=FILE.json`), on Node from flags.
 *
 * | key            | meaning                                                          | default                |
 * | -------------- | ---------------------------------------------------------------- | ---------------------- |
 * | `idpUrl`       | introspection endpoint, coaps://host[:port][/path]               | (required)             |
 * | `idpPskId`     | PSK identity for the link to the provider                        | (required)             |
 * | `idpPsk`       | its key: text or `hex:...`                                       | (required)             |
 * | `idpClientId`, `idpClientSecret` | sent in the introspection body, when set       | none                   |
 * | `gatePskId`    | PSK identity the command server accepts                          | (required)             |
 * | `gatePsk`      | its key: text or `hex:...`                                       | (required)             |
 * | `gatePort`     | UDP port of the command server                                   | 5684                   |
 * | `scope`        | scope a command's token must grant                               | `relay.write`          |
 * | `issuer`       | required `iss`, when set                                         | none                   |
 * | `cacheEntries` | verifier cache size                                              | 16                     |
 * | `maxTtlMs`     | longest time a cached answer is used                             | 60000                  |
 */
import { ArgumentError } from "../../src/errors.js";
import type { RateLimit, TokenVerifierOptions } from "../../src/verifier/index.js";

export interface GateConfig {
  readonly idpUrl: string;
  readonly idpPskId: string;
  readonly idpPsk: string;
  readonly idpClientId: string | undefined;
  readonly idpClientSecret: string | undefined;
  readonly gatePskId: string;
  readonly gatePsk: string;
  readonly gatePort: number;
  readonly scope: string;
  readonly issuer: string | undefined;
  readonly cacheEntries: number;
  readonly maxTtlMs: number;
}

export const GATE_DEFAULT_PORT = 5684;
export const GATE_DEFAULT_SCOPE = "relay.write";
export const GATE_CACHE_ENTRIES = 16;
/**
 * The per-caller introspection limit of the gate, keyed by the PSK identity a command's DTLS session
 * authenticated: one identity may spend at most 6 of the verifier's global burst of 10 (VERIFIER_RATE), so
 * another identity always keeps 4, while an operator can still try a handful of fresh tokens in a row.
 */
export const GATE_CALLER_RATE: RateLimit = { perSecond: 1, burst: 6 };

function text(raw: Readonly<Record<string, unknown>>, name: string, fallback?: string): string {
  const v = raw[name];
  if (typeof v === "string" && v.length > 0) return v;
  if (fallback !== undefined) return fallback;
  throw new ArgumentError("gate.config", `config.${name} is required`);
}

function optionalText(raw: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const v = raw[name];
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

function count(raw: Readonly<Record<string, unknown>>, name: string, fallback: number, min: number, max: number): number {
  const v = raw[name];
  if (v === undefined || v === "") return fallback;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ArgumentError("gate.config", `config.${name} must be an integer in ${min}..${max}`);
  return n;
}

export function readGateConfig(raw: Readonly<Record<string, unknown>>): GateConfig {
  return {
    idpUrl: text(raw, "idpUrl"),
    idpPskId: text(raw, "idpPskId"),
    idpPsk: text(raw, "idpPsk"),
    idpClientId: optionalText(raw, "idpClientId"),
    idpClientSecret: optionalText(raw, "idpClientSecret"),
    gatePskId: text(raw, "gatePskId"),
    gatePsk: text(raw, "gatePsk"),
    gatePort: count(raw, "gatePort", GATE_DEFAULT_PORT, 0, 65535),
    scope: text(raw, "scope", GATE_DEFAULT_SCOPE),
    issuer: optionalText(raw, "issuer"),
    cacheEntries: count(raw, "cacheEntries", GATE_CACHE_ENTRIES, 1, 1024),
    maxTtlMs: count(raw, "maxTtlMs", 60_000, 1, 86_400_000),
  };
}

/** The gate's TokenVerifier: the configured provider, credentials, requirements and cache (one object on every host). */
export function gateVerifierOptions(c: GateConfig): TokenVerifierOptions {
  return {
    url: c.idpUrl,
    psk: { identity: c.idpPskId, key: c.idpPsk },
    scope: c.scope,
    ...(c.issuer === undefined ? {} : { issuer: c.issuer }),
    ...(c.idpClientId === undefined ? {} : { clientId: c.idpClientId }),
    ...(c.idpClientSecret === undefined ? {} : { clientSecret: c.idpClientSecret }),
    cacheEntries: c.cacheEntries,
    maxTtlMs: c.maxTtlMs,
    callerRate: GATE_CALLER_RATE,
  };
}
