/* The seller's items: the list, create and edit pages (forms that work
 * without JavaScript) and the item API (POST /api/items, PATCH
 * /api/items/{id}, GET /api/seller/items[/{id}]); items_pages.h. Reading
 * the form or the JSON body into an item_change, and showing the result;
 * checking and writing it is items.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/text.h"
#include "../http/cursor.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../store/db.h"
#include "../catalog/catalog.h"
#include "listing.h"
#include "../view/escape.h"
#include "../account/session_pages.h"
#include "limits.h"
#include "items.h"
#include "items_pages.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define STR_(x) #x
#define STR(x) STR_(x)

#define LIST_PAGE 25		/* rows per page of the seller's list */

static void release_json(void *p)
{
	json_decref(p);
}

static const char *const seller_statuses[] = { "draft", "active", "archived" };

static const char *status_label(const char *s)
{
	if (!strcmp(s, "draft"))
		return "Draft";
	if (!strcmp(s, "active"))
		return "Active";
	if (!strcmp(s, "archived"))
		return "Archived";
	if (!strcmp(s, "suspended"))
		return "Suspended";
	return s;
}

/* The whole list as one line, for the API's message. */
static const char *errs_text(struct arena *a, const struct listing_errors *e)
{
	struct buf b;

	buf_init(&b, a, 256);
	for (int i = 0; i < e->n; i++)
		buf_printf(&b, "%s%s: %s", i ? "; " : "", e->v[i].field, e->v[i].message);
	return b.oom ? "The item is not valid." : b.p;
}


/* ---- request helpers ---- */

static int64_t path_id(const struct ctx *c)
{
	const char *s = c->req->pathvar[0];
	int64_t id;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

/* A seller flag without a seller row (an account being set up) has no
 * items to manage. */
#define NO_PROFILE "This account has the seller role but no seller profile yet. " \
	"Please ask an administrator to set one up."

static int no_seller(const struct ctx *c)
{
	return !c->sess || c->sess->seller_id <= 0;
}

/* One of the form's own fields (the variant rows), with the route keys'
 * rules for text: NULL when absent, "" when blank. A value that is not
 * clean text reads as "" so it is refused field by field. */
static const char *form_field(struct ctx *c, const char *name, size_t max)
{
	const char *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < c->req->nparams; i++)
		if (!strcmp(c->req->params[i].key, name)) {
			v = c->req->params[i].val;
			n = c->req->params[i].vlen;
			break;
		}
	if (!v)
		return NULL;
	if (n > max || memchr(v, '\0', n) || text_chars(v, TEXT_LINE) < 0 || n > 1000)
		return "\x01";	/* never valid anywhere: refused by its field's check */
	return v;
}

static const char *form_text(struct ctx *c, const char *name, size_t max)
{
	const char *v = form_field(c, name, max);

	return v ? items_trim(c->a, v) : NULL;
}

/* Reads the form into op->in. *rows gets the number of variant rows shown. */
static enum err read_form(struct ctx *c, struct item_change *op, int *rows)
{
	struct item_in *in = &op->in;
	struct arena *a = c->a;
	int n = (int)ctx_int(c, "rows", 0), k = 0;

