/* The cart. See cart.h for the model; the rules of one change are in
 * check_change(), which both stores apply under their own serialization:
 *
 *   guest  Redis, a Lua script on the session hash (atomic in Redis), fields
 *          "i:<sku id>" = "<quantity> <snapshot price> <added unix time>" and
 *          the version "cv";
 *   user   MariaDB, a transaction that first bumps carts.version for the
 *          shopper (INSERT ... ON DUPLICATE KEY UPDATE), which row-locks the
 *          cart so concurrent changes queue instead of losing each other.
 *
 * Both refuse a change whose If-Match version is stale (412), so a client
 * that computed "quantity + 1" from an old read learns it instead of
 * overwriting a newer change.
 *
 * The cart's owner is given by the caller (struct cart_owner); the pages
 * and the API, with their one model, are in cart_pages.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "../account/session_store.h"
#include "../sales/sales.h"
#include "cart.h"

enum {
	Q_SKU, Q_USER_CART, Q_GUEST_LINES, Q_LOCK, Q_STATE, Q_PUT, Q_PUT_PRICE, Q_DEL,
	Q_CLEAR, Q_COUNT, Q_ACCEPT, Q_USER_QTYS, Q_PURGE, Q_VERSION, Q_REMOVE_SKUS, NQ
};

/* The columns of a cart line, the same in Q_USER_CART and Q_GUEST_LINES. */
#define LINE_COLS \
	"s.id, s.code, p.id, p.slug, p.title, s.options, s.price, s.currency, s.weight_grams, " \
	"(s.status = 'active' AND p.status = 'active'), " \
	"COALESCE((SELECT SUM(i.available) FROM inventory i WHERE i.sku_id = s.id), 0), p.thumbnail, p.seller_id"
enum { L_SKU, L_CODE, L_PID, L_SLUG, L_TITLE, L_OPTS, L_PRICE, L_CUR, L_WEIGHT, L_SELLABLE,
       L_AVAIL, L_THUMB, L_SELLER, L_QTY, L_ADDED_PRICE, L_VERSION, L_SALE, L_ADDED_MS };

static struct db_sql sql[NQ] = {
	[Q_SKU] = { "SELECT s.id, s.price, (s.status = 'active' AND p.status = 'active'), "
		    "COALESCE((SELECT SUM(i.available) FROM inventory i WHERE i.sku_id = s.id), 0), p.title "
		    "FROM skus s JOIN products p ON p.id = s.product_id WHERE s.code = ?", 0 },
	/* One row per line plus the version; no row at all when the shopper
	 * never had a cart, one row of NULL line columns when it is empty.
	 * Sorted here (by_added), not by ORDER BY: ordering by the second
	 * table's columns made MariaDB copy the rows, titles and options
	 * (text) included, into an on-disk temporary table on every read. */
	[Q_USER_CART] = { "SELECT " LINE_COLS ", ci.quantity, ci.unit_price, c.version, "
			  "ci.sale_id, CAST(UNIX_TIMESTAMP(ci.added_at) * 1000 AS SIGNED) "
			  "FROM carts c LEFT JOIN cart_items ci ON ci.user_id = c.user_id "
			  "LEFT JOIN skus s ON s.id = ci.sku_id LEFT JOIN products p ON p.id = s.product_id "
			  "WHERE c.user_id = ?", 0 },
	/* A guest's SKUs come as a JSON array of ids: one statement for any
	 * number of lines, still prepared. */
	[Q_GUEST_LINES] = { "SELECT " LINE_COLS " FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j "
			    "JOIN skus s ON s.id = j.id JOIN products p ON p.id = s.product_id", 0 },
	[Q_LOCK] = { "INSERT INTO carts (user_id, version) VALUES (?, 1) "
		     "ON DUPLICATE KEY UPDATE version = version + 1, updated_at = CURRENT_TIMESTAMP(3)", 0 },
	[Q_STATE] = { "SELECT c.version, (SELECT COUNT(*) FROM cart_items x WHERE x.user_id = c.user_id), "
		      "ci.quantity, ci.unit_price FROM carts c "
		      "LEFT JOIN cart_items ci ON ci.user_id = c.user_id AND ci.sku_id = ? WHERE c.user_id = ?", 0 },
	/* A line added in a live sale names it and takes its price (sales.h). */
	[Q_PUT] = { "INSERT INTO cart_items (user_id, sku_id, quantity, unit_price, sale_id) VALUES (?, ?, ?, ?, ?) "
		    "ON DUPLICATE KEY UPDATE quantity = VALUES(quantity), "
		    "unit_price = IF(VALUES(sale_id) IS NULL, unit_price, VALUES(unit_price)), "
		    "sale_id = COALESCE(VALUES(sale_id), sale_id)", 0 },
	[Q_PUT_PRICE] = { "INSERT INTO cart_items (user_id, sku_id, quantity, unit_price, sale_id) "
			  "VALUES (?, ?, ?, ?, NULLIF(?, 0)) ON DUPLICATE KEY UPDATE quantity = VALUES(quantity), "
			  "unit_price = VALUES(unit_price), sale_id = VALUES(sale_id)", 0 },
	/* The primary key, not the SKU index's range (next-key locks on other
	 * shoppers' lines of the same SKU): see app/inventory/holds.c. */
	[Q_DEL] = { "DELETE ci FROM cart_items ci FORCE INDEX (PRIMARY) WHERE ci.user_id = ? AND ci.sku_id = ?", 0 },
	[Q_CLEAR] = { "DELETE FROM cart_items WHERE user_id = ?", 0 },
	[Q_COUNT] = { "SELECT COALESCE(SUM(quantity), 0) FROM cart_items WHERE user_id = ?", 0 },
	/* The price now: a line's live sale's (SALES, issue 18), else the SKU's. */
	[Q_ACCEPT] = { "UPDATE cart_items ci JOIN skus s ON s.id = ci.sku_id "
		       "LEFT JOIN sales sa ON sa.id = ci.sale_id AND sa.status = 'live' AND sa.ends_at > NOW(3) "
		       "LEFT JOIN sale_items si ON si.sale_id = sa.id AND si.sku_id = ci.sku_id "
		       "SET ci.unit_price = COALESCE(si.price, s.price) WHERE ci.user_id = ?", 0 },
	[Q_USER_QTYS] = { "SELECT sku_id, quantity, unit_price, sale_id FROM cart_items WHERE user_id = ?", 0 },
	[Q_PURGE] = { "DELETE FROM carts WHERE updated_at < NOW(3) - INTERVAL ? DAY ORDER BY updated_at LIMIT 500", 0 },
	[Q_VERSION] = { "SELECT version FROM carts WHERE user_id = ?", 0 },
	/* The SKUs an order bought (read in the same statement: one round
	 * trip fewer in the payment's transaction). */
	[Q_REMOVE_SKUS] = { "DELETE ci FROM cart_items ci JOIN order_lines ol ON ol.sku_id = ci.sku_id "
			    "WHERE ol.order_id = ? AND ci.user_id = ?", 0 },
};

