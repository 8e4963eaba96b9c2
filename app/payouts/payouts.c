/* Seller payouts: the ledger's consumer, rates, statements (payouts.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../core/text.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../events/stream.h"
#include "../fulfillment/fulfillment.h"
#include "../fx/fx.h"
#include "../console/audit.h"
#include "payouts.h"

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
#define STATEMENT_COLS "SELECT p.id, p.seller_id, " ISO("p.period_start") ", " ISO("p.period_end") ", p.currency, " \
	"p.entries, p.gross, p.commission, p.net, p.opening, p.closing, p.payout, p.carry, p.status, p.reference, " \
	ISO("p.paid_at") ", " ISO("p.created_at") ", s.display_name FROM payout_statements p " \
	"JOIN sellers s ON s.id = p.seller_id "
/* An entry with its order line (hot or archived: the ledger outlives the
 * hot tables). */
#define ENTRY_COLS "SELECT e.id, e.kind, e.order_id, e.line_no, COALESCE(l.code, la.code, ''), " \
	"COALESCE(l.title, la.title, ''), e.quantity, e.currency, e.amount, e.fx_rate, e.gross, e.commission, " \
	"e.net, e.bps, e.ref_id, " ISO("e.created_at") ", e.statement_id FROM seller_ledger e " \
	"LEFT JOIN order_lines l ON l.order_id = e.order_id AND l.line_no = e.line_no " \
	"LEFT JOIN order_lines_archive la ON la.order_id = e.order_id AND la.line_no = e.line_no "

enum {
	Q_SHIPMENT, Q_SHIP_LINES, Q_REFUND, Q_REFUND_LINES, Q_LINE_SALE, Q_LINE_REFUNDED, Q_PRODUCT,
	Q_RATE_SELLER, Q_RATE_CAT, Q_RATE_SHOP, Q_ENTRY_INS,
	Q_RATE_UPSERT, Q_RATE_DEL, Q_RATE_GET, Q_CAT_EXISTS, Q_SELLER_EXISTS, Q_RATES,
	Q_DUE_SELLERS, Q_SELLER_LOCK, Q_LAST_STATEMENT, Q_OPEN_SUMS, Q_STATEMENT_INS, Q_ASSIGN,
	Q_STATEMENT, Q_STATEMENT_LOCK, Q_PAY, Q_STATEMENTS_ALL, Q_STATEMENTS_SELLER, Q_STATEMENTS_STATUS,
	Q_ENTRIES, Q_ENTRIES_OPEN, Q_BALANCE, Q_CARRY, Q_CONTACT, Q_BF_SHIPMENTS, Q_BF_REFUNDS,
	Q_SHIPMENT_ARCH, Q_SHIP_LINES_ARCH, Q_REFUND_ARCH, Q_REFUND_LINES_ARCH, Q_BF_SHIPMENTS_ARCH, Q_BF_REFUNDS_ARCH, NQ
};

