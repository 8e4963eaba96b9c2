/* t/http: fulfillment (issue 7) against the real stack and the sandbox
 * gateway: shipping captures the lines' part of the authorization (checked
 * on the gateway's own API), tracking shown to the shopper, a capture whose
 * answer is lost (paygate faults) left pending and retried without a second
 * capture, two sellers on one order, delivery by the seller and by the
 * signed carrier webhook (forged, stale, unknown, replayed), refunds with
 * restock, cancellation of unshipped lines, isolation between sellers.
 * After every test the inventory invariants are checked in SQL. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "harness.h"

#define PW "correct horse battery"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.1500s", (s), (r)->body)
/* Absent from an answer that came and is no server error (a 500 page lacks
 * everything). */
#define LACKS(r, s) ck_assert_msg((r)->status > 0 && (r)->status < 500 && strstr((r)->body, (s)) == NULL, \
				"status %ld, body must not have %s: %.600s", (r)->status, (s), (r)->body)
/* The stack's carrier secret ($SHOP_HOME/carrier-secret, made by
 * scripts/stack), read in setup. */
static char carrier_secret[256];
#define CARRIER_SECRET carrier_secret

#define ADDR "\"shippingAddress\":{\"name\":\"Ann Buyer\",\"line1\":\"1 Main St\",\"city\":\"Austin\"," \
	     "\"region\":\"TX\",\"postalCode\":\"78701\",\"country\":\"US\"}"

static char gw_base[128], gw_key[128];
/* Two sellers, each with one SKU of its own (demo products given to them). */
static long long seller_a, seller_b, sku_a, sku_b, start_a, start_b;
static char code_a[64], code_b[64];
static struct client sel_a, sel_b;

/* ---- the gateway ---- */

static long gw(const char *method, const char *path, const char *body, char **out)
{
	char auth[200], url[300];
	const char *h[] = { auth, "Content-Type: application/json", NULL };
	struct hresp *r;
	long st;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", gw_key);
	snprintf(url, sizeof(url), "%s%s", gw_base, path);
	r = http_url(method, url, body, h, NULL);
	st = r->status;
	if (out)
		*out = strdup(r->body);
	hresp_free(r);
	return st;
}

static void gw_faults(const char *json)
{
	ck_assert_int_eq(gw("POST", "/v1/test/faults", json, NULL), 200);
}

static json_t *gw_intent(const char *intent)
{
	char path[200], *body = NULL;
	json_t *j;

	snprintf(path, sizeof(path), "/v1/payment_intents/%s", intent);
	ck_assert_int_eq(gw("GET", path, NULL, &body), 200);
	j = json_loads(body, 0, NULL);
	free(body);
	ck_assert_ptr_nonnull(j);
	return j;
}

static long long intent_num(const char *intent, const char *field)
{
	json_t *j = gw_intent(intent);
	long long v = json_integer_value(json_object_get(j, field));

	json_decref(j);
	return v;
}

static int intent_is(const char *intent, const char *status)
{
	json_t *j = gw_intent(intent);
	int v = !strcmp(json_string_value(json_object_get(j, "status")), status);

	json_decref(j);
	return v;
}

static long carrier_event(const char *body, long long t, const char *secret);

/* ---- people ---- */

static long long signup(struct client *cl, const char *tag)
{
	char email[128];

	memset(cl, 0, sizeof(*cl));
	snprintf(email, sizeof(email), "%s", fresh_email(tag));
	ck_assert_int_eq(client_signup(cl, "Pat Person", email, PW), 0);
	return sql_scalarf("SELECT id FROM users WHERE email = '%s'", email);
}

/* A seller account run by a new user, owning the product of sku. */
static long long make_seller(struct client *cl, const char *tag, long long sku)
{
	long long uid = signup(cl, tag), sid;

	sql_execf("INSERT INTO sellers (slug, display_name, user_id) VALUES ('%s-%lld', 'Seller %s', %lld)", tag, uid, tag, uid);
	sql_execf("UPDATE users SET is_seller = 1 WHERE id = %lld", uid);
	sid = sql_scalarf("SELECT id FROM sellers WHERE user_id = %lld", uid);
	sql_execf("UPDATE products SET seller_id = %lld WHERE id = (SELECT product_id FROM skus WHERE id = %lld)", sid, sku);
	return sid;
}

/* A confirmed (paid, authorized) order of qa units of sku_a and qb of
 * sku_b; its payment intent into intent. */
