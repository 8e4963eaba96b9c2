/* Reconciliation of payments and stock: see reconcile.h for the rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../mail/mail.h"
#include "../inventory/inventory.h"
#include "../order/order.h"
#include "../payment/payment.h"
#include "reconcile.h"

enum {
	Q_ORDER, Q_LOG, Q_ADMINS, NQ
};

/* Order states in the three groups the payment rules need. */


/* A whole decimal number of n bytes from min to max: 0 when s is one. */
static int parse_int64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
	char buf[24], *end;
	long long v;

	if (!s || !n || n >= sizeof(buf) || *s < '0' || *s > '9')
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static struct db_sql sql[NQ] = {
	/* ARCHIVE: an archived order (app/archive) is still the order behind
	 * its payment: not finding it would call its capture unowned. */
	[Q_ORDER] = { "SELECT status, payment_intent, total, currency, payment_status FROM orders WHERE id = ? "
		      "UNION ALL SELECT status, payment_intent, total, currency, payment_status FROM orders_archive "
		      "WHERE id = ?", 0 },
	[Q_LOG] = { "INSERT INTO reconcile_log (kind, subject, finding, action, outcome) VALUES (?, ?, ?, ?, ?)", 0 },
	/* Every active admin (the bound only guards a runaway table). */
	[Q_ADMINS] = { "SELECT email FROM users WHERE is_admin = 1 AND status = 'active' ORDER BY id LIMIT 500", 0 },
};

void reconcile_init(void)
{
	db_register(sql, NQ);
}

/* One finding: into r->log, and into reconcile_log when repairing. */
static void note(struct db *db, struct arena *a, struct recon *r, const char *kind, const char *subject,
		 const char *finding, const char *action, const char *outcome)
{
	r->findings++;
	if (!strcmp(outcome, "repaired"))
		r->repaired++;
	else if (!strcmp(outcome, "failed"))
		r->failed++;
	json_array_append_new(r->log, json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", kind, "subject", subject,
						 "finding", finding, "action", action ? action : "", "outcome", outcome));
	if (r->repair && db_exec(db, a, &sql[Q_LOG], NULL, "sssss", kind, subject, finding, action ? action : "", outcome))
		log_warn("reconcile: could not record a finding: %s", db_error(db));
	log_info("reconcile: %s %s: %s%s%s (%s)", kind, subject, finding, action && *action ? "; " : "",
		 action ? action : "", outcome);
}

/* ---- payments ---- */

struct pi {
	const char *id, *status, *currency;
	int64_t amount, received, refunded, created, order_id;
};

/* Voids an authorization nobody owns (key derived from the intent). */
static void void_it(struct db *db, struct arena *a, struct recon *r, const struct pi *pi, const char *finding)
{
	struct payment p;
	enum err e;

	if (!r->repair) {
		note(db, a, r, "payment", pi->id, finding, "void the authorization", "reported");
		return;
	}
	e = payment_cancel(a, arena_printf(a, "reconcile-%s-void", pi->id), pi->id, &p);
	if (e == E_OK && !strcmp(p.status, "canceled"))
		note(db, a, r, "payment", pi->id, finding, "authorization voided", "repaired");
	else
		note(db, a, r, "payment", pi->id, finding, arena_printf(a, "void failed: %s",
			e ? err_str(e) : *p.error_code ? p.error_code : p.status), "failed");
}

/* Refunds what was captured and not refunded yet. */
static void refund_it(struct db *db, struct arena *a, struct recon *r, const struct pi *pi, const char *finding)
{
	int64_t rest = pi->received - pi->refunded;
	struct payment p;
	enum err e;

	if (rest <= 0)
		return;
	if (!r->repair) {
		note(db, a, r, "payment", pi->id, finding, arena_printf(a, "refund %lld", (long long)rest), "reported");
		return;
	}
	e = payment_refund(a, arena_printf(a, "reconcile-%s-refund-%lld", pi->id, (long long)pi->refunded), pi->id,
			   rest, &p);
	if (e == E_OK && !*p.error_code)
		note(db, a, r, "payment", pi->id, finding, arena_printf(a, "refunded %lld", (long long)rest), "repaired");
	else
		note(db, a, r, "payment", pi->id, finding, arena_printf(a, "refund failed: %s",
			e ? err_str(e) : p.error_code), "failed");
}

