/* Hot-SKU stock: see shards.h (the sale's side) and shard_ops.h (the steps
 * holds.c takes). docs/design.md section 2 has the rules, section 10 the
 * design.
 *
 * Lock order, the shop's (docs/design.md section 2) extended: the product
 * row, then inventory rows by (sku, warehouse), then shard rows by (sale,
 * sku, shard). Whoever needs both an inventory row and a shard row (opening
 * and closing a sale, a hold given back, which may go to the inventory row
 * once the sale closed) locks the inventory row first; a checkout of a sale
 * line touches shard rows only.
 *
 * Within one SKU's shards a checkout holds one shard row at a time (a guarded
 * decrement of a shard the snapshot says can give the whole line), so
 * checkouts of one SKU lock different rows and never wait on each other in
 * a cycle. Only when no single shard can give the line (the last units of a
 * sale) does it lock the SKU's shards in shard order; it may then hold the
 * one its first attempt touched, so two such checkouts can deadlock; InnoDB
 * says so at once and db_tx runs the checkout again. The rebalance and the
 * drain lock shards in shard order. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../catalog/catalog.h"
#include "../events/events.h"
#include "inventory.h"
#include "shard_ops.h"
#include "shards.h"

#define SHARDS_MAX 255	/* stock_shards.shard is a TINYINT UNSIGNED */

enum {
	Q_SH_EXIST, Q_SH_INV_LOCK, Q_SH_INV_TAKE, Q_SH_INS, Q_SH_PRODUCT, Q_SH_HINT, Q_SH_TAKE, Q_SH_LOCK_ALL,
	Q_SH_COMMIT, Q_SH_BACK_OPEN, Q_SH_BACK_OPEN_C, Q_SH_BACK_SHUT, Q_SH_BACK_SHUT_C, Q_SH_INV_RETURN,
	Q_SH_SHIP, Q_SH_SALE_ROWS, Q_SH_INV_LOCK_ROW, Q_SH_SALE_LOCK, Q_SH_DRAIN, Q_SH_SHUT, Q_SH_SALE_PRODUCTS,
	Q_SH_UNITS, Q_SH_SHIPPED, Q_SH_GIVE, Q_SH_GET, Q_SH_LOCK_FREE, Q_SH_PRODUCT_LOCK, NQ
};

