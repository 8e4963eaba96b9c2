/* The request pipeline of one worker: accept ▶ parse ▶ route table ▶ validate
 * keys ▶ handler ▶ template ▶ reply. */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include <stddef.h>
#include <fcgiapp.h>
#include <jansson.h>
#include "../core/err.h"

struct tmpl_set;
struct tmpl_page;
struct route;
struct ctx;

/* What the pipeline gets from the modules above it, handed over at start
 * (app/modules.c fills it from the module descriptors), so app/http depends
 * on nothing but core/, store/ and view/. */
struct http_hooks {
	const struct route *routes;	/* the route table, first match wins */
	size_t nroutes;
	/* Session, role and CSRF checks once the route is known: 0 to go on,
	 * a status >= 400 to refuse (with *why), any other status when it has
	 * answered itself (a redirect to sign in). Required. */
	int (*auth)(struct ctx *c, const char **why);
	/* Adds what the layout needs (navigation, asset URLs, the signed-in
	 * user, ...) to an HTML page's model before it is rendered. */
	void (*decorate)(struct ctx *c, json_t *model);
	/* CURRENCIES (issue 19, app/fx): shows a page's or an API answer's
	 * catalog prices in the shopper's currency, before either is
	 * rendered (a cached model is never changed: it copies). Optional. */
	void (*localize)(struct ctx *c, json_t *model);
	/* On RF_BUCKET routes, after auth: 0 to go on, else the seconds the
	 * client should wait (answered 429 with Retry-After). Optional. */
	int (*throttle)(struct ctx *c);
	/* READ REPLICAS (issue 20): after a handler whose request committed a
	 * write, with replicas configured: gtid is the primary's GTID of that
	 * commit, for the shopper's session to keep (app/account), so that
	 * their next reads on a replica wait for it (db_read_floor). Optional. */
	void (*wrote)(struct ctx *c, const char *gtid);
	/* The page templates and the names each page's model sets: every
	 * template is checked against its own page's names at start. */
	const struct tmpl_page *pages;
	size_t npages;
};

/* Worker-lifetime state: connections, compiled templates, the request arena. */
struct worker {
	struct db *db;
	struct kv *kv;
	struct tmpl_set *tmpl;
	struct arena *a;
	const struct http_hooks *hooks;
};

/* Sets up a worker with the given hooks (kept by pointer): connections (an
 * unreachable server is not fatal: it is retried per request), prepared
 * statements and compiled templates (fatal, with file:line in errbuf). */
enum err worker_init(struct worker *w, const struct http_hooks *hooks, char *errbuf, size_t errlen);

/* Compiles the templates under dir and checks each page against the names
 * its model sets (hooks->pages); what worker_init does, for the master to
 * refuse broken templates once. E_TEMPLATE with "file:line: ..." in errbuf. */
enum err http_templates(const struct http_hooks *hooks, const char *dir, struct tmpl_set **out,
			char *errbuf, size_t errlen);
void worker_fini(struct worker *w);

/* Serves one accepted FastCGI request completely. */
void http_serve(struct worker *w, FCGX_Request *fr);

/* Answers the request with an error page (HTML in the layout, or JSON) and
 * the given status. Handlers use it for errors they want to word themselves. */
enum err reply_error(struct ctx *c, int status, const char *message);
/* The same with the page's title (error.title in JSON) naming the cause,
 * "Your cart is empty" rather than the status's general one; title NULL:
 * the general one. A 422 in particular has many causes, each its own
 * title (docs/api.md, "Errors"). */
enum err reply_error_titled(struct ctx *c, int status, const char *title, const char *message);

/* Starts the view model of this response (an empty object, owned by the
 * request arena) for template `view` with page title `title`. */
json_t *reply_model(struct ctx *c, const char *view, const char *title);

/* Redirect (303 See Other after a POST, 301/302 otherwise). */
enum err reply_redirect(struct ctx *c, int status, const char *location);

#endif
