/* The fx module's pages: the shopper's currency (chooser, cookie,
 * Accept-Language, the API's `currency` parameter), the pipeline's localize
 * hook that shows catalog prices in it, sellers' price lists, and the
 * printable invoice of an order.
 *
 * Where the conversion happens: the catalog's models are built and cached
 * in the shop's currency (pcache, the listings' page cache) and converted
 * per request, on a copy, just before rendering (fx_localize), so no cached
 * model ever holds one shopper's currency. nginx's microcache keys pages by
 * the currency too (conf/nginx.conf, $shop_currency). The cart and the
 * checkout convert their lines themselves (fx_cart_prices) before any total
 * is added up, and an order's amounts are stored in the currency charged,
 * so order pages, mails and the invoice print them as they are. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../view/tmpl.h"
#include "../store/db.h"
#include "../account/session_store.h"
#include "../cart/cart.h"
#include "../order/order_link.h"
#include "../order/order_pages.h"
#include "rates.h"
#include "fx_pages.h"

enum {
	Q_INV_ORDER,
	Q_INV_SELLERS,
	Q_N
};

/* orders_all and order_lines_all: an archived order's invoice too. */
static struct db_sql sql[Q_N] = {
	[Q_INV_ORDER] = { "SELECT user_id, currency, fx_rate, DATE_FORMAT(fx_date, '%Y-%m-%d'), "
			  "DATE_FORMAT(created_at, '%Y-%m-%d') FROM orders_all WHERE id = ?", 0 },
	[Q_INV_SELLERS] = { "SELECT l.line_no, s.display_name, COALESCE(s.contact_email, '') "
			    "FROM order_lines_all l JOIN sellers s ON s.id = l.seller_id WHERE l.order_id = ? "
			    "ORDER BY l.line_no", 0 },
};

void fx_pages_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	fx_init();
	db_register(sql, Q_N);
}

/* ---- which currency ---- */

static int is_api(const struct ctx *c)
{
	return c->req->wants_json || (c->route && (c->route->flags & RF_JSON));
}

/* The query string's `currency`, or NULL. */
static const char *query_currency(const struct ctx *c)
{
	for (size_t i = 0; i < c->req->nquery; i++)
		if (!strcmp(c->req->params[i].key, "currency"))
			return c->req->params[i].val;
	return NULL;
}

const char *fx_request_currency(struct ctx *c)
{
	const char *v;

	if (is_api(c)) {
		v = query_currency(c);
		return v && fx_enabled(v) ? v : fx_shop_currency();
	}
	/* A cookie of three capitals decides alone (one the shop does not
	 * enable: its own currency), as nginx keys its cached copies by it
	 * then and not by the language (conf/nginx.conf, $shop_currency). */
	v = req_cookie(c->req, FX_COOKIE);
	if (v && fx_code_ok(v))
		return fx_enabled(v) ? v : fx_shop_currency();
	return fx_from_language(c->req->accept_language, fx_currencies());
}

enum err fx_cart_for_request(struct ctx *c, struct cart *k)
{
	struct fx_quote_rate r;
	const char *cur = fx_request_currency(c);
	enum err e;

	if (!strcmp(cur, fx_shop_currency()))
		return E_OK;
	e = fx_rate_now(c->db, c->a, cur, &r);
	if (e == E_NOTFOUND || e == E_INVAL)
		return E_OK;	/* no rate loaded: the shop's own prices, which say so */
	return e ? e : fx_cart_prices(c->db, c->a, k, &r);
}

void fx_request_rate(struct ctx *c, struct fx_quote_rate *out)
{
	const char *cur = fx_request_currency(c);

	if (strcmp(cur, fx_shop_currency()) && !fx_rate_now(c->db, c->a, cur, out))
		return;
	fx_rate_now(c->db, c->a, NULL, out);	/* the shop's own: no query */
}

void fx_filter_bounds(const struct fx_quote_rate *r, int has_min, int64_t min, int has_max, int64_t max,
		      int64_t *min_shop, int64_t *max_shop)
{
	*min_shop = has_min ? fx_bound_to_shop(min, r->currency, r->rate, 0) : 0;
	*max_shop = has_max ? fx_bound_to_shop(max, r->currency, r->rate, 1) : INT64_MAX;
}

/* ---- the localize hook ---- */