static struct db_sql sql[NQ] = {
	[Q_SHIPMENT] = { "SELECT s.seller_id, s.status, o.currency, o.fx_rate, o.total FROM shipments s "
			 "JOIN orders o ON o.id = s.order_id WHERE s.id = ? AND s.order_id = ?", 0 },
	[Q_SHIP_LINES] = { "SELECT line_no, quantity, product_id, seller_id FROM order_lines WHERE order_id = ? "
			   "AND shipment_id = ? ORDER BY line_no", 0 },
	[Q_REFUND] = { "SELECT r.seller_id, r.status, o.currency, o.fx_rate FROM refunds r "
		       "JOIN orders o ON o.id = r.order_id WHERE r.id = ? AND r.order_id = ?", 0 },
	[Q_REFUND_LINES] = { "SELECT rl.line_no, rl.quantity, rl.amount, l.product_id, l.seller_id FROM refund_lines rl "
			     "JOIN order_lines l ON l.order_id = ? AND l.line_no = rl.line_no "
			     "WHERE rl.refund_id = ? ORDER BY rl.line_no", 0 },
	[Q_LINE_SALE] = { "SELECT bps FROM seller_ledger WHERE order_id = ? AND line_no = ? AND kind = 'sale' "
			  "ORDER BY id LIMIT 1", 0 },
	/* A locking read: the latest committed refunds of the line, and the
	 * line's range of the index held until the commit, so two writers of
	 * one line's refunds (the consumer and `shopctl payouts backfill`)
	 * take turns and each sees the other's (the commission given back is
	 * cumulative). */
	[Q_LINE_REFUNDED] = { "SELECT COALESCE(-SUM(gross), 0) FROM seller_ledger WHERE order_id = ? AND line_no = ? "
			      "AND kind = 'refund' FOR UPDATE", 0 },
	[Q_PRODUCT] = { "SELECT category_id FROM products WHERE id = ?", 0 },
	[Q_RATE_SELLER] = { "SELECT bps FROM commission_rates WHERE scope = 'seller' AND scope_id = ?", 0 },
	[Q_RATE_CAT] = { "SELECT r.bps, c.parent_id FROM categories c LEFT JOIN commission_rates r "
			 "ON r.scope = 'category' AND r.scope_id = c.id WHERE c.id = ?", 0 },
	[Q_RATE_SHOP] = { "SELECT bps FROM commission_rates WHERE scope = 'shop' AND scope_id = 0", 0 },
	/* The unique source makes a second delivery a no-op. */
	[Q_ENTRY_INS] = { "INSERT INTO seller_ledger (seller_id, kind, source, event_id, order_id, line_no, ref_id, "
			  "quantity, currency, amount, fx_rate, gross, commission, net, bps) "
			  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id", 0 },
	[Q_RATE_UPSERT] = { "INSERT INTO commission_rates (scope, scope_id, bps, updated_by) VALUES (?, ?, ?, ?) "
			    "ON DUPLICATE KEY UPDATE bps = VALUES(bps), updated_by = VALUES(updated_by)", 0 },
	[Q_RATE_DEL] = { "DELETE FROM commission_rates WHERE scope = ? AND scope_id = ?", 0 },
	[Q_RATE_GET] = { "SELECT bps FROM commission_rates WHERE scope = ? AND scope_id = ? FOR UPDATE", 0 },
	[Q_CAT_EXISTS] = { "SELECT COUNT(*) FROM categories WHERE id = ?", 0 },
	[Q_SELLER_EXISTS] = { "SELECT COUNT(*) FROM sellers WHERE id = ?", 0 },
	[Q_RATES] = { "SELECT r.scope, r.scope_id, r.bps, CASE r.scope WHEN 'category' THEN c.name WHEN 'seller' "
		      "THEN s.display_name ELSE 'The shop' END, r.updated_by, " ISO("r.updated_at") " "
		      "FROM commission_rates r LEFT JOIN categories c ON r.scope = 'category' AND c.id = r.scope_id "
		      "LEFT JOIN sellers s ON r.scope = 'seller' AND s.id = r.scope_id "
		      "ORDER BY r.scope = 'shop' DESC, r.scope, r.scope_id", 0 },
	/* Not a seller whose last statement already ends at or after the
	 * boundary (`shopctl payouts close --now`): an entry that committed
	 * late behind it waits for the next boundary, and does not hold a
	 * place in every batch meanwhile. */
	[Q_DUE_SELLERS] = { "SELECT DISTINCT l.seller_id FROM seller_ledger l WHERE l.statement_id IS NULL "
			    "AND l.created_at < FROM_UNIXTIME(?) AND NOT EXISTS (SELECT 1 FROM payout_statements p "
			    "WHERE p.seller_id = l.seller_id AND p.period_end >= FROM_UNIXTIME(?)) "
			    "ORDER BY l.seller_id LIMIT ?", 0 },
	/* One closer per seller at a time: the seller's row is the lock. */
	[Q_SELLER_LOCK] = { "SELECT id FROM sellers WHERE id = ? FOR UPDATE", 0 },
	[Q_LAST_STATEMENT] = { "SELECT FLOOR(UNIX_TIMESTAMP(period_end)), carry, period_end FROM payout_statements "
			       "WHERE seller_id = ? ORDER BY period_end DESC LIMIT 1", 0 },
	[Q_OPEN_SUMS] = { "SELECT COUNT(*), COALESCE(SUM(gross), 0), COALESCE(SUM(commission), 0), "
			  "COALESCE(SUM(net), 0), MIN(created_at) FROM seller_ledger WHERE seller_id = ? "
			  "AND statement_id IS NULL AND created_at < FROM_UNIXTIME(?) FOR UPDATE", 0 },
	[Q_STATEMENT_INS] = { "INSERT INTO payout_statements (seller_id, period_start, period_end, currency, entries, "
			      "gross, commission, net, opening, closing, payout, carry, status, reference, paid_by, paid_at) "
			      "VALUES (?, ?, FROM_UNIXTIME(?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			      "IF(? = 'paid', NOW(3), NULL))", 0 },
	[Q_ASSIGN] = { "UPDATE seller_ledger SET statement_id = ? WHERE seller_id = ? AND statement_id IS NULL "
		       "AND created_at < FROM_UNIXTIME(?)", 0 },
	[Q_STATEMENT] = { STATEMENT_COLS "WHERE p.id = ?", 0 },
	[Q_STATEMENT_LOCK] = { "SELECT seller_id, status, payout, reference FROM payout_statements WHERE id = ? FOR UPDATE", 0 },
	[Q_PAY] = { "UPDATE payout_statements SET status = 'paid', reference = ?, paid_by = ?, paid_at = NOW(3) "
		    "WHERE id = ? AND status = 'pending'", 0 },
	[Q_STATEMENTS_ALL] = { STATEMENT_COLS "WHERE p.id < ? ORDER BY p.id DESC LIMIT ?", 0 },
	[Q_STATEMENTS_SELLER] = { STATEMENT_COLS "WHERE p.seller_id = ? AND p.id < ? ORDER BY p.id DESC LIMIT ?", 0 },
	[Q_STATEMENTS_STATUS] = { STATEMENT_COLS "WHERE p.status = ? AND p.id < ? ORDER BY p.id DESC LIMIT ?", 0 },
	[Q_ENTRIES] = { ENTRY_COLS "WHERE e.statement_id = ? AND e.seller_id = ? ORDER BY e.id LIMIT ?", 0 },
	[Q_ENTRIES_OPEN] = { ENTRY_COLS "WHERE e.seller_id = ? AND e.statement_id IS NULL ORDER BY e.id LIMIT ?", 0 },
	[Q_BALANCE] = { "SELECT COUNT(*), COALESCE(SUM(gross), 0), COALESCE(SUM(commission), 0), COALESCE(SUM(net), 0) "
			"FROM seller_ledger WHERE seller_id = ? AND statement_id IS NULL", 0 },
	[Q_CONTACT] = { "SELECT COALESCE(NULLIF(s.contact_email, ''), u.email), s.display_name, COALESCE(u.id, 0) "
			"FROM sellers s LEFT JOIN users u ON u.id = s.user_id AND u.status = 'active' WHERE s.id = ?", 0 },
	[Q_CARRY] = { "SELECT carry FROM payout_statements WHERE seller_id = ? ORDER BY period_end DESC LIMIT 1", 0 },
	/* The backfill: shipped shipments and succeeded refunds with a line
	 * that has no entry (its source absent), by id after a keyset. */
	[Q_BF_SHIPMENTS] = { "SELECT DISTINCT s.id, s.order_id FROM shipments s JOIN order_lines l "
			     "ON l.order_id = s.order_id AND l.shipment_id = s.id LEFT JOIN seller_ledger e "
			     "ON e.source = CONCAT('shipment:', s.id, ':', l.line_no) WHERE s.id > ? "
			     "AND s.status <> 'pending' AND e.id IS NULL ORDER BY s.id LIMIT ?", 0 },
	[Q_BF_REFUNDS] = { "SELECT DISTINCT r.id, r.order_id FROM refunds r JOIN refund_lines rl ON rl.refund_id = r.id "
			   "LEFT JOIN seller_ledger e ON e.source = CONCAT('refund:', r.id, ':', rl.line_no) "
			   "WHERE r.id > ? AND r.status = 'succeeded' AND e.id IS NULL ORDER BY r.id LIMIT ?", 0 },
	/* The same four reads and two walks over the archive's twins: an
	 * order shipped before the ledger may have been archived since. */
	[Q_SHIPMENT_ARCH] = { "SELECT s.seller_id, s.status, o.currency, o.fx_rate, o.total FROM shipments_archive s "
			      "JOIN orders_archive o ON o.id = s.order_id WHERE s.id = ? AND s.order_id = ?", 0 },
	[Q_SHIP_LINES_ARCH] = { "SELECT line_no, quantity, product_id, seller_id FROM order_lines_archive "
				"WHERE order_id = ? AND shipment_id = ? ORDER BY line_no", 0 },
	[Q_REFUND_ARCH] = { "SELECT r.seller_id, r.status, o.currency, o.fx_rate FROM refunds_archive r "
			    "JOIN orders_archive o ON o.id = r.order_id WHERE r.id = ? AND r.order_id = ?", 0 },
	[Q_REFUND_LINES_ARCH] = { "SELECT rl.line_no, rl.quantity, rl.amount, l.product_id, l.seller_id "
				  "FROM refund_lines_archive rl JOIN order_lines_archive l ON l.order_id = ? "
				  "AND l.line_no = rl.line_no WHERE rl.refund_id = ? ORDER BY rl.line_no", 0 },
	[Q_BF_SHIPMENTS_ARCH] = { "SELECT DISTINCT s.id, s.order_id FROM shipments_archive s JOIN order_lines_archive l "
				  "ON l.order_id = s.order_id AND l.shipment_id = s.id LEFT JOIN seller_ledger e "
				  "ON e.source = CONCAT('shipment:', s.id, ':', l.line_no) WHERE s.id > ? "
				  "AND s.status <> 'pending' AND e.id IS NULL ORDER BY s.id LIMIT ?", 0 },
	[Q_BF_REFUNDS_ARCH] = { "SELECT DISTINCT r.id, r.order_id FROM refunds_archive r JOIN refund_lines_archive rl "
				"ON rl.refund_id = r.id LEFT JOIN seller_ledger e "
				"ON e.source = CONCAT('refund:', r.id, ':', rl.line_no) "
				"WHERE r.id > ? AND r.status = 'succeeded' AND e.id IS NULL ORDER BY r.id LIMIT ?", 0 },
};

static long long default_bps = 1000;
static long long period_s;	/* 0: weekly */

void payouts_init(void)
{
	const char *p = getenv("SHOP_PAYOUT_PERIOD");
	static int done;

	audit_init();
	if (done)
		return;
	done = 1;
	db_register(sql, NQ);
	default_bps = config_env_num("SHOP_COMMISSION_BPS", 1000, 0, 10000);
	period_s = 0;
	if (p && *p && strcmp(p, "weekly")) {
		int64_t v;

		if (!strcmp(p, "daily"))
			period_s = 86400;
		else if (!text_int64(p, 1, 366LL * 86400, &v))
			period_s = v;
		else
			log_warn("payouts: SHOP_PAYOUT_PERIOD=%s is not weekly, daily or seconds: weekly", p);
	}
}

#define WEEK 604800
#define MONDAY 345600	/* 1970-01-05 00:00 UTC, a Monday, from the epoch */

int64_t payouts_boundary(int64_t now)
{
	if (period_s > 0)
		return now - now % period_s;
	return (now - MONDAY) / WEEK * WEEK + MONDAY;
}

const char *payouts_period_text(struct arena *a)
{
	if (!period_s)
		return "weekly (periods end on Mondays at 00:00 UTC)";
	if (period_s == 86400)
		return "daily (periods end at 00:00 UTC)";
	return arena_printf(a, "every %lld seconds", period_s);
}

/* ---- rates ---- */

int payouts_scope_parse(const char *s)
{
	if (!s)
		return -1;
	if (!strcmp(s, "shop"))
		return PS_SHOP;
	if (!strcmp(s, "category"))
		return PS_CATEGORY;
	if (!strcmp(s, "seller"))
		return PS_SELLER;
	return -1;
}

const char *payouts_scope_name(int scope)
{
	return scope == PS_SHOP ? "shop" : scope == PS_CATEGORY ? "category" : "seller";
}

static enum err shop_rate(struct db *db, struct arena *a, int64_t *bps)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_RATE_SHOP], &r, "");

	if (e)
		return e;
	*bps = r->nrows ? db_int(r, 0, 0) : default_bps;
	return E_OK;
}

