/* t/http: admin reports (issue 19) on the real stack: the numbers of sales
 * by day, category and seller equal SQL sums over orders_all and
 * order_lines_all (an archived order counts); product views, adds to cart
 * and searches (with and without results) counted once through Redis and
 * `shopctl reports flush`; the page's SVG charts escape their labels and
 * carry role="img" and a title; CSV exports (every report and the orders)
 * with formula cells guarded; a bad range is a 422 naming the field; only
 * admins. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "harness.h"

#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.2000s", (s), (r)->body)
#define LACKS(r, s) ck_assert_msg(strstr((r)->body, (s)) == NULL, "body has %s", (s))

static struct client admin;
static char today[16];

static void setup(void)
{
	char email[128], args[300];
	time_t now = time(NULL);
	struct tm tm;

	clear_ip_throttles();
	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	snprintf(email, sizeof(email), "%s", fresh_email("rptadm"));
	memset(&admin, 0, sizeof(admin));
	ck_assert_int_eq(client_signup(&admin, "Ada Admin", email, "correct horse battery"), 0);
	snprintf(args, sizeof(args), "grant %s admin", email);
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
	ck_assert_int_eq(client_session(&admin), 0);
}

/* A new seller (display name given) with an item of its own in the
 * category of the demo's prefix* products (harness seller_item_like); its
 * product id and SKU code. */
static long long seller_with(struct client *cl, const char *tag, const char *name, const char *prefix, char *code,
			     size_t n, long long *pid)
{
	long long sid = seller_item_like(cl, tag, prefix, code, n, pid);

	sql_execf("UPDATE sellers SET display_name = '%s' WHERE id = %lld", name, sid);
	return sid;
}

/* A paid order of q units by a new shopper whose address name is name. */
static long long paid_order(const char *code, int q, const char *name)
{
	static int k;
	struct client buyer;
	char body[800], key[80];
	struct hresp *r;
	json_t *j;
	long long amount, oid;

	buyer_new(&buyer, "rptbuyer", NULL, 0);
	cart_put(&buyer, code, q);
	amount = checkout_amount(&buyer);
	snprintf(body, sizeof(body), "{\"shippingAddress\":{\"name\":\"%s\",\"line1\":\"1 Main St\",\"city\":\"Austin\","
		 "\"region\":\"TX\",\"postalCode\":\"78701\",\"country\":\"US\"},\"shippingMethod\":\"standard\","
		 "\"amount\":%lld,\"paymentMethod\":\"pm_card_visa\"}", name, amount);
	snprintf(key, sizeof(key), "rp-%d-%d-%u", (int)getpid(), ++k, randombytes_random());
	r = post_idem(&buyer, "/api/checkout", body, key, NULL);
	ck_assert_msg(r->status == 201, "checkout %ld %s", r->status, r->body);
	j = hresp_json(r);
	oid = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	hresp_free(r);
	return oid;
}

static json_t *reports_json(const char *query)
{
	char path[200];
	struct hresp *r;
	json_t *j;

	snprintf(path, sizeof(path), "/api/admin/reports%s", query);
	r = client_req(&admin, "GET", path, NULL, 0);
	ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	return j;
}

/* The row of list whose member key equals id. */
static json_t *row_with(json_t *list, const char *key, long long id)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (json_integer_value(json_object_get(json_array_get(list, i), key)) == id)
			return json_array_get(list, i);
	return NULL;
}

#define PAID "status IN ('confirmed','fulfilling','shipped','delivered','returned','refunded')"

/* A sum of order amounts in dollars, as the reports give it: each
 * (currency, rate) group's sum converted back at the order's rate
 * (app/fx/fx.h fx_to_shop: yen and the other currencies without a minor
 * unit times 100), since test_fx's orders in euros and yen are of today
 * too. inner: "SELECT o.currency, o.fx_rate, SUM(...) t FROM ... GROUP BY
 * o.currency, o.fx_rate". */
#define IN_DOLLARS(inner) \
	"SELECT COALESCE(SUM(CASE WHEN g.currency = 'USD' THEN g.t ELSE ROUND(g.t / g.fx_rate * " \
	"IF(g.currency IN ('JPY', 'KRW', 'ISK', 'CLP', 'VND'), 100, 1)) END), 0) FROM (" inner ") g"

