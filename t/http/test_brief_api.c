/* t/http: the design brief's API paths beside their /api twins, the same
 * handlers and contracts: GET /items?term= (GET /api/items), PATCH /cart
 * (PATCH /api/cart), POST /checkout (POST /api/checkout, with cartId and
 * paymentInfo), POST /items (a seller's POST /api/items). A cartId that is
 * not the caller's own is 404 (the same whether that cart exists or not),
 * and paymentInfo.paymentType must be "CARD". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <sodium.h>
#include "harness.h"

static char sku_code[64];
static long long sku_id, product_id;

static void setup(void)
{
	clear_ip_throttles();
	sku_id = sku_pick("KIT-", 10, sku_code, sizeof(sku_code));
	product_id = sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", sku_id);
	set_stock(sku_code, 1, 40, "test_brief_api");
}

static void teardown(void)
{
	stock_invariants("after a brief API test");
}

static const char *fresh_key(void)
{
	static char k[64];
	static int n;

	snprintf(k, sizeof(k), "brief-%d-%d-%u", (int)getpid(), ++n, randombytes_random());
	return k;
}

static const char *msg_of(json_t *j)
{
	return json_string_value(json_object_get(json_object_get(j, "error"), "message"));
}

/* The member names of two objects are the same. */
static void same_keys(json_t *a, json_t *b, const char *what)
{
	const char *k;
	json_t *v;

	ck_assert_msg(json_is_object(a) && json_is_object(b), "%s: not objects", what);
	json_object_foreach(a, k, v)
		ck_assert_msg(json_object_get(b, k) != NULL, "%s: %s only in the first", what, k);
	json_object_foreach(b, k, v)
		ck_assert_msg(json_object_get(a, k) != NULL, "%s: %s only in the second", what, k);
}

static json_t *cart_of(struct client *cl)
{
	struct hresp *r = client_req(cl, "GET", "/api/cart", NULL, 0);
	json_t *j = hresp_json(r);

	ck_assert_msg(r->status == 200, "GET /api/cart: %ld %s", r->status, r->body);
	hresp_free(r);
	return j;
}

static char *brief_body(long long cart_id, long long amount, const char *type, const char *pm)
{
	static char b[1024];

	snprintf(b, sizeof(b), "{\"cartId\":%lld,\"amount\":%lld," TEST_ADDR ",\"shippingMethod\":\"standard\","
		 "\"paymentInfo\":{\"paymentType\":\"%s\",\"paymentMethod\":\"%s\"}}", cart_id, amount, type, pm);
	return b;
}

/* A shopper searches with /items?term=, adds with PATCH /cart and checks
 * out with POST /checkout: each answers as its twin does. */
