/* Units of orders (see inventory.h): holds taken at checkout, committed when
 * the payment is authorized, released when the order ends unpaid or is
 * cancelled, shipped in parcels, put back when a line is cancelled before
 * shipment, restocked when a refund takes units back. The only code that
 * writes `holds`; with inventory.c the only code that writes `inventory` and
 * `stock_movements`.
 *
 * Conservation (checked by app/reconcile through inventory_ledger_page):
 * for every (sku, warehouse), SUM(stock_movements.delta) = available +
 * reserved + committed + the same three of the SKU's sale shards in that
 * warehouse + units of 'shipped' holds. Holding, committing,
 * releasing, shipping and cancelling move units between those columns and
 * write no movement; only units entering or leaving the shop (a seller's
 * set/adjust, an import, a restock of returned units) do.
 *
 * A hold with a sale (holds.sale_id, holds.shard; a hold_req with sale_id)
 * moves its shard's columns instead of the inventory row's (shards.c,
 * shard_ops.h); once the sale closed, what it gives back goes to the
 * inventory row. Lock order: the order's holds, the inventory rows by (sku,
 * warehouse), then the shard rows by (sale, sku, shard): so lines without a
 * sale are held before lines with one, and a release locks the inventory
 * row of a sale hold before its shard. */
#include <stdlib.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../catalog/catalog.h"
#include "../events/events.h"
#include "inventory.h"
#include "shard_ops.h"

enum {
	Q_INV_LOCK, Q_INV_RESERVE, Q_HOLD_INS, Q_HOLDS_OF, Q_INV_COMMIT, Q_INV_UNRESERVE,
	Q_INV_UNCOMMIT, Q_HOLD_STATE, Q_HOLD_OF, Q_HOLD_LOCK, Q_PRODUCTS_HELD, Q_HOLDS_SKU, Q_INV_SHIP,
	Q_HOLD_SHRINK, Q_HOLD_SPLIT, Q_INV_LOCK_ROW, Q_RETURN_WH, Q_INV_RESTOCK, Q_MOVEMENT, Q_LEDGER,
	Q_HELD_ENDED, Q_SKU_PRODUCT, Q_HOLD_INS_SALE,
	Q_INV_ROW_READ,	/* RETURNS (issue 19) */
	NQ
};

