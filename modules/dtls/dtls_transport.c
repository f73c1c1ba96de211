/*
 * dtls_transport.c: what mbedtls is given instead of a socket and a clock. dtls_bio_recv hands it the datagram
 * being fed (one datagram per dtls_session_feed, RFC 6347 4.1.1: records never span datagrams), dtls_bio_send
 * queues what it writes, and dtls_timer_set/get implement mbedtls_ssl_set_timer_cb over the caller's `now`.
 * The queues are bounded (DTLS_MAX_TX_QUEUE, DTLS_MAX_RX_QUEUE): past the bound a datagram counts as lost.
 */
#include "dtls_internal.h"

#include <stdlib.h>
#include <string.h>

void dtls_queue_clear(dtls_queue *q)
{
    dtls_dgram *d = q->head;
    while (d != NULL) {
        dtls_dgram *next = d->next;
        free(d);
        d = next;
    }
    q->head = q->tail = NULL;
    q->count = 0;
}

void dtls_queue_push(dtls_queue *q, dtls_dgram *d)
{
    d->next = NULL;
    if (q->tail) q->tail->next = d; else q->head = d;
    q->tail = d;
    q->count++;
}

int dtls_queue_pop(dtls_queue *q, uint8_t *buf, size_t cap, size_t *len)
{
    dtls_dgram *d = q->head;
    if (d == NULL) { *len = 0; return 0; }
    *len = d->len;
    if (d->len > cap) return DTLS_ERR_BUFFER_TOO_SMALL;
    if (d->len) memcpy(buf, d->data, d->len);
    q->head = d->next;
    if (q->head == NULL) q->tail = NULL;
    q->count--;
    free(d);
    return 1;
}

int dtls_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    dtls_session *s = (dtls_session *)ctx;
    if (s->tx.count >= DTLS_MAX_TX_QUEUE) { s->dropped++; return (int)len; } /* like a lost datagram */
    dtls_dgram *d = malloc(sizeof *d + len);
    if (d == NULL) { s->dropped++; return (int)len; }
    d->len = len;
    memcpy(d->data, buf, len);
    dtls_queue_push(&s->tx, d);
    s->tx_datagrams++;
    s->tx_bytes += (uint32_t)len;
    return (int)len;
}

int dtls_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    dtls_session *s = (dtls_session *)ctx;
    if (s->in == NULL || s->in_len == 0) return MBEDTLS_ERR_SSL_WANT_READ;
    size_t n = s->in_len;
    const uint8_t *in = s->in;
    s->in = NULL;
    if (n > len) return MBEDTLS_ERR_SSL_WANT_READ; /* larger than our record buffer: dropped */
    memcpy(buf, in, n);
    return (int)n;
}

void dtls_timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms)
{
    dtls_session *s = (dtls_session *)ctx;
    s->t_start = s->now;
    s->t_int = int_ms;
    s->t_fin = fin_ms;
}

int dtls_timer_get(void *ctx)
{
    dtls_session *s = (dtls_session *)ctx;
    if (s->t_fin == 0) return -1;
    uint64_t elapsed = s->now >= s->t_start ? s->now - s->t_start : 0;
    if (elapsed >= s->t_fin) return 2;
    if (elapsed >= s->t_int) return 1;
    return 0;
}
