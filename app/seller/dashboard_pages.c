/* The seller's dashboard page (/seller/): the figures of dashboard_load()
 * as the seller_home template shows them. */
#include <string.h>
#include "../core/arena.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../store/db.h"
#include "../account/session_pages.h"
#include "dashboard.h"
#include "dashboard_pages.h"

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
	struct dashboard d;
	struct db_res *r;
	enum err e;

	if (!m)
		return E_NOMEM;
	e = dashboard_load(c->db, c->a, c->sess->seller_id, &d);
	if (e == E_NOTFOUND) {
		json_object_set_new(m, "noProfile", json_true());
		return E_OK;
	}
	if (e)
		return e;	/* the error page, not "no profile" */
	json_object_set_new(m, "seller", json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}",
		"id", (json_int_t)d.id, "slug", d.slug, "displayName", d.display_name,
		"contactEmail", d.contact_email, "status", d.status, "isActive", !strcmp(d.status, "active")));
	json_object_set_new(m, "today", json_pack("{s:I, s:I}", "orders", (json_int_t)d.today_orders,
						  "revenue", (json_int_t)d.today_revenue));
	json_object_set_new(m, "week", json_pack("{s:I, s:I}", "orders", (json_int_t)d.week_orders,
						 "revenue", (json_int_t)d.week_revenue));
	json_object_set_new(m, "counts", json_pack("{s:I, s:I, s:I, s:I}",
		"active", (json_int_t)d.active, "drafts", (json_int_t)d.drafts,
		"low", (json_int_t)d.low, "out", (json_int_t)d.out));
	json_object_set_new(m, "lowLimit", json_integer(DASHBOARD_LOW_STOCK));
	json_object_set_new(m, "lowStock", item_list(c, d.low_items, 1));
	json_object_set_new(m, "outOfStock", item_list(c, d.out_items, 0));
	json_object_set_new(m, "toShipCount", json_integer(d.to_ship_count));
	list = json_array();
	r = d.to_ship;
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:I, s:s}",
			"id", (json_int_t)db_int(r, i, 0), "date", db_cell(r, i, 1),
			"shipTo", db_cell(r, i, 2), "units", (json_int_t)db_int(r, i, 3),
			"url", arena_printf(c->a, "/seller/orders/%s", db_cell(r, i, 0))));
	json_object_set_new(m, "toShip", list);
	return E_OK;
}
