/*
 * dtls_session.c: sans-IO DTLS 1.2 session over mbedtls. See dtls_session.h for the theory of operation.
 *
 * mbedtls is given memory callbacks instead of sockets: _bio_recv hands it the datagram being fed (one
 * datagram per dtls_session_feed, RFC 6347 4.1.1: records never span datagrams), _bio_send queues what it
 * writes, and _timer_set/_timer_get implement mbedtls_ssl_set_timer_cb over the caller's `now`.
 * Version differences live in dtls_compat.h only.
 */
#include "dtls_session.h"
#include "dtls_compat.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(ESP_PLATFORM)
#include "esp_random.h"
#elif defined(__linux__)
#include <sys/random.h>
#include <errno.h>
#endif

/* ------------------------------------------------------------------------------------------------------ */
/* errors                                                                                                 */

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

/* ------------------------------------------------------------------------------------------------------ */
/* entropy                                                                                                */

int dtls_entropy(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
#if defined(ESP_PLATFORM)
    esp_fill_random(out, len); /* hardware RNG; random only with RF on or the bootloader entropy source */
    return 0;
#elif defined(__linux__)
    size_t done = 0;
    for (int tries = 0; done < len && tries < 64; tries++) {
        ssize_t n = getrandom(out + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        done += (size_t)n;
    }
    return done == len ? 0 : -1;
#else
    (void)out; (void)len;
    return -1; /* other ports install their hook with dtls_set_entropy */
#endif
}

static dtls_entropy_fn _entropy_fn = dtls_entropy;
static void *_entropy_ctx = NULL;

void dtls_set_entropy(dtls_entropy_fn fn, void *ctx)
{
    _entropy_fn = fn ? fn : dtls_entropy;
    _entropy_ctx = fn ? ctx : NULL;
}

/* ------------------------------------------------------------------------------------------------------ */
/* one CTR_DRBG for every config (an mbedtls 2.28 entropy context alone is ~38 KB on Debian), reference    */
/* counted; seeded from the entropy hook in place when the first config is made. Single-threaded use.     */

static struct {
    int refs;
#if !DTLS_COMPAT_MBEDTLS4
    dtls_compat_entropy_ctx ectx;
#endif
    dtls_compat_rng rng;
} _shared_rng;

static dtls_compat_rng *_rng_acquire(void)
{
    if (_shared_rng.refs == 0) {
#if !DTLS_COMPAT_MBEDTLS4
        _shared_rng.ectx.fn = _entropy_fn;
        _shared_rng.ectx.ctx = _entropy_ctx;
        int ret = dtls_compat_rng_setup(&_shared_rng.rng, &_shared_rng.ectx);
#else
        int ret = dtls_compat_rng_setup(&_shared_rng.rng, NULL);
#endif
        if (ret != 0) {
            dtls_compat_rng_free(&_shared_rng.rng);
            return NULL;
        }
    }
    _shared_rng.refs++;
    return &_shared_rng.rng;
}

static void _rng_release(void)
{
    if (_shared_rng.refs > 0 && --_shared_rng.refs == 0) {
        dtls_compat_rng_free(&_shared_rng.rng);
        mbedtls_platform_zeroize(&_shared_rng, sizeof _shared_rng);
    }
}

/* ------------------------------------------------------------------------------------------------------ */
/* configuration (shared by a server's sessions, reference counted)                                       */

/* Server-only parts, allocated for servers only: a client session then holds nothing it does not use. */
typedef struct _psk_entry { const uint8_t *id, *key; uint8_t id_len, key_len; } _psk_entry;
typedef struct _server_parts {
    mbedtls_ssl_cookie_ctx cookie;
    int has_cookie;
#if DTLS_COMPAT_HAS_CACHE
    mbedtls_ssl_cache_context cache;
    int has_cache;
#endif
    size_t psk_count;
    _psk_entry *psks;           /* identities accepted (_psk_cb); entries and their bytes in one block */
    size_t psks_size;
} _server_parts;

typedef struct _cfg {
    int refs;
    dtls_role role;
    mbedtls_ssl_config conf;
    dtls_compat_rng *rng;       /* the shared generator (_rng_acquire) */
    /* Certificates; each part only when configured (a parsed certificate holder is ~1 KB on 32-bit). */
    struct _pki {
        mbedtls_x509_crt *ca;
        struct _own { mbedtls_x509_crt cert; mbedtls_pk_context key; } *own;
        uint8_t pin[32];
    } *pki;
    _server_parts *srv;         /* only for servers */
    uint8_t has_ca, has_own, has_psk;
    uint8_t psk_only;           /* only PSK suites: a handshake that stalls after our Finished means a key mismatch */
    uint8_t pin_kind;           /* dtls_pin_kind; the pin is in pki */
    uint8_t want_cid;           /* RFC 9146: sessions get a CID of cid_len bytes (0 for clients) */
    uint8_t cid_len;
    uint16_t mtu;
    uint32_t hs_deadline_ms;
    size_t size;                /* of this allocation */
    int suites[];               /* 0-terminated; mbedtls keeps a pointer to this list */
} _cfg;

static void _cfg_release(_cfg *c)
{
    if (c == NULL || --c->refs > 0) return;
    mbedtls_ssl_config_free(&c->conf);
    if (c->srv) {
        if (c->srv->has_cookie) mbedtls_ssl_cookie_free(&c->srv->cookie);
#if DTLS_COMPAT_HAS_CACHE
        if (c->srv->has_cache) mbedtls_ssl_cache_free(&c->srv->cache);
#endif
        if (c->srv->psks) {
            mbedtls_platform_zeroize(c->srv->psks, c->srv->psks_size);
            free(c->srv->psks);
        }
        free(c->srv);
    }
    if (c->pki) {
        if (c->pki->ca) {
            mbedtls_x509_crt_free(c->pki->ca);
            free(c->pki->ca);
        }
        if (c->pki->own) {
            mbedtls_x509_crt_free(&c->pki->own->cert);
            mbedtls_pk_free(&c->pki->own->key);
            free(c->pki->own);
        }
        free(c->pki);
    }
    if (c->rng) _rng_release();
    mbedtls_platform_zeroize(c, c->size);
    free(c);
}

/* Parses PEM (needs a terminating NUL, so a bounded copy is made) or DER into crt. */
static int _parse_crt(mbedtls_x509_crt *crt, const uint8_t *data, size_t len)
{
    if (len == 0 || len > 65536) return DTLS_ERR_CONFIG;
    if (data[0] == 0x30) return mbedtls_x509_crt_parse(crt, data, len) == 0 ? 0 : DTLS_ERR_CONFIG;
    unsigned char *copy = malloc(len + 1);
    if (copy == NULL) return DTLS_ERR_NO_MEMORY;
    memcpy(copy, data, len);
    copy[len] = 0;
    int ret = mbedtls_x509_crt_parse(crt, copy, len + 1);
    free(copy);
    return ret == 0 ? 0 : DTLS_ERR_CONFIG;
}

static int _parse_key(_cfg *c, const uint8_t *data, size_t len)
{
    if (len == 0 || len > 16384) return DTLS_ERR_CONFIG;
    unsigned char *copy = malloc(len + 1);
    if (copy == NULL) return DTLS_ERR_NO_MEMORY;
    memcpy(copy, data, len);
    copy[len] = 0;
    size_t plen = data[0] == 0x30 ? len : len + 1;
    int ret = dtls_compat_pk_parse_key(&c->pki->own->key, copy, plen, c->rng);
    mbedtls_platform_zeroize(copy, len + 1);
    free(copy);
    return ret == 0 ? 0 : DTLS_ERR_CONFIG;
}

static void _note_psk_identity(mbedtls_ssl_context *ssl, const _psk_entry *e);

/* Server PSK lookup (RFC 4279 2): unknown identity makes mbedtls send unknown_psk_identity. The entry found
 * is kept on the session: the server reports it with DTLS_EV_CONNECTED (who the peer proved to be). */
static int _psk_cb(void *p, mbedtls_ssl_context *ssl, const unsigned char *id, size_t id_len)
{
    const _server_parts *sp = (const _server_parts *)p;
    for (size_t i = 0; i < sp->psk_count; i++) {
        const _psk_entry *e = &sp->psks[i];
        if (e->id_len == id_len && memcmp(e->id, id, id_len) == 0) {
            _note_psk_identity(ssl, e);
            return mbedtls_ssl_set_hs_psk(ssl, e->key, e->key_len);
        }
    }
    return -1;
}

int dtls_suite_id(const char *name)
{
    if (name == NULL) return 0;
    return mbedtls_ssl_get_ciphersuite_id(name);
}

static int _suite_is_psk(int id)
{
    const char *name = mbedtls_ssl_get_ciphersuite_name(id);
    return name != NULL && strstr(name, "PSK") != NULL;
}

/* Copies the accepted identities into one block: the entries, then their identity and key bytes. */
static int _server_psks(_server_parts *sp, const dtls_psk *psks, size_t count)
{
    size_t size = count * sizeof(_psk_entry);
    for (size_t i = 0; i < count; i++) size += psks[i].identity_len + psks[i].key_len;
    sp->psks = calloc(1, size);
    if (sp->psks == NULL) return DTLS_ERR_NO_MEMORY;
    sp->psks_size = size;
    uint8_t *bytes = (uint8_t *)(sp->psks + count);
    for (size_t i = 0; i < count; i++) {
        _psk_entry *e = &sp->psks[i];
        e->id = bytes;
        memcpy(bytes, psks[i].identity, psks[i].identity_len);
        bytes += psks[i].identity_len;
        e->key = bytes;
        memcpy(bytes, psks[i].key, psks[i].key_len);
        bytes += psks[i].key_len;
        e->id_len = (uint8_t)psks[i].identity_len;
        e->key_len = (uint8_t)psks[i].key_len;
    }
    sp->psk_count = count;
    return DTLS_OK;
}

static int _cfg_new(_cfg **out, const dtls_options *o)
{
    int ret;
    *out = NULL;
    if (o->role != DTLS_ROLE_CLIENT && o->role != DTLS_ROLE_SERVER) return DTLS_ERR_ARGUMENT;
    if (o->psk_count > DTLS_MAX_PSKS || (o->psk_count > 0 && o->psks == NULL)) return DTLS_ERR_ARGUMENT;
    if (o->suite_count > DTLS_MAX_SUITES || (o->suite_count > 0 && o->suites == NULL)) return DTLS_ERR_ARGUMENT;
    if (o->pin_kind != DTLS_PIN_NONE && o->pin_sha256 == NULL) return DTLS_ERR_ARGUMENT;
    if ((o->ca_pem_len > 0 && o->ca_pem == NULL) || (o->cert_pem_len > 0 && o->cert_pem == NULL) ||
        (o->key_pem_len > 0 && o->key_pem == NULL))
        return DTLS_ERR_ARGUMENT;
    if ((o->cert_pem_len > 0) != (o->key_pem_len > 0)) return DTLS_ERR_CONFIG;
    if (o->mtu != 0 && (o->mtu < 256 || o->mtu > 16384)) return DTLS_ERR_ARGUMENT;
    for (size_t i = 0; i < o->psk_count; i++) {
        const dtls_psk *p = &o->psks[i];
        if (p->identity == NULL || p->key == NULL || p->identity_len == 0 || p->identity_len > DTLS_MAX_IDENTITY_LEN ||
            p->key_len == 0 || p->key_len > DTLS_MAX_PSK_LEN || p->key_len > MBEDTLS_PSK_MAX_LEN)
            return DTLS_ERR_ARGUMENT; /* MBEDTLS_PSK_MAX_LEN: 32 unless the build raises it */
    }
    if (o->server_name != NULL && (o->server_name[0] == 0 || strlen(o->server_name) > DTLS_MAX_SERVER_NAME))
        return DTLS_ERR_ARGUMENT;
    if (o->want_cid && !DTLS_COMPAT_HAS_CID) return DTLS_ERR_UNAVAILABLE;

    size_t max_suites = o->suite_count > 0 ? o->suite_count : 2; /* the defaults: at most the two CoAP suites */
    size_t size = sizeof(_cfg) + (max_suites + 1) * sizeof(int);
    _cfg *c = calloc(1, size);
    if (c == NULL) return DTLS_ERR_NO_MEMORY;
    c->refs = 1;
    c->size = size;
    c->role = o->role;
    mbedtls_ssl_config_init(&c->conf);
    if (o->ca_pem_len > 0 || o->cert_pem_len > 0 || o->pin_kind != DTLS_PIN_NONE) {
        c->pki = calloc(1, sizeof *c->pki);
        if (c->pki == NULL) { ret = DTLS_ERR_NO_MEMORY; goto fail; }
        if (o->ca_pem_len > 0) {
            c->pki->ca = calloc(1, sizeof *c->pki->ca);
            if (c->pki->ca == NULL) { ret = DTLS_ERR_NO_MEMORY; goto fail; }
            mbedtls_x509_crt_init(c->pki->ca);
        }
        if (o->cert_pem_len > 0) {
            c->pki->own = calloc(1, sizeof *c->pki->own);
            if (c->pki->own == NULL) { ret = DTLS_ERR_NO_MEMORY; goto fail; }
            mbedtls_x509_crt_init(&c->pki->own->cert);
            mbedtls_pk_init(&c->pki->own->key);
        }
    }
    int is_server = o->role == DTLS_ROLE_SERVER;
    if (is_server) {
        c->srv = calloc(1, sizeof *c->srv);
        if (c->srv == NULL) { ret = DTLS_ERR_NO_MEMORY; goto fail; }
        if (o->psk_count > 0 && (ret = _server_psks(c->srv, o->psks, o->psk_count)) != 0) goto fail;
    }
    c->has_psk = o->psk_count > 0;
    c->pin_kind = (uint8_t)o->pin_kind;
    if (o->pin_kind != DTLS_PIN_NONE) memcpy(c->pki->pin, o->pin_sha256, 32);
    c->mtu = o->mtu ? o->mtu : DTLS_DEFAULT_MTU;
    c->hs_deadline_ms = o->hs_deadline_ms ? o->hs_deadline_ms : DTLS_DEFAULT_HS_DEADLINE_MS;

    c->rng = _rng_acquire();
    if (c->rng == NULL) { ret = DTLS_ERR_ENTROPY; goto fail; }

    if (o->ca_pem_len > 0) {
        if ((ret = _parse_crt(c->pki->ca, o->ca_pem, o->ca_pem_len)) != 0) goto fail;
        c->has_ca = 1;
    }
    if (o->cert_pem_len > 0) {
        if ((ret = _parse_crt(&c->pki->own->cert, o->cert_pem, o->cert_pem_len)) != 0) goto fail;
        if ((ret = _parse_key(c, o->key_pem, o->key_pem_len)) != 0) goto fail;
        c->has_own = 1;
    }

    if (mbedtls_ssl_config_defaults(&c->conf, is_server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
                                    MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT) != 0) {
        ret = DTLS_ERR_INTERNAL;
        goto fail;
    }
    dtls_compat_conf_dtls12(&c->conf);
    dtls_compat_conf_rng(&c->conf, c->rng);

    /* Suites: the CoAP CCM_8 ones by default, each only when its credentials are there. */
    size_t n = 0;
    int have_cert_auth = c->has_ca || c->pin_kind != DTLS_PIN_NONE;
    if (o->suite_count > 0) {
        for (size_t i = 0; i < o->suite_count; i++) {
            if (mbedtls_ssl_ciphersuite_from_id(o->suites[i]) == NULL) { ret = DTLS_ERR_CONFIG; goto fail; }
            c->suites[n++] = o->suites[i];
        }
    } else {
        if (c->has_psk) c->suites[n++] = DTLS_SUITE_PSK_AES_128_CCM_8;
        if ((is_server && c->has_own) || (!is_server && have_cert_auth))
            c->suites[n++] = DTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8;
    }
    if (n == 0) { ret = DTLS_ERR_CONFIG; goto fail; }
    c->suites[n] = 0;
    c->psk_only = 1;
    for (size_t i = 0; i < n; i++)
        if (!_suite_is_psk(c->suites[i])) c->psk_only = 0;
    /* A certificate suite on a client with nothing to check the server against would trust anyone. */
    if (!is_server && !c->psk_only && !have_cert_auth) { ret = DTLS_ERR_CONFIG; goto fail; }
    mbedtls_ssl_conf_ciphersuites(&c->conf, c->suites);

    if (c->has_psk) {
        /* A client's identity and key are copied by mbedtls (or imported into PSA on 4.x): no copy of ours. */
        if (is_server) {
            mbedtls_ssl_conf_psk_cb(&c->conf, _psk_cb, c->srv);
        } else if (mbedtls_ssl_conf_psk(&c->conf, o->psks[0].key, o->psks[0].key_len, o->psks[0].identity,
                                        o->psks[0].identity_len) != 0) {
            ret = DTLS_ERR_CONFIG;
            goto fail;
        }
    }

    if (is_server) {
        mbedtls_ssl_conf_authmode(&c->conf, c->has_ca ? MBEDTLS_SSL_VERIFY_REQUIRED : MBEDTLS_SSL_VERIFY_NONE);
    } else if (c->has_ca) {
        mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    } else if (c->pin_kind != DTLS_PIN_NONE) {
        /* No CA: the pin check in _verify_cb decides; its failure is a fatal error even when OPTIONAL. */
        mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
    } else {
        mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_NONE);
    }
    if (c->has_ca) mbedtls_ssl_conf_ca_chain(&c->conf, c->pki->ca, NULL);
    if (c->has_own && mbedtls_ssl_conf_own_cert(&c->conf, &c->pki->own->cert, &c->pki->own->key) != 0) {
        ret = DTLS_ERR_CONFIG;
        goto fail;
    }

    mbedtls_ssl_conf_handshake_timeout(&c->conf, o->hs_timeout_min_ms ? o->hs_timeout_min_ms : DTLS_DEFAULT_HS_MIN_MS,
                                       o->hs_timeout_max_ms ? o->hs_timeout_max_ms : DTLS_DEFAULT_HS_MAX_MS);
#if DTLS_COMPAT_HAS_ANTI_REPLAY
    mbedtls_ssl_conf_dtls_anti_replay(&c->conf, MBEDTLS_SSL_ANTI_REPLAY_ENABLED);
#endif
#if DTLS_COMPAT_HAS_CID
    if (o->want_cid) {
        c->want_cid = 1;
        c->cid_len = is_server ? DTLS_SERVER_CID_LEN : 0;
        /* A record with a CID we did not hand out is dropped like any undecryptable one. */
        if (mbedtls_ssl_conf_cid(&c->conf, c->cid_len, MBEDTLS_SSL_UNEXPECTED_CID_IGNORE) != 0) {
            ret = DTLS_ERR_CONFIG;
            goto fail;
        }
    }
#endif
    if (is_server) {
        if (!o->no_cookies) {
            mbedtls_ssl_cookie_init(&c->srv->cookie);
            c->srv->has_cookie = 1;
            if (dtls_compat_cookie_setup(&c->srv->cookie, c->rng) != 0) { ret = DTLS_ERR_INTERNAL; goto fail; }
            mbedtls_ssl_conf_dtls_cookies(&c->conf, mbedtls_ssl_cookie_write, mbedtls_ssl_cookie_check, &c->srv->cookie);
        } else {
            mbedtls_ssl_conf_dtls_cookies(&c->conf, NULL, NULL, NULL);
        }
#if DTLS_COMPAT_HAS_CACHE
        mbedtls_ssl_cache_init(&c->srv->cache);
        c->srv->has_cache = 1;
        mbedtls_ssl_cache_set_max_entries(&c->srv->cache, 16);
        mbedtls_ssl_conf_session_cache(&c->conf, &c->srv->cache, mbedtls_ssl_cache_get, mbedtls_ssl_cache_set);
#endif
    }
    *out = c;
    return DTLS_OK;
fail:
    _cfg_release(c);
    return ret;
}

