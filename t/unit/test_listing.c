/* Unit tests for the one listing validator (app/seller/listing.c) and the
 * generic rules under it (app/core/text.c): the money parser, UTF-8 lengths,
 * SKU codes, and every rule of listing_check() in the four dialects, with the
 * field names and words each writer's clients read. Table-driven: one row
 * per case. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../app/core/arena.h"
#include "../../app/core/text.h"
#include "../../app/seller/listing.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- money ---- */

static const struct {
	const char *text;
	enum money_syntax syntax;
	int64_t max;
	int ok;
	int64_t cents;
} money_cases[] = {
	{ "12.34", MONEY_DECIMAL, ITEM_PRICE_MAX, 1, 1234 },
	{ "12.3", MONEY_DECIMAL, ITEM_PRICE_MAX, 1, 1230 },
	{ "0", MONEY_DECIMAL, ITEM_PRICE_MAX, 1, 0 },
	{ "0.01", MONEY_DECIMAL, ITEM_PRICE_MAX, 1, 1 },
	{ "007.50", MONEY_DECIMAL, ITEM_PRICE_MAX, 1, 750 },
	{ "0.29", MONEY_DECIMAL, ITEM_PRICE_MAX, 1, 29 },
	{ "1000000.00", MONEY_DECIMAL, ITEM_PRICE_MAX, 1, ITEM_PRICE_MAX },
	{ "1000000.01", MONEY_DECIMAL, ITEM_PRICE_MAX, 0, 0 },
	{ "1.999", MONEY_DECIMAL, ITEM_PRICE_MAX, 0, 0 },
	{ "1.500", MONEY_DECIMAL, ITEM_PRICE_MAX, 0, 0 },	/* typed: three decimals */
	{ "-1", MONEY_DECIMAL, ITEM_PRICE_MAX, 0, 0 },
	{ "+1", MONEY_DECIMAL, ITEM_PRICE_MAX, 0, 0 },
	{ "1e3", MONEY_DECIMAL, ITEM_PRICE_MAX, 0, 0 },
	{ "", MONEY_DECIMAL, ITEM_PRICE_MAX, 0, 0 },
	{ " 1.00", MONEY_DECIMAL, ITEM_PRICE_MAX, 0, 0 },
	{ "1.00 ", MONEY_DECIMAL, ITEM_PRICE_MAX, 0, 0 },
	{ "1.", MONEY_DECIMAL, ITEM_PRICE_MAX, 0, 0 },
	{ ".5", MONEY_DECIMAL, ITEM_PRICE_MAX, 0, 0 },
	{ "1,50", MONEY_DECIMAL, ITEM_PRICE_MAX, 0, 0 },
	{ "99999999999999999999", MONEY_DECIMAL, ITEM_PRICE_MAX, 0, 0 },
	{ "99999999999999999999", MONEY_DECIMAL, INT64_MAX, 0, 0 },	/* past int64 */
	{ "92233720368547758.07", MONEY_DECIMAL, INT64_MAX, 0, 0 },
	{ "9999999999999999.99", MONEY_DECIMAL, INT64_MAX, 1, INT64_C(999999999999999999) },
	{ "1e3", MONEY_JSON, ITEM_PRICE_MAX, 1, 100000 },
	{ "1.5e1", MONEY_JSON, ITEM_PRICE_MAX, 1, 1500 },
	{ "1.500", MONEY_JSON, ITEM_PRICE_MAX, 1, 150 },
	{ "1.0e-2", MONEY_JSON, ITEM_PRICE_MAX, 1, 1 },
	{ "0e5", MONEY_JSON, ITEM_PRICE_MAX, 1, 0 },
	{ "1e-3", MONEY_JSON, ITEM_PRICE_MAX, 0, 0 },
	{ "1.999", MONEY_JSON, ITEM_PRICE_MAX, 0, 0 },
	{ "01", MONEY_JSON, ITEM_PRICE_MAX, 0, 0 },
	{ "-0", MONEY_JSON, ITEM_PRICE_MAX, 0, 0 },
	{ "1e100000000", MONEY_JSON, INT64_MAX, 0, 0 },
	{ "1e7", MONEY_JSON, ITEM_PRICE_MAX, 0, 0 },		/* 10,000,000.00 */
	{ "1e6", MONEY_JSON, ITEM_PRICE_MAX, 1, ITEM_PRICE_MAX },
	{ "", MONEY_JSON, ITEM_PRICE_MAX, 0, 0 },
	{ " 1.00", MONEY_JSON, ITEM_PRICE_MAX, 0, 0 },
};

