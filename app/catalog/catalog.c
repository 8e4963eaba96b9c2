/* The catalog's domain (catalog.h): categories, listings, product rows and
 * the product read model. Listings use keyset pagination (never OFFSET).
 * Categories are small and read on every page (navigation), so each worker
 * keeps them in memory for CAT_TTL seconds. The pages and the API are in
 * catalog_pages.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/log.h"
#include "../store/db.h"
#include "catalog.h"
#include "pcache.h"
#include "category_admin.h"

#define CAT_TTL 5		/* seconds a worker trusts its category cache */

/* Columns of a product card; the PC_* indexes (catalog.h) follow this order. */
#define CARD_COLS \
	"p.id, p.slug, p.title, p.brand, p.price, p.currency, p.rating_x100, " \
	"p.review_count, p.stock_total, p.created_at, p.rank_score, c.slug, " \
	"JSON_VALUE(p.sku_digest, '$[0][0]'), "	/* first active SKU, from the read model */ \
	"p.thumbnail"
/* A listing query reads one category's products in the order of one of
 * the (category_id, status, <sort>, id) indexes, without a sort; a
 * department's page merges the pages of its categories (list_page). No
 * listing joins sellers: that join made MariaDB drive the plan from the
 * sellers table and sort every product, so suspending a seller (seller
 * admin) takes their products out through products.status instead. The
 * category id is bound twice ("? > 0" is a constant the optimizer drops), as
 * the queries were once shared with a department form. */
#define LIST_SELECT "SELECT " CARD_COLS " FROM products p JOIN categories c ON c.id = p.category_id WHERE "
#define LIST_FILTERS "AND p.status = 'active' AND (? IS NULL OR p.brand = ?) AND p.price BETWEEN ? AND ? AND "
#define LEAF "p.category_id = ? AND ? > 0 "
#define BY_RELEVANCE "(p.rank_score < ? OR (p.rank_score = ? AND p.id < ?)) ORDER BY p.rank_score DESC, p.id DESC LIMIT ?"
#define BY_PRICE_ASC "(p.price > ? OR (p.price = ? AND p.id > ?)) ORDER BY p.price, p.id LIMIT ?"
#define BY_PRICE_DESC "(p.price < ? OR (p.price = ? AND p.id < ?)) ORDER BY p.price DESC, p.id DESC LIMIT ?"
#define BY_RATING "(p.rating_x100 < ? OR (p.rating_x100 = ? AND p.id < ?)) ORDER BY p.rating_x100 DESC, p.id DESC LIMIT ?"
#define BY_NEWEST "(p.created_at < ? OR (p.created_at = ? AND p.id < ?)) ORDER BY p.created_at DESC, p.id DESC LIMIT ?"

/* A product page is one query: the product row carries its read model
 * (sku_digest, review_digest; see schema.sql), kept current by
 * catalog_refresh_digest() in every transaction that changes SKUs, stock or
 * reviews. Three queries per page (product, SKUs with stock, reviews) held
 * the page to 0.15 of the FastCGI ceiling, MariaDB doing half the work. */
#define PRODUCT_COLS \
	"p.id, p.slug, p.title, p.brand, p.price, p.currency, p.rating_x100, " \
	"p.review_count, p.stock_total, p.created_at, p.rank_score, c.slug, " \
	"p.description, p.attributes, p.images, p.thumbnail, p.category_id, " \
	"p.sku_digest, p.review_digest"	/* PP_* (catalog.h) */

/* Sort orders, in the order v_sort numbers them. */
#define S_PRICE_ASC CATALOG_SORT_PRICE_ASC
#define S_NEWEST CATALOG_SORT_NEWEST
#define S_COUNT CATALOG_SORT_COUNT
static const int sort_col[S_COUNT] = { PC_RANK, PC_PRICE, PC_PRICE, PC_RATING, PC_CREATED };

