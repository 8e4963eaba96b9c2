/* t/http: seller bulk import (issue 7): a file with good and bad rows (the
 * good ones applied, the bad ones reported by row, column and message),
 * idempotent re-import, variants grouped by item, another seller's SKU code
 * refused, JSON files, bad files refused whole, isolation of the pages and
 * API, progress to done; and a big import, timed (SHOP_IMPORT_ROWS rows,
 * 5,000 by default; 100000 for the measurement in the README). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include "harness.h"

#define PW "correct horse battery"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.1500s", (s), (r)->body)

static long status_of(struct hresp *r)
{
	long s = r->status;

	hresp_free(r);
	return s;
}

/* POST /api/imports with the file as the body. */
static struct hresp *upload(struct client *cl, const char *type, const char *data)
{
	char cookie[300], token[200], ct[100];
	const char *h[] = { ct, cookie, token, "Accept: application/json", NULL };

	snprintf(ct, sizeof(ct), "Content-Type: %s", type);
	snprintf(cookie, sizeof(cookie), "Cookie: %s", cl->cookie);
	snprintf(token, sizeof(token), "X-CSRF-Token: %s", cl->csrf);
	return http("POST", "/api/imports", data, h);
}

/* Uploads and answers the import's id (202 expected). */
static long long start_import(struct client *cl, const char *type, const char *data)
{
	struct hresp *r = upload(cl, type, data);
	json_t *j;
	long long id;

	ck_assert_msg(r->status == 202, "upload: %ld %s", r->status, r->body);
	ck_assert_ptr_nonnull(hresp_header(r, "Location"));
	j = hresp_json(r);
	id = json_integer_value(json_object_get(j, "id"));
	ck_assert_int_gt(id, 0);
	ck_assert_int_gt(json_integer_value(json_object_get(j, "rowsTotal")), 0);
	json_decref(j);
	hresp_free(r);
	return id;
}

/* Polls GET /api/imports/{id} until it is done (or seconds pass); the
 * final answer (new reference). */
static json_t *wait_done(struct client *cl, long long id, int seconds)
{
	char path[64];

	snprintf(path, sizeof(path), "/api/imports/%lld", id);
	for (int i = 0; i < seconds * 10; i++) {
		struct hresp *r = client_req(cl, "GET", path, NULL, 0);
		json_t *j = hresp_json(r);
		const char *st = json_string_value(json_object_get(j, "state"));

		ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
		hresp_free(r);
		if (st && (!strcmp(st, "done") || !strcmp(st, "failed")))
			return j;
		json_decref(j);
		usleep(100 * 1000);
	}
	ck_abort_msg("import %lld not done in %d s", id, seconds);
	return NULL;
}

static long long jint(json_t *j, const char *k)
{
	return json_integer_value(json_object_get(j, k));
}

static char leaf[64];

static void setup(void)
{
	clear_ip_throttles();
	if (!leaf[0]) {
		long long id = sql_scalar("SELECT id FROM categories WHERE slug = 'smartphones' AND parent_id IS NOT NULL");

		ck_assert_int_gt(id, 0);
		snprintf(leaf, sizeof(leaf), "smartphones");
	}
}

/* A file of ten rows, five of them bad; the tag keeps codes apart between
 * tests. Row numbers count from 1 after the header. */
static char *mixed_file(const char *tag, const char *demo_code, int qty)
{
	static char f[4096];

	snprintf(f, sizeof(f),
		"sku,item,title,description,brand,category,price,weight_grams,quantity,warehouse,status,"
		"option1_name,option1_value,option2_name,option2_value,attributes\r\n"
		"%s-NEW1,,Plain Phone Case,A case.,Acme,smartphones,12.34,120,%d,,,,,,,\r\n"	/* 1 good */
		"%s-BAD2,,Bad Price,,,smartphones,12.345,,1,,,,,,,\r\n"			/* 2 price */
		"%s-BAD3,,,,,smartphones,5.00,,1,,,,,,,\r\n"					/* 3 title */
		"%s-BAD4,,Nowhere,,,no-such-category,5.00,,1,,,,,,,\r\n"			/* 4 category */
		"%s-BAD5,,Minus,,,smartphones,5.00,,-1,,,,,,,\r\n"				/* 5 quantity */
		"%s-TS-RED,%s-SHIRT,Test Shirt,\"Soft, warm\nand \"\"classic\"\"\",Acme,smartphones,10.50,200,3,west,,"
		"Color,Red,Size,M,\"{\"\"Material\"\": \"\"Cotton\"\"}\"\r\n"		/* 6 good: a variant */
		"%s-TS-BLU,%s-SHIRT,,,,,9.99,200,0,,,Color,Blue,Size,M,\r\n"			/* 7 good: its sibling */
		"%s,,Stolen,,,smartphones,1.00,,100,,,,,,,\r\n"				/* 8 another seller's code */
		"%s-BAD9,,Bad Status,,,smartphones,1.00,,,,sold,,,,,\r\n"			/* 9 status */
		"%s-BAD10,,Bad Attrs,,,smartphones,1.00,,,,,,,,,\"[1,2]\"\r\n",		/* 10 attributes */
		tag, qty, tag, tag, tag, tag, tag, tag, tag, tag, demo_code, tag, tag);
	return f;
}

