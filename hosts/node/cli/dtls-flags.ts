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
import { ArgumentError } from "../../../src/errors.js";
import { DtlsError } from "../dtls/errors.js";
import type { DtlsOptions } from "../dtls/options.js";
import { DtlsSession } from "../dtls/session.js";
import { UsageError } from "./exit-codes.js";
import type { OptionHelp } from "./usage.js";

export const DTLS_USAGE =
  "[--psk-id ID --psk KEY | --ca FILE | --pin sha256:HEX | --pin-spki sha256:HEX] [--cert FILE --key FILE] [--server-name NAME]";

/** The DTLS flags in `--help`, for a client (`coaps://` URLs) or a server (`idp serve`). */
export function dtlsHelp(role: "client" | "server"): OptionHelp[] {
  const needed = role === "client" ? "one of --psk-id/--psk, --ca, --pin for coaps://" : "--psk-id/--psk or --cert/--key";
  return [
    { flag: "--psk-id ID", what: "PSK identity, 1..128 bytes", default: `none; ${needed}` },
    { flag: "--psk KEY", what: "pre-shared key as text or hex:..., 1..32 bytes", default: "none" },
    { flag: "--ca FILE", what: "trusted CA certificates (PEM or DER)", default: "none" },
    ...(role === "client"
      ? [
          { flag: "--pin sha256:HEX", what: "SHA-256 of the server's certificate (DER)", default: "none" },
          { flag: "--pin-spki sha256:HEX", what: "SHA-256 of the server's SubjectPublicKeyInfo (DER)", default: "none" },
          { flag: "--server-name NAME", what: "name the server certificate must carry", default: "the URL's host" },
        ]
      : []),
    {
      flag: "--cert FILE --key FILE",
      what: `${role === "client" ? "our" : "the server's"} certificate and private key (PEM)`,
      default: "none",
    },
  ];
}

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

/** The file's bytes, not text: DER certificates and keys are binary. */
function read(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

/**
 * Sets up (and frees) one DTLS session with `options`: mbedtls refuses a key, identity, CA or
 * certificate it cannot use right here, so the CLI reports it as a usage error naming `flags` instead of
 * failing the handshake later. The message names the flags only: their values may be secrets.
 */
function checkWithDtls(role: "client" | "server", options: DtlsOptions, flags: string, expected: string): void {
  try {
    (role === "client" ? DtlsSession.client(options) : DtlsSession.server(options)).free();
  } catch (error) {
    // A DtlsError from mbedtls, or the key parser's key.malformed: both the caller's, both named by flag only.
    if ((error instanceof DtlsError || error instanceof ArgumentError) && error.fault === "caller")
      throw new UsageError(`${flags}: ${expected}`);
    throw error;
  }
}

/**
 * Turns the flags into DtlsOptions for a role. A client needs a PSK, a CA or a pin; a server needs a
 * PSK or a certificate and key. Files are read and every credential is checked here, so a bad path,
 * key or certificate is a usage error, not a DTLS failure.
 */
export function dtlsOptions(flags: DtlsFlags, role: "client" | "server", defaultServerName?: string): DtlsOptions {
  if ((flags.pskId === undefined) !== (flags.psk === undefined)) throw new UsageError("--psk-id and --psk go together");
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new UsageError("--cert and --key go together");
  if (role === "server" && flags.pskId === undefined && flags.cert === undefined)
    throw new UsageError("a DTLS server needs --psk-id/--psk or --cert/--key");
  if (role === "client" && flags.pskId === undefined && flags.ca === undefined && flags.pin === undefined)
    throw new UsageError("coaps:// needs credentials: --psk-id/--psk, --ca or --pin");
  const psk = flags.pskId !== undefined && flags.psk !== undefined ? { psk: { identity: flags.pskId, key: flags.psk } } : {};
  const pskRule = "needs an identity of 1..128 bytes and a key of 1..32 bytes (MBEDTLS_PSK_MAX_LEN), as text or hex:<pairs of hex digits>";
  if (psk.psk !== undefined) checkWithDtls(role, psk, "--psk-id/--psk", pskRule);
  const ca = flags.ca === undefined ? {} : { ca: read(flags.ca, "CA file") };
  if (ca.ca !== undefined) checkWithDtls("client", ca, `--ca ${flags.ca}`, "no usable certificate in it (PEM or DER expected)");
  const own =
    flags.cert !== undefined && flags.key !== undefined
      ? { certificate: read(flags.cert, "certificate"), privateKey: read(flags.key, "key") }
      : {};
  if (own.certificate !== undefined)
    checkWithDtls("server", own, "--cert/--key", "not a usable certificate and private key (PEM or DER expected)");
  if (role === "server") return { ...psk, ...own, ...ca };
  const serverName = flags.serverName ?? defaultServerName;
  const name = serverName === undefined || flags.pskId !== undefined ? {} : { serverName };
  if (name.serverName !== undefined) checkWithDtls("client", { ...ca, ...name }, "--server-name", "a DNS name of 1..253 characters");
  return { ...psk, ...own, ...ca, ...(flags.pin === undefined ? {} : { pin: flags.pin }), ...name };
}
