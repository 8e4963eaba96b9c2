/* Product questions and answers: pages and JSON API (issue 17). */
#ifndef QUESTIONS_QUESTIONS_PAGES_H
#define QUESTIONS_QUESTIONS_PAGES_H

#include <stdint.h>
#include <jansson.h>

struct ctx;

/* The product page's part (answered questions, the form to ask), added to its model m by h_product
 * (app/catalog/catalog_pages.c) after the shared, cached parts: anything
 * per visitor only when the visitor has a session (nginx's microcache
 * stores only answers to requests without one). */
void questions_product_sections(struct ctx *c, json_t *m, int64_t product_id);

#endif
