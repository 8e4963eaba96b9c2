/* Emptying the shelves of SKUs a product no longer sells (the demo catalog
 * import). Like a deferred stock_change, it neither touches the product's
 * read model nor writes its StockChanged event: the caller does that once
 * per product, in the same transaction. */
#include <string.h>
#include "../core/arena.h"
#include "../store/db.h"
#include "inventory.h"


enum { Q_STOCKED_OTHERS, NQ };

static struct db_sql sql[NQ] = {
	[Q_STOCKED_OTHERS] = { "SELECT i.sku_id, i.warehouse_id FROM inventory i JOIN skus s ON s.id = i.sku_id "
			       "WHERE s.product_id = ? AND s.id <> ? AND i.available > 0 "
			       "ORDER BY i.sku_id, i.warehouse_id", 0 },
};

void inventory_listing_init(void)
{
	db_register(sql, NQ);
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
