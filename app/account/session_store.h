/* The session store: sessions, CSRF tokens and throttles in Redis (fast and
 * losable: a flush signs people out and changes nothing else), the signed-in
 * user read from MariaDB. This is the domain side: ids, keys and values in,
 * no request or cookie. Cookies and the per-request API are
 * session_pages.h's.
 *
 * The cookie holds an opaque 256-bit random id; Redis stores the session
 * under a hash of it, so a copy of Redis does not hand out live cookies. */
#ifndef ACCOUNT_SESSION_STORE_H
#define ACCOUNT_SESSION_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct kv;

#define SESSION_GUEST_TTL	(30 * 24 * 3600)	/* sliding: a guest cart lives as long */
#define SESSION_USER_IDLE	(7 * 24 * 3600)		/* signed in, idle */
#define SESSION_USER_MAX	(30 * 24 * 3600)	/* signed in, absolute */

struct session {
	char id[48];		/* cookie value */
	char key[40];		/* Redis key: "s:" + hex of a hash of id */
	char csrf[48];
	int64_t uid;		/* 0 for a guest */
	int64_t guest_uid;	/* a guest checking out: their guest row (app/account/guest.h), else 0 */
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
	/* READ REPLICAS (issue 20): the primary's GTID of this shopper's last
	 * write (field "g"), which their reads on a replica wait for; "" none. */
	char gtid[64];
};

/* Statements of the session module (user lookup per request). */
void session_init(void);

/* The session stored under cookie value id (checked for shape by the
 * caller): *out NULL when there is none or it has ended; E_UNAVAIL when
 * Redis is down. *flash: its one-time message, if any. */
enum err session_read(struct kv *kv, struct arena *a, const char *id, struct session **out,
		      const char **flash);
/* Fills s's user part from MariaDB; E_NOTFOUND when the session must end
 * (account gone or disabled, password changed since, or too old). */
enum err session_load_user(struct db *db, struct arena *a, struct session *s);
/* After session_load_user: when the user's roles changed since s was
 * issued, gives it a new id (same contents, the old one retired) and sets
 * *rotated, so no privilege change keeps an old id. */
enum err session_refresh_roles(struct kv *kv, struct arena *a, struct session *s, int *rotated);
/* A new session (guest when uid is 0) with fresh id and CSRF token, stored.
 * E_INVAL when uid's account cannot sign in. */
enum err session_new(struct kv *kv, struct db *db, struct arena *a, int64_t uid, unsigned epoch,
		     struct session **out);
/* uid's current session epoch; E_NOTFOUND when there is no such user. */
enum err session_user_epoch(struct db *db, struct arena *a, int64_t uid, unsigned *epoch);
/* Seconds a session lives idle (its cookie's Max-Age). */
long session_ttl(const struct session *s);
/* Slides s's expiry. */
void session_touch(struct kv *kv, struct arena *a, const struct session *s);
/* READ REPLICAS (issue 20): keeps gtid as the session's last write. */
void session_gtid_set(struct kv *kv, struct arena *a, const char *key, const char *gtid);
/* Deletes the session stored under key. */
void session_drop(struct kv *kv, struct arena *a, const char *key);
/* A one-time message kept with the session stored under key; cleared. */
void session_flash_set(struct kv *kv, struct arena *a, const char *key, const char *msg);
void session_flash_clear(struct kv *kv, struct arena *a, const char *key);
/* 1 when token is s's CSRF token (constant-time comparison). */
int session_token_ok(const struct session *s, const char *token);

/* Throttles: counts per key in a fixed window. session_limit_wait answers the
 * seconds to wait (Retry-After) when count >= limit, else 0. A Redis outage
 * does not throttle (and does not let anyone in: sign-in needs Redis too). */
int session_limit_wait(struct kv *kv, struct arena *a, const char *key, int limit);
void session_limit_hit(struct kv *kv, struct arena *a, const char *key, int window);
void session_limit_clear(struct kv *kv, struct arena *a, const char *key);

#endif