START_TEST(good_and_bad_rows)
{
	struct client cl;
	long long sid = seller_new(&cl, "imp", NULL), id, pid, shirt, demo_price, demo_sku;
	char demo[64], q[600], path[80];
	json_t *j;
	struct hresp *r;

	demo_sku = sql_scalar("SELECT MIN(id) FROM skus WHERE code LIKE 'TAB-%'");
	snprintf(q, sizeof(q), "SELECT price FROM skus WHERE id = %lld", demo_sku);
	demo_price = sql_scalar(q);
	{
		struct hresp *d;
		char p[64];

		snprintf(p, sizeof(p), "/api/items/%lld", sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", demo_sku));
		d = http_get_json(p);
		j = hresp_json(d);
		snprintf(demo, sizeof(demo), "%s", json_string_value(json_object_get(j, "sku")));
		json_decref(j);
		hresp_free(d);
	}
	id = start_import(&cl, "text/csv", mixed_file("GB", demo, 5));
	j = wait_done(&cl, id, 60);
	ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "done");
	ck_assert_int_eq(jint(j, "rowsTotal"), 10);
	ck_assert_int_eq(jint(j, "rowsDone"), 10);
	ck_assert_int_eq(jint(j, "rowsFailed"), 7);
	ck_assert_int_eq(jint(j, "rowsChanged"), 3);
	json_decref(j);

	/* The good rows: one item, and one item with two variants. */
	pid = sql_scalarf("SELECT product_id FROM skus WHERE code = 'GB-NEW1'");
	ck_assert_int_eq(sql_scalarf("SELECT seller_id FROM products WHERE id = %lld", pid), sid);
	ck_assert_int_eq(sql_scalarf("SELECT price FROM products WHERE id = %lld", pid), 1234);
	ck_assert_int_eq(sql_scalarf("SELECT stock_total FROM products WHERE id = %lld", pid), 5);
	ck_assert_int_eq(sql_scalarf("SELECT JSON_VALUE(sku_digest, '$[0][4]') FROM products WHERE id = %lld", pid), 5);
	ck_assert_int_eq(sql_scalarf("SELECT available FROM inventory i JOIN skus s ON s.id = i.sku_id "
				 "WHERE s.code = 'GB-NEW1' AND i.warehouse_id = 1"), 5);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM stock_movements m JOIN skus s ON s.id = m.sku_id "
				 "WHERE s.code = 'GB-NEW1' AND m.delta = 5 AND m.actor = 'import:%lld'", id), 1);
	ck_assert_int_ge(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'ProductUpdated' AND aggregate_id = %lld", pid), 1);
	ck_assert_int_ge(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'StockChanged' AND aggregate_id = %lld", pid), 1);
	shirt = sql_scalarf("SELECT id FROM products WHERE seller_id = %lld AND item_key = 'GB-SHIRT'", sid);
	ck_assert_int_gt(shirt, 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM skus WHERE product_id = %lld", shirt), 2);
	ck_assert_int_eq(sql_scalarf("SELECT price FROM products WHERE id = %lld", shirt), 999);	/* the lowest */
	ck_assert_int_eq(sql_scalarf("SELECT stock_total FROM products WHERE id = %lld", shirt), 3);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM skus WHERE code = 'GB-TS-RED' AND "
				 "JSON_VALUE(options, '$.Color') = 'Red' AND JSON_VALUE(options, '$.Size') = 'M'"), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM products WHERE id = %lld AND "
				 "description = 'Soft, warm\\nand \"classic\"' AND JSON_VALUE(attributes, '$.Material') = 'Cotton'",
				 shirt), 1);
	/* Nothing of the bad rows; the other seller's SKU untouched. */
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM skus WHERE code LIKE 'GB-BAD%'"), 0);
	ck_assert_int_eq(sql_scalarf("SELECT price FROM skus WHERE id = %lld", demo_sku), demo_price);
	ck_assert_int_eq(sql_scalarf("SELECT p.seller_id FROM skus s JOIN products p ON p.id = s.product_id "
				 "WHERE s.id = %lld", demo_sku), 1);
	/* The report: row, column, message. */
	{
		static const struct { int row; const char *col; } want[] = {
			{ 2, "price" }, { 3, "title" }, { 4, "category" }, { 5, "quantity" }, { 8, "sku" },
			{ 9, "status" }, { 10, "attributes" },
		};

		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			ck_assert_msg(sql_scalarf("SELECT COUNT(*) FROM import_errors WHERE import_id = %lld AND row_no = %d "
					      "AND column_name = '%s'", id, want[i].row, want[i].col) == 1,
				      "no error for row %d column %s", want[i].row, want[i].col);
	}
	snprintf(path, sizeof(path), "/api/imports/%lld/errors", id);
	r = client_req(&cl, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "\"row\":8,\"column\":\"sku\",\"message\":\"is already used by another seller");
	hresp_free(r);
	snprintf(path, sizeof(path), "/seller/import/%lld/errors.csv", id);
	r = client_browse(&cl, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert(!strncmp(hresp_header(r, "Content-Type"), "text/csv", 8));
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Content-Disposition"), "attachment"));
	ck_assert(!strncmp(r->body, "row,column,message\r\n", 20));
	HAS(r, "\r\n2,price,\"must be an amount such as 12.34");
	HAS(r, "\r\n4,category,");
	hresp_free(r);
	/* The pages. */
	snprintf(path, sizeof(path), "/seller/import/%lld", id);
	r = client_browse(&cl, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "<strong>done</strong>");
	HAS(r, "10 of 10 rows");
	HAS(r, "is already used by another seller");
	ck_assert_ptr_null(strstr(r->body, "http-equiv=\"refresh\""));
	hresp_free(r);
	r = client_browse(&cl, "GET", "/seller/import", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "enctype=\"multipart/form-data\"");
	HAS(r, path);
	hresp_free(r);
	/* The storefront shows the new item. */
	{
		char p[64];
		int seen = 0;

		snprintf(p, sizeof(p), "/api/items/%lld", pid);
		for (int i = 0; i < 50 && !seen; i++) {
			r = http_get_json(p);
			if (r->status == 200) {
				j = hresp_json(r);
				seen = jint(j, "stock") == 5 && jint(j, "price") == 1234;
				json_decref(j);
			}
			hresp_free(r);
			if (!seen)
				usleep(100 * 1000);
		}
		ck_assert(seen);
	}
}
END_TEST

