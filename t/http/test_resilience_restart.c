/* t/http: a planned restart loses nothing. Redis holds what may be lost
 * (sessions, guest carts), but `make stop` then `make run` (or a deploy)
 * must not sign shoppers out or empty guest carts: Redis keeps an
 * append-only file (scripts/stack). A crash must not bring back what was
 * deleted (a signed-out session), and a data file Redis cannot read is
 * moved aside so that Redis starts, empty. (A FLUSHALL leaving the shop
 * working is tested in test_accounts and test_cart.) These stop servers,
 * so the runner runs them after the other suites. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"

#define PW "correct horse battery"
#define SKU_A "BEA-ESS-ESS-001"

static long me_status(struct client *cl, long long *id)
{
	struct hresp *r = client_req(cl, "GET", "/api/me", NULL, 0);
	long s = r->status;

	if (id) {
		json_t *j = hresp_json(r);

		*id = json_integer_value(json_object_get(j, "id"));
		json_decref(j);
	}
	hresp_free(r);
	return s;
}

static long long qty_of(struct client *cl, const char *sku)
{
	struct hresp *r = client_req(cl, "GET", "/api/cart", NULL, 0);
	json_t *j = hresp_json(r), *l;
	long long q = 0;
	size_t i;

	ck_assert_msg(r->status == 200, "GET /api/cart: %ld %s", r->status, r->body);
	json_array_foreach(json_object_get(j, "items"), i, l)
		if (!strcmp(json_string_value(json_object_get(l, "itemId")), sku))
			q = json_integer_value(json_object_get(l, "quantity"));
	json_decref(j);
	hresp_free(r);
	return q;
}

static void shopper(struct client *cl, long long *id)
{
	memset(cl, 0, sizeof(*cl));
	ck_assert_int_eq(client_signup(cl, "Rita Restart", fresh_email("restart"), PW), 0);
	ck_assert_int_eq(me_status(cl, id), 200);
}

static void guest_with_line(struct client *g, int q)
{
	memset(g, 0, sizeof(*g));
	ck_assert_int_eq(client_session(g), 0);
	cart_put(g, SKU_A, q);
	ck_assert_int_eq(qty_of(g, SKU_A), q);
}

static int redis_pid(void)
{
	char path[4096];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/run/redis.pid", getenv("SHOP_HOME"));
	if ((f = fopen(path, "r"))) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

/* SIGKILL to Redis (a crash: nothing written at exit), then waits until
 * it is gone. */
static void crash_redis(void)
{
	int pid = redis_pid();

	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
		usleep(50000);
}

START_TEST(planned_restart_keeps_sessions_and_guest_carts)
{
	struct client u, g;
	long long id, id_after = 0;
	struct hresp *r;

	shopper(&u, &id);
	guest_with_line(&g, 3);
	ck_assert_int_eq(stack_cmd("stop"), 0);
	ck_assert_int_eq(stack_cmd("start"), 0);
	ck_assert(wait_status("/healthz", 200, 10));
	/* The same cookie is the same signed-in person. */
	ck_assert_int_eq(me_status(&u, &id_after), 200);
	ck_assert_int_eq(id_after, id);
	/* The guest's cart still has its line, and the session's CSRF token
	 * still works. */
	ck_assert_int_eq(qty_of(&g, SKU_A), 3);
	cart_put(&g, SKU_A, 4);
	ck_assert_int_eq(qty_of(&g, SKU_A), 4);
	r = client_req(&u, "POST", "/api/me/addresses",
		       "{\"name\":\"Rita Restart\",\"line1\":\"1 Main St\",\"city\":\"Austin\","
		       "\"region\":\"TX\",\"postalCode\":\"78701\",\"country\":\"US\"}", 1);
	ck_assert_msg(r->status == 201, "after the restart: %ld %s", r->status, r->body);
	hresp_free(r);

	/* Redis alone, as a deploy might restart it. */
	ck_assert_int_eq(stack_cmd("restart-redis"), 0);
	ck_assert(wait_status("/healthz", 200, 10));
	ck_assert_int_eq(me_status(&u, NULL), 200);
	ck_assert_int_eq(qty_of(&g, SKU_A), 4);
}
END_TEST

/* A crash loses at most the last second of writes and never brings back
 * what was deleted: a signed-out session stays signed out (a snapshot
 * taken at the last planned stop would revive it). */
