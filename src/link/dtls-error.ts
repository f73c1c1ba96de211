/**
 * DtlsError: the typed error of the DTLS layer on every host (modules/dtls/dtls.ts, the XS binding; the Node wrapper in
 * hosts/node/dtls). `code` is the stable string mapped once, in the C core (`dtls.bad_psk`,
 * `dtls.handshake_timeout`, `dtls.fatal_alert`, ...); `alert` is the TLS alert number when one was received
 * (-1 otherwise).
 */
import { IdpgateError, nameError, type Fault } from "../errors.js";

export class DtlsError extends IdpgateError {
  readonly alert: number;

  constructor(code: string, fault: Fault, message: string, alert = -1) {
    super(code, fault, message);
    this.alert = alert;
  }
}
nameError(DtlsError, "DtlsError");

/** A fault string reported by a binding, anything unknown counting as "internal". */
export function faultOf(v: unknown): Fault {
  return v === "peer" || v === "caller" || v === "environment" ? v : "internal";
}
