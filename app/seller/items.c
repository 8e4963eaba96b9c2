/* The seller's items: list, create and edit pages, and the item API.
 *
 * One input model (struct item_in) is filled from the form or from a JSON
 * body; one transaction (item_tx) checks it against the database (the
 * category and its attributes, the item's current SKUs, SKU codes used
 * elsewhere in the shop) and writes it. Any problem is a field error and
 * rolls everything back, so nothing is ever half-saved; the form comes back
 * re-filled with each message beside its field, the API answers 400 with
 * error.fields.
 *
 * Every query names the seller (p.seller_id = ?): another seller's item is
 * "not found" and nothing changes. A write keeps the storefront's read model
 * right in the same transaction: products.price (lowest active SKU price),
 * stock_total, sku_digest (catalog_refresh_digest) and an outbox
 * ProductUpdated event (and StockChanged when new SKUs got stock), which is
 * what the product cache and the search indexer follow.
 *
 * Statuses: a seller sets draft, active or archived. 'suspended' belongs to
 * the shop: while the seller is suspended (sellers.status) an item set to
 * active is stored as 'suspended', which the admin's reinstatement turns back
 * into 'active'. A seller can never ask for 'suspended'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../http/cursor.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../store/db.h"
#include "../catalog/catalog.h"
#include "../catalog/import.h"
#include "../view/escape.h"
#include "../account/session.h"
#include "limits.h"
#include "items.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define STR_(x) #x
#define STR(x) STR_(x)

#define LIST_PAGE 25		/* rows per page of the seller's list */
#define ERRS_MAX 96
#define ATTRS_DEF_MAX 40	/* attribute definitions read per category */
#define SLUG_BASE_MAX 140	/* products.slug is 160: room for a suffix */
#define ER_DUP_ENTRY 1062
/* Where an item posted without a category goes (created on first use, the
 * way the demo importer creates categories). */
#define DEFAULT_CATEGORY "uncategorized"

/* ---- statements ---- */

#define ITEM_COLS "p.id, p.slug, p.title, p.description, p.brand, c.slug, p.status, p.price, " \
	"p.currency, p.attributes, p.images, DATE_FORMAT(p.created_at, '%Y-%m-%dT%H:%i:%sZ'), " \
	"DATE_FORMAT(p.updated_at, '%Y-%m-%dT%H:%i:%sZ'), p.stock_total, p.thumbnail, c.name"
enum { I_ID, I_SLUG, I_TITLE, I_DESC, I_BRAND, I_CAT, I_STATUS, I_PRICE, I_CUR, I_ATTRS,
       I_IMAGES, I_CREATED, I_UPDATED, I_STOCK, I_THUMB, I_CATNAME };

#define SKU_COLS "s.id, s.code, s.options, s.price, s.weight_grams, s.status, " \
	"(SELECT COALESCE(SUM(i.available), 0) FROM inventory i WHERE i.sku_id = s.id)"
/* The same without the stock: locking the SKUs must not lock their
 * inventory rows too, which checkout locks first (inventory, then the
 * product's read model); this order would invite deadlocks. */
#define SKU_LOCK_COLS "s.id, s.code, s.options, s.price, s.weight_grams, s.status, 0"
enum { K_ID, K_CODE, K_OPTS, K_PRICE, K_WEIGHT, K_STATUS, K_STOCK };

enum {
	Q_SELLER, Q_LEAVES, Q_CAT, Q_CAT_ATTRS, Q_CAT_TOP, Q_CAT_LEAF, Q_ITEM, Q_ITEM_LOCK,
	Q_SKUS, Q_SKUS_LOCK, Q_CODE_USED, Q_SLUG_USED, Q_P_INSERT, Q_P_UPDATE, Q_S_INSERT,
	Q_S_UPDATE, Q_S_ORDERED, Q_S_HELD, Q_S_DEACTIVATE, Q_S_DELETE, Q_INV_INSERT, Q_MOVEMENT,
	Q_TOTALS, Q_OUTBOX, Q_LIST, Q_COUNT
};

static struct db_sql sql[Q_COUNT] = {
	/* A shared lock: an admin suspending the seller waits for the edit
	 * (or the edit sees the suspension), never half of each. */
	[Q_SELLER] = { "SELECT status FROM sellers WHERE id = ? LOCK IN SHARE MODE", 0 },
	[Q_LEAVES] = { "SELECT c.slug, c.name, d.name FROM categories c JOIN categories d ON d.id = c.parent_id "
		       "WHERE NOT EXISTS (SELECT 1 FROM categories k WHERE k.parent_id = c.id) "
		       "ORDER BY d.position, d.name, c.position, c.name", 0 },
	[Q_CAT] = { "SELECT c.id FROM categories c WHERE c.slug = ? AND c.parent_id IS NOT NULL "
		    "AND NOT EXISTS (SELECT 1 FROM categories k WHERE k.parent_id = c.id)", 0 },
	[Q_CAT_ATTRS] = { "SELECT name, kind, choices, required FROM category_attributes "
			  "WHERE category_slug = ? ORDER BY position, name LIMIT " STR(ATTRS_DEF_MAX), 0 },
	[Q_CAT_TOP] = { "INSERT IGNORE INTO categories (parent_id, slug, name, position) VALUES (NULL, ?, ?, ?)", 0 },
	[Q_CAT_LEAF] = { "INSERT IGNORE INTO categories (parent_id, slug, name, position) "
			 "SELECT id, ?, ?, ? FROM categories WHERE slug = ?", 0 },
	[Q_ITEM] = { "SELECT " ITEM_COLS " FROM products p JOIN categories c ON c.id = p.category_id "
		     "WHERE p.id = ? AND p.seller_id = ?", 0 },
	[Q_ITEM_LOCK] = { "SELECT " ITEM_COLS " FROM products p JOIN categories c ON c.id = p.category_id "
			  "WHERE p.id = ? AND p.seller_id = ? FOR UPDATE", 0 },
	[Q_SKUS] = { "SELECT " SKU_COLS " FROM skus s JOIN products p ON p.id = s.product_id "
		     "WHERE s.product_id = ? AND p.seller_id = ? ORDER BY s.position, s.id", 0 },
	[Q_SKUS_LOCK] = { "SELECT " SKU_LOCK_COLS " FROM skus s JOIN products p ON p.id = s.product_id "
			  "WHERE s.product_id = ? AND p.seller_id = ? ORDER BY s.position, s.id FOR UPDATE", 0 },
	/* Codes are unique shop-wide (and case-insensitively: the column's
	 * collation), whoever's SKU has one. */
	[Q_CODE_USED] = { "SELECT id FROM skus WHERE code = ? LIMIT 1", 0 },
	[Q_SLUG_USED] = { "SELECT id FROM products WHERE slug = ? LIMIT 1", 0 },
	[Q_P_INSERT] = { "INSERT INTO products (seller_id, category_id, slug, title, description, brand, "
			 "status, price, attributes) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)", 0 },
	[Q_P_UPDATE] = { "UPDATE products SET category_id = ?, title = ?, description = ?, brand = ?, "
			 "status = ?, attributes = ?, updated_at = NOW(3) WHERE id = ? AND seller_id = ?", 0 },
	[Q_S_INSERT] = { "INSERT INTO skus (product_id, code, options, price, weight_grams, status, position) "
			 "SELECT p.id, ?, ?, ?, ?, 'active', ? FROM products p WHERE p.id = ? AND p.seller_id = ?", 0 },
	[Q_S_UPDATE] = { "UPDATE skus s JOIN products p ON p.id = s.product_id SET s.options = ?, s.price = ?, "
			 "s.weight_grams = ?, s.status = 'active', s.position = ? "
			 "WHERE s.id = ? AND s.product_id = ? AND p.seller_id = ?", 0 },
	/* A SKU that was ever ordered (or is held for an order) is kept for
	 * the order's record and only set inactive. Order lines are found
	 * through the seller's index; the holds read locks, so no checkout
	 * can hold the SKU between this check and its deletion. */
	[Q_S_ORDERED] = { "SELECT 1 FROM order_lines WHERE seller_id = ? AND sku_id = ? LIMIT 1", 0 },
	[Q_S_HELD] = { "SELECT 1 FROM holds WHERE sku_id = ? LIMIT 1 LOCK IN SHARE MODE", 0 },
	[Q_S_DEACTIVATE] = { "UPDATE skus s JOIN products p ON p.id = s.product_id SET s.status = 'inactive' "
			     "WHERE s.id = ? AND s.product_id = ? AND p.seller_id = ?", 0 },
	[Q_S_DELETE] = { "DELETE s FROM skus s JOIN products p ON p.id = s.product_id "
			 "WHERE s.id = ? AND s.product_id = ? AND p.seller_id = ?", 0 },
	/* A row in every warehouse; the initial quantity goes to warehouse 1. */
	[Q_INV_INSERT] = { "INSERT INTO inventory (sku_id, warehouse_id, available) "
			   "SELECT ?, w.id, IF(w.id = 1, ?, 0) FROM warehouses w", 0 },
	[Q_MOVEMENT] = { "INSERT INTO stock_movements (sku_id, warehouse_id, seller_id, delta, "
			 "available_after, reason, actor) VALUES (?, 1, ?, ?, ?, 'initial stock', ?)", 0 },
	[Q_TOTALS] = { "UPDATE products p SET "
		       "price = COALESCE((SELECT MIN(s.price) FROM skus s WHERE s.product_id = p.id "
		       "AND s.status = 'active'), 0) "
		       "WHERE p.id = ? AND p.seller_id = ?", 0 },	/* stock_total: catalog_refresh_digest() */
	[Q_OUTBOX] = { "INSERT INTO outbox (topic, aggregate_id, payload) "
		       "VALUES (?, ?, JSON_OBJECT('id', ?, 'productId', ?, 'sellerId', ?, 'reason', ?))", 0 },
	/* Newest first by id (ids grow with creation), so `id < after` pages
	 * without gaps or repeats whatever else changes meanwhile. */
	[Q_LIST] = { "SELECT " ITEM_COLS " FROM products p JOIN categories c ON c.id = p.category_id "
		     "WHERE p.seller_id = ? AND p.id < ? AND (? IS NULL OR p.status = ?) "
		     "AND (? IS NULL OR c.slug = ?) "
		     "AND (? IS NULL OR p.title LIKE CONCAT('%', ?, '%') ESCAPE '!' OR EXISTS (SELECT 1 "
		     "FROM skus s WHERE s.product_id = p.id AND s.code LIKE CONCAT(?, '%') ESCAPE '!')) "
		     "ORDER BY p.id DESC LIMIT ?", 0 },
};

