/*
 * token_digest.h: a keyed 128-bit digest of an access token, the verifier's cache key
 * (src/verifier/digest.ts `TokenDigest`), computed natively over mbedtls.
 *
 * digest = HMAC-SHA-256(K, token bytes) truncated to its first 16 bytes (RFC 2104 section 5; RFC 4868
 * section 2.1.1 truncates the same way), under a 32-byte key K drawn once from the host entropy when the
 * object is made. The key never leaves C and is wiped when the object is freed. It is a cache key, not an
 * authenticator: what matters is that equal tokens give equal digests, that different tokens collide only
 * by chance (2^-128), and that a digest says nothing about the token outside this process.
 *
 * The mbedtls 2.28 / 3.6 / 4.x differences live in token_digest_compat.h.
 */
#ifndef TOKEN_DIGEST_H
#define TOKEN_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TOKEN_DIGEST_BYTES 16     /* output: the first 128 bits of the HMAC */
#define TOKEN_DIGEST_KEY_BYTES 32 /* HMAC key: one SHA-256 output length (RFC 2104 section 3) */

#define TOKEN_DIGEST_ERR_ALLOC (-1)   /* environment: out of memory */
#define TOKEN_DIGEST_ERR_ENTROPY (-2) /* environment: the entropy source failed */
#define TOKEN_DIGEST_ERR_CRYPTO (-3)  /* internal: mbedtls refused (HMAC or SHA-256 not built in?) */
#define TOKEN_DIGEST_ERR_CLOSED (-4)  /* caller: the digest was freed */

/** Same shape as dtls_entropy_fn: fills out[0..len) with secure random bytes, returns 0 on success. */
typedef int (*token_digest_entropy_fn)(void *ctx, unsigned char *out, size_t len);

typedef struct token_digest token_digest;

/**
 * [out] out: the new digest object (NULL on failure).
 * [in] entropy, ctx: source of the key (e.g. dtls_entropy from modules/dtls). With mbedtls 4.x the key is
 *      generated inside PSA from the library's own generator and `entropy` is not called.
 * Returns 0 or a negative TOKEN_DIGEST_ERR_*.
 */
int token_digest_new(token_digest **out, token_digest_entropy_fn entropy, void *ctx);

/**
 * [in] td; [in] data, len: the token's bytes; [out] out: TOKEN_DIGEST_BYTES bytes.
 * Allocates nothing. Returns 0 or a negative TOKEN_DIGEST_ERR_*.
 */
int token_digest_compute(token_digest *td, const uint8_t *data, size_t len, uint8_t out[TOKEN_DIGEST_BYTES]);

/**
 * The row of digest `d` in a verifier cache table (src/verifier/cache.ts, TokenCache.table), or -1; -2 when
 * the table is inconsistent (a bug: the caller throws). The table is `slots` open-addressing entries of
 * `wide` ? 4 : 2 bytes (row + 1, 0 for an empty slot; native byte order), then `rows` digests of 4 words;
 * `slots` is a power of two and the search probes linearly from d[0] & (slots - 1), as TokenCache.find does.
 * Reads only, allocates nothing; every entry is bounds-checked against `rows`, and the probe visits each
 * slot at most once.
 */
int token_digest_find(const uint8_t *table, size_t table_bytes, size_t slots, int wide, const uint32_t d[4]);

/** [in] td: wipes the key material and frees; NULL is accepted. */
void token_digest_free(token_digest *td);

/** [in] err: the stable dotted code ("digest.entropy", ...), or "digest.unknown". */
const char *token_digest_error_code(int err);

/** [in] err: who is at fault: "caller", "environment" or "internal". */
const char *token_digest_error_fault(int err);

#ifdef __cplusplus
}
#endif

#endif /* TOKEN_DIGEST_H */
