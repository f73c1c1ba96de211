/*
 * dtls_napi.c: N-API binding of modules/dtls (the sans-IO DTLS core). It checks arguments, calls the core and
 * turns DTLS_ERR_* codes into thrown errors carrying `code`, `fault` and `alert`. No protocol logic here.
 *
 * JS surface (wrapped by hosts/node/dtls/):
 *   new Session(options)          start(now) feed(bytes, now) handleTimeout(now) nextTimeout() pollTransmit()
 *                                 read() write(bytes, now) close(now) state() error() maxPayload() resumed() cidInUse()
 *                                 save() restore(bytes) suite() stats() free()
 *   new Server(options)           feed(peer, bytes, now) handleTimeout(now) nextTimeout() poll()
 *                                 write(peer, bytes, now) closePeer(peer, now) count() free()
 *   errorCode(n) -> "dtls.x"
 * options (src/link/dtls-binding-options.ts, the same names as the XS binding's):
 *   { role: "client"|"server", psks?: [{identity: Uint8Array, psk: Uint8Array}], ca?, certificate?, privateKey?: Uint8Array,
 *     serverName?: string, pin?: {kind: "cert"|"spki", sha256: Uint8Array}, suites?: string[], mtu?,
 *     handshakeTimeoutMinMs?, handshakeTimeoutMaxMs?, handshakeDeadlineMs?, noCookies?: boolean, connectionId?: boolean,
 *     servers also: maxSessions: number, idleTimeoutMs: number, evictLeastRecent?: boolean }
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#include "dtls_session.h"

#define CALL(env, expr) do { if ((expr) != napi_ok) return NULL; } while (0)

/* Throws a TypeError for an argument the binding refused; its fault, like every code's, is the core table's. */
static napi_value _throw_plain(napi_env env, const char *code, const char *msg)
{
    napi_value e, c, m, fault;
    if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c) != napi_ok ||
        napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m) != napi_ok || napi_create_type_error(env, c, m, &e) != napi_ok) {
        napi_throw_type_error(env, code, msg);
        return NULL;
    }
    napi_create_string_utf8(env, dtls_error_fault_of(code), NAPI_AUTO_LENGTH, &fault);
    napi_set_named_property(env, e, "fault", fault);
    napi_throw(env, e);
    return NULL;
}

/* Throws an Error whose code/fault come from the core's one mapping (dtls_error_code/fault). */
static napi_value _throw_dtls(napi_env env, int err, int alert)
{
    napi_value e, code, msg, fault, al;
    const char *c = dtls_error_code(err);
    napi_create_string_utf8(env, c, NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, c, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &e);
    napi_create_string_utf8(env, dtls_error_fault(err), NAPI_AUTO_LENGTH, &fault);
    napi_set_named_property(env, e, "fault", fault);
    napi_create_int32(env, alert, &al);
    napi_set_named_property(env, e, "alert", al);
    napi_throw(env, e);
    return NULL;
}

static napi_value _undefined(napi_env env)
{
    napi_value u;
    napi_get_undefined(env, &u);
    return u;
}

static napi_value _null(napi_env env)
{
    napi_value u;
    napi_get_null(env, &u);
    return u;
}

/* Bytes of a Uint8Array/Buffer argument (valid during the call). */
static int _bytes(napi_env env, napi_value v, const uint8_t **p, size_t *len)
{
    bool is_ta = false;
    if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
    napi_typedarray_type type;
    void *data;
    napi_value ab;
    size_t off;
    if (napi_get_typedarray_info(env, v, &type, len, &data, &ab, &off) != napi_ok || type != napi_uint8_array) return 0;
    *p = data;
    return 1;
}

static int _now(napi_env env, napi_value v, uint64_t *out)
{
    double d;
    if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > 9007199254740991.0) return 0;
    *out = (uint64_t)d;
    return 1;
}

