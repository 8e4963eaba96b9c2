/* t/http: flash sales (issue 18) on the whole stack: scheduling over the
 * API (201 with the sale, 422 naming each bad field, 403 for shoppers, a
 * seller only with their own SKUs, one sale per SKU at a time), reading it
 * back, the product page's sale block before the start (the sale price and
 * a server-rendered countdown), the sale page, the seller's and admin's
 * lists and the seller's form (no JavaScript), the "sales" job closing a
 * sale whose time has passed (the product page is back to its ordinary
 * price); and, once the inventory shards are in (app/inventory/shards.c),
 * the live sale: it opens within seconds, the product page shows the sale
 * price and units left, a line added in it is priced by it in the cart
 * ("Flash sale price"), and the per-customer limit refuses a second unit at
 * checkout with 409. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "harness.h"

#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.1500s", (s), \
				strstr((r)->body, "id=\"sale\"") ? strstr((r)->body, "id=\"sale\"") : (r)->body)
#define LACKS(r, s) ck_assert_msg(strstr((r)->body, (s)) == NULL, "body has %s: %.1500s", (s), (r)->body)
#define ADMIN_PW "admin password 12345"

static struct client seller, other;
static int have_sellers;

struct item {
	long long id, sku_id;
	char code[64], slug[200];
};

static long long made[16];
static int nmade;

static void sellers_once(void)
{
	if (have_sellers)
		return;
	seller_new(&seller, "saleseller", NULL);
	seller_new(&other, "saleother", NULL);
	have_sellers = 1;
}

/* An item of seller cl's: one SKU at `price` cents, `qty` units. */
static void item_new(struct client *cl, struct item *it, long long price, int qty)
{
	static int k;
	char body[600], path[100];
	struct hresp *r;
	json_t *j;

	memset(it, 0, sizeof(*it));
	snprintf(body, sizeof(body), "{\"name\":\"Sale kettle %d-%d\",\"description\":\"A kettle for the sale.\","
		 "\"price\":%lld,\"quantity\":%d,\"category\":\"sports-accessories\"}", (int)getpid(), ++k, price, qty);
	r = client_req(cl, "POST", "/api/items", body, 1);
	ck_assert_msg(r->status == 201, "POST /api/items: %ld %s", r->status, r->body);
	j = hresp_json(r);
	it->id = (long long)json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	hresp_free(r);
	if (nmade < 16 && cl == &seller)
		made[nmade++] = it->id;
	it->sku_id = sql_scalarf("SELECT id FROM skus WHERE product_id = %lld", it->id);
	snprintf(path, sizeof(path), "/api/items/%lld", it->id);
	r = http_get_json(path);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	snprintf(it->code, sizeof(it->code), "%s", json_string_value(json_object_get(j, "sku")));
	snprintf(it->slug, sizeof(it->slug), "%s", json_string_value(json_object_get(j, "slug")));
	json_decref(j);
	hresp_free(r);
}

