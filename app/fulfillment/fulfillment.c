/* Fulfillment: the seller's side of an order (see fulfillment.h for the
 * money and status rules). The pages and API built on it are
 * fulfillment_pages.c.
 *
 * Every change runs in one transaction that first locks the order row
 * (SELECT ... FOR UPDATE), so two sellers of one order, a retry job and a
 * carrier webhook never decide on a stale picture; units then move through
 * app/inventory (rows in (sku, warehouse) order, guarded updates). Gateway
 * calls happen between transactions, each with an idempotency key derived
 * from the row that asked for it (shipment or refund id), so a retry after a
 * lost answer replays the gateway's answer instead of charging twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../inventory/inventory.h"
#include "../order/order.h"
#include "../payment/payment.h"
#include "fulfillment.h"

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
/* Orders a seller sees: paid ones (a cancelled one only if it had been paid). */
#define PAID_ORDER "(o.status IN ('confirmed', 'fulfilling', 'shipped', 'delivered', 'returned', 'refunded') " \
	"OR (o.status = 'cancelled' AND o.card_last4 IS NOT NULL))"
/* ARCHIVE: the reads of one order take the tables' suffix, "" (hot) or
 * "_archive" (app/archive: the order's twin rows, read-only). */
#define HEAD_COLS_IN(X) "SELECT o.id, o.status, o.currency, " ISO("o.created_at") ", o.ship_name, o.ship_line1, " \
	"o.ship_line2, o.ship_city, o.ship_region, o.ship_postal_code, o.ship_country, o.shipping_method, " \
	"o.payment_intent, o.total FROM orders" X " o WHERE o.id = ? AND " PAID_ORDER " AND EXISTS " \
	"(SELECT 1 FROM order_lines" X " l WHERE l.order_id = o.id AND l.seller_id = ?)"
#define HEAD_COLS HEAD_COLS_IN("")
#define LINE_COLS_IN(X) "SELECT line_no, code, title, options, unit_price, quantity, discount, tax, state, " \
	"shipment_id, refunded_qty, refunded_amount, sku_id, product_id FROM order_lines" X " " \
	"WHERE order_id = ? AND seller_id = ? ORDER BY line_no"
#define LINE_COLS LINE_COLS_IN("")
#define SHIPMENT_COLS_IN(X) "SELECT s.id, s.carrier, s.tracking, s.status, s.amount, s.last_error, s.attempts, " \
	ISO("s.shipped_at") ", " ISO("s.delivered_at") ", " ISO("s.created_at") ", " \
	"(SELECT GROUP_CONCAT(l.line_no ORDER BY l.line_no) FROM order_lines" X " l WHERE l.shipment_id = s.id) " \
	"FROM shipments" X " s WHERE s.order_id = ? "
#define SHIPMENT_COLS SHIPMENT_COLS_IN("")
#define MY_REFUNDS_IN(X) "SELECT r.id, r.amount, r.status, r.last_error, " ISO("r.created_at") ", " \
	"(SELECT GROUP_CONCAT(CONCAT(rl.quantity, ' x line ', rl.line_no) ORDER BY rl.line_no SEPARATOR ', ') " \
	"FROM refund_lines" X " rl WHERE rl.refund_id = r.id) " \
	"FROM refunds" X " r WHERE r.order_id = ? AND r.seller_id = ? ORDER BY r.id"
#define EVENTS_IN(X) "SELECT from_status, to_status, actor, reason, " ISO("created_at") " FROM order_events" X " " \
	"WHERE order_id = ? ORDER BY id"
#define LIST_IN(X) "SELECT o.id AS id, o.status, o.currency, " ISO("o.created_at") ", COUNT(*), SUM(l.quantity), " \
	"SUM(l.unit_price * l.quantity), " \
	"SUM(l.state IN ('open', 'picked') AND o.status IN ('confirmed', 'fulfilling')), MIN(l.title) " \
	"FROM order_lines" X " l JOIN orders" X " o ON o.id = l.order_id " \
	"WHERE l.seller_id = ? AND l.order_id < ? AND " PAID_ORDER " " \
	"GROUP BY o.id HAVING ? = 0 OR " \
	"SUM(l.state IN ('open', 'picked') AND o.status IN ('confirmed', 'fulfilling')) > 0 " \
	"ORDER BY o.id DESC LIMIT ?"
#define BACKOFF "NOW(3) + INTERVAL LEAST(5 * POW(2, LEAST(attempts, 6)), 300) SECOND"

enum {
	Q_LIST, Q_HEAD, Q_HEAD_LOCK, Q_ORDER_LOCK, Q_MYLINES, Q_MYLINES_LOCK, Q_ALL_LINES, Q_ALL_LINES_ANY, Q_COUNTS,
	Q_PICK, Q_SHIP_INS, Q_LINE_ASSIGN, Q_UNASSIGNED, Q_OTHER_PENDING, Q_SET_FINAL, Q_SHIPMENT,
	Q_SHIPMENT_LOCK, Q_SHIPMENT_FAIL, Q_SHIPMENT_SHIPPED, Q_SHIPMENT_LINES, Q_LINES_SHIPPED,
	Q_LINE_CANCEL,
	Q_MY_SHIPMENTS, Q_TRACKING, Q_MY_SHIPMENT_LOCK, Q_DELIVER, Q_LINES_DELIVER, Q_BY_TRACKING,
	Q_CARRIER_EVENT, Q_REFUND_INS, Q_REFUND_LINE_INS, Q_LINE_REFUND_RESERVE, Q_REFUND,
	Q_REFUND_LOCK, Q_REFUND_LINES, Q_REFUND_DONE, Q_REFUND_SOFT, Q_REFUND_FAILED,
	Q_LINE_UNRESERVE, Q_LINE_RETURNED, Q_MY_REFUNDS, Q_EVENTS, Q_RETRY_SHIPMENTS,
	Q_RETRY_REFUNDS, Q_CLAIM_SHIPMENT, Q_CLAIM_REFUND, Q_SET_PAYST, Q_OPEN_LEFT,
	Q_REFUND_INS_RETURN,	/* RETURNS (issue 19) */
	Q_HEAD_A, Q_MYLINES_A, Q_MY_SHIPMENTS_A, Q_MY_REFUNDS_A, Q_EVENTS_A,
	Q_REFUND_REOPEN,	/* RETURNS: an admin's new try */
	Q_TRACKING_A,
	NQ
};

