/* SQLite storage for the gateway: intents, refunds, events (the webhook
 * outbox) and idempotency answers. All SQL is in the table below, prepared
 * once at start. Card numbers never reach this file: a payment method is
 * stored as {"id","brand","last4"} only. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "store.h"

static sqlite3 *db;
static pthread_mutex_t store_mu = PTHREAD_MUTEX_INITIALIZER;

/* The schema; user_version says which of these ran. A new version appends
 * statements and bumps SCHEMA_VERSION, so an existing file is upgraded in
 * place and keeps its data. */
#define SCHEMA_VERSION 1
static const char schema_v1[] =
	"CREATE TABLE IF NOT EXISTS intents ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id TEXT NOT NULL UNIQUE,"
	" amount INTEGER NOT NULL CHECK (amount BETWEEN 1 AND 99999999999),"
	" currency TEXT NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('requires_payment_method','requires_capture','succeeded','canceled')),"
	" capture_method TEXT NOT NULL CHECK (capture_method IN ('manual','automatic')),"
	" amount_capturable INTEGER NOT NULL DEFAULT 0 CHECK (amount_capturable >= 0),"
	" amount_received INTEGER NOT NULL DEFAULT 0 CHECK (amount_received >= 0),"
	" amount_refunded INTEGER NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),"
	" secret TEXT NOT NULL,"
	" return_url TEXT, description TEXT, metadata TEXT NOT NULL DEFAULT '{}',"
	" pm_token TEXT, payment_method TEXT, last_payment_error TEXT,"
	" created INTEGER NOT NULL, canceled_at INTEGER, cancellation_reason TEXT,"
	/* Money invariants: nothing captured or held beyond the amount,
	 * nothing refunded beyond what was captured. */
	" CHECK (amount_received + amount_capturable <= amount),"
	" CHECK (amount_refunded <= amount_received));"
	"CREATE TABLE IF NOT EXISTS refunds ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id TEXT NOT NULL UNIQUE,"
	" payment_intent TEXT NOT NULL REFERENCES intents(id),"
	" amount INTEGER NOT NULL CHECK (amount > 0),"
	" reason TEXT, created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS events ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id TEXT NOT NULL UNIQUE,"
	" type TEXT NOT NULL,"
	" payment_intent TEXT,"
	" body TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" delivered_at INTEGER,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt_ms INTEGER NOT NULL,"
	" last_error TEXT);"
	"CREATE INDEX IF NOT EXISTS ix_events_due ON events (next_attempt_ms) WHERE delivered_at IS NULL;"
	"CREATE INDEX IF NOT EXISTS ix_events_intent ON events (payment_intent, seq);"
	"CREATE TABLE IF NOT EXISTS idempotency ("
	" owner TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" method TEXT NOT NULL,"
	" path TEXT NOT NULL,"
	" body_hash BLOB NOT NULL,"
	" status INTEGER,"		/* NULL while the first request runs */
	" response BLOB,"
	" created INTEGER NOT NULL,"
	" PRIMARY KEY (owner, key));"
	"CREATE INDEX IF NOT EXISTS ix_idempotency_created ON idempotency (created);";

#define PI_COLS "id, amount, currency, status, capture_method, amount_capturable, amount_received, " \
		"amount_refunded, secret, return_url, description, metadata, pm_token, payment_method, " \
		"last_payment_error, created, canceled_at, cancellation_reason"

enum {
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q_PING,
	Q_PI_INSERT, Q_PI_GET, Q_PI_UPDATE, Q_PI_IDS,
	Q_RE_INSERT, Q_RE_GET,
	Q_EV_INSERT, Q_EV_LIST, Q_EV_LIST_PI, Q_EV_DUE, Q_EV_DELIVERED, Q_EV_FAILED, Q_EV_NEXT,
	Q_IK_GET, Q_IK_CLAIM, Q_IK_FINISH, Q_IK_RELEASE, Q_IK_PURGE, Q_IK_CLEAR,
	Q_SYNC_NORMAL, Q_SYNC_FULL,
	Q_COUNT
};