static void iso(char *out, size_t n, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* POST /api/sales as cl for one item: the answer. */
static struct hresp *sale_post(struct client *cl, const char *code, long long price, int qty, int per,
			       long long start, long long end)
{
	char body[700], s[40], e[40];

	iso(s, sizeof(s), start);
	iso(e, sizeof(e), end);
	snprintf(body, sizeof(body), "{\"name\":\"Test sale %d\",\"startsAt\":\"%s\",\"endsAt\":\"%s\",\"shards\":4,"
		 "\"items\":[{\"itemId\":\"%s\",\"price\":%lld,\"quantity\":%d,\"perCustomer\":%d}]}",
		 (int)getpid(), s, e, code, price, qty, per);
	return client_req(cl, "POST", "/api/sales", body, 1);
}

static long long sale_new(struct client *cl, const char *code, long long price, int qty, int per,
			  long long start, long long end)
{
	struct hresp *r = sale_post(cl, code, price, qty, per, start, end);
	json_t *j;
	long long id;

	ck_assert_msg(r->status == 201, "POST /api/sales: %ld %s", r->status, r->body);
	j = hresp_json(r);
	id = (long long)json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	hresp_free(r);
	ck_assert_int_gt(id, 0);
	return id;
}

/* GET /api/sales/{id}: its "status". */
static void sale_status(long long id, char *out, size_t n)
{
	char path[64];
	struct hresp *r;
	json_t *j;

	snprintf(path, sizeof(path), "/api/sales/%lld", id);
	r = http_get_json(path);
	ck_assert_msg(r->status == 200, "%s: %ld", path, r->status);
	j = hresp_json(r);
	snprintf(out, n, "%s", json_string_value(json_object_get(j, "status")));
	json_decref(j);
	hresp_free(r);
}

/* Polls the sale until its status is `want` or ms pass; 1 when it is. */
static int wait_sale(long long id, const char *want, int ms)
{
	char st[32];

	for (int t = 0; t <= ms; t += 100) {
		sale_status(id, st, sizeof(st));
		if (!strcmp(st, want))
			return 1;
		usleep(100 * 1000);
	}
	return 0;
}

/* The sale's time is over: it ends now (scheduled sales only). */
static void end_now(long long id)
{
	sql_execf("UPDATE sales SET starts_at = NOW(3) - INTERVAL 2 HOUR, ends_at = NOW(3) - INTERVAL 1 SECOND "
		  "WHERE id = %lld", id);
}

static void setup(void)
{
	clear_ip_throttles();
	sellers_once();
	nmade = 0;
}

static void teardown(void)
{
	char path[100];

	/* Sales of this run end, so that other suites see ordinary prices. */
	sql_exec("UPDATE sales SET starts_at = LEAST(starts_at, NOW(3) - INTERVAL 2 SECOND), "
		 "ends_at = NOW(3) - INTERVAL 1 SECOND WHERE status IN ('scheduled', 'live') AND name LIKE 'Test sale %'");
	for (int i = 0; i < nmade; i++) {
		struct hresp *r;

		snprintf(path, sizeof(path), "/api/items/%lld", made[i]);
		r = client_req(&seller, "PATCH", path, "{\"status\":\"archived\"}", 1);
		hresp_free(r);
	}
	nmade = 0;
}

/* GET path (as cl, or anonymously when cl is NULL) until its body has
 * (want 1) or lacks (want 0) text, for up to 3 s: the workers read the
 * SKUs' sales through caches of a second, and nginx keeps an anonymous
 * page for one. The last answer. */
static struct hresp *page_until(struct client *cl, const char *path, const char *text, int want)
{
	struct hresp *r;

	for (int i = 0;; i++) {
		r = cl ? client_browse(cl, "GET", path, NULL) : http_get(path);
		if ((r->body && strstr(r->body, text) ? 1 : 0) == want || i >= 30)
			return r;
		hresp_free(r);
		usleep(100 * 1000);
	}
}

START_TEST(schedule_and_read)
{
	struct item it;
	long long now = (long long)time(NULL), id;
	char path[64];
	struct hresp *r;
	json_t *j, *x;

	item_new(&seller, &it, 5000, 30);
	r = sale_post(&seller, it.code, 2500, 10, 2, now + 3600, now + 7200);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	ck_assert_ptr_nonnull(hresp_header(r, "Location"));
	j = hresp_json(r);
	id = (long long)json_integer_value(json_object_get(j, "id"));
	ck_assert_int_gt(id, 0);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "scheduled");
	ck_assert_ptr_nonnull(json_string_value(json_object_get(j, "startsAt")));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "waitUrl")), "/wait"));
	x = json_array_get(json_object_get(j, "items"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(x, "itemId")), it.code);
	ck_assert_int_eq(json_integer_value(json_object_get(x, "productId")), it.id);
	ck_assert_int_eq(json_integer_value(json_object_get(x, "price")), 2500);
	ck_assert_int_eq(json_integer_value(json_object_get(x, "regularPrice")), 5000);
	ck_assert_int_eq(json_integer_value(json_object_get(x, "quantity")), 10);
	ck_assert_int_eq(json_integer_value(json_object_get(x, "left")), 10);
	ck_assert_int_eq(json_integer_value(json_object_get(x, "sold")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(x, "perCustomer")), 2);
	json_decref(j);
	hresp_free(r);
	/* Read back, by anyone. */
	snprintf(path, sizeof(path), "/api/sales/%lld", id);
	r = http_get_json(path);
	ck_assert_int_eq(r->status, 200);
	HAS(r, it.code);
	HAS(r, "\"scheduled\"");
	hresp_free(r);
	r = http_get_json("/api/sales/999999999");
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT shards FROM sales WHERE id = %lld", id), 4);
	ck_assert_int_eq(sql_scalarf("SELECT seller_id FROM sales WHERE id = %lld", id),
			 sql_scalarf("SELECT seller_id FROM products WHERE id = %lld", it.id));
}
END_TEST

