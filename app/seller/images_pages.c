/* Product photos: the seller's photo page and the photo API (images_pages.h).
 * What a photo is, how it is checked, encoded and stored is images.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../store/db.h"
#include "../account/session_pages.h"
#include "../catalog/pcache.h"
#include "images.h"
#include "images_pages.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* ---- request helpers ---- */

/* The n-th {..} of the path as a positive id; 0 when it is not one
 * (answered 404, like an id that is not the seller's). */
static int64_t path_id(const struct ctx *c, int n)
{
	const char *s = n < c->req->npathvar ? c->req->pathvar[n] : NULL;
	int64_t id;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

/* The seller's item (id, title, slug, status), or E_NOTFOUND. */
static enum err load_product(struct ctx *c, int64_t pid, struct db_res **out)
{
	return images_product(c->db, c->a, c->sess->seller_id, pid, out);
}

/* A photo as the API shows it. */
static json_t *image_json(struct ctx *c, const struct db_res *r, size_t i)
{
	const char *hash = db_cell(r, i, IMAGES_C_HASH);

	return json_pack("{s:I, s:s, s:I, s:I, s:I, s:{s:s, s:s, s:s}}",
		"id", (json_int_t)db_int(r, i, IMAGES_C_ID), "alt", db_cell(r, i, IMAGES_C_ALT),
		"position", (json_int_t)db_int(r, i, IMAGES_C_POS), "width", (json_int_t)db_int(r, i, IMAGES_C_WIDTH),
		"height", (json_int_t)db_int(r, i, IMAGES_C_HEIGHT), "urls",
		"thumb", images_url(c->a, hash, IMAGE_SIZE_THUMB), "card", images_url(c->a, hash, IMAGE_SIZE_CARD),
		"full", images_url(c->a, hash, IMAGE_SIZE_FULL));
}

/* The item's photos in order, as an array for the API or the page. */
static enum err list_json(struct ctx *c, int64_t pid, json_t **out)
{
	struct db_res *r = NULL;
	json_t *list;
	enum err e;

	*out = NULL;
	if ((e = images_list(c->db, c->a, c->sess->seller_id, pid, &r)))
		return e;
	if (!(list = json_array()))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		json_t *o = image_json(c, r, i);

		if (!o) {
			json_decref(list);
			return E_NOMEM;
		}
		json_object_set_new(o, "first", json_boolean(i == 0));
		json_object_set_new(o, "last", json_boolean(i + 1 == r->nrows));
		json_array_append_new(list, o);
	}
	*out = list;
	return E_OK;
}

/* ---- the page ---- */

struct page_err {
	int status;
	const char *message;	/* above the form */
	const char *image;	/* beside the file input */
	const char *alt;	/* beside the new photo's alt text */
	const char *alt_value;	/* the new photo's alt text as entered */
	int64_t alt_id;		/* a photo whose alt text was refused */
	const char *alt_id_value, *alt_id_error;
};

static const char *const done_notes[][2] = {
	{ "added", "The photo was added." }, { "saved", "The alt text was saved." },
	{ "moved", "The photo was moved." }, { "deleted", "The photo was deleted." },
};

static enum err page(struct ctx *c, int64_t pid, const struct page_err *pe)
{
	struct db_res *p = NULL;
	json_t *m, *list, *v, *fe;
	const char *csrf, *done;
	size_t i, n;
	enum err e;

	if ((e = load_product(c, pid, &p)) || (e = list_json(c, pid, &list)))
		return e;
	m = reply_model(c, "seller_images", arena_printf(c->a, "Photos of %s", db_cell(p, 0, 1)));
	if (!m) {
		json_decref(list);
		return E_NOMEM;
	}
	csrf = session_csrf(c);
	n = json_array_size(list);
	json_object_set_new(m, "csrf", json_string(csrf ? csrf : ""));
	json_object_set_new(m, "product", json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)pid,
		"title", db_cell(p, 0, 1), "url", arena_printf(c->a, "/p/%s", db_cell(p, 0, 2)),
		"status", db_cell(p, 0, 3)));
	json_object_set_new(m, "count", json_integer((json_int_t)n));
	json_object_set_new(m, "max", json_integer(IMAGES_PER_ITEM));
	json_object_set_new(m, "canAdd", json_boolean(n < IMAGES_PER_ITEM));
	if (pe && pe->alt_id)
		json_array_foreach(list, i, v)
			if (json_integer_value(json_object_get(v, "id")) == pe->alt_id) {
				json_object_set_new(v, "alt", json_string(pe->alt_id_value));
				json_object_set_new(v, "altError", json_string(pe->alt_id_error));
			}
	json_object_set_new(m, "images", list);
	if (pe) {
		c->resp->status = pe->status;
		if (pe->message)
			json_object_set_new(m, "error", json_pack("{s:s}", "message", pe->message));
		fe = json_object();
		if (pe->image)
			json_object_set_new(fe, "image", json_string(pe->image));
		if (pe->alt)
			json_object_set_new(fe, "alt", json_string(pe->alt));
		json_object_set_new(m, "fieldErrors", fe);
		json_object_set_new(m, "altValue", json_string(pe->alt_value ? pe->alt_value : ""));
	}
	if ((done = ctx_str(c, "done")))
		for (i = 0; i < sizeof(done_notes) / sizeof(done_notes[0]); i++)
			if (!strcmp(done, done_notes[i][0]))
				c->notice = done_notes[i][1];
	return E_OK;
}

