/* Any order, as an admin sees and changes it (orders_admin.h). */
#include <string.h>
#include "../core/arena.h"
#include "../core/text.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../events/stream.h"
#include "../mail/mail.h"
#include "../order/order.h"
#include "../fulfillment/fulfillment.h"
#include "../notify/notify.h"
#include "../notify/notify_pages.h"
#include "audit.h"
#include "orders_admin.h"

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
#define HEAD "SELECT o.id, o.status, o.currency, o.total, " ISO("o.created_at") ", " \
	"COALESCE(u.email, u.guest_email, ''), o.user_id, u.status = 'guest', o.subtotal, o.shipping, o.tax, " \
	"o.discount, COALESCE(o.promo_code, ''), o.ship_name, o.ship_line1, o.ship_line2, o.ship_city, " \
	"o.ship_region, o.ship_postal_code, o.ship_country, o.shipping_method, " \
	"EXISTS (SELECT 1 FROM orders h WHERE h.id = o.id) " \
	"FROM orders_all o JOIN users u ON u.id = o.user_id "

enum { H_ID, H_STATUS, H_CUR, H_TOTAL, H_CREATED, H_EMAIL, H_UID, H_GUEST, H_SUB, H_SHIP, H_TAX, H_DISC, H_PROMO,
       H_NAME, H_L1, H_L2, H_CITY, H_REGION, H_POSTAL, H_COUNTRY, H_METHOD, H_HOT };

enum {
	Q_BY_ID, Q_BY_EMAIL, Q_LINES, Q_SHIPMENTS, Q_REFUNDS, Q_EVENTS, Q_SELLERS, Q_SHIPPED, Q_COUNT
};

static struct db_sql sql[Q_COUNT] = {
	[Q_BY_ID] = { HEAD "WHERE o.id = ?", 0 },
	[Q_BY_EMAIL] = { HEAD "WHERE o.user_id IN (SELECT id FROM users WHERE email = ? OR guest_email = ?) "
			 "ORDER BY o.id DESC LIMIT 50", 0 },
	[Q_LINES] = { "SELECT l.line_no, l.seller_id, COALESCE(s.display_name, ''), l.code, l.title, "
		      "IF(l.options IN ('', '{}'), '', l.options), "
		      "l.unit_price, l.quantity, l.discount, l.tax, l.state, l.refunded_qty, l.refunded_amount, "
		      "l.shipment_id IS NOT NULL FROM order_lines_all l LEFT JOIN sellers s ON s.id = l.seller_id "
		      "WHERE l.order_id = ? ORDER BY l.line_no", 0 },
	[Q_SHIPMENTS] = { "SELECT id, carrier, tracking, status, amount, " ISO("shipped_at") ", "
			  ISO("delivered_at") " FROM shipments WHERE order_id = ? UNION ALL "
			  "SELECT id, carrier, tracking, status, amount, " ISO("shipped_at") ", " ISO("delivered_at")
			  " FROM shipments_archive WHERE order_id = ? ORDER BY id", 0 },
	[Q_REFUNDS] = { "SELECT id, seller_id, amount, status, COALESCE(last_error, ''), " ISO("created_at")
			" FROM refunds WHERE order_id = ? UNION ALL SELECT id, seller_id, amount, status, "
			"COALESCE(last_error, ''), " ISO("created_at") " FROM refunds_archive WHERE order_id = ? "
			"ORDER BY id", 0 },
	[Q_EVENTS] = { "SELECT id, COALESCE(from_status, ''), to_status, actor, reason, " ISO("created_at")
		       " FROM order_events WHERE order_id = ? UNION ALL SELECT id, COALESCE(from_status, ''), "
		       "to_status, actor, reason, " ISO("created_at") " FROM order_events_archive "
		       "WHERE order_id = ? ORDER BY id", 0 },
	[Q_SELLERS] = { "SELECT DISTINCT seller_id FROM order_lines WHERE order_id = ? ORDER BY seller_id", 0 },
	[Q_SHIPPED] = { "SELECT id FROM shipments WHERE order_id = ? AND status IN ('shipped', 'delivered') "
			"ORDER BY id", 0 },
};

void orders_admin_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	db_register(sql, Q_COUNT);
}

static json_t *brief(const struct db_res *r, size_t i)
{
	return json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:b}", "id", (json_int_t)db_int(r, i, H_ID),
			 "status", db_cell(r, i, H_STATUS), "currency", db_cell(r, i, H_CUR),
			 "total", (json_int_t)db_int(r, i, H_TOTAL), "createdAt", db_cell(r, i, H_CREATED),
			 "email", db_cell(r, i, H_EMAIL), "archived", !db_int(r, i, H_HOT));
}

