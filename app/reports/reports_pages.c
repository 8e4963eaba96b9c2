/* Reports: /admin/reports (each report a server-rendered SVG chart with
 * its table beside it), GET /api/admin/reports, and the CSV exports
 * (/admin/reports/export?report=...), all RF_ADMIN; the counting hooks the
 * product page, the cart and the search call (reports_pages.h).
 *
 * The charts are built here as text with every label escaped (esc_html:
 * SVG is XML, so the same five characters), role="img" with a <title> and
 * <desc> naming what they show; the table beside each carries the same
 * numbers for anyone who cannot see the chart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../store/db.h"
#include "../http/router.h"
#include "../http/resp.h"
#include "../http/server.h"
#include "../view/escape.h"
#include "../account/session_store.h"
#include "../account/session_pages.h"
#include "../fx/fx.h"
#include "csv.h"
#include "reports.h"
#include "reports_pages.h"

#define MAX_EXPORT 100000	/* rows of an orders export */
#define TOP 20			/* searches in a report */
#define CHART_ROWS 31		/* bars in a chart (the table has them all) */

/* ---- hooks of other modules' handlers ---- */

void reports_hook_view(struct ctx *c)
{
	reports_count(c->kv, c->a, RK_VIEW, "");
}

void reports_hook_cart(struct ctx *c)
{
	reports_count(c->kv, c->a, RK_CART, "");
}

void reports_hook_search(struct ctx *c, char *const *words, size_t n, int found_nothing)
{
	reports_count_search(c->kv, c->a, words, n, found_nothing);
}

/* ---- the date range ---- */

static int parse_day(const char *s, time_t *t)
{
	struct tm tm;
	char back[16];

	if (!s || strlen(s) != 10)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (!strptime(s, "%Y-%m-%d", &tm))
		return -1;
	*t = timegm(&tm);
	gmtime_r(t, &tm);
	strftime(back, sizeof(back), "%Y-%m-%d", &tm);
	return strcmp(back, s) ? -1 : 0;	/* 2026-02-31 is not a day */
}

