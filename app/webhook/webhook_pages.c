/* The admin's webhooks: /admin/webhooks (list, register, delete, enable
 * again, each endpoint's delivery log) and /api/admin/webhooks. The rules
 * and SQL are in webhook.c; role and CSRF checks are the route table's. */
#include <stdio.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../events/events.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../account/session_pages.h"
#include "webhook.h"
#include "webhook_pages.h"

/* The form's checkboxes are keys of the route (routes.inc): one per type. */
_Static_assert(EV_NTYPES == 30, "a new event type needs its checkbox key in app/webhook/routes.inc");

static int64_t path_id(const struct ctx *c)
{
	const char *s = c->req->pathvar[0];
	int64_t id;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

static json_t *events_array(const char *list)
{
	json_t *v = json_array();

	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, ",");

		json_array_append_new(v, json_stringn(p, k));
		p += k;
		if (*p == ',')
			p++;
	}
	return v;
}

/* "A,B" as "A, B" for people (and for lines that wrap on a phone). */
static const char *events_text(struct arena *a, const char *list)
{
	size_t n = 0;
	char *t, *q;

	for (const char *p = list; *p; p++)
		n += *p == ',';
	q = t = arena_alloc(a, strlen(list) + n + 1);
	for (const char *p = list; *p; p++) {
		*q++ = *p;
		if (*p == ',')
			*q++ = ' ';
	}
	*q = '\0';
	return t;
}

/* The API's view of an endpoint (the secret only when just made). */
static json_t *endpoint_json(const struct webhook_endpoint *e, int with_secret)
{
	json_t *o = json_pack("{s:I, s:s, s:o, s:b, s:I, s:s, s:{s:I, s:I, s:I}}",
		"id", (json_int_t)e->id, "url", e->url, "events", events_array(e->events),
		"enabled", e->enabled, "failures", (json_int_t)e->failures, "createdAt", e->created_at,
		"deliveries", "pending", (json_int_t)e->pending, "delivered", (json_int_t)e->delivered,
		"failed", (json_int_t)e->failed);

	if (!o)
		return NULL;
	json_object_set_new(o, "disabledReason", *e->disabled_reason ? json_string(e->disabled_reason) : json_null());
	json_object_set_new(o, "lastSuccessAt", *e->last_success_at ? json_string(e->last_success_at) : json_null());
	if (with_secret)
		json_object_set_new(o, "secret", json_string(e->secret));
	return o;
}

/* ---- the API ---- */

enum err h_api_webhooks_create(struct ctx *c)
{
	json_t *ev = json_object_get(c->req->json, "events"), *m, *o;
	const char **types, *why = NULL;
	struct webhook_endpoint ep;
	size_t n = json_array_size(ev);
	enum err e;

	if (!(types = arena_calloc(c->a, n ? n : 1, sizeof(*types))))
		return E_NOMEM;
	for (size_t i = 0; i < n; i++)
		types[i] = json_string_value(json_array_get(ev, i));
	e = webhook_create(c->db, c->a, ctx_str(c, "url"), types, n, c->sess->uid, &ep, &why);
	if (e == E_INVAL)
		return reply_error_titled(c, 422, "The endpoint cannot be registered", why);
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL)) || !(o = endpoint_json(&ep, 1)))
		return E_NOMEM;
	json_object_update(m, o);
	json_decref(o);
	c->resp->status = 201;
	resp_header(c->resp, arena_printf(c->a, "Location: /api/admin/webhooks/%lld", (long long)ep.id));
	return E_OK;
}

enum err h_api_webhooks_list(struct ctx *c)
{
	struct webhook_endpoint *v = NULL;
	json_t *m, *list;
	size_t n = 0;
	enum err e;

	if ((e = webhook_list(c->db, c->a, &v, &n)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)) || !(list = json_array()))
		return E_NOMEM;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, endpoint_json(&v[i], 0));
	json_object_set_new(m, "webhooks", list);
	return E_OK;
}

enum err h_api_webhooks_get(struct ctx *c)
{
	struct webhook_endpoint ep;
	struct webhook_delivery *d = NULL;
	json_t *m, *o, *list;
	int64_t id = path_id(c);
	size_t n = 0;
	enum err e;

