/* The sales module: flash sales (issue 18; docs/design.md section 10): the
 * schedule (POST /api/sales, the sellers' and admins' pages), the sale on
 * the product page, sale prices in carts and checkouts, and the "sales" job
 * that opens and closes sales (their units: app/inventory/shards.h). */
#include "../module.h"
#include "../http/valid.h"
#include "sales.h"
#include "sales_pages.h"
#include "routes.inc"

static const struct route sales_routes[] = {
	SALES_ROUTES,
};

/* The names each page's model sets (the sale as sale_json gives it). */
#define SALE_NAMES \
	"id", "name", "startsAt", "endsAt", "status", "statusText", "shards", "url", "waitUrl", "items", \
	"itemId", "productId", "title", "price", "regularPrice", "currency", "quantity", "left", "sold", \
	"perCustomer", "upcoming", "live", "over", "countdown", "cancelUrl", "csrf"

static const char *const sale_names[] = { "sale", SALE_NAMES, NULL };
static const char *const sales_list_names[] = { "sales", SALE_NAMES, NULL };
static const char *const sale_new_names[] = {
	"form", "errors", "field", "message", "name", "startsAt", "endsAt", "itemId", "price", "quantity",
	"perCustomer", "csrf", NULL
};

static const struct tmpl_page sales_pages[] = {
	{ "sale", sale_names },
	{ "seller_sales", sales_list_names },
	{ "seller_sale_new", sale_new_names },
	{ "admin_sales", sales_list_names },
};

/* Often enough that a sale starting in 2 s is live within about 3 s; the
 * idle run is two indexed reads. */
static const struct module_job sales_jobs[] = {
	{ "sales", sales_job, 500 },
};

const struct module sales_module = {
	.name = "sales",
	.init = sales_init,
	.routes = sales_routes,
	.nroutes = sizeof(sales_routes) / sizeof(sales_routes[0]),
	.templates = sales_pages,
	.ntemplates = sizeof(sales_pages) / sizeof(sales_pages[0]),
	.jobs = sales_jobs,
	.njobs = sizeof(sales_jobs) / sizeof(sales_jobs[0]),
};
