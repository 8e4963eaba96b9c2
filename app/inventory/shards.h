/* Hot-SKU stock: a sale's units in shard rows (issue 18; table
 * stock_shards, migrations/121_stock_shards.sql; docs/design.md section 2).
 *
 * When a sale opens, its units of each SKU leave the inventory row's
 * `available` (warehouse by warehouse, lowest id first) into N shard rows
 * of (sale, SKU, shard), spread evenly; a checkout of a sale line takes its
 * units from a shard picked at random and, when that one is short, from
 * the next (guarded decrements, never a read then a write), so concurrent
 * checkouts lock different rows. The hold names the shard (holds.sale_id,
 * holds.shard) and commit, release, ship and unship move that shard's units
 * (inventory_hold and friends in holds.c, through hold_req.sale_id). When
 * the sale ends, what is left in the shards goes back to the inventory
 * rows it came from; units of holds released later go back there too.
 * None of this is a stock movement: the units never leave the shop. */
#ifndef INVENTORY_SHARDS_H
#define INVENTORY_SHARDS_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;

/* In the caller's transaction: up to quantity units of sku_id set aside for
 * sale_id in nshards shards. *allocated: how many (fewer when the shelf has
 * fewer; 0 is not an error). StockChanged ("sale opened") for the product. */
enum err inventory_sale_allocate(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id,
				 int64_t quantity, int nshards, int64_t *allocated);

/* In the caller's transaction: the sale's units still available in its
 * shards go back to the inventory rows they came from (the sale ended or
 * was cancelled); StockChanged ("sale closed") per product. *units: how many. */
enum err inventory_sale_drain(struct db *db, struct arena *a, int64_t sale_id, int64_t *units);

/* Units of (sale_id, sku_id): available in its shards, reserved by holds
 * waiting for payment, committed (paid) and shipped. A plain read. */
struct sale_units {
	int64_t available, reserved, committed, shipped;
};
enum err inventory_sale_units(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id,
			      struct sale_units *out);

/* Evens out the shards of (sale_id, sku_id) when some ran dry while others
 * have units (its own transaction, rows locked in shard order). *moved:
 * units moved. Run by the sales job. */
enum err inventory_sale_rebalance(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id,
				  int64_t *moved);

#endif
