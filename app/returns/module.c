/* The returns module: returns (RMA): a shopper's request to send lines of a
 * delivered order back, the seller's approval, the parcel's way back,
 * inspection, restock or write-off, and the refund (issue 19; returns.h). */
#include "../module.h"
#include "../http/valid.h"
#include "returns.h"
#include "returns_pages.h"
#include "routes.inc"

static const struct route returns_routes[] = {
	RETURNS_ROUTES,
};

/* return_form.html: the model h_return_form_with builds. */
static const char *const return_form_names[] = {
	"orderId", "lines", "lineNo", "title", "optionsText", "sellerName", "policy", "canReturnLine",
	"returnable", "windowEndsAt", "choices", "value", "selected", "whyNot", "windowDays", "canReturn",
	"formError", "reason", "maxPhotos", "formAction", "token", "orderUrl", NULL
};

/* The names of one return (return_json in returns_pages.c). */
#define RETURN_NAMES \
	"id", "status", "statusText", "orderId", "reason", "createdAt", "updatedAt", "windowEndsAt", \
	"currency", "amount", "seller", "name", "returnAddress", "label", "carrier", "rejectReason", \
	"shippedAt", "arrivedAt", "receivedAt", "escalatedAt", "escalated", "url", "sellerUrl", "orderUrl", \
	"firstTitle", "units", "restock", "refund", "error", "lines", "line", "title", "itemId", \
	"optionsText", "quantity", "unitsText", "photos", "position", "alt", "thumbUrl", "width", "height", \
	"thumbWidth", "thumbHeight", "adminUrl", "deleteUrl"

/* return.html: show() builds "ret". */
static const char *const return_names[] = {
	"ret", RETURN_NAMES, "isSeller", "canDecide", "canReceive", "defaultAddress", "formError", "canCancel", "canAddPhotos", "photosLeft",
	"isAdmin", "actionBase", "canRetry", "cancelUrl", "photosUrl", "guestToken", NULL
};

/* seller_returns.html. */
static const char *const seller_returns_names[] = {
	"returns", RETURN_NAMES, "filter", "nextUrl", NULL
};

/* admin_returns.html. */
static const char *const admin_returns_names[] = {
	"returns", RETURN_NAMES, "shopperEmail", NULL
};

/* seller_return_settings.html. */
static const char *const return_settings_names[] = {
	"address", "defaultDays", "shopDays", "categories", "categoryId", "name", "days", "shopCategoryDays",
	"formError", "maxDays", NULL
};

/* admin_return_windows.html. */
static const char *const return_windows_names[] = {
	"defaultDays", "defaultError", "shopDays", "configDays", "maxDays", "sellerOverrides", "categories",
	"sellersAllText", "categoryId", "name", "days", "isChild", "inherits", "overridesText", "error", "formError", NULL
};

static const struct tmpl_page returns_pages[] = {
	{ "admin_return_windows", return_windows_names },
	{ "seller_return_settings", return_settings_names },
	{ "return_form", return_form_names },
	{ "return", return_names },
	{ "seller_returns", seller_returns_names },
	{ "admin_returns", admin_returns_names },
};

static const struct module_job returns_jobs[] = {
	{ "returns", returns_escalate_batch, 2000 },	/* requests the seller left unanswered escalate */
};

const struct module returns_module = {
	.name = "returns",
	.init = returns_init,
	.routes = returns_routes,
	.nroutes = sizeof(returns_routes) / sizeof(returns_routes[0]),
	.templates = returns_pages,
	.ntemplates = sizeof(returns_pages) / sizeof(returns_pages[0]),
	.jobs = returns_jobs,
	.njobs = sizeof(returns_jobs) / sizeof(returns_jobs[0]),
};
