/* Sessions in Redis. See session_store.h for the rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "session_store.h"

enum { Q_USER, Q_COUNT };

static struct db_sql sql[Q_COUNT] = {
	[Q_USER] = { "SELECT u.name, u.email, u.is_seller, u.is_admin, u.session_epoch, u.status, "
		     "COALESCE((SELECT s.id FROM sellers s WHERE s.user_id = u.id), 0) "
		     "FROM users u WHERE u.id = ?", 0 },
};

void session_init(void)
{
	db_register(sql, Q_COUNT);
}

static void random_token(char *out, size_t outlen, size_t nbytes)
{
	unsigned char raw[48];

	randombytes_buf(raw, nbytes);
	sodium_bin2base64(out, outlen, raw, nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void key_for(const char *id, char key[40])
{
	unsigned char h[16];
	char hex[33];

	crypto_generichash(h, sizeof(h), (const unsigned char *)id, strlen(id), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(key, 40, "s:%s", hex);
}

static void roles_of(const struct session *s, char out[16])
{
	snprintf(out, 16, "%s%s", s->is_seller ? "s" : "", s->is_admin ? "a" : "");
}

long session_ttl(const struct session *s)
{
	return s->uid ? SESSION_USER_IDLE : SESSION_GUEST_TTL;
}

/* Writes the whole session under its key. */
static enum err store(struct kv *kv, struct arena *a, struct session *s)
{
	char uid[24], created[24], epoch[16];
	enum err e;

	snprintf(uid, sizeof(uid), "%lld", (long long)s->uid);
	snprintf(created, sizeof(created), "%lld", (long long)s->created);
	snprintf(epoch, sizeof(epoch), "%u", s->epoch);
	e = kv_cmd(kv, a, NULL, "HSET %s uid %s csrf %s created %s epoch %s roles %s",
		   s->key, uid, s->csrf, created, epoch, s->roles[0] ? s->roles : "-");
	if (e == E_OK)
		e = kv_cmd(kv, a, NULL, "EXPIRE %s %ld", s->key, session_ttl(s));
	return e;
}

/* Gives the session a new id (same contents), retiring the old one. */
static enum err rotate(struct kv *kv, struct arena *a, struct session *s)
{
	char old[40];
	enum err e;

	memcpy(old, s->key, sizeof(old));
	random_token(s->id, sizeof(s->id), 32);
	key_for(s->id, s->key);
	if ((e = store(kv, a, s)))
		return e;
	kv_cmd(kv, a, NULL, "DEL %s", old);
	return E_OK;
}

enum err session_load_user(struct db *db, struct arena *a, struct session *s)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_USER], &r, "i", s->uid);

	if (e)
		return e;
	if (!r->nrows || strcmp(db_cell(r, 0, 5), "active") ||
	    (unsigned)db_int(r, 0, 4) != s->epoch ||
	    time(NULL) - s->created > SESSION_USER_MAX)
		return E_NOTFOUND;
	s->name = db_cell(r, 0, 0);
	s->email = db_cell(r, 0, 1);
	s->is_seller = db_int(r, 0, 2) != 0;
	s->is_admin = db_int(r, 0, 3) != 0;
	s->seller_id = db_int(r, 0, 6);
	return E_OK;
}

enum err session_read(struct kv *kv, struct arena *a, const char *id, struct session **out,
		      const char **flash)
{
	struct session *s;
	redisReply *r = NULL;
	enum err e;

	*out = NULL;
	*flash = NULL;
	s = arena_calloc(a, 1, sizeof(*s));
	if (!s)
		return E_NOMEM;
	snprintf(s->id, sizeof(s->id), "%s", id);
	key_for(id, s->key);
	if ((e = kv_cmd(kv, a, &r, "HGETALL %s", s->key)))
		return e;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0)
		return E_OK;	/* ended, expired or flushed: a stranger again */
	s->cart_field = arena_alloc(a, (r->elements / 2 + 1) * sizeof(char *));
	s->cart_val = arena_alloc(a, (r->elements / 2 + 1) * sizeof(char *));
	if (!s->cart_field || !s->cart_val)
		return E_NOMEM;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const char *k = r->element[i]->str, *v = r->element[i + 1]->str;

		if (!k || !v)
			continue;
		if (k[0] == 'i' && k[1] == ':') {
			s->cart_field[s->ncart] = k;
			s->cart_val[s->ncart++] = v;
		} else if (!strcmp(k, "cv"))
			s->cart_version = strtoll(v, NULL, 10);
		else if (!strcmp(k, "flash"))
			*flash = v;
		else if (!strcmp(k, "uid"))
			s->uid = strtoll(v, NULL, 10);
		else if (!strcmp(k, "guest"))
			s->guest_uid = strtoll(v, NULL, 10);
		else if (!strcmp(k, "csrf"))
			snprintf(s->csrf, sizeof(s->csrf), "%s", v);
		else if (!strcmp(k, "created"))
			s->created = strtoll(v, NULL, 10);
		else if (!strcmp(k, "epoch"))
			s->epoch = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(k, "roles"))
			snprintf(s->roles, sizeof(s->roles), "%s", strcmp(v, "-") ? v : "");
		else if (!strcmp(k, "g"))
			snprintf(s->gtid, sizeof(s->gtid), "%s", v);
	}
	if (!s->csrf[0]) {
		*flash = NULL;
		return E_OK;
	}
	*out = s;
	return E_OK;
}

