/* Checkout: see checkout.h for the saga's states. The rule of this file:
 * every step is idempotent and every boundary that can be retried carries a
 * key, so a double click, a replay, a lost gateway answer or a killed worker
 * ends in exactly one order and at most one authorization. The pages and
 * API that fill a checkout_req and word its answer are checkout_pages.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "../cart/cart.h"
#include "../inventory/inventory.h"
#include "../order/order.h"
#include "../payment/payment.h"
#include "../pricing/pricing.h"
#include "../sales/sales.h"
#include "../fx/rates.h"	/* CURRENCIES (issue 19) */
#include "checkout.h"

/* A whole decimal number from min to max: 0 when s is one. */
static int to_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || *s == '+' || *s == '-' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

enum {
	Q_CK_INS, Q_CK_GET, Q_CK_BY_ID, Q_CK_CLAIM, Q_CK_RESERVED, Q_CK_AUTHORIZING, Q_CK_DONE,
	Q_CK_STUCK, Q_CK_UNCLAIM, Q_CK_UNCLAIM_KEY, Q_CK_PLACED, Q_PAYINFO, Q_SET_INTENT,
	Q_EVENT_SEEN, Q_EVENT_KNOWN, Q_FAIL_NOINTENT, Q_CART_ORDER, Q_CART_LOCK, NQ
};

#define CK_COLS "id, request_hash, state, response_status, response_body, order_id, payment_method, user_id"
enum { K_ID, K_HASH, K_STATE, K_STATUS, K_BODY, K_ORDER, K_PM, K_USER };

static struct db_sql sql[NQ] = {
	/* A new row is born claimed (attempts 1): the first request of a key
	 * needs no second statement (and no second commit) to claim it. */
	[Q_CK_INS] = { "INSERT IGNORE INTO checkouts (user_id, idem_key, request_hash, payment_method, attempts) "
		       "VALUES (?, ?, ?, ?, 1)", 0 },
	[Q_CK_PLACED] = { "SELECT 1 FROM checkouts WHERE user_id = ? AND idem_key = ? AND state <> 'started'", 0 },
	[Q_CK_GET] = { "SELECT " CK_COLS " FROM checkouts WHERE user_id = ? AND idem_key = ?", 0 },
	[Q_CK_BY_ID] = { "SELECT " CK_COLS " FROM checkouts WHERE id = ?", 0 },
	/* The first request claims the row; a concurrent duplicate does not
	 * (409); a claim older than 30 s died with its worker before holding
	 * anything (holding and leaving 'started' are one transaction), so it
	 * may be claimed again. */
	[Q_CK_CLAIM] = { "UPDATE checkouts SET attempts = attempts + 1 WHERE id = ? AND state = 'started' "
			 "AND (attempts = 0 OR updated_at < NOW(3) - INTERVAL 30 SECOND)", 0 },
	/* Guarded: of two requests that both believe they hold the claim (one
	 * whose claim's answer was lost gave it back), one order is placed.
	 * The row goes straight to 'authorizing', as Q_CK_AUTHORIZING would
	 * move it a moment later: the gateway is asked right after this
	 * commit, and one commit fewer per order is worth it ('reserved'
	 * remains for rows written before, and is resumed alike). */
	[Q_CK_RESERVED] = { "UPDATE checkouts SET state = 'authorizing', order_id = ?, cart_key = ?, "
			    "attempts = attempts + 1, updated_at = NOW(3) "
			    "WHERE id = ? AND state = 'started'", 0 },
	/* updated_at is set explicitly: a row already 'authorizing' would
	 * otherwise not change, and the resumption below measures the time
	 * since the latest attempt began. */
	[Q_CK_AUTHORIZING] = { "UPDATE checkouts SET state = 'authorizing', attempts = attempts + 1, updated_at = NOW(3) "
			       "WHERE id = ? AND state IN ('reserved', 'authorizing')", 0 },
	/* A request that failed before holding anything gives its claim back,
	 * so the shopper's retry need not wait out the 30 s. */
	[Q_CK_UNCLAIM] = { "UPDATE checkouts SET attempts = 0 WHERE id = ? AND state = 'started'", 0 },
	/* The same when the insert's answer was lost: whether the row was
	 * made (born claimed) is not known. */
	[Q_CK_UNCLAIM_KEY] = { "UPDATE checkouts SET attempts = 0 WHERE user_id = ? AND idem_key = ? "
			       "AND state = 'started' AND order_id IS NULL", 0 },
	[Q_CK_DONE] = { "UPDATE checkouts SET state = ?, response_status = ?, response_body = ? WHERE id = ?", 0 },
	/* Stuck: no attempt can still be running (PAYMENT_SETTLE_S, bound). */
	[Q_CK_STUCK] = { "SELECT id FROM checkouts WHERE state IN ('reserved', 'authorizing') "
			 "AND updated_at < NOW(3) - INTERVAL ? SECOND ORDER BY id LIMIT 10", 0 },
	[Q_PAYINFO] = { "SELECT total, currency, status, payment_intent FROM orders WHERE id = ?", 0 },
	/* The payment state is the gateway's answer only while the order
	 * waits for it: a late resumption must not overwrite what captures
	 * and refunds wrote since. */
	[Q_SET_INTENT] = { "UPDATE orders SET payment_intent = ?, hosted_url = NULLIF(?, ''), "
			   "payment_status = IF(status IN ('pending_payment', 'payment_failed'), ?, payment_status) "
			   "WHERE id = ?", 0 },
	[Q_EVENT_SEEN] = { "INSERT IGNORE INTO payment_events (event_id, type, payment_intent) VALUES (?, ?, ?)", 0 },
	/* Whether the notice was applied already, and whether an order of
	 * its intent is past waiting for its payment and neither expired nor
	 * cancelled (where a late payment must still be voided): then a
	 * notice of the payment's outcome has nothing left to do to it. */
	[Q_EVENT_KNOWN] = { "SELECT EXISTS (SELECT 1 FROM payment_events WHERE event_id = ?), "
			    "EXISTS (SELECT 1 FROM orders WHERE payment_intent = ? AND status NOT IN "
			    "('pending_payment', 'payment_failed', 'expired', 'cancelled'))", 0 },
	[Q_FAIL_NOINTENT] = { "UPDATE orders SET payment_error = ? WHERE id = ?", 0 },
	/* The order a cart (as a Review page named it) became, unless it
	 * ended unpaid: an expired or cancelled order lets the cart check out
	 * again. A day bounds it: a cart version is only unique while the
	 * cart row lives (an idle cart is purged after 30 days). */
	[Q_CART_ORDER] = { "SELECT c.order_id FROM checkouts c JOIN orders o ON o.id = c.order_id "
			   "WHERE c.user_id = ? AND c.cart_key = ? AND o.status NOT IN ('expired', 'cancelled') "
			   "AND c.created_at > NOW(3) - INTERVAL 1 DAY ORDER BY c.id LIMIT 1", 0 },
	/* Serializes two tabs placing the same cart (the cart's row). */
	[Q_CART_LOCK] = { "SELECT version FROM carts WHERE user_id = ? FOR UPDATE", 0 },
};