START_TEST(numbers_equal_sql_sums)
{
	struct client sel;
	char code[64], q[100];
	long long pid, sid = seller_with(&sel, "rptsa", "Report Seller", "SKI-", code, sizeof(code), &pid), cat;
	long long arch = 900000000000LL + getpid();
	json_t *j, *row;

	paid_order(code, 2, "Ann Buyer");
	paid_order(code, 1, "Ann Buyer");
	cat = sql_scalarf("SELECT category_id FROM products WHERE id = %lld", pid);
	/* An archived order of the seller, today: it counts too. */
	sql_execf("INSERT INTO orders_archive (id, user_id, status, currency, subtotal, shipping, tax, discount, total, "
		  "shipping_method, ship_name, ship_line1, ship_city, ship_country, created_at) SELECT %lld, MIN(id), "
		  "'delivered', 'USD', 10000, 500, 0, 0, 10500, 'standard', 'Old Buyer', '1 Old St', 'Austin', 'US', "
		  "NOW(3) FROM users", arch);
	sql_execf("INSERT INTO order_lines_archive (order_id, line_no, sku_id, product_id, seller_id, code, title, "
		  "unit_price, quantity, discount, tax, state) SELECT %lld, 1, id, product_id, %lld, code, 'Old line', "
		  "5000, 2, 0, 0, 'delivered' FROM skus WHERE code = '%s'", arch, sid, code);

	snprintf(q, sizeof(q), "?from=%s&to=%s", today, today);
	j = reports_json(q);
	ck_assert_str_eq(json_string_value(json_object_get(j, "from")), today);
	/* By day: today's row is every paid order placed today, hot and archived. */
	row = json_array_get(json_object_get(j, "salesByDay"), json_array_size(json_object_get(j, "salesByDay")) - 1);
	ck_assert_str_eq(json_string_value(json_object_get(row, "day")), today);
	ck_assert_int_eq(json_integer_value(json_object_get(row, "orders")),
			 sql_scalar("SELECT COUNT(*) FROM orders_all WHERE " PAID " AND created_at >= CURDATE()"));
	ck_assert_int_eq(json_integer_value(json_object_get(row, "amount")),
			 sql_scalar(IN_DOLLARS("SELECT o.currency, o.fx_rate, SUM(o.total) t FROM orders_all o WHERE o." PAID
					       " AND o.created_at >= CURDATE() GROUP BY o.currency, o.fx_rate")));
	ck_assert_int_eq(json_integer_value(json_object_get(row, "units")),
			 sql_scalar("SELECT SUM(l.quantity) FROM orders_all o JOIN order_lines_all l ON l.order_id = o.id "
				    "WHERE o." PAID " AND o.created_at >= CURDATE()"));
	/* By seller: ours, exactly its three orders' lines. */
	row = row_with(json_object_get(j, "salesBySeller"), "id", sid);
	ck_assert_ptr_nonnull(row);
	ck_assert_str_eq(json_string_value(json_object_get(row, "name")), "Report Seller");
	ck_assert_int_eq(json_integer_value(json_object_get(row, "orders")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(row, "units")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(row, "amount")),
			 sql_scalarf(IN_DOLLARS("SELECT o.currency, o.fx_rate, SUM(l.unit_price * l.quantity - l.discount) t "
						"FROM order_lines_all l JOIN orders_all o ON o.id = l.order_id WHERE "
						"l.seller_id = %lld AND o." PAID " GROUP BY o.currency, o.fx_rate"), sid));
	/* By category: the product's category, every seller in it. */
	row = row_with(json_object_get(j, "salesByCategory"), "id", cat);
	ck_assert_ptr_nonnull(row);
	ck_assert_int_eq(json_integer_value(json_object_get(row, "amount")),
			 sql_scalarf(IN_DOLLARS("SELECT o.currency, o.fx_rate, SUM(l.unit_price * l.quantity - l.discount) t "
						"FROM order_lines_all l JOIN orders_all o ON o.id = l.order_id JOIN products p "
						"ON p.id = l.product_id WHERE p.category_id = %lld AND o." PAID
						" AND o.created_at >= CURDATE() GROUP BY o.currency, o.fx_rate"), cat));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "funnel"), "orders")),
			 sql_scalar("SELECT COUNT(*) FROM orders_all WHERE " PAID " AND created_at >= CURDATE()"));
	json_decref(j);
	/* A range without days in it has no rows. */
	j = reports_json("?from=2001-01-01&to=2001-01-31");
	ck_assert_int_eq(json_array_size(json_object_get(j, "salesByDay")), 0);
	json_decref(j);
	sql_execf("DELETE FROM order_lines_archive WHERE order_id = %lld", arch);
	sql_execf("DELETE FROM orders_archive WHERE id = %lld", arch);
}
END_TEST

