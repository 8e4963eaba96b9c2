/* Unit tests: prices in the shopper's currency (app/fx/fx.h): fixed-point
 * rates, conversion and its rounding per currency (JPY has no minor unit),
 * the way back for ledgers, the default currency from Accept-Language, the
 * ECB file's parser, and the money filter's digits agreeing with
 * fx_exponent. No database. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "../../app/core/arena.h"
#include "../../app/core/buf.h"
#include "../../app/fx/fx.h"
#include "../../app/view/escape.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct { const char *in; int64_t want; } parse_cases[] = {
	{ "1", 10000000000 },
	{ "1.0867", 10867000000 },
	{ " 161.87 ", 1618700000000 },
	{ "0.85", 8500000000 },
	{ "0.00000000005", 1 },		/* the 11th decimal rounds half away from zero */
	{ "0.00000000004", -1 },	/* rounds to zero: not a rate */
	{ "1.123456789049", 11234567890 },
	{ "1.123456789050", 11234567891 },
	{ "0", -1 }, { "", -1 }, { "-1.2", -1 }, { "1e3", -1 }, { "1.2.3", -1 }, { "abc", -1 },
	{ "N/A", -1 }, { ".", -1 }, { "100000001", -1 }, { "100000000", 1000000000000000000 },
};

START_TEST(parse_table)
{
	int64_t r;
	int rc = fx_rate_parse(parse_cases[_i].in, &r);

	if (parse_cases[_i].want < 0)
		ck_assert_msg(rc == -1, "%s parsed", parse_cases[_i].in);
	else {
		ck_assert_msg(rc == 0, "%s refused", parse_cases[_i].in);
		ck_assert_int_eq(r, parse_cases[_i].want);
	}
}
END_TEST

START_TEST(rate_text)
{
	char b[32];

	ck_assert_str_eq(fx_rate_text(9202171800, b, sizeof(b)), "0.9202171800");
	ck_assert_str_eq(fx_rate_text(1495950000000, b, sizeof(b)), "149.5950000000");
}
END_TEST

/* amount in USD cents, currency, rate (FX_SCALE) ▶ the currency's minor units */
static const struct { int64_t usd; const char *cur; int64_t rate, want; } conv_cases[] = {
	{ 1999, "USD", 9202171800, 1999 },		/* the shop's own: unchanged */
	{ 1999, "EUR", 9202171800, 1840 },		/* 1839.514... ▶ 1840 */
	{ 1000, "EUR", 9200000000, 920 },
	{ 5, "EUR", 9000000000, 5 },			/* 4.5 ▶ 5: half away from zero */
	{ -5, "EUR", 9000000000, -5 },			/* -4.5 ▶ -5: a credit mirrors the charge */
	{ 15, "EUR", 10000000000 / 3, 5 },		/* 4.99999... ▶ 5 */
	{ 1999, "JPY", 1495950000000, 2990 },		/* 19.99 x 149.595 = 2990.40 yen ▶ 2990 */
	{ 1950, "JPY", 1500000000000, 2925 },		/* 2925.0 */
	{ 1, "JPY", 1500000000000, 2 },			/* 1.5 ▶ 2 */
	{ 1, "JPY", 1490000000000, 1 },			/* 1.49 ▶ 1 */
	{ 0, "GBP", 7900000000, 0 },
	{ 100000000000, "JPY", 1495950000000, 149595000000 },	/* a billion dollars: no overflow */
	{ 1999, "EUR", 0, 1999 },			/* no rate: unchanged, never zero */
};

START_TEST(convert_table)
{
	ck_assert_int_eq(fx_convert(conv_cases[_i].usd, conv_cases[_i].cur, conv_cases[_i].rate),
			 conv_cases[_i].want);
}
END_TEST

START_TEST(back_to_shop)
{
	/* The ledgers' way back (fx_to_shop) at the order's rate text lands
	 * within half a cent of the original for every price up to $100. */
	char rt[32];

	fx_rate_text(9202171800, rt, sizeof(rt));
	for (int64_t c = 0; c <= 10000; c++) {
		int64_t eur = fx_convert(c, "EUR", 9202171800), back = fx_to_shop(eur, "EUR", rt);

		ck_assert_msg(back - c <= 1 && c - back <= 1, "%lld ▶ %lld ▶ %lld", (long long)c, (long long)eur,
			      (long long)back);
	}
	ck_assert_int_eq(fx_to_shop(2990, "JPY", "149.5950000000"), 1999);
}
END_TEST

