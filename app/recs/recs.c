/* Recommendations: the scores, their upkeep and the lookups (recs.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "../events/stream.h"
#include "../catalog/pcache.h"
#include "recs.h"

/* A card's columns; RC_* follow this order, then one score column. */
#define RC_COLS "p.id, p.slug, p.title, p.brand, p.price, p.currency, p.rating_x100, p.review_count, " \
		"p.stock_total, c.slug, p.thumbnail, p.category_id"
enum { RC_ID, RC_SLUG, RC_TITLE, RC_BRAND, RC_PRICE, RC_CUR, RC_RATING, RC_REVIEWS, RC_STOCK, RC_CAT,
       RC_THUMB, RC_CATID, RC_SCORE };
#define RC_JOIN "JOIN categories c ON c.id = p.category_id "
#define SELLABLE "p.status = 'active' AND p.stock_total > 0 "
/* The order states whose lines count as bought and paid. */
#define PAID "('confirmed', 'fulfilling', 'shipped', 'delivered')"

/* Seeds of one multi-product lookup: the statement has this many slots,
 * unused ones are 0 (no product has id 0). */
#define SEEDS 10
#define Q10 "?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
#define VIEW_SLOTS RECS_VIEWED_MAX
#define Q20 Q10 ", " Q10

enum {
	Q_ITEM, Q_MULTI, Q_BY_IDS, Q_BY_IDS40, Q_BOUGHT, Q_BEST, Q_TOP,
	Q_STATUS, Q_MARK, Q_LINES, Q_INC_ITEM, Q_INC_PAIR, Q_NB_DEL, Q_NB_ONE,
	R_ORDERS_DEL, R_ITEMS_DEL, R_PAIRS_DEL, R_NB_DEL, R_BEST_DEL, R_ORDERS, R_ITEMS, R_PAIRS, R_NB,
	R_BEST_CAT, R_BEST_ALL, R_STAMP, Q_DUE,
	NQ
};

static struct db_sql sql[NQ] = {
	[Q_ITEM] = { "SELECT " RC_COLS ", n.score FROM recs_neighbours n JOIN products p ON p.id = n.neighbour_id "
		     RC_JOIN "WHERE n.product_id = ? AND " SELLABLE "ORDER BY n.score DESC, n.neighbour_id LIMIT ?", 0 },
	[Q_MULTI] = { "SELECT " RC_COLS ", t.s FROM (SELECT neighbour_id, SUM(score) AS s FROM recs_neighbours "
		      "WHERE product_id IN (" Q10 ") GROUP BY neighbour_id) t JOIN products p ON p.id = t.neighbour_id "
		      RC_JOIN "WHERE " SELLABLE "ORDER BY t.s DESC, p.id LIMIT ?", 0 },
	[Q_BY_IDS] = { "SELECT " RC_COLS ", 0 FROM products p " RC_JOIN "WHERE p.id IN (" Q20 ") AND p.status = 'active'", 0 },
	[Q_BY_IDS40] = { "SELECT " RC_COLS ", 0 FROM products p " RC_JOIN "WHERE p.id IN (" Q20 ", " Q20 ") "
			 "AND p.status = 'active'", 0 },
	[Q_BOUGHT] = { "SELECT l.product_id FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.user_id = ? "
		       "AND o.status NOT IN ('expired', 'cancelled', 'payment_failed') GROUP BY l.product_id "
		       "ORDER BY MAX(o.id) DESC LIMIT 500", 0 },
	[Q_BEST] = { "SELECT " RC_COLS ", b.orders FROM recs_bestsellers b JOIN products p ON p.id = b.product_id "
		     RC_JOIN "WHERE b.category_id = ? AND " SELLABLE "ORDER BY b.pos LIMIT ?", 0 },
	[Q_TOP] = { "SELECT " RC_COLS ", 0 FROM products p " RC_JOIN "WHERE " SELLABLE
		    "ORDER BY p.rating_x100 DESC, p.id DESC LIMIT ?", 0 },

