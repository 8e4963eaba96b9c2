/* The event stream (stream.h): the relay that orders committed events, the
 * consumers' batches with their durable positions, parking, and retention. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "stream.h"

#define RELAY_BATCH 1000
#define LEASE_S 60		/* a batch that takes longer loses its claim */
#define SKIP_SAVE_MS 1000	/* how often a position moved only past others' topics is saved */
#define MAX_CONSUMERS 32

enum {
	Q_PENDING, Q_RELAY_LOCK, Q_RELAY_IDS, Q_RELAY_STAMP, Q_RELAY_RC, Q_RELAY_SAVE,
	Q_ENSURE, Q_STATE, Q_CLAIM, Q_EVENTS, Q_SAVE, Q_SKIP, Q_FAIL, Q_PARK, Q_RELEASE,
	Q_HEAD, Q_SET_POS, Q_POS, Q_TAKEOVER, Q_UNAVAIL,
	Q_POSITIONS, Q_RET_UPPER, Q_RET_ARCHIVE, Q_RET_DELETE,
	NQ
};

static struct db_sql sql[NQ] = {
	[Q_PENDING] = { "SELECT id FROM outbox WHERE relayed_at IS NULL LIMIT 1", 0 },
	/* The lock row serializes relays (several hosts may run one). */
	[Q_RELAY_LOCK] = { "SELECT seq FROM event_relay WHERE id = 1 FOR UPDATE", 0 },
	/* A plain read: it sees only committed rows. One still in flight
	 * appears at a later call and gets a later seq. */
	[Q_RELAY_IDS] = { "SELECT id FROM outbox WHERE relayed_at IS NULL ORDER BY id LIMIT 1000", 0 },
	/* A run of consecutive ids read above, by primary key range, in a
	 * READ COMMITTED transaction: every id of the run is a committed row,
	 * so no row still being inserted lies inside it, and READ COMMITTED
	 * takes no gap lock, so the writers of new events never wait for the
	 * relay. (A join with the id list, or the (relayed_at, id) index, would
	 * lock its way into rows in flight and the gap new events go into.) */
	[Q_RELAY_STAMP] = { "UPDATE outbox SET seq = ? + (id - ?), relayed_at = NOW(3) "
			    "WHERE id BETWEEN ? AND ? AND relayed_at IS NULL", 0 },
	[Q_RELAY_RC] = { "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", 0 },
	[Q_RELAY_SAVE] = { "UPDATE event_relay SET seq = ? WHERE id = 1", 0 },

	[Q_ENSURE] = { "INSERT IGNORE INTO event_consumers (name, position) VALUES (?, ?)", 0 },
	/* Everything the idle path needs in one read. */
	[Q_STATE] = { "SELECT c.position, c.failing_seq, c.attempts, "
		      "c.retry_at IS NOT NULL AND c.retry_at > NOW(3), "
		      "c.lease_owner IS NOT NULL AND c.lease_until > NOW(3) AND c.lease_owner <> ?, r.seq, c.lease_owner "
		      "FROM event_consumers c JOIN event_relay r ON r.id = 1 WHERE c.name = ?", 0 },
	[Q_CLAIM] = { "UPDATE event_consumers SET lease_owner = ?, lease_until = NOW(3) + INTERVAL 60 SECOND "
		      "WHERE name = ? AND position = ? "
		      "AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < NOW(3))", 0 },
	[Q_EVENTS] = { "SELECT seq, id, topic, aggregate_id, payload, "
		       "CAST(UNIX_TIMESTAMP(created_at) * 1000 AS SIGNED) FROM outbox "
		       "WHERE seq > ? AND seq <= ? AND (? IS NULL OR FIND_IN_SET(topic, ?)) ORDER BY seq LIMIT ?", 0 },
	/* Saves only while the claim holds: a replay meanwhile drops it. */
	[Q_SAVE] = { "UPDATE event_consumers SET position = ?, delivered = delivered + ?, failing_seq = NULL, "
		     "attempts = 0, retry_at = NULL, lease_owner = NULL, lease_until = NULL, updated_at = NOW(3) "
		     "WHERE name = ? AND lease_owner = ?", 0 },
	/* Past events of other topics only: no claim needed, the old position
	 * is the guard. */
	[Q_SKIP] = { "UPDATE event_consumers SET position = ?, updated_at = NOW(3) "
		     "WHERE name = ? AND position = ? AND (lease_owner IS NULL OR lease_until < NOW(3))", 0 },
	[Q_FAIL] = { "UPDATE event_consumers SET position = ?, delivered = delivered + ?, failing_seq = ?, "
		     "attempts = ?, retry_at = NOW(3) + INTERVAL ? SECOND, last_error = LEFT(?, 255), "
		     "last_error_at = NOW(3), lease_owner = NULL, lease_until = NULL, updated_at = NOW(3) "
		     "WHERE name = ? AND lease_owner = ?", 0 },
	[Q_PARK] = { "INSERT INTO event_parked (consumer, event_id, seq, attempts, error) VALUES (?, ?, ?, ?, LEFT(?, 255)) "
		     "ON DUPLICATE KEY UPDATE attempts = VALUES(attempts), error = VALUES(error), parked_at = NOW(3)", 0 },
	[Q_RELEASE] = { "UPDATE event_consumers SET lease_owner = NULL, lease_until = NULL WHERE name = ? AND lease_owner = ?", 0 },

