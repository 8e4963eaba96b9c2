/* Holds (app/inventory/holds.c) against MariaDB: hold, commit, release,
 * expire; a shortage holds nothing; warehouses are drawn from in id order;
 * the ledgers agree after every operation. */
#include <stdlib.h>
#include <check.h>
#include "../../app/inventory/inventory.h"
#include "../../app/order/order.h"
#include "fixture.h"

static int64_t seller, product, sku[3], user;

static void setup(void)
{
	dom_setup();
	seller = mk_seller();
	user = mk_user();
	product = mk_product(seller, 3, 1000, sku);
	set_stock(seller, product, sku[0], WH_EAST, 2);
	set_stock(seller, product, sku[0], WH_WEST, 3);
	set_stock(seller, product, sku[1], WH_EAST, 1);
	set_stock(seller, product, sku[2], WH_WEST, 10);
}

static long long holds_of(int64_t order, const char *state)
{
	return dq("SELECT COALESCE(SUM(quantity), 0) FROM holds WHERE order_id = %lld AND state = '%s'",
		  (long long)order, state);
}

START_TEST(hold_draws_lowest_warehouse_first)
{
	struct dline l = { sku[0], product, seller, 4, 1000 };
	int64_t o = mk_order(user, &l, 1);

	ck_assert_int_gt(o, 0);
	/* East (id 1) gives its 2, west the other 2. */
	ck_assert_int_eq(avail(sku[0], WH_EAST), 0);
	ck_assert_int_eq(reserved(sku[0], WH_EAST), 2);
	ck_assert_int_eq(avail(sku[0], WH_WEST), 1);
	ck_assert_int_eq(reserved(sku[0], WH_WEST), 2);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM holds WHERE order_id = %lld AND state = 'held'", (long long)o), 2);
	ck_assert_int_eq(dq("SELECT quantity FROM holds WHERE order_id = %lld AND warehouse_id = 1", (long long)o), 2);
	ck_assert_int_eq(dq("SELECT quantity FROM holds WHERE order_id = %lld AND warehouse_id = 2", (long long)o), 2);
	/* No movement: units only changed column. One StockChanged. */
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld", (long long)sku[0]), 2);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'StockChanged' AND aggregate_id = %lld "
			    "AND JSON_VALUE(payload, '$.orderId') = %lld AND JSON_VALUE(payload, '$.reason') = 'held'",
			    (long long)product, (long long)o), 1);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

START_TEST(shortage_holds_nothing)
{
	/* Line 2 asks for 2 of sku[1], which has 1: nothing of line 1 stays. */
	struct dline l[] = { { sku[2], product, seller, 3, 1000 }, { sku[1], product, seller, 2, 1000 } };
	long long orders = dq("SELECT COUNT(*) FROM orders");
	struct hold_req h[] = { { sku[2], product, 3, 0, 0 }, { sku[1], product, 2, 0, 0 } };
	size_t short_line = 99;
	enum err e;

	ck_assert_int_eq(mk_order(user, l, 2), 0);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM orders"), orders);
	ck_assert_int_eq(avail(sku[2], WH_WEST), 10);
	ck_assert_int_eq(reserved(sku[2], WH_WEST), 0);
	ck_assert_int_eq(avail(sku[1], WH_EAST), 1);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM holds WHERE sku_id IN (%lld, %lld)", (long long)sku[1],
			    (long long)sku[2]), 0);
	/* What the caller is told: the short line, and what there is. */
	ck_assert_int_eq(db_begin(D), E_OK);
	e = inventory_hold(D, A, 1, h, 2, 0, &short_line);
	db_rollback(D);
	ck_assert_int_eq(e, E_CONFLICT);
	ck_assert_uint_lt(short_line, 2);
	ck_assert_int_eq(h[short_line].sku_id, sku[1]);
	ck_assert_int_eq(h[short_line].available, 1);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

static int64_t the_order;

static enum err tx_commit(struct db *db, void *p)
{
	(void)p;
	return inventory_commit(db, A, the_order);
}

