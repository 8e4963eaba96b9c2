/* Sessions in Redis. See session.h for the rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "session.h"

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

static const char *cookie_name(const struct ctx *c)
{
	/* The __Host- prefix makes the browser refuse the cookie unless it is
	 * Secure, host-only and Path=/: no subdomain can plant one. */
	return c->req->https ? "__Host-sid" : "sid";
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

static void set_cookie(struct ctx *c, const char *id, long max_age)
{
	resp_header(c->resp, arena_printf(c->a,
		"Set-Cookie: %s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Lax%s",
		cookie_name(c), id, max_age, c->req->https ? "; Secure" : ""));
}

static void roles_of(const struct session *s, char out[16])
{
	snprintf(out, 16, "%s%s", s->is_seller ? "s" : "", s->is_admin ? "a" : "");
}

static long ttl_of(const struct session *s)
{
	return s->uid ? SESSION_USER_IDLE : SESSION_GUEST_TTL;
}

/* Writes the whole session under its key. */
static enum err store(struct ctx *c, struct session *s)
{
	char uid[24], created[24], epoch[16];
	enum err e;

	snprintf(uid, sizeof(uid), "%lld", (long long)s->uid);
	snprintf(created, sizeof(created), "%lld", (long long)s->created);
	snprintf(epoch, sizeof(epoch), "%u", s->epoch);
	e = kv_cmd(c->kv, c->a, NULL, "HSET %s uid %s csrf %s created %s epoch %s roles %s",
		   s->key, uid, s->csrf, created, epoch, s->roles[0] ? s->roles : "-");
	if (e == E_OK)
		e = kv_cmd(c->kv, c->a, NULL, "EXPIRE %s %ld", s->key, ttl_of(s));
	return e;
}

/* Gives the session a new id (same contents), retiring the old one. */
static enum err rotate(struct ctx *c, struct session *s)
{
	char old[40];
	enum err e;

	memcpy(old, s->key, sizeof(old));
	random_token(s->id, sizeof(s->id), 32);
	key_for(s->id, s->key);
	if ((e = store(c, s)))
		return e;
	kv_cmd(c->kv, c->a, NULL, "DEL %s", old);
	set_cookie(c, s->id, ttl_of(s));
	return E_OK;
}

/* Fills the user part from MariaDB; E_NOTFOUND when the session must end. */
static enum err load_user(struct ctx *c, struct session *s)
{
	struct db_res *r = NULL;
	enum err e = db_exec(c->db, c->a, &sql[Q_USER], &r, "i", s->uid);

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

enum err session_load(struct ctx *c)
{
	const char *id = req_cookie(c->req, cookie_name(c));
	struct session *s;
	redisReply *r = NULL;
	const char *flash = NULL;
	char roles[16];
	enum err e;

	c->sess = NULL;
	if (!id || strlen(id) != 43 || strspn(id,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != 43)
		return E_OK;
	s = arena_calloc(c->a, 1, sizeof(*s));
	if (!s)
		return E_NOMEM;
	snprintf(s->id, sizeof(s->id), "%s", id);
	key_for(id, s->key);
	if ((e = kv_cmd(c->kv, c->a, &r, "HGETALL %s", s->key)))
		return e == E_UNAVAIL ? E_OK : e;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0)
		return E_OK;	/* ended, expired or flushed: a stranger again */
	s->cart_field = arena_alloc(c->a, (r->elements / 2 + 1) * sizeof(char *));
	s->cart_val = arena_alloc(c->a, (r->elements / 2 + 1) * sizeof(char *));
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
			flash = v;
		else if (!strcmp(k, "uid"))
			s->uid = strtoll(v, NULL, 10);
		else if (!strcmp(k, "csrf"))
			snprintf(s->csrf, sizeof(s->csrf), "%s", v);
		else if (!strcmp(k, "created"))
			s->created = strtoll(v, NULL, 10);
		else if (!strcmp(k, "epoch"))
			s->epoch = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(k, "roles"))
			snprintf(s->roles, sizeof(s->roles), "%s", strcmp(v, "-") ? v : "");
	}
	if (!s->csrf[0])
		return E_OK;
	if (s->uid) {
		e = load_user(c, s);
		if (e == E_NOTFOUND) {
			/* Password changed elsewhere, account disabled, or too old. */
			kv_cmd(c->kv, c->a, NULL, "DEL %s", s->key);
			set_cookie(c, "", 0);
			return E_OK;
		}
		if (e)
			return e;
		roles_of(s, roles);
		if (strcmp(roles, s->roles)) {
			/* Privileges changed since this id was issued: issue a new one. */
			memcpy(s->roles, roles, sizeof(roles));
			if ((e = rotate(c, s)))
				return e;
		}
	}
	kv_cmd(c->kv, c->a, NULL, "EXPIRE %s %ld", s->key, ttl_of(s));
	/* A flash message is shown once, on the next HTML page. */
	if (flash && !c->req->wants_json && c->req->method == M_GET) {
		if (!c->notice)
			c->notice = arena_strdup(c->a, flash);
		kv_cmd(c->kv, c->a, NULL, "HDEL %s flash", s->key);
	}
	c->sess = s;
	return E_OK;
}