static long long paid_order(struct client *shopper, int qa, int qb, char *intent, size_t n)
{
	struct hresp *r;
	json_t *j;
	long long amount, oid;
	char body[600], key[80];
	static int k;

	signup(shopper, "buyer");
	if (qa)
		cart_put(shopper, code_a, qa);
	if (qb)
		cart_put(shopper, code_b, qb);
	r = client_req(shopper, "POST", "/api/checkout/quote", "{" ADDR ",\"shippingMethod\":\"standard\"}", 1);
	ck_assert_msg(r->status == 200, "quote: %ld %s", r->status, r->body);
	j = hresp_json(r);
	amount = json_integer_value(json_object_get(j, "amount"));
	json_decref(j);
	hresp_free(r);
	snprintf(body, sizeof(body), "{" ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
		 "\"paymentMethod\":\"pm_card_visa\"}", amount);
	snprintf(key, sizeof(key), "ff-%d-%d-%u", (int)getpid(), ++k, randombytes_random());
	{
		char cookie[300], token[200], idem[200];
		const char *h[] = { "Content-Type: application/json", "Accept: application/json", cookie, token, idem, NULL };

		snprintf(cookie, sizeof(cookie), "Cookie: %s", shopper->cookie);
		snprintf(token, sizeof(token), "X-CSRF-Token: %s", shopper->csrf);
		snprintf(idem, sizeof(idem), "Idempotency-Key: %s", key);
		r = http("POST", "/api/checkout", body, h);
	}
	ck_assert_msg(r->status == 201, "checkout: %ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "confirmed");
	oid = json_integer_value(json_object_get(j, "id"));
	snprintf(intent, n, "%s", json_string_value(json_object_get(json_object_get(j, "payment"), "id")));
	json_decref(j);
	hresp_free(r);
	return oid;
}

static long long line_of(long long oid, long long sku)
{
	return sql_scalarf("SELECT line_no FROM order_lines WHERE order_id = %lld AND sku_id = %lld", oid, sku);
}

static const char *status_of(long long oid)
{
	static char s[32];
	static const char *all[] = { "confirmed", "fulfilling", "shipped", "delivered", "returned", "refunded",
				     "cancelled", NULL };

	for (int i = 0; all[i]; i++)
		if (sql_scalarf("SELECT COUNT(*) FROM orders WHERE id = %lld AND status = '%s'", oid, all[i]) == 1) {
			snprintf(s, sizeof(s), "%s", all[i]);
			return s;
		}
	return "?";
}

/* A JSON call as a seller; the answer (caller frees). */
static struct hresp *api(struct client *cl, const char *method, const char *path, const char *body)
{
	return client_req(cl, method, path, body, 1);
}

static long long ship_api(struct client *cl, long long oid, const char *lines, const char *carrier,
			  const char *tracking, long expect)
{
	char path[200], body[300];
	struct hresp *r;
	json_t *j;
	long long sid = 0;

	snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments", oid);
	snprintf(body, sizeof(body), "{\"lines\":%s,\"carrier\":\"%s\",\"tracking\":\"%s\"}", lines, carrier, tracking);
	r = api(cl, "POST", path, body);
	ck_assert_msg(r->status == expect, "ship %lld: %ld %s", oid, r->status, r->body);
	j = hresp_json(r);
	if (j && json_object_get(j, "shipment"))
		sid = json_integer_value(json_object_get(json_object_get(j, "shipment"), "id"));
	json_decref(j);
	hresp_free(r);
	return sid;
}

/* ---- invariants ---- */

/* Conservation: every column, plus what left in shipments, less every
 * recorded stock movement (restocks after refunds, and the tests' own
 * set_stock) stays what it started with. */
static long long units_accounted(long long sku)
{
	return sql_scalarf("SELECT (SELECT SUM(available + reserved + committed) FROM inventory WHERE sku_id = %lld) "
		       "+ (SELECT COALESCE(SUM(quantity), 0) FROM holds WHERE sku_id = %lld AND state = 'shipped') "
		       /* ARCHIVE: shipped holds of archived orders. */
		       "+ (SELECT COALESCE(SUM(quantity), 0) FROM holds_archive WHERE sku_id = %lld AND state = 'shipped') "
		       "- (SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE sku_id = %lld)",
		       sku, sku, sku, sku);
}

static void invariants(void)
{
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM inventory WHERE available < 0 OR reserved < 0 OR committed < 0"), 0);
	ck_assert_int_eq(sql_scalar(
		"SELECT COUNT(*) FROM inventory i WHERE i.reserved <> (SELECT COALESCE(SUM(h.quantity), 0) FROM holds h "
		"WHERE h.sku_id = i.sku_id AND h.warehouse_id = i.warehouse_id AND h.state = 'held' AND h.sale_id IS NULL) "
		"OR i.committed <> (SELECT COALESCE(SUM(h.quantity), 0) FROM holds h "
		"WHERE h.sku_id = i.sku_id AND h.warehouse_id = i.warehouse_id AND h.state = 'committed' AND h.sale_id IS NULL)"), 0);
	/* Shipped units are exactly the shipped lines' units. */
	ck_assert_int_eq(sql_scalar(
		"SELECT COUNT(*) FROM order_lines l WHERE l.quantity * (l.state IN ('shipped', 'delivered', 'returned')) <> "
		"(SELECT COALESCE(SUM(h.quantity), 0) FROM holds h WHERE h.order_id = l.order_id AND h.sku_id = l.sku_id "
		"AND h.state = 'shipped')"), 0);
	/* Never more refunded than a line's amount, never negative. */
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM order_lines WHERE refunded_qty < 0 OR refunded_qty > quantity "
				    "OR refunded_amount < 0"), 0);
	ck_assert_int_eq(units_accounted(sku_a), start_a);
	ck_assert_int_eq(units_accounted(sku_b), start_b);
}

