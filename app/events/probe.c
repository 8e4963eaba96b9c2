/* The stream's probe: a consumer that exists only on test stacks
 * (SHOP_TEST_HOOKS=1), so that t/http/test_events can watch delivery, order,
 * parking, replay and restarts without a real consumer's side effects. It
 * reads "TestProbe" events, which only tests write, and records each
 * delivery in Redis: HINCRBY test:probe:count <event id>, RPUSH
 * test:probe:order <event id>. An event whose payload has "fail": true
 * fails (a failure that counts toward parking) until its id is in the set
 * test:probe:mended; while test:probe:down exists every delivery answers
 * "unavailable"; a payload's "sleepMs" makes it slow. */
#include <stdlib.h>
#include <unistd.h>
#include "../core/arena.h"
#include "../store/kv.h"
#include "stream.h"

static enum err probe_event(struct db *db, struct kv *kv, struct arena *a, const struct event *ev)
{
	redisReply *r = NULL;
	json_t *sleep = json_object_get(ev->json, "sleepMs");

	(void)db;
	if (!kv || kv_cmd(kv, a, &r, "EXISTS test:probe:down") || !r)
		return E_UNAVAIL;
	if (r->type == REDIS_REPLY_INTEGER && r->integer)
		return E_UNAVAIL;
	if (json_is_true(json_object_get(ev->json, "fail"))) {
		if (kv_cmd(kv, a, &r, "SISMEMBER test:probe:mended %lld", (long long)ev->id) || !r)
			return E_UNAVAIL;
		if (r->type != REDIS_REPLY_INTEGER || !r->integer)
			return E_INVAL;
	}
	if (json_is_integer(sleep) && json_integer_value(sleep) > 0 && json_integer_value(sleep) <= 10000)
		usleep((useconds_t)json_integer_value(sleep) * 1000);
	if (kv_cmd(kv, a, &r, "HINCRBY test:probe:count %lld 1", (long long)ev->id) ||
	    kv_cmd(kv, a, &r, "RPUSH test:probe:order %lld", (long long)ev->id))
		return E_UNAVAIL;
	return E_OK;
}

const struct event_consumer event_probe = {
	.name = "probe", .topics = "TestProbe", .handle = probe_event, .batch = 20, .interval_ms = 50, .max_attempts = 2,
	.from_head = 1,
};
