/* t/http: payments racing themselves (issue 13). A slow gateway, a retry
 * while the first attempt still runs, parallel "pay" calls with one key,
 * the saga's resumption meeting an attempt in flight, and authorizations
 * that arrive after their order ended. The rules under test:
 *   - "in progress" at the gateway is never a decline;
 *   - a checkout is resumed only when no attempt can still be running;
 *   - every authorization the gateway holds belongs to a live order or is
 *     voided.
 * Each test checks the answers the client got against the final state of
 * the order, in SQL and at the gateway. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <sodium.h>
#include "harness.h"


static char sku[64];
static long long sku_id;

/* ---- the gateway ---- */

/* Intents at the gateway whose metadata names order oid, and how many of
 * them are in state st (NULL: any). Reads the newest 100. */
static int gw_intents_of(long long oid, const char *st, char *id_out, size_t n)
{
	struct hresp *r = paygate_req("GET", "/v1/payment_intents?limit=100", NULL, NULL);
	json_t *j = hresp_json(r), *pi;
	char want[24];
	size_t i;
	int count = 0;

	ck_assert_msg(r->status == 200 && j, "list: %ld %s", r->status, r->body);
	snprintf(want, sizeof(want), "%lld", oid);
	json_array_foreach(json_object_get(j, "data"), i, pi) {
		const char *o = json_string_value(json_object_get(json_object_get(pi, "metadata"), "order_id"));

		if (!o || strcmp(o, want))
			continue;
		if (st && strcmp(json_string_value(json_object_get(pi, "status")), st))
			continue;
		if (id_out)
			snprintf(id_out, n, "%s", json_string_value(json_object_get(pi, "id")));
		count++;
	}
	json_decref(j);
	hresp_free(r);
	return count;
}

/* ---- shoppers ---- */

static long long signup(struct client *cl)
{
	return buyer_new(cl, "race", NULL, 0);
}

static void put_one(struct client *cl)
{
	cart_put(cl, sku, 1);
}

struct attempt {
	struct client *cl;
	char path[64], key[80], body[600];
	long status;
	char *answer;
};

static void *attempt_run(void *p)
{
	struct attempt *at = p;
	struct hresp *r = post_idem(at->cl, at->path, at->body, at->key, NULL);

	at->status = r->status;
	at->answer = strdup(r->body);
	hresp_free(r);
	return NULL;
}

static void checkout_attempt(struct attempt *at, struct client *cl, long long amount, const char *pm, const char *key)
{
	memset(at, 0, sizeof(*at));
	at->cl = cl;
	snprintf(at->path, sizeof(at->path), "/api/checkout");
	snprintf(at->key, sizeof(at->key), "%s", key);
	snprintf(at->body, sizeof(at->body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld%s%s%s}", amount,
		 pm ? ",\"paymentMethod\":\"" : "", pm ? pm : "", pm ? "\"" : "");
}

static const char *fresh_key(const char *tag)
{
	static char k[80];

	snprintf(k, sizeof(k), "%s-%d-%u", tag, (int)getpid(), randombytes_random());
	return k;
}

/* Waits (at most seconds) until the SQL answers want; the last answer. */
static long long wait_sql(long long want, int seconds, const char *q)
{
	long long v = -1;

	for (int i = 0; i < seconds * 10; i++) {
		if ((v = sql_scalar(q)) == want)
			break;
		usleep(100000);
	}
	return v;
}

/* ---- invariants ---- */

static long long start_units;

static long long units(void)
{
	return sql_scalarf("SELECT SUM(available + reserved + committed) FROM inventory WHERE sku_id = %lld", sku_id);
}

static void invariants(void)
{
	stock_invariants("after the test");
	ck_assert_int_eq(units(), start_units);
}

static void setup(void)
{
	clear_ip_throttles();
	/* A SKU no other suite sells. */
	sku_id = sku_pick("BEA-", 20, sku, sizeof(sku));
	paygate_faults("{}");
	start_units = units();
}

static void teardown(void)
{
	paygate_faults("{}");
	invariants();
}

/* ---- 1: the gateway is slower than the adapter waits ---- */

/* The gateway takes 12 s, the adapter gives up after 10 s: the shopper
 * gets 503 (not a decline). A retry while the gateway still works is told
 * "in progress" (409), never "declined". The authorization that the
 * gateway then makes lands on the order (its webhook, or the saga's
 * resumption once no attempt can still run): the order is confirmed with
 * that intent, and the same key replays 201. Before the fix the jobs
 * process resumed after 5 s, met the first call in flight, and recorded
 * the gateway's 409 as a decline: 402, no intent on the order, and an
 * authorization nobody owned. */