static void setup(void)
{
	char q[400], port[16];

	clear_ip_throttles();
	snprintf(q, sizeof(q), "%s/run/paygate.port", getenv("SHOP_HOME"));
	file_trimmed(q, port, sizeof(port));
	snprintf(gw_base, sizeof(gw_base), "http://127.0.0.1:%s", port);
	snprintf(q, sizeof(q), "%s/paygate/api-key", getenv("SHOP_HOME"));
	file_trimmed(q, gw_key, sizeof(gw_key));
	snprintf(q, sizeof(q), "%s/carrier-secret", getenv("SHOP_HOME"));
	file_trimmed(q, carrier_secret, sizeof(carrier_secret));
	ck_assert_msg(carrier_secret[0], "no carrier secret in %s", q);
	sku_a = sql_scalar("SELECT MIN(id) FROM skus WHERE code LIKE 'GRO-%'");
	sku_b = sql_scalar("SELECT MIN(id) FROM skus WHERE code LIKE 'KIT-%'");
	ck_assert_int_gt(sku_a, 0);
	ck_assert_int_gt(sku_b, 0);
	seller_a = make_seller(&sel_a, "sella", sku_a);
	seller_b = make_seller(&sel_b, "sellb", sku_b);
	set_stock_only(sku_a, 1, 40, "test_fulfillment: stock for the test");
	set_stock_only(sku_b, 1, 40, "test_fulfillment: stock for the test");
	resync_read_model();
	{
		long long ids[2] = { sku_a, sku_b };
		char *codes[2] = { code_a, code_b };

		for (int i = 0; i < 2; i++) {
			struct hresp *r;
			json_t *j;

			snprintf(q, sizeof(q), "/api/items/%lld", sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", ids[i]));
			r = http_get_json(q);
			j = hresp_json(r);
			snprintf(codes[i], 64, "%s", json_string_value(json_object_get(j, "sku")));
			json_decref(j);
			hresp_free(r);
		}
	}
	start_a = units_accounted(sku_a);
	start_b = units_accounted(sku_b);
}

static void teardown(void)
{
	gw_faults("{}");
	invariants();
	resync_read_model();
}

/* ---- ship, capture, tracking, delivery by the seller ---- */

START_TEST(ship_captures_and_tracks)
{
	struct client shopper;
	char intent[80], path[200];
	long long oid = paid_order(&shopper, 2, 0, intent, sizeof(intent)), total, sid, committed;
	struct hresp *r;
	json_t *j;

	total = sql_scalarf("SELECT total FROM orders WHERE id = %lld", oid);
	committed = sql_scalarf("SELECT SUM(committed) FROM inventory WHERE sku_id = %lld", sku_a);
	ck_assert_int_eq(intent_num(intent, "amount_received"), 0);

	/* The seller's list (page and API), newest first, and the "to ship" filter. */
	r = client_browse(&sel_a, "GET", "/seller/orders", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "seller-nav");
	snprintf(path, sizeof(path), "/seller/orders/%lld", oid);
	HAS(r, path);
	hresp_free(r);
	r = client_browse(&sel_a, "GET", "/seller/orders?filter=to-ship", NULL);
	HAS(r, path);
	hresp_free(r);
	r = client_browse(&sel_a, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, code_a);
	HAS(r, "1 Main St");
	hresp_free(r);

	/* Pick, then ship: the capture at the gateway comes first. */
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/pick", oid);
	r = api(&sel_a, "POST", path, "{\"lines\":[1]}");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	hresp_free(r);
	ck_assert_str_eq(status_of(oid), "fulfilling");
	sid = ship_api(&sel_a, oid, "[1]", "UPS", "1Z999AA10123456784", 201);
	ck_assert_int_gt(sid, 0);
	ck_assert_str_eq(status_of(oid), "shipped");
	ck_assert_int_eq(intent_num(intent, "amount_received"), total);
	ck_assert(intent_is(intent, "succeeded"));
	ck_assert_int_eq(sql_scalarf("SELECT SUM(committed) FROM inventory WHERE sku_id = %lld", sku_a), committed - 2);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'StockChanged' AND "
				 "JSON_VALUE(payload, '$.orderId') = %lld AND JSON_VALUE(payload, '$.reason') = 'shipped'", oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND to_status IN ('fulfilling', 'shipped')", oid), 2);
	/* The same tracking number again is refused; the same lines too. */
	ship_api(&sel_a, oid, "[1]", "UPS", "1Z999AA10123456784", 409);

	/* The shopper sees the tracking: API and page. */
	snprintf(path, sizeof(path), "/api/orders/%lld", oid);
	r = client_req(&shopper, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	{
		json_t *s = json_array_get(json_object_get(j, "shipments"), 0);

		ck_assert_ptr_nonnull(s);
		ck_assert_str_eq(json_string_value(json_object_get(s, "carrier")), "UPS");
		ck_assert_str_eq(json_string_value(json_object_get(s, "tracking")), "1Z999AA10123456784");
		ck_assert_str_eq(json_string_value(json_object_get(s, "status")), "shipped");
		ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(s, "lineNos"), 0)), 1);
		ck_assert_ptr_nonnull(json_string_value(json_object_get(s, "shippedAt")));
	}
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "shipped");
	json_decref(j);
	hresp_free(r);
	snprintf(path, sizeof(path), "/orders/%lld", oid);
	r = client_browse(&shopper, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "1Z999AA10123456784");
	LACKS(r, "Cancel this order");
	hresp_free(r);

	/* Delivered, by the seller (twice: the same answer). */
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments/%lld/delivered", oid, sid);
	r = api(&sel_a, "POST", path, "{}");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	hresp_free(r);
	r = api(&sel_a, "POST", path, "{}");
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	ck_assert_str_eq(status_of(oid), "delivered");
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND to_status = 'delivered'", oid), 1);
	snprintf(path, sizeof(path), "/api/orders/%lld", oid);
	r = client_req(&shopper, "GET", path, NULL, 0);
	HAS(r, "\"deliveredAt\":\"");
	hresp_free(r);
}
END_TEST

