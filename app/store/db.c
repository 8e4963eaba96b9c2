/* MariaDB through the Connector/C prepared-statement API.
 *
 * Statements are registered by each module (one array per module) and
 * checked at worker start by db_prepare_all() (each prepared and closed) so a
 * broken query stops the start, and prepared on a connection when it first
 * runs there (and again after a reconnect). Results are copied into the request arena as strings, which keeps
 * handlers simple and leaves no MySQL result alive past db_exec(). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/fault.h"
#include "../core/log.h"
#include "db.h"

#define DB_MAX_PARAMS 48

static struct db_sql **registry;
static size_t nregistry;

/* READ REPLICAS (issue 20): SHOP_DB_REPLICAS, read once per process. */
#define MAX_REPLICAS 8
struct replica {
	char *host;	/* NULL: socket */
	char *socket;
	int port;
};
static struct {
	int loaded;
	size_t n;
	struct replica r[MAX_REPLICAS];
	int64_t max_lag;	/* SHOP_DB_REPLICA_MAX_LAG, seconds */
	int64_t check_ms;	/* SHOP_DB_REPLICA_CHECK_MS: lag checked at most this often */
	int64_t retry_ms;	/* SHOP_DB_REPLICA_RETRY_MS: a dead replica is tried again after */
	char wait_s[48];	/* SHOP_DB_REPLICA_WAIT_MS as seconds, MASTER_GTID_WAIT's timeout */
} reps;
static void replicas_load(void);
/* The replicas' one statement of their own (registered with them). */
static struct db_sql q_gtid_wait = { "SELECT MASTER_GTID_WAIT(?, ?)", 0 };

struct db {
	MYSQL *my;
	MYSQL_STMT **stmts;	/* by slot; NULL = not prepared on this connection */
	size_t nstmts;
	int in_tx;
	/* The connection was lost inside a transaction: the server rolled it
	 * back, and every statement until the caller's ROLLBACK (or COMMIT)
	 * fails rather than run on a new connection outside any transaction,
	 * where it would be committed on its own. */
	int tx_lost;
	int sent;	/* the last statement reached the server (may have been done) */
	uint64_t affected, insert_id;
	unsigned err;
	char errmsg[512];
	/* ---- READ REPLICAS (issue 20): see "Reads on replicas" below ---- */
	struct db *primary;	/* a replica's handle: its worker's primary; NULL on a primary */
	const struct replica *rep;	/* a replica's address */
	struct db **replicas;	/* a primary's replica handles (opened on first use) */
	/* A replica's state, from its last check (at most every check_ms). */
	int64_t checked_ms, dead_until_ms;
	int lag_ok;			/* replicating and within max_lag at the check */
	int npos;
	struct { uint32_t domain; uint64_t seqno; } pos[8];	/* its gtid_slave_pos */
	/* A primary's request state: the GTID of this request's last commit
	 * (it wrote: its reads stay here), and the GTID the shopper's reads
	 * must see (their session's last write). */
	char wrote[64], floor[64];
};

void db_register(struct db_sql *defs, size_t n)
{
	struct db_sql **r;
	size_t i;

	/* Registering a module twice (two callers need it) is harmless. */
	for (i = 0; n && i < nregistry; i++)
		if (registry[i] == &defs[0])
			return;
	r = realloc(registry, (nregistry + n) * sizeof(*r));
	if (!r)
		abort();	/* at start only: nothing sensible to do */
	registry = r;
	for (i = 0; i < n; i++) {
		defs[i].slot = (int)nregistry;
		registry[nregistry++] = &defs[i];
	}
}

static int is_conn_error(unsigned e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	       e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR ||
	       e == CR_SERVER_LOST_EXTENDED || e == ER_CONNECTION_KILLED ||
	       e == 4031 /* ER_CLIENT_INTERACTION_TIMEOUT */ ||
	       e == ER_SERVER_SHUTDOWN || e == CR_COMMANDS_OUT_OF_SYNC ||
	       /* Galera: a node out of the Primary component refuses statements
	        * (1047) and COMMITs (1180, rolled back): go to another node */
	       e == ER_UNKNOWN_COM_ERROR || e == ER_ERROR_DURING_COMMIT;
}

static enum err set_err(struct db *db, unsigned e, const char *msg)
{
	db->err = e;
	snprintf(db->errmsg, sizeof(db->errmsg), "%s", msg ? msg : "");
	if (is_conn_error(e) || e == 0)
		return E_UNAVAIL;
	if (e == ER_DUP_ENTRY)
		return E_CONFLICT;
	if (e != ER_LOCK_DEADLOCK && e != ER_LOCK_WAIT_TIMEOUT)
		log_err("db: %u %s", e, db->errmsg);
	return E_DB;
}

static void disconnect(struct db *db)
{
	size_t i;

	for (i = 0; i < db->nstmts; i++) {
		if (db->stmts[i])
			mysql_stmt_close(db->stmts[i]);
		db->stmts[i] = NULL;
	}
	if (db->my)
		mysql_close(db->my);
	db->my = NULL;
	db->tx_lost |= db->in_tx;
	db->in_tx = 0;
}

static enum err connect_db(struct db *db)
{
	unsigned timeout = db->rep ? 1 : 2, rw_timeout = 60;
	const char *host = db->rep ? db->rep->host : config.db_host;
	const char *sock = db->rep ? db->rep->socket : config.db_socket;
	int port = db->rep ? db->rep->port : config.db_port;
	my_bool off = 0;

