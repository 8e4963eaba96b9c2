/* The cart's page and API: one model for both (the page adds what its
 * stepper buttons need), the ETag, refusals as answers. The cart itself
 * (stores, rules, merge) is cart.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../account/session_pages.h"
#include "../catalog/catalog.h"
#include "../sales/sales.h"
#include "../waitroom/waitroom_pages.h"
#include "cart.h"
#include "../fx/fx_pages.h"	/* CURRENCIES (issue 19) */
#include "cart_pages.h"
#include "../recs/recs_pages.h"
#include "../wishlist/wishlist_pages.h"
#include "../reports/reports_pages.h"	/* issue 19: the funnel's counters */

#define LOW_STOCK 5

struct cart_owner cart_owner_of(const struct ctx *c)
{
	struct cart_owner o = { 0, NULL };

	if (c->sess) {
		o.user_id = c->sess->uid;
		o.guest = c->sess->uid ? NULL : c->sess;
	}
	return o;
}

enum err cart_load(struct ctx *c, struct cart **out)
{
	struct cart_owner o = cart_owner_of(c);

	return cart_get(c->db, c->a, &o, out);
}

long cart_count(struct ctx *c)
{
	struct cart_owner o = cart_owner_of(c);

	return cart_units(c->db, c->a, &o);
}

/* The If-Match header as a version: -1 when absent, -2 when unreadable.
 * Accepts 7, "7" and W/"7". */
static int64_t if_match(const struct ctx *c)
{
	const char *v = c->req->if_match;
	int64_t n;
	size_t len;

	if (!v || !*v || !strcmp(v, "*"))
		return -1;
	if (!strncmp(v, "W/", 2))
		v += 2;
	len = strlen(v);
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v++;
		len -= 2;
	}
	return parse_int64(v, len, 0, INT64_MAX, &n) ? -2 : n;
}

/* SALES (issue 18): a SKU in a live sale with units left is added at the
 * sale price, the line naming the sale, by a shopper the waiting room lets
 * through (waitroom_admitted); others are told to wait their turn (403,
 * wait_sale set). Lowering a line already in the cart needs no turn. */
static enum err sale_terms(struct ctx *c, struct cart_sku *s, int qty, enum cart_mode mode, struct cart_refusal *no)
{
	struct sale_offer o;
	enum err e;

	if (qty <= 0 || (e = sales_offer(c->db, c->a, s->id, (int64_t)time(NULL), &o)) || o.state != SALE_LIVE)
		return qty <= 0 ? E_OK : e;
	{
		struct cart *k = NULL;
		int have = 0;

		if ((e = cart_load(c, &k)))
			return e;
		for (size_t i = 0; i < k->n; i++)
			if (k->lines[i].sku_id == s->id)
				have = k->lines[i].sale_id == o.sale_id ? k->lines[i].quantity : 0;
		if (mode == CART_SET && have >= qty)
			return E_OK;
		/* The limit per customer, told now rather than at checkout
		 * (where it is enforced, over every order of the buyer). */
		if ((mode == CART_ADD ? have + qty : qty) > o.per_customer) {
			no->status = 409;
			no->heading = "Flash sale limit per customer";
			no->available = o.per_customer;
			no->message = arena_printf(c->a, "The flash sale allows at most %d of %s per customer.",
						   o.per_customer, s->title);
			return E_OK;
		}
	}
	if (!waitroom_admitted(c, o.sale_id)) {
		no->status = 403;
		no->heading = "Please wait for your turn";
		no->message = arena_printf(c->a, "%s is in a flash sale and many shoppers want it: please take a "
					   "place in the queue; we will let you in as soon as it is your turn.", s->title);
		no->wait_sale = o.sale_id;
		return E_OK;
	}
	s->sale_id = o.sale_id;
	s->price = o.price;
	s->available = o.left;
	return E_OK;
}