enum err orders_admin_search(struct db *db, struct arena *a, const char *q, json_t **out)
{
	struct db_res *r = NULL;
	int64_t id;
	enum err e;

	*out = json_array();
	if (!q)
		return E_OK;
	q += strspn(q, " #");
	if (!*q)
		return E_OK;
	if (!text_int64(q, 1, INT64_MAX, &id)) {
		e = db_exec(db, a, &sql[Q_BY_ID], &r, "i", id);
	} else if (strchr(q, '@')) {
		e = db_exec(db, a, &sql[Q_BY_EMAIL], &r, "ss", q, q);
	} else {
		return E_OK;
	}
	if (e)
		return e;
	for (size_t i = 0; r && i < r->nrows; i++)
		json_array_append_new(*out, brief(r, i));
	return E_OK;
}

enum err orders_admin_get(struct db *db, struct arena *a, int64_t id, json_t **out)
{
	struct db_res *h = NULL, *r = NULL;
	json_t *o, *list;
	enum err e;

	*out = NULL;
	if ((e = db_exec(db, a, &sql[Q_BY_ID], &h, "i", id)))
		return e;
	if (!h || !h->nrows)
		return E_NOTFOUND;
	o = brief(h, 0);
	json_object_update_new(o, json_pack("{s:I, s:b, s:I, s:I, s:I, s:I, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, "
		"s:s, s:s}}", "userId", (json_int_t)db_int(h, 0, H_UID), "guest", (int)db_int(h, 0, H_GUEST),
		"subtotal", (json_int_t)db_int(h, 0, H_SUB), "shipping", (json_int_t)db_int(h, 0, H_SHIP),
		"tax", (json_int_t)db_int(h, 0, H_TAX), "discount", (json_int_t)db_int(h, 0, H_DISC),
		"promoCode", db_cell(h, 0, H_PROMO), "shippingMethod", db_cell(h, 0, H_METHOD),
		"shipTo", "name", db_cell(h, 0, H_NAME), "line1", db_cell(h, 0, H_L1), "line2", db_cell(h, 0, H_L2),
		"city", db_cell(h, 0, H_CITY), "region", db_cell(h, 0, H_REGION),
		"postalCode", db_cell(h, 0, H_POSTAL), "country", db_cell(h, 0, H_COUNTRY)));
	if ((e = db_exec(db, a, &sql[Q_LINES], &r, "i", id)))
		goto fail;
	list = json_array();
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(list, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:I, "
			"s:I, s:b}", "line", (json_int_t)db_int(r, i, 0), "seller", (json_int_t)db_int(r, i, 1),
			"sellerName", db_cell(r, i, 2), "code", db_cell(r, i, 3), "title", db_cell(r, i, 4),
			"options", db_cell(r, i, 5), "unitPrice", (json_int_t)db_int(r, i, 6),
			"quantity", (json_int_t)db_int(r, i, 7), "discount", (json_int_t)db_int(r, i, 8),
			"tax", (json_int_t)db_int(r, i, 9), "state", db_cell(r, i, 10),
			"refundedQty", (json_int_t)db_int(r, i, 11), "refundedAmount", (json_int_t)db_int(r, i, 12),
			"inShipment", (int)db_int(r, i, 13)));
	json_object_set_new(o, "lines", list);
	if ((e = db_exec(db, a, &sql[Q_SHIPMENTS], &r, "ii", id, id)))
		goto fail;
	list = json_array();
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:s}",
			"id", (json_int_t)db_int(r, i, 0), "carrier", db_cell(r, i, 1), "tracking", db_cell(r, i, 2),
			"status", db_cell(r, i, 3), "amount", (json_int_t)db_int(r, i, 4),
			"shippedAt", db_cell(r, i, 5) ? db_cell(r, i, 5) : "",
			"deliveredAt", db_cell(r, i, 6) ? db_cell(r, i, 6) : ""));
	json_object_set_new(o, "shipments", list);
	if ((e = db_exec(db, a, &sql[Q_REFUNDS], &r, "ii", id, id)))
		goto fail;
	list = json_array();
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(list, json_pack("{s:I, s:I, s:I, s:s, s:s, s:s}",
			"id", (json_int_t)db_int(r, i, 0), "seller", (json_int_t)db_int(r, i, 1),
			"amount", (json_int_t)db_int(r, i, 2), "status", db_cell(r, i, 3),
			"lastError", db_cell(r, i, 4), "createdAt", db_cell(r, i, 5)));
	json_object_set_new(o, "refunds", list);
	if ((e = db_exec(db, a, &sql[Q_EVENTS], &r, "ii", id, id)))
		goto fail;
	list = json_array();
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "from", db_cell(r, i, 1),
			"to", db_cell(r, i, 2), "actor", db_cell(r, i, 3), "reason", db_cell(r, i, 4),
			"at", db_cell(r, i, 5)));
	json_object_set_new(o, "events", list);
	*out = o;
	return E_OK;
