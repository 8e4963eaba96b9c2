/* Unit tests for the pure parts of the catalog importer: exact price parsing,
 * slugs, the stock split, the category tree, time parsing. The database side
 * is exercised end to end by `shopctl import` against a real server. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../app/seller/import.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- prices from text ---- */

static const struct {
	const char *text;
	int ok;
	int64_t cents;
} price_cases[] = {
	{ "9.99", 1, 999 },
	{ "0", 1, 0 },
	{ "0.0", 1, 0 },
	{ "0.00000", 1, 0 },
	{ "0e5", 1, 0 },
	{ "10", 1, 1000 },
	{ "10.5", 1, 1050 },
	{ "1.50", 1, 150 },
	{ "1.500", 1, 150 },		/* trailing zeros are not decimals */
	{ "0.01", 1, 1 },
	{ "1.5e1", 1, 1500 },
	{ "15E-1", 1, 150 },
	{ "1e2", 1, 10000 },
	{ "1E+2", 1, 10000 },
	{ "1.0e-2", 1, 1 },
	{ "36999.99", 1, 3699999 },
	{ "999999999.99", 1, CATALOG_PRICE_MAX_CENTS },
	{ "1000000000", 0, 0 },		/* over the maximum */
	{ "1e12", 0, 0 },
	{ "1e100000000", 0, 0 },
	{ "99999999999999999999999", 0, 0 },
	{ "1.999", 0, 0 },		/* three decimals */
	{ "0.001", 0, 0 },
	{ "1e-3", 0, 0 },
	{ "0.30000000000000004", 0, 0 },
	{ "-1", 0, 0 },
	{ "-0", 0, 0 },
	{ "+1", 0, 0 },
	{ ".5", 0, 0 },
	{ "5.", 0, 0 },
	{ "01", 0, 0 },
	{ "", 0, 0 },
	{ "abc", 0, 0 },
	{ "1e", 0, 0 },
	{ "1e+", 0, 0 },
	{ " 1", 0, 0 },
	{ "1 ", 0, 0 },
	{ "0x10", 0, 0 },
	{ "NaN", 0, 0 },
	{ "1,5", 0, 0 },
};

START_TEST(test_parse_price)
{
	int64_t cents = -1;
	enum err e = catalog_parse_price(price_cases[_i].text, &cents);

	if (price_cases[_i].ok) {
		ck_assert_msg(e == E_OK, "\"%s\" rejected", price_cases[_i].text);
		ck_assert_int_eq(cents, price_cases[_i].cents);
	} else {
		ck_assert_msg(e == E_INVAL, "\"%s\" accepted as %lld", price_cases[_i].text,
			      (long long)cents);
	}
}
END_TEST

START_TEST(test_parse_price_null)
{
	int64_t cents;

	ck_assert_int_eq(catalog_parse_price(NULL, &cents), E_INVAL);
}
END_TEST

/* ---- prices from jansson's doubles ---- */

static const struct {
	double d;
	int ok;
	int64_t cents;
} double_cases[] = {
	{ 9.99, 1, 999 },
	{ 0.29, 1, 29 },	/* 0.29 * 100 == 28.999999999999996 */
	{ 4.35, 1, 435 },	/* 4.35 * 100 == 434.99999999999994 */
	{ 1.1, 1, 110 },
	{ 19.99, 1, 1999 },
	{ 1099.99, 1, 109999 },
	{ 36999.99, 1, 3699999 },
	{ 15.0, 1, 1500 },
	{ 0.0, 1, 0 },
	{ -0.0, 1, 0 },
	{ 999999999.99, 1, CATALOG_PRICE_MAX_CENTS },
	{ 1.005, 0, 0 },
	{ 0.1 + 0.2, 0, 0 },
	{ -0.01, 0, 0 },
	{ 1e12, 0, 0 },
	{ 1e300, 0, 0 },
	{ 1e-5, 0, 0 },
};

