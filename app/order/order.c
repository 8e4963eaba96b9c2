/* Orders: state machine, holds, pages, API, cancellation, expiry. See
 * order.h; the checkout saga that creates orders is app/checkout/checkout.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../http/cursor.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../store/db.h"
#include "../account/session.h"
#include "../cart/cart.h"
#include "../catalog/catalog.h"
#include "../checkout/pricing.h"
#include "../mail/mail.h"
#include "../payment/payment.h"
#include "../fulfillment/fulfillment.h"
#include "order.h"

enum {
	Q_INV_LOCK, Q_INV_RESERVE, Q_HOLD_INS, Q_HOLDS_OF, Q_INV_COMMIT, Q_INV_UNRESERVE,
	Q_INV_UNCOMMIT, Q_HOLD_STATE, Q_PRODUCTS_OF, Q_ORDER_LOCK, Q_SET_STATUS,
	Q_EVENT, Q_BY_INTENT, Q_SET_PAID, Q_SET_DECLINED, Q_USER, Q_OUTBOX, Q_EXPIRED, Q_ORDER,
	Q_LINES, Q_EVENTS, Q_LIST, Q_SKUS_OF, Q_CLEAR_EXPIRY, Q_STOCK_EVENTS, Q_STATE, Q_LINES_CANCEL,
	Q_LINK_INTENT, Q_SET_PAYST, Q_STRAY_HOLD, NQ
};

#define ORDER_COLS "id, user_id, status, currency, subtotal, shipping, tax, discount, total, " \
	"shipping_method, ship_name, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, " \
	"ship_country, promo_code, payment_intent, payment_status, card_brand, card_last4, payment_error, " \
	"hosted_url, UNIX_TIMESTAMP(hold_expires_at), DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ')"
enum { O_ID, O_USER, O_STATUS, O_CUR, O_SUB, O_SHIP, O_TAX, O_DISC, O_TOTAL, O_METHOD, O_NAME,
       O_LINE1, O_LINE2, O_CITY, O_REGION, O_POSTAL, O_COUNTRY, O_PROMO, O_INTENT, O_PAYST,
       O_BRAND, O_LAST4, O_PAYERR, O_HOSTED, O_EXPIRES, O_CREATED };

static struct db_sql sql[NQ] = {
	[Q_INV_LOCK] = { "SELECT warehouse_id, available FROM inventory WHERE sku_id = ? "
			 "ORDER BY warehouse_id FOR UPDATE", 0 },
	[Q_INV_RESERVE] = { "UPDATE inventory SET available = available - ?, reserved = reserved + ? "
			    "WHERE sku_id = ? AND warehouse_id = ? AND available >= ?", 0 },
	[Q_HOLD_INS] = { "INSERT INTO holds (order_id, sku_id, warehouse_id, quantity, expires_at) "
			 "VALUES (?, ?, ?, ?, FROM_UNIXTIME(?))", 0 },
	[Q_HOLDS_OF] = { "SELECT id, sku_id, warehouse_id, quantity, state FROM holds "
			 "WHERE order_id = ? AND state IN ('held', 'committed') ORDER BY sku_id, warehouse_id FOR UPDATE", 0 },
	[Q_INV_COMMIT] = { "UPDATE inventory SET reserved = reserved - ?, committed = committed + ? "
			   "WHERE sku_id = ? AND warehouse_id = ? AND reserved >= ?", 0 },
	[Q_INV_UNRESERVE] = { "UPDATE inventory SET reserved = reserved - ?, available = available + ? "
			      "WHERE sku_id = ? AND warehouse_id = ? AND reserved >= ?", 0 },
	[Q_INV_UNCOMMIT] = { "UPDATE inventory SET committed = committed - ?, available = available + ? "
			     "WHERE sku_id = ? AND warehouse_id = ? AND committed >= ?", 0 },
	[Q_HOLD_STATE] = { "UPDATE holds SET state = ? WHERE id = ?", 0 },
	[Q_PRODUCTS_OF] = { "SELECT DISTINCT product_id FROM order_lines WHERE order_id = ? ORDER BY product_id", 0 },
	[Q_ORDER_LOCK] = { "SELECT status, user_id, payment_intent FROM orders WHERE id = ? FOR UPDATE", 0 },
	[Q_STATE] = { "SELECT status, payment_intent FROM orders WHERE id = ? AND user_id = ?", 0 },
	[Q_SET_STATUS] = { "UPDATE orders SET status = ? WHERE id = ?", 0 },
	[Q_EVENT] = { "INSERT INTO order_events (order_id, from_status, to_status, actor, reason) "
		      "VALUES (?, ?, ?, ?, ?)", 0 },
	[Q_BY_INTENT] = { "SELECT id, status, user_id, total, currency FROM orders WHERE payment_intent = ? FOR UPDATE", 0 },
	[Q_SET_PAID] = { "UPDATE orders SET payment_status = 'requires_capture', card_brand = ?, card_last4 = ?, "
			 "payment_error = NULL, hold_expires_at = NULL WHERE id = ?", 0 },
	[Q_SET_DECLINED] = { "UPDATE orders SET payment_status = 'requires_payment_method', payment_error = ? "
			     "WHERE id = ?", 0 },
	[Q_USER] = { "SELECT email, name FROM users WHERE id = ?", 0 },
	[Q_OUTBOX] = { "INSERT INTO outbox (topic, aggregate_id, payload) VALUES (?, ?, ?)", 0 },
	[Q_EXPIRED] = { "SELECT o.id, o.payment_intent FROM orders o "
			"WHERE o.status IN ('pending_payment', 'payment_failed') AND o.hold_expires_at < NOW(3) "
			"AND NOT EXISTS (SELECT 1 FROM checkouts k WHERE k.order_id = o.id "
			"AND k.state IN ('reserved', 'authorizing')) "
			"ORDER BY o.hold_expires_at LIMIT 20", 0 },
	[Q_ORDER] = { "SELECT " ORDER_COLS " FROM orders WHERE id = ?", 0 },
	[Q_LINES] = { "SELECT line_no, code, title, options, unit_price, quantity, discount, tax, product_id, "
		      "state, refunded_qty "
		      "FROM order_lines WHERE order_id = ? ORDER BY line_no", 0 },
	[Q_EVENTS] = { "SELECT from_status, to_status, actor, reason, "
		       "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') FROM order_events WHERE order_id = ? ORDER BY id", 0 },
	[Q_LIST] = { "SELECT o.id, o.status, o.total, o.currency, DATE_FORMAT(o.created_at, '%Y-%m-%dT%H:%i:%sZ'), "
		     "(SELECT SUM(quantity) FROM order_lines l WHERE l.order_id = o.id), "
		     "(SELECT title FROM order_lines l WHERE l.order_id = o.id ORDER BY line_no LIMIT 1) "
		     "FROM orders o WHERE o.user_id = ? AND o.id < ? ORDER BY o.id DESC LIMIT ?", 0 },
	[Q_SKUS_OF] = { "SELECT JSON_ARRAYAGG(sku_id) FROM order_lines WHERE order_id = ?", 0 },
	[Q_CLEAR_EXPIRY] = { "UPDATE orders SET hold_expires_at = NULL WHERE id = ?", 0 },
	/* An intent the gateway holds for an order whose saga never stored
	 * the gateway's answer (lost, or still on its way): linked when the
	 * order has none yet and the amount is the order's. */
	[Q_LINK_INTENT] = { "UPDATE orders SET payment_intent = ? WHERE id = ? AND payment_intent IS NULL "
			    "AND total = ? AND currency = UPPER(?)", 0 },
	[Q_SET_PAYST] = { "UPDATE orders SET payment_status = ? WHERE id = ? AND payment_intent = ?", 0 },
	[Q_STRAY_HOLD] = { "SELECT h.sku_id, h.warehouse_id, h.quantity, o.status FROM holds h "
			   "JOIN orders o ON o.id = h.order_id WHERE h.id = ? AND h.state = 'held' FOR UPDATE", 0 },
	/* A released order ships nothing: its lines say so. */
	[Q_LINES_CANCEL] = { "UPDATE order_lines SET state = 'cancelled' WHERE order_id = ? AND state IN ('open', 'picked')", 0 },
	/* One StockChanged event per product of the order (for the search
	 * index and caches), in the transaction that moved its units. */
	[Q_STOCK_EVENTS] = { "INSERT INTO outbox (topic, aggregate_id, payload) "
			     "SELECT 'StockChanged', product_id, JSON_OBJECT('productId', product_id, 'orderId', order_id, "
			     "'reason', ?) FROM order_lines WHERE order_id = ? GROUP BY product_id, order_id", 0 },
};

