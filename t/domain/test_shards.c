/* Hot-SKU stock (app/inventory/shards.c, holds.c with hold_req.sale_id)
 * against MariaDB: a sale's units leave the inventory rows into shards,
 * checkouts of sale lines take them from shards (one at random, the rest in
 * order when none can give the whole line), every later step of those holds
 * moves the shard's columns, the drain puts what is left back and later
 * releases go to the inventory row; the ledgers agree after each step.
 * One test runs checkouts of one SKU on many threads, each on its own
 * connection: never more units held than the sale has. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <check.h>
#include "../../app/inventory/inventory.h"
#include "../../app/inventory/shards.h"
#include "../../app/order/order.h"
#include "../../app/reconcile/reconcile.h"
#include "fixture.h"

static int64_t seller, product, sku[2], user;

static void setup(void)
{
	dom_setup();
	seller = mk_seller();
	user = mk_user();
	product = mk_product(seller, 2, 1000, sku);
	set_stock(seller, product, sku[0], WH_EAST, 10);
	set_stock(seller, product, sku[0], WH_WEST, 30);
	set_stock(seller, product, sku[1], WH_EAST, 5);
}

static int64_t mk_sale(int shards)
{
	dx("INSERT INTO sales (name, starts_at, ends_at, shards) VALUES ('Domain sale', NOW(3), "
	   "NOW(3) + INTERVAL 1 HOUR, %d)", shards);
	return dq("SELECT LAST_INSERT_ID()");
}

struct alloc {
	int64_t sale, sku, qty, got;
	int n;
};

static enum err tx_alloc(struct db *db, void *p)
{
	struct alloc *al = p;

	return inventory_sale_allocate(db, A, al->sale, al->sku, al->qty, al->n, &al->got);
}

static int64_t allocate(int64_t sale, int64_t s, int64_t qty, int n)
{
	struct alloc al = { sale, s, qty, 0, n };

	ck_assert_int_eq(in_tx(tx_alloc, &al), E_OK);
	return al.got;
}

static enum err tx_drain(struct db *db, void *p)
{
	int64_t *io = p;

	return inventory_sale_drain(db, A, io[0], &io[1]);
}

static int64_t drain(int64_t sale)
{
	int64_t io[2] = { sale, 0 };

	ck_assert_int_eq(in_tx(tx_drain, io), E_OK);
	return io[1];
}

/* An order of one line of (sale, sku, qty) on connection db; 0 when short. */
struct sale_order {
	struct arena *a;
	int64_t user, sale, sku, qty, order_id, available;
};

static enum err tx_sale_order(struct db *db, void *p)
{
	struct sale_order *so = p;
	struct order_line_new ol;
	struct hold_req h;
	struct order_new on;
	size_t short_line;
	enum err e;

	memset(&ol, 0, sizeof(ol));
	memset(&h, 0, sizeof(h));
	memset(&on, 0, sizeof(on));
	ol.sku_id = h.sku_id = so->sku;
	ol.product_id = h.product_id = product;
	ol.seller_id = seller;
	ol.code = "code";
	ol.title = "title";
	ol.unit_price = 500;
	ol.quantity = so->qty;
	h.quantity = (int)so->qty;
	h.sale_id = so->sale;
	on.user_id = so->user;
	on.subtotal = on.total = 500 * so->qty;
	on.method = "standard";
	on.ship.name = "Ada Lovelace";
	on.ship.line1 = "1 Main St";
	on.ship.city = "Springfield";
	on.ship.country = "US";
	on.hold_expires = (int64_t)time(NULL) + 900;
	on.lines = &ol;
	on.n = 1;
	if ((e = order_create(db, so->a, &on, &so->order_id)))
		return e;
	e = inventory_hold(db, so->a, so->order_id, &h, 1, on.hold_expires, &short_line);
	so->available = h.available;
	return e;
}

