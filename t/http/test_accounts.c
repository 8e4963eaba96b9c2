/* t/http: accounts, sessions and CSRF (issue 3). */
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "../../app/http/router.h"
#include "harness.h"

#define PW "correct horse battery"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.300s", (s), (r)->body)

START_TEST(register_signin_me)
{
	struct client cl = {0};
	const char *email = fresh_email("user");
	char q[512];
	struct hresp *r;
	json_t *j;

	ck_assert_int_eq(client_signup(&cl, "Ann Example", email, PW), 0);
	r = client_req(&cl, "GET", "/api/me", NULL, 0);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "email")), email);
	ck_assert_str_eq(json_string_value(json_object_get(j, "name")), "Ann Example");
	ck_assert_str_eq(hresp_header(r, "Cache-Control"), "no-store");
	json_decref(j);
	hresp_free(r);
	snprintf(q, sizeof(q), "SELECT password_hash LIKE '$argon2id$v=19$m=19456,t=2,p=1$%%' FROM users WHERE email = '%s'", email);
	ck_assert_int_eq(sql_scalar(q), 1);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM users WHERE password_hash NOT LIKE '$argon2id$%'"), 0);
}
END_TEST

START_TEST(cookie_attributes)
{
	struct hresp *r = http_get("/api/session");
	const char *sc = hresp_header(r, "Set-Cookie");

	ck_assert_ptr_nonnull(sc);
	ck_assert_ptr_nonnull(strstr(sc, "HttpOnly"));
	ck_assert_ptr_nonnull(strstr(sc, "SameSite=Lax"));
	ck_assert_ptr_nonnull(strstr(sc, "Path=/"));
	/* 256-bit id: 43 base64url characters. */
	ck_assert_int_eq((int)(strchr(sc, ';') - sc), (int)strlen("sid=") + 43);
	hresp_free(r);
}
END_TEST

START_TEST(bad_registration)
{
	struct client cl = {0};
	struct hresp *r;

	ck_assert_int_eq(client_session(&cl), 0);
	r = client_req(&cl, "POST", "/api/users", "{\"name\":\"A\",\"email\":\"a@example.com\",\"password\":\"short\"}", 1);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "12 characters");
	hresp_free(r);
	r = client_req(&cl, "POST", "/api/users", "{\"name\":\"A\",\"email\":\"not-an-email\",\"password\":\"long enough password\"}", 1);
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	r = client_req(&cl, "POST", "/api/users", "{\"email\":\"b@example.com\",\"password\":\"long enough password\"}", 1);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "name");
	hresp_free(r);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM users WHERE email IN ('a@example.com','b@example.com','not-an-email')"), 0);
}
END_TEST

/* Same status and body whether or not the email has an account. */
START_TEST(no_account_enumeration)
{
	struct client a = {0}, b = {0};
	const char *known = strdup(fresh_email("user"));
	struct hresp *r1, *r2;
	char body[512];
	double t1, t2;
	struct timespec s, e;

	ck_assert_int_eq(client_signup(&a, "Known", known, PW), 0);
	ck_assert_int_eq(client_session(&b), 0);
	/* Registration. */
	snprintf(body, sizeof(body), "{\"name\":\"X\",\"email\":\"%s\",\"password\":\"another long password\"}", known);
	r1 = client_req(&b, "POST", "/api/users", body, 1);
	r2 = client_req(&b, "POST", "/api/users", "{\"name\":\"X\",\"email\":\"nobody.at.all@example.com\",\"password\":\"another long password\"}", 1);
	ck_assert_int_eq(r1->status, 201);
	ck_assert_int_eq(r2->status, r1->status);
	ck_assert_ptr_nonnull(strstr(r1->body, "If the address can be used"));
	hresp_free(r1);
	hresp_free(r2);
	/* Sign-in: wrong password vs unknown account. */
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"wrong password 123\"}", known);
	clock_gettime(CLOCK_MONOTONIC, &s);
	r1 = client_req(&b, "POST", "/api/session", body, 1);
	clock_gettime(CLOCK_MONOTONIC, &e);
	t1 = (e.tv_sec - s.tv_sec) * 1e3 + (e.tv_nsec - s.tv_nsec) / 1e6;
	clock_gettime(CLOCK_MONOTONIC, &s);
	r2 = client_req(&b, "POST", "/api/session", "{\"email\":\"ghost@example.com\",\"password\":\"wrong password 123\"}", 1);
	clock_gettime(CLOCK_MONOTONIC, &e);
	t2 = (e.tv_sec - s.tv_sec) * 1e3 + (e.tv_nsec - s.tv_nsec) / 1e6;
	ck_assert_int_eq(r1->status, 401);
	ck_assert_int_eq(r2->status, 401);
	ck_assert_str_eq(r1->body, r2->body);
	/* Reported, not asserted: timing assertions flake on shared machines;
	 * equal cost is by construction (one Argon2 verification either way). */
	fprintf(stderr, "# sign-in timing: wrong password %.1f ms, unknown email %.1f ms\n", t1, t2);
	hresp_free(r1);
	hresp_free(r2);
}
END_TEST