void items_init(void)
{
	db_register(sql, Q_COUNT);
}

static void release_json(void *p)
{
	json_decref(p);
}

/* ---- pure rules ---- */

int items_parse_price(const char *s, int64_t *cents)
{
	int64_t whole = 0, frac = 0;
	size_t i = 0, nd = 0, nf = 0;

	if (!s)
		return -1;
	for (; s[i] >= '0' && s[i] <= '9'; i++, nd++) {
		if (nd >= 12)
			return -1;
		whole = whole * 10 + (s[i] - '0');
	}
	if (!nd)
		return -1;
	if (s[i] == '.') {
		for (i++; s[i] >= '0' && s[i] <= '9'; i++, nf++) {
			if (nf >= 2)
				return -1;
			frac = frac * 10 + (s[i] - '0');
		}
		if (!nf)
			return -1;
		if (nf == 1)
			frac *= 10;
	}
	if (s[i])
		return -1;
	if (whole > ITEM_PRICE_MAX / 100 || whole * 100 + frac > ITEM_PRICE_MAX)
		return -1;
	*cents = whole * 100 + frac;
	return 0;
}

static int is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

int items_sku_code_ok(const char *s)
{
	size_t n = 0;

	if (!s || !is_alnum(s[0]))
		return 0;
	for (; s[n]; n++)
		if (!is_alnum(s[n]) && s[n] != '.' && s[n] != '_' && s[n] != '-')
			return 0;
	return n <= SKU_CODE_MAX;
}

/* Characters (not bytes) of valid UTF-8. */
static size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* A trimmed arena copy; NULL stays NULL. */
static const char *trim(struct arena *a, const char *s)
{
	const char *e;

	if (!s)
		return NULL;
	while (is_space(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_space(e[-1]))
		e--;
	return arena_strndup(a, s, (size_t)(e - s));
}

/* Text checked by the same validator the route keys use: valid UTF-8,
 * no control characters (newlines only when multiline). */
static const char *text_problem(const char *s, int multiline)
{
	struct key k = { "text", v_string, 0, multiline ? 1000000 : 1000, 0 };
	int64_t dummy;

	return v_string(&k, s, strlen(s), &dummy);
}

/* A decimal number such as 6.1 or 12 (attributes of kind 'number'). */
static int number_ok(const char *s)
{
	size_t i = 0, nd = 0;

	if (s[i] == '-')
		i++;
	for (; s[i] >= '0' && s[i] <= '9'; i++)
		nd++;
	if (s[i] == '.') {
		size_t nf = 0;

		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			nf++;
		if (!nf)
			return 0;
	}
	return nd > 0 && !s[i] && i <= 30;
}

static const char *const seller_statuses[] = { "draft", "active", "archived" };

static const char *status_label(const char *s)
{
	if (!strcmp(s, "draft"))
		return "Draft";
	if (!strcmp(s, "active"))
		return "Active";
	if (!strcmp(s, "archived"))
		return "Archived";
	if (!strcmp(s, "suspended"))
		return "Suspended";
	return s;
}

/* ---- the input model ---- */

struct ferr {
	const char *field, *label, *msg;
};

struct errs {
	int n;
	struct ferr v[ERRS_MAX];
};

static void add_err(struct errs *e, const char *field, const char *label, const char *msg)
{
	if (e->n < ERRS_MAX)
		e->v[e->n++] = (struct ferr){ field, label, msg };
}

static const char *err_for(const struct errs *e, const char *field)
{
	for (int i = 0; e && i < e->n; i++)
		if (!strcmp(e->v[i].field, field))
			return e->v[i].msg;
	return NULL;
}

enum { HAS_PRICE = 1, HAS_WEIGHT = 2, HAS_QTY = 4, HAS_OPTS = 8 };

struct sku_in {
	int64_t id;		/* an existing SKU (0: new) */
	int row;		/* the form row or skus[] index it came from, -1: none */
	const char *code;
	json_t *opts;		/* {"Color": "Red"}; borrowed from the op's root */
	const char *ov[ITEM_OPTIONS_MAX];	/* the form's option values by slot */
	const char *price_s, *weight_s, *qty_s;	/* as typed (the form) */
	int64_t price, weight, qty, stock;
	unsigned has;
	int remove, inactive;
	int gen;		/* the API's one SKU: its code is made on insert */
};

struct item_in {
	const char *title, *description, *brand, *category, *status;	/* NULL: not given */
	json_t *attrs;		/* {"name": "value"} given, NULL: not given */
	const char *optname[ITEM_OPTIONS_MAX];	/* the form's option names */
	struct sku_in *sku;
	int nsku, has_skus;
	int has_price, has_qty;	/* the API's item-level price and quantity */
	int64_t price, qty;
};

struct attr_def {
	const char *name, *kind;
	json_t *choices;	/* array of strings, or NULL */
	int required;
};

struct op {
	struct ctx *c;
	int api, patch;
	int64_t id;		/* the product; set on create */
	struct item_in in;
	json_t *root;		/* owns what the op built (options objects) */
	struct errs pre;	/* what reading the form found (kept across retries) */
	/* Out. */
	struct errs errs;
	const char *why;	/* a refusal that is not about one field */
	int stock_set;
	const char *stored_status;
};

/* Field names: the form's and the API's. */
static const char *f_top(const struct op *op, const char *form)
{
	if (op->api && !strcmp(form, "title"))
		return "name";
	return form;
}

static const char *f_sku(const struct op *op, const struct sku_in *s, int idx, const char *what)
{
	struct arena *a = op->c->a;

	if (op->api)
		return s->row >= 0 ? arena_printf(a, "skus[%d].%s", s->row, what) :
				     arena_printf(a, "%s", !strcmp(what, "quantity") ? "quantity" : "price");
	return arena_printf(a, "v%d.%s", s->row >= 0 ? s->row : idx, what);
}

static const char *f_attr(const struct op *op, const char *name)
{
	return arena_printf(op->c->a, op->api ? "attributes.%s" : "attr.%s", name);
}

/* The whole list as one line, for the API's message. */
static const char *errs_text(struct arena *a, const struct errs *e)
{
	struct buf b;

	buf_init(&b, a, 256);
	for (int i = 0; i < e->n; i++)
		buf_printf(&b, "%s%s: %s", i ? "; " : "", e->v[i].field, e->v[i].msg);
	return b.oom ? "The item is not valid." : b.p;
}

/* ---- database helpers (inside the transaction) ---- */

static enum err load_attr_defs(struct db *db, struct arena *a, const char *cat, struct attr_def *d,
			       int *n)
{
	struct db_res *r = NULL;
	enum err e;

	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_CAT_ATTRS], &r, "s", cat)))
		return e;
	for (size_t i = 0; i < r->nrows && *n < ATTRS_DEF_MAX; i++) {
		struct attr_def *x = &d[(*n)++];
		const char *ch = db_cell(r, i, 2);

		x->name = db_cell(r, i, 0);
		x->kind = db_cell(r, i, 1);
		x->required = db_int(r, i, 3) != 0;
		x->choices = NULL;
		if (ch) {
			x->choices = json_loads(ch, 0, NULL);
			if (x->choices && arena_on_reset(a, release_json, x->choices))
				x->choices = NULL;
			if (!json_is_array(x->choices))
				x->choices = NULL;
		}
	}
	return E_OK;
}

static int choice_ok(const struct attr_def *d, const char *v)
{
	size_t i;
	json_t *x;

	json_array_foreach(d->choices, i, x)
		if (json_is_string(x) && !strcmp(json_string_value(x), v))
			return 1;
	return 0;
}

/* Parses a column holding a JSON object; an empty object on anything else.
 * The reference belongs to the arena. */
static json_t *json_col(struct arena *a, const char *s)
{
	json_t *v = s ? json_loads(s, 0, NULL) : NULL;

	if (!json_is_object(v)) {
		json_decref(v);
		v = json_object();
	}
	if (v && arena_on_reset(a, release_json, v))
		return NULL;
	return v;
}

/* Makes the item's category exist when the API left it out: a leaf under
 * the "Other" department, as the demo importer places unknown categories. */
static enum err ensure_default_category(struct db *db, struct arena *a)
{
	struct catalog_category k;
	enum err e;

	if (catalog_category_map(DEFAULT_CATEGORY, &k))
		return E_INTERNAL;
	if ((e = db_exec(db, a, &sql[Q_CAT_TOP], NULL, "ssi", k.parent_slug, k.parent_name,
			 (int64_t)k.parent_position)))
		return e;
	return db_exec(db, a, &sql[Q_CAT_LEAF], NULL, "ssis", DEFAULT_CATEGORY, k.name,
		       (int64_t)k.position, k.parent_slug);
}

/* A slug no product has: the title's, else with -2 .. -9, else with a
 * random suffix. Arena-owned. */
static enum err new_slug(struct db *db, struct arena *a, const char *title, const char **out)
{
	char base[SLUG_BASE_MAX + 1];
	struct db_res *r = NULL;
	enum err e;

	if (!catalog_slugify(title, base, SLUG_BASE_MAX))
		snprintf(base, sizeof(base), "item");
	for (int i = 1; i <= 10; i++) {
		const char *s = i == 1 ? arena_strdup(a, base) :
			i < 10 ? arena_printf(a, "%s-%d", base, i) :
			arena_printf(a, "%s-%08x", base, (unsigned)randombytes_random());

		if ((e = db_exec(db, a, &sql[Q_SLUG_USED], &r, "s", s)))
			return e;
		if (!r->nrows || i == 10) {
			*out = s;
			return E_OK;
		}
	}
	return E_INTERNAL;
}

/* ---- checking the whole item (inside the transaction) ---- */

struct state {
	struct db_res *item;	/* the current row (update), or NULL */
	struct db_res *skus;	/* its SKUs */
	int seller_suspended;
	int64_t category_id;
	const char *category;
	const char *title, *description, *brand, *status;
	json_t *attrs;		/* what is stored */
	struct sku_in *all;	/* the SKUs after the change, existing first */
	int nall;
};