START_TEST(commit_then_release)
{
	struct dline l[] = { { sku[0], product, seller, 3, 1000 }, { sku[2], product, seller, 1, 1000 } };

	the_order = mk_order(user, l, 2);
	ck_assert_int_gt(the_order, 0);
	ck_assert_int_eq(in_tx(tx_commit, NULL), E_OK);
	ck_assert_int_eq(holds_of(the_order, "held"), 0);
	ck_assert_int_eq(holds_of(the_order, "committed"), 4);
	ck_assert_int_eq(reserved(sku[0], WH_EAST) + reserved(sku[0], WH_WEST), 0);
	ck_assert_int_eq(committed(sku[0], WH_EAST), 2);
	ck_assert_int_eq(committed(sku[0], WH_WEST), 1);
	ck_assert_int_eq(unconserved(), 0);
	/* A second commit finds nothing held and changes nothing. */
	ck_assert_int_eq(in_tx(tx_commit, NULL), E_OK);
	ck_assert_int_eq(committed(sku[0], WH_EAST), 2);
	/* Released (a cancel after payment): committed back to available. */
	dx("UPDATE orders SET status = 'confirmed' WHERE id = %lld", (long long)the_order);
	ck_assert_int_eq(order_release(D, A, the_order, "cancelled", "test", "cancelled in a test"), E_OK);
	ck_assert_str_eq(ds("SELECT status FROM orders WHERE id = %lld", (long long)the_order), "cancelled");
	ck_assert_int_eq(holds_of(the_order, "released"), 4);
	ck_assert_int_eq(avail(sku[0], WH_EAST), 2);
	ck_assert_int_eq(avail(sku[0], WH_WEST), 3);
	ck_assert_int_eq(avail(sku[2], WH_WEST), 10);
	ck_assert_int_eq(committed(sku[0], WH_EAST) + committed(sku[0], WH_WEST) + committed(sku[2], WH_WEST), 0);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'OrderCancelled' AND aggregate_id = %lld",
			    (long long)the_order), 1);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'StockChanged' AND aggregate_id = %lld "
			    "AND JSON_VALUE(payload, '$.reason') = 'released' AND JSON_VALUE(payload, '$.orderId') = %lld",
			    (long long)product, (long long)the_order), 1);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

START_TEST(expire_releases_held_units)
{
	struct dline l = { sku[0], product, seller, 5, 1000 };
	int64_t o = mk_order(user, &l, 1);

	ck_assert_int_gt(o, 0);
	ck_assert_int_eq(avail(sku[0], WH_EAST) + avail(sku[0], WH_WEST), 0);
	ck_assert_int_eq(order_release(D, A, o, "expired", "sweeper", "payment window ended"), E_OK);
	ck_assert_str_eq(ds("SELECT status FROM orders WHERE id = %lld", (long long)o), "expired");
	ck_assert_int_eq(holds_of(o, "held"), 0);
	ck_assert_int_eq(holds_of(o, "released"), 5);
	ck_assert_int_eq(avail(sku[0], WH_EAST), 2);
	ck_assert_int_eq(avail(sku[0], WH_WEST), 3);
	ck_assert_int_eq(reserved(sku[0], WH_EAST) + reserved(sku[0], WH_WEST), 0);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'OrderExpired' AND aggregate_id = %lld",
			    (long long)o), 1);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM order_lines WHERE order_id = %lld AND state = 'cancelled'",
			    (long long)o), 1);
	ck_assert_int_eq(dq("SELECT hold_expires_at IS NULL FROM orders WHERE id = %lld", (long long)o), 1);
	/* Expired is final: a second release is refused and moves nothing. */
	ck_assert_int_eq(order_release(D, A, o, "expired", "sweeper", "again"), E_CONFLICT);
	ck_assert_int_eq(avail(sku[0], WH_EAST), 2);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

