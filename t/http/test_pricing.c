/* t/http: checkout pricing against the stack's MariaDB: the schema block
 * applies again cleanly, quotes use the seeded rates, promo codes are
 * refused with the right sentences, and redemption under the promo row lock
 * never hands out more uses than the limit, even to many buyers at once
 * (each racing thread has its own connection through the db layer). Runs
 * again on the same database in the sanitizer pass, so every promo code and
 * order id is new to this run. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "../../app/core/arena.h"
#include "../../app/core/config.h"
#include "../../app/store/db.h"
#include "../../app/pricing/pricing.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct db *DB;
static struct arena *A;
static long long next_order;	/* order ids no earlier run used */
static long long next_user;
static int ncodes;

static void setup(void)
{
	A = arena_new(8192);
	ck_assert_ptr_nonnull(A);
	/* Ids no earlier run on this database has used (once; here, not in
	 * main(): the harness's SQL asserts, which only a running case may). */
	if (!next_order) {
		next_order = sql_scalar("SELECT COALESCE(MAX(order_id), 0) FROM promo_redemptions") + 1000;
		next_user = sql_scalar("SELECT COALESCE(MAX(user_id), 0) FROM promo_redemptions") + 1000;
	}
}

static void teardown(void)
{
	arena_destroy(A);
}

/* Creates a promo (extra: SQL column values after code, kind, value) and
 * returns its id; the code is "<tag>-<pid>-<n>", new to this database. */
static long long make_promo(const char *tag, const char *cols, const char *vals, char *code, size_t len)
{
	char q[1024];
	long long id;

	snprintf(code, len, "%s-%d-%d", tag, (int)getpid() % 100000, ++ncodes);
	snprintf(q, sizeof(q), "INSERT INTO promo_codes (code, kind, value%s%s) VALUES ('%s', %s)",
		 cols[0] ? ", " : "", cols, code, vals);
	ck_assert_int_eq(sql_exec(q), 0);
	snprintf(q, sizeof(q), "SELECT id FROM promo_codes WHERE code = '%s'", code);
	id = sql_scalar(q);
	ck_assert_int_gt(id, 0);
	return id;
}

static long long promo_scalar(const char *what, long long id)
{
	char q[256];

	snprintf(q, sizeof(q), "SELECT %s FROM promo_codes WHERE id = %lld", what, id);
	return sql_scalar(q);
}

static long long redemptions(long long promo_id, const char *where)
{
	char q[256];

	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM promo_redemptions WHERE promo_id = %lld%s%s",
		 promo_id, where ? " AND " : "", where ? where : "");
	return sql_scalar(q);
}

/* Redeems in a transaction of its own; returns the result, *why the reason. */
static enum err redeem_tx(long long promo, long long user, long long order, const char **why)
{
	enum err e;

	ck_assert_int_eq(db_begin(DB), E_OK);
	e = pricing_promo_redeem(DB, A, promo, user, order, time(NULL), why);
	if (e == E_OK)
		ck_assert_int_eq(db_commit(DB), E_OK);
	else
		db_rollback(DB);
	return e;
}

static enum err release_tx(long long order)
{
	enum err e;

	ck_assert_int_eq(db_begin(DB), E_OK);
	e = pricing_promo_release(DB, A, order);
	if (e == E_OK)
		ck_assert_int_eq(db_commit(DB), E_OK);
	else
		db_rollback(DB);
	return e;
}

/* Two shirts at $19.99 (300 g each) and socks at $5.00 (200 g). */
static void basket(struct pricing_line *l)
{
	l[0] = (struct pricing_line){ 1, 1999, 2, 300, 0, 0 };
	l[1] = (struct pricing_line){ 2, 500, 1, 200, 0, 0 };
}

/* ---- schema ---- */

static const char *const seed_counts[] = {
	"SELECT COUNT(*) FROM shipping_methods",
	"SELECT COUNT(*) FROM shipping_lanes",
	"SELECT COUNT(*) FROM shipping_rates",
	"SELECT COUNT(*) FROM tax_rates",
	"SELECT COUNT(*) FROM promo_codes",
	"SELECT COUNT(*) FROM promo_redemptions",
};

