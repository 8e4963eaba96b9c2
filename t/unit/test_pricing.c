/* Unit tests: the money rules of checkout (app/pricing/pricing.h), table
 * by table: rounding, line sums and their caps, discount allocation, tax per
 * line, promo discounts and checks, code normalisation, zones, tax lookup,
 * weight bands and free-shipping thresholds, money formatting, and whole
 * quotes over fixed rate tables. No database. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../app/core/arena.h"
#include "../../app/pricing/pricing.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MAXL 8

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

/* ---- rounding ---- */

static const struct { int64_t num, den, want; } round_cases[] = {
	{ 0, 100, 0 },
	{ 49, 100, 0 },
	{ 50, 100, 1 },			/* an exact half goes up */
	{ 51, 100, 1 },
	{ 149, 100, 1 },
	{ 150, 100, 2 },
	{ 250, 100, 3 },		/* half up, not to even */
	{ 7, 3, 2 },
	{ 8, 3, 3 },
	{ 14500000, 1000000, 15 },	/* 200 cents at 7.25% = 14.5 */
	{ 14499999, 1000000, 14 },
	{ -49, 100, 0 },		/* negatives mirror the positives */
	{ -50, 100, -1 },
	{ -150, 100, -2 },
	{ -251, 100, -3 },
	{ 5, 0, 0 },			/* guard: no division by zero */
	{ 5, -3, 0 },			/* guard: negative divisor refused */
	{ INT64_MAX, 1, INT64_MAX },
	{ INT64_MIN, 1, INT64_MIN },
	{ INT64_MAX, 2, INT64_MAX / 2 + 1 },	/* ...3.5 -> ...4, no overflow */
	{ INT64_MIN, 2, INT64_MIN / 2 },
	{ INT64_MIN + 1, 2, INT64_MIN / 2 },	/* -...3.5 -> -...4 */
	{ INT64_MAX, INT64_MAX, 1 },
	{ INT64_MAX / 2, INT64_MAX, 0 },	/* just under a half */
	{ INT64_MAX / 2 + 1, INT64_MAX, 1 },	/* exactly a half */
	{ INT64_MIN, INT64_MAX, -1 },
};

START_TEST(round_table)
{
	int64_t got = pricing_round_half_up(round_cases[_i].num, round_cases[_i].den);

	ck_assert_msg(got == round_cases[_i].want, "round(%lld / %lld) = %lld, want %lld",
		      (long long)round_cases[_i].num, (long long)round_cases[_i].den,
		      (long long)got, (long long)round_cases[_i].want);
}
END_TEST

/* ---- line sums and caps ---- */

struct lines_case {
	int n;
	struct pricing_line l[MAXL];
	enum err want;
	int64_t subtotal, weight;
};

static const struct lines_case sum_cases[] = {
	{ 1, { { 1, 1999, 2, 300, 0, 0 } }, E_OK, 3998, 600 },
	{ 2, { { 1, 1999, 2, 300, 0, 0 }, { 2, 500, 1, 200, 0, 0 } }, E_OK, 4498, 800 },
	{ 1, { { 1, 0, 3, 0, 0, 0 } }, E_OK, 0, 0 },				/* a free sample */
	{ 1, { { 1, 100, 0, 0, 0, 0 } }, E_INVAL, 0, 0 },			/* no quantity */
	{ 1, { { 1, 100, -1, 0, 0, 0 } }, E_INVAL, 0, 0 },
	{ 1, { { 1, 100, PRICING_MAX_QTY + 1, 0, 0, 0 } }, E_INVAL, 0, 0 },
	{ 1, { { 1, -1, 1, 0, 0, 0 } }, E_INVAL, 0, 0 },			/* negative price */
	{ 1, { { 1, 100, 1, -5, 0, 0 } }, E_INVAL, 0, 0 },			/* negative weight */
	{ 0, { { 0 } }, E_INVAL, 0, 0 },					/* nothing to price */
	{ 1, { { 1, PRICING_MAX_AMOUNT, 1, 0, 0, 0 } }, E_OK, PRICING_MAX_AMOUNT, 0 },	/* at the cap */
	{ 1, { { 1, PRICING_MAX_AMOUNT + 1, 1, 0, 0, 0 } }, E_TOOBIG, 0, 0 },
	{ 1, { { 1, PRICING_MAX_AMOUNT / 2 + 1, 2, 0, 0, 0 } }, E_TOOBIG, 0, 0 },	/* line over */
	{ 2, { { 1, PRICING_MAX_AMOUNT, 1, 0, 0, 0 }, { 2, 1, 1, 0, 0, 0 } }, E_TOOBIG, 0, 0 },
	/* The product would overflow int64_t: refused, not wrapped. */
	{ 1, { { 1, INT64_MAX, PRICING_MAX_QTY, 0, 0, 0 } }, E_TOOBIG, 0, 0 },
	{ 1, { { 1, INT64_MAX / 2 + 1, 2, 0, 0, 0 } }, E_TOOBIG, 0, 0 },
	/* Large quantities of heavy things: int64_t grams, no overflow. */
	{ 1, { { 1, 1, PRICING_MAX_QTY, 2000000000, 0, 0 } }, E_OK, PRICING_MAX_QTY,
	  (int64_t)PRICING_MAX_QTY * 2000000000 },
};

START_TEST(sum_table)
{
	const struct lines_case *t = &sum_cases[_i];
	int64_t s = -1, w = -1;
	enum err e = pricing_sum_lines(t->l, (size_t)t->n, &s, &w);

	ck_assert_msg(e == t->want, "case %d: %s, want %s", _i, err_str(e), err_str(t->want));
	if (e == E_OK) {
		ck_assert_int_eq(s, t->subtotal);
		ck_assert_int_eq(w, t->weight);
	}
}
END_TEST

