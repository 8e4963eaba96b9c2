/* Returns (see returns.h for the rules). Every change is one transaction
 * that locks the order row first (as app/fulfillment's writers do), then
 * the return row, so a shopper's request, the seller's decision, the
 * carrier's scan, the refund's end and the escalation job never decide on a
 * stale picture; units move only through app/inventory, money only
 * through app/fulfillment's refund saga, events only through event_emit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../inventory/inventory.h"
#include "../order/order.h"
#include "../fulfillment/fulfillment.h"
#include "../seller/images.h"
#include "../console/audit.h"
#include "returns.h"

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
#define OPEN_RETURN "('requested', 'approved', 'in_transit')"
#define HEAD_COLS "SELECT r.id, r.order_id, r.user_id, r.seller_id, r.status, r.reason, " ISO("r.created_at") ", " \
	ISO("r.updated_at") ", " ISO("r.window_ends_at") ", r.currency, r.amount, r.return_address, r.label, " \
	"r.carrier, r.reject_reason, r.restock, r.refund_id, " ISO("r.shipped_at") ", " ISO("r.arrived_at") ", " \
	ISO("r.received_at") ", " ISO("r.escalated_at") ", s.display_name, COALESCE(rf.status, rfa.status), " \
	"COALESCE(rf.amount, rfa.amount), COALESCE(rf.last_error, rfa.last_error), " \
	"COALESCE(u.email, u.guest_email), u.name, COALESCE((SELECT MIN(l.title) FROM return_lines x JOIN order_lines l ON l.order_id = r.order_id " \
	"AND l.line_no = x.line_no WHERE x.return_id = r.id), (SELECT MIN(l.title) FROM return_lines x " \
	"JOIN order_lines_archive l ON l.order_id = r.order_id AND l.line_no = x.line_no WHERE x.return_id = r.id)), " \
	"(SELECT SUM(x.quantity) FROM return_lines x WHERE x.return_id = r.id), " \
	"COALESCE(s.contact_email, (SELECT su.email FROM users su WHERE su.id = s.user_id)), s.user_id, " \
	"u.status = 'guest' " \
	"FROM returns r JOIN sellers s ON s.id = r.seller_id LEFT JOIN refunds rf ON rf.id = r.refund_id " \
	"LEFT JOIN refunds_archive rfa ON rfa.id = r.refund_id " \
	"LEFT JOIN users u ON u.id = r.user_id "

enum {
	Q_ORDER_MINE_LOCK, Q_ORDER_MINE, Q_ORDER_LOCK, Q_LINE_FACTS, Q_INS, Q_LINE_INS, Q_RETURN_ORDER, Q_LOCK,
	Q_APPROVE, Q_ADDR_GET, Q_ADDR_SET, Q_REJECT, Q_RLINES_STOCK, Q_RECEIVED, Q_REFUNDED, Q_REFUND_OF,
	Q_BY_LABEL, Q_CARRIER_EVENT, Q_SHIPPED, Q_ARRIVED, Q_DUE, Q_ESCALATE, Q_HEAD, Q_LINES, Q_OF_SELLER,
	Q_OF_SELLER_ST, Q_OF_ORDER, Q_ESCALATED, Q_ADMINS, Q_CANCEL, Q_PHOTO_INS, Q_PHOTO_COUNT, Q_PHOTOS,
	Q_PHOTO_USED, Q_PHOTO_ROOM, Q_REFUND_FAILED, Q_RETRY, Q_PHOTO_DEL, Q_PHOTO_ONE, Q_WIN_LIST, Q_WIN_DEL,
	Q_WIN_SET, Q_ADDR_DEL, Q_CATS, Q_SHOP_WIN, Q_SHOP_WIN_LOCK, Q_SHOP_WIN_DEL, Q_SHOP_WIN_SET, Q_SHOP_DEFAULT,
	Q_OVERRIDES, NQ
};

static struct db_sql sql[NQ] = {
	[Q_ORDER_MINE_LOCK] = { "SELECT status, currency, total FROM orders WHERE id = ? AND user_id = ? FOR UPDATE", 0 },
	[Q_ORDER_MINE] = { "SELECT status, currency, total FROM orders WHERE id = ? AND user_id = ?", 0 },
	[Q_ORDER_LOCK] = { "SELECT status, currency, total FROM orders WHERE id = ? FOR UPDATE", 0 },
	/* Each line with its window: the seller's for the category, the
	 * seller's for everything, the category's, its parent's, the shop's
	 * default (return_windows' category 0, set on /admin/returns/windows),
	 * SHOP_RETURN_WINDOW_DAYS; and what open returns claim of it already. */
	[Q_LINE_FACTS] = { "SELECT x.line_no, x.seller_id, x.state, x.quantity, x.refunded_qty, x.title, x.pending, "
			   "x.policy, x.delivered_at IS NOT NULL, x.days, "
			   "DATE_FORMAT(x.delivered_at + INTERVAL x.days DAY, '%Y-%m-%d %H:%i:%s.%f'), "
			   ISO("x.delivered_at + INTERVAL x.days DAY") ", "
			   "COALESCE(x.delivered_at + INTERVAL x.days DAY >= NOW(3), 0), x.seller_name, x.options FROM ("
			   "SELECT l.line_no, l.seller_id, l.state, l.quantity, l.refunded_qty, l.title, l.options, "
			   "(SELECT COALESCE(SUM(rl.quantity), 0) FROM return_lines rl JOIN returns r ON r.id = rl.return_id "
			   " WHERE r.order_id = l.order_id AND rl.line_no = l.line_no AND r.status IN " OPEN_RETURN ") AS pending, "
			   "JSON_UNQUOTE(JSON_EXTRACT(p.attributes, '$.\"Return policy\"')) AS policy, s.delivered_at, "
			   "COALESCE((SELECT w.days FROM seller_return_windows w WHERE w.seller_id = l.seller_id "
			   " AND w.category_id = p.category_id), "
			   "(SELECT w.days FROM seller_return_windows w WHERE w.seller_id = l.seller_id AND w.category_id = 0), "
			   "(SELECT w.days FROM return_windows w WHERE w.category_id = p.category_id), "
			   "(SELECT w.days FROM return_windows w WHERE w.category_id = c.parent_id), "
			   "(SELECT w.days FROM return_windows w WHERE w.category_id = 0), ?) AS days, "
			   "se.display_name AS seller_name "
			   "FROM order_lines l LEFT JOIN shipments s ON s.id = l.shipment_id "
			   "LEFT JOIN products p ON p.id = l.product_id LEFT JOIN categories c ON c.id = p.category_id "
			   "LEFT JOIN sellers se ON se.id = l.seller_id WHERE l.order_id = ?) x ORDER BY x.line_no", 0 },
	[Q_INS] = { "INSERT INTO returns (order_id, user_id, seller_id, reason, window_ends_at, currency, amount) "
		    "VALUES (?, ?, ?, ?, ?, ?, ?)", 0 },
	[Q_LINE_INS] = { "INSERT INTO return_lines (return_id, line_no, quantity, amount) VALUES (?, ?, ?, ?)", 0 },
	[Q_RETURN_ORDER] = { "SELECT order_id FROM returns WHERE id = ?", 0 },
	[Q_LOCK] = { "SELECT status, seller_id, order_id, refund_id, label, return_address, reject_reason, restock, "
		     "user_id FROM returns WHERE id = ? FOR UPDATE", 0 },
	[Q_APPROVE] = { "UPDATE returns SET status = 'approved', return_address = ?, label = ?, carrier = ?, "
			"decided_at = NOW(3) WHERE id = ? AND status = 'requested'", 0 },
	[Q_ADDR_GET] = { "SELECT address FROM seller_return_settings WHERE seller_id = ?", 0 },
	[Q_ADDR_SET] = { "INSERT INTO seller_return_settings (seller_id, address) VALUES (?, ?) "
			 "ON DUPLICATE KEY UPDATE address = VALUES(address)", 0 },
	[Q_REJECT] = { "UPDATE returns SET status = 'rejected', reject_reason = ?, decided_at = NOW(3) "
		       "WHERE id = ? AND status = 'requested'", 0 },
	/* In sku order: inventory rows are locked in that order. */
	[Q_RLINES_STOCK] = { "SELECT rl.line_no, rl.quantity, l.sku_id, l.product_id FROM return_lines rl "
			     "JOIN order_lines l ON l.order_id = ? AND l.line_no = rl.line_no WHERE rl.return_id = ? "
			     "ORDER BY l.sku_id, rl.line_no", 0 },
	[Q_RECEIVED] = { "UPDATE returns SET status = ?, restock = ?, refund_id = ?, amount = ?, received_at = NOW(3) "
			 "WHERE id = ? AND status IN ('approved', 'in_transit')", 0 },
	[Q_REFUNDED] = { "UPDATE returns SET status = 'refunded' WHERE id = ? AND status = 'received'", 0 },
	[Q_REFUND_OF] = { "SELECT r.refund_id, r.status, rf.status FROM returns r LEFT JOIN refunds rf ON rf.id = r.refund_id "
			  "WHERE r.id = ?", 0 },
	[Q_BY_LABEL] = { "SELECT id, order_id FROM returns WHERE label = ? AND (carrier IS NULL OR carrier = '' "
			 "OR carrier = ?) AND status IN ('approved', 'in_transit') ORDER BY id DESC LIMIT 1", 0 },
	[Q_CARRIER_EVENT] = { "INSERT IGNORE INTO carrier_events (event_id, carrier, tracking, type) VALUES (?, ?, ?, ?)", 0 },
	[Q_SHIPPED] = { "UPDATE returns SET status = 'in_transit', shipped_at = COALESCE(shipped_at, NOW(3)) "
			"WHERE id = ? AND status = 'approved'", 0 },
	[Q_ARRIVED] = { "UPDATE returns SET arrived_at = NOW(3) WHERE id = ? AND status = 'in_transit' "
			"AND arrived_at IS NULL", 0 },
	[Q_DUE] = { "SELECT id, order_id FROM returns WHERE status = 'requested' AND escalated_at IS NULL "
		    "AND created_at < NOW(3) - INTERVAL ? SECOND ORDER BY created_at LIMIT 20", 0 },
	[Q_ESCALATE] = { "UPDATE returns SET escalated_at = NOW(3) WHERE id = ? AND status = 'requested' "
			 "AND escalated_at IS NULL", 0 },
	[Q_HEAD] = { HEAD_COLS "WHERE r.id = ?", 0 },
	/* The order's lines hot, or archived once the order has moved (the
	 * archive keeps an order with an open return hot; a closed one's
	 * return still shows what came back). */
	[Q_LINES] = { "SELECT rl.line_no, rl.quantity, rl.amount, l.title, l.code, l.options FROM return_lines rl "
		      "JOIN returns r ON r.id = rl.return_id "
		      "JOIN order_lines l ON l.order_id = r.order_id AND l.line_no = rl.line_no "
		      "WHERE rl.return_id = ? "
		      "UNION ALL SELECT rl.line_no, rl.quantity, rl.amount, l.title, l.code, l.options FROM return_lines rl "
		      "JOIN returns r ON r.id = rl.return_id "
		      "JOIN order_lines_archive l ON l.order_id = r.order_id AND l.line_no = rl.line_no "
		      "WHERE rl.return_id = ? ORDER BY 1", 0 },
	[Q_OF_SELLER] = { HEAD_COLS "WHERE r.seller_id = ? AND r.id < ? ORDER BY r.id DESC LIMIT ?", 0 },
	[Q_OF_SELLER_ST] = { HEAD_COLS "WHERE r.seller_id = ? AND r.status = ? AND r.id < ? ORDER BY r.id DESC LIMIT ?", 0 },
	[Q_OF_ORDER] = { HEAD_COLS "WHERE r.order_id = ? ORDER BY r.id", 0 },
	/* Escalated: requests the seller left unanswered, and returns whose
	 * refund the gateway refused for good (refund_failed). */
	[Q_ESCALATED] = { HEAD_COLS "WHERE (r.status = 'requested' AND r.escalated_at IS NOT NULL) "
			  "OR r.status = 'refund_failed' ORDER BY r.escalated_at, r.id LIMIT ?", 0 },
	[Q_REFUND_FAILED] = { "UPDATE returns SET status = 'refund_failed', escalated_at = COALESCE(escalated_at, NOW(3)) "
			      "WHERE id = ? AND status = 'received'", 0 },
	[Q_RETRY] = { "UPDATE returns SET status = 'received', refund_tries = refund_tries + 1 "
		      "WHERE id = ? AND status = 'refund_failed'", 0 },
	[Q_PHOTO_DEL] = { "DELETE FROM return_photos WHERE id = ? AND return_id = ?", 0 },
	[Q_PHOTO_ONE] = { "SELECT position FROM return_photos WHERE id = ? AND return_id = ?", 0 },
	/* A seller's own return windows (seller_return_windows; category 0:
	 * every category) with the categories' names. */
	[Q_WIN_LIST] = { "SELECT w.category_id, w.days, c.name FROM seller_return_windows w "
			 "LEFT JOIN categories c ON c.id = w.category_id WHERE w.seller_id = ? "
			 "ORDER BY w.category_id = 0 DESC, c.name, w.category_id", 0 },
	[Q_WIN_DEL] = { "DELETE FROM seller_return_windows WHERE seller_id = ?", 0 },
	[Q_WIN_SET] = { "INSERT INTO seller_return_windows (seller_id, category_id, days) VALUES (?, ?, ?)", 0 },
	[Q_ADDR_DEL] = { "DELETE FROM seller_return_settings WHERE seller_id = ?", 0 },
	/* The categories a window can be set for, with the shop's own days
	 * (the category's, else its parent's, else the shop's default). */
	[Q_CATS] = { "SELECT c.id, c.name, COALESCE((SELECT w.days FROM return_windows w WHERE w.category_id = c.id), "
		     "(SELECT w.days FROM return_windows w WHERE w.category_id = c.parent_id), "
		     "(SELECT w.days FROM return_windows w WHERE w.category_id = 0), ?), c.parent_id "
		     "FROM categories c WHERE c.retired_at IS NULL ORDER BY COALESCE(c.parent_id, c.id), c.parent_id IS NOT NULL, c.name LIMIT 500", 0 },
	/* The shop's own windows (return_windows; category 0: the shop's
	 * default for every category), with the categories' names and whether
	 * they are retired; locked (in id order) by an admin's change. */
	[Q_SHOP_WIN] = { "SELECT w.category_id, w.days, c.name, c.retired_at IS NOT NULL FROM return_windows w "
			 "LEFT JOIN categories c ON c.id = w.category_id ORDER BY w.category_id", 0 },
	[Q_SHOP_WIN_LOCK] = { "SELECT category_id, days FROM return_windows ORDER BY category_id FOR UPDATE", 0 },
	[Q_SHOP_WIN_DEL] = { "DELETE FROM return_windows", 0 },
	[Q_SHOP_WIN_SET] = { "INSERT INTO return_windows (category_id, days) VALUES (?, ?)", 0 },
	[Q_SHOP_DEFAULT] = { "SELECT days FROM return_windows WHERE category_id = 0", 0 },
	/* How many sellers set their own days, per category (0: for all). */
	[Q_OVERRIDES] = { "SELECT category_id, COUNT(*) FROM seller_return_windows GROUP BY category_id", 0 },
	[Q_CANCEL] = { "UPDATE returns SET status = 'cancelled' WHERE id = ? AND status IN ('requested', 'approved')", 0 },
	[Q_ADMINS] = { "SELECT email, id FROM users WHERE is_admin = 1 AND status = 'active' ORDER BY id LIMIT 100", 0 },
	/* Photos: positions 1..RT_MAX_PHOTOS, counted under the return's
	 * row lock (the unique key on (return_id, position) backs it). */
	[Q_PHOTO_INS] = { "INSERT INTO return_photos (return_id, position, hash, width, height) VALUES (?, ?, ?, ?, ?)", 0 },
	[Q_PHOTO_COUNT] = { "SELECT COUNT(*), COALESCE(MAX(position), 0) FROM return_photos WHERE return_id = ?", 0 },
	[Q_PHOTOS] = { "SELECT id, position, hash, width, height FROM return_photos WHERE return_id = ? "
		       "ORDER BY position, id", 0 },
	/* The media sweep's question (images_place_owner). */
	[Q_PHOTO_USED] = { "SELECT COUNT(*) FROM return_photos WHERE hash = ?", 0 },
	[Q_PHOTO_ROOM] = { "SELECT r.user_id, r.status, (SELECT COUNT(*) FROM return_photos p WHERE p.return_id = r.id) "
			   "FROM returns r WHERE r.id = ?", 0 },
};

