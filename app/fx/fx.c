/* Currencies: the shared part (fx.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../core/text.h"
#include "fx.h"

const char *fx_shop_currency(void)
{
	return "USD";
}

int fx_exponent(const char *currency)
{
	/* ISO 4217 currencies whose minor unit has no digits. */
	static const char *const none[] = {
		"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
		"XAF", "XOF", "XPF", NULL
	};

	for (size_t i = 0; currency && none[i]; i++)
		if (!strcmp(currency, none[i]))
			return 0;
	return 2;
}

int64_t fx_to_shop(int64_t minor, const char *currency, const char *rate)
{
	long double r, v;
	int from, to;

	if (!currency || !strcmp(currency, fx_shop_currency()))
		return minor;
	r = rate ? strtold(rate, NULL) : 0;
	if (!(r > 0))
		return minor;
	from = fx_exponent(currency);
	to = fx_exponent(fx_shop_currency());
	v = (long double)minor / r;
	for (; from < to; from++)
		v *= 10;
	for (; from > to; from--)
		v /= 10;
	return (int64_t)llroundl(v);
}

/* ---- the fx module's own (issue 19): fixed-point rates ---- */

#include <ctype.h>
#include <stdio.h>

int fx_code_ok(const char *s)
{
	return s && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z' &&
	       !s[3];
}

int fx_rate_parse(const char *s, int64_t *rate)
{
	__int128 v = 0;
	int digits = 0, decimals = 0, seen_point = 0, round_up = 0;

	*rate = 0;
	if (!s)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s; s++) {
		if (*s == '.' && !seen_point) {
			seen_point = 1;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		if (seen_point && decimals == 10) {
			/* The 11th decimal decides the rounding; the rest cannot
			 * change it (half away from zero: 5 and above go up). */
			if (decimals++ == 10)
				round_up = *s >= '5';
			continue;
		}
		if (seen_point && decimals > 10)
			continue;
		v = v * 10 + (*s - '0');
		digits++;
		if (seen_point)
			decimals++;
		if (v > (__int128)FX_MAX_RATE * 10000000000)
			return -1;
	}
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	if (*s || !digits)
		return -1;
	for (int d = decimals > 10 ? 10 : decimals; d < 10; d++)
		v *= 10;
	v += round_up;
	if (v <= 0 || v > FX_MAX_RATE)
		return -1;
	*rate = (int64_t)v;
	return 0;
}

char *fx_rate_text(int64_t rate, char *buf, size_t buflen)
{
	snprintf(buf, buflen, "%lld.%010lld", (long long)(rate / FX_SCALE), (long long)(rate % FX_SCALE));
	return buf;
}

/* n / d rounded to the nearest integer, halves away from zero (d > 0). */
static __int128 div_round(__int128 n, __int128 d)
{
	__int128 q = n / d, r = n % d;

	if (r < 0)
		r = -r;
	if (2 * r >= d)
		q += n < 0 ? -1 : 1;
	return q;
}

int64_t fx_convert(int64_t shop_minor, const char *currency, int64_t rate)
{
	__int128 num = (__int128)shop_minor * rate, den = FX_SCALE;
	int from = fx_exponent(fx_shop_currency()), to;

	if (!currency || !strcmp(currency, fx_shop_currency()) || rate <= 0)
		return shop_minor;
	to = fx_exponent(currency);
	for (; to > from; to--)
		num *= 10;
	for (; to < from; to++)
		den *= 10;
	return (int64_t)div_round(num, den);
}

int64_t fx_bound_to_shop(int64_t minor, const char *currency, int64_t rate, int upper)
{
	int64_t lo = 0, hi = FX_BOUND_CAP;

	if (!currency || !strcmp(currency, fx_shop_currency()) || rate <= 0)
		return minor;
	if (!upper && minor <= 0)
		return 0;
	if (upper && minor < 0)
		return -1;
	if (!upper) {
		/* the smallest p with fx_convert(p) >= minor */
		if (fx_convert(hi, currency, rate) < minor)
			return hi;
		while (lo < hi) {
			int64_t mid = lo + (hi - lo) / 2;

			if (fx_convert(mid, currency, rate) >= minor)
				hi = mid;
			else
				lo = mid + 1;
		}
		return lo;
	}
	/* the largest p with fx_convert(p) <= minor (fx_convert(0) is 0) */
	if (fx_convert(hi, currency, rate) <= minor)
		return hi;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo + 1) / 2;

		if (fx_convert(mid, currency, rate) <= minor)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

