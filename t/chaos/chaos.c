/* t/chaos: many buyers on few units while everything under them fails.
 *
 * Buyers (threads) check out one unit each with an Idempotency-Key and retry
 * as a careful client does (same key, backing off on 503 and "being placed")
 * against a gateway slowed down, while a chaos thread, at random: kills
 * shopd workers and the jobs process with SIGKILL, kills MariaDB with SIGKILL
 * and starts it again, flushes Redis or kills and restarts it, kills the
 * gateway and restarts it, and makes the gateway drop its answers after
 * acting. Then everything comes back, the buyers finish, the reconciler
 * runs, and the rules are checked in SQL and against the gateway's own
 * records:
 *   - no unit sold twice, and stock conserved per SKU;
 *   - every confirmed order has exactly one authorization, of its total;
 *   - no authorization without a live order;
 *   - no saga unfinished;
 *   - every answer a client got agrees with the final state of its order.
 *
 * CHAOS=short (make test; about a minute) or CHAOS=full (make chaos):
 * buyers, units, duration and the mix of faults. Runs against the stack
 * that scripts/run-tests started (SHOP_TEST_BASE, SHOP_HOME, SHOP_ROOT). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <sodium.h>
#include "../http/harness.h"

#define PW "correct horse battery"

struct plan {
	const char *name;
	int buyers, units, seconds, parallel;
	int delay_ms;		/* the gateway's slowness */
	int db_kills, redis_kills, gateway_kills;	/* over the whole run */
};
static const struct plan plans[] = {
	{ "short", 40, 12, 35, 12, 400, 1, 1, 1 },
	{ "full", 300, 50, 240, 32, 700, 4, 4, 4 },
};
static const struct plan *pl;

struct buyer {
	struct client cl;
	char key[80], body[600];
	long long uid;
	long status;		/* the last answer this client got */
	char *answer;
	int attempts;
};

static char sku[64];
static long long sku_id, base_units, base_committed;
static atomic_int chaos_on, kills_worker, kills_db, kills_redis, flushes, kills_gw, drops;

/* ---- the stack's processes ---- */

static long pid_of(const char *file)
{
	char path[600];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/run/%s", getenv("SHOP_HOME"), file);
	if ((f = fopen(path, "r"))) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1200];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* SIGKILL to one random child of the shopd master (a worker or the jobs
 * process; the master forks a new one). */
static void kill_worker(void)
{
	long master = pid_of("shopd.pid");

	if (master > 0 && !sh("pgrep -P %ld | shuf -n 1 | xargs -r kill -KILL", master))
		kills_worker++;
}

static void kill_and_restart(const char *pidfile, const char *what, atomic_int *counter)
{
	long pid = pid_of(pidfile);

	if (pid <= 0)
		return;
	kill((pid_t)pid, SIGKILL);
	(*counter)++;
	usleep((useconds_t)(300000 + randombytes_uniform(1200000)));
	for (int i = 0; i < 5 && stack_cmd(what); i++)
		sleep(1);
}

static void *chaos(void *arg)
{
	time_t end = time(NULL) + pl->seconds;
	int db_left = pl->db_kills, redis_left = pl->redis_kills, gw_left = pl->gateway_kills;

	(void)arg;
	while (atomic_load(&chaos_on) && time(NULL) < end) {
		unsigned r = randombytes_uniform(100);

		if (r < 55) {
			kill_worker();
		} else if (r < 65 && db_left) {
			db_left--;
			kill_and_restart("mysqld.pid", "start-db", &kills_db);
		} else if (r < 72 && redis_left) {
			redis_left--;
			kill_and_restart("redis.pid", "start-redis", &kills_redis);
		} else if (r < 80) {
			redis_cmd("FLUSHALL");
			flushes++;
		} else if (r < 86 && gw_left) {
			gw_left--;
			kill_and_restart("paygate.pid", "start-paygate", &kills_gw);
			paygate_faults("{\"delay_ms\": 400}");	/* the restart forgot it */
		} else {
			/* The gateway acts, then the answer is lost. */
			char f[80];

			snprintf(f, sizeof(f), "{\"delay_ms\": %d, \"drop_response\": %u}", pl->delay_ms,
				 1 + randombytes_uniform(3));
			paygate_faults(f);
			drops++;
		}
		usleep((useconds_t)(500000 + randombytes_uniform(1000000)));
	}
	return NULL;
}

