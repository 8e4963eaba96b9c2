/* t/http: a seller's stock adjustments (issue 7): the API and the page, bad
 * input changing nothing, movements recorded, the storefront following at
 * once, isolation between sellers, and checkouts racing with adjustments on
 * one SKU (no oversell; every unit accounted for by the movements). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <sodium.h>
#include "harness.h"

#define PW "correct horse battery"
#define LOW_STOCK_T 10	/* app/catalog/catalog.c LOW_STOCK */
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.1500s", (s), (r)->body)
#define ADDR "\"shippingAddress\":{\"name\":\"Ann Buyer\",\"line1\":\"1 Main St\",\"city\":\"Austin\"," \
	     "\"region\":\"TX\",\"postalCode\":\"78701\",\"country\":\"US\"}"

/* A demo product (one SKU) of the category prefix handed to the seller;
 * its SKU code into code. Returns the product id. */
static long long give_product(long long sid, const char *prefix, char *code, size_t n, long long *sku_id)
{
	long long sku = sql_scalarf("SELECT MIN(id) FROM skus WHERE code LIKE '%s-%%'", prefix);
	long long pid = sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", sku);
	char q[300];
	struct hresp *r;
	json_t *j;

	ck_assert_int_gt(sku, 0);
	sql_execf("UPDATE products SET seller_id = %lld WHERE id = %lld", sid, pid);
	snprintf(q, sizeof(q), "/api/items/%lld", pid);
	r = http_get_json(q);
	j = hresp_json(r);
	snprintf(code, n, "%s", json_string_value(json_object_get(j, "sku")));
	json_decref(j);
	hresp_free(r);
	if (sku_id)
		*sku_id = sku;
	return pid;
}

static long long avail_of(long long sku, int wh)
{
	return sql_scalarf("SELECT available FROM inventory WHERE sku_id = %lld AND warehouse_id = %d", sku, wh);
}

static long long moves_of(long long sku)
{
	return sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld", sku);
}

static struct hresp *post_stock(struct client *cl, long long pid, const char *body)
{
	char path[64];

	snprintf(path, sizeof(path), "/api/items/%lld/stock", pid);
	return client_req(cl, "POST", path, body, 1);
}

static long status_of(struct hresp *r)
{
	long s = r->status;

	hresp_free(r);
	return s;
}

/* The storefront's idea of the SKU's stock (GET /api/items/{id}), which
 * follows the outbox: polled for up to 5 s. */
static int storefront_shows(long long pid, long long want)
{
	char path[64];

	snprintf(path, sizeof(path), "/api/items/%lld", pid);
	for (int i = 0; i < 50; i++) {
		struct hresp *r = http_get_json(path);
		json_t *j = hresp_json(r);
		long long got = json_integer_value(json_object_get(j, "stock"));

		json_decref(j);
		hresp_free(r);
		if (got == want)
			return 1;
		usleep(100 * 1000);
	}
	return 0;
}

static void setup(void)
{
	clear_ip_throttles();
}

