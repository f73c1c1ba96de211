/*
 * mbedtls_device_config.h: what modules/dtls needs from mbedtls on a device, as an mbedtls user config
 * (-DMBEDTLS_USER_CONFIG_FILE='"mbedtls_device_config.h"', included at the end of mbedtls's config). Works
 * on 2.28 and 3.6 (check_config.h accepts it with Debian's 2.28.3 headers, upstream 2.28.3 and 3.6.6); on
 * ESP-IDF set the same through sdkconfig.defaults beside this file (ESP-IDF generates its own config).
 *
 * Everything mbedtls enables by default that modules/dtls does not use is turned off below, because most of
 * it costs heap in every session or handshake, not only flash (see the memory section of ../README.md for
 * the measured effect of each group: test/dtls_heapbench with HEAPBENCH_TRACE=1). Record buffers: a DTLS
 * record must fit the path MTU anyway (IP fragmentation is off on Moddable's ESP32 lwIP), so 16 KB buffers
 * only waste heap: 1152 in (the largest CoAP message RFC 7252 4.6 lets a sender use when it knows nothing
 * of the path, and a reassembled P-256 leaf + intermediate Certificate message) and 1024 out (our flights
 * are fragmented to the MTU, CoAP uses Block2).
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
/* AES-128 only (3.x; 2.28 ignores it): the CCM_8 suites use AES-128, and each software AES context (two per
 * session) keeps a 44-word key schedule instead of 68 (-96 bytes each). The shared CTR_DRBG then runs on
 * AES-128 as well (NIST SP 800-90A, 128-bit security strength, the strength of the suites). */
#define MBEDTLS_AES_ONLY_128_BIT_KEY_LENGTH
#define MBEDTLS_CTR_DRBG_USE_128_BIT_KEY
/* x86 / Arm AES instructions (on by default; never on an ESP32): PADLOCK_C also keeps the 68-word schedule. */
#undef MBEDTLS_PADLOCK_C
#undef MBEDTLS_AESNI_C
#undef MBEDTLS_AESCE_C
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

/* MBEDTLS_VERSION_NUMBER for whoever includes this file as a whole config (bench/size/rv32imc.sh) */
#include <mbedtls/version.h>

/* RFC 9146 Connection ID (3.x; 2.28 has only the draft form, never used): off by default, because it costs
 * every session (CID room in both record buffers and the transform) whether a peer uses it or not; build
 * with -DIDPGATE_DTLS_CID=1 (ESP-IDF: CONFIG_MBEDTLS_SSL_DTLS_CONNECTION_ID) for devices whose address
 * changes under a session (NAT rebinding, roaming). CIDs of at most 8 bytes ours (DTLS_SERVER_CID_LEN) and
 * 16 bytes the peer's: a server handing out longer ones fails the handshake of a client that asked for one. */
#if defined(IDPGATE_DTLS_CID) && IDPGATE_DTLS_CID && MBEDTLS_VERSION_NUMBER >= 0x03000000
#define MBEDTLS_SSL_DTLS_CONNECTION_ID
#undef MBEDTLS_SSL_DTLS_CONNECTION_ID_COMPAT
#define MBEDTLS_SSL_DTLS_CONNECTION_ID_COMPAT 0
#undef MBEDTLS_SSL_CID_IN_LEN_MAX
#undef MBEDTLS_SSL_CID_OUT_LEN_MAX
#define MBEDTLS_SSL_CID_IN_LEN_MAX 8
#define MBEDTLS_SSL_CID_OUT_LEN_MAX 16
#else
#undef MBEDTLS_SSL_DTLS_CONNECTION_ID
#undef MBEDTLS_SSL_DTLS_CONNECTION_ID_COMPAT /* 3.6 defines it (0); check_config.h wants it gone with CID */
#endif

/* Record buffers: IN 1152 / OUT 1024 (dtls_record_buffers.h says why). 2.28 sizes both from MAX_CONTENT_LEN
 * unless IN/OUT are given. */
#include "dtls_record_buffers.h"
#undef MBEDTLS_SSL_MAX_CONTENT_LEN
#define MBEDTLS_SSL_MAX_CONTENT_LEN IDPGATE_DTLS_IN_CONTENT_LEN

/* Only AEAD (CCM) records: without CBC each record buffer loses 256 bytes of padding room and the MAC
 * room shrinks to the 16-byte tag; the transform keeps no HMAC contexts. */