void order_init(void)
{
	db_register(sql, NQ);
}

/* ---- the state machine ---- */

/* Legal moves: from -> the states it may go to. */
static const struct {
	const char *from, *to;
} moves[] = {
	{ "pending_payment", "confirmed" }, { "pending_payment", "payment_failed" },
	{ "pending_payment", "expired" }, { "pending_payment", "cancelled" },
	{ "payment_failed", "confirmed" }, { "payment_failed", "expired" },
	{ "payment_failed", "cancelled" },
	{ "confirmed", "fulfilling" }, { "confirmed", "shipped" }, { "confirmed", "cancelled" },
	{ "fulfilling", "shipped" }, { "fulfilling", "cancelled" },
	{ "shipped", "delivered" }, { "shipped", "returned" },
	{ "delivered", "returned" }, { "delivered", "refunded" }, { "returned", "refunded" },
	/* Fulfillment settles an order from its lines (app/fulfillment): the
	 * last open line cancelled while the others are delivered or returned,
	 * or everything shipped refunded at once. */
	{ "fulfilling", "delivered" }, { "fulfilling", "returned" }, { "fulfilling", "refunded" },
	{ "shipped", "refunded" },
};

static int legal(const char *from, const char *to)
{
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
		if (!strcmp(moves[i].from, from) && !strcmp(moves[i].to, to))
			return 1;
	return 0;
}