/* ------------------------------------------------------------------------------------------------------ */
/* session                                                                                                */

typedef struct _dgram {
    struct _dgram *next;
    size_t len;
    uint8_t data[];
} _dgram;

typedef struct { _dgram *head, *tail; size_t count; } _queue;

struct dtls_session {
    _cfg *cfg;
    mbedtls_ssl_context ssl;
    uint64_t now;
    uint64_t hs_deadline;
    /* timer (mbedtls_ssl_set_timer_cb over the caller's clock) */
    uint64_t t_start;
    uint32_t t_int, t_fin;
    /* the datagram being fed */
    const uint8_t *in;
    size_t in_len;
    _queue tx, rx;
    uint8_t *saved; size_t saved_len; /* session blob, taken once (gotcha 4) */
    uint32_t tx_datagrams, tx_bytes, dropped;
    int lib_err;            /* mbedtls code of the failure */
    uint32_t seen;          /* handshake states passed through (bit per state < 32) */
    int16_t alert;          /* fatal alert received, -1 if none */
    int8_t err;             /* DTLS_ERR_* of the failure or close */
    uint8_t state;          /* dtls_state */
    uint8_t started;
    uint8_t pin_failed;
    uint8_t hvr;            /* last feed made us send a HelloVerifyRequest */
    uint8_t peer_id_len;
    const _psk_entry *psk;  /* servers: the identity the peer's handshake named (in cfg's block), or NULL */
#if DTLS_COMPAT_HAS_CID
    uint8_t cid[DTLS_SERVER_CID_LEN]; /* our own CID (servers), routed on by dtls_server_feed */
    uint64_t cid_top;       /* highest epoch+sequence of a CID record that gave data (RFC 9146 6) */
    uint32_t records_in;    /* application records read (queued or dropped) */
#endif
    uint8_t peer_id[];      /* servers only: DTLS_MAX_PEER_ID bytes of peer address key */
};

