/* Reviews and ratings (reviews.h). */
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../events/stream.h"
#include "../catalog/catalog.h"
#include "../seller/import.h"
#include "reviews.h"
#include "ugc.h"

/* A review's columns: RV_* (reviews.h) follow this order. */
#define RV_SELECT "SELECT r.id, r.product_id, r.user_id, r.rating, r.title, r.comment, r.reviewer_name, r.status, " \
	"r.verified, r.helpful, r.reasons, r.reject_reason, DATE_FORMAT(r.created_at, '%Y-%m-%dT%H:%i:%sZ'), " \
	"DATE_FORMAT(COALESCE(r.updated_at, r.created_at), '%Y-%m-%dT%H:%i:%sZ'), r.reply_body, " \
	"DATE_FORMAT(r.reply_at, '%Y-%m-%dT%H:%i:%sZ'), p.slug, p.title, s.user_id " \
	"FROM reviews r JOIN products p ON p.id = r.product_id JOIN sellers s ON s.id = p.seller_id "
#define LIST_WHERE "WHERE r.product_id = ? AND r.status = 'published' AND (? = 0 OR r.rating = ?) "
#define PAGE "LIMIT ? OFFSET ?"

enum {
	Q_LIST_HELPFUL, Q_LIST_NEWEST, Q_LIST_HIGHEST, Q_LIST_LOWEST,
	Q_GET, Q_GET_MINE, Q_OF_USER, Q_QUEUE, Q_HIST, Q_VOTED,
	Q_PRODUCT, Q_USER_NAME, Q_MINE_LOCK, Q_BY_ID_LOCK, Q_DUP, Q_AUTHOR_RATE, Q_PRODUCT_RATE,
	Q_INSERT, Q_UPDATE, Q_DELETE, Q_VOTE, Q_VOTE_INC, Q_HELPFUL, Q_REPLY,
	Q_MOD_LOCK, Q_PUBLISH, Q_REJECT,
	Q_SETTING, Q_SETTING_SET,
	Q_RECOUNT, Q_PRODUCT_NUMS, Q_RANK, Q_AUTHOR, Q_WITH_SHOPPERS,
	NQ
};

static struct db_sql sql[NQ] = {
	[Q_LIST_HELPFUL] = { RV_SELECT LIST_WHERE "ORDER BY r.helpful DESC, r.created_at DESC, r.id DESC " PAGE, 0 },
	[Q_LIST_NEWEST] = { RV_SELECT LIST_WHERE "ORDER BY r.created_at DESC, r.id DESC " PAGE, 0 },
	[Q_LIST_HIGHEST] = { RV_SELECT LIST_WHERE "ORDER BY r.rating DESC, r.helpful DESC, r.id DESC " PAGE, 0 },
	[Q_LIST_LOWEST] = { RV_SELECT LIST_WHERE "ORDER BY r.rating ASC, r.helpful DESC, r.id DESC " PAGE, 0 },
	[Q_GET] = { RV_SELECT "WHERE r.id = ?", 0 },
	[Q_GET_MINE] = { RV_SELECT "WHERE r.user_id = ? AND r.product_id = ?", 0 },
	[Q_OF_USER] = { RV_SELECT "WHERE r.user_id = ? ORDER BY r.created_at DESC, r.id DESC LIMIT 200", 0 },
	[Q_QUEUE] = { RV_SELECT "WHERE r.status = ? ORDER BY r.created_at, r.id LIMIT ?", 0 },
	[Q_HIST] = { "SELECT rating, COUNT(*) FROM reviews WHERE product_id = ? AND status = 'published' "
		     "GROUP BY rating", 0 },
	[Q_VOTED] = { "SELECT 1 FROM review_votes WHERE user_id = ? AND review_id = ?", 0 },

