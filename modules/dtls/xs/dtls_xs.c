/*
 * dtls_xs.c: XS (Moddable xsmc) binding of modules/dtls, used by modules/dtls/dtls.ts
 * (`class DtlsSession extends Native("xs_dtls_session_destructor")`, `class DtlsServer extends
 * Native("xs_dtls_server_destructor")`).
 *
 * Like hosts/node/native/dtls_napi.c it only checks arguments, fetches and validates host data on every
 * call, calls the C core and turns DTLS_ERR_* codes into thrown Errors carrying `code`, `fault` and `alert`
 * (the strings come from the core's one mapping). No protocol logic. The destructor accepts NULL; free() is
 * safe twice.
 */
#include "xsmc.h"
#include "../dtls_session.h"

#include <string.h>

void xs_dtls_session_destructor(void* data)
{
	if (data)
		dtls_session_free((dtls_session *)data);
}

/* Throws Error(code) with .code, .fault, .alert. */
static void _throw(xsMachine *the, int err, int alert)
{
	xsmcVars(2);
	xsVar(0) = xsNew1(xsGlobal, xsID("Error"), xsString((char *)dtls_error_code(err)));
	xsmcSetString(xsVar(1), (char *)dtls_error_code(err));
	xsmcSet(xsVar(0), xsID("code"), xsVar(1));
	xsmcSetString(xsVar(1), (char *)dtls_error_fault(err));
	xsmcSet(xsVar(0), xsID("fault"), xsVar(1));
	xsmcSetInteger(xsVar(1), alert);
	xsmcSet(xsVar(0), xsID("alert"), xsVar(1));
	xsThrow(xsVar(0));
}

static dtls_session *_session(xsMachine *the)
{
	dtls_session *s = xsmcGetHostDataValidate(xsThis, xs_dtls_session_destructor);
	if (s == NULL)
		_throw(the, DTLS_ERR_CLOSED, -1);
	return s;
}

static void _check(xsMachine *the, dtls_session *s, int err)
{
	if (err < 0) {
		int alert = -1;
		if (s)
			dtls_session_error(s, &alert, NULL);
		_throw(the, err, alert);
	}
}

static uint64_t _now(xsMachine *the, int index)
{
	if (xsmcArgc <= index)
		xsTypeError("now required");
	double d = xsmcToNumber(xsArg(index));
	if (!(d >= 0) || d > 9007199254740991.0)
		xsRangeError("now out of range");
	return (uint64_t)d;
}

/* Option `id` of the options object (xsArg(0)) into *out; 0 when absent, undefined or null. */
static int _option(xsMachine *the, xsIdentifier id, xsSlot *out)
{
	if (xsmcArgc < 1 || xsmcTypeOf(xsArg(0)) != xsReferenceType)
		xsTypeError("options object required");
	if (!xsmcHas(xsArg(0), id))
		return 0;
	xsmcGet(*out, xsArg(0), id);
	return xsmcTypeOf(*out) != xsUndefinedType && xsmcTypeOf(*out) != xsNullType;
}

/* Bytes argument `index` (ArrayBuffer, typed array, DataView); 0 when absent/undefined. */
static int _bytes(xsMachine *the, int index, const uint8_t **p, size_t *len)
{
	if (xsmcArgc <= index || xsmcTypeOf(xsArg(index)) == xsUndefinedType || xsmcTypeOf(xsArg(index)) == xsNullType)
		return 0;
	void *data;
	xsUnsignedValue count;
	xsmcGetBufferReadable(xsArg(index), &data, &count);
	*p = data;
	*len = count;
	return 1;
}

/* Optional bytes (ArrayBuffer, typed array, DataView) option in `v`; 0 when absent. */
static int _option_bytes(xsMachine *the, int present, xsSlot *v, const uint8_t **p, size_t *len)
{
	if (!present)
		return 0;
	void *data;
	xsUnsignedValue count;
	xsmcGetBufferReadable(*v, &data, &count);
	*p = data;
	*len = count;
	return 1;
}

static uint32_t _u32(xsMachine *the, xsIdentifier id, uint32_t max)
{
	if (!_option(the, id, &xsVar(0)))
		return 0;
	double d = xsmcToNumber(xsVar(0));
	if (!(d >= 0) || d > max)
		xsRangeError("option out of range");
	return (uint32_t)d;
}