START_TEST(api_set_and_adjust)
{
	struct client cl;
	long long uid, sid = seller_new(&cl, "stock", &uid), sku, pid, west;
	char code[64], body[300], path[64];
	struct hresp *r;
	json_t *j;

	pid = give_product(sid, "BEA", code, sizeof(code), &sku);
	west = avail_of(sku, 2);
	snprintf(path, sizeof(path), "/api/items/%lld/stock", pid);
	r = client_req(&cl, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 200);
	HAS(r, code);
	HAS(r, "\"warehouse\":\"west\"");
	hresp_free(r);

	snprintf(body, sizeof(body), "{\"sku\":\"%s\",\"warehouse\":\"east\",\"set\":7,\"reason\":\"stock count\"}", code);
	r = post_stock(&cl, pid, body);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "available")), 7);
	json_decref(j);
	hresp_free(r);
	ck_assert_int_eq(avail_of(sku, 1), 7);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld AND warehouse_id = 1 "
				 "AND available_after = 7 AND reason = 'stock count' AND actor = 'user:%lld' "
				 "AND seller_id = %lld", sku, uid, sid), 1);

	snprintf(body, sizeof(body), "{\"sku\":\"%s\",\"warehouse\":\"east\",\"delta\":-2,\"reason\":\"damaged\"}", code);
	ck_assert_int_eq(status_of(post_stock(&cl, pid, body)), 200);
	snprintf(body, sizeof(body), "{\"sku\":\"%s\",\"delta\":3,\"reason\":\"found in the back\"}", code);	/* east by default */
	ck_assert_int_eq(status_of(post_stock(&cl, pid, body)), 200);
	ck_assert_int_eq(avail_of(sku, 1), 8);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld AND delta = -2 "
				 "AND available_after = 5 AND seller_id = %lld", sku, sid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld AND delta = 3 "
				 "AND available_after = 8 AND seller_id = %lld", sku, sid), 1);
	/* The read model, in the same transaction, and an event. */
	ck_assert_int_eq(sql_scalarf("SELECT stock_total FROM products WHERE id = %lld", pid), 8 + west);
	ck_assert_int_eq(sql_scalarf("SELECT JSON_VALUE(sku_digest, '$[0][4]') FROM products WHERE id = %lld", pid), 8 + west);
	ck_assert_int_ge(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'StockChanged' AND aggregate_id = %lld "
				 "AND JSON_VALUE(payload, '$.reason') = 'damaged'", pid), 1);
	/* The storefront shows it (product API and page). */
	ck_assert(storefront_shows(pid, 8 + west));
	{
		char p[256];
		long long total = 8 + west;

		snprintf(p, sizeof(p), "/api/items/%lld", pid);
		r = http_get_json(p);
		j = hresp_json(r);
		snprintf(p, sizeof(p), "%s", json_string_value(json_object_get(j, "url")));
		json_decref(j);
		hresp_free(r);
		r = http_get(p);
		ck_assert_int_eq(r->status, 200);
		if (total <= LOW_STOCK_T) {
			char left[64];

			snprintf(left, sizeof(left), "Only %lld left", total);
			HAS(r, left);
		} else {
			HAS(r, "In stock");
		}
		hresp_free(r);
	}
	/* Setting the same value again changes nothing and records nothing. */
	snprintf(body, sizeof(body), "{\"sku\":\"%s\",\"warehouse\":\"east\",\"set\":8,\"reason\":\"recount\"}", code);
	ck_assert_int_eq(status_of(post_stock(&cl, pid, body)), 200);
	/* This seller's: earlier suites may have recorded movements of the
	 * demo SKU (set_stock) before it was given to this seller. */
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld AND seller_id = %lld",
				     sku, sid), 3);

	/* Units of a retired SKU are not for sale: listings (stock_total) and
	 * the product page (the digest) count active SKUs alike. */
	sql_execf("INSERT INTO skus (product_id, code, price, status) VALUES (%lld, 'RETIRED-%lld', 100, 'inactive')",
		  pid, pid);
	{
		char retired[64];

		snprintf(retired, sizeof(retired), "RETIRED-%lld", pid);
		set_stock(retired, 1, 50, "test_seller_stock: a retired SKU's units");
	}
	snprintf(body, sizeof(body), "{\"sku\":\"%s\",\"delta\":1,\"reason\":\"found one more\"}", code);
	ck_assert_int_eq(status_of(post_stock(&cl, pid, body)), 200);
	ck_assert_int_eq(sql_scalarf("SELECT stock_total FROM products WHERE id = %lld", pid), 9 + west);
	ck_assert_int_eq(sql_scalarf("SELECT JSON_VALUE(sku_digest, '$[0][4]') FROM products WHERE id = %lld", pid),
			 9 + west);
}
END_TEST

