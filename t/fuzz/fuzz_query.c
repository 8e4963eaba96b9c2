/* Query strings and application/x-www-form-urlencoded bodies:
 * req_parse_urlencoded() and url_decode() (app/http/req.c).
 *
 * Properties: every parameter has a non-empty key, no NUL in key or value,
 * vlen == strlen(val), at most REQ_MAX_PARAMS of them; a decoded value
 * re-encoded and decoded again is unchanged; a successful parse re-encoded
 * as a form parses back to the same parameters in the same order. */
#include "fuzz.h"
#include "../../app/core/buf.h"
#include "../../app/http/req.h"

static void encode(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			buf_putc(b, (char)c);
		} else if (c == ' ') {
			buf_putc(b, '+');
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	const char *s = (const char *)data;
	struct req r, r2;
	struct buf b;
	char *out, *out2;
	size_t outlen, outlen2;
	enum err e;

	/* url_decode alone, both flavours. */
	for (int plus = 0; plus < 2; plus++) {
		if (url_decode(a, s, size, plus, &out, &outlen))
			continue;
		FUZZ_CHECK(outlen <= size, "decoded %zu bytes from %zu", outlen, size);
		FUZZ_CHECK(strlen(out) == outlen, "NUL inside a decoded value");
		buf_init(&b, a, outlen * 3 + 1);
		encode(&b, out, outlen);
		FUZZ_CHECK(!url_decode(a, b.p, b.len, 1, &out2, &outlen2), "re-encoded value refused");
		FUZZ_CHECK(outlen2 == outlen && !memcmp(out, out2, outlen), "round trip changed the value");
	}

	memset(&r, 0, sizeof(r));
	r.a = a;
	e = req_parse_urlencoded(&r, s, size);
	FUZZ_CHECK(r.nparams <= REQ_MAX_PARAMS, "%zu params", r.nparams);
	for (size_t i = 0; i < r.nparams; i++) {
		FUZZ_CHECK(r.params[i].key && *r.params[i].key, "empty key");
		FUZZ_CHECK(r.params[i].val && strlen(r.params[i].val) == r.params[i].vlen,
			   "vlen %zu, strlen %zu", r.params[i].vlen, strlen(r.params[i].val));
	}
	if (e == E_OK) {
		buf_init(&b, a, size * 3 + 16);
		for (size_t i = 0; i < r.nparams; i++) {
			if (i)
				buf_putc(&b, '&');
			encode(&b, r.params[i].key, strlen(r.params[i].key));
			buf_putc(&b, '=');
			encode(&b, r.params[i].val, r.params[i].vlen);
		}
		memset(&r2, 0, sizeof(r2));
		r2.a = a;
		FUZZ_CHECK(req_parse_urlencoded(&r2, b.p, b.len) == E_OK, "re-encoded form refused: %s", b.p);
		FUZZ_CHECK(r2.nparams == r.nparams, "%zu params, then %zu", r.nparams, r2.nparams);
		for (size_t i = 0; i < r.nparams; i++) {
			FUZZ_CHECK(!strcmp(r.params[i].key, r2.params[i].key), "key %zu changed", i);
			FUZZ_CHECK(r.params[i].vlen == r2.params[i].vlen &&
				   !memcmp(r.params[i].val, r2.params[i].val, r.params[i].vlen),
				   "value %zu changed", i);
			FUZZ_CHECK(req_param(&r, r.params[i].key) != NULL, "lookup of a parsed key failed");
		}
	} else {
		FUZZ_CHECK(e == E_INVAL || e == E_NOMEM, "unexpected error %d", (int)e);
	}
	arena_reset(a);
	return 0;
}
