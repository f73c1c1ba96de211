/*
 * dtls_heapbench: heap used by one client dtls_session during a PSK (TLS_PSK_WITH_AES_128_CCM_8) handshake
 * and held once connected, measured with link-time wrappers of calloc/malloc/free (-Wl,--wrap=...) around
 * Debian's static mbedtls (libmbed*.a), so every allocation mbedtls and the core make is seen. The server
 * runs in the same process; counting is switched on only inside client calls (everything the client
 * allocates or frees happens there). Bytes are glibc usable sizes. Prints BENCH lines (CONVENTIONS.md).
 * Also: an ECDHE-ECDSA-CCM8 client handshake (P-256, CA-checked, the server's flight fragmented), handshake
 * flights and bytes, full vs resumed. HEAPBENCH_TRACE=1 lists the client's live blocks and their callers.
 */
#include "dtls_session.h"
#include "test_certs.h"

#include <mbedtls/ssl.h>
#include <mbedtls/version.h>

#if defined(__GLIBC__)
#include <execinfo.h>
#include <malloc.h>
#else
/* Bare-metal builds (picolibc, e.g. on the emulated ESP32-C3, test/esp32/): no unwinder and no usable size.
 * The wrappers below keep each block's requested size in a header, so "usable" is the requested size there;
 * and calloc is malloc + memset, since a static C library's calloc would call the wrapped malloc itself. */
#define HEAPBENCH_HEADER 8
static size_t malloc_usable_size(void *p) { return *(size_t *)((char *)p - HEAPBENCH_HEADER); }
static int backtrace(void **frames, int n) { (void)frames; (void)n; return 0; }
#endif
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__real_calloc(size_t n, size_t size);
void *__real_malloc(size_t size);
void __real_free(void *p);

static int counting;        /* 1: client calls, 2: server calls */
static long cur, peak, allocs;
static long scur, speak;
/* The same client blocks counted allocator-free: requested bytes, and modelled for ESP-IDF's TLSF heap
 * (each block rounded up to 4 bytes plus a 4-byte header; no heap poisoning). Built with -m32 (the
 * Makefile's device32 target) this is what a 32-bit device allocates, pointers and size_t at 4 bytes. */
static long req_cur, req_peak, tlsf_cur, tlsf_peak;

/* The client's live blocks (pointer, requested size; with HEAPBENCH_TRACE=1 also the call chain) at its
 * peak and now, on stderr as "size <- frame <- frame ..."; resolve frames with addr2line -f -e <binary>
 * (offsets from the executable's start; mbedtls frames resolve when it is linked statically, as here). */
#define LIVE_MAX 1024
#define TRACE_DEPTH 5
typedef struct { void *p; size_t size; void *frames[TRACE_DEPTH]; int n; } _block;
static int tracing;
static _block live[LIVE_MAX], at_peak[LIVE_MAX];
static int nlive, npeak, live_overflow;
extern const char __executable_start[];

static long _tlsf(size_t size) { return (long)((size + 3) / 4 * 4 + 4); }

static void _track(void *p, size_t size)
{
    if (nlive == LIVE_MAX) { live_overflow = 1; return; }
    _block *b = &live[nlive++];
    b->p = p;
    b->size = size;
    b->n = 0;
    req_cur += (long)size;
    tlsf_cur += _tlsf(size);
    if (req_cur > req_peak) req_peak = req_cur;
    if (tlsf_cur > tlsf_peak) tlsf_peak = tlsf_cur;
    if (!tracing) return;
    void *frames[TRACE_DEPTH + 2];
    int n = backtrace(frames, TRACE_DEPTH + 2);
    b->n = n > 2 ? n - 2 : 0; /* skip _track and the wrapper */
    memcpy(b->frames, frames + 2, (size_t)b->n * sizeof(void *));
}

static void _untrack(void *p)
{
    for (int i = nlive - 1; i >= 0; i--)
        if (live[i].p == p) {
            req_cur -= (long)live[i].size;
            tlsf_cur -= _tlsf(live[i].size);
            live[i] = live[--nlive];
            return;
        }
}