static struct db_sql sql[NQ] = {
	/* "To ship": lines not shipped of an order still being worked on (a
	 * shopper's cancellation leaves its lines as they were). */
	/* ARCHIVE: both places, each by the seller's index, merged by id. */
	[Q_LIST] = { "(" LIST_IN("") ") UNION ALL (" LIST_IN("_archive") ") ORDER BY id DESC LIMIT ?", 0 },
	[Q_HEAD] = { HEAD_COLS, 0 },
	[Q_HEAD_LOCK] = { HEAD_COLS " FOR UPDATE", 0 },
	[Q_ORDER_LOCK] = { "SELECT status, payment_intent, total FROM orders WHERE id = ? FOR UPDATE", 0 },
	[Q_MYLINES] = { LINE_COLS, 0 },
	[Q_MYLINES_LOCK] = { LINE_COLS " FOR UPDATE", 0 },
	[Q_ALL_LINES] = { "SELECT line_no, unit_price * quantity - discount, tax FROM order_lines "
			  "WHERE order_id = ? ORDER BY line_no", 0 },
	/* Issue 19, payouts' backfill: the same of an order hot or archived
	 * (it is in one place: the union holds its lines once). */
	[Q_ALL_LINES_ANY] = { "SELECT line_no, unit_price * quantity - discount, tax FROM order_lines WHERE order_id = ? "
			      "UNION ALL SELECT line_no, unit_price * quantity - discount, tax FROM order_lines_archive "
			      "WHERE order_id = ? ORDER BY line_no", 0 },
	[Q_COUNTS] = { "SELECT SUM(state = 'open'), SUM(state = 'picked'), SUM(state = 'shipped'), "
		       "SUM(state = 'delivered'), SUM(state = 'returned'), SUM(state = 'cancelled'), COUNT(*), "
		       "SUM(refunded_qty > 0) FROM order_lines WHERE order_id = ?", 0 },
	[Q_PICK] = { "UPDATE order_lines SET state = 'picked' WHERE order_id = ? AND seller_id = ? "
		     "AND line_no = ? AND state = 'open'", 0 },
	[Q_SHIP_INS] = { "INSERT INTO shipments (order_id, seller_id, carrier, tracking, amount, next_attempt_at) "
			 "VALUES (?, ?, ?, ?, ?, NOW(3) + INTERVAL 5 SECOND)", 0 },
	[Q_LINE_ASSIGN] = { "UPDATE order_lines SET state = 'picked', shipment_id = ? WHERE order_id = ? "
			    "AND seller_id = ? AND line_no = ? AND state IN ('open', 'picked') AND shipment_id IS NULL", 0 },
	[Q_UNASSIGNED] = { "SELECT COUNT(*) FROM order_lines WHERE order_id = ? AND state IN ('open', 'picked') "
			   "AND shipment_id IS NULL", 0 },
	[Q_OTHER_PENDING] = { "SELECT COUNT(*) FROM shipments WHERE order_id = ? AND status = 'pending' AND id <> ?", 0 },
	[Q_SET_FINAL] = { "UPDATE shipments SET final = 1 WHERE id = ?", 0 },
	[Q_SHIPMENT] = { "SELECT s.id, s.order_id, s.seller_id, s.status, s.amount, s.final, s.capture_gen, "
			 "o.payment_intent, s.carrier, s.tracking FROM shipments s JOIN orders o ON o.id = s.order_id "
			 "WHERE s.id = ?", 0 },
	[Q_SHIPMENT_LOCK] = { "SELECT status FROM shipments WHERE id = ? FOR UPDATE", 0 },
	/* A definite refusal is not retried by the job (the same request would
	 * be refused again): the seller's button tries once more. */
	[Q_SHIPMENT_FAIL] = { "UPDATE shipments SET last_error = ?, capture_gen = capture_gen + ?, "
			      "next_attempt_at = IF(? = 1, NULL, " BACKOFF "), attempts = attempts + 1 "
			      "WHERE id = ? AND status = 'pending' AND capture_gen = ?", 0 },
	[Q_SHIPMENT_SHIPPED] = { "UPDATE shipments SET status = 'shipped', shipped_at = NOW(3), last_error = NULL, "
				 "next_attempt_at = NULL, attempts = attempts + 1 WHERE id = ? AND status = 'pending'", 0 },
	[Q_SHIPMENT_LINES] = { "SELECT line_no, sku_id, quantity, product_id FROM order_lines WHERE shipment_id = ? "
			       "ORDER BY sku_id, line_no FOR UPDATE", 0 },
	[Q_LINES_SHIPPED] = { "UPDATE order_lines SET state = 'shipped' WHERE shipment_id = ? AND state = 'picked'", 0 },
	[Q_LINE_CANCEL] = { "UPDATE order_lines SET state = 'cancelled' WHERE order_id = ? AND seller_id = ? "
			    "AND line_no = ? AND state IN ('open', 'picked') AND shipment_id IS NULL", 0 },
	[Q_MY_SHIPMENTS] = { SHIPMENT_COLS "AND s.seller_id = ? ORDER BY s.id", 0 },
	/* ARCHIVE: an order is in one place; each arm is by its order index. */
	/* One place or the other (the caller knows which holds the order):
	 * a UNION of both, as a derived table, was copied with its text
	 * column into an on-disk temporary table on every order page. */
	[Q_TRACKING] = { SHIPMENT_COLS "AND s.status <> 'pending' ORDER BY s.id", 0 },
	[Q_TRACKING_A] = { SHIPMENT_COLS_IN("_archive") "AND s.status <> 'pending' ORDER BY s.id", 0 },
	[Q_MY_SHIPMENT_LOCK] = { "SELECT status FROM shipments WHERE id = ? AND order_id = ? AND seller_id = ? FOR UPDATE", 0 },
	[Q_DELIVER] = { "UPDATE shipments SET status = 'delivered', delivered_at = NOW(3) WHERE id = ? "
			"AND status = 'shipped'", 0 },
	[Q_LINES_DELIVER] = { "UPDATE order_lines SET state = 'delivered' WHERE shipment_id = ? AND state = 'shipped'", 0 },
	[Q_BY_TRACKING] = { "SELECT id, order_id FROM shipments WHERE carrier = ? AND tracking = ?", 0 },
	[Q_CARRIER_EVENT] = { "INSERT IGNORE INTO carrier_events (event_id, carrier, tracking, type) VALUES (?, ?, ?, ?)", 0 },
	[Q_REFUND_INS] = { "INSERT INTO refunds (order_id, seller_id, amount, next_attempt_at) "
			   "VALUES (?, ?, ?, NOW(3) + INTERVAL 5 SECOND)", 0 },
	[Q_REFUND_LINE_INS] = { "INSERT INTO refund_lines (refund_id, line_no, quantity, amount) VALUES (?, ?, ?, ?)", 0 },
	[Q_LINE_REFUND_RESERVE] = { "UPDATE order_lines SET refunded_qty = refunded_qty + ?, refunded_amount = "
				    "refunded_amount + ? WHERE order_id = ? AND seller_id = ? AND line_no = ? "
				    "AND state IN ('shipped', 'delivered') AND refunded_qty + ? <= quantity", 0 },
	[Q_REFUND] = { "SELECT r.id, r.order_id, r.seller_id, r.status, r.amount, o.payment_intent, r.return_id, "
		       "(SELECT rt.refund_tries FROM returns rt WHERE rt.id = r.return_id) "
		       "FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = ?", 0 },
	[Q_REFUND_LOCK] = { "SELECT status, return_id FROM refunds WHERE id = ? FOR UPDATE", 0 },
	[Q_REFUND_LINES] = { "SELECT rl.line_no, rl.quantity, rl.amount, l.sku_id, l.product_id FROM refund_lines rl "
			     "JOIN order_lines l ON l.order_id = ? AND l.line_no = rl.line_no WHERE rl.refund_id = ? "
			     "ORDER BY l.sku_id, rl.line_no", 0 },
	[Q_REFUND_DONE] = { "UPDATE refunds SET status = 'succeeded', gateway_id = ?, last_error = NULL, "
			    "next_attempt_at = NULL, attempts = attempts + 1 WHERE id = ? AND status = 'pending'", 0 },
	[Q_REFUND_SOFT] = { "UPDATE refunds SET last_error = ?, next_attempt_at = " BACKOFF ", attempts = attempts + 1 "
			    "WHERE id = ? AND status = 'pending'", 0 },
	[Q_REFUND_FAILED] = { "UPDATE refunds SET status = 'failed', last_error = ?, next_attempt_at = NULL, "
			      "attempts = attempts + 1 WHERE id = ? AND status = 'pending'", 0 },
	[Q_LINE_UNRESERVE] = { "UPDATE order_lines SET refunded_qty = refunded_qty - ?, refunded_amount = "
			       "refunded_amount - ? WHERE order_id = ? AND line_no = ? AND refunded_qty >= ? "
			       "AND refunded_amount >= ?", 0 },
	[Q_LINE_RETURNED] = { "UPDATE order_lines SET state = 'returned' WHERE order_id = ? AND line_no = ? "
			      "AND refunded_qty = quantity AND state IN ('shipped', 'delivered')", 0 },
	[Q_MY_REFUNDS] = { MY_REFUNDS_IN(""), 0 },
	[Q_EVENTS] = { EVENTS_IN(""), 0 },
	[Q_RETRY_SHIPMENTS] = { "SELECT id FROM shipments WHERE status = 'pending' AND next_attempt_at <= NOW(3) "
				"ORDER BY next_attempt_at LIMIT 10", 0 },
	[Q_RETRY_REFUNDS] = { "SELECT id FROM refunds WHERE status = 'pending' AND next_attempt_at <= NOW(3) "
			      "ORDER BY next_attempt_at LIMIT 10", 0 },
	/* A claim: whoever moves next_attempt_at on makes the attempt (another
	 * jobs process sees the row as not due). */
	[Q_CLAIM_SHIPMENT] = { "UPDATE shipments SET next_attempt_at = NOW(3) + INTERVAL 30 SECOND WHERE id = ? "
			       "AND status = 'pending' AND next_attempt_at <= NOW(3)", 0 },
	[Q_CLAIM_REFUND] = { "UPDATE refunds SET next_attempt_at = NOW(3) + INTERVAL 30 SECOND WHERE id = ? "
			     "AND status = 'pending' AND next_attempt_at <= NOW(3)", 0 },
	[Q_SET_PAYST] = { "UPDATE orders SET payment_status = ? WHERE id = ?", 0 },
	[Q_HEAD_A] = { HEAD_COLS_IN("_archive"), 0 },
	[Q_MYLINES_A] = { LINE_COLS_IN("_archive"), 0 },
	[Q_MY_SHIPMENTS_A] = { SHIPMENT_COLS_IN("_archive") "AND s.seller_id = ? ORDER BY s.id", 0 },
	[Q_MY_REFUNDS_A] = { MY_REFUNDS_IN("_archive"), 0 },
	[Q_EVENTS_A] = { EVENTS_IN("_archive"), 0 },
	[Q_OPEN_LEFT] = { "SELECT COUNT(*) FROM order_lines WHERE order_id = ? AND state IN ('open', 'picked')", 0 },
	/* RETURNS (issue 19): a return's refund, one per return (unique key). */
	/* RETURNS: a return's refund refused for good, pending again (an
	 * admin's new try), its units reserved on the lines again. */
	[Q_REFUND_REOPEN] = { "UPDATE refunds SET status = 'pending', last_error = NULL, "
			      "next_attempt_at = NOW(3) + INTERVAL 5 SECOND WHERE id = ? AND status = 'failed'", 0 },
	[Q_REFUND_INS_RETURN] = { "INSERT INTO refunds (order_id, seller_id, amount, next_attempt_at, return_id) "
				  "VALUES (?, ?, ?, NOW(3) + INTERVAL 5 SECOND, ?)", 0 },
};

