/* t/http: the seller dashboard and the admin's suspension of a seller
 * (issue 7), against the real stack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>
#include "harness.h"
#include "../../app/http/router.h"

#define PW "correct horse battery"
#define ADMIN_PW "admin password 12345"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.400s", (s), (r)->body)
/* Absent from an answer that came and is no server error (a 500 page lacks
 * everything). */
#define LACKS(r, s) ck_assert_msg((r)->status > 0 && (r)->status < 500 && strstr((r)->body, (s)) == NULL, \
				"status %ld, body must not have %s: %.600s", (r)->status, (s), (r)->body)

static long status_of(struct hresp *r)
{
	long s = r->status;

	hresp_free(r);
	return s;
}

static struct hresp *post_form(struct client *cl, const char *path, const char *fields)
{
	char form[2048];

	snprintf(form, sizeof(form), "csrf=%s&%.1800s", cl->csrf, fields);
	return client_browse(cl, "POST", path, form);
}

static void admin_client(struct client *adm)
{
	char env[256], args[256];
	const char *email = fresh_email("sadmin");

	snprintf(env, sizeof(env), "SHOP_ADMIN_PASSWORD='%s' SHOP_ADMIN_NAME='Ada Admin'", ADMIN_PW);
	snprintf(args, sizeof(args), "create-admin %s", email);
	ck_assert_int_eq(shopctl_run(env, NULL, args), 0);
	memset(adm, 0, sizeof(*adm));
	ck_assert_int_eq(client_signin(adm, email, ADMIN_PW), 0);
}

/* A product of seller sid made in SQL, as the item pages would (one SKU,
 * stock in warehouse 1, a ProductUpdated event); returns its id. */
static long long make_product(long long sid, const char *slug, const char *title,
			      const char *status, int stock)
{
	char q[1024];
	long long pid;

	snprintf(q, sizeof(q), "INSERT INTO products (seller_id, category_id, slug, title, description, "
		 "brand, status, price) SELECT %lld, MIN(id), '%s', '%s', 'A test item.', 'Testbrand', "
		 "'%s', 1234 FROM categories WHERE parent_id IS NOT NULL", sid, slug, title, status);
	ck_assert_int_eq(sql_exec(q), 0);
	snprintf(q, sizeof(q), "SELECT id FROM products WHERE slug = '%s'", slug);
	pid = sql_scalar(q);
	snprintf(q, sizeof(q), "INSERT INTO skus (product_id, code, price) VALUES (%lld, '%s-1', 1234)", pid, slug);
	ck_assert_int_eq(sql_exec(q), 0);
	snprintf(q, sizeof(q), "%s-1", slug);
	set_stock(q, 1, stock, "test_seller_admin: initial stock");
	snprintf(q, sizeof(q), "INSERT INTO outbox (topic, aggregate_id, payload) "
		 "VALUES ('ProductUpdated', %lld, JSON_OBJECT('id', %lld))", pid, pid);
	ck_assert_int_eq(sql_exec(q), 0);
	resync_read_model();
	return pid;
}

/* Polls the search API until a term finds want products (or 5 s pass). */
static int wait_search_total(const char *term, long long want)
{
	char path[256];

	snprintf(path, sizeof(path), "/api/items?term=%s", term);
	for (int i = 0; i < 50; i++) {
		struct hresp *r = http_get_json(path);
		json_t *j = hresp_json(r);
		long long total = j ? json_integer_value(json_object_get(j, "total")) : -1;

		json_decref(j);
		hresp_free(r);
		if (total == want)
			return 1;
		usleep(100000);
	}
	return 0;
}

