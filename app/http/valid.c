/* Key validators: pure functions with explicit bounds. The request decoder has
 * already refused embedded NULs; validators also refuse control characters in
 * single-line fields. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "valid.h"

int parse_int64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0;
	int neg = 0;

	if (n == 0 || n > 20)
		return -1;
	if (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-';
		if (++i == n)
			return -1;
	}
	for (; i < n; i++) {
		int d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = s[i] - '0';
		/* Accumulate negatively so INT64_MIN parses too. */
		if (v < (INT64_MIN + d) / 10)
			return -1;
		v = v * 10 - d;
	}
	if (!neg) {
		if (v == INT64_MIN)
			return -1;
		v = -v;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
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

/* "12", "12.5", "12.50" -> 1200, 1250, 1250 minor units. */
const char *v_money(const struct key *k, const char *v, size_t n, int64_t *out)
{
	const char *dot = memchr(v, '.', n);
	int64_t whole, frac = 0;
	size_t wn = dot ? (size_t)(dot - v) : n;
	size_t fn = dot ? n - wn - 1 : 0;

	if (wn == 0 || fn > 2 || (dot && fn == 0) || v[0] == '-' || v[0] == '+' ||
	    parse_int64(v, wn, 0, INT64_MAX / 100 - 1, &whole) ||
	    (fn && parse_int64(dot + 1, fn, 0, 99, &frac)) ||
	    (fn && (dot[1] == '-' || dot[1] == '+')))
		goto bad;
	if (fn == 1)
		frac *= 10;
	*out = whole * 100 + frac;
	if (*out < k->min || (k->max && *out > k->max))
		goto bad;
	return NULL;
bad:
	snprintf(msg, sizeof(msg), "must be an amount such as 12.50, from %lld.%02lld to %lld.%02lld",
		 (long long)(k->min / 100), (long long)(k->min % 100),
		 (long long)(k->max / 100), (long long)(k->max % 100));
	return msg;
}
