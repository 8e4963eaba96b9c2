/* The checkout's pages and API (app/checkout/routes.inc): the form, the
 * review, "Place order" and POST /api/checkout (each fills a checkout_req
 * for the saga in checkout.c and words its answer), the quote, the
 * gateway's return page and its webhook. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../store/db.h"
#include "../account/account.h"
#include "../account/address.h"
#include "../account/address_pages.h"
#include "../account/session_pages.h"
#include "../cart/cart_pages.h"
#include "../order/order.h"
#include "../order/order_pages.h"
#include "../payment/payment.h"
#include "../pricing/pricing.h"
#include "checkout.h"
#include "../fx/fx_pages.h"	/* CURRENCIES (issue 19) */
#include "checkout_pages.h"
#include "guest_pages.h"

void checkout_init(void)
{
	checkout_saga_init();
	/* What a placed order's stored answer holds: the order as the API
	 * shows it (a page-level builder, handed to the saga). */
	checkout_set_order_doc(order_json);
}

/* ---- input ---- */

/* Where the fields come from: the request, or (st) what the form sent
 * earlier and checkout_stash_put kept. */
struct src {
	struct ctx *c;
	json_t *st;
};

static const char *s_str(const struct src *s, const char *name)
{
	if (s->st) {
		const char *v = json_string_value(json_object_get(s->st, name));

		return v && *v ? v : NULL;
	}
	return ctx_str(s->c, name);
}

static int64_t s_int(const struct src *s, const char *name)
{
	if (s->st)
		return json_integer_value(json_object_get(s->st, name));
	return ctx_int(s->c, name, 0);
}

static int s_has(const struct src *s, const char *name)
{
	return s->st ? json_object_get(s->st, name) != NULL : ctx_has(s->c, name);
}

static const char *field_of(const struct src *s, json_t *obj, const char *name)
{
	if (obj)
		return json_string_value(json_object_get(obj, name));
	/* The form: a US state or Canadian province is chosen from a list,
	 * a region elsewhere typed beside it. */
	if (!strcmp(name, "region") && !s->st && !s->c->req->json && !s_str(s, "region"))
		return s_str(s, "regionOther");
	return s_str(s, name);
}

/* The shipping address: an id from the address book, a JSON object
 * "shippingAddress", or the flat form fields. E_INVAL with *why (and, for
 * a new address, its problems field by field in *errs when given). */
static enum err read_input_from(const struct src *s, struct checkout_req *in, const char **why,
				struct address_errors *errs)
{
	struct ctx *c = s->c;
	json_t *obj = !s->st && c->req->json ? json_object_get(c->req->json, "shippingAddress") : NULL;
	struct address_errors local;

	if (!errs)
		errs = &local;
	errs->n = 0;
	memset(in, 0, sizeof(*in));
	in->user_id = checkout_uid(c);	/* a guest's row, for a guest (guest_pages.c) */
	in->method = s_str(s, "shippingMethod");
	in->promo = s_str(s, "promoCode");
	in->payment_method = s_str(s, "paymentMethod");
	in->has_amount = s_has(s, "amount");
	in->amount = s_int(s, "amount");
	in->cart_key = s_str(s, "cartKey");
	/* CURRENCIES (issue 19): the API's "currency" (none: the shop's), a
	 * page's the shopper's chosen one (app/fx). */
	in->currency = s_str(s, "currency");
	in->fx_date = s_str(s, "fxDate");
	if (!in->currency && !c->req->json)
		in->currency = fx_request_currency(c);
	if (!in->method)
		in->method = "standard";
	if (s_has(s, "shippingAddressId") && s_int(s, "shippingAddressId") > 0) {
		json_t *list = NULL, *a;
		size_t i;
		enum err e;

		in->address_id = s_int(s, "shippingAddressId");
		if ((e = address_list(c, c->sess->uid, &list)))
			return e;
		json_array_foreach(list, i, a) {
			if (json_integer_value(json_object_get(a, "id")) != in->address_id)
				continue;
			in->addr.name = arena_strdup(c->a, json_string_value(json_object_get(a, "name")));
			in->addr.line1 = arena_strdup(c->a, json_string_value(json_object_get(a, "line1")));
			in->addr.line2 = arena_strdup(c->a, json_string_value(json_object_get(a, "line2")) ?: "");
			in->addr.city = arena_strdup(c->a, json_string_value(json_object_get(a, "city")));
			in->addr.region = arena_strdup(c->a, json_string_value(json_object_get(a, "region")) ?: "");
			in->addr.postal_code = arena_strdup(c->a, json_string_value(json_object_get(a, "postalCode")) ?: "");
			in->addr.country = arena_strdup(c->a, json_string_value(json_object_get(a, "country")));
		}
		json_decref(list);
		if (!in->addr.name) {
			*why = "shippingAddressId: is not one of your addresses";
			return E_INVAL;
		}
		return E_OK;
	}
	if (obj && !json_is_object(obj)) {
		*why = "shippingAddress: must be an object";
		return E_INVAL;
	}
	if (!obj && !s_str(s, "line1") && (s->st || c->req->json || !s_has(s, "shippingAddressId"))) {
		*why = "shippingAddressId or shippingAddress: one of them is required";
		return E_INVAL;
	}
	in->addr.name = field_of(s, obj, "name");
	in->addr.line1 = field_of(s, obj, "line1");
	in->addr.line2 = field_of(s, obj, "line2");
	in->addr.city = field_of(s, obj, "city");
	in->addr.region = field_of(s, obj, "region");
	in->addr.postal_code = field_of(s, obj, "postalCode");
	in->addr.country = field_of(s, obj, "country");
	if (address_check(c->a, &in->addr, errs)) {
		*why = arena_printf(c->a, "shippingAddress: %s", address_errors_text(c->a, errs));
		return E_INVAL;
	}
	return E_OK;
}

