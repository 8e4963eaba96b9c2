/* JSON bodies checked against their route's declarations: req_parse_json()
 * (app/http/req.c), then route_validate() (app/http/router.c) with the key
 * table of a real route of app/routes.c and the validators of
 * app/http/valid.c. Input: "METHOD /pattern" of a route with declared keys
 * (any other first line picks one of them by hash), a newline, the body.
 *
 * Properties: a parsed body is an object whose scalar members are params
 * with vlen == strlen(val); after a successful validation every required
 * key is set and each set value obeys its validator's contract: v_int and
 * v_money within [min, max], v_bool 0 or 1, v_sort / v_search_sort an index
 * of the allowed list, v_slug / v_token only their characters and within
 * their length bounds, v_string within its byte bounds, valid UTF-8, without
 * control characters (but for multi-line fields: tab, CR, LF). Every value
 * is re-checked with parse_int64 or the validator itself (same answer).
 * Routes with a body declaration (struct route's body) are picked too: an
 * accepted body passes body_check again and holds no card number. */
#include "fuzz.h"
#include "../../app/http/router.h"
#include "../../app/module.h"

const char *v_search_sort(const struct key *k, const char *v, size_t n, int64_t *out);

static int keyed[1024];
static size_t nkeyed;

static void utf8_check(const unsigned char *s, size_t n, int multiline)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;

		FUZZ_CHECK(c < 0xf8 && (c < 0x80 || c >= 0xc2) && i + len <= n, "bad UTF-8 lead at %zu", i);
		if (c < 0x80)
			FUZZ_CHECK((c >= 0x20 && c != 0x7f) || (multiline && (c == '\t' || c == '\n' || c == '\r')),
				   "control character 0x%02x accepted", c);
		for (size_t j = 1; j < len; j++)
			FUZZ_CHECK((s[i + j] & 0xc0) == 0x80, "bad continuation at %zu", i + j);
		i += len;
	}
}

static void check_value(const struct key *k, const char *v, size_t n, int64_t x)
{
	int64_t again = 0;

	FUZZ_CHECK(strlen(v) == n, "%s: NUL in value", k->name);
	FUZZ_CHECK(k->fn(k, v, n, &again) == NULL, "%s: not valid a second time", k->name);
	if (k->fn == v_int) {
		FUZZ_CHECK(x >= k->min && x <= k->max && again == x, "%s: %lld outside [%lld, %lld]", k->name,
			   (long long)x, (long long)k->min, (long long)k->max);
	} else if (k->fn == v_money) {
		FUZZ_CHECK(x >= k->min && x >= 0 && (!k->max || x <= k->max), "%s: %lld", k->name, (long long)x);
		FUZZ_CHECK(n && v[0] >= '0' && v[0] <= '9', "%s: '%s' accepted as money", k->name, v);
	} else if (k->fn == v_bool) {
		FUZZ_CHECK(x == 0 || x == 1, "%s: bool %lld", k->name, (long long)x);
	} else if (k->fn == v_sort || k->fn == v_search_sort) {
		FUZZ_CHECK(x >= 0 && x < 16, "%s: sort %lld", k->name, (long long)x);
	} else if (k->fn == v_slug || k->fn == v_token || k->fn == v_opaque) {
		const char *ok = k->fn == v_slug ? "abcdefghijklmnopqrstuvwxyz0123456789-" :
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		int64_t max = k->max ? k->max : 64;

		FUZZ_CHECK(n >= 1 && (int64_t)n >= k->min && (int64_t)n <= max, "%s: length %zu", k->name, n);
		FUZZ_CHECK(strspn(v, ok) == n, "%s: '%s' has a character outside the set", k->name, v);
	} else if (k->fn == v_string || k->fn == v_secret) {
		int64_t max = k->max ? k->max : 255;

		FUZZ_CHECK((int64_t)n >= k->min && (int64_t)n <= max, "%s: length %zu", k->name, n);
		utf8_check((const unsigned char *)v, n, max > 1000);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	const struct route *rt = NULL;
	const uint8_t *body;
	size_t n;
	char *head;
	struct req r;
	struct ctx c;
	const char *why = NULL;
	enum err e;

	if (!nkeyed)
		routes_build();
	if (!nkeyed)
		for (size_t i = 0; i < nroutes && nkeyed < 1024; i++)
			if ((routes[i].keys && routes[i].keys[0].name) || routes[i].body)
				keyed[nkeyed++] = (int)i;
	if (!nkeyed)
		return 0;
	fuzz_split(data, size, '\n', &head, &body, &n);
	{
		char *sp = strchr(head, ' ');

		if (sp) {
			*sp = '\0';
			for (size_t i = 0; i < nkeyed && !rt; i++)
				if ((routes[keyed[i]].methods & method_from_str(head)) &&
				    !strcmp(routes[keyed[i]].pattern, sp + 1))
					rt = &routes[keyed[i]];
			*sp = ' ';
		}
		if (!rt) {
			uint32_t h = 2166136261u;

			for (const char *p = head; *p; p++)
				h = (h ^ (unsigned char)*p) * 16777619u;
			rt = &routes[keyed[h % nkeyed]];
		}
	}
	memset(&r, 0, sizeof(r));
	r.a = a;
	e = req_parse_json(&r, (const char *)body, n, &why);
	if (e) {
		FUZZ_CHECK(e == E_INVAL && why, "error %d without a reason", (int)e);
		goto out;
	}
	FUZZ_CHECK(json_is_object(r.json), "parsed body is not an object");
	FUZZ_CHECK(r.nparams <= json_object_size(r.json), "more params than members");
	for (size_t i = 0; i < r.nparams; i++) {
		FUZZ_CHECK(strlen(r.params[i].val) == r.params[i].vlen, "param %zu holds NUL", i);
		FUZZ_CHECK(json_object_get(r.json, r.params[i].key), "param %s is not a member", r.params[i].key);
	}
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.req = &r;
	c.route = rt;
	e = route_validate(&c, &why);
	if (e) {
		FUZZ_CHECK(e == E_INVAL && why, "validation error %d for %s", (int)e, rt->pattern);
		goto out;
	}
	FUZZ_CHECK(body_check(a, rt->keys, rt->body, r.json) == NULL, "%s: accepted, then refused", rt->pattern);
	FUZZ_CHECK(json_find_pan(a, r.json, rt->keys, rt->body) == NULL, "%s: a card number accepted", rt->pattern);
	for (int i = 0; rt->keys && rt->keys[i].name; i++) {
		const struct key *k = &rt->keys[i];

		if (!c.kset[i]) {
			FUZZ_CHECK(!k->required, "%s %s: required key %s not set", head, rt->pattern, k->name);
			continue;
		}
		FUZZ_CHECK(!strcmp(req_param(&r, k->name), c.kval[i]), "%s: value is not the param's", k->name);
		FUZZ_CHECK(ctx_has(&c, k->name), "%s: ctx_has", k->name);
		check_value(k, c.kval[i], c.klen[i], c.kint[i]);
	}
out:
	free(head);
	arena_reset(a);
	return 0;
}