enum err order_move(struct db *db, struct arena *a, int64_t order_id, const char *to,
		    const char *actor, const char *reason, const char **from_out)
{
	struct db_res *r = NULL;
	const char *from;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_ORDER_LOCK], &r, "i", order_id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	from = db_cell(r, 0, 0);
	if (from_out)
		*from_out = from;
	if (!legal(from, to))
		return E_CONFLICT;
	if ((e = db_exec(db, a, &sql[Q_SET_STATUS], NULL, "si", to, order_id)))
		return e;
	return db_exec(db, a, &sql[Q_EVENT], NULL, "issss", order_id, from, to, actor, reason ? reason : "");
}

/* ---- holds ---- */

static int by_sku(const void *x, const void *y)
{
	const struct hold_req *a = x, *b = y;

	return a->sku_id < b->sku_id ? -1 : a->sku_id > b->sku_id;
}

enum err order_refresh_stock(struct db *db, struct arena *a, int64_t order_id)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_PRODUCTS_OF], &r, "i", order_id);

	for (size_t i = 0; !e && i < r->nrows; i++)
		e = catalog_refresh_digest(db, a, db_int(r, i, 0));	/* stock_total too */
	return e;
}

enum err order_stock_changed(struct db *db, struct arena *a, int64_t order_id, const char *reason)
{
	return db_exec(db, a, &sql[Q_STOCK_EVENTS], NULL, "si", reason, order_id);
}

enum err order_hold(struct db *db, struct arena *a, int64_t order_id, struct hold_req *lines,
		    size_t n, int64_t expires, size_t *short_out)
{
	int shortage = 0;
	enum err e;

	*short_out = (size_t)-1;
	/* One order, one lock order: by SKU id, then warehouse id (the ORDER BY
	 * of Q_INV_LOCK), so two checkouts can never wait on each other in a
	 * cycle. */
	qsort(lines, n, sizeof(*lines), by_sku);
	for (size_t i = 0; i < n; i++) {
		struct db_res *r = NULL;
		int64_t total = 0, need = lines[i].quantity;

		if ((e = db_exec(db, a, &sql[Q_INV_LOCK], &r, "i", lines[i].sku_id)))
			return e;
		for (size_t w = 0; w < r->nrows; w++)
			total += db_int(r, w, 1);
		lines[i].available = total;
		if (total < need) {
			if (!shortage)
				*short_out = i;
			shortage = 1;
			continue;	/* keep locking and counting: the answer names every short line */
		}
		if (shortage)
			continue;
		for (size_t w = 0; w < r->nrows && need > 0; w++) {
			int64_t wh = db_int(r, w, 0), take = db_int(r, w, 1);

			if (take <= 0)
				continue;
			if (take > need)
				take = need;
			if ((e = db_exec(db, a, &sql[Q_INV_RESERVE], NULL, "iiiii", take, take,
					 lines[i].sku_id, wh, take)))
				return e;
			if (db_affected(db) != 1)
				return E_INTERNAL;	/* the row is locked: this cannot happen */
			if ((e = db_exec(db, a, &sql[Q_HOLD_INS], NULL, "iiiii", order_id, lines[i].sku_id,
					 wh, take, expires)))
				return e;
			need -= take;
		}
	}
	if (shortage)
		return E_CONFLICT;
	return order_stock_changed(db, a, order_id, "held");
}

/* Moves every live hold of the order: "commit" (reserved -> committed) or
 * "release" (back to available from wherever it is). */
static enum err move_holds(struct db *db, struct arena *a, int64_t order_id, int commit)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_HOLDS_OF], &r, "i", order_id);

	for (size_t i = 0; !e && i < r->nrows; i++) {
		int64_t id = db_int(r, i, 0), sku = db_int(r, i, 1), wh = db_int(r, i, 2), q = db_int(r, i, 3);
		int held = !strcmp(db_cell(r, i, 4), "held");
		const struct db_sql *s;

		if (commit && !held)
			continue;
		s = commit ? &sql[Q_INV_COMMIT] : held ? &sql[Q_INV_UNRESERVE] : &sql[Q_INV_UNCOMMIT];
		if ((e = db_exec(db, a, s, NULL, "iiiii", q, q, sku, wh, q)))
			break;
		if (db_affected(db) != 1) {
			log_err("order %lld: inventory of sku %lld/%lld does not cover hold %lld",
				(long long)order_id, (long long)sku, (long long)wh, (long long)id);
			e = E_INTERNAL;
			break;
		}
		e = db_exec(db, a, &sql[Q_HOLD_STATE], NULL, "si", commit ? "committed" : "released", id);
	}
	return e;
}

static enum err outbox(struct db *db, struct arena *a, const char *topic, int64_t order_id, const char *extra)
{
	return db_exec(db, a, &sql[Q_OUTBOX], NULL, "sis", topic, order_id,
		       arena_printf(a, "{\"orderId\": %lld%s%s}", (long long)order_id, extra ? ", " : "", extra ? extra : ""));
}

