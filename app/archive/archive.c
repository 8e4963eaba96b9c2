/* The order archive: the batch that moves closed orders to the twin tables,
 * the job, the status and shopctl archive. See archive.h for the rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../inventory/inventory.h"
#include "../returns/returns.h"
#include "archive.h"

enum {
	Q_CANDIDATES, Q_LOCK, Q_OPEN_RETURNS, Q_PENDING, Q_RL_COPY, Q_RL_DROP, Q_REF_COPY, Q_REF_DROP,
	Q_SHIP_COPY, Q_SHIP_DROP, Q_EV_COPY, Q_EV_DROP, Q_LINE_COPY, Q_LINE_DROP, Q_ORD_COPY, Q_ORD_DROP,
	Q_LOG, Q_HOT_COUNTS, Q_ARCH_COUNTS, Q_OLDEST, Q_DUE, Q_LAST, Q_HAS,
	Q_CURSOR, Q_CURSOR_NOWAIT, Q_CURSOR_SET, Q_CURSOR_ANY, NQ
};

/* The closed order's row as it was read, compared under the lock. */
#define TS6(col) "DATE_FORMAT(" col ", '%Y-%m-%d %H:%i:%s.%f')"

static struct db_sql sql[NQ] = {
	/* A consistent read (no row locks) inside the batch's transaction,
	 * after the cursor's lock: what looks closed long enough, one status
	 * at a time after the keyset, in the order of the index (status,
	 * updated_at) of migration 135 (and the id it ends with). */
	/* What keeps an order hot (an open return, a pending refund or
	 * shipment, a live hold) is left out here already, so that such
	 * orders never fill every batch and starve the rest; the transaction
	 * checks it again under the lock. */
	[Q_CANDIDATES] = { "SELECT o.id, " TS6("o.updated_at") " FROM orders o FORCE INDEX (ix_orders_closed) "
			   "WHERE o.status = ? AND o.updated_at < NOW(3) - INTERVAL ? SECOND "
			   /* the keyset: after the last looked at, in the index's order */
			   "AND o.updated_at >= ? AND (o.updated_at > ? OR o.id > ?) "
			   "AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.order_id = o.id "
			   "AND r.status IN ('requested', 'approved', 'in_transit', 'received', 'refund_failed')) "
			   "AND NOT EXISTS (SELECT 1 FROM refunds f WHERE f.order_id = o.id AND f.status = 'pending') "
			   "AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.status = 'pending') "
			   "AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.order_id = o.id "
			   "AND h.state IN ('held', 'committed')) "
			   /* nor one delivered so lately that a return may still be
			    * asked: within the longest window there is (the default,
			    * returns_window_days, and every category's and seller's) */
			   "AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id "
			   "AND s.delivered_at > NOW(3) - INTERVAL GREATEST(?, "
			   "COALESCE((SELECT MAX(days) FROM return_windows), 0), "
			   "COALESCE((SELECT MAX(days) FROM seller_return_windows), 0)) DAY) "
			   "ORDER BY o.updated_at, o.id LIMIT ?", 0 },
	/* The batches' one lock and their position (migration 158): the job
	 * skips its round when another batch holds it, shopctl waits. */
	[Q_CURSOR] = { "SELECT status_no, after_ts, after_id FROM archive_cursor WHERE name = 'orders' FOR UPDATE", 0 },
	[Q_CURSOR_NOWAIT] = { "SELECT status_no, after_ts, after_id FROM archive_cursor WHERE name = 'orders' "
			      "FOR UPDATE SKIP LOCKED", 0 },
	[Q_CURSOR_SET] = { "UPDATE archive_cursor SET status_no = ?, after_ts = ?, after_id = ?, passes = passes + ? "
			   "WHERE name = 'orders'", 0 },
	[Q_CURSOR_ANY] = { "SELECT COUNT(*) FROM archive_cursor WHERE name = 'orders'", 0 },
	/* Locked only if it is still what was read: a row that changed since
	 * (its status or anything else, updated_at moves with every UPDATE)
	 * or that someone holds is not moved by this batch. */
	[Q_LOCK] = { "SELECT id FROM orders WHERE id = ? AND updated_at = ? AND status IN (" ARCHIVE_CLOSED ") "
		     "FOR UPDATE SKIP LOCKED", 0 },
	/* Locking reads: a return or refund being written for this order
	 * waits for the batch (and then finds the order gone from the hot
	 * tables), never slips in between the check and the move. */
	[Q_OPEN_RETURNS] = { "SELECT COUNT(*) FROM returns WHERE order_id = ? "
			     "AND status IN ('requested', 'approved', 'in_transit', 'received', 'refund_failed') FOR UPDATE", 0 },
	[Q_PENDING] = { "SELECT (SELECT COUNT(*) FROM refunds WHERE order_id = ? AND status = 'pending' FOR UPDATE) + "
			"(SELECT COUNT(*) FROM shipments WHERE order_id = ? AND status = 'pending' FOR UPDATE)", 0 },
	/* Children first (foreign keys); the twins are LIKE their hot tables
	 * and every column a migration adds to one is added to the other, so
	 * SELECT * carries everything. */
	[Q_RL_COPY] = { "INSERT INTO refund_lines_archive SELECT rl.* FROM refund_lines rl "
			"JOIN refunds r ON r.id = rl.refund_id WHERE r.order_id = ?", 0 },
	[Q_RL_DROP] = { "DELETE rl FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id WHERE r.order_id = ?", 0 },
	[Q_REF_COPY] = { "INSERT INTO refunds_archive SELECT * FROM refunds WHERE order_id = ?", 0 },
	[Q_REF_DROP] = { "DELETE FROM refunds WHERE order_id = ?", 0 },
	[Q_SHIP_COPY] = { "INSERT INTO shipments_archive SELECT * FROM shipments WHERE order_id = ?", 0 },
	[Q_SHIP_DROP] = { "DELETE FROM shipments WHERE order_id = ?", 0 },
	[Q_EV_COPY] = { "INSERT INTO order_events_archive SELECT * FROM order_events WHERE order_id = ?", 0 },
	[Q_EV_DROP] = { "DELETE FROM order_events WHERE order_id = ?", 0 },
	[Q_LINE_COPY] = { "INSERT INTO order_lines_archive SELECT * FROM order_lines WHERE order_id = ?", 0 },
	[Q_LINE_DROP] = { "DELETE FROM order_lines WHERE order_id = ?", 0 },
	[Q_ORD_COPY] = { "INSERT INTO orders_archive SELECT * FROM orders WHERE id = ?", 0 },
	[Q_ORD_DROP] = { "DELETE FROM orders WHERE id = ?", 0 },
	[Q_LOG] = { "INSERT INTO archive_batches (moved, skipped, first_order, last_order, actor, ms) "
		    "VALUES (?, ?, NULLIF(?, 0), NULLIF(?, 0), ?, ?)", 0 },
	[Q_HOT_COUNTS] = { "SELECT status, COUNT(*), " TS6("MIN(updated_at)") " FROM orders GROUP BY status ORDER BY status", 0 },
	[Q_ARCH_COUNTS] = { "SELECT status, COUNT(*) FROM orders_archive GROUP BY status ORDER BY status", 0 },
	[Q_OLDEST] = { "SELECT id, status, " TS6("updated_at") " FROM orders WHERE status = ? AND updated_at = ? LIMIT 1", 0 },
	[Q_DUE] = { "SELECT COUNT(*) FROM orders WHERE status IN (" ARCHIVE_CLOSED ") "
		    "AND updated_at < NOW(3) - INTERVAL ? SECOND", 0 },
	[Q_LAST] = { "SELECT id, moved, skipped, first_order, last_order, actor, ms, "
		     "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') FROM archive_batches ORDER BY id DESC LIMIT 1", 0 },
	[Q_HAS] = { "SELECT 1 FROM orders_archive WHERE id = ?", 0 },
};

