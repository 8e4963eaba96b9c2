/* The order state machine (order_move, order_create) and pricing with its
 * database tables (rates, taxes, promo codes) against MariaDB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <check.h>
#include "../../app/pricing/pricing.h"
#include "../../app/inventory/inventory.h"
#include "../../app/order/order.h"
#include "fixture.h"

static int64_t seller, product, sku[2], user;

static void setup(void)
{
	dom_setup();
	seller = mk_seller();
	user = mk_user();
	product = mk_product(seller, 2, 1500, sku);
	set_stock(seller, product, sku[0], WH_EAST, 50);
	set_stock(seller, product, sku[1], WH_WEST, 50);
}

/* ---- the state machine ---- */

static const struct move_case {
	const char *from, *to;
	int legal;
} move_cases[] = {
	{ "pending_payment", "confirmed", 1 }, { "pending_payment", "payment_failed", 1 },
	{ "pending_payment", "expired", 1 }, { "pending_payment", "cancelled", 1 },
	{ "pending_payment", "shipped", 0 }, { "pending_payment", "refunded", 0 },
	{ "payment_failed", "confirmed", 1 }, { "payment_failed", "expired", 1 },
	{ "payment_failed", "cancelled", 1 }, { "payment_failed", "shipped", 0 },
	{ "confirmed", "fulfilling", 1 }, { "confirmed", "shipped", 1 }, { "confirmed", "cancelled", 1 },
	{ "confirmed", "expired", 0 }, { "confirmed", "pending_payment", 0 }, { "confirmed", "delivered", 0 },
	{ "fulfilling", "shipped", 1 }, { "fulfilling", "cancelled", 1 }, { "fulfilling", "delivered", 1 },
	{ "fulfilling", "returned", 1 }, { "fulfilling", "refunded", 1 }, { "fulfilling", "confirmed", 0 },
	{ "shipped", "delivered", 1 }, { "shipped", "returned", 1 }, { "shipped", "refunded", 1 },
	{ "shipped", "cancelled", 0 }, { "shipped", "fulfilling", 0 },
	{ "delivered", "returned", 1 }, { "delivered", "refunded", 1 }, { "delivered", "shipped", 0 },
	{ "returned", "refunded", 1 }, { "returned", "delivered", 0 },
	{ "expired", "confirmed", 0 }, { "expired", "cancelled", 0 }, { "cancelled", "confirmed", 0 },
	{ "cancelled", "expired", 0 }, { "refunded", "returned", 0 }, { "refunded", "cancelled", 0 },
};

struct mv {
	int64_t order;
	const char *to, *from;
};

static enum err tx_move(struct db *db, void *p)
{
	struct mv *m = p;

	return order_move(db, A, m->order, m->to, "test", "a table case", &m->from);
}

START_TEST(move_table)
{
	const struct move_case *t = &move_cases[_i];
	struct dline l = { sku[0], product, seller, 1, 1500 };
	int64_t o = mk_order(user, &l, 1);
	struct mv m = { o, t->to, NULL };
	long long events;
	enum err e;

	ck_assert_int_gt(o, 0);
	dx("UPDATE orders SET status = '%s' WHERE id = %lld", t->from, (long long)o);
	events = dq("SELECT COUNT(*) FROM order_events WHERE order_id = %lld", (long long)o);
	e = in_tx(tx_move, &m);
	ck_assert_msg(e == (t->legal ? E_OK : E_CONFLICT), "%s -> %s: %s", t->from, t->to, err_str(e));
	ck_assert_str_eq(m.from, t->from);
	ck_assert_str_eq(ds("SELECT status FROM orders WHERE id = %lld", (long long)o), t->legal ? t->to : t->from);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM order_events WHERE order_id = %lld", (long long)o),
			 events + (t->legal ? 1 : 0));
	if (t->legal)
		ck_assert_int_eq(dq("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND from_status = '%s' "
				    "AND to_status = '%s' AND actor = 'test' AND reason = 'a table case'",
				    (long long)o, t->from, t->to), 1);
}
END_TEST

START_TEST(move_unknown_order)
{
	struct mv m = { 999999999, "confirmed", NULL };

	ck_assert_int_eq(in_tx(tx_move, &m), E_NOTFOUND);
}
END_TEST