enum err payouts_rate_for(struct db *db, struct arena *a, int64_t seller_id, int64_t product_id, int64_t *bps)
{
	struct db_res *r = NULL;
	int64_t cat;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_RATE_SELLER], &r, "i", seller_id)))
		return e;
	if (r->nrows) {
		*bps = db_int(r, 0, 0);
		return E_OK;
	}
	if ((e = db_exec(db, a, &sql[Q_PRODUCT], &r, "i", product_id)))
		return e;
	cat = r->nrows ? db_int(r, 0, 0) : 0;
	/* Up the tree, nearest first; a cycle cannot hold us (depth bound). */
	for (int depth = 0; cat > 0 && depth < 16; depth++) {
		if ((e = db_exec(db, a, &sql[Q_RATE_CAT], &r, "i", cat)))
			return e;
		if (!r->nrows)
			break;
		if (db_cell(r, 0, 0)) {
			*bps = db_int(r, 0, 0);
			return E_OK;
		}
		cat = db_int(r, 0, 1);
	}
	return shop_rate(db, a, bps);
}

struct rate_tx {
	struct arena *a;
	const char *actor;
	int scope;
	int64_t id, bps;
};

static enum err tx_rate(struct db *db, void *p)
{
	struct rate_tx *t = p;
	struct db_res *r = NULL;
	const char *scope = payouts_scope_name(t->scope);
	json_t *before = NULL, *after = NULL;
	enum err e;

