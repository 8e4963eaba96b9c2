/* t/http: guest checkout (issue 15) against the real stack and the sandbox
 * gateway. A visitor who is not signed in checks out with an email: over
 * the API (POST /api/checkout/quote and /api/checkout with "email") and
 * through the form (GET /checkout offers it first, the gateway's own page,
 * back to the order's signed link); the confirmation mail carries that
 * link; a tampered link opens nothing; /orders/lookup finds the order by
 * email and number, says the same whichever is wrong, and is rate limited;
 * "Save your details" makes the guest row an account with the order in it;
 * signing in from the checkout still merges the cart. Stock and money are
 * checked after every path (the stock invariants, the order's total against
 * the quote and the gateway's intent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include "harness.h"
#include "../../app/core/arena.h"
#include "../../app/core/config.h"
#include "../../app/store/db.h"
#include "../../app/account/guest.h"
#include "../../app/module.h"

#define PW "correct horse battery"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.800s", (s), (r)->body)
#define LACKS(r, s) ck_assert_msg(strstr((r)->body, (s)) == NULL, "body has %s: %.800s", (s), (r)->body)
#define FORM_ADDR "name=Gil+Guest&line1=2+Elm+St&line2=&city=Austin&region=TX&postalCode=78701&country=US"

static char sku[64];
static long long sku_id;

static long long avail(void)
{
	return sql_scalarf("SELECT SUM(available) FROM inventory WHERE sku_id = %lld", sku_id);
}

static void setup(void)
{
	clear_ip_throttles();
	redis_cmd("DEL t:lookup:ip:127.0.0.1 t:save:ip:127.0.0.1");
	sku_id = sku_pick("SPO", 1, sku, sizeof(sku));
	set_stock_only(sku_id, 1, 40, "test_guest: a known stock");
}

static void teardown(void)
{
	stock_invariants("after a guest test");
}

/* A visitor with a session and nothing else (no account). */
static void visitor(struct client *cl)
{
	memset(cl, 0, sizeof(*cl));
	ck_assert_int_eq(client_session(cl), 0);
}

/* The value of `name="<name>" value="..."` in an HTML body, into out. */
static void form_value(const char *body, const char *name, char *out, size_t n)
{
	char pat[80];
	const char *s;

	snprintf(pat, sizeof(pat), "name=\"%s\" value=\"", name);
	s = strstr(body, pat);
	ck_assert_msg(s != NULL, "no %s in %.600s", name, body);
	s += strlen(pat);
	snprintf(out, n, "%.*s", (int)strcspn(s, "\""), s);
}

/* The token of a signed link "/orders/<id>/view?t=<token>". */
static void link_token(const char *url, char *out, size_t n)
{
	const char *t = strstr(url, "?t=");

	ck_assert_ptr_nonnull(t);
	snprintf(out, n, "%s", t + 3);
}

/* POST /api/checkout as the visitor cl with email; the answer. */
static struct hresp *guest_checkout(struct client *cl, const char *email, long long amount, const char *pm)
{
	char body[700], key[64];
	static int n;

	snprintf(key, sizeof(key), "guest-%d-%d", (int)getpid(), ++n);
	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"email\":\"%s\",\"amount\":%lld,"
		 "\"paymentMethod\":\"%s\"}", email, amount, pm);
	return post_idem(cl, "/api/checkout", body, key, NULL);
}

/* The quote for the visitor cl with email: its amount. */
static long long guest_quote(struct client *cl, const char *email)
{
	char body[500];
	struct hresp *r;
	json_t *j;
	long long a;

	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"email\":\"%s\"}", email);
	r = client_req(cl, "POST", "/api/checkout/quote", body, 1);
	ck_assert_msg(r->status == 200, "quote: %ld %s", r->status, r->body);
	j = hresp_json(r);
	a = json_integer_value(json_object_get(j, "amount"));
	json_decref(j);
	hresp_free(r);
	return a;
}

