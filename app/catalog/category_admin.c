/* The category tree's writers (category_admin.h). */
#include <string.h>
#include "../core/arena.h"
#include "../core/text.h"
#include "../store/db.h"
#include "../events/events.h"
#include "category_admin.h"

#define CAT_COLS "c.id, c.slug, c.name, COALESCE(c.parent_id, 0), c.position, " \
	"(SELECT COUNT(*) FROM products p WHERE p.category_id = c.id), " \
	"(SELECT COUNT(*) FROM categories k WHERE k.parent_id = c.id AND k.retired_at IS NULL), " \
	"c.retired_at IS NOT NULL"

enum {
	Q_ONE, Q_LOCK, Q_ALL, Q_SLUG_TAKEN, Q_INSERT, Q_NEXT_POS, Q_RENAME, Q_MOVE, Q_SIBLINGS, Q_SET_POS,
	Q_PRODUCTS_IN, Q_PRODUCTS_MOVE, Q_TREE_PRODUCTS, Q_RETIRE,
	Q_ATTRS, Q_ATTR_HAS, Q_ATTR_ADD, Q_ATTR_SET, Q_ATTR_DEL, Q_ATTR_PRODUCTS, Q_ATTR_RENAME_P, Q_ATTR_BOTH,
	Q_COUNT
};

static struct db_sql sql[Q_COUNT] = {
	[Q_ONE] = { "SELECT " CAT_COLS " FROM categories c WHERE c.id = ?", 0 },
	[Q_LOCK] = { "SELECT " CAT_COLS " FROM categories c WHERE c.id = ? FOR UPDATE", 0 },
	/* tree order: a top category, then its children; retired trees last */
	[Q_ALL] = { "SELECT " CAT_COLS " FROM categories c LEFT JOIN categories t ON t.id = c.parent_id "
		    "ORDER BY IF(t.id IS NULL, c.retired_at, t.retired_at) IS NOT NULL, COALESCE(t.position, c.position), COALESCE(t.id, c.id), c.parent_id IS NOT NULL, "
		    "c.position, c.name", 0 },
	[Q_SLUG_TAKEN] = { "SELECT 1 FROM categories WHERE slug = ?", 0 },
	[Q_INSERT] = { "INSERT INTO categories (parent_id, slug, name, position) VALUES (NULLIF(?, 0), ?, ?, ?)", 0 },
	[Q_NEXT_POS] = { "SELECT COALESCE(MAX(position), 0) + 10 FROM categories WHERE parent_id <=> NULLIF(?, 0)", 0 },
	[Q_RENAME] = { "UPDATE categories SET name = ? WHERE id = ?", 0 },
	[Q_MOVE] = { "UPDATE categories SET parent_id = NULLIF(?, 0), position = ? WHERE id = ?", 0 },
	/* the live siblings in menu order, locked: a reorder renumbers them */
	[Q_SIBLINGS] = { "SELECT id FROM categories WHERE parent_id <=> NULLIF(?, 0) AND retired_at IS NULL "
			 "ORDER BY position, name FOR UPDATE", 0 },
	[Q_SET_POS] = { "UPDATE categories SET position = ? WHERE id = ?", 0 },
	[Q_PRODUCTS_IN] = { "SELECT id FROM products WHERE category_id = ? ORDER BY id FOR UPDATE", 0 },
	[Q_PRODUCTS_MOVE] = { "UPDATE products SET category_id = ? WHERE category_id = ?", 0 },
	/* the products under a category (its own and its children's): the
	 * search index files them under both */
	[Q_TREE_PRODUCTS] = { "SELECT p.id FROM products p JOIN categories c ON c.id = p.category_id "
			      "WHERE c.id = ? OR c.parent_id = ? ORDER BY p.id", 0 },
	[Q_RETIRE] = { "UPDATE categories SET retired_at = NOW(3) WHERE id = ? AND retired_at IS NULL", 0 },
	/* the table the seller's item form reads (schema.sql: keyed by the
	 * category's slug), with how many products of the category carry
	 * each */
	[Q_ATTRS] = { "SELECT a.name, a.kind, COALESCE(a.choices, 'null'), a.required, a.position, "
		      "(SELECT COUNT(*) FROM products p WHERE p.category_id = c.id "
		      "AND JSON_CONTAINS_PATH(p.attributes, 'one', CONCAT('$.\"', a.name, '\"'))) "
		      "FROM categories c JOIN category_attributes a ON a.category_slug = c.slug WHERE c.id = ? "
		      "ORDER BY a.position, a.name", 0 },
	[Q_ATTR_HAS] = { "SELECT 1 FROM category_attributes WHERE category_slug = ? AND name = ?", 0 },
	[Q_ATTR_ADD] = { "INSERT INTO category_attributes (category_slug, name, kind, choices, required, position) "
			 "SELECT ?, ?, ?, ?, ?, COALESCE(MAX(position), 0) + 10 FROM category_attributes "
			 "WHERE category_slug = ?", 0 },
	[Q_ATTR_SET] = { "UPDATE category_attributes SET name = ? WHERE category_slug = ? AND name = ?", 0 },
	[Q_ATTR_DEL] = { "DELETE FROM category_attributes WHERE category_slug = ? AND name = ?", 0 },
	/* the products to rename, locked: those with the old key and not the new */
	[Q_ATTR_PRODUCTS] = { "SELECT id FROM products WHERE category_id = ? AND JSON_CONTAINS_PATH(attributes, 'one', ?) "
			      "AND NOT JSON_CONTAINS_PATH(attributes, 'one', ?) ORDER BY id FOR UPDATE", 0 },
	[Q_ATTR_RENAME_P] = { "UPDATE products SET attributes = JSON_REMOVE(JSON_INSERT(attributes, ?, "
			      "JSON_VALUE(attributes, ?)), ?) WHERE category_id = ? AND JSON_CONTAINS_PATH(attributes, "
			      "'one', ?) AND NOT JSON_CONTAINS_PATH(attributes, 'one', ?)", 0 },
	[Q_ATTR_BOTH] = { "SELECT COUNT(*) FROM products WHERE category_id = ? AND JSON_CONTAINS_PATH(attributes, 'all', ?, ?)", 0 },
};

