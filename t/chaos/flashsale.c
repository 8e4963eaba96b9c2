/* t/chaos/flashsale: a flash sale while the processes under it die
 * (issue 18 part 5; docs/testing.md).
 *
 * A seller's new item with exactly `units` units goes on sale (POST
 * /api/sales, all of them, one per customer) two seconds ahead; guest
 * buyers (threads) arrive over the first third of the chaos window and do
 * what t/load/flashsale_load does: a session, a ticket in the waiting room,
 * polling it (honouring waitSeconds), once admitted the cart, the quote and
 * the order with an Idempotency-Key, asking again as a careful client does
 * (same key on 503, 429, 409 "being placed" or a lost connection; a new
 * session when Redis lost theirs; joining again when the room lost the
 * ticket); they arrive over most of the window and there are units for
 * about 60% of them, so that the units sell while the faults happen.
 * Meanwhile a chaos thread kills with SIGKILL a shopd worker or the
 * jobs process (which opens the sale and admits) every 1.5 to 3 s, the jobs
 * process at least every third time, restarts Redis once (kill -9: the
 * queue, the admissions, the guests' sessions and carts are lost) and
 * MariaDB once (kill -9). Then everything comes back, the buyers finish,
 * the reconciler settles what no client could, and:
 *   - no saga unfinished;
 *   - units sold <= units, each in one confirmed order, and every unsold
 *     unit back on sale (in the sale's shards or on the shelf), none held;
 *   - no unit sold twice: committed units (shelf and shards) = units sold,
 *     each shard's reserved and committed = its holds', movements conserved;
 *   - every authorization at the gateway for an order of this run belongs to
 *     a confirmed order (its intent, its total) or was voided, and there
 *     are as many held as confirmed orders;
 *   - every buyer got a final answer (admission recovered after Redis), and
 *     each answer agrees with the final state: 201 is a confirmed order, sold
 *     out is no order.
 *
 * CHAOS=short (make test, about 30 to 45 s: 56 units, 96 buyers) or
 * CHAOS=full (make chaos-flashsale: 500 units, 1,000 buyers, 3 minutes). Runs against the stack that
 * scripts/run-tests started (SHOP_TEST_BASE, SHOP_HOME, SHOP_ROOT). */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <sodium.h>
#include "../http/harness.h"

/* Buyers arrive evenly over the first 80% of the window, and there are
 * units for about 60% of them, so the units sell while the faults happen:
 * Redis goes at 20% of the window, MariaDB at 35%. */
struct plan {
	const char *name;
	int units, buyers, parallel, seconds;
	int settle;		/* seconds after the chaos for the buyers to finish */
};
static const struct plan plans[] = {
	{ "short", 56, 96, 24, 24, 40 },
	{ "full", 500, 1000, 64, 180, 180 },
};
static const struct plan *pl;

enum answer { A_NONE, A_ORDER, A_SOLDOUT, A_ENDED, A_LIMIT, A_OTHER };

struct buyer {
	int idx;
	char sid[160], csrf[160], adm[600], key[80], email[96];
	int key_n, attempts;
	int pending;		/* an order request of this buyer's got no final word */
	long long amount, order_id;
	enum answer answer;
	long status;
	char last[240];
};

static char run_tag[32], sku[80];
static long long sale_id, sku_id, first_order;
static long long base_committed, base_reserved;
static atomic_int chaos_on, kills_worker, kills_jobs, kills_db, kills_redis;
static struct buyer *buyers;
static atomic_int next_buyer;
static struct timespec t_start;
/* FLASH_NO_ROOM=1 (a developer's aid, not for make test): no sale and no
 * waiting room, the same buyers and chaos on a plain item, to check the
 * machinery without the sales API. */
static int no_room;

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

/* The children of the shopd master (workers and the jobs process). */
static int children(long master, long *out, int max)
{
	char path[64];
	FILE *f;
	int n = 0;
	long p;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", master, master);
	if ((f = fopen(path, "r"))) {
		while (n < max && fscanf(f, "%ld", &p) == 1)
			out[n++] = p;
		fclose(f);
	}
	if (n == 0) {
		/* A kernel without .../children: ask pgrep. */
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "pgrep -P %ld", master);
		if ((f = popen(cmd, "r"))) {
			while (n < max && fscanf(f, "%ld", &p) == 1)
				out[n++] = p;
			pclose(f);
		}
	}
	return n;
}

