/* Checkout: see checkout.h for the saga's states. The rule of this file:
 * every step is idempotent and every boundary that can be retried carries a
 * key, so a double click, a replay, a lost gateway answer or a killed worker
 * ends in exactly one order and at most one authorization. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "../account/account.h"
#include "../account/address.h"
#include "../account/session.h"
#include "../cart/cart.h"
#include "../order/order.h"
#include "../payment/payment.h"
#include "pricing.h"
#include "checkout.h"

enum {
	Q_CK_INS, Q_CK_GET, Q_CK_BY_ID, Q_CK_CLAIM, Q_CK_RESERVED, Q_CK_AUTHORIZING, Q_CK_DONE,
	Q_CK_STUCK, Q_CK_UNCLAIM, Q_ORDER_INS, Q_LINE_INS, Q_EVENT0, Q_OUTBOX, Q_PAYINFO, Q_SET_INTENT,
	Q_ORDER_OF, Q_EVENT_SEEN, Q_EVENT_KNOWN, Q_FAIL_NOINTENT, Q_SELLERS, NQ
};

#define CK_COLS "id, request_hash, state, response_status, response_body, order_id, payment_method, user_id"
enum { K_ID, K_HASH, K_STATE, K_STATUS, K_BODY, K_ORDER, K_PM, K_USER };

static struct db_sql sql[NQ] = {
	[Q_CK_INS] = { "INSERT IGNORE INTO checkouts (user_id, idem_key, request_hash, payment_method) "
		       "VALUES (?, ?, ?, ?)", 0 },
	[Q_CK_GET] = { "SELECT " CK_COLS " FROM checkouts WHERE user_id = ? AND idem_key = ?", 0 },
	[Q_CK_BY_ID] = { "SELECT " CK_COLS " FROM checkouts WHERE id = ?", 0 },
	/* The first request claims the row; a concurrent duplicate does not
	 * (409); a claim older than 30 s died with its worker before holding
	 * anything (holding and leaving 'started' are one transaction), so it
	 * may be claimed again. */
	[Q_CK_CLAIM] = { "UPDATE checkouts SET attempts = attempts + 1 WHERE id = ? AND state = 'started' "
			 "AND (attempts = 0 OR updated_at < NOW(3) - INTERVAL 30 SECOND)", 0 },
	/* Guarded: of two requests that both believe they hold the claim (one
	 * whose claim's answer was lost gave it back), one order is placed. */
	[Q_CK_RESERVED] = { "UPDATE checkouts SET state = 'reserved', order_id = ? WHERE id = ? AND state = 'started'", 0 },
	/* updated_at is set explicitly: a row already 'authorizing' would
	 * otherwise not change, and the resumption below measures the time
	 * since the latest attempt began. */
	[Q_CK_AUTHORIZING] = { "UPDATE checkouts SET state = 'authorizing', attempts = attempts + 1, updated_at = NOW(3) "
			       "WHERE id = ? AND state IN ('reserved', 'authorizing')", 0 },
	/* A request that failed before holding anything gives its claim back,
	 * so the shopper's retry need not wait out the 30 s. */
	[Q_CK_UNCLAIM] = { "UPDATE checkouts SET attempts = 0 WHERE id = ? AND state = 'started'", 0 },
	[Q_CK_DONE] = { "UPDATE checkouts SET state = ?, response_status = ?, response_body = ? WHERE id = ?", 0 },
	/* Stuck: no attempt can still be running (PAYMENT_SETTLE_S, bound). */
	[Q_CK_STUCK] = { "SELECT id FROM checkouts WHERE state IN ('reserved', 'authorizing') "
			 "AND updated_at < NOW(3) - INTERVAL ? SECOND ORDER BY id LIMIT 10", 0 },
	[Q_ORDER_INS] = { "INSERT INTO orders (user_id, currency, subtotal, shipping, tax, discount, total, "
			  "shipping_method, ship_name, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, "
			  "ship_country, promo_code, hold_expires_at) "
			  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FROM_UNIXTIME(?))", 0 },
	/* Plain values, read before the transaction: an INSERT ... SELECT
	 * would take shared locks on the products rows that stock updates
	 * then wait for. */
	[Q_LINE_INS] = { "INSERT INTO order_lines (order_id, line_no, sku_id, product_id, seller_id, code, title, "
			 "options, unit_price, quantity, discount, tax) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", 0 },
	[Q_SELLERS] = { "SELECT p.id, p.seller_id FROM products p JOIN JSON_TABLE(?, '$[*]' COLUMNS "
			"(id BIGINT UNSIGNED PATH '$')) j ON j.id = p.id", 0 },
	[Q_EVENT0] = { "INSERT INTO order_events (order_id, from_status, to_status, actor, reason) "
		       "VALUES (?, NULL, 'pending_payment', ?, 'order placed')", 0 },
	[Q_OUTBOX] = { "INSERT INTO outbox (topic, aggregate_id, payload) VALUES ('OrderPlaced', ?, ?)", 0 },
	[Q_PAYINFO] = { "SELECT total, currency, status, payment_intent FROM orders WHERE id = ?", 0 },
	/* The payment state is the gateway's answer only while the order
	 * waits for it: a late resumption must not overwrite what captures
	 * and refunds wrote since. */
	[Q_SET_INTENT] = { "UPDATE orders SET payment_intent = ?, hosted_url = NULLIF(?, ''), "
			   "payment_status = IF(status IN ('pending_payment', 'payment_failed'), ?, payment_status) "
			   "WHERE id = ?", 0 },
	[Q_ORDER_OF] = { "SELECT payment_intent, user_id, status FROM orders WHERE id = ?", 0 },
	[Q_EVENT_SEEN] = { "INSERT IGNORE INTO payment_events (event_id, type, payment_intent) VALUES (?, ?, ?)", 0 },
	[Q_EVENT_KNOWN] = { "SELECT 1 FROM payment_events WHERE event_id = ?", 0 },
	[Q_FAIL_NOINTENT] = { "UPDATE orders SET payment_error = ? WHERE id = ?", 0 },
};

