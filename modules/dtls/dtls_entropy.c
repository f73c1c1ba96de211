/*
 * dtls_entropy.c: the entropy hook (hardware RNG on ESP-IDF, getrandom(2) on Linux, or one installed with
 * dtls_set_entropy) and the one CTR_DRBG every config shares (an mbedtls 2.28 entropy context alone is ~38 KB
 * on Debian), reference counted and seeded in place from the hook when the first config is made.
 * Single-threaded use. On mbedtls 4.x TLS draws from PSA, which seeds itself.
 */
#include "dtls_internal.h"

#if defined(ESP_PLATFORM)
#include "esp_random.h"
#elif defined(__linux__)
#include <sys/random.h>
#include <errno.h>
#endif

int dtls_entropy(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
#if defined(ESP_PLATFORM)
    esp_fill_random(out, len); /* hardware RNG; random only with RF on or the bootloader entropy source */
    return 0;
#elif defined(__linux__)
    size_t done = 0;
    for (int tries = 0; done < len && tries < 64; tries++) {
        ssize_t n = getrandom(out + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        done += (size_t)n;
    }
    return done == len ? 0 : -1;
#else
    (void)out; (void)len;
    return -1; /* other ports install their hook with dtls_set_entropy */
#endif
}

static dtls_entropy_fn _entropy_fn = dtls_entropy;
static void *_entropy_ctx = NULL;

void dtls_set_entropy(dtls_entropy_fn fn, void *ctx)
{
    _entropy_fn = fn ? fn : dtls_entropy;
    _entropy_ctx = fn ? ctx : NULL;
}

/* ------------------------------------------------------------------------------------------------------ */
/* the shared generator                                                                                   */

static struct {
    int refs;
#if !DTLS_COMPAT_MBEDTLS4
    dtls_compat_entropy_ctx ectx;
#endif
    dtls_compat_rng rng;
} _shared_rng;

dtls_compat_rng *dtls_rng_acquire(void)
{
    if (_shared_rng.refs == 0) {
#if !DTLS_COMPAT_MBEDTLS4
        _shared_rng.ectx.fn = _entropy_fn;
        _shared_rng.ectx.ctx = _entropy_ctx;
        int ret = dtls_compat_rng_setup(&_shared_rng.rng, &_shared_rng.ectx);
#else
        int ret = dtls_compat_rng_setup(&_shared_rng.rng, NULL);
#endif
        if (ret != 0) {
            dtls_compat_rng_free(&_shared_rng.rng);
            return NULL;
        }
    }
    _shared_rng.refs++;
    return &_shared_rng.rng;
}

void dtls_rng_release(void)
{
    if (_shared_rng.refs > 0 && --_shared_rng.refs == 0) {
        dtls_compat_rng_free(&_shared_rng.rng);
        mbedtls_platform_zeroize(&_shared_rng, sizeof _shared_rng);
    }
}
