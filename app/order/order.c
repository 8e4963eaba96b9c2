/* Orders: state machine, creation, payment outcomes, release, expiry. See
 * order.h; the saga that creates orders is app/checkout/checkout.c, the
 * pages order_pages.c, and every unit moves through app/inventory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../cart/cart.h"
#include "../catalog/catalog.h"
#include "../pricing/pricing.h"
#include "../payment/payment.h"
#include "../events/events.h"
#include "../inventory/inventory.h"
#include "../sales/sales.h"
#include "order.h"
#include "order_link.h"

enum {
	Q_PRODUCTS_OF, Q_ORDER_LOCK, Q_SET_STATUS,
	Q_EVENT, Q_BY_INTENT, Q_SET_DECLINED, Q_USER, Q_EXPIRED, Q_ORDER,
	Q_LINES, Q_EVENTS, Q_LIST, Q_CLEAR_EXPIRY, Q_STATE, Q_LINES_CANCEL,
	Q_LINK_INTENT, Q_SET_PAYST, Q_ORDER_INS, Q_LINE_INS, Q_EVENT0, Q_VOIDED, Q_SET_INTENT,
	Q_NOTE,	/* RETURNS (issue 19) */
	Q_LOCK_ID, Q_CONFIRM, Q_CONFIRM_LINK,
	Q_ORDER_A, Q_LINES_A, Q_EVENTS_A, Q_STATE_A, NQ
};

#define ORDER_COLS "id, user_id, status, currency, subtotal, shipping, tax, discount, total, " \
	"shipping_method, ship_name, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, " \
	"ship_country, promo_code, payment_intent, payment_status, card_brand, card_last4, payment_error, " \
	"hosted_url, UNIX_TIMESTAMP(hold_expires_at), DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ')"