enum {
	Q_CATS, Q_LIST_RELEVANCE, Q_LIST_PRICE_ASC, Q_LIST_PRICE_DESC, Q_LIST_RATING,
	Q_LIST_NEWEST, Q_BRANDS, Q_TOP_RATED, Q_NEWEST, Q_PRODUCT_BY_SLUG,
	Q_PRODUCT_BY_ID, Q_SKU_DIGEST, Q_STOCK_READ_MANY, Q_STOCK_WRITE_MANY, Q_STOCK_ROWS, Q_STOCK_WRITE, Q_REVIEW_DIGEST, Q_SITEMAP, Q_COUNTS_NOW, Q_COUNTS_KEPT,
	Q_COUNT_SET, Q_COUNT
};

static struct db_sql sql[Q_COUNT] = {
	/* product_count is kept by catalog_refresh_counts() (shopd jobs):
	 * counting here cost a scan of every product's index entry, 0.2 s at
	 * a million products, every CAT_TTL in every worker. */
	/* issue 19: a retired category has left the storefront */
	[Q_CATS] = { "SELECT c.id, c.parent_id, c.slug, c.name, c.product_count "
		     "FROM categories c WHERE c.retired_at IS NULL ORDER BY c.position, c.name", 0 },
	/* A consistent (non-locking) read: a locking one would hold shared
	 * locks on every product and stall writers. One index range per
	 * category, read from the index alone: a GROUP BY over products was
	 * planned through ix_products_rating and read every row (75 s at a
	 * million products, against 0.2 s). */
	[Q_COUNTS_NOW] = { "SELECT c.id, (SELECT COUNT(*) FROM products p "
			   "WHERE p.category_id = c.id AND p.status = 'active') FROM categories c", 0 },
	[Q_COUNTS_KEPT] = { "SELECT id, product_count FROM categories", 0 },
	[Q_COUNT_SET] = { "UPDATE categories SET product_count = ? WHERE id = ?", 0 },
	[Q_LIST_RELEVANCE] = { LIST_SELECT LEAF LIST_FILTERS BY_RELEVANCE, 0 },
	[Q_LIST_PRICE_ASC] = { LIST_SELECT LEAF LIST_FILTERS BY_PRICE_ASC, 0 },
	[Q_LIST_PRICE_DESC] = { LIST_SELECT LEAF LIST_FILTERS BY_PRICE_DESC, 0 },
	[Q_LIST_RATING] = { LIST_SELECT LEAF LIST_FILTERS BY_RATING, 0 },
	[Q_LIST_NEWEST] = { LIST_SELECT LEAF LIST_FILTERS BY_NEWEST, 0 },
	/* From the index alone (migrations/002): left to itself the planner
	 * may take another (category_id, status, ...) index and read every
	 * row of the category, 2.5 s for 41,000 products against 30 ms. */
	[Q_BRANDS] = { "SELECT p.brand, COUNT(*) FROM products p FORCE INDEX (ix_products_cat_brand) "
		       "WHERE p.category_id IN (SELECT id FROM categories WHERE id = ? OR parent_id = ?) "
		       "AND p.status = 'active' AND p.brand IS NOT NULL "
		       "GROUP BY p.brand ORDER BY COUNT(*) DESC, p.brand LIMIT 40", 0 },
	[Q_TOP_RATED] = { "SELECT " CARD_COLS " FROM products p JOIN categories c ON c.id = p.category_id "
			  "WHERE p.status = 'active' ORDER BY p.rating_x100 DESC, p.id DESC LIMIT ?", 0 },
	[Q_NEWEST] = { "SELECT " CARD_COLS " FROM products p JOIN categories c ON c.id = p.category_id "
		       "WHERE p.status = 'active' ORDER BY p.created_at DESC, p.id DESC LIMIT ?", 0 },
	[Q_PRODUCT_BY_SLUG] = { "SELECT " PRODUCT_COLS " FROM products p JOIN categories c ON c.id = p.category_id "
				"WHERE p.slug = ? AND p.status = 'active'", 0 },
	[Q_PRODUCT_BY_ID] = { "SELECT " PRODUCT_COLS " FROM products p JOIN categories c ON c.id = p.category_id "
			          "WHERE p.id = ? AND p.status = 'active'", 0 },
	/* The read model, computed by the database from the rows it summarises. */
	/* stock_total is the same sum as the digest's, over active SKUs:
	 * one definition, kept here, so listings and the product page agree. */
#define SKU_DIGEST_OF(P) "COALESCE((SELECT JSON_ARRAYAGG(JSON_ARRAY(" \
	"s.code, s.price, s.currency, s.weight_grams, " \
	"(SELECT COALESCE(SUM(i.available), 0) FROM inventory i WHERE i.sku_id = s.id), " \
	"JSON_EXTRACT(s.options, '$')) ORDER BY s.position, s.id) " \
	"FROM skus s WHERE s.product_id = " P " AND s.status = 'active'), JSON_ARRAY())"
#define STOCK_TOTAL_OF(P) "COALESCE((SELECT SUM(i.available) FROM inventory i JOIN skus s " \
	"ON s.id = i.sku_id WHERE s.product_id = " P " AND s.status = 'active'), 0)"
	[Q_SKU_DIGEST] = { "UPDATE products p SET sku_digest = " SKU_DIGEST_OF("p.id") ", "
			   "stock_total = " STOCK_TOTAL_OF("p.id") " WHERE p.id = ?", 0 },
	/* A batch of products in two statements: a plain read (it locks no
	 * inventory row, where the UPDATE above takes shared locks that a
	 * follower must not hold against checkouts), then one write. The
	 * aggregate's text makes MariaDB build an on-disk temporary table per
	 * statement, not per product. */
	[Q_STOCK_READ_MANY] = { "SELECT p.id, " SKU_DIGEST_OF("p.id") ", " STOCK_TOTAL_OF("p.id") ", "
				"DATE_FORMAT(p.updated_at, '%Y-%m-%d %H:%i:%s.%f') FROM products p "
				"JOIN JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j ON j.id = p.id "
				"ORDER BY p.id", 0 },
	/* Only rows nobody wrote since the read (updated_at as read): a
	 * seller's edit that refreshed the model meanwhile read newer rows,
	 * and its event brings this product round again anyway. */
	[Q_STOCK_WRITE_MANY] = { "UPDATE products p JOIN JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$.i', "
				 "d JSON PATH '$.d', t BIGINT PATH '$.t', u VARCHAR(32) PATH '$.u')) j "
				 "ON j.id = p.id AND p.updated_at = j.u SET p.sku_digest = j.d, p.stock_total = j.t", 0 },
	/* catalog_refresh_stock_after: the digest's rows, plain (no locks, no
	 * aggregate: the digest is built in C), with the row's updated_at. */
	/* (columns: enum sr_col) */
	[Q_STOCK_ROWS] = { "SELECT DATE_FORMAT(p.updated_at, '%Y-%m-%d %H:%i:%s.%f'), s.code, s.price, s.currency, "
			   "s.weight_grams, (SELECT COALESCE(SUM(i.available), 0) FROM inventory i WHERE i.sku_id = s.id), "
			   "s.options, s.position, s.id FROM products p "
			   "LEFT JOIN skus s ON s.product_id = p.id AND s.status = 'active' WHERE p.id = ?", 0 },
	[Q_STOCK_WRITE] = { "UPDATE products SET sku_digest = ?, stock_total = ? WHERE id = ? AND updated_at = ?", 0 },
	[Q_REVIEW_DIGEST] = { "UPDATE products p SET review_digest = JSON_OBJECT("
			      "'dist', (SELECT JSON_ARRAY(COUNT(IF(r.rating = 1, 1, NULL)), COUNT(IF(r.rating = 2, 1, NULL)), "
			      "COUNT(IF(r.rating = 3, 1, NULL)), COUNT(IF(r.rating = 4, 1, NULL)), COUNT(IF(r.rating = 5, 1, NULL))) "
			      "FROM reviews r WHERE r.product_id = p.id AND r.status = 'published'), "	/* issue 17 */
			      "'recent', COALESCE((SELECT JSON_ARRAYAGG(JSON_ARRAY(r.rating, DATE_FORMAT(r.created_at, '%Y-%m-%d'), "
			      "r.reviewer_name, r.comment) ORDER BY r.created_at DESC, r.id DESC LIMIT 20) "	/* REVIEWS_SHOWN */
			      "FROM reviews r WHERE r.product_id = p.id AND r.status = 'published'), JSON_ARRAY())) "
			      "WHERE p.id = ?", 0 },
	[Q_SITEMAP] = { "SELECT p.slug, DATE_FORMAT(p.updated_at, '%Y-%m-%d') FROM products p "
			"WHERE p.status = 'active' ORDER BY p.id LIMIT ?", 0 },
};

