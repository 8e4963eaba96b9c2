/* Reviews and ratings: pages and JSON API (reviews_pages.h). The rules and
 * SQL are in reviews.c; role and CSRF checks are the route table's. */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../store/db.h"
#include "../account/session_store.h"
#include "../account/session_pages.h"
#include "../catalog/catalog.h"
#include "reviews.h"
#include "reviews_pages.h"
#include "ugc.h"

#define PAGE_SIZE 10	/* reviews on a page of the list, and of the API */
#define ON_PRODUCT 3	/* the most helpful reviews on the product page */
#define QUEUE_MAX 200

static void release_json(void *p)
{
	json_decref(p);
}

static int64_t path_id(const struct ctx *c)
{
	const char *s = c->req->pathvar[0];
	int64_t id;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

static int64_t uid_of(const struct ctx *c)
{
	return c->sess ? c->sess->uid : 0;
}

static const char *stars_text(struct arena *a, int64_t n)
{
	if (n < 0)
		n = 0;
	if (n > 5)
		n = 5;
	return arena_printf(a, "%.*s%.*s", (int)n * 3, "★★★★★", (int)(5 - n) * 3, "☆☆☆☆☆");
}

static const char *x100_text(struct arena *a, long x100)
{
	return arena_printf(a, "%ld.%ld", (x100 + 5) / 100, ((x100 + 5) % 100) / 10);
}

static const char *status_text(const char *s)
{
	if (!strcmp(s, "published"))
		return "Published";
	if (!strcmp(s, "pending"))
		return "Waiting for a moderator";
	return "Rejected";
}

/* The reasons of a stored review as [{code, text}]. */
static json_t *reasons_view(const char *stored)
{
	json_t *v = json_array();

	for (const char *p = stored; p && *p;) {
		size_t k = strcspn(p, ",");
		char code[32];

		snprintf(code, sizeof(code), "%.*s", (int)(k < 31 ? k : 31), p);
		json_array_append_new(v, json_pack("{s:s, s:s}", "code", code, "text", ugc_reason_text(code)));
		p += k;
		if (*p == ',')
			p++;
	}
	return v;
}

/* The API's review. admin: with its reasons and product. */
static json_t *review_api(struct ctx *c, struct db_res *r, size_t i, int admin)
{
	json_t *o = json_object();
	const char *reasons = db_cell(r, i, RV_REASONS);

	json_object_set_new(o, "id", json_integer(db_int(r, i, RV_ID)));
	json_object_set_new(o, "productId", json_integer(db_int(r, i, RV_PRODUCT)));
	json_object_set_new(o, "rating", json_integer(db_int(r, i, RV_RATING)));
	json_object_set_new(o, "title", json_string(db_cell(r, i, RV_TITLE)));
	json_object_set_new(o, "body", json_string(db_cell(r, i, RV_BODY)));
	json_object_set_new(o, "status", json_string(db_cell(r, i, RV_STATUS)));
	json_object_set_new(o, "verifiedPurchase", json_boolean(db_int(r, i, RV_VERIFIED)));
	json_object_set_new(o, "author", json_string(db_cell(r, i, RV_NAME)));
	json_object_set_new(o, "helpful", json_integer(db_int(r, i, RV_HELPFUL)));
	json_object_set_new(o, "createdAt", json_string(db_cell(r, i, RV_CREATED)));
	json_object_set_new(o, "updatedAt", json_string(db_cell(r, i, RV_UPDATED)));
	json_object_set_new(o, "reply", db_cell(r, i, RV_REPLY) ? json_pack("{s:s, s:s}", "body",
		db_cell(r, i, RV_REPLY), "createdAt", db_cell(r, i, RV_REPLY_AT) ? db_cell(r, i, RV_REPLY_AT) : "")
		: json_null());
	/* The author sees why theirs waits or was refused; so do admins. */
	if (admin || (uid_of(c) && db_int(r, i, RV_USER) == uid_of(c))) {
		json_object_set_new(o, "reasons", ugc_reasons_json(ugc_reasons_parse(reasons)));
		json_object_set_new(o, "rejectReason", db_cell(r, i, RV_REJECT) ? json_string(db_cell(r, i, RV_REJECT))
										  : json_null());
	}
	if (admin) {
		json_object_set_new(o, "userId", db_int(r, i, RV_USER) ? json_integer(db_int(r, i, RV_USER)) : json_null());
		json_object_set_new(o, "product", json_pack("{s:I, s:s, s:s}", "id", (json_int_t)db_int(r, i, RV_PRODUCT),
			"title", db_cell(r, i, RV_PTITLE), "url", arena_printf(c->a, "/p/%s", db_cell(r, i, RV_SLUG))));
		json_object_set_new(o, "canModerate", json_boolean(db_int(r, i, RV_SELLER_UID) != uid_of(c)));
	}
	return o;
}

/* A review as the pages show it to the visitor uid (0: anyone; the
 * product page's shared copy) who may be the seller seller_uid of the
 * product. back: where a vote returns ("product", "list"). */
static json_t *review_view_for(struct ctx *c, struct db_res *r, size_t i, const char *back, int64_t uid,
			       int is_seller)
{
	int64_t id = db_int(r, i, RV_ID);
	int own = uid && db_int(r, i, RV_USER) == uid, voted = 0;
	json_t *o;

	if (uid && !own)
		reviews_voted(c->db, c->a, uid, id, &voted);
	o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:b, s:b, s:b, s:s}",
		"id", (json_int_t)id, "rating", (json_int_t)db_int(r, i, RV_RATING),
		"stars", stars_text(c->a, db_int(r, i, RV_RATING)), "reviewTitle", db_cell(r, i, RV_TITLE),
		"body", db_cell(r, i, RV_BODY), "author", db_cell(r, i, RV_NAME), "date", db_cell(r, i, RV_CREATED),
		"verified", (int)db_int(r, i, RV_VERIFIED), "helpful", (json_int_t)db_int(r, i, RV_HELPFUL),
		"own", own, "voted", voted, "canVote", !own && !voted,
		"voteUrl", arena_printf(c->a, "/reviews/%lld/helpful", (long long)id));
	json_object_set_new(o, "voteBack", json_string(back));
	if (db_cell(r, i, RV_REPLY))
		json_object_set_new(o, "reply", json_pack("{s:s, s:s}", "body", db_cell(r, i, RV_REPLY),
			"replyDate", db_cell(r, i, RV_REPLY_AT) ? db_cell(r, i, RV_REPLY_AT) : ""));
	if (is_seller && uid && db_int(r, i, RV_SELLER_UID) == uid)
		json_object_set_new(o, "replyUrl", json_string(arena_printf(c->a, "/reviews/%lld/reply", (long long)id)));
	return o;
}

