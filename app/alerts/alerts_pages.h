/* Back-in-stock and price-drop alerts: pages and JSON API (issue 17). */
#ifndef ALERTS_ALERTS_PAGES_H
#define ALERTS_ALERTS_PAGES_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct ctx;

/* The product page's part (the alert forms), added to its model m by h_product
 * (app/catalog/catalog_pages.c) after the shared, cached parts: anything
 * per visitor only when the visitor has a session (nginx's microcache
 * stores only answers to requests without one). */
void alerts_product_sections(struct ctx *c, json_t *m, int64_t product_id);

/* POST /api/items/{id}/alerts {"kind", "sku"?}: 201 the alert, 200 when
 * subscribed already, 404 no such item, 422 a kind or SKU that is not. */
enum err h_api_alert_new(struct ctx *c);
/* GET /api/alerts: {"items": [alert...]} (mine). */
enum err h_api_alerts(struct ctx *c);
/* DELETE /api/alerts/{id}: 204; 404 for anyone else's. */
enum err h_api_alert_delete(struct ctx *c);
/* The product page's form (itemId, kind, sku?): back to the product. */
enum err h_alert_new(struct ctx *c);
/* The remove buttons (the product page, /account/alerts): back. */
enum err h_alert_delete(struct ctx *c);
/* GET /account/alerts: my alerts with remove buttons. */
enum err h_account_alerts(struct ctx *c);

#endif