fail:
	json_decref(o);
	return e;
}

/* ---- acts ---- */

static void refuse(struct oa_outcome *o, int status, const char *msg)
{
	o->status = status;
	o->msg = msg;
}

/* The audit of an act that runs in fulfillment's or order's own
 * transactions (audit_begin): begun before the first change with the
 * order before and what was asked; finished with the order after and the
 * outcome. */
static enum err act_begin(struct db *db, struct arena *a, int64_t uid, const char *action, int64_t id,
			  json_t *before, json_t *asked, int64_t *audit_id)
{
	json_t *b = json_pack("{s:O, s:O}", "order", before, "asked", asked);
	enum err e;

	e = audit_begin(db, a, arena_printf(a, "user:%lld", (long long)uid), action,
			arena_printf(a, "order:%lld", (long long)id), b, audit_id);
	json_decref(b);
	return e;
}

static enum err act_finish(struct db *db, struct arena *a, int64_t audit_id, int64_t id, json_t *extra)
{
	json_t *after = NULL;
	enum err e;

	if ((e = orders_admin_get(db, a, id, &after)))
		return e;
	if (extra)
		json_object_set(after, "act", extra);
	e = audit_finish(db, a, audit_id, after);
	json_decref(after);
	return e;
}

/* What the audit keeps of an order: its status and lines' states. */
static json_t *state_json(json_t *full)
{
	json_t *s = json_pack("{s:O, s:O, s:O}", "status", json_object_get(full, "status"),
			      "lines", json_object_get(full, "lines"), "refunds", json_object_get(full, "refunds"));
	return s;
}

enum err orders_admin_refund(struct db *db, struct arena *a, int64_t uid, int64_t id, const struct oa_line *lines,
			     size_t n, const char *reason, struct oa_outcome *o)
{
	const char *actor = arena_printf(a, "admin:%lld", (long long)uid);
	json_t *full = NULL, *ls, *before, *act, *asked;
	struct ff_line *per;
	int64_t audit_id = 0;
	size_t nl, k;
	int any = 0;
	enum err e;

	memset(o, 0, sizeof(*o));
	if ((e = orders_admin_get(db, a, id, &full)))
		return e;
	if (json_is_true(json_object_get(full, "archived"))) {
		json_decref(full);
		refuse(o, 409, "This order is archived: it is closed and cannot change.");
		return E_OK;
	}
	ls = json_object_get(full, "lines");
	nl = json_array_size(ls);
	/* every asked line must be the order's */
	for (size_t i = 0; i < n; i++) {
		int found = 0;

		for (size_t j = 0; j < nl; j++)
			found |= json_integer_value(json_object_get(json_array_get(ls, j), "line")) == lines[i].line_no;
		if (!found) {
			json_decref(full);
			refuse(o, 422, arena_printf(a, "line %lld: the order has no such line.", (long long)lines[i].line_no));
			return E_OK;
		}
	}
	before = state_json(full);
	o->refunds = json_array();
	per = arena_calloc(a, nl ? nl : 1, sizeof(*per));
	if (!per) {
		e = E_NOMEM;
		goto out;
	}
	/* One call per seller: fulfillment's refunds are per seller (the
	 * seller's lines, the seller's share of the capture). */
	for (size_t j = 0; j < nl; j++) {
		json_t *l = json_array_get(ls, j);
		int64_t seller = json_integer_value(json_object_get(l, "seller"));
		int seen = 0;
		struct ff_outcome fo;

		for (size_t p = 0; p < j; p++)
			seen |= json_integer_value(json_object_get(json_array_get(ls, p), "seller")) == seller;
		if (seen)
			continue;
		k = 0;
		for (size_t p = j; p < nl; p++) {
			json_t *m = json_array_get(ls, p);
			int64_t no = json_integer_value(json_object_get(m, "line"));
			int64_t left = json_integer_value(json_object_get(m, "quantity")) -
				       json_integer_value(json_object_get(m, "refundedQty"));
			const char *st = json_string_value(json_object_get(m, "state"));

			if (json_integer_value(json_object_get(m, "seller")) != seller)
				continue;
			if (n == 0) {
				/* the whole order: what is left of each line */
				if (left > 0 && strcmp(st, "cancelled") && strcmp(st, "returned"))
					per[k++] = (struct ff_line){ no, 0 };
				continue;
			}
			for (size_t i = 0; i < n; i++)
				if (lines[i].line_no == no)
					per[k++] = (struct ff_line){ no, lines[i].quantity };
		}
		if (!k)
			continue;
		if (!any) {
			/* the first change is next: the audit row first */
			asked = n ? json_array() : json_string("everything left");
			for (size_t i = 0; i < n; i++)
				json_array_append_new(asked, json_pack("{s:I, s:I}", "line", (json_int_t)lines[i].line_no,
								       "quantity", (json_int_t)lines[i].quantity));
			e = act_begin(db, a, uid, "order.refund", id, before, asked, &audit_id);
			json_decref(asked);
			if (e)
				goto out;
		}
		any = 1;
		if ((e = fulfillment_refund(db, a, id, seller, actor, per, k, &fo)))
			goto out;
		json_array_append_new(o->refunds, json_pack("{s:I, s:I, s:i, s:s}", "seller", (json_int_t)seller,
			"refundId", (json_int_t)fo.refund_id, "status", fo.status ? fo.status : 200,
			"message", fo.msg ? fo.msg : (fo.refund_id ? "refunded" : "cancelled")));
		if (fo.status && !o->status)
			refuse(o, fo.status == 400 ? 422 : fo.status, fo.msg ? fo.msg : "The refund was refused.");
	}
	if (!any) {
		refuse(o, 409, "Nothing is left to refund on this order.");
		goto out;
	}
	act = json_pack("{s:s, s:O}", "reason", reason ? reason : "", "results", o->refunds);
	e = act_finish(db, a, audit_id, id, act);
	json_decref(act);
out:
	json_decref(before);
	json_decref(full);
	return e;
}