	if (db->my)
		return E_OK;
	db->my = mysql_init(NULL);
	if (!db->my)
		return E_NOMEM;
	mysql_options(db->my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(db->my, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
	mysql_options(db->my, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
	mysql_options(db->my, MYSQL_OPT_RECONNECT, &off);
	mysql_options(db->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (!mysql_real_connect(db->my, host, config.db_user,
				config.db_password, config.db_name, (unsigned)port,
				host ? NULL : sock,
				CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS)) {
		enum err e = set_err(db, mysql_errno(db->my), mysql_error(db->my));

		mysql_close(db->my);
		db->my = NULL;
		return e == E_DB && db->err >= 2000 ? E_UNAVAIL : e;
	}
	/* With replicas only (no extra round trip otherwise): a replica's
	 * connection refuses writes, so none can land there by mistake and
	 * set it apart from its primary; a primary's reports the GTID of
	 * each commit in the commit's own answer (session tracking), which
	 * the shopper's session keeps for read-your-writes. */
	if (reps.n) {
		const char *set = db->rep ? "SET SESSION TRANSACTION READ ONLY"
					  : "SET SESSION session_track_system_variables = 'last_gtid'";

		if (mysql_real_query(db->my, set, strlen(set))) {
			enum err e = set_err(db, mysql_errno(db->my), mysql_error(db->my));

			mysql_close(db->my);
			db->my = NULL;
			return e;
		}
	}
	return E_OK;
}

enum err db_open(struct db **out)
{
	struct db *db = calloc(1, sizeof(*db));

	replicas_load();
	*out = db;
	if (!db)
		return E_NOMEM;
	return connect_db(db);
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->replicas)
		for (size_t i = 0; i < reps.n; i++)
			db_close(db->replicas[i]);
	free(db->replicas);
	disconnect(db);
	free(db->stmts);
	free(db);
}

enum err db_ping(struct db *db)
{
	enum err e = connect_db(db);

	if (e)
		return e;
	if (mysql_ping(db->my) == 0)
		return E_OK;
	disconnect(db);
	return connect_db(db);
}

static enum err prepare(struct db *db, const struct db_sql *q, MYSQL_STMT **out)
{
	MYSQL_STMT *st;

	/* A statement nobody registered would borrow another's slot. */
	if ((size_t)q->slot >= nregistry || registry[q->slot] != q) {
		log_err("db: statement used before db_register(): %s", q->sql);
		return E_INTERNAL;
	}
	if ((size_t)q->slot >= db->nstmts) {
		MYSQL_STMT **s = realloc(db->stmts, nregistry * sizeof(*s));

		if (!s)
			return E_NOMEM;
		memset(s + db->nstmts, 0, (nregistry - db->nstmts) * sizeof(*s));
		db->stmts = s;
		db->nstmts = nregistry;
	}
	if (db->stmts[q->slot]) {
		*out = db->stmts[q->slot];
		return E_OK;
	}
	st = mysql_stmt_init(db->my);
	if (!st)
		return E_NOMEM;
	if (mysql_stmt_prepare(st, q->sql, strlen(q->sql))) {
		enum err e = set_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));

		if (e == E_DB)
			log_err("db: cannot prepare: %s", q->sql);
		mysql_stmt_close(st);
		return e;
	}
	db->stmts[q->slot] = st;
	*out = st;
	return E_OK;
}

enum err db_prepare_all(struct db *db)
{
	MYSQL_STMT *st;
	enum err e;
	size_t i;

	if ((e = connect_db(db)))
		return e;
	/* Each is closed again at once: a connection keeps only what it runs
	 * (prepared lazily by db_exec). Kept, every worker held all ~530 of
	 * them, and 31 workers reached MariaDB's max_prepared_stmt_count
	 * (16,382): the 32nd could not start. */
	for (i = 0; i < nregistry; i++) {
		if ((e = prepare(db, registry[i], &st)))
			return e;
		mysql_stmt_close(st);
		db->stmts[registry[i]->slot] = NULL;
	}
	return E_OK;
}

struct param_store {
	long long ll[DB_MAX_PARAMS];
	unsigned long len[DB_MAX_PARAMS];
	my_bool isnull[DB_MAX_PARAMS];
};

static enum err bind_params(MYSQL_BIND *b, struct param_store *ps,
			    const char *types, va_list ap, size_t *np)
{
	size_t i;

	for (i = 0; types[i]; i++) {
		if (i >= DB_MAX_PARAMS)
			return E_INTERNAL;
		memset(&b[i], 0, sizeof(b[i]));
		switch (types[i]) {
		case 'i':
			ps->ll[i] = (long long)va_arg(ap, int64_t);
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = &ps->ll[i];
			break;
		case 'u':
			ps->ll[i] = (long long)va_arg(ap, uint64_t);
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = &ps->ll[i];
			b[i].is_unsigned = 1;
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s) {
				b[i].buffer_type = MYSQL_TYPE_NULL;
				break;
			}
			b[i].buffer_type = MYSQL_TYPE_STRING;
			b[i].buffer = (void *)s;
			ps->len[i] = strlen(s);
			b[i].buffer_length = ps->len[i];
			b[i].length = &ps->len[i];
			break;
		}
		case 'b': {
			const char *s = va_arg(ap, const char *);

			ps->len[i] = va_arg(ap, size_t);
			b[i].buffer_type = s ? MYSQL_TYPE_BLOB : MYSQL_TYPE_NULL;
			b[i].buffer = (void *)s;
			b[i].buffer_length = ps->len[i];
			b[i].length = &ps->len[i];
			break;
		}
		case 'n':
			b[i].buffer_type = MYSQL_TYPE_NULL;
			break;
		default:
			return E_INTERNAL;
		}
	}
	*np = i;
	return E_OK;
}