	if (n > ITEM_SKUS_MAX + 1)
		n = ITEM_SKUS_MAX + 1;
	*rows = n;
	in->title = ctx_str(c, "title") ? ctx_str(c, "title") : "";
	in->description = ctx_str(c, "description") ? ctx_str(c, "description") : "";
	in->brand = ctx_str(c, "brand") ? ctx_str(c, "brand") : "";
	in->category = ctx_str(c, "category") ? ctx_str(c, "category") : "";
	in->status = ctx_str(c, "status");
	for (int j = 0; j < ITEM_OPTIONS_MAX; j++) {
		const char *s = ctx_str(c, arena_printf(a, "opt%d", j + 1));

		in->optname[j] = s ? items_trim(a, s) : "";
	}
	in->attrs = json_object();
	if (!in->attrs || arena_on_reset(a, release_json, in->attrs))
		return E_NOMEM;
	for (size_t i = 0; i < c->req->nparams; i++) {
		const struct kvpair *p = &c->req->params[i];

		if (strncmp(p->key, "attr.", 5) || !p->key[5] || json_object_get(in->attrs, p->key + 5))
			continue;
		if (p->vlen > 4 * ITEM_ATTR_VALUE_MAX || memchr(p->val, '\0', p->vlen))
			json_object_set_new(in->attrs, p->key + 5, json_string("\x01"));
		else
			json_object_set_new(in->attrs, p->key + 5, json_stringn_nocheck(p->val, p->vlen));
	}
	in->sku = arena_calloc(a, (size_t)n + 1, sizeof(*in->sku));
	if (!in->sku)
		return E_NOMEM;
	for (int i = 0; i < n; i++) {
		struct item_sku *s = &in->sku[k];
		const char *id = form_text(c, arena_printf(a, "v%d.id", i), 20);
		int blank = 1;

		memset(s, 0, sizeof(*s));
		s->row = i;
		if (id && *id && parse_int64(id, strlen(id), 1, INT64_MAX, &s->id))
			s->id = -1;	/* not one of ours: refused */
		s->code = form_text(c, arena_printf(a, "v%d.code", i), 4 * SKU_CODE_MAX);
		s->price_s = form_text(c, arena_printf(a, "v%d.price", i), 40);
		s->weight_s = form_text(c, arena_printf(a, "v%d.weight", i), 40);
		s->qty_s = form_text(c, arena_printf(a, "v%d.qty", i), 40);
		s->remove = form_field(c, arena_printf(a, "v%d.remove", i), 10) != NULL;
		s->opts = json_object();
		if (!s->opts || arena_on_reset(a, release_json, s->opts))
			return E_NOMEM;
		for (int j = 0; j < ITEM_OPTIONS_MAX; j++) {
			s->ov[j] = form_text(c, arena_printf(a, "v%d.o%d", i, j + 1), 4 * ITEM_OPTION_VALUE_MAX);
			if (s->ov[j] && *s->ov[j])
				blank = 0;
		}
		blank = blank && !s->id && (!s->code || !*s->code) && (!s->price_s || !*s->price_s) &&
			(!s->weight_s || !*s->weight_s) && (!s->qty_s || !*s->qty_s);
		if (blank)
			continue;	/* an empty new row (the one "Add a variant" made) */
		/* Rows are numbered as the page shows them again, so a message
		 * names the row the seller sees. */
		s->row = k;
		k++;
		if (s->remove && !s->id)
			k--;		/* a new row ticked "remove": just dropped */
	}
	in->nsku = k;
	in->has_skus = 1;
	return E_OK;
}

/* Reads the JSON body into op->in (route keys already checked scalars). */
static const char *read_json(struct ctx *c, struct item_change *op)
{
	struct item_in *in = &op->in;
	json_t *body = c->req->json, *v, *arr;
	struct arena *a = c->a;
	static const char *const text_keys[] = { "name", "description", "brand", "category", "status" };
	size_t i;

	if (!json_is_object(body))
		return "the body must be a JSON object";
	for (i = 0; i < NELEM(text_keys); i++) {
		v = json_object_get(body, text_keys[i]);
		if (v && !json_is_string(v) && !(json_is_null(v) && i == 2))
			return arena_printf(a, "%s: must be text", text_keys[i]);
	}
	in->title = ctx_str(c, "name");
	if (!in->title && json_is_string(json_object_get(body, "name")))
		in->title = "";
	in->description = ctx_str(c, "description");
	if (!in->description && json_object_get(body, "description"))
		in->description = "";
	in->brand = ctx_str(c, "brand");
	if (!in->brand && json_object_get(body, "brand"))
		in->brand = "";
	in->category = ctx_str(c, "category");
	in->status = ctx_str(c, "status");
	if ((v = json_object_get(body, "price")) && !json_is_integer(v))
		return "price: must be a whole number of cents (minor units)";
	if ((v = json_object_get(body, "quantity")) && !json_is_integer(v))
		return "quantity: must be a whole number";
	in->has_price = ctx_has(c, "price");
	in->price = ctx_int(c, "price", 0);
	in->has_qty = ctx_has(c, "quantity");
	in->qty = ctx_int(c, "quantity", 0);
	if (in->has_qty && (in->qty < 0 || in->qty > STOCK_QTY_MAX))
		return "quantity: must be a whole number from 0 to " STR(STOCK_QTY_MAX);
	v = json_object_get(body, "attributes");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v))
			return "attributes: must be an object of \"name\": \"value\"";
		in->attrs = v;
	}
	arr = json_object_get(body, "skus");
	if (!arr || json_is_null(arr))
		return NULL;
	if (!json_is_array(arr))
		return "skus: must be an array";
	if (json_array_size(arr) > ITEM_SKUS_MAX)
		return "skus: at most " STR(ITEM_SKUS_MAX) " SKUs";
	in->has_skus = 1;
	in->sku = arena_calloc(a, json_array_size(arr) + 1, sizeof(*in->sku));
	if (!in->sku)
		return "out of memory";
	json_array_foreach(arr, i, v) {
		struct item_sku *s = &in->sku[in->nsku++];
		json_t *x;

		s->row = (int)i;
		if (!json_is_object(v))
			return arena_printf(a, "skus[%zu]: must be an object", i);
		x = json_object_get(v, "code");
		if (!json_is_string(x))
			return arena_printf(a, "skus[%zu].code: is required (text)", i);
		s->code = items_trim(a, json_string_value(x));
		if ((x = json_object_get(v, "price"))) {
			if (!json_is_integer(x))
				return arena_printf(a, "skus[%zu].price: must be a whole number of cents", i);
			s->price = json_integer_value(x);
			s->has |= ITEM_HAS_PRICE;
		}
		if ((x = json_object_get(v, "weightGrams"))) {
			if (!json_is_integer(x))
				return arena_printf(a, "skus[%zu].weightGrams: must be a whole number", i);
			s->weight = json_integer_value(x);
			s->has |= ITEM_HAS_WEIGHT;
		}
		if ((x = json_object_get(v, "quantity"))) {
			if (!json_is_integer(x))
				return arena_printf(a, "skus[%zu].quantity: must be a whole number", i);
			s->qty = json_integer_value(x);
			s->has |= ITEM_HAS_QTY;
		}
		x = json_object_get(v, "options");
		if (x && !json_is_null(x)) {
			if (!json_is_object(x))
				return arena_printf(a, "skus[%zu].options: must be an object of \"name\": \"value\"", i);
			s->opts = x;
			s->has |= ITEM_HAS_OPTS;
		} else {
			s->opts = json_object();
			if (!s->opts || arena_on_reset(a, release_json, s->opts))
				return "out of memory";
		}
	}
	return NULL;
}