START_TEST(sum_limits)
{
	static struct pricing_line many[PRICING_MAX_LINES + 1];
	int64_t s;

	for (int i = 0; i <= PRICING_MAX_LINES; i++)
		many[i] = (struct pricing_line){ i + 1, 1, 1, 1, 0, 0 };
	ck_assert_int_eq(pricing_sum_lines(many, PRICING_MAX_LINES, &s, NULL), E_OK);
	ck_assert_int_eq(s, PRICING_MAX_LINES);
	ck_assert_int_eq(pricing_sum_lines(many, PRICING_MAX_LINES + 1, &s, NULL), E_INVAL);
	ck_assert_int_eq(pricing_sum_lines(NULL, 1, &s, NULL), E_INVAL);
}
END_TEST

/* ---- discount allocation ---- */

struct alloc_case {
	int n;
	int64_t unit[MAXL];
	int qty[MAXL];		/* 0 reads as 1 */
	int64_t discount;
	int64_t want[MAXL];
	int64_t allocated;
};

static const struct alloc_case alloc_cases[] = {
	/* Exact proportions. */
	{ 3, { 1000, 2000, 3000 }, { 0 }, 600, { 100, 200, 300 }, 600 },
	/* A third each: the leftover cent to the earliest of equals. */
	{ 3, { 100, 100, 100 }, { 0 }, 100, { 34, 33, 33 }, 100 },
	{ 3, { 100, 100, 100 }, { 0 }, 200, { 67, 67, 66 }, 200 },
	/* Largest remainder wins the leftover cent. */
	{ 3, { 1, 1, 998 }, { 0 }, 10, { 0, 0, 10 }, 10 },
	{ 3, { 250, 250, 500 }, { 0 }, 3, { 1, 1, 1 }, 3 },	/* .75 and .75 beat the .5 of 1.5 */
	/* Equal remainders: the larger line first. */
	{ 2, { 333, 1 }, { 3, 1 }, 500, { 500, 0 }, 500 },
	/* 100% off: every line to zero, exactly. */
	{ 2, { 333, 667 }, { 0 }, 1000, { 333, 667 }, 1000 },
	{ 4, { 199, 1, 7, 1293 }, { 3, 5, 1, 2 }, 3195, { 597, 5, 7, 2586 }, 3195 },
	/* A fixed discount larger than the subtotal is capped at it. */
	{ 2, { 300, 200 }, { 0 }, 1000, { 300, 200 }, 500 },
	/* Nothing, or less than nothing, to give. */
	{ 2, { 300, 200 }, { 0 }, 0, { 0, 0 }, 0 },
	{ 2, { 300, 200 }, { 0 }, -50, { 0, 0 }, 0 },
	/* Free lines get no discount; all-free orders get none at all. */
	{ 2, { 0, 500 }, { 0 }, 100, { 0, 100 }, 100 },
	{ 2, { 0, 0 }, { 0 }, 50, { 0, 0 }, 0 },
	/* One cent over many lines. */
	{ 5, { 10, 10, 10, 10, 10 }, { 0 }, 1, { 1, 0, 0, 0, 0 }, 1 },
	/* At the cap the products reach 1e18: still exact. The small line's
	 * share is 0.999999999, the large one's remainder 0.000000001. */
	{ 2, { PRICING_MAX_AMOUNT - 1, 1 }, { 0 }, PRICING_MAX_AMOUNT - 1,
	  { PRICING_MAX_AMOUNT - 2, 1 }, PRICING_MAX_AMOUNT - 1 },
};

static void fill_lines(struct pricing_line *l, int n, const int64_t *unit, const int *qty)
{
	for (int i = 0; i < n; i++)
		l[i] = (struct pricing_line){ i + 1, unit[i], qty[i] ? qty[i] : 1, 100, -1, -1 };
}

START_TEST(alloc_table)
{
	const struct alloc_case *t = &alloc_cases[_i];
	struct pricing_line l[MAXL];
	int64_t got = -1, sum = 0;

	fill_lines(l, t->n, t->unit, t->qty);
	ck_assert_int_eq(pricing_allocate_discount(l, (size_t)t->n, t->discount, &got), E_OK);
	ck_assert_int_eq(got, t->allocated);
	for (int i = 0; i < t->n; i++) {
		ck_assert_msg(l[i].discount == t->want[i], "case %d line %d: %lld, want %lld",
			      _i, i, (long long)l[i].discount, (long long)t->want[i]);
		sum += l[i].discount;
	}
	ck_assert_int_eq(sum, t->allocated);
}
END_TEST

/* Many pseudo-random baskets: line discounts always sum exactly to the
 * capped discount, stay within 0..line total, and each is within one cent of
 * its exact proportional share. */
START_TEST(alloc_properties)
{
	uint64_t seed = 88172645463325252ULL;
	struct pricing_line l[20];

	for (int round = 0; round < 5000; round++) {
		int n;
		int64_t s = 0, d, got, sum = 0;

#define RND() (seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17, seed)
		n = (int)(RND() % 20) + 1;
		for (int i = 0; i < n; i++) {
			l[i] = (struct pricing_line){ i, (int64_t)(RND() % 100000),
						      (int)(RND() % 5) + 1, 10, 0, 0 };
			s += l[i].unit_price * l[i].quantity;
		}
		d = (int64_t)(RND() % (uint64_t)(s + 200)) - 50;
#undef RND
		ck_assert_int_eq(pricing_allocate_discount(l, (size_t)n, d, &got), E_OK);
		ck_assert_int_eq(got, d < 0 ? 0 : d > s ? s : d);
		for (int i = 0; i < n; i++) {
			int64_t t = l[i].unit_price * l[i].quantity;
			/* |discount x s - got x t| < s: less than a cent off. */
			int64_t dev = l[i].discount * s - got * t;

			ck_assert(l[i].discount >= 0 && l[i].discount <= t);
			ck_assert_msg(s == 0 || (dev < s && dev > -s), "round %d line %d off by a cent or more",
				      round, i);
			sum += l[i].discount;
		}
		ck_assert_int_eq(sum, got);
	}
}
END_TEST

