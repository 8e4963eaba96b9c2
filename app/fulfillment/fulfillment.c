/* Fulfillment: the seller's orders, shipments with their captures, delivery,
 * cancellation of unshipped lines and refunds of returned ones. See
 * fulfillment.h for the money and status rules.
 *
 * Every change runs in one transaction that first locks the order row
 * (SELECT ... FOR UPDATE), so two sellers of one order, a retry job and a
 * carrier webhook never decide on a stale picture; inventory rows are then
 * touched in (sku, warehouse) order with guarded updates. Gateway calls
 * happen between transactions, each with an idempotency key derived from the
 * row that asked for it (shipment or refund id), so a retry after a lost
 * answer replays the gateway's answer instead of charging twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../http/cursor.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../store/db.h"
#include "../account/session.h"
#include "../catalog/catalog.h"
#include "../order/order.h"
#include "../payment/payment.h"
#include "../core/sig.h"
#include "fulfillment.h"

#define FF_MAX_LINES	100	/* lines named in one request */
#define FF_LIST_SIZE	20
#define CARRIER_TOLERANCE 300	/* seconds a carrier signature stays valid */

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
/* Orders a seller sees: paid ones (a cancelled one only if it had been paid). */
#define PAID_ORDER "(o.status IN ('confirmed', 'fulfilling', 'shipped', 'delivered', 'returned', 'refunded') " \
	"OR (o.status = 'cancelled' AND o.card_last4 IS NOT NULL))"
#define HEAD_COLS "SELECT o.id, o.status, o.currency, " ISO("o.created_at") ", o.ship_name, o.ship_line1, " \
	"o.ship_line2, o.ship_city, o.ship_region, o.ship_postal_code, o.ship_country, o.shipping_method, " \
	"o.payment_intent, o.total FROM orders o WHERE o.id = ? AND " PAID_ORDER " AND EXISTS " \
	"(SELECT 1 FROM order_lines l WHERE l.order_id = o.id AND l.seller_id = ?)"
enum { H_ID, H_STATUS, H_CUR, H_CREATED, H_NAME, H_LINE1, H_LINE2, H_CITY, H_REGION, H_POSTAL,
       H_COUNTRY, H_METHOD, H_INTENT, H_TOTAL };
#define LINE_COLS "SELECT line_no, code, title, options, unit_price, quantity, discount, tax, state, " \
	"shipment_id, refunded_qty, refunded_amount, sku_id, product_id FROM order_lines " \
	"WHERE order_id = ? AND seller_id = ? ORDER BY line_no"
enum { L_NO, L_CODE, L_TITLE, L_OPTIONS, L_PRICE, L_QTY, L_DISC, L_TAX, L_STATE, L_SHIPMENT,
       L_REFQTY, L_REFAMT, L_SKU, L_PRODUCT };
#define SHIPMENT_COLS "SELECT s.id, s.carrier, s.tracking, s.status, s.amount, s.last_error, s.attempts, " \
	ISO("s.shipped_at") ", " ISO("s.delivered_at") ", " ISO("s.created_at") ", " \
	"(SELECT GROUP_CONCAT(l.line_no ORDER BY l.line_no) FROM order_lines l WHERE l.shipment_id = s.id) " \
	"FROM shipments s WHERE s.order_id = ? "
enum { S_ID, S_CARRIER, S_TRACKING, S_STATUS, S_AMOUNT, S_ERROR, S_ATTEMPTS, S_SHIPPED, S_DELIVERED,
       S_CREATED, S_LINES };
#define BACKOFF "NOW(3) + INTERVAL LEAST(5 * POW(2, LEAST(attempts, 6)), 300) SECOND"

enum {
	Q_LIST, Q_HEAD, Q_HEAD_LOCK, Q_ORDER_LOCK, Q_MYLINES, Q_MYLINES_LOCK, Q_ALL_LINES, Q_COUNTS,
	Q_PICK, Q_SHIP_INS, Q_LINE_ASSIGN, Q_UNASSIGNED, Q_OTHER_PENDING, Q_SET_FINAL, Q_SHIPMENT,
	Q_SHIPMENT_LOCK, Q_SHIPMENT_FAIL, Q_SHIPMENT_SHIPPED, Q_SHIPMENT_LINES, Q_LINES_SHIPPED,
	Q_HOLDS_SKU, Q_INV_SHIP, Q_HOLD_STATE, Q_HOLD_SHRINK, Q_HOLD_SPLIT, Q_INV_LOCK_ROW,
	Q_INV_UNCOMMIT, Q_INV_RESTOCK, Q_MOVEMENT, Q_STOCK_EVENT, Q_LINE_CANCEL,
	Q_MY_SHIPMENTS, Q_TRACKING, Q_MY_SHIPMENT_LOCK, Q_DELIVER, Q_LINES_DELIVER, Q_BY_TRACKING,
	Q_CARRIER_EVENT, Q_REFUND_INS, Q_REFUND_LINE_INS, Q_LINE_REFUND_RESERVE, Q_REFUND,
	Q_REFUND_LOCK, Q_REFUND_LINES, Q_REFUND_DONE, Q_REFUND_SOFT, Q_REFUND_FAILED,
	Q_LINE_UNRESERVE, Q_LINE_RETURNED, Q_MY_REFUNDS, Q_EVENTS, Q_RETRY_SHIPMENTS,
	Q_RETRY_REFUNDS, Q_CLAIM_SHIPMENT, Q_CLAIM_REFUND, Q_SET_PAYST, Q_RETURN_WH, Q_OPEN_LEFT,
	Q_OUTBOX, NQ
};

