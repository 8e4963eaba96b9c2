/* MariaDB access: one connection per worker, every statement prepared at
 * connect time from the per-module lists, transparent reconnect after a server
 * restart (statements are prepared again), deadlock retry for transactions.
 * All SQL is parameterized; there is no string-building API here. */
#ifndef STORE_DB_H
#define STORE_DB_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;

/* A module lists its statements in one array of these; slot is filled by
 * db_register(). */
struct db_sql {
	const char *sql;
	int slot;
};

/* A result: every cell is a NUL-terminated string in the request arena, or
 * NULL for SQL NULL. */
struct db_res {
	size_t nrows, ncols;
	char **cells;		/* row-major: cells[row * ncols + col] */
	unsigned long *lens;
};

/* Registers statements before db_open (process-wide, at start). */
void db_register(struct db_sql *defs, size_t n);

/* Connects using config; returns E_UNAVAIL when the server cannot be reached
 * (the handle is still returned and reconnects on next use). */
enum err db_open(struct db **out);
void db_close(struct db *db);
/* Prepares every registered statement on this connection (and closes it
 * again), so a broken query stops a worker at start instead of failing in
 * front of a shopper. */
enum err db_prepare_all(struct db *db);
/* E_OK when the server answers a ping (reconnecting if needed). */
enum err db_ping(struct db *db);

/* Executes a registered statement. types has one letter per parameter:
 *   'i' int64_t, 'u' uint64_t, 's' const char * (NULL = SQL NULL),
 *   'b' const char *, size_t (bytes with length), 'n' SQL NULL (no argument).
 * If res is non-NULL and the statement returns rows, *res is filled from the
 * arena. A lost connection outside a transaction is reconnected and retried
 * once; if it cannot be, E_UNAVAIL. */
enum err db_exec(struct db *db, struct arena *a, const struct db_sql *q,
		 struct db_res **res, const char *types, ...);
uint64_t db_affected(const struct db *db);	/* of the last db_exec */
uint64_t db_insert_id(const struct db *db);	/* of the last db_exec */
/* text with LIKE's wildcards (% and _) and the escape character itself
 * escaped by '!', for "LIKE CONCAT(?, '%') ESCAPE '!'" and the like: what a
 * person typed matches literally. Arena-owned; "" when out of memory. */
const char *db_like_escape(struct arena *a, const char *text);
unsigned db_errno(const struct db *db);		/* MySQL error number of last failure */
/* 1 when the last failure was a deadlock or a lock wait timeout (what db_tx
 * retries; on Galera also a certification conflict): the transaction was
 * rolled back whole and trying the request again later may succeed. */
int db_gave_up_on_locks(const struct db *db);
const char *db_error(const struct db *db);

/* Transactions. db_tx runs fn(db, ctx) between BEGIN and COMMIT and runs it
 * again (up to 5 times, with a short randomized backoff) when it fails on a
 * deadlock or lock-wait timeout; fn returns E_OK to commit, anything else to
 * roll back and return that error. */
/* At the end of a request or a job's batch: rolls back a transaction that
 * was left open (a bug: it would hold its row locks until the connection's
 * next use) and returns 1 when there was one, so that the caller names it. */
int db_settle(struct db *db);
enum err db_begin(struct db *db);
enum err db_commit(struct db *db);
void db_rollback(struct db *db);
enum err db_tx(struct db *db, enum err (*fn)(struct db *, void *), void *ctx);

/* Unprepared text statements, for migrations and shopctl only (never with
 * input from a request). */
enum err db_run_script(struct db *db, const char *sql);

/* Helpers for reading results. */
static inline const char *db_cell(const struct db_res *r, size_t row, size_t col)
{
	return r->cells[row * r->ncols + col];
}
int64_t db_int(const struct db_res *r, size_t row, size_t col);	/* NULL -> 0 */

/* ---- Reads on replicas (issue 20; db.c, "Reads on replicas") ----
 * SHOP_DB_REPLICAS (host:port or socket paths, comma-separated) names
 * replicas of the primary; SHOP_DB_REPLICA_MAX_LAG (seconds, default 2),
 * SHOP_DB_REPLICA_CHECK_MS (500), SHOP_DB_REPLICA_WAIT_MS (200) and
 * SHOP_DB_REPLICA_RETRY_MS (5000) tune them. Unset: db_for_read returns its
 * argument and nothing else changes. */

/* The handle for reads that may be slightly stale (catalog, category and
 * product pages, search's SQL fallback, order history), given the worker's
 * primary handle: a replica's that has applied the shopper's last write
 * (db_read_floor) and lags within the bound, else db itself (in a
 * transaction, after this request's own write, no replica fit). The replica's
 * handle is used like any other; writes and transactions on it run on the
 * primary. Valid until db_close(db). */
struct db *db_for_read(struct db *db);
/* Per request, on the worker's primary handle: db_request_begin forgets
 * the last request's state; db_read_floor sets the GTID the shopper's reads
 * must see (their session's last write; ignored unless replicas are
 * configured and it is a GTID); db_wrote_gtid is the GTID of this request's
 * last commit, or NULL when it wrote nothing (or no replicas are configured). */
void db_request_begin(struct db *db);
void db_read_floor(struct db *db, const char *gtid);
const char *db_wrote_gtid(const struct db *db);
/* 1 for a replica's handle (what it read may be up to the lag bound old:
 * not for a cache that outlives the change). */
int db_is_replica(const struct db *db);
/* How old (ms) what a replica read may be at most: the lag bound, plus a
 * second (Seconds_Behind_Master is whole seconds), plus the check interval. */
int64_t db_replica_stale_ms(void);
/* The number of replicas configured (reads the environment once). */
size_t db_replica_count(void);

/* Why a read went where it went: counters shared by every process of the run
 * directory ($SHOP_HOME/run/db-reads). */
enum {
	DB_READ_REPLICA,		/* served by a replica */
	DB_READ_PRIMARY_TX,		/* in a transaction */
	DB_READ_PRIMARY_OWN_WRITE,	/* this request wrote */
	DB_READ_PRIMARY_LAG,		/* every live replica too far behind / not replicating */
	DB_READ_PRIMARY_DEAD,		/* no replica answered */
	DB_READ_PRIMARY_GTID_TIMEOUT,	/* the shopper's last write had not arrived in time */
	DB_READ_GTID_WAITS,		/* MASTER_GTID_WAIT calls (either outcome) */
	DB_READ_RETRIED_ON_PRIMARY,	/* a replica read failed (gone) and ran on the primary */
	DB_READ_COUNTERS
};
const char *db_read_counter_name(int i);
/* Calls fn with the totals (pid 0), then each process's counters; -1 when
 * no process of this run directory has counted yet. */
int db_read_stats(void (*fn)(void *arg, long pid, const uint64_t *c), void *arg);

#endif
