/* Guest checkout (issue 15): see guest_pages.h. A guest's checkout is the
 * signed-in one with the guest row (app/account/guest.h) as its user: the
 * handlers here check the email, tie the row to the session and hand over
 * to checkout_pages.c; what differs is only where a guest lands (the order
 * page a signed link opens, never a page behind sign-in) and the guest cart
 * in Redis, from which the bought lines go once the order is paid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../store/kv.h"
#include "../account/account.h"
#include "../account/guest.h"
#include "../account/session_pages.h"
#include "../cart/cart.h"
#include "../order/order.h"
#include "../order/order_link.h"
#include "../returns/returns_pages.h"
#include "../order/order_pages.h"
#include "../payment/payment.h"
#include "../pricing/pricing.h"
#include "checkout_pages.h"
#include "guest_pages.h"
#include "../wishlist/wishlist_pages.h"

#define LOOKUP_IP_LIMIT 20	/* order lookups per IP and window */
#define LOOKUP_EMAIL_LIMIT 10	/* per email and window */
#define LOOKUP_WINDOW 3600
#define SAVE_IP_LIMIT 10	/* "Save your details" per IP and window (Argon2 work) */
#define SAVE_WINDOW 3600

static const char *email_help = "Enter your email address, such as ann@example.com: your receipt and the link "
				"to your order go there.";

static int signed_in(const struct ctx *c)
{
	return c->sess && c->sess->uid;
}

int64_t checkout_uid(const struct ctx *c)
{
	if (!c->sess)
		return 0;
	return c->sess->uid ? c->sess->uid : c->sess->guest_uid;
}

static const char *client_ip(const struct ctx *c)
{
	return c->req->remote_addr ? c->req->remote_addr : "unknown";
}

