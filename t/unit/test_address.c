/* Unit tests: the address book's rules (country codes, postal codes by
 * country, regions, whole-address checks), and the address templates
 * compiled with the names their pages' models set and rendered. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../app/core/arena.h"
#include "../../app/core/buf.h"
#include "../../app/view/tmpl.h"
#include "../../app/account/address.h"
#include "../../app/module.h"

extern const struct module account_module;

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- the browser's country ---- */

static const struct { const char *al, *want; } lang_cases[] = {
	{ "de-DE,de;q=0.9,en;q=0.8", "DE" },
	{ "en-GB", "GB" },
	{ "en-us;q=0.2, de-at;q=0.9", "AT" },	/* by q, not by place */
	{ "fr;q=0.5, en-US", "US" },
	{ "de", NULL },				/* no region */
	{ "es-419", NULL },			/* a region, not a country */
	{ "zh-Hant-TW", "TW" },			/* after a script subtag */
	{ "xx-ZZ, pt-BR;q=0.1", "BR" },		/* ZZ is no country */
	{ "de-DE;q=0, fr-FR", "FR" },		/* q=0: not wanted */
	{ "", NULL },
	{ NULL, NULL },
};

START_TEST(country_from_language)
{
	const char *got = address_country_from_language(lang_cases[_i].al);

	if (!lang_cases[_i].want)
		ck_assert_msg(got == NULL, "%s: %s", lang_cases[_i].al ? lang_cases[_i].al : "(null)", got);
	else
		ck_assert_msg(got && !strcmp(got, lang_cases[_i].want), "%s: %s", lang_cases[_i].al, got ? got : "(null)");
}
END_TEST

/* ---- country ---- */

struct code_case {
	const char *country;	/* for postal and region cases */
	const char *in;
	const char *want;	/* stored form, or NULL when refused */
	const char *msg;	/* expected message start when refused (NULL: any) */
};

static const struct code_case country_cases[] = {
	{ NULL, "US", "US", NULL },
	{ NULL, "us", "US", NULL },
	{ NULL, " de ", "DE", NULL },
	{ NULL, "Gb", "GB", NULL },
	{ NULL, "AD", "AD", NULL },		/* first in the list */
	{ NULL, "ZW", "ZW", NULL },		/* last */
	{ NULL, "AX", "AX", NULL },
	{ NULL, "SS", "SS", NULL },		/* South Sudan, 2011 */
	{ NULL, "UK", NULL, "is not an ISO 3166-1 country code" },	/* GB is the code */
	{ NULL, "XX", NULL, "is not an ISO 3166-1 country code" },
	{ NULL, "USA", NULL, "is not an ISO 3166-1 country code" },
	{ NULL, "U", NULL, "is not an ISO 3166-1 country code" },
	{ NULL, "U1", NULL, "is not an ISO 3166-1 country code" },
	{ NULL, "ÜS", NULL, "is not an ISO 3166-1 country code" },
	{ NULL, "", NULL, "is required" },
	{ NULL, "   ", NULL, "is required" },
	{ NULL, NULL, NULL, "is required" },
	{ NULL, "a very long value that is not a country at all", NULL, "is not an ISO" },
};

static void check_code(const struct code_case *t, const char *m, const char *out, const char *what)
{
	if (t->want) {
		ck_assert_msg(m == NULL, "%s %s '%s': refused: %s", what, t->country ? t->country : "",
			      t->in ? t->in : "(null)", m);
		ck_assert_str_eq(out, t->want);
	} else {
		ck_assert_msg(m != NULL, "%s %s '%s': accepted as '%s'", what, t->country ? t->country : "",
			      t->in ? t->in : "(null)", out);
		if (t->msg)
			ck_assert_msg(!strncmp(m, t->msg, strlen(t->msg)), "%s '%s': message '%s', want '%s...'",
				      what, t->in ? t->in : "(null)", m, t->msg);
	}
}

START_TEST(country_table)
{
	const struct code_case *t = &country_cases[_i];
	char out[3] = "";

	check_code(t, address_check_country(t->in, out, sizeof(out)), out, "country");
}
END_TEST

/* Every officially assigned code is known, and nothing else: of the 676
 * two-letter pairs, exactly 249. */
