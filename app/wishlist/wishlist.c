/* Wishlists: saved items, lists, sharing (wishlist.h).
 *
 *   user   MariaDB: wishlists and wishlist_items; the default list is made
 *          on the first save (INSERT IGNORE on the (user_id, name) key, so
 *          two first saves at once make one);
 *   guest  the session hash in Redis, fields "w:<sku id>"; a Lua script
 *          adds only while the session exists (no key without its TTL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "../account/session_store.h"
#include "../alerts/alerts.h"
#include "wishlist.h"

#define ER_DUP_ENTRY 1062

enum {
	Q_SKU, Q_LISTS, Q_LIST, Q_DEFAULT, Q_SHARED, Q_MAKE_DEFAULT, Q_ITEMS, Q_GUEST_ITEMS,
	Q_NLISTS, Q_NITEMS, Q_CREATE, Q_RENAME, Q_DELETE, Q_SET_TOKEN, Q_ADD, Q_SET_QTY, Q_ITEM,
	Q_DEL_ITEM, Q_ALERTS, Q_MOVE, Q_SAVED, Q_MERGE, Q_GUEST_SKUS, NQ
};

/* The columns of an item, the same in Q_ITEMS and Q_GUEST_ITEMS (whose
 * saved columns are NULL: they come from Redis). */
#define ITEM_COLS \
	"s.id, s.code, p.id, p.slug, p.title, s.options, s.price, s.currency, " \
	"(s.status = 'active' AND p.status = 'active'), " \
	"COALESCE((SELECT SUM(i.available) FROM inventory i WHERE i.sku_id = s.id), 0), p.thumbnail"
enum { I_SKU, I_CODE, I_PID, I_SLUG, I_TITLE, I_OPTS, I_PRICE, I_CUR, I_SELLABLE, I_AVAIL, I_THUMB,
       I_SAVED_PRICE, I_QTY, I_ALERTS, I_SAVED_AT };
#define LIST_COLS "id, user_id, name, is_default, share_token"