/*
 * Reads the options object sessions and servers share (src/link/dtls-binding-options.ts, the same names as
 * the N-API binding's): psks ([{identity, psk}], at most one here), ca, serverName, certificate, privateKey,
 * mtu, handshakeTimeoutMinMs/MaxMs, handshakeDeadlineMs, connectionId. Numbers and strings first, then every
 * option's value, then the buffers' bytes: converting, getting and xsID may allocate, which moves buffers
 * fetched earlier. Uses xsVar(0..6): callers declare _OPTION_VARS.
 */
typedef struct { dtls_options o; dtls_psk psk; char server_name[DTLS_MAX_SERVER_NAME + 1]; } _init_args;
#define _OPTION_VARS 7

static void _options(xsMachine *the, _init_args *in)
{
	if (xsmcGetHostData(xsThis))
		xsUnknownError("dtls: already initialized");
	memset(in, 0, sizeof *in);
	dtls_options *o = &in->o;
	dtls_psk *psk = &in->psk;
	o->mtu = (uint16_t)_u32(the, xsID("mtu"), 16384);
	o->hs_timeout_min_ms = _u32(the, xsID("handshakeTimeoutMinMs"), 600000);
	o->hs_timeout_max_ms = _u32(the, xsID("handshakeTimeoutMaxMs"), 600000);
	o->hs_deadline_ms = _u32(the, xsID("handshakeDeadlineMs"), 3600000);
	o->want_cid = _option(the, xsID("connectionId"), &xsVar(0)) && xsmcTest(xsVar(0));
	if (_option(the, xsID("serverName"), &xsVar(0)) && xsmcTypeOf(xsVar(0)) == xsStringType) {
		xsmcToStringBuffer(xsVar(0), in->server_name, sizeof in->server_name);
		o->server_name = in->server_name;
	}
	if (_option(the, xsID("pin"), &xsVar(0)) || _option(the, xsID("suites"), &xsVar(0)) || _option(the, xsID("noCookies"), &xsVar(0)))
		_throw(the, DTLS_ERR_UNAVAILABLE, -1); /* pin, suites and noCookies: N-API binding options */
	int has_psk = 0;
	if (_option(the, xsID("psks"), &xsVar(1))) {
		xsmcGet(xsVar(0), xsVar(1), xsID("length"));
		int count = (int)xsmcToInteger(xsVar(0));
		if (count > 1)
			xsRangeError("this binding takes one PSK identity");
		if (count == 1) {
			xsmcGetIndex(xsVar(1), xsVar(1), 0);
			xsmcGet(xsVar(3), xsVar(1), xsID("identity"));
			xsmcGet(xsVar(4), xsVar(1), xsID("psk"));
			if (xsmcTypeOf(xsVar(3)) == xsUndefinedType || xsmcTypeOf(xsVar(4)) == xsUndefinedType)
				xsTypeError("a psks entry needs identity and psk");
			has_psk = 1;
		}
	}
	/* one slot each: every buffer stays referenced until the session has copied it */
	int has_ca = _option(the, xsID("ca"), &xsVar(2));
	int has_cert = _option(the, xsID("certificate"), &xsVar(5));
	int has_key = _option(the, xsID("privateKey"), &xsVar(6));
	/* The buffers' bytes last: xsID (a new key), xsmcGet and conversions may collect, and a collection moves
	 * chunks, so a pointer taken before any of them would be stale (a stress build with mxNoChunks and ASan
	 * reported it: heap-use-after-free in mbedtls_ssl_conf_psk). Nothing below allocates. */
	if (has_psk) {
		_option_bytes(the, 1, &xsVar(3), &psk->identity, &psk->identity_len);
		_option_bytes(the, 1, &xsVar(4), &psk->key, &psk->key_len);
		o->psks = psk;
		o->psk_count = 1;
	}
	_option_bytes(the, has_ca, &xsVar(2), &o->ca_pem, &o->ca_pem_len);
	_option_bytes(the, has_cert, &xsVar(5), &o->cert_pem, &o->cert_pem_len);
	_option_bytes(the, has_key, &xsVar(6), &o->key_pem, &o->key_pem_len);
}

/* init(options): options.role "client" or "server", the rest as _options reads them. */
void xs_dtls_session_init(xsMachine* the)
{
	_init_args in;
	xsmcVars(_OPTION_VARS);
	char role[8] = { 0 };
	if (_option(the, xsID("role"), &xsVar(0)) && xsmcTypeOf(xsVar(0)) == xsStringType)
		xsmcToStringBuffer(xsVar(0), role, sizeof role);
	if (strcmp(role, "client") != 0 && strcmp(role, "server") != 0)
		xsRangeError("options.role must be \"client\" or \"server\"");
	_options(the, &in);
	in.o.role = role[0] == 'c' ? DTLS_ROLE_CLIENT : DTLS_ROLE_SERVER;
	dtls_session *s = NULL;
	int err = dtls_session_new(&s, &in.o);
	if (err < 0)
		_throw(the, err, -1);
	xsmcSetHostData(xsThis, s);
}

