/*
 * dtls_session.c: one sans-IO DTLS 1.2 session over mbedtls. See dtls_session.h for the theory of operation,
 * dtls_transport.c for the memory bio and timer mbedtls is given, dtls_errors.c for how its errors are named.
 * Version differences live in dtls_compat.h only.
 *
 * States (dtls_state) and their transitions. Every change of s->state goes through _enter(); builds with
 * DTLS_CHECK_TRANSITIONS (the selftest, its sanitizer and hostile-datagram runs: test/Makefile) assert each one
 * against _next_states below. Device builds carry no assert (it would pull abort() and stdio into the image).
 *
 *   from         event                                                  to           where
 *   -----------  -----------------------------------------------------  -----------  -------------------------
 *   (new)        dtls_session_new, dtls_session_new_shared              HANDSHAKING  _session_alloc (calloc)
 *   HANDSHAKING  mbedtls reaches HANDSHAKE_OVER                         CONNECTED    _handshake
 *   HANDSHAKING  HelloVerifyRequest sent (server, RFC 6347 4.2.1)       HANDSHAKING  _handshake: _restart_server
 *   CONNECTED    ClientHello from the same address (server, 4.2.8)      HANDSHAKING  _read_app: _restart_server
 *   CONNECTED    close_notify received (err = DTLS_ERR_PEER_CLOSED)     CLOSED       _read_app
 *   HANDSHAKING  dtls_session_close                                     CLOSED       dtls_session_close
 *   CONNECTED    dtls_session_close (close_notify queued)               CLOSED       dtls_session_close
 *   CLOSED       dtls_session_close                                     CLOSED       dtls_session_close
 *   HANDSHAKING  handshake deadline passed                              FAILED       _check_deadline
 *   HANDSHAKING  mbedtls error, fatal alert, pin mismatch, no memory    FAILED       _fail
 *   CONNECTED    mbedtls error, fatal alert, no memory                  FAILED       _fail
 *   FAILED       dtls_session_close                                     FAILED       (nothing changes)
 *
 * In CLOSED and FAILED, feed and write return DTLS_ERR_CLOSED; handle_timeout does nothing; the error stays.
 * Calls that make no sense in a state return DTLS_ERR_STATE and change nothing.
 */
#include "dtls_internal.h"
#include "dtls_record.h"

#include <stdlib.h>
#include <string.h>

#if defined(DTLS_CHECK_TRANSITIONS)
#include <assert.h>

#define _BIT(st) (1u << (st))

/* Row: a state; bits: the states it may move to (the table above). */
static const uint8_t _next_states[] = {
    [DTLS_STATE_HANDSHAKING] = _BIT(DTLS_STATE_HANDSHAKING) | _BIT(DTLS_STATE_CONNECTED) | _BIT(DTLS_STATE_CLOSED) |
                               _BIT(DTLS_STATE_FAILED),
    [DTLS_STATE_CONNECTED] = _BIT(DTLS_STATE_HANDSHAKING) | _BIT(DTLS_STATE_CLOSED) | _BIT(DTLS_STATE_FAILED),
    [DTLS_STATE_CLOSED] = _BIT(DTLS_STATE_CLOSED),
    [DTLS_STATE_FAILED] = 0,
};

#define _CHECK_TRANSITION(from, to) assert((from) < sizeof _next_states && (_next_states[from] & _BIT(to)) != 0)
#else
#define _CHECK_TRANSITION(from, to) ((void)0)
#endif

static void _enter(dtls_session *s, dtls_state to)
{
    _CHECK_TRANSITION(s->state, to);
    s->state = (uint8_t)to;
    if (to == DTLS_STATE_CONNECTED) s->connected_seen = 1;
}

#if DTLS_COMPAT_HAS_CID
#define _COUNT_RECORD(s) ((s)->records_in++)
#else
#define _COUNT_RECORD(s) ((void)0)
#endif

