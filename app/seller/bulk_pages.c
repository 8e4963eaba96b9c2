/* The seller bulk import's pages and API (bulk_pages.h): the upload form
 * and the list of imports, an import's progress and its error report (page,
 * CSV and JSON). The import itself is bulk.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../store/db.h"
#include "../account/session_pages.h"
#include "bulk.h"
#include "bulk_pages.h"

#define ERRORS_SHOWN	100	/* on the progress page */
#define ERRORS_API_MAX	10000


static int64_t path_id(const struct ctx *c)
{
	const char *s = c->req->npathvar ? c->req->pathvar[0] : NULL;
	int64_t id;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

static json_t *import_json(struct db_res *r, size_t i, int api)
{
	int64_t id = db_int(r, i, BULK_I_ID), total = db_int(r, i, BULK_I_TOTAL), done = db_int(r, i, BULK_I_DONE);
	const char *state = db_cell(r, i, BULK_I_STATE), *fin = db_cell(r, i, BULK_I_FINISHED), *msg = db_cell(r, i, BULK_I_MESSAGE);
	char url[64], eurl[80];

	snprintf(url, sizeof(url), api ? "/api/imports/%lld" : "/seller/import/%lld", (long long)id);
	snprintf(eurl, sizeof(eurl), api ? "/api/imports/%lld/errors" : "/seller/import/%lld/errors.csv", (long long)id);
	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:b, s:I, s:s, s:s}",
		"id", (json_int_t)id, "state", state, "format", db_cell(r, i, BULK_I_FORMAT),
		"filename", db_cell(r, i, BULK_I_FILENAME), "rowsTotal", (json_int_t)total, "rowsDone", (json_int_t)done,
		"rowsFailed", (json_int_t)db_int(r, i, BULK_I_FAILED), "rowsChanged", (json_int_t)db_int(r, i, BULK_I_CHANGED),
		"createdAt", db_cell(r, i, BULK_I_CREATED), "finishedAt", fin ? json_string(fin) : json_null(),
		"message", msg ? json_string(msg) : json_null(),
		"running", !strcmp(state, "queued") || !strcmp(state, "running"),
		"percent", (json_int_t)(total ? done * 100 / total : 100), "url", url, "errorsUrl", eurl);
}

static enum err list_page(struct ctx *c, int status, const char *form_error)
{
	json_t *m = session_form_page(c, "seller_import", "Bulk import", status), *list;
	struct db_res *r = NULL;
	enum err e;

	if (!m)
		return E_NOMEM;
	if ((e = bulk_import_list(c->db, c->a, c->sess->seller_id, &r)))
		return e;
	if (!(list = json_array()))
		return E_NOMEM;
	json_object_set_new(m, "imports", list);
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(list, import_json(r, i, 0));
	if (form_error)
		json_object_set_new(m, "formError", json_string(form_error));
	return E_OK;
}

enum err h_seller_import(struct ctx *c)
{
	return list_page(c, 200, NULL);
}

enum err h_seller_import_post(struct ctx *c)
{
	const struct upload *up = req_upload(c->req, "file");
	const char *format = ctx_str(c, "format"), *why = NULL;
	int64_t id = 0;
	enum err e;

	if (!c->sess->seller_id)
		return reply_error(c, 403, "Your account has no seller profile yet.");
	if (!up || !up->len)
		return list_page(c, 400, "Choose a CSV or JSON file to upload.");
	if (!format || !*format) {
		size_t fl = strlen(up->filename);

		format = fl >= 5 && !strcasecmp(up->filename + fl - 5, ".json") ? "json" : "csv";
	}
	if (strcmp(format, "csv") && strcmp(format, "json"))
		return list_page(c, 400, "Choose the file's format: CSV or JSON.");
	{
		/* The client's name for the file, shown back to the seller:
		 * cut to the column on a character boundary. */
		char *name = arena_strdup(c->a, up->filename ? up->filename : "");
		size_t n = name ? strlen(name) : 0;

		if (!name)
			return E_NOMEM;
		if (n > 200) {
			n = 200;
			while (n && ((unsigned char)name[n] & 0xC0) == 0x80)
				n--;
			name[n] = '\0';
		}
		e = bulk_create(c->db, c->a, c->sess->seller_id, c->sess->uid, format, name, up->data, up->len,
				&id, &why);
	}
	if (e == E_INVAL)
		return list_page(c, 400, arena_printf(c->a, "The file was not imported: %s.", why));
	if (e)
		return e;
	return reply_redirect(c, 303, arena_printf(c->a, "/seller/import/%lld", (long long)id));
}

/* The import, when it is this seller's. */
static enum err get_import(struct ctx *c, int64_t id, struct db_res **r)
{
	return bulk_import_get(c->db, c->a, c->sess->seller_id, id, r);
}

static json_t *errors_json(struct db_res *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->nrows; i++)
		json_array_append_new(a, json_pack("{s:I, s:s, s:s}", "row", (json_int_t)db_int(r, i, 0),
						   "column", db_cell(r, i, 1), "message", db_cell(r, i, 2)));
	return a;
}

enum err h_seller_import_show(struct ctx *c)
{
	struct db_res *r = NULL, *er = NULL;
	int64_t id = path_id(c);
	json_t *m, *imp;
	enum err e;

