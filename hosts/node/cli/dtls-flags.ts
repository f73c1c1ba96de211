/**
 * The DTLS flags every networked subcommand shares:
 *   --psk-id ID --psk KEY        pre-shared key (KEY as text or hex:...), TLS_PSK_WITH_AES_128_CCM_8
 *   --ca FILE                    trust anchors (PEM) for the peer's certificate chain
 *   --pin sha256:HEX             pin the server's certificate (SHA-256 of its DER)
 *   --pin-spki sha256:HEX        pin the server's public key (SHA-256 of its SubjectPublicKeyInfo DER)
 *   --cert FILE --key FILE       our own certificate and key (server; optional client)
 *   --server-name NAME           the name the server certificate must carry (default: the URL's host)
 */
import { readFileSync } from "node:fs";
import type { DtlsOptions } from "../dtls/options.js";
import { UsageError } from "./exit-codes.js";

export const DTLS_USAGE =
  "[--psk-id ID --psk KEY | --ca FILE | --pin sha256:HEX | --pin-spki sha256:HEX] [--cert FILE --key FILE] [--server-name NAME]";

export interface DtlsFlags {
  pskId?: string;
  psk?: string;
  ca?: string;
  pin?: { kind: "cert" | "spki"; sha256: string };
  cert?: string;
  key?: string;
  serverName?: string;
}

/** Consumes a DTLS flag at argv[i] into `flags`; returns how many arguments it took (0: not a DTLS flag). */
export function takeDtlsFlag(argv: readonly string[], i: number, flags: DtlsFlags): number {
  const arg = argv[i];
  const value = (): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${arg} needs a value`);
    return v;
  };
  const pin = (kind: "cert" | "spki"): { kind: "cert" | "spki"; sha256: string } => {
    const v = value();
    const m = /^sha256:([0-9a-fA-F:]+)$/.exec(v);
    const hex = m?.[1]?.replace(/:/g, "");
    if (hex === undefined || hex.length !== 64) throw new UsageError(`${arg} needs sha256:<64 hex digits>`);
    return { kind, sha256: hex };
  };
  switch (arg) {
    case "--psk-id":
      flags.pskId = value();
      return 2;
    case "--psk":
      flags.psk = value();
      return 2;
    case "--ca":
      flags.ca = value();
      return 2;
    case "--pin":
      flags.pin = pin("cert");
      return 2;
    case "--pin-spki":
      flags.pin = pin("spki");
      return 2;
    case "--cert":
      flags.cert = value();
      return 2;
    case "--key":
      flags.key = value();
      return 2;
    case "--server-name":
      flags.serverName = value();
      return 2;
    default:
      return 0;
  }
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

/**
 * Turns the flags into DtlsOptions for a role. A client needs a PSK, a CA or a pin; a server needs a
 * PSK or a certificate and key. Files are read here so a bad path is a usage error, not a DTLS one.
 */
export function dtlsOptions(flags: DtlsFlags, role: "client" | "server", defaultServerName?: string): DtlsOptions {
  if ((flags.pskId === undefined) !== (flags.psk === undefined)) throw new UsageError("--psk-id and --psk go together");
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new UsageError("--cert and --key go together");
  const psk = flags.pskId !== undefined && flags.psk !== undefined ? { psk: { identity: flags.pskId, key: flags.psk } } : {};
  const own =
    flags.cert !== undefined && flags.key !== undefined ? { cert: read(flags.cert, "certificate"), key: read(flags.key, "key") } : {};
  if (role === "server") {
    if (flags.pskId === undefined && flags.cert === undefined) throw new UsageError("a DTLS server needs --psk-id/--psk or --cert/--key");
    return { ...psk, ...own, ...(flags.ca === undefined ? {} : { ca: read(flags.ca, "CA file") }) };
  }
  if (flags.pskId === undefined && flags.ca === undefined && flags.pin === undefined) {
    throw new UsageError("coaps:// needs credentials: --psk-id/--psk, --ca or --pin");
  }
  const serverName = flags.serverName ?? defaultServerName;
  return {
    ...psk,
    ...own,
    ...(flags.ca === undefined ? {} : { ca: read(flags.ca, "CA file") }),
    ...(flags.pin === undefined ? {} : { pin: flags.pin }),
    ...(serverName === undefined || flags.pskId !== undefined ? {} : { serverName }),
  };
}