static struct db_sql sql[NQ] = {
	/* "To ship": lines not shipped of an order still being worked on (a
	 * shopper's cancellation leaves its lines as they were). */
	[Q_LIST] = { "SELECT o.id, o.status, o.currency, " ISO("o.created_at") ", COUNT(*), SUM(l.quantity), "
		     "SUM(l.unit_price * l.quantity), "
		     "SUM(l.state IN ('open', 'picked') AND o.status IN ('confirmed', 'fulfilling')), MIN(l.title) "
		     "FROM order_lines l JOIN orders o ON o.id = l.order_id "
		     "WHERE l.seller_id = ? AND l.order_id < ? AND " PAID_ORDER " "
		     "GROUP BY o.id HAVING ? = 0 OR "
		     "SUM(l.state IN ('open', 'picked') AND o.status IN ('confirmed', 'fulfilling')) > 0 "
		     "ORDER BY o.id DESC LIMIT ?", 0 },
	[Q_HEAD] = { HEAD_COLS, 0 },
	[Q_HEAD_LOCK] = { HEAD_COLS " FOR UPDATE", 0 },
	[Q_ORDER_LOCK] = { "SELECT status, payment_intent, total FROM orders WHERE id = ? FOR UPDATE", 0 },
	[Q_MYLINES] = { LINE_COLS, 0 },
	[Q_MYLINES_LOCK] = { LINE_COLS " FOR UPDATE", 0 },
	[Q_ALL_LINES] = { "SELECT line_no, unit_price * quantity - discount, tax FROM order_lines "
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
	[Q_HOLDS_SKU] = { "SELECT id, warehouse_id, quantity FROM holds WHERE order_id = ? AND sku_id = ? "
			  "AND state = 'committed' ORDER BY warehouse_id FOR UPDATE", 0 },
	[Q_INV_SHIP] = { "UPDATE inventory SET committed = committed - ? WHERE sku_id = ? AND warehouse_id = ? "
			 "AND committed >= ?", 0 },
	[Q_HOLD_STATE] = { "UPDATE holds SET state = ? WHERE id = ?", 0 },
	[Q_HOLD_SHRINK] = { "UPDATE holds SET quantity = quantity - ? WHERE id = ? AND quantity > ?", 0 },
	[Q_HOLD_SPLIT] = { "INSERT INTO holds (order_id, sku_id, warehouse_id, quantity, state, expires_at) "
			   "VALUES (?, ?, ?, ?, ?, NOW(3))", 0 },
	[Q_INV_LOCK_ROW] = { "SELECT available FROM inventory WHERE sku_id = ? AND warehouse_id = ? FOR UPDATE", 0 },
	[Q_INV_UNCOMMIT] = { "UPDATE inventory SET committed = committed - ?, available = available + ? "
			     "WHERE sku_id = ? AND warehouse_id = ? AND committed >= ?", 0 },
	[Q_INV_RESTOCK] = { "UPDATE inventory SET available = available + ? WHERE sku_id = ? AND warehouse_id = ?", 0 },
	[Q_MOVEMENT] = { "INSERT INTO stock_movements (sku_id, warehouse_id, seller_id, delta, available_after, "
			 "reason, actor) VALUES (?, ?, ?, ?, ?, ?, ?)", 0 },
	[Q_STOCK_EVENT] = { "INSERT INTO outbox (topic, aggregate_id, payload) VALUES ('StockChanged', ?, "
			    "JSON_OBJECT('productId', ?, 'orderId', ?, 'reason', ?))", 0 },
	[Q_LINE_CANCEL] = { "UPDATE order_lines SET state = 'cancelled' WHERE order_id = ? AND seller_id = ? "
			    "AND line_no = ? AND state IN ('open', 'picked') AND shipment_id IS NULL", 0 },
	[Q_MY_SHIPMENTS] = { SHIPMENT_COLS "AND s.seller_id = ? ORDER BY s.id", 0 },
	[Q_TRACKING] = { SHIPMENT_COLS "AND s.status <> 'pending' ORDER BY s.id", 0 },
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
	[Q_REFUND] = { "SELECT r.id, r.order_id, r.seller_id, r.status, r.amount, o.payment_intent "
		       "FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = ?", 0 },
	[Q_REFUND_LOCK] = { "SELECT status FROM refunds WHERE id = ? FOR UPDATE", 0 },
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
	[Q_MY_REFUNDS] = { "SELECT r.id, r.amount, r.status, r.last_error, " ISO("r.created_at") ", "
			   "(SELECT GROUP_CONCAT(CONCAT(rl.quantity, ' x line ', rl.line_no) ORDER BY rl.line_no SEPARATOR ', ') "
			   "FROM refund_lines rl WHERE rl.refund_id = r.id) "
			   "FROM refunds r WHERE r.order_id = ? AND r.seller_id = ? ORDER BY r.id", 0 },
	[Q_EVENTS] = { "SELECT from_status, to_status, actor, reason, " ISO("created_at") " FROM order_events "
		       "WHERE order_id = ? ORDER BY id", 0 },
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
	[Q_RETURN_WH] = { "SELECT warehouse_id FROM holds WHERE order_id = ? AND sku_id = ? AND state = 'shipped' "
			  "ORDER BY warehouse_id LIMIT 1", 0 },
	[Q_OPEN_LEFT] = { "SELECT COUNT(*) FROM order_lines WHERE order_id = ? AND state IN ('open', 'picked')", 0 },
	[Q_OUTBOX] = { "INSERT INTO outbox (topic, aggregate_id, payload) VALUES (?, ?, ?)", 0 },
};

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

static const char *ship_label(const char *s)
{
	if (!strcmp(s, "pending"))
		return "Waiting for the payment capture";
	if (!strcmp(s, "shipped"))
		return "On its way";
	if (!strcmp(s, "delivered"))
		return "Delivered";
	return s;
}

static int64_t path_id(struct ctx *c, int i)
{
	int64_t id;
	const char *s = c->req->npathvar > i ? c->req->pathvar[i] : NULL;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

static const char *actor_of(struct ctx *c)
{
	return arena_printf(c->a, "seller:%lld", (long long)c->sess->seller_id);
}

/* What an operation tells the person: 0 = done, else an HTTP status and
 * words. */
struct outcome {
	int status;
	const char *msg;
	int64_t shipment_id, refund_id;
};

static void refuse(struct outcome *o, int status, const char *msg)
{
	o->status = status;
	o->msg = msg;
}

/* The amount of every line of the order (see fulfillment.h): amt[i] for the
 * line numbered no[i]. Arena-owned arrays. */
static enum err line_amounts(struct db *db, struct arena *a, int64_t order_id, int64_t total,
			     int64_t **no, int64_t **amt, size_t *n)
{
	struct db_res *r = NULL;
	int64_t sum = 0, base = 0, rest, given = 0;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_ALL_LINES], &r, "i", order_id)))
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
		e = db_exec(db, a, &sql[Q_OUTBOX], NULL, "sis", "OrderCancelled", order_id,
			    arena_printf(a, "{\"orderId\": %lld}", (long long)order_id));
	return e;
}

/* Moves qty units of sku from the order's committed holds to `to_state`
 * ('shipped': they leave the warehouse; 'released': back to available),
 * lowest warehouse first. Holds are split so that inventory.committed
 * always equals the committed holds. Neither is a stock movement: the
 * units stay the SKU's (on the shelf, or counted as shipped in the holds),
 * which is what keeps movements = available + reserved + committed +
 * shipped (app/reconcile). */
static enum err take_holds(struct db *db, struct arena *a, int64_t order_id, int64_t sku, int64_t qty,
			   const char *to_state)
{
	struct db_res *h = NULL;
	int64_t need = qty;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_HOLDS_SKU], &h, "ii", order_id, sku)))
		return e;
	for (size_t i = 0; i < h->nrows && need > 0; i++) {
		int64_t hid = db_int(h, i, 0), wh = db_int(h, i, 1), hq = db_int(h, i, 2);
		int64_t take = hq < need ? hq : need;

		if (!strcmp(to_state, "shipped")) {
			e = db_exec(db, a, &sql[Q_INV_SHIP], NULL, "iiii", take, sku, wh, take);
		} else {
			struct db_res *inv = NULL;

			if ((e = db_exec(db, a, &sql[Q_INV_LOCK_ROW], &inv, "ii", sku, wh)))
				return e;
			if (!inv->nrows)
				return E_INTERNAL;
			e = db_exec(db, a, &sql[Q_INV_UNCOMMIT], NULL, "iiiii", take, take, sku, wh, take);
		}
		if (e)
			return e;
		if (db_affected(db) != 1)
			return E_CONFLICT;	/* the guard held: committed is short */
		if (take == hq)
			e = db_exec(db, a, &sql[Q_HOLD_STATE], NULL, "si", to_state, hid);
		else if (!(e = db_exec(db, a, &sql[Q_HOLD_SHRINK], NULL, "iii", take, hid, take)))
			e = db_exec(db, a, &sql[Q_HOLD_SPLIT], NULL, "iiiis", order_id, sku, wh, take, to_state);
		if (e)
			return e;
		need -= take;
	}
	if (need > 0) {
		log_err("order %lld: sku %lld: %lld units not in committed holds", (long long)order_id,
			(long long)sku, (long long)need);
		return E_INTERNAL;
	}
	return E_OK;
}

