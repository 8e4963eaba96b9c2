/* Hot-SKU stock, the steps holds.c takes on shard rows (app/inventory only;
 * the rest of the shop uses shards.h). Every function runs in the caller's
 * transaction and respects the lock order of docs/design.md section 2: the
 * caller has locked whatever inventory rows it needs before it calls any of
 * these (shard rows come last). */
#ifndef INVENTORY_SHARD_OPS_H
#define INVENTORY_SHARD_OPS_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;

/* Statements of shards.c (from inventory_holds_init). */
void inventory_shards_init(void);

/* Units one sale line took from one shard. */
struct shard_take {
	int shard;
	int64_t warehouse_id, units;
};

/* quantity units of (sale_id, sku_id) from its open shards: a shard picked
 * at random first (one guarded decrement: available -> reserved), and only
 * when none of them can give the whole line, the shards in shard order.
 * E_OK: takes[0..*ntakes-1] (at most max) say where they came from.
 * E_CONFLICT: not enough units (*available: what the shards have left);
 * the caller rolls back. */
enum err shard_take(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id, int64_t quantity,
		    struct shard_take **takes, size_t *ntakes, int64_t *available);

/* reserved -> committed of one shard (a hold's payment authorized).
 * E_INTERNAL when reserved does not cover it. */
enum err shard_commit(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id, int shard, int64_t q);

/* A hold's units given back, from reserved (committed = 0) or committed
 * (committed = 1): to the shard's available while its sale is open, else
 * to the available of the inventory row (sku_id, warehouse_id), which the
 * caller has locked. *to_row: 1 when they went to the inventory row.
 * E_INTERNAL when the shard does not cover them. */
enum err shard_give_back(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id, int shard,
			 int64_t warehouse_id, int64_t q, int committed, int *to_row);

/* committed goes down by q (a parcel left). E_CONFLICT when short. */
enum err shard_ship(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id, int shard, int64_t q);

#endif
