/* Back-in-stock and price-drop alerts: subscriptions and the consumer
 * "alerts" that turns stock and price changes into one event per
 * subscription and episode (alerts.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../events/stream.h"
#include "alerts.h"

/* A subscription's columns with its product as the shopper sees it now
 * (AC_* in this order). A SKU's stock is its units available over its
 * warehouses, as the product read model counts them; a SKU or product no
 * longer on sale has none. */
#define ALERT_COLS \
	"a.id, a.user_id, a.product_id, a.sku_id, k.code, a.kind, a.source, a.ref_price, a.armed, a.active, " \
	"a.episodes, DATE_FORMAT(a.last_sent_at, '%Y-%m-%dT%H:%i:%sZ'), " \
	"DATE_FORMAT(a.created_at, '%Y-%m-%dT%H:%i:%sZ'), p.title, p.slug, p.currency, " \
	"IF(a.sku_id = 0, p.price, COALESCE(k.price, p.price)), " \
	"IF(p.status <> 'active', 0, IF(a.sku_id = 0, p.stock_total, IF(k.status = 'active', " \
	"(SELECT COALESCE(SUM(i.available), 0) FROM inventory i WHERE i.sku_id = k.id), 0))), " \
	"p.status = 'active' AND (a.sku_id = 0 OR k.status = 'active'), " \
	"EXISTS (SELECT 1 FROM wishlist_items w WHERE w.user_id = a.user_id AND w.product_id = a.product_id " \
	"AND w.sku_id = a.sku_id AND w.alerts = 1), u.email, u.name, u.status = 'active' "
#define ALERT_FROM \
	"FROM product_alerts a JOIN products p ON p.id = a.product_id JOIN users u ON u.id = a.user_id " \
	"LEFT JOIN skus k ON k.id = a.sku_id AND a.sku_id <> 0 "
/* A wishlist subscription counts while its item is saved with alerts on. */
#define ALERT_STANDS \
	"a.active = 1 AND (a.source = 'explicit' OR EXISTS (SELECT 1 FROM wishlist_items w " \
	"WHERE w.user_id = a.user_id AND w.product_id = a.product_id AND w.sku_id = a.sku_id AND w.alerts = 1)) "
enum { AC_ID, AC_USER, AC_PRODUCT, AC_SKU_ID, AC_SKU, AC_KIND, AC_SOURCE, AC_REF, AC_ARMED, AC_ACTIVE,
       AC_EPISODES, AC_SENT, AC_CREATED, AC_TITLE, AC_SLUG, AC_CUR, AC_PRICE, AC_STOCK, AC_LISTED, AC_SAVED,
       AC_EMAIL, AC_NAME, AC_ACCOUNT };

enum {
	Q_LIST, Q_OF_PRODUCT, Q_ONE, Q_PRODUCT, Q_SKU_CODE, Q_FIND, Q_INSERT, Q_RENEW, Q_EXPLICIT, Q_REMOVE,
	Q_WL, Q_LOCK, Q_SKUS, Q_ARM, Q_FIRED, Q_REF, Q_SKU_ID, Q_HELD, Q_WATCHED, NQ
};