/* StockChanged for a product, its stock_total and read model, in the
 * caller's transaction. */
static enum err stock_changed(struct db *db, struct arena *a, int64_t product_id, int64_t order_id,
			      const char *reason)
{
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_STOCK_EVENT], NULL, "iiis", product_id, product_id, order_id, reason)))
		return e;
	return catalog_refresh_digest(db, a, product_id);	/* stock_total too */
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

/* ---- line selections from a request ---- */

struct sel {
	int64_t line_no, quantity;	/* quantity 0: all that applies */
};

/* The lines a request names: JSON "lines": [1, 2] or [{"line": 1,
 * "quantity": 2}], or form fields line=1&line=2 (a form naming one line may
 * add quantity=). 400 in *o for anything else. */
static void parse_lines(struct ctx *c, struct sel **out, size_t *n, struct outcome *o)
{
	json_t *arr = c->req->json ? json_object_get(c->req->json, "lines") : NULL;
	struct sel *s = arena_alloc(c->a, sizeof(*s) * FF_MAX_LINES);

	*n = 0;
	*out = s;
	if (!s) {
		refuse(o, 500, NULL);
		return;
	}
	if (c->req->json) {
		size_t i;
		json_t *v;

		if (!json_is_array(arr) || !json_array_size(arr) || json_array_size(arr) > FF_MAX_LINES) {
			refuse(o, 400, "lines: a list of 1 to 100 line numbers is required");
			return;
		}
		json_array_foreach(arr, i, v) {
			json_t *ln = json_is_object(v) ? json_object_get(v, "line") : v;
			json_t *q = json_is_object(v) ? json_object_get(v, "quantity") : NULL;

			if (!json_is_integer(ln) || json_integer_value(ln) < 1 || json_integer_value(ln) > 65535 ||
			    (q && (!json_is_integer(q) || json_integer_value(q) < 1 || json_integer_value(q) > 1000000))) {
				refuse(o, 400, arena_printf(c->a, "lines[%zu]: must be a line number (or {\"line\", "
							    "\"quantity\"} with whole numbers)", i));
				return;
			}
			s[*n].line_no = json_integer_value(ln);
			s[*n].quantity = q ? json_integer_value(q) : 0;
			(*n)++;
		}
	} else {
		for (size_t i = 0; i < c->req->nparams; i++) {
			const struct kvpair *p = &c->req->params[i];
			int64_t v;

			if (strcmp(p->key, "line"))
				continue;
			if (*n >= FF_MAX_LINES || parse_int64(p->val, p->vlen, 1, 65535, &v)) {
				refuse(o, 400, "line: must name 1 to 100 lines by number");
				return;
			}
			s[*n].line_no = v;
			s[*n].quantity = 0;
			(*n)++;
		}
		if (!*n) {
			refuse(o, 400, "Choose at least one line.");
			return;
		}
		if (*n == 1 && ctx_has(c, "quantity"))
			s[0].quantity = ctx_int(c, "quantity", 0);
	}
	for (size_t i = 0; i < *n; i++)
		for (size_t j = 0; j < i; j++)
			if (s[i].line_no == s[j].line_no) {
				refuse(o, 400, arena_printf(c->a, "line %lld: named twice", (long long)s[i].line_no));
				return;
			}
}

/* The row of line_no among the seller's locked lines, or -1. */
static long find_line(struct db_res *l, int64_t line_no)
{
	for (size_t i = 0; i < l->nrows; i++)
		if (db_int(l, i, L_NO) == line_no)
			return (long)i;
	return -1;
}

static int workable(const char *status);

/* ---- the seller's view of one order ---- */

/* The seller's view of an order; NULL with *err E_NOTFOUND when it is not
 * theirs (or not there), or the database's error. */