static int _has(napi_env env, napi_value obj, const char *name, napi_value *out)
{
    bool has = false;
    if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return 0;
    if (napi_get_named_property(env, obj, name, out) != napi_ok) return 0;
    napi_valuetype t;
    napi_typeof(env, *out, &t);
    return t != napi_undefined;
}

static int _u32_opt(napi_env env, napi_value obj, const char *name, uint32_t max, uint32_t *out)
{
    napi_value v;
    if (!_has(env, obj, name, &v)) return 1;
    double d;
    if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > max) return 0;
    *out = (uint32_t)d;
    return 1;
}

static int _bool_opt(napi_env env, napi_value obj, const char *name, int *out)
{
    napi_value v;
    if (!_has(env, obj, name, &v)) return 1;
    bool b;
    if (napi_get_value_bool(env, v, &b) != napi_ok) return 0;
    *out = b;
    return 1;
}

typedef struct {
    dtls_options o;
    dtls_psk psks[DTLS_MAX_PSKS];
    int suites[DTLS_MAX_SUITES];
    char server_name[DTLS_MAX_SERVER_NAME + 1];
} _opts;

/* Reads the options object into o; 0 with a pending exception when invalid. */
static int _parse_options(napi_env env, napi_value obj, _opts *po)
{
    dtls_options *o = &po->o;
    memset(po, 0, sizeof *po);
    napi_valuetype t;
    if (napi_typeof(env, obj, &t) != napi_ok || t != napi_object) { _throw_plain(env, "dtls.bad_argument", "options must be an object"); return 0; }
    napi_value v;
    char role[16] = { 0 };
    size_t n = 0;
    if (!_has(env, obj, "role", &v) || napi_get_value_string_utf8(env, v, role, sizeof role, &n) != napi_ok ||
        (strcmp(role, "client") != 0 && strcmp(role, "server") != 0)) {
        _throw_plain(env, "dtls.bad_argument", "options.role must be \"client\" or \"server\"");
        return 0;
    }
    o->role = role[0] == 'c' ? DTLS_ROLE_CLIENT : DTLS_ROLE_SERVER;
    if (_has(env, obj, "psks", &v)) {
        bool is_arr = false;
        uint32_t len = 0;
        napi_is_array(env, v, &is_arr);
        if (!is_arr || napi_get_array_length(env, v, &len) != napi_ok || len > DTLS_MAX_PSKS) {
            _throw_plain(env, "dtls.bad_argument", "options.psks must be an array of at most 8 entries");
            return 0;
        }
        for (uint32_t i = 0; i < len; i++) {
            napi_value e, id, key;
            napi_get_element(env, v, i, &e);
            if (!_has(env, e, "identity", &id) || !_has(env, e, "psk", &key) ||
                !_bytes(env, id, &po->psks[i].identity, &po->psks[i].identity_len) ||
                !_bytes(env, key, &po->psks[i].key, &po->psks[i].key_len)) {
                _throw_plain(env, "dtls.bad_argument", "options.psks entries need identity and psk as Uint8Array");
                return 0;
            }
        }
        o->psks = po->psks;
        o->psk_count = len;
    }
    struct { const char *name; const uint8_t **p; size_t *len; } blobs[] = {
        { "ca", &o->ca_pem, &o->ca_pem_len }, { "certificate", &o->cert_pem, &o->cert_pem_len },
        { "privateKey", &o->key_pem, &o->key_pem_len },
    };
    for (size_t i = 0; i < 3; i++) {
        if (_has(env, obj, blobs[i].name, &v) && !_bytes(env, v, blobs[i].p, blobs[i].len)) {
            _throw_plain(env, "dtls.bad_argument", "options.ca/certificate/privateKey must be Uint8Array (PEM or DER)");
            return 0;
        }
    }
    if (_has(env, obj, "serverName", &v)) {
        if (napi_get_value_string_utf8(env, v, po->server_name, sizeof po->server_name, &n) != napi_ok || n == 0 ||
            n >= DTLS_MAX_SERVER_NAME) {
            _throw_plain(env, "dtls.bad_argument", "options.serverName must be a non-empty string");
            return 0;
        }
        o->server_name = po->server_name;
    }
    if (_has(env, obj, "pin", &v)) {
        napi_value kind, hash;
        char k[8] = { 0 };
        size_t hl = 0;
        if (!_has(env, v, "kind", &kind) || !_has(env, v, "sha256", &hash) ||
            napi_get_value_string_utf8(env, kind, k, sizeof k, &n) != napi_ok || !_bytes(env, hash, &o->pin_sha256, &hl) ||
            hl != 32 || (strcmp(k, "cert") != 0 && strcmp(k, "spki") != 0)) {
            _throw_plain(env, "dtls.bad_argument", "options.pin must be {kind: \"cert\"|\"spki\", sha256: 32 bytes}");
            return 0;
        }
        o->pin_kind = k[0] == 'c' ? DTLS_PIN_CERT_SHA256 : DTLS_PIN_SPKI_SHA256;
    }
    if (_has(env, obj, "suites", &v)) {
        bool is_arr = false;
        uint32_t len = 0;
        napi_is_array(env, v, &is_arr);
        if (!is_arr || napi_get_array_length(env, v, &len) != napi_ok || len > DTLS_MAX_SUITES) {
            _throw_plain(env, "dtls.bad_argument", "options.suites must be an array of at most 8 names");
            return 0;
        }
        for (uint32_t i = 0; i < len; i++) {
            napi_value e;
            char name[96];
            napi_get_element(env, v, i, &e);
            if (napi_get_value_string_utf8(env, e, name, sizeof name, &n) != napi_ok || (po->suites[i] = dtls_suite_id(name)) == 0) {
                _throw_dtls(env, DTLS_ERR_CONFIG, -1);
                return 0;
            }
        }
        o->suites = po->suites;
        o->suite_count = len;
    }
    uint32_t mtu = 0;
    if (!_u32_opt(env, obj, "mtu", 16384, &mtu) || !_u32_opt(env, obj, "handshakeTimeoutMinMs", 600000, &o->hs_timeout_min_ms) ||
        !_u32_opt(env, obj, "handshakeTimeoutMaxMs", 600000, &o->hs_timeout_max_ms) ||
        !_u32_opt(env, obj, "handshakeDeadlineMs", 3600000, &o->hs_deadline_ms) || !_bool_opt(env, obj, "noCookies", &o->no_cookies) ||
        !_bool_opt(env, obj, "connectionId", &o->want_cid)) {
        _throw_plain(env, "dtls.bad_argument", "numeric options out of range");
        return 0;
    }
    o->mtu = (uint16_t)mtu;
    return 1;
}

