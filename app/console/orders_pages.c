/* Any order in the console: /admin/orders (search by id or email),
 * /admin/orders/{id} (everything about it, and the acts: refund lines or
 * the whole, cancel, resend mails) and /api/admin/orders. The acts are
 * orders_admin.c's, through fulfillment's and order's own machinery. */
#include <stdio.h>
#include <string.h>
#include "../core/arena.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../account/session_pages.h"
#include "../account/session_store.h"
#include "../order/order.h"
#include "../fulfillment/fulfillment.h"
#include "console_pages.h"
#include "orders_admin.h"

/* ---- the API ---- */

enum err h_api_admin_orders_search(struct ctx *c)
{
	json_t *m, *list;
	enum err e;

	if ((e = orders_admin_search(c->db, c->a, ctx_str(c, "q"), &list)))
		return e;
	if (!(m = reply_model(c, NULL, NULL))) {
		json_decref(list);
		return E_NOMEM;
	}
	json_object_set_new(m, "orders", list);
	return E_OK;
}

static enum err reply_order(struct ctx *c, int64_t id)
{
	json_t *m, *o;
	enum err e;

	e = id ? orders_admin_get(c->db, c->a, id, &o) : E_NOTFOUND;
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such order.");
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL))) {
		json_decref(o);
		return E_NOMEM;
	}
	json_object_update(m, o);
	json_decref(o);
	return E_OK;
}

enum err h_api_admin_order_get(struct ctx *c)
{
	return reply_order(c, console_path_id(c));
}

/* An act's answer: the order as it is now, with the act's results; or
 * the refusal. */
static enum err act_answer(struct ctx *c, enum err e, int64_t id, struct oa_outcome *o)
{
	json_t *m;

	if (e == E_NOTFOUND) {
		json_decref(o->refunds);
		return reply_error(c, 404, "There is no such order.");
	}
	if (e) {
		json_decref(o->refunds);
		return e;
	}
	if (o->status) {
		e = reply_error_titled(c, o->status, "The order cannot be changed", o->msg);
		if (!e && o->refunds && c->resp->model)
			json_object_set(json_object_get(c->resp->model, "error"), "results", o->refunds);
		json_decref(o->refunds);
		return e;
	}
	if ((e = reply_order(c, id))) {
		json_decref(o->refunds);
		return e;
	}
	if ((m = c->resp->model) && o->refunds)
		json_object_set(m, "results", o->refunds);
	json_decref(o->refunds);
	return E_OK;
}

static const char *reason_of(struct ctx *c, enum err *e, int *bad)
{
	json_t *v = json_object_get(c->req->json, "reason");
	const char *f = "reason", *msg = "A reason is text, at most 200 characters.";

	*bad = 0;
	if (!v || json_is_null(v))
		return "";
	if (!json_is_string(v) || strlen(json_string_value(v)) > 200) {
		*e = console_reply_fields(c, "The order cannot be changed", 1, &f, &msg);
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

enum err h_api_admin_order_refund(struct ctx *c)
{
	json_t *ls = json_object_get(c->req->json, "lines");
	int64_t id = console_path_id(c);
	struct oa_line *lines = NULL;
	struct oa_outcome o;
	const char *reason;
	size_t n = json_array_size(ls);
	enum err e = E_OK;
	int bad;

	if (!id)
		return reply_error(c, 404, "There is no such order.");
	if (!(reason = reason_of(c, &e, &bad)) && bad)
		return e;
	if (ls && !json_is_null(ls) && !json_is_array(ls)) {
		const char *f = "lines", *msg = "A list of {\"line\", \"quantity\"}, or absent for the whole order.";

		return console_reply_fields(c, "The order cannot be refunded", 1, &f, &msg);
	}
	if (n && !(lines = arena_calloc(c->a, n, sizeof(*lines))))
		return E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *l = json_array_get(ls, i), *ln = json_object_get(l, "line"), *q = json_object_get(l, "quantity");

		if (!json_is_integer(ln) || json_integer_value(ln) < 1 ||
		    (q && !json_is_null(q) && (!json_is_integer(q) || json_integer_value(q) < 1))) {
			const char *f = arena_printf(c->a, "lines[%zu]", i),
				   *msg = "line is a line number; quantity a number of units (absent: all that is left).";

			return console_reply_fields(c, "The order cannot be refunded", 1, &f, &msg);
		}
		lines[i].line_no = json_integer_value(ln);
		lines[i].quantity = json_is_integer(q) ? json_integer_value(q) : 0;
	}
	e = orders_admin_refund(c->db, c->a, c->sess->uid, id, lines, n, reason, &o);
	return act_answer(c, e, id, &o);
}

enum err h_api_admin_order_cancel(struct ctx *c)
{
	int64_t id = console_path_id(c);
	struct oa_outcome o;
	const char *reason;
	enum err e = E_OK;
	int bad;

	if (!id)
		return reply_error(c, 404, "There is no such order.");
	if (!(reason = reason_of(c, &e, &bad)) && bad)
		return e;
	e = orders_admin_cancel(c->db, c->a, c->sess->uid, id, reason, &o);
	return act_answer(c, e, id, &o);
}

enum err h_api_admin_order_resend(struct ctx *c)
{
	int64_t id = console_path_id(c);
	struct oa_outcome o;
	enum err e;

	if (!id)
		return reply_error(c, 404, "There is no such order.");
	e = orders_admin_resend(c->db, c->a, c->sess->uid, id,
				json_string_value(json_object_get(c->req->json, "mail")), &o);
	return act_answer(c, e, id, &o);
}

/* ---- the pages ---- */

enum err h_admin_orders(struct ctx *c)
{
	const char *q = ctx_str(c, "q");
	json_t *m = session_form_page(c, "admin_orders", "Orders", 200), *list;
	enum err e;

	if (!m)
		return E_NOMEM;
	if ((e = orders_admin_search(c->db, c->a, q, &list)))
		return e;
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *o = json_array_get(list, i);

		json_object_set_new(o, "url", json_string(arena_printf(c->a, "/admin/orders/%lld",
			(long long)json_integer_value(json_object_get(o, "id")))));
		json_object_set_new(o, "statusText", json_string(order_status_label(json_string_value(
			json_object_get(o, "status")))));
	}
	json_object_set_new(m, "q", json_string(q ? q : ""));
	json_object_set_new(m, "searched", json_boolean(q && *q));
	json_object_set_new(m, "orders", list);
	return E_OK;
}