/* Copies the stored result into the arena. */
static enum err fetch_all(struct db *db, MYSQL_STMT *st, struct arena *a,
			  struct db_res **out)
{
	MYSQL_RES *meta = mysql_stmt_result_metadata(st);
	MYSQL_BIND *b = NULL;
	MYSQL_FIELD *fields;
	unsigned long *lens = NULL;
	my_bool *nulls = NULL, *errs = NULL;
	struct db_res *r;
	size_t ncols, row, col;
	enum err e = E_OK;
	my_bool upd = 1;
	int rc;

	if (!meta)
		return E_OK;	/* not a row-returning statement */
	ncols = mysql_num_fields(meta);
	fields = mysql_fetch_fields(meta);
	mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &upd);
	if (mysql_stmt_store_result(st)) {
		e = set_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
		/* The server answered the execute with the result's columns and
		 * then an error instead of rows (a locking read chosen as a
		 * deadlock's victim, a lock wait timeout). libmariadb leaves the
		 * statement expecting rows: executed again, as db_tx's retry
		 * does, it waits for the read timeout (60 s) and reports the
		 * server gone. A reset puts it back in the prepared state. */
		mysql_stmt_reset(st);
		goto out;
	}
	r = arena_calloc(a, 1, sizeof(*r));
	b = calloc(ncols, sizeof(*b));
	lens = calloc(ncols, sizeof(*lens));
	nulls = calloc(ncols, sizeof(*nulls));
	errs = calloc(ncols, sizeof(*errs));
	if (!r || !b || !lens || !nulls || !errs) {
		e = E_NOMEM;
		goto out;
	}
	r->ncols = ncols;
	r->nrows = (size_t)mysql_stmt_num_rows(st);
	r->cells = arena_calloc(a, r->nrows * ncols + 1, sizeof(char *));
	r->lens = arena_calloc(a, r->nrows * ncols + 1, sizeof(unsigned long));
	if (!r->cells || !r->lens) {
		e = E_NOMEM;
		goto out;
	}
	for (col = 0; col < ncols; col++) {
		/* max_length is exact for strings; numbers and dates need room
		 * for their text form. */
		unsigned long cap = fields[col].max_length + 1;

		if (cap < 64)
			cap = 64;
		b[col].buffer_type = MYSQL_TYPE_STRING;
		b[col].buffer_length = cap;
		b[col].buffer = arena_alloc(a, cap);
		b[col].length = &lens[col];
		b[col].is_null = &nulls[col];
		b[col].error = &errs[col];
		if (!b[col].buffer) {
			e = E_NOMEM;
			goto out;
		}
	}
	if (mysql_stmt_bind_result(st, b)) {
		e = set_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
		goto out;
	}
	for (row = 0; row < r->nrows; row++) {
		rc = mysql_stmt_fetch(st);
		if (rc == 1 || rc == MYSQL_NO_DATA) {
			e = rc == 1 ? set_err(db, mysql_stmt_errno(st), mysql_stmt_error(st)) : E_OK;
			r->nrows = row;
			break;
		}
		for (col = 0; col < ncols; col++) {
			size_t idx = row * ncols + col;

			if (nulls[col])
				continue;
			if (lens[col] >= b[col].buffer_length) {
				/* Truncated: fetch the whole value. */
				MYSQL_BIND one;
				char *p = arena_alloc(a, lens[col] + 1);

				if (!p) {
					e = E_NOMEM;
					goto out;
				}
				memset(&one, 0, sizeof(one));
				one.buffer_type = MYSQL_TYPE_STRING;
				one.buffer = p;
				one.buffer_length = lens[col] + 1;
				mysql_stmt_fetch_column(st, &one, (unsigned)col, 0);
				p[lens[col]] = '\0';
				r->cells[idx] = p;
			} else {
				r->cells[idx] = arena_strndup(a, b[col].buffer, lens[col]);
			}
			r->lens[idx] = lens[col];
		}
	}
	if (out)
		*out = r;
out:
	mysql_stmt_free_result(st);
	mysql_free_result(meta);
	free(b);
	free(lens);
	free(nulls);
	free(errs);
	return e;
}

static enum err simple(struct db *db, const char *sql);

static enum err exec_once(struct db *db, struct arena *a, const struct db_sql *q,
			  struct db_res **res, const char *types, va_list ap)
{
	MYSQL_BIND params[DB_MAX_PARAMS];
	struct param_store ps;
	MYSQL_STMT *st;
	size_t np = 0;
	enum fault_kind fk = fault_at(FAULT_DB);
	enum err e;