static const char *day_text(struct arena *a, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return arena_printf(a, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

struct range {
	const char *from, *to;
	const char *field, *message;	/* a bad one */
};

/* from and to (UTC days, both included); by default the last 30 days. */
static void range_of(struct ctx *c, struct range *r)
{
	time_t now = time(NULL), f, t;

	memset(r, 0, sizeof(*r));
	r->to = ctx_str(c, "to") ? ctx_str(c, "to") : day_text(c->a, now);
	if (parse_day(r->to, &t)) {
		r->field = "to";
		r->message = "a day as YYYY-MM-DD";
		return;
	}
	r->from = ctx_str(c, "from") ? ctx_str(c, "from") : day_text(c->a, t - 29 * 86400);
	if (parse_day(r->from, &f)) {
		r->field = "from";
		r->message = "a day as YYYY-MM-DD";
		return;
	}
	if (f > t) {
		r->field = "from";
		r->message = "on or before to";
	} else if (t - f > 366 * 86400) {
		r->field = "from";
		r->message = "at most 366 days before to";
	}
}

static enum err reply_range(struct ctx *c, const struct range *r)
{
	enum err e = reply_error_titled(c, 422, "That date range cannot be shown",
					arena_printf(c->a, "%s: %s", r->field, r->message));
	json_t *err = c->resp->model ? json_object_get(c->resp->model, "error") : NULL;

	if (!e && err)
		json_object_set_new(err, "fields", json_pack("[{ss ss}]", "field", r->field, "message", r->message));
	return e;
}

/* ---- charts ---- */

static const char *money_text(struct arena *a, int64_t minor)
{
	struct buf b;

	buf_init(&b, a, 32);
	esc_money(&b, minor, fx_shop_currency());
	return b.oom ? "" : b.p;
}

/* A horizontal bar chart of the first CHART_ROWS rows: label, bar scaled
 * to the largest value, the value's text. id: unique on the page. */
static json_t *bar_chart(struct arena *a, const char *id, const char *title, const char *desc, size_t n,
			 const char *const *labels, const int64_t *values, const char *const *texts)
{
	struct buf b;
	int64_t max = 1;
	size_t rows = n < CHART_ROWS ? n : CHART_ROWS;
	int h = 8 + (int)rows * 22;
	json_t *v;

	for (size_t i = 0; i < rows; i++)
		if (values[i] > max)
			max = values[i];
	buf_init(&b, a, 4096);
	buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 400 %d\" role=\"img\" "
		   "aria-labelledby=\"%s-t %s-d\"><title id=\"%s-t\">", h, id, id, id);
	esc_html(&b, title, strlen(title));
	buf_printf(&b, "</title><desc id=\"%s-d\">", id);
	esc_html(&b, desc, strlen(desc));
	buf_puts(&b, "</desc>");
	for (size_t i = 0; i < rows; i++) {
		const char *l = labels[i] ? labels[i] : "";
		size_t len = strlen(l), cut = len;
		int y = 4 + (int)i * 22;
		int w = values[i] > 0 ? (int)((__int128)values[i] * 190 / max) : 0;

		/* Long labels cut at 22 bytes (on a character), the whole
		 * text in the table and in a <title> of the row. */
		if (len > 22)
			for (cut = 22; cut > 0 && ((unsigned char)l[cut] & 0xC0) == 0x80; cut--)
				;
		buf_printf(&b, "<g><title>");
		esc_html(&b, l, len);
		buf_puts(&b, ": ");
		esc_html(&b, texts[i], strlen(texts[i]));
		buf_printf(&b, "</title><text x=\"0\" y=\"%d\" font-size=\"11\">", y + 13);
		esc_html(&b, l, cut);
		if (cut < len)
			buf_puts(&b, "\xE2\x80\xA6");
		buf_printf(&b, "</text><rect x=\"132\" y=\"%d\" width=\"%d\" height=\"16\" rx=\"2\" class=\"bar\"/>"
			   "<text x=\"%d\" y=\"%d\" font-size=\"11\">", y + 1, w > 0 ? w : 1, 136 + w, y + 13);
		esc_html(&b, texts[i], strlen(texts[i]));
		buf_puts(&b, "</text></g>");
	}
	buf_puts(&b, "</svg>");
	if (b.oom)
		return NULL;
	v = view_safe_html(b.p);
	return v;
}

/* ---- the page ---- */

struct section {
	const char *key, *title, *note, *col1;
	int money;	/* sales: orders, units, amount; else a count */
	const struct report *r;
};

static json_t *section_json(struct ctx *c, const struct range *rg, const struct section *s)
{
	json_t *o = json_object(), *cols = json_array(), *rows = json_array(), *chart;
	const char **labels = arena_calloc(c->a, s->r->n + 1, sizeof(char *));
	const char **texts = arena_calloc(c->a, s->r->n + 1, sizeof(char *));
	int64_t *values = arena_calloc(c->a, s->r->n + 1, sizeof(int64_t));

	if (!labels || !texts || !values)
		return o;
	json_array_append_new(cols, json_string(s->col1));
	if (s->money) {
		json_array_append_new(cols, json_string("Orders"));
		json_array_append_new(cols, json_string("Units"));
		json_array_append_new(cols, json_string(arena_printf(c->a, "Sales (%s)", fx_shop_currency())));
	} else {
		json_array_append_new(cols, json_string("Count"));
	}
	for (size_t i = 0; i < s->r->n; i++) {
		const struct report_row *w = &s->r->rows[i];
		json_t *cells = json_array();

		labels[i] = w->label;
		values[i] = s->money ? w->amount : w->orders;
		texts[i] = s->money ? money_text(c->a, w->amount) : arena_printf(c->a, "%lld", (long long)w->orders);
		if (s->money) {
			json_array_append_new(cells, json_integer(w->orders));
			json_array_append_new(cells, json_integer(w->units));
		}
		json_array_append_new(cells, json_string(texts[i]));
		json_array_append_new(rows, json_pack("{ss so}", "head", w->label ? w->label : "", "cells", cells));
	}
	chart = bar_chart(c->a, s->key, s->title, arena_printf(c->a, "%s from %s to %s: %zu row%s%s.", s->title, rg->from,
			  rg->to, s->r->n, s->r->n == 1 ? "" : "s", s->r->n > CHART_ROWS ? " (the chart shows the first 31)" : ""),
			  s->r->n, labels, values, texts);
	json_object_set_new(o, "key", json_string(s->key));
	json_object_set_new(o, "title", json_string(s->title));
	json_object_set_new(o, "note", json_string(s->note));
	json_object_set_new(o, "cols", cols);
	json_object_set_new(o, "rows", rows);
	if (chart)
		json_object_set_new(o, "chart", chart);
	json_object_set_new(o, "csvUrl", json_string(arena_printf(c->a, "/admin/reports/export?report=%s&from=%s&to=%s",
								  s->key, rg->from, rg->to)));
	if (s->money && s->r->n)
		json_object_set_new(o, "total", json_pack("{sI sI ss}", "orders", (json_int_t)s->r->orders, "units",
							  (json_int_t)s->r->units, "amount", money_text(c->a, s->r->amount)));
	return o;
}

struct all {
	struct report day, cat, seller, top, empty, funnel;
	struct funnel f;
};

static enum err load_all(struct ctx *c, const struct range *rg, struct all *x)
{
	enum err e;

	if ((e = reports_sales_by_day(c->db, c->a, rg->from, rg->to, &x->day)) ||
	    (e = reports_sales_by_category(c->db, c->a, rg->from, rg->to, &x->cat)) ||
	    (e = reports_sales_by_seller(c->db, c->a, rg->from, rg->to, &x->seller)) ||
	    (e = reports_searches(c->db, c->a, rg->from, rg->to, 0, TOP, &x->top)) ||
	    (e = reports_searches(c->db, c->a, rg->from, rg->to, 1, TOP, &x->empty)) ||
	    (e = reports_funnel(c->db, c->a, rg->from, rg->to, &x->f)))
		return e;
	/* The funnel as a report of three rows. */
	memset(&x->funnel, 0, sizeof(x->funnel));
	if (!(x->funnel.rows = arena_calloc(c->a, 3, sizeof(struct report_row))))
		return E_NOMEM;
	x->funnel.rows[0].label = "Product views";
	x->funnel.rows[0].orders = x->f.views;
	x->funnel.rows[1].label = "Adds to cart";
	x->funnel.rows[1].orders = x->f.carts;
	x->funnel.rows[2].label = "Paid orders";
	x->funnel.rows[2].orders = x->f.orders;
	x->funnel.n = 3;
	return E_OK;
}

static const char *rate_text(struct arena *a, int64_t part, int64_t whole)
{
	if (whole <= 0)
		return "–";
	return arena_printf(a, "%.1f %%", 100.0 * (double)part / (double)whole);
}

enum err h_admin_reports(struct ctx *c)
{
	struct range rg;
	struct all x;
	json_t *m, *list;
	enum err e;

	range_of(c, &rg);
	if (rg.field)
		return reply_range(c, &rg);
	if ((e = load_all(c, &rg, &x)))
		return e;
	{
		const struct section s[] = {
			{ "sales-by-day", "Sales by day", "Paid orders by the day they were placed (UTC): their totals "
			  "with tax and shipping, refunds not taken off.", "Day", 1, &x.day },
			{ "sales-by-category", "Sales by category", "The lines' goods less discounts, by the product's "
			  "category; an order with lines in two categories counts in both.", "Category", 1, &x.cat },
			{ "sales-by-seller", "Sales by seller", "The lines' goods less discounts, by seller.", "Seller", 1,
			  &x.seller },
			{ "funnel", "Conversion funnel", "", "Step", 0, &x.funnel },
			{ "searches", "Top searches", "What shoppers searched for most (the first page of each search).",
			  "Search", 0, &x.top },
			{ "searches-empty", "Searches without results", "Searches that found nothing: words to add to "
			  "listings, or items to stock.", "Search", 0, &x.empty },
		};

		if (!(m = session_form_page(c, "admin_reports", "Reports", 200)))
			return E_NOMEM;
		list = json_array();
		for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
			json_t *o = section_json(c, &rg, &s[i]);

			if (!strcmp(s[i].key, "funnel"))
				json_object_set_new(o, "note", json_string(arena_printf(c->a, "Views to adds to cart: %s; "
					"adds to cart to orders: %s; views to orders: %s. Views and adds are counted by "
					"the shop's pages and API (pages served from the cache to visitors without a "
					"session are not), and reach the report within a minute.",
					rate_text(c->a, x.f.carts, x.f.views), rate_text(c->a, x.f.orders, x.f.carts),
					rate_text(c->a, x.f.orders, x.f.views))));
			json_array_append_new(list, o);
		}
	}
	json_object_set_new(m, "reports", list);
	json_object_set_new(m, "from", json_string(rg.from));
	json_object_set_new(m, "to", json_string(rg.to));
	json_object_set_new(m, "ordersCsvUrl", json_string(arena_printf(c->a, "/admin/reports/export?report=orders&"
									  "from=%s&to=%s", rg.from, rg.to)));
	return E_OK;
}