static struct db_sql sql[NQ] = {
	[Q_LIST] = { "SELECT " ALERT_COLS ALERT_FROM "WHERE a.user_id = ? AND " ALERT_STANDS
		     "ORDER BY a.id DESC LIMIT 200", 0 },
	[Q_OF_PRODUCT] = { "SELECT " ALERT_COLS ALERT_FROM "WHERE a.user_id = ? AND a.product_id = ? AND "
			   ALERT_STANDS "ORDER BY a.id", 0 },
	[Q_ONE] = { "SELECT " ALERT_COLS ALERT_FROM "WHERE a.id = ?", 0 },
	/* The product read model (catalog_refresh_digest keeps it in every
	 * transaction that moves stock or SKUs): price, total stock, SKUs. */
	[Q_PRODUCT] = { "SELECT price, stock_total, sku_digest, status = 'active' FROM products WHERE id = ?", 0 },
	[Q_SKU_CODE] = { "SELECT id, price FROM skus WHERE product_id = ? AND code = ? AND status = 'active'", 0 },
	[Q_FIND] = { "SELECT id, active, source FROM product_alerts WHERE user_id = ? AND product_id = ? "
		     "AND sku_id = ? AND kind = ? FOR UPDATE", 0 },
	[Q_INSERT] = { "INSERT IGNORE INTO product_alerts (user_id, product_id, sku_id, kind, source, ref_price, armed) "
		       "VALUES (?, ?, ?, ?, ?, ?, ?)", 0 },
	[Q_RENEW] = { "UPDATE product_alerts SET active = 1, source = 'explicit', ref_price = ?, armed = ? "
		      "WHERE id = ?", 0 },
	[Q_EXPLICIT] = { "UPDATE product_alerts SET source = 'explicit' WHERE id = ?", 0 },
	[Q_REMOVE] = { "UPDATE product_alerts SET active = 0 WHERE id = ? AND user_id = ? AND active = 1", 0 },
	/* The product's saved items with alerts on (wishlist_items is W's:
	 * read, never written here), one per shopper and SKU, with how many
	 * of that pair's two subscriptions exist (any state). */
	[Q_WL] = { "SELECT w.user_id, w.sku_id, MIN(w.saved_price), (SELECT COUNT(*) FROM product_alerts a "
		   "WHERE a.user_id = w.user_id AND a.product_id = ? AND a.sku_id = w.sku_id) "
		   "FROM wishlist_items w WHERE w.product_id = ? AND w.alerts = 1 "
		   "GROUP BY w.user_id, w.sku_id ORDER BY w.user_id, w.sku_id", 0 },
	/* Whether anyone watches the product at all, asked before any
	 * transaction: most products' stock moves with no one watching, and
	 * the question cost a transaction of its own per event. */
	[Q_WATCHED] = { "SELECT EXISTS (SELECT 1 FROM wishlist_items WHERE product_id = ? AND alerts = 1) "
			"OR EXISTS (SELECT 1 FROM product_alerts WHERE product_id = ? AND active = 1)", 0 },
	[Q_LOCK] = { "SELECT id, user_id, sku_id, kind, source, ref_price, armed FROM product_alerts "
		     "WHERE product_id = ? AND active = 1 ORDER BY id FOR UPDATE", 0 },
	[Q_SKUS] = { "SELECT id, code, price, status = 'active' FROM skus WHERE product_id = ?", 0 },
	[Q_ARM] = { "UPDATE product_alerts SET armed = ? WHERE id = ?", 0 },
	[Q_FIRED] = { "UPDATE product_alerts SET armed = 0, episodes = episodes + 1, last_sent_at = NOW(3) "
		      "WHERE id = ?", 0 },
	[Q_REF] = { "UPDATE product_alerts SET ref_price = ? WHERE id = ?", 0 },
	[Q_HELD] = { "SELECT COUNT(*) FROM product_alerts WHERE user_id = ? AND active = 1 AND source = 'explicit'", 0 },
	[Q_SKU_ID] = { "SELECT code FROM skus WHERE id = ? AND product_id = ? AND status = 'active'", 0 },
};

static const char *const kind_names[] = { "back-in-stock", "price-drop" };

void alerts_init(void)
{
	static int done;

	if (!done++)
		db_register(sql, NQ);
}

const char *alert_kind_name(int kind)
{
	return kind >= 0 && kind < 2 ? kind_names[kind] : NULL;
}

int alert_kind_find(const char *s)
{
	for (int k = 0; s && k < 2; k++)
		if (!strcmp(s, kind_names[k]))
			return k;
	return -1;
}

/* ---- reading ---- */