START_TEST(money)
{
	int64_t v = -7;
	int rc = money_parse(money_cases[_i].text, money_cases[_i].syntax, money_cases[_i].max, &v);

	ck_assert_msg((rc == 0) == money_cases[_i].ok, "\"%s\" (syntax %d): rc %d", money_cases[_i].text,
		      money_cases[_i].syntax, rc);
	if (money_cases[_i].ok)
		ck_assert_int_eq(v, money_cases[_i].cents);
	else
		ck_assert_int_eq(v, -7);	/* untouched */
}
END_TEST

START_TEST(money_null)
{
	int64_t v;

	ck_assert_int_eq(money_parse(NULL, MONEY_DECIMAL, 100, &v), -1);
	ck_assert_int_eq(money_parse(NULL, MONEY_JSON, 100, &v), -1);
}
END_TEST

/* ---- UTF-8 lengths ---- */

static const struct {
	const char *text;
	unsigned allow;
	long chars;
} text_cases[] = {
	{ "", TEXT_LINE, 0 },
	{ "abc", TEXT_LINE, 3 },
	{ "caf\xC3\xA9", TEXT_LINE, 4 },
	{ "\xE2\x82\xAC" "5", TEXT_LINE, 2 },			/* euro sign */
	{ "\xF0\x9F\x98\x80", TEXT_LINE, 1 },			/* an emoji: one character */
	{ "a\tb", TEXT_LINE, -1 },
	{ "a\tb", TEXT_TAB, 3 },
	{ "a\nb", TEXT_TAB, -1 },
	{ "a\r\nb", TEXT_MULTILINE, 4 },
	{ "a\x01" "b", TEXT_MULTILINE, -1 },
	{ "a\x7F", TEXT_MULTILINE, -1 },
	{ "a\x01", TEXT_CONTROLS, 2 },
	{ "\xC3\x28", TEXT_LINE, -1 },				/* a bad continuation */
	{ "\xC0\xAF", TEXT_LINE, -1 },				/* overlong '/' */
	{ "\xED\xA0\x80", TEXT_LINE, -1 },			/* a surrogate */
	{ "\xF4\x90\x80\x80", TEXT_LINE, -1 },			/* past U+10FFFF */
	{ "\xE2\x82", TEXT_LINE, -1 },				/* cut short */
	{ "\xFF", TEXT_LINE, -1 },
};

START_TEST(text_lengths)
{
	ck_assert_msg(text_chars(text_cases[_i].text, text_cases[_i].allow) == text_cases[_i].chars,
		      "case %d: %ld", _i, text_chars(text_cases[_i].text, text_cases[_i].allow));
}
END_TEST

/* ---- whole numbers ---- */

START_TEST(whole_numbers)
{
	int64_t v = 0;

	ck_assert_int_eq(text_int64("250", 0, 1000, &v), 0);
	ck_assert_int_eq(v, 250);
	ck_assert_int_eq(text_int64("+7", 0, 1000, &v), 0);
	ck_assert_int_eq(v, 7);
	ck_assert_int_eq(text_int64("-1", 0, 1000, &v), -1);
	ck_assert_int_eq(text_int64("1001", 0, 1000, &v), -1);
	ck_assert_int_eq(text_int64("", 0, 1000, &v), -1);
	ck_assert_int_eq(text_int64(" 1", 0, 1000, &v), -1);
	ck_assert_int_eq(text_int64("1.0", 0, 1000, &v), -1);
	ck_assert_int_eq(text_int64("99999999999999999999", 0, INT64_MAX, &v), -1);
	ck_assert_int_eq(text_int64("-9223372036854775808", INT64_MIN, 0, &v), 0);
	ck_assert(v == INT64_MIN);
	ck_assert_int_eq(text_int64(NULL, 0, 1, &v), -1);
}
END_TEST

/* ---- SKU codes ---- */

