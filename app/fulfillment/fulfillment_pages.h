/* The seller's order pages and API, the carriers' webhook (routes.inc) and
 * the shopper's view of shipments, built on fulfillment.h. */
#ifndef FULFILLMENT_FULFILLMENT_PAGES_H
#define FULFILLMENT_FULFILLMENT_PAGES_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;
struct ctx;
struct db;

/* The shipments of an order as the shopper sees them (new reference, never
 * NULL): [{"id","carrier","tracking","status","statusText","lineNos",
 * "shippedAt","deliveredAt"}], pending shipments left out; archived: the
 * order is in the archive tables. */
json_t *fulfillment_tracking_json(struct db *db, struct arena *a, int64_t order_id, int archived);

/* Seller pages. */
enum err h_seller_orders(struct ctx *c);
enum err h_seller_order(struct ctx *c);
enum err h_seller_pick(struct ctx *c);
enum err h_seller_ship(struct ctx *c);
enum err h_seller_retry(struct ctx *c);
enum err h_seller_delivered(struct ctx *c);
enum err h_seller_refund(struct ctx *c);
/* Seller API. */
enum err h_api_seller_orders(struct ctx *c);
enum err h_api_seller_order(struct ctx *c);
enum err h_api_seller_pick(struct ctx *c);
enum err h_api_seller_ship(struct ctx *c);
enum err h_api_seller_retry(struct ctx *c);
enum err h_api_seller_delivered(struct ctx *c);
enum err h_api_seller_refund(struct ctx *c);
/* POST /api/carrier/events: the carriers' signed webhook. */
enum err h_api_carrier_event(struct ctx *c);

#endif
