/* Stock adjustments (see inventory.h): the one function every writer of
 * `available` outside an order goes through, and the reads the seller's
 * stock page and API (inventory_pages.c) are built on. Units of orders are
 * holds.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../catalog/catalog.h"
#include "../events/events.h"
#include "inventory.h"

#define MOVEMENTS_SHOWN 50

enum {
	Q_SKU_OWNED, Q_PRODUCT_LOCK, Q_PRODUCT_SKU_LOCK, Q_INV_ENSURE, Q_INV_LOCK, Q_INV_SET, Q_MOVE,
	Q_WAREHOUSE, Q_PRODUCT, Q_ROWS, Q_MOVES, Q_RESERVED_LOCK, Q_HELD_SUM, Q_UNRESERVE, Q_OPEN_ROWS, Q_OPEN_MOVE, Q_SKU_HELD, Q_OPEN_ROWS_MANY, Q_OPEN_MOVES_MANY, NQ
};

static struct db_sql sql[NQ] = {
	/* Ownership is decided by the database: a SKU of another seller is
	 * simply not found. */
	[Q_SKU_OWNED] = { "SELECT s.id, s.product_id FROM skus s JOIN products p ON p.id = s.product_id "
			  "WHERE s.code = ? AND p.seller_id = ? AND (? = 0 OR p.id = ?)", 0 },
	/* The product row before any inventory row: the statements that keep
	 * the read model (products.stock_total, sku_digest) lock the product
	 * and then read its inventory, so taking them in the same order here
	 * cannot make a cycle with them; checkout never locks products. */
	[Q_PRODUCT_LOCK] = { "SELECT id FROM products WHERE id = ? AND seller_id = ? FOR UPDATE", 0 },
	[Q_PRODUCT_SKU_LOCK] = { "SELECT p.id FROM products p JOIN skus s ON s.product_id = p.id "
				 "WHERE s.id = ? AND p.id = ? AND p.seller_id = ? FOR UPDATE", 0 },
	[Q_INV_ENSURE] = { "INSERT INTO inventory (sku_id, warehouse_id) VALUES (?, ?) "
			   "ON DUPLICATE KEY UPDATE sku_id = sku_id", 0 },
	[Q_INV_LOCK] = { "SELECT available, reserved, committed FROM inventory "
			 "WHERE sku_id = ? AND warehouse_id = ? FOR UPDATE", 0 },
	/* FORCE INDEX (PRIMARY): see holds.c. */
	[Q_INV_SET] = { "UPDATE inventory FORCE INDEX (PRIMARY) SET available = ? WHERE sku_id = ? AND warehouse_id = ? "
			"AND available = ?", 0 },
	[Q_MOVE] = { "INSERT INTO stock_movements (sku_id, warehouse_id, seller_id, delta, available_after, "
		     "reason, actor) VALUES (?, ?, ?, ?, ?, ?, ?)", 0 },
	[Q_RESERVED_LOCK] = { "SELECT reserved FROM inventory WHERE sku_id = ? AND warehouse_id = ? FOR UPDATE", 0 },
	/* A locking read: the latest committed holds, not the snapshot's. */
	[Q_HELD_SUM] = { "SELECT COALESCE(SUM(quantity), 0) FROM holds WHERE sku_id = ? AND warehouse_id = ? "
			 "AND state = 'held' AND sale_id IS NULL LOCK IN SHARE MODE", 0 },
	[Q_UNRESERVE] = { "UPDATE inventory FORCE INDEX (PRIMARY) SET reserved = reserved - ?, available = available + ? "
			  "WHERE sku_id = ? AND warehouse_id = ? AND reserved >= ?", 0 },
	[Q_WAREHOUSE] = { "SELECT id FROM warehouses WHERE code = ?", 0 },
	/* A new SKU: a row in every warehouse; the initial quantity goes to
	 * warehouse 1. */
	[Q_OPEN_ROWS] = { "INSERT INTO inventory (sku_id, warehouse_id, available) "
			  "SELECT ?, w.id, IF(w.id = 1, ?, 0) FROM warehouses w", 0 },
	[Q_OPEN_MOVE] = { "INSERT INTO stock_movements (sku_id, warehouse_id, seller_id, delta, "
			  "available_after, reason, actor) VALUES (?, 1, ?, ?, ?, 'initial stock', ?)", 0 },
	[Q_SKU_HELD] = { "SELECT 1 FROM holds WHERE sku_id = ? LIMIT 1 LOCK IN SHARE MODE", 0 },
	/* The same for many new SKUs at once: [{"s": sku, "v": seller, "q": qty}, ...]. */
	[Q_OPEN_ROWS_MANY] = { "INSERT INTO inventory (sku_id, warehouse_id, available) "
			       "SELECT j.s, w.id, IF(w.id = 1, j.q, 0) FROM JSON_TABLE(?, '$[*]' COLUMNS "
			       "(s BIGINT UNSIGNED PATH '$.s', q INT PATH '$.q')) j CROSS JOIN warehouses w", 0 },
	[Q_OPEN_MOVES_MANY] = { "INSERT INTO stock_movements (sku_id, warehouse_id, seller_id, delta, "
				"available_after, reason, actor) SELECT j.s, 1, j.v, j.q, j.q, ?, ? FROM JSON_TABLE(?, "
				"'$[*]' COLUMNS (n FOR ORDINALITY, s BIGINT UNSIGNED PATH '$.s', v INT UNSIGNED PATH '$.v', "
				"q INT PATH '$.q')) j WHERE j.q > 0 ORDER BY j.n", 0 },
	[Q_PRODUCT] = { "SELECT id, title, slug, status FROM products WHERE id = ? AND seller_id = ?", 0 },
	/* Every SKU of the product in every warehouse, with zeros where no
	 * inventory row exists yet. */
	[Q_ROWS] = { "SELECT s.code, s.options, w.code, w.name, COALESCE(i.available, 0), "
		     "COALESCE(i.reserved, 0), COALESCE(i.committed, 0), s.status "
		     "FROM products p JOIN skus s ON s.product_id = p.id CROSS JOIN warehouses w "
		     "LEFT JOIN inventory i ON i.sku_id = s.id AND i.warehouse_id = w.id "
		     "WHERE p.id = ? AND p.seller_id = ? ORDER BY s.position, s.id, w.id", 0 },
	[Q_MOVES] = { "SELECT DATE_FORMAT(m.created_at, '%Y-%m-%dT%H:%i:%sZ'), s.code, w.code, m.delta, "
		      "m.available_after, m.reason, m.actor, "
		      "(SELECT u.name FROM users u WHERE m.actor LIKE 'user:%' "
		      "AND u.id = CAST(SUBSTRING(m.actor, 6) AS UNSIGNED)) "
		      "FROM skus s JOIN stock_movements m ON m.sku_id = s.id "
		      "JOIN warehouses w ON w.id = m.warehouse_id "
		      "WHERE s.product_id = ? AND m.seller_id = ? ORDER BY m.id DESC LIMIT ?", 0 },
};

