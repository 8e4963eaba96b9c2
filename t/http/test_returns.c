/* t/http: returns (issue 19) against the real stack and the sandbox
 * gateway: a shopper asks to return units of a delivered order (API and
 * form), the seller approves with an address and a label, the carrier's
 * scans follow the parcel, the seller receives it (restock or write-off)
 * and the refund runs at the gateway: exactly the right amount, once, with
 * the units back exactly once, even when the gateway's answer is lost (the
 * job retries with the same key) or the worker dies before the gateway
 * call. A rejected return changes no stock or money; the window and the
 * quantities are enforced; other shoppers and other sellers get 404; an
 * unanswered request escalates to the admins. A return carries photos
 * (the form and the API, through the image pipeline), shown only to the
 * shopper, its seller and admins, and kept by the media sweep. After
 * every test the stock and refund invariants are checked in SQL. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>
#include <sys/stat.h>
#include <sodium.h>
#include <vips/vips.h>
#include "harness.h"

#define PW "correct horse battery"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.1500s", (s), (r)->body)

static char gw_base[128], gw_key[128], carrier_secret[256];
static long long seller_a, seller_b, sku_a, sku_b, start_a, start_b;
static char code_a[64], code_b[64];
static char last_email[160];	/* the shopper delivered_order made */
static char seller_a_email[160];
static struct client sel_a, sel_b;
static int hold_b;	/* delivered_order leaves seller B's line unshipped */

/* ---- the gateway ---- */

static long long intent_num(const char *intent, const char *field)
{
	char auth[200], url[300];
	const char *h[] = { auth, NULL };
	struct hresp *r;
	json_t *j;
	long long v;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", gw_key);
	snprintf(url, sizeof(url), "%s/v1/payment_intents/%s", gw_base, intent);
	r = http_url("GET", url, NULL, h, NULL);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert_ptr_nonnull(j);
	v = json_integer_value(json_object_get(j, field));
	json_decref(j);
	hresp_free(r);
	return v;
}

/* ---- people and orders ---- */

static long long signup(struct client *cl, const char *tag, char *email, size_t n)
{
	char e[128];

	memset(cl, 0, sizeof(*cl));
	snprintf(e, sizeof(e), "%s", fresh_email(tag));
	ck_assert_int_eq(client_signup(cl, "Pat Person", e, PW), 0);
	if (email)
		snprintf(email, n, "%s", e);
	return sql_scalarf("SELECT id FROM users WHERE email = '%s'", e);
}

/* A seller account run by a new user, owning the product of sku. */
static long long make_seller(struct client *cl, const char *tag, long long sku, char *email, size_t n)
{
	long long uid = signup(cl, tag, email, n), sid;

	sql_execf("INSERT INTO sellers (slug, display_name, user_id) VALUES ('%s-%lld', 'Seller %s', %lld)", tag, uid, tag, uid);
	sql_execf("UPDATE users SET is_seller = 1 WHERE id = %lld", uid);
	ck_assert_int_eq(client_session(cl), 0);
	sid = sql_scalarf("SELECT id FROM sellers WHERE user_id = %lld", uid);
	sql_execf("UPDATE products SET seller_id = %lld WHERE id = (SELECT product_id FROM skus WHERE id = %lld)", sid, sku);
	return sid;
}

static struct hresp *api(struct client *cl, const char *method, const char *path, const char *body)
{
	return client_req(cl, method, path, body, 1);
}

/* A paid order of qa units of sku_a and qb of sku_b, shipped by its
 * sellers and delivered; its intent into intent. */
static long long delivered_order(struct client *shopper, int qa, int qb, char *intent, size_t n)
{
	static int k;
	char body[600], key[80], path[200];
	struct hresp *r;
	json_t *j;
	long long amount, oid;

	signup(shopper, "rtbuy", last_email, sizeof(last_email));
	if (qa)
		cart_put(shopper, code_a, qa);
	if (qb)
		cart_put(shopper, code_b, qb);
	amount = checkout_amount(shopper);
	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
		 "\"paymentMethod\":\"pm_card_visa\"}", amount);
	snprintf(key, sizeof(key), "rt-%d-%d-%u", (int)getpid(), ++k, randombytes_random());
	r = post_idem(shopper, "/api/checkout", body, key, NULL);
	ck_assert_msg(r->status == 201, "checkout: %ld %s", r->status, r->body);
	j = hresp_json(r);
	oid = json_integer_value(json_object_get(j, "id"));
	snprintf(intent, n, "%s", json_string_value(json_object_get(json_object_get(j, "payment"), "id")));
	json_decref(j);
	hresp_free(r);
	for (int s = 0; s < 2; s++) {
		struct client *sel = s ? &sel_b : &sel_a;
		long long sid, line = sql_scalarf("SELECT line_no FROM order_lines WHERE order_id = %lld AND seller_id = %lld",
						 oid, s ? seller_b : seller_a);

		if (line < 0 || (s && hold_b))
			continue;
		snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments", oid);
		snprintf(body, sizeof(body), "{\"lines\":[%lld],\"carrier\":\"UPS\",\"tracking\":\"1ZRT%lld%d%u\"}", line,
			 oid, s, randombytes_random() % 100000);
		r = api(sel, "POST", path, body);
		ck_assert_msg(r->status == 201, "ship: %ld %s", r->status, r->body);
		hresp_free(r);
		sid = sql_scalarf("SELECT id FROM shipments WHERE order_id = %lld AND seller_id = %lld", oid,
				  s ? seller_b : seller_a);
		snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments/%lld/delivered", oid, sid);
		r = api(sel, "POST", path, "{}");
		ck_assert_msg(r->status == 200, "deliver: %ld %s", r->status, r->body);
		hresp_free(r);
	}
	return oid;
}

/* POST /api/orders/{oid}/returns with body; the answer's status, its JSON
 * into *out (may be NULL). */
static long ask(struct client *cl, long long oid, const char *body, json_t **out)
{
	char path[100];
	struct hresp *r;
	long st;

	snprintf(path, sizeof(path), "/api/orders/%lld/returns", oid);
	r = api(cl, "POST", path, body);
	st = r->status;
	if (out)
		*out = hresp_json(r);
	hresp_free(r);
	return st;
}

static long long ask_ok(struct client *cl, long long oid, long long line, int q)
{
	char body[200];
	json_t *j = NULL;
	long long id;
	long st;

	snprintf(body, sizeof(body), "{\"lines\":[{\"line\":%lld,\"quantity\":%d}],\"reason\":\"It does not fit\"}", line, q);
	st = ask(cl, oid, body, &j);
	ck_assert_msg(st == 201, "ask: %ld %s", st, j ? json_dumps(j, 0) : "");
	id = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	ck_assert_int_gt(id, 0);
	return id;
}

/* A seller's POST on a return; the status. */
static long act(struct client *sel, long long rid, const char *what, const char *body, const char *extra)
{
	char path[120];
	struct hresp *r;
	long st;

	snprintf(path, sizeof(path), "/api/seller/returns/%lld/%s", rid, what);
	r = extra ? post_idem(sel, path, body, NULL, extra) : api(sel, "POST", path, body);
	st = r->status;
	if (st >= 500 || (st >= 400 && st != 404 && st != 409 && st != 422))
		fprintf(stderr, "%s %lld: %ld %s\n", what, rid, st, r->body);
	hresp_free(r);
	return st;
}

static const char *rstatus(long long rid)
{
	static char s[32];
	static const char *all[] = { "requested", "approved", "rejected", "in_transit", "received", "refunded",
				     "refund_failed", "cancelled", NULL };

	for (int i = 0; all[i]; i++)
		if (sql_scalarf("SELECT COUNT(*) FROM returns WHERE id = %lld AND status = '%s'", rid, all[i]) == 1)
			return snprintf(s, sizeof(s), "%s", all[i]), s;
	return "?";
}

static long carrier(const char *id, const char *type, const char *label)
{
	char body[300], sig[300];
	const char *h[] = { "Content-Type: application/json", sig, NULL };
	struct hresp *r;
	long st;

	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"type\":\"%s\",\"carrier\":\"UPS\",\"tracking\":\"%s\"}", id, type, label);
	sign_header(sig, sizeof(sig), "Carrier-Signature", carrier_secret, (long long)time(NULL), body);
	r = http("POST", "/api/carrier/events", body, h);
	st = r->status;
	hresp_free(r);
	return st;
}

/* What k units of the line bring back (fulfillment.h's rule): the line's
 * goods less discount plus tax plus its share of shipping, here read back
 * from what the shop captured for the line's shipment. */
static long long line_amount(long long oid, long long seller)
{
	return sql_scalarf("SELECT amount FROM shipments WHERE order_id = %lld AND seller_id = %lld", oid, seller);
}

static long long units_accounted(long long sku)
{
	return sql_scalarf("SELECT (SELECT SUM(available + reserved + committed) FROM inventory WHERE sku_id = %lld) "
			   "+ (SELECT COALESCE(SUM(quantity), 0) FROM holds WHERE sku_id = %lld AND state = 'shipped') "
			   "- (SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE sku_id = %lld)", sku, sku, sku);
}

static long long available(long long sku)
{
	return sql_scalarf("SELECT SUM(available) FROM inventory WHERE sku_id = %lld", sku);
}

/* Once per run (the sellers' sign-ups hash passwords: not per test). */
static void setup_once(void)
{
	char q[400], port[16];
	long long ids[2];

	clear_ip_throttles();
	snprintf(q, sizeof(q), "%s/run/paygate.port", getenv("SHOP_HOME"));
	file_trimmed(q, port, sizeof(port));
	snprintf(gw_base, sizeof(gw_base), "http://127.0.0.1:%s", port);
	snprintf(q, sizeof(q), "%s/paygate/api-key", getenv("SHOP_HOME"));
	file_trimmed(q, gw_key, sizeof(gw_key));
	snprintf(q, sizeof(q), "%s/carrier-secret", getenv("SHOP_HOME"));
	file_trimmed(q, carrier_secret, sizeof(carrier_secret));
	sku_a = sql_scalar("SELECT MAX(s.id) FROM skus s JOIN products p ON p.id = s.product_id "
			   "WHERE s.code LIKE 'SPO-%' AND s.status = 'active' AND p.status = 'active'");
	sku_b = sql_scalar("SELECT MAX(s.id) FROM skus s JOIN products p ON p.id = s.product_id "
			   "WHERE s.code LIKE 'MEN-%' AND s.status = 'active' AND p.status = 'active'");
	ck_assert_int_gt(sku_a, 0);
	ck_assert_int_gt(sku_b, 0);
	seller_a = make_seller(&sel_a, "rtsa", sku_a, seller_a_email, sizeof(seller_a_email));
	seller_b = make_seller(&sel_b, "rtsb", sku_b, NULL, 0);
	ids[0] = sku_a;
	ids[1] = sku_b;
	/* The item's own first SKU: the one its page and the cart name. */
	for (int i = 0; i < 2; i++) {
		char *code = i ? code_b : code_a;
		long long id = ids[i];
		struct hresp *r;
		json_t *j;

		snprintf(q, sizeof(q), "/api/items/%lld", sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", id));
		r = http_get_json(q);
		j = hresp_json(r);
		snprintf(code, 64, "%s", json_string_value(json_object_get(j, "sku")));
		json_decref(j);
		hresp_free(r);
		if (i == 0)
			sku_a = sql_scalarf("SELECT id FROM skus WHERE code = '%s'", code);
		else
			sku_b = sql_scalarf("SELECT id FROM skus WHERE code = '%s'", code);
	}
}

static void setup(void)
{
	clear_ip_throttles();
	set_stock_only(sku_a, 1, 40, "test_returns: stock for the test");
	set_stock_only(sku_b, 1, 40, "test_returns: stock for the test");
	resync_read_model();
	start_a = units_accounted(sku_a);
	start_b = units_accounted(sku_b);
	redis_cmd("DEL test:pause");
	hold_b = 0;
	sql_execf("DELETE FROM seller_return_windows WHERE seller_id IN (%lld, %lld)", seller_a, seller_b);
	sql_execf("DELETE FROM return_windows");	/* the shop's: the configured default (30 days) */
}

static void teardown(void)
{
	redis_cmd("DEL test:pause");
	ck_assert_int_eq(units_accounted(sku_a), start_a);
	ck_assert_int_eq(units_accounted(sku_b), start_b);
	/* Never more refunded than a line's units; a return's refund is its own. */
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM order_lines WHERE refunded_qty < 0 OR refunded_qty > quantity"), 0);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM returns r JOIN refunds f ON f.id = r.refund_id "
				    "WHERE f.return_id <> r.id"), 0);
	stock_invariants("test_returns");
}