/* A paid guest order over the API: its id, its signed link into link. */
static long long paid_guest_order(struct client *cl, const char *email, int q, char *link, size_t n)
{
	struct hresp *r;
	json_t *j;
	long long oid;

	visitor(cl);
	cart_put(cl, sku, q);
	r = guest_checkout(cl, email, guest_quote(cl, email), "pm_card_visa");
	ck_assert_msg(r->status == 201, "guest checkout: %ld %s", r->status, r->body);
	j = hresp_json(r);
	oid = json_integer_value(json_object_get(j, "id"));
	snprintf(link, n, "%s", json_string_value(json_object_get(j, "guestUrl")));
	json_decref(j);
	hresp_free(r);
	return oid;
}

/* The form's Review: POST /checkout/review answers 303 to the review page
 * (GET /checkout/review) when the input is accepted; that page, or the
 * POST's own answer when it was refused. */
static struct hresp *review(struct client *cl, const char *form)
{
	struct hresp *r = client_browse(cl, "POST", "/checkout/review", form);

	if (r->status != 303)
		return r;
	ck_assert_str_eq(hresp_header(r, "Location"), "/checkout/review");
	hresp_free(r);
	return client_browse(cl, "GET", "/checkout/review", NULL);
}

START_TEST(api_guest_checkout)
{
	struct client cl;
	char email[160], body[500], tok[80], link[200];
	long long before = avail(), amount, oid, gid;
	struct hresp *r;
	json_t *j;

	snprintf(email, sizeof(email), "%s", fresh_email("guest"));
	visitor(&cl);
	cart_put(&cl, sku, 3);
	/* Not signed in and no email: 401, as before; a bad email: 400. */
	r = client_req(&cl, "POST", "/api/checkout/quote", "{" TEST_ADDR ",\"shippingMethod\":\"standard\"}", 1);
	ck_assert_int_eq(r->status, 401);
	HAS(r, "\\\"email\\\"");
	hresp_free(r);
	r = client_req(&cl, "POST", "/api/checkout/quote", "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"email\":\"nope\"}", 1);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "email");
	hresp_free(r);
	r = post_idem(&cl, "/api/checkout", "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":1}", "guest-none", NULL);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM users WHERE guest_email = '%s'", email), 0);

	/* With an email (any case): the quote, then the order. */
	email[0] = (char)(email[0] - 'a' + 'A');
	amount = guest_quote(&cl, email);
	r = guest_checkout(&cl, email, amount, "pm_card_visa");
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	j = hresp_json(r);
	oid = json_integer_value(json_object_get(j, "id"));
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "confirmed");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), amount);
	snprintf(link, sizeof(link), "%s", json_string_value(json_object_get(j, "guestUrl")));
	json_decref(j);
	hresp_free(r);
	snprintf(body, sizeof(body), "/orders/%lld/view?t=", oid);
	ck_assert_msg(!strncmp(link, body, strlen(body)), "guestUrl %s", link);

	/* The guest row: no password, no account email, the address as given
	 * (normalised); the order is its, like any shopper's. */
	email[0] = (char)(email[0] - 'A' + 'a');
	gid = sql_scalarf("SELECT id FROM users WHERE guest_email = '%s' AND status = 'guest' AND email IS NULL "
			  "AND password_hash = ''", email);
	ck_assert_int_gt(gid, 0);
	ck_assert_int_eq(sql_scalarf("SELECT user_id FROM orders WHERE id = %lld", oid), gid);
	ck_assert_int_eq(sql_scalarf("SELECT name = 'Ann Buyer' FROM users WHERE id = %lld", gid), 1);
	/* Money: the order adds up, the gateway holds exactly its total. */
	ck_assert_int_eq(sql_scalarf("SELECT subtotal + shipping + tax - discount = total AND total = %lld "
				     "FROM orders WHERE id = %lld", amount, oid), 1);
	{
		char st[64];
		struct hresp *g;
		json_t *gj;
		char path[128];

		r = client_req(&cl, "GET", link, NULL, 0);
		ck_assert_int_eq(r->status, 200);
		j = hresp_json(r);
		snprintf(path, sizeof(path), "/v1/payment_intents/%s",
			 json_string_value(json_object_get(json_object_get(j, "payment"), "id")));
		json_decref(j);
		hresp_free(r);
		g = paygate_req("GET", path, NULL, NULL);
		gj = hresp_json(g);
		ck_assert_int_eq(json_integer_value(json_object_get(gj, "amount")), amount);
		snprintf(st, sizeof(st), "%s", json_string_value(json_object_get(gj, "status")));
		ck_assert_str_eq(st, "requires_capture");
		json_decref(gj);
		hresp_free(g);
	}
	/* Stock: three units committed to the order, none left in the cart. */
	ck_assert_int_eq(avail(), before - 3);
	ck_assert_int_eq(sql_scalarf("SELECT COALESCE(SUM(quantity), 0) FROM holds WHERE order_id = %lld "
				     "AND state = 'committed'", oid), 3);
	r = client_req(&cl, "GET", "/api/cart", NULL, 0);
	j = hresp_json(r);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "count")), 0);
	json_decref(j);
	hresp_free(r);

	/* The confirmation mail goes to the guest with the signed link. */
	link_token(link, tok, sizeof(tok));
	/* From the notify consumer (app/notify), a moment after the order. */
	for (int i = 0; i < 150 && sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s' AND subject = "
					       "'Your order %lld is confirmed'", email, oid) < 1; i++)
		usleep(100 * 1000);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s' AND subject = "
				     "'Your order %lld is confirmed' AND body LIKE '%%/orders/%lld/view?t=%s%%' "
				     "AND body LIKE '%%/orders/lookup%%'", email, oid, oid, tok), 1);

	/* The same visitor checks out again with the same email: the same
	 * guest row. */
	cart_put(&cl, sku, 1);
	r = guest_checkout(&cl, email, guest_quote(&cl, email), "pm_card_visa");
	ck_assert_int_eq(r->status, 201);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM users WHERE guest_email = '%s'", email), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE user_id = %lld", gid), 2);
	ck_assert_int_eq(avail(), before - 4);
}
END_TEST