START_TEST(stray_hold_released_with_its_order_locked)
{
	struct dline l = { sku[2], product, seller, 4, 1000 };
	int64_t o = mk_order(user, &l, 1), hold, units = -1;

	ck_assert_int_gt(o, 0);
	hold = dq("SELECT id FROM holds WHERE order_id = %lld", (long long)o);
	/* While its order waits for payment, the hold is not stray. */
	ck_assert_int_eq(order_release_stray_hold(D, A, hold, &units), E_OK);
	ck_assert_int_eq(units, 0);
	ck_assert_int_eq(reserved(sku[2], WH_WEST), 4);
	/* An order ended without releasing (a crash): the reconciler's case. */
	dx("UPDATE orders SET status = 'expired' WHERE id = %lld", (long long)o);
	{
		struct stray_hold *sh;
		size_t n, found = 0;

		ck_assert_int_eq(inventory_holds_of_ended(D, A, 500, &sh, &n), E_OK);
		for (size_t i = 0; i < n; i++)
			if (sh[i].hold_id == hold) {
				found = 1;
				ck_assert_int_eq(sh[i].order_id, o);
				ck_assert_str_eq(sh[i].order_status, "expired");
			}
		ck_assert_int_eq(found, 1);
	}
	dx("UPDATE products SET stock_total = 0 WHERE id = %lld", (long long)product);	/* stale read model */
	ck_assert_int_eq(order_release_stray_hold(D, A, hold, &units), E_OK);
	ck_assert_int_eq(units, 4);
	ck_assert_int_eq(reserved(sku[2], WH_WEST), 0);
	ck_assert_int_eq(avail(sku[2], WH_WEST), 10);
	ck_assert_str_eq(ds("SELECT state FROM holds WHERE id = %lld", (long long)hold), "released");
	/* Search and the page cache hear of it, and the read model is right. */
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'StockChanged' AND aggregate_id = %lld "
			    "AND JSON_VALUE(payload, '$.reason') = 'reconciled: stray hold released'", (long long)product), 1);
	ck_assert_int_eq(dq("SELECT stock_total FROM products WHERE id = %lld", (long long)product),
			 dq("SELECT SUM(i.available) FROM inventory i JOIN skus s ON s.id = i.sku_id "
			    "WHERE s.product_id = %lld AND s.status = 'active'", (long long)product));
	/* Once more: nothing left to do. */
	ck_assert_int_eq(order_release_stray_hold(D, A, hold, &units), E_OK);
	ck_assert_int_eq(units, 0);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

START_TEST(ledger_page_matches_rows)
{
	struct dline l = { sku[0], product, seller, 1, 1000 };
	struct stock_ledger *lg;
	size_t n, seen = 0;

	ck_assert_int_gt(mk_order(user, &l, 1), 0);
	ck_assert_int_eq(inventory_ledger_page(D, A, sku[0] - 1, 99, 10, &lg, &n), E_OK);
	for (size_t i = 0; i < n; i++) {
		if (lg[i].sku_id != sku[0])
			continue;
		seen++;
		ck_assert_int_eq(lg[i].available, avail(sku[0], lg[i].warehouse_id));
		ck_assert_int_eq(lg[i].reserved, lg[i].held);
		ck_assert_int_eq(lg[i].moved, lg[i].available + lg[i].reserved + lg[i].committed + lg[i].shipped);
	}
	ck_assert_int_eq(seen, 2);
}
END_TEST

/* Seller edits go through the same owner: set and adjust, a refusal below
 * zero, each with its movement. */
START_TEST(set_and_adjust_write_movements)
{
	static const struct {
		int is_set;
		int64_t value;
		enum err want;
		long long after;
	} steps[] = {
		{ 1, 7, E_OK, 7 }, { 0, -3, E_OK, 4 }, { 0, -5, E_CONFLICT, 4 }, { 1, 4, E_OK, 4 },
		{ 0, 2, E_OK, 6 }, { 1, 1000001, E_INVAL, 6 },
	};
	long long moves = dq("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld", (long long)sku[1]);

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct stock_change ch = { 0 };

		ch.seller_id = seller;
		ch.product_id = product;
		ch.sku_id = sku[1];
		ch.warehouse_id = WH_EAST;
		ch.is_set = steps[i].is_set;
		ch.value = steps[i].value;
		ch.reason = "count";
		ch.actor = "test";
		ck_assert_msg(inventory_change(D, A, &ch) == steps[i].want, "step %zu", i);
		ck_assert_int_eq(avail(sku[1], WH_EAST), steps[i].after);
	}
	/* 4 changes moved units (the set to 4 when 4 changed nothing). */
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld", (long long)sku[1]), moves + 3);
	/* Another seller's SKU is not found. */
	{
		struct stock_change ch = { 0 };

		ch.seller_id = seller + 1000;
		ch.product_id = product;
		ch.sku_id = sku[1];
		ch.warehouse_id = WH_EAST;
		ch.is_set = 1;
		ch.value = 0;
		ch.reason = "theft";
		ch.actor = "test";
		ck_assert_int_eq(inventory_change(D, A, &ch), E_NOTFOUND);
		ck_assert_int_eq(avail(sku[1], WH_EAST), 6);
	}
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

