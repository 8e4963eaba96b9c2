/* shopctl events: the consumers' positions and lag, replay, parked events,
 * retention by hand (stream.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "stream.h"

enum {
	C_ROWS, C_LAG, C_PARKED_COUNT, C_FROM_ID, C_FROM_TIME, C_COUNT_AFTER, C_PARKED, C_PARKED_EVENTS,
	C_UNPARK, C_REPARK, NC
};

static struct db_sql sql[NC] = {
	[C_ROWS] = { "SELECT name, position, delivered, failing_seq, attempts, "
		     "DATE_FORMAT(last_error_at, '%Y-%m-%d %H:%i:%s'), last_error FROM event_consumers ORDER BY name", 0 },
	/* Undelivered events of the consumer's topics, sequenced or not yet. */
	[C_LAG] = { "SELECT COUNT(*), COALESCE(TIMESTAMPDIFF(SECOND, MIN(created_at), NOW(3)), 0) FROM outbox "
		    "WHERE (seq > ? OR seq IS NULL) AND (? IS NULL OR FIND_IN_SET(topic, ?))", 0 },
	[C_PARKED_COUNT] = { "SELECT COUNT(*) FROM event_parked WHERE consumer = ?", 0 },
	[C_FROM_ID] = { "SELECT MIN(seq) FROM outbox WHERE id >= ?", 0 },
	[C_FROM_TIME] = { "SELECT MIN(seq) FROM outbox WHERE created_at >= ?", 0 },
	[C_COUNT_AFTER] = { "SELECT COUNT(*) FROM outbox WHERE seq > ? AND (? IS NULL OR FIND_IN_SET(topic, ?))", 0 },
	[C_PARKED] = { "SELECT p.consumer, p.event_id, COALESCE(o.topic, '?'), p.attempts, "
		       "DATE_FORMAT(p.parked_at, '%Y-%m-%d %H:%i:%s'), p.error FROM event_parked p "
		       "LEFT JOIN outbox o ON o.id = p.event_id WHERE (? IS NULL OR p.consumer = ?) "
		       "ORDER BY p.parked_at, p.event_id", 0 },
	[C_PARKED_EVENTS] = { "SELECT o.seq, o.id, o.topic, o.aggregate_id, o.payload, "
			      "CAST(UNIX_TIMESTAMP(o.created_at) * 1000 AS SIGNED), p.attempts FROM event_parked p "
			      "JOIN outbox o ON o.id = p.event_id WHERE p.consumer = ? AND (? = 0 OR p.event_id = ?) "
			      "ORDER BY o.seq", 0 },
	[C_UNPARK] = { "DELETE FROM event_parked WHERE consumer = ? AND event_id = ?", 0 },
	[C_REPARK] = { "UPDATE event_parked SET attempts = attempts + 1, error = LEFT(?, 255), parked_at = NOW(3) "
		       "WHERE consumer = ? AND event_id = ?", 0 },
};

#define EXIT_USAGE 2	/* MODULE_EXIT_USAGE: shopctl prints the usage */

void stream_cmd_init(void)
{
	db_register(sql, NC);
}

static int usage(void)
{
	return EXIT_USAGE;
}

