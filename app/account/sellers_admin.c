/* The admin's view of sellers: every seller with its listings, and
 * suspension. A suspended seller's listings leave the storefront at once and
 * come back as they were on reinstatement:
 *
 *  - suspend: products 'active' -> 'suspended' (drafts and archived items stay
 *    as the seller left them; the seller can keep editing them, and an item
 *    the seller activates meanwhile is stored as 'suspended' by the item code);
 *  - reinstate: products 'suspended' -> 'active'.
 *
 * One transaction locks the seller row, writes one ProductUpdated outbox
 * event per product it changes (the storefront cache, the category pages and
 * the search index follow the outbox, so the listings disappear within the
 * outbox follower's poll), then changes the products. The seller's open
 * orders are not touched: what was bought is still shipped. */
#include <stdio.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../store/db.h"
#include "account.h"
#include "session.h"

enum {
	Q_SELLERS, Q_SELLER_LOCK, Q_SELLER_STATUS, Q_EVENTS, Q_PRODUCTS_MOVE, Q_COUNT
};

static struct db_sql sql[Q_COUNT] = {
	/* At most 200 sellers, filtered by a name or slug prefix; counts from
	 * ix_products_seller. */
	[Q_SELLERS] = { "SELECT s.id, s.slug, s.display_name, s.status, COALESCE(u.email, ''), "
			"DATE_FORMAT(s.created_at, '%Y-%m-%d'), "
			"(SELECT COUNT(*) FROM products p WHERE p.seller_id = s.id), "
			"(SELECT COUNT(*) FROM products p WHERE p.seller_id = s.id "
			" AND p.status IN ('active', 'suspended')) "
			"FROM sellers s LEFT JOIN users u ON u.id = s.user_id "
			"WHERE ? = '' OR s.slug LIKE CONCAT(?, '%') ESCAPE '!' "
			"OR s.display_name LIKE CONCAT(?, '%') ESCAPE '!' "
			"ORDER BY s.id LIMIT 200", 0 },
	/* Serializes suspensions of one seller and the item code's status
	 * writes, which read the seller's status in their own transaction. */
	[Q_SELLER_LOCK] = { "SELECT status, display_name FROM sellers WHERE id = ? FOR UPDATE", 0 },
	[Q_SELLER_STATUS] = { "UPDATE sellers SET status = ? WHERE id = ?", 0 },
	[Q_EVENTS] = { "INSERT INTO outbox (topic, aggregate_id, payload) "
		       "SELECT 'ProductUpdated', id, JSON_OBJECT('id', id, 'reason', ?) "
		       "FROM products WHERE seller_id = ? AND status = ?", 0 },
	[Q_PRODUCTS_MOVE] = { "UPDATE products SET status = ? WHERE seller_id = ? AND status = ?", 0 },
};

void sellers_admin_init(void)
{
	db_register(sql, Q_COUNT);
}

enum err h_admin_sellers(struct ctx *c)
{
	json_t *m = session_form_page(c, "admin_sellers", "Sellers", 200), *list;
	const char *q = ctx_str(c, "q");
	struct db_res *r = NULL;
	enum err e;

	if (!m)
		return E_NOMEM;
	q = q ? db_like_escape(c->a, q) : "";
	if ((e = db_exec(c->db, c->a, &sql[Q_SELLERS], &r, "sss", q, q, q)))
		return e;
	list = json_array();
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:s}",
			"id", (json_int_t)db_int(r, i, 0), "slug", db_cell(r, i, 1),
			"displayName", db_cell(r, i, 2), "status", db_cell(r, i, 3),
			"email", db_cell(r, i, 4), "date", db_cell(r, i, 5),
			"items", (json_int_t)db_int(r, i, 6), "listed", (json_int_t)db_int(r, i, 7),
			"isActive", !strcmp(db_cell(r, i, 3), "active"),
			"action", arena_printf(c->a, "/admin/sellers/%s", db_cell(r, i, 0))));
	json_object_set_new(m, "sellers", list);
	if (ctx_str(c, "q"))
		json_object_set_new(m, "q", json_string(ctx_str(c, "q")));
	return E_OK;
}

struct suspend_tx {
	struct arena *a;
	int64_t id;
	int suspend;
	uint64_t moved;
	const char *name;
};

static enum err suspend_tx(struct db *db, void *p)
{
	struct suspend_tx *t = p;
	const char *from = t->suspend ? "active" : "suspended";
	const char *to = t->suspend ? "suspended" : "active";
	struct db_res *r = NULL;
	enum err e;

	t->moved = 0;
	if ((e = db_exec(db, t->a, &sql[Q_SELLER_LOCK], &r, "i", t->id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	t->name = db_cell(r, 0, 1);
	if (!strcmp(db_cell(r, 0, 0), to))
		return E_OK;	/* already so: a repeated click changes nothing */
	if ((e = db_exec(db, t->a, &sql[Q_SELLER_STATUS], NULL, "si", to, t->id)) ||
	    (e = db_exec(db, t->a, &sql[Q_EVENTS], NULL, "sis",
			 t->suspend ? "seller suspended" : "seller reinstated", t->id, from)) ||
	    (e = db_exec(db, t->a, &sql[Q_PRODUCTS_MOVE], NULL, "sis", to, t->id, from)))
		return e;
	t->moved = db_affected(db);
	return E_OK;
}

/* POST /admin/sellers/{id} with decision=suspend|reinstate. */
enum err h_admin_seller_status(struct ctx *c)
{
	const char *d = ctx_str(c, "decision"), *p = c->req->pathvar[0];
	struct suspend_tx t = { c->a, 0, 0, 0, NULL };
	enum err e;

	if (!p || parse_int64(p, strlen(p), 1, INT64_MAX, &t.id))
		return reply_error(c, 404, "There is no such seller.");
	if (strcmp(d, "suspend") && strcmp(d, "reinstate"))
		return reply_error(c, 400, "decision: must be suspend or reinstate");
	t.suspend = !strcmp(d, "suspend");
	e = db_tx(c->db, suspend_tx, &t);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such seller.");
	if (e)
		return e;
	log_info("admin %lld %s seller %lld (%llu listings)", (long long)c->sess->uid,
		 t.suspend ? "suspended" : "reinstated", (long long)t.id, (unsigned long long)t.moved);
	session_flash(c, arena_printf(c->a, "%s is %s; %llu listing%s %s the storefront.", t.name,
				      t.suspend ? "suspended" : "active again",
				      (unsigned long long)t.moved, t.moved == 1 ? "" : "s",
				      t.suspend ? "left" : "returned to"));
	return reply_redirect(c, 303, "/admin/sellers");
}
