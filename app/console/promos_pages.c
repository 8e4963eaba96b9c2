/* Promo codes in the console: /admin/promos (list with usage, new, edit,
 * pause, resume) and /api/admin/promos. The rules and SQL are promos.c's;
 * pricing applies a saved promo from the next quote (it caches no promo). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/text.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../account/session_pages.h"
#include "../sales/sales.h"
#include "../pricing/pricing.h"
#include "console_pages.h"
#include "promos.h"

/* ---- the API ---- */

static void json_ids(struct arena *a, json_t *v, const char *name, const int64_t **ids, size_t *n,
		     struct promo_problems *bad)
{
	int64_t *out;
	size_t k = json_array_size(v);

	*ids = NULL;
	*n = 0;
	if (json_is_null(v))
		return;
	if (!json_is_array(v)) {
		promo_problem(bad, name, "A list of ids.");
		return;
	}
	if (!(out = arena_calloc(a, k ? k : 1, sizeof(*out))))
		return;
	for (size_t i = 0; i < k; i++) {
		json_t *x = json_array_get(v, i);

		if (!json_is_integer(x) || json_integer_value(x) <= 0) {
			promo_problem(bad, name, "A list of ids.");
			return;
		}
		out[i] = json_integer_value(x);
	}
	*ids = out;
	*n = k;
}

/* A limit: a positive whole number, or null for none (0 here). */
static void json_limit(json_t *v, const char *name, int64_t *out, struct promo_problems *bad)
{
	if (json_is_null(v))
		*out = 0;
	else if (json_is_integer(v) && json_integer_value(v) > 0)
		*out = json_integer_value(v);
	else
		promo_problem(bad, name, "A whole number of uses, at least 1, or null for no limit.");
}

static void json_time(json_t *v, const char *name, int64_t *out, struct promo_problems *bad)
{
	if (json_is_null(v))
		*out = 0;
	else if (!json_is_string(v) || sales_parse_time(json_string_value(v), out))
		promo_problem(bad, name, "A time in RFC 3339 (2026-12-24T18:00:00Z), or null.");
}

