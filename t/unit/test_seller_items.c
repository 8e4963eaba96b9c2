/* Unit tests for the pure rules of the seller's item forms: the exact price
 * parser (typed "12.34", stored as cents, no floating point) and the SKU
 * code rule of app/seller/limits.h. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include "../../app/seller/limits.h"
#include "../../app/seller/items.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *text;
	int ok;
	int64_t cents;
} price_cases[] = {
	{ "12.34", 1, 1234 },
	{ "12.3", 1, 1230 },
	{ "12", 1, 1200 },
	{ "0", 1, 0 },
	{ "0.00", 1, 0 },
	{ "0.01", 1, 1 },
	{ "007.50", 1, 750 },
	{ "1000000.00", 1, ITEM_PRICE_MAX },
	{ "1000000", 1, ITEM_PRICE_MAX },
	{ "0.29", 1, 29 },		/* 0.29 * 100 is 28.999... in a double */
	{ "1.005", 0, 0 },		/* three decimals */
	{ "1000000.01", 0, 0 },		/* over the maximum */
	{ "99999999999999999999", 0, 0 },
	{ "-1", 0, 0 },
	{ "+1", 0, 0 },
	{ "1.", 0, 0 },
	{ ".5", 0, 0 },
	{ "", 0, 0 },
	{ " 1", 0, 0 },
	{ "1 ", 0, 0 },
	{ "1,50", 0, 0 },
	{ "1e2", 0, 0 },
	{ "0x10", 0, 0 },
	{ "1.2.3", 0, 0 },
	{ "NaN", 0, 0 },
};

START_TEST(price_parsing)
{
	int64_t v = -7;
	int rc = items_parse_price(price_cases[_i].text, &v);

	ck_assert_msg((rc == 0) == price_cases[_i].ok, "\"%s\": rc %d", price_cases[_i].text, rc);
	if (price_cases[_i].ok)
		ck_assert_int_eq(v, price_cases[_i].cents);
}
END_TEST

START_TEST(price_null)
{
	int64_t v;

	ck_assert_int_eq(items_parse_price(NULL, &v), -1);
}
END_TEST

static const struct {
	const char *code;
	int ok;
} code_cases[] = {
	{ "A", 1 },
	{ "WS-123-M", 1 },
	{ "sku_1.2", 1 },
	{ "9lives", 1 },
	{ "-lead", 0 },
	{ ".lead", 0 },
	{ "_lead", 0 },
	{ "", 0 },
	{ "has space", 0 },
	{ "slash/no", 0 },
	{ "ümlaut", 0 },
	{ "1234567890123456789012345678901234567890123456789012345678901234", 1 },	/* 64 */
	{ "12345678901234567890123456789012345678901234567890123456789012345", 0 },	/* 65 */
};

START_TEST(sku_codes)
{
	ck_assert_msg(items_sku_code_ok(code_cases[_i].code) == code_cases[_i].ok, "\"%s\"", code_cases[_i].code);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seller-items");
	TCase *tc = tcase_create("rules");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, price_parsing, 0, (int)N(price_cases));
	tcase_add_test(tc, price_null);
	tcase_add_loop_test(tc, sku_codes, 0, (int)N(code_cases));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
