/*
 * dtls_errors.c: the one table of DTLS_ERR_* codes, their strings and faults (rustls-style: who is at fault,
 * "peer", "caller", "environment" or "internal"), and the one mapping of mbedtls errors onto them. The
 * bindings and the TypeScript DtlsError take these strings as they are.
 */
#include "dtls_internal.h"
#include "dtls_record.h"

#include <string.h>

/* ------------------------------------------------------------------------------------------------------ */
/* the table                                                                                              */

typedef struct { int err; const char *code; const char *fault; } _err_row;

static const _err_row _errors[] = {
    { DTLS_ERR_ARGUMENT, "dtls.bad_argument", "caller" },
    { DTLS_ERR_NO_MEMORY, "dtls.no_memory", "environment" },
    { DTLS_ERR_STATE, "dtls.bad_state", "caller" },
    { DTLS_ERR_BUFFER_TOO_SMALL, "dtls.buffer_too_small", "caller" },
    { DTLS_ERR_TOO_BIG, "dtls.datagram_too_big", "caller" },
    { DTLS_ERR_ENTROPY, "dtls.entropy", "environment" },
    { DTLS_ERR_CONFIG, "dtls.bad_config", "caller" },
    { DTLS_ERR_BAD_PSK, "dtls.bad_psk", "peer" },
    { DTLS_ERR_UNKNOWN_IDENTITY, "dtls.unknown_identity", "peer" },
    { DTLS_ERR_UNTRUSTED_CERT, "dtls.untrusted_certificate", "peer" },
    { DTLS_ERR_EXPIRED_CERT, "dtls.expired_certificate", "peer" },
    { DTLS_ERR_NAME_MISMATCH, "dtls.name_mismatch", "peer" },
    { DTLS_ERR_BAD_CERT, "dtls.bad_certificate", "peer" },
    { DTLS_ERR_HANDSHAKE_TIMEOUT, "dtls.handshake_timeout", "environment" },
    { DTLS_ERR_PEER_CLOSED, "dtls.peer_closed", "peer" },
    { DTLS_ERR_FATAL_ALERT, "dtls.fatal_alert", "peer" },
    { DTLS_ERR_SESSION_LIMIT, "dtls.session_limit", "environment" },
    { DTLS_ERR_NO_SHARED_CIPHER, "dtls.no_shared_cipher", "peer" },
    { DTLS_ERR_PROTOCOL, "dtls.protocol_error", "peer" },
    { DTLS_ERR_UNAVAILABLE, "dtls.unavailable", "caller" },
    { DTLS_ERR_SESSION_INVALID, "dtls.session_invalid", "caller" },
    { DTLS_ERR_CLOSED, "dtls.closed", "caller" },
    { DTLS_ERR_UNKNOWN_PEER, "dtls.unknown_peer", "caller" },
    { DTLS_ERR_IDLE_TIMEOUT, "dtls.idle_timeout", "environment" },
    { DTLS_ERR_INTERNAL, "dtls.internal", "internal" },
};

static const _err_row *_find_error(int err)
{
    for (size_t i = 0; i < sizeof _errors / sizeof _errors[0]; i++)
        if (_errors[i].err == err) return &_errors[i];
    return NULL;
}

const char *dtls_error_code(int err)
{
    const _err_row *r = _find_error(err);
    return r ? r->code : (err == 0 ? "dtls.ok" : "dtls.internal");
}

const char *dtls_error_fault(int err)
{
    const _err_row *r = _find_error(err);
    return r ? r->fault : "internal";
}

const char *dtls_error_fault_of(const char *code)
{
    if (code == NULL) return "internal";
    for (size_t i = 0; i < sizeof _errors / sizeof _errors[0]; i++)
        if (strcmp(_errors[i].code, code) == 0) return _errors[i].fault;
    return "internal";
}

/* ------------------------------------------------------------------------------------------------------ */
/* mbedtls errors as DTLS_ERR_*                                                                          */