	if (!id)
		return E_NOTFOUND;
	if ((e = webhook_get(c->db, c->a, id, &ep)) || (e = webhook_deliveries(c->db, c->a, id, &d, &n)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)) || !(o = endpoint_json(&ep, 0)))
		return E_NOMEM;
	json_object_update(m, o);
	json_decref(o);
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		o = json_pack("{s:I, s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)d[i].id,
			      "eventId", (json_int_t)d[i].event_id, "type", d[i].event_type, "status", d[i].status,
			      "attempts", (json_int_t)d[i].attempts, "createdAt", d[i].created_at);
		json_object_set_new(o, "lastCode", d[i].last_code >= 0 ? json_integer(d[i].last_code) : json_null());
		json_object_set_new(o, "lastMs", d[i].last_ms >= 0 ? json_integer(d[i].last_ms) : json_null());
		json_object_set_new(o, "lastError", *d[i].last_error ? json_string(d[i].last_error) : json_null());
		json_object_set_new(o, "nextAttemptAt", *d[i].next_at ? json_string(d[i].next_at) : json_null());
		json_array_append_new(list, o);
	}
	json_object_set_new(m, "recentDeliveries", list);
	return E_OK;
}

enum err h_api_webhooks_delete(struct ctx *c)
{
	int64_t id = path_id(c);
	enum err e;

	if (!id)
		return E_NOTFOUND;
	if ((e = webhook_delete(c->db, c->a, id)))
		return e;
	log_info("admin %lld deleted webhook endpoint %lld", (long long)c->sess->uid, (long long)id);
	c->resp->status = 204;
	return E_OK;
}

/* ---- the pages ---- */

/* The list with the form; status, the form's values and an error when the
 * form was refused. */
static enum err list_page(struct ctx *c, int status, const char *error, const char *url, const char *const *chosen,
			  size_t nchosen)
{
	json_t *m = session_form_page(c, "admin_webhooks", "Webhooks", status), *list, *types;
	struct webhook_endpoint *v = NULL;
	size_t n = 0;
	enum err e;

	if (!m)
		return E_NOMEM;
	if ((e = webhook_list(c->db, c->a, &v, &n)))
		return e;
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:I, s:s, s:s, s:b, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s, s:s}",
			"id", (json_int_t)v[i].id, "url", v[i].url, "eventsText", events_text(c->a, v[i].events),
			"enabled", v[i].enabled, "disabledReason", v[i].disabled_reason,
			"createdAt", v[i].created_at, "failures", (json_int_t)v[i].failures,
			"pending", (json_int_t)v[i].pending, "delivered", (json_int_t)v[i].delivered,
			"failed", (json_int_t)v[i].failed,
			"logUrl", arena_printf(c->a, "/admin/webhooks/%lld", (long long)v[i].id),
			"deleteAction", arena_printf(c->a, "/admin/webhooks/%lld/delete", (long long)v[i].id),
			"enableAction", arena_printf(c->a, "/admin/webhooks/%lld/enable", (long long)v[i].id));

		json_array_append_new(list, o);
	}
	json_object_set_new(m, "endpoints", list);
	types = json_array();
	for (int k = 0; k < EV_NTYPES; k++) {
		const char *name = event_type_name((enum event_type)k);
		int on = 0;

		for (size_t i = 0; i < nchosen; i++)
			on |= !strcmp(chosen[i], name);
		json_array_append_new(types, json_pack("{s:s, s:b, s:s}", "name", name, "checked", on,
						       "fieldId", arena_printf(c->a, "wh-ev-%d", k)));
	}
	json_object_set_new(m, "types", types);
	json_object_set_new(m, "formUrl", json_string(url ? url : ""));
	if (error)
		json_object_set_new(m, "error", json_pack("{s:s}", "message", error));
	return E_OK;
}

enum err h_admin_webhooks(struct ctx *c)
{
	return list_page(c, 200, NULL, NULL, NULL, 0);
}

/* POST /admin/webhooks: url and one checkbox per type. The secret is shown
 * on the answer page, once. */
enum err h_admin_webhooks_create(struct ctx *c)
{
	const char **types, *why = NULL, *url = ctx_str(c, "url");
	struct webhook_endpoint ep;
	size_t n = 0;
	json_t *m;
	enum err e;

	if (!(types = arena_calloc(c->a, EV_NTYPES, sizeof(*types))))
		return E_NOMEM;
	for (int k = 0; k < EV_NTYPES; k++) {
		const char *name = event_type_name((enum event_type)k);

		if (ctx_int(c, name, 0))
			types[n++] = name;
	}
	e = webhook_create(c->db, c->a, url, types, n, c->sess->uid, &ep, &why);
	if (e == E_INVAL)
		return list_page(c, 422, why, url, types, n);
	if (e)
		return e;
	if (!(m = reply_model(c, "admin_webhook_created", "Webhook registered")))
		return E_NOMEM;
	c->resp->status = 201;
	json_object_set_new(m, "endpoint", json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)ep.id,
		"url", ep.url, "eventsText", events_text(c->a, ep.events), "secret", ep.secret,
		"logUrl", arena_printf(c->a, "/admin/webhooks/%lld", (long long)ep.id)));
	return E_OK;
}