/* RETURNS (issue 19): app/returns hears how a return's refund ended, in
 * the transaction that records it (fulfillment_set_return_hook). */
static fulfillment_return_hook return_hook;

void fulfillment_set_return_hook(fulfillment_return_hook fn)
{
	return_hook = fn;
}

void fulfillment_init(void)
{
	db_register(sql, NQ);
}

/* ---- small helpers ---- */

const char *fulfillment_line_label(const char *s)
{
	static const struct { const char *s, *label; } t[] = {
		{ "open", "Not shipped yet" }, { "picked", "Picked" }, { "shipped", "Shipped" },
		{ "delivered", "Delivered" }, { "returned", "Returned and refunded" }, { "cancelled", "Cancelled" },
	};

	for (size_t i = 0; s && i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].s, s))
			return t[i].label;
	return s ? s : "";
}

static void refuse(struct ff_outcome *o, int status, const char *msg)
{
	o->status = status;
	o->msg = msg;
}

/* The amount of every line of the order (see fulfillment.h): amt[i] for the
 * line numbered no[i]. Arena-owned arrays. */
static enum err line_amounts_of(struct db *db, struct arena *a, int64_t order_id, int64_t total, int both,
				int64_t **no, int64_t **amt, size_t *n)
{
	struct db_res *r = NULL;
	int64_t sum = 0, base = 0, rest, given = 0;
	enum err e;

	if ((e = both ? db_exec(db, a, &sql[Q_ALL_LINES_ANY], &r, "ii", order_id, order_id)
		      : db_exec(db, a, &sql[Q_ALL_LINES], &r, "i", order_id)))
		return e;
	*n = r->nrows;
	*no = arena_alloc(a, sizeof(int64_t) * (r->nrows + 1));
	*amt = arena_alloc(a, sizeof(int64_t) * (r->nrows + 1));
	if (!*no || !*amt)
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		(*no)[i] = db_int(r, i, 0);
		(*amt)[i] = db_int(r, i, 1) + db_int(r, i, 2);
		sum += (*amt)[i];
		base += db_int(r, i, 1) > 0 ? db_int(r, i, 1) : 0;
	}
	/* What is left of the total is shipping (and any rounding): spread in
	 * proportion to goods less discount, the remainder to the last line. */
	rest = total - sum;
	if (rest < 0 || !r->nrows)
		return r->nrows ? E_INTERNAL : E_OK;
	for (size_t i = 0; i + 1 < r->nrows; i++) {
		int64_t g = db_int(r, i, 1) > 0 ? db_int(r, i, 1) : 0;
		int64_t share = base ? (int64_t)((__int128)rest * g / base) : 0;

		(*amt)[i] += share;
		given += share;
	}
	(*amt)[r->nrows - 1] += rest - given;
	return E_OK;
}

static enum err line_amounts(struct db *db, struct arena *a, int64_t order_id, int64_t total,
			     int64_t **no, int64_t **amt, size_t *n)
{
	return line_amounts_of(db, a, order_id, total, 0, no, amt, n);
}

/* Issue 19, seller payouts: the rule above for app/payouts (fulfillment.h). */
enum err fulfillment_line_amounts(struct db *db, struct arena *a, int64_t order_id, int64_t total,
				  int64_t **no, int64_t **amt, size_t *n)
{
	return line_amounts(db, a, order_id, total, no, amt, n);
}

enum err fulfillment_line_amounts_any(struct db *db, struct arena *a, int64_t order_id, int64_t total,
				      int64_t **no, int64_t **amt, size_t *n)
{
	return line_amounts_of(db, a, order_id, total, 1, no, amt, n);
}

static int64_t amount_of(const int64_t *no, const int64_t *amt, size_t n, int64_t line_no)
{
	for (size_t i = 0; i < n; i++)
		if (no[i] == line_no)
			return amt[i];
	return 0;
}

/* The part of a line's amount that k units bring, after `from` units. */
static int64_t units_amount(int64_t amount, int64_t qty, int64_t from, int64_t k)
{
	return (int64_t)((__int128)amount * (from + k) / qty - (__int128)amount * from / qty);
}

/* An event of the order {"orderId", ...} in the caller's transaction. */
static enum err order_event(struct db *db, struct arena *a, enum event_type type, int64_t order_id,
			    const char *key, int64_t id, const char *key2, int64_t v2)
{
	json_t *p = json_pack("{sI}", "orderId", (json_int_t)order_id);

	if (p && key)
		json_object_set_new(p, key, json_integer(id));
	if (p && key2)
		json_object_set_new(p, key2, json_integer(v2));
	return event_emit(db, a, type, order_id, p);
}

/* Moves the order's status to what its lines say (see fulfillment.h), inside
 * the caller's transaction, after the order row was locked. A move the state
 * machine does not allow is left alone (the lines are the truth). */
static enum err settle_status(struct db *db, struct arena *a, int64_t order_id, const char *actor,
			      const char *reason)
{
	struct db_res *r = NULL, *o = NULL;
	int64_t open, picked, shipped, delivered, returned, cancelled, total, partial;
	const char *cur, *to;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_COUNTS], &r, "i", order_id)) ||
	    (e = db_exec(db, a, &sql[Q_ORDER_LOCK], &o, "i", order_id)))
		return e;
	if (!o->nrows)
		return E_NOTFOUND;
	cur = db_cell(o, 0, 0);
	open = db_int(r, 0, 0);
	picked = db_int(r, 0, 1);
	shipped = db_int(r, 0, 2);
	delivered = db_int(r, 0, 3);
	returned = db_int(r, 0, 4);
	cancelled = db_int(r, 0, 5);
	total = db_int(r, 0, 6);
	partial = db_int(r, 0, 7);
	if (open + picked > 0)
		to = picked + shipped + delivered + returned > 0 ? "fulfilling" : "confirmed";
	else if (cancelled == total)
		to = "cancelled";
	else if (shipped + delivered == 0)
		to = "refunded";
	else if (returned > 0 || partial > 0)
		to = "returned";
	else if (shipped == 0)
		to = "delivered";
	else
		to = "shipped";
	if (!strcmp(cur, to))
		return E_OK;
	e = order_move(db, a, order_id, to, actor, reason, NULL);
	if (e == E_CONFLICT) {
		log_info("order %lld: stays %s (lines say %s)", (long long)order_id, cur, to);
		return E_OK;
	}
	if (e == E_OK && !strcmp(to, "cancelled"))
		e = order_event(db, a, EV_ORDER_CANCELLED, order_id, NULL, 0, NULL, 0);
	return e;
}

