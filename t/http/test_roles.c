/* t/http: roles, seller applications and the admin page (issue 3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

#define PW "correct horse battery"
#define ADMIN_PW "admin password 12345"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.300s", (s), (r)->body)

/* ---- a browser: HTML pages and form posts with the session cookie ---- */

/* A form post carrying the session's token in the hidden field. */
static struct hresp *post_form(struct client *cl, const char *path, const char *fields)
{
	char form[2048];

	snprintf(form, sizeof(form), "csrf=%s&%.1800s", cl->csrf, fields);
	return client_browse(cl, "POST", path, form);
}

static long status_of(struct hresp *r)
{
	long s = r->status;

	hresp_free(r);
	return s;
}

static long long user_id(const char *email)
{
	char q[512];

	snprintf(q, sizeof(q), "SELECT id FROM users WHERE email = '%s'", email);
	return sql_scalar(q);
}

/* An administrator made with `shopctl create-admin`, signed in. */
static void admin_client(struct client *adm, char *email, size_t n)
{
	char env[256], args[256];

	snprintf(email, n, "%s", fresh_email("admin"));
	snprintf(env, sizeof(env), "SHOP_ADMIN_PASSWORD='%s' SHOP_ADMIN_NAME='Ada Admin'", ADMIN_PW);
	snprintf(args, sizeof(args), "create-admin %s", email);
	ck_assert_int_eq(shopctl_run(env, NULL, args), 0);
	memset(adm, 0, sizeof(*adm));
	ck_assert_int_eq(client_signin(adm, email, ADMIN_PW), 0);
}

/* ---- tests ---- */

START_TEST(guest_is_sent_to_sign_in)
{
	const char *pages[] = { "/admin", "/seller/", "/sell", NULL };

	for (int i = 0; pages[i]; i++) {
		struct hresp *r = http_get(pages[i]);
		const char *loc;

		ck_assert_msg(r->status == 303, "%s: %ld", pages[i], r->status);
		loc = hresp_header(r, "Location");
		ck_assert_ptr_nonnull(loc);
		ck_assert_msg(!strncmp(loc, "/signin?next=", 13), "%s: Location %s", pages[i], loc);
		hresp_free(r);
		r = http_get_json(pages[i]);
		ck_assert_msg(r->status == 401, "%s as JSON: %ld", pages[i], r->status);
		hresp_free(r);
	}
}
END_TEST

START_TEST(shopper_is_forbidden)
{
	struct client cl = {0};
	char email[128], q[512];
	struct hresp *r;

	snprintf(email, sizeof(email), "%s", fresh_email("shopper"));
	ck_assert_int_eq(client_signup(&cl, "Sam Shopper", email, PW), 0);
	ck_assert_int_eq(status_of(client_browse(&cl, "GET", "/admin", NULL)), 403);
	ck_assert_int_eq(status_of(client_browse(&cl, "GET", "/seller/", NULL)), 403);
	ck_assert_int_eq(status_of(client_req(&cl, "GET", "/admin", NULL, 0)), 403);
	/* A valid CSRF token does not make a shopper an admin. */
	snprintf(q, sizeof(q), "{\"email\":\"%s\",\"role\":\"admin\"}", email);
	r = client_req(&cl, "POST", "/admin/grant", q, 1);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	snprintf(q, sizeof(q), "email=%s&role=admin", email);
	ck_assert_int_eq(status_of(post_form(&cl, "/admin/grant", q)), 403);
	ck_assert_int_eq(status_of(post_form(&cl, "/admin/applications/1", "decision=approve")), 403);
	snprintf(q, sizeof(q), "SELECT is_admin + is_seller FROM users WHERE email = '%s'", email);
	ck_assert_int_eq(sql_scalar(q), 0);
	/* The page to apply is theirs, though. */
	r = client_browse(&cl, "GET", "/sell", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "name=\"displayName\"");
	HAS(r, "name=\"csrf\"");
	hresp_free(r);
}
END_TEST

