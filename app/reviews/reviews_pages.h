/* Reviews and ratings: pages and JSON API (issue 17). */
#ifndef REVIEWS_REVIEWS_PAGES_H
#define REVIEWS_REVIEWS_PAGES_H

#include <stdint.h>
#include <jansson.h>

struct ctx;

/* The product page's part (the reviews: rating histogram, the best reviews, the form), added to its model m by h_product
 * (app/catalog/catalog_pages.c) after the shared, cached parts: anything
 * per visitor only when the visitor has a session (nginx's microcache
 * stores only answers to requests without one). */
void reviews_product_sections(struct ctx *c, json_t *m, int64_t product_id);

#endif
