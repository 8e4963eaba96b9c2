/* The alerts module: back-in-stock and price-drop alerts (issue 17): the
 * subscriptions (the product page, /account/alerts, the JSON API) and the
 * consumer "alerts" that turns stock and price changes into one
 * BackInStock or PriceDropped event per subscription and episode (the
 * notify consumer mails them: app/notify/notify_alerts.c). */
#include "../module.h"
#include "../http/valid.h"
#include "../events/stream.h"
#include "alerts.h"
#include "alerts_pages.h"
#include "routes.inc"

static const struct route alerts_routes[] = {
	ALERTS_ROUTES,
};

/* account_alerts.html: the model h_account_alerts builds. */
static const char *const account_alerts_names[] = {
	"alerts", "id", "title", "url", "kindText", "sku", "price", "refPrice", "currency", "priceDrop",
	"stockLabel", "fromWishlist", "createdAt", "back", "csrf", NULL
};

static const struct tmpl_page alerts_pages[] = {
	{ "account_alerts", account_alerts_names },
};

/* Aggregate: the product; its subscriptions are judged in one transaction
 * per event, so events of one product never race. A new install starts at
 * the head: the state it keeps is built from what it sees from then on. */
static const struct event_consumer alerts_consumers[] = {
	{ .name = "alerts", .topics = "StockChanged,ProductUpdated", .handle = alerts_on_event, .batch = 100,
	  .interval_ms = 200, .from_head = 1 },
};

const struct module alerts_module = {
	.name = "alerts",
	.init = alerts_init,
	.routes = alerts_routes,
	.nroutes = sizeof(alerts_routes) / sizeof(alerts_routes[0]),
	.templates = alerts_pages,
	.ntemplates = sizeof(alerts_pages) / sizeof(alerts_pages[0]),
	.consumers = alerts_consumers,
	.nconsumers = sizeof(alerts_consumers) / sizeof(alerts_consumers[0]),
};
