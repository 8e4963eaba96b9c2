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
 * form cannot be used to find out who shops here (the time floor and the
 * throttles are the pages' part, reset_pages.c). */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../mail/mail.h"
#include "../store/db.h"
#include "account.h"

#define RESET_USER_LIMIT 3	/* links mailed per account per hour; more are dropped silently */
#define TOKEN_BYTES 32

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

enum err reset_request(struct db *db, struct arena *a, const char *email)
{
	unsigned char raw[TOKEN_BYTES];
	char token[sodium_base64_ENCODED_LEN(TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	char hash[65];
	struct forgot_tx f;
	enum err e;

	f.a = a;
	f.email = email;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token, sizeof(token), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	token_hash(token, hash);
	f.token = token;
	f.hash = hash;
	e = db_tx(db, forgot_tx, &f);
	sodium_memzero(token, sizeof(token));
	return e;
}

/* ---- using the link ---- */

/* 1 when the token is unused, unexpired and its account active. */
static enum err token_valid(struct db *db, struct arena *a, const char *hash, int *ok)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_CHECK], &r, "s", hash);

	*ok = e == E_OK && r->nrows > 0;
	return e;
}

enum err reset_token_ok(struct db *db, struct arena *a, const char *token, int *ok)
{
	char hash[65];

	token_hash(token, hash);
	return token_valid(db, a, hash, ok);
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

enum err reset_password(struct db *db, struct arena *a, const char *token, const char *pw,
			const char **why)
{
	char hash[65], pwhash[crypto_pwhash_STRBYTES];
	struct reset_tx t;
	int ok;
	enum err e;

	token_hash(token, hash);
	/* The token first: an invalid link costs no Argon2 run. */
	if ((e = token_valid(db, a, hash, &ok)))
		return e;
	if (!ok)
		return E_NOTFOUND;
	if ((*why = pw_policy(pw)))
		return E_INVAL;
	/* Hashed before the transaction, so no lock is held for its ~50 ms. */
	if ((e = pw_hash(pw, pwhash)))
		return e;
	t.a = a;
	t.hash = hash;
	t.pwhash = pwhash;
	return db_tx(db, reset_tx, &t);
}
