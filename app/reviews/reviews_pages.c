/* Reviews and ratings: pages and JSON API (reviews_pages.h). */
#include "../http/server.h"
#include "reviews_pages.h"

void reviews_product_sections(struct ctx *c, json_t *m, int64_t product_id)
{
	(void)c;
	(void)m;
	(void)product_id;
}