static const char *cell_or(const char *given, const struct db_res *r, int col)
{
	return given ? given : r ? db_cell(r, 0, col) : NULL;
}

/* The SKUs after the change: the current ones (updated from the input where
 * it names them) and the new ones. */
static enum err merge_skus(struct op *op, struct state *st)
{
	struct arena *a = op->c->a;
	size_t ncur = st->skus ? st->skus->nrows : 0;
	int n = 0;

	st->all = arena_calloc(a, ncur + (size_t)op->in.nsku + 1, sizeof(*st->all));
	if (!st->all)
		return E_NOMEM;
	for (size_t i = 0; i < ncur; i++) {
		struct sku_in *s = &st->all[n++];

		s->id = db_int(st->skus, i, K_ID);
		s->row = -1;
		s->code = db_cell(st->skus, i, K_CODE);
		s->opts = json_col(a, db_cell(st->skus, i, K_OPTS));
		s->price = db_int(st->skus, i, K_PRICE);
		s->weight = db_int(st->skus, i, K_WEIGHT);
		s->stock = db_int(st->skus, i, K_STOCK);
		s->inactive = strcmp(db_cell(st->skus, i, K_STATUS), "active") != 0;
		if (!s->opts)
			return E_NOMEM;
	}
	for (int j = 0; j < op->in.nsku; j++) {
		struct sku_in *in = &op->in.sku[j], *hit = NULL;

		for (int k = 0; k < n && !hit; k++) {
			if (!st->all[k].id)
				continue;
			if (op->api ? in->code && !strcasecmp(in->code, st->all[k].code) : in->id == st->all[k].id)
				hit = &st->all[k];
		}
		if (!hit && in->id) {
			/* A form row naming a SKU that is not this item's. */
			add_err(&op->errs, f_sku(op, in, j, "code"), "Variant", "is not a variant of this item");
			continue;
		}
		if (!hit) {
			st->all[n] = *in;
			st->all[n].id = 0;
			n++;
			continue;
		}
		hit->row = in->row;
		if (in->remove) {
			hit->remove = 1;
			continue;
		}
		if (in->has & HAS_PRICE) {
			hit->price = in->price;
			hit->price_s = in->price_s;
		}
		if (in->has & HAS_WEIGHT) {
			hit->weight = in->weight;
			hit->weight_s = in->weight_s;
		}
		if (in->has & HAS_OPTS)
			hit->opts = in->opts;
		if (in->has & HAS_QTY)
			add_err(&op->errs, f_sku(op, in, j, "quantity"), "Quantity",
				"of an existing variant changes on the item's stock page, not here");
		hit->inactive = 0;	/* named again: active again */
		hit->has = in->has;
	}
	st->nall = n;
	return E_OK;
}

static enum err check_skus(struct db *db, struct op *op, struct state *st)
{
	struct arena *a = op->c->a;
	const char *names[ITEM_OPTIONS_MAX];
	int nnames = 0, active = 0;
	enum err e;

	for (int i = 0; i < st->nall; i++) {
		struct sku_in *s = &st->all[i];
		const char *k;
		json_t *v;

		if (s->remove || s->inactive)
			continue;
		active++;
		if (!s->id) {
			struct db_res *r = NULL;

			if (s->gen)
				;
			else if (!s->code || !*s->code)
				add_err(&op->errs, f_sku(op, s, i, "code"), "SKU code", "is required");
			else if (!items_sku_code_ok(s->code))
				add_err(&op->errs, f_sku(op, s, i, "code"), "SKU code",
					"must be 1 to " STR(SKU_CODE_MAX) " letters, digits, dots, dashes or "
					"underscores, starting with a letter or digit");
			else {
				int dup = 0;

				for (int j = 0; j < st->nall && !dup; j++)
					dup = j != i && st->all[j].code && !strcasecmp(st->all[j].code, s->code) &&
					      (j < i || st->all[j].id);
				if (dup)
					add_err(&op->errs, f_sku(op, s, i, "code"), "SKU code",
						"is used by another variant of this item");
				else if ((e = db_exec(db, a, &sql[Q_CODE_USED], &r, "s", s->code)))
					return e;
				else if (r->nrows)
					add_err(&op->errs, f_sku(op, s, i, "code"), "SKU code",
						"is already used by another item in the shop");
			}
			if (!(s->has & HAS_PRICE))
				add_err(&op->errs, f_sku(op, s, i, "price"), "Price", "is required");
		}
		if ((s->has & HAS_PRICE) && (s->price < 0 || s->price > ITEM_PRICE_MAX))
			add_err(&op->errs, f_sku(op, s, i, "price"), "Price",
				op->api ? "must be a whole number of cents from 0 to " STR(ITEM_PRICE_MAX) :
					  "must be an amount such as 12.34, from 0.00 to 1000000.00");
		if ((s->has & HAS_WEIGHT) && (s->weight < 0 || s->weight > ITEM_WEIGHT_MAX))
			add_err(&op->errs, f_sku(op, s, i, op->api ? "weightGrams" : "weight"), "Weight",
				"must be a whole number of grams from 0 to " STR(ITEM_WEIGHT_MAX));
		if ((s->has & HAS_QTY) && !s->id && (s->qty < 0 || s->qty > STOCK_QTY_MAX))
			add_err(&op->errs, f_sku(op, s, i, "quantity"), "Initial quantity",
				"must be a whole number from 0 to " STR(STOCK_QTY_MAX));
		/* Options: at most ITEM_OPTIONS_MAX names over the item. */
		json_object_foreach(s->opts, k, v) {
			int found = 0;

			for (int j = 0; j < nnames && !found; j++)
				found = !strcmp(names[j], k);
			if (!found) {
				if (nnames == ITEM_OPTIONS_MAX) {
					add_err(&op->errs, f_sku(op, s, i, "options"), "Options",
						"may use at most " STR(ITEM_OPTIONS_MAX) " option names over the whole item");
					break;
				}
				names[nnames++] = k;
			}
			if (!*k || utf8_len(k) > ITEM_ATTR_NAME_MAX || text_problem(k, 0))
				add_err(&op->errs, f_sku(op, s, i, "options"), "Option name",
					"must be 1 to " STR(ITEM_ATTR_NAME_MAX) " characters of text");
			else if (!json_is_string(v) || !json_string_length(v) ||
				 utf8_len(json_string_value(v)) > ITEM_OPTION_VALUE_MAX ||
				 text_problem(json_string_value(v), 0))
				add_err(&op->errs, f_sku(op, s, i, "options"), "Option value",
					arena_printf(a, "for %s must be 1 to " STR(ITEM_OPTION_VALUE_MAX)
						     " characters of text", k));
		}
		/* Two variants that cannot be told apart. */
		for (int j = 0; j < i; j++) {
			const struct sku_in *o = &st->all[j];

			if (!o->remove && !o->inactive && json_equal(o->opts, s->opts)) {
				add_err(&op->errs, f_sku(op, s, i, "options"), "Options",
					json_object_size(s->opts) ? "are the same as another variant's" :
					"are needed: with several variants, give each an option (such as a color)");
				break;
			}
		}
	}
	if (active > ITEM_SKUS_MAX)
		add_err(&op->errs, op->api ? "skus" : "variants", "Variants",
			"are too many: an item has at most " STR(ITEM_SKUS_MAX));
	/* An item shoppers can buy has something to buy. */
	if (!active && st->status && (!strcmp(st->status, "active") || !strcmp(st->status, "suspended")))
		add_err(&op->errs, op->api ? "skus" : "variants", "Variants",
			"are needed: an active item has at least one active variant");
	return E_OK;
}

static enum err check_item(struct db *db, struct op *op, struct state *st)
{
	struct arena *a = op->c->a;
	const struct item_in *in = &op->in;
	struct attr_def defs[ATTRS_DEF_MAX];
	struct db_res *r = NULL;
	const char *cur_status = st->item ? db_cell(st->item, 0, I_STATUS) : NULL;
	const char *asked;
	int ndefs = 0;
	json_t *src;
	enum err e;

	st->title = trim(a, cell_or(in->title, st->item, I_TITLE));
	st->description = cell_or(in->description, st->item, I_DESC);
	st->brand = trim(a, cell_or(in->brand, st->item, I_BRAND));
	st->category = trim(a, cell_or(in->category, st->item, I_CAT));
	if (!st->title || !*st->title)
		add_err(&op->errs, f_top(op, "title"), "Title", "is required");
	else if (utf8_len(st->title) < ITEM_TITLE_MIN || utf8_len(st->title) > ITEM_TITLE_MAX)
		add_err(&op->errs, f_top(op, "title"), "Title",
			"must be from " STR(ITEM_TITLE_MIN) " to " STR(ITEM_TITLE_MAX) " characters long");
	else if (text_problem(st->title, 0))
		add_err(&op->errs, f_top(op, "title"), "Title", "must be text on one line");
	if (!st->description)
		st->description = "";
	if (strlen(st->description) > ITEM_DESC_MAX)
		add_err(&op->errs, "description", "Description",
			"must be at most " STR(ITEM_DESC_MAX) " bytes long");
	else if (text_problem(st->description, 1))
		add_err(&op->errs, "description", "Description", "must be valid text");
	if (st->brand && !*st->brand)
		st->brand = NULL;
	if (st->brand && (utf8_len(st->brand) > ITEM_BRAND_MAX || text_problem(st->brand, 0)))
		add_err(&op->errs, "brand", "Brand", "must be at most " STR(ITEM_BRAND_MAX) " characters on one line");

	/* Category: a leaf. */
	if ((!st->category || !*st->category) && op->api && !st->item) {
		if ((e = ensure_default_category(db, a)))
			return e;
		st->category = DEFAULT_CATEGORY;
	}
	if (!st->category || !*st->category) {
		add_err(&op->errs, "category", "Category", "is required");
	} else {
		if ((e = db_exec(db, a, &sql[Q_CAT], &r, "s", st->category)))
			return e;
		if (!r->nrows)
			add_err(&op->errs, "category", "Category",
				"must be one of the shop's categories (a subcategory such as smartphones)");
		else
			st->category_id = db_int(r, 0, 0);
	}

