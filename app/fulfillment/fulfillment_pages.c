/* The seller's order pages and API, the carriers' webhook and the shopper's
 * tracking (fulfillment.h has the rules; the changes are fulfillment.c's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../core/sig.h"
#include "../http/cursor.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../store/db.h"
#include "../account/session_pages.h"
#include "../order/order.h"
#include "../returns/returns_pages.h"	/* RETURNS (issue 19) */
#include "fulfillment.h"
#include "fulfillment_pages.h"

#define FF_LIST_SIZE	20
#define CARRIER_TOLERANCE 300	/* seconds a carrier signature stays valid */

/* ---- small helpers ---- */

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

static void refuse(struct ff_outcome *o, int status, const char *msg)
{
	o->status = status;
	o->msg = msg;
}

/* ---- line selections from a request ---- */

/* The lines a request names: JSON "lines": [1, 2] or [{"line": 1,
 * "quantity": 2}], or form fields line=1&line=2 (a form naming one line may
 * add quantity=). 400 in *o for anything else. */
static void parse_lines(struct ctx *c, struct ff_line **out, size_t *n, struct ff_outcome *o)
{
	json_t *arr = c->req->json ? json_object_get(c->req->json, "lines") : NULL;
	struct ff_line *s = arena_alloc(c->a, sizeof(*s) * FF_MAX_LINES);

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

/* ---- the seller's view of one order ---- */

/* The seller's view of an order; NULL with *err E_NOTFOUND when it is not
 * theirs (or not there), or the database's error. */
static json_t *seller_order_json(struct ctx *c, int64_t order_id, enum err *err)
{
	struct ff_view v;
	struct db_res *h, *l, *s, *rf, *ev;
	json_t *j, *lines, *ships, *refunds, *events;
	int has_open = 0, has_shippable = 0, live;
	const char *status;

	if ((*err = fulfillment_view(c->db, c->a, order_id, c->sess->seller_id, &v)))
		return NULL;
	h = v.head;
	l = v.lines;
	s = v.shipments;
	rf = v.refunds;
	ev = v.events;
	status = db_cell(h, 0, FF_H_STATUS);
	live = fulfillment_workable(status);
	j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)order_id, "status", status,
		      "statusLabel", order_status_label(status), "currency", db_cell(h, 0, FF_H_CUR),
		      "createdAt", db_cell(h, 0, FF_H_CREATED), "shippingMethod", db_cell(h, 0, FF_H_METHOD));
	json_object_set_new(j, "shippingMethodName", json_string(order_method_name(c->a, db_cell(h, 0, FF_H_METHOD))));
	json_object_set_new(j, "shippingAddress", json_pack("{s:s, s:s, s:s?, s:s, s:s?, s:s?, s:s}",
		"name", db_cell(h, 0, FF_H_NAME), "line1", db_cell(h, 0, FF_H_LINE1), "line2", db_cell(h, 0, FF_H_LINE2),
		"city", db_cell(h, 0, FF_H_CITY), "region", db_cell(h, 0, FF_H_REGION),
		"postalCode", db_cell(h, 0, FF_H_POSTAL), "country", db_cell(h, 0, FF_H_COUNTRY)));
	lines = json_array();
	for (size_t i = 0; i < l->nrows; i++) {
		const char *st = db_cell(l, i, FF_L_STATE);
		int unassigned = !db_cell(l, i, FF_L_SHIPMENT);
		int can_pick = live && !strcmp(st, "open");
		int can_ship = live && (!strcmp(st, "open") || !strcmp(st, "picked")) && unassigned;
		int can_refund = !v.archived && (!strcmp(st, "shipped") || !strcmp(st, "delivered")) &&
				 db_int(l, i, FF_L_REFQTY) < db_int(l, i, FF_L_QTY);
		json_t *x = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:I, s:s}",
			"lineNo", (json_int_t)db_int(l, i, FF_L_NO), "itemId", db_cell(l, i, FF_L_CODE),
			"title", db_cell(l, i, FF_L_TITLE), "options", db_cell(l, i, FF_L_OPTIONS),
			"unitPrice", (json_int_t)db_int(l, i, FF_L_PRICE), "quantity", (json_int_t)db_int(l, i, FF_L_QTY),
			"lineTotal", (json_int_t)(db_int(l, i, FF_L_PRICE) * db_int(l, i, FF_L_QTY)),
			"discount", (json_int_t)db_int(l, i, FF_L_DISC), "tax", (json_int_t)db_int(l, i, FF_L_TAX),
			"state", st, "stateLabel", fulfillment_line_label(st),
			"refundedQuantity", (json_int_t)db_int(l, i, FF_L_REFQTY),
			"refundedAmount", (json_int_t)db_int(l, i, FF_L_REFAMT), "currency", db_cell(h, 0, FF_H_CUR));

		{
			const char *opts = order_options_text(c->a, db_cell(l, i, FF_L_OPTIONS));

			json_object_set_new(x, "optionsText", opts ? json_string(opts) : json_null());
		}
		json_object_set_new(x, "shipmentId", db_cell(l, i, FF_L_SHIPMENT) ?
				    json_integer(db_int(l, i, FF_L_SHIPMENT)) : json_null());
		json_object_set_new(x, "canPick", json_boolean(can_pick));
		json_object_set_new(x, "canShip", json_boolean(can_ship));
		json_object_set_new(x, "canCancel", json_boolean(can_ship));
		json_object_set_new(x, "canRefund", json_boolean(can_refund));
		if (can_refund)
			json_object_set_new(x, "refundable", json_integer(db_int(l, i, FF_L_QTY) - db_int(l, i, FF_L_REFQTY)));
		has_open |= can_pick;
		has_shippable |= can_ship;
		json_array_append_new(lines, x);
	}
	json_object_set_new(j, "lines", lines);
	json_object_set_new(j, "hasOpen", json_boolean(has_open));
	json_object_set_new(j, "hasShippable", json_boolean(has_shippable));
	ships = json_array();
	for (size_t i = 0; i < s->nrows; i++) {
		const char *st = db_cell(s, i, FF_S_STATUS);

		json_array_append_new(ships, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s?, s:I, s:s?, s:s?, "
						       "s:s, s:s, s:b, s:b, s:b}",
			"id", (json_int_t)db_int(s, i, FF_S_ID), "orderId", (json_int_t)order_id, "carrier", db_cell(s, i, FF_S_CARRIER),
			"tracking", db_cell(s, i, FF_S_TRACKING), "status", st, "statusText", ship_label(st),
			"amount", (json_int_t)db_int(s, i, FF_S_AMOUNT), "currency", db_cell(h, 0, FF_H_CUR),
			"lastError", db_cell(s, i, FF_S_ERROR), "attempts", (json_int_t)db_int(s, i, FF_S_ATTEMPTS),
			"shippedAt", db_cell(s, i, FF_S_SHIPPED), "deliveredAt", db_cell(s, i, FF_S_DELIVERED),
			"createdAt", db_cell(s, i, FF_S_CREATED), "lineNos", db_cell(s, i, FF_S_LINES) ? db_cell(s, i, FF_S_LINES) : "",
			"isPending", !strcmp(st, "pending"), "canRetry", !strcmp(st, "pending"),
			"canDeliver", !v.archived && !strcmp(st, "shipped")));
		{
			const char *url = order_tracking_url(c->a, db_cell(s, i, FF_S_CARRIER), db_cell(s, i, FF_S_TRACKING));

			json_object_set_new(json_array_get(ships, json_array_size(ships) - 1), "trackingUrl",
					    url ? json_string(url) : json_null());
		}
	}
	json_object_set_new(j, "shipments", ships);
	refunds = json_array();
	for (size_t i = 0; i < rf->nrows; i++)
		json_array_append_new(refunds, json_pack("{s:I, s:I, s:s, s:s, s:s?, s:s, s:s?, s:b}",
			"id", (json_int_t)db_int(rf, i, 0), "amount", (json_int_t)db_int(rf, i, 1),
			"currency", db_cell(h, 0, FF_H_CUR), "status", db_cell(rf, i, 2), "lastError", db_cell(rf, i, 3),
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
	/* ARCHIVE: an archived order is read-only (app/archive). */
	json_object_set_new(j, "archived", json_boolean(v.archived));
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
static enum err finish(struct ctx *c, int64_t id, const struct ff_outcome *o, const char *notice, int ok_status)
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
		if ((e = fulfillment_list(c->db, c->a, sid, before, to_ship, size + 1, &r)))
			return e;
		for (size_t i = 0; i < r->nrows && (int64_t)i < size; i++)
			json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s?, s:s, s:s}",
				"id", (json_int_t)db_int(r, i, 0), "status", db_cell(r, i, 1),
				"statusLabel", order_status_label(db_cell(r, i, 1)), "currency", db_cell(r, i, 2),
				"createdAt", db_cell(r, i, 3), "lineCount", (json_int_t)db_int(r, i, 4),
				"units", (json_int_t)db_int(r, i, 5), "goods", (json_int_t)db_int(r, i, 6),
				"toShip", (json_int_t)db_int(r, i, 7), "firstTitle", db_cell(r, i, 8),
				"url", arena_printf(c->a, "/seller/orders/%lld", (long long)db_int(r, i, 0)),
				"unitsText", order_count_text(c->a, (long long)db_int(r, i, 5), "item")));
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