	[Q_STATUS] = { "SELECT status IN " PAID ", user_id FROM orders WHERE id = ?", 0 },
	[Q_MARK] = { "INSERT IGNORE INTO recs_orders (order_id, event_id) VALUES (?, ?)", 0 },
	[Q_LINES] = { "SELECT DISTINCT product_id FROM order_lines WHERE order_id = ? ORDER BY product_id LIMIT 40", 0 },
	[Q_INC_ITEM] = { "INSERT INTO recs_item_orders (product_id, orders) VALUES (?, 1) "
			 "ON DUPLICATE KEY UPDATE orders = orders + 1", 0 },
	[Q_INC_PAIR] = { "INSERT INTO recs_pairs (a, b, orders) VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE orders = orders + 1", 0 },
	[Q_NB_DEL] = { "DELETE FROM recs_neighbours WHERE product_id = ?", 0 },
	[Q_NB_ONE] = { "INSERT INTO recs_neighbours (product_id, neighbour_id, score, support) "
		       "SELECT x.a, x.b, x.orders / SQRT(ia.orders * ib.orders), x.orders FROM recs_pairs x "
		       "JOIN recs_item_orders ia ON ia.product_id = x.a JOIN recs_item_orders ib ON ib.product_id = x.b "
		       "WHERE x.a = ? AND x.orders >= ? ORDER BY 3 DESC, x.b LIMIT ?", 0 },

	[R_ORDERS_DEL] = { "DELETE FROM recs_orders", 0 },
	[R_ITEMS_DEL] = { "DELETE FROM recs_item_orders", 0 },
	[R_PAIRS_DEL] = { "DELETE FROM recs_pairs", 0 },
	[R_NB_DEL] = { "DELETE FROM recs_neighbours", 0 },
	[R_BEST_DEL] = { "DELETE FROM recs_bestsellers", 0 },
	[R_ORDERS] = { "INSERT INTO recs_orders (order_id) SELECT id FROM orders WHERE status IN " PAID, 0 },
	[R_ITEMS] = { "INSERT INTO recs_item_orders (product_id, orders) SELECT l.product_id, COUNT(DISTINCT l.order_id) "
		      "FROM recs_orders r JOIN order_lines l ON l.order_id = r.order_id GROUP BY l.product_id", 0 },
	[R_PAIRS] = { "INSERT INTO recs_pairs (a, b, orders) SELECT x.product_id, y.product_id, COUNT(DISTINCT x.order_id) "
		      "FROM recs_orders r JOIN order_lines x ON x.order_id = r.order_id JOIN order_lines y "
		      "ON y.order_id = x.order_id AND y.product_id <> x.product_id GROUP BY x.product_id, y.product_id", 0 },
	[R_NB] = { "INSERT INTO recs_neighbours (product_id, neighbour_id, score, support) SELECT a, b, s, o FROM "
		   "(SELECT x.a, x.b, x.orders / SQRT(ia.orders * ib.orders) AS s, x.orders AS o, ROW_NUMBER() OVER "
		   "(PARTITION BY x.a ORDER BY x.orders / SQRT(ia.orders * ib.orders) DESC, x.b) AS rn FROM recs_pairs x "
		   "JOIN recs_item_orders ia ON ia.product_id = x.a JOIN recs_item_orders ib ON ib.product_id = x.b "
		   "WHERE x.orders >= ?) t WHERE rn <= ?", 0 },
	[R_BEST_CAT] = { "INSERT INTO recs_bestsellers (category_id, pos, product_id, orders) SELECT category_id, rn, "
			 "product_id, orders FROM (SELECT p.category_id, io.product_id, io.orders, ROW_NUMBER() OVER "
			 "(PARTITION BY p.category_id ORDER BY io.orders DESC, io.product_id) AS rn FROM recs_item_orders io "
			 "JOIN products p ON p.id = io.product_id WHERE p.status = 'active') t WHERE rn <= 50", 0 },
	[R_BEST_ALL] = { "INSERT INTO recs_bestsellers (category_id, pos, product_id, orders) SELECT 0, rn, product_id, "
			 "orders FROM (SELECT io.product_id, io.orders, ROW_NUMBER() OVER (ORDER BY io.orders DESC, "
			 "io.product_id) AS rn FROM recs_item_orders io JOIN products p ON p.id = io.product_id "
			 "WHERE p.status = 'active') t WHERE rn <= 50", 0 },
	[R_STAMP] = { "INSERT INTO recs_state (name, at) VALUES ('rebuilt', NOW(3)) ON DUPLICATE KEY UPDATE at = NOW(3)", 0 },
	[Q_DUE] = { "SELECT COUNT(*) FROM recs_state WHERE name = 'rebuilt' AND at > NOW(3) - INTERVAL ? HOUR", 0 },
};

