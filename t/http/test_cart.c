/* t/http: the cart (issue 4) against the real stack: guest carts in Redis,
 * signed-in carts in MariaDB, merge at sign-in, price snapshots, the soft
 * stock check, limits and bad input (each refusal checked to change
 * nothing), concurrency, the HTML forms, and the abandoned-cart purge.
 *
 * Tests that change the catalog (prices, stock, status) use their own SKUs
 * and put the rows back in teardown, since the suites share one stack. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "../../app/core/arena.h"
#include "../../app/core/config.h"
#include "../../app/store/db.h"
#include "../../app/cart/cart.h"

#define PW "correct horse battery"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.800s", (s), (r)->body)
/* Absent from an answer that came and is no server error (a 500 page lacks
 * everything). */
#define LACKS(r, s) ck_assert_msg((r)->status > 0 && (r)->status < 500 && strstr((r)->body, (s)) == NULL, \
				"status %ld, body must not have %s: %.600s", (r)->status, (s), (r)->body)

/* Demo SKUs (data/demo/products.json): A..E are only read; the mutable
 * ones have their price, stock or status changed and restored. */
#define SKU_A "BEA-ESS-ESS-001"
#define SKU_B "BEA-GLA-EYE-002"
#define SKU_C "BEA-VEL-POW-003"
#define SKU_D "BEA-CHI-LIP-004"
#define SKU_PRICE "FRA-CAL-CAL-006"	/* price changed by a test */
#define SKU_STOCK "FRA-CHA-CHA-007"	/* stock lowered by a test */
#define SKU_OFF "FRA-DIO-DIO-008"	/* deactivated by a test */

/* ---- helpers ---- */

static void guest(struct client *cl)
{
	memset(cl, 0, sizeof(*cl));
	ck_assert_int_eq(client_session(cl), 0);
}

static long long user(struct client *cl, char *email_out, size_t n)
{
	char email[128], q[256];

	memset(cl, 0, sizeof(*cl));
	snprintf(email, sizeof(email), "%s", fresh_email("cart"));
	ck_assert_int_eq(client_signup(cl, "Carla Cart", email, PW), 0);
	if (email_out)
		snprintf(email_out, n, "%s", email);
	snprintf(q, sizeof(q), "SELECT id FROM users WHERE email = '%s'", email);
	return sql_scalar(q);
}

/* A cart API call with optional If-Match; the CSRF header on writes. */
static struct hresp *cart_call(struct client *cl, const char *method, const char *path,
			       const char *body, const char *if_match)
{
	char cookie[300], token[200], im[64];
	const char *h[6];
	int n = 0;

	h[n++] = "Content-Type: application/json";
	h[n++] = "Accept: application/json";
	snprintf(cookie, sizeof(cookie), "Cookie: %s", cl->cookie);
	if (cl->cookie[0])
		h[n++] = cookie;
	snprintf(token, sizeof(token), "X-CSRF-Token: %s", cl->csrf);
	if (strcmp(method, "GET"))
		h[n++] = token;
	snprintf(im, sizeof(im), "If-Match: %s", if_match ? if_match : "");
	if (if_match)
		h[n++] = im;
	h[n] = NULL;
	return http(method, path, body, h);
}

static struct hresp *patch(struct client *cl, const char *sku, const char *qty)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":%s}", sku, qty);
	return cart_call(cl, "PATCH", "/api/cart", body, NULL);
}

static void patch_ok(struct client *cl, const char *sku, int qty)
{
	char q[16];
	struct hresp *r;

	snprintf(q, sizeof(q), "%d", qty);
	r = patch(cl, sku, q);
	ck_assert_msg(r->status == 200, "PATCH %s %d: %ld %s", sku, qty, r->status, r->body);
	hresp_free(r);
}