static int64_t hold_ttl = CHECKOUT_HOLD_TTL;
static int test_hooks;
static checkout_order_doc_fn order_doc;

void checkout_saga_init(void)
{
	const char *t = getenv("SHOP_HOLD_TTL"), *h = getenv("SHOP_TEST_HOOKS");
	int64_t v;

	db_register(sql, NQ);
	if (t && !to_int64(t, 10, 7 * 24 * 3600, &v))
		hold_ttl = v;
	test_hooks = h && !strcmp(h, "1");
}

void checkout_set_order_doc(checkout_order_doc_fn fn)
{
	order_doc = fn;
}

/* ---- quoting ---- */


static void refuse(struct checkout_plan *p, int status, const char *msg)
{
	p->status = status;
	p->msg = msg;
}

/* A refusal whose answer names its cause in error.title (through extra,
 * which both the quote and the stored answer merge into "error"). */
static void refuse_as(struct checkout_plan *p, int status, const char *title, const char *msg)
{
	refuse(p, status, msg);
	p->extra = json_pack("{s:s}", "title", title);
}

enum err checkout_plan(struct db *db, struct arena *a, const struct checkout_req *in, struct checkout_plan *p)
{
	struct pricing_dest dest = { in->addr.country, in->addr.region };
	json_t *bad = NULL;
	enum err e;