static int min_support = 2, top_k = 20, rebuild_hours = 24;

void recs_init(void)
{
	static int done;

	min_support = (int)config_env_num("SHOP_RECS_MIN_SUPPORT", 2, 1, 1000);
	top_k = (int)config_env_num("SHOP_RECS_K", 20, 1, 200);
	rebuild_hours = (int)config_env_num("SHOP_RECS_REBUILD_HOURS", 24, 1, 24 * 30);
	if (!done++)
		db_register(sql, NQ);
}

double recs_blend(double rel, int64_t stock, int64_t rating_x100)
{
	double s = stock <= 0 ? 0 : stock >= 20 ? 1 : stock / 20.0;
	double r = rating_x100 <= 0 ? 0 : rating_x100 >= 500 ? 1 : rating_x100 / 500.0;

	return 0.7 * rel + 0.3 * (0.5 * s + 0.5 * r);
}

/* ---- lookups ---- */

static void card_from(struct recs_card *k, const struct db_res *r, size_t i, const char *reason)
{
	k->id = db_int(r, i, RC_ID);
	k->slug = db_cell(r, i, RC_SLUG);
	k->title = db_cell(r, i, RC_TITLE);
	k->brand = db_cell(r, i, RC_BRAND);
	k->price = db_int(r, i, RC_PRICE);
	k->currency = db_cell(r, i, RC_CUR);
	k->rating_x100 = db_int(r, i, RC_RATING);
	k->reviews = db_int(r, i, RC_REVIEWS);
	k->stock = db_int(r, i, RC_STOCK);
	k->category = db_cell(r, i, RC_CAT);
	k->thumbnail = db_cell(r, i, RC_THUMB);
	k->category_id = db_int(r, i, RC_CATID);
	k->score = db_cell(r, i, RC_SCORE) ? strtod(db_cell(r, i, RC_SCORE), NULL) : 0;
	k->reason = reason;
}

static int has(const int64_t *v, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return 1;
	return 0;
}

static int listed(const struct recs_list *l, int64_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].id == id)
			return 1;
	return 0;
}

/* Appends the rows of r not excluded nor listed, up to cap. */
static void append(struct recs_list *out, size_t cap, const struct db_res *r, const int64_t *ex, size_t nex,
		   const char *reason)
{
	for (size_t i = 0; i < r->nrows && out->n < cap; i++) {
		int64_t id = db_int(r, i, RC_ID);

		if (has(ex, nex, id) || listed(out, id))
			continue;
		card_from(&out->v[out->n++], r, i, reason);
	}
}

static enum err list_new(struct arena *a, size_t k, struct recs_list *out)
{
	out->n = 0;
	out->v = arena_calloc(a, k ? k : 1, sizeof(*out->v));
	return out->v ? E_OK : E_NOMEM;
}

enum err recs_for_item(struct db *db, struct arena *a, int64_t product_id, size_t k, struct recs_list *out)
{
	struct db_res *r = NULL;
	enum err e;

	if ((e = list_new(a, k, out)) || (e = db_exec(db, a, &sql[Q_ITEM], &r, "ii", product_id, (int64_t)k)))
		return e;
	append(out, k, r, &product_id, 1, "bought-with");
	return E_OK;
}

/* Summed neighbours of up to SEEDS seeds, best first. */
static enum err neighbours_of(struct db *db, struct arena *a, const int64_t *seeds, size_t n, int64_t limit,
			      struct db_res **r)
{
	int64_t s[SEEDS] = { 0 };

	for (size_t i = 0; i < n && i < SEEDS; i++)
		s[i] = seeds[i];
	return db_exec(db, a, &sql[Q_MULTI], r, "iiiiiiiiiii", s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
		       s[8], s[9], limit);
}

enum err recs_for_basket(struct db *db, struct arena *a, const int64_t *ids, size_t n, size_t k,
			 struct recs_list *out)
{
	struct db_res *r = NULL;
	enum err e;

	if ((e = list_new(a, k, out)))
		return e;
	if (!n)
		return E_OK;
	if ((e = neighbours_of(db, a, ids, n, (int64_t)(k + n), &r)))
		return e;
	append(out, k, r, ids, n, "bought-with");
	return E_OK;
}