/* Only servers get room for a peer address key. */
static size_t _session_size(const dtls_cfg *c)
{
    return sizeof(dtls_session) + (c->role == DTLS_ROLE_SERVER ? DTLS_MAX_PEER_ID : 0);
}

/* Pins the server certificate (depth 0) when configured; otherwise leaves mbedtls's verdict alone. */
static int _verify_cb(void *p, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    dtls_session *s = (dtls_session *)p;
    dtls_cfg *c = s->cfg;
    if (c->pin_kind == DTLS_PIN_NONE) return 0;
    if (depth > 0) {
        if (!c->has_ca) *flags = 0; /* the pin, not a CA, decides */
        return 0;
    }
    unsigned char hash[32];
    int ret;
    if (c->pin_kind == DTLS_PIN_CERT_SHA256) {
        ret = dtls_compat_sha256(DTLS_COMPAT_CRT_RAW(crt).p, DTLS_COMPAT_CRT_RAW(crt).len, hash);
    } else {
        unsigned char der[200]; /* SubjectPublicKeyInfo of a P-256 key is 91 bytes */
        int n = mbedtls_pk_write_pubkey_der(DTLS_COMPAT_CRT_PK(crt), der, sizeof der);
        ret = n > 0 ? dtls_compat_sha256(der + sizeof der - n, (size_t)n, hash) : -1;
    }
    if (ret != 0 || memcmp(hash, c->pki->pin, 32) != 0) {
        s->pin_failed = 1;
        return MBEDTLS_ERR_X509_FATAL_ERROR;
    }
    if (!c->has_ca) *flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_CN_MISMATCH);
    return 0;
}

static int _fail(dtls_session *s, int err, int lib_err)
{
    if (s->state != DTLS_STATE_FAILED) {
        _enter(s, DTLS_STATE_FAILED);
        s->err = err;
        s->lib_err = lib_err;
    }
    return err;
}

static void _set_transport_id(dtls_session *s)
{
    if (s->cfg->role == DTLS_ROLE_SERVER && s->peer_id_len > 0)
        (void)mbedtls_ssl_set_client_transport_id(&s->ssl, s->peer_id, s->peer_id_len);
}

static int _read_app(dtls_session *s);

static int _restart_server(dtls_session *s)
{
    if (mbedtls_ssl_session_reset(&s->ssl) != 0) return _fail(s, DTLS_ERR_INTERNAL, 0);
    _set_transport_id(s);
    s->seen = 0;
    s->hs_deadline = s->now + s->cfg->hs_deadline_ms;
    return 0;
}

static int _handshake(dtls_session *s)
{
    for (int i = 0; i < 64; i++) {
        int st = DTLS_COMPAT_SSL_STATE(&s->ssl);
        if (st == MBEDTLS_SSL_HANDSHAKE_OVER) break;
        if (st >= 0 && st < 32) s->seen |= 1u << st;
        int ret = mbedtls_ssl_handshake_step(&s->ssl);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) return DTLS_OK;
        if (ret == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) {
            s->hvr = 1; /* RFC 6347 4.2.1: the cookie went out; keep no state for this ClientHello */
            return _restart_server(s);
        }
        if (ret != 0) return _fail(s, dtls_map_error(s, ret), ret);
    }
    if (DTLS_COMPAT_SSL_STATE(&s->ssl) != MBEDTLS_SSL_HANDSHAKE_OVER) return DTLS_OK;
    _enter(s, DTLS_STATE_CONNECTED);
    s->t_fin = 0;
    return _read_app(s);
}

/* Reads every complete record into the plaintext queue, one datagram per record. */
static int _read_app(dtls_session *s)
{
    for (int i = 0; i < 64; i++) {
        unsigned char probe;
        int ret = mbedtls_ssl_read(&s->ssl, &probe, 0);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) return DTLS_OK;
        if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            _enter(s, DTLS_STATE_CLOSED);
            s->err = DTLS_ERR_PEER_CLOSED;
            return DTLS_OK;
        }
