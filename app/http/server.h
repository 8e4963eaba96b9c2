/* The request pipeline of one worker: accept ▶ parse ▶ route table ▶ validate
 * keys ▶ handler ▶ template ▶ reply. */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include <stddef.h>
#include <fcgiapp.h>
#include <jansson.h>
#include "../core/err.h"

struct tmpl_set;
struct ctx;

/* Worker-lifetime state: connections, compiled templates, the request arena. */
struct worker {
	struct db *db;
	struct kv *kv;
	struct tmpl_set *tmpl;
	struct arena *a;
};

/* Sets up a worker: connections (an unreachable server is not fatal: it is
 * retried per request), prepared statements and compiled templates (fatal,
 * with file:line in errbuf). */
enum err worker_init(struct worker *w, char *errbuf, size_t errlen);
void worker_fini(struct worker *w);

/* Serves one accepted FastCGI request completely. */
void http_serve(struct worker *w, FCGX_Request *fr);

/* Answers the request with an error page (HTML in the layout, or JSON) and
 * the given status. Handlers use it for errors they want to word themselves. */
enum err reply_error(struct ctx *c, int status, const char *message);

/* Starts the view model of this response (an empty object, owned by the
 * request arena) for template `view` with page title `title`. */
json_t *reply_model(struct ctx *c, const char *view, const char *title);

/* Redirect (303 See Other after a POST, 301/302 otherwise). */
enum err reply_redirect(struct ctx *c, int status, const char *location);

/* Hook the pipeline calls before rendering an HTML page, to add what the
 * layout needs (navigation, asset URLs, the signed-in user, ...). Implemented
 * in app/site.c. */
void site_decorate(struct ctx *c, json_t *model);
/* The names templates may use (NULL-terminated): every module's list joined,
 * built once by app/site.c. */
const char *const *view_vocab(void);

#endif
