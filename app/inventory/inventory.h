/* Stock adjustments: a seller (or a program acting for one: the bulk import,
 * later refunds) sets or adjusts `inventory.available` of one SKU in one
 * warehouse, with a reason, recorded in stock_movements.
 *
 * Only `available` ever changes here. Units held by checkouts (`reserved`) or
 * sold (`committed`) stay theirs, so an edit during a sale can neither
 * oversell nor lose a sold unit: setting "10 available" while 3 are held
 * means 13 units on the shelf. Rows are locked the way checkout locks them
 * (docs/design.md section 2): the product row first, then the inventory row with
 * SELECT ... FOR UPDATE; a change that would take available below zero is
 * refused, never clamped. */
#ifndef INVENTORY_INVENTORY_H
#define INVENTORY_INVENTORY_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

#define STOCK_QTY_MAX		1000000		/* units per SKU and warehouse */
#define STOCK_REASON_MAX	200		/* bytes of a change's reason */

struct arena;
struct db;
struct db_res;

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
 * (the row locked, the holds read with a locking read) with the product's
 * StockChanged event; its read model is refreshed after the commit.
 * *units: how many (0 when the row agrees with its holds by now). */
enum err inventory_release_unheld(struct db *db, struct arena *a, int64_t sku_id, int64_t warehouse_id,
				  int64_t *units);

/* warehouses.id of a warehouse code ("east"), or 0 when there is none. */
int64_t inventory_warehouse_id(struct db *db, struct arena *a, const char *code);

/* A new SKU's stock, inside the caller's transaction (its product row
 * locked by the caller): an inventory row in every warehouse, `initial`
 * units available in warehouse 1 with their movement ("initial stock",
 * actor) when > 0. No event: the caller's product change covers it.
 * E_INVAL for initial outside 0..STOCK_QTY_MAX. */
enum err inventory_open_sku(struct db *db, struct arena *a, int64_t sku_id, int64_t seller_id, int64_t initial,
			    const char *actor);

/* The same for many new SKUs in two statements (bulk writers such as
 * `shopctl gen-catalog`), each movement with reason and actor. */
struct sku_open {
	int64_t sku_id, seller_id, initial;
};
enum err inventory_open_skus(struct db *db, struct arena *a, const struct sku_open *skus, size_t n,
			     const char *reason, const char *actor);

/* *held = 1 when any hold (of any state) names the SKU, with a locking read:
 * such a SKU is kept (deactivated), not deleted. */
enum err inventory_sku_held(struct db *db, struct arena *a, int64_t sku_id, int *held);

/* ---- units of orders (app/inventory/holds.c) ----
 *
 * Holds follow docs/design.md section 2: units move available -> reserved when an
 * order is placed (rows locked in (sku, warehouse) order, guarded updates),
 * reserved -> committed when its payment is authorized, committed -> shipped
 * (a hold state; inventory.committed goes down) when a parcel leaves, and
 * back to available when the order fails, expires or is cancelled, or a line
 * is cancelled before shipment. None of these is a stock movement; a restock
 * of returned units is. Every function runs inside the caller's transaction,
 * whose order row the caller has locked first where there is one, and
 * writes the StockChanged events ({"productId", "orderId", "reason"}) of
 * the products it moved. */

/* A line to hold: quantity units of sku_id (of product_id, for the events). */
struct hold_req {
	int64_t sku_id;
	int64_t product_id;
	int quantity;
	int64_t available;	/* filled when short: units left over all warehouses */
	/* When > 0, the units come from this sale's shards (shards.h), not
	 * the inventory rows; available is then what its shards have left. */
	int64_t sale_id;
};

/* Units of one SKU of an order to ship, put back or restock. */
struct stock_line {
	int64_t sku_id, product_id, quantity;
};

/* Initialised by inventory_init(). */
void inventory_holds_init(void);