static int has_link(long pid, const char *link)
{
	char dir[64], path[400], target[256];
	struct dirent *d;
	DIR *dh;
	int found = 0;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
	if (!(dh = opendir(dir)))
		return 0;
	while (!found && (d = readdir(dh))) {
		ssize_t k;

		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if ((k = readlink(path, target, sizeof(target) - 1)) > 0) {
			target[k] = '\0';
			found = !strcmp(target, link);
		}
	}
	closedir(dh);
	return found;
}

/* The jobs process: the one child without the listening socket the master
 * and the workers share (app/shopd.c closes it in the jobs process). 0
 * when it cannot be told. */
static long jobs_pid(long master, const long *kids, int n)
{
	char dir[64], path[400], target[256];
	struct dirent *d;
	DIR *dh;
	long jobs = 0;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", master);
	if (n < 2 || !(dh = opendir(dir)))
		return 0;
	while (!jobs && (d = readdir(dh))) {
		ssize_t k;
		int lacking = 0;
		long who = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if ((k = readlink(path, target, sizeof(target) - 1)) <= 0)
			continue;
		target[k] = '\0';
		if (strncmp(target, "socket:", 7))
			continue;
		for (int i = 0; i < n; i++)
			if (!has_link(kids[i], target)) {
				lacking++;
				who = kids[i];
			}
		if (lacking == 1)
			jobs = who;
	}
	closedir(dh);
	return jobs;
}

/* SIGKILL to the jobs process (want_jobs) or a worker; the master forks a
 * new one. */
static void kill_child(int want_jobs)
{
	long master = pid_of("shopd.pid"), kids[64], jobs, victim = 0;
	int n;

	if (master <= 0 || (n = children(master, kids, 64)) == 0)
		return;
	jobs = jobs_pid(master, kids, n);
	if (want_jobs && jobs) {
		victim = jobs;
	} else {
		for (int tries = 0; tries < 8 && !victim; tries++) {
			long p = kids[randombytes_uniform((uint32_t)n)];

			if (p != jobs)
				victim = p;
		}
	}
	if (victim > 0 && kill((pid_t)victim, SIGKILL) == 0) {
		if (victim == jobs)
			kills_jobs++;
		else
			kills_worker++;
	}
}

static void kill_and_restart(const char *pidfile, const char *what, atomic_int *counter)
{
	long pid = pid_of(pidfile);

	if (pid <= 0)
		return;
	kill((pid_t)pid, SIGKILL);
	(*counter)++;
	usleep((useconds_t)(300000 + randombytes_uniform(700000)));
	for (int i = 0; i < 5 && stack_cmd(what); i++)
		sleep(1);
}

static double since_start(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t_start.tv_sec) + (double)(t.tv_nsec - t_start.tv_nsec) / 1e9;
}

static void *chaos(void *arg)
{
	int redis_done = 0, db_done = 0, round = 0;

	(void)arg;
	while (atomic_load(&chaos_on) && since_start() < pl->seconds) {
		double t = since_start();

		if (!redis_done && t > pl->seconds * 0.2) {
			redis_done = 1;
			kill_and_restart("redis.pid", "start-redis", &kills_redis);
		} else if (!db_done && t > pl->seconds * 0.35) {
			db_done = 1;
			kill_and_restart("mysqld.pid", "start-db", &kills_db);
		} else {
			kill_child(round++ % 3 == 0);
		}
		usleep((useconds_t)(1500000 + randombytes_uniform(1500000)));
	}
	return NULL;
}

/* ---- a guest buyer ---- */

/* "name=value" of the Set-Cookie lines of the answer into out ("" when
 * cleared); untouched when not set. */
static void take_cookie(const struct hresp *r, const char *name, char *out, size_t n)
{
	const char *h = r->headers;
	size_t nl = strlen(name);

	while (h && *h) {
		const char *eol = strchr(h, '\n');

		if (!strncasecmp(h, "Set-Cookie:", 11)) {
			const char *v = h + 11;

			while (*v == ' ')
				v++;
			if (!strncmp(v, name, nl) && v[nl] == '=') {
				v += nl + 1;
				snprintf(out, n, "%.*s", (int)strcspn(v, ";\r\n"), v);
			}
		}
		h = eol ? eol + 1 : NULL;
	}
}