static int64_t new_sku;

static enum err tx_open(struct db *db, void *p)
{
	(void)p;
	return inventory_open_sku(db, A, new_sku, seller, 7, "user:1");
}

START_TEST(open_sku_writes_its_opening_movement)
{
	int64_t extra[1];
	int held = -1;

	mk_product(seller, 1, 500, extra);
	/* A SKU made by the fixture has no inventory yet. */
	new_sku = extra[0];
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM inventory WHERE sku_id = %lld", (long long)new_sku), 0);
	ck_assert_int_eq(in_tx(tx_open, NULL), E_OK);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM inventory WHERE sku_id = %lld", (long long)new_sku),
			 dq("SELECT COUNT(*) FROM warehouses"));
	ck_assert_int_eq(avail(new_sku, WH_EAST), 7);
	ck_assert_int_eq(avail(new_sku, WH_WEST), 0);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld AND delta = 7 "
			    "AND reason = 'initial stock' AND actor = 'user:1'", (long long)new_sku), 1);
	ck_assert_int_eq(unconserved(), 0);
	ck_assert_int_eq(inventory_sku_held(D, A, new_sku, &held), E_OK);
	ck_assert_int_eq(held, 0);
	{
		struct dline l = { sku[2], product, seller, 1, 1000 };

		ck_assert_int_gt(mk_order(user, &l, 1), 0);
		ck_assert_int_eq(inventory_sku_held(D, A, sku[2], &held), E_OK);
		ck_assert_int_eq(held, 1);
	}
}
END_TEST

static struct sku_open opens[2];

static enum err tx_open_many(struct db *db, void *p)
{
	(void)p;
	return inventory_open_skus(db, A, opens, 2, "generated catalog", "gen-catalog");
}

START_TEST(open_many_skus_in_two_statements)
{
	int64_t extra[2];

	mk_product(seller, 2, 500, extra);
	opens[0] = (struct sku_open){ extra[0], seller, 12 };
	opens[1] = (struct sku_open){ extra[1], seller, 0 };
	ck_assert_int_eq(in_tx(tx_open_many, NULL), E_OK);
	ck_assert_int_eq(avail(extra[0], WH_EAST), 12);
	ck_assert_int_eq(avail(extra[0], WH_WEST), 0);
	ck_assert_int_eq(avail(extra[1], WH_EAST), 0);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM inventory WHERE sku_id IN (%lld, %lld)", (long long)extra[0],
			    (long long)extra[1]), 2 * dq("SELECT COUNT(*) FROM warehouses"));
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld AND delta = 12 "
			    "AND reason = 'generated catalog' AND actor = 'gen-catalog' AND seller_id = %lld",
			    (long long)extra[0], (long long)seller), 1);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld", (long long)extra[1]), 0);
	ck_assert_int_eq(unconserved(), 0);
	/* Out of range: refused before anything is written. */
	opens[1].initial = -1;
	ck_assert_int_eq(inventory_open_skus(D, A, opens + 1, 1, "x", "y"), E_INVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("holds");
	TCase *tc = tcase_create("holds");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, dom_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hold_draws_lowest_warehouse_first);
	tcase_add_test(tc, shortage_holds_nothing);
	tcase_add_test(tc, commit_then_release);
	tcase_add_test(tc, expire_releases_held_units);
	tcase_add_test(tc, stray_hold_released_with_its_order_locked);
	tcase_add_test(tc, ledger_page_matches_rows);
	tcase_add_test(tc, set_and_adjust_write_movements);
	tcase_add_test(tc, open_sku_writes_its_opening_movement);
	tcase_add_test(tc, open_many_skus_in_two_statements);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
