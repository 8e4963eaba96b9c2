/* The shopper's order pages and API: the list, one order with its lines,
 * events and shipments, cancelling and paying again (order.h has the
 * rules; fulfillment_pages.c the shipments). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/log.h"
#include "../http/cursor.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../store/db.h"
#include "../account/session_pages.h"
#include "../payment/payment.h"
#include "../fulfillment/fulfillment.h"
#include "../fulfillment/fulfillment_pages.h"
#include "order.h"
#include "../returns/returns_pages.h"	/* RETURNS (issue 19) */
#include "order_pages.h"

static const char *nz(const char *s)
{
	return s ? s : "";
}

static json_t *json_string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *order_json(struct db *db, struct arena *a, int64_t order_id, int64_t uid)
{
	struct order_view v;
	struct db_res *o, *l, *ev;
	json_t *j, *lines, *events;
	const char *status;

	if (order_read(db, a, order_id, uid, &v))
		return NULL;
	o = v.order;
	l = v.lines;
	ev = v.events;
	status = db_cell(o, 0, OC_STATUS);
	j = json_object();
	json_object_set_new(j, "id", json_integer(order_id));
	json_object_set_new(j, "status", json_string(status));
	json_object_set_new(j, "statusLabel", json_string(order_status_label(status)));
	json_object_set_new(j, "currency", json_string(db_cell(o, 0, OC_CUR)));
	json_object_set_new(j, "subtotal", json_integer(db_int(o, 0, OC_SUB)));
	json_object_set_new(j, "shipping", json_integer(db_int(o, 0, OC_SHIP)));
	json_object_set_new(j, "tax", json_integer(db_int(o, 0, OC_TAX)));
	json_object_set_new(j, "discount", json_integer(db_int(o, 0, OC_DISC)));
	json_object_set_new(j, "total", json_integer(db_int(o, 0, OC_TOTAL)));
	json_object_set_new(j, "shippingMethod", json_string(db_cell(o, 0, OC_METHOD)));
	json_object_set_new(j, "shippingMethodName", json_string(order_method_name(a, db_cell(o, 0, OC_METHOD))));
	json_object_set_new(j, "shippingAddress", json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		"name", db_cell(o, 0, OC_NAME), "line1", db_cell(o, 0, OC_LINE1), "line2", nz(db_cell(o, 0, OC_LINE2)),
		"city", db_cell(o, 0, OC_CITY), "region", nz(db_cell(o, 0, OC_REGION)),
		"postalCode", nz(db_cell(o, 0, OC_POSTAL)), "country", db_cell(o, 0, OC_COUNTRY)));
	json_object_set_new(j, "promoCode", db_cell(o, 0, OC_PROMO) ? json_string(db_cell(o, 0, OC_PROMO)) : json_null());
	json_object_set_new(j, "payment", json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?}",
		"id", db_cell(o, 0, OC_INTENT), "status", db_cell(o, 0, OC_PAYST), "brand", db_cell(o, 0, OC_BRAND),
		"last4", db_cell(o, 0, OC_LAST4), "error", db_cell(o, 0, OC_PAYERR)));
	json_object_set_new(j, "createdAt", json_string(db_cell(o, 0, OC_CREATED)));
	if (db_cell(o, 0, OC_EXPIRES)) {
		time_t t = (time_t)db_int(o, 0, OC_EXPIRES);
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
			"currency", db_cell(o, 0, OC_CUR)));
	/* Words for people: the chosen options of each line, and the state
	 * only where it says more than the order's status does. */
	{
		json_t *ln;
		size_t i;

		json_array_foreach(lines, i, ln) {
			const char *opts = order_options_text(a, db_cell(l, i, 3));
			const char *st = db_cell(l, i, 9);

			json_object_set_new(ln, "optionsText", opts ? json_string(opts) : json_null());
			json_object_set_new(ln, "showState", json_boolean(l->nrows > 1 &&
				(!strcmp(status, "fulfilling") || !strcmp(status, "shipped") ||
				 !strcmp(status, "delivered") || db_int(l, i, 10) > 0) && st));
		}
	}
	json_object_set_new(j, "lines", lines);
	{
		long long units = 0;

		for (size_t i = 0; i < l->nrows; i++)
			units += db_int(l, i, 5);
		json_object_set_new(j, "itemCountText", json_string(order_count_text(a, units, "item")));
	}
	json_object_set_new(j, "paymentNote", json_string_or_null(order_payment_text(a, status,
		db_cell(o, 0, OC_PAYST), db_cell(o, 0, OC_BRAND), db_cell(o, 0, OC_LAST4))));
	/* Per-shipment tracking (carrier, number, status, lines, times), with
	 * the carrier's tracking page and the titles of what it carries. */
	{
		json_t *ships = fulfillment_tracking_json(db, a, order_id, v.archived), *sh, *no;
		size_t i, k;

		json_array_foreach(ships, i, sh) {
			const char *url = order_tracking_url(a, json_string_value(json_object_get(sh, "carrier")),
							     json_string_value(json_object_get(sh, "tracking")));
			struct buf b;

			buf_init(&b, a, 128);
			json_array_foreach(json_object_get(sh, "lineNos"), k, no)
				for (size_t r = 0; r < l->nrows; r++)
					if (db_int(l, r, 0) == json_integer_value(no))
						buf_printf(&b, "%s%s", b.len ? ", " : "", db_cell(l, r, 2));
			json_object_set_new(sh, "trackingUrl", json_string_or_null(url));
			json_object_set_new(sh, "itemsText", json_string(b.len ? b.p : ""));
		}
		json_object_set_new(j, "shipments", ships);
	}
	events = json_array();
	for (size_t i = 0; i < ev->nrows; i++)
		json_array_append_new(events, json_pack("{s:s?, s:s, s:s, s:s, s:s, s:s}",
			"from", db_cell(ev, i, 0), "to", db_cell(ev, i, 1), "statusLabel", order_status_label(db_cell(ev, i, 1)),
			"actor", db_cell(ev, i, 2), "reason", db_cell(ev, i, 3), "at", db_cell(ev, i, 4)));
	json_object_set_new(j, "events", events);
	/* What the shopper may do now. */
	if (!strcmp(status, "pending_payment") || !strcmp(status, "payment_failed")) {
		if (db_cell(o, 0, OC_HOSTED) && *db_cell(o, 0, OC_HOSTED))
			json_object_set_new(j, "payUrl", json_string(db_cell(o, 0, OC_HOSTED)));
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
	/* RETURNS (issue 19): the shopper's own order: "Return items" and
	 * the order's returns. */
	if (!c->sess->is_admin)
		returns_order_block(c->db, c->a, id, c->sess->uid, o);
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

/* GET /orders/{id}/cancel: the order page asking "Cancel this order?" with
 * the button that posts the cancel, so that nothing is cancelled by one
 * stray click and no JavaScript is needed to ask. An order that can no
 * longer be cancelled shows the order as it is. */
enum err h_order_cancel_confirm(struct ctx *c)
{
	enum err e = one(c, "order");
	json_t *o;

	if (e || c->resp->status >= 400 || !c->resp->model)
		return e;
	o = json_object_get(c->resp->model, "order");
	if (json_is_true(json_object_get(o, "canCancel")))
		json_object_set_new(o, "confirmCancel", json_true());
	return E_OK;
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
	/* READ REPLICAS (issue 20): a replica that has the shopper's last write */
	if ((e = order_list(db_for_read(c->db), c->a, c->sess->uid, before, size + 1, &r)))
		return e;
	if (!(m = reply_model(c, view, "Your orders")))
		return E_NOMEM;
	items = json_array();
	for (size_t i = 0; i < r->nrows && (int64_t)i < size; i++)
		json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:I, s:s?, s:s, s:s}",
			"id", (json_int_t)db_int(r, i, 0), "status", db_cell(r, i, 1),
			"statusLabel", order_status_label(db_cell(r, i, 1)), "total", (json_int_t)db_int(r, i, 2),
			"currency", db_cell(r, i, 3), "createdAt", db_cell(r, i, 4),
			"itemCount", (json_int_t)db_int(r, i, 5), "firstTitle", db_cell(r, i, 6),
			"itemCountText", order_count_text(c->a, (long long)db_int(r, i, 5), "item"),
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
	return order_state(c->db, c->a, id, c->sess->uid, st, intent);
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
