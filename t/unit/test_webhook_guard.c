/* Unit tests of the webhooks' SSRF guard (app/webhook/guard.c) with
 * private addresses not allowed, as in production (the test stacks allow
 * them, SHOP_WEBHOOK_ALLOW_PRIVATE=1, so that a receiver on loopback can
 * be used), and of the delivery signature (sig_sign against sig_verify). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "../../app/core/arena.h"
#include "../../app/core/sig.h"
#include "../../app/webhook/guard.h"

static struct arena *A;

static void setup(void) { A = arena_new(4096); }
static void teardown(void) { arena_destroy(A); }

static int blocked(const char *text)
{
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;

	memset(&v4, 0, sizeof(v4));
	memset(&v6, 0, sizeof(v6));
	if (inet_pton(AF_INET, text, &v4.sin_addr) == 1) {
		v4.sin_family = AF_INET;
		return webhook_addr_blocked((struct sockaddr *)&v4);
	}
	ck_assert_msg(inet_pton(AF_INET6, text, &v6.sin6_addr) == 1, "not an address: %s", text);
	v6.sin6_family = AF_INET6;
	return webhook_addr_blocked((struct sockaddr *)&v6);
}

static const struct { const char *addr; int blocked; } addrs[] = {
	{ "127.0.0.1", 1 }, { "127.255.0.9", 1 }, { "0.0.0.0", 1 }, { "10.1.2.3", 1 },
	{ "172.16.0.1", 1 }, { "172.31.255.255", 1 }, { "172.32.0.1", 0 }, { "192.168.1.1", 1 },
	{ "169.254.169.254", 1 }, { "100.64.0.1", 1 }, { "100.127.255.254", 1 }, { "100.128.0.1", 0 },
	{ "224.0.0.1", 1 }, { "239.255.255.250", 1 }, { "255.255.255.255", 1 }, { "240.0.0.1", 1 },
	{ "198.18.0.1", 1 }, { "192.0.0.8", 1 },
	{ "8.8.8.8", 0 }, { "93.184.216.34", 0 }, { "1.1.1.1", 0 }, { "11.0.0.1", 0 }, { "192.169.0.1", 0 },
	{ "::", 1 }, { "::1", 1 }, { "fc00::1", 1 }, { "fd12:3456::1", 1 }, { "fe80::1", 1 }, { "febf::1", 1 },
	{ "fec0::1", 1 }, { "ff02::1", 1 }, { "::ffff:127.0.0.1", 1 }, { "::ffff:10.0.0.1", 1 },
	{ "::ffff:8.8.8.8", 0 }, { "64:ff9b::a00:1", 1 }, { "2002:7f00:1::", 1 }, { "2002:808:808::", 0 },
	{ "::127.0.0.1", 1 }, { "2001:4860:4860::8888", 0 }, { "2606:4700::1111", 0 },
};

START_TEST(address_ranges)
{
	ck_assert_msg(blocked(addrs[_i].addr) == addrs[_i].blocked, "%s should be %s", addrs[_i].addr,
		      addrs[_i].blocked ? "refused" : "allowed");
}
END_TEST

/* URLs refused without DNS: their shape, or a literal private address, or
 * a name that resolves to one (localhost, from /etc/hosts). */
static const struct { const char *url; const char *why; } refused[] = {
	{ "ftp://example.com/x", "http://" }, { "file:///etc/passwd", "http://" },
	{ "gopher://127.0.0.1:6379/_FLUSHALL", "http://" }, { "example.com/hook", "valid absolute URL" },
	{ "http://user:pw@example.com/", "user name" }, { "", "empty" },
	{ "http://exa mple.com/", "spaces" }, { "http://127.0.0.1:8080/hook", "private" },
	{ "http://localhost/hook", "private" }, { "https://10.0.0.5/", "private" },
	{ "http://[::1]:9000/", "private" }, { "http://[fd00::5]/", "private" },
	{ "http://169.254.169.254/latest/meta-data/", "private" }, { "http://0.0.0.0/", "private" },
	{ "http://[::ffff:127.0.0.1]/", "private" }, { "http://2130706433/", "private" },
	{ "http://0x7f000001/", "private" }, { "http://100.64.1.1/", "private" },
};

START_TEST(urls_refused)
{
	struct webhook_target t;
	const char *why = NULL;
	enum err e = webhook_target_resolve(A, refused[_i].url, 0, &t, &why);

	ck_assert_msg(e == E_INVAL, "%s: not refused (%d)", refused[_i].url, (int)e);
	ck_assert_msg(why && strstr(why, refused[_i].why), "%s: %s", refused[_i].url, why ? why : "(none)");
	ck_assert(!strncmp(why, "url: ", 5));
}
END_TEST

START_TEST(private_allowed_when_configured)
{
	struct webhook_target t;
	const char *why = NULL;

	ck_assert_int_eq(webhook_target_resolve(A, "http://127.0.0.1:8080/hook", 1, &t, &why), E_OK);
	ck_assert_str_eq(t.addr, "127.0.0.1");
	ck_assert_int_eq(t.port, 8080);
	ck_assert_int_eq(t.literal, 1);
	ck_assert_int_eq(webhook_target_resolve(A, "http://[::1]/x", 1, &t, &why), E_OK);
	ck_assert_str_eq(t.addr, "::1");
	ck_assert_int_eq(t.port, 80);
	/* the scheme is never waived */
	ck_assert_int_eq(webhook_target_resolve(A, "ftp://127.0.0.1/", 1, &t, &why), E_INVAL);
	ck_assert_ptr_null(webhook_url_shape(A, "https://hooks.example.com/shop?x=1"));
	ck_assert_ptr_nonnull(webhook_url_shape(A, "javascript:alert(1)"));
}
END_TEST

START_TEST(public_literal_allowed)
{
	struct webhook_target t;
	const char *why = NULL;

	ck_assert_int_eq(webhook_target_resolve(A, "https://93.184.216.34/hook", 0, &t, &why), E_OK);
	ck_assert_str_eq(t.addr, "93.184.216.34");
	ck_assert_int_eq(t.port, 443);
}
END_TEST

START_TEST(signature_roundtrip)
{
	const char *body = "{\"id\":7,\"type\":\"OrderConfirmed\"}";
	char h[SIG_HEADER_MAX];

	sig_sign("whsec_abc", 1700000000, body, strlen(body), h, sizeof(h));
	ck_assert(!strncmp(h, "t=1700000000,v1=", 16));
	ck_assert_int_eq(strlen(h), 16 + 64);
	ck_assert_int_eq(sig_verify("whsec_abc", h, body, strlen(body), 1700000010, 300), 0);
	ck_assert_int_eq(sig_verify("whsec_abd", h, body, strlen(body), 1700000010, 300), -1);
	ck_assert_int_eq(sig_verify("whsec_abc", h, "{}", 2, 1700000010, 300), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("webhook_guard");
	TCase *tc = tcase_create("guard");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, address_ranges, 0, sizeof(addrs) / sizeof(addrs[0]));
	tcase_add_loop_test(tc, urls_refused, 0, sizeof(refused) / sizeof(refused[0]));
	tcase_add_test(tc, private_allowed_when_configured);
	tcase_add_test(tc, public_literal_allowed);
	tcase_add_test(tc, signature_roundtrip);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
