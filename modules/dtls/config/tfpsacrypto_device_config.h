/*
 * tfpsacrypto_device_config.h: what modules/dtls needs from TF-PSA-Crypto 1.x (the crypto half of mbedtls
 * 4.x) on a device, as a crypto user config (-DTF_PSA_CRYPTO_USER_CONFIG_FILE='"tfpsacrypto_device_config.h"',
 * included after psa/crypto_config.h). The TLS half is mbedtls4_device_config.h beside it; both must be given
 * to the library build and to everything that includes mbedtls headers (test/build-mbedtls4-device.sh,
 * test/compile-check.sh with DEVICE_CONFIG=1). Checked with TF-PSA-Crypto 1.0.0 (mbedtls 4.0.0).
 *
 * The 2.28 / 3.6 equivalent is the crypto part of mbedtls_device_config.h: in TF-PSA-Crypto mechanisms are
 * chosen with PSA_WANT_* (the legacy MBEDTLS_AES_C, MBEDTLS_CCM_C, MBEDTLS_ECP_C ... follow from them), so
 * everything the default config wants is unwanted below and only what the two CoAP suites use is kept:
 * AES-128-CCM_8 records, SHA-256 (PRF, HMAC cookies, certificate signatures, the RNG's entropy pool),
 * P-256 ECDHE and ECDSA, the TLS 1.2 PRF and PSK-to-master-secret derivations. No CBC/GCM/ChaCha/CMAC
 * (without CBC each TLS record buffer has no 256-byte padding room and only the 16-byte tag as MAC room),
 * no RSA/FFDH, no SHA-1/224/384/512/SHA-3/MD5/RIPEMD (the SHA-512 checksum context leaves every handshake;
 * certificates must be signed with ecdsa-with-SHA256), no curves other than P-256.
 *
 * PSA keeps every key (PSK, record keys, ECDHE ephemeral, cookie HMAC key, parsed private keys) in its key
 * store: the slots are a static array of MBEDTLS_PSA_KEY_SLOT_COUNT (bss, not heap) instead of the default
 * dynamically grown slices, and the key material itself is allocated with mbedtls_calloc per key (calloc
 * unless MBEDTLS_PLATFORM_MEMORY redirects it, as ESP-IDF does). No key files: persistent storage is off.
 */
#ifndef IDPGATE_TFPSACRYPTO_DEVICE_CONFIG_H
#define IDPGATE_TFPSACRYPTO_DEVICE_CONFIG_H

/* ---- mechanisms (PSA_WANT_*) ---- */
#define PSA_WANT_ALG_CCM 1              /* records: AES-128-CCM_8 */
#define PSA_WANT_ALG_SHA_256 1
#define PSA_WANT_ALG_HMAC 1             /* TLS 1.2 PRF, DTLS cookies */
#define PSA_WANT_ALG_TLS12_PRF 1
#define PSA_WANT_ALG_TLS12_PSK_TO_MS 1
#define PSA_WANT_ALG_ECDH 1             /* ECDHE */
#define PSA_WANT_ALG_ECDSA 1            /* ServerKeyExchange and certificate signatures */
#define PSA_WANT_ECC_SECP_R1_256 1
#define PSA_WANT_KEY_TYPE_AES 1
#define PSA_WANT_KEY_TYPE_DERIVE 1
#define PSA_WANT_KEY_TYPE_HMAC 1
#define PSA_WANT_KEY_TYPE_RAW_DATA 1
#define PSA_WANT_KEY_TYPE_ECC_PUBLIC_KEY 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_BASIC 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_IMPORT 1   /* our own certificate's key */
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_EXPORT 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_GENERATE 1 /* ECDHE ephemeral key */