	db->sent = 0;
	if (fk == FAULT_ERROR)
		return set_err(db, ER_SIGNAL_EXCEPTION, "injected fault");
	if (fk == FAULT_DEADLOCK) {
		/* The server rolls a deadlock's victim back whole. */
		if (db->in_tx)
			simple(db, "ROLLBACK");
		return set_err(db, ER_LOCK_DEADLOCK, "injected fault: deadlock");
	}
	if (fk == FAULT_LOST) {
		disconnect(db);
		return set_err(db, CR_SERVER_GONE_ERROR, "injected fault: connection lost");
	}
	if ((e = connect_db(db)) || (e = prepare(db, q, &st)))
		return e;
	if ((e = bind_params(params, &ps, types, ap, &np)))
		return e;
	if (np != mysql_stmt_param_count(st)) {
		log_err("db: statement wants %lu parameters, got %zu: %s",
			mysql_stmt_param_count(st), np, q->sql);
		return E_INTERNAL;
	}
	if (np && mysql_stmt_bind_param(st, params))
		return set_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
	db->sent = 1;
	if (mysql_stmt_execute(st))
		return set_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
	db->affected = mysql_stmt_affected_rows(st);
	db->insert_id = mysql_stmt_insert_id(st);
	if (res)
		*res = NULL;
	e = fetch_all(db, st, a, res);
	if (fk == FAULT_LOST_AFTER) {
		/* The whole answer has arrived (an unread result would keep
		 * the client library waiting on the socket), then the line
		 * drops: done at the server, unknown here. */
		if (res)
			*res = NULL;
		disconnect(db);
		return set_err(db, CR_SERVER_LOST, "injected fault: connection lost after the statement");
	}
	return e;
}

static void track_gtid(struct db *db);
static enum err replica_exec(struct db *db, struct arena *a, const struct db_sql *q,
			     struct db_res **res, const char *types, va_list ap0);

static enum err exec_v(struct db *db, struct arena *a, const struct db_sql *q,
		       struct db_res **res, const char *types, va_list ap0)
{
	va_list ap;
	enum err e;

	db->err = 0;
	if (db->tx_lost)
		return set_err(db, CR_SERVER_LOST, "the transaction's connection was lost; roll back and start again");
	va_copy(ap, ap0);
	e = exec_once(db, a, q, res, types, ap);
	va_end(ap);
	if (e == E_UNAVAIL) {
		/* The server went away (restart, idle timeout). Inside a
		 * transaction the caller must start over. Outside one, trying
		 * again on a new connection is safe when the statement never
		 * reached the server or only reads; a write that was sent may
		 * have been done (the answer is what got lost), and doing it
		 * twice is not ours to decide: the caller hears E_UNAVAIL. */
		int was_tx = db->in_tx || db->tx_lost, retry = !db->sent || !strncasecmp(q->sql, "SELECT", 6);

		disconnect(db);
		if (was_tx || !retry)
			return E_UNAVAIL;
		va_copy(ap, ap0);
		e = exec_once(db, a, q, res, types, ap);
		va_end(ap);
		if (e == E_UNAVAIL)
			disconnect(db);
	}
	/* Outside a transaction the statement is a transaction of its own:
	 * chosen as a deadlock's victim, it was rolled back whole and can run
	 * again (an UPDATE of a row that a concurrent transaction also moves
	 * through a unique index, e.g. the saga storing an order's payment
	 * intent while the gateway's notice links it). Inside a transaction
	 * the caller's db_tx starts over instead. */
	for (int attempt = 0; e == E_DB && db->err == ER_LOCK_DEADLOCK && !db->in_tx && attempt < 4; attempt++) {
		usleep((useconds_t)(1000 * (1 << attempt) + (rand() % 1000)));
		va_copy(ap, ap0);
		e = exec_once(db, a, q, res, types, ap);
		va_end(ap);
	}
	/* A write that committed on its own (outside a transaction): its
	 * GTID, for read-your-writes (only with replicas configured). */
	if (e == E_OK && reps.n && !db->in_tx && !db->rep && strncasecmp(q->sql, "SELECT", 6))
		track_gtid(db);
	return e;
}

enum err db_exec(struct db *db, struct arena *a, const struct db_sql *q,
		 struct db_res **res, const char *types, ...)
{
	va_list ap;
	enum err e;

	va_start(ap, types);
	e = db->primary ? replica_exec(db, a, q, res, types, ap) : exec_v(db, a, q, res, types, ap);
	va_end(ap);
	return e;
}

uint64_t db_affected(const struct db *db) { return db->affected; }
uint64_t db_insert_id(const struct db *db) { return db->insert_id; }
unsigned db_errno(const struct db *db) { return db->err; }
int db_gave_up_on_locks(const struct db *db)
{
	return db && (db->err == ER_LOCK_DEADLOCK || db->err == ER_LOCK_WAIT_TIMEOUT);
}
const char *db_error(const struct db *db) { return db->errmsg; }

static enum err simple(struct db *db, const char *sql)
{
	if (!db->my)
		return E_UNAVAIL;
	if (mysql_real_query(db->my, sql, strlen(sql)))
		return set_err(db, mysql_errno(db->my), mysql_error(db->my));
	return E_OK;
}

enum err db_begin(struct db *db)
{
	enum err e;

	if (db->primary)
		db = db->primary;	/* transactions run on the primary */
	db->tx_lost = 0;
	if ((e = connect_db(db)))
		return e;
	e = simple(db, "START TRANSACTION");
	if (e == E_UNAVAIL) {
		disconnect(db);
		if ((e = connect_db(db)) == E_OK)
			e = simple(db, "START TRANSACTION");
	}
	if (e == E_OK)
		db->in_tx = 1;
	return e;
}

enum err db_commit(struct db *db)
{
	enum fault_kind fk;
	enum err e;

