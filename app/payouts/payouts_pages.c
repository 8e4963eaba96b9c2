/* Seller payouts: pages, CSV and JSON API (payouts_pages.h).
 *
 * A seller sees only their own statements and entries: every read names
 * the signed-in seller, and another seller's statement is a plain 404.
 * Admins see everyone's under /admin/payouts and /api/admin/... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/text.h"
#include "../store/db.h"
#include "../http/router.h"
#include "../http/resp.h"
#include "../http/server.h"
#include "../account/session_store.h"
#include "../account/session_pages.h"
#include "../fx/fx.h"
#include "../reports/csv.h"
#include "payouts.h"
#include "payouts_pages.h"

#define MAX_ENTRIES 5000	/* a statement's entries on a page, in a CSV */

static int64_t path_id(const struct ctx *c)
{
	const char *s = c->req->pathvar[0];
	int64_t id;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

static const char *actor_of(const struct ctx *c)
{
	return arena_printf(c->a, "user:%lld", (long long)c->sess->uid);
}

static const char *status_text(const char *s)
{
	return !strcmp(s, "paid") ? "Paid" : "Pending";
}

static const char *percent(struct arena *a, int64_t bps)
{
	if (bps % 100 == 0)
		return arena_printf(a, "%lld %%", (long long)(bps / 100));
	if (bps % 10 == 0)
		return arena_printf(a, "%lld.%lld %%", (long long)(bps / 100), (long long)(bps % 100 / 10));
	return arena_printf(a, "%lld.%02lld %%", (long long)(bps / 100), (long long)(bps % 100));
}

/* A statement as the API and the pages give it. admin: links under /admin. */
static json_t *statement_json(struct ctx *c, const struct db_res *r, size_t i, int admin)
{
	json_t *o = json_object();
	long long id = (long long)db_int(r, i, PO_ID);
	const char *base = admin ? "/admin/payouts" : "/seller/payouts";

	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "sellerId", json_integer(db_int(r, i, PO_SELLER)));
	json_object_set_new(o, "seller", json_string(db_cell(r, i, PO_SELLER_NAME) ? db_cell(r, i, PO_SELLER_NAME) : ""));
	json_object_set_new(o, "periodStart", json_string(db_cell(r, i, PO_START)));
	json_object_set_new(o, "periodEnd", json_string(db_cell(r, i, PO_END)));
	json_object_set_new(o, "currency", json_string(db_cell(r, i, PO_CUR)));
	json_object_set_new(o, "entryCount", json_integer(db_int(r, i, PO_ENTRIES)));
	json_object_set_new(o, "gross", json_integer(db_int(r, i, PO_GROSS)));
	json_object_set_new(o, "commission", json_integer(db_int(r, i, PO_COMM)));
	json_object_set_new(o, "net", json_integer(db_int(r, i, PO_NET)));
	json_object_set_new(o, "opening", json_integer(db_int(r, i, PO_OPENING)));
	json_object_set_new(o, "closing", json_integer(db_int(r, i, PO_CLOSING)));
	json_object_set_new(o, "payout", json_integer(db_int(r, i, PO_PAYOUT)));
	json_object_set_new(o, "carry", json_integer(db_int(r, i, PO_CARRY)));
	json_object_set_new(o, "status", json_string(db_cell(r, i, PO_STATUS)));
	json_object_set_new(o, "statusText", json_string(status_text(db_cell(r, i, PO_STATUS))));
	json_object_set_new(o, "reference", json_string(db_cell(r, i, PO_REF) ? db_cell(r, i, PO_REF) : ""));
	json_object_set_new(o, "paidAt", db_cell(r, i, PO_PAID_AT) ? json_string(db_cell(r, i, PO_PAID_AT)) : json_null());
	json_object_set_new(o, "createdAt", json_string(db_cell(r, i, PO_CREATED)));
	json_object_set_new(o, "url", json_string(arena_printf(c->a, "%s/%lld", base, id)));
	json_object_set_new(o, "csvUrl", json_string(arena_printf(c->a, "%s/%lld/csv", base, id)));
	if (admin && !strcmp(db_cell(r, i, PO_STATUS), "pending"))
		json_object_set_new(o, "payUrl", json_string(arena_printf(c->a, "/admin/payouts/%lld/paid", id)));
	return o;
}

