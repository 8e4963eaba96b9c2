/* The payouts module: seller payouts (issue 19): commission rates (shop,
 * category, seller), the sellers' ledger written by the consumer "payouts"
 * from ShipmentShipped and RefundSucceeded, payout periods closed into
 * statements by the "payouts" job, the pages and API of sellers and admins,
 * and `shopctl payouts`. See payouts.h. */
#include <stdio.h>
#include "../module.h"
#include "../core/arena.h"
#include "../http/valid.h"
#include "../store/db.h"
#include "../events/stream.h"
#include "payouts.h"
#include "payouts_pages.h"
#include "routes.inc"

static const struct route payouts_routes[] = {
	PAYOUTS_ROUTES,
};

#define STATEMENT_NAMES \
	"id", "sellerId", "seller", "periodStart", "periodEnd", "currency", "entryCount", "gross", "commission", \
	"net", "opening", "closing", "payout", "carry", "status", "statusText", "reference", "paidAt", "createdAt", \
	"url", "csvUrl", "payUrl"
#define ENTRY_NAMES \
	"kind", "kindText", "orderId", "line", "sku", "title", "quantity", "orderCurrency", "orderAmount", "fxRate", \
	"rateBps", "rate", "shipmentId", "refundId", "orderUrl"

static const char *const seller_payouts_names[] = {
	"balance", "due", "period", "statements", "openEntries", "next", STATEMENT_NAMES, ENTRY_NAMES, NULL
};
static const char *const payout_statement_names[] = {
	"statement", "entries", "admin", STATEMENT_NAMES, ENTRY_NAMES, NULL
};
static const char *const admin_payouts_names[] = {
	"statements", "rates", "scope", "bps", "name", "updatedBy", "updatedAt", "removable", "shopRateBps",
	"shopRate", "period", "filter", "next", "rate", STATEMENT_NAMES, NULL
};

static const struct tmpl_page payouts_pages[] = {
	{ "seller_payouts", seller_payouts_names },
	{ "payout_statement", payout_statement_names },
	{ "admin_payouts", admin_payouts_names },
};

/* From the oldest kept event: a new install credits what was shipped
 * before it (the unique source keeps that exactly once). */
static const struct event_consumer payouts_consumers[] = {
	{ .name = "payouts", .topics = "ShipmentShipped,RefundSucceeded", .handle = payouts_on_event, .batch = 100,
	  .interval_ms = 200, .from_head = 0 },
};

/* Twice a second (a 1 s period on test stacks closes within 1.5 s); the
 * idle run is one indexed read. */
static const struct module_job payouts_jobs[] = {
	{ "payouts", payouts_job, 500 },
};

static int cmd_payouts(int argc, char **argv)
{
	struct db *db = NULL;
	struct arena *a;
	int rc;

	if (argc < 2)
		return MODULE_EXIT_USAGE;
	if (module_open_db(&db)) {
		db_close(db);
		return 1;
	}
	if (!(a = arena_new(64 * 1024))) {
		db_close(db);
		return 1;
	}
	rc = payouts_cmd_run(db, a, argc, argv);
	arena_destroy(a);
	db_close(db);
	return rc < 0 ? MODULE_EXIT_USAGE : rc;
}

static const struct module_command payouts_commands[] = {
	{ "payouts", cmd_payouts, "payouts close [--now] | pay ID [REFERENCE] | list [pending|paid] | backfill",
	  "seller payouts: close the last period (or up to now), mark a statement paid, list statements, "
	  "credit and debit what predates the ledger" },
};

const struct module payouts_module = {
	.name = "payouts",
	.init = payouts_init,
	.routes = payouts_routes,
	.nroutes = sizeof(payouts_routes) / sizeof(payouts_routes[0]),
	.templates = payouts_pages,
	.ntemplates = sizeof(payouts_pages) / sizeof(payouts_pages[0]),
	.jobs = payouts_jobs,
	.njobs = sizeof(payouts_jobs) / sizeof(payouts_jobs[0]),
	.commands = payouts_commands,
	.ncommands = sizeof(payouts_commands) / sizeof(payouts_commands[0]),
	.consumers = payouts_consumers,
	.nconsumers = sizeof(payouts_consumers) / sizeof(payouts_consumers[0]),
};