/* ---- JSON answers ---- */

static json_t *item_json(struct ctx *c, const struct db_res *p, size_t row, const struct db_res *skus)
{
	json_t *o = json_object(), *list = json_array(), *attrs, *imgs;
	const char *brand = db_cell(p, row, ITEM_C_BRAND), *thumb = db_cell(p, row, ITEM_C_THUMB);

	json_object_set_new(o, "id", json_integer(db_int(p, row, ITEM_C_ID)));
	json_object_set_new(o, "url", json_string(arena_printf(c->a, "/p/%s", db_cell(p, row, ITEM_C_SLUG))));
	json_object_set_new(o, "name", json_string(db_cell(p, row, ITEM_C_TITLE)));
	json_object_set_new(o, "description", json_string(db_cell(p, row, ITEM_C_DESC)));
	json_object_set_new(o, "brand", brand ? json_string(brand) : json_null());
	json_object_set_new(o, "category", json_string(db_cell(p, row, ITEM_C_CAT)));
	json_object_set_new(o, "status", json_string(db_cell(p, row, ITEM_C_STATUS)));
	json_object_set_new(o, "price", json_integer(db_int(p, row, ITEM_C_PRICE)));
	json_object_set_new(o, "currency", json_string(db_cell(p, row, ITEM_C_CUR)));
	json_object_set_new(o, "stock", json_integer(db_int(p, row, ITEM_C_STOCK)));
	attrs = json_loads(db_cell(p, row, ITEM_C_ATTRS), 0, NULL);
	json_object_set_new(o, "attributes", json_is_object(attrs) ? attrs : json_object());
	if (!json_is_object(attrs))
		json_decref(attrs);
	imgs = json_loads(db_cell(p, row, ITEM_C_IMAGES), 0, NULL);
	json_object_set_new(o, "images", json_is_array(imgs) ? imgs : json_array());
	if (!json_is_array(imgs))
		json_decref(imgs);
	json_object_set_new(o, "thumbnail", thumb ? json_string(thumb) : json_null());
	for (size_t i = 0; skus && i < skus->nrows; i++) {
		json_t *opts = json_loads(db_cell(skus, i, ITEM_K_OPTS), 0, NULL);

		if (!json_is_object(opts)) {
			json_decref(opts);
			opts = json_object();
		}
		json_array_append_new(list, json_pack("{s:s, s:o, s:I, s:I, s:I, s:b}",
			"code", db_cell(skus, i, ITEM_K_CODE), "options", opts,
			"price", (json_int_t)db_int(skus, i, ITEM_K_PRICE),
			"weightGrams", (json_int_t)db_int(skus, i, ITEM_K_WEIGHT),
			"stock", (json_int_t)db_int(skus, i, ITEM_K_STOCK),
			"active", !strcmp(db_cell(skus, i, ITEM_K_STATUS), "active")));
	}
	if (skus)
		json_object_set_new(o, "skus", list);
	else
		json_decref(list);
	json_object_set_new(o, "createdAt", json_string(db_cell(p, row, ITEM_C_CREATED)));
	json_object_set_new(o, "updatedAt", json_string(db_cell(p, row, ITEM_C_UPDATED)));
	return o;
}

/* Answers the item (read after the change committed). */
static enum err api_item(struct ctx *c, int64_t id)
{
	struct db_res *p = NULL, *s = NULL;
	json_t *o;
	enum err e;

	if ((e = items_row(c->db, c->a, c->sess->seller_id, id, &p)))
		return e;
	if (!p->nrows)
		return E_NOTFOUND;
	if ((e = items_skus(c->db, c->a, c->sess->seller_id, id, &s)))
		return e;
	if (!(o = item_json(c, p, 0, s)))
		return E_NOMEM;
	if (arena_on_reset(c->a, release_json, o))
		return E_NOMEM;
	c->resp->model = o;
	return E_OK;
}

