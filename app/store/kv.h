/* Redis access through hiredis: one connection per worker, reconnect on the
 * next call after an error. Redis is fast and losable: callers treat E_UNAVAIL
 * as "no session / no cache", never as a reason to lose durable data. */
#ifndef STORE_KV_H
#define STORE_KV_H

#include <hiredis/hiredis.h>
#include "../core/err.h"

struct arena;
struct kv;

enum err kv_open(struct kv **out);	/* handle returned even when E_UNAVAIL */
void kv_close(struct kv *kv);
enum err kv_ping(struct kv *kv);

/* Runs a command (hiredis format). The reply is registered with the arena and
 * freed at its reset; *reply may be NULL if not wanted. A reply of type
 * REDIS_REPLY_ERROR gives E_KV. */
enum err kv_cmd(struct kv *kv, struct arena *a, redisReply **reply,
		const char *fmt, ...);
/* The same with an argv vector. */
enum err kv_cmdv(struct kv *kv, struct arena *a, redisReply **reply,
		 int argc, const char **argv, const size_t *argvlen);

#endif
