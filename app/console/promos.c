/* Promo codes as the admin console edits them (promos.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "../core/arena.h"
#include "../store/db.h"
#include "../pricing/pricing.h"
#include "../sales/sales.h"
#include "audit.h"
#include "promos.h"

#define PROMO_COLS "p.id, p.code, p.description, p.kind, p.value, p.min_subtotal, " \
	"COALESCE(UNIX_TIMESTAMP(p.starts_at), 0), COALESCE(UNIX_TIMESTAMP(p.ends_at), 0), " \
	"COALESCE(p.usage_limit, 0), p.used_count, COALESCE(p.per_customer, 0), p.active, " \
	"DATE_FORMAT(p.created_at, '%Y-%m-%dT%H:%i:%sZ'), " \
	"COALESCE(DATE_FORMAT(p.updated_at, '%Y-%m-%dT%H:%i:%sZ'), ''), " \
	"(SELECT COUNT(DISTINCT r.user_id) FROM promo_redemptions r WHERE r.promo_id = p.id " \
	"AND r.released_at IS NULL), " \
	"(SELECT COUNT(*) FROM promo_redemptions r WHERE r.promo_id = p.id AND r.released_at IS NOT NULL)"

enum { P_ID, P_CODE, P_DESC, P_KIND, P_VALUE, P_MIN, P_STARTS, P_ENDS, P_LIMIT, P_USED, P_PER, P_ACTIVE, P_CREATED,
       P_UPDATED, P_CUSTOMERS, P_RELEASED };

enum {
	Q_ONE, Q_LOCK, Q_ALL, Q_CATS, Q_SELLERS, Q_INSERT, Q_UPDATE, Q_ACTIVE, Q_CODE_TAKEN,
	Q_DEL_CATS, Q_DEL_SELLERS, Q_ADD_CAT, Q_ADD_SELLER, Q_CAT_OK, Q_SELLER_OK, Q_PAGE, Q_CAT_NAMES,
	Q_SELLER_NAMES, Q_COUNT
};

static struct db_sql sql[Q_COUNT] = {
	[Q_ONE] = { "SELECT " PROMO_COLS " FROM promo_codes p WHERE p.id = ?", 0 },
	[Q_LOCK] = { "SELECT " PROMO_COLS " FROM promo_codes p WHERE p.id = ? FOR UPDATE", 0 },
	[Q_ALL] = { "SELECT " PROMO_COLS " FROM promo_codes p ORDER BY p.id DESC LIMIT 500", 0 },
	[Q_CATS] = { "SELECT category_id FROM promo_categories WHERE promo_id = ? ORDER BY category_id", 0 },
	[Q_SELLERS] = { "SELECT seller_id FROM promo_sellers WHERE promo_id = ? ORDER BY seller_id", 0 },
	/* once_per_customer is kept equal to per_customer = 1: pricing's
	 * unique key of live single uses relies on it */
	[Q_INSERT] = { "INSERT INTO promo_codes (code, description, kind, value, min_subtotal, starts_at, ends_at, "
		       "usage_limit, per_customer, once_per_customer, active, updated_at) VALUES (?, ?, ?, ?, ?, "
		       "IF(? = 0, NULL, FROM_UNIXTIME(?)), IF(? = 0, NULL, FROM_UNIXTIME(?)), NULLIF(?, 0), "
		       "NULLIF(?, 0), ? = 1, ?, NOW(3))", 0 },
	[Q_UPDATE] = { "UPDATE promo_codes SET description = ?, kind = ?, value = ?, min_subtotal = ?, "
		       "starts_at = IF(? = 0, NULL, FROM_UNIXTIME(?)), ends_at = IF(? = 0, NULL, FROM_UNIXTIME(?)), "
		       "usage_limit = NULLIF(?, 0), per_customer = NULLIF(?, 0), once_per_customer = (? = 1), "
		       "active = ?, updated_at = NOW(3) WHERE id = ?", 0 },
	[Q_ACTIVE] = { "UPDATE promo_codes SET active = ?, updated_at = NOW(3) WHERE id = ?", 0 },
	[Q_CODE_TAKEN] = { "SELECT 1 FROM promo_codes WHERE code = ?", 0 },
	[Q_DEL_CATS] = { "DELETE FROM promo_categories WHERE promo_id = ?", 0 },
	[Q_DEL_SELLERS] = { "DELETE FROM promo_sellers WHERE promo_id = ?", 0 },
	[Q_ADD_CAT] = { "INSERT IGNORE INTO promo_categories (promo_id, category_id) VALUES (?, ?)", 0 },
	[Q_ADD_SELLER] = { "INSERT IGNORE INTO promo_sellers (promo_id, seller_id) VALUES (?, ?)", 0 },
	[Q_CAT_OK] = { "SELECT 1 FROM categories WHERE id = ? AND retired_at IS NULL", 0 },
	[Q_SELLER_OK] = { "SELECT 1 FROM sellers WHERE id = ?", 0 },
	/* A page of the list, newest first after a keyset (id below), by the
	 * start of the code and the state (status_of's rules in SQL). */
	[Q_PAGE] = { "SELECT " PROMO_COLS " FROM promo_codes p WHERE p.id < ? AND p.code LIKE CONCAT(?, '%') AND ("
		     "? = '' OR (? = 'paused' AND NOT p.active) OR (p.active AND ("
		     "(? = 'scheduled' AND p.starts_at > NOW()) OR "
		     "(? = 'ended' AND (p.starts_at IS NULL OR p.starts_at <= NOW()) AND p.ends_at <= NOW()) OR "
		     "(? = 'used-up' AND (p.starts_at IS NULL OR p.starts_at <= NOW()) AND "
		     "(p.ends_at IS NULL OR p.ends_at > NOW()) AND p.used_count >= p.usage_limit) OR "
		     "(? = 'active' AND (p.starts_at IS NULL OR p.starts_at <= NOW()) AND "
		     "(p.ends_at IS NULL OR p.ends_at > NOW()) AND (p.usage_limit IS NULL OR p.used_count < p.usage_limit)))))"
		     " ORDER BY p.id DESC LIMIT ?", 0 },
	/* The pickers: live categories by their place in the tree (a top
	 * category, then its children), sellers by name. */
	[Q_CAT_NAMES] = { "SELECT c.id, IF(c.parent_id IS NULL, c.name, CONCAT(t.name, ' › ', c.name)) FROM categories c "
			  "LEFT JOIN categories t ON t.id = c.parent_id WHERE c.retired_at IS NULL "
			  "ORDER BY COALESCE(t.name, c.name), c.parent_id IS NOT NULL, c.name LIMIT 2000", 0 },
	/* The store address too: two sellers may share a display name. */
	[Q_SELLER_NAMES] = { "SELECT id, CONCAT(display_name, ' (', slug, ')') FROM sellers "
			      "ORDER BY display_name, slug LIMIT 2000", 0 },
};