enum err h_admin_webhook_delete(struct ctx *c)
{
	int64_t id = path_id(c);
	enum err e;

	if (!id)
		return reply_error(c, 404, "There is no such webhook endpoint.");
	e = webhook_delete(c->db, c->a, id);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such webhook endpoint.");
	if (e)
		return e;
	log_info("admin %lld deleted webhook endpoint %lld", (long long)c->sess->uid, (long long)id);
	session_flash(c, arena_printf(c->a, "Webhook endpoint %lld is deleted, with its delivery log.", (long long)id));
	return reply_redirect(c, 303, "/admin/webhooks");
}

enum err h_admin_webhook_enable(struct ctx *c)
{
	int64_t id = path_id(c);
	enum err e;

	if (!id)
		return reply_error(c, 404, "There is no such webhook endpoint.");
	e = webhook_enable(c->db, c->a, id);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such webhook endpoint.");
	if (e)
		return e;
	log_info("admin %lld enabled webhook endpoint %lld", (long long)c->sess->uid, (long long)id);
	session_flash(c, arena_printf(c->a, "Webhook endpoint %lld is enabled; its waiting deliveries go out now.",
				      (long long)id));
	return reply_redirect(c, 303, arena_printf(c->a, "/admin/webhooks/%lld", (long long)id));
}

/* GET /admin/webhooks/{id}: the endpoint and its delivery log. */
enum err h_admin_webhook_log(struct ctx *c)
{
	struct webhook_endpoint ep;
	struct webhook_delivery *d = NULL;
	struct webhook_attempt *t = NULL;
	int64_t id = path_id(c);
	size_t nd = 0, nt = 0;
	json_t *m, *list;
	enum err e;

	if (!id)
		return reply_error(c, 404, "There is no such webhook endpoint.");
	e = webhook_get(c->db, c->a, id, &ep);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such webhook endpoint.");
	if (e || (e = webhook_deliveries(c->db, c->a, id, &d, &nd)) || (e = webhook_attempts(c->db, c->a, id, &t, &nt)))
		return e;
	if (!(m = session_form_page(c, "admin_webhook", arena_printf(c->a, "Webhook %lld", (long long)id), 200)))
		return E_NOMEM;
	json_object_set_new(m, "endpoint", json_pack("{s:I, s:s, s:s, s:b, s:s, s:s, s:I, s:s, s:s, s:s}",
		"id", (json_int_t)ep.id, "url", ep.url, "eventsText", events_text(c->a, ep.events), "enabled", ep.enabled,
		"disabledReason", ep.disabled_reason, "disabledAt", ep.disabled_at,
		"failures", (json_int_t)ep.failures, "lastSuccessAt", ep.last_success_at,
		"createdAt", ep.created_at,
		"enableAction", arena_printf(c->a, "/admin/webhooks/%lld/enable", (long long)ep.id)));
	list = json_array();
	for (size_t i = 0; i < nd; i++)
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}",
			"eventId", (json_int_t)d[i].event_id, "type", d[i].event_type, "status", d[i].status,
			"attempts", (json_int_t)d[i].attempts,
			"code", d[i].last_code >= 0 ? arena_printf(c->a, "%lld", (long long)d[i].last_code) : "none",
			"ms", d[i].last_ms >= 0 ? arena_printf(c->a, "%lld ms", (long long)d[i].last_ms) : "",
			"lastError", d[i].last_error, "createdAt", d[i].created_at,
			"nextAt", *d[i].next_at ? d[i].next_at : d[i].finished_at));
	json_object_set_new(m, "deliveries", list);
	list = json_array();
	for (size_t i = 0; i < nt; i++)
		json_array_append_new(list, json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s}",
			"eventId", (json_int_t)t[i].event_id, "type", t[i].event_type, "attempt", (json_int_t)t[i].attempt,
			"result", t[i].ok ? "ok" : "failed",
			"code", t[i].http_code >= 0 ? arena_printf(c->a, "%lld", (long long)t[i].http_code) : "none",
			"ms", arena_printf(c->a, "%lld ms", (long long)t[i].ms), "at", t[i].at));
	json_object_set_new(m, "attemptLog", list);
	/* attempts' error text, kept apart so the table's cells stay short */
	for (size_t i = 0; i < nt; i++)
		json_object_set_new(json_array_get(list, i), "error", json_string(t[i].error));
	return E_OK;
}
