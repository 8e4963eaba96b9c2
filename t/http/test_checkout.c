/* t/http: checkout (issue 5) against the real stack and the sandbox gateway:
 * the API's answers (201, 402, 409, 422, replays), the HTML path through the
 * gateway's own page, races for the last units, lost gateway answers, a
 * worker killed mid-saga, webhooks (genuine, forged, stale, replayed), the
 * sweeper, cancellation. After every test the inventory invariants are
 * checked in SQL: reserved = units in live holds, committed = units in
 * committed holds, and every SKU's available + reserved + committed equals
 * what it started with plus what the test restocked. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <sodium.h>
#include "harness.h"
#include "../../app/core/arena.h"
#include "../../app/core/config.h"
#include "../../app/store/db.h"
#include "../../app/checkout/checkout.h"
#include "../../app/order/order.h"
#include "../../app/module.h"

#define PW "correct horse battery"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.800s", (s), (r)->body)

/* SKUs this suite sells (found at setup); their stock is set per test. */
static char sku_hot[64], sku_b[64], sku_c[64];
static long long hot_id, b_id, c_id;

#define ADDR "\"shippingAddress\":{\"name\":\"Ann Buyer\",\"line1\":\"1 Main St\",\"city\":\"Austin\"," \
	     "\"region\":\"TX\",\"postalCode\":\"78701\",\"country\":\"US\"}"

/* ---- the gateway, for faults and its hosted page ---- */

static char gw_base[128], gw_key[128];

/* A request to any URL; returns the status, *out (malloc'd body, if
 * wanted) and the Location header into loc (if non-NULL). */
static long fetch(const char *method, const char *url, const char *body, const char *const *hdrs,
		  char **out, char *loc, size_t loclen)
{
	struct hresp *r = http_url(method, url, body, hdrs, NULL);
	const char *l = hresp_header(r, "Location");
	long status = r->status;

	if (loc)
		snprintf(loc, loclen, "%s", l ? l : "");
	if (out)
		*out = strdup(r->body);
	hresp_free(r);
	return status;
}

static void gw_faults(const char *json)
{
	char auth[200], url[256];
	const char *h[] = { auth, "Content-Type: application/json", NULL };

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", gw_key);
	snprintf(url, sizeof(url), "%s/v1/test/faults", gw_base);
	ck_assert_int_eq(fetch("POST", url, json, h, NULL, NULL, 0), 200);
}

static json_t *gw_intent(const char *id)
{
	char auth[200], url[256], *body = NULL;
	const char *h[] = { auth, NULL };
	json_t *j;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", gw_key);
	snprintf(url, sizeof(url), "%s/v1/payment_intents/%s", gw_base, id);
	ck_assert_int_eq(fetch("GET", url, NULL, h, &body, NULL, 0), 200);
	j = json_loads(body, 0, NULL);
	free(body);
	return j;
}

/* ---- shoppers ---- */

static long long signup(struct client *cl, char *email_out, size_t n)
{
	char email[128], q[256];

	memset(cl, 0, sizeof(*cl));
	snprintf(email, sizeof(email), "%s", fresh_email("co"));
	ck_assert_int_eq(client_signup(cl, "Ann Buyer", email, PW), 0);
	if (email_out)
		snprintf(email_out, n, "%s", email);
	snprintf(q, sizeof(q), "SELECT id FROM users WHERE email = '%s'", email);
	return sql_scalar(q);
}

/* POST /api/checkout with an Idempotency-Key (NULL: none). */
static struct hresp *checkout(struct client *cl, const char *key, const char *body)
{
	return post_idem(cl, "/api/checkout", body, key, NULL);
}

/* The order's JSON body; thread-local, as buyers race in threads. */
static char *order_body(long long amount, const char *pm)
{
	static _Thread_local char b[600];

	snprintf(b, sizeof(b), "{" ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld%s%s%s}", amount,
		 pm ? ",\"paymentMethod\":\"" : "", pm ? pm : "", pm ? "\"" : "");
	return b;
}

static const char *fresh_key(void)
{
	static char k[64];
	static int n;

	snprintf(k, sizeof(k), "test-%d-%d-%u", (int)getpid(), ++n, randombytes_random());
	return k;
}

/* ---- stock and invariants ---- */

/* Units of sku_id over all columns and warehouses. */
static long long units(long long sku)
{
	return sql_scalarf("SELECT SUM(available + reserved + committed) FROM inventory WHERE sku_id = %lld", sku);
}

/* Units less every recorded stock movement: constant whatever checkouts
 * do (they move units between columns) and whatever a test sets through
 * set_stock (recorded), so one baseline from setup() judges the whole test. */
static long long accounted(long long sku)
{
	return sql_scalarf("SELECT (SELECT SUM(available + reserved + committed) FROM inventory WHERE sku_id = %lld) "
			   "- (SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE sku_id = %lld)", sku, sku);
}

static long long avail(long long sku)
{
	return sql_scalarf("SELECT SUM(available) FROM inventory WHERE sku_id = %lld", sku);
}