void category_admin_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	db_register(sql, Q_COUNT);
}

enum { C_ID, C_SLUG, C_NAME, C_PARENT, C_POS, C_PRODUCTS, C_CHILDREN, C_RETIRED };

static json_t *row_json(const struct db_res *r, size_t i)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:I, s:I, s:I, s:b}", "id", (json_int_t)db_int(r, i, C_ID),
			 "slug", db_cell(r, i, C_SLUG), "name", db_cell(r, i, C_NAME),
			 "parentId", db_int(r, i, C_PARENT) ? json_integer(db_int(r, i, C_PARENT)) : json_null(),
			 "position", (json_int_t)db_int(r, i, C_POS), "products", (json_int_t)db_int(r, i, C_PRODUCTS),
			 "children", (json_int_t)db_int(r, i, C_CHILDREN), "retired", (int)db_int(r, i, C_RETIRED));
}

enum err category_admin_json(struct db *db, struct arena *a, int64_t id, json_t **out)
{
	struct db_res *r = NULL;
	enum err e;

	*out = NULL;
	if ((e = db_exec(db, a, &sql[Q_ONE], &r, "i", id)))
		return e;
	if (!r || !r->nrows)
		return E_NOTFOUND;
	return (*out = row_json(r, 0)) ? E_OK : E_NOMEM;
}

enum err category_admin_list(struct db *db, struct arena *a, json_t **out)
{
	struct db_res *r = NULL;
	enum err e;

	*out = NULL;
	if ((e = db_exec(db, a, &sql[Q_ALL], &r, "")))
		return e;
	if (!(*out = json_array()))
		return E_NOMEM;
	for (size_t i = 0; r && i < r->nrows; i++)
		json_array_append_new(*out, row_json(r, i));
	return E_OK;
}

static enum err refuse(struct category_why *why, enum err e, const char *field, const char *msg)
{
	why->field = field;
	why->msg = msg;
	return e;
}

static enum err changed(struct db *db, struct arena *a, int64_t id, const char *what)
{
	return event_emit(db, a, EV_CATEGORY_CHANGED, id, json_pack("{s:I, s:s}", "id", (json_int_t)id, "change", what));
}