static void alert_from(struct alert *o, const struct db_res *r, size_t i)
{
	memset(o, 0, sizeof(*o));
	o->id = db_int(r, i, AC_ID);
	o->user_id = db_int(r, i, AC_USER);
	o->product_id = db_int(r, i, AC_PRODUCT);
	o->sku_id = db_int(r, i, AC_SKU_ID);
	o->sku = o->sku_id ? db_cell(r, i, AC_SKU) : NULL;
	o->kind = alert_kind_find(db_cell(r, i, AC_KIND));
	o->wishlist = db_cell(r, i, AC_SOURCE) && !strcmp(db_cell(r, i, AC_SOURCE), "wishlist");
	o->ref_price = db_int(r, i, AC_REF);
	o->armed = db_int(r, i, AC_ARMED) != 0;
	o->active = db_int(r, i, AC_ACTIVE) != 0;
	o->episodes = db_int(r, i, AC_EPISODES);
	o->last_sent_at = db_cell(r, i, AC_SENT);
	o->created_at = db_cell(r, i, AC_CREATED);
	o->title = db_cell(r, i, AC_TITLE);
	o->slug = db_cell(r, i, AC_SLUG);
	o->currency = db_cell(r, i, AC_CUR);
	o->price = db_int(r, i, AC_PRICE);
	o->stock = db_int(r, i, AC_STOCK);
	o->listed = db_int(r, i, AC_LISTED) != 0;
	o->saved = db_int(r, i, AC_SAVED) != 0;
	o->email = db_cell(r, i, AC_EMAIL);
	o->name = db_cell(r, i, AC_NAME);
	o->account_active = db_int(r, i, AC_ACCOUNT) != 0;
}

