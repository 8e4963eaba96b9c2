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
/* Prepares every registered statement on this connection, so a broken query
 * stops a worker at start instead of failing in front of a shopper. */
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

#endif