static void _dump(const char *what, const _block *t, int n)
{
    fprintf(stderr, "TRACE %s: %d blocks\n", what, n);
    for (int i = 0; i < n; i++) {
        fprintf(stderr, "TRACE %6zu", t[i].size);
        for (int f = 0; f < t[i].n; f++) fprintf(stderr, " <- 0x%lx", (unsigned long)((const char *)t[i].frames[f] - __executable_start));
        fputc('\n', stderr);
    }
}

static void _counted(void *p, size_t size)
{
    if (p && counting == 1) {
        cur += (long)malloc_usable_size(p);
        allocs++;
        _track(p, size);
        if (cur > peak) {
            peak = cur;
            if (tracing) { memcpy(at_peak, live, (size_t)nlive * sizeof *live); npeak = nlive; }
        }
    } else if (p && counting == 2) {
        scur += (long)malloc_usable_size(p);
        if (scur > speak) speak = scur;
    }
}

#if defined(__GLIBC__)
void *__wrap_calloc(size_t n, size_t size)
{
    void *p = __real_calloc(n, size);
    _counted(p, n * size);
    return p;
}

void *__wrap_malloc(size_t size)
{
    void *p = __real_malloc(size);
    _counted(p, size);
    return p;
}
#else
void *__wrap_malloc(size_t size)
{
    char *q = size > SIZE_MAX - HEAPBENCH_HEADER ? NULL : __real_malloc(size + HEAPBENCH_HEADER);
    if (!q) return NULL;
    *(size_t *)q = size;
    _counted(q + HEAPBENCH_HEADER, size);
    return q + HEAPBENCH_HEADER;
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = __wrap_malloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}
#endif

void __wrap_free(void *p)
{
    if (p && counting == 1) { cur -= (long)malloc_usable_size(p); _untrack(p); }
    else if (p && counting == 2) scur -= (long)malloc_usable_size(p);
#if defined(__GLIBC__)
    __real_free(p);
#else
    if (p) __real_free((char *)p - HEAPBENCH_HEADER);
#endif
}