static struct hresp *req(struct buyer *b, const char *method, const char *path, const char *body, int html)
{
	char cookie[900], csrf[200], adm[700], idem[120];
	const char *h[8];
	int n = 0;
	struct hresp *r;

	h[n++] = html ? "Accept: text/html" : "Accept: application/json";
	if (body)
		h[n++] = "Content-Type: application/json";
	if (b->sid[0] || b->adm[0]) {
		snprintf(cookie, sizeof(cookie), "Cookie: %s%s%s%s%s", b->sid[0] ? "sid=" : "", b->sid,
			 b->sid[0] && b->adm[0] ? "; " : "", b->adm[0] ? "adm=" : "", b->adm);
		h[n++] = cookie;
	}
	if (strcmp(method, "GET") && b->csrf[0]) {
		snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", b->csrf);
		h[n++] = csrf;
	}
	if (b->adm[0]) {
		snprintf(adm, sizeof(adm), "Shop-Admission: %s", b->adm);
		h[n++] = adm;
	}
	if (!strcmp(path, "/api/checkout")) {
		snprintf(idem, sizeof(idem), "Idempotency-Key: %s", b->key);
		h[n++] = idem;
	}
	h[n] = NULL;
	r = http(method, path, body, h);
	take_cookie(r, "sid", b->sid, sizeof(b->sid));
	take_cookie(r, "adm", b->adm, sizeof(b->adm));
	b->status = r->status;
	snprintf(b->last, sizeof(b->last), "%s %s: %ld %.180s", method, path, r->status, r->body ? r->body : "");
	return r;
}