/* Pages whose prices are the catalog's live prices (never an order's). */
static const char *const live_views[] = {
	"home", "category", "product", "search", "wishlist", "wishlist_shared", "sale", "sale_wait",
	"account_alerts",
	/* the cart's own lines are converted already (fx_cart_for_request);
	 * what else it shows (recommendations) is the catalog's */
	"cart",
	/* the checkout form: its shipping methods' prices (its summary is
	 * the cart's, converted already) */
	"checkout", NULL
};
/* API routes of the same (the `currency` query parameter). */
static const char *const live_routes[] = {
	"/api/categories/{slug}/items", "/api/items/{id}", "/api/items", "/items",
	"/api/items/{id}/recommendations", "/api/recommendations", "/api/lists/{token}", "/api/wishlist",
	"/api/wishlists/{id}", "/api/sales/{id}", NULL
};
/* The members that hold a price in those models. */
static const char *const money_keys[] = {
	"price", "regularPrice", "salePrice", "savedPrice", "refPrice", "priceChangeAbs", "wasPrice", NULL
};

struct conv {
	struct fx_quote_rate r;
	const char **codes;	/* the product's SKUs with the seller's own price */
	int64_t *prices;
	size_t n;
	int64_t *from_ids;	/* products with own prices: their "from" price */
	int64_t *from_prices;
	size_t nfrom;
	int json;
};

static int listed(const char *const *list, const char *s)
{
	for (size_t i = 0; s && list[i]; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

/* Converts v's own price members (v's currency is the shop's): a SKU's
 * own price in the currency, set by its seller, replaces the converted
 * one (never a sale's price: salePrice). Returns 1 when it changed one. */
static int convert_own(json_t *v, const struct conv *cv)
{
	const char *sku = json_string_value(json_object_get(v, "sku"));
	json_t *x;
	int did = 0;

	for (size_t i = 0; money_keys[i]; i++) {
		int64_t p;

		if (!json_is_integer(x = json_object_get(v, money_keys[i])))
			continue;
		p = fx_convert(json_integer_value(x), cv->r.currency, cv->r.rate);
		for (size_t k = 0; sku && k < cv->n && strcmp(money_keys[i], "salePrice"); k++)
			if (!strcmp(cv->codes[k], sku))
				p = cv->prices[k];
		json_object_set_new(v, money_keys[i], json_integer(p));
		did = 1;
	}
	return did;
}

/* A product's card (or an item's own headline): an object with the
 * product's id, slug and price and the product page's URL (not a SKU's:
 * "/p/slug?sku=..."), its price the least of the product's. A sale's
 * card (salePrice) keeps the sale's converted price. */
static int is_card(const json_t *v)
{
	const char *slug = json_string_value(json_object_get(v, "slug"));
	const char *url = json_string_value(json_object_get(v, "url"));

	return slug && url && json_is_integer(json_object_get(v, "id")) &&
	       json_is_integer(json_object_get(v, "price")) && !json_object_get(v, "salePrice") &&
	       !strncmp(url, "/p/", 3) && !strcmp(url + 3, slug);
}

/* A card's price, once converted: the product's true "from" price when
 * its seller set own prices for some of its SKUs (issue 19). */
static void card_from(json_t *v, const struct conv *cv)
{
	json_int_t id;

	if (!cv->nfrom || !is_card(v))
		return;
	id = json_integer_value(json_object_get(v, "id"));
	for (size_t k = 0; k < cv->nfrom; k++)
		if (cv->from_ids[k] == id)
			json_object_set_new(v, "price", json_integer(cv->from_prices[k]));
}

/* The product ids of the model's cards, once each, into the array ids. */
static void card_ids(const json_t *v, json_t *ids)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			card_ids(x, ids);
		return;
	}
	if (!json_is_object(v))
		return;
	if (is_card(v)) {
		json_int_t id = json_integer_value(json_object_get(v, "id"));
		int seen = 0;

		json_array_foreach(ids, i, x)
			seen |= json_integer_value(x) == id;
		if (!seen && json_array_size(ids) < 500)
			json_array_append_new(ids, json_integer(id));
	}
	json_object_foreach((json_t *)v, key, x)
		if (json_is_object(x) || json_is_array(x))
			card_ids(x, ids);
}

