/* t/http: fault injection (issue 13), in the manner of SQLite's tests.
 * Each operation that moves money or stock is run once to count its calls
 * (database statements and COMMITs, Redis commands, gateway calls), then
 * again and again with the Nth call of one layer failing, for every N and
 * three ways of failing: an error, a connection lost before the call, and
 * one lost after the server did it (a timeout). After every run nothing is
 * half-written: the stock ledgers agree, no unit is held for an order that
 * no longer waits, an order and its holds are in matching states; and the
 * client's retry (or the next run of the job) finishes the operation once.
 *
 * Operations: checkout (over HTTP, X-Test-Fault), cancel (HTTP), the saga's
 * resumption and the expiry of unpaid orders (the jobs' own batches, run in
 * this process while the jobs process is paused), a seller's stock change
 * and the catalog import (in this process). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <sodium.h>
#include "harness.h"
#include "../../app/core/arena.h"
#include "../../app/core/config.h"
#include "../../app/core/fault.h"
#include "../../app/store/db.h"
#include "../../app/store/kv.h"
#include "../../app/checkout/checkout.h"
#include "../../app/order/order.h"
#include "../../app/inventory/inventory.h"
#include "../../app/seller/import.h"
#include "../../app/fulfillment/fulfillment.h"
#include "../../app/module.h"


static const char *const kinds[] = { "error", "lost", "lost-after" };
static const char *const layers[] = { "db", "kv", "pay" };
static char sku[64];
static long long sku_id, runs;
static struct db *db;
static struct kv *kv;
static struct arena *ar;

/* ---- invariants ---- */

/* Everything that must hold after any fault, whatever the operation. */
static void invariants(const char *when)
{
	stock_invariants(when);
	runs++;
}

/* ---- shoppers ---- */

static void signup(struct client *cl)
{
	clear_ip_throttles();
	buyer_new(cl, "fault", NULL, 0);
}

static void put_one(struct client *cl)
{
	cart_put(cl, sku, 1);
}

static long long quote(struct client *cl)
{
	return checkout_amount(cl);
}

/* A POST as cl, with an Idempotency-Key and a fault spec (NULL: none). */
static struct hresp *post(struct client *cl, const char *path, const char *body, const char *key, const char *fault)
{
	char f[120];

	snprintf(f, sizeof(f), "X-Test-Fault: %s", fault ? fault : "");
	return post_idem(cl, path, body, key, fault ? f : NULL);
}

/* The calls a request counted, per layer, from X-Test-Fault-Calls. */
static void calls_of(const struct hresp *r, long out[3])
{
	const char *h = hresp_header(r, "X-Test-Fault-Calls");
	int fired;

	ck_assert_msg(h != NULL, "no X-Test-Fault-Calls (test hooks off?)");
	ck_assert_int_eq(sscanf(h, "db=%ld kv=%ld pay=%ld fired=%d", &out[0], &out[1], &out[2], &fired), 4);
}

static void checkout_body(char *b, size_t n, long long amount)
{
	snprintf(b, n, "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,\"paymentMethod\":\"pm_card_visa\"}",
		 amount);
}

/* Retries the same request (no fault) until it has a final answer, the way
 * a client does: 409 "being placed" and 503 are "ask again". */
static long retry_until_final(struct client *cl, const char *path, const char *body, const char *key, char **answer)
{
	long st = 0;

	for (int i = 0; i < 60; i++) {
		struct hresp *r = post(cl, path, body, key, NULL);

		st = r->status;
		if (answer) {
			free(*answer);
			*answer = strdup(r->body);
		}
		hresp_free(r);
		if (st != 503 && !(st == 409 && strstr(answer ? *answer : "", "being placed")))
			break;
		usleep(250000);
	}
	return st;
}

/* ---- setup ---- */