int64_t cart_sale_wait(struct ctx *c, const struct cart *k)
{
	for (size_t i = 0; k && i < k->n; i++)
		if (k->lines[i].on_sale && !waitroom_admitted(c, k->lines[i].sale_id))
			return k->lines[i].sale_id;
	return 0;
}

enum err cart_reply_wait(struct ctx *c, int64_t sale_id, int html)
{
	const char *url = waitroom_url(c, sale_id);
	enum err e;

	if (html) {
		if (waitroom_join(c, sale_id))
			return reply_error(c, 503, "The sale's queue cannot be reached just now: please try again.");
		return reply_redirect(c, 303, url);
	}
	e = reply_error_titled(c, 403, "Please wait for your turn",
			       "Your cart has an item of a flash sale that many shoppers want: please take a place "
			       "in the queue; we will let you in as soon as it is your turn.");
	if (!e && c->resp->model)
		json_object_set_new(json_object_get(c->resp->model, "error"), "waitUrl", json_string(url));
	return e;
}

void cart_sale_used(struct ctx *c, const struct cart *k)
{
	for (size_t i = 0; k && i < k->n; i++)
		if (k->lines[i].on_sale)
			waitroom_used(c, k->lines[i].sale_id);
}

/* Applies one change to the visitor's cart. E_OK with no->status 0 when done,
 * E_OK with no->status set when refused (nothing changed), else an error. */
/* *raised (may be NULL): a CART_SET made the line larger than it was. */
static enum err change(struct ctx *c, const char *code, int qty, enum cart_mode mode, struct cart_refusal *no,
		       int *raised)
{
	int64_t ifv = if_match(c);
	struct cart_sku s = { 0 };
	struct cart_owner o;
	int before = 0;
	enum err e;

	memset(no, 0, sizeof(*no));
	if (raised)
		*raised = 0;
	if (ifv == -2) {
		no->status = 400;
		no->message = "If-Match: must be a cart version, as given by the ETag header.";
		return E_OK;
	}
	if ((e = cart_find_sku(c->db, c->a, code, qty, mode, &s, no)) || no->status)
		return e;
	if ((e = sale_terms(c, &s, qty, mode, no)) || no->status)
		return e;
	if (!c->sess && !session_csrf(c))
		return E_UNAVAIL;	/* a tokenless first add: the session starts here */
	o = cart_owner_of(c);
	/* Issue 19, reports: a set that raises a line is an add to cart in
	 * the funnel; the change itself says what the line held. */
	if ((e = cart_apply(c->db, c->kv, c->a, &o, &s, qty, mode, ifv, no, &before)))
		return e;
	if (raised && mode == CART_SET && !no->status && qty > before)
		*raised = 1;
	return E_OK;
}

/* ---- the view: one model for the page and the API ---- */

static const char *options_label(struct arena *a, const char *opts, json_t **obj)
{
	json_t *o = opts ? json_loads(opts, 0, NULL) : NULL, *v;
	const char *k;
	struct buf b;

	buf_init(&b, a, 64);
	if (json_is_object(o))
		json_object_foreach(o, k, v)
			if (json_is_string(v))
				buf_printf(&b, "%s%s: %s", b.len ? ", " : "", k, json_string_value(v));
	*obj = json_is_object(o) ? o : (json_decref(o), json_object());
	return b.len ? b.p : "";
}