static long long window_days = 30;
static long long escalate_after = 3 * 86400;	/* seconds */

static enum err on_refund_end(struct db *db, struct arena *a, int64_t return_id, int64_t refund_id, int ok,
			      const char *error);

#define RT_STR_(x) #x
#define RT_STR(x) RT_STR_(x)

static enum err lock_return(struct db *db, struct arena *a, int64_t return_id, int64_t seller_id, struct db_res **r,
			    struct rt_outcome *o);
static const char *status_words_of(const char *s);

/* The media sweep keeps a return photo's files while a row names them. */
static enum err photo_used(struct db *db, struct arena *a, const char *hash, int64_t *count)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_PHOTO_USED], &r, "s", hash);

	if (!e)
		*count = r->nrows ? db_int(r, 0, 0) : 0;
	return e;
}

void returns_init(void)
{
	long long secs = config_env_num("SHOP_RETURN_ESCALATE_SECONDS", 0, 0, 100LL * 365 * 86400);

	db_register(sql, NQ);
	window_days = config_env_num("SHOP_RETURN_WINDOW_DAYS", 30, 0, 3650);
	escalate_after = secs > 0 ? secs : config_env_num("SHOP_RETURN_ESCALATE_DAYS", 3, 1, 365) * 86400;
	fulfillment_set_return_hook(on_refund_end);
	images_place_owner(IMAGE_PLACE_RETURNS, photo_used);
}

