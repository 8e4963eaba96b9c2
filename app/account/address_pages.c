/* The address book's pages: the account page's add/edit forms and the
 * /api/me/addresses API. The rules and the storage (one transaction per
 * change, every query naming the owner) are in address.c. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "account.h"
#include "address.h"
#include "address_pages.h"
#include "session_pages.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The fields in API order, with where each lives in struct address, and
 * its label for the form's messages. */
static const struct afield {
	const char *key;
	size_t off;
	int required;
	const char *label;
} afields[] = {
	{ "name", offsetof(struct address, name), 1, "Full name" },
	{ "line1", offsetof(struct address, line1), 1, "Address line 1" },
	{ "line2", offsetof(struct address, line2), 0, "Address line 2" },
	{ "city", offsetof(struct address, city), 1, "City" },
	{ "region", offsetof(struct address, region), 0, "State, province or region" },
	{ "postalCode", offsetof(struct address, postal_code), 1, "Postal code" },
	{ "country", offsetof(struct address, country), 1, "Country" },
};

static const char **afield_ptr(struct address *ad, const struct afield *f)
{
	return (const char **)(void *)((char *)ad + f->off);
}

/* Adds a stored address's API fields to o. */
static void address_fill(json_t *o, const struct address_row *row)
{
	json_object_set_new(o, "id", json_integer(row->id));
	for (size_t k = 0; k < NELEM(afields); k++) {
		const char *v = *afield_ptr((struct address *)&row->ad, &afields[k]);

		json_object_set_new(o, afields[k].key, json_string(v ? v : ""));
	}
	json_object_set_new(o, "isDefault", json_boolean(row->is_default));
}

enum err address_list(struct ctx *c, int64_t uid, json_t **out)
{
	struct address_row *rows = NULL;
	size_t n = 0;
	json_t *list;
	enum err e;

	*out = NULL;
	if ((e = address_book(c->db, c->a, uid, &rows, &n)))
		return e;
	if (!(list = json_array()))
		return E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();

		if (!o) {
			json_decref(list);
			return E_NOMEM;
		}
		address_fill(o, &rows[i]);
		json_array_append_new(list, o);
	}
	*out = list;
	return E_OK;
}

/* ---- request helpers ---- */

/* The {id} of the path; 0 when it is not a positive number (answered 404,
 * like any id that is not the person's). */