/* After the last open line is shipped or cancelled: what is still authorized
 * and not captured is released (voided when nothing was captured). Safe to
 * call any number of times; a failure is logged and left for the next one. */
static void release_rest(struct db *db, struct arena *a, int64_t order_id)
{
	struct db_res *r = NULL, *o = NULL;
	struct payment p;
	const char *intent;

	if (db_exec(db, a, &sql[Q_OPEN_LEFT], &r, "i", order_id) || db_int(r, 0, 0) > 0)
		return;
	if (db_exec(db, a, &sql[Q_ORDER_LOCK], &o, "i", order_id) || !o->nrows)
		return;
	intent = db_cell(o, 0, 1);
	if (!intent || !*intent || payment_get(a, intent, &p) || strcmp(p.status, "requires_capture"))
		return;
	if (payment_cancel(a, arena_printf(a, "order-%lld-release", (long long)order_id), intent, &p) ||
	    *p.error_code)
		log_warn("order %lld: the uncaptured rest of %s is not released yet", (long long)order_id, intent);
	else
		db_exec(db, a, &sql[Q_SET_PAYST], NULL, "si", p.status, order_id);
}

/* The row of line_no among the seller's locked lines, or -1. */
static long find_line(struct db_res *l, int64_t line_no)
{
	for (size_t i = 0; i < l->nrows; i++)
		if (db_int(l, i, FF_L_NO) == line_no)
			return (long)i;
	return -1;
}


static int workable(const char *status)
{
	return fulfillment_workable(status);
}

/* ---- pick ---- */

struct pick {
	struct arena *a;
	int64_t seller_id;
	const char *actor;
	int64_t order_id;
	const struct ff_line *s;
	size_t n;
	struct ff_outcome *o;
};

/* Locks the order (as the seller's) and the seller's lines; 404 in o when
 * the order has none of them. */
static enum err lock_mine(struct db *db, struct arena *a, int64_t seller_id, int64_t order_id, struct db_res **h,
			  struct db_res **l, struct ff_outcome *o)
{
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_HEAD_LOCK], h, "ii", order_id, seller_id)))
		return e;
	if (!(*h)->nrows) {
		/* ARCHIVE: the seller's archived order is there, closed for
		 * good: read-only (app/archive). */
		if ((e = db_exec(db, a, &sql[Q_HEAD_A], h, "ii", order_id, seller_id)))
			return e;
		if ((*h)->nrows) {
			refuse(o, 409, "This order is archived: it can be read, no longer changed.");
		} else {
			refuse(o, 404, NULL);
		}
		return E_OK;
	}
	return db_exec(db, a, &sql[Q_MYLINES_LOCK], l, "ii", order_id, seller_id);
}

int fulfillment_workable(const char *status)
{
	return !strcmp(status, "confirmed") || !strcmp(status, "fulfilling");
}

static enum err tx_pick(struct db *db, void *p)
{
	struct pick *pk = p;
	struct arena *a = pk->a;
	struct db_res *h = NULL, *l = NULL;
	enum err e;

	memset(pk->o, 0, sizeof(*pk->o));
	if ((e = lock_mine(db, a, pk->seller_id, pk->order_id, &h, &l, pk->o)) || pk->o->status)
		return e;
	if (!workable(db_cell(h, 0, FF_H_STATUS))) {
		refuse(pk->o, 409, arena_printf(a, "This order cannot be picked (it is %s).",
						order_status_label(db_cell(h, 0, FF_H_STATUS))));
		return E_OK;
	}
	for (size_t i = 0; i < pk->n; i++) {
		long row = find_line(l, pk->s[i].line_no);

		if (row < 0) {
			refuse(pk->o, 400, arena_printf(a, "line %lld: is not one of your lines of this order",
							(long long)pk->s[i].line_no));
			return E_OK;
		}
		if (strcmp(db_cell(l, row, FF_L_STATE), "open")) {
			refuse(pk->o, 409, arena_printf(a, "line %lld: cannot be picked (it is %s)",
							(long long)pk->s[i].line_no,
							fulfillment_line_label(db_cell(l, row, FF_L_STATE))));
			return E_OK;
		}
		if ((e = db_exec(db, a, &sql[Q_PICK], NULL, "iii", pk->order_id, pk->seller_id,
				 pk->s[i].line_no)))
			return e;
	}
	return settle_status(db, a, pk->order_id, pk->actor, "the seller started picking");
}

enum err fulfillment_pick(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id, const char *actor,
			  const struct ff_line *lines, size_t n, struct ff_outcome *o)
{
	struct pick pk = { .a = a, .seller_id = seller_id, .actor = actor, .order_id = order_id, .s = lines,
			   .n = n, .o = o };

	memset(o, 0, sizeof(*o));
	return db_tx(db, tx_pick, &pk);
}

/* ---- capture (shipment -> shipped) ---- */

struct shipped {
	int64_t shipment_id, order_id;
	const char *actor, *reason, *pay_status;
	struct arena *a;
};

static enum err tx_shipped(struct db *db, void *p)
{
	struct shipped *sp = p;
	struct arena *a = sp->a;
	struct db_res *o = NULL, *s = NULL, *l = NULL;
	struct stock_line *sl;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_ORDER_LOCK], &o, "i", sp->order_id)) ||
	    (e = db_exec(db, a, &sql[Q_SHIPMENT_LOCK], &s, "i", sp->shipment_id)))
		return e;
	if (!s->nrows || strcmp(db_cell(s, 0, 0), "pending"))
		return E_OK;	/* shipped meanwhile (the job or a second click) */
	if ((e = db_exec(db, a, &sql[Q_SHIPMENT_SHIPPED], NULL, "i", sp->shipment_id)) ||
	    (e = db_exec(db, a, &sql[Q_SHIPMENT_LINES], &l, "i", sp->shipment_id)))
		return e;
	/* Units leave the warehouse: committed goes down, lines in sku order. */
	if (!(sl = arena_alloc(a, sizeof(*sl) * (l->nrows + 1))))
		return E_NOMEM;
	for (size_t i = 0; i < l->nrows; i++) {
		sl[i].sku_id = db_int(l, i, 1);
		sl[i].quantity = db_int(l, i, 2);
		sl[i].product_id = db_int(l, i, 3);
	}
	if ((e = inventory_ship(db, a, sp->order_id, sl, l->nrows)))
		return e;
	if ((e = db_exec(db, a, &sql[Q_LINES_SHIPPED], NULL, "i", sp->shipment_id)) ||
	    (e = db_exec(db, a, &sql[Q_SET_PAYST], NULL, "si", sp->pay_status, sp->order_id)) ||
	    (e = order_event(db, a, EV_SHIPMENT_SHIPPED, sp->order_id, "shipmentId", sp->shipment_id, NULL, 0)))
		return e;
	return settle_status(db, a, sp->order_id, sp->actor, sp->reason);
}

/* One capture attempt for a pending shipment. *ok = 1 when the shipment is
 * shipped (now or before); otherwise *msg says why, and the shipment stays
 * pending with the error and a next attempt time. */