static json_t *entries_json(struct ctx *c, const struct db_res *r, int seller_links)
{
	json_t *list = json_array();

	for (size_t i = 0; i < r->nrows; i++) {
		json_t *o = json_object();
		int sale = !strcmp(db_cell(r, i, PE_KIND), "sale");
		long long order = (long long)db_int(r, i, PE_ORDER);

		json_object_set_new(o, "id", json_integer(db_int(r, i, PE_ID)));
		json_object_set_new(o, "kind", json_string(db_cell(r, i, PE_KIND)));
		json_object_set_new(o, "kindText", json_string(sale ? "Sale" : "Refund"));
		json_object_set_new(o, "orderId", json_integer(order));
		json_object_set_new(o, "line", json_integer(db_int(r, i, PE_LINE)));
		json_object_set_new(o, "sku", json_string(db_cell(r, i, PE_CODE)));
		json_object_set_new(o, "title", json_string(db_cell(r, i, PE_TITLE)));
		json_object_set_new(o, "quantity", json_integer(db_int(r, i, PE_QTY)));
		json_object_set_new(o, "orderCurrency", json_string(db_cell(r, i, PE_CUR)));
		json_object_set_new(o, "orderAmount", json_integer(db_int(r, i, PE_AMOUNT)));
		json_object_set_new(o, "fxRate", json_string(db_cell(r, i, PE_RATE)));
		json_object_set_new(o, "gross", json_integer(db_int(r, i, PE_GROSS)));
		json_object_set_new(o, "commission", json_integer(db_int(r, i, PE_COMM)));
		json_object_set_new(o, "net", json_integer(db_int(r, i, PE_NET)));
		json_object_set_new(o, "rateBps", json_integer(db_int(r, i, PE_BPS)));
		json_object_set_new(o, "rate", json_string(percent(c->a, db_int(r, i, PE_BPS))));
		json_object_set_new(o, sale ? "shipmentId" : "refundId", json_integer(db_int(r, i, PE_REF)));
		json_object_set_new(o, "createdAt", json_string(db_cell(r, i, PE_CREATED)));
		if (seller_links)
			json_object_set_new(o, "orderUrl", json_string(arena_printf(c->a, "/seller/orders/%lld", order)));
		json_array_append_new(list, o);
	}
	return list;
}

/* ---- the seller ---- */

static int64_t my_seller(const struct ctx *c)
{
	return c->sess && c->sess->seller_id > 0 ? c->sess->seller_id : 0;
}

static enum err seller_overview(struct ctx *c, const char *view)
{
	int64_t sid = my_seller(c), before = ctx_int(c, "before", 0);
	struct payout_balance b;
	struct db_res *st = NULL, *open = NULL;
	json_t *m, *list, *bal;
	enum err e;

	if (!sid)
		return E_NOTFOUND;
	if ((e = payouts_balance(c->db, c->a, sid, &b)) ||
	    (e = payouts_statements(c->db, c->a, sid, NULL, before, 51, &st)) ||
	    (e = payouts_entries(c->db, c->a, sid, 0, 200, &open)))
		return e;
	if (!(m = view ? session_form_page(c, view, "Payouts", 200) : reply_model(c, NULL, NULL)))
		return E_NOMEM;
	bal = json_pack("{sI sI sI sI sI sI ss ss}", "entryCount", (json_int_t)b.entries, "gross", (json_int_t)b.gross,
			"commission", (json_int_t)b.commission, "net", (json_int_t)b.net, "carry", (json_int_t)b.carry,
			"due", (json_int_t)(b.net + b.carry), "currency", fx_shop_currency(), "period",
			payouts_period_text(c->a));
	list = json_array();
	for (size_t i = 0; i < st->nrows && i < 50; i++)
		json_array_append_new(list, statement_json(c, st, i, 0));
	json_object_set_new(m, "balance", bal);
	json_object_set_new(m, "statements", list);
	json_object_set_new(m, "openEntries", entries_json(c, open, 1));
	if (st->nrows > 50)
		json_object_set_new(m, "next", json_string(arena_printf(c->a, "/%s/payouts?before=%lld",
			view ? "seller" : "api/seller", (long long)db_int(st, 49, PO_ID))));
	return E_OK;
}

enum err h_seller_payouts(struct ctx *c)
{
	return seller_overview(c, "seller_payouts");
}

