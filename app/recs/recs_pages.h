/* The recommendations' pages side: the sections other modules' pages show
 * (product, cart, home) and the JSON API. Per-visitor sections are added
 * only when the visitor has a session: such a request carries the session
 * cookie, which nginx's microcache bypasses and never stores (conf/nginx.conf),
 * and shopd marks the answer private; the shared parts (what others bought
 * with a product) are the same for everyone and may be cached. */
#ifndef RECS_RECS_PAGES_H
#define RECS_RECS_PAGES_H

#include <stdint.h>
#include <stddef.h>
#include <jansson.h>
#include "../core/err.h"

struct ctx;

/* Product page: "alsoBought" (shared), and for a visitor with a session
 * the view is recorded and "recentlyViewed" set. */
void recs_product_sections(struct ctx *c, json_t *m, int64_t product_id);
/* Cart page: "boughtTogether" for the cart's products, "recentlyViewed". */
void recs_cart_sections(struct ctx *c, json_t *m, const int64_t *product_ids, size_t n);
/* Home page: "recentlyViewed" and, signed in, "forYou". */
void recs_home_sections(struct ctx *c, json_t *m);

enum err h_api_item_recs(struct ctx *c);
enum err h_api_recs(struct ctx *c);

#endif