/* Price filter bounds (issue 19, X): the shop amounts kept by a bound are
 * exactly those whose converted price is inside it, for every amount up
 * to $30 at EUR, JPY, GBP and a currency worth more than a dollar. */
START_TEST(bounds_keep_what_is_shown)
{
	static const struct { const char *cur; int64_t rate; } r[] = {
		{ "EUR", 9202171800 }, { "JPY", 1495950000000 }, { "GBP", 7910000000 }, { "KWD", 3070000000 },
		{ "EUR", 10000000000 / 3 },
	};

	for (size_t k = 0; k < sizeof(r) / sizeof(r[0]); k++) {
		for (int64_t b = 0; b <= 4000; b += 13) {
			int64_t lo = fx_bound_to_shop(b, r[k].cur, r[k].rate, 0);
			int64_t hi = fx_bound_to_shop(b, r[k].cur, r[k].rate, 1);

			for (int64_t p = 0; p <= 3000; p++) {
				int64_t shown = fx_convert(p, r[k].cur, r[k].rate);

				if ((p >= lo) != (shown >= b) || (p <= hi) != (shown <= b))
					ck_abort_msg("%s bound %lld: $%lld shows %lld; lower %lld, upper %lld", r[k].cur,
						     (long long)b, (long long)p, (long long)shown, (long long)lo,
						     (long long)hi);
			}
		}
	}
	/* The shop's own currency and no rate: as typed. */
	ck_assert_int_eq(fx_bound_to_shop(2500, "USD", 9202171800, 0), 2500);
	ck_assert_int_eq(fx_bound_to_shop(2500, "EUR", 0, 1), 2500);
	/* Huge bounds neither overflow nor lose the order. */
	ck_assert_int_eq(fx_bound_to_shop(INT64_C(100000000000), "JPY", 1495950000000, 1) > 0, 1);
	ck_assert_int_eq(fx_bound_to_shop(INT64_C(100000000000), "EUR", 1, 0), FX_BOUND_CAP);
}
END_TEST

START_TEST(typed_and_text)
{
	char b[32];

	ck_assert_int_eq(fx_typed_minor(2550, "EUR"), 2550);
	ck_assert_int_eq(fx_typed_minor(150000, "JPY"), 1500);
	ck_assert_int_eq(fx_typed_minor(150050, "JPY"), 1501);	/* 1500.50 yen: half away from zero */
	ck_assert_int_eq(fx_typed_minor(150049, "JPY"), 1500);
	ck_assert_str_eq(fx_amount_text(2550, "EUR", b, sizeof(b)), "25.50");
	ck_assert_str_eq(fx_amount_text(5, "USD", b, sizeof(b)), "0.05");
	ck_assert_str_eq(fx_amount_text(1500, "JPY", b, sizeof(b)), "1500");
}
END_TEST

START_TEST(from_price_partial_lists)
{
	/* $20 with the seller's EUR 10.00, $10 without: converted 9.20 is less. */
	int64_t shop[] = { 2000, 1000, 3000 }, own[] = { 1000, -1, -1 };
	int64_t eur = 9200000000;

	ck_assert_int_eq(fx_from_price(shop, own, 3, "EUR", eur), 920);
	own[0] = 800;	/* the seller's own is less: it */
	ck_assert_int_eq(fx_from_price(shop, own, 3, "EUR", eur), 800);
	own[0] = -1;
	own[1] = 2500;	/* the cheapest SKU's own is dear: the next converted one */
	ck_assert_int_eq(fx_from_price(shop, own, 3, "EUR", eur), 1840);
	ck_assert_int_eq(fx_from_price(shop, NULL, 3, "EUR", eur), 920);
	ck_assert_int_eq(fx_from_price(shop, own, 0, "EUR", eur), -1);
}
END_TEST

