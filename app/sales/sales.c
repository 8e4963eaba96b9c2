/* Flash sales: the schedule, the offers shoppers see, prices of cart lines,
 * the per-customer limits and the "sales" job (sales.h). Domain code: no
 * request, no template.
 *
 * Status is the truth of whether a sale is live: a sale whose start time has
 * passed is still "upcoming" until the job has set its units aside in the
 * shards and moved it to live in the same transaction, so no shopper ever
 * sees a sale price without units behind it. After ends_at it is over at
 * once (ordinary prices), even before the job drains it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../inventory/shards.h"
#include "sales.h"

#define SALE_COLS \
	"s.id, s.seller_id, s.name, UNIX_TIMESTAMP(s.starts_at), UNIX_TIMESTAMP(s.ends_at), s.status, s.shards "
enum { SC_ID, SC_SELLER, SC_NAME, SC_STARTS, SC_ENDS, SC_STATUS, SC_SHARDS };

#define ITEM_COLS \
	"si.sku_id, k.code, si.product_id, p.title, p.slug, si.price, k.price, si.quantity, si.allocated, " \
	"si.per_customer, p.currency "
enum { IC_SKU, IC_CODE, IC_PID, IC_TITLE, IC_SLUG, IC_PRICE, IC_REGULAR, IC_QTY, IC_ALLOC, IC_PER, IC_CUR };

/* The buyer a per-customer limit counts: a guest by the hash of the address
 * it gave (the same person checking out as a guest again is the same
 * buyer), anyone else by account. */
#define BUYER_OF_USER \
	"IF(u.status = 'guest', CONCAT('e:', SHA2(LOWER(COALESCE(u.guest_email, '')), 256)), CONCAT('u:', u.id))"

enum {
	Q_SKU, Q_INS, Q_ITEM_INS, Q_GET, Q_ITEMS, Q_LIST, Q_LIST_SELLER, Q_OFFER, Q_LINE, Q_DUE_OPEN, Q_DUE_CLOSE,
	Q_LOCK, Q_ALLOC, Q_STATUS, Q_LIVE_ITEMS, Q_CLAIM_ROW, Q_CLAIM, Q_CLAIMED, Q_UNCLAIM, Q_BUYER, Q_SOLD,
	Q_OF_PRODUCT, Q_CODES, NQ
};