static int64_t path_id(const struct ctx *c)
{
	int64_t id;
	const char *s = c->req->npathvar ? c->req->pathvar[0] : NULL;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

/* The session's guest row while it is still a guest row (one that became
 * an account signs in instead), else 0. */
static int64_t bound_guest(struct ctx *c, const char **email)
{
	int is_guest = 0;
	const char *em = NULL;

	if (email)
		*email = NULL;
	if (!c->sess || c->sess->uid || !c->sess->guest_uid)
		return 0;
	if (guest_info(c->db, c->a, c->sess->guest_uid, &is_guest, &em) || !is_guest)
		return 0;
	if (email)
		*email = em;
	return c->sess->guest_uid;
}

/* The email block of the checkout form: what was typed, and its error. */
static void form_guest(struct ctx *c, const char *email, const char *error)
{
	json_t *m = c->resp->model, *g;

	if (!m || signed_in(c) || !c->resp->view || strcmp(c->resp->view, "checkout"))
		return;
	g = json_object();
	if (email)
		json_object_set_new(g, "email", json_string(email));
	if (error)
		json_object_set_new(g, "emailError", json_string(error));
	json_object_set_new(m, "guest", g);
}

/* A guest's email from the form or the JSON body, normalised; NULL with
 * *raw (as typed, may be NULL) when absent or not an address. */
static const char *guest_email(struct ctx *c, const char **raw)
{
	*raw = ctx_str(c, "email");
	return *raw ? account_email(c->a, *raw) : NULL;
}

static const char *promo_for_accounts = "This promo code can be used once per customer: sign in or create an "
				       "account to use it.";

/* E_OK with *refused 1 when a guest names a once-per-customer promo code. */
static enum err guest_promo_refused(struct ctx *c, int *refused)
{
	return pricing_promo_per_customer(c->db, c->a, ctx_str(c, "promoCode"), refused);
}

/* Ties a guest row with this email to the session (checkout_uid then
 * names it). */
static enum err bind(struct ctx *c, const char *email)
{
	json_t *addr = c->req->json ? json_object_get(c->req->json, "shippingAddress") : NULL;
	const char *name = ctx_str(c, "name") ? ctx_str(c, "name") : json_string_value(json_object_get(addr, "name"));
	int64_t gid = 0;
	enum err e = guest_bind(c->db, c->kv, c->a, c->sess->key, bound_guest(c, NULL), email, name, &gid);

	if (e)
		return e;
	c->sess->guest_uid = gid;
	return E_OK;
}

/* Once per order: the lines a guest bought leave the cart in the session
 * (a signed-in shopper's leave the saved cart in the payment's own
 * transaction, order.c). Only for a confirmed order of this session's
 * guest row; what was added meanwhile stays, as for accounts. */
static void settle_cart(struct ctx *c, int64_t oid)
{
	json_t *o, *lines, *l;
	redisReply *r = NULL;
	const char *st;
	size_t i;

	if (!c->sess || c->sess->uid || !c->sess->guest_uid)
		return;
	if (!(o = order_json(c->db, c->a, oid, c->sess->guest_uid)))
		return;
	st = json_string_value(json_object_get(o, "status"));
	if (!st || !strcmp(st, "pending_payment") || !strcmp(st, "payment_failed") || !strcmp(st, "expired") ||
	    !strcmp(st, "cancelled") ||
	    kv_cmd(c->kv, c->a, &r, "HSETNX %s paid:%lld 1", c->sess->key, (long long)oid) || !r ||
	    r->type != REDIS_REPLY_INTEGER || r->integer != 1) {
		json_decref(o);
		return;
	}
	lines = json_object_get(o, "lines");
	json_array_foreach(lines, i, l) {
		const char *code = json_string_value(json_object_get(l, "itemId"));
		struct cart_owner own = { 0, c->sess };
		struct cart_sku s;
		struct cart_refusal no;

		memset(&s, 0, sizeof(s));
		memset(&no, 0, sizeof(no));
		if (!code || cart_find_sku(c->db, c->a, code, 0, CART_SET, &s, &no) || no.status)
			continue;
		memset(&no, 0, sizeof(no));
		if (cart_apply(c->db, c->kv, c->a, &own, &s, 0, CART_SET, -1, &no, NULL))
			log_warn("order %lld: line %s not taken out of the guest cart", (long long)oid, code);
	}
	json_decref(o);
}

/* ---- the checkout routes ---- */

enum err h_checkout_start(struct ctx *c)
{
	const char *email = NULL;
	enum err e;

	if (signed_in(c))
		return h_checkout(c);
	if (!c->sess && !session_csrf(c))
		return E_UNAVAIL;	/* no Redis: no cart and no session either */
	bound_guest(c, &email);
	if ((e = h_checkout(c)))
		return e;
	form_guest(c, email, NULL);
	return E_OK;
}

enum err h_checkout_review_start(struct ctx *c)
{
	const char *raw, *email;
	int refused = 0;
	enum err e;

	if (signed_in(c))
		return h_checkout_review(c);
	if (!(email = guest_email(c, &raw))) {
		if ((e = checkout_form_again(c, 400, "Please check your email address.")))
			return e;
		form_guest(c, raw, email_help);
		return E_OK;
	}
	if ((e = guest_promo_refused(c, &refused)))
		return e;
	if (refused) {
		if ((e = checkout_form_again(c, 422, promo_for_accounts)))
			return e;
		form_guest(c, raw, NULL);
		return E_OK;
	}
	if ((e = bind(c, email)) || (e = h_checkout_review(c)))
		return e;
	form_guest(c, email, NULL);	/* the form again, when the review refused */
	return E_OK;
}

/* A redirect to /orders/<id> (a page behind sign-in) becomes the signed
 * link to the same order. */
static void relocate(struct ctx *c)
{
	for (int i = 0; i < c->resp->nheaders; i++) {
		const char *h = c->resp->headers[i], *p = "Location: /orders/";
		int64_t oid;

		if (strncmp(h, p, strlen(p)))
			continue;
		h += strlen(p);
		if (parse_int64(h, strlen(h), 1, INT64_MAX, &oid))
			continue;
		c->resp->headers[i] = arena_printf(c->a, "Location: %s", order_link_path(c->a, oid));
	}
}

/* GET /checkout/review: a guest's review once their email is given; a
 * cart that became an order goes to the order's signed link. */
enum err h_checkout_review_page_start(struct ctx *c)
{
	const char *email = NULL;
	enum err e;

	if (signed_in(c))
		return h_checkout_review_page(c);
	if (!bound_guest(c, &email))
		return reply_redirect(c, 303, "/checkout");
	if ((e = h_checkout_review_page(c)))
		return e;
	relocate(c);
	if (email && c->resp->model && c->resp->view && !strcmp(c->resp->view, "checkout_review"))
		json_object_set_new(c->resp->model, "guestEmail", json_string(email));
	form_guest(c, NULL, NULL);	/* the form again, when the review refused */
	return E_OK;
}

enum err h_checkout_place_start(struct ctx *c)
{
	int refused = 0;
	enum err e;

	if (signed_in(c))
		return h_checkout_place(c);
	if (!bound_guest(c, NULL)) {
		session_flash(c, "Please give your email address first: your receipt goes there.");
		return reply_redirect(c, 303, "/checkout");
	}
	if ((e = guest_promo_refused(c, &refused)))
		return e;
	if (refused)
		return reply_error(c, 422, promo_for_accounts);
	if ((e = h_checkout_place(c)))
		return e;
	relocate(c);
	return E_OK;
}

/* The gateway sends a guest back here: as h_checkout_return, for the
 * session's guest row, ending on the order's signed link. */
enum err h_checkout_return_start(struct ctx *c)
{
	int64_t oid = ctx_int(c, "order", 0), uid;
	struct payment p;
	const char *intent, *st, *link;
	enum err e;

	if (signed_in(c))
		return h_checkout_return(c);
	uid = checkout_uid(c);
	e = uid ? order_state(c->db, c->a, oid, uid, &st, &intent) : E_NOTFOUND;
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such order here. The link to your order is in the email we "
					   "sent you; you can also find it with your email address and order number at "
					   "/orders/lookup.");
	if (e)
		return e;
	if (!(link = order_link_path(c->a, oid)))
		return E_NOMEM;
	if (!intent)
		return reply_redirect(c, 303, link);
	e = payment_get(c->a, intent, &p);
	if (e == E_UNAVAIL) {
		session_flash(c, "We could not reach the payment service to confirm your payment. "
				 "This page will show it as soon as we hear from it.");
		return reply_redirect(c, 303, link);
	}
	if (e)
		return e;
	if (!strcmp(p.status, "requires_capture")) {
		int late = 0;

		if ((e = order_paid(c->db, c->a, intent, p.brand, p.last4, arena_printf(c->a, "user:%lld",
				    (long long)uid), &late)))
			return e;
		session_flash(c, late ? "Your payment arrived after the order had expired, so it was voided. "
					"Nothing was charged." :
					"Thank you! Your payment is authorized and your order is confirmed. "
					"We have sent the details to your email.");
	} else if (*p.error_code) {
		const char *why = payment_reason(&p);

		if ((e = order_declined(c->db, c->a, intent, why, "gateway")))
			return e;
		session_flash(c, why);
	}
	settle_cart(c, oid);
	return reply_redirect(c, 303, link);
}

