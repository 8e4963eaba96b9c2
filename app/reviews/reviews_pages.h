/* Reviews and ratings: pages and JSON API (issue 17). */
#ifndef REVIEWS_REVIEWS_PAGES_H
#define REVIEWS_REVIEWS_PAGES_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct ctx;

/* The product page's part (the reviews: rating histogram, the best reviews, the form), added to its model m by h_product
 * (app/catalog/catalog_pages.c) after the shared, cached parts: anything
 * per visitor only when the visitor has a session (nginx's microcache
 * stores only answers to requests without one). */
void reviews_product_sections(struct ctx *c, json_t *m, int64_t product_id);

/* Pages (routes.inc). */
enum err h_reviews_page(struct ctx *c);
enum err h_review_form(struct ctx *c);
enum err h_review_post(struct ctx *c);
enum err h_review_delete(struct ctx *c);
enum err h_review_helpful(struct ctx *c);
enum err h_review_reply_form(struct ctx *c);
enum err h_review_reply_post(struct ctx *c);
enum err h_reviews_mine(struct ctx *c);
enum err h_admin_reviews(struct ctx *c);
enum err h_admin_reviews_settings(struct ctx *c);
enum err h_admin_review_publish(struct ctx *c);
enum err h_admin_review_reject(struct ctx *c);

/* JSON API (docs/api.md, "Reviews"). */
enum err h_api_reviews(struct ctx *c);
enum err h_api_review_post(struct ctx *c);
enum err h_api_review_patch(struct ctx *c);
enum err h_api_review_delete(struct ctx *c);
enum err h_api_review_vote(struct ctx *c);
enum err h_api_review_reply(struct ctx *c);
enum err h_api_admin_reviews(struct ctx *c);
enum err h_api_admin_review_settings(struct ctx *c);
enum err h_api_admin_review_settings_put(struct ctx *c);
enum err h_api_admin_review_publish(struct ctx *c);
enum err h_api_admin_review_reject(struct ctx *c);

#endif