/* Every refusal leaves the row and the movements as they were. */
START_TEST(api_bad_input_changes_nothing)
{
	struct client cl;
	long long sid = seller_new(&cl, "stock", NULL), sku, pid, before, moves;
	char code[64], body[400];
	struct hresp *r;
	json_t *j;
	static const char *const bad[] = {
		"{\"sku\":\"%s\",\"set\":-1,\"reason\":\"x\"}",
		"{\"sku\":\"%s\",\"set\":1000001,\"reason\":\"x\"}",
		"{\"sku\":\"%s\",\"set\":1.5,\"reason\":\"x\"}",
		"{\"sku\":\"%s\",\"set\":\"ten\",\"reason\":\"x\"}",
		"{\"sku\":\"%s\",\"set\":3,\"delta\":1,\"reason\":\"x\"}",
		"{\"sku\":\"%s\",\"reason\":\"x\"}",
		"{\"sku\":\"%s\",\"delta\":0,\"reason\":\"x\"}",
		"{\"sku\":\"%s\",\"delta\":2}",
		"{\"sku\":\"%s\",\"delta\":2,\"reason\":\"\"}",
		"{\"sku\":\"%s\",\"warehouse\":\"north\",\"delta\":2,\"reason\":\"x\"}",
		"{\"sku\":\"%s\",\"set\":1000000,\"reason\":\"x\"}",	/* valid, then over the top below */
		NULL
	};

	pid = give_product(sid, "FRA", code, sizeof(code), &sku);
	before = avail_of(sku, 1);
	moves = moves_of(sku);
	for (int i = 0; bad[i + 1]; i++) {
		snprintf(body, sizeof(body), bad[i], code);
		r = post_stock(&cl, pid, body);
		ck_assert_msg(r->status == 400, "%s: %ld %s", body, r->status, r->body);
		HAS(r, "\"error\"");
		hresp_free(r);
	}
	ck_assert_int_eq(avail_of(sku, 1), before);
	ck_assert_int_eq(moves_of(sku), moves);

	/* Below zero: 409 with what is available, nothing changed. */
	snprintf(body, sizeof(body), "{\"sku\":\"%s\",\"warehouse\":\"east\",\"delta\":%lld,\"reason\":\"oops\"}",
		 code, -(before + 1));
	r = post_stock(&cl, pid, body);
	ck_assert_msg(r->status == 409, "%ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "error"), "available")), before);
	json_decref(j);
	hresp_free(r);
	/* Over the maximum by a delta: 400. */
	snprintf(body, sizeof(body), "{\"sku\":\"%s\",\"set\":1000000,\"reason\":\"max\"}", code);
	ck_assert_int_eq(status_of(post_stock(&cl, pid, body)), 200);
	snprintf(body, sizeof(body), "{\"sku\":\"%s\",\"delta\":1,\"reason\":\"one more\"}", code);
	ck_assert_int_eq(status_of(post_stock(&cl, pid, body)), 400);
	ck_assert_int_eq(avail_of(sku, 1), 1000000);
	ck_assert_int_eq(moves_of(sku), moves + 1);
	/* A SKU this item does not have (even one of the seller's others). */
	snprintf(body, sizeof(body), "{\"sku\":\"NO-SUCH-SKU\",\"delta\":1,\"reason\":\"x\"}");
	ck_assert_int_eq(status_of(post_stock(&cl, pid, body)), 404);
	/* No CSRF token: 403. */
	snprintf(body, sizeof(body), "{\"sku\":\"%s\",\"delta\":1,\"reason\":\"x\"}", code);
	{
		char path[64];

		snprintf(path, sizeof(path), "/api/items/%lld/stock", pid);
		ck_assert_int_eq(status_of(client_req(&cl, "POST", path, body, 0)), 403);
	}
	ck_assert_int_eq(avail_of(sku, 1), 1000000);
	ck_assert_int_eq(moves_of(sku), moves + 1);
	set_stock_id(sku, 1, before, "test_seller_stock: restore");
}
END_TEST

/* The page: a table with a form per row; field errors re-render it with
 * what was typed; success redirects back with a notice. */
START_TEST(page_form)
{
	struct client cl;
	long long sid = seller_new(&cl, "stock", NULL), sku, pid, before, moves;
	char code[64], form[600], path[64];
	struct hresp *r;

	pid = give_product(sid, "LAP", code, sizeof(code), &sku);
	before = avail_of(sku, 2);
	moves = moves_of(sku);
	snprintf(path, sizeof(path), "/seller/items/%lld/stock", pid);
	r = client_browse(&cl, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, code);
	HAS(r, "Recent changes");
	HAS(r, "name=\"reason\"");
	ck_assert_str_eq(hresp_header(r, "Cache-Control"), "no-store");
	hresp_free(r);

	/* Bad fields: 400, the page again with the messages and the values. */
	snprintf(form, sizeof(form), "csrf=%s&sku=%s&warehouse=west&mode=adjust&quantity=abc&reason=", cl.csrf, code);
	r = client_browse(&cl, "POST", path, form);
	ck_assert_msg(r->status == 400, "%ld %.500s", r->status, r->body);
	HAS(r, "Enter a whole number");
	HAS(r, "Give a reason");
	HAS(r, "value=\"abc\"");
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&sku=%s&warehouse=west&mode=adjust&quantity=0&reason=none", cl.csrf, code);
	r = client_browse(&cl, "POST", path, form);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "An adjustment of 0 changes nothing");
	hresp_free(r);
	/* Below zero: 409, the page says how many there are. */
	snprintf(form, sizeof(form), "csrf=%s&sku=%s&warehouse=west&mode=adjust&quantity=-%lld&reason=shrink",
		 cl.csrf, code, before + 5);
	r = client_browse(&cl, "POST", path, form);
	ck_assert_int_eq(r->status, 409);
	{
		char only[64];

		snprintf(only, sizeof(only), "Only %lld available in west", before);
		HAS(r, only);
	}
	hresp_free(r);
	/* Without the token: 403. */
	snprintf(form, sizeof(form), "sku=%s&warehouse=west&mode=set&quantity=4&reason=count", code);
	ck_assert_int_eq(status_of(client_browse(&cl, "POST", path, form)), 403);
	ck_assert_int_eq(avail_of(sku, 2), before);
	ck_assert_int_eq(moves_of(sku), moves);

	/* Good: 303 back to the page, which shows the notice and the change. */
	snprintf(form, sizeof(form), "csrf=%s&sku=%s&warehouse=west&mode=set&quantity=4&reason=cycle+count", cl.csrf, code);
	r = client_browse(&cl, "POST", path, form);
	ck_assert_msg(r->status == 303, "%ld %.500s", r->status, r->body);
	ck_assert_str_eq(hresp_header(r, "Location"), path);
	hresp_free(r);
	ck_assert_int_eq(avail_of(sku, 2), 4);
	r = client_browse(&cl, "GET", path, NULL);
	HAS(r, "4 available");
	HAS(r, "cycle count");
	HAS(r, "Sam Seller");
	hresp_free(r);
	ck_assert_int_eq(moves_of(sku), moves + 1);
}
END_TEST