static int64_t hold_ttl = CHECKOUT_HOLD_TTL;
static int test_hooks;

void checkout_init(void)
{
	const char *t = getenv("SHOP_HOLD_TTL"), *h = getenv("SHOP_TEST_HOOKS");
	int64_t v;

	db_register(sql, NQ);
	if (t && !parse_int64(t, strlen(t), 10, 7 * 24 * 3600, &v))
		hold_ttl = v;
	test_hooks = h && !strcmp(h, "1");
}

/* ---- input ---- */

struct input {
	struct address addr;
	int64_t address_id;
	const char *method, *promo, *pm;
	int64_t amount;
	int has_amount;
};

static const char *field_of(struct ctx *c, json_t *obj, const char *name)
{
	if (obj)
		return json_string_value(json_object_get(obj, name));
	return ctx_str(c, name);
}

/* The shipping address: an id from the address book, a JSON object
 * "shippingAddress", or the flat form fields. E_INVAL with *why. */
static enum err read_input(struct ctx *c, struct input *in, const char **why)
{
	json_t *obj = c->req->json ? json_object_get(c->req->json, "shippingAddress") : NULL;
	struct address_errors errs;

	memset(in, 0, sizeof(*in));
	in->method = ctx_str(c, "shippingMethod");
	in->promo = ctx_str(c, "promoCode");
	in->pm = ctx_str(c, "paymentMethod");
	in->has_amount = ctx_has(c, "amount");
	in->amount = ctx_int(c, "amount", 0);
	if (!in->method)
		in->method = "standard";
	if (ctx_has(c, "shippingAddressId") && ctx_int(c, "shippingAddressId", 0) > 0) {
		json_t *list = NULL, *a;
		size_t i;
		enum err e;

		in->address_id = ctx_int(c, "shippingAddressId", 0);
		if ((e = address_list(c, c->sess->uid, &list)))
			return e;
		json_array_foreach(list, i, a) {
			if (json_integer_value(json_object_get(a, "id")) != in->address_id)
				continue;
			in->addr.name = arena_strdup(c->a, json_string_value(json_object_get(a, "name")));
			in->addr.line1 = arena_strdup(c->a, json_string_value(json_object_get(a, "line1")));
			in->addr.line2 = arena_strdup(c->a, json_string_value(json_object_get(a, "line2")) ?: "");
			in->addr.city = arena_strdup(c->a, json_string_value(json_object_get(a, "city")));
			in->addr.region = arena_strdup(c->a, json_string_value(json_object_get(a, "region")) ?: "");
			in->addr.postal_code = arena_strdup(c->a, json_string_value(json_object_get(a, "postalCode")) ?: "");
			in->addr.country = arena_strdup(c->a, json_string_value(json_object_get(a, "country")));
		}
		json_decref(list);
		if (!in->addr.name) {
			*why = "shippingAddressId: is not one of your addresses";
			return E_INVAL;
		}
		return E_OK;
	}
	if (obj && !json_is_object(obj)) {
		*why = "shippingAddress: must be an object";
		return E_INVAL;
	}
	if (!obj && !ctx_str(c, "line1")) {
		*why = "shippingAddressId or shippingAddress: one of them is required";
		return E_INVAL;
	}
	in->addr.name = field_of(c, obj, "name");
	in->addr.line1 = field_of(c, obj, "line1");
	in->addr.line2 = field_of(c, obj, "line2");
	in->addr.city = field_of(c, obj, "city");
	in->addr.region = field_of(c, obj, "region");
	in->addr.postal_code = field_of(c, obj, "postalCode");
	in->addr.country = field_of(c, obj, "country");
	if (address_check(c->a, &in->addr, &errs)) {
		*why = arena_printf(c->a, "shippingAddress: %s", address_errors_text(c->a, &errs));
		return E_INVAL;
	}
	return E_OK;
}