START_TEST(once_per_customer_promo_needs_account)
{
	struct client cl;
	char body[600], form[700];
	long long before = avail();
	struct hresp *r;

	/* A guest is a new record per email: a code meant once per customer
	 * would be good for any number of orders. */
	visitor(&cl);
	cart_put(&cl, sku, 2);
	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"email\":\"%s\","
		 "\"promoCode\":\"WELCOME10\"}", fresh_email("guestpromo"));
	r = client_req(&cl, "POST", "/api/checkout/quote", body, 1);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "once per customer");
	hresp_free(r);
	r = post_idem(&cl, "/api/checkout", body, "guest-promo-1", NULL);
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&email=%s&shippingAddressId=0&" FORM_ADDR "&shippingMethod=standard"
		 "&promoCode=WELCOME10", cl.csrf, fresh_email("guestpromo"));
	r = client_browse(&cl, "POST", "/checkout/review", form);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "sign in or create an account");
	hresp_free(r);
	ck_assert_int_eq(avail(), before);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM promo_redemptions r JOIN users u ON u.id = r.user_id "
				     "WHERE u.status = 'guest'"), 0);
}
END_TEST

START_TEST(declined_guest_keeps_cart)
{
	struct client cl;
	char email[160];
	long long before = avail(), amount;
	struct hresp *r;
	json_t *j;

	snprintf(email, sizeof(email), "%s", fresh_email("guestdecl"));
	visitor(&cl);
	cart_put(&cl, sku, 2);
	amount = guest_quote(&cl, email);
	r = guest_checkout(&cl, email, amount, "pm_card_chargeDeclined");
	ck_assert_int_eq(r->status, 402);
	hresp_free(r);
	/* Declined: the units stay held for the retry, the cart keeps them, no
	 * mail. */
	ck_assert_int_eq(avail(), before - 2);
	r = client_req(&cl, "GET", "/api/cart", NULL, 0);
	j = hresp_json(r);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "count")), 2);
	json_decref(j);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s'", email), 0);
}
END_TEST

