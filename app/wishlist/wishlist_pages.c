/* Wishlists: saved items, lists, sharing: pages and JSON API (wishlist_pages.h).
 *
 * One model for a list, the page's and the API's (the page adds what its
 * forms need). The owner is the signed-in shopper, or the guest session
 * (one list, id null). Forms post and redirect (POST, then GET) with a
 * flash; nothing needs JavaScript. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../account/session_pages.h"
#include "../catalog/catalog.h"
#include "../cart/cart.h"
#include "../cart/cart_pages.h"
#include "wishlist.h"
#include "wishlist_pages.h"

#define LOW_STOCK 10	/* "Only N left" at or below this, as the product page */

static struct wl_owner owner_of(const struct ctx *c)
{
	struct wl_owner o = { 0, NULL };

	if (c->sess) {
		o.user_id = c->sess->uid;
		o.guest = c->sess->uid ? NULL : c->sess;
	}
	return o;
}

static const char *iso_time(struct arena *a, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char s[32];

	gmtime_r(&tt, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return arena_strdup(a, s);
}

static const char *share_url(struct arena *a, const char *token)
{
	return arena_printf(a, "%s/lists/%s", config.base_url ? config.base_url : "", token);
}

/* ---- the model ---- */

/* mine: the owner's view (alerts, forms); else the shared, read-only one. */
static json_t *item_json(struct ctx *c, const struct wl_item *it, int mine, int html)
{
	json_t *o = json_object(), *opts = it->options ? json_loads(it->options, 0, NULL) : NULL, *v;
	int64_t stock = it->available > 0 ? it->available : 0, change = it->price - it->saved_price;
	const char *status, *label, *k;
	struct buf b;

	if (!it->sellable) {
		status = "unavailable";
		label = "No longer available";
	} else if (stock <= 0) {
		status = "out_of_stock";
		label = "Out of stock";
	} else if (stock <= LOW_STOCK) {
		status = "low_stock";
		label = arena_printf(c->a, "Only %lld left", (long long)stock);
	} else {
		status = "in_stock";
		label = "In stock";
	}
	buf_init(&b, c->a, 64);
	if (json_is_object(opts))
		json_object_foreach(opts, k, v)
			if (json_is_string(v))
				buf_printf(&b, "%s%s: %s", b.len ? ", " : "", k, json_string_value(v));
	json_object_set_new(o, "itemId", json_string(it->code));
	json_object_set_new(o, "productId", json_integer(it->product_id));
	json_object_set_new(o, "title", json_string(it->title ? it->title : ""));
	json_object_set_new(o, "url", json_string(arena_printf(c->a, "/p/%s?sku=%s", it->slug ? it->slug : "",
							       it->code ? it->code : "")));
	json_object_set_new(o, "image", json_string(catalog_image(c->a, it->title, it->thumbnail)));
	json_object_set_new(o, "options", json_is_object(opts) ? json_incref(opts) : json_object());
	json_object_set_new(o, "optionsLabel", json_string(b.len ? b.p : ""));
	json_object_set_new(o, "price", json_integer(it->price));
	json_object_set_new(o, "savedPrice", json_integer(it->saved_price));
	json_object_set_new(o, "priceChange", json_integer(change));
	json_object_set_new(o, "currency", json_string(it->currency ? it->currency : "USD"));
	json_object_set_new(o, "stock", json_integer(stock));
	json_object_set_new(o, "stockStatus", json_string(status));
	json_object_set_new(o, "stockLabel", json_string(label));
	json_object_set_new(o, "available", json_boolean(it->sellable && stock > 0));
	json_object_set_new(o, "quantity", json_integer(it->quantity));
	json_object_set_new(o, "savedAt", json_string(iso_time(c->a, it->saved_at)));
	if (mine)
		json_object_set_new(o, "alerts", json_boolean(it->alerts));
	if (html) {
		if (change)
			json_object_set_new(o, change > 0 ? "priceUp" : "priceDown", json_true());
		json_object_set_new(o, "priceChangeAbs", json_integer(change > 0 ? change : -change));
		if (it->quantity > 1)
			json_object_set_new(o, "manyUnits", json_true());
	}
	json_decref(opts);
	return o;
}

/* Fills m with the list: {"id", "name", "isDefault", "shared", "shareUrl",
 * "items", "count"}; shared: the read-only view (no alerts, no link). */
static void list_json(struct ctx *c, const struct wl_list *l, json_t *m, int mine, int html)
{
	json_t *items = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(items, item_json(c, &l->items[i], mine, html));
	json_object_set_new(m, "id", l->id ? json_integer(l->id) : json_null());
	json_object_set_new(m, "name", json_string(l->name ? l->name : WL_DEFAULT_NAME));
	json_object_set_new(m, "items", items);
	json_object_set_new(m, "count", json_integer((json_int_t)l->n));
	if (mine) {
		json_object_set_new(m, "isDefault", json_boolean(l->is_default));
		json_object_set_new(m, "shared", json_boolean(l->share_token != NULL));
		json_object_set_new(m, "shareUrl", l->share_token ? json_string(share_url(c->a, l->share_token)) :
								    json_null());
	}
}

/* ---- shared answers ---- */

static enum err invalid(struct ctx *c, const char *field, const char *message)
{
	enum err e = reply_error_titled(c, 422, "That could not be done", message);

	if (!e && c->resp->model)
		json_object_set_new(json_object_get(c->resp->model, "error"), "fields",
				    json_pack("[{s:s, s:s}]", "field", field, "message", message));
	return e;
}

/* The list id of a path's {id}: 0 when it is not a number (no list has 0). */
static int64_t path_id(const struct ctx *c, int i)
{
	const char *s = i < c->req->npathvar ? c->req->pathvar[i] : NULL;
	int64_t n = 0;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &n))
		return 0;
	return n;
}