/* The same for this request's visitor. */
static json_t *review_view(struct ctx *c, struct db_res *r, size_t i, const char *back)
{
	return review_view_for(c, r, i, back, uid_of(c), c->sess && c->sess->seller_id);
}

/* The summary and the histogram (bars link to the filtered list). */
static void summary_view(struct ctx *c, json_t *m, const char *slug, long counts[6], long total, long x100)
{
	json_t *bars = json_array();

	json_object_set_new(m, "ratingSummary", total ? json_pack("{s:s, s:I, s:s, s:s}", "text", x100_text(c->a, x100),
		"count", (json_int_t)total, "countText", arena_printf(c->a, "%ld review%s", total, total == 1 ? "" : "s"),
		"stars", arena_printf(c->a, "%ld.%02ld out of 5 stars", x100 / 100, x100 % 100)) : json_null());
	for (int s = 5; s >= 1 && total; s--)
		json_array_append_new(bars, json_pack("{s:i, s:I, s:I, s:s}", "star", s, "count", (json_int_t)counts[s],
			"percent", (json_int_t)(counts[s] * 100 / total),
			"url", arena_printf(c->a, "/p/%s/reviews?stars=%d", slug, s)));
	json_object_set_new(m, "ratingBars", bars);
}

/* 422 with error.fields [{field, message}]. */
static enum err reply_fields(struct ctx *c, const struct review_out *out)
{
	json_t *fields = json_array();
	enum err e = reply_error(c, 422, arena_printf(c->a, "%s: %s", out->errs[0].field, out->errs[0].message));

	if (e)
		return e;
	for (int i = 0; i < out->nerrs; i++)
		json_array_append_new(fields, json_pack("{s:s, s:s}", "field", out->errs[i].field, "message",
							out->errs[i].message));
	json_object_set_new(json_object_get(c->resp->model, "error"), "fields", fields);
	return E_OK;
}

static enum err reply_json(struct ctx *c, int status, json_t *o)
{
	if (!o)
		return E_NOMEM;
	if (arena_on_reset(c->a, release_json, o)) {
		json_decref(o);
		return E_NOMEM;
	}
	c->resp->status = status;
	c->resp->model = o;
	return E_OK;
}

/* Answers review id as the API shows it. */
static enum err reply_review(struct ctx *c, int status, int64_t id, int admin)
{
	struct db_res *r = NULL;
	enum err e;