static struct db_sql sql[NQ] = {
	[Q_SKU] = { "SELECT k.id, k.product_id, k.price, p.seller_id, k.status = 'active' AND p.status = 'active' "
		    "FROM skus k JOIN products p ON p.id = k.product_id WHERE k.code = ?", 0 },
	[Q_INS] = { "INSERT INTO sales (seller_id, name, starts_at, ends_at, shards, created_by) "
		    "VALUES (?, ?, FROM_UNIXTIME(?), FROM_UNIXTIME(?), ?, ?)", 0 },
	[Q_ITEM_INS] = { "INSERT INTO sale_items (sale_id, sku_id, product_id, price, quantity, per_customer) "
			 "VALUES (?, ?, ?, ?, ?, ?)", 0 },
	[Q_GET] = { "SELECT " SALE_COLS "FROM sales s WHERE s.id = ?", 0 },
	[Q_ITEMS] = { "SELECT " ITEM_COLS "FROM sale_items si JOIN skus k ON k.id = si.sku_id "
		      "JOIN products p ON p.id = si.product_id WHERE si.sale_id = ? ORDER BY k.code", 0 },
	[Q_LIST] = { "SELECT " SALE_COLS "FROM sales s ORDER BY s.starts_at DESC, s.id DESC LIMIT 200", 0 },
	[Q_LIST_SELLER] = { "SELECT " SALE_COLS "FROM sales s WHERE s.seller_id = ? "
			    "ORDER BY s.starts_at DESC, s.id DESC LIMIT 200", 0 },
	/* The SKU's live sale, else its next scheduled one (one sale at a
	 * time per SKU: the schedule refuses overlaps). */
	[Q_OFFER] = { "SELECT s.id, s.name, s.status, UNIX_TIMESTAMP(s.starts_at), UNIX_TIMESTAMP(s.ends_at), "
		      "si.price, si.quantity, si.per_customer, si.allocated FROM sale_items si "
		      "JOIN sales s ON s.id = si.sale_id WHERE si.sku_id = ? AND s.status IN ('scheduled', 'live') "
		      "AND s.ends_at > FROM_UNIXTIME(?) ORDER BY s.status = 'live' DESC, s.starts_at LIMIT 1", 0 },
	[Q_LINE] = { "SELECT s.status, UNIX_TIMESTAMP(s.ends_at), si.price FROM sale_items si "
		     "JOIN sales s ON s.id = si.sale_id WHERE si.sale_id = ? AND si.sku_id = ?", 0 },
	[Q_DUE_OPEN] = { "SELECT id FROM sales WHERE status = 'scheduled' AND starts_at <= NOW(3) "
			 "AND ends_at > NOW(3) ORDER BY starts_at LIMIT 5", 0 },
	/* Ended, and scheduled ones whose end passed before they could open. */
	[Q_DUE_CLOSE] = { "SELECT id FROM sales WHERE status IN ('live', 'scheduled') AND ends_at <= NOW(3) "
			  "ORDER BY ends_at LIMIT 5", 0 },
	[Q_LOCK] = { "SELECT status, shards, COALESCE(seller_id, 0) FROM sales WHERE id = ? FOR UPDATE", 0 },
	[Q_ALLOC] = { "UPDATE sale_items SET allocated = ? WHERE sale_id = ? AND sku_id = ?", 0 },
	[Q_STATUS] = { "UPDATE sales SET status = ? WHERE id = ? AND status = ?", 0 },
	[Q_LIVE_ITEMS] = { "SELECT si.sale_id, si.sku_id FROM sale_items si JOIN sales s ON s.id = si.sale_id "
			   "WHERE s.status = 'live' ORDER BY si.sale_id, si.sku_id LIMIT 500", 0 },
	[Q_CLAIM_ROW] = { "INSERT IGNORE INTO sale_buyers (sale_id, sku_id, buyer, units) VALUES (?, ?, ?, 0)", 0 },
	/* Guarded: the limit is checked by the statement that counts. */
	[Q_CLAIM] = { "UPDATE sale_buyers b JOIN sale_items si ON si.sale_id = b.sale_id AND si.sku_id = b.sku_id "
		      "SET b.units = b.units + ? WHERE b.sale_id = ? AND b.sku_id = ? AND b.buyer = ? "
		      "AND b.units + ? <= si.per_customer", 0 },
	[Q_CLAIMED] = { "SELECT si.per_customer - COALESCE(b.units, 0) FROM sale_items si LEFT JOIN sale_buyers b "
			"ON b.sale_id = si.sale_id AND b.sku_id = si.sku_id AND b.buyer = ? "
			"WHERE si.sale_id = ? AND si.sku_id = ?", 0 },
	[Q_UNCLAIM] = { "UPDATE sale_buyers b JOIN (SELECT l.sale_id, l.sku_id, SUM(l.quantity) q, " BUYER_OF_USER
			" buyer FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN users u ON u.id = o.user_id "
			"WHERE l.order_id = ? AND l.sale_id IS NOT NULL GROUP BY l.sale_id, l.sku_id, buyer) x "
			"ON x.sale_id = b.sale_id AND x.sku_id = b.sku_id AND x.buyer = b.buyer "
			"SET b.units = GREATEST(b.units - x.q, 0)", 0 },
	[Q_BUYER] = { "SELECT " BUYER_OF_USER " FROM users u WHERE u.id = ?", 0 },
	[Q_SOLD] = { "SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id "
		     "WHERE l.sale_id = ? AND l.sku_id = ? AND o.status NOT IN ('expired', 'cancelled', "
		     "'payment_failed')", 0 },
	/* Another sale of the SKU whose time overlaps [start, end). */
	[Q_OF_PRODUCT] = { "SELECT s.id FROM sale_items si JOIN sales s ON s.id = si.sale_id WHERE si.sku_id = ? "
			   "AND s.status IN ('scheduled', 'live') AND s.starts_at < FROM_UNIXTIME(?) "
			   "AND s.ends_at > FROM_UNIXTIME(?) LIMIT 1", 0 },
	/* The SKUs of sales to come or going on (the product page's cache). */
	[Q_CODES] = { "SELECT DISTINCT si.sku_id, k.code FROM sale_items si JOIN sales s ON s.id = si.sale_id "
		      "JOIN skus k ON k.id = si.sku_id WHERE s.status IN ('scheduled', 'live') "
		      "ORDER BY si.sku_id LIMIT 1000", 0 },
};