/* The API's answer for a caller who is not signed in and gave no email,
 * or a bad one: E_OK with the answer made, else -1 (go on). */
static int api_guest_refused(struct ctx *c, const char **email, enum err *e)
{
	const char *raw;
	int refused = 0;

	*email = guest_email(c, &raw);
	if (!raw) {
		*e = reply_error(c, 401, "Please sign in first, or send \"email\" to check out as a guest.");
		return 1;
	}
	if (!*email) {
		*e = reply_error(c, 400, "email: is not a valid email address");
		return 1;
	}
	if ((*e = guest_promo_refused(c, &refused)))
		return 1;
	if (refused) {
		*e = reply_error(c, 422, promo_for_accounts);
		return 1;
	}
	return 0;
}

enum err h_api_checkout_quote_start(struct ctx *c)
{
	const char *email;
	enum err e = E_OK;

	if (signed_in(c))
		return h_api_checkout_quote(c);
	if (api_guest_refused(c, &email, &e))
		return e;
	return h_api_checkout_quote(c);
}

enum err h_api_checkout_start(struct ctx *c)
{
	const char *email;
	json_t *m;
	int64_t oid;
	enum err e = E_OK;

	if (signed_in(c))
		return h_api_checkout(c);
	if (api_guest_refused(c, &email, &e))
		return e;
	if ((e = bind(c, email)) || (e = h_api_checkout(c)))
		return e;
	/* The order's page for a guest: its signed link. */
	m = c->resp->model;
	oid = m ? (int64_t)json_integer_value(json_object_get(m, "id")) : 0;
	if (oid > 0 && c->resp->status < 300) {
		json_object_set_new(m, "guestUrl", json_string(order_link_path(c->a, oid)));
		settle_cart(c, oid);
	}
	return E_OK;
}

/* ---- a guest's order ---- */

/* The members of o named in keys (a new object). */
static json_t *pick(json_t *o, const char *const *keys)
{
	json_t *out = json_object(), *v;

	for (size_t i = 0; keys[i]; i++)
		if ((v = json_object_get(o, keys[i])))
			json_object_set(out, keys[i], v);
	return out;
}