static enum err not_found_list(struct ctx *c)
{
	return reply_error(c, 404, "There is no such list.");
}

/* A list's name from "name": trimmed, 1..WL_NAME_MAX bytes, or NULL with
 * the 422 answered. */
static const char *list_name(struct ctx *c, enum err *e)
{
	const char *s = ctx_str(c, "name");
	size_t n;

	*e = E_OK;
	while (s && (*s == ' ' || *s == '\t'))
		s++;
	n = s ? strlen(s) : 0;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n || n > WL_NAME_MAX) {
		*e = invalid(c, "name", n ? "A list's name is at most 100 characters long." : "Give the list a name.");
		return NULL;
	}
	return arena_strndup(c->a, s, n);
}

/* The SKU an API call names in "itemId": NULL with the answer made (422
 * for no code, 404 for an unknown one). */
static const struct wl_sku *api_sku(struct ctx *c, const char *code, enum err *e)
{
	struct wl_sku *s = arena_calloc(c->a, 1, sizeof(*s));
	size_t n = code ? strlen(code) : 0;

	*e = E_OK;
	if (!s) {
		*e = E_NOMEM;
		return NULL;
	}
	if (!n || n > 64) {
		*e = invalid(c, "itemId", n ? "itemId: must be a SKU code of at most 64 characters." :
					      "itemId: is required (a SKU code).");
		return NULL;
	}
	if ((*e = wl_find_sku(c->db, c->a, code, s)) == E_NOTFOUND) {
		*e = reply_error_titled(c, 404, "We could not find that item",
					arena_printf(c->a, "There is no item with the SKU code %s.", code));
		return NULL;
	}
	return *e ? NULL : s;
}

/* ---- JSON API ---- */

static enum err api_list(struct ctx *c, int64_t id)
{
	struct wl_owner o = owner_of(c);
	struct wl_list *l = NULL;
	enum err e = wl_get_owner(c->db, c->kv, c->a, &o, id, &l);
	json_t *m;

	if (e == E_NOTFOUND)
		return not_found_list(c);
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	list_json(c, l, m, 1, 0);
	return E_OK;
}

enum err h_api_wishlist(struct ctx *c)
{
	return api_list(c, 0);
}

enum err h_api_wishlists_get(struct ctx *c)
{
	int64_t id = path_id(c, 0);

	return id ? api_list(c, id) : not_found_list(c);
}

/* Saves itemId in list id (0: default); 201 with the item, 200 when it
 * was there already. */