START_TEST(session_rotates_at_signin)
{
	struct client cl = {0};
	const char *email = strdup(fresh_email("user"));
	char before[256];
	struct client old = {0};
	struct hresp *r;

	ck_assert_int_eq(client_signup(&cl, "Rot", email, PW), 0);
	ck_assert_int_eq(client_req(&cl, "DELETE", "/api/session", NULL, 1)->status, 204);
	ck_assert_int_eq(client_session(&cl), 0);
	strcpy(before, cl.cookie);
	ck_assert_int_eq(client_signin(&cl, email, PW), 0);
	ck_assert_str_ne(before, cl.cookie);
	/* The pre-sign-in id is worth nothing now. */
	strcpy(old.cookie, before);
	r = client_req(&old, "GET", "/api/me", NULL, 0);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
	r = client_req(&cl, "GET", "/api/me", NULL, 0);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
}
END_TEST

START_TEST(signout_invalidates)
{
	struct client cl = {0}, stale = {0};
	struct hresp *r;

	ck_assert_int_eq(client_signup(&cl, "Out", fresh_email("user"), PW), 0);
	stale = cl;
	r = client_req(&cl, "DELETE", "/api/session", NULL, 1);
	ck_assert_int_eq(r->status, 204);
	hresp_free(r);
	r = client_req(&stale, "GET", "/api/me", NULL, 0);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
}
END_TEST

START_TEST(account_throttle)
{
	struct client cl = {0};
	const char *email = strdup(fresh_email("user"));
	char body[512];
	struct hresp *r;

	ck_assert_int_eq(client_signup(&cl, "Thr", email, PW), 0);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"not the password!\"}", email);
	for (int i = 0; i < 10; i++) {
		r = client_req(&cl, "POST", "/api/session", body, 1);
		ck_assert_int_eq(r->status, 401);
		hresp_free(r);
	}
	r = client_req(&cl, "POST", "/api/session", body, 1);
	ck_assert_int_eq(r->status, 429);
	ck_assert_ptr_nonnull(hresp_header(r, "Retry-After"));
	ck_assert_int_gt(atoi(hresp_header(r, "Retry-After")), 0);
	hresp_free(r);
	/* Even the right password waits now. */
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", email, PW);
	r = client_req(&cl, "POST", "/api/session", body, 1);
	ck_assert_int_eq(r->status, 429);
	hresp_free(r);
}
END_TEST

START_TEST(register_throttle_per_ip)
{
	struct client cl = {0};
	char body[512];
	struct hresp *r;

	ck_assert_int_eq(client_session(&cl), 0);
	/* 50 registrations per address and hour (issue 15, bug 9: it was 10,
	 * failed attempts included, which locked out offices and carriers). */
	for (int i = 0; i < 51; i++) {
		snprintf(body, sizeof(body), "{\"name\":\"T\",\"email\":\"%s\",\"password\":\"long enough password\"}", fresh_email("user"));
		r = client_req(&cl, "POST", "/api/users", body, 1);
		ck_assert_int_eq(r->status, i < 50 ? 201 : 429);
		hresp_free(r);
	}
}
END_TEST

