/* Unit tests: CSV cells of the exports (app/reports/csv.c): RFC 4180
 * quoting, the formula-injection guard (= + - @ TAB CR first), money as
 * decimals with the currency's exponent. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../app/core/buf.h"
#include "../../app/reports/csv.h"

struct cell_case {
	const char *in, *want;
};

static const struct cell_case cells[] = {
	{ "plain", "plain" },
	{ "", "" },
	{ "a,b", "\"a,b\"" },
	{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
	{ "two\nlines", "\"two\nlines\"" },
	{ "=SUM(A1:A9)", "\"'=SUM(A1:A9)\"" },
	{ "+1 555", "\"'+1 555\"" },
	{ "-2+3", "\"'-2+3\"" },
	{ "@cmd", "\"'@cmd\"" },
	{ "\t=1", "\"'\t=1\"" },
	{ "\r=1", "\"'\r=1\"" },
	{ "=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"" },
	{ "a=b", "a=b" },	/* only the first character can start a formula */
	{ "Café ☕", "Café ☕" },
};

START_TEST(cell_table)
{
	struct buf b;

	buf_init(&b, NULL, 16);
	csv_cell(&b, cells[_i].in);
	ck_assert_str_eq(b.len ? b.p : "", cells[_i].want);
	buf_free(&b);
}
END_TEST

START_TEST(null_is_empty)
{
	struct buf b;

	buf_init(&b, NULL, 16);
	csv_cell(&b, NULL);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

START_TEST(money_and_ints)
{
	struct buf b;

	buf_init(&b, NULL, 16);
	csv_money(&b, -1234, 2);
	buf_putc(&b, ' ');
	csv_money(&b, 5, 2);
	buf_putc(&b, ' ');
	csv_money(&b, 500, 0);
	buf_putc(&b, ' ');
	csv_money(&b, INT64_MIN, 2);
	buf_putc(&b, ' ');
	csv_int(&b, -7);
	ck_assert_str_eq(b.p, "-12.34 0.05 500 -92233720368547758.08 -7");
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("csv");
	TCase *t = tcase_create("csv");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(t, cell_table, 0, (int)(sizeof(cells) / sizeof(cells[0])));
	tcase_add_test(t, null_is_empty);
	tcase_add_test(t, money_and_ints);
	suite_add_tcase(s, t);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
