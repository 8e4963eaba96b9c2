/* The seller's item management: the /seller/items pages (list, create, edit,
 * forms that work without JavaScript) and the item API (POST /api/items,
 * PATCH /api/items/{id}, GET /api/seller/items[/{id}]). Every query names the
 * signed-in seller (WHERE ... AND seller_id = ?), so another seller's item is
 * "not found"; every change is one transaction that also keeps the
 * storefront's read model (price, stock_total, sku_digest) and the outbox
 * right. */
#ifndef SELLER_ITEMS_H
#define SELLER_ITEMS_H

#include <stdint.h>
#include "../core/err.h"

struct ctx;

/* Registers the module's statements (call once at start). */
void items_init(void);

/* Parses a price typed as a decimal amount ("12", "12.3", "12.34") exactly,
 * without floating point, into minor units within 0..ITEM_PRICE_MAX:
 * money_parse(MONEY_DECIMAL) of app/core/text.h. Returns 0, or -1 for
 * anything else (a sign, spaces, three decimals, ...). */
int items_parse_price(const char *s, int64_t *cents);
/* 1 when s is a SKU code by the rules of app/seller/limits.h:
 * listing_code_ok() of app/catalog/listing.h. */
int items_sku_code_ok(const char *s);

/* Pages. */
enum err h_seller_items(struct ctx *c);
enum err h_seller_item_new(struct ctx *c);
enum err h_seller_item_create(struct ctx *c);
enum err h_seller_item_edit_form(struct ctx *c);
enum err h_seller_item_edit(struct ctx *c);
/* API. */
enum err h_api_item_create(struct ctx *c);
enum err h_api_item_patch(struct ctx *c);
enum err h_api_seller_item(struct ctx *c);
enum err h_api_seller_items(struct ctx *c);

#endif
