/* Unit tests: what shoppers write (app/reviews/ugc.c): cleaning (controls,
 * bidi overrides, blank lines), the automatic checks (links, contact
 * details, the word list, shouting), the reasons' codes, fingerprints and
 * display names. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "../../app/core/arena.h"
#include "../../app/reviews/ugc.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static struct arena *a;

static void setup(void)
{
	a = arena_new(4096);
	ck_assert_ptr_nonnull(a);
}

static void teardown(void)
{
	arena_destroy(a);
}

/* ---- cleaning ---- */

static const struct {
	const char *in, *want;
} clean_cases[] = {
	{ "plain", "plain" },
	{ "  padded  \n\n", "padded" },
	{ "a\r\nb\rc", "a\nb\nc" },
	{ "a\n\n\n\n\nb", "a\n\nb" },			/* at most one blank line */
	{ "tab\there", "tab here" },
	{ "bell\x07 and nul-less \x1b[31m", "bell and nul-less [31m" },
	{ "\xe2\x80\xae" "exe.gnp", "exe.gnp" },	/* RLO */
	{ "a\xe2\x80\xaa" "b\xe2\x80\xab" "c\xe2\x80\xac" "d\xe2\x80\xad" "e", "abcde" },	/* LRE RLE PDF LRO */
	{ "x\xe2\x81\xa6" "y\xe2\x81\xa7" "z\xe2\x81\xa8" "w\xe2\x81\xa9", "xyzw" },	/* isolates */
	{ "zero\xe2\x80\x8bwidth", "zerowidth" },
	{ "\xef\xbb\xbf" "bom", "bom" },
	{ "c1\xc2\x85" "x", "c1x" },
	{ "<script>alert(1)</script>", "<script>alert(1)</script>" },	/* markup stays; escaped when shown */
	{ "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac" },
	{ "", "" },
};

START_TEST(clean_table)
{
	char *out = ugc_clean(a, clean_cases[_i].in);

	ck_assert_ptr_nonnull(out);
	ck_assert_msg(!strcmp(out, clean_cases[_i].want), "case %d: got \"%s\"", _i, out);
}
END_TEST

START_TEST(clean_null)
{
	ck_assert_str_eq(ugc_clean(a, NULL), "");
}
END_TEST

/* ---- the checks ---- */

static const struct {
	const char *title, *body;
	unsigned want;
} check_cases[] = {
	{ "Great", "Works as described, 4.5 stars, e.g. for tea.", 0 },
	{ NULL, "see http://spam.example", UGC_LINK },
	{ NULL, "HTTPS://X.Y", UGC_LINK },
	{ NULL, "go to www.deals", UGC_LINK },
	{ NULL, "cheapbags.com has it", UGC_LINK },
	{ "visit shop.io", NULL, UGC_LINK },
	{ NULL, "mail me: ann@example.org", UGC_CONTACT | UGC_LINK },	/* its domain is a link too */
	{ NULL, "mail me: ann@example", 0 },		/* no dot, no address */
	{ NULL, "call +1 (555) 123-4567", UGC_CONTACT },
	{ NULL, "order 12345678 arrived", 0 },		/* eight digits: not a phone */
	{ NULL, "dimensions 30 x 40 cm", 0 },
	{ NULL, "Best CASINO in town", UGC_WORDS },
	{ NULL, "casinos", 0 },				/* whole words only */
	{ NULL, "whatsapp me now", UGC_WORDS },
	{ NULL, "THIS IS TERRIBLE DO NOT BUY", UGC_SHOUTING },
	{ "OK", "Fine", 0 },				/* too few letters to shout */
	{ "USB HDMI", "Adapter for TV and PC works", 0 },
	{ "LOUD", "VERY LOUD INDEED casino", UGC_SHOUTING | UGC_WORDS },
};

START_TEST(check_table)
{
	unsigned got = ugc_check_text(check_cases[_i].title, check_cases[_i].body);

	ck_assert_msg(got == check_cases[_i].want, "case %d: got %u, want %u", _i, got, check_cases[_i].want);
}
END_TEST

START_TEST(reasons_codes)
{
	json_t *j;
	char *s;

	ck_assert_str_eq(ugc_reasons(a, 0), "");
	ck_assert_str_eq(ugc_reasons(a, UGC_LINK | UGC_RATE), "link,rate");
	ck_assert_str_eq(ugc_reasons(a, UGC_CONTACT | UGC_WORDS | UGC_SHOUTING | UGC_DUPLICATE),
			 "contact,words,shouting,duplicate");
	ck_assert_uint_eq(ugc_reasons_parse("link,rate"), UGC_LINK | UGC_RATE);
	ck_assert_uint_eq(ugc_reasons_parse("bogus,duplicate"), UGC_DUPLICATE);
	ck_assert_uint_eq(ugc_reasons_parse(""), 0);
	ck_assert_uint_eq(ugc_reasons_parse(NULL), 0);
	j = ugc_reasons_json(UGC_SHOUTING | UGC_LINK);
	s = json_dumps(j, JSON_COMPACT);
	ck_assert_str_eq(s, "[\"link\",\"shouting\"]");
	free(s);
	json_decref(j);
	ck_assert_str_eq(ugc_reason_text("link"), "contains a link");
	ck_assert_str_eq(ugc_reason_text("unknown"), "unknown");
}
END_TEST

START_TEST(fingerprints)
{
	const char *f1 = ugc_fingerprint(a, "Great product!!", "Love it."), *f2, *f3, *f4;

	ck_assert_uint_eq(strlen(f1), 64);
	f2 = ugc_fingerprint(a, "great PRODUCT", "love   it");
	f3 = ugc_fingerprint(a, "Great product", "Hate it.");
	f4 = ugc_fingerprint(a, "Great productLove", "it");	/* title and body stay apart */
	ck_assert_str_eq(f1, f2);
	ck_assert_str_ne(f1, f3);
	ck_assert_str_ne(f1, f4);
	ck_assert_str_eq(ugc_fingerprint(a, NULL, "x"), ugc_fingerprint(a, "", "x"));
}
END_TEST

START_TEST(display_names)
{
	ck_assert_str_eq(ugc_display_name(a, "Ada Lovelace"), "Ada L.");
	ck_assert_str_eq(ugc_display_name(a, "  Ada   King  Lovelace "), "Ada L.");
	ck_assert_str_eq(ugc_display_name(a, "Cher"), "Cher");
	ck_assert_str_eq(ugc_display_name(a, ""), "A shopper");
	ck_assert_str_eq(ugc_display_name(a, NULL), "A shopper");
	ck_assert_str_eq(ugc_display_name(a, "Zoë Ämmälä"), "Zoë Ä.");	/* a whole UTF-8 initial */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ugc");
	TCase *tc = tcase_create("ugc");
	SRunner *sr;
	int failed;

	if (sodium_init() < 0)
		return 1;
	ugc_init();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, clean_table, 0, N(clean_cases));
	tcase_add_test(tc, clean_null);
	tcase_add_loop_test(tc, check_table, 0, N(check_cases));
	tcase_add_test(tc, reasons_codes);
	tcase_add_test(tc, fingerprints);
	tcase_add_test(tc, display_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