void cart_init(void)
{
	db_register(sql, NQ);
}

/* What one call works with: the stores, the arena and the cart's owner (a
 * signed-in shopper's id, or the guest session whose hash holds the cart). */
struct env {
	struct db *db;
	struct kv *kv;
	struct arena *a;
	int64_t uid;
	struct session *guest;
};

static struct env env_of(struct db *db, struct kv *kv, struct arena *a, const struct cart_owner *o)
{
	struct env c = { db, kv, a, o ? o->user_id : 0, o && !o->user_id ? o->guest : NULL };

	return c;
}

/* ---- the guest store: Lua scripts on the session hash ---- */

/* One change. KEYS[1] the session; ARGV: field, mode (add|set), quantity,
 * price, now, available, max quantity, max lines, expected version ("" for
 * any), sale id ("" for none: a line added in a live sale names it as a
 * fourth number in its value and takes the given price). Answers {0, new quantity, new version} or {code, detail}: 1 session
 * gone, 2 stale version (detail: current), 3 over the per-line maximum,
 * 4 short of stock, 5 too many lines (detail: the old quantity). The rules
 * are those of check_change() below. */
static const char lua_change[] =
	"if redis.call('EXISTS', KEYS[1]) == 0 then return {1, 0} end\n"
	"local ver = tonumber(redis.call('HGET', KEYS[1], 'cv') or '0')\n"
	"if ARGV[9] ~= '' and tonumber(ARGV[9]) ~= ver then return {2, ver} end\n"
	"local cur = redis.call('HGET', KEYS[1], ARGV[1])\n"
	"local old, price, added, sale = 0, ARGV[4], ARGV[5], ARGV[10]\n"
	"if cur then\n"
	"  local q, p, t, s = string.match(cur, '^(%d+) (%d+) (%d+) ?(%d*)$')\n"
	"  if q then old, price, added = tonumber(q), p, t end\n"
	"  if q and sale == '' then sale = s end\n"
	"end\n"
	"local new = tonumber(ARGV[3])\n"
	"if ARGV[2] == 'add' then new = old + new end\n"
	"if new > tonumber(ARGV[7]) then return {3, old} end\n"
	"if new > old and new > tonumber(ARGV[6]) then return {4, old} end\n"
	"if new == 0 then\n"
	"  if cur then redis.call('HDEL', KEYS[1], ARGV[1]) end\n"
	"else\n"
	"  if not cur then\n"
	"    local n = 0\n"
	"    for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do\n"
	"      if string.sub(f, 1, 2) == 'i:' then n = n + 1 end\n"
	"    end\n"
	"    if n >= tonumber(ARGV[8]) then return {5, old} end\n"
	"  end\n"
	"  if ARGV[10] ~= '' then price = ARGV[4] end\n"
	"  if sale ~= '' then added = added .. ' ' .. sale end\n"
	"  redis.call('HSET', KEYS[1], ARGV[1], new .. ' ' .. price .. ' ' .. added)\n"
	"end\n"
	"redis.call('HSET', KEYS[1], 'cv', ver + 1)\n"
	"return {0, new, ver + 1}\n";