/* An address refused field by field, as the API's errors say it:
 * {"fields": [{"field": "shippingAddress.region", "message"}]}, or NULL. */
static json_t *fields_json(struct ctx *c, const struct address_errors *errs)
{
	json_t *a;

	if (!errs->n)
		return NULL;
	a = json_array();
	for (int i = 0; i < errs->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "field",
			arena_printf(c->a, "shippingAddress.%s", errs->v[i].field), "message", errs->v[i].message));
	return json_pack("{s:o}", "fields", a);
}

/* The cart as a Review page priced it: its version and its lines (a
 * cart row outlives an order, so the lines tell two carts of one version
 * apart after a purge restarted the count). */
static const char *cart_key_of(struct ctx *c, const struct cart *k)
{
	crypto_generichash_state st;
	unsigned char h[8];
	char hex[17];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	for (size_t i = 0; i < k->n; i++) {
		char line[64];
		int n = snprintf(line, sizeof(line), "%lld:%d;", (long long)k->lines[i].sku_id, k->lines[i].quantity);

		crypto_generichash_update(&st, (const unsigned char *)line, (size_t)n);
	}
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	return arena_printf(c->a, "v%lld-%s", (long long)k->version, hex);
}

/* ---- answers ---- */

/* Sends a stored (or just made) answer: status and JSON text. */
static enum err reply_stored(struct ctx *c, int status, const char *body)
{
	json_t *j = json_loads(body ? body : "{}", 0, NULL), *m = reply_model(c, NULL, NULL);

	if (!m) {
		json_decref(j);
		return E_NOMEM;
	}
	if (json_is_object(j)) {
		json_t *err = json_object_get(j, "error");

		/* Answers stored before errors had titles get one too. */
		if (json_is_object(err) && !json_object_get(err, "title"))
			json_object_set_new(err, "title", json_string(checkout_error_title(status)));
		json_object_update(m, j);
	}
	json_decref(j);
	c->resp->status = status;
	return E_OK;
}

/* The whole place-order: the request as the saga needs it, then its
 * answer (JSON: the stored answer; HTML: a redirect or a page). */