enum err h_api_seller_payouts(struct ctx *c)
{
	return seller_overview(c, NULL);
}

/* One statement with its entries; seller_id 0: any (an admin). */
static enum err statement_page(struct ctx *c, const char *view, int64_t seller_id, int admin)
{
	int64_t id = path_id(c);
	struct db_res *r = NULL, *en = NULL;
	json_t *m, *s;
	enum err e;

	if (!id || (!admin && !seller_id))
		return E_NOTFOUND;
	if ((e = payouts_statement(c->db, c->a, id, seller_id, &r)))
		return e;
	if ((e = payouts_entries(c->db, c->a, db_int(r, 0, PO_SELLER), id, MAX_ENTRIES, &en)))
		return e;
	if (!(m = view ? session_form_page(c, view, arena_printf(c->a, "Payout statement %lld", (long long)id), 200)
		       : reply_model(c, NULL, NULL)))
		return E_NOMEM;
	s = statement_json(c, r, 0, admin);
	json_object_set_new(s, "entries", entries_json(c, en, !admin));
	json_object_set_new(m, "statement", s);
	if (admin)
		json_object_set_new(m, "admin", json_true());
	return E_OK;
}

enum err h_seller_payout(struct ctx *c)
{
	return statement_page(c, "payout_statement", my_seller(c), 0);
}

enum err h_api_seller_payout(struct ctx *c)
{
	return statement_page(c, NULL, my_seller(c), 0);
}

/* The statement as CSV: one row per entry, each naming its order and line
 * (and the shipment or refund), then nothing else: the totals are the
 * columns' sums. */
static enum err statement_csv(struct ctx *c, int64_t seller_id, int admin)
{
	int64_t id = path_id(c);
	struct db_res *r = NULL, *en = NULL;
	struct buf *b = &c->resp->body;
	int ex = fx_exponent(fx_shop_currency());
	enum err e;

	if (!id || (!admin && !seller_id))
		return E_NOTFOUND;
	if ((e = payouts_statement(c->db, c->a, id, seller_id, &r)) ||
	    (e = payouts_entries(c->db, c->a, db_int(r, 0, PO_SELLER), id, MAX_ENTRIES, &en)))
		return e;
	c->resp->content_type = "text/csv; charset=utf-8";
	resp_header(c->resp, arena_printf(c->a, "Content-Disposition: attachment; filename=\"payout-%lld.csv\"",
					  (long long)id));
	buf_puts(b, "statement,entry,date,kind,order,line,sku,title,quantity,order_currency,order_amount,fx_rate,"
		    "currency,gross,commission_rate_bps,commission,net,shipment_or_refund\r\n");
	for (size_t i = 0; i < en->nrows; i++) {
		const char *cur = db_cell(en, i, PE_CUR);

		buf_printf(b, "%lld,%lld,", (long long)id, (long long)db_int(en, i, PE_ID));
		csv_cell(b, db_cell(en, i, PE_CREATED));
		buf_putc(b, ',');
		csv_cell(b, db_cell(en, i, PE_KIND));
		buf_printf(b, ",%lld,%lld,", (long long)db_int(en, i, PE_ORDER), (long long)db_int(en, i, PE_LINE));
		csv_cell(b, db_cell(en, i, PE_CODE));
		buf_putc(b, ',');
		csv_cell(b, db_cell(en, i, PE_TITLE));
		buf_printf(b, ",%lld,", (long long)db_int(en, i, PE_QTY));
		csv_cell(b, cur);
		buf_putc(b, ',');
		csv_money(b, db_int(en, i, PE_AMOUNT), fx_exponent(cur));
		buf_putc(b, ',');
		csv_cell(b, db_cell(en, i, PE_RATE));
		buf_putc(b, ',');
		csv_cell(b, fx_shop_currency());
		buf_putc(b, ',');
		csv_money(b, db_int(en, i, PE_GROSS), ex);
		buf_printf(b, ",%lld,", (long long)db_int(en, i, PE_BPS));
		csv_money(b, db_int(en, i, PE_COMM), ex);
		buf_putc(b, ',');
		csv_money(b, db_int(en, i, PE_NET), ex);
		buf_printf(b, ",%lld\r\n", (long long)db_int(en, i, PE_REF));
	}
	return E_OK;
}

