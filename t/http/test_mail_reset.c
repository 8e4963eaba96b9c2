/* t/http: "forgot password" end to end through the mail outbox, the jobs
 * process and the maildir (issue 3). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"

#define PW "correct horse battery"
#define PW2 "a brand new password 42"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.300s", (s), (r)->body)

/* ---- a browser: HTML pages and form posts with the session cookie ---- */

/* The value of the page's hidden csrf field, into cl->csrf. */
static void take_form_csrf(struct client *cl, const struct hresp *r)
{
	const char *p = strstr(r->body, "name=\"csrf\" value=\"");

	ck_assert_msg(p != NULL, "no csrf field: %.300s", r->body);
	p += strlen("name=\"csrf\" value=\"");
	snprintf(cl->csrf, sizeof(cl->csrf), "%.*s", (int)strcspn(p, "\""), p);
}

/* ---- the maildir ---- */

/* The token of the reset link in the mail to `to` (static buffer). */
static const char *wait_for_token(const char *to, char **mail)
{
	static char token[128];
	char *m = maildir_wait(to, "/reset?token=", 5), *p;

	ck_assert_msg(m != NULL, "no reset mail for %s in 5 s", to);
	p = strstr(m, "/reset?token=") + strlen("/reset?token=");
	snprintf(token, sizeof(token), "%.*s", (int)strspn(p,
		 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), p);
	if (mail)
		*mail = m;
	else
		free(m);
	return token;
}

static struct hresp *ask_reset(struct client *cl, const char *email)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
	return client_req(cl, "POST", "/api/password-resets", body, 1);
}

static double ms_since(const struct timespec *s)
{
	struct timespec e;

	clock_gettime(CLOCK_MONOTONIC, &e);
	return (double)(e.tv_sec - s->tv_sec) * 1e3 + (double)(e.tv_nsec - s->tv_nsec) / 1e6;
}

/* ---- tests ---- */

START_TEST(reset_flow_json)
{
	struct client cl = {0}, old, guest = {0}, fresh = {0};
	char email[128], q[512], body[512], path[256], *mail = NULL;
	const char *token;
	struct hresp *r;

	clear_ip_throttles();
	snprintf(email, sizeof(email), "%s", fresh_email("user"));
	ck_assert_int_eq(client_signup(&cl, "Rita Reset", email, PW), 0);
	old = cl;	/* a session from before the reset */

	ck_assert_int_eq(client_session(&guest), 0);
	r = ask_reset(&guest, email);
	ck_assert_int_eq(r->status, 202);
	HAS(r, "If an account exists");
	hresp_free(r);

	token = wait_for_token(email, &mail);
	ck_assert_uint_eq(strlen(token), 43);	/* 256 bits, base64url */
	/* A proper message, and never a password in it. */
	ck_assert_ptr_nonnull(strstr(mail, "From: "));
	ck_assert_ptr_nonnull(strstr(mail, "\nSubject: Reset your Shop password\n"));
	ck_assert_ptr_nonnull(strstr(mail, "\nDate: "));
	ck_assert_ptr_nonnull(strstr(mail, "\nMessage-ID: <"));
	ck_assert_ptr_nonnull(strstr(mail, "\nMIME-Version: 1.0\n"));
	ck_assert_ptr_nonnull(strstr(mail, "\nContent-Type: text/plain; charset=utf-8\n"));
	ck_assert_ptr_nonnull(strstr(mail, "Hello Rita Reset,"));
	ck_assert_ptr_null(strstr(mail, PW));
	free(mail);
	/* Only the token's hash is stored; the outbox row is marked sent. */
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM password_resets WHERE token_hash = SHA2('%s', 256) "
		 "AND expires_at BETWEEN NOW() + INTERVAL 55 MINUTE AND NOW() + INTERVAL 61 MINUTE", token);
	ck_assert_int_eq(sql_scalar(q), 1);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM password_resets WHERE token_hash = '%s'", token);
	ck_assert_int_eq(sql_scalar(q), 0);
	/* The row is marked sent after the message is written: polled (with a
	 * generous deadline), not read at once (a slow machine, or the stack
	 * under ASan, lost that race). */
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s' "
		 "AND subject = 'Reset your Shop password' AND sent_at IS NOT NULL", email);
	for (int i = 0; i < 300 && sql_scalar(q) != 1; i++)
		usleep(100 * 1000);
	ck_assert_int_eq(sql_scalar(q), 1);

	/* The link opens the form. */
	snprintf(path, sizeof(path), "/reset?token=%s", token);
	r = client_browse(&fresh, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "name=\"token\"");
	HAS(r, token);
	ck_assert_str_eq(hresp_header(r, "Cache-Control"), "no-store");
	hresp_free(r);

	/* The password policy applies. */
	snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"short\"}", token);
	r = client_req(&guest, "POST", "/api/password-resets/confirm", body, 1);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "12 characters");
	hresp_free(r);

	snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"%s\"}", token, PW2);
	r = client_req(&guest, "POST", "/api/password-resets/confirm", body, 1);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "message");
	hresp_free(r);

	/* Every session from before is over. */
	r = client_req(&old, "GET", "/api/me", NULL, 0);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);

	/* The old password no longer works, the new one does. */
	memset(&fresh, 0, sizeof(fresh));
	ck_assert_int_ne(client_signin(&fresh, email, PW), 0);
	memset(&fresh, 0, sizeof(fresh));
	ck_assert_int_eq(client_signin(&fresh, email, PW2), 0);
	r = client_req(&fresh, "GET", "/api/me", NULL, 0);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);

	/* The link works once. */
	r = client_req(&guest, "POST", "/api/password-resets/confirm", body, 1);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "not valid");
	hresp_free(r);
	r = client_browse(&guest, "GET", path, NULL);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "not valid");
	HAS(r, "href=\"/forgot\"");
	hresp_free(r);

	/* The person is told their password changed. */
	mail = maildir_wait(email, "Your Shop password was changed", 5);
	ck_assert_ptr_nonnull(mail);
	ck_assert_ptr_null(strstr(mail, PW2));
	free(mail);
}
END_TEST