static void setup(void)
{
	clear_ip_throttles();
	sku_id = sku_pick("FUR-", 20, sku, sizeof(sku));
	paygate_faults("{}");
	ck_assert_int_eq(config_load(&config), E_OK);
	paygate_setenv();	/* the jobs' batches run here talk to the gateway */
	modules_init();
	ar = arena_new(1 << 20);
	ck_assert_ptr_nonnull(ar);
	ck_assert_int_eq(db_open(&db), E_OK);
	ck_assert_int_eq(kv_open(&kv), E_OK);
	setenv("SHOP_TEST_HOOKS", "1", 1);
	/* Each test buys a few hundred units: restocked the seller's way. */
	if (sql_scalarf("SELECT SUM(available) FROM inventory WHERE sku_id = %lld", sku_id) < 500) {
		struct stock_change ch;
		long long product = sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", sku_id);

		memset(&ch, 0, sizeof(ch));
		ch.seller_id = sql_scalarf("SELECT seller_id FROM products WHERE id = %lld", product);
		ch.product_id = product;
		ch.sku = sku;
		ch.warehouse_id = 1;
		ch.value = 1000;
		ch.reason = "restock for the fault-injection suite";
		ch.actor = "test:faults";
		ck_assert_int_eq(inventory_change(db, ar, &ch), E_OK);
		arena_reset(ar);
	}
	invariants("before");
}

static void teardown(void)
{
	fault_disarm();
	redis_cmd("DEL test:jobs:pause");
	paygate_faults("{}");
	db_close(db);
	kv_close(kv);
	arena_destroy(ar);
	fprintf(stderr, "faults: %lld faulted runs checked so far\n", runs);
}

/* ---- checkout ---- */

/* Every call of a checkout fails in turn. Whatever the client was told,
 * its retry with the same key ends in one confirmed order with one
 * authorization, and the invariants hold after the fault and after the
 * retry. */
START_TEST(checkout_every_call)
{
	struct client cl;
	char body[600], key[80], *answer = NULL, spec[64];
	long calls[3], st;
	struct hresp *r;

	signup(&cl);
	put_one(&cl);
	checkout_body(body, sizeof(body), quote(&cl));
	snprintf(key, sizeof(key), "count-%u", randombytes_random());
	r = post(&cl, "/api/checkout", body, key, "count");
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	calls_of(r, calls);
	hresp_free(r);
	ck_assert_int_gt(calls[0], 10);
	ck_assert_int_ge(calls[2], 1);
	for (int l = 0; l < 3; l++)
		for (long n = 1; n <= calls[l]; n++)
			for (int k = 0; k < 3; k++) {
				long long orders;

				put_one(&cl);
				checkout_body(body, sizeof(body), quote(&cl));
				snprintf(key, sizeof(key), "f-%s-%ld-%s-%u", layers[l], n, kinds[k], randombytes_random());
				snprintf(spec, sizeof(spec), "%s:%ld:%s", layers[l], n, kinds[k]);
				r = post(&cl, "/api/checkout", body, key, spec);
				st = r->status;
				/* A fault is never a refusal the shopper is told to
				 * act on: no 402, no 400/422 for a good request. */
				ck_assert_msg(st == 201 || st == 409 || st == 500 || st == 503,
					      "%s: %ld %s", spec, st, r->body);
				/* MariaDB or Redis away is not the gateway's silence. */
				ck_assert_msg(l == 2 || !strstr(r->body, "payment service"), "%s: %ld %s", spec, st, r->body);
				hresp_free(r);
				invariants(spec);
				/* The resumption of a saga whose gateway answer was
				 * lost waits for the settle time; the test does not:
				 * the client's retry resumes it. */
				st = retry_until_final(&cl, "/api/checkout", body, key, &answer);
				ck_assert_msg(st == 201, "%s: retry: %ld %s", spec, st, answer);
				invariants(spec);
				orders = sql_scalarf("SELECT COUNT(*) FROM checkouts WHERE idem_key = '%s' AND state = 'done' "
						     "AND response_status = 201", key);
				ck_assert_msg(orders == 1, "%s: %lld finished sagas", spec, orders);
			}
	free(answer);
	/* One order per key, and each confirmed order has exactly one intent. */
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM (SELECT order_id FROM checkouts WHERE idem_key LIKE 'f-%' "
				    "GROUP BY user_id, idem_key HAVING COUNT(DISTINCT order_id) > 1) x"), 0);
}
END_TEST

/* Lock conflicts: a deadlock (or, on Galera, a certification conflict at
 * COMMIT) at any one call of a checkout is retried inside the shop, so the
 * shopper sees an order or, where the transaction was not db_tx's, a 503
 * to ask again; conflicts that outlast every retry answer 503 with
 * Retry-After (nothing changed: a moment's contention, not a bug), and the
 * same key then places the order once. */