void catalog_init(void)
{
	db_register(sql, Q_COUNT);
	category_admin_init();	/* issue 19: the tree's writers */
}

/* ---- categories (worker cache) ---- */

static struct {
	struct catalog_cat *v;
	size_t n;
	time_t loaded;
	unsigned gen;
	uint64_t tree;		/* issue 19: pcache_cats_gen() at the load */
} cats;

static void cats_clear(void)
{
	for (size_t i = 0; i < cats.n; i++) {
		free(cats.v[i].slug);
		free(cats.v[i].name);
	}
	free(cats.v);
	cats.v = NULL;
	cats.n = 0;
}

enum err catalog_categories_load(struct db *db, struct arena *a)
{
	struct db_res *r = NULL;
	struct catalog_cat *v;
	time_t now = time(NULL);
	enum err e;
	size_t i, j;

	uint64_t tree = pcache_cats_gen();

	/* issue 19: an admin's change to the tree is seen at once */
	if (cats.v && now - cats.loaded < CAT_TTL && cats.tree == tree)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_CATS], &r, "")))
		return cats.v ? E_OK : e;	/* stale beats nothing during an outage */
	v = calloc(r->nrows + 1, sizeof(*v));
	if (!v)
		return E_NOMEM;
	for (i = 0; i < r->nrows; i++) {
		v[i].id = (long)db_int(r, i, 0);
		v[i].parent = (long)db_int(r, i, 1);
		v[i].slug = strdup(db_cell(r, i, 2));
		v[i].name = strdup(db_cell(r, i, 3));
		v[i].own = v[i].total = (long)db_int(r, i, 4);
	}
	for (i = 0; i < r->nrows; i++)
		for (j = 0; j < r->nrows; j++)
			if (v[j].parent == v[i].id)
				v[i].total += v[j].own;
	cats_clear();
	cats.v = v;
	cats.n = r->nrows;
	cats.loaded = now;
	cats.tree = tree;
	cats.gen++;
	return E_OK;
}