/* The request's lines handed to a line operation of the domain (pick,
 * refund), as the signed-in seller; a malformed line list is a refusal. */
typedef enum err (*line_op)(struct db *, struct arena *, int64_t order_id, int64_t seller_id, const char *actor,
			    const struct ff_line *lines, size_t n, struct ff_outcome *o);

static enum err on_lines(struct ctx *c, line_op op, int64_t id, struct ff_outcome *o)
{
	struct ff_line *s;
	size_t n;

	memset(o, 0, sizeof(*o));
	parse_lines(c, &s, &n, o);
	if (o->status)
		return E_OK;
	return op(c->db, c->a, id, c->sess->seller_id, actor_of(c), s, n, o);
}

enum err h_seller_pick(struct ctx *c)
{
	struct ff_outcome o;
	int64_t id = path_id(c, 0);
	enum err e = on_lines(c, fulfillment_pick, id, &o);

	return e ? e : finish(c, id, &o, "The lines are marked picked.", 200);
}

enum err h_api_seller_pick(struct ctx *c)
{
	return h_seller_pick(c);
}

static enum err ship(struct ctx *c, int64_t id, struct ff_outcome *o)
{
	const char *carrier = ctx_str(c, "carrier"), *tracking = ctx_str(c, "tracking");
	struct ff_line *s;
	size_t n;

