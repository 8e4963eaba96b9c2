/* Any order, as an admin sees and changes it (issue 19): search by id or
 * email, the whole order (every seller's lines, shipments, refunds, the
 * timeline), and the admin's acts: refund (whole or lines), cancel, resend
 * the confirmation or shipment mails. Money moves only through
 * app/fulfillment (fulfillment_refund: unshipped lines are cancelled,
 * shipped ones refunded at the gateway, with its keys and retries) and
 * app/order (order_release for an order not paid yet): the console adds
 * no money path of its own. Each act is audited. Orders are read from
 * both places (orders_all, order_lines_all: the archive's views), so an
 * archived order is found and shown; the acts refuse it (409), as for any
 * closed order. */
#ifndef CONSOLE_ORDERS_ADMIN_H
#define CONSOLE_ORDERS_ADMIN_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;
struct db;

void orders_admin_init(void);

/* Orders matching q: a number is an order id, an address an account's or
 * a guest's email (newest first, at most 50). JSON array of {id, status,
 * currency, total, createdAt, email}. */
enum err orders_admin_search(struct db *db, struct arena *a, const char *q, json_t **out);

/* The whole order as JSON: id, status, currency, subtotal, shipping, tax,
 * discount, total, promoCode, createdAt, email, userId, guest,
 * shipTo{...}, lines[{line, seller, sellerName, code, title, options,
 * unitPrice, quantity, discount, tax, state, refundedQty,
 * refundedAmount}], shipments[], refunds[], events[]. E_NOTFOUND. */
enum err orders_admin_get(struct db *db, struct arena *a, int64_t id, json_t **out);

/* A line to refund: quantity 0 = all that is left of it. */
struct oa_line {
	int64_t line_no, quantity;
};

/* The answer to an act: status 0 done, else an HTTP status and words. */
struct oa_outcome {
	int status;
	const char *msg;
	json_t *refunds;	/* [{seller, refundId, status}] (owned by the caller) */
};

/* Refunds lines (n 0: every line with something left) as admin uid, with
 * the reason in the audit row (order.refund). */
enum err orders_admin_refund(struct db *db, struct arena *a, int64_t uid, int64_t id, const struct oa_line *lines,
			     size_t n, const char *reason, struct oa_outcome *o);
/* Cancels: an order not paid yet is released (cancelled); a paid one has
 * its unshipped lines cancelled (nothing is captured for them); one with
 * shipped lines is refused (refund those). Audited as order.cancel. */
enum err orders_admin_cancel(struct db *db, struct arena *a, int64_t uid, int64_t id, const char *reason,
			     struct oa_outcome *o);
/* Queues the order's confirmation ("confirmation") or shipment
 * ("shipment": one mail per shipment that left) mail again, rendered
 * as notify renders them, with its audit row (order.resend_mail) in the
 * same transaction. */
enum err orders_admin_resend(struct db *db, struct arena *a, int64_t uid, int64_t id, const char *which,
			     struct oa_outcome *o);

#endif