static enum err capture(struct db *db, struct arena *a, int64_t shipment_id, const char *actor, int *ok,
			const char **msg)
{
	struct db_res *s = NULL;
	struct payment p;
	const char *intent, *key;
	int64_t order_id, amount, gen;
	int final, soft;
	enum err e;

	*ok = 0;
	*msg = NULL;
	if ((e = db_exec(db, a, &sql[Q_SHIPMENT], &s, "i", shipment_id)))
		return e;
	if (!s->nrows)
		return E_NOTFOUND;
	if (strcmp(db_cell(s, 0, 3), "pending")) {
		*ok = 1;
		return E_OK;
	}
	order_id = db_int(s, 0, 1);
	amount = db_int(s, 0, 4);
	final = (int)db_int(s, 0, 5);
	gen = db_int(s, 0, 6);
	intent = db_cell(s, 0, 7);
	key = arena_printf(a, "shipment-%lld-capture-%lld", (long long)shipment_id, (long long)gen);
	memset(&p, 0, sizeof(p));
	p.status = "succeeded";
	p.error_code = "";
	if (amount > 0 && intent && *intent)
		e = payment_capture(a, key, intent, amount, final, &p);
	if (e == E_OK && !*p.error_code && (!strcmp(p.status, "succeeded") || !strcmp(p.status, "requires_capture"))) {
		struct shipped sp = { shipment_id, order_id, actor,
			arena_printf(a, "shipment %lld handed to the carrier", (long long)shipment_id), p.status, a };

		if ((e = db_tx(db, tx_shipped, &sp)))
			return e;
		*ok = 1;
		release_rest(db, a, order_id);
		return E_OK;
	}
	/* No answer, or the key is busy: the same key again later (the capture
	 * may have happened; the replay will tell). A definite refusal: nothing
	 * was captured under this key, so the next attempt takes a new one. */
	soft = e != E_OK || p.http_status == 409 || p.http_status >= 500;
	if (e != E_OK && e != E_UNAVAIL && e != E_BUSY)
		return e;
	if (soft)
		*msg = "The payment service did not answer. The capture will be tried again.";
	else
		*msg = arena_printf(a, "The payment service refused the capture: %.180s",
				    *p.error_message ? p.error_message : p.error_code);
	log_warn("shipment %lld: capture failed: %s", (long long)shipment_id, *msg);
	return db_exec(db, a, &sql[Q_SHIPMENT_FAIL], NULL, "siiii", *msg, (int64_t)!soft, (int64_t)!soft,
		       shipment_id, gen);
}

/* ---- ship ---- */

struct ship {
	struct arena *a;
	int64_t seller_id;
	const char *actor;
	int64_t order_id;
	const struct ff_line *s;
	size_t n;
	const char *carrier, *tracking;
	struct ff_outcome *o;
};

static enum err tx_ship(struct db *db, void *p)
{
	struct ship *sh = p;
	struct arena *a = sh->a;
	struct db_res *h = NULL, *l = NULL, *r = NULL;
	int64_t *no, *amt, amount = 0, sid;
	size_t n;
	enum err e;

	memset(sh->o, 0, sizeof(*sh->o));
	if ((e = lock_mine(db, a, sh->seller_id, sh->order_id, &h, &l, sh->o)) || sh->o->status)
		return e;
	if (!workable(db_cell(h, 0, FF_H_STATUS))) {
		refuse(sh->o, 409, arena_printf(a, "This order cannot be shipped (it is %s).",
						order_status_label(db_cell(h, 0, FF_H_STATUS))));
		return E_OK;
	}
	if ((e = line_amounts(db, a, sh->order_id, db_int(h, 0, FF_H_TOTAL), &no, &amt, &n)))
		return e;
	for (size_t i = 0; i < sh->n; i++) {
		long row = find_line(l, sh->s[i].line_no);
		const char *st;

		if (row < 0) {
			refuse(sh->o, 400, arena_printf(a, "line %lld: is not one of your lines of this order",
							(long long)sh->s[i].line_no));
			return E_OK;
		}
		st = db_cell(l, row, FF_L_STATE);
		if ((strcmp(st, "open") && strcmp(st, "picked")) || db_cell(l, row, FF_L_SHIPMENT)) {
			refuse(sh->o, 409, arena_printf(a, "line %lld: cannot be shipped (it is %s%s)",
							(long long)sh->s[i].line_no, fulfillment_line_label(st),
							db_cell(l, row, FF_L_SHIPMENT) ? ", in a shipment already" : ""));
			return E_OK;
		}
		amount += amount_of(no, amt, n, sh->s[i].line_no);
	}
	e = db_exec(db, a, &sql[Q_SHIP_INS], NULL, "iissi", sh->order_id, sh->seller_id, sh->carrier,
		    sh->tracking, amount);
	if (e && db_errno(db) == 1062) {
		refuse(sh->o, 409, "tracking: this carrier's tracking number is used by another shipment");
		return E_OK;
	}
	if (e)
		return e;
	sid = (int64_t)db_insert_id(db);
	sh->o->shipment_id = sid;
	for (size_t i = 0; i < sh->n; i++) {
		if ((e = db_exec(db, a, &sql[Q_LINE_ASSIGN], NULL, "iiii", sid, sh->order_id, sh->seller_id,
				 sh->s[i].line_no)))
			return e;
		if (db_affected(db) != 1)
			return E_CONFLICT;
	}
	/* The last lines to go: this capture releases what is left, unless
	 * another shipment still waits for its own capture. */
	if ((e = db_exec(db, a, &sql[Q_UNASSIGNED], &r, "i", sh->order_id)))
		return e;
	if (!db_int(r, 0, 0)) {
		if ((e = db_exec(db, a, &sql[Q_OTHER_PENDING], &r, "ii", sh->order_id, sid)))
			return e;
		if (!db_int(r, 0, 0) && (e = db_exec(db, a, &sql[Q_SET_FINAL], NULL, "i", sid)))
			return e;
	}
	return settle_status(db, a, sh->order_id, sh->actor, "the seller is preparing a shipment");
}

enum err fulfillment_ship(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id, const char *actor,
			  const char *carrier, const char *tracking, const struct ff_line *lines, size_t n,
			  struct ff_outcome *o)
{
	struct ship sh = { .a = a, .seller_id = seller_id, .actor = actor, .order_id = order_id, .s = lines, .n = n,
			   .carrier = carrier, .tracking = tracking, .o = o };
	int ok;
	const char *msg;
	enum err e;

	memset(o, 0, sizeof(*o));
	if ((e = db_tx(db, tx_ship, &sh)) || o->status)
		return e;
	if ((e = capture(db, a, o->shipment_id, actor, &ok, &msg)))
		return e;
	if (!ok)
		refuse(o, 502, msg);
	return E_OK;
}

enum err fulfillment_retry(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id, int64_t shipment_id,
			   const char *actor, struct ff_outcome *o)
{
	struct db_res *h = NULL, *s = NULL;
	int ok;
	const char *msg;
	enum err e;

	memset(o, 0, sizeof(*o));
	if ((e = db_exec(db, a, &sql[Q_HEAD], &h, "ii", order_id, seller_id)))
		return e;
	if (!h->nrows || !shipment_id)
		return refuse(o, 404, NULL), E_OK;
	if ((e = db_exec(db, a, &sql[Q_SHIPMENT], &s, "i", shipment_id)))
		return e;
	if (!s->nrows || db_int(s, 0, 1) != order_id || db_int(s, 0, 2) != seller_id)
		return refuse(o, 404, NULL), E_OK;
	o->shipment_id = shipment_id;
	if ((e = capture(db, a, shipment_id, actor, &ok, &msg)))
		return e;
	if (!ok)
		refuse(o, 502, msg);
	return E_OK;
}

/* ---- delivery ---- */

struct deliver {
	int64_t order_id, shipment_id, seller_id;	/* seller 0: the carrier */
	const char *actor;
	struct arena *a;
	struct ff_outcome *o;
};

static enum err tx_deliver(struct db *db, void *p)
{
	struct deliver *d = p;
	struct db_res *o = NULL, *s = NULL;
	enum err e;

