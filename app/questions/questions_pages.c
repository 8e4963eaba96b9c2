/* Product questions and answers: pages and JSON API (questions_pages.h).
 * The rules and SQL are questions.c's; sign-in, roles and CSRF are the
 * route table's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/log.h"
#include "../http/cursor.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../account/session_pages.h"
#include "../reviews/ugc.h"
#include "questions.h"
#include "questions_pages.h"

#define PRODUCT_TOP 3		/* answered questions on the product page */
#define PRODUCT_ANSWERS 2	/* answers of each there */
#define PAGE_SIZE 10		/* questions per page of /p/{slug}/questions */

static void release_json(void *p)
{
	json_decref(p);
}

static int64_t path_id(const struct ctx *c)
{
	const char *s = c->req->npathvar > 0 ? c->req->pathvar[0] : NULL;
	int64_t id;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

static int64_t uid_of(const struct ctx *c)
{
	return c->sess ? c->sess->uid : 0;
}

static int64_t seller_of(const struct ctx *c)
{
	return c->sess && c->sess->is_seller ? c->sess->seller_id : 0;
}

/* "q|<id>": the next page after question id. 0 for none; -1 when the
 * cursor is not one of ours (400). */
static int64_t cursor_of(struct ctx *c)
{
	const char *cur = ctx_str(c, "cursor");
	char *payload = NULL;
	int64_t id;

	if (!cur)
		return 0;
	if (cursor_decode(c->a, cur, &payload) || strncmp(payload, "q|", 2) ||
	    parse_int64(payload + 2, strlen(payload + 2), 1, INT64_MAX, &id))
		return -1;
	return id;
}

static const char *cursor_next(struct ctx *c, int64_t next)
{
	return next > 0 ? cursor_encode(c->a, arena_printf(c->a, "q|%lld", (long long)next)) : NULL;
}

static const char *count_text(struct arena *a, int64_t n, const char *one, const char *many)
{
	return arena_printf(a, "%lld %s", (long long)n, n == 1 ? one : many);
}

static const char *status_label(const char *s)
{
	return !strcmp(s, "pending") ? "Waiting for a moderator" : !strcmp(s, "rejected") ? "Not published" : "Published";
}

static json_t *reasons_view(const char *reasons)
{
	json_t *v = json_array();
	unsigned f = ugc_reasons_parse(reasons);
	json_t *codes = ugc_reasons_json(f);
	size_t i;
	json_t *c;

	json_array_foreach(codes, i, c)
		json_array_append_new(v, json_pack("{ss ss}", "code", json_string_value(c),
						   "text", ugc_reason_text(json_string_value(c))));
	json_decref(codes);
	return v;
}

/* ---- JSON ---- */

static json_t *answer_json(const struct q_text *t, int own)
{
	json_t *o = json_pack("{sI sI sI ss ss ss ss sI ss}", "id", (json_int_t)t->id,
			      "questionId", (json_int_t)t->question_id, "productId", (json_int_t)t->product_id,
			      "body", t->body, "by", t->by ? t->by : "", "status", t->status, "author", t->author,
			      "helpful", (json_int_t)t->helpful, "createdAt", t->created_at);

	if (o && own) {
		json_object_set_new(o, "reasons", ugc_reasons_json(ugc_reasons_parse(t->reasons)));
		json_object_set_new(o, "rejectReason", *t->reject_reason ? json_string(t->reject_reason) : json_null());
	}
	return o;
}

static json_t *question_json(const struct q_text *t, const struct q_text *answers, size_t n, int own)
{
	json_t *o = json_pack("{sI sI ss ss ss ss sI}", "id", (json_int_t)t->id, "productId", (json_int_t)t->product_id,
			      "body", t->body, "status", t->status, "author", t->author, "createdAt", t->created_at,
			      "answerCount", (json_int_t)n);
	json_t *arr = json_array();

	if (!o || !arr) {
		json_decref(o);
		json_decref(arr);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, answer_json(&answers[i], 0));
	json_object_set_new(o, "answers", arr);
	if (own) {
		json_object_set_new(o, "reasons", ugc_reasons_json(ugc_reasons_parse(t->reasons)));
		json_object_set_new(o, "rejectReason", *t->reject_reason ? json_string(t->reject_reason) : json_null());
	}
	return o;
}

static enum err reply_json(struct ctx *c, int status, json_t *o)
{
	if (!o)
		return E_NOMEM;
	if (arena_on_reset(c->a, release_json, o))
		return E_NOMEM;
	c->resp->model = o;
	c->resp->status = status;
	return E_OK;
}

/* 422 with the field's problem also in error.fields. */
static enum err reply_invalid(struct ctx *c, const char *title, const char *field, const char *why)
{
	enum err e = reply_error_titled(c, 422, title, arena_printf(c->a, "%s: %s", field, why));
	json_t *fields;

	if (e || !(fields = json_pack("[{ss ss}]", "field", field, "message", why)))
		return e ? e : E_NOMEM;
	json_object_set_new(json_object_get(c->resp->model, "error"), "fields", fields);
	return E_OK;
}

/* ---- the views ---- */

static json_t *answer_view(struct ctx *c, const struct q_text *t, int can_vote_page)
{
	json_t *o = json_pack("{sI ss ss sb sb sI ss}", "id", (json_int_t)t->id, "body", t->body,
			      "author", t->author, "bySeller", t->by && !strcmp(t->by, "seller"),
			      "byBuyer", t->by && !strcmp(t->by, "buyer"), "helpful", (json_int_t)t->helpful,
			      "date", t->created_at);
	int64_t uid = uid_of(c);

	if (o && can_vote_page && uid > 0 && t->user_id != uid) {
		json_object_set_new(o, "canVote", json_true());
		json_object_set_new(o, "voteAction", json_string(arena_printf(c->a, "/answers/%lld/votes",
									    (long long)t->id)));
	}
	return o;
}

static json_t *item_view(struct ctx *c, const struct q_item *it, size_t max_answers, int can_vote)
{
	json_t *o = json_pack("{sI ss ss ss}", "id", (json_int_t)it->q.id, "body", it->q.body,
			      "author", it->q.author, "date", it->q.created_at);
	json_t *arr = json_array();
	size_t n = it->nanswers < max_answers ? it->nanswers : max_answers;

	if (!o || !arr) {
		json_decref(o);
		json_decref(arr);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, answer_view(c, &it->answers[i], can_vote));
	json_object_set_new(o, "answers", arr);
	json_object_set_new(o, "answerCountText", json_string(it->nanswers ?
		count_text(c->a, (int64_t)it->nanswers, "answer", "answers") : "No answers yet"));
	if (it->nanswers > n)
		json_object_set_new(o, "moreText", json_string(count_text(c->a, (int64_t)(it->nanswers - n),
									  "more answer", "more answers")));
	return o;
}

static const char *signin_url(struct ctx *c, const char *slug)
{
	return arena_printf(c->a, "/signin?next=%%2Fp%%2F%s%%2Fquestions", slug);
}

int questions_product_parts(struct ctx *c, json_t *parts, int64_t product_id)
{
	const char *slug = c->req->npathvar > 0 ? c->req->pathvar[0] : "";
	struct q_list l;
	int64_t total = 0;
	json_t *qa, *items;
	enum err e;

	/* A part that fails is left out, never the page (nor cached). */
	if ((e = questions_top(c->db, c->a, product_id, PRODUCT_TOP, &l, &total))) {
		log_warn("questions: product %lld: section left out: %s", (long long)product_id, err_str(e));
		return -1;
	}
	if (!(qa = json_object()) || !(items = json_array())) {
		json_decref(qa);
		return -1;
	}
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(items, item_view(c, &l.v[i], PRODUCT_ANSWERS, 0));
	json_object_set_new(qa, "items", items);
	json_object_set_new(qa, "count", json_integer(total));
	json_object_set_new(qa, "countText", json_string(count_text(c->a, total, "question", "questions")));
	json_object_set_new(qa, "allUrl", json_string(arena_printf(c->a, "/p/%s/questions", slug)));
	json_object_set_new(qa, "action", json_string(arena_printf(c->a, "/p/%s/questions", slug)));
	json_object_set_new(qa, "signedIn", json_false());
	json_object_set_new(qa, "signinUrl", json_string(signin_url(c, slug)));
	json_object_set_new(parts, "qa", qa);
	return 0;
}

void questions_product_sections(struct ctx *c, json_t *m, int64_t product_id)
{
	json_t *qa = json_object_get(m, "qa");

	(void)product_id;
	/* The shared part is the cached one's, never changed in place: a
	 * signed-in visitor gets a copy with the form to ask. */
	if (!qa || uid_of(c) <= 0 || !(qa = json_copy(qa)))
		return;
	json_object_set_new(qa, "signedIn", json_true());
	json_object_set_new(m, "qa", qa);
}

/* ---- /p/{slug}/questions ---- */

/* A form sent back with its problem: the ask form (qid 0) or the answer
 * form of question qid. */
struct form_err {
	int64_t qid;
	const char *msg, *typed;
};

static enum err questions_page(struct ctx *c, const struct q_product *p, int status, const struct form_err *fe)
{
	int64_t before = cursor_of(c), uid = uid_of(c);
	const char *by = NULL, *next;
	struct q_list l;
	json_t *m, *items, *mine;
	enum err e;

	if (before < 0)
		return reply_error(c, 400, "cursor: is not valid");
	if ((e = questions_list(c->db, c->a, p->id, before, PAGE_SIZE, &l)))
		return e;
	if (uid > 0 && (e = questions_answer_as(c->db, c->a, uid, seller_of(c), p, &by)))
		return e;
	if (!(m = reply_model(c, "questions", arena_printf(c->a, "Questions about %s", p->title))))
		return E_NOMEM;
	c->resp->status = status;
	json_object_set_new(m, "product", json_pack("{ss ss}", "title", p->title,
						     "url", arena_printf(c->a, "/p/%s", p->slug)));
	json_object_set_new(m, "canonical", json_string(arena_printf(c->a, "/p/%s/questions", p->slug)));
	if (!(items = json_array()))
		return E_NOMEM;
	for (size_t i = 0; i < l.n; i++) {
		json_t *it = item_view(c, &l.v[i], l.v[i].nanswers, 1);

		if (!it)
			continue;
		if (by) {
			json_object_set_new(it, "answerAction", json_string(arena_printf(c->a, "/questions/%lld/answers",
											  (long long)l.v[i].q.id)));
			json_object_set_new(it, "answerAs", json_string(!strcmp(by, "seller") ?
				"You answer as the seller." : "You answer as a verified buyer."));
		}
		if (fe && fe->qid == l.v[i].q.id) {
			json_object_set_new(it, "answerError", json_string(fe->msg));
			json_object_set_new(it, "answerTyped", json_string(fe->typed ? fe->typed : ""));
		}
		json_array_append_new(items, it);
	}
	json_object_set_new(m, "items", items);
	json_object_set_new(m, "action", json_string(arena_printf(c->a, "/p/%s/questions", p->slug)));
	json_object_set_new(m, "signedIn", json_boolean(uid > 0));
	json_object_set_new(m, "signinUrl", json_string(signin_url(c, p->slug)));
	if (fe && !fe->qid) {
		json_object_set_new(m, "askError", json_string(fe->msg));
		json_object_set_new(m, "askTyped", json_string(fe->typed ? fe->typed : ""));
	}
	if ((next = cursor_next(c, l.next)))
		json_object_set_new(m, "nextUrl", json_string(arena_printf(c->a, "/p/%s/questions?cursor=%s",
									   p->slug, next)));
	/* What the visitor wrote that others do not see (yet). */
	if (uid > 0) {
		struct q_text *qs = NULL, *as = NULL;
		size_t nq = 0, na = 0;

		if ((e = questions_mine(c->db, c->a, uid, p->id, &qs, &nq, &as, &na)))
			return e;
		if (!(mine = json_array()))
			return E_NOMEM;
		for (size_t i = 0; i < nq + na; i++) {
			const struct q_text *t = i < nq ? &qs[i] : &as[i - nq];

			json_array_append_new(mine, json_pack("{ss ss ss sb ss* ss}",
				"kind", i < nq ? "Your question" : "Your answer", "body", t->body,
				"statusText", status_label(t->status), "isRejected", !strcmp(t->status, "rejected"),
				"rejectReason", *t->reject_reason ? t->reject_reason : NULL,
				"question", i < nq ? "" : t->question_body));
		}
		json_object_set_new(m, "mine", mine);
	}
	return E_OK;
}

enum err h_questions_page(struct ctx *c)
{
	struct q_product p;
	enum err e;

	if ((e = questions_product_by_slug(c->db, c->a, c->req->pathvar[0], &p)))
		return e;
	return questions_page(c, &p, 200, NULL);
}

enum err h_questions_ask(struct ctx *c)
{
	struct q_product p;
	struct q_write w = { 0 };
	enum err e;

	if ((e = questions_product_by_slug(c->db, c->a, c->req->pathvar[0], &p)))
		return e;
	w.uid = uid_of(c);
	w.seller_id = seller_of(c);
	w.target = p.id;
	w.body = ctx_str(c, "body");
	if ((e = questions_ask(c->db, c->a, &w)))
		return e;
	if (w.status == 422) {
		struct form_err fe = { 0, arena_printf(c->a, "Your question %s.", w.why), w.body };

		return questions_page(c, &p, 422, &fe);
	}
	if (w.status)
		return reply_error(c, w.status, w.why);
	session_flash(c, strcmp(w.t.status, "published") ?
		      "Thank you. Your question will be shown once a moderator has looked at it." :
		      "Thank you. Your question is published; you will get a mail when it is answered.");
	if (strcmp(w.t.status, "published"))
		return reply_redirect(c, 303, arena_printf(c->a, "/p/%s/questions#mine", p.slug));
	return reply_redirect(c, 303, arena_printf(c->a, "/p/%s/questions#q-%lld", p.slug, (long long)w.t.id));
}

enum err h_questions_answer(struct ctx *c)
{
	int64_t qid = path_id(c);
	int seller_page = ctx_str(c, "from") && !strcmp(ctx_str(c, "from"), "seller");
	struct q_write w = { 0 };
	struct q_text q;
	struct q_product p;
	enum err e;

	if (!qid)
		return E_NOTFOUND;
	w.uid = uid_of(c);
	w.seller_id = seller_of(c);
	w.target = qid;
	w.body = ctx_str(c, "body");
	if ((e = questions_answer(c->db, c->a, &w)))
		return e;
	if (w.status == 404)
		return E_NOTFOUND;
	if (w.status == 403)
		return reply_error(c, 403, w.why);
	if ((e = questions_get(c->db, c->a, QK_QUESTION, qid, &q)))
		return e;
	if (w.status == 422) {
		struct form_err fe = { qid, arena_printf(c->a, "Your answer %s.", w.why), w.body };

		if (seller_page) {
			session_flash(c, fe.msg);
			return reply_redirect(c, 303, arena_printf(c->a, "/seller/questions#q-%lld", (long long)qid));
		}
		if ((e = questions_product_by_slug(c->db, c->a, q.product_slug, &p)))
			return e;
		return questions_page(c, &p, 422, &fe);
	}
	session_flash(c, strcmp(w.t.status, "published") ?
		      "Thank you. Your answer will be shown once a moderator has looked at it." :
		      "Thank you. Your answer is published.");
	if (seller_page)
		return reply_redirect(c, 303, arena_printf(c->a, "/seller/questions#q-%lld", (long long)qid));
	return reply_redirect(c, 303, arena_printf(c->a, "/p/%s/questions#q-%lld", q.product_slug, (long long)qid));
}

enum err h_questions_vote(struct ctx *c)
{
	int64_t aid = path_id(c), helpful = 0;
	int status = 0, added = 0;
	struct q_text t;
	enum err e;

	if (!aid)
		return E_NOTFOUND;
	if ((e = questions_vote(c->db, c->a, uid_of(c), aid, &status, &added, &helpful)))
		return e;
	if (status == 404)
		return E_NOTFOUND;
	if (status == 403)
		return reply_error(c, 403, "You cannot vote for your own answer.");
	if ((e = questions_get(c->db, c->a, QK_ANSWER, aid, &t)))
		return e;
	session_flash(c, added ? "Thank you for your vote." : "You had already found this answer helpful.");
	return reply_redirect(c, 303, arena_printf(c->a, "/p/%s/questions#q-%lld", t.product_slug,
						   (long long)t.question_id));
}

/* ---- the seller's questions ---- */

enum err h_seller_questions(struct ctx *c)
{
	int all = ctx_str(c, "filter") && !strcmp(ctx_str(c, "filter"), "all");
	int64_t before = cursor_of(c);
	const char *next;
	struct q_list l;
	json_t *m, *items;
	enum err e;

	if (before < 0)
		return reply_error(c, 400, "cursor: is not valid");
	if (!c->sess->seller_id)
		return reply_error(c, 403, "This page is for sellers.");
	if ((e = questions_for_seller(c->db, c->a, c->sess->seller_id, !all, before, PAGE_SIZE, &l)))
		return e;
	if (!(m = reply_model(c, "seller_questions", "Questions about your items")) || !(items = json_array()))
		return E_NOMEM;
	for (size_t i = 0; i < l.n; i++) {
		json_t *it = item_view(c, &l.v[i], l.v[i].nanswers, 0);

		if (!it)
			continue;
		json_object_set_new(it, "productTitle", json_string(l.v[i].q.product_title));
		json_object_set_new(it, "productUrl", json_string(arena_printf(c->a, "/p/%s/questions#q-%lld",
									       l.v[i].q.product_slug,
									       (long long)l.v[i].q.id)));
		json_object_set_new(it, "answerAction", json_string(arena_printf(c->a, "/questions/%lld/answers",
										  (long long)l.v[i].q.id)));
		json_array_append_new(items, it);
	}
	json_object_set_new(m, "items", items);
	json_object_set_new(m, "filterAll", json_boolean(all));
	if ((next = cursor_next(c, l.next)))
		json_object_set_new(m, "nextUrl", json_string(arena_printf(c->a, "/seller/questions?%scursor=%s",
									   all ? "filter=all&" : "", next)));
	return E_OK;
}

/* ---- moderation: the page ---- */

static const char *queue_status(struct ctx *c)
{
	const char *s = ctx_str(c, "status");

	return s && (!strcmp(s, "rejected") || !strcmp(s, "published")) ? s : "pending";
}

static json_t *queue_view(struct ctx *c, const struct q_text *t, int answer)
{
	json_t *o = json_pack("{sI ss ss ss ss ss ss}", "id", (json_int_t)t->id, "body", t->body, "author", t->author,
			      "date", t->created_at, "productTitle", t->product_title,
			      "productUrl", arena_printf(c->a, "/p/%s/questions", t->product_slug),
			      "statusText", status_label(t->status));

	if (!o)
		return NULL;
	json_object_set_new(o, "reasons", reasons_view(t->reasons));
	json_object_set_new(o, "action", json_string(arena_printf(c->a, "/admin/%s/%lld",
								  answer ? "answers" : "questions", (long long)t->id)));
	json_object_set_new(o, "canPublish", json_boolean(strcmp(t->status, "published") != 0));
	json_object_set_new(o, "canReject", json_boolean(strcmp(t->status, "rejected") != 0));
	if (*t->reject_reason)
		json_object_set_new(o, "rejectReason", json_string(t->reject_reason));
	if (answer) {
		json_object_set_new(o, "question", json_string(t->question_body ? t->question_body : ""));
		json_object_set_new(o, "byText", json_string(t->by && !strcmp(t->by, "seller") ? "the seller" :
							     "a verified buyer"));
	}
	return o;
}

static enum err admin_page(struct ctx *c, const char *status, int code, const char *error)
{
	struct q_text *qs = NULL, *as = NULL;
	size_t nq = 0, na = 0;
	json_t *m, *qv, *av;
	enum err e;

	if ((e = questions_queue(c->db, c->a, status, c->sess->uid, &qs, &nq, &as, &na)))
		return e;
	if (!(m = reply_model(c, "admin_questions", "Questions and answers to moderate")))
		return E_NOMEM;
	c->resp->status = code;
	if (!(qv = json_array()) || !(av = json_array())) {
		json_decref(qv);
		return E_NOMEM;
	}
	for (size_t i = 0; i < nq; i++)
		json_array_append_new(qv, queue_view(c, &qs[i], 0));
	for (size_t i = 0; i < na; i++)
		json_array_append_new(av, queue_view(c, &as[i], 1));
	json_object_set_new(m, "questions", qv);
	json_object_set_new(m, "answers", av);
	json_object_set_new(m, "status", json_string(status));
	json_object_set_new(m, "isPending", json_boolean(!strcmp(status, "pending")));
	json_object_set_new(m, "isRejected", json_boolean(!strcmp(status, "rejected")));
	json_object_set_new(m, "isPublished", json_boolean(!strcmp(status, "published")));
	if (error)
		json_object_set_new(m, "error", json_string(error));
	return E_OK;
}

enum err h_admin_questions(struct ctx *c)
{
	return admin_page(c, queue_status(c), 200, NULL);
}

static enum err decide(struct ctx *c, enum q_kind kind)
{
	const char *d = ctx_str(c, "decision");
	int64_t id = path_id(c);
	int publish = d && !strcmp(d, "publish");
	struct q_text t;
	enum err e;

	if (!id)
		return E_NOTFOUND;
	if (!publish && (!d || strcmp(d, "reject")))
		return reply_error(c, 400, "decision: must be publish or reject");
	e = questions_moderate(c->db, c->a, kind, id, publish, ctx_str(c, "reason"), c->sess->uid, &t);
	if (e == E_INVAL)
		return admin_page(c, queue_status(c), 422, arena_printf(c->a,
			"To reject, give a reason of 1 to %d characters: its author sees it.", QUESTIONS_REASON_MAX));
	if (e)
		return e;
	session_flash(c, arena_printf(c->a, "%s %lld is %s.", kind == QK_QUESTION ? "Question" : "Answer",
				      (long long)id, publish ? "published" : "rejected"));
	return reply_redirect(c, 303, arena_printf(c->a, "/admin/questions?status=%s", queue_status(c)));
}

enum err h_admin_question_decide(struct ctx *c)
{
	return decide(c, QK_QUESTION);
}

enum err h_admin_answer_decide(struct ctx *c)
{
	return decide(c, QK_ANSWER);
}

/* ---- the API ---- */

enum err h_api_questions(struct ctx *c)
{
	int64_t id = path_id(c), before = cursor_of(c);
	struct q_product p;
	struct q_list l;
	const char *next;
	json_t *o, *arr;
	enum err e;

	if (!id)
		return E_NOTFOUND;
	if (before < 0)
		return reply_error(c, 400, "cursor: is not valid");
	if ((e = questions_product(c->db, c->a, id, &p)) ||
	    (e = questions_list(c->db, c->a, id, before, (size_t)ctx_int(c, "size", 10), &l)))
		return e;
	if (!(arr = json_array()))
		return E_NOMEM;
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(arr, question_json(&l.v[i].q, l.v[i].answers, l.v[i].nanswers, 0));
	next = cursor_next(c, l.next);
	o = json_pack("{sI so so}", "itemId", (json_int_t)id, "questions", arr,
		      "nextCursor", next ? json_string(next) : json_null());
	return reply_json(c, 200, o);
}

enum err h_api_ask(struct ctx *c)
{
	struct q_write w = { 0 };
	enum err e;

	if (!(w.target = path_id(c)))
		return E_NOTFOUND;
	w.uid = uid_of(c);
	w.seller_id = seller_of(c);
	w.body = ctx_str(c, "body");
	if ((e = questions_ask(c->db, c->a, &w)))
		return e;
	if (w.status == 404)
		return E_NOTFOUND;
	if (w.status == 422)
		return reply_invalid(c, "That question could not be posted", "body", w.why);
	if (w.status)
		return reply_error(c, w.status, w.why);
	resp_header(c->resp, arena_printf(c->a, "Location: /api/items/%lld/questions", (long long)w.target));
	return reply_json(c, 201, question_json(&w.t, NULL, 0, 1));
}

enum err h_api_answer(struct ctx *c)
{
	struct q_write w = { 0 };
	enum err e;

	if (!(w.target = path_id(c)))
		return E_NOTFOUND;
	w.uid = uid_of(c);
	w.seller_id = seller_of(c);
	w.body = ctx_str(c, "body");
	if ((e = questions_answer(c->db, c->a, &w)))
		return e;
	if (w.status == 404)
		return E_NOTFOUND;
	if (w.status == 422)
		return reply_invalid(c, "That answer could not be posted", "body", w.why);
	if (w.status)
		return reply_error(c, w.status, w.why);
	return reply_json(c, 201, answer_json(&w.t, 1));
}

enum err h_api_vote(struct ctx *c)
{
	int64_t aid = path_id(c), helpful = 0;
	int status = 0, added = 0;
	enum err e;

	if (!aid)
		return E_NOTFOUND;
	if ((e = questions_vote(c->db, c->a, uid_of(c), aid, &status, &added, &helpful)))
		return e;
	if (status == 404)
		return E_NOTFOUND;
	if (status == 403)
		return reply_error(c, 403, "You cannot vote for your own answer.");
	return reply_json(c, added ? 201 : 200, json_pack("{sI sI sb}", "answerId", (json_int_t)aid,
							  "helpful", (json_int_t)helpful, "voted", 1));
}

enum err h_api_admin_questions(struct ctx *c)
{
	const char *status = queue_status(c);
	struct q_text *qs = NULL, *as = NULL;
	size_t nq = 0, na = 0;
	json_t *qv, *av;
	enum err e;

	if (ctx_str(c, "status") && strcmp(ctx_str(c, "status"), status))
		return reply_error(c, 400, "status: must be pending, rejected or published");
	if ((e = questions_queue(c->db, c->a, status, c->sess->uid, &qs, &nq, &as, &na)))
		return e;
	if (!(qv = json_array()) || !(av = json_array())) {
		json_decref(qv);
		return E_NOMEM;
	}
	for (size_t i = 0; i < nq; i++) {
		json_t *o = question_json(&qs[i], NULL, 0, 1);

		json_object_del(o, "answers");
		json_object_del(o, "answerCount");
		json_object_set_new(o, "productTitle", json_string(qs[i].product_title));
		json_array_append_new(qv, o);
	}
	for (size_t i = 0; i < na; i++) {
		json_t *o = answer_json(&as[i], 1);

		json_object_set_new(o, "question", json_string(as[i].question_body ? as[i].question_body : ""));
		json_object_set_new(o, "productTitle", json_string(as[i].product_title));
		json_array_append_new(av, o);
	}
	return reply_json(c, 200, json_pack("{ss so so}", "status", status, "questions", qv, "answers", av));
}

static enum err api_decide(struct ctx *c, enum q_kind kind, int publish)
{
	int64_t id = path_id(c);
	struct q_text t;
	enum err e;

	if (!id)
		return E_NOTFOUND;
	e = questions_moderate(c->db, c->a, kind, id, publish, ctx_str(c, "reason"), c->sess->uid, &t);
	if (e == E_INVAL)
		return reply_invalid(c, kind == QK_QUESTION ? "That question could not be rejected" :
				     "That answer could not be rejected", "reason",
				     arena_printf(c->a, "must be from 1 to %d characters", QUESTIONS_REASON_MAX));
	if (e)
		return e;
	return reply_json(c, 200, kind == QK_QUESTION ? question_json(&t, NULL, 0, 1) : answer_json(&t, 1));
}

enum err h_api_admin_question_publish(struct ctx *c)
{
	return api_decide(c, QK_QUESTION, 1);
}

enum err h_api_admin_question_reject(struct ctx *c)
{
	return api_decide(c, QK_QUESTION, 0);
}

enum err h_api_admin_answer_publish(struct ctx *c)
{
	return api_decide(c, QK_ANSWER, 1);
}

enum err h_api_admin_answer_reject(struct ctx *c)
{
	return api_decide(c, QK_ANSWER, 0);
}