/* ---- a capture whose answer is lost ---- */

START_TEST(capture_failure_then_retry)
{
	struct client shopper;
	char intent[80], path[200], form[300];
	long long oid = paid_order(&shopper, 1, 0, intent, sizeof(intent)), total, sid;
	struct hresp *r;

	total = sql_scalarf("SELECT total FROM orders WHERE id = %lld", oid);
	/* Every gateway answer is lost (the gateway does the work, the shop
	 * never hears): the page says so, nothing counts as shipped. */
	gw_faults("{\"drop_response\":1000}");
	snprintf(path, sizeof(path), "/seller/orders/%lld/ship", oid);
	snprintf(form, sizeof(form), "csrf=%s&line=1&carrier=DHL&tracking=JD014600006281230704", sel_a.csrf);
	r = client_browse(&sel_a, "POST", path, form);
	ck_assert_int_eq(r->status, 502);
	HAS(r, "did not answer");
	HAS(r, "Retry the capture");
	hresp_free(r);
	sid = sql_scalarf("SELECT id FROM shipments WHERE order_id = %lld", oid);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'pending' FROM shipments WHERE id = %lld", sid), 1);
	ck_assert_str_eq(status_of(oid), "fulfilling");
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_lines WHERE order_id = %lld AND state = 'shipped'", oid), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM holds WHERE order_id = %lld AND state = 'shipped'", oid), 0);
	/* The seller's page shows the error; the shopper sees no tracking yet. */
	snprintf(path, sizeof(path), "/seller/orders/%lld", oid);
	r = client_browse(&sel_a, "GET", path, NULL);
	HAS(r, "did not answer");
	hresp_free(r);
	snprintf(path, sizeof(path), "/api/orders/%lld", oid);
	r = client_req(&shopper, "GET", path, NULL, 0);
	HAS(r, "\"shipments\":[]");
	hresp_free(r);

	/* Fault cleared: the retry button replays the same capture (same key). */
	gw_faults("{}");
	snprintf(path, sizeof(path), "/seller/orders/%lld/shipments/%lld/retry", oid, sid);
	snprintf(form, sizeof(form), "csrf=%s", sel_a.csrf);
	r = client_browse(&sel_a, "POST", path, form);
	ck_assert_msg(r->status == 303, "%ld %s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'shipped' FROM shipments WHERE id = %lld", sid), 1);
	ck_assert_str_eq(status_of(oid), "shipped");
	/* Captured once, whatever the number of tries. */
	ck_assert_int_eq(intent_num(intent, "amount_received"), total);
	r = client_browse(&sel_a, "POST", path, form);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	ck_assert_int_eq(intent_num(intent, "amount_received"), total);
}
END_TEST

/* The jobs process retries a pending capture by itself (with backoff). */
START_TEST(capture_retried_by_jobs)
{
	struct client shopper;
	char intent[80];
	long long oid = paid_order(&shopper, 1, 0, intent, sizeof(intent)), total, sid;
	int shipped = 0;

	total = sql_scalarf("SELECT total FROM orders WHERE id = %lld", oid);
	gw_faults("{\"drop_response\":1000}");
	sid = ship_api(&sel_a, oid, "[1]", "DHL", "JOBRETRY1", 502);
	ck_assert_int_gt(sid, 0);	/* the 502 names the pending shipment */
	ck_assert_int_eq(sql_scalarf("SELECT status = 'pending' AND last_error IS NOT NULL FROM shipments WHERE id = %lld", sid), 1);
	ck_assert_str_eq(status_of(oid), "fulfilling");
	gw_faults("{}");
	/* Not a timing assertion: wait for the job's turn, however long the
	 * backoff (first retry 5 s after the failure). */
	for (int i = 0; i < 600 && !shipped; i++) {
		shipped = sql_scalarf("SELECT status = 'shipped' FROM shipments WHERE id = %lld", sid) == 1;
		if (!shipped)
			usleep(100000);
	}
	ck_assert(shipped);
	ck_assert_str_eq(status_of(oid), "shipped");
	ck_assert_int_eq(intent_num(intent, "amount_received"), total);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND actor = 'jobs'", oid), 1);
}
END_TEST