void promos_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	db_register(sql, Q_COUNT);
}

void promo_problem(struct promo_problems *p, const char *field, const char *message)
{
	if (p->n < PROMO_MAX_PROBLEMS) {
		p->field[p->n] = field;
		p->message[p->n] = message;
		p->n++;
	}
}

static const char *status_of(const struct db_res *r, int64_t now)
{
	if (!db_int(r, 0, P_ACTIVE))
		return "paused";
	if (db_int(r, 0, P_STARTS) && now < db_int(r, 0, P_STARTS))
		return "scheduled";
	if (db_int(r, 0, P_ENDS) && now >= db_int(r, 0, P_ENDS))
		return "ended";
	if (db_int(r, 0, P_LIMIT) && db_int(r, 0, P_USED) >= db_int(r, 0, P_LIMIT))
		return "used up";
	return "active";
}

/* percent values are shown as percent (12.5), fixed ones in cents */
static json_t *value_json(const char *kind, int64_t v)
{
	if (!strcmp(kind, "percent"))
		return v % 100 ? json_real((double)v / 100.0) : json_integer(v / 100);
	return json_integer(v);
}

static json_t *time_json(struct arena *a, int64_t t)
{
	return t ? json_string(sales_time(a, t)) : json_null();
}

static json_t *ids_json(const struct db_res *r)
{
	json_t *v = json_array();

	for (size_t i = 0; r && i < r->nrows; i++)
		json_array_append_new(v, json_integer(db_int(r, i, 0)));
	return v;
}