/* Another seller, a shopper and a visitor cannot see or change the stock. */
START_TEST(isolation)
{
	struct client a, b, shopper;
	long long sid = seller_new(&a, "stock", NULL), sku, pid, east, west, moves;
	char code[64], body[300], path[64], form[400];

	long long sidb = seller_new(&b, "stock", NULL);

	pid = give_product(sid, "MOB", code, sizeof(code), &sku);
	east = avail_of(sku, 1);
	west = avail_of(sku, 2);
	moves = moves_of(sku);
	snprintf(body, sizeof(body), "{\"sku\":\"%s\",\"set\":0,\"reason\":\"mine now\"}", code);
	snprintf(path, sizeof(path), "/api/items/%lld/stock", pid);
	ck_assert_int_eq(status_of(client_req(&b, "GET", path, NULL, 0)), 404);
	ck_assert_int_eq(status_of(post_stock(&b, pid, body)), 404);
	/* B's own item id in the path does not reach A's SKU either. */
	{
		char bcode[64];
		long long bpid = give_product(sidb, "SUN", bcode, sizeof(bcode), NULL);

		ck_assert_int_eq(status_of(post_stock(&b, bpid, body)), 404);
	}
	snprintf(path, sizeof(path), "/seller/items/%lld/stock", pid);
	ck_assert_int_eq(status_of(client_browse(&b, "GET", path, NULL)), 404);
	snprintf(form, sizeof(form), "csrf=%s&sku=%s&warehouse=east&mode=set&quantity=0&reason=x", b.csrf, code);
	ck_assert_int_eq(status_of(client_browse(&b, "POST", path, form)), 404);
	/* Not a seller: 403; signed out: sent to sign in or refused. */
	memset(&shopper, 0, sizeof(shopper));
	ck_assert_int_eq(client_signup(&shopper, "Sue Shopper", fresh_email("shopper"), PW), 0);
	ck_assert_int_eq(status_of(post_stock(&shopper, pid, body)), 403);
	ck_assert_int_eq(status_of(client_browse(&shopper, "GET", path, NULL)), 403);
	{
		struct hresp *r = http_get(path);

		ck_assert(r->status == 302 || r->status == 303 || r->status == 401 || r->status == 403);
		hresp_free(r);
	}
	ck_assert_int_eq(avail_of(sku, 1), east);
	ck_assert_int_eq(avail_of(sku, 2), west);
	ck_assert_int_eq(moves_of(sku), moves);
}
END_TEST

