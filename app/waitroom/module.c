/* The waitroom module: a sale's waiting room (tickets, the waiting page,
 * admissions in batches at the rate the database can take) and the token
 * buckets on add-to-cart and checkout (issue 18; docs/design.md section 10). */
#include "../module.h"
#include "../http/valid.h"
#include "waitroom.h"
#include "waitroom_pages.h"
#include "routes.inc"

static const struct route waitroom_routes[] = {
	WAITROOM_ROUTES,
};

/* sale_wait.html: the model h_wait builds. */
static const char *const sale_wait_names[] = {
	"saleId", "saleName", "status", "queueAction", "unitsLeft", "waiting", "upcoming", "place", "waitSeconds",
	"waitText", "refresh", "admitted", "expiresAt", "items", "sku", "title", "url", "price", "soldout",
	"ended", "noTicket", "csrf", NULL
};

static const struct tmpl_page waitroom_pages[] = {
	{ "sale_wait", sale_wait_names },
};

const struct module waitroom_module = {
	.name = "waitroom",
	.init = waitroom_init,
	.routes = waitroom_routes,
	.nroutes = sizeof(waitroom_routes) / sizeof(waitroom_routes[0]),
	.templates = waitroom_pages,
	.ntemplates = sizeof(waitroom_pages) / sizeof(waitroom_pages[0]),
	.throttle = waitroom_throttle,
};