/* The cart as JSON (new reference). */
static json_t *get_cart(struct client *cl)
{
	struct hresp *r = cart_call(cl, "GET", "/api/cart", NULL, NULL);
	json_t *j;

	ck_assert_msg(r->status == 200, "GET /api/cart: %ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_ptr_nonnull(j);
	hresp_free(r);
	return j;
}

/* The line for sku, or NULL (borrowed from cart). */
static json_t *line_of(json_t *cart, const char *sku)
{
	size_t i;
	json_t *l;

	json_array_foreach(json_object_get(cart, "items"), i, l)
		if (!strcmp(json_string_value(json_object_get(l, "itemId")), sku))
			return l;
	return NULL;
}

static long long qty_of(struct client *cl, const char *sku)
{
	json_t *c = get_cart(cl), *l = line_of(c, sku);
	long long q = l ? json_integer_value(json_object_get(l, "quantity")) : 0;

	json_decref(c);
	return q;
}

static long long field(json_t *o, const char *name)
{
	return json_integer_value(json_object_get(o, name));
}

/* Version and unit count, to prove a refusal changed nothing. */
struct snap {
	long long version, count, lines;
};

static struct snap snap_of(struct client *cl)
{
	json_t *c = get_cart(cl);
	struct snap s = { field(c, "version"), field(c, "count"), field(c, "lines") };

	json_decref(c);
	return s;
}

static void same(struct client *cl, struct snap before)
{
	struct snap now = snap_of(cl);

	ck_assert_int_eq(now.version, before.version);
	ck_assert_int_eq(now.count, before.count);
	ck_assert_int_eq(now.lines, before.lines);
}

static void expect(struct client *cl, const char *sku, const char *qty, long status, const char *msg)
{
	struct snap before = snap_of(cl);
	struct hresp *r = patch(cl, sku, qty);

	ck_assert_msg(r->status == status, "PATCH %s %s: want %ld, got %ld %s", sku, qty, status,
		      r->status, r->body);
	if (msg)
		HAS(r, msg);
	hresp_free(r);
	same(cl, before);
}

/* Saved stock of the mutable SKUs, restored in teardown. */
static long long saved_price, saved_east, saved_west;

static void setup(void)
{
	clear_ip_throttles();
	saved_price = sql_scalar("SELECT price FROM skus WHERE code = '" SKU_PRICE "'");
	saved_east = sql_scalar("SELECT available FROM inventory i JOIN skus s ON s.id = i.sku_id "
				"WHERE s.code = '" SKU_STOCK "' AND i.warehouse_id = 1");
	saved_west = sql_scalar("SELECT available FROM inventory i JOIN skus s ON s.id = i.sku_id "
				"WHERE s.code = '" SKU_STOCK "' AND i.warehouse_id = 2");
}

static void teardown(void)
{
	char q[512];

	snprintf(q, sizeof(q), "UPDATE skus SET price = %lld WHERE code = '" SKU_PRICE "'", saved_price);
	sql_exec(q);
	if (saved_east >= 0)
		set_stock(SKU_STOCK, 1, saved_east, "test_cart: restore");
	if (saved_west >= 0)
		set_stock(SKU_STOCK, 2, saved_west, "test_cart: restore");
	sql_exec("UPDATE skus SET status = 'active' WHERE code = '" SKU_OFF "'");
	resync_read_model();
}

/* Sets SKU_STOCK's units: n in the east warehouse, none in the west (through
 * the shop's inventory code, with the stock movements). */
static void stock_to(long long n)
{
	set_stock(SKU_STOCK, 1, n, "test_cart: stock for the test");
	if (saved_west >= 0)
		set_stock(SKU_STOCK, 2, 0, "test_cart: stock for the test");
}

/* ---- the API contract ---- */

START_TEST(patch_returns_whole_cart)
{
	struct client g;
	struct hresp *r;
	json_t *c, *l;
	char etag[64];

	guest(&g);
	r = patch(&g, SKU_A, "2");
	ck_assert_int_eq(r->status, 200);
	c = hresp_json(r);
	l = line_of(c, SKU_A);
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(field(l, "quantity"), 2);
	ck_assert_int_eq(field(l, "unitPrice"), 999);
	ck_assert_int_eq(field(l, "addedPrice"), 999);
	ck_assert_int_eq(field(l, "lineTotal"), 1998);
	ck_assert_str_eq(json_string_value(json_object_get(l, "title")), "Essence Mascara Lash Princess");
	ck_assert_str_eq(json_string_value(json_object_get(l, "status")), "in_stock");
	ck_assert_int_eq(field(c, "count"), 2);
	ck_assert_int_eq(field(c, "subtotal"), 1998);
	ck_assert_str_eq(json_string_value(json_object_get(c, "currency")), "USD");
	snprintf(etag, sizeof(etag), "\"%lld\"", field(c, "version"));
	ck_assert_str_eq(hresp_header(r, "ETag"), etag);
	ck_assert_str_eq(hresp_header(r, "Cache-Control"), "no-store");
	json_decref(c);
	hresp_free(r);

	/* A second SKU; then 0 removes a line; PATCH sets, never adds. */
	patch_ok(&g, SKU_B, 1);
	patch_ok(&g, SKU_A, 3);
	ck_assert_int_eq(qty_of(&g, SKU_A), 3);
	r = patch(&g, SKU_A, "0");
	ck_assert_int_eq(r->status, 200);
	c = hresp_json(r);
	ck_assert_ptr_null(line_of(c, SKU_A));
	ck_assert_int_eq(field(c, "lines"), 1);
	json_decref(c);
	hresp_free(r);
	/* Removing what is not there is not an error. */
	patch_ok(&g, SKU_A, 0);

	/* DELETE empties it and answers the empty cart. */
	r = cart_call(&g, "DELETE", "/api/cart", NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	c = hresp_json(r);
	ck_assert_int_eq(field(c, "lines"), 0);
	ck_assert_int_eq(field(c, "count"), 0);
	json_decref(c);
	hresp_free(r);
}
END_TEST

START_TEST(add_increments)
{
	struct client g;
	struct hresp *r;

	guest(&g);
	r = cart_call(&g, "POST", "/api/cart/items", "{\"itemId\":\"" SKU_A "\",\"quantity\":2}", NULL);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	r = cart_call(&g, "POST", "/api/cart/items", "{\"itemId\":\"" SKU_A "\"}", NULL);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	ck_assert_int_eq(qty_of(&g, SKU_A), 3);
}
END_TEST

START_TEST(no_session_empty_cart)
{
	struct hresp *r = http_get_json("/api/cart");
	json_t *c = hresp_json(r);

	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(field(c, "lines"), 0);
	ck_assert_ptr_null(hresp_header(r, "Set-Cookie"));	/* reading makes no session */
	json_decref(c);
	hresp_free(r);
}
END_TEST

/* ---- bad input: a clear 4xx and no change ---- */

static void bad_input_for(struct client *cl)
{
	struct snap before;
	struct hresp *r;

	patch_ok(cl, SKU_A, 1);
	expect(cl, SKU_A, "-1", 400, "quantity");
	expect(cl, SKU_A, "\"abc\"", 400, "quantity");
	expect(cl, SKU_A, "1.5", 400, "quantity");
	expect(cl, SKU_A, "100", 400, "quantity");
	expect(cl, SKU_A, "\"\"", 400, "quantity");
	expect(cl, "NO-SUCH-SKU", "1", 422, "no item with the SKU code NO-SUCH-SKU");
	expect(cl, "", "1", 400, "itemId");

	before = snap_of(cl);
	r = cart_call(cl, "PATCH", "/api/cart", "{\"quantity\":1}", NULL);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "itemId");
	hresp_free(r);
	r = cart_call(cl, "PATCH", "/api/cart", "{\"itemId\":\"" SKU_A "\"}", NULL);
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	r = cart_call(cl, "PATCH", "/api/cart", "{not json", NULL);
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	/* No CSRF token: 403. */
	{
		char cookie[300];
		const char *h[] = { "Content-Type: application/json", "Accept: application/json", cookie, NULL };

		snprintf(cookie, sizeof(cookie), "Cookie: %s", cl->cookie);
		r = http("PATCH", "/api/cart", "{\"itemId\":\"" SKU_A "\",\"quantity\":5}", h);
		ck_assert_int_eq(r->status, 403);
		hresp_free(r);
		r = http("DELETE", "/api/cart", NULL, h);
		ck_assert_int_eq(r->status, 403);
		hresp_free(r);
	}
	/* A bad If-Match. */
	r = cart_call(cl, "PATCH", "/api/cart", "{\"itemId\":\"" SKU_A "\",\"quantity\":5}", "\"v-one\"");
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	same(cl, before);
}

START_TEST(bad_input_guest)
{
	struct client g;

	guest(&g);
	bad_input_for(&g);
}
END_TEST

START_TEST(bad_input_user)
{
	struct client u;

	user(&u, NULL, 0);
	bad_input_for(&u);
}
END_TEST

START_TEST(inactive_sku)
{
	struct client g;
	json_t *c, *l;

	guest(&g);
	patch_ok(&g, SKU_OFF, 2);
	ck_assert_int_eq(sql_exec("UPDATE skus SET status = 'inactive' WHERE code = '" SKU_OFF "'"), 0);
	/* Flagged in the cart, not dropped; not counted in the subtotal. */
	c = get_cart(&g);
	l = line_of(c, SKU_OFF);
	ck_assert_ptr_nonnull(l);
	ck_assert_str_eq(json_string_value(json_object_get(l, "status")), "unavailable");
	ck_assert_int_eq(field(c, "problems"), 1);
	ck_assert_int_eq(field(c, "subtotal"), 0);
	json_decref(c);
	/* Cannot be added or raised; can be removed. */
	expect(&g, SKU_OFF, "3", 422, "not available any more");
	patch_ok(&g, SKU_OFF, 0);
	expect(&g, SKU_OFF, "1", 422, "not available any more");
}
END_TEST

/* ---- limits ---- */

START_TEST(per_line_maximum)
{
	struct client u;
	struct hresp *r;
	struct snap before;

	user(&u, NULL, 0);
	patch_ok(&u, SKU_A, 98);
	before = snap_of(&u);
	r = cart_call(&u, "POST", "/api/cart/items", "{\"itemId\":\"" SKU_A "\",\"quantity\":2}", NULL);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "at most 99");
	hresp_free(r);
	same(&u, before);
	r = cart_call(&u, "POST", "/api/cart/items", "{\"itemId\":\"" SKU_A "\",\"quantity\":1}", NULL);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	ck_assert_int_eq(qty_of(&u, SKU_A), 99);
}
END_TEST