static void convert(json_t *v, const char *inherited, const struct conv *cv)
{
	const char *own, *key;
	char eff[8];
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			convert(x, inherited, cv);
		return;
	}
	if (!json_is_object(v))
		return;
	own = json_string_value(json_object_get(v, "currency"));
	/* What the members without a currency of their own are in (copied:
	 * setting v's "currency" below frees the string own points to). */
	snprintf(eff, sizeof(eff), "%s", own ? own : inherited);
	if (!strcmp(eff, fx_shop_currency()) && (convert_own(v, cv) || own) && (own || cv->json)) {
		card_from(v, cv);
		json_object_set_new(v, "currency", json_string(cv->r.currency));
	} else if (!strcmp(eff, fx_shop_currency())) {
		card_from(v, cv);
	}
	json_object_foreach(v, key, x)
		if (json_is_object(x) || json_is_array(x))
			convert(x, eff, cv);
}

/* The SKU codes of every priced object of the model (a product's SKUs,
 * the SKU a listing's card shows), once each, into the array codes. */
static void sku_codes(const json_t *v, json_t *codes)
{
	const char *key, *sku;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			sku_codes(x, codes);
		return;
	}
	if (!json_is_object(v))
		return;
	if ((sku = json_string_value(json_object_get(v, "sku"))) && json_is_integer(json_object_get(v, "price"))) {
		int seen = 0;

		json_array_foreach(codes, i, x)
			seen |= !strcmp(json_string_value(x), sku);
		if (!seen && json_array_size(codes) < 500)
			json_array_append_new(codes, json_string(sku));
	}
	json_object_foreach((json_t *)v, key, x)
		if (json_is_object(x) || json_is_array(x))
			sku_codes(x, codes);
}

/* The header's chooser: every enabled currency, the chosen one selected,
 * and where to come back to. */
static void chooser(struct ctx *c, json_t *m, const char *cur)
{
	json_t *list = json_array();
	const char *p = fx_currencies();

	while (*p) {
		char code[4];

		while (*p == ',' || *p == ' ')
			p++;
		if (strlen(p) < 3)
			break;
		memcpy(code, p, 3);
		code[3] = '\0';
		p += 3;
		json_array_append_new(list, json_pack("{s:s, s:b}", "code", code, "selected", !strcmp(code, cur)));
	}
	json_object_set_new(m, "currencyChooser", json_pack("{s:o, s:s}", "currencies", list, "back",
		arena_printf(c->a, "%s%s%s", c->req->path, *c->req->query ? "?" : "", c->req->query)));
}

void fx_localize(struct ctx *c, json_t *m)
{
	struct conv cv;
	const char *cur, *q, *view = c->resp->view, *key;
	char top[8];
	json_t *x, *copy;
	enum err e;

	memset(&cv, 0, sizeof(cv));
	tmpl_money_default = fx_shop_currency();
	cv.json = is_api(c);
	if (cv.json && (q = query_currency(c)) && !fx_enabled(q) && c->resp->status < 300 &&
	    ((view && listed(live_views, view)) || (c->route && listed(live_routes, c->route->pattern)))) {
		reply_error_titled(c, 422, "That currency is not available",
				   arena_printf(c->a, "currency: the shop shows prices in %s", fx_currencies()));
		json_object_set_new(json_object_get(c->resp->model, "error"), "fields",
			json_pack("[{s:s, s:s}]", "field", "currency", "message", "is not one of the shop's currencies"));
		return;
	}
	cur = fx_request_currency(c);
	if (!cv.json && c->resp->view)
		chooser(c, m, cur);
	if (!strcmp(cur, fx_shop_currency()))
		return;
	/* A live page (also shown again with a 4xx, as the checkout form
	 * is), or a live API answer (not its errors). */
	if (!(view && listed(live_views, view)) &&
	    !(c->resp->status < 300 && c->route && listed(live_routes, c->route->pattern)))
		return;
	e = fx_rate_now(c->db, c->a, cur, &cv.r);
	if (e)
		return;	/* no rate loaded yet: the shop's own prices, marked as such */
	{	/* the sellers' own prices of the SKUs shown */
		json_t *codes = json_array();
		char *text;

		sku_codes(m, codes);
		text = json_array_size(codes) ? json_dumps(codes, JSON_COMPACT) : NULL;
		if (text && fx_sku_overrides(c->db, c->a, text, cur, &cv.codes, &cv.prices, &cv.n))
			cv.n = 0;
		free(text);
		json_decref(codes);
		/* the cards' true "from" prices (partial price lists) */
		codes = json_array();
		card_ids(m, codes);
		text = json_array_size(codes) ? json_dumps(codes, JSON_COMPACT) : NULL;
		if (text && fx_from_prices(c->db, c->a, text, &cv.r, &cv.from_ids, &cv.from_prices, &cv.nfrom))
			cv.nfrom = 0;
		free(text);
		json_decref(codes);
	}
	/* The model's members may be shared with a cache: each is copied
	 * before it changes. */
	snprintf(top, sizeof(top), "%s", json_is_string(json_object_get(m, "currency")) ?
		 json_string_value(json_object_get(m, "currency")) : "");
	json_object_foreach(m, key, x) {
		if (!json_is_object(x) && !json_is_array(x)) {
			continue;
		}
		if (!(copy = json_deep_copy(x)))
			continue;
		convert(copy, *top ? top : fx_shop_currency(), &cv);
		json_object_set_new_nocheck(m, key, copy);
	}
	/* The model's own members (an item answer's headline price). */
	if ((!*top || !strcmp(top, fx_shop_currency())) && convert_own(m, &cv)) {
		card_from(m, &cv);
		if (*top || cv.json)
			json_object_set_new(m, "currency", json_string(cur));
	}
	if (!cv.json)
		tmpl_money_default = cv.r.currency;
}

