/* The recommendations module: item-to-item scores kept by the "recs"
 * consumer (OrderConfirmed) and a nightly rebuild, recently viewed in
 * Redis, the sections of the product, cart and home pages, the JSON API,
 * and the synthetic history and offline evaluation commands. */
#include "../module.h"
#include "../http/valid.h"
#include "../events/stream.h"
#include "recs.h"
#include "recs_pages.h"
#include "routes.inc"

static const struct route recs_routes[] = {
	RECS_ROUTES,
};

static const struct event_consumer recs_consumers[] = {
	{ .name = "recs", .topics = "OrderConfirmed", .handle = recs_on_event, .batch = 100, .interval_ms = 500 },
};

static const struct module_job recs_jobs[] = {
	{ "recs-rebuild", recs_rebuild_job, 60000 },	/* the nightly full recount (when due) */
};

static const struct module_command recs_commands[] = {
	{ "recs-rebuild", recs_rebuild_cmd, "recs-rebuild",
	  "recount the recommendations' scores and best sellers from the paid orders now" },
	{ "gen-orders", recs_gen_orders_cmd, "gen-orders N [--seed S]",
	  "write N synthetic paid orders with a known structure (test and bench stacks only)" },
	{ "recs-eval", recs_eval_cmd, "recs-eval [--k 10]",
	  "hold out each shopper's last order; hit rate@k and NDCG@k of each recommender" },
};

const struct module recs_module = {
	.name = "recs",
	.init = recs_init,
	.routes = recs_routes,
	.nroutes = sizeof(recs_routes) / sizeof(recs_routes[0]),
	.jobs = recs_jobs,
	.njobs = sizeof(recs_jobs) / sizeof(recs_jobs[0]),
	.commands = recs_commands,
	.ncommands = sizeof(recs_commands) / sizeof(recs_commands[0]),
	.consumers = recs_consumers,
	.nconsumers = sizeof(recs_consumers) / sizeof(recs_consumers[0]),
};