START_TEST(alloc_refuses_bad_lines)
{
	struct pricing_line l[2] = { { 1, 100, 1, 0, 0, 0 }, { 2, 100, 0, 0, 0, 0 } };
	struct pricing_line big[1] = { { 1, INT64_MAX, 2, 0, 0, 0 } };

	ck_assert_int_eq(pricing_allocate_discount(l, 2, 10, NULL), E_INVAL);
	ck_assert_int_eq(pricing_allocate_discount(big, 1, 10, NULL), E_TOOBIG);
}
END_TEST

/* ---- tax ---- */

struct tax_case {
	int rate_ppm;
	int n;
	int64_t total[MAXL];	/* line totals (quantity 1) */
	int64_t disc[MAXL];
	enum err want;
	int64_t tax[MAXL];
	int64_t sum;
};

static const struct tax_case tax_cases[] = {
	{ 72500, 1, { 200 }, { 0 }, E_OK, { 15 }, 15 },			/* 14.5 -> 15 */
	{ 72500, 1, { 1000 }, { 100 }, E_OK, { 65 }, 65 },		/* on 900: 65.25 */
	{ 72500, 1, { 999 }, { 0 }, E_OK, { 72 }, 72 },			/* 72.4275 */
	/* Per line: three lines of 14.5 make 45, where the total once would be 44. */
	{ 72500, 3, { 200, 200, 200 }, { 0 }, E_OK, { 15, 15, 15 }, 45 },
	{ 149750, 1, { 1000 }, { 0 }, E_OK, { 150 }, 150 },		/* Quebec: 149.75 */
	{ 40000, 2, { 3998, 500 }, { 400, 50 }, E_OK, { 144, 18 }, 162 },
	{ 0, 2, { 3998, 500 }, { 0 }, E_OK, { 0, 0 }, 0 },
	{ 1000000, 1, { 1234 }, { 34 }, E_OK, { 1200 }, 1200 },		/* 100% */
	{ 190000, 1, { 500 }, { 500 }, E_OK, { 0 }, 0 },		/* fully discounted */
	{ 1000001, 1, { 100 }, { 0 }, E_INVAL, { 0 }, 0 },
	{ -1, 1, { 100 }, { 0 }, E_INVAL, { 0 }, 0 },
	{ 72500, 1, { 100 }, { 101 }, E_INVAL, { 0 }, 0 },		/* discount above the line */
	{ 72500, 1, { 100 }, { -1 }, E_INVAL, { 0 }, 0 },
	{ 1000000, 1, { PRICING_MAX_AMOUNT }, { 0 }, E_OK, { PRICING_MAX_AMOUNT }, PRICING_MAX_AMOUNT },
};

START_TEST(tax_table)
{
	const struct tax_case *t = &tax_cases[_i];
	struct pricing_line l[MAXL];
	int64_t sum = -1;
	enum err e;

	for (int i = 0; i < t->n; i++)
		l[i] = (struct pricing_line){ i, t->total[i], 1, 0, t->disc[i], -1 };
	e = pricing_tax_lines(l, (size_t)t->n, t->rate_ppm, &sum);
	ck_assert_msg(e == t->want, "case %d: %s", _i, err_str(e));
	if (e)
		return;
	for (int i = 0; i < t->n; i++)
		ck_assert_msg(l[i].tax == t->tax[i], "case %d line %d: tax %lld, want %lld", _i, i,
			      (long long)l[i].tax, (long long)t->tax[i]);
	ck_assert_int_eq(sum, t->sum);
}
END_TEST

/* ---- promo discount ---- */

static const struct {
	enum pricing_promo_kind kind;
	int64_t value, subtotal, want;
} discount_cases[] = {
	{ PRICING_PERCENT, 1000, 2000, 200 },
	{ PRICING_PERCENT, 1000, 1995, 200 },		/* 199.5 -> 200 */
	{ PRICING_PERCENT, 1000, 1994, 199 },		/* 199.4 -> 199 */
	{ PRICING_PERCENT, 1000, 4498, 450 },		/* 449.8 */
	{ PRICING_PERCENT, 5000, 1, 1 },		/* half a cent rounds up */
	{ PRICING_PERCENT, 3333, 1, 0 },
	{ PRICING_PERCENT, 10000, 12345, 12345 },	/* 100% */
	{ PRICING_PERCENT, 1500, PRICING_MAX_AMOUNT, 150000000 },
	{ PRICING_PERCENT, 10000, INT64_MAX, INT64_MAX },	/* exact, no overflow */
	{ PRICING_PERCENT, 9999, INT64_MAX, INT64_MAX / 10000 * 9999 + 5806 },
	{ PRICING_PERCENT, 0, 2000, 0 },		/* out of range: nothing */
	{ PRICING_PERCENT, 10001, 2000, 0 },
	{ PRICING_PERCENT, 1000, 0, 0 },
	{ PRICING_PERCENT, 1000, -100, 0 },
	{ PRICING_FIXED, 500, 2500, 500 },
	{ PRICING_FIXED, 500, 300, 300 },		/* never above the subtotal */
	{ PRICING_FIXED, 500, 500, 500 },
	{ PRICING_FIXED, 0, 500, 0 },
	{ PRICING_FIXED, -5, 500, 0 },
	{ PRICING_FIXED, INT64_MAX, 700, 700 },
};

START_TEST(discount_table)
{
	struct pricing_promo p = { 0 };
	int64_t got;

	p.kind = discount_cases[_i].kind;
	p.value = discount_cases[_i].value;
	got = pricing_promo_discount(&p, discount_cases[_i].subtotal);
	ck_assert_msg(got == discount_cases[_i].want, "case %d: %lld, want %lld", _i,
		      (long long)got, (long long)discount_cases[_i].want);
	ck_assert_int_eq(pricing_promo_discount(NULL, 1000), 0);
}
END_TEST

