/**
 * DtlsServerError: what the DTLS server driver itself decides about a peer (the C core reports its own
 * failures as DtlsError). Codes are the C core's for the same outcome, so a log reads the same on every host:
 *  - `dtls.session_limit` (environment): the peer was the least recently heard when a newcomer needed room;
 *  - `dtls.idle_timeout` (environment): the peer was silent for the idle timeout;
 *  - `dtls.closed` (caller): a write to a peer that holds no session (never connected, or gone).
 */
import { IdpgateError, nameError, type Fault } from "../errors.js";

export type DtlsServerErrorCode = "dtls.session_limit" | "dtls.idle_timeout" | "dtls.closed";

const FAULTS: Record<DtlsServerErrorCode, Fault> = {
  "dtls.session_limit": "environment",
  "dtls.idle_timeout": "environment",
  "dtls.closed": "caller",
};

export class DtlsServerError extends IdpgateError {
  constructor(code: DtlsServerErrorCode, message: string) {
    super(code, FAULTS[code], message);
    nameError(this, "DtlsServerError");
  }
}