/* ---- the whole way: asked, approved, on its way, received, refunded ---- */

START_TEST(approve_receive_restock_refund)
{
	struct client shopper, other;
	char intent[80], path[200], body[400], email[160];
	long long oid = delivered_order(&shopper, 2, 0, intent, sizeof(intent)), rid, line, expect, before, refunded;
	struct hresp *r;
	json_t *j;
	char *mail;

	line = sql_scalarf("SELECT line_no FROM order_lines WHERE order_id = %lld", oid);
	snprintf(email, sizeof(email), "%s", last_email);
	/* The order page offers it; the form shows the window and the lines. */
	snprintf(path, sizeof(path), "/orders/%lld", oid);
	r = client_browse(&shopper, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Return items");
	hresp_free(r);
	snprintf(path, sizeof(path), "/orders/%lld/return", oid);
	r = client_browse(&shopper, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "30 days after delivery");
	HAS(r, "name=\"reason\"");
	tidy_ok(r, "the return form");
	hresp_free(r);

	/* The API's answer: the contract's fields. */
	snprintf(body, sizeof(body), "{\"lines\":[{\"line\":%lld,\"quantity\":1}],\"reason\":\"Too small\"}", line);
	ck_assert_int_eq(ask(&shopper, oid, body, &j), 201);
	rid = json_integer_value(json_object_get(j, "id"));
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "requested");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "orderId")), oid);
	ck_assert_str_eq(json_string_value(json_object_get(j, "reason")), "Too small");
	ck_assert_ptr_nonnull(json_string_value(json_object_get(j, "createdAt")));
	ck_assert_ptr_nonnull(json_string_value(json_object_get(j, "windowEndsAt")));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "seller"), "id")), seller_a);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(j, "lines"), 0), "quantity")), 1);
	expect = line_amount(oid, seller_a) / 2;	/* 1 of 2 units: floor(amount / 2) */
	ck_assert_int_eq(json_integer_value(json_object_get(j, "amount")), expect);
	json_decref(j);

	/* One more unit is all that is left (one is in the open return). */
	snprintf(body, sizeof(body), "{\"lines\":[{\"line\":%lld,\"quantity\":2}],\"reason\":\"Too small\"}", line);
	ck_assert_int_eq(ask(&shopper, oid, body, &j), 422);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(j, "error"),
									"fields"), 0), "field")), "lines[0].quantity");
	json_decref(j);

	/* Nobody else sees it or acts on it. */
	signup(&other, "rtother", NULL, 0);
	snprintf(path, sizeof(path), "/api/returns/%lld", rid);
	r = api(&other, "GET", path, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(body, sizeof(body), "{\"lines\":[{\"line\":%lld,\"quantity\":1}],\"reason\":\"Mine now\"}", line);
	ck_assert_int_eq(ask(&other, oid, body, NULL), 404);
	r = api(&sel_b, "GET", path, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	ck_assert_int_eq(act(&sel_b, rid, "approve", "{\"address\":\"B St\",\"label\":\"X1\"}", NULL), 404);
	ck_assert_int_eq(act(&sel_b, rid, "received", "{\"restock\":true}", NULL), 404);
	r = api(&sel_a, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	r = client_browse(&sel_a, "GET", "/seller/returns", NULL);
	ck_assert_int_eq(r->status, 200);
	snprintf(path, sizeof(path), "/seller/returns/%lld", rid);
	HAS(r, path);
	hresp_free(r);
	r = client_browse(&sel_b, "GET", "/seller/returns", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_null(strstr(r->body, path));
	hresp_free(r);
	r = client_browse(&sel_a, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Approve the return");
	tidy_ok(r, "the seller's return page");
	hresp_free(r);

	/* Received before approval: refused. Approved, with a label. */
	sql_execf("DELETE FROM seller_return_settings WHERE seller_id = %lld", seller_a);
	ck_assert_int_eq(act(&sel_a, rid, "received", "{\"restock\":true}", NULL), 409);
	ck_assert_int_eq(act(&sel_a, rid, "approve", "{\"label\":\"1ZRET1\"}", NULL), 422);	/* no address known yet */
	snprintf(body, sizeof(body), "{\"address\":\"Returns dept\\n9 Dock Rd\\nAustin TX\",\"label\":\"1ZRET%lld\"}", rid);
	ck_assert_int_eq(act(&sel_a, rid, "approve", body, NULL), 200);
	ck_assert_str_eq(rstatus(rid), "approved");
	ck_assert_int_eq(act(&sel_a, rid, "approve", body, NULL), 200);	/* said twice: the same */
	ck_assert_int_eq(act(&sel_a, rid, "reject", "{\"reason\":\"no\"}", NULL), 409);

	/* The carrier follows the label: on its way, then delivered to the
	 * seller (still theirs to inspect). */
	snprintf(body, sizeof(body), "1ZRET%lld", rid);
	snprintf(path, sizeof(path), "rtevt-%lld-1", rid);
	ck_assert_int_eq(carrier(path, "in_transit", body), 200);
	ck_assert_str_eq(rstatus(rid), "in_transit");
	snprintf(path, sizeof(path), "rtevt-%lld-2", rid);
	ck_assert_int_eq(carrier(path, "delivered", body), 200);
	ck_assert_int_eq(carrier(path, "delivered", body), 200);	/* replayed */
	ck_assert_str_eq(rstatus(rid), "in_transit");
	ck_assert_int_eq(sql_scalarf("SELECT arrived_at IS NOT NULL FROM returns WHERE id = %lld", rid), 1);

	/* Received and restocked: one unit back, the refund exactly once. */
	before = available(sku_a);
	ck_assert_int_eq(act(&sel_a, rid, "received", "{}", NULL), 422);
	ck_assert_int_eq(act(&sel_a, rid, "received", "{\"restock\":true}", NULL), 200);
	ck_assert_str_eq(rstatus(rid), "refunded");
	ck_assert_int_eq(available(sku_a), before + 1);
	refunded = intent_num(intent, "amount_refunded");
	ck_assert_int_eq(refunded, expect);
	ck_assert_int_eq(sql_scalarf("SELECT amount FROM refunds WHERE return_id = %lld AND status = 'succeeded'", rid), expect);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE actor = 'return:%lld' AND delta = 1", rid), 1);
	ck_assert_int_eq(act(&sel_a, rid, "received", "{\"restock\":true}", NULL), 200);	/* said again: nothing more */
	ck_assert_int_eq(available(sku_a), before + 1);
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), expect);
	ck_assert_int_eq(sql_scalarf("SELECT refunded_qty FROM order_lines WHERE order_id = %lld", oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'returned' FROM orders WHERE id = %lld", oid), 1);
	ck_assert_int_ge(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND reason LIKE 'return %lld %%'",
				     oid, rid), 4);

	/* The shopper sees it all; the mails went out. */
	snprintf(path, sizeof(path), "/returns/%lld", rid);
	r = client_browse(&shopper, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Refunded");
	HAS(r, "9 Dock Rd");
	tidy_ok(r, "the shopper's return page");
	hresp_free(r);
	mail = maildir_wait(email, "is approved", 30);
	ck_assert_ptr_nonnull(mail);
	ck_assert_ptr_nonnull(strstr(mail, "Dock Rd"));
	free(mail);
	mail = maildir_wait(email, "return request", 30);
	ck_assert_ptr_nonnull(mail);
	free(mail);
	snprintf(path, sizeof(path), "/seller/returns/%lld", rid);
	mail = maildir_wait(seller_a_email, path, 30);	/* the seller's: a return to decide */
	ck_assert_ptr_nonnull(mail);
	ck_assert_ptr_nonnull(strstr(mail, "Too small"));
	free(mail);
}
END_TEST

/* ---- a rejected return changes no stock or money ---- */

START_TEST(rejected_changes_nothing)
{
	struct client shopper;
	char intent[80];
	long long oid = delivered_order(&shopper, 1, 0, intent, sizeof(intent)), rid, before = available(sku_a);

	rid = ask_ok(&shopper, oid, 1, 1);
	ck_assert_int_eq(act(&sel_a, rid, "reject", "{}", NULL), 422);
	ck_assert_int_eq(act(&sel_a, rid, "reject", "{\"reason\":\"Worn and washed\"}", NULL), 200);
	ck_assert_str_eq(rstatus(rid), "rejected");
	ck_assert_int_eq(act(&sel_a, rid, "approve", "{\"address\":\"A\",\"label\":\"L1\"}", NULL), 409);
	ck_assert_int_eq(act(&sel_a, rid, "received", "{\"restock\":true}", NULL), 409);
	ck_assert_int_eq(available(sku_a), before);
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM refunds WHERE order_id = %lld", oid), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE actor = 'return:%lld'", rid), 0);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'delivered' FROM orders WHERE id = %lld", oid), 1);
	/* The units are free to be asked for again; the shopper may withdraw
	 * the request (someone else may not), and ask once more. */
	rid = ask_ok(&shopper, oid, 1, 1);
	{
		struct client other;
		char path[100];
		struct hresp *r;

		signup(&other, "rtother2", NULL, 0);
		snprintf(path, sizeof(path), "/api/returns/%lld/cancel", rid);
		r = api(&other, "POST", path, "{}");
		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
		ck_assert_int_eq(act(&sel_a, rid, "approve", "{\"address\":\"A\",\"label\":\"L1\"}", NULL), 200);
		r = api(&shopper, "POST", path, "{}");
		ck_assert_int_eq(r->status, 200);
		hresp_free(r);
		ck_assert_int_eq(sql_scalarf("SELECT status = 'cancelled' FROM returns WHERE id = %lld", rid), 1);
		ck_assert_int_eq(act(&sel_a, rid, "received", "{\"restock\":true}", NULL), 409);
	}
	ask_ok(&shopper, oid, 1, 1);
	ck_assert_int_eq(available(sku_a), before);
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), 0);
}
END_TEST

/* ---- the window, the quantities, one seller per return ---- */

