/* t/http: recommendations (app/recs) on the real stack.
 *
 * A fixed purchase history over five products no order has held before
 * (A..E, each one active SKU, in stock), written as paid orders with SQL and
 * counted by `shopctl recs-rebuild`:
 *   3 orders {A, B}, 2 orders {A, C}, 1 order {A, D}, 2 orders {B, E}
 * so orders(A) = 6, orders(B) = 5, orders(C) = 2, orders(D) = 1, orders(E) = 2
 * and with the minimum support of 2: neighbours of A are C (2/sqrt(12) =
 * 0.577) then B (3/sqrt(30) = 0.548), never D (one order in common).
 *
 * Then: the item API and the product page show exactly those; an item out
 * of stock is never recommended; the signed-in shopper's "Recommended for
 * you" holds nothing they bought nor anything out of stock; recently viewed
 * is kept per visitor with a session, survives sign-in, and never reaches
 * a page nginx may cache for others; the API's shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "harness.h"

#define PW "correct horse battery"

static long long P[5];		/* A..E */
static char slug[5][200], code[5][80];
static int ready;

static void order_of(long long uid, const int *idx, int n)
{
	long long oid;

	sql_execf("INSERT INTO orders (user_id, status, subtotal, shipping, tax, total, shipping_method, ship_name, "
		  "ship_line1, ship_city, ship_country) VALUES (%lld, 'delivered', 100, 0, 0, 100, 'standard', "
		  "'Recs Test', '1 Main St', 'Austin', 'US')", uid);
	oid = sql_scalarf("SELECT MAX(id) FROM orders WHERE user_id = %lld", uid);
	for (int i = 0; i < n; i++)
		sql_execf("INSERT INTO order_lines (order_id, line_no, sku_id, product_id, seller_id, code, title, "
			  "unit_price, quantity) SELECT %lld, %d, s.id, p.id, p.seller_id, s.code, p.title, s.price, 1 "
			  "FROM products p JOIN skus s ON s.product_id = p.id AND s.status = 'active' WHERE p.id = %lld "
			  "LIMIT 1", oid, i + 1, P[idx[i]]);
}

static long long user_row(const char *tag)
{
	const char *e = fresh_email(tag);

	/* An Argon2id string no password matches: the shop stores no other kind. */
	sql_execf("INSERT INTO users (email, name, password_hash) VALUES ('%s', 'Recs Shopper', "
		  "'$argon2id$v=19$m=65536,t=2,p=1$bm8tc2lnbi1pbg$bm8tcGFzc3dvcmQtbWF0Y2hlcy10aGlz')", e);
	return sql_scalarf("SELECT id FROM users WHERE email = '%s'", e);
}

/* The item's slug and first SKU code, from the item API. */
static void item_names(long long id, char *sl, char *cd)
{
	char path[64];
	struct hresp *r;
	json_t *j;

	snprintf(path, sizeof(path), "/api/items/%lld", id);
	r = http_get_json(path);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(j = hresp_json(r));
	snprintf(sl, 200, "%s", json_string_value(json_object_get(j, "slug")));
	snprintf(cd, 80, "%s", json_string_value(json_object_get(j, "sku")));
	json_decref(j);
	hresp_free(r);
}

