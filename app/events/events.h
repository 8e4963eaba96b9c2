/* Domain events: the one writer of the outbox.
 *
 * An event is written in the same transaction as the change it describes
 * (the caller's), so it exists exactly when the change committed. Payloads
 * are JSON objects built with jansson; docs/design.md has the table of every
 * type with its fields, who emits it and who reads it. Nothing else in the
 * shop inserts into `outbox` (scripts/guard checks). */
#ifndef EVENTS_EVENTS_H
#define EVENTS_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;
struct db;

/* Every event type. The outbox's topic column holds the name. */
enum event_type {
	EV_PRODUCT_UPDATED,	/* a product's listing changed (aggregate: product id) */
	EV_STOCK_CHANGED,	/* units of a product's SKUs moved (aggregate: product id) */
	EV_ORDER_PLACED,	/* an order was created, holds taken (aggregate: order id) */
	EV_ORDER_CONFIRMED,	/* its payment was authorized */
	EV_ORDER_EXPIRED,	/* unpaid until its holds ran out */
	EV_ORDER_CANCELLED,	/* cancelled by the shopper, a seller or the shop */
	EV_SHIPMENT_SHIPPED,	/* a seller shipped a parcel of the order */
	EV_REFUND_REQUESTED,	/* a refund was asked of the gateway */
	EV_REFUND_SUCCEEDED,	/* the gateway refunded */
	EV_ORDER_PAYMENT_FAILED,	/* the gateway declined the order's payment */
	EV_SHIPMENT_DELIVERED,	/* a shipment of the order was delivered */
	/* Reviews, questions and answers (issue 17; aggregate: the product id) */
	EV_REVIEW_PUBLISHED,	/* a review became visible (new, or published from the queue) */
	EV_REVIEW_UPDATED,	/* a visible review's rating or text changed */
	EV_REVIEW_REMOVED,	/* a visible review was deleted or taken down */
	EV_REVIEW_REJECTED,	/* a moderator rejected a review, with a reason for its author */
	EV_QUESTION_PUBLISHED,	/* a question became visible */
	EV_QUESTION_REJECTED,	/* a moderator rejected a question */
	EV_ANSWER_PUBLISHED,	/* an answer became visible */
	EV_ANSWER_REJECTED,	/* a moderator rejected an answer */
	/* Alerts (issue 17; aggregate: the product id): one per subscription and episode */
	EV_BACK_IN_STOCK,	/* a watched product (or SKU) came back from zero */
	EV_PRICE_DROPPED,	/* a watched product's price fell below the price when saved */
	/* Returns (issue 19; aggregate: the order id; payload names the return) */
	EV_RETURN_REQUESTED,	/* a shopper asked to return lines of a delivered order */
	EV_RETURN_APPROVED,	/* the seller approved it (return address, label) */
	EV_RETURN_REJECTED,	/* the seller rejected it, with a reason */
	EV_RETURN_SHIPPED,	/* the parcel is on its way back (carrier, tracking) */
	EV_RETURN_RECEIVED,	/* the seller received and inspected it (restock or write-off) */
	EV_RETURN_ESCALATED,	/* the seller left it unanswered too long: admins look */
	/* The catalog's tree (aggregate: the category id) */
	EV_CATEGORY_CHANGED,	/* an admin created, renamed, moved, reordered or retired a category */
	/* Payouts (aggregate: the seller id) */
	EV_PAYOUT_CLOSED,	/* a payout period closed into a statement */
	EV_PAYOUT_PAID,		/* a statement was paid out */
	EV_NTYPES
};

/* "StockChanged", ...; NULL for a value out of range. */
const char *event_type_name(enum event_type type);

/* Statements of the module (once, at start). */
void events_init(void);

/* Writes one event inside the caller's transaction. payload must be a JSON
 * object; the reference is taken (released here, on errors too). */
enum err event_emit(struct db *db, struct arena *a, enum event_type type, int64_t aggregate, json_t *payload);

/* n events of one type in one statement (bulk writers), in the order given:
 * payloads[i] is the event of aggregates[i]. References are taken as above. */
enum err event_emit_many(struct db *db, struct arena *a, enum event_type type, size_t n,
			 const int64_t *aggregates, json_t *const *payloads);

#endif