static json_t *line_json(struct ctx *c, const struct cart_line *l, int html, int *problem)
{
	json_t *opts, *o;
	const char *status, *msg = NULL;
	const char *label = options_label(c->a, l->options, &opts);

	*problem = 1;
	if (!l->sellable) {
		status = "unavailable";
		msg = "No longer available. Remove it to check out.";
	} else if (l->available <= 0) {
		status = "out_of_stock";
		msg = "Out of stock. Remove it to check out, or keep it here until it is back.";
	} else if (l->quantity > l->available) {
		status = "insufficient_stock";
		msg = arena_printf(c->a, "Only %lld left: lower the quantity to check out.", (long long)l->available);
	} else {
		*problem = 0;
		status = l->available <= LOW_STOCK ? "low_stock" : "in_stock";
		if (l->available <= LOW_STOCK)
			msg = arena_printf(c->a, "Only %lld left.", (long long)l->available);
	}
	o = json_object();
	json_object_set_new(o, "itemId", json_string(l->code));
	json_object_set_new(o, "productId", json_integer(l->product_id));
	json_object_set_new(o, "title", json_string(l->title));
	json_object_set_new(o, "url", json_string(arena_printf(c->a, "/p/%s", l->slug)));
	json_object_set_new(o, "image", json_string(catalog_image(c->a, l->title, l->thumbnail)));
	json_object_set_new(o, "options", opts);
	json_object_set_new(o, "optionsLabel", json_string(label));
	json_object_set_new(o, "quantity", json_integer(l->quantity));
	json_object_set_new(o, "unitPrice", json_integer(l->price));
	json_object_set_new(o, "addedPrice", json_integer(l->added_price));
	json_object_set_new(o, "priceChanged", json_boolean(l->sellable && l->price != l->added_price));
	json_object_set_new(o, "lineTotal", json_integer(l->price * l->quantity));
	json_object_set_new(o, "currency", json_string(l->currency ? l->currency : "USD"));
	json_object_set_new(o, "available", json_integer(l->available > 0 ? l->available : 0));
	json_object_set_new(o, "weightGrams", json_integer(l->weight_g));
	json_object_set_new(o, "status", json_string(status));
	/* SALES: the sale that prices the line, or that did (now over). */
	json_object_set_new(o, "saleId", l->sale_id ? json_integer(l->sale_id) : json_null());
	json_object_set_new(o, "onSale", json_boolean(l->on_sale));
	json_object_set_new(o, "regularPrice", json_integer(l->regular_price));
	if (l->on_sale)
		json_object_set_new(o, "saleNote", json_string("Flash sale price"));
	else if (l->sale_id)
		json_object_set_new(o, "saleNote", json_string("Sale over: regular price"));
	json_object_set_new(o, "message", msg ? json_string(msg) : json_null());
	if (html) {
		/* What the stepper's buttons send; logic-less templates cannot add. */
		json_object_set_new(o, "qtyMinus", json_integer(l->quantity - 1));
		json_object_set_new(o, "qtyPlus", json_integer(l->quantity + 1));
		if (l->quantity < CART_MAX_QTY && l->sellable && l->quantity < l->available)
			json_object_set_new(o, "canIncrease", json_true());
		if (l->sellable && l->price != l->added_price)
			json_object_set_new(o, l->price > l->added_price ? "priceUp" : "priceDown", json_true());
	}
	return o;
}

/* Fills model m with the cart (the API's answer and the page's model). */
static void cart_json(struct ctx *c, const struct cart *k, json_t *m, int html)
{
	json_t *items = json_array();
	int64_t subtotal = 0;
	long count = 0, changes = 0, problems = 0;

	for (size_t i = 0; i < k->n; i++) {
		const struct cart_line *l = &k->lines[i];
		int problem;

		json_array_append_new(items, line_json(c, l, html, &problem));
		count += l->quantity;
		problems += problem;
		if (l->sellable) {
			subtotal += l->price * l->quantity;
			changes += l->price != l->added_price;
		}
	}
	json_object_set_new(m, "items", items);
	json_object_set_new(m, "count", json_integer(count));
	json_object_set_new(m, "lines", json_integer((json_int_t)k->n));
	json_object_set_new(m, "subtotal", json_integer(subtotal));
	json_object_set_new(m, "currency", json_string(k->n && k->lines[0].currency ? k->lines[0].currency : "USD"));
	json_object_set_new(m, "priceChanges", json_integer(changes));
	json_object_set_new(m, "problems", json_integer(problems));
	json_object_set_new(m, "version", json_integer(k->version));
	/* The cart's id (POST /checkout's cartId): a signed-in shopper's cart
	 * is keyed by the user id; a guest's has none (null). */
	json_object_set_new(m, "id", k->user_id ? json_integer(k->user_id) : json_null());
	json_object_set_new(m, "maxQuantity", json_integer(CART_MAX_QTY));
	json_object_set_new(m, "maxLines", json_integer(CART_MAX_LINES));
	resp_header(c->resp, arena_printf(c->a, "ETag: \"%lld\"", (long long)k->version));
}