static enum err alerts_read(struct db *db, struct arena *a, const struct db_sql *q, struct alert **v, size_t *n,
			    const char *types, int64_t x, int64_t y)
{
	struct db_res *r = NULL;
	enum err e;

	*v = NULL;
	*n = 0;
	if ((e = db_exec(db, a, q, &r, types, x, y)))
		return e;
	if (!(*v = arena_calloc(a, r->nrows ? r->nrows : 1, sizeof(**v))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++)
		alert_from(&(*v)[i], r, i);
	*n = r->nrows;
	return E_OK;
}

enum err alerts_list(struct db *db, struct arena *a, int64_t uid, struct alert **v, size_t *n)
{
	return alerts_read(db, a, &sql[Q_LIST], v, n, "i", uid, 0);
}

enum err alerts_of_product(struct db *db, struct arena *a, int64_t uid, int64_t product_id, struct alert **v,
			   size_t *n)
{
	return alerts_read(db, a, &sql[Q_OF_PRODUCT], v, n, "ii", uid, product_id);
}

enum err alerts_get(struct db *db, struct arena *a, int64_t id, struct alert *out)
{
	struct alert *v = NULL;
	size_t n = 0;
	enum err e = alerts_read(db, a, &sql[Q_ONE], &v, &n, "i", id, 0);

	if (e)
		return e;
	if (!n)
		return E_NOTFOUND;
	*out = v[0];
	return E_OK;
}

/* The units of SKU code in the product's sku_digest ([code, price,
 * currency, weight, stock, options] per active SKU); 0 when it is not
 * there (not on sale). */
static int64_t digest_stock(const char *digest, const char *code)
{
	json_t *d = digest && code ? json_loads(digest, 0, NULL) : NULL, *s;
	int64_t n = 0;
	size_t i;

	json_array_foreach(d, i, s) {
		const char *c = json_string_value(json_array_get(s, 0));

		if (c && !strcmp(c, code)) {
			n = (int64_t)json_integer_value(json_array_get(s, 4));
			break;
		}
	}
	json_decref(d);
	return n;
}

/* ---- subscribing ---- */

struct sub_tx {
	struct arena *a;
	int64_t uid, pid;
	const char *code;
	int kind;
	int64_t id;
	int created;
};

static enum err tx_subscribe(struct db *db, void *p)
{
	struct sub_tx *t = p;
	struct db_res *r = NULL, *k = NULL, *f = NULL, *held = NULL;
	int64_t sku_id = 0, price, stock;
	const char *kind = alert_kind_name(t->kind);
	int armed;
	enum err e;

	t->id = 0;
	t->created = 0;
	if ((e = db_exec(db, t->a, &sql[Q_PRODUCT], &r, "i", t->pid)))
		return e;
	if (!r->nrows || !db_int(r, 0, 3))
		return E_NOTFOUND;
	price = db_int(r, 0, 0);
	stock = db_int(r, 0, 1);
	if (t->code) {
		if ((e = db_exec(db, t->a, &sql[Q_SKU_CODE], &k, "is", t->pid, t->code)))
			return e;
		if (!k->nrows)
			return E_NOTFOUND;
		sku_id = db_int(k, 0, 0);
		price = db_int(k, 0, 1);
		stock = digest_stock(db_cell(r, 0, 2), t->code);
	}
	/* Made while in stock: no mail until it has sold out and come back.
	 * A price drop is measured from the price now. */
	armed = t->kind == ALERT_BACK_IN_STOCK ? stock <= 0 : 1;
	if ((e = db_exec(db, t->a, &sql[Q_FIND], &f, "iiis", t->uid, t->pid, sku_id, kind)))
		return e;
	if (f->nrows && db_int(f, 0, 1) && !strcmp(db_cell(f, 0, 2), "explicit")) {
		t->id = db_int(f, 0, 0);
		return E_OK;	/* subscribed already */
	}
	if ((e = db_exec(db, t->a, &sql[Q_HELD], &held, "i", t->uid)))
		return e;
	if (db_int(held, 0, 0) >= ALERTS_MAX)
		return E_TOOBIG;
	if (f->nrows) {
		t->id = db_int(f, 0, 0);
		/* Dropped earlier, or implied by a saved item: the shopper's
		 * own subscription now, measured from now. */
		t->created = 1;
		return db_exec(db, t->a, &sql[Q_RENEW], NULL, "iii", price, (int64_t)armed, t->id);
	}
	if ((e = db_exec(db, t->a, &sql[Q_INSERT], NULL, "iiissii", t->uid, t->pid, sku_id, kind, "explicit", price,
			 (int64_t)armed)))
		return e;
	if (db_affected(db) != 1)
		return E_CONFLICT;	/* made meanwhile (the lock found no row): db_tx's caller tries again */
	t->id = (int64_t)db_insert_id(db);
	t->created = 1;
	return E_OK;
}

enum err alerts_subscribe(struct db *db, struct arena *a, int64_t uid, int64_t product_id, const char *sku_code,
			  int kind, struct alert *out, int *created)
{
	struct sub_tx t = { .a = a, .uid = uid, .pid = product_id, .code = sku_code, .kind = kind };
	enum err e;

	*created = 0;
	if (!alert_kind_name(kind))
		return E_INVAL;
	e = db_tx(db, tx_subscribe, &t);
	if (e == E_CONFLICT)	/* two requests at once: the other made it */
		e = db_tx(db, tx_subscribe, &t);
	if (e)
		return e;
	*created = t.created;
	return alerts_get(db, a, t.id, out);
}

enum err alerts_remove(struct db *db, struct arena *a, int64_t uid, int64_t id)
{
	enum err e = db_exec(db, a, &sql[Q_REMOVE], NULL, "ii", id, uid);

	if (e)
		return e;
	return db_affected(db) == 1 ? E_OK : E_NOTFOUND;
}

enum err alerts_wishlist_saved(struct db *db, struct arena *a, int64_t uid, int64_t product_id, int64_t sku_id,
			       int64_t saved_price)
{
	struct db_res *p = NULL, *k = NULL;
	int64_t stock = 0;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_PRODUCT], &p, "i", product_id)) ||
	    (e = db_exec(db, a, &sql[Q_SKU_ID], &k, "ii", sku_id, product_id)))
		return e;
	if (p->nrows && db_int(p, 0, 3) && k->nrows)
		stock = digest_stock(db_cell(p, 0, 2), db_cell(k, 0, 0));
	if ((e = db_exec(db, a, &sql[Q_INSERT], NULL, "iiissii", uid, product_id, sku_id,
			 kind_names[ALERT_BACK_IN_STOCK], "wishlist", saved_price, (int64_t)(stock <= 0))))
		return e;
	return db_exec(db, a, &sql[Q_INSERT], NULL, "iiissii", uid, product_id, sku_id, kind_names[ALERT_PRICE_DROP],
		       "wishlist", saved_price, (int64_t)1);
}