static struct db_sql sql[NQ] = {
	[Q_INV_LOCK] = { "SELECT warehouse_id, available FROM inventory WHERE sku_id = ? "
			 "ORDER BY warehouse_id FOR UPDATE", 0 },
	/* Every single-row UPDATE here names the primary key: left to itself,
	 * MariaDB's UPDATE planner read (sku_id, warehouse_id) through the
	 * warehouse index (its hidden primary-key suffix looks as selective),
	 * taking next-key locks on that index, so checkouts of different SKUs
	 * in one warehouse waited on each other and a hold deadlocked with a
	 * payment of the same SKU (measured: 15% of hot-SKU checkouts failed
	 * after retries with 16 workers). */
	[Q_INV_RESERVE] = { "UPDATE inventory FORCE INDEX (PRIMARY) SET available = available - ?, reserved = reserved + ? "
			    "WHERE sku_id = ? AND warehouse_id = ? AND available >= ?", 0 },
	[Q_HOLD_INS] = { "INSERT INTO holds (order_id, sku_id, warehouse_id, quantity, expires_at) "
			 "VALUES (?, ?, ?, ?, FROM_UNIXTIME(?))", 0 },
	[Q_HOLD_INS_SALE] = { "INSERT INTO holds (order_id, sku_id, warehouse_id, quantity, expires_at, sale_id, shard) "
			      "VALUES (?, ?, ?, ?, FROM_UNIXTIME(?), ?, ?)", 0 },
	[Q_HOLDS_OF] = { "SELECT id, sku_id, warehouse_id, quantity, state, sale_id, shard FROM holds "
			 "WHERE order_id = ? AND state IN ('held', 'committed') ORDER BY sku_id, warehouse_id FOR UPDATE", 0 },
	[Q_INV_COMMIT] = { "UPDATE inventory FORCE INDEX (PRIMARY) SET reserved = reserved - ?, committed = committed + ? "
			   "WHERE sku_id = ? AND warehouse_id = ? AND reserved >= ?", 0 },
	[Q_INV_UNRESERVE] = { "UPDATE inventory FORCE INDEX (PRIMARY) SET reserved = reserved - ?, available = available + ? "
			      "WHERE sku_id = ? AND warehouse_id = ? AND reserved >= ?", 0 },
	[Q_INV_UNCOMMIT] = { "UPDATE inventory FORCE INDEX (PRIMARY) SET committed = committed - ?, available = available + ? "
			     "WHERE sku_id = ? AND warehouse_id = ? AND committed >= ?", 0 },
	[Q_HOLD_STATE] = { "UPDATE holds SET state = ? WHERE id = ?", 0 },
	[Q_SKU_PRODUCT] = { "SELECT product_id FROM skus WHERE id = ?", 0 },
	[Q_HOLD_OF] = { "SELECT order_id FROM holds WHERE id = ?", 0 },
	[Q_HOLD_LOCK] = { "SELECT sku_id, warehouse_id, quantity, sale_id, shard FROM holds WHERE id = ? AND state = 'held' "
			  "FOR UPDATE", 0 },
	/* The products whose units an order holds or held (for its events):
	 * a plain read, the holds are locked already. */
	[Q_PRODUCTS_HELD] = { "SELECT DISTINCT s.product_id FROM holds h JOIN skus s ON s.id = h.sku_id "
			      "WHERE h.order_id = ? ORDER BY s.product_id", 0 },
	[Q_HOLDS_SKU] = { "SELECT id, warehouse_id, quantity, sale_id, shard FROM holds WHERE order_id = ? AND sku_id = ? "
			  "AND state = 'committed' ORDER BY warehouse_id FOR UPDATE", 0 },
	[Q_INV_SHIP] = { "UPDATE inventory FORCE INDEX (PRIMARY) SET committed = committed - ? WHERE sku_id = ? AND warehouse_id = ? "
			 "AND committed >= ?", 0 },
	[Q_HOLD_SHRINK] = { "UPDATE holds SET quantity = quantity - ? WHERE id = ? AND quantity > ?", 0 },
	[Q_HOLD_SPLIT] = { "INSERT INTO holds (order_id, sku_id, warehouse_id, quantity, state, expires_at, sale_id, shard) "
			   "VALUES (?, ?, ?, ?, ?, NOW(3), NULLIF(?, 0), IF(? = 0, NULL, ?))", 0 },
	[Q_INV_LOCK_ROW] = { "SELECT available FROM inventory WHERE sku_id = ? AND warehouse_id = ? FOR UPDATE", 0 },
	[Q_RETURN_WH] = { "SELECT warehouse_id FROM holds WHERE order_id = ? AND sku_id = ? AND state = 'shipped' "
			  "ORDER BY warehouse_id LIMIT 1", 0 },
	[Q_INV_RESTOCK] = { "UPDATE inventory FORCE INDEX (PRIMARY) SET available = available + ? WHERE sku_id = ? AND warehouse_id = ?", 0 },
	[Q_MOVEMENT] = { "INSERT INTO stock_movements (sku_id, warehouse_id, seller_id, delta, available_after, "
			 "reason, actor) VALUES (?, ?, ?, ?, ?, ?, ?)", 0 },
	/* One page of inventory rows with what the ledgers say of them:
	 * holds without a sale against the row, holds of sales against the
	 * SKU's shards in that warehouse. */
	[Q_LEDGER] = { "SELECT i.sku_id, i.warehouse_id, i.available, i.reserved, i.committed, "
		       "COALESCE((SELECT SUM(h.quantity) FROM holds h WHERE h.sku_id = i.sku_id "
		       "AND h.warehouse_id = i.warehouse_id AND h.state = 'held' AND h.sale_id IS NULL), 0), "
		       "COALESCE((SELECT SUM(h.quantity) FROM holds h WHERE h.sku_id = i.sku_id "
		       "AND h.warehouse_id = i.warehouse_id AND h.state = 'committed' AND h.sale_id IS NULL), 0), "
		       "COALESCE((SELECT SUM(h.quantity) FROM holds h WHERE h.sku_id = i.sku_id "
		       "AND h.warehouse_id = i.warehouse_id AND h.state = 'shipped'), 0) "
		       /* ARCHIVE: shipped holds of archived orders still count. */
		       "+ COALESCE((SELECT SUM(h.quantity) FROM holds_archive h WHERE h.sku_id = i.sku_id "
		       "AND h.warehouse_id = i.warehouse_id AND h.state = 'shipped'), 0), "
		       "COALESCE((SELECT SUM(m.delta) FROM stock_movements m WHERE m.sku_id = i.sku_id "
		       "AND m.warehouse_id = i.warehouse_id), 0), "
		       "COALESCE(ss.available, 0), COALESCE(ss.reserved, 0), COALESCE(ss.committed, 0), "
		       "COALESCE((SELECT SUM(h.quantity) FROM holds h WHERE h.sku_id = i.sku_id "
		       "AND h.warehouse_id = i.warehouse_id AND h.state = 'held' AND h.sale_id IS NOT NULL), 0), "
		       "COALESCE((SELECT SUM(h.quantity) FROM holds h WHERE h.sku_id = i.sku_id "
		       "AND h.warehouse_id = i.warehouse_id AND h.state = 'committed' AND h.sale_id IS NOT NULL), 0) "
		       "FROM inventory i LEFT JOIN (SELECT sku_id, warehouse_id, SUM(available) AS available, "
		       "SUM(reserved) AS reserved, SUM(committed) AS committed FROM stock_shards "
		       "GROUP BY sku_id, warehouse_id) ss ON ss.sku_id = i.sku_id AND ss.warehouse_id = i.warehouse_id "
		       "WHERE (i.sku_id, i.warehouse_id) > (?, ?) "
		       "ORDER BY i.sku_id, i.warehouse_id LIMIT ?", 0 },
	/* Held units of orders that no longer wait for a payment. */
	[Q_HELD_ENDED] = { "SELECT h.id, h.order_id, o.status FROM holds h JOIN orders o ON o.id = h.order_id "
			   "WHERE h.state = 'held' AND o.status NOT IN ('pending_payment', 'payment_failed') "
			   "ORDER BY h.id LIMIT ?", 0 },
	/* RETURNS (issue 19): the row a write-off names (no lock: nothing moves). */
	[Q_INV_ROW_READ] = { "SELECT available FROM inventory WHERE sku_id = ? AND warehouse_id = ?", 0 },
};