	/* Status. */
	asked = trim(a, in->status);
	if (asked && !*asked)
		asked = NULL;
	if (!asked)
		asked = cur_status ? cur_status : op->api ? "active" : "draft";
	else if (!strcmp(asked, "suspended") && !(cur_status && !strcmp(cur_status, "suspended")))
		add_err(&op->errs, "status", "Status", "cannot be set to suspended: only the shop suspends items");
	else if (strcmp(asked, "suspended") && strcmp(asked, "draft") && strcmp(asked, "active") &&
		 strcmp(asked, "archived"))
		add_err(&op->errs, "status", "Status", "must be draft, active or archived");
	st->status = asked;
	/* While the seller is suspended, "active" waits as 'suspended'. */
	if (!strcmp(asked, "active") && st->seller_suspended)
		st->status = "suspended";
	else if (!strcmp(asked, "suspended") && !st->seller_suspended)
		st->status = "active";	/* left as it was by a reinstated seller's form */

	/* Attributes, as the category defines them. */
	if (st->category_id && (e = load_attr_defs(db, a, st->category, defs, &ndefs)))
		return e;
	src = in->attrs;
	if (op->patch && st->item) {
		json_t *cur = json_col(a, db_cell(st->item, 0, I_ATTRS)), *v;
		const char *k;

		if (!cur)
			return E_NOMEM;
		json_object_foreach(src, k, v)
			json_object_set(cur, k, v);
		src = cur;
	} else if (!src && st->item) {
		src = json_col(a, db_cell(st->item, 0, I_ATTRS));
	}
	if (op->api && in->attrs) {
		const char *k;
		json_t *v;

		json_object_foreach(in->attrs, k, v) {
			int known = 0;

			for (int i = 0; i < ndefs && !known; i++)
				known = !strcmp(defs[i].name, k);
			if (!known && st->category_id)
				add_err(&op->errs, f_attr(op, k), k,
					arena_printf(a, "is not an attribute of the category %s", st->category));
			else if (!json_is_string(v) && !json_is_null(v) && !json_is_number(v))
				add_err(&op->errs, f_attr(op, k), k, "must be text");
		}
	}
	st->attrs = json_object();
	if (!st->attrs || arena_on_reset(a, release_json, st->attrs))
		return E_NOMEM;
	for (int i = 0; i < ndefs; i++) {
		const struct attr_def *d = &defs[i];
		json_t *v = json_object_get(src, d->name);
		const char *val = NULL;

		if (json_is_string(v))
			val = trim(a, json_string_value(v));
		else if (json_is_integer(v))
			val = arena_printf(a, "%lld", (long long)json_integer_value(v));
		else if (json_is_real(v))
			val = arena_printf(a, "%.15g", json_real_value(v));
		if (!val || !*val) {
			if (d->required)
				add_err(&op->errs, f_attr(op, d->name), d->name, "is required for this category");
			continue;
		}
		if (utf8_len(val) > ITEM_ATTR_VALUE_MAX || text_problem(val, 0))
			add_err(&op->errs, f_attr(op, d->name), d->name,
				"must be at most " STR(ITEM_ATTR_VALUE_MAX) " characters on one line");
		else if (!strcmp(d->kind, "number") && !number_ok(val))
			add_err(&op->errs, f_attr(op, d->name), d->name, "must be a number such as 6.1");
		else if (!strcmp(d->kind, "choice") && !choice_ok(d, val))
			add_err(&op->errs, f_attr(op, d->name), d->name, "must be one of the listed choices");
		else
			json_object_set_new(st->attrs, d->name, json_string(val));
	}
	if ((int)json_object_size(st->attrs) > ITEM_ATTR_MAX)
		add_err(&op->errs, op->api ? "attributes" : "attrs", "Attributes",
			"are too many: at most " STR(ITEM_ATTR_MAX));

	/* The item-level price and quantity of the API. */
	if (op->api && (in->has_price || in->has_qty) && in->has_skus)
		add_err(&op->errs, in->has_price ? "price" : "quantity", "Price",
			"goes with each SKU when skus are given");
	if ((e = merge_skus(op, st)))
		return e;
	if (op->api && !in->has_skus && (in->has_price || in->has_qty)) {
		int nactive = 0;
		struct sku_in *one = NULL;

		for (int i = 0; i < st->nall; i++)
			if (!st->all[i].inactive) {
				nactive++;
				one = &st->all[i];
			}
		if (!st->item) {
			/* A new item without skus: one SKU with a generated code. */
			one = &st->all[st->nall++];
			memset(one, 0, sizeof(*one));
			one->row = -1;
			one->opts = json_object();
			if (!one->opts || arena_on_reset(a, release_json, one->opts))
				return E_NOMEM;
			one->code = "";	/* made after the product row exists */
			one->gen = 1;
			one->price = in->price;
			one->qty = in->qty;
			one->has = (in->has_price ? HAS_PRICE : 0) | (in->has_qty ? HAS_QTY : 0);
		} else if (nactive != 1) {
			add_err(&op->errs, in->has_price ? "price" : "quantity", "Price",
				"is set per SKU (under skus) for an item with several variants");
		} else if (in->has_qty) {
			add_err(&op->errs, "quantity", "Quantity",
				"of an existing item changes through its stock page, not here");
		} else {
			one->price = in->price;
			one->has |= HAS_PRICE;
		}
	} else if (op->api && !st->item && !in->has_skus) {
		add_err(&op->errs, "price", "Price", "is required");
	}
	return check_skus(db, op, st);
}

/* ---- writing (inside the transaction) ---- */

static enum err outbox(struct db *db, struct op *op, const char *topic, int64_t seller, const char *why)
{
	return db_exec(db, op->c->a, &sql[Q_OUTBOX], NULL, "siiiis", topic, op->id, op->id, op->id,
		       seller, why);
}

/* A code for the SKU of an item posted without skus: P<item id>, or with a
 * counter when someone already has that. */
static enum err generated_code(struct db *db, struct op *op, const char **out)
{
	struct db_res *r = NULL;
	enum err e;

	for (int i = 1; i < 50; i++) {
		const char *code = i == 1 ? arena_printf(op->c->a, "P%lld", (long long)op->id) :
			arena_printf(op->c->a, "P%lld-%d", (long long)op->id, i);

		if ((e = db_exec(db, op->c->a, &sql[Q_CODE_USED], &r, "s", code)))
			return e;
		if (!r->nrows) {
			*out = code;
			return E_OK;
		}
	}
	return E_CONFLICT;
}

static enum err write_skus(struct db *db, struct op *op, struct state *st, int64_t seller)
{
	struct arena *a = op->c->a;
	int pos = 0;
	enum err e;

	for (int i = 0; i < st->nall; i++) {
		struct sku_in *s = &st->all[i];
		char *opts;

		if (s->remove) {
			struct db_res *r = NULL, *h = NULL;

			if ((e = db_exec(db, a, &sql[Q_S_ORDERED], &r, "ii", seller, s->id)) ||
			    (e = db_exec(db, a, &sql[Q_S_HELD], &h, "i", s->id)))
				return e;
			e = db_exec(db, a, &sql[r->nrows || h->nrows ? Q_S_DEACTIVATE : Q_S_DELETE], NULL, "iii",
				    s->id, op->id, seller);
			if (e)
				return e;
			continue;
		}
		if (s->inactive)
			continue;
		opts = json_dumps(s->opts, JSON_COMPACT);
		if (!opts || arena_on_reset(a, free, opts))
			return E_NOMEM;
		pos++;
		if (s->id) {
			if ((e = db_exec(db, a, &sql[Q_S_UPDATE], NULL, "siiiiii", opts, s->price, s->weight,
					 (int64_t)pos, s->id, op->id, seller)))
				return e;
			continue;
		}
		if (s->gen && (e = generated_code(db, op, &s->code)))
			return e;
		e = db_exec(db, a, &sql[Q_S_INSERT], NULL, "ssiiiii", s->code, opts, s->price, s->weight,
			    (int64_t)pos, op->id, seller);
		if (e && db_errno(db) == ER_DUP_ENTRY) {
			/* Taken by someone else since the check. */
			add_err(&op->errs, f_sku(op, s, i, "code"), "SKU code",
				"is already used by another item in the shop");
			return E_INVAL;
		}
		if (e)
			return e;
		s->id = (int64_t)db_insert_id(db);
		if ((e = db_exec(db, a, &sql[Q_INV_INSERT], NULL, "ii", s->id, s->qty)))
			return e;
		if (s->qty > 0) {
			if ((e = db_exec(db, a, &sql[Q_MOVEMENT], NULL, "iiiis", s->id, seller, s->qty, s->qty,
					 arena_printf(a, "user:%lld", (long long)op->c->sess->uid))))
				return e;
			op->stock_set = 1;
		}
	}
	return E_OK;
}

/* Runs inside db_tx, so it may run more than once (deadlock retry): it
 * starts from scratch each time. */
static enum err item_tx(struct db *db, void *p)
{
	struct op *op = p;
	struct arena *a = op->c->a;
	int64_t seller = op->c->sess->seller_id;
	struct state st;
	struct db_res *r = NULL;
	char *attrs;
	enum err e;