enum err h_seller_payout_csv(struct ctx *c)
{
	return statement_csv(c, my_seller(c), 0);
}

/* ---- admins ---- */

static const char *status_filter(const struct ctx *c)
{
	const char *s = ctx_str(c, "status");

	return s && (!strcmp(s, "pending") || !strcmp(s, "paid")) ? s : NULL;
}

static json_t *rates_json(struct ctx *c, const struct db_res *r)
{
	json_t *list = json_array();

	for (size_t i = 0; i < r->nrows; i++) {
		const char *scope = db_cell(r, i, 0);

		json_array_append_new(list, json_pack("{ss sI sI ss ss ss ss sb}", "scope", scope, "id",
			(json_int_t)db_int(r, i, 1), "bps", (json_int_t)db_int(r, i, 2), "rate",
			percent(c->a, db_int(r, i, 2)), "name", db_cell(r, i, 3) ? db_cell(r, i, 3) : "",
			"updatedBy", db_cell(r, i, 4), "updatedAt", db_cell(r, i, 5), "removable", strcmp(scope, "shop") != 0));
	}
	return list;
}

static enum err admin_overview(struct ctx *c, const char *view)
{
	const char *status = status_filter(c);
	struct db_res *st = NULL, *rates = NULL;
	int64_t shop_bps;
	json_t *m, *list;
	enum err e;

	if ((e = payouts_statements(c->db, c->a, 0, status, ctx_int(c, "before", 0), 101, &st)) ||
	    (e = payouts_rates(c->db, c->a, &rates, &shop_bps)))
		return e;
	if (!(m = view ? session_form_page(c, view, "Seller payouts", 200) : reply_model(c, NULL, NULL)))
		return E_NOMEM;
	list = json_array();
	for (size_t i = 0; i < st->nrows && i < 100; i++)
		json_array_append_new(list, statement_json(c, st, i, 1));
	json_object_set_new(m, "statements", list);
	json_object_set_new(m, "rates", rates_json(c, rates));
	json_object_set_new(m, "shopRateBps", json_integer(shop_bps));
	json_object_set_new(m, "shopRate", json_string(percent(c->a, shop_bps)));
	json_object_set_new(m, "period", json_string(payouts_period_text(c->a)));
	json_object_set_new(m, "filter", json_string(status ? status : "all"));
	json_object_set_new(m, "currency", json_string(fx_shop_currency()));
	if (st->nrows > 100)
		json_object_set_new(m, "next", json_string(arena_printf(c->a, "%s?%s%sbefore=%lld",
			view ? "/admin/payouts" : "/api/admin/payouts", status ? "status=" : "", status ? arena_printf(c->a,
			"%s&", status) : "", (long long)db_int(st, 99, PO_ID))));
	return E_OK;
}

enum err h_admin_payouts(struct ctx *c)
{
	return admin_overview(c, "admin_payouts");
}

enum err h_api_admin_payouts(struct ctx *c)
{
	return admin_overview(c, NULL);
}

enum err h_admin_payout(struct ctx *c)
{
	return statement_page(c, "payout_statement", 0, 1);
}

enum err h_api_admin_payout(struct ctx *c)
{
	return statement_page(c, NULL, 0, 1);
}

enum err h_admin_payout_csv(struct ctx *c)
{
	return statement_csv(c, 0, 1);
}

static enum err pay(struct ctx *c, const char *reference, int form)
{
	int64_t id = path_id(c);
	enum err e;

	if (!id)
		return E_NOTFOUND;
	e = payouts_pay(c->db, c->a, id, actor_of(c), reference ? reference : "");
	if (e == E_CONFLICT)
		return reply_error_titled(c, 409, "Paid already", "This statement was marked paid before.");
	if (e)
		return e;
	if (form) {
		session_flash(c, arena_printf(c->a, "Statement %lld is marked paid.", (long long)id));
		return reply_redirect(c, 303, arena_printf(c->a, "/admin/payouts/%lld", (long long)id));
	}
	return statement_page(c, NULL, 0, 1);
}

enum err h_admin_payout_paid(struct ctx *c)
{
	return pay(c, ctx_str(c, "reference"), 1);
}

enum err h_api_admin_payout_paid(struct ctx *c)
{
	json_t *ref = json_object_get(c->req->json, "reference");

