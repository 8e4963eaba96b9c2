/* Stock of a generated catalog (`shopctl gen-catalog`, app/search/search.c):
 * the bulk form of inventory's "set", for the hundreds of thousands of
 * synthetic products a benchmark needs. Kept in app/inventory because only
 * this module writes the stock tables (added by w2b). */
#include <stdio.h>
#include "../store/db.h"
#include "inventory.h"

enum err inventory_stock_generated(struct db *db, long tag)
{
	char q[1024];

	/* One inventory row per SKU of the products slugged gen-<tag>-*, at
	 * the first warehouse, holding the product's stock_total; and the
	 * units' opening movement, so that stock is conserved (movements =
	 * available + reserved + committed + shipped). No StockChanged
	 * events: nothing follows these products until `shopctl reindex`,
	 * and an event per SKU would be a million outbox rows. */
	snprintf(q, sizeof(q),
		"INSERT INTO inventory (sku_id, warehouse_id, available) SELECT s.id, "
		"(SELECT MIN(id) FROM warehouses), p.stock_total FROM skus s JOIN products p ON p.id = s.product_id "
		"WHERE p.slug LIKE 'gen-%ld-%%'; "
		"INSERT INTO stock_movements (sku_id, warehouse_id, seller_id, delta, available_after, reason, actor) "
		"SELECT i.sku_id, i.warehouse_id, p.seller_id, i.available, i.available, 'generated catalog', "
		"'gen-catalog' FROM inventory i JOIN skus s ON s.id = i.sku_id JOIN products p ON p.id = s.product_id "
		"WHERE p.slug LIKE 'gen-%ld-%%' AND i.available > 0", tag, tag);
	return db_run_script(db, q);
}
