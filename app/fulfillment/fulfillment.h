/* Fulfillment: a seller's side of an order. Sellers see only their own lines
 * of an order, pick them, ship them in shipments (each shipment captures its
 * part of the authorization at the gateway before its lines count as
 * shipped), confirm delivery (or a signed carrier webhook does), cancel lines
 * not shipped yet and refund returned ones (units restocked).
 *
 * Money: every line has an amount, its goods less its discount plus its tax
 * plus its share of the order's shipping (shipping is spread over the lines in
 * proportion to their goods less discount, floor, the cents left over to the
 * last line), so the lines' amounts add up to the order's total exactly. A
 * shipment captures the sum of its lines' amounts; a refund of k units of a
 * line of q gives back floor(amount x k / q) (the last unit takes the
 * remainder), so nothing is refunded twice or beyond what was captured.
 *
 * Order status follows the lines: confirmed -> fulfilling (first line picked
 * or shipped) -> shipped (every line not cancelled is shipped) -> delivered
 * (every shipment delivered); returned (part of what shipped came back),
 * refunded (every line cancelled or returned, something was shipped),
 * cancelled (every line cancelled before shipment). */
#ifndef FULFILLMENT_FULFILLMENT_H
#define FULFILLMENT_FULFILLMENT_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;
struct ctx;
struct db;
struct kv;

/* Statements of the module (once, at start; idempotent). */
void fulfillment_init(void);

/* The shipments of an order as the shopper sees them (new reference, never
 * NULL): [{"id","carrier","tracking","status","statusText","lineNos",
 * "shippedAt","deliveredAt"}], pending shipments left out. */
json_t *fulfillment_tracking_json(struct db *db, struct arena *a, int64_t order_id);

/* Words for a line state ("Shipped"), static. */
const char *fulfillment_line_label(const char *state);

/* `shopd jobs`: retries captures and refunds the gateway did not confirm,
 * with backoff; one batch per call (see app/jobs.c for the return value). */
int fulfillment_retry_batch(struct db *db, struct kv *kv, struct arena *a);

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