	if ((e = reviews_get(c->db, c->a, id, &r)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	return reply_json(c, status, review_api(c, r, 0, admin));
}

/* ---- the product page's part ---- */

/* "myReview" {status} when the signed-in visitor has written one for the
 * product: its links say "Edit your review", not "Write a review". */
static void my_review(struct ctx *c, json_t *m, int64_t product_id)
{
	struct db_res *mine = NULL;

	if (uid_of(c) && !reviews_get_mine(c->db, c->a, uid_of(c), product_id, &mine) && mine->nrows)
		json_object_set_new(m, "myReview", json_pack("{s:s}", "status", status_text(db_cell(mine, 0, RV_STATUS))));
}

/* The most helpful few as visitor uid sees them, into m's "reviews"; 0
 * or -1 when they could not be read. */
static int product_reviews(struct ctx *c, json_t *m, int64_t product_id, int64_t uid, int is_seller)
{
	struct db_res *r = NULL;
	const char *next = NULL;
	json_t *list;

	if (reviews_list(c->db, c->a, product_id, REVIEWS_SORT_HELPFUL, 0, NULL, ON_PRODUCT, &r, &next)) {
		log_warn("reviews: the product page's reviews left out");
		return -1;
	}
	list = json_array();
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(list, review_view_for(c, r, i, "product", uid, is_seller));
	json_object_set_new(m, "reviews", list);
	return 0;
}

int reviews_product_parts(struct ctx *c, json_t *parts, int64_t product_id)
{
	const char *slug = json_string_value(json_object_get(json_object_get(parts, "product"), "slug"));

	if (!slug)
		return -1;
	json_object_set_new(parts, "reviewsUrl", json_string(arena_printf(c->a, "/p/%s/reviews", slug)));
	json_object_set_new(parts, "writeUrl", json_string(arena_printf(c->a, "/p/%s/review", slug)));
	/* As anyone sees them: the copy every visitor without a session gets. */
	return product_reviews(c, parts, product_id, 0, 0);
}

void reviews_product_sections(struct ctx *c, json_t *m, int64_t product_id)
{
	/* A signed-in visitor: their own review and votes (the reviews read
	 * again, with their state), never the shared copy changed. */
	if (uid_of(c) <= 0)
		return;
	product_reviews(c, m, product_id, uid_of(c), c->sess && c->sess->seller_id);
	my_review(c, m, product_id);
}

/* ---- the JSON API ---- */

static enum err api_product(struct ctx *c, int64_t *id)
{
	struct db_res *p = NULL;
	enum err e;

	if (!(*id = path_id(c)))
		return E_NOTFOUND;
	if ((e = catalog_product_by_id(c->db, c->a, *id, &p)))
		return e;
	return p->nrows ? E_OK : E_NOTFOUND;
}

enum err h_api_reviews(struct ctx *c)
{
	int64_t pid;
	int sort = REVIEWS_SORT_HELPFUL;
	long counts[6], total, x100;
	struct db_res *r = NULL;
	const char *next = NULL;
	json_t *o, *items, *hist;
	enum err e;

	if ((e = api_product(c, &pid)))
		return e;
	if (ctx_str(c, "sort") && (sort = reviews_sort_parse(ctx_str(c, "sort"))) < 0)
		return reply_error(c, 400, "sort: must be one of helpful, newest, highest, lowest");
	if ((e = reviews_list(c->db, c->a, pid, sort, (int)ctx_int(c, "stars", 0), ctx_str(c, "cursor"), PAGE_SIZE,
			      &r, &next)) ||
	    (e = reviews_histogram(c->db, c->a, pid, counts, &total, &x100)))
		return e;
	items = json_array();
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(items, review_api(c, r, i, 0));
	hist = json_object();
	for (int s = 1; s <= 5; s++)
		json_object_set_new(hist, arena_printf(c->a, "%d", s), json_integer(counts[s]));
	o = json_pack("{s:o, s:o, s:I, s:o, s:s, s:i}", "items", items, "nextCursor", next ? json_string(next) : json_null(),
		      "count", (json_int_t)total, "histogram", hist, "sort", reviews_sort_name(sort),
		      "stars", (int)ctx_int(c, "stars", 0));
	json_object_set_new(o, "average", total ? json_real((double)x100 / 100.0) : json_null());
	return reply_json(c, 200, o);
}

/* The outcome of a change for the API: 403, 422, or the review. */
static enum err api_outcome(struct ctx *c, enum err e, const struct review_out *out, int admin)
{
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such review.");
	if (e == E_CONFLICT)
		return reply_error(c, 409, "Your review is being saved; send it again.");
	if (e)
		return e;
	if (out->forbidden)
		return reply_error(c, 403, out->why);
	if (out->nerrs)
		return reply_fields(c, out);
	if (out->created)
		resp_header(c->resp, arena_printf(c->a, "Location: /api/reviews/%lld", (long long)out->id));
	return reply_review(c, out->created ? 201 : 200, out->id, admin);
}

enum err h_api_review_post(struct ctx *c)
{
	struct review_out out;
	int64_t pid = path_id(c);
	enum err e;

	if (!pid)
		return E_NOTFOUND;
	e = reviews_write(c->db, c->a, uid_of(c), pid, ctx_int(c, "rating", 0), ctx_str(c, "title"),
			  ctx_str(c, "body"), &out);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such item.");
	return api_outcome(c, e, &out, 0);
}

enum err h_api_review_patch(struct ctx *c)
{
	struct review_out out;

	return api_outcome(c, reviews_edit(c->db, c->a, uid_of(c), path_id(c),
					   ctx_has(c, "rating") ? ctx_int(c, "rating", 0) : -1, ctx_str(c, "title"),
					   ctx_str(c, "body"), &out), &out, 0);
}

enum err h_api_review_delete(struct ctx *c)
{
	enum err e = reviews_delete(c->db, c->a, uid_of(c), path_id(c));

	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such review.");
	if (e)
		return e;
	c->resp->status = 204;
	return E_OK;
}

enum err h_api_review_vote(struct ctx *c)
{
	struct review_out out;
	int64_t helpful = 0;
	enum err e = reviews_vote(c->db, c->a, uid_of(c), path_id(c), &helpful, &out);

	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such review.");
	if (e)
		return e;
	if (out.forbidden)
		return reply_error(c, 403, out.why);
	return reply_json(c, 200, json_pack("{s:I, s:I, s:b}", "id", (json_int_t)path_id(c), "helpful",
					    (json_int_t)helpful, "voted", 1));
}

enum err h_api_review_reply(struct ctx *c)
{
	struct review_out out;

	return api_outcome(c, reviews_reply(c->db, c->a, c->sess->seller_id, path_id(c), ctx_str(c, "body"), &out),
			   &out, 0);
}

static const char *queue_status(struct ctx *c)
{
	const char *s = ctx_str(c, "status");

	if (!s)
		return "pending";
	if (strcmp(s, "pending") && strcmp(s, "rejected") && strcmp(s, "published"))
		return NULL;
	return s;
}

enum err h_api_admin_reviews(struct ctx *c)
{
	const char *status = queue_status(c);
	struct db_res *r = NULL;
	json_t *items;
	enum err e;

	if (!status)
		return reply_error(c, 400, "status: must be pending, rejected or published");
	if ((e = reviews_queue(c->db, c->a, status, QUEUE_MAX, &r)))
		return e;
	items = json_array();
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(items, review_api(c, r, i, 1));
	return reply_json(c, 200, json_pack("{s:o, s:s}", "items", items, "status", status));
}

enum err h_api_admin_review_settings(struct ctx *c)
{
	int on = 0;
	enum err e = reviews_accept_non_buyers(c->db, c->a, &on);

	return e ? e : reply_json(c, 200, json_pack("{s:b}", "acceptNonBuyers", on));
}

enum err h_api_admin_review_settings_put(struct ctx *c)
{
	enum err e;

	if (!ctx_has(c, "acceptNonBuyers"))
		return reply_error(c, 400, "acceptNonBuyers: is required (true or false)");
	if ((e = reviews_set_accept_non_buyers(c->db, c->a, ctx_int(c, "acceptNonBuyers", 0) != 0)))
		return e;
	log_info("admin %lld set reviews accept_non_buyers=%d", (long long)uid_of(c),
		 (int)(ctx_int(c, "acceptNonBuyers", 0) != 0));
	return h_api_admin_review_settings(c);
}

enum err h_api_admin_review_publish(struct ctx *c)
{
	struct review_out out;

	return api_outcome(c, reviews_moderate(c->db, c->a, uid_of(c), path_id(c), 1, NULL, &out), &out, 1);
}

enum err h_api_admin_review_reject(struct ctx *c)
{
	struct review_out out;

	return api_outcome(c, reviews_moderate(c->db, c->a, uid_of(c), path_id(c), 0, ctx_str(c, "reason"), &out),
			   &out, 1);
}

/* ---- the pages ---- */

/* The product of the page's {slug}: its row (PC_* columns), or 404. */
static enum err page_product(struct ctx *c, struct db_res **p)
{
	enum err e;

	if ((e = catalog_product_by_slug(c->db, c->a, c->req->pathvar[0], p)))
		return e;
	return (*p)->nrows ? E_OK : E_NOTFOUND;
}

static json_t *product_view(struct ctx *c, struct db_res *p)
{
	return json_pack("{s:s, s:s, s:s}", "title", db_cell(p, 0, PC_TITLE), "slug", db_cell(p, 0, PC_SLUG),
			 "url", arena_printf(c->a, "/p/%s", db_cell(p, 0, PC_SLUG)));
}

/* GET /p/{slug}/reviews: every published review, sorted, filtered by stars. */
enum err h_reviews_page(struct ctx *c)
{
	static const char *const labels[REVIEWS_NSORTS] = { "Most helpful", "Newest", "Highest rating", "Lowest rating" };
	struct db_res *p = NULL, *r = NULL;
	const char *next = NULL, *slug;
	int sort = REVIEWS_SORT_HELPFUL, stars = (int)ctx_int(c, "stars", 0);
	long counts[6], total, x100;
	json_t *m, *list, *sorts, *filters;
	enum err e;

	if ((e = page_product(c, &p)))
		return e;
	slug = db_cell(p, 0, PC_SLUG);
	if (ctx_str(c, "sort") && (sort = reviews_sort_parse(ctx_str(c, "sort"))) < 0)
		sort = REVIEWS_SORT_HELPFUL;
	if ((e = reviews_list(c->db, c->a, db_int(p, 0, PC_ID), sort, stars, ctx_str(c, "cursor"), PAGE_SIZE, &r,
			      &next)) ||
	    (e = reviews_histogram(c->db, c->a, db_int(p, 0, PC_ID), counts, &total, &x100)))
		return e;
	if (!(m = reply_model(c, "reviews", arena_printf(c->a, "Reviews of %s", db_cell(p, 0, PC_TITLE)))))
		return E_NOMEM;
	json_object_set_new(m, "product", product_view(c, p));
	summary_view(c, m, slug, counts, total, x100);
	list = json_array();
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(list, review_view(c, r, i, "list"));
	json_object_set_new(m, "reviews", list);
	sorts = json_array();
	for (int s = 0; s < REVIEWS_NSORTS; s++)
		json_array_append_new(sorts, json_pack("{s:s, s:s, s:b}", "value", reviews_sort_name(s), "label", labels[s],
						       "selected", s == sort));
	json_object_set_new(m, "sorts", sorts);
	filters = json_array();
	json_array_append_new(filters, json_pack("{s:s, s:s, s:b}", "label", "All stars", "url",
		arena_printf(c->a, "/p/%s/reviews?sort=%s", slug, reviews_sort_name(sort)), "selected", stars == 0));
	for (int s = 5; s >= 1; s--)
		json_array_append_new(filters, json_pack("{s:s, s:s, s:b}", "label", arena_printf(c->a, "%d star", s),
			"url", arena_printf(c->a, "/p/%s/reviews?sort=%s&stars=%d", slug, reviews_sort_name(sort), s),
			"selected", stars == s));
	json_object_set_new(m, "starFilters", filters);
	json_object_set_new(m, "sortValue", json_string(reviews_sort_name(sort)));
	json_object_set_new(m, "starsValue", json_integer(stars));
	if (stars)
		json_object_set_new(m, "filterText", json_string(arena_printf(c->a, "Showing %d-star reviews", stars)));
	if (next)
		json_object_set_new(m, "nextUrl", json_string(arena_printf(c->a, "/p/%s/reviews?sort=%s&stars=%d&cursor=%s",
			slug, reviews_sort_name(sort), stars, next)));
	if (ctx_str(c, "cursor"))
		json_object_set_new(m, "firstUrl", json_string(arena_printf(c->a, "/p/%s/reviews?sort=%s&stars=%d", slug,
			reviews_sort_name(sort), stars)));
	json_object_set_new(m, "writeUrl", json_string(arena_printf(c->a, "/p/%s/review", slug)));
	my_review(c, m, db_int(p, 0, PC_ID));
	return E_OK;
}

/* The write/edit form: values (rating, title, body) as sent or stored;
 * errs from a refused post. */
static enum err form_page(struct ctx *c, struct db_res *p, int status, int64_t rating, const char *title,
			  const char *body, const struct review_out *out)
{
	json_t *m = session_form_page(c, "review_form", "Write a review", status), *ratings, *errors;
	struct db_res *mine = NULL;
	int verified = 0, on = 0;
	enum err e;

	if (!m)
		return E_NOMEM;
	json_object_set_new(m, "product", product_view(c, p));
	if ((e = reviews_get_mine(c->db, c->a, uid_of(c), db_int(p, 0, PC_ID), &mine)) ||
	    (e = ugc_bought(c->db, c->a, uid_of(c), db_int(p, 0, PC_ID), &verified)) ||
	    (e = reviews_accept_non_buyers(c->db, c->a, &on)))
		return e;
	if (mine->nrows) {
		c->resp->title = "Edit your review";
		json_object_set_new(m, "isEdit", json_true());
		json_object_set_new(m, "review", json_pack("{s:I, s:s, s:s}", "id", (json_int_t)db_int(mine, 0, RV_ID),
			"status", db_cell(mine, 0, RV_STATUS), "statusText", status_text(db_cell(mine, 0, RV_STATUS))));
		if (db_cell(mine, 0, RV_REJECT))
			json_object_set_new(m, "rejectReason", json_string(db_cell(mine, 0, RV_REJECT)));
		json_object_set_new(m, "reasons", reasons_view(db_cell(mine, 0, RV_REASONS)));
		json_object_set_new(m, "deleteUrl", json_string(arena_printf(c->a, "/reviews/%lld/delete",
									   (long long)db_int(mine, 0, RV_ID))));
		if (!rating)
			rating = db_int(mine, 0, RV_RATING);
		if (!title)
			title = db_cell(mine, 0, RV_TITLE);
		if (!body)
			body = db_cell(mine, 0, RV_BODY);
	}
	json_object_set_new(m, "verified", json_boolean(verified));
	json_object_set_new(m, "allowed", json_boolean(verified || on));
	if (!verified && !on)
		json_object_set_new(m, "why", json_string("Only shoppers who bought this item can review it."));
	json_object_set_new(m, "action", json_string(arena_printf(c->a, "/p/%s/review", db_cell(p, 0, PC_SLUG))));
	json_object_set_new(m, "reviewTitle", json_string(title ? title : ""));
	json_object_set_new(m, "body", json_string(body ? body : ""));
	ratings = json_array();
	for (int s = 5; s >= 1; s--)
		json_array_append_new(ratings, json_pack("{s:i, s:s, s:b}", "value", s, "label",
			arena_printf(c->a, "%d star%s", s, s == 1 ? "" : "s"), "selected", s == rating));
	json_object_set_new(m, "ratings", ratings);
	if (out && out->nerrs) {
		errors = json_array();
		for (int i = 0; i < out->nerrs; i++)
			json_array_append_new(errors, json_pack("{s:s, s:s}", "field", out->errs[i].field, "message",
								out->errs[i].message));
		json_object_set_new(m, "errors", errors);
	}
	return E_OK;
}

enum err h_review_form(struct ctx *c)
{
	struct db_res *p = NULL;
	enum err e;

	if ((e = page_product(c, &p)))
		return e;
	return form_page(c, p, 200, 0, NULL, NULL, NULL);
}

enum err h_review_post(struct ctx *c)
{
	struct db_res *p = NULL;
	struct review_out out;
	enum err e;

	if ((e = page_product(c, &p)))
		return e;
	e = reviews_write(c->db, c->a, uid_of(c), db_int(p, 0, PC_ID), ctx_int(c, "rating", 0), ctx_str(c, "title"),
			  ctx_str(c, "body"), &out);
	if (e == E_CONFLICT)
		return reply_error(c, 409, "Your review is being saved; send it again.");
	if (e)
		return e;
	if (out.forbidden)
		return reply_error(c, 403, out.why);
	if (out.nerrs)
		return form_page(c, p, 422, ctx_int(c, "rating", 0), ctx_str(c, "title"), ctx_str(c, "body"), &out);
	if (!strcmp(out.status, "published")) {
		session_flash(c, "Thank you: your review is published.");
		return reply_redirect(c, 303, arena_printf(c->a, "/p/%s#reviews", db_cell(p, 0, PC_SLUG)));
	}
	session_flash(c, "Thank you: your review waits for a moderator before it is shown.");
	return reply_redirect(c, 303, "/account/reviews");
}

enum err h_review_delete(struct ctx *c)
{
	enum err e = reviews_delete(c->db, c->a, uid_of(c), path_id(c));

	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such review.");
	if (e)
		return e;
	session_flash(c, "Your review is deleted.");
	return reply_redirect(c, 303, "/account/reviews");
}

enum err h_review_helpful(struct ctx *c)
{
	struct review_out out;
	struct db_res *r = NULL;
	int64_t helpful = 0, id = path_id(c);
	const char *back = ctx_str(c, "back");
	enum err e;

	if ((e = reviews_get(c->db, c->a, id, &r)))
		return e;
	if (!r->nrows)
		return reply_error(c, 404, "There is no such review.");
	e = reviews_vote(c->db, c->a, uid_of(c), id, &helpful, &out);
	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such review.");
	if (e)
		return e;
	if (out.forbidden)
		return reply_error(c, 403, out.why);
	session_flash(c, "Thank you for your vote.");
	return reply_redirect(c, 303, back && !strcmp(back, "list") ?
			      arena_printf(c->a, "/p/%s/reviews", db_cell(r, 0, RV_SLUG)) :
			      arena_printf(c->a, "/p/%s#reviews", db_cell(r, 0, RV_SLUG)));
}

/* The seller's reply form: the review and the reply as it stands. */
static enum err reply_page(struct ctx *c, int status, const char *body, const struct review_out *out)
{
	struct db_res *r = NULL;
	json_t *m;
	enum err e;

	if ((e = reviews_get(c->db, c->a, path_id(c), &r)))
		return e;
	if (!r->nrows || !c->sess->seller_id || db_int(r, 0, RV_SELLER_UID) != uid_of(c) ||
	    strcmp(db_cell(r, 0, RV_STATUS), "published"))
		return reply_error(c, 404, "There is no such review.");
	if (!(m = session_form_page(c, "review_reply", "Reply to a review", status)))
		return E_NOMEM;
	json_object_set_new(m, "product", json_pack("{s:s, s:s}", "title", db_cell(r, 0, RV_PTITLE), "url",
						    arena_printf(c->a, "/p/%s", db_cell(r, 0, RV_SLUG))));
	json_object_set_new(m, "review", review_view(c, r, 0, "product"));
	json_object_set_new(m, "body", json_string(body ? body : db_cell(r, 0, RV_REPLY) ? db_cell(r, 0, RV_REPLY) : ""));
	if (out && out->nerrs)
		json_object_set_new(m, "errors", json_pack("[{s:s, s:s}]", "field", out->errs[0].field, "message",
							    out->errs[0].message));
	return E_OK;
}

enum err h_review_reply_form(struct ctx *c)
{
	return reply_page(c, 200, NULL, NULL);
}

enum err h_review_reply_post(struct ctx *c)
{
	struct review_out out;
	struct db_res *r = NULL;
	enum err e = reviews_reply(c->db, c->a, c->sess->seller_id, path_id(c), ctx_str(c, "body"), &out);

	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such review.");
	if (e)
		return e;
	if (out.nerrs)
		return reply_page(c, 422, ctx_str(c, "body"), &out);
	if ((e = reviews_get(c->db, c->a, path_id(c), &r)))
		return e;
	session_flash(c, "Your reply is published.");
	return reply_redirect(c, 303, r->nrows ? arena_printf(c->a, "/p/%s#reviews", db_cell(r, 0, RV_SLUG)) : "/");
}

/* GET /account/reviews: the author's reviews with their status. */
enum err h_reviews_mine(struct ctx *c)
{
	struct db_res *r = NULL;
	json_t *m, *list;
	enum err e;

	if ((e = reviews_of_user(c->db, c->a, uid_of(c), &r)))
		return e;
	if (!(m = session_form_page(c, "reviews_mine", "My reviews", 200)))
		return E_NOMEM;
	list = json_array();
	for (size_t i = 0; i < r->nrows; i++) {
		const char *st = db_cell(r, i, RV_STATUS);
		json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:o}",
			"id", (json_int_t)db_int(r, i, RV_ID), "rating", (json_int_t)db_int(r, i, RV_RATING),
			"stars", stars_text(c->a, db_int(r, i, RV_RATING)), "reviewTitle", db_cell(r, i, RV_TITLE),
			"body", db_cell(r, i, RV_BODY), "status", st, "statusText", status_text(st),
			"date", db_cell(r, i, RV_UPDATED), "pending", !strcmp(st, "pending"),
			"rejected", !strcmp(st, "rejected"), "published", !strcmp(st, "published"),
			"verified", (int)db_int(r, i, RV_VERIFIED), "reasons", reasons_view(db_cell(r, i, RV_REASONS)));

		json_object_set_new(o, "product", json_pack("{s:s, s:s}", "title", db_cell(r, i, RV_PTITLE), "url",
							    arena_printf(c->a, "/p/%s", db_cell(r, i, RV_SLUG))));
		json_object_set_new(o, "editUrl", json_string(arena_printf(c->a, "/p/%s/review", db_cell(r, i, RV_SLUG))));
		if (db_cell(r, i, RV_REJECT))
			json_object_set_new(o, "rejectReason", json_string(db_cell(r, i, RV_REJECT)));
		json_array_append_new(list, o);
	}
	json_object_set_new(m, "reviews", list);
	return E_OK;
}

