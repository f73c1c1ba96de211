/*
 * dtls_xs.c: XS (Moddable xsmc) binding of modules/dtls, used by modules/dtls/dtls.ts
 * (`class DtlsSession extends Native("xs_dtls_session_destructor")`).
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

/* Optional bytes argument (ArrayBuffer, typed array, DataView); 0 when absent/undefined. */
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

static uint32_t _u32(xsMachine *the, int index, uint32_t max)
{
	if (xsmcArgc <= index || xsmcTypeOf(xsArg(index)) == xsUndefinedType)
		return 0;
	double d = xsmcToNumber(xsArg(index));
	if (!(d >= 0) || d > max)
		xsRangeError("option out of range");
	return (uint32_t)d;
}

/*
 * init(role, identity, key, mtu, hsMinMs, hsMaxMs, hsDeadlineMs, ca, serverName, cert, certKey, connectionId)
 * role 0 client / 1 server; identity/key/ca/cert/certKey: bytes or undefined; serverName: string or undefined;
 * connectionId: true to ask for an RFC 9146 Connection ID.
 */
void xs_dtls_session_init(xsMachine* the)
{
	if (xsmcGetHostData(xsThis))
		xsUnknownError("dtls: already initialized");
	dtls_options o;
	dtls_psk psk;
	char server_name[DTLS_MAX_SERVER_NAME + 1];
	memset(&o, 0, sizeof o);
	memset(&psk, 0, sizeof psk);
	int role = xsmcArgc > 0 ? xsmcToInteger(xsArg(0)) : -1;
	if (role != 0 && role != 1)
		xsRangeError("role must be 0 (client) or 1 (server)");
	o.role = role == 0 ? DTLS_ROLE_CLIENT : DTLS_ROLE_SERVER;
	/* numbers and strings first: converting may allocate, which may move buffers fetched earlier */
	o.mtu = (uint16_t)_u32(the, 3, 16384);
	o.hs_timeout_min_ms = _u32(the, 4, 600000);
	o.hs_timeout_max_ms = _u32(the, 5, 600000);
	o.hs_deadline_ms = _u32(the, 6, 3600000);
	o.want_cid = xsmcArgc > 11 && xsmcTest(xsArg(11));
	if (xsmcArgc > 8 && xsmcTypeOf(xsArg(8)) == xsStringType) {
		xsmcToStringBuffer(xsArg(8), server_name, sizeof server_name);
		o.server_name = server_name;
	}
	int has_id = _bytes(the, 1, &psk.identity, &psk.identity_len);
	int has_key = _bytes(the, 2, &psk.key, &psk.key_len);
	if (has_id != has_key)
		xsTypeError("identity and key go together");
	if (has_id) {
		o.psks = &psk;
		o.psk_count = 1;
	}
	_bytes(the, 7, &o.ca_pem, &o.ca_pem_len);
	_bytes(the, 9, &o.cert_pem, &o.cert_pem_len);
	_bytes(the, 10, &o.key_pem, &o.key_pem_len);
	dtls_session *s = NULL;
	int err = dtls_session_new(&s, &o);
	if (err < 0)
		_throw(the, err, -1);
	xsmcSetHostData(xsThis, s);
}

void xs_dtls_session_start(xsMachine* the)
{
	dtls_session *s = _session(the);
	_check(the, s, dtls_session_start(s, _now(the, 0)));
}

void xs_dtls_session_feed(xsMachine* the)
{
	dtls_session *s = _session(the);
	uint64_t now = _now(the, 1);
	const uint8_t *p;
	size_t len;
	if (!_bytes(the, 0, &p, &len))
		xsTypeError("feed(bytes, now)");
	_check(the, s, dtls_session_feed(s, p, len, now));
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

void xs_dtls_session_write(xsMachine* the)
{
	dtls_session *s = _session(the);
	uint64_t now = _now(the, 1);
	const uint8_t *p;
	size_t len;
	if (!_bytes(the, 0, &p, &len))
		xsTypeError("write(bytes, now)");
	_check(the, s, dtls_session_write(s, p, len, now));
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

/* Fault ("peer", "caller", ...) of a code string produced by this binding. */
void xs_dtls_error_fault(xsMachine* the)
{
	static const int codes[] = { DTLS_ERR_ARGUMENT, DTLS_ERR_NO_MEMORY, DTLS_ERR_STATE, DTLS_ERR_BUFFER_TOO_SMALL,
		DTLS_ERR_TOO_BIG, DTLS_ERR_ENTROPY, DTLS_ERR_CONFIG, DTLS_ERR_BAD_PSK, DTLS_ERR_UNKNOWN_IDENTITY,
		DTLS_ERR_UNTRUSTED_CERT, DTLS_ERR_EXPIRED_CERT, DTLS_ERR_NAME_MISMATCH, DTLS_ERR_BAD_CERT,
		DTLS_ERR_HANDSHAKE_TIMEOUT, DTLS_ERR_PEER_CLOSED, DTLS_ERR_FATAL_ALERT, DTLS_ERR_SESSION_LIMIT,
		DTLS_ERR_NO_SHARED_CIPHER, DTLS_ERR_PROTOCOL, DTLS_ERR_UNAVAILABLE, DTLS_ERR_SESSION_INVALID,
		DTLS_ERR_CLOSED, DTLS_ERR_UNKNOWN_PEER, DTLS_ERR_IDLE_TIMEOUT, DTLS_ERR_INTERNAL };
	char code[48];
	if (xsmcArgc < 1)
		xsTypeError("code required");
	xsmcToStringBuffer(xsArg(0), code, sizeof code);
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		if (strcmp(dtls_error_code(codes[i]), code) == 0) {
			xsmcSetString(xsResult, (char *)dtls_error_fault(codes[i]));
			return;
		}
	}
	xsmcSetString(xsResult, "internal");
}