#if defined(MBEDTLS_SSL_DTLS_CLIENT_PORT_REUSE) && defined(MBEDTLS_ERR_SSL_CLIENT_RECONNECT)
        if (ret == MBEDTLS_ERR_SSL_CLIENT_RECONNECT && s->cfg->role == DTLS_ROLE_SERVER) {
            /* RFC 6347 4.2.8: a new ClientHello from the same address; mbedtls kept it. */
            dtls_queue_clear(&s->rx);
            _enter(s, DTLS_STATE_HANDSHAKING);
            int r = _restart_server(s);
            return r != 0 ? r : _handshake(s);
        }
#endif
        if (ret < 0) return _fail(s, dtls_map_error(s, ret), ret);
        size_t avail = mbedtls_ssl_get_bytes_avail(&s->ssl);
        if (avail == 0) { _COUNT_RECORD(s); continue; } /* an empty record */
        dtls_dgram *d = malloc(sizeof *d + avail);
        if (d == NULL) return _fail(s, DTLS_ERR_NO_MEMORY, 0);
        ret = mbedtls_ssl_read(&s->ssl, d->data, avail);
        if (ret != (int)avail) {
            free(d);
            return _fail(s, ret < 0 ? dtls_map_error(s, ret) : DTLS_ERR_INTERNAL, ret);
        }
        d->len = avail;
        _COUNT_RECORD(s);
        if (s->rx.count >= DTLS_MAX_RX_QUEUE) {
            free(d);
            s->dropped++;
            continue;
        }
        dtls_queue_push(&s->rx, d);
    }
    return DTLS_OK;
}

/* A session on config c (a reference is taken). Only servers get room for a peer address key. */
static int _session_alloc(dtls_session **out, dtls_cfg *c)
{
    dtls_session *s = calloc(1, _session_size(c));
    *out = s;
    if (s == NULL) return DTLS_ERR_NO_MEMORY;
    c->refs++;
    s->cfg = c;
    s->alert = -1;
    mbedtls_ssl_init(&s->ssl);
    if (mbedtls_ssl_setup(&s->ssl, &c->conf) != 0) {
        dtls_session_free(s);
        *out = NULL;
        return DTLS_ERR_NO_MEMORY;
    }
    mbedtls_ssl_set_bio(&s->ssl, s, dtls_bio_send, dtls_bio_recv, NULL);
    mbedtls_ssl_set_timer_cb(&s->ssl, s, dtls_timer_set, dtls_timer_get);
    mbedtls_ssl_set_mtu(&s->ssl, c->mtu);
    mbedtls_ssl_set_verify(&s->ssl, _verify_cb, s);
#if DTLS_COMPAT_HAS_CID
    if (c->want_cid) {
        if ((c->cid_len > 0 && dtls_compat_random(c->rng, s->cid, c->cid_len) != 0) ||
            mbedtls_ssl_set_cid(&s->ssl, MBEDTLS_SSL_CID_ENABLED, s->cid, c->cid_len) != 0) {
            dtls_session_free(s);
            *out = NULL;
            return DTLS_ERR_ENTROPY;
        }
    }
#endif
    return DTLS_OK;
}

void dtls_session_bind_peer(dtls_session *s, const uint8_t *id, size_t len)
{
    memcpy(s->peer_id, id, len);
    s->peer_id_len = (uint8_t)len; /* <= DTLS_MAX_PEER_ID */
    _set_transport_id(s);
}

int dtls_session_new(dtls_session **out, const dtls_options *opts)
{
    if (out == NULL || opts == NULL) return DTLS_ERR_ARGUMENT;
    *out = NULL;
    dtls_cfg *c;
    int ret = dtls_cfg_new(&c, opts);
    if (ret != 0) return ret;
    dtls_session *s;
    ret = _session_alloc(&s, c);
    dtls_cfg_release(c); /* the session holds the only reference now */
    if (ret != 0) return ret;
    if (c->role == DTLS_ROLE_CLIENT) {
        /* Always called, NULL included: newer mbedtls refuse certificate handshakes otherwise (gotcha 2). */
        if (mbedtls_ssl_set_hostname(&s->ssl, opts->server_name) != 0) { /* mbedtls keeps its own copy */
            dtls_session_free(s);
            return DTLS_ERR_NO_MEMORY;
        }
    } else {
        static const uint8_t local[] = "local"; /* a standalone server session's cookie binding */
        dtls_session_bind_peer(s, local, sizeof local - 1);
    }
    *out = s;
    return DTLS_OK;
}

