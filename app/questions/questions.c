/* Product questions and answers (questions.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../core/text.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../reviews/ugc.h"
#include "questions.h"

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

/* A question's columns (QC_*), with its author and product. */
#define QCOLS "q.id, q.product_id, q.user_id, q.body, q.status, q.reasons, COALESCE(q.reject_reason, ''), " \
	      ISO("q.created_at") ", u.name, p.title, p.slug"
#define QJOIN "JOIN users u ON u.id = q.user_id JOIN products p ON p.id = q.product_id "
enum { QC_ID, QC_PRODUCT, QC_USER, QC_BODY, QC_STATUS, QC_REASONS, QC_REJECT, QC_CREATED, QC_NAME, QC_PTITLE,
       QC_PSLUG };

/* An answer's columns (AC_*): the seller's name for a seller's answer. */
#define ACOLS "a.id, a.question_id, a.product_id, a.user_id, a.body, a.status, a.reasons, " \
	      "COALESCE(a.reject_reason, ''), " ISO("a.created_at") ", " \
	      "IF(a.author_kind = 'seller', COALESCE(s.display_name, u.name), u.name), a.author_kind, a.helpful, " \
	      "p.title, p.slug, qq.body"
#define AJOIN "JOIN users u ON u.id = a.user_id JOIN products p ON p.id = a.product_id " \
	      "LEFT JOIN sellers s ON s.id = p.seller_id JOIN questions qq ON qq.id = a.question_id "
enum { AC_ID, AC_QUESTION, AC_PRODUCT, AC_USER, AC_BODY, AC_STATUS, AC_REASONS, AC_REJECT, AC_CREATED, AC_NAME,
       AC_BY, AC_HELPFUL, AC_PTITLE, AC_PSLUG, AC_QBODY };

#define Q10 "?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
#define Q20 Q10 ", " Q10

enum {
	Q_PRODUCT, Q_PRODUCT_SLUG, Q_LIST, Q_TOP, Q_COUNT, Q_ANSWERS_OF, Q_SELLER_LIST, Q_MINE_Q, Q_MINE_A,
	Q_QUESTION, Q_DUP, Q_RATE_AUTHOR, Q_RATE_PRODUCT, Q_INS_Q, Q_INS_A, Q_GET_Q, Q_GET_A, Q_LOCK_Q,
	Q_LOCK_A, Q_SELLER_UID, Q_SET_Q, Q_SET_A, Q_QUEUE_Q, Q_QUEUE_A, Q_VOTE_INS, Q_VOTE_INC,
	Q_HELPFUL, Q_MAIL_Q, Q_MAIL_A, NQ
};

