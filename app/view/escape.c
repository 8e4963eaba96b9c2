/* Context-aware escaping. Every escaper scans for runs of bytes that need no
 * change and copies each run with one buf_put, so ordinary text (which is
 * almost all of a page) costs a table lookup per byte and one memcpy. */
#include <string.h>
#include "../core/buf.h"
#include "escape.h"

/* The key of the one-member object that marks safe HTML. It starts with the
 * byte 0xFF, which is never valid UTF-8: jansson refuses it in json_loads()
 * and in every checked setter, so no parsed request body, database JSON or
 * ordinary json_object_set() can forge a safe value; only the unchecked setter
 * used below can make one. (The price: json_dumps() refuses a model that still
 * holds a safe value, so such values belong only in models for templates.) */
#define SAFE_KEY "\xFFsafe_html"
#define SAFE_KEY_LEN (sizeof(SAFE_KEY) - 1)

/* Replacements for HTML text and attributes. NUL is replaced by U+FFFD, as
 * HTML parsers do, so that what we send is what the browser will show. */
static const char *const esc_html_rep[256] = {
	['\0'] = "\xEF\xBF\xBD",
	['&'] = "&amp;",
	['<'] = "&lt;",
	['>'] = "&gt;",
	['"'] = "&quot;",
	['\''] = "&#39;",
};

static const char *const esc_attr_rep[256] = {
	['\0'] = "\xEF\xBF\xBD",
	['&'] = "&amp;",
	['<'] = "&lt;",
	['>'] = "&gt;",
	['"'] = "&quot;",
	['\''] = "&#39;",
	['='] = "&#61;",
	['`'] = "&#96;",
};

/* Copies s, replacing each byte that has an entry in rep. Multi-byte UTF-8
 * sequences never contain bytes below 0x80, so they pass through untouched. */
static void esc_table(struct buf *out, const char *const rep[256], const char *s, size_t n)
{
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		const char *r = rep[(unsigned char)s[i]];

		if (!r)
			continue;
		if (i > run)
			buf_put(out, s + run, i - run);
		buf_puts(out, r);
		run = i + 1;
	}
	if (n > run)
		buf_put(out, s + run, n - run);
}

void esc_html(struct buf *out, const char *s, size_t n)
{
	esc_table(out, esc_html_rep, s, n);
}

void esc_attr(struct buf *out, const char *s, size_t n)
{
	esc_table(out, esc_attr_rep, s, n);
}

static const char esc_hex[] = "0123456789ABCDEF";

/* RFC 3986 section 2.3: ALPHA / DIGIT / "-" / "." / "_" / "~". */
static int esc_url_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

void esc_url(struct buf *out, const char *s, size_t n)
{
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char pct[3];

		if (esc_url_unreserved(c))
			continue;
		if (i > run)
			buf_put(out, s + run, i - run);
		pct[0] = '%';
		pct[1] = esc_hex[c >> 4];
		pct[2] = esc_hex[c & 15];
		buf_put(out, pct, 3);
		run = i + 1;
	}
	if (n > run)
		buf_put(out, s + run, n - run);
}

/* Writes \u00XX-style escapes for the characters a JSON string needs escaped
 * plus those that could end a <script> block or start an HTML comment inside
 * it (<, >, &). U+2028 and U+2029 are escaped because older JavaScript
 * parsers treat them as line terminators inside string literals. */
static void esc_json_u(struct buf *out, unsigned cp)
{
	/* Lower-case hex digits: the form JSON tools print and tests compare with. */
	static const char lhex[] = "0123456789abcdef";
	char u[6] = { '\\', 'u', lhex[(cp >> 12) & 15], lhex[(cp >> 8) & 15],
		      lhex[(cp >> 4) & 15], lhex[cp & 15] };

	buf_put(out, u, 6);
}