/* ---- Session ---- */

static void _session_finalize(napi_env env, void *data, void *hint)
{
    dtls_session **slot = data;
    dtls_session_free(*slot);
    free(slot);
}

/* Fetches `this`'s session; throws dtls.closed after free(). */
static dtls_session *_this_session(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv)
{
    napi_value self;
    void *data = NULL;
    if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
    if (napi_unwrap(env, self, &data) != napi_ok || data == NULL) { _throw_plain(env, "dtls.bad_argument", "not a Session"); return NULL; }
    dtls_session *s = *(dtls_session **)data;
    if (s == NULL) { _throw_dtls(env, DTLS_ERR_CLOSED, -1); return NULL; }
    return s;
}

static napi_value _session_ctor(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1], self;
    CALL(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
    if (argc < 1) return _throw_plain(env, "dtls.bad_argument", "Session(options)");
    _opts po;
    if (!_parse_options(env, argv[0], &po)) return NULL;
    dtls_session **slot = calloc(1, sizeof *slot);
    if (slot == NULL) return _throw_dtls(env, DTLS_ERR_NO_MEMORY, -1);
    int err = dtls_session_new(slot, &po.o);
    if (err != 0) { free(slot); return _throw_dtls(env, err, -1); }
    if (napi_wrap(env, self, slot, _session_finalize, NULL, NULL) != napi_ok) {
        dtls_session_free(*slot);
        free(slot);
        return NULL;
    }
    return self;
}

