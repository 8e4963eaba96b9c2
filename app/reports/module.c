/* The reports module: reports: sales by day, category and seller, the conversion funnel, top searches, CSV exports (issue 19). FRAME: a placeholder the work that follows
 * replaces. */
#include "../module.h"

const struct module reports_module = {
	.name = "reports",
};
