/* The cart: a guest's cart in Redis (inside the session hash, with its
 * sliding TTL), a signed-in shopper's cart in MariaDB (durable, the same on
 * every device), merged at sign-in. Each line keeps the unit price it was
 * added at; the cart shows the current price beside it until the shopper
 * accepts it. Stock is checked softly here (the hard check is checkout's).
 *
 * This is the domain: every operation takes the stores, an arena and the
 * cart's owner. The page and the API are declared in cart_pages.h. */
#ifndef CART_CART_H
#define CART_CART_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct kv;
struct session;

#define CART_MAX_QTY	99	/* units of one SKU in one cart */
#define CART_MAX_LINES	100	/* different SKUs in one cart */
#define CART_IDLE_DAYS	30	/* a signed-in cart untouched this long is purged */

/* One line: the shopper's quantity and snapshot price beside the catalog's
 * state now. Strings are arena-owned. */
struct cart_line {
	int64_t sku_id, product_id;
	int64_t seller_id;	/* the product's seller (an order line names it) */
	const char *code, *title, *slug, *currency;
	const char *options;	/* JSON object text, e.g. {"Color": "Red"} */
	const char *thumbnail;	/* products.thumbnail, NULL when none */
	int quantity;
	int64_t added_price;	/* unit price when added (or last accepted) */
	int64_t price;		/* unit price now */
	int64_t available;	/* units available now, over all warehouses */
	int weight_g;
	int sellable;		/* SKU and product both active */
	int64_t added_ms;	/* when added, ms since the epoch: the lines' order */
	/* Flash sales (issue 18, app/sales): the sale the line was added in
	 * (0: none); on_sale when it is priced by it now (price is then the
	 * sale price and available what the sale has left); regular_price the
	 * SKU's own price. */
	int64_t sale_id;
	int on_sale;
	int64_t regular_price;
};

struct cart {
	struct cart_line *lines;
	size_t n;
	int64_t version;	/* bumped by every change; the API's ETag */
	int64_t user_id;	/* 0: a guest's cart (Redis) */
};

/* Whose cart: a signed-in shopper's (user_id), else the guest session
 * whose Redis hash holds it (the lines session_read found there; a change
 * re-reads them into it). Neither: no cart. */
struct cart_owner {
	int64_t user_id;
	struct session *guest;
};

enum cart_mode { CART_ADD, CART_SET };

/* The outcome of a refused change, for the shopper. */
struct cart_refusal {
	int status;		/* 0 when the change was made; else the HTTP status to answer */
	const char *message;
	int64_t available;	/* for 409 */
	const char *title;	/* of the product, once known */
	const char *heading;	/* the answer's title: what kind of refusal (NULL: the status's) */
	/* Flash sales: 403 "wait for your turn": the sale whose waiting room
	 * the shopper must pass first. */
	int64_t wait_sale;
};

/* The SKU a change names, as the cart needs it. */
struct cart_sku {
	int64_t id, price, available;
	int sellable;
	const char *title;
	/* Flash sales: > 0 when the line is added in this live sale (price and
	 * available are then the sale's); the line keeps naming it. */
	int64_t sale_id;
};

/* Registers the module's statements (once, at start). */
void cart_init(void);

/* The owner's cart, lines in the order they were added; an empty cart when
 * there is none. Arena-owned. */
enum err cart_get(struct db *db, struct arena *a, const struct cart_owner *o, struct cart **out);

/* Units in the owner's cart, for the header (0 when none or unknown). */
long cart_units(struct db *db, struct arena *a, const struct cart_owner *o);

/* The SKU with this code, for a change of qty in mode: no->status set (422)
 * when there is none, or it cannot be added (only removing a line of a SKU
 * no longer sold is allowed). */
enum err cart_find_sku(struct db *db, struct arena *a, const char *code, int qty, enum cart_mode mode,
		       struct cart_sku *s, struct cart_refusal *no);

/* Adds qty units (CART_ADD) or sets the line to qty (CART_SET; 0 removes it)
 * when the cart's version is if_version (-1: any). E_OK with no->status 0
 * when done, E_OK with no->status set when refused (nothing changed), else an
 * error. A guest's session must exist (E_INTERNAL otherwise); its cart
 * fields are re-read after the change. *before (may be NULL): the line's
 * quantity before the change (0: no line), as the change saw it (a signed-in
 * shopper's row under the cart's lock; a guest's session as read with the
 * request). */
enum err cart_apply(struct db *db, struct kv *kv, struct arena *a, const struct cart_owner *o,
		    const struct cart_sku *s, int qty, enum cart_mode mode, int64_t if_version,
		    struct cart_refusal *no, int *before);

/* Empties the cart when its version is if_version (-1: any; else a stale
 * version is refused with no->status 412). */
enum err cart_clear(struct db *db, struct kv *kv, struct arena *a, const struct cart_owner *o,
		    int64_t if_version, struct cart_refusal *no);

/* The shopper has seen the new prices: they become the lines' snapshots. */
enum err cart_accept_prices(struct db *db, struct kv *kv, struct arena *a, const struct cart_owner *o);

/* Sign-in: moves the guest session's cart into uid's saved cart (same SKU:
 * the higher quantity; clamped to stock and CART_MAX_QTY; at most
 * CART_MAX_LINES lines). Run before the session switches, so a failure
 * leaves the guest cart where it was. Nothing to do when guest is NULL or
 * signed in. *message (arena-owned, NULL when nothing worth saying) tells
 * the shopper what changed. */
enum err cart_merge(struct db *db, struct arena *a, const struct session *guest, int64_t uid,
		    const char **message);

/* Empties uid's saved cart inside the caller's transaction. */
enum err cart_clear_user(struct db *db, struct arena *a, int64_t uid);

/* Removes the lines of the SKUs order_id bought from uid's saved cart,
 * inside the caller's transaction: what was bought leaves the cart, what
 * was added meanwhile stays. */
enum err cart_remove_ordered(struct db *db, struct arena *a, int64_t uid, int64_t order_id);

/* `shopd jobs`: deletes signed-in carts untouched for CART_IDLE_DAYS, one
 * batch per call (see app/jobs.c for the return value). */
int cart_purge_batch(struct db *db, struct kv *kv, struct arena *a);

#endif
