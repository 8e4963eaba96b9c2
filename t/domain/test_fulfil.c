/* Fulfilment transitions (app/fulfillment) against MariaDB: ship all or
 * part of an order, cancel a line, deliver, ask for a refund; the order's
 * status follows its lines and the stock ledgers agree after each step.
 * No payment gateway runs here: orders without a payment intent capture
 * nothing (as a zero-amount order does), and a refund finds the gateway
 * silent, which is a state of its own (pending, retried by the job). */
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include "../../app/fulfillment/fulfillment.h"
#include "../../app/inventory/inventory.h"
#include "../../app/order/order.h"
#include "fixture.h"

static int64_t seller, other, product, sku[2], user, order;

static enum err tx_commit(struct db *db, void *p)
{
	(void)p;
	return inventory_commit(db, A, order);
}

/* A paid order of two lines: 3 of sku[0] (east 2 + west 1), 2 of sku[1]. */
static void setup(void)
{
	struct dline l[] = { { 0, 0, 0, 3, 1000 }, { 0, 0, 0, 2, 2500 } };

	dom_setup();
	seller = mk_seller();
	other = mk_seller();
	user = mk_user();
	product = mk_product(seller, 2, 1000, sku);
	set_stock(seller, product, sku[0], WH_EAST, 2);
	set_stock(seller, product, sku[0], WH_WEST, 5);
	set_stock(seller, product, sku[1], WH_EAST, 4);
	for (int i = 0; i < 2; i++) {
		l[i].sku = sku[i];
		l[i].product = product;
		l[i].seller = seller;
	}
	order = mk_order(user, l, 2);
	ck_assert_int_gt(order, 0);
	ck_assert_int_eq(in_tx(tx_commit, NULL), E_OK);
	dx("UPDATE orders SET status = 'confirmed', card_last4 = '4242' WHERE id = %lld", (long long)order);
}

static const char *status(void)
{
	return ds("SELECT status FROM orders WHERE id = %lld", (long long)order);
}

static const char *line_state(int no)
{
	return ds("SELECT state FROM order_lines WHERE order_id = %lld AND line_no = %d", (long long)order, no);
}

START_TEST(pick_then_ship_everything)
{
	struct ff_line both[] = { { 1, 0 }, { 2, 0 } };
	struct ff_outcome o;
	int64_t shipment;

	ck_assert_int_eq(fulfillment_pick(D, A, order, seller, "seller:test", both, 1, &o), E_OK);
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(line_state(1), "picked");
	ck_assert_str_eq(status(), "fulfilling");
	/* Picked twice: refused, nothing changes. */
	ck_assert_int_eq(fulfillment_pick(D, A, order, seller, "seller:test", both, 1, &o), E_OK);
	ck_assert_int_eq(o.status, 409);
	/* Another seller does not see the order. */
	ck_assert_int_eq(fulfillment_pick(D, A, order, other, "seller:other", both + 1, 1, &o), E_OK);
	ck_assert_int_eq(o.status, 404);
	ck_assert_str_eq(line_state(2), "open");

	ck_assert_int_eq(fulfillment_ship(D, A, order, seller, "seller:test", "ups", "1Z-ALL", both, 2, &o), E_OK);
	ck_assert_int_eq(o.status, 0);
	ck_assert_int_gt(o.shipment_id, 0);
	ck_assert_str_eq(ds("SELECT status FROM shipments WHERE id = %lld", (long long)o.shipment_id), "shipped");
	ck_assert_str_eq(line_state(1), "shipped");
	ck_assert_str_eq(line_state(2), "shipped");
	ck_assert_str_eq(status(), "shipped");
	/* Units left: committed is 0, the holds say shipped, nothing moved. */
	ck_assert_int_eq(committed(sku[0], WH_EAST) + committed(sku[0], WH_WEST) + committed(sku[1], WH_EAST), 0);
	ck_assert_int_eq(dq("SELECT SUM(quantity) FROM holds WHERE order_id = %lld AND state = 'shipped'",
			    (long long)order), 5);
	ck_assert_int_eq(avail(sku[0], WH_EAST) + avail(sku[0], WH_WEST), 4);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'ShipmentShipped' AND aggregate_id = %lld "
			    "AND JSON_VALUE(payload, '$.shipmentId') = %lld", (long long)order, (long long)o.shipment_id), 1);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'StockChanged' AND aggregate_id = %lld "
			    "AND JSON_VALUE(payload, '$.reason') = 'shipped'", (long long)product), 1);
	ck_assert_int_eq(unconserved(), 0);
	/* Delivered: the shipment, its lines, the order. Twice is the same. */
	shipment = o.shipment_id;
	ck_assert_int_eq(fulfillment_deliver(D, A, order, shipment, seller, "seller:test", &o), E_OK);
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(status(), "delivered");
	ck_assert_str_eq(line_state(2), "delivered");
	ck_assert_int_eq(fulfillment_deliver(D, A, order, shipment, seller, "seller:test", &o), E_OK);
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(ds("SELECT status FROM shipments WHERE id = %lld", (long long)shipment), "delivered");
	/* One ShipmentDelivered (app/notify mails it), not one per saying. */
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'ShipmentDelivered' AND aggregate_id = %lld "
			    "AND JSON_VALUE(payload, '$.shipmentId') = %lld", (long long)order, (long long)shipment), 1);
	/* Another seller cannot say so. */
	ck_assert_int_eq(fulfillment_deliver(D, A, order, shipment, other, "seller:other", &o), E_OK);
	ck_assert_int_eq(o.status, 404);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND to_status = 'delivered'",
			    (long long)order), 1);
}
END_TEST