static struct db_sql sql[NQ] = {
	[Q_SKU] = { "SELECT s.id, s.product_id, s.price, s.code, p.title, p.slug FROM skus s "
		    "JOIN products p ON p.id = s.product_id WHERE s.code = ?", 0 },
	[Q_LISTS] = { "SELECT w.id, w.name, w.is_default, w.share_token IS NOT NULL, "
		      "(SELECT COUNT(*) FROM wishlist_items i WHERE i.wishlist_id = w.id) "
		      "FROM wishlists w WHERE w.user_id = ? ORDER BY w.is_default DESC, w.name, w.id", 0 },
	[Q_LIST] = { "SELECT " LIST_COLS " FROM wishlists WHERE id = ? AND user_id = ?", 0 },
	[Q_DEFAULT] = { "SELECT " LIST_COLS " FROM wishlists WHERE user_id = ? AND is_default = 1 "
			"ORDER BY id LIMIT 1", 0 },
	[Q_SHARED] = { "SELECT " LIST_COLS " FROM wishlists WHERE share_token = ?", 0 },
	[Q_MAKE_DEFAULT] = { "INSERT IGNORE INTO wishlists (user_id, name, is_default) VALUES (?, ?, 1)", 0 },
	[Q_ITEMS] = { "SELECT " ITEM_COLS ", wi.saved_price, wi.quantity, wi.alerts, UNIX_TIMESTAMP(wi.created_at) "
		      "FROM wishlist_items wi JOIN skus s ON s.id = wi.sku_id JOIN products p ON p.id = s.product_id "
		      "WHERE wi.wishlist_id = ? ORDER BY wi.created_at DESC, wi.sku_id", 0 },
	[Q_GUEST_ITEMS] = { "SELECT " ITEM_COLS ", NULL, NULL, NULL, NULL FROM JSON_TABLE(?, '$[*]' "
			    "COLUMNS (id BIGINT UNSIGNED PATH '$')) j JOIN skus s ON s.id = j.id "
			    "JOIN products p ON p.id = s.product_id", 0 },
	[Q_NLISTS] = { "SELECT COUNT(*) FROM wishlists WHERE user_id = ?", 0 },
	[Q_NITEMS] = { "SELECT COUNT(*) FROM wishlist_items WHERE wishlist_id = ?", 0 },
	[Q_CREATE] = { "INSERT INTO wishlists (user_id, name) VALUES (?, ?)", 0 },
	[Q_RENAME] = { "UPDATE wishlists SET name = ? WHERE id = ? AND user_id = ?", 0 },
	[Q_DELETE] = { "DELETE FROM wishlists WHERE id = ? AND user_id = ? AND is_default = 0", 0 },
	[Q_SET_TOKEN] = { "UPDATE wishlists SET share_token = ? WHERE id = ? AND user_id = ?", 0 },
	[Q_ADD] = { "INSERT IGNORE INTO wishlist_items (wishlist_id, sku_id, product_id, user_id, saved_price, quantity) "
		    "VALUES (?, ?, ?, ?, ?, ?)", 0 },
	[Q_SET_QTY] = { "UPDATE wishlist_items SET quantity = ? WHERE wishlist_id = ? AND sku_id = ?", 0 },
	[Q_ITEM] = { "SELECT quantity, alerts, product_id, saved_price FROM wishlist_items WHERE wishlist_id = ? AND sku_id = ? FOR UPDATE", 0 },
	[Q_DEL_ITEM] = { "DELETE FROM wishlist_items WHERE wishlist_id = ? AND sku_id = ?", 0 },
	[Q_ALERTS] = { "UPDATE wishlist_items SET alerts = ? WHERE wishlist_id = ? AND sku_id = ?", 0 },
	/* The item as it is, into the target (a SKU there already stays). */
	[Q_MOVE] = { "INSERT IGNORE INTO wishlist_items (wishlist_id, sku_id, product_id, user_id, saved_price, "
		     "quantity, alerts, created_at) SELECT ?, sku_id, product_id, user_id, saved_price, quantity, "
		     "alerts, created_at FROM wishlist_items WHERE wishlist_id = ? AND sku_id = ?", 0 },
	[Q_SAVED] = { "SELECT 1 FROM wishlist_items WHERE user_id = ? AND product_id = ? AND sku_id = ? LIMIT 1", 0 },
	/* A SKU in both lists keeps the earlier save (price, time, quantity):
	 * the assignments run left to right, created_at last. */
	[Q_MERGE] = { "INSERT INTO wishlist_items (wishlist_id, sku_id, product_id, user_id, saved_price, quantity, "
		      "alerts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, FROM_UNIXTIME(?)) ON DUPLICATE KEY UPDATE "
		      "saved_price = IF(VALUES(created_at) < created_at, VALUES(saved_price), saved_price), "
		      "quantity = IF(VALUES(created_at) < created_at, VALUES(quantity), quantity), "
		      "created_at = LEAST(created_at, VALUES(created_at))", 0 },
	[Q_GUEST_SKUS] = { "SELECT s.id, s.product_id FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j "
			   "JOIN skus s ON s.id = j.id", 0 },
};

void wishlist_init(void)
{
	db_register(sql, NQ);
}

enum err wl_find_sku(struct db *db, struct arena *a, const char *code, struct wl_sku *s)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_SKU], &r, "s", code);

	if (e)
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	s->id = db_int(r, 0, 0);
	s->product_id = db_int(r, 0, 1);
	s->price = db_int(r, 0, 2);
	s->code = db_cell(r, 0, 3);
	s->title = db_cell(r, 0, 4);
	s->slug = db_cell(r, 0, 5);
	return E_OK;
}

enum err wl_lists(struct db *db, struct arena *a, int64_t uid, struct wl_summary **out, size_t *n)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_LISTS], &r, "i", uid);
	struct wl_summary *v;

	*n = 0;
	if (e)
		return e;
	if (!(v = arena_calloc(a, r->nrows + 1, sizeof(*v))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		v[i].id = db_int(r, i, 0);
		v[i].name = db_cell(r, i, 1);
		v[i].is_default = db_int(r, i, 2) != 0;
		v[i].shared = db_int(r, i, 3) != 0;
		v[i].count = (long)db_int(r, i, 4);
	}
	*out = v;
	*n = r->nrows;
	return E_OK;
}