START_TEST(apply_approve_rotates_session)
{
	struct client ap = {0}, other = {0}, adm = {0}, old;
	char email[128], other_email[128], admin_email[128], slug[64], q[1024], path[128];
	long long app_id, uid;
	struct hresp *r;
	json_t *j, *roles;
	int seller = 0;
	size_t i;

	snprintf(email, sizeof(email), "%s", fresh_email("applicant"));
	snprintf(slug, sizeof(slug), "shop-%d", (int)getpid());
	ck_assert_int_eq(client_signup(&ap, "Ann Applicant", email, PW), 0);

	snprintf(q, sizeof(q), "displayName=Ann%%27s+Goods&slug=%s&contactEmail=shop.%s", slug, email);
	r = post_form(&ap, "/sell", q);
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(hresp_header(r, "Location"), "/sell");
	hresp_free(r);
	r = client_browse(&ap, "GET", "/sell", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "waiting for review");
	HAS(r, "Ann&#39;s Goods");
	hresp_free(r);
	/* One pending application per person; a slug once per shop. */
	ck_assert_int_eq(status_of(post_form(&ap, "/sell", q)), 409);
	snprintf(other_email, sizeof(other_email), "%s", fresh_email("rival"));
	ck_assert_int_eq(client_signup(&other, "Rita Rival", other_email, PW), 0);
	snprintf(q, sizeof(q), "displayName=Rival&slug=%s&contactEmail=%s", slug, other_email);
	r = post_form(&other, "/sell", q);
	ck_assert_int_eq(r->status, 409);
	HAS(r, "taken");
	hresp_free(r);
	snprintf(q, sizeof(q), "displayName=Rival&slug=Not+A+Slug&contactEmail=%s", other_email);
	ck_assert_int_eq(status_of(post_form(&other, "/sell", q)), 400);

	/* The admin sees and approves it. */
	admin_client(&adm, admin_email, sizeof(admin_email));
	r = client_browse(&adm, "GET", "/admin", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, slug);
	HAS(r, email);
	HAS(r, "value=\"approve\"");
	hresp_free(r);
	snprintf(q, sizeof(q), "SELECT id FROM seller_applications WHERE slug = '%s' AND status = 'pending'", slug);
	app_id = sql_scalar(q);
	ck_assert_int_gt(app_id, 0);
	snprintf(path, sizeof(path), "/admin/applications/%lld", app_id);
	/* Not without the token. */
	ck_assert_int_eq(status_of(client_browse(&adm, "POST", path, "decision=approve")), 403);
	ck_assert_int_eq(status_of(post_form(&adm, path, "decision=maybe")), 400);
	r = post_form(&adm, path, "decision=approve");
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(hresp_header(r, "Location"), "/admin");
	hresp_free(r);
	ck_assert_int_eq(status_of(post_form(&adm, path, "decision=approve")), 409);
	ck_assert_int_eq(status_of(post_form(&adm, "/admin/applications/999999999", "decision=approve")), 404);

	uid = user_id(email);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM sellers WHERE user_id = %lld AND slug = '%s' "
		 "AND display_name = 'Ann''s Goods' AND contact_email = 'shop.%s'", uid, slug, email);
	ck_assert_int_eq(sql_scalar(q), 1);
	snprintf(q, sizeof(q), "SELECT is_seller FROM users WHERE id = %lld", uid);
	ck_assert_int_eq(sql_scalar(q), 1);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM seller_applications WHERE id = %lld AND status = 'approved' "
		 "AND decided_by = %lld AND decided_at IS NOT NULL", app_id, user_id(admin_email));
	ck_assert_int_eq(sql_scalar(q), 1);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s' "
		 "AND subject = 'You can now sell on Shop'", email);
	ck_assert_int_eq(sql_scalar(q), 1);

	/* The applicant's next request gets a new session id with the role. */
	old = ap;
	r = client_req(&ap, "GET", "/api/me", NULL, 0);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(hresp_header(r, "Set-Cookie"));
	ck_assert_str_ne(ap.cookie, old.cookie);
	j = hresp_json(r);
	roles = json_object_get(j, "roles");
	for (i = 0; i < json_array_size(roles); i++)
		seller |= !strcmp(json_string_value(json_array_get(roles, i)), "seller");
	ck_assert(seller);
	json_decref(j);
	hresp_free(r);
	/* The id from before the change is worth nothing now. */
	ck_assert_int_eq(status_of(client_req(&old, "GET", "/api/me", NULL, 0)), 401);

	r = client_browse(&ap, "GET", "/seller/", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Ann&#39;s Goods");
	hresp_free(r);
	r = client_browse(&ap, "GET", "/sell", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "You are a seller");
	hresp_free(r);
}
END_TEST