const struct catalog_categories *catalog_categories(void)
{
	static struct catalog_categories view;

	view.v = cats.v;
	view.n = cats.n;
	view.gen = cats.gen;
	return &view;
}

const struct catalog_cat *catalog_category_by_slug(const char *slug)
{
	for (size_t i = 0; i < cats.n; i++)
		if (!strcmp(cats.v[i].slug, slug))
			return &cats.v[i];
	return NULL;
}

const struct catalog_cat *catalog_category_by_id(long id)
{
	for (size_t i = 0; i < cats.n; i++)
		if (cats.v[i].id == id)
			return &cats.v[i];
	return NULL;
}

/* ---- images ---- */

const char *catalog_image(struct arena *a, const char *title, const char *thumbnail)
{
	/* A seller's photo (app/seller/images.c) is ours to show; the demo
	 * data's remote URLs are not (the CSP allows same-origin images). */
	if (thumbnail && !strncmp(thumbnail, "/media/", 7))
		return thumbnail;
	return arena_printf(a, "/img/ph/%s.svg", catalog_initials(a, title));
}

const char *catalog_image_in(struct arena *a, const char *category_slug, const char *thumbnail)
{
	size_t n = category_slug ? strlen(category_slug) : 0;

	if (thumbnail && !strncmp(thumbnail, "/media/", 7))
		return thumbnail;
	if (!n || n > 60 || strspn(category_slug, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return "/img/ph/X.svg";
	return arena_printf(a, "/img/ph/c-%s.svg", category_slug);
}

const char *catalog_initials(struct arena *a, const char *title)
{
	char out[3] = "";
	int n = 0, start = 1;

	for (const char *s = title; *s && n < 2; s++) {
		int alnum = (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9');

		if (alnum && start)
			out[n++] = (*s >= 'a' && *s <= 'z') ? (char)(*s - 32) : *s;
		start = !alnum && *s != '\'';
	}
	if (!n)
		out[n++] = 'X';
	out[n] = '\0';
	return arena_strdup(a, out);
}

/* ---- listings ---- */

/* The categories of one department a listing reads (its own products are
 * one more part). */
#define CAT_PARTS 64

/* Whether row i of a comes before row j of b in the listing's order. */
static int row_before(const struct db_res *a, size_t i, const struct db_res *b, size_t j, int sort)
{
	int col = sort_col[sort], asc = sort == S_PRICE_ASC, d;

	if (sort == S_NEWEST) {
		d = strcmp(db_cell(a, i, col), db_cell(b, j, col));
	} else {
		int64_t x = db_int(a, i, col), y = db_int(b, j, col);

		d = x < y ? -1 : x > y;
	}
	if (!d) {
		int64_t x = db_int(a, i, PC_ID), y = db_int(b, j, PC_ID);

		d = x < y ? -1 : x > y;
	}
	return asc ? d < 0 : d > 0;
}

/* The first max rows of n pages each already in the listing's order, as
 * one result (cells point into the parts; arena-owned). */
static struct db_res *merge_pages(struct arena *a, struct db_res **part, size_t n, int sort, size_t max)
{
	struct db_res *out = arena_alloc(a, sizeof(*out));
	size_t at[CAT_PARTS] = {0}, ncols = n ? part[0]->ncols : PC_NCOLS;

	if (!out || !(out->cells = arena_alloc(a, (max + 1) * ncols * sizeof(*out->cells))) ||
	    !(out->lens = arena_alloc(a, (max + 1) * ncols * sizeof(*out->lens))))
		return NULL;
	out->ncols = ncols;
	out->nrows = 0;
	while (out->nrows < max) {
		size_t best = n;

		for (size_t p = 0; p < n; p++)
			if (at[p] < part[p]->nrows &&
			    (best == n || row_before(part[p], at[p], part[best], at[best], sort)))
				best = p;
		if (best == n)
			break;
		memcpy(out->cells + out->nrows * ncols, part[best]->cells + at[best] * ncols,
		       ncols * sizeof(*out->cells));
		memcpy(out->lens + out->nrows * ncols, part[best]->lens + at[best] * ncols,
		       ncols * sizeof(*out->lens));
		at[best]++;
		out->nrows++;
	}
	return out;
}

int catalog_sort_column(int sort)
{
	return sort_col[sort >= 0 && sort < S_COUNT ? sort : 0];
}

void catalog_listing_first(struct catalog_listing *l)
{
	int asc = l->sort == S_PRICE_ASC;

	l->ikey = asc ? -1 : INT64_MAX;
	l->after_id = asc ? 0 : INT64_MAX;
	l->skey = l->sort == S_NEWEST ? "9999-12-31 23:59:59.999" : NULL;
}

enum err catalog_list(struct db *db, struct arena *a, const struct catalog_listing *l, struct db_res **out)
{
	const struct db_sql *q;
	char types[16];
	enum err e;

	/* A department's page is the merge of its categories' pages: one
	 * index-ordered read of at most size + 1 rows per category (and the
	 * department's own products), merged here. One query over all of them
	 * had to sort every product of the department (10 s for 166,000 at a
	 * million products); the keyset cursor works the same on each part. */
	q = &sql[Q_LIST_RELEVANCE + l->sort];
	snprintf(types, sizeof(types), "iissii%sii", l->sort == S_NEWEST ? "ss" : "ii");
	{
		struct db_res *part[CAT_PARTS];
		size_t nparts = 0;

		for (size_t i = 0; i <= cats.n && nparts < CAT_PARTS; i++) {
			const struct catalog_cat *k = i == cats.n ? l->cat : &cats.v[i];

			if (i < cats.n && k->parent != l->cat->id)
				continue;
			if (l->sort == S_NEWEST)
				e = db_exec(db, a, q, &part[nparts], types,
					    (int64_t)k->id, (int64_t)k->id, l->brand, l->brand,
					    l->min_price, l->max_price, l->skey, l->skey, l->after_id, l->size + 1);
			else
				e = db_exec(db, a, q, &part[nparts], types,
					    (int64_t)k->id, (int64_t)k->id, l->brand, l->brand,
					    l->min_price, l->max_price, l->ikey, l->ikey, l->after_id, l->size + 1);
			if (e)
				return e;
			nparts++;
		}
		if (!(*out = merge_pages(a, part, nparts, l->sort, (size_t)l->size + 1)))
			return E_NOMEM;
	}
	return E_OK;
}

enum err catalog_brands(struct db *db, struct arena *a, long category_id, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_BRANDS], out, "ii", (int64_t)category_id, (int64_t)category_id);
}

enum err catalog_top_rated(struct db *db, struct arena *a, int64_t n, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_TOP_RATED], out, "i", n);
}