	if (db->primary)
		db = db->primary;
	fk = fault_at(FAULT_DB);
	if (db->tx_lost) {
		db->tx_lost = 0;
		return set_err(db, CR_SERVER_LOST, "the transaction's connection was lost");
	}
	if (fk == FAULT_ERROR) {
		db_rollback(db);
		return set_err(db, ER_SIGNAL_EXCEPTION, "injected fault at COMMIT");
	}
	if (fk == FAULT_DEADLOCK) {
		db_rollback(db);
		return set_err(db, ER_LOCK_DEADLOCK, "injected fault: certification conflict at COMMIT");
	}
	if (fk == FAULT_LOST) {
		disconnect(db);	/* the server rolls the transaction back */
		db->tx_lost = 0;	/* and this transaction is over */
		return set_err(db, CR_SERVER_GONE_ERROR, "injected fault: connection lost before COMMIT");
	}
	e = simple(db, "COMMIT");
	if (e == E_OK && reps.n)
		track_gtid(db);
	if (e == E_OK && fk == FAULT_LOST_AFTER)
		e = set_err(db, CR_SERVER_LOST, "injected fault: connection lost after COMMIT");
	db->in_tx = 0;
	if (e == E_UNAVAIL)
		disconnect(db);
	return e;
}

int db_settle(struct db *db)
{
	int open;

	if (db && db->primary)
		db = db->primary;
	open = db && (db->in_tx || db->tx_lost);
	if (open)
		db_rollback(db);
	return open;
}

void db_rollback(struct db *db)
{
	if (db->primary)
		db = db->primary;
	if (db->my && simple(db, "ROLLBACK") == E_UNAVAIL)
		disconnect(db);
	db->in_tx = 0;
	db->tx_lost = 0;
}

enum err db_tx(struct db *db, enum err (*fn)(struct db *, void *), void *ctx)
{
	enum err e = E_INTERNAL;
	int attempt;

	if (db->primary)
		db = db->primary;	/* every read of a transaction is the primary's */
	for (attempt = 0; attempt < 5; attempt++) {
		unsigned en;

		if ((e = db_begin(db)))
			return e;
		e = fn(db, ctx);
		if (e == E_OK)
			e = db_commit(db);
		else
			db_rollback(db);
		en = db->err;
		if (e == E_OK || (en != ER_LOCK_DEADLOCK && en != ER_LOCK_WAIT_TIMEOUT))
			return e;
		/* Randomized backoff so the transactions that collided do not
		 * collide again in lockstep. */
		usleep((useconds_t)(1000 * (1 << attempt) + (rand() % 1000)));
	}
	return e;
}

enum err db_run_script(struct db *db, const char *sql)
{
	enum err e;
	int status;

	if (db->primary)
		db = db->primary;
	if ((e = connect_db(db)))
		return e;
	if (mysql_real_query(db->my, sql, strlen(sql)))
		return set_err(db, mysql_errno(db->my), mysql_error(db->my));
	/* Drain every result of a multi-statement script; stop at the first
	 * failing statement. */
	do {
		MYSQL_RES *r = mysql_store_result(db->my);

		if (r)
			mysql_free_result(r);
		else if (mysql_field_count(db->my) != 0)
			return set_err(db, mysql_errno(db->my), mysql_error(db->my));
		status = mysql_next_result(db->my);
		if (status > 0)
			return set_err(db, mysql_errno(db->my), mysql_error(db->my));
	} while (status == 0);
	return E_OK;
}

int64_t db_int(const struct db_res *r, size_t row, size_t col)
{
	const char *s = db_cell(r, row, col);

	return s ? strtoll(s, NULL, 10) : 0;
}

const char *db_like_escape(struct arena *a, const char *text)
{
	char *o = arena_alloc(a, strlen(text) * 2 + 1), *p = o;

	if (!o)
		return "";
	for (; *text; text++) {
		if (*text == '%' || *text == '_' || *text == '!')
			*p++ = '!';
		*p++ = *text;
	}
	*p = '\0';
	return o;
}

/* ---- Reads on replicas (issue 20) ----
 *
 * SHOP_DB_REPLICAS names MariaDB replicas of the primary (GTID replication);
 * db_for_read(db) hands a request the handle its reads that may be slightly
 * stale go to. Without the variable it returns db at once: no check, no
 * counter, no round trip. With it, a worker opens one connection per replica
 * on first use and picks, starting from its own (pid modulo the count):
 *   - the primary while a transaction is open, or when this request has
 *     committed a write (its own reads must see it);
 *   - a replica that was replicating within SHOP_DB_REPLICA_MAX_LAG seconds at
 *     its last check (SHOW SLAVE STATUS, at most every
 *     SHOP_DB_REPLICA_CHECK_MS per worker, never per request), and has
 *     applied the shopper's last write (db_read_floor: the GTID their session
 *     keeps), known from the check's Gtid_Slave_Pos or waited for with
 *     MASTER_GTID_WAIT for at most SHOP_DB_REPLICA_WAIT_MS;
 *   - else the primary, counted by why.
 * A replica that does not answer is skipped for SHOP_DB_REPLICA_RETRY_MS; a
 * read that meets it dead runs again on the primary. The replica handle only
 * reads: a write, a transaction or a script given to it goes to its primary,
 * and its connection is READ ONLY besides.
 *
 * The counters are shared by every process of the run directory through a
 * small file ($SHOP_HOME/run/db-reads, mapped), one slot per process and the
 * totals; `shopctl db-reads` prints them. */