static int64_t sale_order(int64_t sale, int64_t s, int64_t qty, int64_t *available)
{
	struct sale_order so = { A, user, sale, s, qty, 0, 0 };
	enum err e = in_tx(tx_sale_order, &so);

	if (available)
		*available = so.available;
	if (e == E_CONFLICT)
		return 0;
	ck_assert_msg(e == E_OK, "sale_order: %s", err_str(e));
	return so.order_id;
}

static long long shards_sum(int64_t sale, int64_t s, const char *col)
{
	return dq("SELECT COALESCE(SUM(%s), 0) FROM stock_shards WHERE sale_id = %lld AND sku_id = %lld", col,
		  (long long)sale, (long long)s);
}

static int64_t the_order;

static enum err tx_commit(struct db *db, void *p)
{
	(void)p;
	return inventory_commit(db, A, the_order);
}

static enum err tx_release(struct db *db, void *p)
{
	(void)p;
	return inventory_release(db, A, the_order, NULL);
}

static struct stock_line the_line;

static enum err tx_ship(struct db *db, void *p)
{
	(void)p;
	return inventory_ship(db, A, the_order, &the_line, 1);
}

static enum err tx_unship(struct db *db, void *p)
{
	(void)p;
	return inventory_unship(db, A, the_order, &the_line, 1, NULL);
}

/* Warehouse by warehouse, lowest first; each warehouse's share of shards,
 * none empty; a second allocation (a job run again) changes nothing. */
START_TEST(allocate_spreads_units_over_shards)
{
	int64_t sale = mk_sale(8);
	struct sale_units u;

	ck_assert_int_eq(allocate(sale, sku[0], 24, 8), 24);
	ck_assert_int_eq(avail(sku[0], WH_EAST), 0);
	ck_assert_int_eq(avail(sku[0], WH_WEST), 16);
	/* east: ceil(8 * 10 / 24) = 4 shards of its 10; west: 5 of its 14. */
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM stock_shards WHERE sale_id = %lld AND warehouse_id = 1",
			    (long long)sale), 4);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM stock_shards WHERE sale_id = %lld AND warehouse_id = 2",
			    (long long)sale), 5);
	ck_assert_int_eq(dq("SELECT MIN(available) FROM stock_shards WHERE sale_id = %lld", (long long)sale), 2);
	ck_assert_int_eq(dq("SELECT MAX(available) FROM stock_shards WHERE sale_id = %lld", (long long)sale), 3);
	ck_assert_int_eq(shards_sum(sale, sku[0], "available"), 24);
	/* No movement: the units never left the shop. */
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld", (long long)sku[0]), 2);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'StockChanged' AND aggregate_id = %lld "
			    "AND JSON_VALUE(payload, '$.reason') = 'sale opened'", (long long)product), 1);
	ck_assert_int_eq(unconserved(), 0);
	ck_assert_int_eq(allocate(sale, sku[0], 24, 8), 24);
	ck_assert_int_eq(avail(sku[0], WH_WEST), 16);
	ck_assert_int_eq(inventory_sale_units(D, A, sale, sku[0], &u), E_OK);
	ck_assert_int_eq(u.available, 24);
	/* More than the shelf has: what there is. Nothing: no shards. */
	ck_assert_int_eq(allocate(mk_sale(4), sku[1], 50, 4), 5);
	ck_assert_int_eq(avail(sku[1], WH_EAST), 0);
	ck_assert_int_eq(allocate(mk_sale(4), sku[1], 3, 4), 0);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

/* A sale line's hold, commit, release: the shard's columns move, the
 * inventory rows do not; released units are for sale again in the shard. */