static int64_t path_id(const struct ctx *c)
{
	const char *s = c->req->pathvar[0];
	int64_t id;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

/* The validated values of the request's fields (NULL when absent). */
static void input_address(const struct ctx *c, struct address *ad)
{
	memset(ad, 0, sizeof(*ad));
	for (size_t k = 0; k < NELEM(afields); k++)
		*afield_ptr(ad, &afields[k]) = ctx_str(c, afields[k].key);
}

/* What the route keys cannot say about a JSON body. They count "" like an
 * absent key and never see objects, arrays or null; so in a PATCH,
 * {"line2": ""} or {"line2": null} clears an optional field, the same for a
 * required field is refused, and a non-text value is refused everywhere
 * rather than silently dropped. Returns the message, or NULL. */
static const char *json_fields(struct ctx *c, struct address *in, int patch)
{
	json_t *body = c->req->json, *v;

	if (!json_is_object(body))
		return NULL;
	for (size_t k = 0; k < NELEM(afields); k++) {
		const struct afield *f = &afields[k];

		if (ctx_has(c, f->key) || !(v = json_object_get(body, f->key)))
			continue;
		if (json_is_object(v) || json_is_array(v))
			return arena_printf(c->a, "%s: must be text", f->key);
		if (patch && (json_is_null(v) || (json_is_string(v) && !json_string_length(v)))) {
			if (f->required)
				return arena_printf(c->a, "%s: must not be empty", f->key);
			*afield_ptr(in, f) = "";
		}
	}
	v = json_object_get(body, "isDefault");
	if (v && (json_is_object(v) || json_is_array(v)))
		return "isDefault: must be true or false";
	return NULL;
}

/* 400 for the API, with the field-level problems also listed as
 * error.fields [{field, message}] for clients that place them. */
static enum err api_invalid(struct ctx *c, const struct address_errors *errs, const char *why)
{
	json_t *fields;
	enum err e = reply_error(c, 400, why ? why : address_errors_text(c->a, errs));

	if (e || why || !errs->n)
		return e;
	if (!(fields = json_array()))
		return E_NOMEM;
	for (int i = 0; i < errs->n; i++)
		json_array_append_new(fields, json_pack("{s:s, s:s}", "field", errs->v[i].field,
							"message", errs->v[i].message));
	json_object_set_new(json_object_get(c->resp->model, "error"), "fields", fields);
	return E_OK;
}

/* Answers the address as JSON (read after the change committed). */
static enum err api_address(struct ctx *c, int64_t id)
{
	struct address_row row;
	json_t *m;
	enum err e;

	if ((e = address_get(c->db, c->a, c->sess->uid, id, &row)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	address_fill(m, &row);
	return E_OK;
}

/* The add/edit page (address_edit.html): the values as entered, with a
 * summary of the problems and each field's own message beside it. id 0 is
 * the add form. */
static enum err form_page(struct ctx *c, int status, int64_t id, const struct address *in,
			  int is_default, int make_default_box, const struct address_errors *errs,
			  const char *why)
{
	json_t *m = reply_model(c, "address_edit", id ? "Edit address" : "Add an address");
	const char *csrf = session_csrf(c);
	json_t *ad, *list, *byfield;

	if (!m)
		return E_NOMEM;
	c->resp->status = status;
	json_object_set_new(m, "csrf", json_string(csrf ? csrf : ""));
	json_object_set_new(m, "isNew", json_boolean(!id));
	ad = json_object();
	if (id)
		json_object_set_new(ad, "id", json_integer(id));
	for (size_t k = 0; k < NELEM(afields); k++) {
		const char *v = *afield_ptr((struct address *)in, &afields[k]);

		json_object_set_new(ad, afields[k].key, json_string(v ? v : ""));
	}
	json_object_set_new(ad, "isDefault", json_boolean(is_default));
	json_object_set_new(ad, "makeDefault", json_boolean(make_default_box));
	json_object_set_new(m, "address", ad);
	if (errs && errs->n) {
		list = json_array();
		byfield = json_object();
		for (int i = 0; i < errs->n; i++) {
			const char *label = errs->v[i].field, *text;

			for (size_t k = 0; k < NELEM(afields); k++)
				if (!strcmp(afields[k].key, errs->v[i].field))
					label = afields[k].label;
			/* A sentence that reads on its own, beside the field and in
			 * the summary: "Postal code is not a valid US ZIP code". */
			text = arena_printf(c->a, "%s %s", label, errs->v[i].message);
			json_array_append_new(list, json_pack("{s:s, s:s}", "field", errs->v[i].field,
							      "message", text));
			if (!json_object_get(byfield, errs->v[i].field))
				json_object_set_new(byfield, errs->v[i].field, json_string(text));
		}
		json_object_set_new(m, "errors", list);
		json_object_set_new(m, "fieldErrors", byfield);
	}
	if (why)
		json_object_set_new(m, "error", json_pack("{s:s}", "message", why));
	return E_OK;
}

/* ---- HTML handlers ---- */

/* Where a change made from the account page returns to. */
#define BACK "/account#addresses"

enum err h_address_new(struct ctx *c)
{
	struct address_change op = { .kind = ADDRESS_CREATE, .uid = c->sess->uid };
	struct address raw;
	enum err e;

	input_address(c, &raw);
	op.in = raw;
	op.set_default = ctx_int(c, "isDefault", 0) != 0;
	if (address_check(c->a, &op.in, &op.errs))
		return form_page(c, 400, 0, &raw, 0, op.set_default, &op.errs, NULL);
	e = address_apply(c->db, c->a, &op);
	if (e == E_INVAL)
		return form_page(c, 400, 0, &raw, 0, op.set_default, &op.errs, op.why);
	if (e)
		return e;
	return reply_redirect(c, 303, BACK);
}

enum err h_address_edit_form(struct ctx *c)
{
	int64_t id = path_id(c);
	struct address_row row;
	enum err e;

	if (!id)
		return E_NOTFOUND;
	if ((e = address_get(c->db, c->a, c->sess->uid, id, &row)))
		return e;
	return form_page(c, 200, id, &row.ad, row.is_default, 0, NULL, NULL);
}

enum err h_address_edit(struct ctx *c)
{
	struct address_change op = { .kind = ADDRESS_UPDATE, .uid = c->sess->uid, .replace = 1 };
	enum err e;

	if (!(op.id = path_id(c)))
		return E_NOTFOUND;
	input_address(c, &op.in);
	op.set_default = ctx_int(c, "isDefault", 0) != 0;
	e = address_apply(c->db, c->a, &op);
	if (e == E_INVAL)
		return form_page(c, 400, op.id, &op.in, op.was_default, op.set_default, &op.errs, op.why);
	if (e)
		return e;
	return reply_redirect(c, 303, BACK);
}

static enum err simple_change(struct ctx *c, enum address_op kind)
{
	struct address_change op = { .kind = kind, .uid = c->sess->uid };
	enum err e;

	if (!(op.id = path_id(c)))
		return E_NOTFOUND;
	if ((e = address_apply(c->db, c->a, &op)))
		return e;
	return reply_redirect(c, 303, BACK);
}

enum err h_address_delete(struct ctx *c)
{
	return simple_change(c, ADDRESS_DELETE);
}

enum err h_address_default(struct ctx *c)
{
	return simple_change(c, ADDRESS_DEFAULT);
}

/* ---- JSON API ---- */

enum err h_api_addresses(struct ctx *c)
{
	json_t *m, *items = NULL;
	enum err e;

	if ((e = address_list(c, c->sess->uid, &items)))
		return e;
	if (!(m = reply_model(c, NULL, NULL))) {
		json_decref(items);
		return E_NOMEM;
	}
	json_object_set_new(m, "items", items);
	/* At most ADDRESS_PER_USER: one page, but the listing shape of the API. */
	json_object_set_new(m, "nextCursor", json_null());
	return E_OK;
}

enum err h_api_address_get(struct ctx *c)
{
	int64_t id = path_id(c);

	return id ? api_address(c, id) : E_NOTFOUND;
}

enum err h_api_address_create(struct ctx *c)
{
	struct address_change op = { .kind = ADDRESS_CREATE, .uid = c->sess->uid };
	const char *why;
	enum err e;

	input_address(c, &op.in);
	if ((why = json_fields(c, &op.in, 0)))
		return reply_error(c, 400, why);
	if (address_check(c->a, &op.in, &op.errs))
		return api_invalid(c, &op.errs, NULL);
	op.set_default = ctx_int(c, "isDefault", 0) != 0;
	e = address_apply(c->db, c->a, &op);
	if (e == E_INVAL)
		return api_invalid(c, &op.errs, op.why);
	if (e)
		return e;
	if ((e = api_address(c, op.id)))
		return e;
	c->resp->status = 201;
	resp_header(c->resp, arena_printf(c->a, "Location: /api/me/addresses/%lld", (long long)op.id));
	return E_OK;
}

enum err h_api_address_update(struct ctx *c)
{
	struct address_change op = { .kind = ADDRESS_UPDATE, .uid = c->sess->uid };
	const char *why;
	enum err e;

	if (!(op.id = path_id(c)))
		return E_NOTFOUND;
	input_address(c, &op.in);
	if ((why = json_fields(c, &op.in, 1)))
		return reply_error(c, 400, why);
	if (ctx_has(c, "isDefault")) {
		op.set_default = ctx_int(c, "isDefault", 0) != 0;
		op.unset_default = !op.set_default;
	}
	e = address_apply(c->db, c->a, &op);
	if (e == E_INVAL)
		return api_invalid(c, &op.errs, op.why);
	if (e)
		return e;
	return api_address(c, op.id);
}

enum err h_api_address_delete(struct ctx *c)
{
	struct address_change op = { .kind = ADDRESS_DELETE, .uid = c->sess->uid };
	enum err e;

	if (!(op.id = path_id(c)))
		return E_NOTFOUND;
	if ((e = address_apply(c->db, c->a, &op)))
		return e;
	c->resp->status = 204;	/* no model: an empty body */
	return E_OK;
}
