/*
 * token_digest.c: HMAC-SHA-256(K, token)[0..16) under a random per-object key (see token_digest.h).
 *
 * The raw key exists only on the stack of token_digest_new, between the entropy call and the MAC setup,
 * and is wiped before returning; afterwards only the mbedtls/PSA context holds key-derived material, and
 * token_digest_free wipes that and the object.
 */
#include "token_digest.h"
#include "token_digest_compat.h"

#include <stdlib.h>
#include <string.h>

struct token_digest {
    td_compat_mac mac;
    int ready; /* mac set up: free must release it */
};

typedef struct {
    int err;
    const char *code;
    const char *fault;
} _err_row;

static const _err_row _errors[] = {
    { TOKEN_DIGEST_ERR_ALLOC, "digest.no_memory", "environment" },
    { TOKEN_DIGEST_ERR_ENTROPY, "digest.entropy", "environment" },
    { TOKEN_DIGEST_ERR_CRYPTO, "digest.crypto", "internal" },
    { TOKEN_DIGEST_ERR_CLOSED, "digest.closed", "caller" },
};

static const _err_row *_find_error(int err)
{
    for (size_t i = 0; i < sizeof _errors / sizeof _errors[0]; i++)
        if (_errors[i].err == err)
            return &_errors[i];
    return NULL;
}

const char *token_digest_error_code(int err)
{
    const _err_row *r = _find_error(err);
    return r ? r->code : "digest.unknown";
}

const char *token_digest_error_fault(int err)
{
    const _err_row *r = _find_error(err);
    return r ? r->fault : "internal";
}

int token_digest_new(token_digest **out, token_digest_entropy_fn entropy, void *ctx)
{
    if (out == NULL)
        return TOKEN_DIGEST_ERR_CRYPTO;
    *out = NULL;
    if (entropy == NULL)
        return TOKEN_DIGEST_ERR_ENTROPY;
    token_digest *td = calloc(1, sizeof *td);
    if (td == NULL)
        return TOKEN_DIGEST_ERR_ALLOC;
    unsigned char key[TOKEN_DIGEST_KEY_BYTES];
    int ret = entropy(ctx, key, sizeof key) == 0 ? 0 : TOKEN_DIGEST_ERR_ENTROPY;
    if (ret == 0) {
        td->ready = 1;
        ret = td_compat_mac_setup(&td->mac, key, sizeof key);
    }
    mbedtls_platform_zeroize(key, sizeof key);
    if (ret != 0) {
        token_digest_free(td);
        return ret;
    }
    *out = td;
    return 0;
}

int token_digest_compute(token_digest *td, const uint8_t *data, size_t len, uint8_t out[TOKEN_DIGEST_BYTES])
{
    if (td == NULL || !td->ready)
        return TOKEN_DIGEST_ERR_CLOSED;
    if (data == NULL && len != 0)
        return TOKEN_DIGEST_ERR_CRYPTO;
    unsigned char mac[TD_COMPAT_MAC_BYTES];
    int ret = td_compat_mac_compute(&td->mac, data, len, mac);
    if (ret == 0)
        memcpy(out, mac, TOKEN_DIGEST_BYTES); /* truncation: the leftmost bits (RFC 2104 section 5) */
    mbedtls_platform_zeroize(mac, sizeof mac);
    return ret;
}

static uint32_t _word(const uint8_t *p)
{
    uint32_t w;
    memcpy(&w, p, sizeof w); /* native order, as a Uint32Array holds it; no alignment assumed */
    return w;
}

int token_digest_find(const uint8_t *table, size_t table_bytes, size_t slots, int wide, const uint32_t d[4])
{
    size_t width = wide ? 4 : 2;
    if (table == NULL || d == NULL || slots < 2 || (slots & (slots - 1)) != 0 || slots > table_bytes / width)
        return -2;
    size_t index_bytes = slots * width;
    size_t rows = (table_bytes - index_bytes) / 16;
    if ((table_bytes - index_bytes) % 16 != 0)
        return -2;
    const uint8_t *words = table + index_bytes;
    size_t mask = slots - 1;
    size_t s = d[0] & mask;
    for (size_t probes = 0; probes < slots; probes++, s = (s + 1) & mask) {
        int32_t e;
        if (wide) {
            memcpy(&e, table + 4 * s, sizeof e);
        } else {
            int16_t e16;
            memcpy(&e16, table + 2 * s, sizeof e16);
            e = e16;
        }
        if (e == 0)
            return -1;
        if (e < 0 || (size_t)e > rows)
            return -2;
        const uint8_t *w = words + 16 * (size_t)(e - 1);
        if (_word(w) == d[0] && _word(w + 4) == d[1] && _word(w + 8) == d[2] && _word(w + 12) == d[3])
            return e - 1;
    }
    return -1; /* a full table (the cache keeps it at most half full): not found */
}

void token_digest_free(token_digest *td)
{
    if (td == NULL)
        return;
    if (td->ready)
        td_compat_mac_free(&td->mac);
    mbedtls_platform_zeroize(td, sizeof *td);
    free(td);
}