/* ProductUpdated for every product under category id (the search index
 * files a product under its category and that one's parent). */
static enum err products_changed(struct db *db, struct arena *a, int64_t id)
{
	struct db_res *r = NULL;
	int64_t *ids;
	json_t **pl;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_TREE_PRODUCTS], &r, "ii", id, id)))
		return e;
	if (!r || !r->nrows)
		return E_OK;
	ids = arena_calloc(a, r->nrows, sizeof(*ids));
	pl = arena_calloc(a, r->nrows, sizeof(*pl));
	if (!ids || !pl)
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		ids[i] = db_int(r, i, 0);
		pl[i] = json_pack("{s:I, s:s}", "id", (json_int_t)ids[i], "change", "category");
	}
	return event_emit_many(db, a, EV_PRODUCT_UPDATED, r->nrows, ids, pl);
}

static int name_ok(const char *name)
{
	long n = text_chars(name, 0);

	return n >= 1 && n <= 100 && name[strspn(name, " ")];
}

static int slug_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 2 || n > 64 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* "Garden & Outdoor" -> "garden-outdoor": ASCII letters and digits, the
 * rest one hyphen; "" when nothing is left. */
static char *slug_from(struct arena *a, const char *name)
{
	size_t n = strlen(name), k = 0;
	char *s = arena_alloc(a, n + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n && k < 64; i++) {
		char c = name[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			s[k++] = c;
		else if (k && s[k - 1] != '-')
			s[k++] = '-';
	}
	while (k && s[k - 1] == '-')
		k--;
	s[k] = '\0';
	return s;
}

/* The parent a category may have: 0, or a live top category. */
static enum err parent_check(struct db *db, struct arena *a, int64_t parent_id, struct category_why *why)
{
	struct db_res *r = NULL;
	enum err e;

	if (!parent_id)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_LOCK], &r, "i", parent_id)))
		return e;
	if (!r || !r->nrows)
		return refuse(why, E_INVAL, "parentId", "There is no such parent category.");
	if (db_int(r, 0, C_RETIRED))
		return refuse(why, E_INVAL, "parentId", "That parent category is retired.");
	if (db_int(r, 0, C_PARENT))
		return refuse(why, E_INVAL, "parentId",
			      "Categories are two levels deep: the parent must be a top category.");
	return E_OK;
}

enum err category_admin_create(struct db *db, struct arena *a, const char *name, const char *slug, int64_t parent_id,
			       int64_t *id, struct category_why *why)
{
	struct db_res *r = NULL;
	enum err e;

	*id = 0;
	if (!name || !name_ok(name))
		return refuse(why, E_INVAL, "name", "A name is 1 to 100 characters.");
	if (!slug || !*slug)
		slug = slug_from(a, name);
	if (!slug)
		return E_NOMEM;
	if (!slug_ok(slug))
		return refuse(why, E_INVAL, "slug",
			      "A slug is 2 to 64 lower-case letters, digits and hyphens (it is the category's URL).");
	if ((e = parent_check(db, a, parent_id, why)))
		return e;
	if ((e = db_exec(db, a, &sql[Q_SLUG_TAKEN], &r, "s", slug)))
		return e;
	if (r && r->nrows)
		return refuse(why, E_CONFLICT, "slug", "Another category has that slug.");
	if ((e = db_exec(db, a, &sql[Q_NEXT_POS], &r, "i", parent_id)))
		return e;
	e = db_exec(db, a, &sql[Q_INSERT], NULL, "issi", parent_id, slug, name, db_int(r, 0, 0));
	if (e == E_CONFLICT)
		return refuse(why, E_CONFLICT, "slug", "Another category has that slug.");
	if (e)
		return e;
	*id = (int64_t)db_insert_id(db);
	return changed(db, a, *id, "created");
}

/* The category, locked; refuses a missing or retired one. */
static enum err lock_live(struct db *db, struct arena *a, int64_t id, struct db_res **r, struct category_why *why)
{
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_LOCK], r, "i", id)))
		return e;
	if (!*r || !(*r)->nrows)
		return refuse(why, E_NOTFOUND, NULL, "There is no such category.");
	if (db_int(*r, 0, C_RETIRED))
		return refuse(why, E_CONFLICT, NULL, "That category is retired.");
	return E_OK;
}