START_TEST(buyer_path)
{
	struct client cl, twin;
	long long uid, amount, oid;
	char path[600], apipath[600], title[300];
	char *esc;
	struct hresp *r, *r2;
	json_t *j, *j2, *v;
	size_t i;
	int found = 0;

	uid = buyer_new(&cl, "brief", NULL, 0);

	/* GET /items?term=: the search API's answer, by the same name. */
	snprintf(title, sizeof(title), "%s", "");
	{
		char q[200];
		struct hresp *p;
		json_t *pj;

		snprintf(q, sizeof(q), "/api/items/%lld", product_id);
		p = http_get_json(q);
		pj = hresp_json(p);
		snprintf(title, sizeof(title), "%s", json_string_value(json_object_get(pj, "title")));
		json_decref(pj);
		hresp_free(p);
	}
	ck_assert_msg(title[0], "no title for product %lld", product_id);
	/* The setup's stock reaches the index a moment later; compared before
	 * that, the first answer could show the old stock and the second the
	 * new (a CI run did). */
	search_settled();
	esc = curl_easy_escape(NULL, title, 0);
	snprintf(path, sizeof(path), "/items?term=%s&size=50", esc);
	snprintf(apipath, sizeof(apipath), "/api/items?term=%s&size=50", esc);
	curl_free(esc);
	r = http_get(path);	/* no Accept: JSON all the same */
	ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
	ck_assert_msg(strstr(hresp_header(r, "Content-Type"), "application/json"), "%s: not JSON", path);
	j = hresp_json(r);
	r2 = http_get_json(apipath);
	ck_assert_int_eq(r2->status, 200);
	j2 = hresp_json(r2);
	ck_assert_msg(json_equal(j, j2), "/items and /api/items differ:\n%s\n%s", r->body, r2->body);
	json_array_foreach(json_object_get(j, "items"), i, v)
		found |= json_integer_value(json_object_get(v, "id")) == product_id;
	ck_assert_msg(found, "product %lld not found by /items?term=%s", product_id, title);
	json_decref(j);
	json_decref(j2);
	hresp_free(r);
	hresp_free(r2);
	/* Its keys are the twin's: undeclared ones are refused alike. */
	r = http_get("/items?term=lamp&size=0");
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);

	/* PATCH /cart: the cart as PATCH /api/cart answers it. */
	{
		char body[200];

		snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":2}", sku_code);
		r = client_req(&cl, "PATCH", "/cart", body, 1);
	}
	ck_assert_msg(r->status == 200, "PATCH /cart: %ld %s", r->status, r->body);
	ck_assert_msg(strstr(hresp_header(r, "Content-Type"), "application/json"), "PATCH /cart: not JSON");
	j = hresp_json(r);
	hresp_free(r);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "count")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "id")), uid);
	j2 = cart_of(&cl);
	same_keys(j, j2, "PATCH /cart vs GET /api/cart");
	ck_assert_int_eq(json_integer_value(json_object_get(j2, "id")), uid);
	json_decref(j);
	json_decref(j2);
	ck_assert_int_eq(sql_scalarf("SELECT quantity FROM cart_items WHERE user_id = %lld AND sku_id = %lld", uid,
				     sku_id), 2);
	/* Without the token, refused as the twin refuses it. */
	r = client_req(&cl, "PATCH", "/cart", "{\"itemId\":\"X\",\"quantity\":1}", 0);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);

	/* GET /checkout is still the page beside POST /checkout. */
	r = client_browse(&cl, "GET", "/checkout", NULL);
	ck_assert_msg(r->status == 200, "GET /checkout: %ld", r->status);
	ck_assert_msg(strstr(hresp_header(r, "Content-Type"), "text/html"), "GET /checkout: not HTML");
	hresp_free(r);

	/* POST /checkout: 201 and the body /api/checkout answers. */
	amount = checkout_amount(&cl);
	r = post_idem(&cl, "/checkout", brief_body(uid, amount, "CARD", "pm_card_visa"), fresh_key(), NULL);
	ck_assert_msg(r->status == 201, "POST /checkout: %ld %s", r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "confirmed");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), amount);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "payment"), "last4")), "4242");
	oid = json_integer_value(json_object_get(j, "id"));
	ck_assert_int_eq(sql_scalarf("SELECT user_id FROM orders WHERE id = %lld", oid), uid);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM cart_items WHERE user_id = %lld", uid), 0);

	/* The twin, for the shape. */
	buyer_new(&twin, "brieftwin", NULL, 0);
	cart_put(&twin, sku_code, 2);
	amount = checkout_amount(&twin);
	{
		char body[800];

		snprintf(body, sizeof(body), "{\"amount\":%lld," TEST_ADDR ",\"shippingMethod\":\"standard\","
			 "\"paymentMethod\":\"pm_card_visa\"}", amount);
		r = post_idem(&twin, "/api/checkout", body, fresh_key(), NULL);
	}
	ck_assert_msg(r->status == 201, "POST /api/checkout: %ld %s", r->status, r->body);
	j2 = hresp_json(r);
	hresp_free(r);
	same_keys(j, j2, "POST /checkout vs POST /api/checkout");
	same_keys(json_object_get(j, "payment"), json_object_get(j2, "payment"), "payment");
	json_decref(j);
	json_decref(j2);
}
END_TEST

/* Another shopper's cartId: 404, nothing held, nothing charged, neither
 * cart touched. A cartId that is no one's: the same answer. */
START_TEST(other_cart_refused)
{
	struct client a, b;
	long long ua, ub, amount, orders0, holds0;
	struct hresp *r;
	json_t *j;

	ua = buyer_new(&a, "briefa", NULL, 0);
	ub = buyer_new(&b, "briefb", NULL, 0);
	cart_put(&a, sku_code, 1);
	cart_put(&b, sku_code, 1);
	amount = checkout_amount(&b);
	orders0 = sql_scalar("SELECT COUNT(*) FROM orders");
	holds0 = sql_scalar("SELECT COUNT(*) FROM holds");
	r = post_idem(&b, "/checkout", brief_body(ua, amount, "CARD", "pm_card_visa"), fresh_key(), NULL);
	ck_assert_msg(r->status == 404, "another's cart: %ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "error"), "status")), 404);
	ck_assert_msg(strstr(msg_of(j), "cartId"), "message: %s", r->body);
	json_decref(j);
	hresp_free(r);
	r = post_idem(&b, "/checkout", brief_body(999999999, amount, "CARD", "pm_card_visa"), fresh_key(), NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM orders"), orders0);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM holds"), holds0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM cart_items WHERE user_id = %lld", ua), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM cart_items WHERE user_id = %lld", ub), 1);

	/* A guest has no cart id and cannot check out, as on the twin. */
	{
		struct client g = {0};
		struct hresp *t;

		ck_assert_int_eq(client_session(&g), 0);
		j = cart_of(&g);
		ck_assert(json_is_null(json_object_get(j, "id")));
		json_decref(j);
		r = post_idem(&g, "/checkout", brief_body(ua, amount, "CARD", "pm_card_visa"), fresh_key(), NULL);
		t = post_idem(&g, "/api/checkout", "{\"amount\":1}", fresh_key(), NULL);
		ck_assert_msg(r->status == t->status && r->status >= 400, "guest: %ld, twin %ld", r->status, t->status);
		hresp_free(r);
		hresp_free(t);
	}
}
END_TEST

