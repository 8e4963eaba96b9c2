/* Categories in the console: /admin/categories (the tree; create, rename,
 * move, reorder, retire with "move products to") and
 * /api/admin/categories. The writes are app/catalog/category_admin.c's,
 * each in one transaction with its audit row. */
#include <stdlib.h>
#include <string.h>
#include "../core/arena.h"
#include "../store/db.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../account/session_pages.h"
#include "../catalog/category_admin.h"
#include "audit.h"
#include "console_pages.h"

enum { OP_CREATE, OP_EDIT, OP_REORDER, OP_MOVE_PRODUCTS, OP_RETIRE };

/* One act: what it changes, the request's values, the outcome. */
struct cat_op {
	struct arena *a;
	const char *actor;
	int op;
	int64_t id;
	const char *name, *slug;
	int has_parent, has_position, has_name;
	int64_t parent, position, to;
	int64_t out_id, moved;
	struct category_why why;
	json_t *before, *after;
};

static const char *const action_names[] = { "category.create", "category.update", "category.reorder",
					     "category.move_products", "category.retire" };

static enum err op_tx(struct db *db, void *ctx)
{
	struct cat_op *op = ctx;
	enum err e = E_OK;

	json_decref(op->before);
	json_decref(op->after);
	op->before = op->after = NULL;
	memset(&op->why, 0, sizeof(op->why));
	if (op->op != OP_CREATE) {
		e = category_admin_json(db, op->a, op->id, &op->before);
		if (e == E_NOTFOUND) {
			op->why.msg = "There is no such category.";
			return E_NOTFOUND;
		}
		if (e)
			return e;
	}
	switch (op->op) {
	case OP_CREATE:
		e = category_admin_create(db, op->a, op->name, op->slug, op->parent, &op->out_id, &op->why);
		op->id = op->out_id;
		break;
	case OP_EDIT:
		if (op->has_name)
			e = category_admin_rename(db, op->a, op->id, op->name, &op->why);
		if (!e && op->has_parent)
			e = category_admin_move(db, op->a, op->id, op->parent, &op->why);
		if (!e && op->has_position)
			e = category_admin_reorder(db, op->a, op->id, op->position, &op->why);
		break;
	case OP_REORDER:
		e = category_admin_reorder(db, op->a, op->id, op->position, &op->why);
		break;
	case OP_MOVE_PRODUCTS:
		e = category_admin_move_products(db, op->a, op->id, op->to, &op->moved, &op->why);
		break;
	case OP_RETIRE:
		e = category_admin_retire(db, op->a, op->id, op->to, &op->moved, &op->why);
		break;
	}
	if (e)
		return e;
	if ((e = category_admin_json(db, op->a, op->id, &op->after)))
		return e;
	if (op->moved)
		json_object_set_new(op->after, "productsMoved", json_integer(op->moved));
	return audit_record(db, op->a, op->actor, action_names[op->op],
			    arena_printf(op->a, "category:%lld", (long long)op->id), op->before, op->after);
}

static enum err run(struct ctx *c, struct cat_op *op)
{
	enum err e;

	op->a = c->a;
	op->actor = console_actor(c);
	e = db_tx(c->db, op_tx, op);
	json_decref(op->before);
	op->before = NULL;
	if (e)
		json_decref(op->after), op->after = NULL;
	return e;
}

/* ---- the API ---- */

static enum err api_refusal(struct ctx *c, enum err e, const struct cat_op *op)
{
	const char *msg = op->why.msg ? op->why.msg : "The category cannot be changed.";

	if (e == E_NOTFOUND)
		return reply_error(c, 404, msg);
	if (e == E_INVAL || (e == E_CONFLICT && op->why.field)) {
		const char *f = op->why.field ? op->why.field : "id";

		return console_reply_fields(c, "The category cannot be changed", 1, &f, &msg);
	}
	if (e == E_CONFLICT)
		return reply_error_titled(c, 409, "The category cannot be changed", msg);
	return e;
}

static enum err api_answer(struct ctx *c, enum err e, struct cat_op *op, int status)
{
	json_t *m;

