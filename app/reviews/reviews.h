/* Reviews and ratings (issue 17). Domain code: no request, no template.
 *
 * A shopper writes one review per product (1-5 stars, a title, a body of
 * plain text): a second one by the same author edits the first. Buyers'
 * reviews (a line of the product shipped or delivered: ugc_bought) are
 * verified; others are refused unless an admin turned accept_non_buyers
 * on (review_settings). Every text passes the automatic checks
 * (ugc_check_text, a duplicate of another review's fingerprint, an author
 * or a product at an unusual rate: SHOP_REVIEWS_AUTHOR_RATE reviews an hour,
 * SHOP_REVIEWS_PRODUCT_BURST a product in 10 minutes); a flagged review is
 * pending with its reasons, for an admin to publish or reject with a
 * reason. Each change that makes a review visible, changes a visible one
 * or takes one away emits ReviewPublished, ReviewUpdated or ReviewRemoved
 * (ReviewRejected for a rejection) in its transaction; the "ratings"
 * consumer (reviews_on_event) recomputes the product's rating from its
 * published reviews. */
#ifndef REVIEWS_REVIEWS_H
#define REVIEWS_REVIEWS_H

#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct db_res;
struct kv;
struct event;

#define REVIEW_TITLE_MAX 120	/* characters */
#define REVIEW_BODY_MAX 5000	/* characters */
#define REVIEW_REPLY_MAX 2000	/* characters */
#define REVIEW_REASON_MAX 500	/* characters */

/* Statements and settings; idempotent. */
void reviews_init(void);

/* A problem with one field of what was sent (422). */
struct review_ferr {
	const char *field, *message;
};

/* The outcome of a change when no error: refused (403, why says), invalid
 * (422, errs), or done (id, created = 1 for a new review, status). */
struct review_out {
	int64_t id;
	int created;
	int forbidden;
	const char *why;
	int nerrs;
	struct review_ferr errs[4];
	const char *status;
};

/* Writes uid's review of product_id (a second writes over the first).
 * E_NOTFOUND: no such product on sale. rating 0 / title NULL / body NULL
 * are "missing" (422). */
enum err reviews_write(struct db *db, struct arena *a, int64_t uid, int64_t product_id, int64_t rating,
		       const char *title, const char *body, struct review_out *out);
/* Changes uid's review id: rating < 0, title NULL, body NULL leave that
 * part as it is. E_NOTFOUND when id is not uid's. */
enum err reviews_edit(struct db *db, struct arena *a, int64_t uid, int64_t id, int64_t rating,
		      const char *title, const char *body, struct review_out *out);
/* Deletes uid's review id (E_NOTFOUND when not theirs). */
enum err reviews_delete(struct db *db, struct arena *a, int64_t uid, int64_t id);
/* uid finds review id helpful: once (a second vote changes nothing);
 * out->forbidden on one's own review; E_NOTFOUND when not published.
 * *helpful: the count after. */
enum err reviews_vote(struct db *db, struct arena *a, int64_t uid, int64_t id, int64_t *helpful,
		      struct review_out *out);
/* The product's seller (seller_id, run by a user) replies to review id,
 * once (a second reply replaces the first). E_NOTFOUND: not their
 * product's published review. */
enum err reviews_reply(struct db *db, struct arena *a, int64_t seller_id, int64_t id, const char *body,
		       struct review_out *out);
/* An admin (admin_uid) publishes (publish = 1) or rejects (with reason)
 * review id. E_NOTFOUND when there is none, or the admin runs the
 * product's seller (nobody moderates their own products' reviews). */
enum err reviews_moderate(struct db *db, struct arena *a, int64_t admin_uid, int64_t id, int publish,
			  const char *reason, struct review_out *out);

/* Reading. The rows are RV_* columns. */
enum { RV_ID, RV_PRODUCT, RV_USER, RV_RATING, RV_TITLE, RV_BODY, RV_NAME, RV_STATUS, RV_VERIFIED,
       RV_HELPFUL, RV_REASONS, RV_REJECT, RV_CREATED, RV_UPDATED, RV_REPLY, RV_REPLY_AT, RV_SLUG,
       RV_PTITLE, RV_SELLER_UID, RV_NCOLS };
enum { REVIEWS_SORT_HELPFUL, REVIEWS_SORT_NEWEST, REVIEWS_SORT_HIGHEST, REVIEWS_SORT_LOWEST, REVIEWS_NSORTS };
/* "helpful", ...: the sort's name and its number (-1 unknown). */
const char *reviews_sort_name(int sort);
int reviews_sort_parse(const char *s);

/* Published reviews of product_id in sort order, stars 0 or 1..5, after
 * cursor (NULL or "" for the first page; an opaque string from *next), at
 * most limit; *next NULL on the last page. */
enum err reviews_list(struct db *db, struct arena *a, int64_t product_id, int sort, int stars,
		      const char *cursor, int limit, struct db_res **out, const char **next);
/* One review (any status) by id: *out with 0 or 1 rows. */
enum err reviews_get(struct db *db, struct arena *a, int64_t id, struct db_res **out);
/* uid's review of product_id, if any. */
enum err reviews_get_mine(struct db *db, struct arena *a, int64_t uid, int64_t product_id, struct db_res **out);
/* Every review of uid, newest first. */
enum err reviews_of_user(struct db *db, struct arena *a, int64_t uid, struct db_res **out);
/* The reviews in status (pending, rejected, published), oldest first,
 * at most limit. */
enum err reviews_queue(struct db *db, struct arena *a, const char *status, int limit, struct db_res **out);
/* The published reviews' histogram: counts[1..5], *total, *x100 the
 * average times 100 rounded half up (0 without reviews). */
enum err reviews_histogram(struct db *db, struct arena *a, int64_t product_id, long counts[6], long *total,
			   long *x100);
/* Whether uid voted for review id. */
enum err reviews_voted(struct db *db, struct arena *a, int64_t uid, int64_t id, int *yes);

/* The author of review id, for a mail: email and name (NULL when the
 * review has no author account, or it is disabled). */
enum err reviews_author(struct db *db, struct arena *a, int64_t id, const char **email, const char **name);

/* The setting: accept reviews from shoppers who did not buy. */
enum err reviews_accept_non_buyers(struct db *db, struct arena *a, int *on);
enum err reviews_set_accept_non_buyers(struct db *db, struct arena *a, int on);

/* The "ratings" consumer (ReviewPublished, ReviewUpdated, ReviewRemoved):
 * recomputes the event's product's rating_x100, review_count, rank_score
 * and review digest from its published reviews and emits ProductUpdated
 * (reason "rating") in the same transaction. Idempotent. */
enum err reviews_on_event(struct db *db, struct kv *kv, struct arena *a, const struct event *ev);
/* The same for one product (tests, shopctl). */
enum err reviews_recount(struct db *db, struct arena *a, int64_t product_id);
/* shopctl reviews-recount [PRODUCT-ID]: one product, or every product with
 * a shopper's review (after a demo re-import, which counts the file's
 * reviews alone). */
int reviews_recount_cmd(int argc, char **argv);

#endif
