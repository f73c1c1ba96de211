/*
 * dtls_record_buffers.h: the record buffer sizes of the device configurations, included by
 * mbedtls_device_config.h (2.28 / 3.6) and mbedtls4_device_config.h (4.x) where they set their buffers. Keep
 * CONFIG_MBEDTLS_SSL_IN/OUT_CONTENT_LEN in sdkconfig.defaults equal. The lengths can be overridden with -D
 * (IDPGATE_DTLS_IN_CONTENT_LEN, IDPGATE_DTLS_OUT_CONTENT_LEN) for measurements; the mbedtls build and the
 * drivers must then see the same values.
 *
 * Heap: IN/OUT_CONTENT_LEN + per-buffer overhead (see the memory section of ../README.md).
 * IN: the largest record a peer sends us and the largest handshake message, which mbedtls reassembles and then
 * copies back into the input buffer: the peer's Certificate message (12-byte header + a P-256 leaf and
 * intermediate, ~0.5 KB each). 1152 is RFC 7252 4.6's bound for a CoAP message (a 1024-byte payload) when the
 * path MTU is unknown, assumed 1280: a peer that keeps to it is always read; a bigger datagram is dropped by
 * dtls_bio_recv (counted in dtls_session_stats) and the CoAP exchange times out. 1440 (every datagram of a
 * 1500-byte link) costs 288 bytes more per session.
 * OUT: our largest handshake message (ClientHello with a session ticket, our own certificate if any; mbedtls
 * writes a whole message before fragmenting it to the MTU) and one plaintext datagram (dtls_session_write; CoAP
 * bodies use Block2).
 */
#ifndef IDPGATE_DTLS_RECORD_BUFFERS_H
#define IDPGATE_DTLS_RECORD_BUFFERS_H

#ifndef IDPGATE_DTLS_IN_CONTENT_LEN
#define IDPGATE_DTLS_IN_CONTENT_LEN 1152
#endif
#ifndef IDPGATE_DTLS_OUT_CONTENT_LEN
#define IDPGATE_DTLS_OUT_CONTENT_LEN 1024
#endif

#undef MBEDTLS_SSL_IN_CONTENT_LEN
#undef MBEDTLS_SSL_OUT_CONTENT_LEN
#define MBEDTLS_SSL_IN_CONTENT_LEN IDPGATE_DTLS_IN_CONTENT_LEN
#define MBEDTLS_SSL_OUT_CONTENT_LEN IDPGATE_DTLS_OUT_CONTENT_LEN

/* Handshake messages buffered ahead of the one being processed (the rest of the peer's flight while its
 * Certificate is still in fragments, plus the reassembly buffer itself): default 32 KB. One certificate
 * message and its reassembly bitmask plus the small messages that follow it in the flight. */
#undef MBEDTLS_SSL_DTLS_MAX_BUFFERING
#define MBEDTLS_SSL_DTLS_MAX_BUFFERING (IDPGATE_DTLS_IN_CONTENT_LEN + IDPGATE_DTLS_IN_CONTENT_LEN / 4)

/* MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH is left off: it only shrinks the buffers to a negotiated
 * max_fragment_length, which modules/dtls does not ask for (it does not follow the MTU). */
#undef MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH
#undef MBEDTLS_SSL_MAX_FRAGMENT_LENGTH

#endif /* IDPGATE_DTLS_RECORD_BUFFERS_H */