	if (t->scope == PS_CATEGORY || t->scope == PS_SELLER) {
		if ((e = db_exec(db, t->a, &sql[t->scope == PS_CATEGORY ? Q_CAT_EXISTS : Q_SELLER_EXISTS], &r, "i", t->id)))
			return e;
		if (db_int(r, 0, 0) == 0)
			return E_NOTFOUND;
	}
	if ((e = db_exec(db, t->a, &sql[Q_RATE_GET], &r, "si", scope, t->id)))
		return e;
	before = json_pack("{ss sI so}", "scope", scope, "id", (json_int_t)t->id, "bps",
			   r->nrows ? json_integer(db_int(r, 0, 0)) : json_null());
	after = json_pack("{ss sI so}", "scope", scope, "id", (json_int_t)t->id, "bps",
			  t->bps >= 0 ? json_integer(t->bps) : json_null());
	if (!before || !after) {
		e = E_NOMEM;
		goto out;
	}
	if (t->bps >= 0)
		e = db_exec(db, t->a, &sql[Q_RATE_UPSERT], NULL, "siis", scope, t->id, t->bps, t->actor);
	else
		e = db_exec(db, t->a, &sql[Q_RATE_DEL], NULL, "si", scope, t->id);
	if (!e)
		e = audit_record(db, t->a, t->actor, t->bps >= 0 ? "commission.set" : "commission.remove",
				 arena_printf(t->a, "commission:%s:%lld", scope, (long long)t->id), before, after);
out:
	json_decref(before);
	json_decref(after);
	return e;
}

enum err payouts_rate_set(struct db *db, struct arena *a, const char *actor, int scope, int64_t scope_id,
			  int64_t bps)
{
	struct rate_tx t = { a, actor, scope, scope == PS_SHOP ? 0 : scope_id, bps };

	if (scope < PS_SHOP || scope > PS_SELLER || bps > 10000 || (scope != PS_SHOP && scope_id <= 0))
		return E_INVAL;
	return db_tx(db, tx_rate, &t);
}

enum err payouts_rates(struct db *db, struct arena *a, struct db_res **out, int64_t *shop_bps)
{
	enum err e = db_exec(db, a, &sql[Q_RATES], out, "");

	return e ? e : shop_rate(db, a, shop_bps);
}

/* ---- the ledger ---- */

/* Half up: amounts here are never negative. */
static int64_t commission_of(int64_t gross, int64_t bps)
{
	return (int64_t)(((__int128)gross * bps + 5000) / 10000);
}