START_TEST(window_and_quantities)
{
	struct client shopper;
	char intent[80], body[300], path[100];
	long long oid = delivered_order(&shopper, 1, 1, intent, sizeof(intent)), la, lb, cat;
	struct hresp *r;
	json_t *j;

	la = sql_scalarf("SELECT line_no FROM order_lines WHERE order_id = %lld AND seller_id = %lld", oid, seller_a);
	lb = sql_scalarf("SELECT line_no FROM order_lines WHERE order_id = %lld AND seller_id = %lld", oid, seller_b);
	/* Two sellers' lines in one request: 422 on "lines". */
	snprintf(body, sizeof(body), "{\"lines\":[{\"line\":%lld,\"quantity\":1},{\"line\":%lld,\"quantity\":1}],"
		 "\"reason\":\"x\"}", la, lb);
	ck_assert_int_eq(ask(&shopper, oid, body, &j), 422);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(j, "error"),
									"fields"), 0), "field")), "lines");
	json_decref(j);
	/* Bad fields, each named. */
	ck_assert_int_eq(ask(&shopper, oid, "{\"lines\":[],\"reason\":\"x\"}", NULL), 422);
	snprintf(body, sizeof(body), "{\"lines\":[{\"line\":%lld,\"quantity\":1}]}", la);
	ck_assert_int_eq(ask(&shopper, oid, body, &j), 422);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(j, "error"),
									"fields"), 0), "field")), "reason");
	json_decref(j);
	ck_assert_int_eq(ask(&shopper, oid, "{\"lines\":[{\"line\":99,\"quantity\":1}],\"reason\":\"x\"}", NULL), 422);
	snprintf(body, sizeof(body), "{\"lines\":[{\"line\":%lld,\"quantity\":0}],\"reason\":\"x\"}", la);
	ck_assert_int_eq(ask(&shopper, oid, body, NULL), 422);

	/* Delivered 31 days ago: past the default 30-day window. */
	sql_execf("UPDATE shipments SET delivered_at = NOW(3) - INTERVAL 31 DAY WHERE order_id = %lld", oid);
	snprintf(body, sizeof(body), "{\"lines\":[{\"line\":%lld,\"quantity\":1}],\"reason\":\"Late\"}", la);
	ck_assert_int_eq(ask(&shopper, oid, body, &j), 422);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")), "window"));
	json_decref(j);
	snprintf(path, sizeof(path), "/orders/%lld", oid);
	r = client_browse(&shopper, "GET", path, NULL);
	ck_assert_ptr_null(strstr(r->body, "Return items"));
	hresp_free(r);
	/* The window is data: the category's 45 days, then the seller's own 10. */
	cat = sql_scalarf("SELECT p.category_id FROM skus s JOIN products p ON p.id = s.product_id WHERE s.id = %lld", sku_a);
	sql_execf("INSERT INTO return_windows (category_id, days) VALUES (%lld, 45) ON DUPLICATE KEY UPDATE days = 45", cat);
	sql_execf("INSERT INTO seller_return_windows (seller_id, category_id, days) VALUES (%lld, 0, 10)", seller_a);
	ck_assert_int_eq(ask(&shopper, oid, body, NULL), 422);
	sql_execf("DELETE FROM seller_return_windows WHERE seller_id = %lld", seller_a);
	ck_assert_int_eq(ask(&shopper, oid, body, NULL), 201);
	sql_execf("DELETE FROM return_windows WHERE category_id = %lld", cat);
	/* Everything of line a is in a return now. */
	ck_assert_int_eq(ask(&shopper, oid, body, NULL), 422);

	/* Not delivered yet: refused too. */
	{
		struct client s2;
		char intent2[80];
		long long o2 = delivered_order(&s2, 1, 0, intent2, sizeof(intent2));

		sql_execf("UPDATE order_lines SET state = 'shipped' WHERE order_id = %lld", o2);
		snprintf(body, sizeof(body), "{\"lines\":[{\"line\":1,\"quantity\":1}],\"reason\":\"x\"}");
		ck_assert_int_eq(ask(&s2, o2, body, &j), 422);
		ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
					     "not delivered"));
		json_decref(j);
		sql_execf("UPDATE order_lines SET state = 'delivered' WHERE order_id = %lld", o2);
	}
}
END_TEST

/* ---- the refund's answer lost: retried by the job, refunded once ---- */

START_TEST(lost_answer_write_off_refunds_once)
{
	struct client shopper;
	char intent[80], body[200];
	long long oid = delivered_order(&shopper, 1, 0, intent, sizeof(intent)), rid, before = available(sku_a), amount;
	int done = 0;

	rid = ask_ok(&shopper, oid, 1, 1);
	snprintf(body, sizeof(body), "{\"address\":\"Returns, 9 Dock Rd\",\"label\":\"1ZLOST%lld\"}", rid);
	ck_assert_int_eq(act(&sel_a, rid, "approve", body, NULL), 200);
	/* The gateway refunds, its answer never comes: under way (202). */
	ck_assert_int_eq(act(&sel_a, rid, "received", "{\"restock\":false}", "X-Test-Fault: pay:1:lost-after"), 202);
	ck_assert_str_eq(rstatus(rid), "received");
	amount = sql_scalarf("SELECT amount FROM refunds WHERE return_id = %lld", rid);
	ck_assert_int_eq(amount, line_amount(oid, seller_a));	/* the whole line: its share of shipping too */
	ck_assert_int_eq(sql_scalarf("SELECT status = 'pending' FROM refunds WHERE return_id = %lld", rid), 1);
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), amount);	/* done at the gateway */
	/* Written off: no unit back, a movement of 0 says so. */
	ck_assert_int_eq(available(sku_a), before);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE actor = 'return:%lld' AND delta = 0 "
				     "AND reason LIKE '%%written off%%'", rid), 1);
	/* The job's next attempt (hurried past its backoff) replays the same
	 * key: the gateway's first answer, no second refund. */
	sql_execf("UPDATE refunds SET next_attempt_at = NOW(3) WHERE return_id = %lld", rid);
	for (int i = 0; i < 300 && !done; i++) {
		done = sql_scalarf("SELECT status = 'refunded' FROM returns WHERE id = %lld", rid) == 1;
		if (!done)
			usleep(100000);
	}
	ck_assert_msg(done, "the job did not finish the refund: %s", rstatus(rid));
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), amount);
	ck_assert_int_eq(act(&sel_a, rid, "received", "{\"restock\":true}", NULL), 200);
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), amount);
	ck_assert_int_eq(available(sku_a), before);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'refunded' FROM orders WHERE id = %lld", oid), 1);
}
END_TEST

/* ---- the worker killed between the receipt and the gateway ---- */

struct recv_arg {
	long long rid;
	long status;
};

static void *recv_thread(void *p)
{
	struct recv_arg *ra = p;
	char path[120];
	struct hresp *r;

	snprintf(path, sizeof(path), "/api/seller/returns/%lld/received", ra->rid);
	r = client_req(&sel_a, "POST", path, "{\"restock\":true}", 1);
	ra->status = r->status;
	hresp_free(r);
	return NULL;
}

START_TEST(worker_killed_refunds_once)
{
	struct client shopper;
	char intent[80], body[200], pidfile[300], cmd[400];
	long long oid = delivered_order(&shopper, 2, 0, intent, sizeof(intent)), rid, before = available(sku_a), amount;
	struct recv_arg ra;
	pthread_t t;
	int done = 0;

	rid = ask_ok(&shopper, oid, 1, 2);
	snprintf(body, sizeof(body), "{\"address\":\"Returns, 9 Dock Rd\",\"label\":\"1ZKILL%lld\",\"carrier\":\"UPS\"}", rid);
	ck_assert_int_eq(act(&sel_a, rid, "approve", body, NULL), 200);
	redis_cmd("SET test:pause return-refund");
	ra.rid = rid;
	ra.status = 0;
	ck_assert_int_eq(pthread_create(&t, NULL, recv_thread, &ra), 0);
	for (int i = 0; i < 400 && strcmp(rstatus(rid), "received"); i++)	/* 20 s: a loaded machine */
		usleep(50000);
	ck_assert_str_eq(rstatus(rid), "received");
	/* Kill first, then lift the pause (see test_checkout). */
	snprintf(pidfile, sizeof(pidfile), "%s/run/shopd.pid", getenv("SHOP_HOME"));
	snprintf(cmd, sizeof(cmd), "pkill -KILL -P $(cat %s)", pidfile);
	ck_assert_int_eq(system(cmd), 0);
	redis_cmd("DEL test:pause");
	pthread_join(t, NULL);
	ck_assert_int_ne(ra.status, 200);
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), 0);
	ck_assert_int_eq(available(sku_a), before + 2);	/* restocked once, with the receipt */
	amount = sql_scalarf("SELECT amount FROM refunds WHERE return_id = %lld", rid);
	ck_assert_int_eq(amount, line_amount(oid, seller_a));
	/* The (respawned) jobs process runs the pending refund. */
	sql_execf("UPDATE refunds SET next_attempt_at = NOW(3) WHERE return_id = %lld", rid);
	for (int i = 0; i < 300 && !done; i++) {
		done = sql_scalarf("SELECT status = 'refunded' FROM returns WHERE id = %lld", rid) == 1;
		if (!done)
			usleep(100000);
	}
	ck_assert_msg(done, "the job did not finish the refund: %s", rstatus(rid));
	ck_assert(wait_status("/healthz", 200, 15));
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), amount);
	ck_assert_int_eq(act(&sel_a, rid, "received", "{\"restock\":true}", NULL), 200);
	ck_assert_int_eq(available(sku_a), before + 2);
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), amount);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE actor = 'return:%lld'", rid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'refunded' FROM orders WHERE id = %lld", oid), 1);
}
END_TEST

/* ---- a request the seller ignores escalates ---- */

START_TEST(ignored_request_escalates)
{
	struct client shopper, admin;
	char intent[80], email[160], path[100];
	long long oid = delivered_order(&shopper, 1, 0, intent, sizeof(intent)), rid, uid;
	struct hresp *r;
	char *mail;
	int done = 0;

	uid = signup(&admin, "rtadmin", email, sizeof(email));
	sql_execf("UPDATE users SET is_admin = 1 WHERE id = %lld", uid);
	ck_assert_int_eq(client_session(&admin), 0);
	rid = ask_ok(&shopper, oid, 1, 1);
	r = client_browse(&shopper, "GET", "/admin/returns", NULL);
	ck_assert_int_ne(r->status, 200);
	hresp_free(r);
	/* Asked four days ago, never answered (SHOP_RETURN_ESCALATE_DAYS: 3). */
	sql_execf("UPDATE returns SET created_at = NOW(3) - INTERVAL 4 DAY WHERE id = %lld", rid);
	for (int i = 0; i < 300 && !done; i++) {
		done = sql_scalarf("SELECT escalated_at IS NOT NULL FROM returns WHERE id = %lld", rid) == 1;
		if (!done)
			usleep(100000);
	}
	ck_assert_msg(done, "not escalated");
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND actor = 'jobs' "
				     "AND reason LIKE 'return %lld:%%'", oid, rid), 1);
	r = client_browse(&admin, "GET", "/admin/returns", NULL);
	ck_assert_int_eq(r->status, 200);
	snprintf(path, sizeof(path), "/returns/%lld", rid);
	HAS(r, path);
	tidy_ok(r, "the admins' returns");
	hresp_free(r);
	r = client_browse(&admin, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	mail = maildir_wait(email, "has not answered", 30);
	ck_assert_ptr_nonnull(mail);
	free(mail);
	/* Once, however often the job looks. */
	usleep(300000);
	ck_assert_int_eq(maildir_count(email, "has not answered", NULL), 1);
	/* The seller can still answer. */
	ck_assert_int_eq(act(&sel_a, rid, "reject", "{\"reason\":\"Not ours\"}", NULL), 200);
}
END_TEST


/* ---- admins act on escalated returns as the seller would ---- */

/* A new admin, signed in; its user id. */
static long long admin_new(struct client *cl, char *email, size_t n)
{
	long long uid = signup(cl, "rtadm", email, n);

	sql_execf("UPDATE users SET is_admin = 1 WHERE id = %lld", uid);
	ck_assert_int_eq(client_session(cl), 0);
	return uid;
}

/* An admin's POST on a return over the API; the status. */
static long admin_act(struct client *adm, long long rid, const char *what, const char *body)
{
	char path[120];
	struct hresp *r;
	long st;

	snprintf(path, sizeof(path), "/api/admin/returns/%lld/%s", rid, what);
	r = api(adm, "POST", path, body);
	st = r->status;
	if (st >= 500 && st != 502)
		fprintf(stderr, "admin %s %lld: %ld %s\n", what, rid, st, r->body);
	hresp_free(r);
	return st;
}