static void setup(void)
{
	static const int ab[] = { 0, 1 }, ac[] = { 0, 2 }, ad[] = { 0, 3 }, be[] = { 1, 4 };
	long long u, last = 0;

	clear_ip_throttles();
	if (ready)
		return;
	for (int i = 0; i < 5; i++) {
		P[i] = sql_scalarf("SELECT p.id FROM products p WHERE p.status = 'active' AND p.stock_total >= 20 "
				   "AND p.id > %lld AND NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.product_id = p.id) "
				   "AND (SELECT COUNT(*) FROM skus s WHERE s.product_id = p.id AND s.status = 'active') = 1 "
				   "ORDER BY p.id LIMIT 1", last);
		ck_assert_int_gt(P[i], 0);
		last = P[i];
		item_names(P[i], slug[i], code[i]);
	}
	for (int r = 0; r < 3; r++)
		u = user_row("recs-ab"), order_of(u, ab, 2);
	for (int r = 0; r < 2; r++)
		u = user_row("recs-ac"), order_of(u, ac, 2);
	u = user_row("recs-ad"), order_of(u, ad, 2);
	for (int r = 0; r < 2; r++)
		u = user_row("recs-be"), order_of(u, be, 2);
	ck_assert_int_eq(shopctl_run(NULL, NULL, "recs-rebuild"), 0);
	/* The workers keep "also bought" lists until any product changes (or
	 * a minute passes): a stock change of A makes them read the rebuild. */
	{
		long long sku = sql_scalarf("SELECT id FROM skus WHERE code = '%s'", code[0]);
		long long w = sql_scalarf("SELECT MIN(warehouse_id) FROM inventory WHERE sku_id = %lld", sku);
		long long n = sql_scalarf("SELECT available FROM inventory WHERE sku_id = %lld AND warehouse_id = %lld",
					  sku, w);

		set_stock_id(sku, (int)w, n + 1, "recs test: a change");
		set_stock_id(sku, (int)w, n, "recs test: back");
		sleep(1);
	}
	ready = 1;
}

/* The ids of a JSON array of cards, in order; their count. */
static int ids_of(json_t *arr, long long *out, int max)
{
	int n = 0;
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (n < max)
			out[n++] = json_integer_value(json_object_get(v, "id"));
	}
	return n;
}

static json_t *get_json(const char *path)
{
	struct hresp *r = http_get_json(path);
	json_t *j;

	ck_assert_msg(r->status == 200, "GET %s: %ld %s", path, r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	ck_assert_ptr_nonnull(j);
	return j;
}

static json_t *client_json(struct client *cl, const char *path)
{
	struct hresp *r = client_req(cl, "GET", path, NULL, 0);
	json_t *j;

	ck_assert_msg(r->status == 200, "GET %s: %ld %s", path, r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	ck_assert_ptr_nonnull(j);
	return j;
}

START_TEST(item_neighbours_are_the_expected_items)
{
	char path[96];
	long long got[20];
	json_t *j, *items, *first;
	int n;

	snprintf(path, sizeof(path), "/api/items/%lld/recommendations", P[0]);
	j = get_json(path);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "itemId")), P[0]);
	items = json_object_get(j, "items");
	n = ids_of(items, got, 20);
	ck_assert_msg(n == 2, "A has %d neighbours, expected 2 (C, B)", n);
	ck_assert_int_eq(got[0], P[2]);
	ck_assert_int_eq(got[1], P[1]);
	/* the shape of a card */
	first = json_array_get(items, 0);
	ck_assert(json_is_string(json_object_get(first, "title")));
	ck_assert(json_is_string(json_object_get(first, "url")));
	ck_assert(json_is_integer(json_object_get(first, "price")));
	ck_assert(json_is_string(json_object_get(first, "currency")));
	ck_assert(json_is_integer(json_object_get(first, "stock")));
	ck_assert(json_is_real(json_object_get(first, "score")));
	ck_assert_str_eq(json_string_value(json_object_get(first, "reason")), "bought-with");
	ck_assert(json_real_value(json_object_get(first, "score")) > 0.57 &&
		  json_real_value(json_object_get(first, "score")) < 0.58);
	json_decref(j);

	/* B's neighbours: A (3/sqrt(30)) and E (2/sqrt(10) = 0.632) */
	snprintf(path, sizeof(path), "/api/items/%lld/recommendations?limit=1", P[1]);
	j = get_json(path);
	n = ids_of(json_object_get(j, "items"), got, 20);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(got[0], P[4]);
	json_decref(j);

	/* unknown item: 404; a bad limit: 400 */
	{
		struct hresp *r = http_get_json("/api/items/999999999/recommendations");

		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
		snprintf(path, sizeof(path), "/api/items/%lld/recommendations?limit=500", P[0]);
		r = http_get_json(path);
		ck_assert_int_eq(r->status, 400);
		hresp_free(r);
	}
}
END_TEST