	if ((e = db_exec(db, d->a, &sql[Q_ORDER_LOCK], &o, "i", d->order_id)))
		return e;
	if (d->seller_id)
		e = db_exec(db, d->a, &sql[Q_MY_SHIPMENT_LOCK], &s, "iii", d->shipment_id, d->order_id, d->seller_id);
	else
		e = db_exec(db, d->a, &sql[Q_SHIPMENT_LOCK], &s, "i", d->shipment_id);
	if (e)
		return e;
	if (!o->nrows || !s->nrows)
		return refuse(d->o, 404, NULL), E_OK;
	if (!strcmp(db_cell(s, 0, 0), "delivered"))
		return E_OK;	/* said twice: the same answer */
	if (strcmp(db_cell(s, 0, 0), "shipped"))
		return refuse(d->o, 409, "This shipment is not shipped yet (its payment capture is pending)."), E_OK;
	if ((e = db_exec(db, d->a, &sql[Q_DELIVER], NULL, "i", d->shipment_id)) ||
	    (e = db_exec(db, d->a, &sql[Q_LINES_DELIVER], NULL, "i", d->shipment_id)) ||
	    (e = order_event(db, d->a, EV_SHIPMENT_DELIVERED, d->order_id, "shipmentId", d->shipment_id, NULL, 0)))
		return e;
	return settle_status(db, d->a, d->order_id, d->actor,
			     arena_printf(d->a, "shipment %lld delivered", (long long)d->shipment_id));
}

enum err fulfillment_deliver(struct db *db, struct arena *a, int64_t order_id, int64_t shipment_id, int64_t seller_id,
			     const char *actor, struct ff_outcome *o)
{
	struct deliver d = { order_id, shipment_id, seller_id, actor, a, o };

	memset(o, 0, sizeof(*o));
	if (!order_id || !shipment_id || !seller_id)
		return refuse(o, 404, NULL), E_OK;
	return db_tx(db, tx_deliver, &d);
}

struct carrier_ev {
	const char *id, *type, *carrier, *tracking;
	int duplicate;
	struct deliver d;
};

static enum err tx_carrier(struct db *db, void *p)
{
	struct carrier_ev *ev = p;
	struct db_res *o = NULL;
	enum err e;

	/* Lock order first (as every other writer), then record the event id:
	 * a replay finds it and changes nothing. */
	if ((e = db_exec(db, ev->d.a, &sql[Q_ORDER_LOCK], &o, "i", ev->d.order_id)) ||
	    (e = db_exec(db, ev->d.a, &sql[Q_CARRIER_EVENT], NULL, "ssss", ev->id, ev->carrier, ev->tracking, ev->type)))
		return e;
	if (db_affected(db) != 1) {
		ev->duplicate = 1;
		return E_OK;
	}
	if (strcmp(ev->type, "delivered"))
		return E_OK;	/* in_transit and the like: recorded, nothing to change */
	if ((e = tx_deliver(db, &ev->d)))
		return e;
	/* Refused (not shipped yet): the event is not recorded either, so the
	 * carrier's next delivery of it is applied. */
	return ev->d.o->status ? E_CONFLICT : E_OK;
}

enum err fulfillment_carrier_event(struct db *db, struct arena *a, const char *id, const char *type,
				   const char *carrier, const char *tracking, int *duplicate, struct ff_outcome *o)
{
	struct carrier_ev ce;
	struct db_res *s = NULL;
	enum err e;

	memset(&ce, 0, sizeof(ce));
	memset(o, 0, sizeof(*o));
	*duplicate = 0;
	if ((e = db_exec(db, a, &sql[Q_BY_TRACKING], &s, "ss", carrier, tracking)))
		return e;
	if (!s->nrows)
		return refuse(o, 404, "No shipment has this carrier and tracking number."), E_OK;
	ce.id = id;
	ce.type = type;
	ce.carrier = carrier;
	ce.tracking = tracking;
	ce.d = (struct deliver){ db_int(s, 0, 1), db_int(s, 0, 0), 0, arena_printf(a, "carrier:%s", carrier), a, o };
	e = db_tx(db, tx_carrier, &ce);
	if (e && !(e == E_CONFLICT && o->status))
		return e;
	*duplicate = ce.duplicate;
	return E_OK;
}

/* ---- cancel and refund ---- */

struct refund_req {
	struct arena *a;
	int64_t seller_id;
	const char *actor;
	int64_t order_id;
	const struct ff_line *s;
	size_t n;
	int cancelled, refunding;
	struct ff_outcome *o;
};

static enum err tx_refund_req(struct db *db, void *p)
{
	struct refund_req *rq = p;
	struct arena *a = rq->a;
	struct db_res *h = NULL, *l = NULL;
	int64_t *no, *amt, total = 0, rid = 0, sid = rq->seller_id;
	size_t n;
	enum err e;

	memset(rq->o, 0, sizeof(*rq->o));
	rq->cancelled = rq->refunding = 0;
	if ((e = lock_mine(db, a, rq->seller_id, rq->order_id, &h, &l, rq->o)) || rq->o->status)
		return e;
	if ((e = line_amounts(db, a, rq->order_id, db_int(h, 0, FF_H_TOTAL), &no, &amt, &n)))
		return e;
	/* First check everything, then change: one refusal changes nothing. */
	for (size_t i = 0; i < rq->n; i++) {
		long row = find_line(l, rq->s[i].line_no);
		const char *st;
		int64_t left;

		if (row < 0) {
			refuse(rq->o, 400, arena_printf(a, "line %lld: is not one of your lines of this order",
							(long long)rq->s[i].line_no));
			return E_OK;
		}
		st = db_cell(l, row, FF_L_STATE);
		left = db_int(l, row, FF_L_QTY) - db_int(l, row, FF_L_REFQTY);
		if ((!strcmp(st, "open") || !strcmp(st, "picked")) && !db_cell(l, row, FF_L_SHIPMENT)) {
			if (workable(db_cell(h, 0, FF_H_STATUS)))
				continue;
			refuse(rq->o, 409, arena_printf(a, "This order cannot be changed (it is %s).",
							order_status_label(db_cell(h, 0, FF_H_STATUS))));
			return E_OK;
		}
		if ((strcmp(st, "shipped") && strcmp(st, "delivered")) || left <= 0) {
			refuse(rq->o, 409, arena_printf(a, "line %lld: cannot be %s (it is %s%s)",
				(long long)rq->s[i].line_no, strcmp(st, "picked") ? "refunded" : "cancelled",
				fulfillment_line_label(st), db_cell(l, row, FF_L_SHIPMENT) && !strcmp(st, "picked") ?
				", in a shipment waiting for its capture" : ""));
			return E_OK;
		}
		if (rq->s[i].quantity > left) {
			refuse(rq->o, 400, arena_printf(a, "line %lld: at most %lld units can be refunded",
							(long long)rq->s[i].line_no, (long long)left));
			return E_OK;
		}
	}
	int64_t *money = arena_alloc(a, sizeof(int64_t) * (rq->n + 1));
	int64_t *units = arena_alloc(a, sizeof(int64_t) * (rq->n + 1));

	if (!money || !units)
		return E_NOMEM;
	for (size_t i = 0; i < rq->n; i++) {
		long row = find_line(l, rq->s[i].line_no);
		const char *st = db_cell(l, row, FF_L_STATE);
		int64_t qty = db_int(l, row, FF_L_QTY), from = db_int(l, row, FF_L_REFQTY);

		money[i] = units[i] = 0;
		if (!strcmp(st, "open") || !strcmp(st, "picked")) {
			/* Not shipped: committed units back to available, nothing
			 * captured for them. */
			if ((e = db_exec(db, a, &sql[Q_LINE_CANCEL], NULL, "iii", rq->order_id, sid, rq->s[i].line_no)))
				return e;
			if (db_affected(db) != 1)
				return E_CONFLICT;
			struct stock_line sl = { db_int(l, row, FF_L_SKU), db_int(l, row, FF_L_PRODUCT), qty };

			if ((e = inventory_unship(db, a, rq->order_id, &sl, 1, "line cancelled")))
				return e;
			rq->cancelled++;
			continue;
		}
		/* Returned: what those units brought, never more than the line's
		 * captured amount in all (see units_amount). */
		units[i] = rq->s[i].quantity ? rq->s[i].quantity : qty - from;
		money[i] = units_amount(amount_of(no, amt, n, rq->s[i].line_no), qty, from, units[i]);
		total += money[i];
		rq->refunding++;
	}
	if (rq->refunding && total > 0) {
		if ((e = db_exec(db, a, &sql[Q_REFUND_INS], NULL, "iii", rq->order_id, sid, total)))
			return e;
		rid = (int64_t)db_insert_id(db);
		for (size_t i = 0; i < rq->n; i++) {
			if (!units[i])
				continue;
			if ((e = db_exec(db, a, &sql[Q_LINE_REFUND_RESERVE], NULL, "iiiiii", units[i], money[i],
					 rq->order_id, sid, rq->s[i].line_no, units[i])))
				return e;
			if (db_affected(db) != 1)
				return E_CONFLICT;
			if ((e = db_exec(db, a, &sql[Q_REFUND_LINE_INS], NULL, "iiii", rid, rq->s[i].line_no,
					 units[i], money[i])))
				return e;
		}
		if ((e = order_event(db, a, EV_REFUND_REQUESTED, rq->order_id, "refundId", rid, "amount", total)))
			return e;
	} else if (rq->refunding) {
		refuse(rq->o, 409, "Nothing was paid for these units, so there is nothing to refund.");
		return E_OK;
	}
	rq->o->refund_id = rid;
	return rq->cancelled ? settle_status(db, a, rq->order_id, rq->actor, "the seller cancelled lines not shipped")
			     : E_OK;
}

