/* Notifications: who gets which mail for an event, the once-only send, the
 * cart reminder, preferences and unsubscribe tokens. See notify.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../events/stream.h"
#include "../mail/mail.h"
#include "../order/order.h"
#include "../order/order_link.h"
#include "notify.h"
#include "notify_ext.h"

enum {
	Q_ORDER, Q_LINES, Q_SHIPMENT, Q_SHIP_LINES, Q_REFUND, Q_REFUND_LINES, Q_SELLERS_OF, Q_LOW, Q_SELLER,
	Q_REARM, Q_LOW_MARK, Q_SENT, Q_SENT_MAIL, Q_PREFS, Q_PREFS_SET, Q_OFF_CART, Q_OFF_LOW, Q_CART_DUE,
	Q_CART_ITEMS, Q_CART_MARK, Q_CART_MAIL, Q_PRUNE_SENT, Q_PRUNE_CART,
	Q_OFF_BACK, Q_OFF_DROP,	/* issue 17 (alerts) */
	NQ
};

static struct db_sql sql[NQ] = {
	[Q_ORDER] = { "SELECT o.user_id, u.status = 'guest', COALESCE(u.guest_email, u.email), u.name, o.currency, "
		      "o.total, o.status, o.ship_name, o.ship_city, o.ship_country, o.shipping_method "
		      "FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = ?", 0 },
	[Q_LINES] = { "SELECT line_no, title, options, quantity, unit_price * quantity - discount + tax, seller_id "
		      "FROM order_lines WHERE order_id = ? ORDER BY line_no", 0 },
	[Q_SHIPMENT] = { "SELECT carrier, tracking, seller_id FROM shipments WHERE id = ? AND order_id = ?", 0 },
	[Q_SHIP_LINES] = { "SELECT line_no, title, options, quantity FROM order_lines "
			   "WHERE order_id = ? AND shipment_id = ? ORDER BY line_no", 0 },
	[Q_REFUND] = { "SELECT amount, status FROM refunds WHERE id = ? AND order_id = ?", 0 },
	[Q_REFUND_LINES] = { "SELECT l.line_no, l.title, l.options, rl.quantity FROM refund_lines rl "
			     "JOIN order_lines l ON l.order_id = ? AND l.line_no = rl.line_no "
			     "WHERE rl.refund_id = ? ORDER BY rl.line_no", 0 },
	[Q_SELLERS_OF] = { "SELECT DISTINCT s.id, s.display_name, COALESCE(s.contact_email, u.email), s.user_id "
			   "FROM order_lines l JOIN sellers s ON s.id = l.seller_id "
			   "LEFT JOIN users u ON u.id = s.user_id WHERE l.order_id = ? ORDER BY s.id", 0 },
	/* Each active SKU of the product: units available over its
	 * warehouses, and whether its seller was already told it is low. */
	[Q_LOW] = { "SELECT k.id, k.code, COALESCE(SUM(i.available), 0), p.title, p.seller_id, "
		    "EXISTS (SELECT 1 FROM notify_low_stock n WHERE n.sku_id = k.id) "
		    "FROM skus k JOIN products p ON p.id = k.product_id "
		    "LEFT JOIN inventory i ON i.sku_id = k.id "
		    "WHERE k.product_id = ? AND k.status = 'active' AND p.status = 'active' "
		    "GROUP BY k.id, k.code, p.title, p.seller_id ORDER BY k.id LIMIT 32", 0 },
	[Q_SELLER] = { "SELECT s.display_name, COALESCE(s.contact_email, u.email), s.user_id, "
		       "COALESCE(np.low_stock, 1) "
		       "FROM sellers s LEFT JOIN users u ON u.id = s.user_id "
		       "LEFT JOIN notify_prefs np ON np.user_id = s.user_id "
		       "WHERE s.id = ? AND s.status = 'active'", 0 },
	[Q_REARM] = { "DELETE FROM notify_low_stock WHERE sku_id = ?", 0 },
	[Q_LOW_MARK] = { "INSERT IGNORE INTO notify_low_stock (sku_id, available) VALUES (?, ?)", 0 },
	[Q_SENT] = { "INSERT IGNORE INTO notify_sent (event_id, kind, recipient) VALUES (?, ?, ?)", 0 },
	[Q_SENT_MAIL] = { "UPDATE notify_sent SET mail_id = ? WHERE event_id = ? AND kind = ? AND recipient = ?", 0 },
	/* back_in_stock, price_drop: issue 17 (alerts, migrations/114). */
	[Q_PREFS] = { "SELECT cart_reminders, low_stock, back_in_stock, price_drop FROM notify_prefs WHERE user_id = ?", 0 },
	[Q_PREFS_SET] = { "INSERT INTO notify_prefs (user_id, cart_reminders, low_stock, back_in_stock, price_drop) "
			  "VALUES (?, ?, ?, ?, ?) "
			  "ON DUPLICATE KEY UPDATE cart_reminders = VALUES(cart_reminders), "
			  "low_stock = VALUES(low_stock), back_in_stock = VALUES(back_in_stock), "
			  "price_drop = VALUES(price_drop)", 0 },
	[Q_OFF_BACK] = { "INSERT INTO notify_prefs (user_id, back_in_stock) VALUES (?, 0) "
			 "ON DUPLICATE KEY UPDATE back_in_stock = 0", 0 },
	[Q_OFF_DROP] = { "INSERT INTO notify_prefs (user_id, price_drop) VALUES (?, 0) "
			 "ON DUPLICATE KEY UPDATE price_drop = 0", 0 },
	[Q_OFF_CART] = { "INSERT INTO notify_prefs (user_id, cart_reminders) VALUES (?, 0) "
			 "ON DUPLICATE KEY UPDATE cart_reminders = 0", 0 },
	[Q_OFF_LOW] = { "INSERT INTO notify_prefs (user_id, low_stock) VALUES (?, 0) "
			"ON DUPLICATE KEY UPDATE low_stock = 0", 0 },
	/* ix_carts_updated gives the range; two days bound it, so a cart
	 * left for months is not reminded of out of the blue and a pass
	 * reads at most a day of carts. */
	[Q_CART_DUE] = { "SELECT c.user_id, c.version, u.email, u.name FROM carts c "
			 "JOIN users u ON u.id = c.user_id "
			 "LEFT JOIN notify_prefs np ON np.user_id = c.user_id "
			 "WHERE c.updated_at < NOW(3) - INTERVAL ? SECOND AND c.updated_at > NOW(3) - INTERVAL ? SECOND - INTERVAL 1 DAY "
			 "AND u.status = 'active' AND COALESCE(np.cart_reminders, 1) = 1 "
			 "AND EXISTS (SELECT 1 FROM cart_items i WHERE i.user_id = c.user_id) "
			 "AND NOT EXISTS (SELECT 1 FROM notify_cart_reminders r WHERE r.user_id = c.user_id "
			 "AND r.cart_version = c.version) ORDER BY c.updated_at LIMIT ?", 0 },
	[Q_CART_ITEMS] = { "SELECT p.title, i.quantity, k.price, k.currency FROM cart_items i "
			   "JOIN skus k ON k.id = i.sku_id JOIN products p ON p.id = k.product_id "
			   "WHERE i.user_id = ? ORDER BY i.added_at, i.sku_id LIMIT 10", 0 },
	[Q_CART_MARK] = { "INSERT IGNORE INTO notify_cart_reminders (user_id, cart_version) VALUES (?, ?)", 0 },
	[Q_CART_MAIL] = { "UPDATE notify_cart_reminders SET mail_id = ? WHERE user_id = ? AND cart_version = ?", 0 },
	[Q_PRUNE_SENT] = { "DELETE FROM notify_sent WHERE created_at < NOW(3) - INTERVAL ? SECOND "
			   "ORDER BY created_at LIMIT 1000", 0 },
	[Q_PRUNE_CART] = { "DELETE FROM notify_cart_reminders WHERE created_at < NOW(3) - INTERVAL ? SECOND "
			   "ORDER BY created_at LIMIT 1000", 0 },
};

