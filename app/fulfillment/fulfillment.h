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

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct db_res;
struct kv;

#define FF_MAX_LINES	100	/* lines named in one request */

/* Statements of the module (once, at start; idempotent). */
void fulfillment_init(void);

/* Words for a line state ("Shipped"), static. */
const char *fulfillment_line_label(const char *state);

/* 1 when a seller may still pick, ship or cancel lines of an order in this
 * status (confirmed or fulfilling). */
int fulfillment_workable(const char *status);

/* A line named by the seller: quantity 0 means all that applies. */
struct ff_line {
	int64_t line_no, quantity;
};

/* What an operation tells the person: status 0 = done, else a refusal as an
 * HTTP status (400 a bad line, 404 not the seller's, 409 not in a state
 * that allows it, 502 the gateway refused or did not answer) and words
 * (NULL for a plain 404). shipment_id / refund_id: the row made. */
struct ff_outcome {
	int status;
	const char *msg;
	int64_t shipment_id, refund_id;
};

/* Each runs its own transaction(s) as seller_id, recorded as actor
 * ("seller:7", "jobs", "carrier:ups"); a refusal changes nothing. */

/* Marks open lines picked (order: confirmed -> fulfilling). */
enum err fulfillment_pick(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id, const char *actor,
			  const struct ff_line *lines, size_t n, struct ff_outcome *o);
/* A shipment of the lines (carrier, tracking), then its capture: shipped
 * when the gateway captured (units leave through inventory_ship), else
 * pending with 502 in o (retried by the job). E_CONFLICT: the order
 * changed meanwhile. */
enum err fulfillment_ship(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id, const char *actor,
			  const char *carrier, const char *tracking, const struct ff_line *lines, size_t n,
			  struct ff_outcome *o);
/* One more capture attempt of a pending shipment of the seller's. */
enum err fulfillment_retry(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id, int64_t shipment_id,
			   const char *actor, struct ff_outcome *o);
/* A shipped shipment delivered (seller_id 0 is refused: see the carrier). */
enum err fulfillment_deliver(struct db *db, struct arena *a, int64_t order_id, int64_t shipment_id, int64_t seller_id,
			     const char *actor, struct ff_outcome *o);
/* A carrier's event (already authenticated) for (carrier, tracking):
 * recorded once by its id (*duplicate on a replay); "delivered" delivers. */
enum err fulfillment_carrier_event(struct db *db, struct arena *a, const char *id, const char *type,
				   const char *carrier, const char *tracking, int *duplicate, struct ff_outcome *o);
/* Lines not shipped yet are cancelled (units back through
 * inventory_unship); shipped ones are refunded at the gateway (returned
 * units restocked through inventory_restock once it succeeds). */
enum err fulfillment_refund(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id, const char *actor,
			    const struct ff_line *lines, size_t n, struct ff_outcome *o);

/* Issue 19, seller payouts (app/payouts): the amount of every line of an
 * order by the rule above (the lines' amounts add up to total): amt[i] for
 * the line numbered no[i], n lines; arena-owned arrays. The ledger credits a
 * shipped line with exactly what its shipment captured for it. */
enum err fulfillment_line_amounts(struct db *db, struct arena *a, int64_t order_id, int64_t total,
				  int64_t **no, int64_t **amt, size_t *n);
/* The same for an order hot or archived (payouts' backfill). */
enum err fulfillment_line_amounts_any(struct db *db, struct arena *a, int64_t order_id, int64_t total,
				      int64_t **no, int64_t **amt, size_t *n);

/* `shopd jobs`: retries captures and refunds the gateway did not confirm,
 * with backoff; one batch per call (see app/jobs.c for the return value). */
int fulfillment_retry_batch(struct db *db, struct kv *kv, struct arena *a);

/* ---- reads for the pages ---- */

/* Columns of the rows below. */
enum { FF_H_ID, FF_H_STATUS, FF_H_CUR, FF_H_CREATED, FF_H_NAME, FF_H_LINE1, FF_H_LINE2, FF_H_CITY, FF_H_REGION, FF_H_POSTAL,
	FF_H_COUNTRY, FF_H_METHOD, FF_H_INTENT, FF_H_TOTAL };
