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

static const char *field_of(struct ctx *c, json_t *obj, const char *name)
{
	if (obj)
		return json_string_value(json_object_get(obj, name));
	return ctx_str(c, name);
}

/* The shipping address: an id from the address book, a JSON object
 * "shippingAddress", or the flat form fields. E_INVAL with *why. */
static enum err read_input(struct ctx *c, struct checkout_req *in, const char **why)
{
	json_t *obj = c->req->json ? json_object_get(c->req->json, "shippingAddress") : NULL;
	struct address_errors errs;

	memset(in, 0, sizeof(*in));
	in->user_id = checkout_uid(c);	/* a guest's row, for a guest (guest_pages.c) */
	in->method = ctx_str(c, "shippingMethod");
	in->promo = ctx_str(c, "promoCode");
	in->payment_method = ctx_str(c, "paymentMethod");
	in->has_amount = ctx_has(c, "amount");
	in->amount = ctx_int(c, "amount", 0);
	if (!in->method)
		in->method = "standard";
	if (ctx_has(c, "shippingAddressId") && ctx_int(c, "shippingAddressId", 0) > 0) {
		json_t *list = NULL, *a;
		size_t i;
		enum err e;

		in->address_id = ctx_int(c, "shippingAddressId", 0);
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
	if (!obj && !ctx_str(c, "line1")) {
		*why = "shippingAddressId or shippingAddress: one of them is required";
		return E_INVAL;
	}
	in->addr.name = field_of(c, obj, "name");
	in->addr.line1 = field_of(c, obj, "line1");
	in->addr.line2 = field_of(c, obj, "line2");
	in->addr.city = field_of(c, obj, "city");
	in->addr.region = field_of(c, obj, "region");
	in->addr.postal_code = field_of(c, obj, "postalCode");
	in->addr.country = field_of(c, obj, "country");
	if (address_check(c->a, &in->addr, &errs)) {
		*why = arena_printf(c->a, "shippingAddress: %s", address_errors_text(c->a, &errs));
		return E_INVAL;
	}
	return E_OK;
}

/* The input and the cart, for a quote: E_INVAL with *why. */
static enum err read_all(struct ctx *c, struct checkout_req *in, const char **why)
{
	enum err e = read_input(c, in, why);

	if (e)
		return e;
	return cart_load(c, &in->cart);
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
	if (json_is_object(j))
		json_object_update(m, j);
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
	e = read_input(c, &rq, &why);
	if (e == E_INVAL) {
		memset(&rq, 0, sizeof(rq));
		rq.user_id = checkout_uid(c);
		rq.payment_method = ctx_str(c, "paymentMethod");
		rq.bad_input = why;
	} else if (e || (e = cart_load(c, &rq.cart))) {
		return e;
	}
	rq.idem_key = key;
	rq.request_hash = hash;
	if ((e = checkout_place(c->db, c->a, c->kv, &rq, &ans)))
		return e;
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