START_TEST(sale_hold_commit_release)
{
	int64_t sale = mk_sale(4), o;

	ck_assert_int_eq(allocate(sale, sku[0], 8, 4), 8);
	o = sale_order(sale, sku[0], 2, NULL);
	ck_assert_int_gt(o, 0);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM holds WHERE order_id = %lld AND sale_id = %lld AND shard IS NOT NULL "
			    "AND state = 'held'", (long long)o, (long long)sale), 1);
	ck_assert_int_eq(shards_sum(sale, sku[0], "available"), 6);
	ck_assert_int_eq(shards_sum(sale, sku[0], "reserved"), 2);
	ck_assert_int_eq(reserved(sku[0], WH_EAST), 0);
	ck_assert_int_eq(avail(sku[0], WH_EAST), 2);
	ck_assert_int_eq(avail(sku[0], WH_WEST), 30);
	ck_assert_int_eq(unconserved(), 0);
	the_order = o;
	ck_assert_int_eq(in_tx(tx_commit, NULL), E_OK);
	ck_assert_int_eq(shards_sum(sale, sku[0], "reserved"), 0);
	ck_assert_int_eq(shards_sum(sale, sku[0], "committed"), 2);
	ck_assert_int_eq(committed(sku[0], WH_EAST), 0);
	ck_assert_int_eq(unconserved(), 0);
	ck_assert_int_eq(in_tx(tx_release, NULL), E_OK);
	ck_assert_int_eq(shards_sum(sale, sku[0], "committed"), 0);
	ck_assert_int_eq(shards_sum(sale, sku[0], "available"), 8);
	ck_assert_int_eq(avail(sku[0], WH_EAST), 2);
	ck_assert_int_eq(unconserved(), 0);
	/* The reconciler's stray-hold path routes too. */
	o = sale_order(sale, sku[0], 1, NULL);
	ck_assert_int_gt(o, 0);
	dx("UPDATE orders SET status = 'expired' WHERE id = %lld", (long long)o);
	{
		int64_t hold = dq("SELECT id FROM holds WHERE order_id = %lld", (long long)o), units = 0;

		ck_assert_int_eq(order_release_stray_hold(D, A, hold, &units), E_OK);
		ck_assert_int_eq(units, 1);
	}
	ck_assert_int_eq(shards_sum(sale, sku[0], "available"), 8);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

/* No shard has the whole line: it comes from several; more than the sale
 * has is refused with what is left, and nothing stays held. A line without
 * a sale beside it still comes from the inventory rows. */