	if (e)
		return api_refusal(c, e, op);
	if (!(m = reply_model(c, NULL, NULL))) {
		json_decref(op->after);
		return E_NOMEM;
	}
	json_object_update(m, op->after);
	json_decref(op->after);
	c->resp->status = status;
	return E_OK;
}

/* An optional whole-number member: 1 and *out when there, -1 when of the
 * wrong type (with the 422 answered), 0 when absent. null is 0 (a top
 * category for parentId). */
static int member_int(struct ctx *c, const char *name, int64_t *out, enum err *e)
{
	json_t *v = json_object_get(c->req->json, name);
	const char *msg = "A whole number (an id).";

	*out = 0;
	if (!v)
		return 0;
	if (json_is_null(v))
		return 1;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		*e = console_reply_fields(c, "The category cannot be changed", 1, &name, &msg);
		return -1;
	}
	*out = json_integer_value(v);
	return 1;
}

static int member_str(struct ctx *c, const char *name, const char **out, enum err *e)
{
	json_t *v = json_object_get(c->req->json, name);
	const char *msg = "Text.";

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		*e = console_reply_fields(c, "The category cannot be changed", 1, &name, &msg);
		return -1;
	}
	*out = json_string_value(v);
	return 1;
}

enum err h_api_admin_categories(struct ctx *c)
{
	json_t *m, *list;
	enum err e;

	if ((e = category_admin_list(c->db, c->a, &list)))
		return e;
	if (!(m = reply_model(c, NULL, NULL))) {
		json_decref(list);
		return E_NOMEM;
	}
	json_object_set_new(m, "categories", list);
	return E_OK;
}

enum err h_api_admin_category_get(struct ctx *c)
{
	json_t *m, *o;
	enum err e;

	e = category_admin_json(c->db, c->a, console_path_id(c), &o);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such category.");
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL))) {
		json_decref(o);
		return E_NOMEM;
	}
	json_object_update(m, o);
	json_decref(o);
	return E_OK;
}

enum err h_api_admin_category_create(struct ctx *c)
{
	struct cat_op op = { .op = OP_CREATE };
	enum err e = E_OK;

	if (member_str(c, "name", &op.name, &e) < 0 || member_str(c, "slug", &op.slug, &e) < 0 ||
	    member_int(c, "parentId", &op.parent, &e) < 0)
		return e;
	e = run(c, &op);
	if (!e)
		resp_header(c->resp, arena_printf(c->a, "Location: /api/admin/categories/%lld", (long long)op.out_id));
	return api_answer(c, e, &op, 201);
}

enum err h_api_admin_category_edit(struct ctx *c)
{
	struct cat_op op = { .op = OP_EDIT, .id = console_path_id(c) };
	enum err e = E_OK;
	int k;

	if ((k = member_str(c, "name", &op.name, &e)) < 0)
		return e;
	op.has_name = k;
	if ((k = member_int(c, "parentId", &op.parent, &e)) < 0)
		return e;
	op.has_parent = k;
	if ((k = member_int(c, "position", &op.position, &e)) < 0)
		return e;
	op.has_position = k;
	if (json_object_get(c->req->json, "slug")) {
		const char *f = "slug", *msg = "A category's slug is its address: it does not change.";

		return console_reply_fields(c, "The category cannot be changed", 1, &f, &msg);
	}
	return api_answer(c, run(c, &op), &op, 200);
}

enum err h_api_admin_category_move_products(struct ctx *c)
{
	struct cat_op op = { .op = OP_MOVE_PRODUCTS, .id = console_path_id(c) };
	enum err e = E_OK;

	if (member_int(c, "to", &op.to, &e) < 0)
		return e;
	if (!op.to) {
		const char *f = "to", *msg = "The category to move the products to.";

		return console_reply_fields(c, "The products cannot be moved", 1, &f, &msg);
	}
	return api_answer(c, run(c, &op), &op, 200);
}

enum err h_api_admin_category_retire(struct ctx *c)
{
	struct cat_op op = { .op = OP_RETIRE, .id = console_path_id(c) };
	enum err e = E_OK;

