/* The waiting room of a flash sale (issue 18 part 3; app/waitroom): tickets,
 * the random order of the first seconds, admission in batches capped by the
 * units left, lapsed admissions giving their slot back, sold out told at
 * once, the waiting page without JavaScript, the admission tokens and the
 * demand trigger (in-process, against the stack's Redis), and the token
 * buckets (429 + Retry-After).
 *
 * shopd is restarted for this suite with small settings (see main) and
 * restarted again with the stack's own at the end, so the suites after it
 * see the shop as it was.
 *
 * The sales are made with SQL while the sales module (app/sales) is the
 * frame's placeholder: a row with status 'live' is what its job writes when
 * it opens a sale; the room then reads units left from the sale's shard rows
 * (its quantity while it has none). When POST /api/sales exists (answers 422
 * to an empty body) the sales are made through it instead and each test
 * waits for the sales job to open its sale; sold_out_at_once then needs the
 * shard rows the inventory module makes (see its comment). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <check.h>
#include <jansson.h>
#include "harness.h"
#include "../../app/core/arena.h"
#include "../../app/core/config.h"
#include "../../app/store/kv.h"
#include "../../app/waitroom/waitroom.h"

#define SHUFFLE_S 1
#define RATE 4			/* per second: one every batch of 250 ms */
#define BATCH_MS 250
#define TTL_S 3

static struct client admin;
static char last_code[64];	/* the SKU of the last sale_new */
static int have_admin, sales_api = -1;

/* A request as cl that keeps its session cookie: the harness keeps the
 * first Set-Cookie it sees, and an admission sets `adm` beside `sid`. */
static struct hresp *req(struct client *cl, const char *method, const char *path, const char *body, int csrf)
{
	char keep[sizeof(cl->cookie)];
	struct hresp *r;

	memcpy(keep, cl->cookie, sizeof(keep));
	r = client_req(cl, method, path, body, csrf);
	if (!strncmp(cl->cookie, "adm=", 4) || !cl->cookie[0])
		memcpy(cl->cookie, keep, sizeof(keep));
	return r;
}

static struct hresp *browse(struct client *cl, const char *method, const char *path, const char *form)
{
	char keep[sizeof(cl->cookie)];
	struct hresp *r;

	memcpy(keep, cl->cookie, sizeof(keep));
	r = client_browse(cl, method, path, form);
	if (!strncmp(cl->cookie, "adm=", 4) || !cl->cookie[0])
		memcpy(cl->cookie, keep, sizeof(keep));
	return r;
}

static void guest(struct client *cl)
{
	memset(cl, 0, sizeof(*cl));
	ck_assert_int_eq(client_session(cl), 0);
}

static void admin_once(void)
{
	char email[128], args[256];

	if (have_admin++)
		return;
	clear_ip_throttles();
	buyer_new(&admin, "wradmin", email, sizeof(email));
	snprintf(args, sizeof(args), "grant %s admin", email);
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
	ck_assert_int_eq(client_session(&admin), 0);
}