START_TEST(schema_applies_again)
{
	long long before[N(seed_counts)];
	char cmd[4096];
	const char *root = getenv("SHOP_ROOT");

	for (size_t i = 0; i < N(seed_counts); i++)
		before[i] = sql_scalar(seed_counts[i]);
	ck_assert_int_eq(before[0], 3);
	ck_assert_int_ge(before[3], 50);
	/* Twice more: migrate applies schema.sql every time. */
	for (int run = 0; run < 2; run++) {
		snprintf(cmd, sizeof(cmd), "%s/bin/shopctl migrate >/dev/null", root ? root : ".");
		ck_assert_int_eq(system(cmd), 0);
	}
	for (size_t i = 0; i < N(seed_counts); i++)
		ck_assert_int_eq(sql_scalar(seed_counts[i]), before[i]);
	/* The CHECKs hold: codes upper-case, percentages at most 100%, no
	 * more uses than the limit, zones from the known list. */
	ck_assert_int_eq(sql_errno("INSERT INTO promo_codes (code, kind, value) VALUES ('lower-x', 'fixed', 100)"), ER_CONSTRAINT_FAILED);
	ck_assert_int_eq(sql_errno("INSERT INTO promo_codes (code, kind, value) VALUES ('AB', 'fixed', 100)"), ER_CONSTRAINT_FAILED);
	ck_assert_int_eq(sql_errno("INSERT INTO promo_codes (code, kind, value) VALUES ('PCT-OVER', 'percent', 10001)"), ER_CONSTRAINT_FAILED);
	ck_assert_int_eq(sql_errno("UPDATE promo_codes SET used_count = usage_limit + 1 WHERE code = 'FIRST100'"), ER_CONSTRAINT_FAILED);
	ck_assert_int_eq(sql_errno("INSERT INTO shipping_lanes (method, zone, days_min, days_max) "
				  "VALUES ('standard', 'MARS', 1, 2)"), ER_CONSTRAINT_FAILED);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM promo_codes WHERE code IN ('LOWER-X', 'AB', 'PCT-OVER')"), 0);
}
END_TEST

/* ---- quotes on the seeded tables ---- */

START_TEST(quote_seeded_rates)
{
	struct pricing_line l[2];
	struct pricing_dest ca = { "US", "CA" }, hi = { "US", "HI" }, qc = { "CA", "QC" };
	struct pricing_quote q;

	pricing_cache_clear();
	basket(l);
	ck_assert_int_eq(pricing_quote(DB, A, l, 2, &ca, NULL, NULL, 0, time(NULL), &q), E_OK);
	/* 7.25%: 289.855 -> 290 and 36.25 -> 36; 800 g standard = $6.99. */
	ck_assert_int_eq(q.subtotal, 4498);
	ck_assert_int_eq(q.tax, 326);
	ck_assert_int_eq(q.shipping, 699);
	ck_assert_int_eq(q.total, 5523);
	ck_assert_str_eq(q.method, "standard");
	ck_assert_str_eq(q.tax_name, "California sales tax");
	ck_assert_uint_eq(q.nmethods, 3);
	ck_assert_str_eq(q.methods[1].code, "express");
	ck_assert_int_eq(q.methods[1].price, 1599);
	ck_assert_str_eq(q.methods[2].code, "overnight");
	ck_assert_int_eq(q.methods[2].price, 2999);
	ck_assert_int_eq(q.methods[2].days_max, 1);

	/* SAVE5 typed in lower case: $5 off, spread 444/56 by share. */
	ck_assert_int_eq(pricing_quote(DB, A, l, 2, &ca, "express", " save5 ", 0, time(NULL), &q), E_OK);
	ck_assert_ptr_null(q.promo_error);
	ck_assert_str_eq(q.promo_code, "SAVE5");
	ck_assert_int_gt(q.promo_id, 0);
	ck_assert_int_eq(q.discount, 500);
	ck_assert_int_eq(l[0].discount + l[1].discount, 500);
	ck_assert_int_eq(l[0].discount, 444);	/* 444.42; 55.58 has the larger remainder */
	ck_assert_int_eq(q.shipping, 1599);
	/* 3554 x 7.25% = 257.665 -> 258, 444 x 7.25% = 32.19 -> 32. */
	ck_assert_int_eq(q.tax, 290);
	ck_assert_int_eq(q.total, 4498 - 500 + 290 + 1599);

	/* Hawaii: the remote zone; overnight is not offered there. */
	ck_assert_int_eq(pricing_quote(DB, A, l, 2, &hi, "overnight", NULL, 0, time(NULL), &q), E_INVAL);
	ck_assert_str_eq(q.method_error, "Overnight shipping is not available for this address.");
	ck_assert_str_eq(q.zone, "US-REMOTE");
	ck_assert_int_eq(pricing_quote(DB, A, l, 2, &hi, NULL, NULL, 0, time(NULL), &q), E_OK);
	ck_assert_int_eq(q.shipping, 1299);
	ck_assert_int_eq(q.tax, 0);

	/* Quebec: 14.975%. */
	ck_assert_int_eq(pricing_quote(DB, A, l, 2, &qc, NULL, NULL, 0, time(NULL), &q), E_OK);
	ck_assert_int_eq(q.tax, 674);
	ck_assert_int_eq(q.shipping, 1699);
}
END_TEST