/* ---- running a refund at the gateway ---- */

struct refund_end {
	int64_t refund_id, order_id, seller_id;
	int ok;			/* 1: succeeded, 0: refused for good */
	const char *gateway_id, *error, *actor;
	struct arena *a;
};

static enum err tx_refund_end(struct db *db, void *p)
{
	struct refund_end *re = p;
	struct arena *a = re->a;
	struct db_res *o = NULL, *r = NULL, *l = NULL;
	struct stock_line *sl;
	int64_t return_id;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_ORDER_LOCK], &o, "i", re->order_id)) ||
	    (e = db_exec(db, a, &sql[Q_REFUND_LOCK], &r, "i", re->refund_id)))
		return e;
	if (!r->nrows || strcmp(db_cell(r, 0, 0), "pending"))
		return E_OK;
	return_id = db_int(r, 0, 1);	/* RETURNS: 0 for a seller's own refund */
	if ((e = db_exec(db, a, &sql[Q_REFUND_LINES], &l, "ii", re->order_id, re->refund_id)))
		return e;
	if (!re->ok) {
		/* Nothing was refunded: the units may be refunded again later. */
		for (size_t i = 0; i < l->nrows; i++) {
			if ((e = db_exec(db, a, &sql[Q_LINE_UNRESERVE], NULL, "iiiiii", db_int(l, i, 1), db_int(l, i, 2),
					 re->order_id, db_int(l, i, 0), db_int(l, i, 1), db_int(l, i, 2))))
				return e;
			if (db_affected(db) != 1)
				return E_INTERNAL;
		}
		if ((e = db_exec(db, a, &sql[Q_REFUND_FAILED], NULL, "si", re->error, re->refund_id)))
			return e;
		return return_id && return_hook ? return_hook(db, a, return_id, re->refund_id, 0, re->error) : E_OK;
	}
	if ((e = db_exec(db, a, &sql[Q_REFUND_DONE], NULL, "si", re->gateway_id, re->refund_id)))
		return e;
	/* The units come back into stock where they left from (rows locked
	 * in sku order), one movement each; then the lines say so. */
	if (!(sl = arena_alloc(a, sizeof(*sl) * (l->nrows + 1))))
		return E_NOMEM;
	for (size_t i = 0; i < l->nrows; i++) {
		sl[i].sku_id = db_int(l, i, 3);
		sl[i].quantity = db_int(l, i, 1);
		sl[i].product_id = db_int(l, i, 4);
	}
	/* RETURNS: a return's units were restocked (or written off) when the
	 * seller received them (app/returns), not here. */
	if (!return_id && (e = inventory_restock(db, a, re->order_id, re->seller_id, sl, l->nrows,
						 arena_printf(a, "refund:order:%lld", (long long)re->order_id))))
		return e;
	for (size_t i = 0; i < l->nrows; i++)
		if ((e = db_exec(db, a, &sql[Q_LINE_RETURNED], NULL, "ii", re->order_id, db_int(l, i, 0))))
			return e;
	if ((e = order_event(db, a, EV_REFUND_SUCCEEDED, re->order_id, "refundId", re->refund_id, NULL, 0)))
		return e;
	if (return_id && return_hook && (e = return_hook(db, a, return_id, re->refund_id, 1, NULL)))
		return e;
	return settle_status(db, a, re->order_id, re->actor,
			     arena_printf(a, "refund %lld: returned units refunded", (long long)re->refund_id));
}

