/* The seller's items, the domain side (items.h); the pages and the API that
 * fill and show an item_change are items_pages.c.
 *
 * One input model (struct item_in) is filled from the form or from a JSON
 * body; one transaction (item_tx) checks it with listing_check() (the rules
 * of the listing itself) and against the database (the category and its
 * attributes, the item's current SKUs, SKU codes used elsewhere in the
 * shop) and writes it. Any problem is a field error and rolls everything
 * back, so nothing is ever half-saved.
 *
 * Every query names the seller (p.seller_id = ?): another seller's item is
 * "not found" and nothing changes. A write keeps the storefront's read model
 * right in the same transaction: products.price (lowest active SKU price),
 * stock_total, sku_digest (catalog_refresh_digest) and a ProductUpdated
 * event (and StockChanged when new SKUs got stock; their shelves are opened
 * by inventory_open_sku), which is what the product cache and the search
 * indexer follow.
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
#include "../core/text.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../inventory/inventory.h"
#include "../catalog/catalog.h"
#include "import.h"
#include "listing.h"
#include "limits.h"
#include "items.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define STR_(x) #x
#define STR(x) STR_(x)

#define ATTRS_DEF_MAX ITEM_ATTR_DEFS_MAX
#define SLUG_BASE_MAX 140	/* products.slug is 160: room for a suffix */
#define ER_DUP_ENTRY 1062
/* Where an item posted without a category goes (created on first use, the
 * way the demo importer creates categories). */
#define DEFAULT_CATEGORY "uncategorized"

/* ---- statements ---- */

#define ITEM_COLS "p.id, p.slug, p.title, p.description, p.brand, c.slug, p.status, p.price, " \
	"p.currency, p.attributes, p.images, DATE_FORMAT(p.created_at, '%Y-%m-%dT%H:%i:%sZ'), " \
	"DATE_FORMAT(p.updated_at, '%Y-%m-%dT%H:%i:%sZ'), p.stock_total, p.thumbnail, c.name"

#define SKU_COLS "s.id, s.code, s.options, s.price, s.weight_grams, s.status, " \
	INVENTORY_SKU_AVAILABLE_SQL("s.id")
/* The same without the stock: locking the SKUs must not lock their
 * inventory rows too, which checkout locks first (inventory, then the
 * product's read model); this order would invite deadlocks. */
#define SKU_LOCK_COLS "s.id, s.code, s.options, s.price, s.weight_grams, s.status, 0"

enum {
	Q_SELLER, Q_LEAVES, Q_CAT, Q_CAT_ATTRS, Q_CAT_TOP, Q_CAT_LEAF, Q_ITEM, Q_ITEM_LOCK,
	Q_SKUS, Q_SKUS_LOCK, Q_CODE_USED, Q_SLUG_USED, Q_P_INSERT, Q_P_UPDATE, Q_S_INSERT,
	Q_S_UPDATE, Q_S_ORDERED, Q_S_DEACTIVATE, Q_S_DELETE, Q_TOTALS, Q_LIST, Q_COUNT
};

static struct db_sql sql[Q_COUNT] = {
	/* A shared lock: an admin suspending the seller waits for the edit
	 * (or the edit sees the suspension), never half of each. */
	[Q_SELLER] = { "SELECT status FROM sellers WHERE id = ? LOCK IN SHARE MODE", 0 },
	/* issue 19: a category an admin retired takes no new products */
	[Q_LEAVES] = { "SELECT c.slug, c.name, d.name FROM categories c JOIN categories d ON d.id = c.parent_id "
		       "WHERE NOT EXISTS (SELECT 1 FROM categories k WHERE k.parent_id = c.id) AND c.retired_at IS NULL "
		       "ORDER BY d.position, d.name, c.position, c.name", 0 },
	[Q_CAT] = { "SELECT c.id FROM categories c WHERE c.slug = ? AND c.parent_id IS NOT NULL "
		    "AND NOT EXISTS (SELECT 1 FROM categories k WHERE k.parent_id = c.id) AND c.retired_at IS NULL", 0 },
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
	 * through the seller's index; inventory_sku_held() reads the holds
	 * with a lock, so no checkout can hold the SKU between that check
	 * and its deletion. */
	[Q_S_ORDERED] = { "SELECT 1 FROM order_lines WHERE seller_id = ? AND sku_id = ? LIMIT 1", 0 },
	[Q_S_DEACTIVATE] = { "UPDATE skus s JOIN products p ON p.id = s.product_id SET s.status = 'inactive' "
			     "WHERE s.id = ? AND s.product_id = ? AND p.seller_id = ?", 0 },
	[Q_S_DELETE] = { "DELETE s FROM skus s JOIN products p ON p.id = s.product_id "
			 "WHERE s.id = ? AND s.product_id = ? AND p.seller_id = ?", 0 },
	[Q_TOTALS] = { "UPDATE products p SET "
		       "price = COALESCE((SELECT MIN(s.price) FROM skus s WHERE s.product_id = p.id "
		       "AND s.status = 'active'), 0) "
		       "WHERE p.id = ? AND p.seller_id = ?", 0 },	/* stock_total: catalog_refresh_digest() */
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
	return money_parse(s, MONEY_DECIMAL, ITEM_PRICE_MAX, cents);
}