START_TEST(bad_sales_are_refused)
{
	struct item it, theirs;
	struct client shopper = { { 0 }, { 0 } };
	long long now = (long long)time(NULL);
	struct hresp *r;

	item_new(&seller, &it, 5000, 30);
	item_new(&other, &theirs, 5000, 30);
	/* Every field named. */
	r = client_req(&seller, "POST", "/api/sales", "{\"name\":\"\",\"startsAt\":\"tomorrow\",\"endsAt\":\"2020-01-01T00:00:00Z\","
		       "\"items\":[{\"itemId\":\"\",\"price\":0,\"quantity\":-1,\"perCustomer\":500}]}", 1);
	ck_assert_msg(r->status == 422, "%ld %s", r->status, r->body);
	HAS(r, "\"fields\"");
	HAS(r, "\"name\"");
	HAS(r, "\"startsAt\"");
	HAS(r, "\"endsAt\"");
	HAS(r, "items[0].price");
	HAS(r, "items[0].quantity");
	HAS(r, "items[0].perCustomer");
	hresp_free(r);
	/* End before start. */
	r = sale_post(&seller, it.code, 100, 1, 1, now + 7200, now + 3600);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "must be after startsAt");
	hresp_free(r);
	/* Not below the item's price. */
	r = sale_post(&seller, it.code, 5000, 1, 1, now + 3600, now + 7200);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "items[0].price");
	hresp_free(r);
	/* Another seller's SKU is no SKU of theirs. */
	r = sale_post(&seller, theirs.code, 100, 1, 1, now + 3600, now + 7200);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "items[0].itemId");
	hresp_free(r);
	/* One sale per SKU at a time. */
	sale_new(&seller, it.code, 2000, 5, 1, now + 3600, now + 7200);
	r = sale_post(&seller, it.code, 2000, 5, 1, now + 5400, now + 9000);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "at that time already");
	hresp_free(r);
	/* Shoppers schedule nothing; strangers must sign in. */
	ck_assert_int_eq(buyer_new(&shopper, "saleshopper", NULL, 0) > 0, 1);
	r = sale_post(&shopper, it.code, 100, 1, 1, now + 3600, now + 7200);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	memset(&shopper, 0, sizeof(shopper));
	client_session(&shopper);
	r = sale_post(&shopper, it.code, 100, 1, 1, now + 3600, now + 7200);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
}
END_TEST

