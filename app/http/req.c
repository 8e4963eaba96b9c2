/* Request parsing: percent-decoding, url-encoded forms and queries, cookies,
 * JSON and multipart/form-data bodies. Pure functions over the request arena. */
#include <string.h>
#include <strings.h>
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
	r->json_from = r->nparams;
	json_object_foreach(root, key, v) {
		if ((e = req_add_json_param(r, key, v))) {
			int nul = json_is_string(v) && memchr(json_string_value(v), '\0', json_string_length(v));

			*why = nul ? arena_printf(r->a, "%s: embedded NUL", key) : "too many fields";
			return e;
		}
	}
	return E_OK;
}

enum err req_add_json_param(struct req *r, const char *key, json_t *v)
{
	const char *sv = NULL;
	size_t len = 0;

	if (json_is_string(v)) {
		sv = json_string_value(v);
		len = json_string_length(v);
		if (memchr(sv, '\0', len))
			return E_INVAL;
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
		return E_OK;	/* objects, arrays and null stay in r->json */
	if (!len)
		len = strlen(sv);
	return add_param(r, key, sv, len);
}

/* ---- multipart/form-data (RFC 7578 over RFC 2046) ----
 *
 * The parser is strict where leniency has bitten servers before: CRLF line
 * ends only, no folded headers, no NUL anywhere in a part's headers, exactly
 * one Content-Disposition of type form-data with one non-empty name, and the
 * close delimiter must be present (a truncated upload is refused, never taken
 * as shorter data). Part bodies are found by searching for CRLF "--" boundary,
 * so they may hold any bytes. The preamble before the first delimiter and the
 * epilogue after the last are ignored, as RFC 2046 says. Quoted parameter
 * values end at the next '"': browsers percent-encode '"', CR and LF in names
 * (HTML's form encoding) and never backslash-escape, so a Windows path such as
 * "C:\x\y.jpg" in filename stays intact. */

#define MP_MAX_BOUNDARY	70	/* RFC 2046 */
#define MP_MAX_HEADERS	4096	/* bytes of headers in one part */

static int bchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("'()+_,-./:=? ", c));
}

/* Finds parameter name (case-insensitive) in a header value's "; a=b; c="d""
 * list. Stores an arena copy in *out. Returns 1 when found, 0 when absent,
 * -1 when the list is malformed or names the parameter twice. */
static int header_param(struct arena *a, const char *v, size_t n, const char *name,
			char **out)
{
	size_t i = 0, nl = strlen(name);
	int found = 0;

	/* Skip the type ("form-data", "multipart/form-data"). */
	while (i < n && v[i] != ';')
		i++;
	while (i < n) {
		size_t ks, ke, vs, ve;
		i++;	/* ';' */
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i == n)
			break;	/* a trailing ';' is harmless */
		ks = i;
		while (i < n && v[i] != '=' && v[i] != ';' && v[i] != ' ' && v[i] != '\t')
			i++;
		ke = i;
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i == n || v[i] != '=' || ke == ks)
			return -1;
		i++;
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i < n && v[i] == '"') {
			vs = ++i;
			while (i < n && v[i] != '"')
				i++;
			if (i == n)
				return -1;	/* unterminated quoted string */
			ve = i++;
		} else {
			vs = i;
			while (i < n && v[i] != ';' && v[i] != ' ' && v[i] != '\t')
				i++;
			ve = i;
			if (ve == vs)
				return -1;
		}
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i < n && v[i] != ';')
			return -1;	/* junk after a value */
		if (ke - ks == nl && !strncasecmp(v + ks, name, nl)) {
			if (found)
				return -1;	/* ambiguous: name="a"; name="b" */
			found = 1;
			*out = arena_strndup(a, v + vs, ve - vs);
			if (!*out)
				return -1;
		}
	}
	return found;
}

/* The boundary from a Content-Type header, validated (1..70 bchars, not
 * ending in a space). NULL when absent or invalid. */
static char *mp_boundary(struct arena *a, const char *ct)
{
	size_t n = strlen(ct), i;
	char *b = NULL;

	if (strncasecmp(ct, "multipart/form-data", 19) ||
	    (ct[19] && ct[19] != ';' && ct[19] != ' ' && ct[19] != '\t'))
		return NULL;
	if (header_param(a, ct, n, "boundary", &b) != 1)
		return NULL;
	n = strlen(b);
	if (n < 1 || n > MP_MAX_BOUNDARY || b[n - 1] == ' ')
		return NULL;
	for (i = 0; i < n; i++)
		if (!bchar((unsigned char)b[i]))
			return NULL;
	return b;
}

/* Parses one part's header block h[0..n) (CRLF-separated lines, no final
 * empty line). */
