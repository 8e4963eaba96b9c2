/* Flash sales (issue 18; docs/design.md section 10). Domain code: no
 * request, no template.
 *
 * A sale (migrations/120_sales.sql) offers SKUs at a sale price, with a
 * quantity of each for the sale and a limit per customer, from starts_at to
 * ends_at. The "sales" job opens a sale when it starts (the inventory
 * module sets its units aside into shard rows: inventory_sale_allocate,
 * app/inventory/shards.h) and closes it when it ends (what is left goes
 * back on the shelf: inventory_sale_drain).
 *
 * Prices: a cart line added during a live sale with an admission (the
 * waiting room's) names the sale (cart_items.sale_id; the guest cart's
 * Redis hash likewise). It is priced at the sale price while the sale is
 * live and has units left, at the ordinary price otherwise, and the cart
 * and checkout pages say which (sales_line_price). The checkout holds its
 * units from the sale's shards (hold_req.sale_id) and counts them against
 * the customer's limit (sales_claim) in the same transaction. */
#ifndef SALES_SALES_H
#define SALES_SALES_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct kv;

enum sale_state { SALE_NONE, SALE_UPCOMING, SALE_LIVE, SALE_OVER };

/* A SKU's sale as a shopper sees it now. */
struct sale_offer {
	int64_t sale_id;
	const char *name;
	enum sale_state state;
	int64_t starts_at, ends_at;	/* unix seconds */
	int64_t price;			/* the sale price, minor units */
	int64_t quantity;		/* units for the sale */
	int64_t left;			/* units still for sale (shards' available) */
	int per_customer;
};

/* Statements and settings (the module's init). */
void sales_init(void);

/* The live or next upcoming sale of sku_id at time now (unix seconds):
 * out->state SALE_NONE when there is none. Cheap enough for every product
 * page and cart read (a per-worker cache refreshed at most once a second,
 * units left read from the shards). */
enum err sales_offer(struct db *db, struct arena *a, int64_t sku_id, int64_t now, struct sale_offer *out);

/* The unit price of a cart line of sku_id that names sale_id (0: none) at
 * time now: the sale price while that sale is live and has units left, the
 * ordinary price (given) otherwise; *on_sale says which. */
enum err sales_line_price(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id, int64_t ordinary,
			  int64_t now, int64_t *price, int *on_sale);

/* In the checkout's transaction: qty more units of (sale_id, sku_id) for
 * buyer ("u:<id>" or "e:<hash>"), within the item's per-customer limit.
 * E_CONFLICT over the limit (*allowed: how many more the buyer may take). */
enum err sales_claim(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id, const char *buyer,
		     int qty, int *allowed);

/* In the transaction that releases an order's units (expired, cancelled):
 * its sale lines' units go back to their buyers' limits. */
enum err sales_unclaim_order(struct db *db, struct arena *a, int64_t order_id);

#endif