int64_t fx_typed_minor(int64_t cents, const char *currency)
{
	int e = fx_exponent(currency);
	__int128 v = cents, d = 1;

	for (; e > 2; e--)
		v *= 10;
	for (; e < 2; e++)
		d *= 10;
	return (int64_t)div_round(v, d);
}

char *fx_amount_text(int64_t minor, const char *currency, char *buf, size_t buflen)
{
	int e = fx_exponent(currency);
	long long div = 1;

	for (int i = 0; i < e; i++)
		div *= 10;
	if (!e)
		snprintf(buf, buflen, "%lld", (long long)minor);
	else
		snprintf(buf, buflen, "%s%lld.%0*lld", minor < 0 ? "-" : "", llabs((long long)minor) / div, e,
			 llabs((long long)minor) % div);
	return buf;
}

int64_t fx_from_price(const int64_t *shop, const int64_t *own, size_t n, const char *currency, int64_t rate)
{
	int64_t best = -1;

	for (size_t i = 0; i < n; i++) {
		int64_t p = own && own[i] >= 0 ? own[i] : fx_convert(shop[i], currency, rate);

		if (best < 0 || p < best)
			best = p;
	}
	return best;
}

int fx_in_list(const char *list, const char *code)
{
	size_t n = code ? strlen(code) : 0;

	if (!list || !n)
		return 0;
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!strncmp(p, code, n) && (!p[n] || p[n] == ',' || p[n] == ' '))
			return 1;
		while (*p && *p != ',')
			p++;
	}
	return 0;
}

/* The currency of one language tag (lower-cased, region kept). */
static const char *lang_currency(const char *tag)
{
	static const char *const euro[] = { "de", "fr", "es", "it", "nl", NULL };

	for (size_t i = 0; euro[i]; i++)
		if (!strncmp(tag, euro[i], 2) && (!tag[2] || tag[2] == '-'))
			return "EUR";
	if (!strcmp(tag, "en-gb"))
		return "GBP";
	if (!strncmp(tag, "ja", 2) && (!tag[2] || tag[2] == '-'))
		return "JPY";
	return fx_shop_currency();
}

const char *fx_from_language(const char *al, const char *enabled)
{
	char tags[16][TEXT_LANG_TAG];
	size_t n = text_languages(al, tags, 16);

	for (size_t i = 0; i < n; i++) {
		const char *cur = lang_currency(tags[i]);

		if (!strcmp(cur, fx_shop_currency()) || fx_in_list(enabled, cur))
			return cur;
	}
	return fx_shop_currency();
}