/* Every server ssl context lives in a dtls_session: the callback's ssl leads back to it. */
static void _note_psk_identity(mbedtls_ssl_context *ssl, const _psk_entry *e)
{
    dtls_session *s = (dtls_session *)(void *)((char *)ssl - offsetof(dtls_session, ssl));
    s->psk = e;
}

#if DTLS_COMPAT_HAS_CID
#define _COUNT_RECORD(s) ((s)->records_in++)
#else
#define _COUNT_RECORD(s) ((void)0)
#endif

/* Only servers get room for a peer address key. */
static size_t _session_size(const _cfg *c)
{
    return sizeof(dtls_session) + (c->role == DTLS_ROLE_SERVER ? DTLS_MAX_PEER_ID : 0);
}

static void _queue_clear(_queue *q)
{
    _dgram *d = q->head;
    while (d != NULL) {
        _dgram *next = d->next;
        free(d);
        d = next;
    }
    q->head = q->tail = NULL;
    q->count = 0;
}

static void _queue_push(_queue *q, _dgram *d)
{
    d->next = NULL;
    if (q->tail) q->tail->next = d; else q->head = d;
    q->tail = d;
    q->count++;
}

/* Pops the head into buf: 1, 0 when empty, DTLS_ERR_BUFFER_TOO_SMALL (kept, *len = needed). */
static int _queue_pop(_queue *q, uint8_t *buf, size_t cap, size_t *len)
{
    _dgram *d = q->head;
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

static int _bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    dtls_session *s = (dtls_session *)ctx;
    if (s->tx.count >= DTLS_MAX_TX_QUEUE) { s->dropped++; return (int)len; } /* like a lost datagram */
    _dgram *d = malloc(sizeof *d + len);
    if (d == NULL) { s->dropped++; return (int)len; }
    d->len = len;
    memcpy(d->data, buf, len);
    _queue_push(&s->tx, d);
    s->tx_datagrams++;
    s->tx_bytes += (uint32_t)len;
    return (int)len;
}