/* ---- promo checks ---- */

#define NOW 1750000000LL

struct check_case {
	struct pricing_promo p;
	int64_t subtotal, now, user, uses;
	const char *want;	/* NULL: applies */
};

/* id, code, kind, value, min, starts, ends, limit, used, once, active */
#define PROMO(min, st, en, lim, used, once, act) \
	{ 1, "CODE", PRICING_PERCENT, 1000, min, st, en, lim, used, once, act, -1, 0, NULL }
/* issue 19: a limit of several uses per customer (per_customer) */
#define PROMO_N(per) \
	{ 1, "CODE", PRICING_PERCENT, 1000, 0, 0, 0, -1, 0, 0, 1, per, 0, NULL }

static const struct check_case check_cases[] = {
	{ PROMO(0, 0, 0, -1, 0, 0, 1), 100, NOW, 0, 0, NULL },
	{ PROMO(2000, 0, 0, -1, 0, 0, 1), 2000, NOW, 0, 0, NULL },	/* exactly the minimum */
	{ PROMO(2000, 0, 0, -1, 0, 0, 1), 1999, NOW, 0, 0,
	  "Add $0.01 more to use this promo code (it needs a subtotal of $20.00)." },
	{ PROMO(250000, 0, 0, -1, 0, 0, 1), 1, NOW, 0, 0,
	  "Add $2,499.99 more to use this promo code (it needs a subtotal of $2,500.00)." },
	{ PROMO(0, 0, 0, -1, 0, 0, 0), 100, NOW, 0, 0, "This promo code is no longer available." },
	{ PROMO(0, NOW + 1, 0, -1, 0, 0, 1), 100, NOW, 0, 0, "This promo code is not valid yet." },
	{ PROMO(0, NOW, 0, -1, 0, 0, 1), 100, NOW, 0, 0, NULL },	/* from its first second */
	{ PROMO(0, 0, NOW, -1, 0, 0, 1), 100, NOW, 0, 0, "This promo code has expired." },
	{ PROMO(0, 0, NOW + 1, -1, 0, 0, 1), 100, NOW, 0, 0, NULL },	/* to its last second */
	{ PROMO(0, 0, 0, 1, 1, 0, 1), 100, NOW, 0, 0, "This promo code has been used up." },
	{ PROMO(0, 0, 0, 2, 1, 0, 1), 100, NOW, 0, 0, NULL },
	{ PROMO(0, 0, 0, 0, 0, 0, 1), 100, NOW, 0, 0, "This promo code has been used up." },
	{ PROMO(0, 0, 0, -1, 0, 1, 1), 100, NOW, 7, 0, NULL },
	{ PROMO(0, 0, 0, -1, 0, 1, 1), 100, NOW, 7, 1, "You have already used this promo code." },
	{ PROMO(0, 0, 0, -1, 0, 1, 1), 100, NOW, 0, 0, "Sign in to use this promo code" },
	{ PROMO(0, 0, 0, -1, 0, 0, 1), 100, NOW, 7, 3, NULL },	/* uses matter once per customer only */
	/* Which message first: the one the shopper cannot fix by shopping. */
	{ PROMO(5000, 0, NOW - 1, 1, 1, 1, 1), 100, NOW, 7, 1, "This promo code has expired." },
	{ PROMO(5000, 0, 0, 1, 1, 1, 1), 100, NOW, 7, 1, "This promo code has been used up." },
	{ PROMO(5000, 0, 0, -1, 0, 1, 1), 100, NOW, 7, 1, "You have already used this promo code." },
	/* issue 19: three uses per customer */
	{ PROMO_N(3), 100, NOW, 7, 2, NULL },
	{ PROMO_N(3), 100, NOW, 7, 3, "You have used this promo code as many times as it allows." },
	{ PROMO_N(3), 100, NOW, 0, 0, "Sign in to use this promo code" },
};

START_TEST(check_table)
{
	const struct check_case *t = &check_cases[_i];
	char buf[160];
	const char *m = pricing_promo_check(&t->p, t->subtotal, t->now, t->user, t->uses, buf, sizeof(buf));

	if (!t->want)
		ck_assert_msg(m == NULL, "case %d: refused: %s", _i, m);
	else
		ck_assert_msg(m && !strncmp(m, t->want, strlen(t->want)), "case %d: '%s', want '%s'",
			      _i, m ? m : "(applies)", t->want);
}
END_TEST

/* ---- code normalisation ---- */

static const struct { const char *in, *want; } code_cases[] = {
	{ "WELCOME10", "WELCOME10" },
	{ "welcome10", "WELCOME10" },
	{ "  Save5 ", "SAVE5" },
	{ "\tBLACK-FRIDAY\t", "BLACK-FRIDAY" },
	{ "ABC", "ABC" },
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345" },	/* 32 */
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", NULL },	/* 33 */
	{ "AB", NULL },
	{ "", NULL },
	{ "   ", NULL },
	{ NULL, NULL },
	{ "SAVE 5", NULL },
	{ "SAVE_5", NULL },
	{ "SAVE5!", NULL },
	{ "ÉTÉ10", NULL },
	{ "SAVE5\n", NULL },
	{ "' OR 1=1 --", NULL },
};

START_TEST(code_table)
{
	char out[PRICING_CODE_MAX + 1] = "x";
	int rc = pricing_promo_normalise(code_cases[_i].in, out, sizeof(out));

	if (code_cases[_i].want) {
		ck_assert_msg(rc == 0, "'%s' refused", code_cases[_i].in);
		ck_assert_str_eq(out, code_cases[_i].want);
	} else {
		ck_assert_msg(rc == -1, "'%s' accepted as '%s'", code_cases[_i].in ? code_cases[_i].in : "(null)", out);
		ck_assert_str_eq(out, "");
	}
}
END_TEST