START_TEST(signed_link_tampering)
{
	struct client cl, other;
	char email[160], link[200], tok[80], path[300], bad[80];
	long long oid, oid2;
	struct hresp *r;

	memset(&other, 0, sizeof(other));
	snprintf(email, sizeof(email), "%s", fresh_email("guestlink"));
	oid = paid_guest_order(&cl, email, 1, link, sizeof(link));
	link_token(link, tok, sizeof(tok));
	/* Anyone with the link sees the order, signed in or not. */
	r = client_browse(&other, "GET", link, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Save your details");
	HAS(r, "Ann Buyer");
	hresp_free(r);
	/* One character changed, cut short, missing, another order's: 404. */
	snprintf(bad, sizeof(bad), "%s", tok);
	bad[5] = bad[5] == 'A' ? 'B' : 'A';
	snprintf(path, sizeof(path), "/orders/%lld/view?t=%s", oid, bad);
	r = http_get(path);
	ck_assert_int_eq(r->status, 404);
	LACKS(r, "Ann Buyer");
	hresp_free(r);
	snprintf(path, sizeof(path), "/orders/%lld/view?t=%.42s", oid, tok);
	r = http_get(path);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(path, sizeof(path), "/orders/%lld/view", oid);
	r = http_get(path);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	oid2 = paid_guest_order(&other, fresh_email("guestlink2"), 1, link, sizeof(link));
	snprintf(path, sizeof(path), "/orders/%lld/view?t=%s", oid2, tok);
	r = http_get(path);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(path, sizeof(path), "/orders/%lld/view?t=%s", oid + 1000000, tok);
	r = http_get(path);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	/* Nor does the link open the account pages of the order. */
	snprintf(path, sizeof(path), "/api/orders/%lld", oid);
	r = client_req(&cl, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
	/* A tampered link cannot save details either. */
	{
		char form[400];

		memset(&other, 0, sizeof(other));
		snprintf(path, sizeof(path), "/orders/%lld/view?t=%s", oid, tok);
		r = client_browse(&other, "GET", path, NULL);
		form_value(r->body, "csrf", other.csrf, sizeof(other.csrf));
		hresp_free(r);
		snprintf(form, sizeof(form), "csrf=%s&t=%s&password=correct+horse+battery", other.csrf, bad);
		snprintf(path, sizeof(path), "/orders/%lld/save", oid);
		r = client_browse(&other, "POST", path, form);
		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
		ck_assert_int_eq(sql_scalarf("SELECT u.status = 'guest' FROM users u JOIN orders o ON o.user_id = u.id "
					     "WHERE o.id = %lld", oid), 1);
	}
}
END_TEST

/* POST /orders/lookup as cl: the answer. */
static struct hresp *lookup(struct client *cl, const char *email, const char *order)
{
	char form[400];
	struct hresp *r;

	if (!cl->csrf[0]) {
		r = client_browse(cl, "GET", "/orders/lookup", NULL);
		ck_assert_int_eq(r->status, 200);
		form_value(r->body, "csrf", cl->csrf, sizeof(cl->csrf));
		hresp_free(r);
	}
	snprintf(form, sizeof(form), "csrf=%s&email=%s&order=%s", cl->csrf, email, order);
	return client_browse(cl, "POST", "/orders/lookup", form);
}

/* The page's error message, for comparing answers. */
static void error_text(const struct hresp *r, char *out, size_t n)
{
	const char *s = strstr(r->body, "role=\"alert\">");

	ck_assert_ptr_nonnull(s);
	s += strlen("role=\"alert\">");
	snprintf(out, n, "%.*s", (int)strcspn(s, "<"), s);
}

START_TEST(order_lookup)
{
	struct client cl, l;
	char email[160], link[200], num[32], wrong_email[300], wrong_num[300], both[300];
	long long oid;
	struct hresp *r;

	snprintf(email, sizeof(email), "%s", fresh_email("guestlook"));
	oid = paid_guest_order(&cl, email, 1, link, sizeof(link));
	memset(&l, 0, sizeof(l));
	/* Email and number: to the order's signed link ("#12" as printed). */
	snprintf(num, sizeof(num), "%%23%lld", oid);
	r = lookup(&l, email, num);
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(strstr(hresp_header(r, "Location"), "/orders/"), link);
	hresp_free(r);
	/* Either wrong, or both: one answer, which does not say which. */
	snprintf(num, sizeof(num), "%lld", oid);
	r = lookup(&l, "someone.else@example.com", num);
	ck_assert_int_eq(r->status, 404);
	error_text(r, wrong_email, sizeof(wrong_email));
	HAS(r, "someone.else@example.com");	/* what was typed is kept */
	hresp_free(r);
	snprintf(num, sizeof(num), "%lld", oid + 1);
	r = lookup(&l, email, num);
	ck_assert_int_eq(r->status, 404);
	error_text(r, wrong_num, sizeof(wrong_num));
	hresp_free(r);
	r = lookup(&l, "someone.else@example.com", "abc");
	ck_assert_int_eq(r->status, 404);
	error_text(r, both, sizeof(both));
	hresp_free(r);
	ck_assert_str_eq(wrong_email, wrong_num);
	ck_assert_str_eq(wrong_email, both);
	/* An account's order is not found this way (its owner signs in). */
	{
		struct client acct;
		char aemail[160];
		long long aoid;
		json_t *j;

		buyer_new(&acct, "guestlookacct", aemail, sizeof(aemail));
		cart_put(&acct, sku, 1);
		{
			char body[600];

			snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
				 "\"paymentMethod\":\"pm_card_visa\"}", checkout_amount(&acct));
			r = post_idem(&acct, "/api/checkout", body, "guest-acct-1", NULL);
		}
		ck_assert_int_eq(r->status, 201);
		j = hresp_json(r);
		aoid = json_integer_value(json_object_get(j, "id"));
		json_decref(j);
		hresp_free(r);
		snprintf(num, sizeof(num), "%lld", aoid);
		r = lookup(&l, aemail, num);
		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
	}
	/* Rate limited: 10 tries an hour for one email, 20 from one address,
	 * then 429 with Retry-After, right or wrong. */
	redis_cmd("DEL t:lookup:ip:127.0.0.1");
	for (int i = 0; i < 8; i++) {	/* two were above */
		r = lookup(&l, email, "1");
		ck_assert_msg(r->status == 404, "try %d: %ld", i, r->status);
		hresp_free(r);
	}
	snprintf(num, sizeof(num), "%lld", oid);
	r = lookup(&l, email, num);
	ck_assert_int_eq(r->status, 429);
	ck_assert_ptr_nonnull(hresp_header(r, "Retry-After"));
	hresp_free(r);
	redis_cmd("DEL t:lookup:ip:127.0.0.1");
	for (int i = 0; i < 20; i++) {
		char other[80];

		snprintf(other, sizeof(other), "nobody%d.%d@example.com", (int)getpid(), i);
		r = lookup(&l, other, "1");
		ck_assert_msg(r->status == 404, "try %d: %ld", i, r->status);
		hresp_free(r);
	}
	r = lookup(&l, "yet.another@example.com", "1");
	ck_assert_int_eq(r->status, 429);
	hresp_free(r);
	redis_cmd("DEL t:lookup:ip:127.0.0.1");
}
END_TEST

START_TEST(save_details)
{
	struct client cl;
	char email[160], link[200], tok[80], form[400], path[100];
	long long oid, gid;
	struct hresp *r;
	json_t *j;

	snprintf(email, sizeof(email), "%s", fresh_email("guestsave"));
	oid = paid_guest_order(&cl, email, 1, link, sizeof(link));
	gid = sql_scalarf("SELECT user_id FROM orders WHERE id = %lld", oid);
	link_token(link, tok, sizeof(tok));
	/* The guest has something in the cart again when saving. */
	cart_put(&cl, sku, 2);
	r = client_browse(&cl, "GET", link, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Save your details");
	form_value(r->body, "csrf", cl.csrf, sizeof(cl.csrf));
	hresp_free(r);
	snprintf(path, sizeof(path), "/orders/%lld/save", oid);
	/* A short password: refused in words, nothing changes. */
	snprintf(form, sizeof(form), "csrf=%s&t=%s&password=short", cl.csrf, tok);
	r = client_browse(&cl, "POST", path, form);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "12 characters");
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'guest' FROM users WHERE id = %lld", gid), 1);
	/* A password: the guest row is now the account, signed in, the order
	 * and the cart in it. */
	snprintf(form, sizeof(form), "csrf=%s&t=%s&password=correct+horse+battery", cl.csrf, tok);
	r = client_browse(&cl, "POST", path, form);
	ck_assert_msg(r->status == 303, "%ld %s", r->status, r->body);
	snprintf(form, sizeof(form), "/orders/%lld", oid);
	ck_assert_str_eq(hresp_header(r, "Location") + strlen(hresp_header(r, "Location")) - strlen(form), form);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'active' AND email = '%s' AND guest_email IS NULL "
				     "FROM users WHERE id = %lld", email, gid), 1);
	ck_assert_int_eq(client_session(&cl), 0);
	r = client_req(&cl, "GET", "/api/session", NULL, 0);
	j = hresp_json(r);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "user"), "email")), email);
	json_decref(j);
	hresp_free(r);
	snprintf(path, sizeof(path), "/api/orders/%lld", oid);
	r = client_req(&cl, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COALESCE(SUM(quantity), 0) FROM cart_items WHERE user_id = %lld", gid), 2);
	/* The account signs in with its password like any other. */
	{
		struct client again;

		memset(&again, 0, sizeof(again));
		ck_assert_int_eq(client_signin(&again, email, PW), 0);
	}
	/* The link still shows the order, without the offer. */
	r = http_get(link);
	ck_assert_int_eq(r->status, 200);
	LACKS(r, "Save your details");
	hresp_free(r);
	/* The lookup no longer finds it: it is an account's order now. */
	{
		struct client l;
		char num[32];

		memset(&l, 0, sizeof(l));
		snprintf(num, sizeof(num), "%lld", oid);
		r = lookup(&l, email, num);
		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
	}
}
END_TEST