enum err catalog_newest(struct db *db, struct arena *a, int64_t n, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_NEWEST], out, "i", n);
}

/* ---- product rows ---- */

/* The product row by slug or id: from this worker's read cache when it is
 * current (pcache.h), else one query whose row is then kept. */
static enum err product_row(struct db *db, struct arena *a, const struct db_sql *q, const char *key, const char *slug,
			    int64_t id, struct db_res **out)
{
	const struct db_res *hit = pcache_get(key);
	uint64_t token;
	enum err e;

	if (hit) {
		*out = (struct db_res *)hit;	/* read only, valid for this request */
		return E_OK;
	}
	token = pcache_begin();
	e = slug ? db_exec(db, a, q, out, "s", slug) : db_exec(db, a, q, out, "i", id);
	/* A replica's row may predate the change that dropped the cached one
	 * (READ REPLICAS, issue 20): kept only when no change landed within
	 * the replica's lag bound. */
	if (e == E_OK && (*out)->nrows == 1 && (!db_is_replica(db) || pcache_quiet_for(db_replica_stale_ms())))
		pcache_put(key, db_int(*out, 0, PC_ID), *out, token);
	return e;
}

enum err catalog_product_by_slug(struct db *db, struct arena *a, const char *slug, struct db_res **out)
{
	return product_row(db, a, &sql[Q_PRODUCT_BY_SLUG], arena_printf(a, "s:%s", slug), slug, 0, out);
}