/* ---- buyers ---- */

static struct hresp *checkout(struct buyer *b)
{
	return post_idem(&b->cl, "/api/checkout", b->body, b->key, NULL);
}

/* "Ask again" answers: no final word on this key yet (401/403: Redis lost
 * the session; the buyer signs in again and asks again). */
static int unsettled(long st, const char *body)
{
	return st == 0 || st == 401 || st == 403 || st == 502 || st == 503 || st == 504 || st == 500 ||
	       (st == 409 && strstr(body, "being placed"));
}

/* Retries until a final answer or the deadline. A flushed Redis ends the
 * session: the buyer signs in again (same account, same key). */
static void buy_until(struct buyer *b, time_t deadline)
{
	do {
		struct hresp *r = checkout(b);

		b->attempts++;
		b->status = r->status;
		free(b->answer);
		b->answer = strdup(r->body ? r->body : "");
		hresp_free(r);
		if (b->status == 401 || b->status == 403) {
			/* Redis was flushed: the session is gone, the account,
			 * its cart and the saga are not. Sign in again. */
			char email[128];

			snprintf(email, sizeof(email), "chaos-%lld@example.com", b->uid);
			b->cl.cookie[0] = b->cl.csrf[0] = '\0';	/* both died with the session */
			client_signin(&b->cl, email, PW);
			usleep(200000);
			continue;
		}
		if (!unsettled(b->status, b->answer))
			return;
		usleep((useconds_t)(300000 + randombytes_uniform(700000)));
	} while (time(NULL) < deadline);
}

static struct buyer *buyers;
static atomic_int next_buyer;
static struct timespec t_start;