/* ---- the chooser ---- */

/* A path on this site to come back to ("/..." but not "//host"), or "/". */
static const char *local_path(const char *back)
{
	if (!back || back[0] != '/' || back[1] == '/' || back[1] == '\\' || strpbrk(back, "\r\n"))
		return "/";
	return back;
}

enum err h_currency(struct ctx *c)
{
	const char *code = ctx_str(c, "c");

	if (!code || !fx_enabled(code))
		return reply_error_titled(c, 422, "That currency is not available",
					  arena_printf(c->a, "The shop shows prices in %s.", fx_currencies()));
	/* Not HttpOnly: nothing secret, and a script may show it. Lax: the
	 * choice comes along when a shopper follows a link to the shop. */
	resp_header(c->resp, arena_printf(c->a, "Set-Cookie: %s=%s; Path=/; Max-Age=31536000; SameSite=Lax%s",
					  FX_COOKIE, code, c->req->https ? "; Secure" : ""));
	return reply_redirect(c, 303, local_path(ctx_str(c, "back")));
}

enum err h_api_currencies(struct ctx *c)
{
	json_t *m = reply_model(c, NULL, NULL), *list;
	const char *p = fx_currencies();

	if (!m)
		return E_NOMEM;
	list = json_array();
	while (*p) {
		struct fx_quote_rate r;
		char code[4];
		enum err e;

		while (*p == ',' || *p == ' ')
			p++;
		if (strlen(p) < 3)
			break;
		memcpy(code, p, 3);
		code[3] = '\0';
		p += 3;
		e = fx_rate_now(c->db, c->a, code, &r);
		if (e && e != E_NOTFOUND)
			return e;
		json_array_append_new(list, json_pack("{s:s, s:i, s:s?, s:s?}", "code", code,
			"exponent", fx_exponent(code), "rate", e ? NULL : r.rate_text, "rateDate", e ? NULL : r.date));
	}
	json_object_set_new(m, "shopCurrency", json_string(fx_shop_currency()));
	json_object_set_new(m, "currencies", list);
	json_object_set_new(m, "chosen", json_string(fx_request_currency(c)));
	return E_OK;
}

/* ---- sellers' price lists ---- */

static enum err prices_json(struct ctx *c, int64_t sku_id, const char *code, json_t *m)
{
	struct fx_sku_price *p = NULL;
	size_t n = 0;
	json_t *list = json_array();
	enum err e;

	if ((e = fx_sku_prices_get(c->db, c->a, sku_id, &p, &n))) {
		json_decref(list);
		return e;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:I}", "currency", p[i].currency,
						      "price", (json_int_t)p[i].price));
	json_object_set_new(m, "itemId", json_string(code));
	json_object_set_new(m, "prices", list);
	return E_OK;
}

/* The seller's SKU named by the path, or a 404 for anyone else's. */
static enum err own_sku(struct ctx *c, int64_t *sku_id)
{
	int64_t pid;

	if (!c->sess || !c->sess->seller_id)
		return E_NOTFOUND;
	return fx_seller_sku(c->db, c->a, c->sess->seller_id, c->req->pathvar[0], sku_id, &pid);
}

enum err h_api_sku_prices(struct ctx *c)
{
	int64_t sku;
	json_t *m;
	enum err e;