/* 400 with the problems listed as error.fields [{field, message}]. */
static enum err api_invalid(struct ctx *c, const struct item_change *op)
{
	json_t *fields;
	enum err e = reply_error(c, 400, op->why ? op->why : errs_text(c->a, &op->errs));

	if (e || op->why || !op->errs.n)
		return e;
	if (!(fields = json_array()))
		return E_NOMEM;
	for (int i = 0; i < op->errs.n; i++)
		json_array_append_new(fields, json_pack("{s:s, s:s}", "field", op->errs.v[i].field,
							"message", op->errs.v[i].message));
	json_object_set_new(json_object_get(c->resp->model, "error"), "fields", fields);
	return E_OK;
}

/* ---- the form page ---- */

/* What the form shows: the values as entered (or as stored). */
struct form_view {
	int64_t id;
	const char *slug, *status_stored;
	struct item_in *in;
	int rows;		/* variant rows to show (blank ones added) */
	const struct listing_errors *errs;
	const char *why;
	int saved;
	struct arena *arena;
};

static void add_options(json_t *list, const char *const *values, size_t n, const char *sel)
{
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "value", values[i],
			"label", status_label(values[i]), "selected", sel && !strcmp(sel, values[i])));
}

/* The id of the control a message is about, for the summary's links:
 * attribute names may hold spaces, so their controls are numbered. */
static const char *anchor(const struct form_view *fv, const struct item_attr_def *defs, int n,
			  const char *field)
{
	if (!strncmp(field, "attr.", 5)) {
		for (int i = 0; i < n; i++)
			if (!strcmp(defs[i].name, field + 5))
				return arena_printf(fv->arena, "f-a%d", i);
		return "f-category";
	}
	return arena_printf(fv->arena, "f-%s", field);
}

static enum err form_page(struct ctx *c, int status, struct form_view *fv)
{
	struct item_in *in = fv->in;
	struct arena *a = c->a;
	struct item_attr_def defs[ITEM_ATTR_DEFS_MAX];
	struct db_res *r = NULL;
	json_t *m, *item, *list, *fe;
	int ndefs = 0, shown = 0, seller_suspended = 0;
	const char *sel_status;
	enum err e;

	fv->arena = a;
	m = session_form_page(c, "seller_items_edit", fv->id ? "Edit item" : "Add an item", status);
	if (!m)
		return E_NOMEM;
	json_object_set_new(m, "isNew", json_boolean(!fv->id));
	json_object_set_new(m, "saved", json_boolean(fv->saved));
	item = json_object();
	json_object_set_new(m, "item", item);
	if (fv->id) {
		json_object_set_new(item, "id", json_integer(fv->id));
		json_object_set_new(item, "stockUrl", json_string(arena_printf(a, "/seller/items/%lld/stock", (long long)fv->id)));
		json_object_set_new(item, "imagesUrl", json_string(arena_printf(a, "/seller/items/%lld/images", (long long)fv->id)));
		if (fv->status_stored && !strcmp(fv->status_stored, "active") && fv->slug)
			json_object_set_new(item, "url", json_string(arena_printf(a, "/p/%s", fv->slug)));
	}
	json_object_set_new(item, "title", json_string(in->title ? in->title : ""));
	json_object_set_new(item, "description", json_string(in->description ? in->description : ""));
	json_object_set_new(item, "brand", json_string(in->brand ? in->brand : ""));
	if (fv->status_stored) {
		json_object_set_new(item, "status", json_string(fv->status_stored));
		json_object_set_new(item, "statusLabel", json_string(status_label(fv->status_stored)));
		json_object_set_new(item, "suspended", json_boolean(!strcmp(fv->status_stored, "suspended")));
	}
	if ((e = items_seller_suspended(c->db, a, c->sess->seller_id, &seller_suspended)))
		return e;
	json_object_set_new(m, "sellerSuspended", json_boolean(seller_suspended));
	sel_status = in->status ? in->status : fv->status_stored ? fv->status_stored : "draft";
	if (!strcmp(sel_status, "suspended"))
		sel_status = "active";
	list = json_array();
	add_options(list, seller_statuses, NELEM(seller_statuses), sel_status);
	json_object_set_new(m, "statuses", list);

