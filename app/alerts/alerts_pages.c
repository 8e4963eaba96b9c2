/* Back-in-stock and price-drop alerts: pages and JSON API (alerts_pages.h). */
#include "../http/server.h"
#include "alerts_pages.h"

void alerts_product_sections(struct ctx *c, json_t *m, int64_t product_id)
{
	(void)c;
	(void)m;
	(void)product_id;
}
