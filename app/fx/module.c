/* The fx module: prices in the shopper's currency: enabled currencies, the day's rates, sellers' price lists, the invoice (issue 19). FRAME: a placeholder the work that follows
 * replaces. */
#include "../module.h"

const struct module fx_module = {
	.name = "fx",
};