START_TEST(suspend_and_reinstate)
{
	struct client adm, sel;
	long long sid, p1, p2, p3;
	char slug[64], word[32], path[128], q[512], form[64];
	struct hresp *r;

	admin_client(&adm);
	sid = seller_new(&sel, "suspendee", NULL);
	snprintf(word, sizeof(word), "zorblax%d", (int)getpid());
	snprintf(slug, sizeof(slug), "%s-a", word);
	p1 = make_product(sid, slug, word, "active", 7);
	snprintf(slug, sizeof(slug), "%s-b", word);
	p2 = make_product(sid, slug, word, "active", 0);
	snprintf(slug, sizeof(slug), "%s-c", word);
	p3 = make_product(sid, slug, word, "draft", 3);

	snprintf(path, sizeof(path), "/p/%s-a", word);
	ck_assert(wait_status(path, 200, 5));
	ck_assert(wait_search_total(word, 2));

	/* The admin's list shows the seller with its items. */
	snprintf(path, sizeof(path), "/admin/sellers?q=suspendee");
	r = client_browse(&adm, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Suspend");
	hresp_free(r);

	/* Only an admin may look or act. */
	ck_assert_int_eq(status_of(client_browse(&sel, "GET", "/admin/sellers", NULL)), 403);
	snprintf(path, sizeof(path), "/admin/sellers/%lld", sid);
	ck_assert_int_eq(status_of(post_form(&sel, path, "decision=suspend")), 403);
	/* Bad input changes nothing. */
	ck_assert_int_eq(status_of(post_form(&adm, path, "decision=banish")), 400);
	ck_assert_int_eq(status_of(post_form(&adm, "/admin/sellers/999999999", "decision=suspend")), 404);
	ck_assert_int_eq(status_of(post_form(&adm, "/admin/sellers/x1", "decision=suspend")), 404);
	snprintf(q, sizeof(q), "SELECT status = 'active' FROM sellers WHERE id = %lld", sid);
	ck_assert_int_eq(sql_scalar(q), 1);

	snprintf(form, sizeof(form), "decision=suspend");
	r = post_form(&adm, path, form);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	snprintf(q, sizeof(q), "SELECT status = 'suspended' FROM sellers WHERE id = %lld", sid);
	ck_assert_int_eq(sql_scalar(q), 1);
	snprintf(q, sizeof(q), "SELECT CONCAT(status) FROM products WHERE id IN (%lld, %lld, %lld) "
		 "ORDER BY id", p1, p2, p3);
	snprintf(q, sizeof(q), "SELECT SUM(status = 'suspended') * 10 + SUM(status = 'draft') "
		 "FROM products WHERE seller_id = %lld", sid);
	ck_assert_int_eq(sql_scalar(q), 21);	/* two listed items suspended, the draft kept */
	/* The notice tells the admin what happened. */
	r = client_browse(&adm, "GET", "/admin/sellers?q=suspendee", NULL);
	HAS(r, "2 listings left the storefront");
	HAS(r, "Reinstate");
	hresp_free(r);

	/* Gone from the storefront and from search, through the outbox. */
	snprintf(path, sizeof(path), "/p/%s-a", word);
	ck_assert(wait_status(path, 404, 5));
	ck_assert(wait_search_total(word, 0));
	/* The seller is told on the dashboard. */
	r = client_browse(&sel, "GET", "/seller/", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "This seller account is suspended");
	hresp_free(r);

	/* Suspending again changes nothing. */
	snprintf(path, sizeof(path), "/admin/sellers/%lld", sid);
	ck_assert_int_eq(status_of(post_form(&adm, path, "decision=suspend")), 303);
	ck_assert_int_eq(sql_scalar(q), 21);

	ck_assert_int_eq(status_of(post_form(&adm, path, "decision=reinstate")), 303);
	snprintf(q, sizeof(q), "SELECT SUM(status = 'active') * 10 + SUM(status = 'draft') "
		 "FROM products WHERE seller_id = %lld", sid);
	ck_assert_int_eq(sql_scalar(q), 21);
	snprintf(path, sizeof(path), "/p/%s-a", word);
	ck_assert(wait_status(path, 200, 5));
	ck_assert(wait_search_total(word, 2));
}
END_TEST

START_TEST(dashboard)
{
	struct client sel, shopper;
	long long sid, uid, oid;
	char word[32], slug[64], q[2048];
	struct hresp *r;

	sid = seller_new(&sel, "dash", NULL);
	snprintf(word, sizeof(word), "dashitem%d", (int)getpid());
	snprintf(slug, sizeof(slug), "%s-low", word);
	make_product(sid, slug, "Nearly gone lamp", "active", 3);
	snprintf(slug, sizeof(slug), "%s-out", word);
	make_product(sid, slug, "Sold out chair", "active", 0);
	snprintf(slug, sizeof(slug), "%s-many", word);
	make_product(sid, slug, "Plenty of cups", "active", 50);

	/* A paid order today with two of this seller's lines and one line of
	 * another seller, which must not count. */
	memset(&shopper, 0, sizeof(shopper));
	ck_assert_int_eq(client_signup(&shopper, "Dora Buyer", fresh_email("dashbuyer"), PW), 0);
	uid = sql_scalar("SELECT MAX(id) FROM users");
	snprintf(q, sizeof(q), "INSERT INTO orders (user_id, status, subtotal, shipping, tax, total, "
		 "shipping_method, ship_name, ship_line1, ship_city, ship_country) VALUES "
		 "(%lld, 'confirmed', 6000, 500, 0, 6500, 'standard', 'Dora Buyer', '1 Main St', "
		 "'Springfield', 'US')", uid);
	ck_assert_int_eq(sql_exec(q), 0);
	oid = sql_scalar("SELECT MAX(id) FROM orders");
	snprintf(q, sizeof(q), "INSERT INTO order_lines (order_id, line_no, sku_id, product_id, seller_id, "
		 "code, title, unit_price, quantity, discount, tax) VALUES "
		 "(%lld, 1, 1, 1, %lld, 'x1', 'Lamp', 1000, 2, 0, 100), "
		 "(%lld, 2, 1, 1, %lld, 'x2', 'Cup', 1500, 1, 500, 0), "
		 "(%lld, 3, 1, 1, 1, 'demo', 'Other seller', 2500, 1, 0, 0)", oid, sid, oid, sid, oid);
	ck_assert_int_eq(sql_exec(q), 0);

	r = client_browse(&sel, "GET", "/seller/", NULL);
	ck_assert_int_eq(r->status, 200);
	/* 2 x 10.00 + 1.00 tax + 15.00 - 5.00 = 31.00, today and this week. */
	HAS(r, "<th scope=\"row\">Today</th><td>1</td><td>$31.00</td>");
	HAS(r, "Waiting to ship (1)");
	snprintf(q, sizeof(q), "/seller/orders/%lld", oid);
	HAS(r, q);
	HAS(r, "Nearly gone lamp</a>: 3 left");
	HAS(r, "Sold out chair");
	LACKS(r, "Plenty of cups</a>:");
	HAS(r, "3 items listed, 0 drafts, 1 low in stock");
	hresp_free(r);

	/* Another seller's dashboard knows nothing of these. */
	{
		struct client other;

		seller_new(&other, "dashother", NULL);
		r = client_browse(&other, "GET", "/seller/", NULL);
		ck_assert_int_eq(r->status, 200);
		HAS(r, "<th scope=\"row\">Today</th><td>0</td><td>$0.00</td>");
		HAS(r, "Nothing is waiting to ship.");
		LACKS(r, "Nearly gone lamp");
		hresp_free(r);
	}
	/* Shoppers are not sellers. */
	ck_assert_int_eq(status_of(client_browse(&shopper, "GET", "/seller/", NULL)), 403);
}
END_TEST

/* ---- seller isolation, derived from the route table ---- */

/* A 1x1 PNG: a real image, so upload routes get past their type checks and
 * answer for the item itself. */
static const unsigned char png1[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
	0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
	0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
	0x4e, 0x44, 0xae, 0x42, 0x60, 0x82
};

static size_t discard(char *p, size_t sz, size_t n, void *u)
{
	(void)p; (void)u;
	return sz * n;
}

/* One request with a body of any bytes; answers the status. */
static long send_raw(struct client *cl, const char *method, const char *path, const char *ctype,
		     const void *body, size_t len, int api)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hd = NULL;
	char url[512], line[400];
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", base_url(), path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	if (strcmp(method, "GET")) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	snprintf(line, sizeof(line), "Cookie: %s", cl->cookie);
	hd = curl_slist_append(hd, line);
	snprintf(line, sizeof(line), "X-CSRF-Token: %s", cl->csrf);
	hd = curl_slist_append(hd, line);
	hd = curl_slist_append(hd, api ? "Accept: application/json" : "Accept: text/html");
	if (ctype) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		hd = curl_slist_append(hd, line);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
	return status;
}

