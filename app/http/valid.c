/* Key validators: pure functions with explicit bounds. The request decoder has
 * already refused embedded NULs; validators also refuse control characters in
 * single-line fields. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/text.h"
#include "valid.h"

int parse_int64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
	return text_int64n(s, n, min, max, out);
}

static _Thread_local char msg[160];

const char *v_int(const struct key *k, const char *v, size_t n, int64_t *out)
{
	if (parse_int64(v, n, k->min, k->max, out)) {
		snprintf(msg, sizeof(msg), "must be a whole number from %lld to %lld",
			 (long long)k->min, (long long)k->max);
		return msg;
	}
	return NULL;
}

/* Valid UTF-8 without overlongs, surrogates or C0 controls other than tab,
 * newline and carriage return. */
static int utf8_ok(const unsigned char *s, size_t n, int multiline)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		uint32_t cp;

		if (c < 0x80) {
			if ((c < 0x20 && !(multiline && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
		else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
		else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
		else return 0;
		if (i + len > n)
			return 0;
		for (size_t j = 1; j < len; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* min/max bound the length in bytes. A max of 0 means 255. Fields longer than
 * 1000 bytes are taken to be multi-line text. */
const char *v_string(const struct key *k, const char *v, size_t n, int64_t *out)
{
	int64_t max = k->max ? k->max : 255;

	(void)out;
	if ((int64_t)n < k->min || (int64_t)n > max) {
		if (k->min > 0 && n == 0)
			return "must not be empty";
		snprintf(msg, sizeof(msg), "must be from %lld to %lld characters long",
			 (long long)k->min, (long long)max);
		return msg;
	}
	if (!utf8_ok((const unsigned char *)v, n, max > 1000))
		return "must be valid text without control characters";
	return NULL;
}

static const char *charset(const struct key *k, const char *v, size_t n,
			   const char *allowed, const char *what)
{
	int64_t max = k->max ? k->max : 64;

	if (n == 0 || (int64_t)n < k->min || (int64_t)n > max) {
		snprintf(msg, sizeof(msg), "must be %s of %lld to %lld characters", what,
			 (long long)(k->min ? k->min : 1), (long long)max);
		return msg;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strchr(allowed, v[i]) || v[i] == '\0') {
			snprintf(msg, sizeof(msg), "must be %s", what);
			return msg;
		}
	}
	return NULL;
}

const char *v_slug(const struct key *k, const char *v, size_t n, int64_t *out)
{
	(void)out;
	return charset(k, v, n, "abcdefghijklmnopqrstuvwxyz0123456789-",
		       "lowercase letters, digits and hyphens");
}

const char *v_token(const struct key *k, const char *v, size_t n, int64_t *out)
{
	(void)out;
	return charset(k, v, n,
		       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
		       "letters, digits, '-' and '_'");
}

const char *v_id_list(const struct key *k, const char *v, size_t n, int64_t *out)
{
	(void)out;
	return charset(k, v, n, "0123456789, ", "ids separated by commas");
}

const char *v_bool(const struct key *k, const char *v, size_t n, int64_t *out)
{
	static const char *const yes[] = {"1", "true", "on", "yes"};
	static const char *const no[] = {"0", "false", "off", "no", ""};
	size_t i;

	(void)k;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strlen(yes[i]) == n && !memcmp(v, yes[i], n)) {
			*out = 1;
			return NULL;
		}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strlen(no[i]) == n && !memcmp(v, no[i], n)) {
			*out = 0;
			return NULL;
		}
	return "must be true or false";
}

static const char *const sorts[] = {"relevance", "price_asc", "price_desc", "rating", "newest", NULL};

const char *v_sort(const struct key *k, const char *v, size_t n, int64_t *out)
{
	(void)k;
	for (int i = 0; sorts[i]; i++)
		if (strlen(sorts[i]) == n && !memcmp(v, sorts[i], n)) {
			*out = i;
			return NULL;
		}
	return "must be one of relevance, price_asc, price_desc, rating, newest";
}

/* An amount as people type it (valid.h): "12", "12.5", "$12.50",
 * " 1,299.99 ", "$ 1,000" -> 1200, 1250, 1250, 129999, 100000. */
int money_typed(const char *v, size_t n, int64_t *out)
{
	const char *p = v, *e = v + n;
	int64_t whole = 0, frac = 0;
	int digits = 0, group = -1, fd = 0;
	size_t sign;

	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	/* A currency sign in front: "$", and (issue 19: bounds typed in the
	 * shopper's currency) "€", "£", "¥" in UTF-8. */
	sign = p < e && *p == '$' ? 1 : e - p >= 3 && !memcmp(p, "\xE2\x82\xAC", 3) ? 3 :
	       e - p >= 2 && (!memcmp(p, "\xC2\xA3", 2) || !memcmp(p, "\xC2\xA5", 2)) ? 2 : 0;
	if (sign) {
		p += sign;
		while (p < e && *p == ' ')
			p++;
	}
	/* The whole part: digits, with commas only between groups of three. */
	for (; p < e && *p != '.'; p++) {
		if (*p == ',') {
			if (!digits || (group >= 0 && group != 3))
				return -1;
			group = 0;
			continue;
		}
		if (*p < '0' || *p > '9' || whole > (INT64_MAX / 100 - 9) / 10)
			return -1;
		whole = whole * 10 + (*p - '0');
		digits++;
		if (group >= 0)
			group++;
	}
	if (!digits || (group >= 0 && group != 3))
		return -1;
	if (p < e) {		/* '.', then one or two digits */
		for (p++; p < e; p++, fd++) {
			if (*p < '0' || *p > '9' || fd >= 2)
				return -1;
			frac = frac * 10 + (*p - '0');
		}
		if (!fd)
			return -1;
		if (fd == 1)
			frac *= 10;
	}
	*out = whole * 100 + frac;
	return 0;
}

const char *v_money(const struct key *k, const char *v, size_t n, int64_t *out)
{
	if (money_typed(v, n, out) || *out < k->min || (k->max && *out > k->max)) {
		snprintf(msg, sizeof(msg), "must be an amount such as 12.50, from %lld.%02lld to %lld.%02lld",
			 (long long)(k->min / 100), (long long)(k->min % 100),
			 (long long)(k->max / 100), (long long)(k->max % 100));
		return msg;
	}
	return NULL;
}

const char *v_opaque(const struct key *k, const char *v, size_t n, int64_t *out)
{
	return v_token(k, v, n, out);
}

const char *v_secret(const struct key *k, const char *v, size_t n, int64_t *out)
{
	return v_string(k, v, n, out);
}

/* ---- card numbers ---- */

static int luhn_ok(const char *d, size_t n)
{
	int sum = 0;

	for (size_t i = 0; i < n; i++) {
		int x = d[n - 1 - i] - '0';

		if (i & 1) {
			x *= 2;
			if (x > 9)
				x -= 9;
		}
		sum += x;
	}
	return sum % 10 == 0;
}

/* A neighbour that makes a run of digits part of something else: a word,
 * a token, a decimal, a path, a phone number, a list of numbers. */
static int binds(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_' || c == '.' || c == '/' || c == '+' || c == ',' || c == '-' || c >= 0x80;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* See valid.h for the rule. */
int pan_like(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		char d[20], sep = 0;
		size_t j = i, nd = 0, glen = 0, ngroups = 0;
		int shaped = 1;

		if (!is_digit(s[i])) {
			i++;
			continue;
		}
		while (j < n) {
			if (is_digit(s[j])) {
				if (nd < sizeof(d))
					d[nd] = s[j];
				nd++;
				glen++;
				j++;
			} else if ((s[j] == ' ' || s[j] == '-') && j + 1 < n && is_digit(s[j + 1])) {
				if (sep && sep != s[j])
					shaped = 0;
				sep = s[j];
				if ((ngroups == 0 && glen != 4) || (ngroups && (glen < 3 || glen > 6)))
					shaped = 0;
				ngroups++;
				glen = 0;
				j++;
			} else {
				break;
			}
		}
		if (ngroups && (glen < 3 || glen > 6))
			shaped = 0;
		if (shaped && nd >= 13 && nd <= 19 && s[i] >= '2' && s[i] <= '6' && (i == 0 || !binds((unsigned char)s[i - 1])) &&
		    (j == n || !binds((unsigned char)s[j])) && luhn_ok(d, nd))
			return 1;
		i = j;
	}
	return 0;
}

long text_find_pan(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && !strchr(",;\t\r\n\"", s[j]))	/* a NUL ends a field too */
			j++;
		if (j - i >= 13 && pan_like(s + i, j - i))
			return (long)i;
		i = j + 1;
	}
	return -1;
}

