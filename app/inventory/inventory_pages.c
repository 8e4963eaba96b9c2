/* The seller's stock page and API (app/inventory/routes.inc), built on
 * inventory.h: every change goes through inventory_change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../store/db.h"
#include "../account/session_pages.h"
#include "inventory.h"
#include "inventory_pages.h"

/* ---- pages and API ---- */

static int64_t path_id(const struct ctx *c)
{
	const char *s = c->req->npathvar ? c->req->pathvar[0] : NULL;
	int64_t id;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

static const char *actor_of(struct ctx *c)
{
	return arena_printf(c->a, "user:%lld", (long long)c->sess->uid);
}

/* "Color: Red, Size: M" from a SKU's options object. */
static const char *options_label(struct arena *a, const char *json)
{
	json_t *o = json ? json_loads(json, 0, NULL) : NULL;
	const char *k, *out = "";
	json_t *v;

	if (!o)
		return "";
	json_object_foreach(o, k, v) {
		if (!json_is_string(v))
			continue;
		out = arena_printf(a, "%s%s%s: %s", out, *out ? ", " : "", k, json_string_value(v));
	}
	json_decref(o);
	return out;
}

/* The item's stock as the page and the API show it, into m. E_NOTFOUND when
 * the item is not this seller's. */
static enum err fill_stock(struct ctx *c, json_t *m, int64_t id)
{
	struct stock_view v;
	struct db_res *p, *r, *mv;
	json_t *rows, *moves, *item;
	enum err e;

	if ((e = inventory_stock_view(c->db, c->a, id, c->sess->seller_id, &v)))
		return e;
	p = v.product;
	r = v.rows;
	mv = v.moves;
	item = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "title", db_cell(p, 0, 1),
			 "url", arena_printf(c->a, "/p/%s", db_cell(p, 0, 2)),
			 "stockUrl", arena_printf(c->a, "/seller/items/%lld/stock", (long long)id));
	rows = json_array();
	moves = json_array();
	if (!item || !rows || !moves) {
		json_decref(item);
		json_decref(rows);
		json_decref(moves);
		return E_NOMEM;
	}
	json_object_set_new(m, "item", item);
	json_object_set_new(m, "rows", rows);
	json_object_set_new(m, "movements", moves);
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b}",
			"sku", db_cell(r, i, 0), "options", options_label(c->a, db_cell(r, i, 1)),
			"warehouse", db_cell(r, i, 2), "warehouseName", db_cell(r, i, 3),
			"available", (json_int_t)db_int(r, i, 4), "reserved", (json_int_t)db_int(r, i, 5),
			"committed", (json_int_t)db_int(r, i, 6), "inactive", strcmp(db_cell(r, i, 7), "active") != 0));
	for (size_t i = 0; i < mv->nrows; i++) {
		const char *who = db_cell(mv, i, 7);

		json_array_append_new(moves, json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}",
			"at", db_cell(mv, i, 0), "sku", db_cell(mv, i, 1), "warehouse", db_cell(mv, i, 2),
			"delta", (json_int_t)db_int(mv, i, 3), "after", (json_int_t)db_int(mv, i, 4),
			"reason", db_cell(mv, i, 5), "actor", db_cell(mv, i, 6), "who", who ? who : db_cell(mv, i, 6)));
	}
	return E_OK;
}

enum err h_seller_stock(struct ctx *c)
{
	int64_t id = path_id(c);
	json_t *m;

	if (!id)
		return E_NOTFOUND;
	if (!(m = session_form_page(c, "seller_stock", "Stock", 200)))
		return E_NOMEM;
	return fill_stock(c, m, id);
}

/* The form's input, checked field by field. */
struct stock_form {
	const char *sku, *warehouse, *mode, *quantity, *reason;
	int64_t qty, wh;
	json_t *errs;		/* {field: message} */
};

static void field_error(struct stock_form *f, const char *field, const char *msg)
{
	if (!json_object_get(f->errs, field))
		json_object_set_new(f->errs, field, json_string(msg));
}