/* ---- reading ---- */

static void fill_item(const struct db_res *r, size_t i, struct wl_item *it)
{
	it->sku_id = db_int(r, i, I_SKU);
	it->code = db_cell(r, i, I_CODE);
	it->product_id = db_int(r, i, I_PID);
	it->slug = db_cell(r, i, I_SLUG);
	it->title = db_cell(r, i, I_TITLE);
	it->options = db_cell(r, i, I_OPTS);
	it->price = db_int(r, i, I_PRICE);
	it->currency = db_cell(r, i, I_CUR);
	it->sellable = db_int(r, i, I_SELLABLE) != 0;
	it->available = db_int(r, i, I_AVAIL);
	it->thumbnail = db_cell(r, i, I_THUMB);
}

static struct wl_list *list_row(struct arena *a, const struct db_res *r)
{
	struct wl_list *l = arena_calloc(a, 1, sizeof(*l));

	if (!l)
		return NULL;
	l->id = db_int(r, 0, 0);
	l->user_id = db_int(r, 0, 1);
	l->name = db_cell(r, 0, 2);
	l->is_default = db_int(r, 0, 3) != 0;
	l->share_token = db_cell(r, 0, 4);
	return l;
}

static enum err load_items(struct db *db, struct arena *a, struct wl_list *l)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_ITEMS], &r, "i", l->id);

	if (e)
		return e;
	if (!(l->items = arena_calloc(a, r->nrows + 1, sizeof(*l->items))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		struct wl_item *it = &l->items[l->n++];

		fill_item(r, i, it);
		it->saved_price = db_int(r, i, I_SAVED_PRICE);
		it->quantity = (int)db_int(r, i, I_QTY);
		it->alerts = db_int(r, i, I_ALERTS) != 0;
		it->saved_at = db_int(r, i, I_SAVED_AT);
	}
	return E_OK;
}

/* The default list's id, made when make is set; 0 when there is none. */
static enum err default_id(struct db *db, struct arena *a, int64_t uid, int make, struct db_res **row)
{
	enum err e = db_exec(db, a, &sql[Q_DEFAULT], row, "i", uid);

	if (e || (*row)->nrows || !make)
		return e;
	if ((e = db_exec(db, a, &sql[Q_MAKE_DEFAULT], NULL, "is", uid, WL_DEFAULT_NAME)))
		return e;
	return db_exec(db, a, &sql[Q_DEFAULT], row, "i", uid);
}

/* The list's row: uid's list id, or the default (id 0). *out NULL when the
 * default is not made (and make is not set). */
static enum err list_of(struct db *db, struct arena *a, int64_t uid, int64_t id, int make, struct wl_list **out)
{
	struct db_res *r = NULL;
	enum err e;

	*out = NULL;
	if (id)
		e = db_exec(db, a, &sql[Q_LIST], &r, "ii", id, uid);
	else
		e = default_id(db, a, uid, make, &r);
	if (e)
		return e;
	if (!r->nrows)
		return id || make ? E_NOTFOUND : E_OK;
	return (*out = list_row(a, r)) ? E_OK : E_NOMEM;
}

enum err wl_get(struct db *db, struct arena *a, int64_t uid, int64_t id, int make, struct wl_list **out)
{
	enum err e = list_of(db, a, uid, id, make, out);

	if (e)
		return e;
	if (!*out) {
		struct wl_list *l = arena_calloc(a, 1, sizeof(*l));

		if (!l)
			return E_NOMEM;
		l->user_id = uid;
		l->name = WL_DEFAULT_NAME;
		l->is_default = 1;
		l->items = arena_calloc(a, 1, sizeof(*l->items));
		*out = l;
		return E_OK;
	}
	return load_items(db, a, *out);
}

