/* The audit log in the console: /admin/audit (search form, newest first,
 * paged by a cursor) and GET /api/admin/audit. */
#include <stdlib.h>
#include <string.h>
#include "../core/buf.h"
#include "../core/arena.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../account/session_pages.h"
#include "audit_search.h"
#include "console_pages.h"

static void query_from(struct ctx *c, struct audit_query *q)
{
	memset(q, 0, sizeof(*q));
	q->actor = ctx_str(c, "actor");
	q->action = ctx_str(c, "action");
	q->target = ctx_str(c, "target");
	q->from = ctx_str(c, "from");
	q->to = ctx_str(c, "to");
	q->before = ctx_int(c, "before", 0);
	q->limit = ctx_int(c, "limit", 50);
}

enum err h_api_admin_audit(struct ctx *c)
{
	struct audit_query q;
	const char *why;
	json_t *m, *rows;
	int64_t next;
	enum err e;

	query_from(c, &q);
	e = audit_search(c->db, c->a, &q, &rows, &next, &why);
	if (e == E_INVAL) {
		const char *f = "from";

		return console_reply_fields(c, "The search cannot run", 1, &f, &why);
	}
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL))) {
		json_decref(rows);
		return E_NOMEM;
	}
	json_object_set_new(m, "entries", rows);
	json_object_set_new(m, "next", next ? json_integer(next) : json_null());
	return E_OK;
}

/* The query string of this search, for the next page's link. */
static const char *next_url(struct ctx *c, const struct audit_query *q, int64_t next)
{
	struct buf b;
	const char *names[] = { "actor", "action", "target", "from", "to" };
	const char *vals[] = { q->actor, q->action, q->target, q->from, q->to };

	buf_init(&b, c->a, 256);
	buf_puts(&b, "/admin/audit?");
	for (int i = 0; i < 5; i++) {
		if (!vals[i] || !*vals[i])
			continue;
		buf_printf(&b, "%s=", names[i]);
		for (const char *p = vals[i]; *p; p++) {
			unsigned char ch = (unsigned char)*p;

			if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			    ch == '-' || ch == '.' || ch == '_')
				buf_putc(&b, (char)ch);
			else
				buf_printf(&b, "%%%02X", ch);
		}
		buf_putc(&b, '&');
	}
	if (q->limit && q->limit != 50)
		buf_printf(&b, "limit=%lld&", (long long)q->limit);
	buf_printf(&b, "before=%lld", (long long)next);
	buf_putc(&b, '\0');
	return b.p;
}

enum err h_admin_audit(struct ctx *c)
{
	struct audit_query q;
	const char *why;
	json_t *m = session_form_page(c, "admin_audit", "Audit log", 200), *rows;
	int64_t next;
	enum err e;

	if (!m)
		return E_NOMEM;
	query_from(c, &q);
	json_object_set_new(m, "query", json_pack("{s:s, s:s, s:s, s:s, s:s}", "actor", q.actor ? q.actor : "",
		"action", q.action ? q.action : "", "target", q.target ? q.target : "", "from", q.from ? q.from : "",
		"to", q.to ? q.to : ""));
	e = audit_search(c->db, c->a, &q, &rows, &next, &why);
	if (e == E_INVAL) {
		c->resp->status = 422;
		json_object_set_new(m, "error", json_pack("{s:s}", "message", why));
		json_object_set_new(m, "entries", json_array());
		return E_OK;
	}
	if (e)
		return e;
	for (size_t i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i), *b = json_object_get(r, "before"), *a = json_object_get(r, "after");
		char *bs = json_is_null(b) ? NULL : json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
		char *as = json_is_null(a) ? NULL : json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);

		json_object_set_new(r, "beforeText", json_string(bs ? bs : ""));
		json_object_set_new(r, "afterText", json_string(as ? as : ""));
		free(bs);
		free(as);
		json_object_del(r, "before");
		json_object_del(r, "after");
	}
	json_object_set_new(m, "entries", rows);
	if (next)
		json_object_set_new(m, "nextUrl", json_string(next_url(c, &q, next)));
	return E_OK;
}