	if (member_int(c, "moveTo", &op.to, &e) < 0)
		return e;
	return api_answer(c, run(c, &op), &op, 200);
}

/* ---- the pages ---- */

static enum err tree_page(struct ctx *c, int status, const char *error)
{
	json_t *m = session_form_page(c, "admin_categories", "Categories", status), *list, *rows, *tops, *live;
	enum err e;

	if (!m)
		return E_NOMEM;
	if ((e = category_admin_list(c->db, c->a, &list)))
		return e;
	rows = json_array();
	tops = json_array();
	live = json_array();
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *k = json_array_get(list, i);
		int64_t id = json_integer_value(json_object_get(k, "id"));
		int child = json_is_integer(json_object_get(k, "parentId"));
		int retired = json_is_true(json_object_get(k, "retired"));
		const char *name = json_string_value(json_object_get(k, "name"));

		json_array_append_new(rows, json_pack("{s:I, s:s, s:s, s:b, s:b, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s}",
			"id", (json_int_t)id, "name", name, "slug", json_string_value(json_object_get(k, "slug")),
			"child", child, "retired", retired,
			"products", (json_int_t)json_integer_value(json_object_get(k, "products")),
			"children", (json_int_t)json_integer_value(json_object_get(k, "children")),
			"parentId", (json_int_t)json_integer_value(json_object_get(k, "parentId")),
			"saveAction", arena_printf(c->a, "/admin/categories/%lld", (long long)id),
			"upAction", arena_printf(c->a, "/admin/categories/%lld/up", (long long)id),
			"downAction", arena_printf(c->a, "/admin/categories/%lld/down", (long long)id),
			"retireAction", arena_printf(c->a, "/admin/categories/%lld/retire", (long long)id),
			"url", arena_printf(c->a, "/c/%s", json_string_value(json_object_get(k, "slug"))),
			"editUrl", arena_printf(c->a, "/admin/categories/%lld", (long long)id)));
		if (!retired) {
			json_array_append_new(live, json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", name));
			if (!child)
				json_array_append_new(tops, json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", name));
		}
	}
	json_decref(list);
	/* each row's choices: parents (not itself), targets for its products */
	for (size_t i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i), *ps = json_array(), *ts = json_array();
		int64_t id = json_integer_value(json_object_get(r, "id")),
			parent = json_integer_value(json_object_get(r, "parentId"));

		for (size_t j = 0; j < json_array_size(tops); j++) {
			int64_t t = json_integer_value(json_object_get(json_array_get(tops, j), "id"));

			if (t != id)
				json_array_append_new(ps, json_pack("{s:I, s:O, s:b}", "id", (json_int_t)t, "name",
					json_object_get(json_array_get(tops, j), "name"), "selected", t == parent));
		}
		for (size_t j = 0; j < json_array_size(live); j++) {
			int64_t t = json_integer_value(json_object_get(json_array_get(live, j), "id"));

			if (t != id)
				json_array_append_new(ts, json_pack("{s:I, s:O}", "id", (json_int_t)t, "name",
					json_object_get(json_array_get(live, j), "name")));
		}
		json_object_set_new(r, "parents", ps);
		json_object_set_new(r, "targets", ts);
	}
	json_object_set_new(m, "categories", rows);
	json_object_set_new(m, "tops", tops);
	json_decref(live);
	if (error)
		json_object_set_new(m, "error", json_pack("{s:s}", "message", error));
	return E_OK;
}

enum err h_admin_categories(struct ctx *c)
{
	return tree_page(c, 200, NULL);
}

static enum err page_answer(struct ctx *c, enum err e, struct cat_op *op, const char *done)
{
	json_decref(op->after);
	op->after = NULL;
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such category.");
	if (e == E_INVAL || e == E_CONFLICT)
		return tree_page(c, e == E_INVAL ? 422 : 409, op->why.msg ? op->why.msg : "That cannot be done.");
	if (e)
		return e;
	session_flash(c, done);
	return reply_redirect(c, 303, "/admin/categories");
}