enum err wl_get_shared(struct db *db, struct arena *a, const char *token, struct wl_list **out)
{
	struct db_res *r = NULL;
	enum err e;

	if (!token || strlen(token) != 43)
		return E_NOTFOUND;
	if ((e = db_exec(db, a, &sql[Q_SHARED], &r, "s", token)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	if (!(*out = list_row(a, r)))
		return E_NOMEM;
	return load_items(db, a, *out);
}

/* ---- the guest's list: the session hash ---- */

struct gitem {
	int64_t sku_id, price, at;
	int qty, alerts;
};

static int parse_gitem(const char *field, const char *val, struct gitem *g)
{
	long long id, p, q, t, al;
	char tail;

	if (sscanf(field, "w:%lld%c", &id, &tail) != 1 || id <= 0)
		return 0;
	if (sscanf(val, "%lld %lld %lld %lld%c", &p, &q, &t, &al, &tail) != 4 || p < 0 || q < 1 || q > 99)
		return 0;
	g->sku_id = id;
	g->price = p;
	g->qty = (int)q;
	g->at = t;
	g->alerts = al != 0;
	return 1;
}

/* The guest's items as stored; *n of them. */
static enum err guest_items(struct kv *kv, struct arena *a, const struct session *s, struct gitem **out, size_t *n)
{
	redisReply *r = NULL;
	struct gitem *g;
	enum err e;

	*n = 0;
	if ((e = kv_cmd(kv, a, &r, "HGETALL %s", s->key)))
		return e;
	if (!r || r->type != REDIS_REPLY_ARRAY)
		return E_KV;
	if (!(g = arena_calloc(a, r->elements / 2 + 1, sizeof(*g))))
		return E_NOMEM;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const char *k = r->element[i]->str, *v = r->element[i + 1]->str;

		if (k && v && k[0] == 'w' && k[1] == ':' && parse_gitem(k, v, &g[*n]))
			(*n)++;
	}
	*out = g;
	return E_OK;
}

static const char *id_array(struct arena *a, const struct gitem *g, size_t n)
{
	struct buf b;

	buf_init(&b, a, 16 + n * 12);
	buf_putc(&b, '[');
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%lld", i ? "," : "", (long long)g[i].sku_id);
	buf_putc(&b, ']');
	return b.p;
}

static int newest_first(const void *x, const void *y)
{
	const struct wl_item *a = x, *b = y;

	if (a->saved_at != b->saved_at)
		return a->saved_at > b->saved_at ? -1 : 1;
	return a->sku_id < b->sku_id ? -1 : a->sku_id > b->sku_id;
}

enum err wl_get_guest(struct kv *kv, struct db *db, struct arena *a, const struct session *guest,
		      struct wl_list **out)
{
	struct wl_list *l = arena_calloc(a, 1, sizeof(*l));
	struct gitem *g = NULL;
	struct db_res *r = NULL;
	size_t n = 0;
	enum err e;

	*out = l;
	if (!l)
		return E_NOMEM;
	l->name = WL_DEFAULT_NAME;
	l->is_default = 1;
	if (!(l->items = arena_calloc(a, 1, sizeof(*l->items))))
		return E_NOMEM;
	if (!guest)
		return E_OK;
	if ((e = guest_items(kv, a, guest, &g, &n)))
		return e;
	if (!n)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_GUEST_ITEMS], &r, "s", id_array(a, g, n))))
		return e;
	if (!(l->items = arena_calloc(a, r->nrows + 1, sizeof(*l->items))))
		return E_NOMEM;
	/* A SKU deleted since it was saved has no row: gone from the list. */
	for (size_t i = 0; i < r->nrows; i++) {
		int64_t id = db_int(r, i, I_SKU);

		for (size_t j = 0; j < n; j++)
			if (g[j].sku_id == id) {
				struct wl_item *it = &l->items[l->n++];

				fill_item(r, i, it);
				it->saved_price = g[j].price;
				it->quantity = g[j].qty;
				it->alerts = g[j].alerts;
				it->saved_at = g[j].at;
				break;
			}
	}
	qsort(l->items, l->n, sizeof(*l->items), newest_first);
	return E_OK;
}

