/* Webhooks to third parties: endpoints, the consumer, the delivery job
 * (webhook.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../core/sig.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../events/stream.h"
#include "../mail/mail.h"
#include "guard.h"
#include "webhook.h"

#define CLAIM_BATCH 16		/* deliveries per batch, sent side by side */
#define LEASE_S 120		/* a claimed delivery is due again after this (a crash) */
#define ERR_MAX 250

enum {
	Q_EP_INSERT, Q_EP_GET, Q_EP_LIST, Q_EP_DELETE, Q_EP_ENABLE, Q_EP_REQUEUE, Q_EP_ENABLED,
	Q_DL_INSERT, Q_DL_CLAIM, Q_DL_LEASE, Q_DL_LOAD, Q_DL_LATER, Q_AT_INSERT, Q_DL_DONE,
	Q_DL_RETRY, Q_DL_FAIL, Q_EP_OK, Q_EP_FAILED, Q_EP_DISABLE, Q_ADMINS, Q_DL_LIST, Q_AT_LIST,
	Q_PRUNE, NQ
};

#define EP_COLS "e.id, e.url, e.events, e.enabled, COALESCE(e.disabled_reason, ''), " \
	"COALESCE(DATE_FORMAT(e.disabled_at, '%Y-%m-%d %H:%i:%s'), ''), e.failures, " \
	"COALESCE(DATE_FORMAT(e.last_success_at, '%Y-%m-%d %H:%i:%s'), ''), " \
	"DATE_FORMAT(e.created_at, '%Y-%m-%dT%H:%i:%sZ'), " \
	"(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending'), " \
	"(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'delivered'), " \
	"(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'failed')"