struct entry {
	int64_t seller, event, order, line, ref, qty, amount, gross, comm, bps;
	const char *kind, *source, *currency, *rate;
};

static enum err entry_write(struct db *db, struct arena *a, const struct entry *x)
{
	return db_exec(db, a, &sql[Q_ENTRY_INS], NULL, "issiiiiisisiiii", x->seller, x->kind, x->source,
		       x->event, x->order, x->line, x->ref, x->qty, x->currency,
		       x->amount, x->rate, x->gross, x->comm, x->gross - x->comm, x->bps);
}

struct ev_tx {
	struct arena *a;
	int64_t event;	/* the event's id; 0: the backfill */
	int64_t order, ref;
	int archived;	/* the backfill of an archived order: the twins' rows */
	int written;
};

/* ShipmentShipped: each line of the shipment, what was captured for it. */
static enum err tx_shipped(struct db *db, void *p)
{
	struct ev_tx *t = p;
	struct db_res *s = NULL, *l = NULL;
	int64_t *no, *amt;
	size_t n;
	enum err e;

	t->written = 0;
	if ((e = db_exec(db, t->a, &sql[t->archived ? Q_SHIPMENT_ARCH : Q_SHIPMENT], &s, "ii", t->ref, t->order)))
		return e;
	if (!s->nrows || !strcmp(db_cell(s, 0, 1), "pending")) {
		log_warn("payouts: event %lld: shipment %lld of order %lld is not shipped: nothing credited",
			 (long long)t->event, (long long)t->ref, (long long)t->order);
		return E_OK;
	}
	if ((e = t->archived ? fulfillment_line_amounts_any(db, t->a, t->order, db_int(s, 0, 4), &no, &amt, &n)
			     : fulfillment_line_amounts(db, t->a, t->order, db_int(s, 0, 4), &no, &amt, &n)))
		return e;
	if ((e = db_exec(db, t->a, &sql[t->archived ? Q_SHIP_LINES_ARCH : Q_SHIP_LINES], &l, "ii", t->order, t->ref)))
		return e;
	for (size_t i = 0; i < l->nrows; i++) {
		struct entry x = { 0 };

		x.seller = db_int(l, i, 3);
		x.event = t->event;
		x.order = t->order;
		x.line = db_int(l, i, 0);
		x.ref = t->ref;
		x.qty = db_int(l, i, 1);
		x.kind = "sale";
		x.source = arena_printf(t->a, "shipment:%lld:%lld", (long long)t->ref, (long long)x.line);
		x.currency = db_cell(s, 0, 2);
		x.rate = db_cell(s, 0, 3);
		for (size_t k = 0; k < n; k++)
			if (no[k] == x.line)
				x.amount = amt[k];
		x.gross = fx_to_shop(x.amount, x.currency, x.rate);
		if ((e = payouts_rate_for(db, t->a, x.seller, db_int(l, i, 2), &x.bps)))
			return e;
		x.comm = commission_of(x.gross, x.bps);
		if ((e = entry_write(db, t->a, &x)))
			return e;
		t->written += (int)db_affected(db) == 1;
	}
	return E_OK;
}

/* RefundSucceeded: each refunded line gives back what was refunded, and
 * the commission on it at the rate of the line's credit: the commission of
 * all refunded so far less that of what was refunded before, so a line
 * refunded in parts gives back exactly the commission it was charged. */
static enum err tx_refunded(struct db *db, void *p)
{
	struct ev_tx *t = p;
	struct db_res *r = NULL, *l = NULL, *x1 = NULL;
	enum err e;

	t->written = 0;
	if ((e = db_exec(db, t->a, &sql[t->archived ? Q_REFUND_ARCH : Q_REFUND], &r, "ii", t->ref, t->order)))
		return e;
	if (!r->nrows || strcmp(db_cell(r, 0, 1), "succeeded")) {
		log_warn("payouts: event %lld: refund %lld of order %lld did not succeed: nothing debited",
			 (long long)t->event, (long long)t->ref, (long long)t->order);
		return E_OK;
	}
	if ((e = db_exec(db, t->a, &sql[t->archived ? Q_REFUND_LINES_ARCH : Q_REFUND_LINES], &l, "ii", t->order, t->ref)))
		return e;
	for (size_t i = 0; i < l->nrows; i++) {
		struct entry x = { 0 };
		int64_t before, g;

		x.seller = db_int(l, i, 4);
		x.event = t->event;
		x.order = t->order;
		x.line = db_int(l, i, 0);
		x.ref = t->ref;
		x.qty = -db_int(l, i, 1);
		x.kind = "refund";
		x.source = arena_printf(t->a, "refund:%lld:%lld", (long long)t->ref, (long long)x.line);
		x.currency = db_cell(r, 0, 2);
		x.rate = db_cell(r, 0, 3);
		x.amount = -db_int(l, i, 2);
		g = fx_to_shop(db_int(l, i, 2), x.currency, x.rate);
		x.gross = -g;
		if ((e = db_exec(db, t->a, &sql[Q_LINE_SALE], &x1, "ii", t->order, x.line)))
			return e;
		if (x1->nrows)
			x.bps = db_int(x1, 0, 0);
		else if ((e = payouts_rate_for(db, t->a, x.seller, db_int(l, i, 3), &x.bps)))
			return e;
		if ((e = db_exec(db, t->a, &sql[Q_LINE_REFUNDED], &x1, "ii", t->order, x.line)))
			return e;
		before = db_int(x1, 0, 0);
		x.comm = -(commission_of(before + g, x.bps) - commission_of(before, x.bps));
		if ((e = entry_write(db, t->a, &x)))
			return e;
		t->written += (int)db_affected(db) == 1;
	}
	return E_OK;
}