static int64_t after_s = 180LL * 86400, batch_size = 200;

void archive_init(void)
{
	long long days = config_env_num("SHOP_ARCHIVE_AFTER_DAYS", 180, 0, 36500);

	db_register(sql, NQ);
	after_s = days * 86400;
	/* Test stacks and demos: the same rule in seconds (unset: the days). */
	after_s = config_env_num("SHOP_ARCHIVE_AFTER_S", after_s, 0, 36500LL * 86400);
	batch_size = config_env_num("SHOP_ARCHIVE_BATCH", 200, 1, 5000);
}

static const char *const closed_statuses[] = { "delivered", "cancelled", "refunded", "returned", "expired",
					       "payment_failed" };
#define NSTATUS ((int)(sizeof(closed_statuses) / sizeof(closed_statuses[0])))
#define START_TS "1000-01-01 00:00:00.000000"

struct batch {
	struct arena *a;
	const struct archive_opts *o;
	int64_t after, limit;
	struct archive_result *r;
};

/* One copy and its delete: the rows deleted must be the rows copied, or
 * something wrote the order's rows meanwhile and the batch rolls back. */
static enum err pair(struct db *db, struct arena *a, int copy, int drop, int64_t id)
{
	uint64_t n;
	enum err e;

	if ((e = db_exec(db, a, &sql[copy], NULL, "i", id)))
		return e;
	n = db_affected(db);
	if ((e = db_exec(db, a, &sql[drop], NULL, "i", id)))
		return e;
	if (db_affected(db) != n) {
		log_warn("archive: order %lld: %llu rows copied, %llu deleted (%s); the batch rolls back",
			 (long long)id, (unsigned long long)n, (unsigned long long)db_affected(db), sql[copy].sql);
		return E_CONFLICT;
	}
	return E_OK;
}