/* Empties the cart. ARGV[1]: expected version or "". */
static const char lua_clear[] =
	"if redis.call('EXISTS', KEYS[1]) == 0 then return {1, 0} end\n"
	"local ver = tonumber(redis.call('HGET', KEYS[1], 'cv') or '0')\n"
	"if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= ver then return {2, ver} end\n"
	"for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do\n"
	"  if string.sub(f, 1, 2) == 'i:' then redis.call('HDEL', KEYS[1], f) end\n"
	"end\n"
	"redis.call('HSET', KEYS[1], 'cv', ver + 1)\n"
	"return {0, 0, ver + 1}\n";

/* Accepts current prices: ARGV = field, price, field, price, ... for lines
 * that still exist (a line removed meanwhile stays removed). */
static const char lua_accept[] =
	"if redis.call('EXISTS', KEYS[1]) == 0 then return {1, 0} end\n"
	"for i = 1, #ARGV, 2 do\n"
	"  local cur = redis.call('HGET', KEYS[1], ARGV[i])\n"
	"  if cur then\n"
	"    local q, p, t = string.match(cur, '^(%d+) (%d+) (%d+ ?%d*)$')\n"
	"    if q then redis.call('HSET', KEYS[1], ARGV[i], q .. ' ' .. ARGV[i + 1] .. ' ' .. t) end\n"
	"  end\n"
	"end\n"
	"local ver = tonumber(redis.call('HGET', KEYS[1], 'cv') or '0') + 1\n"
	"redis.call('HSET', KEYS[1], 'cv', ver)\n"
	"return {0, 0, ver}\n";

/* A guest line parsed from the session hash. */
struct gline {
	int64_t sku_id, price, added, sale_id;
	int qty;
};

static int parse_gline(const char *field, const char *val, struct gline *g)
{
	long long id, q, p, t, sale = 0;
	char tail;
	int k;

	if (sscanf(field, "i:%lld%c", &id, &tail) != 1 || id <= 0)
		return 0;
	k = sscanf(val, "%lld %lld %lld %lld%c", &q, &p, &t, &sale, &tail);
	if ((k != 3 && k != 4) || q < 1 || q > CART_MAX_QTY || p < 0)
		return 0;
	g->sale_id = k == 4 && sale > 0 ? sale : 0;
	g->sku_id = id;
	g->qty = (int)q;
	g->price = p;
	g->added = t;
	return 1;
}

/* The guest lines of a session; *n of them. Malformed fields are skipped. */
static struct gline *guest_lines(struct arena *a, const struct session *s, size_t *n)
{
	struct gline *g = arena_calloc(a, s->ncart + 1, sizeof(*g));

	*n = 0;
	if (!g)
		return NULL;
	for (size_t i = 0; i < s->ncart; i++)
		if (parse_gline(s->cart_field[i], s->cart_val[i], &g[*n]))
			(*n)++;
	return g;
}

/* Runs a script; *code and the two details of its answer. */
static enum err run_script(struct env *c, const char *script, int argc, const char **argv,
			   long long *code, long long *d1, long long *d2)
{
	const char *args[2 * CART_MAX_LINES + 8];
	redisReply *r = NULL;
	enum err e;
	int n = 0;

	if (argc > (int)(sizeof(args) / sizeof(args[0])) - 3)
		return E_INTERNAL;
	args[n++] = "EVAL";
	args[n++] = script;
	args[n++] = "1";
	args[n++] = c->guest->key;
	for (int i = 0; i < argc; i++)
		args[n++] = argv[i];
	if ((e = kv_cmdv(c->kv, c->a, &r, n, args, NULL)))
		return e;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 2)
		return E_KV;
	*code = r->element[0]->integer;
	*d1 = r->element[1]->integer;
	*d2 = r->elements > 2 ? r->element[2]->integer : 0;
	return E_OK;
}