START_TEST(checkout_lock_conflicts)
{
	struct client cl;
	char body[600], key[80], *answer = NULL, spec[64];
	long calls[3], st;
	struct hresp *r;

	signup(&cl);
	put_one(&cl);
	checkout_body(body, sizeof(body), quote(&cl));
	snprintf(key, sizeof(key), "count-%u", randombytes_random());
	r = post(&cl, "/api/checkout", body, key, "count");
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	calls_of(r, calls);
	hresp_free(r);
	/* Conflicts from the first call on (nothing can be written, not even
	 * the claim on the key), then one conflict at each call in turn. A
	 * request whose every later call fails cannot give its claim back
	 * either: its retry then waits out the claim (30 s), as after an
	 * outage, which the other tests cover. */
	for (long n = 1; n <= calls[0] + 1; n++)
		for (int onward = 0; onward < (n == 1 ? 2 : 1); onward++) {
			put_one(&cl);
			checkout_body(body, sizeof(body), quote(&cl));
			snprintf(key, sizeof(key), "dl-%ld-%d-%u", n, onward, randombytes_random());
			snprintf(spec, sizeof(spec), "db:%ld:%s", n, onward ? "deadlocks" : "deadlock");
			r = post(&cl, "/api/checkout", body, key, spec);
			st = r->status;
			ck_assert_msg(st == 201 || st == 503 || (st == 409 && strstr(r->body, "being placed")),
				      "%s: %ld %s", spec, st, r->body);
			if (st == 503)
				ck_assert_msg(hresp_header(r, "Retry-After") != NULL, "%s: 503 without Retry-After", spec);
			/* Every call failing from the first on: nothing can
			 * succeed, and the shopper is told to ask again. */
			if (onward && n == 1)
				ck_assert_msg(st == 503, "%s: %ld %s", spec, st, r->body);
			hresp_free(r);
			invariants(spec);
			st = retry_until_final(&cl, "/api/checkout", body, key, &answer);
			ck_assert_msg(st == 201, "%s: retry: %ld %s", spec, st, answer);
			invariants(spec);
			ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM checkouts WHERE idem_key = '%s' AND state = 'done' "
						     "AND response_status = 201", key), 1);
		}
	free(answer);
}
END_TEST

/* ---- cancel ---- */

START_TEST(cancel_every_call)
{
	struct client cl;
	char body[600], key[80], path[80], spec[64], *answer = NULL;
	long calls[3], st;
	long long oid;
	struct hresp *r;
	json_t *j;

	signup(&cl);
	calls[0] = calls[1] = calls[2] = 0;
	for (int l = 0; l < 3; l++)
		for (long n = 0; n <= calls[l]; n++)
			for (int k = 0; k < (n ? 3 : 1); k++) {
				put_one(&cl);
				checkout_body(body, sizeof(body), quote(&cl));
				snprintf(key, sizeof(key), "c-%u", randombytes_random());
				r = post(&cl, "/api/checkout", body, key, NULL);
				ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
				j = hresp_json(r);
				oid = json_integer_value(json_object_get(j, "id"));
				json_decref(j);
				hresp_free(r);
				snprintf(path, sizeof(path), "/api/orders/%lld/cancel", oid);
				snprintf(spec, sizeof(spec), n ? "%s:%ld:%s" : "count", layers[l], n, kinds[k]);
				r = post(&cl, path, NULL, NULL, spec);
				st = r->status;
				if (!n)
					calls_of(r, calls);
				ck_assert_msg(st == 200 || st == 409 || st == 500 || st == 502 || st == 503,
					      "%s: %ld %s", spec, st, r->body);
				hresp_free(r);
				invariants(spec);
				st = retry_until_final(&cl, path, NULL, NULL, &answer);
				/* Cancelled by the faulted call or by the retry. */
				ck_assert_msg(st == 200 || (st == 409 && strstr(answer, "cannot be cancelled")),
					      "%s: retry: %ld %s", spec, st, answer);
				ck_assert_msg(sql_scalarf("SELECT status = 'cancelled' FROM orders WHERE id = %lld", oid) == 1,
					      "%s: order %lld not cancelled", spec, oid);
				invariants(spec);
			}
	ck_assert_int_gt(calls[0], 5);
	free(answer);
}
END_TEST