/* 1 when the sales module's API is there (the merged tree). */
static int have_sales_api(void)
{
	struct hresp *r;

	if (sales_api >= 0)
		return sales_api;
	admin_once();
	r = req(&admin, "POST", "/api/sales", "{}", 1);
	sales_api = r->status == 422;
	hresp_free(r);
	return sales_api;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rfc3339(long long t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A demo item's SKU with at least n units whose item is in no sale that is
 * on or lately ended (a SKU is in one sale at a time, and the suites after
 * this one must not find sale prices on the SKUs they pick): its id, its
 * code into code. */
static long long sku_free(int n, char *code, size_t len)
{
	long long pid = sql_scalarf("SELECT MAX(p.id) FROM products p WHERE p.status = 'active' AND NOT EXISTS "
				    "(SELECT 1 FROM sale_items i JOIN sales x ON x.id = i.sale_id WHERE i.product_id = p.id) "
				    "AND (SELECT MIN(COALESCE((SELECT SUM(v.available) FROM inventory v WHERE v.sku_id = k.id), 0)) "
				    "FROM skus k WHERE k.product_id = p.id AND k.status = 'active') >= %d "
				    /* the sale price (100) must be below the item's: suites
				     * before this one make items that cost 1.00 */
				    "AND (SELECT MIN(k.price) FROM skus k WHERE k.product_id = p.id AND k.status = 'active') > 100", n);
	char path[64];
	struct hresp *r;
	json_t *j;

	ck_assert_msg(pid > 0, "no item with %d units in no sale", n);
	snprintf(path, sizeof(path), "/api/items/%lld", pid);
	r = http_get_json(path);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	snprintf(code, len, "%s", json_string_value(json_object_get(j, "sku")));
	json_decref(j);
	hresp_free(r);
	return sql_scalarf("SELECT id FROM skus WHERE code = '%s'", code);
}

static int sale_status_is(long long id, const char *want)
{
	char path[64];
	struct hresp *r;
	json_t *j;
	int is;

	snprintf(path, sizeof(path), "/api/sales/%lld", id);
	r = http_get_json(path);
	j = hresp_json(r);
	is = j && json_string_value(json_object_get(j, "status")) &&
	     !strcmp(json_string_value(json_object_get(j, "status")), want);
	json_decref(j);
	hresp_free(r);
	return is;
}

/* A sale of qty units of a demo SKU, starting `start` seconds from now
 * (negative: started already), live; its id. */
static long long sale_new(int qty, int start)
{
	char code[64];
	long long sku = sku_free(qty > 5 ? qty : 5, code, sizeof(code)), id;

	snprintf(last_code, sizeof(last_code), "%s", code);

	if (have_sales_api()) {
		char body[1024], s[32], e[32];
		struct hresp *r;
		json_t *j;

		rfc3339(time(NULL) + (start > 1 ? start : 1), s, sizeof(s));
		rfc3339(time(NULL) + 3600, e, sizeof(e));
		snprintf(body, sizeof(body), "{\"name\":\"Waitroom test\",\"startsAt\":\"%s\",\"endsAt\":\"%s\","
			 "\"items\":[{\"itemId\":\"%s\",\"price\":100,\"quantity\":%d,\"perCustomer\":1}]}", s, e, code, qty);
		r = req(&admin, "POST", "/api/sales", body, 1);
		ck_assert_msg(r->status == 201, "POST /api/sales: %ld %s", r->status, r->body);
		j = hresp_json(r);
		id = json_integer_value(json_object_get(j, "id"));
		json_decref(j);
		hresp_free(r);
		/* the API takes no start in the past: a sale meant to have
		 * started already is moved back before the job opens it */
		if (start < 0)
			sql_execf("UPDATE sales SET starts_at = NOW(3) - INTERVAL %d SECOND WHERE id = %lld AND "
				  "status = 'scheduled'", -start, id);
		/* opened by the sales job (its units set aside in shards) */
		if (start <= 0) {
			for (int i = 0; i < 100 && !sale_status_is(id, "live"); i++)
				usleep(100000);
			ck_assert_msg(sale_status_is(id, "live"), "sale %lld did not open (needs the inventory shards)", id);
		}
		/* the draw of the first seconds over, if the caller asked for
		 * that (the job may have opened the sale before the move) */
		if (start < -SHUFFLE_S) {
			long long open = (sql_scalarf("SELECT UNIX_TIMESTAMP(starts_at) FROM sales WHERE id = %lld", id) +
					  SHUFFLE_S) * 1000 + 200;

			while (now_ms() < open)
				usleep(50000);
		}
		return id;
	}
	sql_execf("INSERT INTO sales (name, starts_at, ends_at, status) VALUES ('Waitroom test', "
		  "NOW(3) + INTERVAL %d SECOND, NOW(3) + INTERVAL 1 HOUR, 'live')", start);
	id = sql_scalar("SELECT MAX(id) FROM sales");
	sql_execf("INSERT INTO sale_items (sale_id, sku_id, product_id, price, quantity, per_customer) "
		  "SELECT %lld, id, product_id, 100, %d, 1 FROM skus WHERE id = %lld", id, qty, sku);
	return id;
}

/* Each test's sales end with it: with the sales module merged, its job
 * closes them (their units back on the shelf); without it, the rows say
 * ended. */
static void sales_end(void)
{
	if (sales_api == 1)
		sql_exec("UPDATE sales SET ends_at = NOW(3) - INTERVAL 1 SECOND, starts_at = LEAST(starts_at, "
			 "NOW(3) - INTERVAL 2 SECOND) WHERE name = 'Waitroom test' AND status IN ('scheduled', 'live')");
	else
		sql_exec("UPDATE sales SET status = 'ended', ends_at = NOW(3) - INTERVAL 1 SECOND, starts_at = LEAST("
			 "starts_at, NOW(3) - INTERVAL 2 SECOND) WHERE name = 'Waitroom test' AND status IN ('scheduled', 'live')");
}

static json_t *join(struct client *cl, long long sale, long *status)
{
	char path[80];
	struct hresp *r;
	json_t *j;

	snprintf(path, sizeof(path), "/api/sales/%lld/tickets", sale);
	r = req(cl, "POST", path, "{}", 1);
	*status = r->status;
	j = hresp_json(r);
	hresp_free(r);
	ck_assert_msg(j != NULL, "no JSON from %s", path);
	return j;
}

static json_t *mine(struct client *cl, long long sale, long *status)
{
	char path[80];
	struct hresp *r;
	json_t *j;

	snprintf(path, sizeof(path), "/api/sales/%lld/tickets/mine", sale);
	r = req(cl, "GET", path, NULL, 0);
	*status = r->status;
	if (r->status == 200) {
		const char *sc = hresp_header(r, "Set-Cookie");
		const char *st = strstr(r->body, "admitted");

		/* admitted: the cookie adm carries the token */
		if (st && strstr(r->body, "\"admission\": \"") != NULL)
			ck_assert_msg(sc && !strncmp(sc, "adm=", 4) && strstr(sc, "HttpOnly") && strstr(sc, "SameSite=Lax"),
				      "admitted without the adm cookie: %s", sc ? sc : "(none)");
	}
	j = hresp_json(r);
	hresp_free(r);
	return j;
}

static const char *status_of(json_t *j)
{
	return json_string_value(json_object_get(j, "status"));
}

START_TEST(tickets_api_contract)
{
	struct client a, b;
	long long sale = sale_new(50, -5);
	long st;
	json_t *j, *k;
	char path[80], url[80];
	struct hresp *r;

	guest(&a);
	guest(&b);
	j = join(&a, sale, &st);
	ck_assert_msg(st == 201, "first ticket: %ld", st);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(j, "ticket")));
	ck_assert(json_is_integer(json_object_get(j, "place")));
	ck_assert(json_is_integer(json_object_get(j, "waitSeconds")));
	snprintf(url, sizeof(url), "/sales/%lld/wait", sale);
	ck_assert_str_eq(json_string_value(json_object_get(j, "waitUrl")), url);
	ck_assert_msg(!strcmp(status_of(j), "waiting") || !strcmp(status_of(j), "admitted"), "status %s", status_of(j));
	/* the same shopper again: the same ticket, 200 */
	k = join(&a, sale, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(json_string_value(json_object_get(k, "ticket")), json_string_value(json_object_get(j, "ticket")));
	json_decref(j);
	json_decref(k);
	/* mine: 200 for a, 404 for b (no ticket), 404 for no such sale */
	j = mine(&a, sale, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_ptr_nonnull(status_of(j));
	ck_assert(json_object_get(j, "place") && json_object_get(j, "waitSeconds"));
	json_decref(j);
	j = mine(&b, sale, &st);
	ck_assert_int_eq(st, 404);
	json_decref(j);
	j = mine(&b, sale + 1000000, &st);
	ck_assert_int_eq(st, 404);
	json_decref(j);
	j = join(&b, sale + 1000000, &st);
	ck_assert_int_eq(st, 404);
	json_decref(j);
	/* a write: CSRF like every other */
	snprintf(path, sizeof(path), "/api/sales/%lld/tickets", sale);
	r = req(&b, "POST", path, "{}", 0);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
}
END_TEST

/* Tickets after the shuffle window: admitted in arrival order, one batch
 * (RATE per second, every 500 ms) at a time, each with a token. */
START_TEST(admission_in_batches_in_arrival_order)
{
	enum { N = 5 };
	struct client c[N];
	long long sale = sale_new(50, -(SHUFFLE_S + 2)), t0, at[N] = {0}, t_end;
	long st;
	int admitted = 0;

	for (int i = 0; i < N; i++) {
		json_t *j;

		guest(&c[i]);
		j = join(&c[i], sale, &st);
		ck_assert_int_eq(st, 201);
		if (i > 0)
			ck_assert_msg(json_integer_value(json_object_get(j, "place")) >= 1, "place of %d", i);
		json_decref(j);
	}
	t0 = now_ms();
	while (admitted < N && now_ms() - t0 < 10000) {
		for (int i = 0; i < N; i++) {
			json_t *j;

			if (at[i])
				continue;
			j = mine(&c[i], sale, &st);
			ck_assert_int_eq(st, 200);
			if (!strcmp(status_of(j), "admitted")) {
				const char *tok = json_string_value(json_object_get(j, "admission"));

				ck_assert_msg(tok && strlen(tok) > 40, "admission token");
				ck_assert_ptr_nonnull(json_string_value(json_object_get(j, "expiresAt")));
				at[i] = now_ms();
				admitted++;
			} else {
				ck_assert_str_eq(status_of(j), "waiting");
				ck_assert_int_ge(json_integer_value(json_object_get(j, "place")), 1);
				ck_assert_int_ge(json_integer_value(json_object_get(j, "waitSeconds")), 1);
				ck_assert_int_ge(json_integer_value(json_object_get(j, "pollSeconds")), 1);
			}
			json_decref(j);
		}
		usleep(50000);
	}
	t_end = now_ms();
	ck_assert_msg(admitted == N, "only %d of %d admitted in 10 s", admitted, N);
	/* arrival order */
	for (int i = 1; i < N; i++)
		ck_assert_msg(at[i] >= at[i - 1], "shopper %d admitted before shopper %d", i, i - 1);
	/* at the rate: N admissions, one per batch, take (N-1) batches */
	ck_assert_msg(t_end - t0 >= (N - 2) * BATCH_MS, "%d admitted in %lld ms: faster than the rate", N, t_end - t0);
}
END_TEST

/* Tickets issued before the sale opens and in its first SHUFFLE_S seconds
 * are admitted in random order, all before any later ticket; no one is
 * admitted while the window is open. */
START_TEST(first_seconds_in_random_order)
{
	enum { N = 8 };
	struct client c[N + 1];
	long long sale = sale_new(50, 1), t0;
	long st;
	int order[N + 1], seen = 0, same = 1;

	for (int i = 0; i < N; i++) {
		json_t *j;

		guest(&c[i]);
		j = join(&c[i], sale, &st);
		ck_assert_int_eq(st, 201);
		ck_assert_msg(strcmp(status_of(j), "admitted"), "admitted inside the shuffle window");
		json_decref(j);
		order[i] = -1;
	}
	/* after the window: a late one, last in line */
	{
		long long open = (sql_scalarf("SELECT UNIX_TIMESTAMP(starts_at) FROM sales WHERE id = %lld", sale) +
				  SHUFFLE_S) * 1000 + 300;

		while (now_ms() < open)
			usleep(50000);
	}
	guest(&c[N]);
	json_decref(join(&c[N], sale, &st));
	order[N] = -1;
	t0 = now_ms();
	while (seen < N + 1 && now_ms() - t0 < 12000) {
		for (int i = 0; i <= N; i++) {
			json_t *j;

			if (order[i] >= 0)
				continue;
			j = mine(&c[i], sale, &st);
			if (!strcmp(status_of(j), "admitted"))
				order[i] = seen++;
			json_decref(j);
		}
		usleep(30000);
	}
	ck_assert_msg(seen == N + 1, "%d of %d admitted", seen, N + 1);
	ck_assert_msg(order[N] == N, "the late ticket was admitted %d-th, before the first seconds' ones", order[N] + 1);
	for (int i = 0; i < N; i++)
		same &= order[i] == i;
	/* 1 in 8! (40,320) that a fair shuffle gives arrival order */
	ck_assert_msg(!same, "the first seconds' tickets were admitted in arrival order");
}
END_TEST

/* Admissions outstanding never exceed the units left; one that lapses
 * unused gives its slot to the next in line, and its holder goes back in
 * line, last. */
START_TEST(lapsed_admission_returns_its_slot)
{
	struct client a, b;
	long long sale = sale_new(1, -(SHUFFLE_S + 2)), t0, t_a;
	long st;
	json_t *j;
	int b_in = 0;

	guest(&a);
	guest(&b);
	json_decref(join(&a, sale, &st));
	json_decref(join(&b, sale, &st));
	t0 = now_ms();
	for (;;) {
		j = mine(&a, sale, &st);
		if (!strcmp(status_of(j), "admitted"))
			break;
		json_decref(j);
		ck_assert_msg(now_ms() - t0 < 5000, "a not admitted");
		usleep(100000);
	}
	t_a = now_ms();
	json_decref(j);
	/* one unit: b waits while a's admission stands */
	for (int i = 0; i < 10; i++) {
		j = mine(&b, sale, &st);
		ck_assert_msg(!strcmp(status_of(j), "waiting"), "b %s while a holds the only unit's admission", status_of(j));
		ck_assert_int_eq(json_integer_value(json_object_get(j, "place")), 1);
		json_decref(j);
		usleep(100000);
	}
	/* a does nothing: after TTL_S its slot goes to b */
	t0 = now_ms();
	while (!b_in && now_ms() - t0 < (TTL_S + 4) * 1000) {
		j = mine(&b, sale, &st);
		b_in = !strcmp(status_of(j), "admitted");
		json_decref(j);
		usleep(200000);
	}
	ck_assert_msg(b_in, "b not admitted after a's admission lapsed");
	ck_assert_msg(now_ms() - t_a >= (TTL_S - 1) * 1000, "b admitted %lld ms after a, before a's admission ended",
		      now_ms() - t_a);
	j = mine(&a, sale, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(status_of(j), "waiting");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "place")), 1);
	json_decref(j);
}
END_TEST