/* n available units in warehouse 1, none in 2 (reserved/committed kept). */
static void set_available(long long sku, long long n)
{
	set_stock_only(sku, 1, n, "test_checkout: stock for the test");
}

static long long start_units[3];

static void invariants(void)
{
	/* reserved and committed are exactly what the holds say, everywhere. */
	ck_assert_int_eq(sql_scalar(
		"SELECT COUNT(*) FROM inventory i WHERE i.reserved <> (SELECT COALESCE(SUM(h.quantity), 0) FROM holds h "
		"WHERE h.sku_id = i.sku_id AND h.warehouse_id = i.warehouse_id AND h.state = 'held' AND h.sale_id IS NULL) "
		"OR i.committed <> (SELECT COALESCE(SUM(h.quantity), 0) FROM holds h "
		"WHERE h.sku_id = i.sku_id AND h.warehouse_id = i.warehouse_id AND h.state = 'committed' AND h.sale_id IS NULL)"), 0);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM inventory WHERE available < 0 OR reserved < 0 OR committed < 0"), 0);
	/* Every order that is not pending has no live hold. */
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM holds h JOIN orders o ON o.id = h.order_id "
				    "WHERE h.state = 'held' AND o.status NOT IN ('pending_payment', 'payment_failed')"), 0);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM holds h JOIN orders o ON o.id = h.order_id "
				    "WHERE h.state = 'committed' AND o.status NOT IN ('confirmed', 'fulfilling', 'shipped', 'delivered')"), 0);
}

static void setup(void)
{
	char q[400];

	clear_ip_throttles();
	/* Three in-stock SKUs of the demo catalog, by id. */
	hot_id = sql_scalar("SELECT MIN(id) FROM skus WHERE code LIKE 'GRO-%'");
	b_id = sql_scalar("SELECT MIN(id) FROM skus WHERE code LIKE 'KIT-%'");
	c_id = sql_scalar("SELECT MIN(id) FROM skus WHERE code LIKE 'SPO-%'");
	ck_assert_int_gt(hot_id, 0);
	ck_assert_int_gt(b_id, 0);
	ck_assert_int_gt(c_id, 0);
	{
		long long ids[3] = { hot_id, b_id, c_id };
		char *codes[3] = { sku_hot, sku_b, sku_c };

		for (int i = 0; i < 3; i++) {
			struct hresp *r;
			json_t *j;

			snprintf(q, sizeof(q), "/api/items/%lld",
				 sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", ids[i]));
			r = http_get_json(q);
			j = hresp_json(r);
			snprintf(codes[i], 64, "%s", json_string_value(json_object_get(j, "sku")));
			json_decref(j);
			hresp_free(r);
			set_available(ids[i], 50);
			start_units[i] = accounted(ids[i]);
		}
	}
	snprintf(q, sizeof(q), "%s/run/paygate.port", getenv("SHOP_HOME"));
	{
		char port[16];

		file_trimmed(q, port, sizeof(port));
		snprintf(gw_base, sizeof(gw_base), "http://127.0.0.1:%s", port);
	}
	snprintf(q, sizeof(q), "%s/paygate/api-key", getenv("SHOP_HOME"));
	file_trimmed(q, gw_key, sizeof(gw_key));
	redis_cmd("DEL test:pause");
}

static void teardown(void)
{
	long long ids[3] = { hot_id, b_id, c_id };

	gw_faults("{}");
	redis_cmd("DEL test:pause");
	invariants();
	/* Conservation: a test only moves units between columns, except where
	 * it set available itself (set_available), which stock_movements
	 * records. */
	for (int i = 0; i < 3; i++)
		ck_assert_msg(accounted(ids[i]) == start_units[i], "sku %lld: %lld units less movements, started with %lld",
			      ids[i], accounted(ids[i]), start_units[i]);
	resync_read_model();
}

/* ---- the API ---- */

START_TEST(confirmed_order)
{
	struct client cl;
	long long uid = signup(&cl, NULL, 0), amount, oid;
	struct hresp *r;
	json_t *j;
	const char *key;

	cart_put(&cl, sku_hot, 2);
	cart_put(&cl, sku_b, 1);
	amount = checkout_amount(&cl);
	key = fresh_key();
	r = checkout(&cl, key, order_body(amount, "pm_card_visa"));
	ck_assert_msg(r->status == 201, "checkout: %ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "confirmed");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), amount);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "payment"), "last4")), "4242");
	oid = json_integer_value(json_object_get(j, "id"));
	json_decref(j);

	/* Units committed, cart emptied, mail and events written. */
	{
		char q[300];

		snprintf(q, sizeof(q), "SELECT SUM(quantity) FROM holds WHERE state = 'committed' AND order_id = %lld "
			 "AND sku_id = %lld", oid, hot_id);
		ck_assert_int_eq(sql_scalar(q), 2);
	}
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM cart_items WHERE user_id = %lld", uid), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic IN ('OrderPlaced', 'OrderConfirmed') AND aggregate_id = %lld", oid), 2);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'StockChanged' AND JSON_VALUE(payload, '$.orderId') = %lld", oid), 2);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld", oid), 2);
	/* The confirmation mail comes from the notify consumer (app/notify),
	 * a moment after the order. */
	for (int i = 0; i < 150 && sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE subject = CONCAT('Your order ', %lld, ' is confirmed')", oid) < 1; i++)
		usleep(100 * 1000);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE subject = CONCAT('Your order ', %lld, ' is confirmed')", oid), 1);

	/* The products' stock read model counts the units left (refreshed
	 * after the hold, and again by the search indexer's batch). */
	search_settled();
	{
		long long pid = sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", hot_id);

		ck_assert_int_eq(sql_scalarf("SELECT stock_total FROM products WHERE id = %lld", pid),
				 sql_scalarf("SELECT COALESCE(SUM(i.available), 0) FROM inventory i JOIN skus s "
					     "ON s.id = i.sku_id WHERE s.product_id = %lld AND s.status = 'active'", pid));
	}

	/* The replay: the same answer, byte for byte, and still one order. */
	{
		struct hresp *again = checkout(&cl, key, order_body(amount, "pm_card_visa"));

		ck_assert_int_eq(again->status, 201);
		ck_assert_str_eq(again->body, r->body);
		hresp_free(again);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE user_id = %lld", uid), 1);
	}
	/* Same key, another body: 422. */
	{
		struct hresp *other = checkout(&cl, key, order_body(amount + 1, "pm_card_visa"));

		ck_assert_int_eq(other->status, 422);
		hresp_free(other);
	}
	hresp_free(r);

	/* The order pages and API. */
	{
		char path[64];

		snprintf(path, sizeof(path), "/api/orders/%lld", oid);
		r = client_req(&cl, "GET", path, NULL, 0);
		ck_assert_int_eq(r->status, 200);
		hresp_free(r);
		r = client_req(&cl, "GET", "/api/orders", NULL, 0);
		ck_assert_int_eq(r->status, 200);
		HAS(r, "\"status\":\"confirmed\"");
		hresp_free(r);
		r = client_browse(&cl, "GET", path + 4, NULL);
		ck_assert_int_eq(r->status, 200);
		HAS(r, "Confirmed");
		HAS(r, "Visa ending in 4242");	/* the brand as people write it */
		hresp_free(r);
		/* Someone else: 404. */
		{
			struct client other;

			signup(&other, NULL, 0);
			r = client_req(&other, "GET", path, NULL, 0);
			ck_assert_int_eq(r->status, 404);
			hresp_free(r);
		}
	}
}
END_TEST