/* Money at the gateway that no order of the shop stands behind. */
static void unowned(struct db *db, struct arena *a, struct recon *r, const struct pi *pi, const char *why)
{
	if (!strcmp(pi->status, "requires_capture"))
		void_it(db, a, r, pi, arena_printf(a, "authorization of %lld with %s", (long long)pi->amount, why));
	else if (!strcmp(pi->status, "succeeded"))
		refund_it(db, a, r, pi, arena_printf(a, "capture of %lld with %s", (long long)pi->received, why));
}

static int in(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return 1;
	return 0;
}

static const char *const unpaid[] = { "pending_payment", "payment_failed", NULL };
static const char *const ended[] = { "expired", "cancelled", NULL };
static const char *const unshipped[] = { "confirmed", "fulfilling", NULL };
static const char *const paid[] = { "confirmed", "fulfilling", "shipped", "delivered", "returned", "refunded", NULL };

static enum err check_intent(struct db *db, struct arena *a, struct recon *r, const struct pi *pi)
{
	struct db_res *o = NULL;
	const char *ost, *oi, *subject = arena_printf(a, "order:%lld", (long long)pi->order_id);
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_ORDER], &o, "ii", pi->order_id, pi->order_id)))
		return e;
	if (!o->nrows) {
		unowned(db, a, r, pi, arena_printf(a, "no order %lld in the shop", (long long)pi->order_id));
		return E_OK;
	}
	ost = db_cell(o, 0, 0);
	oi = db_cell(o, 0, 1);
	if (!oi && (!strcmp(pi->status, "requires_capture") || !strcmp(pi->status, "succeeded"))) {
		/* The saga never stored the gateway's answer: the order is this
		 * intent's, if the amount is the order's. */
		if (!r->repair) {
			note(db, a, r, "payment", pi->id, arena_printf(a, "%s has no payment recorded", subject),
			     "link the payment to the order", "reported");
			return E_OK;
		}
		e = order_link_intent(db, a, pi->order_id, pi->id, pi->amount, pi->currency);
		if (e == E_CONFLICT) {
			unowned(db, a, r, pi, arena_printf(a, "an amount that is not %s's", subject));
			return E_OK;
		}
		if (e)
			return e;
		note(db, a, r, "payment", pi->id, arena_printf(a, "%s had no payment recorded", subject),
		     "payment linked to the order", "repaired");
		oi = pi->id;
	}
	if (!oi)
		return E_OK;	/* nothing held or taken: an abandoned attempt */
	if (strcmp(oi, pi->id)) {
		unowned(db, a, r, pi, arena_printf(a, "%s paid by another payment (%s)", subject, oi));
		return E_OK;
	}
	if (!strcmp(pi->status, "requires_capture") && (in(ost, unpaid) || in(ost, ended))) {
		/* Authorized, and the order never heard (or ended first):
		 * order_paid confirms a waiting order, voids for an ended one. */
		int late = 0;
		const char *finding = arena_printf(a, "authorized at the gateway, %s is %s", subject, ost);

		if (!r->repair) {
			note(db, a, r, "payment", pi->id, finding, in(ost, ended) ? "void the authorization" :
			     "confirm the order", "reported");
			return E_OK;
		}
		if (in(ost, ended)) {
			void_it(db, a, r, pi, finding);
			return E_OK;
		}
		if ((e = order_paid(db, a, pi->id, "", "", "reconciler", &late)))
			return e;
		note(db, a, r, "payment", pi->id, finding, late ? "order had ended: authorization voided" :
		     "order confirmed", "repaired");
		return E_OK;
	}
	if (!strcmp(pi->status, "succeeded") && in(ost, ended)) {
		refund_it(db, a, r, pi, arena_printf(a, "captured at the gateway, %s is %s", subject, ost));
		return E_OK;
	}
	if (!strcmp(pi->status, "canceled") && in(ost, unshipped)) {
		/* The gateway holds nothing for an order that has shipped
		 * nothing: it can never be paid; it is cancelled and its units
		 * go back on the shelf. */
		const char *finding = arena_printf(a, "voided at the gateway, %s is %s", subject, ost);

		if (!r->repair) {
			note(db, a, r, "payment", pi->id, finding, "cancel the order", "reported");
			return E_OK;
		}
		e = order_release(db, a, pi->order_id, "cancelled", "reconciler", "the payment was voided at the gateway");
		if (e && e != E_CONFLICT)
			return e;
		note(db, a, r, "payment", pi->id, finding, e ? "order changed meanwhile" : "order cancelled",
		     e ? "failed" : "repaired");
		return E_OK;
	}
	if (in(ost, paid) && (!db_cell(o, 0, 4) || strcmp(db_cell(o, 0, 4), pi->status)) &&
	    (!strcmp(pi->status, "requires_capture") || !strcmp(pi->status, "succeeded"))) {
		const char *finding = arena_printf(a, "%s records payment status %s, the gateway %s", subject,
						   db_cell(o, 0, 4) ? db_cell(o, 0, 4) : "none", pi->status);

		if (!r->repair) {
			note(db, a, r, "payment", pi->id, finding, "record the gateway's status", "reported");
			return E_OK;
		}
		if ((e = order_set_payment_status(db, a, pi->order_id, pi->id, pi->status)))
			return e;
		note(db, a, r, "payment", pi->id, finding, "gateway's status recorded", "repaired");
	}
	return E_OK;
}