static int _bio_recv(void *ctx, unsigned char *buf, size_t len)
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

static void _timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms)
{
    dtls_session *s = (dtls_session *)ctx;
    s->t_start = s->now;
    s->t_int = int_ms;
    s->t_fin = fin_ms;
}

static int _timer_get(void *ctx)
{
    dtls_session *s = (dtls_session *)ctx;
    if (s->t_fin == 0) return -1;
    uint64_t elapsed = s->now >= s->t_start ? s->now - s->t_start : 0;
    if (elapsed >= s->t_fin) return 2;
    if (elapsed >= s->t_int) return 1;
    return 0;
}

/* Pins the server certificate (depth 0) when configured; otherwise leaves mbedtls's verdict alone. */
static int _verify_cb(void *p, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    dtls_session *s = (dtls_session *)p;
    _cfg *c = s->cfg;
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
        s->state = DTLS_STATE_FAILED;
        s->err = err;
        s->lib_err = lib_err;
    }
    return err;
}

static int _seen(const dtls_session *s, int state)
{
    return state >= 0 && state < 32 && (s->seen & (1u << state)) != 0;
}

/* A stalled handshake after our Finished went out, with PSK only, means the peer could not decrypt it:
 * DTLS peers silently drop records that fail authentication (RFC 6347 4.1.2.7), so no alert comes. */