/* The body's members into in; problems of shape into bad. */
static void from_json(struct ctx *c, struct promo_in *in, struct promo_problems *bad)
{
	json_t *b = c->req->json, *v;
	const char *kind;

	memset(in, 0, sizeof(*in));
	if ((v = json_object_get(b, "code"))) {
		in->has_code = 1;
		char norm[PRICING_CODE_MAX + 1];

		in->code = json_string_value(v);
		if (!in->code || pricing_promo_normalise(in->code, norm, sizeof(norm)))
			promo_problem(bad, "code", "A code is 3 to 32 letters, digits or hyphens.");
	}
	if ((v = json_object_get(b, "kind"))) {
		in->has_kind = 1;
		in->kind = json_string_value(v);
		if (!in->kind || (strcmp(in->kind, "percent") && strcmp(in->kind, "fixed"))) {
			promo_problem(bad, "kind", "kind is \"percent\" or \"fixed\".");
			in->kind = NULL;
		}
	}
	if ((v = json_object_get(b, "value"))) {
		/* percent: a percentage (12.5); fixed: cents. The kind is the
		 * body's, or the stored one's for a PATCH (see below). */
		in->has_value = 1;
		if (!json_is_number(v))
			promo_problem(bad, "value", "value is a number.");
		else
			in->value = json_is_integer(v) ? json_integer_value(v) : -1;
	}
	kind = in->kind;
	if (in->has_value && json_is_number(v = json_object_get(b, "value"))) {
		json_t *stored = NULL;

		if (!kind && c->req->pathvar[0] && !promo_get(c->db, c->a, console_path_id(c), &stored)) {
			kind = arena_strdup(c->a, json_string_value(json_object_get(stored, "kind")));
			json_decref(stored);
		}
		if (kind && !strcmp(kind, "percent")) {
			double d = json_number_value(v) * 100.0;
			long long bp = llround(d);

			if (fabs(d - (double)bp) > 1e-6 || bp < 1 || bp > 10000)
				promo_problem(bad, "value", "A percent value is more than 0 and at most 100, "
							    "with at most two decimals.");
			else
				in->value = bp;
		} else if (!json_is_integer(v)) {
			promo_problem(bad, "value", "A fixed value is a whole number of cents.");
		}
	}
	if ((v = json_object_get(b, "minOrder"))) {
		in->has_min = 1;
		if (json_is_null(v))
			in->min_order = 0;
		else if (json_is_integer(v) && json_integer_value(v) >= 0)
			in->min_order = json_integer_value(v);
		else
			promo_problem(bad, "minOrder", "minOrder is a whole number of cents, 0 or more.");
	}
	if ((v = json_object_get(b, "startsAt"))) {
		in->has_starts = 1;
		json_time(v, "startsAt", &in->starts_at, bad);
	}
	if ((v = json_object_get(b, "endsAt"))) {
		in->has_ends = 1;
		json_time(v, "endsAt", &in->ends_at, bad);
	}
	if ((v = json_object_get(b, "maxUses"))) {
		in->has_max = 1;
		json_limit(v, "maxUses", &in->max_uses, bad);
	}
	if ((v = json_object_get(b, "perCustomer"))) {
		in->has_per = 1;
		json_limit(v, "perCustomer", &in->per_customer, bad);
	}
	if ((v = json_object_get(b, "description"))) {
		in->has_desc = 1;
		in->description = json_string_value(v);
		if (!json_is_null(v) && (!in->description || text_chars(in->description, TEXT_LINE) < 0))
			promo_problem(bad, "description", "A description is one line of text.");
	}
	if ((v = json_object_get(b, "active"))) {
		in->has_active = 1;
		if (!json_is_boolean(v))
			promo_problem(bad, "active", "active is true or false.");
		in->active = json_is_true(v);
	}
	if ((v = json_object_get(b, "categories"))) {
		in->has_cats = 1;
		json_ids(c->a, v, "categories", &in->cats, &in->ncats, bad);
	}
	if ((v = json_object_get(b, "sellers"))) {
		in->has_sellers = 1;
		json_ids(c->a, v, "sellers", &in->sellers, &in->nsellers, bad);
	}
}

static enum err reply_problems(struct ctx *c, const struct promo_problems *bad)
{
	return console_reply_fields(c, "That promo code cannot be saved", bad->n, bad->field, bad->message);
}

static enum err reply_promo(struct ctx *c, int64_t id, int status)
{
	json_t *m, *o;
	enum err e;

	if ((e = promo_get(c->db, c->a, id, &o)))
		return e;
	if (!(m = reply_model(c, NULL, NULL))) {
		json_decref(o);
		return E_NOMEM;
	}
	json_object_update(m, o);
	json_decref(o);
	c->resp->status = status;
	return E_OK;
}

static enum err api_save(struct ctx *c, int64_t id)
{
	struct promo_problems bad;
	struct promo_in in;
	int64_t out = 0;
	enum err e;

	memset(&bad, 0, sizeof(bad));
	from_json(c, &in, &bad);
	if (bad.n)
		return reply_problems(c, &bad);
	e = promo_save(c->db, c->a, console_actor(c), id, &in, &bad, &out);
	if (e == E_INVAL)
		return reply_problems(c, &bad);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such promo code.");
	if (e)
		return e;
	if (!id)
		resp_header(c->resp, arena_printf(c->a, "Location: /api/admin/promos/%lld", (long long)out));
	return reply_promo(c, out, id ? 200 : 201);
}

enum err h_api_admin_promo_create(struct ctx *c)
{
	return api_save(c, 0);
}

enum err h_api_admin_promo_edit(struct ctx *c)
{
	int64_t id = console_path_id(c);

	if (!id)
		return reply_error(c, 404, "There is no such promo code.");
	return api_save(c, id);
}