/* The stock read model a placed order refreshes (built in C from plain
 * reads, catalog_refresh_stock_after) is the SQL definition's digest: the
 * variants in (position, id) order with their units left. The positions
 * here run against the ids, so an order by id would show. */
START_TEST(read_model_of_variants)
{
	struct client seller, cl;
	char body[900], code[3][64], q[1200];
	long long pid, amount;
	struct hresp *r;
	json_t *j;

	seller_new(&seller, "ckvar", NULL);
	for (int i = 0; i < 3; i++)
		snprintf(code[i], sizeof(code[i]), "CKV%d-%u-%d", (int)getpid(), randombytes_random() % 100000, i);
	snprintf(body, sizeof(body), "{\"name\":\"Variant mug %u\",\"description\":\"A mug in three colours.\","
		 "\"category\":\"kitchen-accessories\",\"skus\":["
		 "{\"code\":\"%s\",\"price\":1000,\"quantity\":7,\"options\":{\"Color\":\"Red\"}},"
		 "{\"code\":\"%s\",\"price\":1100,\"quantity\":8,\"options\":{\"Color\":\"Blue\"}},"
		 "{\"code\":\"%s\",\"price\":1200,\"quantity\":9,\"options\":{\"Color\":\"Green\"}}]}",
		 randombytes_random() % 100000, code[0], code[1], code[2]);
	r = client_req(&seller, "POST", "/api/items", body, 1);
	ck_assert_msg(r->status == 201, "POST /api/items: %ld %s", r->status, r->body);
	j = hresp_json(r);
	pid = (long long)json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	hresp_free(r);
	sql_execf("UPDATE skus SET position = 10 - position WHERE product_id = %lld", pid);

	signup(&cl, NULL, 0);
	cart_put(&cl, code[1], 2);
	amount = checkout_amount(&cl);
	r = checkout(&cl, fresh_key(), order_body(amount, "pm_card_visa"));
	ck_assert_msg(r->status == 201, "checkout: %ld %s", r->status, r->body);
	hresp_free(r);

	snprintf(q, sizeof(q), "SELECT JSON_EQUALS(p.sku_digest, COALESCE((SELECT JSON_ARRAYAGG(JSON_ARRAY("
		 "s.code, s.price, s.currency, s.weight_grams, (SELECT COALESCE(SUM(i.available), 0) FROM inventory i "
		 "WHERE i.sku_id = s.id), JSON_EXTRACT(s.options, '$')) ORDER BY s.position, s.id) FROM skus s "
		 "WHERE s.product_id = p.id AND s.status = 'active'), JSON_ARRAY())) FROM products p WHERE p.id = %lld", pid);
	ck_assert_int_eq(sql_scalar(q), 1);
	ck_assert_int_eq(sql_scalarf("SELECT JSON_VALUE(sku_digest, '$[1][4]') FROM products WHERE id = %lld", pid), 6);
	snprintf(q, sizeof(q), "SELECT JSON_VALUE(sku_digest, '$[0][0]') = '%s' AND JSON_VALUE(sku_digest, '$[2][0]') = '%s' "
		 "FROM products WHERE id = %lld", code[2], code[0], pid);
	ck_assert_int_eq(sql_scalar(q), 1);
	ck_assert_int_eq(sql_scalarf("SELECT stock_total FROM products WHERE id = %lld", pid), 7 + 6 + 9);
}
END_TEST