int dtls_session_new_shared(dtls_session **out, dtls_cfg *c, const uint8_t *peer, size_t peer_len, uint64_t now)
{
    dtls_session *s;
    int ret = _session_alloc(&s, c);
    if (ret != 0) return ret;
    s->now = now;
    s->hs_deadline = now + c->hs_deadline_ms;
    s->started = 1;
    dtls_session_bind_peer(s, peer, peer_len);
    *out = s;
    return DTLS_OK;
}

void dtls_session_free(dtls_session *s)
{
    if (s == NULL) return;
    mbedtls_ssl_free(&s->ssl);
    dtls_queue_clear(&s->tx);
    dtls_queue_clear(&s->rx);
    if (s->saved) {
        mbedtls_platform_zeroize(s->saved, s->saved_len);
        free(s->saved);
    }
    dtls_cfg *c = s->cfg;
    mbedtls_platform_zeroize(s, _session_size(c));
    free(s);
    dtls_cfg_release(c);
}

int dtls_session_set_peer_id(dtls_session *s, const uint8_t *id, size_t len)
{
    if (s == NULL || id == NULL || len == 0 || len > DTLS_MAX_PEER_ID) return DTLS_ERR_ARGUMENT;
    if (s->cfg->role != DTLS_ROLE_SERVER || s->started) return DTLS_ERR_STATE;
    dtls_session_bind_peer(s, id, len);
    return DTLS_OK;
}

int dtls_session_restore(dtls_session *s, const uint8_t *blob, size_t len)
{
    if (s == NULL || blob == NULL || len == 0 || len > DTLS_MAX_SESSION_BLOB) return DTLS_ERR_ARGUMENT;
    if (s->cfg->role != DTLS_ROLE_CLIENT || s->started) return DTLS_ERR_STATE;
    mbedtls_ssl_session sess;
    mbedtls_ssl_session_init(&sess);
    int ret = mbedtls_ssl_session_load(&sess, blob, len);
    if (ret == 0) ret = mbedtls_ssl_set_session(&s->ssl, &sess);
    mbedtls_ssl_session_free(&sess);
    return ret == 0 ? DTLS_OK : DTLS_ERR_SESSION_INVALID; /* gotcha 3: a cache miss for the caller */
}

int dtls_session_start(dtls_session *s, uint64_t now)
{
    if (s == NULL) return DTLS_ERR_ARGUMENT;
    if (s->started || s->state != DTLS_STATE_HANDSHAKING) return DTLS_ERR_STATE;
    s->started = 1;
    s->now = now;
    s->hs_deadline = now + s->cfg->hs_deadline_ms;
    if (s->cfg->role == DTLS_ROLE_SERVER) return DTLS_OK; /* servers wait for a ClientHello */
    return _handshake(s);
}

static int _check_deadline(dtls_session *s)
{
    if (s->state == DTLS_STATE_HANDSHAKING && s->started && s->now >= s->hs_deadline)
        return _fail(s, dtls_map_timeout(s), 0);
    return DTLS_OK;
}

