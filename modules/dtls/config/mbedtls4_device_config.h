/*
 * mbedtls4_device_config.h: what modules/dtls needs from the TLS half of mbedtls 4.x on a device, as an
 * mbedtls user config (-DMBEDTLS_USER_CONFIG_FILE='"mbedtls4_device_config.h"', included after
 * mbedtls/mbedtls_config.h). mbedtls 4 splits its options: this file holds the TLS and X.509 ones, the
 * crypto ones (PSA_WANT_*, MBEDTLS_PSA_*, ECC and AES tuning, ASN.1/PEM/PK) are in
 * tfpsacrypto_device_config.h beside it (-DTF_PSA_CRYPTO_USER_CONFIG_FILE='"tfpsacrypto_device_config.h"').
 * Both must be given to the library build and to everything that includes mbedtls headers (the structs
 * change size): test/build-mbedtls4-device.sh builds a 4.x tree with them, test/compile-check.sh uses them
 * with DEVICE_CONFIG=1 on a 4.x tree. Checked with mbedtls 4.0.0 / TF-PSA-Crypto 1.0.0. The 2.28 / 3.6
 * equivalent is mbedtls_device_config.h (single file); on ESP-IDF 6 set the same through sdkconfig.
 *
 * Same choices as mbedtls_device_config.h, translated: everything mbedtls enables by default that
 * modules/dtls does not use is turned off, because most of it costs heap in every session or handshake,
 * not only flash (see the memory section of ../README.md: test/dtls_heapbench with HEAPBENCH_TRACE=1).
 * Record buffers: a DTLS record must fit the path MTU anyway (IP fragmentation is off on Moddable's ESP32
 * lwIP), so 16 KB buffers only waste heap: 1152 in (the largest CoAP message RFC 7252 4.6 lets a sender
 * use when it knows nothing of the path, and a reassembled P-256 leaf + intermediate Certificate message)
 * and 1024 out (our flights are fragmented to the MTU, CoAP uses Block2).
 *
 * Differences from the 2.28 / 3.6 file: mbedtls 4 has no RSA/DHE/static-ECDH key exchanges, no TLS 1.0/1.1,
 * no truncated HMAC, no CBC record splitting, no BADMAC_LIMIT option (always on) and no CID_COMPAT to remove;
 * which ciphers, hashes and curves exist is decided by the crypto config (CBC, GCM, ChaCha, SHA-1/384/512
 * are off there, so TLS has no CBC/MAC room in its record buffers). Connection ID as in the 2.28 / 3.6 file:
 * off unless IDPGATE_DTLS_CID=1.
 */
#ifndef IDPGATE_MBEDTLS4_DEVICE_CONFIG_H
#define IDPGATE_MBEDTLS4_DEVICE_CONFIG_H

/* DTLS 1.2 (RFC 6347) with HelloVerifyRequest cookies, anti-replay and client reconnection on the same port
 * (the server side's MBEDTLS_ERR_SSL_CLIENT_RECONNECT) */
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_DTLS
#define MBEDTLS_SSL_DTLS_HELLO_VERIFY
#define MBEDTLS_SSL_DTLS_ANTI_REPLAY
#define MBEDTLS_SSL_DTLS_CLIENT_PORT_REUSE
#define MBEDTLS_SSL_COOKIE_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_SESSION_TICKETS /* client: accepts a server's ticket for resumption (session grows by it) */
#define MBEDTLS_SSL_CACHE_C         /* server: resumption by session ID */
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_SERVER_NAME_INDICATION

/* RFC 9146 Connection ID (mbedtls 4 only has the RFC form; modules/dtls want_cid): off by default, it costs
 * every session whether a peer uses it or not: each record buffer gets room for the CID plus
 * MBEDTLS_SSL_CID_TLS1_3_PADDING_GRANULARITY (16 by default; despite its name it also pads DTLS 1.2 CID
 * records to a multiple of 16 on the wire). Measured on 4.0.0 with the defaults (32-byte CIDs): 240 bytes
 * held / 272 peak per PSK client. With -DIDPGATE_DTLS_CID=1: our CIDs are 8 bytes (DTLS_SERVER_CID_LEN),
 * a peer's at most 16 (a server handing out longer ones fails the handshake of a client that asked for one),
 * no padding. */