/* Sold out: everyone is told at once (the first answer), nobody waits; an
 * ended sale says so. With the sales module merged, a sale is sold out when
 * its shard rows have no units: that part needs the inventory module's
 * allocation and is skipped here then (test_sales sells one out). */
START_TEST(sold_out_at_once)
{
	struct client a;
	long long sale;
	long st;
	json_t *j;
	char path[80];
	struct hresp *r;

	if (have_sales_api())
		return;
	sale = sale_new(3, -5);
	/* its shard rows hold nothing (sold): no unit moved, so the stock's
	 * conservation is untouched */
	sql_execf("INSERT INTO stock_shards (sale_id, sku_id, shard, warehouse_id) "
		  "SELECT sale_id, sku_id, 0, 1 FROM sale_items WHERE sale_id = %lld", sale);
	guest(&a);
	j = join(&a, sale, &st);
	ck_assert_str_eq(status_of(j), "soldout");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "place")), 0);
	json_decref(j);
	snprintf(path, sizeof(path), "/sales/%lld/wait", sale);
	r = browse(&a, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "Sold out."));
	ck_assert_ptr_null(strstr(r->body, "http-equiv=\"refresh\""));
	hresp_free(r);
	sql_execf("DELETE FROM stock_shards WHERE sale_id = %lld", sale);
	/* ended */
	sql_execf("UPDATE sales SET status = 'ended', ends_at = NOW(3) - INTERVAL 1 SECOND, "
		  "starts_at = NOW(3) - INTERVAL 1 HOUR WHERE id = %lld", sale);
	sleep(1);	/* the workers' one-second cache of the sale */
	j = mine(&a, sale, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(status_of(j), "ended");
	json_decref(j);
	r = browse(&a, "GET", path, NULL);
	ck_assert_ptr_nonnull(strstr(r->body, "This sale has ended."));
	hresp_free(r);
}
END_TEST