void xs_dtls_session_start(xsMachine* the)
{
	dtls_session *s = _session(the);
	_check(the, s, dtls_session_start(s, _now(the, 0)));
}

typedef int (*_bytes_fn)(dtls_session *, const uint8_t *, size_t, uint64_t);

/* Calls fn(session, bytes, now) with the arguments (bytes, now). */
static void _bytes_now(xsMachine *the, _bytes_fn fn, const char *usage)
{
	dtls_session *s = _session(the);
	uint64_t now = _now(the, 1);
	const uint8_t *p;
	size_t len;
	if (!_bytes(the, 0, &p, &len))
		xsTypeError("%s", usage);
	_check(the, s, fn(s, p, len, now));
}

void xs_dtls_session_feed(xsMachine* the)
{
	_bytes_now(the, dtls_session_feed, "feed(bytes, now)");
}

void xs_dtls_session_handle_timeout(xsMachine* the)
{
	dtls_session *s = _session(the);
	_check(the, s, dtls_session_handle_timeout(s, _now(the, 0)));
}

void xs_dtls_session_next_timeout(xsMachine* the)
{
	dtls_session *s = _session(the);
	xsmcSetNumber(xsResult, (double)dtls_session_next_timeout(s));
}

typedef int (*_pop_fn)(dtls_session *, uint8_t *, size_t, size_t *);

/* Result: an ArrayBuffer holding the next datagram, or undefined. */
static void _pop(xsMachine *the, _pop_fn fn)
{
	dtls_session *s = _session(the);
	size_t len = 0;
	int r = fn(s, NULL, 0, &len);
	if (r == 0)
		return;
	if (r != DTLS_ERR_BUFFER_TOO_SMALL && r != 1)
		_throw(the, r, -1);
	xsmcSetArrayBuffer(xsResult, NULL, len);
	s = _session(the); /* allocation may have collected garbage: fetch and validate again */
	r = fn(s, len ? xsmcToArrayBuffer(xsResult) : NULL, len, &len);
	if (r != 1)
		_throw(the, r < 0 ? r : DTLS_ERR_INTERNAL, -1);
}

void xs_dtls_session_poll_transmit(xsMachine* the)
{
	_pop(the, dtls_session_poll_transmit);
}

void xs_dtls_session_read(xsMachine* the)
{
	_pop(the, dtls_session_read);
}

/* pollEvent() -> the core's next event kind (dtls_session_poll_event): 0 none, 2 connected, 3 data, 4 closed. */
void xs_dtls_session_poll_event(xsMachine* the)
{
	xsmcSetInteger(xsResult, dtls_session_poll_event(_session(the)));
}

void xs_dtls_session_write(xsMachine* the)
{
	_bytes_now(the, dtls_session_write, "write(bytes, now)");
}

void xs_dtls_session_close(xsMachine* the)
{
	dtls_session *s = _session(the);
	_check(the, s, dtls_session_close(s, _now(the, 0)));
}

/* Frees the C session now; safe twice. */
void xs_dtls_session_free(xsMachine* the)
{
	dtls_session *s = xsmcGetHostDataValidate(xsThis, xs_dtls_session_destructor);
	if (s) {
		xsmcSetHostData(xsThis, NULL);
		dtls_session_free(s);
	}
}

void xs_dtls_session_state(xsMachine* the)
{
	dtls_session *s = xsmcGetHostDataValidate(xsThis, xs_dtls_session_destructor);
	xsmcSetInteger(xsResult, s ? (int)dtls_session_state(s) : (int)DTLS_STATE_CLOSED);
}

/* true when the connected session uses an RFC 9146 Connection ID. */
void xs_dtls_session_cid_in_use(xsMachine* the)
{
	dtls_session *s = xsmcGetHostDataValidate(xsThis, xs_dtls_session_destructor);
	xsmcSetBoolean(xsResult, s != NULL && dtls_session_cid_in_use(s) == 1);
}

/* The failure code string ("dtls.bad_psk"), or undefined. */
void xs_dtls_session_error(xsMachine* the)
{
	dtls_session *s = xsmcGetHostDataValidate(xsThis, xs_dtls_session_destructor);
	int err = s ? dtls_session_error(s, NULL, NULL) : 0;
	if (err != 0)
		xsmcSetString(xsResult, (char *)dtls_error_code(err));
}

