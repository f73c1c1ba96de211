/*
 * dtls_compat.h: every difference between mbedtls 2.28 (Debian 12), 3.6 (ESP-IDF 5.x) and 4.x (ESP-IDF 6,
 * TF-PSA-Crypto) that dtls_session.c depends on, and nothing else. See ../../../shared/MBEDTLS-COMPAT.md.
 *
 * dtls_session.c never tests MBEDTLS_VERSION_NUMBER itself: it uses the macros and inline helpers below.
 * Tested: 2.28.3 (Debian, and the same built with config/mbedtls_device_config.h), 3.6.6 (upstream tag,
 * default and device config) and 4.0.0 with TF-PSA-Crypto 1.0.0 (upstream tags, default CMake config; its
 * headers live in both trees): modules/dtls/test selftest passes, valgrind-clean, on each
 * (test/compile-check.sh). On ESP-IDF 6's port configuration (esp_config.h over upstream 4.0.0, through
 * dtls_mbedtls_config.h) compiled only, for esp32c3 (test/esp32/). Not tried on 4.x: a reduced device config.
 */
#ifndef DTLS_COMPAT_H
#define DTLS_COMPAT_H

#include "dtls_mbedtls_config.h" /* first: the configuration ESP-IDF built mbedtls with */
#include <mbedtls/version.h>

#if MBEDTLS_VERSION_NUMBER < 0x03000000
#include <mbedtls/config.h>
#endif

#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/pk.h>
#include <mbedtls/md.h>
#include <mbedtls/error.h>

#if MBEDTLS_VERSION_NUMBER >= 0x04000000
#define DTLS_COMPAT_MBEDTLS4 1
#include <psa/crypto.h>
#else
#define DTLS_COMPAT_MBEDTLS4 0
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
#include <psa/crypto.h>
#endif
#include <mbedtls/entropy.h>
#include <mbedtls/ctr_drbg.h>
#endif

/* ---- private struct members: direct in 2.28, MBEDTLS_PRIVATE() from 3.0 ---- */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define DTLS_COMPAT_PRIV(member) MBEDTLS_PRIVATE(member)
#else
#define DTLS_COMPAT_PRIV(member) member
#endif

/* Handshake state (read only, to tell full from abbreviated handshakes and to name a timeout). */
#define DTLS_COMPAT_SSL_STATE(ssl) ((ssl)->DTLS_COMPAT_PRIV(state))
/* Body of the last record read: after MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE, [1] is the alert number. */
#define DTLS_COMPAT_IN_MSG(ssl) ((ssl)->DTLS_COMPAT_PRIV(in_msg))

/* ---- feature presence ---- */
#if defined(MBEDTLS_SSL_PROTO_DTLS) && defined(MBEDTLS_SSL_DTLS_HELLO_VERIFY)
#define DTLS_COMPAT_HAS_DTLS 1
#else
#error "modules/dtls needs MBEDTLS_SSL_PROTO_DTLS and MBEDTLS_SSL_DTLS_HELLO_VERIFY (see config/)"
#endif

#if (MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_SSL_HANDSHAKE_WITH_PSK_ENABLED)) || \
    defined(MBEDTLS_KEY_EXCHANGE_SOME_PSK_ENABLED)
#define DTLS_COMPAT_HAS_PSK 1
#else
#define DTLS_COMPAT_HAS_PSK 0
#endif

/* RFC 9146 Connection ID: 2.28 only has draft-05 (ext 254), not interoperable: reported unavailable; so is a
 * 3.x build with MBEDTLS_SSL_DTLS_CONNECTION_ID_COMPAT set (the draft form again). */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_SSL_DTLS_CONNECTION_ID) && \
    (!defined(MBEDTLS_SSL_DTLS_CONNECTION_ID_COMPAT) || MBEDTLS_SSL_DTLS_CONNECTION_ID_COMPAT == 0)
#define DTLS_COMPAT_HAS_CID 1
#else
#define DTLS_COMPAT_HAS_CID 0
#endif

#if defined(MBEDTLS_SSL_CACHE_C)
#define DTLS_COMPAT_HAS_CACHE 1
#else
#define DTLS_COMPAT_HAS_CACHE 0
#endif

#if defined(MBEDTLS_SSL_DTLS_ANTI_REPLAY)
#define DTLS_COMPAT_HAS_ANTI_REPLAY 1
#else
#define DTLS_COMPAT_HAS_ANTI_REPLAY 0
#endif

/* ---- minimum and maximum protocol version: always DTLS 1.2 exactly (gotcha 5) ---- */
static inline void dtls_compat_conf_dtls12(mbedtls_ssl_config *conf)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    mbedtls_ssl_conf_min_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_max_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
    mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
}

/* ---- random numbers: entropy + CTR_DRBG (2.28, 3.6) or PSA (4.x) ---- */
typedef int (*dtls_compat_entropy_fn)(void *ctx, unsigned char *out, size_t len);