START_TEST(save_details_email_taken)
{
	struct client acct, cl;
	char email[160], link[200], tok[80], form[400], path[100];
	long long uid, oid;
	struct hresp *r;

	uid = buyer_new(&acct, "guesttaken", email, sizeof(email));
	/* A guest checkout with an email that has an account is fine... */
	oid = paid_guest_order(&cl, email, 1, link, sizeof(link));
	ck_assert_int_ne(sql_scalarf("SELECT user_id FROM orders WHERE id = %lld", oid), uid);
	link_token(link, tok, sizeof(tok));
	r = client_browse(&cl, "GET", link, NULL);
	form_value(r->body, "csrf", cl.csrf, sizeof(cl.csrf));
	hresp_free(r);
	/* ...but saving its details cannot take the account over. */
	snprintf(form, sizeof(form), "csrf=%s&t=%s&password=another+long+password", cl.csrf, tok);
	snprintf(path, sizeof(path), "/orders/%lld/save", oid);
	r = client_browse(&cl, "POST", path, form);
	ck_assert_int_eq(r->status, 409);
	HAS(r, "already an account");
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM users WHERE email = '%s'", email), 1);
	memset(&acct, 0, sizeof(acct));
	ck_assert_int_eq(client_signin(&acct, email, PW), 0);
}
END_TEST