/* What guest_order.html shows of order_json's order (its model names
 * stay those declared in guest_routes.inc whatever the API adds). */
static json_t *page_order(json_t *o)
{
	static const char *const top[] = { "id", "status", "statusLabel", "shippingAddress", "subtotal", "discount",
		"promoCode", "shippingMethod", "shipping", "tax", "total", "currency", "isPending", "isFailed",
		"payUrl", "holdExpiresAt", "returnUrl", NULL };
	static const char *const line[] = { "title", "quantity", "unitPrice", "lineTotal", "currency", NULL };
	static const char *const ship[] = { "carrier", "tracking", "statusText", NULL };
	static const char *const pay[] = { "brand", "last4", NULL };
	static const char *const ret[] = { "id", "statusText", "url", NULL };
	json_t *p = pick(o, top), *a, *x;
	size_t i;

	a = json_array();
	json_array_foreach(json_object_get(o, "lines"), i, x)
		json_array_append_new(a, pick(x, line));
	json_object_set_new(p, "lines", a);
	a = json_array();
	json_array_foreach(json_object_get(o, "shipments"), i, x)
		json_array_append_new(a, pick(x, ship));
	json_object_set_new(p, "shipments", a);
	json_object_set_new(p, "payment", pick(json_object_get(o, "payment"), pay));
	a = json_array();
	json_array_foreach(json_object_get(o, "returns"), i, x)
		json_array_append_new(a, pick(x, ret));
	json_object_set_new(p, "returns", a);
	return p;
}

/* The order page of a signed link; status and error for a refused "Save
 * your details". */
static enum err guest_page(struct ctx *c, int64_t oid, const char *token, int status, const char *error)
{
	int64_t owner = 0;
	int is_guest = 0;
	const char *email = NULL, *st = NULL;
	json_t *o, *m;
	enum err e;

	if (!order_link_ok(oid, token))
		return reply_error(c, 404, "This link to an order is not valid. Find your order with your email address "
					   "and order number at /orders/lookup.");
	if ((e = order_owner(c->db, c->a, oid, &owner, &is_guest, &email, &st)) == E_NOTFOUND)
		return reply_error(c, 404, "There is no such order.");
	if (e)
		return e;
	if (signed_in(c) && c->sess->uid == owner && !c->req->wants_json)
		return reply_redirect(c, 303, arena_printf(c->a, "/orders/%lld", (long long)oid));
	if (!(o = order_json(c->db, c->a, oid, 0)))
		return E_DB;
	/* RETURNS (issue 19): "Return items" and the order's returns, by the link. */
	returns_guest_block(c->db, c->a, oid, owner, token, o);
	if (c->req->wants_json) {
		if (!(m = reply_model(c, NULL, NULL))) {
			json_decref(o);
			return E_NOMEM;
		}
		json_object_update(m, o);
		json_decref(o);
		return E_OK;
	}
	if (!(m = session_form_page(c, "guest_order", arena_printf(c->a, "Order %lld", (long long)oid), status))) {
		json_decref(o);
		return E_NOMEM;
	}
	json_object_set_new(m, "order", page_order(o));
	json_decref(o);
	json_object_set_new(m, "token", json_string(token));
	/* "Save your details": after paying, while the order is a guest's. */
	if (is_guest && strcmp(st, "pending_payment") && strcmp(st, "payment_failed") && strcmp(st, "expired") &&
	    strcmp(st, "cancelled"))
		json_object_set_new(m, "save", json_pack("{s:s}", "email", email));
	if (error)
		json_object_set_new(m, "error", json_pack("{s:s}", "message", error));
	return E_OK;
}

enum err h_guest_order(struct ctx *c)
{
	return guest_page(c, path_id(c), ctx_str(c, "t"), 200, NULL);
}

enum err h_guest_save(struct ctx *c)
{
	int64_t oid = path_id(c), owner = 0;
	int is_guest = 0, wait;
	const char *token = ctx_str(c, "t"), *email = NULL, *st = NULL, *why = NULL, *old = NULL, *msg = NULL;
	const char *ipkey = arena_printf(c->a, "save:ip:%s", client_ip(c));
	enum err e;

