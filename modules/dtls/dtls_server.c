/*
 * dtls_server.c: many sessions on one config, keyed by peer address (and, with RFC 9146 Connection IDs, by
 * CID). A new peer must open with a ClientHello; without a valid cookie it gets only a HelloVerifyRequest
 * (dtls_cookie.c, RFC 6347 4.2.1); with one it gets a free slot, or when full and evict_lru is on the least
 * recently heard session's. dtls_server_poll reports, in this order: a pending eviction, queued
 * HelloVerifyRequests, then per slot its datagrams to send, CONNECTED once, data, and CLOSED once (the slot is
 * freed then). Idle connected sessions expire after idle_ms.
 */
#include "dtls_internal.h"
#include "dtls_record.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    dtls_session *s;        /* NULL: free slot */
    uint64_t last;          /* last datagram in or out */
    int connected_reported;
    int expired;
} _slot;

/* A ClientHello from an address without a session is answered statelessly (RFC 6347 4.2.1): with no valid
 * cookie, the server writes the HelloVerifyRequest itself and keeps nothing but that datagram until it is
 * polled; only a ClientHello that returns a cookie issued to its address gets a session. */
struct dtls_server {
    dtls_cfg *cfg;
    _slot *slots;
    size_t max;
    uint32_t idle_ms;
    dtls_hvr_queue hvr;     /* HelloVerifyRequests to send (dtls_cookie.c) */
    int evict_lru;          /* a newcomer with a valid cookie may replace the least recently heard session */
    uint8_t evicted[DTLS_MAX_PEER_ID]; /* peer whose CLOSED event (code DTLS_ERR_SESSION_LIMIT) is pending */
    size_t evicted_len;     /* 0: none pending */
};

int dtls_server_new(dtls_server **out, const dtls_options *opts, size_t max_sessions, uint32_t idle_ms)
{
    if (out == NULL || opts == NULL || max_sessions == 0 || max_sessions > 4096) return DTLS_ERR_ARGUMENT;
    *out = NULL;
    if (opts->role != DTLS_ROLE_SERVER) return DTLS_ERR_ARGUMENT;
    dtls_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL) return DTLS_ERR_NO_MEMORY;
    srv->slots = calloc(max_sessions, sizeof *srv->slots);
    if (srv->slots == NULL) { free(srv); return DTLS_ERR_NO_MEMORY; }
    int ret = dtls_cfg_new(&srv->cfg, opts);
    if (ret != 0) { free(srv->slots); free(srv); return ret; }
    srv->max = max_sessions;
    srv->idle_ms = idle_ms;
    *out = srv;
    return DTLS_OK;
}

void dtls_server_free(dtls_server *srv)
{
    if (srv == NULL) return;
    for (size_t i = 0; i < srv->max; i++) dtls_session_free(srv->slots[i].s);
    dtls_cookie_clear(&srv->hvr);
    free(srv->slots);
    dtls_cfg_release(srv->cfg);
    free(srv);
}

int dtls_server_set_evict_lru(dtls_server *srv, int on)
{
    if (srv == NULL) return DTLS_ERR_ARGUMENT;
    srv->evict_lru = on != 0;
    return DTLS_OK;
}

static _slot *_find(dtls_server *srv, const uint8_t *peer, size_t len)
{
    for (size_t i = 0; i < srv->max; i++) {
        dtls_session *s = srv->slots[i].s;
        if (s && s->peer_id_len == len && memcmp(s->peer_id, peer, len) == 0) return &srv->slots[i];
    }
    return NULL;
}

static void _slot_clear(_slot *sl)
{
    dtls_session_free(sl->s);
    memset(sl, 0, sizeof *sl);
}

/* A slot for a new peer: a free one or (evict_lru, no eviction report pending) the least recently heard
 * session's, whose end is reported as a CLOSED event with DTLS_ERR_SESSION_LIMIT. NULL when none. */
static _slot *_admit(dtls_server *srv)
{
    for (size_t i = 0; i < srv->max; i++)
        if (srv->slots[i].s == NULL) return &srv->slots[i];
    if (!srv->evict_lru || srv->evicted_len > 0) return NULL;
    _slot *victim = &srv->slots[0];
    for (size_t i = 1; i < srv->max; i++)
        if (srv->slots[i].last < victim->last) victim = &srv->slots[i];
    memcpy(srv->evicted, victim->s->peer_id, victim->s->peer_id_len);
    srv->evicted_len = victim->s->peer_id_len;
    _slot_clear(victim);
    return victim;
}

#if DTLS_COMPAT_HAS_CID
#if MBEDTLS_SSL_CID_IN_LEN_MAX < DTLS_SERVER_CID_LEN
#error "MBEDTLS_SSL_CID_IN_LEN_MAX is smaller than DTLS_SERVER_CID_LEN"
#endif

