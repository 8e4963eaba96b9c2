/* Back-in-stock and price-drop alerts: pages and JSON API (alerts_pages.h). */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../view/escape.h"
#include "../http/router.h"
#include "../http/resp.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../account/session_store.h"
#include "../catalog/catalog.h"
#include "alerts.h"
#include "alerts_pages.h"

static int64_t path_id(const struct ctx *c)
{
	const char *s = c->req->pathvar[0];
	int64_t id;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

/* The product page's path, with the SKU chosen when there is one. */
static const char *product_path(struct ctx *c, const char *slug, const char *sku)
{
	struct buf b;

	buf_init(&b, c->a, 128);
	buf_puts(&b, "/p/");
	esc_url(&b, slug ? slug : "", slug ? strlen(slug) : 0);
	if (sku) {
		buf_puts(&b, "?sku=");
		esc_url(&b, sku, strlen(sku));
	}
	return b.oom ? "/" : b.p;
}

/* A path of this shop to go back to: "/..." and nothing a redirect could
 * be tricked by (another host, a header). */
static int local_path(const char *s)
{
	return s && s[0] == '/' && s[1] != '/' && s[1] != '\\' && strcspn(s, "\"<>\\ \t\r\n") == strlen(s);
}

static json_t *alert_json(struct ctx *c, const struct alert *al)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(al->id));
	json_object_set_new(o, "kind", json_string(alert_kind_name(al->kind)));
	json_object_set_new(o, "itemId", json_integer(al->product_id));
	json_object_set_new(o, "sku", al->sku ? json_string(al->sku) : json_null());
	json_object_set_new(o, "active", json_boolean(al->active));
	json_object_set_new(o, "source", json_string(al->wishlist ? "wishlist" : "explicit"));
	json_object_set_new(o, "title", json_string(al->title ? al->title : ""));
	json_object_set_new(o, "url", json_string(product_path(c, al->slug, al->sku)));
	json_object_set_new(o, "price", json_integer(al->price));
	json_object_set_new(o, "refPrice", json_integer(al->ref_price));
	json_object_set_new(o, "currency", json_string(al->currency ? al->currency : "USD"));
	json_object_set_new(o, "stock", json_integer(al->stock));
	json_object_set_new(o, "armed", json_boolean(al->armed));
	json_object_set_new(o, "episodes", json_integer(al->episodes));
	json_object_set_new(o, "lastSentAt", al->last_sent_at ? json_string(al->last_sent_at) : json_null());
	json_object_set_new(o, "createdAt", json_string(al->created_at ? al->created_at : ""));
	return o;
}

/* ---- the product page ---- */

void alerts_product_sections(struct ctx *c, json_t *m, int64_t product_id)
{
	const json_t *choice = json_object_get(m, "choice"), *product = json_object_get(m, "product");
	const char *sku = json_string_value(json_object_get(choice, "sku"));
	const char *slug = json_string_value(json_object_get(product, "slug"));
	int chosen = json_is_true(json_object_get(choice, "chosen"));
	int several = json_array_size(json_object_get(product, "skus")) > 1;
	int out = !json_is_true(json_object_get(choice, "purchasable"));
	int kind = out ? ALERT_BACK_IN_STOCK : ALERT_PRICE_DROP;
	json_t *f;

	if (!choice || !sku)
		return;	/* nothing on sale to watch */
	/* A SKU the shopper picked among several; otherwise any SKU of it. */
	if (!(chosen && several))
		sku = NULL;
	if (!(f = json_pack("{sIsb}", "itemId", (json_int_t)product_id, "backInStock", out)))
		return;
	if (sku)
		json_object_set_new(f, "alertSku", json_string(sku));
	json_object_set_new(f, "back", json_string(product_path(c, slug, sku)));
	/* Subscribed or not is per visitor: only with a session (never in
	 * nginx's shared copy, which shows the form and signs people in). */
	if (c->sess && c->sess->uid > 0) {
		struct alert *v = NULL;
		size_t n = 0;
		enum err e = alerts_of_product(c->db, c->a, c->sess->uid, product_id, &v, &n);

		if (e)
			log_warn("alerts: the product page's subscriptions left out: %s", err_str(e));
		for (size_t i = 0; i < n; i++)
			if (v[i].kind == kind && (!v[i].sku || (sku && !strcmp(v[i].sku, sku)))) {
				json_object_set_new(f, "subscribed", json_true());
				json_object_set_new(f, "alertId", json_integer(v[i].id));
				break;
			}
	}
	json_object_set_new(m, "alertForm", f);
}

/* ---- subscribing ---- */

/* 422 naming the field. */
static enum err unprocessable(struct ctx *c, const char *field, const char *message)
{
	enum err e = reply_error_titled(c, 422, "That alert cannot be made",
					arena_printf(c->a, "%s: %s", field, message));
	json_t *err = c->resp->model ? json_object_get(c->resp->model, "error") : NULL;

	if (!e && err)
		json_object_set_new(err, "fields", json_pack("[{s:s, s:s}]", "field", field, "message", message));
	return e;
}

/* The subscription the request asks for; *status 201 made, 200 there
 * already, 0 answered (an error page). */