/* The same file again: nothing changes, no movement, no event; then one
 * changed quantity: exactly one movement. */
START_TEST(reimport_is_idempotent)
{
	struct client cl;
	long long sid = seller_new(&cl, "imp", NULL), id, moves, events, products, skus;
	char demo[] = "NOT-A-DEMO-CODE";
	json_t *j;

	id = start_import(&cl, "text/csv", mixed_file("RI", demo, 5));
	json_decref(wait_done(&cl, id, 60));
	moves = sql_scalar("SELECT COUNT(*) FROM stock_movements");
	events = sql_scalar("SELECT COUNT(*) FROM outbox");
	products = sql_scalarf("SELECT COUNT(*) FROM products WHERE seller_id = %lld", sid);
	skus = sql_scalarf("SELECT COUNT(*) FROM skus s JOIN products p ON p.id = s.product_id WHERE p.seller_id = %lld", sid);
	ck_assert_int_eq(products, 3);	/* NEW1, SHIRT, and row 8 (a new code here) */

	id = start_import(&cl, "text/csv", mixed_file("RI", demo, 5));
	j = wait_done(&cl, id, 60);
	ck_assert_int_eq(jint(j, "rowsChanged"), 0);
	ck_assert_int_eq(jint(j, "rowsFailed"), 6);
	json_decref(j);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM stock_movements"), moves);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM outbox"), events);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM products WHERE seller_id = %lld", sid), products);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM skus s JOIN products p ON p.id = s.product_id "
				 "WHERE p.seller_id = %lld", sid), skus);

	id = start_import(&cl, "text/csv", mixed_file("RI", demo, 8));
	j = wait_done(&cl, id, 60);
	ck_assert_int_eq(jint(j, "rowsChanged"), 1);
	json_decref(j);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM stock_movements"), moves + 1);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM stock_movements m JOIN skus s ON s.id = m.sku_id "
				    "WHERE s.code = 'RI-NEW1' AND m.delta = 3 AND m.available_after = 8"), 1);
	ck_assert_int_eq(sql_scalar("SELECT p.stock_total FROM products p JOIN skus s ON s.product_id = p.id "
				    "WHERE s.code = 'RI-NEW1'"), 8);
}
END_TEST

