/* The checkout module: the checkout saga and its recovery job; its
 * route table also routes the shopper's order pages (app/order). */
#include "../module.h"
#include "checkout_pages.h"
#include "../order/order.h"
#include "../order/order_pages.h"
#include "checkout.h"
#include "../pricing/pricing.h"
#include "routes.inc"
#include "guest_routes.inc"


static const struct route checkout_routes[] = {
	GUEST_ROUTES,
	CHECKOUT_ROUTES,
};

/* checkout.html: the model checkout_form builds. */
static const char *const checkout_names[] = {
	"error", "message", "csrf", "addresses", "id", "isDefault", "name", "line1", "line2",
	"city", "region", "postalCode", "country", "newAddress", "methods", "code", "checked",
	"available", "free", "price", "daysMin", "daysMax", "daysText", "whyUnavailable",
	"guest", "email", "emailError",	/* the guest's email block (guest_pages.c) */
	/* the form as typed, problems beside fields, choices with names */
	"addr", "regionOther", "nameError", "line1Error", "line2Error", "cityError", "regionError",
	"postalCodeError", "countryError", "countries", "usStates", "caProvinces", "selected",
	"saveAddress", "promoCode", "countryName", "methodsFor",
	/* the order summary */
	"summary", "summaryLines", "title", "quantity", "lineTotal", "itemsTotal", "units", "oneUnit",
	"currency", NULL
};

/* checkout_review.html: the model h_checkout_review builds. */
static const char *const checkout_review_names[] = {
	"lines", "title", "itemId", "unitPrice", "priceChanged", "addedPrice", "quantity",
	"lineTotal", "address", "name", "line1", "line2", "city", "region", "postalCode", "country",
	"quote", "subtotal", "discount", "promoCode", "methodName", "daysMin", "daysMax", "daysText",
	"shipping", "tax", "amount", "form", "csrf", "idempotencyKey", "shippingMethod",
	"shippingAddressId", "available", "currency", "id", "isDefault", "priceChanges",
	"requested", "cartKey", "countryName", "options", "guestEmail",
	/* app/sales: "Flash sale price" or "Sale over: regular price" */
	"saleNote",
	/* CURRENCIES (issue 19, app/fx): the quote's rate and its day */
	"fxRate", "fxDate", NULL
};

static const struct tmpl_page checkout_pages[] = {
	{ "checkout", checkout_names },
	{ "checkout_review", checkout_review_names },
	{ "guest_order", guest_order_names },
	{ "order_lookup", order_lookup_names },
};

static int job_sagas(struct db *db, struct kv *kv, struct arena *a)
{
	return checkout_recover_batch(db, kv, a);
}

static const struct module_job checkout_jobs[] = {
	{ "sagas", job_sagas, 1000 },	/* checkouts a dead worker left half-way */
};

const struct module checkout_module = {
	.name = "checkout",
	.init = checkout_init,
	.routes = checkout_routes,
	.nroutes = sizeof(checkout_routes) / sizeof(checkout_routes[0]),
	.templates = checkout_pages,
	.ntemplates = sizeof(checkout_pages) / sizeof(checkout_pages[0]),
	.jobs = checkout_jobs,
	.njobs = sizeof(checkout_jobs) / sizeof(checkout_jobs[0]),
};