START_TEST(refusals_reserve_nothing)
{
	struct client cl;
	long long amount, before;
	struct hresp *r;
	json_t *j;

	signup(&cl, NULL, 0);
	/* Empty cart. */
	r = checkout(&cl, fresh_key(), order_body(100, "pm_card_visa"));
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	cart_put(&cl, sku_hot, 1);
	amount = checkout_amount(&cl);
	before = avail(hot_id);
	/* The amount the shopper saw is not the total: 409 with the new one. */
	r = checkout(&cl, fresh_key(), order_body(amount - 1, "pm_card_visa"));
	ck_assert_int_eq(r->status, 409);
	j = hresp_json(r);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "error"), "amount")), amount);
	json_decref(j);
	hresp_free(r);
	ck_assert_int_eq(avail(hot_id), before);
	/* No key: 400. Bad address: 400. Unknown method: 422. */
	r = checkout(&cl, NULL, order_body(amount, "pm_card_visa"));
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	r = checkout(&cl, fresh_key(), "{\"shippingAddress\":{\"name\":\"A\",\"line1\":\"x\",\"city\":\"y\","
			 "\"postalCode\":\"1\",\"country\":\"US\"},\"amount\":1}");
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	r = checkout(&cl, fresh_key(), "{" ADDR ",\"shippingMethod\":\"teleport\",\"amount\":1}");
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	/* Out of stock: 409 naming the line and what is left. */
	set_available(hot_id, 0);
	r = checkout(&cl, fresh_key(), order_body(amount, "pm_card_visa"));
	ck_assert_int_eq(r->status, 409);
	HAS(r, sku_hot);
	HAS(r, "\"available\":0");
	hresp_free(r);
	set_available(hot_id, 50);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM holds WHERE sku_id = %lld AND state = 'held'", hot_id), 0);
}
END_TEST

/* Every test card ends where it should; declines keep the holds. */
START_TEST(test_cards)
{
	static const struct {
		const char *pm, *reason;
	} cards[] = {
		{ "pm_card_chargeDeclined", "declined" },
		{ "pm_card_chargeDeclinedInsufficientFunds", "insufficient funds" },
		{ "pm_card_chargeDeclinedExpiredCard", "expired" },
		{ "pm_card_chargeDeclinedProcessingError", "could not be processed" },
	};

	for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
		struct client cl;
		long long amount, oid;
		struct hresp *r;
		json_t *j;

		signup(&cl, NULL, 0);
		cart_put(&cl, sku_c, 1);
		amount = checkout_amount(&cl);
		r = checkout(&cl, fresh_key(), order_body(amount, cards[i].pm));
		ck_assert_msg(r->status == 402, "%s: %ld %s", cards[i].pm, r->status, r->body);
		HAS(r, cards[i].reason);
		j = hresp_json(r);
		ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "payment_failed");
		oid = json_integer_value(json_object_get(j, "id"));
		json_decref(j);
		hresp_free(r);
		/* Holds stay for a retry. */
		ck_assert_int_eq(sql_scalarf("SELECT SUM(quantity) FROM holds WHERE state = 'held' AND order_id = %lld", oid), 1);
		if (i == 1) {
			/* Try again over the API with a good card: confirmed. */
			char path[80], cookie[300], token[200];
			const char *h[] = { "Content-Type: application/json", "Accept: application/json", cookie, token,
					    "Idempotency-Key: retry-1", NULL };

			snprintf(path, sizeof(path), "/api/orders/%lld/pay", oid);
			snprintf(cookie, sizeof(cookie), "Cookie: %s", cl.cookie);
			snprintf(token, sizeof(token), "X-CSRF-Token: %s", cl.csrf);
			r = http("POST", path, "{\"paymentMethod\":\"pm_card_chargeDeclined\"}", h);
			ck_assert_int_eq(r->status, 402);
			hresp_free(r);
			h[4] = "Idempotency-Key: retry-2";
			r = http("POST", path, "{\"paymentMethod\":\"pm_card_visa\"}", h);
			ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
			HAS(r, "\"status\":\"confirmed\"");
			hresp_free(r);
			ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM holds WHERE state = 'committed' AND order_id = %lld", oid), 1);
		}
	}
}
END_TEST