enum err reconcile_payments(struct db *db, struct arena *a, struct recon *r)
{
	const char *after = NULL;
	int64_t now = (int64_t)time(NULL);
	int more = 1;
	enum err e = E_OK;

	while (more) {
		json_t *list = NULL, *o;
		size_t i;

		if ((e = payment_list(a, after, 100, &list, &more)))
			return e;
		json_array_foreach(list, i, o) {
			const char *oid = json_string_value(json_object_get(json_object_get(o, "metadata"), "order_id"));
			struct pi pi;

			memset(&pi, 0, sizeof(pi));
			pi.id = arena_strdup(a, json_string_value(json_object_get(o, "id")) ?: "");
			pi.status = arena_strdup(a, json_string_value(json_object_get(o, "status")) ?: "");
			pi.currency = arena_strdup(a, json_string_value(json_object_get(o, "currency")) ?: "");
			pi.amount = json_integer_value(json_object_get(o, "amount"));
			pi.received = json_integer_value(json_object_get(o, "amount_received"));
			pi.refunded = json_integer_value(json_object_get(o, "amount_refunded"));
			pi.created = json_integer_value(json_object_get(o, "created"));
			after = pi.id;
			if (r->horizon_s && pi.created < now - r->horizon_s) {
				more = 0;	/* newest first: the rest is older still */
				break;
			}
			if (pi.created > now - r->grace_s)
				continue;	/* a saga may still be on its way */
			if (!oid || parse_int64(oid, strlen(oid), 1, INT64_MAX, &pi.order_id))
				continue;	/* not an order of this shop */
			r->checked++;
			if ((e = check_intent(db, a, r, &pi)))
				break;
		}
		json_decref(list);
		if (e)
			return e;
	}
	return E_OK;
}

/* ---- stock ---- */

enum err reconcile_stock(struct db *db, struct arena *a, struct recon *r)
{
	struct stray_hold *sh;
	struct stock_ledger *lg;
	int64_t sku = 0, wh = 0;
	size_t n;
	enum err e;

