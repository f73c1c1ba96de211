/*
 * Layout probe for test/esp32/mcconfig.node.test.ts: compiled once with Moddable's command line for our C
 * (make.esp32.mk, through dtls_mbedtls_config.h) and once with the command ESP-IDF built its mbedtls library
 * with. Each symbol's size (nm -S) is the size of one structure our C embeds or passes by pointer into mbedtls;
 * equal sizes under both, and equal configuration macros (-dM -E), mean our objects and ESP-IDF's library agree
 * on those layouts. Never linked, never run.
 */
#include "dtls_internal.h"
#include "token_digest_compat.h"

#define IDPGATE_SIZE(name, type) char idpgate_size_##name[sizeof(type)]

IDPGATE_SIZE(mbedtls_ssl_context, mbedtls_ssl_context);
IDPGATE_SIZE(mbedtls_ssl_config, mbedtls_ssl_config);
IDPGATE_SIZE(mbedtls_ssl_session, mbedtls_ssl_session);
IDPGATE_SIZE(mbedtls_ssl_cookie_ctx, mbedtls_ssl_cookie_ctx);
IDPGATE_SIZE(mbedtls_ssl_cache_context, mbedtls_ssl_cache_context);
IDPGATE_SIZE(mbedtls_x509_crt, mbedtls_x509_crt);
IDPGATE_SIZE(mbedtls_pk_context, mbedtls_pk_context);
IDPGATE_SIZE(mbedtls_md_context_t, mbedtls_md_context_t);
IDPGATE_SIZE(dtls_compat_rng, dtls_compat_rng);
IDPGATE_SIZE(td_compat_mac, td_compat_mac);
IDPGATE_SIZE(dtls_cfg, dtls_cfg);
IDPGATE_SIZE(dtls_server_parts, dtls_server_parts);
IDPGATE_SIZE(dtls_session, struct dtls_session);
#if DTLS_COMPAT_MBEDTLS4 || defined(MBEDTLS_PSA_CRYPTO_C)
IDPGATE_SIZE(psa_key_attributes_t, psa_key_attributes_t);
IDPGATE_SIZE(psa_mac_operation_t, psa_mac_operation_t);
IDPGATE_SIZE(psa_hash_operation_t, psa_hash_operation_t);
#endif