static const struct { const char *al, *enabled, *want; } lang_cases[] = {
	{ "de-DE,de;q=0.9,en;q=0.8", "USD,EUR,GBP,JPY", "EUR" },
	{ "fr", "USD,EUR,GBP,JPY", "EUR" },
	{ "nl-BE", "USD,EUR,GBP,JPY", "EUR" },
	{ "en-GB,en;q=0.9", "USD,EUR,GBP,JPY", "GBP" },
	{ "EN-gb", "USD,EUR,GBP,JPY", "GBP" },
	{ "ja", "USD,EUR,GBP,JPY", "JPY" },
	{ "ja-JP;q=0.5, en-US;q=0.9", "USD,EUR,GBP,JPY", "USD" },	/* q decides, not order */
	{ "en-US,en;q=0.9", "USD,EUR,GBP,JPY", "USD" },
	{ "pt-BR", "USD,EUR,GBP,JPY", "USD" },
	{ "", "USD,EUR,GBP,JPY", "USD" },
	{ NULL, "USD,EUR,GBP,JPY", "USD" },
	{ "ja;q=0, de", "USD,EUR,GBP,JPY", "EUR" },			/* q=0: not acceptable */
	{ "ja, de", "USD,EUR", "EUR" },					/* JPY not enabled: the next */
	{ "en-GB", "USD,EUR", "USD" },
	{ "*", "USD,EUR,GBP,JPY", "USD" },
	{ "dex", "USD,EUR,GBP,JPY", "USD" },				/* not German */
};

START_TEST(lang_table)
{
	ck_assert_str_eq(fx_from_language(lang_cases[_i].al, lang_cases[_i].enabled), lang_cases[_i].want);
}
END_TEST

START_TEST(lists)
{
	ck_assert(fx_in_list("USD,EUR,GBP,JPY", "EUR"));
	ck_assert(fx_in_list(" USD , EUR ", "EUR"));
	ck_assert(!fx_in_list("USD,EURO", "EUR"));
	ck_assert(!fx_in_list("USD", ""));
	ck_assert(fx_code_ok("EUR"));
	ck_assert(!fx_code_ok("eur"));
	ck_assert(!fx_code_ok("EURO"));
	ck_assert(!fx_code_ok("EU"));
}
END_TEST

static const char ecb_daily[] =
	"Date, USD, JPY, BGN, CZK, DKK, GBP, HUF, PLN, RON, SEK, CHF, ISK, NOK, TRY, AUD, BRL, CAD, CNY, HKD, IDR, "
	"ILS, INR, KRW, MXN, MYR, NZD, PHP, SGD, THB, ZAR, \n"
	"04 December 2026, 1.0867, 162.56, 1.9558, 25.320, 7.4588, 0.85960, 408.15, 4.2720, 4.9760, 11.1525, "
	"0.9407, N/A, 11.7015, 36.1140, 1.6412, 6.2412, 1.4990, 7.8113, 8.4544, 17075.46, 4.0205, 91.6820, "
	"1509.84, 20.2280, 4.8250, 1.7942, 62.994, 1.4371, 37.660, 19.3830, \n";

static const struct fx_ecb_rate *find(const struct fx_ecb_rate *r, size_t n, const char *cur)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].currency, cur))
			return &r[i];
	return NULL;
}

START_TEST(ecb_daily_file)
{
	struct fx_ecb_rate r[64];
	char err[160] = "";
	size_t n = 0;
	const struct fx_ecb_rate *x;

	ck_assert_msg(!fx_ecb_parse(ecb_daily, sizeof(ecb_daily) - 1, r, 64, &n, err, sizeof(err)), "%s", err);
	ck_assert_int_eq(n, 29);	/* 30 columns less USD itself less ISK's N/A, plus EUR */
	ck_assert_ptr_null(find(r, n, "USD"));
	ck_assert_ptr_null(find(r, n, "ISK"));
	ck_assert_ptr_nonnull(x = find(r, n, "EUR"));
	ck_assert_str_eq(x->date, "2026-12-04");
	ck_assert_int_eq(x->rate, 9202171713);		/* 1 / 1.0867 = 0.92021717125... */
	ck_assert_ptr_nonnull(x = find(r, n, "JPY"));
	ck_assert_int_eq(x->rate, 1495905033588);	/* 162.56 / 1.0867 = 149.5905033588 */
	ck_assert_ptr_nonnull(x = find(r, n, "GBP"));
	ck_assert_int_eq(x->rate, 7910186804);		/* 0.8596 / 1.0867 */
	ck_assert_ptr_nonnull(x = find(r, n, "IDR"));
	ck_assert_int_eq(x->rate, 157131314990338);	/* 17075.46 / 1.0867 = 15713.1314990338 */
}
END_TEST