static struct db_sql sql[NQ] = {
	[Q_EP_INSERT] = { "INSERT INTO webhook_endpoints (url, events, secret, created_by) VALUES (?, ?, ?, ?)", 0 },
	[Q_EP_GET] = { "SELECT " EP_COLS " FROM webhook_endpoints e WHERE e.id = ?", 0 },
	[Q_EP_LIST] = { "SELECT " EP_COLS " FROM webhook_endpoints e ORDER BY e.id LIMIT 500", 0 },
	[Q_EP_DELETE] = { "DELETE FROM webhook_endpoints WHERE id = ?", 0 },
	[Q_EP_ENABLE] = { "UPDATE webhook_endpoints SET enabled = 1, disabled_reason = NULL, disabled_at = NULL, "
			  "failures = 0 WHERE id = ?", 0 },
	[Q_EP_REQUEUE] = { "UPDATE webhook_deliveries SET next_at = NOW(3) "
			   "WHERE endpoint_id = ? AND status = 'pending'", 0 },
	[Q_EP_ENABLED] = { "SELECT id, events FROM webhook_endpoints WHERE enabled = 1 ORDER BY id", 0 },
	[Q_DL_INSERT] = { "INSERT IGNORE INTO webhook_deliveries (endpoint_id, event_id, event_type, body) "
			  "VALUES (?, ?, ?, ?)", 0 },
	[Q_DL_CLAIM] = { "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_at <= NOW(3) "
			 "ORDER BY next_at, id LIMIT 16 FOR UPDATE SKIP LOCKED", 0 },
	[Q_DL_LEASE] = { "UPDATE webhook_deliveries SET next_at = NOW(3) + INTERVAL 120 SECOND WHERE id = ?", 0 },
	[Q_DL_LOAD] = { "SELECT d.endpoint_id, d.event_id, d.event_type, d.body, d.attempts, "
			"TIMESTAMPDIFF(MICROSECOND, d.created_at, NOW(3)) DIV 1000, e.url, e.secret, e.enabled "
			"FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id "
			"WHERE d.id = ? AND d.status = 'pending'", 0 },
	[Q_DL_LATER] = { "UPDATE webhook_deliveries SET next_at = NOW(3) + INTERVAL 1 HOUR WHERE id = ?", 0 },
	[Q_AT_INSERT] = { "INSERT INTO webhook_attempts (delivery_id, attempt, ok, http_code, ms, error) "
			  "VALUES (?, ?, ?, ?, ?, ?)", 0 },
	[Q_DL_DONE] = { "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_code = ?, "
			"last_ms = ?, last_error = NULL, finished_at = NOW(3) WHERE id = ? AND status = 'pending'", 0 },
	[Q_DL_RETRY] = { "UPDATE webhook_deliveries SET attempts = attempts + 1, last_code = ?, last_ms = ?, "
			 "last_error = ?, next_at = NOW(3) + INTERVAL ? MICROSECOND "
			 "WHERE id = ? AND status = 'pending'", 0 },
	[Q_DL_FAIL] = { "UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, last_code = ?, "
			"last_ms = ?, last_error = ?, finished_at = NOW(3) WHERE id = ? AND status = 'pending'", 0 },
	[Q_EP_OK] = { "UPDATE webhook_endpoints SET failures = 0, last_success_at = NOW(3) WHERE id = ?", 0 },
	[Q_EP_FAILED] = { "UPDATE webhook_endpoints SET failures = failures + 1 WHERE id = ?", 0 },
	/* Only when nothing succeeded at the endpoint since the failed
	 * delivery began: a day of failure, not one bad event. */
	[Q_EP_DISABLE] = { "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, disabled_at = NOW(3) "
			   "WHERE id = ? AND enabled = 1 AND (last_success_at IS NULL OR last_success_at < "
			   "(SELECT created_at FROM webhook_deliveries WHERE id = ?))", 0 },
	/* Every admin is told (a shop has a handful; the bound only guards a
	 * runaway table). At 20 the newest admins were never told: the test
	 * stack's 21st admin missed the mail. */
	[Q_ADMINS] = { "SELECT email FROM users WHERE is_admin = 1 AND status = 'active' ORDER BY id LIMIT 500", 0 },
	[Q_DL_LIST] = { "SELECT id, event_id, event_type, status, attempts, COALESCE(last_code, -1), "
			"COALESCE(last_ms, -1), COALESCE(last_error, ''), "
			"DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s'), "
			"IF(status = 'pending', DATE_FORMAT(next_at, '%Y-%m-%d %H:%i:%s'), ''), "
			"COALESCE(DATE_FORMAT(finished_at, '%Y-%m-%d %H:%i:%s'), '') "
			"FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY id DESC LIMIT 100", 0 },
	[Q_AT_LIST] = { "SELECT a.delivery_id, d.event_id, d.event_type, a.attempt, a.ok, COALESCE(a.http_code, -1), "
			"a.ms, COALESCE(a.error, ''), DATE_FORMAT(a.at, '%Y-%m-%d %H:%i:%s') "
			"FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id "
			"WHERE d.endpoint_id = ? ORDER BY a.id DESC LIMIT 100", 0 },
	/* finished deliveries past the log's keep, with their attempts (cascade) */
	[Q_PRUNE] = { "DELETE FROM webhook_deliveries WHERE status <> 'pending' "
		      "AND finished_at < NOW(3) - INTERVAL ? DAY ORDER BY id LIMIT 1000", 0 },
};

static int inited, allow_private;
static int64_t backoff_ms = 30000, backoff_max_ms = 3600000, window_ms = 24LL * 3600 * 1000;
static long timeout_ms = 5000;
static int64_t keep_days = 30;

void webhook_init(void)
{
	if (inited)
		return;
	inited = 1;
	db_register(sql, NQ);
	mail_init();
	allow_private = config_env_num("SHOP_WEBHOOK_ALLOW_PRIVATE", 0, 0, 1) == 1;
	backoff_ms = config_env_num("SHOP_WEBHOOK_BACKOFF_MS", 30000, 10, 3600000);
	window_ms = config_env_num("SHOP_WEBHOOK_RETRY_HOURS", 24, 1, 24 * 30) * 3600 * 1000;
	timeout_ms = (long)config_env_num("SHOP_WEBHOOK_TIMEOUT_MS", 5000, 100, 60000);
	keep_days = config_env_num("SHOP_WEBHOOK_KEEP_DAYS", 30, 1, 3650);
}

int webhook_allow_private(void)
{
	return allow_private;
}

/* ---- endpoints ---- */

static int type_known(const char *s)
{
	for (int i = 0; i < EV_NTYPES; i++)
		if (!strcmp(s, event_type_name((enum event_type)i)))
			return 1;
	return 0;
}