/* A value each validator accepts, so a request reaches its handler. */
static const char *sample(const struct key *k, char *buf, size_t n)
{
	size_t len = k->min > 0 ? (size_t)k->min : 1;

	if (len >= n)
		len = n - 1;
	if (k->fn == v_int || k->fn == v_money) {
		snprintf(buf, n, "%lld", (long long)(k->min > 0 ? k->min : 1));
	} else if (k->fn == v_bool) {
		snprintf(buf, n, "1");
	} else if (k->fn == v_sort) {
		snprintf(buf, n, "newest");
	} else {	/* v_string, v_slug, v_token: letters are valid for all */
		memset(buf, 'a', len);
		buf[len] = '\0';
	}
	return buf;
}

struct owned { long long item, image, import, order, shipment, review, ret, statement; char sku[80]; };

/* The id a {var} of a seller route stands for, or -1 when the test does not
 * know the route (a new seller route must be added here, on purpose). */
static long long resolve(const char *pattern, const char *var, const struct owned *o)
{
	if (!strcmp(var, "imageId"))
		return o->image;
	if (!strcmp(var, "sid"))
		return o->shipment;
	if (strcmp(var, "id"))
		return -1;
	if (!strncmp(pattern, "/seller/items/", 14) || !strncmp(pattern, "/api/items/", 11) ||
	    !strncmp(pattern, "/api/seller/items/", 18))
		return o->item;
	if (!strncmp(pattern, "/seller/import/", 15) || !strncmp(pattern, "/api/imports/", 13))
		return o->import;
	if (!strncmp(pattern, "/seller/orders/", 15) || !strncmp(pattern, "/api/seller/orders/", 19))
		return o->order;
	if (!strncmp(pattern, "/reviews/", 9) || !strncmp(pattern, "/api/reviews/", 13))
		return o->review;	/* a shopper's review of A's item: only A replies */
	if (!strncmp(pattern, "/seller/returns/", 16) || !strncmp(pattern, "/api/seller/returns/", 20))
		return o->ret;		/* a return of A's lines */
	if (!strncmp(pattern, "/seller/payouts/", 16) || !strncmp(pattern, "/api/seller/payouts/", 20))
		return o->statement;	/* A's payout statement */
	return -1;
}