	/* Categories (leaves), grouped by department in the label. */
	if ((e = items_leaves(c->db, a, &r)))
		return e;
	list = json_array();
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:b}", "value", db_cell(r, i, 0),
			"name", db_cell(r, i, 1), "dept", db_cell(r, i, 2),
			"selected", in->category && !strcmp(in->category, db_cell(r, i, 0))));
	json_object_set_new(m, "categories", list);

	/* The chosen category's attributes. */
	if (in->category && *in->category &&
	    (e = items_attr_defs(c->db, a, in->category, defs, &ndefs)))
		return e;
	list = json_array();
	for (int i = 0; i < ndefs; i++) {
		json_t *v = json_object_get(in->attrs, defs[i].name), *o, *ch = json_array();
		const char *val = json_is_string(v) ? json_string_value(v) : "";
		const char *err = listing_error_for(fv->errs, arena_printf(a, "attr.%s", defs[i].name));
		size_t k;
		json_t *x;

		if (!strcmp(val, "\x01"))
			val = "";
		json_array_foreach(defs[i].choices, k, x)
			if (json_is_string(x))
				json_array_append_new(ch, json_pack("{s:s, s:b}", "value", json_string_value(x),
					"selected", !strcmp(val, json_string_value(x))));
		o = json_pack("{s:s, s:s, s:s, s:i, s:b, s:b, s:b, s:o}", "name", defs[i].name,
			"field", arena_printf(a, "attr.%s", defs[i].name), "value", val, "i", i,
			"required", defs[i].required, "isNumber", !strcmp(defs[i].kind, "number"), "isChoice", !strcmp(defs[i].kind, "choice"),
			"choices", ch);
		if (err)
			json_object_set_new(o, "error", json_string(arena_printf(a, "%s %s", defs[i].name, err)));
		json_array_append_new(list, o);
	}
	json_object_set_new(m, "attrs", list);

	/* Option names. */
	list = json_array();
	for (int j = 0; j < ITEM_OPTIONS_MAX; j++) {
		const char *f = arena_printf(a, "opt%d", j + 1), *err = listing_error_for(fv->errs, f);
		json_t *o = json_pack("{s:i, s:s, s:s}", "n", j + 1, "field", f,
				      "value", in->optname[j] ? in->optname[j] : "");

		if (err)
			json_object_set_new(o, "error", json_string(arena_printf(a, "Option name %s", err)));
		json_array_append_new(list, o);
	}
	json_object_set_new(m, "options", list);

	/* Variant rows: those entered (or stored), then blank ones. */
	list = json_array();
	for (int i = 0; i < in->nsku + fv->rows && shown <= ITEM_SKUS_MAX; i++, shown++) {
		struct item_sku blank = { .row = -1 }, *s = i < in->nsku ? &in->sku[i] : &blank;
		json_t *o = json_object(), *ov = json_array();
		static const char *const errkeys[][2] = {
			{ "code", "codeError" }, { "price", "priceError" }, { "weight", "weightError" },
			{ "qty", "qtyError" }, { "options", "optionError" },
		};

		json_object_set_new(o, "i", json_integer(shown));
		json_object_set_new(o, "rowNo", json_integer(shown + 1));	/* labels: "Price of variant 1" */
		json_object_set_new(o, "isExisting", json_boolean(s->id > 0));
		if (s->id > 0)
			json_object_set_new(o, "id", json_integer(s->id));
		json_object_set_new(o, "code", json_string(s->code ? s->code : ""));
		json_object_set_new(o, "price", json_string(s->price_s ? s->price_s : ""));
		json_object_set_new(o, "weight", json_string(s->weight_s ? s->weight_s : ""));
		json_object_set_new(o, "qty", json_string(s->qty_s ? s->qty_s : ""));
		json_object_set_new(o, "stock", json_integer(s->stock));
		json_object_set_new(o, "remove", json_boolean(s->remove));
		for (int j = 0; j < ITEM_OPTIONS_MAX; j++)
			json_array_append_new(ov, json_pack("{s:i, s:s, s:s}", "n", j + 1,
				"field", arena_printf(a, "v%d.o%d", shown, j + 1),
				"value", s->ov[j] && strcmp(s->ov[j], "\x01") ? s->ov[j] : ""));
		json_object_set_new(o, "o", ov);
		for (size_t k = 0; k < NELEM(errkeys); k++) {
			const char *err = s->row >= 0 ?
				listing_error_for(fv->errs, arena_printf(a, "v%d.%s", s->row, errkeys[k][0])) : NULL;

			if (err)
				json_object_set_new(o, errkeys[k][1], json_string(err));
		}
		json_array_append_new(list, o);
	}
	json_object_set_new(m, "variants", list);
	json_object_set_new(m, "rows", json_integer(shown));
	json_object_set_new(m, "canAdd", json_boolean(shown <= ITEM_SKUS_MAX));

	/* The summary: every problem, as a sentence. */
	fe = json_array();
	for (int i = 0; fv->errs && i < fv->errs->n; i++) {
		const struct listing_error *f = &fv->errs->v[i];
		const char *label = f->label;

		/* "v3.price" reads "Variant 4: Price must ..." */
		if (f->field[0] == 'v' && f->field[1] >= '0' && f->field[1] <= '9')
			label = arena_printf(a, "Variant %d: %s", atoi(f->field + 1) + 1, f->label);
		json_array_append_new(fe, json_pack("{s:s, s:s, s:s}", "field", f->field,
			"anchor", anchor(fv, defs, ndefs, f->field),
			"message", arena_printf(a, "%s %s", label, f->message)));
	}
	json_object_set_new(m, "errors", fe);
	fe = json_object();
	for (int i = 0; fv->errs && i < fv->errs->n; i++)
		if (!json_object_get(fe, fv->errs->v[i].field))
			json_object_set_new(fe, fv->errs->v[i].field, json_string(arena_printf(a, "%s %s",
				fv->errs->v[i].label, fv->errs->v[i].message)));
	json_object_set_new(m, "fieldErrors", fe);
	if (fv->why)
		json_object_set_new(m, "error", json_pack("{s:s}", "message", fv->why));
	return E_OK;
}

