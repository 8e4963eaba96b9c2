/* Stock adjustments: a seller (or a program acting for one: the bulk import,
 * later refunds) sets or adjusts `inventory.available` of one SKU in one
 * warehouse, with a reason, recorded in stock_movements.
 *
 * Only `available` ever changes here. Units held by checkouts (`reserved`) or
 * sold (`committed`) stay theirs, so an edit during a sale can neither
 * oversell nor lose a sold unit: setting "10 available" while 3 are held
 * means 13 units on the shelf. Rows are locked the way checkout locks them
 * (DESIGN.md section 2): the product row first, then the inventory row with
 * SELECT ... FOR UPDATE; a change that would take available below zero is
 * refused, never clamped. */
#ifndef INVENTORY_INVENTORY_H
#define INVENTORY_INVENTORY_H

#include <stdint.h>
#include "../core/err.h"

struct arena;
struct ctx;
struct db;

/* One change. The caller fills the "in" fields; the function fills "out". */
struct stock_change {
	/* in */
	int64_t seller_id;	/* the SKU must belong to this seller (checked in SQL) */
	int64_t product_id;	/* when > 0, the SKU must also be of this product */
	const char *sku;	/* the SKU code */
	/* When the caller knows the SKU's id (a bulk writer that just wrote
	 * it), it may give it here with product_id: ownership is then checked
	 * by the same statement that locks the product. 0 otherwise. */
	int64_t sku_id;
	int64_t warehouse_id;	/* warehouses.id */
	int is_set;		/* 1: available = value; 0: available += value */
	int64_t value;
	const char *reason;	/* 1..STOCK_REASON_MAX bytes, required */
	const char *actor;	/* "user:12", "import:7", ... */
	/* Bulk writers that change many SKUs of one product in one transaction
	 * set this and call inventory_product_changed() once per product
	 * before committing; everyone else leaves it 0. */
	int defer_read_model;
	/* out */
	int64_t product_id_out;
	int64_t before, available, reserved, committed;	/* after the change */
	int64_t delta;		/* what was applied (0: nothing changed, no movement) */
};

/* Statements of the module (once, at start; idempotent). */
void inventory_init(void);

/* Inside the caller's transaction. E_NOTFOUND: no such SKU of this seller (or
 * product); E_CONFLICT: the result would be below zero (ch->available holds
 * the current value and nothing changed); E_INVAL: the result would be over
 * STOCK_QTY_MAX, or a missing reason. On E_OK the inventory row, the movement
 * (when the value changed), and unless deferred products.stock_total, the
 * product's read model and a StockChanged outbox event are written. The
 * caller rolls back on any error. */
enum err inventory_change_in_tx(struct db *db, struct arena *a, struct stock_change *ch);

/* The same in a transaction of its own (retried on deadlock). */
enum err inventory_change(struct db *db, struct arena *a, struct stock_change *ch);

/* Keeps a product's read model right after deferred changes, inside the
 * caller's transaction: products.stock_total, catalog_refresh_digest() and a
 * StockChanged event carrying reason. */
enum err inventory_product_changed(struct db *db, struct arena *a, int64_t product_id, const char *reason);

/* Reconciliation: reserved units of (sku_id, warehouse_id) that no live
 * hold accounts for go back to available, in a transaction of its own
 * (the row locked, the holds read with a locking read). *units: how many
 * (0 when the row agrees with its holds by now). */
enum err inventory_release_unheld(struct db *db, struct arena *a, int64_t sku_id, int64_t warehouse_id,
				  int64_t *units);

/* warehouses.id of a warehouse code ("east"), or 0 when there is none. */
int64_t inventory_warehouse_id(struct db *db, struct arena *a, const char *code);

/* Pages and API (app/inventory/routes.inc). */
enum err h_seller_stock(struct ctx *c);
enum err h_seller_stock_post(struct ctx *c);
enum err h_api_stock(struct ctx *c);
enum err h_api_stock_post(struct ctx *c);

/* -- added by w2b -- */
/* `shopctl gen-catalog`: stocks every SKU of the generated products slugged
 * gen-<tag>-* with the product's stock_total at the first warehouse, each
 * with its opening movement (app/inventory/gen_stock.c). */
enum err inventory_stock_generated(struct db *db, long tag);

/* -- added by w2a -- (app/inventory/listing_stock.c) */

/* Statements of listing_stock.c (once, at start; idempotent). */
void inventory_listing_init(void);

/* Opens the shelves of a SKU just inserted: a row in every warehouse, qty
 * (0..STOCK_QTY_MAX) available in the first, and its "initial stock"
 * movement by actor when qty > 0. Inside the caller's transaction; the
 * caller keeps the read model and writes the product's StockChanged. */
enum err inventory_open_sku(struct db *db, struct arena *a, int64_t sku_id, int64_t seller_id, int64_t qty,
			    const char *actor);

/* *held = 1 when a checkout holds units of the SKU (a locking read, so no
 * hold can appear until the caller's transaction ends). */
enum err inventory_sku_held(struct db *db, struct arena *a, int64_t sku_id, int *held);

/* A SQL expression for the units available of the SKU whose id is the
 * expression sku (summed over warehouses), for a read that lists SKUs in one
 * statement (the seller's item pages). */
#define INVENTORY_SKU_AVAILABLE_SQL(sku) \
	"(SELECT COALESCE(SUM(i.available), 0) FROM inventory i WHERE i.sku_id = " sku ")"

/* Sets to 0, through inventory_change_in_tx (a movement each, read model
 * deferred), the available units of every SKU of the product other than
 * keep_sku_id. */
enum err inventory_empty_other_skus(struct db *db, struct arena *a, int64_t seller_id, int64_t product_id,
				    int64_t keep_sku_id, const char *reason, const char *actor);

#endif