START_TEST(ship_part_then_cancel_the_rest)
{
	struct ff_line one = { 1, 0 }, two = { 2, 0 };
	struct ff_outcome o;
	long long east = avail(sku[1], WH_EAST);

	ck_assert_int_eq(fulfillment_ship(D, A, order, seller, "seller:test", "ups", "1Z-PART", &one, 1, &o), E_OK);
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(line_state(1), "shipped");
	ck_assert_str_eq(line_state(2), "open");
	ck_assert_str_eq(status(), "fulfilling");
	ck_assert_int_eq(committed(sku[1], WH_EAST), 2);
	ck_assert_int_eq(unconserved(), 0);
	/* The same tracking number again is refused. */
	ck_assert_int_eq(fulfillment_ship(D, A, order, seller, "seller:test", "ups", "1Z-PART", &two, 1, &o), E_OK);
	ck_assert_int_eq(o.status, 409);
	ck_assert_str_eq(line_state(2), "open");
	/* Cancelling the open line puts its units back; the order is shipped. */
	ck_assert_int_eq(fulfillment_refund(D, A, order, seller, "seller:test", &two, 1, &o), E_OK);
	ck_assert_int_eq(o.status, 0);
	ck_assert_int_eq(o.refund_id, 0);
	ck_assert_str_eq(line_state(2), "cancelled");
	ck_assert_int_eq(committed(sku[1], WH_EAST), 0);
	ck_assert_int_eq(avail(sku[1], WH_EAST), east + 2);
	ck_assert_str_eq(status(), "shipped");
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'StockChanged' AND aggregate_id = %lld "
			    "AND JSON_VALUE(payload, '$.reason') = 'line cancelled'", (long long)product), 1);
	/* A shipped line cannot be shipped again. */
	ck_assert_int_eq(fulfillment_ship(D, A, order, seller, "seller:test", "ups", "1Z-AGAIN", &one, 1, &o), E_OK);
	ck_assert_int_eq(o.status, 409);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

START_TEST(cancel_every_line_cancels_the_order)
{
	struct ff_line both[] = { { 1, 0 }, { 2, 0 } };
	struct ff_outcome o;

	ck_assert_int_eq(fulfillment_refund(D, A, order, seller, "seller:test", both, 2, &o), E_OK);
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(status(), "cancelled");
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'OrderCancelled' AND aggregate_id = %lld",
			    (long long)order), 1);
	ck_assert_int_eq(avail(sku[0], WH_EAST), 2);
	ck_assert_int_eq(avail(sku[0], WH_WEST), 5);
	ck_assert_int_eq(avail(sku[1], WH_EAST), 4);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM holds WHERE order_id = %lld AND state <> 'released'",
			    (long long)order), 0);
	/* Nothing is left to ship. */
	ck_assert_int_eq(fulfillment_ship(D, A, order, seller, "seller:test", "ups", "1Z-NONE", both, 1, &o), E_OK);
	ck_assert_int_eq(o.status, 409);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

START_TEST(refund_asked_while_the_gateway_is_silent)
{
	struct ff_line both[] = { { 1, 0 }, { 2, 0 } }, part = { 2, 1 }, too_many = { 1, 9 };
	struct ff_outcome o;
	long long refunds;

	ck_assert_int_eq(fulfillment_ship(D, A, order, seller, "seller:test", "dhl", "JD-1", both, 2, &o), E_OK);
	ck_assert_int_eq(o.status, 0);
	refunds = dq("SELECT COUNT(*) FROM refunds WHERE order_id = %lld", (long long)order);
	/* More than was sold: refused before anything is written. */
	ck_assert_int_eq(fulfillment_refund(D, A, order, seller, "seller:test", &too_many, 1, &o), E_OK);
	ck_assert_int_eq(o.status, 400);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM refunds WHERE order_id = %lld", (long long)order), refunds);
	/* One unit of line 2: asked for, the gateway does not answer (502);
	 * the refund waits for the job, its units stay reserved on the line,
	 * and no unit is restocked before the money went back. */
	ck_assert_int_eq(fulfillment_refund(D, A, order, seller, "seller:test", &part, 1, &o), E_OK);
	ck_assert_int_eq(o.status, 502);
	ck_assert_int_gt(o.refund_id, 0);
	ck_assert_str_eq(ds("SELECT status FROM refunds WHERE id = %lld", (long long)o.refund_id), "pending");
	ck_assert_int_eq(dq("SELECT amount FROM refunds WHERE id = %lld", (long long)o.refund_id),
			 dq("SELECT refunded_amount FROM order_lines WHERE order_id = %lld AND line_no = 2",
			    (long long)order));
	ck_assert_int_gt(dq("SELECT amount FROM refunds WHERE id = %lld", (long long)o.refund_id), 0);
	ck_assert_int_eq(dq("SELECT quantity FROM refund_lines WHERE refund_id = %lld AND line_no = 2",
			    (long long)o.refund_id), 1);
	ck_assert_int_eq(dq("SELECT refunded_qty FROM order_lines WHERE order_id = %lld AND line_no = 2",
			    (long long)order), 1);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'RefundRequested' AND aggregate_id = %lld "
			    "AND JSON_VALUE(payload, '$.refundId') = %lld", (long long)order, (long long)o.refund_id), 1);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM stock_movements WHERE reason = 'returned units restocked' "
			    "AND sku_id = %lld", (long long)sku[1]), 0);
	ck_assert_str_eq(status(), "shipped");
	/* The rest of line 2 (1 unit) is all that can still be asked for. */
	part.quantity = 2;
	ck_assert_int_eq(fulfillment_refund(D, A, order, seller, "seller:test", &part, 1, &o), E_OK);
	ck_assert_int_eq(o.status, 400);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