/* The sweeper expires unpaid orders: holds released, authorization voided. */
START_TEST(sweeper_expires)
{
	struct client cl;
	long long amount, oid, before = avail(b_id);
	struct hresp *r;
	json_t *j;
	struct arena *a = arena_new(64 * 1024);
	struct db *db = NULL;
	char intent[64];

	signup(&cl, NULL, 0);
	cart_put(&cl, sku_b, 3);
	amount = checkout_amount(&cl);
	/* No payment method: the order waits for the hosted page. */
	r = checkout(&cl, fresh_key(), order_body(amount, NULL));
	ck_assert_msg(r->status == 202, "%ld %s", r->status, r->body);
	j = hresp_json(r);
	oid = json_integer_value(json_object_get(j, "id"));
	snprintf(intent, sizeof(intent), "%s", json_string_value(json_object_get(json_object_get(j, "payment"), "id")));
	ck_assert_ptr_nonnull(json_string_value(json_object_get(j, "payUrl")));
	json_decref(j);
	hresp_free(r);
	ck_assert_int_eq(avail(b_id), before - 3);

	{
		char q[200];

		snprintf(q, sizeof(q), "UPDATE orders SET hold_expires_at = NOW(3) - INTERVAL 1 SECOND WHERE id = %lld", oid);
		ck_assert_int_eq(sql_exec(q), 0);
	}
	/* The sweeper runs here, in-process, with the stack's gateway. */
	{
		char v[300];

		setenv("SHOP_PAYGATE_URL", gw_base, 1);
		snprintf(v, sizeof(v), "%s/paygate/api-key", getenv("SHOP_HOME"));
		setenv("SHOP_PAYGATE_KEY_FILE", v, 1);
		snprintf(v, sizeof(v), "%s/paygate/webhook-secret", getenv("SHOP_HOME"));
		setenv("SHOP_PAYGATE_WEBHOOK_SECRET_FILE", v, 1);
	}
	ck_assert_int_eq(config_load(&config), E_OK);
	modules_init();
	ck_assert_int_eq(db_open(&db), E_OK);
	ck_assert_int_ge(order_sweep_batch(db, NULL, a), 0);
	db_close(db);
	arena_destroy(a);

	ck_assert_int_eq(sql_scalarf("SELECT status = 'expired' FROM orders WHERE id = %lld", oid), 1);
	ck_assert_int_eq(avail(b_id), before);
	j = gw_intent(intent);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "canceled");
	json_decref(j);

	/* A declined order the shopper abandons: its holds go back too. */
	{
		struct client d;
		char q[200];

		signup(&d, NULL, 0);
		cart_put(&d, sku_b, 2);
		amount = checkout_amount(&d);
		r = checkout(&d, fresh_key(), order_body(amount, "pm_card_chargeDeclined"));
		ck_assert_int_eq(r->status, 402);
		j = hresp_json(r);
		oid = json_integer_value(json_object_get(j, "id"));
		json_decref(j);
		hresp_free(r);
		ck_assert_int_eq(avail(b_id), before - 2);
		snprintf(q, sizeof(q), "UPDATE orders SET hold_expires_at = NOW(3) - INTERVAL 1 SECOND WHERE id = %lld", oid);
		ck_assert_int_eq(sql_exec(q), 0);
		a = arena_new(64 * 1024);
		ck_assert_int_eq(db_open(&db), E_OK);
		ck_assert_int_ge(order_sweep_batch(db, NULL, a), 0);
		db_close(db);
		arena_destroy(a);
		ck_assert_int_eq(sql_scalarf("SELECT status = 'expired' FROM orders WHERE id = %lld", oid), 1);
		ck_assert_int_eq(avail(b_id), before);
	}
}
END_TEST

/* ---- concurrency ---- */

struct buyer {
	struct client cl;
	long long amount;
	char key[64];
	long status;
};

static void *buy(void *p)
{
	struct buyer *b = p;
	char body[600];
	struct hresp *r;

	snprintf(body, sizeof(body), "%s", order_body(b->amount, "pm_card_visa"));
	r = checkout(&b->cl, b->key, body);
	b->status = r->status;
	hresp_free(r);
	return NULL;
}

/* n buyers, each signed in with one unit of each of skus in the cart. */
static struct buyer *buyers(int n, const char *const *skus, int nskus)
{
	struct buyer *bs = calloc((size_t)n, sizeof(*bs));

	for (int i = 0; i < n; i++) {
		if (i % 8 == 0)
			clear_ip_throttles();
		signup(&bs[i].cl, NULL, 0);
		for (int k = 0; k < nskus; k++)
			cart_put(&bs[i].cl, skus[(k + i) % nskus], 1);	/* lines added in different orders */
		bs[i].amount = checkout_amount(&bs[i].cl);
		snprintf(bs[i].key, sizeof(bs[i].key), "%s", fresh_key());
	}
	return bs;
}

static void run_all(struct buyer *bs, int n)
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));

	for (int i = 0; i < n; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, buy, &bs[i]), 0);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
}

