/* The alerts module: Back-in-stock and price-drop alerts (issue 17). */
#include "../module.h"
#include "alerts.h"
#include "alerts_pages.h"

const struct module alerts_module = {
	.name = "alerts",
	.init = alerts_init,
};