void inventory_holds_init(void)
{
	db_register(sql, NQ);
	inventory_shards_init();
}

/* ---- StockChanged ---- */

/* One StockChanged event per distinct product of pids (first appearance
 * order), {"productId", "orderId", "reason"}, in one statement. */
static enum err order_stock_events(struct db *db, struct arena *a, const int64_t *pids, size_t n,
				   int64_t order_id, const char *reason)
{
	int64_t *agg = arena_alloc(a, sizeof(*agg) * (n + 1));
	json_t **pay = arena_alloc(a, sizeof(*pay) * (n + 1));
	size_t k = 0;

	if (!agg || !pay)
		return E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < k && agg[j] != pids[i]; j++)
			;
		if (j < k || pids[i] <= 0)
			continue;
		agg[k] = pids[i];
		pay[k++] = json_pack("{sIsIss}", "productId", (json_int_t)pids[i], "orderId", (json_int_t)order_id,
				     "reason", reason);
	}
	return event_emit_many(db, a, EV_STOCK_CHANGED, k, agg, pay);
}

/* The same for products already deduplicated by the caller's loop, with
 * each product's read model (stock_total, digest) refreshed too. */
static enum err lines_changed(struct db *db, struct arena *a, const struct stock_line *l, size_t n,
			      int64_t order_id, const char *reason)
{
	int64_t *pids = arena_alloc(a, sizeof(*pids) * (n + 1));
	size_t k = 0;
	enum err e;

	if (!pids)
		return E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < k && pids[j] != l[i].product_id; j++)
			;
		if (j == k)
			pids[k++] = l[i].product_id;
	}
	for (size_t i = 0; i < k; i++) {
		if ((e = event_emit(db, a, EV_STOCK_CHANGED, pids[i], json_pack("{sIsIss}", "productId",
				    (json_int_t)pids[i], "orderId", (json_int_t)order_id, "reason", reason))) ||
		    (e = catalog_refresh_stock(db, a, pids[i])))	/* stock_total too */
			return e;
	}
	return E_OK;
}

