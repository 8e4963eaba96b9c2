/* The shopper's order pages and API (app/checkout/routes.inc), built on
 * order.h. */
#ifndef ORDER_ORDER_PAGES_H
#define ORDER_ORDER_PAGES_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;
struct ctx;
struct db;

/* The order as the API shows it (new JSON reference), NULL if not found or
 * not uid's (uid 0: anyone's, for admins and internal use): its lines,
 * events, shipments and what the shopper may do now. */
json_t *order_json(struct db *db, struct arena *a, int64_t order_id, int64_t uid);

enum err h_orders(struct ctx *c);
enum err h_order(struct ctx *c);
enum err h_order_cancel(struct ctx *c);
enum err h_order_cancel_confirm(struct ctx *c);
enum err h_api_orders(struct ctx *c);
enum err h_api_order(struct ctx *c);
enum err h_api_order_cancel(struct ctx *c);
enum err h_api_order_pay(struct ctx *c);

#endif