/* One row (r's row 0) with its scope as JSON. */
static enum err row_json(struct db *db, struct arena *a, const struct db_res *r, json_t **out)
{
	struct db_res *c = NULL, *s = NULL;
	int64_t id = db_int(r, 0, P_ID);
	enum err e;
	json_t *o;

	if ((e = db_exec(db, a, &sql[Q_CATS], &c, "i", id)) || (e = db_exec(db, a, &sql[Q_SELLERS], &s, "i", id)))
		return e;
	o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:I, s:o, s:o, s:o, s:o, s:b, s:s, s:{s:I, s:I, s:I}, s:o, s:o, s:s}",
		"id", (json_int_t)id, "code", db_cell(r, 0, P_CODE), "description", db_cell(r, 0, P_DESC),
		"kind", db_cell(r, 0, P_KIND), "value", value_json(db_cell(r, 0, P_KIND), db_int(r, 0, P_VALUE)),
		"minOrder", (json_int_t)db_int(r, 0, P_MIN), "startsAt", time_json(a, db_int(r, 0, P_STARTS)),
		"endsAt", time_json(a, db_int(r, 0, P_ENDS)),
		"maxUses", db_int(r, 0, P_LIMIT) ? json_integer(db_int(r, 0, P_LIMIT)) : json_null(),
		"perCustomer", db_int(r, 0, P_PER) ? json_integer(db_int(r, 0, P_PER)) : json_null(),
		"active", (int)db_int(r, 0, P_ACTIVE), "status", status_of(r, (int64_t)time(NULL)),
		"uses", "live", (json_int_t)db_int(r, 0, P_USED), "customers", (json_int_t)db_int(r, 0, P_CUSTOMERS),
		"released", (json_int_t)db_int(r, 0, P_RELEASED),
		"categories", ids_json(c), "sellers", ids_json(s), "createdAt", db_cell(r, 0, P_CREATED));
	if (!o)
		return E_NOMEM;
	json_object_set_new(o, "updatedAt", *db_cell(r, 0, P_UPDATED) ? json_string(db_cell(r, 0, P_UPDATED))
								    : json_null());
	*out = o;
	return E_OK;
}

const char *const promo_states[] = { "active", "scheduled", "ended", "used-up", "paused", NULL };

enum err promo_page(struct db *db, struct arena *a, const struct promo_filter *f, json_t **out, int64_t *next)
{
	struct db_res *r = NULL;
	const char *st = f->state ? f->state : "", *code = f->code ? f->code : "";
	int64_t limit = f->limit > 0 ? f->limit : 50;
	enum err e;

	*out = NULL;
	*next = 0;
	if ((e = db_exec(db, a, &sql[Q_PAGE], &r, "isssssssi", f->before > 0 ? f->before : INT64_MAX, code, st, st, st,
			 st, st, st, limit + 1)))
		return e;
	*out = json_array();
	for (size_t i = 0; r && i < r->nrows && (int64_t)i < limit; i++) {
		struct db_res one = *r;
		json_t *o;

		one.cells = r->cells + i * r->ncols;
		one.lens = r->lens + i * r->ncols;
		one.nrows = 1;
		if ((e = row_json(db, a, &one, &o))) {
			json_decref(*out);
			*out = NULL;
			return e;
		}
		json_array_append_new(*out, o);
	}
	if (r && (int64_t)r->nrows > limit)
		*next = db_int(r, (size_t)limit - 1, P_ID);
	return E_OK;
}

