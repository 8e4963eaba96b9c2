/* The seller's item pages and item API (app/seller/routes.inc). */
#ifndef SELLER_ITEMS_PAGES_H
#define SELLER_ITEMS_PAGES_H

#include "../core/err.h"

struct ctx;

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