/* The stored item as form values. */
static enum err load_form(struct ctx *c, int64_t id, struct item_in *in, struct form_view *fv)
{
	struct db_res *p = NULL, *s = NULL;
	struct arena *a = c->a;
	int nnames = 0;
	enum err e;

	if ((e = items_row(c->db, a, c->sess->seller_id, id, &p)))
		return e;
	if (!p->nrows)
		return E_NOTFOUND;
	if ((e = items_skus(c->db, a, c->sess->seller_id, id, &s)))
		return e;
	memset(in, 0, sizeof(*in));
	in->title = db_cell(p, 0, ITEM_C_TITLE);
	in->description = db_cell(p, 0, ITEM_C_DESC);
	in->brand = db_cell(p, 0, ITEM_C_BRAND);
	in->category = db_cell(p, 0, ITEM_C_CAT);
	in->attrs = items_json_col(a, db_cell(p, 0, ITEM_C_ATTRS));
	in->sku = arena_calloc(a, s->nrows + 1, sizeof(*in->sku));
	if (!in->attrs || !in->sku)
		return E_NOMEM;
	for (int j = 0; j < ITEM_OPTIONS_MAX; j++)
		in->optname[j] = "";
	for (size_t i = 0; i < s->nrows; i++) {
		struct item_sku *k;
		json_t *opts, *v;
		const char *name;

		if (strcmp(db_cell(s, i, ITEM_K_STATUS), "active"))
			continue;	/* inactive SKUs are kept for orders, not edited */
		k = &in->sku[in->nsku++];
		k->row = -1;
		k->id = db_int(s, i, ITEM_K_ID);
		k->code = db_cell(s, i, ITEM_K_CODE);
		k->price_s = arena_printf(a, "%lld.%02lld", (long long)(db_int(s, i, ITEM_K_PRICE) / 100),
					  (long long)(db_int(s, i, ITEM_K_PRICE) % 100));
		k->weight_s = db_cell(s, i, ITEM_K_WEIGHT);
		k->stock = db_int(s, i, ITEM_K_STOCK);
		opts = items_json_col(a, db_cell(s, i, ITEM_K_OPTS));
		json_object_foreach(opts, name, v) {
			int slot = -1;

			for (int j = 0; j < nnames; j++)
				if (!strcmp(in->optname[j], name))
					slot = j;
			if (slot < 0 && nnames < ITEM_OPTIONS_MAX) {
				slot = nnames++;
				in->optname[slot] = arena_strdup(a, name);
			}
			if (slot >= 0 && json_is_string(v))
				k->ov[slot] = arena_strdup(a, json_string_value(v));
		}
	}
	fv->id = id;
	fv->slug = db_cell(p, 0, ITEM_C_SLUG);
	fv->status_stored = db_cell(p, 0, ITEM_C_STATUS);
	fv->in = in;
	return E_OK;
}

/* The form came back: re-render it (add a row, show a category's
 * attributes) or save it. */
static enum err form_post(struct ctx *c, int64_t id)
{
	struct item_change op = { .seller_id = c->sess->seller_id, .uid = c->sess->uid, .a = c->a, .id = id };
	struct form_view fv = { .id = id, .in = &op.in };
	const char *action = ctx_str(c, "action");
	struct db_res *p = NULL, *sr = NULL;
	int rows = 0;
	enum err e;

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	if ((e = read_form(c, &op, &rows)))
		return e;
	if (id) {
		/* The page's own facts (slug, stored status) and a 404 for an
		 * item that is not this seller's, before anything else. */
		if ((e = items_row(c->db, c->a, c->sess->seller_id, id, &p)))
			return e;
		if (!p->nrows)
			return E_NOTFOUND;
		fv.slug = db_cell(p, 0, ITEM_C_SLUG);
		fv.status_stored = db_cell(p, 0, ITEM_C_STATUS);
		/* Existing rows keep their code and stock as stored. */
		if ((e = items_skus(c->db, c->a, c->sess->seller_id, id, &sr)))
			return e;
		for (int i = 0; i < op.in.nsku; i++)
			for (size_t k = 0; k < sr->nrows; k++)
				if (db_int(sr, k, ITEM_K_ID) == op.in.sku[i].id) {
					op.in.sku[i].code = db_cell(sr, k, ITEM_K_CODE);
					op.in.sku[i].stock = db_int(sr, k, ITEM_K_STOCK);
				}
	}
	if (action && (!strcmp(action, "add-variant") || !strcmp(action, "refresh"))) {
		/* Nothing is saved: the same form, one more blank row. */
		fv.rows = !strcmp(action, "add-variant") ? 1 : 0;
		if (op.in.nsku == 0 && !fv.rows)
			fv.rows = 1;
		return form_page(c, 200, &fv);
	}
	/* The typed values' problems, then the whole item's (all shown at
	 * once); the transaction writes only when there are none. */
	items_form_skus(&op);
	op.pre = op.errs;
	e = items_save(c->db, c->a, &op);
	if (e == E_OK)
		return reply_redirect(c, 303, arena_printf(c->a, "/seller/items/%lld?saved=1", (long long)op.id));
	if (e != E_INVAL)
		return e;
	fv.errs = &op.errs;
	fv.why = op.why ? op.why : "The item was not saved. Please correct the fields marked below.";
	fv.rows = op.in.nsku ? 0 : 1;
	return form_page(c, 400, &fv);
}

