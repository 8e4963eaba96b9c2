/* The wishlist module: saved items in lists per shopper (a default one and
 * more by name), a guest's list in the session merged at sign-in, sharing
 * by an unguessable link, "Save for later" on the cart page (issue 17). */
#include <stdint.h>
#include "../module.h"
#include "../http/valid.h"
#include "wishlist.h"
#include "wishlist_pages.h"
#include "routes.inc"

static const struct route wishlist_routes[] = {
	WISHLIST_ROUTES,
};

/* The list page's model (list_page in wishlist_pages.c). */
static const char *const wishlist_names[] = {
	"id", "name", "items", "count", "isDefault", "shared", "shareUrl", "listId", "path", "signedIn",
	"lists", "otherLists", "current", "url", "itemId", "productId", "title", "image", "options.*",
	"optionsLabel", "price", "savedPrice", "priceChange", "priceChangeAbs", "priceUp", "priceDown",
	"currency", "stock", "stockStatus", "stockLabel", "available", "quantity", "manyUnits", "savedAt",
	"alerts", "csrf", NULL
};

/* The shared, read-only page. */
static const char *const wishlist_shared_names[] = {
	"name", "items", "count", "url", "itemId", "productId", "title", "image", "options.*", "optionsLabel",
	"price", "savedPrice", "priceChange", "priceChangeAbs", "priceUp", "priceDown", "currency", "stock",
	"stockStatus", "stockLabel", "available", "quantity", "manyUnits", "savedAt", NULL
};

static const struct tmpl_page wishlist_pages[] = {
	{ "wishlist", wishlist_names },
	{ "wishlist_shared", wishlist_shared_names },
};

const struct module wishlist_module = {
	.name = "wishlist",
	.init = wishlist_init,
	.routes = wishlist_routes,
	.nroutes = sizeof(wishlist_routes) / sizeof(wishlist_routes[0]),
	.templates = wishlist_pages,
	.ntemplates = sizeof(wishlist_pages) / sizeof(wishlist_pages[0]),
};