	if (!order_link_ok(oid, token))
		return reply_error(c, 404, "This link to an order is not valid. Find your order with your email address "
					   "and order number at /orders/lookup.");
	if ((e = order_owner(c->db, c->a, oid, &owner, &is_guest, &email, &st)))
		return e == E_NOTFOUND ? reply_error(c, 404, "There is no such order.") : e;
	if (!is_guest)
		return reply_redirect(c, 303, arena_printf(c->a, "/signin?next=/orders/%lld", (long long)oid));
	if ((wait = session_throttled(c, ipkey, SAVE_IP_LIMIT)))
		return session_reply_throttled(c, wait, "attempts");
	session_throttle_hit(c, ipkey, SAVE_WINDOW);
	e = guest_save(c->db, c->a, owner, ctx_str(c, "password"), &why);
	if (e == E_INVAL)
		return guest_page(c, oid, token, 400, why);
	if (e == E_CONFLICT)
		return guest_page(c, oid, token, 409, arena_printf(c->a, "There is already an account for %s. Sign in "
			"to it to see its orders; this order stays on the link in your email.", email));
	if (e == E_NOTFOUND)
		return reply_redirect(c, 303, arena_printf(c->a, "/signin?next=/orders/%lld", (long long)oid));
	if (e)
		return e;
	/* Signed in as the new account, the cart in the session going with
	 * them, as at any sign-in. */
	if ((e = cart_merge(c->db, c->a, c->sess, owner, &msg)))
		return e;
	wishlist_merge_guest(c, owner);	/* the guest's saved items (app/wishlist) */
	if ((e = session_signin(c, owner, &old)))
		return e;
	session_flash(c, msg ? arena_printf(c->a, "Your account is ready and this order is in it. %s", msg) :
			       "Your account is ready and this order is in it.");
	return reply_redirect(c, 303, arena_printf(c->a, "/orders/%lld", (long long)oid));
}

/* ---- /orders/lookup ---- */

static json_t *lookup_page(struct ctx *c, int status, const char *error)
{
	json_t *m = session_form_page(c, "order_lookup", "Find your order", status);

	if (!m)
		return NULL;
	if (ctx_str(c, "email"))
		json_object_set_new(m, "email", json_string(ctx_str(c, "email")));
	if (ctx_str(c, "order"))
		json_object_set_new(m, "order", json_string(ctx_str(c, "order")));
	if (error)
		json_object_set_new(m, "error", json_pack("{s:s}", "message", error));
	return m;
}

enum err h_order_lookup_form(struct ctx *c)
{
	return lookup_page(c, 200, NULL) ? E_OK : E_NOMEM;
}

/* The email's throttle key: hashed, so Redis holds no addresses. */
static const char *email_key(struct ctx *c, const char *email)
{
	unsigned char h[16];
	char hex[33];

	crypto_generichash(h, sizeof(h), (const unsigned char *)email, strlen(email), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	return arena_printf(c->a, "lookup:email:%s", hex);
}

enum err h_order_lookup(struct ctx *c)
{
	const char *email = account_email(c->a, ctx_str(c, "email") ? ctx_str(c, "email") : "");
	const char *num = ctx_str(c, "order") ? ctx_str(c, "order") : "";
	const char *ipkey = arena_printf(c->a, "lookup:ip:%s", client_ip(c)), *ekey = NULL;
	int64_t oid = 0;
	int found = 0, wait;
	enum err e;
	json_t *m;

	while (*num == '#' || *num == ' ')
		num++;
	if (email)
		ekey = email_key(c, email);
	if ((wait = session_throttled(c, ipkey, LOOKUP_IP_LIMIT)) ||
	    (ekey && (wait = session_throttled(c, ekey, LOOKUP_EMAIL_LIMIT))))
		return session_reply_throttled(c, wait, "attempts to find an order");
	session_throttle_hit(c, ipkey, LOOKUP_WINDOW);
	if (ekey)
		session_throttle_hit(c, ekey, LOOKUP_WINDOW);
	if (email && !parse_int64(num, strlen(num), 1, INT64_MAX, &oid) &&
	    (e = order_guest_find(c->db, c->a, email, oid, &found)))
		return e;
	if (!found) {
		/* One answer for a wrong email, a wrong number or both. */
		if (!(m = lookup_page(c, 404, "We could not find an order with that email address and order number. "
					 "Check both (the number is in your confirmation email) and try again.")))
			return E_NOMEM;
		return E_OK;
	}
	if (c->req->wants_json) {
		if (!(m = reply_model(c, NULL, NULL)))
			return E_NOMEM;
		json_object_set_new(m, "id", json_integer(oid));
		json_object_set_new(m, "guestUrl", json_string(order_link_path(c->a, oid)));
		return E_OK;
	}
	return reply_redirect(c, 303, order_link_path(c->a, oid));
}
