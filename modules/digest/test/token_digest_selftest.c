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

/* A cache table as src/verifier/cache.ts lays it out: `slots` index entries (row + 1) then 4-word rows. */
static size_t _table(uint8_t *t, size_t slots, int wide, size_t rows, const uint32_t (*digests)[4], size_t n)
{
    size_t width = wide ? 4 : 2, index_bytes = slots * width;
    memset(t, 0, index_bytes + 16 * rows);
    for (size_t r = 0; r < n; r++) {
        memcpy(t + index_bytes + 16 * r, digests[r], 16);
        size_t s = digests[r][0] & (slots - 1);
        for (;;) {
            int32_t e = 0;
            if (wide)
                memcpy(&e, t + 4 * s, 4);
            else {
                int16_t e16;
                memcpy(&e16, t + 2 * s, 2);
                e = e16;
            }
            if (e == 0)
                break;
            s = (s + 1) & (slots - 1);
        }
        if (wide) {
            int32_t e = (int32_t)r + 1;
            memcpy(t + 4 * s, &e, 4);
        } else {
            int16_t e = (int16_t)(r + 1);
            memcpy(t + 2 * s, &e, 2);
        }
    }
    return index_bytes + 16 * rows;
}

static void _find_tests(void)
{
    /* Rows 0 and 1 share home slot 6 (row 1 goes to 7); row 2, home 7, wraps around to slot 0 (8 slots). */
    static const uint32_t digests[3][4] = { { 6, 1, 2, 3 }, { 14, 1, 2, 3 }, { 7, 9, 9, 9 } };
    static uint8_t t[4 * 65536 + 16 * 4];
    for (int wide = 0; wide < 2; wide++) {
        size_t slots = wide ? 65536 : 8;
        size_t bytes = _table(t, slots, wide, 4, digests, 3);
        char what[96];
        for (int r = 0; r < 3; r++) {
            snprintf(what, sizeof what, "find row %d (%s slots)", r, wide ? "4-byte" : "2-byte");
            CHECK(token_digest_find(t, bytes, slots, wide, digests[r]) == r, what);
        }
        const uint32_t other[4] = { 6, 1, 2, 4 }; /* differs from row 0 in the last word only */
        CHECK(token_digest_find(t, bytes, slots, wide, other) == -1, wide ? "absent (4-byte)" : "absent (2-byte)");
    }
    size_t bytes = _table(t, 8, 0, 4, digests, 3);
    CHECK(token_digest_find(t, bytes, 6, 0, digests[0]) == -2, "slots not a power of two: refused");
    CHECK(token_digest_find(t, bytes, 1, 0, digests[0]) == -2, "one slot: refused");
    CHECK(token_digest_find(t, 15, 8, 0, digests[0]) == -2, "a buffer shorter than the index: refused");
    CHECK(token_digest_find(t, bytes - 1, 8, 0, digests[0]) == -2, "no whole rows: refused");
    CHECK(token_digest_find(NULL, bytes, 8, 0, digests[0]) == -2, "NULL table: refused");
    int16_t bad = 5; /* names a row past the 4 the buffer holds */
    memcpy(t + 2 * 6, &bad, 2);
    CHECK(token_digest_find(t, bytes, 8, 0, digests[0]) == -2, "an entry past the rows: refused, not read");
    bad = -1;
    memcpy(t + 2 * 6, &bad, 2);
    CHECK(token_digest_find(t, bytes, 8, 0, digests[0]) == -2, "a negative entry: refused");
    /* every slot used: a probe ends after one round */
    for (int s = 0; s < 8; s++) {
        int16_t e = 4;
        memcpy(t + 2 * s, &e, 2);
    }
    CHECK(token_digest_find(t, bytes, 8, 0, digests[2]) == -1, "a full index: not found after one round");
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
    _find_tests();
    printf("%s: %d failure(s)\n", _failures ? "FAILED" : "passed", _failures);
    return _failures ? 1 : 0;
}