/* The jobs process leaves its batches to this test (teardown lifts it). */
static void jobs_pause(void)
{
	redis_cmd("SET test:jobs:pause all");
	sleep(1);	/* a batch that had started finishes */
}

/* ---- refund ---- */

/* A shipped (captured) order refunded by its seller with every call of
 * the refund failing in turn. Whatever the seller was told, the refund
 * happens exactly once: either the request left nothing (the seller asks
 * again) or it left a refund that the jobs' retries finish; the gateway
 * refunds the amount once and the unit is back on the shelf once. */
START_TEST(refund_every_call)
{
	struct client shopper, seller;
	char body[600], key[80], path[120], spec[64], intent[64];
	long calls[3] = { 0, 0, 0 }, st;
	long long product = sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", sku_id), sid;
	struct hresp *r;
	json_t *j;

	/* The product changes hands to a seller this test can sign in as. */
	sid = seller_new(&seller, "faultseller", NULL);
	sql_execf("UPDATE products SET seller_id = %lld WHERE id = %lld", sid, product);
	signup(&shopper);
	jobs_pause();
	for (int l = 0; l < 3; l++)
		for (long n = 0; n <= calls[l]; n++)
			for (int k = 0; k < (n ? 3 : 1); k++) {
				long long oid, total, restocked;

				put_one(&shopper);
				checkout_body(body, sizeof(body), quote(&shopper));
				snprintf(key, sizeof(key), "rf-%u", randombytes_random());
				r = post(&shopper, "/api/checkout", body, key, NULL);
				ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
				j = hresp_json(r);
				oid = json_integer_value(json_object_get(j, "id"));
				snprintf(intent, sizeof(intent), "%s",
					 json_string_value(json_object_get(json_object_get(j, "payment"), "id")));
				json_decref(j);
				hresp_free(r);
				total = sql_scalarf("SELECT total FROM orders WHERE id = %lld", oid);
				snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments", oid);
				snprintf(body, sizeof(body), "{\"lines\":[1],\"carrier\":\"UPS\",\"tracking\":\"1ZF%lld%u\"}", oid,
					 randombytes_uniform(100000));
				r = post(&seller, path, body, NULL, NULL);
				ck_assert_msg(r->status == 201, "ship: %ld %s", r->status, r->body);
				hresp_free(r);
				restocked = sql_scalarf("SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE sku_id = %lld", sku_id);
				snprintf(path, sizeof(path), "/api/seller/orders/%lld/refunds", oid);
				snprintf(spec, sizeof(spec), n ? "%s:%ld:%s" : "count", layers[l], n, kinds[k]);
				r = post(&seller, path, "{\"lines\":[{\"line\":1,\"quantity\":1}]}", NULL, spec);
				st = r->status;
				if (!n)
					calls_of(r, calls);
				ck_assert_msg(st == 201 || st == 500 || st == 502 || st == 503, "%s: %ld %s", spec, st, r->body);
				hresp_free(r);
				invariants(spec);
				/* Nothing recorded: the seller asks again. Recorded: the
				 * jobs finish it (run here, the jobs process paused). */
				if (!sql_scalarf("SELECT COUNT(*) FROM refunds WHERE order_id = %lld", oid)) {
					r = post(&seller, path, "{\"lines\":[{\"line\":1,\"quantity\":1}]}", NULL, NULL);
					ck_assert_msg(r->status == 201, "%s: again: %ld %s", spec, r->status, r->body);
					hresp_free(r);
				}
				for (int i = 0; i < 5 && sql_scalarf("SELECT COUNT(*) FROM refunds WHERE order_id = %lld "
								     "AND status = 'pending'", oid); i++) {
					sql_execf("UPDATE refunds SET next_attempt_at = NOW(3) - INTERVAL 1 SECOND "
						  "WHERE order_id = %lld AND status = 'pending'", oid);
					fulfillment_retry_batch(db, kv, ar);
					arena_reset(ar);
				}
				ck_assert_msg(sql_scalarf("SELECT COUNT(*) FROM refunds WHERE order_id = %lld", oid) == 1 &&
					      sql_scalarf("SELECT COUNT(*) FROM refunds WHERE order_id = %lld AND status = 'succeeded'",
							  oid) == 1, "%s: order %lld: not exactly one refund, succeeded", spec, oid);
				{
					char q[200];
					struct hresp *g;
					json_t *pi;

					snprintf(q, sizeof(q), "/v1/payment_intents/%s", intent);
					g = paygate_req("GET", q, NULL, NULL);
					pi = hresp_json(g);
					ck_assert_msg(json_integer_value(json_object_get(pi, "amount_refunded")) == total,
						      "%s: the gateway refunded %lld of %lld", spec,
						      (long long)json_integer_value(json_object_get(pi, "amount_refunded")), total);
					json_decref(pi);
					hresp_free(g);
				}
				ck_assert_msg(sql_scalarf("SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE sku_id = %lld",
							  sku_id) == restocked + 1, "%s: not restocked exactly once", spec);
				invariants(spec);
			}
	ck_assert_int_gt(calls[0], 5);
}
END_TEST