static const struct {
	const char *code;
	int ok;
} code_cases[] = {
	{ "A", 1 }, { "WS-123-M", 1 }, { "sku_1.2", 1 }, { "9lives", 1 }, { "BEA-ESS-ESS-001", 1 },
	{ "-lead", 0 }, { ".lead", 0 }, { "_lead", 0 }, { "", 0 }, { "has space", 0 }, { "slash/no", 0 },
	{ "\xC3\xBCmlaut", 0 },
	{ "1234567890123456789012345678901234567890123456789012345678901234", 1 },
	{ "12345678901234567890123456789012345678901234567890123456789012345", 0 },
};

START_TEST(sku_codes)
{
	ck_assert_msg(listing_code_ok(code_cases[_i].code) == code_cases[_i].ok, "\"%s\"", code_cases[_i].code);
}
END_TEST

/* ---- listing_check ---- */

/* Strings of the table may be written "*N:piece": piece repeated N times. */
static const char *expand(struct arena *a, const char *s)
{
	char *out, *p;
	int n;
	const char *piece;

	if (!s || s[0] != '*')
		return s;
	n = atoi(s + 1);
	piece = strchr(s, ':') + 1;
	out = p = arena_alloc(a, (size_t)n * strlen(piece) + 1);
	for (int i = 0; i < n; i++) {
		memcpy(p, piece, strlen(piece));
		p += strlen(piece);
	}
	*p = '\0';
	return out;
}

struct sku_case {
	const char *code, *price, *weight, *qty;	/* as typed; NULL: not given */
	int64_t cents, grams, units;			/* as given (no text) */
	unsigned has;		/* numbers given without text */
	int existing;
	const char *o1n, *o1v, *o2n, *o2v;
};

struct listing_case {
	const char *name;
	enum listing_dialect d;
	const char *title, *desc, *brand, *cat, *status, *status_now;
	const char *a1n, *a1v;	/* one attribute */
	int nattrs;		/* or this many valid ones */
	int whole, nsku;
	struct sku_case sku[2];
	const char *want;	/* "field: message; ..." or "" */
};

#define OKT "Linen shirt"
#define CAT "mens-shirts"
#define S1 { "A-1", "12.34", NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL }
#define S1API { "A-1", NULL, NULL, NULL, 1234, 0, 0, LISTING_PRICE, 0, NULL, NULL, NULL, NULL }
#define SP(p) { "A-1", p, NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL }
#define SDEMO(p, q) { "A-1", p, NULL, q, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL }

static const struct listing_case cases[] = {
	/* Valid, in each dialect. */
	{ "form ok", LISTING_FORM, OKT, NULL, NULL, CAT, "active", NULL, NULL, NULL, 0, 1, 1, { S1 }, "" },
	{ "api ok", LISTING_API, OKT, NULL, NULL, CAT, "active", NULL, NULL, NULL, 0, 1, 1, { S1API }, "" },
	{ "bulk ok", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1, { S1 }, "" },
	{ "demo ok", LISTING_DEMO, OKT, "", NULL, "beauty", NULL, NULL, NULL, NULL, 0, 0, 1, { SDEMO("9.99", "5") }, "" },

	/* Title: required (not of a file row), 3..200 characters, one line. */
	{ "form title missing", LISTING_FORM, NULL, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1, { S1 },
	  "title: is required" },
	{ "api title blank", LISTING_API, "", NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1, { S1API },
	  "name: is required" },
	{ "demo title missing", LISTING_DEMO, NULL, "", NULL, "beauty", NULL, NULL, NULL, NULL, 0, 0, 1,
	  { SDEMO("1", "1") }, "title: is required" },
	{ "title 2 chars", LISTING_FORM, "ab", NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1, { S1 },
	  "title: must be from 3 to 200 characters long" },
	{ "title 3 chars of 2 bytes", LISTING_FORM, "\xC3\xA5\xC3\xA4\xC3\xB6", NULL, NULL, CAT, NULL, NULL, NULL,
	  NULL, 0, 1, 1, { S1 }, "" },
	{ "title 200 chars (400 bytes)", LISTING_API, "*200:\xC3\xA9", NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1,
	  1, { S1API }, "" },
	{ "title 201 chars", LISTING_BULK, "*201:\xC3\xA9", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1, { S1 },
	  "title: must be from 3 to 200 characters long" },
	{ "demo title 201", LISTING_DEMO, "*201:x", "", NULL, "beauty", NULL, NULL, NULL, NULL, 0, 0, 1,
	  { SDEMO("1", "1") }, "title: must be 3 to 200 characters" },
	{ "form title tab", LISTING_FORM, "a\tbcd", NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1, { S1 },
	  "title: must be text on one line" },
	{ "bulk title tab", LISTING_BULK, "a\tbcd", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1, { S1 },
	  "title: must be text without control characters" },
	{ "demo title newline", LISTING_DEMO, "a\nbcd", "", NULL, "beauty", NULL, NULL, NULL, NULL, 0, 0, 1,
	  { SDEMO("1", "1") }, "title: must not contain control characters" },
	{ "title bad utf-8", LISTING_API, "ab\xC3\x28", NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1, { S1API },
	  "name: must be text on one line" },

	/* Description: lines of text, at most ITEM_DESC_MAX bytes. */
	{ "desc 10000 bytes", LISTING_FORM, OKT, "*5000:\xC3\xA9", NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1, { S1 },
	  "" },
	{ "desc 10001 bytes", LISTING_FORM, OKT, "*10001:a", NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1, { S1 },
	  "description: must be at most 10000 bytes long" },
	{ "desc lines", LISTING_BULK, NULL, "one\r\ntwo\tthree", NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1, { S1 },
	  "" },
	{ "desc control", LISTING_BULK, NULL, "a\x01", NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1, { S1 },
	  "description: must be valid UTF-8 text" },
	{ "desc control form", LISTING_FORM, OKT, "a\x01", NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1, { S1 },
	  "description: must be valid text" },
	{ "demo desc missing", LISTING_DEMO, OKT, NULL, NULL, "beauty", NULL, NULL, NULL, NULL, 0, 0, 1,
	  { SDEMO("1", "1") }, "description: is required" },

	/* Brand: optional, at most 100 characters on one line. */
	{ "brand 100", LISTING_FORM, OKT, NULL, "*100:\xE2\x82\xAC", CAT, NULL, NULL, NULL, NULL, 0, 1, 1, { S1 }, "" },
	{ "brand 101 form", LISTING_FORM, OKT, NULL, "*101:b", CAT, NULL, NULL, NULL, NULL, 0, 1, 1, { S1 },
	  "brand: must be at most 100 characters on one line" },
	{ "brand 101 bulk", LISTING_BULK, NULL, NULL, "*101:b", NULL, NULL, NULL, NULL, NULL, 0, 0, 1, { S1 },
	  "brand: must be at most 100 characters long" },
	{ "brand tab demo", LISTING_DEMO, OKT, "", "a\tb", "beauty", NULL, NULL, NULL, NULL, 0, 0, 1,
	  { SDEMO("1", "1") }, "brand: must not contain control characters" },

	/* Category: required of an item, the form of a slug. */
	{ "form category missing", LISTING_FORM, OKT, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 1, 1, { S1 },
	  "category: is required" },
	{ "form category not a slug", LISTING_FORM, OKT, NULL, NULL, "Men Shirts", NULL, NULL, NULL, NULL, 0, 1, 1,
	  { S1 }, "category: must be one of the shop's categories (a subcategory such as smartphones)" },
	{ "bulk category not a slug", LISTING_BULK, NULL, NULL, NULL, "a--b", NULL, NULL, NULL, NULL, 0, 0, 1, { S1 },
	  "category: is not a category you can list in: use the slug of a subcategory, such as smartphones" },
	{ "demo category not a slug", LISTING_DEMO, OKT, "", NULL, "Beauty", NULL, NULL, NULL, NULL, 0, 0, 1,
	  { SDEMO("1", "1") }, "category: must be a slug: lowercase letters, digits and single dashes" },

	/* Status. */
	{ "status sold form", LISTING_FORM, OKT, NULL, NULL, CAT, "sold", NULL, NULL, NULL, 0, 1, 1, { S1 },
	  "status: must be draft, active or archived" },
	{ "status sold bulk", LISTING_BULK, NULL, NULL, NULL, NULL, "sold", NULL, NULL, NULL, 0, 0, 1, { S1 },
	  "status: must be active, draft or archived" },
	{ "status suspended asked", LISTING_API, OKT, NULL, NULL, CAT, "suspended", "active", NULL, NULL, 0, 1, 1,
	  { S1API }, "status: cannot be set to suspended: only the shop suspends items" },
	{ "status suspended kept", LISTING_API, OKT, NULL, NULL, CAT, "suspended", "suspended", NULL, NULL, 0, 1, 1,
	  { S1API }, "" },
	{ "status suspended bulk", LISTING_BULK, NULL, NULL, NULL, NULL, "suspended", NULL, NULL, NULL, 0, 0, 1, { S1 },
	  "status: must be active, draft or archived" },

	/* Attributes. */
	{ "attr value 200", LISTING_FORM, OKT, NULL, NULL, CAT, NULL, NULL, "Material", "*200:x", 0, 1, 1, { S1 }, "" },
	{ "attr value 201 form", LISTING_FORM, OKT, NULL, NULL, CAT, NULL, NULL, "Material", "*201:x", 0, 1, 1,
	  { S1 }, "attr.Material: must be at most 200 characters on one line" },
	{ "attr value newline api", LISTING_API, OKT, NULL, NULL, CAT, NULL, NULL, "Material", "a\nb", 0, 1, 1,
	  { S1API }, "attributes.Material: must be at most 200 characters on one line" },
	{ "attr value 201 bulk", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, "Material", "*201:x", 0, 0, 1,
	  { S1 }, "attributes: each name must be 1 to 40 characters and each value text of at most 200 characters" },
	{ "attr name 41 bulk", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, "*41:n", "x", 0, 0, 1,
	  { S1 }, "attributes: each name must be 1 to 40 characters and each value text of at most 200 characters" },
	{ "attrs 20", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 20, 0, 1, { S1 }, "" },
	{ "attrs 21 bulk", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 21, 0, 1, { S1 },
	  "attributes: at most 20 attributes" },
	{ "attrs 21 form", LISTING_FORM, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 21, 1, 1, { S1 },
	  "attrs: are too many: at most 20" },

	/* SKU codes. */
	{ "code missing form", LISTING_FORM, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1,
	  { { NULL, "1", NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL } }, "v0.code: is required" },
	{ "code missing bulk", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1,
	  { { NULL, "1", NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL } }, "sku: is required" },
	{ "code bad api", LISTING_API, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1,
	  { { "-bad", NULL, NULL, NULL, 100, 0, 0, LISTING_PRICE, 0, NULL, NULL, NULL, NULL } },
	  "skus[0].code: must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit" },
	{ "code bad demo", LISTING_DEMO, OKT, "", NULL, "beauty", NULL, NULL, NULL, NULL, 0, 0, 1,
	  { { "a b", "1", NULL, "1", 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL } },
	  "sku: must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit" },
	{ "code 65", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1,
	  { { "*65:a", "1", NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL } },
	  "sku: must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit" },
	{ "code of an existing sku not rechecked", LISTING_FORM, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1,
	  { { "old code", "1", NULL, NULL, 0, 0, 0, 0, 1, NULL, NULL, NULL, NULL } }, "" },
	{ "code twice in an item", LISTING_API, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 2,
	  { { "A-1", NULL, NULL, NULL, 100, 0, 0, LISTING_PRICE, 0, "Color", "Red", NULL, NULL },
	    { "a-1", NULL, NULL, NULL, 100, 0, 0, LISTING_PRICE, 0, "Color", "Blue", NULL, NULL } },
	  "skus[1].code: is used by another variant of this item" },

	/* Prices. */
	{ "price missing", LISTING_FORM, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1, { SP(NULL) },
	  "v0.price: is required" },
	{ "price 1.999", LISTING_FORM, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1, { SP("1.999") },
	  "v0.price: must be an amount such as 12.34, from 0.00 to 1000000.00" },
	{ "price -1", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1, { SP("-1") },
	  "price: must be an amount such as 12.34, from 0 to 1000000.00" },
	{ "price 1e3 typed", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1, { SP("1e3") },
	  "price: must be an amount such as 12.34, from 0 to 1000000.00" },
	{ "price 1e3 demo", LISTING_DEMO, OKT, "", NULL, "beauty", NULL, NULL, NULL, NULL, 0, 0, 1,
	  { SDEMO("1e3", "1") }, "" },
	{ "price empty", LISTING_FORM, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1, { SP("") },
	  "v0.price: must be an amount such as 12.34, from 0.00 to 1000000.00" },
	{ "price blank-led", LISTING_FORM, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1, { SP(" 1.00") },
	  "v0.price: must be an amount such as 12.34, from 0.00 to 1000000.00" },
	{ "price huge", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1,
	  { SP("99999999999999999999999999") }, "price: must be an amount such as 12.34, from 0 to 1000000.00" },
	{ "price max", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1, { SP("1000000.00") }, "" },
	{ "price over max demo", LISTING_DEMO, OKT, "", NULL, "beauty", NULL, NULL, NULL, NULL, 0, 0, 1,
	  { SDEMO("1000000.01", "1") }, "price: must be a number >= 0 with at most 2 decimals, at most 1000000" },
	{ "price cents -1 api", LISTING_API, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1,
	  { { "A-1", NULL, NULL, NULL, -1, 0, 0, LISTING_PRICE, 0, NULL, NULL, NULL, NULL } },
	  /* (sic: the API has always said "LL", from STR(ITEM_PRICE_MAX)) */
	  "skus[0].price: must be a whole number of cents from 0 to 100000000LL" },
	{ "price cents max api", LISTING_API, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1,
	  { { "A-1", NULL, NULL, NULL, ITEM_PRICE_MAX, 0, 0, LISTING_PRICE, 0, NULL, NULL, NULL, NULL } }, "" },
	{ "price of an existing sku kept", LISTING_API, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1,
	  { { "A-1", NULL, NULL, NULL, 0, 0, 0, 0, 1, NULL, NULL, NULL, NULL } }, "" },

	/* Weights and quantities. */
	{ "weight abc", LISTING_FORM, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1,
	  { { "A-1", "1", "abc", NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL } },
	  "v0.weight: must be a whole number of grams from 0 to 1000000" },
	{ "weight blank is 0", LISTING_FORM, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1,
	  { { "A-1", "1", "", NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL } }, "" },
	{ "weight -1 api", LISTING_API, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1,
	  { { "A-1", NULL, NULL, NULL, 100, -1, 0, LISTING_PRICE | LISTING_WEIGHT, 0, NULL, NULL, NULL, NULL } },
	  "skus[0].weightGrams: must be a whole number of grams from 0 to 1000000" },
	{ "weight over bulk", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1,
	  { { "A-1", "1", "1000001", NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL } },
	  "weight_grams: must be a whole number from 0 to 1000000" },
	{ "qty -1 form", LISTING_FORM, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1,
	  { { "A-1", "1", NULL, "-1", 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL } },
	  "v0.qty: must be a whole number from 0 to 1000000" },
	{ "qty max bulk", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1,
	  { { "A-1", "1", NULL, "1000000", 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL } }, "" },
	{ "qty over api", LISTING_API, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1,
	  { { "A-1", NULL, NULL, NULL, 100, 0, 1000001, LISTING_PRICE | LISTING_QTY, 0, NULL, NULL, NULL, NULL } },
	  "skus[0].quantity: must be a whole number from 0 to 1000000" },
	{ "stock missing demo", LISTING_DEMO, OKT, "", NULL, "beauty", NULL, NULL, NULL, NULL, 0, 0, 1,
	  { SDEMO("1", NULL) }, "stock: is required" },
	{ "stock not a number demo", LISTING_DEMO, OKT, "", NULL, "beauty", NULL, NULL, NULL, NULL, 0, 0, 1,
	  { SDEMO("1", "") }, "stock: must be a whole number from 0 to 1000000" },

	/* Options. */
	{ "options the same", LISTING_API, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 2,
	  { { "A-1", NULL, NULL, NULL, 1, 0, 0, LISTING_PRICE, 0, "Color", "Red", NULL, NULL },
	    { "A-2", NULL, NULL, NULL, 1, 0, 0, LISTING_PRICE, 0, "Color", "Red", NULL, NULL } },
	  "skus[1].options: are the same as another variant's" },
	{ "options needed", LISTING_FORM, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 2,
	  { { "A-1", "1", NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL },
	    { "A-2", "1", NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL } },
	  "v1.options: are needed: with several variants, give each an option (such as a color)" },
	{ "option value empty", LISTING_API, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1,
	  { { "A-1", NULL, NULL, NULL, 1, 0, 0, LISTING_PRICE, 0, "Color", "", NULL, NULL } },
	  "skus[0].options: for Color must be 1 to 40 characters of text" },
	{ "option name 41", LISTING_API, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 1,
	  { { "A-1", NULL, NULL, NULL, 1, 0, 0, LISTING_PRICE, 0, "*41:n", "x", NULL, NULL } },
	  "skus[0].options: must be 1 to 40 characters of text" },
	{ "four option names", LISTING_API, OKT, NULL, NULL, CAT, NULL, NULL, NULL, NULL, 0, 1, 2,
	  { { "A-1", NULL, NULL, NULL, 1, 0, 0, LISTING_PRICE, 0, "Color", "Red", "Size", "M" },
	    { "A-2", NULL, NULL, NULL, 1, 0, 0, LISTING_PRICE, 0, "Fit", "Slim", "Sleeve", "Long" } },
	  "skus[1].options: may use at most 3 option names over the whole item" },
	{ "bulk option half", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1,
	  { { "A-1", "1", NULL, NULL, 0, 0, 0, 0, 0, "Color", NULL, NULL, NULL } },
	  "option1_value: is required when the other half of the option is given" },
	{ "bulk option value 41", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1,
	  { { "A-1", "1", NULL, NULL, 0, 0, 0, 0, 0, "Color", "*41:v", NULL, NULL } },
	  "option1_value: must be at most 40 characters long" },
	{ "bulk option twice", LISTING_BULK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1,
	  { { "A-1", "1", NULL, NULL, 0, 0, 0, 0, 0, "Color", "Red", "Color", "Blue" } },
	  "option2_name: names an option twice" },

	/* The whole item. */
	{ "active without skus", LISTING_API, OKT, NULL, NULL, CAT, "active", NULL, NULL, NULL, 0, 1, 0, { S1API },
	  "skus: are needed: an active item has at least one active variant" },
	{ "draft without skus", LISTING_FORM, OKT, NULL, NULL, CAT, "draft", NULL, NULL, NULL, 0, 1, 0, { S1 }, "" },

	/* Every problem at once, in order. */
	{ "several", LISTING_FORM, "", "a\x01", NULL, NULL, "sold", NULL, NULL, NULL, 0, 1, 1,
	  { { "", "x", NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL } },
	  "title: is required; description: must be valid text; category: is required; "
	  "status: must be draft, active or archived; v0.code: is required; "
	  "v0.price: must be an amount such as 12.34, from 0.00 to 1000000.00" },
};