START_TEST(country_list_complete)
{
	char code[3] = "AA";
	int known = 0;

	for (code[0] = 'A'; code[0] <= 'Z'; code[0]++)
		for (code[1] = 'A'; code[1] <= 'Z'; code[1]++)
			known += address_country_known(code);
	ck_assert_int_eq(known, 249);
	ck_assert(!address_country_known("us"));	/* exact codes only */
	ck_assert(!address_country_known("EU"));
	ck_assert(!address_country_known(NULL));
}
END_TEST

/* ---- postal codes ---- */

static const struct code_case postal_cases[] = {
	{ "US", "12345", "12345", NULL },
	{ "US", " 12345 ", "12345", NULL },
	{ "US", "12345-6789", "12345-6789", NULL },
	{ "US", "1234", NULL, "is not a valid US ZIP code" },
	{ "US", "123456", NULL, "is not a valid US ZIP code" },
	{ "US", "12345-678", NULL, "is not a valid US ZIP code" },
	{ "US", "12345 6789", NULL, "is not a valid US ZIP code" },
	{ "US", "ABCDE", NULL, "is not a valid US ZIP code" },
	{ "US", "123456789012345678901234", NULL, "is not a valid US ZIP code" },
	{ "US", "", NULL, "is required" },
	{ "CA", "K1A 0B1", "K1A 0B1", NULL },
	{ "CA", "k1a0b1", "K1A 0B1", NULL },
	{ "CA", "M5V 3L9", "M5V 3L9", NULL },
	{ "CA", "K1A  0B1", NULL, "is not a valid Canadian postal code" },
	{ "CA", "D1A 1A1", NULL, "is not a valid Canadian postal code" },	/* D never used */
	{ "CA", "W1A 1A1", NULL, "is not a valid Canadian postal code" },	/* W never first */
	{ "CA", "K1A 0B", NULL, "is not a valid Canadian postal code" },
	{ "CA", "12345", NULL, "is not a valid Canadian postal code" },
	{ "GB", "SW1A 1AA", "SW1A 1AA", NULL },		/* AA9A */
	{ "GB", "sw1a1aa", "SW1A 1AA", NULL },
	{ "GB", "W1A 0AX", "W1A 0AX", NULL },		/* A9A */
	{ "GB", "M1 1AE", "M1 1AE", NULL },		/* A9 */
	{ "GB", "B33 8TH", "B33 8TH", NULL },		/* A99 */
	{ "GB", "CR2 6XH", "CR2 6XH", NULL },		/* AA9 */
	{ "GB", "DN55 1PT", "DN55 1PT", NULL },		/* AA99 */
	{ "GB", "EC1A 1BB", "EC1A 1BB", NULL },
	{ "GB", "GIR 0AA", "GIR 0AA", NULL },
	{ "GB", "SW1A 1AC", NULL, "is not a valid UK postcode" },	/* C never inward */
	{ "GB", "Q1 1AA", NULL, "is not a valid UK postcode" },
	{ "GB", "SW 1A1AA", NULL, "is not a valid UK postcode" },
	{ "GB", "SW1A 1A", NULL, "is not a valid UK postcode" },
	{ "GB", "SW1AB 1AA", NULL, "is not a valid UK postcode" },
	{ "GB", "12345", NULL, "is not a valid UK postcode" },
	{ "DE", "10115", "10115", NULL },
	{ "DE", "1011", NULL, "is not a valid German postal code" },
	{ "DE", "1011A", NULL, "is not a valid German postal code" },
	{ "FR", "75001", "75001", NULL },
	{ "FR", "750011", NULL, "is not a valid French postal code" },
	{ "IT", "00184", "00184", NULL },
	{ "ES", "28013", "28013", NULL },
	{ "ES", "2801", NULL, "is not a valid Spanish postal code" },
	{ "NL", "1012 AB", "1012 AB", NULL },
	{ "NL", "1012ab", "1012 AB", NULL },
	{ "NL", "0123 AB", NULL, "is not a valid Dutch postal code" },
	{ "NL", "1012 A1", NULL, "is not a valid Dutch postal code" },
	{ "NL", "1012", NULL, "is not a valid Dutch postal code" },
	{ "AU", "2000", "2000", NULL },
	{ "AU", "200", NULL, "is not a valid Australian postcode" },
	{ "AU", "20000", NULL, "is not a valid Australian postcode" },
	{ "JP", "100-0001", "100-0001", NULL },
	{ "JP", "1000001", "100-0001", NULL },
	{ "JP", "100-001", NULL, "is not a valid Japanese postal code" },
	{ "JP", "1000-001", NULL, "is not a valid Japanese postal code" },
	{ "IN", "110001", "110001", NULL },
	{ "IN", "011000", NULL, "is not a valid Indian PIN code" },
	{ "IN", "11000", NULL, "is not a valid Indian PIN code" },
	{ "SE", "114 55", "114 55", NULL },
	{ "BR", "01310-100", "01310-100", NULL },
	{ "IE", "d02 x285", "D02 X285", NULL },
	{ "NZ", "6011", "6011", NULL },
	{ "SE", "1", NULL, "must be 2 to 10" },
	{ "SE", "12345678901", NULL, "must be 2 to 10" },
	{ "SE", "12#45", NULL, "must be 2 to 10" },
	{ "SE", "", NULL, "is required" },
};