START_TEST(code_small_buffer)
{
	char out[8];

	ck_assert_int_eq(pricing_promo_normalise("SAVE5", out, sizeof(out)), -1);
}
END_TEST

/* ---- zones ---- */

static const struct { const char *country, *region, *want; } zone_cases[] = {
	{ "US", "NY", "US" },
	{ "us", "ca", "US" },
	{ "US", "DC", "US" },
	{ "US", "", "US" },
	{ "US", NULL, "US" },
	{ "US", "AK", "US-REMOTE" },
	{ "US", "HI", "US-REMOTE" },
	{ "US", "hi", "US-REMOTE" },
	{ "US", "PR", "US-REMOTE" },
	{ "US", "GU", "US-REMOTE" },
	{ "US", "AE", "US-REMOTE" },	/* military mail */
	{ "PR", "", "US-REMOTE" },	/* a territory by its own country code */
	{ "VI", NULL, "US-REMOTE" },
	{ "CA", "ON", "CA" },
	{ "CA", "", "CA" },
	{ "DE", "Bayern", "EU" },
	{ "FR", "", "EU" },
	{ "GR", "", "EU" },		/* Greece is GR, not EL */
	{ "IE", "", "EU" },
	{ "HR", "", "EU" },
	{ "CY", "", "EU" },
	{ "GB", "", "INTL" },		/* not since 2020 */
	{ "CH", "", "INTL" },
	{ "NO", "", "INTL" },
	{ "JP", "", "INTL" },
	{ "MX", "", "INTL" },
	{ "EL", "", "INTL" },
	{ "EU", "", "INTL" },
	{ "ZZ", "", "INTL" },
	{ "USA", "NY", "INTL" },
	{ "U", "", "INTL" },
	{ "", "", "INTL" },
	{ NULL, NULL, "INTL" },
};

START_TEST(zone_table)
{
	const char *z = pricing_zone(zone_cases[_i].country, zone_cases[_i].region);

	ck_assert_msg(!strcmp(z, zone_cases[_i].want), "%s/%s: %s, want %s",
		      zone_cases[_i].country ? zone_cases[_i].country : "(null)",
		      zone_cases[_i].region ? zone_cases[_i].region : "(null)", z, zone_cases[_i].want);
}
END_TEST

START_TEST(eu_has_27)
{
	char cc[3] = "AA";
	int members = 0;

	for (cc[0] = 'A'; cc[0] <= 'Z'; cc[0]++)
		for (cc[1] = 'A'; cc[1] <= 'Z'; cc[1]++)
			members += pricing_eu_member(cc);
	ck_assert_int_eq(members, 27);
	ck_assert(pricing_eu_member("de"));
	ck_assert(!pricing_eu_member("DEU"));
	ck_assert(!pricing_eu_member(NULL));
}
END_TEST

/* ---- tax lookup ---- */

static const struct pricing_tax taxes[] = {
	{ "US", "CA", 72500, "California sales tax" },
	{ "US", "NY", 40000, "New York sales tax" },
	{ "US", "OR", 0, "Oregon (no sales tax)" },
	{ "CA", "", 50000, "GST" },
	{ "CA", "ON", 130000, "HST" },
	{ "CA", "QC", 149750, "GST + QST" },
	{ "DE", "", 190000, "VAT" },
};

static const struct { const char *country, *region; int rate; const char *name; } find_cases[] = {
	{ "US", "CA", 72500, "California sales tax" },
	{ "us", "ny", 40000, "New York sales tax" },
	{ "US", "OR", 0, "Oregon (no sales tax)" },
	{ "US", "MT", -1, NULL },		/* no row, no federal tax: none */
	{ "US", "", -1, NULL },
	{ "CA", "ON", 130000, "HST" },
	{ "CA", "QC", 149750, "GST + QST" },
	{ "CA", "AB", 50000, "GST" },		/* the country's row */
	{ "CA", "", 50000, "GST" },
	{ "CA", NULL, 50000, "GST" },
	{ "DE", "Bayern", 190000, "VAT" },
	{ "JP", "", -1, NULL },
	{ NULL, "", -1, NULL },
};

START_TEST(tax_find_table)
{
	const struct pricing_tax *t = pricing_tax_find(taxes, N(taxes), find_cases[_i].country,
						       find_cases[_i].region);

	if (find_cases[_i].rate < 0) {
		ck_assert_ptr_null(t);
		return;
	}
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->rate_ppm, find_cases[_i].rate);
	ck_assert_str_eq(t->name, find_cases[_i].name);
}
END_TEST

/* ---- shipping lanes ---- */

static const struct pricing_band us_std_bands[] = {
	{ 500, 499 }, { 1000, 699 }, { 2000, 899 }, { 5000, 1299 },
	{ 10000, 1799 }, { 20000, 2499 }, { 30000, 3499 },
};
static const struct pricing_band us_exp_bands[] = {
	{ 500, 1299 }, { 1000, 1599 }, { 2000, 1999 }, { 5000, 2799 },
};
static const struct pricing_band unsorted_bands[] = { { 2000, 30 }, { 500, 10 }, { 1000, 20 } };
static const struct pricing_band ca_bands[] = { { 1000, 1699 }, { 5000, 3499 } };
static const struct pricing_band eu_bands[] = { { 1000, 1999 }, { 10000, 6999 } };

static const struct pricing_lane lanes[] = {
	{ "standard", "US", 3, 5, 5000, us_std_bands, N(us_std_bands) },
	{ "express", "US", 1, 2, -1, us_exp_bands, N(us_exp_bands) },
	{ "standard", "CA", 5, 10, -1, ca_bands, N(ca_bands) },
	{ "express", "CA", 2, 4, -1, ca_bands, N(ca_bands) },
	{ "standard", "EU", 7, 14, -1, eu_bands, N(eu_bands) },
	{ "odd", "US", 1, 1, 0, unsorted_bands, N(unsorted_bands) },	/* always free */
	{ "none", "US", 1, 1, -1, NULL, 0 },
	{ "odd2", "US", 1, 1, -1, unsorted_bands, N(unsorted_bands) },
};

