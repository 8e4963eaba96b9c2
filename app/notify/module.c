/* The notify module: the mails to shoppers and sellers that events bring
 * (the consumer "notify"), the cart reminder (the job "cart-reminders"),
 * the unsubscribe page. Preferences are on the account page
 * (app/account/account_pages.c), stored here (notify.h). */
#include <stdint.h>
#include "../module.h"
#include "../events/stream.h"
#include "notify.h"
#include "notify_pages.h"
#include "routes.inc"

static const struct route notify_routes[] = {
	NOTIFY_ROUTES,
};

/* unsubscribe.html: the model h_unsubscribe_form, h_unsubscribe build. */
static const char *const unsubscribe_names[] = {
	"invalid", "what", "u", "k", "t", "done", NULL
};

static const struct tmpl_page notify_pages[] = {
	{ "unsubscribe", unsubscribe_names },
};

static const struct module_job notify_jobs[] = {
	{ "cart-reminders", notify_cart_batch, 3000 },
	{ "notify-prune", notify_prune_batch, 600000 },
};

/* The events that mail someone. Transactional mails are always sent; the
 * low-stock alert (StockChanged) follows the seller's preference. */
static const struct event_consumer notify_consumers[] = {
	{
		.name = "notify",
		.topics = "OrderConfirmed,OrderPaymentFailed,ShipmentShipped,ShipmentDelivered,"
			  "OrderCancelled,RefundSucceeded,StockChanged,"
			  "ReviewRejected,QuestionPublished,AnswerPublished,BackInStock,PriceDropped,"
			  "ReturnRequested,ReturnApproved,ReturnRejected,ReturnEscalated,"	/* RETURNS (issue 19) */
			  "PayoutClosed,PayoutPaid",	/* issue 19: seller payouts */
		.handle = notify_handle,
		.start = notify_start,
		.batch = 50,
		.interval_ms = 200,
		/* A new install mails about what happens from now on, never
		 * about its whole history. */
		.from_head = 1,
	},
};

const struct module notify_module = {
	.name = "notify",
	.init = notify_init,
	.routes = notify_routes,
	.nroutes = sizeof(notify_routes) / sizeof(notify_routes[0]),
	.templates = notify_pages,
	.ntemplates = sizeof(notify_pages) / sizeof(notify_pages[0]),
	.jobs = notify_jobs,
	.njobs = sizeof(notify_jobs) / sizeof(notify_jobs[0]),
	.consumers = notify_consumers,
	.nconsumers = sizeof(notify_consumers) / sizeof(notify_consumers[0]),
};
