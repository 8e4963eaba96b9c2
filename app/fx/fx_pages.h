/* The fx module's pages (fx_pages.c): the shopper's currency, the
 * pipeline's localize hook, sellers' price lists, the invoice. */
#ifndef FX_FX_PAGES_H
#define FX_FX_PAGES_H

#include <jansson.h>
#include "../core/err.h"

struct ctx;
struct cart;

#define FX_COOKIE "cur"

void fx_pages_init(void);

/* The currency this request shows prices in: an API request's `currency`
 * query parameter (an enabled one; else the shop's), a page's cookie `cur`
 * (set by the chooser), else the default from Accept-Language. */
const char *fx_request_currency(struct ctx *c);

/* The cart's prices in the request's currency (no rate loaded: left in the
 * shop's). */
enum err fx_cart_for_request(struct ctx *c, struct cart *k);

/* The request's currency with its rate, for amounts a shopper types and
 * reads in it (price filters, their labels): fx_request_currency's, or the
 * shop's own (rate FX_SCALE) when that one has no rate loaded, as its
 * prices are then shown in the shop's too (fx_localize). Never fails. */
struct fx_quote_rate;
void fx_request_rate(struct ctx *c, struct fx_quote_rate *out);

/* A price filter's bounds as the shopper gave them (minor units of r's
 * currency; has_* 0: no bound) into the shop's amounts the query compares
 * (fx_bound_to_shop): *min_shop 0 and *max_shop INT64_MAX for no bound. */
void fx_filter_bounds(const struct fx_quote_rate *r, int has_min, int64_t min, int has_max, int64_t max,
		      int64_t *min_shop, int64_t *max_shop);

/* The pipeline's localize hook (app/http/server.h). */
void fx_localize(struct ctx *c, json_t *model);

enum err h_currency(struct ctx *c);
enum err h_api_currencies(struct ctx *c);
enum err h_api_sku_prices(struct ctx *c);
enum err h_api_sku_price_put(struct ctx *c);
enum err h_seller_prices(struct ctx *c);
enum err h_seller_prices_post(struct ctx *c);
enum err h_invoice(struct ctx *c);

#endif