/* ---- the API ---- */

static json_t *rows_json(const struct report *r, const char *label_name, int with_id, int money)
{
	json_t *list = json_array();

	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *w = &r->rows[i];
		json_t *o = json_object();

		if (with_id)
			json_object_set_new(o, "id", json_integer(w->id));
		json_object_set_new(o, label_name, json_string(w->label ? w->label : ""));
		if (money) {
			json_object_set_new(o, "orders", json_integer(w->orders));
			json_object_set_new(o, "units", json_integer(w->units));
			json_object_set_new(o, "amount", json_integer(w->amount));
		} else {
			json_object_set_new(o, "count", json_integer(w->orders));
		}
		json_array_append_new(list, o);
	}
	return list;
}

enum err h_api_admin_reports(struct ctx *c)
{
	struct range rg;
	struct all x;
	json_t *m;
	enum err e;

	range_of(c, &rg);
	if (rg.field)
		return reply_range(c, &rg);
	if ((e = load_all(c, &rg, &x)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_set_new(m, "from", json_string(rg.from));
	json_object_set_new(m, "to", json_string(rg.to));
	json_object_set_new(m, "currency", json_string(fx_shop_currency()));
	json_object_set_new(m, "salesByDay", rows_json(&x.day, "day", 0, 1));
	json_object_set_new(m, "salesByCategory", rows_json(&x.cat, "name", 1, 1));
	json_object_set_new(m, "salesBySeller", rows_json(&x.seller, "name", 1, 1));
	json_object_set_new(m, "totals", json_pack("{sI sI sI}", "orders", (json_int_t)x.day.orders, "units",
						   (json_int_t)x.day.units, "amount", (json_int_t)x.day.amount));
	json_object_set_new(m, "funnel", json_pack("{sI sI sI}", "views", (json_int_t)x.f.views, "carts",
						   (json_int_t)x.f.carts, "orders", (json_int_t)x.f.orders));
	json_object_set_new(m, "topSearches", rows_json(&x.top, "query", 0, 0));
	json_object_set_new(m, "searchesWithoutResults", rows_json(&x.empty, "query", 0, 0));
	return E_OK;
}

/* ---- CSV ---- */

static void csv_report(struct buf *b, const struct report *r, const char *col1, int with_id, int money)
{
	int ex = fx_exponent(fx_shop_currency());

	buf_printf(b, "%s%s,%s\r\n", with_id ? "id," : "", col1, money ? "orders,units,amount,currency" : "count");
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *w = &r->rows[i];

		if (with_id)
			buf_printf(b, "%lld,", (long long)w->id);
		csv_cell(b, w->label);
		if (money) {
			buf_printf(b, ",%lld,%lld,", (long long)w->orders, (long long)w->units);
			csv_money(b, w->amount, ex);
			buf_putc(b, ',');
			csv_cell(b, fx_shop_currency());
		} else {
			buf_printf(b, ",%lld", (long long)w->orders);
		}
		buf_puts(b, "\r\n");
	}
}

static void csv_orders(struct buf *b, const struct db_res *r)
{
	buf_puts(b, "order,placed_at,status,user,currency,fx_rate,subtotal,discount,shipping,tax,total,total_shop,"
		    "shop_currency,promo_code,ship_name,ship_city,ship_country,lines,units\r\n");
	for (size_t i = 0; i < r->nrows; i++) {
		const char *cur = db_cell(r, i, RO_CUR), *rate = db_cell(r, i, RO_RATE);
		int ex = fx_exponent(cur);
		static const int money_cols[] = { RO_SUBTOTAL, RO_DISCOUNT, RO_SHIPPING, RO_TAX, RO_TOTAL };

		buf_printf(b, "%lld,", (long long)db_int(r, i, RO_ID));
		csv_cell(b, db_cell(r, i, RO_CREATED));
		buf_putc(b, ',');
		csv_cell(b, db_cell(r, i, RO_STATUS));
		buf_printf(b, ",%lld,", (long long)db_int(r, i, RO_USER));
		csv_cell(b, cur);
		buf_putc(b, ',');
		csv_cell(b, rate);
		for (size_t k = 0; k < sizeof(money_cols) / sizeof(money_cols[0]); k++) {
			buf_putc(b, ',');
			csv_money(b, db_int(r, i, money_cols[k]), ex);
		}
		buf_putc(b, ',');
		csv_money(b, fx_to_shop(db_int(r, i, RO_TOTAL), cur, rate), fx_exponent(fx_shop_currency()));
		buf_putc(b, ',');
		csv_cell(b, fx_shop_currency());
		buf_putc(b, ',');
		csv_cell(b, db_cell(r, i, RO_PROMO));
		buf_putc(b, ',');
		csv_cell(b, db_cell(r, i, RO_NAME));
		buf_putc(b, ',');
		csv_cell(b, db_cell(r, i, RO_CITY));
		buf_putc(b, ',');
		csv_cell(b, db_cell(r, i, RO_COUNTRY));
		buf_printf(b, ",%lld,%lld\r\n", (long long)db_int(r, i, RO_LINES), (long long)db_int(r, i, RO_UNITS));
	}
}

enum err h_admin_reports_export(struct ctx *c)
{
	const char *which = ctx_str(c, "report");
	struct buf *b = &c->resp->body;
	struct range rg;
	struct all x;
	enum err e;
	static const char *const known[] = { "orders", "sales-by-day", "sales-by-category", "sales-by-seller", "funnel",
					     "searches", "searches-empty", NULL };
	int ok = 0;