START_TEST(reset_flow_html)
{
	struct client cl = {0}, b = {0};
	char email[128], form[512], path[256];
	const char *token;
	struct hresp *r;

	clear_ip_throttles();
	snprintf(email, sizeof(email), "%s", fresh_email("user"));
	ck_assert_int_eq(client_signup(&cl, "Hal Html", email, PW), 0);

	r = client_browse(&b, "GET", "/forgot", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "action=\"/forgot\"");
	take_form_csrf(&b, r);
	hresp_free(r);

	/* Without the token nothing happens. */
	snprintf(form, sizeof(form), "email=%s", email);
	r = client_browse(&b, "POST", "/forgot", form);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);

	snprintf(form, sizeof(form), "csrf=%s&email=%s", b.csrf, email);
	r = client_browse(&b, "POST", "/forgot", form);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "If an account exists for that address, we have sent a link");
	hresp_free(r);

	token = wait_for_token(email, NULL);
	snprintf(path, sizeof(path), "/reset?token=%s", token);
	r = client_browse(&b, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	take_form_csrf(&b, r);
	hresp_free(r);

	snprintf(form, sizeof(form), "csrf=%s&token=%s&password=tooshort", b.csrf, token);
	r = client_browse(&b, "POST", "/reset", form);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "12 characters");
	HAS(r, token);	/* the form keeps the link's token */
	hresp_free(r);

	snprintf(form, sizeof(form), "csrf=%s&token=%s&password=a+brand+new+password+42", b.csrf, token);
	r = client_browse(&b, "POST", "/reset", form);
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(hresp_header(r, "Location"), "/signin?reset=1");
	hresp_free(r);
	r = client_browse(&b, "GET", "/signin?reset=1", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Your password has been changed");
	hresp_free(r);

	memset(&cl, 0, sizeof(cl));
	ck_assert_int_eq(client_signin(&cl, email, PW2), 0);
}
END_TEST

/* Same status and body whether or not the address has an account, about
 * the same time, and no mail for a stranger. */
