/* Reports for admins (issue 19): sales by day, category and seller, the
 * conversion funnel (product views ▶ adds to cart ▶ orders) and the top
 * searches with and without results, over a date range (UTC days).
 *
 * Sales read orders_all and order_lines_all, so archived orders count. A
 * sale is an order that was paid (confirmed, fulfilling, shipped,
 * delivered, returned, refunded: refunds are not taken off; a paid order
 * cancelled before shipping is not a sale), dated by when it was placed,
 * in the shop's currency (each currency and rate converted with
 * fx_to_shop). By day: the orders' totals (goods less discount, tax,
 * shipping). By category and seller: the lines' goods less discount (no
 * tax or shipping, which belong to the order), the product's category as
 * it is now; an order with lines in two categories counts in both.
 *
 * Views, adds to cart and searches are counted by the request handlers
 * (reports_count: one HINCRBY on a per-day Redis hash, nothing on the
 * database) and moved into report_counts by the "report-counters" job
 * (every SHOP_REPORTS_FLUSH_S, default 60 s) or `shopctl reports flush`,
 * each hash once (report_flushes). A product page nginx answers from its
 * microcache (a visitor without a session) is counted by nginx's views
 * log (reports_flush_views below). */
#ifndef REPORTS_REPORTS_H
#define REPORTS_REPORTS_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct db_res;
struct kv;

void reports_init(void);

/* ---- counting ---- */

enum report_kind { RK_VIEW, RK_CART, RK_SEARCH, RK_SEARCH_EMPTY, RK_NKINDS };
/* "view", "cart", "search", "search_empty". */
const char *reports_kind_name(int kind);
/* One more of kind today (key "" for views and carts). Redis down: not
 * counted (a report is not worth an error page). */
void reports_count(struct kv *kv, struct arena *a, int kind, const char *key);
/* A search's words as one key (lower case as the search made them, one
 * space between, at most 100 bytes, cut on a character): "search", and
 * "search_empty" too when it found nothing. */
void reports_count_search(struct kv *kv, struct arena *a, char *const *words, size_t n, int found_nothing);
/* Moves the counts of the last 8 days from Redis into report_counts, each
 * hash exactly once; *moved: hashes moved. */
enum err reports_flush(struct db *db, struct kv *kv, struct arena *a, int *moved);
/* Product pages nginx answered from its microcache (they never reach
 * shopd) are counted by nginx: one line per view in the log this names
 * (SHOP_VIEWS_LOG; default $SHOP_HOME/log/nginx-views.log; empty: none),
 * conf/nginx.conf. reports_flush adds the lines not read yet to the days
 * they name (reports_flush_views: the position in report_logs and the
 * counts in one transaction, so each line once; a log rotated to `.1` is
 * finished first). *lines: views added. */
const char *reports_views_log(struct arena *a);
enum err reports_flush_views(struct db *db, struct arena *a, int64_t *lines);
/* The job: reports_flush every SHOP_REPORTS_FLUSH_S. */
int reports_flush_job(struct db *db, struct kv *kv, struct arena *a);

/* ---- reports ---- */

/* One row: a day, category, seller or search text. */
struct report_row {
	const char *label;
	int64_t id;		/* category or seller id; 0 for days and searches */
	int64_t orders;		/* orders (searches: how many times) */
	int64_t units;
	int64_t amount;		/* minor units of the shop's currency */
};
struct report {
	struct report_row *rows;
	size_t n;
	int64_t orders, units, amount;	/* sums of the rows */
};

/* from, to: "YYYY-MM-DD", both included. */
enum err reports_sales_by_day(struct db *db, struct arena *a, const char *from, const char *to, struct report *out);
enum err reports_sales_by_category(struct db *db, struct arena *a, const char *from, const char *to,
				   struct report *out);
enum err reports_sales_by_seller(struct db *db, struct arena *a, const char *from, const char *to, struct report *out);
/* The most frequent searches (found_nothing: those that found nothing),
 * most first; orders holds the count. */
enum err reports_searches(struct db *db, struct arena *a, const char *from, const char *to, int found_nothing,
			  size_t limit, struct report *out);

struct funnel {
	int64_t views, carts, orders;
};
enum err reports_funnel(struct db *db, struct arena *a, const char *from, const char *to, struct funnel *out);

/* Columns of the orders export. */
enum { RO_ID, RO_CREATED, RO_STATUS, RO_USER, RO_CUR, RO_RATE, RO_SUBTOTAL, RO_DISCOUNT, RO_SHIPPING, RO_TAX, RO_TOTAL,
       RO_PROMO, RO_NAME, RO_CITY, RO_COUNTRY, RO_LINES, RO_UNITS };
/* Every order placed in the range (any status; archived too), by id, at
 * most limit. */
enum err reports_orders(struct db *db, struct arena *a, const char *from, const char *to, size_t limit,
			struct db_res **out);

/* shopctl reports flush: the exit status, -1 for a usage error. */
int reports_cmd_run(struct db *db, struct kv *kv, struct arena *a, int argc, char **argv);

#endif