START_TEST(crash_does_not_revive_signed_out_session)
{
	struct client u, stay, g;
	struct hresp *r;

	shopper(&u, NULL);
	shopper(&stay, NULL);
	guest_with_line(&g, 2);
	/* A planned restart first: whatever it keeps is from before the
	 * sign-out below. */
	ck_assert_int_eq(stack_cmd("restart-redis"), 0);
	ck_assert(wait_status("/healthz", 200, 10));
	ck_assert_int_eq(me_status(&u, NULL), 200);
	r = client_req(&u, "DELETE", "/api/session", NULL, 1);
	ck_assert_int_eq(r->status, 204);
	hresp_free(r);
	/* The guest empties the cart. */
	r = client_req(&g, "DELETE", "/api/cart", NULL, 1);
	ck_assert_msg(r->status == 200 || r->status == 204, "DELETE /api/cart: %ld %s", r->status, r->body);
	hresp_free(r);
	sleep(2);	/* appendfsync everysec */
	crash_redis();
	ck_assert_int_eq(stack_cmd("start-redis"), 0);
	ck_assert(wait_status("/healthz", 200, 10));
	/* The cookie kept by the signed-out browser is worth nothing. */
	{
		char saved[256];

		snprintf(saved, sizeof(saved), "%s", u.cookie);
		ck_assert(saved[0] == '\0' || me_status(&u, NULL) == 401);
	}
	ck_assert_int_eq(me_status(&stay, NULL), 200);
	ck_assert_int_eq(qty_of(&g, SKU_A), 0);
}
END_TEST

/* The first file of the append-only directory whose name ends with
 * suffix, into out; 0 when found. */
static int aof_file(const char *suffix, char *out, size_t n)
{
	char dir[1024];
	DIR *d;
	struct dirent *e;
	int rc = -1;

	snprintf(dir, sizeof(dir), "%s/redis/appendonlydir", getenv("SHOP_HOME"));
	if (!(d = opendir(dir)))
		return -1;
	while (rc && (e = readdir(d))) {
		size_t l = strlen(e->d_name), s = strlen(suffix);

		if (l > s && !strcmp(e->d_name + l - s, suffix)) {
			snprintf(out, n, "%.1024s/%.256s", dir, e->d_name);
			rc = 0;
		}
	}
	closedir(d);
	return rc;
}

static int unreadable_dirs(void)
{
	char dir[4096];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/redis", getenv("SHOP_HOME"));
	if (!(d = opendir(dir)))
		return 0;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "unreadable-", 11);
	closedir(d);
	return n;
}

/* Redis refuses to start on a file it cannot read. The stack moves the
 * files aside (kept for a look) and starts Redis empty: everyone is signed
 * out, guest carts are empty, the shop works. */
START_TEST(unreadable_file_starts_empty)
{
	struct client u, g;
	char path[4096], email[128];
	FILE *f;
	int before = unreadable_dirs();

	memset(&u, 0, sizeof(u));
	snprintf(email, sizeof(email), "%s", fresh_email("restart"));
	ck_assert_int_eq(client_signup(&u, "Rita Restart", email, PW), 0);
	guest_with_line(&g, 1);
	ck_assert_int_eq(stack_cmd("stop-redis"), 0);
	ck_assert_int_eq(aof_file(".incr.aof", path, sizeof(path)), 0);
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs("this is not a redis command\r\n*3\r\n$3\r\nSET\r\n", f);
	fclose(f);
	/* Redis itself refuses this file. */
	{
		char cmd[8192];

		snprintf(cmd, sizeof(cmd), "redis-check-aof %s/redis/appendonlydir/*.manifest >/dev/null 2>&1",
			 getenv("SHOP_HOME"));
		ck_assert_int_ne(system(cmd), 0);
	}
	ck_assert_int_eq(stack_cmd("start-redis"), 0);
	ck_assert(wait_status("/healthz", 200, 10));
	ck_assert_int_eq(unreadable_dirs(), before + 1);
	/* Empty: signed out, no guest cart; and everything works again. */
	ck_assert_int_eq(me_status(&u, NULL), 401);
	ck_assert_int_eq(qty_of(&g, SKU_A), 0);
	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(client_signin(&u, email, PW), 0);
	ck_assert_int_eq(me_status(&u, NULL), 200);
	guest_with_line(&g, 2);
	/* And the new file is kept over the next restart. */
	ck_assert_int_eq(stack_cmd("restart-redis"), 0);
	ck_assert(wait_status("/healthz", 200, 10));
	ck_assert_int_eq(me_status(&u, NULL), 200);
	ck_assert_int_eq(qty_of(&g, SKU_A), 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-resilience-restart");
	TCase *tc = tcase_create("restart");

	harness_init();
	tcase_set_timeout(tc, 180);
	tcase_add_checked_fixture(tc, clear_ip_throttles, NULL);
	tcase_add_test(tc, planned_restart_keeps_sessions_and_guest_carts);
	tcase_add_test(tc, crash_does_not_revive_signed_out_session);
	tcase_add_test(tc, unreadable_file_starts_empty);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
