/* The Cookie header: req_parse_cookies() (app/http/req.c).
 *
 * Properties: at most REQ_MAX_COOKIES cookies; every key is non-empty, holds
 * no '=' or ';', has no surrounding blanks; no value holds ';'; vlen ==
 * strlen(val); each key and value is a substring of the header (nothing is
 * made up); req_cookie() finds the first cookie of each name. */
#include "fuzz.h"
#include "../../app/http/req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	char *h = fuzz_str(data, size);
	struct req r;

	memset(&r, 0, sizeof(r));
	r.a = a;
	req_parse_cookies(&r, h);
	FUZZ_CHECK(r.ncookies <= REQ_MAX_COOKIES, "%zu cookies", r.ncookies);
	for (size_t i = 0; i < r.ncookies; i++) {
		const struct kvpair *c = &r.cookies[i];
		size_t kl = strlen(c->key);

		FUZZ_CHECK(kl > 0, "empty cookie name");
		FUZZ_CHECK(!strpbrk(c->key, "=;"), "name '%s' holds = or ;", c->key);
		FUZZ_CHECK(c->key[0] != ' ' && c->key[kl - 1] != ' ', "name '%s' has blanks", c->key);
		FUZZ_CHECK(!strchr(c->val, ';'), "value '%s' holds ;", c->val);
		FUZZ_CHECK(strlen(c->val) == c->vlen, "vlen");
		FUZZ_CHECK(strstr(h, c->key) && strstr(h, c->val), "cookie not from the header");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(r.cookies[j].key, c->key))
				goto seen;
		FUZZ_CHECK(req_cookie(&r, c->key) == c->val, "lookup of '%s'", c->key);
seen:;
	}
	/* The parser stops at the limit; otherwise it takes every well-formed
	 * pair: a header made of n "k=v" pairs gives n cookies. */
	free(h);
	arena_reset(a);
	return 0;
}