/* The page: a form to join without a ticket, then place and estimated wait
 * with a meta refresh, then the Add-to-cart form once admitted. */
START_TEST(waiting_page_without_javascript)
{
	struct client a, b;
	long long sale = sale_new(50, -(SHUFFLE_S + 2)), t0;
	char path[80], form[200], act[80];
	struct hresp *r;
	const char *loc;
	long st;
	int admitted = 0;

	guest(&a);
	guest(&b);
	/* b first in line, so a waits a batch */
	json_decref(join(&b, sale, &st));
	snprintf(path, sizeof(path), "/sales/%lld/wait", sale);
	r = browse(&a, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "You are not in line for this sale yet."));
	snprintf(act, sizeof(act), "action=\"/sales/%lld/queue\"", sale);
	ck_assert_ptr_nonnull(strstr(r->body, act));
	ck_assert_ptr_nonnull(strstr(r->body, "name=\"csrf\""));
	ck_assert_ptr_nonnull(strstr(r->body, "name=\"viewport\""));
	ck_assert_ptr_null(strstr(r->body, "http-equiv=\"refresh\""));
	tidy_ok(r, "the waiting page without a ticket");
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s", a.csrf);
	snprintf(act, sizeof(act), "/sales/%lld/queue", sale);
	r = browse(&a, "POST", act, form);
	ck_assert_int_eq(r->status, 303);
	loc = hresp_header(r, "Location");
	ck_assert_ptr_nonnull(loc);
	ck_assert_ptr_nonnull(strstr(loc, path));
	hresp_free(r);
	t0 = now_ms();
	while (!admitted && now_ms() - t0 < 6000) {
		r = browse(&a, "GET", path, NULL);
		ck_assert_int_eq(r->status, 200);
		if (strstr(r->body, "It's your turn.")) {
			admitted = 1;
			ck_assert_ptr_nonnull(strstr(r->body, "action=\"/cart/add\""));
			ck_assert_ptr_nonnull(strstr(r->body, "name=\"itemId\""));
			ck_assert_ptr_null(strstr(r->body, "http-equiv=\"refresh\""));
			ck_assert_msg(hresp_header(r, "Set-Cookie") && !strncmp(hresp_header(r, "Set-Cookie"), "adm=", 4),
				      "the admitted page sets adm");
			tidy_ok(r, "the waiting page, admitted");
		} else {
			ck_assert_ptr_nonnull(strstr(r->body, "You are number <strong>"));
			ck_assert_ptr_nonnull(strstr(r->body, "Estimated wait:"));
			ck_assert_ptr_nonnull(strstr(r->body, "<meta http-equiv=\"refresh\" content=\""));
			ck_assert_ptr_null(strstr(r->body, "<script>"));
			tidy_ok(r, "the waiting page, in line");
		}
		hresp_free(r);
		usleep(150000);
	}
	ck_assert_msg(admitted, "the page never said it was a's turn");
}
END_TEST