/* The candidates after the cursor, status after status, up to limit:
 * their ids and updated_at into ids/ts, the new cursor into *st, *ts, *id,
 * r->wrapped when every status was walked to its end (the cursor then
 * starts again). */
static enum err candidates(struct db *db, struct batch *b, int64_t **ids, const char ***tss, size_t *n, int64_t *st,
			   const char **ts, int64_t *id)
{
	struct arena *a = b->a;
	size_t cap = (size_t)b->limit;

	*n = 0;
	if (!(*ids = arena_alloc(a, sizeof(int64_t) * cap)) || !(*tss = arena_alloc(a, sizeof(char *) * cap)))
		return E_NOMEM;
	if (*st < 0 || *st >= NSTATUS)
		*st = 0;
	if (!**ts)
		*ts = START_TS;
	while (*n < cap) {
		struct db_res *c = NULL;
		int64_t need = (int64_t)(cap - *n);
		enum err e = db_exec(db, a, &sql[Q_CANDIDATES], &c, "sissiii", closed_statuses[*st], b->after, *ts, *ts,
				     *id, returns_window_days(), need);

		if (e)
			return e;
		for (size_t i = 0; i < c->nrows; i++) {
			(*ids)[*n] = db_int(c, i, 0);
			(*tss)[*n] = db_cell(c, i, 1);
			(*n)++;
		}
		if ((int64_t)c->nrows == need) {
			*ts = db_cell(c, c->nrows - 1, 1);
			*id = db_int(c, c->nrows - 1, 0);
			break;
		}
		/* This status is walked to its end: the next one from its start. */
		*ts = START_TS;
		*id = 0;
		if (++*st == NSTATUS) {
			*st = 0;
			b->r->wrapped = 1;
			break;
		}
	}
	return E_OK;
}

static enum err tx_batch(struct db *db, void *p)
{
	struct batch *b = p;
	struct arena *a = b->a;
	struct archive_result *r = b->r;
	struct db_res *cur = NULL;
	int64_t *ids, st, cid;
	const char **tss, *cts;
	size_t n;
	enum err e;