int dtls_session_feed(dtls_session *s, const uint8_t *data, size_t len, uint64_t now)
{
    if (s == NULL || (data == NULL && len > 0)) return DTLS_ERR_ARGUMENT;
    if (s->state == DTLS_STATE_FAILED || s->state == DTLS_STATE_CLOSED) return DTLS_ERR_CLOSED;
    if (s->cfg->role == DTLS_ROLE_SERVER && !s->started) {
        s->started = 1;
        s->hs_deadline = now + s->cfg->hs_deadline_ms;
    }
    if (!s->started) return DTLS_ERR_STATE;
    s->now = now;
    s->hvr = 0;
    int ret = _check_deadline(s);
    if (ret != 0) return ret;
    int connected_server = s->cfg->role == DTLS_ROLE_SERVER && s->state == DTLS_STATE_CONNECTED;
    len = len > 0 ? dtls_record_sane_prefix(data, len, s->cfg->cid_len, connected_server) : 0;
    if (len == 0) return DTLS_OK;
    s->in = data;
    s->in_len = len;
    ret = s->state == DTLS_STATE_HANDSHAKING ? _handshake(s) : _read_app(s);
    s->in = NULL; /* what mbedtls did not take is dropped, like a lost datagram */
    s->in_len = 0;
    return ret;
}

int dtls_session_handle_timeout(dtls_session *s, uint64_t now)
{
    if (s == NULL) return DTLS_ERR_ARGUMENT;
    if (s->state != DTLS_STATE_HANDSHAKING || !s->started) return DTLS_OK;
    s->now = now;
    int ret = _check_deadline(s);
    if (ret != 0) return ret;
    if (dtls_timer_get(s) == 2) return _handshake(s); /* mbedtls retransmits its flight or gives up */
    return DTLS_OK;
}

int64_t dtls_session_next_timeout(const dtls_session *s)
{
    if (s == NULL || s->state != DTLS_STATE_HANDSHAKING || !s->started) return -1;
    int64_t next = (int64_t)s->hs_deadline;
    if (s->t_fin != 0 && (int64_t)(s->t_start + s->t_fin) < next) next = (int64_t)(s->t_start + s->t_fin);
    return next;
}

int dtls_session_poll_transmit(dtls_session *s, uint8_t *buf, size_t cap, size_t *len)
{
    if (s == NULL || len == NULL || (buf == NULL && cap > 0)) return DTLS_ERR_ARGUMENT;
    return dtls_queue_pop(&s->tx, buf, cap, len);
}

int dtls_session_poll_event(dtls_session *s)
{
    if (s->connected_seen && !s->connected_reported) {
        s->connected_reported = 1;
        return DTLS_EV_CONNECTED;
    }
    if (s->rx.count > 0) return DTLS_EV_DATA;
    if ((s->state == DTLS_STATE_CLOSED || s->state == DTLS_STATE_FAILED) && !s->end_reported) {
        s->end_reported = 1;
        return DTLS_EV_CLOSED;
    }
    return DTLS_EV_NONE;
}

int dtls_session_read(dtls_session *s, uint8_t *buf, size_t cap, size_t *len)
{
    if (s == NULL || len == NULL || (buf == NULL && cap > 0)) return DTLS_ERR_ARGUMENT;
    return dtls_queue_pop(&s->rx, buf, cap, len);
}

int dtls_session_write(dtls_session *s, const uint8_t *data, size_t len, uint64_t now)
{
    if (s == NULL || (data == NULL && len > 0)) return DTLS_ERR_ARGUMENT;
    if (s->state == DTLS_STATE_FAILED || s->state == DTLS_STATE_CLOSED) return DTLS_ERR_CLOSED;
    if (s->state != DTLS_STATE_CONNECTED) return DTLS_ERR_STATE;
    s->now = now;
    int max = mbedtls_ssl_get_max_out_record_payload(&s->ssl);
    if (max < 0 || len > (size_t)max) return DTLS_ERR_TOO_BIG;
    int ret = mbedtls_ssl_write(&s->ssl, data, len);
    if (ret < 0) return _fail(s, dtls_map_error(s, ret), ret);
    return ret == (int)len ? DTLS_OK : DTLS_ERR_INTERNAL;
}

int dtls_session_close(dtls_session *s, uint64_t now)
{
    if (s == NULL) return DTLS_ERR_ARGUMENT;
    s->now = now;
    if (s->state == DTLS_STATE_CONNECTED) (void)mbedtls_ssl_close_notify(&s->ssl);
    if (s->state != DTLS_STATE_FAILED) _enter(s, DTLS_STATE_CLOSED);
    return DTLS_OK;
}