	memset(&st, 0, sizeof(st));
	op->errs = op->pre;
	op->why = NULL;
	op->stock_set = 0;
	if ((e = db_exec(db, a, &sql[Q_SELLER], &r, "i", seller)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	st.seller_suspended = !strcmp(db_cell(r, 0, 0), "suspended");
	if (op->id) {
		if ((e = db_exec(db, a, &sql[Q_ITEM_LOCK], &st.item, "ii", op->id, seller)))
			return e;
		if (!st.item->nrows)
			return E_NOTFOUND;	/* not there, or another seller's */
		if ((e = db_exec(db, a, &sql[Q_SKUS_LOCK], &st.skus, "ii", op->id, seller)))
			return e;
	}
	if ((e = check_item(db, op, &st)))
		return e;
	if (op->errs.n)
		return E_INVAL;
	op->stored_status = st.status;
	attrs = json_dumps(st.attrs, JSON_COMPACT);
	if (!attrs || arena_on_reset(a, free, attrs))
		return E_NOMEM;
	if (!op->id) {
		const char *slug;

		if ((e = new_slug(db, a, st.title, &slug)))
			return e;
		e = db_exec(db, a, &sql[Q_P_INSERT], NULL, "iisssss" "s", seller, st.category_id, slug,
			    st.title, st.description, st.brand, st.status, attrs);
		if (e && db_errno(db) == ER_DUP_ENTRY) {
			/* Another item took the slug since it was checked. */
			slug = arena_printf(a, "%.*s-%08x", SLUG_BASE_MAX, slug, (unsigned)randombytes_random());
			e = db_exec(db, a, &sql[Q_P_INSERT], NULL, "iisssss" "s", seller, st.category_id, slug,
				    st.title, st.description, st.brand, st.status, attrs);
		}
		if (e)
			return e;
		op->id = (int64_t)db_insert_id(db);
	} else if ((e = db_exec(db, a, &sql[Q_P_UPDATE], NULL, "isssssii", st.category_id, st.title,
				st.description, st.brand, st.status, attrs, op->id, seller))) {
		return e;
	}
	if ((e = write_skus(db, op, &st, seller)))
		return e;
	if ((e = db_exec(db, a, &sql[Q_TOTALS], NULL, "ii", op->id, seller)) ||
	    (e = catalog_refresh_digest(db, a, op->id)) ||
	    (e = outbox(db, op, "ProductUpdated", seller, st.item ? "item edited" : "item created")))
		return e;
	if (op->stock_set && (e = outbox(db, op, "StockChanged", seller, "initial stock")))
		return e;
	return E_OK;
}

/* Runs the change. E_INVAL means op->errs (or op->why) says why. A create
 * that failed must not keep the id a rolled-back insert handed out. */
static enum err run_op(struct op *op)
{
	int64_t id = op->id;
	enum err e = db_tx(op->c->db, item_tx, op);

	if (e)
		op->id = id;
	return e;
}

/* ---- request helpers ---- */

static int64_t path_id(const struct ctx *c)
{
	const char *s = c->req->pathvar[0];
	int64_t id;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

/* A seller flag without a seller row (an account being set up) has no
 * items to manage. */
#define NO_PROFILE "This account has the seller role but no seller profile yet. " \
	"Please ask an administrator to set one up."

static int no_seller(const struct ctx *c)
{
	return !c->sess || c->sess->seller_id <= 0;
}

/* One of the form's own fields (the variant rows), with the route keys'
 * rules for text: NULL when absent, "" when blank. A value that is not
 * clean text reads as "" so it is refused field by field. */
static const char *form_field(struct ctx *c, const char *name, size_t max)
{
	const char *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < c->req->nparams; i++)
		if (!strcmp(c->req->params[i].key, name)) {
			v = c->req->params[i].val;
			n = c->req->params[i].vlen;
			break;
		}
	if (!v)
		return NULL;
	if (n > max || memchr(v, '\0', n) || text_problem(v, 0))
		return "\x01";	/* never valid anywhere: refused by its field's check */
	return v;
}

static const char *form_text(struct ctx *c, const char *name, size_t max)
{
	const char *v = form_field(c, name, max);

	return v ? trim(c->a, v) : NULL;
}

/* Reads the form into op->in. *rows gets the number of variant rows shown. */
static enum err read_form(struct ctx *c, struct op *op, int *rows)
{
	struct item_in *in = &op->in;
	struct arena *a = c->a;
	int n = (int)ctx_int(c, "rows", 0), k = 0;

	if (n > ITEM_SKUS_MAX + 1)
		n = ITEM_SKUS_MAX + 1;
	*rows = n;
	in->title = ctx_str(c, "title") ? ctx_str(c, "title") : "";
	in->description = ctx_str(c, "description") ? ctx_str(c, "description") : "";
	in->brand = ctx_str(c, "brand") ? ctx_str(c, "brand") : "";
	in->category = ctx_str(c, "category") ? ctx_str(c, "category") : "";
	in->status = ctx_str(c, "status");
	for (int j = 0; j < ITEM_OPTIONS_MAX; j++) {
		const char *s = ctx_str(c, arena_printf(a, "opt%d", j + 1));

		in->optname[j] = s ? trim(a, s) : "";
	}
	in->attrs = json_object();
	if (!in->attrs || arena_on_reset(a, release_json, in->attrs))
		return E_NOMEM;
	for (size_t i = 0; i < c->req->nparams; i++) {
		const struct kvpair *p = &c->req->params[i];

		if (strncmp(p->key, "attr.", 5) || !p->key[5] || json_object_get(in->attrs, p->key + 5))
			continue;
		if (p->vlen > 4 * ITEM_ATTR_VALUE_MAX || memchr(p->val, '\0', p->vlen))
			json_object_set_new(in->attrs, p->key + 5, json_string("\x01"));
		else
			json_object_set_new(in->attrs, p->key + 5, json_stringn_nocheck(p->val, p->vlen));
	}
	in->sku = arena_calloc(a, (size_t)n + 1, sizeof(*in->sku));
	if (!in->sku)
		return E_NOMEM;
	for (int i = 0; i < n; i++) {
		struct sku_in *s = &in->sku[k];
		const char *id = form_text(c, arena_printf(a, "v%d.id", i), 20);
		int blank = 1;

		memset(s, 0, sizeof(*s));
		s->row = i;
		if (id && *id && parse_int64(id, strlen(id), 1, INT64_MAX, &s->id))
			s->id = -1;	/* not one of ours: refused */
		s->code = form_text(c, arena_printf(a, "v%d.code", i), 4 * SKU_CODE_MAX);
		s->price_s = form_text(c, arena_printf(a, "v%d.price", i), 40);
		s->weight_s = form_text(c, arena_printf(a, "v%d.weight", i), 40);
		s->qty_s = form_text(c, arena_printf(a, "v%d.qty", i), 40);
		s->remove = form_field(c, arena_printf(a, "v%d.remove", i), 10) != NULL;
		s->opts = json_object();
		if (!s->opts || arena_on_reset(a, release_json, s->opts))
			return E_NOMEM;
		for (int j = 0; j < ITEM_OPTIONS_MAX; j++) {
			s->ov[j] = form_text(c, arena_printf(a, "v%d.o%d", i, j + 1), 4 * ITEM_OPTION_VALUE_MAX);
			if (s->ov[j] && *s->ov[j])
				blank = 0;
		}
		blank = blank && !s->id && (!s->code || !*s->code) && (!s->price_s || !*s->price_s) &&
			(!s->weight_s || !*s->weight_s) && (!s->qty_s || !*s->qty_s);
		if (blank)
			continue;	/* an empty new row (the one "Add a variant" made) */
		/* Rows are numbered as the page shows them again, so a message
		 * names the row the seller sees. */
		s->row = k;
		k++;
		if (s->remove && !s->id)
			k--;		/* a new row ticked "remove": just dropped */
	}
	in->nsku = k;
	in->has_skus = 1;
	return E_OK;
}

/* Turns the typed variant fields into values, or field errors. The option
 * slots become {"Name": "value"} by the option names above the rows. */
static void parse_form_skus(struct op *op)
{
	struct item_in *in = &op->in;

	op->errs.n = 0;

	for (int j = 0; j < ITEM_OPTIONS_MAX; j++) {
		const char *nm = in->optname[j];

		if (nm && *nm && (utf8_len(nm) > ITEM_ATTR_NAME_MAX || text_problem(nm, 0)))
			add_err(&op->errs, arena_printf(op->c->a, "opt%d", j + 1), "Option name",
				"must be at most " STR(ITEM_ATTR_NAME_MAX) " characters");
		for (int k = 0; k < j; k++)
			if (nm && *nm && !strcasecmp(nm, in->optname[k]))
				add_err(&op->errs, arena_printf(op->c->a, "opt%d", j + 1), "Option name",
					"is given twice");
	}
	for (int i = 0; i < in->nsku; i++) {
		struct sku_in *s = &in->sku[i];

		if (s->remove)
			continue;
		if (s->price_s && *s->price_s) {
			s->has |= HAS_PRICE;
			if (items_parse_price(s->price_s, &s->price))
				add_err(&op->errs, f_sku(op, s, i, "price"), "Price",
					"must be an amount such as 12.34, from 0.00 to 1000000.00");
		} else if (s->id) {
			add_err(&op->errs, f_sku(op, s, i, "price"), "Price", "is required");
		}
		s->has |= HAS_WEIGHT;
		if (s->weight_s && *s->weight_s &&
		    parse_int64(s->weight_s, strlen(s->weight_s), 0, ITEM_WEIGHT_MAX, &s->weight))
			add_err(&op->errs, f_sku(op, s, i, "weight"), "Weight",
				"must be a whole number of grams from 0 to " STR(ITEM_WEIGHT_MAX));
		if (!s->id && s->qty_s && *s->qty_s) {
			s->has |= HAS_QTY;
			if (parse_int64(s->qty_s, strlen(s->qty_s), 0, STOCK_QTY_MAX, &s->qty))
				add_err(&op->errs, f_sku(op, s, i, "qty"), "Initial quantity",
					"must be a whole number from 0 to " STR(STOCK_QTY_MAX));
		}
		s->has |= HAS_OPTS;
		for (int j = 0; j < ITEM_OPTIONS_MAX; j++) {
			const char *nm = in->optname[j], *v = s->ov[j];

			if (nm && *nm && v && *v)
				json_object_set_new(s->opts, nm, json_string(v));
			else if (nm && *nm)
				add_err(&op->errs, f_sku(op, s, i, "options"), "Options",
					arena_printf(op->c->a, "need a value for %s", nm));
			else if (v && *v)
				add_err(&op->errs, f_sku(op, s, i, "options"), "Options",
					arena_printf(op->c->a, "have a value in column %d, which has no option name", j + 1));
		}
	}
}

/* Reads the JSON body into op->in (route keys already checked scalars). */
static const char *read_json(struct ctx *c, struct op *op)
{
	struct item_in *in = &op->in;
	json_t *body = c->req->json, *v, *arr;
	struct arena *a = c->a;
	static const char *const text_keys[] = { "name", "description", "brand", "category", "status" };
	size_t i;

	if (!json_is_object(body))
		return "the body must be a JSON object";
	for (i = 0; i < NELEM(text_keys); i++) {
		v = json_object_get(body, text_keys[i]);
		if (v && !json_is_string(v) && !(json_is_null(v) && i == 2))
			return arena_printf(a, "%s: must be text", text_keys[i]);
	}
	in->title = ctx_str(c, "name");
	if (!in->title && json_is_string(json_object_get(body, "name")))
		in->title = "";
	in->description = ctx_str(c, "description");
	if (!in->description && json_object_get(body, "description"))
		in->description = "";
	in->brand = ctx_str(c, "brand");
	if (!in->brand && json_object_get(body, "brand"))
		in->brand = "";
	in->category = ctx_str(c, "category");
	in->status = ctx_str(c, "status");
	if ((v = json_object_get(body, "price")) && !json_is_integer(v))
		return "price: must be a whole number of cents (minor units)";
	if ((v = json_object_get(body, "quantity")) && !json_is_integer(v))
		return "quantity: must be a whole number";
	in->has_price = ctx_has(c, "price");
	in->price = ctx_int(c, "price", 0);
	in->has_qty = ctx_has(c, "quantity");
	in->qty = ctx_int(c, "quantity", 0);
	if (in->has_qty && (in->qty < 0 || in->qty > STOCK_QTY_MAX))
		return "quantity: must be a whole number from 0 to " STR(STOCK_QTY_MAX);
	v = json_object_get(body, "attributes");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v))
			return "attributes: must be an object of \"name\": \"value\"";
		in->attrs = v;
	}
	arr = json_object_get(body, "skus");
	if (!arr || json_is_null(arr))
		return NULL;
	if (!json_is_array(arr))
		return "skus: must be an array";
	if (json_array_size(arr) > ITEM_SKUS_MAX)
		return "skus: at most " STR(ITEM_SKUS_MAX) " SKUs";
	in->has_skus = 1;
	in->sku = arena_calloc(a, json_array_size(arr) + 1, sizeof(*in->sku));
	if (!in->sku)
		return "out of memory";
	json_array_foreach(arr, i, v) {
		struct sku_in *s = &in->sku[in->nsku++];
		json_t *x;

		s->row = (int)i;
		if (!json_is_object(v))
			return arena_printf(a, "skus[%zu]: must be an object", i);
		x = json_object_get(v, "code");
		if (!json_is_string(x))
			return arena_printf(a, "skus[%zu].code: is required (text)", i);
		s->code = trim(a, json_string_value(x));
		if ((x = json_object_get(v, "price"))) {
			if (!json_is_integer(x))
				return arena_printf(a, "skus[%zu].price: must be a whole number of cents", i);
			s->price = json_integer_value(x);
			s->has |= HAS_PRICE;
		}
		if ((x = json_object_get(v, "weightGrams"))) {
			if (!json_is_integer(x))
				return arena_printf(a, "skus[%zu].weightGrams: must be a whole number", i);
			s->weight = json_integer_value(x);
			s->has |= HAS_WEIGHT;
		}
		if ((x = json_object_get(v, "quantity"))) {
			if (!json_is_integer(x))
				return arena_printf(a, "skus[%zu].quantity: must be a whole number", i);
			s->qty = json_integer_value(x);
			s->has |= HAS_QTY;
		}
		x = json_object_get(v, "options");
		if (x && !json_is_null(x)) {
			if (!json_is_object(x))
				return arena_printf(a, "skus[%zu].options: must be an object of \"name\": \"value\"", i);
			s->opts = x;
			s->has |= HAS_OPTS;
		} else {
			s->opts = json_object();
			if (!s->opts || arena_on_reset(a, release_json, s->opts))
				return "out of memory";
		}
	}
	return NULL;
}