enum err category_admin_rename(struct db *db, struct arena *a, int64_t id, const char *name, struct category_why *why)
{
	struct db_res *r = NULL;
	enum err e;

	if (!name || !name_ok(name))
		return refuse(why, E_INVAL, "name", "A name is 1 to 100 characters.");
	if ((e = lock_live(db, a, id, &r, why)))
		return e;
	if (!strcmp(db_cell(r, 0, C_NAME), name))
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_RENAME], NULL, "si", name, id)))
		return e;
	return changed(db, a, id, "renamed");
}

enum err category_admin_move(struct db *db, struct arena *a, int64_t id, int64_t parent_id, struct category_why *why)
{
	struct db_res *r = NULL, *p = NULL;
	enum err e;

	if ((e = lock_live(db, a, id, &r, why)))
		return e;
	if (db_int(r, 0, C_PARENT) == parent_id)
		return E_OK;
	if (parent_id == id)
		return refuse(why, E_INVAL, "parentId", "A category cannot be its own parent.");
	if (parent_id && db_int(r, 0, C_CHILDREN))
		return refuse(why, E_INVAL, "parentId",
			      "This category has subcategories: categories are two levels deep, so it stays at the top.");
	if ((e = parent_check(db, a, parent_id, why)))
		return e;
	if ((e = db_exec(db, a, &sql[Q_NEXT_POS], &p, "i", parent_id)) ||
	    (e = db_exec(db, a, &sql[Q_MOVE], NULL, "iii", parent_id, db_int(p, 0, 0), id)))
		return e;
	if ((e = changed(db, a, id, "moved")))
		return e;
	return products_changed(db, a, id);
}

enum err category_admin_reorder(struct db *db, struct arena *a, int64_t id, int64_t position, struct category_why *why)
{
	struct db_res *r = NULL, *s = NULL;
	size_t at = 0, k = 0;
	enum err e;

	if ((e = lock_live(db, a, id, &r, why)))
		return e;
	if ((e = db_exec(db, a, &sql[Q_SIBLINGS], &s, "i", db_int(r, 0, C_PARENT))))
		return e;
	if (position < 0)
		position = 0;
	if (s && position >= (int64_t)s->nrows)
		position = s->nrows ? (int64_t)s->nrows - 1 : 0;
	/* Renumbered 10, 20, ...: the moved one at its place, the others in
	 * their order around it. */
	for (size_t i = 0; s && i < s->nrows; i++) {
		int64_t sid = db_int(s, i, 0);

		if (sid == id)
			continue;
		if ((int64_t)k == position)
			k++;
		if ((e = db_exec(db, a, &sql[Q_SET_POS], NULL, "ii", (int64_t)(k + 1) * 10, sid)))
			return e;
		k++;
	}
	at = (size_t)position;
	if ((e = db_exec(db, a, &sql[Q_SET_POS], NULL, "ii", (int64_t)(at + 1) * 10, id)))
		return e;
	return changed(db, a, id, "reordered");
}

enum err category_admin_move_products(struct db *db, struct arena *a, int64_t id, int64_t to, int64_t *moved,
				      struct category_why *why)
{
	struct db_res *r = NULL, *t = NULL, *p = NULL;
	int64_t *ids;
	json_t **pl;
	enum err e;