static enum err place_order(struct ctx *c, const char *key, int html)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hash[2 * sizeof(h) + 1];
	struct checkout_req rq;
	struct checkout_answer ans;
	struct address_errors errs;
	const char *why = NULL, *body;
	int status;
	enum err e;

	if (!key || !*key || strlen(key) > 255) {
		return reply_error(c, 400, html ? "The order form is incomplete. Please review your order again."
					   : "Idempotency-Key: a header of 1 to 255 characters is required.");
	}
	if (html) {
		/* A form's fields in a fixed order: the same form, the same hash. */
		const char *names[] = { "shippingAddressId", "name", "line1", "line2", "city", "region",
					"postalCode", "country", "shippingMethod", "promoCode", "amount" };
		crypto_hash_sha256_state st;

		crypto_hash_sha256_init(&st);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			const char *v = ctx_str(c, names[i]);

			crypto_hash_sha256_update(&st, (const unsigned char *)(v ? v : ""), v ? strlen(v) + 1 : 1);
		}
		crypto_hash_sha256_final(&st, h);
	} else {
		crypto_hash_sha256(h, (const unsigned char *)(c->req->body ? c->req->body : ""), c->req->body_len);
	}
	sodium_bin2hex(hash, sizeof(hash), h, sizeof(h));

	/* Step 1's input: its refusal is the key's stored answer too. */
	{
		struct src s = { c, NULL };

		e = read_input_from(&s, &rq, &why, &errs);
	}
	if (e == E_INVAL) {
		memset(&rq, 0, sizeof(rq));
		rq.user_id = checkout_uid(c);
		rq.payment_method = ctx_str(c, "paymentMethod");
		rq.bad_input = why;
		rq.bad_fields = fields_json(c, &errs);
	} else if (e || (e = cart_load(c, &rq.cart))) {
		return e;
	} else {
		/* SALES (issue 18): a sale line is bought in the shopper's turn. */
		int64_t wait = cart_sale_wait(c, rq.cart);
		int placed = 0;

		/* Not for a replay of an order placed already (its answer is
		 * stored, its units held): an expired admission must not hide it. */
		if (wait && (e = checkout_key_placed(c->db, c->a, rq.user_id, key, &placed)))
			return e;
		if (wait && !placed)
			return cart_reply_wait(c, wait, html);
	}
	rq.idem_key = key;
	rq.request_hash = hash;
	e = checkout_place(c->db, c->a, c->kv, &rq, &ans);
	json_decref(rq.bad_fields);
	if (e)
		return e;
	if (ans.kind == CHECKOUT_ANSWER && ans.status >= 200 && ans.status < 300)
		cart_sale_used(c, rq.cart);	/* SALES: the admissions' slots go on */
	switch (ans.kind) {
	case CHECKOUT_KEY_REUSED:
		return reply_error_titled(c, 422, "That key was used for another order",
					  "This Idempotency-Key was used with a different request. "
					   "Use a new key for a new order.");
	case CHECKOUT_UNAVAILABLE:
		resp_header(c->resp, "Retry-After: 5");
		return reply_error(c, 503, "The payment service did not answer. Your order is kept and nothing was "
					   "charged twice: send the same request again (same Idempotency-Key) in a few seconds.");
	case CHECKOUT_IN_FLIGHT:
		resp_header(c->resp, "Retry-After: 5");
		return reply_error(c, 409, "This order is being placed already. Wait a moment and look at your orders.");
	case CHECKOUT_ANSWER:
		break;
	}
	status = ans.status;
	body = ans.body;
	if (html) {
		json_t *j = json_loads(body ? body : "{}", 0, NULL);
		const char *pay = json_string_value(json_object_get(j, "payUrl"));
		int64_t oid = json_integer_value(json_object_get(j, "id"));
		const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
		int64_t ordered = json_integer_value(json_object_get(json_object_get(j, "error"), "orderId"));

		if (ordered) {
			/* Another tab placed this cart: its order, not a second one. */
			session_flash(c, msg);
			e = reply_redirect(c, 303, arena_printf(c->a, "/orders/%lld", (long long)ordered));
		} else if (status == 409 && !oid && c->sess) {
			/* The total changed or something sold out meanwhile: Review
			 * again (a GET, priced afresh), with the reason. */
			session_flash(c, msg);
			e = reply_redirect(c, 303, "/checkout/review");
		} else if (pay && status == 202) {
			e = reply_redirect(c, 303, arena_strdup(c->a, pay));
		} else if (oid) {
			e = reply_redirect(c, 303, arena_printf(c->a, "/orders/%lld", (long long)oid));
		} else {
			e = reply_error(c, status, msg ? arena_strdup(c->a, msg) : NULL);
		}
		json_decref(j);
		return e;
	}
	return reply_stored(c, status, body);
}

/* ---- API ---- */

enum err h_api_checkout(struct ctx *c)
{
	return place_order(c, c->req->idem_key, 0);
}

enum err h_api_checkout_quote(struct ctx *c)
{
	struct checkout_req in;
	struct checkout_plan p;
	const char *why = NULL;
	struct address_errors errs;
	struct src s = { c, NULL };
	enum err e = read_input_from(&s, &in, &why, &errs);
	json_t *m;

	if (e == E_INVAL) {
		json_t *f = fields_json(c, &errs);

		e = reply_error(c, 400, why);
		if (!e && f && c->resp->model)
			json_object_update(json_object_get(c->resp->model, "error"), f);
		json_decref(f);
		return e;
	}
	if (!e)
		e = cart_load(c, &in.cart);
	if (e || (e = checkout_plan(c->db, c->a, &in, &p)))
		return e;
	if (p.status) {
		e = reply_error(c, p.status, p.msg);
		if (!e && p.extra)
			json_object_update(json_object_get(c->resp->model, "error"), p.extra);
		json_decref(p.extra);
		return e;
	}
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_update_new(m, checkout_quote_json(&p));
	return E_OK;
}

/* ---- pages ---- */

/* A new address's country before the shopper picks one: the browser's
 * (Accept-Language "de-DE": Germany), else the United States. The shipping
 * prices the form shows before an address is chosen are for it too. */
static const char *default_country(const struct ctx *c)
{
	const char *cc = address_country_from_language(c->req->accept_language);

	return cc ? cc : "US";
}

/* A field's problem in words for the form (address_check's messages are
 * for the API: "region: is not a US state or territory code"). */
