/* The per-request side of sessions (app/account/session_pages.c): the
 * cookie, c->sess, CSRF checks of a request, throttles keyed by the caller,
 * and the answers pages share (form pages, 429). The store is
 * session_store.h. */
#ifndef ACCOUNT_SESSION_PAGES_H
#define ACCOUNT_SESSION_PAGES_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"
#include "session_store.h"

struct ctx;

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

/* READ REPLICAS (issue 20), the pipeline's "wrote" hook: the request
 * committed a write at gtid; the session (if any) keeps it, so that the
 * shopper's next reads on a replica wait for it. */
void session_note_write(struct ctx *c, const char *gtid);
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

#endif
