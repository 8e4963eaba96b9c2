/* The sales module: flash sales (issue 18; docs/design.md section 10): the
 * schedule (POST /api/sales, the sellers' and admins' pages), the sale on
 * the product page, sale prices in carts and checkouts, and the "sales" job
 * that opens and closes sales (their units: app/inventory/shards.h). */
#include "../module.h"
#include "sales.h"

const struct module sales_module = {
	.name = "sales",
	.init = sales_init,
};
