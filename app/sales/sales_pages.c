/* Flash sales: pages and JSON API (sales_pages.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../core/text.h"
#include "../core/buf.h"
#include "../view/escape.h"
#include "../store/db.h"
#include "../http/router.h"
#include "../http/resp.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../account/session_store.h"
#include "../account/session_pages.h"
#include "../waitroom/waitroom_pages.h"
#include "../cart/cart_pages.h"
#include "sales.h"
#include "sales_pages.h"

static int64_t path_id(const struct ctx *c)
{
	const char *s = c->req->pathvar[0];
	int64_t id;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

/* The status a shopper should read: a live sale past its end is over even
 * before the job has closed it. */
static const char *status_now(const struct sale *s, int64_t now)
{
	if (s->status == SALE_ST_LIVE && now >= s->ends_at)
		return "ended";
	return sale_status_name(s->status);
}

static json_t *sale_json(struct ctx *c, const struct sale *s, int64_t now)
{
	json_t *o = json_object(), *items = json_array();

	json_object_set_new(o, "id", json_integer(s->id));
	json_object_set_new(o, "name", json_string(s->name ? s->name : ""));
	json_object_set_new(o, "startsAt", json_string(sales_time(c->a, s->starts_at)));
	json_object_set_new(o, "endsAt", json_string(sales_time(c->a, s->ends_at)));
	json_object_set_new(o, "status", json_string(status_now(s, now)));
	json_object_set_new(o, "shards", json_integer(s->shards));
	json_object_set_new(o, "url", json_string(arena_printf(c->a, "/sales/%lld", (long long)s->id)));
	json_object_set_new(o, "waitUrl", json_string(waitroom_url(c, s->id)));
	for (size_t i = 0; i < s->n; i++) {
		const struct sale_item *it = &s->items[i];
		json_t *j = json_object();

		json_object_set_new(j, "itemId", json_string(it->code ? it->code : ""));
		json_object_set_new(j, "productId", json_integer(it->product_id));
		json_object_set_new(j, "title", json_string(it->title ? it->title : ""));
		json_object_set_new(j, "url", json_string(arena_printf(c->a, "/p/%s", it->slug ? it->slug : "")));
		json_object_set_new(j, "price", json_integer(it->price));
		json_object_set_new(j, "regularPrice", json_integer(it->regular));
		json_object_set_new(j, "currency", json_string(it->currency ? it->currency : "USD"));
		json_object_set_new(j, "quantity", json_integer(it->quantity));
		json_object_set_new(j, "left", json_integer(s->status == SALE_ST_LIVE && now >= s->ends_at ? 0 : it->left));
		json_object_set_new(j, "sold", json_integer(it->sold));
		json_object_set_new(j, "perCustomer", json_integer(it->per_customer));
		json_array_append_new(items, j);
	}
	json_object_set_new(o, "items", items);
	return o;
}

static enum err reply_sale(struct ctx *c, const struct sale *s, int64_t now)
{
	json_t *m = reply_model(c, NULL, NULL), *o;

	if (!m || !(o = sale_json(c, s, now)))
		return E_NOMEM;
	json_object_update(m, o);
	json_decref(o);
	return E_OK;
}

/* ---- the product page ---- */

/* SHOP_SALE_SHARED_PAGES=0 turns the shared sale pages off (the page is
 * then rendered per visitor, as any product page). */
static int shared_pages = -1;

static int shared_on(void)
{
	if (shared_pages < 0) {
		const char *v = getenv("SHOP_SALE_SHARED_PAGES");

		shared_pages = !(v && !strcmp(v, "0"));
	}
	return shared_pages;
}

int sales_page_shared(struct ctx *c, json_t *m)
{
	const json_t *b = json_object_get(m, "saleBlock");

	/* Browsers only: the shared copy is the HTML page. */
	return shared_on() && c->sess && !c->req->wants_json && json_is_true(json_object_get(b, "live")) &&
	       (c->req->method == M_GET || c->req->method == M_HEAD);
}

/* The buy box's per-request part: the counter and the form. */
enum err h_sale_buy_fragment(struct ctx *c)
{
	int64_t id = path_id(c), now = (int64_t)time(NULL), sku_id = 0;
	const char *code = c->req->pathvar[1];
	struct buf *b = &c->resp->body;
	struct sale_offer o;
	enum err e;