static const char *const kind_names[NK_COUNT] = {
	[NK_ORDER_CONFIRMED] = "order_confirmed",
	[NK_PAYMENT_FAILED] = "payment_failed",
	[NK_SHIPPED] = "shipped",
	[NK_DELIVERED] = "delivered",
	[NK_CANCELLED] = "cancelled",
	[NK_REFUNDED] = "refunded",
	[NK_SELLER_ORDER] = "seller_order",
	[NK_LOW_STOCK] = "low_stock",
	[NK_CART_REMINDER] = "cart_reminder",
	[NK_REVIEW_REJECTED] = "review_rejected",
	[NK_QUESTION] = "question",
	[NK_ANSWER] = "answer",
	[NK_BACK_IN_STOCK] = "back_in_stock",
	[NK_PRICE_DROP] = "price_drop",
	[NK_RETURN] = "return_update",		/* RETURNS (issue 19) */
	[NK_RETURN_SELLER] = "return_request",
	[NK_RETURN_ESCALATED] = "return_escalated",
	[NK_PAYOUT_CLOSED] = "payout_closed",	/* issue 19: seller payouts */
	[NK_PAYOUT_PAID] = "payout_paid",
};

static long low_threshold = 5;
static long cart_after = 86400;
static long max_age = 2 * 86400;