static struct {
	const char *sql;
	sqlite3_stmt *st;
} q[Q_COUNT] = {
	/* IMMEDIATE: the write lock is taken at BEGIN, so a reader in another
	 * process (the sqlite3 shell) never turns a commit into SQLITE_BUSY
	 * halfway through a request. */
	[Q_BEGIN] = { "BEGIN IMMEDIATE", NULL },
	[Q_COMMIT] = { "COMMIT", NULL },
	[Q_ROLLBACK] = { "ROLLBACK", NULL },
	[Q_PING] = { "SELECT 1", NULL },
	[Q_SYNC_NORMAL] = { "PRAGMA synchronous=NORMAL", NULL },
	[Q_SYNC_FULL] = { "PRAGMA synchronous=FULL", NULL },
	[Q_PI_INSERT] = { "INSERT INTO intents (" PI_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", NULL },
	[Q_PI_GET] = { "SELECT " PI_COLS " FROM intents WHERE id = ?", NULL },
	[Q_PI_UPDATE] = { "UPDATE intents SET amount = ?2, currency = ?3, status = ?4, capture_method = ?5,"
			  " amount_capturable = ?6, amount_received = ?7, amount_refunded = ?8, secret = ?9,"
			  " return_url = ?10, description = ?11, metadata = ?12, pm_token = ?13,"
			  " payment_method = ?14, last_payment_error = ?15, created = ?16, canceled_at = ?17,"
			  " cancellation_reason = ?18 WHERE id = ?1", NULL },
	/* Newest first; with starting_after, only those older than that one
	 * (an unknown id lists nothing: the caller checks it exists). */
	[Q_PI_IDS] = { "SELECT id FROM intents WHERE ?2 IS NULL OR seq < (SELECT seq FROM intents WHERE id = ?2) "
		       "ORDER BY seq DESC LIMIT ?1", NULL },
	[Q_RE_INSERT] = { "INSERT INTO refunds (id, payment_intent, amount, reason, created) VALUES (?,?,?,?,?)", NULL },
	[Q_RE_GET] = { "SELECT id, payment_intent, amount, reason, created FROM refunds WHERE id = ?", NULL },
	[Q_EV_INSERT] = { "INSERT INTO events (id, type, payment_intent, body, created, next_attempt_ms)"
			  " VALUES (?,?,?,?,?,?)", NULL },
	[Q_EV_LIST] = { "SELECT body, delivered_at, attempts, last_error FROM events ORDER BY seq DESC LIMIT ?", NULL },
	[Q_EV_LIST_PI] = { "SELECT body, delivered_at, attempts, last_error FROM events WHERE payment_intent = ?"
			   " ORDER BY seq DESC LIMIT ?", NULL },
	[Q_EV_DUE] = { "SELECT seq, id, attempts, body FROM events WHERE delivered_at IS NULL"
		       " AND attempts < ? AND next_attempt_ms <= ? ORDER BY next_attempt_ms, seq LIMIT ?", NULL },
	[Q_EV_DELIVERED] = { "UPDATE events SET delivered_at = ?2, attempts = attempts + 1, last_error = NULL"
			     " WHERE seq = ?1", NULL },
	[Q_EV_FAILED] = { "UPDATE events SET attempts = ?2, next_attempt_ms = ?3, last_error = ?4 WHERE seq = ?1", NULL },
	[Q_EV_NEXT] = { "SELECT MIN(next_attempt_ms) FROM events WHERE delivered_at IS NULL AND attempts < ?", NULL },
	[Q_IK_GET] = { "SELECT method, path, body_hash, status, response FROM idempotency WHERE owner = ? AND key = ?", NULL },
	[Q_IK_CLAIM] = { "INSERT INTO idempotency (owner, key, method, path, body_hash, created) VALUES (?,?,?,?,?,?)", NULL },
	[Q_IK_FINISH] = { "UPDATE idempotency SET status = ?3, response = ?4 WHERE owner = ?1 AND key = ?2", NULL },
	[Q_IK_RELEASE] = { "DELETE FROM idempotency WHERE owner = ? AND key = ?", NULL },
	[Q_IK_PURGE] = { "DELETE FROM idempotency WHERE created < ? AND status IS NOT NULL", NULL },
	/* At start: a request that was running when the last process died
	 * committed nothing (its work and its answer are one transaction), so
	 * its claim only blocks a retry that should run. */
	[Q_IK_CLEAR] = { "DELETE FROM idempotency WHERE status IS NULL", NULL },
};

static const char *const status_names[] = {
	[PI_REQUIRES_PAYMENT_METHOD] = "requires_payment_method",
	[PI_REQUIRES_CAPTURE] = "requires_capture",
	[PI_SUCCEEDED] = "succeeded",
	[PI_CANCELED] = "canceled",
};

const char *pi_status_name(enum pi_status s)
{
	return status_names[s];
}

static int status_from_name(const char *s, enum pi_status *out)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++) {
		if (!strcmp(s, status_names[i])) {
			*out = (enum pi_status)i;
			return 1;
		}
	}
	return 0;
}