/* The queue lives in Redis and may be lost: the shopper is told to join
 * again (404), and an admission already given stays good, because it is a
 * signed token checked without Redis (in-process, with the stack's secret
 * and Redis). The demand trigger: with the room off, more requests for a
 * sale item without admission than the rate in a second turn it on. */
START_TEST(tokens_without_redis_and_the_demand_trigger)
{
	struct client a;
	long long sale = sale_new(50, -(SHUFFLE_S + 2)), t0;
	long st;
	json_t *j;
	char tok[WR_TOKEN_MAX], keys[200];
	struct arena *ar;
	struct kv *kv = NULL;
	struct wr_sale s;
	int on = 0, n;

	guest(&a);
	json_decref(join(&a, sale, &st));
	t0 = now_ms();
	for (;;) {
		j = mine(&a, sale, &st);
		if (!strcmp(status_of(j), "admitted"))
			break;
		json_decref(j);
		ck_assert_msg(now_ms() - t0 < 5000, "not admitted");
		usleep(100000);
	}
	snprintf(tok, sizeof(tok), "%s", json_string_value(json_object_get(j, "admission")));
	json_decref(j);
	snprintf(keys, sizeof(keys), "DEL wr:%lld:q wr:%lld:a wr:%lld:k wr:%lld:s", sale, sale, sale, sale);
	redis_cmd(keys);
	j = mine(&a, sale, &st);
	ck_assert_int_eq(st, 404);
	json_decref(j);

	ck_assert_int_eq(config_load(&config), 0);
	ck_assert_ptr_nonnull(ar = arena_new(64 * 1024));
	kv_open(&kv);
	ck_assert_ptr_nonnull(kv);
	waitroom_init();
	{
		/* the holder is in the token: "<sale>.<expires>.<holder>.<mac>" */
		char holder[64];
		const char *p = strchr(strchr(tok, '.') + 1, '.') + 1, *q = strrchr(tok, '.');
		long long exp = strtoll(strchr(tok, '.') + 1, NULL, 10);

		snprintf(holder, sizeof(holder), "%.*s", (int)(q - p), p);
		ck_assert_int_eq(waitroom_token_ok(tok, sale, holder, time(NULL)), 1);
		ck_assert_int_eq(waitroom_token_ok(tok, sale + 1, holder, time(NULL)), 0);
		ck_assert_int_eq(waitroom_token_ok(tok, sale, "u1", time(NULL)), 0);
		ck_assert_int_eq(waitroom_token_ok(tok, sale, holder, exp + 1), 0);
		tok[strlen(tok) - 1] ^= 1;
		ck_assert_int_eq(waitroom_token_ok(tok, sale, holder, time(NULL)), 0);
	}
	/* demand: the room's opening phase over, nobody in line */
	wr_set.room_s = 0;
	memset(&s, 0, sizeof(s));
	s.id = sale;
	s.state = SALE_LIVE;
	s.starts_at = time(NULL) - 60;
	s.ends_at = time(NULL) + 3600;
	s.left = 50;
	redis_cmd(keys);
	/* a fresh second, so all the requests below fall in one */
	usleep((1000 - now_ms() % 1000) * 1000);
	for (n = 0; n < wr_set.admit_rate && !on; n++)
		on = waitroom_holding(kv, ar, &s, now_ms());
	ck_assert_msg(!on, "the room held shoppers back at %d requests (rate %d)", n, wr_set.admit_rate);
	ck_assert_int_eq(waitroom_holding(kv, ar, &s, now_ms()), 1);
	ck_assert_int_eq(waitroom_holding(kv, ar, &s, now_ms() + 2000), 1);	/* it stays on */
	redis_cmd(keys);
	kv_close(kv);
}
END_TEST

