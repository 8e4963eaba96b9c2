/* The admin's view of sellers: every seller with its listings, and
 * suspension. A suspended seller's listings leave the storefront at once and
 * come back as they were on reinstatement:
 *
 *  - suspend: products 'active' -> 'suspended' (drafts and archived items stay
 *    as the seller left them; the seller can keep editing them, and an item
 *    the seller activates meanwhile is stored as 'suspended' by the item code);
 *  - reinstate: products 'suspended' -> 'active'.
 *
 * One transaction locks the seller row, writes one ProductUpdated event per
 * product it changes (app/events; the storefront cache, the category pages
 * and the search index follow the outbox, so the listings disappear within
 * the outbox follower's poll), then changes the products. The seller's open
 * orders are not touched: what was bought is still shipped.
 *
 * The pages (list, suspend/reinstate form) are in sellers_admin_pages.c. */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../events/events.h"
#include "../store/db.h"
#include "account.h"

enum {
	Q_SELLERS, Q_SELLER_LOCK, Q_SELLER_STATUS, Q_MOVING, Q_PRODUCTS_MOVE, Q_COUNT
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
	/* The products the move below changes, locked (a current read, like
	 * the UPDATE's), so there is exactly one event per changed product. */
	[Q_MOVING] = { "SELECT id FROM products WHERE seller_id = ? AND status = ? ORDER BY id FOR UPDATE", 0 },
	[Q_PRODUCTS_MOVE] = { "UPDATE products SET status = ? WHERE seller_id = ? AND status = ?", 0 },
};

void sellers_admin_init(void)
{
	db_register(sql, Q_COUNT);
}

enum err sellers_admin_list(struct db *db, struct arena *a, const char *q,
			    struct seller_row **out, size_t *n)
{
	struct db_res *r = NULL;
	struct seller_row *v;
	enum err e;

	*out = NULL;
	*n = 0;
	q = q ? db_like_escape(a, q) : "";
	if ((e = db_exec(db, a, &sql[Q_SELLERS], &r, "sss", q, q, q)))
		return e;
	if (!(v = arena_calloc(a, r->nrows + 1, sizeof(*v))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		v[i].id = db_int(r, i, 0);
		v[i].id_text = db_cell(r, i, 0);
		v[i].slug = db_cell(r, i, 1);
		v[i].display_name = db_cell(r, i, 2);
		v[i].status = db_cell(r, i, 3);
		v[i].email = db_cell(r, i, 4);
		v[i].date = db_cell(r, i, 5);
		v[i].items = db_int(r, i, 6);
		v[i].listed = db_int(r, i, 7);
	}
	*out = v;
	*n = r->nrows;
	return E_OK;
}

struct suspend_tx {
	struct arena *a;
	int64_t id;
	int suspend;
	uint64_t moved;
	const char *name;
};

/* One ProductUpdated event per product about to move, in one statement. */
static enum err emit_moving(struct db *db, struct arena *a, int64_t seller, const char *from,
			    const char *reason)
{
	struct db_res *r = NULL;
	int64_t *ids;
	json_t **payloads;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_MOVING], &r, "is", seller, from)))
		return e;
	if (!r->nrows)
		return E_OK;
	ids = arena_calloc(a, r->nrows, sizeof(*ids));
	payloads = arena_calloc(a, r->nrows, sizeof(*payloads));
	if (!ids || !payloads)
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		ids[i] = db_int(r, i, 0);
		payloads[i] = json_pack("{s:I, s:s}", "id", (json_int_t)ids[i], "reason", reason);
	}
	return event_emit_many(db, a, EV_PRODUCT_UPDATED, r->nrows, ids, payloads);
}

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
	    (e = emit_moving(db, t->a, t->id, from, t->suspend ? "seller suspended" : "seller reinstated")) ||
	    (e = db_exec(db, t->a, &sql[Q_PRODUCTS_MOVE], NULL, "sis", to, t->id, from)))
		return e;
	t->moved = db_affected(db);
	return E_OK;
}

enum err sellers_admin_set_status(struct db *db, struct arena *a, int64_t seller_id, int suspend,
				  uint64_t *moved, const char **name)
{
	struct suspend_tx t = { a, seller_id, suspend, 0, NULL };
	enum err e = db_tx(db, suspend_tx, &t);

	*moved = t.moved;
	*name = t.name;
	return e;
}