static struct db_sql sql[NQ] = {
	[Q_SH_EXIST] = { "SELECT COUNT(*), COALESCE(SUM(available + reserved + committed), 0) FROM stock_shards "
			 "WHERE sale_id = ? AND sku_id = ?", 0 },
	[Q_SH_INV_LOCK] = { "SELECT warehouse_id, available FROM inventory WHERE sku_id = ? "
			    "ORDER BY warehouse_id FOR UPDATE", 0 },
	/* FORCE INDEX (PRIMARY): see holds.c. Through ix_stock_shards_sku, an
	 * UPDATE of one shard locked the range of all the SKU's shards, and
	 * the shards served one checkout at a time. */
	[Q_SH_INV_TAKE] = { "UPDATE inventory FORCE INDEX (PRIMARY) SET available = available - ? "
			    "WHERE sku_id = ? AND warehouse_id = ? AND available >= ?", 0 },
	[Q_SH_INS] = { "INSERT INTO stock_shards (sale_id, sku_id, shard, warehouse_id, available) "
		       "VALUES (?, ?, ?, ?, ?)", 0 },
	[Q_SH_PRODUCT] = { "SELECT product_id FROM skus WHERE id = ?", 0 },
	/* The product row first, as a seller's stock edit locks it: opening
	 * and closing a sale rewrite the product's read model. */
	[Q_SH_PRODUCT_LOCK] = { "SELECT id FROM products WHERE id = ? FOR UPDATE", 0 },
	/* A hint (the transaction's snapshot, no lock): which shards could
	 * give a line. The guarded decrement decides. */
	[Q_SH_HINT] = { "SELECT shard, available, warehouse_id FROM stock_shards WHERE sale_id = ? AND sku_id = ? "
			"AND drained = 0 ORDER BY shard", 0 },
	[Q_SH_TAKE] = { "UPDATE stock_shards FORCE INDEX (PRIMARY) SET available = available - ?, reserved = reserved + ? "
			"WHERE sale_id = ? AND sku_id = ? AND shard = ? AND drained = 0 AND available >= ?", 0 },
	[Q_SH_LOCK_ALL] = { "SELECT shard, warehouse_id, available, drained FROM stock_shards "
			    "WHERE sale_id = ? AND sku_id = ? ORDER BY shard FOR UPDATE", 0 },
	/* The same, skipping rows other checkouts hold: never waits. */
	[Q_SH_LOCK_FREE] = { "SELECT shard, warehouse_id, available, drained FROM stock_shards "
			     "WHERE sale_id = ? AND sku_id = ? ORDER BY shard FOR UPDATE SKIP LOCKED", 0 },
	[Q_SH_COMMIT] = { "UPDATE stock_shards FORCE INDEX (PRIMARY) SET reserved = reserved - ?, committed = committed + ? "
			  "WHERE sale_id = ? AND sku_id = ? AND shard = ? AND reserved >= ?", 0 },
	[Q_SH_BACK_OPEN] = { "UPDATE stock_shards FORCE INDEX (PRIMARY) SET reserved = reserved - ?, available = available + ? "
			     "WHERE sale_id = ? AND sku_id = ? AND shard = ? AND drained = 0 AND reserved >= ?", 0 },
	[Q_SH_BACK_OPEN_C] = { "UPDATE stock_shards FORCE INDEX (PRIMARY) SET committed = committed - ?, available = available + ? "
			       "WHERE sale_id = ? AND sku_id = ? AND shard = ? AND drained = 0 AND committed >= ?", 0 },
	[Q_SH_BACK_SHUT] = { "UPDATE stock_shards FORCE INDEX (PRIMARY) SET reserved = reserved - ? "
			     "WHERE sale_id = ? AND sku_id = ? AND shard = ? AND drained = 1 AND reserved >= ?", 0 },
	[Q_SH_BACK_SHUT_C] = { "UPDATE stock_shards FORCE INDEX (PRIMARY) SET committed = committed - ? "
			       "WHERE sale_id = ? AND sku_id = ? AND shard = ? AND drained = 1 AND committed >= ?", 0 },
	[Q_SH_INV_RETURN] = { "UPDATE inventory FORCE INDEX (PRIMARY) SET available = available + ? WHERE sku_id = ? AND warehouse_id = ?", 0 },
	[Q_SH_SHIP] = { "UPDATE stock_shards FORCE INDEX (PRIMARY) SET committed = committed - ? "
			"WHERE sale_id = ? AND sku_id = ? AND shard = ? AND committed >= ?", 0 },
	/* The (sku, warehouse) rows a sale's shards came from: fixed once it
	 * opened, so a plain read. */
	[Q_SH_SALE_ROWS] = { "SELECT DISTINCT sku_id, warehouse_id FROM stock_shards WHERE sale_id = ? "
			     "ORDER BY sku_id, warehouse_id", 0 },
	[Q_SH_INV_LOCK_ROW] = { "SELECT available FROM inventory WHERE sku_id = ? AND warehouse_id = ? FOR UPDATE", 0 },
	[Q_SH_SALE_LOCK] = { "SELECT sku_id, shard, warehouse_id, available FROM stock_shards WHERE sale_id = ? "
			     "ORDER BY sku_id, shard FOR UPDATE", 0 },
	[Q_SH_DRAIN] = { "UPDATE stock_shards SET available = available - ? "
			 "WHERE sale_id = ? AND sku_id = ? AND shard = ? AND available >= ?", 0 },
	[Q_SH_SHUT] = { "UPDATE stock_shards SET drained = 1 WHERE sale_id = ?", 0 },
	[Q_SH_SALE_PRODUCTS] = { "SELECT DISTINCT s.product_id FROM stock_shards ss JOIN skus s ON s.id = ss.sku_id "
				 "WHERE ss.sale_id = ? ORDER BY s.product_id", 0 },
	[Q_SH_UNITS] = { "SELECT COALESCE(SUM(available), 0), COALESCE(SUM(reserved), 0), "
			 "COALESCE(SUM(committed), 0) FROM stock_shards WHERE sale_id = ? AND sku_id = ?", 0 },
	/* ARCHIVE: with the shipped holds of archived orders. */
	[Q_SH_SHIPPED] = { "SELECT COALESCE(SUM(quantity), 0) FROM (SELECT quantity FROM holds WHERE sale_id = ? "
			   "AND sku_id = ? AND state = 'shipped' UNION ALL SELECT quantity FROM holds_archive "
			   "WHERE sale_id = ? AND sku_id = ? AND state = 'shipped') h", 0 },
	[Q_SH_GIVE] = { "UPDATE stock_shards SET available = available - ? "
			"WHERE sale_id = ? AND sku_id = ? AND shard = ? AND available >= ?", 0 },
	[Q_SH_GET] = { "UPDATE stock_shards SET available = available + ? "
		       "WHERE sale_id = ? AND sku_id = ? AND shard = ?", 0 },
};