START_TEST(slower_than_the_adapter)
{
	struct client cl;
	struct attempt a, b;
	long long uid = signup(&cl), oid, amount;
	char st[32], intent[64];
	time_t t0;

	put_one(&cl);
	amount = checkout_amount(&cl);
	checkout_attempt(&a, &cl, amount, "pm_card_visa", fresh_key("slow"));
	paygate_faults("{\"delay_ms\": 12000}");
	t0 = time(NULL);
	attempt_run(&a);
	ck_assert_msg(a.status == 503, "%ld %s", a.status, a.answer);
	ck_assert_msg(time(NULL) - t0 < 12, "the adapter waited for the whole delay");
	paygate_faults("{}");	/* the first call still sleeps its 12 s at the gateway */
	oid = sql_scalarf("SELECT id FROM orders WHERE user_id = %lld", uid);
	ck_assert_int_gt(oid, 0);
	/* The shopper's retry, while the gateway still holds the key. */
	b = a;
	attempt_run(&b);
	ck_assert_msg(b.status == 409, "retry while in flight: %ld %s", b.status, b.answer);
	ck_assert_msg(strstr(b.answer, "being placed") != NULL, "%s", b.answer);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld "
				     "AND to_status = 'payment_failed'", oid), 0);
	/* Within the settle time plus a few jobs rounds the order is paid. */
	{
		char q[300];

		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM checkouts WHERE order_id = %lld AND state = 'done' "
			 "AND response_status = 201", oid);
		ck_assert_int_eq(wait_sql(1, 40, q), 1);
	}
	ck_assert_int_eq(sql_scalarf("SELECT status = 'confirmed' AND payment_intent IS NOT NULL "
				     "FROM orders WHERE id = %lld", oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld "
				     "AND to_status = 'payment_failed'", oid), 0);
	/* Exactly one authorization, the order's. */
	ck_assert_int_eq(gw_intents_of(oid, NULL, intent, sizeof(intent)), 1);
	paygate_status(intent, st, sizeof(st));
	ck_assert_str_eq(st, "requires_capture");
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE id = %lld AND payment_intent = '%s'", oid, intent), 1);
	/* The client's replay agrees with the order. */
	free(b.answer);
	attempt_run(&b);
	ck_assert_msg(b.status == 201, "replay: %ld %s", b.status, b.answer);
	ck_assert_msg(strstr(b.answer, "\"status\":\"confirmed\"") != NULL, "%s", b.answer);
	free(a.answer);
	free(b.answer);
}
END_TEST

/* The same with the workers killed while the gateway takes 7 s: nobody
 * is left to hear the answer. The gateway's notice links the
 * authorization to the order, the jobs process (respawned) resumes the
 * saga once it has settled, and the client's replay gets 201. */
START_TEST(workers_killed_while_gateway_slow)
{
	struct client cl;
	struct attempt a;
	pthread_t t;
	long long uid = signup(&cl), oid;
	char q[300], intent[64], pidfile[300], cmd[400];

	put_one(&cl);
	checkout_attempt(&a, &cl, checkout_amount(&cl), "pm_card_visa", fresh_key("killed"));
	paygate_faults("{\"delay_ms\": 7000}");
	ck_assert_int_eq(pthread_create(&t, NULL, attempt_run, &a), 0);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM checkouts WHERE user_id = %lld AND state = 'authorizing'", uid);
	ck_assert_int_eq(wait_sql(1, 20, q), 1);
	sleep(1);
	snprintf(pidfile, sizeof(pidfile), "%s/run/shopd.pid", getenv("SHOP_HOME"));
	snprintf(cmd, sizeof(cmd), "pkill -KILL -P $(cat %s)", pidfile);
	ck_assert_int_eq(system(cmd), 0);
	pthread_join(t, NULL);
	paygate_faults("{}");	/* the first call still sleeps its 7 s at the gateway */
	ck_assert_msg(a.status != 201 && a.status != 402, "%ld %s", a.status, a.answer);
	oid = sql_scalarf("SELECT id FROM orders WHERE user_id = %lld", uid);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM checkouts WHERE order_id = %lld AND state = 'done' AND response_status = 201",
		 oid);
	ck_assert_int_eq(wait_sql(1, 60, q), 1);
	ck_assert(wait_status("/healthz", 200, 15));
	ck_assert_int_eq(sql_scalarf("SELECT status = 'confirmed' FROM orders WHERE id = %lld", oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND to_status = 'payment_failed'",
				     oid), 0);
	ck_assert_int_eq(gw_intents_of(oid, NULL, intent, sizeof(intent)), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE id = %lld AND payment_intent = '%s'", oid, intent), 1);
	free(a.answer);
	attempt_run(&a);
	ck_assert_msg(a.status == 201, "replay: %ld %s", a.status, a.answer);
	free(a.answer);
}
END_TEST