static void refuse(struct rt_outcome *o, int status, const char *field, const char *msg)
{
	o->status = status;
	o->field = field;
	o->msg = msg;
}

static enum err return_event(struct db *db, struct arena *a, enum event_type type, int64_t order_id,
			     int64_t return_id, json_t *extra)
{
	json_t *p = json_pack("{sI, sI}", "orderId", (json_int_t)order_id, "returnId", (json_int_t)return_id);

	if (p && extra)
		json_object_update(p, extra);
	json_decref(extra);
	return event_emit(db, a, type, order_id, p);
}

/* ---- reads ---- */

int64_t returns_returnable(const struct db_res *r, size_t i)
{
	int64_t left = db_int(r, i, RO_QTY) - db_int(r, i, RO_REFQTY) - db_int(r, i, RO_PENDING);
	const char *st = db_cell(r, i, RO_STATE);

	if (!st || strcmp(st, "delivered") || !db_int(r, i, RO_DELIVERED) || !db_int(r, i, RO_OPEN))
		return 0;
	return left > 0 ? left : 0;
}

enum err returns_order_lines(struct db *db, struct arena *a, int64_t order_id, int64_t uid, const char **status,
			     const char **currency, struct db_res **out)
{
	struct db_res *o = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_ORDER_MINE], &o, "ii", order_id, uid)))
		return e;
	if (!o->nrows)
		return E_NOTFOUND;
	*status = db_cell(o, 0, 0);
	*currency = db_cell(o, 0, 1);
	return db_exec(db, a, &sql[Q_LINE_FACTS], out, "ii", (int64_t)window_days, order_id);
}

enum err returns_window_open(struct db *db, struct arena *a, int64_t order_id, int *open)
{
	struct db_res *l = NULL;
	enum err e;

	*open = 0;
	if ((e = db_exec(db, a, &sql[Q_LINE_FACTS], &l, "ii", (int64_t)window_days, order_id)))
		return e;
	for (size_t i = 0; i < l->nrows && !*open; i++)
		*open = returns_returnable(l, i) > 0;
	return E_OK;
}

int64_t returns_window_days(void)
{
	return window_days;
}

enum err returns_get(struct db *db, struct arena *a, int64_t return_id, struct db_res **head, struct db_res **lines)
{
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_HEAD], head, "i", return_id)))
		return e;
	if (!(*head)->nrows)
		return E_NOTFOUND;
	return lines ? db_exec(db, a, &sql[Q_LINES], lines, "ii", return_id, return_id) : E_OK;
}

enum err returns_photos(struct db *db, struct arena *a, int64_t return_id, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_PHOTOS], out, "i", return_id);
}

enum err returns_of_seller(struct db *db, struct arena *a, int64_t seller_id, const char *status, int64_t before,
			   int64_t limit, struct db_res **out)
{
	if (status)
		return db_exec(db, a, &sql[Q_OF_SELLER_ST], out, "isii", seller_id, status, before, limit);
	return db_exec(db, a, &sql[Q_OF_SELLER], out, "iii", seller_id, before, limit);
}

enum err returns_of_order(struct db *db, struct arena *a, int64_t order_id, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_OF_ORDER], out, "i", order_id);
}

enum err returns_escalated(struct db *db, struct arena *a, int64_t limit, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_ESCALATED], out, "i", limit);
}

enum err returns_admins(struct db *db, struct arena *a, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_ADMINS], out, "");
}

enum err returns_seller_address(struct db *db, struct arena *a, int64_t seller_id, const char **address)
{
	struct db_res *r = NULL;
	enum err e;

	*address = NULL;
	if ((e = db_exec(db, a, &sql[Q_ADDR_GET], &r, "i", seller_id)))
		return e;
	if (r->nrows)
		*address = db_cell(r, 0, 0);
	return E_OK;
}

/* ---- the shopper's request ---- */

struct request {
	struct arena *a;
	int64_t order_id, uid;
	const char *reason;
	const struct rt_line *s;
	size_t n;
	struct rt_outcome *o;
	const struct image_ready *photos;
	size_t np;
};

/* Rows for np stored photos of return rid after position `after`; *first
 * the first one's id. */
static enum err insert_photos(struct db *db, struct arena *a, int64_t rid, int64_t after,
			      const struct image_ready *p, size_t np, int64_t *first)
{
	enum err e;

	for (size_t i = 0; i < np; i++) {
		if ((e = db_exec(db, a, &sql[Q_PHOTO_INS], NULL, "iisii", rid, after + (int64_t)i + 1, p[i].hash,
				 (int64_t)p[i].width, (int64_t)p[i].height)))
			return e;
		if (!i && first)
			*first = (int64_t)db_insert_id(db);
	}
	return E_OK;
}

static long find_row(const struct db_res *r, int64_t line_no)
{
	for (size_t i = 0; i < r->nrows; i++)
		if (db_int(r, i, RO_NO) == line_no)
			return (long)i;
	return -1;
}

static enum err tx_request(struct db *db, void *p)
{
	struct request *rq = p;
	struct arena *a = rq->a;
	struct rt_outcome *o = rq->o;
	struct db_res *ord = NULL, *l = NULL;
	int64_t seller = 0, *no, *amt, *money, total = 0, rid;
	const char *window = NULL;
	size_t na;
	enum err e;