START_TEST(create_writes_order_lines_events)
{
	struct dline l[] = { { sku[0], product, seller, 2, 1500 }, { sku[1], product, seller, 3, 1500 } };
	int64_t o = mk_order(user, l, 2);

	ck_assert_int_gt(o, 0);
	ck_assert_str_eq(ds("SELECT status FROM orders WHERE id = %lld", (long long)o), "pending_payment");
	ck_assert_int_eq(dq("SELECT total FROM orders WHERE id = %lld", (long long)o), 7500);
	ck_assert_int_eq(dq("SELECT user_id FROM orders WHERE id = %lld", (long long)o), user);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM order_lines WHERE order_id = %lld", (long long)o), 2);
	ck_assert_int_eq(dq("SELECT quantity FROM order_lines WHERE order_id = %lld AND line_no = 2", (long long)o), 3);
	ck_assert_int_eq(dq("SELECT sku_id FROM order_lines WHERE order_id = %lld AND line_no = 1", (long long)o), sku[0]);
	ck_assert_int_eq(dq("SELECT seller_id FROM order_lines WHERE order_id = %lld AND line_no = 1", (long long)o),
			 seller);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND from_status IS NULL "
			    "AND to_status = 'pending_payment' AND reason = 'order placed' AND actor = 'user:%lld'",
			    (long long)o, (long long)user), 1);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'OrderPlaced' AND aggregate_id = %lld "
			    "AND JSON_VALUE(payload, '$.orderId') = %lld AND JSON_VALUE(payload, '$.userId') = %lld "
			    "AND JSON_VALUE(payload, '$.total') = 7500", (long long)o, (long long)o, (long long)user), 1);
	/* Holds: 5 units reserved, nothing moved out of the ledgers. */
	ck_assert_int_eq(reserved(sku[0], WH_EAST) + reserved(sku[1], WH_WEST), 5);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

/* ---- payment outcomes and expiry ---- */

START_TEST(paid_commits_holds_and_confirms)
{
	struct dline l = { sku[0], product, seller, 2, 1500 };
	int64_t o = mk_order(user, &l, 1);
	int late = -1;

	ck_assert_int_gt(o, 0);
	dx("UPDATE orders SET payment_intent = 'pi_dom_%lld' WHERE id = %lld", (long long)o, (long long)o);
	ck_assert_int_eq(order_paid(D, A, ds("SELECT payment_intent FROM orders WHERE id = %lld", (long long)o),
				    "visa", "4242", "gateway", &late), E_OK);
	ck_assert_int_eq(late, 0);
	ck_assert_str_eq(ds("SELECT status FROM orders WHERE id = %lld", (long long)o), "confirmed");
	ck_assert_str_eq(ds("SELECT card_last4 FROM orders WHERE id = %lld", (long long)o), "4242");
	ck_assert_int_eq(dq("SELECT hold_expires_at IS NULL FROM orders WHERE id = %lld", (long long)o), 1);
	ck_assert_int_eq(reserved(sku[0], WH_EAST), 0);
	ck_assert_int_eq(committed(sku[0], WH_EAST), 2);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'OrderConfirmed' AND aggregate_id = %lld",
			    (long long)o), 1);
	/* The mail is the notify consumer's (app/notify, from OrderConfirmed),
	 * not order_paid's. */
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM mail_outbox WHERE subject = 'Your order %lld is confirmed'",
			    (long long)o), 0);
	/* The gateway says it again: nothing changes. */
	ck_assert_int_eq(order_paid(D, A, ds("SELECT payment_intent FROM orders WHERE id = %lld", (long long)o),
				    "visa", "4242", "gateway", &late), E_OK);
	ck_assert_int_eq(committed(sku[0], WH_EAST), 2);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'OrderConfirmed' AND aggregate_id = %lld",
			    (long long)o), 1);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