/* ---- the race: checkouts and adjustments on one SKU ---- */

struct buyer {
	struct client cl;
	long long amount;
	char key[64];
	long status;
};

static void *buy(void *p)
{
	struct buyer *b = p;
	char body[600], cookie[300], token[200], idem[120];
	const char *h[] = { "Content-Type: application/json", "Accept: application/json", cookie, token, idem, NULL };
	struct hresp *r;

	snprintf(body, sizeof(body), "{" ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
		 "\"paymentMethod\":\"pm_card_visa\"}", b->amount);
	snprintf(cookie, sizeof(cookie), "Cookie: %s", b->cl.cookie);
	snprintf(token, sizeof(token), "X-CSRF-Token: %s", b->cl.csrf);
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", b->key);
	r = http("POST", "/api/checkout", body, h);
	b->status = r->status;
	hresp_free(r);
	return NULL;
}

struct adjuster {
	struct client *cl;
	long long pid;
	const char *code;
	int n, ok, conflicts, other;
	unsigned seed;
};

static void *adjust(void *p)
{
	struct adjuster *ad = p;
	char body[300];

	for (int i = 0; i < ad->n; i++) {
		int k = (int)(rand_r(&ad->seed) % 4);
		struct hresp *r;

		if (k == 0)
			snprintf(body, sizeof(body), "{\"sku\":\"%s\",\"set\":%d,\"reason\":\"race set\"}", ad->code,
				 (int)(rand_r(&ad->seed) % 4));
		else
			snprintf(body, sizeof(body), "{\"sku\":\"%s\",\"delta\":%d,\"reason\":\"race adjust\"}", ad->code,
				 k == 1 ? 2 : -1);
		r = post_stock(ad->cl, ad->pid, body);
		if (r->status == 200)
			ad->ok++;
		else if (r->status == 409)
			ad->conflicts++;
		else
			ad->other++;
		hresp_free(r);
	}
	return NULL;
}