/* ---- recently viewed ---- */

/* Both in one round trip: the list is the ids, most recent first. */
static const char lua_add[] =
	"redis.call('LREM', KEYS[1], 0, ARGV[1]) redis.call('LPUSH', KEYS[1], ARGV[1]) "
	"redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1) redis.call('EXPIRE', KEYS[1], ARGV[3]) "
	"redis.call('DEL', KEYS[2]) return 1";
static const char lua_merge[] =
	"local g = redis.call('LRANGE', KEYS[1], 0, -1) local u = redis.call('LRANGE', KEYS[2], 0, -1) "
	"local seen, out = {}, {} "
	"for _, v in ipairs(g) do if not seen[v] then seen[v] = 1 table.insert(out, v) end end "
	"for _, v in ipairs(u) do if not seen[v] then seen[v] = 1 table.insert(out, v) end end "
	"if #out == 0 then return 0 end "
	"redis.call('DEL', KEYS[2]) "
	"for i = 1, math.min(#out, tonumber(ARGV[1])) do redis.call('RPUSH', KEYS[2], out[i]) end "
	"redis.call('EXPIRE', KEYS[2], ARGV[2]) redis.call('DEL', KEYS[1]) return #out";
/* The viewed ids and the viewer's kept personal list, in one round trip. */
static const char lua_read[] =
	"return {redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1), redis.call('GET', KEYS[2])}";
#define VIEWED_TTL "2592000"	/* 30 days */

const char *recs_viewer(struct arena *a, int64_t uid, const char *session_key)
{
	if (uid > 0)
		return arena_printf(a, "u:%lld", (long long)uid);
	if (session_key && *session_key)
		return arena_printf(a, "g:%s", session_key);
	return NULL;
}

enum err recs_viewed_add(struct kv *kv, struct arena *a, const char *viewer, int64_t product_id)
{
	if (!viewer)
		return E_OK;
	return kv_cmd(kv, a, NULL, "EVAL %s 2 rv:%s rp:%s %lld %d %s", lua_add, viewer, viewer, (long long)product_id,
		      RECS_VIEWED_MAX, VIEWED_TTL);
}

enum err recs_viewed_merge(struct kv *kv, struct arena *a, const char *session_key, int64_t uid)
{
	const char *g = recs_viewer(a, 0, session_key);

	enum err e;

	if (!g || uid <= 0)
		return E_OK;
	if ((e = kv_cmd(kv, a, NULL, "EVAL %s 2 rv:%s rv:u:%lld %d %s", lua_merge, g, (long long)uid, RECS_VIEWED_MAX,
			VIEWED_TTL)))
		return e;
	return kv_cmd(kv, a, NULL, "DEL rp:u:%lld", (long long)uid);
}

/* The viewed ids, most recent first (Redis down: none). */
static size_t viewed_ids(struct kv *kv, struct arena *a, const char *viewer, int64_t *ids, size_t max)
{
	redisReply *r = NULL;
	size_t n = 0;

	if (!viewer || kv_cmd(kv, a, &r, "LRANGE rv:%s 0 %d", viewer, RECS_VIEWED_MAX - 1) || !r ||
	    r->type != REDIS_REPLY_ARRAY)
		return 0;
	for (size_t i = 0; i < r->elements && n < max; i++) {
		long long v = r->element[i]->str ? strtoll(r->element[i]->str, NULL, 10) : 0;

		if (v > 0)
			ids[n++] = v;
	}
	return n;
}

/* Cards of up to VIEW_SLOTS products in the order of ids. */
static enum err cards_by_ids(struct db *db, struct arena *a, const int64_t *ids, size_t n, int64_t except,
			     size_t k, const char *reason, struct recs_list *out)
{
	int64_t s[VIEW_SLOTS] = { 0 };
	struct db_res *r = NULL;
	enum err e;

	if ((e = list_new(a, k, out)) || !n)
		return e;
	for (size_t i = 0; i < n && i < VIEW_SLOTS; i++)
		s[i] = ids[i];
	if ((e = db_exec(db, a, &sql[Q_BY_IDS], &r, "iiiiiiiiiiiiiiiiiiii", s[0], s[1], s[2], s[3], s[4], s[5],
			 s[6], s[7], s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15], s[16], s[17], s[18], s[19])))
		return e;
	for (size_t i = 0; i < n && out->n < k; i++) {
		if (ids[i] == except)
			continue;
		for (size_t j = 0; j < r->nrows; j++)
			if (db_int(r, j, RC_ID) == ids[i]) {
				card_from(&out->v[out->n++], r, j, reason);
				break;
			}
	}
	return E_OK;
}