static napi_value _ret(napi_env env, int err, dtls_session *s)
{
    if (err < 0) {
        int alert = -1;
        if (s) dtls_session_error(s, &alert, NULL);
        return _throw_dtls(env, err, alert);
    }
    return _undefined(env);
}

typedef int (*_bytes_fn)(dtls_session *, const uint8_t *, size_t, uint64_t);

/* Calls fn(session, bytes, now) with the arguments (bytes, now). */
static napi_value _bytes_now(napi_env env, napi_callback_info info, _bytes_fn fn, const char *usage)
{
    size_t argc = 2; napi_value argv[2]; uint64_t now; const uint8_t *p; size_t len;
    dtls_session *s = _this_session(env, info, &argc, argv);
    if (!s) return NULL;
    if (argc < 2 || !_bytes(env, argv[0], &p, &len) || !_now(env, argv[1], &now)) return _throw_plain(env, "dtls.bad_argument", usage);
    return _ret(env, fn(s, p, len, now), s);
}

typedef int (*_now_fn)(dtls_session *, uint64_t);

/* Calls fn(session, now) with the argument (now). */
static napi_value _at_now(napi_env env, napi_callback_info info, _now_fn fn, const char *usage)
{
    size_t argc = 1; napi_value argv[1]; uint64_t now;
    dtls_session *s = _this_session(env, info, &argc, argv);
    if (!s) return NULL;
    if (argc < 1 || !_now(env, argv[0], &now)) return _throw_plain(env, "dtls.bad_argument", usage);
    return _ret(env, fn(s, now), s);
}

static napi_value _s_start(napi_env env, napi_callback_info info) { return _at_now(env, info, dtls_session_start, "start(now)"); }
static napi_value _s_feed(napi_env env, napi_callback_info info) { return _bytes_now(env, info, dtls_session_feed, "feed(bytes, now)"); }
static napi_value _s_handle_timeout(napi_env env, napi_callback_info info)
{
    return _at_now(env, info, dtls_session_handle_timeout, "handleTimeout(now)");
}

static napi_value _s_next_timeout(napi_env env, napi_callback_info info)
{
    size_t argc = 0; napi_value r;
    dtls_session *s = _this_session(env, info, &argc, NULL);
    if (!s) return NULL;
    CALL(env, napi_create_double(env, (double)dtls_session_next_timeout(s), &r));
    return r;
}

typedef int (*_pop_fn)(dtls_session *, uint8_t *, size_t, size_t *);

static napi_value _pop(napi_env env, napi_callback_info info, _pop_fn fn)
{
    size_t argc = 0; size_t len = 0;
    dtls_session *s = _this_session(env, info, &argc, NULL);
    if (!s) return NULL;
    int r = fn(s, NULL, 0, &len); /* asks the size; nothing consumed */
    if (r == 0) return _null(env);
    if (r != DTLS_ERR_BUFFER_TOO_SMALL && r != 1) return _throw_dtls(env, r, -1);
    void *data; napi_value buf;
    CALL(env, napi_create_buffer(env, len, &data, &buf));
    r = fn(s, data, len, &len);
    if (r != 1) return _throw_dtls(env, r < 0 ? r : DTLS_ERR_INTERNAL, -1);
    return buf;
}

static napi_value _s_poll_transmit(napi_env env, napi_callback_info info) { return _pop(env, info, dtls_session_poll_transmit); }
static napi_value _s_read(napi_env env, napi_callback_info info) { return _pop(env, info, dtls_session_read); }

static napi_value _s_write(napi_env env, napi_callback_info info) { return _bytes_now(env, info, dtls_session_write, "write(bytes, now)"); }
static napi_value _s_close(napi_env env, napi_callback_info info) { return _at_now(env, info, dtls_session_close, "close(now)"); }