static const char *const counter_names[DB_READ_COUNTERS] = {
	[DB_READ_REPLICA] = "replica",
	[DB_READ_PRIMARY_TX] = "primary_tx",
	[DB_READ_PRIMARY_OWN_WRITE] = "primary_own_write",
	[DB_READ_PRIMARY_LAG] = "primary_lag",
	[DB_READ_PRIMARY_DEAD] = "primary_dead",
	[DB_READ_PRIMARY_GTID_TIMEOUT] = "primary_gtid_timeout",
	[DB_READ_GTID_WAITS] = "gtid_waits",
	[DB_READ_RETRIED_ON_PRIMARY] = "retried_on_primary",
};

#define STAT_SLOTS 64
struct read_stats {
	uint64_t magic;
	uint64_t total[DB_READ_COUNTERS];
	struct { int32_t pid; int32_t pad; uint64_t c[DB_READ_COUNTERS]; } slot[STAT_SLOTS];
};
#define STATS_MAGIC 0x73686f7072656164ULL	/* "shopread" */

static struct read_stats *stats;
static int stats_slot = -1;
static pid_t stats_pid;

const char *db_read_counter_name(int i)
{
	return i >= 0 && i < DB_READ_COUNTERS ? counter_names[i] : NULL;
}

static char *stats_path(void)
{
	size_t n = strlen(config.home) + 32;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/run/db-reads", config.home);
	return p;
}

static struct read_stats *stats_map(int create)
{
	char *path = stats_path();
	struct read_stats *m = NULL;
	struct stat st;
	int fd;

	if (!path)
		return NULL;
	fd = open(path, create ? O_RDWR | O_CREAT | O_CLOEXEC : O_RDONLY | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size < sizeof(*m) && create &&
	    ftruncate(fd, sizeof(*m)) != 0) {
		close(fd);
		return NULL;
	}
	if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(*m))
		m = mmap(NULL, sizeof(*m), create ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	if (m && create && m->magic != STATS_MAGIC)
		__atomic_store_n(&m->magic, STATS_MAGIC, __ATOMIC_SEQ_CST);	/* a new file: all zero */
	return m;
}

static void count(int what)
{
	pid_t me = getpid();

	if (stats_pid != me) {	/* first count of this process (or a forked child) */
		stats_pid = me;
		stats_slot = -1;
		if (!stats)
			stats = stats_map(1);
		for (int i = 0; stats && i < STAT_SLOTS && stats_slot < 0; i++) {
			int32_t free_pid = 0, dead = stats->slot[i].pid;

			if (__atomic_compare_exchange_n(&stats->slot[i].pid, &free_pid, (int32_t)me, 0,
							__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) ||
			    (dead > 0 && kill(dead, 0) != 0 && errno == ESRCH &&
			     __atomic_compare_exchange_n(&stats->slot[i].pid, &dead, (int32_t)me, 0,
							 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))) {
				stats_slot = i;
				for (int k = 0; k < DB_READ_COUNTERS; k++)
					__atomic_store_n(&stats->slot[i].c[k], 0, __ATOMIC_SEQ_CST);
			}
		}
	}
	if (!stats)
		return;
	__atomic_add_fetch(&stats->total[what], 1, __ATOMIC_RELAXED);
	if (stats_slot >= 0)
		__atomic_add_fetch(&stats->slot[stats_slot].c[what], 1, __ATOMIC_RELAXED);
}

int db_read_stats(void (*fn)(void *arg, long pid, const uint64_t *c), void *arg)
{
	struct read_stats *m = stats_map(0);

	if (!m || m->magic != STATS_MAGIC) {
		if (m)
			munmap(m, sizeof(*m));
		return -1;
	}
	fn(arg, 0, m->total);
	for (int i = 0; i < STAT_SLOTS; i++)
		if (m->slot[i].pid > 0)
			fn(arg, m->slot[i].pid, m->slot[i].c);
	munmap(m, sizeof(*m));
	return 0;
}

static void replicas_load(void)
{
	const char *v = getenv("SHOP_DB_REPLICAS");
	char *list, *save = NULL;
	int64_t wait_ms;

	if (reps.loaded)
		return;
	reps.loaded = 1;
	reps.max_lag = config_env_num("SHOP_DB_REPLICA_MAX_LAG", 2, 0, 86400);
	reps.check_ms = config_env_num("SHOP_DB_REPLICA_CHECK_MS", 500, 10, 600000);
	reps.retry_ms = config_env_num("SHOP_DB_REPLICA_RETRY_MS", 5000, 10, 3600000);
	wait_ms = config_env_num("SHOP_DB_REPLICA_WAIT_MS", 200, 0, 10000);
	snprintf(reps.wait_s, sizeof(reps.wait_s), "%lld.%03lld", (long long)(wait_ms / 1000),
		 (long long)(wait_ms % 1000));
	if (!v || !*v || !(list = strdup(v)))
		return;
	for (char *t = strtok_r(list, ", ", &save); t && reps.n < MAX_REPLICAS; t = strtok_r(NULL, ", ", &save)) {
		struct replica *r = &reps.r[reps.n];
		char *colon = strrchr(t, ':');

		if (t[0] == '/') {
			r->socket = strdup(t);
		} else {
			r->port = 3306;
			if (colon) {
				*colon = '\0';
				r->port = atoi(colon + 1);
			}
			if (r->port < 1 || r->port > 65535 || !*t) {
				log_warn("config: SHOP_DB_REPLICAS: '%s' is not host:port or a socket path; skipped", t);
				continue;
			}
			r->host = strdup(t);
		}
		reps.n++;
	}
	free(list);
	if (reps.n)
		db_register(&q_gtid_wait, 1);
	if (reps.n)
		log_info("db: reads that may be stale go to %zu replica(s), lag bound %lld s",
			 reps.n, (long long)reps.max_lag);
}