static _slot *_find_cid(dtls_server *srv, const uint8_t *cid)
{
    for (size_t i = 0; i < srv->max; i++) {
        dtls_session *s = srv->slots[i].s;
        if (s && memcmp(s->cid, cid, DTLS_SERVER_CID_LEN) == 0) return &srv->slots[i];
    }
    return NULL;
}

/* Feeds a CID record to its session and moves the session to the sender's address only when the record
 * gave data (it was authenticated) and is newer than any CID record before it (RFC 9146 6): a replayed or
 * reordered copy from elsewhere cannot steer the peer's traffic. */
static void _feed_cid(_slot *sl, const uint8_t *peer, size_t peer_len, const uint8_t *data, size_t len, uint64_t now)
{
    dtls_session *s = sl->s;
    uint32_t before = s->records_in;
    uint64_t seq = dtls_get_be(data + DTLS_REC_EPOCH, DTLS_REC_SEQ_END - DTLS_REC_EPOCH);
    (void)dtls_session_feed(s, data, len, now);
    if (s->records_in == before) return;
    sl->last = now;
    if (seq <= s->cid_top) return;
    s->cid_top = seq;
    if (s->peer_id_len != peer_len || memcmp(s->peer_id, peer, peer_len) != 0) dtls_session_bind_peer(s, peer, peer_len);
}
#endif

int dtls_server_feed(dtls_server *srv, const uint8_t *peer, size_t peer_len, const uint8_t *data, size_t len, uint64_t now)
{
    if (srv == NULL || peer == NULL || peer_len == 0 || peer_len > DTLS_MAX_PEER_ID || (data == NULL && len > 0))
        return DTLS_ERR_ARGUMENT;
#if DTLS_COMPAT_HAS_CID
    if (srv->cfg->want_cid && len >= DTLS_REC_CID_HEADER_LEN(DTLS_SERVER_CID_LEN) && data[DTLS_REC_TYPE] == DTLS_CT_TLS12_CID) {
        _slot *cs = _find_cid(srv, data + DTLS_REC_CID);
        if (cs != NULL && !cs->expired && !dtls_session_ended(cs->s))
            _feed_cid(cs, peer, peer_len, data, len, now);
        return DTLS_OK; /* an unknown CID: nobody's record, dropped */
    }
#endif
    _slot *sl = _find(srv, peer, peer_len);
    if (sl != NULL && (sl->expired || dtls_session_ended(sl->s)))
        return DTLS_OK; /* a finished session whose end is not reported yet: the client retransmits */
    if (sl == NULL) {
        if (!dtls_record_is_client_hello(data, len)) return DTLS_OK; /* not for us: ignore quietly */
        if (srv->cfg->srv->has_cookie) {
            dtls_hello_kind k = dtls_cookie_check(&srv->cfg->srv->cookie, peer, peer_len, data, len);
            if (k == DTLS_HELLO_MALFORMED) return DTLS_OK;
            if (k == DTLS_HELLO_NO_COOKIE) {
                dtls_cookie_queue_hvr(&srv->hvr, &srv->cfg->srv->cookie, peer, peer_len, data);
                return DTLS_OK;
            }
        }
        sl = _admit(srv);
        if (sl == NULL) return DTLS_ERR_SESSION_LIMIT;
        int ret = dtls_session_new_shared(&sl->s, srv->cfg, peer, peer_len, now);
        if (ret != 0) { memset(sl, 0, sizeof *sl); return ret; }
    }
    sl->last = now;
    (void)dtls_session_feed(sl->s, data, len, now); /* failures come out of dtls_server_poll */
    return DTLS_OK;
}

int dtls_server_handle_timeout(dtls_server *srv, uint64_t now)
{
    if (srv == NULL) return DTLS_ERR_ARGUMENT;
    for (size_t i = 0; i < srv->max; i++) {
        _slot *sl = &srv->slots[i];
        if (sl->s == NULL || sl->expired) continue;
        (void)dtls_session_handle_timeout(sl->s, now);
        if (srv->idle_ms && sl->s->state == DTLS_STATE_CONNECTED && now - sl->last >= srv->idle_ms)
            sl->expired = 1;
    }
    return DTLS_OK;
}

int64_t dtls_server_next_timeout(const dtls_server *srv)
{
    if (srv == NULL) return -1;
    int64_t next = -1;
    for (size_t i = 0; i < srv->max; i++) {
        const _slot *sl = &srv->slots[i];
        if (sl->s == NULL || sl->expired) continue;
        int64_t t = dtls_session_next_timeout(sl->s);
        if (srv->idle_ms && sl->s->state == DTLS_STATE_CONNECTED) {
            int64_t idle = (int64_t)(sl->last + srv->idle_ms);
            if (t < 0 || idle < t) t = idle;
        }
        if (t >= 0 && (next < 0 || t < next)) next = t;
    }
    return next;
}