void inventory_shards_init(void)
{
	db_register(sql, NQ);
}

/* A per-thread xorshift: which shard a checkout tries first needs to be
 * spread, not secret. */
static unsigned pick(unsigned n)
{
	static __thread uint64_t s;

	if (!s)
		s = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)&s ^ 0x9e3779b97f4a7c15ull;
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return n ? (unsigned)(s % n) : 0;
}

/* ---- opening a sale ---- */

enum err inventory_sale_allocate(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id,
				 int64_t quantity, int nshards, int64_t *allocated)
{
	struct db_res *x = NULL, *inv = NULL, *p = NULL;
	int64_t *take, total = 0, need = quantity, pid;
	int next = 0;
	enum err e;

	*allocated = 0;
	if (quantity < 0 || nshards < 1 || nshards > 64)
		return E_INVAL;
	/* The product row, the inventory rows (the lock order), then: opened
	 * already (a job run again)? Then what it set aside then is the
	 * answer. */
	if ((e = db_exec(db, a, &sql[Q_SH_PRODUCT], &p, "i", sku_id)))
		return e;
	if (!p->nrows)
		return E_NOTFOUND;
	pid = db_int(p, 0, 0);
	if ((e = db_exec(db, a, &sql[Q_SH_PRODUCT_LOCK], NULL, "i", pid)) ||
	    (e = db_exec(db, a, &sql[Q_SH_INV_LOCK], &inv, "i", sku_id)) ||
	    (e = db_exec(db, a, &sql[Q_SH_EXIST], &x, "ii", sale_id, sku_id)))
		return e;
	if (db_int(x, 0, 0) > 0) {
		*allocated = db_int(x, 0, 1);
		return E_OK;
	}
	if (!(take = arena_alloc(a, sizeof(*take) * (inv->nrows + 1))))
		return E_NOMEM;
	for (size_t w = 0; w < inv->nrows; w++) {
		int64_t have = db_int(inv, w, 1);

		take[w] = have < need ? have : need;
		if (take[w] < 0)
			take[w] = 0;
		need -= take[w];
		total += take[w];
	}
	if (total == 0)
		return E_OK;	/* nothing on the shelf: a sale with no units */
	for (size_t w = 0; w < inv->nrows; w++) {
		int64_t wh = db_int(inv, w, 0), t = take[w], n, base, extra;

		if (t <= 0)
			continue;
		if ((e = db_exec(db, a, &sql[Q_SH_INV_TAKE], NULL, "iiii", t, sku_id, wh, t)))
			return e;
		if (db_affected(db) != 1)
			return E_INTERNAL;	/* locked above: cannot happen */
		/* This warehouse's share of the shards, at least one, never
		 * more than its units (no shard starts empty). */
		n = (nshards * t + total - 1) / total;
		if (n < 1)
			n = 1;
		if (n > t)
			n = t;
		if (next + n > SHARDS_MAX)
			n = SHARDS_MAX - next;
		if (n < 1)
			return E_INTERNAL;
		base = t / n;
		extra = t % n;
		for (int64_t i = 0; i < n; i++, next++)
			if ((e = db_exec(db, a, &sql[Q_SH_INS], NULL, "iiiii", sale_id, sku_id, (int64_t)next, wh,
					 base + (i < extra))))
				return e;
	}
	*allocated = total;
	if ((e = event_emit(db, a, EV_STOCK_CHANGED, pid, json_pack("{sIsIss}", "productId", (json_int_t)pid,
			    "saleId", (json_int_t)sale_id, "reason", "sale opened"))))
		return e;
	return catalog_refresh_digest(db, a, pid);
}