/* ---- quoting ---- */

struct plan {
	struct cart *cart;
	struct pricing_line *lines;
	size_t n;
	struct pricing_quote q;
	int status;		/* a refusal: HTTP status and message (and JSON extras) */
	const char *msg;
	json_t *extra;
};

static void refuse(struct plan *p, int status, const char *msg)
{
	p->status = status;
	p->msg = msg;
}

/* The cart priced for this input. Refusals set p->status. */
static enum err plan(struct ctx *c, struct input *in, struct plan *p)
{
	struct pricing_dest dest = { in->addr.country, in->addr.region };
	json_t *bad = NULL;
	enum err e;

	memset(p, 0, sizeof(*p));
	if ((e = cart_load(c, &p->cart)))
		return e;
	if (!p->cart->n) {
		refuse(p, 422, "Your cart is empty.");
		return E_OK;
	}
	p->lines = arena_calloc(c->a, p->cart->n, sizeof(*p->lines));
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
	e = pricing_quote(c->db, c->a, p->lines, p->n, &dest, in->method, in->promo, c->sess->uid,
			  (int64_t)time(NULL), &p->q);
	if (e == E_INVAL) {
		refuse(p, 422, p->q.method_error ? p->q.method_error : "That shipping method is not available.");
		return E_OK;
	}
	if (e)
		return e;
	if (p->q.promo_error) {
		refuse(p, 422, p->q.promo_error);
		return E_OK;
	}
	return E_OK;
}

static json_t *quote_json(const struct plan *p)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s?, s:i, s:i, s:s?}",
		"subtotal", (json_int_t)p->q.subtotal, "shipping", (json_int_t)p->q.shipping,
		"tax", (json_int_t)p->q.tax, "discount", (json_int_t)p->q.discount,
		"amount", (json_int_t)p->q.total, "currency", p->q.currency ? p->q.currency : "USD",
		"shippingMethod", p->q.method ? p->q.method : "", "methodName", p->q.method_name,
		"daysMin", p->q.days_min, "daysMax", p->q.days_max,
		"promoCode", p->q.promo_id ? p->q.promo_code : NULL);
}

/* ---- answers ---- */