static int cmd_list(struct db *db, struct arena *a)
{
	struct db_res *rows = NULL;
	size_t n;
	const struct event_consumer *const *cs = event_consumers(&n);

	if (db_exec(db, a, &sql[C_ROWS], &rows, ""))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const struct event_consumer *c = cs[i];
		struct db_res *lag = NULL, *pk = NULL;
		int64_t pos = 0, delivered = 0, failing = 0, attempts = 0;
		const char *err_at = NULL, *err = NULL;
		int found = 0;

		for (size_t r = 0; r < rows->nrows; r++)
			if (!strcmp(db_cell(rows, r, 0), c->name)) {
				found = 1;
				pos = db_int(rows, r, 1);
				delivered = db_int(rows, r, 2);
				failing = db_int(rows, r, 3);
				attempts = db_int(rows, r, 4);
				err_at = db_cell(rows, r, 5);
				err = db_cell(rows, r, 6);
			}
		if (db_exec(db, a, &sql[C_LAG], &lag, "iss", pos, c->topics, c->topics) ||
		    db_exec(db, a, &sql[C_PARKED_COUNT], &pk, "s", c->name))
			goto fail;
		printf("%-14s position %lld  lag %lld events %llds  delivered %lld  parked %lld", c->name,
		       (long long)pos, (long long)db_int(lag, 0, 0), (long long)db_int(lag, 0, 1),
		       (long long)delivered, (long long)db_int(pk, 0, 0));
		if (!found)
			printf("  (not started)");
		if (failing)
			printf("  failing on seq %lld (try %lld)", (long long)failing, (long long)attempts);
		if (err)
			printf("  last error %s: %s", err_at ? err_at : "?", err);
		putchar('\n');
	}
	/* Rows no consumer of this build reads any more. */
	for (size_t r = 0; r < rows->nrows; r++)
		if (!event_consumer_find(db_cell(rows, r, 0)))
			printf("%-14s position %lld  (retired: no consumer of this build)\n", db_cell(rows, r, 0),
			       (long long)db_int(rows, r, 1));
	return 0;
fail:
	fprintf(stderr, "shopctl events: %s\n", db_error(db));
	return 1;
}

/* "2026-12-05", "2026-12-05 10:00", "2026-12-05T10:00:00Z": to MariaDB's
 * "YYYY-MM-DD HH:MM:SS" (UTC, as the database keeps time), or NULL. */
static const char *parse_time(struct arena *a, const char *s)
{
	char out[20] = "0000-00-00 00:00:00";
	size_t n = strlen(s);
	static const char shape[] = "dddd-dd-dd dd:dd:dd";

	if (n && s[n - 1] == 'Z')
		n--;
	if (n != 10 && n != 16 && n != 19)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char want = shape[i], c = s[i];

		if (want == 'd' ? !isdigit((unsigned char)c) : want == ' ' ? c != ' ' && c != 'T' : c != want)
			return NULL;
		out[i] = want == ' ' ? ' ' : c;
	}
	return arena_strdup(a, out);
}

static int cmd_replay(struct db *db, struct arena *a, int argc, char **argv)
{
	const struct event_consumer *c;
	struct db_res *r = NULL, *cnt = NULL;
	const char *from, *when = NULL;
	int64_t head, seq, id = -1;
	char *end;

	if (argc != 4 || strcmp(argv[2], "--from"))
		return usage();
	if (!(c = event_consumer_find(argv[1]))) {
		fprintf(stderr, "shopctl events: no consumer named %s (shopctl events lists them)\n", argv[1]);
		return 1;
	}
	from = argv[3];
	id = strtoll(from, &end, 10);
	if (*end || end == from || id < 0) {
		id = -1;
		if (!(when = parse_time(a, from))) {
			fprintf(stderr, "shopctl events: --from takes an event id or a time (2026-12-05 10:00:00, UTC)\n");
			return EXIT_USAGE;
		}
	}
	if (event_head(db, a, &head) ||
	    (id >= 0 ? db_exec(db, a, &sql[C_FROM_ID], &r, "i", id) : db_exec(db, a, &sql[C_FROM_TIME], &r, "s", when)))
		goto fail;
	seq = r->nrows && db_cell(r, 0, 0) ? db_int(r, 0, 0) - 1 : head;
	if (event_consumer_set_position(db, a, c->name, seq) ||
	    db_exec(db, a, &sql[C_COUNT_AFTER], &cnt, "iss", seq, c->topics, c->topics))
		goto fail;
	printf("%s: position %lld; %lld events of its topics will be delivered again\n", c->name, (long long)seq,
	       (long long)db_int(cnt, 0, 0));
	return 0;
fail:
	fprintf(stderr, "shopctl events: %s\n", db_error(db));
	return 1;
}

