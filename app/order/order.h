/* Orders: the one owner of `orders`, `order_lines` and `order_events`. The
 * state machine, order_create (checkout calls it), payment outcomes,
 * release (expiry, cancel) and the sweeper that expires unpaid orders. Units
 * move through app/inventory (holds): held when the order is placed,
 * committed when its payment is authorized, released when it fails, expires
 * or is cancelled. The shopper's pages and API are order_pages.c;
 * app/fulfillment builds on this module, never the other way round. */
#ifndef ORDER_ORDER_H
#define ORDER_ORDER_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"
#include "../account/address.h"

struct arena;
struct db;
struct db_res;
struct kv;

/* Statements of the module (once, at start). */
void order_init(void);

/* A new order's line: a snapshot of what was sold, at what price. */
struct order_line_new {
	int64_t sku_id, product_id, seller_id;
	const char *code, *title, *options;
	int64_t unit_price, quantity, discount, tax;
	int64_t sale_id;	/* SALES: the flash sale pricing it, 0: none */
};

/* A new order, as checkout priced it. */
struct order_new {
	int64_t user_id;
	const char *currency;		/* NULL: "USD" */
	/* CURRENCIES (issue 19): the rate the amounts were converted at
	 * (units of currency per USD, decimal text) and its day; NULL: "1"
	 * and none (the shop's own currency). */
	const char *fx_rate, *fx_date;
	int64_t subtotal, shipping, tax, discount, total;
	const char *method;		/* shipping method code */
	struct address ship;		/* line2, region, postal_code may be NULL */
	const char *promo_code;		/* NULL: none */
	int64_t hold_expires;		/* unix time the unpaid order expires */
	const struct order_line_new *lines;	/* numbered 1.. in this order */
	size_t n;
};

/* Inside the caller's transaction: inserts the order (pending_payment), its
 * lines, its first order_events row ("order placed" by user:<id>) and the
 * OrderPlaced event {"orderId", "userId", "total"}. Holds are the caller's
 * (inventory_hold). *order_id: the new id. */
enum err order_create(struct db *db, struct arena *a, const struct order_new *o, int64_t *order_id);

/* Refreshes products.stock_total and the product page's read model for the
 * order's products. Called AFTER the transaction that moved units commits,
 * as its own short statements: inside a checkout it would make every sale
 * of a product queue on that product's row (and take shared locks on the
 * inventory rows of its other SKUs), for a number the page may show a few
 * milliseconds late. */
enum err order_refresh_stock(struct db *db, struct arena *a, int64_t order_id);
/* The same for a new order whose lines the caller still has: their
 * products (sale lines left out) without reading the lines back. */
enum err order_refresh_stock_lines(struct db *db, struct arena *a, const struct order_line_new *lines, size_t n);

/* Moves a legal transition from → to (see order.c), recorded in
 * order_events with actor and reason, inside the caller's transaction.
 * E_CONFLICT when the order is not in a state that allows it. *from_out
 * (may be NULL) receives the state it left. */
enum err order_move(struct db *db, struct arena *a, int64_t order_id, const char *to,
		    const char *actor, const char *reason, const char **from_out);

/* Payment outcomes, from the return page, the webhook or the saga; each runs
 * its own transaction and is idempotent (a second call changes nothing).
 * authorized: holds committed, order confirmed, cart emptied and the
 * OrderConfirmed event written (app/notify mails the confirmation from it).
 * *late is set when the order had already expired or been cancelled; the
 * authorization is then voided here, after the transaction. declined: the
 * order moves to payment_failed with the reason and OrderPaymentFailed
 * {orderId, reason} is written, on that move only (a decline told twice,
 * or another failed try, writes nothing more). */
enum err order_paid(struct db *db, struct arena *a, const char *intent, const char *brand,
		    const char *last4, const char *actor, int *late);
enum err order_declined(struct db *db, struct arena *a, const char *intent, const char *reason,
			const char *actor);

/* order_paid for the saga's own answer: the intent (with its hosted page
 * and payment status) is stored on order_id in the same transaction, one
 * commit where storing it first took two. */
enum err order_paid_for(struct db *db, struct arena *a, int64_t order_id, const char *intent,
			const char *hosted_url, const char *pay_status, const char *brand, const char *last4,
			const char *actor, int *late);

/* Links intent to order_id when the order has no intent yet and amount and
 * currency are the order's (the gateway's notice or the reconciler found
 * an authorization the saga never stored). E_CONFLICT when not linked. */