/* An error answer as JSON text (what is stored for replays). */
static char *error_text(int status, const char *msg, json_t *extra)
{
	json_t *err = json_pack("{s:i, s:s}", "status", status, "message", msg), *j;
	char *s;

	if (extra)
		json_object_update(err, extra);
	j = json_pack("{s:o}", "error", err);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

/* Sends a stored (or just made) answer: status and JSON text. */
static enum err reply_stored(struct ctx *c, int status, const char *body)
{
	json_t *j = json_loads(body ? body : "{}", 0, NULL), *m = reply_model(c, NULL, NULL);

	if (!m) {
		json_decref(j);
		return E_NOMEM;
	}
	if (json_is_object(j))
		json_object_update(m, j);
	json_decref(j);
	c->resp->status = status;
	return E_OK;
}

static enum err store(struct db *db, struct arena *a, int64_t ck, const char *state, int status, const char *body)
{
	return db_exec(db, a, &sql[Q_CK_DONE], NULL, "sisi", state, (int64_t)status, body, ck);
}

/* ---- the saga ---- */

struct place {
	struct ctx *c;
	int64_t ck;
	struct input *in;
	struct plan *p;
	int64_t order_id;
	struct hold_req *holds;
	struct db_res *sellers;	/* product id -> seller id */
	size_t short_line;
	const char *promo_why;
	int promo_refused;
};

/* Step 2 and 3 in one transaction: the order with its lines, the holds, the
 * promo use, the OrderPlaced event, the saga row moved to 'reserved'. */
static enum err tx_place(struct db *db, void *arg)
{
	struct place *pl = arg;
	struct ctx *c = pl->c;
	const struct pricing_quote *q = &pl->p->q;
	const struct address *ad = &pl->in->addr;
	int64_t now = (int64_t)time(NULL);
	enum err e;

	pl->promo_refused = 0;
	if ((e = db_exec(db, c->a, &sql[Q_ORDER_INS], NULL, "isiiiiisssssssssi", c->sess->uid,
			 q->currency ? q->currency : "USD", q->subtotal, q->shipping, q->tax, q->discount,
			 q->total, q->method, ad->name, ad->line1, ad->line2 ? ad->line2 : "", ad->city,
			 ad->region ? ad->region : "", ad->postal_code ? ad->postal_code : "", ad->country,
			 q->promo_id ? q->promo_code : NULL, now + hold_ttl)))
		return e;
	pl->order_id = (int64_t)db_insert_id(db);
	for (size_t i = 0, k = 0; i < pl->p->cart->n; i++) {
		const struct cart_line *l = &pl->p->cart->lines[i];
		const struct pricing_line *pln = NULL;
		int64_t seller = 0;

		for (size_t j = 0; j < pl->p->n; j++)
			if (pl->p->lines[j].sku_id == l->sku_id)
				pln = &pl->p->lines[j];
		if (!pln)
			continue;
		for (size_t j = 0; j < pl->sellers->nrows; j++)
			if (db_int(pl->sellers, j, 0) == l->product_id)
				seller = db_int(pl->sellers, j, 1);
		if ((e = db_exec(db, c->a, &sql[Q_LINE_INS], NULL, "iiiiisssiiii", pl->order_id, (int64_t)k + 1,
				 l->sku_id, l->product_id, seller, l->code, l->title, l->options ? l->options : "",
				 pln->unit_price, (int64_t)pln->quantity, pln->discount, pln->tax)))
			return e;
		pl->holds[k].sku_id = l->sku_id;
		pl->holds[k].quantity = pln->quantity;
		k++;
	}
	e = order_hold(db, c->a, pl->order_id, pl->holds, pl->p->n, now + hold_ttl, &pl->short_line);
	if (e)
		return e;	/* E_CONFLICT: short; everything rolls back */
	if (q->promo_id) {
		e = pricing_promo_redeem(db, c->a, q->promo_id, c->sess->uid, pl->order_id, now, &pl->promo_why);
		if (e == E_CONFLICT || e == E_NOTFOUND) {
			pl->promo_refused = 1;
			return E_CONFLICT;
		}
		if (e)
			return e;
	}
	if ((e = db_exec(db, c->a, &sql[Q_EVENT0], NULL, "is", pl->order_id,
			 arena_printf(c->a, "user:%lld", (long long)c->sess->uid))) ||
	    (e = db_exec(db, c->a, &sql[Q_OUTBOX], NULL, "is", pl->order_id,
			 arena_printf(c->a, "{\"orderId\": %lld, \"userId\": %lld, \"total\": %lld}", (long long)pl->order_id,
				      (long long)c->sess->uid, (long long)q->total))))
		return e;
	if ((e = db_exec(db, c->a, &sql[Q_CK_RESERVED], NULL, "ii", pl->order_id, pl->ck)))
		return e;
	return db_affected(db) == 1 ? E_OK : E_BUSY;	/* placed by the other: all of this rolls back */
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
			  const char *pm, int *status, char **body, int *silent)
{
	struct db_res *r = NULL;
	struct payment p;
	json_t *o;
	enum err e;

	*body = NULL;
	*silent = 0;
	if ((e = db_exec(db, a, &sql[Q_PAYINFO], &r, "i", order_id)))
		return e;
	if (!r->nrows)
		return E_INTERNAL;
	if ((e = db_exec(db, a, &sql[Q_CK_AUTHORIZING], NULL, "i", ck)))
		return e;
	e = payment_create(a, arena_printf(a, "order-%lld-pay", (long long)order_id), db_int(r, 0, 0),
			   db_cell(r, 0, 1), pm, arena_printf(a, "%s/checkout/return?order=%lld", config.base_url,
							    (long long)order_id), order_id, &p);
	*silent = e == E_UNAVAIL;
	if (e)
		return e;
	if (*p.id && (e = db_exec(db, a, &sql[Q_SET_INTENT], NULL, "sssi", p.id, p.hosted_url, p.status, order_id)))
		return e;
	if (!strcmp(p.status, "requires_capture") && !*p.error_code) {
		int late = 0;

		if ((e = order_paid(db, a, p.id, p.brand, p.last4, "gateway", &late)))
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
	o = order_json(db, a, order_id, uid);
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
static void test_pause(struct ctx *c, const char *step)
{
	for (int i = 0; test_hooks && i < 300; i++) {
		redisReply *r = NULL;

		if (kv_cmd(c->kv, c->a, &r, "GET test:pause") || !r || r->type != REDIS_REPLY_STRING ||
		    strcmp(r->str, step))
			return;
		usleep(100 * 1000);
	}
}

/* A claimed attempt that failed before its order existed: the claim goes
 * back (best effort: with MariaDB away it cannot, and the 30 s rule of
 * Q_CK_CLAIM applies). Returns e. */
static enum err unclaim(struct ctx *c, int64_t ck, enum err e)
{
	if (db_exec(c->db, c->a, &sql[Q_CK_UNCLAIM], NULL, "i", ck))
		log_warn("checkout %lld: claim not given back", (long long)ck);
	return e;
}

/* The whole place-order: idempotency, plan, hold, authorize. Answers the
 * request itself (JSON: stored answer; HTML: redirect or page). */
static enum err place_order(struct ctx *c, const char *key, int html)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hash[2 * sizeof(h) + 1];
	struct db_res *r = NULL;
	struct input in;
	struct plan p;
	const char *why = NULL;
	int64_t ck;
	int status = 0, silent = 0;
	char *body = NULL;
	enum err e;

	if (!key || !*key || strlen(key) > 255) {
		return reply_error(c, 400, html ? "The order form is incomplete. Please review your order again."
					   : "Idempotency-Key: a header of 1 to 255 characters is required.");
	}
	if (html) {
		/* A form's fields in a fixed order: the same form, the same hash. */
		const char *names[] = { "shippingAddressId", "name", "line1", "line2", "city", "region",
					"postalCode", "country", "shippingMethod", "promoCode", "amount" };
		crypto_hash_sha256_state st;

		crypto_hash_sha256_init(&st);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			const char *v = ctx_str(c, names[i]);

			crypto_hash_sha256_update(&st, (const unsigned char *)(v ? v : ""), v ? strlen(v) + 1 : 1);
		}
		crypto_hash_sha256_final(&st, h);
	} else {
		crypto_hash_sha256(h, (const unsigned char *)(c->req->body ? c->req->body : ""), c->req->body_len);
	}
	sodium_bin2hex(hash, sizeof(hash), h, sizeof(h));

	if ((e = db_exec(c->db, c->a, &sql[Q_CK_INS], NULL, "isss", c->sess->uid, key, hash, ctx_str(c, "paymentMethod"))) ||
	    (e = db_exec(c->db, c->a, &sql[Q_CK_GET], &r, "is", c->sess->uid, key)))
		return e;
	if (!r->nrows)
		return E_INTERNAL;
	ck = db_int(r, 0, K_ID);
	if (strcmp(db_cell(r, 0, K_HASH), hash))
		return reply_error(c, 422, "This Idempotency-Key was used with a different request. "
					   "Use a new key for a new order.");
	if (db_cell(r, 0, K_STATUS)) {
		status = (int)db_int(r, 0, K_STATUS);
		body = (char *)db_cell(r, 0, K_BODY);	/* arena-owned, read only */
		goto answer;	/* a replay: the stored first answer */
	}
	if (!strcmp(db_cell(r, 0, K_STATE), "reserved") || !strcmp(db_cell(r, 0, K_STATE), "authorizing")) {
		/* The first attempt held the units and lost the gateway's answer
		 * (or died): resume with the same keys. */
		e = authorize(c->db, c->a, ck, db_int(r, 0, K_ORDER), c->sess->uid, db_cell(r, 0, K_PM), &status,
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
	if ((e = db_exec(c->db, c->a, &sql[Q_CK_CLAIM], NULL, "i", ck)))
		return unclaim(c, ck, e);
	if (db_affected(c->db) != 1)
		goto in_flight;

	/* Step 1: validate against current prices and the amount the shopper saw. */
	e = read_input(c, &in, &why);
	if (e == E_INVAL) {
		body = error_text(400, why, NULL);
		status = 400;
		goto refused;
	}
	if (e)
		return unclaim(c, ck, e);
	if ((e = plan(c, &in, &p)))
		return unclaim(c, ck, e);
	if (!p.status && (!in.has_amount || in.amount != p.q.total)) {
		refuse(&p, 409, arena_printf(c->a, "The total is now %lld.%02lld %s; please confirm the new amount.",
					     (long long)(p.q.total / 100), (long long)(p.q.total % 100),
					     p.q.currency ? p.q.currency : "USD"));
		p.extra = json_pack("{s:I, s:o}", "amount", (json_int_t)p.q.total, "quote", quote_json(&p));
	}
	if (p.status) {
		body = error_text(p.status, p.msg, p.extra);
		json_decref(p.extra);
		status = p.status;
		goto refused;
	}

	/* Steps 2 and 3. */
	{
		struct place pl = { c, ck, &in, &p, 0, arena_calloc(c->a, p.n + 1, sizeof(struct hold_req)), NULL, 0, NULL, 0 };
		struct buf ids;

		if (!pl.holds)
			return unclaim(c, ck, E_NOMEM);
		buf_init(&ids, c->a, 16 + 12 * p.cart->n);
		buf_putc(&ids, '[');
		for (size_t i = 0; i < p.cart->n; i++)
			buf_printf(&ids, "%s%lld", i ? "," : "", (long long)p.cart->lines[i].product_id);
		buf_putc(&ids, ']');
		if ((e = db_exec(c->db, c->a, &sql[Q_SELLERS], &pl.sellers, "s", ids.p)))
			return unclaim(c, ck, e);
		e = db_tx(c->db, tx_place, &pl);
		if (e == E_OK)
			order_refresh_stock(c->db, c->a, pl.order_id);
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
			return unclaim(c, ck, e);	/* rolled back (or committed and the row says so) */
		test_pause(c, "reserved");
		/* Steps 4 and 5. */
		e = authorize(c->db, c->a, ck, pl.order_id, c->sess->uid, in.pm, &status, &body, &silent);
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
		char *copy = arena_strdup(c->a, body);

		free(body);
		body = copy;
	}
	if ((e = store(c->db, c->a, ck, "failed", status, body)))
		return unclaim(c, ck, e);
answer:
	if (html) {
		json_t *j = json_loads(body ? body : "{}", 0, NULL);
		const char *pay = json_string_value(json_object_get(j, "payUrl"));
		int64_t oid = json_integer_value(json_object_get(j, "id"));
		const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));

		if (pay && status == 202) {
			e = reply_redirect(c, 303, arena_strdup(c->a, pay));
		} else if (oid) {
			e = reply_redirect(c, 303, arena_printf(c->a, "/orders/%lld", (long long)oid));
		} else {
			e = reply_error(c, status, msg ? arena_strdup(c->a, msg) : NULL);
		}
		json_decref(j);
		return e;
	}
	return reply_stored(c, status, body);
unavailable:
	resp_header(c->resp, "Retry-After: 5");
	return reply_error(c, 503, "The payment service did not answer. Your order is kept and nothing was charged "
				   "twice: send the same request again (same Idempotency-Key) in a few seconds.");
in_flight:
	/* Another request with this key is still at work (here or at the
	 * gateway): its outcome is not known yet, and it is not a refusal. */
	resp_header(c->resp, "Retry-After: 5");
	return reply_error(c, 409, "This order is being placed already. Wait a moment and look at your orders.");
}

/* ---- API ---- */

enum err h_api_checkout(struct ctx *c)
{
	return place_order(c, c->req->idem_key, 0);
}

enum err h_api_checkout_quote(struct ctx *c)
{
	struct input in;
	struct plan p;
	const char *why = NULL;
	enum err e = read_input(c, &in, &why);
	json_t *m;

	if (e == E_INVAL)
		return reply_error(c, 400, why);
	if (e || (e = plan(c, &in, &p)))
		return e;
	if (p.status) {
		e = reply_error(c, p.status, p.msg);
		if (!e && p.extra)
			json_object_update(json_object_get(c->resp->model, "error"), p.extra);
		json_decref(p.extra);
		return e;
	}
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_update_new(m, quote_json(&p));
	return E_OK;
}

/* ---- pages ---- */

/* The checkout form: address, shipping method, promo code. */
static enum err checkout_form(struct ctx *c, int status, const char *error)
{
	json_t *m = session_form_page(c, "checkout", "Checkout", status), *list = NULL, *methods;
	struct cart *k = NULL;
	size_t i_ad;
	enum err e;

	if (!m)
		return E_NOMEM;
	if ((e = cart_load(c, &k)))
		return e;
	if (!k->n)
		return reply_redirect(c, 303, "/cart");
	if ((e = address_list(c, c->sess->uid, &list)))
		return e;
	json_object_set_new(m, "addresses", list);
	/* The methods from the rate tables, priced for this cart to the
	 * default address (or the first, or the US when there is none yet);
	 * the review page prices the address actually chosen. */
	{
		struct pricing_line *lines = arena_calloc(c->a, k->n + 1, sizeof(*lines));
		struct pricing_dest dest = { "US", "" };
		struct pricing_method *pm = NULL;
		size_t n = 0, nm = 0;
		json_t *ad;
		int checked = 0;

		if (!lines)
			return E_NOMEM;
		for (size_t i = 0; i < k->n; i++)
			if (k->lines[i].sellable) {
				lines[n].sku_id = k->lines[i].sku_id;
				lines[n].unit_price = k->lines[i].price;
				lines[n].quantity = k->lines[i].quantity;
				lines[n].weight_g = k->lines[i].weight_g;
				n++;
			}
		json_array_foreach(list, i_ad, ad)
			if (i_ad == 0 || json_is_true(json_object_get(ad, "isDefault"))) {
				dest.country = json_string_value(json_object_get(ad, "country"));
				dest.region = json_string_value(json_object_get(ad, "region"));
			}
		if ((e = pricing_methods(c->db, c->a, lines, n, &dest, 0, &pm, &nm)) && e != E_INVAL)
			return e;
		methods = json_array();
		for (size_t i = 0; !e && i < nm; i++) {
			json_t *o = json_pack("{s:s, s:s, s:b, s:I, s:i, s:i, s:b}", "code", pm[i].code,
				"name", pm[i].name, "available", pm[i].available, "price", (json_int_t)pm[i].price,
				"daysMin", pm[i].days_min, "daysMax", pm[i].days_max, "free", pm[i].free);

			if (pm[i].available && !checked++)
				json_object_set_new(o, "checked", json_true());
			if (pm[i].why_unavailable)
				json_object_set_new(o, "whyUnavailable", json_string(pm[i].why_unavailable));
			json_array_append_new(methods, o);
		}
		json_object_set_new(m, "methods", methods);
	}
	if (!json_array_size(list))
		json_object_set_new(m, "newAddress", json_true());
	if (error)
		json_object_set_new(m, "error", json_pack("{s:s}", "message", error));
	return E_OK;
}

enum err h_checkout(struct ctx *c)
{
	return checkout_form(c, 200, NULL);
}

/* Review: the priced order and the "Place order" form, which carries every
 * input again plus the amount shown and a fresh idempotency key. */
enum err h_checkout_review(struct ctx *c)
{
	struct input in;
	struct plan p;
	const char *why = NULL;
	char key[33];
	unsigned char raw[16];
	json_t *m, *lines, *form;
	enum err e = read_input(c, &in, &why);
	long changes = 0;

	if (e == E_INVAL)
		return checkout_form(c, 400, why);
	if (e || (e = plan(c, &in, &p)))
		return e;
	if (p.status) {
		json_decref(p.extra);
		return checkout_form(c, p.status, p.msg);
	}
	if (!(m = session_form_page(c, "checkout_review", "Review your order", 200)))
		return E_NOMEM;
	lines = json_array();
	for (size_t i = 0; i < p.cart->n; i++) {
		const struct cart_line *l = &p.cart->lines[i];

		changes += l->price != l->added_price;
		json_array_append_new(lines, json_pack("{s:s, s:s, s:i, s:I, s:I, s:I, s:b, s:s}",
			"itemId", l->code, "title", l->title, "quantity", l->quantity,
			"unitPrice", (json_int_t)l->price, "addedPrice", (json_int_t)l->added_price,
			"lineTotal", (json_int_t)(l->price * l->quantity), "priceChanged", l->price != l->added_price,
			"currency", l->currency ? l->currency : "USD"));
	}
	json_object_set_new(m, "lines", lines);
	json_object_set_new(m, "quote", quote_json(&p));
	json_object_set_new(m, "priceChanges", json_integer(changes));
	json_object_set_new(m, "address", json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		"name", in.addr.name, "line1", in.addr.line1, "line2", in.addr.line2 ? in.addr.line2 : "",
		"city", in.addr.city, "region", in.addr.region ? in.addr.region : "",
		"postalCode", in.addr.postal_code ? in.addr.postal_code : "", "country", in.addr.country));
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(key, sizeof(key), raw, sizeof(raw));
	form = json_pack("{s:s, s:I, s:s}", "idempotencyKey", key, "amount", (json_int_t)p.q.total,
			 "shippingMethod", in.method);
	if (in.address_id)
		json_object_set_new(form, "shippingAddressId", json_integer(in.address_id));
	if (in.promo)
		json_object_set_new(form, "promoCode", json_string(in.promo));
	json_object_set_new(m, "form", form);
	if (changes)
		c->notice = "Some prices changed since you added the items to your cart. The new prices are shown below "
			    "and are the ones you will pay.";
	/* "Place order" ends on the gateway's page (a redirect after the
	 * form's POST), which browsers check against this page's form-action:
	 * the site's policy plus the gateway's origin (nginx keeps a policy
	 * that shopd sets). */
	resp_header(c->resp, arena_printf(c->a, "Content-Security-Policy: default-src 'self'; img-src 'self' data:; "
		"style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
		"form-action 'self' %s", payment_origin()));
	return E_OK;
}