static void fill_sku(struct arena *a, enum listing_dialect d, const struct sku_case *c, int row,
		     struct listing_sku *s)
{
	struct listing_option *o = arena_calloc(a, 2, sizeof(*o));

	memset(s, 0, sizeof(*s));
	s->row = row;
	s->code = expand(a, c->code);
	s->existing = c->existing;
	s->price_text = c->price;
	s->weight_text = c->weight;
	s->qty_text = c->qty;
	s->price = c->cents;
	s->weight = c->grams;
	s->quantity = c->units;
	s->has = c->has | (c->price ? LISTING_PRICE : 0) | (c->weight ? LISTING_WEIGHT : 0) | (c->qty ? LISTING_QTY : 0);
	if (c->o1n || c->o1v)
		o[s->noptions++] = (struct listing_option){ expand(a, c->o1n), expand(a, c->o1v) };
	if (c->o2n || c->o2v)
		o[s->noptions++] = (struct listing_option){ expand(a, c->o2n), expand(a, c->o2v) };
	s->options = o;
	(void)d;
}

START_TEST(listing_rules)
{
	const struct listing_case *c = &cases[_i];
	struct arena *a = arena_new(64 * 1024);
	struct listing_errors errs;
	struct listing_option attrs[32];
	struct listing_sku skus[2];
	struct listing l;
	char got[2048] = "";
	size_t len = 0;
	int n;

	ck_assert_ptr_nonnull(a);
	memset(&l, 0, sizeof(l));
	errs.n = 0;
	l.title = expand(a, c->title);
	l.description = expand(a, c->desc);
	l.brand = expand(a, c->brand);
	l.category = c->cat;
	l.status = c->status;
	l.status_now = c->status_now;
	l.whole = c->whole;
	if (c->a1n) {
		attrs[0] = (struct listing_option){ expand(a, c->a1n), expand(a, c->a1v) };
		l.nattributes = 1;
	}
	for (int i = 0; i < c->nattrs; i++)
		attrs[l.nattributes++] = (struct listing_option){ arena_printf(a, "Attr %d", i), "value" };
	l.attributes = attrs;
	for (int i = 0; i < c->nsku; i++)
		fill_sku(a, c->d, &c->sku[i], i, &skus[i]);
	l.skus = skus;
	l.nskus = c->nsku;
	n = listing_check(a, c->d, &l, &errs);
	ck_assert_int_eq(n, errs.n);
	for (int i = 0; i < errs.n; i++)
		len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%s: %s", i ? "; " : "", errs.v[i].field,
					errs.v[i].message);
	ck_assert_msg(!strcmp(got, c->want), "%s:\n got  \"%s\"\n want \"%s\"", c->name, got, c->want);
	arena_destroy(a);
}
END_TEST

