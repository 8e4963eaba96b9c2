/* Redis through hiredis (0.14, synchronous API). A failed connection or
 * command drops the context; the next call reconnects, so a Redis restart
 * costs the requests made during the outage and nothing after it. A
 * connection Redis closed while the worker was idle (a restart) fails the
 * next write with EPIPE: the command was never sent, so it is sent again
 * once on a new connection (a command whose reply was lost is not: it may
 * have run).
 *
 * With SHOP_REDIS_SENTINELS the primary is not configured but asked for:
 * each (re)connection asks the sentinels in turn, the one that answered
 * last first (its connection kept), for SHOP_REDIS_MASTER's address
 * (SENTINEL get-master-addr-by-name: hiredis 0.14 has no helper), connects
 * over TCP, checks with ROLE that it is the primary and names itself
 * (CLIENT SETNAME shop-PID). A failover reaches a worker as a closed
 * connection (the primary died, or Sentinel demoted it and killed its
 * clients), as a READONLY or LOADING error (a demoted primary still
 * connected), or,
 * when the old primary runs on (SENTINEL FAILOVER, a healed partition:
 * the sentinels demote it only seconds later), through the once-a-second
 * question a connection in use asks the sentinels: is the primary still
 * this one? Each drops the connection and the command goes to the primary
 * the sentinels name. Every step has a short timeout and a command is
 * sent again at most once, so a request that meets a dead primary fails
 * with E_UNAVAIL (503, or "no session") within about a second; it never
 * waits for the failover. docs/scaling-sentinel.md has the numbers. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/fault.h"
#include "../core/log.h"
#include "kv.h"

struct kv {
	redisContext *c;
	redisContext *s;	/* the sentinel asked last, kept open */
	int sentinel;		/* its index in SHOP_REDIS_SENTINELS */
	char host[256];		/* the primary c is connected to (Sentinel) */
	int port;
	long long recheck_ms;	/* when to ask the sentinels again (monotonic) */
};

/* Waits for the sentinels: each is on the local network and answers at
 * once, or is down; a dead one must not hold a worker for long. */
static const struct timeval SENTINEL_TV = { 0, 250000 };

/* How often a connection in use asks the sentinels whether the primary
 * is still the one it is connected to. A failover asked for (SENTINEL
 * FAILOVER) or one after a partition leaves the old primary running and
 * writable until the sentinels demote it (seconds later); what the shop
 * writes there meanwhile is lost, so a worker must move on its own. */
#define RECHECK_MS 1000