/* The list's filters from the query (k_promo_list); problems into bad. */
static void list_filter(struct ctx *c, struct promo_filter *f, int64_t def_limit, struct promo_problems *bad)
{
	const char *code = ctx_str(c, "code"), *st = ctx_str(c, "state");

	memset(f, 0, sizeof(*f));
	if (code && *code) {
		char *u = arena_strdup(c->a, code);

		for (char *q = u; u && *q; q++) {
			*q = (char)toupper((unsigned char)*q);
			if (!isalnum((unsigned char)*q) && *q != '-') {
				promo_problem(bad, "code", "The start of a code: letters, digits or hyphens.");
				break;
			}
		}
		f->code = u;
	}
	if (st && *st) {
		int known = 0;

		for (int i = 0; promo_states[i]; i++)
			known |= !strcmp(promo_states[i], st);
		if (!known)
			promo_problem(bad, "state", "state is one of active, scheduled, ended, used-up or paused.");
		f->state = st;
	}
	f->before = ctx_int(c, "before", 0);
	f->limit = ctx_int(c, "limit", def_limit);
}

/* The same list after before: its URL (path: the page or the API's). */
static const char *list_url(struct arena *a, const char *path, const struct promo_filter *f, int64_t before)
{
	const char *q = arena_printf(a, "%s%s%s%s%s", f->code ? "&code=" : "", f->code ? f->code : "",
				     f->state ? "&state=" : "", f->state ? f->state : "",
				     before ? arena_printf(a, "&before=%lld", (long long)before) : "");

	return q && *q ? arena_printf(a, "%s?%s", path, q + 1) : path;
}

enum err h_api_admin_promo_list(struct ctx *c)
{
	struct promo_problems bad;
	struct promo_filter f;
	json_t *m, *list;
	int64_t next = 0;
	enum err e;

	memset(&bad, 0, sizeof(bad));
	list_filter(c, &f, 500, &bad);
	if (bad.n)
		return console_reply_fields(c, "Those filters cannot be used", bad.n, bad.field, bad.message);
	if ((e = promo_page(c->db, c->a, &f, &list, &next)))
		return e;
	if (!(m = reply_model(c, NULL, NULL))) {
		json_decref(list);
		return E_NOMEM;
	}
	json_object_set_new(m, "promos", list);
	json_object_set_new(m, "next", next ? json_string(list_url(c->a, "/api/admin/promos", &f, next)) : json_null());
	return E_OK;
}

enum err h_api_admin_promo_get(struct ctx *c)
{
	int64_t id = console_path_id(c);
	enum err e;

	e = id ? reply_promo(c, id, 200) : E_NOTFOUND;
	return e == E_NOTFOUND ? reply_error(c, 404, "There is no such promo code.") : e;
}

static enum err api_active(struct ctx *c, int active)
{
	int64_t id = console_path_id(c);
	enum err e;

	e = id ? promo_set_active(c->db, c->a, console_actor(c), id, active) : E_NOTFOUND;
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such promo code.");
	if (e)
		return e;
	return reply_promo(c, id, 200);
}

enum err h_api_admin_promo_pause(struct ctx *c)
{
	return api_active(c, 0);
}

enum err h_api_admin_promo_resume(struct ctx *c)
{
	return api_active(c, 1);
}

/* ---- the pages ---- */

static const char *money_text(struct arena *a, int64_t cents)
{
	return arena_printf(a, "$%lld.%02lld", (long long)(cents / 100), (long long)(cents % 100));
}

/* "10%", "$5.00 off" */
static const char *value_text(struct arena *a, json_t *p)
{
	json_t *v = json_object_get(p, "value");

	if (!strcmp(json_string_value(json_object_get(p, "kind")), "percent"))
		return json_is_integer(v) ? arena_printf(a, "%lld%%", (long long)json_integer_value(v))
					  : arena_printf(a, "%.2f%%", json_real_value(v));
	return arena_printf(a, "%s off", money_text(a, json_integer_value(v)));
}