static const char *field_words(struct ctx *c, const char *field, const char *msg, const char *country)
{
	int us = country && !strcmp(country, "US"), ca = country && !strcmp(country, "CA");
	int required = !strcmp(msg, "is required") || !strncmp(msg, "is required", 11);

	if (!strcmp(field, "name"))
		return required ? "Enter the name of the person who will receive the parcel." :
				  arena_printf(c->a, "The name %s.", msg);
	if (!strcmp(field, "line1"))
		return required ? "Enter the street address." : arena_printf(c->a, "The address %s.", msg);
	if (!strcmp(field, "line2"))
		return arena_printf(c->a, "The second address line %s.", msg);
	if (!strcmp(field, "city"))
		return required ? "Enter the town or city." : arena_printf(c->a, "The town or city %s.", msg);
	if (!strcmp(field, "region"))
		return us ? "Choose the state from the list." : ca ? "Choose the province or territory from the list." :
			    arena_printf(c->a, "The region %s.", msg);
	if (!strcmp(field, "postalCode")) {
		if (required)
			return us ? "Enter the ZIP code." : "Enter the postal code.";
		if (us)
			return "Enter a ZIP code of five digits, such as 90001 (or 90001-1234).";
		return arena_printf(c->a, "This postal code %s.", msg);
	}
	if (!strcmp(field, "country"))
		return "Choose the country from the list.";
	return arena_printf(c->a, "This field %s.", msg);
}

/* Choices for a <select>: code, name, selected. */
static json_t *choices(const struct address_choice *list, size_t n, const char *selected)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s}", "code", list[i].code, "name", list[i].name);

		if (selected && !strcmp(selected, list[i].code))
			json_object_set_new(o, "selected", json_true());
		json_array_append_new(a, o);
	}
	return a;
}

/* The order summary beside every step: the items and their subtotal. */
static json_t *summary_json(const struct cart *k)
{
	json_t *lines = json_array();
	int64_t subtotal = 0;
	long units = 0;

	for (size_t i = 0; i < k->n; i++) {
		const struct cart_line *l = &k->lines[i];

		if (!l->sellable)
			continue;
		subtotal += l->price * l->quantity;
		units += l->quantity;
		json_array_append_new(lines, json_pack("{s:s, s:i, s:I}", "title", l->title,
			"quantity", l->quantity, "lineTotal", (json_int_t)(l->price * l->quantity)));
	}
	return json_pack("{s:o, s:I, s:I, s:b, s:s}", "summaryLines", lines, "itemsTotal", (json_int_t)subtotal,
			 "units", (json_int_t)units, "oneUnit", units == 1,
			 "currency", k->n && k->lines[0].currency ? k->lines[0].currency : "USD");
}

/* The checkout form: address, shipping method, promo code. vals: what the
 * shopper chose or typed (the form posted, or the stash; NULL for a fresh
 * form); errs: the new address's problems, shown beside their fields. */
