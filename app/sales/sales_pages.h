/* Flash sales: pages and JSON API (issue 18; the domain is sales.h). */
#ifndef SALES_SALES_PAGES_H
#define SALES_SALES_PAGES_H

#include <jansson.h>
#include "../core/err.h"

struct ctx;

/* The product page's sale block, added to its model m by h_product
 * (app/catalog/catalog_pages.c) per request, after the shared parts: the
 * chosen SKU's sale ("saleBlock"): upcoming with the sale price and a
 * countdown, live with the sale price and units left; nothing after it
 * (the ordinary price). */
void sales_product_sections(struct ctx *c, json_t *m);

/* The SSI fragments of a sale product page served from nginx's cache:
 * GET /sales/{id}/buy/{sku code} the counter and the buy form (with the
 * visitor's CSRF token), GET /sales/fragment/account the header's account
 * links and cart count. */
enum err h_sale_buy_fragment(struct ctx *c);
enum err h_sale_account_fragment(struct ctx *c);
/* 1 when a product page request should be answered from nginx's shared
 * copy (X-Accel-Redirect to /_sale_page/, conf/nginx.conf): a visitor with
 * a session asking for the HTML page of a product whose chosen SKU is in a
 * live sale (m is
 * the page's model after sales_product_sections). */
int sales_page_shared(struct ctx *c, json_t *m);

/* POST /api/sales: 201 the sale; 422 {"error": {"fields": [...]}}; 403
 * for shoppers. */
enum err h_api_sale_new(struct ctx *c);
/* POST /api/sales/{id}/cancel (the seller's own, or an admin): 200 the
 * sale, cancelled (a live one's units back on the shelf); 404 for
 * others' and shoppers; 409 when it is over. POST /sales/{id}/cancel: the
 * same from the seller's or admin's list, back to it. */
enum err h_api_sale_cancel(struct ctx *c);
enum err h_sale_cancel(struct ctx *c);
/* GET /api/sales/{id}: the sale with units left now; 404. */
enum err h_api_sale(struct ctx *c);
/* GET /sales/{id}: the sale's page (items, prices, countdown, units left). */
enum err h_sale_page(struct ctx *c);
/* GET /seller/sales: the seller's sales; /seller/sales/new the form, and
 * POST /seller/sales schedules it (one item) then shows the sale. */
enum err h_seller_sales(struct ctx *c);
enum err h_seller_sale_form(struct ctx *c);
enum err h_seller_sale_create(struct ctx *c);
/* GET /admin/sales: every sale. */
enum err h_admin_sales(struct ctx *c);

#endif