/* Holds every line for order_id until expires (unix time), locking inventory
 * rows in (sku, warehouse) order (lines are sorted by sku here) and
 * allocating from the lowest warehouse id first. E_CONFLICT when a line is
 * short: *short_out is set to the first short line index, every line's
 * available is filled, and the caller rolls back (nothing is held). No
 * movement; one StockChanged ("held") per product, in one statement. */
enum err inventory_hold(struct db *db, struct arena *a, int64_t order_id, struct hold_req *lines,
			size_t n, int64_t expires, size_t *short_out);

/* The order's 'held' holds become 'committed' (reserved -> committed). */
enum err inventory_commit(struct db *db, struct arena *a, int64_t order_id);

/* Every live hold of the order ('held' or 'committed') goes back to
 * available; StockChanged with reason ("released" when NULL) for each of
 * the order's products. */
enum err inventory_release(struct db *db, struct arena *a, int64_t order_id, const char *reason);

/* The order a hold belongs to (a plain read, for the caller to lock the
 * order before the hold). E_NOTFOUND: no such hold. */
enum err inventory_hold_order(struct db *db, struct arena *a, int64_t hold_id, int64_t *order_id);

/* One 'held' hold back to available (the hold, then its inventory row
 * locked), with its product's StockChanged event. *units: how many (0: it
 * was not held any more); *product_id: whose units moved (0: none), for the
 * caller to refresh the product's read model after committing
 * (catalog_refresh_digest). E_CONFLICT when reserved does not cover it (the
 * caller rolls back). */
enum err inventory_release_hold(struct db *db, struct arena *a, int64_t hold_id, int64_t *units,
				int64_t *product_id);

/* A StockChanged event {"productId", "reason"} for the product of sku_id,
 * in the caller's transaction; *product_id gets it. E_NOTFOUND: no such
 * SKU. */
enum err inventory_sku_changed(struct db *db, struct arena *a, int64_t sku_id, const char *reason,
			       int64_t *product_id);

/* Ship: the lines' units of the order's committed holds leave the warehouse
 * (committed goes down, holds become 'shipped', split when a line takes part
 * of one). Lines in sku order. StockChanged ("shipped") and the read model
 * (products.stock_total, digest) of each product. E_CONFLICT/E_INTERNAL when
 * the committed holds do not cover a line. */
enum err inventory_ship(struct db *db, struct arena *a, int64_t order_id, const struct stock_line *lines,
			size_t n);

/* A line cancelled before shipment: its committed units back to available,
 * as inventory_ship otherwise (reason: "line cancelled" when NULL). */
enum err inventory_unship(struct db *db, struct arena *a, int64_t order_id, const struct stock_line *lines,
			  size_t n, const char *reason);

/* Returned units back on the shelf of the warehouse they left from: available
 * goes up and a movement ("returned units restocked", actor) is written for
 * seller_id; StockChanged ("returned") and the read model of each product. */
enum err inventory_restock(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id,
			   const struct stock_line *lines, size_t n, const char *actor);

/* RETURNS (issue 19): returned units the seller will not sell again: no
 * unit moves (they left with their shipped holds and do not come back); a
 * movement of 0 says "N returned units written off", with actor (the
 * return, "return:<id>"), for the SKU's ledger. */
enum err inventory_write_off(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id,
			     const struct stock_line *lines, size_t n, const char *actor);

/* ---- what the ledgers say (reconciliation) ---- */

struct stock_ledger {
	int64_t sku_id, warehouse_id;
	int64_t available, reserved, committed;		/* the inventory row */
	int64_t held, held_committed, shipped;		/* its holds by state */
	int64_t moved;					/* SUM(stock_movements.delta) */
	/* Hot-SKU stock: the SKU's sale shards in this warehouse (every sale,
	 * open or closed) and the holds of sales; held and held_committed
	 * above count holds without a sale only. Conservation:
	 * moved = available + reserved + committed + shard_available
	 *       + shard_reserved + shard_committed + shipped. */
	int64_t shard_available, shard_reserved, shard_committed;
	int64_t sale_held, sale_committed;		/* holds of sales by state */
};