/* A session call returning a small integer, as a JS number. */
static napi_value _int32_of(napi_env env, napi_callback_info info, int (*fn)(dtls_session *))
{
    size_t argc = 0; napi_value r;
    dtls_session *s = _this_session(env, info, &argc, NULL);
    if (!s) return NULL;
    CALL(env, napi_create_int32(env, (int32_t)fn(s), &r));
    return r;
}

static int _state_of(dtls_session *s) { return (int)dtls_session_state(s); }

/* pollEvent() -> the core's next event kind (dtls_session_poll_event): 0 none, 2 connected, 3 data, 4 closed. */
static napi_value _s_poll_event(napi_env env, napi_callback_info info) { return _int32_of(env, info, dtls_session_poll_event); }
static napi_value _s_state(napi_env env, napi_callback_info info) { return _int32_of(env, info, _state_of); }

static napi_value _s_error(napi_env env, napi_callback_info info)
{
    size_t argc = 0; napi_value r, v;
    dtls_session *s = _this_session(env, info, &argc, NULL);
    if (!s) return NULL;
    int alert = -1, lib = 0;
    int err = dtls_session_error(s, &alert, &lib);
    if (err == 0) return _null(env);
    CALL(env, napi_create_object(env, &r));
    napi_create_string_utf8(env, dtls_error_code(err), NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, r, "code", v);
    napi_create_string_utf8(env, dtls_error_fault(err), NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, r, "fault", v);
    napi_create_int32(env, alert, &v);
    napi_set_named_property(env, r, "alert", v);
    napi_create_int32(env, lib, &v);
    napi_set_named_property(env, r, "libError", v);
    return r;
}

static napi_value _s_max_payload(napi_env env, napi_callback_info info)
{
    size_t argc = 0; napi_value r;
    dtls_session *s = _this_session(env, info, &argc, NULL);
    if (!s) return NULL;
    CALL(env, napi_create_int32(env, dtls_session_max_payload(s), &r));
    return r;
}

static napi_value _s_resumed(napi_env env, napi_callback_info info)
{
    size_t argc = 0; napi_value r;
    dtls_session *s = _this_session(env, info, &argc, NULL);
    if (!s) return NULL;
    CALL(env, napi_get_boolean(env, dtls_session_resumed(s) != 0, &r));
    return r;
}

static napi_value _s_cid_in_use(napi_env env, napi_callback_info info)
{
    size_t argc = 0; napi_value r;
    dtls_session *s = _this_session(env, info, &argc, NULL);
    if (!s) return NULL;
    CALL(env, napi_get_boolean(env, dtls_session_cid_in_use(s) == 1, &r));
    return r;
}

static napi_value _s_save(napi_env env, napi_callback_info info)
{
    size_t argc = 0; size_t len = 0;
    dtls_session *s = _this_session(env, info, &argc, NULL);
    if (!s) return NULL;
    int r = dtls_session_save(s, NULL, 0, &len);
    if (r != DTLS_ERR_BUFFER_TOO_SMALL && r != 0) return _throw_dtls(env, r, -1);
    void *data; napi_value buf;
    CALL(env, napi_create_buffer(env, len, &data, &buf));
    r = dtls_session_save(s, data, len, &len);
    if (r != 0) return _throw_dtls(env, r, -1);
    return buf;
}

static napi_value _s_restore(napi_env env, napi_callback_info info)
{
    size_t argc = 1; napi_value argv[1]; const uint8_t *p; size_t len;
    dtls_session *s = _this_session(env, info, &argc, argv);
    if (!s) return NULL;
    if (argc < 1 || !_bytes(env, argv[0], &p, &len)) return _throw_plain(env, "dtls.bad_argument", "restore(bytes)");
    return _ret(env, dtls_session_restore(s, p, len), NULL);
}

static napi_value _s_suite(napi_env env, napi_callback_info info)
{
    size_t argc = 0; napi_value r;
    dtls_session *s = _this_session(env, info, &argc, NULL);
    if (!s) return NULL;
    const char *name = dtls_session_suite(s);
    if (name == NULL) return _null(env);
    CALL(env, napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &r));
    return r;
}