/* GET /admin/reviews?status=: the queue (pending by default), the setting. */
enum err h_admin_reviews(struct ctx *c)
{
	static const char *const statuses[] = { "pending", "rejected", "published" };
	const char *status = queue_status(c);
	struct db_res *r = NULL;
	json_t *m, *list, *tabs;
	int on = 0;
	enum err e;

	if (!status)
		status = "pending";
	if ((e = reviews_queue(c->db, c->a, status, QUEUE_MAX, &r)) || (e = reviews_accept_non_buyers(c->db, c->a, &on)))
		return e;
	if (!(m = session_form_page(c, "admin_reviews", "Reviews", 200)))
		return E_NOMEM;
	list = json_array();
	for (size_t i = 0; i < r->nrows; i++) {
		json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:b, s:s}",
			"id", (json_int_t)db_int(r, i, RV_ID), "rating", (json_int_t)db_int(r, i, RV_RATING),
			"stars", stars_text(c->a, db_int(r, i, RV_RATING)), "reviewTitle", db_cell(r, i, RV_TITLE),
			"body", db_cell(r, i, RV_BODY), "author", db_cell(r, i, RV_NAME), "date", db_cell(r, i, RV_CREATED),
			"verified", (int)db_int(r, i, RV_VERIFIED), "reasons", reasons_view(db_cell(r, i, RV_REASONS)),
			"ownProduct", db_int(r, i, RV_SELLER_UID) == uid_of(c), "status", db_cell(r, i, RV_STATUS));

		json_object_set_new(o, "product", json_pack("{s:s, s:s}", "title", db_cell(r, i, RV_PTITLE), "url",
							    arena_printf(c->a, "/p/%s", db_cell(r, i, RV_SLUG))));
		if (db_cell(r, i, RV_REJECT))
			json_object_set_new(o, "rejectReason", json_string(db_cell(r, i, RV_REJECT)));
		json_array_append_new(list, o);
	}
	json_object_set_new(m, "reviews", list);
	json_object_set_new(m, "count", json_integer((json_int_t)r->nrows));
	json_object_set_new(m, "pending", json_boolean(!strcmp(status, "pending")));
	tabs = json_array();
	for (size_t i = 0; i < 3; i++)
		json_array_append_new(tabs, json_pack("{s:s, s:s, s:b}", "label", statuses[i], "url",
			arena_printf(c->a, "/admin/reviews?status=%s", statuses[i]), "selected", !strcmp(status, statuses[i])));
	json_object_set_new(m, "statuses", tabs);
	json_object_set_new(m, "status", json_string(status));
	json_object_set_new(m, "acceptNonBuyers", json_boolean(on));
	return E_OK;
}