/* ---- payment outcomes ---- */

struct paid {
	const char *intent, *brand, *last4, *actor;
	int late;
	int64_t order_id;
	struct arena *a;
};

static enum err tx_paid(struct db *db, void *p)
{
	struct paid *pd = p;
	struct arena *a = pd->a;
	struct db_res *r = NULL, *u = NULL, *skus = NULL;
	int64_t id, uid;
	const char *status;
	enum err e;

	pd->late = 0;
	if ((e = db_exec(db, a, &sql[Q_BY_INTENT], &r, "s", pd->intent)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	id = db_int(r, 0, 0);
	status = db_cell(r, 0, 1);
	uid = db_int(r, 0, 2);
	pd->order_id = id;
	if (!strcmp(status, "expired") || !strcmp(status, "cancelled")) {
		pd->late = 1;	/* voided after the transaction */
		return E_OK;
	}
	if (strcmp(status, "pending_payment") && strcmp(status, "payment_failed"))
		return E_OK;	/* already confirmed (a second notice of the same payment) */
	if ((e = move_holds(db, a, id, 1)) ||
	    (e = order_move(db, a, id, "confirmed", pd->actor, "payment authorized", NULL)) ||
	    (e = db_exec(db, a, &sql[Q_SET_PAID], NULL, "ssi", pd->brand, pd->last4, id)) ||
	    (e = db_exec(db, a, &sql[Q_SKUS_OF], &skus, "i", id)) ||
	    (e = cart_remove_skus(db, a, uid, db_cell(skus, 0, 0))) ||
	    (e = outbox(db, a, "OrderConfirmed", id, NULL)) ||
	    (e = db_exec(db, a, &sql[Q_USER], &u, "i", uid)))
		return e;
	if (u->nrows)
		e = mail_enqueue(db, a, db_cell(u, 0, 0), arena_printf(a, "Your order %lld is confirmed", (long long)id),
				 arena_printf(a, "Hello %s,\n\nthank you for your order %lld. We will tell you when it ships.\n"
					      "You can follow it at %s/orders/%lld\n", db_cell(u, 0, 1), (long long)id,
					      config.base_url, (long long)id));
	return e;
}

enum err order_paid(struct db *db, struct arena *a, const char *intent, const char *brand,
		    const char *last4, const char *actor, int *late)
{
	struct paid pd = { intent, brand ? brand : "", last4 ? last4 : "", actor, 0, 0, a };
	enum err e = db_tx(db, tx_paid, &pd);

	*late = pd.late;
	if (e == E_OK && pd.late) {
		/* The money came after the order expired or was cancelled: no
		 * authorization may stay open, so it is voided (the same key as
		 * every other void of this order; a failure here is retried by
		 * the gateway's next notice or the caller's next look). */
		struct payment v;

		if (payment_cancel(a, arena_printf(a, "order-%lld-void", (long long)pd.order_id), intent, &v))
			log_warn("order %lld: late payment %s not voided yet", (long long)pd.order_id, intent);
	}
	return e;
}

struct declined {
	const char *intent, *reason, *actor;
	struct arena *a;
};

static enum err tx_declined(struct db *db, void *p)
{
	struct declined *d = p;
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, d->a, &sql[Q_BY_INTENT], &r, "s", d->intent)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	if (strcmp(db_cell(r, 0, 1), "pending_payment") && strcmp(db_cell(r, 0, 1), "payment_failed"))
		return E_OK;	/* confirmed, expired or cancelled meanwhile: nothing to say */
	if ((e = db_exec(db, d->a, &sql[Q_SET_DECLINED], NULL, "si", d->reason, db_int(r, 0, 0))))
		return e;
	if (!strcmp(db_cell(r, 0, 1), "payment_failed"))
		return E_OK;
	/* The holds stay until the shopper retries or the hold expires. */
	return order_move(db, d->a, db_int(r, 0, 0), "payment_failed", d->actor, d->reason, NULL);
}

enum err order_declined(struct db *db, struct arena *a, const char *intent, const char *reason,
			const char *actor)
{
	struct declined d = { intent, reason, actor, a };

	return db_tx(db, tx_declined, &d);
}

struct release {
	int64_t order_id;
	const char *to, *actor, *reason;
	struct arena *a;
};

static enum err tx_release(struct db *db, void *p)
{
	struct release *rl = p;
	enum err e;