static struct db_sql sql[NQ] = {
	[Q_PRODUCT] = { "SELECT p.id, p.seller_id, COALESCE(s.user_id, 0), p.slug, p.title FROM products p "
			"LEFT JOIN sellers s ON s.id = p.seller_id WHERE p.id = ? AND p.status = 'active'", 0 },
	[Q_PRODUCT_SLUG] = { "SELECT p.id, p.seller_id, COALESCE(s.user_id, 0), p.slug, p.title FROM products p "
			     "LEFT JOIN sellers s ON s.id = p.seller_id WHERE p.slug = ? AND p.status = 'active'", 0 },
	[Q_LIST] = { "SELECT " QCOLS " FROM questions q " QJOIN "WHERE q.product_id = ? AND q.status = 'published' "
		     "AND q.id < ? ORDER BY q.id DESC LIMIT ?", 0 },
	/* Answered questions, the one whose best answer is most helpful
	 * first, then the most recently answered. */
	[Q_TOP] = { "SELECT " QCOLS " FROM (SELECT question_id, MAX(helpful) AS best, MAX(id) AS last FROM answers "
		    "WHERE product_id = ? AND status = 'published' GROUP BY question_id) t "
		    "JOIN questions q ON q.id = t.question_id " QJOIN "WHERE q.status = 'published' "
		    "ORDER BY t.best DESC, t.last DESC LIMIT ?", 0 },
	[Q_COUNT] = { "SELECT COUNT(*) FROM questions WHERE product_id = ? AND status = 'published'", 0 },
	[Q_ANSWERS_OF] = { "SELECT " ACOLS " FROM answers a " AJOIN "WHERE a.question_id IN (" Q20 ") "
			   "AND a.status = 'published' ORDER BY a.helpful DESC, a.id", 0 },
	[Q_SELLER_LIST] = { "SELECT " QCOLS " FROM questions q " QJOIN "WHERE p.seller_id = ? AND q.status = 'published' "
			    "AND q.id < ? AND (? = 0 OR NOT EXISTS (SELECT 1 FROM answers x WHERE x.question_id = q.id "
			    "AND x.author_kind = 'seller' AND x.status <> 'rejected')) ORDER BY q.id DESC LIMIT ?", 0 },
	[Q_MINE_Q] = { "SELECT " QCOLS " FROM questions q " QJOIN "WHERE q.user_id = ? AND q.product_id = ? "
		       "AND q.status <> 'published' ORDER BY q.id DESC LIMIT 20", 0 },
	[Q_MINE_A] = { "SELECT " ACOLS " FROM answers a " AJOIN "WHERE a.user_id = ? AND a.product_id = ? "
		       "AND a.status <> 'published' ORDER BY a.id DESC LIMIT 20", 0 },
	[Q_QUESTION] = { "SELECT product_id, status FROM questions WHERE id = ?", 0 },
	[Q_DUP] = { "SELECT EXISTS (SELECT 1 FROM questions WHERE fingerprint = ?) "
		    "OR EXISTS (SELECT 1 FROM answers WHERE fingerprint = ?)", 0 },
	[Q_RATE_AUTHOR] = { "SELECT (SELECT COUNT(*) FROM questions WHERE user_id = ? AND created_at > NOW(3) - INTERVAL 1 HOUR) "
			    "+ (SELECT COUNT(*) FROM answers WHERE user_id = ? AND created_at > NOW(3) - INTERVAL 1 HOUR)", 0 },
	[Q_RATE_PRODUCT] = { "SELECT (SELECT COUNT(*) FROM questions WHERE product_id = ? "
			     "AND created_at > NOW(3) - INTERVAL 10 MINUTE) + (SELECT COUNT(*) FROM answers "
			     "WHERE product_id = ? AND created_at > NOW(3) - INTERVAL 10 MINUTE)", 0 },
	[Q_INS_Q] = { "INSERT INTO questions (product_id, user_id, body, status, reasons, fingerprint, published_at) "
		      "VALUES (?, ?, ?, ?, ?, ?, IF(? = 'published', NOW(3), NULL))", 0 },
	[Q_INS_A] = { "INSERT INTO answers (question_id, product_id, user_id, body, author_kind, status, reasons, "
		      "fingerprint, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, IF(? = 'published', NOW(3), NULL))", 0 },
	[Q_GET_Q] = { "SELECT " QCOLS " FROM questions q " QJOIN "WHERE q.id = ?", 0 },
	[Q_GET_A] = { "SELECT " ACOLS " FROM answers a " AJOIN "WHERE a.id = ?", 0 },
	[Q_LOCK_Q] = { "SELECT status, product_id, user_id, 0, '' FROM questions WHERE id = ? FOR UPDATE", 0 },
	[Q_LOCK_A] = { "SELECT status, product_id, user_id, question_id, author_kind FROM answers WHERE id = ? FOR UPDATE", 0 },
	[Q_SELLER_UID] = { "SELECT COALESCE(s.user_id, 0) FROM products p LEFT JOIN sellers s ON s.id = p.seller_id "
			   "WHERE p.id = ?", 0 },
	[Q_SET_Q] = { "UPDATE questions SET status = ?, reject_reason = ?, moderated_by = ?, "
		      "published_at = IF(? = 'published', COALESCE(published_at, NOW(3)), published_at) WHERE id = ?", 0 },
	[Q_SET_A] = { "UPDATE answers SET status = ?, reject_reason = ?, moderated_by = ?, "
		      "published_at = IF(? = 'published', COALESCE(published_at, NOW(3)), published_at) WHERE id = ?", 0 },
	[Q_QUEUE_Q] = { "SELECT " QCOLS " FROM questions q " QJOIN "LEFT JOIN sellers s ON s.id = p.seller_id "
			"WHERE q.status = ? AND (s.user_id IS NULL OR s.user_id <> ?) ORDER BY q.id LIMIT 100", 0 },
	[Q_QUEUE_A] = { "SELECT " ACOLS " FROM answers a " AJOIN "WHERE a.status = ? AND (s.user_id IS NULL OR s.user_id <> ?) "
			"ORDER BY a.id LIMIT 100", 0 },
	[Q_VOTE_INS] = { "INSERT IGNORE INTO answer_votes (answer_id, user_id) VALUES (?, ?)", 0 },
	[Q_VOTE_INC] = { "UPDATE answers SET helpful = helpful + 1 WHERE id = ?", 0 },
	[Q_HELPFUL] = { "SELECT helpful FROM answers WHERE id = ?", 0 },
	[Q_MAIL_Q] = { "SELECT q.body, q.status, p.id, p.title, p.slug, s.display_name, COALESCE(s.contact_email, su.email), "
		       "COALESCE(s.user_id, 0), u.name, q.user_id FROM questions q JOIN products p ON p.id = q.product_id "
		       "JOIN sellers s ON s.id = p.seller_id LEFT JOIN users su ON su.id = s.user_id "
		       "JOIN users u ON u.id = q.user_id WHERE q.id = ?", 0 },
	[Q_MAIL_A] = { "SELECT a.body, a.status, a.author_kind, a.user_id, q.id, q.body, q.status, q.user_id, u.email, "
		       "u.name, u.status, p.id, p.title, p.slug, au.name, s.display_name "
		       "FROM answers a JOIN questions q ON q.id = a.question_id JOIN users u ON u.id = q.user_id "
		       "JOIN users au ON au.id = a.user_id JOIN products p ON p.id = a.product_id "
		       "LEFT JOIN sellers s ON s.id = p.seller_id WHERE a.id = ?", 0 },
};

