/* The order module: orders, their lines and states, the shopper's order
 * pages (routed with the checkout's routes), the sweep of unpaid orders. */
#include "../module.h"
#include "order_pages.h"
#include "order.h"

/* order.html: the model one (order_pages.c) builds. */
static const char *const order_names[] = {
	"order", "id", "status", "statusLabel", "isFailed", "payment", "error", "holdExpiresAt",
	"payUrl", "isPending", "lines", "title", "lineNo", "itemId", "stateLabel",
	"refundedQuantity", "unitPrice", "quantity", "lineTotal", "shippingAddress", "name",
	"line1", "line2", "city", "region", "postalCode", "country", "shipments", "carrier",
	"tracking", "statusText", "lineNos", "shippedAt", "deliveredAt", "events", "at", "reason",
	"subtotal", "discount", "promoCode", "shippingMethod", "shipping", "tax", "total", "brand",
	"last4", "canCancel", "csrf", "actor", "canPay", "createdAt", "currency", "from",
	"isConfirmed", "options", "state", "to", "url", "optionsText", "showState", "itemCountText",
	"paymentNote", "trackingUrl", "itemsText", "confirmCancel", "id", "status", "shippingMethodName",
	"returnUrl", "returns", /* RETURNS (issue 19): the order's returns block */
	NULL
};

/* orders.html: the model list (order_pages.c) builds. */
static const char *const orders_names[] = {
	"orders", "url", "id", "createdAt", "itemCount", "firstTitle", "total", "statusLabel",
	"nextUrl", "currency", "nextCursor", "status", "itemCountText", NULL
};

static const struct tmpl_page order_pages[] = {
	{ "order", order_names },
	{ "orders", orders_names },
};

static int job_holds(struct db *db, struct kv *kv, struct arena *a)
{
	return order_sweep_batch(db, kv, a);
}

static const struct module_job order_jobs[] = {
	{ "holds", job_holds, 1000 },	/* unpaid orders whose holds ran out */
};

const struct module order_module = {
	.name = "order",
	.init = order_init,
	.templates = order_pages,
	.ntemplates = sizeof(order_pages) / sizeof(order_pages[0]),
	.jobs = order_jobs,
	.njobs = sizeof(order_jobs) / sizeof(order_jobs[0]),
};