START_TEST(declined_keeps_holds_then_sweeper_expires)
{
	struct dline l = { sku[1], product, seller, 3, 1500 };
	int64_t o = mk_order(user, &l, 1);
	char intent[64];

	ck_assert_int_gt(o, 0);
	snprintf(intent, sizeof(intent), "pi_dom_%lld", (long long)o);
	dx("UPDATE orders SET payment_intent = '%s' WHERE id = %lld", intent, (long long)o);
	ck_assert_int_eq(order_declined(D, A, intent, "Your card was declined.", "gateway"), E_OK);
	ck_assert_str_eq(ds("SELECT status FROM orders WHERE id = %lld", (long long)o), "payment_failed");
	ck_assert_str_eq(ds("SELECT payment_error FROM orders WHERE id = %lld", (long long)o), "Your card was declined.");
	ck_assert_int_eq(reserved(sku[1], WH_WEST), 3);
	/* One OrderPaymentFailed with the reason (app/notify mails it); the
	 * same decline told again writes no second one. */
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'OrderPaymentFailed' AND aggregate_id = %lld "
			    "AND JSON_VALUE(payload, '$.reason') = 'Your card was declined.'", (long long)o), 1);
	ck_assert_int_eq(order_declined(D, A, intent, "Your card was declined.", "webhook"), E_OK);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'OrderPaymentFailed' AND aggregate_id = %lld",
			    (long long)o), 1);
	/* Unpaid past its window, without an intent to ask the gateway
	 * about: the sweeper expires it and the units come back. */
	dx("UPDATE orders SET payment_intent = NULL, hold_expires_at = NOW(3) - INTERVAL 1 MINUTE WHERE id = %lld",
	   (long long)o);
	ck_assert_int_ge(order_sweep_batch(D, NULL, A), 0);
	ck_assert_str_eq(ds("SELECT status FROM orders WHERE id = %lld", (long long)o), "expired");
	ck_assert_int_eq(reserved(sku[1], WH_WEST), 0);
	ck_assert_int_eq(avail(sku[1], WH_WEST), 50);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND to_status = 'expired' "
			    "AND actor = 'sweeper'", (long long)o), 1);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

/* ---- pricing with the database's tables ---- */

START_TEST(quote_from_tables)
{
	/* Two units of 15.00 at 500 g each to New York: the 1 kg band. */
	struct pricing_line l[] = { { sku[0], 1500, 2, 500, 0, 0 } };
	struct pricing_dest d = { "US", "NY" };
	struct pricing_quote q;

	ck_assert_int_eq(pricing_quote(D, A, l, 1, &d, "standard", NULL, user, (int64_t)time(NULL), &q), E_OK);
	ck_assert_int_eq(q.subtotal, 3000);
	ck_assert_int_eq(q.shipping, 699);
	ck_assert_int_eq(q.tax, 120);		/* 4% of 30.00 */
	ck_assert_int_eq(q.total, 3000 + 699 + 120);
	ck_assert_str_eq(q.method, "standard");
	ck_assert_str_eq(q.zone, "US");
	/* Free standard shipping from 50.00. */
	l[0].quantity = 4;
	ck_assert_int_eq(pricing_quote(D, A, l, 1, &d, "standard", NULL, user, (int64_t)time(NULL), &q), E_OK);
	ck_assert_int_eq(q.shipping, 0);
	/* Overnight is not offered to Canada. */
	d.country = "CA";
	d.region = "ON";
	ck_assert_int_eq(pricing_quote(D, A, l, 1, &d, "overnight", NULL, user, (int64_t)time(NULL), &q), E_INVAL);
	ck_assert_ptr_nonnull(q.method_error);
}
END_TEST

START_TEST(promo_from_table)
{
	struct pricing_line l[] = { { sku[0], 1500, 2, 500, 0, 0 } };
	struct pricing_dest d = { "US", "TX" };
	struct pricing_quote q;
	int64_t now = (int64_t)time(NULL);

	/* SAVE5: 5.00 off from 25.00. */
	ck_assert_int_eq(pricing_quote(D, A, l, 1, &d, "standard", "save5", user, now, &q), E_OK);
	ck_assert_int_eq(q.discount, 500);
	ck_assert_str_eq(q.promo_code, "SAVE5");
	ck_assert_ptr_null(q.promo_error);
	ck_assert_int_eq(l[0].discount, 500);
	/* Under its minimum: no discount, a reason, not an error. */
	l[0].quantity = 1;
	ck_assert_int_eq(pricing_quote(D, A, l, 1, &d, "standard", "SAVE5", user, now, &q), E_OK);
	ck_assert_int_eq(q.discount, 0);
	ck_assert_ptr_nonnull(q.promo_error);
	/* Unknown code. */
	ck_assert_int_eq(pricing_quote(D, A, l, 1, &d, "standard", "NOPE-NOPE", user, now, &q), E_OK);
	ck_assert_int_eq(q.promo_id, 0);
	ck_assert_ptr_nonnull(q.promo_error);
}
END_TEST

struct redeem {
	int64_t promo, user, order;
	const char *why;
};

static enum err tx_redeem(struct db *db, void *p)
{
	struct redeem *r = p;

	return pricing_promo_redeem(db, A, r->promo, r->user, r->order, (int64_t)time(NULL), &r->why);
}

static enum err tx_unredeem(struct db *db, void *p)
{
	struct redeem *r = p;