enum { FF_L_NO, FF_L_CODE, FF_L_TITLE, FF_L_OPTIONS, FF_L_PRICE, FF_L_QTY, FF_L_DISC, FF_L_TAX, FF_L_STATE, FF_L_SHIPMENT,
       FF_L_REFQTY, FF_L_REFAMT, FF_L_SKU, FF_L_PRODUCT };
enum { FF_S_ID, FF_S_CARRIER, FF_S_TRACKING, FF_S_STATUS, FF_S_AMOUNT, FF_S_ERROR, FF_S_ATTEMPTS, FF_S_SHIPPED, FF_S_DELIVERED,
       FF_S_CREATED, FF_S_LINES };

/* The seller's view of an order: the order (FF_H_*), the seller's lines
 * (FF_L_*), shipments (FF_S_*), refunds (id, amount, status, last_error,
 * created, lines text) and the order's events (from, to, actor, reason,
 * at). E_NOTFOUND when the order is not paid or has none of the seller's
 * lines. */
struct ff_view {
	struct db_res *head, *lines, *shipments, *refunds, *events;
	int archived;	/* ARCHIVE: read from the archive tables (read-only) */
};
enum err fulfillment_view(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id, struct ff_view *v);
/* The seller's paid orders before id `before`, newest first (id, status,
 * currency, created, lines, units, goods, to ship, first title). */
enum err fulfillment_list(struct db *db, struct arena *a, int64_t seller_id, int64_t before, int to_ship,
			  int64_t limit, struct db_res **out);
/* An order's shipments that left (FF_S_* columns), for the shopper; from
 * the archive tables when the order is archived (order_view.archived). */
enum err fulfillment_shipments(struct db *db, struct arena *a, int64_t order_id, int archived, struct db_res **out);

/* ---- RETURNS (issue 19): what app/returns builds on ---- */

/* Every line's amount (the rule above): amount[i] of the line numbered
 * line_no[i], n lines; total is orders.total. Arena-owned arrays. */
enum err fulfillment_amounts(struct db *db, struct arena *a, int64_t order_id, int64_t total, int64_t **line_no,
			     int64_t **amount, size_t *n);
/* What k units of a line of qty units, amount in all, bring after `from`
 * units were refunded (floor; the last unit takes the remainder). */
int64_t fulfillment_units_amount(int64_t amount, int64_t qty, int64_t from, int64_t k);
/* In the caller's transaction (which locked the order row first): a
 * pending refund of the seller's lines (each quantity >= 1) tied to
 * return_id, the units and amounts reserved on the lines as a seller's
 * refund does, RefundRequested written. The refund runs with
 * fulfillment_refund_attempt (the job retries it); its gateway key is
 * "return-<return_id>"; when it succeeds the lines say returned and the
 * order settles, but nothing is restocked here (the return did that).
 * E_CONFLICT: a line is not the seller's, not shipped or delivered, or
 * short of units. *refund_id 0: nothing was paid for the units. */
enum err fulfillment_return_refund(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id,
				   int64_t return_id, const struct ff_line *lines, size_t n, int64_t *refund_id,
				   int64_t *amount);
/* One gateway attempt for a pending refund (its own transactions). *ok 1
 * when it succeeded (now or before); otherwise *msg says why. */
enum err fulfillment_refund_attempt(struct db *db, struct arena *a, int64_t refund_id, const char *actor, int *ok,
				    const char **msg);
/* In the caller's transaction (the order row locked): a return's refund
 * that the gateway refused for good is pending again, its units and
 * amounts reserved on the lines again as when it was made; the next
 * attempt uses the return's next gateway key (returns.refund_tries, which
 * the caller raises). E_CONFLICT when it is not failed or the lines have
 * no room left (refunded meanwhile). */
enum err fulfillment_refund_reopen(struct db *db, struct arena *a, int64_t order_id, int64_t refund_id);
/* Called in the transaction that records how a return's refund ended (ok
 * 1: refunded; 0: refused for good, with the gateway's words). */
typedef enum err (*fulfillment_return_hook)(struct db *db, struct arena *a, int64_t return_id, int64_t refund_id,
					    int ok, const char *error);
void fulfillment_set_return_hook(fulfillment_return_hook fn);

#endif