	memset(o, 0, sizeof(*o));
	if ((e = db_exec(db, a, &sql[Q_ORDER_MINE_LOCK], &ord, "ii", rq->order_id, rq->uid)))
		return e;
	if (!ord->nrows)
		return refuse(o, 404, NULL, NULL), E_OK;
	if ((e = db_exec(db, a, &sql[Q_LINE_FACTS], &l, "ii", (int64_t)window_days, rq->order_id)) ||
	    (e = fulfillment_amounts(db, a, rq->order_id, db_int(ord, 0, 2), &no, &amt, &na)))
		return e;
	if (!(money = arena_alloc(a, sizeof(int64_t) * (rq->n + 1))))
		return E_NOMEM;
	/* Everything checked first: one refusal changes nothing. */
	for (size_t i = 0; i < rq->n; i++) {
		long row = find_row(l, rq->s[i].line_no);
		int64_t left;
		const char *st;

		if (row < 0)
			return refuse(o, 422, arena_printf(a, "lines[%zu].line", i),
				      arena_printf(a, "This order has no line %lld.", (long long)rq->s[i].line_no)), E_OK;
		st = db_cell(l, row, RO_STATE);
		if (seller && db_int(l, row, RO_SELLER) != seller)
			return refuse(o, 422, "lines", "One return is for one seller's items: ask for a return for each "
				      "seller's items separately."), E_OK;
		seller = db_int(l, row, RO_SELLER);
		if (strcmp(st, "delivered") || !db_int(l, row, RO_DELIVERED))
			return refuse(o, 422, arena_printf(a, "lines[%zu].line", i),
				      arena_printf(a, "Line %lld cannot be returned: it is %s.", (long long)rq->s[i].line_no,
						   !strcmp(st, "returned") ? "returned already" :
						   !strcmp(st, "cancelled") ? "cancelled" : "not delivered yet")), E_OK;
		if (!db_int(l, row, RO_OPEN))
			return refuse(o, 422, arena_printf(a, "lines[%zu].line", i),
				      arena_printf(a, "The return window of line %lld closed on %.10s.",
						   (long long)rq->s[i].line_no, db_cell(l, row, RO_WINDOW_ISO))), E_OK;
		left = returns_returnable(l, (size_t)row);
		if (rq->s[i].quantity < 1 || rq->s[i].quantity > left)
			return refuse(o, 422, arena_printf(a, "lines[%zu].quantity", i),
				      left ? arena_printf(a, "At most %lld of line %lld can be returned.", (long long)left,
							  (long long)rq->s[i].line_no)
					   : arena_printf(a, "Every unit of line %lld is returned or in a return already.",
							  (long long)rq->s[i].line_no)), E_OK;
		/* What these units would give back now (the refund computes it
		 * again at receipt, after what is refunded by then). */
		money[i] = 0;
		for (size_t k = 0; k < na; k++)
			if (no[k] == rq->s[i].line_no)
				money[i] = fulfillment_units_amount(amt[k], db_int(l, row, RO_QTY),
								    db_int(l, row, RO_REFQTY) + db_int(l, row, RO_PENDING),
								    rq->s[i].quantity);
		total += money[i];
		if (!window || strcmp(db_cell(l, row, RO_WINDOW_SQL), window) < 0)
			window = db_cell(l, row, RO_WINDOW_SQL);
	}
	if ((e = db_exec(db, a, &sql[Q_INS], NULL, "iiisssi", rq->order_id, rq->uid, seller, rq->reason, window,
			 db_cell(ord, 0, 1), total)))
		return e;
	rid = (int64_t)db_insert_id(db);
	for (size_t i = 0; i < rq->n; i++)
		if ((e = db_exec(db, a, &sql[Q_LINE_INS], NULL, "iiii", rid, rq->s[i].line_no, rq->s[i].quantity, money[i])))
			return e;
	if ((e = insert_photos(db, a, rid, 0, rq->photos, rq->np, NULL)))
		return e;
	if ((e = order_note(db, a, rq->order_id, arena_printf(a, "user:%lld", (long long)rq->uid),
			    rq->np ? arena_printf(a, "return %lld requested with %zu photo%s", (long long)rid, rq->np,
						  rq->np == 1 ? "" : "s")
				   : arena_printf(a, "return %lld requested", (long long)rid))) ||
	    (e = return_event(db, a, EV_RETURN_REQUESTED, rq->order_id, rid,
			      json_pack("{sI}", "sellerId", (json_int_t)seller))))
		return e;
	o->return_id = rid;
	return E_OK;
}

enum err returns_request(struct db *db, struct arena *a, int64_t order_id, int64_t uid, const char *reason,
			 const struct rt_line *lines, size_t n, struct rt_outcome *o)
{
	struct request rq = { a, order_id, uid, reason, lines, n, o, NULL, 0 };

	memset(o, 0, sizeof(*o));
	return db_tx(db, tx_request, &rq);
}

/* With photos, a refusal rolls back (E_CONFLICT) so that images_store
 * takes back the files it wrote. */
static enum err tx_request_photos(struct db *db, void *p)
{
	struct request *rq = p;
	enum err e = tx_request(db, p);

	return !e && rq->o->status ? E_CONFLICT : e;
}

enum err returns_request_photos(struct db *db, struct arena *a, int64_t order_id, int64_t uid, const char *reason,
				const struct rt_line *lines, size_t n, const struct image_ready *photos, size_t np,
				struct rt_outcome *o)
{
	struct request rq = { a, order_id, uid, reason, lines, n, o, photos, np };
	enum err e;

	memset(o, 0, sizeof(*o));
	if (!np)
		return db_tx(db, tx_request, &rq);
	if (np > RT_MAX_PHOTOS)
		return refuse(o, 422, "photos", "A return has at most " RT_STR(RT_MAX_PHOTOS) " photos."), E_OK;
	e = images_store(db, a, IMAGE_PLACE_RETURNS, photos, np, tx_request_photos, &rq);
	return e == E_CONFLICT && o->status ? E_OK : e;
}

/* ---- photos added to a request ---- */

static const char *full_photos = "A return has at most " RT_STR(RT_MAX_PHOTOS) " photos.";

/* The refusal for adding k photos to a return in state st with `have`
 * photos, by uid when the return is owner's; NULL when it may. */
static int photo_refusal(struct arena *a, int64_t owner, int64_t uid, const char *st, int64_t have, size_t k,
			 struct rt_outcome *o)
{
	if (owner != uid)
		return refuse(o, 404, NULL, NULL), 1;
	if (strcmp(st, "requested"))
		return refuse(o, 409, NULL, arena_printf(a, "Photos can be added while the return waits for the seller's "
							  "answer; this one is %s.", status_words_of(st))), 1;
	if (have + (int64_t)k > RT_MAX_PHOTOS)
		return refuse(o, 409, "photos", have ? arena_printf(a, "%s This one has %lld; you can add %lld more.",
								       full_photos, (long long)have,
								       (long long)(have < RT_MAX_PHOTOS ? RT_MAX_PHOTOS - have : 0))
						     : full_photos), 1;
	return 0;
}

enum err returns_photo_room(struct db *db, struct arena *a, int64_t return_id, int64_t uid, size_t k,
			    struct rt_outcome *o)
{
	struct db_res *r = NULL;
	enum err e;

	memset(o, 0, sizeof(*o));
	o->return_id = return_id;
	if ((e = db_exec(db, a, &sql[Q_PHOTO_ROOM], &r, "i", return_id)))
		return e;
	if (!r->nrows)
		return refuse(o, 404, NULL, NULL), E_OK;
	photo_refusal(a, db_int(r, 0, 0), uid, db_cell(r, 0, 1), db_int(r, 0, 2), k, o);
	return E_OK;
}