/* ---- jobs: the saga's resumption and the expiry ---- */

/* A saga whose gateway call never got out, past the settle time, resumed
 * by the jobs' batch with its Nth call failing; the next clean batch ends
 * it confirmed with one authorization. */
START_TEST(resume_every_call)
{
	struct client cl;
	char body[600], key[80], spec[64];
	long calls[3] = { 0, 0, 0 };
	struct hresp *r;

	signup(&cl);
	jobs_pause();
	for (int l = 0; l < 3; l++)
		for (long n = 0; n <= calls[l]; n++)
			for (int k = 0; k < (n ? 3 : 1); k++) {
				long long ck;

				put_one(&cl);
				checkout_body(body, sizeof(body), quote(&cl));
				snprintf(key, sizeof(key), "r-%u", randombytes_random());
				r = post(&cl, "/api/checkout", body, key, "pay:1:lost");
				ck_assert_msg(r->status == 503, "%ld %s", r->status, r->body);
				hresp_free(r);
				ck = sql_scalarf("SELECT id FROM checkouts WHERE idem_key = '%s'", key);
				sql_execf("UPDATE checkouts SET updated_at = NOW(3) - INTERVAL 1 HOUR WHERE id = %lld", ck);
				snprintf(spec, sizeof(spec), n ? "%s:%ld:%s" : "count", layers[l], n, kinds[k]);
				ck_assert_int_eq(fault_arm(spec), 0);
				checkout_recover_batch(db, kv, ar);
				if (!n) {
					for (int x = 0; x < 3; x++)
						calls[x] = fault_calls((enum fault_layer)x);
				}
				fault_disarm();
				arena_reset(ar);
				invariants(spec);
				for (int i = 0; i < 5 && !sql_scalarf("SELECT state = 'done' FROM checkouts WHERE id = %lld", ck); i++) {
					sql_execf("UPDATE checkouts SET updated_at = NOW(3) - INTERVAL 1 HOUR WHERE id = %lld", ck);
					checkout_recover_batch(db, kv, ar);
					arena_reset(ar);
				}
				ck_assert_msg(sql_scalarf("SELECT state = 'done' AND response_status = 201 FROM checkouts "
							  "WHERE id = %lld", ck) == 1, "%s: saga %lld not finished", spec, ck);
				invariants(spec);
			}
	ck_assert_int_gt(calls[0], 5);
}
END_TEST

/* Unpaid orders past their hold, expired by the jobs' batch with its Nth
 * call failing: each is either still waiting with all its units or
 * expired with none, its authorization-to-be voided at the gateway. */