	*moved = 0;
	if ((e = db_exec(db, a, &sql[Q_LOCK], &r, "i", id)))
		return e;
	if (!r || !r->nrows)
		return refuse(why, E_NOTFOUND, NULL, "There is no such category.");
	if (to == id)
		return refuse(why, E_INVAL, "moveTo", "Products must move to another category.");
	if ((e = db_exec(db, a, &sql[Q_LOCK], &t, "i", to)))
		return e;
	if (!t || !t->nrows)
		return refuse(why, E_INVAL, "moveTo", "There is no such category to move the products to.");
	if (db_int(t, 0, C_RETIRED))
		return refuse(why, E_INVAL, "moveTo", "The products cannot move to a retired category.");
	if ((e = db_exec(db, a, &sql[Q_PRODUCTS_IN], &p, "i", id)))
		return e;
	if (!p || !p->nrows)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_PRODUCTS_MOVE], NULL, "ii", to, id)))
		return e;
	*moved = (int64_t)p->nrows;
	ids = arena_calloc(a, p->nrows, sizeof(*ids));
	pl = arena_calloc(a, p->nrows, sizeof(*pl));
	if (!ids || !pl)
		return E_NOMEM;
	for (size_t i = 0; i < p->nrows; i++) {
		ids[i] = db_int(p, i, 0);
		pl[i] = json_pack("{s:I, s:s}", "id", (json_int_t)ids[i], "change", "category");
	}
	if ((e = event_emit_many(db, a, EV_PRODUCT_UPDATED, p->nrows, ids, pl)))
		return e;
	if ((e = changed(db, a, id, "products moved out")))
		return e;
	return changed(db, a, to, "products moved in");
}

enum err category_admin_retire(struct db *db, struct arena *a, int64_t id, int64_t move_to, int64_t *moved,
			       struct category_why *why)
{
	struct db_res *r = NULL;
	enum err e;

	*moved = 0;
	if ((e = lock_live(db, a, id, &r, why)))
		return e;
	if (db_int(r, 0, C_CHILDREN))
		return refuse(why, E_CONFLICT, NULL,
			      "This category has subcategories: move or retire them first.");
	if (move_to && (e = category_admin_move_products(db, a, id, move_to, moved, why)))
		return e;
	if ((e = db_exec(db, a, &sql[Q_LOCK], &r, "i", id)))
		return e;
	if (db_int(r, 0, C_PRODUCTS))
		return refuse(why, E_CONFLICT, "moveTo",
			      arena_printf(a, "This category still has %lld products: choose a category to move them "
					   "to first.", (long long)db_int(r, 0, C_PRODUCTS)));
	if ((e = db_exec(db, a, &sql[Q_RETIRE], NULL, "i", id)))
		return e;
	return changed(db, a, id, "retired");
}

/* ---- attributes ---- */

static int attr_name_ok(const char *s)
{
	long n = s ? text_chars(s, 0) : -1;

	return n >= 1 && n <= 40 && s[strspn(s, " ")] && !strpbrk(s, "\"\\");
}

/* '$."name"': the JSON path of a key (names carry no quote or backslash). */
static const char *attr_path(struct arena *a, const char *name)
{
	return arena_printf(a, "$.\"%s\"", name);
}

enum err category_attr_list(struct db *db, struct arena *a, int64_t id, json_t **out)
{
	struct db_res *r = NULL;
	enum err e;

	*out = NULL;
	if ((e = db_exec(db, a, &sql[Q_ONE], &r, "i", id)))
		return e;
	if (!r || !r->nrows)
		return E_NOTFOUND;
	if ((e = db_exec(db, a, &sql[Q_ATTRS], &r, "i", id)))
		return e;
	*out = json_array();
	for (size_t i = 0; r && i < r->nrows; i++) {
		json_t *ch = json_loads(db_cell(r, i, 2), JSON_DECODE_ANY, NULL);

		json_array_append_new(*out, json_pack("{s:s, s:s, s:o, s:b, s:I, s:I}", "name", db_cell(r, i, 0),
			"kind", db_cell(r, i, 1), "choices", ch ? ch : json_null(), "required", (int)db_int(r, i, 3),
			"position", (json_int_t)db_int(r, i, 4), "products", (json_int_t)db_int(r, i, 5)));
	}
	return E_OK;
}