enum err session_refresh_roles(struct kv *kv, struct arena *a, struct session *s, int *rotated)
{
	char roles[16];
	enum err e;

	*rotated = 0;
	roles_of(s, roles);
	if (!strcmp(roles, s->roles))
		return E_OK;
	/* Privileges changed since this id was issued: issue a new one. */
	memcpy(s->roles, roles, sizeof(roles));
	if ((e = rotate(kv, a, s)))
		return e;
	*rotated = 1;
	return E_OK;
}

void session_touch(struct kv *kv, struct arena *a, const struct session *s)
{
	kv_cmd(kv, a, NULL, "EXPIRE %s %ld", s->key, session_ttl(s));
}

void session_gtid_set(struct kv *kv, struct arena *a, const char *key, const char *gtid)
{
	kv_cmd(kv, a, NULL, "HSET %s g %s", key, gtid);
}

void session_drop(struct kv *kv, struct arena *a, const char *key)
{
	kv_cmd(kv, a, NULL, "DEL %s", key);
}

void session_flash_set(struct kv *kv, struct arena *a, const char *key, const char *msg)
{
	kv_cmd(kv, a, NULL, "HSET %s flash %s", key, msg);
}

void session_flash_clear(struct kv *kv, struct arena *a, const char *key)
{
	kv_cmd(kv, a, NULL, "HDEL %s flash", key);
}

enum err session_new(struct kv *kv, struct db *db, struct arena *a, int64_t uid, unsigned epoch,
		     struct session **out)
{
	struct session *s = arena_calloc(a, 1, sizeof(*s));
	enum err e;

	*out = NULL;
	if (!s)
		return E_NOMEM;
	random_token(s->id, sizeof(s->id), 32);
	key_for(s->id, s->key);
	random_token(s->csrf, sizeof(s->csrf), 24);
	s->uid = uid;
	s->epoch = epoch;
	s->created = time(NULL);
	s->is_new = 1;
	if (uid && (e = session_load_user(db, a, s)))
		return e == E_NOTFOUND ? E_INVAL : e;
	roles_of(s, s->roles);
	if ((e = store(kv, a, s)))
		return e;
	*out = s;
	return E_OK;
}

enum err session_user_epoch(struct db *db, struct arena *a, int64_t uid, unsigned *epoch)
{
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_USER], &r, "i", uid)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	*epoch = (unsigned)db_int(r, 0, 4);
	return E_OK;
}

int session_token_ok(const struct session *s, const char *t)
{
	size_t n;

	if (!s || !t || !s->csrf[0])
		return 0;
	n = strlen(s->csrf);
	return strlen(t) == n && sodium_memcmp(t, s->csrf, n) == 0;
}

int session_limit_wait(struct kv *kv, struct arena *a, const char *key, int limit)
{
	redisReply *r = NULL;
	long long n;

	if (kv_cmd(kv, a, &r, "GET t:%s", key) || !r || r->type != REDIS_REPLY_STRING)
		return 0;
	n = strtoll(r->str, NULL, 10);
	if (n < limit)
		return 0;
	if (kv_cmd(kv, a, &r, "TTL t:%s", key) || !r || r->type != REDIS_REPLY_INTEGER)
		return 60;
	return r->integer > 0 ? (int)r->integer : 1;
}

void session_limit_hit(struct kv *kv, struct arena *a, const char *key, int window)
{
	redisReply *r = NULL;

	if (kv_cmd(kv, a, &r, "INCR t:%s", key) == E_OK && r &&
	    r->type == REDIS_REPLY_INTEGER && r->integer == 1)
		kv_cmd(kv, a, NULL, "EXPIRE t:%s %d", key, window);
}

void session_limit_clear(struct kv *kv, struct arena *a, const char *key)
{
	kv_cmd(kv, a, NULL, "DEL t:%s", key);
}