	memset(p, 0, sizeof(*p));
	p->cart = in->cart;
	if (!p->cart->n) {
		refuse_as(p, 422, "Your cart is empty", "Your cart is empty.");
		return E_OK;
	}
	{	/* CURRENCIES (issue 19): the rate of the day, the cart's prices in it */
		struct fx_quote_rate fr;

		e = fx_rate_now(db, a, in->currency, &fr);
		if (e == E_INVAL || e == E_NOTFOUND) {
			refuse_as(p, 422, "That currency is not available",
				  e == E_INVAL ? "The shop does not sell in that currency." :
				  "The shop has no exchange rate for that currency today.");
			p->extra = json_pack("{s:s, s:[{s:s, s:s}]}", "title", "That currency is not available",
					     "fields", "field", "currency", "message",
					     e == E_INVAL ? "is not one of the shop's currencies" : "has no rate loaded");
			return E_OK;
		}
		if (e || (e = fx_cart_prices(db, a, p->cart, &fr)))
			return e;
		p->fx_rate = fr.rate;
		p->fx_rate_text = fr.rate_text;
		p->fx_date = fr.date;
	}
	p->lines = arena_calloc(a, p->cart->n, sizeof(*p->lines));
	if (!p->lines)
		return E_NOMEM;
	for (size_t i = 0; i < p->cart->n; i++) {
		const struct cart_line *l = &p->cart->lines[i];

		if (!l->sellable || l->available < l->quantity) {
			if (!bad)
				bad = json_array();
			json_array_append_new(bad, json_pack("{s:s, s:i, s:I}", "itemId", l->code,
				"requested", l->quantity, "available", (json_int_t)(l->sellable && l->available > 0 ? l->available : 0)));
			continue;
		}
		p->lines[p->n].sku_id = l->sku_id;
		p->lines[p->n].unit_price = l->price;
		p->lines[p->n].quantity = l->quantity;
		p->lines[p->n].weight_g = l->weight_g;
		p->n++;
	}
	if (bad) {
		refuse(p, 409, "Some items in your cart are not available in the quantity you chose. "
			       "Please review your cart.");
		p->extra = json_pack("{s:o}", "lines", bad);
		return E_OK;
	}
	e = pricing_quote_in(db, a, p->lines, p->n, &dest, in->method, in->promo, in->user_id,
			     (int64_t)time(NULL), in->currency, p->fx_rate, &p->q);	/* CURRENCIES */
	if (e == E_INVAL) {
		refuse_as(p, 422, "That shipping method is not available",
			  p->q.method_error ? p->q.method_error : "That shipping method is not available.");
		return E_OK;
	}
	if (e)
		return e;
	if (p->q.promo_error) {
		refuse_as(p, 422, "That promo code cannot be used", p->q.promo_error);
		return E_OK;
	}
	return E_OK;
}

json_t *checkout_quote_json(const struct checkout_plan *p)
{
	json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s?, s:i, s:i, s:s?}",
		"subtotal", (json_int_t)p->q.subtotal, "shipping", (json_int_t)p->q.shipping,
		"tax", (json_int_t)p->q.tax, "discount", (json_int_t)p->q.discount,
		"amount", (json_int_t)p->q.total, "currency", p->q.currency ? p->q.currency : "USD",
		"shippingMethod", p->q.method ? p->q.method : "", "methodName", p->q.method_name,
		"daysMin", p->q.days_min, "daysMax", p->q.days_max,
		"promoCode", p->q.promo_id ? p->q.promo_code : NULL);

	/* CURRENCIES (issue 19): the rate the amounts are at, and its day: a
	 * place-order with another day's rate gets 409 and a new quote. */
	if (j && p->fx_rate_text) {
		json_object_set_new(j, "fxRate", json_string(p->fx_rate_text));
		json_object_set_new(j, "fxDate", p->fx_date ? json_string(p->fx_date) : json_null());
	}
	return j;
}

/* ---- answers ---- */

const char *checkout_error_title(int status)
{
	switch (status) {
	case 400: return "Please check your order's details";
	case 402: return "The payment did not go through";
	case 409: return "Your order needs another look";
	case 422: return "That order could not be placed";
	case 503: return "The payment service did not answer";
	}
	return "That did not work";
}

/* An error answer as JSON text (what is stored for replays). */
static char *error_text(int status, const char *msg, json_t *extra)
{
	json_t *err = json_pack("{s:i, s:s, s:s}", "status", status, "title", checkout_error_title(status),
				"message", msg), *j;
	char *s;

	if (extra)
		json_object_update(err, extra);
	j = json_pack("{s:o}", "error", err);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

/* The answer to a second "Place order" of a cart that became an order. */
static char *cart_ordered(int64_t order_id)
{
	json_t *x = json_pack("{s:I}", "orderId", (json_int_t)order_id);
	char *t = error_text(409, "This cart has been ordered already (in another tab or window): "
				  "here is that order.", x);

	json_decref(x);
	return t;
}

enum err checkout_cart_order(struct db *db, struct arena *a, int64_t uid, const char *cart_key, int64_t *order_id)
{
	struct db_res *r = NULL;
	enum err e;

	*order_id = 0;
	if (!cart_key || (e = db_exec(db, a, &sql[Q_CART_ORDER], &r, "is", uid, cart_key)))
		return cart_key ? e : E_OK;
	if (r->nrows)
		*order_id = db_int(r, 0, 0);
	return E_OK;
}

enum err checkout_key_placed(struct db *db, struct arena *a, int64_t uid, const char *key, int *placed)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_CK_PLACED], &r, "is", uid, key);

	*placed = !e && r->nrows > 0;
	return e;
}

static enum err store(struct db *db, struct arena *a, int64_t ck, const char *state, int status, const char *body)
{
	return db_exec(db, a, &sql[Q_CK_DONE], NULL, "sisi", state, (int64_t)status, body, ck);
}

/* ---- the saga ---- */