START_TEST(json_file)
{
	struct client cl;
	long long id;
	json_t *j;
	const char *file =
		"[{\"sku\": \"JS-1\", \"title\": \"Json Phone\", \"category\": \"smartphones\", \"price\": 19.99,"
		" \"quantity\": 4, \"attributes\": {\"Screen\": \"6 inch\"}},\n"
		" {\"sku\": \"JS-2\", \"item\": \"JS-1\", \"price\": \"21\", \"option1_name\": \"Color\","
		" \"option1_value\": \"Black\"},\n"
		" 42,\n"
		" {\"sku\": \"JS-3\", \"title\": \"Json Other\", \"category\": \"smartphones\", \"price\": 1, \"colour\": \"red\"}]";

	seller_new(&cl, "imp", NULL);
	id = start_import(&cl, "application/json", file);
	j = wait_done(&cl, id, 60);
	ck_assert_int_eq(jint(j, "rowsTotal"), 4);
	ck_assert_int_eq(jint(j, "rowsFailed"), 2);
	json_decref(j);
	ck_assert_int_eq(sql_scalar("SELECT price FROM skus WHERE code = 'JS-1'"), 1999);
	ck_assert_int_eq(sql_scalar("SELECT price FROM skus WHERE code = 'JS-2'"), 2100);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(DISTINCT product_id) FROM skus WHERE code IN ('JS-1', 'JS-2')"), 1);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM skus WHERE code = 'JS-3'"), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM import_errors WHERE import_id = %lld AND row_no = 3", id), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM import_errors WHERE import_id = %lld AND row_no = 4 "
				 "AND column_name = 'colour'", id), 1);
}
END_TEST

/* The upload form as a browser sends it: multipart/form-data with the CSRF
 * field, the format and the file part; then the progress page and the error
 * report. */
START_TEST(html_form_upload)
{
	struct client cl;
	char tag[32], body[2048], cookie[300], path[96], q[256];
	const char *boundary = "----shopImportFormBoundary4k2j";
	const char *h[] = { NULL, cookie, "Accept: text/html", NULL };
	char ct[128];
	struct hresp *r;
	long long id;
	json_t *j;

	seller_new(&cl, "imp", NULL);
	snprintf(tag, sizeof(tag), "HF%d", (int)getpid());
	snprintf(ct, sizeof(ct), "Content-Type: multipart/form-data; boundary=%s", boundary);
	h[0] = ct;
	snprintf(cookie, sizeof(cookie), "Cookie: %s", cl.cookie);
	snprintf(body, sizeof(body),
		 "--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n"
		 "--%s\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\ncsv\r\n"
		 "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"stock.csv\"\r\n"
		 "Content-Type: text/csv\r\n\r\n"
		 "sku,title,category,price,quantity\r\n"
		 "%s-1,Form Upload Lamp,smartphones,7.50,4\r\n"
		 "%s-2,Form Upload Bad,smartphones,abc,1\r\n"
		 "\r\n--%s--\r\n", boundary, cl.csrf, boundary, boundary, tag, tag, boundary);
	r = http("POST", "/seller/import", body, h);
	ck_assert_msg(r->status == 303, "%ld %s", r->status, r->body);
	ck_assert_ptr_nonnull(hresp_header(r, "Location"));
	ck_assert(!strncmp(hresp_header(r, "Location"), "/seller/import/", 15));
	id = atoll(hresp_header(r, "Location") + 15);
	ck_assert_int_gt(id, 0);
	hresp_free(r);

	j = wait_done(&cl, id, 60);
	ck_assert_int_eq(jint(j, "rowsTotal"), 2);
	ck_assert_int_eq(jint(j, "rowsFailed"), 1);
	json_decref(j);
	snprintf(q, sizeof(q), "SELECT price FROM skus WHERE code = '%s-1'", tag);
	ck_assert_int_eq(sql_scalar(q), 750);

	snprintf(path, sizeof(path), "/seller/import/%lld", id);
	r = client_browse(&cl, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "errors.csv"));
	hresp_free(r);
	snprintf(path, sizeof(path), "/seller/import/%lld/errors.csv", id);
	r = client_browse(&cl, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(strstr(r->body, "\r\n2,price,") != NULL, "%s", r->body);
	hresp_free(r);

	/* Without the token nothing is stored. */
	{
		long long before = sql_scalar("SELECT COUNT(*) FROM imports");
		char *p = strstr(body, cl.csrf);

		ck_assert_ptr_nonnull(p);
		memset(p, 'x', strlen(cl.csrf));
		r = http("POST", "/seller/import", body, h);
		ck_assert_int_eq(r->status, 403);
		hresp_free(r);
		ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM imports"), before);
	}
}
END_TEST