enum err recs_viewed(struct db *db, struct kv *kv, struct arena *a, const char *viewer, int64_t except,
		     size_t k, struct recs_list *out)
{
	int64_t ids[RECS_VIEWED_MAX];
	size_t n = viewed_ids(kv, a, viewer, ids, RECS_VIEWED_MAX);

	return cards_by_ids(db, a, ids, n, except, k, "viewed", out);
}

/* ---- recommended for you ---- */

static int by_score(const void *x, const void *y)
{
	const struct recs_card *p = x, *q = y;

	return p->score < q->score ? 1 : p->score > q->score ? -1 : (p->id > q->id) - (p->id < q->id);
}

enum err recs_for_user(struct db *db, struct kv *kv, struct arena *a, int64_t uid, const char *viewer,
		       const struct recs_list *seen, size_t k, struct recs_list *out)
{
	int64_t viewed[RECS_VIEWED_MAX], seeds[SEEDS], *bought = NULL, *ex;
	size_t nv = 0, nb = 0, ns = 0, nex, i;
	struct db_res *r = NULL;
	struct recs_list cand, vc;
	double top = 0;
	enum err e;

	if ((e = list_new(a, k, out)))
		return e;
	if (seen)	/* the caller has them: no second round trip */
		for (i = 0; i < seen->n && nv < RECS_VIEWED_MAX; i++)
			viewed[nv++] = seen->v[i].id;
	else
		nv = viewed_ids(kv, a, viewer, viewed, RECS_VIEWED_MAX);
	if (uid > 0) {
		if ((e = db_exec(db, a, &sql[Q_BOUGHT], &r, "i", uid)))
			return e;
		nb = r->nrows;
		if (!(bought = arena_calloc(a, nb ? nb : 1, sizeof(*bought))))
			return E_NOMEM;
		for (i = 0; i < nb; i++)
			bought[i] = db_int(r, i, 0);
	}
	/* Seeds: the five latest views, then the latest purchases, then more views. */
	for (i = 0; i < nv && ns < SEEDS / 2; i++)
		seeds[ns++] = viewed[i];
	for (i = 0; i < nb && ns < SEEDS; i++)
		if (!has(seeds, ns, bought[i]))
			seeds[ns++] = bought[i];
	for (i = SEEDS / 2; i < nv && ns < SEEDS; i++)
		if (!has(seeds, ns, viewed[i]))
			seeds[ns++] = viewed[i];
	/* Never what was bought; not what was viewed either (its own list shows it). */
	nex = nb + nv;
	if (!(ex = arena_calloc(a, nex ? nex : 1, sizeof(*ex))))
		return E_NOMEM;
	for (i = 0; i < nb; i++)
		ex[i] = bought[i];
	for (i = 0; i < nv; i++)
		ex[nb + i] = viewed[i];

	if (ns) {
		if ((e = neighbours_of(db, a, seeds, ns, 100, &r)) || (e = list_new(a, r->nrows, &cand)))
			return e;
		append(&cand, r->nrows, r, ex, nex, "personal");
		for (i = 0; i < cand.n; i++)
			if (cand.v[i].score > top)
				top = cand.v[i].score;
		for (i = 0; i < cand.n; i++)
			cand.v[i].score = recs_blend(top > 0 ? cand.v[i].score / top : 0, cand.v[i].stock,
						     cand.v[i].rating_x100);
		qsort(cand.v, cand.n, sizeof(*cand.v), by_score);
		for (i = 0; i < cand.n && out->n < k; i++)
			out->v[out->n++] = cand.v[i];
	}
	/* Cold start: best sellers of the categories browsed, then of the shop. */
	if (out->n < k && nv) {
		if (seen)
			vc = *seen;
		else if ((e = cards_by_ids(db, a, viewed, nv, 0, 3, "viewed", &vc)))
			return e;
		if (vc.n > 3)
			vc.n = 3;
		for (i = 0; i < vc.n && out->n < k; i++) {
			int dup = 0;

			for (size_t j = 0; j < i; j++)
				dup |= vc.v[j].category_id == vc.v[i].category_id;
			if (dup)
				continue;
			if ((e = db_exec(db, a, &sql[Q_BEST], &r, "ii", vc.v[i].category_id, (int64_t)(k + nex))))
				return e;
			append(out, k, r, ex, nex, "category-bestseller");
		}
	}
	if (out->n < k) {
		if ((e = db_exec(db, a, &sql[Q_BEST], &r, "ii", (int64_t)0, (int64_t)(k + nex))))
			return e;
		append(out, k, r, ex, nex, "bestseller");
	}
	if (out->n < k) {	/* a shop without sales yet: the best rated */
		if ((e = db_exec(db, a, &sql[Q_TOP], &r, "i", (int64_t)(k + nex))))
			return e;
		append(out, k, r, ex, nex, "bestseller");
	}
	return E_OK;
}

