/* The reconcile module: the gateway's money against the orders, the stock
 * against its ledgers (a job, and shopctl reconcile). */
#include "../module.h"
#include "reconcile.h"

static const struct module_job reconcile_jobs[] = {
	{ "reconcile", reconcile_batch, 300000 },	/* the gateway's money and the stock ledgers */
};

static const struct module_command reconcile_commands[] = {
	{ "reconcile", reconcile_cmd, "reconcile payments|stock [--check] [--all] [--grace S] [--threshold N]",
	  "compare the gateway's payments with the orders, or the stock with its ledgers; repair what has "
	  "one right answer (--check: only report)" },
};

const struct module reconcile_module = {
	.name = "reconcile",
	.init = reconcile_init,
	.jobs = reconcile_jobs,
	.njobs = sizeof(reconcile_jobs) / sizeof(reconcile_jobs[0]),
	.commands = reconcile_commands,
	.ncommands = sizeof(reconcile_commands) / sizeof(reconcile_commands[0]),
};