START_TEST(test_price_from_double)
{
	int64_t cents = -1;
	enum err e = catalog_price_from_double(double_cases[_i].d, &cents);

	if (double_cases[_i].ok) {
		ck_assert_msg(e == E_OK, "%.17g rejected", double_cases[_i].d);
		ck_assert_int_eq(cents, double_cases[_i].cents);
	} else {
		ck_assert_msg(e == E_INVAL, "%.17g accepted as %lld", double_cases[_i].d,
			      (long long)cents);
	}
}
END_TEST

START_TEST(test_price_from_double_special)
{
	int64_t cents;

	ck_assert_int_eq(catalog_price_from_double(NAN, &cents), E_INVAL);
	ck_assert_int_eq(catalog_price_from_double(INFINITY, &cents), E_INVAL);
	ck_assert_int_eq(catalog_price_from_double(-INFINITY, &cents), E_INVAL);
}
END_TEST

/* Every price with two decimals, written in a file and read by strtod (as
 * jansson does), comes back as exactly its cents: cents / 100.0 is that same
 * correctly rounded double. Small prices exhaustively, large ones sampled. */
START_TEST(test_price_roundtrip_property)
{
	int64_t c, got;
	unsigned seed = 12345;
	int i;

	for (c = 0; c <= 300000; c++) {
		ck_assert_int_eq(catalog_price_from_double((double)c / 100.0, &got), E_OK);
		if (got != c)
			ck_abort_msg("%lld cents came back as %lld", (long long)c, (long long)got);
	}
	for (i = 0; i < 200000; i++) {
		seed = seed * 1103515245u + 12345u;
		c = ((int64_t)seed << 16 ^ (int64_t)(seed >> 7)) % (CATALOG_PRICE_MAX_CENTS + 1);
		if (c < 0)
			c = -c;
		ck_assert_int_eq(catalog_price_from_double((double)c / 100.0, &got), E_OK);
		if (got != c)
			ck_abort_msg("%lld cents came back as %lld", (long long)c, (long long)got);
	}
}
END_TEST