/* ---- a checkout's steps (shard_ops.h) ---- */

enum err shard_take(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id, int64_t quantity,
		    struct shard_take **takes, size_t *ntakes, int64_t *available)
{
	struct db_res *h = NULL, *l = NULL;
	struct shard_take *t;
	size_t cand = 0, k = 0;
	int *fits;
	int64_t sum = 0, need = quantity;
	enum err e;

	*takes = NULL;
	*ntakes = 0;
	*available = 0;
	if (quantity <= 0)
		return E_INVAL;
	if ((e = db_exec(db, a, &sql[Q_SH_HINT], &h, "ii", sale_id, sku_id)))
		return e;
	if (!(fits = arena_alloc(a, sizeof(*fits) * (h->nrows + 1))))
		return E_NOMEM;
	for (size_t i = 0; i < h->nrows; i++) {
		sum += db_int(h, i, 1);
		if (db_int(h, i, 1) >= quantity)
			fits[cand++] = (int)i;	/* row of h */
	}
	/* Sold out as of this transaction's snapshot (milliseconds old): told
	 * at once, with no lock, so the end of a sale does not queue every
	 * late checkout on the SKU's shards. */
	if (sum == 0)
		return E_CONFLICT;
	sum = 0;
	/* One attempt at a shard picked at random among those that seemed to
	 * have the whole line: almost every checkout ends here, holding one
	 * row that few others are after. */
	if (cand > 0) {
		size_t c = pick((unsigned)cand);
		int64_t s = db_int(h, (size_t)fits[c], 0);

		if ((e = db_exec(db, a, &sql[Q_SH_TAKE], NULL, "iiiiii", quantity, quantity, sale_id, sku_id, s,
				 quantity)))
			return e;
		if (db_affected(db) == 1) {
			if (!(t = arena_alloc(a, sizeof(*t))))
				return E_NOMEM;
			t->shard = (int)s;
			t->warehouse_id = db_int(h, (size_t)fits[c], 2);	/* fixed at allocation */
			t->units = quantity;
			*takes = t;
			*ntakes = 1;
			return E_OK;
		}
	}
	/* No single shard can give it (or the snapshot was stale). First the
	 * shards no other checkout holds (SKIP LOCKED: no wait, so no cycle
	 * with the row the attempt above may hold); when those are short and
	 * some were skipped, every shard of the SKU, locked in shard order
	 * (this wait can close a cycle with another checkout in the same
	 * place: InnoDB picks a victim at once and db_tx runs it again). */
	if ((e = db_exec(db, a, &sql[Q_SH_LOCK_FREE], &l, "ii", sale_id, sku_id)))
		return e;
	sum = 0;
	for (size_t i = 0; i < l->nrows; i++)
		if (!db_int(l, i, 3))
			sum += db_int(l, i, 2);
	if (sum < quantity && l->nrows < h->nrows) {
		if ((e = db_exec(db, a, &sql[Q_SH_LOCK_ALL], &l, "ii", sale_id, sku_id)))
			return e;
		sum = 0;
		for (size_t i = 0; i < l->nrows; i++)
			if (!db_int(l, i, 3))
				sum += db_int(l, i, 2);
	}
	*available = sum;
	if (sum < quantity)
		return E_CONFLICT;
	if (!(t = arena_alloc(a, sizeof(*t) * (l->nrows + 1))))
		return E_NOMEM;
	for (size_t i = 0; i < l->nrows && need > 0; i++) {
		int64_t s = db_int(l, i, 0), have = db_int(l, i, 2), q = have < need ? have : need;

		if (db_int(l, i, 3) || q <= 0)
			continue;
		if ((e = db_exec(db, a, &sql[Q_SH_TAKE], NULL, "iiiiii", q, q, sale_id, sku_id, s, q)))
			return e;
		if (db_affected(db) != 1)
			return E_INTERNAL;	/* locked above: cannot happen */
		t[k].shard = (int)s;
		t[k].warehouse_id = db_int(l, i, 1);
		t[k++].units = q;
		need -= q;
	}
	*takes = t;
	*ntakes = k;
	return E_OK;
}