/* "05 December 2026" or "2026-12-05" into YYYY-MM-DD. */
static int ecb_date(const char *s, size_t n, char out[11])
{
	static const char *const months[] = { "January", "February", "March", "April", "May", "June", "July",
					      "August", "September", "October", "November", "December" };
	int y, m = 0, d, used = 0;
	char name[16], tmp[40];

	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (sscanf(tmp, "%4d-%2d-%2d%n", &y, &m, &d, &used) == 3 && used == (int)n) {
		/* as is */
	} else if (sscanf(tmp, "%2d %15s %4d%n", &d, name, &y, &used) == 3 && used == (int)n) {
		m = 0;
		for (int i = 0; i < 12; i++)
			if (!strcmp(name, months[i]))
				m = i + 1;
	} else {
		return -1;
	}
	if (y < 1999 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
	return 0;
}

/* The next CSV cell of line [*p, end): trimmed; *p moves past its comma. */
static void cell(const char **p, const char *end, const char **s, size_t *n)
{
	const char *c = *p, *e;

	while (c < end && (*c == ' ' || *c == '\t'))
		c++;
	for (e = c; e < end && *e != ','; e++)
		;
	*p = e < end ? e + 1 : end;
	while (e > c && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	*s = c;
	*n = (size_t)(e - c);
}

#define ECB_MAX_COLS 64

int fx_ecb_parse(const char *text, size_t len, struct fx_ecb_rate *out, size_t max, size_t *nout,
		 char *err, size_t errlen)
{
	char cols[ECB_MAX_COLS][4];
	const char *p = text, *end = text + len, *eol, *s;
	size_t ncols = 0, n = 0, k, usd = 0, rows = 0, lineno = 1;

	*nout = 0;
	eol = memchr(p, '\n', len);
	if (!eol)
		eol = end;
	cell(&p, eol, &s, &k);
	if (k != 4 || memcmp(s, "Date", 4)) {
		snprintf(err, errlen, "line 1: not an ECB rates file (the header must begin with \"Date\")");
		return -1;
	}
	while (p < eol) {
		cell(&p, eol, &s, &k);
		if (!k && p >= eol)
			break;	/* the trailing comma */
		if (k != 3 || ncols == ECB_MAX_COLS) {
			snprintf(err, errlen, "line 1: column %zu is not a currency code", ncols + 2);
			return -1;
		}
		memcpy(cols[ncols], s, 3);
		cols[ncols][3] = '\0';
		if (!fx_code_ok(cols[ncols]) || !strcmp(cols[ncols], "EUR")) {
			snprintf(err, errlen, "line 1: column %zu is not a currency code", ncols + 2);
			return -1;
		}
		for (size_t i = 0; i < ncols; i++)
			if (!strcmp(cols[i], cols[ncols])) {
				snprintf(err, errlen, "line 1: %s is there twice", cols[ncols]);
				return -1;
			}
		if (!strcmp(cols[ncols], fx_shop_currency()))
			usd = ncols + 1;
		ncols++;
	}
	if (!usd) {
		snprintf(err, errlen, "line 1: no %s column: the rates cannot be turned into rates per %s",
			 fx_shop_currency(), fx_shop_currency());
		return -1;
	}
	for (p = eol < end ? eol + 1 : end; p < end; p = eol < end ? eol + 1 : end) {
		int64_t per_eur[ECB_MAX_COLS];
		char date[11];
		size_t c = 0;

		lineno++;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		cell(&p, eol, &s, &k);
		if (!k && p >= eol)
			continue;	/* an empty line */
		if (ecb_date(s, k, date)) {
			snprintf(err, errlen, "line %zu: \"%.*s\" is not a date", lineno, (int)(k > 40 ? 40 : k), s);
			return -1;
		}
		while (p < eol) {
			cell(&p, eol, &s, &k);
			if (!k && p >= eol)
				break;
			if (c == ncols) {
				snprintf(err, errlen, "line %zu: more cells than the header has columns", lineno);
				return -1;
			}
			per_eur[c] = 0;
			if (!(k == 3 && !memcmp(s, "N/A", 3))) {
				char num[40];

				if (k >= sizeof(num) || (memcpy(num, s, k), num[k] = '\0', fx_rate_parse(num, &per_eur[c]))) {
					snprintf(err, errlen, "line %zu: the %s rate is not a positive number", lineno,
						 cols[c]);
					return -1;
				}
			}
			c++;
		}
		if (c < usd || !per_eur[usd - 1]) {
			snprintf(err, errlen, "line %zu: no %s rate", lineno, fx_shop_currency());
			return -1;
		}
		rows++;
		/* EUR per USD = 1 / (USD per EUR); X per USD = (X per EUR) / (USD per EUR). */
		for (size_t i = 0; i <= c; i++) {
			__int128 num = i == c ? (__int128)FX_SCALE : per_eur[i];

			if (i < c && (i == usd - 1 || !per_eur[i]))
				continue;
			if (n == max) {
				snprintf(err, errlen, "more than %zu rates in one file", max);
				return -1;
			}
			memcpy(out[n].date, date, sizeof(date));
			memcpy(out[n].currency, i == c ? "EUR" : cols[i], 4);
			out[n].rate = (int64_t)div_round(num * FX_SCALE, per_eur[usd - 1]);
			if (out[n].rate <= 0 || out[n].rate > FX_MAX_RATE) {
				snprintf(err, errlen, "line %zu: the %s rate is out of range", lineno, out[n].currency);
				return -1;
			}
			n++;
		}
	}
	if (!rows) {
		snprintf(err, errlen, "no day's rates after the header");
		return -1;
	}
	*nout = n;
	return 0;
}
