/* The seller's stock page and API (app/inventory/routes.inc). */
#ifndef INVENTORY_INVENTORY_PAGES_H
#define INVENTORY_INVENTORY_PAGES_H

#include "../core/err.h"

struct ctx;

enum err h_seller_stock(struct ctx *c);
enum err h_seller_stock_post(struct ctx *c);
enum err h_api_stock(struct ctx *c);
enum err h_api_stock_post(struct ctx *c);

#endif