const char *notify_kind_name(enum notify_kind k)
{
	return (unsigned)k < NK_COUNT ? kind_names[k] : NULL;
}

int notify_kind_find(const char *s, int optout_only)
{
	for (int k = 0; s && k < NK_COUNT; k++)
		if (!strcmp(s, kind_names[k]))
			return !optout_only || k == NK_LOW_STOCK || k == NK_CART_REMINDER ||
			       k == NK_BACK_IN_STOCK || k == NK_PRICE_DROP ? k : -1;	/* the alerts: issue 17 */
	return -1;
}

void notify_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	db_register(sql, NQ);
	low_threshold = config_env_num("SHOP_LOW_STOCK", 5, 0, 1000000);
	cart_after = config_env_num("SHOP_CART_REMINDER_AFTER", 86400, 60, 30L * 86400);
	max_age = config_env_num("SHOP_NOTIFY_MAX_AGE", 2 * 86400, 60, 365L * 86400);
}

long notify_low_stock_threshold(void)
{
	return low_threshold;
}

/* ---- models ---- */

static int64_t jint(const json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

static const char *abs_url(struct arena *a, const char *path)
{
	return arena_printf(a, "%s%s", config.base_url, path);
}

/* A line of a mail: title, its options in words, quantity (and amount). */
static json_t *line_json(struct arena *a, const char *title, const char *options, int64_t qty)
{
	json_t *l = json_pack("{sssI}", "title", title ? title : "", "quantity", (json_int_t)qty);
	const char *opt = options && *options ? order_options_text(a, options) : NULL;

	if (l && opt && *opt)
		json_object_set_new(l, "options", json_string(opt));
	return l;
}

/* The order's head: to whom, the links, the currency and total. */
struct order_head {
	int64_t uid;
	int guest;
	const char *email, *name, *currency, *status;
	int64_t total;
	const char *url;	/* absolute: the signed link for a guest */
	struct db_res *row;
};

static enum err order_head(struct db *db, struct arena *a, int64_t oid, struct order_head *h)
{
	struct db_res *r = NULL;
	enum err e;

	memset(h, 0, sizeof(*h));
	if ((e = db_exec(db, a, &sql[Q_ORDER], &r, "i", oid)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	h->row = r;
	h->uid = db_int(r, 0, 0);
	h->guest = db_int(r, 0, 1) != 0;
	h->email = db_cell(r, 0, 2);
	h->name = db_cell(r, 0, 3);
	h->currency = db_cell(r, 0, 4);
	h->total = db_int(r, 0, 5);
	h->status = db_cell(r, 0, 6);
	if (h->guest) {
		const char *p = order_link_path(a, oid);

		if (!p)
			return E_NOMEM;
		h->url = abs_url(a, p);
	} else {
		h->url = arena_printf(a, "%s/orders/%lld", config.base_url, (long long)oid);
	}
	return h->url ? E_OK : E_NOMEM;
}

/* The model every shopper's order mail starts from. */
static json_t *order_model(int64_t oid, const struct order_head *h)
{
	json_t *m = json_pack("{sIsssssssIsb}", "orderId", (json_int_t)oid, "name", h->name ? h->name : "",
			      "orderUrl", h->url, "currency", h->currency ? h->currency : "USD",
			      "total", (json_int_t)h->total, "isGuest", h->guest);

	return m;
}

/* Appends a mail to the list (grown in a; at most cap). */
struct mails {
	struct notify_mail *v;
	size_t n, cap;
};

static struct notify_mail *mail_add(struct arena *a, struct mails *ms, enum notify_kind k, const char *to,
				    int64_t uid, const char *subject, json_t *model)
{
	struct notify_mail *m;

	if (!model || !subject)
		goto fail;
	if (!to || !*to) {
		json_decref(model);
		return NULL;	/* no address: no mail (not an error) */
	}
	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? ms->cap * 2 : 4;
		struct notify_mail *v = arena_alloc(a, cap * sizeof(*v));

		if (!v)
			goto fail;
		if (ms->n)
			memcpy(v, ms->v, ms->n * sizeof(*v));
		ms->v = v;
		ms->cap = cap;
	}
	m = &ms->v[ms->n++];
	memset(m, 0, sizeof(*m));
	m->kind = k;
	m->to = to;
	m->user_id = uid;
	m->subject = subject;
	m->model = model;
	return m;
fail:
	json_decref(model);
	return NULL;
}

static enum err lines_into(struct db *db, struct arena *a, const struct db_sql *q, json_t *model,
			   const char *types, int64_t x, int64_t y)
{
	struct db_res *r = NULL;
	json_t *arr = json_array();
	enum err e;

	if (!arr)
		return E_NOMEM;
	e = types[1] ? db_exec(db, a, q, &r, types, x, y) : db_exec(db, a, q, &r, types, x);
	if (e) {
		json_decref(arr);
		return e;
	}
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(arr, line_json(a, db_cell(r, i, 1), db_cell(r, i, 2), db_int(r, i, 3)));
	json_object_set_new(model, "lines", arr);
	return E_OK;
}

/* The order confirmed: the shopper's mail and one to each seller with
 * lines in it (their lines only). */
static enum err on_confirmed(struct db *db, struct arena *a, int64_t oid, struct mails *ms)
{
	struct order_head h;
	struct db_res *lines = NULL, *sellers = NULL;
	json_t *m, *arr;
	enum err e;

	if ((e = order_head(db, a, oid, &h)))
		return e == E_NOTFOUND ? E_OK : e;
	if ((e = db_exec(db, a, &sql[Q_LINES], &lines, "i", oid)) ||
	    (e = db_exec(db, a, &sql[Q_SELLERS_OF], &sellers, "i", oid)))
		return e;
	if (!(m = order_model(oid, &h)))
		return E_NOMEM;
	if (h.guest)
		json_object_set_new(m, "lookupUrl", json_string(abs_url(a, "/orders/lookup")));
	arr = json_array();
	for (size_t i = 0; arr && i < lines->nrows; i++) {
		json_t *l = line_json(a, db_cell(lines, i, 1), db_cell(lines, i, 2), db_int(lines, i, 3));

		json_object_set_new(l, "amount", json_integer(db_int(lines, i, 4)));
		json_array_append_new(arr, l);
	}
	json_object_set_new(m, "lines", arr);
	json_object_set_new(m, "shippingMethod", json_string(order_method_name(a, db_cell(h.row, 0, 10))));
	mail_add(a, ms, NK_ORDER_CONFIRMED, h.email, h.guest ? 0 : h.uid,
		 arena_printf(a, "Your order %lld is confirmed", (long long)oid), m);

	for (size_t s = 0; s < sellers->nrows; s++) {
		int64_t sid = db_int(sellers, s, 0);
		json_t *sm = json_pack("{sIssssssss}", "orderId", (json_int_t)oid,
				       "name", db_cell(sellers, s, 1) ? db_cell(sellers, s, 1) : "",
				       "currency", h.currency ? h.currency : "USD",
				       "sellerOrderUrl", arena_printf(a, "%s/seller/orders/%lld", config.base_url, (long long)oid),
				       "shipMethod", order_method_name(a, db_cell(h.row, 0, 10)));
		json_t *mine = json_array();

		for (size_t i = 0; sm && mine && i < lines->nrows; i++) {
			json_t *l;

			if (db_int(lines, i, 5) != sid)
				continue;
			l = line_json(a, db_cell(lines, i, 1), db_cell(lines, i, 2), db_int(lines, i, 3));
			json_object_set_new(l, "amount", json_integer(db_int(lines, i, 4)));
			json_array_append_new(mine, l);
		}
		if (sm) {
			json_object_set_new(sm, "lines", mine);
			json_object_set_new(sm, "shipTo", json_pack("{ssssss}",
				"name", db_cell(h.row, 0, 7) ? db_cell(h.row, 0, 7) : "",
				"city", db_cell(h.row, 0, 8) ? db_cell(h.row, 0, 8) : "",
				"country", db_cell(h.row, 0, 9) ? db_cell(h.row, 0, 9) : ""));
		} else {
			json_decref(mine);
		}
		mail_add(a, ms, NK_SELLER_ORDER, db_cell(sellers, s, 2), db_int(sellers, s, 3),
			 arena_printf(a, "New order %lld to ship", (long long)oid), sm);
	}
	return E_OK;
}

static enum err on_order(struct db *db, struct arena *a, const struct event *ev, int64_t oid, struct mails *ms)
{
	struct order_head h;
	struct db_res *r = NULL;
	json_t *m;
	enum err e;

	if ((e = order_head(db, a, oid, &h)))
		return e == E_NOTFOUND ? E_OK : e;
	if (!(m = order_model(oid, &h)))
		return E_NOMEM;
	switch (ev->type) {
	case EV_ORDER_PAYMENT_FAILED: {
		const char *why = json_string_value(json_object_get(ev->json, "reason"));

		if (why && *why)
			json_object_set_new(m, "reason", json_string(why));
		/* Only while the order can still be paid: a mail about a
		 * payment of an order paid or expired since would mislead. */
		json_object_set_new(m, "canRetry", json_boolean(!strcmp(h.status, "payment_failed") ||
								  !strcmp(h.status, "pending_payment")));
		mail_add(a, ms, NK_PAYMENT_FAILED, h.email, 0,
			 arena_printf(a, "The payment for your order %lld did not go through", (long long)oid), m);
		return E_OK;
	}
	case EV_SHIPMENT_SHIPPED:
	case EV_SHIPMENT_DELIVERED: {
		int64_t sid = jint(ev->json, "shipmentId");
		int shipped = ev->type == EV_SHIPMENT_SHIPPED;
		const char *track;

		if ((e = db_exec(db, a, &sql[Q_SHIPMENT], &r, "ii", sid, oid)) || !r->nrows) {
			json_decref(m);
			return e;
		}
		json_object_set_new(m, "carrier", json_string(db_cell(r, 0, 0)));
		json_object_set_new(m, "tracking", json_string(db_cell(r, 0, 1)));
		if ((track = order_tracking_url(a, db_cell(r, 0, 0), db_cell(r, 0, 1))))
			json_object_set_new(m, "trackingUrl", json_string(track));
		if ((e = lines_into(db, a, &sql[Q_SHIP_LINES], m, "ii", oid, sid))) {
			json_decref(m);
			return e;
		}
		mail_add(a, ms, shipped ? NK_SHIPPED : NK_DELIVERED, h.email, 0,
			 arena_printf(a, shipped ? "Your order %lld has shipped" : "Your order %lld was delivered",
				      (long long)oid), m);
		return E_OK;
	}
	case EV_ORDER_CANCELLED:
		if ((e = lines_into(db, a, &sql[Q_LINES], m, "i", oid, 0))) {
			json_decref(m);
			return e;
		}
		mail_add(a, ms, NK_CANCELLED, h.email, 0,
			 arena_printf(a, "Your order %lld was cancelled", (long long)oid), m);
		return E_OK;
	case EV_REFUND_SUCCEEDED: {
		int64_t rid = jint(ev->json, "refundId");

		if ((e = db_exec(db, a, &sql[Q_REFUND], &r, "ii", rid, oid)) || !r->nrows) {
			json_decref(m);
			return e;
		}
		json_object_set_new(m, "amount", json_integer(db_int(r, 0, 0)));
		if ((e = lines_into(db, a, &sql[Q_REFUND_LINES], m, "ii", oid, rid))) {
			json_decref(m);
			return e;
		}
		mail_add(a, ms, NK_REFUNDED, h.email, 0,
			 arena_printf(a, "Your refund for order %lld", (long long)oid), m);
		return E_OK;
	}
	default:
		json_decref(m);
		return E_OK;
	}
}

/* SKUs of the product that crossed below the threshold since their seller
 * was last told: one mail to the seller listing them. */
static enum err on_stock(struct db *db, struct arena *a, int64_t pid, struct mails *ms)
{
	struct db_res *r = NULL, *s = NULL;
	struct notify_mail *nm;
	json_t *m, *skus;
	size_t k = 0;
	int64_t ids[32], avail[32];
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_LOW], &r, "i", pid)))
		return e;
	for (size_t i = 0; i < r->nrows && k < 32; i++) {
		int low = db_int(r, i, 2) < low_threshold, told = db_int(r, i, 5) != 0;

		if (!low && told) {
			/* Back at or above the threshold: the next crossing
			 * is told again. */
			if ((e = db_exec(db, a, &sql[Q_REARM], NULL, "i", db_int(r, i, 0))))
				return e;
		} else if (low && !told) {
			ids[k] = db_int(r, i, 0);
			avail[k++] = db_int(r, i, 2);
		}
	}
	if (!k)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_SELLER], &s, "i", db_int(r, 0, 4))))
		return e;
	if (!s->nrows || !db_int(s, 0, 3))
		return E_OK;	/* no such seller, suspended, or alerts turned off */
	if (!(skus = json_array()))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++)
		for (size_t j = 0; j < k; j++)
			if (db_int(r, i, 0) == ids[j])
				json_array_append_new(skus, json_pack("{sssI}", "code", db_cell(r, i, 1),
								      "available", (json_int_t)avail[j]));
	m = json_pack("{sssssIsosI}", "name", db_cell(s, 0, 0) ? db_cell(s, 0, 0) : "",
		      "productTitle", db_cell(r, 0, 3), "productId", (json_int_t)pid, "skus", skus,
		      "threshold", (json_int_t)low_threshold);
	if (m)
		json_object_set_new(m, "stockUrl", json_string(arena_printf(a, "%s/seller/items/%lld/stock",
									   config.base_url, (long long)pid)));
	nm = mail_add(a, ms, NK_LOW_STOCK, db_cell(s, 0, 1), db_int(s, 0, 2),
		      arena_printf(a, "Low stock: %s", db_cell(r, 0, 3)), m);
	if (nm) {
		memcpy(nm->skus, ids, k * sizeof(ids[0]));
		nm->nskus = k;
	}
	return E_OK;
}