void sales_init(void)
{
	static int done;

	if (!done++)
		db_register(sql, NQ);
}

const char *sale_status_name(int s)
{
	static const char *const names[] = { "scheduled", "live", "ended", "cancelled" };

	return s >= 0 && s < 4 ? names[s] : "scheduled";
}

static int status_of(const char *s)
{
	for (int i = 0; s && i < 4; i++)
		if (!strcmp(s, sale_status_name(i)))
			return i;
	return SALE_ST_SCHEDULED;
}

/* ---- times ---- */

int sales_parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec, n = 0, off = 0;
	struct tm tm;
	const char *p;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 2000 || y > 2200)
		return -1;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om, k = 0;

		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5 || oh > 23 || om > 59)
			return -1;
		off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (int64_t)timegm(&tm) - off;
	return 0;
}

const char *sales_time(struct arena *a, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char b[32];

	gmtime_r(&tt, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return arena_strdup(a, b);
}

const char *sales_countdown(struct arena *a, int64_t seconds)
{
	int64_t d, h, m;

	if (seconds < 0)
		seconds = 0;
	d = seconds / 86400;
	h = seconds % 86400 / 3600;
	m = seconds % 3600 / 60;
	if (d)
		return arena_printf(a, "%lld d %lld h", (long long)d, (long long)h);
	if (h)
		return arena_printf(a, "%lld h %lld min", (long long)h, (long long)m);
	if (m)
		return arena_printf(a, "%lld min", (long long)m + (seconds % 60 >= 30));
	return arena_printf(a, "%lld s", (long long)seconds);
}

/* ---- the schedule ---- */

struct create_tx {
	struct arena *a;
	const struct sale_new *in;
	struct sale_problem *bad;
	int64_t id;
};

static void problem(struct sale_problem *bad, const char *field, const char *message)
{
	if (bad->n < SALE_MAX_PROBLEMS) {
		bad->field[bad->n] = field;
		bad->message[bad->n] = message;
		bad->n++;
	}
}

static enum err tx_create(struct db *db, void *arg)
{
	struct create_tx *x = arg;
	const struct sale_new *in = x->in;
	struct db_res *r = NULL;
	int64_t sku_id[SALE_MAX_ITEMS] = { 0 }, pid[SALE_MAX_ITEMS] = { 0 };
	enum err e;

	x->bad->n = 0;
	for (size_t i = 0; i < in->n; i++) {
		const struct sale_item_new *it = &in->items[i];
		const char *f = arena_printf(x->a, "items[%zu].itemId", i);

		if ((e = db_exec(db, x->a, &sql[Q_SKU], &r, "s", it->code)))
			return e;
		/* Another seller's SKU is as unknown as a SKU that is not. */
		if (!r->nrows || (in->seller_id && db_int(r, 0, 3) != in->seller_id)) {
			problem(x->bad, f, "no such item of yours");
			continue;
		}
		if (!db_int(r, 0, 4)) {
			problem(x->bad, f, "this item is not on sale in the shop");
			continue;
		}
		sku_id[i] = db_int(r, 0, 0);
		pid[i] = db_int(r, 0, 1);
		if (it->price >= db_int(r, 0, 2))
			problem(x->bad, arena_printf(x->a, "items[%zu].price", i),
				arena_printf(x->a, "must be below the item's price (%lld)", (long long)db_int(r, 0, 2)));
		for (size_t j = 0; j < i; j++)
			if (sku_id[j] && sku_id[j] == sku_id[i])
				problem(x->bad, f, "this item is in the sale twice");
		if ((e = db_exec(db, x->a, &sql[Q_OF_PRODUCT], &r, "iii", sku_id[i], in->ends_at, in->starts_at)))
			return e;
		if (r->nrows)
			problem(x->bad, f, arena_printf(x->a, "this item is in sale %lld at that time already",
							 (long long)db_int(r, 0, 0)));
	}
	if (x->bad->n)
		return E_INVAL;
	if (in->seller_id)
		e = db_exec(db, x->a, &sql[Q_INS], NULL, "isiiii", in->seller_id, in->name, in->starts_at,
			    in->ends_at, (int64_t)in->shards, in->created_by);
	else
		e = db_exec(db, x->a, &sql[Q_INS], NULL, "nsiiii", in->name, in->starts_at, in->ends_at,
			    (int64_t)in->shards, in->created_by);
	if (e)
		return e;
	x->id = (int64_t)db_insert_id(db);
	for (size_t i = 0; i < in->n; i++)
		if ((e = db_exec(db, x->a, &sql[Q_ITEM_INS], NULL, "iiiiii", x->id, sku_id[i], pid[i],
				 in->items[i].price, in->items[i].quantity, in->items[i].per_customer)))
			return e;
	return E_OK;
}

enum err sales_create(struct db *db, struct arena *a, const struct sale_new *in, int64_t now,
		      struct sale_problem *bad, int64_t *id)
{
	struct create_tx x = { a, in, bad, 0 };
	enum err e;

	memset(bad, 0, sizeof(*bad));
	*id = 0;
	if (!in->name || !*in->name)
		problem(bad, "name", "give the sale a name");
	if (!in->starts_at)
		problem(bad, "startsAt", "a time such as 2026-12-24T18:00:00Z");
	if (!in->ends_at)
		problem(bad, "endsAt", "a time such as 2026-12-24T20:00:00Z");
	if (in->starts_at && in->ends_at && in->ends_at <= in->starts_at)
		problem(bad, "endsAt", "must be after startsAt");
	if (in->ends_at && in->ends_at <= now)
		problem(bad, "endsAt", "must be in the future");
	if (in->starts_at && in->ends_at && in->ends_at - in->starts_at > 31 * 86400)
		problem(bad, "endsAt", "a sale lasts 31 days at most");
	if (in->shards < 1 || in->shards > 64)
		problem(bad, "shards", "from 1 to 64");
	if (!in->n)
		problem(bad, "items", "name at least one item");
	if (in->n > SALE_MAX_ITEMS)
		problem(bad, "items", arena_printf(a, "at most %d items", SALE_MAX_ITEMS));
	for (size_t i = 0; i < in->n && i < SALE_MAX_ITEMS; i++) {
		const struct sale_item_new *it = &in->items[i];

		if (!it->code || !*it->code)
			problem(bad, arena_printf(a, "items[%zu].itemId", i), "the item's SKU code");
		if (it->price < 1)
			problem(bad, arena_printf(a, "items[%zu].price", i), "a price in minor units, above 0");
		if (it->quantity < 1 || it->quantity > 1000000)
			problem(bad, arena_printf(a, "items[%zu].quantity", i), "from 1 to 1000000 units");
		if (it->per_customer < 1 || it->per_customer > 99)
			problem(bad, arena_printf(a, "items[%zu].perCustomer", i), "from 1 to 99");
	}
	if (bad->n)
		return E_INVAL;
	e = db_tx(db, tx_create, &x);
	if (e == E_OK)
		*id = x.id;
	return e;
}

static void sale_from(struct sale *s, const struct db_res *r, size_t i)
{
	memset(s, 0, sizeof(*s));
	s->id = db_int(r, i, SC_ID);
	s->seller_id = db_int(r, i, SC_SELLER);
	s->name = db_cell(r, i, SC_NAME);
	s->starts_at = db_int(r, i, SC_STARTS);
	s->ends_at = db_int(r, i, SC_ENDS);
	s->status = status_of(db_cell(r, i, SC_STATUS));
	s->shards = (int)db_int(r, i, SC_SHARDS);
}

enum err sales_get(struct db *db, struct arena *a, int64_t id, struct sale *out)
{
	struct db_res *r = NULL;
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = db_exec(db, a, &sql[Q_GET], &r, "i", id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	sale_from(out, r, 0);
	if ((e = db_exec(db, a, &sql[Q_ITEMS], &r, "i", id)))
		return e;
	if (!(out->items = arena_calloc(a, r->nrows + 1, sizeof(*out->items))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		struct sale_item *it = &out->items[out->n++];
		struct db_res *sold = NULL;

		it->sku_id = db_int(r, i, IC_SKU);
		it->code = db_cell(r, i, IC_CODE);
		it->product_id = db_int(r, i, IC_PID);
		it->title = db_cell(r, i, IC_TITLE);
		it->slug = db_cell(r, i, IC_SLUG);
		it->price = db_int(r, i, IC_PRICE);
		it->regular = db_int(r, i, IC_REGULAR);
		it->quantity = db_int(r, i, IC_QTY);
		it->allocated = db_int(r, i, IC_ALLOC);
		it->per_customer = (int)db_int(r, i, IC_PER);
		it->currency = db_cell(r, i, IC_CUR);
		if ((e = db_exec(db, a, &sql[Q_SOLD], &sold, "ii", id, it->sku_id)))
			return e;
		it->sold = sold->nrows ? db_int(sold, 0, 0) : 0;
		/* Before it opens: every unit of the sale is to come; live: what
		 * its shards have left; after: none. */
		if (out->status == SALE_ST_SCHEDULED) {
			it->left = it->quantity;
		} else if (out->status == SALE_ST_LIVE) {
			struct sale_units u;

			if (inventory_sale_units(db, a, id, it->sku_id, &u) == E_OK)
				it->left = u.available;
			else
				it->left = 0;
		}
	}
	return E_OK;
}

enum err sales_list(struct db *db, struct arena *a, int64_t seller_id, struct sale **v, size_t *n)
{
	struct db_res *r = NULL;
	enum err e = seller_id ? db_exec(db, a, &sql[Q_LIST_SELLER], &r, "i", seller_id)
			       : db_exec(db, a, &sql[Q_LIST], &r, "");

	*v = NULL;
	*n = 0;
	if (e)
		return e;
	if (!(*v = arena_calloc(a, r->nrows + 1, sizeof(**v))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++)
		sale_from(&(*v)[i], r, i);
	*n = r->nrows;
	return E_OK;
}

/* The codes of the SKUs in sales to come or going on, read at most once a
 * second per worker: a product page with no sale costs no query. */
#define CODES_MAX 1000
static struct {
	int64_t fetched, n;
	int64_t id[CODES_MAX];
	char code[CODES_MAX][65];
} codes;

static enum err codes_fresh(struct db *db, struct arena *a, int64_t now)
{
	struct db_res *r = NULL;
	enum err e;

	if (codes.fetched != now) {
		if ((e = db_exec(db, a, &sql[Q_CODES], &r, "")))
			return e;
		codes.n = 0;
		for (size_t i = 0; i < r->nrows && i < CODES_MAX; i++) {
			codes.id[codes.n] = db_int(r, i, 0);
			snprintf(codes.code[codes.n], sizeof(codes.code[0]), "%s", db_cell(r, i, 1) ? db_cell(r, i, 1) : "");
			codes.n++;
		}
		codes.fetched = now;
	}
	return E_OK;
}

/* 1 when sku_id is in a sale to come or going on (codes_fresh first). */
static int listed(int64_t sku_id)
{
	for (int64_t i = 0; i < codes.n; i++)
		if (codes.id[i] == sku_id)
			return 1;
	return 0;
}

enum err sales_sku_of_code(struct db *db, struct arena *a, const char *code, int64_t now, int64_t *sku_id)
{
	enum err e;

	*sku_id = 0;
	if (!code || (e = codes_fresh(db, a, now)))
		return code ? e : E_OK;
	for (int64_t i = 0; i < codes.n; i++)
		if (!strcmp(codes.code[i], code)) {
			*sku_id = codes.id[i];
			break;
		}
	return E_OK;
}

/* ---- what shoppers see ---- */

/* A per-worker cache of the SKUs' sales (not of units left): a page or a
 * cart read of a SKU asks MariaDB at most once a second per worker. */
#define OFFER_CACHE 256
static struct {
	int64_t sku_id, fetched, sale_id, starts, ends, price, quantity;
	int per, status;
	char name[124];
} cache[OFFER_CACHE];

static enum err offer_row(struct db *db, struct arena *a, int64_t sku_id, int64_t now, int *slot)
{
	int k = (int)((uint64_t)sku_id % OFFER_CACHE);
	struct db_res *r = NULL;
	enum err e;

	*slot = k;
	if (cache[k].sku_id == sku_id && cache[k].fetched == now)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_OFFER], &r, "ii", sku_id, now)))
		return e;
	memset(&cache[k], 0, sizeof(cache[k]));
	cache[k].sku_id = sku_id;
	cache[k].fetched = now;
	if (r->nrows) {
		cache[k].sale_id = db_int(r, 0, 0);
		snprintf(cache[k].name, sizeof(cache[k].name), "%s", db_cell(r, 0, 1) ? db_cell(r, 0, 1) : "");
		cache[k].status = status_of(db_cell(r, 0, 2));
		cache[k].starts = db_int(r, 0, 3);
		cache[k].ends = db_int(r, 0, 4);
		cache[k].price = db_int(r, 0, 5);
		cache[k].quantity = db_int(r, 0, 6);
		cache[k].per = (int)db_int(r, 0, 7);
	}
	return E_OK;
}

