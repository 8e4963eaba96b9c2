/* ARCHIVE (issue 19): an order's finished holds move to holds_archive with
 * the order (app/archive). Here because only app/inventory writes `holds`;
 * see inventory.h. */
#include "../core/arena.h"
#include "../store/db.h"
#include "inventory.h"

enum { Q_LIVE, Q_COPY, Q_DROP, NQ };

static struct db_sql sql[NQ] = {
	/* A held or committed hold is units the inventory row counts as
	 * reserved or committed: it must stay where the ledger reads it. The
	 * rows are locked, so nothing changes them before they move. */
	[Q_LIVE] = { "SELECT COUNT(*), SUM(state IN ('held', 'committed')) FROM holds WHERE order_id = ? FOR UPDATE", 0 },
	/* The twin is LIKE holds, with every column a later migration adds to
	 * holds added to it too (migrations/130, 135). */
	[Q_COPY] = { "INSERT INTO holds_archive SELECT * FROM holds WHERE order_id = ?", 0 },
	[Q_DROP] = { "DELETE FROM holds WHERE order_id = ?", 0 },
};

void inventory_archive_init(void)
{
	db_register(sql, NQ);
}

enum err inventory_archive_holds(struct db *db, struct arena *a, int64_t order_id, int64_t *moved)
{
	struct db_res *r = NULL;
	int64_t n;
	enum err e;

	*moved = 0;
	if ((e = db_exec(db, a, &sql[Q_LIVE], &r, "i", order_id)))
		return e;
	n = db_int(r, 0, 0);
	if (db_int(r, 0, 1) > 0)
		return E_CONFLICT;
	if (!n)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_COPY], NULL, "i", order_id)))
		return e;
	if ((int64_t)db_affected(db) != n)
		return E_CONFLICT;
	if ((e = db_exec(db, a, &sql[Q_DROP], NULL, "i", order_id)))
		return e;
	if ((int64_t)db_affected(db) != n)
		return E_CONFLICT;
	*moved = n;
	return E_OK;
}