static enum err back(struct ctx *c, int64_t pid, const char *done)
{
	return reply_redirect(c, 303, arena_printf(c->a, "/seller/items/%lld/images?done=%s",
						   (long long)pid, done));
}

/* Alt text as sent: the route keys bound it loosely (and refuse control
 * characters); the real limit is checked here so the form can say so
 * beside the field. */
static const char *alt_check(const char *alt)
{
	return alt && strlen(alt) > IMAGE_ALT_MAX ?
		"Alt text must be at most " STR(IMAGE_ALT_MAX) " characters long." : NULL;
}

enum err h_seller_images(struct ctx *c)
{
	return page(c, path_id(c, 0), NULL);
}

enum err h_seller_image_upload(struct ctx *c)
{
	int64_t pid = path_id(c, 0);
	const struct upload *u = req_upload(c->req, "image");
	struct image_upload in = { .alt = ctx_str(c, "alt") };
	struct page_err pe = { .alt_value = in.alt };
	struct db_res *p = NULL;
	enum err e;

	if ((e = load_product(c, pid, &p)))
		return e;
	if ((pe.alt = alt_check(in.alt))) {
		pe.status = 400;
		return page(c, pid, &pe);
	}
	if (!u || (!u->len && !*u->filename)) {
		pe.status = 400;
		pe.image = "Choose a photo to upload.";
		return page(c, pid, &pe);
	}
	in.data = (const unsigned char *)u->data;
	in.len = u->len;
	in.filename = u->filename;
	if ((e = images_add(c->db, c->a, c->sess->seller_id, pid, &in)))
		return e;
	if (in.status == 404)
		return E_NOTFOUND;
	if (in.status) {
		pe.status = in.status;
		pe.image = in.why;
		return page(c, pid, &pe);
	}
	return back(c, pid, "added");
}

enum err h_seller_image_alt(struct ctx *c)
{
	struct image_op op = { .seller = c->sess->seller_id, .pid = path_id(c, 0),
			     .iid = path_id(c, 1), .set_alt = 1 };
	const char *m;
	enum err e;

	if (!op.pid || !op.iid)
		return E_NOTFOUND;
	op.alt = ctx_str(c, "alt") ? ctx_str(c, "alt") : "";
	if ((m = alt_check(op.alt))) {
		struct page_err pe = { .status = 400, .alt_id = op.iid, .alt_id_value = op.alt,
				       .alt_id_error = m, .message = "The alt text was not saved." };

		return page(c, op.pid, &pe);
	}
	if ((e = images_update(c->db, c->a, &op)))
		return e;
	pcache_bump(op.pid);
	return back(c, op.pid, "saved");
}

enum err h_seller_image_move(struct ctx *c)
{
	struct image_op op = { .seller = c->sess->seller_id, .pid = path_id(c, 0),
			     .iid = path_id(c, 1) };
	const char *dir = ctx_str(c, "direction");
	enum err e;

	if (!op.pid || !op.iid)
		return E_NOTFOUND;
	if ((e = images_owned(c->db, c->a, op.seller, op.pid, op.iid)))
		return e;
	if (dir && !strcmp(dir, "up"))
		op.move = -1;
	else if (dir && !strcmp(dir, "down"))
		op.move = 1;
	else
		return reply_error(c, 400, "direction: must be up or down");
	if ((e = images_update(c->db, c->a, &op)))
		return e;
	pcache_bump(op.pid);
	return back(c, op.pid, "moved");
}

/* Shared by the page and the API: deletes, then removes the files if no
 * other row names them. */
static enum err delete_image(struct ctx *c, int64_t pid, int64_t iid)
{
	struct image_op op = { .seller = c->sess->seller_id, .pid = pid, .iid = iid };

	return images_delete(c->db, c->a, &op);
}

enum err h_seller_image_delete(struct ctx *c)
{
	int64_t pid = path_id(c, 0);
	enum err e = delete_image(c, pid, path_id(c, 1));