static int retry_later(long st)
{
	return st == 0 || st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

static int please_wait(const struct hresp *r)
{
	return r->status == 403 && r->body && (strstr(r->body, "wait") || strstr(r->body, "Wait") ||
					       strstr(r->body, "turn"));
}

static void nap(double lo, double hi)
{
	usleep((useconds_t)((lo + (hi - lo) * randombytes_uniform(1000) / 1000.0) * 1e6));
}

static const char *room_status(json_t *j)
{
	const char *s = json_string_value(json_object_get(j, "status"));

	return s ? s : "";
}

/* Through the room to an admission: 1 admitted (b->adm set), 0 a final
 * answer (sold out, ended), -1 ask again (the session is gone, a fault). */
static int admission(struct buyer *b, time_t deadline)
{
	char path[120];
	int joined = 0;

	if (no_room)
		return 1;
	while (time(NULL) < deadline) {
		struct hresp *r;
		json_t *j;
		const char *st;
		double wait;

		if (!joined) {
			snprintf(path, sizeof(path), "/api/sales/%lld/tickets", sale_id);
			r = req(b, "POST", path, "{}", 0);
		} else {
			snprintf(path, sizeof(path), "/api/sales/%lld/tickets/mine", sale_id);
			r = req(b, "GET", path, NULL, 0);
		}
		if (r->status == 401 || (r->status == 403 && !please_wait(r))) {
			hresp_free(r);
			return -1;	/* a new session */
		}
		if (joined && r->status == 404) {
			joined = 0;	/* the room lost the ticket: join again */
			hresp_free(r);
			continue;
		}
		if (r->status != 200 && r->status != 201) {
			hresp_free(r);
			nap(0.5, 1.5);
			continue;
		}
		j = hresp_json(r);
		st = room_status(j);
		wait = json_number_value(json_object_get(j, "waitSeconds"));
		joined = 1;
		if (!strcmp(st, "admitted")) {
			const char *tok = json_string_value(json_object_get(j, "admission"));

			if (tok && *tok)
				snprintf(b->adm, sizeof(b->adm), "%s", tok);
			if (b->adm[0]) {
				json_decref(j);
				hresp_free(r);
				return 1;
			}
			wait = 0.2;	/* the join said so; the poll hands the token */
		} else if (!strcmp(st, "soldout") || !strcmp(st, "ended")) {
			b->answer = !strcmp(st, "soldout") ? A_SOLDOUT : A_ENDED;
			json_decref(j);
			hresp_free(r);
			return 0;
		}
		json_decref(j);
		hresp_free(r);
		nap(wait < 0.5 ? 0.5 : wait > 2 ? 2 : wait, wait < 0.5 ? 0.6 : wait > 2 ? 2.2 : wait + 0.2);
	}
	return -1;
}

static void new_key(struct buyer *b)
{
	snprintf(b->key, sizeof(b->key), "fchaos-%s-%d-%d", run_tag, b->idx, b->key_n++);
}

/* Until a final answer or the deadline. */
static void buy(struct buyer *b, time_t deadline)
{
	char body[1024];

	while (b->answer == A_NONE && time(NULL) < deadline) {
		struct hresp *r;
		json_t *j;
		int a;

		b->attempts++;
		if (!b->sid[0] || !b->csrf[0]) {
			r = req(b, "GET", "/api/session", NULL, 0);
			j = hresp_json(r);
			if (r->status == 200 && json_string_value(json_object_get(j, "csrfToken")))
				snprintf(b->csrf, sizeof(b->csrf), "%s", json_string_value(json_object_get(j, "csrfToken")));
			else
				b->csrf[0] = '\0';
			json_decref(j);
			hresp_free(r);
			if (!b->sid[0] || !b->csrf[0]) {
				nap(0.3, 1);
				continue;
			}
		}
		if (!b->adm[0] || no_room) {
			a = admission(b, deadline);
			if (a == 0)
				break;
			if (a < 0) {
				b->sid[0] = b->csrf[0] = b->adm[0] = '\0';
				continue;
			}
		}
		/* The cart: one unit. */
		snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":1}", sku);
		r = req(b, "PATCH", "/api/cart", body, 0);
		if (r->status != 200) {
			long st = r->status;

			if (please_wait(r))
				b->adm[0] = '\0';
			else if (st == 401 || st == 403)
				b->sid[0] = b->csrf[0] = b->adm[0] = '\0';
			else if (st == 409 || st == 422)
				b->answer = A_SOLDOUT;
			hresp_free(r);
			if (retry_later(st))
				nap(0.3, 1);
			continue;
		}
		hresp_free(r);
		/* The quote, then the order (the same key while the body is the
		 * same: a replay gets the first answer). */
		snprintf(body, sizeof(body), "{\"email\":\"%s\"," TEST_ADDR ",\"shippingMethod\":\"standard\"}", b->email);
		r = req(b, "POST", "/api/checkout/quote", body, 0);
		j = hresp_json(r);
		if (r->status == 200 && json_integer_value(json_object_get(j, "amount")) > 0) {
			long long amount = json_integer_value(json_object_get(j, "amount"));

			if (amount != b->amount || !b->key[0])
				new_key(b);
			b->amount = amount;
		}
		json_decref(j);
		if (r->status != 200) {
			long st = r->status;

			if (please_wait(r))
				b->adm[0] = '\0';
			else if (st == 401 || st == 403)
				b->sid[0] = b->csrf[0] = b->adm[0] = '\0';
			else if ((st == 409 || st == 422) && !strstr(r->body ? r->body : "", "empty"))
				b->answer = A_SOLDOUT;
			hresp_free(r);
			nap(0.2, 0.8);
			continue;
		}
		hresp_free(r);
		snprintf(body, sizeof(body), "{\"email\":\"%s\"," TEST_ADDR ",\"shippingMethod\":\"standard\","
			 "\"amount\":%lld,\"paymentMethod\":\"pm_card_visa\"}", b->email, b->amount);
		for (;;) {
			const char *text;

			r = req(b, "POST", "/api/checkout", body, 0);
			text = r->body ? r->body : "";
			j = hresp_json(r);
			if (r->status != 401 && r->status != 403 && !retry_later(r->status) &&
			    !(r->status == 409 && strstr(text, "being placed")))
				b->pending = 0;	/* this key has its answer */
			if (r->status == 201) {
				b->answer = A_ORDER;
				b->order_id = json_integer_value(json_object_get(j, "id"));
			} else if (r->status == 402) {
				b->answer = A_OTHER;
			} else if (retry_later(r->status) || (r->status == 409 && strstr(text, "being placed"))) {
				b->pending = 1;
				json_decref(j);
				hresp_free(r);
				if (time(NULL) >= deadline)
					break;
				nap(0.5, 1.2);
				continue;	/* the same key */
			} else if (r->status == 409 && (strstr(text, "limit") || strstr(text, "per customer") ||
							   strstr(text, "already bought"))) {
				b->answer = A_LIMIT;	/* an earlier try of this buyer's got the unit */
			} else if (r->status == 409 && json_integer_value(json_object_get(json_object_get(j, "error"),
											  "amount")) > 0) {
				new_key(b);	/* the total changed: quote again */
			} else if (r->status == 409) {
				b->answer = A_SOLDOUT;
			} else if (please_wait(r)) {
				b->adm[0] = '\0';
			} else if (r->status == 401 || r->status == 403) {
				b->sid[0] = b->csrf[0] = b->adm[0] = '\0';
			} else if (r->status == 422 && strstr(text, "another order")) {
				new_key(b);
			} else if (r->status == 422 && strstr(text, "empty")) {
				/* the guest cart went with Redis: put it back */
			} else {
				b->answer = A_OTHER;
			}
			json_decref(j);
			hresp_free(r);
			break;
		}
	}
}