static const struct {
	int lane;
	int64_t weight, goods;
	enum err want;
	int64_t price;
} lane_cases[] = {
	{ 0, 0, 100, E_OK, 499 },		/* weightless: the first band */
	{ 0, 1, 100, E_OK, 499 },
	{ 0, 500, 100, E_OK, 499 },		/* on the limit: that band */
	{ 0, 501, 100, E_OK, 699 },
	{ 0, 1000, 100, E_OK, 699 },
	{ 0, 29999, 100, E_OK, 3499 },
	{ 0, 30000, 100, E_OK, 3499 },
	{ 0, 30001, 100, E_TOOBIG, 0 },		/* heavier than the largest band */
	{ 0, -1, 100, E_INVAL, 0 },
	{ 0, 800, 4999, E_OK, 699 },		/* a cent short of free shipping */
	{ 0, 800, 5000, E_OK, 0 },		/* at the threshold: free */
	{ 0, 800, 5001, E_OK, 0 },
	{ 0, 30001, 99999, E_TOOBIG, 0 },	/* free does not lift the weight limit */
	{ 1, 800, 100000, E_OK, 1599 },		/* no threshold: never free */
	{ 1, 5001, 100, E_TOOBIG, 0 },
	{ 5, 700, 0, E_OK, 0 },			/* threshold 0: free for everything */
	{ 6, 0, 100, E_TOOBIG, 0 },		/* a lane without rates carries nothing */
	{ 7, 400, 0, E_OK, 10 },		/* bands in any order */
	{ 7, 501, 0, E_OK, 20 },
	{ 7, 1001, 0, E_OK, 30 },
	{ 7, 2001, 0, E_TOOBIG, 0 },
};

START_TEST(lane_table)
{
	int64_t price = -1;
	enum err e = pricing_lane_price(&lanes[lane_cases[_i].lane], lane_cases[_i].weight,
					lane_cases[_i].goods, &price);

	ck_assert_msg(e == lane_cases[_i].want, "case %d: %s", _i, err_str(e));
	if (e == E_OK)
		ck_assert_msg(price == lane_cases[_i].price, "case %d: price %lld, want %lld", _i,
			      (long long)price, (long long)lane_cases[_i].price);
}
END_TEST

/* ---- money formatting ---- */

static const struct { int64_t cents; const char *want; } money_cases[] = {
	{ 0, "$0.00" },
	{ 5, "$0.05" },
	{ 100, "$1.00" },
	{ 99999, "$999.99" },
	{ 100000, "$1,000.00" },
	{ 123456, "$1,234.56" },
	{ 100000000, "$1,000,000.00" },
	{ -500, "-$5.00" },
	{ -1, "-$0.01" },
	{ INT64_MAX, "$92,233,720,368,547,758.07" },
	{ INT64_MIN, "-$92,233,720,368,547,758.08" },
};

START_TEST(money_table)
{
	char buf[32];

	ck_assert_str_eq(pricing_format_money(money_cases[_i].cents, buf, sizeof(buf)), money_cases[_i].want);
}
END_TEST

/* ---- whole quotes over fixed tables ---- */

static const struct pricing_method_def methods[] = {
	{ "standard", "Standard shipping" },
	{ "express", "Express shipping" },
	{ "overnight", "Overnight shipping" },	/* no lanes at all here */
};

static const struct pricing_tables tables = {
	methods, N(methods), lanes, 5, taxes, N(taxes)
};

static const struct pricing_promo pct10 = { 11, "WELCOME10", PRICING_PERCENT, 1000, 2000, 0, 0, -1, 0, 1, 1, -1, 0, NULL };
static const struct pricing_promo pct100 = { 12, "FREE", PRICING_PERCENT, 10000, 0, 0, 0, -1, 0, 0, 1, -1, 0, NULL };
static const struct pricing_promo fix5 = { 13, "SAVE5", PRICING_FIXED, 500, 2500, 0, 0, -1, 0, 0, 1, -1, 0, NULL };
static const struct pricing_promo fix99 = { 14, "BIG", PRICING_FIXED, 9900, 0, 0, 0, -1, 0, 0, 1, -1, 0, NULL };

struct quote_case {
	const char *name;
	int n;
	struct pricing_line l[MAXL];
	const char *country, *region, *method;
	const struct pricing_promo *promo;
	enum err want;
	int64_t subtotal, discount, tax, shipping, total;
	const char *chosen;		/* q.method */
	const char *error;		/* start of q.method_error */
};

/* Two shirts at $19.99 (300 g) and a $5.00 pair of socks (200 g). */
#define BASKET 2, { { 1, 1999, 2, 300, 0, 0 }, { 2, 500, 1, 200, 0, 0 } }