static void db_error(const char *what)
{
	pg_log("sqlite: %s: %s", what, sqlite3_errmsg(db));
}

/* The statement, reset and unbound, ready for new parameters. */
static sqlite3_stmt *stmt(int i)
{
	sqlite3_reset(q[i].st);
	sqlite3_clear_bindings(q[i].st);
	return q[i].st;
}

/* Steps a statement that returns no rows. */
static enum pg_err run(int i, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(q[i].sql);
		return PG_DB;
	}
	return PG_OK;
}

/* The same for a write whose loss in a power cut costs nothing but a
 * repeat: it commits without its own fsync (WAL, synchronous=NORMAL: the
 * frame is on disk with the next FULL commit, which every request that
 * changes money makes). An in-progress claim lost with the machine
 * belongs to a request that never answered, so a retry runs afresh; a
 * webhook's delivery mark lost means one more delivery, which the shop
 * recognises by the event's id. Each fsync is taken under the store's one
 * lock, so the three per payment were what limited the gateway. */
static enum pg_err run_relaxed(int i, sqlite3_stmt *st)
{
	enum pg_err rc;
	int full;

	if (sqlite3_step(stmt(Q_SYNC_NORMAL)) != SQLITE_DONE) {
		sqlite3_reset(st);
		return run(i, st);
	}
	rc = run(i, st);
	full = sqlite3_step(stmt(Q_SYNC_FULL)) == SQLITE_DONE;
	sqlite3_reset(q[Q_SYNC_FULL].st);
	sqlite3_reset(q[Q_SYNC_NORMAL].st);
	if (!full) {
		db_error(q[Q_SYNC_FULL].sql);
		return PG_DB;	/* never go on with relaxed commits */
	}
	return rc;
}

static void bind_text(sqlite3_stmt *st, int col, const char *s)
{
	if (s)
		sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, col);
}

static char *col_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? strdup((const char *)s) : NULL;
}

static void col_copy(sqlite3_stmt *st, int col, char *out, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(out, size, "%s", s ? (const char *)s : "");
}

enum pg_err store_open(const char *path)
{
	char *msg = NULL;
	sqlite3_stmt *st = NULL;
	int version = 0;
	enum pg_err rc = PG_DB;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		pg_log("sqlite: cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	/* WAL: readers (a developer's sqlite3 shell) never block the gateway;
	 * synchronous=FULL: an acknowledged payment survives a power cut too. */
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
			 NULL, NULL, &msg) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > SCHEMA_VERSION) {
		pg_log("sqlite: %s has schema version %d, newer than this paygate (%d)", path, version,
		       SCHEMA_VERSION);
		goto out;
	}
	if (version < 1) {
		if (sqlite3_exec(db, "BEGIN", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, schema_v1, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "PRAGMA user_version = 1; COMMIT", NULL, NULL, &msg) != SQLITE_OK)
			goto out;
	}
	for (int i = 0; i < Q_COUNT; i++) {
		if (sqlite3_prepare_v3(db, q[i].sql, -1, SQLITE_PREPARE_PERSISTENT, &q[i].st, NULL) != SQLITE_OK) {
			db_error(q[i].sql);
			goto out;
		}
	}
	if (run(Q_IK_CLEAR, stmt(Q_IK_CLEAR)) != PG_OK)
		goto out;
	rc = PG_OK;
out:
	if (msg) {
		pg_log("sqlite: %s: %s", path, msg);
		sqlite3_free(msg);
	}
	if (rc != PG_OK)
		store_close();
	return rc;
}

void store_close(void)
{
	for (int i = 0; i < Q_COUNT; i++) {
		sqlite3_finalize(q[i].st);
		q[i].st = NULL;
	}
	if (db)
		sqlite3_close(db);
	db = NULL;
}

void store_lock(void)
{
	pthread_mutex_lock(&store_mu);
}