static json_t *seller_order_json(struct ctx *c, int64_t order_id, enum err *err)
{
	struct db_res *h = NULL, *l = NULL, *s = NULL, *rf = NULL, *ev = NULL;
	int64_t sid = c->sess->seller_id;
	json_t *j, *lines, *ships, *refunds, *events;
	int has_open = 0, has_shippable = 0, live;
	const char *status;

	*err = E_NOTFOUND;
	if (!sid || (*err = db_exec(c->db, c->a, &sql[Q_HEAD], &h, "ii", order_id, sid)) || !h->nrows) {
		if (!*err)
			*err = E_NOTFOUND;
		return NULL;
	}
	if ((*err = db_exec(c->db, c->a, &sql[Q_MYLINES], &l, "ii", order_id, sid)) ||
	    (*err = db_exec(c->db, c->a, &sql[Q_MY_SHIPMENTS], &s, "ii", order_id, sid)) ||
	    (*err = db_exec(c->db, c->a, &sql[Q_MY_REFUNDS], &rf, "ii", order_id, sid)) ||
	    (*err = db_exec(c->db, c->a, &sql[Q_EVENTS], &ev, "i", order_id)))
		return NULL;
	status = db_cell(h, 0, H_STATUS);
	live = workable(status);
	j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)order_id, "status", status,
		      "statusLabel", order_status_label(status), "currency", db_cell(h, 0, H_CUR),
		      "createdAt", db_cell(h, 0, H_CREATED), "shippingMethod", db_cell(h, 0, H_METHOD));
	json_object_set_new(j, "shippingAddress", json_pack("{s:s, s:s, s:s?, s:s, s:s?, s:s?, s:s}",
		"name", db_cell(h, 0, H_NAME), "line1", db_cell(h, 0, H_LINE1), "line2", db_cell(h, 0, H_LINE2),
		"city", db_cell(h, 0, H_CITY), "region", db_cell(h, 0, H_REGION),
		"postalCode", db_cell(h, 0, H_POSTAL), "country", db_cell(h, 0, H_COUNTRY)));
	lines = json_array();
	for (size_t i = 0; i < l->nrows; i++) {
		const char *st = db_cell(l, i, L_STATE);
		int unassigned = !db_cell(l, i, L_SHIPMENT);
		int can_pick = live && !strcmp(st, "open");
		int can_ship = live && (!strcmp(st, "open") || !strcmp(st, "picked")) && unassigned;
		int can_refund = (!strcmp(st, "shipped") || !strcmp(st, "delivered")) &&
				 db_int(l, i, L_REFQTY) < db_int(l, i, L_QTY);
		json_t *x = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:I, s:s}",
			"lineNo", (json_int_t)db_int(l, i, L_NO), "itemId", db_cell(l, i, L_CODE),
			"title", db_cell(l, i, L_TITLE), "options", db_cell(l, i, L_OPTIONS),
			"unitPrice", (json_int_t)db_int(l, i, L_PRICE), "quantity", (json_int_t)db_int(l, i, L_QTY),
			"lineTotal", (json_int_t)(db_int(l, i, L_PRICE) * db_int(l, i, L_QTY)),
			"discount", (json_int_t)db_int(l, i, L_DISC), "tax", (json_int_t)db_int(l, i, L_TAX),
			"state", st, "stateLabel", fulfillment_line_label(st),
			"refundedQuantity", (json_int_t)db_int(l, i, L_REFQTY),
			"refundedAmount", (json_int_t)db_int(l, i, L_REFAMT), "currency", db_cell(h, 0, H_CUR));

		json_object_set_new(x, "shipmentId", db_cell(l, i, L_SHIPMENT) ?
				    json_integer(db_int(l, i, L_SHIPMENT)) : json_null());
		json_object_set_new(x, "canPick", json_boolean(can_pick));
		json_object_set_new(x, "canShip", json_boolean(can_ship));
		json_object_set_new(x, "canCancel", json_boolean(can_ship));
		json_object_set_new(x, "canRefund", json_boolean(can_refund));
		if (can_refund)
			json_object_set_new(x, "refundable", json_integer(db_int(l, i, L_QTY) - db_int(l, i, L_REFQTY)));
		has_open |= can_pick;
		has_shippable |= can_ship;
		json_array_append_new(lines, x);
	}
	json_object_set_new(j, "lines", lines);
	json_object_set_new(j, "hasOpen", json_boolean(has_open));
	json_object_set_new(j, "hasShippable", json_boolean(has_shippable));
	ships = json_array();
	for (size_t i = 0; i < s->nrows; i++) {
		const char *st = db_cell(s, i, S_STATUS);

		json_array_append_new(ships, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s?, s:I, s:s?, s:s?, "
						       "s:s, s:s, s:b, s:b, s:b}",
			"id", (json_int_t)db_int(s, i, S_ID), "orderId", (json_int_t)order_id, "carrier", db_cell(s, i, S_CARRIER),
			"tracking", db_cell(s, i, S_TRACKING), "status", st, "statusText", ship_label(st),
			"amount", (json_int_t)db_int(s, i, S_AMOUNT), "currency", db_cell(h, 0, H_CUR),
			"lastError", db_cell(s, i, S_ERROR), "attempts", (json_int_t)db_int(s, i, S_ATTEMPTS),
			"shippedAt", db_cell(s, i, S_SHIPPED), "deliveredAt", db_cell(s, i, S_DELIVERED),
			"createdAt", db_cell(s, i, S_CREATED), "lineNos", db_cell(s, i, S_LINES) ? db_cell(s, i, S_LINES) : "",
			"isPending", !strcmp(st, "pending"), "canRetry", !strcmp(st, "pending"),
			"canDeliver", !strcmp(st, "shipped")));
	}
	json_object_set_new(j, "shipments", ships);
	refunds = json_array();
	for (size_t i = 0; i < rf->nrows; i++)
		json_array_append_new(refunds, json_pack("{s:I, s:I, s:s, s:s, s:s?, s:s, s:s?, s:b}",
			"id", (json_int_t)db_int(rf, i, 0), "amount", (json_int_t)db_int(rf, i, 1),
			"currency", db_cell(h, 0, H_CUR), "status", db_cell(rf, i, 2), "lastError", db_cell(rf, i, 3),
			"createdAt", db_cell(rf, i, 4), "linesText", db_cell(rf, i, 5),
			"canRetry", !strcmp(db_cell(rf, i, 2), "pending")));
	json_object_set_new(j, "refunds", refunds);
	events = json_array();
	for (size_t i = 0; i < ev->nrows; i++)
		json_array_append_new(events, json_pack("{s:s?, s:s, s:s, s:s, s:s}",
			"from", db_cell(ev, i, 0), "to", db_cell(ev, i, 1),
			"statusLabel", order_status_label(db_cell(ev, i, 1)), "reason", db_cell(ev, i, 3),
			"at", db_cell(ev, i, 4)));
	json_object_set_new(j, "events", events);
	json_object_set_new(j, "url", json_string(arena_printf(c->a, "/seller/orders/%lld", (long long)order_id)));
	return j;
}

/* Answers with the seller's order (page or JSON); status and formError
 * when an operation was refused. */
static enum err one(struct ctx *c, int64_t id, int status, const char *error)
{
	enum err err = E_NOTFOUND;
	json_t *o = id ? seller_order_json(c, id, &err) : NULL, *m;

	/* Another seller's order and no order look the same; a database that
	 * failed while reading it is not "no such order". */
	if (!o && err != E_NOTFOUND)
		return err;
	if (!o)
		return reply_error(c, 404, "There is no such order among your orders.");
	if (c->req->wants_json && status >= 400) {
		enum err e = reply_error(c, status, error);

		json_object_set_new(c->resp->model, "order", o);
		return e;
	}
	m = reply_model(c, c->req->wants_json ? NULL : "seller_orders_one",
			arena_printf(c->a, "Order %lld", (long long)id));
	if (!m) {
		json_decref(o);
		return E_NOMEM;
	}
	if (status)
		c->resp->status = status;
	if (c->req->wants_json) {
		json_object_update(m, o);
		json_decref(o);
	} else {
		json_object_set_new(m, "sorder", o);
		if (error)
			json_object_set_new(m, "formError", json_string(error));
	}
	return E_OK;
}

/* The end of a POST: the page again with the refusal, or a redirect with a
 * notice; the API answers the order (or the refusal). */
static enum err finish(struct ctx *c, int64_t id, const struct outcome *o, const char *notice, int ok_status)
{
	if (o->status == 404)
		return reply_error(c, 404, "There is no such order among your orders.");
	if (o->status)
		return one(c, id, o->status, o->msg);
	if (c->req->wants_json)
		return one(c, id, ok_status, NULL);
	session_flash(c, notice);
	return reply_redirect(c, 303, arena_printf(c->a, "/seller/orders/%lld", (long long)id));
}

/* ---- list ---- */

static enum err list(struct ctx *c, const char *view)
{
	int64_t before = INT64_MAX, size = ctx_int(c, "size", FF_LIST_SIZE), sid = c->sess->seller_id;
	const char *cur = ctx_str(c, "cursor"), *filter = ctx_str(c, "filter");
	int to_ship = filter && !strcmp(filter, "to-ship");
	struct db_res *r = NULL;
	json_t *m, *items;
	enum err e;