	/* db_tx runs this again after a deadlock: count afresh. */
	memset(r, 0, sizeof(*r));
	if ((e = db_exec(db, a, &sql[b->o && b->o->nowait ? Q_CURSOR_NOWAIT : Q_CURSOR], &cur, "")))
		return e;
	if (!cur->nrows) {
		/* Held by another batch (the job does not wait), or the row
		 * is missing (a database before migration 158). */
		if ((e = db_exec(db, a, &sql[Q_CURSOR_ANY], &cur, "")))
			return e;
		if (db_int(cur, 0, 0) > 0) {
			r->busy = 1;
			return E_OK;
		}
		return E_INTERNAL;
	}
	st = db_int(cur, 0, 0);
	cts = db_cell(cur, 0, 1) ? db_cell(cur, 0, 1) : "";
	cid = db_int(cur, 0, 2);
	r->from_start = st == 0 && cid == 0 && (!*cts || !strcmp(cts, START_TS));
	if ((e = candidates(db, b, &ids, &tss, &n, &st, &cts, &cid)))
		return e;
	r->candidates = (int64_t)n;
	if ((e = db_exec(db, a, &sql[Q_CURSOR_SET], NULL, "isii", st, cts, cid, (int64_t)r->wrapped)))
		return e;
	if (n && b->o && b->o->between)
		b->o->between(b->o->between_arg);
	for (size_t i = 0; i < n; i++) {
		int64_t id = ids[i], holds = 0;
		struct db_res *x = NULL;

		if ((e = db_exec(db, a, &sql[Q_LOCK], &x, "is", id, tss[i])))
			return e;
		if (!x->nrows) {
			r->skipped++;	/* changed meanwhile, or locked by someone */
			continue;
		}
		if ((e = db_exec(db, a, &sql[Q_OPEN_RETURNS], &x, "i", id)))
			return e;
		if (db_int(x, 0, 0) > 0) {
			r->skipped++;
			continue;
		}
		if ((e = db_exec(db, a, &sql[Q_PENDING], &x, "ii", id, id)))
			return e;
		if (db_int(x, 0, 0) > 0) {
			r->skipped++;
			continue;
		}
		/* A line that may still be returned keeps the order where a
		 * return can be asked of it (and its page offers it). */
		{
			int open = 0;

			if ((e = returns_window_open(db, a, id, &open)))
				return e;
			if (open) {
				r->skipped++;
				continue;
			}
		}
		/* Checks before it writes: a live hold leaves nothing written. */
		e = inventory_archive_holds(db, a, id, &holds);
		if (e == E_CONFLICT) {
			r->skipped++;
			continue;
		}
		if (e ||
		    (e = pair(db, a, Q_RL_COPY, Q_RL_DROP, id)) ||
		    (e = pair(db, a, Q_REF_COPY, Q_REF_DROP, id)) ||
		    (e = pair(db, a, Q_SHIP_COPY, Q_SHIP_DROP, id)) ||
		    (e = pair(db, a, Q_EV_COPY, Q_EV_DROP, id)) ||
		    (e = pair(db, a, Q_LINE_COPY, Q_LINE_DROP, id)) ||
		    (e = pair(db, a, Q_ORD_COPY, Q_ORD_DROP, id)))
			return e;
		r->moved++;
		if (!r->first || id < r->first)
			r->first = id;
		if (id > r->last)
			r->last = id;
	}
	return E_OK;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum err archive_batch(struct db *db, struct arena *a, const struct archive_opts *o, struct archive_result *r)
{
	int64_t t0 = now_ms(), after = o && o->after_s >= 0 ? o->after_s : after_s;
	int64_t limit = o && o->limit > 0 ? o->limit : batch_size;
	struct batch b = { a, o, after, limit, r };
	enum err e;

	memset(r, 0, sizeof(*r));
	if ((e = db_tx(db, tx_batch, &b))) {
		log_warn("archive: a batch rolled back: %s", err_str(e));
		memset(r, 0, sizeof(*r));
		return e;
	}
	if ((r->moved || r->skipped) &&
	    db_exec(db, a, &sql[Q_LOG], NULL, "iiiisi", r->moved, r->skipped, r->first, r->last,
		    o && o->actor ? o->actor : "job", now_ms() - t0))
		log_warn("archive: the batch could not be recorded: %s", db_error(db));
	if (r->moved || r->skipped)
		log_info("archive: %lld orders moved (%lld to %lld), %lld skipped, %lld ms", (long long)r->moved,
			 (long long)r->first, (long long)r->last, (long long)r->skipped, (long long)(now_ms() - t0));
	return E_OK;
}

int archive_job(struct db *db, struct kv *kv, struct arena *a)
{
	struct archive_opts o = { -1, 0, "job", NULL, NULL, 1 };
	struct archive_result r;
	enum err e;

	(void)kv;
	e = archive_batch(db, a, &o, &r);
	if (e == E_UNAVAIL || e == E_DB)
		return -1;
	if (e)
		return 0;	/* logged; the next round tries again */
	/* A full batch: there may be more after it (the cursor moved past
	 * what it skipped, so another round is not the same round). A walk
	 * that reached its end, or another batch running, waits. */
	return r.candidates >= batch_size && !r.wrapped && !r.busy ? 1 : 0;
}

int archive_has(struct db *db, struct arena *a, int64_t order_id)
{
	struct db_res *r = NULL;

	return !db_exec(db, a, &sql[Q_HAS], &r, "i", order_id) && r->nrows > 0;
}

static int closed(const char *s)
{
	static const char *const c[] = { "delivered", "cancelled", "refunded", "returned", "expired", "payment_failed" };

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (!strcmp(c[i], s))
			return 1;
	return 0;
}

enum err archive_status(struct db *db, struct arena *a, json_t **out)
{
	struct db_res *hot = NULL, *arch = NULL, *due = NULL, *last = NULL, *old = NULL;
	json_t *j, *hj, *aj;
	const char *ost = NULL, *ots = NULL;
	enum err e;

