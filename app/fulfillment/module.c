/* The fulfillment module: the seller's side of an order (pick, ship,
 * deliver, refund), the carrier's events, the retries of what the gateway
 * did not confirm. */
#include "../module.h"
#include "fulfillment_pages.h"
#include "fulfillment.h"
#include "routes.inc"

static const struct route fulfillment_routes[] = {
	FULFILLMENT_ROUTES,
};

/* seller_orders.html: the model list (fulfillment_pages.c) builds. */
static const char *const seller_orders_names[] = {
	"filterToShip", "sorders", "url", "id", "createdAt", "units", "firstTitle", "goods",
	"toShip", "statusLabel", "nextUrl", "currency", "lineCount", "nextCursor", "status", "unitsText", NULL
};

/* seller_orders_one.html: the model one (fulfillment_pages.c) builds. */
static const char *const seller_orders_one_names[] = {
	"sorder", "id", "status", "statusLabel", "createdAt", "formError", "csrf", "lines",
	"canShip", "lineNo", "title", "itemId", "quantity", "refundedQuantity", "lineTotal",
	"stateLabel", "shipmentId", "hasShippable", "canRefund", "refundable", "shipments",
	"carrier", "tracking", "statusText", "lineNos", "amount", "shippedAt", "deliveredAt",
	"lastError", "canRetry", "orderId", "canDeliver", "refunds", "linesText", "shippingAddress",
	"name", "line1", "line2", "city", "region", "postalCode", "country", "shippingMethod",
	"events", "at", "reason", "attempts", "canCancel", "canPick", "currency", "discount",
	"from", "hasOpen", "isPending", "options", "order", "refundedAmount", "state", "tax", "to",
	"unitPrice", "url", "optionsText", "trackingUrl", "shippingMethodName",
	"archived",	/* ARCHIVE: an archived order, read-only */
	NULL
};

static const struct tmpl_page fulfillment_pages[] = {
	{ "seller_orders", seller_orders_names },
	{ "seller_orders_one", seller_orders_one_names },
};

static const struct module_job fulfillment_jobs[] = {
	{ "fulfillment", fulfillment_retry_batch, 1000 },	/* captures and refunds the gateway did not confirm */
};

const struct module fulfillment_module = {
	.name = "fulfillment",
	.init = fulfillment_init,
	.routes = fulfillment_routes,
	.nroutes = sizeof(fulfillment_routes) / sizeof(fulfillment_routes[0]),
	.templates = fulfillment_pages,
	.ntemplates = sizeof(fulfillment_pages) / sizeof(fulfillment_pages[0]),
	.jobs = fulfillment_jobs,
	.njobs = sizeof(fulfillment_jobs) / sizeof(fulfillment_jobs[0]),
};