static enum err api_add(struct ctx *c, int64_t id)
{
	struct wl_owner o = owner_of(c);
	const struct wl_sku *s;
	struct wl_list *l = NULL;
	int created = 0;
	enum err e;
	json_t *m;

	if (!(s = api_sku(c, ctx_str(c, "itemId"), &e)))
		return e;
	e = wl_add(c->db, c->kv, c->a, &o, id, s, 1, 0, &created);
	if (e == E_NOTFOUND)
		return not_found_list(c);
	if (e == E_TOOBIG)
		return invalid(c, "itemId", arena_printf(c->a, "A list holds at most %d items. Remove one to save "
							   "another.", WL_MAX_ITEMS));
	if (e || (e = wl_get_owner(c->db, c->kv, c->a, &o, id, &l)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].sku_id == s->id) {
			json_t *it = item_json(c, &l->items[i], 1, 0);

			json_object_update(m, it);
			json_decref(it);
		}
	json_object_set_new(m, "listId", l->id ? json_integer(l->id) : json_null());
	c->resp->status = created ? 201 : 200;
	return E_OK;
}

enum err h_api_wishlist_add(struct ctx *c)
{
	return api_add(c, 0);
}

enum err h_api_wishlists_add(struct ctx *c)
{
	int64_t id = path_id(c, 0);

	return id ? api_add(c, id) : not_found_list(c);
}

/* The SKU id of a code in a path, 0 when unknown. */
static int64_t sku_of_code(struct ctx *c, const char *code)
{
	struct wl_sku s;

	return code && wl_find_sku(c->db, c->a, code, &s) == E_OK ? s.id : 0;
}

static enum err api_remove(struct ctx *c, int64_t id, const char *code)
{
	struct wl_owner o = owner_of(c);
	int64_t sku = sku_of_code(c, code);
	enum err e = sku ? wl_remove(c->db, c->kv, c->a, &o, id, sku, NULL) : E_NOTFOUND;

	if (e == E_NOTFOUND)
		return reply_error(c, 404, "That item is not in the list.");
	if (e)
		return e;
	c->resp->status = 204;	/* no model: an empty body */
	return E_OK;
}

enum err h_api_wishlist_remove(struct ctx *c)
{
	return api_remove(c, 0, c->req->pathvar[0]);
}

enum err h_api_wishlists_remove(struct ctx *c)
{
	int64_t id = path_id(c, 0);

	return id ? api_remove(c, id, c->req->pathvar[1]) : not_found_list(c);
}

static enum err api_alerts(struct ctx *c, int64_t id, const char *code)
{
	struct wl_owner o = owner_of(c);
	int64_t sku = sku_of_code(c, code);
	enum err e = sku ? wl_set_alerts(c->db, c->kv, c->a, &o, id, sku, ctx_int(c, "alerts", 1) != 0) : E_NOTFOUND;
	struct wl_list *l = NULL;
	json_t *m;

	if (e == E_NOTFOUND)
		return reply_error(c, 404, "That item is not in the list.");
	if (e || (e = wl_get_owner(c->db, c->kv, c->a, &o, id, &l)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].sku_id == sku) {
			json_t *it = item_json(c, &l->items[i], 1, 0);

			json_object_update(m, it);
			json_decref(it);
		}
	return E_OK;
}

enum err h_api_wishlist_item_patch(struct ctx *c)
{
	return api_alerts(c, 0, c->req->pathvar[0]);
}

enum err h_api_wishlists_item_patch(struct ctx *c)
{
	int64_t id = path_id(c, 0);

	return id ? api_alerts(c, id, c->req->pathvar[1]) : not_found_list(c);
}

static json_t *summaries_json(struct ctx *c, const struct wl_summary *v, size_t n, int64_t current)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:I, s:s, s:b, s:b, s:I, s:s}", "id", (json_int_t)v[i].id, "name", v[i].name,
				      "isDefault", v[i].is_default, "shared", v[i].shared, "count", (json_int_t)v[i].count,
				      "url", v[i].is_default ? "/wishlist" :
					     arena_printf(c->a, "/wishlist/%lld", (long long)v[i].id));

		if (o && (v[i].id == current || (!current && v[i].is_default)))
			json_object_set_new(o, "current", json_true());
		if (o)
			json_array_append_new(a, o);
	}
	return a;
}

