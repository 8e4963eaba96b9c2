/* The search module: the search page and API over Sphinx, the indexer and
 * the drift check; shopctl reindex and gen-catalog. */
#include "../module.h"
#include "../events/stream.h"
#include "search.h"
#include "search_pages.h"
#include "schema.h"
#include "routes.inc"

static const struct route search_routes[] = {
	SEARCH_ROUTES,
};

/* search.html: the model h_search builds. */
static const char *const search_names[] = {
	"query", "term", "total", "correctedTerm", "originalUrl", "category", "slug", "brandValue",
	"sorts", "value", "selected", "label", "minPriceValue", "maxPriceValue", "hasFacets",
	"categoryFacet", "url", "name", "count", "brandFacet", "priceFacet", "ratingFacet",
	"stockFacet", "filters", "items", "image", "title", "brand", "price", "ratingText",
	"reviewCount", "stockStatus", "stockLabel", "snippet", "firstUrl", "nextUrl", "currency",
	"degraded", "facets", "id", "inStock", "max", "min", "nextCursor", "parent", "rating",
	"sku", "snippetText", "stock", "searchQuery", "partial", "filterCount", "noResults",
	"spellings", "text", "unfiltered", "departments", "popular", "totalText", "countText",
	"priceCurrency", NULL
};

static const struct tmpl_page search_pages[] = {
	{ "search", search_names },
};

static const struct module_job search_jobs[] = {
	{ "search-reconcile", search_reconcile_batch, 200 },	/* drift between MariaDB and the index */
};

/* Product changes to the search index, within a second. Topics the index
 * does not hold (orders, payments) are skipped. */
static const struct event_consumer search_consumers[] = {
	{ .name = SEARCH_CONSUMER, .topics = "ProductUpdated,StockChanged", .handle = search_index_event,
	  .flush = search_index_flush, .batch = 500, .interval_ms = 100 },
};

static const struct module_command search_commands[] = {
	{ "reindex", search_cmd_reindex, "reindex",
	  "rebuild the search index from MariaDB (progress shown; searches go on meanwhile)" },
	{ "gen-catalog", search_cmd_gen_catalog, "gen-catalog N",
	  "add N synthetic products (names, brands, prices, Zipf-like sales) for benchmarks" },
	{ "search-schema", search_cmd_schema, "search-schema",
	  "print the products index's field lines for conf/sphinx.conf (from app/search/schema.c)" },
};

const struct module search_module = {
	.name = "search",
	.init = search_init,
	.routes = search_routes,
	.nroutes = sizeof(search_routes) / sizeof(search_routes[0]),
	.templates = search_pages,
	.ntemplates = sizeof(search_pages) / sizeof(search_pages[0]),
	.jobs = search_jobs,
	.njobs = sizeof(search_jobs) / sizeof(search_jobs[0]),
	.commands = search_commands,
	.ncommands = sizeof(search_commands) / sizeof(search_commands[0]),
	.consumers = search_consumers,
	.nconsumers = sizeof(search_consumers) / sizeof(search_consumers[0]),
};