	*out = NULL;
	if ((e = db_exec(db, a, &sql[Q_HOT_COUNTS], &hot, "")) ||
	    (e = db_exec(db, a, &sql[Q_ARCH_COUNTS], &arch, "")) ||
	    (e = db_exec(db, a, &sql[Q_DUE], &due, "i", after_s)) ||
	    (e = db_exec(db, a, &sql[Q_LAST], &last, "")))
		return e;
	j = json_object();
	hj = json_object();
	aj = json_object();
	for (size_t i = 0; i < hot->nrows; i++) {
		json_object_set_new(hj, db_cell(hot, i, 0), json_integer(db_int(hot, i, 1)));
		if (closed(db_cell(hot, i, 0)) && (!ots || strcmp(db_cell(hot, i, 2), ots) < 0)) {
			ots = db_cell(hot, i, 2);
			ost = db_cell(hot, i, 0);
		}
	}
	for (size_t i = 0; i < arch->nrows; i++)
		json_object_set_new(aj, db_cell(arch, i, 0), json_integer(db_int(arch, i, 1)));
	json_object_set_new(j, "hot", hj);
	json_object_set_new(j, "archived", aj);
	json_object_set_new(j, "due", json_integer(db_int(due, 0, 0)));
	json_object_set_new(j, "afterSeconds", json_integer(after_s));
	json_object_set_new(j, "batch", json_integer(batch_size));
	if (ost && (e = db_exec(db, a, &sql[Q_OLDEST], &old, "ss", ost, ots)) == E_OK && old->nrows)
		json_object_set_new(j, "oldestClosedHot", json_pack("{s:I, s:s, s:s}", "id",
			(json_int_t)db_int(old, 0, 0), "status", db_cell(old, 0, 1), "lastChange", db_cell(old, 0, 2)));
	else
		json_object_set_new(j, "oldestClosedHot", json_null());
	if (last->nrows)
		json_object_set_new(j, "lastBatch", json_pack("{s:I, s:I, s:I, s:I, s:I, s:s, s:I, s:s}",
			"id", (json_int_t)db_int(last, 0, 0), "moved", (json_int_t)db_int(last, 0, 1),
			"skipped", (json_int_t)db_int(last, 0, 2), "firstOrder", (json_int_t)db_int(last, 0, 3),
			"lastOrder", (json_int_t)db_int(last, 0, 4), "actor", db_cell(last, 0, 5),
			"ms", (json_int_t)db_int(last, 0, 6), "at", db_cell(last, 0, 7)));
	else
		json_object_set_new(j, "lastBatch", json_null());
	*out = j;
	return E_OK;
}

/* ---- shopctl archive ---- */

static int num_arg(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void print_status(const json_t *j)
{
	const char *k;
	json_t *v, *o = json_object_get(j, "oldestClosedHot"), *l = json_object_get(j, "lastBatch");
	long long th = 0, ta = 0;

	printf("%-16s %12s %12s\n", "status", "hot", "archived");
	json_object_foreach(json_object_get(j, "hot"), k, v) {
		long long n = json_integer_value(json_object_get(json_object_get(j, "archived"), k));

		printf("%-16s %12lld %12lld\n", k, (long long)json_integer_value(v), n);
		th += json_integer_value(v);
		ta += n;
	}
	json_object_foreach(json_object_get(j, "archived"), k, v)
		if (!json_object_get(json_object_get(j, "hot"), k)) {
			printf("%-16s %12d %12lld\n", k, 0, (long long)json_integer_value(v));
			ta += json_integer_value(v);
		}
	printf("%-16s %12lld %12lld\n", "total", th, ta);
	printf("due now: %lld closed orders unchanged for more than %lld s (batches of %lld)\n",
	       (long long)json_integer_value(json_object_get(j, "due")),
	       (long long)json_integer_value(json_object_get(j, "afterSeconds")),
	       (long long)json_integer_value(json_object_get(j, "batch")));
	if (json_is_object(o))
		printf("oldest closed hot order: %lld (%s, last changed %s)\n",
		       (long long)json_integer_value(json_object_get(o, "id")),
		       json_string_value(json_object_get(o, "status")), json_string_value(json_object_get(o, "lastChange")));
	else
		printf("oldest closed hot order: none\n");
	if (json_is_object(l))
		printf("last batch: %lld moved (orders %lld to %lld), %lld skipped, %lld ms, by %s at %s\n",
		       (long long)json_integer_value(json_object_get(l, "moved")),
		       (long long)json_integer_value(json_object_get(l, "firstOrder")),
		       (long long)json_integer_value(json_object_get(l, "lastOrder")),
		       (long long)json_integer_value(json_object_get(l, "skipped")),
		       (long long)json_integer_value(json_object_get(l, "ms")),
		       json_string_value(json_object_get(l, "actor")), json_string_value(json_object_get(l, "at")));
	else
		printf("last batch: none yet\n");
}

int archive_cmd(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	long long limit = 0, after = -1, v;
	struct db *db = NULL;
	struct arena *a = NULL;
	int json = 0, rc = 1;

	if (strcmp(what, "status") && strcmp(what, "run"))
		return 2;	/* usage (MODULE_EXIT_USAGE) */
	for (int k = 2; k < argc; k++) {
		if (!strcmp(argv[k], "--json") && !strcmp(what, "status")) {
			json = 1;
		} else if (!strcmp(argv[k], "--limit") && k + 1 < argc && !num_arg(argv[k + 1], 1, 1000000000, &v)) {
			limit = v;
			k++;
		} else if (!strcmp(argv[k], "--after-seconds") && k + 1 < argc &&
			   !num_arg(argv[k + 1], 0, 36500LL * 86400, &v)) {
			after = v;
			k++;
		} else {
			return 2;	/* usage (MODULE_EXIT_USAGE) */
		}
	}
	if (!(a = arena_new(1 << 20)))
		return 1;
	if (db_open(&db)) {
		fprintf(stderr, "shopctl archive: the database is not reachable\n");
		goto out;
	}
	if (!strcmp(what, "status")) {
		json_t *j = NULL;

		if (archive_status(db, a, &j)) {
			fprintf(stderr, "shopctl archive status: %s\n", db_error(db));
			goto out;
		}
		if (json) {
			char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

			printf("%s\n", s ? s : "{}");
			free(s);
		} else {
			print_status(j);
		}
		json_decref(j);
		rc = 0;
	} else {
		/* Batch after batch until --limit orders moved, or nothing is
		 * due (a batch of skipped orders only ends the run). */
		long long moved = 0, skipped = 0;
		struct archive_opts o = { after, 0, "shopctl", NULL, NULL, 0 };
		struct archive_result r;
		int walks = 0, fresh = -1;

		/* The batches start where the last one (the job's or another
		 * run's) stopped: until every closed order was looked at once,
		 * i.e. the end of the walk reached twice (the first may have
		 * started half-way). Each batch waits for the job's. */
		for (;;) {
			o.limit = limit && limit - moved < batch_size ? limit - moved : batch_size;
			if (archive_batch(db, a, &o, &r)) {
				fprintf(stderr, "shopctl archive run: a batch failed (%s); %lld orders moved before it\n",
					db_error(db), moved);
				goto out;
			}
			moved += r.moved;
			skipped += r.skipped;
			arena_reset(a);
			if (limit && moved >= limit)
				break;
			if (fresh < 0)
				fresh = r.from_start;
			if (r.wrapped && (++walks == 2 || fresh))
				break;
		}
		printf("archive: %lld orders moved, %lld skipped (changed meanwhile, open return, pending refund "
		       "or shipment, live hold)\n", moved, skipped);
		rc = 0;
	}
out:
	if (db)
		db_close(db);
	arena_destroy(a);
	return rc;
}