/* The gateway's card page: pays pay_url with card; back gets where it
 * sends the shopper. */
static void pay_on_gateway(const char *pay_url, const char *card, char *back, size_t n)
{
	struct hresp *r = http_url("GET", pay_url, NULL, NULL, NULL);
	const char *h[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	char secret[128], form[400], action[400];
	const char *l;

	ck_assert_int_eq(r->status, 200);
	form_value(r->body, "s", secret, sizeof(secret));
	hresp_free(r);
	snprintf(action, sizeof(action), "%.*s", (int)strcspn(pay_url, "?"), pay_url);
	snprintf(form, sizeof(form), "s=%s&number=%s&exp=12%%2F34&cvc=123&name=Gil+Guest", secret, card);
	r = http_url("POST", action, form, h, NULL);
	ck_assert_msg(r->status == 303, "gateway POST answered %ld", r->status);
	l = hresp_header(r, "Location");
	snprintf(back, n, "%s", l ? l : "");
	hresp_free(r);
}

/* A new address's country starts as the browser's (Accept-Language), and
 * the shipping prices shown before an address is chosen are for it; no
 * region in the header (or none the shop ships to): the United States. */
START_TEST(checkout_country_from_language)
{
	struct client cl;
	char cookie[300];
	const char *de[] = { cookie, "Accept: text/html", "Accept-Language: de-DE,de;q=0.9,en;q=0.8", NULL };
	const char *plain[] = { cookie, "Accept: text/html", "Accept-Language: de", NULL };
	struct hresp *r;

	visitor(&cl);
	cart_put(&cl, sku, 1);
	snprintf(cookie, sizeof(cookie), "Cookie: %s", cl.cookie);
	r = http("GET", "/checkout", NULL, de);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "<option value=\"DE\" selected>");
	HAS(r, "Prices are for delivery to Germany");
	ck_assert_ptr_null(strstr(r->body, "<option value=\"US\" selected>"));
	hresp_free(r);
	r = http("GET", "/checkout", NULL, plain);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "<option value=\"US\" selected>");
	hresp_free(r);
}
END_TEST