START_TEST(expiry_every_call)
{
	struct client cl;
	char body[600], key[80], spec[64];
	long calls[3] = { 0, 0, 0 };
	struct hresp *r;
	json_t *j;

	signup(&cl);
	jobs_pause();
	for (int l = 0; l < 3; l++)
		for (long n = 0; n <= calls[l]; n++)
			for (int k = 0; k < (n ? 3 : 1); k++) {
				long long oid;

				put_one(&cl);
				snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld}", quote(&cl));
				snprintf(key, sizeof(key), "x-%u", randombytes_random());
				r = post(&cl, "/api/checkout", body, key, NULL);
				ck_assert_msg(r->status == 202, "%ld %s", r->status, r->body);
				j = hresp_json(r);
				oid = json_integer_value(json_object_get(j, "id"));
				json_decref(j);
				hresp_free(r);
				/* Everyone's unpaid orders of earlier runs are long gone;
				 * this one is the batch's only work. */
				sql_execf("UPDATE orders SET hold_expires_at = NOW(3) - INTERVAL 1 SECOND WHERE id = %lld", oid);
				snprintf(spec, sizeof(spec), n ? "%s:%ld:%s" : "count", layers[l], n, kinds[k]);
				ck_assert_int_eq(fault_arm(spec), 0);
				order_sweep_batch(db, kv, ar);
				if (!n)
					for (int x = 0; x < 3; x++)
						calls[x] = fault_calls((enum fault_layer)x);
				fault_disarm();
				arena_reset(ar);
				invariants(spec);
				for (int i = 0; i < 5 && !sql_scalarf("SELECT status = 'expired' FROM orders WHERE id = %lld", oid); i++) {
					order_sweep_batch(db, kv, ar);
					arena_reset(ar);
				}
				ck_assert_msg(sql_scalarf("SELECT status = 'expired' FROM orders WHERE id = %lld", oid) == 1,
					      "%s: order %lld not expired", spec, oid);
				invariants(spec);
			}
	ck_assert_int_gt(calls[0], 5);
}
END_TEST

/* ---- stock change and import, in this process ---- */

START_TEST(stock_change_every_call)
{
	long long product = sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", sku_id);
	long long seller = sql_scalarf("SELECT seller_id FROM products WHERE id = %lld", product);
	long calls = 0;

	for (long n = 0; n <= calls; n++)
		for (int k = 0; k < (n ? 3 : 1); k++) {
			struct stock_change ch;
			char spec[64];

			memset(&ch, 0, sizeof(ch));
			ch.seller_id = seller;
			ch.product_id = product;
			ch.sku = sku;
			ch.warehouse_id = 1;
			ch.value = 1;
			ch.reason = "fault injection";
			ch.actor = "test:faults";
			snprintf(spec, sizeof(spec), n ? "db:%ld:%s" : "count", n, kinds[k]);
			ck_assert_int_eq(fault_arm(spec), 0);
			inventory_change(db, ar, &ch);
			if (!n)
				calls = fault_calls(FAULT_DB);
			fault_disarm();
			arena_reset(ar);
			invariants(spec);
		}
	ck_assert_int_gt(calls, 3);
}
END_TEST

START_TEST(import_every_call)
{
	char path[300];
	long calls = 0;
	long long id = 990000 + (long long)randombytes_uniform(9000);

	snprintf(path, sizeof(path), "%s/fault-import.json", getenv("SHOP_HOME"));
	for (long n = 0; n <= calls; n++)
		for (int k = 0; k < (n ? 3 : 1); k++) {
			struct import_stats st;
			char spec[64];
			FILE *f = fopen(path, "w");

			ck_assert_ptr_nonnull(f);
			/* A new stock figure each run: every import moves units. */
			fprintf(f, "[{\"id\": %lld, \"title\": \"Fault Injection Lamp %lld\", \"description\": \"A lamp.\", "
				"\"category\": \"home-decoration\", \"price\": 19.99, \"rating\": 4.1, \"stock\": %ld, "
				"\"brand\": \"Faultline\", \"sku\": \"HOM-FLT-%lld\", \"weight\": 2, \"reviews\": [], "
				"\"images\": [], \"thumbnail\": \"\"}]\n", id, id, 10 + 3 * n + k, id);
			fclose(f);
			snprintf(spec, sizeof(spec), n ? "db:%ld:%s" : "count", n, kinds[k]);
			ck_assert_int_eq(fault_arm(spec), 0);
			catalog_import_file(db, path, NULL, &st);
			if (!n)
				calls = fault_calls(FAULT_DB);
			fault_disarm();
			arena_reset(ar);
			invariants(spec);
		}
	ck_assert_int_gt(calls, 5);
	unlink(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("faults");
	TCase *t = tcase_create("faults");

	harness_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 900);
	tcase_add_test(t, stock_change_every_call);
	tcase_add_test(t, import_every_call);
	tcase_add_test(t, expiry_every_call);
	tcase_add_test(t, resume_every_call);
	tcase_add_test(t, cancel_every_call);
	tcase_add_test(t, refund_every_call);
	tcase_add_test(t, checkout_every_call);
	tcase_add_test(t, checkout_lock_conflicts);
	suite_add_tcase(s, t);
	return run_suite(s);
}
