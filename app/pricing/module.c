/* The pricing module: quotes (subtotal, promo codes, shipping, tax) and
 * the promo codes' uses, shared by the checkout and by the orders that
 * give a use back when they are released. */
#include "../module.h"
#include "pricing.h"

const struct module pricing_module = {
	.name = "pricing",
	.init = pricing_init,
};
