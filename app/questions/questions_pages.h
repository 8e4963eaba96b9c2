/* Product questions and answers: pages and JSON API (issue 17). */
#ifndef QUESTIONS_QUESTIONS_PAGES_H
#define QUESTIONS_QUESTIONS_PAGES_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct ctx;

/* The product page's part, in two. questions_product_parts adds the part
 * that is the same for everyone ("qa": the answered questions, the count,
 * the links) to the page's shared parts, which h_product
 * (app/catalog/catalog_pages.c) keeps in the worker's product cache until
 * the product changes (a question or answer published or taken down bumps
 * it: the pcache consumer follows those events); 0, or -1 when it could not
 * be read (the parts are then not cached). questions_product_sections, per
 * request, gives a visitor signed in the form to ask. */
int questions_product_parts(struct ctx *c, json_t *parts, int64_t product_id);
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
