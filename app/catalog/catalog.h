/* The catalog: categories, products, SKUs and their stock, reviews. This is
 * the domain: the queries and the product read model; the pages and API
 * endpoints that show them are in catalog_pages.c. */
#ifndef CATALOG_CATALOG_H
#define CATALOG_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct db;
struct db_res;
struct arena;

/* Registers the module's statements (call once at start). */
void catalog_init(void);

/* Recomputes the product's read model (sku_digest, stock_total over its
 * active SKUs, review_digest) from its SKUs, inventory and reviews. Call it inside every transaction that changes
 * those rows, after the change, so pages never show a mix of old and new. */
enum err catalog_refresh_digest(struct db *db, struct arena *a, int64_t product_id);

/* The stock part of it only (stock_total and sku_digest), for a change of
 * units: the reviews' part is left alone (its recount is the reviews'). */
enum err catalog_refresh_stock(struct db *db, struct arena *a, int64_t product_id);

/* The same after a commit (not inside a transaction): the rows read plain,
 * the digest built here, written only if nobody wrote the product since
 * the read (a writer since read newer rows). No shared locks on inventory
 * rows and no temporary table: a checkout's refresh after its hold. */
enum err catalog_refresh_stock_after(struct db *db, struct arena *a, int64_t product_id);

/* The same for several products (ids: a JSON array of product ids), for the
 * read model's follower: units held by checkouts reach the digest through
 * their StockChanged events (search_index_flush), not in the checkout's
 * request. Read without locks, then written in one statement, and only to
 * rows nobody wrote since the read (a seller's edit refreshes the model in
 * its own transaction, from newer rows: it must not be overwritten). */
enum err catalog_refresh_stock_many(struct db *db, struct arena *a, const char *ids);
/* Recounts categories.product_count (the navigation's "(N)"); shopd jobs
 * runs it every few seconds, imports after they finish. */
enum err catalog_refresh_counts(struct db *db, struct arena *a);

/* A product's card image: its thumbnail when that is a seller's photo served
 * from /media/, else the offline placeholder. catalog_image_in's placeholder
 * is the "no photo yet" picture of the product's category (an icon of the
 * category on a quiet background, /img/ph/c-<category slug>.svg);
 * catalog_image's, for callers that do not know the category, the same
 * picture with a camera (its URL still names up to two initials of the
 * title, the form placeholders had before). The result is arena-owned or
 * thumbnail itself. */
const char *catalog_initials(struct arena *a, const char *title);
const char *catalog_image(struct arena *a, const char *title, const char *thumbnail);
const char *catalog_image_in(struct arena *a, const char *category_slug, const char *thumbnail);

/* ---- categories: each worker keeps them a few seconds ---- */

struct catalog_cat {
	long id, parent;
	char *slug, *name;
	long own, total;	/* products in this category; with its children */
};

struct catalog_categories {
	const struct catalog_cat *v;	/* in menu order */
	size_t n;
	unsigned gen;		/* changes with every load: a copy built from
				 * v is current while gen is the same */
};

/* Loads them when the copy is older than a few seconds; E_OK when a copy
 * (maybe stale, during an outage) is there. Pointers into the copy stay
 * valid until the next load. */
enum err catalog_categories_load(struct db *db, struct arena *a);
const struct catalog_categories *catalog_categories(void);
const struct catalog_cat *catalog_category_by_slug(const char *slug);
const struct catalog_cat *catalog_category_by_id(long id);

/* ---- product rows ---- */

/* The columns of a product card (listings, home page); a product page's
 * row has the card's first PC_SKU columns, then PP_*. */
enum { PC_ID, PC_SLUG, PC_TITLE, PC_BRAND, PC_PRICE, PC_CUR, PC_RATING, PC_REVIEWS,
       PC_STOCK, PC_CREATED, PC_RANK, PC_CAT, PC_SKU, PC_THUMB, PC_NCOLS };
enum { PP_DESC = PC_SKU, PP_ATTRS, PP_IMAGES, PP_THUMB, PP_CATID, PP_SKUS, PP_REVIEWS };

/* Listing sort orders, as v_sort numbers them. */
enum { CATALOG_SORT_RELEVANCE, CATALOG_SORT_PRICE_ASC, CATALOG_SORT_PRICE_DESC, CATALOG_SORT_RATING,
       CATALOG_SORT_NEWEST, CATALOG_SORT_COUNT };
/* The card column a sort orders by (the keyset cursor's key). */
int catalog_sort_column(int sort);

/* One page of a category's listing (its subcategories' products too), in
 * keyset order: the rows after (key, after_id). catalog_listing_first sets
 * the position of the first page. */
struct catalog_listing {
	const struct catalog_cat *cat;
	int sort;
	const char *brand;	/* NULL: any */
	int64_t min_price, max_price;
	int64_t size;
	/* the position: after the row with this sort key (skey for newest,
	 * ikey otherwise) and id */
	int64_t ikey;
	const char *skey;
	int64_t after_id;
};
void catalog_listing_first(struct catalog_listing *l);
/* At most l->size + 1 card rows (one more says there is a next page). */
enum err catalog_list(struct db *db, struct arena *a, const struct catalog_listing *l, struct db_res **out);

/* A category's brands with their product counts (brand, count), the most
 * products first. */
enum err catalog_brands(struct db *db, struct arena *a, long category_id, struct db_res **out);
/* The n best-rated and the n newest products, as card rows. */
enum err catalog_top_rated(struct db *db, struct arena *a, int64_t n, struct db_res **out);
enum err catalog_newest(struct db *db, struct arena *a, int64_t n, struct db_res **out);

/* An active product's page row (0 or 1 rows), from this worker's product
 * cache when it is current (pcache.h: keys "s:<slug>" and "i:<id>"), else one
 * query whose row is then kept. A cached row is read only and valid for the
 * request. */
enum err catalog_product_by_slug(struct db *db, struct arena *a, const char *slug, struct db_res **out);
enum err catalog_product_by_id(struct db *db, struct arena *a, int64_t id, struct db_res **out);

/* The sitemap's products: (slug, last change as YYYY-MM-DD), at most max. */
enum err catalog_sitemap(struct db *db, struct arena *a, int64_t max, struct db_res **out);

#endif
