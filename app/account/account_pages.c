/* The account pages and the session API: registration, sign-in and
 * sign-out, password change, the account page. The rules and SQL are in
 * account.c; throttles and the session switch are the pages' part (they
 * need the request: its address and cookie). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/log.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../view/escape.h"
#include "account.h"
#include "account_pages.h"
#include "session_pages.h"
#include "../cart/cart.h"
#include "../notify/notify.h"
#include "../recs/recs.h"
#include "../wishlist/wishlist_pages.h"

#define LOGIN_ACCT_LIMIT 10	/* failed sign-ins per account per window */
#define LOGIN_IP_LIMIT 50	/* per IP: higher, as many people can share one (NAT) */
#define LOGIN_WINDOW (15 * 60)
/* Registration: an office or a mobile carrier puts many people behind one
 * address, so what counts per IP is registrations that did something (an
 * account made, or a mail to the owner of an address already taken), never
 * a form refused for its input; and each address may be tried only a few
 * times an hour (each try of a taken one mails its owner). */
#define REGISTER_IP_LIMIT 50	/* registrations per IP per hour */
#define REGISTER_EMAIL_LIMIT 5	/* tries of one email per hour */
#define REGISTER_WINDOW 3600

/* The guest's recently viewed products join the account's (app/recs),
 * before the session switches; Redis down loses only the guest's list. */
static void viewed_merge(struct ctx *c, int64_t uid)
{
	if (c->sess && !c->sess->uid && recs_viewed_merge(c->kv, c->a, c->sess->key, uid))
		log_warn("account: the guest's recently viewed list was not merged");
}

/* ---- helpers ---- */

static const char *client_ip(struct ctx *c)
{
	return c->req->remote_addr ? c->req->remote_addr : "unknown";
}

