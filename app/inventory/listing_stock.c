/* Stock operations of the listing writers (the seller's item form and API,
 * the demo catalog import): a new SKU's shelves, whether a SKU is held, and
 * emptying the shelves of SKUs a product no longer sells. Declared at the end
 * of inventory.h ("added by w2a"). Like a deferred stock_change, none of
 * them touches the product's read model or writes its StockChanged event:
 * the caller does that once per product, in the same transaction. */
#include <string.h>
#include "../core/arena.h"
#include "../store/db.h"
#include "../seller/limits.h"
#include "inventory.h"


enum { Q_OPEN, Q_OPEN_MOVE, Q_HELD, Q_STOCKED_OTHERS, NQ };

static struct db_sql sql[NQ] = {
	/* A row in every warehouse; the opening quantity in the first. */
	[Q_OPEN] = { "INSERT INTO inventory (sku_id, warehouse_id, available) "
		     "SELECT ?, w.id, IF(w.id = 1, ?, 0) FROM warehouses w", 0 },
	[Q_OPEN_MOVE] = { "INSERT INTO stock_movements (sku_id, warehouse_id, seller_id, delta, "
			  "available_after, reason, actor) VALUES (?, 1, ?, ?, ?, ?, ?)", 0 },
	/* A locking read: no checkout can hold the SKU between this check and
	 * what the caller does next. */
	[Q_HELD] = { "SELECT 1 FROM holds WHERE sku_id = ? LIMIT 1 LOCK IN SHARE MODE", 0 },
	[Q_STOCKED_OTHERS] = { "SELECT i.sku_id, i.warehouse_id FROM inventory i JOIN skus s ON s.id = i.sku_id "
			       "WHERE s.product_id = ? AND s.id <> ? AND i.available > 0 "
			       "ORDER BY i.sku_id, i.warehouse_id", 0 },
};

void inventory_listing_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	inventory_init();
	db_register(sql, NQ);
}

enum err inventory_open_sku(struct db *db, struct arena *a, int64_t sku_id, int64_t seller_id, int64_t qty,
			    const char *actor)
{
	enum err e;

	if (qty < 0 || qty > STOCK_QTY_MAX || !actor)
		return E_INVAL;
	if ((e = db_exec(db, a, &sql[Q_OPEN], NULL, "ii", sku_id, qty)))
		return e;
	if (qty > 0)
		e = db_exec(db, a, &sql[Q_OPEN_MOVE], NULL, "iiiiss", sku_id, seller_id, qty, qty,
			    "initial stock", actor);
	return e;
}

enum err inventory_sku_held(struct db *db, struct arena *a, int64_t sku_id, int *held)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_HELD], &r, "i", sku_id);

	if (!e)
		*held = r->nrows > 0;
	return e;
}

enum err inventory_empty_other_skus(struct db *db, struct arena *a, int64_t seller_id, int64_t product_id,
				    int64_t keep_sku_id, const char *reason, const char *actor)
{
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_STOCKED_OTHERS], &r, "ii", product_id, keep_sku_id)))
		return e;
	for (size_t i = 0; i < r->nrows; i++) {
		struct stock_change ch;

		memset(&ch, 0, sizeof(ch));
		ch.seller_id = seller_id;
		ch.product_id = product_id;
		ch.sku_id = db_int(r, i, 0);
		ch.warehouse_id = db_int(r, i, 1);
		ch.is_set = 1;
		ch.value = 0;
		ch.reason = reason;
		ch.actor = actor;
		ch.defer_read_model = 1;
		if ((e = inventory_change_in_tx(db, a, &ch)))
			return e;
	}
	return E_OK;
}