	[Q_HEAD] = { "SELECT seq FROM event_relay WHERE id = 1", 0 },
	[Q_SET_POS] = { "UPDATE event_consumers SET position = ?, failing_seq = NULL, attempts = 0, retry_at = NULL, "
			"lease_owner = NULL, lease_until = NULL, updated_at = NOW(3) WHERE name = ?", 0 },

	/* The claim of a dead process of this host (a killed jobs process). */
	[Q_TAKEOVER] = { "UPDATE event_consumers SET lease_owner = ?, lease_until = NOW(3) + INTERVAL 60 SECOND "
			 "WHERE name = ? AND lease_owner = ?", 0 },
	[Q_UNAVAIL] = { "UPDATE event_consumers SET last_error = LEFT(?, 255), last_error_at = NOW(3) WHERE name = ?", 0 },
	[Q_POS] = { "SELECT position FROM event_consumers WHERE name = ?", 0 },
	[Q_POSITIONS] = { "SELECT name, position FROM event_consumers", 0 },
	/* The last seq of the next batch past retention. */
	[Q_RET_UPPER] = { "SELECT MAX(seq) FROM (SELECT seq FROM outbox WHERE seq <= ? "
			  "AND created_at < NOW(3) - INTERVAL ? DAY ORDER BY seq LIMIT 1000) t", 0 },
	[Q_RET_ARCHIVE] = { "INSERT IGNORE INTO outbox_archive (id, seq, topic, aggregate_id, payload, created_at) "
			    "SELECT id, seq, topic, aggregate_id, payload, created_at FROM outbox "
			    "WHERE seq <= ? AND created_at < NOW(3) - INTERVAL ? DAY", 0 },
	[Q_RET_DELETE] = { "DELETE FROM outbox WHERE seq <= ? AND created_at < NOW(3) - INTERVAL ? DAY "
			   "AND id NOT IN (SELECT event_id FROM event_parked)", 0 },
};

static const struct event_consumer *const *consumers;
static size_t nconsumers;

/* What this process knows of each consumer. */
static struct cstate {
	const struct event_consumer *c;
	int started;
	int64_t skip_saved_ms;
} cstates[MAX_CONSUMERS];

static struct db_sql follow_sql[1];

void stream_init(void)
{
	db_register(sql, NQ);
	db_register(follow_sql, sizeof(follow_sql) / sizeof(follow_sql[0]));
}

void stream_set_consumers(const struct event_consumer *const *list, size_t n)
{
	consumers = list;
	nconsumers = n;
}

const struct event_consumer *const *event_consumers(size_t *n)
{
	*n = nconsumers;
	return consumers;
}

const struct event_consumer *event_consumer_find(const char *name)
{
	for (size_t i = 0; i < nconsumers; i++)
		if (!strcmp(consumers[i]->name, name))
			return consumers[i];
	return NULL;
}