START_TEST(line_limit)
{
	struct client g;
	struct hresp *r;
	struct snap before;
	json_t *j;
	int added = 0;

	/* Every in-stock active SKU's code comes from the item API, walking
	 * product ids. */
	guest(&g);
	/* Simpler and independent of categories: every active SKU with stock,
	 * taken from the database by code. */
	{
		long long total = sql_scalar("SELECT COUNT(*) FROM skus s WHERE s.status = 'active' AND "
					     "(SELECT SUM(available) FROM inventory WHERE sku_id = s.id) > 0");

		ck_assert_int_gt(total, CART_MAX_LINES);
	}
	for (long long pid = 1; added < CART_MAX_LINES && pid < 400; pid++) {
		char q[300], sku[80];
		long long ok;

		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM skus s WHERE s.product_id = %lld AND s.status = 'active' "
			 "AND s.code NOT IN ('" SKU_PRICE "', '" SKU_STOCK "', '" SKU_OFF "') AND "
			 "(SELECT SUM(available) FROM inventory WHERE sku_id = s.id) > 0", pid);
		ok = sql_scalar(q);
		if (!ok)
			continue;
		snprintf(sku, sizeof(sku), "/api/items/%lld", pid);
		r = http_get_json(sku);
		j = hresp_json(r);
		if (r->status == 200 && json_string_value(json_object_get(j, "sku"))) {
			struct hresp *p = patch(&g, json_string_value(json_object_get(j, "sku")), "1");

			ck_assert_msg(p->status == 200, "line %d: %ld %s", added + 1, p->status, p->body);
			hresp_free(p);
			added++;
		}
		json_decref(j);
		hresp_free(r);
	}
	ck_assert_int_eq(added, CART_MAX_LINES);
	before = snap_of(&g);
	ck_assert_int_eq(before.lines, CART_MAX_LINES);
	r = patch(&g, SKU_STOCK, "1");
	ck_assert_int_eq(r->status, 422);
	HAS(r, "at most 100 different items");
	hresp_free(r);
	same(&g, before);
	/* Changing a line that is there still works. */
	patch_ok(&g, SKU_A, 2);
}
END_TEST

