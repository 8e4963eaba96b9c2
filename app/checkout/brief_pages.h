/* The design brief's checkout path (POST /checkout), beside /api/checkout. */
#ifndef CHECKOUT_BRIEF_PAGES_H
#define CHECKOUT_BRIEF_PAGES_H

#include "../core/err.h"

struct ctx;

/* POST /checkout: the caller's cart (cartId) checked out as by
 * h_api_checkout. */
enum err h_brief_checkout(struct ctx *c);

#endif
