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

/* A request that proves it comes from one of the shop's own pages: the
 * browser says so (Sec-Fetch-Site: same-origin, a header no page can set),
 * or its Origin is the shop's own: the same host, and https when the
 * request came over TLS. cross_site() has already refused every request
 * that names another origin; this is the positive proof, which a request
 * without either header (an old browser, a script) lacks. */
static int proven_same_origin(const struct req *r)
{
	const char *p;

	if (r->sec_fetch_site && !strcmp(r->sec_fetch_site, "same-origin"))
		return 1;
	if (!r->origin || !r->host || !(p = strstr(r->origin, "://")) || strcmp(p + 3, r->host))
		return 0;
	return !r->https || !strncmp(r->origin, "https://", 8);
}

/* The path of a same-origin Referer ("/p/lamp"), else NULL. */
static const char *referer_path(struct ctx *c)
{
	const char *ref = c->req->referer, *host = c->req->host, *p;
	size_t hn;

	if (!ref || !host || !(p = strstr(ref, "://")))
		return NULL;
	p += 3;
	hn = strlen(host);
	if (strncmp(p, host, hn) || p[hn] != '/')
		return NULL;
	p += hn;
	/* Only a plain path and query: nothing a link could be tricked by. */
	if (p[1] == '/' || p[1] == '\\' || strcspn(p, "\"<>\\ \t\r\n") != strlen(p))
		return NULL;
	return p;
}

static int secret_field(const char *key)
{
	return strcasestr(key, "password") != NULL || strcasestr(key, "secret") != NULL;
}

/* The answer to a browser form whose token is missing or stale, and which
 * nothing else proves same-origin: not a bare 403 but the form asked again
 * (docs/security.md, "Forms and CSRF"). The page carries a fresh token and
 * the fields that were sent (never a password or the old token), so one
 * click on the shop's own page sends them again; nothing was changed by
 * the refused request. A form with a file or a password cannot be sent
 * again that way: the page leads back to the form instead. */
static void ask_again(struct ctx *c)
{
	const struct req *r = c->req;
	const char *back = referer_path(c), *csrf = session_csrf(c);
	json_t *m = reply_model(c, "confirm_post", "Please confirm"), *fields;
	int resend = csrf && r->method == M_POST && !r->json && !r->nuploads &&
		     !(c->route->flags & RF_UPLOAD) &&
		     strspn(r->path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/-_.") == strlen(r->path);

	if (!m)
		return;
	c->resp->status = 403;
	fields = json_array();
	for (size_t i = r->nquery; resend && i < r->nparams; i++) {
		const struct kvpair *kv = &r->params[i];

		if (!strcmp(kv->key, "csrf"))
			continue;
		if (secret_field(kv->key) || strlen(kv->val) != kv->vlen) {
			resend = 0;
			break;
		}
		json_array_append_new(fields, json_pack("{s:s, s:s}", "name", kv->key, "value", kv->val));
	}
	if (resend) {
		json_object_set_new(m, "action", json_string(r->path));
		json_object_set_new(m, "fields", fields);
		json_object_set_new(m, "csrf", json_string(csrf));
	} else {
		json_decref(fields);
	}
	json_object_set_new(m, "back", json_string(back ? back : "/"));
	json_object_set_new(m, "backIsHome", json_boolean(!back));
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
	if (c->sess_unread && (!safe_method(c->req->method) || (f & (RF_USER | RF_SELLER | RF_ADMIN)))) {
		resp_header(c->resp, "Retry-After: 2");
		*why = "Your session could not be read just now. Please try again in a moment.";
		return 503;
	}
	if (f & (RF_USER | RF_SELLER | RF_ADMIN)) {
		if (!c->sess || !c->sess->uid) {
			if (c->req->wants_json || (f & RF_JSON)) {
				*why = "Please sign in first.";
				return c->req->wants_json ? 401 : 403;
			}
			if (!safe_method(c->req->method)) {
				/* A form sent after the session ended (signed out in
				 * another tab, the session expired): nothing is done;
				 * sign in, then back to the page it came from. */
				const char *back = referer_path(c);
				struct buf b;

				buf_init(&b, c->a, 64);
				buf_puts(&b, "/signin?next=");
				esc_url(&b, back ? back : "/account", strlen(back ? back : "/account"));
				reply_redirect(c, 303, b.p);
				return 303;
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
	/* The token, or (on a form the page cache may serve, which carries
	 * none) the browser's proof that the post comes from our own page. */
	if ((f & RF_CSRF) && !session_csrf_ok(c) &&
	    !((f & RF_CSRF_OPEN) && proven_same_origin(c->req))) {
		*why = "The security token was missing or did not match (the form may have expired). "
		       "Please go back, reload the page and try again.";
		if (!c->req->wants_json && !(f & RF_JSON))
			ask_again(c);	/* else (out of memory) the plain error page */
		return 403;
	}
	return 0;
}