static enum err checkout_form(struct ctx *c, int status, const char *error, json_t *vals,
			      const struct address_errors *errs)
{
	json_t *m = session_form_page(c, "checkout", "Checkout", status), *list = NULL, *methods, *addr, *ad;
	struct cart *k = NULL;
	size_t i_ad;
	int64_t chosen = -1;	/* the address id chosen; 0 the new one; -1 none yet */
	const char *country, *region, *want_method, *home = default_country(c);
	enum err e;

	if (!m)
		return E_NOMEM;
	if ((e = cart_load(c, &k)))
		return e;
	if (!k->n)
		return reply_redirect(c, 303, "/cart");
	if ((e = address_list(c, c->sess->uid, &list)))
		return e;
	if (vals && json_object_get(vals, "shippingAddressId"))
		chosen = json_integer_value(json_object_get(vals, "shippingAddressId"));
	else if (vals && json_string_value(json_object_get(vals, "line1")))
		chosen = 0;
	if (chosen > 0) {	/* one deleted since: as if none was chosen */
		int found = 0;

		json_array_foreach(list, i_ad, ad)
			found |= json_integer_value(json_object_get(ad, "id")) == chosen;
		if (!found)
			chosen = -1;
	}
	/* The saved address chosen before, else the default; never one the
	 * shopper did not choose when they were typing a new one. */
	json_array_foreach(list, i_ad, ad) {
		int64_t id = json_integer_value(json_object_get(ad, "id"));
		const char *cn = address_country_name(json_string_value(json_object_get(ad, "country")));

		if (cn)
			json_object_set_new(ad, "countryName", json_string(cn));

		if (chosen > 0 ? id == chosen : chosen < 0 && json_is_true(json_object_get(ad, "isDefault")))
			json_object_set_new(ad, "checked", json_true());
	}
	json_object_set_new(m, "addresses", list);
	if (chosen == 0 || !json_array_size(list))
		json_object_set_new(m, "newAddress", json_true());

	/* The new address as typed, each field with its problem in words. */
	country = vals ? json_string_value(json_object_get(vals, "country")) : NULL;
	region = vals ? json_string_value(json_object_get(vals, "region")) : NULL;
	if (!country || !*country)
		country = home;
	if (country && (!strcmp(country, "US") || !strcmp(country, "CA")) && region) {
		const char *code = address_region_by_name(country, region);

		if (code)
			region = code;
	}
	addr = json_object();
	{
		static const char *const names[] = { "name", "line1", "line2", "city", "postalCode" };

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			const char *v = vals ? json_string_value(json_object_get(vals, names[i])) : NULL;

			json_object_set_new(addr, names[i], json_string(v ? v : ""));
		}
	}
	json_object_set_new(addr, "regionOther", json_string(region && strcmp(country, "US") && strcmp(country, "CA") ?
							     region : ""));
	for (int i = 0; errs && i < errs->n; i++) {
		const char *key = arena_printf(c->a, "%sError", errs->v[i].field);

		if (!json_object_get(addr, key))
			json_object_set_new(addr, key, json_string(field_words(c, errs->v[i].field, errs->v[i].message,
									       country)));
	}
	{
		size_t n;
		const struct address_choice *l = address_countries(&n);

		json_object_set_new(m, "countries", choices(l, n, country));
		l = address_us_states(&n);
		json_object_set_new(m, "usStates", choices(l, n, !strcmp(country, "US") ? region : NULL));
		l = address_ca_provinces(&n);
		json_object_set_new(m, "caProvinces", choices(l, n, !strcmp(country, "CA") ? region : NULL));
	}
	json_object_set_new(m, "addr", addr);
	if (!vals || json_is_true(json_object_get(vals, "saveAddress")))
		json_object_set_new(m, "saveAddress", json_true());
	if (vals && json_string_value(json_object_get(vals, "promoCode")))
		json_object_set_new(m, "promoCode", json_string(json_string_value(json_object_get(vals, "promoCode"))));
	want_method = vals ? json_string_value(json_object_get(vals, "shippingMethod")) : NULL;

	/* The methods from the rate tables, priced for this cart to the
	 * default address (or the first, or the US when there is none yet);
	 * the review page prices the address actually chosen. */
	{
		struct pricing_line *lines = arena_calloc(c->a, k->n + 1, sizeof(*lines));
		struct pricing_dest dest = { home, "" };
		struct pricing_method *pm = NULL;
		size_t n = 0, nm = 0;
		int checked = 0, want_ok = 0;

		if (!lines)
			return E_NOMEM;
		for (size_t i = 0; i < k->n; i++)
			if (k->lines[i].sellable) {
				lines[n].sku_id = k->lines[i].sku_id;
				lines[n].unit_price = k->lines[i].price;
				lines[n].quantity = k->lines[i].quantity;
				lines[n].weight_g = k->lines[i].weight_g;
				n++;
			}
		json_array_foreach(json_object_get(m, "addresses"), i_ad, ad)
			if (i_ad == 0 || json_is_true(json_object_get(ad, "isDefault"))) {
				dest.country = json_string_value(json_object_get(ad, "country"));
				dest.region = json_string_value(json_object_get(ad, "region"));
			}
		if (!json_array_size(json_object_get(m, "addresses")) && address_country_name(dest.country))
			json_object_set_new(m, "methodsFor", json_string(address_country_name(dest.country)));
		if ((e = pricing_methods(c->db, c->a, lines, n, &dest, 0, &pm, &nm)) && e != E_INVAL)
			return e;
		for (size_t i = 0; !e && i < nm; i++)
			want_ok |= want_method && pm[i].available && !strcmp(pm[i].code, want_method);
		methods = json_array();
		for (size_t i = 0; !e && i < nm; i++) {
			json_t *o = json_pack("{s:s, s:s, s:b, s:I, s:i, s:i, s:b}", "code", pm[i].code,
				"name", pm[i].name, "available", pm[i].available, "price", (json_int_t)pm[i].price,
				"daysMin", pm[i].days_min, "daysMax", pm[i].days_max, "free", pm[i].free);

			json_object_set_new(o, "daysText", json_string(pricing_days_text(c->a, pm[i].days_min,
										 pm[i].days_max)));
			if (pm[i].available && (want_ok ? !strcmp(pm[i].code, want_method) : !checked++))
				json_object_set_new(o, "checked", json_true());
			if (pm[i].why_unavailable)
				json_object_set_new(o, "whyUnavailable", json_string(pm[i].why_unavailable));
			/* CURRENCIES (issue 19): in the shop's; the fx module's
			 * localize hook shows it in the shopper's */
			json_object_set_new(o, "currency", json_string(PRICING_CURRENCY));
			json_array_append_new(methods, o);
		}
		json_object_set_new(m, "methods", methods);
	}
	if ((e = fx_cart_for_request(c, k)))	/* CURRENCIES (issue 19): the summary in the shopper's */
		return e;
	json_object_set_new(m, "summary", summary_json(k));
	if (error)
		json_object_set_new(m, "error", json_pack("{s:s}", "message", error));
	return E_OK;
}

