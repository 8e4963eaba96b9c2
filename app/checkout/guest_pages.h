/* Guest checkout's pages and API (app/checkout/guest_pages.c; issue 15):
 * the checkout routes for a visitor who is not signed in (the email block,
 * the guest row tied to the session, the gateway's return), the order page
 * a signed link opens, "Save your details" and /orders/lookup. A signed-in
 * shopper's requests go straight to checkout_pages.c's handlers. */
#ifndef CHECKOUT_GUEST_PAGES_H
#define CHECKOUT_GUEST_PAGES_H

#include <stdint.h>
#include "../core/err.h"

struct ctx;

/* Whose checkout this is: the signed-in shopper, else the guest row tied
 * to the session (0 when none yet). */
int64_t checkout_uid(const struct ctx *c);

/* The checkout routes, for a signed-in shopper or a guest. */
enum err h_checkout_start(struct ctx *c);		/* GET /checkout */
enum err h_checkout_review_start(struct ctx *c);	/* POST /checkout/review */
enum err h_checkout_review_page_start(struct ctx *c);	/* GET /checkout/review */
enum err h_checkout_place_start(struct ctx *c);		/* POST /checkout/place */
enum err h_checkout_return_start(struct ctx *c);	/* GET /checkout/return */
enum err h_api_checkout_start(struct ctx *c);		/* POST /api/checkout */
enum err h_api_checkout_quote_start(struct ctx *c);	/* POST /api/checkout/quote */

/* A guest's order. */
enum err h_guest_order(struct ctx *c);		/* GET /orders/{id}/view?t= */
enum err h_guest_save(struct ctx *c);		/* POST /orders/{id}/save */
enum err h_order_lookup_form(struct ctx *c);	/* GET /orders/lookup */
enum err h_order_lookup(struct ctx *c);		/* POST /orders/lookup */

#endif