enum err notify_collect(struct db *db, struct arena *a, const struct event *ev,
			struct notify_mail **out, size_t *n)
{
	struct mails ms = { NULL, 0, 0 };
	enum err e;

	*out = NULL;
	*n = 0;
	/* An old event replayed (shopctl events replay ... --from a week ago)
	 * is news to no one: "your order is confirmed" days late misleads. */
	if (ev->created_ms > 0 && (int64_t)time(NULL) * 1000 - ev->created_ms > (int64_t)max_age * 1000) {
		log_info("notify: event %lld is older than SHOP_NOTIFY_MAX_AGE (%lds): no mail", (long long)ev->id,
			 max_age);
		return E_OK;
	}
	/* What shoppers write and what they watch: each in a file of its own
	 * (notify_ext.h). */
	switch (ev->type) {
	case EV_REVIEW_REJECTED:
		return notify_reviews_collect(db, a, ev, out, n);
	case EV_QUESTION_PUBLISHED:
	case EV_ANSWER_PUBLISHED:
		return notify_questions_collect(db, a, ev, out, n);
	case EV_BACK_IN_STOCK:
	case EV_PRICE_DROPPED:
		return notify_alerts_collect(db, a, ev, out, n);
	case EV_RETURN_REQUESTED:	/* RETURNS (issue 19) */
	case EV_RETURN_APPROVED:
	case EV_RETURN_REJECTED:
	case EV_RETURN_ESCALATED:
		return notify_returns_collect(db, a, ev, out, n);
	case EV_PAYOUT_CLOSED:	/* issue 19: seller payouts */
	case EV_PAYOUT_PAID:
		return notify_payouts_collect(db, a, ev, out, n);
	default:
		break;
	}
	switch (ev->type) {
	case EV_ORDER_CONFIRMED:
		e = on_confirmed(db, a, ev->aggregate, &ms);
		break;
	case EV_ORDER_PAYMENT_FAILED:
	case EV_SHIPMENT_SHIPPED:
	case EV_SHIPMENT_DELIVERED:
	case EV_ORDER_CANCELLED:
	case EV_REFUND_SUCCEEDED:
		e = on_order(db, a, ev, ev->aggregate, &ms);
		break;
	case EV_STOCK_CHANGED:
		e = on_stock(db, a, ev->aggregate, &ms);
		break;
	default:
		e = E_OK;
	}
	if (e) {
		for (size_t i = 0; i < ms.n; i++)
			json_decref(ms.v[i].model);
		return e;
	}
	*out = ms.v;
	*n = ms.n;
	return E_OK;
}