struct place {
	struct arena *a;
	int64_t ck;
	const struct checkout_req *in;
	struct checkout_plan *p;
	int64_t order_id;
	struct hold_req *holds;
	struct order_line_new *lines;	/* the order's lines, holds[i] for lines[i] */
	size_t nlines;
	size_t short_line;
	const char *promo_why;
	int promo_refused;
	int64_t cart_order;	/* the order this cart became already (another tab) */
	const char *sale_why;	/* SALES: over a sale's per-customer limit (409) */
};

/* Step 2 and 3 in one transaction: the order with its lines, the holds, the
 * promo use, the OrderPlaced event, the saga row moved to 'reserved'. */
static enum err tx_place(struct db *db, void *arg)
{
	struct place *pl = arg;
	struct arena *a = pl->a;
	const struct pricing_quote *q = &pl->p->q;
	struct order_new on;
	int64_t now = (int64_t)time(NULL);
	enum err e;

	pl->promo_refused = 0;
	pl->cart_order = 0;
	pl->sale_why = NULL;
	if (pl->in->cart_key) {
		struct db_res *r = NULL;

		if ((e = db_exec(db, a, &sql[Q_CART_LOCK], NULL, "i", pl->in->user_id)) ||
		    (e = db_exec(db, a, &sql[Q_CART_ORDER], &r, "is", pl->in->user_id, pl->in->cart_key)))
			return e;
		if (r->nrows) {
			pl->cart_order = db_int(r, 0, 0);
			return E_CONFLICT;
		}
	}
	on.user_id = pl->in->user_id;
	on.currency = q->currency;
	on.fx_rate = pl->p->fx_rate_text;	/* CURRENCIES */
	on.fx_date = pl->p->fx_date;
	on.subtotal = q->subtotal;
	on.shipping = q->shipping;
	on.tax = q->tax;
	on.discount = q->discount;
	on.total = q->total;
	on.method = q->method;
	on.ship = pl->in->addr;
	on.promo_code = q->promo_id ? q->promo_code : NULL;
	on.hold_expires = now + hold_ttl;
	on.lines = pl->lines;
	on.n = pl->nlines;
	if ((e = order_create(db, a, &on, &pl->order_id)))
		return e;
	/* The saga row before the units: a hot SKU's inventory row is locked
	 * from inventory_hold to the commit, with as little as may between. */
	if ((e = db_exec(db, a, &sql[Q_CK_RESERVED], NULL, "isi", pl->order_id, pl->in->cart_key, pl->ck)))
		return e;
	if (db_affected(db) != 1)
		return E_BUSY;	/* placed by the other: all of this rolls back */
	for (size_t k = 0; k < pl->nlines; k++) {	/* afresh: inventory_hold sorts them */
		pl->holds[k].sku_id = pl->lines[k].sku_id;
		pl->holds[k].product_id = pl->lines[k].product_id;
		pl->holds[k].quantity = (int)pl->lines[k].quantity;
		pl->holds[k].available = 0;
		pl->holds[k].sale_id = pl->lines[k].sale_id;	/* SALES: from the sale's shards */
	}
	e = inventory_hold(db, a, pl->order_id, pl->holds, pl->nlines, now + hold_ttl, &pl->short_line);
	if (e)
		return e;	/* E_CONFLICT: short; everything rolls back */
	/* SALES: sale lines count against the buyer's per-customer limit, in
	 * this transaction (a refusal rolls the holds back too). */
	for (size_t k = 0; k < pl->nlines; k++) {
		const char *buyer = NULL;
		int allowed = 0;

		if (!pl->lines[k].sale_id)
			continue;
		if ((e = sales_buyer(db, a, pl->in->user_id, &buyer)))
			return e;
		e = sales_claim(db, a, pl->lines[k].sale_id, pl->lines[k].sku_id, buyer, (int)pl->lines[k].quantity,
				&allowed);
		if (e == E_CONFLICT) {
			pl->sale_why = allowed > 0 ?
				arena_printf(a, "The flash sale allows %d more of %s per customer; please lower the "
					     "quantity in your cart.", allowed, pl->lines[k].title) :
				arena_printf(a, "You have bought as many of %s as the flash sale allows per customer; "
					     "please remove it from your cart to check out.", pl->lines[k].title);
			return E_CONFLICT;
		}
		if (e)
			return e;
	}
	if (q->promo_id) {
		e = pricing_promo_redeem(db, a, q->promo_id, pl->in->user_id, pl->order_id, now, &pl->promo_why);
		if (e == E_CONFLICT || e == E_NOTFOUND) {
			pl->promo_refused = 1;
			return E_CONFLICT;
		}
		if (e)
			return e;
	}
	return E_OK;
}

/* Moves an order whose payment the gateway refused without an intent (an
 * unknown payment method) to payment_failed. */
struct nointent {
	int64_t order_id;
	const char *reason;
	struct arena *a;
};

static enum err tx_nointent(struct db *db, void *arg)
{
	struct nointent *n = arg;
	enum err e = db_exec(db, n->a, &sql[Q_FAIL_NOINTENT], NULL, "si", n->reason, n->order_id);

