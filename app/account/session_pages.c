/* The per-request side of sessions: the cookie (reading it, setting it),
 * c->sess, the CSRF check of a request, throttles keyed by the caller, and
 * the form pages' and 429 answers. The store itself (Redis, the user row)
 * is session_store.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/arena.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../store/db.h"
#include "session_pages.h"

static const char *cookie_name(const struct ctx *c)
{
	/* The __Host- prefix makes the browser refuse the cookie unless it is
	 * Secure, host-only and Path=/: no subdomain can plant one. */
	return c->req->https ? "__Host-sid" : "sid";
}

static void set_cookie(struct ctx *c, const char *id, long max_age)
{
	resp_header(c->resp, arena_printf(c->a,
		"Set-Cookie: %s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Lax%s",
		cookie_name(c), id, max_age, c->req->https ? "; Secure" : ""));
}

enum err session_load(struct ctx *c)
{
	const char *id = req_cookie(c->req, cookie_name(c));
	struct session *s = NULL;
	const char *flash = NULL;
	int rotated = 0;
	enum err e;

	c->sess = NULL;
	if (!id || strlen(id) != 43 || strspn(id,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != 43)
		return E_OK;
	if ((e = session_read(c->kv, c->a, id, &s, &flash))) {
		if (e != E_UNAVAIL)
			return e;
		/* Redis is away: a page anyone may see is served as to a
		 * stranger; what needs the session (a write, a signed-in page)
		 * is told to try again (auth_check), not that its token or
		 * sign-in is missing. */
		c->sess_unread = 1;
		return E_OK;
	}
	if (!s)
		return E_OK;
	if (s->uid) {
		e = session_load_user(c->db, c->a, s);
		if (e == E_NOTFOUND) {
			/* Password changed elsewhere, account disabled, or too old. */
			session_drop(c->kv, c->a, s->key);
			set_cookie(c, "", 0);
			return E_OK;
		}
		if (e)
			return e;
		if ((e = session_refresh_roles(c->kv, c->a, s, &rotated)))
			return e;
		if (rotated)
			set_cookie(c, s->id, session_ttl(s));
	}
	session_touch(c->kv, c->a, s);
	/* READ REPLICAS (issue 20): this shopper's reads see their last write. */
	if (s->gtid[0])
		db_read_floor(c->db, s->gtid);
	/* A flash message is shown once, on the next HTML page. */
	if (flash && !c->req->wants_json && c->req->method == M_GET) {
		if (!c->notice)
			c->notice = arena_strdup(c->a, flash);
		session_flash_clear(c->kv, c->a, s->key);
	}
	c->sess = s;
	return E_OK;
}

void session_flash(struct ctx *c, const char *msg)
{
	if (c->sess && msg && *msg)
		session_flash_set(c->kv, c->a, c->sess->key, msg);
}

static enum err create(struct ctx *c, int64_t uid, unsigned epoch)
{
	struct session *s = NULL;
	enum err e;

	if ((e = session_new(c->kv, c->db, c->a, uid, epoch, &s)))
		return e;
	set_cookie(c, s->id, session_ttl(s));
	c->sess = s;
	return E_OK;
}

const char *session_csrf(struct ctx *c)
{
	if (!c->sess && create(c, 0, 0))
		return NULL;
	return c->sess->csrf;
}

enum err session_signin(struct ctx *c, int64_t uid, const char **old_key)
{
	unsigned epoch = 0;
	enum err e;

	*old_key = NULL;
	if ((e = session_user_epoch(c->db, c->a, uid, &epoch)))
		return e;
	if (c->sess) {
		/* The old session is retired, not upgraded: an id an attacker
		 * planted before sign-in is worth nothing after it. Its key is
		 * handed back so data kept beside it (a guest cart) can move. */
		*old_key = arena_strdup(c->a, c->sess->key);
		session_drop(c->kv, c->a, c->sess->key);
		c->sess = NULL;
	}
	return create(c, uid, epoch);
}

enum err session_destroy(struct ctx *c)
{
	if (c->sess)
		session_drop(c->kv, c->a, c->sess->key);
	c->sess = NULL;
	set_cookie(c, "", 0);
	return E_OK;
}

int session_csrf_ok(struct ctx *c)
{
	/* The header or a form body's "csrf" field, never the query string:
	 * app/http/server.c (parse_body) picks the one source. */
	return session_token_ok(c->sess, c->req->csrf_header);
}

int session_throttled(struct ctx *c, const char *key, int limit)
{
	return session_limit_wait(c->kv, c->a, key, limit);
}

void session_throttle_hit(struct ctx *c, const char *key, int window)
{
	session_limit_hit(c->kv, c->a, key, window);
}

void session_throttle_clear(struct ctx *c, const char *key)
{
	session_limit_clear(c->kv, c->a, key);
}

json_t *session_form_page(struct ctx *c, const char *view, const char *title, int status)
{
	json_t *m = reply_model(c, view, title);
	const char *csrf = session_csrf(c);

	if (!m)
		return NULL;
	c->resp->status = status;
	json_object_set_new(m, "csrf", json_string(csrf ? csrf : ""));
	return m;
}

enum err session_reply_throttled(struct ctx *c, int seconds, const char *what)
{
	resp_header(c->resp, arena_printf(c->a, "Retry-After: %d", seconds));
	return reply_error(c, 429, arena_printf(c->a, "Too many %s. Please wait %d minutes and try again.",
						what, (seconds + 59) / 60));
}

void session_note_write(struct ctx *c, const char *gtid)
{
	if (c->sess && strcmp(c->sess->gtid, gtid)) {
		session_gtid_set(c->kv, c->a, c->sess->key, gtid);
		snprintf(c->sess->gtid, sizeof(c->sess->gtid), "%s", gtid);
	}
}