START_TEST(funnel_and_searches_counted_once)
{
	struct client shopper;
	char path[200], body[200], q[100];
	long long pid = sql_scalar("SELECT MIN(p.id) FROM products p JOIN skus s ON s.product_id = p.id WHERE "
				   "p.status = 'active' AND s.status = 'active' AND p.stock_total > 0");
	long long views, carts, empty;
	struct hresp *r;
	json_t *j, *list;
	char nothing[64];

	ck_assert_int_eq(shopctl_run(NULL, NULL, "reports flush"), 0);
	views = sql_scalar("SELECT COALESCE(SUM(n), 0) FROM report_counts WHERE kind = 'view'");
	carts = sql_scalar("SELECT COALESCE(SUM(n), 0) FROM report_counts WHERE kind = 'cart'");
	buyer_new(&shopper, "rptshop", NULL, 0);
	{
		struct hresp *it;
		json_t *ij;

		snprintf(path, sizeof(path), "/api/items/%lld", pid);
		it = http_get_json(path);
		ck_assert_int_eq(it->status, 200);
		ij = hresp_json(it);
		snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":1}",
			 json_string_value(json_object_get(ij, "sku")));
		json_decref(ij);
		hresp_free(it);
	}
	{
		char *slug = NULL;
		struct hresp *it;

		/* The product's page by its slug (read through the API's url). */
		snprintf(path, sizeof(path), "/api/items/%lld", pid);
		it = http_get_json(path);
		{
			json_t *ij = hresp_json(it);
			const char *u = json_string_value(json_object_get(ij, "url"));

			slug = u ? strdup(u) : NULL;
			json_decref(ij);
		}
		hresp_free(it);
		ck_assert_ptr_nonnull(slug);
		snprintf(path, sizeof(path), "%s", strstr(slug, "/p/") ? strstr(slug, "/p/") : slug);
		free(slug);
	}
	for (int i = 0; i < 3; i++) {
		r = client_browse(&shopper, "GET", path, NULL);
		ck_assert_int_eq(r->status, 200);
		hresp_free(r);
	}
	r = client_req(&shopper, "POST", "/api/cart/items", body, 1);
	ck_assert_msg(r->status == 200 || r->status == 201, "add: %ld %s", r->status, r->body);
	hresp_free(r);
	/* A search that finds nothing, twice, and one that finds something. */
	snprintf(nothing, sizeof(nothing), "zqxwv%u", randombytes_random() % 100000);
	snprintf(q, sizeof(q), "/api/items?term=%s", nothing);
	for (int i = 0; i < 2; i++) {
		r = client_req(&shopper, "GET", q, NULL, 0);
		ck_assert_int_eq(r->status, 200);
		hresp_free(r);
	}
	ck_assert_int_eq(shopctl_run(NULL, NULL, "reports flush"), 0);
	ck_assert_int_eq(sql_scalar("SELECT COALESCE(SUM(n), 0) FROM report_counts WHERE kind = 'view'"), views + 3);
	ck_assert_int_eq(sql_scalar("SELECT COALESCE(SUM(n), 0) FROM report_counts WHERE kind = 'cart'"), carts + 1);
	empty = sql_scalarf("SELECT COALESCE(SUM(n), 0) FROM report_counts WHERE kind = 'search_empty' AND k = '%s'", nothing);
	ck_assert_int_eq(empty, 2);
	/* A flush that died after its commit, before dropping the hash it
	 * had set aside: its token is recorded, so the next flush only drops
	 * it (the views' 4). One that died before its commit is added once
	 * (the adds' 2). And a flush with nothing to move adds nothing. */
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "HSET rpt:flush:%s:view '' 4", today);
		redis_cmd(cmd);
		snprintf(cmd, sizeof(cmd), "SET rpt:flush:%s:view:token test-applied-%d", today, (int)getpid());
		redis_cmd(cmd);
		sql_execf("INSERT INTO report_flushes (token) VALUES ('test-applied-%d')", (int)getpid());
		snprintf(cmd, sizeof(cmd), "HSET rpt:flush:%s:cart '' 2", today);
		redis_cmd(cmd);
		snprintf(cmd, sizeof(cmd), "SET rpt:flush:%s:cart:token test-unapplied-%d", today, (int)getpid());
		redis_cmd(cmd);
		ck_assert_int_eq(shopctl_run(NULL, NULL, "reports flush"), 0);
		ck_assert_int_eq(sql_scalar("SELECT COALESCE(SUM(n), 0) FROM report_counts WHERE kind = 'view'"), views + 3);
		ck_assert_int_eq(sql_scalar("SELECT COALESCE(SUM(n), 0) FROM report_counts WHERE kind = 'cart'"), carts + 3);
		ck_assert_int_eq(shopctl_run(NULL, NULL, "reports flush"), 0);
		ck_assert_int_eq(sql_scalar("SELECT COALESCE(SUM(n), 0) FROM report_counts WHERE kind = 'view'"), views + 3);
		ck_assert_int_eq(sql_scalar("SELECT COALESCE(SUM(n), 0) FROM report_counts WHERE kind = 'cart'"), carts + 3);
	}

	snprintf(q, sizeof(q), "?from=%s&to=%s", today, today);
	j = reports_json(q);
	ck_assert_int_ge(json_integer_value(json_object_get(json_object_get(j, "funnel"), "views")), 3);
	list = json_object_get(j, "searchesWithoutResults");
	{
		int found = 0;

		for (size_t i = 0; i < json_array_size(list); i++)
			if (!strcmp(json_string_value(json_object_get(json_array_get(list, i), "query")), nothing))
				found = json_integer_value(json_object_get(json_array_get(list, i), "count")) == 2;
		ck_assert_msg(found, "%s not among the searches without results", nothing);
	}
	json_decref(j);
}
END_TEST

