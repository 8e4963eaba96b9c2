/* The reports module: reports for admins (issue 19): sales by day,
 * category and seller, the conversion funnel, top searches with and
 * without results, as SVG charts with tables, JSON and CSV (orders too);
 * the counters of views, adds and searches (Redis, flushed by the
 * "report-counters" job or `shopctl reports flush`). See reports.h. */
#include <stdio.h>
#include "../module.h"
#include "../core/arena.h"
#include "../http/valid.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "reports.h"
#include "reports_pages.h"
#include "routes.inc"

static const struct route reports_routes[] = {
	REPORTS_ROUTES,
};

static const char *const admin_reports_names[] = {
	"reports", "key", "title", "note", "cols", "rows", "head", "cells", "chart", "csvUrl", "total", "orders",
	"units", "amount", "from", "to", "ordersCsvUrl", NULL
};

static const struct tmpl_page reports_pages[] = {
	{ "admin_reports", admin_reports_names },
};

/* Every 500 ms it looks at the clock; it flushes every
 * SHOP_REPORTS_FLUSH_S (60 s). */
static const struct module_job reports_jobs[] = {
	{ "report-counters", reports_flush_job, 500 },
};

static int cmd_reports(int argc, char **argv)
{
	struct db *db = NULL;
	struct kv *kv = NULL;
	struct arena *a;
	int rc;

	if (argc != 2)
		return MODULE_EXIT_USAGE;
	if (module_open_db(&db)) {
		db_close(db);
		return 1;
	}
	kv_open(&kv);
	if (!kv || !(a = arena_new(64 * 1024))) {
		kv_close(kv);
		db_close(db);
		return 1;
	}
	rc = reports_cmd_run(db, kv, a, argc, argv);
	arena_destroy(a);
	kv_close(kv);
	db_close(db);
	return rc < 0 ? MODULE_EXIT_USAGE : rc;
}

static const struct module_command reports_commands[] = {
	{ "reports", cmd_reports, "reports flush",
	  "move the counted product views, adds to cart and searches from Redis into the reports' table now" },
};

const struct module reports_module = {
	.name = "reports",
	.init = reports_init,
	.routes = reports_routes,
	.nroutes = sizeof(reports_routes) / sizeof(reports_routes[0]),
	.templates = reports_pages,
	.ntemplates = sizeof(reports_pages) / sizeof(reports_pages[0]),
	.jobs = reports_jobs,
	.njobs = sizeof(reports_jobs) / sizeof(reports_jobs[0]),
	.commands = reports_commands,
	.ncommands = sizeof(reports_commands) / sizeof(reports_commands[0]),
};
