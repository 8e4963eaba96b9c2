/* Reports: counting in Redis, flushing to MariaDB, the report queries
 * (reports.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "../fx/fx.h"
#include "reports.h"

#define PAID "o.status IN ('confirmed', 'fulfilling', 'shipped', 'delivered', 'returned', 'refunded')"
#define RANGE "o.created_at >= ? AND o.created_at < DATE_ADD(?, INTERVAL 1 DAY)"
#define KEEP_DAYS 8
/* One place's part of a report (its orders table and lines table); every
 * arm takes the range's two parameters. */
#define DAY_ARM(ord, lines) \
	"SELECT DATE_FORMAT(o.created_at, '%Y-%m-%d') d, o.currency, o.fx_rate, o.total, " \
	"(SELECT SUM(l.quantity) FROM " lines " l WHERE l.order_id = o.id) units FROM " ord " o " \
	"WHERE " PAID " AND " RANGE
#define LINE_ARM(ord, lines) \
	"SELECT o.id oid, o.currency, o.fx_rate, l.product_id, l.seller_id, l.quantity, " \
	"l.unit_price * l.quantity - l.discount amount FROM " ord " o JOIN " lines " l ON l.order_id = o.id " \
	"WHERE " PAID " AND " RANGE
#define ORDERS_ARM(ord, lines) \
	"SELECT o.id, DATE_FORMAT(o.created_at, '%Y-%m-%dT%H:%i:%sZ') created, o.status, o.user_id, o.currency, " \
	"o.fx_rate, o.subtotal, o.discount, o.shipping, o.tax, o.total, o.promo_code, o.ship_name, " \
	"o.ship_city, o.ship_country, " \
	"(SELECT COUNT(*) FROM " lines " l WHERE l.order_id = o.id) nlines, " \
	"(SELECT COALESCE(SUM(l.quantity), 0) FROM " lines " l WHERE l.order_id = o.id) units " \
	"FROM " ord " o WHERE " RANGE	/* days of Redis hashes a flush looks at */

enum {
	Q_FLUSH_TOKEN, Q_COUNT_ADD, Q_BY_DAY, Q_BY_CATEGORY, Q_BY_SELLER, Q_SEARCHES, Q_COUNTS, Q_PAID_ORDERS,
	Q_ORDERS, Q_FLUSHES_PRUNE, Q_LOG_POS, Q_LOG_SET, NQ
};

