/*
 * dtls_record.h: the DTLS 1.2 wire fields modules/dtls reads or writes itself (mbedtls does the rest), as named
 * offsets. Private to modules/dtls. All multi-byte fields are big-endian (network order).
 *
 * RFC 6347 4.1: DTLSPlaintext / DTLSCiphertext record header, 13 bytes
 *
 *    0      1      2      3      4      5      6      7      8      9     10     11     12     13
 *   +------+-------------+-------------+-----------------------------------------+-------------+--------
 *   | type |   version   |    epoch    |          sequence_number (48)           |   length    | fragment
 *   +------+-------------+-------------+-----------------------------------------+-------------+--------
 *
 * RFC 9146 4: a tls12_cid record (type 25, the epoch is never 0) carries the receiver's CID before the length,
 * so its header is 11 + cid_len + 2 bytes; only the CIDs this server hands out (DTLS_SERVER_CID_LEN) are routed
 *
 *    0      1      2      3      4      5 ..                        10     11 .. 11+n-1    11+n  11+n+1
 *   +------+-------------+-------------+-----------------------------------+---------------+-------------+
 *   | 25   |   version   |    epoch    |          sequence_number (48)     |  cid (n)      |   length    |
 *   +------+-------------+-------------+-----------------------------------+---------------+-------------+
 *
 * RFC 6347 4.2.2: handshake message header, 12 bytes, at DTLS_REC_HEADER_LEN in an epoch-0 handshake record
 *
 *   13     14     15     16     17     18     19     20     21     22     23     24     25
 *   +------+--------------------+-------------+--------------------+--------------------+--------
 *   | type |    length (24)     | message_seq | fragment_offset(24)| fragment_length(24)| body
 *   +------+--------------------+-------------+--------------------+--------------------+--------
 *
 * RFC 6347 4.2.1: ClientHello body (the part we read: up to the cookie), at DTLS_HS_BODY
 *
 *   25     26     27 .. 58      59           60 .. 60+s-1   60+s         61+s ..
 *   +-------------+-------------+------------+--------------+------------+--------------
 *   |client_version| random (32)| sid length | session_id(s)| cookie len | cookie ...
 *   +-------------+-------------+------------+--------------+------------+--------------
 *
 * RFC 6347 4.2.1: HelloVerifyRequest body, at DTLS_HS_BODY: server_version (2), cookie <0..2^8-1>
 *
 *   25     26     27           28 ..
 *   +-------------+------------+-------------
 *   |server_version| cookie len| cookie ...
 *   +-------------+------------+-------------
 */
#ifndef DTLS_RECORD_H
#define DTLS_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* record header (RFC 6347 4.1) */
#define DTLS_REC_TYPE 0          /* ContentType, 1 byte */
#define DTLS_REC_VERSION 1       /* ProtocolVersion, 2 bytes */
#define DTLS_REC_EPOCH 3         /* 2 bytes */
#define DTLS_REC_SEQ 5           /* 6 bytes; DTLS_REC_EPOCH..DTLS_REC_SEQ+6 is the 64-bit epoch+sequence */
#define DTLS_REC_SEQ_END 11      /* first byte after the sequence number */
#define DTLS_REC_LENGTH 11       /* 2 bytes, fragment length (plain records) */
#define DTLS_REC_HEADER_LEN 13

/* RFC 9146 4: tls12_cid header: the CID sits where a plain record's length is; the length follows it */
#define DTLS_REC_CID DTLS_REC_SEQ_END
#define DTLS_REC_CID_HEADER_LEN(cid_len) (DTLS_REC_CID + (size_t)(cid_len) + 2)

/* ContentType values (RFC 5246 6.2.1, RFC 9146 4) */
#define DTLS_CT_HANDSHAKE 22
#define DTLS_CT_TLS12_CID 25

/* handshake header (RFC 6347 4.2.2), offsets from the start of the record */
#define DTLS_HS_TYPE (DTLS_REC_HEADER_LEN + 0)            /* HandshakeType, 1 byte */
#define DTLS_HS_LENGTH (DTLS_REC_HEADER_LEN + 1)          /* 3 bytes */
#define DTLS_HS_MSG_SEQ (DTLS_REC_HEADER_LEN + 4)         /* 2 bytes */
#define DTLS_HS_FRAG_OFFSET (DTLS_REC_HEADER_LEN + 6)     /* 3 bytes */
#define DTLS_HS_FRAG_LENGTH (DTLS_REC_HEADER_LEN + 9)     /* 3 bytes */
#define DTLS_HS_BODY (DTLS_REC_HEADER_LEN + 12)           /* first body byte */

/* HandshakeType values (RFC 5246 7.4, RFC 6347 4.2.1) */
#define DTLS_HS_CLIENT_HELLO 1
#define DTLS_HS_HELLO_VERIFY_REQUEST 3

/* ClientHello body (RFC 6347 4.2.1), offsets from the start of the record */
#define DTLS_CH_VERSION DTLS_HS_BODY                      /* 2 bytes */
#define DTLS_CH_RANDOM (DTLS_CH_VERSION + 2)              /* 32 bytes */
#define DTLS_CH_SESSION_ID_LEN (DTLS_CH_RANDOM + 32)      /* 1 byte, then session_id, then cookie <1 + n> */

/* HelloVerifyRequest body (RFC 6347 4.2.1), offsets from the start of the record */
#define DTLS_HVR_VERSION DTLS_HS_BODY                     /* 2 bytes */
#define DTLS_HVR_COOKIE_LEN (DTLS_HVR_VERSION + 2)        /* 1 byte */
#define DTLS_HVR_COOKIE (DTLS_HVR_COOKIE_LEN + 1)
/* server_version of a HelloVerifyRequest: DTLS 1.0 whatever the version negotiated (RFC 6347 4.2.1) */
#define DTLS_HVR_VERSION_MAJOR 0xfe
#define DTLS_HVR_VERSION_MINOR 0xff

/* Alert message (RFC 5246 7.2), offsets in the decrypted alert record body */
#define DTLS_ALERT_LEVEL 0
#define DTLS_ALERT_DESCRIPTION 1

/** Big-endian field writers and readers (n <= 8 bytes). */
static inline void dtls_put_be(uint8_t *p, uint64_t v, size_t n)
{
    while (n-- > 0) {
        p[n] = (uint8_t)v;
        v >>= 8;
    }
}
static inline uint64_t dtls_get_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

/** [in] d, n: a record and the bytes from it to the end of its datagram. 1 when it is an epoch-0 handshake
 *  record whose message starts in it (fragment_offset 0) and holds a ClientHello body up to the cookie, the
 *  checks mbedtls's own cookie code makes; [out] cookie, cookie_len: its cookie. 0 otherwise. */
int dtls_record_hello_cookie(const uint8_t *d, size_t n, const uint8_t **cookie, size_t *cookie_len);

/** [in] d, len: a datagram. 1 when it starts with a handshake record carrying a ClientHello (RFC 6347 4.1,
 *  4.2.2: how a new peer must open). */
int dtls_record_is_client_hello(const uint8_t *d, size_t len);

/** [in] d, len, cid_len: a datagram and the CID length of tls12_cid records addressed to us (0: none);
 *  [in] connected_server: a server session past its handshake. Returns the length of the prefix made of whole,
 *  sane records (RFC 6347 4.1.2.7: the rest is dropped like an invalid record). */
size_t dtls_record_sane_prefix(const uint8_t *d, size_t len, size_t cid_len, int connected_server);

#endif /* DTLS_RECORD_H */