const char *webhook_types_check(struct arena *a, const char *const *types, size_t n)
{
	struct buf b;

	if (!n)
		return "events: name at least one event type";
	for (size_t i = 0; i < n; i++) {
		if (type_known(types[i]))
			continue;
		buf_init(&b, a, 256);
		buf_printf(&b, "events: unknown event type \"%.64s\"; the types are ", types[i]);
		for (int k = 0; k < EV_NTYPES; k++)
			buf_printf(&b, "%s%s", k ? ", " : "", event_type_name((enum event_type)k));
		buf_putc(&b, '\0');
		return b.p;
	}
	return NULL;
}

/* "t1,t2" from the types in the events.h order, each once. */
static const char *types_join(struct arena *a, const char *const *types, size_t n)
{
	struct buf b;
	int first = 1;

	buf_init(&b, a, 128);
	for (int k = 0; k < EV_NTYPES; k++) {
		const char *name = event_type_name((enum event_type)k);

		for (size_t i = 0; i < n; i++)
			if (!strcmp(types[i], name)) {
				buf_printf(&b, "%s%s", first ? "" : ",", name);
				first = 0;
				break;
			}
	}
	buf_putc(&b, '\0');
	return b.p;
}

static void ep_fill(const struct db_res *r, size_t i, struct webhook_endpoint *e)
{
	memset(e, 0, sizeof(*e));
	e->id = db_int(r, i, 0);
	e->url = db_cell(r, i, 1);
	e->events = db_cell(r, i, 2);
	e->enabled = db_int(r, i, 3) != 0;
	e->disabled_reason = db_cell(r, i, 4);
	e->disabled_at = db_cell(r, i, 5);
	e->failures = db_int(r, i, 6);
	e->last_success_at = db_cell(r, i, 7);
	e->created_at = db_cell(r, i, 8);
	e->pending = db_int(r, i, 9);
	e->delivered = db_int(r, i, 10);
	e->failed = db_int(r, i, 11);
	e->secret = "";
}

enum err webhook_create(struct db *db, struct arena *a, const char *url, const char *const *types, size_t n,
			int64_t by, struct webhook_endpoint *out, const char **why)
{
	struct webhook_target t;
	unsigned char raw[24];
	char hex[2 * sizeof(raw) + 1];
	const char *secret, *events;
	enum err e;

	*why = NULL;
	if ((*why = webhook_types_check(a, types, n)))
		return E_INVAL;
	e = webhook_target_resolve(a, url, allow_private, &t, why);
	if (e == E_UNAVAIL)
		e = E_INVAL;	/* the admin tries again; nothing is stored */
	if (e)
		return e;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	secret = arena_printf(a, "whsec_%s", hex);
	events = types_join(a, types, n);
	if ((e = db_exec(db, a, &sql[Q_EP_INSERT], NULL, "sssi", url, events, secret, by)))
		return e;
	if ((e = webhook_get(db, a, (int64_t)db_insert_id(db), out)))
		return e;
	out->secret = secret;
	log_info("webhook: endpoint %lld registered by %lld for %s", (long long)out->id, (long long)by, events);
	return E_OK;
}

enum err webhook_get(struct db *db, struct arena *a, int64_t id, struct webhook_endpoint *out)
{
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_EP_GET], &r, "i", id)))
		return e;
	if (!r || !r->nrows)
		return E_NOTFOUND;
	ep_fill(r, 0, out);
	return E_OK;
}

enum err webhook_list(struct db *db, struct arena *a, struct webhook_endpoint **out, size_t *n)
{
	struct db_res *r = NULL;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_EP_LIST], &r, "")))
		return e;
	if (!r || !r->nrows)
		return E_OK;
	if (!(*out = arena_calloc(a, r->nrows, sizeof(**out))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++)
		ep_fill(r, i, &(*out)[i]);
	*n = r->nrows;
	return E_OK;
}

enum err webhook_delete(struct db *db, struct arena *a, int64_t id)
{
	enum err e = db_exec(db, a, &sql[Q_EP_DELETE], NULL, "i", id);

	if (e)
		return e;
	return db_affected(db) ? E_OK : E_NOTFOUND;
}

enum err webhook_enable(struct db *db, struct arena *a, int64_t id)
{
	struct webhook_endpoint ep;
	enum err e;

	if ((e = webhook_get(db, a, id, &ep)))
		return e;
	if ((e = db_exec(db, a, &sql[Q_EP_ENABLE], NULL, "i", id)))
		return e;
	return db_exec(db, a, &sql[Q_EP_REQUEUE], NULL, "i", id);
}