static int _timeout_error(const dtls_session *s)
{
    if (s->cfg->psk_only) {
        if (s->cfg->role == DTLS_ROLE_CLIENT && _seen(s, MBEDTLS_SSL_SERVER_CHANGE_CIPHER_SPEC)) return DTLS_ERR_BAD_PSK;
        if (s->cfg->role == DTLS_ROLE_SERVER && _seen(s, MBEDTLS_SSL_CLIENT_FINISHED)) return DTLS_ERR_BAD_PSK;
    }
    return DTLS_ERR_HANDSHAKE_TIMEOUT;
}

/* Maps an mbedtls error to DTLS_ERR_*. If-chains, not a switch: codes alias on 4.x (gotcha 1). */
static int _map_error(dtls_session *s, int ret)
{
    if (ret == MBEDTLS_ERR_SSL_TIMEOUT) return _timeout_error(s);
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return DTLS_ERR_PEER_CLOSED;
    if (ret == MBEDTLS_ERR_SSL_ALLOC_FAILED) return DTLS_ERR_NO_MEMORY;
#if defined(PSA_ERROR_INSUFFICIENT_MEMORY) /* 4.x passes PSA's codes through: no heap, or no free key slot */
    if (ret == PSA_ERROR_INSUFFICIENT_MEMORY) return DTLS_ERR_NO_MEMORY;
#endif
    if (s->pin_failed) return DTLS_ERR_UNTRUSTED_CERT;
    if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
        int a = DTLS_COMPAT_IN_MSG(&s->ssl)[1];
        s->alert = a;
        if (a == MBEDTLS_SSL_ALERT_MSG_UNKNOWN_PSK_IDENTITY) return DTLS_ERR_UNKNOWN_IDENTITY;
        if (s->cfg->psk_only && (a == MBEDTLS_SSL_ALERT_MSG_DECRYPT_ERROR || a == MBEDTLS_SSL_ALERT_MSG_BAD_RECORD_MAC))
            return DTLS_ERR_BAD_PSK;
        if (a == MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE && !_seen(s, MBEDTLS_SSL_SERVER_HELLO_DONE) &&
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
        if (ret != 0) return _fail(s, _map_error(s, ret), ret);
    }
    if (DTLS_COMPAT_SSL_STATE(&s->ssl) != MBEDTLS_SSL_HANDSHAKE_OVER) return DTLS_OK;
    s->state = DTLS_STATE_CONNECTED;
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
            s->state = DTLS_STATE_CLOSED;
            s->err = DTLS_ERR_PEER_CLOSED;
            return DTLS_OK;
        }
#if defined(MBEDTLS_SSL_DTLS_CLIENT_PORT_REUSE) && defined(MBEDTLS_ERR_SSL_CLIENT_RECONNECT)
        if (ret == MBEDTLS_ERR_SSL_CLIENT_RECONNECT && s->cfg->role == DTLS_ROLE_SERVER) {
            /* RFC 6347 4.2.8: a new ClientHello from the same address; mbedtls kept it. */
            _queue_clear(&s->rx);
            s->state = DTLS_STATE_HANDSHAKING;
            int r = _restart_server(s);
            return r != 0 ? r : _handshake(s);
        }
