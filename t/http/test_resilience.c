/* t/http: the stack survives its parts failing. MariaDB and Redis restart
 * while shopd keeps running; a worker killed with SIGKILL is replaced. These
 * run last: they stop servers. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"

static int worker_pids(int *pids, int max)
{
	char cmd[4096], line[64];
	FILE *f;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "pgrep -P $(cat %s/run/shopd.pid)", getenv("SHOP_HOME"));
	f = popen(cmd, "r");
	while (f && n < max && fgets(line, sizeof(line), f))
		pids[n++] = atoi(line);
	if (f)
		pclose(f);
	return n;
}

START_TEST(worker_killed_is_replaced)
{
	int before[64], after[64], nb, na = 0;

	nb = worker_pids(before, 64);
	ck_assert_int_ge(nb, 1);
	ck_assert_int_eq(kill(before[0], SIGKILL), 0);
	for (int i = 0; i < 50; i++) {
		usleep(100000);
		na = worker_pids(after, 64);
		if (na == nb)
			break;
	}
	ck_assert_int_eq(na, nb);
	for (int i = 0; i < na; i++)
		ck_assert_int_ne(after[i], before[0]);
	/* And every request keeps being answered. */
	for (int i = 0; i < 20; i++) {
		struct hresp *r = http_get("/p/iphone-x");

		ck_assert_int_eq(r->status, 200);
		hresp_free(r);
	}
}
END_TEST

START_TEST(mariadb_restart)
{
	struct hresp *r;
	char fresh[64];

	ck_assert_int_eq(stack_cmd("stop-db"), 0);
	/* During the outage: a friendly 503 page, not a 500 or a hang. The
	 * query string makes a URL nginx has never cached: its microcache may
	 * rightly serve a stale copy of a page it has seen while shopd answers
	 * 503. */
	snprintf(fresh, sizeof(fresh), "/p/iphone-6?outage=%d.%ld", (int)getpid(), (long)time(NULL));
	r = http_get(fresh);
	ck_assert_int_eq(r->status, 503);
	ck_assert_ptr_nonnull(strstr(r->body, "catching its breath"));
	hresp_free(r);
	snprintf(fresh, sizeof(fresh), "/api/items/2?outage=%d.%ld", (int)getpid(), (long)time(NULL));
	r = http_get_json(fresh);
	ck_assert_int_eq(r->status, 503);
	hresp_free(r);
	r = http_get("/healthz");
	ck_assert_int_eq(r->status, 503);
	hresp_free(r);
	ck_assert_int_eq(stack_cmd("start-db"), 0);
	/* The next request after recovery succeeds, on the same shopd. */
	r = http_get("/p/iphone-6");
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	ck_assert(wait_status("/healthz", 200, 10));
	for (int i = 0; i < 10; i++) {
		r = http_get_json("/api/items/2");
		ck_assert_int_eq(r->status, 200);
		hresp_free(r);
	}
}
END_TEST

START_TEST(redis_restart)
{
	struct hresp *r;

	struct client had = {0};

	ck_assert_int_eq(client_session(&had), 0);	/* a visitor with a session */
	ck_assert_int_eq(stack_cmd("stop-redis"), 0);
	r = http_get("/healthz");
	ck_assert_int_eq(r->status, 503);
	hresp_free(r);
	/* Catalog pages do not need Redis. */
	r = http_get("/p/iphone-6");
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	r = client_req(&had, "GET", "/p/iphone-6", NULL, 0);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	/* A write that needs the session it names is told to try again, not
	 * that its token is missing (403) as if it had none. */
	r = client_req(&had, "PATCH", "/api/cart", "{\"itemId\": \"x\", \"quantity\": 1}", 1);
	ck_assert_msg(r->status == 503, "a write while Redis is away: %ld %s", r->status, r->body);
	ck_assert_ptr_nonnull(hresp_header(r, "Retry-After"));
	hresp_free(r);
	ck_assert_int_eq(stack_cmd("start-redis"), 0);
	ck_assert(wait_status("/healthz", 200, 10));
	/* Every worker's connection to the old Redis is dead; the first
	 * request each worker serves must still find its session (each
	 * client here starts a new one) and its token. A post
	 * with a wrong password answers 401, not 403 (no session) or 503. */
	clear_ip_throttles();
	for (int i = 0; i < 16; i++) {
		struct client cl = {0};
		char body[300];

		ck_assert_int_eq(client_session(&cl), 0);
		snprintf(body, sizeof(body), "{\"email\": \"%s\", \"password\": \"not the password\"}",
			 fresh_email("nobody"));
		r = client_req(&cl, "POST", "/api/session", body, 1);
		ck_assert_msg(r->status == 401, "after a Redis restart: %ld %s", r->status, r->body);
		hresp_free(r);
	}
	clear_ip_throttles();
}
END_TEST

/* SIGHUP: a new generation of workers takes over; requests keep being
 * answered throughout. */
START_TEST(graceful_reload)
{
	int before[64], after[64], nb, na = 0, replaced = 0;
	char cmd[4096];

	nb = worker_pids(before, 64);
	ck_assert_int_ge(nb, 1);
	snprintf(cmd, sizeof(cmd), "kill -HUP $(cat %s/run/shopd.pid)", getenv("SHOP_HOME"));
	ck_assert_int_eq(system(cmd), 0);
	for (int i = 0; i < 100 && !replaced; i++) {
		struct hresp *r = http_get("/healthz");	/* never cached */

		ck_assert_int_eq(r->status, 200);
		hresp_free(r);
		usleep(50000);
		na = worker_pids(after, 64);
		replaced = na == nb;
		for (int a = 0; a < na && replaced; a++)
			for (int b = 0; b < nb; b++)
				if (after[a] == before[b])
					replaced = 0;
	}
	ck_assert_msg(replaced, "workers were not replaced after SIGHUP");
}
END_TEST

/* The FastCGI hosting convention (spawn-fcgi, mod_fcgid): the listening
 * socket arrives on fd 0 and shopd serves on it. */
START_TEST(fastcgi_hosting_convention)
{
	char cmd[4096];
	const char *root = getenv("SHOP_ROOT") ? getenv("SHOP_ROOT") : ".";

	snprintf(cmd, sizeof(cmd),
		 "sock=$(mktemp -u /tmp/shop-fd0.XXXXXX); "
		 "env -u SHOP_SOCKET SHOP_WORKERS=1 spawn-fcgi -s $sock -M 0600 -P $sock.pid -- %s/bin/shopd >/dev/null 2>&1 || exit 2; "
		 "rc=1; for i in $(seq 50); do "
		 "REQUEST_METHOD=GET REQUEST_URI=/robots.txt SCRIPT_NAME=/robots.txt cgi-fcgi -bind -connect $sock 2>/dev/null "
		 "| grep -q '^Sitemap:' && { rc=0; break; }; sleep 0.1; done; "
		 "kill $(cat $sock.pid) 2>/dev/null; rm -f $sock $sock.pid; exit $rc", root);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-resilience");
	TCase *tc = tcase_create("resilience");

	harness_init();
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, fastcgi_hosting_convention);
	tcase_add_test(tc, graceful_reload);
	tcase_add_test(tc, worker_killed_is_replaced);
	tcase_add_test(tc, mariadb_restart);
	tcase_add_test(tc, redis_restart);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