enum err order_link_intent(struct db *db, struct arena *a, int64_t order_id, const char *intent, int64_t amount,
			   const char *currency);
/* Records the gateway's status of the order's own intent (reconciliation). */
enum err order_set_payment_status(struct db *db, struct arena *a, int64_t order_id, const char *intent,
				  const char *status);

/* Releases the order's holds and its promo use, and moves it to `to`
 * (expired, cancelled or payment_failed -> expired), in one transaction. */
enum err order_release(struct db *db, struct arena *a, int64_t order_id, const char *to,
		       const char *actor, const char *reason);

/* Reconciliation: a 'held' hold whose order no longer waits for its
 * payment is released and its units go back to available, in a
 * transaction of its own (the hold, its order and the inventory row locked
 * in the order every release takes them). *units: how many (0 when there
 * was nothing to do); E_CONFLICT when reserved does not cover the hold. */
enum err order_release_stray_hold(struct db *db, struct arena *a, int64_t hold_id, int64_t *units);

/* `shopd jobs`: expires orders whose holds ran out (voiding any
 * authorization first); one batch per call. */
int order_sweep_batch(struct db *db, struct kv *kv, struct arena *a);

/* The shopper's words for an order status ("Being prepared"), static. */
const char *order_status_label(const char *status);
/* A line's chosen options, from the JSON object the line keeps
 * ({"Color": "Red", "Size": "M"}), as "Color: Red · Size: M"; NULL when
 * it has none. In a. */
const char *order_options_text(struct arena *a, const char *options_json);
/* The carrier's page that tracks `tracking`, for the carriers the shop
 * knows (UPS, USPS, FedEx, DHL), or NULL. In a. */
const char *order_tracking_url(struct arena *a, const char *carrier, const char *tracking);
/* A shipping method's name for people from its code ("standard" ->
 * "Standard shipping"), as shipping_methods names them. In a. */
const char *order_method_name(struct arena *a, const char *code);
/* "1 item", "2 items": n and the noun, plural with an "s" when n != 1. In a. */
const char *order_count_text(struct arena *a, long long n, const char *noun);
/* What the shopper was charged, in words, for an order in `status` with
 * payment status `pay_status` and card (brand, last4; may be NULL):
 * "Paid with Visa ending in 4242", "Not charged: the payment on Visa ending
 * in 4242 was voided", ... or NULL when there is nothing to say yet. In a. */
const char *order_payment_text(struct arena *a, const char *status, const char *pay_status,
			       const char *brand, const char *last4);

/* ---- reads for the pages ---- */

/* Columns of order_view.order. */
enum { OC_ID, OC_USER, OC_STATUS, OC_CUR, OC_SUB, OC_SHIP, OC_TAX, OC_DISC, OC_TOTAL, OC_METHOD, OC_NAME,
       OC_LINE1, OC_LINE2, OC_CITY, OC_REGION, OC_POSTAL, OC_COUNTRY, OC_PROMO, OC_INTENT, OC_PAYST,
       OC_BRAND, OC_LAST4, OC_PAYERR, OC_HOSTED, OC_EXPIRES, OC_CREATED };

/* An order (OC_* columns), its lines (line_no, code, title, options,
 * unit_price, quantity, discount, tax, product_id, state, refunded_qty) and
 * its events (from, to, actor, reason, at). E_NOTFOUND when there is none,
 * or it is not uid's (uid 0: anyone's). */
struct order_view {
	struct db_res *order, *lines, *events;
	int archived;	/* ARCHIVE: read from the archive tables (read-only) */
};
enum err order_read(struct db *db, struct arena *a, int64_t order_id, int64_t uid, struct order_view *v);
/* uid's orders with ids below before, newest first: id, status, total,
 * currency, created, units, first line's title. */
enum err order_list(struct db *db, struct arena *a, int64_t uid, int64_t before, int64_t limit, struct db_res **out);
/* The status and payment intent of uid's order; E_NOTFOUND for no such
 * order or someone else's. */
enum err order_state(struct db *db, struct arena *a, int64_t order_id, int64_t uid, const char **status,
		     const char **intent);

/* RETURNS (issue 19): a step of the order that moves no status (a return
 * asked, approved, received...) in its timeline: an order_events row from
 * and to the current status, with actor and reason, inside the caller's
 * transaction. E_NOTFOUND: no such order. */
enum err order_note(struct db *db, struct arena *a, int64_t order_id, const char *actor, const char *reason);

#endif