START_TEST(upcoming_sale_pages)
{
	struct item it;
	struct client adm = { { 0 }, { 0 } }, buyer = { { 0 }, { 0 } };
	long long now = (long long)time(NULL), id;
	char path[300], env[200], args[200], email[120];
	struct hresp *r;

	item_new(&seller, &it, 5000, 30);
	id = sale_new(&seller, it.code, 2500, 10, 2, now + 2 * 3600 + 15 * 60, now + 4 * 3600);
	/* The product page: the sale price and the countdown, rendered (once
	 * the workers' caches of the SKUs in sales, a second, have it). */
	snprintf(path, sizeof(path), "/p/%s", it.slug);
	for (int i = 0;; i++) {
		r = http_get(path);
		if ((r->body && strstr(r->body, "id=\"sale\"")) || i >= 30)
			break;
		hresp_free(r);
		usleep(100 * 1000);
	}
	ck_assert_int_eq(r->status, 200);
	HAS(r, "id=\"sale\"");
	HAS(r, "Flash sale price");
	HAS(r, "$25.00");
	HAS(r, "Starts in 2 h 1");	/* 2 h 14 or 15 min */
	HAS(r, "at most 2 per customer");
	tidy_ok(r, "the product page with a sale to come");
	hresp_free(r);
	/* The sale's page. */
	snprintf(path, sizeof(path), "/sales/%lld", id);
	r = http_get(path);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Scheduled");
	HAS(r, "Starts in 2 h");
	HAS(r, "10 units for the sale");
	tidy_ok(r, "the sale's page");
	hresp_free(r);
	/* The seller's list has it, the other seller's does not. */
	r = client_browse(&seller, "GET", "/seller/sales", NULL);
	ck_assert_int_eq(r->status, 200);
	snprintf(path, sizeof(path), "/sales/%lld\"", id);
	HAS(r, path);
	hresp_free(r);
	r = client_browse(&other, "GET", "/seller/sales", NULL);
	ck_assert_int_eq(r->status, 200);
	LACKS(r, path);
	hresp_free(r);
	/* Only admins see /admin/sales, with everyone's. */
	ck_assert_int_gt(buyer_new(&buyer, "salebuyer", NULL, 0), 0);
	r = client_browse(&buyer, "GET", "/admin/sales", NULL);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	snprintf(email, sizeof(email), "%s", fresh_email("saleadmin"));
	snprintf(env, sizeof(env), "SHOP_ADMIN_PASSWORD='%s' SHOP_ADMIN_NAME='Sal Admin'", ADMIN_PW);
	snprintf(args, sizeof(args), "create-admin %s", email);
	ck_assert_int_eq(shopctl_run(env, NULL, args), 0);
	ck_assert_int_eq(client_signin(&adm, email, ADMIN_PW), 0);
	r = client_browse(&adm, "GET", "/admin/sales", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, path);
	hresp_free(r);
	/* An admin may schedule any seller's SKU (with a free time slot). */
	r = sale_post(&adm, it.code, 2000, 3, 1, now + 5 * 3600, now + 6 * 3600);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	hresp_free(r);
	/* Cancelling: not another seller's (404), the seller's own (200,
	 * cancelled), not twice (409); the list's button is there. */
	r = client_browse(&seller, "GET", "/seller/sales", NULL);
	snprintf(path, sizeof(path), "action=\"/sales/%lld/cancel\"", id);
	HAS(r, path);
	tidy_ok(r, "the seller's sales");
	hresp_free(r);
	snprintf(path, sizeof(path), "/api/sales/%lld/cancel", id);
	r = client_req(&other, "POST", path, NULL, 1);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = client_req(&seller, "POST", path, NULL, 1);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	HAS(r, "\"cancelled\"");
	hresp_free(r);
	r = client_req(&seller, "POST", path, NULL, 1);
	ck_assert_int_eq(r->status, 409);
	hresp_free(r);
	/* The product page shows the admin's later sale, not this one: once
	 * the workers' caches of the SKUs' sales (a second) have moved on. */
	snprintf(path, sizeof(path), "/p/%s", it.slug);
	snprintf(env, sizeof(env), "href=\"/sales/%lld\"", id);
	for (int i = 0;; i++) {
		r = client_browse(&seller, "GET", path, NULL);	/* a session: not the microcache's copy */
		if (!strstr(r->body, env) || i >= 30)
			break;
		hresp_free(r);
		usleep(100 * 1000);
	}
	LACKS(r, env);
	HAS(r, "Flash sale price $20.00");
	hresp_free(r);
}
END_TEST