	[Q_PRODUCT] = { "SELECT p.id, s.user_id FROM products p JOIN sellers s ON s.id = p.seller_id "
			"WHERE p.id = ? AND p.status = 'active'", 0 },
	[Q_USER_NAME] = { "SELECT name FROM users WHERE id = ?", 0 },
	[Q_MINE_LOCK] = { "SELECT id, status, rating, title, comment, reasons FROM reviews "
			  "WHERE product_id = ? AND user_id = ? FOR UPDATE", 0 },
	[Q_BY_ID_LOCK] = { "SELECT id, status, rating, title, comment, reasons, product_id FROM reviews "
			   "WHERE id = ? AND user_id = ? FOR UPDATE", 0 },
	[Q_DUP] = { "SELECT 1 FROM reviews WHERE fingerprint = ? AND id <> ? LIMIT 1", 0 },
	[Q_AUTHOR_RATE] = { "SELECT COUNT(*) FROM reviews WHERE user_id = ? AND id <> ? "
			    "AND created_at > NOW(3) - INTERVAL 1 HOUR", 0 },
	[Q_PRODUCT_RATE] = { "SELECT COUNT(*) FROM reviews WHERE product_id = ? AND id <> ? "
			     "AND created_at > NOW(3) - INTERVAL 10 MINUTE", 0 },
	[Q_INSERT] = { "INSERT INTO reviews (product_id, user_id, rating, title, comment, reviewer_name, status, "
		       "verified, reasons, fingerprint, created_at, updated_at) "
		       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(3), NOW(3))", 0 },
	[Q_UPDATE] = { "UPDATE reviews SET rating = ?, title = ?, comment = ?, reviewer_name = ?, status = ?, "
		       "verified = ?, reasons = ?, fingerprint = ?, reject_reason = NULL, updated_at = NOW(3) "
		       "WHERE id = ?", 0 },
	[Q_DELETE] = { "DELETE FROM reviews WHERE id = ?", 0 },
	[Q_VOTE] = { "INSERT IGNORE INTO review_votes (review_id, user_id) VALUES (?, ?)", 0 },
	[Q_VOTE_INC] = { "UPDATE reviews SET helpful = helpful + 1 WHERE id = ?", 0 },
	[Q_HELPFUL] = { "SELECT helpful FROM reviews WHERE id = ?", 0 },
	[Q_REPLY] = { "UPDATE reviews SET reply_body = ?, reply_at = NOW(3) WHERE id = ?", 0 },
	[Q_MOD_LOCK] = { "SELECT r.status, r.product_id, r.user_id, r.rating, s.user_id, p.seller_id "
			 "FROM reviews r JOIN products p ON p.id = r.product_id "
			 "JOIN sellers s ON s.id = p.seller_id WHERE r.id = ? FOR UPDATE", 0 },
	[Q_PUBLISH] = { "UPDATE reviews SET status = 'published', reject_reason = NULL, updated_at = NOW(3) "
			"WHERE id = ?", 0 },
	[Q_REJECT] = { "UPDATE reviews SET status = 'rejected', reject_reason = ?, updated_at = NOW(3) WHERE id = ?", 0 },
	[Q_SETTING] = { "SELECT value FROM review_settings WHERE name = 'accept_non_buyers'", 0 },
	[Q_SETTING_SET] = { "INSERT INTO review_settings (name, value) VALUES ('accept_non_buyers', ?) "
			    "ON DUPLICATE KEY UPDATE value = VALUES(value)", 0 },

	/* The average of the published reviews times 100, rounded half up
	 * in integers (as the product page computes it from the digest). */
	[Q_RECOUNT] = { "UPDATE products p JOIN (SELECT COUNT(*) AS n, COALESCE(SUM(rating), 0) AS s FROM reviews "
			"WHERE product_id = ? AND status = 'published') t "
			"SET p.review_count = t.n, p.rating_x100 = IF(t.n = 0, 0, (t.s * 100 + t.n DIV 2) DIV t.n) "
			"WHERE p.id = ?", 0 },
	[Q_PRODUCT_NUMS] = { "SELECT rating_x100, review_count, stock_total FROM products WHERE id = ?", 0 },
	[Q_RANK] = { "UPDATE products SET rank_score = ? WHERE id = ?", 0 },
	[Q_WITH_SHOPPERS] = { "SELECT DISTINCT product_id FROM reviews WHERE user_id IS NOT NULL ORDER BY product_id", 0 },
	[Q_AUTHOR] = { "SELECT u.email, u.name FROM reviews r JOIN users u ON u.id = r.user_id "
		       "WHERE r.id = ? AND u.status = 'active'", 0 },
};