static void *buyer_thread(void *arg)
{
	time_t deadline = *(time_t *)arg;
	int i;

	while ((i = atomic_fetch_add(&next_buyer, 1)) < pl->buyers) {
		/* Arrivals over the first 80% of the chaos window. */
		struct timespec at = t_start;
		long long ns = (long long)pl->seconds * 800000000LL * i / pl->buyers;

		at.tv_sec += (time_t)(ns / 1000000000LL);
		at.tv_nsec += (long)(ns % 1000000000LL);
		if (at.tv_nsec >= 1000000000L) {
			at.tv_sec++;
			at.tv_nsec -= 1000000000L;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
		buy(&buyers[i], deadline);
	}
	return NULL;
}

/* ---- setup ---- */

static void iso_utc(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void prepare(void)
{
	struct client seller;
	char body[700], starts[40], ends[40];
	struct hresp *r;
	json_t *j;
	time_t t0;

	snprintf(run_tag, sizeof(run_tag), "%ld-%u", (long)getpid(), randombytes_uniform(1000000));
	/* A new item of a new seller, with exactly `units` units (the item
	 * API's quantity: a stock movement, as a seller would). */
	seller_new(&seller, "flashchaos", NULL);
	snprintf(body, sizeof(body), "{\"name\":\"Flash chaos lamp %s\",\"description\":\"The flash-sale chaos test's item.\","
		 "\"price\":3999,\"quantity\":%d}", run_tag, pl->units);
	r = client_req(&seller, "POST", "/api/items", body, 1);
	ck_assert_msg(r->status == 201, "POST /api/items: %ld %s", r->status, r->body);
	j = hresp_json(r);
	snprintf(sku, sizeof(sku), "%s",
		 json_string_value(json_object_get(json_array_get(json_object_get(j, "skus"), 0), "code")));
	json_decref(j);
	hresp_free(r);
	sku_id = sql_scalarf("SELECT id FROM skus WHERE code = '%s'", sku);
	ck_assert_int_gt(sku_id, 0);
	ck_assert_int_eq(sql_scalarf("SELECT SUM(available) FROM inventory WHERE sku_id = %lld", sku_id), pl->units);
	base_committed = sql_scalarf("SELECT COALESCE(SUM(committed), 0) FROM inventory WHERE sku_id = %lld", sku_id);
	base_reserved = sql_scalarf("SELECT COALESCE(SUM(reserved), 0) FROM inventory WHERE sku_id = %lld", sku_id);

	buyers = calloc((size_t)pl->buyers, sizeof(*buyers));
	ck_assert_ptr_nonnull(buyers);
	for (int i = 0; i < pl->buyers; i++) {
		buyers[i].idx = i;
		snprintf(buyers[i].email, sizeof(buyers[i].email), "fchaos-%s-%d@example.com", run_tag, i);
	}
	first_order = sql_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM orders");
	if (no_room)
		return;

	/* The sale: every unit, one per customer, from two seconds on. */
	t0 = time(NULL);
	iso_utc(t0 + 2, starts, sizeof(starts));
	iso_utc(t0 + 3600, ends, sizeof(ends));
	snprintf(body, sizeof(body), "{\"name\":\"Flash chaos %s\",\"startsAt\":\"%s\",\"endsAt\":\"%s\",\"items\":[{\"itemId\":"
		 "\"%s\",\"price\":1999,\"quantity\":%d,\"perCustomer\":1}]}", run_tag, starts, ends, sku, pl->units);
	r = client_req(&seller, "POST", "/api/sales", body, 1);
	ck_assert_msg(r->status == 201, "POST /api/sales (the sales API, docs/api.md): %ld %s", r->status, r->body);
	j = hresp_json(r);
	sale_id = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	hresp_free(r);
	ck_assert_int_gt(sale_id, 0);
}

/* ---- the gateway's records (as t/chaos/chaos.c reads them) ---- */

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
		ck_assert_msg(r->status == 200, "gateway list: %ld %s", r->status, r->body);
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
		if (more && !*after)
			break;
	}
	return out;
}