enum err payouts_on_event(struct db *db, struct kv *kv, struct arena *a, const struct event *ev)
{
	struct ev_tx t = { .a = a, .event = ev->id };
	int shipped = ev->type == EV_SHIPMENT_SHIPPED;
	enum err e;

	(void)kv;
	if (!shipped && ev->type != EV_REFUND_SUCCEEDED)
		return E_OK;
	t.order = (int64_t)json_integer_value(json_object_get(ev->json, "orderId"));
	t.ref = (int64_t)json_integer_value(json_object_get(ev->json, shipped ? "shipmentId" : "refundId"));
	if (t.order <= 0 || t.ref <= 0)
		return E_OK;
	if ((e = db_tx(db, shipped ? tx_shipped : tx_refunded, &t)))
		return e;
	if (t.written)
		log_info("payouts: event %lld: %d ledger entr%s for %s %lld", (long long)ev->id, t.written,
			 t.written == 1 ? "y" : "ies", shipped ? "shipment" : "refund", (long long)t.ref);
	return E_OK;
}

/* ---- the backfill ---- */

/* One pass over one kind, by id after a keyset so a shipment or refund
 * that writes nothing (not shipped after all) is not read again. */
static enum err backfill_kind(struct db *db, struct arena *a, int shipped, int archived, size_t *sources,
			      size_t *entries)
{
	int64_t after = 0;
	struct db_res *r = NULL;
	int q = shipped ? (archived ? Q_BF_SHIPMENTS_ARCH : Q_BF_SHIPMENTS) : (archived ? Q_BF_REFUNDS_ARCH : Q_BF_REFUNDS);
	enum err e;

	do {
		if ((e = db_exec(db, a, &sql[q], &r, "ii", after, (int64_t)100)))
			return e;
		for (size_t i = 0; i < r->nrows; i++) {
			struct ev_tx t = { .a = a, .event = 0, .order = db_int(r, i, 1), .ref = db_int(r, i, 0),
					   .archived = archived };

			after = t.ref;
			if ((e = db_tx(db, shipped ? tx_shipped : tx_refunded, &t)))
				return e;
			if (t.written) {
				(*sources)++;
				*entries += (size_t)t.written;
				log_info("payouts: backfill: %d ledger entr%s for %s%s %lld", t.written,
					 t.written == 1 ? "y" : "ies", archived ? "archived " : "",
					 shipped ? "shipment" : "refund", (long long)t.ref);
			}
		}
	} while (r->nrows == 100);
	return E_OK;
}

enum err payouts_backfill(struct db *db, struct arena *a, struct payout_backfill *out)
{
	enum err e;

	memset(out, 0, sizeof(*out));
	/* Credits first: a refund's commission is given back at its line's
	 * credit's rate, which the credit's entry records. Each place: an
	 * order is in one (a move between two reads is found by the next
	 * run, as the source stays absent). */
	for (int archived = 0; archived < 2; archived++)
		if ((e = backfill_kind(db, a, 1, archived, &out->shipments, &out->credits)))
			return e;
	for (int archived = 0; archived < 2; archived++)
		if ((e = backfill_kind(db, a, 0, archived, &out->refunds, &out->debits)))
			return e;
	return E_OK;
}

/* ---- statements ---- */

struct close_tx {
	struct arena *a;
	int64_t seller, boundary, id;
};

static enum err tx_close(struct db *db, void *p)
{
	struct close_tx *t = p;
	struct db_res *r = NULL, *last = NULL;
	int64_t count, gross, comm, net, opening = 0, closing, payout, carry;
	const char *start, *status;
	enum err e;

