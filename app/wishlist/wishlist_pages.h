/* Wishlists: saved items, lists, sharing: pages and JSON API (issue 17). */
#ifndef WISHLIST_WISHLIST_PAGES_H
#define WISHLIST_WISHLIST_PAGES_H

#include <stdint.h>
#include <jansson.h>

struct ctx;

/* The product page's part (the Save button and its state), added to its model m by h_product
 * (app/catalog/catalog_pages.c) after the shared, cached parts: anything
 * per visitor only when the visitor has a session (nginx's microcache
 * stores only answers to requests without one). */
void wishlist_product_sections(struct ctx *c, json_t *m, int64_t product_id);

#endif
