/* The seller application page (/sell) and the admin page (/admin): pending
 * applications, finding people by email, granting roles. The rules and SQL
 * are in admin.c; role checks are the route table's flags. */
#include <stdio.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/log.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../view/escape.h"
#include "account.h"
#include "admin_pages.h"
#include "session_pages.h"

static void set_error(json_t *m, const char *message)
{
	json_object_set_new(m, "error", json_pack("{s:s}", "message", message));
}

/* ---- applying to sell ---- */

static void put_form(json_t *m, const char *name, const char *slug, const char *contact)
{
	json_object_set_new(m, "form", json_pack("{s:s, s:s, s:s}", "displayName", name ? name : "",
						 "slug", slug ? slug : "", "contactEmail", contact ? contact : ""));
}

/* The /sell page in whatever state this person is in. */
static enum err sell_page(struct ctx *c, int status, const char *error,
			  const char *name, const char *slug, const char *contact)
{
	json_t *m = session_form_page(c, "sell", "Sell on Shop", status);
	struct seller_application app;
	struct seller_brief seller;
	int pending = 0, found = 0;
	enum err e;

	if (!m)
		return E_NOMEM;
	if (error)
		set_error(m, error);
	if (c->sess->is_seller) {
		if ((e = admin_seller_of(c->db, c->a, c->sess->uid, &seller, &found)))
			return e;
		json_object_set_new(m, "isSeller", json_true());
		if (found)
			json_object_set_new(m, "seller", json_pack("{s:s, s:s}", "slug", seller.slug,
								   "displayName", seller.display_name));
		return E_OK;
	}
	if ((e = admin_last_application(c->db, c->a, c->sess->uid, &app, &found)))
		return e;
	if (found) {
		pending = !strcmp(app.status, "pending");
		json_object_set_new(m, "application", json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b}",
			"displayName", app.display_name, "slug", app.slug,
			"contactEmail", app.contact_email, "status", app.status, "date", app.date,
			"isPending", pending, "isRejected", !strcmp(app.status, "rejected")));
	}
	json_object_set_new(m, "showForm", json_boolean(!pending));
	put_form(m, name, slug, contact ? contact : c->sess->email);
	return E_OK;
}

enum err h_sell_form(struct ctx *c)
{
	return sell_page(c, 200, NULL, NULL, NULL, NULL);
}

enum err h_sell(struct ctx *c)
{
	const char *name = ctx_str(c, "displayName"), *slug = ctx_str(c, "slug");
	const char *contact = account_email(c->a, ctx_str(c, "contactEmail"));
	const char *why = NULL;
	enum err e;

	if (c->sess->is_seller)
		return sell_page(c, 409, "You are a seller already.", NULL, NULL, NULL);
	if (!contact)
		return sell_page(c, 400, "contactEmail: is not a valid email address",
				 name, slug, ctx_str(c, "contactEmail"));
	e = admin_apply(c->db, c->a, c->sess->uid, name, slug, contact, &why);
	if (e == E_CONFLICT)
		return sell_page(c, 409, why ? why : "That shop address is taken. Please choose another.",
				 name, slug, ctx_str(c, "contactEmail"));
	if (e)
		return e;
	return reply_redirect(c, 303, "/sell");
}

/* ---- the admin page ---- */

enum err h_admin(struct ctx *c)
{
	json_t *m = session_form_page(c, "admin", "Administration", 200), *apps, *users;
	const char *q = ctx_str(c, "q");
	struct pending_application *pa = NULL;
	struct user_brief *u = NULL;
	size_t n = 0;
	enum err e;

	if (!m)
		return E_NOMEM;
	if ((e = admin_pending(c->db, c->a, &pa, &n)))
		return e;
	apps = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(apps, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			"id", (json_int_t)pa[i].id, "displayName", pa[i].display_name,
			"slug", pa[i].slug, "contactEmail", pa[i].contact_email,
			"date", pa[i].date, "applicantName", pa[i].applicant_name,
			"applicantEmail", pa[i].applicant_email,
			"action", arena_printf(c->a, "/admin/applications/%s", pa[i].id_text)));
	json_object_set_new(m, "applications", apps);
	if (!q)
		return E_OK;
	json_object_set_new(m, "q", json_string(q));
	json_object_set_new(m, "searched", json_true());
	if ((e = admin_find_users(c->db, c->a, q, &u, &n)))
		return e;
	users = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *roles = json_array();

		json_array_append_new(roles, json_string("shopper"));
		if (u[i].is_seller)
			json_array_append_new(roles, json_string("seller"));
		if (u[i].is_admin)
			json_array_append_new(roles, json_string("admin"));
		json_array_append_new(users, json_pack("{s:s, s:s, s:o, s:s, s:b, s:s}",
			"name", u[i].name, "email", u[i].email, "roles", roles,
			"status", u[i].status, "isActive", !strcmp(u[i].status, "active"),
			"date", u[i].date));
	}
	/* One match: the grant form is for that person. */
	if (n == 1)
		json_object_set_new(m, "grantEmail", json_string(u[0].email));
	json_object_set_new(m, "users", users);
	return E_OK;
}

enum err h_admin_grant(struct ctx *c)
{
	const char *role = ctx_str(c, "role");
	const char *email = account_email(c->a, ctx_str(c, "email"));
	struct buf b;
	enum err e;

	if (strcmp(role, "seller") && strcmp(role, "admin"))
		return reply_error(c, 400, "role: must be seller or admin");
	if (!email)
		return reply_error(c, 400, "email: is not a valid email address");
	e = admin_grant(c->db, c->a, email, role);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "No account has that email address.");
	if (e == E_CONFLICT)
		return reply_error(c, 409, "No free seller address could be made from that email.");
	if (e)
		return e;
	log_info("admin %lld granted %s to user %s", (long long)c->sess->uid, role, email);
	/* Back to the admin page, showing the person with their new role. */
	buf_init(&b, c->a, 128);
	buf_puts(&b, "/admin?q=");
	esc_url(&b, email, strlen(email));
	return reply_redirect(c, 303, b.p);
}

enum err h_admin_application(struct ctx *c)
{
	const char *d = ctx_str(c, "decision"), *p = c->req->pathvar[0], *why = NULL;
	int64_t id = 0;
	int approve;
	enum err e;

	if (!p || parse_int64(p, strlen(p), 1, INT64_MAX, &id))
		return reply_error(c, 404, "There is no such application.");
	if (strcmp(d, "approve") && strcmp(d, "reject"))
		return reply_error(c, 400, "decision: must be approve or reject");
	approve = !strcmp(d, "approve");
	e = admin_decide(c->db, c->a, id, c->sess->uid, approve, &why);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such application.");
	if (e == E_CONFLICT)
		return reply_error(c, 409, why);
	if (e)
		return e;
	log_info("admin %lld %s seller application %lld", (long long)c->sess->uid,
		 approve ? "approved" : "rejected", (long long)id);
	return reply_redirect(c, 303, "/admin");
}
