/* Unit tests: the payout period's boundary (app/payouts): weekly periods
 * end on Mondays at 00:00 UTC, whatever the process's time zone; a moment
 * on a boundary belongs to the period it starts. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include "../../app/payouts/payouts.h"

START_TEST(weekly_ends_on_mondays)
{
	/* 2026-12-05 22:00:00 UTC, a Saturday ▶ Monday 2026-11-30 00:00. */
	ck_assert_int_eq(payouts_boundary(1796508000LL), 1795996800LL);
	/* Monday 2026-11-30 00:00:00 exactly is its own boundary ... */
	ck_assert_int_eq(payouts_boundary(1795996800LL), 1795996800LL);
	/* ... and a second before it is in the week before. */
	ck_assert_int_eq(payouts_boundary(1795996799LL), 1795996800LL - 604800);
	/* Sunday 2026-12-06 23:59:59 is still the week of Monday the 30th. */
	ck_assert_int_eq(payouts_boundary(1796601599LL), 1795996800LL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("payouts_period");
	TCase *t = tcase_create("payouts_period");
	SRunner *sr;
	int failed;

	unsetenv("SHOP_PAYOUT_PERIOD");
	setenv("TZ", "America/New_York", 1);
	payouts_init();
	tcase_add_test(t, weekly_ends_on_mondays);
	suite_add_tcase(s, t);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
