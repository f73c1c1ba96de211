/**
 * DTLS options as TypeScript callers write them, and their conversion to the addon's form.
 * PSK keys are text (UTF-8 bytes) or `hex:00112233...`.
 */
import type { NativeOptions } from "./_native.js";
import { keyFromText } from "../../../src/key-text.js";

export interface PskCredential {
  readonly identity: string | Uint8Array;
  /** The key: text, `hex:...`, or bytes. */
  readonly key: string | Uint8Array;
}

export interface DtlsOptions {
  /** Client: the one identity used; server: the identities accepted. */
  readonly psk?: PskCredential | readonly PskCredential[];
  /** Trusted CA certificates (PEM text or DER bytes). */
  readonly ca?: string | Uint8Array;
  /** Client: name the server certificate must carry (also sent as SNI). */
  readonly serverName?: string;
  /** Pin the server: SHA-256 of its certificate DER or of its SubjectPublicKeyInfo DER (hex or bytes). */
  readonly pin?: { readonly kind: "cert" | "spki"; readonly sha256: string | Uint8Array };
  /** Own certificate and its private key (server; optional client): PEM text or DER bytes. */
  readonly certificate?: string | Uint8Array;
  readonly privateKey?: string | Uint8Array;
  /** mbedtls suite names, e.g. "TLS-PSK-WITH-AES-128-CCM-8". Default: the CoAP CCM_8 suites. */
  readonly suites?: readonly string[];
  readonly mtu?: number;
  /** Retransmission timer bounds (RFC 6347 4.2.4.1), ms. */
  readonly handshakeTimeoutMinMs?: number;
  readonly handshakeTimeoutMaxMs?: number;
  /** The whole handshake must finish within this, ms (default 30000). */
  readonly handshakeDeadlineMs?: number;
  /** Ask for an RFC 9146 Connection ID (fails with dtls.unavailable on mbedtls 2.28). */
  readonly connectionId?: boolean;
}

function bytes(v: string | Uint8Array): Uint8Array {
  return typeof v === "string" ? new TextEncoder().encode(v) : v;
}

export function toNative(role: "client" | "server", o: DtlsOptions): NativeOptions {
  const list = o.psk === undefined ? undefined : Array.isArray(o.psk) ? (o.psk as readonly PskCredential[]) : [o.psk as PskCredential];
  const pin =
    o.pin === undefined
      ? undefined
      : {
          kind: o.pin.kind,
          sha256:
            typeof o.pin.sha256 === "string"
              ? keyFromText(`hex:${o.pin.sha256.replace(/^hex:/, "").replace(/:/g, "")}`, "pin.sha256")
              : o.pin.sha256,
        };
  return {
    role,
    ...(list === undefined ? {} : { psks: list.map((p) => ({ identity: bytes(p.identity), psk: keyFromText(p.key, "psk.key") })) }),
    ...(o.ca === undefined ? {} : { ca: bytes(o.ca) }),
    ...(o.certificate === undefined ? {} : { certificate: bytes(o.certificate) }),
    ...(o.privateKey === undefined ? {} : { privateKey: bytes(o.privateKey) }),
    ...(o.serverName === undefined ? {} : { serverName: o.serverName }),
    ...(pin === undefined ? {} : { pin }),
    ...(o.suites === undefined ? {} : { suites: [...o.suites] }),
    ...(o.mtu === undefined ? {} : { mtu: o.mtu }),
    ...(o.handshakeTimeoutMinMs === undefined ? {} : { handshakeTimeoutMinMs: o.handshakeTimeoutMinMs }),
    ...(o.handshakeTimeoutMaxMs === undefined ? {} : { handshakeTimeoutMaxMs: o.handshakeTimeoutMaxMs }),
    ...(o.handshakeDeadlineMs === undefined ? {} : { handshakeDeadlineMs: o.handshakeDeadlineMs }),
    ...(o.connectionId === true ? { connectionId: true } : {}),
  };
}