/* The names of ids (from names: [{id, name}]), "#id" for one without. */
static const char *names_text(struct arena *a, json_t *names, json_t *ids)
{
	const char *s = "";

	for (size_t i = 0; i < json_array_size(ids); i++) {
		int64_t id = json_integer_value(json_array_get(ids, i));
		const char *name = NULL;

		for (size_t k = 0; k < json_array_size(names) && !name; k++)
			if (json_integer_value(json_object_get(json_array_get(names, k), "id")) == id)
				name = json_string_value(json_object_get(json_array_get(names, k), "name"));
		s = name ? arena_printf(a, "%s%s%s", s, i ? ", " : "", name)
			 : arena_printf(a, "%s%s#%lld", s, i ? ", " : "", (long long)id);
	}
	return s;
}

static const char *ids_text(struct arena *a, json_t *v)
{
	const char *s = "";

	for (size_t i = 0; i < json_array_size(v); i++)
		s = arena_printf(a, "%s%s%lld", s, i ? ", " : "", (long long)json_integer_value(json_array_get(v, i)));
	return s;
}

/* "2026-12-24T18:00:00Z" as a datetime-local value ("2026-12-24T18:00"). */
static const char *local_value(struct arena *a, json_t *t)
{
	const char *s = json_string_value(t);

	return s && strlen(s) >= 16 ? arena_printf(a, "%.16s", s) : "";
}

/* The form's values: from the stored promo p (NULL for a new one) or, when
 * a form was refused, from what was typed. */
static json_t *form_values(struct ctx *c, json_t *p, int typed)
{
	json_t *f;

	if (typed) {
		const char *k = ctx_str(c, "kind");

		f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			"code", ctx_str(c, "code") ? ctx_str(c, "code") : "",
			"value", ctx_str(c, "value") ? ctx_str(c, "value") : "",
			"minOrder", ctx_str(c, "minOrder") ? ctx_str(c, "minOrder") : "",
			"startsAt", ctx_str(c, "startsAt") ? ctx_str(c, "startsAt") : "",
			"endsAt", ctx_str(c, "endsAt") ? ctx_str(c, "endsAt") : "",
			"maxUses", ctx_str(c, "maxUses") ? ctx_str(c, "maxUses") : "",
			"perCustomer", ctx_str(c, "perCustomer") ? ctx_str(c, "perCustomer") : "",
			"description", ctx_str(c, "description") ? ctx_str(c, "description") : "",
			"categories", ctx_str(c, "categories") ? ctx_str(c, "categories") : "",
			"sellers", ctx_str(c, "sellers") ? ctx_str(c, "sellers") : "");
		json_object_set_new(f, "fixed", json_boolean(k && !strcmp(k, "fixed")));
		return f;
	}
	if (!p)
		return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "code", "", "value", "",
				 "minOrder", "", "startsAt", "", "endsAt", "", "maxUses", "", "perCustomer", "",
				 "description", "", "categories", "", "sellers", "", "fixed", 0);
	{
		json_t *v = json_object_get(p, "value");
		int fixed = !strcmp(json_string_value(json_object_get(p, "kind")), "fixed");
		const char *vt = fixed ? arena_printf(c->a, "%lld.%02lld", (long long)(json_integer_value(v) / 100),
						      (long long)(json_integer_value(v) % 100))
				       : json_is_integer(v) ? arena_printf(c->a, "%lld", (long long)json_integer_value(v))
							    : arena_printf(c->a, "%.2f", json_real_value(v));
		int64_t min = json_integer_value(json_object_get(p, "minOrder"));

		return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}",
			"code", json_string_value(json_object_get(p, "code")), "value", vt,
			"minOrder", min ? arena_printf(c->a, "%lld.%02lld", (long long)(min / 100), (long long)(min % 100)) : "",
			"startsAt", local_value(c->a, json_object_get(p, "startsAt")),
			"endsAt", local_value(c->a, json_object_get(p, "endsAt")),
			"maxUses", json_is_integer(json_object_get(p, "maxUses")) ?
				arena_printf(c->a, "%lld", (long long)json_integer_value(json_object_get(p, "maxUses"))) : "",
			"perCustomer", json_is_integer(json_object_get(p, "perCustomer")) ?
				arena_printf(c->a, "%lld", (long long)json_integer_value(json_object_get(p, "perCustomer"))) : "",
			"description", json_string_value(json_object_get(p, "description")),
			"categories", ids_text(c->a, json_object_get(p, "categories")),
			"sellers", ids_text(c->a, json_object_get(p, "sellers")), "fixed", fixed);
	}
}

