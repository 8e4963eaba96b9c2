/* The reviews module: Reviews and ratings (issue 17): writing, moderation,
 * votes and the seller's reply (reviews.c), the "ratings" consumer that
 * keeps each product's rating in its read model, the pages and the JSON
 * API (reviews_pages.c). */
#include "../module.h"
#include "../http/valid.h"
#include "../events/stream.h"
#include "reviews.h"
#include "reviews_pages.h"
#include "routes.inc"

static const struct route reviews_routes[] = {
	REVIEWS_ROUTES,
};

/* A review published, edited or removed -> the product's rating_x100,
 * review_count and review digest from its published reviews, and a
 * ProductUpdated (reason "rating") for the page cache and the search index. */
static const struct event_consumer reviews_consumers[] = {
	{ .name = "ratings", .topics = "ReviewPublished,ReviewUpdated,ReviewRemoved", .handle = reviews_on_event,
	  .batch = 100, .interval_ms = 100 },
};

static const struct module_command reviews_commands[] = {
	{ "reviews-recount", reviews_recount_cmd, "reviews-recount [PRODUCT-ID]",
	  "recount products' ratings from their published reviews (after a demo re-import)" },
};

/* The pages' models (templates/reviews*.html, admin_reviews.html). */
static const char *const reviews_list_names[] = {
	"product", "title", "url", "slug", "ratingSummary", "text", "countText", "stars", "ratingBars",
	"star", "percent", "count", "selected", "reviews", "id", "rating", "reviewTitle", "body", "author",
	"date", "verified", "helpful", "reply", "replyDate", "canVote", "voted", "own", "csrf", "sorts",
	"value", "label", "starFilters", "stars", "nextUrl", "firstUrl", "writeUrl", "filterText",
	"sortValue", "starsValue", "bodyLines", "signedIn", "canReply", "replyUrl", "voteUrl", "voteBack",
	"myReview", "status", NULL
};

static const char *const review_form_names[] = {
	"product", "title", "url", "slug", "csrf", "review", "id", "rating", "reviewTitle", "body",
	"status", "statusText", "errors", "field", "message", "ratings", "value", "label", "selected",
	"isEdit", "deleteUrl", "action", "reasons", "rejectReason", "verified", "allowed", "why", "text", "code", NULL
};

static const char *const reviews_mine_names[] = {
	"reviews", "id", "rating", "stars", "reviewTitle", "body", "status", "statusText", "date",
	"rejectReason", "reasons", "product", "title", "url", "editUrl", "csrf", "pending", "rejected",
	"published", "verified", "text", "code", NULL
};

static const char *const admin_reviews_names[] = {
	"reviews", "id", "rating", "stars", "reviewTitle", "body", "author", "date", "reasons", "code",
	"text", "product", "title", "url", "csrf", "status", "statuses", "value", "label", "selected",
	"acceptNonBuyers", "verified", "rejectReason", "ownProduct", "pending", "count", "url", NULL
};

static const char *const reply_form_names[] = {
	"product", "title", "url", "csrf", "review", "id", "rating", "stars", "reviewTitle", "body",
	"author", "date", "reply", "errors", "field", "message", "verified", "helpful", "own", "voted",
	"canVote", "voteUrl", "replyDate", "replyUrl", "voteBack", NULL
};

static const struct tmpl_page reviews_pages[] = {
	{ "reviews", reviews_list_names },
	{ "review_form", review_form_names },
	{ "reviews_mine", reviews_mine_names },
	{ "admin_reviews", admin_reviews_names },
	{ "review_reply", reply_form_names },
};

const struct module reviews_module = {
	.name = "reviews",
	.init = reviews_init,
	.routes = reviews_routes,
	.nroutes = sizeof(reviews_routes) / sizeof(reviews_routes[0]),
	.templates = reviews_pages,
	.ntemplates = sizeof(reviews_pages) / sizeof(reviews_pages[0]),
	.commands = reviews_commands,
	.ncommands = sizeof(reviews_commands) / sizeof(reviews_commands[0]),
	.consumers = reviews_consumers,
	.nconsumers = sizeof(reviews_consumers) / sizeof(reviews_consumers[0]),
};