	t->id = 0;
	if ((e = db_exec(db, t->a, &sql[Q_SELLER_LOCK], &r, "i", t->seller)))
		return e;
	if (!r->nrows)
		return E_OK;
	if ((e = db_exec(db, t->a, &sql[Q_LAST_STATEMENT], &last, "i", t->seller)))
		return e;
	if (last->nrows) {
		if (db_int(last, 0, 0) >= t->boundary)
			return E_OK;	/* closed already (another closer, or a later boundary) */
		opening = db_int(last, 0, 1);
	}
	if ((e = db_exec(db, t->a, &sql[Q_OPEN_SUMS], &r, "ii", t->seller, t->boundary)))
		return e;
	count = db_int(r, 0, 0);
	if (!count)
		return E_OK;
	gross = db_int(r, 0, 1);
	comm = db_int(r, 0, 2);
	net = db_int(r, 0, 3);
	start = last->nrows ? db_cell(last, 0, 2) : db_cell(r, 0, 4);
	closing = opening + net;
	payout = closing > 0 ? closing : 0;
	carry = closing < 0 ? closing : 0;
	/* Nothing to pay (a negative or zero balance): born paid, the carry
	 * moves on to the next statement. */
	status = payout > 0 ? "pending" : "paid";
	if ((e = db_exec(db, t->a, &sql[Q_STATEMENT_INS], NULL, "isisiiiiiiiissss", t->seller, start, t->boundary,
			 fx_shop_currency(), count, gross, comm, net, opening, closing, payout, carry, status,
			 payout > 0 ? "" : "nothing due", payout > 0 ? NULL : "payouts", status)))
		return e;
	t->id = (int64_t)db_insert_id(db);
	if ((e = db_exec(db, t->a, &sql[Q_ASSIGN], NULL, "iii", t->id, t->seller, t->boundary)))
		return e;
	if ((int64_t)db_affected(db) != count)
		return E_CONFLICT;	/* cannot be under the locks: refuse rather than misstate */
	return event_emit(db, t->a, EV_PAYOUT_CLOSED, t->seller,
			  json_pack("{sI sI sI sI sI ss}", "sellerId", (json_int_t)t->seller, "statementId",
				    (json_int_t)t->id, "net", (json_int_t)net, "closing", (json_int_t)closing, "payout",
				    (json_int_t)payout, "currency", fx_shop_currency()));
}

enum err payouts_close(struct db *db, struct arena *a, int64_t boundary, size_t limit, size_t *closed)
{
	struct db_res *r = NULL;
	enum err e;

	*closed = 0;
	if ((e = db_exec(db, a, &sql[Q_DUE_SELLERS], &r, "iii", boundary, boundary, (int64_t)limit)))
		return e;
	for (size_t i = 0; i < r->nrows; i++) {
		struct close_tx t = { a, db_int(r, i, 0), boundary, 0 };

		if ((e = db_tx(db, tx_close, &t)))
			return e;
		if (t.id) {
			(*closed)++;
			log_info("payouts: statement %lld of seller %lld closed", (long long)t.id, (long long)t.seller);
		}
	}
	return E_OK;
}

int payouts_job(struct db *db, struct kv *kv, struct arena *a)
{
	size_t closed = 0;
	enum err e;

	(void)kv;
	e = payouts_close(db, a, payouts_boundary((int64_t)time(NULL)), 20, &closed);
	if (e == E_UNAVAIL)
		return -1;
	if (e)
		log_warn("payouts: closing the period failed (%d)", (int)e);
	return closed >= 20 ? 1 : 0;
}

struct pay_tx {
	struct arena *a;
	int64_t id;
	const char *actor, *reference;
};

static enum err tx_pay(struct db *db, void *p)
{
	struct pay_tx *t = p;
	struct db_res *r = NULL;
	json_t *before, *after;
	int64_t seller, payout;
	enum err e;

	if ((e = db_exec(db, t->a, &sql[Q_STATEMENT_LOCK], &r, "i", t->id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	if (strcmp(db_cell(r, 0, 1), "pending"))
		return E_CONFLICT;
	seller = db_int(r, 0, 0);
	payout = db_int(r, 0, 2);
	if ((e = db_exec(db, t->a, &sql[Q_PAY], NULL, "ssi", t->reference, t->actor, t->id)))
		return e;
	if (db_affected(db) != 1)
		return E_CONFLICT;
	before = json_pack("{ss sI}", "status", "pending", "payout", (json_int_t)payout);
	after = json_pack("{ss sI ss}", "status", "paid", "payout", (json_int_t)payout, "reference", t->reference);
	e = audit_record(db, t->a, t->actor, "payout.pay", arena_printf(t->a, "payout:%lld", (long long)t->id),
			 before, after);
	json_decref(before);
	json_decref(after);
	if (e)
		return e;
	return event_emit(db, t->a, EV_PAYOUT_PAID, seller,
			  json_pack("{sI sI sI ss ss}", "sellerId", (json_int_t)seller, "statementId", (json_int_t)t->id,
				    "payout", (json_int_t)payout, "currency", fx_shop_currency(), "reference",
				    t->reference));
}

enum err payouts_pay(struct db *db, struct arena *a, int64_t id, const char *actor, const char *reference)
{
	struct pay_tx t = { a, id, actor, reference ? reference : "" };

	return db_tx(db, tx_pay, &t);
}

/* ---- reads ---- */

enum err payouts_statement(struct db *db, struct arena *a, int64_t id, int64_t seller_id, struct db_res **out)
{
	enum err e = db_exec(db, a, &sql[Q_STATEMENT], out, "i", id);

	if (e)
		return e;
	if (!(*out)->nrows || (seller_id > 0 && db_int(*out, 0, PO_SELLER) != seller_id))
		return E_NOTFOUND;
	return E_OK;
}

enum err payouts_statements(struct db *db, struct arena *a, int64_t seller_id, const char *status, int64_t before,
			    int64_t limit, struct db_res **out)
{
	if (before <= 0)
		before = INT64_MAX;
	if (seller_id > 0)
		return db_exec(db, a, &sql[Q_STATEMENTS_SELLER], out, "iii", seller_id, before, limit);
	if (status)
		return db_exec(db, a, &sql[Q_STATEMENTS_STATUS], out, "sii", status, before, limit);
	return db_exec(db, a, &sql[Q_STATEMENTS_ALL], out, "ii", before, limit);
}

enum err payouts_entries(struct db *db, struct arena *a, int64_t seller_id, int64_t statement_id, int64_t limit,
			 struct db_res **out)
{
	if (statement_id > 0)
		return db_exec(db, a, &sql[Q_ENTRIES], out, "iii", statement_id, seller_id, limit);
	return db_exec(db, a, &sql[Q_ENTRIES_OPEN], out, "ii", seller_id, limit);
}

enum err payouts_balance(struct db *db, struct arena *a, int64_t seller_id, struct payout_balance *b)
{
	struct db_res *r = NULL;
	enum err e;

	memset(b, 0, sizeof(*b));
	if ((e = db_exec(db, a, &sql[Q_BALANCE], &r, "i", seller_id)))
		return e;
	b->entries = db_int(r, 0, 0);
	b->gross = db_int(r, 0, 1);
	b->commission = db_int(r, 0, 2);
	b->net = db_int(r, 0, 3);
	if ((e = db_exec(db, a, &sql[Q_CARRY], &r, "i", seller_id)))
		return e;
	b->carry = r->nrows ? db_int(r, 0, 0) : 0;
	return E_OK;
}

enum err payouts_seller_contact(struct db *db, struct arena *a, int64_t seller_id, const char **email,
				const char **name, int64_t *user_id)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_CONTACT], &r, "i", seller_id);