struct add_photos {
	struct arena *a;
	int64_t return_id, uid, first;
	const struct image_ready *p;
	size_t np;
	struct rt_outcome *o;
};

static enum err tx_add_photos(struct db *db, void *p)
{
	struct add_photos *x = p;
	struct db_res *r = NULL, *c = NULL;
	enum err e;

	memset(x->o, 0, sizeof(*x->o));
	x->o->return_id = x->return_id;
	if ((e = lock_return(db, x->a, x->return_id, 0, &r, x->o)))
		return e;
	if (x->o->status)
		return E_CONFLICT;
	if ((e = db_exec(db, x->a, &sql[Q_PHOTO_COUNT], &c, "i", x->return_id)))
		return e;
	if (photo_refusal(x->a, db_int(r, 0, 8), x->uid, db_cell(r, 0, 0), db_int(c, 0, 0), x->np, x->o))
		return E_CONFLICT;
	if ((e = insert_photos(db, x->a, x->return_id, db_int(c, 0, 1), x->p, x->np, &x->first)))
		return e;
	return order_note(db, x->a, db_int(r, 0, 2), arena_printf(x->a, "user:%lld", (long long)x->uid),
			  arena_printf(x->a, "return %lld: %zu photo%s added by the shopper", (long long)x->return_id,
				       x->np, x->np == 1 ? "" : "s"));
}

enum err returns_add_photos(struct db *db, struct arena *a, int64_t return_id, int64_t uid,
			    const struct image_ready *photos, size_t np, int64_t *first_id, struct rt_outcome *o)
{
	struct add_photos x = { a, return_id, uid, 0, photos, np, o };
	enum err e;

	memset(o, 0, sizeof(*o));
	*first_id = 0;
	if (!np || np > RT_MAX_PHOTOS)
		return refuse(o, 409, "photos", full_photos), E_OK;
	e = images_store(db, a, IMAGE_PLACE_RETURNS, photos, np, tx_add_photos, &x);
	if (e == E_CONFLICT && o->status)
		return E_OK;
	if (!e)
		*first_id = x.first;
	return e;
}

/* ---- the seller's decisions ---- */

/* Locks the return's order, then the return; 404 in o when it is not the
 * seller's (seller_id 0: anyone's). *r: Q_LOCK's row. */
static enum err lock_return(struct db *db, struct arena *a, int64_t return_id, int64_t seller_id, struct db_res **r,
			    struct rt_outcome *o)
{
	struct db_res *x = NULL, *ord = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_RETURN_ORDER], &x, "i", return_id)))
		return e;
	if (!x->nrows)
		return refuse(o, 404, NULL, NULL), E_OK;
	if ((e = db_exec(db, a, &sql[Q_ORDER_LOCK], &ord, "i", db_int(x, 0, 0))) ||
	    (e = db_exec(db, a, &sql[Q_LOCK], r, "i", return_id)))
		return e;
	if (!(*r)->nrows || !ord->nrows || (seller_id && db_int(*r, 0, 1) != seller_id))
		return refuse(o, 404, NULL, NULL), E_OK;
	return E_OK;
}

static const char *status_words(const char *s)
{
	return status_words_of(s);
}

static const char *status_words_of(const char *s)
{
	if (!strcmp(s, "requested"))
		return "waiting for the seller";
	if (!strcmp(s, "in_transit"))
		return "on its way back";
	if (!strcmp(s, "refund_failed"))
		return "received, its refund refused by the payment service";
	return s;
}

struct decide {
	struct arena *a;
	int64_t return_id, seller_id;
	const char *actor, *address, *label, *carrier, *reason;
	int approve, restock;
	int audit;	/* an admin's act: audit_record in the transaction */
	struct rt_outcome *o;
};

/* An admin's act on a return, in its transaction (app/console/audit.h). */
static enum err audit_act(struct db *db, struct decide *d, const char *action, const char *before, json_t *after)
{
	json_t *b;
	enum err e;

	if (!d->audit) {
		json_decref(after);
		return E_OK;
	}
	b = json_pack("{ss}", "status", before);
	/* The timeline names the admin "admin:12", as the console's refunds
	 * and cancellations do; the audit log "user:12" (audit.h), which its
	 * page turns into the admin's email. */
	e = audit_record(db, d->a, strncmp(d->actor, "admin:", 6) ? d->actor : arena_printf(d->a, "user:%s", d->actor + 6),
			 action, arena_printf(d->a, "return:%lld", (long long)d->return_id), b, after);
	json_decref(b);
	json_decref(after);
	return e;
}

static enum err tx_decide(struct db *db, void *p)
{
	struct decide *d = p;
	struct arena *a = d->a;
	struct db_res *r = NULL;
	const char *st, *to = d->approve ? "approved" : "rejected";
	int64_t order_id;
	enum err e;

	memset(d->o, 0, sizeof(*d->o));
	d->o->return_id = d->return_id;
	if ((e = lock_return(db, a, d->return_id, d->seller_id, &r, d->o)) || d->o->status)
		return e;
	st = db_cell(r, 0, 0);
	order_id = db_int(r, 0, 2);
	if (!strcmp(st, to))
		return E_OK;	/* said twice: the same answer */
	if (strcmp(st, "requested"))
		return refuse(d->o, 409, NULL, arena_printf(a, "This return cannot be %s: it is %s.", to,
							    status_words(st))), E_OK;
	if (d->approve) {
		if (!d->address) {
			const char *mem = NULL;

			if ((e = returns_seller_address(db, a, d->seller_id ? d->seller_id : db_int(r, 0, 1), &mem)))
				return e;
			if (!mem)
				return refuse(d->o, 422, "address", "Give the address the parcel goes back to."), E_OK;
			d->address = mem;
		} else if (d->seller_id && (e = db_exec(db, a, &sql[Q_ADDR_SET], NULL, "is", db_int(r, 0, 1), d->address))) {
			/* the seller's own next default (an admin's is not) */
			return e;
		}
		if ((e = db_exec(db, a, &sql[Q_APPROVE], NULL, "sssi", d->address, d->label, d->carrier, d->return_id)))
			return e;
		if ((e = order_note(db, a, order_id, d->actor,
				    arena_printf(a, "return %lld approved: label %s", (long long)d->return_id, d->label))) ||
		    (e = return_event(db, a, EV_RETURN_APPROVED, order_id, d->return_id,
				      json_pack("{ss, ss}", "address", d->address, "label", d->label))) ||
		    (e = audit_act(db, d, "return.approve", st, json_pack("{ss, ss, ss, ss?}", "status", "approved",
				   "address", d->address, "label", d->label, "carrier", d->carrier))))
			return e;
		return E_OK;
	}
	if ((e = db_exec(db, a, &sql[Q_REJECT], NULL, "si", d->reason, d->return_id)) ||
	    (e = order_note(db, a, order_id, d->actor,
			    arena_printf(a, "return %lld rejected: %.200s", (long long)d->return_id, d->reason))) ||
	    (e = return_event(db, a, EV_RETURN_REJECTED, order_id, d->return_id, json_pack("{ss}", "reason", d->reason))) ||
	    (e = audit_act(db, d, "return.reject", st, json_pack("{ss, ss}", "status", "rejected", "reason", d->reason))))
		return e;
	return E_OK;
}

enum err returns_approve(struct db *db, struct arena *a, int64_t return_id, int64_t seller_id, const char *actor,
			 const char *address, const char *label, const char *carrier, struct rt_outcome *o)
{
	struct decide d = { .a = a, .return_id = return_id, .seller_id = seller_id, .actor = actor,
			    .address = address, .label = label, .carrier = carrier, .approve = 1, .audit = seller_id == 0,
			    .o = o };

	memset(o, 0, sizeof(*o));
	if (!label || !*label)
		return refuse(o, 422, "label", "Give the carrier label's reference (its tracking number)."), E_OK;
	return db_tx(db, tx_decide, &d);
}