	memset(o, 0, sizeof(*o));
	if (!carrier || !tracking) {
		refuse(o, 400, !carrier ? "carrier: is required" : "tracking: is required");
		return E_OK;
	}
	parse_lines(c, &s, &n, o);
	if (o->status)
		return E_OK;
	return fulfillment_ship(c->db, c->a, id, c->sess->seller_id, actor_of(c), carrier, tracking, s, n, o);
}

enum err h_seller_ship(struct ctx *c)
{
	struct ff_outcome o;
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
	struct ff_outcome o;
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
static enum err retry(struct ctx *c, int64_t id, int64_t sid, struct ff_outcome *o)
{
	return fulfillment_retry(c->db, c->a, id, c->sess->seller_id, sid, actor_of(c), o);
}

enum err h_seller_retry(struct ctx *c)
{
	struct ff_outcome o;
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

enum err h_seller_delivered(struct ctx *c)
{
	struct ff_outcome o;
	int64_t id = path_id(c, 0);
	enum err e;

	if ((e = fulfillment_deliver(c->db, c->a, id, path_id(c, 1), c->sess->seller_id, actor_of(c), &o)))
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

static const char *json_str(json_t *o, const char *k, size_t max)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s && *s && strlen(s) <= max ? s : NULL;
}

enum err h_api_carrier_event(struct ctx *c)
{
	json_t *ev = c->req->json, *m;
	const char *id, *type, *carrier, *tracking;
	struct ff_outcome o;
	int duplicate = 0;
	enum err e;

	if (verify(c->req->carrier_signature, c->req->body ? c->req->body : "", c->req->body_len, (int64_t)time(NULL)))
		return reply_error(c, 401, "The signature is missing, wrong or too old.");
	id = json_str(ev, "id", 64);
	type = json_str(ev, "type", 32);
	carrier = json_str(ev, "carrier", 32);
	tracking = json_str(ev, "tracking", 64);
	if (!id || !type || !carrier || !tracking)
		return reply_error(c, 400, "An event needs id, type, carrier and tracking (strings).");
	if ((e = fulfillment_carrier_event(c->db, c->a, id, type, carrier, tracking, &duplicate, &o)))
		return e;
	if (o.status == 404) {
		/* RETURNS (issue 19): a return's label is followed too. */
		int found = 0;

		if ((e = returns_carrier_scan(c, id, type, carrier, tracking, &found)) || found)
			return e;
		return reply_error(c, 404, o.msg);
	}
	if (o.status == 409)
		return reply_error(c, 409, o.msg);
	if (o.status)
		return reply_error(c, o.status, NULL);
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_set_new(m, "received", json_true());
	if (duplicate)
		json_object_set_new(m, "duplicate", json_true());
	return E_OK;
}

enum err h_seller_refund(struct ctx *c)
{
	struct ff_outcome o;
	int64_t id = path_id(c, 0);
	enum err e = on_lines(c, fulfillment_refund, id, &o);

	return e ? e : finish(c, id, &o, "Done: cancelled lines are back in stock, returned lines refunded and restocked.",
			      200);
}

enum err h_api_seller_refund(struct ctx *c)
{
	struct ff_outcome o;
	int64_t id = path_id(c, 0);
	enum err e = on_lines(c, fulfillment_refund, id, &o);

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

json_t *fulfillment_tracking_json(struct db *db, struct arena *a, int64_t order_id, int archived)
{
	struct db_res *s = NULL;
	json_t *arr = json_array();

	if (fulfillment_shipments(db, a, order_id, archived, &s))
		return arr;
	for (size_t i = 0; i < s->nrows; i++) {
		json_t *nos = json_array();
		const char *p = db_cell(s, i, FF_S_LINES);

		while (p && *p) {
			json_array_append_new(nos, json_integer(strtoll(p, NULL, 10)));
			p = strchr(p, ',');
			p = p ? p + 1 : NULL;
		}
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s?, s:s?}",
			"id", (json_int_t)db_int(s, i, FF_S_ID), "carrier", db_cell(s, i, FF_S_CARRIER),
			"tracking", db_cell(s, i, FF_S_TRACKING), "status", db_cell(s, i, FF_S_STATUS),
			"statusText", ship_label(db_cell(s, i, FF_S_STATUS)), "lineNos", nos,
			"shippedAt", db_cell(s, i, FF_S_SHIPPED), "deliveredAt", db_cell(s, i, FF_S_DELIVERED)));
	}
	return arr;
}