START_TEST(password_change_ends_other_sessions)
{
	struct client a = {0}, b = {0}, stale;
	const char *email = strdup(fresh_email("user"));
	char body[512];
	struct hresp *r;

	ck_assert_int_eq(client_signup(&a, "Pw", email, PW), 0);
	ck_assert_int_eq(client_signin(&b, email, PW), 0);
	stale = a;
	snprintf(body, sizeof(body), "{\"current\":\"%s\",\"password\":\"a brand new password\"}", PW);
	r = client_req(&a, "POST", "/api/me/password", body, 1);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	ck_assert_str_ne(stale.cookie, a.cookie);
	r = client_req(&a, "GET", "/api/me", NULL, 0);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	r = client_req(&b, "GET", "/api/me", NULL, 0);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
	r = client_req(&stale, "GET", "/api/me", NULL, 0);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
	memset(&b, 0, sizeof(b));	/* a new visit: the old session is gone */
	ck_assert_int_eq(client_signin(&b, email, "a brand new password"), 0);
}
END_TEST

START_TEST(rehash_on_signin)
{
	struct client cl = {0};
	const char *email = strdup(fresh_email("user"));
	char weak[crypto_pwhash_STRBYTES], q[1024];

	ck_assert_int_eq(client_signup(&cl, "Re", email, PW), 0);
	ck_assert_int_eq(crypto_pwhash_str_alg(weak, PW, strlen(PW), 1, 8u << 20, crypto_pwhash_ALG_ARGON2ID13), 0);
	snprintf(q, sizeof(q), "UPDATE users SET password_hash = '%s' WHERE email = '%s'", weak, email);
	ck_assert_int_eq(sql_exec(q), 0);
	memset(&cl, 0, sizeof(cl));
	ck_assert_int_eq(client_signin(&cl, email, PW), 0);
	snprintf(q, sizeof(q), "SELECT password_hash LIKE '%%m=19456,t=2,p=1%%' FROM users WHERE email = '%s'", email);
	ck_assert_int_eq(sql_scalar(q), 1);
}
END_TEST

/* Every route that changes state refuses a missing or wrong token with 403,
 * for a user whose roles pass every role check. The list comes from the route
 * table, so new routes are covered without touching this test. */
