/* The seller's dashboard figures: the domain side of /seller/ (the page is
 * app/seller/dashboard_pages.c). */
#ifndef SELLER_DASHBOARD_H
#define SELLER_DASHBOARD_H

#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct db_res;

/* Items at or below this many units (summed over warehouses) are "low". */
#define DASHBOARD_LOW_STOCK 5

struct dashboard {
	int64_t id;
	const char *slug, *display_name, *contact_email, *status;
	int64_t today_orders, today_revenue, week_orders, week_revenue;	/* cents */
	int64_t active, drafts, low, out;	/* items by state */
	int64_t to_ship_count;			/* paid orders with lines to ship */
	/* At most 10 rows each: (id, title, stock_total) low in stock; (id,
	 * title) out of stock; (order id, "YYYY-MM-DD HH:MM", ship-to name,
	 * units) to ship, oldest first. */
	struct db_res *low_items, *out_items, *to_ship;
};

void dashboard_init(void);

/* The figures of seller_id (arena-owned). E_NOTFOUND when the seller has no
 * profile. */
enum err dashboard_load(struct db *db, struct arena *a, int64_t seller_id, struct dashboard *d);

#endif
