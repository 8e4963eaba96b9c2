/* The events module: the outbox's one writer (app/events/events.h) and the
 * stream that delivers it to consumers (app/events/stream.h). */
#include "../module.h"
#include "events.h"
#include "stream.h"

static void init(void)
{
	events_init();
	stream_init();
	stream_cmd_init();
}

static int job_relay(struct db *db, struct kv *kv, struct arena *a)
{
	(void)kv;
	return event_relay(db, a);
}

static const struct module_job events_jobs[] = {
	/* The consumers relay before they read; this keeps the stream's order
	 * moving when none is due. */
	{ "events-relay", job_relay, 500 },
	{ "events-retention", event_retention_batch, 60000 },	/* SHOP_EVENTS_KEEP_DAYS */
};

static const struct module_command events_commands[] = {
	{ "events", events_command,
	  "events [list] | events replay CONSUMER --from ID|TIME | events parked [CONSUMER] | "
	  "events retry CONSUMER ID|--all | events prune",
	  "the event stream's consumers: position, lag, last error; re-deliver from an event or a time; "
	  "parked events and retrying them; retention now" },
};

const struct module events_module = {
	.name = "events",
	.init = init,
	.jobs = events_jobs,
	.njobs = sizeof(events_jobs) / sizeof(events_jobs[0]),
	.commands = events_commands,
	.ncommands = sizeof(events_commands) / sizeof(events_commands[0]),
};
