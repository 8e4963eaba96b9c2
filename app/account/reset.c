/* "Forgot password": a reset link by mail, then a new password.
 *
 * The link carries a 256-bit random token; only its SHA-256 is stored, so a
 * copy of the database hands out no working links. A token lives one hour and
 * works once; using it sets the new password, ends every session of that
 * person (session_epoch) and retires their other unused tokens, in one
 * transaction.
 *
 * Asking for a link answers the same thing, with the same status, body and
 * (by a time floor) timing whether or not the address has an account, so the
 * form cannot be used to find out who shops here. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../mail/mail.h"
#include "../store/db.h"
#include "account.h"
#include "session.h"

#define RESET_IP_LIMIT 5	/* link requests per IP per window */
#define RESET_WINDOW 3600
#define RESET_USER_LIMIT 3	/* links mailed per account per hour; more are dropped silently */
#define RESET_FLOOR_MS 60	/* every link request takes at least this long */
#define TOKEN_BYTES 32

static const char *sent_msg =
	"If an account exists for that address, we have sent a link to reset its password. "
	"The link works for one hour.";
static const char *invalid_msg =
	"This reset link is not valid: it may have expired (links work for one hour) or "
	"have been used already. You can ask for a new one.";
static const char *done_msg = "Your password has been changed. Sign in with the new one.";

enum { Q_USER, Q_RECENT, Q_INSERT, Q_CHECK, Q_CHECK_LOCK, Q_SET_PW, Q_USE_ALL, Q_COUNT };

static struct db_sql sql[Q_COUNT] = {
	[Q_USER] = { "SELECT id, name FROM users WHERE email = ? AND status = 'active'", 0 },
	[Q_RECENT] = { "SELECT COUNT(*) FROM password_resets "
		       "WHERE user_id = ? AND created_at > NOW(3) - INTERVAL 1 HOUR", 0 },
	[Q_INSERT] = { "INSERT INTO password_resets (token_hash, user_id, expires_at) "
		       "VALUES (?, ?, NOW(3) + INTERVAL 1 HOUR)", 0 },
	[Q_CHECK] = { "SELECT r.user_id FROM password_resets r JOIN users u ON u.id = r.user_id "
		      "WHERE r.token_hash = ? AND r.used_at IS NULL AND r.expires_at > NOW(3) "
		      "AND u.status = 'active'", 0 },
	/* The same, locking the token, so two submits of one link cannot both
	 * succeed. */
	[Q_CHECK_LOCK] = { "SELECT r.user_id, u.email, u.name FROM password_resets r "
			   "JOIN users u ON u.id = r.user_id "
			   "WHERE r.token_hash = ? AND r.used_at IS NULL AND r.expires_at > NOW(3) "
			   "AND u.status = 'active' FOR UPDATE", 0 },
	/* A new epoch ends every session made before it (session.c checks). */
	[Q_SET_PW] = { "UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 "
		       "WHERE id = ?", 0 },
	[Q_USE_ALL] = { "UPDATE password_resets SET used_at = NOW(3) "
			"WHERE user_id = ? AND used_at IS NULL", 0 },
};

void reset_init(void)
{
	db_register(sql, Q_COUNT);
}

/* ---- helpers ---- */

/* hex SHA-256 of the token as it appears in the link. */
static void token_hash(const char *token, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(hex, 65, h, sizeof(h));
}

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

struct forgot_tx {
	struct arena *a;
	const char *email;
	const char *token;	/* made whether or not the account exists */
	const char *hash;
};

/* Inside the transaction: the token row and its mail, or nothing when there
 * is no such (active) account or it has had enough links this hour. */
static enum err forgot_tx(struct db *db, void *p)
{
	struct forgot_tx *f = p;
	struct db_res *u = NULL, *n = NULL;
	int64_t uid;
	enum err e;

	if ((e = db_exec(db, f->a, &sql[Q_USER], &u, "s", f->email)))
		return e;
	if (!u->nrows)
		return E_OK;
	uid = db_int(u, 0, 0);
	if ((e = db_exec(db, f->a, &sql[Q_RECENT], &n, "i", uid)))
		return e;
	if (db_int(n, 0, 0) >= RESET_USER_LIMIT)
		return E_OK;	/* someone is mail-bombing this person */
	if ((e = db_exec(db, f->a, &sql[Q_INSERT], NULL, "si", f->hash, uid)))
		return e;
	return mail_enqueue(db, f->a, f->email, "Reset your Shop password",
		arena_printf(f->a,
			"Hello %s,\n\n"
			"someone (we hope you) asked to reset the password of your Shop account.\n"
			"To choose a new password, open this link within one hour:\n\n"
			"%s/reset?token=%s\n\n"
			"The link works once. If you did not ask for it, ignore this message:\n"
			"your password stays as it is.\n",
			db_cell(u, 0, 1), config.base_url, f->token));
}