/* What the form sent, as the form shows it again (and the stash keeps). */
static json_t *form_values(struct ctx *c)
{
	static const char *const names[] = { "name", "line1", "line2", "city", "postalCode", "country",
					     "shippingMethod", "promoCode" };
	json_t *v = json_object();
	const char *region = ctx_str(c, "region");

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (ctx_str(c, names[i]))
			json_object_set_new(v, names[i], json_string(ctx_str(c, names[i])));
	if (!region || !*region)
		region = ctx_str(c, "regionOther");
	if (region)
		json_object_set_new(v, "region", json_string(region));
	if (ctx_has(c, "shippingAddressId"))
		json_object_set_new(v, "shippingAddressId", json_integer(ctx_int(c, "shippingAddressId", 0)));
	if (ctx_int(c, "saveAddress", 0))
		json_object_set_new(v, "saveAddress", json_true());
	return v;
}

static void release_json(void *p)
{
	json_decref(p);
}

/* The stash of this session as JSON (a new reference), or NULL. */
static json_t *stash_load(struct ctx *c)
{
	const char *text = NULL;

	if (!c->sess || checkout_stash_get(c->kv, c->a, c->sess->key, &text) || !text)
		return NULL;
	return json_loads(text, 0, NULL);
}

/* The form again after the POST /checkout/review was refused before its
 * address was read (a guest's email, guest_pages.c): what was typed kept. */
enum err checkout_form_again(struct ctx *c, int status, const char *error)
{
	json_t *vals = form_values(c);
	enum err e = checkout_form(c, status, error, vals, NULL);

	json_decref(vals);
	return e;
}

enum err h_checkout(struct ctx *c)
{
	json_t *st = stash_load(c);
	enum err e = checkout_form(c, 200, NULL, st, NULL);

	json_decref(st);
	return e;
}

/* The new address into the address book, unless it is there already;
 * its id (0 when it could not be kept: the book is full). */