static struct db_sql sql[NQ] = {
	/* A sale line's units are the sale's shards' (app/inventory/shards.c):
	 * they leave the product's stock_total alone, and refreshing it per
	 * order would queue a flash sale's buyers on the product row. */
	[Q_PRODUCTS_OF] = { "SELECT DISTINCT product_id FROM order_lines WHERE order_id = ? AND sale_id IS NULL "
			    "ORDER BY product_id", 0 },
	[Q_ORDER_LOCK] = { "SELECT status, user_id, payment_intent FROM orders WHERE id = ? FOR UPDATE", 0 },
	[Q_STATE] = { "SELECT status, payment_intent FROM orders WHERE id = ? AND user_id = ?", 0 },
	[Q_SET_STATUS] = { "UPDATE orders SET status = ? WHERE id = ?", 0 },
	[Q_EVENT] = { "INSERT INTO order_events (order_id, from_status, to_status, actor, reason) "
		      "VALUES (?, ?, ?, ?, ?)", 0 },
	[Q_BY_INTENT] = { "SELECT id, status, user_id, total, currency FROM orders WHERE payment_intent = ? FOR UPDATE", 0 },
	/* The gateway's answer to the saga's authorization, stored with its
	 * outcome in one transaction (order_paid_for). The payment state is
	 * the gateway's only while the order waits for it. */
	[Q_SET_INTENT] = { "UPDATE orders SET payment_intent = ?, hosted_url = NULLIF(?, ''), "
			   "payment_status = IF(status IN ('pending_payment', 'payment_failed'), ?, payment_status) "
			   "WHERE id = ?", 0 },
	/* The move to confirmed with the payment's fields in one UPDATE
	 * (tx_paid, after legal() and with the order locked); the saga's
	 * form also stores the intent it was answered with. */
	[Q_LOCK_ID] = { "SELECT id, status, user_id FROM orders WHERE id = ? FOR UPDATE", 0 },
#define CONFIRM_SET "status = 'confirmed', payment_status = 'requires_capture', card_brand = ?, " \
	"card_last4 = ?, payment_error = NULL, hold_expires_at = NULL"
	[Q_CONFIRM] = { "UPDATE orders SET " CONFIRM_SET " WHERE id = ?", 0 },
	[Q_CONFIRM_LINK] = { "UPDATE orders SET payment_intent = ?, hosted_url = NULLIF(?, ''), " CONFIRM_SET
			     " WHERE id = ?", 0 },
#undef CONFIRM_SET
	[Q_SET_DECLINED] = { "UPDATE orders SET payment_status = 'requires_payment_method', payment_error = ? "
			     "WHERE id = ?", 0 },
	[Q_USER] = { "SELECT email, name FROM users WHERE id = ?", 0 },
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
	/* ARCHIVE: the shopper's orders in both places (app/archive), each
	 * place's newest below the cursor by its (user_id, id) index, merged
	 * by id: the page and its cursor do not know where an order lives.
	 * The index is forced: with a million rows and "id < MAX" the
	 * optimizer walked the primary key backwards instead, through every
	 * other shopper's orders (and, after a bulk move, every row not yet
	 * purged): seconds per page for a shopper whose orders are old. */
	[Q_LIST] = { "(SELECT o.id AS id, o.status, o.total, o.currency, DATE_FORMAT(o.created_at, '%Y-%m-%dT%H:%i:%sZ'), "
		     "(SELECT SUM(quantity) FROM order_lines l WHERE l.order_id = o.id), "
		     "(SELECT title FROM order_lines l WHERE l.order_id = o.id ORDER BY line_no LIMIT 1) "
		     "FROM orders o FORCE INDEX (ix_orders_user) WHERE o.user_id = ? AND o.id < ? "
		     "ORDER BY o.id DESC LIMIT ?) UNION ALL "
		     "(SELECT o.id AS id, o.status, o.total, o.currency, DATE_FORMAT(o.created_at, '%Y-%m-%dT%H:%i:%sZ'), "
		     "(SELECT SUM(quantity) FROM order_lines_archive l WHERE l.order_id = o.id), "
		     "(SELECT title FROM order_lines_archive l WHERE l.order_id = o.id ORDER BY line_no LIMIT 1) "
		     "FROM orders_archive o FORCE INDEX (ix_orders_user) WHERE o.user_id = ? AND o.id < ? "
		     "ORDER BY o.id DESC LIMIT ?) "
		     "ORDER BY id DESC LIMIT ?", 0 },
	[Q_CLEAR_EXPIRY] = { "UPDATE orders SET hold_expires_at = NULL WHERE id = ?", 0 },
	/* An intent the gateway holds for an order whose saga never stored
	 * the gateway's answer (lost, or still on its way): linked when the
	 * order has none yet and the amount is the order's. */
	[Q_LINK_INTENT] = { "UPDATE orders SET payment_intent = ? WHERE id = ? AND payment_intent IS NULL "
			    "AND total = ? AND currency = UPPER(?)", 0 },
	[Q_SET_PAYST] = { "UPDATE orders SET payment_status = ? WHERE id = ? AND payment_intent = ?", 0 },
	[Q_ORDER_INS] = { "INSERT INTO orders (user_id, currency, subtotal, shipping, tax, discount, total, "
			  "shipping_method, ship_name, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, "
			  "ship_country, promo_code, hold_expires_at, fx_rate, fx_date) "	/* CURRENCIES: fx_ */
			  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FROM_UNIXTIME(?), ?, ?)", 0 },
	/* Plain values, read before the transaction: an INSERT ... SELECT
	 * would take shared locks on the products rows that stock updates
	 * then wait for. */
	[Q_LINE_INS] = { "INSERT INTO order_lines (order_id, line_no, sku_id, product_id, seller_id, code, title, "
			 "options, unit_price, quantity, discount, tax, sale_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			 "NULLIF(?, 0))", 0 },
	[Q_EVENT0] = { "INSERT INTO order_events (order_id, from_status, to_status, actor, reason) "
		       "VALUES (?, NULL, 'pending_payment', ?, 'order placed')", 0 },
	/* A released order's authorization was voided before the release
	 * (every caller voids first: the shopper's cancel, the sweeper, the
	 * reconciler after the gateway voided it), so the order says so
	 * rather than keep the status of the authorization it had. */
	[Q_VOIDED] = { "UPDATE orders SET payment_status = 'canceled' WHERE id = ? "
		       "AND payment_intent IS NOT NULL AND payment_intent <> '' "
		       "AND (payment_status IS NULL OR payment_status <> 'succeeded')", 0 },
	/* A released order ships nothing: its lines say so. */
	[Q_LINES_CANCEL] = { "UPDATE order_lines SET state = 'cancelled' WHERE order_id = ? AND state IN ('open', 'picked')", 0 },
	/* RETURNS (issue 19): a step in the timeline that is no move. */
	[Q_NOTE] = { "INSERT INTO order_events (order_id, from_status, to_status, actor, reason) "
		     "SELECT id, status, status, ?, ? FROM orders WHERE id = ?", 0 },
	/* ARCHIVE: an order not in the hot tables is read from the archive's
	 * (app/archive); nothing writes there but the archive's move, so an
	 * archived order is read-only: every write path finds no hot row and
	 * answers as for a closed order. */
	[Q_ORDER_A] = { "SELECT " ORDER_COLS " FROM orders_archive WHERE id = ?", 0 },
	[Q_LINES_A] = { "SELECT line_no, code, title, options, unit_price, quantity, discount, tax, product_id, "
			"state, refunded_qty "
			"FROM order_lines_archive WHERE order_id = ? ORDER BY line_no", 0 },
	[Q_EVENTS_A] = { "SELECT from_status, to_status, actor, reason, "
			 "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') FROM order_events_archive WHERE order_id = ? "
			 "ORDER BY id", 0 },
	[Q_STATE_A] = { "SELECT status, payment_intent FROM orders_archive WHERE id = ? AND user_id = ?", 0 },
};