/* ---- checkout: hold, commit, release ---- */

/* The lock order: lines without a sale by SKU (inventory rows), then lines
 * of sales by (sale, SKU) (shard rows). */
static int by_lock_order(const void *x, const void *y)
{
	const struct hold_req *a = x, *b = y;
	int sa = a->sale_id > 0, sb = b->sale_id > 0;

	if (sa != sb)
		return sa - sb;
	if (a->sale_id != b->sale_id)
		return a->sale_id < b->sale_id ? -1 : 1;
	return a->sku_id < b->sku_id ? -1 : a->sku_id > b->sku_id;
}

/* A sale line: its units from the sale's shards, one hold per shard. */
static enum err hold_sale_line(struct db *db, struct arena *a, int64_t order_id, struct hold_req *l,
			       int64_t expires)
{
	struct shard_take *t;
	size_t k;
	int64_t left;
	enum err e = shard_take(db, a, l->sale_id, l->sku_id, l->quantity, &t, &k, &left);

	if (e == E_CONFLICT) {
		l->available = left;
		return e;
	}
	if (e)
		return e;
	l->available = l->quantity;	/* at least: it was not short */
	for (size_t j = 0; j < k; j++)
		if ((e = db_exec(db, a, &sql[Q_HOLD_INS_SALE], NULL, "iiiiiii", order_id, l->sku_id,
				 t[j].warehouse_id, t[j].units, expires, l->sale_id, (int64_t)t[j].shard)))
			return e;
	return E_OK;
}

enum err inventory_hold(struct db *db, struct arena *a, int64_t order_id, struct hold_req *lines,
			size_t n, int64_t expires, size_t *short_out)
{
	int64_t *pids;
	int shortage = 0;
	enum err e;

	*short_out = (size_t)-1;
	/* One order, one lock order: by SKU id, then warehouse id (the ORDER BY
	 * of Q_INV_LOCK), then the sale lines' shards, so two checkouts can
	 * never wait on each other in a cycle. No product row is locked: the
	 * caller refreshes the products' read model after its commit
	 * (order_refresh_stock). Refreshed in this transaction, it needed the
	 * product rows locked first (the refresh reads every SKU's inventory
	 * with shared locks), and checkouts of different SKUs of one product
	 * then queued on that row for the whole transaction (measured: 2.3
	 * row-lock waits and 11 ms of waiting per order). */
	qsort(lines, n, sizeof(*lines), by_lock_order);
	for (size_t i = 0; i < n; i++) {
		struct db_res *r = NULL;
		int64_t total = 0, need = lines[i].quantity;

		if (lines[i].sale_id > 0) {
			/* After a shortage too: the answer names every short line
			 * (what it takes meanwhile is rolled back). */
			e = hold_sale_line(db, a, order_id, &lines[i], expires);
			if (e == E_CONFLICT) {
				if (!shortage)
					*short_out = i;
				shortage = 1;
				continue;
			}
			if (e)
				return e;
			continue;
		}
		if ((e = db_exec(db, a, &sql[Q_INV_LOCK], &r, "i", lines[i].sku_id)))
			return e;
		for (size_t w = 0; w < r->nrows; w++)
			total += db_int(r, w, 1);
		lines[i].available = total;
		if (total < need) {
			if (!shortage)
				*short_out = i;
			shortage = 1;
			continue;	/* keep locking and counting: the answer names every short line */
		}
		if (shortage)
			continue;
		for (size_t w = 0; w < r->nrows && need > 0; w++) {
			int64_t wh = db_int(r, w, 0), take = db_int(r, w, 1);

			if (take <= 0)
				continue;
			if (take > need)
				take = need;
			if ((e = db_exec(db, a, &sql[Q_INV_RESERVE], NULL, "iiiii", take, take,
					 lines[i].sku_id, wh, take)))
				return e;
			if (db_affected(db) != 1)
				return E_INTERNAL;	/* the row is locked: this cannot happen */
			if ((e = db_exec(db, a, &sql[Q_HOLD_INS], NULL, "iiiii", order_id, lines[i].sku_id,
					 wh, take, expires)))
				return e;
			need -= take;
		}
	}
	if (shortage)
		return E_CONFLICT;
	/* The events: every line's product, in product order, as one statement. */
	if (!(pids = arena_alloc(a, sizeof(*pids) * (n + 1))))
		return E_NOMEM;
	for (size_t i = 0; i < n; i++)
		pids[i] = lines[i].product_id;
	for (size_t i = 1; i < n; i++)	/* insertion sort: a cart is short */
		for (size_t j = i; j > 0 && pids[j - 1] > pids[j]; j--) {
			int64_t t = pids[j];

			pids[j] = pids[j - 1];
			pids[j - 1] = t;
		}
	return order_stock_events(db, a, pids, n, order_id, "held");
}