static int64_t save_address(struct ctx *c, const struct address *ad)
{
	struct address_row *rows = NULL;
	struct address_change op;
	size_t n = 0;

	if (address_book(c->db, c->a, c->sess->uid, &rows, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct address *b = &rows[i].ad;

		if (!strcmp(b->name ?: "", ad->name) && !strcmp(b->line1 ?: "", ad->line1) &&
		    !strcmp(b->line2 ?: "", ad->line2 ?: "") && !strcmp(b->city ?: "", ad->city) &&
		    !strcmp(b->region ?: "", ad->region ?: "") && !strcmp(b->postal_code ?: "", ad->postal_code ?: "") &&
		    !strcmp(b->country ?: "", ad->country))
			return rows[i].id;
	}
	memset(&op, 0, sizeof(op));
	op.kind = ADDRESS_CREATE;
	op.uid = c->sess->uid;
	op.in = *ad;
	if (address_apply(c->db, c->a, &op))
		return 0;
	return op.id;
}

/* Review, step 1: the form's POST. Refused input shows the form again
 * with everything typed and each problem beside its field; accepted input
 * (the new address saved when the box is ticked) is kept for the session
 * and the browser is sent to GET /checkout/review, so that Back or a
 * refresh never re-posts the form. */
enum err h_checkout_review(struct ctx *c)
{
	struct checkout_req in;
	struct checkout_plan p;
	struct address_errors errs;
	struct src src = { c, NULL };
	const char *why = NULL, *text;
	json_t *vals = form_values(c);
	enum err e;

	/* A saved address chosen and a new one typed: which one? Never the
	 * saved one in the shopper's place (the script chooses the new one
	 * as they type; without it, the form asks). */
	if (ctx_int(c, "shippingAddressId", 0) > 0 && ctx_str(c, "line1")) {
		json_object_set_new(vals, "shippingAddressId", json_integer(0));
		e = checkout_form(c, 400, "You chose a saved address and also typed a new one. We have chosen the new "
				  "one below: check it and press Review again, or choose a saved address.", vals, NULL);
		json_decref(vals);
		return e;
	}
	e = read_input_from(&src, &in, &why, &errs);

	if (e == E_INVAL) {
		const char *msg = errs.n ? "Please check the address: what needs changing is marked below." :
			"Please choose one of your addresses or enter a new one.";

		e = checkout_form(c, 400, msg, vals, &errs);
		json_decref(vals);
		return e;
	}
	if (!e)
		e = cart_load(c, &in.cart);
	if (e || (e = checkout_plan(c->db, c->a, &in, &p))) {
		json_decref(vals);
		return e;
	}
	if (p.status) {
		json_decref(p.extra);
		e = checkout_form(c, p.status, p.msg, vals, NULL);
		json_decref(vals);
		return e;
	}
	if (!in.address_id && c->sess->uid && ctx_int(c, "saveAddress", 0)) {
		int64_t id = save_address(c, &in.addr);

		if (id) {
			json_object_set_new(vals, "shippingAddressId", json_integer(id));
			json_object_del(vals, "saveAddress");
		}
	}
	json_object_set_new(vals, "cartKey", json_string(cart_key_of(c, in.cart)));
	text = json_dumps(vals, JSON_COMPACT);
	json_decref(vals);
	if (!text)
		return E_NOMEM;
	e = checkout_stash_put(c->kv, c->a, c->sess->key, text);
	free((void *)text);
	if (e)
		return e;
	return reply_redirect(c, 303, "/checkout/review");
}

/* Review, step 2: the priced order and the "Place order" form, which
 * carries every input again plus the amount shown, the cart it priced and
 * a fresh idempotency key. A cart that became an order (this tab's after
 * paying, or another tab's) sends the shopper to that order. */
enum err h_checkout_review_page(struct ctx *c)
{
	struct checkout_req in;
	struct checkout_plan p;
	struct src src = { c, stash_load(c) };
	const char *why = NULL;
	char key[33];
	unsigned char raw[16];
	json_t *m, *lines, *form;
	int64_t ordered = 0;
	enum err e;
	long changes = 0;

	if (!src.st)
		return reply_redirect(c, 303, "/checkout");
	arena_on_reset(c->a, release_json, src.st);
	if ((e = checkout_cart_order(c->db, c->a, checkout_uid(c), s_str(&src, "cartKey"), &ordered)))
		return e;
	if (ordered)
		return reply_redirect(c, 303, arena_printf(c->a, "/orders/%lld", (long long)ordered));
	e = read_input_from(&src, &in, &why, NULL);
	if (e == E_INVAL)
		return checkout_form(c, 400, "Please choose one of your addresses or enter a new one.", src.st, NULL);
	if (e || (e = cart_load(c, &in.cart)))
		return e;
	if (!in.cart->n)
		return reply_redirect(c, 303, "/cart");
	/* The cart as it is now: an order it became in another tab. */
	if ((e = checkout_cart_order(c->db, c->a, checkout_uid(c), cart_key_of(c, in.cart), &ordered)))
		return e;
	if (ordered)
		return reply_redirect(c, 303, arena_printf(c->a, "/orders/%lld", (long long)ordered));
	if ((e = checkout_plan(c->db, c->a, &in, &p)))
		return e;
	if (p.status) {
		json_decref(p.extra);
		return checkout_form(c, p.status, p.msg, src.st, NULL);
	}
	if (!(m = session_form_page(c, "checkout_review", "Review your order", 200)))
		return E_NOMEM;
	lines = json_array();
	for (size_t i = 0; i < p.cart->n; i++) {
		const struct cart_line *l = &p.cart->lines[i];
		const char *opts;

		changes += l->price != l->added_price;
		json_array_append_new(lines, json_pack("{s:s, s:s, s:i, s:I, s:I, s:I, s:b, s:s}",
			"itemId", l->code, "title", l->title, "quantity", l->quantity,
			"unitPrice", (json_int_t)l->price, "addedPrice", (json_int_t)l->added_price,
			"lineTotal", (json_int_t)(l->price * l->quantity), "priceChanged", l->price != l->added_price,
			"currency", l->currency ? l->currency : "USD"));
		if ((opts = order_options_text(c->a, l->options)))
			json_object_set_new(json_array_get(lines, json_array_size(lines) - 1), "options",
					    json_string(opts));
		if (l->sale_id)	/* SALES (issue 18): which price this is */
			json_object_set_new(json_array_get(lines, json_array_size(lines) - 1), "saleNote",
					    json_string(l->on_sale ? "Flash sale price" : "Sale over: regular price"));
	}
	json_object_set_new(m, "lines", lines);
	json_object_set_new(m, "quote", checkout_quote_json(&p));
	json_object_set_new(json_object_get(m, "quote"), "daysText",
			    json_string(pricing_days_text(c->a, p.q.days_min, p.q.days_max)));
	json_object_set_new(m, "priceChanges", json_integer(changes));
	json_object_set_new(m, "address", json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		"name", in.addr.name, "line1", in.addr.line1, "line2", in.addr.line2 ? in.addr.line2 : "",
		"city", in.addr.city, "region", in.addr.region ? in.addr.region : "",
		"postalCode", in.addr.postal_code ? in.addr.postal_code : "", "country", in.addr.country,
		"countryName", address_country_name(in.addr.country) ?: in.addr.country));
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(key, sizeof(key), raw, sizeof(raw));
	form = json_pack("{s:s, s:I, s:s, s:s}", "idempotencyKey", key, "amount", (json_int_t)p.q.total,
			 "shippingMethod", in.method, "cartKey", cart_key_of(c, in.cart));
	if (in.address_id)
		json_object_set_new(form, "shippingAddressId", json_integer(in.address_id));
	if (in.promo)
		json_object_set_new(form, "promoCode", json_string(in.promo));
	json_object_set_new(m, "form", form);
	if (changes)
		c->notice = "Some prices changed since you added the items to your cart. The new prices are shown below "
			    "and are the ones you will pay.";
	/* "Place order" ends on the gateway's page (a redirect after the
	 * form's POST), which browsers check against this page's form-action:
	 * the site's policy plus the gateway's origin (nginx keeps a policy
	 * that shopd sets). */
	resp_header(c->resp, arena_printf(c->a, "Content-Security-Policy: default-src 'self'; img-src 'self' data:; "
		"style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
		"form-action 'self' %s", payment_origin()));
	return E_OK;
}