/* Only AEAD (CCM) records, only AES. */
#undef PSA_WANT_ALG_CBC_NO_PADDING
#undef PSA_WANT_ALG_CBC_PKCS7
#undef PSA_WANT_ALG_CCM_STAR_NO_TAG
#undef PSA_WANT_ALG_CMAC
#undef PSA_WANT_ALG_CFB
#undef PSA_WANT_ALG_CHACHA20_POLY1305
#undef PSA_WANT_ALG_CTR
#undef PSA_WANT_ALG_ECB_NO_PADDING
#undef PSA_WANT_ALG_GCM
#undef PSA_WANT_ALG_OFB
#undef PSA_WANT_ALG_STREAM_CIPHER
#undef PSA_WANT_KEY_TYPE_ARIA
#undef PSA_WANT_KEY_TYPE_CAMELLIA
#undef PSA_WANT_KEY_TYPE_CHACHA20
/* Only SHA-256 (TLS 1.2 with the CCM_8 suites; the entropy pool and CTR_DRBG's seeding use it too). */
#undef PSA_WANT_ALG_MD5
#undef PSA_WANT_ALG_RIPEMD160
#undef PSA_WANT_ALG_SHA_1
#undef PSA_WANT_ALG_SHA_224
#undef PSA_WANT_ALG_SHA_384
#undef PSA_WANT_ALG_SHA_512
#undef PSA_WANT_ALG_SHA3_224
#undef PSA_WANT_ALG_SHA3_256
#undef PSA_WANT_ALG_SHA3_384
#undef PSA_WANT_ALG_SHA3_512
/* No TLS 1.3 / other key derivations, no password hashing, no EC J-PAKE. */
#undef PSA_WANT_ALG_HKDF
#undef PSA_WANT_ALG_HKDF_EXTRACT
#undef PSA_WANT_ALG_HKDF_EXPAND
#undef PSA_WANT_ALG_PBKDF2_HMAC
#undef PSA_WANT_ALG_PBKDF2_AES_CMAC_PRF_128
#undef PSA_WANT_ALG_TLS12_ECJPAKE_TO_PMS
#undef PSA_WANT_ALG_JPAKE
#undef PSA_WANT_KEY_TYPE_PASSWORD
#undef PSA_WANT_KEY_TYPE_PASSWORD_HASH
/* ECDSA signatures are randomised (PSA RNG): deterministic ECDSA would add HMAC_DRBG for no TLS benefit. */
#undef PSA_WANT_ALG_DETERMINISTIC_ECDSA
/* No RSA, no finite-field DH. */
#undef PSA_WANT_ALG_RSA_OAEP
#undef PSA_WANT_ALG_RSA_PKCS1V15_CRYPT
#undef PSA_WANT_ALG_RSA_PKCS1V15_SIGN
#undef PSA_WANT_ALG_RSA_PSS
#undef PSA_WANT_KEY_TYPE_RSA_PUBLIC_KEY
#undef PSA_WANT_KEY_TYPE_RSA_KEY_PAIR_BASIC
#undef PSA_WANT_KEY_TYPE_RSA_KEY_PAIR_IMPORT
#undef PSA_WANT_KEY_TYPE_RSA_KEY_PAIR_EXPORT
#undef PSA_WANT_KEY_TYPE_RSA_KEY_PAIR_GENERATE
#undef PSA_WANT_ALG_FFDH
#undef PSA_WANT_KEY_TYPE_DH_PUBLIC_KEY
#undef PSA_WANT_KEY_TYPE_DH_KEY_PAIR_BASIC
#undef PSA_WANT_KEY_TYPE_DH_KEY_PAIR_IMPORT
#undef PSA_WANT_KEY_TYPE_DH_KEY_PAIR_EXPORT
#undef PSA_WANT_KEY_TYPE_DH_KEY_PAIR_GENERATE
#undef PSA_WANT_DH_RFC7919_2048
#undef PSA_WANT_DH_RFC7919_3072
#undef PSA_WANT_DH_RFC7919_4096
#undef PSA_WANT_DH_RFC7919_6144
#undef PSA_WANT_DH_RFC7919_8192
#undef PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_DERIVE
/* Only P-256. */
#undef PSA_WANT_ECC_BRAINPOOL_P_R1_256
#undef PSA_WANT_ECC_BRAINPOOL_P_R1_384
#undef PSA_WANT_ECC_BRAINPOOL_P_R1_512
#undef PSA_WANT_ECC_MONTGOMERY_255
#undef PSA_WANT_ECC_MONTGOMERY_448
#undef PSA_WANT_ECC_SECP_K1_256
#undef PSA_WANT_ECC_SECP_R1_384
#undef PSA_WANT_ECC_SECP_R1_521

/* ---- PSA core ---- */
#define MBEDTLS_PSA_CRYPTO_C
/* Random numbers: CTR_DRBG (AES-256) seeded by the platform entropy source (getrandom on Linux; on ESP-IDF
 * its port supplies the hardware RNG). HMAC_DRBG is only a fallback, not needed. */
#define MBEDTLS_CTR_DRBG_C
#undef MBEDTLS_HMAC_DRBG_C
/* Volatile keys only: no key files (persistent storage and its file-backed ITS off, and no FS at all). */
#undef MBEDTLS_PSA_CRYPTO_STORAGE_C
#undef MBEDTLS_PSA_ITS_FILE_C
#undef MBEDTLS_FS_IO
/* Key store: a fixed array of slots (bss: 40 bytes each on 32-bit, 56 on x86-64) instead of heap slices that
 * grow 16, 32, 64 ... slots, never given back, plus a 32-slot persistent-key cache. Every PSA key takes a slot
 * (its material is on the heap, counted by the bench): each connected session 2 (its record keys, both
 * roles), a handshake 1-2 more while it runs (master-secret derivation, ECDHE ephemeral, the peer's
 * public key during a signature check), each server config 1 (cookie HMAC key), each own private key 1.
 * Measured with the selftest (a client and a server, or a server with two peers and two clients, in one
 * process): 6 slots fail the first handshake, 8 the two-peer one, 16 pass. Size it for the device: 2 per
 * session it may hold (a dtls_server's peers and its clients together), + 4 (IDPGATE_PSA_KEY_SLOT_COUNT). Out of slots, key imports fail with
 * PSA_ERROR_INSUFFICIENT_MEMORY and the handshake fails (reported as dtls.bad_psk or dtls.protocol_error). */