enum err h_checkout_place(struct ctx *c)
{
	return place_order(c, ctx_str(c, "idempotencyKey"), 1);
}

/* The gateway sends the shopper back here. Its query is a hint only: the
 * outcome is read from the gateway with the order's own intent id. */
enum err h_checkout_return(struct ctx *c)
{
	int64_t oid = ctx_int(c, "order", 0);
	struct db_res *r = NULL;
	struct payment p;
	const char *intent;
	enum err e;

	if ((e = db_exec(c->db, c->a, &sql[Q_ORDER_OF], &r, "i", oid)))
		return e;
	if (!r->nrows || db_int(r, 0, 1) != c->sess->uid)
		return reply_error(c, 404, "There is no such order in your account.");
	intent = db_cell(r, 0, 0);
	if (!intent)
		return reply_redirect(c, 303, arena_printf(c->a, "/orders/%lld", (long long)oid));
	e = payment_get(c->a, intent, &p);
	if (e == E_UNAVAIL) {
		session_flash(c, "We could not reach the payment service to confirm your payment. "
				 "This page will show it as soon as we hear from it.");
		return reply_redirect(c, 303, arena_printf(c->a, "/orders/%lld", (long long)oid));
	}
	if (e)
		return e;
	if (!strcmp(p.status, "requires_capture")) {
		int late = 0;

		if ((e = order_paid(c->db, c->a, intent, p.brand, p.last4, arena_printf(c->a, "user:%lld",
				    (long long)c->sess->uid), &late)))
			return e;
		session_flash(c, late ? "Your payment arrived after the order had expired, so it was voided. "
					"Nothing was charged." :
					"Thank you! Your payment is authorized and your order is confirmed.");
	} else if (*p.error_code) {
		const char *why = payment_reason(&p);

		if ((e = order_declined(c->db, c->a, intent, why, "gateway")))
			return e;
		session_flash(c, why);
	}
	return reply_redirect(c, 303, arena_printf(c->a, "/orders/%lld", (long long)oid));
}