START_TEST(line_from_several_shards_and_shortage)
{
	int64_t sale = mk_sale(8), o, left = -1;

	ck_assert_int_eq(allocate(sale, sku[0], 10, 8), 10);	/* east's 10: 8 shards of 1 or 2 */
	o = sale_order(sale, sku[0], 5, NULL);
	ck_assert_int_gt(o, 0);
	ck_assert_int_ge(dq("SELECT COUNT(*) FROM holds WHERE order_id = %lld", (long long)o), 3);
	ck_assert_int_eq(dq("SELECT SUM(quantity) FROM holds WHERE order_id = %lld", (long long)o), 5);
	ck_assert_int_eq(shards_sum(sale, sku[0], "available"), 5);
	ck_assert_int_eq(sale_order(sale, sku[0], 6, &left), 0);
	ck_assert_int_eq(left, 5);
	ck_assert_int_eq(shards_sum(sale, sku[0], "available"), 5);
	ck_assert_int_eq(shards_sum(sale, sku[0], "reserved"), 5);
	ck_assert_int_eq(sale_order(sale, sku[0], 5, NULL) > 0, 1);
	ck_assert_int_eq(sale_order(sale, sku[0], 1, &left), 0);
	ck_assert_int_eq(left, 0);
	ck_assert_int_eq(unconserved(), 0);
	{
		struct dline l = { sku[0], product, seller, 3, 1000 };

		ck_assert_int_gt(mk_order(user, &l, 1), 0);	/* west's shelf */
		ck_assert_int_eq(reserved(sku[0], WH_WEST), 3);
	}
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

/* Ship part of a sale line (the hold split keeps its shard), cancel the
 * rest: back to the shard while the sale is open. */
START_TEST(ship_and_unship_sale_holds)
{
	int64_t sale = mk_sale(2);

	ck_assert_int_eq(allocate(sale, sku[0], 6, 2), 6);
	the_order = sale_order(sale, sku[0], 3, NULL);
	ck_assert_int_gt(the_order, 0);
	ck_assert_int_eq(in_tx(tx_commit, NULL), E_OK);
	the_line = (struct stock_line){ sku[0], product, 1 };
	ck_assert_int_eq(in_tx(tx_ship, NULL), E_OK);
	ck_assert_int_eq(dq("SELECT SUM(quantity) FROM holds WHERE order_id = %lld AND state = 'shipped' "
			    "AND sale_id = %lld", (long long)the_order, (long long)sale), 1);
	ck_assert_int_eq(shards_sum(sale, sku[0], "committed"), 2);
	ck_assert_int_eq(unconserved(), 0);
	the_line.quantity = 2;
	ck_assert_int_eq(in_tx(tx_unship, NULL), E_OK);
	ck_assert_int_eq(shards_sum(sale, sku[0], "committed"), 0);
	ck_assert_int_eq(shards_sum(sale, sku[0], "available"), 5);
	ck_assert_int_eq(unconserved(), 0);
	{
		struct sale_units u;

		ck_assert_int_eq(inventory_sale_units(D, A, sale, sku[0], &u), E_OK);
		ck_assert_int_eq(u.available, 5);
		ck_assert_int_eq(u.shipped, 1);
	}
}
END_TEST

/* The drain: what is left goes back to the rows it came from, no hold is
 * taken after it, and units a hold gives back later go to the row. */
START_TEST(drain_then_late_release_goes_to_the_row)
{
	int64_t sale = mk_sale(4), held, paid;

	ck_assert_int_eq(allocate(sale, sku[0], 20, 4), 20);	/* east 10, west 10 */
	ck_assert_int_eq(avail(sku[0], WH_WEST), 20);
	held = sale_order(sale, sku[0], 2, NULL);
	paid = sale_order(sale, sku[0], 3, NULL);
	ck_assert_int_gt(held, 0);
	ck_assert_int_gt(paid, 0);
	the_order = paid;
	ck_assert_int_eq(in_tx(tx_commit, NULL), E_OK);
	ck_assert_int_eq(drain(sale), 15);
	ck_assert_int_eq(shards_sum(sale, sku[0], "available"), 0);
	ck_assert_int_eq(avail(sku[0], WH_EAST) + avail(sku[0], WH_WEST), 35);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM stock_shards WHERE sale_id = %lld AND drained = 0", (long long)sale), 0);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'StockChanged' AND aggregate_id = %lld "
			    "AND JSON_VALUE(payload, '$.reason') = 'sale closed'", (long long)product), 1);
	ck_assert_int_eq(unconserved(), 0);
	ck_assert_int_eq(sale_order(sale, sku[0], 1, NULL), 0);	/* over */
	ck_assert_int_eq(drain(sale), 0);			/* again: nothing */
	the_order = held;
	ck_assert_int_eq(in_tx(tx_release, NULL), E_OK);
	ck_assert_int_eq(shards_sum(sale, sku[0], "reserved"), 0);
	ck_assert_int_eq(avail(sku[0], WH_EAST) + avail(sku[0], WH_WEST), 37);
	ck_assert_int_eq(unconserved(), 0);
	/* The paid one still ships from its shard, or a line cancelled
	 * goes back to the row. */
	the_order = paid;
	the_line = (struct stock_line){ sku[0], product, 1 };
	ck_assert_int_eq(in_tx(tx_ship, NULL), E_OK);
	the_line.quantity = 2;
	ck_assert_int_eq(in_tx(tx_unship, NULL), E_OK);
	ck_assert_int_eq(shards_sum(sale, sku[0], "committed"), 0);
	ck_assert_int_eq(avail(sku[0], WH_EAST) + avail(sku[0], WH_WEST), 39);
	ck_assert_int_eq(unconserved(), 0);
	{
		struct stock_ledger *lg;
		size_t n;

		ck_assert_int_eq(inventory_ledger_page(D, A, sku[0] - 1, 99, 10, &lg, &n), E_OK);
		for (size_t i = 0; i < n; i++)
			if (lg[i].sku_id == sku[0])
				ck_assert_int_eq(lg[i].moved, lg[i].available + lg[i].reserved + lg[i].committed +
						 lg[i].shard_available + lg[i].shard_reserved + lg[i].shard_committed +
						 lg[i].shipped);
	}
}
END_TEST