	if (filter && !to_ship && strcmp(filter, "all"))
		return reply_error(c, 400, "filter: must be all or to-ship");
	if (cur) {
		char *payload = NULL;

		if (cursor_decode(c->a, cur, &payload) || strncmp(payload, "so|", 3) ||
		    parse_int64(payload + 3, strlen(payload + 3), 1, INT64_MAX, &before))
			return reply_error(c, 400, "cursor: is not valid (it may have been altered)");
	}
	if (!(m = reply_model(c, view, "Your orders to fulfil")))
		return E_NOMEM;
	items = json_array();
	if (sid) {
		if ((e = db_exec(c->db, c->a, &sql[Q_LIST], &r, "iiii", sid, before, (int64_t)to_ship, size + 1)))
			return e;
		for (size_t i = 0; i < r->nrows && (int64_t)i < size; i++)
			json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s?, s:s}",
				"id", (json_int_t)db_int(r, i, 0), "status", db_cell(r, i, 1),
				"statusLabel", order_status_label(db_cell(r, i, 1)), "currency", db_cell(r, i, 2),
				"createdAt", db_cell(r, i, 3), "lineCount", (json_int_t)db_int(r, i, 4),
				"units", (json_int_t)db_int(r, i, 5), "goods", (json_int_t)db_int(r, i, 6),
				"toShip", (json_int_t)db_int(r, i, 7), "firstTitle", db_cell(r, i, 8),
				"url", arena_printf(c->a, "/seller/orders/%lld", (long long)db_int(r, i, 0))));
	}
	json_object_set_new(m, c->req->wants_json ? "items" : "sorders", items);
	json_object_set_new(m, "filterToShip", json_boolean(to_ship));
	if (r && (int64_t)r->nrows > size) {
		const char *next = cursor_encode(c->a, arena_printf(c->a, "so|%lld", (long long)db_int(r, size - 1, 0)));

		json_object_set_new(m, "nextCursor", json_string(next));
		json_object_set_new(m, "nextUrl", json_string(arena_printf(c->a, "/seller/orders?cursor=%s%s", next,
									   to_ship ? "&filter=to-ship" : "")));
	} else {
		json_object_set_new(m, "nextCursor", json_null());
	}
	return E_OK;
}

enum err h_seller_orders(struct ctx *c)
{
	return list(c, "seller_orders");
}

enum err h_api_seller_orders(struct ctx *c)
{
	return list(c, NULL);
}

enum err h_seller_order(struct ctx *c)
{
	return one(c, path_id(c, 0), 0, NULL);
}

enum err h_api_seller_order(struct ctx *c)
{
	return one(c, path_id(c, 0), 0, NULL);
}

/* ---- pick ---- */

struct pick {
	struct ctx *c;
	int64_t order_id;
	struct sel *s;
	size_t n;
	struct outcome *o;
};

/* Locks the order (as the seller's) and the seller's lines; 404 in o when
 * the order has none of them. */
static enum err lock_mine(struct ctx *c, int64_t order_id, struct db_res **h, struct db_res **l, struct outcome *o)
{
	enum err e;

	if ((e = db_exec(c->db, c->a, &sql[Q_HEAD_LOCK], h, "ii", order_id, c->sess->seller_id)))
		return e;
	if (!(*h)->nrows) {
		refuse(o, 404, NULL);
		return E_OK;
	}
	return db_exec(c->db, c->a, &sql[Q_MYLINES_LOCK], l, "ii", order_id, c->sess->seller_id);
}

static int workable(const char *status)
{
	return !strcmp(status, "confirmed") || !strcmp(status, "fulfilling");
}

static enum err tx_pick(struct db *db, void *p)
{
	struct pick *pk = p;
	struct ctx *c = pk->c;
	struct db_res *h = NULL, *l = NULL;
	enum err e;

	memset(pk->o, 0, sizeof(*pk->o));
	if ((e = lock_mine(c, pk->order_id, &h, &l, pk->o)) || pk->o->status)
		return e;
	if (!workable(db_cell(h, 0, H_STATUS))) {
		refuse(pk->o, 409, arena_printf(c->a, "This order cannot be picked (it is %s).",
						order_status_label(db_cell(h, 0, H_STATUS))));
		return E_OK;
	}
	for (size_t i = 0; i < pk->n; i++) {
		long row = find_line(l, pk->s[i].line_no);

		if (row < 0) {
			refuse(pk->o, 400, arena_printf(c->a, "line %lld: is not one of your lines of this order",
							(long long)pk->s[i].line_no));
			return E_OK;
		}
		if (strcmp(db_cell(l, row, L_STATE), "open")) {
			refuse(pk->o, 409, arena_printf(c->a, "line %lld: cannot be picked (it is %s)",
							(long long)pk->s[i].line_no,
							fulfillment_line_label(db_cell(l, row, L_STATE))));
			return E_OK;
		}
		if ((e = db_exec(db, c->a, &sql[Q_PICK], NULL, "iii", pk->order_id, c->sess->seller_id,
				 pk->s[i].line_no)))
			return e;
	}
	return settle_status(db, c->a, pk->order_id, actor_of(c), "the seller started picking");
}

static enum err pick(struct ctx *c, int64_t id, struct outcome *o)
{
	struct pick pk = { c, id, NULL, 0, o };

	memset(o, 0, sizeof(*o));
	parse_lines(c, &pk.s, &pk.n, o);
	if (o->status)
		return E_OK;
	return db_tx(c->db, tx_pick, &pk);
}

enum err h_seller_pick(struct ctx *c)
{
	struct outcome o;
	int64_t id = path_id(c, 0);
	enum err e = pick(c, id, &o);

	return e ? e : finish(c, id, &o, "The lines are marked picked.", 200);
}

enum err h_api_seller_pick(struct ctx *c)
{
	return h_seller_pick(c);
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
	int64_t last_product = 0;
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
	for (size_t i = 0; i < l->nrows; i++)
		if ((e = take_holds(db, a, sp->order_id, db_int(l, i, 1), db_int(l, i, 2), "shipped")))
			return e;
	for (size_t i = 0; i < l->nrows; i++) {
		int64_t pid = db_int(l, i, 3);

		if (pid == last_product)
			continue;
		last_product = pid;
		if ((e = stock_changed(db, a, pid, sp->order_id, "shipped")))
			return e;
	}
	if ((e = db_exec(db, a, &sql[Q_LINES_SHIPPED], NULL, "i", sp->shipment_id)) ||
	    (e = db_exec(db, a, &sql[Q_SET_PAYST], NULL, "si", sp->pay_status, sp->order_id)) ||
	    (e = db_exec(db, a, &sql[Q_OUTBOX], NULL, "sis", "ShipmentShipped", sp->order_id,
			 arena_printf(a, "{\"orderId\": %lld, \"shipmentId\": %lld}", (long long)sp->order_id,
				      (long long)sp->shipment_id))))
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
	struct ctx *c;
	int64_t order_id;
	struct sel *s;
	size_t n;
	const char *carrier, *tracking;
	struct outcome *o;
};

static enum err tx_ship(struct db *db, void *p)
{
	struct ship *sh = p;
	struct ctx *c = sh->c;
	struct db_res *h = NULL, *l = NULL, *r = NULL;
	int64_t *no, *amt, amount = 0, sid;
	size_t n;
	enum err e;