/* A stalled handshake after our Finished went out, with PSK only, means the peer could not decrypt it:
 * DTLS peers silently drop records that fail authentication (RFC 6347 4.1.2.7), so no alert comes. */
int dtls_map_timeout(const dtls_session *s)
{
    if (s->cfg->psk_only) {
        if (s->cfg->role == DTLS_ROLE_CLIENT && dtls_session_seen(s, MBEDTLS_SSL_SERVER_CHANGE_CIPHER_SPEC)) return DTLS_ERR_BAD_PSK;
        if (s->cfg->role == DTLS_ROLE_SERVER && dtls_session_seen(s, MBEDTLS_SSL_CLIENT_FINISHED)) return DTLS_ERR_BAD_PSK;
    }
    return DTLS_ERR_HANDSHAKE_TIMEOUT;
}

/* Maps an mbedtls error to DTLS_ERR_*. If-chains, not a switch: codes alias on 4.x (gotcha 1). */
int dtls_map_error(dtls_session *s, int ret)
{
    if (ret == MBEDTLS_ERR_SSL_TIMEOUT) return dtls_map_timeout(s);
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return DTLS_ERR_PEER_CLOSED;
    if (ret == MBEDTLS_ERR_SSL_ALLOC_FAILED) return DTLS_ERR_NO_MEMORY;
#if defined(PSA_ERROR_INSUFFICIENT_MEMORY) /* 4.x passes PSA's codes through: no heap, or no free key slot */
    if (ret == PSA_ERROR_INSUFFICIENT_MEMORY) return DTLS_ERR_NO_MEMORY;
#endif
    if (s->pin_failed) return DTLS_ERR_UNTRUSTED_CERT;
    if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
        int a = DTLS_COMPAT_IN_MSG(&s->ssl)[DTLS_ALERT_DESCRIPTION];
        s->alert = a;
        if (a == MBEDTLS_SSL_ALERT_MSG_UNKNOWN_PSK_IDENTITY) return DTLS_ERR_UNKNOWN_IDENTITY;
        if (s->cfg->psk_only && (a == MBEDTLS_SSL_ALERT_MSG_DECRYPT_ERROR || a == MBEDTLS_SSL_ALERT_MSG_BAD_RECORD_MAC))
            return DTLS_ERR_BAD_PSK;
        if (a == MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE && !dtls_session_seen(s, MBEDTLS_SSL_SERVER_HELLO_DONE) &&
            s->cfg->role == DTLS_ROLE_CLIENT)
            return DTLS_ERR_NO_SHARED_CIPHER;
        return DTLS_ERR_FATAL_ALERT;
    }
#if defined(MBEDTLS_ERR_SSL_UNKNOWN_IDENTITY)
    if (ret == MBEDTLS_ERR_SSL_UNKNOWN_IDENTITY) return DTLS_ERR_UNKNOWN_IDENTITY;
#endif
#if defined(MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE) /* 3.x reports MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE instead */
    if (ret == MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE) return DTLS_ERR_NO_SHARED_CIPHER;
#endif
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        uint32_t f = mbedtls_ssl_get_verify_result(&s->ssl);
        if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED) return DTLS_ERR_UNTRUSTED_CERT;
        if (f & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE)) return DTLS_ERR_EXPIRED_CERT;
        if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH) return DTLS_ERR_NAME_MISMATCH;
        return DTLS_ERR_BAD_CERT;
    }
#if defined(MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED)
    if (ret == MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED) return DTLS_ERR_CONFIG;
#endif
    if (ret <= -0x2000 && ret > -0x3000) return DTLS_ERR_BAD_CERT; /* other X509 errors */
    if (ret == MBEDTLS_ERR_SSL_BAD_INPUT_DATA) return DTLS_ERR_INTERNAL;
    return DTLS_ERR_PROTOCOL;
}