enum err sales_offer(struct db *db, struct arena *a, int64_t sku_id, int64_t now, struct sale_offer *out)
{
	int k;
	enum err e;

	memset(out, 0, sizeof(*out));
	/* A SKU in no sale (nearly every one) costs no query. */
	if ((e = codes_fresh(db, a, now)))
		return e;
	if (!listed(sku_id))
		return E_OK;
	if ((e = offer_row(db, a, sku_id, now, &k)))
		return e;
	if (!cache[k].sale_id || now >= cache[k].ends)
		return E_OK;
	out->sale_id = cache[k].sale_id;
	out->name = arena_strdup(a, cache[k].name);
	out->starts_at = cache[k].starts;
	out->ends_at = cache[k].ends;
	out->price = cache[k].price;
	out->quantity = cache[k].quantity;
	out->per_customer = cache[k].per;
	if (cache[k].status == SALE_ST_LIVE) {
		struct sale_units u;

		out->state = SALE_LIVE;
		if ((e = inventory_sale_units(db, a, out->sale_id, sku_id, &u))) {
			log_warn("sales: units of sale %lld left out: %s", (long long)out->sale_id, err_str(e));
			u.available = 0;
		}
		out->left = u.available;
		if (out->left <= 0)
			out->state = SALE_OVER;	/* sold out: ordinary price */
	} else {
		out->state = SALE_UPCOMING;
		out->left = out->quantity;
	}
	return E_OK;
}