	if (!e)
		e = order_move(db, n->a, n->order_id, "payment_failed", "gateway", n->reason, NULL);
	return e == E_CONFLICT ? E_OK : e;
}

/* Step 4 and 5: asks the gateway (key derived from the order, so a repeat
 * is the same request) and applies the answer; the answer is stored on the
 * saga row. When the gateway did not answer (*silent set, E_UNAVAIL) or
 * the first attempt is still running there (E_BUSY), the saga stays in
 * 'authorizing' and is resumed (here on a replay, or by the jobs process
 * once no attempt can still be running); neither is ever a decline. */
static enum err authorize(struct db *db, struct arena *a, int64_t ck, int64_t order_id, int64_t uid,
			  const char *pm, const struct pricing_quote *fresh, int *status, char **body, int *silent)
{
	struct db_res *r = NULL;
	struct payment p;
	int64_t total;
	const char *currency;
	json_t *o;
	enum err e;

	*body = NULL;
	*silent = 0;
	/* fresh: the order was placed in this request (its total and
	 * currency are known, and tx_place moved the row to 'authorizing');
	 * NULL: a resumption, which reads them and marks its attempt. */
	if (fresh) {
		total = fresh->total;
		currency = fresh->currency ? fresh->currency : "USD";
	} else {
		if ((e = db_exec(db, a, &sql[Q_PAYINFO], &r, "i", order_id)))
			return e;
		if (!r->nrows)
			return E_INTERNAL;
		total = db_int(r, 0, 0);
		currency = db_cell(r, 0, 1);
		if ((e = db_exec(db, a, &sql[Q_CK_AUTHORIZING], NULL, "i", ck)))
			return e;
	}
	e = payment_create(a, arena_printf(a, "order-%lld-pay", (long long)order_id), total,
			   currency, pm, arena_printf(a, "%s/checkout/return?order=%lld", config.base_url,
							    (long long)order_id), order_id, &p);
	*silent = e == E_UNAVAIL;
	if (e)
		return e;
	if (*p.id && !(!strcmp(p.status, "requires_capture") && !*p.error_code) &&
	    (e = db_exec(db, a, &sql[Q_SET_INTENT], NULL, "sssi", p.id, p.hosted_url, p.status, order_id)))
		return e;
	if (!strcmp(p.status, "requires_capture") && !*p.error_code) {
		int late = 0;

		if ((e = order_paid_for(db, a, order_id, p.id, p.hosted_url, p.status, p.brand, p.last4, "gateway",
					&late)))
			return e;
		*status = late ? 409 : 201;
	} else if (*p.error_code || *p.error_type) {
		const char *why = *p.error_type && strcmp(p.error_type, "card_error") ?
			"The payment method was not accepted." : payment_reason(&p);

		if (*p.id)
			e = order_declined(db, a, p.id, why, "gateway");
		else {
			struct nointent n = { order_id, why, a };

			e = db_tx(db, tx_nointent, &n);
		}
		if (e)
			return e;
		*status = 402;
	} else {
		*status = 202;	/* to be paid on the gateway's page (payUrl) */
	}
	o = order_doc ? order_doc(db, a, order_id, uid) : json_pack("{sI}", "id", (json_int_t)order_id);
	if (!o)
		return E_INTERNAL;
	if (*status == 402)
		json_object_set_new(o, "reason", json_string(json_string_value(
			json_object_get(json_object_get(o, "payment"), "error"))));
	if (*status == 409)
		json_object_set_new(o, "error", json_pack("{s:i, s:s}", "status", 409, "message",
			"The payment arrived after the order had expired; it was voided."));
	*body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	e = store(db, a, ck, "done", *status, *body);
	if (*body) {
		char *copy = arena_strdup(a, *body);

		free(*body);
		*body = copy;
	}
	return e;
}

/* A test hook, active only when shopd runs with SHOP_TEST_HOOKS=1: while
 * the Redis key "test:pause" names this step (at most 30 s), the worker
 * waits there, so a test can kill it at exactly that point of the saga
 * however slow the machine is. */
static void test_pause(struct kv *kv, struct arena *a, const char *step)
{
	for (int i = 0; test_hooks && i < 300; i++) {
		redisReply *r = NULL;

		if (kv_cmd(kv, a, &r, "GET test:pause") || !r || r->type != REDIS_REPLY_STRING ||
		    strcmp(r->str, step))
			return;
		usleep(100 * 1000);
	}
}

/* A claimed attempt that failed before its order existed: the claim goes
 * back (best effort: with MariaDB away it cannot, and the 30 s rule of
 * Q_CK_CLAIM applies). Returns e. */
static enum err unclaim(struct db *db, struct arena *a, int64_t ck, enum err e)
{
	if (db_exec(db, a, &sql[Q_CK_UNCLAIM], NULL, "i", ck))
		log_warn("checkout %lld: claim not given back", (long long)ck);
	return e;
}

