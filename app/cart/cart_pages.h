/* The cart's page and API (app/cart/cart_pages.c), and the visitor's cart
 * for other pages (checkout, the header's count). */
#ifndef CART_CART_PAGES_H
#define CART_CART_PAGES_H

#include "../core/err.h"
#include "cart.h"

struct ctx;

/* The visitor's cart's owner: the signed-in shopper, or the guest session
 * (none without a session). */
struct cart_owner cart_owner_of(const struct ctx *c);

/* The visitor's cart (c->sess's), lines in the order they were added; an
 * empty cart when there is none. Arena-owned. */
enum err cart_load(struct ctx *c, struct cart **out);

/* Units in the visitor's cart, for the header (0 when none or unknown). */
long cart_count(struct ctx *c);

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