int items_sku_code_ok(const char *s)
{
	return listing_code_ok(s);
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* A trimmed arena copy; NULL stays NULL. */
const char *items_trim(struct arena *a, const char *s)
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

/* ---- the input model ---- */

/* Field names: the form's and the API's. */
static const char *f_sku(const struct item_change *op, const struct item_sku *s, int idx, const char *what)
{
	struct arena *a = op->a;

	if (op->api)
		return s->row >= 0 ? arena_printf(a, "skus[%d].%s", s->row, what) :
				     arena_printf(a, "%s", !strcmp(what, "quantity") ? "quantity" : "price");
	return arena_printf(a, "v%d.%s", s->row >= 0 ? s->row : idx, what);
}

static const char *f_attr(const struct item_change *op, const char *name)
{
	return arena_printf(op->a, op->api ? "attributes.%s" : "attr.%s", name);
}

/* ---- database helpers (inside the transaction) ---- */

enum err items_attr_defs(struct db *db, struct arena *a, const char *cat, struct item_attr_def *d,
			       int *n)
{
	struct db_res *r = NULL;
	enum err e;

	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_CAT_ATTRS], &r, "s", cat)))
		return e;
	for (size_t i = 0; i < r->nrows && *n < ATTRS_DEF_MAX; i++) {
		struct item_attr_def *x = &d[(*n)++];
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

static int choice_ok(const struct item_attr_def *d, const char *v)
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
json_t *items_json_col(struct arena *a, const char *s)
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

	int64_t made = 0;

	if (catalog_category_map(DEFAULT_CATEGORY, &k))
		return E_INTERNAL;
	if ((e = db_exec(db, a, &sql[Q_CAT_TOP], NULL, "ssi", k.parent_slug, k.parent_name,
			 (int64_t)k.parent_position)))
		return e;
	if (db_affected(db) > 0)
		made = (int64_t)db_insert_id(db);
	if ((e = db_exec(db, a, &sql[Q_CAT_LEAF], NULL, "ssis", DEFAULT_CATEGORY, k.name,
			 (int64_t)k.position, k.parent_slug)))
		return e;
	if (db_affected(db) > 0)
		made = (int64_t)db_insert_id(db);
	/* A department or leaf made here is in every page's navigation at
	 * once, as an admin's new category is (CategoryChanged: app/catalog's
	 * page cache and tree follow it). */
	if (made)
		return event_emit(db, a, EV_CATEGORY_CHANGED, made,
				  json_pack("{s:I, s:s}", "id", (json_int_t)made, "change", "created"));
	return E_OK;
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
	struct item_sku *all;	/* the SKUs after the change, existing first */
	int nall;
};

static const char *cell_or(const char *given, const struct db_res *r, int col)
{
	return given ? given : r ? db_cell(r, 0, col) : NULL;
}

/* The SKUs after the change: the current ones (updated from the input where
 * it names them) and the new ones. */
static enum err merge_skus(struct item_change *op, struct state *st)
{
	struct arena *a = op->a;
	size_t ncur = st->skus ? st->skus->nrows : 0;
	int n = 0;

