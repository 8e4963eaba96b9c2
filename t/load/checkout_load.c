/* Checkout load for `make bench` (scripts/bench, scenario checkout).
 *
 *   checkout_load shop BASE_URL SHOPPERS_FILE SECONDS
 *       one thread per line "sid csrf sku amount" of SHOPPERS_FILE: each
 *       puts one unit of its SKU in its cart and places the order
 *       (POST /api/checkout, pm_card_visa), again and again; the latency
 *       and rate of the place-order requests are reported.
 *   checkout_load raw DB_SOCKET THREADS SECONDS SKU_ID[,SKU_ID...]
 *       the MariaDB ceiling for the same transaction shape: lock the SKU's
 *       inventory rows, a guarded decrement, an order row and a hold row,
 *       commit; thread i uses SKU i modulo the list (one id = one hot SKU).
 *
 * Output: one line "orders=N seconds=S rate=R p50_ms=A p99_ms=B errors=E".
 *
 * shop mode, for the scale scenarios (t/scale/40-galera.sh):
 *   CHECKOUT_LOAD_LOG=FILE  one line per request, "START END STEP STATUS ID"
 *       (wall-clock seconds, cart or checkout, the HTTP status or 0 when
 *       none came, the order's id for a 201 else -), so that every
 *       acknowledged order can be looked up afterwards and an outage timed;
 *       a shopper whose request failed then waits 0.1 s before the next,
 *       as a client would, rather than spin on a server that is away;
 *   CHECKOUT_LOAD_STOP=FILE  the shoppers stop once FILE exists (SECONDS
 *       is then only the longest run). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <mysql.h>
#include <mysqld_error.h>

#define MAX_THREADS 256
#define MAX_SAMPLES 200000

static double deadline;
static double samples[MAX_SAMPLES];
static long nsamples, errors;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void record(double ms, int ok)
{
	pthread_mutex_lock(&mu);
	if (ok && nsamples < MAX_SAMPLES)
		samples[nsamples++] = ms;
	else if (!ok)
		errors++;
	pthread_mutex_unlock(&mu);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ---- through the shop ---- */

static const char *base;

struct shopper {
	char sid[128], csrf[128], sku[80];
	long long amount;
	int n;
};

/* The start of the last answer's body, per thread, to show why a request
 * failed (the first few failures are printed to stderr). */
struct answer {
	char text[300];
	size_t len;
};

static size_t keep_start(char *p, size_t sz, size_t n, void *ud)
{
	struct answer *a = ud;
	size_t k = sz * n;

	if (a && a->len < sizeof(a->text) - 1) {
		size_t take = k < sizeof(a->text) - 1 - a->len ? k : sizeof(a->text) - 1 - a->len;

		memcpy(a->text + a->len, p, take);
		a->len += take;
		a->text[a->len] = '\0';
	}
	return k;
}