static void check_form(struct ctx *c, struct stock_form *f)
{
	int is_set = f->mode && !strcmp(f->mode, "set");

	if (!f->mode || (strcmp(f->mode, "set") && strcmp(f->mode, "adjust")))
		field_error(f, "mode", "Choose whether to set the quantity or adjust it.");
	if (!f->quantity || !*f->quantity)
		field_error(f, "quantity", "Enter a quantity.");
	else if (parse_int64(f->quantity, strlen(f->quantity), is_set ? 0 : -STOCK_QTY_MAX, STOCK_QTY_MAX, &f->qty))
		field_error(f, "quantity", is_set ?
			arena_printf(c->a, "Enter a whole number from 0 to %d.", STOCK_QTY_MAX) :
			arena_printf(c->a, "Enter a whole number from -%d to %d, such as 5 or -2.", STOCK_QTY_MAX, STOCK_QTY_MAX));
	else if (!is_set && f->qty == 0)
		field_error(f, "quantity", "An adjustment of 0 changes nothing; enter how many units to add or remove.");
	if (!f->reason || !*f->reason)
		field_error(f, "reason", "Give a reason for the change (for example \"stock count\" or \"damaged\").");
	else if (strlen(f->reason) > STOCK_REASON_MAX)
		field_error(f, "reason", arena_printf(c->a, "Keep the reason to %d characters.", STOCK_REASON_MAX));
}

/* Re-renders the page with the problems next to the row that was sent. */
static enum err form_again(struct ctx *c, int64_t id, struct stock_form *f, int status)
{
	json_t *m = session_form_page(c, "seller_stock", "Stock", status), *rows, *errs;
	const char *k;
	json_t *v;
	size_t i;
	enum err e;

	if (!m)
		return E_NOMEM;
	if ((e = fill_stock(c, m, id)))
		return e;
	rows = json_object_get(m, "rows");
	json_array_foreach(rows, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "sku")), f->sku) ||
		    strcmp(json_string_value(json_object_get(v, "warehouse")), f->warehouse))
			continue;
		json_object_set_new(v, "failed", json_true());
		json_object_set(v, "fieldErrors", f->errs);
		json_object_set_new(v, "quantity", json_string(f->quantity ? f->quantity : ""));
		json_object_set_new(v, "reason", json_string(f->reason ? f->reason : ""));
		json_object_set_new(v, "isSet", json_boolean(f->mode && !strcmp(f->mode, "set")));
	}
	if (!(errs = json_array()))
		return E_NOMEM;
	json_object_foreach(f->errs, k, v)
		json_array_append_new(errs, json_pack("{s:s, s:O}", "field", k, "message", v));
	json_object_set_new(m, "errors", errs);
	json_object_set_new(m, "failedRow", json_pack("{s:s, s:s}", "sku", f->sku, "warehouse", f->warehouse));
	return E_OK;
}

static void release_json(void *p)
{
	json_decref(p);
}

enum err h_seller_stock_post(struct ctx *c)
{
	int64_t id = path_id(c);
	struct stock_form f = { ctx_str(c, "sku"), ctx_str(c, "warehouse"), ctx_str(c, "mode"),
				ctx_str(c, "quantity"), ctx_str(c, "reason"), 0, 0, json_object() };
	struct stock_change ch;
	enum err e;