enum err h_admin_reviews_settings(struct ctx *c)
{
	int on = ctx_int(c, "acceptNonBuyers", 0) != 0;
	enum err e = reviews_set_accept_non_buyers(c->db, c->a, on);

	if (e)
		return e;
	log_info("admin %lld set reviews accept_non_buyers=%d", (long long)uid_of(c), on);
	session_flash(c, on ? "Reviews from shoppers who did not buy are now accepted (without the badge)."
			    : "Only buyers can review now.");
	return reply_redirect(c, 303, "/admin/reviews");
}

static enum err admin_moderate(struct ctx *c, int publish)
{
	struct review_out out;
	enum err e = reviews_moderate(c->db, c->a, uid_of(c), path_id(c), publish, ctx_str(c, "reason"), &out);

	if (e == E_NOTFOUND)
		return reply_error(c, 404, "There is no such review.");
	if (e)
		return e;
	if (out.nerrs) {
		session_flash(c, "To reject a review, say why: the author is told.");
		return reply_redirect(c, 303, "/admin/reviews");
	}
	log_info("admin %lld %s review %lld", (long long)uid_of(c), publish ? "published" : "rejected",
		 (long long)path_id(c));
	session_flash(c, arena_printf(c->a, "Review %lld is %s.", (long long)path_id(c),
				      publish ? "published" : "rejected; its author gets a mail with the reason"));
	return reply_redirect(c, 303, "/admin/reviews");
}

enum err h_admin_review_publish(struct ctx *c)
{
	return admin_moderate(c, 1);
}

enum err h_admin_review_reject(struct ctx *c)
{
	return admin_moderate(c, 0);
}