	if ((e = order_move(db, rl->a, rl->order_id, rl->to, rl->actor, rl->reason, NULL)) ||
	    (e = move_holds(db, rl->a, rl->order_id, 0)) ||
	    (e = pricing_promo_release(db, rl->a, rl->order_id)) ||
	    (e = order_stock_changed(db, rl->a, rl->order_id, "released")) ||
	    (e = db_exec(db, rl->a, &sql[Q_CLEAR_EXPIRY], NULL, "i", rl->order_id)) ||
	    (e = db_exec(db, rl->a, &sql[Q_LINES_CANCEL], NULL, "i", rl->order_id)))
		return e;
	return outbox(db, rl->a, !strcmp(rl->to, "expired") ? "OrderExpired" : "OrderCancelled", rl->order_id, NULL);
}

enum err order_release(struct db *db, struct arena *a, int64_t order_id, const char *to,
		       const char *actor, const char *reason)
{
	struct release rl = { order_id, to, actor, reason, a };
	enum err e = db_tx(db, tx_release, &rl);

	if (e == E_OK)
		order_refresh_stock(db, a, order_id);
	return e;
}

enum err order_link_intent(struct db *db, struct arena *a, int64_t order_id, const char *intent, int64_t amount,
			   const char *currency)
{
	enum err e = db_exec(db, a, &sql[Q_LINK_INTENT], NULL, "siis", intent, order_id, amount, currency ? currency : "");

	if (e)
		return e;
	if (db_affected(db) != 1)
		return E_CONFLICT;
	log_info("order %lld: payment %s linked", (long long)order_id, intent);
	return E_OK;
}

enum err order_set_payment_status(struct db *db, struct arena *a, int64_t order_id, const char *intent,
				  const char *status)
{
	return db_exec(db, a, &sql[Q_SET_PAYST], NULL, "sis", status, order_id, intent);
}

struct stray {
	struct arena *a;
	int64_t hold, units;
};

static enum err tx_stray_hold(struct db *db, void *p)
{
	struct stray *x = p;
	struct db_res *h = NULL;
	const char *st;
	int64_t sku, wh, q;
	enum err e;

	x->units = 0;
	if ((e = db_exec(db, x->a, &sql[Q_STRAY_HOLD], &h, "i", x->hold)) || !h->nrows)
		return e;
	sku = db_int(h, 0, 0);
	wh = db_int(h, 0, 1);
	q = db_int(h, 0, 2);
	st = db_cell(h, 0, 3);
	if (!strcmp(st, "pending_payment") || !strcmp(st, "payment_failed"))
		return E_OK;	/* its order waits: the hold is not stray */
	if ((e = db_exec(db, x->a, &sql[Q_INV_UNRESERVE], NULL, "iiiii", q, q, sku, wh, q)))
		return e;
	if (db_affected(db) != 1)
		return E_CONFLICT;	/* reserved does not cover it: roll back, report */
	if ((e = db_exec(db, x->a, &sql[Q_HOLD_STATE], NULL, "si", "released", x->hold)))
		return e;
	x->units = q;
	return E_OK;
}

enum err order_release_stray_hold(struct db *db, struct arena *a, int64_t hold_id, int64_t *units)
{
	struct stray x = { a, hold_id, 0 };
	enum err e = db_tx(db, tx_stray_hold, &x);