START_TEST(free_shipping_and_weight_limits)
{
	struct pricing_line l[1] = { { 1, 2500, 2, 3000, 0, 0 } };	/* $50, 6 kg */
	struct pricing_dest ny = { "US", "NY" };
	struct pricing_method *m;
	size_t n;

	ck_assert_int_eq(pricing_methods(DB, A, l, 1, &ny, 0, &m, &n), E_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert(m[0].available && m[0].free && m[0].price == 0);
	ck_assert(m[1].available && m[1].price == 3999);	/* express to 10 kg */
	ck_assert(!m[2].available);
	ck_assert_str_eq(m[2].why_unavailable, "Overnight shipping takes parcels up to 5 kg; this order weighs 6 kg.");
	/* A cent of discount takes the goods below $50.00. */
	ck_assert_int_eq(pricing_methods(DB, A, l, 1, &ny, 1, &m, &n), E_OK);
	ck_assert(!m[0].free && m[0].price == 1799);
	ck_assert_int_eq(pricing_methods(DB, A, l, 1, &(struct pricing_dest){ "XX", "" }, 0, &m, &n), E_INVAL);
}
END_TEST

/* The rate tables are cached per process: a change shows after the cache is
 * cleared (or PRICING_TTL seconds). */
START_TEST(rate_cache)
{
	struct pricing_line l[2];
	struct pricing_dest wa = { "US", "WA" };
	struct pricing_quote q;

	basket(l);
	pricing_cache_clear();
	ck_assert_int_eq(pricing_quote(DB, A, l, 2, &wa, NULL, NULL, 0, time(NULL), &q), E_OK);
	ck_assert_int_eq(q.tax_rate_ppm, 65000);
	ck_assert_int_eq(sql_exec("UPDATE tax_rates SET rate_ppm = 100000 WHERE country = 'US' AND region = 'WA'"), 0);
	ck_assert_int_eq(pricing_quote(DB, A, l, 2, &wa, NULL, NULL, 0, time(NULL), &q), E_OK);
	ck_assert_int_eq(q.tax_rate_ppm, 65000);	/* still cached */
	pricing_cache_clear();
	ck_assert_int_eq(pricing_quote(DB, A, l, 2, &wa, NULL, NULL, 0, time(NULL), &q), E_OK);
	ck_assert_int_eq(q.tax_rate_ppm, 100000);
	ck_assert_int_eq(q.tax, 450);
	ck_assert_int_eq(sql_exec("UPDATE tax_rates SET rate_ppm = 65000 WHERE country = 'US' AND region = 'WA'"), 0);
	pricing_cache_clear();
}
END_TEST

/* ---- promo messages ---- */

struct promo_case {
	const char *code;
	int64_t unit;		/* one line of quantity 1 */
	int signed_in;
	const char *error;	/* NULL: applies */
	int64_t discount;
};

static const struct promo_case promo_cases[] = {
	{ "SAVE5", 2500, 0, NULL, 500 },
	{ "save5", 3000, 0, NULL, 500 },
	{ "SAVE5", 2499, 0, "Add $0.01 more to use this promo code (it needs a subtotal of $25.00).", 0 },
	{ "SAVE5", 2000, 0, "Add $5.00 more to use this promo code (it needs a subtotal of $25.00).", 0 },
	{ "WELCOME10", 2000, 1, NULL, 200 },
	{ "WELCOME10", 1999, 1, "Add $0.01 more", 0 },
	{ "WELCOME10", 5000, 0, "Sign in to use this promo code", 0 },
	{ "FIRST100", 1001, 0, NULL, 150 },		/* 150.15 */
	{ "SUMMER24", 5000, 1, "This promo code has expired.", 0 },
	{ "NOPE-42", 5000, 1, "There is no promo code NOPE-42.", 0 },
	{ "save 5", 5000, 1, "That is not a promo code", 0 },
	{ "X", 5000, 1, "That is not a promo code", 0 },
	{ "", 5000, 1, NULL, 0 },			/* no code: no promo, no error */
	{ "   ", 5000, 1, NULL, 0 },
};

START_TEST(promo_messages)
{
	const struct promo_case *t = &promo_cases[_i];
	struct pricing_line l[1] = { { 1, t->unit, 1, 100, 0, 0 } };
	struct pricing_dest d = { "US", "OR" };
	struct pricing_quote q;

	ck_assert_int_eq(pricing_quote(DB, A, l, 1, &d, NULL, t->code, t->signed_in ? next_user++ : 0,
				       time(NULL), &q), E_OK);
	if (t->error)
		ck_assert_msg(q.promo_error && !strncmp(q.promo_error, t->error, strlen(t->error)),
			      "%s: '%s', want '%s'", t->code, q.promo_error ? q.promo_error : "(applies)", t->error);
	else
		ck_assert_msg(q.promo_error == NULL, "%s: %s", t->code, q.promo_error);
	ck_assert_int_eq(q.discount, t->discount);
	ck_assert_int_eq(q.promo_id != 0, t->discount != 0);
	ck_assert_int_eq(q.total, t->unit - t->discount + q.shipping);
}
END_TEST

START_TEST(promo_window_and_limit_messages)
{
	struct pricing_line l[1] = { { 1, 5000, 1, 100, 0, 0 } };
	struct pricing_dest d = { "US", "OR" };
	struct pricing_quote q;
	char later[40], used[40], off[40];
	const char *why;

	make_promo("LATER", "starts_at", "'fixed', 100, NOW() + INTERVAL 1 DAY", later, sizeof(later));
	make_promo("USED", "usage_limit, used_count", "'fixed', 100, 2, 2", used, sizeof(used));
	long long off_id = make_promo("OFF", "active", "'fixed', 100, 0", off, sizeof(off));

	ck_assert_int_eq(pricing_quote(DB, A, l, 1, &d, NULL, later, 0, time(NULL), &q), E_OK);
	ck_assert_str_eq(q.promo_error, "This promo code is not valid yet.");
	ck_assert_int_eq(pricing_quote(DB, A, l, 1, &d, NULL, later, 0, time(NULL) + 2 * 86400, &q), E_OK);
	ck_assert_ptr_null(q.promo_error);
	ck_assert_int_eq(pricing_quote(DB, A, l, 1, &d, NULL, used, 0, time(NULL), &q), E_OK);
	ck_assert_str_eq(q.promo_error, "This promo code has been used up.");
	ck_assert_int_eq(pricing_quote(DB, A, l, 1, &d, NULL, off, 0, time(NULL), &q), E_OK);
	ck_assert_str_eq(q.promo_error, "This promo code is no longer available.");
	ck_assert_int_eq(q.discount, 0);
	/* Redemption checks the same way, under the lock. */
	ck_assert_int_eq(redeem_tx(off_id, 0, next_order++, &why), E_CONFLICT);
	ck_assert_str_eq(why, "This promo code is no longer available.");
	ck_assert_int_eq(redeem_tx(off_id + 100000000, 0, next_order++, &why), E_NOTFOUND);
}
END_TEST

/* ---- redemption ---- */

START_TEST(redeem_release_idempotent)
{
	char code[40], other[40];
	long long p = make_promo("IDEM", "usage_limit", "'fixed', 100, 5", code, sizeof(code));
	long long p2 = make_promo("IDEM2", "", "'fixed', 100", other, sizeof(other));
	long long order = next_order++, user = next_user++;
	const char *why = "unset";

	ck_assert_int_eq(redeem_tx(p, user, order, &why), E_OK);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(promo_scalar("used_count", p), 1);
	/* A retried step: nothing counted twice. */
	ck_assert_int_eq(redeem_tx(p, user, order, &why), E_OK);
	ck_assert_int_eq(promo_scalar("used_count", p), 1);
	ck_assert_int_eq(redemptions(p, NULL), 1);
	/* One promo per order. */
	ck_assert_int_eq(redeem_tx(p2, user, order, &why), E_CONFLICT);
	ck_assert_str_eq(why, "This order already uses another promo code.");
	ck_assert_int_eq(promo_scalar("used_count", p2), 0);

	/* Release gives the use back, once. */
	ck_assert_int_eq(release_tx(order), E_OK);
	ck_assert_int_eq(promo_scalar("used_count", p), 0);
	ck_assert_int_eq(redemptions(p, "released_at IS NOT NULL"), 1);
	ck_assert_int_eq(release_tx(order), E_OK);
	ck_assert_int_eq(promo_scalar("used_count", p), 0);
	ck_assert_int_eq(redemptions(p, NULL), 1);
	/* An order that never redeemed: nothing to do. */
	ck_assert_int_eq(release_tx(next_order++), E_OK);
	/* A released order does not take the promo again. */
	ck_assert_int_eq(redeem_tx(p, user, order, &why), E_CONFLICT);
	ck_assert_str_eq(why, "This order's promo code was given back when the order was cancelled.");
	ck_assert_int_eq(promo_scalar("used_count", p), 0);
	/* Rolled back with the caller's transaction: no trace. */
	ck_assert_int_eq(db_begin(DB), E_OK);
	ck_assert_int_eq(pricing_promo_redeem(DB, A, p, user, next_order, time(NULL), &why), E_OK);
	db_rollback(DB);
	ck_assert_int_eq(promo_scalar("used_count", p), 0);
	ck_assert_int_eq(redemptions(p, NULL), 1);
}
END_TEST

START_TEST(once_per_customer)
{
	char code[40];
	long long p = make_promo("ONCE", "once_per_customer", "'percent', 1000, 1", code, sizeof(code));
	long long user = next_user++, a = next_order++, b = next_order++;
	struct pricing_line l[1] = { { 1, 5000, 1, 100, 0, 0 } };
	struct pricing_dest d = { "US", "OR" };
	struct pricing_quote q;
	const char *why;

	ck_assert_int_eq(redeem_tx(p, 0, next_order++, &why), E_CONFLICT);	/* a guest */
	ck_assert_str_eq(why, "Sign in to use this promo code: it can be used once per customer.");
	ck_assert_int_eq(redeem_tx(p, user, a, &why), E_OK);
	ck_assert_int_eq(redeem_tx(p, user, b, &why), E_CONFLICT);
	ck_assert_str_eq(why, "You have already used this promo code.");
	ck_assert_int_eq(pricing_quote(DB, A, l, 1, &d, NULL, code, user, time(NULL), &q), E_OK);
	ck_assert_str_eq(q.promo_error, "You have already used this promo code.");
	ck_assert_int_eq(redeem_tx(p, next_user++, b, &why), E_OK);	/* someone else may */
	/* A cancelled order gives the shopper their use back. */
	ck_assert_int_eq(release_tx(a), E_OK);
	ck_assert_int_eq(pricing_quote(DB, A, l, 1, &d, NULL, code, user, time(NULL), &q), E_OK);
	ck_assert_ptr_null(q.promo_error);
	ck_assert_int_eq(q.discount, 500);
	ck_assert_int_eq(redeem_tx(p, user, next_order++, &why), E_OK);
	ck_assert_int_eq(promo_scalar("used_count", p), 2);
	ck_assert_int_eq(redemptions(p, "released_at IS NULL"), 2);
}
END_TEST

/* ---- the race ---- */

#define RACERS 8

struct racer {
	struct db *db;
	struct arena *a;
	long long promo, user, order;
	pthread_barrier_t *start;
	enum err e, commit;
	const char *why;
};

/* Each buyer: begin, redeem, hold the transaction open a moment (as a
 * checkout step would while it writes the order), commit. */
static void *race(void *arg)
{
	struct racer *r = arg;

	r->commit = E_INTERNAL;
	pthread_barrier_wait(r->start);
	if ((r->e = db_begin(r->db)))
		return NULL;
	r->e = pricing_promo_redeem(r->db, r->a, r->promo, r->user, r->order, time(NULL), &r->why);
	if (r->e == E_OK) {
		usleep(100 * 1000);
		r->commit = db_commit(r->db);
	} else {
		db_rollback(r->db);
	}
	return NULL;
}

/* RACERS buyers at once for a promo (same_user: all one shopper, for a
 * once-per-customer promo); returns the number that won. */
static int run_race(long long promo, int same_user)
{
	struct racer r[RACERS];
	pthread_t th[RACERS];
	pthread_barrier_t start;
	long long user = next_user;
	int won = 0;

	next_user += RACERS;
	pthread_barrier_init(&start, NULL, RACERS);
	/* Connections are opened here, not in the threads: the client
	 * library's first initialisation is not thread-safe. */
	for (int i = 0; i < RACERS; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		ck_assert_int_eq(db_open(&r[i].db), E_OK);
		ck_assert_int_eq(db_prepare_all(r[i].db), E_OK);
		r[i].a = arena_new(4096);
		r[i].promo = promo;
		r[i].user = same_user ? user : user + i;
		r[i].order = next_order++;
		r[i].start = &start;
	}
	for (int i = 0; i < RACERS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, race, &r[i]), 0);
	for (int i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < RACERS; i++) {
		if (r[i].e == E_OK) {
			ck_assert_int_eq(r[i].commit, E_OK);
			won++;
		} else {
			ck_assert_msg(r[i].e == E_CONFLICT, "racer %d: %s (%s)", i, err_str(r[i].e),
				      db_error(r[i].db));
			ck_assert_str_eq(r[i].why, same_user ? "You have already used this promo code."
							     : "This promo code has been used up.");
		}
		arena_destroy(r[i].a);
		db_close(r[i].db);
	}
	pthread_barrier_destroy(&start);
	return won;
}