/* ---- JSON answers ---- */

static json_t *item_json(struct ctx *c, const struct db_res *p, size_t row, const struct db_res *skus)
{
	json_t *o = json_object(), *list = json_array(), *attrs, *imgs;
	const char *brand = db_cell(p, row, I_BRAND), *thumb = db_cell(p, row, I_THUMB);

	json_object_set_new(o, "id", json_integer(db_int(p, row, I_ID)));
	json_object_set_new(o, "url", json_string(arena_printf(c->a, "/p/%s", db_cell(p, row, I_SLUG))));
	json_object_set_new(o, "name", json_string(db_cell(p, row, I_TITLE)));
	json_object_set_new(o, "description", json_string(db_cell(p, row, I_DESC)));
	json_object_set_new(o, "brand", brand ? json_string(brand) : json_null());
	json_object_set_new(o, "category", json_string(db_cell(p, row, I_CAT)));
	json_object_set_new(o, "status", json_string(db_cell(p, row, I_STATUS)));
	json_object_set_new(o, "price", json_integer(db_int(p, row, I_PRICE)));
	json_object_set_new(o, "currency", json_string(db_cell(p, row, I_CUR)));
	json_object_set_new(o, "stock", json_integer(db_int(p, row, I_STOCK)));
	attrs = json_loads(db_cell(p, row, I_ATTRS), 0, NULL);
	json_object_set_new(o, "attributes", json_is_object(attrs) ? attrs : json_object());
	if (!json_is_object(attrs))
		json_decref(attrs);
	imgs = json_loads(db_cell(p, row, I_IMAGES), 0, NULL);
	json_object_set_new(o, "images", json_is_array(imgs) ? imgs : json_array());
	if (!json_is_array(imgs))
		json_decref(imgs);
	json_object_set_new(o, "thumbnail", thumb ? json_string(thumb) : json_null());
	for (size_t i = 0; skus && i < skus->nrows; i++) {
		json_t *opts = json_loads(db_cell(skus, i, K_OPTS), 0, NULL);

		if (!json_is_object(opts)) {
			json_decref(opts);
			opts = json_object();
		}
		json_array_append_new(list, json_pack("{s:s, s:o, s:I, s:I, s:I, s:b}",
			"code", db_cell(skus, i, K_CODE), "options", opts,
			"price", (json_int_t)db_int(skus, i, K_PRICE),
			"weightGrams", (json_int_t)db_int(skus, i, K_WEIGHT),
			"stock", (json_int_t)db_int(skus, i, K_STOCK),
			"active", !strcmp(db_cell(skus, i, K_STATUS), "active")));
	}
	if (skus)
		json_object_set_new(o, "skus", list);
	else
		json_decref(list);
	json_object_set_new(o, "createdAt", json_string(db_cell(p, row, I_CREATED)));
	json_object_set_new(o, "updatedAt", json_string(db_cell(p, row, I_UPDATED)));
	return o;
}

/* Answers the item (read after the change committed). */
static enum err api_item(struct ctx *c, int64_t id)
{
	struct db_res *p = NULL, *s = NULL;
	json_t *o;
	enum err e;

	if ((e = db_exec(c->db, c->a, &sql[Q_ITEM], &p, "ii", id, c->sess->seller_id)))
		return e;
	if (!p->nrows)
		return E_NOTFOUND;
	if ((e = db_exec(c->db, c->a, &sql[Q_SKUS], &s, "ii", id, c->sess->seller_id)))
		return e;
	if (!(o = item_json(c, p, 0, s)))
		return E_NOMEM;
	if (arena_on_reset(c->a, release_json, o))
		return E_NOMEM;
	c->resp->model = o;
	return E_OK;
}

/* 400 with the problems listed as error.fields [{field, message}]. */
static enum err api_invalid(struct ctx *c, const struct op *op)
{
	json_t *fields;
	enum err e = reply_error(c, 400, op->why ? op->why : errs_text(c->a, &op->errs));

	if (e || op->why || !op->errs.n)
		return e;
	if (!(fields = json_array()))
		return E_NOMEM;
	for (int i = 0; i < op->errs.n; i++)
		json_array_append_new(fields, json_pack("{s:s, s:s}", "field", op->errs.v[i].field,
							"message", op->errs.v[i].msg));
	json_object_set_new(json_object_get(c->resp->model, "error"), "fields", fields);
	return E_OK;
}

/* ---- the form page ---- */

/* What the form shows: the values as entered (or as stored). */
struct form_view {
	int64_t id;
	const char *slug, *status_stored;
	struct item_in *in;
	int rows;		/* variant rows to show (blank ones added) */
	const struct errs *errs;
	const char *why;
	int saved;
	struct arena *arena;
};

static void add_options(json_t *list, const char *const *values, size_t n, const char *sel)
{
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "value", values[i],
			"label", status_label(values[i]), "selected", sel && !strcmp(sel, values[i])));
}

/* The id of the control a message is about, for the summary's links:
 * attribute names may hold spaces, so their controls are numbered. */
static const char *anchor(const struct form_view *fv, const struct attr_def *defs, int n,
			  const char *field)
{
	if (!strncmp(field, "attr.", 5)) {
		for (int i = 0; i < n; i++)
			if (!strcmp(defs[i].name, field + 5))
				return arena_printf(fv->arena, "f-a%d", i);
		return "f-category";
	}
	return arena_printf(fv->arena, "f-%s", field);
}

static enum err form_page(struct ctx *c, int status, struct form_view *fv)
{
	struct item_in *in = fv->in;
	struct arena *a = c->a;
	struct attr_def defs[ATTRS_DEF_MAX];
	struct db_res *r = NULL, *sr = NULL;
	json_t *m, *item, *list, *fe;
	int ndefs = 0, shown = 0, seller_suspended = 0;
	const char *sel_status;
	enum err e;

	fv->arena = a;
	m = session_form_page(c, "seller_items_edit", fv->id ? "Edit item" : "Add an item", status);
	if (!m)
		return E_NOMEM;
	json_object_set_new(m, "isNew", json_boolean(!fv->id));
	json_object_set_new(m, "saved", json_boolean(fv->saved));
	item = json_object();
	json_object_set_new(m, "item", item);
	if (fv->id) {
		json_object_set_new(item, "id", json_integer(fv->id));
		json_object_set_new(item, "stockUrl", json_string(arena_printf(a, "/seller/items/%lld/stock", (long long)fv->id)));
		json_object_set_new(item, "imagesUrl", json_string(arena_printf(a, "/seller/items/%lld/images", (long long)fv->id)));
		if (fv->status_stored && !strcmp(fv->status_stored, "active") && fv->slug)
			json_object_set_new(item, "url", json_string(arena_printf(a, "/p/%s", fv->slug)));
	}
	json_object_set_new(item, "title", json_string(in->title ? in->title : ""));
	json_object_set_new(item, "description", json_string(in->description ? in->description : ""));
	json_object_set_new(item, "brand", json_string(in->brand ? in->brand : ""));
	if (fv->status_stored) {
		json_object_set_new(item, "status", json_string(fv->status_stored));
		json_object_set_new(item, "statusLabel", json_string(status_label(fv->status_stored)));
		json_object_set_new(item, "suspended", json_boolean(!strcmp(fv->status_stored, "suspended")));
	}
	if ((e = db_exec(c->db, a, &sql[Q_SELLER], &sr, "i", c->sess->seller_id)))
		return e;
	seller_suspended = sr->nrows && !strcmp(db_cell(sr, 0, 0), "suspended");
	json_object_set_new(m, "sellerSuspended", json_boolean(seller_suspended));
	sel_status = in->status ? in->status : fv->status_stored ? fv->status_stored : "draft";
	if (!strcmp(sel_status, "suspended"))
		sel_status = "active";
	list = json_array();
	add_options(list, seller_statuses, NELEM(seller_statuses), sel_status);
	json_object_set_new(m, "statuses", list);