/* A definite refusal: the gateway's own words are shown, nothing shipped. */
START_TEST(capture_refused_shows_gateway_message)
{
	struct client shopper;
	char intent[80], path[200];
	long long oid = paid_order(&shopper, 1, 0, intent, sizeof(intent));
	struct hresp *r;

	/* The authorization is voided behind the shop's back. */
	snprintf(path, sizeof(path), "/v1/payment_intents/%s/cancel", intent);
	ck_assert_int_eq(gw("POST", path, "{}", NULL), 200);
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments", oid);
	r = api(&sel_a, "POST", path, "{\"lines\":[1],\"carrier\":\"UPS\",\"tracking\":\"REFUSED1\"}");
	ck_assert_int_eq(r->status, 502);
	HAS(r, "refused the capture");
	HAS(r, "\"shipment\"");
	HAS(r, "\"status\":\"pending\"");
	hresp_free(r);
	ck_assert_str_eq(status_of(oid), "fulfilling");
	ck_assert_int_eq(sql_scalarf("SELECT capture_gen FROM shipments WHERE order_id = %lld", oid), 1);
	snprintf(path, sizeof(path), "/seller/orders/%lld", oid);
	r = client_browse(&sel_a, "GET", path, NULL);
	HAS(r, "refused the capture");
	hresp_free(r);
	ck_assert_int_eq(intent_num(intent, "amount_received"), 0);
	/* A carrier's "delivered" for a parcel whose capture is pending: 409,
	 * and not recorded (its redelivery must still count later). */
	{
		char body[300];

		snprintf(body, sizeof(body), "{\"id\":\"cevt_p%lld\",\"type\":\"delivered\",\"carrier\":\"UPS\","
			 "\"tracking\":\"REFUSED1\"}", oid);
		ck_assert_int_eq(carrier_event(body, (long long)time(NULL), CARRIER_SECRET), 409);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM carrier_events WHERE event_id = 'cevt_p%lld'", oid), 0);
	}
}
END_TEST

/* ---- two sellers, one order ---- */

START_TEST(two_sellers_partial_then_shipped)
{
	struct client shopper;
	char intent[80], path[200];
	long long oid = paid_order(&shopper, 1, 2, intent, sizeof(intent)), total, la, lb, got_a;
	struct hresp *r;
	json_t *j;

	total = sql_scalarf("SELECT total FROM orders WHERE id = %lld", oid);
	la = line_of(oid, sku_a);
	lb = line_of(oid, sku_b);
	/* Each seller sees only their own lines. */
	snprintf(path, sizeof(path), "/api/seller/orders/%lld", oid);
	r = api(&sel_a, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert_int_eq(json_array_size(json_object_get(j, "lines")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(j, "lines"), 0), "lineNo")), la);
	json_decref(j);
	HAS(r, code_a);
	LACKS(r, code_b);
	hresp_free(r);
	r = api(&sel_b, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, code_b);
	LACKS(r, code_a);
	hresp_free(r);
	snprintf(path, sizeof(path), "/seller/orders/%lld", oid);
	r = client_browse(&sel_b, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	LACKS(r, code_a);
	hresp_free(r);
	/* A's line named by B: refused, nothing changes. */
	{
		char lines[32];

		snprintf(lines, sizeof(lines), "[%lld]", la);
		ship_api(&sel_b, oid, lines, "UPS", "BTRIESA1", 400);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM shipments WHERE order_id = %lld", oid), 0);

		/* A ships: the order is part-shipped, part of the money captured. */
		ship_api(&sel_a, oid, lines, "UPS", "1ZA0001", 201);
	}
	ck_assert_str_eq(status_of(oid), "fulfilling");
	got_a = intent_num(intent, "amount_received");
	ck_assert_int_gt(got_a, 0);
	ck_assert_int_lt(got_a, total);
	ck_assert(intent_is(intent, "requires_capture"));
	ck_assert_int_eq(intent_num(intent, "amount_capturable"), total - got_a);
	/* B's view of the shipments holds only B's. */
	snprintf(path, sizeof(path), "/api/seller/orders/%lld", oid);
	r = api(&sel_b, "GET", path, NULL);
	HAS(r, "\"shipments\":[]");
	hresp_free(r);
	{
		char lines[32];

		snprintf(lines, sizeof(lines), "[%lld]", lb);
		ship_api(&sel_b, oid, lines, "FedEx", "7489001", 201);
	}
	ck_assert_str_eq(status_of(oid), "shipped");
	ck_assert_int_eq(intent_num(intent, "amount_received"), total);
	ck_assert(intent_is(intent, "succeeded"));
	/* The shopper sees both shipments. */
	snprintf(path, sizeof(path), "/api/orders/%lld", oid);
	r = client_req(&shopper, "GET", path, NULL, 0);
	j = hresp_json(r);
	ck_assert_int_eq(json_array_size(json_object_get(j, "shipments")), 2);
	json_decref(j);
	hresp_free(r);
}
END_TEST

/* ---- isolation ---- */