START_TEST(race_for_last_units)
{
	const char *skus[] = { sku_hot };
	int n = 200, ok = 0, sold_out = 0;
	struct buyer *bs = buyers(n, skus, 1);
	long long before;

	set_available(hot_id, 10);
	before = units(hot_id);		/* the baseline, before the race */
	run_all(bs, n);
	for (int i = 0; i < n; i++) {
		ok += bs[i].status == 201;
		sold_out += bs[i].status == 409;
		ck_assert_msg(bs[i].status == 201 || bs[i].status == 409, "buyer %d: %ld", i, bs[i].status);
	}
	ck_assert_int_eq(ok, 10);
	ck_assert_int_eq(sold_out, n - 10);
	ck_assert_int_eq(avail(hot_id), 0);
	/* The race is judged against the baseline taken before it: not one
	 * unit made or lost. */
	ck_assert_int_eq(units(hot_id), before);
	ck_assert_int_eq(accounted(hot_id), start_units[0]);
	free(bs);
	set_available(hot_id, 50);
}
END_TEST

START_TEST(multi_line_no_deadlock_failures)
{
	const char *skus[] = { sku_hot, sku_b, sku_c };
	int n = 40;
	struct buyer *bs = buyers(n, skus, 3);

	run_all(bs, n);
	for (int i = 0; i < n; i++)
		ck_assert_msg(bs[i].status == 201, "buyer %d: %ld", i, bs[i].status);
	free(bs);
}
END_TEST

/* ---- faults ---- */

/* The gateway authorizes, then its answer is lost: the shopper's retry
 * with the same key finishes the same order with the same authorization. */
START_TEST(lost_gateway_answer)
{
	struct client cl;
	long long uid = signup(&cl, NULL, 0), amount;
	const char *key;
	struct hresp *r;
	char k[64];

	cart_put(&cl, sku_c, 2);
	amount = checkout_amount(&cl);
	key = fresh_key();
	snprintf(k, sizeof(k), "%s", key);
	gw_faults("{\"drop_response\": 1}");
	r = checkout(&cl, k, order_body(amount, "pm_card_visa"));
	ck_assert_msg(r->status == 503, "%ld %s", r->status, r->body);
	ck_assert_ptr_nonnull(hresp_header(r, "Retry-After"));
	hresp_free(r);
	r = checkout(&cl, k, order_body(amount, "pm_card_visa"));
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE user_id = %lld", uid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE user_id = %lld AND status = 'confirmed' "
				 "AND payment_intent IS NOT NULL", uid), 1);
}
END_TEST

/* A worker killed right after the holds were placed: `shopd jobs` resumes
 * the saga; the shopper's retry gets the stored answer. */
START_TEST(worker_killed_mid_saga)
{
	struct buyer b;
	pthread_t t;
	char pidfile[300], cmd[400];
	long long uid, status = 0;

	memset(&b, 0, sizeof(b));
	uid = signup(&b.cl, NULL, 0);
	cart_put(&b.cl, sku_b, 1);
	b.amount = checkout_amount(&b.cl);
	snprintf(b.key, sizeof(b.key), "%s", fresh_key());
	redis_cmd("SET test:pause reserved");
	ck_assert_int_eq(pthread_create(&t, NULL, buy, &b), 0);
	/* Wait until the order exists (holds placed), then kill every worker. */
	for (int i = 0; i < 100 && !sql_scalarf("SELECT COUNT(*) FROM orders WHERE user_id = %lld", uid); i++)
		usleep(50000);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE user_id = %lld", uid), 1);
	/* Kill first, then lift the pause: lifted first, the paused worker
	 * could finish and answer 201 before the kill reached it (it did, on a
	 * busy machine). */
	snprintf(pidfile, sizeof(pidfile), "%s/run/shopd.pid", getenv("SHOP_HOME"));
	snprintf(cmd, sizeof(cmd), "pkill -KILL -P $(cat %s)", pidfile);
	ck_assert_int_eq(system(cmd), 0);
	redis_cmd("DEL test:pause");
	pthread_join(t, NULL);
	ck_assert_int_ne(b.status, 201);	/* the answer died with the worker */
	/* The jobs process (respawned) resumes the saga. */
	for (int i = 0; i < 300; i++) {
		status = sql_scalarf("SELECT status = 'confirmed' FROM orders WHERE user_id = %lld", uid);
		if (status == 1)
			break;
		usleep(100000);
	}
	ck_assert_int_eq(status, 1);
	ck_assert(wait_status("/healthz", 200, 15));
	buy(&b);
	ck_assert_int_eq(b.status, 201);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE user_id = %lld", uid), 1);
}
END_TEST

/* ---- webhooks ---- */

static long webhook(const char *body, long long t, const char *secret_override)
{
	char secret[200], path[300], sig[300];
	const char *h[] = { "Content-Type: application/json", sig, NULL };
	struct hresp *r;
	long status;

	snprintf(path, sizeof(path), "%s/paygate/webhook-secret", getenv("SHOP_HOME"));
	file_trimmed(path, secret, sizeof(secret));
	if (secret_override)
		snprintf(secret, sizeof(secret), "%s", secret_override);
	sign_header(sig, sizeof(sig), "Paygate-Signature", secret, t, body);
	r = http("POST", "/api/webhooks/paygate", body, h);
	status = r->status;
	hresp_free(r);
	return status;
}