	if ((e = own_sku(c, &sku)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	return prices_json(c, sku, c->req->pathvar[0], m);
}

/* Checks currency and price for a set: NULL or why (for error.fields). */
static const char *price_problem(const char *cur, const char **field)
{
	*field = "currency";
	if (!cur || !fx_enabled(cur))
		return "is not one of the shop's currencies";
	if (!strcmp(cur, fx_shop_currency()))
		return "is the shop's own currency: change the item's price instead";
	return NULL;
}

enum err h_api_sku_price_put(struct ctx *c)
{
	const char *cur = ctx_str(c, "currency"), *why, *field;
	int64_t sku;
	json_t *m, *price = c->req->json ? json_object_get(c->req->json, "price") : NULL;
	enum err e;

	if ((e = own_sku(c, &sku)))
		return e;
	if ((why = price_problem(cur, &field)) || (price && !json_is_null(price) && !json_is_integer(price)) ||
	    (json_is_integer(price) && json_integer_value(price) < 0) || !price) {
		if (!why) {
			field = "price";
			why = "must be a whole number of the currency's minor units (0 or more), or null to remove";
		}
		reply_error(c, 422, arena_printf(c->a, "%s: %s", field, why));
		json_object_set_new(json_object_get(c->resp->model, "error"), "fields",
				    json_pack("[{s:s, s:s}]", "field", field, "message", why));
		return E_OK;
	}
	if ((e = fx_sku_price_set(c->db, c->a, sku, cur, json_is_null(price) ? -1 : json_integer_value(price))))
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	return prices_json(c, sku, c->req->pathvar[0], m);
}

/* The page: the SKU's price in each enabled currency, converted and own. */
static enum err prices_page(struct ctx *c, int64_t sku, const char *notice, const char *error)
{
	struct fx_sku_price *p = NULL;
	size_t n = 0;
	json_t *m = reply_model(c, "seller_prices", "Prices in other currencies"), *rows;
	const char *list = fx_currencies();
	enum err e;

	if (!m)
		return E_NOMEM;
	if ((e = fx_sku_prices_get(c->db, c->a, sku, &p, &n)))
		return e;
	rows = json_array();
	while (*list) {
		struct fx_quote_rate r;
		char code[4];
		json_t *row;

		while (*list == ',' || *list == ' ')
			list++;
		if (strlen(list) < 3)
			break;
		memcpy(code, list, 3);
		code[3] = '\0';
		list += 3;
		if (!strcmp(code, fx_shop_currency()))
			continue;
		row = json_pack("{s:s, s:s}", "currency", code, "value", "");
		if (!fx_rate_now(c->db, c->a, code, &r))
			json_object_set_new(row, "rateDate", json_string(r.date));
		for (size_t i = 0; i < n; i++)
			if (!strcmp(p[i].currency, code)) {
				json_object_set_new(row, "own", json_integer(p[i].price));
				json_object_set_new(row, "value", json_string(arena_printf(c->a, "%lld",
									(long long)p[i].price)));
			}
		json_object_set_new(row, "exponentText", json_string(fx_exponent(code) ?
			"in cents (999 = 9.99)" : "in whole units"));
		json_array_append_new(rows, row);
	}
	json_object_set_new(m, "itemId", json_string(c->req->pathvar[0]));
	json_object_set_new(m, "rows", rows);
	if (notice)
		json_object_set_new(m, "saved", json_string(notice));
	if (error)
		json_object_set_new(m, "formError", json_string(error));
	return E_OK;
}

enum err h_seller_prices(struct ctx *c)
{
	int64_t sku;
	enum err e;

	if ((e = own_sku(c, &sku)))
		return e;
	return prices_page(c, sku, ctx_has(c, "saved") ? "Saved." : NULL, NULL);
}

enum err h_seller_prices_post(struct ctx *c)
{
	const char *cur = ctx_str(c, "currency"), *v = ctx_str(c, "price"), *why, *field;
	int64_t sku, price = -1;
	enum err e;

	if ((e = own_sku(c, &sku)))
		return e;
	if ((why = price_problem(cur, &field))) {
		c->resp->status = 422;
		return prices_page(c, sku, NULL, arena_printf(c->a, "Currency %s", why));
	}
	if (v && *v) {
		char *end;

		price = strtoll(v, &end, 10);
		if (*end || price < 0 || price > INT64_C(100000000000)) {
			c->resp->status = 422;
			return prices_page(c, sku, NULL, arena_printf(c->a, "The %s price must be a whole number of "
				"%s, or empty to use the converted price.", cur,
				fx_exponent(cur) ? "cents" : "units"));
		}
	}
	if ((e = fx_sku_price_set(c->db, c->a, sku, cur, price)))
		return e;
	return reply_redirect(c, 303, arena_printf(c->a, "/seller/prices/%s?saved=1", c->req->pathvar[0]));
}

/* ---- the invoice ---- */

enum err h_invoice(struct ctx *c)
{
	const char *t = ctx_str(c, "t");
	int64_t id = 0, uid = 0;
	struct db_res *r = NULL, *s = NULL;
	json_t *o, *m, *ln, *sellers;
	const char *cur, *rate, *date;
	size_t i;
	enum err e;

	{
		char *end;

		id = strtoll(c->req->pathvar[0], &end, 10);
		if (*end || id <= 0)
			return E_NOTFOUND;
	}
	/* The shopper's own order, or anyone's with the order's signed link
	 * (a guest: app/order/order_link.h). */
	if (t && order_link_ok(id, t))
		uid = 0;
	else if (c->sess && c->sess->uid)
		uid = c->sess->uid;
	else
		return E_NOTFOUND;
	if ((e = db_exec(c->db, c->a, &sql[Q_INV_ORDER], &r, "i", id)))
		return e;
	if (!r->nrows || (uid && db_int(r, 0, 0) != uid))
		return E_NOTFOUND;
	if (!(o = order_json(c->db, c->a, id, 0)))
		return E_NOTFOUND;
	if (!(m = reply_model(c, "invoice", arena_printf(c->a, "Invoice for order %lld", (long long)id)))) {
		json_decref(o);
		return E_NOMEM;
	}
	json_object_set_new(m, "invoice", o);	/* m owns it; o is filled in below */
	if ((e = db_exec(c->db, c->a, &sql[Q_INV_SELLERS], &s, "i", id)))
		return e;
	cur = db_cell(r, 0, 1);
	rate = db_cell(r, 0, 2);
	date = db_cell(r, 0, 3);
	sellers = json_array();
	json_array_foreach(json_object_get(o, "lines"), i, ln) {
		int64_t taxable = json_integer_value(json_object_get(ln, "lineTotal")) -
				  json_integer_value(json_object_get(ln, "discount"));
		const char *seller = "";

		for (size_t k = 0; k < s->nrows; k++)
			if (db_int(s, k, 0) == json_integer_value(json_object_get(ln, "lineNo")))
				seller = db_cell(s, k, 1);
		json_object_set_new(ln, "seller", json_string(seller));
		json_object_set_new(ln, "taxable", json_integer(taxable));
		json_object_set_new(ln, "lineAmount", json_integer(taxable +
			json_integer_value(json_object_get(ln, "tax"))));
	}
	for (size_t k = 0; k < s->nrows; k++) {
		int seen = 0;
		size_t j;

		json_array_foreach(sellers, j, ln)
			seen |= !strcmp(json_string_value(json_object_get(ln, "name")), db_cell(s, k, 1));
		if (!seen)
			json_array_append_new(sellers, json_pack("{s:s, s:s}", "name", db_cell(s, k, 1),
								 "email", db_cell(s, k, 2)));
	}
	json_object_set_new(o, "sellers", sellers);
	json_object_set_new(o, "invoiceNumber", json_string(arena_printf(c->a, "INV-%08lld", (long long)id)));
	json_object_set_new(o, "issuedOn", json_string(db_cell(r, 0, 4)));
	json_object_set_new(o, "shopName", json_string(config.shop_name));
	if (strcmp(cur, fx_shop_currency())) {
		/* The rate note: what the amounts were converted at, and when. */
		char *trim = arena_strdup(c->a, rate);
		size_t n = trim ? strlen(trim) : 0;

		while (n > 1 && trim[n - 1] == '0' && trim[n - 2] != '.')
			trim[--n] = '\0';
		json_object_set_new(o, "rateNote", json_string(arena_printf(c->a,
			"Prices converted from %s at 1 %s = %s %s (reference rate of %s). Charged in %s.",
			fx_shop_currency(), fx_shop_currency(), trim ? trim : rate, cur, date ? date : "the day of the order",
			cur)));
	}
	json_object_set_new(o, "backUrl", json_string(t ? arena_printf(c->a, "%s", order_link_path(c->a, id)) :
				arena_printf(c->a, "/orders/%lld", (long long)id)));
	return E_OK;
}