/* Dry shards are refilled from full ones of the same warehouse. */
START_TEST(rebalance_evens_out_dry_shards)
{
	int64_t sale = mk_sale(8), moved = -1;

	ck_assert_int_eq(allocate(sale, sku[0], 10, 8), 10);	/* east: 8 shards, 2,2,1,1,1,1,1,1 */
	/* Make shards 1..5 dry, their units in shard 0 (the sum is kept). */
	dx("UPDATE stock_shards SET available = 8 WHERE sale_id = %lld AND shard = 0", (long long)sale);
	dx("UPDATE stock_shards SET available = 0 WHERE sale_id = %lld AND shard BETWEEN 1 AND 5", (long long)sale);
	ck_assert_int_eq(shards_sum(sale, sku[0], "available"), 10);
	ck_assert_int_eq(inventory_sale_rebalance(D, A, sale, sku[0], &moved), E_OK);
	ck_assert_int_eq(moved, 6);
	ck_assert_int_eq(dq("SELECT MIN(available) FROM stock_shards WHERE sale_id = %lld", (long long)sale), 1);
	ck_assert_int_eq(dq("SELECT MAX(available) FROM stock_shards WHERE sale_id = %lld", (long long)sale), 2);
	ck_assert_int_eq(shards_sum(sale, sku[0], "available"), 10);
	ck_assert_int_eq(inventory_sale_rebalance(D, A, sale, sku[0], &moved), E_OK);
	ck_assert_int_eq(moved, 0);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

/* Findings of the reconciler about sku s (the database holds other
 * tests' rows too). */
static int findings_of(json_t *log, int64_t s)
{
	char pre[64];
	size_t i;
	json_t *f;
	int n = 0;

	snprintf(pre, sizeof(pre), "sku:%lld/", (long long)s);
	json_array_foreach(log, i, f) {
		const char *subj = json_string_value(json_object_get(f, "subject"));

		if (subj && !strncmp(subj, pre, strlen(pre)))
			n++;
	}
	return n;
}

/* The reconciler's stock pass counts the shards: nothing to say about a
 * sale with units held, paid and shipped; a shard whose reserved no hold
 * accounts for is reported, not "repaired" into the inventory row. */
START_TEST(reconciler_counts_shard_units)
{
	int64_t sale = mk_sale(4);
	struct recon r;

	ck_assert_int_eq(allocate(sale, sku[0], 12, 4), 12);
	ck_assert_int_gt(sale_order(sale, sku[0], 2, NULL), 0);
	the_order = sale_order(sale, sku[0], 2, NULL);
	ck_assert_int_eq(in_tx(tx_commit, NULL), E_OK);
	the_line = (struct stock_line){ sku[0], product, 1 };
	ck_assert_int_eq(in_tx(tx_ship, NULL), E_OK);
	memset(&r, 0, sizeof(r));
	r.log = json_array();
	ck_assert_int_eq(reconcile_stock(D, A, &r), E_OK);
	ck_assert_int_eq(findings_of(r.log, sku[0]), 0);
	ck_assert_int_ge(r.checked, 2);
	/* A shard unit reserved with no hold: reported, conservation too. */
	dx("UPDATE stock_shards SET reserved = reserved + 1 WHERE sale_id = %lld AND shard = 0", (long long)sale);
	json_decref(r.log);
	memset(&r, 0, sizeof(r));
	r.log = json_array();
	ck_assert_int_eq(reconcile_stock(D, A, &r), E_OK);
	ck_assert_int_eq(findings_of(r.log, sku[0]), 2);
	json_decref(r.log);
	dx("UPDATE stock_shards SET reserved = reserved - 1 WHERE sale_id = %lld AND shard = 0", (long long)sale);
}
END_TEST

/* One order, a line of a sale and one without (the same SKU, and another
 * SKU): each from its own rows, in the lock order; released together. */
static enum err tx_mixed(struct db *db, void *p)
{
	int64_t *io = p;	/* in: sale; out: order */
	struct order_line_new ol[3];
	struct hold_req h[3];
	struct order_new on;
	size_t short_line;
	enum err e;

	memset(ol, 0, sizeof(ol));
	memset(h, 0, sizeof(h));
	memset(&on, 0, sizeof(on));
	for (int i = 0; i < 3; i++) {
		ol[i].sku_id = h[i].sku_id = i == 1 ? sku[1] : sku[0];
		ol[i].product_id = h[i].product_id = product;
		ol[i].seller_id = seller;
		ol[i].code = "code";
		ol[i].title = "title";
		ol[i].unit_price = 500;
		ol[i].quantity = h[i].quantity = 2;
	}
	h[0].sale_id = io[0];	/* sku[0] in the sale; sku[0], sku[1] without */
	on.user_id = user;
	on.subtotal = on.total = 3000;
	on.method = "standard";
	on.ship.name = "Ada Lovelace";
	on.ship.line1 = "1 Main St";
	on.ship.city = "Springfield";
	on.ship.country = "US";
	on.hold_expires = (int64_t)time(NULL) + 900;
	on.lines = ol;
	on.n = 3;
	if ((e = order_create(db, A, &on, &io[1])))
		return e;
	return inventory_hold(db, A, io[1], h, 3, on.hold_expires, &short_line);
}

START_TEST(sale_and_regular_lines_in_one_order)
{
	int64_t io[2] = { mk_sale(2), 0 };

	ck_assert_int_eq(allocate(io[0], sku[0], 4, 2), 4);	/* east's 4 of 10 */
	ck_assert_int_eq(in_tx(tx_mixed, io), E_OK);
	ck_assert_int_eq(shards_sum(io[0], sku[0], "reserved"), 2);
	ck_assert_int_eq(reserved(sku[0], WH_EAST), 2);		/* the line without the sale */
	ck_assert_int_eq(reserved(sku[1], WH_EAST), 2);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM holds WHERE order_id = %lld AND sale_id IS NULL", (long long)io[1]), 2);
	ck_assert_int_eq(unconserved(), 0);
	the_order = io[1];
	ck_assert_int_eq(in_tx(tx_commit, NULL), E_OK);
	ck_assert_int_eq(shards_sum(io[0], sku[0], "committed"), 2);
	ck_assert_int_eq(committed(sku[0], WH_EAST), 2);
	ck_assert_int_eq(in_tx(tx_release, NULL), E_OK);
	ck_assert_int_eq(shards_sum(io[0], sku[0], "available"), 4);
	ck_assert_int_eq(avail(sku[0], WH_EAST), 6);
	ck_assert_int_eq(avail(sku[1], WH_EAST), 5);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

/* ---- many checkouts of one SKU at once ---- */

#define THREADS 8
#define UNITS 120

struct worker {
	int64_t sale, user;
	int64_t got, orders, refused;
	int64_t order_ids[UNITS];
	enum err failed;
};

static void *buyer(void *p)
{
	struct worker *w = p;
	struct db *db = NULL;
	struct arena *a = arena_new(64 * 1024);
	unsigned seed = (unsigned)(uintptr_t)w;

	if (db_open(&db) || !a) {
		w->failed = E_UNAVAIL;
		return NULL;
	}
	for (int tries = 0; tries < 400; tries++) {
		struct sale_order so = { a, w->user, w->sale, sku[0], 1 + rand_r(&seed) % 3, 0, 0 };
		enum err e = db_tx(db, tx_sale_order, &so);

		arena_reset(a);
		if (e == E_CONFLICT) {
			w->refused++;
			if (so.available == 0)
				break;	/* sold out */
			continue;
		}
		if (e) {
			w->failed = e;
			break;
		}
		w->got += so.qty;
		w->order_ids[w->orders++] = so.order_id;
	}
	db_close(db);
	arena_destroy(a);
	return NULL;
}

START_TEST(concurrent_checkouts_never_oversell)
{
	int64_t sale = mk_sale(8), total = 0, norders = 0, units;
	struct worker w[THREADS];
	pthread_t t[THREADS];
	int64_t *all;

	set_stock(seller, product, sku[0], WH_WEST, 200);
	ck_assert_int_eq(allocate(sale, sku[0], UNITS, 8), UNITS);	/* east 10, west 110 */
	memset(w, 0, sizeof(w));
	for (int i = 0; i < THREADS; i++) {
		w[i].sale = sale;
		w[i].user = user;
		ck_assert_int_eq(pthread_create(&t[i], NULL, buyer, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++) {
		ck_assert_msg(w[i].failed == E_OK, "worker %d: %s", i, err_str(w[i].failed));
		total += w[i].got;
		norders += w[i].orders;
	}
	/* Every unit sold once, none twice; the rows say the same. */
	ck_assert_int_eq(total, UNITS);
	ck_assert_int_eq(shards_sum(sale, sku[0], "available"), 0);
	ck_assert_int_eq(shards_sum(sale, sku[0], "reserved"), UNITS);
	ck_assert_int_eq(dq("SELECT SUM(quantity) FROM holds WHERE sale_id = %lld AND state = 'held'", (long long)sale),
			 UNITS);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM stock_shards WHERE sale_id = %lld AND (available < 0 OR "
			    "reserved < 0)", (long long)sale), 0);
	ck_assert_int_eq(avail(sku[0], WH_WEST), 200 - 110);
	ck_assert_int_eq(unconserved(), 0);
	/* Then the rest of their lives: every third paid and a unit of it
	 * shipped, every third released (back to the shards), the rest left
	 * held; a rebalance; the drain; the held ones expire after it. */
	all = arena_alloc(A, sizeof(*all) * (size_t)(norders + 1));
	norders = 0;
	for (int i = 0; i < THREADS; i++)
		for (int64_t j = 0; j < w[i].orders; j++)
			all[norders++] = w[i].order_ids[j];
	for (int64_t i = 0; i < norders; i++) {
		the_order = all[i];
		if (i % 3 == 0) {
			ck_assert_int_eq(in_tx(tx_commit, NULL), E_OK);
			the_line = (struct stock_line){ sku[0], product, 1 };
			ck_assert_int_eq(in_tx(tx_ship, NULL), E_OK);
		} else if (i % 3 == 1) {
			ck_assert_int_eq(in_tx(tx_release, NULL), E_OK);
		}
	}
	ck_assert_int_eq(unconserved(), 0);
	{
		int64_t moved = 0;

		ck_assert_int_eq(inventory_sale_rebalance(D, A, sale, sku[0], &moved), E_OK);
		ck_assert_int_ge(moved, 0);
	}
	ck_assert_int_eq(unconserved(), 0);
	units = shards_sum(sale, sku[0], "available");
	ck_assert_int_gt(units, 0);
	ck_assert_int_eq(drain(sale), units);
	ck_assert_int_eq(unconserved(), 0);
	for (int64_t i = 2; i < norders; i += 3) {
		the_order = all[i];
		ck_assert_int_eq(in_tx(tx_release, NULL), E_OK);
	}
	ck_assert_int_eq(shards_sum(sale, sku[0], "available") + shards_sum(sale, sku[0], "reserved"), 0);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shards");
	TCase *tc = tcase_create("shards");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, dom_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, allocate_spreads_units_over_shards);
	tcase_add_test(tc, sale_hold_commit_release);
	tcase_add_test(tc, line_from_several_shards_and_shortage);
	tcase_add_test(tc, ship_and_unship_sale_holds);
	tcase_add_test(tc, drain_then_late_release_goes_to_the_row);
	tcase_add_test(tc, rebalance_evens_out_dry_shards);
	tcase_add_test(tc, reconciler_counts_shard_units);
	tcase_add_test(tc, sale_and_regular_lines_in_one_order);
	tcase_add_test(tc, concurrent_checkouts_never_oversell);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