enum err h_api_wishlists(struct ctx *c)
{
	struct wl_summary *v = NULL;
	size_t n = 0;
	enum err e = wl_lists(c->db, c->a, c->sess->uid, &v, &n);
	json_t *m;

	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_set_new(m, "lists", summaries_json(c, v, n, -1));
	return E_OK;
}

enum err h_api_wishlists_create(struct ctx *c)
{
	int64_t id = 0;
	const char *name;
	enum err e;

	if (!(name = list_name(c, &e)))
		return e;
	e = wl_create(c->db, c->a, c->sess->uid, name, &id);
	if (e == E_CONFLICT)
		return reply_error(c, 409, "You have a list of that name already.");
	if (e == E_TOOBIG)
		return invalid(c, "name", arena_printf(c->a, "You can have at most %d lists.", WL_MAX_LISTS));
	if (e || (e = api_list(c, id)))
		return e;
	resp_header(c->resp, arena_printf(c->a, "Location: /api/wishlists/%lld", (long long)id));
	c->resp->status = 201;
	return E_OK;
}

enum err h_api_wishlists_patch(struct ctx *c)
{
	int64_t id = path_id(c, 0);
	const char *name;
	enum err e;

	if (!id)
		return not_found_list(c);
	if (!ctx_str(c, "name"))
		return api_list(c, id);
	if (!(name = list_name(c, &e)))
		return e;
	e = wl_rename(c->db, c->a, c->sess->uid, id, name);
	if (e == E_NOTFOUND)
		return not_found_list(c);
	if (e == E_CONFLICT)
		return reply_error(c, 409, "You have a list of that name already.");
	return e ? e : api_list(c, id);
}

enum err h_api_wishlists_delete(struct ctx *c)
{
	int64_t id = path_id(c, 0);
	enum err e = id ? wl_delete(c->db, c->a, c->sess->uid, id) : E_NOTFOUND;

	if (e == E_NOTFOUND)
		return not_found_list(c);
	if (e == E_INVAL)
		return reply_error_titled(c, 422, "That could not be done",
					  "The default list cannot be deleted (remove its items instead).");
	if (e)
		return e;
	c->resp->status = 204;
	return E_OK;
}

static enum err api_share(struct ctx *c, int on)
{
	int64_t id = path_id(c, 0);
	const char *token = NULL;
	enum err e = id ? wl_share(c->db, c->a, c->sess->uid, id, on, &token) : E_NOTFOUND;
	json_t *m;

	if (e == E_NOTFOUND)
		return not_found_list(c);
	if (e)
		return e;
	if (!on) {
		c->resp->status = 204;
		return E_OK;
	}
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_set_new(m, "url", json_string(share_url(c->a, token)));
	return E_OK;
}

enum err h_api_wishlists_share(struct ctx *c)
{
	return api_share(c, 1);
}

enum err h_api_wishlists_unshare(struct ctx *c)
{
	return api_share(c, 0);
}

enum err h_api_shared_list(struct ctx *c)
{
	struct wl_list *l = NULL;
	enum err e = wl_get_shared(c->db, c->a, c->req->pathvar[0], &l);
	json_t *m;

	if (e == E_NOTFOUND)
		return reply_error(c, 404, "This list is not shared (any more).");
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	list_json(c, l, m, 0, 0);
	json_object_del(m, "id");
	return E_OK;
}

/* ---- pages ---- */

static const char *list_path(struct arena *a, int64_t id)
{
	return id ? arena_printf(a, "/wishlist/%lld", (long long)id) : "/wishlist";
}

static enum err list_page(struct ctx *c, int64_t id)
{
	struct wl_owner o = owner_of(c);
	struct wl_list *l = NULL;
	enum err e = wl_get_owner(c->db, c->kv, c->a, &o, id, &l);
	json_t *m;