enum err sales_line(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id, int64_t ordinary,
		    int64_t now, int64_t *price, int *on_sale, int64_t *left)
{
	struct sale_offer o;
	enum err e;

	*price = ordinary;
	*on_sale = 0;
	if (left)
		*left = 0;
	if (sale_id <= 0)
		return E_OK;
	if ((e = sales_offer(db, a, sku_id, now, &o)))
		return e;
	if (o.sale_id == sale_id && o.state == SALE_LIVE && o.left > 0) {
		*price = o.price;
		*on_sale = 1;
		if (left)
			*left = o.left;
	}
	return E_OK;
}

enum err sales_line_price(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id, int64_t ordinary,
			  int64_t now, int64_t *price, int *on_sale)
{
	return sales_line(db, a, sale_id, sku_id, ordinary, now, price, on_sale, NULL);
}

/* ---- limits ---- */

enum err sales_buyer(struct db *db, struct arena *a, int64_t user_id, const char **buyer)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_BUYER], &r, "i", user_id);

	*buyer = NULL;
	if (e)
		return e;
	if (!r->nrows || !db_cell(r, 0, 0))
		return E_NOTFOUND;
	*buyer = db_cell(r, 0, 0);
	return E_OK;
}

enum err sales_claim(struct db *db, struct arena *a, int64_t sale_id, int64_t sku_id, const char *buyer,
		     int qty, int *allowed)
{
	struct db_res *r = NULL;
	enum err e;

	*allowed = 0;
	if ((e = db_exec(db, a, &sql[Q_CLAIM_ROW], NULL, "iis", sale_id, sku_id, buyer)) ||
	    (e = db_exec(db, a, &sql[Q_CLAIM], NULL, "iiisi", (int64_t)qty, sale_id, sku_id, buyer, (int64_t)qty)))
		return e;
	if (db_affected(db) == 1) {
		*allowed = qty;
		return E_OK;
	}
	if ((e = db_exec(db, a, &sql[Q_CLAIMED], &r, "sii", buyer, sale_id, sku_id)))
		return e;
	*allowed = r->nrows && db_int(r, 0, 0) > 0 ? (int)db_int(r, 0, 0) : 0;
	return E_CONFLICT;
}