static void _event_peer(dtls_server_event *ev, const dtls_session *s, dtls_event_kind kind)
{
    ev->kind = kind;
    memcpy(ev->peer, s->peer_id, s->peer_id_len);
    ev->peer_len = s->peer_id_len;
    ev->len = 0;
    ev->code = 0;
    ev->alert = -1;
}

int dtls_server_poll(dtls_server *srv, dtls_server_event *ev, uint8_t *buf, size_t cap)
{
    if (srv == NULL || ev == NULL || (buf == NULL && cap > 0)) return DTLS_ERR_ARGUMENT;
    memset(ev, 0, sizeof *ev);
    if (srv->evicted_len > 0) {
        ev->kind = DTLS_EV_CLOSED;
        memcpy(ev->peer, srv->evicted, srv->evicted_len);
        ev->peer_len = srv->evicted_len;
        ev->code = DTLS_ERR_SESSION_LIMIT;
        ev->alert = -1;
        srv->evicted_len = 0;
        return 1;
    }
    const dtls_hvr *h = dtls_cookie_peek(&srv->hvr);
    if (h != NULL) {
        ev->kind = DTLS_EV_TRANSMIT;
        memcpy(ev->peer, h->peer, h->peer_len);
        ev->peer_len = h->peer_len;
        ev->len = h->len;
        ev->alert = -1;
        if (h->len > cap) return DTLS_ERR_BUFFER_TOO_SMALL;
        memcpy(buf, h->data, h->len);
        dtls_cookie_drop(&srv->hvr);
        return 1;
    }
    for (size_t i = 0; i < srv->max; i++) {
        _slot *sl = &srv->slots[i];
        dtls_session *s = sl->s;
        if (s == NULL) continue;
        size_t n;
        if (s->tx.count > 0) {
            _event_peer(ev, s, DTLS_EV_TRANSMIT);
            int r = dtls_queue_pop(&s->tx, buf, cap, &n);
            ev->len = n;
            if (r == 1) sl->last = s->now > sl->last ? s->now : sl->last;
            return r;
        }
        if (s->state == DTLS_STATE_CONNECTED && !sl->connected_reported) {
            _event_peer(ev, s, DTLS_EV_CONNECTED);
            if (s->psk != NULL) { /* buf: the PSK identity the peer authenticated with */
                ev->len = s->psk->id_len;
                if (ev->len > cap) return DTLS_ERR_BUFFER_TOO_SMALL;
                memcpy(buf, s->psk->id, ev->len);
            }
            sl->connected_reported = 1;
            return 1;
        }
        if (s->rx.count > 0) {
            _event_peer(ev, s, DTLS_EV_DATA);
            int r = dtls_queue_pop(&s->rx, buf, cap, &n);
            ev->len = n;
            return r;
        }
        if (sl->expired || dtls_session_ended(s)) {
            _event_peer(ev, s, DTLS_EV_CLOSED);
            ev->code = sl->expired ? DTLS_ERR_IDLE_TIMEOUT : s->err;
            ev->alert = s->alert;
            _slot_clear(sl);
            return 1;
        }
    }
    return 0;
}

int dtls_server_write(dtls_server *srv, const uint8_t *peer, size_t peer_len, const uint8_t *data, size_t len, uint64_t now)
{
    if (srv == NULL || peer == NULL || peer_len == 0 || peer_len > DTLS_MAX_PEER_ID) return DTLS_ERR_ARGUMENT;
    _slot *sl = _find(srv, peer, peer_len);
    if (sl == NULL || sl->expired) return DTLS_ERR_UNKNOWN_PEER;
    int ret = dtls_session_write(sl->s, data, len, now);
    if (ret == 0) sl->last = now;
    return ret;
}

int dtls_server_close_peer(dtls_server *srv, const uint8_t *peer, size_t peer_len, uint64_t now)
{
    if (srv == NULL || peer == NULL || peer_len == 0 || peer_len > DTLS_MAX_PEER_ID) return DTLS_ERR_ARGUMENT;
    _slot *sl = _find(srv, peer, peer_len);
    if (sl == NULL) return DTLS_ERR_UNKNOWN_PEER;
    return dtls_session_close(sl->s, now);
}

size_t dtls_server_count(const dtls_server *srv)
{
    size_t n = 0;
    if (srv == NULL) return 0;
    for (size_t i = 0; i < srv->max; i++)
        if (srv->slots[i].s != NULL) n++;
    return n;
}