static int ids_from_text(struct arena *a, const char *s, const int64_t **ids, size_t *n);

/* [{id, name, selected}] of names, the ids given selected. */
static json_t *options(json_t *names, const int64_t *ids, size_t n)
{
	json_t *v = json_array();

	for (size_t i = 0; i < json_array_size(names); i++) {
		json_t *o = json_deep_copy(json_array_get(names, i));
		int64_t id = json_integer_value(json_object_get(o, "id"));
		int sel = 0;

		for (size_t k = 0; k < n && !sel; k++)
			sel = ids[k] == id;
		json_object_set_new(o, "selected", json_boolean(sel));
		json_array_append_new(v, o);
	}
	return v;
}

static void ids_of(struct arena *a, json_t *list, const int64_t **ids, size_t *n)
{
	int64_t *v = arena_calloc(a, json_array_size(list) + 1, sizeof(*v));

	*ids = v;
	*n = 0;
	for (size_t i = 0; v && i < json_array_size(list); i++)
		v[(*n)++] = json_integer_value(json_array_get(list, i));
}

/* The scope's pickers into the form: categories and sellers by name, the
 * promo's (p; NULL: a new one) or what was typed selected. */
static enum err pickers(struct ctx *c, json_t *form, json_t *p, int typed)
{
	json_t *cats, *sellers;
	const int64_t *ci = NULL, *si = NULL;
	size_t cn = 0, sn = 0;
	enum err e;

	if ((e = promo_scope_names(c->db, c->a, &cats, &sellers)))
		return e;
	if (typed) {
		if (ids_from_text(c->a, ctx_str(c, "categories"), &ci, &cn))
			cn = 0;
		if (ids_from_text(c->a, ctx_str(c, "sellers"), &si, &sn))
			sn = 0;
	} else if (p) {
		ids_of(c->a, json_object_get(p, "categories"), &ci, &cn);
		ids_of(c->a, json_object_get(p, "sellers"), &si, &sn);
	}
	json_object_set_new(form, "categoryOptions", options(cats, ci, cn));
	json_object_set_new(form, "sellerOptions", options(sellers, si, sn));
	json_decref(cats);
	json_decref(sellers);
	return E_OK;
}

static json_t *errors_json(const struct promo_problems *bad)
{
	json_t *v = json_array();

	for (int i = 0; bad && i < bad->n; i++)
		json_array_append_new(v, json_pack("{s:s, s:s}", "field", bad->field[i], "message", bad->message[i]));
	return v;
}

static enum err list_page(struct ctx *c, int status, const struct promo_problems *bad)
{
	json_t *m = session_form_page(c, "admin_promos", "Promo codes", status), *list, *rows, *states;
	json_t *cnames = NULL, *snames = NULL;
	struct promo_problems fbad;
	struct promo_filter f;
	int64_t next = 0;
	enum err e;