	*units = e ? 0 : x.units;
	return e;
}

/* ---- the sweeper ---- */

int order_sweep_batch(struct db *db, struct kv *kv, struct arena *a)
{
	struct db_res *r = NULL;
	int done = 0;

	(void)kv;
	if (db_exec(db, a, &sql[Q_EXPIRED], &r, ""))
		return -1;
	for (size_t i = 0; i < r->nrows; i++) {
		int64_t id = db_int(r, i, 0);
		const char *intent = db_cell(r, i, 1);
		struct payment p;
		enum err e;

		if (intent && *intent) {
			/* Paid at the last moment? Then confirm rather than expire. */
			if (payment_get(a, intent, &p))
				continue;	/* gateway silent: try again next round */
			if (!strcmp(p.status, "requires_capture")) {
				int late;

				order_paid(db, a, intent, p.brand, p.last4, "sweeper", &late);
				done++;
				continue;
			}
			if (strcmp(p.status, "canceled") &&
			    (payment_cancel(a, arena_printf(a, "order-%lld-void", (long long)id), intent, &p) ||
			     (strcmp(p.status, "canceled") && !*p.error_code)))
				continue;
		}
		e = order_release(db, a, id, "expired", "sweeper", "payment window ended");
		if (e == E_OK) {
			log_info("order %lld: expired, holds released", (long long)id);
			done++;
		} else if (e != E_CONFLICT) {
			return -1;
		}
	}
	return done == 20 ? 1 : 0;
}

/* ---- the view ---- */

const char *order_status_label(const char *s)
{
	static const struct { const char *s, *label; } t[] = {
		{ "pending_payment", "Waiting for payment" }, { "confirmed", "Confirmed" },
		{ "fulfilling", "Being prepared" }, { "shipped", "Shipped" }, { "delivered", "Delivered" },
		{ "payment_failed", "Payment failed" }, { "expired", "Expired (not paid)" },
		{ "cancelled", "Cancelled" }, { "refunded", "Refunded" }, { "returned", "Returned" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].s, s))
			return t[i].label;
	return s;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

json_t *order_json(struct db *db, struct arena *a, int64_t order_id, int64_t uid)
{
	struct db_res *o = NULL, *l = NULL, *ev = NULL;
	json_t *j, *lines, *events;
	const char *status;

	if (db_exec(db, a, &sql[Q_ORDER], &o, "i", order_id) || !o->nrows ||
	    (uid && db_int(o, 0, O_USER) != uid))
		return NULL;
	if (db_exec(db, a, &sql[Q_LINES], &l, "i", order_id) || db_exec(db, a, &sql[Q_EVENTS], &ev, "i", order_id))
		return NULL;
	status = db_cell(o, 0, O_STATUS);
	j = json_object();
	json_object_set_new(j, "id", json_integer(order_id));
	json_object_set_new(j, "status", json_string(status));
	json_object_set_new(j, "statusLabel", json_string(order_status_label(status)));
	json_object_set_new(j, "currency", json_string(db_cell(o, 0, O_CUR)));
	json_object_set_new(j, "subtotal", json_integer(db_int(o, 0, O_SUB)));
	json_object_set_new(j, "shipping", json_integer(db_int(o, 0, O_SHIP)));
	json_object_set_new(j, "tax", json_integer(db_int(o, 0, O_TAX)));
	json_object_set_new(j, "discount", json_integer(db_int(o, 0, O_DISC)));
	json_object_set_new(j, "total", json_integer(db_int(o, 0, O_TOTAL)));
	json_object_set_new(j, "shippingMethod", json_string(db_cell(o, 0, O_METHOD)));
	json_object_set_new(j, "shippingAddress", json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		"name", db_cell(o, 0, O_NAME), "line1", db_cell(o, 0, O_LINE1), "line2", nz(db_cell(o, 0, O_LINE2)),
		"city", db_cell(o, 0, O_CITY), "region", nz(db_cell(o, 0, O_REGION)),
		"postalCode", nz(db_cell(o, 0, O_POSTAL)), "country", db_cell(o, 0, O_COUNTRY)));
	json_object_set_new(j, "promoCode", db_cell(o, 0, O_PROMO) ? json_string(db_cell(o, 0, O_PROMO)) : json_null());
	json_object_set_new(j, "payment", json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?}",
		"id", db_cell(o, 0, O_INTENT), "status", db_cell(o, 0, O_PAYST), "brand", db_cell(o, 0, O_BRAND),
		"last4", db_cell(o, 0, O_LAST4), "error", db_cell(o, 0, O_PAYERR)));
	json_object_set_new(j, "createdAt", json_string(db_cell(o, 0, O_CREATED)));
	if (db_cell(o, 0, O_EXPIRES)) {
		time_t t = (time_t)db_int(o, 0, O_EXPIRES);
		struct tm tm;
		char buf[32];

		gmtime_r(&t, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(j, "holdExpiresAt", json_string(buf));
	} else {
		json_object_set_new(j, "holdExpiresAt", json_null());
	}
	lines = json_array();
	for (size_t i = 0; i < l->nrows; i++)
		json_array_append_new(lines, json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s}",
			"lineNo", (json_int_t)db_int(l, i, 0), "state", db_cell(l, i, 9),
			"stateLabel", fulfillment_line_label(db_cell(l, i, 9)),
			"refundedQuantity", (json_int_t)db_int(l, i, 10), "itemId", db_cell(l, i, 1), "title", db_cell(l, i, 2), "options", db_cell(l, i, 3),
			"unitPrice", (json_int_t)db_int(l, i, 4), "quantity", (json_int_t)db_int(l, i, 5),
			"lineTotal", (json_int_t)(db_int(l, i, 4) * db_int(l, i, 5)),
			"discount", (json_int_t)db_int(l, i, 6), "tax", (json_int_t)db_int(l, i, 7),
			"currency", db_cell(o, 0, O_CUR)));
	json_object_set_new(j, "lines", lines);
	/* Per-shipment tracking (carrier, number, status, lines, times). */
	json_object_set_new(j, "shipments", fulfillment_tracking_json(db, a, order_id));
	events = json_array();
	for (size_t i = 0; i < ev->nrows; i++)
		json_array_append_new(events, json_pack("{s:s?, s:s, s:s, s:s, s:s, s:s}",
			"from", db_cell(ev, i, 0), "to", db_cell(ev, i, 1), "statusLabel", order_status_label(db_cell(ev, i, 1)),
			"actor", db_cell(ev, i, 2), "reason", db_cell(ev, i, 3), "at", db_cell(ev, i, 4)));
	json_object_set_new(j, "events", events);
	/* What the shopper may do now. */
	if (!strcmp(status, "pending_payment") || !strcmp(status, "payment_failed")) {
		if (db_cell(o, 0, O_HOSTED) && *db_cell(o, 0, O_HOSTED))
			json_object_set_new(j, "payUrl", json_string(db_cell(o, 0, O_HOSTED)));
		json_object_set_new(j, "canPay", json_true());
	}
	/* Once a seller has picked or shipped something the shopper asks the
	 * seller instead: part of the money may be captured already. */
	json_object_set_new(j, "canCancel", json_boolean(!strcmp(status, "pending_payment") ||
		!strcmp(status, "payment_failed") || !strcmp(status, "confirmed")));
	json_object_set_new(j, "isFailed", json_boolean(!strcmp(status, "payment_failed")));
	json_object_set_new(j, "isPending", json_boolean(!strcmp(status, "pending_payment")));
	json_object_set_new(j, "isConfirmed", json_boolean(!strcmp(status, "confirmed")));
	json_object_set_new(j, "url", json_string(arena_printf(a, "/orders/%lld", (long long)order_id)));
	return j;
}