START_TEST(admin_acts_on_escalated)
{
	struct client shopper, shopper2, adm;
	char intent[80], intent2[80], path[160], body[300], form[300];
	long long oid = delivered_order(&shopper, 2, 0, intent, sizeof(intent)), oid2, rid, rid2, auid, before, expect;
	struct hresp *r;
	json_t *j;

	auid = admin_new(&adm, NULL, 0);
	rid = ask_ok(&shopper, oid, 1, 1);
	expect = line_amount(oid, seller_a) / 2;
	sql_execf("UPDATE returns SET created_at = NOW(3) - INTERVAL 4 DAY WHERE id = %lld", rid);
	for (int i = 0; i < 300 && sql_scalarf("SELECT escalated_at IS NOT NULL FROM returns WHERE id = %lld", rid) != 1; i++)
		usleep(100000);
	ck_assert_int_eq(sql_scalarf("SELECT escalated_at IS NOT NULL FROM returns WHERE id = %lld", rid), 1);

	/* Listed, with the admins' page of it and its forms. */
	r = client_browse(&adm, "GET", "/admin/returns", NULL);
	ck_assert_int_eq(r->status, 200);
	snprintf(path, sizeof(path), "/admin/returns/%lld", rid);
	HAS(r, path);
	hresp_free(r);
	r = client_browse(&adm, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Approve the return");
	snprintf(body, sizeof(body), "action=\"/admin/returns/%lld/approve\"", rid);
	HAS(r, body);
	tidy_ok(r, "the admins' return page");
	hresp_free(r);
	r = api(&adm, "GET", "/api/admin/returns", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, path);
	hresp_free(r);

	/* Nobody else: a seller or a shopper gets no admin route. */
	snprintf(body, sizeof(body), "{\"address\":\"Admin dock\",\"label\":\"1ZADM%lld\"}", rid);
	snprintf(path, sizeof(path), "/api/admin/returns/%lld/approve", rid);
	r = api(&sel_a, "POST", path, body);
	ck_assert_int_ge(r->status, 403);
	ck_assert_int_le(r->status, 404);
	hresp_free(r);
	r = api(&shopper, "POST", path, body);
	ck_assert_int_ge(r->status, 403);
	ck_assert_int_le(r->status, 404);
	hresp_free(r);
	ck_assert_str_eq(rstatus(rid), "requested");
	ck_assert_int_eq(admin_act(&adm, 999999999, "approve", body), 404);
	/* The seller routes' rules: a label is needed; then approved, audited
	 * and in the timeline as the admin; the seller's remembered address
	 * is not the admin's. */
	sql_execf("DELETE FROM seller_return_settings WHERE seller_id = %lld", seller_a);
	ck_assert_int_eq(admin_act(&adm, rid, "approve", "{\"address\":\"Admin dock\"}"), 422);
	ck_assert_int_eq(admin_act(&adm, rid, "received", "{\"restock\":true}"), 409);
	ck_assert_int_eq(admin_act(&adm, rid, "approve", body), 200);
	ck_assert_str_eq(rstatus(rid), "approved");
	ck_assert_int_eq(admin_act(&adm, rid, "approve", body), 200);	/* said twice: the same */
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM seller_return_settings WHERE seller_id = %lld", seller_a), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM audit_log WHERE action = 'return.approve' AND target = 'return:%lld' "
				     "AND actor = 'user:%lld'", rid, auid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND actor = 'admin:%lld' "
				     "AND reason LIKE 'return %lld approved%%'", oid, auid, rid), 1);
	/* Received by the admin's form: restocked once, refunded once. */
	before = available(sku_a);
	snprintf(path, sizeof(path), "/admin/returns/%lld/received", rid);
	snprintf(form, sizeof(form), "csrf=%s&restock=1", adm.csrf);
	r = client_browse(&adm, "POST", path, form);
	ck_assert_msg(r->status == 303, "%ld %.500s", r->status, r->body);
	hresp_free(r);
	ck_assert_str_eq(rstatus(rid), "refunded");
	ck_assert_int_eq(available(sku_a), before + 1);
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), expect);
	ck_assert_int_eq(admin_act(&adm, rid, "received", "{\"restock\":true}"), 200);	/* again: nothing more */
	ck_assert_int_eq(available(sku_a), before + 1);
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), expect);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM audit_log WHERE action = 'return.receive' AND target = 'return:%lld'",
				     rid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND actor = 'admin:%lld' "
				     "AND reason LIKE 'return %lld received%%'", oid, auid, rid), 1);

	/* Rejected by an admin: no stock or money moves; the reason is needed. */
	oid2 = delivered_order(&shopper2, 1, 0, intent2, sizeof(intent2));
	rid2 = ask_ok(&shopper2, oid2, 1, 1);
	before = available(sku_a);
	ck_assert_int_eq(admin_act(&adm, rid2, "reject", "{}"), 422);
	ck_assert_int_eq(admin_act(&adm, rid2, "reject", "{\"reason\":\"Worn\"}"), 200);
	ck_assert_str_eq(rstatus(rid2), "rejected");
	ck_assert_int_eq(admin_act(&adm, rid2, "approve", "{\"address\":\"A\",\"label\":\"L1\"}"), 409);
	ck_assert_int_eq(available(sku_a), before);
	ck_assert_int_eq(intent_num(intent2, "amount_refunded"), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM audit_log WHERE action = 'return.reject' AND target = 'return:%lld' "
				     "AND actor = 'user:%lld'", rid2, auid), 1);
	snprintf(path, sizeof(path), "/api/returns/%lld", rid2);
	r = api(&shopper2, "GET", path, NULL);
	j = hresp_json(r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "rejectReason")), "Worn");
	json_decref(j);
	hresp_free(r);
}
END_TEST

/* ---- a refund the gateway refuses for good: refund_failed, retried ---- */

START_TEST(refused_refund_escalates_and_retries)
{
	struct client shopper, adm;
	char intent[80], path[200], body[300], email[160];
	long long oid, rid, aline, bline, sid, paid_a, expect, before;
	struct hresp *r;
	json_t *j;
	char *mail;

	admin_new(&adm, email, sizeof(email));
	hold_b = 1;	/* seller B ships later: its capture comes after the refusal */
	oid = delivered_order(&shopper, 1, 1, intent, sizeof(intent));
	hold_b = 0;
	aline = sql_scalarf("SELECT line_no FROM order_lines WHERE order_id = %lld AND seller_id = %lld", oid, seller_a);
	bline = sql_scalarf("SELECT line_no FROM order_lines WHERE order_id = %lld AND seller_id = %lld", oid, seller_b);
	paid_a = line_amount(oid, seller_a);
	expect = paid_a;	/* the whole of A's line */
	rid = ask_ok(&shopper, oid, aline, 1);
	snprintf(body, sizeof(body), "{\"address\":\"Returns, 9 Dock Rd\",\"label\":\"1ZREF%lld\"}", rid);
	ck_assert_int_eq(act(&sel_a, rid, "approve", body, NULL), 200);
	/* Everything captured so far is refunded at the gateway by other
	 * means: the return's refund is refused for good. */
	snprintf(body, sizeof(body), "{\"payment_intent\":\"%s\"}", intent);
	r = paygate_req("POST", "/v1/refunds", body, NULL);
	ck_assert_msg(r->status == 200, "gateway refund: %ld %s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), paid_a);
	before = available(sku_a);
	snprintf(path, sizeof(path), "/api/seller/returns/%lld/received", rid);
	r = api(&sel_a, "POST", path, "{\"restock\":true}");
	ck_assert_int_eq(r->status, 502);
	j = hresp_json(r);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "return"), "status")), "refund_failed");
	json_decref(j);
	hresp_free(r);
	/* Visible: not "received", the units in stock once, the lines free. */
	ck_assert_str_eq(rstatus(rid), "refund_failed");
	ck_assert_int_eq(available(sku_a), before + 1);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'failed' FROM refunds WHERE return_id = %lld", rid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT refunded_qty FROM order_lines WHERE order_id = %lld AND line_no = %lld",
				     oid, aline), 0);
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), paid_a);
	/* The seller saying it again: the same answer, nothing moves. */
	ck_assert_int_eq(act(&sel_a, rid, "received", "{\"restock\":true}", NULL), 502);
	ck_assert_int_eq(available(sku_a), before + 1);
	/* The shopper sees it; the admins are told and have it listed. */
	snprintf(path, sizeof(path), "/returns/%lld", rid);
	r = client_browse(&shopper, "GET", path, NULL);
	HAS(r, "refused the refund");
	hresp_free(r);
	mail = maildir_wait(email, "the refund was refused", 30);
	ck_assert_ptr_nonnull(mail);
	snprintf(path, sizeof(path), "/admin/returns/%lld", rid);
	ck_assert_ptr_nonnull(strstr(mail, path));
	free(mail);
	r = client_browse(&adm, "GET", "/admin/returns", NULL);
	HAS(r, path);
	tidy_ok(r, "the admins' returns with a refused refund");
	hresp_free(r);
	r = client_browse(&adm, "GET", path, NULL);
	HAS(r, "Try the refund again");
	tidy_ok(r, "the admins' page of a refused refund");
	hresp_free(r);
	/* Only admins retry; the seller's routes have no such thing. */
	snprintf(path, sizeof(path), "/api/admin/returns/%lld/retry", rid);
	r = api(&sel_a, "POST", path, "{}");
	ck_assert_int_ge(r->status, 403);
	ck_assert_int_le(r->status, 404);
	hresp_free(r);
	/* Tried again while nothing is left to refund: refused again, under
	 * the return's next key; nothing paid. */
	ck_assert_int_eq(admin_act(&adm, rid, "retry", "{}"), 502);
	ck_assert_str_eq(rstatus(rid), "refund_failed");
	ck_assert_int_eq(sql_scalarf("SELECT refund_tries FROM returns WHERE id = %lld", rid), 1);
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), paid_a);
	ck_assert_int_eq(sql_scalarf("SELECT refunded_qty FROM order_lines WHERE order_id = %lld AND line_no = %lld",
				     oid, aline), 0);
	/* Seller B's parcel is captured: there is money to refund now. */
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments", oid);
	snprintf(body, sizeof(body), "{\"lines\":[%lld],\"carrier\":\"UPS\",\"tracking\":\"1ZRTB%lld%u\"}", bline, oid,
		 randombytes_random() % 100000);
	r = api(&sel_b, "POST", path, body);
	ck_assert_msg(r->status == 201, "ship: %ld %s", r->status, r->body);
	hresp_free(r);
	sid = sql_scalarf("SELECT id FROM shipments WHERE order_id = %lld AND seller_id = %lld", oid, seller_b);
	ck_assert_int_gt(sid, 0);
	ck_assert_int_eq(admin_act(&adm, rid, "retry", "{}"), 200);
	ck_assert_str_eq(rstatus(rid), "refunded");
	ck_assert_int_eq(sql_scalarf("SELECT refund_tries FROM returns WHERE id = %lld", rid), 2);
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), paid_a + expect);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'succeeded' FROM refunds WHERE return_id = %lld", rid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT refunded_qty FROM order_lines WHERE order_id = %lld AND line_no = %lld",
				     oid, aline), 1);
	/* Again: nothing more, whoever asks. */
	ck_assert_int_eq(admin_act(&adm, rid, "retry", "{}"), 200);
	ck_assert_int_eq(act(&sel_a, rid, "received", "{\"restock\":true}", NULL), 200);
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), paid_a + expect);
	ck_assert_int_eq(available(sku_a), before + 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE actor = 'return:%lld'", rid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM audit_log WHERE action = 'return.refund_retry' "
				     "AND target = 'return:%lld'", rid), 2);
	r = client_browse(&adm, "GET", "/admin/returns", NULL);
	snprintf(path, sizeof(path), "/admin/returns/%lld\"", rid);
	ck_assert_ptr_null(strstr(r->body, path));
	hresp_free(r);
}
END_TEST