START_TEST(seller_form)
{
	struct item it;
	char form[600], s[40], e[40];
	long long now = (long long)time(NULL);
	struct hresp *r;

	item_new(&seller, &it, 5000, 30);
	r = client_browse(&seller, "GET", "/seller/sales/new", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "name=\"csrf\"");
	HAS(r, "type=\"datetime-local\"");
	tidy_ok(r, "the new-sale form");
	hresp_free(r);
	/* A bad one: the form again with what was wrong. */
	snprintf(form, sizeof(form), "csrf=%s&name=Bad&startsAt=nope&endsAt=&itemId=%s&price=99.00&quantity=0&perCustomer=1",
		 seller.csrf, it.code);
	r = client_browse(&seller, "POST", "/seller/sales", form);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "The sale was not scheduled");
	HAS(r, "startsAt");
	HAS(r, "quantity");
	HAS(r, "price");	/* above the item's own */
	hresp_free(r);
	/* A good one (datetime-local, UTC): to the sale's page. */
	iso(s, sizeof(s), now + 86400);
	iso(e, sizeof(e), now + 90000);
	s[16] = e[16] = '\0';
	snprintf(form, sizeof(form), "csrf=%s&name=Test+sale+form&startsAt=%s&endsAt=%s&itemId=%s&price=19.99"
		 "&quantity=5&perCustomer=1", seller.csrf, s, e, it.code);
	r = client_browse(&seller, "POST", "/seller/sales", form);
	ck_assert_msg(r->status == 303, "%ld %.800s", r->status, r->body);
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Location"), "/sales/"));
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT price FROM sale_items WHERE sku_id = %lld", it.sku_id), 1999);
}
END_TEST

START_TEST(ended_sale_is_closed)
{
	struct item it;
	long long now = (long long)time(NULL), id;
	char path[300];
	struct hresp *r;

	item_new(&seller, &it, 5000, 30);
	id = sale_new(&seller, it.code, 2500, 10, 2, now + 3600, now + 7200);
	end_now(id);
	/* The job closes a sale whose time passed before it opened. */
	ck_assert_msg(wait_sale(id, "ended", 5000), "sale %lld not closed", id);
	snprintf(path, sizeof(path), "/p/%s", it.slug);
	r = page_until(NULL, path, "id=\"sale\"", 0);
	ck_assert_int_eq(r->status, 200);
	LACKS(r, "id=\"sale\"");
	HAS(r, "$50.00");
	hresp_free(r);
}
END_TEST

/* Needs the inventory shards (helper I, app/inventory/shards.c): until
 * they are in, inventory_sale_allocate answers E_INTERNAL and the sale
 * never opens. */