		if (pay && status == 202) {
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
	enum err e = read_all(c, &in, &why);
	json_t *m;

	if (e == E_INVAL)
		return reply_error(c, 400, why);
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

/* The checkout form: address, shipping method, promo code. */
static enum err checkout_form(struct ctx *c, int status, const char *error)
{
	json_t *m = session_form_page(c, "checkout", "Checkout", status), *list = NULL, *methods;
	struct cart *k = NULL;
	size_t i_ad;
	enum err e;

	if (!m)
		return E_NOMEM;
	if ((e = cart_load(c, &k)))
		return e;
	if (!k->n)
		return reply_redirect(c, 303, "/cart");
	if ((e = address_list(c, c->sess->uid, &list)))
		return e;
	json_object_set_new(m, "addresses", list);
	/* The methods from the rate tables, priced for this cart to the
	 * default address (or the first, or the US when there is none yet);
	 * the review page prices the address actually chosen. */
	{
		struct pricing_line *lines = arena_calloc(c->a, k->n + 1, sizeof(*lines));
		struct pricing_dest dest = { "US", "" };
		struct pricing_method *pm = NULL;
		size_t n = 0, nm = 0;
		json_t *ad;
		int checked = 0;

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
		json_array_foreach(list, i_ad, ad)
			if (i_ad == 0 || json_is_true(json_object_get(ad, "isDefault"))) {
				dest.country = json_string_value(json_object_get(ad, "country"));
				dest.region = json_string_value(json_object_get(ad, "region"));
			}
		if ((e = pricing_methods(c->db, c->a, lines, n, &dest, 0, &pm, &nm)) && e != E_INVAL)
			return e;
		methods = json_array();
		for (size_t i = 0; !e && i < nm; i++) {
			json_t *o = json_pack("{s:s, s:s, s:b, s:I, s:i, s:i, s:b}", "code", pm[i].code,
				"name", pm[i].name, "available", pm[i].available, "price", (json_int_t)pm[i].price,
				"daysMin", pm[i].days_min, "daysMax", pm[i].days_max, "free", pm[i].free);

			if (pm[i].available && !checked++)
				json_object_set_new(o, "checked", json_true());
			if (pm[i].why_unavailable)
				json_object_set_new(o, "whyUnavailable", json_string(pm[i].why_unavailable));
			json_array_append_new(methods, o);
		}
		json_object_set_new(m, "methods", methods);
	}
	if (!json_array_size(list))
		json_object_set_new(m, "newAddress", json_true());
	if (error)
		json_object_set_new(m, "error", json_pack("{s:s}", "message", error));
	return E_OK;
}

enum err h_checkout(struct ctx *c)
{
	return checkout_form(c, 200, NULL);
}

/* Review: the priced order and the "Place order" form, which carries every
 * input again plus the amount shown and a fresh idempotency key. */
enum err h_checkout_review(struct ctx *c)
{
	struct checkout_req in;
	struct checkout_plan p;
	const char *why = NULL;
	char key[33];
	unsigned char raw[16];
	json_t *m, *lines, *form;
	enum err e = read_all(c, &in, &why);
	long changes = 0;

	if (e == E_INVAL)
		return checkout_form(c, 400, why);
	if (e || (e = checkout_plan(c->db, c->a, &in, &p)))
		return e;
	if (p.status) {
		json_decref(p.extra);
		return checkout_form(c, p.status, p.msg);
	}
	if (!(m = session_form_page(c, "checkout_review", "Review your order", 200)))
		return E_NOMEM;
	lines = json_array();
	for (size_t i = 0; i < p.cart->n; i++) {
		const struct cart_line *l = &p.cart->lines[i];

		changes += l->price != l->added_price;
		json_array_append_new(lines, json_pack("{s:s, s:s, s:i, s:I, s:I, s:I, s:b, s:s}",
			"itemId", l->code, "title", l->title, "quantity", l->quantity,
			"unitPrice", (json_int_t)l->price, "addedPrice", (json_int_t)l->added_price,
			"lineTotal", (json_int_t)(l->price * l->quantity), "priceChanged", l->price != l->added_price,
			"currency", l->currency ? l->currency : "USD"));
	}
	json_object_set_new(m, "lines", lines);
	json_object_set_new(m, "quote", checkout_quote_json(&p));
	json_object_set_new(m, "priceChanges", json_integer(changes));
	json_object_set_new(m, "address", json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		"name", in.addr.name, "line1", in.addr.line1, "line2", in.addr.line2 ? in.addr.line2 : "",
		"city", in.addr.city, "region", in.addr.region ? in.addr.region : "",
		"postalCode", in.addr.postal_code ? in.addr.postal_code : "", "country", in.addr.country));
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(key, sizeof(key), raw, sizeof(raw));
	form = json_pack("{s:s, s:I, s:s}", "idempotencyKey", key, "amount", (json_int_t)p.q.total,
			 "shippingMethod", in.method);
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