	return pricing_promo_release(db, A, r->order);
}

START_TEST(promo_use_limit_and_release)
{
	struct dline l = { sku[0], product, seller, 1, 1500 };
	int64_t o1 = mk_order(user, &l, 1), o2 = mk_order(user, &l, 1), o3 = mk_order(mk_user(), &l, 1), promo;
	struct redeem r1, r2, r3;

	dx("INSERT INTO promo_codes (code, kind, value, usage_limit) VALUES ('DOM-%d', 'fixed', 100, 2)", (int)getpid());
	promo = dq("SELECT id FROM promo_codes WHERE code = 'DOM-%d'", (int)getpid());
	r1 = (struct redeem){ promo, user, o1, NULL };
	r2 = (struct redeem){ promo, user, o2, NULL };
	r3 = (struct redeem){ promo, user, o3, NULL };
	ck_assert_int_eq(in_tx(tx_redeem, &r1), E_OK);
	ck_assert_int_eq(in_tx(tx_redeem, &r1), E_OK);	/* idempotent per order */
	ck_assert_int_eq(dq("SELECT used_count FROM promo_codes WHERE id = %lld", (long long)promo), 1);
	ck_assert_int_eq(in_tx(tx_redeem, &r2), E_OK);
	ck_assert_int_eq(dq("SELECT used_count FROM promo_codes WHERE id = %lld", (long long)promo), 2);
	/* The limit is reached. */
	ck_assert_int_eq(in_tx(tx_redeem, &r3), E_CONFLICT);
	ck_assert_int_eq(dq("SELECT used_count FROM promo_codes WHERE id = %lld", (long long)promo), 2);
	/* An expired order gives its use back (order_release does). */
	ck_assert_int_eq(order_release(D, A, o1, "expired", "sweeper", "payment window ended"), E_OK);
	ck_assert_int_eq(dq("SELECT used_count FROM promo_codes WHERE id = %lld", (long long)promo), 1);
	ck_assert_int_eq(dq("SELECT released_at IS NOT NULL FROM promo_redemptions WHERE order_id = %lld",
			    (long long)o1), 1);
	ck_assert_int_eq(in_tx(tx_unredeem, &r1), E_OK);	/* once only */
	ck_assert_int_eq(dq("SELECT used_count FROM promo_codes WHERE id = %lld", (long long)promo), 1);
	ck_assert_int_eq(in_tx(tx_redeem, &r3), E_OK);
	ck_assert_int_eq(dq("SELECT used_count FROM promo_codes WHERE id = %lld", (long long)promo), 2);
}
END_TEST

START_TEST(promo_once_per_customer)
{
	struct dline l = { sku[0], product, seller, 1, 1500 };
	int64_t o1 = mk_order(user, &l, 1), o2 = mk_order(user, &l, 1), promo;
	struct redeem r1, r2, guest;

	promo = dq("SELECT id FROM promo_codes WHERE code = 'WELCOME10'");
	r1 = (struct redeem){ promo, user, o1, NULL };
	r2 = (struct redeem){ promo, user, o2, NULL };
	guest = (struct redeem){ promo, 0, o2, NULL };
	ck_assert_int_eq(in_tx(tx_redeem, &r1), E_OK);
	ck_assert_int_eq(in_tx(tx_redeem, &r2), E_CONFLICT);
	ck_assert_int_eq(in_tx(tx_redeem, &guest), E_CONFLICT);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM promo_redemptions WHERE promo_id = %lld AND user_id = %lld",
			    (long long)promo, (long long)user), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("orders");
	TCase *sm = tcase_create("state machine"), *pr = tcase_create("pricing");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(sm, setup, dom_teardown);
	tcase_add_checked_fixture(pr, setup, dom_teardown);
	tcase_set_timeout(sm, 60);
	tcase_set_timeout(pr, 60);
	tcase_add_loop_test(sm, move_table, 0, (int)(sizeof(move_cases) / sizeof(move_cases[0])));
	tcase_add_test(sm, move_unknown_order);
	tcase_add_test(sm, create_writes_order_lines_events);
	tcase_add_test(sm, paid_commits_holds_and_confirms);
	tcase_add_test(sm, declined_keeps_holds_then_sweeper_expires);
	tcase_add_test(pr, quote_from_tables);
	tcase_add_test(pr, promo_from_table);
	tcase_add_test(pr, promo_use_limit_and_release);
	tcase_add_test(pr, promo_once_per_customer);
	suite_add_tcase(s, sm);
	suite_add_tcase(s, pr);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