/* ---- sellers set their return windows and address ---- */

START_TEST(seller_return_settings)
{
	struct client shopper;
	char intent[80], path[160], body[300], form[400];
	long long cat, oid, other_cat;
	struct hresp *r;
	json_t *j;

	cat = sql_scalarf("SELECT p.category_id FROM skus s JOIN products p ON p.id = s.product_id WHERE s.id = %lld", sku_a);
	other_cat = sql_scalarf("SELECT MIN(id) FROM categories WHERE id <> %lld AND retired_at IS NULL", cat);
	/* The defaults: nothing of the seller's own. */
	r = api(&sel_a, "GET", "/api/seller/returns/settings", NULL);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert(json_is_null(json_object_get(j, "defaultDays")));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "shopDays")), 30);
	ck_assert_int_eq(json_array_size(json_object_get(j, "windows")), 0);
	json_decref(j);
	hresp_free(r);
	/* Days 0 to 365; a live category, named once. */
	r = api(&sel_a, "PUT", "/api/seller/returns/settings", "{\"defaultDays\":366}");
	ck_assert_int_eq(r->status, 422);
	HAS(r, "defaultDays");
	hresp_free(r);
	r = api(&sel_a, "PUT", "/api/seller/returns/settings", "{\"windows\":[{\"categoryId\":999999,\"days\":3}]}");
	ck_assert_int_eq(r->status, 422);
	HAS(r, "windows[0].categoryId");
	hresp_free(r);
	snprintf(body, sizeof(body), "{\"windows\":[{\"categoryId\":%lld,\"days\":-1}]}", cat);
	r = api(&sel_a, "PUT", "/api/seller/returns/settings", body);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "windows[0].days");
	hresp_free(r);
	snprintf(body, sizeof(body), "{\"windows\":[{\"categoryId\":%lld,\"days\":7},{\"categoryId\":%lld,\"days\":8}]}",
		 cat, cat);
	r = api(&sel_a, "PUT", "/api/seller/returns/settings", body);
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM seller_return_windows WHERE seller_id = %lld", seller_a), 0);
	snprintf(body, sizeof(body), "{\"address\":\"Returns\\n1 Quay St\",\"defaultDays\":60,"
		 "\"windows\":[{\"categoryId\":%lld,\"days\":7}]}", cat);
	r = api(&sel_a, "PUT", "/api/seller/returns/settings", body);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "defaultDays")), 60);
	ck_assert_str_eq(json_string_value(json_object_get(j, "address")), "Returns\n1 Quay St");
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(j, "windows"), 0), "days")), 7);
	json_decref(j);
	hresp_free(r);
	/* Another seller's are their own. */
	r = api(&sel_b, "GET", "/api/seller/returns/settings", NULL);
	j = hresp_json(r);
	ck_assert(json_is_null(json_object_get(j, "defaultDays")));
	json_decref(j);
	hresp_free(r);
	/* The category's 7 days rule the shopper's form and request. */
	oid = delivered_order(&shopper, 1, 0, intent, sizeof(intent));
	snprintf(path, sizeof(path), "/orders/%lld/return", oid);
	r = client_browse(&shopper, "GET", path, NULL);
	HAS(r, "7 days after delivery");
	hresp_free(r);
	sql_execf("UPDATE shipments SET delivered_at = NOW(3) - INTERVAL 8 DAY WHERE order_id = %lld", oid);
	ck_assert_int_eq(ask(&shopper, oid, "{\"lines\":[{\"line\":1,\"quantity\":1}],\"reason\":\"Late\"}", NULL), 422);
	/* The page: the form, the seller's values in it, a bad value refused. */
	r = client_browse(&sel_a, "GET", "/seller/returns/settings", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "1 Quay St");
	snprintf(body, sizeof(body), "name=\"d%lld\"", cat);
	HAS(r, body);
	tidy_ok(r, "the seller's return settings");
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&address=Dock&all=&d%lld=abc", sel_a.csrf, cat);
	r = client_browse(&sel_a, "POST", "/seller/returns/settings", form);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "0 to 365");
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&address=Dock+2&all=&d%lld=&d%lld=14", sel_a.csrf, cat, other_cat);
	r = client_browse(&sel_a, "POST", "/seller/returns/settings", form);
	ck_assert_msg(r->status == 303, "%ld %.500s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM seller_return_windows WHERE seller_id = %lld", seller_a), 1);
	ck_assert_int_eq(sql_scalarf("SELECT days FROM seller_return_windows WHERE seller_id = %lld AND category_id = %lld",
				     seller_a, other_cat), 14);
	/* Back to the shop's 30 days: the order's line can be returned again. */
	sql_execf("UPDATE shipments SET delivered_at = NOW(3) - INTERVAL 8 DAY WHERE order_id = %lld", oid);
	ck_assert_int_eq(ask(&shopper, oid, "{\"lines\":[{\"line\":1,\"quantity\":1}],\"reason\":\"Late\"}", NULL), 201);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM seller_return_settings WHERE seller_id = %lld AND address = 'Dock 2'",
				     seller_a), 1);
	r = api(&sel_a, "PUT", "/api/seller/returns/settings", "{\"windows\":[],\"defaultDays\":null}");
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM seller_return_windows WHERE seller_id = %lld", seller_a), 0);
	/* Not a seller: no settings. */
	r = api(&shopper, "GET", "/api/seller/returns/settings", NULL);
	ck_assert_int_ge(r->status, 403);
	hresp_free(r);
}
END_TEST

/* ---- admins set the shop's own return windows ---- */

/* 1 when the 422's error.fields names field. */
static int names_field(json_t *j, const char *field)
{
	json_t *fields = json_object_get(json_object_get(j, "error"), "fields"), *f;
	size_t i;

	json_array_foreach(fields, i, f) {
		const char *name = json_string_value(json_object_get(f, "field"));

		if (name && !strcmp(name, field))
			return 1;
	}
	return 0;
}

static long long windows_audits(long long auid)
{
	return sql_scalarf("SELECT COUNT(*) FROM audit_log WHERE action = 'return_windows.update' AND actor = 'user:%lld'",
			   auid);
}

/* What the table holds, as one number that any change moves. */
static long long windows_sum(void)
{
	return sql_scalar("SELECT COALESCE(SUM((category_id + 1) * 1000 + days), 0) + COUNT(*) FROM return_windows");
}

START_TEST(admin_return_windows)
{
	struct client shopper, adm;
	char intent[80], path[160], body[400], form[400], email[160];
	long long auid, cat, oid, line, sum, audits;
	struct hresp *r;
	json_t *j;

	sql_execf("DELETE FROM return_windows");
	auid = admin_new(&adm, email, sizeof(email));
	cat = sql_scalarf("SELECT p.category_id FROM skus s JOIN products p ON p.id = s.product_id WHERE s.id = %lld", sku_a);
	/* Delivered 10 days ago, two units: inside the configured 30 days. */
	oid = delivered_order(&shopper, 2, 0, intent, sizeof(intent));
	line = sql_scalarf("SELECT line_no FROM order_lines WHERE order_id = %lld", oid);
	sql_execf("UPDATE shipments SET delivered_at = NOW(3) - INTERVAL 10 DAY WHERE order_id = %lld", oid);
	snprintf(body, sizeof(body), "{\"lines\":[{\"line\":%lld,\"quantity\":1}],\"reason\":\"Too small\"}", line);

	/* Not an admin: 403 as on the other admin routes; nothing changes. */
	r = client_browse(&shopper, "GET", "/admin/returns/windows", NULL);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	r = api(&sel_a, "GET", "/api/admin/returns/windows", NULL);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	snprintf(form, sizeof(form), "{\"windows\":[{\"categoryId\":%lld,\"days\":1}]}", cat);
	r = api(&sel_a, "PUT", "/api/admin/returns/windows", form);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&defaultDays=1", shopper.csrf);
	r = client_browse(&shopper, "POST", "/admin/returns/windows", form);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM return_windows"), 0);

	/* The admin's read: nothing of the shop's own yet. */
	r = api(&adm, "GET", "/api/admin/returns/windows", NULL);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert(json_is_null(json_object_get(j, "defaultDays")));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "configDays")), 30);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "shopDays")), 30);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "maxDays")), 365);
	ck_assert_int_eq(json_array_size(json_object_get(j, "windows")), 0);
	json_decref(j);
	hresp_free(r);

	/* Bad input: 422 naming every bad field; nothing changes, nothing is
	 * recorded. */
	sql_execf("INSERT INTO return_windows (category_id, days) VALUES (%lld, 40)", cat);
	sum = windows_sum();
	audits = windows_audits(auid);
	snprintf(form, sizeof(form), "{\"defaultDays\":366,\"windows\":[{\"categoryId\":999999999,\"days\":3},"
		 "{\"categoryId\":%lld,\"days\":-1},{\"categoryId\":%lld,\"days\":\"7\"}]}", cat, cat);
	r = api(&adm, "PUT", "/api/admin/returns/windows", form);
	ck_assert_int_eq(r->status, 422);
	j = hresp_json(r);
	ck_assert(names_field(j, "defaultDays"));
	ck_assert(names_field(j, "windows[0].categoryId"));
	ck_assert(names_field(j, "windows[1].days"));
	ck_assert(names_field(j, "windows[2].days"));
	json_decref(j);
	hresp_free(r);
	snprintf(form, sizeof(form), "{\"windows\":[{\"categoryId\":%lld,\"days\":7},{\"categoryId\":%lld,\"days\":8}]}",
		 cat, cat);
	r = api(&adm, "PUT", "/api/admin/returns/windows", form);
	ck_assert_int_eq(r->status, 422);
	j = hresp_json(r);
	ck_assert(names_field(j, "windows[1].categoryId"));
	json_decref(j);
	hresp_free(r);
	r = api(&adm, "PUT", "/api/admin/returns/windows", "{\"defaultDays\":\"ten\"}");
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	r = api(&adm, "PUT", "/api/admin/returns/windows", "{\"windows\":\"all\"}");
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&defaultDays=12&d%lld=abc", adm.csrf, cat);
	r = client_browse(&adm, "POST", "/admin/returns/windows", form);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "0 to 365");
	HAS(r, "aria-invalid=\"true\"");
	HAS(r, "value=\"abc\"");	/* what was typed is shown again */
	tidy_ok(r, "the return windows with a mistake");
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&defaultDays=400", adm.csrf);
	r = client_browse(&adm, "POST", "/admin/returns/windows", form);
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	snprintf(form, sizeof(form), "defaultDays=12&d%lld=1", cat);	/* no CSRF token */
	r = client_browse(&adm, "POST", "/admin/returns/windows", form);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	ck_assert_int_eq(windows_sum(), sum);
	ck_assert_int_eq(windows_audits(auid), audits);
	/* Still the category's 40 days: the request would be accepted. */

	/* The category's 7 days: a line delivered 10 days ago is refused. */
	snprintf(form, sizeof(form), "{\"windows\":[{\"categoryId\":%lld,\"days\":7}]}", cat);
	r = api(&adm, "PUT", "/api/admin/returns/windows", form);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_int_eq(json_array_size(json_object_get(j, "windows")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(j, "windows"), 0), "categoryId")),
			 cat);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(j, "windows"), 0), "days")), 7);
	json_decref(j);
	hresp_free(r);
	ck_assert_int_eq(windows_audits(auid), audits + 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM audit_log WHERE action = 'return_windows.update' "
				     "AND actor = 'user:%lld' AND before_json LIKE '%%\"days\":40%%' "
				     "AND after_json LIKE '%%\"days\":7%%'", auid), 1);
	ck_assert_int_eq(ask(&shopper, oid, body, &j), 422);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")), "window"));
	json_decref(j);
	/* Said again: nothing changes, nothing more is recorded. */
	r = api(&adm, "PUT", "/api/admin/returns/windows", form);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	ck_assert_int_eq(windows_audits(auid), audits + 1);

	/* The shop's default of 5 days (the category's own gone): refused;
	 * the sellers' page shows the shop's days. */
	r = api(&adm, "PUT", "/api/admin/returns/windows", "{\"defaultDays\":5,\"windows\":[]}");
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "defaultDays")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "shopDays")), 5);
	json_decref(j);
	hresp_free(r);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM return_windows"), 1);
	ck_assert_int_eq(ask(&shopper, oid, body, NULL), 422);
	r = api(&sel_a, "GET", "/api/seller/returns/settings", NULL);
	j = hresp_json(r);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "shopDays")), 5);
	json_decref(j);
	hresp_free(r);
	/* A seller's own days win over the shop's: the page says so. */
	sql_execf("INSERT INTO seller_return_windows (seller_id, category_id, days) VALUES (%lld, %lld, 60)", seller_a, cat);
	r = client_browse(&adm, "GET", "/admin/returns/windows", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Sellers can override");
	HAS(r, "1 seller");
	snprintf(path, sizeof(path), "name=\"d%lld\"", cat);
	HAS(r, path);
	HAS(r, "5 days, the shop");
	tidy_ok(r, "the admins' return windows");
	hresp_free(r);
	sql_execf("DELETE FROM seller_return_windows WHERE seller_id = %lld", seller_a);

	/* By the form, without JavaScript: the category's 14 days, the
	 * default blank again; the request is accepted. */
	snprintf(form, sizeof(form), "csrf=%s&defaultDays=&d%lld=14", adm.csrf, cat);
	r = client_browse(&adm, "POST", "/admin/returns/windows", form);
	ck_assert_msg(r->status == 303, "%ld %.500s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM return_windows"), 1);
	ck_assert_int_eq(sql_scalarf("SELECT days FROM return_windows WHERE category_id = %lld", cat), 14);
	ck_assert_int_eq(windows_audits(auid), audits + 3);
	ck_assert_int_eq(ask(&shopper, oid, body, NULL), 201);
	/* The audit log's page has the change. */
	r = client_browse(&adm, "GET", "/admin/audit?action=return_windows", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "return_windows.update");
	hresp_free(r);
	sql_execf("DELETE FROM return_windows");
}
END_TEST