	/* Categories (leaves), grouped by department in the label. */
	if ((e = db_exec(c->db, a, &sql[Q_LEAVES], &r, "")))
		return e;
	list = json_array();
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:b}", "value", db_cell(r, i, 0),
			"name", db_cell(r, i, 1), "dept", db_cell(r, i, 2),
			"selected", in->category && !strcmp(in->category, db_cell(r, i, 0))));
	json_object_set_new(m, "categories", list);

	/* The chosen category's attributes. */
	if (in->category && *in->category &&
	    (e = load_attr_defs(c->db, a, in->category, defs, &ndefs)))
		return e;
	list = json_array();
	for (int i = 0; i < ndefs; i++) {
		json_t *v = json_object_get(in->attrs, defs[i].name), *o, *ch = json_array();
		const char *val = json_is_string(v) ? json_string_value(v) : "";
		const char *err = err_for(fv->errs, arena_printf(a, "attr.%s", defs[i].name));
		size_t k;
		json_t *x;

		if (!strcmp(val, "\x01"))
			val = "";
		json_array_foreach(defs[i].choices, k, x)
			if (json_is_string(x))
				json_array_append_new(ch, json_pack("{s:s, s:b}", "value", json_string_value(x),
					"selected", !strcmp(val, json_string_value(x))));
		o = json_pack("{s:s, s:s, s:s, s:i, s:b, s:b, s:b, s:o}", "name", defs[i].name,
			"field", arena_printf(a, "attr.%s", defs[i].name), "value", val, "i", i,
			"required", defs[i].required, "isNumber", !strcmp(defs[i].kind, "number"), "isChoice", !strcmp(defs[i].kind, "choice"),
			"choices", ch);
		if (err)
			json_object_set_new(o, "error", json_string(arena_printf(a, "%s %s", defs[i].name, err)));
		json_array_append_new(list, o);
	}
	json_object_set_new(m, "attrs", list);

	/* Option names. */
	list = json_array();
	for (int j = 0; j < ITEM_OPTIONS_MAX; j++) {
		const char *f = arena_printf(a, "opt%d", j + 1), *err = err_for(fv->errs, f);
		json_t *o = json_pack("{s:i, s:s, s:s}", "n", j + 1, "field", f,
				      "value", in->optname[j] ? in->optname[j] : "");

		if (err)
			json_object_set_new(o, "error", json_string(arena_printf(a, "Option name %s", err)));
		json_array_append_new(list, o);
	}
	json_object_set_new(m, "options", list);

	/* Variant rows: those entered (or stored), then blank ones. */
	list = json_array();
	for (int i = 0; i < in->nsku + fv->rows && shown <= ITEM_SKUS_MAX; i++, shown++) {
		struct sku_in blank = { .row = -1 }, *s = i < in->nsku ? &in->sku[i] : &blank;
		json_t *o = json_object(), *ov = json_array();
		static const char *const errkeys[][2] = {
			{ "code", "codeError" }, { "price", "priceError" }, { "weight", "weightError" },
			{ "qty", "qtyError" }, { "options", "optionError" },
		};

		json_object_set_new(o, "i", json_integer(shown));
		json_object_set_new(o, "rowNo", json_integer(shown + 1));	/* labels: "Price of variant 1" */
		json_object_set_new(o, "isExisting", json_boolean(s->id > 0));
		if (s->id > 0)
			json_object_set_new(o, "id", json_integer(s->id));
		json_object_set_new(o, "code", json_string(s->code ? s->code : ""));
		json_object_set_new(o, "price", json_string(s->price_s ? s->price_s : ""));
		json_object_set_new(o, "weight", json_string(s->weight_s ? s->weight_s : ""));
		json_object_set_new(o, "qty", json_string(s->qty_s ? s->qty_s : ""));
		json_object_set_new(o, "stock", json_integer(s->stock));
		json_object_set_new(o, "remove", json_boolean(s->remove));
		for (int j = 0; j < ITEM_OPTIONS_MAX; j++)
			json_array_append_new(ov, json_pack("{s:i, s:s, s:s}", "n", j + 1,
				"field", arena_printf(a, "v%d.o%d", shown, j + 1),
				"value", s->ov[j] && strcmp(s->ov[j], "\x01") ? s->ov[j] : ""));
		json_object_set_new(o, "o", ov);
		for (size_t k = 0; k < NELEM(errkeys); k++) {
			const char *err = s->row >= 0 ?
				err_for(fv->errs, arena_printf(a, "v%d.%s", s->row, errkeys[k][0])) : NULL;

			if (err)
				json_object_set_new(o, errkeys[k][1], json_string(err));
		}
		json_array_append_new(list, o);
	}
	json_object_set_new(m, "variants", list);
	json_object_set_new(m, "rows", json_integer(shown));
	json_object_set_new(m, "canAdd", json_boolean(shown <= ITEM_SKUS_MAX));

	/* The summary: every problem, as a sentence. */
	fe = json_array();
	for (int i = 0; fv->errs && i < fv->errs->n; i++) {
		const struct ferr *f = &fv->errs->v[i];
		const char *label = f->label;

		/* "v3.price" reads "Variant 4: Price must ..." */
		if (f->field[0] == 'v' && f->field[1] >= '0' && f->field[1] <= '9')
			label = arena_printf(a, "Variant %d: %s", atoi(f->field + 1) + 1, f->label);
		json_array_append_new(fe, json_pack("{s:s, s:s, s:s}", "field", f->field,
			"anchor", anchor(fv, defs, ndefs, f->field),
			"message", arena_printf(a, "%s %s", label, f->msg)));
	}
	json_object_set_new(m, "errors", fe);
	fe = json_object();
	for (int i = 0; fv->errs && i < fv->errs->n; i++)
		if (!json_object_get(fe, fv->errs->v[i].field))
			json_object_set_new(fe, fv->errs->v[i].field, json_string(arena_printf(a, "%s %s",
				fv->errs->v[i].label, fv->errs->v[i].msg)));
	json_object_set_new(m, "fieldErrors", fe);
	if (fv->why)
		json_object_set_new(m, "error", json_pack("{s:s}", "message", fv->why));
	return E_OK;
}

/* The stored item as form values. */
static enum err load_form(struct ctx *c, int64_t id, struct item_in *in, struct form_view *fv)
{
	struct db_res *p = NULL, *s = NULL;
	struct arena *a = c->a;
	int nnames = 0;
	enum err e;

	if ((e = db_exec(c->db, a, &sql[Q_ITEM], &p, "ii", id, c->sess->seller_id)))
		return e;
	if (!p->nrows)
		return E_NOTFOUND;
	if ((e = db_exec(c->db, a, &sql[Q_SKUS], &s, "ii", id, c->sess->seller_id)))
		return e;
	memset(in, 0, sizeof(*in));
	in->title = db_cell(p, 0, I_TITLE);
	in->description = db_cell(p, 0, I_DESC);
	in->brand = db_cell(p, 0, I_BRAND);
	in->category = db_cell(p, 0, I_CAT);
	in->attrs = json_col(a, db_cell(p, 0, I_ATTRS));
	in->sku = arena_calloc(a, s->nrows + 1, sizeof(*in->sku));
	if (!in->attrs || !in->sku)
		return E_NOMEM;
	for (int j = 0; j < ITEM_OPTIONS_MAX; j++)
		in->optname[j] = "";
	for (size_t i = 0; i < s->nrows; i++) {
		struct sku_in *k;
		json_t *opts, *v;
		const char *name;

		if (strcmp(db_cell(s, i, K_STATUS), "active"))
			continue;	/* inactive SKUs are kept for orders, not edited */
		k = &in->sku[in->nsku++];
		k->row = -1;
		k->id = db_int(s, i, K_ID);
		k->code = db_cell(s, i, K_CODE);
		k->price_s = arena_printf(a, "%lld.%02lld", (long long)(db_int(s, i, K_PRICE) / 100),
					  (long long)(db_int(s, i, K_PRICE) % 100));
		k->weight_s = db_cell(s, i, K_WEIGHT);
		k->stock = db_int(s, i, K_STOCK);
		opts = json_col(a, db_cell(s, i, K_OPTS));
		json_object_foreach(opts, name, v) {
			int slot = -1;

			for (int j = 0; j < nnames; j++)
				if (!strcmp(in->optname[j], name))
					slot = j;
			if (slot < 0 && nnames < ITEM_OPTIONS_MAX) {
				slot = nnames++;
				in->optname[slot] = arena_strdup(a, name);
			}
			if (slot >= 0 && json_is_string(v))
				k->ov[slot] = arena_strdup(a, json_string_value(v));
		}
	}
	fv->id = id;
	fv->slug = db_cell(p, 0, I_SLUG);
	fv->status_stored = db_cell(p, 0, I_STATUS);
	fv->in = in;
	return E_OK;
}

/* The form came back: re-render it (add a row, show a category's
 * attributes) or save it. */