static const struct quote_case quote_cases[] = {
	/* NY 4%: 3998 -> 159.92, 500 -> 20; 800 g by standard = 6.99. */
	{ "ny plain", BASKET, "US", "NY", NULL, NULL, E_OK, 4498, 0, 180, 699, 5377, "standard", NULL },
	/* 10% = 449.8 -> 450, spread 400/50; tax 143.92 + 18; still under $50. */
	{ "ny welcome", BASKET, "US", "NY", "standard", &pct10, E_OK, 4498, 450, 162, 699, 4909, "standard", NULL },
	{ "ny express", BASKET, "US", "NY", "express", NULL, E_OK, 4498, 0, 180, 1599, 6277, "express", NULL },
	/* Oregon: a row with no tax. */
	{ "or", BASKET, "US", "OR", NULL, NULL, E_OK, 4498, 0, 0, 699, 5197, "standard", NULL },
	/* California 7.25%: 289.855 -> 290, 36.25 -> 36. */
	{ "ca state", BASKET, "US", "CA", NULL, NULL, E_OK, 4498, 0, 326, 699, 5523, "standard", NULL },
	/* $50.00 of goods exactly: free standard shipping (no tax in MT). */
	{ "free at 50", 1, { { 1, 2500, 2, 300, 0, 0 } }, "US", "MT", NULL, NULL, E_OK,
	  5000, 0, 0, 0, 5000, "standard", NULL },
	/* $51 less $5 off is $46 of goods: below the threshold again. */
	{ "threshold after discount", 1, { { 1, 5100, 1, 300, 0, 0 } }, "US", "MT", NULL, &fix5, E_OK,
	  5100, 500, 0, 499, 5099, "standard", NULL },
	/* Express has no threshold. */
	{ "express never free", 1, { { 1, 2500, 2, 300, 0, 0 } }, "US", "MT", "express", NULL, E_OK,
	  5000, 0, 0, 1599, 6599, "express", NULL },
	/* Ontario HST 13%. */
	{ "ontario", BASKET, "CA", "ON", NULL, NULL, E_OK, 4498, 0, 585, 1699, 6782, "standard", NULL },
	/* Quebec 14.975%: 598.7 -> 599, 74.875 -> 75. */
	{ "quebec", BASKET, "CA", "QC", NULL, NULL, E_OK, 4498, 0, 674, 1699, 6871, "standard", NULL },
	/* Alberta: the country's GST row. */
	{ "alberta", BASKET, "CA", "AB", "express", NULL, E_OK, 4498, 0, 225, 1699, 6422, "express", NULL },
	/* Germany 19% VAT by EU standard. */
	{ "germany", BASKET, "DE", "", NULL, NULL, E_OK, 4498, 0, 855, 1999, 7352, "standard", NULL },
	/* 100% off: no goods, no tax; shipping is still charged. */
	{ "all free", BASKET, "US", "NY", NULL, &pct100, E_OK, 4498, 4498, 0, 699, 699, "standard", NULL },
	/* A fixed $99 off a $44.98 order is capped at the subtotal. */
	{ "fixed over subtotal", BASKET, "US", "NY", NULL, &fix99, E_OK, 4498, 4498, 0, 699, 699, "standard", NULL },
	/* 6 kg: express stops at 5 kg, standard goes on. */
	{ "heavy: default", 1, { { 1, 1000, 3, 2000, 0, 0 } }, "US", "NY", NULL, NULL, E_OK,
	  3000, 0, 120, 1799, 4919, "standard", NULL },
	{ "heavy: express", 1, { { 1, 1000, 3, 2000, 0, 0 } }, "US", "NY", "express", NULL, E_INVAL,
	  3000, 0, 120, 0, 3120, NULL, "Express shipping takes parcels up to 5 kg; this order weighs 6 kg." },
	/* 30.5 kg: nothing can carry it. */
	{ "too heavy", 1, { { 1, 1000, 61, 500, 0, 0 } }, "US", "NY", NULL, NULL, E_INVAL,
	  61000, 0, 2440, 0, 63440, NULL, "No shipping method can take this order" },
	{ "heavy reason", 1, { { 1, 1000, 61, 500, 0, 0 } }, "US", "NY", "standard", NULL, E_INVAL,
	  61000, 0, 2440, 0, 63440, NULL, "Standard shipping takes parcels up to 30 kg; this order weighs 30.5 kg." },
	/* Overnight is offered nowhere in these tables; express not to the EU. */
	{ "no lane", BASKET, "US", "NY", "overnight", NULL, E_INVAL,
	  4498, 0, 180, 0, 4678, NULL, "Overnight shipping is not available for this address." },
	{ "no eu express", BASKET, "FR", "", "express", NULL, E_INVAL,
	  4498, 0, 0, 0, 4498, NULL, "Express shipping is not available" },
	{ "unknown method", BASKET, "US", "NY", "teleport", NULL, E_INVAL,
	  4498, 0, 180, 0, 4678, NULL, "There is no such shipping method." },
	/* No lane at all for INTL: nothing to choose. */
	{ "intl", BASKET, "JP", "", NULL, NULL, E_INVAL, 4498, 0, 0, 0, 4498, NULL, "No shipping method" },
	{ "unknown country", BASKET, "ZZ", "", NULL, NULL, E_INVAL, 0, 0, 0, 0, 0, NULL, "The address's country" },
	{ "lower case", BASKET, "us", "ny", NULL, NULL, E_OK, 4498, 0, 180, 699, 5377, "standard", NULL },
	{ "over the cap", 1, { { 1, PRICING_MAX_AMOUNT, 2, 0, 0, 0 } }, "US", "NY", NULL, NULL, E_TOOBIG,
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "bad line", 1, { { 1, 100, 0, 0, 0, 0 } }, "US", "NY", NULL, NULL, E_INVAL, 0, 0, 0, 0, 0, NULL, NULL },
};