size_t db_replica_count(void)
{
	replicas_load();
	return reps.n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "D-S-N": domain and sequence number; 0 when it is not a GTID. */
static int gtid_parse(const char *g, uint32_t *domain, uint64_t *seqno)
{
	char *end;
	unsigned long long d, s;

	if (!g || !*g)
		return 0;
	d = strtoull(g, &end, 10);
	if (end == g || *end != '-')
		return 0;
	s = strtoull(end + 1, &end, 10);	/* server id */
	(void)s;
	if (*end != '-')
		return 0;
	g = end + 1;
	s = strtoull(g, &end, 10);
	if (end == g || (*end && *end != ','))
		return 0;
	*domain = (uint32_t)d;
	*seqno = s;
	return 1;
}

static void pos_parse(struct db *r, const char *list)
{
	r->npos = 0;
	while (list && *list && r->npos < 8) {
		uint32_t d;
		uint64_t n;

		while (*list == ' ' || *list == '\n' || *list == ',')
			list++;
		if (gtid_parse(list, &d, &n)) {
			r->pos[r->npos].domain = d;
			r->pos[r->npos].seqno = n;
			r->npos++;
		}
		list = strchr(list, ',');
	}
}

/* 1 when replica r is known (from its check) to have applied gtid. */
static int pos_reached(const struct db *r, const char *gtid)
{
	uint32_t d;
	uint64_t n;

	if (!gtid_parse(gtid, &d, &n))
		return 1;	/* nothing to wait for */
	for (int i = 0; i < r->npos; i++)
		if (r->pos[i].domain == d)
			return r->pos[i].seqno >= n;
	return 0;
}

static void pos_note(struct db *r, const char *gtid)
{
	uint32_t d;
	uint64_t n;

	if (!gtid_parse(gtid, &d, &n))
		return;
	for (int i = 0; i < r->npos; i++)
		if (r->pos[i].domain == d) {
			if (r->pos[i].seqno < n)
				r->pos[i].seqno = n;
			return;
		}
	if (r->npos < 8) {
		r->pos[r->npos].domain = d;
		r->pos[r->npos++].seqno = n;
	}
}

static void replica_dead(struct db *r)
{
	disconnect(r);
	r->lag_ok = 0;
	r->dead_until_ms = now_ms() + reps.retry_ms;
}

/* Looks at replica r: replicating, how far behind, what it has applied.
 * 0 usable, -1 dead (skipped until retry_ms), 1 lagging or not replicating. */
static int replica_check(struct db *r)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL_FIELD *f;
	unsigned nf;
	const char *lag = NULL, *io = NULL, *sqlt = NULL, *pos = NULL;

	r->checked_ms = now_ms();
	for (int attempt = 0;; attempt++) {
		unsigned e;

		if (connect_db(r) != E_OK) {
			replica_dead(r);
			return -1;
		}
		if (!mysql_real_query(r->my, "SHOW SLAVE STATUS", 17) && (res = mysql_store_result(r->my)))
			break;
		e = mysql_errno(r->my);
		if (is_conn_error(e) || e == 0) {
			/* An idle connection the replica dropped (a restart, a
			 * timeout): one new connection before calling it dead. */
			disconnect(r);
			if (attempt == 0)
				continue;
			replica_dead(r);
			return -1;
		}
		{
			static time_t warned;	/* e.g. no SLAVE MONITOR privilege: once a minute */

			if (time(NULL) - warned >= 60) {
				warned = time(NULL);
				log_warn("db: replica check: %u %s; reads stay on the primary", e, mysql_error(r->my));
			}
		}
		r->lag_ok = 0;
		return 1;
	}
	nf = mysql_num_fields(res);
	f = mysql_fetch_fields(res);
	if ((row = mysql_fetch_row(res)))
		for (unsigned i = 0; i < nf; i++) {
			if (!strcmp(f[i].name, "Seconds_Behind_Master"))
				lag = row[i];
			else if (!strcmp(f[i].name, "Slave_IO_Running"))
				io = row[i];
			else if (!strcmp(f[i].name, "Slave_SQL_Running"))
				sqlt = row[i];
			else if (!strcmp(f[i].name, "Gtid_Slave_Pos"))
				pos = row[i];
		}
	/* Not replicating (a stopped thread, no replication set up) or too
	 * far behind: its reads would be stale without bound. */
	r->lag_ok = row && lag && io && sqlt && !strcmp(sqlt, "Yes") && strcmp(io, "No") &&
		    strtoll(lag, NULL, 10) <= reps.max_lag;
	pos_parse(r, pos);
	mysql_free_result(res);
	return r->lag_ok ? 0 : 1;
}

static enum err exec_args(struct db *db, struct arena *a, const struct db_sql *q,
			  struct db_res **res, const char *types, ...)
{
	va_list ap;
	enum err e;

	va_start(ap, types);
	e = exec_v(db, a, q, res, types, ap);
	va_end(ap);
	return e;
}