static const uint8_t KEY[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

#define CLIENT(expr) (counting = 1, (expr), counting = 0)
#define SERVER(expr) (counting = 2, (expr), counting = 0)

typedef struct {
    long peak, held, allocs, after_new, server_peak, server_held;
    long server_steady;                   /* server's heap for this peer after one datagram each way */
    long req_peak, req_held, tlsf_peak, tlsf_held, blocks_held;
    long steady, req_steady, tlsf_steady; /* held after one application datagram each way */
    long saved_bytes;                     /* requested bytes dtls_session_save adds (the blob it keeps) */
    uint32_t flights, tx_dgrams, tx_bytes, rx_bytes;
    int resumed;
} result;

/* One application datagram each way: the last sender of a handshake keeps its flight (and the handshake
 * state) until the peer's first record proves it arrived (RFC 6347 4.2.4); this frees it. */
static int exchange(dtls_server *srv, dtls_session *c, const uint8_t *peer, size_t peer_len)
{
    static const uint8_t ping[] = "ping";
    uint8_t buf[512];
    size_t len;
    dtls_server_event ev;
    int got = 0, answered = 0;
    CLIENT(got = dtls_session_write(c, ping, sizeof ping, 0));
    if (got != 0) return -1;
    for (int i = 0; i < 8; i++) {
        CLIENT(got = dtls_session_poll_transmit(c, buf, sizeof buf, &len));
        if (got != 1) break;
        SERVER(dtls_server_feed(srv, peer, peer_len, buf, len, 0));
    }
    for (int i = 0; i < 16; i++) {
        SERVER(got = dtls_server_poll(srv, &ev, buf, sizeof buf));
        if (got != 1) break;
        if (ev.kind == DTLS_EV_TRANSMIT) CLIENT(dtls_session_feed(c, buf, ev.len, 0));
        if (ev.kind == DTLS_EV_DATA) {
            SERVER(got = dtls_server_write(srv, ev.peer, ev.peer_len, buf, ev.len, 0));
            if (got != 0) return -1;
            answered = 1;
        }
    }
    CLIENT(got = dtls_session_read(c, buf, sizeof buf, &len));
    return answered && got == 1 && len == sizeof ping ? 0 : -1;
}

static const dtls_psk PSK = { (const uint8_t *)"device-1", 8, KEY, sizeof KEY };

/* The bench's PSK options for a client or a server. */
static dtls_options psk_options(dtls_role role)
{
    dtls_options o;
    memset(&o, 0, sizeof o);
    o.role = role;
    o.psks = &PSK;
    o.psk_count = 1;
    return o;
}

static result run(dtls_server *srv, const dtls_options *copts, const uint8_t *blob, size_t blob_len, uint8_t *save, size_t *save_len)
{
    result r;
    memset(&r, 0, sizeof r);
    dtls_options co = copts ? *copts : psk_options(DTLS_ROLE_CLIENT);
    cur = peak = allocs = 0;
    scur = speak = 0;
    req_cur = req_peak = tlsf_cur = tlsf_peak = 0;
    nlive = npeak = 0;
    dtls_session *c = NULL;
    int rc = 0;
    CLIENT(rc = dtls_session_new(&c, &co));
    if (rc != 0) { fprintf(stderr, "new: %s\n", dtls_error_code(rc)); return r; }
    r.after_new = cur;
    if (blob) CLIENT(dtls_session_restore(c, blob, blob_len));
    CLIENT(dtls_session_start(c, 0));
    static const uint8_t peer[] = "client";
    uint8_t buf[4096];
    size_t len;
    dtls_server_event ev;
    for (int step = 0; step < 50 && dtls_session_state(c) == DTLS_STATE_HANDSHAKING; step++) {
        int sent = 0;
        for (;;) {
            int got = 0;
            CLIENT(got = dtls_session_poll_transmit(c, buf, sizeof buf, &len));
            if (got != 1) break;
            sent = 1;
            SERVER(dtls_server_feed(srv, peer, sizeof peer - 1, buf, len, 0));
        }
        if (sent) r.flights++;
        int answered = 0;
        for (;;) {
            int got = 0;
            SERVER(got = dtls_server_poll(srv, &ev, buf, sizeof buf));
            if (got != 1) break;
            if (ev.kind != DTLS_EV_TRANSMIT) continue;
            answered = 1;
            r.rx_bytes += (uint32_t)ev.len;
            CLIENT(dtls_session_feed(c, buf, ev.len, 0));
        }
        if (answered) r.flights++;
    }
    for (int last = 0;; last = 1) { /* the client's last flight (abbreviated handshake), if any */
        int got = 0;
        CLIENT(got = dtls_session_poll_transmit(c, buf, sizeof buf, &len));
        if (got != 1) break;
        if (!last) r.flights++;
        SERVER(dtls_server_feed(srv, peer, sizeof peer - 1, buf, len, 0));
    }
    for (;;) {
        int got = 0;
        SERVER(got = dtls_server_poll(srv, &ev, buf, sizeof buf));
        if (got != 1) break;
    }
    r.server_peak = speak;
    r.server_held = scur;
    if (dtls_session_state(c) != DTLS_STATE_CONNECTED) { fprintf(stderr, "not connected\n"); return r; }
    r.held = cur;
    r.peak = peak;
    r.req_held = req_cur;
    r.req_peak = req_peak;
    r.tlsf_held = tlsf_cur;
    r.tlsf_peak = tlsf_peak;
    r.blocks_held = nlive;
    if (tracing) {
        const char *what = copts ? "certificate client" : blob ? "resumed client" : "client";
        fprintf(stderr, "TRACE %s: peak %ld held %ld\n", what, peak, cur);
        _dump("at peak", at_peak, npeak);
        _dump("held", live, nlive);
    }
    r.allocs = allocs;
    r.resumed = dtls_session_resumed(c);
    dtls_session_stats(c, &r.tx_dgrams, &r.tx_bytes, NULL);
    if (exchange(srv, c, peer, sizeof peer - 1) != 0) { fprintf(stderr, "exchange failed\n"); r.peak = 0; return r; }
    r.steady = cur;
    r.server_steady = scur;
    r.req_steady = req_cur;
    r.tlsf_steady = tlsf_cur;
    if (tracing) _dump("held after one datagram each way", live, nlive);
    if (save) CLIENT(dtls_session_save(c, save, *save_len, save_len)); /* the core keeps the blob from now on */
    r.saved_bytes = req_cur - r.req_steady;
    CLIENT(dtls_session_close(c, 0));
    for (;;) {
        int got = 0;
        CLIENT(got = dtls_session_poll_transmit(c, buf, sizeof buf, &len));
        if (got != 1) break;
        dtls_server_feed(srv, peer, sizeof peer - 1, buf, len, 0);
    }
    while (dtls_server_poll(srv, &ev, buf, sizeof buf) == 1) {}
    CLIENT(dtls_session_free(c));
    if (cur != 0 || req_cur != 0) fprintf(stderr, "client heap not back to zero: %ld\n", cur);
    if (live_overflow) { fprintf(stderr, "more than %d live blocks\n", LIVE_MAX); r.peak = 0; }
    return r;
}

/* The server's heap for a ClientHello from a new address without a cookie: the HelloVerifyRequest it queues
 * (peak) and what is left once that is polled (held: nothing, the server keeps no state for it). */
static int unproven_hello(dtls_server *srv, long *peak_out, long *held_out)
{
    dtls_options co = psk_options(DTLS_ROLE_CLIENT);
    dtls_session *c = NULL;
    uint8_t buf[1024];
    size_t len = 0;
    dtls_server_event ev;
    if (dtls_session_new(&c, &co) != 0 || dtls_session_start(c, 0) != 0 || dtls_session_poll_transmit(c, buf, sizeof buf, &len) != 1) {
        dtls_session_free(c);
        return -1;
    }
    size_t before = dtls_server_count(srv);
    scur = speak = 0;
    static const uint8_t peer[] = "spoofed";
    int got = 0;
    SERVER(dtls_server_feed(srv, peer, sizeof peer - 1, buf, len, 0));
    SERVER(got = dtls_server_poll(srv, &ev, buf, sizeof buf));
    *peak_out = speak;
    *held_out = scur;
    dtls_session_free(c);
    return got == 1 && ev.kind == DTLS_EV_TRANSMIT && dtls_server_count(srv) == before ? 0 : -1;
}

/* Label: the mbedtls version and record content lengths this was built against ("device config" when
 * built with config/mbedtls_device_config.h, i.e. through the Makefile's device target). */
#define STR2(x) #x
#define STR(x) STR2(x)
#if defined(MBEDTLS_USER_CONFIG_FILE)
#define HEAPBENCH_CONFIG "device config"
#else
#define HEAPBENCH_CONFIG "default config"
#endif
#ifndef HEAPBENCH_LABEL
#define HEAPBENCH_LABEL "mbedtls " MBEDTLS_VERSION_STRING " " HEAPBENCH_CONFIG ", IN " STR(MBEDTLS_SSL_IN_CONTENT_LEN) " / OUT " STR(MBEDTLS_SSL_OUT_CONTENT_LEN)
#endif

int main(void)
{
    if (getenv("HEAPBENCH_TRACE")) {
        void *warm[2];
        backtrace(warm, 2); /* loads libgcc's unwinder before counting starts */
        tracing = 1;
    }
    dtls_options so = psk_options(DTLS_ROLE_SERVER);
    dtls_server *srv = NULL;
    if (dtls_server_new(&srv, &so, 4, 0) != 0) return 1;
    uint8_t blob[DTLS_MAX_SESSION_BLOB];
    size_t blob_len = sizeof blob;
    result full = run(srv, NULL, NULL, 0, blob, &blob_len);
    result res = run(srv, NULL, blob, blob_len, NULL, NULL);
    long hvr_peak, hvr_held;
    if (unproven_hello(srv, &hvr_peak, &hvr_held) != 0) { fprintf(stderr, "HelloVerifyRequest bench failed\n"); return 1; }
    dtls_server_free(srv);
    if (full.peak == 0 || !res.resumed) { fprintf(stderr, "bench failed\n"); return 1; }

    /* ECDHE-ECDSA-CCM8 client: CA-checked P-256 server certificate, the server's flight fragmented to a
     * 256-byte MTU (the client reassembles the Certificate message). */
    dtls_options cso, cco;
    memset(&cso, 0, sizeof cso);
    cso.role = DTLS_ROLE_SERVER;
    cso.cert_pem = (const uint8_t *)TEST_SERVER_CERT_PEM;
    cso.cert_pem_len = sizeof TEST_SERVER_CERT_PEM;
    cso.key_pem = (const uint8_t *)TEST_SERVER_KEY_PEM;
    cso.key_pem_len = sizeof TEST_SERVER_KEY_PEM;
    cso.mtu = 256;
    memset(&cco, 0, sizeof cco);
    cco.role = DTLS_ROLE_CLIENT;
    cco.ca_pem = (const uint8_t *)TEST_CA_PEM;
    cco.ca_pem_len = sizeof TEST_CA_PEM;
    cco.server_name = "localhost";
    dtls_server *csrv = NULL;
    if (dtls_server_new(&csrv, &cso, 4, 0) != 0) return 1;
    result cert = run(csrv, &cco, NULL, 0, NULL, NULL);
    dtls_server_free(csrv);
    if (cert.peak == 0) { fprintf(stderr, "certificate bench failed\n"); return 1; }
    /* glibc usable bytes of this build (peakBytes, heldBytes) and, allocator-free, the bytes requested
     * and the TLSF model (see the counters above); the label says the pointer width. */
    char label[256];
    snprintf(label, sizeof label, "%s, %d-bit", HEAPBENCH_LABEL, (int)(8 * sizeof(void *)));
    const struct { const char *name; const result *r; } rows[] = {
        { "client PSK-CCM8 handshake heap", &full },
        { "client PSK-CCM8 resumed handshake heap", &res },
        { "client ECDHE-ECDSA-CCM8 (P-256 CA chain) handshake heap", &cert },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const result *r = rows[i].r;
        printf("BENCH {\"section\":\"DTLS\",\"name\":\"%s (%s)\",\"peakBytes\":%ld,\"heldBytes\":%ld,"
               "\"heldAfterExchangeBytes\":%ld,\"requestedPeakBytes\":%ld,\"requestedHeldBytes\":%ld,"
               "\"requestedHeldAfterExchangeBytes\":%ld,\"tlsfPeakBytes\":%ld,\"tlsfHeldBytes\":%ld,"
               "\"tlsfHeldAfterExchangeBytes\":%ld,\"blocksHeld\":%ld,\"allocations\":%ld}\n",
               rows[i].name, label, r->peak, r->held, r->steady, r->req_peak, r->req_held, r->req_steady, r->tlsf_peak,
               r->tlsf_held, r->tlsf_steady, r->blocks_held, r->allocs);
    }
    printf("BENCH {\"section\":\"DTLS\",\"name\":\"client session kept for resumption: blob held after dtls_session_save (%s)\",\"requestedBytes\":%ld}\n", label, full.saved_bytes);
    printf("BENCH {\"section\":\"DTLS\",\"name\":\"client session after dtls_session_new, before the handshake (%s)\",\"heldBytes\":%ld}\n", label, full.after_new);
    printf("BENCH {\"section\":\"DTLS\",\"name\":\"server (dtls_server) PSK-CCM8 handshake heap per peer (%s)\",\"peakBytes\":%ld,\"heldBytes\":%ld,\"heldAfterExchangeBytes\":%ld}\n",
           label, full.server_peak, full.server_held, full.server_steady);
    printf("BENCH {\"section\":\"DTLS\",\"name\":\"server heap per ClientHello without a cookie (answered with a HelloVerifyRequest) (%s)\",\"peakBytes\":%ld,\"heldBytes\":%ld}\n",
           label, hvr_peak, hvr_held);
    printf("BENCH {\"section\":\"DTLS\",\"name\":\"PSK-CCM8 handshake traffic, full (with cookie) (%s)\",\"flights\":%" PRIu32 ",\"clientDatagrams\":%" PRIu32 ",\"clientBytes\":%" PRIu32 ",\"serverBytes\":%" PRIu32 "}\n",
           label, full.flights, full.tx_dgrams, full.tx_bytes, full.rx_bytes);
    printf("BENCH {\"section\":\"DTLS\",\"name\":\"PSK-CCM8 handshake traffic, resumed (with cookie) (%s)\",\"flights\":%" PRIu32 ",\"clientDatagrams\":%" PRIu32 ",\"clientBytes\":%" PRIu32 ",\"serverBytes\":%" PRIu32 "}\n",
           label, res.flights, res.tx_dgrams, res.tx_bytes, res.rx_bytes);
    return 0;
}
