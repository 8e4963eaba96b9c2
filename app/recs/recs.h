/* Recommendations: item-to-item scores from order lines, kept precomputed in
 * MariaDB (recs_neighbours: the top K neighbours of each product), the
 * visitor's recently viewed products in Redis, and the lookups the pages and
 * the API make (docs/recommendations.md).
 *
 * Scores. Two products are neighbours when counted orders hold both: the
 * score is the cosine of their order sets, orders(a and b) /
 * sqrt(orders(a) * orders(b)), kept only with at least SHOP_RECS_MIN_SUPPORT
 * (default 2) orders in common, the best SHOP_RECS_K (default 20) per
 * product. The "recs" consumer counts each OrderConfirmed order once
 * (recs_orders, keyed by order and by event id) and recomputes the
 * neighbours of the order's products; the nightly rebuild (job
 * "recs-rebuild", `shopctl recs-rebuild`) recounts everything from the
 * paid orders, which also takes out cancelled ones and refreshes the
 * best sellers.
 *
 * Every list the shop shows leaves out products that are not active or
 * have no stock; the personal one also what the shopper already bought. */
#ifndef RECS_RECS_H
#define RECS_RECS_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct kv;
struct event;

/* One recommended product: what a card shows, and why it is there. */
struct recs_card {
	int64_t id, price, rating_x100, reviews, stock, category_id;
	const char *slug, *title, *brand, *currency, *category, *thumbnail;
	double score;		/* item lists: the summed cosine; personal: the blend */
	const char *reason;	/* "bought-with", "personal", "category-bestseller", "bestseller", "viewed" */
};

struct recs_list {
	struct recs_card *v;
	size_t n;
};

void recs_init(void);

/* "Customers who bought this also bought": neighbours of product_id in
 * stock, best first, at most k. */
enum err recs_for_item(struct db *db, struct arena *a, int64_t product_id, size_t k, struct recs_list *out);

/* "Frequently bought together": the summed neighbours of n products (a
 * cart), without those products, at most k. */
enum err recs_for_basket(struct db *db, struct arena *a, const int64_t *ids, size_t n, size_t k,
			 struct recs_list *out);

/* "Recommended for you": neighbours of what user uid (0: a guest) bought
 * and of what viewer viewed, relevance blended 70/30 with a business signal
 * (stock on hand, rating); never out of stock or already bought; filled
 * from the best sellers of the categories viewed, then of the shop. seen:
 * the viewer's recently viewed cards when the caller has read them already
 * (recs_viewed; NULL: read here). */
enum err recs_for_user(struct db *db, struct kv *kv, struct arena *a, int64_t uid, const char *viewer,
		       const struct recs_list *seen, size_t k, struct recs_list *out);

/* The same with the list kept a minute per viewer in Redis (rp:<viewer>,
 * RECS_KEPT_S): dropped when they view a product, sign in or buy (the
 * consumer); a kept list is read with one Redis call and one query that
 * takes its cards as they are now (out of stock ones are left out). Also
 * gives the viewer's recently viewed cards (at most kv_max), read in the
 * same round trips. k at most RECS_PERSONAL_MAX. */
#define RECS_PERSONAL_MAX 20
#define RECS_KEPT_S 60
enum err recs_personal(struct db *db, struct kv *kv, struct arena *a, int64_t uid, const char *viewer,
		       size_t kv_max, size_t k, struct recs_list *viewed, struct recs_list *out);

/* ---- recently viewed (Redis, a list capped at RECS_VIEWED_MAX, 30 days) ---- */

#define RECS_VIEWED_MAX 20

/* The list's owner: "u:<uid>" for a signed-in shopper, else "g:<session
 * key>"; NULL when there is neither (a visitor without a session). */
const char *recs_viewer(struct arena *a, int64_t uid, const char *session_key);
enum err recs_viewed_add(struct kv *kv, struct arena *a, const char *viewer, int64_t product_id);
/* The viewed products still active, most recent first, without `except`
 * (0: none), at most k. Redis down: an empty list. */
enum err recs_viewed(struct db *db, struct kv *kv, struct arena *a, const char *viewer, int64_t except,
		     size_t k, struct recs_list *out);
/* On sign-in: the guest's list goes in front of the user's (deduplicated,
 * capped), the guest's is dropped. */
enum err recs_viewed_merge(struct kv *kv, struct arena *a, const char *session_key, int64_t uid);

/* ---- keeping the scores ---- */

/* The consumer's handler (OrderConfirmed): counts the order once. */
enum err recs_on_event(struct db *db, struct kv *kv, struct arena *a, const struct event *ev);
/* Counts one order (idempotent by order id; event_id may be 0). */
enum err recs_count_order(struct db *db, struct arena *a, int64_t order_id, int64_t event_id);
/* Recounts everything from the paid orders, in one transaction. */
enum err recs_rebuild(struct db *db, struct arena *a);
/* The nightly job: rebuilds when the last rebuild is older than
 * SHOP_RECS_REBUILD_HOURS (default 24). */
int recs_rebuild_job(struct db *db, struct kv *kv, struct arena *a);

/* shopctl recs-rebuild | gen-orders N [--seed S] | recs-eval [--json] */
int recs_rebuild_cmd(int argc, char **argv);
int recs_gen_orders_cmd(int argc, char **argv);
int recs_eval_cmd(int argc, char **argv);

/* The blend, shared by the page and the evaluation. rel in 0..1. */
double recs_blend(double rel, int64_t stock, int64_t rating_x100);

#endif