static struct db_sql sql[NQ] = {
	[Q_FLUSH_TOKEN] = { "INSERT IGNORE INTO report_flushes (token) VALUES (?)", 0 },
	[Q_COUNT_ADD] = { "INSERT INTO report_counts (day, kind, k, n) VALUES (?, ?, ?, ?) "
			  "ON DUPLICATE KEY UPDATE n = n + VALUES(n)", 0 },
	/* Sales read each place on its own (the hot orders with their
	 * lines, the archived with theirs: an order's lines are always where
	 * it is) and add the two: the range then walks ix_orders_created
	 * (migration 157) in each, and the lines are found by their order's
	 * id. Through the views orders_all / order_lines_all the lines' side
	 * was a materialised copy of every line there is, per report. */
	[Q_BY_DAY] = { "SELECT d, currency, fx_rate, COUNT(*), COALESCE(SUM(units), 0), SUM(total) FROM ("
		       DAY_ARM("orders", "order_lines") " UNION ALL " DAY_ARM("orders_archive", "order_lines_archive")
		       ") x GROUP BY d, currency, fx_rate ORDER BY d, currency, fx_rate", 0 },
	[Q_BY_CATEGORY] = { "SELECT c.id, c.name, x.currency, x.fx_rate, COUNT(DISTINCT x.oid), SUM(x.quantity), "
			    "SUM(x.amount) FROM (" LINE_ARM("orders", "order_lines") " UNION ALL "
			    LINE_ARM("orders_archive", "order_lines_archive") ") x "
			    "JOIN products p ON p.id = x.product_id JOIN categories c ON c.id = p.category_id "
			    "GROUP BY c.id, c.name, x.currency, x.fx_rate ORDER BY c.id, x.currency, x.fx_rate", 0 },
	[Q_BY_SELLER] = { "SELECT s.id, s.display_name, x.currency, x.fx_rate, COUNT(DISTINCT x.oid), SUM(x.quantity), "
			  "SUM(x.amount) FROM (" LINE_ARM("orders", "order_lines") " UNION ALL "
			  LINE_ARM("orders_archive", "order_lines_archive") ") x JOIN sellers s ON s.id = x.seller_id "
			  "GROUP BY s.id, s.display_name, x.currency, x.fx_rate ORDER BY s.id, x.currency, x.fx_rate", 0 },
	[Q_SEARCHES] = { "SELECT k, SUM(n) t FROM report_counts WHERE kind = ? AND day BETWEEN ? AND ? "
			 "GROUP BY k ORDER BY t DESC, k LIMIT ?", 0 },
	[Q_COUNTS] = { "SELECT COALESCE(SUM(n), 0) FROM report_counts WHERE kind = ? AND day BETWEEN ? AND ?", 0 },
	[Q_PAID_ORDERS] = { "SELECT COUNT(*) FROM orders_all o WHERE " PAID " AND " RANGE, 0 },
	[Q_ORDERS] = { "SELECT * FROM (" ORDERS_ARM("orders", "order_lines") " UNION ALL "
		       ORDERS_ARM("orders_archive", "order_lines_archive") ") x ORDER BY x.id LIMIT ?", 0 },
	[Q_FLUSHES_PRUNE] = { "DELETE FROM report_flushes WHERE flushed_at < NOW(3) - INTERVAL 30 DAY LIMIT 1000", 0 },
	[Q_LOG_POS] = { "SELECT inode, pos FROM report_logs WHERE name = ? FOR UPDATE", 0 },
	[Q_LOG_SET] = { "UPDATE report_logs SET inode = ?, pos = ? WHERE name = ?", 0 },
};

static long flush_s = 60;

void reports_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	db_register(sql, NQ);
	flush_s = (long)config_env_num("SHOP_REPORTS_FLUSH_S", 60, 1, 86400);
}

const char *reports_kind_name(int kind)
{
	static const char *const names[RK_NKINDS] = { "view", "cart", "search", "search_empty" };

	return kind >= 0 && kind < RK_NKINDS ? names[kind] : "view";
}