/* Answers with the visitor's cart as it is now: the page (html) or JSON. */
static enum err reply_cart(struct ctx *c, int status, const char *notice)
{
	struct cart *k = NULL;
	enum err e = cart_load(c, &k);
	json_t *m;
	int html = !c->req->wants_json;

	if (!e)
		e = fx_cart_for_request(c, k);	/* CURRENCIES (issue 19): the shopper's currency */
	if (e)
		return e;
	if (!(m = reply_model(c, "cart", "Shopping cart")))
		return E_NOMEM;
	cart_json(c, k, m, html);
	c->resp->status = status;
	if (html) {
		long changes = (long)json_integer_value(json_object_get(m, "priceChanges"));

		if (notice)
			c->notice = notice;
		else if (changes)
			c->notice = arena_printf(c->a, "The price of %ld %s in your cart has changed since you added %s. "
						 "The new prices are shown below.", changes,
						 changes == 1 ? "item" : "items", changes == 1 ? "it" : "them");
		int64_t ids[10];
		size_t n = 0;

		/* "Frequently bought together" and recently viewed (app/recs). */
		for (size_t i = 0; i < k->n && n < sizeof(ids) / sizeof(ids[0]); i++)
			if (k->lines[i].product_id > 0)
				ids[n++] = k->lines[i].product_id;
		recs_cart_sections(c, m, ids, n);
		/* "Saved for later" (app/wishlist): the default list. */
		wishlist_cart_sections(c, m);
		json_object_set_new(m, "cartCount", json_integer((json_int_t)json_integer_value(json_object_get(m, "count"))));
		if (json_integer_value(json_object_get(m, "count")) == 1)
			json_object_set_new(m, "oneUnit", json_true());
	} else if (notice) {
		json_object_set_new(m, "message", json_string(notice));
	}
	return E_OK;
}

/* A refused change: the API answers the error (with what is left for 409);
 * the page shows the cart with the message. */
static enum err reply_refusal(struct ctx *c, const struct cart_refusal *no)
{
	if (c->req->wants_json) {
		enum err e = reply_error_titled(c, no->status, no->heading, no->message);

		if (!e && no->status == 409 && c->resp->model)
			json_object_set_new(json_object_get(c->resp->model, "error"), "available",
					    json_integer(no->available > 0 ? no->available : 0));
		if (!e && no->wait_sale && c->resp->model)
			json_object_set_new(json_object_get(c->resp->model, "error"), "waitUrl",
					    json_string(waitroom_url(c, no->wait_sale)));
		return e;
	}
	return reply_cart(c, no->status, no->message);
}

/* ---- handlers ---- */

enum err h_cart(struct ctx *c)
{
	return reply_cart(c, 200, NULL);
}

enum err h_api_cart_get(struct ctx *c)
{
	return reply_cart(c, 200, NULL);
}

/* Form posts end in a redirect to the cart (POST, then GET), with a flash. */
static enum err form_change(struct ctx *c, enum cart_mode mode, int qty)
{
	struct cart_refusal no;
	int raised;
	enum err e = change(c, ctx_str(c, "itemId"), qty, mode, &no, &raised);

