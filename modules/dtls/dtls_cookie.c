/*
 * dtls_cookie.c: the stateless half of RFC 6347 4.2.1. A ClientHello from an address without a session and
 * without a valid cookie is answered with a HelloVerifyRequest written here, from the ClientHello's own headers,
 * and nothing is kept but that datagram until it is polled; a ClientHello returning a cookie issued to its
 * address proves the sender receives there, and only that one gets a session (dtls_server.c). mbedtls's cookie
 * context (an HMAC over the address, with a timestamp) makes and checks the cookies; mbedtls checks the cookie
 * again in the session. Field offsets: dtls_record.h.
 */
#include "dtls_internal.h"
#include "dtls_record.h"

#include <stdlib.h>
#include <string.h>

dtls_hello_kind dtls_cookie_check(mbedtls_ssl_cookie_ctx *ctx, const uint8_t *peer, size_t peer_len,
                                  const uint8_t *d, size_t len)
{
    const uint8_t *cookie;
    size_t cookie_len;
    if (!dtls_record_hello_cookie(d, len, &cookie, &cookie_len)) return DTLS_HELLO_MALFORMED;
    if (cookie_len > 0 && mbedtls_ssl_cookie_check(ctx, cookie, cookie_len, peer, peer_len) == 0)
        return DTLS_HELLO_PROVEN;
    return DTLS_HELLO_NO_COOKIE;
}

/* The HelloVerifyRequest keeps the ClientHello's record and handshake headers with the type changed (so the
 * record sequence number and message_seq are the ClientHello's, RFC 6347 4.2.1), server_version DTLS 1.0 (as
 * the RFC recommends for it), and a fresh cookie bound to the peer address; then the three lengths are set. */
void dtls_cookie_queue_hvr(dtls_hvr_queue *q, mbedtls_ssl_cookie_ctx *ctx, const uint8_t *peer, size_t peer_len,
                           const uint8_t *d)
{
    enum { COOKIE_MAX = 64, HVR_MAX = DTLS_HVR_COOKIE + COOKIE_MAX };
    if (q->count >= DTLS_MAX_HVR_QUEUE) return;
    dtls_hvr *h = malloc(sizeof *h + HVR_MAX);
    if (h == NULL) return;
    uint8_t *o = h->data;
    memcpy(o, d, DTLS_HS_BODY);
    o[DTLS_HS_TYPE] = DTLS_HS_HELLO_VERIFY_REQUEST;
    o[DTLS_HVR_VERSION] = DTLS_HVR_VERSION_MAJOR;
    o[DTLS_HVR_VERSION + 1] = DTLS_HVR_VERSION_MINOR;
    unsigned char *p = o + DTLS_HVR_COOKIE;
    if (mbedtls_ssl_cookie_write(ctx, &p, o + HVR_MAX, peer, peer_len) != 0) {
        free(h);
        return;
    }
    size_t n = (size_t)(p - o);
    o[DTLS_HVR_COOKIE_LEN] = (uint8_t)(n - DTLS_HVR_COOKIE);
    dtls_put_be(o + DTLS_HS_LENGTH, n - DTLS_HS_BODY, 3);       /* one unfragmented message */
    dtls_put_be(o + DTLS_HS_FRAG_LENGTH, n - DTLS_HS_BODY, 3);
    dtls_put_be(o + DTLS_REC_LENGTH, n - DTLS_REC_HEADER_LEN, 2);
    h->len = n;
    memcpy(h->peer, peer, peer_len);
    h->peer_len = peer_len;
    h->next = NULL;
    if (q->tail) q->tail->next = h; else q->head = h;
    q->tail = h;
    q->count++;
}

void dtls_cookie_drop(dtls_hvr_queue *q)
{
    dtls_hvr *h = q->head;
    if (h == NULL) return;
    q->head = h->next;
    if (q->head == NULL) q->tail = NULL;
    q->count--;
    free(h);
}

void dtls_cookie_clear(dtls_hvr_queue *q)
{
    while (q->head) dtls_cookie_drop(q);
}