static enum err form_post(struct ctx *c, int64_t id)
{
	struct op op = { .c = c, .id = id };
	struct form_view fv = { .id = id, .in = &op.in };
	const char *action = ctx_str(c, "action");
	struct db_res *p = NULL, *sr = NULL;
	int rows = 0;
	enum err e;

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	if ((e = read_form(c, &op, &rows)))
		return e;
	if (id) {
		/* The page's own facts (slug, stored status) and a 404 for an
		 * item that is not this seller's, before anything else. */
		if ((e = db_exec(c->db, c->a, &sql[Q_ITEM], &p, "ii", id, c->sess->seller_id)))
			return e;
		if (!p->nrows)
			return E_NOTFOUND;
		fv.slug = db_cell(p, 0, I_SLUG);
		fv.status_stored = db_cell(p, 0, I_STATUS);
		/* Existing rows keep their code and stock as stored. */
		if ((e = db_exec(c->db, c->a, &sql[Q_SKUS], &sr, "ii", id, c->sess->seller_id)))
			return e;
		for (int i = 0; i < op.in.nsku; i++)
			for (size_t k = 0; k < sr->nrows; k++)
				if (db_int(sr, k, K_ID) == op.in.sku[i].id) {
					op.in.sku[i].code = db_cell(sr, k, K_CODE);
					op.in.sku[i].stock = db_int(sr, k, K_STOCK);
				}
	}
	if (action && (!strcmp(action, "add-variant") || !strcmp(action, "refresh"))) {
		/* Nothing is saved: the same form, one more blank row. */
		fv.rows = !strcmp(action, "add-variant") ? 1 : 0;
		if (op.in.nsku == 0 && !fv.rows)
			fv.rows = 1;
		return form_page(c, 200, &fv);
	}
	/* The typed values' problems, then the whole item's (all shown at
	 * once); the transaction writes only when there are none. */
	parse_form_skus(&op);
	op.pre = op.errs;
	e = run_op(&op);
	if (e == E_OK)
		return reply_redirect(c, 303, arena_printf(c->a, "/seller/items/%lld?saved=1", (long long)op.id));
	if (e != E_INVAL)
		return e;
	fv.errs = &op.errs;
	fv.why = op.why ? op.why : "The item was not saved. Please correct the fields marked below.";
	fv.rows = op.in.nsku ? 0 : 1;
	return form_page(c, 400, &fv);
}

/* ---- handlers: pages ---- */

enum err h_seller_item_new(struct ctx *c)
{
	struct item_in in;
	struct form_view fv = { .in = &in, .rows = 1 };

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	memset(&in, 0, sizeof(in));
	in.category = ctx_str(c, "category");
	for (int j = 0; j < ITEM_OPTIONS_MAX; j++)
		in.optname[j] = "";
	return form_page(c, 200, &fv);
}

enum err h_seller_item_create(struct ctx *c)
{
	return form_post(c, 0);
}

enum err h_seller_item_edit_form(struct ctx *c)
{
	int64_t id = path_id(c);
	struct item_in in;
	struct form_view fv = { 0 };
	enum err e;

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	if (!id)
		return E_NOTFOUND;
	if ((e = load_form(c, id, &in, &fv)))
		return e;
	fv.rows = in.nsku ? 0 : 1;
	fv.saved = ctx_int(c, "saved", 0) != 0;
	return form_page(c, 200, &fv);
}

enum err h_seller_item_edit(struct ctx *c)
{
	int64_t id = path_id(c);

	return id ? form_post(c, id) : E_NOTFOUND;
}

/* The filters of a list request, checked. NULL for "any". */
struct list_q {
	const char *q, *status, *category;
	int64_t after;
	int64_t size;
	const char *like;	/* q, its LIKE wildcards escaped */
};

static enum err list_query(struct ctx *c, struct list_q *l, const char *cursor, struct db_res **out)
{
	l->after = INT64_MAX;
	if (cursor) {
		char *payload;

		if (cursor_decode(c->a, cursor, &payload) || strncmp(payload, "si|", 3) ||
		    parse_int64(payload + 3, strlen(payload + 3), 1, INT64_MAX, &l->after))
			return E_INVAL;
	}
	if (l->status && strcmp(l->status, "draft") && strcmp(l->status, "active") &&
	    strcmp(l->status, "archived") && strcmp(l->status, "suspended"))
		return E_INVAL;
	if (l->q) {
		l->q = trim(c->a, l->q);
		if (!*l->q)
			l->q = NULL;
	}
	if (l->q) {
		l->like = db_like_escape(c->a, l->q);
	}
	return db_exec(c->db, c->a, &sql[Q_LIST], out, "iisssssssi", c->sess->seller_id, l->after,
		       l->status, l->status, l->category, l->category, l->q, l->like, l->like,
		       l->size + 1);
}

enum err h_seller_items(struct ctx *c)
{
	struct list_q l = { .q = ctx_str(c, "q"), .status = ctx_str(c, "status"),
			    .category = ctx_str(c, "category"), .size = LIST_PAGE };
	static const char *const all_statuses[] = { "draft", "active", "archived", "suspended" };
	struct db_res *r = NULL, *cats = NULL;
	json_t *m, *list;
	enum err e;

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	e = list_query(c, &l, ctx_str(c, "after"), &r);
	if (e == E_INVAL)
		return reply_error(c, 400, "That page of the list does not exist (the link may be altered). "
				   "Start again from the first page.");
	if (e)
		return e;
	if ((e = db_exec(c->db, c->a, &sql[Q_LEAVES], &cats, "")))
		return e;
	if (!(m = reply_model(c, "seller_items", "Your items")))
		return E_NOMEM;
	json_object_set_new(m, "q", json_string(l.q ? l.q : ""));
	list = json_array();
	add_options(list, all_statuses, NELEM(all_statuses), l.status);
	json_object_set_new(m, "statuses", list);
	list = json_array();
	for (size_t i = 0; i < cats->nrows; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:b}", "value", db_cell(cats, i, 0),
			"name", db_cell(cats, i, 1), "dept", db_cell(cats, i, 2),
			"selected", l.category && !strcmp(l.category, db_cell(cats, i, 0))));
	json_object_set_new(m, "categories", list);
	list = json_array();
	for (size_t i = 0; i < r->nrows && i < (size_t)l.size; i++) {
		const char *thumb = db_cell(r, i, I_THUMB), *st = db_cell(r, i, I_STATUS);

		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:s, s:s, s:s}",
			"id", (json_int_t)db_int(r, i, I_ID), "title", db_cell(r, i, I_TITLE),
			"status", st, "statusLabel", status_label(st),
			"price", (json_int_t)db_int(r, i, I_PRICE), "currency", db_cell(r, i, I_CUR),
			"stock", (json_int_t)db_int(r, i, I_STOCK),
			"updated", arena_printf(c->a, "%.10s", db_cell(r, i, I_UPDATED)),
			"thumbnail", thumb ? thumb : catalog_image(c->a, db_cell(r, i, I_TITLE), NULL),
			"editUrl", arena_printf(c->a, "/seller/items/%lld", (long long)db_int(r, i, I_ID)),
			"categoryName", db_cell(r, i, I_CATNAME)));
	}
	json_object_set_new(m, "hasItems", json_boolean(json_array_size(list) > 0));
	json_object_set_new(m, "items", list);
	json_object_set_new(m, "filtered", json_boolean(l.q || l.status || l.category));
	if (r->nrows > (size_t)l.size) {
		struct buf b;
		const char *cur = cursor_encode(c->a, arena_printf(c->a, "si|%lld",
			(long long)db_int(r, (size_t)l.size - 1, I_ID)));

		if (!cur)
			return E_NOMEM;
		buf_init(&b, c->a, 256);
		buf_puts(&b, "/seller/items?after=");
		buf_puts(&b, cur);	/* base64url: safe in a URL as is */
		if (l.q) {
			buf_puts(&b, "&q=");
			esc_url(&b, l.q, strlen(l.q));
		}
		if (l.status)
			buf_printf(&b, "&status=%s", l.status);
		if (l.category)
			buf_printf(&b, "&category=%s", l.category);
		json_object_set_new(m, "nextUrl", json_string(b.p));
	}
	if (ctx_str(c, "after"))
		json_object_set_new(m, "firstUrl", json_string("/seller/items"));
	return E_OK;
}

/* ---- handlers: API ---- */

enum err h_api_item_create(struct ctx *c)
{
	struct op op = { .c = c, .api = 1 };
	enum err e;

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	if ((op.why = read_json(c, &op)))
		return api_invalid(c, &op);
	e = run_op(&op);
	if (e == E_INVAL)
		return api_invalid(c, &op);
	if (e)
		return e;
	if ((e = api_item(c, op.id)))
		return e;
	c->resp->status = 201;
	resp_header(c->resp, arena_printf(c->a, "Location: /api/seller/items/%lld", (long long)op.id));
	return E_OK;
}

enum err h_api_item_patch(struct ctx *c)
{
	struct op op = { .c = c, .api = 1, .patch = 1 };
	struct db_res *p = NULL;
	enum err e;

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	if (!(op.id = path_id(c)))
		return E_NOTFOUND;
	/* Another seller's item is "not found" whatever the body says. */
	if ((e = db_exec(c->db, c->a, &sql[Q_ITEM], &p, "ii", op.id, c->sess->seller_id)))
		return e;
	if (!p->nrows)
		return E_NOTFOUND;
	if ((op.why = read_json(c, &op)))
		return api_invalid(c, &op);
	e = run_op(&op);
	if (e == E_INVAL)
		return api_invalid(c, &op);
	if (e)
		return e;
	return api_item(c, op.id);
}

enum err h_api_seller_item(struct ctx *c)
{
	int64_t id = path_id(c);

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	return id ? api_item(c, id) : E_NOTFOUND;
}

enum err h_api_seller_items(struct ctx *c)
{
	struct list_q l = { .q = ctx_str(c, "q"), .status = ctx_str(c, "status"),
			    .category = ctx_str(c, "category"), .size = ctx_int(c, "size", LIST_PAGE) };
	struct db_res *r = NULL;
	json_t *m, *list;
	enum err e;

	if (no_seller(c))
		return reply_error(c, 403, NO_PROFILE);
	e = list_query(c, &l, ctx_str(c, "cursor"), &r);
	if (e == E_INVAL)
		return reply_error(c, 400, "cursor or status: not valid for this list");
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	list = json_array();
	for (size_t i = 0; i < r->nrows && i < (size_t)l.size; i++)
		json_array_append_new(list, item_json(c, r, i, NULL));
	json_object_set_new(m, "items", list);
	if (r->nrows > (size_t)l.size) {
		const char *cur = cursor_encode(c->a, arena_printf(c->a, "si|%lld",
			(long long)db_int(r, (size_t)l.size - 1, I_ID)));

		json_object_set_new(m, "nextCursor", cur ? json_string(cur) : json_null());
	} else {
		json_object_set_new(m, "nextCursor", json_null());
	}
	return E_OK;
}