static long long author_rate = 5, product_burst = 10;

void reviews_init(void)
{
	static int done;

	ugc_init();
	if (done++)
		return;
	db_register(sql, NQ);
	author_rate = config_env_num("SHOP_REVIEWS_AUTHOR_RATE", 5, 1, 1000000);
	product_burst = config_env_num("SHOP_REVIEWS_PRODUCT_BURST", 10, 1, 1000000);
}

static const char *const sort_names[REVIEWS_NSORTS] = { "helpful", "newest", "highest", "lowest" };

const char *reviews_sort_name(int sort)
{
	return sort >= 0 && sort < REVIEWS_NSORTS ? sort_names[sort] : "helpful";
}

int reviews_sort_parse(const char *s)
{
	for (int i = 0; s && i < REVIEWS_NSORTS; i++)
		if (!strcmp(s, sort_names[i]))
			return i;
	return -1;
}

/* Characters of UTF-8 text. */
static size_t chars(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void ferr(struct review_out *out, const char *field, const char *message)
{
	if (out->nerrs < (int)(sizeof(out->errs) / sizeof(out->errs[0])))
		out->errs[out->nerrs++] = (struct review_ferr){ field, message };
}

static void forbid(struct review_out *out, const char *why)
{
	out->forbidden = 1;
	out->why = why;
}

static enum err emit(struct db *db, struct arena *a, enum event_type type, int64_t id, int64_t product_id,
		     int64_t uid, int64_t rating, const char *reason)
{
	json_t *p = json_pack("{s:I, s:I, s:I, s:s}", "reviewId", (json_int_t)id, "productId",
			      (json_int_t)product_id, "rating", (json_int_t)rating, "reason", reason ? reason : "");

	if (!p)
		return E_NOMEM;
	json_object_set_new(p, "userId", uid > 0 ? json_integer(uid) : json_null());
	return event_emit(db, a, type, product_id, p);
}

/* The event of a move from status `from` (NULL: a new review) to `to`. */
static enum err emit_move(struct db *db, struct arena *a, const char *from, const char *to, int64_t id,
			  int64_t product_id, int64_t uid, int64_t rating, const char *reason)
{
	int was = from && !strcmp(from, "published"), is = !strcmp(to, "published");

	if (is)
		return emit(db, a, was ? EV_REVIEW_UPDATED : EV_REVIEW_PUBLISHED, id, product_id, uid, rating, reason);
	if (was)
		return emit(db, a, EV_REVIEW_REMOVED, id, product_id, uid, rating, reason);
	return E_OK;
}

/* ---- writing ---- */

struct write_op {
	struct arena *a;
	int64_t uid, product_id, id;	/* id: the review to edit (reviews_edit), else 0 */
	int64_t rating;			/* < 0: unchanged (an edit) */
	const char *title, *body;	/* cleaned; NULL: unchanged (an edit) */
	struct review_out *out;
};

static enum err tx_write(struct db *db, void *p)
{
	struct write_op *op = p;
	struct arena *a = op->a;
	struct review_out *out = op->out;
	struct db_res *r = NULL, *u = NULL, *mine = NULL;
	const char *old_status = NULL, *title, *body, *status, *fp, *name;
	int64_t rating, id = 0, seller_uid;
	unsigned flags;
	int verified = 0, on = 0;
	enum err e;

	out->forbidden = 0;
	out->created = 0;
	if (op->id) {
		if ((e = db_exec(db, a, &sql[Q_BY_ID_LOCK], &mine, "ii", op->id, op->uid)))
			return e;
		if (!mine->nrows)
			return E_NOTFOUND;
		op->product_id = db_int(mine, 0, 6);
	}
	if ((e = db_exec(db, a, &sql[Q_PRODUCT], &r, "i", op->product_id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	seller_uid = db_int(r, 0, 1);
	if (seller_uid == op->uid) {
		forbid(out, "Sellers cannot review their own items.");
		return E_OK;
	}
	if ((e = ugc_bought(db, a, op->uid, op->product_id, &verified)))
		return e;
	if (!verified) {
		if ((e = reviews_accept_non_buyers(db, a, &on)))
			return e;
		if (!on) {
			forbid(out, "Only shoppers who bought this item can review it.");
			return E_OK;
		}
	}
	if (!op->id && (e = db_exec(db, a, &sql[Q_MINE_LOCK], &mine, "ii", op->product_id, op->uid)))
		return e;
	if (mine && mine->nrows) {
		id = db_int(mine, 0, 0);
		old_status = arena_strdup(a, db_cell(mine, 0, 1));
	}
	rating = op->rating >= 0 ? op->rating : id ? db_int(mine, 0, 2) : 0;
	title = op->title ? op->title : id ? db_cell(mine, 0, 3) : "";
	body = op->body ? op->body : id ? db_cell(mine, 0, 4) : "";
	if ((e = db_exec(db, a, &sql[Q_USER_NAME], &u, "i", op->uid)))
		return e;
	name = ugc_display_name(a, u->nrows ? db_cell(u, 0, 0) : "");

	/* The automatic checks. */
	flags = ugc_check_text(title, body);
	if (!(fp = ugc_fingerprint(a, title, body)))
		return E_NOMEM;
	if ((e = db_exec(db, a, &sql[Q_DUP], &r, "si", fp, id)))
		return e;
	if (r->nrows)
		flags |= UGC_DUPLICATE;
	if (!id) {
		/* A new review: its author's and its product's pace. */
		if ((e = db_exec(db, a, &sql[Q_AUTHOR_RATE], &r, "ii", op->uid, id)))
			return e;
		if (db_int(r, 0, 0) + 1 > author_rate)
			flags |= UGC_RATE;
		if ((e = db_exec(db, a, &sql[Q_PRODUCT_RATE], &r, "ii", op->product_id, id)))
			return e;
		if (db_int(r, 0, 0) + 1 > product_burst)
			flags |= UGC_RATE;
	} else if (!strcmp(old_status, "pending")) {
		/* An edit does not clear what held it for its pace. */
		flags |= ugc_reasons_parse(db_cell(mine, 0, 5)) & UGC_RATE;
	}
	status = flags ? "pending" : "published";

	if (!id) {
		if ((e = db_exec(db, a, &sql[Q_INSERT], NULL, "iiisssssss", op->product_id, op->uid, rating, title,
				 body, name, status, verified ? "1" : "0", ugc_reasons(a, flags), fp))) {
			if (e == E_DB && db_errno(db) == 1062)
				return E_CONFLICT;	/* the same author at once: they may send again */
			return e;
		}
		id = (int64_t)db_insert_id(db);
		out->created = 1;
	} else if ((e = db_exec(db, a, &sql[Q_UPDATE], NULL, "isssssssi", rating, title, body, name, status,
				verified ? "1" : "0", ugc_reasons(a, flags), fp, id))) {
		return e;
	}
	out->id = id;
	out->status = status;
	return emit_move(db, a, old_status, status, id, op->product_id, op->uid, rating,
			 old_status ? "edited" : "written");
}

/* Cleans and checks the fields given (NULL: not given). */
static void check_fields(struct arena *a, int64_t rating, int rating_given, const char **title,
			 const char **body, int body_required, struct review_out *out)
{
	if (rating_given && (rating < 1 || rating > 5))
		ferr(out, "rating", rating_given < 0 ? "is required: 1 to 5 stars" : "must be a whole number from 1 to 5");
	if (*title) {
		*title = ugc_clean(a, *title);
		/* One line: newlines in a title become spaces. */
		for (char *p = (char *)*title; p && *p; p++)
			if (*p == '\n')
				*p = ' ';
		if (chars(*title) > REVIEW_TITLE_MAX)
			ferr(out, "title", "must be at most 120 characters");
	}
	if (*body || body_required) {
		*body = ugc_clean(a, *body ? *body : "");
		if (!**body)
			ferr(out, "body", "must not be empty");
		else if (chars(*body) > REVIEW_BODY_MAX)
			ferr(out, "body", "must be at most 5000 characters");
	}
}

enum err reviews_write(struct db *db, struct arena *a, int64_t uid, int64_t product_id, int64_t rating,
		       const char *title, const char *body, struct review_out *out)
{
	struct write_op op = { .a = a, .uid = uid, .product_id = product_id, .out = out };

	memset(out, 0, sizeof(*out));
	if (uid <= 0)
		return E_INVAL;
	check_fields(a, rating, rating ? 1 : -1, &title, &body, 1, out);
	if (!title)
		title = "";
	if (out->nerrs)
		return E_OK;
	op.rating = rating;
	op.title = title;
	op.body = body;
	return db_tx(db, tx_write, &op);
}

enum err reviews_edit(struct db *db, struct arena *a, int64_t uid, int64_t id, int64_t rating,
		      const char *title, const char *body, struct review_out *out)
{
	struct write_op op = { .a = a, .uid = uid, .id = id, .out = out };

	memset(out, 0, sizeof(*out));
	if (uid <= 0 || id <= 0)
		return E_NOTFOUND;
	check_fields(a, rating, rating >= 0 ? 1 : 0, &title, &body, 0, out);
	if (out->nerrs)
		return E_OK;
	op.rating = rating;
	op.title = title;
	op.body = body;
	return db_tx(db, tx_write, &op);
}

struct del_op {
	struct arena *a;
	int64_t uid, id;
};

static enum err tx_delete(struct db *db, void *p)
{
	struct del_op *op = p;
	struct db_res *r = NULL;
	const char *status;
	int64_t product_id, rating;
	enum err e;

	if ((e = db_exec(db, op->a, &sql[Q_BY_ID_LOCK], &r, "ii", op->id, op->uid)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	status = db_cell(r, 0, 1);
	rating = db_int(r, 0, 2);
	product_id = db_int(r, 0, 6);
	if ((e = db_exec(db, op->a, &sql[Q_DELETE], NULL, "i", op->id)))
		return e;
	if (!strcmp(status, "published"))
		return emit(db, op->a, EV_REVIEW_REMOVED, op->id, product_id, op->uid, rating, "deleted");
	return E_OK;
}

enum err reviews_delete(struct db *db, struct arena *a, int64_t uid, int64_t id)
{
	struct del_op op = { a, uid, id };

	if (uid <= 0 || id <= 0)
		return E_NOTFOUND;
	return db_tx(db, tx_delete, &op);
}

struct vote_op {
	struct arena *a;
	int64_t uid, id, helpful;
	struct review_out *out;
};

static enum err tx_vote(struct db *db, void *p)
{
	struct vote_op *op = p;
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, op->a, &sql[Q_GET], &r, "i", op->id)))
		return e;
	if (!r->nrows || strcmp(db_cell(r, 0, RV_STATUS), "published"))
		return E_NOTFOUND;
	if (db_int(r, 0, RV_USER) == op->uid) {
		forbid(op->out, "You cannot vote for your own review.");
		return E_OK;
	}
	if ((e = db_exec(db, op->a, &sql[Q_VOTE], NULL, "ii", op->id, op->uid)))
		return e;
	if (db_affected(db) == 1 && (e = db_exec(db, op->a, &sql[Q_VOTE_INC], NULL, "i", op->id)))
		return e;
	if ((e = db_exec(db, op->a, &sql[Q_HELPFUL], &r, "i", op->id)))
		return e;
	op->helpful = r->nrows ? db_int(r, 0, 0) : 0;
	return E_OK;
}

enum err reviews_vote(struct db *db, struct arena *a, int64_t uid, int64_t id, int64_t *helpful,
		      struct review_out *out)
{
	struct vote_op op = { .a = a, .uid = uid, .id = id, .out = out };
	enum err e;

	memset(out, 0, sizeof(*out));
	if (uid <= 0 || id <= 0)
		return E_NOTFOUND;
	e = db_tx(db, tx_vote, &op);
	*helpful = op.helpful;
	out->id = id;
	return e;
}

struct reply_op {
	struct arena *a;
	int64_t seller_id, id;
	const char *body;
	struct review_out *out;
};

static enum err tx_reply(struct db *db, void *p)
{
	struct reply_op *op = p;
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, op->a, &sql[Q_MOD_LOCK], &r, "i", op->id)))
		return e;
	if (!r->nrows || db_int(r, 0, 5) != op->seller_id || strcmp(db_cell(r, 0, 0), "published"))
		return E_NOTFOUND;
	op->out->id = op->id;
	op->out->status = "published";
	/* A visible review changed: its event (webhooks hear of the reply,
	 * and the ratings consumer's ProductUpdated refreshes the product
	 * page's cached copy). */
	if ((e = db_exec(db, op->a, &sql[Q_REPLY], NULL, "si", op->body, op->id)))
		return e;
	return emit(db, op->a, EV_REVIEW_UPDATED, op->id, db_int(r, 0, 1), db_int(r, 0, 2), db_int(r, 0, 3), "reply");
}

