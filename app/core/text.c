/* Text and numbers as people type them (text.h). */
#include <ctype.h>
#include <string.h>
#include "text.h"

long text_chars(const char *s, unsigned allow)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;

	if (!s)
		return -1;
	while (*p) {
		unsigned c = *p, cp;
		int len;

		if (c < 0x80) {
			if ((c == 0x7F || c < 0x20) && (allow & TEXT_CONTROLS)) {
				p++;
				n++;
				continue;
			}
			if (c == 0x7F)
				return -1;
			if (c < 0x20 && !((allow & TEXT_TAB) && c == '\t') &&
			    !((allow & TEXT_LINES) && (c == '\n' || c == '\r')))
				return -1;
			p++;
			n++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			len = 2;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return -1;
		}
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return -1;	/* also stops at the NUL */
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
			return -1;
		p += len;
		n++;
	}
	return n;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int money_parse(const char *s, enum money_syntax syntax, int64_t max, int64_t *cents)
{
	const char *d0, *frac0 = NULL;
	size_t nint = 0, nfrac = 0, nd = 0, i;
	long exp10 = 0, k;
	char digits[64];	/* significant digits, as written */
	uint64_t v = 0;

	if (!s || !is_digit(*s) || max < 0)
		return -1;	/* also a sign, '.5' and "" */
	d0 = s;
	for (; is_digit(*s); s++)
		nint++;
	if (syntax == MONEY_JSON && d0[0] == '0' && nint > 1)
		return -1;	/* JSON has no leading zeros */
	if (*s == '.') {
		frac0 = ++s;
		for (; is_digit(*s); s++)
			nfrac++;
		if (!nfrac)
			return -1;	/* "5." */
		if (syntax == MONEY_DECIMAL && nfrac > 2)
			return -1;	/* a third decimal, even a zero */
	}
	if (syntax == MONEY_JSON && (*s == 'e' || *s == 'E')) {
		int neg = 0;

		s++;
		if (*s == '+' || *s == '-')
			neg = *s++ == '-';
		if (!is_digit(*s))
			return -1;
		for (; is_digit(*s); s++)
			if (exp10 < 100000)
				exp10 = exp10 * 10 + (*s - '0');
		if (neg)
			exp10 = -exp10;
	}
	if (*s)
		return -1;
	/* The digits without leading zeros; value = digits * 10^k cents. */
	for (i = 0; i < nint && d0[i] == '0'; i++)
		;
	for (; i < nint; i++) {
		if (nd >= sizeof(digits))
			return -1;
		digits[nd++] = d0[i];
	}
	for (i = 0; i < nfrac; i++) {
		if (!nd && frac0[i] == '0')
			continue;	/* 0.05: the zeros after the point lead too */
		if (nd >= sizeof(digits))
			return -1;
		digits[nd++] = frac0[i];
	}
	k = exp10 - (long)nfrac + 2;
	if (!nd) {
		*cents = 0;
		return 0;
	}
	while (nd > 0 && digits[nd - 1] == '0') {
		nd--;
		k++;
	}
	if (k < 0)
		return -1;		/* a nonzero digit past the cents */
	if ((long)nd + k > 18)
		return -1;		/* far over any max */
	for (i = 0; i < nd; i++)
		v = v * 10 + (uint64_t)(digits[i] - '0');
	while (k-- > 0)
		v *= 10;
	if (v > (uint64_t)max)
		return -1;
	*cents = (int64_t)v;
	return 0;
}

int text_int64n(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0;
	int neg = 0;

	if (!s || n == 0 || n > 20)
		return -1;
	if (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-';
		if (++i == n)
			return -1;
	}
	for (; i < n; i++) {
		int d;

		if (!is_digit(s[i]))
			return -1;
		d = s[i] - '0';
		/* Accumulated negatively so INT64_MIN parses too. */
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

int text_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	return s ? text_int64n(s, strlen(s), min, max, out) : -1;
}

size_t text_languages(const char *al, char out[][TEXT_LANG_TAG], size_t max)
{
	struct { char tag[TEXT_LANG_TAG]; int q; } tags[16];
	size_t n = 0, got = 0;

	while (al && *al && n < sizeof(tags) / sizeof(tags[0])) {
		size_t k = 0;
		int q = 1000;

		while (*al == ' ' || *al == ',')
			al++;
		while (*al && *al != ',' && *al != ';' && *al != ' ') {
			if (k + 1 < sizeof(tags[n].tag))
				tags[n].tag[k++] = (char)tolower((unsigned char)*al);
			al++;
		}
		tags[n].tag[k] = '\0';
		while (*al && *al != ',') {
			/* ;q=0.8 (three decimals at most, as RFC 9110 has it) */
			if (*al == 'q' && al[1] == '=') {
				const char *v = al + 2;
				int whole = *v == '1' ? 1 : 0, frac = 0, m = 100;

				if (*v == '0' || *v == '1')
					v++;
				if (*v == '.')
					for (v++; *v >= '0' && *v <= '9' && m; v++, m /= 10)
						frac += (*v - '0') * m;
				q = whole ? 1000 : frac;
				al = v;
				continue;
			}
			al++;
		}
		if (k && q > 0)
			tags[n++].q = q;
	}
	for (int best = 1000; best > 0 && got < max; best--)
		for (size_t i = 0; i < n && got < max; i++)
			if (tags[i].q == best)
				memcpy(out[got++], tags[i].tag, TEXT_LANG_TAG);
	return got;
}