/* ---- the form, without JavaScript ---- */

START_TEST(form_request)
{
	struct client shopper;
	char intent[80], path[100], form[300];
	long long oid = delivered_order(&shopper, 2, 0, intent, sizeof(intent)), rid;
	struct hresp *r;

	snprintf(path, sizeof(path), "/orders/%lld/return", oid);
	snprintf(form, sizeof(form), "csrf=%s&q1=0&reason=", shopper.csrf);
	r = client_browse(&shopper, "POST", path, form);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "Choose at least one item");
	hresp_free(r);
	snprintf(form, sizeof(form), "q1=1&reason=Wrong+colour");
	r = client_browse(&shopper, "POST", path, form);	/* no token */
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&q1=1&reason=Wrong+colour", shopper.csrf);
	r = client_browse(&shopper, "POST", path, form);
	ck_assert_msg(r->status == 303, "%ld %.500s", r->status, r->body);
	hresp_free(r);
	rid = sql_scalarf("SELECT MAX(id) FROM returns WHERE order_id = %lld", oid);
	ck_assert_str_eq(rstatus(rid), "requested");
	ck_assert_int_eq(sql_scalarf("SELECT quantity FROM return_lines WHERE return_id = %lld", rid), 1);
	/* The seller's forms: approve remembers the address for next time. */
	snprintf(path, sizeof(path), "/seller/returns/%lld/approve", rid);
	snprintf(form, sizeof(form), "csrf=%s&address=Returns%%0A9+Dock+Rd&label=1ZFORM%lld", sel_a.csrf, rid);
	r = client_browse(&sel_a, "POST", path, form);
	ck_assert_msg(r->status == 303, "%ld %.500s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM seller_return_settings WHERE seller_id = %lld", seller_a), 1);
	snprintf(path, sizeof(path), "/seller/returns/%lld/received", rid);
	snprintf(form, sizeof(form), "csrf=%s&restock=1", sel_a.csrf);
	r = client_browse(&sel_a, "POST", path, form);
	ck_assert_msg(r->status == 303, "%ld %.500s", r->status, r->body);
	hresp_free(r);
	ck_assert_str_eq(rstatus(rid), "refunded");
	snprintf(path, sizeof(path), "/orders/%lld", oid);
	r = client_browse(&shopper, "GET", path, NULL);
	HAS(r, "Refunded");
	HAS(r, "Return items");	/* the other unit still can be */
	tidy_ok(r, "the order page with a return");
	hresp_free(r);
}
END_TEST


/* ---- photos ---- */

struct bytes {
	char *p;
	size_t len;
};

static size_t bytes_write(char *p, size_t size, size_t n, void *ud)
{
	struct bytes *b = ud;
	char *q = realloc(b->p, b->len + size * n + 1);

	ck_assert_ptr_nonnull(q);
	memcpy(q + b->len, p, size * n);
	b->p = q;
	b->len += size * n;
	b->p[b->len] = '\0';
	return size * n;
}

/* A small PNG made with libvips: a gradient tinted by shade. */
static struct bytes png(int w, int h, int shade)
{
	VipsImage *xy = NULL, *m = NULL, *u = NULL, *rgb = NULL;
	void *buf = NULL;
	size_t len = 0;
	struct bytes b = { NULL, 0 };

	ck_assert_int_eq(vips_xyz(&xy, w, h, NULL), 0);
	ck_assert_int_eq(vips_remainder_const1(xy, &m, 256, NULL), 0);
	ck_assert_int_eq(vips_cast_uchar(m, &u, NULL), 0);
	ck_assert_int_eq(vips_bandjoin_const1(u, &rgb, shade, NULL), 0);
	ck_assert_int_eq(vips_pngsave_buffer(rgb, &buf, &len, NULL), 0);
	b.p = malloc(len + 1);
	ck_assert_ptr_nonnull(b.p);
	memcpy(b.p, buf, len);
	b.len = len;
	g_free(buf);
	g_object_unref(rgb);
	g_object_unref(u);
	g_object_unref(m);
	g_object_unref(xy);
	return b;
}

/* A request as cl (cookie sent), multipart when fields or a file are
 * given: fields "name=value" pairs (NULL-terminated, may be NULL), one
 * file part `file` (NULL: none) named file.png. api: JSON with the CSRF
 * header; else a browser's request. The body kept whole (binary). */
static struct hresp *send_as(struct client *cl, const char *method, const char *path, int api,
			     const char *const *fields, const char *file, const struct bytes *data)
{
	struct hresp *r = calloc(1, sizeof(*r));
	struct bytes b = { NULL, 0 }, h = { NULL, 0 };
	struct curl_slist *hl = NULL;
	curl_mime *mime = NULL;
	char line[512], url[1024];
	CURL *c = curl_easy_init();

	ck_assert_ptr_nonnull(r);
	snprintf(url, sizeof(url), "%s%s", base_url(), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (fields || file) {
		mime = curl_mime_init(c);
		for (size_t i = 0; fields && fields[i]; i++) {
			curl_mimepart *part = curl_mime_addpart(mime);
			const char *eq = strchr(fields[i], '=');
			char name[64];

			snprintf(name, sizeof(name), "%.*s", (int)(eq - fields[i]), fields[i]);
			curl_mime_name(part, name);
			curl_mime_data(part, eq + 1, CURL_ZERO_TERMINATED);
		}
		if (file) {
			curl_mimepart *part = curl_mime_addpart(mime);

			curl_mime_name(part, file);
			curl_mime_filename(part, "file.png");
			curl_mime_type(part, "image/png");
			curl_mime_data(part, data->p, data->len);
		}
		curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	}
	if (cl && cl->cookie[0]) {
		snprintf(line, sizeof(line), "Cookie: %s", cl->cookie);
		hl = curl_slist_append(hl, line);
	}
	if (api && cl) {
		snprintf(line, sizeof(line), "X-CSRF-Token: %s", cl->csrf);
		hl = curl_slist_append(hl, line);
	}
	hl = curl_slist_append(hl, api ? "Accept: application/json" : "Accept: text/html");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bytes_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, bytes_write);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_mime_free(mime);
	curl_easy_cleanup(c);
	r->body = b.p ? b.p : strdup("");
	r->len = b.len;
	r->headers = h.p ? h.p : strdup("");
	return r;
}

/* The stored file of a return photo (SHOP_MEDIA_DIR/returns/ab/...). */
static void photo_file(char *out, size_t n, const char *hash, const char *size)
{
	snprintf(out, n, "%s/media/returns/%.2s/%s-%s.webp", getenv("SHOP_HOME"), hash, hash, size);
}

static long photo_rows(long long rid)
{
	return (long)sql_scalarf("SELECT COUNT(*) FROM return_photos WHERE return_id = %lld", rid);
}

