/* t/http: the seller dashboard and the admin's suspension of a seller
 * (issue 7), against the real stack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

#define PW "correct horse battery"
#define ADMIN_PW "admin password 12345"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.400s", (s), (r)->body)
#define LACKS(r, s) ck_assert_msg(strstr((r)->body, (s)) == NULL, "body has %s", (s))

static int shopctl(const char *env, const char *args)
{
	char bin[2048], line[4096];
	int st;

	if (getenv("SHOP_BIN") && *getenv("SHOP_BIN"))
		snprintf(bin, sizeof(bin), "%s/shopctl", getenv("SHOP_BIN"));
	else
		snprintf(bin, sizeof(bin), "%s/bin/shopctl", getenv("SHOP_ROOT") ? getenv("SHOP_ROOT") : ".");
	snprintf(line, sizeof(line), "%s %s %s >/dev/null 2>&1 </dev/null", env ? env : "", bin, args);
	st = system(line);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

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
	ck_assert_int_eq(shopctl(env, args), 0);
	memset(adm, 0, sizeof(*adm));
	ck_assert_int_eq(client_signin(adm, email, ADMIN_PW), 0);
}

/* A new seller, signed in; returns its sellers.id. */
static long long seller_client(struct client *cl, const char *tag)
{
	char email[128], args[256], q[512];

	snprintf(email, sizeof(email), "%s", fresh_email(tag));
	memset(cl, 0, sizeof(*cl));
	ck_assert_int_eq(client_signup(cl, "Sam Seller", email, PW), 0);
	snprintf(args, sizeof(args), "grant %s seller", email);
	ck_assert_int_eq(shopctl(NULL, args), 0);
	snprintf(q, sizeof(q), "SELECT s.id FROM sellers s JOIN users u ON u.id = s.user_id "
		 "WHERE u.email = '%s'", email);
	return sql_scalar(q);
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
	snprintf(q, sizeof(q), "INSERT INTO inventory (sku_id, warehouse_id, available) "
		 "SELECT id, 1, %d FROM skus WHERE code = '%s-1'", stock, slug);
	ck_assert_int_eq(sql_exec(q), 0);
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
	sid = seller_client(&sel, "suspendee");
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

	sid = seller_client(&sel, "dash");
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

		seller_client(&other, "dashother");
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

int main(void)
{
	Suite *s = suite_create("http-seller-admin");
	TCase *tc = tcase_create("seller-admin");

	harness_init();
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, clear_ip_throttles, NULL);
	tcase_add_test(tc, suspend_and_reinstate);
	tcase_add_test(tc, dashboard);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
