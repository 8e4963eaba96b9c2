/* The admin's sellers page and the suspend/reinstate form (the rules and
 * SQL are in sellers_admin.c). */
#include <stdio.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "account.h"
#include "session_pages.h"
#include "sellers_admin_pages.h"

enum err h_admin_sellers(struct ctx *c)
{
	json_t *m = session_form_page(c, "admin_sellers", "Sellers", 200), *list;
	struct seller_row *v = NULL;
	size_t n = 0;
	enum err e;

	if (!m)
		return E_NOMEM;
	if ((e = sellers_admin_list(c->db, c->a, ctx_str(c, "q"), &v, &n)))
		return e;
	list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:s}",
			"id", (json_int_t)v[i].id, "slug", v[i].slug,
			"displayName", v[i].display_name, "status", v[i].status,
			"email", v[i].email, "date", v[i].date,
			"items", (json_int_t)v[i].items, "listed", (json_int_t)v[i].listed,
			"isActive", !strcmp(v[i].status, "active"),
			"action", arena_printf(c->a, "/admin/sellers/%s", v[i].id_text)));
	json_object_set_new(m, "sellers", list);
	if (ctx_str(c, "q"))
		json_object_set_new(m, "q", json_string(ctx_str(c, "q")));
	return E_OK;
}

/* POST /admin/sellers/{id} with decision=suspend|reinstate. */
enum err h_admin_seller_status(struct ctx *c)
{
	const char *d = ctx_str(c, "decision"), *p = c->req->pathvar[0], *name = NULL;
	int64_t id = 0;
	uint64_t moved = 0;
	int suspend;
	enum err e;

	if (!p || parse_int64(p, strlen(p), 1, INT64_MAX, &id))
		return reply_error(c, 404, "There is no such seller.");
	if (strcmp(d, "suspend") && strcmp(d, "reinstate"))
		return reply_error(c, 400, "decision: must be suspend or reinstate");
	suspend = !strcmp(d, "suspend");
	e = sellers_admin_set_status(c->db, c->a, id, suspend, &moved, &name);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such seller.");
	if (e)
		return e;
	log_info("admin %lld %s seller %lld (%llu listings)", (long long)c->sess->uid,
		 suspend ? "suspended" : "reinstated", (long long)id, (unsigned long long)moved);
	session_flash(c, arena_printf(c->a, "%s is %s; %llu listing%s %s the storefront.", name,
				      suspend ? "suspended" : "active again",
				      (unsigned long long)moved, moved == 1 ? "" : "s",
				      suspend ? "left" : "returned to"));
	return reply_redirect(c, 303, "/admin/sellers");
}