/* ---- JSON bodies ---- */

unsigned key_json_types(const struct key *k)
{
	if (k->fn == v_int)
		return J_INT | J_STR | J_NULL;
	if (k->fn == v_money)
		return J_NUM | J_STR | J_NULL;
	if (k->fn == v_bool)
		return J_BOOL | J_INT | J_STR | J_NULL;
	return J_STR | J_NULL;
}

static unsigned type_of(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return J_STR;
	case JSON_INTEGER: return J_INT;
	case JSON_REAL: return J_REAL;
	case JSON_TRUE:
	case JSON_FALSE: return J_BOOL;
	case JSON_OBJECT: return J_OBJ;
	case JSON_ARRAY: return J_ARR;
	default: return J_NULL;
	}
}

/* "must be a whole number or an object": text is named only when it is
 * the one scalar a member takes (a numeral in text is a number's form, and
 * "true" a boolean's). */
static const char *type_words(struct arena *a, unsigned t)
{
	const char *w[6];
	int n = 0;

	if ((t & J_STR) && !(t & (J_NUM | J_BOOL)))
		w[n++] = "text";
	if (t & J_BOOL)
		w[n++] = "true or false";	/* 0 and 1 are a boolean's form too */
	else if ((t & J_INT) && !(t & J_REAL))
		w[n++] = "a whole number";
	else if (t & J_REAL)
		w[n++] = "a number";
	if (t & (J_OBJ | J_MAP))
		w[n++] = "an object";
	if (t & J_ARR)
		w[n++] = "an array";
	if (n == 0)
		return "must be null";
	if (n == 1)
		return arena_printf(a, "must be %s", w[0]);
	if (n == 2)
		return arena_printf(a, "must be %s or %s", w[0], w[1]);
	return arena_printf(a, "must be %s, %s or %s", w[0], w[1], w[2]);
}