	c->resp->content_type = "text/html; charset=utf-8";
	if (!id || (e = sales_sku_of_code(c->db, c->a, code, now, &sku_id)))
		return id ? e : E_NOTFOUND;
	memset(&o, 0, sizeof(o));
	if (sku_id && (e = sales_offer(c->db, c->a, sku_id, now, &o)))
		return e;
	if (o.sale_id != id || o.state == SALE_NONE || o.state == SALE_UPCOMING) {
		buf_puts(b, "<p class=\"sale-countdown\">The sale is not on now: reload the page.</p>\n");
		return E_OK;
	}
	if (o.state == SALE_OVER) {
		buf_puts(b, "<p class=\"sale-countdown\"><strong>Sold out</strong>: every unit of the sale is gone. "
			    "Reload the page for the ordinary price.</p>\n");
		return E_OK;
	}
	buf_printf(b, "<p class=\"sale-countdown\" id=\"sale-left\"><strong>Ends in %s</strong> · %lld of %lld left · "
		   "at most %d per customer</p>\n", sales_countdown(c->a, o.ends_at - now), (long long)o.left,
		   (long long)o.quantity, o.per_customer);
	buf_puts(b, "<form method=\"post\" action=\"/cart/add\" class=\"add-to-cart\">\n");
	if (c->sess && c->sess->csrf[0]) {
		buf_puts(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
		esc_attr(b, c->sess->csrf, strlen(c->sess->csrf));
		buf_puts(b, "\">\n");
	}
	buf_puts(b, "<input type=\"hidden\" name=\"itemId\" value=\"");
	esc_attr(b, code, strlen(code));
	buf_puts(b, "\">\n<p class=\"buy\">\n<label for=\"qty\">Quantity</label>\n"
		    "<input id=\"qty\" type=\"number\" name=\"quantity\" value=\"1\" min=\"1\" max=\"99\" "
		    "inputmode=\"numeric\" required>\n"
		    "<button type=\"submit\" class=\"primary btn btn-primary\">Add to cart at the sale price</button>\n"
		    "</p>\n</form>\n");
	return E_OK;
}

/* The header's account links and cart count, as the layout prints them. */
enum err h_sale_account_fragment(struct ctx *c)
{
	struct buf *b = &c->resp->body;
	long n = c->sess ? cart_count(c) : 0;

