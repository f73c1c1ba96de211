/*
 * token_digest_selftest.c: known answers for modules/digest (HMAC-SHA-256/128 under a fixed test key; the
 * expected values come from an independent implementation, Node's crypto.createHmac), error paths, and
 * NULL/double-free safety. Run under valgrind by `make -C modules/digest/test check`.
 */
#include "token_digest.h"

#include <stdio.h>
#include <string.h>

static int _failures;

#define CHECK(cond, what) \
    do { \
        if (!(cond)) { \
            printf("not ok - %s\n", what); \
            _failures++; \
        } else { \
            printf("ok - %s\n", what); \
        } \
    } while (0)

/* The test key 00 01 .. 1f instead of random bytes. */
static int _fixed_key(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)i;
    return 0;
}

static int _failing(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx; (void)out; (void)len;
    return -1;
}

static void _hex(const uint8_t *d, char *out)
{
    for (int i = 0; i < TOKEN_DIGEST_BYTES; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

int main(void)
{
    static const struct { const char *in; const char *hex; } known[] = {
        { "", "d38b42096d80f45f826b44a9d5607de7" },
        { "abc", "f0133729c4163dede81e21cd47839256" },
        { "tok-Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7Qx7",
          "c05b7a780fca43d1497531a26cb48cfb" },
    };
    token_digest *td = NULL;
    CHECK(token_digest_new(&td, _fixed_key, NULL) == 0 && td != NULL, "new with a fixed key");
    for (int round = 0; round < 2; round++) /* the second round proves the context resets between calls */
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
            uint8_t d[TOKEN_DIGEST_BYTES];
            char hex[2 * TOKEN_DIGEST_BYTES + 1];
            int ret = token_digest_compute(td, (const uint8_t *)known[i].in, strlen(known[i].in), d);
            _hex(d, hex);
            char what[96];
            snprintf(what, sizeof what, "known answer %zu (round %d): %s", i, round, hex);
            CHECK(ret == 0 && strcmp(hex, known[i].hex) == 0, what);
        }
    token_digest_free(td);

    token_digest *a = NULL, *b = NULL;
    CHECK(token_digest_new(&a, _failing, NULL) == TOKEN_DIGEST_ERR_ENTROPY && a == NULL, "a failing entropy source is reported");
    CHECK(strcmp(token_digest_error_code(TOKEN_DIGEST_ERR_ENTROPY), "digest.entropy") == 0, "error code string");
    CHECK(strcmp(token_digest_error_fault(TOKEN_DIGEST_ERR_CLOSED), "caller") == 0, "error fault string");
    CHECK(token_digest_new(&a, NULL, NULL) == TOKEN_DIGEST_ERR_ENTROPY, "no entropy source is reported");
    uint8_t d[TOKEN_DIGEST_BYTES];
    CHECK(token_digest_compute(NULL, (const uint8_t *)"x", 1, d) == TOKEN_DIGEST_ERR_CLOSED, "compute on NULL is refused");
    token_digest_free(NULL);

#if defined(__linux__)
    extern int dtls_entropy(void *ctx, unsigned char *out, size_t len);
    uint8_t da[TOKEN_DIGEST_BYTES], db[TOKEN_DIGEST_BYTES];
    CHECK(token_digest_new(&a, dtls_entropy, NULL) == 0 && token_digest_new(&b, dtls_entropy, NULL) == 0, "two keyed from dtls_entropy");
    token_digest_compute(a, (const uint8_t *)"abc", 3, da);
    token_digest_compute(b, (const uint8_t *)"abc", 3, db);
    CHECK(memcmp(da, db, sizeof da) != 0, "two objects have different keys");
    token_digest_free(a);
    token_digest_free(b);
#endif
    printf("%s: %d failure(s)\n", _failures ? "FAILED" : "passed", _failures);
    return _failures ? 1 : 0;
}