/* One gateway attempt for a pending refund; *ok as for capture(). */
enum err fulfillment_refund_attempt(struct db *db, struct arena *a, int64_t refund_id, const char *actor, int *ok,
			   const char **msg)
{
	struct db_res *r = NULL;
	struct payment p;
	struct refund_end re;
	enum err e;

	*ok = 0;
	*msg = NULL;
	if ((e = db_exec(db, a, &sql[Q_REFUND], &r, "i", refund_id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	if (!strcmp(db_cell(r, 0, 3), "succeeded")) {
		*ok = 1;
		return E_OK;
	}
	if (strcmp(db_cell(r, 0, 3), "pending")) {
		*msg = "This refund was refused by the payment service.";
		return E_OK;
	}
	memset(&re, 0, sizeof(re));
	re.refund_id = refund_id;
	re.order_id = db_int(r, 0, 1);
	re.seller_id = db_int(r, 0, 2);
	re.actor = actor;
	re.a = a;
	/* RETURNS: a return's refund is keyed by the return ("return-<id>"),
	 * so no retry, by whoever, refunds it twice. */
	/* An admin's new try after a refusal for good (refund_tries > 0)
	 * takes the return's next key: the gateway replays the refusal
	 * stored under the old one, and nothing was paid under it. */
	e = payment_refund(a, db_cell(r, 0, 6) ? (db_int(r, 0, 7) > 0 ?
				arena_printf(a, "return-%lld-%lld", (long long)db_int(r, 0, 6), (long long)db_int(r, 0, 7) + 1) :
				arena_printf(a, "return-%lld", (long long)db_int(r, 0, 6))) :
			   arena_printf(a, "refund-%lld", (long long)refund_id), db_cell(r, 0, 5) ? db_cell(r, 0, 5) : "",
			   db_int(r, 0, 4), &p);
	if (e != E_OK && e != E_UNAVAIL && e != E_BUSY)
		return e;
	if (e == E_OK && !*p.error_code && !strcmp(p.status, "succeeded")) {
		re.ok = 1;
		re.gateway_id = p.id;
		if ((e = db_tx(db, tx_refund_end, &re)))
			return e;
		*ok = 1;
		return E_OK;
	}
	if (e == E_UNAVAIL || e == E_BUSY || p.http_status == 409 || p.http_status >= 500) {
		*msg = "The payment service did not answer. The refund will be tried again.";
		return db_exec(db, a, &sql[Q_REFUND_SOFT], NULL, "si", *msg, refund_id);
	}
	*msg = arena_printf(a, "The payment service refused the refund: %.180s",
			    *p.error_message ? p.error_message : p.error_code);
	re.ok = 0;
	re.error = *msg;
	return db_tx(db, tx_refund_end, &re);
}

enum err fulfillment_refund(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id, const char *actor,
			    const struct ff_line *lines, size_t n, struct ff_outcome *o)
{
	struct refund_req rq = { .a = a, .seller_id = seller_id, .actor = actor, .order_id = order_id, .s = lines,
				 .n = n, .o = o };
	int ok;
	const char *msg;
	enum err e;

	memset(o, 0, sizeof(*o));
	e = db_tx(db, tx_refund_req, &rq);
	if (e == E_CONFLICT) {
		refuse(o, 409, "The order changed meanwhile; please look again.");
		return E_OK;
	}
	if (e || o->status)
		return e;
	if (rq.cancelled)
		release_rest(db, a, order_id);
	if (!o->refund_id)
		return E_OK;
	if ((e = fulfillment_refund_attempt(db, a, o->refund_id, actor, &ok, &msg)))
		return e;
	if (!ok)
		refuse(o, 502, msg);
	return E_OK;
}

/* ---- RETURNS (issue 19): the refund of a return ---- */

enum err fulfillment_amounts(struct db *db, struct arena *a, int64_t order_id, int64_t total, int64_t **line_no,
			     int64_t **amount, size_t *n)
{
	return line_amounts(db, a, order_id, total, line_no, amount, n);
}

int64_t fulfillment_units_amount(int64_t amount, int64_t qty, int64_t from, int64_t k)
{
	return units_amount(amount, qty, from, k);
}

enum err fulfillment_return_refund(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id,
				   int64_t return_id, const struct ff_line *lines, size_t n, int64_t *refund_id,
				   int64_t *amount)
{
	struct db_res *o = NULL, *l = NULL;
	int64_t *no, *amt, total = 0, *money, rid;
	size_t na;
	enum err e;

	*refund_id = *amount = 0;
	if ((e = db_exec(db, a, &sql[Q_ORDER_LOCK], &o, "i", order_id)))
		return e;
	if (!o->nrows)
		return E_NOTFOUND;
	if ((e = db_exec(db, a, &sql[Q_MYLINES_LOCK], &l, "ii", order_id, seller_id)) ||
	    (e = line_amounts(db, a, order_id, db_int(o, 0, 2), &no, &amt, &na)))
		return e;
	if (!(money = arena_alloc(a, sizeof(int64_t) * (n + 1))))
		return E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		long row = find_line(l, lines[i].line_no);
		const char *st;
		int64_t qty, from;

		if (row < 0)
			return E_CONFLICT;
		st = db_cell(l, row, FF_L_STATE);
		qty = db_int(l, row, FF_L_QTY);
		from = db_int(l, row, FF_L_REFQTY);
		if ((strcmp(st, "shipped") && strcmp(st, "delivered")) || lines[i].quantity < 1 ||
		    from + lines[i].quantity > qty)
			return E_CONFLICT;
		money[i] = units_amount(amount_of(no, amt, na, lines[i].line_no), qty, from, lines[i].quantity);
		total += money[i];
	}
	if (total <= 0)
		return E_OK;	/* nothing was paid for these units: no refund row */
	if ((e = db_exec(db, a, &sql[Q_REFUND_INS_RETURN], NULL, "iiii", order_id, seller_id, total, return_id)))
		return e;
	rid = (int64_t)db_insert_id(db);
	for (size_t i = 0; i < n; i++) {
		if ((e = db_exec(db, a, &sql[Q_LINE_REFUND_RESERVE], NULL, "iiiiii", lines[i].quantity, money[i],
				 order_id, seller_id, lines[i].line_no, lines[i].quantity)))
			return e;
		if (db_affected(db) != 1)
			return E_CONFLICT;
		if ((e = db_exec(db, a, &sql[Q_REFUND_LINE_INS], NULL, "iiii", rid, lines[i].line_no, lines[i].quantity,
				 money[i])))
			return e;
	}
	if ((e = order_event(db, a, EV_REFUND_REQUESTED, order_id, "refundId", rid, "amount", total)))
		return e;
	*refund_id = rid;
	*amount = total;
	return E_OK;
}

enum err fulfillment_refund_reopen(struct db *db, struct arena *a, int64_t order_id, int64_t refund_id)
{
	struct db_res *r = NULL, *l = NULL, *sel = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_REFUND_LOCK], &r, "i", refund_id)))
		return e;
	if (!r->nrows || strcmp(db_cell(r, 0, 0), "failed"))
		return E_CONFLICT;
	if ((e = db_exec(db, a, &sql[Q_REFUND], &sel, "i", refund_id)) ||
	    (e = db_exec(db, a, &sql[Q_REFUND_LINES], &l, "ii", order_id, refund_id)))
		return e;
	if (!sel->nrows || db_int(sel, 0, 1) != order_id)
		return E_CONFLICT;
	for (size_t i = 0; i < l->nrows; i++) {
		if ((e = db_exec(db, a, &sql[Q_LINE_REFUND_RESERVE], NULL, "iiiiii", db_int(l, i, 1), db_int(l, i, 2),
				 order_id, db_int(sel, 0, 2), db_int(l, i, 0), db_int(l, i, 1))))
			return e;
		if (db_affected(db) != 1)
			return E_CONFLICT;
	}
	if ((e = db_exec(db, a, &sql[Q_REFUND_REOPEN], NULL, "i", refund_id)))
		return e;
	if (db_affected(db) != 1)
		return E_CONFLICT;
	return order_event(db, a, EV_REFUND_REQUESTED, order_id, "refundId", refund_id, "amount", db_int(sel, 0, 4));
}

/* ---- reads for the pages ---- */

enum err fulfillment_view(struct db *db, struct arena *a, int64_t order_id, int64_t seller_id, struct ff_view *v)
{
	enum err e;

	memset(v, 0, sizeof(*v));
	if (!seller_id)
		return E_NOTFOUND;
	if ((e = db_exec(db, a, &sql[Q_HEAD], &v->head, "ii", order_id, seller_id)))
		return e;
	/* ARCHIVE: not hot, then perhaps archived: read-only. */
	if (!v->head->nrows) {
		if ((e = db_exec(db, a, &sql[Q_HEAD_A], &v->head, "ii", order_id, seller_id)))
			return e;
		v->archived = 1;
	}
	if (!v->head->nrows)
		return E_NOTFOUND;
	if ((e = db_exec(db, a, &sql[v->archived ? Q_MYLINES_A : Q_MYLINES], &v->lines, "ii", order_id, seller_id)) ||
	    (e = db_exec(db, a, &sql[v->archived ? Q_MY_SHIPMENTS_A : Q_MY_SHIPMENTS], &v->shipments, "ii", order_id,
			 seller_id)) ||
	    (e = db_exec(db, a, &sql[v->archived ? Q_MY_REFUNDS_A : Q_MY_REFUNDS], &v->refunds, "ii", order_id,
			 seller_id)) ||
	    (e = db_exec(db, a, &sql[v->archived ? Q_EVENTS_A : Q_EVENTS], &v->events, "i", order_id)))
		return e;
	return E_OK;
}

enum err fulfillment_list(struct db *db, struct arena *a, int64_t seller_id, int64_t before, int to_ship,
			  int64_t limit, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_LIST], out, "iiiiiiiii", seller_id, before, (int64_t)to_ship, limit,
		       seller_id, before, (int64_t)to_ship, limit, limit);
}

enum err fulfillment_shipments(struct db *db, struct arena *a, int64_t order_id, int archived, struct db_res **out)
{
	return db_exec(db, a, &sql[archived ? Q_TRACKING_A : Q_TRACKING], out, "i", order_id);
}

/* ---- the retry job ---- */

int fulfillment_retry_batch(struct db *db, struct kv *kv, struct arena *a)
{
	struct db_res *r = NULL;
	int done = 0, ok;
	const char *msg;

	(void)kv;
	if (db_exec(db, a, &sql[Q_RETRY_SHIPMENTS], &r, ""))
		return -1;
	for (size_t i = 0; i < r->nrows; i++) {
		int64_t id = db_int(r, i, 0);

		if (db_exec(db, a, &sql[Q_CLAIM_SHIPMENT], NULL, "i", id))
			return -1;
		if (db_affected(db) != 1)
			continue;	/* another process took it */
		if (capture(db, a, id, "jobs", &ok, &msg) == E_UNAVAIL)
			return -1;
		done++;
	}
	if (db_exec(db, a, &sql[Q_RETRY_REFUNDS], &r, ""))
		return -1;
	for (size_t i = 0; i < r->nrows; i++) {
		int64_t id = db_int(r, i, 0);

		if (db_exec(db, a, &sql[Q_CLAIM_REFUND], NULL, "i", id))
			return -1;
		if (db_affected(db) != 1)
			continue;
		if (fulfillment_refund_attempt(db, a, id, "jobs", &ok, &msg) == E_UNAVAIL)
			return -1;
		done++;
	}
	return done >= 10 ? 1 : 0;
}