/* The token buckets on RF_BUCKET routes: per shopper, then per IP; 429
 * with Retry-After. This suite's shopd limits loopback too
 * (SHOP_LIMIT_LOOPBACK=1) with small buckets (main). */
START_TEST(token_buckets_answer_429)
{
	struct client a, b;
	char code[64], body[128];
	struct hresp *r;
	int ok = 0, refused = 0;

	sku_free(5, code, sizeof(code));
	snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":1}", code);
	redis_cmd("DEL b:ci:127.0.0.1 b:oi:127.0.0.1");
	guest(&a);
	guest(&b);
	for (int i = 0; i < 5; i++) {
		r = req(&a, "PATCH", "/api/cart", body, 1);
		if (r->status == 200)
			ok++;
		else if (r->status == 429) {
			const char *ra = hresp_header(r, "Retry-After");

			refused++;
			ck_assert_msg(ra && atoi(ra) >= 1, "429 without Retry-After");
			ck_assert_ptr_nonnull(strstr(r->body, "Too many requests"));
		} else
			ck_abort_msg("PATCH /api/cart: %ld %s", r->status, r->body);
		hresp_free(r);
	}
	/* the shopper's bucket: 3 at once */
	ck_assert_int_eq(ok, 3);
	ck_assert_int_eq(refused, 2);
	/* another shopper from the same IP: the IP's bucket (6 at once) has
	 * 1 left after a's 5 */
	r = req(&b, "PATCH", "/api/cart", body, 1);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	r = req(&b, "PATCH", "/api/cart", body, 1);
	ck_assert_int_eq(r->status, 429);
	hresp_free(r);
	/* reads are not throttled */
	r = req(&b, "GET", "/api/cart", NULL, 0);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	redis_cmd("DEL b:ci:127.0.0.1 b:oi:127.0.0.1");
}
END_TEST

