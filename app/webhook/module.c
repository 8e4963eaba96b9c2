/* The webhook module: endpoints third parties register with an admin, the
 * "webhooks" consumer of the event stream, the delivery job. */
#include "../module.h"
#include "../events/stream.h"
#include "webhook.h"
#include "webhook_pages.h"
#include "routes.inc"

static const struct route webhook_routes[] = {
	WEBHOOK_ROUTES,
};

/* admin_webhooks.html: the model list_page (webhook_pages.c) builds. */
static const char *const admin_webhooks_names[] = {
	"csrf", "error", "message", "endpoints", "id", "url", "eventsText", "enabled", "disabledReason",
	"createdAt", "failures", "pending", "delivered", "failed", "logUrl", "deleteAction", "enableAction",
	"types", "name", "checked", "fieldId", "formUrl", NULL
};

/* admin_webhook_created.html: h_admin_webhooks_create. */
static const char *const admin_webhook_created_names[] = {
	"endpoint", "id", "url", "eventsText", "secret", "logUrl", NULL
};

/* admin_webhook.html: h_admin_webhook_log. */
static const char *const admin_webhook_names[] = {
	"csrf", "endpoint", "id", "url", "eventsText", "enabled", "disabledReason", "disabledAt", "failures",
	"lastSuccessAt", "createdAt", "enableAction", "deliveries", "eventId", "type", "status", "attempts",
	"code", "ms", "lastError", "nextAt", "attemptLog", "attempt", "result", "at", "error", NULL
};

static const struct tmpl_page webhook_pages[] = {
	{ "admin_webhooks", admin_webhooks_names },
	{ "admin_webhook_created", admin_webhook_created_names },
	{ "admin_webhook", admin_webhook_names },
};

/* Every topic: an endpoint may ask for any type. A new consumer starts at
 * the head: endpoints hear of what happens after they exist. */
static const struct event_consumer webhook_consumers[] = {
	{ .name = "webhooks", .topics = NULL, .handle = webhook_handle, .flush = webhook_flush, .batch = 100, .interval_ms = 200,
	  .from_head = 1 },
};

static const struct module_job webhook_jobs[] = {
	{ "webhook-delivery", webhook_deliver_batch, 250 },	/* POSTs due deliveries, retries */
	{ "webhook-prune", webhook_prune_batch, 3600 * 1000 },	/* the delivery log's retention */
};

const struct module webhook_module = {
	.name = "webhook",
	.init = webhook_init,
	.routes = webhook_routes,
	.nroutes = sizeof(webhook_routes) / sizeof(webhook_routes[0]),
	.templates = webhook_pages,
	.ntemplates = sizeof(webhook_pages) / sizeof(webhook_pages[0]),
	.jobs = webhook_jobs,
	.njobs = sizeof(webhook_jobs) / sizeof(webhook_jobs[0]),
	.consumers = webhook_consumers,
	.nconsumers = sizeof(webhook_consumers) / sizeof(webhook_consumers[0]),
};