dtls_state dtls_session_state(const dtls_session *s)
{
    return s ? (dtls_state)s->state : DTLS_STATE_FAILED;
}

int dtls_session_error(const dtls_session *s, int *alert, int *lib_err)
{
    if (alert) *alert = s ? s->alert : -1;
    if (lib_err) *lib_err = s ? s->lib_err : 0;
    return s ? s->err : DTLS_ERR_ARGUMENT;
}

int dtls_session_max_payload(const dtls_session *s)
{
    if (s == NULL || s->state != DTLS_STATE_CONNECTED) return 0;
    int n = mbedtls_ssl_get_max_out_record_payload(&s->ssl);
    return n < 0 ? 0 : n;
}

int dtls_session_resumed(const dtls_session *s)
{
    return s != NULL && s->state == DTLS_STATE_CONNECTED && !dtls_session_seen(s, MBEDTLS_SSL_SERVER_HELLO_DONE);
}

int dtls_session_save(dtls_session *s, uint8_t *buf, size_t cap, size_t *len)
{
    if (s == NULL || len == NULL || (buf == NULL && cap > 0)) return DTLS_ERR_ARGUMENT;
    if (s->cfg->role != DTLS_ROLE_CLIENT || s->state != DTLS_STATE_CONNECTED) return DTLS_ERR_STATE;
    if (s->saved == NULL) {
        mbedtls_ssl_session sess;
        mbedtls_ssl_session_init(&sess);
        int ret = mbedtls_ssl_get_session(&s->ssl, &sess);
        size_t n = 0;
        if (ret == 0) ret = mbedtls_ssl_session_save(&sess, NULL, 0, &n);
        if (ret == MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL && n > 0 && n <= DTLS_MAX_SESSION_BLOB) {
            s->saved = malloc(n);
            ret = s->saved ? mbedtls_ssl_session_save(&sess, s->saved, n, &n) : MBEDTLS_ERR_SSL_ALLOC_FAILED;
        } else if (ret == 0) {
            ret = DTLS_ERR_INTERNAL;
        }
        mbedtls_ssl_session_free(&sess);
        if (ret != 0) {
            free(s->saved);
            s->saved = NULL;
            return ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ? DTLS_ERR_NO_MEMORY : DTLS_ERR_UNAVAILABLE;
        }
        s->saved_len = n;
    }
    *len = s->saved_len;
    if (cap < s->saved_len) return DTLS_ERR_BUFFER_TOO_SMALL;
    memcpy(buf, s->saved, s->saved_len);
    return DTLS_OK;
}

int dtls_session_cid_in_use(const dtls_session *s)
{
#if DTLS_COMPAT_HAS_CID
    if (s == NULL || s->state != DTLS_STATE_CONNECTED || !s->cfg->want_cid) return 0;
    int enabled = MBEDTLS_SSL_CID_DISABLED;
    /* mbedtls takes a non-const context for a read-only query */
    if (mbedtls_ssl_get_peer_cid((mbedtls_ssl_context *)&s->ssl, &enabled, NULL, NULL) != 0) return 0;
    return enabled == MBEDTLS_SSL_CID_ENABLED;
#else
    (void)s;
    return DTLS_ERR_UNAVAILABLE;
#endif
}

const char *dtls_session_suite(const dtls_session *s)
{
    if (s == NULL || s->state != DTLS_STATE_CONNECTED) return NULL;
    return mbedtls_ssl_get_ciphersuite(&s->ssl);
}

void dtls_session_stats(const dtls_session *s, uint32_t *tx_datagrams, uint32_t *tx_bytes, uint32_t *dropped)
{
    if (tx_datagrams) *tx_datagrams = s ? s->tx_datagrams : 0;
    if (tx_bytes) *tx_bytes = s ? s->tx_bytes : 0;
    if (dropped) *dropped = s ? s->dropped : 0;
}