/* ---- "Recommended for you", kept a minute per viewer ---- */

static const char *const reasons[] = { "personal", "category-bestseller", "bestseller", "bought-with", "viewed" };

static int reason_no(const char *r)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (r && !strcmp(r, reasons[i]))
			return (int)i;
	return 0;
}

/* "id score reason-number;" for each card. */
static const char *kept_text(struct arena *a, const struct recs_list *l)
{
	char *out = arena_alloc(a, l->n * 48 + 1), *p = out;

	if (!out)
		return NULL;
	*p = '\0';
	for (size_t i = 0; i < l->n; i++)
		p += sprintf(p, "%lld %.6f %d;", (long long)l->v[i].id, l->v[i].score, reason_no(l->v[i].reason));
	return out;
}

/* Parses kept_text's into ids, scores and reasons; how many. */
static size_t kept_parse(const char *s, int64_t *ids, double *sc, int *rs, size_t max)
{
	size_t n = 0;

	while (s && *s && n < max) {
		long long id;
		double v;
		int r, used = 0;

		if (sscanf(s, "%lld %lf %d;%n", &id, &v, &r, &used) != 3 || used <= 0)
			break;
		if (r < 0 || r >= (int)(sizeof(reasons) / sizeof(reasons[0])))
			r = 0;
		ids[n] = id, sc[n] = v, rs[n] = r, n++;
		s += used;
	}
	return n;
}

enum err recs_personal(struct db *db, struct kv *kv, struct arena *a, int64_t uid, const char *viewer,
		       size_t kv_max, size_t k, struct recs_list *viewed, struct recs_list *out)
{
	int64_t vid[RECS_VIEWED_MAX], kid[RECS_PERSONAL_MAX], all[2 * VIEW_SLOTS] = { 0 };
	double ksc[RECS_PERSONAL_MAX];
	int krs[RECS_PERSONAL_MAX];
	size_t nv = 0, nk = 0, i, j;
	const char *kept = NULL;
	struct recs_list full;
	redisReply *r = NULL;
	struct db_res *res = NULL;
	enum err e;

	if (k > RECS_PERSONAL_MAX)
		k = RECS_PERSONAL_MAX;
	if ((e = list_new(a, kv_max, viewed)) || (e = list_new(a, k, out)))
		return e;
	if (viewer && !kv_cmd(kv, a, &r, "EVAL %s 2 rv:%s rp:%s %d", lua_read, viewer, viewer, RECS_VIEWED_MAX) &&
	    r && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
		const redisReply *l = r->element[0], *g = r->element[1];

		for (i = 0; l->type == REDIS_REPLY_ARRAY && i < l->elements && nv < RECS_VIEWED_MAX; i++)
			if (l->element[i]->str && strtoll(l->element[i]->str, NULL, 10) > 0)
				vid[nv++] = strtoll(l->element[i]->str, NULL, 10);
		if (g->type == REDIS_REPLY_STRING)
			kept = g->str;
	}
	if (kept && (nk = kept_parse(kept, kid, ksc, krs, RECS_PERSONAL_MAX)) > 0) {
		/* One query for the cards of both lists, current (stock, status). */
		for (i = 0; i < nv && i < VIEW_SLOTS; i++)
			all[i] = vid[i];
		for (i = 0; i < nk && i < VIEW_SLOTS; i++)
			all[VIEW_SLOTS + i] = kid[i];
		if ((e = db_exec(db, a, &sql[Q_BY_IDS40], &res, "iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii",
				 all[0], all[1], all[2], all[3], all[4], all[5], all[6], all[7], all[8], all[9], all[10],
				 all[11], all[12], all[13], all[14], all[15], all[16], all[17], all[18], all[19], all[20],
				 all[21], all[22], all[23], all[24], all[25], all[26], all[27], all[28], all[29], all[30],
				 all[31], all[32], all[33], all[34], all[35], all[36], all[37], all[38], all[39])))
			return e;
		for (i = 0; i < nv && viewed->n < kv_max; i++)
			for (j = 0; j < res->nrows; j++)
				if (db_int(res, j, RC_ID) == vid[i]) {
					card_from(&viewed->v[viewed->n++], res, j, "viewed");
					break;
				}
		for (i = 0; i < nk && out->n < k; i++)
			for (j = 0; j < res->nrows; j++)
				if (db_int(res, j, RC_ID) == kid[i]) {
					if (db_int(res, j, RC_STOCK) > 0) {	/* never out of stock */
						card_from(&out->v[out->n], res, j, reasons[krs[i]]);
						out->v[out->n++].score = ksc[i];
					}
					break;
				}
		return E_OK;
	}
	/* Computed, then kept a minute (dropped by a view, a sign-in, a purchase). */
	if ((e = cards_by_ids(db, a, vid, nv, 0, kv_max < RECS_VIEWED_MAX ? RECS_VIEWED_MAX : kv_max, "viewed",
			      viewed)))
		return e;
	if ((e = recs_for_user(db, kv, a, uid, viewer, viewed, RECS_PERSONAL_MAX, &full)))
		return e;
	if (viewer && full.n && (kept = kept_text(a, &full)))
		kv_cmd(kv, a, NULL, "SET rp:%s %s EX %d", viewer, kept, RECS_KEPT_S);
	for (i = 0; i < full.n && out->n < k; i++)
		out->v[out->n++] = full.v[i];
	if (viewed->n > kv_max)
		viewed->n = kv_max;
	return E_OK;
}

