/* The "forgot password" pages and API (the tokens, SQL and mails are in
 * reset.c). Asking for a link answers the same thing, with the same status,
 * body and (by a time floor) timing whether or not the address has an
 * account. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../http/router.h"
#include "../http/server.h"
#include "account.h"
#include "reset_pages.h"
#include "session_pages.h"

#define RESET_IP_LIMIT 5	/* link requests per IP per window */
#define RESET_WINDOW 3600
#define RESET_FLOOR_MS 60	/* every link request takes at least this long */

static const char *sent_msg =
	"If an account exists for that address, we have sent a link to reset its password. "
	"The link works for one hour.";
static const char *invalid_msg =
	"This reset link is not valid: it may have expired (links work for one hour) or "
	"have been used already. You can ask for a new one.";
static const char *done_msg = "Your password has been changed. Sign in with the new one.";

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleeps until start + RESET_FLOOR_MS, so both paths of a link request end
 * at the same moment whatever work they did. */
static void wait_floor(int64_t start)
{
	int64_t end = start + (int64_t)RESET_FLOOR_MS * 1000000, now = now_ns();
	struct timespec ts;

	if (now > end) {
		log_warn("reset: a link request took %lld ms, over the %d ms floor; "
			 "raise RESET_FLOOR_MS or timing may tell accounts apart",
			 (long long)((now - start) / 1000000), RESET_FLOOR_MS);
		return;
	}
	ts.tv_sec = (time_t)(end / 1000000000);
	ts.tv_nsec = (long)(end % 1000000000);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* ---- asking for a link ---- */

/* Answers E_OK once the request is handled, the same way for every email;
 * E_INVAL (with *why) for a malformed address; E_CONFLICT when throttled
 * (*wait set). */
static enum err do_forgot(struct ctx *c, int *wait, const char **why)
{
	const char *ipkey = arena_printf(c->a, "reset:ip:%s",
					 c->req->remote_addr ? c->req->remote_addr : "unknown");
	int64_t start = now_ns();
	const char *email;
	enum err e;

	if ((*wait = session_throttled(c, ipkey, RESET_IP_LIMIT)))
		return E_CONFLICT;
	session_throttle_hit(c, ipkey, RESET_WINDOW);
	if (!(email = account_email(c->a, ctx_str(c, "email")))) {
		*why = "email: is not a valid email address";
		return E_INVAL;
	}
	if ((e = reset_request(c->db, c->a, email)))
		return e;
	wait_floor(start);
	return E_OK;
}

enum err h_forgot_form(struct ctx *c)
{
	return session_form_page(c, "forgot", "Forgot your password", 200) ? E_OK : E_NOMEM;
}

enum err h_forgot(struct ctx *c)
{
	const char *why = NULL;
	int wait = 0;
	enum err e = do_forgot(c, &wait, &why);
	json_t *m;

	if (e == E_CONFLICT)
		return session_reply_throttled(c, wait, "requests for reset links");
	if (e == E_INVAL) {
		if (!(m = session_form_page(c, "forgot", "Forgot your password", 400)))
			return E_NOMEM;
		json_object_set_new(m, "error", json_pack("{s:s}", "message", why));
		json_object_set_new(m, "email", json_string(ctx_str(c, "email")));
		return E_OK;
	}
	if (e)
		return e;
	if (!(m = session_form_page(c, "forgot", "Check your mail", 200)))
		return E_NOMEM;
	json_object_set_new(m, "sent", json_pack("{s:s}", "message", sent_msg));
	return E_OK;
}

enum err h_api_forgot(struct ctx *c)
{
	const char *why = NULL;
	int wait = 0;
	enum err e = do_forgot(c, &wait, &why);
	json_t *m;

	if (e == E_CONFLICT)
		return session_reply_throttled(c, wait, "requests for reset links");
	if (e == E_INVAL)
		return reply_error(c, 400, why);
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	c->resp->status = 202;	/* accepted: a mail may follow */
	json_object_set_new(m, "message", json_string(sent_msg));
	return E_OK;
}

/* ---- using the link ---- */

static enum err invalid_page(struct ctx *c)
{
	json_t *m = session_form_page(c, "reset", "Reset link not valid", 400);

	if (!m)
		return E_NOMEM;
	json_object_set_new(m, "invalid", json_pack("{s:s}", "message", invalid_msg));
	return E_OK;
}

enum err h_reset_form(struct ctx *c)
{
	const char *token = ctx_str(c, "token");
	json_t *m;
	int ok;
	enum err e;

	if ((e = reset_token_ok(c->db, c->a, token, &ok)))
		return e;
	if (!ok)
		return invalid_page(c);
	if (!(m = session_form_page(c, "reset", "Choose a new password", 200)))
		return E_NOMEM;
	json_object_set_new(m, "token", json_string(token));
	return E_OK;
}

/* E_OK: changed. E_NOTFOUND: bad token. E_INVAL: *why says what is wrong with
 * the password. */
static enum err do_reset(struct ctx *c, const char **why)
{
	return reset_password(c->db, c->a, ctx_str(c, "token"), ctx_str(c, "password"), why);
}

enum err h_reset(struct ctx *c)
{
	const char *why = NULL;
	enum err e = do_reset(c, &why);
	json_t *m;

	if (e == E_NOTFOUND)
		return invalid_page(c);
	if (e == E_INVAL) {
		if (!(m = session_form_page(c, "reset", "Choose a new password", 400)))
			return E_NOMEM;
		json_object_set_new(m, "token", json_string(ctx_str(c, "token")));
		json_object_set_new(m, "error", json_pack("{s:s}", "message", why));
		return E_OK;
	}
	if (e)
		return e;
	/* This browser's session (if any) ended with the others. */
	return reply_redirect(c, 303, "/signin?reset=1");
}

enum err h_api_reset(struct ctx *c)
{
	const char *why = NULL;
	enum err e = do_reset(c, &why);
	json_t *m;

	if (e == E_NOTFOUND)
		return reply_error(c, 400, invalid_msg);
	if (e == E_INVAL)
		return reply_error(c, 400, why);
	if (e)
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_set_new(m, "message", json_string(done_msg));
	return E_OK;
}
