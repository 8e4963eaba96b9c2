/* t/http: where the CSRF token may come from. The X-CSRF-Token header or a
 * form body's "csrf" field (application/x-www-form-urlencoded, or a
 * multipart/form-data field on upload routes); never the query string,
 * which ends up in access logs, proxies' logs, browser history and Referer
 * headers. A state-changing request whose right token sits only in the
 * query string is 403 and changes nothing; the same token in the header or
 * the form body works. Swept over a few state-changing routes: the cart
 * (API and forms), addresses (API and form), sign-out (API and form),
 * checkout's place and a seller's upload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

#define PW "correct horse battery"
#define SKU_A "BEA-ESS-ESS-001"
#define SKU_B "BEA-GLA-EYE-002"
#define ADDR_JSON "{\"name\":\"Query Token\",\"line1\":\"1 Main St\",\"city\":\"Austin\"," \
		  "\"region\":\"TX\",\"postalCode\":\"78701\",\"country\":\"US\"}"
#define ADDR_FORM "name=Form+Token&line1=1+Main+St&city=Austin&region=TX&postalCode=78701&country=US"

/* How a request carries the token. */
enum where { NONE, QUERY, HEADER, BODY };

/* One request as cl: method, path (the token appended as ?csrf= / &csrf=
 * when where is QUERY), a JSON body (starts with '{'), a form body or
 * none; the token in the header (HEADER) or appended to the form body
 * (BODY). Accept: application/json for /api/ paths, text/html otherwise. */
static struct hresp *req_as(struct client *cl, enum where where, const char *method,
			  const char *path, const char *body)
{
	char url[512], b[4096], cookie[300], token[200];
	const char *h[6];
	int n = 0, json = body && body[0] == '{';

	snprintf(url, sizeof(url), "%s%s%s", path,
		 where == QUERY ? (strchr(path, '?') ? "&csrf=" : "?csrf=") : "",
		 where == QUERY ? cl->csrf : "");
	if (body && where == BODY && !json)
		snprintf(b, sizeof(b), "%s%scsrf=%s", body, body[0] ? "&" : "", cl->csrf);
	else if (!body && where == BODY)
		snprintf(b, sizeof(b), "csrf=%s", cl->csrf);
	else
		snprintf(b, sizeof(b), "%s", body ? body : "");
	h[n++] = json ? "Content-Type: application/json" : "Content-Type: application/x-www-form-urlencoded";
	h[n++] = strncmp(path, "/api/", 5) ? "Accept: text/html" : "Accept: application/json";
	snprintf(cookie, sizeof(cookie), "Cookie: %s", cl->cookie);
	if (cl->cookie[0])
		h[n++] = cookie;
	snprintf(token, sizeof(token), "X-CSRF-Token: %s", cl->csrf);
	if (where == HEADER)
		h[n++] = token;
	h[n] = NULL;
	return http(method, url, (body || where == BODY) ? b : NULL, h);
}

/* The request is refused with 403. */
static void refused(struct client *cl, enum where where, const char *method, const char *path,
		    const char *body)
{
	struct hresp *r = req_as(cl, where, method, path, body);

	ck_assert_msg(r->status == 403, "%s %s (token in the %s): %ld %.400s", method, path,
		      where == QUERY ? "query" : where == NONE ? "nowhere" : "body", r->status, r->body);
	hresp_free(r);
}

/* The request gets past the CSRF check: its status is want. */
static void passes(struct client *cl, enum where where, const char *method, const char *path,
		   const char *body, long want)
{
	struct hresp *r = req_as(cl, where, method, path, body);

	ck_assert_msg(r->status == want, "%s %s (token in the %s): %ld, want %ld: %.400s", method, path,
		      where == HEADER ? "header" : "form body", r->status, want, r->body);
	hresp_free(r);
}

static void guest(struct client *cl)
{
	memset(cl, 0, sizeof(*cl));
	ck_assert_int_eq(client_session(cl), 0);
}

static long long shopper(struct client *cl)
{
	char email[128], q[256];

	memset(cl, 0, sizeof(*cl));
	snprintf(email, sizeof(email), "%s", fresh_email("csrf"));
	ck_assert_int_eq(client_signup(cl, "Cora Csrf", email, PW), 0);
	snprintf(q, sizeof(q), "SELECT id FROM users WHERE email = '%s'", email);
	return sql_scalar(q);
}