enum err reviews_reply(struct db *db, struct arena *a, int64_t seller_id, int64_t id, const char *body,
		       struct review_out *out)
{
	struct reply_op op = { a, seller_id, id, NULL, out };

	memset(out, 0, sizeof(*out));
	if (seller_id <= 0 || id <= 0)
		return E_NOTFOUND;
	body = ugc_clean(a, body ? body : "");
	if (!body)
		return E_NOMEM;
	if (!*body)
		ferr(out, "body", "must not be empty");
	else if (chars(body) > REVIEW_REPLY_MAX)
		ferr(out, "body", "must be at most 2000 characters");
	if (out->nerrs)
		return E_OK;
	op.body = body;
	return db_tx(db, tx_reply, &op);
}

struct mod_op {
	struct arena *a;
	int64_t admin_uid, id;
	int publish;
	const char *reason;
	struct review_out *out;
};

static enum err tx_moderate(struct db *db, void *p)
{
	struct mod_op *op = p;
	struct db_res *r = NULL;
	const char *status;
	int64_t product_id, uid, rating;
	enum err e;

	if ((e = db_exec(db, op->a, &sql[Q_MOD_LOCK], &r, "i", op->id)))
		return e;
	/* The product's seller never moderates its reviews: as if there were none. */
	if (!r->nrows || db_int(r, 0, 4) == op->admin_uid)
		return E_NOTFOUND;
	status = arena_strdup(op->a, db_cell(r, 0, 0));
	product_id = db_int(r, 0, 1);
	uid = db_int(r, 0, 2);
	rating = db_int(r, 0, 3);
	op->out->id = op->id;
	if (op->publish) {
		op->out->status = "published";
		if (!strcmp(status, "published"))
			return E_OK;
		if ((e = db_exec(db, op->a, &sql[Q_PUBLISH], NULL, "i", op->id)))
			return e;
		return emit(db, op->a, EV_REVIEW_PUBLISHED, op->id, product_id, uid, rating, "moderated");
	}
	op->out->status = "rejected";
	if ((e = db_exec(db, op->a, &sql[Q_REJECT], NULL, "si", op->reason, op->id)))
		return e;
	if (!strcmp(status, "rejected"))
		return E_OK;	/* the reason reworded: the author was told once */
	if (!strcmp(status, "published") &&
	    (e = emit(db, op->a, EV_REVIEW_REMOVED, op->id, product_id, uid, rating, op->reason)))
		return e;
	return emit(db, op->a, EV_REVIEW_REJECTED, op->id, product_id, uid, rating, op->reason);
}