#undef MBEDTLS_CIPHER_MODE_CBC
#undef MBEDTLS_CIPHER_MODE_CFB
#undef MBEDTLS_CIPHER_MODE_OFB
#undef MBEDTLS_CIPHER_MODE_XTS
#undef MBEDTLS_CIPHER_NULL_CIPHER
#undef MBEDTLS_SSL_ENCRYPT_THEN_MAC
#undef MBEDTLS_SSL_CBC_RECORD_SPLITTING
#undef MBEDTLS_SSL_TRUNCATED_HMAC
#undef MBEDTLS_GCM_C
#undef MBEDTLS_CHACHAPOLY_C
#undef MBEDTLS_CHACHA20_C
#undef MBEDTLS_POLY1305_C
#undef MBEDTLS_CAMELLIA_C
#undef MBEDTLS_ARIA_C
#undef MBEDTLS_DES_C
#undef MBEDTLS_ARC4_C
#undef MBEDTLS_BLOWFISH_C
#undef MBEDTLS_XTEA_C
#undef MBEDTLS_CMAC_C
#undef MBEDTLS_NIST_KW_C

/* (D)TLS 1.2 only: no MD5/SHA-1 handshake checksums (2.28 enables TLS 1.0/1.1 by default), no TLS 1.3
 * (3.6), and no SHA-384/512 (the CCM_8 suites use SHA-256; the SHA-512 checksum context goes from every
 * handshake, the entropy pool uses SHA-256; certificates must be signed with ecdsa-with-SHA256). */
#undef MBEDTLS_SSL_PROTO_SSL3
#undef MBEDTLS_SSL_PROTO_TLS1
#undef MBEDTLS_SSL_PROTO_TLS1_1
#undef MBEDTLS_SSL_PROTO_TLS1_3
#undef MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#undef MBEDTLS_SSL_EARLY_DATA
#undef MBEDTLS_SHA512_C
#undef MBEDTLS_SHA384_C
#undef MBEDTLS_SHA224_C
#undef MBEDTLS_SHA1_C
#undef MBEDTLS_MD5_C
#undef MBEDTLS_RIPEMD160_C
#undef MBEDTLS_PKCS5_C
#undef MBEDTLS_PKCS12_C

/* Only the two key exchanges: no finite-field DH (its 1 KB premaster room and DHM context leave the
 * handshake), no RSA, only P-256. */
#undef MBEDTLS_KEY_EXCHANGE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_DHE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDH_ECDSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDH_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_DHE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_RSA_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDHE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECJPAKE_ENABLED
#undef MBEDTLS_DHM_C
#undef MBEDTLS_ECJPAKE_C
#undef MBEDTLS_RSA_C
#undef MBEDTLS_PKCS1_V15
#undef MBEDTLS_PKCS1_V21
#undef MBEDTLS_X509_RSASSA_PSS_SUPPORT
#undef MBEDTLS_GENPRIME
#undef MBEDTLS_ECP_DP_SECP192R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP224R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP384R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP521R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP192K1_ENABLED
#undef MBEDTLS_ECP_DP_SECP224K1_ENABLED
#undef MBEDTLS_ECP_DP_SECP256K1_ENABLED
#undef MBEDTLS_ECP_DP_BP256R1_ENABLED
#undef MBEDTLS_ECP_DP_BP384R1_ENABLED
#undef MBEDTLS_ECP_DP_BP512R1_ENABLED
#undef MBEDTLS_ECP_DP_CURVE25519_ENABLED
#undef MBEDTLS_ECP_DP_CURVE448_ENABLED
/* Small ECC/bignum windows: less peak heap during an ECDHE-ECDSA handshake, at the price of speed. */
#include "ecc_device_windows.h"

/* Not needed by modules/dtls: save flash and RAM. The peer certificate is checked (CA chain, name, pin in
 * _verify_cb) during the handshake and not looked at afterwards, so the session keeps only its digest. */
#undef MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#undef MBEDTLS_SSL_CONTEXT_SERIALIZATION
#undef MBEDTLS_SSL_RENEGOTIATION
#undef MBEDTLS_SSL_DTLS_SRTP
#undef MBEDTLS_SSL_ALPN
#undef MBEDTLS_SSL_EXPORT_KEYS
#undef MBEDTLS_SSL_ASYNC_PRIVATE
#undef MBEDTLS_HAVEGE_C

#endif /* IDPGATE_MBEDTLS_DEVICE_CONFIG_H */
