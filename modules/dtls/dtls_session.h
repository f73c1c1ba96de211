/*
 * dtls_session.h: a sans-IO DTLS 1.2 session over mbedtls (2.28 / 3.6 / 4.x), and a small server that keeps
 * several such sessions keyed by peer address.
 *
 * Theory of operation
 * -------------------
 * The session never touches a socket or a clock. The caller:
 *   - feeds every ciphertext datagram from the peer:        dtls_session_feed(s, bytes, len, now)
 *   - takes every ciphertext datagram to send, in order:     dtls_session_poll_transmit(s, buf, cap, &len)
 *   - asks for the next deadline and calls back when due:    dtls_session_next_timeout(s) / dtls_session_handle_timeout(s, now)
 *   - reads whole plaintext datagrams:                       dtls_session_read(s, buf, cap, &len)
 *   - writes whole plaintext datagrams:                      dtls_session_write(s, bytes, len, now)
 * Time `now` is milliseconds on any monotonic clock (the caller's). After each call, poll transmit, then read,
 * then check dtls_session_state(). A client starts its handshake with dtls_session_start().
 *
 * States: HANDSHAKING -> CONNECTED -> CLOSED (close_notify either way); any state -> FAILED (error kept, see
 * dtls_session_error()). Calls that make no sense in a state return DTLS_ERR_STATE and change nothing.
 *
 * All failures are negative DTLS_ERR_* codes (dtls_errors.h); dtls_error_code() gives their stable string
 * ("dtls.bad_psk") and dtls_error_fault() who is at fault ("peer", "caller", "environment", "internal").
 *
 * Sources, by concern: dtls_session.c (the session and its state table), dtls_server.c (many peers),
 * dtls_cookie.c (stateless HelloVerifyRequest), dtls_record.{h,c} (record layout, sanity checks, CID routing
 * fields), dtls_transport.c (memory bio, timer, datagram queues), dtls_config.c (configuration shared by a
 * server's sessions), dtls_entropy.c (entropy hook, shared generator), dtls_errors.c (the error table and the
 * mbedtls-to-DTLS_ERR mapping); dtls_internal.h joins them. Every build lists all the .c files of this directory.
 *
 * Retransmission (RFC 6347 4.2.4) is mbedtls's, driven by the caller-supplied time through
 * mbedtls_ssl_set_timer_cb. HelloVerifyRequest cookies (RFC 6347 4.2.1) and anti-replay (4.1.2.6) are on for
 * servers.
 */
#ifndef DTLS_SESSION_H
#define DTLS_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "dtls_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits (named; going past one is an error, never growth) ---- */
#define DTLS_MAX_PSKS 8               /* identities a server config holds */
#define DTLS_MAX_IDENTITY_LEN 128     /* PSK identity bytes */
#define DTLS_MAX_PSK_LEN 64           /* PSK key bytes */
#define DTLS_MAX_SUITES 8             /* configured cipher suites */
#define DTLS_MAX_SERVER_NAME 253      /* DNS name for certificate checks */
#define DTLS_MAX_PEER_ID 64           /* peer address key bytes (server) */
#define DTLS_MAX_TX_QUEUE 32          /* queued outgoing datagrams; more are dropped like lost packets */
#define DTLS_MAX_RX_QUEUE 16          /* queued plaintext datagrams; more are dropped */
#define DTLS_MAX_SESSION_BLOB 2048    /* saved session bytes */
#define DTLS_DEFAULT_MTU 1280
#define DTLS_DEFAULT_HS_MIN_MS 1000   /* RFC 6347 4.2.4.1 initial retransmission timer */
#define DTLS_DEFAULT_HS_MAX_MS 16000
#define DTLS_DEFAULT_HS_DEADLINE_MS 30000
#define DTLS_SERVER_CID_LEN 8         /* Connection ID a server asks its clients to send (RFC 9146) */

/* IANA cipher suite numbers of the two CoAP suites (RFC 7252 9.1.3). */
#define DTLS_SUITE_PSK_AES_128_CCM_8 0xC0A8
#define DTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8 0xC0AE

/* ---- entropy hook ---- */
/** Fills out[0..len) with secure random bytes; returns 0 or non-zero on failure. */
typedef int (*dtls_entropy_fn)(void *ctx, unsigned char *out, size_t len);
/** The default hook: esp_fill_random on ESP-IDF, getrandom(2) on Linux, failure elsewhere (install one). */
int dtls_entropy(void *ctx, unsigned char *out, size_t len);
/** [in] fn, ctx: hook that seeds the shared generator the next time it is created (when no session or
 *  server exists); fn NULL restores dtls_entropy. Tests only may
 *  install a deterministic one. mbedtls 4.x: no effect (TLS draws from PSA, which seeds itself). */
void dtls_set_entropy(dtls_entropy_fn fn, void *ctx);

