/* The console module: the admin console: promo codes, categories, content
 * pages, any order's refund, cancel and mails, the audit log (audit.h)
 * (issue 19). FRAME: a placeholder the work that follows completes. */
#include "../module.h"
#include "audit.h"

const struct module console_module = {
	.name = "console",
	.init = audit_init,
};