	if (e == E_NOTFOUND)
		return not_found_list(c);
	if (e)
		return e;
	if (!(m = reply_model(c, "wishlist", l->name ? l->name : WL_DEFAULT_NAME)))
		return E_NOMEM;
	list_json(c, l, m, 1, !c->req->wants_json);
	if (c->req->wants_json)
		return E_OK;
	/* The default list's forms say 0 ("the default"), so they come back
	 * to /wishlist rather than /wishlist/{id}. */
	json_object_set_new(m, "listId", json_integer(l->is_default ? 0 : l->id));
	json_object_set_new(m, "path", json_string(list_path(c->a, id)));
	if (o.user_id) {
		struct wl_summary *v = NULL;
		size_t n = 0;

		json_object_set_new(m, "signedIn", json_true());
		if ((e = wl_lists(c->db, c->a, o.user_id, &v, &n)))
			return e;
		json_object_set_new(m, "lists", summaries_json(c, v, n, id));
		if (n > 1)
			json_object_set_new(m, "otherLists", json_true());
	}
	return E_OK;
}

enum err h_wishlist(struct ctx *c)
{
	return list_page(c, 0);
}

enum err h_wishlist_list(struct ctx *c)
{
	int64_t id = path_id(c, 0);

	return id ? list_page(c, id) : not_found_list(c);
}

enum err h_wishlist_shared(struct ctx *c)
{
	struct wl_list *l = NULL;
	enum err e = wl_get_shared(c->db, c->a, c->req->pathvar[0], &l);
	json_t *m;

	resp_header(c->resp, "X-Robots-Tag: noindex");
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "This list is not shared (any more). Ask its owner for a new link.");
	if (e)
		return e;
	if (!(m = reply_model(c, "wishlist_shared", l->name)))
		return E_NOMEM;
	list_json(c, l, m, 0, !c->req->wants_json);
	json_object_del(m, "id");
	return E_OK;
}

/* Where a form goes back to: the cart when it came from there, else the list. */
static enum err back(struct ctx *c, int64_t id, const char *flash)
{
	session_flash(c, flash);
	if (ctx_str(c, "from") && !strcmp(ctx_str(c, "from"), "cart"))
		return reply_redirect(c, 303, "/cart");
	return reply_redirect(c, 303, list_path(c->a, id));
}

enum err h_wishlist_add(struct ctx *c)
{
	const char *code = ctx_str(c, "itemId");
	int64_t id = ctx_int(c, "listId", 0);
	struct wl_sku s;
	struct wl_owner o;
	int created = 0;
	enum err e;

	if ((e = wl_find_sku(c->db, c->a, code, &s)) == E_NOTFOUND)
		return reply_error_titled(c, 422, "We could not find that item",
					  arena_printf(c->a, "There is no item with the SKU code %s.", code));
	if (e)
		return e;
	if (!c->sess && !session_csrf(c))
		return E_UNAVAIL;	/* a tokenless first save: the session starts here */
	o = owner_of(c);
	e = wl_add(c->db, c->kv, c->a, &o, id, &s, 1, 0, &created);
	if (e == E_NOTFOUND)
		return not_found_list(c);
	if (e == E_TOOBIG) {
		session_flash(c, arena_printf(c->a, "Your list holds at most %d items. Remove one to save another.",
					      WL_MAX_ITEMS));
		return reply_redirect(c, 303, list_path(c->a, id));
	}
	if (e)
		return e;
	session_flash(c, created ? arena_printf(c->a, "Saved %s to your list.", s.title) :
				   arena_printf(c->a, "%s is in your list already.", s.title));
	return reply_redirect(c, 303, arena_printf(c->a, "/p/%s?sku=%s", s.slug, s.code));
}

/* The SKU id of the form's itemId; 0 (and the answer made) when unknown. */
static int64_t form_sku(struct ctx *c, int64_t id, enum err *e)
{
	int64_t sku = sku_of_code(c, ctx_str(c, "itemId"));

	*e = sku ? E_OK : back(c, id, "That item is not in your list.");
	return sku;
}

enum err h_wishlist_remove(struct ctx *c)
{
	int64_t id = ctx_int(c, "listId", 0), sku;
	struct wl_owner o = owner_of(c);
	enum err e;

	if (!(sku = form_sku(c, id, &e)))
		return e;
	e = wl_remove(c->db, c->kv, c->a, &o, id, sku, NULL);
	if (e == E_NOTFOUND)
		return back(c, id, "That item is not in your list.");
	return e ? e : back(c, id, "Removed from your list.");
}