static struct cstate *cstate(const struct event_consumer *c)
{
	for (size_t i = 0; i < MAX_CONSUMERS; i++) {
		if (cstates[i].c == c)
			return &cstates[i];
		if (!cstates[i].c) {
			cstates[i].c = c;
			return &cstates[i];
		}
	}
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* host:pid, the lease's owner. */
static const char *owner(void)
{
	static char id[80];
	static pid_t pid;

	if (pid != getpid()) {
		char host[64] = "";

		pid = getpid();
		gethostname(host, sizeof(host) - 1);
		snprintf(id, sizeof(id), "%.60s:%ld", host, (long)pid);
	}
	return id;
}

/* 1 when owner ("host:pid") is a process of this host that no longer
 * exists. Another host's claim is left to run out. */
static int owner_dead(const char *who)
{
	char host[64] = "";
	const char *colon = who ? strrchr(who, ':') : NULL;
	long pid;

	if (!colon)
		return 0;
	gethostname(host, sizeof(host) - 1);
	if ((size_t)(colon - who) != strlen(host) || strncmp(who, host, strlen(host)))
		return 0;
	pid = strtol(colon + 1, NULL, 10);
	return pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static int max_attempts(const struct event_consumer *c)
{
	if (c->max_attempts)
		return (int)c->max_attempts;
	return (int)config_env_num("SHOP_EVENTS_MAX_ATTEMPTS", 5, 1, 100);
}

/* ---- the relay ---- */

static enum err relay_tx(struct db *db, void *arg)
{
	struct arena *a = arg;
	struct db_res *lock = NULL, *ids = NULL;
	int64_t base;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_RELAY_LOCK], &lock, "")))
		return e;
	if (!lock->nrows)
		return E_INTERNAL;	/* migration 090 seeds the row */
	base = db_int(lock, 0, 0);
	if ((e = db_exec(db, a, &sql[Q_RELAY_IDS], &ids, "")))
		return e;
	if (!ids->nrows)
		return E_NOTFOUND;	/* another relay took them */
	for (size_t i = 0, j; i < ids->nrows; i = j) {
		int64_t lo = db_int(ids, i, 0);

		for (j = i + 1; j < ids->nrows && db_int(ids, j, 0) == lo + (int64_t)(j - i); j++)
			;
		if ((e = db_exec(db, a, &sql[Q_RELAY_STAMP], NULL, "iiii", base + (int64_t)i + 1, lo, lo,
				 lo + (int64_t)(j - i) - 1)))
			return e;
		if (db_affected(db) != j - i)
			return E_CONFLICT;	/* cannot happen under the lock; refuse rather than leave a hole */
	}
	if ((e = db_exec(db, a, &sql[Q_RELAY_SAVE], NULL, "i", base + (int64_t)ids->nrows)))
		return e;
	return E_OK;
}

int event_relay(struct db *db, struct arena *a)
{
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_PENDING], &r, "")))
		return e == E_UNAVAIL ? -1 : 0;
	if (!r->nrows)
		return 0;
	if ((e = db_exec(db, a, &sql[Q_RELAY_RC], NULL, "")) || (e = db_begin(db)))
		return e == E_UNAVAIL ? -1 : 0;
	if ((e = relay_tx(db, a)) == E_OK)
		e = db_commit(db);
	else
		db_rollback(db);
	if (e == E_NOTFOUND)
		return 0;
	if (e) {
		if (e != E_UNAVAIL)
			log_warn("events: relay: %s", db_error(db));
		return e == E_UNAVAIL ? -1 : 0;
	}
	return 1;
}

/* ---- consumers ---- */

void event_read_row(struct event *x, const struct db_res *r, size_t i)
{
	memset(x, 0, sizeof(*x));
	x->seq = db_int(r, i, 0);
	x->id = db_int(r, i, 1);
	x->topic = db_cell(r, i, 2);
	x->aggregate = db_int(r, i, 3);
	x->payload = db_cell(r, i, 4);
	x->created_ms = db_int(r, i, 5);
	x->type = -1;
	for (int t = 0; t < EV_NTYPES && x->topic; t++)
		if (!strcmp(event_type_name((enum event_type)t), x->topic))
			x->type = t;
}