enum err sales_unclaim_order(struct db *db, struct arena *a, int64_t order_id)
{
	return db_exec(db, a, &sql[Q_UNCLAIM], NULL, "i", order_id);
}

/* ---- the "sales" job ---- */

struct step {
	struct arena *a;
	int64_t id;
	int open;	/* 1 open it, 0 close it */
	int done;
};

static enum err tx_step(struct db *db, void *arg)
{
	struct step *st = arg;
	struct db_res *r = NULL, *items = NULL;
	const char *status;
	enum err e;

	st->done = 0;
	if ((e = db_exec(db, st->a, &sql[Q_LOCK], &r, "i", st->id)))
		return e;
	if (!r->nrows)
		return E_OK;
	status = db_cell(r, 0, 0);
	if (st->open) {
		int shards = (int)db_int(r, 0, 1);

		if (strcmp(status, "scheduled"))
			return E_OK;	/* opened by another run meanwhile */
		if ((e = db_exec(db, st->a, &sql[Q_ITEMS], &items, "i", st->id)))
			return e;
		for (size_t i = 0; i < items->nrows; i++) {
			int64_t got = 0, sku = db_int(items, i, IC_SKU);

			if ((e = inventory_sale_allocate(db, st->a, st->id, sku, db_int(items, i, IC_QTY),
							 shards, &got)) ||
			    (e = db_exec(db, st->a, &sql[Q_ALLOC], NULL, "iii", got, st->id, sku)))
				return e;
		}
		if ((e = db_exec(db, st->a, &sql[Q_STATUS], NULL, "sis", "live", st->id, "scheduled")))
			return e;
	} else {
		int64_t units = 0;

		if (!strcmp(status, "live")) {
			if ((e = inventory_sale_drain(db, st->a, st->id, &units)))
				return e;
		} else if (strcmp(status, "scheduled")) {
			return E_OK;
		}
		if ((e = db_exec(db, st->a, &sql[Q_STATUS], NULL, "sis", "ended", st->id, status)))
			return e;
	}
	st->done = 1;
	return E_OK;
}

