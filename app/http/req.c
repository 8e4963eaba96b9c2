/* Request parsing: percent-decoding, url-encoded forms and queries, cookies,
 * JSON bodies. Pure functions over the request arena. */
#include <string.h>
#include "../core/arena.h"
#include "req.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum err url_decode(struct arena *a, const char *s, size_t n, int plus_is_space,
		    char **out, size_t *outlen)
{
	char *d = arena_alloc(a, n + 1);
	size_t i, j = 0;

	if (!d)
		return E_NOMEM;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return E_INVAL;	/* truncated escape */
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return E_INVAL;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c == '\0')
			return E_INVAL;	/* embedded NUL: never a legitimate value */
		d[j++] = c;
	}
	d[j] = '\0';
	*out = d;
	if (outlen)
		*outlen = j;
	return E_OK;
}

static enum err add_param(struct req *r, const char *k, const char *v, size_t vlen)
{
	if (r->nparams >= REQ_MAX_PARAMS)
		return E_INVAL;
	if (!r->params) {
		r->params = arena_calloc(r->a, REQ_MAX_PARAMS, sizeof(*r->params));
		if (!r->params)
			return E_NOMEM;
	}
	r->params[r->nparams].key = k;
	r->params[r->nparams].val = v;
	r->params[r->nparams].vlen = vlen;
	r->nparams++;
	return E_OK;
}

enum err req_parse_urlencoded(struct req *r, const char *s, size_t n)
{
	size_t i = 0;
	enum err e;

	while (i < n) {
		size_t start = i, eq = (size_t)-1, klen, vlen;
		char *k, *v;

		while (i < n && s[i] != '&') {
			if (s[i] == '=' && eq == (size_t)-1)
				eq = i;
			i++;
		}
		if (i > start) {
			if (eq == (size_t)-1)
				eq = i;	/* "flag" with no value: empty string */
			if ((e = url_decode(r->a, s + start, eq - start, 1, &k, &klen)))
				return e;
			if ((e = url_decode(r->a, s + eq + (eq < i), i - eq - (eq < i), 1, &v, &vlen)))
				return e;
			if (klen && (e = add_param(r, k, v, vlen)))
				return e;
		}
		i++;	/* skip '&' */
	}
	return E_OK;
}

void req_parse_cookies(struct req *r, const char *s)
{
	if (!s)
		return;
	while (*s && r->ncookies < REQ_MAX_COOKIES) {
		const char *k, *ke, *v, *ve;

		while (*s == ' ' || *s == ';')
			s++;
		k = s;
		while (*s && *s != '=' && *s != ';')
			s++;
		ke = s;
		if (*s != '=') {
			continue;	/* malformed pair: skipped, as browsers do */
		}
		v = ++s;
		while (*v == ' ')
			v++;
		while (*s && *s != ';')
			s++;
		ve = s;
		while (ke > k && ke[-1] == ' ')
			ke--;
		while (ve > v && ve[-1] == ' ')
			ve--;
		if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
			v++;
			ve--;
		}
		if (ke == k)
			continue;
		if (!r->cookies) {
			r->cookies = arena_calloc(r->a, REQ_MAX_COOKIES, sizeof(*r->cookies));
			if (!r->cookies)
				return;
		}
		r->cookies[r->ncookies].key = arena_strndup(r->a, k, (size_t)(ke - k));
		r->cookies[r->ncookies].val = arena_strndup(r->a, v, (size_t)(ve - v));
		r->cookies[r->ncookies].vlen = (size_t)(ve - v);
		if (r->cookies[r->ncookies].key && r->cookies[r->ncookies].val)
			r->ncookies++;
	}
}

static void json_release(void *p)
{
	json_decref(p);
}

enum err req_parse_json(struct req *r, const char *s, size_t n, const char **why)
{
	json_error_t jerr;
	const char *key;
	json_t *root, *v;
	enum err e;

	/* JSON_REJECT_DUPLICATES: {"a":1,"a":2} is ambiguous; refuse it.
	 * Embedded NULs in strings are refused by jansson by default. */
	root = json_loadb(s, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		*why = arena_printf(r->a, "malformed JSON at line %d column %d: %s",
				    jerr.line, jerr.column, jerr.text);
		return E_INVAL;
	}
	arena_on_reset(r->a, json_release, root);
	if (!json_is_object(root)) {
		*why = "the JSON body must be an object";
		return E_INVAL;
	}
	r->json = root;
	json_object_foreach(root, key, v) {
		const char *sv = NULL;
		size_t len = 0;

		if (json_is_string(v)) {
			sv = json_string_value(v);
			len = json_string_length(v);
			if (memchr(sv, '\0', len)) {
				*why = arena_printf(r->a, "%s: embedded NUL", key);
				return E_INVAL;
			}
		} else if (json_is_integer(v)) {
			sv = arena_printf(r->a, "%lld", (long long)json_integer_value(v));
		} else if (json_is_real(v)) {
			sv = arena_printf(r->a, "%.17g", json_real_value(v));
		} else if (json_is_true(v)) {
			sv = "true";
		} else if (json_is_false(v)) {
			sv = "false";
		}
		if (!sv)
			continue;	/* objects, arrays and null stay in r->json */
		if (!len)
			len = strlen(sv);
		if ((e = add_param(r, key, sv, len))) {
			*why = "too many fields";
			return e;
		}
	}
	return E_OK;
}

enum method method_from_str(const char *s)
{
	static const struct { const char *s; enum method m; } t[] = {
		{"GET", M_GET}, {"HEAD", M_HEAD}, {"POST", M_POST}, {"PUT", M_PUT},
		{"PATCH", M_PATCH}, {"DELETE", M_DELETE}, {"OPTIONS", M_OPTIONS},
	};
	size_t i;

	for (i = 0; s && i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].s))
			return t[i].m;
	return M_OTHER;
}

const char *req_param(const struct req *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nparams; i++)
		if (!strcmp(r->params[i].key, key))
			return r->params[i].val;
	return NULL;
}

const char *req_cookie(const struct req *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->ncookies; i++)
		if (!strcmp(r->cookies[i].key, key))
			return r->cookies[i].val;
	return NULL;
}

const struct upload *req_upload(const struct req *r, const char *field)
{
	size_t i;

	for (i = 0; i < r->nuploads; i++)
		if (!strcmp(r->uploads[i].field, field))
			return &r->uploads[i];
	return NULL;
}