/* ---- the soft stock check ---- */

START_TEST(stock_check)
{
	struct client g;
	struct hresp *r;
	json_t *j, *c, *l;
	struct snap before;

	guest(&g);
	stock_to(3);
	patch_ok(&g, SKU_STOCK, 2);
	before = snap_of(&g);
	r = patch(&g, SKU_STOCK, "4");
	ck_assert_int_eq(r->status, 409);
	HAS(r, "only 3 of");
	HAS(r, "you have 2 in your cart");
	j = hresp_json(r);
	ck_assert_int_eq(field(json_object_get(j, "error"), "available"), 3);
	json_decref(j);
	hresp_free(r);
	same(&g, before);

	/* Stock falls below the line: flagged, and lowering still works. */
	stock_to(1);
	c = get_cart(&g);
	l = line_of(c, SKU_STOCK);
	ck_assert_str_eq(json_string_value(json_object_get(l, "status")), "insufficient_stock");
	ck_assert_int_eq(field(l, "available"), 1);
	ck_assert_int_eq(field(c, "problems"), 1);
	json_decref(c);
	patch_ok(&g, SKU_STOCK, 1);

	/* Out of stock: kept and flagged, never silently dropped. */
	stock_to(0);
	c = get_cart(&g);
	l = line_of(c, SKU_STOCK);
	ck_assert_ptr_nonnull(l);
	ck_assert_str_eq(json_string_value(json_object_get(l, "status")), "out_of_stock");
	json_decref(c);
	expect(&g, SKU_STOCK, "2", 409, "out of stock");
}
END_TEST

/* ---- price snapshots ---- */