START_TEST(photos_private_and_kept)
{
	struct client shopper, other;
	char intent[80], path[200], q[40], reason[] = "reason=Cracked on arrival", csrf[160], hash[65], file[1200];
	long long oid = delivered_order(&shopper, 2, 0, intent, sizeof(intent)), rid, line;
	struct bytes pic = png(64, 48, 31), pic2 = png(40, 30, 77), bad;
	const char *form[4];
	struct hresp *r;
	json_t *j, *ph;
	struct stat st;

	line = sql_scalarf("SELECT line_no FROM order_lines WHERE order_id = %lld", oid);
	/* The form takes a photo with the request, multipart, CSRF as ever. */
	snprintf(path, sizeof(path), "/orders/%lld/return", oid);
	r = client_browse(&shopper, "GET", path, NULL);
	HAS(r, "enctype=\"multipart/form-data\"");
	HAS(r, "name=\"photos\"");
	hresp_free(r);
	snprintf(q, sizeof(q), "q%lld=1", line);
	snprintf(csrf, sizeof(csrf), "csrf=%s", shopper.csrf);
	form[0] = q;
	form[1] = reason;
	form[2] = NULL;
	r = send_as(&shopper, "POST", path, 0, form, "photos", &pic);	/* no token */
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	form[0] = csrf;
	form[1] = q;
	form[2] = reason;
	form[3] = NULL;
	r = send_as(&shopper, "POST", path, 0, form, "photos", &pic);
	ck_assert_msg(r->status == 303, "form: %ld %.500s", r->status, r->body);
	hresp_free(r);
	rid = sql_scalarf("SELECT MAX(id) FROM returns WHERE order_id = %lld", oid);
	ck_assert_int_eq(photo_rows(rid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM return_photos WHERE return_id = %lld AND position = 1 "
				     "AND width = 64 AND height = 48", rid), 1);

	/* The page shows it: a thumbnail linking to the full size. */
	snprintf(path, sizeof(path), "/returns/%lld", rid);
	r = client_browse(&shopper, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "alt=\"Photo 1 of the return\"");
	HAS(r, "/photos/");
	HAS(r, "Add photos");
	tidy_ok(r, "the return page with a photo");
	hresp_free(r);
	/* The API lists it; its URLs are shopd's, not /media/. */
	snprintf(path, sizeof(path), "/api/returns/%lld", rid);
	r = api(&shopper, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	hresp_free(r);
	ph = json_array_get(json_object_get(j, "photos"), 0);
	ck_assert_int_eq(json_array_size(json_object_get(j, "photos")), 1);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(ph, "url")));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(ph, "thumbUrl")), "/thumb"));
	{
		char full[200], thumb[200];

		snprintf(full, sizeof(full), "%s", json_string_value(json_object_get(ph, "url")));
		snprintf(thumb, sizeof(thumb), "%s", json_string_value(json_object_get(ph, "thumbUrl")));
		json_decref(j);
		/* The shopper gets the re-encoded WebP, with no metadata. */
		r = send_as(&shopper, "GET", full, 0, NULL, NULL, NULL);
		ck_assert_int_eq(r->status, 200);
		ck_assert_ptr_nonnull(strcasestr(r->headers, "Content-Type: image/webp"));
		ck_assert_ptr_nonnull(strcasestr(r->headers, "Cache-Control: private"));
		ck_assert(r->len > 12 && !memcmp(r->body, "RIFF", 4) && !memcmp(r->body + 8, "WEBP", 4));
		ck_assert_ptr_null(memmem(r->body, r->len, "EXIF", 4));
		{
			unsigned char h[crypto_hash_sha256_BYTES];

			/* Named by the SHA-256 of the full size, as product photos. */
			crypto_hash_sha256(h, (const unsigned char *)r->body, r->len);
			sodium_bin2hex(hash, sizeof(hash), h, sizeof(h));
		}
		hresp_free(r);
		/* The seller concerned sees it; another seller, another shopper
		 * and nobody signed in do not. */
		r = send_as(&sel_a, "GET", thumb, 0, NULL, NULL, NULL);
		ck_assert_int_eq(r->status, 200);
		hresp_free(r);
		r = send_as(&sel_b, "GET", thumb, 0, NULL, NULL, NULL);
		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
		signup(&other, "rtph", NULL, 0);
		r = send_as(&other, "GET", full, 0, NULL, NULL, NULL);
		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
		r = send_as(NULL, "GET", full, 0, NULL, NULL, NULL);
		ck_assert_int_ne(r->status, 200);
		hresp_free(r);
	}
	/* Nor by the file's own name under /media/ (nginx serves none). */
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM return_photos WHERE return_id = %lld AND hash = '%s'",
				     rid, hash), 1);
	photo_file(file, sizeof(file), hash, "full");
	ck_assert_msg(stat(file, &st) == 0, "no file %s", file);
	snprintf(path, sizeof(path), "/media/returns/%.2s/%s-full.webp", hash, hash);
	r = http_get(path);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(path, sizeof(path), "/media/%.2s/%s-full.webp", hash, hash);
	r = http_get(path);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	/* Another shopper's read and post: 404, as for the return. */
	snprintf(path, sizeof(path), "/api/returns/%lld", rid);
	r = api(&other, "GET", path, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(path, sizeof(path), "/api/returns/%lld/photos", rid);
	r = send_as(&other, "POST", path, 1, NULL, "photo", &pic2);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	ck_assert_int_eq(photo_rows(rid), 1);

	/* A bad file (a truncated PNG): 422 in words, nothing changes. */
	bad.p = malloc(pic2.len);
	ck_assert_ptr_nonnull(bad.p);
	memcpy(bad.p, pic2.p, pic2.len);
	bad.len = pic2.len - 20;
	r = send_as(&shopper, "POST", path, 1, NULL, "photo", &bad);
	ck_assert_msg(r->status == 422, "bad file: %ld %s", r->status, r->body);
	HAS(r, "truncated");
	hresp_free(r);
	ck_assert_int_eq(photo_rows(rid), 1);
	/* A good one: 201 with the photo. */
	r = send_as(&shopper, "POST", path, 1, NULL, "photo", &pic2);
	ck_assert_msg(r->status == 201, "add: %ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "position")), 2);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "thumbUrl")), "/photos/"));
	ck_assert_str_eq(json_string_value(json_object_get(j, "alt")), "Photo 2 of the return");
	json_decref(j);
	hresp_free(r);
	ck_assert_int_eq(photo_rows(rid), 2);

	/* The sweep (even of files of any age) keeps what a return names,
	 * and takes an orphan from the returns' place. */
	{
		char dir[1200], orphan[1400];
		struct utimbuf t = { time(NULL) - 7200, time(NULL) - 7200 };
		FILE *f;

		snprintf(dir, sizeof(dir), "%s/media/returns/de", getenv("SHOP_HOME"));
		mkdir(dir, 0755);
		snprintf(orphan, sizeof(orphan), "%s/deadbeef%056d-full.webp", dir, 0);
		ck_assert_ptr_nonnull(f = fopen(orphan, "w"));
		fputs("RIFF", f);
		fclose(f);
		ck_assert_int_eq(utime(orphan, &t), 0);
		ck_assert_int_eq(utime(file, &t), 0);
		ck_assert_int_eq(shopctl_run(NULL, NULL, "media-sweep 0"), 0);
		ck_assert_msg(stat(file, &st) == 0, "the sweep removed a return's photo %s", file);
		photo_file(file, sizeof(file), hash, "thumb");
		ck_assert_int_eq(stat(file, &st), 0);
		ck_assert_msg(stat(orphan, &st) != 0, "orphan %s kept", orphan);
	}

	/* Once decided: 409, nothing added. */
	ck_assert_int_eq(act(&sel_a, rid, "reject", "{\"reason\":\"Wear and tear\"}", NULL), 200);
	r = send_as(&shopper, "POST", path, 1, NULL, "photo", &pic);
	ck_assert_int_eq(r->status, 409);
	hresp_free(r);
	ck_assert_int_eq(photo_rows(rid), 2);
	/* The seller's page shows them too. */
	snprintf(path, sizeof(path), "/seller/returns/%lld", rid);
	r = client_browse(&sel_a, "GET", path, NULL);
	HAS(r, "alt=\"Photo 2 of the return\"");
	hresp_free(r);
	free(pic.p);
	free(pic2.p);
	free(bad.p);
}
END_TEST


/* ---- the shopper removes a photo while the return waits ---- */

START_TEST(photo_removed_while_requested)
{
	struct client shopper, other;
	char intent[80], path[200], body[300], form[300];
	long long oid = delivered_order(&shopper, 1, 0, intent, sizeof(intent)), rid, p1, p2;
	struct bytes pic = png(64, 48, 12), pic2 = png(40, 30, 99);
	struct hresp *r;
	char *mail;

	rid = ask_ok(&shopper, oid, 1, 1);
	snprintf(path, sizeof(path), "/api/returns/%lld/photos", rid);
	r = send_as(&shopper, "POST", path, 1, NULL, "photo", &pic);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	hresp_free(r);
	r = send_as(&shopper, "POST", path, 1, NULL, "photo", &pic2);
	ck_assert_int_eq(r->status, 201);
	hresp_free(r);
	p1 = sql_scalarf("SELECT id FROM return_photos WHERE return_id = %lld AND position = 1", rid);
	p2 = sql_scalarf("SELECT id FROM return_photos WHERE return_id = %lld AND position = 2", rid);
	/* The page offers a remove button per photo. */
	snprintf(path, sizeof(path), "/returns/%lld", rid);
	r = client_browse(&shopper, "GET", path, NULL);
	snprintf(body, sizeof(body), "/returns/%lld/photos/%lld/delete", rid, p1);
	HAS(r, body);
	tidy_ok(r, "the return page with photos to remove");
	hresp_free(r);
	/* Another shopper and the seller: 404, nothing removed. */
	signup(&other, "rtphdel", NULL, 0);
	snprintf(path, sizeof(path), "/api/returns/%lld/photos/%lld", rid, p1);
	r = api(&other, "DELETE", path, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = api(&sel_a, "DELETE", path, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	ck_assert_int_eq(photo_rows(rid), 2);
	/* The API: 200 with the return; the photo gone; once. */
	r = api(&shopper, "DELETE", path, NULL);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(photo_rows(rid), 1);
	r = api(&shopper, "DELETE", path, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND reason LIKE "
				     "'return %lld: photo 1 removed%%'", oid, rid), 1);
	/* Room again: a photo can be added in its place. */
	snprintf(path, sizeof(path), "/api/returns/%lld/photos", rid);
	r = send_as(&shopper, "POST", path, 1, NULL, "photo", &pic);
	ck_assert_int_eq(r->status, 201);
	hresp_free(r);
	ck_assert_int_eq(photo_rows(rid), 2);
	/* The seller's mail of the request links to its page with the photos. */
	snprintf(path, sizeof(path), "/seller/returns/%lld", rid);
	mail = maildir_wait(seller_a_email, path, 30);
	ck_assert_ptr_nonnull(mail);
	free(mail);
	r = client_browse(&sel_a, "GET", path, NULL);
	HAS(r, "alt=\"Photo 2 of the return\"");
	ck_assert_ptr_null(strstr(r->body, "/delete\""));	/* the seller removes none */
	hresp_free(r);
	/* Decided: photos stay as they are (409), by the form too. */
	snprintf(body, sizeof(body), "{\"address\":\"Returns, 9 Dock Rd\",\"label\":\"1ZPH%lld\"}", rid);
	ck_assert_int_eq(act(&sel_a, rid, "approve", body, NULL), 200);
	snprintf(path, sizeof(path), "/api/returns/%lld/photos/%lld", rid, p2);
	r = api(&shopper, "DELETE", path, NULL);
	ck_assert_int_eq(r->status, 409);
	hresp_free(r);
	snprintf(path, sizeof(path), "/returns/%lld/photos/%lld/delete", rid, p2);
	snprintf(form, sizeof(form), "csrf=%s", shopper.csrf);
	r = client_browse(&shopper, "POST", path, form);
	ck_assert_int_eq(r->status, 409);
	hresp_free(r);
	ck_assert_int_eq(photo_rows(rid), 2);
	free(pic.p);
	free(pic2.p);
}
END_TEST

/* ---- a guest returns by the order link ---- */

START_TEST(guest_returns_by_link)
{
	struct client guest, stranger;
	char email[160], body[600], key[80], link[300], token[120], path[400], form[600], loc[400];
	long long oid, rid, rid2, amount, sid, line;
	struct hresp *r;
	json_t *j;
	char *mail;

	memset(&guest, 0, sizeof(guest));
	ck_assert_int_eq(client_session(&guest), 0);
	memset(&stranger, 0, sizeof(stranger));
	ck_assert_int_eq(client_session(&stranger), 0);
	snprintf(email, sizeof(email), "%s", fresh_email("rtguest"));
	cart_put(&guest, code_a, 2);
	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"email\":\"%s\"}", email);
	r = client_req(&guest, "POST", "/api/checkout/quote", body, 1);
	ck_assert_msg(r->status == 200, "quote: %ld %s", r->status, r->body);
	j = hresp_json(r);
	amount = json_integer_value(json_object_get(j, "amount"));
	json_decref(j);
	hresp_free(r);
	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"email\":\"%s\",\"amount\":%lld,"
		 "\"paymentMethod\":\"pm_card_visa\"}", email, amount);
	snprintf(key, sizeof(key), "rtg-%d-%u", (int)getpid(), randombytes_random());
	r = post_idem(&guest, "/api/checkout", body, key, NULL);
	ck_assert_msg(r->status == 201, "guest checkout: %ld %s", r->status, r->body);
	j = hresp_json(r);
	oid = json_integer_value(json_object_get(j, "id"));
	snprintf(link, sizeof(link), "%s", json_string_value(json_object_get(j, "guestUrl")));
	json_decref(j);
	hresp_free(r);
	ck_assert_ptr_nonnull(strstr(link, "?t="));
	snprintf(token, sizeof(token), "%s", strstr(link, "?t=") + 3);
	/* Shipped and delivered by the seller. */
	line = sql_scalarf("SELECT line_no FROM order_lines WHERE order_id = %lld", oid);
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments", oid);
	snprintf(body, sizeof(body), "{\"lines\":[%lld],\"carrier\":\"UPS\",\"tracking\":\"1ZRTG%lld%u\"}", line, oid,
		 randombytes_random() % 100000);
	r = api(&sel_a, "POST", path, body);
	ck_assert_msg(r->status == 201, "ship: %ld %s", r->status, r->body);
	hresp_free(r);
	sid = sql_scalarf("SELECT id FROM shipments WHERE order_id = %lld", oid);
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments/%lld/delivered", oid, sid);
	r = api(&sel_a, "POST", path, "{}");
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);

	/* The guest's order page offers it, by the link. */
	r = client_browse(&guest, "GET", link, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Return items");
	snprintf(path, sizeof(path), "/orders/%lld/view/return?t&#61;%s", oid, token);	/* '=' escaped in attributes */
	HAS(r, path);
	hresp_free(r);
	/* A wrong token: 404, as for no such order; a signed-out stranger
	 * gets nothing of the shopper's routes either. */
	snprintf(path, sizeof(path), "/orders/%lld/view/return?t=AAAA%s", oid, token + 4);
	r = client_browse(&guest, "GET", path, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(path, sizeof(path), "/orders/%lld/view/return?t=%s", oid, token);
	r = client_browse(&guest, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "30 days after delivery");
	HAS(r, "name=\"t\"");
	tidy_ok(r, "the guest's return form");
	hresp_free(r);
	/* The form: same rules (a reason), then made; the page by the link. */
	snprintf(path, sizeof(path), "/orders/%lld/view/return", oid);
	snprintf(form, sizeof(form), "csrf=%s&t=%s&q%lld=1&reason=", guest.csrf, token, line);
	r = client_browse(&guest, "POST", path, form);
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&t=AAAA%s&q%lld=1&reason=Too+big", guest.csrf, token + 4, line);
	r = client_browse(&guest, "POST", path, form);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	{
		/* With a photo, multipart as the form sends it. */
		char f_csrf[160], f_t[160], f_q[40];
		const char *fields[] = { f_csrf, f_t, f_q, "reason=Too big", NULL };
		struct bytes pic = png(50, 40, 21);

		snprintf(f_csrf, sizeof(f_csrf), "csrf=%s", guest.csrf);
		snprintf(f_t, sizeof(f_t), "t=%s", token);
		snprintf(f_q, sizeof(f_q), "q%lld=1", line);
		r = send_as(&guest, "POST", path, 0, fields, "photos", &pic);
		free(pic.p);
	}
	ck_assert_msg(r->status == 303, "%ld %.500s", r->status, r->body);
	rid = sql_scalarf("SELECT MAX(id) FROM returns WHERE order_id = %lld", oid);
	snprintf(loc, sizeof(loc), "/returns/%lld/view?t=%s", rid, token);
	ck_assert_ptr_nonnull(strcasestr(r->headers, loc));
	hresp_free(r);
	ck_assert_str_eq(rstatus(rid), "requested");
	ck_assert_int_eq(photo_rows(rid), 1);
	r = client_browse(&guest, "GET", loc, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Waiting for the seller");
	HAS(r, "alt=\"Photo 1 of the return\"");
	/* The guest's own controls post to the link's routes, with the token. */
	snprintf(path, sizeof(path), "action=\"/returns/%lld/view/cancel\"", rid);
	HAS(r, path);
	snprintf(path, sizeof(path), "action=\"/returns/%lld/view/photos\"", rid);
	HAS(r, path);
	snprintf(path, sizeof(path), "action=\"/returns/%lld/view/photos/%lld/delete\"", rid,
		 sql_scalarf("SELECT id FROM return_photos WHERE return_id = %lld", rid));
	HAS(r, path);
	snprintf(path, sizeof(path), "name=\"t\" value=\"%s\"", token);
	HAS(r, path);
	tidy_ok(r, "the guest's return page");
	hresp_free(r);
	{
		/* A second photo by the link's API; with a wrong token, 404 and
		 * nothing added; the first removed by the page's form. */
		struct bytes pic = png(44, 33, 7);
		long long first = sql_scalarf("SELECT id FROM return_photos WHERE return_id = %lld", rid);

		snprintf(path, sizeof(path), "/api/returns/%lld/view/photos?t=AAAA%s", rid, token + 4);
		r = send_as(&guest, "POST", path, 1, NULL, "photo", &pic);
		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
		ck_assert_int_eq(photo_rows(rid), 1);
		snprintf(path, sizeof(path), "/api/returns/%lld/view/photos?t=%s", rid, token);
		r = send_as(&guest, "POST", path, 1, NULL, "photo", &pic);
		ck_assert_msg(r->status == 201, "guest photo: %ld %s", r->status, r->body);
		ck_assert_ptr_nonnull(strcasestr(r->headers, "?t="));
		hresp_free(r);
		free(pic.p);
		ck_assert_int_eq(photo_rows(rid), 2);
		snprintf(path, sizeof(path), "/returns/%lld/view/photos/%lld/delete", rid, first);
		snprintf(form, sizeof(form), "csrf=%s&t=%s", guest.csrf, token);
		r = client_browse(&guest, "POST", path, form);
		ck_assert_int_eq(r->status, 303);
		ck_assert_ptr_nonnull(strcasestr(r->headers, loc));
		hresp_free(r);
		ck_assert_int_eq(photo_rows(rid), 1);
	}
	/* Its photo by the link; not without it. */
	snprintf(path, sizeof(path), "/returns/%lld/view/photos/%lld/thumb?t=%s", rid,
		 sql_scalarf("SELECT id FROM return_photos WHERE return_id = %lld", rid), token);
	r = send_as(&stranger, "GET", path, 0, NULL, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strcasestr(r->headers, "Content-Type: image/webp"));
	hresp_free(r);
	snprintf(path, sizeof(path), "/returns/%lld/view/photos/%lld/thumb?t=AAAA%s", rid,
		 sql_scalarf("SELECT id FROM return_photos WHERE return_id = %lld", rid), token + 4);
	r = send_as(&stranger, "GET", path, 0, NULL, NULL, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(path, sizeof(path), "/returns/%lld/view?t=AAAA%s", rid, token + 4);
	r = client_browse(&stranger, "GET", path, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(path, sizeof(path), "/returns/%lld", rid);
	r = client_browse(&stranger, "GET", path, NULL);
	ck_assert_int_ne(r->status, 200);
	hresp_free(r);
	/* JSON: the other unit, then nothing left. */
	snprintf(path, sizeof(path), "/api/orders/%lld/view/returns?t=%s", oid, token);
	snprintf(body, sizeof(body), "{\"lines\":[{\"line\":%lld,\"quantity\":1}],\"reason\":\"Wrong colour\"}", line);
	r = api(&guest, "POST", path, body);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	j = hresp_json(r);
	rid2 = json_integer_value(json_object_get(j, "id"));
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "requested");
	json_decref(j);
	hresp_free(r);
	r = api(&guest, "POST", path, body);
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	/* The seller decides as for anyone; the guest follows it. */
	snprintf(body, sizeof(body), "{\"address\":\"Returns, 9 Dock Rd\",\"label\":\"1ZGST%lld\"}", rid2);
	ck_assert_int_eq(act(&sel_a, rid2, "approve", body, NULL), 200);
	snprintf(path, sizeof(path), "/api/returns/%lld/view?t=%s", rid2, token);
	r = api(&guest, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "approved");
	ck_assert_str_eq(json_string_value(json_object_get(j, "returnAddress")), "Returns, 9 Dock Rd");
	json_decref(j);
	hresp_free(r);
	snprintf(path, sizeof(path), "/orders/%lld/view?t=%s", oid, token);
	r = api(&guest, "GET", path, NULL);
	j = hresp_json(r);
	ck_assert_int_eq(json_array_size(json_object_get(j, "returns")), 2);
	json_decref(j);
	hresp_free(r);
	/* The guest's mail links to the return by the link. */
	snprintf(path, sizeof(path), "/returns/%lld/view?t=%s", rid2, token);
	mail = maildir_wait(email, path, 30);
	ck_assert_ptr_nonnull(mail);
	free(mail);
	/* The guest withdraws both: the requested one by the page's form (a
	 * wrong token first: 404, nothing changed), the approved one by the
	 * API; then nothing is left to withdraw and the units can be asked
	 * for again. */
	snprintf(path, sizeof(path), "/returns/%lld/view/cancel", rid);
	snprintf(form, sizeof(form), "csrf=%s&t=AAAA%s", guest.csrf, token + 4);
	r = client_browse(&guest, "POST", path, form);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	ck_assert_str_eq(rstatus(rid), "requested");
	snprintf(form, sizeof(form), "csrf=%s&t=%s", guest.csrf, token);
	r = client_browse(&guest, "POST", path, form);
	ck_assert_int_eq(r->status, 303);
	ck_assert_ptr_nonnull(strcasestr(r->headers, loc));
	hresp_free(r);
	ck_assert_str_eq(rstatus(rid), "cancelled");
	snprintf(path, sizeof(path), "/api/returns/%lld/view/cancel?t=%s", rid2, token);
	r = api(&guest, "POST", path, "{}");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "cancelled");
	json_decref(j);
	hresp_free(r);
	ck_assert_str_eq(rstatus(rid2), "cancelled");
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND reason LIKE "
				     "'return %% withdrawn by the shopper'", oid), 2);
	snprintf(path, sizeof(path), "/api/orders/%lld/view/returns?t=%s", oid, token);
	snprintf(body, sizeof(body), "{\"lines\":[{\"line\":%lld,\"quantity\":2}],\"reason\":\"Changed my mind\"}", line);
	r = api(&guest, "POST", path, body);
	ck_assert_msg(r->status == 201, "after withdrawing: %ld %s", r->status, r->body);
	hresp_free(r);
	/* The emailed link in a fresh browser (no cookie yet): the page
	 * starts a session, so its form's token matches on the first post
	 * (before, the post met the confirm step). */
	{
		struct client fresh;
		long long rid3 = sql_scalarf("SELECT MAX(id) FROM returns WHERE order_id = %lld", oid);
		const char *v;

		memset(&fresh, 0, sizeof(fresh));
		snprintf(path, sizeof(path), "/returns/%lld/view?t=%s", rid3, token);
		r = client_browse(&fresh, "GET", path, NULL);
		ck_assert_int_eq(r->status, 200);
		ck_assert_msg(fresh.cookie[0], "no session started");
		v = strstr(r->body, "name=\"csrf\" value=\"");
		ck_assert_ptr_nonnull(v);
		v += strlen("name=\"csrf\" value=\"");
		ck_assert_int_gt((int)strcspn(v, "\""), 0);
		snprintf(form, sizeof(form), "csrf=%.*s&t=%s", (int)strcspn(v, "\""), v, token);
		hresp_free(r);
		snprintf(path, sizeof(path), "/returns/%lld/view/cancel", rid3);
		r = client_browse(&fresh, "POST", path, form);
		ck_assert_msg(r->status == 303, "first post from a fresh browser: %ld", r->status);
		hresp_free(r);
		ck_assert_str_eq(rstatus(rid3), "cancelled");
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("returns");
	TCase *t = tcase_create("returns");

	harness_init();
	if (sodium_init() < 0 || VIPS_INIT("test_returns"))
		return 1;
	tcase_add_unchecked_fixture(t, setup_once, NULL);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, approve_receive_restock_refund);
	tcase_add_test(t, rejected_changes_nothing);
	tcase_add_test(t, window_and_quantities);
	tcase_add_test(t, lost_answer_write_off_refunds_once);
	tcase_add_test(t, worker_killed_refunds_once);
	tcase_add_test(t, ignored_request_escalates);
	tcase_add_test(t, form_request);
	tcase_add_test(t, photos_private_and_kept);
	tcase_add_test(t, photo_removed_while_requested);
	tcase_add_test(t, admin_acts_on_escalated);
	tcase_add_test(t, refused_refund_escalates_and_retries);
	tcase_add_test(t, seller_return_settings);
	tcase_add_test(t, admin_return_windows);
	tcase_add_test(t, guest_returns_by_link);
	suite_add_tcase(s, t);
	return run_suite(s);
}
