/*
 * dtls_record.c: the few record-layer checks modules/dtls makes before mbedtls sees a datagram. Field names and
 * the layout diagrams: dtls_record.h.
 */
#include "dtls_record.h"

static int _epoch0_handshake(const uint8_t *r)
{
    return r[DTLS_REC_TYPE] == DTLS_CT_HANDSHAKE && dtls_get_be(r + DTLS_REC_EPOCH, 2) == 0;
}

int dtls_record_hello_cookie(const uint8_t *d, size_t n, const uint8_t **cookie, size_t *cookie_len)
{
    enum { SID = DTLS_CH_SESSION_ID_LEN };
    if (n < SID + 2 || !_epoch0_handshake(d) || dtls_get_be(d + DTLS_HS_FRAG_OFFSET, 3) != 0) return 0;
    size_t at = SID + 1 + (size_t)d[SID];
    if (at + 1 > n) return 0;
    *cookie_len = d[at++];
    if (at + *cookie_len > n) return 0;
    *cookie = d + at;
    return 1;
}

int dtls_record_is_client_hello(const uint8_t *d, size_t len)
{
    return len >= DTLS_HS_BODY && d[DTLS_REC_TYPE] == DTLS_CT_HANDSHAKE && d[DTLS_HS_TYPE] == DTLS_HS_CLIENT_HELLO;
}

/* mbedtls 2.28 / 3.6 fail the whole session instead of dropping on two inputs, found by the selftest's hostile
 * datagrams: a record cut short at the end of a datagram after a record they skipped, and, on a connected
 * server, an epoch-0 ClientHello that their reconnect check (RFC 6347 4.2.8) finds malformed. */
size_t dtls_record_sane_prefix(const uint8_t *d, size_t len, size_t cid_len, int connected_server)
{
    size_t at = 0;
    while (len - at >= DTLS_REC_HEADER_LEN) {
        const uint8_t *r = d + at;
        size_t header = DTLS_REC_HEADER_LEN;
        if (r[DTLS_REC_TYPE] == DTLS_CT_TLS12_CID) header = DTLS_REC_CID_HEADER_LEN(cid_len); /* our own CID */
        if (len - at < header) break;
        size_t body = (size_t)dtls_get_be(r + header - 2, 2);
        if (body > len - at - header) break;
        const uint8_t *cookie;
        size_t cookie_len;
        if (connected_server && _epoch0_handshake(r) && body > 0 && r[DTLS_HS_TYPE] == DTLS_HS_CLIENT_HELLO &&
            !dtls_record_hello_cookie(r, header + body, &cookie, &cookie_len)) /* within its record */
            break;
        at += header + body;
    }
    return at;
}