void esc_json_str(struct buf *out, const char *s, size_t n)
{
	size_t i, run = 0;

	buf_putc(out, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *short_form = NULL;
		size_t skip = 1;
		unsigned cp;

		if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' &&
		    !(c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
		      ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)))
			continue;
		if (i > run)
			buf_put(out, s + run, i - run);
		switch (c) {
		case '"': short_form = "\\\""; break;
		case '\\': short_form = "\\\\"; break;
		case '\n': short_form = "\\n"; break;
		case '\r': short_form = "\\r"; break;
		case '\t': short_form = "\\t"; break;
		case '\b': short_form = "\\b"; break;
		case '\f': short_form = "\\f"; break;
		default: break;
		}
		if (short_form) {
			buf_put(out, short_form, 2);
		} else if (c == 0xE2) {
			cp = (unsigned char)s[i + 2] == 0xA8 ? 0x2028 : 0x2029;
			esc_json_u(out, cp);
			skip = 3;
		} else {
			esc_json_u(out, c);
		}
		i += skip - 1;
		run = i + 1;
	}
	if (n > run)
		buf_put(out, s + run, n - run);
	buf_putc(out, '"');
}

/* Copies the currency code upper-cased into code[4]. A code is used only when
 * it looks like an ISO 4217 code (three ASCII letters); anything else becomes
 * "XXX" (the ISO code for "no currency"), so a bad value in the model cannot
 * inject markup through the money filter. NULL or "" means the default, USD. */
static void esc_money_code(const char *currency, char code[4])
{
	int k;

	if (!currency || !*currency)
		currency = "USD";
	for (k = 0; k < 3; k++) {
		char c = currency[k];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			break;
		code[k] = c;
	}
	if (k < 3 || currency[3])
		memcpy(code, "XXX", 3);
	code[3] = '\0';
}

void esc_money(struct buf *out, long long minor, const char *currency)
{
	/* Negate in unsigned arithmetic so LLONG_MIN does not overflow. */
	unsigned long long mag = minor < 0 ? 0ULL - (unsigned long long)minor : (unsigned long long)minor;
	/* CURRENCIES (issue 19): the ISO 4217 currencies without a minor unit
	 * (the list of app/fx/fx.c fx_exponent, which the view layer may not
	 * include; t/unit/test_fx checks they agree) print whole units. */
	static const char none[] = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF ";
	unsigned long long whole;
	unsigned cents;
	char code[4], digits[32], *p = digits + sizeof(digits);
	const char *symbol = NULL;
	int decimals;

	esc_money_code(currency, code);
	decimals = !strstr(none, code) || !memcmp(code, "XXX", 4);
	whole = decimals ? mag / 100 : mag;
	cents = decimals ? (unsigned)(mag % 100) : 0;
	if (!memcmp(code, "USD", 4))
		symbol = "$";
	else if (!memcmp(code, "EUR", 4))
		symbol = "\xE2\x82\xAC";
	else if (!memcmp(code, "GBP", 4))
		symbol = "\xC2\xA3";
	else if (!memcmp(code, "JPY", 4))
		symbol = "\xC2\xA5";
	if (decimals) {
		*--p = (char)('0' + cents % 10);
		*--p = (char)('0' + cents / 10);
		*--p = '.';
	}
	/* Thousands grouped with commas: $1,099.99. */
	for (int digit = 0;; digit++) {
		if (digit && digit % 3 == 0)
			*--p = ',';
		*--p = (char)('0' + whole % 10);
		whole /= 10;
		if (!whole)
			break;
	}
	if (minor < 0)
		buf_putc(out, '-');
	if (symbol)
		buf_puts(out, symbol);
	buf_put(out, p, (size_t)(digits + sizeof(digits) - p));
	if (!symbol) {
		buf_putc(out, ' ');
		buf_put(out, code, 3);
	}
}

json_t *view_safe_html(const char *html)
{
	json_t *o, *s;

	if (!html || !(s = json_string(html)))
		return NULL;
	o = json_object();
	if (!o || json_object_setn_new_nocheck(o, SAFE_KEY, SAFE_KEY_LEN, s)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

const char *view_is_safe(const json_t *v)
{
	const json_t *s;

	if (!json_is_object(v) || json_object_size(v) != 1)
		return NULL;
	s = json_object_getn(v, SAFE_KEY, SAFE_KEY_LEN);
	return json_is_string(s) ? json_string_value(s) : NULL;
}