#endif
        if (ret < 0) return _fail(s, _map_error(s, ret), ret);
        size_t avail = mbedtls_ssl_get_bytes_avail(&s->ssl);
        if (avail == 0) { _COUNT_RECORD(s); continue; } /* an empty record */
        _dgram *d = malloc(sizeof *d + avail);
        if (d == NULL) return _fail(s, DTLS_ERR_NO_MEMORY, 0);
        ret = mbedtls_ssl_read(&s->ssl, d->data, avail);
        if (ret != (int)avail) {
            free(d);
            return _fail(s, ret < 0 ? _map_error(s, ret) : DTLS_ERR_INTERNAL, ret);
        }
        d->len = avail;
        _COUNT_RECORD(s);
        if (s->rx.count >= DTLS_MAX_RX_QUEUE) {
            free(d);
            s->dropped++;
            continue;
        }
        _queue_push(&s->rx, d);
    }
    return DTLS_OK;
}

/* A session on config c (a reference is taken). Only servers get room for a peer address key. */
static int _session_alloc(dtls_session **out, _cfg *c)
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
    mbedtls_ssl_set_bio(&s->ssl, s, _bio_send, _bio_recv, NULL);
    mbedtls_ssl_set_timer_cb(&s->ssl, s, _timer_set, _timer_get);
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

static void _set_peer_id(dtls_session *s, const uint8_t *id, size_t len)
{
    memcpy(s->peer_id, id, len);
    s->peer_id_len = (uint8_t)len; /* <= DTLS_MAX_PEER_ID */
    _set_transport_id(s);
}

int dtls_session_new(dtls_session **out, const dtls_options *opts)
{
    if (out == NULL || opts == NULL) return DTLS_ERR_ARGUMENT;
    *out = NULL;
    _cfg *c;
    int ret = _cfg_new(&c, opts);
    if (ret != 0) return ret;
    dtls_session *s;
    ret = _session_alloc(&s, c);
    _cfg_release(c); /* the session holds the only reference now */
    if (ret != 0) return ret;
    if (c->role == DTLS_ROLE_CLIENT) {
        /* Always called, NULL included: newer mbedtls refuse certificate handshakes otherwise (gotcha 2). */
        if (mbedtls_ssl_set_hostname(&s->ssl, opts->server_name) != 0) { /* mbedtls keeps its own copy */
            dtls_session_free(s);
            return DTLS_ERR_NO_MEMORY;
        }
    } else {
        static const uint8_t local[] = "local"; /* a standalone server session's cookie binding */
        _set_peer_id(s, local, sizeof local - 1);
    }
    *out = s;
    return DTLS_OK;
}

/* Server object use: a session sharing its config. */
static int _session_new_shared(dtls_session **out, _cfg *c, const uint8_t *peer, size_t peer_len, uint64_t now)
{
    dtls_session *s;
    int ret = _session_alloc(&s, c);
    if (ret != 0) return ret;
    s->now = now;
    s->hs_deadline = now + c->hs_deadline_ms;
    s->started = 1;
    _set_peer_id(s, peer, peer_len);
    *out = s;
    return DTLS_OK;
}

void dtls_session_free(dtls_session *s)
{
    if (s == NULL) return;
    mbedtls_ssl_free(&s->ssl);
    _queue_clear(&s->tx);
    _queue_clear(&s->rx);
    if (s->saved) {
        mbedtls_platform_zeroize(s->saved, s->saved_len);
        free(s->saved);
    }
    _cfg *c = s->cfg;
    mbedtls_platform_zeroize(s, _session_size(c));
    free(s);
    _cfg_release(c);
}

int dtls_session_set_peer_id(dtls_session *s, const uint8_t *id, size_t len)
{
    if (s == NULL || id == NULL || len == 0 || len > DTLS_MAX_PEER_ID) return DTLS_ERR_ARGUMENT;
    if (s->cfg->role != DTLS_ROLE_SERVER || s->started) return DTLS_ERR_STATE;
    _set_peer_id(s, id, len);
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
        return _fail(s, _timeout_error(s), 0);
    return DTLS_OK;
}

/* RFC 6347 4.2.1: a ClientHello record: record header 13 bytes (epoch 0), handshake header 12 (fragment_offset
 * 0), then client_version 2, random 32, session_id <1 + n>, cookie <1 + n>. 1 when the record at d (n bytes to
 * the end of its datagram) passes the checks mbedtls's own cookie code makes; *cookie, *cookie_len: its cookie. */
static int _hello_cookie_field(const uint8_t *d, size_t n, const uint8_t **cookie, size_t *cookie_len)
{
    enum { SID = 59 }; /* offset of session_id's length byte */
    if (n < SID + 2 || d[0] != 22 || d[3] != 0 || d[4] != 0 || d[19] != 0 || d[20] != 0 || d[21] != 0) return 0;
    size_t at = SID + 1 + (size_t)d[SID];
    if (at + 1 > n) return 0;
    *cookie_len = d[at++];
    if (at + *cookie_len > n) return 0;
    *cookie = d + at;
    return 1;
}

/* The prefix of datagram d made of whole, sane records; the rest is dropped like an invalid record (RFC 6347
 * 4.1.2.7). mbedtls 2.28 / 3.6 fail the whole session instead of dropping on two such inputs, found by the
 * selftest's hostile datagrams: a record cut short at the end of a datagram after a record they skipped, and,
 * on a connected server, an epoch-0 ClientHello that their reconnect check (RFC 6347 4.2.8) finds malformed. */