enum err returns_reject(struct db *db, struct arena *a, int64_t return_id, int64_t seller_id, const char *actor,
			const char *reason, struct rt_outcome *o)
{
	struct decide d = { .a = a, .return_id = return_id, .seller_id = seller_id, .actor = actor, .reason = reason,
			    .audit = seller_id == 0, .o = o };

	memset(o, 0, sizeof(*o));
	if (!reason || !*reason)
		return refuse(o, 422, "reason", "Tell the shopper why the return is rejected."), E_OK;
	return db_tx(db, tx_decide, &d);
}

/* ---- the shopper withdraws it ---- */

struct cancel {
	struct arena *a;
	int64_t return_id, uid;
	struct rt_outcome *o;
};

static enum err tx_cancel(struct db *db, void *p)
{
	struct cancel *x = p;
	struct db_res *r = NULL;
	const char *st;
	enum err e;

	memset(x->o, 0, sizeof(*x->o));
	x->o->return_id = x->return_id;
	if ((e = lock_return(db, x->a, x->return_id, 0, &r, x->o)) || x->o->status)
		return e;
	if (db_int(r, 0, 8) != x->uid)
		return refuse(x->o, 404, NULL, NULL), E_OK;
	st = db_cell(r, 0, 0);
	if (!strcmp(st, "cancelled"))
		return E_OK;
	if (strcmp(st, "requested") && strcmp(st, "approved"))
		return refuse(x->o, 409, NULL, arena_printf(x->a, "This return cannot be withdrawn: it is %s.",
							    status_words(st))), E_OK;
	if ((e = db_exec(db, x->a, &sql[Q_CANCEL], NULL, "i", x->return_id)))
		return e;
	return order_note(db, x->a, db_int(r, 0, 2), arena_printf(x->a, "user:%lld", (long long)x->uid),
			  arena_printf(x->a, "return %lld withdrawn by the shopper", (long long)x->return_id));
}

enum err returns_cancel(struct db *db, struct arena *a, int64_t return_id, int64_t uid, struct rt_outcome *o)
{
	struct cancel x = { a, return_id, uid, o };

	memset(o, 0, sizeof(*o));
	return db_tx(db, tx_cancel, &x);
}

/* ---- receipt: stock, then the refund ---- */

static enum err tx_receive(struct db *db, void *p)
{
	struct decide *d = p;
	struct arena *a = d->a;
	struct db_res *r = NULL, *l = NULL;
	struct stock_line *sl;
	struct ff_line *fl;
	int64_t order_id, refund_id = 0, amount = 0;
	const char *st, *who;
	enum err e;

	memset(d->o, 0, sizeof(*d->o));
	d->o->return_id = d->return_id;
	if ((e = lock_return(db, a, d->return_id, d->seller_id, &r, d->o)) || d->o->status)
		return e;
	st = db_cell(r, 0, 0);
	order_id = db_int(r, 0, 2);
	if (!strcmp(st, "received") || !strcmp(st, "refunded") || !strcmp(st, "refund_failed")) {
		d->o->refund_id = db_int(r, 0, 3);	/* said twice: the refund may need its run */
		return E_OK;
	}
	if (strcmp(st, "approved") && strcmp(st, "in_transit"))
		return refuse(d->o, 409, NULL, arena_printf(a, "This return cannot be received: it is %s.",
							    status_words(st))), E_OK;
	if ((e = db_exec(db, a, &sql[Q_RLINES_STOCK], &l, "ii", order_id, d->return_id)))
		return e;
	sl = arena_alloc(a, sizeof(*sl) * (l->nrows + 1));
	fl = arena_alloc(a, sizeof(*fl) * (l->nrows + 1));
	if (!sl || !fl)
		return E_NOMEM;
	for (size_t i = 0; i < l->nrows; i++) {
		sl[i].sku_id = db_int(l, i, 2);
		sl[i].product_id = db_int(l, i, 3);
		sl[i].quantity = db_int(l, i, 1);
		fl[i].line_no = db_int(l, i, 0);
		fl[i].quantity = db_int(l, i, 1);
	}
	who = arena_printf(a, "return:%lld", (long long)d->return_id);
	e = d->restock ? inventory_restock(db, a, order_id, db_int(r, 0, 1), sl, l->nrows, who)
		       : inventory_write_off(db, a, order_id, db_int(r, 0, 1), sl, l->nrows, who);
	if (e)
		return e;
	if ((e = fulfillment_return_refund(db, a, order_id, db_int(r, 0, 1), d->return_id, fl, l->nrows, &refund_id,
					   &amount)) == E_CONFLICT)
		return refuse(d->o, 409, NULL, "The order's lines changed (refunded meanwhile?); nothing was done."),
		       E_CONFLICT;
	if (e)
		return e;
	if ((e = db_exec(db, a, &sql[Q_RECEIVED], NULL, "siiii", refund_id ? "received" : "refunded",
			 (int64_t)d->restock, refund_id, amount, d->return_id)))
		return e;
	if (db_affected(db) != 1)
		return E_CONFLICT;
	if ((e = order_note(db, a, order_id, d->actor,
			    arena_printf(a, "return %lld received: %s", (long long)d->return_id,
					 d->restock ? "units restocked" : "units written off"))) ||
	    (e = return_event(db, a, EV_RETURN_RECEIVED, order_id, d->return_id,
			      json_pack("{sb, sI, sI}", "restock", d->restock, "refundId", (json_int_t)refund_id,
					"amount", (json_int_t)amount))) ||
	    (e = audit_act(db, d, "return.receive", st, json_pack("{ss, sb, sI, sI}", "status",
			   refund_id ? "received" : "refunded", "restock", d->restock, "refundId", (json_int_t)refund_id,
			   "amount", (json_int_t)amount))))
		return e;
	d->o->refund_id = refund_id;
	return E_OK;
}

enum err returns_receive(struct db *db, struct arena *a, int64_t return_id, int64_t seller_id, const char *actor,
			 int restock, struct rt_outcome *o)
{
	struct decide d = { .a = a, .return_id = return_id, .seller_id = seller_id, .actor = actor,
			    .restock = restock, .audit = seller_id == 0, .o = o };
	enum err e;

	memset(o, 0, sizeof(*o));
	e = db_tx(db, tx_receive, &d);
	if (e == E_CONFLICT && o->status)
		return E_OK;	/* rolled back, refused */
	if (e == E_CONFLICT)
		return refuse(o, 409, NULL, "The return changed meanwhile; please look again."), E_OK;
	return e;
}

enum err returns_refund(struct db *db, struct arena *a, int64_t return_id, const char *actor, int *done)
{
	struct db_res *r = NULL;
	const char *msg;
	int ok = 0;
	enum err e;

