/* The cart module: guests' carts in the session, signed-in shoppers' in
 * MariaDB; the job that forgets abandoned ones. */
#include "../module.h"
#include "cart_pages.h"
#include "cart.h"
#include "routes.inc"

static const struct route cart_routes[] = {
	CART_ROUTES,
};

/* cart.html: the model reply_cart builds. */
static const char *const cart_names[] = {
	"items", "status", "image", "url", "title", "optionsLabel", "itemId", "message",
	"unitPrice", "priceChanged", "priceUp", "priceDown", "addedPrice", "csrf", "quantity",
	"maxQuantity", "qtyMinus", "canIncrease", "qtyPlus", "lineTotal", "count", "oneUnit",
	"subtotal", "priceChanges", "problems", "available", "cartCount", "currency", "lines",
	"maxLines", "options.*", "productId", "version", "weightGrams", "id",
	/* app/recs: "Frequently bought together", recently viewed, as product cards */
	"boughtTogether", "recentlyViewed", "slug", "brand", "price", "category", "stock", "stockStatus",
	"stockLabel", "rating", "ratingText", "reviewCount",
	/* app/wishlist: "Saved for later" (the default list), with Move to cart */
	"savedForLater", "savedPrice", "priceChange", "priceChangeAbs", "manyUnits", "savedAt", "alerts",
	/* app/sales: the flash sale pricing a line (issue 18) */
	"saleNote", "onSale", "saleId", "regularPrice", NULL
};

static const struct tmpl_page cart_pages[] = {
	{ "cart", cart_names },
};

static int job_carts(struct db *db, struct kv *kv, struct arena *a)
{
	return cart_purge_batch(db, kv, a);
}

static const struct module_job cart_jobs[] = {
	{ "carts", job_carts, 60000 },	/* abandoned signed-in carts */
};

const struct module cart_module = {
	.name = "cart",
	.init = cart_init,
	.routes = cart_routes,
	.nroutes = sizeof(cart_routes) / sizeof(cart_routes[0]),
	.templates = cart_pages,
	.ntemplates = sizeof(cart_pages) / sizeof(cart_pages[0]),
	.jobs = cart_jobs,
	.njobs = sizeof(cart_jobs) / sizeof(cart_jobs[0]),
};