	for (int i = 0; which && known[i]; i++)
		ok |= !strcmp(which, known[i]);
	if (!ok) {
		c->resp->content_type = "text/plain; charset=utf-8";
		c->resp->status = 422;
		buf_puts(b, "report: one of orders, sales-by-day, sales-by-category, sales-by-seller, funnel, searches, "
			    "searches-empty\n");
		return E_OK;
	}
	range_of(c, &rg);
	if (rg.field) {
		c->resp->content_type = "text/plain; charset=utf-8";
		c->resp->status = 422;
		buf_printf(b, "%s: %s\n", rg.field, rg.message);
		return E_OK;
	}
	if (!strcmp(which, "orders")) {
		struct db_res *r = NULL;

		if ((e = reports_orders(c->db, c->a, rg.from, rg.to, MAX_EXPORT, &r)))
			return e;
		csv_orders(b, r);
	} else {
		if ((e = load_all(c, &rg, &x)))
			return e;
		if (!strcmp(which, "sales-by-day"))
			csv_report(b, &x.day, "day", 0, 1);
		else if (!strcmp(which, "sales-by-category"))
			csv_report(b, &x.cat, "category", 1, 1);
		else if (!strcmp(which, "sales-by-seller"))
			csv_report(b, &x.seller, "seller", 1, 1);
		else if (!strcmp(which, "funnel"))
			csv_report(b, &x.funnel, "step", 0, 0);
		else
			csv_report(b, !strcmp(which, "searches") ? &x.top : &x.empty, "search", 0, 0);
	}
	c->resp->content_type = "text/csv; charset=utf-8";
	resp_header(c->resp, arena_printf(c->a, "Content-Disposition: attachment; filename=\"%s-%s-to-%s.csv\"", which,
					  rg.from, rg.to));
	return E_OK;
}
