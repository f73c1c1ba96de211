/*
 * dtls_internal.h: what the source files of modules/dtls share and nobody else sees: the configuration, the
 * session's fields, the datagram queues and the functions one file gives another. Not part of the API
 * (dtls_session.h is). Internal functions are named dtls_<concern>_<verb> and documented here.
 */
#ifndef DTLS_INTERNAL_H
#define DTLS_INTERNAL_H

#include "dtls_session.h"
#include "dtls_compat.h"

/* ---- entropy and the shared generator (dtls_entropy.c) ---- */

/** The one CTR_DRBG of every config, reference counted; seeded from the entropy hook when first taken.
 *  Returns NULL when seeding fails. Single-threaded use. */
dtls_compat_rng *dtls_rng_acquire(void);
/** Drops one reference; the last one frees and wipes the generator. */
void dtls_rng_release(void);

/* ---- configuration (dtls_config.c), shared by a server's sessions, reference counted ---- */

/* Server-only parts, allocated for servers only: a client session then holds nothing it does not use. */
typedef struct dtls_psk_entry { const uint8_t *id, *key; uint8_t id_len, key_len; } dtls_psk_entry;
typedef struct dtls_server_parts {
    mbedtls_ssl_cookie_ctx cookie;
    int has_cookie;
#if DTLS_COMPAT_HAS_CACHE
    mbedtls_ssl_cache_context cache;
    int has_cache;
#endif
    size_t psk_count;
    dtls_psk_entry *psks;       /* identities accepted (the PSK callback); entries and their bytes in one block */
    size_t psks_size;
} dtls_server_parts;

typedef struct dtls_cfg {
    int refs;
    dtls_role role;
    mbedtls_ssl_config conf;
    dtls_compat_rng *rng;       /* the shared generator (dtls_rng_acquire) */
    /* Certificates; each part only when configured (a parsed certificate holder is ~1 KB on 32-bit). */
    struct dtls_pki {
        mbedtls_x509_crt *ca;
        struct dtls_own { mbedtls_x509_crt cert; mbedtls_pk_context key; } *own;
        uint8_t pin[32];
    } *pki;
    dtls_server_parts *srv;     /* only for servers */
    uint8_t has_ca, has_own, has_psk;
    uint8_t psk_only;           /* only PSK suites: a handshake that stalls after our Finished means a key mismatch */
    uint8_t pin_kind;           /* dtls_pin_kind; the pin is in pki */
    uint8_t want_cid;           /* RFC 9146: sessions get a CID of cid_len bytes (0 for clients) */
    uint8_t cid_len;
    uint16_t mtu;
    uint32_t hs_deadline_ms;
    size_t size;                /* of this allocation */
    int suites[];               /* 0-terminated; mbedtls keeps a pointer to this list */
} dtls_cfg;

/** [out] out: a new config with one reference. [in] o: checked here. Returns DTLS_OK or an error. */
int dtls_cfg_new(dtls_cfg **out, const dtls_options *o);
/** [in] c: may be NULL. Drops one reference; the last one frees and wipes everything. */
void dtls_cfg_release(dtls_cfg *c);

/* ---- datagram queues (dtls_transport.c) ---- */

typedef struct dtls_dgram {
    struct dtls_dgram *next;
    size_t len;
    uint8_t data[];
} dtls_dgram;

typedef struct { dtls_dgram *head, *tail; size_t count; } dtls_queue;

void dtls_queue_clear(dtls_queue *q);
void dtls_queue_push(dtls_queue *q, dtls_dgram *d);
/** Pops the head into buf: 1, 0 when empty, DTLS_ERR_BUFFER_TOO_SMALL (kept, *len = needed). */
int dtls_queue_pop(dtls_queue *q, uint8_t *buf, size_t cap, size_t *len);

/* ---- the session's fields (dtls_session.c owns them; the server reads them) ---- */