START_TEST(live_sale_prices_and_limit)
{
	struct item it;
	struct client buyer = { { 0 }, { 0 } }, guest = { { 0 }, { 0 } };
	long long now = (long long)time(NULL), id, amount, oid;
	char path[300], key[64];
	struct hresp *r;
	json_t *j, *line;

	item_new(&seller, &it, 5000, 30);
	id = sale_new(&seller, it.code, 2500, 6, 1, now + 2, now + 600);
	ck_assert_msg(wait_sale(id, "live", 6000), "sale %lld did not open (needs the inventory shards)", id);
	ck_assert_int_eq(sql_scalarf("SELECT allocated FROM sale_items WHERE sale_id = %lld", id), 6);
	/* The product page: sale price and units left. */
	snprintf(path, sizeof(path), "/p/%s", it.slug);
	r = page_until(NULL, path, "Flash sale now", 1);
	HAS(r, "Flash sale now");
	HAS(r, "6 of 6 left");
	HAS(r, "Ends in ");
	HAS(r, "Add to cart at the sale price");
	LACKS(r, "<!--#");	/* nginx put the fragments in */
	HAS(r, "Sign in");
	hresp_free(r);
	/* Signed in: the same shared copy from nginx's cache, with this
	 * visitor's form (their CSRF token) and header through SSI. */
	ck_assert_int_gt(buyer_new(&buyer, "salelive", NULL, 0), 0);
	for (int k = 0; k < 2; k++) {
		r = client_browse(&buyer, "GET", path, NULL);
		ck_assert_int_eq(r->status, 200);
		HAS(r, "Flash sale now");
		HAS(r, "of 6 left");
		HAS(r, buyer.csrf);
		HAS(r, "Hello, ");
		LACKS(r, "<!--#");
		if (k == 0)
			tidy_ok(r, "a live sale's shared page");
		if (k == 1)
			ck_assert_msg(hresp_header(r, "X-Cache") && !strcmp(hresp_header(r, "X-Cache"), "HIT"),
				      "X-Cache: %s", hresp_header(r, "X-Cache") ? hresp_header(r, "X-Cache") : "(none)");
		hresp_free(r);
	}
	/* A guest's line is priced by the sale and says so. */
	client_session(&guest);
	cart_put(&guest, it.code, 1);
	r = client_req(&guest, "GET", "/api/cart", NULL, 0);
	j = hresp_json(r);
	line = json_array_get(json_object_get(j, "items"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(line, "unitPrice")), 2500);
	ck_assert_int_eq(json_integer_value(json_object_get(line, "regularPrice")), 5000);
	ck_assert(json_is_true(json_object_get(line, "onSale")));
	ck_assert_str_eq(json_string_value(json_object_get(line, "saleNote")), "Flash sale price");
	json_decref(j);
	hresp_free(r);
	r = client_browse(&guest, "GET", "/cart", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Flash sale price");
	HAS(r, "$25.00");
	hresp_free(r);
	/* A signed-in shopper: one unit bought at the sale price... */
	cart_put(&buyer, it.code, 1);
	ck_assert_int_eq(sql_scalarf("SELECT sale_id FROM cart_items ci JOIN users u ON u.id = ci.user_id "
				     "WHERE ci.sku_id = %lld", it.sku_id), id);
	amount = checkout_amount(&buyer);
	snprintf(key, sizeof(key), "sale-%d-1", (int)getpid());
	snprintf(path, sizeof(path), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
		 "\"paymentMethod\":\"pm_card_visa\"}", amount);
	r = post_idem(&buyer, "/api/checkout", path, key, NULL);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	j = hresp_json(r);
	oid = (long long)json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_lines WHERE sale_id = %lld AND unit_price = 2500", id), 1);
	ck_assert_int_eq(sql_scalarf("SELECT units FROM sale_buyers WHERE sale_id = %lld AND buyer LIKE 'u:%%'", id), 1);
	/* Two at once are refused by the cart already... */
	snprintf(path, sizeof(path), "{\"itemId\":\"%s\",\"quantity\":2}", it.code);
	r = client_req(&buyer, "PATCH", "/api/cart", path, 1);
	ck_assert_msg(r->status == 409, "%ld %s", r->status, r->body);
	HAS(r, "at most 1 of");
	hresp_free(r);
	/* ...and a second one is over the limit of one per customer. */
	cart_put(&buyer, it.code, 1);
	amount = checkout_amount(&buyer);
	snprintf(key, sizeof(key), "sale-%d-2", (int)getpid());
	snprintf(path, sizeof(path), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
		 "\"paymentMethod\":\"pm_card_visa\"}", amount);
	r = post_idem(&buyer, "/api/checkout", path, key, NULL);
	ck_assert_msg(r->status == 409, "%ld %s", r->status, r->body);
	HAS(r, "per customer");
	hresp_free(r);
	/* GET /api/sales/{id}: one sold, five left. */
	snprintf(path, sizeof(path), "/api/sales/%lld", id);
	r = http_get_json(path);
	j = hresp_json(r);
	line = json_array_get(json_object_get(j, "items"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(line, "sold")), 1);
	ck_assert_msg(json_integer_value(json_object_get(line, "left")) == 5, "%s", r->body);
	json_decref(j);
	hresp_free(r);
	/* The order cancelled: its unit goes back to the sale and to the
	 * buyer's limit. */
	snprintf(path, sizeof(path), "/api/orders/%lld/cancel", oid);
	r = client_req(&buyer, "POST", path, NULL, 1);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT units FROM sale_buyers WHERE sale_id = %lld AND buyer LIKE 'u:%%'", id), 0);
	snprintf(path, sizeof(path), "/api/sales/%lld", id);
	r = http_get_json(path);
	j = hresp_json(r);
	line = json_array_get(json_object_get(j, "items"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(line, "sold")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(line, "left")), 6);
	json_decref(j);
	hresp_free(r);
	/* A guest's sale line keeps its sale when the guest signs up. */
	ck_assert_int_eq(client_signup(&guest, "Sal Guest", fresh_email("saleguest"), "correct horse battery"), 0);
	r = client_req(&guest, "GET", "/api/cart", NULL, 0);
	j = hresp_json(r);
	line = json_array_get(json_object_get(j, "items"), 0);
	ck_assert_msg(json_is_true(json_object_get(line, "onSale")), "%s", r->body);
	ck_assert_int_eq(json_integer_value(json_object_get(line, "unitPrice")), 2500);
	json_decref(j);
	hresp_free(r);
}
END_TEST

/* A guest's order over the API (email given): the answer. */
static struct hresp *guest_order(struct client *cl, const char *email, int n)
{
	char body[600], key[64];
	struct hresp *r;
	json_t *j;
	long long amount;

	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"email\":\"%s\"}", email);
	r = client_req(cl, "POST", "/api/checkout/quote", body, 1);
	ck_assert_msg(r->status == 200, "quote: %ld %s", r->status, r->body);
	j = hresp_json(r);
	amount = json_integer_value(json_object_get(j, "amount"));
	json_decref(j);
	hresp_free(r);
	snprintf(key, sizeof(key), "saleguest-%d-%d", (int)getpid(), n);
	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"email\":\"%s\","
		 "\"amount\":%lld,\"paymentMethod\":\"pm_card_visa\"}", email, amount);
	return post_idem(cl, "/api/checkout", body, key, NULL);
}