static int sentinel_mode(void)
{
	return config.redis_sentinels != NULL;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The i-th "host:port" of SHOP_REDIS_SENTINELS (checked by config_load):
 * 0, or -1 past the end. */
static int sentinel_at(int i, char *host, size_t hostlen, int *port)
{
	const char *p = config.redis_sentinels, *end, *colon;
	size_t n;

	while (i-- > 0) {
		if (!(p = strchr(p, ',')))
			return -1;
		p++;
	}
	end = strchr(p, ',');
	n = end ? (size_t)(end - p) : strlen(p);
	colon = NULL;
	for (size_t k = 0; k < n; k++)
		if (p[k] == ':')
			colon = p + k;
	if (!colon || (size_t)(colon - p) >= hostlen)
		return -1;
	if (*p == '[' && colon[-1] == ']' && colon - p > 2) {	/* [::1]:26379 */
		memcpy(host, p + 1, colon - p - 2);
		host[colon - p - 2] = '\0';
	} else {
		memcpy(host, p, colon - p);
		host[colon - p] = '\0';
	}
	*port = atoi(colon + 1);
	return 0;
}

static int sentinel_count(void)
{
	static int n = -1;
	char h[256];
	int p;

	if (n < 0)
		for (n = 0; sentinel_at(n, h, sizeof(h), &p) == 0;)
			n++;
	return n;
}

/* While a primary is down every request of every worker meets it: one
 * line a second per process says so. */
static int quiet_enough(void)
{
	static time_t last;
	time_t now = time(NULL);

	if (now == last)
		return 0;
	last = now;
	return 1;
}

static void drop_sentinel(struct kv *kv)
{
	if (kv->s)
		redisFree(kv->s);
	kv->s = NULL;
}

/* Asks the sentinels in turn, the one that answered last first (its
 * connection kept), for the primary's address: at most one try each. */
static enum err ask_sentinels(struct kv *kv, char *host, size_t hostlen, int *port)
{
	int n = sentinel_count();
	char sh[256];
	int sp;

	for (int i = 0; i < n; i++) {
		redisReply *r;

		if (sentinel_at(kv->sentinel % n, sh, sizeof(sh), &sp))
			return E_INTERNAL;
		if (kv->s && kv->s->connection_type == REDIS_CONN_TCP) {
			struct pollfd pf = { .fd = kv->s->fd, .events = POLLIN | POLLRDHUP };

			if (poll(&pf, 1, 0) > 0)	/* closed while idle (a restart) */
				drop_sentinel(kv);
		}
		if (!kv->s) {
			kv->s = redisConnectWithTimeout(sh, sp, SENTINEL_TV);
			if (!kv->s)
				return E_NOMEM;
			if (kv->s->err) {
				if (quiet_enough())
					log_warn("kv: sentinel %s:%d: %s", sh, sp, kv->s->errstr);
				drop_sentinel(kv);
				kv->sentinel = (kv->sentinel + 1) % n;
				continue;
			}
			redisSetTimeout(kv->s, SENTINEL_TV);
		}
		r = redisCommand(kv->s, "SENTINEL get-master-addr-by-name %s", config.redis_master);
		if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		    r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING &&
		    r->element[0]->len < hostlen) {
			memcpy(host, r->element[0]->str, r->element[0]->len + 1);
			*port = atoi(r->element[1]->str);
			freeReplyObject(r);
			return E_OK;
		}
		/* Down, or it does not know the name: the next one may. */
		if (quiet_enough())
			log_warn("kv: sentinel %s:%d gave no primary for '%s'%s%s", sh, sp, config.redis_master,
				 r && r->type == REDIS_REPLY_ERROR ? ": " : "",
				 r && r->type == REDIS_REPLY_ERROR ? r->str : "");
		if (r)
			freeReplyObject(r);
		drop_sentinel(kv);
		kv->sentinel = (kv->sentinel + 1) % n;
	}
	return E_UNAVAIL;
}

/* The context's server is the primary (ROLE answers "master"): a sentinel
 * may still name a primary that was demoted meanwhile. */
static int is_primary(redisContext *c)
{
	redisReply *r = redisCommand(c, "ROLE");
	int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
		 r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "master");

	if (r)
		freeReplyObject(r);
	return ok;
}

static void drop(struct kv *kv)
{
	if (kv->c)
		redisFree(kv->c);
	kv->c = NULL;
}

static enum err connect_kv(struct kv *kv)
{
	struct timeval tv = { 1, 0 };

	char host[256] = "";
	int port = 0;
	enum err e;

	if (kv->c)
		return E_OK;
	if (sentinel_mode()) {
		if ((e = ask_sentinels(kv, host, sizeof(host), &port)))
			return e;
		kv->c = redisConnectWithTimeout(host, port, tv);
	} else if (config.redis_host) {
		kv->c = redisConnectWithTimeout(config.redis_host, config.redis_port, tv);
	} else {
		kv->c = redisConnectUnixWithTimeout(config.redis_socket, tv);
	}
	if (!kv->c)
		return E_NOMEM;
	if (kv->c->err) {
		if (sentinel_mode() && quiet_enough())
			log_warn("kv: primary %s:%d: %s (while Sentinel fails over: at most one such line a second)",
				 host, port, kv->c->errstr);
		drop(kv);
		return E_UNAVAIL;
	}
	/* Commands must not hang a worker when Redis stalls. */
	redisSetTimeout(kv->c, tv);
	if (sentinel_mode() && !is_primary(kv->c)) {
		if (quiet_enough())
			log_warn("kv: %s:%d, named by a sentinel, is not the primary (yet)", host, port);
		drop(kv);
		return E_UNAVAIL;
	}
	if (sentinel_mode()) {
		/* CLIENT LIST on a Redis shows the shop's connections. */
		redisReply *r = redisCommand(kv->c, "CLIENT SETNAME shop-%d", (int)getpid());

		if (r)
			freeReplyObject(r);
		if (kv->port && (port != kv->port || strcmp(host, kv->host)))
			log_info("kv: the primary is now %s:%d (was %s:%d)", host, port, kv->host, kv->port);
		snprintf(kv->host, sizeof(kv->host), "%s", host);
		kv->port = port;
		kv->recheck_ms = now_ms() + RECHECK_MS;
	}
	return E_OK;
}