/* ---- pages and API ---- */

static int64_t path_id(struct ctx *c)
{
	int64_t id;
	const char *s = c->req->npathvar ? c->req->pathvar[0] : NULL;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

static enum err my_order(struct ctx *c, int64_t id, const char **st, const char **intent);

static enum err one(struct ctx *c, const char *view)
{
	int64_t id = path_id(c);
	json_t *o = id ? order_json(c->db, c->a, id, c->sess->is_admin ? 0 : c->sess->uid) : NULL, *m;

	/* Someone else's order and no order look the same: 404. A database
	 * that failed while the order was read is not "no such order". */
	if (!o) {
		const char *st, *intent;
		enum err e = id && !c->sess->is_admin ? my_order(c, id, &st, &intent) : E_NOTFOUND;

		if (e == E_OK)
			return E_DB;	/* it is there: reading it failed (logged) */
		if (e != E_NOTFOUND)
			return e;
		return reply_error(c, 404, "There is no such order in your account.");
	}
	m = reply_model(c, view, arena_printf(c->a, "Order %lld", (long long)id));
	if (!m) {
		json_decref(o);
		return E_NOMEM;
	}
	if (c->req->wants_json) {
		json_object_update(m, o);
		json_decref(o);
	} else {
		json_object_set_new(m, "order", o);
	}
	return E_OK;
}

enum err h_order(struct ctx *c)
{
	return one(c, "order");
}

enum err h_api_order(struct ctx *c)
{
	return one(c, NULL);
}

#define LIST_SIZE 20

static enum err list(struct ctx *c, const char *view)
{
	int64_t before = INT64_MAX, size = ctx_int(c, "size", LIST_SIZE);
	const char *cur = ctx_str(c, "cursor");
	struct db_res *r = NULL;
	json_t *m, *items;
	enum err e;

	if (cur) {
		char *payload = NULL;

		if (cursor_decode(c->a, cur, &payload) || strncmp(payload, "o|", 2) ||
		    parse_int64(payload + 2, strlen(payload + 2), 1, INT64_MAX, &before))
			return reply_error(c, 400, "cursor: is not valid (it may have been altered)");
	}
	if ((e = db_exec(c->db, c->a, &sql[Q_LIST], &r, "iii", c->sess->uid, before, size + 1)))
		return e;
	if (!(m = reply_model(c, view, "Your orders")))
		return E_NOMEM;
	items = json_array();
	for (size_t i = 0; i < r->nrows && (int64_t)i < size; i++)
		json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:I, s:s?, s:s}",
			"id", (json_int_t)db_int(r, i, 0), "status", db_cell(r, i, 1),
			"statusLabel", order_status_label(db_cell(r, i, 1)), "total", (json_int_t)db_int(r, i, 2),
			"currency", db_cell(r, i, 3), "createdAt", db_cell(r, i, 4),
			"itemCount", (json_int_t)db_int(r, i, 5), "firstTitle", db_cell(r, i, 6),
			"url", arena_printf(c->a, "/orders/%lld", (long long)db_int(r, i, 0))));
	json_object_set_new(m, c->req->wants_json ? "items" : "orders", items);
	if ((int64_t)r->nrows > size) {
		const char *next = cursor_encode(c->a, arena_printf(c->a, "o|%lld", (long long)db_int(r, size - 1, 0)));

		json_object_set_new(m, "nextCursor", json_string(next));
		json_object_set_new(m, "nextUrl", json_string(arena_printf(c->a, "/orders?cursor=%s", next)));
	} else {
		json_object_set_new(m, "nextCursor", json_null());
	}
	return E_OK;
}

enum err h_orders(struct ctx *c)
{
	return list(c, "orders");
}

enum err h_api_orders(struct ctx *c)
{
	return list(c, NULL);
}

/* Cancels uid's order before shipment: the authorization is voided at the
 * gateway first (idempotent key), then units go back to available. *status
 * and *msg describe a refusal. */
/* The status and payment intent of the signed-in shopper's order id:
 * E_NOTFOUND for no such order or someone else's. */
static enum err my_order(struct ctx *c, int64_t id, const char **st, const char **intent)
{
	struct db_res *r = NULL;
	enum err e = db_exec(c->db, c->a, &sql[Q_STATE], &r, "ii", id, c->sess->uid);

	if (e)
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	*st = db_cell(r, 0, 0);
	*intent = db_cell(r, 0, 1);
	return E_OK;
}

static enum err cancel(struct ctx *c, int64_t id, int *status, const char **msg)
{
	const char *st, *intent;
	struct payment p;
	enum err e = my_order(c, id, &st, &intent);

