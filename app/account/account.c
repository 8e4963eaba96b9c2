/* Accounts: registration, password checks and changes, roles. Answers never
 * reveal whether an email has an account: registration does the same work
 * (a mail) either way, and a password check costs one Argon2 run whether the
 * account exists or not. The pages and the session API are in
 * account_pages.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../mail/mail.h"
#include "../store/db.h"
#include "account.h"

enum {
	Q_BY_EMAIL, Q_INSERT, Q_SET_HASH, Q_CHANGE_PW, Q_HASH_BY_ID, Q_GRANT_SELLER,
	Q_GRANT_ADMIN, Q_EXISTS, Q_COUNT
};

static struct db_sql sql[Q_COUNT] = {
	[Q_BY_EMAIL] = { "SELECT id, password_hash, status FROM users WHERE email = ?", 0 },
	[Q_INSERT] = { "INSERT INTO users (email, name, password_hash) VALUES (?, ?, ?)", 0 },
	[Q_SET_HASH] = { "UPDATE users SET password_hash = ? WHERE id = ?", 0 },
	/* A new epoch ends every session made before it (session.c checks). */
	[Q_CHANGE_PW] = { "UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE id = ?", 0 },
	[Q_HASH_BY_ID] = { "SELECT password_hash FROM users WHERE id = ?", 0 },
	[Q_GRANT_SELLER] = { "UPDATE users SET is_seller = 1 WHERE email = ?", 0 },
	[Q_GRANT_ADMIN] = { "UPDATE users SET is_admin = 1 WHERE email = ?", 0 },
	[Q_EXISTS] = { "SELECT id FROM users WHERE email = ?", 0 },
};

void account_init(void)
{
	db_register(sql, Q_COUNT);
	pw_init();
}

const char *account_email(struct arena *a, const char *in)
{
	const char *s = in, *e = in + strlen(in), *at;
	char *out;
	size_t n;

	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	n = (size_t)(e - s);
	if (n < 3 || n > 254)
		return NULL;
	at = memchr(s, '@', n);
	/* One @, something before it, a dot after it, no spaces or controls. */
	if (!at || at == s || memchr(at + 1, '@', (size_t)(e - at - 1)) ||
	    !memchr(at + 1, '.', (size_t)(e - at - 1)) || e[-1] == '.' || at[1] == '.')
		return NULL;
	out = arena_strndup(a, s, n);
	if (!out)
		return NULL;
	for (char *p = out; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"' || *p == ',')
			return NULL;
		*p = (char)tolower((unsigned char)*p);
	}
	return out;
}

enum err account_create(struct db *db, struct arena *a, const char *name,
			const char *email, const char *password, int64_t *uid)
{
	char hash[crypto_pwhash_STRBYTES];
	enum err e;

	if ((e = pw_hash(password, hash)))
		return e;
	if ((e = db_exec(db, a, &sql[Q_INSERT], NULL, "sss", email, name, hash)))
		return e;
	*uid = (int64_t)db_insert_id(db);
	return E_OK;
}

enum err account_grant(struct db *db, struct arena *a, const char *email, const char *role)
{
	const struct db_sql *q = !strcmp(role, "seller") ? &sql[Q_GRANT_SELLER] :
				 !strcmp(role, "admin") ? &sql[Q_GRANT_ADMIN] : NULL;
	struct db_res *r = NULL;
	enum err e;

	if (!q)
		return E_INVAL;
	if ((e = db_exec(db, a, &sql[Q_EXISTS], &r, "s", email)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	return db_exec(db, a, q, NULL, "s", email);
}

enum err account_register(struct db *db, struct arena *a, const char *name, const char *email_in,
			  const char *pw, const char **why, int64_t *created)
{
	const char *email = account_email(a, email_in);
	int64_t uid = 0;
	enum err e;

	*created = 0;
	if (!email) {
		*why = "email: is not a valid email address";
		return E_INVAL;
	}
	if ((*why = pw_policy(pw)))
		return E_INVAL;
	if ((e = db_begin(db)))
		return e;
	e = account_create(db, a, name, email, pw, &uid);
	if (e == E_OK)
		e = mail_enqueue(db, a, email, "Welcome to Shop",
			arena_printf(a, "Hello %s,\n\nyour account is ready. Sign in at %s/signin\n", name, config.base_url));
	else if (e == E_CONFLICT)
		e = mail_enqueue(db, a, email, "Someone tried to register with your address",
			arena_printf(a, "Hello,\n\nsomeone tried to create a Shop account with this address, which already has one.\n"
				     "If it was you, sign in at %s/signin or reset your password at %s/forgot.\n"
				     "If it was not, you can ignore this message.\n", config.base_url, config.base_url));
	if (e) {
		db_rollback(db);
		return e;
	}
	if ((e = db_commit(db)))
		return e;
	*created = uid;
	return E_OK;
}

enum err account_password_ok(struct db *db, struct arena *a, const char *email, const char *pw,
			     int64_t *uid, const char **hash)
{
	struct db_res *r = NULL;
	enum err e;

	*uid = 0;
	*hash = NULL;
	if (email) {
		if ((e = db_exec(db, a, &sql[Q_BY_EMAIL], &r, "s", email)))
			return e;
		if (r->nrows && !strcmp(db_cell(r, 0, 2), "active")) {
			*uid = db_int(r, 0, 0);
			*hash = db_cell(r, 0, 1);
		}
	}
	/* Always pay for one Argon2 verification, account or not. */
	if (!pw_verify(*hash, pw ? pw : "") || !*uid) {
		*uid = 0;
		return E_INVAL;
	}
	return E_OK;
}

void account_rehash(struct db *db, struct arena *a, int64_t uid, const char *pw, const char *hash)
{
	if (pw_needs_rehash(hash)) {
		char fresh[crypto_pwhash_STRBYTES];

		if (pw_hash(pw, fresh) == E_OK)
			db_exec(db, a, &sql[Q_SET_HASH], NULL, "si", fresh, uid);
	}
}

enum err account_change_password(struct db *db, struct arena *a, int64_t uid, const char *cur,
				 const char *pw, const char **why)
{
	char hash[crypto_pwhash_STRBYTES];
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_HASH_BY_ID], &r, "i", uid)))
		return e;
	if (!r->nrows || !pw_verify(db_cell(r, 0, 0), cur)) {
		*why = "current: the current password is not right";
		return E_INVAL;
	}
	if ((*why = pw_policy(pw)))
		return E_INVAL;
	if ((e = pw_hash(pw, hash)) ||
	    (e = db_exec(db, a, &sql[Q_CHANGE_PW], NULL, "si", hash, uid)))
		return e;
	return E_OK;
}