/* The order of shard rows: (sale, sku, shard). */
struct sale_hold {
	int64_t id, sale, sku, wh, q;
	int shard, committed;
};

static int by_shard(const void *x, const void *y)
{
	const struct sale_hold *a = x, *b = y;

	if (a->sale != b->sale)
		return a->sale < b->sale ? -1 : 1;
	if (a->sku != b->sku)
		return a->sku < b->sku ? -1 : 1;
	return a->shard - b->shard;
}

/* Moves every live hold of the order: "commit" (reserved -> committed) or
 * "release" (back to available from wherever it is). Holds without a sale
 * first, in (sku, warehouse) order, with the inventory rows of sale holds
 * locked among them when releasing (their units go to the row once the
 * sale closed); then the sale holds' shards in (sale, sku, shard) order. */
static enum err move_holds(struct db *db, struct arena *a, int64_t order_id, int commit, int *moved)
{
	struct db_res *r = NULL;
	struct sale_hold *sh;
	size_t ns = 0;
	enum err e = db_exec(db, a, &sql[Q_HOLDS_OF], &r, "i", order_id);

	*moved = 0;
	if (e)
		return e;
	if (!(sh = arena_alloc(a, sizeof(*sh) * (r->nrows + 1))))
		return E_NOMEM;
	for (size_t i = 0; !e && i < r->nrows; i++) {
		int64_t id = db_int(r, i, 0), sku = db_int(r, i, 1), wh = db_int(r, i, 2), q = db_int(r, i, 3);
		int held = !strcmp(db_cell(r, i, 4), "held");
		const struct db_sql *s;

		if (commit && !held)
			continue;
		if (db_cell(r, i, 5)) {		/* a sale's hold */
			struct db_res *inv = NULL;

			sh[ns++] = (struct sale_hold){ id, db_int(r, i, 5), sku, wh, q, (int)db_int(r, i, 6), !held };
			if (!commit && (e = db_exec(db, a, &sql[Q_INV_LOCK_ROW], &inv, "ii", sku, wh)))
				break;
			continue;
		}
		/* The hold (locked above) first, the inventory row last: a hot
		 * SKU's row is then locked for one statement less. */
		if ((e = db_exec(db, a, &sql[Q_HOLD_STATE], NULL, "si", commit ? "committed" : "released", id)))
			break;
		s = commit ? &sql[Q_INV_COMMIT] : held ? &sql[Q_INV_UNRESERVE] : &sql[Q_INV_UNCOMMIT];
		if ((e = db_exec(db, a, s, NULL, "iiiii", q, q, sku, wh, q)))
			break;
		if (db_affected(db) != 1) {
			log_err("order %lld: inventory of sku %lld/%lld does not cover hold %lld",
				(long long)order_id, (long long)sku, (long long)wh, (long long)id);
			e = E_INTERNAL;
			break;
		}
		(*moved)++;
	}
	qsort(sh, ns, sizeof(*sh), by_shard);
	for (size_t i = 0; !e && i < ns; i++) {
		int to_row;

		e = commit ? shard_commit(db, a, sh[i].sale, sh[i].sku, sh[i].shard, sh[i].q) :
			shard_give_back(db, a, sh[i].sale, sh[i].sku, sh[i].shard, sh[i].wh, sh[i].q, sh[i].committed,
					&to_row);
		if (e == E_INTERNAL)
			log_err("order %lld: shard %lld/%lld/%d does not cover hold %lld", (long long)order_id,
				(long long)sh[i].sale, (long long)sh[i].sku, sh[i].shard, (long long)sh[i].id);
		if (!e)
			e = db_exec(db, a, &sql[Q_HOLD_STATE], NULL, "si", commit ? "committed" : "released", sh[i].id);
		(*moved)++;
	}
	return e;
}