START_TEST(product_page_shows_also_bought)
{
	char path[256], *p;
	struct hresp *r;
	char title[300];

	snprintf(path, sizeof(path), "/p/%s", slug[0]);
	r = http_get(path);
	ck_assert_int_eq(r->status, 200);
	p = strstr(r->body, "Customers who bought this also bought");
	ck_assert_msg(p != NULL, "no also-bought section on %s", path);
	snprintf(title, sizeof(title), "href=\"/p/%s\"", slug[2]);
	ck_assert_msg(strstr(p, title) != NULL, "C is not in A's section");
	snprintf(title, sizeof(title), "href=\"/p/%s\"", slug[3]);
	ck_assert_msg(strstr(p, title) == NULL, "D (support 1) is in A's section");
	/* an anonymous visitor without a session: nothing per visitor */
	ck_assert_ptr_null(strstr(r->body, "Recently viewed"));
	hresp_free(r);
}
END_TEST

START_TEST(out_of_stock_is_never_recommended)
{
	char path[96];
	long long got[20], before;
	json_t *j;
	int n;

	before = sql_scalarf("SELECT SUM(available) FROM inventory i JOIN skus s ON s.id = i.sku_id WHERE s.code = '%s'",
			     code[2]);
	set_stock_only(sql_scalarf("SELECT id FROM skus WHERE code = '%s'", code[2]), 1, 0, "recs test: sold out");
	sleep(2);	/* the list is the same for everyone: nginx keeps it a second */
	snprintf(path, sizeof(path), "/api/items/%lld/recommendations", P[0]);
	j = get_json(path);
	n = ids_of(json_object_get(j, "items"), got, 20);
	set_stock_only(sql_scalarf("SELECT id FROM skus WHERE code = '%s'", code[2]), 1, before, "recs test: back");
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(got[0], P[1]);
	json_decref(j);
	sleep(2);
}
END_TEST

/* Every recommendation of the list is in stock and not bought by uid. */
static void none_bought_or_sold_out(json_t *items, long long uid)
{
	size_t i;
	json_t *v;

	json_array_foreach(items, i, v) {
		long long id = json_integer_value(json_object_get(v, "id"));

		ck_assert_msg(sql_scalarf("SELECT stock_total FROM products WHERE id = %lld", id) > 0,
			      "product %lld is out of stock", id);
		ck_assert_msg(sql_scalarf("SELECT COUNT(*) FROM orders o JOIN order_lines l ON l.order_id = o.id "
					  "WHERE o.user_id = %lld AND l.product_id = %lld", uid, id) == 0,
			      "product %lld was bought by %lld", id, uid);
	}
}

START_TEST(for_you_never_bought_nor_out_of_stock)
{
	static const int a_only[] = { 0 };
	struct client cl = { "", "" };
	long long uid = buyer_new(&cl, "recs-you", NULL, 0), got[20];
	json_t *j, *items;
	int n, has_c = 0, has_a = 0;
	struct hresp *r;

	order_of(uid, a_only, 1);	/* after the rebuild: only its own list knows */
	j = client_json(&cl, "/api/recommendations");
	ck_assert(json_is_true(json_object_get(j, "signedIn")));
	items = json_object_get(j, "items");
	ck_assert(json_is_array(json_object_get(j, "recentlyViewed")));
	n = ids_of(items, got, 20);
	ck_assert_int_eq(n, 10);
	for (int i = 0; i < n; i++) {
		has_c |= got[i] == P[2];
		has_a |= got[i] == P[0];
	}
	ck_assert_msg(!has_a, "A, bought, is recommended");
	ck_assert_msg(has_c, "C, A's best neighbour, is not recommended");
	ck_assert_msg(got[0] == P[2] || got[0] == P[1], "the first is not a neighbour of A");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "reason")), "personal");
	none_bought_or_sold_out(items, uid);
	json_decref(j);

	/* the home page says it in words */
	r = client_browse(&cl, "GET", "/", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "Recommended for you"));
	hresp_free(r);
}
END_TEST

