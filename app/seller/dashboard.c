/* The seller's dashboard (/seller/): today's and this week's orders and
 * revenue, items low in stock and out of stock, orders waiting to ship.
 *
 * Every query is scoped by the signed-in seller's id in SQL. Revenue is the
 * seller's own lines (price x quantity - discount + tax, less what was
 * refunded) of paid orders, without cancelled lines; shipping is the shop's,
 * not the seller's. Days and weeks are UTC, weeks start on Monday. */
#include <string.h>
#include "../core/arena.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../store/db.h"
#include "../account/session.h"
#include "dashboard.h"

/* Items at or below this many units (summed over warehouses) are "low". */
#define LOW_STOCK 5
#define DASH_LIST 10

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

static json_t *item_list(struct ctx *c, struct db_res *r, int with_stock)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->nrows; i++) {
		json_t *o = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)db_int(r, i, 0),
				      "title", db_cell(r, i, 1),
				      "url", arena_printf(c->a, "/seller/items/%s", db_cell(r, i, 0)));

		if (with_stock)
			json_object_set_new(o, "stock", json_integer(db_int(r, i, 2)));
		json_array_append_new(a, o);
	}
	return a;
}

enum err h_seller_home(struct ctx *c)
{
	json_t *m = session_form_page(c, "seller_home", "Seller dashboard", 200), *list;
	int64_t sid = c->sess->seller_id;
	struct db_res *r = NULL;
	enum err e;

	if (!m)
		return E_NOMEM;
	if (sid && (e = db_exec(c->db, c->a, &sql[Q_SELLER], &r, "i", sid)))
		return e;	/* the error page, not "no profile" */
	if (!sid || !r->nrows) {
		json_object_set_new(m, "noProfile", json_true());
		return E_OK;
	}
	json_object_set_new(m, "seller", json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}",
		"id", (json_int_t)db_int(r, 0, 0), "slug", db_cell(r, 0, 1),
		"displayName", db_cell(r, 0, 2), "contactEmail", db_cell(r, 0, 3),
		"status", db_cell(r, 0, 4), "isActive", !strcmp(db_cell(r, 0, 4), "active")));

	if ((e = db_exec(c->db, c->a, &sql[Q_SALES], &r, "i", sid)))
		return e;
	json_object_set_new(m, "today", json_pack("{s:I, s:I}", "orders", (json_int_t)db_int(r, 0, 0),
						  "revenue", (json_int_t)db_int(r, 0, 1)));
	json_object_set_new(m, "week", json_pack("{s:I, s:I}", "orders", (json_int_t)db_int(r, 0, 2),
						 "revenue", (json_int_t)db_int(r, 0, 3)));

	if ((e = db_exec(c->db, c->a, &sql[Q_COUNTS], &r, "ii", (int64_t)LOW_STOCK, sid)))
		return e;
	json_object_set_new(m, "counts", json_pack("{s:I, s:I, s:I, s:I}",
		"active", (json_int_t)db_int(r, 0, 0), "drafts", (json_int_t)db_int(r, 0, 1),
		"low", (json_int_t)db_int(r, 0, 2), "out", (json_int_t)db_int(r, 0, 3)));
	json_object_set_new(m, "lowLimit", json_integer(LOW_STOCK));

	if ((e = db_exec(c->db, c->a, &sql[Q_LOW], &r, "ii", sid, (int64_t)LOW_STOCK)))
		return e;
	json_object_set_new(m, "lowStock", item_list(c, r, 1));
	if ((e = db_exec(c->db, c->a, &sql[Q_OUT], &r, "i", sid)))
		return e;
	json_object_set_new(m, "outOfStock", item_list(c, r, 0));

	if ((e = db_exec(c->db, c->a, &sql[Q_TO_SHIP_COUNT], &r, "i", sid)))
		return e;
	json_object_set_new(m, "toShipCount", json_integer(db_int(r, 0, 0)));
	if ((e = db_exec(c->db, c->a, &sql[Q_TO_SHIP], &r, "i", sid)))
		return e;
	list = json_array();
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:I, s:s}",
			"id", (json_int_t)db_int(r, i, 0), "date", db_cell(r, i, 1),
			"shipTo", db_cell(r, i, 2), "units", (json_int_t)db_int(r, i, 3),
			"url", arena_printf(c->a, "/seller/orders/%s", db_cell(r, i, 0))));
	json_object_set_new(m, "toShip", list);
	return E_OK;
}