START_TEST(form_guest_checkout_through_gateway)
{
	struct client cl;
	char email[160], form[900], key[80], amount[32], loc[600], back[600], path[600];
	long long before = avail(), oid;
	struct hresp *r;

	snprintf(email, sizeof(email), "%s", fresh_email("guestform"));
	visitor(&cl);
	cart_put(&cl, sku, 2);
	/* Guest checkout first, sign-in one click away. */
	r = client_browse(&cl, "GET", "/checkout", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Check out as a guest");
	HAS(r, "href=\"/signin?next=/checkout\"");
	HAS(r, "name=\"email\"");
	HAS(r, "autocomplete=\"email\"");
	ck_assert_msg(strstr(r->body, "name=\"email\"") < strstr(r->body, "name=\"line1\""), "email comes first");
	hresp_free(r);
	/* No email, or not an address: the form again, in words, typed
	 * values kept. */
	snprintf(form, sizeof(form), "csrf=%s&email=gil.example.com&shippingAddressId=0&" FORM_ADDR
		 "&shippingMethod=standard", cl.csrf);
	r = client_browse(&cl, "POST", "/checkout/review", form);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "value=\"gil.example.com\"");
	HAS(r, "aria-invalid=\"true\"");
	HAS(r, "class=\"field-error\" id=\"co-email-error\"");
	hresp_free(r);
	/* Placing without a review (no email given yet): back to the form. */
	snprintf(form, sizeof(form), "csrf=%s&idempotencyKey=guest-form-none-%d&amount=1&shippingMethod=standard&" FORM_ADDR,
		 cl.csrf, (int)getpid());
	r = client_browse(&cl, "POST", "/checkout/place", form);
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(strstr(hresp_header(r, "Location"), "/checkout"), "/checkout");
	hresp_free(r);
	ck_assert_int_eq(avail(), before);
	/* Review with an email, then place: to the gateway's page. */
	snprintf(form, sizeof(form), "csrf=%s&email=%s&shippingAddressId=0&" FORM_ADDR "&shippingMethod=standard",
		 cl.csrf, email);
	r = review(&cl, form);
	ck_assert_msg(r->status == 200, "%ld %.600s", r->status, r->body);
	HAS(r, "Place order and pay");
	form_value(r->body, "idempotencyKey", key, sizeof(key));
	form_value(r->body, "amount", amount, sizeof(amount));
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&idempotencyKey=%s&amount=%s&shippingMethod=standard&" FORM_ADDR,
		 cl.csrf, key, amount);
	r = client_browse(&cl, "POST", "/checkout/place", form);
	ck_assert_msg(r->status == 303, "%ld %s", r->status, r->body);
	snprintf(loc, sizeof(loc), "%s", hresp_header(r, "Location"));
	ck_assert_ptr_nonnull(strstr(loc, "/pay/pi_"));
	hresp_free(r);
	ck_assert_int_eq(avail(), before - 2);	/* held while paying */
	/* Pay on the gateway's page; back at the shop, the order's link. */
	pay_on_gateway(loc, "4242424242424242", back, sizeof(back));
	ck_assert_ptr_nonnull(strstr(back, "/checkout/return?order="));
	oid = atoll(strstr(back, "order=") + 6);
	r = client_browse(&cl, "GET", strstr(back, "/checkout/return"), NULL);
	ck_assert_int_eq(r->status, 303);
	snprintf(path, sizeof(path), "/orders/%lld/view?t=", oid);
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Location"), path));
	snprintf(path, sizeof(path), "%s", strstr(hresp_header(r, "Location"), "/orders/"));
	hresp_free(r);
	r = client_browse(&cl, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Confirmed");
	HAS(r, "your order is confirmed");
	HAS(r, "Save your details");
	HAS(r, "Gil Guest");
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'confirmed' AND total = %s FROM orders WHERE id = %lld", amount, oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT u.guest_email = '%s' FROM orders o JOIN users u ON u.id = o.user_id "
				     "WHERE o.id = %lld", email, oid), 1);
	ck_assert_int_eq(avail(), before - 2);
	/* The cart is empty now; the return page again changes nothing. */
	r = client_req(&cl, "GET", "/api/cart", NULL, 0);
	{
		json_t *j = hresp_json(r);

		ck_assert_int_eq(json_integer_value(json_object_get(j, "count")), 0);
		json_decref(j);
	}
	hresp_free(r);
	/* Another visitor cannot use the return page to reach the order. */
	{
		struct client x;

		visitor(&x);
		r = client_browse(&x, "GET", strstr(back, "/checkout/return"), NULL);
		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
	}
}
END_TEST