/* ---- sending once ---- */

struct send {
	struct arena *a;
	int64_t event_id, version;
	const struct notify_mail *m;
	const char *text, *html, *unsub;
	int sent;
};

static enum err tx_send(struct db *db, void *p)
{
	struct send *s = p;
	const char *kind = notify_kind_name(s->m->kind);
	int64_t mail_id = 0;
	enum err e;

	s->sent = 0;
	if ((e = db_exec(db, s->a, &sql[Q_SENT], NULL, "iss", s->event_id, kind, s->m->to)))
		return e;
	if (db_affected(db) != 1)
		return E_OK;	/* this event's mail to this person was queued before */
	for (size_t i = 0; i < s->m->nskus; i++)
		if ((e = db_exec(db, s->a, &sql[Q_LOW_MARK], NULL, "ii", s->m->skus[i], (int64_t)0)))
			return e;
	if ((e = mail_enqueue_alt(db, s->a, s->m->to, s->m->subject, s->text, s->html, s->unsub, &mail_id)) ||
	    (e = db_exec(db, s->a, &sql[Q_SENT_MAIL], NULL, "iiss", mail_id, s->event_id, kind, s->m->to)))
		return e;
	s->sent = 1;
	return E_OK;
}

enum err notify_send(struct db *db, struct arena *a, int64_t event_id, const struct notify_mail *m,
		     const char *text, const char *html, const char *unsubscribe, int *sent)
{
	struct send s = { a, event_id, 0, m, text, html, unsubscribe, 0 };
	enum err e = db_tx(db, tx_send, &s);

	*sent = e ? 0 : s.sent;
	return e;
}