struct cancel_tx {
	struct arena *a;
	int64_t id, seller_id;
};

static enum err tx_cancel(struct db *db, void *arg)
{
	struct cancel_tx *x = arg;
	struct db_res *r = NULL;
	const char *status;
	int64_t units = 0;
	enum err e;

	if ((e = db_exec(db, x->a, &sql[Q_LOCK], &r, "i", x->id)))
		return e;
	/* Another seller's is no sale of theirs. */
	if (!r->nrows || (x->seller_id && db_int(r, 0, 2) != x->seller_id))
		return E_NOTFOUND;
	status = db_cell(r, 0, 0);
	if (!strcmp(status, "live")) {
		if ((e = inventory_sale_drain(db, x->a, x->id, &units)))
			return e;
	} else if (strcmp(status, "scheduled")) {
		return E_CONFLICT;	/* over already */
	}
	if ((e = db_exec(db, x->a, &sql[Q_STATUS], NULL, "sis", "cancelled", x->id, status)))
		return e;
	return db_affected(db) == 1 ? E_OK : E_CONFLICT;
}

enum err sales_cancel(struct db *db, struct arena *a, int64_t id, int64_t seller_id)
{
	struct cancel_tx x = { a, id, seller_id };

	return db_tx(db, tx_cancel, &x);
}

