/* The archive module: the order archive: closed orders moved to the archive
 * tables by a job, in batches (archive.h), shopctl archive. The reads of
 * both places are the order, fulfilment and reconcile modules' own. */
#include "../module.h"
#include "archive.h"

static const struct module_job archive_jobs[] = {
	/* Idle once a minute; a full batch is followed by the next at once. */
	{ "archive", archive_job, 60000 },
};

static const struct module_command archive_commands[] = {
	{ "archive", archive_cmd, "archive status [--json] | archive run [--limit N] [--after-seconds S]",
	  "the order archive: orders hot and archived per status, the oldest closed hot order and the last "
	  "batch; or move closed orders now, in batches (--after-seconds: closed for more than S seconds "
	  "instead of SHOP_ARCHIVE_AFTER_DAYS)" },
};

const struct module archive_module = {
	.name = "archive",
	.init = archive_init,
	.jobs = archive_jobs,
	.njobs = sizeof(archive_jobs) / sizeof(archive_jobs[0]),
	.commands = archive_commands,
	.ncommands = sizeof(archive_commands) / sizeof(archive_commands[0]),
};