	return e ? e : back(c, pid, "deleted");
}

/* ---- the API ---- */

enum err h_api_images(struct ctx *c)
{
	int64_t pid = path_id(c, 0);
	struct db_res *p = NULL;
	json_t *m, *list;
	enum err e;

	if ((e = load_product(c, pid, &p)) || (e = list_json(c, pid, &list)))
		return e;
	if (!(m = reply_model(c, NULL, NULL))) {
		json_decref(list);
		return E_NOMEM;
	}
	json_object_set_new(m, "items", list);
	json_object_set_new(m, "max", json_integer(IMAGES_PER_ITEM));
	return E_OK;
}

/* Answers one photo (read after the change committed). */
static enum err api_image(struct ctx *c, int64_t pid, int64_t iid, int status)
{
	json_t *list, *v, *m;
	size_t i;
	enum err e;

	if ((e = list_json(c, pid, &list)))
		return e;
	json_array_foreach(list, i, v) {
		if (json_integer_value(json_object_get(v, "id")) != iid)
			continue;
		if (!(m = reply_model(c, NULL, NULL))) {
			json_decref(list);
			return E_NOMEM;
		}
		json_object_update(m, v);
		json_object_del(m, "first");
		json_object_del(m, "last");
		json_decref(list);
		c->resp->status = status;
		return E_OK;
	}
	json_decref(list);
	return E_NOTFOUND;
}

/* The body's content type says it is not a form or JSON: the photo itself. */
static int raw_body(const struct req *r)
{
	const char *ct = r->content_type ? r->content_type : "";

	return r->body_len && strncasecmp(ct, "multipart/form-data", 19) &&
	       strncasecmp(ct, "application/x-www-form-urlencoded", 33) &&
	       strncasecmp(ct, "application/json", 16);
}

enum err h_api_image_create(struct ctx *c)
{
	int64_t pid = path_id(c, 0);
	const struct upload *u = req_upload(c->req, "image");
	struct image_upload in = { .alt = ctx_str(c, "alt") };
	struct db_res *p = NULL;
	const char *m;
	enum err e;

	if ((e = load_product(c, pid, &p)))
		return e;
	if ((m = alt_check(in.alt)))
		return reply_error(c, 400, arena_printf(c->a, "alt: %s", m));
	if (u) {
		in.data = (const unsigned char *)u->data;
		in.len = u->len;
		in.filename = u->filename;
	} else if (raw_body(c->req)) {
		in.data = (const unsigned char *)c->req->body;
		in.len = c->req->body_len;
	} else {
		return reply_error(c, 400, "Send the photo as the multipart/form-data file field \"image\", "
				   "or as the request body itself.");
	}
	if ((e = images_add(c->db, c->a, c->sess->seller_id, pid, &in)))
		return e;
	if (in.status)
		return reply_error_titled(c, in.status, in.status == 422 ? "That image file could not be used" : NULL, in.why);
	resp_header(c->resp, arena_printf(c->a, "Location: /api/items/%lld/images/%lld",
					  (long long)pid, (long long)in.iid));
	return api_image(c, pid, in.iid, 201);
}

enum err h_api_image_update(struct ctx *c)
{
	struct image_op op = { .seller = c->sess->seller_id, .pid = path_id(c, 0),
			     .iid = path_id(c, 1) };
	json_t *alt = json_object_get(c->req->json, "alt");
	const char *m;
	enum err e;

	if (!op.pid || !op.iid)
		return E_NOTFOUND;
	/* The keys count "" as absent; in a PATCH it clears the alt text. */
	if (alt && !json_is_string(alt))
		return reply_error(c, 400, "alt: must be text");
	if (ctx_has(c, "alt") || alt) {
		op.set_alt = 1;
		op.alt = ctx_has(c, "alt") ? ctx_str(c, "alt") : "";
		if ((m = alt_check(op.alt)))
			return reply_error(c, 400, arena_printf(c->a, "alt: %s", m));
	}
	op.to_pos = ctx_int(c, "position", 0);
	if (!op.set_alt && !op.to_pos)
		return reply_error(c, 400, "Send alt, position or both.");
	e = images_update(c->db, c->a, &op);
	if (e == E_INVAL && op.why)
		return reply_error(c, 400, op.why);
	if (e)
		return e;
	pcache_bump(op.pid);
	return api_image(c, op.pid, op.iid, 200);
}

enum err h_api_image_delete(struct ctx *c)
{
	enum err e = delete_image(c, path_id(c, 0), path_id(c, 1));

	if (e)
		return e;
	c->resp->status = 204;	/* no model: an empty body */
	return E_OK;
}