static const char *day_of(struct arena *a, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return arena_printf(a, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void reports_count(struct kv *kv, struct arena *a, int kind, const char *key)
{
	const char *hash = arena_printf(a, "rpt:%s:%s", day_of(a, time(NULL)), reports_kind_name(kind));

	if (!kv || !hash)
		return;
	if (kv_cmd(kv, a, NULL, "HINCRBY %s %s 1", hash, key ? key : ""))
		log_warn("reports: a %s was not counted (Redis)", reports_kind_name(kind));
}

void reports_count_search(struct kv *kv, struct arena *a, char *const *words, size_t n, int found_nothing)
{
	struct buf b;
	size_t cut;

	buf_init(&b, a, 128);
	for (size_t i = 0; i < n && words[i]; i++) {
		if (i)
			buf_putc(&b, ' ');
		buf_puts(&b, words[i]);
	}
	if (b.oom || !b.len)
		return;
	/* At most 100 bytes, never half a character: back to the start of
	 * the character the cut falls in. */
	if (b.len > 100) {
		for (cut = 100; cut > 0 && ((unsigned char)b.p[cut] & 0xC0) == 0x80; cut--)
			;
		b.p[cut] = 0;
		b.len = cut;
	}
	reports_count(kv, a, RK_SEARCH, b.p);
	if (found_nothing)
		reports_count(kv, a, RK_SEARCH_EMPTY, b.p);
}

/* ---- flushing ---- */

struct flush_tx {
	struct arena *a;
	const char *token, *day, *kind;
	redisReply *h;
	int applied;
};

static enum err tx_flush(struct db *db, void *p)
{
	struct flush_tx *t = p;
	enum err e;

	t->applied = 0;
	if ((e = db_exec(db, t->a, &sql[Q_FLUSH_TOKEN], NULL, "s", t->token)))
		return e;
	if (db_affected(db) != 1)
		return E_OK;	/* applied before a crash: only the hash is left to drop */
	for (size_t i = 0; i + 1 < t->h->elements; i += 2) {
		const char *k = t->h->element[i]->str, *v = t->h->element[i + 1]->str;
		long long n = v ? strtoll(v, NULL, 10) : 0;

		if (!k || n <= 0)
			continue;
		if ((e = db_exec(db, t->a, &sql[Q_COUNT_ADD], NULL, "sssi", t->day, t->kind, k, (int64_t)n)))
			return e;
	}
	t->applied = 1;
	return E_OK;
}

/* One day's hash of one kind: renamed aside (new counts go to a fresh
 * hash meanwhile), given a token, added in one transaction that records
 * the token, then dropped. A crash anywhere leaves the aside hash, which
 * the next flush finishes. */
static enum err flush_one(struct db *db, struct kv *kv, struct arena *a, const char *day, const char *kind, int *moved)
{
	const char *live = arena_printf(a, "rpt:%s:%s", day, kind), *aside = arena_printf(a, "rpt:flush:%s:%s", day, kind);
	const char *tok_key = arena_printf(a, "rpt:flush:%s:%s:token", day, kind);
	static unsigned counter;
	struct timespec ts;
	struct flush_tx t = { .a = a, .day = day, .kind = kind };
	redisReply *r = NULL;
	enum err e;

	if ((e = kv_cmd(kv, a, &r, "EXISTS %s", aside)))
		return e;
	if (!r || r->integer == 0) {
		if ((e = kv_cmd(kv, a, &r, "EXISTS %s", live)))
			return e;
		if (!r || r->integer == 0)
			return E_OK;
		if ((e = kv_cmd(kv, a, &r, "RENAMENX %s %s", live, aside)))
			return e;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((e = kv_cmd(kv, a, NULL, "SET %s %s NX", tok_key, arena_printf(a, "%ld-%ld-%ld-%u", (long)getpid(),
			(long)ts.tv_sec, (long)ts.tv_nsec, ++counter))))
		return e;
	if ((e = kv_cmd(kv, a, &r, "GET %s", tok_key)))
		return e;
	if (!r || r->type != REDIS_REPLY_STRING)
		return E_UNAVAIL;
	t.token = arena_strdup(a, r->str);
	if ((e = kv_cmd(kv, a, &t.h, "HGETALL %s", aside)))
		return e;
	if (!t.h || t.h->type != REDIS_REPLY_ARRAY)
		return E_UNAVAIL;
	if ((e = db_tx(db, tx_flush, &t)))
		return e;
	if ((e = kv_cmd(kv, a, NULL, "DEL %s %s", aside, tok_key)))
		return e;
	*moved += t.applied;
	return E_OK;
}

/* ---- the views nginx answered from its cache ---- */

#define LOG_CHUNK (64 * 1024)
#define LOG_MAX (16 * 1024 * 1024)	/* bytes of a log read per flush; the rest next time */

const char *reports_views_log(struct arena *a)
{
	const char *p = getenv("SHOP_VIEWS_LOG"), *home = getenv("SHOP_HOME");

	if (p)
		return *p ? p : NULL;
	return home && *home ? arena_printf(a, "%s/log/nginx-views.log", home) : NULL;
}

struct views_tx {
	struct arena *a;
	const char *path;
	int64_t lines;
	/* the day being counted (days since the epoch) and its count */
	int64_t day, n;
};

static enum err views_add(struct db *db, struct views_tx *t)
{
	enum err e = E_OK;

	if (t->n > 0)
		e = db_exec(db, t->a, &sql[Q_COUNT_ADD], NULL, "sssi", day_of(t->a, (time_t)(t->day * 86400)), "view", "",
			    t->n);
	t->lines += t->n;
	t->n = 0;
	return e;
}

/* Counts the whole lines of fd from `from` (each "<unix time>.<ms>") into
 * their days; *end: the offset after the last whole line read. */
static enum err views_count(struct db *db, struct views_tx *t, int fd, int64_t from, int64_t *end)
{
	char *buf = arena_alloc(t->a, LOG_CHUNK);
	int64_t at = from, line_start = from, secs = 0;
	int digits = 1;	/* still reading the seconds of the line */
	enum err e;

	*end = from;
	if (!buf)
		return E_NOMEM;
	while (at - from < LOG_MAX) {
		ssize_t got = pread(fd, buf, LOG_CHUNK, (off_t)at);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		for (ssize_t i = 0; i < got; i++) {
			char ch = buf[i];

			if (ch == '\n') {
				int64_t day = secs / 86400;

				if (secs > 0) {
					if (day != t->day && (e = views_add(db, t)))
						return e;
					t->day = day;
					t->n++;
				}
				line_start = at + i + 1;
				secs = 0;
				digits = 1;
			} else if (digits && ch >= '0' && ch <= '9' && secs < INT64_MAX / 10) {
				secs = secs * 10 + (ch - '0');
			} else {
				digits = 0;
			}
		}
		at += got;
	}
	*end = line_start;
	return views_add(db, t);
}

static enum err tx_views(struct db *db, void *p)
{
	struct views_tx *t = p;
	struct db_res *r = NULL;
	struct stat st, old;
	int64_t inode, pos, end;
	int fd, ofd;
	enum err e;

	t->lines = t->n = t->day = 0;
	if ((e = db_exec(db, t->a, &sql[Q_LOG_POS], &r, "s", "views")))
		return e;
	if (!r->nrows)
		return E_OK;
	inode = db_int(r, 0, 0);
	pos = db_int(r, 0, 1);
	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC)) < 0)
		return E_OK;	/* no log yet (or nginx elsewhere): nothing to count */
	if (fstat(fd, &st)) {
		close(fd);
		return E_OK;
	}
	if (inode && (int64_t)st.st_ino != inode) {
		/* Rotated since the last read: the rest of the file read last
		 * time, now under the name logrotate gave it. */
		const char *rotated = arena_printf(t->a, "%s.1", t->path);

		if (rotated && (ofd = open(rotated, O_RDONLY | O_CLOEXEC)) >= 0) {
			if (!fstat(ofd, &old) && (int64_t)old.st_ino == inode && old.st_size >= pos)
				e = views_count(db, t, ofd, pos, &end);
			close(ofd);
			if (e) {
				close(fd);
				return e;
			}
		}
		pos = 0;
	} else if (st.st_size < pos) {
		pos = 0;	/* truncated */
	}
	e = views_count(db, t, fd, pos, &end);
	close(fd);
	if (e)
		return e;
	return db_exec(db, t->a, &sql[Q_LOG_SET], NULL, "iis", (int64_t)st.st_ino, end, "views");
}