/* Reads the guest cart from Redis again after a change, so the answer shows
 * it as it is now (the session was read before the change). */
static enum err guest_reload(struct env *c)
{
	struct session *s = c->guest;
	redisReply *r = NULL;
	enum err e;

	if ((e = kv_cmd(c->kv, c->a, &r, "HGETALL %s", s->key)))
		return e;
	if (!r || r->type != REDIS_REPLY_ARRAY)
		return E_KV;
	s->cart_field = arena_alloc(c->a, (r->elements / 2 + 1) * sizeof(char *));
	s->cart_val = arena_alloc(c->a, (r->elements / 2 + 1) * sizeof(char *));
	if (!s->cart_field || !s->cart_val)
		return E_NOMEM;
	s->ncart = 0;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const char *k = r->element[i]->str, *v = r->element[i + 1]->str;

		if (!k || !v)
			continue;
		if (k[0] == 'i' && k[1] == ':') {
			s->cart_field[s->ncart] = k;
			s->cart_val[s->ncart++] = v;
		} else if (!strcmp(k, "cv")) {
			s->cart_version = strtoll(v, NULL, 10);
		}
	}
	return E_OK;
}

/* ---- loading ---- */

static void fill_line(const struct db_res *r, size_t i, struct cart_line *l)
{
	l->sku_id = db_int(r, i, L_SKU);
	l->code = db_cell(r, i, L_CODE);
	l->product_id = db_int(r, i, L_PID);
	l->slug = db_cell(r, i, L_SLUG);
	l->title = db_cell(r, i, L_TITLE);
	l->options = db_cell(r, i, L_OPTS);
	l->price = db_int(r, i, L_PRICE);
	l->currency = db_cell(r, i, L_CUR);
	l->weight_g = (int)db_int(r, i, L_WEIGHT);
	l->sellable = db_int(r, i, L_SELLABLE) != 0;
	l->available = db_int(r, i, L_AVAIL);
	l->thumbnail = db_cell(r, i, L_THUMB);
	l->seller_id = db_int(r, i, L_SELLER);
}

static int by_added(const void *x, const void *y)
{
	const struct cart_line *a = x, *b = y;

	if (a->added_ms != b->added_ms)
		return a->added_ms < b->added_ms ? -1 : 1;
	return a->sku_id < b->sku_id ? -1 : a->sku_id > b->sku_id;
}

/* The JSON array of a guest's SKU ids, for Q_GUEST_LINES. */
static const char *id_array(struct arena *a, const struct gline *g, size_t n)
{
	struct buf b;

	buf_init(&b, a, 16 + n * 12);
	buf_putc(&b, '[');
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%lld", i ? "," : "", (long long)g[i].sku_id);
	buf_putc(&b, ']');
	return b.p;
}

static enum err load_guest(struct env *c, struct cart *k)
{
	size_t n = 0;
	struct gline *g = guest_lines(c->a, c->guest, &n);
	struct db_res *r = NULL;
	enum err e;

	k->version = c->guest->cart_version;
	if (!g)
		return E_NOMEM;
	if (!n)
		return E_OK;
	if ((e = db_exec(c->db, c->a, &sql[Q_GUEST_LINES], &r, "s", id_array(c->a, g, n))))
		return e;
	k->lines = arena_calloc(c->a, r->nrows + 1, sizeof(*k->lines));
	if (!k->lines)
		return E_NOMEM;
	/* A SKU deleted since it was added has no row: it is gone from the
	 * catalog, so it is gone from the cart. */
	for (size_t i = 0; i < r->nrows; i++) {
		struct cart_line *l = &k->lines[k->n];
		int64_t id = db_int(r, i, L_SKU);

		for (size_t j = 0; j < n; j++)
			if (g[j].sku_id == id) {
				fill_line(r, i, l);
				l->quantity = g[j].qty;
				l->added_price = g[j].price;
				l->added_ms = g[j].added * 1000;
				l->sale_id = g[j].sale_id;
				k->n++;
				break;
			}
	}
	qsort(k->lines, k->n, sizeof(*k->lines), by_added);
	return E_OK;
}

static enum err load_user(struct env *c, struct cart *k)
{
	struct db_res *r = NULL;
	enum err e = db_exec(c->db, c->a, &sql[Q_USER_CART], &r, "i", k->user_id);