void xs_dtls_session_alert(xsMachine* the)
{
	dtls_session *s = _session(the);
	int alert = -1;
	dtls_session_error(s, &alert, NULL);
	xsmcSetInteger(xsResult, alert);
}

void xs_dtls_session_max_payload(xsMachine* the)
{
	xsmcSetInteger(xsResult, dtls_session_max_payload(_session(the)));
}

void xs_dtls_session_suite(xsMachine* the)
{
	const char *name = dtls_session_suite(_session(the));
	if (name)
		xsmcSetString(xsResult, (char *)name);
}

/* ---- the multi-peer server (dtls_server): peers are string keys ("address|port"), at most DTLS_MAX_PEER_ID bytes ---- */

void xs_dtls_server_destructor(void* data)
{
	if (data)
		dtls_server_free((dtls_server *)data);
}

static dtls_server *_server(xsMachine *the)
{
	dtls_server *srv = xsmcGetHostDataValidate(xsThis, xs_dtls_server_destructor);
	if (srv == NULL)
		_throw(the, DTLS_ERR_CLOSED, -1);
	return srv;
}

static void _check_server(xsMachine *the, int err)
{
	if (err < 0)
		_throw(the, err, -1);
}

/* Copies string argument `index` (a peer key) into key; returns its length. */
static size_t _peer(xsMachine *the, int index, char key[DTLS_MAX_PEER_ID + 1])
{
	if (xsmcArgc <= index || xsmcTypeOf(xsArg(index)) != xsStringType)
		xsTypeError("peer key (string) required");
	const char *k = xsmcToString(xsArg(index));
	size_t len = strlen(k);
	if (len == 0 || len > DTLS_MAX_PEER_ID)
		xsRangeError("peer key length");
	memcpy(key, k, len + 1);
	return len;
}

/* init(options): maxSessions, idleTimeoutMs, evictLeastRecent and the options _options reads. */
void xs_dtls_server_init(xsMachine* the)
{
	_init_args in;
	xsmcVars(_OPTION_VARS);
	uint32_t max = _u32(the, xsID("maxSessions"), 4096);
	uint32_t idle = _u32(the, xsID("idleTimeoutMs"), 0xffffffffu);
	int evict = _option(the, xsID("evictLeastRecent"), &xsVar(0)) && xsmcTest(xsVar(0));
	_options(the, &in);
	in.o.role = DTLS_ROLE_SERVER;
	dtls_server *srv = NULL;
	int err = dtls_server_new(&srv, &in.o, max, idle);
	if (err < 0)
		_throw(the, err, -1);
	dtls_server_set_evict_lru(srv, evict);
	xsmcSetHostData(xsThis, srv);
}

typedef int (*_peer_bytes_fn)(dtls_server *, const uint8_t *, size_t, const uint8_t *, size_t, uint64_t);

/* Calls fn(server, peer, bytes, now) with the arguments (peer, bytes, now). */
static void _peer_bytes(xsMachine *the, _peer_bytes_fn fn, const char *usage)
{
	char key[DTLS_MAX_PEER_ID + 1];
	size_t key_len = _peer(the, 0, key);
	uint64_t now = _now(the, 2);
	const uint8_t *p;
	size_t len;
	if (!_bytes(the, 1, &p, &len))
		xsTypeError("%s", usage);
	_check_server(the, fn(_server(the), (const uint8_t *)key, key_len, p, len, now));
}

/* feed(peer, bytes, now): throws dtls.session_limit when a proven newcomer finds no room. */
void xs_dtls_server_feed(xsMachine* the)
{
	_peer_bytes(the, dtls_server_feed, "feed(peer, bytes, now)");
}

void xs_dtls_server_handle_timeout(xsMachine* the)
{
	_check_server(the, dtls_server_handle_timeout(_server(the), _now(the, 0)));
}

void xs_dtls_server_next_timeout(xsMachine* the)
{
	xsmcSetNumber(xsResult, (double)dtls_server_next_timeout(_server(the)));
}

/*
 * pollInto(state, transmitBuffer, dataBuffer, holdData): the next event into `state` (`kind`, `length`, `alert`;
 * `peer`, set only when it changed; `code` on a failure's CLOSED, else undefined) and its bytes into one of two
 * ArrayBuffers: a datagram to send into `transmitBuffer`, received plaintext (or CONNECTED's PSK identity) into
 * `dataBuffer`. Returns the kind; 0 for none, or, with `holdData`, when the next event would write `dataBuffer`
 * (it waits for a later poll: the caller is still reading the bytes it holds); -length when the bytes do not fit
 * their buffer (the event stays). The event is first looked at without a buffer (dtls_server_poll with no room
 * leaves a datagram queued), then taken into the buffer of its kind. While the peer stays the same and the bytes
 * fit, nothing is allocated (issue 13: the gate's datagram path); DtlsServer.pollEvent makes an event of it.
 */