static enum err subscribe(struct ctx *c, int64_t pid, struct alert *al, int *status)
{
	int kind = alert_kind_find(ctx_str(c, "kind")), created = 0;
	const char *sku = ctx_str(c, "sku");
	struct db_res *p = NULL;
	enum err e;

	*status = 0;
	if ((e = catalog_product_by_id(c->db, c->a, pid, &p)))
		return e;
	if (!p->nrows)
		return E_NOTFOUND;
	if (kind < 0)
		return unprocessable(c, "kind", "must be back-in-stock or price-drop");
	e = alerts_subscribe(c->db, c->a, c->sess->uid, pid, sku && *sku ? sku : NULL, kind, al, &created);
	if (e == E_NOTFOUND && sku)
		return unprocessable(c, "sku", "is not an option of this item on sale");
	if (e == E_TOOBIG)
		return reply_error_titled(c, 422, "You watch too many items",
					  arena_printf(c->a, "You watch %d items already: remove some on your alerts "
						       "page first.", ALERTS_MAX));
	if (e)
		return e;
	*status = created ? 201 : 200;
	return E_OK;
}

enum err h_api_alert_new(struct ctx *c)
{
	int64_t pid = path_id(c);
	struct alert al;
	json_t *m, *o;
	int status;
	enum err e;

	if (!pid)
		return E_NOTFOUND;
	if ((e = subscribe(c, pid, &al, &status)) || !status)
		return e;
	if (!(m = reply_model(c, NULL, NULL)) || !(o = alert_json(c, &al)))
		return E_NOMEM;
	json_object_update(m, o);
	json_decref(o);
	c->resp->status = status;
	if (status == 201)
		resp_header(c->resp, arena_printf(c->a, "Location: /api/alerts/%lld", (long long)al.id));
	return E_OK;
}

enum err h_alert_new(struct ctx *c)
{
	struct alert al;
	int status;
	enum err e;

	if ((e = subscribe(c, ctx_int(c, "itemId", 0), &al, &status)) || !status)
		return e;
	return reply_redirect(c, 303, arena_printf(c->a, "%s#alerts", product_path(c, al.slug, al.sku)));
}

/* ---- listing and removing ---- */

enum err h_api_alerts(struct ctx *c)
{
	struct alert *v = NULL;
	size_t n = 0;
	json_t *m, *items;
	enum err e;

	if ((e = alerts_list(c->db, c->a, c->sess->uid, &v, &n)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)) || !(items = json_array()))
		return E_NOMEM;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, alert_json(c, &v[i]));
	json_object_set_new(m, "items", items);
	return E_OK;
}

enum err h_api_alert_delete(struct ctx *c)
{
	int64_t id = path_id(c);
	enum err e;

	if (!id)
		return E_NOTFOUND;
	if ((e = alerts_remove(c->db, c->a, c->sess->uid, id)))
		return e;
	c->resp->status = 204;	/* no model: an empty body */
	return E_OK;
}

enum err h_alert_delete(struct ctx *c)
{
	int64_t id = path_id(c);
	const char *back = ctx_str(c, "back");
	enum err e;

	if (!id)
		return E_NOTFOUND;
	if ((e = alerts_remove(c->db, c->a, c->sess->uid, id)) && e != E_NOTFOUND)
		return e;
	/* Removed, or gone already (a second click): back either way. */
	if (!local_path(back))
		back = "/account/alerts?removed=1";
	return reply_redirect(c, 303, back);
}

enum err h_account_alerts(struct ctx *c)
{
	struct alert *v = NULL;
	size_t n = 0;
	json_t *m, *list;
	enum err e;

	if ((e = alerts_list(c->db, c->a, c->sess->uid, &v, &n)))
		return e;
	if (!(m = reply_model(c, "account_alerts", "Your alerts")) || !(list = json_array()))
		return E_NOMEM;
	if (ctx_int(c, "removed", 0))
		c->notice = "The alert is removed.";
	for (size_t i = 0; i < n; i++) {
		const struct alert *al = &v[i];
		int drop = al->kind == ALERT_PRICE_DROP;
		json_t *o = json_pack("{sIsssssssIsIsssbsbss}", "id", (json_int_t)al->id,
				      "title", al->title ? al->title : "",
				      "url", product_path(c, al->slug, al->sku),
				      "kindText", drop ? "Price-drop alert" : "Back-in-stock alert",
				      "price", (json_int_t)al->price, "refPrice", (json_int_t)al->ref_price,
				      "currency", al->currency ? al->currency : "USD",
				      "priceDrop", drop, "fromWishlist", al->wishlist,
				      "stockLabel", !al->listed ? "Not on sale" : al->stock > 0 ? "In stock" : "Out of stock");

		if (!o)
			return E_NOMEM;
		if (al->sku)
			json_object_set_new(o, "sku", json_string(al->sku));
		if (al->created_at)
			json_object_set_new(o, "createdAt", json_string(al->created_at));
		json_array_append_new(list, o);
	}
	json_object_set_new(m, "alerts", list);
	json_object_set_new(m, "back", json_string("/account/alerts?removed=1"));
	return E_OK;
}