START_TEST(unknown_email_same_answer)
{
	struct client cl = {0}, b = {0};
	char known[128], unknown[128], q[512], form[512];
	struct hresp *r1, *r2;
	double tk[3], tu[3];
	struct timespec s;

	clear_ip_throttles();
	snprintf(known, sizeof(known), "%s", fresh_email("user"));
	snprintf(unknown, sizeof(unknown), "ghost.%d@example.com", (int)getpid());
	ck_assert_int_eq(client_signup(&cl, "Known", known, PW), 0);
	ck_assert_int_eq(client_session(&b), 0);

	for (int i = 0; i < 3; i++) {
		clear_ip_throttles();
		clock_gettime(CLOCK_MONOTONIC, &s);
		r1 = ask_reset(&b, known);
		tk[i] = ms_since(&s);
		clock_gettime(CLOCK_MONOTONIC, &s);
		r2 = ask_reset(&b, unknown);
		tu[i] = ms_since(&s);
		ck_assert_int_eq(r1->status, 202);
		ck_assert_int_eq(r2->status, r1->status);
		ck_assert_str_eq(r1->body, r2->body);
		hresp_free(r1);
		hresp_free(r2);
	}
	/* The time floor (60 ms) hides the extra work of the known path.
	 * Reported, not asserted: timing belongs to `make bench` (and flakes
	 * on a shared machine); the answers above are what must not differ. */
	for (int i = 0; i < 3; i++)
		fprintf(stderr, "# reset timing: known %.1f ms, unknown %.1f ms\n", tk[i], tu[i]);

	/* The HTML answers match too (same browser session, same page). */
	clear_ip_throttles();
	r1 = client_browse(&b, "GET", "/forgot", NULL);
	take_form_csrf(&b, r1);
	hresp_free(r1);
	snprintf(form, sizeof(form), "csrf=%s&email=%s", b.csrf, known);
	r1 = client_browse(&b, "POST", "/forgot", form);
	snprintf(form, sizeof(form), "csrf=%s&email=%s", b.csrf, unknown);
	r2 = client_browse(&b, "POST", "/forgot", form);
	ck_assert_int_eq(r1->status, 200);
	ck_assert_int_eq(r2->status, 200);
	ck_assert_str_eq(r1->body, r2->body);
	hresp_free(r1);
	hresp_free(r2);

	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s'", unknown);
	ck_assert_int_eq(sql_scalar(q), 0);
	/* At most 3 links per account per hour, whatever is asked. */
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM password_resets r JOIN users u ON u.id = r.user_id "
		 "WHERE u.email = '%s'", known);
	ck_assert_int_eq(sql_scalar(q), 3);
	clear_ip_throttles();
}
END_TEST

START_TEST(throttled_per_ip)
{
	struct client b = {0};
	struct hresp *r;
	const char *ra;

	clear_ip_throttles();
	ck_assert_int_eq(client_session(&b), 0);
	for (int i = 0; i < 5; i++) {
		r = ask_reset(&b, "nobody.here@example.com");
		ck_assert_int_eq(r->status, 202);
		hresp_free(r);
	}
	r = ask_reset(&b, "nobody.here@example.com");
	ck_assert_int_eq(r->status, 429);
	ra = hresp_header(r, "Retry-After");
	ck_assert_ptr_nonnull(ra);
	ck_assert_int_gt(atoi(ra), 0);
	ck_assert_int_le(atoi(ra), 3600);
	hresp_free(r);
	clear_ip_throttles();
}
END_TEST

START_TEST(bad_and_expired_tokens)
{
	struct client b = {0}, cl = {0};
	char email[128], q[512], path[256];
	struct hresp *r;

	clear_ip_throttles();
	r = client_browse(&b, "GET", "/reset", NULL);
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	r = client_browse(&b, "GET", "/reset?token=%3Cscript%3E", NULL);
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	r = client_browse(&b, "GET", "/reset?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "not valid");
	hresp_free(r);

	/* A token that expired a minute ago. */
	snprintf(email, sizeof(email), "%s", fresh_email("user"));
	ck_assert_int_eq(client_signup(&cl, "Old Link", email, PW), 0);
	snprintf(q, sizeof(q), "INSERT INTO password_resets (token_hash, user_id, expires_at) "
		 "SELECT SHA2('expired-token-%d-xxxxxxxxxxxx', 256), id, NOW(3) - INTERVAL 1 MINUTE "
		 "FROM users WHERE email = '%s'", (int)getpid(), email);
	ck_assert_int_eq(sql_exec(q), 0);
	snprintf(path, sizeof(path), "/reset?token=expired-token-%d-xxxxxxxxxxxx", (int)getpid());
	r = client_browse(&b, "GET", path, NULL);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "not valid");
	hresp_free(r);
	ck_assert_int_eq(client_session(&b), 0);
	snprintf(q, sizeof(q), "{\"token\":\"expired-token-%d-xxxxxxxxxxxx\",\"password\":\"%s\"}",
		 (int)getpid(), PW2);
	r = client_req(&b, "POST", "/api/password-resets/confirm", q, 1);
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	/* The password did not change. */
	ck_assert_int_eq(client_signin(&cl, email, PW), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-mail-reset");
	TCase *tc = tcase_create("reset");

	harness_init();
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, clear_ip_throttles, NULL);
	tcase_add_test(tc, reset_flow_json);
	tcase_add_test(tc, reset_flow_html);
	tcase_add_test(tc, unknown_email_same_answer);
	tcase_add_test(tc, throttled_per_ip);
	tcase_add_test(tc, bad_and_expired_tokens);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
