/* Seller payouts (issue 19): commission rates, the sellers' ledger and
 * payout statements. Money is in the shop's currency (fx_shop_currency),
 * minor units; an order in another currency is converted line by line at
 * its own rate (orders.fx_rate, fx_to_shop).
 *
 * The ledger is written by the consumer "payouts" of the event stream:
 *   ShipmentShipped  each line of the shipment credits its seller with what
 *                    the shipment captured for it (fulfillment's per-line
 *                    amount rule): gross, the commission at the line's rate,
 *                    net = gross - commission;
 *   RefundSucceeded  each refund line debits its seller: gross = - what was
 *                    refunded, the commission given back at the rate of the
 *                    line's credit (cumulatively rounded, so a line refunded
 *                    in parts gives back exactly its credit's commission).
 * One row per (shipment or refund, line): the source is unique, so an event
 * delivered twice (a replay, a lost lease) writes nothing twice.
 *
 * Rates, in basis points: the seller's own, else its product's category's
 * (nearest ancestor that has one), else the shop's row, else
 * SHOP_COMMISSION_BPS (default 1000 = 10 %). A rate counts for lines
 * captured after it changed; entries keep the rate they were written with.
 *
 * Periods close on a schedule (SHOP_PAYOUT_PERIOD: "weekly", Mondays 00:00
 * UTC, the default; "daily"; or a number of seconds, as the test stacks
 * use): the "payouts" job puts each seller's open entries created before
 * the last boundary into a statement (opening = the previous statement's
 * carry, closing = opening + net, payout = max(closing, 0), carry =
 * min(closing, 0): a negative balance carries over), PayoutClosed in the
 * same transaction. An admin (or `shopctl payouts pay`) marks a statement
 * paid: PayoutPaid, and the audit log. */
#ifndef PAYOUTS_PAYOUTS_H
#define PAYOUTS_PAYOUTS_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct db_res;
struct kv;
struct event;

/* Statements and settings (SHOP_COMMISSION_BPS, SHOP_PAYOUT_PERIOD);
 * idempotent. */
void payouts_init(void);

/* The period in seconds (0: weekly, aligned on Mondays) and its last
 * boundary at or before now (Unix seconds). */
int64_t payouts_boundary(int64_t now);
/* "weekly", "daily" or "every N seconds": for pages. */
const char *payouts_period_text(struct arena *a);

/* The consumer "payouts" (ShipmentShipped, RefundSucceeded). */
enum err payouts_on_event(struct db *db, struct kv *kv, struct arena *a, const struct event *ev);

/* ---- rates ---- */

enum payout_scope { PS_SHOP, PS_CATEGORY, PS_SELLER };
/* "shop", "category", "seller" -> the scope, or -1. */
int payouts_scope_parse(const char *s);
const char *payouts_scope_name(int scope);
/* The rate a line of this seller's product would get now. */
enum err payouts_rate_for(struct db *db, struct arena *a, int64_t seller_id, int64_t product_id, int64_t *bps);
/* Sets (bps >= 0) or removes (bps < 0; not the shop's: it is set back to
 * SHOP_COMMISSION_BPS) one rate, audited as actor, in one transaction.
 * E_NOTFOUND: no such category or seller; E_INVAL: bps out of 0..10000. */
enum err payouts_rate_set(struct db *db, struct arena *a, const char *actor, int scope, int64_t scope_id,
			  int64_t bps);
/* Every rate row: scope, scope_id, bps, name (category or seller), updated_by,
 * updated_at (ISO); the shop's first. And the shop's effective default. */
enum err payouts_rates(struct db *db, struct arena *a, struct db_res **out, int64_t *shop_bps);

/* ---- statements ---- */

/* Closes the period ending at boundary (Unix seconds) for up to `limit`
 * sellers with open entries created before it; *closed: statements made.
 * Each seller in its own transaction. */
enum err payouts_close(struct db *db, struct arena *a, int64_t boundary, size_t limit, size_t *closed);
/* The job: closes the last period; > 0 when there may be more. */
int payouts_job(struct db *db, struct kv *kv, struct arena *a);

/* Marks a pending statement paid (reference: the transfer's, may be "").
 * E_NOTFOUND: no such statement; E_CONFLICT: paid already. Audited. */
enum err payouts_pay(struct db *db, struct arena *a, int64_t id, const char *actor, const char *reference);

/* Columns of a statement row. */
enum { PO_ID, PO_SELLER, PO_START, PO_END, PO_CUR, PO_ENTRIES, PO_GROSS, PO_COMM, PO_NET, PO_OPENING, PO_CLOSING,
       PO_PAYOUT, PO_CARRY, PO_STATUS, PO_REF, PO_PAID_AT, PO_CREATED, PO_SELLER_NAME };
/* One statement; seller_id > 0: only that seller's (else E_NOTFOUND). */
enum err payouts_statement(struct db *db, struct arena *a, int64_t id, int64_t seller_id, struct db_res **out);
/* Statements newest first, before id `before` (0: from the newest);
 * seller_id 0: every seller's; status NULL: any. */
enum err payouts_statements(struct db *db, struct arena *a, int64_t seller_id, const char *status, int64_t before,
			    int64_t limit, struct db_res **out);

/* Columns of an entry row. */
enum { PE_ID, PE_KIND, PE_ORDER, PE_LINE, PE_CODE, PE_TITLE, PE_QTY, PE_CUR, PE_AMOUNT, PE_RATE, PE_GROSS, PE_COMM,
       PE_NET, PE_BPS, PE_REF, PE_CREATED, PE_STATEMENT };
/* A statement's entries (statement_id > 0), or the seller's open ones
 * (statement_id 0), oldest first. */
enum err payouts_entries(struct db *db, struct arena *a, int64_t seller_id, int64_t statement_id, int64_t limit,
			 struct db_res **out);

/* What the seller has earned and not yet seen in a statement: open
 * entries' count, gross, commission, net; the last statement's carry. */
struct payout_balance {
	int64_t entries, gross, commission, net, carry;
};
enum err payouts_balance(struct db *db, struct arena *a, int64_t seller_id, struct payout_balance *b);

/* Where a seller's mails go: the seller's contact address, else the
 * account's (active accounts only); its name. E_NOTFOUND: no address. */
enum err payouts_seller_contact(struct db *db, struct arena *a, int64_t seller_id, const char **email,
				const char **name, int64_t *user_id);

/* The backfill (`shopctl payouts backfill`): every shipped shipment and
 * succeeded refund, hot or archived, with a line that has no ledger entry
 * is written as the consumer would have written it (the same functions,
 * event_id 0, the rate found now), credits before debits. Idempotent: the
 * unique source makes a second run, or a run beside the consumer, write
 * nothing twice. For a ledger that came after the shipments (its consumer
 * starts at the oldest event kept, and the outbox is pruned). Archived
 * orders too, from the archive's twins. */
struct payout_backfill {
	size_t shipments, credits, refunds, debits;
};
enum err payouts_backfill(struct db *db, struct arena *a, struct payout_backfill *out);

/* shopctl payouts close [--now] | pay ID [REFERENCE] | list [pending|paid] | backfill
 * (argv[0] "payouts"): the exit status, -1 for a usage error. */
int payouts_cmd_run(struct db *db, struct arena *a, int argc, char **argv);

#endif