enum err wl_get_owner(struct db *db, struct kv *kv, struct arena *a, const struct wl_owner *o, int64_t id,
		      struct wl_list **out)
{
	if (o->user_id)
		return wl_get(db, a, o->user_id, id, 0, out);
	if (id)
		return E_NOTFOUND;
	return wl_get_guest(kv, db, a, o->guest, out);
}

/* Adds (or, with set_qty, sets the quantity of) a guest item. Answers
 * {0 | 1 created | -1 no session | -2 full}. ARGV: field, value, set_qty,
 * max items, quantity. */
static const char lua_add[] =
	"if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
	"local cur = redis.call('HGET', KEYS[1], ARGV[1])\n"
	"if cur then\n"
	"  if ARGV[3] == '1' then\n"
	"    local p, q, t, al = string.match(cur, '^(%d+) (%d+) (%d+) (%d+)$')\n"
	"    if p then redis.call('HSET', KEYS[1], ARGV[1], p .. ' ' .. ARGV[5] .. ' ' .. t .. ' ' .. al) end\n"
	"  end\n"
	"  return 0\n"
	"end\n"
	"local n = 0\n"
	"for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do\n"
	"  if string.sub(f, 1, 2) == 'w:' then n = n + 1 end\n"
	"end\n"
	"if n >= tonumber(ARGV[4]) then return -2 end\n"
	"redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n"
	"return 1\n";

/* The alerts switch of a guest item: 1 done, 0 not saved. ARGV: field, 0|1. */
static const char lua_alerts[] =
	"local cur = redis.call('HGET', KEYS[1], ARGV[1])\n"
	"if not cur then return 0 end\n"
	"local p, q, t = string.match(cur, '^(%d+) (%d+) (%d+) %d+$')\n"
	"if not p then return 0 end\n"
	"redis.call('HSET', KEYS[1], ARGV[1], p .. ' ' .. q .. ' ' .. t .. ' ' .. ARGV[2])\n"
	"return 1\n";

static enum err guest_eval(struct kv *kv, struct arena *a, const struct session *s, const char *script,
			   int argc, const char **argv, long long *out)
{
	const char *args[12];
	redisReply *r = NULL;
	enum err e;
	int n = 0;

	args[n++] = "EVAL";
	args[n++] = script;
	args[n++] = "1";
	args[n++] = s->key;
	for (int i = 0; i < argc && n < 12; i++)
		args[n++] = argv[i];
	if ((e = kv_cmdv(kv, a, &r, n, args, NULL)))
		return e;
	if (!r || r->type != REDIS_REPLY_INTEGER)
		return E_KV;
	*out = r->integer;
	return E_OK;
}

/* ---- changing ---- */

enum err wl_create(struct db *db, struct arena *a, int64_t uid, const char *name, int64_t *id)
{
	struct db_res *r = NULL;
	enum err e;

	/* The default list first, so that a named list never takes its name
	 * before it is made. */
	if ((e = default_id(db, a, uid, 1, &r)) ||
	    (e = db_exec(db, a, &sql[Q_NLISTS], &r, "i", uid)))
		return e;
	if (r->nrows && db_int(r, 0, 0) >= WL_MAX_LISTS)
		return E_TOOBIG;
	e = db_exec(db, a, &sql[Q_CREATE], NULL, "is", uid, name);
	if (e && db_errno(db) == ER_DUP_ENTRY)
		return E_CONFLICT;
	if (e)
		return e;
	*id = (int64_t)db_insert_id(db);
	return E_OK;
}

enum err wl_rename(struct db *db, struct arena *a, int64_t uid, int64_t id, const char *name)
{
	struct wl_list *l = NULL;
	enum err e;