/* With the sales module merged: a sale item goes into a cart only with an
 * admission while the room holds shoppers back: JSON 403 "Please wait for
 * your turn" with waitUrl, the form a ticket and 303 to the waiting page;
 * the token as the header Shop-Admission (or the cookie adm) lets it in. */
START_TEST(cart_needs_an_admission)
{
	struct client a, b;
	long long sale, t0;
	char body[160], url[80], form[400], cookie[300], csrf[200], adm[WR_TOKEN_MAX + 32];
	const char *h[7];
	struct hresp *r;
	json_t *j, *err;
	long st;

	if (!have_sales_api())
		return;	/* the cart asks the room only for lines a live sale prices */
	sale = sale_new(5, -(SHUFFLE_S + 2));
	snprintf(url, sizeof(url), "/sales/%lld/wait", sale);
	snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":1}", last_code);
	guest(&a);
	guest(&b);
	r = req(&a, "PATCH", "/api/cart", body, 1);
	ck_assert_msg(r->status == 403, "PATCH /api/cart without admission: %ld %s", r->status, r->body);
	j = hresp_json(r);
	err = json_object_get(j, "error");
	ck_assert_str_eq(json_string_value(json_object_get(err, "title")), "Please wait for your turn");
	ck_assert_str_eq(json_string_value(json_object_get(err, "waitUrl")), url);
	json_decref(j);
	hresp_free(r);
	/* the form: a ticket, and the waiting page */
	snprintf(form, sizeof(form), "csrf=%s&itemId=%s&quantity=1", b.csrf, last_code);
	r = browse(&b, "POST", "/cart/add", form);
	ck_assert_int_eq(r->status, 303);
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Location"), url));
	hresp_free(r);
	j = mine(&b, sale, &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	/* a's turn: the token lets the line in */
	json_decref(join(&a, sale, &st));
	t0 = now_ms();
	for (;;) {
		j = mine(&a, sale, &st);
		if (!strcmp(status_of(j), "admitted"))
			break;
		json_decref(j);
		ck_assert_msg(now_ms() - t0 < 8000, "a not admitted");
		usleep(100000);
	}
	snprintf(adm, sizeof(adm), "Shop-Admission: %s", json_string_value(json_object_get(j, "admission")));
	json_decref(j);
	snprintf(cookie, sizeof(cookie), "Cookie: %s", a.cookie);
	snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", a.csrf);
	h[0] = cookie;
	h[1] = csrf;
	h[2] = "Content-Type: application/json";
	h[3] = "Accept: application/json";
	h[4] = adm;
	h[5] = NULL;
	r = http("PATCH", "/api/cart", body, h);
	ck_assert_msg(r->status == 200, "PATCH /api/cart with the admission: %ld %s", r->status, r->body);
	hresp_free(r);
	/* someone else's token is not a's: b with a's admission waits */
	snprintf(cookie, sizeof(cookie), "Cookie: %s", b.cookie);
	snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", b.csrf);
	r = http("PATCH", "/api/cart", body, h);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	/* a's order, declined: its answer is stored under its key, and a
	 * replay of that key is answered with it even without the admission
	 * (as once it has lapsed): the room guards new holds, not answers. */
	{
		char order[700], key[80], amount_body[400];
		const char *addr = "\"shippingAddress\":{\"name\":\"Wait Buyer\",\"line1\":\"1 Main St\","
				   "\"city\":\"Austin\",\"region\":\"TX\",\"postalCode\":\"78701\",\"country\":\"US\"}";
		long long amount;

		snprintf(cookie, sizeof(cookie), "Cookie: %s", a.cookie);
		snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", a.csrf);
		snprintf(amount_body, sizeof(amount_body), "{\"email\":\"wait-%u@example.com\",%s,\"shippingMethod\":\"standard\"}",
			 (unsigned)(getpid() * 7919u + (unsigned)now_ms()), addr);
		r = http("POST", "/api/checkout/quote", amount_body, h);
		ck_assert_msg(r->status == 200, "quote: %ld %s", r->status, r->body);
		j = hresp_json(r);
		amount = json_integer_value(json_object_get(j, "amount"));
		json_decref(j);
		hresp_free(r);
		snprintf(key, sizeof(key), "Idempotency-Key: wait-replay-%u", (unsigned)(getpid() * 7919u + (unsigned)now_ms()));
		snprintf(order, sizeof(order), "{\"email\":\"wait-%u@example.com\",%s,\"shippingMethod\":\"standard\","
			 "\"amount\":%lld,\"paymentMethod\":\"pm_card_chargeDeclined\"}", (unsigned)(getpid() * 7919u + (unsigned)now_ms()), addr, amount);
		h[5] = key;
		h[6] = NULL;
		r = http("POST", "/api/checkout", order, h);
		ck_assert_msg(r->status == 402, "the declined order: %ld %s", r->status, r->body);
		hresp_free(r);
		h[4] = key;	/* the same request, without the admission */
		h[5] = NULL;
		r = http("POST", "/api/checkout", order, h);
		ck_assert_msg(r->status == 402, "the replay without the admission: %ld %s", r->status, r->body);
		hresp_free(r);
	}
}
END_TEST