/* ---- 2: a retry during a slow payment ---- */

/* A takes 4 s at the gateway; B (same key) comes 1 s later: B is told the
 * order is being placed (409, Retry-After), A gets 201, no false
 * payment_failed step in the timeline. Before the fix B got 402 at once. */
START_TEST(retry_during_slow_payment)
{
	struct client cl;
	struct attempt a, b;
	pthread_t t;
	long long uid = signup(&cl), oid, amount;

	put_one(&cl);
	amount = checkout_amount(&cl);
	checkout_attempt(&a, &cl, amount, "pm_card_visa", fresh_key("retry"));
	b = a;
	paygate_faults("{\"delay_ms\": 4000}");
	ck_assert_int_eq(pthread_create(&t, NULL, attempt_run, &a), 0);
	sleep(1);
	attempt_run(&b);
	pthread_join(t, NULL);
	paygate_faults("{}");
	ck_assert_msg(a.status == 201, "A: %ld %s", a.status, a.answer);
	ck_assert_msg(b.status == 409, "B: %ld %s", b.status, b.answer);
	oid = sql_scalarf("SELECT id FROM orders WHERE user_id = %lld", uid);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'confirmed' FROM orders WHERE id = %lld", oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld "
				     "AND to_status = 'payment_failed'", oid), 0);
	ck_assert_int_eq(gw_intents_of(oid, NULL, NULL, 0), 1);
	/* B's retry now replays A's answer. */
	free(b.answer);
	attempt_run(&b);
	ck_assert_msg(b.status == 201, "B again: %ld %s", b.status, b.answer);
	free(a.answer);
	free(b.answer);
}
END_TEST

/* ---- 3: ten parallel "pay" calls with one key ---- */

/* A declined order paid again over the API by ten parallel requests with
 * one Idempotency-Key while the gateway is slow: every answer is 201 or
 * "in progress" (409), never 402; the order is confirmed once. Then a
 * second key on the paid order: 201 again (already paid), not a decline.
 * Before the fix: 4x201, 4x409, 2x402. */
START_TEST(parallel_pay_one_key)
{
	struct client cl;
	struct attempt a, at[10];
	pthread_t t[10];
	long long oid, amount, n201 = 0;
	json_t *j;

	signup(&cl);
	put_one(&cl);
	amount = checkout_amount(&cl);
	checkout_attempt(&a, &cl, amount, "pm_card_chargeDeclined", fresh_key("decl"));
	attempt_run(&a);
	ck_assert_msg(a.status == 402, "%ld %s", a.status, a.answer);
	j = json_loads(a.answer, 0, NULL);
	oid = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	free(a.answer);
	ck_assert_int_gt(oid, 0);

	paygate_faults("{\"delay_ms\": 2000}");
	for (int i = 0; i < 10; i++) {
		memset(&at[i], 0, sizeof(at[i]));
		at[i].cl = &cl;
		snprintf(at[i].path, sizeof(at[i].path), "/api/orders/%lld/pay", oid);
		snprintf(at[i].key, sizeof(at[i].key), "one-key-%lld", oid);
		snprintf(at[i].body, sizeof(at[i].body), "{\"paymentMethod\":\"pm_card_visa\"}");
		ck_assert_int_eq(pthread_create(&t[i], NULL, attempt_run, &at[i]), 0);
	}
	for (int i = 0; i < 10; i++)
		pthread_join(t[i], NULL);
	paygate_faults("{}");
	for (int i = 0; i < 10; i++) {
		ck_assert_msg(at[i].status == 201 || at[i].status == 409, "pay %d: %ld %s", i, at[i].status,
			      at[i].answer);
		n201 += at[i].status == 201;
		free(at[i].answer);
	}
	ck_assert_int_ge(n201, 1);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'confirmed' FROM orders WHERE id = %lld", oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld "
				     "AND to_status = 'confirmed'", oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld "
				     "AND to_status = 'payment_failed'", oid), 1);	/* the real decline only */
	ck_assert_int_eq(gw_intents_of(oid, "requires_capture", NULL, 0), 1);
	/* Another key on the paid order: the gateway will not confirm again,
	 * and that is not a decline either. */
	at[0].status = 0;
	snprintf(at[0].key, sizeof(at[0].key), "other-key-%lld", oid);
	attempt_run(&at[0]);
	ck_assert_msg(at[0].status == 409 || at[0].status == 201, "%ld %s", at[0].status, at[0].answer);
	ck_assert_msg(at[0].status != 402, "%s", at[0].answer);
	free(at[0].answer);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'confirmed' FROM orders WHERE id = %lld", oid), 1);
}
END_TEST

