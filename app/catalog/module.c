/* The catalog module: categories, product pages, the read model and its
 * worker cache (pcache). */
#include <stdio.h>
#include "../module.h"
#include "../events/stream.h"
#include "catalog_pages.h"
#include "../core/arena.h"
#include "../store/db.h"
#include "catalog.h"
#include "pcache.h"
#include "routes.inc"


static const struct route catalog_routes[] = {
	CATALOG_ROUTES,
};

/* home.html: the model h_home builds. */
static const char *const home_names[] = {
	"categories", "url", "name", "productCount", "children", "topRated", "image", "title",
	"brand", "price", "ratingText", "reviewCount", "stockStatus", "stockLabel", "newest",
	"canonical", "category", "currency", "id", "metaDescription", "parent", "rating", "sku",
	"slug", "stock",
	/* app/recs: the signed-in shopper's and the visitor's sections */
	"forYou", "recentlyViewed", NULL
};

/* category.html: the model h_category builds. */
static const char *const category_names[] = {
	"breadcrumb", "url", "name", "pageTitle", "category", "productCount", "subcategories",
	"sorts", "value", "selected", "label", "brands", "count", "minPriceValue", "maxPriceValue",
	"filters", "items", "image", "title", "brand", "price", "ratingText", "reviewCount",
	"stockStatus", "stockLabel", "firstUrl", "prevUrl", "nextUrl", "brandValue", "canonical", "children",
	"currency", "id", "metaDescription", "nextCursor", "parent", "rating", "sku", "slug",
	"stock", "priceError", "minPriceInvalid", "maxPriceInvalid", "productCountText",
	"priceCurrency", NULL
};

/* product.html: the model h_product builds. */
static const char *const product_names[] = {
	"breadcrumb", "url", "name", "pageTitle", "product", "image", "title", "brand",
	"ratingText", "reviewCount", "price", "stockStatus", "stockLabel", "csrf", "skus", "sku",
	"first", "label", "stock", "purchasable", "description", "attributeList", "value",
	"ratingBars", "star", "percent", "count", "reviews", "stars", "rating", "comment",
	"reviewer", "date", "canonical", "category", "currency", "id", "images",
	"metaDescription", "slug", "thumbnail", "weightGrams", "ratingSummary", "text", "countText",
	"choice", "priceFrom", "chosen", "groups", "choices", "selected", "available", "selectedValue",
	"delivery", "daysText", "free", "gallery", "src", "alt", "n", "stockStatus",
	/* app/recs: what others bought with it, the visitor's recently viewed */
	"alsoBought", "recentlyViewed",
	/* app/questions: answered questions and the form to ask */
	"qa", "items", "allUrl", "action", "signedIn", "signinUrl", "body", "author", "answers", "bySeller",
	"byBuyer", "helpful", "answerCountText", "moreText",
	/* app/wishlist: the Save form's state */
	"wishlistSaved",
	/* app/alerts: the back-in-stock or price-drop form (issue 17) */
	"alertForm", "itemId", "backInStock", "subscribed", "alertId", "alertSku", "back",
	/* app/reviews: the most helpful reviews, the links, the visitor's own */
	"reviewTitle", "verified", "reply", "replyDate", "voteUrl", "reviewsUrl", "writeUrl", "myReview",
	"own", "voted", "canVote", "replyUrl", "status", "voteBack",
	/* app/sales: the flash sale block (issue 18) */
	"saleBlock", "saleId", "saleName", "saleUrl", "salePrice", "regularPrice", "perCustomer", "startsAt",
	"endsAt", "upcoming", "live", "countdown", "units", "left", "leftText", "waitUrl", "saleShared", "buy",
	"account",
	/* data: the JSON-LD block, attributes by name, a SKU's options by name */
	"jsonld.*", "attributes.*", "options.*", NULL
};

static const struct tmpl_page catalog_pages[] = {
	{ "home", home_names },
	{ "category", category_names },
	{ "product", product_names },
};

static int job_category_counts(struct db *db, struct kv *kv, struct arena *a)
{
	(void)kv;
	return catalog_refresh_counts(db, a) ? -1 : 0;
}

static const struct module_job catalog_jobs[] = {
	{ "category-counts", job_category_counts, 10000 },	/* the navigation's "(N)" */
};

/* Product changes -> the workers' read caches, soon after the commit. */
static const struct event_consumer catalog_consumers[] = {
	/* Questions and answers are shown on the product page from the
	 * cache too (a review's changes come as the ratings consumer's
	 * ProductUpdated). */
	{ .name = "pcache", .topics = "ProductUpdated,StockChanged,QuestionPublished,QuestionRejected,AnswerPublished,"
				       "AnswerRejected,CategoryChanged", .handle = pcache_event,
	  .start = pcache_follow_start, .batch = 1000, .interval_ms = 50, .from_head = 1, .per_host = 1 },
};

const struct module catalog_module = {
	.name = "catalog",
	.init = catalog_init,
	.routes = catalog_routes,
	.nroutes = sizeof(catalog_routes) / sizeof(catalog_routes[0]),
	.templates = catalog_pages,
	.ntemplates = sizeof(catalog_pages) / sizeof(catalog_pages[0]),
	.jobs = catalog_jobs,
	.njobs = sizeof(catalog_jobs) / sizeof(catalog_jobs[0]),
	.consumers = catalog_consumers,
	.nconsumers = sizeof(catalog_consumers) / sizeof(catalog_consumers[0]),
};