START_TEST(quote_table)
{
	const struct quote_case *t = &quote_cases[_i];
	struct pricing_line l[MAXL];
	struct pricing_dest d = { t->country, t->region };
	struct pricing_quote q;
	enum err e;
	int64_t dsum = 0, tsum = 0;

	memcpy(l, t->l, sizeof(l));
	e = pricing_quote_for(&tables, A, l, (size_t)t->n, &d, t->method, t->promo, &q);
	ck_assert_msg(e == t->want, "%s: %s, want %s (%s)", t->name, err_str(e), err_str(t->want),
		      q.method_error ? q.method_error : "");
	ck_assert_str_eq(q.currency, "USD");
	if (t->error)
		ck_assert_msg(q.method_error && !strncmp(q.method_error, t->error, strlen(t->error)),
			      "%s: error '%s', want '%s'", t->name, q.method_error ? q.method_error : "(none)",
			      t->error);
	else
		ck_assert_msg(q.method_error == NULL, "%s: error %s", t->name, q.method_error);
	if (e != E_OK && e != E_INVAL)
		return;
	ck_assert_msg(q.subtotal == t->subtotal && q.discount == t->discount && q.tax == t->tax &&
		      q.shipping == t->shipping && q.total == t->total,
		      "%s: subtotal %lld discount %lld tax %lld shipping %lld total %lld, want %lld %lld %lld %lld %lld",
		      t->name, (long long)q.subtotal, (long long)q.discount, (long long)q.tax,
		      (long long)q.shipping, (long long)q.total, (long long)t->subtotal,
		      (long long)t->discount, (long long)t->tax, (long long)t->shipping, (long long)t->total);
	if (t->chosen)
		ck_assert_str_eq(q.method, t->chosen);
	else
		ck_assert_ptr_null(q.method);
	if (q.subtotal) {
		for (int i = 0; i < t->n; i++) {
			dsum += l[i].discount;
			tsum += l[i].tax;
		}
		ck_assert_int_eq(dsum, q.discount);
		ck_assert_int_eq(tsum, q.tax);
		ck_assert_int_eq(q.promo_id, t->promo ? t->promo->id : 0);
	}
}
END_TEST

START_TEST(quote_lists_every_method)
{
	struct pricing_line l[] = { { 1, 1999, 2, 300, 0, 0 }, { 2, 500, 1, 200, 0, 0 } };
	struct pricing_dest d = { "US", "NY" };
	struct pricing_quote q;

	ck_assert_int_eq(pricing_quote_for(&tables, A, l, 2, &d, NULL, NULL, &q), E_OK);
	ck_assert_uint_eq(q.nmethods, 3);
	ck_assert_str_eq(q.methods[0].code, "standard");
	ck_assert_str_eq(q.methods[0].name, "Standard shipping");
	ck_assert(q.methods[0].available);
	ck_assert_int_eq(q.methods[0].price, 699);
	ck_assert_int_eq(q.methods[0].days_min, 3);
	ck_assert_int_eq(q.methods[0].days_max, 5);
	ck_assert(!q.methods[0].free);
	ck_assert_ptr_null(q.methods[0].why_unavailable);
	ck_assert(q.methods[1].available);
	ck_assert_int_eq(q.methods[1].price, 1599);
	ck_assert(!q.methods[2].available);
	ck_assert_str_eq(q.methods[2].why_unavailable, "Overnight shipping is not available for this address.");
	ck_assert_str_eq(q.zone, "US");
	ck_assert_int_eq(q.tax_rate_ppm, 40000);
	ck_assert_str_eq(q.tax_name, "New York sales tax");
	ck_assert_int_eq(q.weight_g, 800);
	ck_assert_int_eq(q.days_min, 3);
	ck_assert_str_eq(q.method_name, "Standard shipping");

	/* Free shipping is marked as such. */
	l[0].quantity = 3;
	ck_assert_int_eq(pricing_quote_for(&tables, A, l, 2, &d, NULL, NULL, &q), E_OK);
	ck_assert(q.methods[0].free);
	ck_assert_int_eq(q.shipping, 0);
	/* No tax row: no tax, empty name. */
	d.country = "GB";
	d.region = "";
	pricing_quote_for(&tables, A, l, 2, &d, NULL, NULL, &q);
	ck_assert_int_eq(q.tax, 0);
	ck_assert_str_eq(q.tax_name, "");
	ck_assert_str_eq(q.zone, "INTL");
}
END_TEST

START_TEST(quote_promo_fields)
{
	struct pricing_line l[] = { { 1, 1999, 2, 300, 0, 0 } };
	struct pricing_dest d = { "US", "TX" };
	struct pricing_quote q;

	ck_assert_int_eq(pricing_quote_for(&tables, A, l, 1, &d, NULL, &pct10, &q), E_OK);
	ck_assert_int_eq(q.promo_id, 11);
	ck_assert_str_eq(q.promo_code, "WELCOME10");
	ck_assert_ptr_null(q.promo_error);
	ck_assert_int_eq(q.discount, 400);	/* 399.8 */
	ck_assert_int_eq(l[0].discount, 400);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pricing");
	TCase *arith = tcase_create("arithmetic"), *rules = tcase_create("rules"),
	      *quote = tcase_create("quote");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(arith, round_table, 0, N(round_cases));
	tcase_add_loop_test(arith, sum_table, 0, N(sum_cases));
	tcase_add_test(arith, sum_limits);
	tcase_add_loop_test(arith, alloc_table, 0, N(alloc_cases));
	tcase_add_test(arith, alloc_properties);
	tcase_add_test(arith, alloc_refuses_bad_lines);
	tcase_add_loop_test(arith, tax_table, 0, N(tax_cases));
	tcase_add_loop_test(arith, discount_table, 0, N(discount_cases));
	tcase_add_loop_test(arith, money_table, 0, N(money_cases));
	suite_add_tcase(s, arith);

	tcase_add_loop_test(rules, check_table, 0, N(check_cases));
	tcase_add_loop_test(rules, code_table, 0, N(code_cases));
	tcase_add_test(rules, code_small_buffer);
	tcase_add_loop_test(rules, zone_table, 0, N(zone_cases));
	tcase_add_test(rules, eu_has_27);
	tcase_add_loop_test(rules, tax_find_table, 0, N(find_cases));
	tcase_add_loop_test(rules, lane_table, 0, N(lane_cases));
	suite_add_tcase(s, rules);

	tcase_add_checked_fixture(quote, arena_setup, arena_teardown);
	tcase_add_loop_test(quote, quote_table, 0, N(quote_cases));
	tcase_add_test(quote, quote_lists_every_method);
	tcase_add_test(quote, quote_promo_fields);
	suite_add_tcase(s, quote);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
