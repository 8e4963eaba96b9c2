/* The catalog: categories, products, SKUs and their stock, reviews; the pages
 * and API endpoints that show them. */
#ifndef CATALOG_CATALOG_H
#define CATALOG_CATALOG_H

#include <jansson.h>
#include <stdint.h>
#include "../core/err.h"

struct ctx;
struct db;
struct arena;

/* Registers the module's statements (call once at start). */
void catalog_init(void);

/* Recomputes the product's read model (sku_digest, stock_total over its
 * active SKUs, review_digest) from its SKUs, inventory and reviews. Call it inside every transaction that changes
 * those rows, after the change, so pages never show a mix of old and new. */
enum err catalog_refresh_digest(struct db *db, struct arena *a, int64_t product_id);
/* Recounts categories.product_count (the navigation's "(N)"); shopd jobs
 * runs it every few seconds, imports after they finish. */
enum err catalog_refresh_counts(struct db *db, struct arena *a);

/* The top-level categories for the site navigation, as a new JSON array
 * reference owned by the caller; NULL when the database is unreachable. */
json_t *catalog_nav(struct ctx *c);

/* A product's card image: its thumbnail when that is a seller's photo served
 * from /media/, else the offline placeholder, an SVG of up to two initials of
 * the title. The result is arena-owned or thumbnail itself. */
const char *catalog_initials(struct arena *a, const char *title);
const char *catalog_image(struct arena *a, const char *title, const char *thumbnail);

/* Page and API handlers (see app/routes.c). */
enum err h_home(struct ctx *c);
enum err h_category(struct ctx *c);
enum err h_product(struct ctx *c);
enum err h_api_item(struct ctx *c);
enum err h_api_categories(struct ctx *c);
enum err h_api_category_items(struct ctx *c);
enum err h_sitemap(struct ctx *c);
enum err h_placeholder(struct ctx *c);

#endif
