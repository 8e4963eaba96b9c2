/* Guest accounts: see guest.h. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../mail/mail.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "account.h"
#include "guest.h"

enum { Q_ROW, Q_RENAME, Q_INSERT, Q_SAVE, Q_INFO, Q_PURGE, Q_COUNT };

static struct db_sql sql[Q_COUNT] = {
	/* ARCHIVE: orders in either place (app/archive) count. */
	[Q_ROW] = { "SELECT status, COALESCE(guest_email, ''), "
		    "EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id) "
		    "OR EXISTS (SELECT 1 FROM orders_archive o WHERE o.user_id = u.id) FROM users u WHERE id = ?", 0 },
	[Q_RENAME] = { "UPDATE users SET guest_email = ?, name = ? WHERE id = ? AND status = 'guest'", 0 },
	[Q_INSERT] = { "INSERT INTO users (email, guest_email, name, password_hash, status) "
		       "VALUES (NULL, ?, ?, '', 'guest')", 0 },
	/* The unique key on email guards the step: an address that has an
	 * account already is E_CONFLICT. */
	[Q_SAVE] = { "UPDATE users SET email = guest_email, guest_email = NULL, password_hash = ?, "
		     "status = 'active', session_epoch = session_epoch + 1 WHERE id = ? AND status = 'guest'", 0 },
	[Q_INFO] = { "SELECT status, COALESCE(guest_email, email, ''), name FROM users WHERE id = ?", 0 },
	/* A guest row that never came to an order (a review left there). */
	[Q_PURGE] = { "DELETE FROM users WHERE status = 'guest' AND created_at < NOW(3) - INTERVAL ? DAY "
		      "AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = users.id) "
		      /* ARCHIVE: the twin has no foreign key to keep its users. */
		      "AND NOT EXISTS (SELECT 1 FROM orders_archive o WHERE o.user_id = users.id) "
		      "AND NOT EXISTS (SELECT 1 FROM checkouts k WHERE k.user_id = users.id) LIMIT 500", 0 },
};

void guest_init(void)
{
	db_register(sql, Q_COUNT);
}

enum err guest_bind(struct db *db, struct kv *kv, struct arena *a, const char *session_key,
		    int64_t current, const char *email, const char *name, int64_t *gid)
{
	struct db_res *r = NULL;
	enum err e;

	*gid = 0;
	if (!name || !*name || strlen(name) > 100)
		name = "Guest";
	if (current) {
		if ((e = db_exec(db, a, &sql[Q_ROW], &r, "i", current)))
			return e;
		if (r->nrows && !strcmp(db_cell(r, 0, 0), "guest") &&
		    (!strcmp(db_cell(r, 0, 1), email) || !db_int(r, 0, 2))) {
			if ((e = db_exec(db, a, &sql[Q_RENAME], NULL, "ssi", email, name, current)))
				return e;
			*gid = current;
			return E_OK;
		}
	}
	if ((e = db_exec(db, a, &sql[Q_INSERT], NULL, "ss", email, name)))
		return e;
	*gid = (int64_t)db_insert_id(db);
	return kv_cmd(kv, a, NULL, "HSET %s guest %lld", session_key, (long long)*gid);
}

enum err guest_info(struct db *db, struct arena *a, int64_t uid, int *is_guest, const char **email)
{
	struct db_res *r = NULL;
	enum err e;

	*is_guest = 0;
	*email = NULL;
	if ((e = db_exec(db, a, &sql[Q_INFO], &r, "i", uid)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	*is_guest = !strcmp(db_cell(r, 0, 0), "guest");
	*email = db_cell(r, 0, 1);
	return E_OK;
}

enum err guest_save(struct db *db, struct arena *a, int64_t gid, const char *pw, const char **why)
{
	char hash[crypto_pwhash_STRBYTES];
	struct db_res *r = NULL;
	enum err e;

	*why = NULL;
	if ((*why = pw_policy(pw ? pw : "")))
		return E_INVAL;
	if ((e = pw_hash(pw, hash)))
		return e;
	if ((e = db_begin(db)))
		return e;
	if ((e = db_exec(db, a, &sql[Q_SAVE], NULL, "si", hash, gid)))
		goto fail;
	if (!db_affected(db)) {
		e = E_NOTFOUND;
		goto fail;
	}
	if ((e = db_exec(db, a, &sql[Q_INFO], &r, "i", gid)) ||
	    (e = mail_enqueue(db, a, db_cell(r, 0, 1), "Welcome to Shop",
			      arena_printf(a, "Hello %s,\n\nyour account is ready, with the orders you placed as a guest.\n"
					   "Sign in at %s/signin\n", db_cell(r, 0, 2), config.base_url))))
		goto fail;
	return db_commit(db);
fail:
	db_rollback(db);
	return e;
}

int guest_purge_batch(struct db *db, struct kv *kv, struct arena *a)
{
	(void)kv;
	if (db_exec(db, a, &sql[Q_PURGE], NULL, "i", (int64_t)GUEST_IDLE_DAYS))
		return -1;
	return db_affected(db) >= 500 ? 1 : 0;
}