/* A member name as it may appear in a message: at most 64 bytes, cut on a
 * character boundary (jansson's names are valid UTF-8). */
static const char *shown(struct arena *a, const char *name)
{
	size_t n = strlen(name);

	if (n <= 64)
		return name;
	n = 64;
	while (n && ((unsigned char)name[n] & 0xc0) == 0x80)
		n--;
	return arena_printf(a, "%.*s...", (int)n, name);
}

static const char *join(struct arena *a, const char *path, const char *name)
{
	return *path ? arena_printf(a, "%s.%s", path, shown(a, name)) : shown(a, name);
}

static const char *check_object(struct arena *a, const char *path, const struct key *keys,
				const struct field *decl, json_t *obj);

static int oneof_has(const char *list, const char *s, size_t n)
{
	while (list && *list) {
		const char *e = strchr(list, '|');
		size_t len = e ? (size_t)(e - list) : strlen(list);

		if (len == n && !memcmp(list, s, n))
			return 1;
		list = e ? e + 1 : NULL;
	}
	return 0;
}

static const char *check_value(struct arena *a, const char *path, const struct field *f, json_t *v)
{
	unsigned t = type_of(v), ok = f->types;
	int bounded = f->min || f->max;

	if (t == J_NULL)
		return (f->flags & F_REQUIRED) ? arena_printf(a, "%s: is required", path) : NULL;
	if (ok & J_MAP)
		ok |= J_OBJ;
	if (!(t & ok))
		return arena_printf(a, "%s: %s", path, type_words(a, f->types));
	switch (t) {
	case J_STR: {
		size_t n = json_string_length(v);

		if (bounded && ((int64_t)n < f->min || (f->max && (int64_t)n > f->max)))
			return arena_printf(a, "%s: must be from %lld to %lld characters long", path,
					    (long long)f->min, (long long)f->max);
		if (f->oneof && !oneof_has(f->oneof, json_string_value(v), n))
			return arena_printf(a, "%s: must be one of %s", path, f->oneof);
		return NULL;
	}
	case J_INT: {
		json_int_t x = json_integer_value(v);

		if (bounded && (x < f->min || x > f->max))
			return arena_printf(a, "%s: must be a whole number from %lld to %lld", path,
					    (long long)f->min, (long long)f->max);
		return NULL;
	}
	case J_ARR: {
		size_t i, n = json_array_size(v);
		json_t *e;

		if (bounded && ((int64_t)n < f->min || (f->max && (int64_t)n > f->max)))
			return arena_printf(a, "%s: must have from %lld to %lld elements", path,
					    (long long)f->min, (long long)f->max);
		if (!f->sub)
			return NULL;
		json_array_foreach(v, i, e) {
			const char *why = check_value(a, arena_printf(a, "%s[%zu]", path, i), &f->sub[0], e);

			if (why)
				return why;
		}
		return NULL;
	}
	case J_OBJ:
		if (!(f->types & J_OBJ)) {	/* J_MAP: names free */
			size_t n = json_object_size(v);
			const char *name;
			json_t *e;

			if (bounded && ((int64_t)n < f->min || (f->max && (int64_t)n > f->max)))
				return arena_printf(a, "%s: must have from %lld to %lld members", path,
						    (long long)f->min, (long long)f->max);
			if (!f->sub)
				return NULL;
			json_object_foreach(v, name, e) {
				const char *why = check_value(a, join(a, path, name), &f->sub[0], e);

				if (why)
					return why;
			}
			return NULL;
		}
		return f->sub ? check_object(a, path, NULL, f->sub, v) : NULL;
	default:
		return NULL;
	}
}