	if ((e = list_of(db, a, uid, id, 0, &l)))
		return e;
	if (!l)
		return E_NOTFOUND;
	e = db_exec(db, a, &sql[Q_RENAME], NULL, "sii", name, id, uid);
	if (e && db_errno(db) == ER_DUP_ENTRY)
		return l->name && !strcmp(l->name, name) ? E_OK : E_CONFLICT;
	return e;
}

enum err wl_delete(struct db *db, struct arena *a, int64_t uid, int64_t id)
{
	struct wl_list *l = NULL;
	enum err e;

	if (!id)
		return E_INVAL;
	if ((e = list_of(db, a, uid, id, 0, &l)))
		return e;
	if (l->is_default)
		return E_INVAL;
	return db_exec(db, a, &sql[Q_DELETE], NULL, "ii", id, uid);
}

enum err wl_share(struct db *db, struct arena *a, int64_t uid, int64_t id, int on, const char **token)
{
	struct wl_list *l = NULL;
	enum err e;

	*token = NULL;
	if ((e = list_of(db, a, uid, id, on, &l)))
		return e;
	if (!l)
		return E_OK;	/* no default list yet: nothing to stop sharing */
	if (!on)
		return db_exec(db, a, &sql[Q_SET_TOKEN], NULL, "nii", l->id, uid);
	if (l->share_token) {
		*token = l->share_token;
		return E_OK;
	}
	{
		unsigned char raw[32];
		char *t = arena_alloc(a, 48);

		if (!t)
			return E_NOMEM;
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64(t, 48, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		if ((e = db_exec(db, a, &sql[Q_SET_TOKEN], NULL, "sii", t, l->id, uid)))
			return e;
		*token = t;
	}
	return E_OK;
}

struct add_tx {
	struct arena *a;
	int64_t uid, id;
	const struct wl_sku *s;
	int qty, set_qty, created;
};

static enum err tx_add(struct db *db, void *p)
{
	struct add_tx *x = p;
	struct wl_list *l = NULL;
	struct db_res *r = NULL;
	enum err e;