static napi_value _s_stats(napi_env env, napi_callback_info info)
{
    size_t argc = 0; napi_value r, v;
    dtls_session *s = _this_session(env, info, &argc, NULL);
    if (!s) return NULL;
    uint32_t d, b, x;
    dtls_session_stats(s, &d, &b, &x);
    CALL(env, napi_create_object(env, &r));
    napi_create_uint32(env, d, &v); napi_set_named_property(env, r, "txDatagrams", v);
    napi_create_uint32(env, b, &v); napi_set_named_property(env, r, "txBytes", v);
    napi_create_uint32(env, x, &v); napi_set_named_property(env, r, "dropped", v);
    return r;
}

/* Frees the C session now (safe twice); later calls throw dtls.closed. */
static napi_value _s_free(napi_env env, napi_callback_info info)
{
    napi_value self; void *data = NULL; size_t argc = 0;
    CALL(env, napi_get_cb_info(env, info, &argc, NULL, &self, NULL));
    if (napi_unwrap(env, self, &data) == napi_ok && data != NULL) {
        dtls_session **slot = data;
        dtls_session_free(*slot);
        *slot = NULL;
    }
    return _undefined(env);
}

/* ---- Server ---- */

static void _server_finalize(napi_env env, void *data, void *hint)
{
    dtls_server **slot = data;
    dtls_server_free(*slot);
    free(slot);
}

static dtls_server *_this_server(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv)
{
    napi_value self; void *data = NULL;
    if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
    if (napi_unwrap(env, self, &data) != napi_ok || data == NULL) { _throw_plain(env, "dtls.bad_argument", "not a Server"); return NULL; }
    dtls_server *s = *(dtls_server **)data;
    if (s == NULL) { _throw_dtls(env, DTLS_ERR_CLOSED, -1); return NULL; }
    return s;
}

static int _peer(napi_env env, napi_value v, char *buf, size_t *len)
{
    return napi_get_value_string_utf8(env, v, buf, DTLS_MAX_PEER_ID + 1, len) == napi_ok && *len > 0 && *len < DTLS_MAX_PEER_ID;
}