#undef MBEDTLS_PSA_KEY_STORE_DYNAMIC
#undef MBEDTLS_PSA_KEY_SLOT_COUNT
#ifndef IDPGATE_PSA_KEY_SLOT_COUNT
#define IDPGATE_PSA_KEY_SLOT_COUNT 16
#endif
#define MBEDTLS_PSA_KEY_SLOT_COUNT IDPGATE_PSA_KEY_SLOT_COUNT
/* PSA functions work on the caller's buffers instead of heap copies of every input and output (the copies
 * protect memory shared across a trust boundary, e.g. a secure partition; a device running modules/dtls has
 * no such boundary). Saves a record-sized allocation per encrypt/decrypt and per handshake hash update:
 * measured on 4.0.0 without it, PSK client peak +960 bytes, server peer +900 (a 16,695-byte copy of the
 * output record with the default 16 KB buffers). mbedtls's own CI runs its TLS tests with it on. */
#define MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS

/* ---- crypto-adjacent modules: only what certificates, keys and pins need ---- */
#define MBEDTLS_MD_C                /* mbedtls_md: dtls_compat_sha256, token digests, X.509 */
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C          /* SPKI pin: mbedtls_pk_write_pubkey_der */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C
#undef MBEDTLS_PEM_WRITE_C
#undef MBEDTLS_PK_PARSE_EC_EXTENDED   /* keys with explicit curve parameters */
#undef MBEDTLS_PK_PARSE_EC_COMPRESSED /* compressed points */
#undef MBEDTLS_PKCS5_C
#undef MBEDTLS_LMS_C
#undef MBEDTLS_NIST_KW_C
#undef MBEDTLS_SELF_TEST

/* Software AES keeps its tables in flash instead of building 8.5 KB of them in RAM at start-up
 * (measured on 2.28 with bench/size/rv32imc.sh: bss 9,772 -> 1,024 bytes, +2.6 KB rodata). On ESP32 the
 * hardware AES replaces these tables entirely. */
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
/* AES-128 only, as in mbedtls_device_config.h: the CCM_8 suites use AES-128, and the PSA RNG's CTR_DRBG
 * runs on AES-128 too (128-bit security strength, the strength of the suites; 4.x spells 3.x's
 * MBEDTLS_CTR_DRBG_USE_128_BIT_KEY as MBEDTLS_PSA_CRYPTO_RNG_STRENGTH 128, and refuses AES-128-only with
 * strength 256). Unlike 3.x this saves no heap: PSA builds the CCM/AES context on the stack for each record
 * (one-shot psa_aead_encrypt/decrypt) and keeps only the 16-byte raw key on the heap; it shrinks that stack
 * frame and the RNG state (bss). An AES-256 suite asked for explicitly fails its handshake. */
#define MBEDTLS_AES_ONLY_128_BIT_KEY_LENGTH
#undef MBEDTLS_PSA_CRYPTO_RNG_STRENGTH
#define MBEDTLS_PSA_CRYPTO_RNG_STRENGTH 128
/* x86 / Arm AES instructions (on by default; never on an ESP32; 4.x has no PADLOCK_C any more). */
#undef MBEDTLS_AESNI_C
#undef MBEDTLS_AESCE_C

/* Small ECC/bignum windows: less peak heap during an ECDHE-ECDSA handshake, at the price of speed. */
#include "ecc_device_windows.h"

/* Opt-in (-DIDPGATE_PSA_P256M, library and drivers alike): p256-m instead of the bignum ECC for P-256 ECDH
 * and ECDSA. The options above already meet its conditions (no deterministic ECDSA, no other curves, no
 * compressed/extended key parsing). Measured on 4.0.0 (x86-64): ECDHE-ECDSA client peak -2,016 bytes
 * (no bignum temporaries), libtfpsacrypto text -39 KB; PSK figures unchanged. Off by default: it bypasses
 * the ESP32 ECC/MPI accelerators and ESP-IDF's own ECC options (not tried on ESP-IDF 6). */
#if defined(IDPGATE_PSA_P256M)
#define MBEDTLS_PSA_P256M_DRIVER_ENABLED
#endif

#endif /* IDPGATE_TFPSACRYPTO_DEVICE_CONFIG_H */