void inventory_init(void)
{
	db_register(sql, NQ);
	inventory_holds_init();
	inventory_listing_init();
	inventory_archive_init();	/* ARCHIVE */
}

/* ---- the change ---- */

enum err inventory_product_changed(struct db *db, struct arena *a, int64_t product_id, const char *reason)
{
	enum err e;

	if ((e = catalog_refresh_stock(db, a, product_id)))	/* stock_total too */
		return e;
	return event_emit(db, a, EV_STOCK_CHANGED, product_id, json_pack("{sIss}", "productId", (json_int_t)product_id,
									    "reason", reason ? reason : ""));
}

enum err inventory_change_in_tx(struct db *db, struct arena *a, struct stock_change *ch)
{
	struct db_res *r = NULL;
	int64_t now, next;
	enum err e;

	ch->delta = 0;
	if (!ch->reason || !*ch->reason || strlen(ch->reason) > STOCK_REASON_MAX || !ch->actor)
		return E_INVAL;
	if (ch->sku_id > 0 && ch->product_id > 0) {
		if ((e = db_exec(db, a, &sql[Q_PRODUCT_SKU_LOCK], &r, "iii", ch->sku_id, ch->product_id,
				 ch->seller_id)))
			return e;
		if (!r->nrows)
			return E_NOTFOUND;
		ch->product_id_out = ch->product_id;
	} else {
		if ((e = db_exec(db, a, &sql[Q_SKU_OWNED], &r, "siii", ch->sku, ch->seller_id, ch->product_id,
				 ch->product_id)))
			return e;
		if (!r->nrows)
			return E_NOTFOUND;
		ch->sku_id = db_int(r, 0, 0);
		ch->product_id_out = db_int(r, 0, 1);
		if ((e = db_exec(db, a, &sql[Q_PRODUCT_LOCK], &r, "ii", ch->product_id_out, ch->seller_id)))
			return e;
		if (!r->nrows)
			return E_NOTFOUND;	/* moved to another seller since the first read */
	}
	if ((e = db_exec(db, a, &sql[Q_INV_ENSURE], NULL, "ii", ch->sku_id, ch->warehouse_id)))
		return db_errno(db) == 1452 ? E_NOTFOUND : e;	/* no such warehouse */
	if (db_affected(db) == 1) {
		/* A new row, locked by its insert: all zeros. */
		now = ch->reserved = ch->committed = 0;
	} else {
		if ((e = db_exec(db, a, &sql[Q_INV_LOCK], &r, "ii", ch->sku_id, ch->warehouse_id)))
			return e;
		if (!r->nrows)
			return E_INTERNAL;	/* ensured above, under the same lock */
		now = db_int(r, 0, 0);
		ch->reserved = db_int(r, 0, 1);
		ch->committed = db_int(r, 0, 2);
	}
	ch->before = ch->available = now;
	next = ch->is_set ? ch->value : now + ch->value;
	if (next < 0)
		return E_CONFLICT;	/* ch->available is what there is */
	if (next > STOCK_QTY_MAX)
		return E_INVAL;
	if (next == now)
		return E_OK;	/* nothing moved: no movement, no event */
	if ((e = db_exec(db, a, &sql[Q_INV_SET], NULL, "iiii", next, ch->sku_id, ch->warehouse_id, now)))
		return e;
	if (db_affected(db) != 1)
		return E_INTERNAL;	/* the row is locked: this cannot happen */
	ch->available = next;
	ch->delta = next - now;
	if ((e = db_exec(db, a, &sql[Q_MOVE], NULL, "iiiiiss", ch->sku_id, ch->warehouse_id, ch->seller_id,
			 ch->delta, next, ch->reason, ch->actor)))
		return e;
	if (ch->defer_read_model)
		return E_OK;
	return inventory_product_changed(db, a, ch->product_id_out, ch->reason);
}

