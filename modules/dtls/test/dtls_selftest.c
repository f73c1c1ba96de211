/*
 * dtls_selftest: a client and a server dtls_session in one process, datagrams passed in memory on a virtual
 * clock. Full PSK handshake, one echo each way, close_notify; then a resumed handshake from the saved
 * session; then failures (wrong key, unknown identity, silent peer); then an ECDHE-ECDSA (P-256) certificate
 * handshake with the server's flight fragmented to a 256-byte MTU, and a wrong-name failure; RFC 9146
 * Connection IDs (3.x / 4.x; on 2.28 that asking for one is refused). Exit status 0
 * when all pass.
 * Run under valgrind by test/dtls/valgrind.node.test.ts.
 */
#include "dtls_session.h"
#include "test_certs.h"

#include <mbedtls/version.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <psa/crypto.h>
#endif
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static const uint8_t KEY[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
static const uint8_t BADKEY[16] = { 1 };

/* Moves every queued datagram from a to b; drop_every: drop each n-th (0 = none). Returns datagrams moved. */
static int pump(dtls_session *a, dtls_session *b, uint64_t now, int drop_every, int *counter)
{
    uint8_t buf[2048];
    size_t len;
    int moved = 0;
    for (int i = 0; i < 64 && dtls_session_poll_transmit(a, buf, sizeof buf, &len) == 1; i++) {
        moved++;
        if (drop_every && ++*counter % drop_every == 0) continue;
        if (b) (void)dtls_session_feed(b, buf, len, now);
    }
    return moved;
}

static void options(dtls_options *o, dtls_psk *p, dtls_role role, const char *id, const uint8_t *key)
{
    memset(o, 0, sizeof *o);
    p->identity = (const uint8_t *)id;
    p->identity_len = strlen(id);
    p->key = key;
    p->key_len = 16;
    o->role = role;
    o->psks = p;
    o->psk_count = 1;
    o->hs_timeout_min_ms = 200;
    o->hs_timeout_max_ms = 1600;
    o->hs_deadline_ms = 5000;
}

/* Runs a handshake on a virtual clock until both connected, one fails, or 20 s pass. */
static uint64_t handshake(dtls_session *c, dtls_session *s, uint64_t now, int drop_every)
{
    int counter = 0;
    CHECK(dtls_session_start(c, now) == 0, "start");
    for (int step = 0; step < 2000; step++) {
        int moved = pump(c, s, now, drop_every, &counter) + pump(s, c, now, drop_every, &counter);
        if (dtls_session_state(c) != DTLS_STATE_HANDSHAKING && dtls_session_state(s) != DTLS_STATE_HANDSHAKING) break;
        if (dtls_session_state(c) == DTLS_STATE_FAILED || dtls_session_state(s) == DTLS_STATE_FAILED) break;
        if (moved) continue;
        int64_t tc = dtls_session_next_timeout(c), ts = dtls_session_next_timeout(s);
        int64_t t = tc < 0 ? ts : (ts < 0 || tc < ts ? tc : ts);
        if (t < 0) break;
        if ((uint64_t)t > now) now = (uint64_t)t;
        (void)dtls_session_handle_timeout(c, now);
        (void)dtls_session_handle_timeout(s, now);
    }
    return now;
}

static void exchange(dtls_session *c, dtls_session *s, uint64_t now)
{
    uint8_t buf[256];
    size_t len = 0;
    int counter = 0;
    CHECK(dtls_session_write(c, (const uint8_t *)"ping", 4, now) == 0, "client write");
    pump(c, s, now, 0, &counter);
    CHECK(dtls_session_read(s, buf, sizeof buf, &len) == 1 && len == 4 && memcmp(buf, "ping", 4) == 0, "server read");
    CHECK(dtls_session_write(s, buf, len, now) == 0, "server write");
    pump(s, c, now, 0, &counter);
    CHECK(dtls_session_read(c, buf, sizeof buf, &len) == 1 && len == 4 && memcmp(buf, "ping", 4) == 0, "client read");
    CHECK(dtls_session_read(c, buf, sizeof buf, &len) == 0, "nothing more");
}

static void test_full_and_resumed(void)
{
    dtls_options co, so;
    dtls_psk cp, sp;
    options(&co, &cp, DTLS_ROLE_CLIENT, "device-1", KEY);
    options(&so, &sp, DTLS_ROLE_SERVER, "device-1", KEY);
    dtls_session *c = NULL, *s = NULL;
    CHECK(dtls_session_new(&c, &co) == 0 && dtls_session_new(&s, &so) == 0, "new");
    uint64_t now = handshake(c, s, 1000, 0);
    CHECK(dtls_session_state(c) == DTLS_STATE_CONNECTED, "client connected (%s)", dtls_error_code(dtls_session_error(c, NULL, NULL)));
    CHECK(dtls_session_state(s) == DTLS_STATE_CONNECTED, "server connected (%s)", dtls_error_code(dtls_session_error(s, NULL, NULL)));
    CHECK(dtls_session_suite(c) && strcmp(dtls_session_suite(c), "TLS-PSK-WITH-AES-128-CCM-8") == 0, "suite");
    CHECK(!dtls_session_resumed(c), "full handshake");
    uint32_t full_dgrams, full_bytes;
    dtls_session_stats(c, &full_dgrams, &full_bytes, NULL);
    exchange(c, s, now);
    uint8_t blob[DTLS_MAX_SESSION_BLOB];
    size_t blob_len = 0;
    CHECK(dtls_session_save(c, blob, sizeof blob, &blob_len) == 0 && blob_len > 0, "save");
    int counter = 0;
    CHECK(dtls_session_close(c, now) == 0 && dtls_session_close(c, now) == 0, "close twice");
    pump(c, s, now, 0, &counter);
    int err = dtls_session_error(s, NULL, NULL);
    CHECK(dtls_session_state(s) == DTLS_STATE_CLOSED && err == DTLS_ERR_PEER_CLOSED, "server saw close_notify: %s", dtls_error_code(err));
    CHECK(dtls_session_write(c, (const uint8_t *)"x", 1, now) == DTLS_ERR_CLOSED, "write after close");
    dtls_session_free(c);
    /* resumption needs the server's session cache: same server config, new server session */
    dtls_session_free(s);
    printf("full handshake: client sent %" PRIu32 " datagrams, %" PRIu32 " bytes\n", full_dgrams, full_bytes);
}

static void test_failure(const char *name, const char *cid, const uint8_t *ckey, const char *sid, int silent, int want)
{
    dtls_options co, so;
    dtls_psk cp, sp;
    options(&co, &cp, DTLS_ROLE_CLIENT, cid, ckey);
    options(&so, &sp, DTLS_ROLE_SERVER, sid, KEY);
    dtls_session *c = NULL, *s = NULL;
    CHECK(dtls_session_new(&c, &co) == 0 && dtls_session_new(&s, &so) == 0, "new");
    uint64_t end = handshake(c, silent ? NULL : s, 1000, 0);
    if (silent) {
        /* handshake() gives up after the pumps when only the client has timers: drive it alone */
        for (int i = 0; i < 100 && dtls_session_state(c) == DTLS_STATE_HANDSHAKING; i++) {
            int64_t t = dtls_session_next_timeout(c);
            if (t < 0) break;
            end = (uint64_t)t;
            (void)dtls_session_handle_timeout(c, end);
            int counter = 0;
            pump(c, NULL, end, 0, &counter);
        }
    }
    int alert = -1;
    int err = dtls_session_error(c, &alert, NULL);
    CHECK(dtls_session_state(c) == DTLS_STATE_FAILED && err == want, "%s: client got %s (alert %d), want %s", name,
          dtls_error_code(err), alert, dtls_error_code(want));
    CHECK(end - 1000 <= 6000, "%s: bounded (%llu ms)", name, (unsigned long long)(end - 1000));
    printf("%s: %s after %llu virtual ms\n", name, dtls_error_code(err), (unsigned long long)(end - 1000));
    dtls_session_free(c);
    dtls_session_free(s);
}

static void test_server_object(void)
{
    dtls_options co, so;
    dtls_psk cp, sp;
    options(&co, &cp, DTLS_ROLE_CLIENT, "device-1", KEY);
    options(&so, &sp, DTLS_ROLE_SERVER, "device-1", KEY);
    dtls_server *srv = NULL;
    CHECK(dtls_server_new(&srv, &so, 1, 10000) == 0, "server new");
    dtls_session *c = NULL, *c2 = NULL;
    CHECK(dtls_session_new(&c, &co) == 0 && dtls_session_new(&c2, &co) == 0, "client new");
    uint64_t now = 1000;
    static const uint8_t peer1[] = "127.0.0.1:1111", peer2[] = "127.0.0.1:2222";
    uint8_t buf[2048];
    size_t len;
    dtls_server_event ev;
    int connected = 0, data = 0, closed = 0, limit = 0;
    CHECK(dtls_session_start(c, now) == 0 && dtls_session_start(c2, now) == 0, "start");
    for (int step = 0; step < 200; step++) {
        int moved = 0;
        while (dtls_session_poll_transmit(c, buf, sizeof buf, &len) == 1) {
            moved++;
            if (dtls_server_feed(srv, peer1, sizeof peer1 - 1, buf, len, now) == DTLS_ERR_SESSION_LIMIT) limit++;
        }
        while (dtls_session_poll_transmit(c2, buf, sizeof buf, &len) == 1) {
            moved++;
            if (dtls_server_feed(srv, peer2, sizeof peer2 - 1, buf, len, now) == DTLS_ERR_SESSION_LIMIT) limit++;
        }
        while (dtls_server_poll(srv, &ev, buf, sizeof buf) == 1) {
            moved++;
            dtls_session *to = ev.peer_len == sizeof peer1 - 1 && memcmp(ev.peer, peer1, ev.peer_len) == 0 ? c : c2;
            if (ev.kind == DTLS_EV_TRANSMIT) dtls_session_feed(to, buf, ev.len, now);
            if (ev.kind == DTLS_EV_CONNECTED) { connected++; CHECK(dtls_session_write(to, (const uint8_t *)"hi", 2, now) == 0, "write"); }
            if (ev.kind == DTLS_EV_DATA) { data++; dtls_server_write(srv, ev.peer, ev.peer_len, buf, ev.len, now); }
            if (ev.kind == DTLS_EV_CLOSED) { closed++; CHECK(ev.code == DTLS_ERR_IDLE_TIMEOUT, "idle expiry: %s", dtls_error_code(ev.code)); }
        }
        if (!moved) {
            now += 500;
            dtls_server_handle_timeout(srv, now);
            dtls_session_handle_timeout(c, now);
            dtls_session_handle_timeout(c2, now);
        }
        if (closed) break;
    }
    CHECK(connected == 1 && data == 1 && limit > 0 && closed == 1, "server object: connected %d data %d limit %d closed %d", connected, data, limit, closed);
    size_t len1 = 0, len2 = 0;
    int got = dtls_session_read(c, buf, sizeof buf, &len1) + dtls_session_read(c2, buf, sizeof buf, &len2);
    CHECK(got == 1 && len1 + len2 == 2, "echo back to the one connected client");
    CHECK(dtls_server_count(srv) == 0, "expired session freed");
    dtls_session_free(c);
    dtls_session_free(c2);
    dtls_server_free(srv);
    printf("server object: connected %d, echoed %d, refused %d datagrams at the limit, expired %d\n", connected, data, limit, closed);
}

static void test_resumption(void)
{
    dtls_options co, so;
    dtls_psk cp, sp;
    options(&co, &cp, DTLS_ROLE_CLIENT, "device-1", KEY);
    options(&so, &sp, DTLS_ROLE_SERVER, "device-1", KEY);
    so.no_cookies = 1;
    dtls_server *srv = NULL;
    CHECK(dtls_server_new(&srv, &so, 2, 0) == 0, "server new");
    static const uint8_t peer[] = "p";
    uint8_t blob[DTLS_MAX_SESSION_BLOB];
    size_t blob_len = 0;
    uint32_t bytes[2] = { 0, 0 }, dgrams[2] = { 0, 0 };
    for (int round = 0; round < 2; round++) {
        dtls_session *c = NULL;
        CHECK(dtls_session_new(&c, &co) == 0, "client new");
        if (round == 1) CHECK(dtls_session_restore(c, blob, blob_len) == 0, "restore");
        uint64_t now = 1000;
        uint8_t buf[2048];
        size_t len;
        dtls_server_event ev;
        dtls_session_start(c, now);
        for (int step = 0; step < 50 && dtls_session_state(c) == DTLS_STATE_HANDSHAKING; step++) {
            while (dtls_session_poll_transmit(c, buf, sizeof buf, &len) == 1) dtls_server_feed(srv, peer, 1, buf, len, now);
            while (dtls_server_poll(srv, &ev, buf, sizeof buf) == 1)
                if (ev.kind == DTLS_EV_TRANSMIT) dtls_session_feed(c, buf, ev.len, now);
        }
        CHECK(dtls_session_state(c) == DTLS_STATE_CONNECTED, "round %d connected", round);
        CHECK(dtls_session_resumed(c) == round, "round %d resumed=%d", round, dtls_session_resumed(c));
        dtls_session_stats(c, &dgrams[round], &bytes[round], NULL);
        if (round == 0) CHECK(dtls_session_save(c, blob, sizeof blob, &blob_len) == 0, "save");
        dtls_session_close(c, now);
        while (dtls_session_poll_transmit(c, buf, sizeof buf, &len) == 1) dtls_server_feed(srv, peer, 1, buf, len, now);
        while (dtls_server_poll(srv, &ev, buf, sizeof buf) == 1) {}
        dtls_session_free(c);
    }
    printf("resumption: full %" PRIu32 " datagrams/%" PRIu32 " bytes, resumed %" PRIu32 " datagrams/%" PRIu32 " bytes (client side)\n", dgrams[0], bytes[0], dgrams[1], bytes[1]);
    printf("BENCH {\"section\":\"DTLS\",\"name\":\"client flight bytes, full vs resumed\",\"fullDatagrams\":%" PRIu32 ",\"fullBytes\":%" PRIu32 ",\"resumedDatagrams\":%" PRIu32 ",\"resumedBytes\":%" PRIu32 "}\n",
           dgrams[0], bytes[0], dgrams[1], bytes[1]);
    dtls_server_free(srv);
}

static void test_lossy(void)
{
    dtls_options co, so;
    dtls_psk cp, sp;
    options(&co, &cp, DTLS_ROLE_CLIENT, "device-1", KEY);
    options(&so, &sp, DTLS_ROLE_SERVER, "device-1", KEY);
    co.hs_deadline_ms = so.hs_deadline_ms = 60000;
    co.hs_timeout_max_ms = so.hs_timeout_max_ms = 8000;
    dtls_session *c = NULL, *s = NULL;
    CHECK(dtls_session_new(&c, &co) == 0 && dtls_session_new(&s, &so) == 0, "new");
    uint64_t end = handshake(c, s, 1000, 3);
    CHECK(dtls_session_state(c) == DTLS_STATE_CONNECTED && dtls_session_state(s) == DTLS_STATE_CONNECTED,
          "lossy: %s / %s", dtls_error_code(dtls_session_error(c, NULL, NULL)), dtls_error_code(dtls_session_error(s, NULL, NULL)));
    printf("lossy (every 3rd datagram dropped): connected after %llu virtual ms\n", (unsigned long long)(end - 1000));
    dtls_session_free(c);
    dtls_session_free(s);
}

/* TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8: CA-checked P-256 server certificate; the server's flight (Certificate
 * in several fragments) reassembled by the client. */
static void test_certificate(const char *name, int want)
{
    dtls_options co, so;
    memset(&co, 0, sizeof co);
    memset(&so, 0, sizeof so);
    co.role = DTLS_ROLE_CLIENT;
    co.ca_pem = (const uint8_t *)TEST_CA_PEM;
    co.ca_pem_len = sizeof TEST_CA_PEM;
    co.server_name = name;
    so.role = DTLS_ROLE_SERVER;
    so.cert_pem = (const uint8_t *)TEST_SERVER_CERT_PEM;
    so.cert_pem_len = sizeof TEST_SERVER_CERT_PEM;
    so.key_pem = (const uint8_t *)TEST_SERVER_KEY_PEM;
    so.key_pem_len = sizeof TEST_SERVER_KEY_PEM;
    so.mtu = 256;
    co.hs_timeout_min_ms = so.hs_timeout_min_ms = 200;
    co.hs_timeout_max_ms = so.hs_timeout_max_ms = 1600;
    co.hs_deadline_ms = so.hs_deadline_ms = 5000;
    dtls_session *c = NULL, *s = NULL;
    int rc = dtls_session_new(&c, &co), rs = dtls_session_new(&s, &so);
    CHECK(rc == 0 && rs == 0, "certificate new: %s / %s", dtls_error_code(rc), dtls_error_code(rs));
    if (c && s) {
        uint64_t now = handshake(c, s, 1000, 0);
        if (want == 0) {
            CHECK(dtls_session_state(c) == DTLS_STATE_CONNECTED && dtls_session_state(s) == DTLS_STATE_CONNECTED,
                  "certificate: %s / %s", dtls_error_code(dtls_session_error(c, NULL, NULL)), dtls_error_code(dtls_session_error(s, NULL, NULL)));
            CHECK(dtls_session_suite(c) && strcmp(dtls_session_suite(c), "TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8") == 0, "certificate suite");
            if (dtls_session_state(c) == DTLS_STATE_CONNECTED) exchange(c, s, now);
            printf("certificate handshake (ECDHE-ECDSA P-256, server MTU 256): ok\n");
        } else {
            int err = dtls_session_error(c, NULL, NULL);
            CHECK(dtls_session_state(c) == DTLS_STATE_FAILED && err == want, "certificate %s: got %s", name, dtls_error_code(err));
        }
    }
    dtls_session_free(c);
    dtls_session_free(s);
}

/* ---- the server object driven datagram by datagram ---- */
#define MAX_EVENTS 16
typedef struct { dtls_server_event ev[MAX_EVENTS]; uint8_t data[MAX_EVENTS][256]; int n; } events;

/* Feeds one datagram from `peer` to srv; collects the events that follow (TRANSMITs go to c as well). */
static void srv_feed(dtls_server *srv, dtls_session *c, const char *peer, const uint8_t *d, size_t len, uint64_t now, events *out)
{
    out->n = 0;
    (void)dtls_server_feed(srv, (const uint8_t *)peer, strlen(peer), d, len, now);
    for (int i = 0; i < 64 && out->n < MAX_EVENTS; i++) {
        dtls_server_event *ev = &out->ev[out->n];
        if (dtls_server_poll(srv, ev, out->data[out->n], sizeof out->data[0]) != 1) break;
        if (ev->kind == DTLS_EV_TRANSMIT && c) (void)dtls_session_feed(c, out->data[out->n], ev->len, now);
        out->n++;
    }
}

static int has_event(const events *e, dtls_event_kind kind, const char *peer, const char *data)
{
    for (int i = 0; i < e->n; i++) {
        const dtls_server_event *ev = &e->ev[i];
        if (ev->kind != kind || ev->peer_len != strlen(peer) || memcmp(ev->peer, peer, ev->peer_len) != 0) continue;
        if (data == NULL || (ev->len == strlen(data) && memcmp(e->data[i], data, ev->len) == 0)) return 1;
    }
    return 0;
}

/* Handshakes c with srv from `peer`; returns 1 when both ends report connected. */
static int srv_handshake(dtls_server *srv, dtls_session *c, const char *peer, uint64_t now)
{
    uint8_t buf[2048];
    size_t len;
    events e;
    int connected = 0;
    CHECK(dtls_session_start(c, now) == 0, "start");
    for (int step = 0; step < 16 && dtls_session_state(c) == DTLS_STATE_HANDSHAKING; step++)
        while (dtls_session_poll_transmit(c, buf, sizeof buf, &len) == 1) {
            srv_feed(srv, c, peer, buf, len, now, &e);
            connected |= has_event(&e, DTLS_EV_CONNECTED, peer, NULL);
        }
    while (dtls_session_poll_transmit(c, buf, sizeof buf, &len) == 1) { /* a last flight of the client's */
        srv_feed(srv, c, peer, buf, len, now, &e);
        connected |= has_event(&e, DTLS_EV_CONNECTED, peer, NULL);
    }
    return connected && dtls_session_state(c) == DTLS_STATE_CONNECTED;
}

/* Moves c's queued datagrams to srv as from `peer`; returns how many. */
static int client_to_srv(dtls_session *c, dtls_server *srv, const char *peer, uint64_t now, events *e)
{
    uint8_t buf[2048];
    size_t len;
    int n = 0;
    while (dtls_session_poll_transmit(c, buf, sizeof buf, &len) == 1) {
        srv_feed(srv, c, peer, buf, len, now, e);
        n++;
    }
    return n;
}

/* A full server (one session) with eviction on: spoofed ClientHellos, with no cookie or with a cookie issued
 * to another address, get a HelloVerifyRequest and evict nothing; a newcomer that proves its address does
 * evict the least recently heard session, whose end is reported. */
static void test_eviction(void)
{
    dtls_options co, so;
    dtls_psk cp, sp;
    options(&co, &cp, DTLS_ROLE_CLIENT, "device-1", KEY);
    options(&so, &sp, DTLS_ROLE_SERVER, "device-1", KEY);
    dtls_server *srv = NULL;
    CHECK(dtls_server_new(&srv, &so, 1, 0) == 0 && dtls_server_set_evict_lru(srv, 1) == 0, "server new");
    dtls_session *a = NULL, *b = NULL, *x = NULL;
    CHECK(dtls_session_new(&a, &co) == 0 && dtls_session_new(&b, &co) == 0 && dtls_session_new(&x, &co) == 0, "clients");
    uint64_t now = 1000;
    events e;
    CHECK(srv_handshake(srv, a, "addr-A", now), "A connected");
    /* a ClientHello from a new (maybe spoofed) address: answered with a cookie request, A stays */
    CHECK(dtls_session_start(x, now) == 0, "x start");
    uint8_t hello[512], cookied[512];
    size_t hello_len = 0, cookied_len = 0;
    CHECK(dtls_session_poll_transmit(x, hello, sizeof hello, &hello_len) == 1, "x hello");
    srv_feed(srv, x, "addr-S", hello, hello_len, now, &e);
    CHECK(e.n == 1 && has_event(&e, DTLS_EV_TRANSMIT, "addr-S", NULL), "HelloVerifyRequest to S (%d events)", e.n);
    CHECK(dtls_server_count(srv) == 1, "still one session");
    /* a flood of ClientHellos from 20 (spoofed) addresses, nobody polling: no session, at most 8 answers queued */
    for (int i = 0; i < 20; i++) {
        char spoofed[24];
        snprintf(spoofed, sizeof spoofed, "spoof-%d", i);
        CHECK(dtls_server_feed(srv, (const uint8_t *)spoofed, strlen(spoofed), hello, hello_len, now) == 0, "flood");
    }
    CHECK(dtls_server_count(srv) == 1, "the flood holds no session");
    srv_feed(srv, NULL, "addr-S", NULL, 0, now, &e);
    CHECK(e.n == 8 && !has_event(&e, DTLS_EV_CLOSED, "addr-A", NULL), "8 HelloVerifyRequests queued, the rest dropped (%d)", e.n);
    /* x now holds a cookie for addr-S; its second ClientHello replayed from addr-T proves nothing */
    CHECK(dtls_session_poll_transmit(x, cookied, sizeof cookied, &cookied_len) == 1 && cookied_len > hello_len, "x hello with cookie");
    srv_feed(srv, NULL, "addr-T", cookied, cookied_len, now, &e);
    CHECK(!has_event(&e, DTLS_EV_CLOSED, "addr-A", NULL) && dtls_server_count(srv) == 1, "a cookie for another address evicts nothing");
    /* from addr-S itself the cookie is good: with eviction on, it takes A's place */
    srv_feed(srv, x, "addr-S", cookied, cookied_len, now + 5, &e);
    CHECK(has_event(&e, DTLS_EV_CLOSED, "addr-A", NULL), "A's end reported");
    for (int i = 0; i < e.n; i++)
        if (e.ev[i].kind == DTLS_EV_CLOSED) CHECK(e.ev[i].code == DTLS_ERR_SESSION_LIMIT, "A closed with dtls.session_limit");
    for (int i = 0; i < 8 && dtls_session_state(x) == DTLS_STATE_HANDSHAKING; i++) client_to_srv(x, srv, "addr-S", now + 5, &e);
    CHECK(dtls_session_state(x) == DTLS_STATE_CONNECTED && dtls_server_count(srv) == 1, "S connected in A's place");
    CHECK(dtls_server_write(srv, (const uint8_t *)"addr-A", 6, (const uint8_t *)"x", 1, now) == DTLS_ERR_UNKNOWN_PEER, "A gone");
    /* with eviction off a proven newcomer is refused instead */
    CHECK(dtls_server_set_evict_lru(srv, 0) == 0 && dtls_session_start(b, now) == 0, "b start");
    uint8_t buf[512];
    size_t len = 0;
    CHECK(dtls_session_poll_transmit(b, buf, sizeof buf, &len) == 1, "b hello");
    srv_feed(srv, b, "addr-B", buf, len, now + 10, &e);           /* -> cookie request, delivered to b */
    CHECK(has_event(&e, DTLS_EV_TRANSMIT, "addr-B", NULL), "a full server still hands out cookies");
    CHECK(dtls_session_poll_transmit(b, buf, sizeof buf, &len) == 1, "b hello with cookie");
    CHECK(dtls_server_feed(srv, (const uint8_t *)"addr-B", 6, buf, len, now + 10) == DTLS_ERR_SESSION_LIMIT, "refused when full");
    CHECK(dtls_server_count(srv) == 1, "S kept");
    dtls_session_free(a);
    dtls_session_free(b);
    dtls_session_free(x);
    dtls_server_free(srv);
    printf("server eviction: spoofed hellos evict nothing, a proven newcomer replaces the oldest: ok\n");
}

/* ---- hostile datagrams: random bytes and mutations of real records, into a server and a connected client ---- */
static uint32_t fuzz_state = 0x9e3779b9u; /* fixed seed: a failure replays */

static uint32_t fuzz_next(void)
{
    uint32_t x = fuzz_state; /* xorshift32 */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return fuzz_state = x;
}

/* Fills d with a hostile datagram: random bytes, a real record with a few bytes changed, a real record cut short,
 * or a record header of a real type with a random length. Returns its length. */
static size_t fuzz_datagram(uint8_t *d, size_t cap, const uint8_t *const *seeds, const size_t *seed_lens, int nseeds)
{
    int mode = (int)(fuzz_next() % 4);
    size_t len;
    if (mode == 0) {
        len = fuzz_next() % 300;
        for (size_t i = 0; i < len; i++) d[i] = (uint8_t)fuzz_next();
        return len;
    }
    int k = (int)(fuzz_next() % (uint32_t)nseeds);
    len = seed_lens[k] < cap ? seed_lens[k] : cap;
    memcpy(d, seeds[k], len);
    if (mode == 1) {
        for (int n = 1 + (int)(fuzz_next() % 3); n > 0 && len > 0; n--) d[fuzz_next() % len] ^= (uint8_t)(1 + fuzz_next() % 255);
    } else if (mode == 2) {
        len = len > 0 ? fuzz_next() % len : 0;
    } else if (len >= 13) {
        static const uint8_t types[] = { 20, 21, 22, 23, 25 };
        d[0] = types[fuzz_next() % sizeof types];
        d[11] = (uint8_t)fuzz_next();
        d[12] = (uint8_t)fuzz_next();
    }
    return len;
}

static void test_fuzz(void)
{
    const char *env = getenv("DTLS_FUZZ_N"), *seed = getenv("DTLS_FUZZ_SEED");
    long n = env ? strtol(env, NULL, 10) : 3000;
    if (seed) fuzz_state = (uint32_t)strtoul(seed, NULL, 10) | 1u;
    dtls_options co, so;
    dtls_psk cp, sp;
    options(&co, &cp, DTLS_ROLE_CLIENT, "device-1", KEY);
    options(&so, &sp, DTLS_ROLE_SERVER, "device-1", KEY);
    dtls_server *srv = NULL;
    dtls_session *c = NULL, *probe = NULL;
    CHECK(dtls_server_new(&srv, &so, 2, 0) == 0 && dtls_session_new(&c, &co) == 0 && dtls_session_new(&probe, &co) == 0, "fuzz new");
    uint64_t now = 1000;
    events e;
    CHECK(srv_handshake(srv, c, "addr-A", now), "fuzz: connected");
    /* seeds: an application record of c's, a ClientHello, and a server record to c */
    uint8_t app[256], hello[512], down[256], d[2048], buf[2048];
    size_t app_len = 0, hello_len = 0, down_len = 0, len;
    CHECK(dtls_session_write(c, (const uint8_t *)"seed", 4, now) == 0 && dtls_session_poll_transmit(c, app, sizeof app, &app_len) == 1, "seed app");
    CHECK(dtls_session_start(probe, now) == 0 && dtls_session_poll_transmit(probe, hello, sizeof hello, &hello_len) == 1, "seed hello");
    CHECK(dtls_server_write(srv, (const uint8_t *)"addr-A", 6, (const uint8_t *)"down", 4, now) == 0, "seed down");
    dtls_server_event ev;
    while (dtls_server_poll(srv, &ev, buf, sizeof buf) == 1)
        if (ev.kind == DTLS_EV_TRANSMIT && ev.len <= sizeof down) { memcpy(down, buf, ev.len); down_len = ev.len; }
    CHECK(down_len > 0, "seed down record");
    (void)dtls_session_read(c, buf, sizeof buf, &len);
    const uint8_t *seeds[] = { app, hello, down };
    const size_t seed_lens[] = { app_len, hello_len, down_len };
    for (long i = 0; i < n; i++) {
        size_t dl = fuzz_datagram(d, sizeof d, seeds, seed_lens, 3);
        char peer[24];
        snprintf(peer, sizeof peer, fuzz_next() % 2 ? "addr-A" : "addr-F%u", (unsigned)(fuzz_next() % 4));
        (void)dtls_server_feed(srv, (const uint8_t *)peer, strlen(peer), d, dl, now);
        for (int j = 0; j < 16 && dtls_server_poll(srv, &ev, buf, sizeof buf) == 1; j++) {}
        (void)dtls_session_feed(c, d, dl, now);
        if (dtls_session_state(c) != DTLS_STATE_CONNECTED || dtls_server_count(srv) != 1) {
            /* the first datagram that ended a session: enough to replay it (the seed and i say the rest) */
            fprintf(stderr, "datagram %ld (%zu bytes to %s) ended a session:", i, dl, peer);
            for (size_t q = 0; q < dl; q++) fprintf(stderr, "%02x", d[q]);
            fputc('\n', stderr);
            break;
        }
        while (dtls_session_read(c, buf, sizeof buf, &len) == 1) {}
        while (dtls_session_poll_transmit(c, buf, sizeof buf, &len) == 1) {}
    }
    CHECK(dtls_session_state(c) == DTLS_STATE_CONNECTED, "fuzz: the client is still connected (%s)", dtls_error_code(dtls_session_error(c, NULL, NULL)));
    CHECK(dtls_server_count(srv) == 1, "fuzz: garbage made no session (%zu)", dtls_server_count(srv));
    /* and the session still carries data both ways */
    CHECK(dtls_session_write(c, (const uint8_t *)"ping", 4, now) == 0, "fuzz: write");
    int got_ping = 0;
    while (dtls_session_poll_transmit(c, buf, sizeof buf, &len) == 1) {
        srv_feed(srv, c, "addr-A", buf, len, now, &e);
        got_ping |= has_event(&e, DTLS_EV_DATA, "addr-A", "ping");
    }
    CHECK(got_ping, "fuzz: server still reads the client");
    CHECK(dtls_server_write(srv, (const uint8_t *)"addr-A", 6, (const uint8_t *)"pong", 4, now) == 0, "fuzz: server write");
    srv_feed(srv, c, "addr-A", NULL, 0, now, &e);
    CHECK(dtls_session_read(c, buf, sizeof buf, &len) == 1 && len == 4 && memcmp(buf, "pong", 4) == 0, "fuzz: client still reads the server");
    dtls_session_free(c);
    dtls_session_free(probe);
    dtls_server_free(srv);
    printf("hostile datagrams: %ld into a server and a connected client, both still work: ok\n", n);
}

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
/* Writes `text` from c and returns the ciphertext datagram in buf (its length). */
static size_t client_record(dtls_session *c, const char *text, uint8_t *buf, size_t cap, uint64_t now)
{
    size_t len = 0;
    CHECK(dtls_session_write(c, (const uint8_t *)text, strlen(text), now) == 0, "client write %s", text);
    CHECK(dtls_session_poll_transmit(c, buf, cap, &len) == 1, "client record %s", text);
    return len;
}
#endif

static void test_cid(void)
{
    dtls_options co, so;
    dtls_psk cp, sp;
    options(&co, &cp, DTLS_ROLE_CLIENT, "device-1", KEY);
    options(&so, &sp, DTLS_ROLE_SERVER, "device-1", KEY);
    co.want_cid = 1;
    so.want_cid = 1;
    dtls_session *c = NULL;
    dtls_server *srv = NULL;
#if MBEDTLS_VERSION_NUMBER < 0x03000000
    CHECK(dtls_server_new(&srv, &so, 2, 0) == DTLS_ERR_UNAVAILABLE && srv == NULL, "server cid unavailable on 2.x");
    CHECK(dtls_session_new(&c, &co) == DTLS_ERR_UNAVAILABLE && c == NULL, "client cid unavailable on 2.x");
    printf("connection id: unavailable with mbedtls 2.x (checked)\n");
    return;
#else
    int rs = dtls_server_new(&srv, &so, 2, 0), rc = dtls_session_new(&c, &co);
    if (rs == DTLS_ERR_UNAVAILABLE && rc == DTLS_ERR_UNAVAILABLE) { /* a 3.x build without RFC 9146 CID */
        printf("connection id: unavailable in this mbedtls build (checked)\n");
        return;
    }
    CHECK(rs == 0 && rc == 0, "cid new: %s / %s", dtls_error_code(rs), dtls_error_code(rc));
    if (rs != 0 || rc != 0) { dtls_server_free(srv); dtls_session_free(c); return; }
    uint64_t now = 1000;
    CHECK(srv_handshake(srv, c, "addr-A", now), "cid handshake (%s)", dtls_error_code(dtls_session_error(c, NULL, NULL)));
    CHECK(dtls_session_cid_in_use(c) == 1, "client uses the server's CID");
    uint8_t one[256], two[256], x1[256], x2[256], buf[256];
    events e;
    size_t n1 = client_record(c, "one", one, sizeof one, now);
    CHECK(n1 > 11 + DTLS_SERVER_CID_LEN && one[0] == 25, "a tls12_cid record (type %d)", one[0]);
    srv_feed(srv, c, "addr-A", one, n1, now, &e);
    CHECK(has_event(&e, DTLS_EV_DATA, "addr-A", "one"), "data from the first address");
    /* the client's address changes (NAT rebinding): its next record arrives from B and the session follows */
    size_t n2 = client_record(c, "two", two, sizeof two, now);
    srv_feed(srv, c, "addr-B", two, n2, now, &e);
    CHECK(has_event(&e, DTLS_EV_DATA, "addr-B", "two"), "data from the new address, under the new key");
    CHECK(dtls_server_write(srv, (const uint8_t *)"addr-A", 6, (const uint8_t *)"old", 3, now) == DTLS_ERR_UNKNOWN_PEER, "old address forgotten");
    CHECK(dtls_server_write(srv, (const uint8_t *)"addr-B", 6, (const uint8_t *)"back", 4, now) == 0, "answer to B");
    srv_feed(srv, c, "addr-B", NULL, 0, now, &e); /* collects the TRANSMIT (an empty datagram is ignored) */
    CHECK(has_event(&e, DTLS_EV_TRANSMIT, "addr-B", NULL), "sent to B");
    size_t len = 0;
    CHECK(dtls_session_read(c, buf, sizeof buf, &len) == 1 && len == 4 && memcmp(buf, "back", 4) == 0, "client got the answer");
    /* a replayed record from elsewhere neither delivers data nor moves the session */
    srv_feed(srv, c, "addr-C", one, n1, now, &e);
    CHECK(e.n == 0, "replay from C: %d events", e.n);
    CHECK(dtls_server_write(srv, (const uint8_t *)"addr-C", 6, (const uint8_t *)"no", 2, now) == DTLS_ERR_UNKNOWN_PEER, "not moved to C");
    /* reordering: the newer record moves the session to D; the older one, from E, is delivered but moves nothing */
    size_t nx1 = client_record(c, "x1", x1, sizeof x1, now), nx2 = client_record(c, "x2", x2, sizeof x2, now);
    srv_feed(srv, c, "addr-D", x2, nx2, now, &e);
    CHECK(has_event(&e, DTLS_EV_DATA, "addr-D", "x2"), "newer record moved the session to D");
    srv_feed(srv, c, "addr-E", x1, nx1, now, &e);
    CHECK(has_event(&e, DTLS_EV_DATA, "addr-D", "x1"), "older record delivered, session stays at D");
    CHECK(dtls_server_write(srv, (const uint8_t *)"addr-E", 6, (const uint8_t *)"no", 2, now) == DTLS_ERR_UNKNOWN_PEER, "not moved to E");
    /* a CID nobody was given: dropped */
    memcpy(buf, x2, nx2);
    buf[11] ^= 0xff;
    srv_feed(srv, c, "addr-F", buf, nx2, now, &e);
    CHECK(e.n == 0, "unknown CID: %d events", e.n);
    /* a client that does not offer CID still gets a plain session from the same server */
    options(&co, &cp, DTLS_ROLE_CLIENT, "device-1", KEY);
    dtls_session *plain = NULL;
    CHECK(dtls_session_new(&plain, &co) == 0, "plain client new");
    CHECK(srv_handshake(srv, plain, "addr-P", now), "plain handshake with a CID server");
    CHECK(dtls_session_cid_in_use(plain) == 0, "no CID negotiated");
    size_t np = client_record(plain, "plain", buf, sizeof buf, now);
    CHECK(buf[0] == 23, "a plain application_data record (type %d)", buf[0]);
    srv_feed(srv, plain, "addr-P", buf, np, now, &e);
    CHECK(has_event(&e, DTLS_EV_DATA, "addr-P", "plain"), "plain data");
    CHECK(dtls_server_count(srv) == 2, "two sessions");
    dtls_session_free(plain);
    dtls_session_free(c);
    dtls_server_free(srv);
    printf("connection id (RFC 9146): handshake, address change followed, replay and reordering ignored: ok\n");
#endif
}

int main(void)
{
    CHECK(strcmp(dtls_error_code(DTLS_ERR_BAD_PSK), "dtls.bad_psk") == 0, "codes");
    dtls_options o;
    memset(&o, 0, sizeof o);
    dtls_session *x = NULL;
    CHECK(dtls_session_new(&x, &o) == DTLS_ERR_CONFIG && x == NULL, "no credentials");
    dtls_session_free(NULL);
    test_full_and_resumed();
    test_failure("wrong key", "device-1", BADKEY, "device-1", 0, DTLS_ERR_BAD_PSK);
    test_failure("unknown identity", "stranger", KEY, "device-1", 0, DTLS_ERR_UNKNOWN_IDENTITY);
    test_failure("silent peer", "device-1", KEY, "device-1", 1, DTLS_ERR_HANDSHAKE_TIMEOUT);
    test_server_object();
    test_resumption();
    test_lossy();
    test_cid();
    test_eviction();
    test_fuzz();
    test_certificate("localhost", 0);
    test_certificate("other.example", DTLS_ERR_NAME_MISMATCH);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
    mbedtls_psa_crypto_free(); /* the core keeps PSA initialised for the process (3.x): release it for valgrind */
#endif
    if (failures) { fprintf(stderr, "%d failure(s)\n", failures); return 1; }
    printf("selftest ok\n");
    return 0;
}