START_TEST(reject)
{
	struct client ap = {0}, adm = {0};
	char email[128], admin_email[128], slug[64], q[512], path[128];
	long long app_id;
	struct hresp *r;

	snprintf(email, sizeof(email), "%s", fresh_email("rejected"));
	snprintf(slug, sizeof(slug), "nope-%d", (int)getpid());
	ck_assert_int_eq(client_signup(&ap, "Ned Nope", email, PW), 0);
	snprintf(q, sizeof(q), "displayName=Nope&slug=%s&contactEmail=%s", slug, email);
	ck_assert_int_eq(status_of(post_form(&ap, "/sell", q)), 303);
	snprintf(q, sizeof(q), "SELECT id FROM seller_applications WHERE slug = '%s'", slug);
	app_id = sql_scalar(q);

	admin_client(&adm, admin_email, sizeof(admin_email));
	snprintf(path, sizeof(path), "/admin/applications/%lld", app_id);
	ck_assert_int_eq(status_of(post_form(&adm, path, "decision=reject")), 303);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM seller_applications WHERE id = %lld AND status = 'rejected'", app_id);
	ck_assert_int_eq(sql_scalar(q), 1);
	snprintf(q, sizeof(q), "SELECT is_seller FROM users WHERE email = '%s'", email);
	ck_assert_int_eq(sql_scalar(q), 0);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM sellers WHERE slug = '%s'", slug);
	ck_assert_int_eq(sql_scalar(q), 0);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s' "
		 "AND subject = 'About your application to sell on Shop'", email);
	ck_assert_int_eq(sql_scalar(q), 1);

	/* They may apply again. */
	r = client_browse(&ap, "GET", "/sell", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "was not approved");
	HAS(r, "name=\"displayName\"");
	hresp_free(r);
	ck_assert_int_eq(status_of(client_browse(&ap, "GET", "/seller/", NULL)), 403);
}
END_TEST

START_TEST(admin_grants_and_searches)
{
	struct client adm = {0}, target = {0};
	char admin_email[128], email[128], q[512];
	struct hresp *r;

	admin_client(&adm, admin_email, sizeof(admin_email));
	snprintf(email, sizeof(email), "%s", fresh_email("grantee"));
	ck_assert_int_eq(client_signup(&target, "Gus Grantee", email, PW), 0);

	/* Search by the start of the email shows roles. */
	snprintf(q, sizeof(q), "/admin?q=grantee%d", (int)getpid());
	r = client_browse(&adm, "GET", q, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, email);
	HAS(r, "shopper");
	hresp_free(r);
	/* LIKE wildcards are literal. */
	r = client_browse(&adm, "GET", "/admin?q=%25", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "No account has an email starting with");
	hresp_free(r);

	snprintf(q, sizeof(q), "email=%s&role=seller", email);
	r = post_form(&adm, "/admin/grant", q);
	ck_assert_int_eq(r->status, 303);
	ck_assert_ptr_nonnull(hresp_header(r, "Location"));
	ck_assert(!strncmp(hresp_header(r, "Location"), "/admin?q=", 9));
	hresp_free(r);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM sellers s JOIN users u ON u.id = s.user_id "
		 "WHERE u.email = '%s' AND u.is_seller = 1 AND s.slug LIKE 'grantee%%'", email);
	ck_assert_int_eq(sql_scalar(q), 1);
	ck_assert_int_eq(status_of(client_browse(&target, "GET", "/seller/", NULL)), 200);
	ck_assert_int_eq(status_of(client_browse(&target, "GET", "/admin", NULL)), 403);

	snprintf(q, sizeof(q), "email=%s&role=admin", email);
	ck_assert_int_eq(status_of(post_form(&adm, "/admin/grant", q)), 303);
	ck_assert_int_eq(status_of(client_browse(&target, "GET", "/admin", NULL)), 200);

	snprintf(q, sizeof(q), "email=nobody.%d%%40nowhere.example&role=admin", (int)getpid());
	ck_assert_int_eq(status_of(post_form(&adm, "/admin/grant", q)), 404);
	snprintf(q, sizeof(q), "email=%s&role=king", email);
	ck_assert_int_eq(status_of(post_form(&adm, "/admin/grant", q)), 400);
}
END_TEST

