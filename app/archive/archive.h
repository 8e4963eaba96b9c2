/* The order archive (issue 19; docs/design.md section 11, "The order
 * archive"): orders closed for longer than SHOP_ARCHIVE_AFTER_DAYS move, in
 * batches of SHOP_ARCHIVE_BATCH, from the hot tables to their twins in the
 * same schema (orders_archive, order_lines_archive, order_events_archive,
 * holds_archive, shipments_archive, refunds_archive, refund_lines_archive;
 * migrations/130). Same schema, same shape: a batch is one local
 * transaction of INSERT ... SELECT * and DELETE, all or nothing, and a read
 * of both places is one UNION ALL (app/order, app/fulfillment,
 * app/reconcile read the archive where the order is not hot).
 *
 * A batch is one transaction: it locks the walk's cursor (archive_cursor,
 * migration 158; one batch at a time, the job's or shopctl's, so they
 * never read the same candidates and halve each other's work), reads the
 * candidates without row locks after the cursor (a keyset: closed, last
 * changed before the cutoff, by status, updated_at and id; the orders
 * earlier batches moved are not read again) and saves the cursor after
 * the last it read (back to the start at the end of the walk); then each
 * candidate's row is locked
 * again only if it still has the status and updated_at that were read
 * (FOR UPDATE SKIP LOCKED: a row someone holds is skipped, not waited for),
 * and only if it has no open return, no pending refund, no pending
 * shipment and no live hold; its rows move children first. An order that
 * changed meanwhile stays hot for a later batch. A batch killed half-way
 * rolls back whole: nothing is in both places or in neither. */
#ifndef ARCHIVE_ARCHIVE_H
#define ARCHIVE_ARCHIVE_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;
struct db;
struct kv;

/* Statements and settings (once, at start). */
void archive_init(void);

/* The statuses an order is closed in (SQL list, for the candidates). */
#define ARCHIVE_CLOSED "'delivered', 'cancelled', 'refunded', 'returned', 'expired', 'payment_failed'"

struct archive_opts {
	int64_t after_s;	/* closed for more than this (seconds); < 0: the setting */
	int64_t limit;		/* orders per batch; <= 0: the setting */
	const char *actor;	/* "job", "shopctl" */
	/* Tests only: called after the candidates are read and before the
	 * transaction locks them (to change an order "meanwhile"). */
	void (*between)(void *arg);
	void *between_arg;
	/* The job: when another batch holds the cursor (shopctl archive run),
	 * do nothing this round (r->busy) instead of waiting for it. */
	int nowait;
};

struct archive_result {
	int64_t candidates, moved, skipped;
	int64_t first, last;	/* ids of the orders moved (0: none) */
	int from_start;		/* the batch began at the start of the walk */
	int wrapped;		/* ... and reached its end: the next starts again */
	int busy;		/* nowait, and another batch held the cursor: nothing done */
};

/* One batch. E_OK with r->moved == 0 when there was nothing to move. */
enum err archive_batch(struct db *db, struct arena *a, const struct archive_opts *o, struct archive_result *r);

/* The job: one batch per call, > 0 when the batch was full. */
int archive_job(struct db *db, struct kv *kv, struct arena *a);

/* Counts per status in both places, the oldest closed hot order, the last
 * batch, the settings: a JSON object (new reference) in *out. */
enum err archive_status(struct db *db, struct arena *a, json_t **out);

/* 1 when the order is in the archive (a plain read). */
int archive_has(struct db *db, struct arena *a, int64_t order_id);

/* shopctl archive status|run [--limit N] [--after-seconds S] */
int archive_cmd(int argc, char **argv);

#endif