enum err orders_admin_cancel(struct db *db, struct arena *a, int64_t uid, int64_t id, const char *reason,
			     struct oa_outcome *o)
{
	json_t *full = NULL, *ls, *before, *act;
	const char *status;
	int64_t audit_id = 0;
	enum err e;

	memset(o, 0, sizeof(*o));
	if ((e = orders_admin_get(db, a, id, &full)))
		return e;
	if (json_is_true(json_object_get(full, "archived"))) {
		json_decref(full);
		refuse(o, 409, "This order is archived: it is closed and cannot change.");
		return E_OK;
	}
	status = json_string_value(json_object_get(full, "status"));
	before = state_json(full);
	if (!strcmp(status, "pending_payment") || !strcmp(status, "payment_failed")) {
		const char *why = arena_printf(a, "cancelled by an admin%s%s", reason && *reason ? ": " : "",
					       reason ? reason : "");

		if (strlen(why) > 250)
			why = "cancelled by an admin";
		act = json_pack("{s:s}", "reason", reason ? reason : "");
		e = act_begin(db, a, uid, "order.cancel", id, before, act, &audit_id);
		json_decref(act);
		if (e)
			goto out;
		e = order_release(db, a, id, "cancelled", arena_printf(a, "admin:%lld", (long long)uid), why);
		if (e == E_CONFLICT) {
			refuse(o, 409, "The order changed meanwhile (it may just have been paid); please look again.");
			act = json_pack("{s:s}", "refused", o->msg);
			e = act_finish(db, a, audit_id, id, act);
			json_decref(act);
			goto out;
		}
		if (e)
			goto out;
	} else if (fulfillment_workable(status) || !strcmp(status, "shipped") || !strcmp(status, "delivered")) {
		ls = json_object_get(full, "lines");
		for (size_t j = 0; j < json_array_size(ls); j++) {
			const char *st = json_string_value(json_object_get(json_array_get(ls, j), "state"));

			if (!strcmp(st, "shipped") || !strcmp(st, "delivered") ||
			    json_is_true(json_object_get(json_array_get(ls, j), "inShipment"))) {
				refuse(o, 409, "Some items of this order have shipped: refund them instead.");
				goto out;
			}
		}
		/* every open line cancelled: nothing is captured for them */
		json_decref(before);
		json_decref(full);
		return orders_admin_refund(db, a, uid, id, NULL, 0, reason, o);
	} else {
		refuse(o, 409, arena_printf(a, "This order cannot be cancelled (it is %s).", order_status_label(status)));
		goto out;
	}
	act = json_pack("{s:s}", "reason", reason ? reason : "");
	e = act_finish(db, a, audit_id, id, act);
	json_decref(act);
out:
	json_decref(before);
	json_decref(full);
	return e;
}