	*done = 0;
	if ((e = db_exec(db, a, &sql[Q_REFUND_OF], &r, "i", return_id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	if (!strcmp(db_cell(r, 0, 1), "refunded")) {
		*done = 1;
		return E_OK;
	}
	if (!db_int(r, 0, 0) || !db_cell(r, 0, 2))
		return E_OK;	/* no refund */
	if (!strcmp(db_cell(r, 0, 2), "failed")) {
		*done = -1;	/* refused for good */
		return E_OK;
	}
	if (strcmp(db_cell(r, 0, 2), "pending"))
		return E_OK;
	if ((e = fulfillment_refund_attempt(db, a, db_int(r, 0, 0), actor, &ok, &msg)))
		return e;
	*done = ok ? 1 : msg && !strncmp(msg, "The payment service refused", 27) ? -1 : 0;
	return E_OK;
}

/* fulfillment's hook: in the transaction that records the refund's end
 * (the order row and the refund row locked). */
static enum err on_refund_end(struct db *db, struct arena *a, int64_t return_id, int64_t refund_id, int ok,
			      const char *error)
{
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_LOCK], &r, "i", return_id)))
		return e;
	if (!r->nrows)
		return E_OK;
	if (!ok) {
		log_warn("return %lld: refund %lld refused: %s", (long long)return_id, (long long)refund_id,
			 error ? error : "");
		/* Not left looking like a refund under way: refund_failed, on
		 * /admin/returns, the admins told (an admin tries again). */
		if ((e = db_exec(db, a, &sql[Q_REFUND_FAILED], NULL, "i", return_id)))
			return e;
		if (db_affected(db) == 1 &&
		    (e = return_event(db, a, EV_RETURN_ESCALATED, db_int(r, 0, 2), return_id,
				      json_pack("{sb, ss}", "refundFailed", 1, "error", error ? error : ""))))
			return e;
		return order_note(db, a, db_int(r, 0, 2), "gateway",
				  arena_printf(a, "return %lld: the refund was refused: %.180s", (long long)return_id,
					       error ? error : ""));
	}
	if ((e = db_exec(db, a, &sql[Q_REFUNDED], NULL, "i", return_id)))
		return e;
	return order_note(db, a, db_int(r, 0, 2), "gateway",
			  arena_printf(a, "return %lld refunded", (long long)return_id));
}

/* ---- the parcel on its way back ---- */

struct carrier {
	struct arena *a;
	int64_t return_id, order_id;
	const char *id, *type, *carrier, *tracking;
	int duplicate;
};

static enum err tx_carrier(struct db *db, void *p)
{
	struct carrier *c = p;
	struct arena *a = c->a;
	struct db_res *ord = NULL, *r = NULL;
	const char *actor = arena_printf(a, "carrier:%s", c->carrier);
	int delivered = !strcmp(c->type, "delivered");
	enum err e;

	c->duplicate = 0;
	if ((e = db_exec(db, a, &sql[Q_ORDER_LOCK], &ord, "i", c->order_id)) ||
	    (e = db_exec(db, a, &sql[Q_CARRIER_EVENT], NULL, "ssss", c->id, c->carrier, c->tracking, c->type)))
		return e;
	if (db_affected(db) != 1) {
		c->duplicate = 1;
		return E_OK;
	}
	if ((e = db_exec(db, a, &sql[Q_LOCK], &r, "i", c->return_id)))
		return e;
	/* The first scan, whatever it says, puts the parcel on its way. */
	if ((e = db_exec(db, a, &sql[Q_SHIPPED], NULL, "i", c->return_id)))
		return e;
	if (db_affected(db) == 1 &&
	    ((e = order_note(db, a, c->order_id, actor,
			     arena_printf(a, "return %lld: the parcel is on its way back", (long long)c->return_id))) ||
	     (e = return_event(db, a, EV_RETURN_SHIPPED, c->order_id, c->return_id,
			       json_pack("{ss, ss}", "carrier", c->carrier, "tracking", c->tracking)))))
		return e;
	if (!delivered)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_ARRIVED], NULL, "i", c->return_id)))
		return e;
	if (db_affected(db) == 1)
		return order_note(db, a, c->order_id, actor,
				  arena_printf(a, "return %lld: the parcel was delivered to the seller", (long long)c->return_id));
	return E_OK;
}

enum err returns_carrier_event(struct db *db, struct arena *a, const char *id, const char *type, const char *carrier,
			       const char *tracking, int *found, int *duplicate)
{
	struct db_res *r = NULL;
	struct carrier c;
	enum err e;

	*found = *duplicate = 0;
	if ((e = db_exec(db, a, &sql[Q_BY_LABEL], &r, "ss", tracking, carrier)))
		return e;
	if (!r->nrows)
		return E_OK;
	*found = 1;
	c = (struct carrier){ a, db_int(r, 0, 0), db_int(r, 0, 1), id, type, carrier, tracking, 0 };
	if ((e = db_tx(db, tx_carrier, &c)))
		return e;
	*duplicate = c.duplicate;
	return E_OK;
}

/* ---- escalation ---- */

struct escalate {
	struct arena *a;
	int64_t return_id, order_id;
};

static enum err tx_escalate(struct db *db, void *p)
{
	struct escalate *x = p;
	struct db_res *ord = NULL;
	enum err e;

	if ((e = db_exec(db, x->a, &sql[Q_ORDER_LOCK], &ord, "i", x->order_id)) ||
	    (e = db_exec(db, x->a, &sql[Q_ESCALATE], NULL, "i", x->return_id)))
		return e;
	if (db_affected(db) != 1)
		return E_OK;	/* answered (or escalated) meanwhile */
	if ((e = order_note(db, x->a, x->order_id, "jobs",
			    arena_printf(x->a, "return %lld: the seller has not answered; the shop's staff will look",
					 (long long)x->return_id))))
		return e;
	return return_event(db, x->a, EV_RETURN_ESCALATED, x->order_id, x->return_id,
			    json_pack("{sI}", "afterSeconds", (json_int_t)escalate_after));
}

int returns_escalate_batch(struct db *db, struct kv *kv, struct arena *a)
{
	struct db_res *r = NULL;

	(void)kv;
	if (db_exec(db, a, &sql[Q_DUE], &r, "i", (int64_t)escalate_after))
		return -1;
	for (size_t i = 0; i < r->nrows; i++) {
		struct escalate x = { a, db_int(r, i, 0), db_int(r, i, 1) };

		if (db_tx(db, tx_escalate, &x))
			return -1;
	}
	return r->nrows >= 20 ? 1 : 0;
}

/* ---- an admin tries a refused refund again ---- */

static enum err tx_retry(struct db *db, void *p)
{
	struct decide *d = p;
	struct arena *a = d->a;
	struct db_res *r = NULL;
	const char *st;
	enum err e;

	memset(d->o, 0, sizeof(*d->o));
	d->o->return_id = d->return_id;
	if ((e = lock_return(db, a, d->return_id, 0, &r, d->o)) || d->o->status)
		return e;
	st = db_cell(r, 0, 0);
	d->o->refund_id = db_int(r, 0, 3);
	if (!strcmp(st, "received") || !strcmp(st, "refunded"))
		return E_OK;	/* tried already (or refunded): that refund runs, nothing more */
	if (strcmp(st, "refund_failed"))
		return refuse(d->o, 409, NULL, arena_printf(a, "Only a refused refund can be tried again: this return is %s.",
							    status_words(st))), E_OK;
	if ((e = fulfillment_refund_reopen(db, a, db_int(r, 0, 2), db_int(r, 0, 3))) == E_CONFLICT)
		return refuse(d->o, 409, NULL, "The order's lines changed (refunded another way meanwhile?); "
			      "the refund cannot be tried again."), E_CONFLICT;
	if (e || (e = db_exec(db, a, &sql[Q_RETRY], NULL, "i", d->return_id)))
		return e;
	if (db_affected(db) != 1)
		return E_CONFLICT;
	if ((e = order_note(db, a, db_int(r, 0, 2), d->actor,
			    arena_printf(a, "return %lld: the refund is tried again", (long long)d->return_id))))
		return e;
	return audit_act(db, d, "return.refund_retry", st, json_pack("{ss, sI}", "status", "received",
								     "refundId", (json_int_t)db_int(r, 0, 3)));
}

enum err returns_retry_refund(struct db *db, struct arena *a, int64_t return_id, const char *actor, struct rt_outcome *o)
{
	struct decide d = { .a = a, .return_id = return_id, .actor = actor, .audit = 1, .o = o };
	enum err e;

	memset(o, 0, sizeof(*o));
	e = db_tx(db, tx_retry, &d);
	if (e == E_CONFLICT && o->status)
		return E_OK;
	if (e == E_CONFLICT)
		return refuse(o, 409, NULL, "The return changed meanwhile; please look again."), E_OK;
	return e;
}