/* Throttle key for an email: hashed, so Redis holds no addresses. */
static const char *email_key(struct ctx *c, const char *prefix, const char *email)
{
	unsigned char h[16];
	char hex[33];

	crypto_generichash(h, sizeof(h), (const unsigned char *)email, strlen(email), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	return arena_printf(c->a, "%s%s", prefix, hex);
}

/* A local path to go to after sign-in; anything else (another site,
 * "//evil", a scheme) falls back to /account. */
static const char *safe_next(const char *next)
{
	if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\' || strchr(next, '\r') || strchr(next, '\n'))
		return "/account";
	return next;
}

static json_t *user_json(const struct session *s)
{
	json_t *roles = json_array();

	json_array_append_new(roles, json_string("shopper"));
	if (s->is_seller)
		json_array_append_new(roles, json_string("seller"));
	if (s->is_admin)
		json_array_append_new(roles, json_string("admin"));
	return json_pack("{s:I, s:s, s:s, s:o, s:b, s:b}", "id", (json_int_t)s->uid,
			 "name", s->name, "email", s->email, "roles", roles,
			 "isSeller", s->is_seller, "isAdmin", s->is_admin);
}

/* A form page with the CSRF token and, when given, an error and status. */
static json_t *form_page(struct ctx *c, const char *view, const char *title, int status, const char *error)
{
	json_t *m = session_form_page(c, view, title, status);

	if (m && error)
		json_object_set_new(m, "error", json_pack("{s:s}", "message", error));
	return m;
}

/* ---- registration ---- */

/* Registers, or (email taken) tells the owner by mail. Returns E_INVAL
 * with *why for bad input; *created is the new account (0: taken). */
static enum err do_register(struct ctx *c, const char **why, int64_t *created)
{
	return account_register(c->db, c->a, ctx_str(c, "name"), ctx_str(c, "email"),
				ctx_str(c, "password"), why, created);
}

/* The register form; next (a local path) is where a new account goes. */
static json_t *register_page(struct ctx *c, int status, const char *error)
{
	json_t *m = form_page(c, "register", "Create your account", status, error);

	if (m && ctx_str(c, "next"))
		json_object_set_new(m, "next", json_string(safe_next(ctx_str(c, "next"))));
	if (m && error) {
		json_object_set_new(m, "name", json_string(ctx_str(c, "name") ?: ""));
		json_object_set_new(m, "email", json_string(ctx_str(c, "email") ?: ""));
	}
	return m;
}

enum err h_register_form(struct ctx *c)
{
	return register_page(c, 200, NULL) ? E_OK : E_NOMEM;
}

static const char *registered_msg =
	"Thank you. If the address can be used, your account is ready and we have sent you a message. "
	"Sign in to continue.";

static enum err register_common(struct ctx *c, int json)
{
	const char *why = NULL, *key = arena_printf(c->a, "reg:ip:%s", client_ip(c)), *ekey, *email;
	int64_t created = 0;
	int wait;
	enum err e;

	email = account_email(c->a, ctx_str(c, "email"));
	ekey = email_key(c, "reg:email:", email ? email : ctx_str(c, "email"));
	if ((wait = session_throttled(c, key, REGISTER_IP_LIMIT)) ||
	    (wait = session_throttled(c, ekey, REGISTER_EMAIL_LIMIT)))
		return session_reply_throttled(c, wait, "attempts");
	e = do_register(c, &why, &created);
	if (e == E_INVAL) {
		if (json)
			return reply_error(c, 400, why);
		return register_page(c, 400, why) ? E_OK : E_NOMEM;
	}
	if (e)
		return e;
	session_throttle_hit(c, key, REGISTER_WINDOW);
	session_throttle_hit(c, ekey, REGISTER_WINDOW);
	if (json) {
		json_t *m = reply_model(c, NULL, NULL);

		c->resp->status = 201;
		json_object_set_new(m, "message", json_string(registered_msg));
		json_object_set_new(m, "email", json_string(account_email(c->a, ctx_str(c, "email"))));
		return E_OK;
	}
	if (created) {
		/* The new account is signed in at once, the guest's cart with it,
		 * and goes where it was going (the checkout, when it came from
		 * there). */
		const char *old_key = NULL, *cart_msg = NULL;

		if ((e = cart_merge(c->db, c->a, c->sess, created, &cart_msg)))
			return e;
		viewed_merge(c, created);
		wishlist_merge_guest(c, created);	/* the guest's saved items (app/wishlist) */
		if ((e = session_signin(c, created, &old_key)))
			return e;
		session_flash(c, cart_msg ? cart_msg : "Welcome! Your account is ready and you are signed in.");
		return reply_redirect(c, 303, safe_next(ctx_str(c, "next")));
	}
	{
		struct buf b;

		buf_init(&b, c->a, 64);
		buf_puts(&b, "/signin?registered=1");
		if (ctx_str(c, "next")) {
			const char *next = safe_next(ctx_str(c, "next"));

			buf_puts(&b, "&next=");
			esc_url(&b, next, strlen(next));
		}
		return reply_redirect(c, 303, b.p);
	}
}

enum err h_register(struct ctx *c)
{
	return register_common(c, 0);
}

enum err h_api_register(struct ctx *c)
{
	return register_common(c, 1);
}

/* ---- sign-in ---- */

static const char *bad_login = "The email or password is not right.";

/* E_OK and the session switched, E_INVAL for wrong credentials (same answer
 * for unknown emails), E_CONFLICT when throttled (*wait set). */
static enum err do_signin(struct ctx *c, int *wait, const char **old_key, const char **cart_msg)
{
	const char *email = account_email(c->a, ctx_str(c, "email"));
	const char *pw = ctx_str(c, "password");
	const char *ipkey = arena_printf(c->a, "login:ip:%s", client_ip(c));
	const char *acctkey = email_key(c, "login:acct:", email ? email : ctx_str(c, "email"));
	const char *hash = NULL;
	int64_t uid = 0;
	enum err e;

	if ((*wait = session_throttled(c, ipkey, LOGIN_IP_LIMIT)) ||
	    (*wait = session_throttled(c, acctkey, LOGIN_ACCT_LIMIT)))
		return E_CONFLICT;
	e = account_password_ok(c->db, c->a, email, pw, &uid, &hash);
	if (e == E_INVAL) {
		session_throttle_hit(c, ipkey, LOGIN_WINDOW);
		session_throttle_hit(c, acctkey, LOGIN_WINDOW);
		return E_INVAL;
	}
	if (e)
		return e;
	session_throttle_clear(c, acctkey);
	/* The guest cart joins the saved one before the session switches, so
	 * a failure here leaves it where it was. */
	if ((e = cart_merge(c->db, c->a, c->sess, uid, cart_msg)))
		return e;
	viewed_merge(c, uid);
	wishlist_merge_guest(c, uid);	/* the guest's saved items (app/wishlist) */
	account_rehash(c->db, c->a, uid, pw, hash);
	return session_signin(c, uid, old_key);
}

enum err h_signin_form(struct ctx *c)
{
	json_t *m = form_page(c, "signin", "Sign in", 200, NULL);

	if (!m)
		return E_NOMEM;
	if (ctx_str(c, "next"))
		json_object_set_new(m, "next", json_string(safe_next(ctx_str(c, "next"))));
	if (ctx_int(c, "registered", 0))
		c->notice = "Thank you for registering. Sign in to continue.";
	else if (ctx_int(c, "reset", 0))
		c->notice = "Your password has been changed. Sign in with the new one.";
	return E_OK;
}

enum err h_signin(struct ctx *c)
{
	const char *old_key = NULL, *cart_msg = NULL;
	int wait = 0;
	enum err e = do_signin(c, &wait, &old_key, &cart_msg);
	json_t *m;

	if (e == E_CONFLICT)
		return session_reply_throttled(c, wait, "attempts");
	if (e == E_INVAL) {
		m = form_page(c, "signin", "Sign in", 401, bad_login);
		if (!m)
			return E_NOMEM;
		if (ctx_str(c, "next"))
			json_object_set_new(m, "next", json_string(safe_next(ctx_str(c, "next"))));
		json_object_set_new(m, "email", json_string(ctx_str(c, "email")));
		return E_OK;
	}
	if (e)
		return e;
	session_flash(c, cart_msg);
	return reply_redirect(c, 303, safe_next(ctx_str(c, "next")));
}

enum err h_api_session_post(struct ctx *c)
{
	const char *old_key = NULL, *cart_msg = NULL;
	int wait = 0;
	enum err e = do_signin(c, &wait, &old_key, &cart_msg);
	json_t *m;

	if (e == E_CONFLICT)
		return session_reply_throttled(c, wait, "attempts");
	if (e == E_INVAL)
		return reply_error(c, 401, bad_login);
	if (e)
		return e;
	m = reply_model(c, NULL, NULL);
	json_object_set_new(m, "user", user_json(c->sess));
	json_object_set_new(m, "csrfToken", json_string(c->sess->csrf));
	if (cart_msg)
		json_object_set_new(m, "cartMessage", json_string(cart_msg));
	return E_OK;
}

enum err h_api_session_get(struct ctx *c)
{
	const char *csrf = session_csrf(c);
	json_t *m;

	if (!csrf)
		return E_UNAVAIL;
	m = reply_model(c, NULL, NULL);
	json_object_set_new(m, "user", c->sess->uid ? user_json(c->sess) : json_null());
	json_object_set_new(m, "csrfToken", json_string(csrf));
	return E_OK;
}

enum err h_api_session_delete(struct ctx *c)
{
	session_destroy(c);
	c->resp->status = 204;
	return E_OK;
}

enum err h_signout(struct ctx *c)
{
	session_destroy(c);
	return reply_redirect(c, 303, "/");
}

enum err h_api_me(struct ctx *c)
{
	json_t *m = reply_model(c, NULL, NULL), *u = user_json(c->sess);

	if (!m || !u) {
		json_decref(u);
		return E_NOMEM;
	}
	json_object_update(m, u);
	json_decref(u);
	return E_OK;
}

/* ---- account page and password change ---- */

enum err h_account(struct ctx *c)
{
	json_t *m = form_page(c, "account", "Your account", 200, NULL), *addrs = NULL;
	enum err e;

	if (!m)
		return E_NOMEM;
	struct notify_prefs np;

	if (ctx_int(c, "changed", 0))
		c->notice = "Your password has been changed. Your other sessions have been signed out.";
	else if (ctx_int(c, "mails", 0))
		c->notice = "Your mail preferences are saved.";
	json_object_set_new(m, "user", user_json(c->sess));
	if ((e = address_list(c, c->sess->uid, &addrs)))
		return e;
	json_object_set_new(m, "addresses", addrs);
	/* The mails a person may turn off (app/notify); the ones about their
	 * orders are always sent. */
	if ((e = notify_prefs_get(c->db, c->a, c->sess->uid, &np)))
		return e;
	json_object_set_new(m, "mailPrefs", json_pack("{sbsbsbsbsb}", "cartReminders", np.cart_reminders,
						      "lowStock", np.low_stock, "showLowStock", c->sess->is_seller,
						      /* the alerts (issue 17) */
						      "backInStock", np.back_in_stock, "priceDrop", np.price_drop));
	return E_OK;
}

/* {"cartReminders", "lowStock"}: the mails a person may turn off. */
static enum err mails_json(struct ctx *c)
{
	struct notify_prefs np;
	json_t *m;
	enum err e;

	if ((e = notify_prefs_get(c->db, c->a, c->sess->uid, &np)))
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_set_new(m, "cartReminders", json_boolean(np.cart_reminders));
	json_object_set_new(m, "lowStock", json_boolean(np.low_stock));
	json_object_set_new(m, "backInStock", json_boolean(np.back_in_stock));	/* issue 17 */
	json_object_set_new(m, "priceDrop", json_boolean(np.price_drop));
	return E_OK;
}

enum err h_api_mails(struct ctx *c)
{
	return mails_json(c);
}

/* PATCH: what the body names changes, the rest stays. */
enum err h_api_mails_patch(struct ctx *c)
{
	struct notify_prefs np;
	enum err e;

	if ((e = notify_prefs_get(c->db, c->a, c->sess->uid, &np)))
		return e;
	if (ctx_has(c, "cartReminders"))
		np.cart_reminders = ctx_int(c, "cartReminders", 0) != 0;
	if (ctx_has(c, "lowStock"))
		np.low_stock = ctx_int(c, "lowStock", 0) != 0;
	if (ctx_has(c, "backInStock"))	/* the alerts (issue 17) */
		np.back_in_stock = ctx_int(c, "backInStock", 0) != 0;
	if (ctx_has(c, "priceDrop"))
		np.price_drop = ctx_int(c, "priceDrop", 0) != 0;
	if ((e = notify_prefs_set(c->db, c->a, c->sess->uid, &np)))
		return e;
	return mails_json(c);
}

/* The account page's mail preferences form: an unticked box is not sent,
 * so each setting is what the form says (no JavaScript needed). */
enum err h_account_mails(struct ctx *c)
{
	struct notify_prefs np;
	enum err e;

	if ((e = notify_prefs_get(c->db, c->a, c->sess->uid, &np)))
		return e;
	np.cart_reminders = ctx_int(c, "cartReminders", 0) != 0;
	np.back_in_stock = ctx_int(c, "backInStock", 0) != 0;	/* the alerts (issue 17) */
	np.price_drop = ctx_int(c, "priceDrop", 0) != 0;
	/* Only a seller sees the low-stock box: anyone else's stays as it is. */
	if (c->sess->is_seller)
		np.low_stock = ctx_int(c, "lowStock", 0) != 0;
	if ((e = notify_prefs_set(c->db, c->a, c->sess->uid, &np)))
		return e;
	return reply_redirect(c, 303, "/account?mails=1#notifications");
}

enum err h_password_form(struct ctx *c)
{
	return form_page(c, "password", "Change your password", 200, NULL) ? E_OK : E_NOMEM;
}

/* Checks the current password, stores the new one and ends every session of
 * this person (the epoch moves on); the caller gets a fresh session. */
static enum err do_change_password(struct ctx *c, const char **why)
{
	const char *old_key;
	enum err e = account_change_password(c->db, c->a, c->sess->uid, ctx_str(c, "current"),
					     ctx_str(c, "password"), why);

	if (e)
		return e;
	/* A new id for this browser; the old one dies with the others. */
	return session_signin(c, c->sess->uid, &old_key);
}

enum err h_password(struct ctx *c)
{
	const char *why = NULL;
	enum err e = do_change_password(c, &why);

	if (e == E_INVAL)
		return form_page(c, "password", "Change your password", 400, why) ? E_OK : E_NOMEM;
	if (e)
		return e;
	return reply_redirect(c, 303, "/account?changed=1");
}

enum err h_api_password(struct ctx *c)
{
	const char *why = NULL;
	enum err e = do_change_password(c, &why);
	json_t *m;

	if (e == E_INVAL)
		return reply_error(c, 400, why);
	if (e)
		return e;
	m = reply_model(c, NULL, NULL);
	json_object_set_new(m, "message", json_string("Password changed. Your other sessions have been signed out."));
	json_object_set_new(m, "csrfToken", json_string(c->sess->csrf));
	return E_OK;
}