/* ---- keeping the scores ---- */

struct count_tx {
	struct arena *a;
	int64_t order_id, event_id;
	int counted;		/* products counted (0: the order was not) */
	int64_t products[40];
	int64_t user_id;	/* the buyer, when the order is paid */
};

static enum err tx_count(struct db *db, void *p)
{
	struct count_tx *t = p;
	struct db_res *r = NULL;
	enum err e;

	t->counted = 0;
	if ((e = db_exec(db, t->a, &sql[Q_STATUS], &r, "i", t->order_id)))
		return e;
	if (!r->nrows || db_int(r, 0, 0) != 1)
		return E_OK;	/* gone, or no longer paid: the nightly rebuild agrees */
	t->user_id = db_int(r, 0, 1);
	if ((e = db_exec(db, t->a, &sql[Q_MARK], NULL, t->event_id ? "ii" : "in", t->order_id, t->event_id)))
		return e;
	if (db_affected(db) == 0)
		return E_OK;	/* counted already (a replay, or the rebuild) */
	if ((e = db_exec(db, t->a, &sql[Q_LINES], &r, "i", t->order_id)))
		return e;
	for (size_t i = 0; i < r->nrows; i++) {
		int64_t x = db_int(r, i, 0);

		if ((e = db_exec(db, t->a, &sql[Q_INC_ITEM], NULL, "i", x)))
			return e;
		for (size_t j = 0; j < r->nrows; j++)
			if (j != i && (e = db_exec(db, t->a, &sql[Q_INC_PAIR], NULL, "ii", x, db_int(r, j, 0))))
				return e;
	}
	/* The neighbours of the order's products; a third product's score
	 * with them drifts by its denominator until the nightly rebuild. */
	for (size_t i = 0; r->nrows > 1 && i < r->nrows; i++)
		if ((e = db_exec(db, t->a, &sql[Q_NB_DEL], NULL, "i", db_int(r, i, 0))) ||
		    (e = db_exec(db, t->a, &sql[Q_NB_ONE], NULL, "iii", db_int(r, i, 0), (int64_t)min_support,
				 (int64_t)top_k)))
			return e;
	for (size_t i = 0; i < r->nrows && i < sizeof(t->products) / sizeof(t->products[0]); i++)
		t->products[t->counted++] = db_int(r, i, 0);
	return E_OK;
}

