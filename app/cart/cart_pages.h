/* The cart's page and API (app/cart/cart_pages.c), and the visitor's cart
 * for other pages (checkout, the header's count). */
#ifndef CART_CART_PAGES_H
#define CART_CART_PAGES_H

#include <stdint.h>
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

/* SALES (issue 18): placing an order with a line priced by a live sale
 * needs the shopper's turn in that sale's waiting room. cart_sale_wait: 0
 * when every such line may be bought now, else the sale to wait for;
 * cart_reply_wait answers for it (JSON 403 with "waitUrl"; a form joins
 * the queue and is sent to the waiting page); cart_sale_used tells the
 * room an order used the admissions (their slots go to the next). */
int64_t cart_sale_wait(struct ctx *c, const struct cart *k);
enum err cart_reply_wait(struct ctx *c, int64_t sale_id, int html);
void cart_sale_used(struct ctx *c, const struct cart *k);

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