	memset(sh->o, 0, sizeof(*sh->o));
	if ((e = lock_mine(c, sh->order_id, &h, &l, sh->o)) || sh->o->status)
		return e;
	if (!workable(db_cell(h, 0, H_STATUS))) {
		refuse(sh->o, 409, arena_printf(c->a, "This order cannot be shipped (it is %s).",
						order_status_label(db_cell(h, 0, H_STATUS))));
		return E_OK;
	}
	if ((e = line_amounts(db, c->a, sh->order_id, db_int(h, 0, H_TOTAL), &no, &amt, &n)))
		return e;
	for (size_t i = 0; i < sh->n; i++) {
		long row = find_line(l, sh->s[i].line_no);
		const char *st;

		if (row < 0) {
			refuse(sh->o, 400, arena_printf(c->a, "line %lld: is not one of your lines of this order",
							(long long)sh->s[i].line_no));
			return E_OK;
		}
		st = db_cell(l, row, L_STATE);
		if ((strcmp(st, "open") && strcmp(st, "picked")) || db_cell(l, row, L_SHIPMENT)) {
			refuse(sh->o, 409, arena_printf(c->a, "line %lld: cannot be shipped (it is %s%s)",
							(long long)sh->s[i].line_no, fulfillment_line_label(st),
							db_cell(l, row, L_SHIPMENT) ? ", in a shipment already" : ""));
			return E_OK;
		}
		amount += amount_of(no, amt, n, sh->s[i].line_no);
	}
	e = db_exec(db, c->a, &sql[Q_SHIP_INS], NULL, "iissi", sh->order_id, c->sess->seller_id, sh->carrier,
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
		if ((e = db_exec(db, c->a, &sql[Q_LINE_ASSIGN], NULL, "iiii", sid, sh->order_id, c->sess->seller_id,
				 sh->s[i].line_no)))
			return e;
		if (db_affected(db) != 1)
			return E_CONFLICT;
	}
	/* The last lines to go: this capture releases what is left, unless
	 * another shipment still waits for its own capture. */
	if ((e = db_exec(db, c->a, &sql[Q_UNASSIGNED], &r, "i", sh->order_id)))
		return e;
	if (!db_int(r, 0, 0)) {
		if ((e = db_exec(db, c->a, &sql[Q_OTHER_PENDING], &r, "ii", sh->order_id, sid)))
			return e;
		if (!db_int(r, 0, 0) && (e = db_exec(db, c->a, &sql[Q_SET_FINAL], NULL, "i", sid)))
			return e;
	}
	return settle_status(db, c->a, sh->order_id, actor_of(c), "the seller is preparing a shipment");
}

static enum err ship(struct ctx *c, int64_t id, struct outcome *o)
{
	struct ship sh = { c, id, NULL, 0, ctx_str(c, "carrier"), ctx_str(c, "tracking"), o };
	int ok;
	const char *msg;
	enum err e;

	memset(o, 0, sizeof(*o));
	if (!sh.carrier || !sh.tracking) {
		refuse(o, 400, !sh.carrier ? "carrier: is required" : "tracking: is required");
		return E_OK;
	}
	parse_lines(c, &sh.s, &sh.n, o);
	if (o->status)
		return E_OK;
	if ((e = db_tx(c->db, tx_ship, &sh)) || o->status)
		return e;
	if ((e = capture(c->db, c->a, o->shipment_id, actor_of(c), &ok, &msg)))
		return e;
	if (!ok)
		refuse(o, 502, msg);
	return E_OK;
}

enum err h_seller_ship(struct ctx *c)
{
	struct outcome o;
	int64_t id = path_id(c, 0);
	enum err e = ship(c, id, &o);

	if (e == E_CONFLICT) {
		memset(&o, 0, sizeof(o));
		refuse(&o, 409, "The order changed meanwhile; please look again.");
		e = E_OK;
	}
	return e ? e : finish(c, id, &o, "Shipped: the payment for these lines is captured.", 201);
}

enum err h_api_seller_ship(struct ctx *c)
{
	struct outcome o;
	int64_t id = path_id(c, 0);
	enum err e = ship(c, id, &o);

	if (e == E_CONFLICT) {
		memset(&o, 0, sizeof(o));
		refuse(&o, 409, "The order changed meanwhile; please look again.");
		e = E_OK;
	}
	if (e)
		return e;
	if (o.status == 502 || (!o.status && o.shipment_id)) {
		/* The shipment (pending or shipped) with the order. */
		json_t *sh = NULL, *ships;
		size_t i;
		json_t *v;

		if ((e = one(c, id, o.status ? 502 : 201, o.msg)))
			return e;
		ships = json_object_get(o.status ? json_object_get(c->resp->model, "order") : c->resp->model,
					"shipments");
		json_array_foreach(ships, i, v)
			if (json_integer_value(json_object_get(v, "id")) == o.shipment_id)
				sh = v;
		if (sh)
			json_object_set(c->resp->model, "shipment", sh);
		return E_OK;
	}
	return finish(c, id, &o, NULL, 201);
}

/* The retry button (and its API): one more capture attempt now. */
static enum err retry(struct ctx *c, int64_t id, int64_t sid, struct outcome *o)
{
	struct db_res *h = NULL, *s = NULL;
	int ok;
	const char *msg;
	enum err e;

	memset(o, 0, sizeof(*o));
	if ((e = db_exec(c->db, c->a, &sql[Q_HEAD], &h, "ii", id, c->sess->seller_id)))
		return e;
	if (!h->nrows || !sid)
		return refuse(o, 404, NULL), E_OK;
	if ((e = db_exec(c->db, c->a, &sql[Q_SHIPMENT], &s, "i", sid)))
		return e;
	if (!s->nrows || db_int(s, 0, 1) != id || db_int(s, 0, 2) != c->sess->seller_id)
		return refuse(o, 404, NULL), E_OK;
	o->shipment_id = sid;
	if ((e = capture(c->db, c->a, sid, actor_of(c), &ok, &msg)))
		return e;
	if (!ok)
		refuse(o, 502, msg);
	return E_OK;
}

enum err h_seller_retry(struct ctx *c)
{
	struct outcome o;
	int64_t id = path_id(c, 0);
	enum err e = retry(c, id, path_id(c, 1), &o);

	if (o.status == 404)
		return reply_error(c, 404, "There is no such shipment among your orders.");
	return e ? e : finish(c, id, &o, "Shipped: the payment for these lines is captured.", 200);
}

enum err h_api_seller_retry(struct ctx *c)
{
	return h_seller_retry(c);
}

/* ---- delivery ---- */

struct deliver {
	int64_t order_id, shipment_id, seller_id;	/* seller 0: the carrier */
	const char *actor;
	struct arena *a;
	struct outcome *o;
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
	    (e = db_exec(db, d->a, &sql[Q_LINES_DELIVER], NULL, "i", d->shipment_id)))
		return e;
	return settle_status(db, d->a, d->order_id, d->actor,
			     arena_printf(d->a, "shipment %lld delivered", (long long)d->shipment_id));
}

enum err h_seller_delivered(struct ctx *c)
{
	struct outcome o;
	int64_t id = path_id(c, 0);
	struct deliver d = { id, path_id(c, 1), c->sess->seller_id, actor_of(c), c->a, &o };
	enum err e;

	memset(&o, 0, sizeof(o));
	if (!id || !d.shipment_id || !d.seller_id)
		return reply_error(c, 404, "There is no such shipment among your orders.");
	if ((e = db_tx(c->db, tx_deliver, &d)))
		return e;
	if (o.status == 404)
		return reply_error(c, 404, "There is no such shipment among your orders.");
	return finish(c, id, &o, "The shipment is marked delivered.", 200);
}

enum err h_api_seller_delivered(struct ctx *c)
{
	return h_seller_delivered(c);
}

/* ---- the carrier webhook ---- */

static char *carrier_secret;

/* SHOP_CARRIER_SECRET, else the file SHOP_CARRIER_SECRET_FILE (default
 * $SHOP_HOME/carrier-secret). Read until found, then kept. */