void store_unlock(void)
{
	pthread_mutex_unlock(&store_mu);
}

enum pg_err store_begin(void)
{
	return run(Q_BEGIN, stmt(Q_BEGIN));
}

enum pg_err store_commit(void)
{
	return run(Q_COMMIT, stmt(Q_COMMIT));
}

void store_rollback(void)
{
	/* A failed COMMIT may already have rolled back; nothing to report. */
	if (sqlite3_get_autocommit(db))
		return;
	run(Q_ROLLBACK, stmt(Q_ROLLBACK));
}

int store_ping(void)
{
	sqlite3_stmt *st = stmt(Q_PING);
	int ok = sqlite3_step(st) == SQLITE_ROW;

	sqlite3_reset(st);
	return ok;
}

void intent_row_free(struct intent *pi)
{
	free(pi->return_url);
	free(pi->description);
	free(pi->metadata);
	free(pi->pm_token);
	free(pi->payment_method);
	free(pi->last_error);
	free(pi->cancel_reason);
	memset(pi, 0, sizeof(*pi));
}

void refund_row_free(struct refund *re)
{
	free(re->reason);
	memset(re, 0, sizeof(*re));
}

/* Binds every column of an intent in PI_COLS order (1..18). */
static void bind_intent(sqlite3_stmt *st, const struct intent *pi)
{
	sqlite3_bind_text(st, 1, pi->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, pi->amount);
	sqlite3_bind_text(st, 3, pi->currency, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, pi_status_name(pi->status), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, pi->manual ? "manual" : "automatic", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, pi->capturable);
	sqlite3_bind_int64(st, 7, pi->received);
	sqlite3_bind_int64(st, 8, pi->refunded);
	sqlite3_bind_text(st, 9, pi->secret, -1, SQLITE_TRANSIENT);
	bind_text(st, 10, pi->return_url);
	bind_text(st, 11, pi->description);
	bind_text(st, 12, pi->metadata ? pi->metadata : "{}");
	bind_text(st, 13, pi->pm_token);
	bind_text(st, 14, pi->payment_method);
	bind_text(st, 15, pi->last_error);
	sqlite3_bind_int64(st, 16, pi->created);
	if (pi->canceled_at)
		sqlite3_bind_int64(st, 17, pi->canceled_at);
	else
		sqlite3_bind_null(st, 17);
	bind_text(st, 18, pi->cancel_reason);
}

enum pg_err store_intent_insert(const struct intent *pi)
{
	sqlite3_stmt *st = stmt(Q_PI_INSERT);

	bind_intent(st, pi);
	return run(Q_PI_INSERT, st);
}

enum pg_err store_intent_update(const struct intent *pi)
{
	sqlite3_stmt *st = stmt(Q_PI_UPDATE);
	enum pg_err rc;

	bind_intent(st, pi);
	rc = run(Q_PI_UPDATE, st);
	if (rc == PG_OK && sqlite3_changes(db) != 1)
		rc = PG_NOTFOUND;
	return rc;
}

enum pg_err store_intent_get(const char *id, struct intent *pi)
{
	sqlite3_stmt *st = stmt(Q_PI_GET);
	enum pg_err rc = PG_NOTFOUND;
	int step;

	memset(pi, 0, sizeof(*pi));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		goto out;
	rc = PG_DB;
	if (step != SQLITE_ROW) {
		db_error(q[Q_PI_GET].sql);
		goto out;
	}
	col_copy(st, 0, pi->id, sizeof(pi->id));
	pi->amount = sqlite3_column_int64(st, 1);
	col_copy(st, 2, pi->currency, sizeof(pi->currency));
	if (!status_from_name((const char *)sqlite3_column_text(st, 3), &pi->status))
		goto out;
	pi->manual = !strcmp((const char *)sqlite3_column_text(st, 4), "manual");
	pi->capturable = sqlite3_column_int64(st, 5);
	pi->received = sqlite3_column_int64(st, 6);
	pi->refunded = sqlite3_column_int64(st, 7);
	col_copy(st, 8, pi->secret, sizeof(pi->secret));
	pi->return_url = col_dup(st, 9);
	pi->description = col_dup(st, 10);
	pi->metadata = col_dup(st, 11);
	pi->pm_token = col_dup(st, 12);
	pi->payment_method = col_dup(st, 13);
	pi->last_error = col_dup(st, 14);
	pi->created = sqlite3_column_int64(st, 15);
	pi->canceled_at = sqlite3_column_int64(st, 16);
	pi->cancel_reason = col_dup(st, 17);
	rc = pi->metadata ? PG_OK : PG_NOMEM;
out:
	sqlite3_reset(st);
	if (rc != PG_OK)
		intent_row_free(pi);
	return rc;
}