enum err event_deliver(struct db *db, struct kv *kv, struct arena *a, const struct event_consumer *c,
		       struct event *x)
{
	json_error_t jerr;
	enum err e;

	x->json = json_loads(x->payload ? x->payload : "", 0, &jerr);
	e = json_is_object(x->json) ? c->handle(db, kv, a, x) : E_INVAL;
	json_decref(x->json);
	x->json = NULL;
	return e;
}

enum err event_head(struct db *db, struct arena *a, int64_t *seq)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_HEAD], &r, "");

	*seq = e == E_OK && r->nrows ? db_int(r, 0, 0) : 0;
	return e;
}

enum err event_consumer_position(struct db *db, struct arena *a, const char *name, int64_t *seq)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_POS], &r, "s", name);

	*seq = e == E_OK && r->nrows ? db_int(r, 0, 0) : -1;
	return e;
}

enum err event_consumer_set_position(struct db *db, struct arena *a, const char *name, int64_t seq)
{
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_ENSURE], NULL, "si", name, seq)))
		return e;
	return db_exec(db, a, &sql[Q_SET_POS], NULL, "is", seq, name);
}

/* Creates c's row the first time (its start per from_head) and runs its
 * start hook once per process. */
static enum err consumer_start(struct db *db, struct kv *kv, struct arena *a, const struct event_consumer *c,
			       struct cstate *st)
{
	int64_t head = 0;
	enum err e;

	if (st->started)
		return E_OK;
	if (c->from_head && (e = event_head(db, a, &head)))
		return e;
	if ((e = db_exec(db, a, &sql[Q_ENSURE], NULL, "si", c->name, head)))
		return e;
	if (c->start && (e = c->start(db, kv, a)))
		return e;
	st->started = 1;
	return E_OK;
}

static int backoff_s(unsigned attempts)
{
	return attempts >= 9 ? 300 : 1 << (attempts - 1 < 8 ? attempts - 1 : 8);	/* 1, 2, 4, ... 256, 300 s */
}