	if (!m)
		return E_NOMEM;
	memset(&fbad, 0, sizeof(fbad));
	list_filter(c, &f, 50, &fbad);
	if (fbad.n)
		return reply_error(c, 422, fbad.message[0]);
	if ((e = promo_page(c->db, c->a, &f, &list, &next)))
		return e;
	if ((e = promo_scope_names(c->db, c->a, &cnames, &snames))) {
		json_decref(list);
		return e;
	}
	states = json_array();
	for (int i = 0; promo_states[i]; i++)
		json_array_append_new(states, json_pack("{s:s, s:s, s:b}", "value", promo_states[i], "label",
			!strcmp(promo_states[i], "used-up") ? "used up" : promo_states[i],
			"selected", f.state && !strcmp(f.state, promo_states[i])));
	json_object_set_new(m, "filter", json_pack("{s:s, s:o, s:b, s:s}", "code", f.code ? f.code : "", "states", states,
		"filtered", f.code || f.state || f.before, "firstUrl", list_url(c->a, "/admin/promos", &f, 0)));
	json_object_set_new(m, "nextUrl", next ? json_string(list_url(c->a, "/admin/promos", &f, next)) : json_null());
	rows = json_array();
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *p = json_array_get(list, i), *mx = json_object_get(p, "maxUses");
		json_t *pc = json_object_get(p, "perCustomer"), *st = json_object_get(p, "startsAt"),
		       *en = json_object_get(p, "endsAt");
		int64_t id = json_integer_value(json_object_get(p, "id")), min = json_integer_value(json_object_get(p, "minOrder"));
		int scoped = json_array_size(json_object_get(p, "categories")) || json_array_size(json_object_get(p, "sellers"));

		json_array_append_new(rows, json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			"id", (json_int_t)id, "code", json_string_value(json_object_get(p, "code")),
			"description", json_string_value(json_object_get(p, "description")),
			"valueText", value_text(c->a, p), "status", json_string_value(json_object_get(p, "status")),
			"active", json_is_true(json_object_get(p, "active")),
			"usesText", arena_printf(c->a, "%lld%s%s (%lld customer%s)", (long long)json_integer_value(
				json_object_get(json_object_get(p, "uses"), "live")), json_is_integer(mx) ? " of " : "",
				json_is_integer(mx) ? arena_printf(c->a, "%lld", (long long)json_integer_value(mx)) : "",
				(long long)json_integer_value(json_object_get(json_object_get(p, "uses"), "customers")),
				json_integer_value(json_object_get(json_object_get(p, "uses"), "customers")) == 1 ? "" : "s"),
			"limitsText", arena_printf(c->a, "%s%s%s", min ? "from " : "", min ? money_text(c->a, min) : "",
				json_is_integer(pc) ? arena_printf(c->a, "%s%lld per customer", min ? "; " : "",
					(long long)json_integer_value(pc)) : ""),
			"windowText", arena_printf(c->a, "%s%s%s", json_is_string(st) ? json_string_value(st) : "now",
				" to ", json_is_string(en) ? json_string_value(en) : "no end"),
			"scopeText", scoped ? arena_printf(c->a, "%s%s%s%s%s",
				json_array_size(json_object_get(p, "categories")) ? "categories: " : "",
				names_text(c->a, cnames, json_object_get(p, "categories")),
				json_array_size(json_object_get(p, "categories")) &&
					json_array_size(json_object_get(p, "sellers")) ? "; " : "",
				json_array_size(json_object_get(p, "sellers")) ? "sellers: " : "",
				names_text(c->a, snames, json_object_get(p, "sellers"))) : "everything",
			"editUrl", arena_printf(c->a, "/admin/promos/%lld", (long long)id),
			"pauseAction", arena_printf(c->a, "/admin/promos/%lld/pause", (long long)id),
			"resumeAction", arena_printf(c->a, "/admin/promos/%lld/resume", (long long)id)));
	}
	json_decref(list);
	json_decref(cnames);
	json_decref(snames);
	json_object_set_new(m, "promos", rows);
	json_object_set_new(m, "form", form_values(c, NULL, bad != NULL));
	if ((e = pickers(c, json_object_get(m, "form"), NULL, bad != NULL)))
		return e;
	json_object_set_new(m, "errors", errors_json(bad));
	json_object_set_new(m, "formAction", json_string("/admin/promos"));
	return E_OK;
}

enum err h_admin_promos(struct ctx *c)
{
	return list_page(c, 200, NULL);
}