START_TEST(recently_viewed_survives_sign_in)
{
	struct client owner = { "", "" }, g = { "", "" };
	char email[200], path[256], link[260];
	long long uid = buyer_new(&owner, "recs-viewer", email, sizeof(email)), got[20];
	struct hresp *r;
	json_t *j;
	int n;

	(void)uid;
	ck_assert_int_eq(client_session(&g), 0);	/* a guest with a session */
	for (int i = 3; i <= 4; i++) {
		snprintf(path, sizeof(path), "/p/%s", slug[i]);
		r = client_browse(&g, "GET", path, NULL);
		ck_assert_int_eq(r->status, 200);
		/* per visitor: never for a shared cache */
		ck_assert_msg(strstr(r->headers, "X-Accel-Expires") == NULL, "a session's page may be cached");
		hresp_free(r);
	}
	j = client_json(&g, "/api/recommendations");
	ck_assert(json_is_false(json_object_get(j, "signedIn")));
	n = ids_of(json_object_get(j, "recentlyViewed"), got, 20);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(got[0], P[4]);	/* most recent first */
	ck_assert_int_eq(got[1], P[3]);
	json_decref(j);

	/* the product page of another item lists them */
	snprintf(path, sizeof(path), "/p/%s", slug[0]);
	r = client_browse(&g, "GET", path, NULL);
	ck_assert_ptr_nonnull(strstr(r->body, "Recently viewed"));
	snprintf(link, sizeof(link), "href=\"/p/%s\"", slug[4]);
	ck_assert_ptr_nonnull(strstr(strstr(r->body, "Recently viewed"), link));
	hresp_free(r);

	ck_assert_int_eq(client_signin(&g, email, PW), 0);
	j = client_json(&g, "/api/recommendations");
	ck_assert(json_is_true(json_object_get(j, "signedIn")));
	n = ids_of(json_object_get(j, "recentlyViewed"), got, 20);
	ck_assert_msg(n == 3, "after sign-in %d viewed, expected 3", n);
	ck_assert_int_eq(got[0], P[0]);
	ck_assert_int_eq(got[1], P[4]);
	ck_assert_int_eq(got[2], P[3]);
	json_decref(j);

	/* the home and cart pages show them too */
	r = client_browse(&g, "GET", "/", NULL);
	ck_assert_ptr_nonnull(strstr(r->body, "Recently viewed"));
	hresp_free(r);
	r = client_browse(&g, "GET", "/cart", NULL);
	ck_assert_ptr_nonnull(strstr(r->body, "Recently viewed"));
	hresp_free(r);

	/* an anonymous request (no cookie) of the same page never shows them */
	r = http_get(path);
	ck_assert_ptr_null(strstr(r->body, "Recently viewed"));
	hresp_free(r);
}
END_TEST

START_TEST(cart_shows_bought_together)
{
	struct client cl = { "", "" };
	struct hresp *r;
	char link[260];

	buyer_new(&cl, "recs-cart", NULL, 0);
	cart_put(&cl, code[1], 1);	/* B: with A and E */
	r = client_browse(&cl, "GET", "/cart", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "Frequently bought together"));
	snprintf(link, sizeof(link), "href=\"/p/%s\"", slug[4]);
	ck_assert_ptr_nonnull(strstr(strstr(r->body, "Frequently bought together"), link));
	hresp_free(r);
}
END_TEST

START_TEST(anonymous_recommendations_are_best_sellers)
{
	json_t *j = get_json("/api/recommendations");
	json_t *items = json_object_get(j, "items");

	ck_assert(json_is_false(json_object_get(j, "signedIn")));
	ck_assert_int_eq(json_array_size(items), 10);
	ck_assert_int_eq(json_array_size(json_object_get(j, "recentlyViewed")), 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "reason")), "bestseller");
	json_decref(j);
}
END_TEST

/* Polls an SQL count until it reaches want or seconds pass; the last value. */
static long long wait_count(const char *q, long long want, int seconds)
{
	long long v = -1;

	for (int i = 0; i < seconds * 10; i++) {
		if ((v = sql_scalar(q)) == want)
			break;
		usleep(100000);
	}
	return v;
}

/* A real order of B and E, paid: the "recs" consumer counts it once from its
 * OrderConfirmed event, and a replay of the event changes nothing. */