int event_consume_batch(struct db *db, struct kv *kv, struct arena *a, const struct event_consumer *c)
{
	struct cstate *st = cstate(c);
	struct db_res *s = NULL, *ev = NULL;
	int64_t pos, head, failing, upper, done_pos, limit = c->batch ? c->batch : 200;
	int64_t delivered = 0;
	unsigned attempts;
	const char *me = owner();
	enum err e = E_OK;
	size_t i;

	if (!st) {
		log_err("events: more than %d consumers", MAX_CONSUMERS);
		return 0;
	}
	if (event_relay(db, a) < 0)
		return -1;
	if ((e = consumer_start(db, kv, a, c, st)))
		goto unavail;
	if ((e = db_exec(db, a, &sql[Q_STATE], &s, "ss", me, c->name)))
		goto unavail;
	if (!s->nrows)
		return 0;
	pos = db_int(s, 0, 0);
	failing = db_int(s, 0, 1);
	attempts = (unsigned)db_int(s, 0, 2);
	head = db_int(s, 0, 5);
	if (db_int(s, 0, 4) && head > pos && !db_int(s, 0, 3) && owner_dead(db_cell(s, 0, 6))) {
		/* Its last claimant was killed mid-batch: resume now rather
		 * than when the claim runs out. */
		if ((e = db_exec(db, a, &sql[Q_TAKEOVER], NULL, "sss", me, c->name, db_cell(s, 0, 6))))
			goto unavail;
		log_info("events: %s: taking over from %s, which is gone", c->name, db_cell(s, 0, 6));
	} else if (db_int(s, 0, 3) || db_int(s, 0, 4) || head <= pos)
		return 0;	/* backing off, someone else at it, or nothing new */
	/* Look ahead at most a few batches' worth of seqs, so that a consumer
	 * of rare topics walks a long stream in bounded steps. */
	upper = head - pos > limit * 20 ? pos + limit * 20 : head;
	if ((e = db_exec(db, a, &sql[Q_EVENTS], &ev, "iissi", pos, upper, c->topics, c->topics, limit)))
		goto unavail;
	if ((int64_t)ev->nrows == limit)
		upper = db_int(ev, ev->nrows - 1, 0);
	if (!ev->nrows) {
		/* Only others' topics: move on without a claim, saved now and then. */
		int64_t t = now_ms();

		if (upper == head && t - st->skip_saved_ms < SKIP_SAVE_MS)
			return 0;
		st->skip_saved_ms = t;
		if ((e = db_exec(db, a, &sql[Q_SKIP], NULL, "isi", upper, c->name, pos)))
			goto unavail;
		return upper < head ? 1 : 0;
	}
	if ((e = db_exec(db, a, &sql[Q_CLAIM], NULL, "ssis", me, c->name, pos, me)))
		goto unavail;
	if (db_affected(db) != 1 && !db_int(s, 0, 4))
		return 0;	/* moved or claimed meanwhile */

	done_pos = pos;
	for (i = 0; i < ev->nrows; i++) {
		struct event x;

		event_read_row(&x, ev, i);
		e = event_deliver(db, kv, a, c, &x);
		if (db_settle(db))
			log_err("events: %s: the handler left a transaction open (rolled back)", c->name);
		if (e == E_OK) {
			done_pos = x.seq;
			delivered++;
			continue;
		}
		if (e == E_UNAVAIL) {
			char msg[200];

			snprintf(msg, sizeof(msg), "event %lld (%s): unavailable, retrying", (long long)x.id, x.topic);
			db_settle(db);
			db_exec(db, a, &sql[Q_UNAVAIL], NULL, "ss", msg, c->name);
			if (done_pos > pos && (!c->flush || !c->flush(db, kv, a)))
				db_exec(db, a, &sql[Q_SAVE], NULL, "iiss", done_pos, delivered, c->name, me);
			goto unavail_claimed;
		}
		/* This event fails: count, and park it once it has had its tries. */
		attempts = failing == x.seq ? attempts + 1 : 1;
		{
			char msg[255];

			snprintf(msg, sizeof(msg), "event %lld (%s): %s%s%s", (long long)x.id, x.topic, err_str(e),
				 db_errno(db) ? ": " : "", db_errno(db) ? db_error(db) : "");
			if ((int)attempts >= max_attempts(c)) {
				log_warn("events: %s: parked %s after %u tries", c->name, msg, attempts);
				if (db_exec(db, a, &sql[Q_PARK], NULL, "siiis", c->name, x.id, x.seq,
					    (int64_t)attempts, msg))
					goto unavail_claimed;
				done_pos = x.seq;
				failing = 0;
				attempts = 0;
				continue;
			}
			log_warn("events: %s: %s (try %u of %d)", c->name, msg, attempts, max_attempts(c));
			/* Flush what came before it, then wait. */
			if (c->flush && done_pos > pos && c->flush(db, kv, a))
				done_pos = pos, delivered = 0;
			db_exec(db, a, &sql[Q_FAIL], NULL, "iiiiisss", done_pos, delivered, x.seq, (int64_t)attempts,
				(int64_t)backoff_s(attempts), msg, c->name, me);
			return 0;
		}
	}
	if (c->flush && (e = c->flush(db, kv, a))) {
		if (e == E_UNAVAIL)
			goto unavail_claimed;
		log_warn("events: %s: writing the batch failed: %s", c->name, err_str(e));
		db_exec(db, a, &sql[Q_FAIL], NULL, "iiiiisss", pos, (int64_t)0, (int64_t)0, (int64_t)0,
			(int64_t)5, "writing the batch failed", c->name, me);
		return 0;
	}
	/* Past the events of others' topics up to the range's end as well. */
	if (done_pos == db_int(ev, ev->nrows - 1, 0))
		done_pos = upper;
	if ((e = db_exec(db, a, &sql[Q_SAVE], NULL, "iiss", done_pos, delivered, c->name, me)))
		goto unavail;
	return done_pos < head ? 1 : 0;

unavail_claimed:
	db_settle(db);
	db_exec(db, a, &sql[Q_RELEASE], NULL, "ss", c->name, me);
	return -1;
unavail:
	if (e != E_UNAVAIL)
		log_warn("events: %s: %s", c->name, db_error(db));
	return e == E_UNAVAIL ? -1 : 0;
}