enum err h_admin_category_create(struct ctx *c)
{
	struct cat_op op = { .op = OP_CREATE, .name = ctx_str(c, "name"), .slug = ctx_str(c, "slug"),
			     .parent = ctx_int(c, "parentId", 0) };

	return page_answer(c, run(c, &op), &op, "The category is created; the storefront shows it now.");
}

enum err h_admin_category_save(struct ctx *c)
{
	struct cat_op op = { .op = OP_EDIT, .id = console_path_id(c), .name = ctx_str(c, "name"),
			     .has_name = ctx_has(c, "name"), .has_parent = ctx_has(c, "parentId"),
			     .parent = ctx_int(c, "parentId", 0) };

	return page_answer(c, run(c, &op), &op, "The category is saved; the storefront shows it now.");
}

/* Up or down one place among its live siblings. */
static enum err step(struct ctx *c, int dir)
{
	struct cat_op op = { .op = OP_REORDER, .id = console_path_id(c) };
	json_t *list = NULL, *me = NULL;
	int64_t at = -1, n = 0;
	enum err e;

	if ((e = category_admin_list(c->db, c->a, &list)))
		return e;
	for (size_t i = 0; i < json_array_size(list); i++)
		if (json_integer_value(json_object_get(json_array_get(list, i), "id")) == op.id)
			me = json_array_get(list, i);
	if (!me) {
		json_decref(list);
		return reply_error(c, 404, "There is no such category.");
	}
	/* its index among the live siblings, in menu order */
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *k = json_array_get(list, i);

		if (json_is_true(json_object_get(k, "retired")) ||
		    json_integer_value(json_object_get(k, "parentId")) != json_integer_value(json_object_get(me, "parentId")))
			continue;
		if (k == me)
			at = n;
		n++;
	}
	json_decref(list);
	op.position = at + dir < 0 ? 0 : at + dir;
	return page_answer(c, run(c, &op), &op, "The order of the categories is saved.");
}

enum err h_admin_category_up(struct ctx *c)
{
	return step(c, -1);
}

enum err h_admin_category_down(struct ctx *c)
{
	return step(c, 1);
}

enum err h_admin_category_retire(struct ctx *c)
{
	struct cat_op op = { .op = OP_RETIRE, .id = console_path_id(c), .to = ctx_int(c, "moveTo", 0) };

	return page_answer(c, run(c, &op), &op, "The category is retired.");
}

/* ---- a category's attributes ---- */

enum { AT_ADD, AT_RENAME, AT_REMOVE };

struct attr_op {
	struct arena *a;
	const char *actor;
	int op;
	int64_t id;
	const char *name, *to, *kind, *choices;
	int required;
	int64_t renamed, skipped;
	struct category_why why;
	json_t *before, *after;
};

static const char *const attr_actions[] = { "category.attribute_add", "category.attribute_rename",
					     "category.attribute_remove" };

static enum err attr_tx(struct db *db, void *ctx)
{
	struct attr_op *op = ctx;
	enum err e;

	json_decref(op->before);
	json_decref(op->after);
	op->before = op->after = NULL;
	memset(&op->why, 0, sizeof(op->why));
	if ((e = category_attr_list(db, op->a, op->id, &op->before))) {
		if (e == E_NOTFOUND)
			op->why.msg = "There is no such category.";
		return e;
	}
	switch (op->op) {
	case AT_ADD:
		e = category_attr_add(db, op->a, op->id, op->name, op->kind, op->choices, op->required, &op->why);
		break;
	case AT_RENAME:
		e = category_attr_rename(db, op->a, op->id, op->name, op->to, &op->renamed, &op->skipped, &op->why);
		break;
	default:
		e = category_attr_remove(db, op->a, op->id, op->name, &op->why);
	}
	if (e || (e = category_attr_list(db, op->a, op->id, &op->after)))
		return e;
	op->after = json_pack("{s:o, s:I, s:I}", "attributes", op->after, "productsRenamed", (json_int_t)op->renamed,
			      "productsSkipped", (json_int_t)op->skipped);
	op->before = json_pack("{s:o}", "attributes", op->before);
	return audit_record(db, op->a, op->actor, attr_actions[op->op],
			    arena_printf(op->a, "category:%lld", (long long)op->id), op->before, op->after);
}

