/* The questions module: product questions and answers (issue 17): asking
 * and answering with the moderation every shopper's text gets
 * (app/reviews/ugc.h), helpful votes, the product page's part, the
 * product's questions page, the seller's list, the admin's queue and the
 * JSON API. The mails they bring are the notify module's
 * (app/notify/notify_questions.c). */
#include "../module.h"
#include "../http/valid.h"
#include "questions.h"
#include "questions_pages.h"
#include "routes.inc"

static const struct route questions_routes[] = {
	QUESTIONS_ROUTES,
};

/* questions.html: a product's questions (questions_page). */
static const char *const questions_names[] = {
	"product", "title", "url", "items", "id", "body", "author", "date", "answers", "bySeller", "byBuyer",
	"helpful", "canVote", "voteAction", "answerCountText", "moreText", "answerAction", "answerAs",
	"answerError", "answerTyped", "action", "signedIn", "signinUrl", "askError", "askTyped", "nextUrl",
	"mine", "kind", "statusText", "isRejected", "rejectReason", "question", NULL
};

/* seller_questions.html: questions on the seller's items. */
static const char *const seller_questions_names[] = {
	"items", "id", "body", "author", "date", "answers", "bySeller", "byBuyer", "helpful", "answerCountText",
	"moreText", "productTitle", "productUrl", "answerAction", "filterAll", "nextUrl", NULL
};

/* admin_questions.html: the moderation queue. */
static const char *const admin_questions_names[] = {
	"questions", "answers", "id", "body", "author", "date", "productTitle", "productUrl", "statusText",
	"reasons", "code", "text", "action", "canPublish", "canReject", "rejectReason", "question", "byText",
	"status", "isPending", "isRejected", "isPublished", "error", NULL
};

static const struct tmpl_page questions_pages[] = {
	{ "questions", questions_names },
	{ "seller_questions", seller_questions_names },
	{ "admin_questions", admin_questions_names },
};

const struct module questions_module = {
	.name = "questions",
	.init = questions_init,
	.routes = questions_routes,
	.nroutes = sizeof(questions_routes) / sizeof(questions_routes[0]),
	.templates = questions_pages,
	.ntemplates = sizeof(questions_pages) / sizeof(questions_pages[0]),
};