struct tx_change {
	struct arena *a;
	struct stock_change *ch;
};

static enum err tx_change(struct db *db, void *p)
{
	struct tx_change *t = p;

	return inventory_change_in_tx(db, t->a, t->ch);
}

enum err inventory_change(struct db *db, struct arena *a, struct stock_change *ch)
{
	struct tx_change t = { a, ch };

	return db_tx(db, tx_change, &t);
}

struct unheld {
	struct arena *a;
	int64_t sku, wh, units, product;
};

static enum err tx_unheld(struct db *db, void *p)
{
	struct unheld *u = p;
	struct db_res *r = NULL, *h = NULL;
	int64_t extra;
	enum err e;

	u->units = 0;
	if ((e = db_exec(db, u->a, &sql[Q_RESERVED_LOCK], &r, "ii", u->sku, u->wh)) ||
	    (e = db_exec(db, u->a, &sql[Q_HELD_SUM], &h, "ii", u->sku, u->wh)))
		return e;
	if (!r->nrows || (extra = db_int(r, 0, 0) - db_int(h, 0, 0)) <= 0)
		return E_OK;	/* no row, or put right meanwhile */
	if ((e = db_exec(db, u->a, &sql[Q_UNRESERVE], NULL, "iiiii", extra, extra, u->sku, u->wh, extra)) ||
	    (e = inventory_sku_changed(db, u->a, u->sku, "reconciled: reservation without a hold", &u->product)))
		return e;
	u->units = extra;
	return E_OK;
}

enum err inventory_release_unheld(struct db *db, struct arena *a, int64_t sku_id, int64_t warehouse_id,
				  int64_t *units)
{
	struct unheld u = { a, sku_id, warehouse_id, 0, 0 };
	enum err e = db_tx(db, tx_unheld, &u);

	*units = e ? 0 : u.units;
	if (!e && u.units > 0)
		e = catalog_refresh_stock(db, a, u.product);	/* stock_total too */
	return e;
}