struct dtls_session {
    dtls_cfg *cfg;
    mbedtls_ssl_context ssl;
    uint64_t now;
    uint64_t hs_deadline;
    /* timer (mbedtls_ssl_set_timer_cb over the caller's clock) */
    uint64_t t_start;
    uint32_t t_int, t_fin;
    /* the datagram being fed */
    const uint8_t *in;
    size_t in_len;
    dtls_queue tx, rx;
    uint8_t *saved; size_t saved_len; /* session blob, taken once (gotcha 4) */
    uint32_t tx_datagrams, tx_bytes, dropped;
    int lib_err;            /* mbedtls code of the failure */
    uint32_t seen;          /* handshake states passed through (bit per state < 32) */
    int16_t alert;          /* fatal alert received, -1 if none */
    int8_t err;             /* DTLS_ERR_* of the failure or close */
    uint8_t state;          /* dtls_state */
    uint8_t started;
    uint8_t pin_failed;
    uint8_t hvr;            /* last feed made us send a HelloVerifyRequest */
    uint8_t peer_id_len;
    uint8_t connected_seen;     /* the handshake completed at some point (set by _enter) */
    uint8_t connected_reported; /* dtls_session_poll_event gave DTLS_EV_CONNECTED */
    uint8_t end_reported;       /* dtls_session_poll_event gave DTLS_EV_CLOSED */
    const dtls_psk_entry *psk; /* servers: the identity the peer's handshake named (in cfg's block), or NULL */
#if DTLS_COMPAT_HAS_CID
    uint8_t cid[DTLS_SERVER_CID_LEN]; /* our own CID (servers), routed on by dtls_server_feed */
    uint64_t cid_top;       /* highest epoch+sequence of a CID record that gave data (RFC 9146 6) */
    uint32_t records_in;    /* application records read (queued or dropped) */
#endif
    uint8_t peer_id[];      /* servers only: DTLS_MAX_PEER_ID bytes of peer address key */
};

/* ---- the memory transport mbedtls is given (dtls_transport.c); ctx is the dtls_session ---- */

int dtls_bio_send(void *ctx, const unsigned char *buf, size_t len);
int dtls_bio_recv(void *ctx, unsigned char *buf, size_t len);
void dtls_timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms);
/** mbedtls_ssl_get_timer_t: -1 cancelled, 0 running, 1 intermediate passed, 2 final passed. */
int dtls_timer_get(void *ctx);

/* ---- errors of mbedtls as DTLS_ERR_* (dtls_errors.c) ---- */

/** The failure of a handshake that ran out of time: DTLS_ERR_BAD_PSK or DTLS_ERR_HANDSHAKE_TIMEOUT. */
int dtls_map_timeout(const dtls_session *s);
/** [in] ret: an mbedtls error from s's context. Returns the DTLS_ERR_* for it; records a fatal alert in s. */
int dtls_map_error(dtls_session *s, int ret);

/* ---- session internals the server uses (dtls_session.c) ---- */

/** [out] out: a server session on config c (a reference is taken) for peer, started at now. */
int dtls_session_new_shared(dtls_session **out, dtls_cfg *c, const uint8_t *peer, size_t peer_len, uint64_t now);
/** Sets the peer address key (len <= DTLS_MAX_PEER_ID) and binds it into cookies; no state check. */
void dtls_session_bind_peer(dtls_session *s, const uint8_t *id, size_t len);
/** 1 when the handshake passed through mbedtls state st (< 32). */
static inline int dtls_session_seen(const dtls_session *s, int st)
{
    return st >= 0 && st < 32 && (s->seen & (1u << st)) != 0;
}
/** 1 when s is FAILED or CLOSED. */
static inline int dtls_session_ended(const dtls_session *s)
{
    return s->state == DTLS_STATE_FAILED || s->state == DTLS_STATE_CLOSED;
}

/* ---- stateless HelloVerifyRequest (dtls_cookie.c, RFC 6347 4.2.1) ---- */

/* A HelloVerifyRequest waiting to be polled, with the address it goes to. */
typedef struct dtls_hvr {
    struct dtls_hvr *next;
    uint8_t peer[DTLS_MAX_PEER_ID];
    size_t peer_len, len;
    uint8_t data[];
} dtls_hvr;

#define DTLS_MAX_HVR_QUEUE 8 /* more are dropped like lost datagrams: the clients retransmit */

typedef struct { dtls_hvr *head, *tail; size_t count; } dtls_hvr_queue;

typedef enum { DTLS_HELLO_MALFORMED, DTLS_HELLO_NO_COOKIE, DTLS_HELLO_PROVEN } dtls_hello_kind;

/** Whether the ClientHello in d carries a cookie this server (cookie ctx) issued to this peer address. */
dtls_hello_kind dtls_cookie_check(mbedtls_ssl_cookie_ctx *cookie, const uint8_t *peer, size_t peer_len,
                                  const uint8_t *d, size_t len);
/** Queues the HelloVerifyRequest answering the ClientHello in d (at least DTLS_HS_BODY bytes). */
void dtls_cookie_queue_hvr(dtls_hvr_queue *q, mbedtls_ssl_cookie_ctx *cookie, const uint8_t *peer, size_t peer_len,
                           const uint8_t *d);
/** The head of q, or NULL. */
static inline const dtls_hvr *dtls_cookie_peek(const dtls_hvr_queue *q)
{
    return q->head;
}
/** Removes and frees the head of q. */
void dtls_cookie_drop(dtls_hvr_queue *q);
/** Frees every queued HelloVerifyRequest. */
void dtls_cookie_clear(dtls_hvr_queue *q);

#endif /* DTLS_INTERNAL_H */
