/* Content pages in the console: /admin/pages (the list), /admin/pages/{slug}
 * (edit with a preview, the markup's help beside), PUT /api/admin/pages/{slug};
 * and the public pages: /about here, /contact, /shipping, /returns and
 * /privacy through site.c (console_content_reply). */
#include <string.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../view/escape.h"
#include "../account/session_pages.h"
#include "console_pages.h"
#include "content.h"

static const char *public_path(const char *slug)
{
	return !strcmp(slug, "about") ? "/about" : !strcmp(slug, "contact") ? "/contact" :
	       !strcmp(slug, "shipping") ? "/shipping" : !strcmp(slug, "returns") ? "/returns" : "/privacy";
}

enum err console_content_reply(struct ctx *c, const char *slug)
{
	struct content_page p;
	json_t *m;
	enum err e;

	if ((e = content_get(c->db, c->a, slug, &p)))
		return e;
	if (!(m = reply_model(c, "content_page", p.title)))
		return E_NOMEM;
	json_object_set_new(m, "page", json_pack("{s:s, s:o}", "title", p.title,
						 "html", view_safe_html(content_html(c->a, p.body))));
	json_object_set_new(m, "canonical", json_string(arena_printf(c->a, "%s%s", config.base_url, c->req->path)));
	return E_OK;
}

enum err h_about(struct ctx *c)
{
	enum err e = console_content_reply(c, "about");

	return e == E_NOTFOUND ? reply_error(c, 404, "There is no such page.") : e;
}

/* ---- the API ---- */

static json_t *page_json(struct arena *a, const struct content_page *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "slug", p->slug, "title", p->title, "body", p->body,
			 "html", content_html(a, p->body), "url", public_path(p->slug), "updatedAt", p->updated_at,
			 "updatedBy", p->updated_by);
}

enum err h_api_admin_page_get(struct ctx *c)
{
	struct content_page p;
	json_t *m;
	enum err e;

	e = content_get(c->db, c->a, c->req->pathvar[0], &p);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such page.");
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_update_new(m, page_json(c->a, &p));
	return E_OK;
}

enum err h_api_admin_page_put(struct ctx *c)
{
	const char *slug = c->req->pathvar[0], *field, *why;
	struct content_page p;
	json_t *m;
	enum err e;

	e = content_save(c->db, c->a, console_actor(c), slug, ctx_str(c, "title"), ctx_str(c, "body"), &field, &why);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such page.");
	if (e == E_INVAL)
		return console_reply_fields(c, "The page cannot be saved", 1, &field, &why);
	if (e || (e = content_get(c->db, c->a, slug, &p)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_update_new(m, page_json(c->a, &p));
	return E_OK;
}

/* ---- the pages ---- */

enum err h_admin_pages(struct ctx *c)
{
	struct content_page *v = NULL;
	json_t *m = session_form_page(c, "admin_pages", "Content pages", 200), *list;
	size_t n = 0;
	enum err e;

	if (!m)
		return E_NOMEM;
	if ((e = content_list(c->db, c->a, &v, &n)))
		return e;
	list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "title", v[i].title,
			"url", public_path(v[i].slug), "editUrl", arena_printf(c->a, "/admin/pages/%s", v[i].slug),
			"updatedAt", v[i].updated_at, "updatedBy", v[i].updated_by));
	json_object_set_new(m, "pages", list);
	return E_OK;
}

static enum err edit_page(struct ctx *c, int status, const char *title, const char *body, const char *error)
{
	const char *slug = c->req->pathvar[0];
	struct content_page p;
	json_t *m;
	enum err e;

	e = content_get(c->db, c->a, slug, &p);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such page.");
	if (e)
		return e;
	if (!(m = session_form_page(c, "admin_page", arena_printf(c->a, "Edit: %s", p.title), status)))
		return E_NOMEM;
	title = title ? title : p.title;
	body = body ? body : p.body;
	json_object_set_new(m, "page", json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "title", title, "body", body,
		"url", public_path(slug), "action", arena_printf(c->a, "/admin/pages/%s", slug),
		"updatedAt", p.updated_at, "updatedBy", p.updated_by,
		"preview", view_safe_html(content_html(c->a, body))));
	if (error)
		json_object_set_new(m, "error", json_pack("{s:s}", "message", error));
	return E_OK;
}

enum err h_admin_page_form(struct ctx *c)
{
	return edit_page(c, 200, NULL, NULL, NULL);
}

enum err h_admin_page_save(struct ctx *c)
{
	const char *slug = c->req->pathvar[0], *field, *why;
	enum err e;

	e = content_save(c->db, c->a, console_actor(c), slug, ctx_str(c, "title"), ctx_str(c, "body"), &field, &why);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such page.");
	if (e == E_INVAL)
		return edit_page(c, 422, ctx_str(c, "title"), ctx_str(c, "body"), why);
	if (e)
		return e;
	session_flash(c, "The page is saved; visitors see it now.");
	return reply_redirect(c, 303, arena_printf(c->a, "/admin/pages/%s", slug));
}
