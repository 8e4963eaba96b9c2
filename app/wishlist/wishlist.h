/* Wishlists: saved items, lists, sharing (issue 17). Domain code: no request, no template.
 *
 * A signed-in shopper's lists live in MariaDB (migrations/100_wishlists.sql):
 * one default list, made on the first save, and more by name. A guest has
 * one list, in the session hash (Redis), beside the guest cart: fields
 * "w:<sku id>" = "<saved price> <quantity> <saved unix time> <alerts 0|1>",
 * so it shares the session's sliding TTL. At sign-in (and registration) it
 * joins the account's default list (wl_merge), where the guest cart joins
 * the account's cart.
 *
 * An item is a SKU. saved_price is the SKU's price when first saved (a SKU
 * saved twice keeps the earlier price); alerts (default on) is the item's
 * back-in-stock and price-drop subscription, read by app/alerts. */
#ifndef WISHLIST_WISHLIST_H
#define WISHLIST_WISHLIST_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct kv;
struct session;

#define WL_MAX_ITEMS	200	/* items in one list */
#define WL_MAX_LISTS	20	/* lists of one shopper */
#define WL_NAME_MAX	100	/* bytes of a list's name */
#define WL_DEFAULT_NAME	"Saved items"

/* Whose list: a signed-in shopper's (user_id), else the guest session. */
struct wl_owner {
	int64_t user_id;
	struct session *guest;
};

/* One saved item beside the catalog's state now. Strings arena-owned. */
struct wl_item {
	int64_t sku_id, product_id;
	const char *code, *title, *slug, *currency, *options, *thumbnail;
	int64_t price;		/* now */
	int64_t saved_price;	/* when saved */
	int64_t available;	/* units now, over all warehouses */
	int sellable;		/* SKU and product active */
	int quantity;		/* kept from a cart line saved for later */
	int alerts;
	int64_t saved_at;	/* unix time */
};

/* A list: id 0 for a guest's (or a default list not made yet). */
struct wl_list {
	int64_t id, user_id;
	const char *name;
	int is_default;
	const char *share_token;	/* NULL: not shared */
	struct wl_item *items;
	size_t n;
};

/* A list in the switcher. */
struct wl_summary {
	int64_t id;
	const char *name;
	int is_default, shared;
	long count;
};

/* The SKU a save names. */
struct wl_sku {
	int64_t id, product_id, price;
	const char *code, *title, *slug;
};

void wishlist_init(void);

/* The SKU with this code: E_NOTFOUND when there is none. */
enum err wl_find_sku(struct db *db, struct arena *a, const char *code, struct wl_sku *s);

/* uid's lists, the default first then by name; *n of them. */
enum err wl_lists(struct db *db, struct arena *a, int64_t uid, struct wl_summary **out, size_t *n);

/* uid's list id (0: the default one, made when make is set; without make,
 * a default list not made yet is an empty list with id 0). E_NOTFOUND when
 * the list is not uid's. Items newest first. */
enum err wl_get(struct db *db, struct arena *a, int64_t uid, int64_t id, int make, struct wl_list **out);
/* The guest's list from the session hash (one round trip). */
enum err wl_get_guest(struct kv *kv, struct db *db, struct arena *a, const struct session *guest,
		      struct wl_list **out);
/* The list shared under token: E_NOTFOUND when none (or not shared any more). */
enum err wl_get_shared(struct db *db, struct arena *a, const char *token, struct wl_list **out);
/* The owner's list (id 0: the default, or the guest's). */
enum err wl_get_owner(struct db *db, struct kv *kv, struct arena *a, const struct wl_owner *o, int64_t id,
		      struct wl_list **out);

/* A named list: E_CONFLICT when uid has one of that name, E_TOOBIG when
 * WL_MAX_LISTS are there already. */
enum err wl_create(struct db *db, struct arena *a, int64_t uid, const char *name, int64_t *id);
enum err wl_rename(struct db *db, struct arena *a, int64_t uid, int64_t id, const char *name);
/* E_INVAL for the default list. */
enum err wl_delete(struct db *db, struct arena *a, int64_t uid, int64_t id);
/* Sharing on (a new unguessable token in *token, or the one it has) or off. */
enum err wl_share(struct db *db, struct arena *a, int64_t uid, int64_t id, int on, const char **token);

/* Saves s in the owner's list id (0: default / guest's) with quantity qty.
 * *created: 1 when new, 0 when it was there (its saved price kept; with
 * set_qty its quantity becomes qty). E_TOOBIG when the list is full,
 * E_NOTFOUND when list id is not the owner's. */
enum err wl_add(struct db *db, struct kv *kv, struct arena *a, const struct wl_owner *o, int64_t id,
		const struct wl_sku *s, int qty, int set_qty, int *created);
/* E_NOTFOUND when the SKU is not in that list. *qty (may be NULL) gets the
 * removed item's quantity. */
enum err wl_remove(struct db *db, struct kv *kv, struct arena *a, const struct wl_owner *o, int64_t id,
		   int64_t sku_id, int *qty);
/* The alerts switch of one item; E_NOTFOUND when not saved there. */
enum err wl_set_alerts(struct db *db, struct kv *kv, struct arena *a, const struct wl_owner *o, int64_t id,
		       int64_t sku_id, int on);
/* Moves an item between two of uid's lists (kept as it is; a SKU already in
 * the target keeps the earlier save). */
enum err wl_move(struct db *db, struct arena *a, int64_t uid, int64_t from, int64_t to, int64_t sku_id);

/* 1 when the owner has saved this SKU in any list. */
int wl_saved(struct db *db, struct kv *kv, struct arena *a, const struct wl_owner *o, int64_t product_id,
	     int64_t sku_id);

/* Sign-in: the guest session's list joins uid's default list (a SKU in
 * both keeps the earlier save: its price, time and quantity). Run before
 * the session switches. Nothing to do when guest is NULL, signed in or has
 * no list. */
enum err wl_merge(struct db *db, struct kv *kv, struct arena *a, const struct session *guest, int64_t uid);

#endif
