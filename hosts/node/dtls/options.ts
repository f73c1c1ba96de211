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
  /** Own certificate and key (server; optional client). */
  readonly cert?: string | Uint8Array;
  readonly key?: string | Uint8Array;
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
  const n: NativeOptions = { role };
  if (o.psk !== undefined) {
    const list = Array.isArray(o.psk) ? (o.psk as readonly PskCredential[]) : [o.psk as PskCredential];
    n.psk = list.map((p) => ({ identity: bytes(p.identity), key: keyFromText(p.key, "psk.key") }));
  }
  if (o.ca !== undefined) n.ca = bytes(o.ca);
  if (o.cert !== undefined) n.cert = bytes(o.cert);
  if (o.key !== undefined) n.key = bytes(o.key);
  if (o.serverName !== undefined) n.serverName = o.serverName;
  if (o.pin !== undefined) {
    const sha =
      typeof o.pin.sha256 === "string"
        ? keyFromText(`hex:${o.pin.sha256.replace(/^hex:/, "").replace(/:/g, "")}`, "pin.sha256")
        : o.pin.sha256;
    n.pin = { kind: o.pin.kind, sha256: sha };
  }
  if (o.suites !== undefined) n.suites = [...o.suites];
  if (o.mtu !== undefined) n.mtu = o.mtu;
  if (o.handshakeTimeoutMinMs !== undefined) n.hsMinMs = o.handshakeTimeoutMinMs;
  if (o.handshakeTimeoutMaxMs !== undefined) n.hsMaxMs = o.handshakeTimeoutMaxMs;
  if (o.handshakeDeadlineMs !== undefined) n.hsDeadlineMs = o.handshakeDeadlineMs;
  if (o.connectionId === true) n.cid = true;
  return n;
}