	if (e)
		return e;
	k->lines = arena_calloc(c->a, r->nrows + 1, sizeof(*k->lines));
	if (!k->lines)
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		k->version = db_int(r, i, L_VERSION);
		if (!db_cell(r, i, L_SKU))
			continue;
		fill_line(r, i, &k->lines[k->n]);
		k->lines[k->n].quantity = (int)db_int(r, i, L_QTY);
		k->lines[k->n].added_price = db_int(r, i, L_ADDED_PRICE);
		k->lines[k->n].sale_id = db_int(r, i, L_SALE);
		k->lines[k->n].added_ms = db_int(r, i, L_ADDED_MS);
		k->n++;
	}
	qsort(k->lines, k->n, sizeof(*k->lines), by_added);
	return E_OK;
}

/* SALES (issue 18): a line that names a sale is priced by it while it is
 * live and has units left (the units left are then what it may have), at
 * the SKU's own price otherwise (sales_line). */
static enum err sale_prices(struct env *c, struct cart *k)
{
	int64_t now = (int64_t)time(NULL);
	enum err e;

	for (size_t i = 0; i < k->n; i++) {
		struct cart_line *l = &k->lines[i];
		int64_t price, left;

		l->regular_price = l->price;
		if (!l->sale_id)
			continue;
		if ((e = sales_line(c->db, c->a, l->sale_id, l->sku_id, l->price, now, &price, &l->on_sale, &left)))
			return e;
		if (l->on_sale) {
			l->price = price;
			l->available = left;
		}
	}
	return E_OK;
}

static enum err load(struct env *c, struct cart **out)
{
	struct cart *k = arena_calloc(c->a, 1, sizeof(*k));
	enum err e;

	*out = k;
	if (!k)
		return E_NOMEM;
	if (c->uid) {
		k->user_id = c->uid;
		e = load_user(c, k);
	} else if (!c->guest) {
		return E_OK;
	} else {
		e = load_guest(c, k);
	}
	return e ? e : sale_prices(c, k);
}

enum err cart_get(struct db *db, struct arena *a, const struct cart_owner *o, struct cart **out)
{
	struct env c = env_of(db, NULL, a, o);

	return load(&c, out);
}

long cart_units(struct db *db, struct arena *a, const struct cart_owner *o)
{
	struct db_res *r = NULL;
	long n = 0;

	if (o && o->user_id) {
		if (db_exec(db, a, &sql[Q_COUNT], &r, "i", o->user_id) == E_OK && r->nrows)
			n = (long)db_int(r, 0, 0);
		return n;
	}
	if (!o || !o->guest)
		return 0;
	for (size_t i = 0; i < o->guest->ncart; i++) {
		struct gline g;

		if (parse_gline(o->guest->cart_field[i], o->guest->cart_val[i], &g))
			n += g.qty;
	}
	return n;
}

/* ---- changing ---- */

enum err cart_find_sku(struct db *db, struct arena *a, const char *code, int qty, enum cart_mode mode,
		       struct cart_sku *s, struct cart_refusal *no)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_SKU], &r, "s", code);

	if (e)
		return e;
	if (!r->nrows) {
		no->status = 422;
		no->heading = "We could not find that item";
		no->message = arena_printf(a, "There is no item with the SKU code %s.", code);
		return E_OK;
	}
	s->id = db_int(r, 0, 0);
	s->price = db_int(r, 0, 1);
	s->sellable = db_int(r, 0, 2) != 0;
	s->available = db_int(r, 0, 3);
	s->title = no->title = db_cell(r, 0, 4);
	if (!s->sellable && !(mode == CART_SET && qty == 0)) {
		no->status = 422;
		no->heading = "That item is not available";
		no->message = arena_printf(a, "Sorry, %s is not available any more.", s->title);
	}
	return E_OK;
}

/* The rules of one change, shared by both stores (the Lua script mirrors
 * them): the per-line maximum, the soft stock check (only when the quantity
 * grows: lowering an over-stock line must always work), the line limit. */
static void check_change(struct env *c, const struct cart_sku *s, int old, int new, int nlines,
			 struct cart_refusal *no)
{
	if (new > CART_MAX_QTY) {
		no->status = 422;
		no->heading = "That is more than a cart can hold";
		no->message = arena_printf(c->a, "You can have at most %d of one item in your cart "
					   "(you have %d of %s).", CART_MAX_QTY, old, s->title);
	} else if (new > old && new > s->available) {
		no->status = 409;
		no->available = s->available;
		no->message = s->available <= 0 ?
			arena_printf(c->a, "Sorry, %s is out of stock.", s->title) :
			arena_printf(c->a, "Sorry, only %lld of %s %s left%s.", (long long)s->available,
				     s->title, s->available == 1 ? "is" : "are",
				     old ? arena_printf(c->a, " (you have %d in your cart)", old) : "");
	} else if (new > 0 && old == 0 && nlines >= CART_MAX_LINES) {
		no->status = 422;
		no->heading = "Your cart is full";
		no->message = arena_printf(c->a, "Your cart holds at most %d different items. "
					   "Remove one to add another.", CART_MAX_LINES);
	}
}

