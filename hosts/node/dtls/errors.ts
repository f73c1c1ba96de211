/**
 * The Node side of DtlsError (src/link/dtls-error.ts): readable messages for the codes the addon reports,
 * and the conversion of what it throws.
 */
import { DtlsError, faultOf } from "../../../src/link/dtls-error.js";

export { DtlsError };

const MESSAGES: Record<string, string> = {
  "dtls.bad_psk": "the peer could not verify our Finished: pre-shared key mismatch",
  "dtls.unknown_identity": "the peer does not know our PSK identity",
  "dtls.untrusted_certificate": "the peer's certificate is not trusted (CA chain or pin)",
  "dtls.expired_certificate": "the peer's certificate is expired or not yet valid",
  "dtls.name_mismatch": "the peer's certificate is not for the expected server name",
  "dtls.bad_certificate": "the peer's certificate could not be used",
  "dtls.handshake_timeout": "no DTLS handshake answer before the deadline",
  "dtls.peer_closed": "the peer closed the DTLS session (close_notify)",
  "dtls.fatal_alert": "the peer sent a fatal alert",
  "dtls.session_limit": "the DTLS server has no room for another peer",
  "dtls.no_shared_cipher": "no cipher suite in common with the peer",
  "dtls.protocol_error": "malformed or unexpected DTLS handshake message",
  "dtls.unavailable": "feature not available with this mbedtls",
  "dtls.closed": "the DTLS session is closed",
};

/** Builds a DtlsError from what the addon reports (a thrown native error or an error() record). */
export function dtlsError(info: { code?: unknown; fault?: unknown; alert?: unknown; message?: unknown }): DtlsError {
  const code = typeof info.code === "string" && info.code.startsWith("dtls.") ? info.code : "dtls.internal";
  const fault = faultOf(info.fault);
  const alert = typeof info.alert === "number" ? info.alert : -1;
  const base = MESSAGES[code] ?? (typeof info.message === "string" && info.message !== code ? info.message : code);
  return new DtlsError(code, fault, alert >= 0 ? `${base} (alert ${alert})` : base, alert);
}

/** Runs a native call, turning what it throws into a DtlsError. */
export function native<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && typeof (e as { code?: unknown }).code === "string") throw dtlsError(e as Error & { code: string });
    throw e;
  }
}