	st->all = arena_calloc(a, ncur + (size_t)op->in.nsku + 1, sizeof(*st->all));
	if (!st->all)
		return E_NOMEM;
	for (size_t i = 0; i < ncur; i++) {
		struct item_sku *s = &st->all[n++];

		s->id = db_int(st->skus, i, ITEM_K_ID);
		s->row = -1;
		s->code = db_cell(st->skus, i, ITEM_K_CODE);
		s->opts = items_json_col(a, db_cell(st->skus, i, ITEM_K_OPTS));
		s->price = db_int(st->skus, i, ITEM_K_PRICE);
		s->weight = db_int(st->skus, i, ITEM_K_WEIGHT);
		s->stock = db_int(st->skus, i, ITEM_K_STOCK);
		s->inactive = strcmp(db_cell(st->skus, i, ITEM_K_STATUS), "active") != 0;
		if (!s->opts)
			return E_NOMEM;
	}
	for (int j = 0; j < op->in.nsku; j++) {
		struct item_sku *in = &op->in.sku[j], *hit = NULL;

		for (int k = 0; k < n && !hit; k++) {
			if (!st->all[k].id)
				continue;
			if (op->api ? in->code && !strcasecmp(in->code, st->all[k].code) : in->id == st->all[k].id)
				hit = &st->all[k];
		}
		if (!hit && in->id) {
			/* A form row naming a SKU that is not this item's. */
			listing_add(&op->errs, f_sku(op, in, j, "code"), "Variant", "is not a variant of this item");
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
		if (in->has & ITEM_HAS_PRICE) {
			hit->price = in->price;
			hit->price_s = in->price_s;
		}
		if (in->has & ITEM_HAS_WEIGHT) {
			hit->weight = in->weight;
			hit->weight_s = in->weight_s;
		}
		if (in->has & ITEM_HAS_OPTS)
			hit->opts = in->opts;
		if (in->has & ITEM_HAS_QTY)
			listing_add(&op->errs, f_sku(op, in, j, "quantity"), "Quantity",
				"of an existing variant changes on the item's stock page, not here");
		hit->inactive = 0;	/* named again: active again */
		hit->has = in->has;
	}
	st->nall = n;
	return E_OK;
}

/* The SKUs after the change, as the listing validator reads them: the
 * form's numbers as typed, the API's as given. */
static struct listing_sku *listing_skus(struct item_change *op, struct state *st)
{
	struct arena *a = op->a;
	struct listing_sku *v = arena_calloc(a, (size_t)st->nall + 1, sizeof(*v));

	if (!v)
		return NULL;
	for (int i = 0; i < st->nall; i++) {
		const struct item_sku *s = &st->all[i];
		struct listing_sku *k = &v[i];
		struct listing_option *o = arena_calloc(a, json_object_size(s->opts) + 1, sizeof(*o));
		const char *name;
		json_t *val;
		int n = 0;

		if (!o)
			return NULL;
		k->row = s->row;
		k->code = s->code;
		k->existing = s->id != 0;
		k->generated = s->gen;
		k->skip = s->remove || s->inactive;
		k->has = (s->has & ITEM_HAS_PRICE ? LISTING_PRICE : 0) | (s->has & ITEM_HAS_WEIGHT ? LISTING_WEIGHT : 0) |
			 (s->has & ITEM_HAS_QTY ? LISTING_QTY : 0);
		if (!op->api) {
			k->price_text = s->price_s;
			k->weight_text = s->weight_s;
			k->qty_text = s->qty_s;
		}
		k->price = s->price;
		k->weight = s->weight;
		k->quantity = s->qty;
		json_object_foreach(s->opts, name, val) {
			o[n].name = name;
			o[n++].value = json_is_string(val) && json_string_length(val) ? json_string_value(val) : NULL;
		}
		k->options = o;
		k->noptions = n;
	}
	return v;
}

/* What only the database knows about the SKUs: codes used elsewhere in the
 * shop. The rest was listing_check's. */
static enum err check_codes_used(struct db *db, struct item_change *op, struct state *st)
{
	struct arena *a = op->a;
	enum err e;

	for (int i = 0; i < st->nall; i++) {
		struct item_sku *s = &st->all[i];
		const char *f = f_sku(op, s, i, "code");
		struct db_res *r = NULL;

		if (s->id || s->gen || s->remove || s->inactive || !listing_code_ok(s->code) || listing_error_for(&op->errs, f))
			continue;
		if ((e = db_exec(db, a, &sql[Q_CODE_USED], &r, "s", s->code)))
			return e;
		if (r->nrows)
			listing_add(&op->errs, f, "SKU code", "is already used by another item in the shop");
	}
	return E_OK;
}

static enum err check_item(struct db *db, struct item_change *op, struct state *st)
{
	struct arena *a = op->a;
	const struct item_in *in = &op->in;
	struct item_attr_def defs[ATTRS_DEF_MAX];
	struct listing_option given[ATTRS_DEF_MAX];
	int given_def[ATTRS_DEF_MAX];
	struct listing l;
	struct db_res *r = NULL;
	const char *cur_status = st->item ? db_cell(st->item, 0, ITEM_C_STATUS) : NULL;
	const char *asked;
	int ndefs = 0, ngiven = 0, no_category = 0;
	json_t *src;
	enum err e;