/* ---- configuration ---- */
typedef enum { DTLS_ROLE_CLIENT = 0, DTLS_ROLE_SERVER = 1 } dtls_role;
typedef enum { DTLS_PIN_NONE = 0, DTLS_PIN_CERT_SHA256 = 1, DTLS_PIN_SPKI_SHA256 = 2 } dtls_pin_kind;

typedef struct dtls_psk {
    const uint8_t *identity; size_t identity_len;
    const uint8_t *key; size_t key_len;
} dtls_psk;

typedef struct dtls_options {
    dtls_role role;
    const dtls_psk *psks; size_t psk_count;   /* client: first entry used; server: identities accepted */
    const uint8_t *ca_pem; size_t ca_pem_len; /* trusted CA chain (PEM, may hold several) */
    const char *server_name;                  /* client: name checked against the certificate (SNI too) */
    dtls_pin_kind pin_kind; const uint8_t *pin_sha256; /* 32 bytes: replaces the CA check */
    const uint8_t *cert_pem; size_t cert_pem_len; /* own certificate (server; optional client) */
    const uint8_t *key_pem; size_t key_pem_len;
    const int *suites; size_t suite_count;    /* IANA numbers; 0 count = defaults (CCM_8 suites) */
    uint16_t mtu;                             /* 0 = DTLS_DEFAULT_MTU */
    uint32_t hs_timeout_min_ms, hs_timeout_max_ms; /* 0 = defaults */
    uint32_t hs_deadline_ms;                  /* whole handshake; 0 = DTLS_DEFAULT_HS_DEADLINE_MS */
    int no_cookies;                           /* server: disable HelloVerifyRequest (tests only) */
    int want_cid;                             /* RFC 9146 Connection ID (3.x, 4.x; DTLS_ERR_UNAVAILABLE on 2.28):
                                                 a server gives each client a DTLS_SERVER_CID_LEN-byte CID and
                                                 follows a client whose address changes; a client offers the
                                                 extension with an empty CID of its own (it does not move the
                                                 server), so the server can follow it */
} dtls_options;

/** Resolves an mbedtls suite name ("TLS-PSK-WITH-AES-128-CCM-8") to its IANA number, 0 if unknown. */
int dtls_suite_id(const char *name);

/* ---- session ---- */
typedef struct dtls_session dtls_session;
typedef enum { DTLS_STATE_HANDSHAKING = 0, DTLS_STATE_CONNECTED = 1, DTLS_STATE_CLOSED = 2, DTLS_STATE_FAILED = 3 } dtls_state;

/** [out] out: new session (own copy of everything in opts). [in] opts. Returns DTLS_OK or an error. */
int dtls_session_new(dtls_session **out, const dtls_options *opts);
/** [in] s: may be NULL. Frees without sending anything. */
void dtls_session_free(dtls_session *s);
/** Server sessions: [in] id, len: the peer's transport address bytes, bound into cookies. */
int dtls_session_set_peer_id(dtls_session *s, const uint8_t *id, size_t len);
/** Client: [in] blob, len from dtls_session_save of an earlier session with the same server. Before start. */
int dtls_session_restore(dtls_session *s, const uint8_t *blob, size_t len);
/** Client: sends the first flight. [in] now. */
int dtls_session_start(dtls_session *s, uint64_t now);
/** [in] data, len: one ciphertext datagram from the peer. [in] now. Returns DTLS_OK or the failure. */
int dtls_session_feed(dtls_session *s, const uint8_t *data, size_t len, uint64_t now);
/** [in] now: the time; call when now >= dtls_session_next_timeout(). Retransmits or fails. */
int dtls_session_handle_timeout(dtls_session *s, uint64_t now);
/** Returns the next deadline (same clock as now) or -1 when none. */
int64_t dtls_session_next_timeout(const dtls_session *s);
/** [out] buf, cap, len: next ciphertext datagram to send. Returns 1 (one datagram), 0 (none) or
 *  DTLS_ERR_BUFFER_TOO_SMALL (*len = needed; datagram kept). */
int dtls_session_poll_transmit(dtls_session *s, uint8_t *buf, size_t cap, size_t *len);
/** [out] buf, cap, len: next plaintext datagram received. Returns 1, 0 or DTLS_ERR_BUFFER_TOO_SMALL. */
int dtls_session_read(dtls_session *s, uint8_t *buf, size_t cap, size_t *len);

/** The session's next event, in order, so that no binding re-derives them from the state: DTLS_EV_CONNECTED
 *  once when the handshake completed (also when the session ended in the same call), DTLS_EV_DATA while a
 *  plaintext datagram waits (take it with dtls_session_read), DTLS_EV_CLOSED once when the session ended
 *  (dtls_session_error says why); DTLS_EV_NONE (0) when there is none. Kinds: dtls_event_kind below. */
