/* The console module: the admin console (issue 19): promo codes,
 * categories (whose writes are app/catalog/category_admin.c's), content
 * pages, any order's refund, cancel and mails, the audit log (audit.h). */
#include "../module.h"
#include "audit.h"
#include "audit_search.h"
#include "console_pages.h"
#include "content.h"
#include "orders_admin.h"
#include "promos.h"
#include "routes.inc"

static void console_init(void)
{
	audit_init();
	audit_search_init();
	promos_init();
	content_init();
	orders_admin_init();
}

static const struct route console_routes[] = {
	CONSOLE_ROUTES,
};

/* partials/promo_form.html's names, in both promo pages */
#define PROMO_FORM_NAMES "errors", "field", "message", "formAction", "csrf", "form", "code", "locked", "fixed", \
	"value", "minOrder", "startsAt", "endsAt", "maxUses", "perCustomer", "categories", "sellers", "description", \
	"categoryOptions", "sellerOptions", "name", "selected"

/* admin_promos.html: list_page (promos_pages.c). */
static const char *const admin_promos_names[] = {
	PROMO_FORM_NAMES, "promos", "id", "valueText", "status", "active", "usesText", "limitsText", "windowText",
	"scopeText", "editUrl", "pauseAction", "resumeAction", "filter", "states", "label", "filtered", "nextUrl",
	"firstUrl", NULL
};

/* admin_promo.html: edit_page (promos_pages.c). */
static const char *const admin_promo_names[] = {
	PROMO_FORM_NAMES, "promo", "id", "status", "live", "customers", "released", "active", "action",
	"pauseAction", "resumeAction", NULL
};

/* admin_categories.html: tree_page (category_pages.c). */
static const char *const admin_categories_names[] = {
	"csrf", "error", "message", "categories", "id", "name", "slug", "child", "retired", "products", "children",
	"parentId", "saveAction", "upAction", "downAction", "retireAction", "url", "parents", "selected", "targets",
	"tops", "editUrl", NULL
};

/* admin_category.html: attrs_page (category_pages.c). */
static const char *const admin_category_names[] = {
	"csrf", "error", "message", "category", "id", "name", "slug", "addAction", "renameAction", "removeAction",
	"attributes", "position", "kind", "choices", "required", "products", "fieldId", NULL
};

/* admin_pages.html and admin_page.html (content_pages.c). */
static const char *const admin_pages_names[] = {
	"csrf", "pages", "title", "url", "editUrl", "updatedAt", "updatedBy", NULL
};
static const char *const admin_page_names[] = {
	"csrf", "error", "message", "page", "title", "body", "url", "action", "updatedAt", "updatedBy", "preview",
	NULL
};

/* content_page.html: console_content_reply (the footer's pages). */
static const char *const content_page_names[] = { "page", "title", "html", NULL };

/* admin_orders.html and admin_order.html (orders_pages.c). */
static const char *const admin_orders_names[] = {
	"csrf", "q", "searched", "orders", "id", "url", "archived", "createdAt", "email", "statusText", "total",
	"currency", "status", NULL
};
static const char *const admin_order_names[] = {
	"csrf", "order", "id", "auditUrl", "statusText", "archived", "createdAt", "email", "guest", "subtotal",
	"discount", "promoCode", "shipping", "shippingMethod", "tax", "total", "currency", "shipTo", "name", "line1",
	"line2", "city", "region", "postalCode", "country", "refundAction", "lines", "line", "title", "options",
	"code", "sellerName", "quantity", "unitPrice", "stateText", "refundedQty", "refundedAmount", "refundable",
	"fieldId", "fieldName", "left", "cancelAction", "resendAction", "shipments", "carrier", "tracking",
	"status", "amount", "shippedAt", "deliveredAt", "refunds", "lastError", "events", "at", "from", "to",
	"actor", "reason",
	/* set by orders_admin_get for the API, not printed here */
	"userId", "seller", "inShipment", "state", NULL
};

/* admin_audit.html: h_admin_audit (audit_pages.c). */
static const char *const admin_audit_names[] = {
	"csrf", "error", "message", "query", "actor", "action", "target", "from", "to", "entries", "actorEmail",
	"at", "beforeText", "afterText", "nextUrl", NULL
};

static const struct tmpl_page console_pages[] = {
	{ "admin_promos", admin_promos_names },
	{ "admin_promo", admin_promo_names },
	{ "admin_categories", admin_categories_names },
	{ "admin_category", admin_category_names },
	{ "admin_pages", admin_pages_names },
	{ "admin_page", admin_page_names },
	{ "content_page", content_page_names },
	{ "admin_orders", admin_orders_names },
	{ "admin_order", admin_order_names },
	{ "admin_audit", admin_audit_names },
};

const struct module console_module = {
	.name = "console",
	.init = console_init,
	.routes = console_routes,
	.nroutes = sizeof(console_routes) / sizeof(console_routes[0]),
	.templates = console_pages,
	.ntemplates = sizeof(console_pages) / sizeof(console_pages[0]),
};