START_TEST(webhooks_verified)
{
	struct client cl;
	long long amount, oid, now = (long long)time(NULL);
	struct hresp *r;
	json_t *j;
	char intent[64], body[600];

	signup(&cl, NULL, 0);
	cart_put(&cl, sku_c, 1);
	amount = checkout_amount(&cl);
	r = checkout(&cl, fresh_key(), order_body(amount, NULL));
	ck_assert_int_eq(r->status, 202);
	j = hresp_json(r);
	oid = json_integer_value(json_object_get(j, "id"));
	snprintf(intent, sizeof(intent), "%s", json_string_value(json_object_get(json_object_get(j, "payment"), "id")));
	json_decref(j);
	hresp_free(r);

	/* A forged "authorized" event (wrong secret), a stale one, one without
	 * signature: all refused, the order still waits. */
	snprintf(body, sizeof(body), "{\"id\":\"evt_forged%lld\",\"type\":\"payment_intent.amount_capturable_updated\","
		 "\"data\":{\"object\":{\"id\":\"%s\",\"status\":\"requires_capture\"}}}", oid, intent);
	ck_assert_int_eq(webhook(body, now, "not the secret"), 400);
	ck_assert_int_eq(webhook(body, now - 3600, NULL), 400);
	{
		const char *h[] = { "Content-Type: application/json", NULL };

		r = http("POST", "/api/webhooks/paygate", body, h);
		ck_assert_int_eq(r->status, 400);
		hresp_free(r);
	}
	ck_assert_int_eq(sql_scalarf("SELECT status = 'pending_payment' FROM orders WHERE id = %lld", oid), 1);
	/* A genuine decline event, twice (a replay changes nothing more). */
	snprintf(body, sizeof(body), "{\"id\":\"evt_decl%lld\",\"type\":\"payment_intent.payment_failed\","
		 "\"data\":{\"object\":{\"id\":\"%s\",\"last_payment_error\":{\"code\":\"card_declined\","
		 "\"decline_code\":\"insufficient_funds\"}}}}", oid, intent);
	ck_assert_int_eq(webhook(body, now, NULL), 200);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM payment_events WHERE event_id = CONCAT('evt_decl', %lld)", oid), 1);
	ck_assert_int_eq(webhook(body, now, NULL), 200);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'payment_failed' FROM orders WHERE id = %lld", oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND to_status = 'payment_failed'", oid), 1);
}
END_TEST

/* ---- the HTML path through the gateway's page ---- */