enum err h_checkout_place(struct ctx *c)
{
	return place_order(c, ctx_str(c, "idempotencyKey"), 1);
}

/* The gateway sends the shopper back here. Its query is a hint only: the
 * outcome is read from the gateway with the order's own intent id. */
enum err h_checkout_return(struct ctx *c)
{
	int64_t oid = ctx_int(c, "order", 0);
	struct payment p;
	const char *intent, *st;
	enum err e;

	e = order_state(c->db, c->a, oid, c->sess->uid, &st, &intent);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such order in your account.");
	if (e)
		return e;
	if (!intent)
		return reply_redirect(c, 303, arena_printf(c->a, "/orders/%lld", (long long)oid));
	e = payment_get(c->a, intent, &p);
	if (e == E_UNAVAIL) {
		session_flash(c, "We could not reach the payment service to confirm your payment. "
				 "This page will show it as soon as we hear from it.");
		return reply_redirect(c, 303, arena_printf(c->a, "/orders/%lld", (long long)oid));
	}
	if (e)
		return e;
	if (!strcmp(p.status, "requires_capture")) {
		int late = 0;

		if ((e = order_paid(c->db, c->a, intent, p.brand, p.last4, arena_printf(c->a, "user:%lld",
				    (long long)c->sess->uid), &late)))
			return e;
		session_flash(c, late ? "Your payment arrived after the order had expired, so it was voided. "
					"Nothing was charged." :
					"Thank you! Your payment is authorized and your order is confirmed.");
	} else if (*p.error_code) {
		const char *why = payment_reason(&p);

		if ((e = order_declined(c->db, c->a, intent, why, "gateway")))
			return e;
		session_flash(c, why);
	}
	return reply_redirect(c, 303, arena_printf(c->a, "/orders/%lld", (long long)oid));
}

/* ---- the webhook ---- */

enum err h_api_paygate_webhook(struct ctx *c)
{
	json_t *ev = c->req->json, *obj, *pm, *err, *m;
	struct gateway_event g;
	int duplicate = 0;
	enum err e;

	if (payment_verify_webhook(c->req->signature, c->req->body ? c->req->body : "", c->req->body_len,
				   (int64_t)time(NULL)))
		return reply_error(c, 400, "The signature is missing, wrong or too old.");
	memset(&g, 0, sizeof(g));
	g.id = json_string_value(json_object_get(ev, "id"));
	g.type = json_string_value(json_object_get(ev, "type"));
	obj = json_object_get(json_object_get(ev, "data"), "object");
	g.intent = json_string_value(json_object_get(obj, "id"));
	if (!g.id || !g.type || !json_is_object(obj))
		return reply_error(c, 400, "Not an event.");
	pm = json_object_get(obj, "payment_method");
	err = json_object_get(obj, "last_payment_error");
	g.brand = json_string_value(json_object_get(pm, "brand"));
	g.last4 = json_string_value(json_object_get(pm, "last4"));
	g.error_code = json_string_value(json_object_get(err, "code"));
	g.decline_code = json_string_value(json_object_get(err, "decline_code"));
	g.order_id = json_string_value(json_object_get(json_object_get(obj, "metadata"), "order_id"));
	g.amount = (int64_t)json_integer_value(json_object_get(obj, "amount"));
	g.currency = json_string_value(json_object_get(obj, "currency"));
	if ((e = checkout_gateway_event(c->db, c->a, &g, &duplicate)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_set_new(m, "received", json_true());
	if (duplicate)
		json_object_set_new(m, "duplicate", json_true());
	return E_OK;
}