enum err checkout_place(struct db *db, struct arena *a, struct kv *kv, const struct checkout_req *rq,
			struct checkout_answer *ans)
{
	struct db_res *r = NULL;
	struct checkout_plan p;
	int64_t ck;
	int status = 0, silent = 0;
	char *body = NULL;
	enum err e;

	memset(ans, 0, sizeof(*ans));

	if ((e = db_exec(db, a, &sql[Q_CK_INS], NULL, "isss", rq->user_id, rq->idem_key, rq->request_hash,
			 rq->payment_method))) {
		if (db_exec(db, a, &sql[Q_CK_UNCLAIM_KEY], NULL, "is", rq->user_id, rq->idem_key))
			log_warn("checkout: a claim may not have been given back");
		return e;
	}
	if (db_affected(db) == 1) {	/* a new key: the row is ours, claimed */
		ck = (int64_t)db_insert_id(db);
		goto claimed;
	}
	if ((e = db_exec(db, a, &sql[Q_CK_GET], &r, "is", rq->user_id, rq->idem_key)))
		return e;
	if (!r->nrows)
		return E_INTERNAL;
	ck = db_int(r, 0, K_ID);
	if (strcmp(db_cell(r, 0, K_HASH), rq->request_hash)) {
		ans->kind = CHECKOUT_KEY_REUSED;
		return E_OK;
	}
	if (db_cell(r, 0, K_STATUS)) {
		status = (int)db_int(r, 0, K_STATUS);
		body = (char *)db_cell(r, 0, K_BODY);	/* arena-owned, read only */
		goto answer;	/* a replay: the stored first answer */
	}
	if (!strcmp(db_cell(r, 0, K_STATE), "reserved") || !strcmp(db_cell(r, 0, K_STATE), "authorizing")) {
		/* The first attempt held the units and lost the gateway's answer
		 * (or died): resume with the same keys. */
		e = authorize(db, a, ck, db_int(r, 0, K_ORDER), rq->user_id, db_cell(r, 0, K_PM), NULL, &status,
			      &body, &silent);
		if (silent)
			goto unavailable;
		if (e == E_BUSY)
			goto in_flight;
		if (e)
			return e;
		goto answer;
	}
	/* A claim whose answer was lost may have been made: it is given
	 * back, or the shopper's retry would wait out the 30 s. */
	if ((e = db_exec(db, a, &sql[Q_CK_CLAIM], NULL, "i", ck)))
		return unclaim(db, a, ck, e);
	if (db_affected(db) != 1)
		goto in_flight;

claimed:
	/* A cart checks out once: another tab placed it already (maybe paid
	 * for it, emptying the cart): its order is the answer. */
	if (rq->cart_key) {
		int64_t oid = 0;

		if ((e = checkout_cart_order(db, a, rq->user_id, rq->cart_key, &oid)))
			return unclaim(db, a, ck, e);
		if (oid) {
			body = cart_ordered(oid);
			status = 409;
			goto refused;
		}
	}

	/* Step 1: validate against current prices and the amount the shopper saw. */
	if (rq->bad_input) {
		body = error_text(400, rq->bad_input, rq->bad_fields);
		status = 400;
		goto refused;
	}
	if ((e = checkout_plan(db, a, rq, &p)))
		return unclaim(db, a, ck, e);
	if (!p.status && rq->fx_date && p.fx_date && strcmp(rq->fx_date, p.fx_date)) {
		/* CURRENCIES: quoted at another day's rate: a new quote. */
		refuse(&p, 409, arena_printf(a, "The exchange rate has changed (now the rate of %s); please "
					     "confirm the new amount.", p.fx_date));
		p.extra = json_pack("{s:I, s:o}", "amount", (json_int_t)p.q.total, "quote", checkout_quote_json(&p));
	} else if (!p.status && (!rq->has_amount || rq->amount != p.q.total)) {
		refuse(&p, 409, fx_exponent(p.q.currency) == 0 ?	/* CURRENCIES: JPY has no cents */
		       arena_printf(a, "The total is now %lld %s; please confirm the new amount.",
				    (long long)p.q.total, p.q.currency) :
		       arena_printf(a, "The total is now %lld.%02lld %s; please confirm the new amount.",
					     (long long)(p.q.total / 100), (long long)(p.q.total % 100),
					     p.q.currency ? p.q.currency : "USD"));
		p.extra = json_pack("{s:I, s:o}", "amount", (json_int_t)p.q.total, "quote", checkout_quote_json(&p));
	}
	if (p.status) {
		body = error_text(p.status, p.msg, p.extra);
		json_decref(p.extra);
		status = p.status;
		goto refused;
	}