static enum err attr_run(struct ctx *c, struct attr_op *op)
{
	enum err e;

	op->a = c->a;
	op->actor = console_actor(c);
	e = db_tx(c->db, attr_tx, op);
	json_decref(op->before);
	op->before = NULL;
	if (e) {
		json_decref(op->after);
		op->after = NULL;
	}
	return e;
}

static enum err attr_api_answer(struct ctx *c, enum err e, struct attr_op *op, int status)
{
	const char *msg = op->why.msg ? op->why.msg : "The attribute cannot be changed.";
	json_t *m;

	if (e == E_NOTFOUND && !op->why.field)
		return reply_error(c, 404, msg);
	if (e == E_INVAL || e == E_CONFLICT || e == E_NOTFOUND) {
		const char *f = op->why.field ? op->why.field : "name";

		if (e == E_CONFLICT)
			return reply_error_titled(c, 409, "The attribute cannot be changed", msg);
		return console_reply_fields(c, "The attribute cannot be changed", 1, &f, &msg);
	}
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL))) {
		json_decref(op->after);
		return E_NOMEM;
	}
	json_object_update(m, op->after);
	json_decref(op->after);
	c->resp->status = status;
	return E_OK;
}

enum err h_api_admin_category_attrs(struct ctx *c)
{
	json_t *m, *list;
	enum err e;

	e = category_attr_list(c->db, c->a, console_path_id(c), &list);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such category.");
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL))) {
		json_decref(list);
		return E_NOMEM;
	}
	json_object_set_new(m, "attributes", list);
	return E_OK;
}

enum err h_api_admin_category_attr_add(struct ctx *c)
{
	json_t *b = c->req->json, *ch = json_object_get(b, "choices");
	struct attr_op op = { .op = AT_ADD, .id = console_path_id(c), .name = json_string_value(json_object_get(b, "name")),
			      .kind = json_string_value(json_object_get(b, "kind")),
			      .required = json_is_true(json_object_get(b, "required")) };

	if (!op.kind)
		op.kind = "text";
	if (ch && !json_is_null(ch)) {
		char *t;
		int ok = json_is_array(ch) && json_array_size(ch) > 0 && json_array_size(ch) <= 50;

		for (size_t i = 0; ok && i < json_array_size(ch); i++)
			ok = json_is_string(json_array_get(ch, i)) && json_string_length(json_array_get(ch, i)) > 0 &&
			     json_string_length(json_array_get(ch, i)) <= 100;
		if (!ok) {
			const char *f = "choices", *msg = "1 to 50 texts of 1 to 100 characters.";

			return console_reply_fields(c, "The attribute cannot be changed", 1, &f, &msg);
		}
		t = json_dumps(ch, JSON_COMPACT);
		op.choices = arena_strdup(c->a, t ? t : "[]");
		free(t);
	}
	return attr_api_answer(c, attr_run(c, &op), &op, 201);
}

enum err h_api_admin_category_attr_rename(struct ctx *c)
{
	struct attr_op op = { .op = AT_RENAME, .id = console_path_id(c),
			      .name = json_string_value(json_object_get(c->req->json, "from")),
			      .to = json_string_value(json_object_get(c->req->json, "to")) };

	return attr_api_answer(c, attr_run(c, &op), &op, 200);
}

enum err h_api_admin_category_attr_remove(struct ctx *c)
{
	struct attr_op op = { .op = AT_REMOVE, .id = console_path_id(c),
			      .name = json_string_value(json_object_get(c->req->json, "name")) };

	return attr_api_answer(c, attr_run(c, &op), &op, 200);
}

/* /admin/categories/{id}: its attributes, each with a rename form. */
static enum err attrs_page(struct ctx *c, int status, const char *error)
{
	int64_t id = console_path_id(c);
	json_t *m, *cat = NULL, *list = NULL;
	enum err e;