/* The suite's settings, and the stack's own put back after it (whatever
 * run-tests exported: a variable it set keeps its value). */
static const char *const names[] = {
	"SHOP_SALE_SHUFFLE_S", "SHOP_SALE_ADMIT_RATE", "SHOP_SALE_ADMIT_BATCH_MS", "SHOP_SALE_ADMIT_TTL",
	"SHOP_SALE_ROOM_S", "SHOP_LIMIT_LOOPBACK", "SHOP_BUCKET_CART_BURST", "SHOP_BUCKET_CART_PER_MIN",
	"SHOP_BUCKET_CART_IP_BURST", "SHOP_BUCKET_CART_IP_PER_MIN", NULL
};
static const char *const ours[] = { "1", "4", "250", "3", "120", "1", "3", "6", "6", "6" };

static void settings(int on)
{
	static char *saved[16];

	for (int i = 0; names[i]; i++) {
		if (on) {
			const char *v = getenv(names[i]);

			saved[i] = v ? strdup(v) : NULL;
			setenv(names[i], ours[i], 1);
		} else if (saved[i]) {
			setenv(names[i], saved[i], 1);
		} else {
			unsetenv(names[i]);
		}
	}
	if (stack_cmd("restart-shopd") != 0)
		fprintf(stderr, "test_waitroom: restart-shopd failed\n");
	wait_status("/api/session", 200, 10);
}

int main(void)
{
	Suite *s = suite_create("waitroom");
	TCase *t = tcase_create("waitroom");
	int rc;

	harness_init();
	settings(1);
	tcase_set_timeout(t, 30);
	tcase_add_checked_fixture(t, NULL, sales_end);
	tcase_add_test(t, tickets_api_contract);
	tcase_add_test(t, admission_in_batches_in_arrival_order);
	tcase_add_test(t, first_seconds_in_random_order);
	tcase_add_test(t, lapsed_admission_returns_its_slot);
	tcase_add_test(t, sold_out_at_once);
	tcase_add_test(t, waiting_page_without_javascript);
	tcase_add_test(t, tokens_without_redis_and_the_demand_trigger);
	tcase_add_test(t, cart_needs_an_admission);
	tcase_add_test(t, token_buckets_answer_429);
	suite_add_tcase(s, t);
	rc = run_suite(s);
	settings(0);
	return rc;
}