START_TEST(price_change_notice)
{
	struct client u;
	struct hresp *r;
	json_t *c, *l;
	long long old = saved_price, now = saved_price + 250;
	char q[256];

	user(&u, NULL, 0);
	patch_ok(&u, SKU_PRICE, 2);
	snprintf(q, sizeof(q), "UPDATE skus SET price = %lld WHERE code = '" SKU_PRICE "'", now);
	ck_assert_int_eq(sql_exec(q), 0);

	c = get_cart(&u);
	l = line_of(c, SKU_PRICE);
	ck_assert(json_is_true(json_object_get(l, "priceChanged")));
	ck_assert_int_eq(field(l, "unitPrice"), now);
	ck_assert_int_eq(field(l, "addedPrice"), old);
	ck_assert_int_eq(field(l, "lineTotal"), 2 * now);
	ck_assert_int_eq(field(c, "priceChanges"), 1);
	json_decref(c);

	/* Changing the quantity keeps the snapshot: the notice stays until the
	 * shopper accepts. */
	patch_ok(&u, SKU_PRICE, 3);
	c = get_cart(&u);
	ck_assert_int_eq(field(line_of(c, SKU_PRICE), "addedPrice"), old);
	json_decref(c);

	/* The page shows both prices and the notice. */
	r = client_browse(&u, "GET", "/cart", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "has changed since you added it");
	HAS(r, "Price went up");
	HAS(r, "$49.99");	/* the old price, struck through */
	HAS(r, "$52.49");	/* the new one */
	HAS(r, "Accept the new prices");
	hresp_free(r);

	r = cart_call(&u, "POST", "/api/cart/accept-prices", NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	c = hresp_json(r);
	ck_assert(json_is_false(json_object_get(line_of(c, SKU_PRICE), "priceChanged")));
	ck_assert_int_eq(field(line_of(c, SKU_PRICE), "addedPrice"), now);
	ck_assert_int_eq(field(c, "priceChanges"), 0);
	json_decref(c);
	hresp_free(r);
}
END_TEST

START_TEST(price_change_guest_accept_form)
{
	struct client g;
	struct hresp *r;
	char q[256];

	guest(&g);
	patch_ok(&g, SKU_PRICE, 1);
	snprintf(q, sizeof(q), "UPDATE skus SET price = %lld WHERE code = '" SKU_PRICE "'", saved_price - 500);
	ck_assert_int_eq(sql_exec(q), 0);
	r = client_browse(&g, "GET", "/cart", NULL);
	HAS(r, "Price went down");
	hresp_free(r);
	{
		char form[200];

		snprintf(form, sizeof(form), "csrf=%s", g.csrf);
		r = client_browse(&g, "POST", "/cart/accept-prices", form);
		ck_assert_int_eq(r->status, 303);
		hresp_free(r);
	}
	r = client_browse(&g, "GET", "/cart", NULL);
	ck_assert_int_eq(r->status, 200);
	LACKS(r, "Price went down");
	HAS(r, "uses the current prices");
	hresp_free(r);
}
END_TEST

/* ---- merge at sign-in ---- */

START_TEST(merge_keeps_higher_and_clamps)
{
	struct client u, g;
	char email[128];
	struct hresp *r;
	json_t *c;

	user(&u, email, sizeof(email));
	patch_ok(&u, SKU_A, 2);
	patch_ok(&u, SKU_B, 1);
	stock_to(10);
	patch_ok(&u, SKU_STOCK, 6);
	stock_to(4);			/* the saved line is now over stock */

	guest(&g);
	patch_ok(&g, SKU_A, 5);		/* higher than saved: wins */
	patch_ok(&g, SKU_C, 1);		/* only in the guest cart */
	patch_ok(&g, SKU_STOCK, 1);	/* lower than saved (6), clamped to 4 */

	ck_assert_int_eq(client_signin(&g, email, PW), 0);
	r = cart_call(&g, "GET", "/api/cart", NULL, NULL);
	c = hresp_json(r);
	hresp_free(r);
	ck_assert_int_eq(field(line_of(c, SKU_A), "quantity"), 5);
	ck_assert_int_eq(field(line_of(c, SKU_B), "quantity"), 1);
	ck_assert_int_eq(field(line_of(c, SKU_C), "quantity"), 1);
	ck_assert_int_eq(field(line_of(c, SKU_STOCK), "quantity"), 4);
	ck_assert_int_eq(field(c, "lines"), 4);
	json_decref(c);

	/* The other browser of the same person sees the merged cart. */
	ck_assert_int_eq(qty_of(&u, SKU_A), 5);

	/* Signing in again with an empty guest cart changes nothing. */
	{
		struct client h;

		guest(&h);
		ck_assert_int_eq(client_signin(&h, email, PW), 0);
		c = get_cart(&h);
		ck_assert_int_eq(field(c, "lines"), 4);
		ck_assert_int_eq(field(line_of(c, SKU_A), "quantity"), 5);
		json_decref(c);
	}
}
END_TEST

START_TEST(merge_message_api_and_page)
{
	struct client u, g, b;
	char email[128], body[400];
	struct hresp *r;
	json_t *j;
	const char *msg;

	user(&u, email, sizeof(email));
	patch_ok(&u, SKU_B, 1);
	patch_ok(&u, SKU_D, 2);

	/* Over the API: the sign-in answer says what changed. */
	guest(&g);
	patch_ok(&g, SKU_A, 1);
	patch_ok(&g, SKU_D, 1);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", email, PW);
	r = client_req(&g, "POST", "/api/session", body, 1);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	msg = json_string_value(json_object_get(j, "cartMessage"));
	ck_assert_ptr_nonnull(msg);
	ck_assert_msg(strstr(msg, "1 item from your earlier visit was added"), "%s", msg);
	ck_assert_msg(strstr(msg, "we kept the larger quantity, 2"), "%s", msg);
	json_decref(j);
	hresp_free(r);

	/* In the browser: a form sign-in, then the message on the next page. */
	memset(&b, 0, sizeof(b));
	r = client_browse(&b, "GET", "/signin", NULL);
	hresp_free(r);
	client_session(&b);
	patch_ok(&b, SKU_C, 1);
	snprintf(body, sizeof(body), "csrf=%s&email=%s&password=correct+horse+battery", b.csrf, email);
	r = client_browse(&b, "POST", "/signin", body);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	r = client_browse(&b, "GET", "/cart", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "from your earlier visit were added");
	hresp_free(r);
	/* Shown once. */
	r = client_browse(&b, "GET", "/cart", NULL);
	ck_assert_int_eq(r->status, 200);
	LACKS(r, "from your earlier visit");
	hresp_free(r);
}
END_TEST

/* ---- durability ---- */

START_TEST(redis_flush_keeps_signed_in_cart)
{
	struct client u, g;
	char email[128];

	user(&u, email, sizeof(email));
	patch_ok(&u, SKU_A, 4);
	guest(&g);
	patch_ok(&g, SKU_B, 2);
	redis_cmd("FLUSHALL");
	/* The guest is a stranger again: no cart. */
	{
		struct hresp *r = cart_call(&g, "GET", "/api/cart", NULL, NULL);
		json_t *c = hresp_json(r);

		ck_assert_int_eq(field(c, "lines"), 0);
		json_decref(c);
		hresp_free(r);
	}
	/* The signed-in shopper signs in again and finds the cart. */
	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(client_signin(&u, email, PW), 0);
	ck_assert_int_eq(qty_of(&u, SKU_A), 4);
}
END_TEST

START_TEST(two_browsers_one_cart)
{
	struct client a, b;
	char email[128];

	user(&a, email, sizeof(email));
	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(client_signin(&b, email, PW), 0);
	patch_ok(&a, SKU_A, 3);
	ck_assert_int_eq(qty_of(&b, SKU_A), 3);
	patch_ok(&b, SKU_B, 1);
	patch_ok(&b, SKU_A, 1);
	ck_assert_int_eq(qty_of(&a, SKU_A), 1);
	ck_assert_int_eq(qty_of(&a, SKU_B), 1);
}
END_TEST

/* ---- concurrency ---- */

#define PAR 50

struct racer {
	struct client *cl;
	const char *method, *path, *body, *if_match;
	long status;
};

static void *race(void *p)
{
	struct racer *r = p;
	struct hresp *h = cart_call(r->cl, r->method, r->path, r->body, r->if_match);

	r->status = h->status;
	hresp_free(h);
	return NULL;
}

static void race_all(struct racer *rs, int n)
{
	pthread_t t[PAR];

	for (int i = 0; i < n; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, race, &rs[i]), 0);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* 50 parallel "+1" on one line: every one lands, or is refused cleanly
 * (and then does not count). */
static void plus_one_race(struct client *cl)
{
	struct racer rs[PAR];
	int ok = 0;

	patch_ok(cl, SKU_A, 0);
	for (int i = 0; i < PAR; i++)
		rs[i] = (struct racer){ cl, "POST", "/api/cart/items",
					"{\"itemId\":\"" SKU_A "\",\"quantity\":1}", NULL, 0 };
	race_all(rs, PAR);
	for (int i = 0; i < PAR; i++) {
		ck_assert_msg(rs[i].status == 200 || rs[i].status == 409 || rs[i].status == 503,
			      "racer %d: %ld", i, rs[i].status);
		ok += rs[i].status == 200;
	}
	ck_assert_int_gt(ok, 0);
	ck_assert_int_eq(qty_of(cl, SKU_A), ok);
}

START_TEST(parallel_plus_one_guest)
{
	struct client g;

	guest(&g);
	plus_one_race(&g);
}
END_TEST

START_TEST(parallel_plus_one_user)
{
	struct client u;

	user(&u, NULL, 0);
	plus_one_race(&u);
}
END_TEST

/* Read-modify-write clients with If-Match: of 20 PATCHes computed from one
 * version, exactly one wins; the rest get 412 and change nothing. */
static void if_match_race(struct client *cl)
{
	struct racer rs[20];
	char etag[32], bodies[20][96];
	json_t *c;
	int won = 0;

	patch_ok(cl, SKU_A, 1);
	c = get_cart(cl);
	snprintf(etag, sizeof(etag), "\"%lld\"", field(c, "version"));
	json_decref(c);
	for (int i = 0; i < 20; i++) {
		snprintf(bodies[i], sizeof(bodies[i]), "{\"itemId\":\"" SKU_A "\",\"quantity\":%d}", i + 2);
		rs[i] = (struct racer){ cl, "PATCH", "/api/cart", bodies[i], etag, 0 };
	}
	race_all(rs, 20);
	for (int i = 0; i < 20; i++) {
		ck_assert_msg(rs[i].status == 200 || rs[i].status == 412, "racer %d: %ld", i, rs[i].status);
		if (rs[i].status == 200) {
			won++;
			ck_assert_int_eq(qty_of(cl, SKU_A), i + 2);
		}
	}
	ck_assert_int_eq(won, 1);
	/* A stale DELETE is refused too. */
	{
		struct hresp *r = cart_call(cl, "DELETE", "/api/cart", NULL, etag);

		ck_assert_int_eq(r->status, 412);
		hresp_free(r);
	}
}

START_TEST(if_match_guest)
{
	struct client g;

	guest(&g);
	if_match_race(&g);
}
END_TEST

START_TEST(if_match_user)
{
	struct client u;

	user(&u, NULL, 0);
	if_match_race(&u);
}
END_TEST

/* ---- the pages and forms ---- */

START_TEST(html_add_from_cached_page)
{
	struct client g;
	struct hresp *r;
	char origin[300], form[200];
	const char *h[] = { "Content-Type: application/x-www-form-urlencoded", origin, NULL };

	/* The product page a stranger gets carries the form, without a token. */
	r = http_get("/p/essence-mascara-lash-princess");
	ck_assert_int_eq(r->status, 200);
	HAS(r, "action=\"/cart/add\"");
	HAS(r, "value=\"" SKU_A "\"");
	LACKS(r, "name=\"csrf\"");
	hresp_free(r);

	/* Posted same-origin without a session: accepted, the session starts. */
	snprintf(origin, sizeof(origin), "Origin: %s", base_url());
	r = http("POST", "/cart/add", "itemId=" SKU_A "&quantity=2", h);
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(hresp_header(r, "Location"), "/cart");
	ck_assert_ptr_nonnull(hresp_header(r, "Set-Cookie"));
	hresp_free(r);

	/* Without Origin (nothing proves it is same-origin): refused. */
	h[1] = NULL;
	r = http("POST", "/cart/add", "itemId=" SKU_A "&quantity=2", h);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	/* From another site: refused. */
	{
		const char *x[] = { "Content-Type: application/x-www-form-urlencoded", "Origin: https://evil.example", NULL };

		r = http("POST", "/cart/add", "itemId=" SKU_A "&quantity=2", x);
		ck_assert_int_eq(r->status, 403);
		hresp_free(r);
	}

	/* With a session, the page carries the token and the form needs it. */
	guest(&g);
	r = client_browse(&g, "GET", "/p/essence-mascara-lash-princess", NULL);
	HAS(r, "name=\"csrf\"");
	hresp_free(r);
	r = client_browse(&g, "POST", "/cart/add", "itemId=" SKU_A "&quantity=2");
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&itemId=" SKU_A "&quantity=2", g.csrf);
	r = client_browse(&g, "POST", "/cart/add", form);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	r = client_browse(&g, "GET", "/cart", NULL);
	HAS(r, "Added 2 × Essence Mascara Lash Princess to your cart.");
	HAS(r, "<span class=\"cart-count\">2</span>");
	HAS(r, "Essence Mascara Lash Princess");
	HAS(r, "$19.98");
	hresp_free(r);
	/* The mini-cart is on every page. */
	r = client_browse(&g, "GET", "/", NULL);
	HAS(r, "<span class=\"cart-count\">2</span>");
	hresp_free(r);
}
END_TEST

START_TEST(html_stepper_and_remove)
{
	struct client g;
	struct hresp *r;
	char form[300];

	guest(&g);
	patch_ok(&g, SKU_A, 2);
	r = client_browse(&g, "GET", "/cart", NULL);
	HAS(r, "name=\"quantity\" value=\"3\"");	/* the + button */
	HAS(r, "name=\"quantity\" value=\"1\"");	/* the - button */
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&itemId=" SKU_A "&quantity=3", g.csrf);
	r = client_browse(&g, "POST", "/cart/update", form);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	ck_assert_int_eq(qty_of(&g, SKU_A), 3);

	/* Too many: the cart page again, with the reason, and no change. */
	stock_to(2);
	snprintf(form, sizeof(form), "csrf=%s&itemId=" SKU_STOCK "&quantity=5", g.csrf);
	r = client_browse(&g, "POST", "/cart/update", form);
	ck_assert_int_eq(r->status, 409);
	HAS(r, "only 2 of");
	hresp_free(r);
	ck_assert_int_eq(qty_of(&g, SKU_STOCK), 0);

	snprintf(form, sizeof(form), "csrf=%s&itemId=" SKU_A "&remove=1", g.csrf);
	r = client_browse(&g, "POST", "/cart/update", form);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	r = client_browse(&g, "GET", "/cart", NULL);
	HAS(r, "Your cart is empty");
	hresp_free(r);

	patch_ok(&g, SKU_B, 1);
	snprintf(form, sizeof(form), "csrf=%s", g.csrf);
	r = client_browse(&g, "POST", "/cart/clear", form);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	ck_assert_int_eq(snap_of(&g).lines, 0);
}
END_TEST

/* ---- abandoned carts ---- */

START_TEST(abandoned_carts_purged)
{
	struct client old, fresh;
	long long uold = user(&old, NULL, 0), ufresh = user(&fresh, NULL, 0);
	struct arena *a = arena_new(64 * 1024);
	struct db *db = NULL;
	char q[256];

	patch_ok(&old, SKU_A, 1);
	patch_ok(&fresh, SKU_A, 1);
	snprintf(q, sizeof(q), "UPDATE carts SET updated_at = NOW(3) - INTERVAL 31 DAY WHERE user_id = %lld", uold);
	ck_assert_int_eq(sql_exec(q), 0);
	snprintf(q, sizeof(q), "UPDATE carts SET updated_at = NOW(3) - INTERVAL 29 DAY WHERE user_id = %lld", ufresh);
	ck_assert_int_eq(sql_exec(q), 0);

	/* The job's batch, run here rather than waiting for `shopd jobs`. */
	ck_assert_int_eq(config_load(&config), E_OK);
	cart_init();
	ck_assert_int_eq(db_open(&db), E_OK);
	ck_assert_int_ge(cart_purge_batch(db, NULL, a), 0);
	db_close(db);
	arena_destroy(a);

	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM cart_items WHERE user_id = %lld", uold);
	ck_assert_int_eq(sql_scalar(q), 0);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM cart_items WHERE user_id = %lld", ufresh);
	ck_assert_int_eq(sql_scalar(q), 1);
	ck_assert_int_eq(qty_of(&old, SKU_A), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cart");
	TCase *t = tcase_create("cart");

	harness_init();
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, patch_returns_whole_cart);
	tcase_add_test(t, add_increments);
	tcase_add_test(t, no_session_empty_cart);
	tcase_add_test(t, bad_input_guest);
	tcase_add_test(t, bad_input_user);
	tcase_add_test(t, inactive_sku);
	tcase_add_test(t, per_line_maximum);
	tcase_add_test(t, line_limit);
	tcase_add_test(t, stock_check);
	tcase_add_test(t, price_change_notice);
	tcase_add_test(t, price_change_guest_accept_form);
	tcase_add_test(t, merge_keeps_higher_and_clamps);
	tcase_add_test(t, merge_message_api_and_page);
	tcase_add_test(t, redis_flush_keeps_signed_in_cart);
	tcase_add_test(t, two_browsers_one_cart);
	tcase_add_test(t, parallel_plus_one_guest);
	tcase_add_test(t, parallel_plus_one_user);
	tcase_add_test(t, if_match_guest);
	tcase_add_test(t, if_match_user);
	tcase_add_test(t, html_add_from_cached_page);
	tcase_add_test(t, html_stepper_and_remove);
	tcase_add_test(t, abandoned_carts_purged);
	suite_add_tcase(s, t);
	return run_suite(s);
}