enum err shard_commit(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id, int shard, int64_t q)
{
	enum err e = db_exec(db, a, &sql[Q_SH_COMMIT], NULL, "iiiiii", q, q, sale_id, sku_id, (int64_t)shard, q);

	if (!e && db_affected(db) != 1)
		return E_INTERNAL;
	return e;
}

enum err shard_give_back(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id, int shard,
			 int64_t warehouse_id, int64_t q, int committed, int *to_row)
{
	enum err e;

	*to_row = 0;
	/* The sale still open: back into the shard, for the next shopper of
	 * the sale. The drained flag is read by the guarded update itself. */
	if ((e = db_exec(db, a, &sql[committed ? Q_SH_BACK_OPEN_C : Q_SH_BACK_OPEN], NULL, "iiiiii", q, q, sale_id,
			 sku_id, (int64_t)shard, q)))
		return e;
	if (db_affected(db) == 1)
		return E_OK;
	/* Closed (the row is ours now): the units go back on the shelf. */
	if ((e = db_exec(db, a, &sql[committed ? Q_SH_BACK_SHUT_C : Q_SH_BACK_SHUT], NULL, "iiiii", q, sale_id,
			 sku_id, (int64_t)shard, q)))
		return e;
	if (db_affected(db) != 1)
		return E_INTERNAL;	/* the shard does not cover the hold */
	if ((e = db_exec(db, a, &sql[Q_SH_INV_RETURN], NULL, "iii", q, sku_id, warehouse_id)))
		return e;
	if (db_affected(db) != 1)
		return E_INTERNAL;
	*to_row = 1;
	return E_OK;
}

enum err shard_ship(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id, int shard, int64_t q)
{
	enum err e = db_exec(db, a, &sql[Q_SH_SHIP], NULL, "iiiii", q, sale_id, sku_id, (int64_t)shard, q);

	if (!e && db_affected(db) != 1)
		return E_CONFLICT;
	return e;
}

/* ---- closing a sale ---- */

enum err inventory_sale_drain(struct db *db, struct arena *a, int64_t sale_id, int64_t *units)
{
	struct db_res *rows = NULL, *sh = NULL, *p = NULL;
	enum err e;

	*units = 0;
	/* The products, the inventory rows, then the shards (the lock order);
	 * which ones is fixed since the sale opened: plain reads. */
	if ((e = db_exec(db, a, &sql[Q_SH_SALE_PRODUCTS], &p, "i", sale_id)) ||
	    (e = db_exec(db, a, &sql[Q_SH_SALE_ROWS], &rows, "i", sale_id)))
		return e;
	for (size_t i = 0; i < p->nrows; i++)
		if ((e = db_exec(db, a, &sql[Q_SH_PRODUCT_LOCK], NULL, "i", db_int(p, i, 0))))
			return e;
	for (size_t i = 0; i < rows->nrows; i++) {
		struct db_res *r = NULL;

		if ((e = db_exec(db, a, &sql[Q_SH_INV_LOCK_ROW], &r, "ii", db_int(rows, i, 0), db_int(rows, i, 1))))
			return e;
		if (!r->nrows)
			return E_INTERNAL;
	}
	if ((e = db_exec(db, a, &sql[Q_SH_SALE_LOCK], &sh, "i", sale_id)))
		return e;
	for (size_t i = 0; i < sh->nrows; i++) {
		int64_t sku = db_int(sh, i, 0), shard = db_int(sh, i, 1), wh = db_int(sh, i, 2), q = db_int(sh, i, 3);

		if (q <= 0)
			continue;
		if ((e = db_exec(db, a, &sql[Q_SH_DRAIN], NULL, "iiiii", q, sale_id, sku, shard, q)))
			return e;
		if (db_affected(db) != 1)
			return E_INTERNAL;	/* locked above */
		if ((e = db_exec(db, a, &sql[Q_SH_INV_RETURN], NULL, "iii", q, sku, wh)))
			return e;
		if (db_affected(db) != 1)
			return E_INTERNAL;
		*units += q;
	}
	/* Closed: no more holds, and units given back later go to the rows. */
	if ((e = db_exec(db, a, &sql[Q_SH_SHUT], NULL, "i", sale_id)))
		return e;
	for (size_t i = 0; i < p->nrows; i++) {
		int64_t pid = db_int(p, i, 0);

		if ((e = event_emit(db, a, EV_STOCK_CHANGED, pid, json_pack("{sIsIss}", "productId", (json_int_t)pid,
				    "saleId", (json_int_t)sale_id, "reason", "sale closed"))) ||
		    (e = catalog_refresh_digest(db, a, pid)))
			return e;
	}
	return E_OK;
}

