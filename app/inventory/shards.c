/* Hot-SKU stock: see shards.h. FRAME: the helper building issue 18's
 * shards replaces these. */
#include <string.h>
#include "../core/arena.h"
#include "../store/db.h"
#include "shards.h"

enum err inventory_sale_allocate(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id,
				 int64_t quantity, int nshards, int64_t *allocated)
{
	(void)db; (void)a; (void)sale_id; (void)sku_id; (void)quantity; (void)nshards;
	*allocated = 0;
	return E_INTERNAL;
}

enum err inventory_sale_drain(struct db *db, struct arena *a, int64_t sale_id, int64_t *units)
{
	(void)db; (void)a; (void)sale_id;
	*units = 0;
	return E_INTERNAL;
}

enum err inventory_sale_units(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id,
			      struct sale_units *out)
{
	(void)db; (void)a; (void)sale_id; (void)sku_id;
	memset(out, 0, sizeof(*out));
	return E_INTERNAL;
}

enum err inventory_sale_rebalance(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id,
				  int64_t *moved)
{
	(void)db; (void)a; (void)sale_id; (void)sku_id;
	*moved = 0;
	return E_INTERNAL;
}
