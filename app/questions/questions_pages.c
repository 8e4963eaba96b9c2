/* Product questions and answers: pages and JSON API (questions_pages.h). */
#include "../http/server.h"
#include "questions_pages.h"

void questions_product_sections(struct ctx *c, json_t *m, int64_t product_id)
{
	(void)c;
	(void)m;
	(void)product_id;
}