static const char *secret(void)
{
	const char *env = getenv("SHOP_CARRIER_SECRET"), *file = getenv("SHOP_CARRIER_SECRET_FILE");
	char path[4096], buf[256];
	FILE *f;
	size_t n;

	if (carrier_secret)
		return carrier_secret;
	if (env && *env)
		return carrier_secret = strdup(env);
	snprintf(path, sizeof(path), "%s", file && *file ? file : "");
	if (!*path && config.home)
		snprintf(path, sizeof(path), "%s/carrier-secret", config.home);
	if (!*path || !(f = fopen(path, "r")))
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return n ? (carrier_secret = strdup(buf)) : NULL;
}

/* A carrier's "t=..,v1=.." signature, at most the tolerance away from now.
 * 0 when genuine. */
static int verify(const char *header, const char *body, size_t len, int64_t now)
{
	return sig_verify(secret(), header, body, len, now, CARRIER_TOLERANCE);
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

static const char *json_str(json_t *o, const char *k, size_t max)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s && *s && strlen(s) <= max ? s : NULL;
}

enum err h_api_carrier_event(struct ctx *c)
{
	json_t *ev = c->req->json, *m;
	struct carrier_ev ce;
	struct outcome o;
	struct db_res *s = NULL;
	enum err e;

	memset(&ce, 0, sizeof(ce));
	memset(&o, 0, sizeof(o));
	if (verify(c->req->carrier_signature, c->req->body ? c->req->body : "", c->req->body_len, (int64_t)time(NULL)))
		return reply_error(c, 401, "The signature is missing, wrong or too old.");
	ce.id = json_str(ev, "id", 64);
	ce.type = json_str(ev, "type", 32);
	ce.carrier = json_str(ev, "carrier", 32);
	ce.tracking = json_str(ev, "tracking", 64);
	if (!ce.id || !ce.type || !ce.carrier || !ce.tracking)
		return reply_error(c, 400, "An event needs id, type, carrier and tracking (strings).");
	if ((e = db_exec(c->db, c->a, &sql[Q_BY_TRACKING], &s, "ss", ce.carrier, ce.tracking)))
		return e;
	if (!s->nrows)
		return reply_error(c, 404, "No shipment has this carrier and tracking number.");
	ce.d = (struct deliver){ db_int(s, 0, 1), db_int(s, 0, 0), 0, arena_printf(c->a, "carrier:%s", ce.carrier),
				 c->a, &o };
	e = db_tx(c->db, tx_carrier, &ce);
	if (e && !(e == E_CONFLICT && o.status))
		return e;
	if (o.status == 409)
		return reply_error(c, 409, o.msg);
	if (o.status)
		return reply_error(c, o.status, NULL);
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_set_new(m, "received", json_true());
	if (ce.duplicate)
		json_object_set_new(m, "duplicate", json_true());
	return E_OK;
}

/* ---- cancel and refund ---- */

struct refund_req {
	struct ctx *c;
	int64_t order_id;
	struct sel *s;
	size_t n;
	int cancelled, refunding;
	struct outcome *o;
};

static enum err tx_refund_req(struct db *db, void *p)
{
	struct refund_req *rq = p;
	struct ctx *c = rq->c;
	struct db_res *h = NULL, *l = NULL;
	int64_t *no, *amt, total = 0, rid = 0, sid = c->sess->seller_id;
	size_t n;
	enum err e;

	memset(rq->o, 0, sizeof(*rq->o));
	rq->cancelled = rq->refunding = 0;
	if ((e = lock_mine(c, rq->order_id, &h, &l, rq->o)) || rq->o->status)
		return e;
	if ((e = line_amounts(db, c->a, rq->order_id, db_int(h, 0, H_TOTAL), &no, &amt, &n)))
		return e;
	/* First check everything, then change: one refusal changes nothing. */
	for (size_t i = 0; i < rq->n; i++) {
		long row = find_line(l, rq->s[i].line_no);
		const char *st;
		int64_t left;

		if (row < 0) {
			refuse(rq->o, 400, arena_printf(c->a, "line %lld: is not one of your lines of this order",
							(long long)rq->s[i].line_no));
			return E_OK;
		}
		st = db_cell(l, row, L_STATE);
		left = db_int(l, row, L_QTY) - db_int(l, row, L_REFQTY);
		if ((!strcmp(st, "open") || !strcmp(st, "picked")) && !db_cell(l, row, L_SHIPMENT)) {
			if (workable(db_cell(h, 0, H_STATUS)))
				continue;
			refuse(rq->o, 409, arena_printf(c->a, "This order cannot be changed (it is %s).",
							order_status_label(db_cell(h, 0, H_STATUS))));
			return E_OK;
		}
		if ((strcmp(st, "shipped") && strcmp(st, "delivered")) || left <= 0) {
			refuse(rq->o, 409, arena_printf(c->a, "line %lld: cannot be %s (it is %s%s)",
				(long long)rq->s[i].line_no, strcmp(st, "picked") ? "refunded" : "cancelled",
				fulfillment_line_label(st), db_cell(l, row, L_SHIPMENT) && !strcmp(st, "picked") ?
				", in a shipment waiting for its capture" : ""));
			return E_OK;
		}
		if (rq->s[i].quantity > left) {
			refuse(rq->o, 400, arena_printf(c->a, "line %lld: at most %lld units can be refunded",
							(long long)rq->s[i].line_no, (long long)left));
			return E_OK;
		}
	}
	int64_t *money = arena_alloc(c->a, sizeof(int64_t) * (rq->n + 1));
	int64_t *units = arena_alloc(c->a, sizeof(int64_t) * (rq->n + 1));