	if ((e = get_import(c, id, &r)) ||
	    (e = bulk_import_errors(c->db, c->a, id, (int64_t)ERRORS_SHOWN + 1, &er)))
		return e;
	if (!(m = reply_model(c, "seller_import_show", "Import progress")) || !(imp = import_json(r, 0, 0)))
		return E_NOMEM;
	json_object_set_new(m, "import", imp);
	if (er->nrows > ERRORS_SHOWN) {
		er->nrows = ERRORS_SHOWN;
		json_object_set_new(m, "moreErrors", json_true());
	}
	json_object_set_new(m, "errors", errors_json(er));
	/* The page follows a running import without JavaScript, but only when
	 * the person asked it to (a link on the page, and one to stop): a page
	 * that reloads by itself loses a screen reader's place and cannot be
	 * read at one's own pace (WCAG 2.2.1). */
	json_object_set_new(imp, "pageUrl", json_string(arena_printf(c->a, "/seller/import/%lld", (long long)id)));
	json_object_set_new(imp, "followUrl", json_string(arena_printf(c->a, "/seller/import/%lld?follow=1",
								       (long long)id)));
	if (json_is_true(json_object_get(imp, "running")) && ctx_int(c, "follow", 0)) {
		json_object_set_new(imp, "follow", json_true());
		resp_header(c->resp, "Refresh: 5");
	}
	return E_OK;
}

/* One CSV cell: quoted when needed; a leading = + - @ is defused so a
 * spreadsheet shows the text instead of running it as a formula. */
static void csv_cell(struct buf *b, const char *s)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL || strchr("=+-@", s[0]) != NULL;

	if (!*s)
		return;
	if (!quote) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '"');
	if (strchr("=+-@", s[0]))
		buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

enum err h_seller_import_errors_csv(struct ctx *c)
{
	struct db_res *r = NULL, *er = NULL;
	int64_t id = path_id(c);
	enum err e;

	if ((e = get_import(c, id, &r)) ||
	    (e = bulk_import_errors(c->db, c->a, id, (int64_t)BULK_MAX_ROWS * 4, &er)))
		return e;
	c->resp->content_type = "text/csv; charset=utf-8";
	resp_header(c->resp, arena_printf(c->a, "Content-Disposition: attachment; filename=\"import-%lld-errors.csv\"",
					  (long long)id));
	buf_puts(&c->resp->body, "row,column,message\r\n");
	for (size_t i = 0; i < er->nrows; i++) {
		buf_printf(&c->resp->body, "%lld,", (long long)db_int(er, i, 0));
		csv_cell(&c->resp->body, db_cell(er, i, 1));
		buf_putc(&c->resp->body, ',');
		csv_cell(&c->resp->body, db_cell(er, i, 2));
		buf_puts(&c->resp->body, "\r\n");
	}
	return E_OK;
}

enum err h_api_import_create(struct ctx *c)
{
	const char *ct = c->req->content_type ? c->req->content_type : "", *why = NULL, *format;
	struct db_res *r = NULL;
	int64_t id = 0;
	json_t *m;
	enum err e;

	if (!c->sess->seller_id)
		return reply_error(c, 403, "Your account has no seller profile yet.");
	if (!strncasecmp(ct, "text/csv", 8))
		format = "csv";
	else if (!strncasecmp(ct, "application/json", 16))
		format = "json";
	else
		return reply_error(c, 415, "Send the file as the body, with Content-Type text/csv or application/json.");
	if (!c->req->body_len)
		return reply_error(c, 400, "The body is empty: send the file as the body.");
	e = bulk_create(c->db, c->a, c->sess->seller_id, c->sess->uid, format, ctx_str(c, "filename"),
			c->req->body, c->req->body_len, &id, &why);
	if (e == E_INVAL)
		return reply_error(c, 400, arena_printf(c->a, "The file was not imported: %s.", why));
	if (e || (e = get_import(c, id, &r)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	{
		json_t *imp = import_json(r, 0, 1);

		if (!imp)
			return E_NOMEM;
		json_object_update(m, imp);
		json_decref(imp);
	}
	c->resp->status = 202;
	resp_header(c->resp, arena_printf(c->a, "Location: /api/imports/%lld", (long long)id));
	return E_OK;
}

enum err h_api_import(struct ctx *c)
{
	struct db_res *r = NULL;
	json_t *m, *imp;
	enum err e;

	if ((e = get_import(c, path_id(c), &r)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)) || !(imp = import_json(r, 0, 1)))
		return E_NOMEM;
	json_object_update(m, imp);
	json_decref(imp);
	return E_OK;
}

enum err h_api_import_errors(struct ctx *c)
{
	struct db_res *r = NULL, *er = NULL;
	int64_t id = path_id(c);
	json_t *m;
	enum err e;

	if ((e = get_import(c, id, &r)) ||
	    (e = bulk_import_errors(c->db, c->a, id, (int64_t)ERRORS_API_MAX + 1, &er)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_set_new(m, "truncated", json_boolean(er->nrows > ERRORS_API_MAX));
	if (er->nrows > ERRORS_API_MAX)
		er->nrows = ERRORS_API_MAX;
	json_object_set_new(m, "items", errors_json(er));
	json_object_set_new(m, "rowsFailed", json_integer(db_int(r, 0, BULK_I_FAILED)));
	return E_OK;
}
