/* The cart: a guest's cart in Redis (inside the session hash, with its
 * sliding TTL), a signed-in shopper's cart in MariaDB (durable, the same on
 * every device), merged at sign-in. Each line keeps the unit price it was
 * added at; the cart shows the current price beside it until the shopper
 * accepts it. Stock is checked softly here (the hard check is checkout's). */
#ifndef CART_CART_H
#define CART_CART_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct ctx;
struct db;
struct kv;

#define CART_MAX_QTY	99	/* units of one SKU in one cart */
#define CART_MAX_LINES	100	/* different SKUs in one cart */
#define CART_IDLE_DAYS	30	/* a signed-in cart untouched this long is purged */

/* One line: the shopper's quantity and snapshot price beside the catalog's
 * state now. Strings are arena-owned. */
struct cart_line {
	int64_t sku_id, product_id;
	const char *code, *title, *slug, *currency;
	const char *options;	/* JSON object text, e.g. {"Color": "Red"} */
	const char *thumbnail;	/* products.thumbnail, NULL when none */
	int quantity;
	int64_t added_price;	/* unit price when added (or last accepted) */
	int64_t price;		/* unit price now */
	int64_t available;	/* units available now, over all warehouses */
	int weight_g;
	int sellable;		/* SKU and product both active */
	int64_t added_at;	/* unix time */
};

struct cart {
	struct cart_line *lines;
	size_t n;
	int64_t version;	/* bumped by every change; the API's ETag */
	int64_t user_id;	/* 0: a guest's cart (Redis) */
};

/* Registers the module's statements (once, at start). */
void cart_init(void);

/* The visitor's cart, lines in the order they were added; an empty cart when
 * there is none. Arena-owned. */
enum err cart_load(struct ctx *c, struct cart **out);

/* Units in the visitor's cart, for the header (0 when none or unknown). */
long cart_count(struct ctx *c);

/* Sign-in: moves the current guest session's cart into uid's saved cart
 * (same SKU: the higher quantity; clamped to stock and CART_MAX_QTY; at most
 * CART_MAX_LINES lines). Run before the session switches, so a failure leaves
 * the guest cart where it was. *message (arena-owned, NULL when nothing worth
 * saying) tells the shopper what changed. */
enum err cart_merge(struct ctx *c, int64_t uid, const char **message);

/* Empties uid's saved cart inside the caller's transaction. */
enum err cart_clear_user(struct db *db, struct arena *a, int64_t uid);

/* Removes the lines of these SKUs (a JSON array of ids, e.g. an order's)
 * from uid's saved cart, inside the caller's transaction: what was bought
 * leaves the cart, what was added meanwhile stays. */
enum err cart_remove_skus(struct db *db, struct arena *a, int64_t uid, const char *sku_ids_json);

/* `shopd jobs`: deletes signed-in carts untouched for CART_IDLE_DAYS, one
 * batch per call (see app/jobs.c for the return value). */
int cart_purge_batch(struct db *db, struct kv *kv, struct arena *a);

/* Pages and API (app/cart/routes.inc). */
enum err h_cart(struct ctx *c);
enum err h_cart_add(struct ctx *c);
enum err h_cart_update(struct ctx *c);
enum err h_cart_accept(struct ctx *c);
enum err h_cart_clear(struct ctx *c);
enum err h_api_cart_get(struct ctx *c);
enum err h_api_cart_patch(struct ctx *c);
enum err h_api_cart_add(struct ctx *c);
enum err h_api_cart_accept(struct ctx *c);
enum err h_api_cart_delete(struct ctx *c);

#endif