static void stale(struct cart_refusal *no)
{
	no->status = 412;
	no->message = "The cart has changed since you last read it. Reload it and try again.";
}

struct user_change {
	struct env *c;
	const struct cart_sku *s;
	int qty;
	enum cart_mode mode;
	int64_t if_version;	/* -1: any */
	struct cart_refusal *no;
	int before;	/* the line's quantity before the change */
};

static enum err tx_user_change(struct db *db, void *p)
{
	struct user_change *u = p;
	struct env *c = u->c;
	int64_t uid = c->uid;
	struct db_res *r = NULL;
	int old, new;
	enum err e;

	u->no->status = 0;
	u->no->heading = NULL;
	if ((e = db_exec(db, c->a, &sql[Q_LOCK], NULL, "i", uid)) ||
	    (e = db_exec(db, c->a, &sql[Q_STATE], &r, "ii", u->s->id, uid)))
		return e;
	if (!r->nrows)
		return E_INTERNAL;
	/* The version was bumped above: the one the client saw is one less. */
	if (u->if_version >= 0 && db_int(r, 0, 0) - 1 != u->if_version) {
		stale(u->no);
		return E_CONFLICT;
	}
	old = u->before = (int)db_int(r, 0, 2);
	new = u->mode == CART_ADD ? old + u->qty : u->qty;
	check_change(c, u->s, old, new, (int)db_int(r, 0, 1), u->no);
	if (u->no->status)
		return E_CONFLICT;	/* rolls the version back too */
	if (new == 0)
		return db_exec(db, c->a, &sql[Q_DEL], NULL, "ii", uid, u->s->id);
	/* An existing line keeps its snapshot price (unless added in a sale). */
	if (u->s->sale_id > 0)
		return db_exec(db, c->a, &sql[Q_PUT], NULL, "iiiii", uid, u->s->id, (int64_t)new, u->s->price,
			       u->s->sale_id);
	return db_exec(db, c->a, &sql[Q_PUT], NULL, "iiiin", uid, u->s->id, (int64_t)new,
		       r->nrows && db_cell(r, 0, 3) ? db_int(r, 0, 3) : u->s->price);
}

enum err cart_apply(struct db *db, struct kv *kv, struct arena *a, const struct cart_owner *o,
		    const struct cart_sku *sku, int qty, enum cart_mode mode, int64_t ifv,
		    struct cart_refusal *no, int *before)
{
	struct env env = env_of(db, kv, a, o), *c = &env;
	const struct cart_sku s = *sku;
	enum err e;

	if (c->uid) {
		struct user_change u = { c, &s, qty, mode, ifv, no, 0 };

		e = db_tx(c->db, tx_user_change, &u);
		if (before)
			*before = u.before;
		return e == E_CONFLICT && no->status ? E_OK : e;
	} else if (!c->guest) {
		return E_INTERNAL;	/* the caller makes the session first */
	} else {
		char field[32], q[16], price[24], now[24], avail[24], maxq[8], maxl[8], ver[24], sale[24] = "";
		const char *argv[10] = { field, mode == CART_ADD ? "add" : "set", q, price, now, avail, maxq, maxl, ver,
					 sale };
		long long rc, d1, d2;

		snprintf(field, sizeof(field), "i:%lld", (long long)s.id);
		snprintf(q, sizeof(q), "%d", qty);
		snprintf(price, sizeof(price), "%lld", (long long)s.price);
		snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
		snprintf(avail, sizeof(avail), "%lld", (long long)(s.available > 0 ? s.available : 0));
		snprintf(maxq, sizeof(maxq), "%d", CART_MAX_QTY);
		snprintf(maxl, sizeof(maxl), "%d", CART_MAX_LINES);
		if (ifv >= 0)
			snprintf(ver, sizeof(ver), "%lld", (long long)ifv);
		else
			ver[0] = '\0';
		if (s.sale_id > 0)
			snprintf(sale, sizeof(sale), "%lld", (long long)s.sale_id);
		if (before) {
			*before = 0;
			for (size_t i = 0; i < c->guest->ncart; i++) {
				struct gline g;

				if (parse_gline(c->guest->cart_field[i], c->guest->cart_val[i], &g) && g.sku_id == s.id)
					*before = g.qty;
			}
		}
		if ((e = run_script(c, lua_change, 10, argv, &rc, &d1, &d2)))
			return e;
		switch (rc) {
		case 0:
			/* The answer shows the cart as it is now. */
			return guest_reload(c);
		case 1:
			no->status = 409;
			no->message = "Your session ended just now. Please reload the page and try again.";
			return E_OK;
		case 2:
			stale(no);
			return E_OK;
		default: {
			int old = (int)d1;

			check_change(c, &s, old, rc == 5 ? 1 : mode == CART_ADD ? old + qty : qty,
				     rc == 5 ? CART_MAX_LINES : 0, no);
			if (!no->status) {
				no->status = 409;
				no->message = "That change could not be made.";
			}
			return E_OK;
		}
		}
	}
}

