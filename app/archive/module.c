/* The archive module: the order archive: closed orders moved to the archive tables by a job, and reads of both places (issue 19). FRAME: a placeholder the work that follows
 * replaces. */
#include "../module.h"

const struct module archive_module = {
	.name = "archive",
};