enum err reviews_moderate(struct db *db, struct arena *a, int64_t admin_uid, int64_t id, int publish,
			  const char *reason, struct review_out *out)
{
	struct mod_op op = { .a = a, .admin_uid = admin_uid, .id = id, .publish = publish, .out = out };

	memset(out, 0, sizeof(*out));
	if (id <= 0)
		return E_NOTFOUND;
	if (!publish) {
		reason = ugc_clean(a, reason ? reason : "");
		if (!reason)
			return E_NOMEM;
		if (!*reason)
			ferr(out, "reason", "must not be empty: the author is told why");
		else if (chars(reason) > REVIEW_REASON_MAX)
			ferr(out, "reason", "must be at most 500 characters");
		if (out->nerrs)
			return E_OK;
		op.reason = reason;
	}
	return db_tx(db, tx_moderate, &op);
}

/* ---- reading ---- */

/* A list cursor: "o" and the offset of the next page. 0 when it is one. */
static int parse_offset(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (*s != 'o')
		return -1;
	v = strtoll(s + 1, &end, 10);
	if (end == s + 1 || *end || v < 0 || v > 100000)
		return -1;
	*out = v;
	return 0;
}

enum err reviews_list(struct db *db, struct arena *a, int64_t product_id, int sort, int stars,
		      const char *cursor, int limit, struct db_res **out, const char **next)
{
	int64_t offset = 0;
	enum err e;

	*next = NULL;
	if (sort < 0 || sort >= REVIEWS_NSORTS)
		sort = REVIEWS_SORT_HELPFUL;
	if (stars < 0 || stars > 5)
		stars = 0;
	if (cursor && *cursor && parse_offset(cursor, &offset))
		offset = 0;
	/* One more than asked: whether there is a next page. */
	if ((e = db_exec(db, a, &sql[Q_LIST_HELPFUL + sort], out, "iiiii", product_id, (int64_t)stars,
			 (int64_t)stars, (int64_t)limit + 1, offset)))
		return e;
	if ((*out)->nrows > (size_t)limit) {
		(*out)->nrows = (size_t)limit;
		*next = arena_printf(a, "o%lld", (long long)(offset + limit));
	}
	return E_OK;
}