/* ---- handlers: pages ---- */

enum err h_seller_item_new(struct ctx *c)
{
	struct item_in in;
	struct form_view fv = { .in = &in, .rows = 1 };

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	memset(&in, 0, sizeof(in));
	in.category = ctx_str(c, "category");
	for (int j = 0; j < ITEM_OPTIONS_MAX; j++)
		in.optname[j] = "";
	return form_page(c, 200, &fv);
}

enum err h_seller_item_create(struct ctx *c)
{
	return form_post(c, 0);
}

enum err h_seller_item_edit_form(struct ctx *c)
{
	int64_t id = path_id(c);
	struct item_in in;
	struct form_view fv = { 0 };
	enum err e;

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	if (!id)
		return E_NOTFOUND;
	if ((e = load_form(c, id, &in, &fv)))
		return e;
	fv.rows = in.nsku ? 0 : 1;
	fv.saved = ctx_int(c, "saved", 0) != 0;
	return form_page(c, 200, &fv);
}

enum err h_seller_item_edit(struct ctx *c)
{
	int64_t id = path_id(c);

	return id ? form_post(c, id) : E_NOTFOUND;
}

/* The filters of a list request, checked. NULL for "any". */
struct list_q {
	const char *q, *status, *category;
	int64_t after;
	int64_t size;
	const char *like;	/* q, its LIKE wildcards escaped */
};

static enum err list_query(struct ctx *c, struct list_q *l, const char *cursor, struct db_res **out)
{
	l->after = INT64_MAX;
	if (cursor) {
		char *payload;

		if (cursor_decode(c->a, cursor, &payload) || strncmp(payload, "si|", 3) ||
		    parse_int64(payload + 3, strlen(payload + 3), 1, INT64_MAX, &l->after))
			return E_INVAL;
	}
	if (l->status && strcmp(l->status, "draft") && strcmp(l->status, "active") &&
	    strcmp(l->status, "archived") && strcmp(l->status, "suspended"))
		return E_INVAL;
	if (l->q) {
		l->q = items_trim(c->a, l->q);
		if (!*l->q)
			l->q = NULL;
	}
	{
		struct item_filter f = { l->q, l->status, l->category, l->after, l->size + 1 };

		return items_list(c->db, c->a, c->sess->seller_id, &f, out);
	}
}