START_TEST(signin_from_checkout_merges_cart)
{
	struct client acct, cl;
	char email[160], form[600];
	long long uid;
	struct hresp *r;

	uid = buyer_new(&acct, "guestmerge", email, sizeof(email));
	visitor(&cl);
	cart_put(&cl, sku, 3);
	/* The guest starts as a guest (email given, row tied)... */
	snprintf(form, sizeof(form), "csrf=%s&email=%s&shippingAddressId=0&" FORM_ADDR "&shippingMethod=standard",
		 cl.csrf, "merge.guest@example.com");
	r = review(&cl, form);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	/* ...then follows "Sign in": the cart goes with them. */
	snprintf(form, sizeof(form), "csrf=%s&email=%s&password=correct+horse+battery&next=/checkout", cl.csrf, email);
	r = client_browse(&cl, "POST", "/signin", form);
	ck_assert_int_eq(r->status, 303);
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Location"), "/checkout"));
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COALESCE(SUM(quantity), 0) FROM cart_items WHERE user_id = %lld", uid), 3);
	r = client_browse(&cl, "GET", "/checkout", NULL);
	ck_assert_int_eq(r->status, 200);
	LACKS(r, "Check out as a guest");
	LACKS(r, "name=\"email\"");
	hresp_free(r);
}
END_TEST

START_TEST(abandoned_guest_rows_purged)
{
	struct client cl;
	char link[200];
	long long oid, kept, gone;
	struct arena *a = arena_new(64 * 1024);
	struct db *db = NULL;

	/* A guest row that never ordered, and one that did, both old. */
	sql_execf("INSERT INTO users (email, guest_email, name, password_hash, status, created_at) "
		  "VALUES (NULL, 'abandoned.%d@example.com', 'Old Guest', '', 'guest', NOW(3) - INTERVAL 40 DAY)",
		  (int)getpid());
	gone = sql_scalarf("SELECT MAX(id) FROM users WHERE guest_email = 'abandoned.%d@example.com'", (int)getpid());
	oid = paid_guest_order(&cl, fresh_email("guestkept"), 1, link, sizeof(link));
	kept = sql_scalarf("SELECT user_id FROM orders WHERE id = %lld", oid);
	sql_execf("UPDATE users SET created_at = NOW(3) - INTERVAL 40 DAY WHERE id = %lld", kept);
	/* The job, in-process. */
	ck_assert_int_eq(config_load(&config), E_OK);
	modules_init();
	ck_assert_int_eq(db_open(&db), E_OK);
	ck_assert_int_ge(guest_purge_batch(db, NULL, a), 0);
	db_close(db);
	arena_destroy(a);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM users WHERE id = %lld", gone), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM users WHERE id = %lld", kept), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest");
	TCase *t = tcase_create("guest");

	harness_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, api_guest_checkout);
	tcase_add_test(t, once_per_customer_promo_needs_account);
	tcase_add_test(t, declined_guest_keeps_cart);
	tcase_add_test(t, signed_link_tampering);
	tcase_add_test(t, order_lookup);
	tcase_add_test(t, save_details);
	tcase_add_test(t, save_details_email_taken);
	tcase_add_test(t, form_guest_checkout_through_gateway);
	tcase_add_test(t, checkout_country_from_language);
	tcase_add_test(t, signin_from_checkout_merges_cart);
	tcase_add_test(t, abandoned_guest_rows_purged);
	suite_add_tcase(s, t);
	return run_suite(s);
}