int64_t inventory_warehouse_id(struct db *db, struct arena *a, const char *code)
{
	struct db_res *r = NULL;

	if (!code || db_exec(db, a, &sql[Q_WAREHOUSE], &r, "s", code) || !r->nrows)
		return 0;
	return db_int(r, 0, 0);
}

/* ---- a SKU's life ---- */

enum err inventory_open_sku(struct db *db, struct arena *a, int64_t sku_id, int64_t seller_id, int64_t initial,
			    const char *actor)
{
	enum err e;

	if (initial < 0 || initial > STOCK_QTY_MAX || !actor)
		return E_INVAL;
	if ((e = db_exec(db, a, &sql[Q_OPEN_ROWS], NULL, "ii", sku_id, initial)))
		return e;
	if (initial == 0)
		return E_OK;
	return db_exec(db, a, &sql[Q_OPEN_MOVE], NULL, "iiiis", sku_id, seller_id, initial, initial, actor);
}

enum err inventory_open_skus(struct db *db, struct arena *a, const struct sku_open *skus, size_t n,
			     const char *reason, const char *actor)
{
	json_t *arr;
	char *text;
	const char *t;
	enum err e = E_OK;

	if (!n)
		return E_OK;
	if (!reason || !actor)
		return E_INVAL;
	if (!(arr = json_array()))
		return E_NOMEM;
	for (size_t i = 0; i < n && e == E_OK; i++) {
		if (skus[i].initial < 0 || skus[i].initial > STOCK_QTY_MAX)
			e = E_INVAL;
		else if (json_array_append_new(arr, json_pack("{sIsIsI}", "s", (json_int_t)skus[i].sku_id,
							      "v", (json_int_t)skus[i].seller_id,
							      "q", (json_int_t)skus[i].initial)))
			e = E_NOMEM;
	}
	text = e == E_OK ? json_dumps(arr, JSON_COMPACT) : NULL;
	json_decref(arr);
	if (e)
		return e;
	if (!text)
		return E_NOMEM;
	t = arena_strdup(a, text);
	free(text);
	if (!t)
		return E_NOMEM;
	if ((e = db_exec(db, a, &sql[Q_OPEN_ROWS_MANY], NULL, "s", t)))
		return e;
	return db_exec(db, a, &sql[Q_OPEN_MOVES_MANY], NULL, "sss", reason, actor, t);
}

enum err inventory_sku_held(struct db *db, struct arena *a, int64_t sku_id, int *held)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_SKU_HELD], &r, "i", sku_id);

	*held = !e && r->nrows > 0;
	return e;
}

/* ---- reads for the pages ---- */

enum err inventory_stock_view(struct db *db, struct arena *a, int64_t product_id, int64_t seller_id,
			      struct stock_view *v)
{
	enum err e;

	memset(v, 0, sizeof(*v));
	if ((e = db_exec(db, a, &sql[Q_PRODUCT], &v->product, "ii", product_id, seller_id)))
		return e;
	if (!v->product->nrows)
		return E_NOTFOUND;
	if ((e = db_exec(db, a, &sql[Q_ROWS], &v->rows, "ii", product_id, seller_id)) ||
	    (e = db_exec(db, a, &sql[Q_MOVES], &v->moves, "iii", product_id, seller_id, (int64_t)MOVEMENTS_SHOWN)))
		return e;
	return E_OK;
}

enum err inventory_product_owned(struct db *db, struct arena *a, int64_t product_id, int64_t seller_id)
{
	struct db_res *p = NULL;
	enum err e = db_exec(db, a, &sql[Q_PRODUCT], &p, "ii", product_id, seller_id);

	if (e)
		return e;
	return p->nrows ? E_OK : E_NOTFOUND;
}

enum err inventory_sku_owned(struct db *db, struct arena *a, const char *code, int64_t seller_id,
			     int64_t product_id)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_SKU_OWNED], &r, "siii", code ? code : "", seller_id, product_id, product_id);

	if (e)
		return e;
	return r->nrows ? E_OK : E_NOTFOUND;
}