	c->resp->content_type = "text/html; charset=utf-8";
	if (c->sess && c->sess->uid > 0) {
		buf_puts(b, "<nav class=\"account-links signed-in\" aria-label=\"Your account\">\n"
			    "<a href=\"/orders\">Orders</a>\n<a href=\"/account\" class=\"account-link\">"
			    "<span class=\"hello\">Hello, ");
		esc_html(b, c->sess->name ? c->sess->name : "", c->sess->name ? strlen(c->sess->name) : 0);
		buf_puts(b, "</span> <span>Account</span></a>\n");
		if (c->sess->is_seller)
			buf_puts(b, "<a href=\"/seller/\">Seller dashboard</a>\n");
		buf_puts(b, "<form method=\"post\" action=\"/signout\" class=\"inline-form\">\n"
			    "<input type=\"hidden\" name=\"csrf\" value=\"");
		esc_attr(b, c->sess->csrf, strlen(c->sess->csrf));
		buf_puts(b, "\">\n<button type=\"submit\" class=\"link-button\">Sign out</button>\n</form>\n</nav>\n");
	} else {
		buf_puts(b, "<nav class=\"account-links\" aria-label=\"Your account\">\n<a href=\"/signin\">Sign in</a>\n"
			    "<a href=\"/register\">Register</a>\n</nav>\n");
	}
	buf_printf(b, "<a href=\"/wishlist\" class=\"cart-link saved-link\">Saved</a>\n"
		   "<a href=\"/cart\" class=\"cart-link\">Cart <span class=\"cart-count\">%ld</span>"
		   "<span class=\"visually-hidden\"> items</span></a>\n", n);
	return E_OK;
}

void sales_product_sections(struct ctx *c, json_t *m)
{
	const json_t *choice = json_object_get(m, "choice");
	const char *code = json_string_value(json_object_get(choice, "sku"));
	int64_t now = (int64_t)time(NULL), sku_id = 0;
	struct sale_offer o;
	json_t *b;
	enum err e;

	if (!code)
		return;
	if ((e = sales_sku_of_code(c->db, c->a, code, now, &sku_id)) || !sku_id ||
	    (e = sales_offer(c->db, c->a, sku_id, now, &o)) || o.state == SALE_NONE) {
		if (e)
			log_warn("sales: the product page's sale left out: %s", err_str(e));
		return;
	}
	if (o.state == SALE_OVER)
		return;	/* sold out: the ordinary price, as after it */
	b = json_object();
	json_object_set_new(b, "saleId", json_integer(o.sale_id));
	json_object_set_new(b, "saleName", json_string(o.name ? o.name : ""));
	json_object_set_new(b, "saleUrl", json_string(arena_printf(c->a, "/sales/%lld", (long long)o.sale_id)));
	json_object_set_new(b, "salePrice", json_integer(o.price));
	json_object_set_new(b, "regularPrice", json_object_get(choice, "price") ?
			    json_incref(json_object_get(choice, "price")) : json_integer(0));
	json_object_set_new(b, "perCustomer", json_integer(o.per_customer));
	json_object_set_new(b, "startsAt", json_string(sales_time(c->a, o.starts_at)));
	json_object_set_new(b, "endsAt", json_string(sales_time(c->a, o.ends_at)));
	if (o.state == SALE_UPCOMING) {
		json_object_set_new(b, "upcoming", json_true());
		json_object_set_new(b, "countdown", json_string(now < o.starts_at ?
			arena_printf(c->a, "Starts in %s", sales_countdown(c->a, o.starts_at - now)) :
			"Starting now: reload in a moment"));
		json_object_set_new(b, "units", json_integer(o.quantity));
	} else {
		json_object_set_new(b, "live", json_true());
		json_object_set_new(b, "countdown", json_string(arena_printf(c->a, "Ends in %s",
			sales_countdown(c->a, o.ends_at - now))));
		json_object_set_new(b, "left", json_integer(o.left));
		json_object_set_new(b, "leftText", json_string(arena_printf(c->a, "%lld of %lld left",
			(long long)o.left, (long long)o.quantity)));
		json_object_set_new(b, "waitUrl", json_string(waitroom_url(c, o.sale_id)));
		/* A live sale's page is the same for everyone (nginx caches it,
		 * signed in or not): the counter, the buy form and the header's
		 * account links come per request through SSI. */
		if (!c->sess && shared_on()) {
			struct buf u;

			buf_init(&u, c->a, 96);
			buf_printf(&u, "/_sale_frag/sales/%lld/buy/", (long long)o.sale_id);
			esc_url(&u, code, strlen(code));
			json_object_set_new(m, "saleShared", json_pack("{s:s, s:s}", "buy", u.p,
				"account", "/_sale_frag/sales/fragment/account"));
		}
	}
	json_object_set_new(m, "saleBlock", b);
}

/* ---- scheduling ---- */

static enum err reply_problems(struct ctx *c, const struct sale_problem *bad)
{
	json_t *fields = json_array(), *err;
	enum err e;
	const char *msg = bad->n ? arena_printf(c->a, "%s: %s", bad->field[0], bad->message[0]) : "Please check the sale.";

	e = reply_error_titled(c, 422, "That sale cannot be scheduled", msg);
	for (int i = 0; i < bad->n; i++)
		json_array_append_new(fields, json_pack("{s:s, s:s}", "field", bad->field[i], "message", bad->message[i]));
	err = c->resp->model ? json_object_get(c->resp->model, "error") : NULL;
	if (!e && err)
		json_object_set_new(err, "fields", fields);
	else
		json_decref(fields);
	return e;
}

/* Who schedules: a seller (their SKUs) or an admin (anyone's); 0 for a
 * shopper. */
static int may_schedule(const struct ctx *c, int64_t *seller_id)
{
	*seller_id = 0;
	if (!c->sess || c->sess->uid <= 0)
		return 0;
	if (c->sess->is_admin)
		return 1;
	if (c->sess->seller_id > 0) {
		*seller_id = c->sess->seller_id;
		return 1;
	}
	return 0;
}

static int64_t json_whole(const json_t *v, int64_t bad)
{
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : bad;
}

enum err h_api_sale_new(struct ctx *c)
{
	json_t *body = c->req->json, *items = json_object_get(body, "items"), *v;
	struct sale_item_new *it;
	struct sale_new in;
	struct sale_problem bad;
	struct sale s;
	int64_t id, now = (int64_t)time(NULL);
	size_t n = json_is_array(items) ? json_array_size(items) : 0, i;
	enum err e;