static int cmd_parked(struct db *db, struct arena *a, int argc, char **argv)
{
	struct db_res *r = NULL;
	const char *name = argc >= 2 ? argv[1] : NULL;

	if (argc > 2)
		return usage();
	if (db_exec(db, a, &sql[C_PARKED], &r, "ss", name, name)) {
		fprintf(stderr, "shopctl events: %s\n", db_error(db));
		return 1;
	}
	for (size_t i = 0; i < r->nrows; i++)
		printf("%s event %s %s  tries %s  parked %s  %s\n", db_cell(r, i, 0), db_cell(r, i, 1),
		       db_cell(r, i, 2), db_cell(r, i, 3), db_cell(r, i, 4), db_cell(r, i, 5));
	if (!r->nrows)
		printf("no parked events\n");
	return 0;
}

static int cmd_retry(struct db *db, struct arena *a, int argc, char **argv)
{
	const struct event_consumer *c;
	struct db_res *r = NULL;
	struct kv *kv = NULL;
	int64_t id = 0;
	int failed = 0;
	char *end;

	if (argc != 3)
		return usage();
	if (!(c = event_consumer_find(argv[1]))) {
		fprintf(stderr, "shopctl events: no consumer named %s\n", argv[1]);
		return 1;
	}
	if (strcmp(argv[2], "--all")) {
		id = strtoll(argv[2], &end, 10);
		if (*end || id <= 0)
			return usage();
	}
	if (db_exec(db, a, &sql[C_PARKED_EVENTS], &r, "sii", c->name, id, id)) {
		fprintf(stderr, "shopctl events: %s\n", db_error(db));
		return 1;
	}
	if (!r->nrows) {
		fprintf(stderr, "shopctl events: %s has no parked event%s%s\n", c->name, id ? " " : "",
			id ? argv[2] : "");
		return 1;
	}
	kv_open(&kv);	/* a consumer that needs Redis reports it unavailable */
	for (size_t i = 0; i < r->nrows; i++) {
		struct event x;
		enum err e;

		event_read_row(&x, r, i);
		e = event_deliver(db, kv, a, c, &x);
		if (e == E_OK && c->flush)
			e = c->flush(db, kv, a);
		db_settle(db);
		if (e == E_OK) {
			db_exec(db, a, &sql[C_UNPARK], NULL, "si", c->name, x.id);
			printf("%s: event %lld (%s) delivered\n", c->name, (long long)x.id, x.topic);
		} else {
			char msg[200];

			snprintf(msg, sizeof(msg), "retried by hand: %s", err_str(e));
			db_exec(db, a, &sql[C_REPARK], NULL, "ssi", msg, c->name, x.id);
			printf("%s: event %lld (%s) still fails: %s\n", c->name, (long long)x.id, x.topic, err_str(e));
			failed = 1;
		}
	}
	kv_close(kv);
	return failed;
}

static int cmd_prune(struct db *db, struct arena *a)
{
	long long total = 0;
	int n;

	while ((n = event_retention_batch(db, NULL, a)) > 0) {
		total += n;
		arena_reset(a);
	}
	if (n < 0) {
		fprintf(stderr, "shopctl events: %s\n", db_error(db));
		return 1;
	}
	printf("pruned %lld events past retention\n", total);
	return 0;
}

int events_command(int argc, char **argv)
{
	struct db *db = NULL;
	struct arena *a = arena_new(64 * 1024);
	const char *sub = argc >= 2 ? argv[1] : "list";
	int rc;

	if (!a)
		return 1;
	if (db_open(&db)) {
		fprintf(stderr, "shopctl events: cannot connect to MariaDB (database %s)\n", config.db_name);
		db_close(db);
		arena_destroy(a);
		return 1;
	}
	if (!strcmp(sub, "list") && argc <= 2)
		rc = cmd_list(db, a);
	else if (!strcmp(sub, "replay"))
		rc = cmd_replay(db, a, argc - 1, argv + 1);
	else if (!strcmp(sub, "parked"))
		rc = cmd_parked(db, a, argc - 1, argv + 1);
	else if (!strcmp(sub, "retry"))
		rc = cmd_retry(db, a, argc - 1, argv + 1);
	else if (!strcmp(sub, "prune") && argc == 2)
		rc = cmd_prune(db, a);
	else
		rc = usage();
	db_close(db);
	arena_destroy(a);
	return rc;
}
