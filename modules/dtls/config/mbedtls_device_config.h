/*
 * mbedtls_device_config.h: what modules/dtls needs from mbedtls on a device, as an mbedtls user config
 * (-DMBEDTLS_USER_CONFIG_FILE='"mbedtls_device_config.h"', included at the end of mbedtls's config). Works
 * on 2.28 (check_config.h-validated against Debian's headers by test/dtls/config.node.test.ts) and 3.6; on
 * ESP-IDF set the same through sdkconfig.defaults beside this file (ESP-IDF generates its own config).
 *
 * Record buffers: a DTLS record must fit the path MTU anyway (IP fragmentation is off on Moddable's ESP32
 * lwIP), so 16 KB buffers only waste heap. 2 KB in (room for a P-256 certificate chain reassembled from
 * fragments) and 1 KB out (our flights are fragmented to the MTU, CoAP uses Block2) keep a PSK handshake
 * near 4 KB of heap instead of ~35 KB.
 */
#ifndef IDPGATE_MBEDTLS_DEVICE_CONFIG_H
#define IDPGATE_MBEDTLS_DEVICE_CONFIG_H

/* DTLS 1.2 (RFC 6347) with HelloVerifyRequest cookies and anti-replay */
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_DTLS
#define MBEDTLS_SSL_DTLS_HELLO_VERIFY
#define MBEDTLS_SSL_DTLS_ANTI_REPLAY
#define MBEDTLS_SSL_DTLS_BADMAC_LIMIT
#define MBEDTLS_SSL_COOKIE_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_CACHE_C
/* MBEDTLS_TIMING_C is not needed: the caller drives time through mbedtls_ssl_set_timer_cb */

/* TLS_PSK_WITH_AES_128_CCM_8 and TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (RFC 7252 9.1.3, RFC 7925) */
#define MBEDTLS_KEY_EXCHANGE_PSK_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_AES_C
/* Software AES keeps its tables in flash instead of building 8.5 KB of them in RAM at start-up
 * (measured with bench/size/rv32imc.sh: bss 9,772 -> 1,024 bytes, +2.6 KB rodata). On ESP32 the
 * hardware AES replaces these tables entirely. */
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_CCM_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C          /* SPKI pin: mbedtls_pk_write_pubkey_der */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_OID_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_ENTROPY_C

/* RFC 9146 Connection ID: only on 3.x (2.28 has the incompatible draft-05 form: leave it off) */
#include <mbedtls/version.h>
#if MBEDTLS_VERSION_NUMBER < 0x03000000
#undef MBEDTLS_SSL_DTLS_CONNECTION_ID
#endif

/* Small record buffers (see above). 2.28 sizes both from MAX_CONTENT_LEN unless IN/OUT are given. */
#undef MBEDTLS_SSL_MAX_CONTENT_LEN
#undef MBEDTLS_SSL_IN_CONTENT_LEN
#undef MBEDTLS_SSL_OUT_CONTENT_LEN
#define MBEDTLS_SSL_MAX_CONTENT_LEN 2048
#define MBEDTLS_SSL_IN_CONTENT_LEN 2048
#define MBEDTLS_SSL_OUT_CONTENT_LEN 1024
/* Let the client ask for small records too (RFC 6066 max_fragment_length), for peers that honour it. */
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH

/* Not needed by modules/dtls: save flash and RAM */
#undef MBEDTLS_SSL_RENEGOTIATION
#undef MBEDTLS_SSL_DTLS_SRTP
#undef MBEDTLS_KEY_EXCHANGE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_DHE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_RSA_PSK_ENABLED
#undef MBEDTLS_HAVEGE_C

#endif /* IDPGATE_MBEDTLS_DEVICE_CONFIG_H */