START_TEST(test_number_text)
{
	char buf[40];

	catalog_number_text(15.14, buf, sizeof(buf));
	ck_assert_str_eq(buf, "15.14");
	catalog_number_text(4, buf, sizeof(buf));
	ck_assert_str_eq(buf, "4");
	catalog_number_text(2.25, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2.25");
	catalog_number_text(0.1 + 0.2, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0.30000000000000004");
}
END_TEST

/* ---- slugs ---- */

static const struct {
	const char *title;
	size_t max;
	const char *slug;
} slug_cases[] = {
	{ "Essence Mascara Lash Princess", 150, "essence-mascara-lash-princess" },
	{ "Dior J'adore", 150, "dior-j-adore" },
	{ "  --Hello,  World!!-- ", 150, "hello-world" },
	{ "100% Cotton T-Shirt", 150, "100-cotton-t-shirt" },
	{ "iPhone 13 Pro", 150, "iphone-13-pro" },
	{ "Caf\xC3\xA9 Cr\xC3\xA8me", 150, "caf-cr-me" },	/* non-ASCII is a separator */
	{ "ABC", 150, "abc" },
	{ "a", 150, "a" },
	{ "!!!", 150, "" },
	{ "", 150, "" },
	{ "abc def", 5, "abc-d" },
	{ "abc def", 4, "abc" },	/* never ends in '-' */
	{ "abc def", 3, "abc" },
	{ "abcdef", 3, "abc" },
};

START_TEST(test_slugify)
{
	char out[200];
	size_t n = catalog_slugify(slug_cases[_i].title, out, slug_cases[_i].max);

	ck_assert_str_eq(out, slug_cases[_i].slug);
	ck_assert_uint_eq(n, strlen(slug_cases[_i].slug));
}
END_TEST

START_TEST(test_slugify_long)
{
	char title[1001], out[151], out64[65];
	size_t n, n64;

	for (int i = 0; i < 1000; i++)
		title[i] = i % 7 == 6 ? ' ' : 'A' + i % 26;
	title[1000] = '\0';
	n = catalog_slugify(title, out, 150);
	ck_assert_uint_le(n, 150);
	ck_assert_uint_ge(n, 149);		/* cut at the bound, not short of it */
	ck_assert_uint_eq(strlen(out), n);
	ck_assert(out[0] != '-' && out[n - 1] != '-');
	ck_assert_ptr_null(strstr(out, "--"));
	ck_assert_uint_eq(strspn(out, "abcdefghijklmnopqrstuvwxyz0123456789-"), n);
	ck_assert_int_eq(strncmp(out, "abcdef-hijklm-opqrst-", 21), 0);
	/* At the length a slug may have (catalog_slug_valid caps at 64): a
	 * valid slug, the start of the longer one. */
	n64 = catalog_slugify(title, out64, 64);
	ck_assert_uint_ge(n64, 63);
	ck_assert_uint_le(n64, 64);
	ck_assert(catalog_slug_valid(out64));
	ck_assert_int_eq(strncmp(out, out64, n64), 0);
}
END_TEST

/* ---- stock split ---- */

START_TEST(test_stock_split_table)
{
	static const int64_t t[][3] = {
		{ 0, 0, 0 }, { 1, 1, 0 }, { 2, 2, 0 }, { 3, 2, 1 }, { 5, 3, 2 },
		{ 99, 60, 39 }, { 100, 60, 40 }, { 1000000000, 600000000, 400000000 },
	};
	int64_t e, w;

	for (size_t i = 0; i < N(t); i++) {
		catalog_stock_split(t[i][0], &e, &w);
		ck_assert_int_eq(e, t[i][1]);
		ck_assert_int_eq(w, t[i][2]);
	}
}
END_TEST

/* east + west == stock, both >= 0, east == ceil(0.6 * stock) exactly. */
START_TEST(test_stock_split_property)
{
	int64_t s, e, w;

	for (s = 0; s <= 200000; s++) {
		catalog_stock_split(s, &e, &w);
		if (e + w != s || e < 0 || w < 0 || e * 5 < s * 3 || (e - 1) * 5 >= s * 3)
			ck_abort_msg("stock %lld split as %lld + %lld", (long long)s,
				     (long long)e, (long long)w);
	}
}
END_TEST

START_TEST(test_rank_score)
{
	ck_assert_int_eq(catalog_rank_score(256, 3, 99), 1024 + 30 + 99);
	ck_assert_int_eq(catalog_rank_score(500, 100, 1000), 2000 + 500 + 100);
	ck_assert_int_eq(catalog_rank_score(0, 0, 0), 0);
	/* Reviews count up to 50 and stock up to 100, no further. */
	ck_assert_int_eq(catalog_rank_score(400, 60, 500), catalog_rank_score(400, 50, 100));
	ck_assert_int_gt(catalog_rank_score(400, 10, 5), catalog_rank_score(400, 9, 5));
}
END_TEST

/* ---- categories ---- */

static const struct {
	const char *slug, *name, *parent;
} cat_cases[] = {
	{ "beauty", "Beauty", "beauty-personal-care" },
	{ "fragrances", "Fragrances", "beauty-personal-care" },
	{ "skin-care", "Skin Care", "beauty-personal-care" },
	{ "mens-shirts", "Men's Shirts", "fashion" },
	{ "mens-shoes", "Men's Shoes", "fashion" },
	{ "mens-watches", "Men's Watches", "fashion" },
	{ "tops", "Tops", "fashion" },
	{ "womens-dresses", "Women's Dresses", "fashion" },
	{ "womens-shoes", "Women's Shoes", "fashion" },
	{ "womens-watches", "Women's Watches", "fashion" },
	{ "womens-bags", "Women's Bags", "fashion" },
	{ "womens-jewellery", "Women's Jewellery", "fashion" },
	{ "sunglasses", "Sunglasses", "fashion" },
	{ "smartphones", "Smartphones", "electronics" },
	{ "laptops", "Laptops", "electronics" },
	{ "tablets", "Tablets", "electronics" },
	{ "mobile-accessories", "Mobile Accessories", "electronics" },
	{ "furniture", "Furniture", "home-kitchen" },
	{ "home-decoration", "Home Decoration", "home-kitchen" },
	{ "kitchen-accessories", "Kitchen Accessories", "home-kitchen" },
	{ "groceries", "Groceries", "food-drink" },
	{ "motorcycle", "Motorcycles", "vehicles" },
	{ "vehicle", "Cars", "vehicles" },
	{ "sports-accessories", "Sports Accessories", "sports-outdoors" },
};

START_TEST(test_category_known)
{
	struct catalog_category k;

	ck_assert_int_eq(catalog_category_map(cat_cases[_i].slug, &k), E_OK);
	ck_assert_int_eq(k.known, 1);
	ck_assert_str_eq(k.name, cat_cases[_i].name);
	ck_assert_str_eq(k.parent_slug, cat_cases[_i].parent);
	ck_assert_int_ge(k.position, 1);
	ck_assert(catalog_slug_valid(k.parent_slug));
}
END_TEST

/* Positions are 1..n within each department, and departments are 1..7 in
 * the order of the design. */
START_TEST(test_category_positions)
{
	static const char *const dept[] = {
		"beauty-personal-care", "fashion", "electronics", "home-kitchen",
		"food-drink", "vehicles", "sports-outdoors",
	};
	static const char *const names[] = {
		"Beauty & Personal Care", "Fashion", "Electronics", "Home & Kitchen",
		"Food & Drink", "Vehicles", "Sports & Outdoors",
	};
	static const int children[] = { 3, 10, 4, 3, 1, 2, 1 };
	struct catalog_category k;

	for (size_t d = 0; d < N(dept); d++) {
		int seen[16] = { 0 }, n = 0;

		for (size_t i = 0; i < N(cat_cases); i++) {
			catalog_category_map(cat_cases[i].slug, &k);
			if (strcmp(k.parent_slug, dept[d]) != 0)
				continue;
			ck_assert_str_eq(k.parent_name, names[d]);
			ck_assert_int_eq(k.parent_position, (int)d + 1);
			ck_assert(k.position >= 1 && k.position <= children[d]);
			ck_assert_int_eq(seen[k.position]++, 0);
			n++;
		}
		ck_assert_int_eq(n, children[d]);
	}
}
END_TEST

START_TEST(test_category_unknown)
{
	struct catalog_category k;

	ck_assert_int_eq(catalog_category_map("garden-tools", &k), E_OK);
	ck_assert_int_eq(k.known, 0);
	ck_assert_str_eq(k.parent_slug, "other");
	ck_assert_str_eq(k.parent_name, "Other");
	ck_assert_str_eq(k.name, "Garden Tools");
	ck_assert_int_eq(catalog_category_map("x9", &k), E_OK);
	ck_assert_str_eq(k.name, "X9");
}
END_TEST

START_TEST(test_category_invalid)
{
	static const char *const bad[] = {
		"", "Bad Cat", "Beauty", "-x", "x-", "a--b", "a_b", "caf\xC3\xA9",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",	/* 65 */
	};
	struct catalog_category k;

	for (size_t i = 0; i < N(bad); i++)
		ck_assert_msg(catalog_category_map(bad[i], &k) == E_INVAL, "\"%s\" accepted", bad[i]);
	ck_assert_int_eq(catalog_category_map(NULL, &k), E_INVAL);
}
END_TEST

START_TEST(test_sku_valid)
{
	ck_assert(catalog_sku_valid("BEA-ESS-ESS-001"));
	ck_assert(catalog_sku_valid("a_b-C9"));
	ck_assert(catalog_sku_valid("x"));
	ck_assert(!catalog_sku_valid(""));
	ck_assert(!catalog_sku_valid("AB CD"));
	ck_assert(!catalog_sku_valid("AB/CD"));
	ck_assert(!catalog_sku_valid("caf\xC3\xA9"));
	ck_assert(catalog_sku_valid("1234567890123456789012345678901234567890123456789012345678901234"));
	ck_assert(!catalog_sku_valid("12345678901234567890123456789012345678901234567890123456789012345"));
}
END_TEST

/* ---- times ---- */

static const struct {
	const char *in, *out;	/* out NULL: rejected */
} time_cases[] = {
	{ "2025-04-30T09:41:02.053Z", "2025-04-30 09:41:02.053" },
	{ "2025-04-30T09:41:02Z", "2025-04-30 09:41:02.000" },
	{ "2025-04-30T09:41:02.5Z", "2025-04-30 09:41:02.500" },
	{ "2025-04-30T09:41:02.123456Z", "2025-04-30 09:41:02.123" },
	{ "2025-04-30 09:41:02", "2025-04-30 09:41:02.000" },
	{ "2025-04-30T09:41Z", "2025-04-30 09:41:00.000" },
	{ "2025-04-30", "2025-04-30 00:00:00.000" },
	{ "2025-01-02T03:04:05+02:00", "2025-01-02 01:04:05.000" },
	{ "2025-01-01T01:00:00+0230", "2024-12-31 22:30:00.000" },
	{ "2024-12-31T23:30:00-01:00", "2025-01-01 00:30:00.000" },
	{ "2024-02-29T00:00:00Z", "2024-02-29 00:00:00.000" },
	{ "2000-02-29T00:00:00Z", "2000-02-29 00:00:00.000" },
	{ "2023-02-29T00:00:00Z", NULL },
	{ "1900-02-29T00:00:00Z", NULL },
	{ "2025-13-01T00:00:00Z", NULL },
	{ "2025-00-01T00:00:00Z", NULL },
	{ "2025-04-31T00:00:00Z", NULL },
	{ "2025-04-30T24:00:00Z", NULL },
	{ "2025-04-30T23:60:00Z", NULL },
	{ "2025-04-30T23:59:60Z", NULL },
	{ "2025-04-30T09:41:02.Z", NULL },
	{ "2025-04-30T09:41:02Zjunk", NULL },
	{ "2025-4-30", NULL },
	{ "yesterday", NULL },
	{ "", NULL },
	{ "0999-12-31T00:00:00Z", NULL },	/* before DATETIME */
};

START_TEST(test_parse_time)
{
	char out[24];
	enum err e = catalog_parse_time(time_cases[_i].in, out);

	if (time_cases[_i].out) {
		ck_assert_msg(e == E_OK, "\"%s\" rejected", time_cases[_i].in);
		ck_assert_str_eq(out, time_cases[_i].out);
	} else {
		ck_assert_msg(e == E_INVAL, "\"%s\" accepted as %s", time_cases[_i].in, out);
	}
}
END_TEST

static Suite *import_suite(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("pure");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_parse_price, 0, N(price_cases));
	tcase_add_test(tc, test_parse_price_null);
	tcase_add_loop_test(tc, test_price_from_double, 0, N(double_cases));
	tcase_add_test(tc, test_price_from_double_special);
	tcase_add_test(tc, test_price_roundtrip_property);
	tcase_add_test(tc, test_number_text);
	tcase_add_loop_test(tc, test_slugify, 0, N(slug_cases));
	tcase_add_test(tc, test_slugify_long);
	tcase_add_test(tc, test_stock_split_table);
	tcase_add_test(tc, test_stock_split_property);
	tcase_add_test(tc, test_rank_score);
	tcase_add_loop_test(tc, test_category_known, 0, N(cat_cases));
	tcase_add_test(tc, test_category_positions);
	tcase_add_test(tc, test_category_unknown);
	tcase_add_test(tc, test_category_invalid);
	tcase_add_test(tc, test_sku_valid);
	tcase_add_loop_test(tc, test_parse_time, 0, N(time_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(import_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
