/* The route table: one static array, like redis's command table. Each module
 * lists its own entries (and their key tables) in its routes.inc; this file
 * puts them together. The first match wins where two patterns could match. */
#include <stddef.h>
#include <stdint.h>
#include "http/router.h"
#include "catalog/catalog.h"
#include "catalog/catalog_pages.h"
#include "account/account_pages.h"
#include "cart/cart_pages.h"
#include "checkout/checkout.h"
#include "checkout/checkout_pages.h"
#include "checkout/pricing.h"
#include "order/order.h"
#include "order/order_pages.h"
#include "search/search.h"
#include "search/search_pages.h"
#include "seller/dashboard.h"
#include "seller/dashboard_pages.h"
#include "seller/items.h"
#include "seller/items_pages.h"
#include "fulfillment/fulfillment.h"
#include "fulfillment/fulfillment_pages.h"
#include "seller/images.h"
#include "seller/images_pages.h"
#include "inventory/inventory.h"
#include "inventory/inventory_pages.h"
#include "seller/bulk.h"
#include "seller/bulk_pages.h"
#include "seller/limits.h"
#include "site.h"

#include "catalog/routes.inc"
#include "account/routes.inc"
#include "cart/routes.inc"
#include "checkout/routes.inc"
#include "search/routes.inc"
#include "seller/dashboard_routes.inc"
#include "seller/routes.inc"
#include "fulfillment/routes.inc"
#include "seller/images_routes.inc"
#include "inventory/routes.inc"
#include "seller/bulk_routes.inc"

const struct route routes[] = {
	CATALOG_ROUTES,
	ACCOUNT_ROUTES,
	CART_ROUTES,
	CHECKOUT_ROUTES,
	SEARCH_ROUTES,
	SELLER_DASHBOARD_ROUTES,
	SELLER_ITEMS_ROUTES,
	FULFILLMENT_ROUTES,
	SELLER_IMAGES_ROUTES,
	INVENTORY_ROUTES,
	SELLER_BULK_ROUTES,
	{ M_GET, "/robots.txt", h_robots, RF_RAW | RF_CACHE, NULL },
	{ M_GET, "/healthz", h_healthz, RF_RAW, NULL },
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