	memset(&in, 0, sizeof(in));
	memset(&bad, 0, sizeof(bad));
	if (!may_schedule(c, &in.seller_id))
		return reply_error(c, 403, "Only sellers and admins can schedule sales.");
	in.created_by = c->sess->uid;
	in.name = json_string_value(json_object_get(body, "name"));
	if (in.name && strlen(in.name) > 120) {
		bad.field[bad.n] = "name";
		bad.message[bad.n++] = "at most 120 characters";
	}
	if (sales_parse_time(json_string_value(json_object_get(body, "startsAt")), &in.starts_at))
		in.starts_at = 0;
	if (sales_parse_time(json_string_value(json_object_get(body, "endsAt")), &in.ends_at))
		in.ends_at = 0;
	v = json_object_get(body, "shards");
	in.shards = (int)(v && !json_is_null(v) ? json_whole(v, 0) : 8);
	if (items && !json_is_array(items)) {
		bad.field[bad.n] = "items";
		bad.message[bad.n++] = "a list of items";
	}
	if (n > SALE_MAX_ITEMS)
		n = SALE_MAX_ITEMS + 1;	/* refused as too many */
	if (!(it = arena_calloc(c->a, n + 1, sizeof(*it))))
		return E_NOMEM;
	for (i = 0; i < n && i < SALE_MAX_ITEMS; i++) {
		json_t *x = json_array_get(items, i);

		it[i].code = json_string_value(json_object_get(x, "itemId"));
		it[i].price = json_whole(json_object_get(x, "price"), 0);
		it[i].quantity = json_whole(json_object_get(x, "quantity"), 0);
		it[i].per_customer = (int)json_whole(json_object_get(x, "perCustomer"), 0);
	}
	in.items = it;
	in.n = n;
	if (bad.n)
		return reply_problems(c, &bad);
	e = sales_create(c->db, c->a, &in, now, &bad, &id);
	if (e == E_INVAL)
		return reply_problems(c, &bad);
	if (e)
		return e;
	if ((e = sales_get(c->db, c->a, id, &s)))
		return e;
	if ((e = reply_sale(c, &s, now)))
		return e;
	c->resp->status = 201;
	resp_header(c->resp, arena_printf(c->a, "Location: /api/sales/%lld", (long long)id));
	return E_OK;
}

enum err h_api_sale(struct ctx *c)
{
	int64_t id = path_id(c);
	struct sale s;
	enum err e;

	if (!id)
		return E_NOTFOUND;
	if ((e = sales_get(c->db, c->a, id, &s)))
		return e;
	return reply_sale(c, &s, (int64_t)time(NULL));
}

static enum err cancel(struct ctx *c, int64_t *id)
{
	int64_t seller = 0;

	*id = path_id(c);
	if (!*id || !may_schedule(c, &seller))
		return E_NOTFOUND;
	return sales_cancel(c->db, c->a, *id, seller);
}

enum err h_api_sale_cancel(struct ctx *c)
{
	struct sale s;
	int64_t id;
	enum err e = cancel(c, &id);

	if (e == E_CONFLICT)
		return reply_error_titled(c, 409, "That sale is over", "This sale has ended or was cancelled already.");
	if (e || (e = sales_get(c->db, c->a, id, &s)))
		return e;
	return reply_sale(c, &s, (int64_t)time(NULL));
}

enum err h_sale_cancel(struct ctx *c)
{
	int64_t id;
	enum err e = cancel(c, &id);

	if (e && e != E_CONFLICT)
		return e;
	session_flash(c, e ? "That sale is over already." : "The sale is cancelled.");
	return reply_redirect(c, 303, c->sess->is_admin && !c->sess->seller_id ? "/admin/sales" : "/seller/sales");
}

/* ---- pages ---- */

/* A sale's model for the pages: the API's, with the countdown text. */
static json_t *sale_page_json(struct ctx *c, const struct sale *s, int64_t now)
{
	json_t *o = sale_json(c, s, now);
	const char *st = status_now(s, now);

	if (!strcmp(st, "scheduled")) {
		json_object_set_new(o, "upcoming", json_true());
		json_object_set_new(o, "countdown", json_string(now < s->starts_at ?
			arena_printf(c->a, "Starts in %s", sales_countdown(c->a, s->starts_at - now)) :
			"Starting now: reload in a moment"));
	} else if (!strcmp(st, "live")) {
		json_object_set_new(o, "live", json_true());
		json_object_set_new(o, "countdown", json_string(arena_printf(c->a, "Ends in %s",
			sales_countdown(c->a, s->ends_at - now))));
	} else {
		json_object_set_new(o, "over", json_true());
	}
	if (!strcmp(st, "scheduled") || !strcmp(st, "live"))
		json_object_set_new(o, "cancelUrl", json_string(arena_printf(c->a, "/sales/%lld/cancel", (long long)s->id)));
	json_object_set_new(o, "statusText", json_string(!strcmp(st, "scheduled") ? "Scheduled" :
		!strcmp(st, "live") ? "Live now" : !strcmp(st, "ended") ? "Ended" : "Cancelled"));
	return o;
}

enum err h_sale_page(struct ctx *c)
{
	int64_t id = path_id(c), now = (int64_t)time(NULL);
	struct sale s;
	json_t *m;
	enum err e;