	if (e)
		return e;
	if (no.status == 403 && no.wait_sale) {
		/* SALES: the form joins the queue and shows the waiting page. */
		session_csrf(c);
		if (waitroom_join(c, no.wait_sale))
			return reply_error(c, 503, "The sale's queue cannot be reached just now: please try again.");
		return reply_redirect(c, 303, waitroom_url(c, no.wait_sale));
	}
	if (no.status && mode == CART_ADD && no.status != 400) {
		/* Not the cart page as the answer to the POST (a refresh would
		 * post again): the reason, shown on the cart after a redirect. */
		session_csrf(c);	/* a session to carry it, if this was the first visit */
		session_flash(c, no.message);
		return reply_redirect(c, 303, "/cart");
	}
	if (no.status)
		return reply_refusal(c, &no);
	if (mode == CART_ADD || raised)
		reports_hook_cart(c);	/* issue 19, reports: the funnel's adds (a raised quantity is one) */
	if (mode == CART_ADD)
		session_flash(c, arena_printf(c->a, "Added %d × %s to your cart.", qty, no.title));
	return reply_redirect(c, 303, "/cart");
}

enum err h_cart_add(struct ctx *c)
{
	return form_change(c, CART_ADD, (int)ctx_int(c, "quantity", 1));
}

enum err h_cart_update(struct ctx *c)
{
	return form_change(c, CART_SET, ctx_has(c, "remove") ? 0 : (int)ctx_int(c, "quantity", 1));
}

static enum err api_change(struct ctx *c, enum cart_mode mode, int qty)
{
	struct cart_refusal no;
	int raised;
	enum err e = change(c, ctx_str(c, "itemId"), qty, mode, &no, &raised);

	if (e)
		return e;
	if (no.status)
		return reply_refusal(c, &no);
	if (mode == CART_ADD || raised)
		reports_hook_cart(c);	/* issue 19, reports: the funnel's adds */
	return reply_cart(c, 200, NULL);
}

enum err h_api_cart_patch(struct ctx *c)
{
	return api_change(c, CART_SET, (int)ctx_int(c, "quantity", 0));
}

enum err h_api_cart_add(struct ctx *c)
{
	return api_change(c, CART_ADD, (int)ctx_int(c, "quantity", 1));
}

/* Empties the cart (If-Match honoured). */
static enum err clear(struct ctx *c, struct cart_refusal *no)
{
	int64_t ifv = if_match(c);
	struct cart_owner o = cart_owner_of(c);

	memset(no, 0, sizeof(*no));
	if (ifv == -2) {
		no->status = 400;
		no->message = "If-Match: must be a cart version, as given by the ETag header.";
		return E_OK;
	}
	return cart_clear(c->db, c->kv, c->a, &o, ifv, no);
}

enum err h_cart_clear(struct ctx *c)
{
	struct cart_refusal no;
	enum err e = clear(c, &no);

	if (e)
		return e;
	if (no.status)
		return reply_refusal(c, &no);
	session_flash(c, "Your cart is empty now.");
	return reply_redirect(c, 303, "/cart");
}

enum err h_api_cart_delete(struct ctx *c)
{
	struct cart_refusal no;
	enum err e = clear(c, &no);

	if (e)
		return e;
	if (no.status)
		return reply_refusal(c, &no);
	return reply_cart(c, 200, NULL);
}

/* The shopper has seen the new prices: they become the lines' snapshots. */
static enum err accept(struct ctx *c)
{
	struct cart_owner o = cart_owner_of(c);

	return cart_accept_prices(c->db, c->kv, c->a, &o);
}

enum err h_cart_accept(struct ctx *c)
{
	enum err e = accept(c);

	if (e)
		return e;
	session_flash(c, "Thank you. Your cart now uses the current prices.");
	return reply_redirect(c, 303, "/cart");
}

enum err h_api_cart_accept(struct ctx *c)
{
	enum err e = accept(c);

	return e ? e : reply_cart(c, 200, NULL);
}