/* Waits (bounded) for replica r to apply gtid: 0 applied, 1 timed out,
 * -1 dead. */
static int replica_wait(struct db *r, const char *gtid)
{
	struct arena *a = arena_new(1024);
	struct db_res *res = NULL;
	enum err e;
	int rc;

	if (!a)
		return 1;
	count(DB_READ_GTID_WAITS);
	e = exec_args(r, a, &q_gtid_wait, &res, "ss", gtid, reps.wait_s);
	rc = e == E_UNAVAIL ? -1 : e || !res || !res->nrows || !db_cell(res, 0, 0) || db_int(res, 0, 0) != 0 ? 1 : 0;
	arena_destroy(a);
	if (rc == 0)
		pos_note(r, gtid);
	else if (rc < 0)
		replica_dead(r);
	return rc;
}

/* After a commit on a primary: the GTID its answer reported. */
static void track_gtid(struct db *db)
{
	const char *d;
	size_t len;

	if (!db->my || db->rep ||
	    mysql_session_track_get_first(db->my, SESSION_TRACK_SYSTEM_VARIABLES, &d, &len))
		return;
	do {
		int is_gtid = len == 9 && !memcmp(d, "last_gtid", 9);

		if (mysql_session_track_get_next(db->my, SESSION_TRACK_SYSTEM_VARIABLES, &d, &len))
			break;
		if (is_gtid && len && len < sizeof(db->wrote)) {
			memcpy(db->wrote, d, len);
			db->wrote[len] = '\0';
		}
	} while (mysql_session_track_get_next(db->my, SESSION_TRACK_SYSTEM_VARIABLES, &d, &len) == 0);
}

void db_request_begin(struct db *db)
{
	if (db) {
		db->wrote[0] = '\0';
		db->floor[0] = '\0';
	}
}

void db_read_floor(struct db *db, const char *gtid)
{
	uint32_t d;
	uint64_t n;

	if (db && reps.n && gtid_parse(gtid, &d, &n) && strlen(gtid) < sizeof(db->floor))
		strcpy(db->floor, gtid);
}

const char *db_wrote_gtid(const struct db *db)
{
	return db && db->wrote[0] ? db->wrote : NULL;
}

struct db *db_for_read(struct db *db)
{
	int64_t now;
	size_t start;
	int why = DB_READ_PRIMARY_DEAD;

	if (!reps.n || !db || db->primary)
		return db;	/* no replicas: the primary, as always */
	if (db->in_tx || db->tx_lost) {
		count(DB_READ_PRIMARY_TX);
		return db;
	}
	if (db->wrote[0]) {
		count(DB_READ_PRIMARY_OWN_WRITE);
		return db;
	}
	if (!db->replicas && !(db->replicas = calloc(reps.n, sizeof(*db->replicas))))
		return db;
	now = now_ms();
	start = (size_t)getpid() % reps.n;
	for (size_t k = 0; k < reps.n; k++) {
		size_t i = (start + k) % reps.n;
		struct db *r = db->replicas[i];

		if (!r) {
			if (!(r = calloc(1, sizeof(*r))))
				continue;
			r->primary = db;
			r->rep = &reps.r[i];
			db->replicas[i] = r;
		}
		if (r->dead_until_ms > now)
			continue;	/* why stays: dead */
		if ((!r->checked_ms || now - r->checked_ms >= reps.check_ms || !r->my) && replica_check(r) < 0)
			continue;
		if (!r->lag_ok) {
			why = DB_READ_PRIMARY_LAG;
			continue;
		}
		if (db->floor[0] && !pos_reached(r, db->floor)) {
			int w = replica_wait(r, db->floor);

			if (w) {
				why = w < 0 ? DB_READ_PRIMARY_DEAD : DB_READ_PRIMARY_GTID_TIMEOUT;
				continue;
			}
		}
		count(DB_READ_REPLICA);
		return r;
	}
	count(why);
	return db;
}

/* A statement given to a replica's handle: reads run there; a write (or
 * anything while its primary is in a transaction) runs on the primary; a
 * read that finds the replica gone runs again on the primary. */
static enum err replica_exec(struct db *r, struct arena *a, const struct db_sql *q,
			     struct db_res **res, const char *types, va_list ap0)
{
	struct db *p = r->primary;
	va_list ap;
	enum err e;

	if (p->in_tx || p->tx_lost || strncasecmp(q->sql, "SELECT", 6)) {
		va_copy(ap, ap0);
		e = exec_v(p, a, q, res, types, ap);
		va_end(ap);
		goto copy;
	}
	va_copy(ap, ap0);
	e = exec_v(r, a, q, res, types, ap);
	va_end(ap);
	if (e != E_UNAVAIL && !(e == E_DB && r->err == 1792 /* ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION */))
		return e;
	if (e == E_UNAVAIL)
		replica_dead(r);
	count(DB_READ_RETRIED_ON_PRIMARY);
	va_copy(ap, ap0);
	e = exec_v(p, a, q, res, types, ap);
	va_end(ap);
copy:
	r->affected = p->affected;
	r->insert_id = p->insert_id;
	r->err = p->err;
	memcpy(r->errmsg, p->errmsg, sizeof(r->errmsg));
	return e;
}

int db_is_replica(const struct db *db)
{
	return db && db->primary != NULL;
}

int64_t db_replica_stale_ms(void)
{
	return reps.max_lag * 1000 + 1000 + reps.check_ms;
}