enum pg_err store_intent_ids(int max, const char *after, char (*ids)[32], int *n)
{
	sqlite3_stmt *st = stmt(Q_PI_IDS);
	int step;

	*n = 0;
	sqlite3_bind_int(st, 1, max);
	if (after)
		sqlite3_bind_text(st, 2, after, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 2);
	while ((step = sqlite3_step(st)) == SQLITE_ROW && *n < max)
		col_copy(st, 0, ids[(*n)++], 32);
	sqlite3_reset(st);
	if (step != SQLITE_DONE && step != SQLITE_ROW) {
		db_error(q[Q_PI_IDS].sql);
		return PG_DB;
	}
	return PG_OK;
}

enum pg_err store_refund_insert(const struct refund *re)
{
	sqlite3_stmt *st = stmt(Q_RE_INSERT);

	sqlite3_bind_text(st, 1, re->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, re->intent, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, re->amount);
	bind_text(st, 4, re->reason);
	sqlite3_bind_int64(st, 5, re->created);
	return run(Q_RE_INSERT, st);
}

enum pg_err store_refund_get(const char *id, struct refund *re)
{
	sqlite3_stmt *st = stmt(Q_RE_GET);
	enum pg_err rc = PG_NOTFOUND;
	int step;

	memset(re, 0, sizeof(*re));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		col_copy(st, 0, re->id, sizeof(re->id));
		col_copy(st, 1, re->intent, sizeof(re->intent));
		re->amount = sqlite3_column_int64(st, 2);
		re->reason = col_dup(st, 3);
		re->created = sqlite3_column_int64(st, 4);
		rc = PG_OK;
	} else if (step != SQLITE_DONE) {
		db_error(q[Q_RE_GET].sql);
		rc = PG_DB;
	}
	sqlite3_reset(st);
	return rc;
}

enum pg_err store_event_insert(const char *id, const char *type, const char *intent,
			       const char *body, int64_t created, int64_t due_ms)
{
	sqlite3_stmt *st = stmt(Q_EV_INSERT);

	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
	bind_text(st, 3, intent);
	sqlite3_bind_text(st, 4, body, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, created);
	sqlite3_bind_int64(st, 6, due_ms);
	return run(Q_EV_INSERT, st);
}

enum pg_err store_event_list(int limit, const char *intent, json_t *arr)
{
	int which = intent ? Q_EV_LIST_PI : Q_EV_LIST;
	sqlite3_stmt *st = stmt(which);
	enum pg_err rc = PG_OK;
	int step;

	if (intent) {
		sqlite3_bind_text(st, 1, intent, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 2, limit);
	} else {
		sqlite3_bind_int(st, 1, limit);
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *body = (const char *)sqlite3_column_text(st, 0);
		json_t *ev = body ? json_loads(body, 0, NULL) : NULL;
		const unsigned char *err = sqlite3_column_text(st, 3);

		if (!ev) {
			rc = PG_NOMEM;
			break;
		}
		json_object_set_new(ev, "delivered", json_boolean(sqlite3_column_type(st, 1) != SQLITE_NULL));
		json_object_set_new(ev, "attempts", json_integer(sqlite3_column_int(st, 2)));
		json_object_set_new(ev, "last_error", err ? json_string((const char *)err) : json_null());
		json_array_append_new(arr, ev);
	}
	if (rc == PG_OK && step != SQLITE_DONE) {
		db_error(q[which].sql);
		rc = PG_DB;
	}
	sqlite3_reset(st);
	return rc;
}

enum pg_err store_event_due(int64_t now_ms, int max, struct due_event *out, int *n)
{
	sqlite3_stmt *st = stmt(Q_EV_DUE);
	enum pg_err rc = PG_OK;
	int step = SQLITE_DONE;

