/* Reconciliation: the checks that money and stock agree with themselves,
 * and the repairs that have one right answer (docs/design.md's failure modes
 * "payment charged, no order" and "inventory drift").
 *
 * Payments: every intent the gateway holds for an order (metadata
 * order_id) is compared with that order. An authorization with no live
 * order is voided, a capture with no order refunded, an order whose payment
 * state disagrees with the gateway's is moved through the order state
 * machine (confirmed when the gateway authorized it, cancelled when the
 * gateway voided it before anything shipped). Intents without an order id
 * are not the shop's and are left alone; intents younger than the grace
 * period may belong to a saga still running and are left for the next run.
 *
 * Stock, per SKU and warehouse:
 *   SUM(stock_movements.delta) = available + reserved + committed
 *                              + the SKU's sale shards (available + reserved
 *                                + committed) in the warehouse + shipped
 *   reserved = units of 'held' holds without a sale, committed = units of
 *   'committed' ones; a shard's reserved and committed likewise = its
 *   sale's holds (reported when they differ)
 *   a 'held' hold belongs to an order that still waits for its payment.
 * Reserved units without a live hold and held holds of ended orders go back
 * to available (one right answer); any other difference is reported.
 *
 * Every finding is printed by the caller from r->log, and, when repairing,
 * recorded in reconcile_log; a run that found anything mails the admins. */
#ifndef RECONCILE_RECONCILE_H
#define RECONCILE_RECONCILE_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;
struct db;
struct kv;

struct recon {
	/* in */
	int repair;		/* 0: report only, change nothing */
	int64_t grace_s;	/* payments: intents younger than this are skipped */
	int64_t horizon_s;	/* payments: only intents created this recently (0: all) */
	int64_t threshold;	/* stock: conservation differences up to this are not reported */
	/* out */
	int64_t checked;	/* intents or inventory rows looked at */
	int64_t findings, repaired, failed;
	json_t *log;		/* [{"kind","subject","finding","action","outcome"}], owned by the caller */
};

void reconcile_init(void);

/* One full pass. E_UNAVAIL when the gateway (payments) or MariaDB did not
 * answer: the counts say how far it got. r->log must be a JSON array. */
enum err reconcile_payments(struct db *db, struct arena *a, struct recon *r);
enum err reconcile_stock(struct db *db, struct arena *a, struct recon *r);

/* Mails every admin a summary of r's findings (nothing when there are
 * none), through the mail outbox. */
enum err reconcile_alert(struct db *db, struct arena *a, const char *what, const struct recon *r);

/* `shopd jobs`: both passes with repairs (payments over the last two days,
 * with a grace of a few settle periods), then the alert. */
int reconcile_batch(struct db *db, struct kv *kv, struct arena *a);

/* `shopctl reconcile payments|stock [--check] [--grace S] [--all]
 * [--threshold N]`: prints each finding and a summary; exit status 0 when
 * nothing is left unrepaired (with --check: when nothing was found). */
int reconcile_cmd(int argc, char **argv);

#endif