/* "1, 4,7" into ids; -1 when something else is there. */
static int ids_from_text(struct arena *a, const char *s, const int64_t **ids, size_t *n)
{
	int64_t *v;
	size_t k = 0, cap = 1;

	*ids = NULL;
	*n = 0;
	if (!s)
		return 0;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	if (!(v = arena_calloc(a, cap, sizeof(*v))))
		return -1;
	while (*s) {
		size_t len = strcspn(s, ",");
		const char *t = arena_printf(a, "%.*s", (int)len, s);
		int64_t x;

		while (*t == ' ')
			t++;
		if (*t) {
			char *end = (char *)t + strlen(t);

			while (end > t && end[-1] == ' ')
				*--end = '\0';
			if (text_int64(t, 1, INT64_MAX, &x))
				return -1;
			v[k++] = x;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	*ids = v;
	*n = k;
	return 0;
}

/* datetime-local ("2026-12-24T18:00"), read as UTC, or RFC 3339. */
static int form_time(struct arena *a, const char *s, int64_t *t)
{
	*t = 0;
	if (!s || !*s)
		return 0;
	if (!sales_parse_time(s, t))
		return 0;
	if (strlen(s) == 16 && !sales_parse_time(arena_printf(a, "%s:00Z", s), t))
		return 0;
	return sales_parse_time(arena_printf(a, "%sZ", s), t);
}

static void form_limit(const char *s, const char *name, int64_t *out, struct promo_problems *bad)
{
	*out = 0;
	if (s && *s && text_int64(s, 1, 1000000000, out))
		promo_problem(bad, name, "A whole number of uses, at least 1; empty for no limit.");
}

static void from_form(struct ctx *c, struct promo_in *in, struct promo_problems *bad, int edit)
{
	const char *kind = ctx_str(c, "kind"), *v = ctx_str(c, "value");

	memset(in, 0, sizeof(*in));
	in->has_code = 1;
	in->code = ctx_str(c, "code");
	if (edit && (!in->code || !*in->code))
		in->has_code = 0;
	in->has_kind = in->has_value = in->has_min = in->has_starts = in->has_ends = 1;
	in->has_max = in->has_per = in->has_desc = in->has_cats = in->has_sellers = 1;
	in->kind = kind && *kind ? kind : "percent";
	if (!v || money_parse(v, MONEY_DECIMAL, 1000000000, &in->value))
		promo_problem(bad, "value", !strcmp(in->kind, "percent") ? "A percentage such as 10 or 12.5."
									  : "An amount such as 5 or 4.99.");
	if (ctx_str(c, "minOrder") && *ctx_str(c, "minOrder") &&
	    money_parse(ctx_str(c, "minOrder"), MONEY_DECIMAL, 1000000000, &in->min_order))
		promo_problem(bad, "minOrder", "An amount such as 25 or 19.99; empty for none.");
	if (form_time(c->a, ctx_str(c, "startsAt"), &in->starts_at))
		promo_problem(bad, "startsAt", "A date and time (UTC), or empty.");
	if (form_time(c->a, ctx_str(c, "endsAt"), &in->ends_at))
		promo_problem(bad, "endsAt", "A date and time (UTC), or empty.");
	form_limit(ctx_str(c, "maxUses"), "maxUses", &in->max_uses, bad);
	form_limit(ctx_str(c, "perCustomer"), "perCustomer", &in->per_customer, bad);
	in->description = ctx_str(c, "description") ? ctx_str(c, "description") : "";
	if (ids_from_text(c->a, ctx_str(c, "categories"), &in->cats, &in->ncats))
		promo_problem(bad, "categories", "Category ids separated by commas, or empty for all.");
	if (ids_from_text(c->a, ctx_str(c, "sellers"), &in->sellers, &in->nsellers))
		promo_problem(bad, "sellers", "Seller ids separated by commas, or empty for all.");
}

enum err h_admin_promo_create(struct ctx *c)
{
	struct promo_problems bad;
	struct promo_in in;
	int64_t id = 0;
	enum err e;

	memset(&bad, 0, sizeof(bad));
	from_form(c, &in, &bad, 0);
	if (bad.n)
		return list_page(c, 422, &bad);
	e = promo_save(c->db, c->a, console_actor(c), 0, &in, &bad, &id);
	if (e == E_INVAL)
		return list_page(c, 422, &bad);
	if (e)
		return e;
	session_flash(c, arena_printf(c->a, "Promo code %s is saved.", in.code));
	return reply_redirect(c, 303, "/admin/promos");
}

static enum err edit_page(struct ctx *c, int64_t id, int status, const struct promo_problems *bad)
{
	json_t *m, *p = NULL;
	enum err e;

	e = promo_get(c->db, c->a, id, &p);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such promo code.");
	if (e)
		return e;
	if (!(m = session_form_page(c, "admin_promo", arena_printf(c->a, "Promo code %s",
			json_string_value(json_object_get(p, "code"))), status))) {
		json_decref(p);
		return E_NOMEM;
	}
	json_object_set_new(m, "promo", json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:b, s:s, s:s, s:s}",
		"id", (json_int_t)id, "code", json_string_value(json_object_get(p, "code")),
		"status", json_string_value(json_object_get(p, "status")),
		"live", (json_int_t)json_integer_value(json_object_get(json_object_get(p, "uses"), "live")),
		"customers", (json_int_t)json_integer_value(json_object_get(json_object_get(p, "uses"), "customers")),
		"released", (json_int_t)json_integer_value(json_object_get(json_object_get(p, "uses"), "released")),
		"active", json_is_true(json_object_get(p, "active")),
		"action", arena_printf(c->a, "/admin/promos/%lld", (long long)id),
		"pauseAction", arena_printf(c->a, "/admin/promos/%lld/pause", (long long)id),
		"resumeAction", arena_printf(c->a, "/admin/promos/%lld/resume", (long long)id)));
	json_object_set_new(m, "form", form_values(c, p, bad != NULL));
	json_object_set_new(json_object_get(m, "form"), "locked", json_true());	/* a code does not change */
	if ((e = pickers(c, json_object_get(m, "form"), p, bad != NULL))) {
		json_decref(p);
		return e;
	}
	json_object_set_new(m, "errors", errors_json(bad));
	json_object_set_new(m, "formAction", json_string(arena_printf(c->a, "/admin/promos/%lld", (long long)id)));
	json_decref(p);
	return E_OK;
}

