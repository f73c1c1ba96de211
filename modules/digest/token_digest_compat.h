/*
 * token_digest_compat.h: the one mbedtls difference token_digest.c depends on, how HMAC-SHA-256 is reached.
 *
 *  - 2.28 (Debian 12) and 3.6 (ESP-IDF 5.x): the md layer, mbedtls_md_setup(..., hmac = 1) and
 *    mbedtls_md_hmac_starts/reset/update/finish; the context keeps the padded key blocks, and
 *    mbedtls_md_free wipes them.
 *  - 4.x (ESP-IDF 6, TF-PSA-Crypto 1.x): md.h keeps only hashes ("The HMAC functions mbedtls_md_hmac_xxx()
 *    are no longer available", TF-PSA-Crypto docs/1.0-migration-guide.md, "Reduced md.h"), so the key is
 *    imported into the PSA key store as a volatile HMAC key and psa_mac_compute does the work;
 *    psa_destroy_key wipes it. Compiled (-Wall -Wextra -Werror), linked and run (test selftest, valgrind-clean)
 *    against v4.0.0 / TF-PSA-Crypto v1.0.0, default config: modules/dtls/test/compile-check.sh.
 *
 * Every function returns 0 or a negative TOKEN_DIGEST_ERR_*.
 */
#ifndef TOKEN_DIGEST_COMPAT_H
#define TOKEN_DIGEST_COMPAT_H

#include "../dtls/dtls_mbedtls_config.h" /* first: the configuration ESP-IDF built mbedtls with */
#include <mbedtls/version.h>
#include <mbedtls/platform_util.h> /* mbedtls_platform_zeroize: 2.28, 3.6 and 4.x */

#include "token_digest.h"

#define TD_COMPAT_MAC_BYTES 32 /* a full HMAC-SHA-256 */

#if MBEDTLS_VERSION_NUMBER >= 0x04000000

#include <psa/crypto.h>

typedef struct {
    psa_key_id_t key;
} td_compat_mac;

static inline int td_compat_mac_setup(td_compat_mac *m, const unsigned char *key, size_t key_len)
{
    m->key = 0; /* PSA_KEY_ID_NULL */
    if (psa_crypto_init() != PSA_SUCCESS)
        return TOKEN_DIGEST_ERR_ENTROPY;
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_set_key_type(&a, PSA_KEY_TYPE_HMAC);
    psa_set_key_bits(&a, (size_t)(key_len * 8));
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_SIGN_MESSAGE);
    psa_set_key_algorithm(&a, PSA_ALG_HMAC(PSA_ALG_SHA_256));
    psa_status_t st = psa_import_key(&a, key, key_len, &m->key);
    psa_reset_key_attributes(&a);
    if (st == PSA_SUCCESS)
        return 0;
    m->key = 0;
    return st == PSA_ERROR_INSUFFICIENT_MEMORY ? TOKEN_DIGEST_ERR_ALLOC : TOKEN_DIGEST_ERR_CRYPTO;
}

static inline int td_compat_mac_compute(td_compat_mac *m, const uint8_t *data, size_t len,
                                        unsigned char mac[TD_COMPAT_MAC_BYTES])
{
    size_t n = 0;
    psa_status_t st = psa_mac_compute(m->key, PSA_ALG_HMAC(PSA_ALG_SHA_256), data, len, mac, TD_COMPAT_MAC_BYTES, &n);
    return st == PSA_SUCCESS && n == TD_COMPAT_MAC_BYTES ? 0 : TOKEN_DIGEST_ERR_CRYPTO;
}

static inline void td_compat_mac_free(td_compat_mac *m)
{
    if (m->key != 0)
        psa_destroy_key(m->key); /* wipes the key material in the key store */
    m->key = 0;
}

#else /* 2.28, 3.6 */

#include <mbedtls/md.h>

typedef struct {
    mbedtls_md_context_t md;
} td_compat_mac;

static inline int td_compat_mac_setup(td_compat_mac *m, const unsigned char *key, size_t key_len)
{
    mbedtls_md_init(&m->md);
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    if (info == NULL)
        return TOKEN_DIGEST_ERR_CRYPTO;
    int ret = mbedtls_md_setup(&m->md, info, 1);
    if (ret == MBEDTLS_ERR_MD_ALLOC_FAILED)
        return TOKEN_DIGEST_ERR_ALLOC;
    if (ret != 0 || mbedtls_md_hmac_starts(&m->md, key, key_len) != 0)
        return TOKEN_DIGEST_ERR_CRYPTO;
    return 0;
}

static inline int td_compat_mac_compute(td_compat_mac *m, const uint8_t *data, size_t len,
                                        unsigned char mac[TD_COMPAT_MAC_BYTES])
{
    if (mbedtls_md_hmac_reset(&m->md) != 0 || mbedtls_md_hmac_update(&m->md, data, len) != 0 ||
        mbedtls_md_hmac_finish(&m->md, mac) != 0)
        return TOKEN_DIGEST_ERR_CRYPTO;
    return 0;
}

static inline void td_compat_mac_free(td_compat_mac *m)
{
    mbedtls_md_free(&m->md); /* zeroizes the padded key blocks (hmac_ctx) and the hash state */
}

#endif

#endif /* TOKEN_DIGEST_COMPAT_H */