static size_t _sane_prefix(const dtls_session *s, const uint8_t *d, size_t len)
{
    size_t at = 0;
    while (len - at >= 13) {
        const uint8_t *r = d + at;
        size_t header = 13;
#if DTLS_COMPAT_HAS_CID
        if (r[0] == 25) header = 11 + s->cfg->cid_len + 2; /* tls12_cid: our own CID before the length */
#endif
        if (len - at < header) break;
        size_t body = (size_t)r[header - 2] << 8 | r[header - 1];
        if (body > len - at - header) break;
        const uint8_t *cookie;
        size_t cookie_len;
        if (s->cfg->role == DTLS_ROLE_SERVER && s->state == DTLS_STATE_CONNECTED && r[0] == 22 && r[3] == 0 && r[4] == 0 &&
            body > 0 && r[13] == 1 && !_hello_cookie_field(r, header + body, &cookie, &cookie_len)) /* within its record */
            break;
        at += header + body;
    }
    return at;
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
    len = len > 0 ? _sane_prefix(s, data, len) : 0;
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
    if (_timer_get(s) == 2) return _handshake(s); /* mbedtls retransmits its flight or gives up */
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
    return _queue_pop(&s->tx, buf, cap, len);
}

int dtls_session_read(dtls_session *s, uint8_t *buf, size_t cap, size_t *len)
{
    if (s == NULL || len == NULL || (buf == NULL && cap > 0)) return DTLS_ERR_ARGUMENT;
    return _queue_pop(&s->rx, buf, cap, len);
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
    if (ret < 0) return _fail(s, _map_error(s, ret), ret);
    return ret == (int)len ? DTLS_OK : DTLS_ERR_INTERNAL;
}

