/* The payment module: the sandbox gateway's client. */
#include "../module.h"
#include "payment.h"

/* Reads the gateway's address and keys when they are configured; a shop
 * without them still starts (payments answer "unavailable"), and a later
 * payment_init() tries again. */
static void payment_module_init(void)
{
	(void)payment_init();
}

const struct module payment_module = {
	.name = "payment",
	.init = payment_module_init,
};