/* The numbers typed are parsed into the SKU; labels are the form's words. */
START_TEST(parsed_and_labelled)
{
	struct arena *a = arena_new(16 * 1024);
	struct listing_sku s = { .row = 3, .code = "A-1", .price_text = "12.3", .weight_text = "250",
				 .qty_text = "7", .has = LISTING_PRICE | LISTING_WEIGHT | LISTING_QTY };
	struct listing l = { .title = "x", .category = "mens-shirts", .skus = &s, .nskus = 1, .whole = 1 };
	struct listing_errors errs = { 0 };

	ck_assert_int_eq(listing_check(a, LISTING_FORM, &l, &errs), 1);
	ck_assert_str_eq(errs.v[0].field, "title");
	ck_assert_str_eq(errs.v[0].label, "Title");
	ck_assert_int_eq(s.price, 1230);
	ck_assert_int_eq(s.weight, 250);
	ck_assert_int_eq(s.quantity, 7);
	s.price_text = "bad";
	errs.n = 0;
	l.title = "Linen shirt";
	ck_assert_int_eq(listing_check(a, LISTING_FORM, &l, &errs), 1);
	ck_assert_str_eq(errs.v[0].field, "v3.price");
	ck_assert_str_eq(errs.v[0].label, "Price");
	ck_assert_str_eq(listing_sku_field(a, LISTING_API, &s, "quantity"), "skus[3].quantity");
	ck_assert_str_eq(listing_sku_field(a, LISTING_BULK, &s, "price"), "price");
	s.row = -1;
	ck_assert_str_eq(listing_sku_field(a, LISTING_API, &s, "quantity"), "quantity");
	arena_destroy(a);
}
END_TEST