	if (e)
		return e;
	if (!r->nrows || !db_cell(r, 0, 0) || !*db_cell(r, 0, 0))
		return E_NOTFOUND;
	*email = db_cell(r, 0, 0);
	*name = db_cell(r, 0, 1) ? db_cell(r, 0, 1) : "";
	*user_id = db_int(r, 0, 2);
	return E_OK;
}

/* ---- shopctl payouts ---- */

int payouts_cmd_run(struct db *db, struct arena *a, int argc, char **argv)
{
	int64_t id;
	enum err e;

	if (argc < 2)
		return -1;
	if (!strcmp(argv[1], "close") && (argc == 2 || (argc == 3 && !strcmp(argv[2], "--now")))) {
		int64_t now = (int64_t)time(NULL), b = argc == 3 ? now + 1 : payouts_boundary(now);
		size_t closed = 0, total = 0;

		do {
			e = payouts_close(db, a, b, 100, &closed);
			total += closed;
		} while (!e && closed == 100);
		if (e) {
			fprintf(stderr, "shopctl payouts close: failed (%d)\n", (int)e);
			return 1;
		}
		printf("%zu statement%s closed\n", total, total == 1 ? "" : "s");
		return 0;
	}
	if (!strcmp(argv[1], "pay") && (argc == 3 || argc == 4) &&
	    !text_int64(argv[2], 1, INT64_MAX, &id)) {
		e = payouts_pay(db, a, id, "shopctl", argc == 4 ? argv[3] : "");
		if (e == E_NOTFOUND)
			fprintf(stderr, "shopctl payouts pay: no statement %lld\n", (long long)id);
		else if (e == E_CONFLICT)
			fprintf(stderr, "shopctl payouts pay: statement %lld is paid already\n", (long long)id);
		else if (e)
			fprintf(stderr, "shopctl payouts pay: failed (%d)\n", (int)e);
		else
			printf("statement %lld paid\n", (long long)id);
		return e ? 1 : 0;
	}
	if (!strcmp(argv[1], "backfill") && argc == 2) {
		struct payout_backfill b;

		if ((e = payouts_backfill(db, a, &b))) {
			fprintf(stderr, "shopctl payouts backfill: failed (%d)\n", (int)e);
			return 1;
		}
		printf("%zu credit%s from %zu shipment%s, %zu debit%s from %zu refund%s\n", b.credits,
		       b.credits == 1 ? "" : "s", b.shipments, b.shipments == 1 ? "" : "s", b.debits,
		       b.debits == 1 ? "" : "s", b.refunds, b.refunds == 1 ? "" : "s");
		return 0;
	}
	if (!strcmp(argv[1], "list") && argc <= 3) {
		struct db_res *r = NULL;
		const char *st = argc == 3 ? argv[2] : NULL;

		if (st && strcmp(st, "pending") && strcmp(st, "paid"))
			return -1;
		if ((e = payouts_statements(db, a, 0, st, 0, 1000, &r))) {
			fprintf(stderr, "shopctl payouts list: failed (%d)\n", (int)e);
			return 1;
		}
		printf("%-8s %-8s %-21s %-21s %12s %8s\n", "id", "seller", "from", "to", "payout", "status");
		for (size_t i = 0; i < r->nrows; i++)
			printf("%-8s %-8s %-21s %-21s %12s %8s\n", db_cell(r, i, PO_ID), db_cell(r, i, PO_SELLER),
			       db_cell(r, i, PO_START), db_cell(r, i, PO_END), db_cell(r, i, PO_PAYOUT),
			       db_cell(r, i, PO_STATUS));
		return 0;
	}
	return -1;
}
