/*
 * token_digest_xs.c: XS (Moddable xsmc) binding of modules/digest, used by modules/digest/token_digest.ts
 * (`class NativeTokenDigest extends Native("xs_token_digest_destructor")`).
 *
 * Only checks arguments, fetches and validates host data on every call, calls the C core and turns
 * TOKEN_DIGEST_ERR_* codes into thrown Errors carrying `code` and `fault` (strings from the core's one
 * mapping). The key comes from modules/dtls's host entropy (dtls_entropy: esp_fill_random on ESP-IDF,
 * getrandom(2) on Linux). The destructor accepts NULL; free() is safe twice.
 *
 * The hot calls, xs_token_digest_digest(token, out) and xs_token_digest_find, allocate nothing: xsmcToString of a string is a
 * pointer to its bytes in the chunk heap (XS's internal UTF-8, NUL-free: U+0000 is stored as C0 80, so
 * strlen is its length), nothing in the C core can trigger a collection, and the four words are set into
 * the Uint32Array as integers.
 */
#include "xsmc.h"
#include "../token_digest.h"
#include "../../dtls/dtls_session.h"

#include <string.h>

void xs_token_digest_destructor(void* data)
{
	if (data)
		token_digest_free((token_digest *)data);
}

/* Throws Error(code) with .code and .fault. */
static void _throw(xsMachine *the, int err)
{
	xsmcVars(2);
	xsVar(0) = xsNew1(xsGlobal, xsID("Error"), xsString((char *)token_digest_error_code(err)));
	xsmcSetString(xsVar(1), (char *)token_digest_error_code(err));
	xsmcSet(xsVar(0), xsID("code"), xsVar(1));
	xsmcSetString(xsVar(1), (char *)token_digest_error_fault(err));
	xsmcSet(xsVar(0), xsID("fault"), xsVar(1));
	xsThrow(xsVar(0));
}

void xs_token_digest_init(xsMachine* the)
{
	if (xsmcGetHostData(xsThis) != NULL)
		xsTypeError("already initialised");
	token_digest *td = NULL;
	int err = token_digest_new(&td, dtls_entropy, NULL);
	if (err < 0)
		_throw(the, err);
	xsmcSetHostData(xsThis, td);
}

/* The digest `d` as four big-endian words into `w` and into the Uint32Array xsArg(out) (no allocation). */
static void _set_words(xsMachine *the, const uint8_t d[TOKEN_DIGEST_BYTES], int out, uint32_t w[4])
{
	for (int i = 0; i < 4; i++) {
		const uint8_t *p = d + 4 * i;
		w[i] = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
		xsmcSetInteger(xsResult, (xsIntegerValue)w[i]); /* ToUint32 restores the unsigned word */
		xsmcSetIndex(xsArg(out), i, xsResult);
	}
}

/* xsResult := the row of `w` in the cache table xsArg(table) with `mask`, or -1; RangeError for a bad table. */
static void _find_row(xsMachine *the, int table_arg, xsIntegerValue mask, const uint32_t w[4])
{
	void *table = NULL;
	xsUnsignedValue bytes = 0;
	xsmcGetBufferReadable(xsArg(table_arg), &table, &bytes);
	int row = mask < 1 ? -2 : token_digest_find(table, bytes, (size_t)mask + 1, (size_t)mask + 1 > 0x7fff, w);
	if (row < -1)
		xsRangeError("not a cache table");
	xsmcSetInteger(xsResult, row);
}

/* Checks this and the arguments, computes the digest of xsArg(0) into xsArg(1) (a Uint32Array) and `w`. */
static void _digest(xsMachine *the, uint32_t w[4])
{
	token_digest *td = xsmcGetHostDataValidate(xsThis, xs_token_digest_destructor);
	if (td == NULL)
		_throw(the, TOKEN_DIGEST_ERR_CLOSED);
	if (xsmcArgc < 2)
		xsTypeError("token and out required");
	int type = xsmcTypeOf(xsArg(0));
	if (type != xsStringType && type != xsStringXType)
		xsTypeError("token must be a string");
	if (xsmcTypeOf(xsArg(1)) != xsReferenceType)
		xsTypeError("out must be a Uint32Array");
	const char *s = xsmcToString(xsArg(0));
	uint8_t d[TOKEN_DIGEST_BYTES];
	int err = token_digest_compute(td, (const uint8_t *)s, strlen(s), d);
	if (err < 0)
		_throw(the, err);
	_set_words(the, d, 1, w);
}

/* digest(token: string, out: Uint32Array): out[0..3] := the 128-bit digest, big-endian words. */
void xs_token_digest_digest(xsMachine* the)
{
	uint32_t w[4];
	_digest(the, w);
	xsmcSetUndefined(xsResult);
}

/*
 * digestFind(token, out, table: ArrayBuffer, mask): digest(token, out), then the row of that digest in a
 * verifier cache table (TokenCache.table, mask = its slot count - 1; 4-byte slots above 0x7fff), or -1.
 * The buffer's address is taken after the words are set (nothing since allocates, so it cannot move).
 */
void xs_token_digest_find(xsMachine* the)
{
	uint32_t w[4];
	_digest(the, w);
	if (xsmcArgc < 4)
		xsTypeError("table and mask required");
	_find_row(the, 2, xsmcToInteger(xsArg(3)), w);
}

/* Wipes the key and frees now (the destructor would at collection); safe twice. */
void xs_token_digest_free(xsMachine* the)
{
	token_digest *td = xsmcGetHostDataValidate(xsThis, xs_token_digest_destructor);
	if (td != NULL) {
		xsmcSetHostData(xsThis, NULL);
		token_digest_free(td);
	}
}

/*
 * digestFindBytes(bytes: Uint8Array, start, end, out, table: ArrayBuffer, mask): digestFind of the token
 * whose UTF-8 is bytes[start, end), without a string of it (issue 13: a cache-hit command makes none). Only
 * for printable ASCII (0x21..0x7e, what an access token is): any other byte answers -2 without digesting,
 * and the caller takes the string path. The string digest hashes XS's internal bytes, which are the UTF-8
 * for ASCII on every build (a CESU-8 build stores other characters differently), so the two keys agree.
 * Nothing allocates between taking a buffer's address and its last use.
 */
void xs_token_digest_find_bytes(xsMachine* the)
{
	token_digest *td = xsmcGetHostDataValidate(xsThis, xs_token_digest_destructor);
	if (td == NULL)
		_throw(the, TOKEN_DIGEST_ERR_CLOSED);
	if (xsmcArgc < 6)
		xsTypeError("bytes, start, end, out, table and mask required");
	if (xsmcTypeOf(xsArg(3)) != xsReferenceType)
		xsTypeError("out must be a Uint32Array");
	xsIntegerValue start = xsmcToInteger(xsArg(1));
	xsIntegerValue end = xsmcToInteger(xsArg(2));
	xsIntegerValue mask = xsmcToInteger(xsArg(5));
	void *data = NULL;
	xsUnsignedValue count = 0;
	xsmcGetBufferReadable(xsArg(0), &data, &count);
	if (start < 0 || end < start || (xsUnsignedValue)end > count)
		xsRangeError("range outside the bytes");
	const uint8_t *s = (const uint8_t *)data + start;
	size_t n = (size_t)(end - start);
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e) {
			xsmcSetInteger(xsResult, -2);
			return;
		}
	uint8_t d[TOKEN_DIGEST_BYTES];
	int err = token_digest_compute(td, s, n, d);
	if (err < 0)
		_throw(the, err);
	uint32_t w[4];
	_set_words(the, d, 3, w);
	_find_row(the, 4, mask, w);
}
