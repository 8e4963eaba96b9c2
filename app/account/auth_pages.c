/* The session/role and CSRF steps of dispatch (docs/design.md section 4): run by
 * the pipeline for every request, after routing and before key validation.
 * Handlers never repeat these checks. */
#include <string.h>
#include <strings.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../view/escape.h"
#include "../http/router.h"
#include "../http/server.h"
#include "session_pages.h"

static int safe_method(enum method m)
{
	return m == M_GET || m == M_HEAD || m == M_OPTIONS;
}

/* The second CSRF layer: browsers say where a request comes from. A request
 * that says it is cross-site is refused whatever token it carries. */
static int cross_site(const struct req *r)
{
	const char *o = r->origin, *host = r->host;

	if (r->sec_fetch_site && strcmp(r->sec_fetch_site, "same-origin") &&
	    strcmp(r->sec_fetch_site, "none"))
		return 1;
	if (o && strcmp(o, "null") && host) {
		const char *p = strstr(o, "://");

		if (!p || strcmp(p + 3, host))
			return 1;
	} else if (o && !strcmp(o, "null")) {
		return 1;
	}
	return 0;
}

/* A request that names its origin, after cross_site() found it is ours. */
static int says_same_origin(const struct req *r)
{
	return (r->sec_fetch_site && !strcmp(r->sec_fetch_site, "same-origin")) ||
	       (r->origin && strcmp(r->origin, "null"));
}

int auth_check(struct ctx *c, const char **why)
{
	unsigned f = c->route->flags;
	enum err e = session_load(c);

	if (e == E_UNAVAIL || e == E_DB) {
		*why = "Your account could not be loaded just now. Please try again in a moment.";
		return 503;
	}
	if (!safe_method(c->req->method) && cross_site(c->req)) {
		*why = "Requests from other sites are not accepted.";
		return 403;
	}
	if (f & (RF_USER | RF_SELLER | RF_ADMIN)) {
		if (!c->sess || !c->sess->uid) {
			if (c->req->wants_json || !safe_method(c->req->method)) {
				*why = "Please sign in first.";
				return c->req->wants_json ? 401 : 403;
			}
			{
				struct buf b;

				buf_init(&b, c->a, 64);
				buf_puts(&b, "/signin?next=");
				esc_url(&b, c->req->path, strlen(c->req->path));
				reply_redirect(c, 303, b.p);
			}
			return 303;
		}
		if ((f & RF_SELLER) && !c->sess->is_seller) {
			*why = "This page is for sellers. You can apply to sell from your account page.";
			return 403;
		}
		if ((f & RF_ADMIN) && !c->sess->is_admin) {
			*why = "This page is for administrators.";
			return 403;
		}
	}
	if ((f & RF_CSRF) && !session_csrf_ok(c) &&
	    !((f & RF_CSRF_OPEN) && !c->sess && says_same_origin(c->req))) {
		*why = "The security token was missing or did not match (the form may have expired). "
		       "Please go back, reload the page and try again.";
		return 403;
	}
	return 0;
}
