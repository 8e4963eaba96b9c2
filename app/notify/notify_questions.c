/* The questions mails (notify_ext.h): a published question to the
 * product's seller (NK_QUESTION, with a link to answer it on
 * /seller/questions), a published answer to the asker (NK_ANSWER, with a
 * link to the product's questions). Both are transactional: no opt-out.
 * The facts come from app/questions (questions_mail_*), which says no
 * (E_NOTFOUND) when the text was taken down since, the seller has no
 * address, or the asker answered their own question. */
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../events/stream.h"
#include "../questions/questions.h"
#include "notify_ext.h"

enum err notify_questions_collect(struct db *db, struct arena *a, const struct event *ev,
			struct notify_mail **out, size_t *n)
{
	int question = ev->type == EV_QUESTION_PUBLISHED;
	int64_t id = (int64_t)json_integer_value(json_object_get(ev->json, question ? "questionId" : "answerId"));
	struct notify_mail *m;
	struct q_mail q;
	json_t *model;
	enum err e;

	*out = NULL;
	*n = 0;
	if (id <= 0)
		return E_OK;
	e = question ? questions_mail_question(db, a, id, &q) : questions_mail_answer(db, a, id, &q);
	if (e == E_NOTFOUND || (!e && (!q.to || !*q.to)))
		return E_OK;
	if (e)
		return e;
	model = json_pack("{ss ss sI ss ss ss}", "name", q.to_name ? q.to_name : "",
			  "productTitle", q.product_title, "productId", (json_int_t)q.product_id,
			  "productUrl", arena_printf(a, "%s/p/%s", config.base_url, q.product_slug),
			  "question", q.question, "author", q.author ? q.author : "");
	if (!model || !(m = arena_calloc(a, 1, sizeof(*m)))) {
		json_decref(model);
		return E_NOMEM;
	}
	if (question) {
		json_object_set_new(model, "answerUrl", json_string(arena_printf(a, "%s/seller/questions#q-%lld",
									       config.base_url, (long long)q.question_id)));
		m->kind = NK_QUESTION;
		m->subject = arena_printf(a, "New question about %s", q.product_title);
	} else {
		json_object_set_new(model, "answer", json_string(q.answer));
		json_object_set_new(model, "bySeller", json_boolean(!strcmp(q.by, "seller")));
		json_object_set_new(model, "answerUrl", json_string(arena_printf(a, "%s/p/%s/questions#q-%lld",
									       config.base_url, q.product_slug,
									       (long long)q.question_id)));
		m->kind = NK_ANSWER;
		m->subject = arena_printf(a, "Your question about %s was answered", q.product_title);
	}
	m->to = q.to;
	m->user_id = q.to_uid;
	m->model = model;
	*out = m;
	*n = 1;
	return E_OK;
}