void order_init(void)
{
	db_register(sql, NQ);
	order_link_init();
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

/* The timeline's row of a move whose status the caller wrote. */
static enum err moved(struct db *db, struct arena *a, int64_t order_id, const char *from, const char *to,
		      const char *actor, const char *reason)
{
	return db_exec(db, a, &sql[Q_EVENT], NULL, "issss", order_id, from, to, actor, reason ? reason : "");
}

/* The move of an order whose row the caller locked and read (from). */
static enum err move_locked(struct db *db, struct arena *a, int64_t order_id, const char *from, const char *to,
			    const char *actor, const char *reason)
{
	enum err e;

	if (!legal(from, to))
		return E_CONFLICT;
	if ((e = db_exec(db, a, &sql[Q_SET_STATUS], NULL, "si", to, order_id)))
		return e;
	return moved(db, a, order_id, from, to, actor, reason);
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
	return move_locked(db, a, order_id, from, to, actor, reason);
}

/* ---- a new order ---- */

enum err order_create(struct db *db, struct arena *a, const struct order_new *o, int64_t *order_id)
{
	const struct address *ad = &o->ship;
	int64_t id;
	enum err e;

	*order_id = 0;
	if ((e = db_exec(db, a, &sql[Q_ORDER_INS], NULL, "isiiiiisssssssssiss", o->user_id,
			 o->currency ? o->currency : "USD", o->subtotal, o->shipping, o->tax, o->discount,
			 o->total, o->method, ad->name, ad->line1, ad->line2 ? ad->line2 : "", ad->city,
			 ad->region ? ad->region : "", ad->postal_code ? ad->postal_code : "", ad->country,
			 o->promo_code, o->hold_expires, o->fx_rate ? o->fx_rate : "1", o->fx_date)))
		return e;
	id = (int64_t)db_insert_id(db);
	for (size_t k = 0; k < o->n; k++) {
		const struct order_line_new *l = &o->lines[k];

		if ((e = db_exec(db, a, &sql[Q_LINE_INS], NULL, "iiiiisssiiiii", id, (int64_t)k + 1, l->sku_id,
				 l->product_id, l->seller_id, l->code, l->title, l->options ? l->options : "",
				 l->unit_price, l->quantity, l->discount, l->tax, l->sale_id)))
			return e;
	}
	if ((e = db_exec(db, a, &sql[Q_EVENT0], NULL, "is", id, arena_printf(a, "user:%lld", (long long)o->user_id))) ||
	    (e = event_emit(db, a, EV_ORDER_PLACED, id, json_pack("{sIsIsI}", "orderId", (json_int_t)id,
				"userId", (json_int_t)o->user_id, "total", (json_int_t)o->total))))
		return e;
	*order_id = id;
	return E_OK;
}

/* ---- holds ---- */

enum err order_refresh_stock(struct db *db, struct arena *a, int64_t order_id)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_PRODUCTS_OF], &r, "i", order_id);

	for (size_t i = 0; !e && i < r->nrows; i++)
		e = catalog_refresh_stock_after(db, a, db_int(r, i, 0));	/* stock_total too */
	return e;
}

enum err order_refresh_stock_lines(struct db *db, struct arena *a, const struct order_line_new *lines, size_t n)
{
	enum err e = E_OK;

