/* Wishlists: saved items, lists, sharing: pages and JSON API (wishlist_pages.h). */
#include "../http/server.h"
#include "wishlist_pages.h"

void wishlist_product_sections(struct ctx *c, json_t *m, int64_t product_id)
{
	(void)c;
	(void)m;
	(void)product_id;
}