static const struct field *decl_find(const struct field *decl, const char *name)
{
	for (size_t i = 0; decl && decl[i].name; i++)
		if (!strcmp(decl[i].name, name))
			return &decl[i];
	return NULL;
}

static const struct key *key_find(const struct key *keys, const char *name)
{
	for (size_t i = 0; keys && keys[i].name; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static const char *check_object(struct arena *a, const char *path, const struct key *keys,
				const struct field *decl, json_t *obj)
{
	const char *name, *why;
	json_t *v;
	int open = decl_find(decl, "*") != NULL;

	json_object_foreach(obj, name, v) {
		const struct field *f = decl_find(decl, name);
		const struct key *k;
		struct field kf;

		if (!f && (k = key_find(keys, name))) {
			kf = (struct field){ .name = k->name, .types = key_json_types(k) };
			f = &kf;
		}
		if (!f || !strcmp(name, "*")) {
			if (open)
				continue;
			return arena_printf(a, "%s: unknown field", join(a, path, name));
		}
		if ((why = check_value(a, join(a, path, name), f, v)))
			return why;
	}
	for (size_t i = 0; decl && decl[i].name; i++)
		if ((decl[i].flags & F_REQUIRED) && !json_object_get(obj, decl[i].name))
			return arena_printf(a, "%s: is required", join(a, path, decl[i].name));
	return NULL;
}

const char *body_check(struct arena *a, const struct key *keys, const struct field *decl, json_t *obj)
{
	if (!json_is_object(obj))
		return "the body must be a JSON object";
	return check_object(a, "", keys, decl, obj);
}

static int key_opaque(const struct key *k)
{
	return k && (k->fn == v_opaque || k->fn == v_secret);
}

/* decl describes v's members (J_OBJ), or its element / value (J_ARR /
 * J_MAP: f). */
static const char *find_pan(struct arena *a, const char *path, json_t *v, const struct key *keys,
			    const struct field *f)
{
	const char *name, *hit;
	json_t *e;
	size_t i;

	if (f && (f->flags & F_OPAQUE))
		return NULL;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return pan_like(json_string_value(v), json_string_length(v)) ? path : NULL;
	case JSON_ARRAY:
		json_array_foreach(v, i, e)
			if ((hit = find_pan(a, arena_printf(a, "%s[%zu]", path, i), e, NULL,
					    f && f->sub ? &f->sub[0] : NULL)))
				return hit;
		return NULL;
	case JSON_OBJECT:
		json_object_foreach(v, name, e) {
			const struct field *sf = NULL;

			if (pan_like(name, strlen(name)))
				return *path ? arena_printf(a, "%s: a member name", path) : "a member name";
			if (key_opaque(key_find(keys, name)))
				continue;
			if (f && f->sub && !(f->types & J_OBJ))
				sf = &f->sub[0];
			else if (f)
				sf = decl_find(f->sub, name);
			if ((hit = find_pan(a, join(a, path, name), e, NULL, sf)))
				return hit;
		}
		return NULL;
	default:
		return NULL;	/* numbers, booleans, null */
	}
}

const char *json_find_pan(struct arena *a, json_t *v, const struct key *keys, const struct field *decl)
{
	struct field root = { .name = "", .types = J_OBJ, .sub = decl };

	return find_pan(a, "", v, keys, &root);
}