enum err inventory_commit(struct db *db, struct arena *a, int64_t order_id)
{
	int moved;

	return move_holds(db, a, order_id, 1, &moved);
}

enum err inventory_release(struct db *db, struct arena *a, int64_t order_id, const char *reason)
{
	struct db_res *r = NULL;
	int64_t *pids;
	int moved;
	enum err e;

	if ((e = move_holds(db, a, order_id, 0, &moved)))
		return e;
	/* The order's products, held or once held: a release that found
	 * nothing left (a second cancel) still says so, as it always has. */
	if ((e = db_exec(db, a, &sql[Q_PRODUCTS_HELD], &r, "i", order_id)))
		return e;
	if (!(pids = arena_alloc(a, sizeof(*pids) * (r->nrows + 1))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++)
		pids[i] = db_int(r, i, 0);
	return order_stock_events(db, a, pids, r->nrows, order_id, reason ? reason : "released");
}

enum err inventory_hold_order(struct db *db, struct arena *a, int64_t hold_id, int64_t *order_id)
{
	struct db_res *r = NULL;
	enum err e;

	*order_id = 0;
	if ((e = db_exec(db, a, &sql[Q_HOLD_OF], &r, "i", hold_id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	*order_id = db_int(r, 0, 0);
	return E_OK;
}

enum err inventory_release_hold(struct db *db, struct arena *a, int64_t hold_id, int64_t *units,
			       int64_t *product_id)
{
	struct db_res *h = NULL;
	int64_t sku, wh, q;
	enum err e;

	*units = 0;
	*product_id = 0;
	if ((e = db_exec(db, a, &sql[Q_HOLD_LOCK], &h, "i", hold_id)) || !h->nrows)
		return e;	/* no longer held: nothing to do */
	sku = db_int(h, 0, 0);
	wh = db_int(h, 0, 1);
	q = db_int(h, 0, 2);
	if (db_cell(h, 0, 3)) {
		/* A sale's hold: the inventory row (where the units go once the
		 * sale closed), then the shard. */
		struct db_res *inv = NULL;
		int to_row;

		if ((e = db_exec(db, a, &sql[Q_INV_LOCK_ROW], &inv, "ii", sku, wh)))
			return e;
		e = shard_give_back(db, a, db_int(h, 0, 3), sku, (int)db_int(h, 0, 4), wh, q, 0, &to_row);
		if (e == E_INTERNAL)
			return E_CONFLICT;	/* the shard does not cover it: the caller rolls back */
		if (e)
			return e;
	} else {
		if ((e = db_exec(db, a, &sql[Q_INV_UNRESERVE], NULL, "iiiii", q, q, sku, wh, q)))
			return e;
		if (db_affected(db) != 1)
			return E_CONFLICT;	/* reserved does not cover it: the caller rolls back */
	}
	if ((e = db_exec(db, a, &sql[Q_HOLD_STATE], NULL, "si", "released", hold_id)) ||
	    (e = inventory_sku_changed(db, a, sku, "reconciled: stray hold released", product_id)))
		return e;
	*units = q;
	return E_OK;
}

enum err inventory_sku_changed(struct db *db, struct arena *a, int64_t sku_id, const char *reason,
			       int64_t *product_id)
{
	struct db_res *r = NULL;
	enum err e;

	*product_id = 0;
	if ((e = db_exec(db, a, &sql[Q_SKU_PRODUCT], &r, "i", sku_id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	*product_id = db_int(r, 0, 0);
	return event_emit(db, a, EV_STOCK_CHANGED, *product_id,
			  json_pack("{sIss}", "productId", (json_int_t)*product_id, "reason", reason));
}

/* ---- fulfilment: ship, cancel, restock ---- */

/* Moves qty units of sku from the order's committed holds to `to_state`
 * ('shipped': they leave the warehouse; 'released': back to available),
 * lowest warehouse first. Holds are split so that inventory.committed
 * always equals the committed holds. Neither is a stock movement: the
 * units stay the SKU's (on the shelf, or counted as shipped in the holds). */
static enum err take_holds(struct db *db, struct arena *a, int64_t order_id, int64_t sku, int64_t qty,
			   const char *to_state)
{
	struct db_res *h = NULL;
	int64_t need = qty;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_HOLDS_SKU], &h, "ii", order_id, sku)))
		return e;
	for (size_t i = 0; i < h->nrows && need > 0; i++) {
		int64_t hid = db_int(h, i, 0), wh = db_int(h, i, 1), hq = db_int(h, i, 2);
		int64_t take = hq < need ? hq : need, sale = db_int(h, i, 3), shard = db_int(h, i, 4);

		if (db_cell(h, i, 3)) {
			/* A sale's hold: its shard (the inventory rows are locked
			 * by take_lines). */
			int to_row;

			if (!strcmp(to_state, "shipped"))
				e = shard_ship(db, a, sale, sku, (int)shard, take);
			else if ((e = shard_give_back(db, a, sale, sku, (int)shard, wh, take, 1, &to_row)) == E_INTERNAL)
				e = E_CONFLICT;
			if (e)
				return e;
		} else if (!strcmp(to_state, "shipped")) {
			e = db_exec(db, a, &sql[Q_INV_SHIP], NULL, "iiii", take, sku, wh, take);
		} else {
			struct db_res *inv = NULL;

			if ((e = db_exec(db, a, &sql[Q_INV_LOCK_ROW], &inv, "ii", sku, wh)))
				return e;
			if (!inv->nrows)
				return E_INTERNAL;
			e = db_exec(db, a, &sql[Q_INV_UNCOMMIT], NULL, "iiiii", take, take, sku, wh, take);
		}
		if (e)
			return e;
		if (!db_cell(h, i, 3) && db_affected(db) != 1)
			return E_CONFLICT;	/* the guard held: committed is short */
		if (take == hq)
			e = db_exec(db, a, &sql[Q_HOLD_STATE], NULL, "si", to_state, hid);
		else if (!(e = db_exec(db, a, &sql[Q_HOLD_SHRINK], NULL, "iii", take, hid, take)))
			e = db_exec(db, a, &sql[Q_HOLD_SPLIT], NULL, "iiiisiii", order_id, sku, wh, take, to_state,
				    sale, sale, shard);
		if (e)
			return e;
		need -= take;
	}
	if (need > 0) {
		log_err("order %lld: sku %lld: %lld units not in committed holds", (long long)order_id,
			(long long)sku, (long long)need);
		return E_INTERNAL;
	}
	return E_OK;
}

static enum err take_lines(struct db *db, struct arena *a, int64_t order_id, const struct stock_line *l,
			   size_t n, const char *to_state, const char *reason)
{
	enum err e;

	/* The lines' inventory rows first (in the callers' sku order), then
	 * holds of sales may touch shard rows and, once their sale closed,
	 * those inventory rows again. */
	for (size_t i = 0; i < n; i++) {
		struct db_res *r = NULL;

		if ((e = db_exec(db, a, &sql[Q_INV_LOCK], &r, "i", l[i].sku_id)))
			return e;
	}
	for (size_t i = 0; i < n; i++)
		if ((e = take_holds(db, a, order_id, l[i].sku_id, l[i].quantity, to_state)))
			return e;
	return lines_changed(db, a, l, n, order_id, reason);
}

enum err inventory_ship(struct db *db, struct arena *a, int64_t order_id, const struct stock_line *lines,
			size_t n)
{
	return take_lines(db, a, order_id, lines, n, "shipped", "shipped");
}

enum err inventory_unship(struct db *db, struct arena *a, int64_t order_id, const struct stock_line *lines,
			  size_t n, const char *reason)
{
	return take_lines(db, a, order_id, lines, n, "released", reason ? reason : "line cancelled");
}

enum err inventory_restock(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id,
			   const struct stock_line *lines, size_t n, const char *actor)
{
	enum err e;

	/* The units come back into stock where they left from (rows locked
	 * in the callers' sku order), one movement each. */
	for (size_t i = 0; i < n; i++) {
		struct db_res *w = NULL, *inv = NULL;
		int64_t sku = lines[i].sku_id, k = lines[i].quantity, wh;

		if ((e = db_exec(db, a, &sql[Q_RETURN_WH], &w, "ii", order_id, sku)))
			return e;
		if (!w->nrows)
			return E_INTERNAL;
		wh = db_int(w, 0, 0);
		if ((e = db_exec(db, a, &sql[Q_INV_LOCK_ROW], &inv, "ii", sku, wh)))
			return e;
		if (!inv->nrows)
			return E_INTERNAL;
		if ((e = db_exec(db, a, &sql[Q_INV_RESTOCK], NULL, "iii", k, sku, wh)))
			return e;
		if (db_affected(db) != 1)
			return E_INTERNAL;
		if ((e = db_exec(db, a, &sql[Q_MOVEMENT], NULL, "iiiiiss", sku, wh, seller_id, k,
				 db_int(inv, 0, 0) + k, "returned units restocked", actor)))
			return e;
	}
	return lines_changed(db, a, lines, n, order_id, "returned");
}

/* RETURNS (issue 19): see inventory.h. */
enum err inventory_write_off(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id,
			     const struct stock_line *lines, size_t n, const char *actor)
{
	enum err e;

	for (size_t i = 0; i < n; i++) {
		struct db_res *w = NULL, *inv = NULL;
		int64_t sku = lines[i].sku_id, wh;

		if ((e = db_exec(db, a, &sql[Q_RETURN_WH], &w, "ii", order_id, sku)))
			return e;
		if (!w->nrows)
			return E_INTERNAL;
		wh = db_int(w, 0, 0);
		if ((e = db_exec(db, a, &sql[Q_INV_ROW_READ], &inv, "ii", sku, wh)))
			return e;
		if (!inv->nrows)
			return E_INTERNAL;
		if ((e = db_exec(db, a, &sql[Q_MOVEMENT], NULL, "iiiiiss", sku, wh, seller_id, (int64_t)0,
				 db_int(inv, 0, 0), arena_printf(a, "%lld returned units written off",
								  (long long)lines[i].quantity), actor)))
			return e;
	}
	return E_OK;
}

/* ---- the ledger, for reconciliation ---- */

enum err inventory_ledger_page(struct db *db, struct arena *a, int64_t after_sku, int64_t after_wh, size_t max,
			       struct stock_ledger **out, size_t *n)
{
	struct db_res *r = NULL;
	struct stock_ledger *l;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_LEDGER], &r, "iii", after_sku, after_wh, (int64_t)max)))
		return e;
	if (!(l = arena_alloc(a, sizeof(*l) * (r->nrows + 1))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		l[i].sku_id = db_int(r, i, 0);
		l[i].warehouse_id = db_int(r, i, 1);
		l[i].available = db_int(r, i, 2);
		l[i].reserved = db_int(r, i, 3);
		l[i].committed = db_int(r, i, 4);
		l[i].held = db_int(r, i, 5);
		l[i].held_committed = db_int(r, i, 6);
		l[i].shipped = db_int(r, i, 7);
		l[i].moved = db_int(r, i, 8);
		l[i].shard_available = db_int(r, i, 9);
		l[i].shard_reserved = db_int(r, i, 10);
		l[i].shard_committed = db_int(r, i, 11);
		l[i].sale_held = db_int(r, i, 12);
		l[i].sale_committed = db_int(r, i, 13);
	}
	*out = l;
	*n = r->nrows;
	return E_OK;
}

enum err inventory_holds_of_ended(struct db *db, struct arena *a, size_t max, struct stray_hold **out, size_t *n)
{
	struct db_res *r = NULL;
	struct stray_hold *h;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_HELD_ENDED], &r, "i", (int64_t)max)))
		return e;
	if (!(h = arena_alloc(a, sizeof(*h) * (r->nrows + 1))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		h[i].hold_id = db_int(r, i, 0);
		h[i].order_id = db_int(r, i, 1);
		h[i].order_status = db_cell(r, i, 2);
	}
	*out = h;
	*n = r->nrows;
	return E_OK;
}