/* Seller A's rows, summed into one number that any change moves. */
static long long fingerprint(long long sid)
{
	char q[4000];

	snprintf(q, sizeof(q),
		"SELECT (SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', id, status, title, price, stock_total, "
		"  images, COALESCE(thumbnail, ''), attributes, updated_at))), 0) FROM products WHERE seller_id = %lld)"
		" + (SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', s.id, s.code, s.price, s.status, s.options, "
		"  s.weight_grams))), 0) FROM skus s JOIN products p ON p.id = s.product_id WHERE p.seller_id = %lld)"
		" + (SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', i.sku_id, i.warehouse_id, i.available, i.reserved, "
		"  i.committed))), 0) FROM inventory i JOIN skus s ON s.id = i.sku_id "
		"  JOIN products p ON p.id = s.product_id WHERE p.seller_id = %lld)"
		" + (SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', id, alt, position))), 0) FROM product_images "
		"  WHERE seller_id = %lld)"
		" + (SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', id, state))), 0) FROM imports WHERE seller_id = %lld)"
		" + (SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', order_id, line_no, state, refunded_qty))), 0) "
		"  FROM order_lines WHERE seller_id = %lld)"
		" + (SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', id, status, tracking))), 0) FROM shipments "
		"  WHERE seller_id = %lld)"
		" + (SELECT COUNT(*) FROM stock_movements WHERE seller_id = %lld)"
		" + (SELECT COUNT(*) FROM refunds WHERE seller_id = %lld)"
		" + (SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', r.id, r.status, COALESCE(r.reply_body, '')))), 0) "
		"  FROM reviews r JOIN products p ON p.id = r.product_id WHERE p.seller_id = %lld)"
		" + (SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', id, status, updated_at, COALESCE(label, ''), "
		"  COALESCE(reject_reason, '')))), 0) FROM returns WHERE seller_id = %lld)"
		" + (SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', id, status, reference))), 0) FROM payout_statements "
		"  WHERE seller_id = %lld)"
		" + (SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', x.sku_id, x.currency, x.price))), 0) FROM sku_prices x "
		"  JOIN skus s ON s.id = x.sku_id JOIN products p ON p.id = s.product_id WHERE p.seller_id = %lld)",
		sid, sid, sid, sid, sid, sid, sid, sid, sid, sid, sid, sid, sid);
	return sql_scalar(q);
}