/* A file that cannot be read as rows is refused whole; nothing stored. */
START_TEST(bad_files)
{
	struct client cl;
	long long before;
	struct hresp *r;

	seller_new(&cl, "imp", NULL);
	before = sql_scalar("SELECT COUNT(*) FROM imports");
	r = upload(&cl, "text/csv", "sku,price,colour\nA,1,red\n");
	ck_assert_int_eq(r->status, 400);
	HAS(r, "unknown column \\\"colour\\\"");
	hresp_free(r);
	ck_assert_int_eq(status_of(upload(&cl, "text/csv", "title,price\nA,1\n")), 400);	/* no sku column */
	ck_assert_int_eq(status_of(upload(&cl, "text/csv", "sku,price\n\"A,1\n")), 400);	/* open quote */
	ck_assert_int_eq(status_of(upload(&cl, "text/csv", "sku,price\n")), 400);		/* no rows */
	ck_assert_int_eq(status_of(upload(&cl, "application/json", "{\"sku\": \"A\"}")), 400);
	ck_assert_int_eq(status_of(upload(&cl, "application/json", "[{\"sku\": \"A\"} x")), 400);
	ck_assert_int_eq(status_of(upload(&cl, "text/plain", "sku\nA\n")), 415);
	/* No token: 403. */
	{
		const char *h[] = { "Content-Type: text/csv", NULL };
		char cookie[300];
		const char *h2[] = { "Content-Type: text/csv", cookie, NULL };

		snprintf(cookie, sizeof(cookie), "Cookie: %s", cl.cookie);
		ck_assert_int_ne(status_of(http("POST", "/api/imports", "sku,price\nA,1\n", h)), 202);
		ck_assert_int_eq(status_of(http("POST", "/api/imports", "sku,price\nA,1\n", h2)), 403);
	}
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM imports"), before);
}
END_TEST

START_TEST(isolation)
{
	struct client a, b, shopper;
	long long id;
	char path[80];
	json_t *j;

	seller_new(&a, "imp", NULL);
	seller_new(&b, "imp", NULL);
	id = start_import(&a, "text/csv", "sku,price\nISO-NOPE,1\n");
	j = wait_done(&a, id, 60);
	json_decref(j);
	snprintf(path, sizeof(path), "/api/imports/%lld", id);
	ck_assert_int_eq(status_of(client_req(&b, "GET", path, NULL, 0)), 404);
	snprintf(path, sizeof(path), "/api/imports/%lld/errors", id);
	ck_assert_int_eq(status_of(client_req(&b, "GET", path, NULL, 0)), 404);
	snprintf(path, sizeof(path), "/seller/import/%lld", id);
	ck_assert_int_eq(status_of(client_browse(&b, "GET", path, NULL)), 404);
	snprintf(path, sizeof(path), "/seller/import/%lld/errors.csv", id);
	ck_assert_int_eq(status_of(client_browse(&b, "GET", path, NULL)), 404);
	{
		struct hresp *r = client_browse(&b, "GET", "/seller/import", NULL);

		snprintf(path, sizeof(path), "/seller/import/%lld\"", id);
		ck_assert_int_eq(r->status, 200);
		ck_assert_ptr_null(strstr(r->body, path));
		hresp_free(r);
	}
	memset(&shopper, 0, sizeof(shopper));
	ck_assert_int_eq(client_signup(&shopper, "Sue Shopper", fresh_email("impshop"), PW), 0);
	snprintf(path, sizeof(path), "/api/imports/%lld", id);
	ck_assert_int_eq(status_of(client_req(&shopper, "GET", path, NULL, 0)), 403);
	ck_assert_int_eq(status_of(upload(&shopper, "text/csv", "sku,price\nX,1\n")), 403);
	ck_assert_int_eq(status_of(client_browse(&shopper, "GET", "/seller/import", NULL)), 403);
}
END_TEST