static long author_rate = 10, product_burst = 20;

void questions_init(void)
{
	static int done;

	ugc_init();
	author_rate = (long)config_env_num("SHOP_QUESTIONS_AUTHOR_RATE", 10, 1, 100000);
	product_burst = (long)config_env_num("SHOP_QUESTIONS_PRODUCT_BURST", 20, 1, 100000);
	if (!done++)
		db_register(sql, NQ);
}

static const char *cell(const struct db_res *r, size_t i, size_t c)
{
	const char *s = db_cell(r, i, c);

	return s ? s : "";
}

/* ---- reading ---- */

static enum err product_from(const struct db_res *r, struct q_product *p)
{
	memset(p, 0, sizeof(*p));
	if (!r->nrows)
		return E_NOTFOUND;
	p->id = db_int(r, 0, 0);
	p->seller_id = db_int(r, 0, 1);
	p->seller_uid = db_int(r, 0, 2);
	p->slug = cell(r, 0, 3);
	p->title = cell(r, 0, 4);
	return E_OK;
}

enum err questions_product(struct db *db, struct arena *a, int64_t id, struct q_product *p)
{
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_PRODUCT], &r, "i", id)))
		return e;
	return product_from(r, p);
}

enum err questions_product_by_slug(struct db *db, struct arena *a, const char *slug, struct q_product *p)
{
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_PRODUCT_SLUG], &r, "s", slug)))
		return e;
	return product_from(r, p);
}

static void question_from(struct arena *a, const struct db_res *r, size_t i, struct q_text *t)
{
	memset(t, 0, sizeof(*t));
	t->id = db_int(r, i, QC_ID);
	t->product_id = db_int(r, i, QC_PRODUCT);
	t->user_id = db_int(r, i, QC_USER);
	t->body = cell(r, i, QC_BODY);
	t->status = cell(r, i, QC_STATUS);
	t->reasons = cell(r, i, QC_REASONS);
	t->reject_reason = cell(r, i, QC_REJECT);
	t->created_at = cell(r, i, QC_CREATED);
	t->author = ugc_display_name(a, cell(r, i, QC_NAME));
	t->product_title = cell(r, i, QC_PTITLE);
	t->product_slug = cell(r, i, QC_PSLUG);
}