enum err reviews_get(struct db *db, struct arena *a, int64_t id, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_GET], out, "i", id);
}

enum err reviews_get_mine(struct db *db, struct arena *a, int64_t uid, int64_t product_id, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_GET_MINE], out, "ii", uid, product_id);
}

enum err reviews_of_user(struct db *db, struct arena *a, int64_t uid, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_OF_USER], out, "i", uid);
}

enum err reviews_queue(struct db *db, struct arena *a, const char *status, int limit, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_QUEUE], out, "si", status, (int64_t)limit);
}

enum err reviews_histogram(struct db *db, struct arena *a, int64_t product_id, long counts[6], long *total,
			   long *x100)
{
	struct db_res *r = NULL;
	long sum = 0;
	enum err e;

	memset(counts, 0, 6 * sizeof(counts[0]));
	*total = 0;
	*x100 = 0;
	if ((e = db_exec(db, a, &sql[Q_HIST], &r, "i", product_id)))
		return e;
	for (size_t i = 0; i < r->nrows; i++) {
		int64_t s = db_int(r, i, 0);

		if (s >= 1 && s <= 5) {
			counts[s] = (long)db_int(r, i, 1);
			*total += counts[s];
			sum += (long)s * counts[s];
		}
	}
	if (*total)
		*x100 = (sum * 100 + *total / 2) / *total;
	return E_OK;
}