/* ---- the consumer ---- */

struct eval_tx {
	struct arena *a;
	int64_t pid;
	int fired;
};

/* The pairs (shopper, SKU) saved with alerts on. */
struct saved {
	int64_t uid, sku, price;
};

static const struct saved *saved_find(const struct saved *v, size_t n, int64_t uid, int64_t sku)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].uid == uid && v[i].sku == sku)
			return &v[i];
	return NULL;
}

static enum err fire(struct db *db, struct arena *a, int64_t pid, int64_t id, int64_t uid, const char *code,
		     int kind, int64_t price, int64_t ref)
{
	json_t *pl;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_FIRED], NULL, "i", id)))
		return e;
	if (kind == ALERT_BACK_IN_STOCK)
		pl = json_pack("{sIsIsIss?ss}", "alertId", (json_int_t)id, "userId", (json_int_t)uid,
			       "productId", (json_int_t)pid, "sku", code, "kind", kind_names[kind]);
	else
		pl = json_pack("{sIsIsIss?sIsI}", "alertId", (json_int_t)id, "userId", (json_int_t)uid,
			       "productId", (json_int_t)pid, "sku", code, "price", (json_int_t)price,
			       "refPrice", (json_int_t)ref);
	if (!pl)
		return E_NOMEM;
	return event_emit(db, a, kind == ALERT_BACK_IN_STOCK ? EV_BACK_IN_STOCK : EV_PRICE_DROPPED, pid, pl);
}

static enum err tx_evaluate(struct db *db, void *p)
{
	struct eval_tx *t = p;
	struct db_res *w = NULL, *r = NULL, *pr = NULL, *ks = NULL;
	struct saved *sv;
	size_t nsv, i;
	int listed;
	enum err e;

