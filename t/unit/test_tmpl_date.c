/* Unit tests: the template's date and datetime filters ("5 Dec 2026",
 * "5 Dec 2026, 14:05 UTC") over every form of timestamp the shop writes,
 * and reals in {{json:}} printed short (2.51, not 2.5099999999999998). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../../app/core/buf.h"
#include "../../app/view/tmpl.h"

static const char *const vocab[] = { "at", "x", NULL };

struct when_case {
	const char *src, *model, *want;
};

static const struct when_case cases[] = {
	{ "{{date:at}}", "{\"at\":\"2026-12-05\"}", "5 Dec 2026" },
	{ "{{date:at}}", "{\"at\":\"2026-12-05T14:05:09Z\"}", "5 Dec 2026" },
	{ "{{date:at}}", "{\"at\":\"2026-01-31 23:59:59.123\"}", "31 Jan 2026" },
	{ "{{datetime:at}}", "{\"at\":\"2026-12-05T14:05:09Z\"}", "5 Dec 2026, 14:05 UTC" },
	{ "{{datetime:at}}", "{\"at\":\"2026-07-09 04:07:00\"}", "9 Jul 2026, 04:07 UTC" },
	/* a date alone has no time to print */
	{ "{{datetime:at}}", "{\"at\":\"2026-12-05\"}", "5 Dec 2026" },
	/* Unix seconds, in UTC whatever the process's zone */
	{ "{{date:at}}", "{\"at\":0}", "1 Jan 1970" },
	{ "{{datetime:at}}", "{\"at\":1796479500}", "5 Dec 2026, 14:05 UTC" },
	{ "{{datetime:at}}", "{\"at\":951782400}", "29 Feb 2000, 00:00 UTC" },
	{ "{{date:at}}", "{\"at\":-86400}", "31 Dec 1969" },
	{ "{{date:at}}", "{\"at\":253402300799}", "31 Dec 9999" },
	{ "[{{date:at}}]", "{\"at\":-9223372036854775808}", "[-9223372036854775808]" },
	{ "[{{date:at}}]", "{\"at\":253402300800}", "[253402300800]" },
	/* not a timestamp: printed as text, escaped */
	{ "[{{date:at}}]", "{\"at\":\"soon <b>\"}", "[soon &lt;b&gt;]" },
	{ "[{{date:at}}]", "{\"at\":\"2026-13-05\"}", "[2026-13-05]" },
	{ "[{{date:at}}]", "{\"at\":\"2026-12-00\"}", "[2026-12-00]" },
	{ "[{{date:at}}]", "{\"at\":\"2026-1\"}", "[2026-1]" },
	{ "[{{date:at}}]", "{}", "[]" },
	{ "[{{date:at}}]", "{\"at\":null}", "[]" },
	{ "{{#x}}{{date:.}} {{/x}}", "{\"x\":[\"2026-12-05\",\"2027-03-01\"]}", "5 Dec 2026 1 Mar 2027 " },
	/* reals in JSON as people write them */
	{ "{{json:x}}", "{\"x\":2.51}", "2.51" },
	{ "{{json:x}}", "{\"x\":{\"ratingValue\":4.67}}", "{\"ratingValue\":4.67}" },
};

START_TEST(when_table)
{
	const struct when_case *c = &cases[_i];
	struct tmpl_set *s = tmpl_set_new(vocab);
	char err[256] = "";
	json_t *m = json_loads(c->model, 0, NULL);
	struct buf b;

	ck_assert_ptr_nonnull(m);
	buf_init(&b, NULL, 0);
	ck_assert_msg(tmpl_compile_string(s, "t", c->src, err, sizeof(err)) == E_OK, "%s", err);
	ck_assert_int_eq(tmpl_render(s, "t", m, &b), E_OK);
	ck_assert_msg(!strcmp(b.p, c->want), "%s with %s: got '%s', want '%s'", c->src, c->model, b.p, c->want);
	buf_free(&b);
	json_decref(m);
	tmpl_free(s);
}
END_TEST

START_TEST(when_ignores_process_zone)
{
	struct tmpl_set *s = tmpl_set_new(vocab);
	char err[256] = "";
	json_t *m = json_pack("{s:I}", "at", (json_int_t)1796479500);
	struct buf b;

	setenv("TZ", "Pacific/Kiritimati", 1);
	tzset();
	buf_init(&b, NULL, 0);
	ck_assert_int_eq(tmpl_compile_string(s, "t", "{{datetime:at}}", err, sizeof(err)), E_OK);
	ck_assert_int_eq(tmpl_render(s, "t", m, &b), E_OK);
	ck_assert_str_eq(b.p, "5 Dec 2026, 14:05 UTC");
	buf_free(&b);
	json_decref(m);
	tmpl_free(s);
	unsetenv("TZ");
	tzset();
}
END_TEST

START_TEST(unknown_filter_still_refused)
{
	struct tmpl_set *s = tmpl_set_new(vocab);
	char err[256] = "";

	ck_assert_int_eq(tmpl_compile_string(s, "t", "{{dates:at}}", err, sizeof(err)), E_TEMPLATE);
	ck_assert_ptr_nonnull(strstr(err, "unknown filter 'dates'"));
	tmpl_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tmpl_date");
	TCase *t = tcase_create("tmpl_date");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(t, when_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(t, when_ignores_process_zone);
	tcase_add_test(t, unknown_filter_still_refused);
	suite_add_tcase(s, t);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