	if (!money || !units)
		return E_NOMEM;
	for (size_t i = 0; i < rq->n; i++) {
		long row = find_line(l, rq->s[i].line_no);
		const char *st = db_cell(l, row, L_STATE);
		int64_t qty = db_int(l, row, L_QTY), from = db_int(l, row, L_REFQTY);

		money[i] = units[i] = 0;
		if (!strcmp(st, "open") || !strcmp(st, "picked")) {
			/* Not shipped: committed units back to available, nothing
			 * captured for them. */
			if ((e = db_exec(db, c->a, &sql[Q_LINE_CANCEL], NULL, "iii", rq->order_id, sid, rq->s[i].line_no)))
				return e;
			if (db_affected(db) != 1)
				return E_CONFLICT;
			if ((e = take_holds(db, c->a, rq->order_id, db_int(l, row, L_SKU), qty, "released")) ||
			    (e = stock_changed(db, c->a, db_int(l, row, L_PRODUCT), rq->order_id, "line cancelled")))
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
		if ((e = db_exec(db, c->a, &sql[Q_REFUND_INS], NULL, "iii", rq->order_id, sid, total)))
			return e;
		rid = (int64_t)db_insert_id(db);
		for (size_t i = 0; i < rq->n; i++) {
			if (!units[i])
				continue;
			if ((e = db_exec(db, c->a, &sql[Q_LINE_REFUND_RESERVE], NULL, "iiiiii", units[i], money[i],
					 rq->order_id, sid, rq->s[i].line_no, units[i])))
				return e;
			if (db_affected(db) != 1)
				return E_CONFLICT;
			if ((e = db_exec(db, c->a, &sql[Q_REFUND_LINE_INS], NULL, "iiii", rid, rq->s[i].line_no,
					 units[i], money[i])))
				return e;
		}
		if ((e = db_exec(db, c->a, &sql[Q_OUTBOX], NULL, "sis", "RefundRequested", rq->order_id,
				 arena_printf(c->a, "{\"orderId\": %lld, \"refundId\": %lld, \"amount\": %lld}",
					      (long long)rq->order_id, (long long)rid, (long long)total))))
			return e;
	} else if (rq->refunding) {
		refuse(rq->o, 409, "Nothing was paid for these units, so there is nothing to refund.");
		return E_OK;
	}
	rq->o->refund_id = rid;
	return rq->cancelled ? settle_status(db, c->a, rq->order_id, actor_of(c), "the seller cancelled lines not shipped")
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
	int64_t last_product = 0;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_ORDER_LOCK], &o, "i", re->order_id)) ||
	    (e = db_exec(db, a, &sql[Q_REFUND_LOCK], &r, "i", re->refund_id)))
		return e;
	if (!r->nrows || strcmp(db_cell(r, 0, 0), "pending"))
		return E_OK;
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
		return db_exec(db, a, &sql[Q_REFUND_FAILED], NULL, "si", re->error, re->refund_id);
	}
	if ((e = db_exec(db, a, &sql[Q_REFUND_DONE], NULL, "si", re->gateway_id, re->refund_id)))
		return e;
	/* The units come back into stock where they left from (rows locked
	 * in sku order), one movement each. */
	for (size_t i = 0; i < l->nrows; i++) {
		struct db_res *w = NULL, *inv = NULL;
		int64_t sku = db_int(l, i, 3), k = db_int(l, i, 1), wh;

		if ((e = db_exec(db, a, &sql[Q_RETURN_WH], &w, "ii", re->order_id, sku)))
			return e;
		if (!w->nrows)
			return E_INTERNAL;
		wh = db_int(w, 0, 0);
		if ((e = db_exec(db, a, &sql[Q_INV_LOCK_ROW], &inv, "ii", sku, wh)))
			return e;
		if (!inv->nrows)
			return E_INTERNAL;
		if ((e = db_exec(db, a, &sql[Q_INV_RESTOCK], NULL, "iii", k, sku, wh)))
			return e;
		if (db_affected(db) != 1)
			return E_INTERNAL;
		if ((e = db_exec(db, a, &sql[Q_MOVEMENT], NULL, "iiiiiss", sku, wh, re->seller_id, k,
				 db_int(inv, 0, 0) + k, "returned units restocked",
				 arena_printf(a, "refund:order:%lld", (long long)re->order_id))) ||
		    (e = db_exec(db, a, &sql[Q_LINE_RETURNED], NULL, "ii", re->order_id, db_int(l, i, 0))))
			return e;
	}
	for (size_t i = 0; i < l->nrows; i++) {
		int64_t pid = db_int(l, i, 4);

		if (pid == last_product)
			continue;
		last_product = pid;
		if ((e = stock_changed(db, a, pid, re->order_id, "returned")))
			return e;
	}
	if ((e = db_exec(db, a, &sql[Q_OUTBOX], NULL, "sis", "RefundSucceeded", re->order_id,
			 arena_printf(a, "{\"orderId\": %lld, \"refundId\": %lld}", (long long)re->order_id,
				      (long long)re->refund_id))))
		return e;
	return settle_status(db, a, re->order_id, re->actor,
			     arena_printf(a, "refund %lld: returned units refunded", (long long)re->refund_id));
}

/* One gateway attempt for a pending refund; *ok as for capture(). */
static enum err refund_run(struct db *db, struct arena *a, int64_t refund_id, const char *actor, int *ok,
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
	e = payment_refund(a, arena_printf(a, "refund-%lld", (long long)refund_id), db_cell(r, 0, 5) ? db_cell(r, 0, 5) : "",
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

static enum err refund(struct ctx *c, int64_t id, struct outcome *o)
{
	struct refund_req rq = { c, id, NULL, 0, 0, 0, o };
	int ok;
	const char *msg;
	enum err e;

	memset(o, 0, sizeof(*o));
	parse_lines(c, &rq.s, &rq.n, o);
	if (o->status)
		return E_OK;
	e = db_tx(c->db, tx_refund_req, &rq);
	if (e == E_CONFLICT) {
		refuse(o, 409, "The order changed meanwhile; please look again.");
		return E_OK;
	}
	if (e || o->status)
		return e;
	if (rq.cancelled)
		release_rest(c->db, c->a, id);
	if (!o->refund_id)
		return E_OK;
	if ((e = refund_run(c->db, c->a, o->refund_id, actor_of(c), &ok, &msg)))
		return e;
	if (!ok)
		refuse(o, 502, msg);
	return E_OK;
}

enum err h_seller_refund(struct ctx *c)
{
	struct outcome o;
	int64_t id = path_id(c, 0);
	enum err e = refund(c, id, &o);

	return e ? e : finish(c, id, &o, "Done: cancelled lines are back in stock, returned lines refunded and restocked.",
			      200);
}

enum err h_api_seller_refund(struct ctx *c)
{
	struct outcome o;
	int64_t id = path_id(c, 0);
	enum err e = refund(c, id, &o);

	if (e)
		return e;
	if (o.status && o.status != 502)
		return finish(c, id, &o, NULL, 201);
	if ((e = one(c, id, o.status ? 502 : 201, o.msg)))
		return e;
	if (o.refund_id) {
		json_t *refunds = json_object_get(o.status ? json_object_get(c->resp->model, "order") : c->resp->model,
						  "refunds"), *v;
		size_t i;

		json_array_foreach(refunds, i, v)
			if (json_integer_value(json_object_get(v, "id")) == o.refund_id)
				json_object_set(c->resp->model, "refund", v);
	}
	return E_OK;
}

/* ---- the shopper's tracking ---- */

json_t *fulfillment_tracking_json(struct db *db, struct arena *a, int64_t order_id)
{
	struct db_res *s = NULL;
	json_t *arr = json_array();

	if (db_exec(db, a, &sql[Q_TRACKING], &s, "i", order_id))
		return arr;
	for (size_t i = 0; i < s->nrows; i++) {
		json_t *nos = json_array();
		const char *p = db_cell(s, i, S_LINES);

		while (p && *p) {
			json_array_append_new(nos, json_integer(strtoll(p, NULL, 10)));
			p = strchr(p, ',');
			p = p ? p + 1 : NULL;
		}
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s?, s:s?}",
			"id", (json_int_t)db_int(s, i, S_ID), "carrier", db_cell(s, i, S_CARRIER),
			"tracking", db_cell(s, i, S_TRACKING), "status", db_cell(s, i, S_STATUS),
			"statusText", ship_label(db_cell(s, i, S_STATUS)), "lineNos", nos,
			"shippedAt", db_cell(s, i, S_SHIPPED), "deliveredAt", db_cell(s, i, S_DELIVERED)));
	}
	return arr;
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
		if (refund_run(db, a, id, "jobs", &ok, &msg) == E_UNAVAIL)
			return -1;
		done++;
	}
	return done >= 10 ? 1 : 0;
}