START_TEST(postal_table)
{
	const struct code_case *t = &postal_cases[_i];
	char out[ADDRESS_POSTAL_MAX + 1] = "";

	check_code(t, address_check_postal(t->country, t->in, out, sizeof(out)), out, "postal");
}
END_TEST

/* ---- regions ---- */

static const char long_region[] =
	"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789X";

static const struct code_case region_cases[] = {
	{ "US", "NY", "NY", NULL },
	{ "US", "ny", "NY", NULL },
	{ "US", " ca ", "CA", NULL },
	{ "US", "DC", "DC", NULL },
	{ "US", "PR", "PR", NULL },
	{ "US", "AE", "AE", NULL },		/* military mail */
	{ "US", "WY", "WY", NULL },
	{ "US", "", NULL, "is required for US addresses" },
	{ "US", NULL, NULL, "is required for US addresses" },
	{ "US", "XX", NULL, "is not a US state or territory code" },
	{ "US", "ON", NULL, "is not a US state or territory code" },
	{ "US", "New York", "NY", NULL },	/* a state typed as its name (issue 15, bug 3) */
	{ "US", " california ", "CA", NULL },
	{ "US", "Californ", NULL, "is not a US state or territory code" },
	{ "US", "Ontario", NULL, "is not a US state or territory code" },
	{ "CA", "Quebec", "QC", NULL },
	{ "CA", "on", "ON", NULL },
	{ "CA", "QC", "QC", NULL },
	{ "CA", "YT", "YT", NULL },
	{ "CA", "", NULL, "is required for Canadian addresses" },
	{ "CA", "NY", NULL, "is not a Canadian province or territory code" },
	{ "GB", "", "", NULL },
	{ "GB", NULL, "", NULL },
	{ "GB", "  Greater London ", "Greater London", NULL },
	{ "DE", "Bayern", "Bayern", NULL },
	{ "DE", long_region, NULL, "must be at most 100" },
	{ NULL, "anything", "anything", NULL },
};

START_TEST(region_table)
{
	const struct code_case *t = &region_cases[_i];
	char out[ADDRESS_REGION_MAX + 1] = "";

	check_code(t, address_check_region(t->country, t->in, out, sizeof(out)), out, "region");
}
END_TEST

/* ---- whole addresses ---- */

static struct arena *A;

static void arena_setup(void)
{
	A = arena_new(4096);
	ck_assert_ptr_nonnull(A);
}

static void arena_teardown(void)
{
	arena_destroy(A);
}

static const char *errors_of(struct address *ad)
{
	struct address_errors errs;

	address_check(A, ad, &errs);
	return address_errors_text(A, &errs);
}

START_TEST(whole_address_normalised)
{
	struct address ad = { " Ann Example ", "1 Main St", NULL, "Springfield", "il", "62701 ", "us" };
	struct address ca = { "B", "1 Rue", "Apt 2", "Ottawa", "on", "k1a0b1", "CA" };
	/* Region is free text (and optional) outside the US and Canada. */
	struct address gb = { "C", "10 Downing St", "", "London", "", "sw1a2aa", "gb" };
	struct address_errors errs;

	ck_assert_int_eq(address_check(A, &ad, &errs), 0);
	ck_assert_str_eq(ad.name, "Ann Example");
	ck_assert_str_eq(ad.line2, "");
	ck_assert_str_eq(ad.region, "IL");
	ck_assert_str_eq(ad.postal_code, "62701");
	ck_assert_str_eq(ad.country, "US");
	ck_assert_int_eq(address_check(A, &ca, &errs), 0);
	ck_assert_str_eq(ca.postal_code, "K1A 0B1");
	ck_assert_str_eq(ca.line2, "Apt 2");
	ck_assert_int_eq(address_check(A, &gb, &errs), 0);
	ck_assert_str_eq(gb.postal_code, "SW1A 2AA");
	ck_assert_str_eq(gb.region, "");
}
END_TEST

