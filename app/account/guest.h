/* Guest accounts (guest checkout, issue 15): a shopper who buys without an
 * account gets a row in users with status 'guest', no password, email NULL
 * and the address they gave in guest_email (not unique). Orders, payments,
 * fulfilment and stock then take the signed-in path unchanged, with the
 * guest row's id as the order's user. The row is tied to the visitor's
 * session (the session hash's "guest" field, session_store.h's guest_uid);
 * it never signs in: sessions load only 'active' users.
 *
 * "Save your details" turns the row into a full account in one step (a
 * password; email = guest_email), and every order of the row is then the
 * account's. The domain: database, Redis, arena and plain values in. */
#ifndef ACCOUNT_GUEST_H
#define ACCOUNT_GUEST_H

#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct kv;

#define GUEST_IDLE_DAYS 30	/* a guest row with no order or checkout this old is deleted */

void guest_init(void);

/* `shopd jobs`: deletes guest rows older than GUEST_IDLE_DAYS that never
 * came to a checkout (their session is gone by then), one batch per call
 * (see app/jobs.c for the return value). */
int guest_purge_batch(struct db *db, struct kv *kv, struct arena *a);

/* The guest row for a checkout with email (normalised) and name: the
 * session's current guest row (current, 0 if none) when it is a guest row
 * with this email, or has no order yet (its email is updated), else a new
 * row. The session stored under session_key is tied to it. *gid set. */
enum err guest_bind(struct db *db, struct kv *kv, struct arena *a, const char *session_key,
		    int64_t current, const char *email, const char *name, int64_t *gid);

/* uid's kind and email: *is_guest 1 for a guest row; *email its guest_email
 * (or the account's email). E_NOTFOUND when there is no such user. */
enum err guest_info(struct db *db, struct arena *a, int64_t uid, int *is_guest, const char **email);

/* "Save your details": the guest row gid becomes an active account with
 * password pw (policy checked: E_INVAL with *why). E_CONFLICT when an
 * account with its email exists already; E_NOTFOUND when gid is no longer a
 * guest row (saved before). A welcome mail goes out in the same
 * transaction. */
enum err guest_save(struct db *db, struct arena *a, int64_t gid, const char *pw, const char **why);

#endif