START_TEST(isolation_on_every_seller_route)
{
	static const struct { unsigned m; const char *s; } methods[] = {
		{ M_GET, "GET" }, { M_POST, "POST" }, { M_PUT, "PUT" }, { M_PATCH, "PATCH" },
		{ M_DELETE, "DELETE" },
	};
	struct client a, b;
	struct owned o;
	long long sid_a, before, uid;
	char slug[64], q[1024], csv[256];
	int checked = 0;
	char fails[4096] = "";
	size_t fn = 0;

	sid_a = seller_new(&a, "isoa", NULL);
	seller_new(&b, "isob", NULL);
	snprintf(slug, sizeof(slug), "iso-item-%d", (int)getpid());
	o.item = make_product(sid_a, slug, "Isolated lamp", "active", 5);
	snprintf(q, sizeof(q), "INSERT INTO product_images (product_id, seller_id, hash, width, height, alt, position) "
		 "VALUES (%lld, %lld, REPEAT('ab', 32), 1, 1, 'A lamp', 1)", o.item, sid_a);
	ck_assert_int_eq(sql_exec(q), 0);
	o.image = sql_scalar("SELECT MAX(id) FROM product_images");
	/* An import of A's, through the API. */
	{
		char cookie[300], token[200];
		const char *h[] = { "Content-Type: text/csv", cookie, token, "Accept: application/json", NULL };
		struct hresp *r;

		snprintf(cookie, sizeof(cookie), "Cookie: %s", a.cookie);
		snprintf(token, sizeof(token), "X-CSRF-Token: %s", a.csrf);
		snprintf(csv, sizeof(csv), "sku,title,category,price,quantity\r\nISO%d-1,Iso Cup,smartphones,2.00,1\r\n",
			 (int)getpid());
		r = http("POST", "/api/imports", csv, h);
		ck_assert_msg(r->status == 202, "%ld %s", r->status, r->body);
		hresp_free(r);
		snprintf(q, sizeof(q), "SELECT MAX(id) FROM imports WHERE seller_id = %lld", sid_a);
		o.import = sql_scalar(q);
	}
	/* A paid order with a line of A's and a shipment of it. */
	{
		struct client buyer = {0};

		ck_assert_int_eq(client_signup(&buyer, "Iso Buyer", fresh_email("isobuyer"), PW), 0);
		uid = sql_scalar("SELECT MAX(id) FROM users");
		snprintf(q, sizeof(q), "INSERT INTO orders (user_id, status, subtotal, shipping, tax, total, "
			 "shipping_method, ship_name, ship_line1, ship_city, ship_country) VALUES "
			 "(%lld, 'fulfilling', 1234, 0, 0, 1234, 'standard', 'Iso Buyer', '1 Main St', 'Springfield', 'US')",
			 uid);
		ck_assert_int_eq(sql_exec(q), 0);
		o.order = sql_scalar("SELECT MAX(id) FROM orders");
		snprintf(q, sizeof(q), "INSERT INTO shipments (order_id, seller_id, carrier, tracking, status, amount) "
			 "VALUES (%lld, %lld, 'UPS', 'ISO%d', 'shipped', 1234)", o.order, sid_a, (int)getpid());
		ck_assert_int_eq(sql_exec(q), 0);
		o.shipment = sql_scalar("SELECT MAX(id) FROM shipments");
		snprintf(q, sizeof(q), "INSERT INTO order_lines (order_id, line_no, sku_id, product_id, seller_id, code, "
			 "title, unit_price, quantity, state, shipment_id) SELECT %lld, 1, s.id, %lld, %lld, s.code, "
			 "'Isolated lamp', 1234, 1, 'shipped', %lld FROM skus s WHERE s.product_id = %lld",
			 o.order, o.item, sid_a, o.shipment, o.item);
		ck_assert_int_eq(sql_exec(q), 0);
		/* The buyer's review of it, which only A may answer. */
		snprintf(q, sizeof(q), "INSERT INTO reviews (product_id, user_id, rating, title, comment, reviewer_name, "
			 "status, verified, created_at) VALUES (%lld, %lld, 4, 'Bright', 'A good lamp.', 'Iso B.', "
			 "'published', 1, NOW(3))", o.item, uid);
		ck_assert_int_eq(sql_exec(q), 0);
		o.review = sql_scalar("SELECT MAX(id) FROM reviews");
		/* The buyer's return of A's line (app/returns), A's payout
		 * statement (app/payouts) and A's SKU (its prices, app/fx). */
		snprintf(q, sizeof(q), "INSERT INTO returns (order_id, user_id, seller_id, status, reason) VALUES "
			 "(%lld, %lld, %lld, 'requested', 'Isolation test')", o.order, uid, sid_a);
		ck_assert_int_eq(sql_exec(q), 0);
		o.ret = sql_scalar("SELECT MAX(id) FROM returns");
		snprintf(q, sizeof(q), "INSERT INTO return_lines (return_id, line_no, quantity) VALUES (%lld, 1, 1)", o.ret);
		ck_assert_int_eq(sql_exec(q), 0);
		snprintf(q, sizeof(q), "INSERT INTO payout_statements (seller_id, period_start, period_end, currency, "
			 "entries, gross, commission, net, opening, closing, payout, carry) VALUES (%lld, "
			 "NOW(3) - INTERVAL 2 DAY, NOW(3) - INTERVAL 1 DAY, 'USD', 0, 0, 0, 0, 0, 0, 0, 0)", sid_a);
		ck_assert_int_eq(sql_exec(q), 0);
		o.statement = sql_scalar("SELECT MAX(id) FROM payout_statements");
		snprintf(o.sku, sizeof(o.sku), "%s-1", slug);	/* make_product's code */
		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM skus WHERE code = '%s' AND product_id = %lld", o.sku, o.item);
		ck_assert_int_eq(sql_scalar(q), 1);
	}
	/* Let the import finish, so its rows stop changing by themselves. */
	for (int i = 0; i < 100; i++) {
		snprintf(q, sizeof(q), "SELECT state IN ('done', 'failed') FROM imports WHERE id = %lld", o.import);
		if (sql_scalar(q) == 1)
			break;
		usleep(100000);
	}
	before = fingerprint(sid_a);

	for (size_t i = 0; i < nroutes; i++) {
		const struct route *rt = &routes[i];
		const char *pat = rt->pattern;
		char path[256], body[2048], buf[256];
		size_t pn = 0;
		int known = 1;

		/* Every seller address carries the role flag. */
		if (!strncmp(pat, "/seller", 7) || !strncmp(pat, "/api/seller/", 12) || !strncmp(pat, "/api/imports", 12))
			ck_assert_msg(rt->flags & RF_SELLER, "%s lacks RF_SELLER", pat);
		if (!(rt->flags & RF_SELLER) || !strchr(pat, '{'))
			continue;
		/* The path with A's ids. */
		for (const char *p = pat; *p && pn < sizeof(path) - 32;) {
			if (*p == '{') {
				const char *e = strchr(p, '}');
				char var[32];
				long long id;

				snprintf(var, sizeof(var), "%.*s", (int)(e - p - 1), p + 1);
				if (!strcmp(var, "sku")) {	/* a SKU's code (app/fx's prices) */
					pn += (size_t)snprintf(path + pn, sizeof(path) - pn, "%s", o.sku);
					p = e + 1;
					continue;
				}
				id = resolve(pat, var, &o);
				ck_assert_msg(id > 0, "route %s: the test does not know what {%s} is; add it to resolve()",
					      pat, var);
				known = id > 0;
				pn += (size_t)snprintf(path + pn, sizeof(path) - pn, "%lld", id);
				p = e + 1;
			} else {
				path[pn++] = *p++;
			}
		}
		path[pn] = '\0';
		if (!known)
			continue;
		for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
			int api = (rt->flags & RF_JSON) != 0;
			long st;
			size_t bn = 0;

			if (!(rt->methods & methods[m].m))
				continue;
			body[0] = '\0';
			if (methods[m].m == M_GET) {
				st = send_raw(&b, "GET", path, NULL, NULL, 0, api);
			} else if (rt->flags & RF_UPLOAD) {
				/* A multipart form with the token, every declared
				 * field and a real image as "image" and "file". */
				static const char *bd = "----isoBoundary";
				char mp[4096];
				size_t mn = 0;

				mn += (size_t)snprintf(mp + mn, sizeof(mp) - mn,
					"--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n", bd, b.csrf);
				for (const struct key *k = rt->keys; k && k->name; k++)
					mn += (size_t)snprintf(mp + mn, sizeof(mp) - mn,
						"--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n",
						bd, k->name, sample(k, buf, sizeof(buf)));
				for (int f = 0; f < 2; f++) {
					mn += (size_t)snprintf(mp + mn, sizeof(mp) - mn,
						"--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"a.png\"\r\n"
						"Content-Type: image/png\r\n\r\n", bd, f ? "file" : "image");
					memcpy(mp + mn, png1, sizeof(png1));
					mn += sizeof(png1);
					mn += (size_t)snprintf(mp + mn, sizeof(mp) - mn, "\r\n");
				}
				mn += (size_t)snprintf(mp + mn, sizeof(mp) - mn, "--%s--\r\n", bd);
				snprintf(buf, sizeof(buf), "multipart/form-data; boundary=%s", bd);
				st = send_raw(&b, methods[m].s, path, buf, mp, mn, api);
			} else if (api) {
				bn += (size_t)snprintf(body + bn, sizeof(body) - bn, "{");
				for (const struct key *k = rt->keys; k && k->name; k++) {
					int num = k->fn == v_int || k->fn == v_money;
					int boolean = k->fn == v_bool;

					sample(k, buf, sizeof(buf));
					bn += (size_t)snprintf(body + bn, sizeof(body) - bn, "%s\"%s\": %s%s%s",
						bn > 1 ? ", " : "", k->name, num || boolean ? "" : "\"",
						boolean ? "true" : buf, num || boolean ? "" : "\"");
				}
				snprintf(body + bn, sizeof(body) - bn, "}");
				st = send_raw(&b, methods[m].s, path, "application/json", body, strlen(body), 1);
			} else {
				bn += (size_t)snprintf(body + bn, sizeof(body) - bn, "csrf=%s", b.csrf);
				for (const struct key *k = rt->keys; k && k->name; k++)
					bn += (size_t)snprintf(body + bn, sizeof(body) - bn, "&%s=%s", k->name,
							       sample(k, buf, sizeof(buf)));
				st = send_raw(&b, methods[m].s, path, "application/x-www-form-urlencoded",
					      body, strlen(body), 0);
			}
			if (st != 404 && fn < sizeof(fails) - 200)
				fn += (size_t)snprintf(fails + fn, sizeof(fails) - fn, " %s %s: %ld;",
						       methods[m].s, path, st);
			checked++;
		}
	}
	ck_assert_msg(fn == 0, "seller B was not answered 404 on seller A's resources:%s", fails);
	/* Items, images, stock, imports and orders all have such routes. */
	ck_assert_int_ge(checked, 20);
	ck_assert_int_eq(fingerprint(sid_a), before);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-seller-admin");
	TCase *tc = tcase_create("seller-admin");

	harness_init();
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, clear_ip_throttles, NULL);
	tcase_add_test(tc, suspend_and_reinstate);
	tcase_add_test(tc, dashboard);
	tcase_add_test(tc, isolation_on_every_seller_route);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
