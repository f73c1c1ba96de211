/*
 * dtls_config.c: a session's configuration, built once from dtls_options and shared (reference counted) by
 * the sessions of a server: the mbedtls config, the suites, PSKs (RFC 4279), certificates and pins, cookies
 * and the session cache (servers), Connection IDs (RFC 9146).
 */
#include "dtls_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void dtls_cfg_release(dtls_cfg *c)
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
    if (c->rng) dtls_rng_release();
    mbedtls_platform_zeroize(c, c->size);
    free(c);
}

#define _DER_SEQUENCE 0x30 /* the first byte of a DER certificate or key; PEM starts with '-' */

/* Parses PEM (needs a terminating NUL, so a bounded copy is made) or DER into crt. */
static int _parse_crt(mbedtls_x509_crt *crt, const uint8_t *data, size_t len)
{
    if (len == 0 || len > 65536) return DTLS_ERR_CONFIG;
    if (data[0] == _DER_SEQUENCE) return mbedtls_x509_crt_parse(crt, data, len) == 0 ? 0 : DTLS_ERR_CONFIG;
    unsigned char *copy = malloc(len + 1);
    if (copy == NULL) return DTLS_ERR_NO_MEMORY;
    memcpy(copy, data, len);
    copy[len] = 0;
    int ret = mbedtls_x509_crt_parse(crt, copy, len + 1);
    free(copy);
    return ret == 0 ? 0 : DTLS_ERR_CONFIG;
}

static int _parse_key(dtls_cfg *c, const uint8_t *data, size_t len)
{
    if (len == 0 || len > 16384) return DTLS_ERR_CONFIG;
    unsigned char *copy = malloc(len + 1);
    if (copy == NULL) return DTLS_ERR_NO_MEMORY;
    memcpy(copy, data, len);
    copy[len] = 0;
    size_t plen = data[0] == _DER_SEQUENCE ? len : len + 1;
    int ret = dtls_compat_pk_parse_key(&c->pki->own->key, copy, plen, c->rng);
    mbedtls_platform_zeroize(copy, len + 1);
    free(copy);
    return ret == 0 ? 0 : DTLS_ERR_CONFIG;
}

/* Every server ssl context lives in a dtls_session: the callback's ssl leads back to it. */
static void _note_psk_identity(mbedtls_ssl_context *ssl, const dtls_psk_entry *e)
{
    dtls_session *s = (dtls_session *)(void *)((char *)ssl - offsetof(dtls_session, ssl));
    s->psk = e;
}

/* Server PSK lookup (RFC 4279 2): unknown identity makes mbedtls send unknown_psk_identity. The entry found
 * is kept on the session: the server reports it with DTLS_EV_CONNECTED (who the peer proved to be). */
static int _psk_cb(void *p, mbedtls_ssl_context *ssl, const unsigned char *id, size_t id_len)
{
    const dtls_server_parts *sp = (const dtls_server_parts *)p;
    for (size_t i = 0; i < sp->psk_count; i++) {
        const dtls_psk_entry *e = &sp->psks[i];
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
static int _server_psks(dtls_server_parts *sp, const dtls_psk *psks, size_t count)
{
    size_t size = count * sizeof(dtls_psk_entry);
    for (size_t i = 0; i < count; i++) size += psks[i].identity_len + psks[i].key_len;
    sp->psks = calloc(1, size);
    if (sp->psks == NULL) return DTLS_ERR_NO_MEMORY;
    sp->psks_size = size;
    uint8_t *bytes = (uint8_t *)(sp->psks + count);
    for (size_t i = 0; i < count; i++) {
        dtls_psk_entry *e = &sp->psks[i];
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

int dtls_cfg_new(dtls_cfg **out, const dtls_options *o)
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
    size_t size = sizeof(dtls_cfg) + (max_suites + 1) * sizeof(int);
    dtls_cfg *c = calloc(1, size);
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

    c->rng = dtls_rng_acquire();
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
    dtls_cfg_release(c);
    return ret;
}