START_TEST(other_sellers_order_is_404)
{
	struct client shopper, outsider;
	char intent[80], path[200], form[200];
	long long oid = paid_order(&shopper, 1, 0, intent, sizeof(intent));
	const char *gets[] = { "/seller/orders/%lld", "/api/seller/orders/%lld", NULL };
	const char *posts[] = { "/api/seller/orders/%lld/pick", "/api/seller/orders/%lld/refunds",
				"/api/seller/orders/%lld/shipments", NULL };
	struct hresp *r;

	for (int i = 0; gets[i]; i++) {
		snprintf(path, sizeof(path), gets[i], oid);
		r = api(&sel_b, "GET", path, NULL);
		ck_assert_msg(r->status == 404, "%s: %ld", path, r->status);
		hresp_free(r);
	}
	for (int i = 0; posts[i]; i++) {
		snprintf(path, sizeof(path), posts[i], oid);
		r = api(&sel_b, "POST", path, "{\"lines\":[1],\"carrier\":\"UPS\",\"tracking\":\"STEAL1\"}");
		ck_assert_msg(r->status == 404, "%s: %ld %s", path, r->status, r->body);
		hresp_free(r);
	}
	snprintf(path, sizeof(path), "/seller/orders/%lld/ship", oid);
	snprintf(form, sizeof(form), "csrf=%s&line=1&carrier=UPS&tracking=STEAL2", sel_b.csrf);
	r = client_browse(&sel_b, "POST", path, form);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	/* B's list does not hold A's order. */
	r = api(&sel_b, "GET", "/api/seller/orders", NULL);
	ck_assert_int_eq(r->status, 200);
	snprintf(path, sizeof(path), "\"id\":%lld,", oid);
	LACKS(r, path);
	hresp_free(r);
	ck_assert_str_eq(status_of(oid), "confirmed");
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_lines WHERE order_id = %lld AND state <> 'open'", oid), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM shipments WHERE order_id = %lld", oid), 0);
	/* A shopper without the seller role: 403; a seller without CSRF: 403. */
	signup(&outsider, "outsider");
	r = client_req(&outsider, "GET", "/api/seller/orders", NULL, 0);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/pick", oid);
	r = client_req(&sel_a, "POST", path, "{\"lines\":[1]}", 0);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	/* Bad input: a clear 400, nothing changed. */
	r = api(&sel_a, "POST", path, "{\"lines\":\"all\"}");
	ck_assert_int_eq(r->status, 400);
	HAS(r, "\"error\"");
	hresp_free(r);
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments", oid);
	r = api(&sel_a, "POST", path, "{\"lines\":[1],\"carrier\":\"U P S\",\"tracking\":\"X\"}");
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	ck_assert_str_eq(status_of(oid), "confirmed");
}
END_TEST

/* ---- the carrier webhook ---- */

static long carrier_event(const char *body, long long t, const char *secret)
{
	char sig[300];
	const char *h[] = { "Content-Type: application/json", sig, NULL };
	struct hresp *r;
	long status;

	sign_header(sig, sizeof(sig), "Carrier-Signature", secret, t, body);
	r = http("POST", "/api/carrier/events", body, h);
	status = r->status;
	hresp_free(r);
	return status;
}

START_TEST(carrier_webhook_delivers)
{
	struct client shopper;
	char intent[80], body[400], tracking[64];
	long long oid = paid_order(&shopper, 1, 0, intent, sizeof(intent)), now = (long long)time(NULL);

	snprintf(tracking, sizeof(tracking), "ACME%lld", oid);
	ship_api(&sel_a, oid, "[1]", "ACME", tracking, 201);
	ck_assert_str_eq(status_of(oid), "shipped");
	snprintf(body, sizeof(body), "{\"id\":\"cevt_%lld\",\"type\":\"delivered\",\"carrier\":\"ACME\",\"tracking\":\"%s\"}",
		 oid, tracking);
	/* Forged, stale, unsigned: refused, nothing changes. */
	ck_assert_int_eq(carrier_event(body, now, "not the secret"), 401);
	ck_assert_int_eq(carrier_event(body, now - 3600, CARRIER_SECRET), 401);
	{
		const char *h[] = { "Content-Type: application/json", NULL };
		struct hresp *r = http("POST", "/api/carrier/events", body, h);

		ck_assert_int_eq(r->status, 401);
		hresp_free(r);
	}
	ck_assert_str_eq(status_of(oid), "shipped");
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM carrier_events WHERE event_id = 'cevt_%lld'", oid), 0);
	/* Signed, but for a parcel nobody shipped: 404, nothing recorded. */
	{
		char other[400];

		snprintf(other, sizeof(other), "{\"id\":\"cevt_x%lld\",\"type\":\"delivered\",\"carrier\":\"ACME\","
			 "\"tracking\":\"NOSUCH%lld\"}", oid, oid);
		ck_assert_int_eq(carrier_event(other, now, CARRIER_SECRET), 404);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM carrier_events WHERE event_id = 'cevt_x%lld'", oid), 0);
	}
	/* Genuine: delivered. Replayed: deduplicated. */
	ck_assert_int_eq(carrier_event(body, now, CARRIER_SECRET), 200);
	ck_assert_str_eq(status_of(oid), "delivered");
	ck_assert_int_eq(carrier_event(body, now, CARRIER_SECRET), 200);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM carrier_events WHERE event_id = 'cevt_%lld'", oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND to_status = 'delivered'", oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM shipments WHERE order_id = %lld AND status = 'delivered' "
				 "AND delivered_at IS NOT NULL", oid), 1);
}
END_TEST

/* ---- refunds and cancellation ---- */