/* paymentInfo: paymentType other than CARD, a missing paymentInfo, a card
 * number where the payment method goes: 400 naming the member. */
START_TEST(payment_info_checked)
{
	struct client cl;
	long long uid, amount, orders0 = sql_scalar("SELECT COUNT(*) FROM orders");
	static const struct { const char *type, *pm, *want; } bad[] = {
		{ "PAYPAL", "pm_card_visa", "paymentInfo.paymentType: must be one of CARD" },
		{ "card", "pm_card_visa", "paymentInfo.paymentType" },
		{ "CARD", "4242424242424242", "paymentInfo.paymentMethod: looks like a card number" },
		{ "CARD", "4242 4242 4242 4242", "paymentInfo.paymentMethod: looks like a card number" },
	};
	struct hresp *r;
	json_t *j;

	uid = buyer_new(&cl, "briefpay", NULL, 0);
	cart_put(&cl, sku_code, 1);
	amount = checkout_amount(&cl);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = post_idem(&cl, "/checkout", brief_body(uid, amount, bad[i].type, bad[i].pm), fresh_key(), NULL);
		ck_assert_msg(r->status == 400, "%s/%s: %ld %s", bad[i].type, bad[i].pm, r->status, r->body);
		j = hresp_json(r);
		ck_assert_msg(msg_of(j) && strstr(msg_of(j), bad[i].want), "%s: %s", bad[i].want, r->body);
		ck_assert_msg(!strstr(r->body, "4242"), "the number is in the answer: %s", r->body);
		json_decref(j);
		hresp_free(r);
	}
	{
		char body[800];

		snprintf(body, sizeof(body), "{\"cartId\":%lld,\"amount\":%lld," TEST_ADDR "}", uid, amount);
		r = post_idem(&cl, "/checkout", body, fresh_key(), NULL);
		ck_assert_int_eq(r->status, 400);
		ck_assert_msg(strstr(r->body, "paymentInfo: is required"), "%s", r->body);
		hresp_free(r);
	}
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM orders"), orders0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM cart_items WHERE user_id = %lld", uid), 1);
}
END_TEST

/* A seller creates with POST /items as with POST /api/items. */
START_TEST(seller_creates)
{
	struct client s;
	long long sid = seller_new(&s, "briefseller", NULL), id;
	char body[600];
	struct hresp *r;
	json_t *j, *j2;

	snprintf(body, sizeof(body), "{\"name\":\"Brief lamp %d\",\"description\":\"A lamp from the brief.\","
		 "\"price\":2500,\"quantity\":3,\"category\":\"home-decoration\","
		 "\"attributes\":{\"Warranty\":\"1 year\"}}", (int)getpid());
	r = client_req(&s, "POST", "/items", body, 1);
	ck_assert_msg(r->status == 201, "POST /items: %ld %s", r->status, r->body);
	ck_assert_ptr_nonnull(hresp_header(r, "Location"));
	j = hresp_json(r);
	hresp_free(r);
	id = json_integer_value(json_object_get(j, "id"));
	ck_assert_int_eq(sql_scalarf("SELECT seller_id FROM products WHERE id = %lld", id), sid);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "price")), 2500);

	snprintf(body, sizeof(body), "{\"name\":\"Twin lamp %d\",\"price\":2500,\"quantity\":3,"
		 "\"category\":\"home-decoration\",\"attributes\":{\"Warranty\":\"1 year\"}}", (int)getpid());
	r = client_req(&s, "POST", "/api/items", body, 1);
	ck_assert_msg(r->status == 201, "POST /api/items: %ld %s", r->status, r->body);
	j2 = hresp_json(r);
	hresp_free(r);
	same_keys(j, j2, "POST /items vs POST /api/items");
	json_decref(j);
	json_decref(j2);

	/* Its declaration is the twin's. */
	r = client_req(&s, "POST", "/items", "{\"name\":\"Brief lamp\",\"price\":100,\"colour\":\"red\"}", 1);
	ck_assert_int_eq(r->status, 400);
	ck_assert_msg(strstr(r->body, "colour: unknown field"), "%s", r->body);
	hresp_free(r);
	/* A shopper is not a seller. */
	{
		struct client b;

		buyer_new(&b, "briefnotseller", NULL, 0);
		r = client_req(&b, "POST", "/items", "{\"name\":\"Brief lamp\",\"price\":100}", 1);
		ck_assert_int_eq(r->status, 403);
		hresp_free(r);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("brief_api");
	TCase *tc = tcase_create("brief_api");

	harness_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, buyer_path);
	tcase_add_test(tc, other_cart_refused);
	tcase_add_test(tc, payment_info_checked);
	tcase_add_test(tc, seller_creates);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