enum err h_seller_items(struct ctx *c)
{
	struct list_q l = { .q = ctx_str(c, "q"), .status = ctx_str(c, "status"),
			    .category = ctx_str(c, "category"), .size = LIST_PAGE };
	static const char *const all_statuses[] = { "draft", "active", "archived", "suspended" };
	struct db_res *r = NULL, *cats = NULL;
	json_t *m, *list;
	enum err e;

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	e = list_query(c, &l, ctx_str(c, "after"), &r);
	if (e == E_INVAL)
		return reply_error(c, 400, "That page of the list does not exist (the link may be altered). "
				   "Start again from the first page.");
	if (e)
		return e;
	if ((e = items_leaves(c->db, c->a, &cats)))
		return e;
	if (!(m = reply_model(c, "seller_items", "Your items")))
		return E_NOMEM;
	json_object_set_new(m, "q", json_string(l.q ? l.q : ""));
	list = json_array();
	add_options(list, all_statuses, NELEM(all_statuses), l.status);
	json_object_set_new(m, "statuses", list);
	list = json_array();
	for (size_t i = 0; i < cats->nrows; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:b}", "value", db_cell(cats, i, 0),
			"name", db_cell(cats, i, 1), "dept", db_cell(cats, i, 2),
			"selected", l.category && !strcmp(l.category, db_cell(cats, i, 0))));
	json_object_set_new(m, "categories", list);
	list = json_array();
	for (size_t i = 0; i < r->nrows && i < (size_t)l.size; i++) {
		const char *thumb = db_cell(r, i, ITEM_C_THUMB), *st = db_cell(r, i, ITEM_C_STATUS);

		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:s, s:s, s:s}",
			"id", (json_int_t)db_int(r, i, ITEM_C_ID), "title", db_cell(r, i, ITEM_C_TITLE),
			"status", st, "statusLabel", status_label(st),
			"price", (json_int_t)db_int(r, i, ITEM_C_PRICE), "currency", db_cell(r, i, ITEM_C_CUR),
			"stock", (json_int_t)db_int(r, i, ITEM_C_STOCK),
			"updated", arena_printf(c->a, "%.10s", db_cell(r, i, ITEM_C_UPDATED)),
			"thumbnail", thumb ? thumb : catalog_image(c->a, db_cell(r, i, ITEM_C_TITLE), NULL),
			"editUrl", arena_printf(c->a, "/seller/items/%lld", (long long)db_int(r, i, ITEM_C_ID)),
			"categoryName", db_cell(r, i, ITEM_C_CATNAME)));
	}
	json_object_set_new(m, "hasItems", json_boolean(json_array_size(list) > 0));
	json_object_set_new(m, "items", list);
	json_object_set_new(m, "filtered", json_boolean(l.q || l.status || l.category));
	if (r->nrows > (size_t)l.size) {
		struct buf b;
		const char *cur = cursor_encode(c->a, arena_printf(c->a, "si|%lld",
			(long long)db_int(r, (size_t)l.size - 1, ITEM_C_ID)));

		if (!cur)
			return E_NOMEM;
		buf_init(&b, c->a, 256);
		buf_puts(&b, "/seller/items?after=");
		buf_puts(&b, cur);	/* base64url: safe in a URL as is */
		if (l.q) {
			buf_puts(&b, "&q=");
			esc_url(&b, l.q, strlen(l.q));
		}
		if (l.status)
			buf_printf(&b, "&status=%s", l.status);
		if (l.category)
			buf_printf(&b, "&category=%s", l.category);
		json_object_set_new(m, "nextUrl", json_string(b.p));
	}
	if (ctx_str(c, "after"))
		json_object_set_new(m, "firstUrl", json_string("/seller/items"));
	return E_OK;
}

/* ---- handlers: API ---- */

enum err h_api_item_create(struct ctx *c)
{
	struct item_change op = { .seller_id = c->sess->seller_id, .uid = c->sess->uid, .a = c->a, .api = 1 };
	enum err e;

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	if ((op.why = read_json(c, &op)))
		return api_invalid(c, &op);
	e = items_save(c->db, c->a, &op);
	if (e == E_INVAL)
		return api_invalid(c, &op);
	if (e)
		return e;
	if ((e = api_item(c, op.id)))
		return e;
	c->resp->status = 201;
	resp_header(c->resp, arena_printf(c->a, "Location: /api/seller/items/%lld", (long long)op.id));
	return E_OK;
}

enum err h_api_item_patch(struct ctx *c)
{
	struct item_change op = { .seller_id = c->sess->seller_id, .uid = c->sess->uid, .a = c->a, .api = 1, .patch = 1 };
	struct db_res *p = NULL;
	enum err e;

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	if (!(op.id = path_id(c)))
		return E_NOTFOUND;
	/* Another seller's item is "not found" whatever the body says. */
	if ((e = items_row(c->db, c->a, c->sess->seller_id, op.id, &p)))
		return e;
	if (!p->nrows)
		return E_NOTFOUND;
	if ((op.why = read_json(c, &op)))
		return api_invalid(c, &op);
	e = items_save(c->db, c->a, &op);
	if (e == E_INVAL)
		return api_invalid(c, &op);
	if (e)
		return e;
	return api_item(c, op.id);
}

enum err h_api_seller_item(struct ctx *c)
{
	int64_t id = path_id(c);

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	return id ? api_item(c, id) : E_NOTFOUND;
}

enum err h_api_seller_items(struct ctx *c)
{
	struct list_q l = { .q = ctx_str(c, "q"), .status = ctx_str(c, "status"),
			    .category = ctx_str(c, "category"), .size = ctx_int(c, "size", LIST_PAGE) };
	struct db_res *r = NULL;
	json_t *m, *list;
	enum err e;

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	e = list_query(c, &l, ctx_str(c, "cursor"), &r);
	if (e == E_INVAL)
		return reply_error(c, 400, "cursor or status: not valid for this list");
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	list = json_array();
	for (size_t i = 0; i < r->nrows && i < (size_t)l.size; i++)
		json_array_append_new(list, item_json(c, r, i, NULL));
	json_object_set_new(m, "items", list);
	if (r->nrows > (size_t)l.size) {
		const char *cur = cursor_encode(c->a, arena_printf(c->a, "si|%lld",
			(long long)db_int(r, (size_t)l.size - 1, ITEM_C_ID)));

		json_object_set_new(m, "nextCursor", cur ? json_string(cur) : json_null());
	} else {
		json_object_set_new(m, "nextCursor", json_null());
	}
	return E_OK;
}
