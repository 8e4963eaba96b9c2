/* The inventory module: stock, its movements and holds; the seller's stock
 * page. */
#include "../module.h"
#include "../seller/limits.h"	/* SKU_CODE_MAX of the routes' keys */
#include "inventory_pages.h"
#include "inventory.h"
#include "routes.inc"

static const struct route inventory_routes[] = {
	INVENTORY_ROUTES,
};

/* seller_stock.html: the model h_seller_stock, form_again (inventory_pages.c) builds. */
static const char *const seller_stock_names[] = {
	"item", "title", "url", "errors", "failedRow", "sku", "warehouse", "message", "rows",
	"failed", "options", "inactive", "warehouseName", "available", "reserved", "committed",
	"stockUrl", "csrf", "isSet", "fieldErrors", "mode", "quantity", "reason", "movements", "at",
	"who", "delta", "after", "actor", "field", "id", NULL
};

static const struct tmpl_page inventory_pages[] = {
	{ "seller_stock", seller_stock_names },
};

const struct module inventory_module = {
	.name = "inventory",
	.init = inventory_init,
	.routes = inventory_routes,
	.nroutes = sizeof(inventory_routes) / sizeof(inventory_routes[0]),
	.templates = inventory_pages,
	.ntemplates = sizeof(inventory_pages) / sizeof(inventory_pages[0]),
};
