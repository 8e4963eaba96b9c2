/* Sessions, CSRF tokens and throttles, all in Redis (fast and losable: a
 * flush signs people out and changes nothing else).
 *
 * The cookie holds an opaque 256-bit random id; Redis stores the session
 * under a hash of it, so a copy of Redis does not hand out live cookies. */
#ifndef ACCOUNT_SESSION_H
#define ACCOUNT_SESSION_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct ctx;

#define SESSION_GUEST_TTL	(30 * 24 * 3600)	/* sliding: a guest cart lives as long */
#define SESSION_USER_IDLE	(7 * 24 * 3600)		/* signed in, idle */
#define SESSION_USER_MAX	(30 * 24 * 3600)	/* signed in, absolute */

struct session {
	char id[48];		/* cookie value */
	char key[40];		/* Redis key: "s:" + hex of a hash of id */
	char csrf[48];
	int64_t uid;		/* 0 for a guest */
	int64_t created;	/* unix time the session (or sign-in) began */
	unsigned epoch;		/* users.session_epoch when it was made */
	char roles[16];		/* "s" seller, "a" admin: a snapshot to detect changes */
	int is_new;		/* made during this request: Set-Cookie */
	/* The signed-in user, loaded from MariaDB each request. */
	const char *name, *email;
	int is_seller, is_admin;
	int64_t seller_id;	/* sellers.id run by this user, 0 if none */
	/* A guest's cart lives in the session hash itself, so it shares the
	 * session's sliding TTL and costs no extra round trip per page:
	 * fields "i:<sku id>" (values read by app/cart/cart.c) and the cart's
	 * version "cv". Arena-owned; empty for a signed-in shopper. */
	size_t ncart;
	const char **cart_field, **cart_val;
	int64_t cart_version;
};

/* Loads the session named by the request's cookie into c->sess (NULL when
 * there is none or it has ended). Redis being down counts as no session. */
enum err session_load(struct ctx *c);
/* Makes sure there is a session (a guest one if needed) and returns its CSRF
 * token (arena-owned), or NULL when Redis is unavailable. */
const char *session_csrf(struct ctx *c);
/* Signs uid in: a new session id replaces the old one (no fixation); the
 * old session's key is returned in *old_key (arena-owned, may be NULL) so the
 * cart can merge what the guest had. */
enum err session_signin(struct ctx *c, int64_t uid, const char **old_key);
/* A one-time message for the next HTML page this session views (e.g. what a
 * cart merge changed, shown after the sign-in redirect). */
void session_flash(struct ctx *c, const char *msg);

/* Ends the current session (sign-out). */
enum err session_destroy(struct ctx *c);
/* True when the request carries this session's CSRF token (form field
 * "csrf" or header X-CSRF-Token), compared in constant time. */
int session_csrf_ok(struct ctx *c);

/* Throttles: counts per key in a fixed window. session_throttled answers the
 * seconds to wait (Retry-After) when count >= limit, else 0. A Redis outage
 * does not throttle (and does not let anyone in: sign-in needs Redis too). */
int session_throttled(struct ctx *c, const char *key, int limit);
void session_throttle_hit(struct ctx *c, const char *key, int window);
void session_throttle_clear(struct ctx *c, const char *key);

/* Starts the view model of a page that carries a form: template `view`,
 * status, and the session's CSRF token as "csrf" (making a guest session if
 * needed). NULL when out of memory. */
json_t *session_form_page(struct ctx *c, const char *view, const char *title, int status);
/* Answers 429 with Retry-After; what names the thing being throttled
 * ("attempts", "requests for reset links"). */
enum err session_reply_throttled(struct ctx *c, int seconds, const char *what);

/* Statements of the session module (user lookup per request). */
void session_init(void);

#endif