enum err webhook_deliveries(struct db *db, struct arena *a, int64_t id, struct webhook_delivery **out, size_t *n)
{
	struct db_res *r = NULL;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_DL_LIST], &r, "i", id)))
		return e;
	if (!r || !r->nrows)
		return E_OK;
	if (!(*out = arena_calloc(a, r->nrows, sizeof(**out))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		struct webhook_delivery *d = &(*out)[i];

		d->id = db_int(r, i, 0);
		d->event_id = db_int(r, i, 1);
		d->event_type = db_cell(r, i, 2);
		d->status = db_cell(r, i, 3);
		d->attempts = db_int(r, i, 4);
		d->last_code = db_int(r, i, 5);
		d->last_ms = db_int(r, i, 6);
		d->last_error = db_cell(r, i, 7);
		d->created_at = db_cell(r, i, 8);
		d->next_at = db_cell(r, i, 9);
		d->finished_at = db_cell(r, i, 10);
	}
	*n = r->nrows;
	return E_OK;
}

enum err webhook_attempts(struct db *db, struct arena *a, int64_t id, struct webhook_attempt **out, size_t *n)
{
	struct db_res *r = NULL;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_AT_LIST], &r, "i", id)))
		return e;
	if (!r || !r->nrows)
		return E_OK;
	if (!(*out = arena_calloc(a, r->nrows, sizeof(**out))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		struct webhook_attempt *t = &(*out)[i];

		t->delivery_id = db_int(r, i, 0);
		t->event_id = db_int(r, i, 1);
		t->event_type = db_cell(r, i, 2);
		t->attempt = db_int(r, i, 3);
		t->ok = db_int(r, i, 4) != 0;
		t->http_code = db_int(r, i, 5);
		t->ms = db_int(r, i, 6);
		t->error = db_cell(r, i, 7);
		t->at = db_cell(r, i, 8);
	}
	*n = r->nrows;
	return E_OK;
}

/* ---- the consumer ---- */

/* 1 when the comma-separated list has name. */
static int list_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, ",");

		if (k == n && !memcmp(p, name, n))
			return 1;
		p += k;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* The enabled endpoints, read once per batch of the stream and forgotten
 * by webhook_flush (or after a second): every event used to cost a
 * transaction reading them, and most shops have few or none. More than
 * EP_CACHE: read per event, as before. */
#define EP_CACHE 64
static struct {
	int64_t id;
	char *events;
} eps[EP_CACHE];
static int neps = -1;	/* -1: not read; -2: too many to keep */
static time_t eps_at;

static void eps_forget(void)
{
	for (int i = 0; i < neps; i++)
		free(eps[i].events);
	neps = -1;
}

static enum err eps_load(struct db *db, struct arena *a)
{
	struct db_res *r = NULL;
	enum err e;

	if (neps != -1 && time(NULL) - eps_at < 1)
		return E_OK;
	eps_forget();
	if ((e = db_exec(db, a, &sql[Q_EP_ENABLED], &r, "")))
		return e;
	eps_at = time(NULL);
	if (r->nrows > EP_CACHE) {
		neps = -2;
		return E_OK;
	}
	neps = 0;
	for (size_t i = 0; i < r->nrows; i++) {
		if (!(eps[neps].events = strdup(db_cell(r, i, 1) ? db_cell(r, i, 1) : ""))) {
			eps_forget();
			return E_NOMEM;
		}
		eps[neps++].id = db_int(r, i, 0);
	}
	return E_OK;
}

struct fanout {
	struct arena *a;
	const struct event *ev;
	const char *body;
	int written;
};

static enum err fanout_one(struct db *db, struct fanout *f, int64_t endpoint)
{
	enum err e = db_exec(db, f->a, &sql[Q_DL_INSERT], NULL, "iiss", endpoint, f->ev->id, f->ev->topic, f->body);

	if (!e)
		f->written += (int)db_affected(db);
	return e;
}

static enum err fanout_tx(struct db *db, void *p)
{
	struct fanout *f = p;
	struct db_res *r = NULL;
	enum err e;