static void answer_from(struct arena *a, const struct db_res *r, size_t i, struct q_text *t)
{
	memset(t, 0, sizeof(*t));
	t->id = db_int(r, i, AC_ID);
	t->question_id = db_int(r, i, AC_QUESTION);
	t->product_id = db_int(r, i, AC_PRODUCT);
	t->user_id = db_int(r, i, AC_USER);
	t->body = cell(r, i, AC_BODY);
	t->status = cell(r, i, AC_STATUS);
	t->reasons = cell(r, i, AC_REASONS);
	t->reject_reason = cell(r, i, AC_REJECT);
	t->created_at = cell(r, i, AC_CREATED);
	t->by = cell(r, i, AC_BY);
	/* A seller answers under the shop's name; a buyer as "Ada L.". */
	t->author = !strcmp(t->by, "seller") ? cell(r, i, AC_NAME) : ugc_display_name(a, cell(r, i, AC_NAME));
	t->helpful = db_int(r, i, AC_HELPFUL);
	t->product_title = cell(r, i, AC_PTITLE);
	t->product_slug = cell(r, i, AC_PSLUG);
	t->question_body = cell(r, i, AC_QBODY);
}

/* The questions of r (at most QUESTIONS_PAGE_MAX) into out, with their
 * published answers in one query. */
static enum err with_answers(struct db *db, struct arena *a, const struct db_res *r, size_t n, struct q_list *out)
{
	int64_t ids[20] = { 0 };
	struct db_res *ar = NULL;
	enum err e;

	out->n = n;
	if (!n)
		return E_OK;
	if (!(out->v = arena_calloc(a, n, sizeof(*out->v))))
		return E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		question_from(a, r, i, &out->v[i].q);
		ids[i] = out->v[i].q.id;
	}
	if ((e = db_exec(db, a, &sql[Q_ANSWERS_OF], &ar, "iiiiiiiiiiiiiiiiiiii", ids[0], ids[1], ids[2], ids[3],
			 ids[4], ids[5], ids[6], ids[7], ids[8], ids[9], ids[10], ids[11], ids[12], ids[13], ids[14],
			 ids[15], ids[16], ids[17], ids[18], ids[19])))
		return e;
	for (size_t i = 0; i < n; i++) {
		struct q_item *it = &out->v[i];
		size_t k = 0;

		for (size_t j = 0; j < ar->nrows; j++)
			k += db_int(ar, j, AC_QUESTION) == it->q.id;
		if (!k)
			continue;
		if (!(it->answers = arena_calloc(a, k, sizeof(*it->answers))))
			return E_NOMEM;
		for (size_t j = 0; j < ar->nrows; j++)
			if (db_int(ar, j, AC_QUESTION) == it->q.id)
				answer_from(a, ar, j, &it->answers[it->nanswers++]);
	}
	return E_OK;
}

static size_t page_size(size_t limit)
{
	return limit < 1 ? 1 : limit > QUESTIONS_PAGE_MAX ? QUESTIONS_PAGE_MAX : limit;
}

enum err questions_list(struct db *db, struct arena *a, int64_t product_id, int64_t before, size_t limit,
			struct q_list *out)
{
	struct db_res *r = NULL;
	size_t n = page_size(limit);
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = db_exec(db, a, &sql[Q_LIST], &r, "iii", product_id, before > 0 ? before : INT64_MAX, (int64_t)n + 1)))
		return e;
	if (r->nrows > n)
		out->next = db_int(r, n - 1, QC_ID);
	return with_answers(db, a, r, r->nrows > n ? n : r->nrows, out);
}

enum err questions_top(struct db *db, struct arena *a, int64_t product_id, size_t limit, struct q_list *out,
		       int64_t *total)
{
	struct db_res *r = NULL, *c = NULL;
	enum err e;

	memset(out, 0, sizeof(*out));
	*total = 0;
	if ((e = db_exec(db, a, &sql[Q_COUNT], &c, "i", product_id)))
		return e;
	*total = db_int(c, 0, 0);
	if (!*total)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_TOP], &r, "ii", product_id, (int64_t)page_size(limit))))
		return e;
	return with_answers(db, a, r, r->nrows, out);
}