START_TEST(refund_restocks)
{
	struct client shopper;
	char intent[80], path[200];
	long long oid = paid_order(&shopper, 3, 0, intent, sizeof(intent)), total, avail, first, sid;
	struct hresp *r;

	total = sql_scalarf("SELECT total FROM orders WHERE id = %lld", oid);
	/* Nothing shipped yet: no refund of unshipped units beyond what a line holds. */
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/refunds", oid);
	r = api(&sel_a, "POST", path, "{\"lines\":[{\"line\":1,\"quantity\":4}]}");
	ck_assert_int_eq(r->status, 201);	/* an unshipped line is cancelled whole */
	hresp_free(r);
	ck_assert_str_eq(status_of(oid), "cancelled");
	ck_assert(intent_is(intent, "canceled"));
	ck_assert_int_eq(intent_num(intent, "amount_received"), 0);
	/* The units went back to the shelf through the order's holds, not as a
	 * stock movement (nothing came into or left the warehouse). */
	ck_assert_int_eq(sql_scalarf("SELECT COALESCE(SUM(quantity), 0) FROM holds WHERE order_id = %lld AND state = 'released'", oid), 3);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE actor = 'cancel:order:%lld'", oid), 0);

	/* A second order: shipped, then 2 of 3 units come back. */
	oid = paid_order(&shopper, 3, 0, intent, sizeof(intent));
	total = sql_scalarf("SELECT total FROM orders WHERE id = %lld", oid);
	sid = ship_api(&sel_a, oid, "[1]", "UPS", "1ZREFUND", 201);
	(void)sid;
	avail = sql_scalarf("SELECT SUM(available) FROM inventory WHERE sku_id = %lld", sku_a);
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/refunds", oid);
	r = api(&sel_a, "POST", path, "{\"lines\":[{\"line\":1,\"quantity\":4}]}");
	ck_assert_int_eq(r->status, 400);	/* more than was bought */
	hresp_free(r);
	r = api(&sel_a, "POST", path, "{\"lines\":[{\"line\":1,\"quantity\":2}]}");
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	hresp_free(r);
	first = total * 2 / 3;
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), first);
	ck_assert_int_eq(sql_scalarf("SELECT SUM(available) FROM inventory WHERE sku_id = %lld", sku_a), avail + 2);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM stock_movements WHERE actor = 'refund:order:%lld' AND delta = 2 "
				 "AND seller_id = %lld", oid, seller_a), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'StockChanged' AND "
				 "JSON_VALUE(payload, '$.orderId') = %lld AND JSON_VALUE(payload, '$.reason') = 'returned'", oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM refunds WHERE order_id = %lld AND status = 'succeeded' "
				 "AND amount = %lld AND gateway_id LIKE 're_%%'", oid, first), 1);
	ck_assert_str_eq(status_of(oid), "returned");
	/* The last unit: everything back, never more than captured. */
	snprintf(path, sizeof(path), "/seller/orders/%lld/refund", oid);
	{
		char form[200];

		snprintf(form, sizeof(form), "csrf=%s&line=1", sel_a.csrf);
		r = client_browse(&sel_a, "POST", path, form);
		ck_assert_int_eq(r->status, 303);
		hresp_free(r);
		ck_assert_int_eq(intent_num(intent, "amount_refunded"), total);
		ck_assert_int_eq(intent_num(intent, "amount_received"), total);
		ck_assert_str_eq(status_of(oid), "refunded");
		r = client_browse(&sel_a, "POST", path, form);
		ck_assert_int_eq(r->status, 409);
		hresp_free(r);
	}
	ck_assert_int_eq(intent_num(intent, "amount_refunded"), total);
	ck_assert_int_eq(sql_scalarf("SELECT SUM(available) FROM inventory WHERE sku_id = %lld", sku_a), avail + 3);

	/* The seller's list: both orders, newest first, one per page; none
	 * is left to ship. */
	{
		json_t *j;
		char next[300];

		r = api(&sel_a, "GET", "/api/seller/orders?size=1", NULL);
		ck_assert_int_eq(r->status, 200);
		j = hresp_json(r);
		ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
		ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "id")), oid);
		snprintf(next, sizeof(next), "/api/seller/orders?size=1&cursor=%s",
			 json_string_value(json_object_get(j, "nextCursor")));
		json_decref(j);
		hresp_free(r);
		r = api(&sel_a, "GET", next, NULL);
		j = hresp_json(r);
		ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
		ck_assert_int_lt(json_integer_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "id")), oid);
		ck_assert(json_is_null(json_object_get(j, "nextCursor")));
		json_decref(j);
		hresp_free(r);
		r = api(&sel_a, "GET", "/api/seller/orders?filter=to-ship", NULL);
		HAS(r, "\"items\":[]");
		hresp_free(r);
		r = api(&sel_a, "GET", "/api/seller/orders?cursor=forged", NULL);
		ck_assert_int_eq(r->status, 400);
		hresp_free(r);
	}
}
END_TEST

START_TEST(cancel_one_seller_ship_other)
{
	struct client shopper;
	char intent[80], path[200], lines[40];
	long long oid = paid_order(&shopper, 2, 1, intent, sizeof(intent)), total, avail_a, la, lb, amount_b;
	struct hresp *r;

	total = sql_scalarf("SELECT total FROM orders WHERE id = %lld", oid);
	la = line_of(oid, sku_a);
	lb = line_of(oid, sku_b);
	avail_a = sql_scalarf("SELECT SUM(available) FROM inventory WHERE sku_id = %lld", sku_a);
	/* A cannot ship its line: cancels it before shipment. */
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/refunds", oid);
	snprintf(lines, sizeof(lines), "{\"lines\":[%lld]}", la);
	r = api(&sel_a, "POST", path, lines);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT SUM(available) FROM inventory WHERE sku_id = %lld", sku_a), avail_a + 2);
	ck_assert_str_eq(status_of(oid), "confirmed");
	ck_assert_int_eq(intent_num(intent, "amount_received"), 0);
	/* B ships the rest: its capture is the last and releases A's part. */
	snprintf(lines, sizeof(lines), "[%lld]", lb);
	ship_api(&sel_b, oid, lines, "DHL", "JDCANCEL1", 201);
	amount_b = sql_scalarf("SELECT amount FROM shipments WHERE order_id = %lld", oid);
	ck_assert_int_eq(sql_scalarf("SELECT final FROM shipments WHERE order_id = %lld", oid), 1);
	ck_assert_int_lt(amount_b, total);
	ck_assert_int_eq(intent_num(intent, "amount_received"), amount_b);
	ck_assert_int_eq(intent_num(intent, "amount_capturable"), 0);
	ck_assert(intent_is(intent, "succeeded"));
	ck_assert_str_eq(status_of(oid), "shipped");
}
END_TEST

