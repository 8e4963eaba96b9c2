/* The reviews mails (notify_ext.h): ReviewRejected tells the author, with
 * the moderator's reason (templates/mail/review_rejected.html and its text
 * twin). A transactional mail: no opt-out. */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../events/stream.h"
#include "../reviews/reviews.h"
#include "notify_ext.h"

enum err notify_reviews_collect(struct db *db, struct arena *a, const struct event *ev,
				struct notify_mail **out, size_t *n)
{
	json_t *id = ev->json ? json_object_get(ev->json, "reviewId") : NULL;
	json_t *reason = ev->json ? json_object_get(ev->json, "reason") : NULL;
	struct db_res *r = NULL;
	const char *email = NULL, *name = NULL;
	struct notify_mail *m;
	enum err e;

	*out = NULL;
	*n = 0;
	if (ev->type != EV_REVIEW_REJECTED || !json_is_integer(id))
		return E_OK;
	if ((e = reviews_author(db, a, json_integer_value(id), &email, &name)))
		return e;
	if (!email || !*email)
		return E_OK;	/* a demo review, or an account that is gone */
	if ((e = reviews_get(db, a, json_integer_value(id), &r)))
		return e;
	if (!r->nrows)
		return E_OK;	/* deleted since */
	if (!(m = arena_calloc(a, 1, sizeof(*m))))
		return E_NOMEM;
	m->kind = NK_REVIEW_REJECTED;
	m->to = email;
	m->user_id = db_int(r, 0, RV_USER);
	m->subject = arena_printf(a, "Your review of %s was not published", db_cell(r, 0, RV_PTITLE));
	m->model = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", name ? name : "",
			     "productTitle", db_cell(r, 0, RV_PTITLE),
			     "productUrl", arena_printf(a, "%s/p/%s", config.base_url, db_cell(r, 0, RV_SLUG)),
			     "reviewTitle", db_cell(r, 0, RV_TITLE),
			     "reason", json_is_string(reason) ? json_string_value(reason) :
				       db_cell(r, 0, RV_REJECT) ? db_cell(r, 0, RV_REJECT) : "",
			     "myReviewsUrl", arena_printf(a, "%s/account/reviews", config.base_url));
	if (!m->model || !m->subject)
		return E_NOMEM;
	*out = m;
	*n = 1;
	return E_OK;
}
