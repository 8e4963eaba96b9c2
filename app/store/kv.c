/* Redis through hiredis (0.14, synchronous API). A failed connection or
 * command drops the context; the next call reconnects, so a Redis restart
 * costs the requests made during the outage and nothing after it. A
 * connection Redis closed while the worker was idle (a restart) fails the
 * next write with EPIPE: the command was never sent, so it is sent again
 * once on a new connection (a command whose reply was lost is not: it may
 * have run). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/fault.h"
#include "../core/log.h"
#include "kv.h"

struct kv {
	redisContext *c;
};

static void drop(struct kv *kv)
{
	if (kv->c)
		redisFree(kv->c);
	kv->c = NULL;
}

static enum err connect_kv(struct kv *kv)
{
	struct timeval tv = { 1, 0 };

	if (kv->c)
		return E_OK;
	if (config.redis_host)
		kv->c = redisConnectWithTimeout(config.redis_host, config.redis_port, tv);
	else
		kv->c = redisConnectUnixWithTimeout(config.redis_socket, tv);
	if (!kv->c)
		return E_NOMEM;
	if (kv->c->err) {
		drop(kv);
		return E_UNAVAIL;
	}
	/* Commands must not hang a worker when Redis stalls. */
	redisSetTimeout(kv->c, tv);
	return E_OK;
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

enum err kv_cmd(struct kv *kv, struct arena *a, redisReply **reply, const char *fmt, ...)
{
	va_list ap;
	redisReply *r;
	int after;
	enum err e;

	if ((e = injected(kv, reply, &after)))
		return e;
	if ((e = connect_kv(kv))) {
		if (reply)
			*reply = NULL;
		return e;
	}
	va_start(ap, fmt);
	r = redisvCommand(kv->c, fmt, ap);
	va_end(ap);
	if (!r && not_sent(kv)) {
		drop(kv);
		if (connect_kv(kv) == E_OK) {
			va_start(ap, fmt);
			r = redisvCommand(kv->c, fmt, ap);
			va_end(ap);
		}
	}
	if (after)
		return lost_after(kv, a, r, reply);
	return finish(kv, a, r, reply);
}

enum err kv_cmdv(struct kv *kv, struct arena *a, redisReply **reply,
		 int argc, const char **argv, const size_t *argvlen)
{
	redisReply *r;
	int after;
	enum err e;

	if ((e = injected(kv, reply, &after)))
		return e;
	if ((e = connect_kv(kv))) {
		if (reply)
			*reply = NULL;
		return e;
	}
	r = redisCommandArgv(kv->c, argc, argv, argvlen);
	if (!r && not_sent(kv)) {
		drop(kv);
		if (connect_kv(kv) == E_OK)
			r = redisCommandArgv(kv->c, argc, argv, argvlen);
	}
	if (after)
		return lost_after(kv, a, r, reply);
	return finish(kv, a, r, reply);
}

enum err kv_ping(struct kv *kv)
{
	redisReply *r;
	enum err e;

	if ((e = connect_kv(kv)))
		return e;
	r = redisCommand(kv->c, "PING");
	if (!r) {
		drop(kv);
		return E_UNAVAIL;
	}
	freeReplyObject(r);
	return E_OK;
}