/* ---- the shopper takes a photo back ---- */

struct del_photo {
	struct arena *a;
	int64_t return_id, uid, photo_id;
	struct rt_outcome *o;
};

static enum err tx_del_photo(struct db *db, void *p)
{
	struct del_photo *x = p;
	struct db_res *r = NULL, *ph = NULL;
	enum err e;

	memset(x->o, 0, sizeof(*x->o));
	x->o->return_id = x->return_id;
	if ((e = lock_return(db, x->a, x->return_id, 0, &r, x->o)) || x->o->status)
		return e;
	if (db_int(r, 0, 8) != x->uid)
		return refuse(x->o, 404, NULL, NULL), E_OK;
	if ((e = db_exec(db, x->a, &sql[Q_PHOTO_ONE], &ph, "ii", x->photo_id, x->return_id)))
		return e;
	if (!ph->nrows)
		return refuse(x->o, 404, NULL, NULL), E_OK;
	if (strcmp(db_cell(r, 0, 0), "requested"))
		return refuse(x->o, 409, NULL, arena_printf(x->a, "Photos can be removed while the return waits for the "
							    "seller's answer; this one is %s.",
							    status_words(db_cell(r, 0, 0)))), E_OK;
	/* The files stay until the media sweep finds no row naming them. */
	if ((e = db_exec(db, x->a, &sql[Q_PHOTO_DEL], NULL, "ii", x->photo_id, x->return_id)))
		return e;
	return order_note(db, x->a, db_int(r, 0, 2), arena_printf(x->a, "user:%lld", (long long)x->uid),
			  arena_printf(x->a, "return %lld: photo %lld removed by the shopper", (long long)x->return_id,
				       (long long)db_int(ph, 0, 0)));
}

enum err returns_delete_photo(struct db *db, struct arena *a, int64_t return_id, int64_t uid, int64_t photo_id,
			      struct rt_outcome *o)
{
	struct del_photo x = { a, return_id, uid, photo_id, o };

	memset(o, 0, sizeof(*o));
	return db_tx(db, tx_del_photo, &x);
}

/* ---- a seller's return settings ---- */

enum err returns_seller_windows(struct db *db, struct arena *a, int64_t seller_id, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_WIN_LIST], out, "i", seller_id);
}

enum err returns_categories(struct db *db, struct arena *a, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_CATS], out, "i", (int64_t)window_days);
}

struct settings {
	struct arena *a;
	int64_t seller_id;
	const struct rt_window *w;
	size_t n;
	const char *address;
};

static enum err tx_settings(struct db *db, void *p)
{
	struct settings *x = p;
	enum err e;

	if ((e = db_exec(db, x->a, &sql[Q_WIN_DEL], NULL, "i", x->seller_id)))
		return e;
	for (size_t i = 0; i < x->n; i++)
		if ((e = db_exec(db, x->a, &sql[Q_WIN_SET], NULL, "iii", x->seller_id, x->w[i].category_id, x->w[i].days)))
			return e;
	if (x->address)
		return db_exec(db, x->a, &sql[Q_ADDR_SET], NULL, "is", x->seller_id, x->address);
	return db_exec(db, x->a, &sql[Q_ADDR_DEL], NULL, "i", x->seller_id);
}

enum err returns_set_settings(struct db *db, struct arena *a, int64_t seller_id, const struct rt_window *w, size_t n,
			      const char *address)
{
	struct settings x = { a, seller_id, w, n, address };

	return db_tx(db, tx_settings, &x);
}

/* ---- the shop's own return windows (admins) ---- */

enum err returns_shop_windows(struct db *db, struct arena *a, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_SHOP_WIN], out, "");
}

enum err returns_shop_default(struct db *db, struct arena *a, int64_t *days)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_SHOP_DEFAULT], &r, "");

	if (e)
		return e;
	*days = r->nrows ? db_int(r, 0, 0) : (int64_t)window_days;
	return E_OK;
}

enum err returns_seller_overrides(struct db *db, struct arena *a, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_OVERRIDES], out, "");
}

static int window_cmp(const void *x, const void *y)
{
	const struct rt_window *p = x, *q = y;

	return p->category_id < q->category_id ? -1 : p->category_id > q->category_id;
}

/* The audit's picture: {"defaultDays": n or null, "windows": [{categoryId,
 * days}]}, by category id. */
static json_t *windows_json(const struct rt_window *w, size_t n)
{
	json_t *o = json_object(), *list = json_array();

	json_object_set_new(o, "defaultDays", json_null());
	for (size_t i = 0; i < n; i++) {
		if (!w[i].category_id)
			json_object_set_new(o, "defaultDays", json_integer(w[i].days));
		else
			json_array_append_new(list, json_pack("{sI, sI}", "categoryId", (json_int_t)w[i].category_id,
							      "days", (json_int_t)w[i].days));
	}
	json_object_set_new(o, "windows", list);
	return o;
}

struct shop_windows {
	struct arena *a;
	const char *actor;
	const struct rt_shop_windows *in;
	struct rt_window *w;	/* what is set after: room for in->n + 1 + what is kept */
	size_t n;
	int changed;
};

static enum err tx_shop_windows(struct db *db, void *p)
{
	struct shop_windows *x = p;
	const struct rt_shop_windows *in = x->in;
	struct db_res *cur = NULL;
	struct rt_window *before;
	json_t *jb = NULL, *ja = NULL;
	size_t nb = 0;
	enum err e;

	x->n = 0;
	x->changed = 0;
	if ((e = db_exec(db, x->a, &sql[Q_SHOP_WIN_LOCK], &cur, "")))
		return e;
	if (!(before = arena_alloc(x->a, sizeof(*before) * (cur->nrows + 1))) ||
	    !(x->w = arena_alloc(x->a, sizeof(*x->w) * (cur->nrows + in->n + 1))))
		return E_NOMEM;
	for (size_t i = 0; i < cur->nrows; i++)
		before[nb++] = (struct rt_window){ db_int(cur, i, 0), db_int(cur, i, 1) };
	/* What is asked, and what was set where nothing is asked. */
	if (in->default_days == RT_KEEP) {
		for (size_t i = 0; i < nb; i++)
			if (!before[i].category_id)
				x->w[x->n++] = before[i];
	} else if (in->default_days >= 0) {
		x->w[x->n++] = (struct rt_window){ 0, in->default_days };
	}
	if (in->keep_windows) {
		for (size_t i = 0; i < nb; i++)
			if (before[i].category_id)
				x->w[x->n++] = before[i];
	} else {
		for (size_t i = 0; i < in->n; i++)
			x->w[x->n++] = in->w[i];
	}
	qsort(x->w, x->n, sizeof(*x->w), window_cmp);
	jb = windows_json(before, nb);
	ja = windows_json(x->w, x->n);
	if (!jb || !ja) {
		e = E_NOMEM;
		goto out;
	}
	if (json_equal(jb, ja))
		goto out;	/* nothing changes: nothing to write or record */
	x->changed = 1;
	if ((e = db_exec(db, x->a, &sql[Q_SHOP_WIN_DEL], NULL, "")))
		goto out;
	for (size_t i = 0; i < x->n && !e; i++)
		e = db_exec(db, x->a, &sql[Q_SHOP_WIN_SET], NULL, "ii", x->w[i].category_id, x->w[i].days);
	if (!e)
		e = audit_record(db, x->a, x->actor, "return_windows.update", "", jb, ja);
out:
	json_decref(jb);
	json_decref(ja);
	return e;
}

enum err returns_set_shop_windows(struct db *db, struct arena *a, const char *actor, const struct rt_shop_windows *in,
				  int *changed)
{
	struct shop_windows x = { a, actor, in, NULL, 0, 0 };
	enum err e = db_tx(db, tx_shop_windows, &x);

	if (changed)
		*changed = x.changed;
	return e;
}