	t->fired = 0;
	if ((e = db_exec(db, t->a, &sql[Q_WL], &w, "ii", t->pid, t->pid)))
		return e;
	/* Most products are watched by no one: two indexed reads. */
	if (!w->nrows && ((e = db_exec(db, t->a, &sql[Q_LOCK], &r, "i", t->pid)) || !r->nrows))
		return e;
	if ((e = db_exec(db, t->a, &sql[Q_PRODUCT], &pr, "i", t->pid)))
		return e;
	if (!pr->nrows)
		return E_OK;	/* no such product: nothing to watch */
	listed = db_int(pr, 0, 3) != 0;
	if ((e = db_exec(db, t->a, &sql[Q_SKUS], &ks, "i", t->pid)))
		return e;
	nsv = w->nrows;
	if (!(sv = arena_calloc(t->a, nsv ? nsv : 1, sizeof(*sv))))
		return E_NOMEM;
	for (i = 0; i < nsv; i++) {
		sv[i] = (struct saved){ db_int(w, i, 0), db_int(w, i, 1), db_int(w, i, 2) };
		if (db_int(w, i, 3) >= 2)
			continue;
		/* A saved item this consumer has not seen yet: its two
		 * subscriptions, from the saved price (the price drop is
		 * judged just below, in this transaction). */
		{
			const char *code = NULL;
			int64_t stock;

			for (size_t j = 0; j < ks->nrows; j++)
				if (db_int(ks, j, 0) == sv[i].sku && db_int(ks, j, 3))
					code = db_cell(ks, j, 1);
			stock = listed && code ? digest_stock(db_cell(pr, 0, 2), code) : 0;
			if ((e = db_exec(db, t->a, &sql[Q_INSERT], NULL, "iiissii", sv[i].uid, t->pid, sv[i].sku,
					 kind_names[ALERT_BACK_IN_STOCK], "wishlist", sv[i].price,
					 (int64_t)(stock <= 0))) ||
			    (e = db_exec(db, t->a, &sql[Q_INSERT], NULL, "iiissii", sv[i].uid, t->pid, sv[i].sku,
					 kind_names[ALERT_PRICE_DROP], "wishlist", sv[i].price, (int64_t)1)))
				return e;
		}
	}
	/* The product's subscriptions, locked: a subscription made or
	 * dropped meanwhile waits for this transaction. */
	if (nsv && (e = db_exec(db, t->a, &sql[Q_LOCK], &r, "i", t->pid)))
		return e;
	for (i = 0; i < r->nrows; i++) {
		int64_t id = db_int(r, i, 0), uid = db_int(r, i, 1), sku = db_int(r, i, 2), ref = db_int(r, i, 5);
		int kind = alert_kind_find(db_cell(r, i, 3)), armed = db_int(r, i, 6) != 0;
		int wish = !strcmp(db_cell(r, i, 4), "wishlist"), on_sale = listed, stands = 1;
		int64_t stock = 0, price = db_int(pr, 0, 0);
		const char *code = NULL;

		if (kind < 0)
			continue;
		if (sku) {
			on_sale = 0;
			for (size_t j = 0; j < ks->nrows; j++)
				if (db_int(ks, j, 0) == sku) {
					code = db_cell(ks, j, 1);
					price = db_int(ks, j, 2);
					on_sale = listed && db_int(ks, j, 3);
				}
			stock = on_sale ? digest_stock(db_cell(pr, 0, 2), code) : 0;
		} else {
			stock = listed ? db_int(pr, 0, 1) : 0;
		}
		if (wish) {
			/* Only while the item is saved with alerts on; the
			 * state still follows, so turning them on again does
			 * not mail about an old episode. */
			const struct saved *s = saved_find(sv, nsv, uid, sku);

			stands = s != NULL;
			if (s && s->price != ref) {
				ref = s->price;	/* saved again at another price */
				if ((e = db_exec(db, t->a, &sql[Q_REF], NULL, "ii", ref, id)))
					return e;
			}
		}
		if (kind == ALERT_BACK_IN_STOCK) {
			if (stock <= 0 && !armed)
				e = db_exec(db, t->a, &sql[Q_ARM], NULL, "ii", (int64_t)1, id);
			else if (stock > 0 && armed && stands)
				e = fire(db, t->a, t->pid, id, uid, code, kind, price, ref), t->fired++;
			else if (stock > 0 && armed)
				e = db_exec(db, t->a, &sql[Q_ARM], NULL, "ii", (int64_t)0, id);
		} else if (on_sale) {	/* a price drop: only of a price on sale */
			if (price >= ref && !armed)
				e = db_exec(db, t->a, &sql[Q_ARM], NULL, "ii", (int64_t)1, id);
			else if (price < ref && armed && stands)
				e = fire(db, t->a, t->pid, id, uid, code, kind, price, ref), t->fired++;
			else if (price < ref && armed)
				e = db_exec(db, t->a, &sql[Q_ARM], NULL, "ii", (int64_t)0, id);
		}
		if (e)
			return e;
	}
	return E_OK;
}

enum err alerts_on_event(struct db *db, struct kv *kv, struct arena *a, const struct event *ev)
{
	struct eval_tx t = { .a = a, .pid = ev->aggregate };
	enum err e;

	(void)kv;
	if (ev->type != EV_STOCK_CHANGED && ev->type != EV_PRODUCT_UPDATED)
		return E_OK;
	if (t.pid <= 0)
		return E_OK;
	{
		struct db_res *w = NULL;

		if ((e = db_exec(db, a, &sql[Q_WATCHED], &w, "ii", t.pid, t.pid)))
			return e;
		if (!w->nrows || !db_int(w, 0, 0))
			return E_OK;
	}
	if ((e = db_tx(db, tx_evaluate, &t)))
		return e;
	if (t.fired)
		log_info("alerts: event %lld: %d alert(s) of product %lld fired", (long long)ev->id, t.fired,
			 (long long)t.pid);
	return E_OK;
}
