/* The catalog's pages and API endpoints (see app/catalog/routes.inc): the
 * domain's rows (catalog.h) as view models and JSON. */
#ifndef CATALOG_CATALOG_PAGES_H
#define CATALOG_CATALOG_PAGES_H

#include <jansson.h>
#include "../core/err.h"

struct ctx;

/* The top-level categories for the site navigation, as a new JSON array
 * reference owned by the caller; NULL when the database is unreachable. */
json_t *catalog_nav(struct ctx *c);

enum err h_home(struct ctx *c);
enum err h_category(struct ctx *c);
enum err h_product(struct ctx *c);
enum err h_api_item(struct ctx *c);
enum err h_api_categories(struct ctx *c);
enum err h_api_category_items(struct ctx *c);
enum err h_sitemap(struct ctx *c);
enum err h_placeholder(struct ctx *c);

#endif