/* Redis closed the connection while the worker was idle (a restart, a
 * killed primary, Sentinel's CLIENT KILL after a failover): over TCP the
 * next write would still succeed and its reply be lost, so the command
 * could not be sent again. Nothing is ever due on an idle connection, so
 * anything to read (the end of the stream, a reset) means it is gone. On
 * a unix socket the write itself fails (EPIPE, not_sent below), so the
 * socket needs no look. */
static int peer_closed(const struct kv *kv)
{
	struct pollfd p = { .fd = kv->c->fd, .events = POLLIN | POLLRDHUP };

	if (kv->c->connection_type != REDIS_CONN_TCP)
		return 0;
	return poll(&p, 1, 0) > 0;
}

/* With Sentinel, once a second: is the primary still this one? A sentinel
 * that does not answer changes nothing (the connection is kept). */
static void recheck(struct kv *kv)
{
	char host[256];
	int port;

	if (!sentinel_mode() || !kv->c || now_ms() < kv->recheck_ms)
		return;
	kv->recheck_ms = now_ms() + RECHECK_MS;
	if (ask_sentinels(kv, host, sizeof(host), &port) == E_OK &&
	    (port != kv->port || strcmp(host, kv->host))) {
		log_info("kv: the sentinels name %s:%d as the primary; leaving %s:%d", host, port, kv->host,
			 kv->port);
		drop(kv);
	}
}

/* A connection, checked as above: E_OK, or the error to answer. */
static enum err ready(struct kv *kv)
{
	enum err e;

	recheck(kv);
	if ((e = connect_kv(kv)))
		return e;
	if (!peer_closed(kv))
		return E_OK;
	drop(kv);
	return connect_kv(kv);
}

enum err kv_open(struct kv **out)
{
	struct kv *kv = calloc(1, sizeof(*kv));

	*out = kv;
	if (!kv)
		return E_NOMEM;
	return connect_kv(kv);
}

void kv_close(struct kv *kv)
{
	if (!kv)
		return;
	drop(kv);
	drop_sentinel(kv);
	free(kv);
}

static void free_reply(void *p)
{
	freeReplyObject(p);
}

static enum err finish(struct kv *kv, struct arena *a, redisReply *r, redisReply **out)
{
	enum err e = E_OK;

	if (out)
		*out = NULL;
	if (!r) {
		log_warn("kv: %s", kv->c && kv->c->errstr[0] ? kv->c->errstr : "no reply");
		drop(kv);
		return E_UNAVAIL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		log_warn("kv: %s", r->str);
		e = E_KV;
	}
	if (out && e == E_OK) {
		arena_on_reset(a, free_reply, r);
		*out = r;
	} else {
		freeReplyObject(r);
	}
	return e;
}

/* An injected fault (core/fault.h) before the command: E_OK to go on, or
 * the error to answer. *after is set when the connection is to drop once
 * the command is done. */
static enum err injected(struct kv *kv, redisReply **reply, int *after)
{
	enum fault_kind fk = fault_at(FAULT_KV);