enum err h_wishlist_alerts(struct ctx *c)
{
	int64_t id = ctx_int(c, "listId", 0), sku;
	int on = ctx_int(c, "alerts", 0) != 0;
	struct wl_owner o = owner_of(c);
	enum err e;

	if (!(sku = form_sku(c, id, &e)))
		return e;
	e = wl_set_alerts(c->db, c->kv, c->a, &o, id, sku, on);
	if (e == E_NOTFOUND)
		return back(c, id, "That item is not in your list.");
	return e ? e : back(c, id, on ? "Alerts are on: we will write when it is back in stock or cheaper." :
					"Alerts are off for that item.");
}

enum err h_wishlist_move(struct ctx *c)
{
	int64_t id = ctx_int(c, "listId", 0), to = ctx_int(c, "to", 0), sku;
	enum err e;

	if (!(sku = form_sku(c, id, &e)))
		return e;
	e = wl_move(c->db, c->a, c->sess->uid, id, to, sku);
	if (e == E_NOTFOUND)
		return back(c, id, "That item or list is not there any more.");
	if (e == E_TOOBIG)
		return back(c, id, arena_printf(c->a, "That list holds at most %d items.", WL_MAX_ITEMS));
	return e ? e : back(c, id, "Moved to the other list.");
}

/* Moves a saved item to the cart with its quantity (the cart's own rules:
 * stock, limits); it leaves the list only when the cart took it. */
enum err h_wishlist_to_cart(struct ctx *c)
{
	int64_t id = ctx_int(c, "listId", 0), sku;
	struct wl_owner o = owner_of(c);
	struct cart_owner co = cart_owner_of(c);
	struct cart_refusal no;
	struct cart_sku cs = { 0 };
	struct wl_list *l = NULL;
	const struct wl_item *it = NULL;
	enum err e;

	memset(&no, 0, sizeof(no));
	if (!(sku = form_sku(c, id, &e)))
		return e;
	if ((e = wl_get_owner(c->db, c->kv, c->a, &o, id, &l)) == E_NOTFOUND)
		return back(c, id, "That list is not there any more.");
	if (e)
		return e;
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].sku_id == sku)
			it = &l->items[i];
	if (!it)
		return back(c, id, "That item is not in your list.");
	if ((e = cart_find_sku(c->db, c->a, it->code, it->quantity, CART_ADD, &cs, &no)))
		return e;
	if (!no.status && (e = cart_apply(c->db, c->kv, c->a, &co, &cs, it->quantity, CART_ADD, -1, &no, NULL)))
		return e;
	if (no.status)
		return back(c, id, no.message);
	if ((e = wl_remove(c->db, c->kv, c->a, &o, id, sku, NULL)) && e != E_NOTFOUND)
		return e;
	return back(c, id, arena_printf(c->a, "Moved %s to your cart.", it->title));
}

enum err h_wishlist_create(struct ctx *c)
{
	int64_t id = 0;
	const char *name = ctx_str(c, "name");
	enum err e;

	while (name && *name == ' ')
		name++;
	if (!name || !*name)
		return back(c, 0, "Give the new list a name.");
	e = wl_create(c->db, c->a, c->sess->uid, name, &id);
	if (e == E_CONFLICT)
		return back(c, 0, "You have a list of that name already.");
	if (e == E_TOOBIG)
		return back(c, 0, arena_printf(c->a, "You can have at most %d lists.", WL_MAX_LISTS));
	if (e)
		return e;
	session_flash(c, arena_printf(c->a, "Made the list %s.", name));
	return reply_redirect(c, 303, list_path(c->a, id));
}

enum err h_wishlist_rename(struct ctx *c)
{
	int64_t id = ctx_int(c, "listId", 0);
	const char *name = ctx_str(c, "name");
	enum err e;

	while (name && *name == ' ')
		name++;
	if (!name || !*name)
		return back(c, id, "Give the list a name.");
	if (!id) {
		struct wl_list *l = NULL;

		if ((e = wl_get(c->db, c->a, c->sess->uid, 0, 1, &l)))
			return e;
		id = l->id;
	}
	e = wl_rename(c->db, c->a, c->sess->uid, id, name);
	if (e == E_NOTFOUND)
		return back(c, 0, "That list is not there any more.");
	if (e == E_CONFLICT)
		return back(c, ctx_int(c, "listId", 0), "You have a list of that name already.");
	return e ? e : back(c, ctx_int(c, "listId", 0), "Renamed.");
}

