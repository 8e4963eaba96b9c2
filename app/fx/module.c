/* The fx module: prices in the shopper's currency (issue 19): the enabled
 * currencies and the chooser, the day's rates (`shopctl fx-load`, ECB CSV),
 * sellers' price lists, the pipeline's localize hook that shows catalog
 * prices in the shopper's currency, and the printable invoice. The cart and
 * checkout call rates.h; fx.h is the part every module may use. */
#include "../module.h"
#include "../http/valid.h"
#include "rates.h"
#include "fx_pages.h"
#include "routes.inc"

static const struct route fx_routes[] = {
	FX_ROUTES,
};

/* invoice.html: the model h_invoice builds (order_json's order with the
 * invoice's own members). */
static const char *const invoice_names[] = {
	"invoice", "invoiceNumber", "issuedOn", "shopName", "sellers", "name", "email", "id", "createdAt",
	"statusLabel", "lines", "lineNo", "title", "optionsText", "quantity", "unitPrice", "lineTotal",
	"discount", "taxable", "tax", "lineAmount", "seller", "itemId", "currency", "subtotal", "shipping",
	"total", "shippingMethodName", "promoCode", "shippingAddress", "line1", "line2", "city", "region",
	"postalCode", "country", "payment", "brand", "last4", "rateNote", "backUrl", "status",
	/* the rest of order_json's order (app/order/module.c order_names) */
	"isFailed", "error", "holdExpiresAt", "payUrl", "isPending", "stateLabel", "refundedQuantity",
	"shipments", "carrier", "tracking", "statusText", "lineNos", "shippedAt", "deliveredAt", "events", "at",
	"reason", "shippingMethod", "canCancel", "actor", "canPay", "from", "isConfirmed", "options", "state",
	"to", "url", "showState", "itemCountText", "paymentNote", "trackingUrl", "itemsText", NULL
};

/* seller_prices.html */
static const char *const seller_prices_names[] = {
	"itemId", "rows", "currency", "own", "value", "rateDate", "exponentText", "saved", "formError", "csrf",
	NULL
};

static const struct tmpl_page fx_pages[] = {
	{ "invoice", invoice_names },
	{ "seller_prices", seller_prices_names },
};

static const struct module_command fx_commands[] = {
	{ "fx-load", fx_load_cmd, "fx-load FILE",
	  "load the day's exchange rates from the ECB's CSV (eurofxref.csv), kept with their date" },
};

const struct module fx_module = {
	.name = "fx",
	.init = fx_pages_init,
	.routes = fx_routes,
	.nroutes = sizeof(fx_routes) / sizeof(fx_routes[0]),
	.templates = fx_pages,
	.ntemplates = sizeof(fx_pages) / sizeof(fx_pages[0]),
	.commands = fx_commands,
	.ncommands = sizeof(fx_commands) / sizeof(fx_commands[0]),
	.localize = fx_localize,
};