	for (size_t i = 0; !e && i < n; i++) {
		size_t j;

		if (lines[i].sale_id)
			continue;	/* the shards' units: see Q_PRODUCTS_OF */
		for (j = 0; j < i; j++)
			if (!lines[j].sale_id && lines[j].product_id == lines[i].product_id)
				break;
		if (j == i)
			e = catalog_refresh_stock_after(db, a, lines[i].product_id);
	}
	return e;
}

/* An order event {"orderId"} in the caller's transaction. */
static enum err order_event(struct db *db, struct arena *a, enum event_type type, int64_t order_id)
{
	return event_emit(db, a, type, order_id, json_pack("{sI}", "orderId", (json_int_t)order_id));
}

/* ---- payment outcomes ---- */

struct paid {
	const char *intent, *brand, *last4, *actor;
	int late;
	int64_t order_id;
	struct arena *a;
	/* order_paid_for: the order the intent is to be stored on first. */
	int64_t link_order;
	const char *hosted_url, *pay_status;
};

static enum err tx_paid(struct db *db, void *p)
{
	struct paid *pd = p;
	struct arena *a = pd->a;
	struct db_res *r = NULL;
	int64_t id, uid;
	const char *status;
	enum err e;

	pd->late = 0;
	/* The saga knows its order: locked by id, the intent stored with the
	 * move below (one UPDATE). A notice knows only the intent. */
	if (pd->link_order)
		e = db_exec(db, a, &sql[Q_LOCK_ID], &r, "i", pd->link_order);
	else
		e = db_exec(db, a, &sql[Q_BY_INTENT], &r, "s", pd->intent);
	if (e)
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	id = db_int(r, 0, 0);
	status = db_cell(r, 0, 1);
	uid = db_int(r, 0, 2);
	pd->order_id = id;
	if (strcmp(status, "pending_payment") && strcmp(status, "payment_failed")) {
		/* Expired or cancelled: the intent is stored (so the void is
		 * the order's) and voided after the transaction; confirmed: a
		 * second answer of the same payment, kept as before. */
		if (pd->link_order && (e = db_exec(db, a, &sql[Q_SET_INTENT], NULL, "sssi", pd->intent,
						    pd->hosted_url ? pd->hosted_url : "", pd->pay_status, id)))
			return e;
		pd->late = !strcmp(status, "expired") || !strcmp(status, "cancelled");
		return E_OK;
	}
	/* move_locked's move, its status written with the payment's fields. */
	if (!legal(status, "confirmed"))
		return E_CONFLICT;
	if (pd->link_order)
		e = db_exec(db, a, &sql[Q_CONFIRM_LINK], NULL, "ssssi", pd->intent,
			    pd->hosted_url ? pd->hosted_url : "", pd->brand, pd->last4, id);
	else
		e = db_exec(db, a, &sql[Q_CONFIRM], NULL, "ssi", pd->brand, pd->last4, id);
	/* The units last: a hot SKU's inventory row stays locked from here to
	 * the commit, so nothing else waits behind it (the lock order, order
	 * then holds then inventory, is every path's). */
	if (e || (e = moved(db, a, id, status, "confirmed", pd->actor, "payment authorized")) ||
	    (e = cart_remove_ordered(db, a, uid, id)) ||
	    (e = order_event(db, a, EV_ORDER_CONFIRMED, id)) ||
	    (e = inventory_commit(db, a, id)))
		return e;
	/* The confirmation mail is app/notify's, from OrderConfirmed (a
	 * guest's carries the signed link, order_link.c). */
	return E_OK;
}

static enum err paid(struct db *db, struct arena *a, struct paid *pdp, int *late);

enum err order_paid(struct db *db, struct arena *a, const char *intent, const char *brand,
		    const char *last4, const char *actor, int *late)
{
	struct paid pd = { intent, brand ? brand : "", last4 ? last4 : "", actor, 0, 0, a, 0, NULL, NULL };

	return paid(db, a, &pd, late);
}

enum err order_paid_for(struct db *db, struct arena *a, int64_t order_id, const char *intent,
			const char *hosted_url, const char *pay_status, const char *brand, const char *last4,
			const char *actor, int *late)
{
	struct paid pd = { intent, brand ? brand : "", last4 ? last4 : "", actor, 0, 0, a, order_id, hosted_url,
			   pay_status };

	return paid(db, a, &pd, late);
}