int sales_job(struct db *db, struct kv *kv, struct arena *a)
{
	struct db_res *r = NULL;
	int did = 0;
	enum err e;

	(void)kv;
	/* Close first: a sale that ended frees its SKUs for the next one. */
	for (int open = 0; open <= 1; open++) {
		if ((e = db_exec(db, a, &sql[open ? Q_DUE_OPEN : Q_DUE_CLOSE], &r, "")))
			return e == E_UNAVAIL ? -1 : 0;
		for (size_t i = 0; i < r->nrows; i++) {
			struct step st = { a, db_int(r, i, 0), open, 0 };

			e = db_tx(db, tx_step, &st);
			if (e == E_UNAVAIL)
				return -1;
			if (e)
				log_warn("sales: sale %lld not %s: %s", (long long)st.id, open ? "opened" : "closed",
					 err_str(e));
			else if (st.done) {
				log_info("sales: sale %lld %s", (long long)st.id, open ? "is live" : "ended");
				did++;
			}
		}
	}
	/* Shards that ran dry while others have units are evened out, every
	 * 2 s at most: it locks the item's shard rows, which the checkouts
	 * of the sale want too. */
	{
		static int64_t last;
		int64_t t = (int64_t)time(NULL);

		if (t - last < 2)
			return did > 0;
		last = t;
	}
	if ((e = db_exec(db, a, &sql[Q_LIVE_ITEMS], &r, "")))
		return e == E_UNAVAIL ? -1 : 0;
	for (size_t i = 0; i < r->nrows; i++) {
		int64_t moved = 0;

		if ((e = inventory_sale_rebalance(db, a, db_int(r, i, 0), db_int(r, i, 1), &moved)) && e != E_INTERNAL)
			log_warn("sales: rebalance of sale %lld: %s", (long long)db_int(r, i, 0), err_str(e));
	}
	return did > 0;
}