START_TEST(csrf_on_every_state_changing_route)
{
	struct client cl = {0};
	const char *email = strdup(fresh_email("user"));
	char q[512];
	int checked = 0;

	ck_assert_int_eq(client_signup(&cl, "Csrf", email, PW), 0);
	snprintf(q, sizeof(q), "UPDATE users SET is_admin = 1, is_seller = 1 WHERE email = '%s'", email);
	ck_assert_int_eq(sql_exec(q), 0);
	ck_assert_int_eq(client_session(&cl), 0);	/* picks up the rotated id */
	for (size_t i = 0; i < nroutes; i++) {
		const char *methods[] = { "POST", "PUT", "PATCH", "DELETE" };
		const unsigned bits[] = { M_POST, M_PUT, M_PATCH, M_DELETE };
		char path[512], *p = path;

		if (!(routes[i].flags & RF_CSRF))
			continue;
		for (const char *s = routes[i].pattern; *s; s++) {
			if (*s == '{') {
				*p++ = '1';
				s = strchr(s, '}');
			} else {
				*p++ = *s;
			}
		}
		*p = '\0';
		for (int m = 0; m < 4; m++) {
			struct hresp *r;
			char saved[128];

			if (!(routes[i].methods & bits[m]))
				continue;
			r = client_req(&cl, methods[m], path, "{}", 0);
			ck_assert_msg(r->status == 403, "%s %s without token: %ld", methods[m], path, r->status);
			hresp_free(r);
			strcpy(saved, cl.csrf);
			strcpy(cl.csrf, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
			r = client_req(&cl, methods[m], path, "{}", 1);
			strcpy(cl.csrf, saved);
			ck_assert_msg(r->status == 403, "%s %s with a wrong token: %ld", methods[m], path, r->status);
			hresp_free(r);
			checked++;
		}
	}
	ck_assert_int_ge(checked, 10);
	/* A cross-site request is refused even with the right token. */
	{
		static char cookie[300], token[200];
		const char *h[] = { "Content-Type: application/json", cookie, token,
				    "Origin: http://evil.example", NULL };
		struct hresp *r;

		snprintf(cookie, sizeof(cookie), "Cookie: %s", cl.cookie);
		snprintf(token, sizeof(token), "X-CSRF-Token: %s", cl.csrf);
		r = http("POST", "/api/me/addresses", "{\"name\":\"x\"}", h);
		ck_assert_int_eq(r->status, 403);
		hresp_free(r);
	}
}
END_TEST

START_TEST(html_signin_flow)
{
	struct client cl = {0};
	const char *email = strdup(fresh_email("user"));
	char body[512], token[128] = "";
	struct hresp *r;
	const char *p;

	ck_assert_int_eq(client_signup(&cl, "Html", email, PW), 0);
	memset(&cl, 0, sizeof(cl));
	r = http_get("/account");
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(hresp_header(r, "Location"), "/signin?next=%2Faccount");
	hresp_free(r);
	r = client_req(&cl, "GET", "/signin?next=/account", NULL, 0);
	/* client_req asks for JSON; the form page gives its token either way. */
	ck_assert_int_eq(r->status, 200);
	p = strstr(r->body, "\"csrf\":\"");
	ck_assert_ptr_nonnull(p);
	sscanf(p + 8, "%127[^\"]", token);
	hresp_free(r);
	{
		char cookie[300];
		const char *h[] = { "Content-Type: application/x-www-form-urlencoded", cookie, NULL };

		snprintf(cookie, sizeof(cookie), "Cookie: %s", cl.cookie);
		snprintf(body, sizeof(body), "email=%s&password=%s&next=/account&csrf=%s", email, "correct+horse+battery", token);
		r = http("POST", "/signin", body, h);
		ck_assert_int_eq(r->status, 303);
		ck_assert_str_eq(hresp_header(r, "Location"), "/account");
		hresp_free(r);
	}
}
END_TEST

START_TEST(redis_flush_signs_out_only)
{
	struct client cl = {0};
	struct hresp *r;

	ck_assert_int_eq(client_signup(&cl, "Flush", fresh_email("user"), PW), 0);
	redis_cmd("FLUSHALL");
	r = client_req(&cl, "GET", "/api/me", NULL, 0);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
	r = http_get("/p/iphone-x");
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	memset(&cl, 0, sizeof(cl));
	ck_assert_int_eq(client_session(&cl), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-accounts");
	TCase *tc = tcase_create("accounts");

	harness_init();
	if (sodium_init() < 0)
		return 1;
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, clear_ip_throttles, NULL);
	tcase_add_test(tc, register_signin_me);
	tcase_add_test(tc, cookie_attributes);
	tcase_add_test(tc, bad_registration);
	tcase_add_test(tc, no_account_enumeration);
	tcase_add_test(tc, session_rotates_at_signin);
	tcase_add_test(tc, signout_invalidates);
	tcase_add_test(tc, account_throttle);
	tcase_add_test(tc, register_throttle_per_ip);
	tcase_add_test(tc, password_change_ends_other_sessions);
	tcase_add_test(tc, rehash_on_signin);
	tcase_add_test(tc, csrf_on_every_state_changing_route);
	tcase_add_test(tc, html_signin_flow);
	tcase_add_test(tc, redis_flush_signs_out_only);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
