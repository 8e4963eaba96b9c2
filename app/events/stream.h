/* The event stream: the outbox delivered to named consumers, each with a
 * durable position, in order, at least once (docs/design.md section 8).
 *
 * The outbox is the log of record. Its ids are handed out at INSERT and
 * become visible at COMMIT, so a lower id can appear after a higher one was
 * read; the relay (event_relay) therefore stamps committed rows with a
 * sequence number `seq` in one place, under a lock row, and consumers read
 * by seq: a row that commits late gets a later seq, never a place behind a
 * consumer's position. The positions live in MariaDB (`event_consumers`),
 * so they survive restarts and a Redis flush.
 *
 * A consumer is a struct event_consumer in its module's descriptor
 * (struct module.consumers); the jobs process runs each as a job of its own
 * (event_consume_batch), so a slow consumer never holds up another. A
 * consumer must be idempotent by event id: a crash between its work and the
 * saved position, or `shopctl events replay`, delivers an event again. */
#ifndef EVENTS_STREAM_H
#define EVENTS_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"
#include "events.h"

struct arena;
struct db;
struct kv;

/* One delivered event. Everything lives until the batch ends. */
struct event {
	int64_t id;		/* outbox.id: the event's identity (dedup by this) */
	int64_t seq;		/* its place in the stream */
	int64_t aggregate;	/* product id or order id (events.h) */
	int type;		/* enum event_type, or -1 for a name this build does not know */
	const char *topic;	/* "OrderConfirmed", ... */
	const char *payload;	/* the JSON text */
	json_t *json;		/* the payload parsed (borrowed; freed after the handler) */
	int64_t created_ms;	/* when it was written, ms since the epoch */
};

struct event_consumer {
	const char *name;	/* "search-index", "pcache", "notify", ...: [a-z0-9-], unique */
	/* The topics it wants, comma-separated without spaces
	 * ("ProductUpdated,StockChanged"); NULL for every topic. Others are
	 * skipped (its position still moves past them). */
	const char *topics;
	/* One event, in seq order. E_OK: done. E_UNAVAIL: the world is not
	 * there (a server down): the same event is tried again after a backoff,
	 * for ever, never parked. Anything else counts as a failure of this
	 * event: after SHOP_EVENTS_MAX_ATTEMPTS (default 5) tries with backoff
	 * it is parked (event_parked) and the consumer goes on. A handler that
	 * writes does so in its own transaction (db_tx); none is open around it. */
	enum err (*handle)(struct db *db, struct kv *kv, struct arena *a, const struct event *ev);
	/* Optional: after the handled events of a batch, before the position is
	 * saved (a consumer that gathers a batch's work writes it here). Any
	 * error: nothing of the batch is saved, it comes again after a backoff. */
	enum err (*flush)(struct db *db, struct kv *kv, struct arena *a);
	/* Optional: called once per process before its first batch (a cache
	 * that may have missed changes while no one followed, ...). */
	enum err (*start)(struct db *db, struct kv *kv, struct arena *a);
	unsigned batch;		/* events per batch; 0 = 200 */
	unsigned max_attempts;	/* tries before parking; 0 = SHOP_EVENTS_MAX_ATTEMPTS (default 5) */
	unsigned interval_ms;	/* idle poll; 0 = 200 */
	/* A consumer the stream has never seen starts at the head (only what
	 * happens from now on) when 1, at the oldest kept event when 0. */
	int from_head;
	/* 1: the consumer keeps something of its host's own (the workers'
	 * product cache: catalog's pcache), so every jobs process follows the
	 * stream for it, from the head, its position in memory only: not
	 * claimed, never in event_consumers, never leased (app/jobs.c). A
	 * handler error skips the event (logged). Issue 20: several hosts. */
	int per_host;
};

/* Statements (events_init calls it). */
void stream_init(void);

/* Stamps committed, unsequenced outbox rows with the next seqs, in id
 * order; at most 1000 per call. Returns how many, -1 when MariaDB is
 * unavailable. Safe in several processes at once (a lock row). The
 * consumers call it before reading, so an event is delivered without
 * waiting for the relay job. */
int event_relay(struct db *db, struct arena *a);

/* One batch of c: relay, claim the consumer (a lease in its row, so two
 * hosts never run one consumer at once), deliver, save the position. The
 * jobs contract: > 0 more waiting, 0 idle or backing off after a failure,
 * -1 unavailable. */
int event_consume_batch(struct db *db, struct kv *kv, struct arena *a, const struct event_consumer *c);

/* One batch of a per-host consumer (c->per_host): its position is the
 * caller's, in memory (-1 before the first batch, which runs c->start and
 * begins at the head); nothing claimed or saved in event_consumers. A
 * handler's error other than E_UNAVAIL skips that event (logged). The jobs
 * contract as above. Every jobs process runs one per such consumer
 * (app/jobs.c). */
int event_follow_batch(struct db *db, struct kv *kv, struct arena *a, const struct event_consumer *c,
		       int64_t *pos);

/* The consumers this build runs: app/modules.c hands over every module's
 * list at start. */
void stream_set_consumers(const struct event_consumer *const *list, size_t n);
/* The probe consumer of test stacks (probe.c); app/modules.c adds it to
 * the list when SHOP_TEST_HOOKS=1. */
extern const struct event_consumer event_probe;
/* Every consumer of every module, n set. */
const struct event_consumer *const *event_consumers(size_t *n);
const struct event_consumer *event_consumer_find(const char *name);

/* Moves c's position so that its next event is the first with seq > seq
 * (a rewind or a skip); used by replay and by the search reindex. */
enum err event_consumer_set_position(struct db *db, struct arena *a, const char *name, int64_t seq);
/* c's saved position; -1 when it has never run. */
enum err event_consumer_position(struct db *db, struct arena *a, const char *name, int64_t *seq);
/* The stream's head: the largest seq given so far (0 when none). */
enum err event_head(struct db *db, struct arena *a, int64_t *seq);

/* An outbox row read as (seq, id, topic, aggregate_id, payload, created
 * ms), and one delivery of it to c (the payload parsed, the handler run). */
struct db_res;
void event_read_row(struct event *ev, const struct db_res *r, size_t row);
enum err event_deliver(struct db *db, struct kv *kv, struct arena *a, const struct event_consumer *c,
		       struct event *ev);

/* The retention job: events older than SHOP_EVENTS_KEEP_DAYS (default 7)
 * that every consumer has passed and none has parked are deleted, copied to
 * outbox_archive first when SHOP_EVENTS_ARCHIVE=1; 1000 per call, returns
 * how many (-1 unavailable). */
int event_retention_batch(struct db *db, struct kv *kv, struct arena *a);

/* shopctl events [list] | replay C --from ID|TIME | parked [C] | retry C ID|--all | prune
 * (stream_cmd.c). */
void stream_cmd_init(void);
int events_command(int argc, char **argv);

#endif