	x->created = 0;
	if ((e = list_of(db, x->a, x->uid, x->id, 1, &l)) ||
	    (e = db_exec(db, x->a, &sql[Q_ITEM], &r, "ii", l->id, x->s->id)))
		return e;
	if (r->nrows) {
		if (x->set_qty)
			return db_exec(db, x->a, &sql[Q_SET_QTY], NULL, "iii", (int64_t)x->qty, l->id, x->s->id);
		return E_OK;
	}
	if ((e = db_exec(db, x->a, &sql[Q_NITEMS], &r, "i", l->id)))
		return e;
	if (r->nrows && db_int(r, 0, 0) >= WL_MAX_ITEMS)
		return E_TOOBIG;
	if ((e = db_exec(db, x->a, &sql[Q_ADD], NULL, "iiiiii", l->id, x->s->id, x->s->product_id, x->uid,
			 x->s->price, (int64_t)x->qty)))
		return e;
	x->created = db_affected(db) > 0;
	/* Its alerts (on by default) exist from now on, armed as the SKU is now. */
	if (x->created)
		return alerts_wishlist_saved(db, x->a, x->uid, x->s->product_id, x->s->id, x->s->price);
	return E_OK;
}

enum err wl_add(struct db *db, struct kv *kv, struct arena *a, const struct wl_owner *o, int64_t id,
		const struct wl_sku *s, int qty, int set_qty, int *created)
{
	enum err e;

	*created = 0;
	if (qty < 1)
		qty = 1;
	if (qty > 99)
		qty = 99;
	if (o->user_id) {
		struct add_tx x = { a, o->user_id, id, s, qty, set_qty, 0 };

		if ((e = db_tx(db, tx_add, &x)))
			return e;
		*created = x.created;
		return E_OK;
	}
	if (id || !o->guest)
		return E_NOTFOUND;
	{
		const char *argv[5] = {
			arena_printf(a, "w:%lld", (long long)s->id),
			arena_printf(a, "%lld %d %lld 1", (long long)s->price, qty, (long long)time(NULL)),
			set_qty ? "1" : "0",
			arena_printf(a, "%d", WL_MAX_ITEMS),
			arena_printf(a, "%d", qty),
		};
		long long rc = 0;

		if ((e = guest_eval(kv, a, o->guest, lua_add, 5, argv, &rc)))
			return e;
		if (rc == -1)
			return E_UNAVAIL;
		if (rc == -2)
			return E_TOOBIG;
		*created = rc == 1;
		return E_OK;
	}
}

enum err wl_remove(struct db *db, struct kv *kv, struct arena *a, const struct wl_owner *o, int64_t id,
		   int64_t sku_id, int *qty)
{
	enum err e;

	if (qty)
		*qty = 1;
	if (o->user_id) {
		struct wl_list *l = NULL;
		struct db_res *r = NULL;

		if ((e = list_of(db, a, o->user_id, id, 0, &l)))
			return e;
		if (!l)
			return E_NOTFOUND;
		if ((e = db_exec(db, a, &sql[Q_ITEM], &r, "ii", l->id, sku_id)))
			return e;
		if (!r->nrows)
			return E_NOTFOUND;
		if (qty)
			*qty = (int)db_int(r, 0, 0);
		if ((e = db_exec(db, a, &sql[Q_DEL_ITEM], NULL, "ii", l->id, sku_id)))
			return e;
		return db_affected(db) ? E_OK : E_NOTFOUND;
	}
	if (id || !o->guest)
		return E_NOTFOUND;
	{
		const char *field = arena_printf(a, "w:%lld", (long long)sku_id);
		redisReply *r = NULL;

		if (qty) {
			struct gitem g;

			if ((e = kv_cmd(kv, a, &r, "HGET %s %s", o->guest->key, field)))
				return e;
			if (r && r->type == REDIS_REPLY_STRING && parse_gitem(field, r->str, &g))
				*qty = g.qty;
		}
		if ((e = kv_cmd(kv, a, &r, "HDEL %s %s", o->guest->key, field)))
			return e;
		return r && r->type == REDIS_REPLY_INTEGER && r->integer > 0 ? E_OK : E_NOTFOUND;
	}
}

enum err wl_set_alerts(struct db *db, struct kv *kv, struct arena *a, const struct wl_owner *o, int64_t id,
		       int64_t sku_id, int on)
{
	enum err e;

	if (o->user_id) {
		struct wl_list *l = NULL;
		struct db_res *r = NULL;

		if ((e = list_of(db, a, o->user_id, id, 0, &l)))
			return e;
		if (!l)
			return E_NOTFOUND;
		if ((e = db_exec(db, a, &sql[Q_ITEM], &r, "ii", l->id, sku_id)))
			return e;
		if (!r->nrows)
			return E_NOTFOUND;
		if ((e = db_exec(db, a, &sql[Q_ALERTS], NULL, "iii", (int64_t)(on != 0), l->id, sku_id)))
			return e;
		/* Switched on: its subscriptions, if the consumer has not made them. */
		return on ? alerts_wishlist_saved(db, a, o->user_id, db_int(r, 0, 2), sku_id, db_int(r, 0, 3)) : E_OK;
	}
	if (id || !o->guest)
		return E_NOTFOUND;
	{
		const char *argv[2] = { arena_printf(a, "w:%lld", (long long)sku_id), on ? "1" : "0" };
		long long rc = 0;

		if ((e = guest_eval(kv, a, o->guest, lua_alerts, 2, argv, &rc)))
			return e;
		return rc == 1 ? E_OK : E_NOTFOUND;
	}
}

struct move_tx {
	struct arena *a;
	int64_t uid, from, to, sku_id;
};

static enum err tx_move(struct db *db, void *p)
{
	struct move_tx *x = p;
	struct wl_list *from = NULL, *to = NULL;
	struct db_res *r = NULL;
	enum err e;