	/* Steps 2 and 3. */
	{
		struct place pl = { a, ck, rq, &p, 0, arena_calloc(a, p.n + 1, sizeof(struct hold_req)),
				    arena_calloc(a, p.n + 1, sizeof(struct order_line_new)), 0, 0, NULL, 0, 0, NULL };

		if (!pl.holds || !pl.lines)
			return unclaim(db, a, ck, E_NOMEM);
		/* The lines in the cart's order, each with its price and seller. */
		for (size_t i = 0; i < p.cart->n; i++) {
			const struct cart_line *l = &p.cart->lines[i];
			const struct pricing_line *pln = NULL;
			struct order_line_new *ol = &pl.lines[pl.nlines];

			for (size_t j = 0; j < p.n; j++)
				if (p.lines[j].sku_id == l->sku_id)
					pln = &p.lines[j];
			if (!pln || pl.nlines >= p.n)
				continue;
			ol->sku_id = l->sku_id;
			ol->product_id = l->product_id;
			ol->seller_id = l->seller_id;	/* read with the cart */
			ol->code = l->code;
			ol->title = l->title;
			ol->options = l->options;
			ol->unit_price = pln->unit_price;
			ol->quantity = pln->quantity;
			ol->discount = pln->discount;
			ol->tax = pln->tax;
			ol->sale_id = l->on_sale ? l->sale_id : 0;	/* SALES */
			pl.nlines++;
		}
		e = db_tx(db, tx_place, &pl);
		/* The products' stock read model, right after the commit: the
		 * followers of the holds' StockChanged events (alerts arming a
		 * back-in-stock alert, every host's page cache) read it when they
		 * see the event, so it must not wait for a follower of its own
		 * (design.md section 10). The indexer's batch refreshes it again,
		 * which mends a refresh lost with a killed worker. */
		if (e == E_OK)
			order_refresh_stock_lines(db, a, pl.lines, pl.nlines);
		if (e == E_CONFLICT && pl.cart_order) {
			status = 409;
			body = cart_ordered(pl.cart_order);
			goto refused;
		}
		if (e == E_CONFLICT && pl.sale_why) {	/* SALES */
			json_t *x = json_pack("{s:s}", "title", "Flash sale limit per customer");

			status = 409;
			body = error_text(409, pl.sale_why, x);
			json_decref(x);
			goto refused;
		}
		if (e == E_CONFLICT && pl.promo_refused) {
			status = 409;
			body = error_text(409, pl.promo_why ? pl.promo_why : "That promo code cannot be used any more.", NULL);
			goto refused;
		}
		if (e == E_CONFLICT) {
			json_t *lines = json_array();

			for (size_t i = 0; i < p.n; i++)
				if (pl.holds[i].available < pl.holds[i].quantity) {
					const char *code = "";

					for (size_t j = 0; j < p.cart->n; j++)
						if (p.cart->lines[j].sku_id == pl.holds[i].sku_id)
							code = p.cart->lines[j].code;
					json_array_append_new(lines, json_pack("{s:s, s:i, s:I}", "itemId", code,
						"requested", pl.holds[i].quantity, "available", (json_int_t)pl.holds[i].available));
				}
			status = 409;
			body = error_text(409, "Sorry, some items sold out while you were checking out. "
					       "Nothing was reserved or charged.", json_pack("{s:o}", "lines", lines));
			goto refused;
		}
		if (e == E_BUSY)
			goto in_flight;
		if (e)
			return unclaim(db, a, ck, e);	/* rolled back (or committed and the row says so) */
		test_pause(kv, a, "reserved");
		/* Steps 4 and 5. */
		e = authorize(db, a, ck, pl.order_id, rq->user_id, rq->payment_method, &p.q, &status, &body, &silent);
		if (silent)
			goto unavailable;
		if (e == E_BUSY)
			goto in_flight;
		if (e)
			return e;
	}
	goto answer;

refused:
	/* Nothing was held: the refusal is the stored answer of this key. */
	if (body) {
		char *copy = arena_strdup(a, body);

		free(body);
		body = copy;
	}
	if ((e = store(db, a, ck, "failed", status, body)))
		return unclaim(db, a, ck, e);
answer:
	ans->kind = CHECKOUT_ANSWER;
	ans->status = status;
	ans->body = body;
	return E_OK;
unavailable:
	ans->kind = CHECKOUT_UNAVAILABLE;
	return E_OK;
in_flight:
	/* Another request with this key is still at work (here or at the
	 * gateway): its outcome is not known yet, and it is not a refusal. */
	ans->kind = CHECKOUT_IN_FLIGHT;
	return E_OK;
}

/* ---- the Review page's input between its POST and its GET ---- */

#define STASH_TTL 7200	/* seconds */

enum err checkout_stash_put(struct kv *kv, struct arena *a, const char *session_key, const char *text)
{
	redisReply *r = NULL;

	return kv_cmd(kv, a, &r, "SET co:%s %s EX %d", session_key, text, STASH_TTL);
}

enum err checkout_stash_get(struct kv *kv, struct arena *a, const char *session_key, const char **text)
{
	redisReply *r = NULL;
	enum err e;