START_TEST(shopctl_commands)
{
	struct client cl = {0};
	char email[128], args[256], q[512];

	snprintf(email, sizeof(email), "%s", fresh_email("ctl.user"));
	ck_assert_int_eq(client_signup(&cl, "Carl Ctl", email, PW), 0);
	snprintf(args, sizeof(args), "grant %s seller", email);
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);	/* idempotent */
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM sellers s JOIN users u ON u.id = s.user_id "
		 "WHERE u.email = '%s' AND u.is_seller = 1 AND s.slug LIKE 'ctl-user%%'", email);
	ck_assert_int_eq(sql_scalar(q), 1);
	snprintf(args, sizeof(args), "grant %s admin", email);
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
	snprintf(q, sizeof(q), "SELECT is_admin FROM users WHERE email = '%s'", email);
	ck_assert_int_eq(sql_scalar(q), 1);

	snprintf(args, sizeof(args), "grant nobody.%d@nowhere.example seller", (int)getpid());
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 1);
	snprintf(args, sizeof(args), "grant %s king", email);
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 2);
	ck_assert_int_eq(shopctl_run(NULL, NULL, "grant"), 2);
	ck_assert_int_eq(shopctl_run(NULL, NULL, "create-admin not-an-email"), 2);
	/* The password policy applies to admins too; stdin is read when the
	 * environment has none. */
	snprintf(args, sizeof(args), "create-admin %s", fresh_email("weak"));
	ck_assert_int_eq(shopctl_run("SHOP_ADMIN_PASSWORD=short", NULL, args), 1);
	snprintf(email, sizeof(email), "%s", fresh_email("stdin.admin"));
	snprintf(args, sizeof(args), "create-admin %s", email);
	ck_assert_int_eq(shopctl_run(NULL, ADMIN_PW, args), 0);
	memset(&cl, 0, sizeof(cl));
	ck_assert_int_eq(client_signin(&cl, email, ADMIN_PW), 0);
	ck_assert_int_eq(status_of(client_browse(&cl, "GET", "/admin", NULL)), 200);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM users WHERE email = '%s' AND name = 'Administrator' "
		 "AND is_admin = 1 AND password_hash LIKE '$argon2id$%%'", email);
	ck_assert_int_eq(sql_scalar(q), 1);
	/* Run again for an existing account: it stays an admin, password unchanged. */
	ck_assert_int_eq(shopctl_run("SHOP_ADMIN_PASSWORD='another password 99'", NULL, args), 0);
	memset(&cl, 0, sizeof(cl));
	ck_assert_int_eq(client_signin(&cl, email, ADMIN_PW), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-roles");
	TCase *tc = tcase_create("roles");

	harness_init();
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, clear_ip_throttles, NULL);
	tcase_add_test(tc, guest_is_sent_to_sign_in);
	tcase_add_test(tc, shopper_is_forbidden);
	tcase_add_test(tc, apply_approve_rotates_session);
	tcase_add_test(tc, reject);
	tcase_add_test(tc, admin_grants_and_searches);
	tcase_add_test(tc, shopctl_commands);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
