/* The seller's dashboard figures (dashboard.h): today's and this week's
 * orders and revenue, items low in stock and out of stock, orders waiting to
 * ship. The page is dashboard_pages.c's.
 *
 * Every query is scoped by the seller's id in SQL. Revenue is the seller's
 * own lines (price x quantity - discount + tax, less what was refunded) of
 * paid orders, without cancelled lines; shipping is the shop's, not the
 * seller's. Days and weeks are UTC, weeks start on Monday. */
#include <string.h>
#include "../core/arena.h"
#include "../store/db.h"
#include "dashboard.h"



/* Paid orders the seller earns from. */
#define PAID "('confirmed', 'fulfilling', 'shipped', 'delivered', 'returned')"

enum { Q_SELLER, Q_SALES, Q_LOW, Q_OUT, Q_COUNTS, Q_TO_SHIP, Q_TO_SHIP_COUNT, Q_COUNT };

static struct db_sql sql[Q_COUNT] = {
	[Q_SELLER] = { "SELECT id, slug, display_name, COALESCE(contact_email, ''), status "
		       "FROM sellers WHERE id = ?", 0 },
	/* Orders and revenue since a moment; (seller_id, order_id) index, then
	 * the order by primary key. */
	[Q_SALES] = { "SELECT "
		      "COUNT(DISTINCT CASE WHEN o.created_at >= UTC_DATE() THEN o.id END), "
		      "COALESCE(SUM(CASE WHEN o.created_at >= UTC_DATE() "
		      " THEN l.unit_price * l.quantity - l.discount + l.tax - l.refunded_amount END), 0), "
		      "COUNT(DISTINCT o.id), "
		      "COALESCE(SUM(l.unit_price * l.quantity - l.discount + l.tax - l.refunded_amount), 0) "
		      "FROM order_lines l JOIN orders o ON o.id = l.order_id "
		      "WHERE l.seller_id = ? AND o.status IN " PAID " AND l.state <> 'cancelled' "
		      "AND o.created_at >= UTC_DATE() - INTERVAL WEEKDAY(UTC_DATE()) DAY", 0 },
	[Q_LOW] = { "SELECT id, title, stock_total FROM products "
		    "WHERE seller_id = ? AND status IN ('active', 'suspended') "
		    "AND stock_total > 0 AND stock_total <= ? ORDER BY stock_total, id LIMIT 10", 0 },
	[Q_OUT] = { "SELECT id, title FROM products "
		    "WHERE seller_id = ? AND status IN ('active', 'suspended') "
		    "AND stock_total <= 0 ORDER BY updated_at DESC, id LIMIT 10", 0 },
	[Q_COUNTS] = { "SELECT "
		       "COALESCE(SUM(status = 'active'), 0), COALESCE(SUM(status = 'draft'), 0), "
		       "COALESCE(SUM(status IN ('active', 'suspended') AND stock_total > 0 "
		       " AND stock_total <= ?), 0), "
		       "COALESCE(SUM(status IN ('active', 'suspended') AND stock_total <= 0), 0) "
		       "FROM products WHERE seller_id = ?", 0 },
	/* Paid orders with this seller's lines still to ship (open or
	 * picked), oldest first: the order they should be shipped in. */
	[Q_TO_SHIP] = { "SELECT o.id, DATE_FORMAT(o.created_at, '%Y-%m-%d %H:%i'), o.ship_name, "
			"SUM(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id "
			"WHERE l.seller_id = ? AND l.state IN ('open', 'picked') "
			"AND o.status IN ('confirmed', 'fulfilling') "
			"GROUP BY o.id ORDER BY o.id LIMIT 10", 0 },
	[Q_TO_SHIP_COUNT] = { "SELECT COUNT(DISTINCT o.id) FROM order_lines l "
			      "JOIN orders o ON o.id = l.order_id "
			      "WHERE l.seller_id = ? AND l.state IN ('open', 'picked') "
			      "AND o.status IN ('confirmed', 'fulfilling')", 0 },
};

void dashboard_init(void)
{
	db_register(sql, Q_COUNT);
}

enum err dashboard_load(struct db *db, struct arena *a, int64_t seller_id, struct dashboard *d)
{
	struct db_res *r = NULL;
	enum err e;

	memset(d, 0, sizeof(*d));
	if (seller_id <= 0)
		return E_NOTFOUND;
	if ((e = db_exec(db, a, &sql[Q_SELLER], &r, "i", seller_id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	d->id = db_int(r, 0, 0);
	d->slug = db_cell(r, 0, 1);
	d->display_name = db_cell(r, 0, 2);
	d->contact_email = db_cell(r, 0, 3);
	d->status = db_cell(r, 0, 4);
	if ((e = db_exec(db, a, &sql[Q_SALES], &r, "i", seller_id)))
		return e;
	d->today_orders = db_int(r, 0, 0);
	d->today_revenue = db_int(r, 0, 1);
	d->week_orders = db_int(r, 0, 2);
	d->week_revenue = db_int(r, 0, 3);
	if ((e = db_exec(db, a, &sql[Q_COUNTS], &r, "ii", (int64_t)DASHBOARD_LOW_STOCK, seller_id)))
		return e;
	d->active = db_int(r, 0, 0);
	d->drafts = db_int(r, 0, 1);
	d->low = db_int(r, 0, 2);
	d->out = db_int(r, 0, 3);
	if ((e = db_exec(db, a, &sql[Q_LOW], &d->low_items, "ii", seller_id, (int64_t)DASHBOARD_LOW_STOCK)) ||
	    (e = db_exec(db, a, &sql[Q_OUT], &d->out_items, "i", seller_id)))
		return e;
	if ((e = db_exec(db, a, &sql[Q_TO_SHIP_COUNT], &r, "i", seller_id)))
		return e;
	d->to_ship_count = db_int(r, 0, 0);
	return db_exec(db, a, &sql[Q_TO_SHIP], &d->to_ship, "i", seller_id);
}