enum err h_admin_order(struct ctx *c)
{
	int64_t id = console_path_id(c);
	json_t *m, *o, *ls;
	enum err e;

	e = id ? orders_admin_get(c->db, c->a, id, &o) : E_NOTFOUND;
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such order.");
	if (e)
		return e;
	if (!(m = session_form_page(c, "admin_order", arena_printf(c->a, "Order %lld", (long long)id), 200))) {
		json_decref(o);
		return E_NOMEM;
	}
	json_object_set_new(o, "statusText", json_string(order_status_label(json_string_value(
		json_object_get(o, "status")))));
	ls = json_object_get(o, "lines");
	for (size_t i = 0; i < json_array_size(ls); i++) {
		json_t *l = json_array_get(ls, i);
		int64_t left = json_integer_value(json_object_get(l, "quantity")) -
			       json_integer_value(json_object_get(l, "refundedQty"));
		const char *st = json_string_value(json_object_get(l, "state"));
		int64_t no = json_integer_value(json_object_get(l, "line"));

		json_object_set_new(l, "stateText", json_string(fulfillment_line_label(st)));
		json_object_set_new(l, "left", json_integer(left));
		json_object_set_new(l, "refundable", json_boolean(left > 0 && no <= 20 && strcmp(st, "cancelled") &&
								  strcmp(st, "returned")));
		json_object_set_new(l, "fieldName", json_string(arena_printf(c->a, "q%lld", (long long)no)));
		json_object_set_new(l, "fieldId", json_string(arena_printf(c->a, "ao-q%lld", (long long)no)));
	}
	json_object_set_new(o, "refundAction", json_string(arena_printf(c->a, "/admin/orders/%lld/refund", (long long)id)));
	json_object_set_new(o, "cancelAction", json_string(arena_printf(c->a, "/admin/orders/%lld/cancel", (long long)id)));
	json_object_set_new(o, "resendAction", json_string(arena_printf(c->a, "/admin/orders/%lld/resend", (long long)id)));
	json_object_set_new(o, "auditUrl", json_string(arena_printf(c->a, "/admin/audit?target=order:%lld", (long long)id)));
	json_object_set_new(m, "order", o);
	return E_OK;
}

static enum err page_act(struct ctx *c, enum err e, int64_t id, struct oa_outcome *o, const char *done)
{
	json_decref(o->refunds);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such order.");
	if (e)
		return e;
	session_flash(c, o->status ? o->msg : done);
	return reply_redirect(c, 303, arena_printf(c->a, "/admin/orders/%lld", (long long)id));
}

enum err h_admin_order_refund(struct ctx *c)
{
	int64_t id = console_path_id(c);
	struct oa_line lines[20];
	struct oa_outcome o;
	size_t n = 0;
	enum err e;

	if (!id)
		return reply_error(c, 404, "There is no such order.");
	for (int k = 1; k <= 20; k++) {
		char name[16];
		int64_t q;

		snprintf(name, sizeof(name), "q%d", k);
		if ((q = ctx_int(c, name, 0)) > 0)
			lines[n++] = (struct oa_line){ k, q };
	}
	if (!n) {
		session_flash(c, "Choose how many units of which lines to refund.");
		return reply_redirect(c, 303, arena_printf(c->a, "/admin/orders/%lld", (long long)id));
	}
	e = orders_admin_refund(c->db, c->a, c->sess->uid, id, lines, n, ctx_str(c, "reason"), &o);
	return page_act(c, e, id, &o, "The refund is done; the shopper gets the money back on their card.");
}

enum err h_admin_order_cancel(struct ctx *c)
{
	int64_t id = console_path_id(c);
	struct oa_outcome o;
	enum err e;

	if (!id)
		return reply_error(c, 404, "There is no such order.");
	e = orders_admin_cancel(c->db, c->a, c->sess->uid, id, ctx_str(c, "reason"), &o);
	return page_act(c, e, id, &o, "The order is cancelled.");
}

enum err h_admin_order_resend(struct ctx *c)
{
	int64_t id = console_path_id(c);
	struct oa_outcome o;
	enum err e;

	if (!id)
		return reply_error(c, 404, "There is no such order.");
	e = orders_admin_resend(c->db, c->a, c->sess->uid, id, ctx_str(c, "mail"), &o);
	return page_act(c, e, id, &o, "The mail is on its way again.");
}