/* ---- merge at sign-in ---- */

struct merge {
	struct arena *a;
	int64_t uid;
	struct gline *g;
	size_t ng;
	struct db_res *skus;	/* Q_GUEST_LINES for the guest's SKUs */
	struct buf msg;
};

static void say(struct buf *b, const char *s)
{
	buf_printf(b, "%s%s", b->len ? " " : "", s);
}

static enum err tx_merge(struct db *db, void *p)
{
	struct merge *m = p;
	struct arena *a = m->a;
	struct db_res *saved = NULL;
	size_t nsaved, lines, from_saved = 0, dropped = 0;
	enum err e;

	buf_reset(&m->msg);
	if ((e = db_exec(db, a, &sql[Q_LOCK], NULL, "i", m->uid)) ||
	    (e = db_exec(db, a, &sql[Q_USER_QTYS], &saved, "i", m->uid)))
		return e;
	nsaved = lines = saved->nrows;
	for (size_t i = 0; i < nsaved; i++) {
		int64_t id = db_int(saved, i, 0);
		size_t j;

		for (j = 0; j < m->ng && m->g[j].sku_id != id; j++)
			;
		if (j == m->ng)
			from_saved++;
	}
	for (size_t i = 0; i < m->skus->nrows; i++) {
		int64_t id = db_int(m->skus, i, L_SKU), avail = db_int(m->skus, i, L_AVAIL);
		const char *title = db_cell(m->skus, i, L_TITLE);
		const struct gline *g = NULL;
		int64_t price, target, saved_price = 0, sale, saved_sale = 0;
		int have = 0, saved_qty = 0;

		for (size_t j = 0; j < m->ng; j++)
			if (m->g[j].sku_id == id)
				g = &m->g[j];
		if (!g)
			continue;
		for (size_t j = 0; j < nsaved; j++)
			if (db_int(saved, j, 0) == id) {
				have = 1;
				saved_qty = (int)db_int(saved, j, 1);
				saved_price = db_int(saved, j, 2);
				saved_sale = db_int(saved, j, 3);
			}
		if (!have && lines >= CART_MAX_LINES) {
			dropped++;
			continue;
		}
		/* The larger quantity wins, with the price the shopper saw for it
		 * (and the flash sale that price came from, if any). */
		target = g->qty;
		price = g->price;
		sale = g->sale_id;
		if (have && saved_qty > g->qty) {
			target = saved_qty;
			price = saved_price;
			sale = saved_sale;
		}
		if (have && saved_qty != g->qty)
			say(&m->msg, arena_printf(a, "You had %s in both carts; we kept the larger quantity, %lld.",
						  title, (long long)target));
		if (avail > 0 && target > avail) {
			target = avail;
			say(&m->msg, arena_printf(a, "Only %lld of %s %s left, so your cart now has %lld.",
						  (long long)avail, title, avail == 1 ? "is" : "are", (long long)target));
		}
		if (target > CART_MAX_QTY)
			target = CART_MAX_QTY;
		if (have && target == saved_qty)
			continue;
		if ((e = db_exec(db, a, &sql[Q_PUT_PRICE], NULL, "iiiii", m->uid, id, target, price, sale)))
			return e;
		if (!have)
			lines++;
	}
	if (from_saved && m->ng)
		say(&m->msg, arena_printf(a, "%zu %s from your earlier visit %s added to your cart.", from_saved,
					  from_saved == 1 ? "item" : "items", from_saved == 1 ? "was" : "were"));
	if (dropped)
		say(&m->msg, arena_printf(a, "%zu %s did not fit: a cart holds at most %d different items.",
					  dropped, dropped == 1 ? "item" : "items", CART_MAX_LINES));
	return E_OK;
}