static __thread struct answer last_answer;
static long shown;
static FILE *reqlog;
static const char *stopfile;

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One line of CHECKOUT_LOAD_LOG; the order's id is the answer's first
 * "id" (a 201's body is the order). */
static void log_request(double t0, const char *step, long status)
{
	char id[32] = "-";
	const char *p;

	if (!reqlog)
		return;
	if (status == 201 && (p = strstr(last_answer.text, "\"id\":"))) {
		long long v = strtoll(p + 5, NULL, 10);

		if (v > 0)
			snprintf(id, sizeof(id), "%lld", v);
	}
	pthread_mutex_lock(&mu);
	fprintf(reqlog, "%.3f %.3f %s %ld %s\n", t0, wall(), step, status, id);
	fflush(reqlog);
	pthread_mutex_unlock(&mu);
}

static int stopped(void)
{
	return now() >= deadline || (stopfile && access(stopfile, F_OK) == 0);
}

static void show_failure(const char *what, long status)
{
	pthread_mutex_lock(&mu);
	if (shown++ < 5)
		fprintf(stderr, "checkout_load: %s answered %ld: %s\n", what, status, last_answer.text);
	pthread_mutex_unlock(&mu);
}

static long post(CURL *c, const char *method, const char *path, const char *body, struct curl_slist *h)
{
	char url[512];
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	last_answer.len = 0;
	last_answer.text[0] = '\0';
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_start);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &last_answer);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static void *shop_thread(void *p)
{
	struct shopper *s = p;
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char cookie[200], token[200], body[700], cart[200], key[300];

	snprintf(cookie, sizeof(cookie), "Cookie: sid=%s", s->sid);
	snprintf(token, sizeof(token), "X-CSRF-Token: %s", s->csrf);
	h = curl_slist_append(h, cookie);
	h = curl_slist_append(h, token);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Accept: application/json");
	snprintf(cart, sizeof(cart), "{\"itemId\":\"%s\",\"quantity\":1}", s->sku);
	snprintf(body, sizeof(body), "{\"shippingAddress\":{\"name\":\"Bench Buyer\",\"line1\":\"1 Main St\","
		 "\"city\":\"Austin\",\"region\":\"TX\",\"postalCode\":\"78701\",\"country\":\"US\"},"
		 "\"shippingMethod\":\"standard\",\"amount\":%lld,\"paymentMethod\":\"pm_card_visa\"}", s->amount);
	while (!stopped()) {
		struct curl_slist *hk;
		double t0, w0 = wall();
		long st;

		st = post(c, "PATCH", "/api/cart", cart, h);
		log_request(w0, "cart", st);
		if (st != 200) {
			show_failure("PATCH /api/cart", st);
			record(0, 0);
			if (reqlog)
				usleep(100000);
			continue;
		}
		snprintf(key, sizeof(key), "Idempotency-Key: bench-%s-%d-%ld", s->sid, s->n++, (long)time(NULL));
		hk = curl_slist_append(curl_slist_append(curl_slist_append(curl_slist_append(
			curl_slist_append(NULL, cookie), token), "Content-Type: application/json"),
			"Accept: application/json"), key);
		t0 = now();
		w0 = wall();
		st = post(c, "POST", "/api/checkout", body, hk);
		log_request(w0, "checkout", st);
		record((now() - t0) * 1000, st == 201);
		if (st != 201) {
			show_failure("POST /api/checkout", st);
			if (reqlog)
				usleep(100000);
		}
		curl_slist_free_all(hk);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

/* ---- MariaDB alone ---- */

static const char *sock;
static long long skus[MAX_THREADS];
static int nskus;

static int q(MYSQL *m, const char *sql)
{
	return mysql_query(m, sql);
}

static void *raw_thread(void *p)
{
	long i = (long)p;
	long long sku = skus[i % nskus];
	MYSQL *m = mysql_init(NULL);
	char s[300];

	if (!mysql_real_connect(m, NULL, "root", "", "shop", 0, sock, 0)) {
		fprintf(stderr, "raw: %s\n", mysql_error(m));
		return NULL;
	}
	while (now() < deadline) {
		double t0 = now();
		MYSQL_RES *r;
		MYSQL_ROW row;
		long long wh = 0;
		int ok = 0;

		if (q(m, "START TRANSACTION"))
			goto fail;
		snprintf(s, sizeof(s), "SELECT warehouse_id, available FROM inventory WHERE sku_id = %lld "
			 "ORDER BY warehouse_id FOR UPDATE", sku);
		if (q(m, s) || !(r = mysql_store_result(m)))
			goto fail;
		while ((row = mysql_fetch_row(r)))
			if (!wh && atoll(row[1]) > 0)
				wh = atoll(row[0]);
		mysql_free_result(r);
		if (!wh)
			goto fail;
		snprintf(s, sizeof(s), "UPDATE inventory FORCE INDEX (PRIMARY) SET available = available - 1, reserved = reserved + 1 "
			 "WHERE sku_id = %lld AND warehouse_id = %lld AND available >= 1", sku, wh);
		if (q(m, s) || mysql_affected_rows(m) != 1)
			goto fail;
		snprintf(s, sizeof(s), "INSERT INTO bench_orders (sku_id) VALUES (%lld)", sku);
		if (q(m, s))
			goto fail;
		snprintf(s, sizeof(s), "INSERT INTO bench_holds (order_id, sku_id, warehouse_id, quantity) "
			 "VALUES (LAST_INSERT_ID(), %lld, %lld, 1)", sku, wh);
		if (q(m, s) || q(m, "COMMIT"))
			goto fail;
		ok = 1;
fail:
		if (!ok)
			q(m, "ROLLBACK");
		record((now() - t0) * 1000, ok);
	}
	mysql_close(m);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[MAX_THREADS];
	int n = 0, secs;
	double start;
	static struct shopper sh[MAX_THREADS];

	if (argc >= 5 && !strcmp(argv[1], "shop")) {
		FILE *f = fopen(argv[3], "r");
		char line[600];

		base = argv[2];
		secs = atoi(argv[4]);
		if (!f) {
			perror(argv[3]);
			return 1;
		}
		while (n < MAX_THREADS && fgets(line, sizeof(line), f))
			if (sscanf(line, "%127s %127s %79s %lld", sh[n].sid, sh[n].csrf, sh[n].sku, &sh[n].amount) == 4)
				n++;
		fclose(f);
		if (getenv("CHECKOUT_LOAD_LOG") && !(reqlog = fopen(getenv("CHECKOUT_LOAD_LOG"), "a"))) {
			perror(getenv("CHECKOUT_LOAD_LOG"));
			return 1;
		}
		stopfile = getenv("CHECKOUT_LOAD_STOP");
		curl_global_init(CURL_GLOBAL_DEFAULT);
		deadline = now() + secs;
		start = now();
		for (int i = 0; i < n; i++)
			pthread_create(&t[i], NULL, shop_thread, &sh[i]);
	} else if (argc >= 6 && !strcmp(argv[1], "raw")) {
		char *list = argv[5], *tok;
		MYSQL *m = mysql_init(NULL);

		sock = argv[2];
		n = atoi(argv[3]);
		secs = atoi(argv[4]);
		if (n < 1 || n > MAX_THREADS)
			return 2;
		for (tok = strtok(list, ","); tok && nskus < MAX_THREADS; tok = strtok(NULL, ","))
			skus[nskus++] = atoll(tok);
		if (!nskus || !mysql_real_connect(m, NULL, "root", "", "shop", 0, sock, 0) ||
		    q(m, "CREATE TABLE IF NOT EXISTS bench_orders (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
			 "sku_id BIGINT UNSIGNED NOT NULL, created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)) ENGINE=InnoDB") ||
		    q(m, "CREATE TABLE IF NOT EXISTS bench_holds (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
			 "order_id BIGINT UNSIGNED NOT NULL, sku_id BIGINT UNSIGNED NOT NULL, warehouse_id SMALLINT UNSIGNED NOT NULL, "
			 "quantity INT NOT NULL, KEY (order_id)) ENGINE=InnoDB")) {
			fprintf(stderr, "raw: %s\n", mysql_error(m));
			return 1;
		}
		mysql_close(m);
		deadline = now() + secs;
		start = now();
		for (long i = 0; i < n; i++)
			pthread_create(&t[i], NULL, raw_thread, (void *)i);
	} else {
		fprintf(stderr, "usage: checkout_load shop BASE SHOPPERS SECONDS | raw SOCKET THREADS SECONDS SKUS\n");
		return 2;
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	{
		double el = now() - start;

		qsort(samples, (size_t)nsamples, sizeof(samples[0]), cmp);
		printf("orders=%ld seconds=%.1f rate=%.0f p50_ms=%.2f p99_ms=%.2f errors=%ld\n", nsamples, el,
		       nsamples / el, nsamples ? samples[nsamples / 2] : 0,
		       nsamples ? samples[(size_t)(nsamples * 0.99)] : 0, errors);
	}
	return 0;
}