static enum err count_order(struct db *db, struct kv *kv, struct arena *a, int64_t order_id, int64_t event_id)
{
	struct count_tx t = { .a = a, .order_id = order_id, .event_id = event_id };
	enum err e = db_tx(db, tx_count, &t);

	/* The buyer's kept "Recommended for you" goes: it may hold what they
	 * just bought. Redis down: it expires within RECS_KEPT_S. */
	if (!e && kv && t.user_id > 0 && kv_cmd(kv, a, NULL, "DEL rp:u:%lld", (long long)t.user_id))
		log_warn("recs: the kept list of user %lld was not dropped", (long long)t.user_id);

	/* The workers' cached "also bought" lists (pages cached by the
	 * catalog's pcache) are dropped: a no-op outside the jobs process. */
	for (int i = 0; !e && i < t.counted; i++)
		pcache_bump(t.products[i]);
	return e;
}

enum err recs_count_order(struct db *db, struct arena *a, int64_t order_id, int64_t event_id)
{
	return count_order(db, NULL, a, order_id, event_id);
}

enum err recs_on_event(struct db *db, struct kv *kv, struct arena *a, const struct event *ev)
{
	int64_t order_id = ev->aggregate;
	json_t *o = ev->json ? json_object_get(ev->json, "orderId") : NULL;

	if (ev->type != EV_ORDER_CONFIRMED)
		return E_OK;
	if (json_is_integer(o))
		order_id = json_integer_value(o);
	if (order_id <= 0)
		return E_OK;
	return count_order(db, kv, a, order_id, ev->id);
}

struct rebuild_tx {
	struct arena *a;
};

static enum err tx_rebuild(struct db *db, void *p)
{
	struct rebuild_tx *t = p;
	static const int steps[] = { R_ORDERS_DEL, R_ITEMS_DEL, R_PAIRS_DEL, R_NB_DEL, R_BEST_DEL, R_ORDERS, R_ITEMS,
				     R_PAIRS };
	enum err e;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if ((e = db_exec(db, t->a, &sql[steps[i]], NULL, "")))
			return e;
	if ((e = db_exec(db, t->a, &sql[R_NB], NULL, "ii", (int64_t)min_support, (int64_t)top_k)) ||
	    (e = db_exec(db, t->a, &sql[R_BEST_CAT], NULL, "")) ||
	    (e = db_exec(db, t->a, &sql[R_BEST_ALL], NULL, "")) ||
	    (e = db_exec(db, t->a, &sql[R_STAMP], NULL, "")))
		return e;
	return E_OK;
}

enum err recs_rebuild(struct db *db, struct arena *a)
{
	struct rebuild_tx t = { .a = a };

	return db_tx(db, tx_rebuild, &t);
}

int recs_rebuild_job(struct db *db, struct kv *kv, struct arena *a)
{
	struct db_res *r = NULL;
	enum err e;

	(void)kv;
	if (db_exec(db, a, &sql[Q_DUE], &r, "i", (int64_t)rebuild_hours))
		return -1;
	if (r->nrows && db_int(r, 0, 0) > 0)
		return 0;
	if ((e = recs_rebuild(db, a))) {
		log_warn("recs: the rebuild failed: %s (%s)", err_str(e), db_error(db));
		return e == E_UNAVAIL ? -1 : 0;
	}
	pcache_bump_all();	/* the workers' cached lists */
	log_info("recs: scores rebuilt from the paid orders");
	return 0;
}

int recs_rebuild_cmd(int argc, char **argv)
{
	struct db *db = NULL;
	struct arena *a = arena_new(1 << 16);
	enum err e;
	int rc = 1;

	(void)argv;
	if (argc != 1)
		return 2;
	if (!a)
		goto out;
	if ((e = db_open(&db))) {
		fprintf(stderr, "recs-rebuild: cannot connect to MariaDB: %s\n", err_str(e));
		goto out;
	}
	if ((e = recs_rebuild(db, a))) {
		fprintf(stderr, "recs-rebuild: %s (%s)\n", err_str(e), db_error(db));
		goto out;
	}
	printf("recs-rebuild: the scores and best sellers were recounted from the paid orders\n");
	rc = 0;
out:
	if (db)
		db_close(db);
	if (a)
		arena_destroy(a);
	return rc;
}