/* The quantity of sku in cl's cart (0 when absent). */
static long long qty_of(struct client *cl, const char *sku)
{
	struct hresp *r = client_req(cl, "GET", "/api/cart", NULL, 0);
	json_t *j = hresp_json(r), *l;
	long long q = 0;
	size_t i;

	ck_assert_msg(r->status == 200, "GET /api/cart: %ld %s", r->status, r->body);
	json_array_foreach(json_object_get(j, "items"), i, l)
		if (!strcmp(json_string_value(json_object_get(l, "itemId")), sku))
			q = json_integer_value(json_object_get(l, "quantity"));
	json_decref(j);
	hresp_free(r);
	return q;
}

static long me_status(struct client *cl)
{
	struct hresp *r = client_req(cl, "GET", "/api/me", NULL, 0);
	long s = r->status;

	hresp_free(r);
	return s;
}

START_TEST(cart_api)
{
	struct client g;

	guest(&g);
	/* PATCH /api/cart?csrf=TOKEN: refused, the cart untouched. */
	refused(&g, QUERY, "PATCH", "/api/cart", "{\"itemId\":\"" SKU_A "\",\"quantity\":2}");
	ck_assert_int_eq(qty_of(&g, SKU_A), 0);
	refused(&g, QUERY, "POST", "/api/cart/items", "{\"itemId\":\"" SKU_B "\",\"quantity\":1}");
	ck_assert_int_eq(qty_of(&g, SKU_B), 0);
	/* Inside a JSON body is not a form body either. */
	refused(&g, NONE, "PATCH", "/api/cart", "{\"itemId\":\"" SKU_A "\",\"quantity\":2,\"csrf\":\"x\"}");
	{
		char body[300];

		snprintf(body, sizeof(body), "{\"itemId\":\"" SKU_A "\",\"quantity\":2,\"csrf\":\"%s\"}", g.csrf);
		refused(&g, NONE, "PATCH", "/api/cart", body);
	}
	ck_assert_int_eq(qty_of(&g, SKU_A), 0);
	/* The header works. */
	passes(&g, HEADER, "PATCH", "/api/cart", "{\"itemId\":\"" SKU_A "\",\"quantity\":2}", 200);
	ck_assert_int_eq(qty_of(&g, SKU_A), 2);
	/* DELETE /api/cart?csrf=: the cart stays. */
	refused(&g, QUERY, "DELETE", "/api/cart", NULL);
	ck_assert_int_eq(qty_of(&g, SKU_A), 2);
}
END_TEST

START_TEST(cart_forms)
{
	struct client g;

	guest(&g);
	refused(&g, QUERY, "POST", "/cart/add", "itemId=" SKU_A "&quantity=3");
	ck_assert_int_eq(qty_of(&g, SKU_A), 0);
	/* The form body's hidden field works. */
	passes(&g, BODY, "POST", "/cart/add", "itemId=" SKU_A "&quantity=3", 303);
	ck_assert_int_eq(qty_of(&g, SKU_A), 3);
	refused(&g, QUERY, "POST", "/cart/update", "itemId=" SKU_A "&quantity=1");
	refused(&g, QUERY, "POST", "/cart/clear", "");
	ck_assert_int_eq(qty_of(&g, SKU_A), 3);
	/* A right token in the query does not make up for a wrong one in
	 * the body: the body's field is the one that counts. */
	{
		char path[256];
		struct hresp *r;
		const char *h[] = { "Content-Type: application/x-www-form-urlencoded", "Accept: text/html", NULL, NULL };
		char cookie[300];

		snprintf(cookie, sizeof(cookie), "Cookie: %s", g.cookie);
		h[2] = cookie;
		snprintf(path, sizeof(path), "/cart/update?csrf=%s", g.csrf);
		r = http("POST", path, "itemId=" SKU_A "&quantity=1&csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", h);
		ck_assert_msg(r->status == 403, "wrong body token, right query token: %ld", r->status);
		hresp_free(r);
	}
	ck_assert_int_eq(qty_of(&g, SKU_A), 3);
	passes(&g, BODY, "POST", "/cart/update", "itemId=" SKU_A "&quantity=1", 303);
	ck_assert_int_eq(qty_of(&g, SKU_A), 1);
}
END_TEST