enum err catalog_product_by_id(struct db *db, struct arena *a, int64_t id, struct db_res **out)
{
	return product_row(db, a, &sql[Q_PRODUCT_BY_ID], arena_printf(a, "i:%lld", (long long)id), NULL, id, out);
}

enum err catalog_sitemap(struct db *db, struct arena *a, int64_t max, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_SITEMAP], out, "i", max);
}

/* Recounts the listed products of every category into
 * categories.product_count (what the navigation shows). Run by shopd jobs
 * every CATEGORY_COUNTS_MS and after imports; the count is a consistent
 * read, the updates touch only the categories whose count changed. */
enum err catalog_refresh_counts(struct db *db, struct arena *a)
{
	struct db_res *now = NULL, *kept = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_COUNTS_NOW], &now, "")) ||
	    (e = db_exec(db, a, &sql[Q_COUNTS_KEPT], &kept, "")))
		return e;
	for (size_t i = 0; i < now->nrows; i++)
		for (size_t k = 0; k < kept->nrows; k++)
			if (db_int(kept, k, 0) == db_int(now, i, 0) && db_int(kept, k, 1) != db_int(now, i, 1) &&
			    (e = db_exec(db, a, &sql[Q_COUNT_SET], NULL, "ii", db_int(now, i, 1), db_int(now, i, 0))))
				return e;
	return E_OK;
}