static enum err paid(struct db *db, struct arena *a, struct paid *pdp, int *late)
{
	struct paid pd = *pdp;
	const char *intent = pd.intent;
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
		else if (!strcmp(v.status, "canceled"))
			order_set_payment_status(db, a, pd.order_id, intent, "canceled");
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
		return E_OK;	/* the same decline told again, or another try: said once */
	/* The holds stay until the shopper retries or the hold expires. The
	 * event (app/notify mails the shopper a link to try again) is written
	 * on the move into payment_failed only, so the return page and the
	 * webhook telling the same decline make one event. */
	if ((e = order_move(db, d->a, db_int(r, 0, 0), "payment_failed", d->actor, d->reason, NULL)))
		return e;
	return event_emit(db, d->a, EV_ORDER_PAYMENT_FAILED, db_int(r, 0, 0),
			  json_pack("{sIss}", "orderId", (json_int_t)db_int(r, 0, 0), "reason",
				    d->reason ? d->reason : ""));
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
	    (e = inventory_release(db, rl->a, rl->order_id, "released")) ||
	    /* SALES: its sale lines' units go back to the buyer's limit. */
	    (e = sales_unclaim_order(db, rl->a, rl->order_id)) ||
	    (e = pricing_promo_release(db, rl->a, rl->order_id)) ||
	    (e = db_exec(db, rl->a, &sql[Q_CLEAR_EXPIRY], NULL, "i", rl->order_id)) ||
	    (e = db_exec(db, rl->a, &sql[Q_VOIDED], NULL, "i", rl->order_id)) ||
	    (e = db_exec(db, rl->a, &sql[Q_LINES_CANCEL], NULL, "i", rl->order_id)))
		return e;
	return order_event(db, rl->a, !strcmp(rl->to, "expired") ? EV_ORDER_EXPIRED : EV_ORDER_CANCELLED, rl->order_id);
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
	int64_t hold, units, product;
};

/* The hold's order is locked first, as every release locks it (then the
 * hold, then the inventory row). */
static enum err tx_stray_hold(struct db *db, void *p)
{
	struct stray *x = p;
	struct db_res *o = NULL;
	int64_t order_id;
	const char *st;
	enum err e;

	x->units = 0;
	if ((e = inventory_hold_order(db, x->a, x->hold, &order_id)))
		return e == E_NOTFOUND ? E_OK : e;
	if ((e = db_exec(db, x->a, &sql[Q_ORDER_LOCK], &o, "i", order_id)) || !o->nrows)
		return e;
	st = db_cell(o, 0, 0);
	if (!strcmp(st, "pending_payment") || !strcmp(st, "payment_failed"))
		return E_OK;	/* its order waits: the hold is not stray */
	return inventory_release_hold(db, x->a, x->hold, &x->units, &x->product);
}

enum err order_release_stray_hold(struct db *db, struct arena *a, int64_t hold_id, int64_t *units)
{
	struct stray x = { a, hold_id, 0, 0 };
	enum err e = db_tx(db, tx_stray_hold, &x);

