/*
 * dtls_errors.h: the DTLS_ERR_* codes of modules/dtls, their stable strings ("dtls.bad_psk") and who is at fault
 * ("peer", "caller", "environment", "internal"). The one table is in dtls_errors.c; both bindings (XS, N-API)
 * pass its strings through and keep no list of their own. Included by dtls_session.h.
 */
#ifndef DTLS_ERRORS_H
#define DTLS_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

#define DTLS_OK 0
#define DTLS_ERR_ARGUMENT (-1)          /* caller: bad argument or length */
#define DTLS_ERR_NO_MEMORY (-2)         /* environment */
#define DTLS_ERR_STATE (-3)             /* caller: call not valid in this state */
#define DTLS_ERR_BUFFER_TOO_SMALL (-4)  /* caller: output buffer too small (nothing consumed) */
#define DTLS_ERR_TOO_BIG (-5)           /* caller: plaintext larger than one record under the MTU */
#define DTLS_ERR_ENTROPY (-6)           /* environment: entropy source failed */
#define DTLS_ERR_CONFIG (-7)            /* caller: unusable configuration (PEM, key, suite) */
#define DTLS_ERR_BAD_PSK (-8)           /* peer: Finished not verified with our PSK (key mismatch) */
#define DTLS_ERR_UNKNOWN_IDENTITY (-9)  /* peer: PSK identity not known */
#define DTLS_ERR_UNTRUSTED_CERT (-10)   /* peer: chain not trusted / pin mismatch */
#define DTLS_ERR_EXPIRED_CERT (-11)     /* peer: certificate expired or not yet valid */
#define DTLS_ERR_NAME_MISMATCH (-12)    /* peer: certificate not for the expected server name */
#define DTLS_ERR_BAD_CERT (-13)         /* peer: other certificate problem */
#define DTLS_ERR_HANDSHAKE_TIMEOUT (-14)/* environment: no answer before the handshake deadline */
#define DTLS_ERR_PEER_CLOSED (-15)      /* peer: close_notify received */
#define DTLS_ERR_FATAL_ALERT (-16)      /* peer: fatal alert (number in dtls_session_error) */
#define DTLS_ERR_SESSION_LIMIT (-17)    /* environment: server has no room for another peer */
#define DTLS_ERR_NO_SHARED_CIPHER (-18) /* peer: no cipher suite in common */
#define DTLS_ERR_PROTOCOL (-19)         /* peer: malformed or unexpected handshake message */
#define DTLS_ERR_UNAVAILABLE (-20)      /* caller: feature not available with this mbedtls */
#define DTLS_ERR_SESSION_INVALID (-21)  /* caller: saved session unusable (other library/config) */
#define DTLS_ERR_CLOSED (-22)           /* caller: session is closed or failed */
#define DTLS_ERR_UNKNOWN_PEER (-23)     /* caller: server has no session for that peer */
#define DTLS_ERR_IDLE_TIMEOUT (-24)     /* environment: server dropped an idle session */
#define DTLS_ERR_INTERNAL (-25)         /* internal: unexpected mbedtls error */

/** [in] err: a DTLS_ERR_* code. Returns its stable string ("dtls.bad_psk"); "dtls.ok" for 0, "dtls.internal"
 *  for an unknown code; never NULL. */
const char *dtls_error_code(int err);
/** [in] err. Returns "peer", "caller", "environment" or "internal" (unknown codes); never NULL. */
const char *dtls_error_fault(int err);
/** [in] code: a string from dtls_error_code ("dtls.bad_psk"), may be NULL. Returns its fault, "internal" when
 *  the string is no code of this table; never NULL. For bindings that hand out code strings and are later
 *  asked for their fault. */
const char *dtls_error_fault_of(const char *code);

#ifdef __cplusplus
}
#endif
#endif /* DTLS_ERRORS_H */
