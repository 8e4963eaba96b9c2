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

/* ---- the schedule (S: beyond the frame's contract) ---- */

/* sales.status (not to be confused with enum sale_state, what a shopper
 * sees now). */
enum sale_status { SALE_ST_SCHEDULED, SALE_ST_LIVE, SALE_ST_ENDED, SALE_ST_CANCELLED };

#define SALE_MAX_ITEMS 50
#define SALE_MAX_PROBLEMS 16

struct sale_item_new {
	const char *code;	/* the SKU's code ("itemId") */
	int64_t price, quantity;
	int per_customer;
};

struct sale_new {
	int64_t seller_id;	/* 0: an admin's sale (any seller's SKUs) */
	int64_t created_by;	/* user id */
	const char *name;
	int64_t starts_at, ends_at;	/* unix seconds; 0: missing or not a time */
	int shards;
	const struct sale_item_new *items;
	size_t n;
};

/* What was wrong with a new sale: field ("items[0].price") and message. */
struct sale_problem {
	const char *field[SALE_MAX_PROBLEMS], *message[SALE_MAX_PROBLEMS];
	int n;
};

struct sale_item {
	int64_t sku_id, product_id;
	const char *code, *title, *slug, *currency;
	int64_t price, regular, quantity, allocated, left, sold;
	int per_customer;
};

struct sale {
	int64_t id, seller_id, starts_at, ends_at;
	const char *name;
	int status;	/* enum sale_status */
	int shards;
	struct sale_item *items;	/* sales_get only */
	size_t n;
};

/* "scheduled", "live", "ended", "cancelled". */
const char *sale_status_name(int status);
/* RFC 3339 ("2026-12-24T18:00:00Z", offsets and fractions allowed): 0 and
 * *out in unix seconds, or -1. */
int sales_parse_time(const char *s, int64_t *out);
/* RFC 3339 UTC text of t (arena). */
const char *sales_time(struct arena *a, int64_t t);
/* "2 h 14 min", "3 d 4 h", "45 s" (arena). */
const char *sales_countdown(struct arena *a, int64_t seconds);

/* Schedules a sale: E_INVAL with *bad filled (422), else *id. A seller's
 * sale may name only that seller's SKUs; a SKU is in one sale at a time. */
enum err sales_create(struct db *db, struct arena *a, const struct sale_new *in, int64_t now,
		      struct sale_problem *bad, int64_t *id);
/* A sale with its items and units left now. E_NOTFOUND. */
enum err sales_get(struct db *db, struct arena *a, int64_t id, struct sale *out);
/* Sales newest first: a seller's (seller_id) or all (0); no items. */
enum err sales_list(struct db *db, struct arena *a, int64_t seller_id, struct sale **v, size_t *n);

/* Cancels a scheduled or live sale (a live one's units left go back to
 * the shelf: inventory_sale_drain), in one transaction. seller_id > 0:
 * only that seller's (E_NOTFOUND for others'); 0: an admin. E_CONFLICT
 * when it is over already. */
enum err sales_cancel(struct db *db, struct arena *a, int64_t id, int64_t seller_id);

/* sales_line_price with the units the sale has left (*left; 0 when the
 * line is not on sale). */
enum err sales_line(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id, int64_t ordinary,
		    int64_t now, int64_t *price, int *on_sale, int64_t *left);

/* The id of the SKU with this code when it is in a sale to come or going
 * on (0 otherwise), from a per-worker list read at most once a second. */
enum err sales_sku_of_code(struct db *db, struct arena *a, const char *code, int64_t now, int64_t *sku_id);

/* The buyer user_id counts as for sales_claim ("u:<id>", a guest's
 * "e:<sha256 of the lowercased email>"). */
enum err sales_buyer(struct db *db, struct arena *a, int64_t user_id, const char **buyer);

/* The "sales" job (module_job): opens due sales, closes ended ones,
 * rebalances live items' shards. */
int sales_job(struct db *db, struct kv *kv, struct arena *a);

#endif
