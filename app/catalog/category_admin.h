/* The category tree's writers (issue 19): an admin creates, renames,
 * moves, reorders and retires categories (pages: app/console). Each
 * function runs inside the caller's transaction (the console writes its
 * audit row in the same one), locks what it changes, emits
 * CategoryChanged (the workers' category copies, the page caches) and,
 * for every product whose place in the tree changes, ProductUpdated (the
 * search index). On a refusal (E_INVAL, E_CONFLICT, E_NOTFOUND) *why says
 * what to fix, naming the field in *field when one is at fault.
 *
 * Rules: names 1..100 characters; slugs [a-z0-9-] 2..64, unique (made
 * from the name when not given); the tree is at most two levels deep (a
 * top category and its children, as the storefront's navigation draws
 * it); a retired category cannot be a parent or a target; a category is
 * retired only when no product and no live child is left in it: its
 * products move first (category_retire's move_to does both at once). */
#ifndef CATALOG_CATEGORY_ADMIN_H
#define CATALOG_CATEGORY_ADMIN_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;
struct db;

void category_admin_init(void);

/* What a refusal is about. */
struct category_why {
	const char *field;	/* "name", "slug", "parentId", "moveTo", ... or NULL */
	const char *msg;
};

/* The row as JSON (id, slug, name, parentId, position, products,
 * children, retired), for the API and the audit's before/after; NULL
 * with E_NOTFOUND when there is no such category. */
enum err category_admin_json(struct db *db, struct arena *a, int64_t id, json_t **out);
/* Every category (retired ones too), tree order: top ones by position,
 * each followed by its children. */
enum err category_admin_list(struct db *db, struct arena *a, json_t **out);

enum err category_admin_create(struct db *db, struct arena *a, const char *name, const char *slug, int64_t parent_id,
			       int64_t *id, struct category_why *why);
enum err category_admin_rename(struct db *db, struct arena *a, int64_t id, const char *name, struct category_why *why);
/* parent_id 0: a top category. */
enum err category_admin_move(struct db *db, struct arena *a, int64_t id, int64_t parent_id, struct category_why *why);
/* A new position among its siblings (0-based: 0 first); the others shift. */
enum err category_admin_reorder(struct db *db, struct arena *a, int64_t id, int64_t position, struct category_why *why);
/* Moves every product of the category to `to` (0: none to move); *moved
 * gets how many. */
enum err category_admin_move_products(struct db *db, struct arena *a, int64_t id, int64_t to, int64_t *moved,
				      struct category_why *why);
/* move_to 0: refused while products are left. */
enum err category_admin_retire(struct db *db, struct arena *a, int64_t id, int64_t move_to, int64_t *moved,
			       struct category_why *why);

/* ---- a category's attributes: the fields of the seller's item form for
 * its products (schema.sql's category_attributes, keyed by the category's
 * slug, which never changes) and the keys of products.attributes ---- */

/* The list in order: {"name", "kind", "choices", "required", "position",
 * "products"} (products: how many of the category carry it). */
enum err category_attr_list(struct db *db, struct arena *a, int64_t id, json_t **out);
/* Adds name at the end: kind "text", "number" or "choice" (choices: the
 * JSON array text, NULL for the other kinds). Names: 1..40 characters, one
 * line, without '"' or '\\'. */
enum err category_attr_add(struct db *db, struct arena *a, int64_t id, const char *name, const char *kind,
			   const char *choices, int required, struct category_why *why);
/* Renames from to `to` in the list and in every product of the category
 * (a product that has both keys keeps both: *skipped counts them); each
 * renamed product is announced (ProductUpdated). *renamed: products
 * changed. */
enum err category_attr_rename(struct db *db, struct arena *a, int64_t id, const char *from, const char *to,
			      int64_t *renamed, int64_t *skipped, struct category_why *why);
/* Takes name off the list: the form stops offering it; products keep
 * their values. */
enum err category_attr_remove(struct db *db, struct arena *a, int64_t id, const char *name, struct category_why *why);

#endif