/* ---- the cart reminder ---- */

enum err notify_cart_due(struct db *db, struct arena *a, size_t limit, struct notify_mail **out,
			 int64_t **versions, size_t *n)
{
	struct db_res *r = NULL;
	struct mails ms = { NULL, 0, 0 };
	int64_t *vs;
	enum err e;

	*out = NULL;
	*versions = NULL;
	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_CART_DUE], &r, "iii", (int64_t)cart_after, (int64_t)cart_after, (int64_t)limit)))
		return e;
	if (!r->nrows)
		return E_OK;
	if (!(vs = arena_alloc(a, r->nrows * sizeof(*vs))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		struct db_res *it = NULL;
		json_t *m, *items;
		const char *cur = "USD";

		if ((e = db_exec(db, a, &sql[Q_CART_ITEMS], &it, "i", db_int(r, i, 0))))
			goto fail;
		if (!(items = json_array()))
			goto nomem;
		for (size_t j = 0; j < it->nrows; j++) {
			json_array_append_new(items, json_pack("{sssIsI}", "title", db_cell(it, j, 0),
				"quantity", (json_int_t)db_int(it, j, 1), "price", (json_int_t)db_int(it, j, 2)));
			cur = db_cell(it, j, 3) ? db_cell(it, j, 3) : cur;
		}
		m = json_pack("{sssossss}", "name", db_cell(r, i, 3) ? db_cell(r, i, 3) : "", "items", items,
			      "currency", cur, "cartUrl", abs_url(a, "/cart"));
		if (mail_add(a, &ms, NK_CART_REMINDER, db_cell(r, i, 2), db_int(r, i, 0),
			     "You left something in your cart", m))
			vs[ms.n - 1] = db_int(r, i, 1);
	}
	*out = ms.v;
	*versions = vs;
	*n = ms.n;
	return E_OK;
nomem:
	e = E_NOMEM;
fail:
	for (size_t i = 0; i < ms.n; i++)
		json_decref(ms.v[i].model);
	return e;
}