enum err reviews_voted(struct db *db, struct arena *a, int64_t uid, int64_t id, int *yes)
{
	struct db_res *r = NULL;
	enum err e;

	*yes = 0;
	if (uid <= 0)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_VOTED], &r, "ii", uid, id)))
		return e;
	*yes = r->nrows > 0;
	return E_OK;
}

enum err reviews_accept_non_buyers(struct db *db, struct arena *a, int *on)
{
	struct db_res *r = NULL;
	enum err e;

	*on = 0;
	if ((e = db_exec(db, a, &sql[Q_SETTING], &r, "")))
		return e;
	*on = r->nrows && db_cell(r, 0, 0) && !strcmp(db_cell(r, 0, 0), "1");
	return E_OK;
}

enum err reviews_set_accept_non_buyers(struct db *db, struct arena *a, int on)
{
	return db_exec(db, a, &sql[Q_SETTING_SET], NULL, "s", on ? "1" : "0");
}

enum err reviews_author(struct db *db, struct arena *a, int64_t id, const char **email, const char **name)
{
	struct db_res *r = NULL;
	enum err e;

	*email = *name = NULL;
	if ((e = db_exec(db, a, &sql[Q_AUTHOR], &r, "i", id)))
		return e;
	if (r->nrows) {
		*email = db_cell(r, 0, 0);
		*name = db_cell(r, 0, 1);
	}
	return E_OK;
}