enum err h_wishlist_delete(struct ctx *c)
{
	int64_t id = ctx_int(c, "listId", 0);
	enum err e = wl_delete(c->db, c->a, c->sess->uid, id);

	if (e == E_NOTFOUND)
		return back(c, 0, "That list is not there any more.");
	if (e == E_INVAL)
		return back(c, id, "Your default list cannot be deleted.");
	return e ? e : back(c, 0, "The list is deleted.");
}

enum err h_wishlist_share(struct ctx *c)
{
	int64_t id = ctx_int(c, "listId", 0);
	int on = ctx_int(c, "on", 0) != 0;
	const char *token = NULL;
	enum err e = wl_share(c->db, c->a, c->sess->uid, id, on, &token);

	if (e == E_NOTFOUND)
		return back(c, 0, "That list is not there any more.");
	if (e)
		return e;
	return back(c, id, on ? "Sharing is on: anyone with the link can see this list (not change it)." :
				"Sharing is off: the old link does not work any more.");
}

/* "Save for later" on the cart page: the line moves to the default list
 * with its quantity (the list first, so a failure loses nothing). */
enum err h_cart_save_later(struct ctx *c)
{
	const char *code = ctx_str(c, "itemId");
	struct cart_owner co = cart_owner_of(c);
	struct wl_owner o = owner_of(c);
	struct cart_refusal no;
	struct cart_sku cs = { 0 };
	struct cart *k = NULL;
	struct wl_sku s;
	int qty = 0, created = 0;
	enum err e;

	memset(&no, 0, sizeof(no));
	if (!c->sess)
		return reply_redirect(c, 303, "/cart");
	if ((e = cart_get(c->db, c->a, &co, &k)))
		return e;
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->lines[i].code, code))
			qty = k->lines[i].quantity;
	if (!qty || wl_find_sku(c->db, c->a, code, &s)) {
		session_flash(c, "That item is not in your cart any more.");
		return reply_redirect(c, 303, "/cart");
	}
	e = wl_add(c->db, c->kv, c->a, &o, 0, &s, qty, 1, &created);
	if (e == E_TOOBIG) {
		session_flash(c, arena_printf(c->a, "Your list holds at most %d items. Remove one to save another.",
					      WL_MAX_ITEMS));
		return reply_redirect(c, 303, "/cart");
	}
	if (e || (e = cart_find_sku(c->db, c->a, code, 0, CART_SET, &cs, &no)))
		return e;
	if (!no.status && (e = cart_apply(c->db, c->kv, c->a, &co, &cs, 0, CART_SET, -1, &no, NULL)))
		return e;
	session_flash(c, no.status ? no.message : arena_printf(c->a, "Saved %s for later.", s.title));
	return reply_redirect(c, 303, "/cart");
}

/* ---- other modules' pages ---- */

void wishlist_product_sections(struct ctx *c, json_t *m, int64_t product_id)
{
	struct wl_owner o = owner_of(c);
	const char *code = json_string_value(json_object_get(json_object_get(m, "choice"), "sku"));
	struct wl_sku s;

	/* Without a session the page may be cached for everyone: the plain form. */
	if (!c->sess || !code || wl_find_sku(c->db, c->a, code, &s) || s.product_id != product_id)
		return;
	if (wl_saved(c->db, c->kv, c->a, &o, product_id, s.id))
		json_object_set_new(m, "wishlistSaved", json_true());
}

void wishlist_cart_sections(struct ctx *c, json_t *m)
{
	struct wl_owner o = owner_of(c);
	struct wl_list *l = NULL;
	json_t *items;

	if (!c->sess || wl_get_owner(c->db, c->kv, c->a, &o, 0, &l) || !l->n)
		return;
	items = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(items, item_json(c, &l->items[i], 1, 1));
	json_object_set_new(m, "savedForLater", items);
}

void wishlist_merge_guest(struct ctx *c, int64_t uid)
{
	if (c->sess && !c->sess->uid && wl_merge(c->db, c->kv, c->a, c->sess, uid))
		log_warn("wishlist: the guest's list was not merged");
}