/* ---- retention ---- */

static int keep_days(void)
{
	return (int)config_env_num("SHOP_EVENTS_KEEP_DAYS", 7, 1, 36500);
}

struct ret {
	struct arena *a;
	int64_t upper, days;
	int archive;
	uint64_t n;
};

static enum err retention_tx(struct db *db, void *arg)
{
	struct ret *r = arg;
	enum err e;

	if (r->archive && (e = db_exec(db, r->a, &sql[Q_RET_ARCHIVE], NULL, "ii", r->upper, r->days)))
		return e;
	if ((e = db_exec(db, r->a, &sql[Q_RET_DELETE], NULL, "ii", r->upper, r->days)))
		return e;
	r->n = db_affected(db);
	return E_OK;
}

int event_retention_batch(struct db *db, struct kv *kv, struct arena *a)
{
	struct db_res *p = NULL, *u = NULL;
	struct ret r = { .a = a, .days = keep_days() };
	const char *arch = getenv("SHOP_EVENTS_ARCHIVE");
	int64_t min = INT64_MAX;
	enum err e;

	(void)kv;
	r.archive = arch && !strcmp(arch, "1");
	if ((e = db_exec(db, a, &sql[Q_POSITIONS], &p, "")))
		return e == E_UNAVAIL ? -1 : 0;
	/* Only the consumers this build runs hold events back; a retired one
	 * (a row no code reads) would keep them for ever. */
	for (size_t i = 0; i < p->nrows; i++)
		if (event_consumer_find(db_cell(p, i, 0)) && db_int(p, i, 1) < min)
			min = db_int(p, i, 1);
	if (min == INT64_MAX || min <= 0)
		return 0;
	if ((e = db_exec(db, a, &sql[Q_RET_UPPER], &u, "ii", min, r.days)))
		return e == E_UNAVAIL ? -1 : 0;
	if (!u->nrows || !db_cell(u, 0, 0))
		return 0;
	r.upper = db_int(u, 0, 0);
	if ((e = db_tx(db, retention_tx, &r)))
		return e == E_UNAVAIL ? -1 : 0;
	return (int)r.n;	/* at most 1000 */
}

/* ---- per-host followers (event_consumer.per_host; issue 20) ---------------- */

static struct db_sql follow_sql[1] = {
	{ "SELECT seq, id, topic, aggregate_id, payload, CAST(UNIX_TIMESTAMP(created_at) * 1000 AS SIGNED)"
	  " FROM outbox WHERE seq > ? AND seq <= ? AND (? IS NULL OR FIND_IN_SET(topic, ?)) ORDER BY seq LIMIT ?", 0 },
};

/* One batch of a per-host consumer: its position lives in this process
 * (-1 before the first batch, which runs its start hook and begins at the
 * head). Same answers as event_consume_batch. */
int event_follow_batch(struct db *db, struct kv *kv, struct arena *a, const struct event_consumer *c,
		       int64_t *pos)
{
	struct db_res *r = NULL;
	int64_t head;
	long long limit = c->batch ? c->batch : 200;
	size_t i;

	if (event_relay(db, a) < 0 || event_head(db, a, &head))
		return -1;
	if (*pos < 0) {
		if (c->start && c->start(db, kv, a))
			return -1;
		*pos = head;
		return 0;
	}
	if (head <= *pos)
		return 0;
	if (db_exec(db, a, &follow_sql[0], &r, "iissi", *pos, head, c->topics, c->topics, (int64_t)limit))
		return -1;
	for (i = 0; i < r->nrows; i++) {
		struct event ev;
		enum err e;

		event_read_row(&ev, r, i);
		e = event_deliver(db, kv, a, c, &ev);
		if (e == E_UNAVAIL)
			return -1;	/* the same event again, after a backoff */
		if (e)
			log_warn("events: %s (this host): event %lld (%s) failed here; skipped", c->name,
				 (long long)ev.id, ev.topic ? ev.topic : "?");
		*pos = ev.seq;
	}
	if ((long long)r->nrows < limit) {
		*pos = head;	/* the rest up to the head: others' topics */
		return 0;
	}
	return 1;
}