	/* Holds first: releasing one fixes its row's reserved as well. */
	if ((e = inventory_holds_of_ended(db, a, 500, &sh, &n)))
		return e;
	for (size_t i = 0; i < n; i++) {
		int64_t hold = sh[i].hold_id, moved = 0;
		const char *subject = arena_printf(a, "hold:%lld", (long long)hold);
		const char *finding = arena_printf(a, "units held for order %lld, which is %s", (long long)sh[i].order_id,
						   sh[i].order_status);

		if (!r->repair) {
			note(db, a, r, "stock", subject, finding, "release the hold", "reported");
			continue;
		}
		e = order_release_stray_hold(db, a, hold, &moved);
		if (e == E_UNAVAIL)
			return e;
		note(db, a, r, "stock", subject, finding, e ? arena_printf(a, "not released: %s", err_str(e)) :
		     arena_printf(a, "%lld units back to available", (long long)moved), e ? "failed" : "repaired");
	}
	for (;;) {
		if ((e = inventory_ledger_page(db, a, sku, wh, 500, &lg, &n)))
			return e;
		if (!n)
			break;
		for (size_t i = 0; i < n; i++) {
			int64_t avail = lg[i].available, resv = lg[i].reserved, comm = lg[i].committed;
			int64_t held = lg[i].held, hcomm = lg[i].held_committed, shipped = lg[i].shipped;
			/* Hot-SKU stock: the SKU's sale shards in this warehouse. */
			int64_t savail = lg[i].shard_available, sresv = lg[i].shard_reserved;
			int64_t scomm = lg[i].shard_committed;
			int64_t moved = lg[i].moved, units = avail + resv + comm + savail + sresv + scomm + shipped;
			const char *subject;

			sku = lg[i].sku_id;
			wh = lg[i].warehouse_id;
			subject = arena_printf(a, "sku:%lld/%lld", (long long)sku, (long long)wh);
			r->checked++;
			if (resv > held) {
				const char *finding = arena_printf(a, "%lld units reserved, live holds cover %lld",
								   (long long)resv, (long long)held);
				int64_t released = 0;

				if (!r->repair) {
					note(db, a, r, "stock", subject, finding, "release the rest", "reported");
				} else if ((e = inventory_release_unheld(db, a, sku, wh, &released)) == E_UNAVAIL) {
					return e;
				} else {
					note(db, a, r, "stock", subject, finding, e ? err_str(e) :
					     arena_printf(a, "%lld units back to available", (long long)released),
					     e ? "failed" : "repaired");
				}
			} else if (resv < held) {
				note(db, a, r, "stock", subject, arena_printf(a, "%lld units reserved, live holds say %lld",
					(long long)resv, (long long)held), "", "reported");
			}
			if (comm != hcomm)
				note(db, a, r, "stock", subject, arena_printf(a, "%lld units committed, committed holds say %lld",
					(long long)comm, (long long)hcomm), "", "reported");
			/* A sale's shards against its holds: reported, never
			 * repaired here (a difference has no one right answer). */
			if (sresv != lg[i].sale_held)
				note(db, a, r, "stock", subject, arena_printf(a, "%lld units reserved in sale shards, "
					"live holds of sales say %lld", (long long)sresv, (long long)lg[i].sale_held),
				     "", "reported");
			if (scomm != lg[i].sale_committed)
				note(db, a, r, "stock", subject, arena_printf(a, "%lld units committed in sale shards, "
					"committed holds of sales say %lld", (long long)scomm,
					(long long)lg[i].sale_committed), "", "reported");
			if (llabs(units - moved) > r->threshold)
				note(db, a, r, "stock", subject, arena_printf(a, "not conserved: movements add up to %lld, "
					"the warehouse accounts for %lld (available %lld + reserved %lld + committed %lld "
					"+ in sale shards %lld + %lld + %lld + shipped %lld)", (long long)moved,
					(long long)units, (long long)avail, (long long)resv, (long long)comm,
					(long long)savail, (long long)sresv, (long long)scomm, (long long)shipped),
				     "", "reported");
		}
	}
	return E_OK;
}

/* ---- reporting ---- */

enum err reconcile_alert(struct db *db, struct arena *a, const char *what, const struct recon *r)
{
	struct db_res *ad = NULL;
	struct buf b;
	json_t *f;
	size_t i;
	enum err e;

	if (!r->findings)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_ADMINS], &ad, "")))
		return e;
	buf_init(&b, a, 4096);
	buf_printf(&b, "The %s reconciliation found %lld thing(s): %lld repaired, %lld failed, %lld only reported.\n\n",
		   what, (long long)r->findings, (long long)r->repaired, (long long)r->failed,
		   (long long)(r->findings - r->repaired - r->failed));
	json_array_foreach(r->log, i, f) {
		if (i == 50) {
			buf_printf(&b, "... and %zu more: `shopctl reconcile %s --check` lists them all.\n",
				   json_array_size(r->log) - 50, what);
			break;
		}
		buf_printf(&b, "- [%s] %s: %s%s%s\n", json_string_value(json_object_get(f, "outcome")),
			   json_string_value(json_object_get(f, "subject")), json_string_value(json_object_get(f, "finding")),
			   *json_string_value(json_object_get(f, "action")) ? " -> " : "",
			   json_string_value(json_object_get(f, "action")));
	}
	buf_printf(&b, "\nEvery finding is kept in the table reconcile_log.\n");
	for (i = 0; i < ad->nrows; i++)
		if ((e = mail_enqueue(db, a, db_cell(ad, i, 0), arena_printf(a, "Reconciliation of %s: %lld finding(s)",
				      what, (long long)r->findings), b.p)))
			return e;
	return E_OK;
}