	e = category_admin_json(c->db, c->a, id, &cat);
	if (!e)
		e = category_attr_list(c->db, c->a, id, &list);
	if (e == E_NOTFOUND) {
		json_decref(cat);
		return reply_error(c, 404, "There is no such category.");
	}
	if (e) {
		json_decref(cat);
		return e;
	}
	if (!(m = session_form_page(c, "admin_category", arena_printf(c->a, "Category %s",
			json_string_value(json_object_get(cat, "name"))), status))) {
		json_decref(cat);
		json_decref(list);
		return E_NOMEM;
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *t = json_array_get(list, i);

		json_object_set_new(t, "fieldId", json_string(arena_printf(c->a, "at-%zu", i)));
	}
	json_object_set_new(m, "category", json_pack("{s:I, s:O, s:O, s:s, s:s, s:s}", "id", (json_int_t)id,
		"name", json_object_get(cat, "name"), "slug", json_object_get(cat, "slug"),
		"addAction", arena_printf(c->a, "/admin/categories/%lld/attributes", (long long)id),
		"renameAction", arena_printf(c->a, "/admin/categories/%lld/attributes/rename", (long long)id),
		"removeAction", arena_printf(c->a, "/admin/categories/%lld/attributes/remove", (long long)id)));
	json_object_set_new(m, "attributes", list);
	json_decref(cat);
	if (error)
		json_object_set_new(m, "error", json_pack("{s:s}", "message", error));
	return E_OK;
}

enum err h_admin_category_attrs(struct ctx *c)
{
	return attrs_page(c, 200, NULL);
}

static enum err attr_page_answer(struct ctx *c, enum err e, struct attr_op *op, const char *done)
{
	json_decref(op->after);
	op->after = NULL;
	if (e == E_NOTFOUND && !op->why.field)
		return reply_error(c, 404, "There is no such category.");
	if (e == E_INVAL || e == E_CONFLICT || e == E_NOTFOUND)
		return attrs_page(c, e == E_CONFLICT ? 409 : 422, op->why.msg ? op->why.msg : "That cannot be done.");
	if (e)
		return e;
	session_flash(c, done);
	return reply_redirect(c, 303, arena_printf(c->a, "/admin/categories/%lld", (long long)op->id));
}

/* The form's choices: "64 GB, 128 GB" as a JSON array (NULL when none). */
static const char *choices_json(struct arena *a, const char *s)
{
	json_t *v = json_array();
	char *t;
	const char *out;

	while (s && *s) {
		size_t n = strcspn(s, ",");
		const char *p = s;

		while (n && *p == ' ')
			p++, n--;
		while (n && p[n - 1] == ' ')
			n--;
		if (n)
			json_array_append_new(v, json_stringn(p, n));
		s += strcspn(s, ",");
		if (*s == ',')
			s++;
	}
	if (!json_array_size(v)) {
		json_decref(v);
		return NULL;
	}
	t = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	out = t ? arena_strdup(a, t) : NULL;
	free(t);
	return out;
}

enum err h_admin_category_attr_add(struct ctx *c)
{
	struct attr_op op = { .op = AT_ADD, .id = console_path_id(c), .name = ctx_str(c, "name"),
			      .kind = ctx_str(c, "kind") ? ctx_str(c, "kind") : "text",
			      .choices = choices_json(c->a, ctx_str(c, "choices")), .required = ctx_int(c, "required", 0) != 0 };

	return attr_page_answer(c, attr_run(c, &op), &op, "The attribute is added.");
}

enum err h_admin_category_attr_rename(struct ctx *c)
{
	struct attr_op op = { .op = AT_RENAME, .id = console_path_id(c), .name = ctx_str(c, "from"),
			      .to = ctx_str(c, "to") };
	enum err e = attr_run(c, &op);

	return attr_page_answer(c, e, &op, e ? "" : arena_printf(c->a, "The attribute is renamed in %lld products.",
								 (long long)op.renamed));
}

enum err h_admin_category_attr_remove(struct ctx *c)
{
	struct attr_op op = { .op = AT_REMOVE, .id = console_path_id(c), .name = ctx_str(c, "name") };

	return attr_page_answer(c, attr_run(c, &op), &op, "The attribute is off the list; products keep their values.");
}