void xs_dtls_server_poll_into(xsMachine* the)
{
	dtls_server_event ev;
	dtls_server* srv = _server(the);
	int hold = (xsmcArgc > 3) && xsmcTest(xsArg(3));
	int r = dtls_server_poll(srv, &ev, NULL, 0);
	if (r == 0) {
		xsmcSetInteger(xsResult, 0);
		return;
	}
	if (r == DTLS_ERR_BUFFER_TOO_SMALL) {
		int transmit = (ev.kind == DTLS_EV_TRANSMIT);
		uint8_t* buffer;
		size_t capacity;
		if (hold && !transmit) {
			xsmcSetInteger(xsResult, 0);
			return;
		}
		if (transmit) {
			buffer = xsmcToArrayBuffer(xsArg(1));
			capacity = (size_t)xsmcGetArrayBufferLength(xsArg(1));
		}
		else {
			buffer = xsmcToArrayBuffer(xsArg(2));
			capacity = (size_t)xsmcGetArrayBufferLength(xsArg(2));
		}
		if (ev.len > capacity) {
			xsmcSetInteger(xsResult, -(xsIntegerValue)ev.len);
			return;
		}
		r = dtls_server_poll(srv, &ev, buffer, capacity);
	}
	if (r != 1)
		_throw(the, r < 0 ? r : DTLS_ERR_INTERNAL, -1);
	xsmcVars(1);
	xsmcGet(xsVar(0), xsArg(0), xsID("peer"));
	if ((xsmcTypeOf(xsVar(0)) != xsStringType) || (strlen(xsmcToString(xsVar(0))) != ev.peer_len)
			|| memcmp(xsmcToString(xsVar(0)), ev.peer, ev.peer_len)) {
		xsmcSetStringBuffer(xsVar(0), (char *)ev.peer, (xsIntegerValue)ev.peer_len);
		xsmcSet(xsArg(0), xsID("peer"), xsVar(0));
	}
	xsmcSetInteger(xsVar(0), (ev.kind == DTLS_EV_CLOSED) ? 0 : (xsIntegerValue)ev.len);
	xsmcSet(xsArg(0), xsID("length"), xsVar(0));
	xsmcSetInteger(xsVar(0), ev.alert);
	xsmcSet(xsArg(0), xsID("alert"), xsVar(0));
	if ((ev.kind == DTLS_EV_CLOSED) && (ev.code != 0))
		xsmcSetString(xsVar(0), (char *)dtls_error_code(ev.code));
	else
		xsmcSetUndefined(xsVar(0));
	xsmcSet(xsArg(0), xsID("code"), xsVar(0));
	xsmcSetInteger(xsResult, (xsIntegerValue)ev.kind);
}

/* write(peer, bytes, now) */
void xs_dtls_server_write(xsMachine* the)
{
	_peer_bytes(the, dtls_server_write, "write(peer, bytes, now)");
}

/* closePeer(peer, now): close_notify; the peer's CLOSED event follows. */
void xs_dtls_server_close_peer(xsMachine* the)
{
	char key[DTLS_MAX_PEER_ID + 1];
	size_t key_len = _peer(the, 0, key);
	_check_server(the, dtls_server_close_peer(_server(the), (const uint8_t *)key, key_len, _now(the, 1)));
}

void xs_dtls_server_count(xsMachine* the)
{
	xsmcSetInteger(xsResult, (xsIntegerValue)dtls_server_count(_server(the)));
}

/* Frees the C server and every session now; safe twice. */
void xs_dtls_server_free(xsMachine* the)
{
	dtls_server *srv = xsmcGetHostDataValidate(xsThis, xs_dtls_server_destructor);
	if (srv) {
		xsmcSetHostData(xsThis, NULL);
		dtls_server_free(srv);
	}
}

/* Fault ("peer", "caller", ...) of a code string produced by this binding: the core's table says. */
void xs_dtls_error_fault(xsMachine* the)
{
	char code[48];
	if (xsmcArgc < 1)
		xsTypeError("code required");
	xsmcToStringBuffer(xsArg(0), code, sizeof code);
	xsmcSetString(xsResult, (char *)dtls_error_fault_of(code));
}