/* Guests count per email address: the same address in another session is
 * the same buyer. Needs the inventory shards too. */
START_TEST(guest_limit_by_email)
{
	struct item it;
	struct client g1 = { { 0 }, { 0 } }, g2 = { { 0 }, { 0 } };
	long long now = (long long)time(NULL), id;
	char email[120];
	struct hresp *r;

	item_new(&seller, &it, 4000, 20);
	id = sale_new(&seller, it.code, 1500, 5, 1, now + 1, now + 600);
	ck_assert_msg(wait_sale(id, "live", 6000), "sale %lld did not open (needs the inventory shards)", id);
	snprintf(email, sizeof(email), "%s", fresh_email("saleg"));
	client_session(&g1);
	cart_put(&g1, it.code, 1);
	r = guest_order(&g1, email, 1);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT units FROM sale_buyers WHERE sale_id = %lld AND buyer = "
				     "CONCAT('e:', SHA2(LOWER('%s'), 256))", id, email), 1);
	/* The same address typed in capitals, in another session. */
	for (char *p = email; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	client_session(&g2);
	cart_put(&g2, it.code, 1);
	r = guest_order(&g2, email, 2);
	ck_assert_msg(r->status == 409, "%ld %s", r->status, r->body);
	HAS(r, "per customer");
	hresp_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sales");
	TCase *t = tcase_create("sales");

	harness_init();
	tcase_set_timeout(t, 60);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, schedule_and_read);
	tcase_add_test(t, bad_sales_are_refused);
	tcase_add_test(t, upcoming_sale_pages);
	tcase_add_test(t, seller_form);
	tcase_add_test(t, ended_sale_is_closed);
	if (!getenv("SHOP_TEST_NO_SHARDS")) {
		tcase_add_test(t, live_sale_prices_and_limit);
		tcase_add_test(t, guest_limit_by_email);
	}
	suite_add_tcase(s, t);
	return run_suite(s);
}