enum err reports_flush_views(struct db *db, struct arena *a, int64_t *lines)
{
	struct views_tx t = { .a = a, .path = reports_views_log(a) };
	enum err e;

	*lines = 0;
	if (!t.path)
		return E_OK;
	if ((e = db_tx(db, tx_views, &t)))
		return e;
	*lines = t.lines;
	return E_OK;
}

enum err reports_flush(struct db *db, struct kv *kv, struct arena *a, int *moved)
{
	time_t now = time(NULL);
	enum err e;

	*moved = 0;
	for (int d = 0; d < KEEP_DAYS; d++) {
		const char *day = day_of(a, now - (time_t)d * 86400);

		for (int k = 0; k < RK_NKINDS; k++)
			if ((e = flush_one(db, kv, a, day, reports_kind_name(k), moved)))
				return e;
	}
	{
		int64_t lines = 0;

		if ((e = reports_flush_views(db, a, &lines)))
			return e;
		*moved += lines > 0;
	}
	return db_exec(db, a, &sql[Q_FLUSHES_PRUNE], NULL, "");
}

int reports_flush_job(struct db *db, struct kv *kv, struct arena *a)
{
	static time_t last;
	time_t now = time(NULL);
	int moved = 0;
	enum err e;

	if (now - last < flush_s)
		return 0;
	e = reports_flush(db, kv, a, &moved);
	if (e == E_UNAVAIL || e == E_KV)
		return -1;
	if (e)
		log_warn("reports: flushing the counters failed (%d)", (int)e);
	last = now;
	return 0;
}

/* ---- reports ---- */

/* Rows of (id, label, currency, rate, orders, units, amount) grouped by id
 * then currency and rate: merged per id, amounts converted. id_col < 0:
 * the label is the key (days). */