/* ---- 4: an authorization that outlives its order ---- */

/* An order ends (expired by the sweeper, or cancelled by the shopper) with
 * no payment recorded; then an authorization for it shows up at the
 * gateway (a saga's answer lost, the shopper paying on a stale page). Its
 * webhook names the order in metadata: the shop links it to the order and
 * voids it at once. The order stays ended and its lines say cancelled. */
static void late_authorization(int cancel)
{
	struct client cl;
	struct attempt a;
	struct hresp *r;
	long long oid, amount, total;
	char st[32], intent[64], q[300];
	json_t *j;

	signup(&cl);
	put_one(&cl);
	amount = checkout_amount(&cl);
	/* A payment method the gateway does not know: the order fails with no
	 * intent at all, its holds kept for a retry. */
	checkout_attempt(&a, &cl, amount, "pm_not_a_token", fresh_key("late"));
	attempt_run(&a);
	ck_assert_msg(a.status == 402, "%ld %s", a.status, a.answer);
	j = json_loads(a.answer, 0, NULL);
	oid = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	free(a.answer);
	ck_assert_int_eq(sql_scalarf("SELECT payment_intent IS NULL FROM orders WHERE id = %lld", oid), 1);
	if (cancel) {
		char path[80];

		snprintf(path, sizeof(path), "/api/orders/%lld/cancel", oid);
		r = client_req(&cl, "POST", path, NULL, 1);
		ck_assert_msg(r->status == 200, "cancel: %ld %s", r->status, r->body);
		hresp_free(r);
		ck_assert_int_eq(sql_scalarf("SELECT status = 'cancelled' FROM orders WHERE id = %lld", oid), 1);
	} else {
		sql_execf("UPDATE orders SET hold_expires_at = NOW(3) - INTERVAL 1 SECOND WHERE id = %lld", oid);
		snprintf(q, sizeof(q), "SELECT status = 'expired' FROM orders WHERE id = %lld", oid);
		ck_assert_int_eq(wait_sql(1, 20, q), 1);
	}
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_lines WHERE order_id = %lld AND state <> 'cancelled'", oid), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM holds WHERE order_id = %lld AND state <> 'released'", oid), 0);

	/* The authorization that comes too late. */
	total = sql_scalarf("SELECT total FROM orders WHERE id = %lld", oid);
	paygate_authorize(total, oid, intent, sizeof(intent));
	/* Its webhook reaches the shop; the shop voids it. */
	for (int i = 0; i < 150; i++) {
		paygate_status(intent, st, sizeof(st));
		if (!strcmp(st, "canceled"))
			break;
		usleep(100000);
	}
	ck_assert_str_eq(st, "canceled");
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE id = %lld AND payment_intent = '%s' "
				     "AND status = '%s'", oid, intent, cancel ? "cancelled" : "expired"), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND to_status = 'confirmed'", oid), 0);
}

START_TEST(late_authorization_expired)
{
	late_authorization(0);
}
END_TEST

START_TEST(late_authorization_cancelled)
{
	late_authorization(1);
}
END_TEST

/* ---- 5: success notices out of order, twice, late ---- */

/* The shopper is declined, then pays; the gateway's notices arrive success
 * first, the older decline after it, the success again (a redelivery) and
 * once more under another event id: the order is confirmed once, one
 * confirmation mail, and the late decline changes nothing. */
