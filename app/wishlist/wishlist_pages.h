/* Wishlists: saved items, lists, sharing: pages and JSON API (issue 17). */
#ifndef WISHLIST_WISHLIST_PAGES_H
#define WISHLIST_WISHLIST_PAGES_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct ctx;

/* The product page's part (the Save button and its state), added to its model m by h_product
 * (app/catalog/catalog_pages.c) after the shared, cached parts: anything
 * per visitor only when the visitor has a session (nginx's microcache
 * stores only answers to requests without one). */
void wishlist_product_sections(struct ctx *c, json_t *m, int64_t product_id);

/* The cart page's "Saved for later" (the default list, with Move to cart),
 * added to the cart page's model m by reply_cart (app/cart/cart_pages.c). */
void wishlist_cart_sections(struct ctx *c, json_t *m);

/* Sign-in and registration: the guest session's list joins uid's default
 * list; called beside cart_merge, before the session switches. A failure
 * is logged and leaves the guest list where it was (the sign-in goes on). */
void wishlist_merge_guest(struct ctx *c, int64_t uid);

/* Pages (app/wishlist/routes.inc). */
enum err h_wishlist(struct ctx *c);
enum err h_wishlist_list(struct ctx *c);
enum err h_wishlist_shared(struct ctx *c);
enum err h_wishlist_add(struct ctx *c);
enum err h_wishlist_remove(struct ctx *c);
enum err h_wishlist_alerts(struct ctx *c);
enum err h_wishlist_move(struct ctx *c);
enum err h_wishlist_to_cart(struct ctx *c);
enum err h_wishlist_create(struct ctx *c);
enum err h_wishlist_rename(struct ctx *c);
enum err h_wishlist_delete(struct ctx *c);
enum err h_wishlist_share(struct ctx *c);
enum err h_cart_save_later(struct ctx *c);

/* JSON API. */
enum err h_api_wishlist(struct ctx *c);
enum err h_api_wishlist_add(struct ctx *c);
enum err h_api_wishlist_remove(struct ctx *c);
enum err h_api_wishlist_item_patch(struct ctx *c);
enum err h_api_wishlists(struct ctx *c);
enum err h_api_wishlists_create(struct ctx *c);
enum err h_api_wishlists_get(struct ctx *c);
enum err h_api_wishlists_patch(struct ctx *c);
enum err h_api_wishlists_delete(struct ctx *c);
enum err h_api_wishlists_add(struct ctx *c);
enum err h_api_wishlists_remove(struct ctx *c);
enum err h_api_wishlists_item_patch(struct ctx *c);
enum err h_api_wishlists_share(struct ctx *c);
enum err h_api_wishlists_unshare(struct ctx *c);
enum err h_api_shared_list(struct ctx *c);

#endif