/* ---- the "ratings" consumer ---- */

struct recount_op {
	struct arena *a;
	int64_t product_id;
};

static enum err tx_recount(struct db *db, void *p)
{
	struct recount_op *op = p;
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, op->a, &sql[Q_RECOUNT], NULL, "ii", op->product_id, op->product_id)) ||
	    (e = db_exec(db, op->a, &sql[Q_PRODUCT_NUMS], &r, "i", op->product_id)))
		return e;
	if (!r->nrows)
		return E_OK;	/* the product is gone */
	if ((e = catalog_refresh_digest(db, op->a, op->product_id)) ||
	    (e = db_exec(db, op->a, &sql[Q_RANK], NULL, "ii",
			 catalog_rank_score(db_int(r, 0, 0), db_int(r, 0, 1), db_int(r, 0, 2)), op->product_id)))
		return e;
	return event_emit(db, op->a, EV_PRODUCT_UPDATED, op->product_id,
			  json_pack("{s:I, s:I, s:s}", "id", (json_int_t)op->product_id, "productId",
				    (json_int_t)op->product_id, "reason", "rating"));
}

enum err reviews_recount(struct db *db, struct arena *a, int64_t product_id)
{
	struct recount_op op = { a, product_id };

	return db_tx(db, tx_recount, &op);
}

enum err reviews_on_event(struct db *db, struct kv *kv, struct arena *a, const struct event *ev)
{
	json_t *o = ev->json ? json_object_get(ev->json, "productId") : NULL;
	int64_t product_id = json_is_integer(o) ? json_integer_value(o) : ev->aggregate;

	(void)kv;
	if (product_id <= 0)
		return E_OK;
	return reviews_recount(db, a, product_id);
}

int reviews_recount_cmd(int argc, char **argv)
{
	struct db *db = NULL;
	struct arena *a = arena_new(1 << 16);
	struct db_res *r = NULL;
	long long one = 0;
	size_t n = 0;
	enum err e;
	int rc = 1;

	if (argc > 2)
		return 2;
	if (argc == 2) {
		char *end;

		errno = 0;
		one = strtoll(argv[1], &end, 10);
		if (errno || *end || one <= 0)
			return 2;
	}
	if (!a)
		goto out;
	if ((e = db_open(&db))) {
		fprintf(stderr, "reviews-recount: cannot connect to MariaDB: %s\n", err_str(e));
		goto out;
	}
	if (one) {
		if ((e = reviews_recount(db, a, one)))
			goto fail;
		n = 1;
	} else {
		if ((e = db_exec(db, a, &sql[Q_WITH_SHOPPERS], &r, "")))
			goto fail;
		for (size_t i = 0; i < r->nrows; i++, n++)
			if ((e = reviews_recount(db, a, db_int(r, i, 0))))
				goto fail;
	}
	printf("reviews-recount: %zu product%s recounted from their published reviews\n", n, n == 1 ? "" : "s");
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "reviews-recount: %s (%s)\n", err_str(e), db_error(db));
out:
	if (db)
		db_close(db);
	if (a)
		arena_destroy(a);
	return rc;
}