	if (!id)
		return E_NOTFOUND;
	if ((e = sales_get(c->db, c->a, id, &s)))
		return e;
	if (!(m = reply_model(c, "sale", arena_strdup(c->a, s.name))))
		return E_NOMEM;
	json_object_set_new(m, "sale", sale_page_json(c, &s, now));
	return E_OK;
}

static enum err list_page(struct ctx *c, const char *view, const char *title, int64_t seller_id)
{
	struct sale *v = NULL;
	size_t n = 0;
	int64_t now = (int64_t)time(NULL);
	json_t *m, *list;
	enum err e;

	if ((e = sales_list(c->db, c->a, seller_id, &v, &n)))
		return e;
	if (!(m = session_form_page(c, view, title, 200)) || !(list = json_array()))
		return E_NOMEM;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, sale_page_json(c, &v[i], now));
	json_object_set_new(m, "sales", list);
	return E_OK;
}

enum err h_seller_sales(struct ctx *c)
{
	return list_page(c, "seller_sales", "Flash sales", c->sess->seller_id);
}

enum err h_admin_sales(struct ctx *c)
{
	return list_page(c, "admin_sales", "Flash sales", 0);
}

static enum err sale_form(struct ctx *c, int status, const struct sale_problem *bad)
{
	json_t *m = session_form_page(c, "seller_sale_new", "New flash sale", status), *f, *errs;
	static const char *const names[] = { "name", "startsAt", "endsAt", "itemId", "price", "quantity", "perCustomer" };

	if (!m || !(f = json_object()) || !(errs = json_array()))
		return E_NOMEM;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (ctx_str(c, names[i]))
			json_object_set_new(f, names[i], json_string(ctx_str(c, names[i])));
	for (int i = 0; bad && i < bad->n; i++)
		json_array_append_new(errs, json_pack("{s:s, s:s}", "field", bad->field[i], "message", bad->message[i]));
	json_object_set_new(m, "form", f);
	json_object_set_new(m, "errors", errs);
	return E_OK;
}

enum err h_seller_sale_form(struct ctx *c)
{
	return sale_form(c, 200, NULL);
}

/* A time from the form: RFC 3339, or a browser's datetime-local
 * ("2026-12-24T18:00", taken as UTC, as the form says). */
static int form_time(struct arena *a, const char *s, int64_t *t)
{
	if (!s || !*s)
		return -1;
	if (!sales_parse_time(s, t))
		return 0;
	if (strlen(s) == 16 && !sales_parse_time(arena_printf(a, "%s:00Z", s), t))
		return 0;
	return sales_parse_time(arena_printf(a, "%sZ", s), t);
}

enum err h_seller_sale_create(struct ctx *c)
{
	struct sale_item_new it;
	struct sale_new in;
	struct sale_problem bad;
	int64_t id, v;
	enum err e;

	memset(&in, 0, sizeof(in));
	memset(&it, 0, sizeof(it));
	memset(&bad, 0, sizeof(bad));
	in.seller_id = c->sess->seller_id;
	in.created_by = c->sess->uid;
	in.name = ctx_str(c, "name");
	in.shards = 8;
	if (form_time(c->a, ctx_str(c, "startsAt"), &in.starts_at))
		in.starts_at = 0;
	if (form_time(c->a, ctx_str(c, "endsAt"), &in.ends_at))
		in.ends_at = 0;
	it.code = ctx_str(c, "itemId");
	it.price = money_parse(ctx_str(c, "price"), MONEY_DECIMAL, 100000000, &v) ? 0 : v;
	it.quantity = text_int64(ctx_str(c, "quantity"), 1, 1000000, &v) ? 0 : v;
	it.per_customer = text_int64(ctx_str(c, "perCustomer"), 1, 99, &v) ? 0 : (int)v;
	in.items = &it;
	in.n = 1;
	e = sales_create(c->db, c->a, &in, (int64_t)time(NULL), &bad, &id);
	if (e == E_INVAL) {
		/* The form names its fields without the list's index. */
		for (int i = 0; i < bad.n; i++)
			if (!strncmp(bad.field[i], "items[0].", 9))
				bad.field[i] += 9;
		return sale_form(c, 422, &bad);
	}
	if (e)
		return e;
	return reply_redirect(c, 303, arena_printf(c->a, "/sales/%lld", (long long)id));
}