/* ---- reads ---- */

enum err inventory_sale_units(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id,
			      struct sale_units *out)
{
	struct db_res *u = NULL, *s = NULL;
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = db_exec(db, a, &sql[Q_SH_UNITS], &u, "ii", sale_id, sku_id)) ||
	    (e = db_exec(db, a, &sql[Q_SH_SHIPPED], &s, "iiii", sale_id, sku_id, sale_id, sku_id)))
		return e;
	out->available = db_int(u, 0, 0);
	out->reserved = db_int(u, 0, 1);
	out->committed = db_int(u, 0, 2);
	out->shipped = db_int(s, 0, 0);
	return E_OK;
}

/* ---- rebalancing ---- */

struct rebal {
	struct arena *a;
	int64_t sale, sku, moved;
};

/* Within each warehouse (units never change warehouse: conservation is per
 * SKU and warehouse), when a shard ran dry while another has two units or
 * more, the warehouse's units are spread evenly again: decrements first,
 * each guarded, then the increments, all on rows locked in shard order. */
static enum err tx_rebalance(struct db *db, void *p)
{
	struct rebal *rb = p;
	struct db_res *l = NULL;
	int64_t *target;
	enum err e;

	rb->moved = 0;
	if ((e = db_exec(db, rb->a, &sql[Q_SH_LOCK_ALL], &l, "ii", rb->sale, rb->sku)))
		return e;
	if (!(target = arena_alloc(rb->a, sizeof(*target) * (l->nrows + 1))))
		return E_NOMEM;
	for (size_t i = 0; i < l->nrows; i++)
		target[i] = db_int(l, i, 2);
	for (size_t i = 0; i < l->nrows; i++) {
		int64_t wh = db_int(l, i, 1), sum = 0, n = 0, k = 0, most = 0;
		int dry = 0, seen = 0;

		if (db_int(l, i, 3))
			return E_OK;	/* drained: the sale is over */
		for (size_t j = 0; j < i; j++)
			if (db_int(l, j, 1) == wh)
				seen = 1;
		if (seen)
			continue;	/* this warehouse was done */
		for (size_t j = i; j < l->nrows; j++) {
			int64_t av = db_int(l, j, 2);

			if (db_int(l, j, 1) != wh)
				continue;
			sum += av;
			n++;
			dry |= av == 0;
			if (av > most)
				most = av;
		}
		if (!dry || most < 2)
			continue;	/* nothing to even out */
		for (size_t j = i; j < l->nrows; j++)
			if (db_int(l, j, 1) == wh)
				target[j] = sum / n + (k++ < sum % n);
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < l->nrows; i++) {
			int64_t d = db_int(l, i, 2) - target[i], shard = db_int(l, i, 0);

			if (pass == 0 && d > 0) {
				if ((e = db_exec(db, rb->a, &sql[Q_SH_GIVE], NULL, "iiiii", d, rb->sale, rb->sku, shard, d)))
					return e;
				if (db_affected(db) != 1)
					return E_INTERNAL;	/* locked above */
				rb->moved += d;
			} else if (pass == 1 && d < 0) {
				if ((e = db_exec(db, rb->a, &sql[Q_SH_GET], NULL, "iiii", -d, rb->sale, rb->sku, shard)))
					return e;
				if (db_affected(db) != 1)
					return E_INTERNAL;
			}
		}
	return E_OK;
}

enum err inventory_sale_rebalance(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id,
				  int64_t *moved)
{
	struct rebal rb = { a, sale_id, sku_id, 0 };
	enum err e = db_tx(db, tx_rebalance, &rb);

	*moved = e ? 0 : rb.moved;
	return e;
}