	if ((e = list_of(db, x->a, x->uid, x->from, 1, &from)) ||
	    (e = list_of(db, x->a, x->uid, x->to, 1, &to)) ||
	    (e = db_exec(db, x->a, &sql[Q_ITEM], &r, "ii", from->id, x->sku_id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	if (from->id == to->id)
		return E_OK;
	if ((e = db_exec(db, x->a, &sql[Q_NITEMS], &r, "i", to->id)))
		return e;
	if (r->nrows && db_int(r, 0, 0) >= WL_MAX_ITEMS)
		return E_TOOBIG;
	if ((e = db_exec(db, x->a, &sql[Q_MOVE], NULL, "iii", to->id, from->id, x->sku_id)))
		return e;
	return db_exec(db, x->a, &sql[Q_DEL_ITEM], NULL, "ii", from->id, x->sku_id);
}

enum err wl_move(struct db *db, struct arena *a, int64_t uid, int64_t from, int64_t to, int64_t sku_id)
{
	struct move_tx x = { a, uid, from, to, sku_id };

	return db_tx(db, tx_move, &x);
}

int wl_saved(struct db *db, struct kv *kv, struct arena *a, const struct wl_owner *o, int64_t product_id,
	     int64_t sku_id)
{
	if (o->user_id) {
		struct db_res *r = NULL;

		return db_exec(db, a, &sql[Q_SAVED], &r, "iii", o->user_id, product_id, sku_id) == E_OK && r->nrows;
	}
	if (o->guest) {
		redisReply *r = NULL;

		return kv_cmd(kv, a, &r, "HEXISTS %s w:%lld", o->guest->key, (long long)sku_id) == E_OK &&
		       r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	}
	return 0;
}

/* ---- merge at sign-in ---- */

struct merge_tx {
	struct arena *a;
	int64_t uid;
	const struct gitem *g;
	size_t ng;
	const struct db_res *skus;	/* Q_GUEST_SKUS */
};

static enum err tx_merge(struct db *db, void *p)
{
	struct merge_tx *m = p;
	struct wl_list *l = NULL;
	struct db_res *r = NULL;
	int64_t have;
	enum err e;

	if ((e = list_of(db, m->a, m->uid, 0, 1, &l)) ||
	    (e = db_exec(db, m->a, &sql[Q_NITEMS], &r, "i", l->id)))
		return e;
	have = r->nrows ? db_int(r, 0, 0) : 0;
	for (size_t i = 0; i < m->skus->nrows; i++) {
		int64_t id = db_int(m->skus, i, 0), pid = db_int(m->skus, i, 1);

		for (size_t j = 0; j < m->ng; j++) {
			const struct gitem *g = &m->g[j];

			if (g->sku_id != id)
				continue;
			if (have >= WL_MAX_ITEMS &&
			    (e = db_exec(db, m->a, &sql[Q_ITEM], &r, "ii", l->id, id)) == E_OK && !r->nrows)
				break;	/* full: what does not fit stays out */
			if ((e = db_exec(db, m->a, &sql[Q_MERGE], NULL, "iiiiiiii", l->id, id, pid, m->uid, g->price,
					 (int64_t)g->qty, (int64_t)g->alerts, g->at)))
				return e;
			if (db_affected(db) == 1) {
				have++;
				if (g->alerts && (e = alerts_wishlist_saved(db, m->a, m->uid, pid, id, g->price)))
					return e;
			}
			break;
		}
	}
	return E_OK;
}

enum err wl_merge(struct db *db, struct kv *kv, struct arena *a, const struct session *guest, int64_t uid)
{
	struct merge_tx m = { a, uid, NULL, 0, NULL };
	struct gitem *g = NULL;
	struct db_res *r = NULL;
	enum err e;

	if (!guest || guest->uid)
		return E_OK;
	if ((e = guest_items(kv, a, guest, &g, &m.ng)))
		return e == E_UNAVAIL ? E_OK : e;
	if (!m.ng)
		return E_OK;
	m.g = g;
	if ((e = db_exec(db, a, &sql[Q_GUEST_SKUS], &r, "s", id_array(a, g, m.ng))))
		return e;
	m.skus = r;
	return db_tx(db, tx_merge, &m);
}
