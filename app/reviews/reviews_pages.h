/* Reviews and ratings: pages and JSON API (issue 17). */
#ifndef REVIEWS_REVIEWS_PAGES_H
#define REVIEWS_REVIEWS_PAGES_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct ctx;

/* The product page's part, in two. reviews_product_parts adds what is the
 * same for everyone (the most helpful few reviews as anyone sees them, the
 * links) to the page's shared parts, which h_product
 * (app/catalog/catalog_pages.c) keeps in the worker's product cache until
 * the product changes (a review published, edited, replied to or removed
 * bumps it through the "ratings" consumer's ProductUpdated; helpful votes
 * do not, so their counts there may lag by up to PCACHE_MAX_AGE); 0, or -1
 * when it could not be read (the parts are then not cached).
 * reviews_product_sections, per request, gives a signed-in visitor the
 * reviews with their own state (theirs, voted, the seller's reply link)
 * and "myReview". */
int reviews_product_parts(struct ctx *c, json_t *parts, int64_t product_id);
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