/* ---- mails again ---- */

struct resend_op {
	struct arena *a;
	int64_t uid, id;
	const char *which;
	struct oa_outcome *o;
	int queued;
};

/* The mails of kind k that the event ev would bring, rendered and queued. */
static enum err queue_kind(struct db *db, struct resend_op *op, struct event *ev, enum notify_kind k)
{
	struct notify_mail *ms = NULL;
	size_t n = 0;
	enum err e;

	if ((e = notify_collect(db, op->a, ev, &ms, &n)))
		return e;
	for (size_t i = 0; i < n; i++) {
		const char *text, *html;

		/* a mail sent again says so (and is never taken for a duplicate
		 * of the shop's own once-only send) */
		if (!e && ms[i].kind == k && !(ms[i].subject = arena_printf(op->a, "%s (sent again)", ms[i].subject)))
			e = E_NOMEM;
		if (!e && ms[i].kind == k && !(e = notify_render(op->a, &ms[i], NULL, &text, &html)) &&
		    !(e = mail_enqueue_alt(db, op->a, ms[i].to, ms[i].subject, text, html, NULL, NULL)))
			op->queued++;
	}
	for (size_t i = 0; i < n; i++)
		json_decref(ms[i].model);
	return e;
}

static enum err resend_tx(struct db *db, void *ctx)
{
	struct resend_op *op = ctx;
	struct event ev;
	struct db_res *r = NULL;
	json_t *after;
	enum err e;

	op->queued = 0;
	memset(&ev, 0, sizeof(ev));
	ev.aggregate = op->id;
	if (!strcmp(op->which, "confirmation")) {
		ev.type = EV_ORDER_CONFIRMED;
		ev.topic = event_type_name(EV_ORDER_CONFIRMED);
		ev.json = json_object();
		e = queue_kind(db, op, &ev, NK_ORDER_CONFIRMED);
		json_decref(ev.json);
		if (e)
			return e;
	} else {
		if ((e = db_exec(db, op->a, &sql[Q_SHIPPED], &r, "i", op->id)))
			return e;
		for (size_t i = 0; r && i < r->nrows; i++) {
			ev.type = EV_SHIPMENT_SHIPPED;
			ev.topic = event_type_name(EV_SHIPMENT_SHIPPED);
			ev.json = json_pack("{s:I}", "shipmentId", (json_int_t)db_int(r, i, 0));
			e = queue_kind(db, op, &ev, NK_SHIPPED);
			json_decref(ev.json);
			if (e)
				return e;
		}
	}
	if (!op->queued)
		return E_OK;	/* nothing to send: the caller refuses */
	after = json_pack("{s:s, s:i}", "mail", op->which, "queued", op->queued);
	e = audit_record(db, op->a, arena_printf(op->a, "user:%lld", (long long)op->uid), "order.resend_mail",
			 arena_printf(op->a, "order:%lld", (long long)op->id), NULL, after);
	json_decref(after);
	return e;
}

enum err orders_admin_resend(struct db *db, struct arena *a, int64_t uid, int64_t id, const char *which,
			     struct oa_outcome *o)
{
	struct resend_op op = { .a = a, .uid = uid, .id = id, .which = which, .o = o };
	json_t *full = NULL;
	const char *status;
	enum err e;

	memset(o, 0, sizeof(*o));
	if (!which || (strcmp(which, "confirmation") && strcmp(which, "shipment"))) {
		refuse(o, 422, "mail is \"confirmation\" or \"shipment\".");
		return E_OK;
	}
	if ((e = orders_admin_get(db, a, id, &full)))
		return e;
	status = json_string_value(json_object_get(full, "status"));
	if (!strcmp(status, "pending_payment") || !strcmp(status, "payment_failed") || !strcmp(status, "expired")) {
		json_decref(full);
		refuse(o, 409, "This order was never confirmed: there is no confirmation to send.");
		return E_OK;
	}
	json_decref(full);
	if ((e = db_tx(db, resend_tx, &op)))
		return e;
	if (!op.queued)
		refuse(o, 409, !strcmp(which, "shipment") ? "Nothing of this order has shipped yet."
							   : "There is no mail to send for this order.");
	return E_OK;
}