/* More variants than an item may have. */
START_TEST(too_many_skus)
{
	struct arena *a = arena_new(64 * 1024);
	struct listing_sku s[ITEM_SKUS_MAX + 1];
	struct listing_option o[ITEM_SKUS_MAX + 1];
	struct listing l = { .title = "Linen shirt", .category = "mens-shirts", .skus = s, .whole = 1 };
	struct listing_errors errs = { 0 };

	memset(s, 0, sizeof(s));
	for (int i = 0; i <= ITEM_SKUS_MAX; i++) {
		o[i] = (struct listing_option){ "Size", arena_printf(a, "%d", i) };
		s[i] = (struct listing_sku){ .row = i, .code = arena_printf(a, "S-%d", i), .price = 100,
					     .has = LISTING_PRICE, .options = &o[i], .noptions = 1 };
	}
	l.nskus = ITEM_SKUS_MAX;
	ck_assert_int_eq(listing_check(a, LISTING_API, &l, &errs), 0);
	l.nskus = ITEM_SKUS_MAX + 1;
	ck_assert_int_eq(listing_check(a, LISTING_API, &l, &errs), 1);
	ck_assert_str_eq(errs.v[0].field, "skus");
	ck_assert_str_eq(errs.v[0].message, "are too many: an item has at most 50");
	/* Skipped (removed, inactive) SKUs do not count. */
	errs.n = 0;
	s[0].skip = 1;
	ck_assert_int_eq(listing_check(a, LISTING_API, &l, &errs), 0);
	arena_destroy(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("listing");
	TCase *tc = tcase_create("rules");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, money, 0, (int)N(money_cases));
	tcase_add_test(tc, money_null);
	tcase_add_loop_test(tc, text_lengths, 0, (int)N(text_cases));
	tcase_add_test(tc, whole_numbers);
	tcase_add_loop_test(tc, sku_codes, 0, (int)N(code_cases));
	tcase_add_loop_test(tc, listing_rules, 0, (int)N(cases));
	tcase_add_test(tc, parsed_and_labelled);
	tcase_add_test(tc, too_many_skus);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