static json_t *names_json(const struct db_res *r)
{
	json_t *v = json_array();

	for (size_t i = 0; r && i < r->nrows; i++)
		json_array_append_new(v, json_pack("{s:I, s:s}", "id", (json_int_t)db_int(r, i, 0), "name",
						   db_cell(r, i, 1) ? db_cell(r, i, 1) : ""));
	return v;
}

enum err promo_scope_names(struct db *db, struct arena *a, json_t **categories, json_t **sellers)
{
	struct db_res *c = NULL, *s = NULL;
	enum err e;

	*categories = *sellers = NULL;
	if ((e = db_exec(db, a, &sql[Q_CAT_NAMES], &c, "")) || (e = db_exec(db, a, &sql[Q_SELLER_NAMES], &s, "")))
		return e;
	*categories = names_json(c);
	*sellers = names_json(s);
	return E_OK;
}

enum err promo_get(struct db *db, struct arena *a, int64_t id, json_t **out)
{
	struct db_res *r = NULL;
	enum err e;

	*out = NULL;
	if ((e = db_exec(db, a, &sql[Q_ONE], &r, "i", id)))
		return e;
	if (!r || !r->nrows)
		return E_NOTFOUND;
	return row_json(db, a, r, out);
}

enum err promo_list(struct db *db, struct arena *a, json_t **out)
{
	struct db_res *r = NULL;
	enum err e;

	*out = json_array();
	if ((e = db_exec(db, a, &sql[Q_ALL], &r, "")))
		return e;
	for (size_t i = 0; r && i < r->nrows; i++) {
		/* row_json reads row 0: a one-row view of row i */
		struct db_res one = *r;
		json_t *o;

		one.cells = r->cells + i * r->ncols;
		one.lens = r->lens + i * r->ncols;
		one.nrows = 1;
		if ((e = row_json(db, a, &one, &o)))
			return e;
		json_array_append_new(*out, o);
	}
	return E_OK;
}

/* ---- writes ---- */

struct save_op {
	struct arena *a;
	const char *actor;
	int64_t id;
	const struct promo_in *in;
	struct promo_problems *bad;
	int64_t out_id;
	json_t *before, *after;	/* released by promo_save, whatever happened */
};

/* The whole promo: the stored row (for an edit) with the given members
 * over it, checked. */
struct full {
	char code[PRICING_CODE_MAX + 1];
	const char *kind, *desc;
	int64_t value, min, starts, ends, max, per, used;
	int active;
};

static void check(const struct full *f, struct promo_problems *bad)
{
	if (strcmp(f->kind, "percent") && strcmp(f->kind, "fixed"))
		promo_problem(bad, "kind", "kind is \"percent\" or \"fixed\".");
	else if (!strcmp(f->kind, "percent") && (f->value < 1 || f->value > 10000))
		promo_problem(bad, "value", "A percent value is more than 0 and at most 100.");
	else if (!strcmp(f->kind, "fixed") && (f->value < 1 || f->value > PRICING_MAX_AMOUNT))
		promo_problem(bad, "value", "A fixed value is an amount in cents, at least 1.");
	if (f->min < 0 || f->min > PRICING_MAX_AMOUNT)
		promo_problem(bad, "minOrder", "minOrder is an amount in cents, 0 or more.");
	if (f->starts && f->ends && f->starts >= f->ends)
		promo_problem(bad, "endsAt", "endsAt must be after startsAt.");
	if (f->max < 0 || f->max > 100000000)
		promo_problem(bad, "maxUses", "maxUses is a number of uses, or null for no limit.");
	else if (f->max && f->max < f->used)
		promo_problem(bad, "maxUses", "maxUses cannot be below the uses so far.");
	if (f->per < 0 || f->per > 1000)
		promo_problem(bad, "perCustomer", "perCustomer is 1 to 1000 uses, or null for no limit.");
	if (strlen(f->desc) > 200)
		promo_problem(bad, "description", "A description is at most 200 characters.");
}