static enum err tx_cart_send(struct db *db, void *p)
{
	struct send *s = p;
	int64_t mail_id = 0;
	enum err e;

	s->sent = 0;
	if ((e = db_exec(db, s->a, &sql[Q_CART_MARK], NULL, "ii", s->m->user_id, s->version)))
		return e;
	if (db_affected(db) != 1)
		return E_OK;
	if ((e = mail_enqueue_alt(db, s->a, s->m->to, s->m->subject, s->text, s->html, s->unsub, &mail_id)) ||
	    (e = db_exec(db, s->a, &sql[Q_CART_MAIL], NULL, "iii", mail_id, s->m->user_id, s->version)))
		return e;
	s->sent = 1;
	return E_OK;
}

enum err notify_cart_send(struct db *db, struct arena *a, const struct notify_mail *m, int64_t version,
			  const char *text, const char *html, const char *unsubscribe, int *sent)
{
	struct send s = { a, 0, version, m, text, html, unsubscribe, 0 };
	enum err e = db_tx(db, tx_cart_send, &s);

	*sent = e ? 0 : s.sent;
	return e;
}

/* ---- pruning ---- */

int notify_prune_batch(struct db *db, struct kv *kv, struct arena *a)
{
	uint64_t n;

	(void)kv;
	/* A row is written after its event, so a row older than the age limit
	 * and a day belongs to an event that mails no one any more: the row
	 * has nothing left to guard. A reminder row older than the carts'
	 * window and two days names a cart state that is never due again. */
	if (db_exec(db, a, &sql[Q_PRUNE_SENT], NULL, "i", (int64_t)max_age + 86400))
		return -1;
	n = db_affected(db);
	if (db_exec(db, a, &sql[Q_PRUNE_CART], NULL, "i", (int64_t)cart_after + 2 * 86400))
		return -1;
	n += db_affected(db);
	return n >= 1000 ? 1 : 0;
}