	*units = e ? 0 : x.units;
	if (!e && x.units > 0)
		e = catalog_refresh_digest(db, a, x.product);	/* stock_total too */
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

/* ---- words ---- */

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

const char *order_options_text(struct arena *a, const char *options_json)
{
	json_t *o = options_json && *options_json ? json_loads(options_json, 0, NULL) : NULL;
	const char *k, *out = NULL;
	json_t *v;
	struct buf b;

	if (!json_is_object(o) || !json_object_size(o)) {
		json_decref(o);
		return NULL;
	}
	buf_init(&b, a, 64);
	json_object_foreach(o, k, v)
		if (json_is_string(v) && json_string_length(v))
			buf_printf(&b, "%s%s: %s", b.len ? " · " : "", k, json_string_value(v));
	if (b.len)
		out = b.p;
	json_decref(o);
	return out;
}

const char *order_tracking_url(struct arena *a, const char *carrier, const char *tracking)
{
	static const struct { const char *name, *prefix; } t[] = {
		{ "ups", "https://www.ups.com/track?tracknum=" },
		{ "usps", "https://tools.usps.com/go/TrackConfirmAction?tLabels=" },
		{ "fedex", "https://www.fedex.com/fedextrack/?trknbr=" },
		{ "dhl", "https://www.dhl.com/global-en/home/tracking.html?tracking-id=" },
	};

	if (!carrier || !tracking || !*tracking)
		return NULL;
	/* Tracking numbers are [A-Za-z0-9_-] (the ship form's rule), safe in a
	 * URL as they are; anything else gets no link. */
	for (const char *p = tracking; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_'))
			return NULL;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcasecmp(carrier, t[i].name))
			return arena_printf(a, "%s%s", t[i].prefix, tracking);
	return NULL;
}

const char *order_method_name(struct arena *a, const char *code)
{
	if (!code || !*code)
		return "";
	return arena_printf(a, "%c%s shipping", code[0] >= 'a' && code[0] <= 'z' ? code[0] - 32 : code[0], code + 1);
}

const char *order_count_text(struct arena *a, long long n, const char *noun)
{
	return arena_printf(a, "%lld %s%s", n, noun, n == 1 ? "" : "s");
}

/* "Visa ending in 4242", or NULL without a card. */
static const char *card_words(struct arena *a, const char *brand, const char *last4)
{
	if (!brand || !*brand || !last4 || !*last4)
		return NULL;
	return arena_printf(a, "%c%s ending in %s", brand[0] >= 'a' && brand[0] <= 'z' ? brand[0] - 32 : brand[0],
			    brand + 1, last4);
}

const char *order_payment_text(struct arena *a, const char *status, const char *pay_status,
			       const char *brand, const char *last4)
{
	const char *card = card_words(a, brand, last4);
	int captured = pay_status && !strcmp(pay_status, "succeeded");

	if (!status)
		return NULL;
	if ((!strcmp(status, "cancelled") || !strcmp(status, "expired")) && !captured) {
		if (card)
			return arena_printf(a, "Not charged: the payment on %s was voided.", card);
		return "Not charged: no payment was taken.";
	}
	if (!strcmp(status, "refunded"))
		return card ? arena_printf(a, "Refunded to %s.", card) : "Refunded.";
	if (!strcmp(status, "pending_payment") || !strcmp(status, "payment_failed") || !card)
		return NULL;
	if (!strcmp(status, "confirmed") || !strcmp(status, "fulfilling"))
		return arena_printf(a, "Paid with %s (charged when your items ship).", card);
	return arena_printf(a, "Paid with %s.", card);
}

/* ---- reads for the pages ---- */

enum err order_read(struct db *db, struct arena *a, int64_t order_id, int64_t uid, struct order_view *v)
{
	enum err e;

	int arch = 0;

	memset(v, 0, sizeof(*v));
	if ((e = db_exec(db, a, &sql[Q_ORDER], &v->order, "i", order_id)))
		return e;
	/* ARCHIVE: not hot, then perhaps archived (one more lookup by id). */
	if (!v->order->nrows) {
		if ((e = db_exec(db, a, &sql[Q_ORDER_A], &v->order, "i", order_id)))
			return e;
		arch = 1;
	}
	if (!v->order->nrows || (uid && db_int(v->order, 0, OC_USER) != uid))
		return E_NOTFOUND;
	if ((e = db_exec(db, a, &sql[arch ? Q_LINES_A : Q_LINES], &v->lines, "i", order_id)) ||
	    (e = db_exec(db, a, &sql[arch ? Q_EVENTS_A : Q_EVENTS], &v->events, "i", order_id)))
		return e;
	v->archived = arch;
	return E_OK;
}

enum err order_list(struct db *db, struct arena *a, int64_t uid, int64_t before, int64_t limit, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_LIST], out, "iiiiiii", uid, before, limit, uid, before, limit, limit);
}

enum err order_state(struct db *db, struct arena *a, int64_t order_id, int64_t uid, const char **status,
		     const char **intent)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_STATE], &r, "ii", order_id, uid);

	/* ARCHIVE: an archived order is closed: its state says so. */
	if (!e && !r->nrows)
		e = db_exec(db, a, &sql[Q_STATE_A], &r, "ii", order_id, uid);
	if (e)
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	*status = db_cell(r, 0, 0);
	*intent = db_cell(r, 0, 1);
	return E_OK;
}

/* RETURNS (issue 19): see order.h. */
enum err order_note(struct db *db, struct arena *a, int64_t order_id, const char *actor, const char *reason)
{
	enum err e = db_exec(db, a, &sql[Q_NOTE], NULL, "ssi", actor, reason ? reason : "", order_id);

	return e ? e : db_affected(db) == 1 ? E_OK : E_NOTFOUND;
}