START_TEST(success_notices_out_of_order)
{
	struct client cl;
	struct attempt a;
	char intent[64], body[700], path[160], email[160];
	long long oid;
	struct hresp *r;
	json_t *j;

	buyer_new(&cl, "race", email, sizeof(email));
	put_one(&cl);
	checkout_attempt(&a, &cl, checkout_amount(&cl), NULL, fresh_key("ooo"));
	attempt_run(&a);
	ck_assert_msg(a.status == 202, "%ld %s", a.status, a.answer);
	j = json_loads(a.answer, 0, NULL);
	oid = json_integer_value(json_object_get(j, "id"));
	snprintf(intent, sizeof(intent), "%s", json_string_value(json_object_get(json_object_get(j, "payment"), "id")));
	json_decref(j);
	free(a.answer);
	/* The gateway keeps its own notices; the test sends them, in its order. */
	paygate_faults("{\"webhooks_paused\": true}");
	snprintf(path, sizeof(path), "/v1/payment_intents/%s/confirm", intent);
	r = paygate_req("POST", path, "{\"payment_method\":\"pm_card_chargeDeclined\"}", NULL);
	ck_assert_int_eq(r->status, 402);
	hresp_free(r);
	r = paygate_req("POST", path, "{\"payment_method\":\"pm_card_visa\"}", NULL);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	/* Success first. */
	snprintf(body, sizeof(body), "{\"id\":\"evt_ok_%s\",\"type\":\"payment_intent.amount_capturable_updated\","
		 "\"data\":{\"object\":{\"id\":\"%s\",\"status\":\"requires_capture\",\"metadata\":{\"order_id\":\"%lld\"},"
		 "\"payment_method\":{\"brand\":\"visa\",\"last4\":\"4242\"}}}}", intent, intent, oid);
	ck_assert_int_eq(shop_webhook(body, 0), 200);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'confirmed' FROM orders WHERE id = %lld", oid), 1);
	/* The older decline, late. */
	snprintf(body, sizeof(body), "{\"id\":\"evt_decl_%s\",\"type\":\"payment_intent.payment_failed\","
		 "\"data\":{\"object\":{\"id\":\"%s\",\"metadata\":{\"order_id\":\"%lld\"},"
		 "\"last_payment_error\":{\"code\":\"card_declined\",\"decline_code\":\"generic_decline\"}}}}",
		 intent, intent, oid);
	ck_assert_int_eq(shop_webhook(body, 0), 200);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'confirmed' AND payment_error IS NULL FROM orders WHERE id = %lld", oid), 1);
	/* The success again, and under another id. */
	snprintf(body, sizeof(body), "{\"id\":\"evt_ok_%s\",\"type\":\"payment_intent.amount_capturable_updated\","
		 "\"data\":{\"object\":{\"id\":\"%s\",\"status\":\"requires_capture\",\"metadata\":{\"order_id\":\"%lld\"},"
		 "\"payment_method\":{\"brand\":\"visa\",\"last4\":\"4242\"}}}}", intent, intent, oid);
	ck_assert_int_eq(shop_webhook(body, 0), 200);
	snprintf(body, sizeof(body), "{\"id\":\"evt_ok2_%s\",\"type\":\"payment_intent.amount_capturable_updated\","
		 "\"data\":{\"object\":{\"id\":\"%s\",\"status\":\"requires_capture\",\"metadata\":{\"order_id\":\"%lld\"},"
		 "\"payment_method\":{\"brand\":\"visa\",\"last4\":\"4242\"}}}}", intent, intent, oid);
	ck_assert_int_eq(shop_webhook(body, 0), 200);
	/* And the gateway's own notices, whenever they come. */
	paygate_faults("{}");
	for (int i = 0; i < 100 && sql_scalarf("SELECT COUNT(*) FROM payment_events WHERE payment_intent = '%s' "
					       "AND event_id NOT LIKE 'evt_ok%%' AND event_id NOT LIKE 'evt_decl%%'", intent) < 2; i++)
		usleep(100000);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'confirmed' FROM orders WHERE id = %lld", oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND to_status = 'confirmed'", oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM holds WHERE order_id = %lld AND state = 'committed'", oid), 1);
	/* From the notify consumer (app/notify), a moment after; and only one. */
	for (int i = 0; i < 150 && sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s' AND subject LIKE '%%is confirmed'",
					       email) < 1; i++)
		usleep(100 * 1000);
	usleep(500 * 1000);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s' AND subject LIKE '%%is confirmed'",
				     email), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("payrace");
	TCase *t = tcase_create("payrace");

	harness_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, retry_during_slow_payment);
	tcase_add_test(t, parallel_pay_one_key);
	tcase_add_test(t, late_authorization_expired);
	tcase_add_test(t, late_authorization_cancelled);
	tcase_add_test(t, success_notices_out_of_order);
	tcase_add_test(t, slower_than_the_adapter);
	tcase_add_test(t, workers_killed_while_gateway_slow);
	suite_add_tcase(s, t);
	return run_suite(s);
}