	st->title = items_trim(a, cell_or(in->title, st->item, ITEM_C_TITLE));
	st->description = cell_or(in->description, st->item, ITEM_C_DESC);
	st->brand = items_trim(a, cell_or(in->brand, st->item, ITEM_C_BRAND));
	st->category = items_trim(a, cell_or(in->category, st->item, ITEM_C_CAT));
	if (!st->description)
		st->description = "";
	if (st->brand && !*st->brand)
		st->brand = NULL;

	/* Category: a leaf (its slug's form is listing_check's). */
	if ((!st->category || !*st->category) && op->api && !st->item) {
		if ((e = ensure_default_category(db, a)))
			return e;
		st->category = DEFAULT_CATEGORY;
	}
	if (st->category && catalog_slug_valid(st->category)) {
		if ((e = db_exec(db, a, &sql[Q_CAT], &r, "s", st->category)))
			return e;
		if (!r->nrows)
			no_category = 1;
		else
			st->category_id = db_int(r, 0, 0);
	}

	/* Status. */
	asked = items_trim(a, in->status);
	if (asked && !*asked)
		asked = NULL;
	if (!asked)
		asked = cur_status ? cur_status : op->api ? "active" : "draft";
	st->status = asked;
	/* While the seller is suspended, "active" waits as 'suspended'. */
	if (!strcmp(asked, "active") && st->seller_suspended)
		st->status = "suspended";
	else if (!strcmp(asked, "suspended") && !st->seller_suspended)
		st->status = "active";	/* left as it was by a reinstated seller's form */

	/* Attributes, as the category defines them. */
	if (st->category_id && (e = items_attr_defs(db, a, st->category, defs, &ndefs)))
		return e;
	src = in->attrs;
	if (op->patch && st->item) {
		json_t *cur = items_json_col(a, db_cell(st->item, 0, ITEM_C_ATTRS)), *v;
		const char *k;

		if (!cur)
			return E_NOMEM;
		json_object_foreach(src, k, v)
			json_object_set(cur, k, v);
		src = cur;
	} else if (!src && st->item) {
		src = items_json_col(a, db_cell(st->item, 0, ITEM_C_ATTRS));
	}
	if (op->api && in->attrs) {
		const char *k;
		json_t *v;

		json_object_foreach(in->attrs, k, v) {
			int known = 0;

			for (int i = 0; i < ndefs && !known; i++)
				known = !strcmp(defs[i].name, k);
			if (!known && st->category_id)
				listing_add(&op->errs, f_attr(op, k), k,
					arena_printf(a, "is not an attribute of the category %s", st->category));
			else if (!json_is_string(v) && !json_is_null(v) && !json_is_number(v))
				listing_add(&op->errs, f_attr(op, k), k, "must be text");
		}
	}
	st->attrs = json_object();
	if (!st->attrs || arena_on_reset(a, release_json, st->attrs))
		return E_NOMEM;
	for (int i = 0; i < ndefs; i++) {
		const struct item_attr_def *d = &defs[i];
		json_t *v = json_object_get(src, d->name);
		const char *val = NULL;

		if (json_is_string(v))
			val = items_trim(a, json_string_value(v));
		else if (json_is_integer(v))
			val = arena_printf(a, "%lld", (long long)json_integer_value(v));
		else if (json_is_real(v))
			val = arena_printf(a, "%.15g", json_real_value(v));
		if (!val || !*val) {
			if (d->required)
				listing_add(&op->errs, f_attr(op, d->name), d->name, "is required for this category");
			continue;
		}
		given[ngiven] = (struct listing_option){ d->name, val };
		given_def[ngiven++] = i;
	}