enum err category_attr_add(struct db *db, struct arena *a, int64_t id, const char *name, const char *kind,
			   const char *choices, int required, struct category_why *why)
{
	struct db_res *r = NULL;
	const char *slug;
	enum err e;

	if (!attr_name_ok(name))
		return refuse(why, E_INVAL, "name", "An attribute is 1 to 40 characters on one line, without \" or \\.");
	if (!kind || (strcmp(kind, "text") && strcmp(kind, "number") && strcmp(kind, "choice")))
		return refuse(why, E_INVAL, "kind", "kind is \"text\", \"number\" or \"choice\".");
	if (!strcmp(kind, "choice") != (choices != NULL))
		return refuse(why, E_INVAL, "choices", "A choice has its choices (a list of texts); the other kinds none.");
	if ((e = lock_live(db, a, id, &r, why)))
		return e;
	slug = db_cell(r, 0, C_SLUG);
	if ((e = db_exec(db, a, &sql[Q_ATTR_HAS], &r, "ss", slug, name)))
		return e;
	if (r && r->nrows)
		return refuse(why, E_CONFLICT, "name", "The category has that attribute already.");
	if ((e = db_exec(db, a, &sql[Q_ATTR_ADD], NULL, "ssssis", slug, name, kind, choices, (int64_t)(required != 0),
			 slug)))
		return e;
	return changed(db, a, id, "attribute added");
}

enum err category_attr_rename(struct db *db, struct arena *a, int64_t id, const char *from, const char *to,
			      int64_t *renamed, int64_t *skipped, struct category_why *why)
{
	const char *pf, *pt, *slug;
	struct db_res *r = NULL, *p = NULL;
	int64_t *ids;
	json_t **pl;
	enum err e;

	*renamed = *skipped = 0;
	if (!attr_name_ok(from))
		return refuse(why, E_INVAL, "from", "The attribute to rename.");
	if (!attr_name_ok(to))
		return refuse(why, E_INVAL, "to", "An attribute is 1 to 40 characters on one line, without \" or \\.");
	if (!strcmp(from, to))
		return E_OK;
	if ((e = lock_live(db, a, id, &r, why)))
		return e;
	slug = db_cell(r, 0, C_SLUG);
	if ((e = db_exec(db, a, &sql[Q_ATTR_HAS], &r, "ss", slug, to)))
		return e;
	if (r && r->nrows)
		return refuse(why, E_CONFLICT, "to", "The category has an attribute of that name already.");
	if ((e = db_exec(db, a, &sql[Q_ATTR_SET], NULL, "sss", to, slug, from)))
		return e;
	if (db_affected(db) == 0)
		return refuse(why, E_NOTFOUND, "from", "The category has no such attribute.");
	pf = attr_path(a, from);
	pt = attr_path(a, to);
	if ((e = db_exec(db, a, &sql[Q_ATTR_BOTH], &r, "iss", id, pf, pt)))
		return e;
	*skipped = db_int(r, 0, 0);
	if ((e = db_exec(db, a, &sql[Q_ATTR_PRODUCTS], &p, "iss", id, pf, pt)))
		return e;
	if (p && p->nrows) {
		if ((e = db_exec(db, a, &sql[Q_ATTR_RENAME_P], NULL, "sssiss", pt, pf, pf, id, pf, pt)))
			return e;
		*renamed = (int64_t)p->nrows;
		ids = arena_calloc(a, p->nrows, sizeof(*ids));
		pl = arena_calloc(a, p->nrows, sizeof(*pl));
		if (!ids || !pl)
			return E_NOMEM;
		for (size_t i = 0; i < p->nrows; i++) {
			ids[i] = db_int(p, i, 0);
			pl[i] = json_pack("{s:I, s:s}", "id", (json_int_t)ids[i], "change", "attributes");
		}
		if ((e = event_emit_many(db, a, EV_PRODUCT_UPDATED, p->nrows, ids, pl)))
			return e;
	}
	return changed(db, a, id, "attribute renamed");
}

enum err category_attr_remove(struct db *db, struct arena *a, int64_t id, const char *name, struct category_why *why)
{
	struct db_res *r = NULL;
	enum err e;

	if (!attr_name_ok(name))
		return refuse(why, E_INVAL, "name", "The attribute to take off the list.");
	if ((e = lock_live(db, a, id, &r, why)))
		return e;
	if ((e = db_exec(db, a, &sql[Q_ATTR_DEL], NULL, "ss", db_cell(r, 0, C_SLUG), name)))
		return e;
	if (db_affected(db) == 0)
		return refuse(why, E_NOTFOUND, "name", "The category has no such attribute.");
	return changed(db, a, id, "attribute removed");
}