	*text = NULL;
	if ((e = kv_cmd(kv, a, &r, "GET co:%s", session_key)))
		return e;
	if (r && r->type == REDIS_REPLY_STRING)
		*text = arena_strndup(a, r->str, r->len);
	return E_OK;
}

/* ---- the gateway's notices ---- */

enum err checkout_gateway_event(struct db *db, struct arena *a, const struct gateway_event *ev, int *duplicate)
{
	struct db_res *seen = NULL;
	enum err e = E_OK;

	*duplicate = 0;
	/* A redelivered or replayed event was applied already: answered 2xx
	 * (so the gateway stops) and not applied again. The id is recorded
	 * after the effect, so a crash in between means the redelivery does
	 * it again, which every effect below allows. */
	if ((e = db_exec(db, a, &sql[Q_EVENT_KNOWN], &seen, "ss", ev->id, ev->intent ? ev->intent : "")))
		return e;
	if (db_int(seen, 0, 0)) {
		*duplicate = 1;
		return E_OK;
	}
	/* The usual case: the saga applied the gateway's answer before its
	 * notice came. The same read says so, and the notice is only
	 * recorded: no transaction, no lock of the order (a locking no-op
	 * transaction per order cost a commit). A state that moves on
	 * meanwhile moves away from waiting, never back to it. */
	if (ev->intent && db_int(seen, 0, 1) &&
	    (!strcmp(ev->type, "payment_intent.amount_capturable_updated") ||
	     !strcmp(ev->type, "payment_intent.payment_failed")))
		return db_exec(db, a, &sql[Q_EVENT_SEEN], NULL, "sss", ev->id, ev->type, ev->intent);
	for (int round = 0; round < 2; round++) {
		int64_t order_id = 0;

		if (ev->intent && !strcmp(ev->type, "payment_intent.amount_capturable_updated")) {
			int late = 0;

			e = order_paid(db, a, ev->intent, ev->brand, ev->last4, "gateway", &late);
		} else if (ev->intent && !strcmp(ev->type, "payment_intent.payment_failed")) {
			struct payment p;

			memset(&p, 0, sizeof(p));
			p.error_code = ev->error_code ? ev->error_code : "";
			p.decline_code = ev->decline_code ? ev->decline_code : "";
			e = order_declined(db, a, ev->intent, payment_reason(&p), "gateway");
		}
		/* No order knows this intent: the saga that created it has not
		 * stored the gateway's answer (lost with a timeout or a killed
		 * worker, or still on its way). The intent names its order:
		 * link it, so that an authorization is never left unowned
		 * (a late one is voided by order_paid). */
		if (e != E_NOTFOUND || round || to_int64(ev->order_id, 1, INT64_MAX, &order_id))
			break;
		e = order_link_intent(db, a, order_id, ev->intent, ev->amount, ev->currency);
		if (e == E_CONFLICT) {
			e = E_NOTFOUND;
			break;
		}
		if (e)
			return e;
	}
	if (e == E_NOTFOUND)
		return E_OK;	/* not one of our orders (yet): nothing to do, nothing to record */
	if (e)
		return e;
	return db_exec(db, a, &sql[Q_EVENT_SEEN], NULL, "sss", ev->id, ev->type, ev->intent);
}

/* ---- recovery ---- */

int checkout_recover_batch(struct db *db, struct kv *kv, struct arena *a)
{
	struct db_res *r = NULL;
	int done = 0;

	(void)kv;
	if (db_exec(db, a, &sql[Q_CK_STUCK], &r, "i", (int64_t)PAYMENT_SETTLE_S))
		return -1;
	for (size_t i = 0; i < r->nrows; i++) {
		struct db_res *k = NULL;
		int status, silent;
		char *body;
		enum err e;

		if (db_exec(db, a, &sql[Q_CK_BY_ID], &k, "i", db_int(r, i, 0)) || !k->nrows)
			return -1;
		e = authorize(db, a, db_int(k, 0, K_ID), db_int(k, 0, K_ORDER), db_int(k, 0, K_USER),
			      db_cell(k, 0, K_PM), NULL, &status, &body, &silent);
		if (e == E_UNAVAIL)
			return -1;	/* the gateway (or MariaDB) is silent: back off */
		if (e == E_BUSY) {
			/* A retry by the shopper is running it: theirs to finish
			 * (or ours, once it has settled). */
			log_info("checkout %lld: an attempt is still running at the gateway", (long long)db_int(k, 0, K_ID));
			continue;
		}
		if (e) {
			log_err("checkout %lld: resume failed: %s", (long long)db_int(k, 0, K_ID), err_str(e));
			continue;
		}
		log_info("checkout %lld: resumed, order %lld answered %d", (long long)db_int(k, 0, K_ID),
			 (long long)db_int(k, 0, K_ORDER), status);
		done++;
	}
	return done;
}