/* ---- preferences ---- */

enum err notify_prefs_get(struct db *db, struct arena *a, int64_t uid, struct notify_prefs *p)
{
	struct db_res *r = NULL;
	enum err e;

	p->cart_reminders = p->low_stock = p->back_in_stock = p->price_drop = 1;
	if ((e = db_exec(db, a, &sql[Q_PREFS], &r, "i", uid)))
		return e;
	if (r->nrows) {
		p->cart_reminders = db_int(r, 0, 0) != 0;
		p->low_stock = db_int(r, 0, 1) != 0;
		p->back_in_stock = db_int(r, 0, 2) != 0;	/* issue 17 (alerts) */
		p->price_drop = db_int(r, 0, 3) != 0;
	}
	return E_OK;
}

enum err notify_prefs_set(struct db *db, struct arena *a, int64_t uid, const struct notify_prefs *p)
{
	return db_exec(db, a, &sql[Q_PREFS_SET], NULL, "iiiii", uid, (int64_t)(p->cart_reminders != 0),
		       (int64_t)(p->low_stock != 0), (int64_t)(p->back_in_stock != 0), (int64_t)(p->price_drop != 0));
}

enum err notify_prefs_off(struct db *db, struct arena *a, int64_t uid, enum notify_kind k)
{
	if (k == NK_CART_REMINDER)
		return db_exec(db, a, &sql[Q_OFF_CART], NULL, "i", uid);
	if (k == NK_LOW_STOCK)
		return db_exec(db, a, &sql[Q_OFF_LOW], NULL, "i", uid);
	if (k == NK_BACK_IN_STOCK)	/* issue 17 (alerts) */
		return db_exec(db, a, &sql[Q_OFF_BACK], NULL, "i", uid);
	if (k == NK_PRICE_DROP)
		return db_exec(db, a, &sql[Q_OFF_DROP], NULL, "i", uid);
	return E_INVAL;
}

/* ---- unsubscribe tokens ---- */

/* Their own key, derived from the shop's secret, so no other signed token
 * of the shop (order links, cursors) can stand for one. */
static void unsub_mac(int64_t uid, enum notify_kind k, unsigned char out[crypto_auth_hmacsha256_BYTES])
{
	static const char label[] = "shop unsubscribe v1";
	unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
	char msg[96];
	int n = snprintf(msg, sizeof(msg), "unsubscribe:%lld:%s", (long long)uid, notify_kind_name(k));

	crypto_auth_hmacsha256(key, (const unsigned char *)label, sizeof(label) - 1, config.secret);
	crypto_auth_hmacsha256(out, (const unsigned char *)msg, (unsigned long long)n, key);
	sodium_memzero(key, sizeof(key));
}

const char *notify_unsub_token(struct arena *a, int64_t uid, enum notify_kind k)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char out[sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	unsub_mac(uid, k, mac);
	sodium_bin2base64(out, sizeof(out), mac, sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return arena_strdup(a, out);
}

int notify_unsub_ok(int64_t uid, enum notify_kind k, const char *token)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES];
	size_t n = 0;

	if (!token || uid <= 0 || (unsigned)k >= NK_COUNT || strlen(token) != 43 ||
	    sodium_base642bin(got, sizeof(got), token, 43, NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) || n != sizeof(got))
		return 0;
	unsub_mac(uid, k, mac);
	return sodium_memcmp(mac, got, sizeof(mac)) == 0;
}

const char *notify_unsub_url(struct arena *a, int64_t uid, enum notify_kind k)
{
	const char *t = notify_unsub_token(a, uid, k);

	return t ? arena_printf(a, "%s/unsubscribe?u=%lld&k=%s&t=%s", config.base_url, (long long)uid,
				notify_kind_name(k), t) : NULL;
}