struct whole_case {
	struct address ad;
	const char *want;	/* address_errors_text */
};

static const char long_line[] =
	"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
	"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789X";

static const struct whole_case whole_cases[] = {
	{ { "A", "1 Main St", "", "Town", "NY", "1234", "US" },
	  "postalCode: is not a valid US ZIP code (12345 or 12345-6789)" },
	{ { "A", "1 Main St", "", "Town", "", "12345", "US" },
	  "region: is required for US addresses (the two-letter state code, such as NY)" },
	{ { "A", "1 Main St", "", "Town", "", "12345", "ZZ" },
	  "country: is not an ISO 3166-1 country code (two letters, such as US or DE)" },
	{ { "A", "1 Main St", "", "Town", "", "", "ZZ" },
	  "postalCode: is required; country: is not an ISO 3166-1 country code (two letters, such as US or DE)" },
	{ { "   ", "1 Main St", "", "Town", "", "10115", "DE" }, "name: is required" },
	{ { NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	  "name: is required; line1: is required; city: is required; postalCode: is required; country: is required" },
	{ { "A", long_line, "", "Town", "", "10115", "DE" }, "line1: must be at most 200 characters long" },
	{ { "A", "1 Main St", "", "To\x01wn", "", "10115", "DE" }, "city: must not contain control characters" },
	{ { "A", "1 Main St", "", "Town", "XX", "A1A", "CA" },
	  "region: is not a Canadian province or territory code (two letters, such as ON); "
	  "postalCode: is not a valid Canadian postal code (A1A 1A1)" },
};

START_TEST(whole_address_errors)
{
	struct address ad = whole_cases[_i].ad;

	ck_assert_str_eq(errors_of(&ad), whole_cases[_i].want);
}
END_TEST

START_TEST(error_fields_are_api_names)
{
	struct address ad = { "A", "1", "", "T", "", "x", "US" };
	struct address_errors errs;

	ck_assert_int_eq(address_check(A, &ad, &errs), 2);
	ck_assert_str_eq(errs.v[0].field, "region");
	ck_assert_str_eq(errs.v[1].field, "postalCode");
}
END_TEST

/* ---- templates ---- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s (run from the project root)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

/* The names the address pages' models set (app/account/module.c): the edit
 * page's and the account page's, which includes the list partial. */
static const char *const *address_names(void)
{
	static const char *v[256];
	size_t n = 0;

	for (size_t i = 0; i < account_module.ntemplates; i++) {
		const struct tmpl_page *p = &account_module.templates[i];

		if (strcmp(p->name, "address_edit") && strcmp(p->name, "account"))
			continue;
		for (size_t j = 0; p->names[j] && n < 255; j++)
			v[n++] = p->names[j];
	}
	v[n] = NULL;
	return v;
}

static struct tmpl_set *load_templates(void)
{
	struct tmpl_set *set = tmpl_set_new(address_names());
	char err[512] = "";
	char *edit = slurp("templates/address_edit.html"), *list = slurp("templates/partials/addresses.html");

	ck_assert_ptr_nonnull(set);
	ck_assert_msg(tmpl_compile_string(set, "address_edit", edit, err, sizeof(err)) == E_OK, "%s", err);
	ck_assert_msg(tmpl_compile_string(set, "addresses", list, err, sizeof(err)) == E_OK, "%s", err);
	free(edit);
	free(list);
	return set;
}

#define HAS(s, x) ck_assert_msg(strstr((s), (x)) != NULL, "lacks %s in:\n%s", (x), (s))
#define LACKS(s, x) ck_assert_msg(strstr((s), (x)) == NULL, "has %s in:\n%s", (x), (s))

START_TEST(list_partial_renders)
{
	struct tmpl_set *set = load_templates();
	struct buf b;
	json_t *m = json_pack("{s:s, s:[{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b},"
			      "{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}]}", "csrf", "TOK",
			      "addresses",
			      "id", 7, "name", "Ann <A>", "line1", "1 Main St", "line2", "", "city", "Town",
			      "region", "NY", "postalCode", "12345", "country", "US", "isDefault", 1,
			      "id", 9, "name", "Bob", "line1", "2 High St", "line2", "Flat 3", "city", "London",
			      "region", "", "postalCode", "SW1A 1AA", "country", "GB", "isDefault", 0);

	buf_init(&b, NULL, 0);
	ck_assert_int_eq(tmpl_render(set, "addresses", m, &b), E_OK);
	HAS(b.p, "Ann &lt;A&gt;");
	HAS(b.p, "Town, NY 12345");
	HAS(b.p, "London SW1A 1AA");
	HAS(b.p, "Flat 3<br>");
	HAS(b.p, "href=\"/account/addresses/7\"");
	HAS(b.p, "action=\"/account/addresses/9/default\"");
	LACKS(b.p, "action=\"/account/addresses/7/default\"");	/* already the default */
	HAS(b.p, "action=\"/account/addresses/7/delete\"");
	HAS(b.p, "name=\"csrf\" value=\"TOK\"");
	HAS(b.p, "action=\"/account/addresses\" class=\"stack-form narrow\"");
	LACKS(b.p, "no saved addresses");
	buf_reset(&b);
	json_object_set_new(m, "addresses", json_array());
	ck_assert_int_eq(tmpl_render(set, "addresses", m, &b), E_OK);
	HAS(b.p, "You have no saved addresses yet.");
	json_decref(m);
	buf_free(&b);
	tmpl_free(set);
}
END_TEST

START_TEST(edit_page_renders_errors_and_values)
{
	struct tmpl_set *set = load_templates();
	struct buf b;
	json_t *m = json_pack("{s:s, s:b, s:{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b},"
			      "s:[{s:s, s:s}], s:{s:s}}", "csrf", "TOK", "isNew", 0,
			      "address", "id", 5, "name", "Ann", "line1", "1 Main St", "line2", "",
			      "city", "Town", "region", "NY", "postalCode", "1234\"", "country", "US",
			      "isDefault", 0, "makeDefault", 1,
			      "errors", "field", "postalCode", "message", "Postal code is not a valid US ZIP code",
			      "fieldErrors", "postalCode", "Postal code is not a valid US ZIP code");

	buf_init(&b, NULL, 0);
	ck_assert_int_eq(tmpl_render(set, "address_edit", m, &b), E_OK);
	HAS(b.p, "<h1>Edit address</h1>");
	HAS(b.p, "action=\"/account/addresses/5\"");
	HAS(b.p, "<li><a href=\"#ad-postalCode\">Postal code is not a valid US ZIP code</a></li>");
	HAS(b.p, "id=\"ad-postalCode-err\">Postal code is not a valid US ZIP code</p>");
	HAS(b.p, "value=\"1234&quot;\" aria-invalid=\"true\" aria-describedby=\"ad-postalCode-err\"");
	LACKS(b.p, "ad-name-err");
	HAS(b.p, "value=\"1\" checked>");
	buf_reset(&b);
	json_object_set_new(m, "isNew", json_true());
	json_object_del(m, "errors");
	json_object_del(m, "fieldErrors");
	json_object_set_new(m, "error", json_pack("{s:s}", "message", "You can keep up to 50 addresses."));
	ck_assert_int_eq(tmpl_render(set, "address_edit", m, &b), E_OK);
	HAS(b.p, "<h1>Add an address</h1>");
	HAS(b.p, "action=\"/account/addresses\" class");
	HAS(b.p, "role=\"alert\">You can keep up to 50 addresses.</p>");
	LACKS(b.p, "aria-invalid");
	json_decref(m);
	buf_free(&b);
	tmpl_free(set);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("address");
	TCase *rules = tcase_create("rules"), *whole = tcase_create("whole"), *views = tcase_create("views");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(rules, country_table, 0, N(country_cases));
	tcase_add_test(rules, country_list_complete);
	tcase_add_loop_test(rules, country_from_language, 0, N(lang_cases));
	tcase_add_loop_test(rules, postal_table, 0, N(postal_cases));
	tcase_add_loop_test(rules, region_table, 0, N(region_cases));
	suite_add_tcase(s, rules);

	tcase_add_checked_fixture(whole, arena_setup, arena_teardown);
	tcase_add_test(whole, whole_address_normalised);
	tcase_add_loop_test(whole, whole_address_errors, 0, N(whole_cases));
	tcase_add_test(whole, error_fields_are_api_names);
	suite_add_tcase(s, whole);

	tcase_add_test(views, list_partial_renders);
	tcase_add_test(views, edit_page_renders_errors_and_values);
	suite_add_tcase(s, views);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