/* The stock side of a refund that succeeded, and of a parcel that takes
 * part of a hold: through inventory directly. */
static const struct stock_line *g_lines;
static size_t g_n;

static enum err tx_ship(struct db *db, void *p)
{
	(void)p;
	return inventory_ship(db, A, order, g_lines, g_n);
}

static enum err tx_restock(struct db *db, void *p)
{
	(void)p;
	return inventory_restock(db, A, order, seller, g_lines, g_n, "refund:order:test");
}

START_TEST(partial_ship_splits_holds_and_restock_moves_units_in)
{
	struct stock_line one = { sku[0], product, 1 }, two = { sku[0], product, 2 }, big = { sku[1], product, 3 };

	/* 1 of the 3 committed units of sku[0]: east's hold of 2 splits. */
	g_lines = &one;
	g_n = 1;
	ck_assert_int_eq(in_tx(tx_ship, NULL), E_OK);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM holds WHERE order_id = %lld AND sku_id = %lld AND warehouse_id = 1",
			    (long long)order, (long long)sku[0]), 2);
	ck_assert_int_eq(dq("SELECT quantity FROM holds WHERE order_id = %lld AND sku_id = %lld AND warehouse_id = 1 "
			    "AND state = 'committed'", (long long)order, (long long)sku[0]), 1);
	ck_assert_int_eq(committed(sku[0], WH_EAST), 1);
	ck_assert_int_eq(unconserved(), 0);
	/* The other 2: east's last unit, then west's. */
	g_lines = &two;
	ck_assert_int_eq(in_tx(tx_ship, NULL), E_OK);
	ck_assert_int_eq(committed(sku[0], WH_EAST) + committed(sku[0], WH_WEST), 0);
	ck_assert_int_eq(unconserved(), 0);
	/* More than is committed: refused, rolled back. */
	g_lines = &big;
	ck_assert_int_ne(in_tx(tx_ship, NULL), E_OK);
	ck_assert_int_eq(committed(sku[1], WH_EAST), 2);
	/* Two units come back to the warehouse they left (east first). */
	g_lines = &two;
	ck_assert_int_eq(in_tx(tx_restock, NULL), E_OK);
	ck_assert_int_eq(avail(sku[0], WH_EAST), 2);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld AND warehouse_id = 1 "
			    "AND delta = 2 AND reason = 'returned units restocked' AND actor = 'refund:order:test' "
			    "AND seller_id = %lld AND available_after = 2", (long long)sku[0], (long long)seller), 1);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'StockChanged' AND aggregate_id = %lld "
			    "AND JSON_VALUE(payload, '$.reason') = 'returned'", (long long)product), 1);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

START_TEST(not_paid_is_not_the_sellers)
{
	struct ff_line one = { 1, 0 };
	struct ff_outcome o;

	dx("UPDATE orders SET status = 'pending_payment', card_last4 = NULL WHERE id = %lld", (long long)order);
	ck_assert_int_eq(fulfillment_ship(D, A, order, seller, "seller:test", "ups", "1Z-NOPE", &one, 1, &o), E_OK);
	ck_assert_int_eq(o.status, 404);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM shipments WHERE order_id = %lld", (long long)order), 0);
	{
		struct ff_view v;

		ck_assert_int_eq(fulfillment_view(D, A, order, seller, &v), E_NOTFOUND);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fulfilment");
	TCase *tc = tcase_create("fulfilment");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, dom_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, pick_then_ship_everything);
	tcase_add_test(tc, ship_part_then_cancel_the_rest);
	tcase_add_test(tc, cancel_every_line_cancels_the_order);
	tcase_add_test(tc, refund_asked_while_the_gateway_is_silent);
	tcase_add_test(tc, partial_ship_splits_holds_and_restock_moves_units_in);
	tcase_add_test(tc, not_paid_is_not_the_sellers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