static enum err merge(struct arena *a, const struct db_res *r, int id_col, int label_col, int cur_col,
		      struct report *out)
{
	memset(out, 0, sizeof(*out));
	if (!(out->rows = arena_calloc(a, r->nrows + 1, sizeof(*out->rows))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		const char *label = db_cell(r, i, label_col) ? db_cell(r, i, label_col) : "";
		int64_t id = id_col >= 0 ? db_int(r, i, id_col) : 0;
		int64_t amount = fx_to_shop(db_int(r, i, cur_col + 4), db_cell(r, i, cur_col), db_cell(r, i, cur_col + 1));
		struct report_row *row = out->n ? &out->rows[out->n - 1] : NULL;

		if (!row || (id_col >= 0 ? row->id != id : strcmp(row->label, label))) {
			row = &out->rows[out->n++];
			row->label = label;
			row->id = id;
		}
		row->orders += db_int(r, i, cur_col + 2);
		row->units += db_int(r, i, cur_col + 3);
		row->amount += amount;
		out->orders += db_int(r, i, cur_col + 2);
		out->units += db_int(r, i, cur_col + 3);
		out->amount += amount;
	}
	return E_OK;
}

enum err reports_sales_by_day(struct db *db, struct arena *a, const char *from, const char *to, struct report *out)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_BY_DAY], &r, "ssss", from, to, from, to);

	return e ? e : merge(a, r, -1, 0, 1, out);
}

enum err reports_sales_by_category(struct db *db, struct arena *a, const char *from, const char *to,
				   struct report *out)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_BY_CATEGORY], &r, "ssss", from, to, from, to);

	return e ? e : merge(a, r, 0, 1, 2, out);
}

enum err reports_sales_by_seller(struct db *db, struct arena *a, const char *from, const char *to, struct report *out)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_BY_SELLER], &r, "ssss", from, to, from, to);

	return e ? e : merge(a, r, 0, 1, 2, out);
}

enum err reports_searches(struct db *db, struct arena *a, const char *from, const char *to, int found_nothing,
			  size_t limit, struct report *out)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_SEARCHES], &r, "sssi", reports_kind_name(found_nothing ? RK_SEARCH_EMPTY :
			     RK_SEARCH), from, to, (int64_t)limit);

	memset(out, 0, sizeof(*out));
	if (e)
		return e;
	if (!(out->rows = arena_calloc(a, r->nrows + 1, sizeof(*out->rows))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		out->rows[i].label = db_cell(r, i, 0);
		out->rows[i].orders = db_int(r, i, 1);
		out->orders += out->rows[i].orders;
	}
	out->n = r->nrows;
	return E_OK;
}

enum err reports_funnel(struct db *db, struct arena *a, const char *from, const char *to, struct funnel *out)
{
	struct db_res *r = NULL;
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = db_exec(db, a, &sql[Q_COUNTS], &r, "sss", "view", from, to)))
		return e;
	out->views = db_int(r, 0, 0);
	if ((e = db_exec(db, a, &sql[Q_COUNTS], &r, "sss", "cart", from, to)))
		return e;
	out->carts = db_int(r, 0, 0);
	if ((e = db_exec(db, a, &sql[Q_PAID_ORDERS], &r, "ss", from, to)))
		return e;
	out->orders = db_int(r, 0, 0);
	return E_OK;
}

enum err reports_orders(struct db *db, struct arena *a, const char *from, const char *to, size_t limit,
			struct db_res **out)
{
	return db_exec(db, a, &sql[Q_ORDERS], out, "ssssi", from, to, from, to, (int64_t)limit);
}

int reports_cmd_run(struct db *db, struct kv *kv, struct arena *a, int argc, char **argv)
{
	int moved = 0;
	enum err e;

	if (argc != 2 || strcmp(argv[1], "flush"))
		return -1;
	if ((e = reports_flush(db, kv, a, &moved))) {
		fprintf(stderr, "shopctl reports flush: failed (%d)\n", (int)e);
		return 1;
	}
	printf("%d counter hash%s moved\n", moved, moved == 1 ? "" : "es");
	return 0;
}
