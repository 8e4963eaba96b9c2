/* MariaDB through the Connector/C prepared-statement API.
 *
 * Statements are registered by each module (one array per module) and
 * prepared on a worker's connection: all of them at worker start by
 * db_prepare_all() so a broken query stops the start, and again lazily after a
 * reconnect. Results are copied into the request arena as strings, which keeps
 * handlers simple and leaves no MySQL result alive past db_exec(). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
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
	unsigned timeout = 2, rw_timeout = 60;
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
	if (!mysql_real_connect(db->my, config.db_host, config.db_user,
				config.db_password, config.db_name, (unsigned)config.db_port,
				config.db_host ? NULL : config.db_socket,
				CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS)) {
		enum err e = set_err(db, mysql_errno(db->my), mysql_error(db->my));

		mysql_close(db->my);
		db->my = NULL;
		return e == E_DB && db->err >= 2000 ? E_UNAVAIL : e;
	}
	return E_OK;
}

enum err db_open(struct db **out)
{
	struct db *db = calloc(1, sizeof(*db));

	*out = db;
	if (!db)
		return E_NOMEM;
	return connect_db(db);
}

void db_close(struct db *db)
{
	if (!db)
		return;
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
	for (i = 0; i < nregistry; i++)
		if ((e = prepare(db, registry[i], &st)))
			return e;
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

enum err db_exec(struct db *db, struct arena *a, const struct db_sql *q,
		 struct db_res **res, const char *types, ...)
{
	va_list ap;
	enum err e;

	db->err = 0;
	if (db->tx_lost)
		return set_err(db, CR_SERVER_LOST, "the transaction's connection was lost; roll back and start again");
	va_start(ap, types);
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
		va_start(ap, types);
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
		va_start(ap, types);
		e = exec_once(db, a, q, res, types, ap);
		va_end(ap);
	}
	return e;
}

uint64_t db_affected(const struct db *db) { return db->affected; }
uint64_t db_insert_id(const struct db *db) { return db->insert_id; }
unsigned db_errno(const struct db *db) { return db->err; }
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
	enum fault_kind fk = fault_at(FAULT_DB);
	enum err e;

	if (db->tx_lost) {
		db->tx_lost = 0;
		return set_err(db, CR_SERVER_LOST, "the transaction's connection was lost");
	}
	if (fk == FAULT_ERROR) {
		db_rollback(db);
		return set_err(db, ER_SIGNAL_EXCEPTION, "injected fault at COMMIT");
	}
	if (fk == FAULT_LOST) {
		disconnect(db);	/* the server rolls the transaction back */
		db->tx_lost = 0;	/* and this transaction is over */
		return set_err(db, CR_SERVER_GONE_ERROR, "injected fault: connection lost before COMMIT");
	}
	e = simple(db, "COMMIT");
	if (e == E_OK && fk == FAULT_LOST_AFTER)
		e = set_err(db, CR_SERVER_LOST, "injected fault: connection lost after COMMIT");
	db->in_tx = 0;
	if (e == E_UNAVAIL)
		disconnect(db);
	return e;
}

int db_settle(struct db *db)
{
	int open = db && (db->in_tx || db->tx_lost);

	if (open)
		db_rollback(db);
	return open;
}

void db_rollback(struct db *db)
{
	if (db->my && simple(db, "ROLLBACK") == E_UNAVAIL)
		disconnect(db);
	db->in_tx = 0;
	db->tx_lost = 0;
}

enum err db_tx(struct db *db, enum err (*fn)(struct db *, void *), void *ctx)
{
	enum err e = E_INTERNAL;
	int attempt;

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
