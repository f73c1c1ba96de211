/**
 * Host names of IdP URLs to numeric addresses on XS. ECMA-419 UDP takes dotted IPs only.
 *  - numeric IPv4/IPv6 literals are used as they are; "localhost" is 127.0.0.1 (no lookup);
 *  - other names go to Moddable's `net` module (`Net.resolve`, lwIP DNS) where the app's manifest
 *    includes it; it is imported on first use, so hosts without it (the XS test host) still run and
 *    answer `net.unresolved` for names.
 */
import { IdpgateError } from "../../src/errors.js";

export const RESOLVE_TIMEOUT_MS = 10_000;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The numeric address for a literal or "localhost", else undefined. */
export function numericAddress(host: string): string | undefined {
  if (IPV4.test(host)) return host;
  if (host.includes(":")) return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (host.toLowerCase() === "localhost") return "127.0.0.1";
  return undefined;
}

type NetModule = { default: { resolve(name: string, callback: (name: string, address?: string) => void): void } };

/** Resolves `host` to a numeric address; rejects with IdpgateError `net.unresolved`. */
export async function resolveHost(host: string): Promise<string> {
  const numeric = numericAddress(host);
  if (numeric !== undefined) return numeric;
  let net: NetModule;
  try {
    net = (await import("net")) as NetModule;
  } catch {
    throw new IdpgateError("net.unresolved", "environment", `no DNS resolver on this host for ${host}`);
  }
  return new Promise<string>((resolve, reject) => {
    let done = false;
    net.default.resolve(host, (_name, address) => {
      if (done) return;
      done = true;
      if (address === undefined) reject(new IdpgateError("net.unresolved", "environment", `cannot resolve ${host}`));
      else resolve(address);
    });
  });
}