	if (ref && !json_is_string(ref))
		return reply_error(c, 422, "reference: a text of at most 100 characters");
	return pay(c, json_string_value(ref), 0);
}

/* ---- commission rates ---- */

static enum err reply_fields(struct ctx *c, const char *field, const char *message)
{
	enum err e = reply_error_titled(c, 422, "That rate cannot be set", arena_printf(c->a, "%s: %s", field, message));
	json_t *err = c->resp->model ? json_object_get(c->resp->model, "error") : NULL;

	if (!e && err)
		json_object_set_new(err, "fields", json_pack("[{ss ss}]", "field", field, "message", message));
	return e;
}

static enum err rates_reply(struct ctx *c)
{
	struct db_res *rates = NULL;
	int64_t shop_bps;
	json_t *m;
	enum err e;

	if ((e = payouts_rates(c->db, c->a, &rates, &shop_bps)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_set_new(m, "shopRateBps", json_integer(shop_bps));
	json_object_set_new(m, "rates", rates_json(c, rates));
	return E_OK;
}

enum err h_api_commission_rates(struct ctx *c)
{
	return rates_reply(c);
}

/* PUT {"scope": "shop"|"category"|"seller", "id", "bps"}: bps null removes
 * a category's or seller's rate. */
enum err h_api_commission_set(struct ctx *c)
{
	json_t *body = c->req->json, *jid = json_object_get(body, "id"), *jb = json_object_get(body, "bps");
	int scope = payouts_scope_parse(json_string_value(json_object_get(body, "scope")));
	int64_t id = 0, bps = -1;
	enum err e;

	if (scope < 0)
		return reply_fields(c, "scope", "one of shop, category, seller");
	if (scope != PS_SHOP) {
		if (!json_is_integer(jid) || json_integer_value(jid) <= 0)
			return reply_fields(c, "id", "the category's or seller's id, a whole number");
		id = (int64_t)json_integer_value(jid);
	}
	if (json_is_integer(jb) && json_integer_value(jb) >= 0 && json_integer_value(jb) <= 10000)
		bps = (int64_t)json_integer_value(jb);
	else if (!(json_is_null(jb) && scope != PS_SHOP))
		return reply_fields(c, "bps", scope == PS_SHOP ? "basis points, a whole number from 0 to 10000" :
				    "basis points, a whole number from 0 to 10000, or null to remove the rate");
	e = payouts_rate_set(c->db, c->a, actor_of(c), scope, id, bps);
	if (e == E_NOTFOUND)
		return reply_fields(c, "id", scope == PS_CATEGORY ? "no such category" : "no such seller");
	if (e)
		return e;
	return rates_reply(c);
}

/* The page's form: scope, id, a percent ("12.5"), or remove=1. */
enum err h_admin_commission(struct ctx *c)
{
	int scope = payouts_scope_parse(ctx_str(c, "scope"));
	int64_t id = ctx_int(c, "id", 0), bps = -1;
	const char *pct = ctx_str(c, "percent");
	enum err e;

	if (scope < 0 || (scope != PS_SHOP && id <= 0)) {
		session_flash(c, "Choose the shop, or a category or seller by its number.");
		return reply_redirect(c, 303, "/admin/payouts");
	}
	if (!ctx_int(c, "remove", 0) && (!pct || money_parse(pct, MONEY_DECIMAL, 10000, &bps))) {
		session_flash(c, "The rate is a percent from 0 to 100, with at most two decimals.");
		return reply_redirect(c, 303, "/admin/payouts");
	}
	if (ctx_int(c, "remove", 0) && scope == PS_SHOP) {
		session_flash(c, "The shop's rate can be changed, not removed.");
		return reply_redirect(c, 303, "/admin/payouts");
	}
	e = payouts_rate_set(c->db, c->a, actor_of(c), scope, id, ctx_int(c, "remove", 0) && scope != PS_SHOP ? -1 : bps);
	if (e == E_NOTFOUND) {
		session_flash(c, scope == PS_CATEGORY ? "There is no such category." : "There is no such seller.");
		return reply_redirect(c, 303, "/admin/payouts");
	}
	if (e)
		return e;
	session_flash(c, "The commission rate is saved. It counts for lines shipped from now on.");
	return reply_redirect(c, 303, "/admin/payouts");
}