/* Both sellers ship at the same moment: both captures land, once each. */
struct shipper {
	struct client *cl;
	long long oid, line;
	const char *tracking;
	long status;
};

static void *ship_thread(void *p)
{
	struct shipper *sh = p;
	char path[200], body[200];
	struct hresp *r;

	snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments", sh->oid);
	snprintf(body, sizeof(body), "{\"lines\":[%lld],\"carrier\":\"UPS\",\"tracking\":\"%s\"}", sh->line, sh->tracking);
	r = client_req(sh->cl, "POST", path, body, 1);
	sh->status = r->status;
	hresp_free(r);
	return NULL;
}

START_TEST(two_sellers_ship_at_once)
{
	struct client shopper;
	char intent[80], ta[40], tb[40];
	long long oid = paid_order(&shopper, 2, 3, intent, sizeof(intent)), total;
	struct shipper a = { &sel_a, oid, line_of(oid, sku_a), ta, 0 }, b = { &sel_b, oid, line_of(oid, sku_b), tb, 0 };
	pthread_t t1, t2;

	snprintf(ta, sizeof(ta), "RACEA%lld", oid);
	snprintf(tb, sizeof(tb), "RACEB%lld", oid);
	total = sql_scalarf("SELECT total FROM orders WHERE id = %lld", oid);
	pthread_create(&t1, NULL, ship_thread, &a);
	pthread_create(&t2, NULL, ship_thread, &b);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	ck_assert_int_eq(a.status, 201);
	ck_assert_int_eq(b.status, 201);
	ck_assert_str_eq(status_of(oid), "shipped");
	ck_assert_int_eq(intent_num(intent, "amount_received"), total);
	ck_assert_int_eq(sql_scalarf("SELECT SUM(amount) FROM shipments WHERE order_id = %lld AND status = 'shipped'", oid), total);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND to_status = 'shipped'", oid), 1);
}
END_TEST

/* The shopper may cancel until a seller starts; then the seller cannot ship. */
START_TEST(shopper_cancel_rules)
{
	struct client shopper, s2;
	char intent[80], path[200];
	long long oid = paid_order(&shopper, 1, 0, intent, sizeof(intent)), oid2;
	struct hresp *r;

	/* Picked: too late for the shopper. */
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/pick", oid);
	r = api(&sel_a, "POST", path, "{\"lines\":[1]}");
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	snprintf(path, sizeof(path), "/api/orders/%lld/cancel", oid);
	r = client_req(&shopper, "POST", path, "{}", 1);
	ck_assert_int_eq(r->status, 409);
	hresp_free(r);
	ck_assert_str_eq(status_of(oid), "fulfilling");
	ck_assert(intent_is(intent, "requires_capture"));

	/* Cancelled by the shopper while confirmed: shown to the seller, not
	 * to ship, and refused if tried. */
	oid2 = paid_order(&s2, 1, 0, intent, sizeof(intent));
	snprintf(path, sizeof(path), "/api/orders/%lld/cancel", oid2);
	r = client_req(&s2, "POST", path, "{}", 1);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	hresp_free(r);
	ck_assert_str_eq(status_of(oid2), "cancelled");
	r = api(&sel_a, "GET", "/api/seller/orders?filter=to-ship", NULL);
	ck_assert_int_eq(r->status, 200);
	snprintf(path, sizeof(path), "\"id\":%lld,", oid2);
	LACKS(r, path);
	snprintf(path, sizeof(path), "\"id\":%lld,", oid);
	HAS(r, path);
	hresp_free(r);
	ship_api(&sel_a, oid2, "[1]", "UPS", "LATE1", 409);
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/refunds", oid2);
	r = api(&sel_a, "POST", path, "{\"lines\":[1]}");
	ck_assert_int_eq(r->status, 409);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM shipments WHERE order_id = %lld", oid2), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fulfillment");
	TCase *t = tcase_create("fulfillment");

	harness_init();
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, ship_captures_and_tracks);
	tcase_add_test(t, capture_failure_then_retry);
	tcase_add_test(t, capture_retried_by_jobs);
	tcase_add_test(t, capture_refused_shows_gateway_message);
	tcase_add_test(t, two_sellers_partial_then_shipped);
	tcase_add_test(t, other_sellers_order_is_404);
	tcase_add_test(t, carrier_webhook_delivers);
	tcase_add_test(t, refund_restocks);
	tcase_add_test(t, cancel_one_seller_ship_other);
	tcase_add_test(t, shopper_cancel_rules);
	tcase_add_test(t, two_sellers_ship_at_once);
	suite_add_tcase(s, t);
	return run_suite(s);
}
