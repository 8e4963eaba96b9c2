/* Product questions and answers: pages and JSON API (issue 17). */
#ifndef QUESTIONS_QUESTIONS_PAGES_H
#define QUESTIONS_QUESTIONS_PAGES_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct ctx;

/* The product page's part (answered questions, the form to ask), added to its model m by h_product
 * (app/catalog/catalog_pages.c) after the shared, cached parts: anything
 * per visitor only when the visitor has a session (nginx's microcache
 * stores only answers to requests without one). */
void questions_product_sections(struct ctx *c, json_t *m, int64_t product_id);

/* Pages: /p/{slug}/questions (GET, and POST to ask), the answer and vote
 * forms, /seller/questions, /admin/questions and its decisions. */
enum err h_questions_page(struct ctx *c);
enum err h_questions_ask(struct ctx *c);
enum err h_questions_answer(struct ctx *c);
enum err h_questions_vote(struct ctx *c);
enum err h_seller_questions(struct ctx *c);
enum err h_admin_questions(struct ctx *c);
enum err h_admin_question_decide(struct ctx *c);
enum err h_admin_answer_decide(struct ctx *c);

/* The JSON API (docs/api.md, "Questions and answers"). */
enum err h_api_questions(struct ctx *c);
enum err h_api_ask(struct ctx *c);
enum err h_api_answer(struct ctx *c);
enum err h_api_vote(struct ctx *c);
enum err h_api_admin_questions(struct ctx *c);
enum err h_api_admin_question_publish(struct ctx *c);
enum err h_api_admin_question_reject(struct ctx *c);
enum err h_api_admin_answer_publish(struct ctx *c);
enum err h_api_admin_answer_reject(struct ctx *c);

#endif