static enum err scope_save(struct db *db, struct save_op *op, int64_t id)
{
	const struct promo_in *in = op->in;
	struct db_res *r = NULL;
	enum err e;

	if (in->has_cats) {
		if ((e = db_exec(db, op->a, &sql[Q_DEL_CATS], NULL, "i", id)))
			return e;
		for (size_t i = 0; i < in->ncats; i++) {
			if ((e = db_exec(db, op->a, &sql[Q_CAT_OK], &r, "i", in->cats[i])))
				return e;
			if (!r || !r->nrows) {
				promo_problem(op->bad, "categories", "There is no such (live) category.");
				return E_INVAL;
			}
			if ((e = db_exec(db, op->a, &sql[Q_ADD_CAT], NULL, "ii", id, in->cats[i])))
				return e;
		}
	}
	if (in->has_sellers) {
		if ((e = db_exec(db, op->a, &sql[Q_DEL_SELLERS], NULL, "i", id)))
			return e;
		for (size_t i = 0; i < in->nsellers; i++) {
			if ((e = db_exec(db, op->a, &sql[Q_SELLER_OK], &r, "i", in->sellers[i])))
				return e;
			if (!r || !r->nrows) {
				promo_problem(op->bad, "sellers", "There is no such seller.");
				return E_INVAL;
			}
			if ((e = db_exec(db, op->a, &sql[Q_ADD_SELLER], NULL, "ii", id, in->sellers[i])))
				return e;
		}
	}
	return E_OK;
}

static enum err save_tx(struct db *db, void *ctx)
{
	struct save_op *op = ctx;
	const struct promo_in *in = op->in;
	struct db_res *r = NULL;
	struct full f;
	enum err e;

	/* a retried transaction starts over */
	json_decref(op->before);
	json_decref(op->after);
	op->before = op->after = NULL;
	memset(&f, 0, sizeof(f));
	op->bad->n = 0;
	f.kind = "percent";
	f.desc = "";
	f.active = 1;
	if (op->id) {
		if ((e = db_exec(db, op->a, &sql[Q_LOCK], &r, "i", op->id)))
			return e;
		if (!r || !r->nrows)
			return E_NOTFOUND;
		if ((e = row_json(db, op->a, r, &op->before)))
			return e;
		snprintf(f.code, sizeof(f.code), "%s", db_cell(r, 0, P_CODE));
		f.kind = db_cell(r, 0, P_KIND);
		f.desc = db_cell(r, 0, P_DESC);
		f.value = db_int(r, 0, P_VALUE);
		f.min = db_int(r, 0, P_MIN);
		f.starts = db_int(r, 0, P_STARTS);
		f.ends = db_int(r, 0, P_ENDS);
		f.max = db_int(r, 0, P_LIMIT);
		f.per = db_int(r, 0, P_PER);
		f.used = db_int(r, 0, P_USED);
		f.active = (int)db_int(r, 0, P_ACTIVE);
		if (in->has_code && strcmp(in->code ? in->code : "", f.code)) {
			char c[PRICING_CODE_MAX + 1];

			/* the same code in another case is the same code */
			if (pricing_promo_normalise(in->code, c, sizeof(c)) || strcmp(c, f.code))
				promo_problem(op->bad, "code", "A promo's code cannot change: make a new promo.");
		}
	} else {
		if (!in->has_code || pricing_promo_normalise(in->code, f.code, sizeof(f.code)))
			promo_problem(op->bad, "code", "A code is 3 to 32 letters, digits or hyphens.");
		if (!in->has_kind)
			promo_problem(op->bad, "kind", "kind is \"percent\" or \"fixed\".");
		if (!in->has_value)
			promo_problem(op->bad, "value", "value is required.");
	}
	if (in->has_kind && in->kind) {
		/* a value means basis points or cents by kind: a new kind needs its value */
		if (op->id && strcmp(in->kind, f.kind) && !in->has_value)
			promo_problem(op->bad, "value", "A new kind needs its value too.");
		f.kind = in->kind;
	}
	if (in->has_value)
		f.value = in->value;
	if (in->has_desc)
		f.desc = in->description ? in->description : "";
	if (in->has_min)
		f.min = in->min_order;
	if (in->has_starts)
		f.starts = in->starts_at;
	if (in->has_ends)
		f.ends = in->ends_at;
	if (in->has_max)
		f.max = in->max_uses;
	if (in->has_per)
		f.per = in->per_customer;
	if (in->has_active)
		f.active = in->active;
	check(&f, op->bad);
	if (!op->id && !op->bad->n) {
		if ((e = db_exec(db, op->a, &sql[Q_CODE_TAKEN], &r, "s", f.code)))
			return e;
		if (r && r->nrows)
			promo_problem(op->bad, "code", "Another promo has that code.");
	}
	if (op->bad->n)
		return E_INVAL;
	if (op->id) {
		e = db_exec(db, op->a, &sql[Q_UPDATE], NULL, "ssiiiiiiiiiii", f.desc,
			    f.kind, f.value, f.min, f.starts, f.starts, f.ends, f.ends, f.max, f.per, f.per,
			    (int64_t)f.active, op->id);
		op->out_id = op->id;
	} else {
		e = db_exec(db, op->a, &sql[Q_INSERT], NULL, "sssiiiiiiiiii", f.code, f.desc, f.kind, f.value, f.min,
			    f.starts, f.starts, f.ends, f.ends, f.max, f.per, f.per, (int64_t)f.active);
		op->out_id = (int64_t)db_insert_id(db);
	}
	if (e == E_CONFLICT) {
		promo_problem(op->bad, "code", "Another promo has that code.");
		return E_INVAL;
	}
	if (e || (e = scope_save(db, op, op->out_id)))
		return e;
	if ((e = db_exec(db, op->a, &sql[Q_ONE], &r, "i", op->out_id)) || (e = row_json(db, op->a, r, &op->after)))
		return e;
	return audit_record(db, op->a, op->actor, op->id ? "promo.update" : "promo.create",
			    arena_printf(op->a, "promo:%lld", (long long)op->out_id), op->before, op->after);
}