	/* The item-level price and quantity of the API. */
	if (op->api && (in->has_price || in->has_qty) && in->has_skus)
		listing_add(&op->errs, in->has_price ? "price" : "quantity", "Price",
			"goes with each SKU when skus are given");
	if ((e = merge_skus(op, st)))
		return e;
	if (op->api && !in->has_skus && (in->has_price || in->has_qty)) {
		int nactive = 0;
		struct item_sku *one = NULL;

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
			one->has = (in->has_price ? ITEM_HAS_PRICE : 0) | (in->has_qty ? ITEM_HAS_QTY : 0);
		} else if (nactive != 1) {
			listing_add(&op->errs, in->has_price ? "price" : "quantity", "Price",
				"is set per SKU (under skus) for an item with several variants");
		} else if (in->has_qty) {
			listing_add(&op->errs, "quantity", "Quantity",
				"of an existing item changes through its stock page, not here");
		} else {
			one->price = in->price;
			one->has |= ITEM_HAS_PRICE;
		}
	} else if (op->api && !st->item && !in->has_skus) {
		listing_add(&op->errs, "price", "Price", "is required");
	}

	/* Every rule of the listing itself. */
	memset(&l, 0, sizeof(l));
	l.title = st->title;
	l.description = st->description;
	l.brand = st->brand;
	l.category = st->category;
	l.status = asked;
	l.status_now = cur_status;
	l.attributes = given;
	l.nattributes = ngiven;
	l.whole = 1;
	l.nskus = st->nall;
	if (!(l.skus = listing_skus(op, st)))
		return E_NOMEM;
	listing_check(a, op->api ? LISTING_API : LISTING_FORM, &l, &op->errs);
	for (int i = 0; i < st->nall; i++) {
		st->all[i].price = l.skus[i].price;
		st->all[i].weight = l.skus[i].weight;
		st->all[i].qty = l.skus[i].quantity;
	}

	/* Then what the database and the category say. */
	if (no_category)
		listing_add(&op->errs, "category", "Category",
			"must be one of the shop's categories (a subcategory such as smartphones)");
	for (int k = 0; k < ngiven; k++) {
		const struct item_attr_def *d = &defs[given_def[k]];
		const char *val = given[k].value;

		if (listing_error_for(&op->errs, f_attr(op, d->name)))
			continue;
		if (!strcmp(d->kind, "number") && !number_ok(val))
			listing_add(&op->errs, f_attr(op, d->name), d->name, "must be a number such as 6.1");
		else if (!strcmp(d->kind, "choice") && !choice_ok(d, val))
			listing_add(&op->errs, f_attr(op, d->name), d->name, "must be one of the listed choices");
		else
			json_object_set_new(st->attrs, d->name, json_string(val));
	}
	return check_codes_used(db, op, st);
}

/* Turns the typed variant fields into values, or field errors. The option
 * slots become {"Name": "value"} by the option names above the rows. */
void items_form_skus(struct item_change *op)
{
	struct item_in *in = &op->in;

	op->errs.n = 0;

	for (int j = 0; j < ITEM_OPTIONS_MAX; j++) {
		const char *nm = in->optname[j];

		if (nm && *nm && (text_chars(nm, TEXT_LINE) < 0 || text_chars(nm, TEXT_LINE) > ITEM_ATTR_NAME_MAX))
			listing_add(&op->errs, arena_printf(op->a, "opt%d", j + 1), "Option name",
				"must be at most " STR(ITEM_ATTR_NAME_MAX) " characters");
		for (int k = 0; k < j; k++)
			if (nm && *nm && !strcasecmp(nm, in->optname[k]))
				listing_add(&op->errs, arena_printf(op->a, "opt%d", j + 1), "Option name",
					"is given twice");
	}
	for (int i = 0; i < in->nsku; i++) {
		struct item_sku *s = &in->sku[i];

		if (s->remove)
			continue;
		/* The numbers are parsed by listing_check, as typed. */
		if (s->price_s && *s->price_s)
			s->has |= ITEM_HAS_PRICE;
		else if (s->id)
			listing_add(&op->errs, f_sku(op, s, i, "price"), "Price", "is required");
		s->has |= ITEM_HAS_WEIGHT;
		if (!s->id && s->qty_s && *s->qty_s)
			s->has |= ITEM_HAS_QTY;
		s->has |= ITEM_HAS_OPTS;
		for (int j = 0; j < ITEM_OPTIONS_MAX; j++) {
			const char *nm = in->optname[j], *v = s->ov[j];

			if (nm && *nm && v && *v)
				json_object_set_new(s->opts, nm, json_string(v));
			else if (nm && *nm)
				listing_add(&op->errs, f_sku(op, s, i, "options"), "Options",
					arena_printf(op->a, "need a value for %s", nm));
			else if (v && *v)
				listing_add(&op->errs, f_sku(op, s, i, "options"), "Options",
					arena_printf(op->a, "have a value in column %d, which has no option name", j + 1));
		}
	}
}