enum err catalog_refresh_stock(struct db *db, struct arena *a, int64_t product_id)
{
	return db_exec(db, a, &sql[Q_SKU_DIGEST], NULL, "i", product_id);
}

/* Q_STOCK_ROWS's columns. */
enum sr_col { SR_UPDATED, SR_CODE, SR_PRICE, SR_CUR, SR_WEIGHT, SR_AVAIL, SR_OPTS, SR_POS, SR_ID };

/* Whether row x comes before row y in the digest: by position, then id. */
static int sku_before(const struct db_res *r, size_t x, size_t y)
{
	int64_t px = db_int(r, x, SR_POS), py = db_int(r, y, SR_POS);

	return px < py || (px == py && db_int(r, x, SR_ID) < db_int(r, y, SR_ID));
}

enum err catalog_refresh_stock_after(struct db *db, struct arena *a, int64_t product_id)
{
	struct db_res *r = NULL;
	json_t *arr;
	int64_t total = 0;
	size_t *ord;
	char *text;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_STOCK_ROWS], &r, "i", product_id)) || !r->nrows)
		return e;
	/* The digest's order, (position, id), is made here: ORDER BY in the
	 * statement sorted rows carrying the options' JSON through an on-disk
	 * temporary table, one per order placed (a file created and deleted
	 * each time, most of what MariaDB's CPU spent in ext4). A product has
	 * a handful of SKUs: an insertion sort. */
	if (!(ord = arena_calloc(a, r->nrows, sizeof(*ord))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		size_t j = i;

		for (; j > 0 && sku_before(r, i, ord[j - 1]); j--)
			ord[j] = ord[j - 1];
		ord[j] = i;
	}
	if (!(arr = json_array()))
		return E_NOMEM;
	for (size_t k = 0; k < r->nrows; k++) {
		size_t i = ord[k];
		json_t *opts;

		if (!db_cell(r, i, SR_CODE))
			continue;	/* no active SKU: the LEFT JOIN's one empty row */
		opts = db_cell(r, i, SR_OPTS) ? json_loads(db_cell(r, i, SR_OPTS), JSON_DECODE_ANY, NULL) : NULL;
		json_array_append_new(arr, json_pack("[s, I, s?, I, I, o]", db_cell(r, i, SR_CODE),
			(json_int_t)db_int(r, i, SR_PRICE), db_cell(r, i, SR_CUR), (json_int_t)db_int(r, i, SR_WEIGHT),
			(json_int_t)db_int(r, i, SR_AVAIL), opts ? opts : json_null()));
		total += db_int(r, i, SR_AVAIL);
	}
	text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (!text)
		return E_NOMEM;
	e = db_exec(db, a, &sql[Q_STOCK_WRITE], NULL, "siis", text, total, product_id, db_cell(r, 0, SR_UPDATED));
	free(text);
	return e;
}

enum err catalog_refresh_stock_many(struct db *db, struct arena *a, const char *ids)
{
	struct db_res *r = NULL;
	struct buf b;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_STOCK_READ_MANY], &r, "s", ids)) || !r->nrows)
		return e;
	/* [{"i": id, "d": digest, "t": total}, ...]: the digest is MariaDB's
	 * own JSON text, passed through as it is. */
	buf_init(&b, a, 256 * r->nrows + 16);
	buf_putc(&b, '[');
	for (size_t i = 0; i < r->nrows; i++)
		buf_printf(&b, "%s{\"i\":%lld,\"d\":%s,\"t\":%lld,\"u\":\"%s\"}", i ? "," : "",
			   (long long)db_int(r, i, 0), db_cell(r, i, 1), (long long)db_int(r, i, 2), db_cell(r, i, 3));
	buf_putc(&b, ']');
	return db_exec(db, a, &sql[Q_STOCK_WRITE_MANY], NULL, "s", b.p);
}

enum err catalog_refresh_digest(struct db *db, struct arena *a, int64_t product_id)
{
	enum err e = db_exec(db, a, &sql[Q_SKU_DIGEST], NULL, "i", product_id);

	return e ? e : db_exec(db, a, &sql[Q_REVIEW_DIGEST], NULL, "i", product_id);
}