enum err promo_save(struct db *db, struct arena *a, const char *actor, int64_t id, const struct promo_in *in,
		    struct promo_problems *bad, int64_t *id_out)
{
	struct save_op op = { .a = a, .actor = actor, .id = id, .in = in, .bad = bad };
	enum err e;

	memset(bad, 0, sizeof(*bad));
	e = db_tx(db, save_tx, &op);
	json_decref(op.before);
	json_decref(op.after);
	*id_out = op.out_id;
	return e;
}

struct active_op {
	struct arena *a;
	const char *actor;
	int64_t id;
	int active;
};

static enum err active_tx(struct db *db, void *ctx)
{
	struct active_op *op = ctx;
	struct db_res *r = NULL;
	json_t *before = NULL, *after = NULL;
	enum err e;

	if ((e = db_exec(db, op->a, &sql[Q_LOCK], &r, "i", op->id)))
		return e;
	if (!r || !r->nrows)
		return E_NOTFOUND;
	if ((e = row_json(db, op->a, r, &before)))
		goto out;
	if ((e = db_exec(db, op->a, &sql[Q_ACTIVE], NULL, "ii", (int64_t)op->active, op->id)) ||
	    (e = db_exec(db, op->a, &sql[Q_ONE], &r, "i", op->id)) || (e = row_json(db, op->a, r, &after)))
		goto out;
	e = audit_record(db, op->a, op->actor, op->active ? "promo.resume" : "promo.pause",
			 arena_printf(op->a, "promo:%lld", (long long)op->id), before, after);
out:
	json_decref(before);
	json_decref(after);
	return e;
}

enum err promo_set_active(struct db *db, struct arena *a, const char *actor, int64_t id, int active)
{
	struct active_op op = { .a = a, .actor = actor, .id = id, .active = active };

	return db_tx(db, active_tx, &op);
}
