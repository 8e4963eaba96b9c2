/* nginx's limit_req zones (conf/nginx.conf, "rate limits"), proven on
 * loopback: the test stack's nginx exempts 127.0.0.1 (so benchmarks measure
 * the shop), and SHOP_LIMIT_LOOPBACK=1 makes it limit loopback like any
 * client. The suite restarts nginx with it, floods, and restarts nginx as
 * the stack had it. A 429 counted here is nginx's own (its error page,
 * static/errors/429.html: "Slow down a little"), not shopd's buckets
 * (app/waitroom), which answer "Too many requests". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>
#include "harness.h"

/* n requests as fast as one client sends them: how many nginx refused. */
static int flood(const char *method, const char *path, int n, int *shop_429)
{
	int refused = 0;

	*shop_429 = 0;
	for (int i = 0; i < n; i++) {
		struct hresp *r = http(method, path, method[0] == 'P' ? "{}" : NULL, NULL);

		if (r->status == 429) {
			if (r->body && strstr(r->body, "Slow down a little"))
				refused++;
			else
				(*shop_429)++;
		}
		hresp_free(r);
	}
	return refused;
}

static void nginx_with(int limited)
{
	if (limited)
		setenv("SHOP_LIMIT_LOOPBACK", "1", 1);
	else
		unsetenv("SHOP_LIMIT_LOOPBACK");
	ck_assert_int_eq(stack_cmd("restart-nginx"), 0);
	ck_assert(wait_status("/api/session", 200, 10));
}

START_TEST(loopback_exempt_by_default)
{
	int shop;

	nginx_with(0);
	ck_assert_int_eq(flood("GET", "/api/session", 80, &shop), 0);
	ck_assert_int_eq(flood("POST", "/api/cart/items", 40, &shop), 0);
	ck_assert_int_eq(flood("POST", "/api/sales/1/tickets", 16, &shop), 0);
}
END_TEST

START_TEST(loopback_limited_when_asked)
{
	int shop, n;

	nginx_with(1);
	/* "dynamic": 20 r/s, burst 40: a quick run of 80 goes past it */
	n = flood("GET", "/api/session", 80, &shop);
	ck_assert_msg(n >= 20, "nginx refused %d of 80 quick GETs", n);
	ck_assert_int_eq(shop, 0);
	/* "writes": 5 r/s, burst 20, on top: fresh zones after a second */
	sleep(3);
	n = flood("POST", "/api/cart/items", 40, &shop);
	ck_assert_msg(n >= 10, "nginx refused %d of 40 quick POSTs", n);
	ck_assert_int_eq(shop, 0);
	/* "tickets": 1 r/s, burst 10, for taking a place in a sale's line */
	sleep(5);
	n = flood("POST", "/api/sales/1/tickets", 16, &shop);
	ck_assert_msg(n >= 4, "nginx refused %d of 16 quick ticket requests", n);
	ck_assert_int_eq(shop, 0);
	nginx_with(0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("limits");
	TCase *t = tcase_create("limits");
	int rc;

	const char *was = getenv("SHOP_LIMIT_LOOPBACK");
	char *orig = was ? strdup(was) : NULL;

	harness_init();
	tcase_set_timeout(t, 30);
	tcase_add_test(t, loopback_exempt_by_default);
	tcase_add_test(t, loopback_limited_when_asked);
	suite_add_tcase(s, t);
	rc = run_suite(s);
	/* whatever happened above, the stack's nginx as it was */
	if (orig)
		setenv("SHOP_LIMIT_LOOPBACK", orig, 1);
	else
		unsetenv("SHOP_LIMIT_LOOPBACK");
	stack_cmd("restart-nginx");
	wait_status("/api/session", 200, 10);
	return rc;
}