int dtls_session_poll_event(dtls_session *s);
/** [in] data, len: one plaintext datagram, sent as one record. [in] now. */
int dtls_session_write(dtls_session *s, const uint8_t *data, size_t len, uint64_t now);
/** Sends close_notify (queued) and moves to CLOSED. Safe to call twice. */
int dtls_session_close(dtls_session *s, uint64_t now);
dtls_state dtls_session_state(const dtls_session *s);
/** Returns the failure code (0 if none). [out] alert: alert number (-1 if none); [out] lib_err: mbedtls code. NULL ok. */
int dtls_session_error(const dtls_session *s, int *alert, int *lib_err);
/** Largest plaintext datagram dtls_session_write accepts now (depends on MTU and suite). */
int dtls_session_max_payload(const dtls_session *s);
/** 1 if the completed handshake was an abbreviated (resumed) one. */
int dtls_session_resumed(const dtls_session *s);
/** Connected client: [out] buf, cap, len: the session for a later dtls_session_restore. Treat as a key. */
int dtls_session_save(dtls_session *s, uint8_t *buf, size_t cap, size_t *len);
/** 1 when the connected session uses an RFC 9146 Connection ID (the peer agreed), 0 when not,
 *  DTLS_ERR_UNAVAILABLE when this mbedtls has no RFC 9146 support. */
int dtls_session_cid_in_use(const dtls_session *s);
/** Negotiated suite name or NULL. */
const char *dtls_session_suite(const dtls_session *s);
/** Counters: [out] datagrams/bytes sent (ciphertext), datagrams dropped from full queues. NULL ok. */
void dtls_session_stats(const dtls_session *s, uint32_t *tx_datagrams, uint32_t *tx_bytes, uint32_t *dropped);

/* ---- server: several peers keyed by address ---- */
typedef struct dtls_server dtls_server;
typedef enum {
    DTLS_EV_NONE = 0,
    DTLS_EV_TRANSMIT = 1,  /* buf holds a ciphertext datagram for peer */
    DTLS_EV_CONNECTED = 2, /* handshake with peer completed; buf holds the PSK identity it used (len 0: none) */
    DTLS_EV_DATA = 3,      /* buf holds a plaintext datagram from peer */
    DTLS_EV_CLOSED = 4,    /* peer's session ended; code = DTLS_ERR_PEER_CLOSED, _IDLE_TIMEOUT, a failure, or 0 (we closed) */
} dtls_event_kind;

typedef struct dtls_server_event {
    dtls_event_kind kind;
    uint8_t peer[DTLS_MAX_PEER_ID]; size_t peer_len;
    size_t len;   /* bytes in buf (TRANSMIT, DATA); needed size on DTLS_ERR_BUFFER_TOO_SMALL */
    int code;     /* CLOSED */
    int alert;    /* CLOSED after a fatal alert, else -1 */
} dtls_server_event;

/** [out] out. [in] opts (role must be SERVER), max_sessions >= 1, idle_ms (0 = never expire). */
int dtls_server_new(dtls_server **out, const dtls_options *opts, size_t max_sessions, uint32_t idle_ms);
void dtls_server_free(dtls_server *srv);
/** [in] peer, peer_len: address key; [in] data, len; [in] now. A peer's own failure is reported as a
 *  CLOSED event, not here; returns DTLS_ERR_SESSION_LIMIT when a new peer cannot be admitted.
 *  A ClientHello from a new address without a valid cookie is answered with a HelloVerifyRequest and
 *  nothing is kept (RFC 6347 4.2.1: no session, only the queued datagram); one with a valid cookie (the
 *  sender proved its address) gets a session, or when full is refused, or with dtls_server_set_evict_lru
 *  takes the least recently heard session's place.
 *  With Connection IDs (want_cid), a CID record is routed by its CID whatever its address, and the
 *  session's peer key becomes the new address once a record from there is authenticated and newer than
 *  any before (RFC 9146 6); the events that follow carry the new key. */
int dtls_server_feed(dtls_server *srv, const uint8_t *peer, size_t peer_len, const uint8_t *data, size_t len, uint64_t now);
/** [in] on: when full, a newcomer that proved its address with a valid cookie replaces the least recently
 *  heard session, whose end is reported as a CLOSED event with DTLS_ERR_SESSION_LIMIT. Off by default. A
 *  spoofed source address cannot do this: it never receives the cookie. */
int dtls_server_set_evict_lru(dtls_server *srv, int on);
int dtls_server_handle_timeout(dtls_server *srv, uint64_t now);
int64_t dtls_server_next_timeout(const dtls_server *srv);
/** [out] ev, buf, cap: next event. Returns 1, 0 (none) or DTLS_ERR_BUFFER_TOO_SMALL (ev->len = needed). */
int dtls_server_poll(dtls_server *srv, dtls_server_event *ev, uint8_t *buf, size_t cap);
int dtls_server_write(dtls_server *srv, const uint8_t *peer, size_t peer_len, const uint8_t *data, size_t len, uint64_t now);
/** close_notify to one peer; its CLOSED event (code 0) follows. */
int dtls_server_close_peer(dtls_server *srv, const uint8_t *peer, size_t peer_len, uint64_t now);
/** Sessions currently held. */
size_t dtls_server_count(const dtls_server *srv);

#ifdef __cplusplus
}
#endif
#endif /* DTLS_SESSION_H */