	*after = fk == FAULT_LOST_AFTER;
	if (fk == FAULT_NONE || fk == FAULT_LOST_AFTER)
		return E_OK;
	if (reply)
		*reply = NULL;
	if (fk == FAULT_ERROR)
		return E_KV;
	drop(kv);
	return E_UNAVAIL;
}

static enum err lost_after(struct kv *kv, struct arena *a, redisReply *r, redisReply **reply)
{
	enum err e = finish(kv, a, r, NULL);

	(void)e;
	drop(kv);
	if (reply)
		*reply = NULL;
	return E_UNAVAIL;
}

/* The command could not be written: the peer had closed the connection. */
static int not_sent(const struct kv *kv)
{
	return kv->c && kv->c->err == REDIS_ERR_IO && errno == EPIPE;
}

/* A command refused because the server is no longer (or may no longer be)
 * the primary: READONLY (a write to a replica), LOADING (a demoted primary
 * loading its new primary's data: it answers nothing meanwhile),
 * MASTERDOWN (a replica that does not serve stale data) and NOREPLICAS (a
 * primary with min-replicas-to-write that lost its replicas: after a
 * failover, the old primary; see docs/scaling-sentinel.md). */
static int not_primary(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_ERROR && r->str &&
	       (!strncmp(r->str, "READONLY", 8) || !strncmp(r->str, "LOADING", 7) ||
		!strncmp(r->str, "MASTERDOWN", 10) || !strncmp(r->str, "NOREPLICAS", 10));
}

static redisReply *send_once(struct kv *kv, const char *cmd, size_t len)
{
	void *r = NULL;

	if (redisAppendFormattedCommand(kv->c, cmd, len) != REDIS_OK ||
	    redisGetReply(kv->c, &r) != REDIS_OK)
		return NULL;
	return r;
}

/* Sends a formatted command; sends it again, once, on a new connection
 * when it was not sent (EPIPE) or, with Sentinel, a server that is no
 * longer the primary refused it. */
static enum err run(struct kv *kv, struct arena *a, redisReply **reply, const char *cmd, size_t len)
{
	redisReply *r;
	int after;
	enum err e;

	if ((e = injected(kv, reply, &after)))
		return e;
	if ((e = ready(kv))) {
		if (reply)
			*reply = NULL;
		return e;
	}
	r = send_once(kv, cmd, len);
	if ((!r && not_sent(kv)) || (sentinel_mode() && not_primary(r))) {
		if (r) {
			log_warn("kv: %s; asking the sentinels for the primary again", r->str);
			freeReplyObject(r);
			r = NULL;
		}
		drop(kv);
		if (connect_kv(kv) == E_OK)
			r = send_once(kv, cmd, len);
	}
	if (after)
		return lost_after(kv, a, r, reply);
	return finish(kv, a, r, reply);
}

enum err kv_cmd(struct kv *kv, struct arena *a, redisReply **reply, const char *fmt, ...)
{
	va_list ap;
	char *cmd = NULL;
	int len;
	enum err e;

	va_start(ap, fmt);
	len = redisvFormatCommand(&cmd, fmt, ap);
	va_end(ap);
	if (len < 0) {
		if (reply)
			*reply = NULL;
		return len == -2 ? E_NOMEM : E_INVAL;
	}
	e = run(kv, a, reply, cmd, (size_t)len);
	redisFreeCommand(cmd);
	return e;
}

enum err kv_cmdv(struct kv *kv, struct arena *a, redisReply **reply,
		 int argc, const char **argv, const size_t *argvlen)
{
	char *cmd = NULL;
	int len;
	enum err e;

	len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
	if (len < 0) {
		if (reply)
			*reply = NULL;
		return E_NOMEM;
	}
	e = run(kv, a, reply, cmd, (size_t)len);
	redisFreeCommand(cmd);
	return e;
}

enum err kv_ping(struct kv *kv)
{
	redisReply *r;
	enum err e;

	if ((e = ready(kv)))
		return e;
	r = redisCommand(kv->c, "PING");
	if (!r) {
		drop(kv);
		return E_UNAVAIL;
	}
	freeReplyObject(r);
	return E_OK;
}