	if (!f.errs || arena_on_reset(c->a, release_json, f.errs))
		return E_NOMEM;
	if (!id || !(f.wh = inventory_warehouse_id(c->db, c->a, f.warehouse)))
		return E_NOTFOUND;
	check_form(c, &f);
	if (json_object_size(f.errs)) {
		/* An unknown row is 404 even when the form was wrong too. */
		if ((e = inventory_sku_owned(c->db, c->a, f.sku, c->sess->seller_id, id)))
			return e;
		return form_again(c, id, &f, 400);
	}
	memset(&ch, 0, sizeof(ch));
	ch.seller_id = c->sess->seller_id;
	ch.product_id = id;
	ch.sku = f.sku;
	ch.warehouse_id = f.wh;
	ch.is_set = !strcmp(f.mode, "set");
	ch.value = f.qty;
	ch.reason = f.reason;
	ch.actor = actor_of(c);
	e = inventory_change(c->db, c->a, &ch);
	if (e == E_CONFLICT) {
		field_error(&f, "quantity", arena_printf(c->a, "Only %lld available in %s: available cannot go below 0 "
			"(units held by orders are not counted).", (long long)ch.available, f.warehouse));
		return form_again(c, id, &f, 409);
	}
	if (e == E_INVAL) {
		field_error(&f, "quantity", arena_printf(c->a, "At most %d units per SKU and warehouse.", STOCK_QTY_MAX));
		return form_again(c, id, &f, 400);
	}
	if (e)
		return e;
	session_flash(c, ch.delta ? arena_printf(c->a, "%s in %s: %lld available (%s%lld).", f.sku, f.warehouse,
					  (long long)ch.available, ch.delta > 0 ? "+" : "", (long long)ch.delta) :
		      arena_printf(c->a, "%s in %s: already %lld available; nothing changed.", f.sku, f.warehouse,
				   (long long)ch.available));
	return reply_redirect(c, 303, arena_printf(c->a, "/seller/items/%lld/stock", (long long)id));
}

enum err h_api_stock(struct ctx *c)
{
	int64_t id = path_id(c);
	json_t *m;
	enum err e;

	if (!id)
		return E_NOTFOUND;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	if ((e = fill_stock(c, m, id)))
		return e;
	/* The API answers data, not the page's links. */
	json_object_del(json_object_get(m, "item"), "stockUrl");
	return E_OK;
}

enum err h_api_stock_post(struct ctx *c)
{
	int64_t id = path_id(c);
	struct stock_change ch;
	const char *wh = ctx_str(c, "warehouse");
	json_t *m;
	enum err e;

	if (!id)
		return E_NOTFOUND;
	/* Another seller's item is a 404 whatever the body says. */
	if ((e = inventory_product_owned(c->db, c->a, id, c->sess->seller_id)))
		return e;
	if (ctx_has(c, "set") == ctx_has(c, "delta"))
		return reply_error(c, 400, "Send exactly one of \"set\" (the new available quantity) or "
				   "\"delta\" (units to add, negative to remove).");
	if (ctx_has(c, "delta") && ctx_int(c, "delta", 0) == 0)
		return reply_error(c, 400, "delta: must not be 0");
	memset(&ch, 0, sizeof(ch));
	if (!(ch.warehouse_id = inventory_warehouse_id(c->db, c->a, wh ? wh : "east")))
		return reply_error(c, 400, "warehouse: no such warehouse");
	ch.seller_id = c->sess->seller_id;
	ch.product_id = id;
	ch.sku = ctx_str(c, "sku");
	ch.is_set = ctx_has(c, "set");
	ch.value = ch.is_set ? ctx_int(c, "set", 0) : ctx_int(c, "delta", 0);
	ch.reason = ctx_str(c, "reason");
	ch.actor = actor_of(c);
	e = inventory_change(c->db, c->a, &ch);
	if (e == E_CONFLICT) {
		if ((e = reply_error(c, 409, arena_printf(c->a, "Only %lld available: available cannot go below 0.",
							 (long long)ch.available))))
			return e;
		json_object_set_new(json_object_get(c->resp->model, "error"), "available",
				    json_integer(ch.available));
		return E_OK;
	}
	if (e == E_INVAL)
		return reply_error(c, 400, arena_printf(c->a, "available: at most %d units per SKU and warehouse",
							STOCK_QTY_MAX));
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_set_new(m, "sku", json_string(ch.sku));
	json_object_set_new(m, "warehouse", json_string(wh ? wh : "east"));
	json_object_set_new(m, "available", json_integer(ch.available));
	json_object_set_new(m, "reserved", json_integer(ch.reserved));
	json_object_set_new(m, "committed", json_integer(ch.committed));
	json_object_set_new(m, "delta", json_integer(ch.delta));
	return E_OK;
}