static void *buyer_thread(void *arg)
{
	time_t deadline = *(time_t *)arg;
	int i;

	while ((i = atomic_fetch_add(&next_buyer, 1)) < pl->buyers) {
		/* Buyers arrive spread over the first two thirds of the chaos
		 * window, not all at once. */
		struct timespec at = t_start;
		long long ns = (long long)pl->seconds * 2000000000LL / 3 * i / pl->buyers;

		at.tv_sec += (time_t)(ns / 1000000000LL);
		at.tv_nsec += (long)(ns % 1000000000LL);
		if (at.tv_nsec >= 1000000000L) {
			at.tv_sec++;
			at.tv_nsec -= 1000000000L;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
		buy_until(&buyers[i], deadline);
	}
	return NULL;
}

/* ---- setup ---- */

static void prepare(void)
{
	/* A SKU of its own, set to exactly `units` through the inventory
	 * module (a stock movement, as a seller would). */
	sku_id = sku_pick("TOP-", 0, sku, sizeof(sku));
	set_stock_id(sku_id, 1, pl->units, "chaos: the units to fight over");
	set_stock_id(sku_id, 2, 0, "chaos: the units to fight over");
	ck_assert_int_eq(sql_scalarf("SELECT SUM(available) FROM inventory WHERE sku_id = %lld", sku_id), pl->units);
	/* Units of earlier runs' orders stay theirs. */
	base_units = sql_scalarf("SELECT SUM(available + reserved + committed) FROM inventory WHERE sku_id = %lld", sku_id);
	base_committed = sql_scalarf("SELECT SUM(committed) FROM inventory WHERE sku_id = %lld", sku_id);

	buyers = calloc((size_t)pl->buyers, sizeof(*buyers));
	ck_assert_ptr_nonnull(buyers);
	for (int i = 0; i < pl->buyers; i++) {
		struct buyer *b = &buyers[i];
		char email[128];
		long long amount;

		if (i % 8 == 0)
			clear_ip_throttles();
		snprintf(email, sizeof(email), "chaos-pending-%d-%u@example.com", i, randombytes_random());
		ck_assert_int_eq(client_signup(&b->cl, "Cass Chaos", email, PW), 0);
		b->uid = sql_scalarf("SELECT id FROM users WHERE email = '%s'", email);
		/* A predictable address to sign in again after a flush. */
		sql_execf("UPDATE users SET email = 'chaos-%lld@example.com' WHERE id = %lld", b->uid, b->uid);
		cart_put(&b->cl, sku, 1);
		amount = checkout_amount(&b->cl);
		snprintf(b->body, sizeof(b->body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
			 "\"paymentMethod\":\"%s\"}", amount, i % 10 == 9 ? "pm_card_chargeDeclined" : "pm_card_visa");
		snprintf(b->key, sizeof(b->key), "chaos-%d-%u", i, randombytes_random());
	}
}

/* ---- the gateway's records ---- */

/* Every intent at the gateway that names an order of this run, as
 * (order id, status, amount, id), paging through the list. */
struct gw_intent {
	long long order_id, amount;
	char status[32], id[40];
};

static struct gw_intent *gateway_intents(long long min_order, size_t *n)
{
	struct gw_intent *out = NULL;
	char after[64] = "", path[200];
	size_t cap = 0;
	int more = 1;

	*n = 0;
	while (more) {
		struct hresp *r;
		json_t *j, *pi;
		size_t i;

		snprintf(path, sizeof(path), "/v1/payment_intents?limit=100%s%s", *after ? "&starting_after=" : "", after);
		r = paygate_req("GET", path, NULL, NULL);
		ck_assert_msg(r->status == 200, "list: %ld %s", r->status, r->body);
		j = hresp_json(r);
		more = json_is_true(json_object_get(j, "has_more"));
		json_array_foreach(json_object_get(j, "data"), i, pi) {
			const char *oid = json_string_value(json_object_get(json_object_get(pi, "metadata"), "order_id"));

			snprintf(after, sizeof(after), "%s", json_string_value(json_object_get(pi, "id")));
			if (!oid || atoll(oid) < min_order)
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 64;
				out = realloc(out, cap * sizeof(*out));
				ck_assert_ptr_nonnull(out);
			}
			out[*n].order_id = atoll(oid);
			out[*n].amount = json_integer_value(json_object_get(pi, "amount"));
			snprintf(out[*n].status, sizeof(out[*n].status), "%s", json_string_value(json_object_get(pi, "status")));
			snprintf(out[*n].id, sizeof(out[*n].id), "%s", after);
			(*n)++;
		}
		json_decref(j);
		hresp_free(r);
	}
	return out;
}

/* ---- the run ---- */

START_TEST(many_buyers_few_units_everything_failing)
{
	pthread_t chaos_t, *bt;
	time_t deadline;
	long long first_order, confirmed, sold, held, units_now, moved, unfinished;
	size_t nint = 0;
	struct gw_intent *ints;
	int n201 = 0, n402 = 0, n409 = 0, nother = 0;
	char env[1400];

	prepare();
	first_order = sql_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM orders");
	{
		char f[64];

		snprintf(f, sizeof(f), "{\"delay_ms\": %d}", pl->delay_ms);
		paygate_faults(f);
	}
	bt = calloc((size_t)pl->parallel, sizeof(*bt));
	deadline = time(NULL) + pl->seconds + 60;
	atomic_store(&chaos_on, 1);
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	ck_assert_int_eq(pthread_create(&chaos_t, NULL, chaos, NULL), 0);
	for (int i = 0; i < pl->parallel; i++)
		ck_assert_int_eq(pthread_create(&bt[i], NULL, buyer_thread, &deadline), 0);
	pthread_join(chaos_t, NULL);
	atomic_store(&chaos_on, 0);

	/* Everything back; the gateway honest again. */
	ck_assert_int_eq(stack_cmd("start"), 0);
	paygate_faults("{}");
	for (int i = 0; i < pl->parallel; i++)
		pthread_join(bt[i], NULL);
	free(bt);
	/* Clients whose last word was "ask again" ask again now, until every
	 * saga has settled (resumptions wait PAYMENT_SETTLE_S). */
	deadline = time(NULL) + 90;
	for (int i = 0; i < pl->buyers; i++)
		if (unsettled(buyers[i].status, buyers[i].answer ? buyers[i].answer : ""))
			buy_until(&buyers[i], deadline);
	for (int i = 0; i < 60 && sql_scalarf("SELECT COUNT(*) FROM checkouts WHERE idem_key LIKE 'chaos-%%' "
					      "AND state IN ('reserved', 'authorizing')"); i++)
		sleep(1);
	/* The reconciler settles what no client could (with no grace: nothing
	 * is in flight any more). */
	snprintf(env, sizeof(env), "%s", paygate_env());
	ck_assert_int_le(shopctl_run(env, NULL, "reconcile payments --grace 0"), 1);

	fprintf(stderr, "chaos (%s): %d buyers for %d units over %d s: %d worker/jobs kills, %d MariaDB kills, "
		"%d Redis kills, %d Redis flushes, %d gateway kills, %d dropped-answer rounds\n",
		pl->name, pl->buyers, pl->units, pl->seconds, atomic_load(&kills_worker), atomic_load(&kills_db),
		atomic_load(&kills_redis), atomic_load(&flushes), atomic_load(&kills_gw), atomic_load(&drops));

	/* No saga unfinished. */
	unfinished = sql_scalar("SELECT COUNT(*) FROM checkouts WHERE idem_key LIKE 'chaos-%' "
				"AND state IN ('reserved', 'authorizing')");
	ck_assert_msg(unfinished == 0, "%lld sagas unfinished", unfinished);

	/* No unit sold twice; stock conserved. */
	confirmed = sql_scalarf("SELECT COUNT(*) FROM orders o JOIN order_lines l ON l.order_id = o.id "
				"WHERE l.sku_id = %lld AND o.id >= %lld AND o.status = 'confirmed'", sku_id, first_order);
	sold = sql_scalarf("SELECT COALESCE(SUM(l.quantity), 0) FROM orders o JOIN order_lines l ON l.order_id = o.id "
			   "WHERE l.sku_id = %lld AND o.id >= %lld AND o.status IN ('confirmed', 'fulfilling', 'shipped', "
			   "'delivered')", sku_id, first_order);
	held = sql_scalarf("SELECT COALESCE(SUM(h.quantity), 0) FROM holds h WHERE h.sku_id = %lld AND h.order_id >= %lld "
			   "AND h.state = 'held'", sku_id, first_order);
	units_now = sql_scalarf("SELECT SUM(available + reserved + committed) FROM inventory WHERE sku_id = %lld", sku_id);
	moved = sql_scalarf("SELECT SUM(delta) FROM stock_movements WHERE sku_id = %lld", sku_id);
	ck_assert_msg(sold + held <= pl->units, "sold %lld + held %lld of %d units", sold, held, pl->units);
	ck_assert_int_eq(units_now, base_units);	/* units only changed hands */
	/* ARCHIVE: with the shipped holds of archived orders. */
	ck_assert_int_eq(moved, units_now + sql_scalarf("SELECT COALESCE(SUM(quantity), 0) FROM (SELECT quantity FROM holds "
							"WHERE sku_id = %lld AND state = 'shipped' UNION ALL SELECT quantity "
							"FROM holds_archive WHERE sku_id = %lld AND state = 'shipped') h",
							sku_id, sku_id));
	ck_assert_int_eq(sql_scalarf("SELECT SUM(committed) FROM inventory WHERE sku_id = %lld", sku_id) - base_committed, sold);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM inventory i WHERE i.reserved <> (SELECT COALESCE(SUM(h.quantity), 0) "
				    "FROM holds h WHERE h.sku_id = i.sku_id AND h.warehouse_id = i.warehouse_id AND h.state = 'held' AND h.sale_id IS NULL) "
				    "OR i.committed <> (SELECT COALESCE(SUM(h.quantity), 0) FROM holds h WHERE h.sku_id = i.sku_id "
				    "AND h.warehouse_id = i.warehouse_id AND h.state = 'committed' AND h.sale_id IS NULL)"), 0);

	/* Every confirmed order: exactly one authorization, of its total, the
	 * one it records; and no authorization without a live order. */
	ints = gateway_intents(first_order, &nint);
	for (size_t i = 0; i < nint; i++) {
		const char *st = ints[i].status;

		if (strcmp(st, "requires_capture") && strcmp(st, "succeeded"))
			continue;
		ck_assert_msg(sql_scalarf("SELECT COUNT(*) FROM orders WHERE id = %lld AND payment_intent = '%s' AND total = %lld "
					  "AND status IN ('confirmed', 'fulfilling', 'shipped', 'delivered')",
					  ints[i].order_id, ints[i].id, ints[i].amount) == 1,
			      "authorization %s (%s) for order %lld has no live order that owns it", ints[i].id, st,
			      ints[i].order_id);
	}
	{
		long long orders_paid = sql_scalarf("SELECT COUNT(*) FROM orders WHERE id >= %lld AND status = 'confirmed'",
						    first_order);
		long long held_auth = 0;

		for (size_t i = 0; i < nint; i++)
			held_auth += !strcmp(ints[i].status, "requires_capture");
		ck_assert_msg(held_auth == orders_paid, "%lld authorizations held, %lld confirmed orders", held_auth,
			      orders_paid);
	}
	free(ints);

	/* Every answer agrees with the final state of its order. */
	for (int i = 0; i < pl->buyers; i++) {
		struct buyer *b = &buyers[i];
		long long oid = sql_scalarf("SELECT COALESCE(order_id, 0) FROM checkouts WHERE user_id = %lld AND idem_key = '%s'",
					    b->uid, b->key);
		json_t *j = json_loads(b->answer ? b->answer : "", 0, NULL);

		if (b->status == 201) {
			n201++;
			ck_assert_int_eq(json_integer_value(json_object_get(j, "id")), oid);
			ck_assert_msg(sql_scalarf("SELECT status = 'confirmed' FROM orders WHERE id = %lld", oid) == 1,
				      "buyer %d was told 201, order %lld is not confirmed", i, oid);
		} else if (b->status == 402) {
			n402++;
			ck_assert_msg(sql_scalarf("SELECT status IN ('payment_failed', 'expired', 'cancelled') FROM orders "
						  "WHERE id = %lld", oid) == 1, "buyer %d was told 402, order %lld", i, oid);
			ck_assert_msg(i % 10 == 9, "buyer %d had a good card and was told 402: %s", i, b->answer);
		} else if (b->status == 409) {
			n409++;
			/* Sold out: while holding (the race for the last units) or
			 * already when the cart was checked. */
			ck_assert_msg(strstr(b->answer, "sold out") || strstr(b->answer, "not available"),
				      "buyer %d: 409 %s", i, b->answer);
			ck_assert_msg(oid == 0, "buyer %d was told sold out, yet has order %lld", i, oid);
		} else {
			nother++;
			fprintf(stderr, "buyer %d: no final answer after %d attempts: %ld %.200s\n", i, b->attempts,
				b->status, b->answer ? b->answer : "");
		}
		json_decref(j);
		free(b->answer);
	}
	fprintf(stderr, "chaos (%s): answers: %d confirmed (201), %d declined (402), %d sold out (409), %d unsettled; "
		"%lld units sold of %d\n", pl->name, n201, n402, n409, nother, sold, pl->units);
	ck_assert_int_eq(nother, 0);
	ck_assert_int_eq(n201, confirmed);
	ck_assert_int_gt(n201, 0);
	free(buyers);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("chaos");
	TCase *t = tcase_create("chaos");
	const char *mode = getenv("CHAOS");

	pl = &plans[mode && !strcmp(mode, "full") ? 1 : 0];
	harness_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_set_timeout(t, pl->seconds + 600);
	tcase_add_test(t, many_buyers_few_units_everything_failing);
	suite_add_tcase(s, t);
	return run_suite(s);
}