	f->written = 0;
	if (neps >= 0) {
		for (int i = 0; i < neps; i++)
			if (list_has(eps[i].events, f->ev->topic) && (e = fanout_one(db, f, eps[i].id)))
				return e;
		return E_OK;
	}
	if ((e = db_exec(db, f->a, &sql[Q_EP_ENABLED], &r, "")))
		return e;
	for (size_t i = 0; r && i < r->nrows; i++)
		if (list_has(db_cell(r, i, 1), f->ev->topic) && (e = fanout_one(db, f, db_int(r, i, 0))))
			return e;
	return E_OK;
}

/* The body every attempt sends: {"id", "type", "createdAt", "data"}. */
static const char *delivery_body(struct arena *a, const struct event *ev)
{
	json_t *data = ev->json ? json_incref(ev->json) : json_loads(ev->payload ? ev->payload : "{}", 0, NULL);
	time_t s = (time_t)(ev->created_ms / 1000);
	struct tm tm;
	char when[64];
	json_t *o;
	char *text;
	const char *out;

	gmtime_r(&s, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ev->created_ms % 1000));
	o = json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)ev->id, "type", ev->topic, "createdAt", when,
		      "data", data ? data : json_object());
	if (!o)
		return NULL;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return NULL;
	out = arena_strdup(a, text);
	free(text);
	return out;
}

enum err webhook_handle(struct db *db, struct kv *kv, struct arena *a, const struct event *ev)
{
	struct fanout f = { a, ev, NULL, 0 };
	enum err e;

	(void)kv;
	if (ev->type < 0 || !ev->topic)
		return E_OK;	/* a type this build does not know: no endpoint asked for it */
	if ((e = eps_load(db, a)))
		return e;
	if (neps >= 0) {	/* nobody asked for this type: nothing to write */
		int any = 0;

		for (int i = 0; i < neps && !any; i++)
			any = list_has(eps[i].events, ev->topic);
		if (!any)
			return E_OK;
	}
	if (!(f.body = delivery_body(a, ev)))
		return E_NOMEM;
	if ((e = db_tx(db, fanout_tx, &f)))
		return e == E_UNAVAIL ? E_UNAVAIL : e;
	if (f.written)
		log_info("webhook: event %lld (%s): %d deliveries", (long long)ev->id, ev->topic, f.written);
	return E_OK;
}

enum err webhook_flush(struct db *db, struct kv *kv, struct arena *a)
{
	(void)db;
	(void)kv;
	(void)a;
	eps_forget();	/* the next batch reads them afresh */
	return E_OK;
}

/* ---- delivery ---- */

struct claim {
	struct arena *a;
	int64_t ids[CLAIM_BATCH];
	size_t n;
};

static enum err claim_tx(struct db *db, void *p)
{
	struct claim *c = p;
	struct db_res *r = NULL;
	enum err e;

	c->n = 0;
	if ((e = db_exec(db, c->a, &sql[Q_DL_CLAIM], &r, "")))
		return e;
	for (size_t i = 0; r && i < r->nrows && c->n < CLAIM_BATCH; i++) {
		if ((e = db_exec(db, c->a, &sql[Q_DL_LEASE], NULL, "i", db_int(r, i, 0))))
			return e;
		c->ids[c->n++] = db_int(r, i, 0);
	}
	return E_OK;
}

struct sink {
	char text[ERR_MAX + 1];
	size_t len;
};

static size_t sink_write(char *p, size_t sz, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t k = sz * n, room = ERR_MAX - s->len;

	if (room) {
		memcpy(s->text + s->len, p, k < room ? k : room);
		s->len += k < room ? k : room;
		s->text[s->len] = '\0';
	}
	if (s->len >= ERR_MAX)
		return 0;	/* enough of an answer nobody reads */
	return k;
}

/* libcurl's socket for the connection: only to the pinned, checked
 * address (a second check; CURLOPT_RESOLVE already pins the name). */
struct pin {
	const struct webhook_target *t;
	int allow;
};

static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct pin *pin = ud;

	if (purpose != CURLSOCKTYPE_IPCXN || (!pin->allow && webhook_addr_blocked(&addr->addr)))
		return CURL_SOCKET_BAD;
	return socket(addr->family, addr->socktype, addr->protocol);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct outcome {
	int ok;
	long code;	/* 0: no answer */
	int64_t ms;
	const char *error;	/* NULL when ok */
};

/* One delivery's attempt: everything its transfer needs lives here (in the
 * batch's arena) until it is recorded. */