enum err questions_for_seller(struct db *db, struct arena *a, int64_t seller_id, int unanswered, int64_t before,
			      size_t limit, struct q_list *out)
{
	struct db_res *r = NULL;
	size_t n = page_size(limit);
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = db_exec(db, a, &sql[Q_SELLER_LIST], &r, "iiii", seller_id, before > 0 ? before : INT64_MAX,
			 (int64_t)(unanswered != 0), (int64_t)n + 1)))
		return e;
	if (r->nrows > n)
		out->next = db_int(r, n - 1, QC_ID);
	return with_answers(db, a, r, r->nrows > n ? n : r->nrows, out);
}

/* Questions r and answers s (rows of the QC_ and AC_ columns) as texts. */
static enum err texts_from(struct arena *a, const struct db_res *r, const struct db_res *s, struct q_text **qs,
			   size_t *nq, struct q_text **as, size_t *na)
{
	if ((r->nrows && !(*qs = arena_calloc(a, r->nrows, sizeof(**qs)))) ||
	    (s->nrows && !(*as = arena_calloc(a, s->nrows, sizeof(**as)))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++)
		question_from(a, r, i, &(*qs)[i]);
	for (size_t i = 0; i < s->nrows; i++)
		answer_from(a, s, i, &(*as)[i]);
	*nq = r->nrows;
	*na = s->nrows;
	return E_OK;
}

enum err questions_mine(struct db *db, struct arena *a, int64_t uid, int64_t product_id, struct q_text **qs,
			size_t *nq, struct q_text **as, size_t *na)
{
	struct db_res *r = NULL, *s = NULL;
	enum err e;

	*qs = *as = NULL;
	*nq = *na = 0;
	if ((e = db_exec(db, a, &sql[Q_MINE_Q], &r, "ii", uid, product_id)) ||
	    (e = db_exec(db, a, &sql[Q_MINE_A], &s, "ii", uid, product_id)))
		return e;
	return texts_from(a, r, s, qs, nq, as, na);
}

enum err questions_get(struct db *db, struct arena *a, enum q_kind kind, int64_t id, struct q_text *out)
{
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[kind == QK_QUESTION ? Q_GET_Q : Q_GET_A], &r, "i", id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	if (kind == QK_QUESTION)
		question_from(a, r, 0, out);
	else
		answer_from(a, r, 0, out);
	return E_OK;
}

/* ---- writing ---- */

/* Letters and digits of s: what the fingerprint hashes. */
static size_t alnum_count(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += isalnum(*p) || (*p >= 0xc0);	/* a multibyte character counts once */
	return n;
}

/* The cleaned body, or a refusal (422) in w. */
static const char *clean_body(struct arena *a, struct q_write *w)
{
	const char *b = ugc_clean(a, w->body ? w->body : "");
	long n;

	if (!b)
		return NULL;
	n = text_chars(b, TEXT_MULTILINE);
	if (n <= 0) {
		w->status = 422;
		w->why = "must not be empty";
	} else if (n > QUESTIONS_MAX_CHARS) {
		w->status = 422;
		w->why = arena_printf(a, "must be at most %d characters (it has %ld)", QUESTIONS_MAX_CHARS, n);
	}
	return b;
}

/* What holds a new text (0: publish it): the text checks, a duplicate, a
 * rate. */
static enum err hold_flags(struct db *db, struct arena *a, int64_t uid, int64_t product_id, const char *body,
			   const char *fp, unsigned *flags)
{
	struct db_res *r = NULL;
	enum err e;

	*flags = ugc_check_text(NULL, body);
	if (alnum_count(body) >= QUESTIONS_DUP_MIN) {
		if ((e = db_exec(db, a, &sql[Q_DUP], &r, "ss", fp, fp)))
			return e;
		if (db_int(r, 0, 0))
			*flags |= UGC_DUPLICATE;
	}
	if ((e = db_exec(db, a, &sql[Q_RATE_AUTHOR], &r, "ii", uid, uid)))
		return e;
	if (db_int(r, 0, 0) >= author_rate)
		*flags |= UGC_RATE;
	if ((e = db_exec(db, a, &sql[Q_RATE_PRODUCT], &r, "ii", product_id, product_id)))
		return e;
	if (db_int(r, 0, 0) >= product_burst)
		*flags |= UGC_RATE;
	return E_OK;
}

struct write_tx {
	struct arena *a;
	struct q_write *w;
	int64_t product_id, question_id;
	const char *body, *by;
};

static json_t *answer_payload(int64_t aid, int64_t qid, int64_t pid, int64_t uid, const char *by, const char *reason)
{
	json_t *o = json_pack("{sIsIsIsIss}", "answerId", (json_int_t)aid, "questionId", (json_int_t)qid,
			      "productId", (json_int_t)pid, "userId", (json_int_t)uid, "by", by);

	if (o && reason)
		json_object_set_new(o, "reason", json_string(reason));
	return o;
}

static json_t *question_payload(int64_t qid, int64_t pid, int64_t uid, const char *reason)
{
	json_t *o = json_pack("{sIsIsI}", "questionId", (json_int_t)qid, "productId", (json_int_t)pid,
			      "userId", (json_int_t)uid);

	if (o && reason)
		json_object_set_new(o, "reason", json_string(reason));
	return o;
}

static enum err write_tx(struct db *db, void *p)
{
	struct write_tx *t = p;
	struct q_write *w = t->w;
	const char *fp = ugc_fingerprint(t->a, NULL, t->body), *status, *reasons;
	int64_t id;
	enum err e;

	if (!fp)
		return E_NOMEM;
	if ((e = hold_flags(db, t->a, w->uid, t->product_id, t->body, fp, &w->flags)))
		return e;
	status = w->flags ? "pending" : "published";
	if (!(reasons = ugc_reasons(t->a, w->flags)))
		return E_NOMEM;
	if (!t->by) {
		if ((e = db_exec(db, t->a, &sql[Q_INS_Q], NULL, "iisssss", t->product_id, w->uid, t->body, status,
				 reasons, fp, status)))
			return e;
		id = (int64_t)db_insert_id(db);
		if (!w->flags)
			e = event_emit(db, t->a, EV_QUESTION_PUBLISHED, t->product_id,
				       question_payload(id, t->product_id, w->uid, NULL));
	} else {
		if ((e = db_exec(db, t->a, &sql[Q_INS_A], NULL, "iiissssss", t->question_id, t->product_id, w->uid,
				 t->body, t->by, status, reasons, fp, status)))
			return e;
		id = (int64_t)db_insert_id(db);
		if (!w->flags)
			e = event_emit(db, t->a, EV_ANSWER_PUBLISHED, t->product_id,
				       answer_payload(id, t->question_id, t->product_id, w->uid, t->by, NULL));
	}
	w->t.id = id;
	return e;
}

enum err questions_ask(struct db *db, struct arena *a, struct q_write *w)
{
	struct q_product p;
	struct write_tx t = { a, w, 0, 0, NULL, NULL };
	enum err e;

	w->status = 0;
	w->why = NULL;
	if ((e = questions_product(db, a, w->target, &p))) {
		if (e == E_NOTFOUND)
			w->status = 404;
		return e == E_NOTFOUND ? E_OK : e;
	}
	if (!(t.body = clean_body(a, w)))
		return E_NOMEM;
	if (w->status)
		return E_OK;
	t.product_id = p.id;
	if ((e = db_tx(db, write_tx, &t)))
		return e;
	return questions_get(db, a, QK_QUESTION, w->t.id, &w->t);
}

enum err questions_answer_as(struct db *db, struct arena *a, int64_t uid, int64_t seller_id,
			     const struct q_product *p, const char **by)
{
	int bought = 0;
	enum err e;

	*by = NULL;
	if (uid <= 0)
		return E_OK;
	if (seller_id > 0 && seller_id == p->seller_id) {
		*by = "seller";
		return E_OK;
	}
	if ((e = ugc_bought(db, a, uid, p->id, &bought)))
		return e;
	if (bought)
		*by = "buyer";
	return E_OK;
}

enum err questions_answer(struct db *db, struct arena *a, struct q_write *w)
{
	struct db_res *r = NULL;
	struct q_product p;
	struct write_tx t = { a, w, 0, w->target, NULL, NULL };
	enum err e;

	w->status = 0;
	w->why = NULL;
	if ((e = db_exec(db, a, &sql[Q_QUESTION], &r, "i", w->target)))
		return e;
	if (!r->nrows || strcmp(cell(r, 0, 1), "published")) {
		w->status = 404;
		return E_OK;
	}
	if ((e = questions_product(db, a, db_int(r, 0, 0), &p))) {
		if (e == E_NOTFOUND)
			w->status = 404;
		return e == E_NOTFOUND ? E_OK : e;
	}
	if ((e = questions_answer_as(db, a, w->uid, w->seller_id, &p, &t.by)))
		return e;
	if (!t.by) {
		w->status = 403;
		w->why = "Only the seller and shoppers who bought this item can answer its questions.";
		return E_OK;
	}
	if (!(t.body = clean_body(a, w)))
		return E_NOMEM;
	if (w->status)
		return E_OK;
	t.product_id = p.id;
	if ((e = db_tx(db, write_tx, &t)))
		return e;
	return questions_get(db, a, QK_ANSWER, w->t.id, &w->t);
}

/* ---- votes ---- */

struct vote_tx {
	struct arena *a;
	int64_t uid, aid;
	int status, added;
	int64_t helpful;
};

static enum err vote_tx(struct db *db, void *p)
{
	struct vote_tx *v = p;
	struct db_res *r = NULL;
	enum err e;

	v->status = 0;
	v->added = 0;
	if ((e = db_exec(db, v->a, &sql[Q_LOCK_A], &r, "i", v->aid)))
		return e;
	if (!r->nrows || strcmp(cell(r, 0, 0), "published")) {
		v->status = 404;
		return E_OK;
	}
	if (db_int(r, 0, 2) == v->uid) {
		v->status = 403;
		return E_OK;
	}
	if ((e = db_exec(db, v->a, &sql[Q_VOTE_INS], NULL, "ii", v->aid, v->uid)))
		return e;
	if (db_affected(db) == 1) {
		v->added = 1;
		if ((e = db_exec(db, v->a, &sql[Q_VOTE_INC], NULL, "i", v->aid)))
			return e;
	}
	if ((e = db_exec(db, v->a, &sql[Q_HELPFUL], &r, "i", v->aid)))
		return e;
	v->helpful = db_int(r, 0, 0);
	return E_OK;
}

enum err questions_vote(struct db *db, struct arena *a, int64_t uid, int64_t answer_id, int *status,
			int *added, int64_t *helpful)
{
	struct vote_tx v = { a, uid, answer_id, 0, 0, 0 };
	enum err e = db_tx(db, vote_tx, &v);

	*status = v.status;
	*added = v.added;
	*helpful = v.helpful;
	return e;
}

/* ---- moderation ---- */

enum err questions_queue(struct db *db, struct arena *a, const char *status, int64_t admin_uid,
			 struct q_text **qs, size_t *nq, struct q_text **as, size_t *na)
{
	struct db_res *r = NULL, *s = NULL;
	enum err e;

	*qs = *as = NULL;
	*nq = *na = 0;
	if ((e = db_exec(db, a, &sql[Q_QUEUE_Q], &r, "si", status, admin_uid)) ||
	    (e = db_exec(db, a, &sql[Q_QUEUE_A], &s, "si", status, admin_uid)))
		return e;
	return texts_from(a, r, s, qs, nq, as, na);
}

struct mod_tx {
	struct arena *a;
	enum q_kind kind;
	int64_t id, admin;
	int publish;
	const char *reason;
};

static enum err mod_tx(struct db *db, void *p)
{
	struct mod_tx *m = p;
	struct db_res *r = NULL, *s = NULL;
	const char *to = m->publish ? "published" : "rejected";
	int64_t pid, uid;
	json_t *payload;
	enum err e;

	if ((e = db_exec(db, m->a, &sql[m->kind == QK_QUESTION ? Q_LOCK_Q : Q_LOCK_A], &r, "i", m->id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	pid = db_int(r, 0, 1);
	uid = db_int(r, 0, 2);
	/* Nobody moderates what is written about their own product. */
	if ((e = db_exec(db, m->a, &sql[Q_SELLER_UID], &s, "i", pid)))
		return e;
	if (s->nrows && db_int(s, 0, 0) == m->admin)
		return E_NOTFOUND;
	if (!strcmp(cell(r, 0, 0), to))
		return E_OK;	/* already so: no event */
	if ((e = db_exec(db, m->a, &sql[m->kind == QK_QUESTION ? Q_SET_Q : Q_SET_A], NULL, "ssisi", to,
			 m->publish ? NULL : m->reason, m->admin, to, m->id)))
		return e;
	if (m->kind == QK_QUESTION)
		payload = question_payload(m->id, pid, uid, m->publish ? NULL : m->reason);
	else
		payload = answer_payload(m->id, db_int(r, 0, 3), pid, uid, cell(r, 0, 4), m->publish ? NULL : m->reason);
	return event_emit(db, m->a, m->kind == QK_QUESTION ?
			  (m->publish ? EV_QUESTION_PUBLISHED : EV_QUESTION_REJECTED) :
			  (m->publish ? EV_ANSWER_PUBLISHED : EV_ANSWER_REJECTED), pid, payload);
}

enum err questions_moderate(struct db *db, struct arena *a, enum q_kind kind, int64_t id, int publish,
			    const char *reason, int64_t admin_uid, struct q_text *out)
{
	struct mod_tx m = { a, kind, id, admin_uid, publish, NULL };
	enum err e;

	if (!publish) {
		long n;

		if (!(m.reason = ugc_clean(a, reason ? reason : "")))
			return E_NOMEM;
		n = text_chars(m.reason, TEXT_MULTILINE);
		if (n <= 0 || n > QUESTIONS_REASON_MAX)
			return E_INVAL;
	}
	if ((e = db_tx(db, mod_tx, &m)))
		return e;
	return questions_get(db, a, kind, id, out);
}

/* ---- the mails ---- */

enum err questions_mail_question(struct db *db, struct arena *a, int64_t question_id, struct q_mail *m)
{
	struct db_res *r = NULL;
	enum err e;

	memset(m, 0, sizeof(*m));
	if ((e = db_exec(db, a, &sql[Q_MAIL_Q], &r, "i", question_id)))
		return e;
	/* No mail about one's own question (a seller trying their page). */
	if (!r->nrows || strcmp(cell(r, 0, 1), "published") || !*cell(r, 0, 6) || db_int(r, 0, 7) == db_int(r, 0, 9))
		return E_NOTFOUND;
	m->question_id = question_id;
	m->question = cell(r, 0, 0);
	m->product_id = db_int(r, 0, 2);
	m->product_title = cell(r, 0, 3);
	m->product_slug = cell(r, 0, 4);
	m->to_name = cell(r, 0, 5);
	m->to = cell(r, 0, 6);
	m->to_uid = db_int(r, 0, 7);
	m->author = ugc_display_name(a, cell(r, 0, 8));
	return E_OK;
}

enum err questions_mail_answer(struct db *db, struct arena *a, int64_t answer_id, struct q_mail *m)
{
	struct db_res *r = NULL;
	enum err e;

	memset(m, 0, sizeof(*m));
	if ((e = db_exec(db, a, &sql[Q_MAIL_A], &r, "i", answer_id)))
		return e;
	if (!r->nrows || strcmp(cell(r, 0, 1), "published") || strcmp(cell(r, 0, 6), "published") ||
	    db_int(r, 0, 3) == db_int(r, 0, 7) || strcmp(cell(r, 0, 10), "active"))
		return E_NOTFOUND;
	m->answer_id = answer_id;
	m->answer = cell(r, 0, 0);
	m->by = cell(r, 0, 2);
	m->question_id = db_int(r, 0, 4);
	m->question = cell(r, 0, 5);
	m->to_uid = db_int(r, 0, 7);
	m->to = cell(r, 0, 8);
	m->to_name = cell(r, 0, 9);
	m->product_id = db_int(r, 0, 11);
	m->product_title = cell(r, 0, 12);
	m->product_slug = cell(r, 0, 13);
	m->author = !strcmp(m->by, "seller") && db_cell(r, 0, 15) ? cell(r, 0, 15) : ugc_display_name(a, cell(r, 0, 14));
	return E_OK;
}