/* Up to max inventory rows after (after_sku, after_wh), in that order. */
enum err inventory_ledger_page(struct db *db, struct arena *a, int64_t after_sku, int64_t after_wh, size_t max,
			       struct stock_ledger **out, size_t *n);

/* 'held' holds whose order no longer waits for its payment, up to max. */
struct stray_hold {
	int64_t hold_id, order_id;
	const char *order_status;
};
enum err inventory_holds_of_ended(struct db *db, struct arena *a, size_t max, struct stray_hold **out, size_t *n);

/* ---- reads for the pages (inventory_pages.c) ---- */

/* A seller's product with its stock: product (id, title, slug, status),
 * rows (every SKU x warehouse: sku code, options JSON, warehouse code, name,
 * available, reserved, committed, sku status) and the latest movements
 * (at, sku, warehouse, delta, after, reason, actor, the actor's name when a
 * user). E_NOTFOUND when the product is not the seller's. */
struct stock_view {
	struct db_res *product, *rows, *moves;
};
enum err inventory_stock_view(struct db *db, struct arena *a, int64_t product_id, int64_t seller_id,
			      struct stock_view *v);
/* E_OK when the product is the seller's, else E_NOTFOUND. */
enum err inventory_product_owned(struct db *db, struct arena *a, int64_t product_id, int64_t seller_id);
/* E_OK when SKU code is of the seller (and of product_id when > 0). */
enum err inventory_sku_owned(struct db *db, struct arena *a, const char *code, int64_t seller_id,
			     int64_t product_id);

/* app/inventory/gen_stock.c */
/* `shopctl gen-catalog`: stocks every SKU of the generated products slugged
 * gen-<tag>-* with the product's stock_total at the first warehouse, each
 * with its opening movement (app/inventory/gen_stock.c). */
enum err inventory_stock_generated(struct db *db, long tag);

/* ARCHIVE (issue 19): app/inventory/archive_holds.c */

/* Statements of archive_holds.c (from inventory_init). */
void inventory_archive_init(void);

/* In the caller's transaction (app/archive's move of a closed order): the
 * order's holds, all of them released or shipped, move to holds_archive,
 * where the ledgers still count the shipped ones (conservation: shipped
 * units are shipped holds, hot or archived). E_CONFLICT, with nothing
 * written, when a hold is still held or committed (the order is not done
 * with its units), or when the rows moved are not the rows counted.
 * *moved: how many holds moved. */
enum err inventory_archive_holds(struct db *db, struct arena *a, int64_t order_id, int64_t *moved);

/* app/inventory/listing_stock.c */

/* Statements of listing_stock.c (once, at start; idempotent). */
void inventory_listing_init(void);

/* A SQL expression for the units available of the SKU whose id is the
 * expression sku (summed over warehouses), for a read that lists SKUs in one
 * statement (the seller's item pages). */
#define INVENTORY_SKU_AVAILABLE_SQL(sku) \
	"(SELECT COALESCE(SUM(i.available), 0) FROM inventory i WHERE i.sku_id = " sku ")"

/* The same for the units of the SKU's open sales, in their shards
 * (shards.h): not in the expression above while a sale is live. */
#define INVENTORY_SKU_SALE_AVAILABLE_SQL(sku) \
	"(SELECT COALESCE(SUM(ss.available), 0) FROM stock_shards ss WHERE ss.sku_id = " sku " AND ss.drained = 0)"

/* Sets to 0, through inventory_change_in_tx (a movement each, read model
 * deferred), the available units of every SKU of the product other than
 * keep_sku_id. */
enum err inventory_empty_other_skus(struct db *db, struct arena *a, int64_t seller_id, int64_t product_id,
				    int64_t keep_sku_id, const char *reason, const char *actor);

#endif