START_TEST(page_svg_csv_escaped)
{
	struct client sel, shopper;
	char code[64], path[300];
	long long pid, oid;
	struct hresp *r;

	seller_with(&sel, "rptsx", "=1+<b>x</b> & co", "TAB-", code, sizeof(code), &pid);
	oid = paid_order(code, 1, "=2+5 Ann");

	/* The page: charts are images with a title, labels escaped. */
	snprintf(path, sizeof(path), "/admin/reports?from=%s&to=%s", today, today);
	r = client_browse(&admin, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\"");
	HAS(r, "role=\"img\"");
	HAS(r, "<title id=\"sales-by-seller-t\">Sales by seller</title>");
	HAS(r, "=1+&lt;b&gt;x&lt;/b&gt; &amp; co");
	LACKS(r, "<b>x</b>");
	HAS(r, "Conversion funnel");
	HAS(r, "/admin/reports/export?report&#61;orders");
	tidy_ok(r, "/admin/reports");
	hresp_free(r);

	/* CSV: the seller report and the orders, formula cells as text. */
	snprintf(path, sizeof(path), "/admin/reports/export?report=sales-by-seller&from=%s&to=%s", today, today);
	r = client_req(&admin, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Content-Type"), "text/csv"));
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Content-Disposition"), "attachment; filename=\"sales-by-seller-"));
	HAS(r, "id,seller,orders,units,amount,currency\r\n");
	HAS(r, ",\"'=1+<b>x</b> & co\",1,1,");
	hresp_free(r);
	snprintf(path, sizeof(path), "/admin/reports/export?report=orders&from=%s&to=%s", today, today);
	r = client_req(&admin, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "order,placed_at,status,user,currency");
	{
		char want[100];

		snprintf(want, sizeof(want), "\r\n%lld,", oid);
		HAS(r, want);
	}
	HAS(r, ",\"'=2+5 Ann\",Austin,US,1,1\r\n");
	hresp_free(r);
	for (const char *const *rep = (const char *const[]){ "sales-by-day", "sales-by-category", "funnel", "searches",
							       "searches-empty", NULL }; *rep; rep++) {
		snprintf(path, sizeof(path), "/admin/reports/export?report=%s&from=%s&to=%s", *rep, today, today);
		r = client_req(&admin, "GET", path, NULL, 0);
		ck_assert_msg(r->status == 200, "%s: %ld", *rep, r->status);
		ck_assert_ptr_nonnull(strstr(hresp_header(r, "Content-Type"), "text/csv"));
		hresp_free(r);
	}
	r = client_req(&admin, "GET", "/admin/reports/export?report=nope", NULL, 0);
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);

	/* A bad range: 422 naming the field. */
	r = client_req(&admin, "GET", "/api/admin/reports?from=2026-02-31&to=2026-03-01", NULL, 0);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "\"field\":\"from\"");
	hresp_free(r);
	r = client_req(&admin, "GET", "/api/admin/reports?from=2026-03-02&to=2026-03-01", NULL, 0);
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	/* Only admins. */
	r = client_req(&sel, "GET", "/api/admin/reports", NULL, 0);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	buyer_new(&shopper, "rptno", NULL, 0);
	r = client_req(&shopper, "GET", "/admin/reports/export?report=orders", NULL, 0);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
}
END_TEST