/* A big file of new single-SKU items, timed (not asserted): rows from
 * SHOP_IMPORT_ROWS (default 5000). The progress page reloads itself, when asked,
 * while the import runs. */
START_TEST(big_import)
{
	struct client cl;
	const char *env = getenv("SHOP_IMPORT_ROWS");
	long rows = env && atol(env) > 0 ? atol(env) : 5000;
	size_t cap = (size_t)rows * 120 + 256, len = 0;
	char *file = malloc(cap), path[64];
	long long sid = seller_new(&cl, "imp", NULL), id;
	struct timespec t0, t1;
	int saw_refresh = 0;
	json_t *j;

	ck_assert_ptr_nonnull(file);
	len += (size_t)snprintf(file + len, cap - len, "sku,title,category,price,quantity,weight_grams\n");
	for (long i = 0; i < rows; i++)
		len += (size_t)snprintf(file + len, cap - len, "BIG-%ld,Bulk item number %ld,smartphones,%ld.%02ld,%ld,%ld\n",
					i, i, 1 + i % 500, i % 100, i % 50, 100 + i % 900);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	id = start_import(&cl, "text/csv", file);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "big import: %ld rows, %zu bytes, upload answered in %.2f s\n", rows, len,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	snprintf(path, sizeof(path), "/seller/import/%lld", id);
	{
		struct hresp *r = client_browse(&cl, "GET", path, NULL);
		char follow[96];

		ck_assert_int_eq(r->status, 200);
		/* Never reloads by itself unless asked to. */
		ck_assert_ptr_null(hresp_header(r, "Refresh"));
		ck_assert_ptr_null(strstr(r->body, "http-equiv"));
		if (strstr(r->body, "Keep this page up to date")) {
			hresp_free(r);
			snprintf(follow, sizeof(follow), "%s?follow=1", path);
			r = client_browse(&cl, "GET", follow, NULL);
			ck_assert_int_eq(r->status, 200);
			if (strstr(r->body, "Stop reloading")) {
				saw_refresh = 1;
				ck_assert_ptr_nonnull(hresp_header(r, "Refresh"));
			}
		}
		hresp_free(r);
	}
	j = wait_done(&cl, id, 1800);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "done");
	ck_assert_int_eq(jint(j, "rowsDone"), rows);
	ck_assert_int_eq(jint(j, "rowsFailed"), 0);
	json_decref(j);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM products WHERE seller_id = %lld", sid), rows);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM products WHERE seller_id = %lld AND stock_total <> "
				 "JSON_VALUE(sku_digest, '$[0][4]')", sid), 0);
	fprintf(stderr, "big import: %ld rows done in %.1f s (%.0f rows/s)%s\n", rows,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		rows / ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9),
		saw_refresh ? ", progress page refreshing while it ran" : "");
	free(file);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seller_import");
	TCase *t = tcase_create("seller_import");

	harness_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_set_timeout(t, 2400);
	tcase_add_test(t, good_and_bad_rows);
	tcase_add_test(t, reimport_is_idempotent);
	tcase_add_test(t, json_file);
	tcase_add_test(t, html_form_upload);
	tcase_add_test(t, bad_files);
	tcase_add_test(t, isolation);
	tcase_add_test(t, big_import);
	suite_add_tcase(s, t);
	return run_suite(s);
}