/* ---- writing (inside the transaction) ---- */

static enum err outbox(struct db *db, struct item_change *op, enum event_type type, int64_t seller, const char *why)
{
	return event_emit(db, op->a, type, op->id, json_pack("{sI sI sI ss}", "id", (json_int_t)op->id,
		"productId", (json_int_t)op->id, "sellerId", (json_int_t)seller, "reason", why));
}

/* A code for the SKU of an item posted without skus: P<item id>, or with a
 * counter when someone already has that. */
static enum err generated_code(struct db *db, struct item_change *op, const char **out)
{
	struct db_res *r = NULL;
	enum err e;

	for (int i = 1; i < 50; i++) {
		const char *code = i == 1 ? arena_printf(op->a, "P%lld", (long long)op->id) :
			arena_printf(op->a, "P%lld-%d", (long long)op->id, i);

		if ((e = db_exec(db, op->a, &sql[Q_CODE_USED], &r, "s", code)))
			return e;
		if (!r->nrows) {
			*out = code;
			return E_OK;
		}
	}
	return E_CONFLICT;
}

static enum err write_skus(struct db *db, struct item_change *op, struct state *st, int64_t seller)
{
	struct arena *a = op->a;
	int pos = 0;
	enum err e;

	for (int i = 0; i < st->nall; i++) {
		struct item_sku *s = &st->all[i];
		char *opts;

		if (s->remove) {
			struct db_res *r = NULL;
			int held = 0;

			if ((e = db_exec(db, a, &sql[Q_S_ORDERED], &r, "ii", seller, s->id)) ||
			    (e = inventory_sku_held(db, a, s->id, &held)))
				return e;
			e = db_exec(db, a, &sql[r->nrows || held ? Q_S_DEACTIVATE : Q_S_DELETE], NULL, "iii",
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
			listing_add(&op->errs, f_sku(op, s, i, "code"), "SKU code",
				"is already used by another item in the shop");
			return E_INVAL;
		}
		if (e)
			return e;
		s->id = (int64_t)db_insert_id(db);
		if ((e = inventory_open_sku(db, a, s->id, seller, s->qty,
					    arena_printf(a, "user:%lld", (long long)op->uid))))
			return e;
		if (s->qty > 0)
			op->stock_set = 1;
	}
	return E_OK;
}

/* Runs inside db_tx, so it may run more than once (deadlock retry): it
 * starts from scratch each time. */
static enum err item_tx(struct db *db, void *p)
{
	struct item_change *op = p;
	struct arena *a = op->a;
	int64_t seller = op->seller_id;
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
	    (e = outbox(db, op, EV_PRODUCT_UPDATED, seller, st.item ? "item edited" : "item created")))
		return e;
	if (op->stock_set && (e = outbox(db, op, EV_STOCK_CHANGED, seller, "initial stock")))
		return e;
	return E_OK;
}

/* A create that failed must not keep the id a rolled-back insert handed
 * out. */
enum err items_save(struct db *db, struct arena *a, struct item_change *op)
{
	int64_t id = op->id;
	enum err e;

	op->a = a;
	e = db_tx(db, item_tx, op);

	if (e)
		op->id = id;
	return e;
}


/* ---- what the pages read ---- */

enum err items_row(struct db *db, struct arena *a, int64_t seller_id, int64_t id, struct db_res **p)
{
	return db_exec(db, a, &sql[Q_ITEM], p, "ii", id, seller_id);
}

enum err items_skus(struct db *db, struct arena *a, int64_t seller_id, int64_t id, struct db_res **s)
{
	return db_exec(db, a, &sql[Q_SKUS], s, "ii", id, seller_id);
}

enum err items_leaves(struct db *db, struct arena *a, struct db_res **r)
{
	return db_exec(db, a, &sql[Q_LEAVES], r, "");
}

enum err items_seller_suspended(struct db *db, struct arena *a, int64_t seller_id, int *suspended)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_SELLER], &r, "i", seller_id);

	if (!e)
		*suspended = r->nrows && !strcmp(db_cell(r, 0, 0), "suspended");
	return e;
}

enum err items_list(struct db *db, struct arena *a, int64_t seller_id, const struct item_filter *f,
		    struct db_res **out)
{
	const char *like = f->q ? db_like_escape(a, f->q) : NULL;

	return db_exec(db, a, &sql[Q_LIST], out, "iisssssssi", seller_id, f->after, f->status, f->status,
		       f->category, f->category, f->q, like, like, f->limit);
}