	*status = 0;
	if (e == E_NOTFOUND) {
		*status = 404;
		*msg = "There is no such order in your account.";
		return E_OK;
	}
	if (e)
		return e;
	if (strcmp(st, "pending_payment") && strcmp(st, "payment_failed") && strcmp(st, "confirmed")) {
		*status = 409;
		*msg = arena_printf(c->a, "This order cannot be cancelled any more (it is %s).", order_status_label(st));
		return E_OK;
	}
	if (intent && *intent) {
		e = payment_cancel(c->a, arena_printf(c->a, "order-%lld-void", (long long)id), intent, &p);
		if (e == E_UNAVAIL) {
			*status = 503;
			*msg = "The payment service did not answer, so nothing was changed. Please try again in a moment.";
			return E_OK;
		}
		if (e)
			return e;
		if (strcmp(p.status, "canceled") && strcmp(p.error_code, "payment_intent_unexpected_state")) {
			*status = 502;
			*msg = "The payment could not be voided, so the order stays as it was.";
			return E_OK;
		}
	}
	e = order_release(c->db, c->a, id, "cancelled", arena_printf(c->a, "user:%lld", (long long)c->sess->uid),
			  "cancelled by the shopper");
	if (e == E_CONFLICT) {
		*status = 409;
		*msg = "This order changed meanwhile and cannot be cancelled now.";
		return E_OK;
	}
	return e;
}

enum err h_order_cancel(struct ctx *c)
{
	int status;
	const char *msg;
	int64_t id = path_id(c);
	enum err e = cancel(c, id, &status, &msg);

	if (e)
		return e;
	if (status)
		return reply_error(c, status, msg);
	session_flash(c, "Your order is cancelled. Nothing will be charged.");
	return reply_redirect(c, 303, arena_printf(c->a, "/orders/%lld", (long long)id));
}

/* Another payment attempt for a declined order, server-side, while its
 * holds last (the API's "try again"; the pages use the gateway's page). */
enum err h_api_order_pay(struct ctx *c)
{
	int64_t id = path_id(c);
	const char *st, *intent, *key = c->req->idem_key;
	struct payment p;
	enum err e = my_order(c, id, &st, &intent);

	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such order in your account.");
	if (e)
		return e;
	if (!key || !*key || strlen(key) > 200)
		return reply_error(c, 400, "Idempotency-Key: a header of 1 to 200 characters is required.");
	if ((strcmp(st, "payment_failed") && strcmp(st, "pending_payment")) || !intent)
		return reply_error(c, 409, arena_printf(c->a, "This order cannot be paid now (it is %s).", order_status_label(st)));
	e = payment_confirm(c->a, arena_printf(c->a, "order-%lld-confirm-%s", (long long)id, key), intent,
			    ctx_str(c, "paymentMethod"), &p);
	if (e == E_UNAVAIL) {
		resp_header(c->resp, "Retry-After: 5");
		return reply_error(c, 503, "The payment service did not answer. Send the same request again.");
	}
	if (e == E_BUSY) {
		/* The same attempt (same key) is still running: not a decline. */
		resp_header(c->resp, "Retry-After: 5");
		return reply_error(c, 409, "This payment is being attempted already. Wait a moment and send the "
					   "same request again, or look at your order.");
	}
	if (e)
		return e;
	/* Paid meanwhile by another attempt (another key, the gateway's page):
	 * the gateway refuses to confirm again and says what the intent is. */
	if (!strcmp(p.error_code, "payment_intent_unexpected_state") && !strcmp(p.status, "requires_capture"))
		p.error_code = "";
	if (!strcmp(p.status, "requires_capture") && !*p.error_code) {
		int late = 0;

		if ((e = order_paid(c->db, c->a, intent, p.brand, p.last4, arena_printf(c->a, "user:%lld",
				    (long long)c->sess->uid), &late)))
			return e;
		if (late)
			return reply_error(c, 409, "The order expired before the payment; the payment was voided.");
		if ((e = one(c, NULL)))
			return e;
		c->resp->status = 201;
		return E_OK;
	}
	if (!strcmp(p.error_type, "card_error")) {
		if ((e = order_declined(c->db, c->a, intent, payment_reason(&p), "gateway")))
			return e;
		if ((e = one(c, NULL)))
			return e;
		json_object_set_new(c->resp->model, "reason", json_string(payment_reason(&p)));
		c->resp->status = 402;
		return E_OK;
	}
	if (!strcmp(p.error_code, "resource_missing") || !strcmp(p.error_code, "parameter_missing"))
		return reply_error(c, 400, "paymentMethod: is not a payment method the payment service knows.");
	return reply_error(c, 409, "The payment could not be attempted in the order's present state.");
}

enum err h_api_order_cancel(struct ctx *c)
{
	int status;
	const char *msg;
	enum err e = cancel(c, path_id(c), &status, &msg);

	if (e)
		return e;
	if (status)
		return reply_error(c, status, msg);
	return one(c, NULL);
}