	*n = 0;
	sqlite3_bind_int(st, 1, STORE_MAX_ATTEMPTS);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_int(st, 3, max);
	while (*n < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct due_event *e = &out[*n];

		e->seq = sqlite3_column_int64(st, 0);
		col_copy(st, 1, e->id, sizeof(e->id));
		e->attempts = sqlite3_column_int(st, 2);
		e->body = col_dup(st, 3);
		if (!e->body) {
			rc = PG_NOMEM;
			break;
		}
		(*n)++;
	}
	if (rc == PG_OK && step != SQLITE_DONE && step != SQLITE_ROW) {
		db_error(q[Q_EV_DUE].sql);
		rc = PG_DB;
	}
	sqlite3_reset(st);
	return rc;
}

enum pg_err store_event_delivered(int64_t seq, int64_t at)
{
	sqlite3_stmt *st = stmt(Q_EV_DELIVERED);

	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, at);
	return run_relaxed(Q_EV_DELIVERED, st);
}

enum pg_err store_event_failed(int64_t seq, int attempts, int64_t next_ms, const char *error)
{
	sqlite3_stmt *st = stmt(Q_EV_FAILED);

	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int(st, 2, attempts);
	sqlite3_bind_int64(st, 3, next_ms);
	bind_text(st, 4, error);
	return run(Q_EV_FAILED, st);
}

enum pg_err store_event_next_due(int64_t *ms)
{
	sqlite3_stmt *st = stmt(Q_EV_NEXT);
	enum pg_err rc = PG_OK;

	*ms = 0;
	sqlite3_bind_int(st, 1, STORE_MAX_ATTEMPTS);
	if (sqlite3_step(st) == SQLITE_ROW)
		*ms = sqlite3_column_int64(st, 0);
	else {
		db_error(q[Q_EV_NEXT].sql);
		rc = PG_DB;
	}
	sqlite3_reset(st);
	return rc;
}

void idem_free(struct idem *row)
{
	free(row->path);
	free(row->response);
	memset(row, 0, sizeof(*row));
}

enum pg_err store_idem_get(const char *owner, const char *key, struct idem *row)
{
	sqlite3_stmt *st = stmt(Q_IK_GET);
	enum pg_err rc = PG_NOTFOUND;
	int step;

	memset(row, 0, sizeof(*row));
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		goto out;
	rc = PG_DB;
	if (step != SQLITE_ROW) {
		db_error(q[Q_IK_GET].sql);
		goto out;
	}
	col_copy(st, 0, row->method, sizeof(row->method));
	row->path = col_dup(st, 1);
	if (sqlite3_column_bytes(st, 2) == 32)
		memcpy(row->hash, sqlite3_column_blob(st, 2), 32);
	row->status = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 3);
	if (row->status) {
		const void *p = sqlite3_column_blob(st, 4);
		size_t n = (size_t)sqlite3_column_bytes(st, 4);

		row->response = malloc(n + 1);
		if (!row->response) {
			rc = PG_NOMEM;
			goto out;
		}
		if (n)
			memcpy(row->response, p, n);
		row->response[n] = '\0';
		row->response_len = n;
	}
	rc = row->path ? PG_OK : PG_NOMEM;
out:
	sqlite3_reset(st);
	if (rc != PG_OK)
		idem_free(row);
	return rc;
}

enum pg_err store_idem_claim(const char *owner, const char *key, const char *method,
			     const char *path, const unsigned char hash[32], int64_t now)
{
	sqlite3_stmt *st = stmt(Q_IK_CLAIM);

	sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, method, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 5, hash, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, now);
	return run_relaxed(Q_IK_CLAIM, st);
}

enum pg_err store_idem_finish(const char *owner, const char *key, int status,
			      const char *body, size_t len)
{
	sqlite3_stmt *st = stmt(Q_IK_FINISH);

	sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, status);
	/* A blob, not text: the answer comes back byte for byte. */
	sqlite3_bind_blob(st, 4, body ? body : "", (int)len, SQLITE_TRANSIENT);
	return run(Q_IK_FINISH, st);
}

enum pg_err store_idem_release(const char *owner, const char *key)
{
	sqlite3_stmt *st = stmt(Q_IK_RELEASE);

	sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	return run(Q_IK_RELEASE, st);
}

enum pg_err store_idem_purge(int64_t before)
{
	sqlite3_stmt *st = stmt(Q_IK_PURGE);

	sqlite3_bind_int64(st, 1, before);
	return run(Q_IK_PURGE, st);
}