/* Answers E_OK once the request is handled, the same way for every email;
 * E_INVAL (with *why) for a malformed address; E_CONFLICT when throttled
 * (*wait set). */
static enum err do_forgot(struct ctx *c, int *wait, const char **why)
{
	const char *ipkey = arena_printf(c->a, "reset:ip:%s",
					 c->req->remote_addr ? c->req->remote_addr : "unknown");
	unsigned char raw[TOKEN_BYTES];
	char token[sodium_base64_ENCODED_LEN(TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	char hash[65];
	struct forgot_tx f;
	int64_t start = now_ns();
	enum err e;

	if ((*wait = session_throttled(c, ipkey, RESET_IP_LIMIT)))
		return E_CONFLICT;
	session_throttle_hit(c, ipkey, RESET_WINDOW);
	f.a = c->a;
	if (!(f.email = account_email(c->a, ctx_str(c, "email")))) {
		*why = "email: is not a valid email address";
		return E_INVAL;
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token, sizeof(token), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	token_hash(token, hash);
	f.token = token;
	f.hash = hash;
	e = db_tx(c->db, forgot_tx, &f);
	sodium_memzero(token, sizeof(token));
	if (e)
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

/* 1 when the token is unused, unexpired and its account active. */
static enum err token_valid(struct ctx *c, const char *hash, int *ok)
{
	struct db_res *r = NULL;
	enum err e = db_exec(c->db, c->a, &sql[Q_CHECK], &r, "s", hash);

	*ok = e == E_OK && r->nrows > 0;
	return e;
}

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
	char hash[65];
	json_t *m;
	int ok;
	enum err e;

	token_hash(token, hash);
	if ((e = token_valid(c, hash, &ok)))
		return e;
	if (!ok)
		return invalid_page(c);
	if (!(m = session_form_page(c, "reset", "Choose a new password", 200)))
		return E_NOMEM;
	json_object_set_new(m, "token", json_string(token));
	return E_OK;
}

struct reset_tx {
	struct arena *a;
	const char *hash;	/* of the token */
	const char *pwhash;	/* the new password's Argon2id string */
};

static enum err reset_tx(struct db *db, void *p)
{
	struct reset_tx *t = p;
	struct db_res *r = NULL;
	int64_t uid;
	enum err e;

	if ((e = db_exec(db, t->a, &sql[Q_CHECK_LOCK], &r, "s", t->hash)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;	/* used or expired since the form was checked */
	uid = db_int(r, 0, 0);
	if ((e = db_exec(db, t->a, &sql[Q_SET_PW], NULL, "si", t->pwhash, uid)) ||
	    (e = db_exec(db, t->a, &sql[Q_USE_ALL], NULL, "i", uid)))
		return e;
	return mail_enqueue(db, t->a, db_cell(r, 0, 1), "Your Shop password was changed",
		arena_printf(t->a,
			"Hello %s,\n\n"
			"the password of your Shop account was just changed with a reset link,\n"
			"and every session signed in with the old password has been ended.\n\n"
			"If this was not you, ask for a new link at %s/forgot right away.\n",
			db_cell(r, 0, 2), config.base_url));
}

/* E_OK: changed. E_NOTFOUND: bad token. E_INVAL: *why says what is wrong with
 * the password. */
static enum err do_reset(struct ctx *c, const char **why)
{
	char hash[65], pwhash[crypto_pwhash_STRBYTES];
	struct reset_tx t;
	int ok;
	enum err e;

	token_hash(ctx_str(c, "token"), hash);
	/* The token first: an invalid link costs no Argon2 run. */
	if ((e = token_valid(c, hash, &ok)))
		return e;
	if (!ok)
		return E_NOTFOUND;
	if ((*why = pw_policy(ctx_str(c, "password"))))
		return E_INVAL;
	/* Hashed before the transaction, so no lock is held for its ~50 ms. */
	if ((e = pw_hash(ctx_str(c, "password"), pwhash)))
		return e;
	t.a = c->a;
	t.hash = hash;
	t.pwhash = pwhash;
	return db_tx(c->db, reset_tx, &t);
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