START_TEST(consumer_counts_a_paid_order_once)
{
	struct client cl = { "", "" };
	char q[400], body[600], args[200];
	long long amount, oid, ev, pair_before, delivered, uid;
	struct hresp *r;
	json_t *j;

	pair_before = sql_scalarf("SELECT orders FROM recs_pairs WHERE a = %lld AND b = %lld", P[1], P[4]);
	ck_assert_int_eq(pair_before, 2);
	uid = buyer_new(&cl, "recs-buyer", NULL, 0);
	/* their list is kept a minute from here: the purchase must drop it */
	json_decref(client_json(&cl, "/api/recommendations?limit=20"));
	cart_put(&cl, code[1], 1);
	cart_put(&cl, code[4], 1);
	amount = checkout_amount(&cl);
	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
		 "\"paymentMethod\":\"pm_card_visa\"}", amount);
	snprintf(args, sizeof(args), "recs-%d-%ld", (int)getpid(), (long)time(NULL));
	r = post_idem(&cl, "/api/checkout", body, args, NULL);
	ck_assert_msg(r->status == 201, "checkout: %ld %s", r->status, r->body);
	ck_assert_ptr_nonnull(j = hresp_json(r));
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "confirmed");
	oid = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	hresp_free(r);

	ev = sql_scalarf("SELECT id FROM outbox WHERE topic = 'OrderConfirmed' AND aggregate_id = %lld", oid);
	ck_assert_int_gt(ev, 0);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM recs_orders WHERE order_id = %lld AND event_id = %lld", oid, ev);
	ck_assert_msg(wait_count(q, 1, 30) == 1, "order %lld was not counted by the consumer", oid);
	ck_assert_int_eq(sql_scalarf("SELECT orders FROM recs_pairs WHERE a = %lld AND b = %lld", P[1], P[4]), 3);
	ck_assert_int_eq(sql_scalarf("SELECT orders FROM recs_pairs WHERE a = %lld AND b = %lld", P[4], P[1]), 3);
	/* what they just bought is no longer recommended to them */
	j = client_json(&cl, "/api/recommendations?limit=20");
	none_bought_or_sold_out(json_object_get(j, "items"), uid);
	json_decref(j);
	/* B's neighbours were recomputed: E first (3 / sqrt(6 * 3)) */
	ck_assert_int_eq(sql_scalarf("SELECT neighbour_id FROM recs_neighbours WHERE product_id = %lld "
				     "ORDER BY score DESC LIMIT 1", P[1]), P[4]);

	/* the event again: nothing changes */
	sleep(1);	/* the batch that counted it has saved its position */
	delivered = sql_scalar("SELECT delivered FROM event_consumers WHERE name = 'recs'");
	snprintf(args, sizeof(args), "events replay recs --from %lld", ev);
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM event_consumers WHERE name = 'recs' AND delivered > %lld AND "
		 "position >= (SELECT seq FROM outbox WHERE id = %lld)", delivered, ev);
	ck_assert_msg(wait_count(q, 1, 30) == 1, "the replay was not consumed");
	sleep(1);
	ck_assert_int_eq(sql_scalarf("SELECT orders FROM recs_pairs WHERE a = %lld AND b = %lld", P[1], P[4]), 3);
	ck_assert_int_eq(sql_scalarf("SELECT orders FROM recs_item_orders WHERE product_id = %lld", P[4]), 3);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM recs_orders WHERE order_id = %lld", oid), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("recs");
	TCase *t = tcase_create("recs");

	harness_init();
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, item_neighbours_are_the_expected_items);
	tcase_add_test(t, product_page_shows_also_bought);
	tcase_add_test(t, out_of_stock_is_never_recommended);
	tcase_add_test(t, for_you_never_bought_nor_out_of_stock);
	tcase_add_test(t, recently_viewed_survives_sign_in);
	tcase_add_test(t, cart_shows_bought_together);
	tcase_add_test(t, anonymous_recommendations_are_best_sellers);
	tcase_add_test(t, consumer_counts_a_paid_order_once);
	suite_add_tcase(s, t);
	return run_suite(s);
}