static void pay_on_gateway(const char *pay_url, const char *card, char *back, size_t n)
{
	char *page = NULL, secret[128] = "", form[400], action[400];
	const char *s, *h[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	long st;

	ck_assert_int_eq(fetch("GET", pay_url, NULL, NULL, &page, NULL, 0), 200);
	s = strstr(page, "name=\"s\" value=\"");
	ck_assert_ptr_nonnull(s);
	s += strlen("name=\"s\" value=\"");
	snprintf(secret, sizeof(secret), "%.*s", (int)strcspn(s, "\""), s);
	free(page);
	snprintf(action, sizeof(action), "%.*s", (int)strcspn(pay_url, "?"), pay_url);
	snprintf(form, sizeof(form), "s=%s&number=%s&exp=12%%2F34&cvc=123&name=Ann+Buyer", secret, card);
	st = fetch("POST", action, form, h, NULL, back, n);
	ck_assert_msg(st == 303, "gateway POST answered %ld", st);
}

START_TEST(html_checkout_through_gateway)
{
	struct client cl;
	char form[600], loc[600], back[600];
	struct hresp *r;
	const char *l;
	long long oid;

	/* A visitor with nothing in the cart goes to the cart (guest
	 * checkout, issue 15: t/http/test_guest.c). */
	r = http_get("/checkout");
	ck_assert_int_eq(r->status, 303);
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Location"), "/cart"));
	hresp_free(r);

	signup(&cl, NULL, 0);
	cart_put(&cl, sku_hot, 1);
	r = client_browse(&cl, "GET", "/checkout", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Shipping address");
	/* The methods come from the rate tables, with price and estimate. */
	HAS(r, "value=\"express\"");
	HAS(r, "Express shipping: $");
	HAS(r, "business days");
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&shippingAddressId=0&name=Ann+Buyer&line1=1+Main+St&city=Austin&region=TX"
		 "&postalCode=78701&country=US&shippingMethod=express", cl.csrf);
	/* Review is a GET after a redirect (issue 15: Back after paying
	 * re-posts nothing). */
	r = client_browse(&cl, "POST", "/checkout/review", form);
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(hresp_header(r, "Location"), "/checkout/review");
	hresp_free(r);
	r = client_browse(&cl, "GET", "/checkout/review", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Place order and pay");
	HAS(r, "Express shipping");
	/* The form may end on the gateway's page: its origin is allowed. */
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Content-Security-Policy"), gw_base));
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Content-Security-Policy"), "form-action 'self' "));
	/* The place-order form as the page has it. */
	{
		const char *k = strstr(r->body, "name=\"idempotencyKey\" value=\"");
		const char *a = strstr(r->body, "name=\"amount\" value=\"");
		char key[80], amount[32];

		ck_assert_ptr_nonnull(k);
		ck_assert_ptr_nonnull(a);
		k += strlen("name=\"idempotencyKey\" value=\"");
		a += strlen("name=\"amount\" value=\"");
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(k, "\""), k);
		snprintf(amount, sizeof(amount), "%.*s", (int)strcspn(a, "\""), a);
		snprintf(form, sizeof(form), "csrf=%s&idempotencyKey=%s&amount=%s&shippingMethod=express&name=Ann+Buyer"
			 "&line1=1+Main+St&line2=&city=Austin&region=TX&postalCode=78701&country=US", cl.csrf, key, amount);
	}
	hresp_free(r);
	r = client_browse(&cl, "POST", "/checkout/place", form);
	ck_assert_msg(r->status == 303, "%ld %s", r->status, r->body);
	l = hresp_header(r, "Location");
	ck_assert_ptr_nonnull(l);
	snprintf(loc, sizeof(loc), "%s", l);
	ck_assert_ptr_nonnull(strstr(loc, "/pay/pi_"));
	hresp_free(r);
	/* A double click: the same form again goes to the same page. */
	r = client_browse(&cl, "POST", "/checkout/place", form);
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(hresp_header(r, "Location"), loc);
	hresp_free(r);

	/* Declined on the gateway's page: back to the shop, which says why. */
	pay_on_gateway(loc, "4000000000009995", back, sizeof(back));
	ck_assert_ptr_nonnull(strstr(back, "/checkout/return?order="));
	r = client_browse(&cl, "GET", strstr(back, "/checkout/return"), NULL);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	oid = atoll(strstr(back, "order=") + 6);
	{
		char path[64];

		snprintf(path, sizeof(path), "/orders/%lld", oid);
		r = client_browse(&cl, "GET", path, NULL);
		HAS(r, "insufficient funds");
		HAS(r, "Try again");
		hresp_free(r);
	}
	ck_assert_int_eq(sql_scalarf("SELECT status = 'payment_failed' FROM orders WHERE id = %lld", oid), 1);

	/* Try again with a good card: confirmed. */
	pay_on_gateway(loc, "4242424242424242", back, sizeof(back));
	r = client_browse(&cl, "GET", strstr(back, "/checkout/return"), NULL);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'confirmed' FROM orders WHERE id = %lld", oid), 1);
	r = client_browse(&cl, "GET", "/orders", NULL);
	HAS(r, "Confirmed");
	hresp_free(r);
}
END_TEST

START_TEST(cancel_before_shipment)
{
	struct client cl;
	long long amount, oid, before = avail(b_id);
	struct hresp *r;
	json_t *j;
	char path[64], intent[64];

	signup(&cl, NULL, 0);
	cart_put(&cl, sku_b, 2);
	amount = checkout_amount(&cl);
	r = checkout(&cl, fresh_key(), order_body(amount, "pm_card_visa"));
	ck_assert_int_eq(r->status, 201);
	j = hresp_json(r);
	oid = json_integer_value(json_object_get(j, "id"));
	snprintf(intent, sizeof(intent), "%s", json_string_value(json_object_get(json_object_get(j, "payment"), "id")));
	json_decref(j);
	hresp_free(r);
	ck_assert_int_eq(avail(b_id), before - 2);
	snprintf(path, sizeof(path), "/api/orders/%lld/cancel", oid);
	r = client_req(&cl, "POST", path, NULL, 1);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	HAS(r, "\"status\":\"cancelled\"");
	hresp_free(r);
	ck_assert_int_eq(avail(b_id), before);
	j = gw_intent(intent);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "canceled");
	json_decref(j);
	/* Twice: refused, nothing moves. */
	r = client_req(&cl, "POST", path, NULL, 1);
	ck_assert_int_eq(r->status, 409);
	hresp_free(r);
	ck_assert_int_eq(avail(b_id), before);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("checkout");
	TCase *t = tcase_create("checkout");

	harness_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 300);
	tcase_add_test(t, confirmed_order);
	tcase_add_test(t, refusals_reserve_nothing);
	tcase_add_test(t, read_model_of_variants);
	tcase_add_test(t, test_cards);
	tcase_add_test(t, sweeper_expires);
	tcase_add_test(t, race_for_last_units);
	tcase_add_test(t, multi_line_no_deadlock_failures);
	tcase_add_test(t, lost_gateway_answer);
	tcase_add_test(t, webhooks_verified);
	tcase_add_test(t, html_checkout_through_gateway);
	tcase_add_test(t, cancel_before_shipment);
	tcase_add_test(t, worker_killed_mid_saga);
	suite_add_tcase(s, t);
	return run_suite(s);
}