static enum err mp_headers(struct req *r, const char *h, size_t n, char **name,
			   char **filename, int *has_filename, char **ctype)
{
	size_t i = 0;
	int seen_cd = 0, seen_ct = 0;

	*name = *filename = *ctype = NULL;
	*has_filename = 0;
	if (memchr(h, '\0', n))
		return E_INVAL;
	while (i < n) {
		const char *line = h + i, *eol = memmem(line, n - i, "\r\n", 2), *colon;
		size_t len = eol ? (size_t)(eol - line) : n - i, vs;

		i += len + 2;
		if (!len || *line == ' ' || *line == '\t')
			return E_INVAL;	/* empty line inside, or obsolete folding */
		if (memchr(line, '\r', len) || memchr(line, '\n', len))
			return E_INVAL;
		colon = memchr(line, ':', len);
		if (!colon || colon == line)
			return E_INVAL;
		vs = (size_t)(colon - line) + 1;
		while (vs < len && (line[vs] == ' ' || line[vs] == '\t'))
			vs++;
		while (len > vs && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		if ((size_t)(colon - line) == 19 && !strncasecmp(line, "Content-Disposition", 19)) {
			const char *v = line + vs;
			size_t vl = len - vs;
			int k;

			if (seen_cd++ || vl < 9 || strncasecmp(v, "form-data", 9) ||
			    (vl > 9 && v[9] != ';' && v[9] != ' ' && v[9] != '\t'))
				return E_INVAL;
			if (header_param(r->a, v, vl, "name", name) != 1 || !**name)
				return E_INVAL;
			k = header_param(r->a, v, vl, "filename", filename);
			if (k < 0)
				return E_INVAL;
			*has_filename = k;
		} else if ((size_t)(colon - line) == 12 && !strncasecmp(line, "Content-Type", 12)) {
			if (seen_ct++)
				return E_INVAL;
			*ctype = arena_strndup(r->a, line + vs, len - vs);
			if (!*ctype)
				return E_NOMEM;
		}
		/* Other headers (Content-Transfer-Encoding, ...) are ignored:
		 * RFC 7578 deprecates them and browsers send none. */
	}
	if (!seen_cd)
		return E_INVAL;
	/* A name that says "%00" is a NUL smuggled past the byte check. */
	if (strstr(*name, "%00") || (*has_filename && strstr(*filename, "%00")))
		return E_INVAL;
	return E_OK;
}

enum err req_parse_multipart(struct req *r, const char *content_type,
			     const char *s, size_t n)
{
	char *boundary, *delim;
	size_t dl, pos;
	const char *p;
	enum err e;

	if (!content_type || !s)
		return E_INVAL;
	boundary = mp_boundary(r->a, content_type);
	if (!boundary)
		return E_INVAL;
	/* delim is CRLF "--" boundary; the first one may start the body. */
	delim = arena_printf(r->a, "\r\n--%s", boundary);
	if (!delim)
		return E_NOMEM;
	dl = strlen(delim);
	if (n >= dl - 2 && !memcmp(s, delim + 2, dl - 2)) {
		pos = dl - 2;
	} else {
		p = memmem(s, n, delim, dl);
		if (!p)
			return E_INVAL;
		pos = (size_t)(p - s) + dl;
	}
	for (;;) {
		char *name, *filename, *ctype;
		const char *hend, *next;
		size_t hs, ds;
		int has_filename;

		/* After a delimiter: "--" closes, else padding and CRLF. */
		if (n - pos >= 2 && s[pos] == '-' && s[pos + 1] == '-')
			return E_OK;
		while (pos < n && (s[pos] == ' ' || s[pos] == '\t'))
			pos++;
		if (n - pos < 2 || s[pos] != '\r' || s[pos + 1] != '\n')
			return E_INVAL;
		pos += 2;
		hs = pos;
		if (n - pos >= 2 && s[pos] == '\r' && s[pos + 1] == '\n')
			return E_INVAL;	/* a part with no headers has no name */
		hend = memmem(s + hs, n - hs < MP_MAX_HEADERS + 4 ? n - hs : MP_MAX_HEADERS + 4,
			      "\r\n\r\n", 4);
		if (!hend)
			return E_INVAL;
		if ((e = mp_headers(r, s + hs, (size_t)(hend - (s + hs)), &name, &filename,
				    &has_filename, &ctype)))
			return e;
		ds = (size_t)(hend - s) + 4;
		next = memmem(s + ds, n - ds, delim, dl);
		if (!next)
			return E_INVAL;	/* truncated: no delimiter after the data */
		if (has_filename) {
			struct upload *u;

			if (r->nuploads >= REQ_MAX_UPLOADS)
				return E_INVAL;
			if (!r->uploads) {
				r->uploads = arena_calloc(r->a, REQ_MAX_UPLOADS, sizeof(*r->uploads));
				if (!r->uploads)
					return E_NOMEM;
			}
			u = &r->uploads[r->nuploads++];
			u->field = name;
			u->filename = filename;
			u->content_type = ctype ? ctype : "";
			u->data = s + ds;
			u->len = (size_t)(next - (s + ds));
		} else {
			size_t vl = (size_t)(next - (s + ds));
			char *v;

			if (memchr(s + ds, '\0', vl))
				return E_INVAL;	/* as url_decode: never a legitimate value */
			v = arena_strndup(r->a, s + ds, vl);
			if (!v)
				return E_NOMEM;
			if ((e = add_param(r, name, v, vl)))
				return e;
		}
		pos = (size_t)(next - s) + dl;
	}
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