struct xfer {
	int64_t id, endpoint, event_id, attempt, age_ms;
	const char *url, *type;
	struct webhook_target t;
	struct sink s;
	struct pin pin;
	struct curl_slist *h, *resolve;
	CURL *c;
	struct outcome o;
	int64_t t0;
};

/* Sets up x's POST, or fills x->o with why not (then x->c is NULL). The
 * guard runs again here, after resolving the name, and the connection
 * goes to that address only. */
static void post_prepare(struct arena *a, struct xfer *x, const char *secret, const char *body)
{
	char sig[SIG_HEADER_MAX];
	const char *why = NULL;

	memset(&x->o, 0, sizeof(x->o));
	x->t0 = mono_ms();
	if (webhook_target_resolve(a, x->url, allow_private, &x->t, &why)) {
		x->o.error = why;
		x->o.ms = mono_ms() - x->t0;
		return;
	}
	if (!(x->c = curl_easy_init())) {
		x->o.error = "out of memory";
		return;
	}
	x->pin.t = &x->t;
	x->pin.allow = allow_private;
	sig_sign(secret, (int64_t)time(NULL), body, strlen(body), sig, sizeof(sig));
	x->h = curl_slist_append(x->h, "Content-Type: application/json");
	x->h = curl_slist_append(x->h, "Expect:");
	x->h = curl_slist_append(x->h, "User-Agent: shop-webhooks/1");
	x->h = curl_slist_append(x->h, arena_printf(a, "Shop-Event-Id: %lld", (long long)x->event_id));
	x->h = curl_slist_append(x->h, arena_printf(a, "Shop-Event-Type: %s", x->type));
	x->h = curl_slist_append(x->h, arena_printf(a, "Shop-Signature: %s", sig));
	if (!x->t.literal) {
		x->resolve = curl_slist_append(x->resolve, arena_printf(a, strchr(x->t.addr, ':') ? "%s:%d:[%s]" :
									"%s:%d:%s", x->t.host, x->t.port, x->t.addr));
		curl_easy_setopt(x->c, CURLOPT_RESOLVE, x->resolve);
	}
	curl_easy_setopt(x->c, CURLOPT_URL, x->url);
	curl_easy_setopt(x->c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->c, CURLOPT_PROXY, "");	/* never through a proxy from the environment */
	curl_easy_setopt(x->c, CURLOPT_POST, 1L);
	curl_easy_setopt(x->c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(x->c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(x->c, CURLOPT_HTTPHEADER, x->h);
	curl_easy_setopt(x->c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(x->c, CURLOPT_WRITEDATA, &x->s);
	curl_easy_setopt(x->c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(x->c, CURLOPT_OPENSOCKETDATA, &x->pin);
	curl_easy_setopt(x->c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(x->c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 2000 ? timeout_ms : 2000L);
	curl_easy_setopt(x->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->c, CURLOPT_PRIVATE, x);
}

/* The outcome of x's finished transfer (rc: its result). */
static void post_finish(struct arena *a, struct xfer *x, CURLcode rc)
{
	curl_off_t us = 0;

	if (rc == CURLE_OK || rc == CURLE_WRITE_ERROR)
		curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &x->o.code);
	/* the transfer's own time: the batch's others ran beside it */
	if (curl_easy_getinfo(x->c, CURLINFO_TOTAL_TIME_T, &us) == CURLE_OK && us > 0)
		x->o.ms = (int64_t)(us / 1000);
	else
		x->o.ms = mono_ms() - x->t0;
	if (x->o.code >= 200 && x->o.code < 300)
		x->o.ok = 1;
	else if (x->o.code)
		x->o.error = arena_printf(a, "answered %ld%s%.200s", x->o.code, x->s.len ? ": " : "", x->s.text);
	else
		x->o.error = arena_printf(a, "%s", curl_easy_strerror(rc));
}

static void post_cleanup(struct xfer *x)
{
	curl_slist_free_all(x->h);
	curl_slist_free_all(x->resolve);
	if (x->c)
		curl_easy_cleanup(x->c);
	x->h = x->resolve = NULL;
	x->c = NULL;
}

/* Keeps only printable ASCII of an answer for the log. */
static const char *clean(struct arena *a, const char *s)
{
	const char *v = s ? s : "";
	char *t = arena_strndup(a, v, strnlen(v, ERR_MAX));	/* copies that many bytes */

	for (char *p = t; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p > '~')
			*p = ' ';
	return t;
}

struct record {
	struct arena *a;
	int64_t id, endpoint, attempt, delay_ms;
	int give_up;
	const char *url;
	struct outcome *o;
	int disabled;
};

static enum err record_tx(struct db *db, void *p)
{
	struct record *r = p;
	struct outcome *o = r->o;
	const char *err = o->error ? clean(r->a, o->error) : NULL;
	char code_type = o->code ? 'i' : 'n';
	struct db_res *ad = NULL;
	enum err e;

	r->disabled = 0;
	if (o->code)
		e = db_exec(db, r->a, &sql[Q_AT_INSERT], NULL, "iiiiis", r->id, r->attempt, (int64_t)o->ok,
			    (int64_t)o->code, o->ms, err);
	else
		e = db_exec(db, r->a, &sql[Q_AT_INSERT], NULL, "iiinis", r->id, r->attempt, (int64_t)o->ok,
			    o->ms, err);
	if (e)
		return e;
	if (o->ok) {
		if ((e = db_exec(db, r->a, &sql[Q_DL_DONE], NULL, "iii", (int64_t)o->code, o->ms, r->id)))
			return e;
		return db_exec(db, r->a, &sql[Q_EP_OK], NULL, "i", r->endpoint);
	}
	if ((e = db_exec(db, r->a, &sql[Q_EP_FAILED], NULL, "i", r->endpoint)))
		return e;
	if (!r->give_up) {
		if (code_type == 'i')
			return db_exec(db, r->a, &sql[Q_DL_RETRY], NULL, "iisii", (int64_t)o->code, o->ms, err,
				       r->delay_ms * 1000, r->id);
		return db_exec(db, r->a, &sql[Q_DL_RETRY], NULL, "nisii", o->ms, err, r->delay_ms * 1000, r->id);
	}
	if (code_type == 'i')
		e = db_exec(db, r->a, &sql[Q_DL_FAIL], NULL, "iisi", (int64_t)o->code, o->ms, err, r->id);
	else
		e = db_exec(db, r->a, &sql[Q_DL_FAIL], NULL, "nisi", o->ms, err, r->id);
	if (e)
		return e;
	if ((e = db_exec(db, r->a, &sql[Q_EP_DISABLE], NULL, "sii",
			 "every attempt to deliver an event failed for the whole retry window",
			 r->endpoint, r->id)))
		return e;
	if (!db_affected(db))
		return E_OK;
	r->disabled = 1;
	if ((e = db_exec(db, r->a, &sql[Q_ADMINS], &ad, "")))
		return e;
	for (size_t i = 0; ad && i < ad->nrows; i++) {
		const char *to = db_cell(ad, i, 0);
		const char *subject = arena_printf(r->a, "Webhook endpoint %lld disabled", (long long)r->endpoint);
		const char *text = arena_printf(r->a,
			"The webhook endpoint %lld was disabled: every attempt to deliver an event to it\n"
			"failed for the whole retry window, with no success in between.\n\n"
			"URL: %s\nLast error: %s\n\n"
			"Its pending deliveries wait. Once the receiver works again, enable the endpoint\n"
			"on the administration's webhooks page, %s/admin/webhooks/%lld ; the events\n"
			"that failed are listed there with each attempt.\n",
			(long long)r->endpoint, r->url, err ? err : "-", config.base_url, (long long)r->endpoint);

		if (mail_enqueue(db, r->a, to, subject, text))
			log_warn("webhook: no mail to an admin about endpoint %lld", (long long)r->endpoint);
	}
	return E_OK;
}

static int64_t delay_after(int64_t attempt)
{
	int64_t d = backoff_ms;

	for (int64_t i = 1; i < attempt && d < backoff_max_ms; i++)
		d *= 2;
	return d < backoff_max_ms ? d : backoff_max_ms;
}

/* Records x's attempt. 0 done, -1 unavailable. */
static int record(struct db *db, struct arena *a, struct xfer *x)
{
	struct record rec;
	enum err e;

	memset(&rec, 0, sizeof(rec));
	rec.a = a;
	rec.id = x->id;
	rec.endpoint = x->endpoint;
	rec.attempt = x->attempt;
	rec.url = x->url;
	rec.o = &x->o;
	rec.delay_ms = delay_after(x->attempt);
	rec.give_up = !x->o.ok && x->age_ms + x->o.ms + rec.delay_ms > window_ms;
	if ((e = db_tx(db, record_tx, &rec))) {
		/* The lease brings it back: the attempt is made again. */
		log_warn("webhook: delivery %lld: could not record attempt %lld: %s", (long long)x->id,
			 (long long)x->attempt, err_str(e));
		return e == E_UNAVAIL ? -1 : 0;
	}
	if (x->o.ok)
		log_info("webhook: delivery %lld (event %lld) to endpoint %lld: %ld in %lld ms", (long long)x->id,
			 (long long)x->event_id, (long long)x->endpoint, x->o.code, (long long)x->o.ms);
	else
		log_warn("webhook: delivery %lld (event %lld) to endpoint %lld, attempt %lld: %s%s", (long long)x->id,
			 (long long)x->event_id, (long long)x->endpoint, (long long)x->attempt, x->o.error,
			 rec.give_up ? "; given up" : "");
	if (rec.disabled)
		log_warn("webhook: endpoint %lld disabled after a day of failures", (long long)x->endpoint);
	return 0;
}

/* The claimed deliveries go out at once, side by side (curl's multi
 * interface), so a batch takes at most about one timeout however many
 * receivers are slow: the jobs process runs every job in turn. */
int webhook_deliver_batch(struct db *db, struct kv *kv, struct arena *a)
{
	struct claim c = { a, { 0 }, 0 };
	struct xfer *xs;
	struct db_res *r;
	CURLM *m = NULL;
	CURLMsg *msg;
	size_t nx = 0;
	int running = 0, left, rc = 0;
	enum err e;

	(void)kv;
	if ((e = db_tx(db, claim_tx, &c)))
		return e == E_UNAVAIL ? -1 : 0;
	if (!c.n)
		return 0;
	if (!(xs = arena_calloc(a, c.n, sizeof(*xs))) || !(m = curl_multi_init())) {
		log_err("webhook: out of memory");
		return 0;	/* the leases bring them back */
	}
	for (size_t i = 0; i < c.n; i++) {
		struct xfer *x = &xs[nx];

		r = NULL;
		if ((e = db_exec(db, a, &sql[Q_DL_LOAD], &r, "i", c.ids[i]))) {
			rc = e == E_UNAVAIL ? -1 : 0;
			break;
		}
		if (!r || !r->nrows)
			continue;	/* delivered or deleted meanwhile */
		if (!db_int(r, 0, 8)) {
			/* A disabled endpoint's deliveries wait; enabling makes them due. */
			db_exec(db, a, &sql[Q_DL_LATER], NULL, "i", c.ids[i]);
			continue;
		}
		x->id = c.ids[i];
		x->endpoint = db_int(r, 0, 0);
		x->event_id = db_int(r, 0, 1);
		x->type = db_cell(r, 0, 2);
		x->attempt = db_int(r, 0, 4) + 1;
		x->age_ms = db_int(r, 0, 5);
		x->url = db_cell(r, 0, 6);
		post_prepare(a, x, db_cell(r, 0, 7), db_cell(r, 0, 3));
		if (x->c)
			curl_multi_add_handle(m, x->c);
		nx++;
	}
	curl_multi_perform(m, &running);
	while (running) {
		if (curl_multi_poll(m, NULL, 0, 500, NULL) != CURLM_OK)
			break;
		curl_multi_perform(m, &running);
	}
	while ((msg = curl_multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE) {
			struct xfer *x = NULL;

			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			if (x)
				post_finish(a, x, msg->data.result);
		}
	for (size_t i = 0; i < nx; i++) {
		if (xs[i].c)
			curl_multi_remove_handle(m, xs[i].c);
		if (xs[i].c && !xs[i].o.ok && !xs[i].o.error)
			xs[i].o.error = "the transfer did not finish";
		post_cleanup(&xs[i]);
		if (record(db, a, &xs[i]) < 0)
			rc = -1;
	}
	curl_multi_cleanup(m);
	if (rc < 0)
		return -1;
	return c.n == CLAIM_BATCH ? (int)c.n : 0;
}

int webhook_prune_batch(struct db *db, struct kv *kv, struct arena *a)
{
	enum err e;

	(void)kv;
	if ((e = db_exec(db, a, &sql[Q_PRUNE], NULL, "i", keep_days)))
		return e == E_UNAVAIL ? -1 : 0;
	return db_affected(db) == 1000 ? 1 : 0;
}