START_TEST(race_for_the_last_use)
{
	char code[40];
	long long p = make_promo("LAST", "usage_limit", "'fixed', 100, 1", code, sizeof(code));

	ck_assert_int_eq(run_race(p, 0), 1);
	ck_assert_int_eq(promo_scalar("used_count", p), 1);
	ck_assert_int_eq(redemptions(p, NULL), 1);
}
END_TEST

START_TEST(race_for_three_uses)
{
	char code[40];
	long long p = make_promo("THREE", "usage_limit", "'fixed', 100, 3", code, sizeof(code));

	ck_assert_int_eq(run_race(p, 0), 3);
	ck_assert_int_eq(promo_scalar("used_count", p), 3);
	ck_assert_int_eq(redemptions(p, NULL), 3);
	/* A release frees one use for the next buyer. */
	{
		char q[256];
		long long order;

		snprintf(q, sizeof(q), "SELECT MIN(order_id) FROM promo_redemptions WHERE promo_id = %lld", p);
		order = sql_scalar(q);
		ck_assert_int_eq(release_tx(order), E_OK);
		ck_assert_int_eq(run_race(p, 0), 1);
		ck_assert_int_eq(promo_scalar("used_count", p), 3);
	}
}
END_TEST

START_TEST(race_same_shopper_once)
{
	char code[40];
	long long p = make_promo("ONCE-RACE", "once_per_customer", "'fixed', 100, 1", code, sizeof(code));

	ck_assert_int_eq(run_race(p, 1), 1);
	ck_assert_int_eq(promo_scalar("used_count", p), 1);
	ck_assert_int_eq(redemptions(p, NULL), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-pricing");
	TCase *tc = tcase_create("pricing");
	enum err e;

	harness_init();
	if (config_load(&config)) {
		fprintf(stderr, "test_pricing: bad configuration\n");
		return 1;
	}
	pricing_init();
	if ((e = db_open(&DB)) || (e = db_prepare_all(DB))) {
		fprintf(stderr, "test_pricing: database: %s %s\n", err_str(e), DB ? db_error(DB) : "");
		return 1;
	}
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, schema_applies_again);
	tcase_add_test(tc, quote_seeded_rates);
	tcase_add_test(tc, free_shipping_and_weight_limits);
	tcase_add_test(tc, rate_cache);
	tcase_add_loop_test(tc, promo_messages, 0, (int)N(promo_cases));
	tcase_add_test(tc, promo_window_and_limit_messages);
	tcase_add_test(tc, redeem_release_idempotent);
	tcase_add_test(tc, once_per_customer);
	tcase_add_test(tc, race_for_the_last_use);
	tcase_add_test(tc, race_for_three_uses);
	tcase_add_test(tc, race_same_shopper_once);
	suite_add_tcase(s, tc);
	e = run_suite(s);
	db_close(DB);
	return (int)e;
}
