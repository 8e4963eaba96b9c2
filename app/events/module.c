/* The events module: the outbox's one writer (app/events/events.h). */
#include "../module.h"
#include "events.h"

const struct module events_module = {
	.name = "events",
	.init = events_init,
};