/* ---- the webhook ---- */

enum err h_api_paygate_webhook(struct ctx *c)
{
	json_t *ev = c->req->json, *obj, *pm, *err;
	const char *id, *type, *intent;
	struct db_res *seen = NULL;
	json_t *m;
	enum err e = E_OK;

	if (payment_verify_webhook(c->req->signature, c->req->body ? c->req->body : "", c->req->body_len,
				   (int64_t)time(NULL)))
		return reply_error(c, 400, "The signature is missing, wrong or too old.");
	id = json_string_value(json_object_get(ev, "id"));
	type = json_string_value(json_object_get(ev, "type"));
	obj = json_object_get(json_object_get(ev, "data"), "object");
	intent = json_string_value(json_object_get(obj, "id"));
	if (!id || !type || !json_is_object(obj))
		return reply_error(c, 400, "Not an event.");
	/* A redelivered or replayed event was applied already: answered 2xx
	 * (so the gateway stops) and not applied again. The id is recorded
	 * after the effect, so a crash in between means the redelivery does
	 * it again, which every effect below allows. */
	if ((e = db_exec(c->db, c->a, &sql[Q_EVENT_KNOWN], &seen, "s", id)))
		return e;
	if (seen->nrows) {
		if (!(m = reply_model(c, NULL, NULL)))
			return E_NOMEM;
		json_object_set_new(m, "received", json_true());
		json_object_set_new(m, "duplicate", json_true());
		return E_OK;
	}
	pm = json_object_get(obj, "payment_method");
	err = json_object_get(obj, "last_payment_error");
	for (int round = 0; round < 2; round++) {
		const char *oid = json_string_value(json_object_get(json_object_get(obj, "metadata"), "order_id"));
		int64_t order_id = 0;

		if (intent && !strcmp(type, "payment_intent.amount_capturable_updated")) {
			int late = 0;

			e = order_paid(c->db, c->a, intent, json_string_value(json_object_get(pm, "brand")),
				       json_string_value(json_object_get(pm, "last4")), "gateway", &late);
		} else if (intent && !strcmp(type, "payment_intent.payment_failed")) {
			struct payment p;

			memset(&p, 0, sizeof(p));
			p.error_code = json_string_value(json_object_get(err, "code")) ?: "";
			p.decline_code = json_string_value(json_object_get(err, "decline_code")) ?: "";
			e = order_declined(c->db, c->a, intent, payment_reason(&p), "gateway");
		}
		/* No order knows this intent: the saga that created it has not
		 * stored the gateway's answer (lost with a timeout or a killed
		 * worker, or still on its way). The intent names its order:
		 * link it, so that an authorization is never left unowned
		 * (a late one is voided by order_paid). */
		if (e != E_NOTFOUND || round || !oid || parse_int64(oid, strlen(oid), 1, INT64_MAX, &order_id))
			break;
		e = order_link_intent(c->db, c->a, order_id, intent, (int64_t)json_integer_value(json_object_get(obj, "amount")),
				      json_string_value(json_object_get(obj, "currency")));
		if (e == E_CONFLICT) {
			e = E_NOTFOUND;
			break;
		}
		if (e)
			return e;
	}
	if (e == E_NOTFOUND) {
		e = E_OK;	/* not one of our orders (yet): nothing to do, nothing to record */
	} else if (e == E_OK) {
		e = db_exec(c->db, c->a, &sql[Q_EVENT_SEEN], NULL, "sss", id, type, intent);
	}
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_set_new(m, "received", json_true());
	return E_OK;
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
			      db_cell(k, 0, K_PM), &status, &body, &silent);
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