int reconcile_batch(struct db *db, struct kv *kv, struct arena *a)
{
	struct recon r;

	(void)kv;
	memset(&r, 0, sizeof(r));
	r.repair = 1;
	r.grace_s = 4 * PAYMENT_SETTLE_S;
	r.horizon_s = 2 * 24 * 3600;
	r.log = json_array();
	if (payment_init() == E_OK && reconcile_payments(db, a, &r) == E_OK)
		reconcile_alert(db, a, "payments", &r);
	json_decref(r.log);
	memset(&r, 0, sizeof(r));
	r.repair = 1;
	r.log = json_array();
	if (reconcile_stock(db, a, &r) == E_OK)
		reconcile_alert(db, a, "stock", &r);
	json_decref(r.log);
	return 0;
}

/* ---- the command ---- */

int reconcile_cmd(int argc, char **argv)
{
	struct recon r;
	struct db *db = NULL;
	struct arena *a = NULL;
	const char *what = argc > 1 ? argv[1] : "";
	json_t *f;
	size_t i;
	enum err e;
	int rc = 1;

	memset(&r, 0, sizeof(r));
	r.repair = 1;
	r.grace_s = 4 * PAYMENT_SETTLE_S;
	r.horizon_s = 2 * 24 * 3600;
	if (strcmp(what, "payments") && strcmp(what, "stock"))
		return 2;
	for (int k = 2; k < argc; k++) {
		int64_t v;

		if (!strcmp(argv[k], "--check")) {
			r.repair = 0;
		} else if (!strcmp(argv[k], "--all")) {
			r.horizon_s = 0;
		} else if ((!strcmp(argv[k], "--grace") || !strcmp(argv[k], "--threshold")) && k + 1 < argc &&
			   !parse_int64(argv[k + 1], strlen(argv[k + 1]), 0, INT64_MAX, &v)) {
			*(!strcmp(argv[k], "--grace") ? &r.grace_s : &r.threshold) = v;
			k++;
		} else {
			return 2;
		}
	}
	if (!(a = arena_new(1 << 20)) || !(r.log = json_array()))
		goto out;
	if (db_open(&db)) {
		fprintf(stderr, "shopctl: cannot reach MariaDB\n");
		goto out;
	}
	if (!strcmp(what, "payments")) {
		if (payment_init()) {
			fprintf(stderr, "shopctl: the payment gateway is not configured (SHOP_PAYGATE_URL)\n");
			goto out;
		}
		e = reconcile_payments(db, a, &r);
	} else {
		e = reconcile_stock(db, a, &r);
	}
	json_array_foreach(r.log, i, f)
		printf("%-8s %-7s %-24s %s%s%s\n", json_string_value(json_object_get(f, "outcome")),
		       json_string_value(json_object_get(f, "kind")), json_string_value(json_object_get(f, "subject")),
		       json_string_value(json_object_get(f, "finding")),
		       *json_string_value(json_object_get(f, "action")) ? " -> " : "",
		       json_string_value(json_object_get(f, "action")));
	printf("%s: %lld checked, %lld found, %lld repaired, %lld failed%s\n", what, (long long)r.checked,
	       (long long)r.findings, (long long)r.repaired, (long long)r.failed, r.repair ? "" : " (check only)");
	if (e) {
		fprintf(stderr, "shopctl: reconciliation stopped: %s\n", err_str(e));
		goto out;
	}
	if (r.repair)
		reconcile_alert(db, a, what, &r);
	rc = r.repair ? (r.findings > r.repaired) : r.findings > 0;
out:
	json_decref(r.log);
	db_close(db);
	if (a)
		arena_destroy(a);
	return rc;
}