enum err cart_merge(struct db *db, struct arena *a, const struct session *guest, int64_t uid,
		    const char **message)
{
	struct merge m = { a, uid, NULL, 0, NULL, { 0 } };
	enum err e;

	*message = NULL;
	if (!guest || guest->uid || !guest->ncart)
		return E_OK;
	if (!(m.g = guest_lines(a, guest, &m.ng)))
		return E_NOMEM;
	if (!m.ng)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_GUEST_LINES], &m.skus, "s", id_array(a, m.g, m.ng))))
		return e;
	buf_init(&m.msg, a, 256);
	if ((e = db_tx(db, tx_merge, &m)))
		return e;
	*message = m.msg.len ? m.msg.p : NULL;
	return E_OK;
}

enum err cart_clear_user(struct db *db, struct arena *a, int64_t uid)
{
	enum err e = db_exec(db, a, &sql[Q_LOCK], NULL, "i", uid);

	return e ? e : db_exec(db, a, &sql[Q_CLEAR], NULL, "i", uid);
}

enum err cart_remove_ordered(struct db *db, struct arena *a, int64_t uid, int64_t order_id)
{
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_LOCK], NULL, "i", uid)))
		return e;
	return db_exec(db, a, &sql[Q_REMOVE_SKUS], NULL, "ii", order_id, uid);
}

int cart_purge_batch(struct db *db, struct kv *kv, struct arena *a)
{
	(void)kv;
	if (db_exec(db, a, &sql[Q_PURGE], NULL, "i", (int64_t)CART_IDLE_DAYS))
		return -1;
	return db_affected(db) >= 500 ? 1 : 0;
}


enum err cart_clear(struct db *db, struct kv *kv, struct arena *a, const struct cart_owner *o,
		    int64_t ifv, struct cart_refusal *no)
{
	struct env env = env_of(db, kv, a, o), *c = &env;
	enum err e;

	if (c->uid) {
		struct db_res *r = NULL;

		if ((e = db_begin(c->db)))
			return e;
		if ((e = db_exec(c->db, c->a, &sql[Q_LOCK], NULL, "i", c->uid)) ||
		    (e = db_exec(c->db, c->a, &sql[Q_VERSION], &r, "i", c->uid)))
			goto fail;
		if (ifv >= 0 && (!r->nrows || db_int(r, 0, 0) - 1 != ifv)) {
			stale(no);
			db_rollback(c->db);
			return E_OK;
		}
		if ((e = db_exec(c->db, c->a, &sql[Q_CLEAR], NULL, "i", c->uid)))
			goto fail;
		return db_commit(c->db);
fail:
		db_rollback(c->db);
		return e;
	} else if (!c->guest) {
		return E_OK;	/* no session, no cart */
	} else {
		char ver[24] = "";
		const char *argv[1] = { ver };
		long long rc, d1, d2;

		if (ifv >= 0)
			snprintf(ver, sizeof(ver), "%lld", (long long)ifv);
		if ((e = run_script(c, lua_clear, 1, argv, &rc, &d1, &d2)))
			return e;
		if (rc == 2)
			stale(no);
		return guest_reload(c);
	}
}

enum err cart_accept_prices(struct db *db, struct kv *kv, struct arena *a, const struct cart_owner *o)
{
	struct env env = env_of(db, kv, a, o), *c = &env;
	struct cart *k = NULL;
	enum err e;

	if (c->uid) {
		if ((e = db_begin(c->db)))
			return e;
		if ((e = db_exec(c->db, c->a, &sql[Q_LOCK], NULL, "i", c->uid)) ||
		    (e = db_exec(c->db, c->a, &sql[Q_ACCEPT], NULL, "i", c->uid))) {
			db_rollback(c->db);
			return e;
		}
		return db_commit(c->db);
	}
	if (!c->guest)
		return E_OK;
	if ((e = load(c, &k)))
		return e;
	{
		const char **argv = arena_calloc(c->a, 2 * k->n + 1, sizeof(char *));
		long long rc, d1, d2;
		int n = 0;

		if (!argv)
			return E_NOMEM;
		for (size_t i = 0; i < k->n; i++) {
			if (!k->lines[i].sellable || k->lines[i].price == k->lines[i].added_price)
				continue;
			argv[n++] = arena_printf(c->a, "i:%lld", (long long)k->lines[i].sku_id);
			argv[n++] = arena_printf(c->a, "%lld", (long long)k->lines[i].price);
		}
		if (!n)
			return E_OK;
		if ((e = run_script(c, lua_accept, n, argv, &rc, &d1, &d2)))
			return e;
		return guest_reload(c);
	}
}