/* ---- the run ---- */

#define LIVE "('confirmed', 'fulfilling', 'shipped', 'delivered')"

START_TEST(flash_sale_under_fire)
{
	pthread_t chaos_t, *bt;
	time_t deadline;
	long long sold, confirmed, shelf, shards_avail, held, unfinished, dup;
	size_t nint = 0;
	struct gw_intent *ints;
	int n[6] = { 0 }, lost_track = 0;
	char env[1400];

	prepare();
	bt = calloc((size_t)pl->parallel, sizeof(*bt));
	ck_assert_ptr_nonnull(bt);
	deadline = time(NULL) + pl->seconds + pl->settle;
	atomic_store(&chaos_on, 1);
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	ck_assert_int_eq(pthread_create(&chaos_t, NULL, chaos, NULL), 0);
	for (int i = 0; i < pl->parallel; i++)
		ck_assert_int_eq(pthread_create(&bt[i], NULL, buyer_thread, &deadline), 0);
	pthread_join(chaos_t, NULL);
	atomic_store(&chaos_on, 0);

	/* Everything back; the buyers finish. */
	ck_assert_int_eq(stack_cmd("start"), 0);
	for (int i = 0; i < pl->parallel; i++)
		pthread_join(bt[i], NULL);
	free(bt);
	for (int i = 0; i < 60 && sql_scalarf("SELECT COUNT(*) FROM checkouts WHERE idem_key LIKE 'fchaos-%s-%%' "
					      "AND state IN ('reserved', 'authorizing')", run_tag); i++)
		sleep(1);
	/* The reconciler settles what no client could (no grace: nothing is
	 * in flight any more). */
	snprintf(env, sizeof(env), "%s", paygate_env());
	ck_assert_int_le(shopctl_run(env, NULL, "reconcile payments --grace 0"), 1);

	for (int i = 0; i < pl->buyers; i++)
		n[buyers[i].answer]++;
	fprintf(stderr, "flash chaos (%s): sale %lld, %d units of %s, %d buyers over %d s: %d worker kills, %d jobs kills, "
		"%d Redis restarts, %d MariaDB restarts; answers: %d orders, %d sold out, %d ended, %d over the limit, "
		"%d other, %d none\n", pl->name, sale_id, pl->units, sku, pl->buyers, pl->seconds, atomic_load(&kills_worker),
		atomic_load(&kills_jobs), atomic_load(&kills_redis), atomic_load(&kills_db), n[A_ORDER], n[A_SOLDOUT],
		n[A_ENDED], n[A_LIMIT], n[A_OTHER], n[A_NONE]);

	/* No saga unfinished. */
	unfinished = sql_scalarf("SELECT COUNT(*) FROM checkouts WHERE idem_key LIKE 'fchaos-%s-%%' "
				 "AND state IN ('reserved', 'authorizing')", run_tag);
	ck_assert_msg(unfinished == 0, "%lld checkout sagas unfinished", unfinished);

	/* Units sold <= units, every unsold unit back on sale, none held. */
	sold = sql_scalarf("SELECT COALESCE(SUM(l.quantity), 0) FROM orders o JOIN order_lines l ON l.order_id = o.id "
			   "WHERE l.sku_id = %lld AND o.id >= %lld AND o.status IN " LIVE, sku_id, first_order);
	confirmed = sql_scalarf("SELECT COUNT(DISTINCT o.id) FROM orders o JOIN order_lines l ON l.order_id = o.id "
				"WHERE l.sku_id = %lld AND o.id >= %lld AND o.status IN " LIVE, sku_id, first_order);
	shelf = sql_scalarf("SELECT COALESCE(SUM(available), 0) FROM inventory WHERE sku_id = %lld", sku_id);
	shards_avail = sql_scalarf("SELECT COALESCE(SUM(available), 0) FROM stock_shards WHERE sku_id = %lld", sku_id);
	held = sql_scalarf("SELECT COALESCE(SUM(quantity), 0) FROM holds WHERE sku_id = %lld AND state = 'held'", sku_id);
	fprintf(stderr, "flash chaos (%s): %lld of %d units sold in %lld orders; back on sale %lld in the shards and "
		"%lld on the shelf; %lld held\n", pl->name, sold, pl->units, confirmed, shards_avail, shelf, held);
	ck_assert_msg(sold <= pl->units, "oversold: %lld units sold of %d", sold, pl->units);
	ck_assert_msg(sold == confirmed, "%lld units in %lld orders: one per customer, one per order", sold, confirmed);
	ck_assert_msg(held == 0, "%lld units still held by orders after every saga settled", held);
	ck_assert_msg(sold + shards_avail + shelf == pl->units,
		      "units lost: %lld sold + %lld in shards + %lld on the shelf <> %d", sold, shards_avail, shelf, pl->units);
	ck_assert_msg(sql_scalarf("SELECT COALESCE(SUM(reserved), 0) FROM stock_shards WHERE sku_id = %lld", sku_id) == 0 &&
		      sql_scalarf("SELECT COALESCE(SUM(reserved), 0) FROM inventory WHERE sku_id = %lld", sku_id) == base_reserved,
		      "units reserved in the shards or on the shelf with no order holding them");

	/* No unit sold twice: committed units (shelf and shards) are the units
	 * sold, each shard agrees with its holds, no buyer has two orders, and
	 * the movements add up. */
	ck_assert_int_eq(sql_scalarf("SELECT COALESCE(SUM(committed), 0) FROM inventory WHERE sku_id = %lld", sku_id) -
			 base_committed +
			 sql_scalarf("SELECT COALESCE(SUM(committed), 0) FROM stock_shards WHERE sku_id = %lld", sku_id), sold);
	ck_assert_msg(sql_scalarf("SELECT COUNT(*) FROM stock_shards s WHERE s.sku_id = %lld AND ("
				  "s.reserved <> (SELECT COALESCE(SUM(h.quantity), 0) FROM holds h WHERE h.sale_id = s.sale_id "
				  "AND h.sku_id = s.sku_id AND h.shard = s.shard AND h.state = 'held') OR "
				  "s.committed <> (SELECT COALESCE(SUM(h.quantity), 0) FROM holds h WHERE h.sale_id = s.sale_id "
				  "AND h.sku_id = s.sku_id AND h.shard = s.shard AND h.state = 'committed'))", sku_id) == 0,
		      "a shard's reserved or committed units disagree with its holds");
	dup = sql_scalarf("SELECT COUNT(*) FROM (SELECT c.idem_key FROM checkouts c JOIN orders o ON o.id = c.order_id "
			  "WHERE c.idem_key LIKE 'fchaos-%s-%%' AND o.status IN " LIVE " "
			  "GROUP BY SUBSTRING_INDEX(c.idem_key, '-', 4) HAVING COUNT(*) > 1) d", run_tag);
	ck_assert_msg(dup == 0, "%lld buyers have more than one paid order", dup);
	ck_assert_int_eq(sql_scalarf("SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE sku_id = %lld", sku_id),
			 sql_scalarf("SELECT COALESCE(SUM(available + reserved + committed), 0) FROM inventory WHERE sku_id = %lld",
				     sku_id) +
			 sql_scalarf("SELECT COALESCE(SUM(available + reserved + committed), 0) FROM stock_shards WHERE sku_id = %lld",
				     sku_id) +
			 /* ARCHIVE: with the shipped holds of archived orders. */
			 sql_scalarf("SELECT COALESCE(SUM(quantity), 0) FROM (SELECT quantity FROM holds WHERE sku_id = %lld "
				     "AND state = 'shipped' UNION ALL SELECT quantity FROM holds_archive WHERE sku_id = %lld "
				     "AND state = 'shipped') h", sku_id, sku_id));

	/* Every authorization: a confirmed order's (its intent, its total), or
	 * voided; as many held as there are confirmed orders. */
	ints = gateway_intents(first_order, &nint);
	{
		long long held_auth = 0, paid = sql_scalarf("SELECT COUNT(*) FROM orders o JOIN checkouts c ON c.order_id = o.id "
							    "WHERE c.idem_key LIKE 'fchaos-%s-%%' AND o.status = 'confirmed'",
							    run_tag);

		for (size_t i = 0; i < nint; i++) {
			const char *st = ints[i].status;

			if (strcmp(st, "requires_capture") && strcmp(st, "succeeded"))
				continue;
			ck_assert_msg(sql_scalarf("SELECT COUNT(*) FROM orders WHERE id = %lld AND payment_intent = '%s' AND "
						  "total = %lld AND status IN " LIVE, ints[i].order_id, ints[i].id,
						  ints[i].amount) == 1,
				      "authorization %s (%s) for order %lld belongs to no confirmed order", ints[i].id, st,
				      ints[i].order_id);
			held_auth += !strcmp(st, "requires_capture") &&
				     sql_scalarf("SELECT COUNT(*) FROM checkouts WHERE order_id = %lld AND idem_key LIKE "
						 "'fchaos-%s-%%'", ints[i].order_id, run_tag) > 0;
		}
		ck_assert_msg(held_auth == paid, "%lld authorizations held, %lld confirmed orders", held_auth, paid);
	}
	free(ints);

	/* Every buyer answered, and each answer agrees with the final state. */
	for (int i = 0; i < pl->buyers; i++) {
		lost_track += (buyers[i].answer == A_SOLDOUT || buyers[i].answer == A_ENDED) && buyers[i].pending;
	}
	for (int i = 0; i < pl->buyers; i++) {
		struct buyer *b = &buyers[i];
		long long mine = sql_scalarf("SELECT COUNT(*) FROM checkouts c JOIN orders o ON o.id = c.order_id "
					     "WHERE c.idem_key LIKE 'fchaos-%s-%d-%%' AND o.status IN " LIVE, run_tag, i);

		if (b->answer == A_ORDER) {
			ck_assert_msg(sql_scalarf("SELECT status = 'confirmed' FROM orders WHERE id = %lld", b->order_id) == 1,
				      "buyer %d was told 201, order %lld is not confirmed", i, b->order_id);
		} else if ((b->answer == A_SOLDOUT || b->answer == A_ENDED) && b->pending && mine == 1) {
			/* Its order request was cut off (the session went with
			 * Redis) and the room then said sold out: the order stands,
			 * the client lost track of it (its mail tells the buyer). */
			fprintf(stderr, "flash chaos: buyer %d lost track of its order (cut off, then told sold out)\n", i);
		} else if (b->answer == A_SOLDOUT || b->answer == A_ENDED) {
			ck_assert_msg(mine == 0, "buyer %d was told sold out, yet has a paid order (last: %s)", i, b->last);
		} else if (b->answer == A_LIMIT) {
			ck_assert_msg(mine == 1, "buyer %d was told over the limit with %lld paid orders", i, mine);
		} else {
			ck_assert_msg(0, "buyer %d: no final answer after %d attempts (the room must recover admission "
				      "after Redis lost the queue); last: %s", i, b->attempts, b->last);
		}
	}
	ck_assert_msg(n[A_ORDER] + n[A_LIMIT] <= confirmed && confirmed <= n[A_ORDER] + n[A_LIMIT] + lost_track,
		      "%d buyers told 201 (and %d over the limit), %lld paid orders", n[A_ORDER], n[A_LIMIT], confirmed);
	ck_assert_int_gt(n[A_ORDER], 0);
	free(buyers);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flashsale chaos");
	TCase *t = tcase_create("flashsale");
	const char *mode = getenv("CHAOS");

	pl = &plans[mode && !strcmp(mode, "full") ? 1 : 0];
	no_room = getenv("FLASH_NO_ROOM") && !strcmp(getenv("FLASH_NO_ROOM"), "1");
	harness_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_set_timeout(t, pl->seconds + pl->settle + 240);
	tcase_add_test(t, flash_sale_under_fire);
	suite_add_tcase(s, t);
	return run_suite(s);
}