int dtls_session_close(dtls_session *s, uint64_t now)
{
    if (s == NULL) return DTLS_ERR_ARGUMENT;
    s->now = now;
    if (s->state == DTLS_STATE_CONNECTED) (void)mbedtls_ssl_close_notify(&s->ssl);
    if (s->state != DTLS_STATE_FAILED) s->state = DTLS_STATE_CLOSED;
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
    return s != NULL && s->state == DTLS_STATE_CONNECTED && !_seen(s, MBEDTLS_SSL_SERVER_HELLO_DONE);
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

/* ------------------------------------------------------------------------------------------------------ */
/* server                                                                                                 */

typedef struct {
    dtls_session *s;        /* NULL: free slot */
    uint64_t last;          /* last datagram in or out */
    int connected_reported;
    int expired;
} _slot;

/* A HelloVerifyRequest waiting to be polled, with the address it goes to. */
typedef struct _hvr {
    struct _hvr *next;
    uint8_t peer[DTLS_MAX_PEER_ID];
    size_t peer_len, len;
    uint8_t data[];
} _hvr;

#define _MAX_HVR_QUEUE 8 /* more are dropped like lost datagrams: the clients retransmit */

/* A ClientHello from an address without a session is answered statelessly (RFC 6347 4.2.1): with no valid
 * cookie, the server writes the HelloVerifyRequest itself and keeps nothing but that datagram until it is
 * polled; only a ClientHello that returns a cookie issued to its address gets a session. */
struct dtls_server {
    _cfg *cfg;
    _slot *slots;
    size_t max;
    uint32_t idle_ms;
    _hvr *hvr_head, *hvr_tail;
    size_t hvr_count;
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
    int ret = _cfg_new(&srv->cfg, opts);
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
    while (srv->hvr_head) {
        _hvr *h = srv->hvr_head;
        srv->hvr_head = h->next;
        free(h);
    }
    free(srv->slots);
    _cfg_release(srv->cfg);
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

/* RFC 6347 4.1 / 4.2.2: a new peer must open with a handshake record carrying a ClientHello. */
static int _looks_like_client_hello(const uint8_t *d, size_t len)
{
    return len >= 13 + 12 && d[0] == 22 && d[13] == 1;
}

typedef enum { _HELLO_MALFORMED, _HELLO_NO_COOKIE, _HELLO_PROVEN } _hello_kind;

/* Whether the ClientHello in d carries a cookie this server issued to this peer address: then the sender
 * receives at that address (it is not a spoofed one). mbedtls checks it again in the session. */
static _hello_kind _hello_cookie(dtls_server *srv, const uint8_t *peer, size_t peer_len, const uint8_t *d, size_t len)
{
    const uint8_t *cookie;
    size_t cookie_len;
    if (!_hello_cookie_field(d, len, &cookie, &cookie_len)) return _HELLO_MALFORMED;
    if (cookie_len > 0 && mbedtls_ssl_cookie_check(&srv->cfg->srv->cookie, cookie, cookie_len, peer, peer_len) == 0)
        return _HELLO_PROVEN;
    return _HELLO_NO_COOKIE;
}

/* Queues the HelloVerifyRequest for the ClientHello in d: its record and handshake headers with the type
 * changed (so the record sequence number and message_seq are the ClientHello's, RFC 6347 4.2.1), server_version
 * DTLS 1.0 (0xfeff, as the RFC recommends for it), and a fresh cookie bound to the peer address. */
static void _queue_hvr(dtls_server *srv, const uint8_t *peer, size_t peer_len, const uint8_t *d)
{
    enum { COOKIE_MAX = 64, HVR_MAX = 28 + COOKIE_MAX };
    if (srv->hvr_count >= _MAX_HVR_QUEUE) return;
    _hvr *h = malloc(sizeof *h + HVR_MAX);
    if (h == NULL) return;
    uint8_t *o = h->data;
    memcpy(o, d, 25);
    o[13] = MBEDTLS_SSL_HS_HELLO_VERIFY_REQUEST;
    o[25] = 0xfe;
    o[26] = 0xff;
    unsigned char *p = o + 28;
    if (mbedtls_ssl_cookie_write(&srv->cfg->srv->cookie, &p, o + HVR_MAX, peer, peer_len) != 0) {
        free(h);
        return;
    }
    size_t n = (size_t)(p - o);
    o[27] = (uint8_t)(n - 28);
    o[14] = o[22] = (uint8_t)((n - 25) >> 16);
    o[15] = o[23] = (uint8_t)((n - 25) >> 8);
    o[16] = o[24] = (uint8_t)(n - 25);
    o[11] = (uint8_t)((n - 13) >> 8);
    o[12] = (uint8_t)(n - 13);
    h->len = n;
    memcpy(h->peer, peer, peer_len);
    h->peer_len = peer_len;
    h->next = NULL;
    if (srv->hvr_tail) srv->hvr_tail->next = h; else srv->hvr_head = h;
    srv->hvr_tail = h;
    srv->hvr_count++;
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
/* RFC 9146 4: a tls12_cid record header is type(1) = 25, version(2), epoch(2), sequence(6), cid, length(2). */
#define _CID_RECORD 25
#define _CID_OFFSET 11

static _slot *_find_cid(dtls_server *srv, const uint8_t *cid)
{
    for (size_t i = 0; i < srv->max; i++) {
        dtls_session *s = srv->slots[i].s;
        if (s && memcmp(s->cid, cid, DTLS_SERVER_CID_LEN) == 0) return &srv->slots[i];
    }
    return NULL;
}

static uint64_t _record_epoch_seq(const uint8_t *d)
{
    uint64_t v = 0;
    for (int i = 3; i < 11; i++) v = v << 8 | d[i];
    return v;
}

/* Feeds a CID record to its session and moves the session to the sender's address only when the record
 * gave data (it was authenticated) and is newer than any CID record before it (RFC 9146 6): a replayed or
 * reordered copy from elsewhere cannot steer the peer's traffic. */
static void _feed_cid(_slot *sl, const uint8_t *peer, size_t peer_len, const uint8_t *data, size_t len, uint64_t now)
{
    dtls_session *s = sl->s;
    uint32_t before = s->records_in;
    uint64_t seq = _record_epoch_seq(data);
    (void)dtls_session_feed(s, data, len, now);
    if (s->records_in == before) return;
    sl->last = now;
    if (seq <= s->cid_top) return;
    s->cid_top = seq;
    if (s->peer_id_len != peer_len || memcmp(s->peer_id, peer, peer_len) != 0) _set_peer_id(s, peer, peer_len);
}
#endif

int dtls_server_feed(dtls_server *srv, const uint8_t *peer, size_t peer_len, const uint8_t *data, size_t len, uint64_t now)
{
    if (srv == NULL || peer == NULL || peer_len == 0 || peer_len > DTLS_MAX_PEER_ID || (data == NULL && len > 0))
        return DTLS_ERR_ARGUMENT;
#if DTLS_COMPAT_HAS_CID
    if (srv->cfg->want_cid && len >= _CID_OFFSET + DTLS_SERVER_CID_LEN + 2 && data[0] == _CID_RECORD) {
        _slot *cs = _find_cid(srv, data + _CID_OFFSET);
        if (cs != NULL && !cs->expired && cs->s->state != DTLS_STATE_FAILED && cs->s->state != DTLS_STATE_CLOSED)
            _feed_cid(cs, peer, peer_len, data, len, now);
        return DTLS_OK; /* an unknown CID: nobody's record, dropped */
    }
#endif
    _slot *sl = _find(srv, peer, peer_len);
    if (sl != NULL && (sl->expired || sl->s->state == DTLS_STATE_FAILED || sl->s->state == DTLS_STATE_CLOSED))
        return DTLS_OK; /* a finished session whose end is not reported yet: the client retransmits */
    if (sl == NULL) {
        if (!_looks_like_client_hello(data, len)) return DTLS_OK; /* not for us: ignore quietly */
        if (srv->cfg->srv->has_cookie) {
            _hello_kind k = _hello_cookie(srv, peer, peer_len, data, len);
            if (k == _HELLO_MALFORMED) return DTLS_OK;
            if (k == _HELLO_NO_COOKIE) {
                _queue_hvr(srv, peer, peer_len, data);
                return DTLS_OK;
            }
        }
        sl = _admit(srv);
        if (sl == NULL) return DTLS_ERR_SESSION_LIMIT;
        int ret = _session_new_shared(&sl->s, srv->cfg, peer, peer_len, now);
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
    if (srv->hvr_head) {
        _hvr *h = srv->hvr_head;
        ev->kind = DTLS_EV_TRANSMIT;
        memcpy(ev->peer, h->peer, h->peer_len);
        ev->peer_len = h->peer_len;
        ev->len = h->len;
        ev->alert = -1;
        if (h->len > cap) return DTLS_ERR_BUFFER_TOO_SMALL;
        memcpy(buf, h->data, h->len);
        srv->hvr_head = h->next;
        if (srv->hvr_head == NULL) srv->hvr_tail = NULL;
        srv->hvr_count--;
        free(h);
        return 1;
    }
    for (size_t i = 0; i < srv->max; i++) {
        _slot *sl = &srv->slots[i];
        dtls_session *s = sl->s;
        if (s == NULL) continue;
        size_t n;
        if (s->tx.count > 0) {
            _event_peer(ev, s, DTLS_EV_TRANSMIT);
            int r = _queue_pop(&s->tx, buf, cap, &n);
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
            int r = _queue_pop(&s->rx, buf, cap, &n);
            ev->len = n;
            return r;
        }
        if (sl->expired || s->state == DTLS_STATE_FAILED || s->state == DTLS_STATE_CLOSED) {
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