enum err h_admin_promo_form(struct ctx *c)
{
	int64_t id = console_path_id(c);

	return id ? edit_page(c, id, 200, NULL) : reply_error(c, 404, "There is no such promo code.");
}

enum err h_admin_promo_save(struct ctx *c)
{
	struct promo_problems bad;
	struct promo_in in;
	int64_t id = console_path_id(c), out = 0;
	enum err e;

	if (!id)
		return reply_error(c, 404, "There is no such promo code.");
	memset(&bad, 0, sizeof(bad));
	from_form(c, &in, &bad, 1);
	if (bad.n)
		return edit_page(c, id, 422, &bad);
	e = promo_save(c->db, c->a, console_actor(c), id, &in, &bad, &out);
	if (e == E_INVAL)
		return edit_page(c, id, 422, &bad);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such promo code.");
	if (e)
		return e;
	session_flash(c, "The promo code is saved; checkouts use it from now on.");
	return reply_redirect(c, 303, arena_printf(c->a, "/admin/promos/%lld", (long long)id));
}

static enum err page_active(struct ctx *c, int active)
{
	int64_t id = console_path_id(c);
	enum err e;

	e = id ? promo_set_active(c->db, c->a, console_actor(c), id, active) : E_NOTFOUND;
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such promo code.");
	if (e)
		return e;
	session_flash(c, active ? "The promo code is active again." : "The promo code is paused: checkouts refuse it.");
	return reply_redirect(c, 303, "/admin/promos");
}

enum err h_admin_promo_pause(struct ctx *c)
{
	return page_active(c, 0);
}

enum err h_admin_promo_resume(struct ctx *c)
{
	return page_active(c, 1);
}