/* ---- the funnel's rest: cached product views, a raised quantity ---- */

static long long count_of(const char *kind)
{
	return sql_scalarf("SELECT COALESCE(SUM(n), 0) FROM report_counts WHERE kind = '%s'", kind);
}

/* Flushes until kind reaches want (nginx writes its views log at most a
 * second late); up to 10 s. */
static void flush_until(const char *kind, long long want)
{
	for (int i = 0; i < 50 && count_of(kind) < want; i++) {
		ck_assert_int_eq(shopctl_run(NULL, NULL, "reports flush"), 0);
		if (count_of(kind) < want)
			usleep(200000);
	}
	ck_assert_int_eq(count_of(kind), want);
}

START_TEST(cached_views_and_raised_quantity_counted)
{
	struct client shopper;
	char path[200], body[200], sku[80];
	long long pid = sql_scalar("SELECT MAX(p.id) FROM products p JOIN skus s ON s.product_id = p.id WHERE "
				   "p.status = 'active' AND s.status = 'active' AND p.stock_total > 10");
	long long views, carts;
	struct hresp *r;
	json_t *ij;

	snprintf(path, sizeof(path), "/api/items/%lld", pid);
	r = http_get_json(path);
	ck_assert_int_eq(r->status, 200);
	ij = hresp_json(r);
	snprintf(sku, sizeof(sku), "%s", json_string_value(json_object_get(ij, "sku")));
	{
		const char *u = json_string_value(json_object_get(ij, "url"));

		ck_assert_ptr_nonnull(u);
		snprintf(path, sizeof(path), "%s", strstr(u, "/p/") ? strstr(u, "/p/") : u);
	}
	json_decref(ij);
	hresp_free(r);

	ck_assert_int_eq(shopctl_run(NULL, NULL, "reports flush"), 0);
	views = count_of("view");
	carts = count_of("cart");
	/* Five anonymous views at once: the first reaches shopd, the others
	 * are the microcache's (nginx's log counts them); five either way. */
	for (int i = 0; i < 5; i++) {
		r = http_get(path);
		ck_assert_int_eq(r->status, 200);
		hresp_free(r);
	}
	flush_until("view", views + 5);
	usleep(1500000);
	ck_assert_int_eq(shopctl_run(NULL, NULL, "reports flush"), 0);
	ck_assert_int_eq(count_of("view"), views + 5);	/* each line once */
	ck_assert_int_eq(sql_scalar("SELECT pos > 0 FROM report_logs WHERE name = 'views'"), 1);

	/* PATCH /api/cart: a new line and a raised one are adds; a lowered or
	 * unchanged one is not. */
	buyer_new(&shopper, "rptpatch", NULL, 0);
	for (int q = 1; q <= 4; q++) {
		static const int qty[] = { 0, 1, 3, 2, 2 };

		snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":%d}", sku, qty[q]);
		r = client_req(&shopper, "PATCH", "/api/cart", body, 1);
		ck_assert_msg(r->status == 200, "patch: %ld %s", r->status, r->body);
		hresp_free(r);
	}
	flush_until("cart", carts + 2);

	/* The report queries' range has its index in both places, the same
	 * (migration 157; EXPLAIN in docs/design.md). */
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() "
				    "AND table_name = 'orders' AND index_name = 'ix_orders_created' AND "
				    "((seq_in_index = 1 AND column_name = 'created_at') OR (seq_in_index = 2 AND "
				    "column_name = 'status'))"), 2);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() "
				    "AND table_name = 'orders_archive' AND index_name = 'ix_orders_created' AND "
				    "((seq_in_index = 1 AND column_name = 'created_at') OR (seq_in_index = 2 AND "
				    "column_name = 'status'))"), 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reports");
	TCase *t = tcase_create("reports");

	harness_init();
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, numbers_equal_sql_sums);
	tcase_add_test(t, funnel_and_searches_counted_once);
	tcase_add_test(t, cached_views_and_raised_quantity_counted);
	tcase_add_test(t, page_svg_csv_escaped);
	suite_add_tcase(s, t);
	return run_suite(s);
}