START_TEST(ecb_history_and_iso_dates)
{
	static const char t[] = "Date,USD,JPY,GBP\r\n2026-12-04,1.0867,162.56,0.8596\r\n\r\n"
				"2026-12-03,1.0800,161.00,0.8600\r\n";
	struct fx_ecb_rate r[16];
	char err[160];
	size_t n;

	ck_assert(!fx_ecb_parse(t, sizeof(t) - 1, r, 16, &n, err, sizeof(err)));
	ck_assert_int_eq(n, 6);
	ck_assert_str_eq(r[3].date, "2026-12-03");
}
END_TEST

static const struct { const char *text, *why; } bad_cases[] = {
	{ "", "Date" },
	{ "Currency, USD\n04 December 2026, 1.08\n", "Date" },
	{ "Date, USD, JPY\n", "no day" },
	{ "Date, JPY, GBP\n04 December 2026, 162, 0.86\n", "no USD column" },
	{ "Date, USD, usd\n04 December 2026, 1.08, 1.08\n", "not a currency code" },
	{ "Date, USD, JPY, JPY\n04 December 2026, 1.08, 1, 2\n", "twice" },
	{ "Date, USD, EUR\n04 December 2026, 1.08, 1\n", "not a currency code" },
	{ "Date, USD, JPY\n4 Decembre 2026, 1.08, 162\n", "not a date" },
	{ "Date, USD, JPY\n2026-13-04, 1.08, 162\n", "not a date" },
	{ "Date, USD, JPY\n04 December 2026, 1.08, -162\n", "JPY rate is not a positive number" },
	{ "Date, USD, JPY\n04 December 2026, 1.08, 0\n", "JPY rate is not a positive number" },
	{ "Date, USD, JPY\n04 December 2026, N/A, 162\n", "no USD rate" },
	{ "Date, USD, JPY\n04 December 2026, 1.08, 162, 5\n", "more cells" },
	{ "<html><body>Not found</body></html>\n", "Date" },
};

START_TEST(ecb_refuses)
{
	struct fx_ecb_rate r[16];
	char err[160] = "";
	size_t n = 99;
	const char *t = bad_cases[_i].text;

	ck_assert_int_eq(fx_ecb_parse(t, strlen(t), r, 16, &n, err, sizeof(err)), -1);
	ck_assert_int_eq(n, 0);
	ck_assert_msg(strstr(err, bad_cases[_i].why), "case %d: \"%s\" lacks \"%s\"", _i, err, bad_cases[_i].why);
}
END_TEST

START_TEST(ecb_max)
{
	struct fx_ecb_rate r[2];
	char err[160];
	size_t n;

	ck_assert_int_eq(fx_ecb_parse(ecb_daily, sizeof(ecb_daily) - 1, r, 2, &n, err, sizeof(err)), -1);
	ck_assert(strstr(err, "more than 2"));
}
END_TEST

/* The money filter prints as many decimals as the currency has. */
START_TEST(money_digits_agree)
{
	static const char *const codes[] = { "USD", "EUR", "GBP", "JPY", "KRW", "CHF", "VND", "ISK", "SEK" };
	struct arena *a = arena_new(4096);

	for (int i = 0; i < N(codes); i++) {
		struct buf b;
		const char *dot;

		buf_init(&b, a, 64);
		esc_money(&b, 123456, codes[i]);
		buf_putc(&b, '\0');
		dot = strchr(b.p, '.');
		if (fx_exponent(codes[i]) == 0)
			ck_assert_msg(!dot, "%s: %s", codes[i], b.p);
		else
			ck_assert_msg(dot && strlen(dot + 1) >= 2 && dot[1] >= '0', "%s: %s", codes[i], b.p);
	}
	arena_destroy(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fx");
	TCase *t = tcase_create("fx");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(t, parse_table, 0, N(parse_cases));
	tcase_add_test(t, rate_text);
	tcase_add_loop_test(t, convert_table, 0, N(conv_cases));
	tcase_add_test(t, back_to_shop);
	tcase_add_loop_test(t, lang_table, 0, N(lang_cases));
	tcase_add_test(t, lists);
	tcase_add_test(t, ecb_daily_file);
	tcase_add_test(t, ecb_history_and_iso_dates);
	tcase_add_loop_test(t, ecb_refuses, 0, N(bad_cases));
	tcase_add_test(t, ecb_max);
	tcase_add_test(t, money_digits_agree);
	tcase_add_test(t, bounds_keep_what_is_shown);
	tcase_add_test(t, typed_and_text);
	tcase_add_test(t, from_price_partial_lists);
	suite_add_tcase(s, t);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