void session_flash(struct ctx *c, const char *msg)
{
	if (c->sess && msg && *msg)
		kv_cmd(c->kv, c->a, NULL, "HSET %s flash %s", c->sess->key, msg);
}

static enum err create(struct ctx *c, int64_t uid, unsigned epoch)
{
	struct session *s = arena_calloc(c->a, 1, sizeof(*s));
	enum err e;

	if (!s)
		return E_NOMEM;
	random_token(s->id, sizeof(s->id), 32);
	key_for(s->id, s->key);
	random_token(s->csrf, sizeof(s->csrf), 24);
	s->uid = uid;
	s->epoch = epoch;
	s->created = time(NULL);
	s->is_new = 1;
	if (uid && (e = load_user(c, s)))
		return e == E_NOTFOUND ? E_INVAL : e;
	roles_of(s, s->roles);
	if ((e = store(c, s)))
		return e;
	set_cookie(c, s->id, ttl_of(s));
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
	struct db_res *r = NULL;
	enum err e;

	*old_key = NULL;
	if ((e = db_exec(c->db, c->a, &sql[Q_USER], &r, "i", uid)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	if (c->sess) {
		/* The old session is retired, not upgraded: an id an attacker
		 * planted before sign-in is worth nothing after it. Its key is
		 * handed back so data kept beside it (a guest cart) can move. */
		*old_key = arena_strdup(c->a, c->sess->key);
		kv_cmd(c->kv, c->a, NULL, "DEL %s", c->sess->key);
		c->sess = NULL;
	}
	return create(c, uid, (unsigned)db_int(r, 0, 4));
}

enum err session_destroy(struct ctx *c)
{
	if (c->sess)
		kv_cmd(c->kv, c->a, NULL, "DEL %s", c->sess->key);
	c->sess = NULL;
	set_cookie(c, "", 0);
	return E_OK;
}

int session_csrf_ok(struct ctx *c)
{
	/* The header or a form body's "csrf" field, never the query string:
	 * app/http/server.c (parse_body) picks the one source. */
	const char *t = c->req->csrf_header;
	size_t n;

	if (!c->sess || !t || !c->sess->csrf[0])
		return 0;
	n = strlen(c->sess->csrf);
	return strlen(t) == n && sodium_memcmp(t, c->sess->csrf, n) == 0;
}

int session_throttled(struct ctx *c, const char *key, int limit)
{
	redisReply *r = NULL;
	long long n;

	if (kv_cmd(c->kv, c->a, &r, "GET t:%s", key) || !r || r->type != REDIS_REPLY_STRING)
		return 0;
	n = strtoll(r->str, NULL, 10);
	if (n < limit)
		return 0;
	if (kv_cmd(c->kv, c->a, &r, "TTL t:%s", key) || !r || r->type != REDIS_REPLY_INTEGER)
		return 60;
	return r->integer > 0 ? (int)r->integer : 1;
}

void session_throttle_hit(struct ctx *c, const char *key, int window)
{
	redisReply *r = NULL;

	if (kv_cmd(c->kv, c->a, &r, "INCR t:%s", key) == E_OK && r &&
	    r->type == REDIS_REPLY_INTEGER && r->integer == 1)
		kv_cmd(c->kv, c->a, NULL, "EXPIRE t:%s %d", key, window);
}

void session_throttle_clear(struct ctx *c, const char *key)
{
	kv_cmd(c->kv, c->a, NULL, "DEL t:%s", key);
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