static napi_value _server_ctor(napi_env env, napi_callback_info info)
{
    size_t argc = 1; napi_value argv[1], self, v;
    CALL(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
    if (argc < 1) return _throw_plain(env, "dtls.bad_argument", "Server(options)");
    _opts po;
    if (!_parse_options(env, argv[0], &po)) return NULL;
    uint32_t max = 0, idle = 0;
    int evict = 0;
    if (!_has(env, argv[0], "maxSessions", &v) || napi_get_value_uint32(env, v, &max) != napi_ok ||
        !_has(env, argv[0], "idleTimeoutMs", &v) || napi_get_value_uint32(env, v, &idle) != napi_ok ||
        !_bool_opt(env, argv[0], "evictLeastRecent", &evict))
        return _throw_plain(env, "dtls.bad_argument", "Server options need maxSessions and idleTimeoutMs (numbers)");
    dtls_server **slot = calloc(1, sizeof *slot);
    if (slot == NULL) return _throw_dtls(env, DTLS_ERR_NO_MEMORY, -1);
    int err = dtls_server_new(slot, &po.o, max, idle);
    if (err != 0) { free(slot); return _throw_dtls(env, err, -1); }
    dtls_server_set_evict_lru(*slot, evict);
    if (napi_wrap(env, self, slot, _server_finalize, NULL, NULL) != napi_ok) {
        dtls_server_free(*slot);
        free(slot);
        return NULL;
    }
    return self;
}

typedef int (*_peer_bytes_fn)(dtls_server *, const uint8_t *, size_t, const uint8_t *, size_t, uint64_t);

/* Calls fn(server, peer, bytes, now) with the arguments (peer, bytes, now). */
static napi_value _peer_bytes_now(napi_env env, napi_callback_info info, _peer_bytes_fn fn, const char *usage)
{
    size_t argc = 3; napi_value argv[3]; uint64_t now; const uint8_t *p; size_t len, plen; char peer[DTLS_MAX_PEER_ID + 1];
    dtls_server *s = _this_server(env, info, &argc, argv);
    if (!s) return NULL;
    if (argc < 3 || !_peer(env, argv[0], peer, &plen) || !_bytes(env, argv[1], &p, &len) || !_now(env, argv[2], &now))
        return _throw_plain(env, "dtls.bad_argument", usage);
    int err = fn(s, (const uint8_t *)peer, plen, p, len, now);
    return err < 0 ? _throw_dtls(env, err, -1) : _undefined(env);
}

static napi_value _sv_feed(napi_env env, napi_callback_info info)
{
    return _peer_bytes_now(env, info, dtls_server_feed, "feed(peer, bytes, now)");
}

static napi_value _sv_handle_timeout(napi_env env, napi_callback_info info)
{
    size_t argc = 1; napi_value argv[1]; uint64_t now;
    dtls_server *s = _this_server(env, info, &argc, argv);
    if (!s) return NULL;
    if (argc < 1 || !_now(env, argv[0], &now)) return _throw_plain(env, "dtls.bad_argument", "handleTimeout(now)");
    int err = dtls_server_handle_timeout(s, now);
    return err < 0 ? _throw_dtls(env, err, -1) : _undefined(env);
}

static napi_value _sv_next_timeout(napi_env env, napi_callback_info info)
{
    size_t argc = 0; napi_value r;
    dtls_server *s = _this_server(env, info, &argc, NULL);
    if (!s) return NULL;
    CALL(env, napi_create_double(env, (double)dtls_server_next_timeout(s), &r));
    return r;
}

static napi_value _sv_poll(napi_env env, napi_callback_info info)
{
    size_t argc = 0; napi_value r, v;
    dtls_server *s = _this_server(env, info, &argc, NULL);
    if (!s) return NULL;
    uint8_t small[2048];
    dtls_server_event ev;
    uint8_t *buf = small;
    size_t cap = sizeof small;
    int rc = dtls_server_poll(s, &ev, buf, cap);
    uint8_t *big = NULL;
    if (rc == DTLS_ERR_BUFFER_TOO_SMALL) {
        big = malloc(ev.len);
        if (big == NULL) return _throw_dtls(env, DTLS_ERR_NO_MEMORY, -1);
        buf = big;
        rc = dtls_server_poll(s, &ev, buf, ev.len);
    }
    if (rc <= 0) { free(big); return rc == 0 ? _null(env) : _throw_dtls(env, rc, -1); }
    static const char *kinds[] = { "none", "transmit", "connected", "data", "closed" };
    napi_create_object(env, &r);
    napi_create_string_utf8(env, kinds[ev.kind <= 4 ? ev.kind : 0], NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, r, "kind", v);
    napi_create_string_utf8(env, (const char *)ev.peer, ev.peer_len, &v);
    napi_set_named_property(env, r, "peer", v);
    if (ev.kind == DTLS_EV_TRANSMIT || ev.kind == DTLS_EV_DATA || ev.kind == DTLS_EV_CONNECTED) {
        void *data; /* connected: the PSK identity the peer used (empty: none) */
        napi_create_buffer_copy(env, ev.len, buf, &data, &v);
        napi_set_named_property(env, r, "data", v);
    }
    if (ev.kind == DTLS_EV_CLOSED && ev.code != 0) {
        napi_create_string_utf8(env, dtls_error_code(ev.code), NAPI_AUTO_LENGTH, &v);
        napi_set_named_property(env, r, "code", v);
        napi_create_string_utf8(env, dtls_error_fault(ev.code), NAPI_AUTO_LENGTH, &v);
        napi_set_named_property(env, r, "fault", v);
        napi_create_int32(env, ev.alert, &v);
        napi_set_named_property(env, r, "alert", v);
    }
    free(big);
    return r;
}

static napi_value _sv_write(napi_env env, napi_callback_info info)
{
    return _peer_bytes_now(env, info, dtls_server_write, "write(peer, bytes, now)");
}

static napi_value _sv_close_peer(napi_env env, napi_callback_info info)
{
    size_t argc = 2; napi_value argv[2]; uint64_t now; size_t plen; char peer[DTLS_MAX_PEER_ID + 1];
    dtls_server *s = _this_server(env, info, &argc, argv);
    if (!s) return NULL;
    if (argc < 2 || !_peer(env, argv[0], peer, &plen) || !_now(env, argv[1], &now))
        return _throw_plain(env, "dtls.bad_argument", "closePeer(peer, now)");
    int err = dtls_server_close_peer(s, (const uint8_t *)peer, plen, now);
    return err < 0 ? _throw_dtls(env, err, -1) : _undefined(env);
}

static napi_value _sv_count(napi_env env, napi_callback_info info)
{
    size_t argc = 0; napi_value r;
    dtls_server *s = _this_server(env, info, &argc, NULL);
    if (!s) return NULL;
    CALL(env, napi_create_uint32(env, (uint32_t)dtls_server_count(s), &r));
    return r;
}

static napi_value _sv_free(napi_env env, napi_callback_info info)
{
    napi_value self; void *data = NULL; size_t argc = 0;
    CALL(env, napi_get_cb_info(env, info, &argc, NULL, &self, NULL));
    if (napi_unwrap(env, self, &data) == napi_ok && data != NULL) {
        dtls_server **slot = data;
        dtls_server_free(*slot);
        *slot = NULL;
    }
    return _undefined(env);
}

static napi_value _error_code(napi_env env, napi_callback_info info)
{
    size_t argc = 1; napi_value argv[1], r; int32_t n = 0;
    CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    if (argc < 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok) return _throw_plain(env, "dtls.bad_argument", "errorCode(n)");
    CALL(env, napi_create_string_utf8(env, dtls_error_code(n), NAPI_AUTO_LENGTH, &r));
    return r;
}

#define M(name, fn) { name, NULL, fn, NULL, NULL, NULL, napi_default, NULL }

static napi_value _init(napi_env env, napi_value exports)
{
    napi_property_descriptor sm[] = {
        M("start", _s_start), M("feed", _s_feed), M("handleTimeout", _s_handle_timeout), M("nextTimeout", _s_next_timeout),
        M("pollTransmit", _s_poll_transmit), M("read", _s_read), M("pollEvent", _s_poll_event), M("write", _s_write), M("close", _s_close),
        M("state", _s_state), M("error", _s_error), M("maxPayload", _s_max_payload), M("resumed", _s_resumed), M("cidInUse", _s_cid_in_use),
        M("save", _s_save), M("restore", _s_restore), M("suite", _s_suite), M("stats", _s_stats), M("free", _s_free),
    };
    napi_property_descriptor vm[] = {
        M("feed", _sv_feed), M("handleTimeout", _sv_handle_timeout), M("nextTimeout", _sv_next_timeout), M("poll", _sv_poll),
        M("write", _sv_write), M("closePeer", _sv_close_peer), M("count", _sv_count), M("free", _sv_free),
    };
    napi_value session, server, ec;
    CALL(env, napi_define_class(env, "Session", NAPI_AUTO_LENGTH, _session_ctor, NULL, sizeof sm / sizeof sm[0], sm, &session));
    CALL(env, napi_define_class(env, "Server", NAPI_AUTO_LENGTH, _server_ctor, NULL, sizeof vm / sizeof vm[0], vm, &server));
    CALL(env, napi_create_function(env, "errorCode", NAPI_AUTO_LENGTH, _error_code, NULL, &ec));
    napi_set_named_property(env, exports, "Session", session);
    napi_set_named_property(env, exports, "Server", server);
    napi_set_named_property(env, exports, "errorCode", ec);
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, _init)