#if defined(IDPGATE_DTLS_CID) && IDPGATE_DTLS_CID
#define MBEDTLS_SSL_DTLS_CONNECTION_ID
#undef MBEDTLS_SSL_CID_IN_LEN_MAX
#undef MBEDTLS_SSL_CID_OUT_LEN_MAX
#undef MBEDTLS_SSL_CID_TLS1_3_PADDING_GRANULARITY
#define MBEDTLS_SSL_CID_IN_LEN_MAX 8
#define MBEDTLS_SSL_CID_OUT_LEN_MAX 16
#define MBEDTLS_SSL_CID_TLS1_3_PADDING_GRANULARITY 1
#else
#undef MBEDTLS_SSL_DTLS_CONNECTION_ID
#endif

/* TLS_PSK_WITH_AES_128_CCM_8 and TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (RFC 7252 9.1.3, RFC 7925); the
 * ciphers, hashes and curves behind them are chosen in tfpsacrypto_device_config.h */
#define MBEDTLS_KEY_EXCHANGE_PSK_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
/* MBEDTLS_PSK_MAX_LEN stays at its default, 32 bytes without TLS 1.3 (the premaster room in every handshake
 * is 4 + 2 * PSK_MAX_LEN): dtls_session_new refuses longer PSKs (dtls.bad_argument), as on 2.28 / 3.6. */

/* Only the two key exchanges (4.x has no RSA, DHE or static ECDH ones left). */
#undef MBEDTLS_KEY_EXCHANGE_ECDHE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECJPAKE_ENABLED
#undef MBEDTLS_SSL_NULL_CIPHERSUITES /* was MBEDTLS_CIPHER_NULL_CIPHER */
#undef MBEDTLS_SSL_ENCRYPT_THEN_MAC  /* CBC only: no CBC suites here */

/* (D)TLS 1.2 only: no TLS 1.3 (its key schedule, HKDF, SHA-384 suites, tickets with 48-byte PSKs). */
#undef MBEDTLS_SSL_PROTO_TLS1_3
#undef MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#undef MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#undef MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_ENABLED
#undef MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#undef MBEDTLS_SSL_EARLY_DATA
#undef MBEDTLS_SSL_RECORD_SIZE_LIMIT

/* Record buffers: IN 1152 / OUT 1024 (dtls_record_buffers.h says why). */
#include "dtls_record_buffers.h"

/* Not needed by modules/dtls: save flash and RAM. The peer certificate is checked (CA chain, name, pin in
 * _verify_cb) during the handshake and not looked at afterwards, so the session keeps only its digest.
 * KEYING_MATERIAL_EXPORT (was EXPORT_KEYS) and CONTEXT_SERIALIZATION would also keep both handshake randoms
 * (64 bytes) in every connected session (MBEDTLS_SSL_KEEP_RANDBYTES). The server side's session cache is
 * used, its ticket module (MBEDTLS_SSL_TICKET_C) is not. */
#undef MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#undef MBEDTLS_SSL_CONTEXT_SERIALIZATION
#undef MBEDTLS_SSL_KEYING_MATERIAL_EXPORT
#undef MBEDTLS_SSL_RENEGOTIATION
#undef MBEDTLS_SSL_DTLS_SRTP
#undef MBEDTLS_SSL_ALPN
#undef MBEDTLS_SSL_ASYNC_PRIVATE
#undef MBEDTLS_SSL_TICKET_C
/* X.509: only certificate parsing and verification (no CRLs, CSRs, writing, PKCS#7, RSA-PSS). */
#undef MBEDTLS_X509_CRL_PARSE_C
#undef MBEDTLS_X509_CSR_PARSE_C
#undef MBEDTLS_X509_CREATE_C
#undef MBEDTLS_X509_CRT_WRITE_C
#undef MBEDTLS_X509_CSR_WRITE_C
#undef MBEDTLS_X509_RSASSA_PSS_SUPPORT
#undef MBEDTLS_PKCS7_C
/* The caller does the I/O (sans-IO: mbedtls_ssl_set_bio) and the time (mbedtls_ssl_set_timer_cb); no debug
 * output, error strings or version queries are used. */
#undef MBEDTLS_NET_C
#undef MBEDTLS_TIMING_C
#undef MBEDTLS_DEBUG_C
#undef MBEDTLS_ERROR_C
#undef MBEDTLS_VERSION_C
#undef MBEDTLS_VERSION_FEATURES

#endif /* IDPGATE_MBEDTLS4_DEVICE_CONFIG_H */