START_TEST(race_with_checkouts)
{
	enum { NBUY = 24, NADJ = 3, PER = 15 };
	struct client seller;
	long long sid = seller_new(&seller, "stock", NULL), sku, pid, initial, sold, movesum, move0;
	char code[64];
	struct buyer *bs = calloc(NBUY, sizeof(*bs));
	struct adjuster ads[NADJ];
	pthread_t tb[NBUY], ta[NADJ];
	int ok = 0, short_ = 0;

	pid = give_product(sid, "HOM", code, sizeof(code), &sku);
	/* 6 units, all in east; the buyers want 24. */
	set_stock_only(sku, 1, 6, "test_seller_stock: 6 units for the race");
	for (int i = 0; i < NBUY; i++) {
		if (i % 8 == 0)
			clear_ip_throttles();
		ck_assert_int_eq(client_signup(&bs[i].cl, "Race Buyer", fresh_email("race"), PW), 0);
		cart_put(&bs[i].cl, code, 1);
		bs[i].amount = checkout_amount(&bs[i].cl);
		snprintf(bs[i].key, sizeof(bs[i].key), "race-%d-%d-%u", (int)getpid(), i, randombytes_random());
	}
	/* The baseline, before the race it judges: the units and the last
	 * movement so far (setting the 6 units above recorded its own). */
	initial = sql_scalarf("SELECT SUM(available + reserved + committed) FROM inventory WHERE sku_id = %lld", sku);
	ck_assert_int_ge(initial, 6);
	move0 = sql_scalar("SELECT COALESCE(MAX(id), 0) FROM stock_movements");
	ck_assert_int_ge(move0, 0);
	for (int i = 0; i < NADJ; i++) {
		ads[i] = (struct adjuster){ &seller, pid, code, PER, 0, 0, 0, 1234u + (unsigned)i };
		ck_assert_int_eq(pthread_create(&ta[i], NULL, adjust, &ads[i]), 0);
	}
	for (int i = 0; i < NBUY; i++)
		ck_assert_int_eq(pthread_create(&tb[i], NULL, buy, &bs[i]), 0);
	for (int i = 0; i < NBUY; i++)
		pthread_join(tb[i], NULL);
	for (int i = 0; i < NADJ; i++)
		pthread_join(ta[i], NULL);
	for (int i = 0; i < NBUY; i++) {
		ok += bs[i].status == 201;
		short_ += bs[i].status == 409;
		ck_assert_msg(bs[i].status == 201 || bs[i].status == 409, "buyer %d: %ld", i, bs[i].status);
	}
	for (int i = 0; i < NADJ; i++)
		ck_assert_msg(ads[i].other == 0, "adjuster %d: %d unexpected answers", i, ads[i].other);
	ck_assert_int_gt(ok, 0);

	/* Nothing negative; every unit accounted for: what there was plus every
	 * recorded movement is what is on the shelf, held or sold. */
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM inventory WHERE sku_id = %lld AND "
				 "(available < 0 OR reserved < 0 OR committed < 0)", sku), 0);
	movesum = sql_scalarf("SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE sku_id = %lld AND id > %lld",
			      sku, move0);
	ck_assert_int_eq(initial + movesum,
			 sql_scalarf("SELECT SUM(available + reserved + committed) FROM inventory WHERE sku_id = %lld", sku));
	/* No more sold than was ever there: the units in committed holds are
	 * the orders confirmed, and each confirmed order has one. */
	sold = sql_scalarf("SELECT COALESCE(SUM(quantity), 0) FROM holds WHERE sku_id = %lld AND state = 'committed'", sku);
	ck_assert_int_eq(sold, ok);
	ck_assert_int_eq(sql_scalarf("SELECT SUM(committed) FROM inventory WHERE sku_id = %lld", sku), sold);
	ck_assert_int_le(sold, initial + sql_scalarf("SELECT COALESCE(SUM(delta), 0) FROM stock_movements "
						 "WHERE sku_id = %lld AND delta > 0 AND id > %lld", sku, move0));
	/* The movements chain: each one's available_after is the next one's
	 * starting point only through checkouts, so each is at least 0. */
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld AND available_after < 0", sku), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld", sku),
			 sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE sku_id = %lld AND delta <> 0", sku));
	/* The read model agrees with the rows once the last writer is done. */
	ck_assert(storefront_shows(pid, sql_scalarf("SELECT SUM(available) FROM inventory WHERE sku_id = %lld", sku)));
	fprintf(stderr, "race: %d orders, %d short, adjustments %d ok / %d refused below zero\n", ok, short_,
		ads[0].ok + ads[1].ok + ads[2].ok, ads[0].conflicts + ads[1].conflicts + ads[2].conflicts);
	free(bs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seller_stock");
	TCase *t = tcase_create("seller_stock");

	harness_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_set_timeout(t, 300);
	tcase_add_test(t, api_set_and_adjust);
	tcase_add_test(t, api_bad_input_changes_nothing);
	tcase_add_test(t, page_form);
	tcase_add_test(t, isolation);
	tcase_add_test(t, race_with_checkouts);
	suite_add_tcase(s, t);
	return run_suite(s);
}
