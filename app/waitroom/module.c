/* The waitroom module: a sale's waiting room (tickets, the waiting page,
 * admissions in batches at the rate the database can take) and the token
 * buckets on add-to-cart and checkout (issue 18; docs/design.md section 10). */
#include "../module.h"
#include "waitroom_pages.h"

const struct module waitroom_module = {
	.name = "waitroom",
	.throttle = waitroom_throttle,
};