START_TEST(addresses)
{
	struct client u;
	long long uid = shopper(&u);

	refused(&u, QUERY, "POST", "/api/me/addresses", ADDR_JSON);
	refused(&u, QUERY, "POST", "/account/addresses", ADDR_FORM);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM addresses WHERE user_id = %lld", uid), 0);
	passes(&u, HEADER, "POST", "/api/me/addresses", ADDR_JSON, 201);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM addresses WHERE user_id = %lld", uid), 1);
	passes(&u, BODY, "POST", "/account/addresses", ADDR_FORM, 303);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM addresses WHERE user_id = %lld", uid), 2);
}
END_TEST

START_TEST(sign_out)
{
	struct client u;

	shopper(&u);
	refused(&u, QUERY, "DELETE", "/api/session", NULL);
	ck_assert_int_eq(me_status(&u), 200);
	refused(&u, QUERY, "POST", "/signout", "");
	ck_assert_int_eq(me_status(&u), 200);
	passes(&u, BODY, "POST", "/signout", "", 303);
	ck_assert_int_eq(me_status(&u), 401);

	shopper(&u);
	passes(&u, HEADER, "DELETE", "/api/session", NULL, 204);
	ck_assert_int_eq(me_status(&u), 401);
}
END_TEST

START_TEST(checkout_place)
{
	struct client u;
	long long uid = shopper(&u);
	char form[600];
	struct hresp *r;

	snprintf(form, sizeof(form), ADDR_FORM "&shippingAddressId=0&shippingMethod=standard&amount=1&idempotencyKey=csrf-%d-%lld",
		 (int)getpid(), uid);
	refused(&u, QUERY, "POST", "/checkout/place", form);
	refused(&u, QUERY, "POST", "/api/checkout", "{\"amount\":1}");
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM checkouts WHERE user_id = %lld", uid), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE user_id = %lld", uid), 0);
	/* With the token in the form body the request reaches checkout
	 * (which then refuses an empty cart: anything but 403). */
	r = req_as(&u, BODY, "POST", "/checkout/place", form);
	ck_assert_msg(r->status != 403, "/checkout/place with the body token: %ld %.400s", r->status, r->body);
	hresp_free(r);
}
END_TEST

/* An upload route takes the token as a multipart field, not from the
 * query string. */
START_TEST(seller_upload)
{
	struct client s;
	long long sid = seller_new(&s, "csrfup", NULL);
	const char *bd = "----shopCsrfBoundary7q";
	char ct[128], cookie[300], path[256], body[1024], field[300];
	const char *h[] = { NULL, NULL, "Accept: text/html", NULL };
	struct hresp *r;

	snprintf(ct, sizeof(ct), "Content-Type: multipart/form-data; boundary=%s", bd);
	snprintf(cookie, sizeof(cookie), "Cookie: %s", s.cookie);
	h[0] = ct;
	h[1] = cookie;
	for (int with_field = 0; with_field < 2; with_field++) {
		field[0] = '\0';
		if (with_field)
			snprintf(field, sizeof(field), "--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n",
				 bd, s.csrf);
		snprintf(body, sizeof(body),
			 "%s--%s\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\ncsv\r\n"
			 "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.csv\"\r\n"
			 "Content-Type: text/csv\r\n\r\nsku,title,category,price,quantity\r\n"
			 "CSRF%d-1,Csrf Lamp,smartphones,7.50,1\r\n\r\n--%s--\r\n",
			 field, bd, bd, (int)getpid(), bd);
		if (with_field)
			snprintf(path, sizeof(path), "/seller/import");
		else
			snprintf(path, sizeof(path), "/seller/import?csrf=%s", s.csrf);
		r = http("POST", path, body, h);
		if (with_field)
			ck_assert_msg(r->status == 303, "multipart csrf field: %ld %.400s", r->status, r->body);
		else
			ck_assert_msg(r->status == 403, "token in the query of an upload: %ld %.400s", r->status, r->body);
		hresp_free(r);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM imports WHERE seller_id = %lld", sid), with_field);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-csrf");
	TCase *tc = tcase_create("csrf");

	harness_init();
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, clear_ip_throttles, NULL);
	tcase_add_test(tc, cart_api);
	tcase_add_test(tc, cart_forms);
	tcase_add_test(tc, addresses);
	tcase_add_test(tc, sign_out);
	tcase_add_test(tc, checkout_place);
	tcase_add_test(tc, seller_upload);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