typedef struct dtls_compat_rng {
#if DTLS_COMPAT_MBEDTLS4
    int unused;
#else
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
#endif
} dtls_compat_rng;

#if !DTLS_COMPAT_MBEDTLS4
/* Adapts the host hook to mbedtls's entropy source signature. */
typedef struct dtls_compat_entropy_ctx {
    dtls_compat_entropy_fn fn;
    void *ctx;
} dtls_compat_entropy_ctx;

static int dtls_compat_entropy_source(void *p, unsigned char *out, size_t len, size_t *olen)
{
    dtls_compat_entropy_ctx *e = (dtls_compat_entropy_ctx *)p;
    if (e->fn(e->ctx, out, len) != 0) return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    *olen = len;
    return 0;
}
#endif

/* Seeds the RNG from the host entropy hook. `ectx` must outlive `rng` (2.28/3.6 keep a pointer). */
static inline int dtls_compat_rng_setup(dtls_compat_rng *rng, void *ectx_storage)
{
#if DTLS_COMPAT_MBEDTLS4
    /* PSA seeds itself from the platform entropy source (getrandom on Linux; on IDF 6 the hardware RNG,
     * unverified): the host hook (dtls_set_entropy) is not used on 4.x. */
    (void)rng; (void)ectx_storage;
    return psa_crypto_init() == PSA_SUCCESS ? 0 : -1;
#else
    static const unsigned char pers[] = "idpgate-dtls";
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
    /* 3.6 with TLS 1.3 or USE_PSA_CRYPTO needs PSA ready before keys are parsed; calling again is harmless */
    if (psa_crypto_init() != PSA_SUCCESS) return -1;
#endif
    mbedtls_entropy_init(&rng->entropy);
    mbedtls_ctr_drbg_init(&rng->drbg);
    if (mbedtls_entropy_add_source(&rng->entropy, dtls_compat_entropy_source, ectx_storage, 32,
                                   MBEDTLS_ENTROPY_SOURCE_STRONG) != 0)
        return -1;
    return mbedtls_ctr_drbg_seed(&rng->drbg, mbedtls_entropy_func, &rng->entropy, pers, sizeof pers - 1);
#endif
}

static inline void dtls_compat_rng_free(dtls_compat_rng *rng)
{
#if DTLS_COMPAT_MBEDTLS4
    (void)rng;
#else
    mbedtls_ctr_drbg_free(&rng->drbg);
    mbedtls_entropy_free(&rng->entropy);
#endif
}

static inline void dtls_compat_conf_rng(mbedtls_ssl_config *conf, dtls_compat_rng *rng)
{
#if DTLS_COMPAT_MBEDTLS4
    (void)conf; (void)rng; /* mbedtls_ssl_conf_rng is gone: TLS uses PSA's RNG */
#else
    mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, &rng->drbg);
#endif
}

/* Random bytes from the shared generator. */
static inline int dtls_compat_random(dtls_compat_rng *rng, unsigned char *out, size_t len)
{
#if DTLS_COMPAT_MBEDTLS4
    (void)rng;
    return psa_generate_random(out, len) == PSA_SUCCESS ? 0 : -1;
#else
    return mbedtls_ctr_drbg_random(&rng->drbg, out, len);
#endif
}

/* ---- keys, cookies ---- */
static inline int dtls_compat_pk_parse_key(mbedtls_pk_context *pk, const unsigned char *key, size_t len,
                                           dtls_compat_rng *rng)
{
#if MBEDTLS_VERSION_NUMBER >= 0x04000000
    (void)rng;
    return mbedtls_pk_parse_key(pk, key, len, NULL, 0);
#elif MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_pk_parse_key(pk, key, len, NULL, 0, mbedtls_ctr_drbg_random, &rng->drbg);
#else
    (void)rng;
    return mbedtls_pk_parse_key(pk, key, len, NULL, 0);
#endif
}

static inline int dtls_compat_cookie_setup(mbedtls_ssl_cookie_ctx *ck, dtls_compat_rng *rng)
{
#if DTLS_COMPAT_MBEDTLS4
    (void)rng;
    return mbedtls_ssl_cookie_setup(ck);
#else
    return mbedtls_ssl_cookie_setup(ck, mbedtls_ctr_drbg_random, &rng->drbg);
#endif
}

/* SHA-256 through the generic md layer, the one spelling all three versions accept. */
static inline int dtls_compat_sha256(const unsigned char *in, size_t len, unsigned char out[32])
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    if (md == NULL) return -1;
    return mbedtls_md(md, in, len, out);
}

/* Raw DER of a parsed certificate. */
#define DTLS_COMPAT_CRT_RAW(crt) ((crt)->raw)

/* Public key of a certificate (the field is private from 3.0). */
#define DTLS_COMPAT_CRT_PK(crt) (&(crt)->pk)

#endif /* DTLS_COMPAT_H */
