/* The route table: one static array, like redis's command table. Dispatch
 * checks, in order: path (404), method (405), session/role (403), CSRF (403),
 * declared keys (400); then the handler runs. Handlers never repeat those
 * checks. */
#ifndef HTTP_ROUTER_H
#define HTTP_ROUTER_H

#include <stdint.h>
#include "../core/err.h"
#include "req.h"
#include "resp.h"
#include "valid.h"

struct arena;
struct db;
struct kv;
struct route;
struct session;

/* Keys one route may declare (the webhook form has one per event type);
 * routes_build refuses a route with more at start. */
#define CTX_MAX_KEYS 48

/* Everything a handler gets. All memory hangs off the request arena. */
struct ctx {
	struct arena *a;
	struct req *req;
	struct resp *resp;
	struct db *db;
	struct kv *kv;
	const struct route *route;
	/* Validated values, index-aligned with route->keys. */
	const char *kval[CTX_MAX_KEYS];
	size_t klen[CTX_MAX_KEYS];
	int64_t kint[CTX_MAX_KEYS];
	int kset[CTX_MAX_KEYS];
	const char *notice;	/* a message for the layout's notice bar */
	struct session *sess;	/* the visitor's session, or NULL (app/account/session_store.h) */
	int sess_unread;	/* a session cookie came but Redis could not be asked */
};

typedef enum err (*handler_fn)(struct ctx *c);

/* Route flags. */
enum {
	RF_JSON    = 1 << 0,	/* API route: always answers JSON */
	RF_CACHE   = 1 << 1,	/* anonymous GET that nginx may microcache */
	RF_CSRF    = 1 << 2,	/* state-changing: CSRF token required */
	RF_USER    = 1 << 3,	/* signed-in user required */
	RF_SELLER  = 1 << 4,	/* seller role required */
	RF_ADMIN   = 1 << 5,	/* admin role required */
	RF_RAW     = 1 << 6,	/* handler writes its own body (no layout/JSON) */
	RF_NOSTORE = 1 << 7,	/* personal page: Cache-Control: no-store */
	/* With RF_CSRF: a form the page cache may serve (so it carries no
	 * token): a post without the token is accepted, session or not, when
	 * the browser proves it same-origin (Sec-Fetch-Site: same-origin, or
	 * the shop's own Origin); docs/security.md, "Forms and CSRF". */
	RF_CSRF_OPEN = 1 << 8,
	/* Takes uploads: the body may be up to REQ_MAX_UPLOAD bytes (not
	 * REQ_MAX_BODY) and multipart/form-data is parsed into r->uploads,
	 * its text fields into r->params (so key validators apply). */
	RF_UPLOAD  = 1 << 9,
	/* A write shoppers could hammer (add to cart, place an order): the
	 * throttle hook (http_hooks.throttle, the waitroom module's token
	 * buckets per shopper and per IP) is asked first; 429 with
	 * Retry-After when a bucket is empty. */
	RF_BUCKET  = 1 << 10
};

/* Route entries are written ROUTE(methods, pattern, handler, flags, keys),
 * or ROUTE_BODY(..., body) with a body declaration; both expand to
 * designated initializers, so a member left out is NULL/0 (and -Wextra's
 * -Wmissing-field-initializers stays on). */
#define ROUTE(m, p, h, f, k) { .methods = (m), .pattern = (p), .handler = (h), .flags = (f), .keys = (k) }
#define ROUTE_BODY(m, p, h, f, k, b) \
	{ .methods = (m), .pattern = (p), .handler = (h), .flags = (f), .keys = (k), .body = (b) }

struct route {
	unsigned methods;	/* bitmask of enum method; GET implies HEAD */
	const char *pattern;	/* "/p/{slug}": literal segments and {name} captures */
	handler_fn handler;
	unsigned flags;
	const struct key *keys;	/* terminated by {NULL}; NULL for none */
	/* A JSON body's members beyond the keys' top-level scalars (nested
	 * objects and arrays, members feeding a flat key), terminated by
	 * {NULL}; NULL when the keys say it all. See valid.h. */
	const struct field *body;
};

/* The table itself and its length: every module's routes joined in the
 * order of the modules array, built at start (app/routes.c, modules_init). */
extern const struct route *routes;
extern size_t nroutes;

/* Matches path against one pattern; on success stores captures in r->pathvar. */
int route_match(const char *pattern, const char *path, struct req *r);

/* Finds the route for r. Returns the route, or NULL with *status set to 404
 * (no pattern matches) or 405 (pattern matches, method does not; *allow gets the
 * allowed methods bitmask). */
const struct route *route_find(const struct route *tab, size_t n, struct req *r,
			       int *status, unsigned *allow);

/* Checks the input against the route's declarations, in this order:
 *  1. no card number anywhere: query, form fields, JSON strings at any depth
 *     (pan_like; F_OPAQUE / v_opaque / v_secret values are not looked at),
 *     and on RF_UPLOAD routes the text of an uploaded file (text_find_pan);
 *  2. a JSON body has only the declared members, of the declared types and
 *     bounds (body_check over route->keys and route->body), and the
 *     members declared with a key are added to r->params under that name;
 *  3. the key validators over r->params.
 * On failure returns E_INVAL and sets *why to "name: message" (a JSON path
 * for body members, e.g. "paymentInfo.card: unknown field"). A message
 * names the field and never repeats its value. */
enum err route_validate(struct ctx *c, const char **why);

/* Validated values by key name (NULL / def when absent). */
const char *ctx_str(const struct ctx *c, const char *name);
int64_t ctx_int(const struct ctx *c, const char *name, int64_t def);
int ctx_has(const struct ctx *c, const char *name);

#endif
