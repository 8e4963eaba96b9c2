/* The jobs process: the periodic jobs every module's descriptor lists
 * (struct module_job, app/module.h), run in the order of the modules array.
 *
 * Each job runs one bounded batch per call and answers how much it did: more
 * than 0 means "there may be more, call me again at once", 0 means idle (wait
 * its interval), below 0 means MariaDB or Redis is unavailable (wait longer,
 * doubling up to JOBS_BACKOFF_MAX_MS; the connections reconnect by themselves
 * on the next call). Jobs must be safe to run in several processes at once
 * (one per host): they claim their rows with SELECT ... FOR UPDATE SKIP LOCKED
 * or an equivalent, never by "read, then write".
 *
 * SIGTERM and SIGINT are blocked while a batch runs and delivered only while
 * the loop sleeps (ppoll), so a stop request always lets the current batch
 * finish and never waits longer than that batch. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/arena.h"
#include "core/config.h"
#include "core/fault.h"
#include "core/log.h"
#include "store/db.h"
#include "store/kv.h"
#include "events/stream.h"
#include "jobs.h"
#include "module.h"

#define JOBS_BACKOFF_MAX_MS 5000	/* longest wait between tries during an outage */

static volatile sig_atomic_t jobs_stop;

static void on_stop(int sig)
{
	(void)sig;
	jobs_stop = 1;
}

static void set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A test hook (test stacks only, SHOP_TEST_HOOKS=1): while the Redis key
 * test:jobs:pause holds "all" or a comma-separated list naming this job,
 * the job does not run, so a test can run its batch in-process (with a
 * fault armed) without this process racing it. */
static int paused(struct kv *kv, struct arena *a, const char *name)
{
	redisReply *r = NULL;
	size_t n = strlen(name);
	const char *p;

	if (!fault_enabled() || kv_cmd(kv, a, &r, "GET test:jobs:pause") || !r || r->type != REDIS_REPLY_STRING)
		return 0;
	if (!strcmp(r->str, "all"))
		return 1;
	for (p = r->str; (p = strstr(p, name)); p += n)
		if ((p == r->str || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

/* A job of the loop: a module's job, or one of its event consumers (one
 * batch is event_consume_batch), named after the consumer. */
struct job {
	const char *name;
	int (*run)(struct db *db, struct kv *kv, struct arena *a);
	const struct event_consumer *consumer;
	unsigned interval_ms;
};

/* Every module's jobs, in the order of the modules array, then every event
 * consumer (malloc'd once). */
static struct job *jobs_list(size_t *n)
{
	const struct event_consumer *const *cs;
	struct job *v;
	size_t m, i, k = 0, nc;

	cs = event_consumers(&nc);
	for (m = 0; modules[m]; m++)
		k += modules[m]->njobs;
	if (!(v = calloc(k + nc ? k + nc : 1, sizeof(*v))))
		return NULL;
	*n = 0;
	for (m = 0; modules[m]; m++)
		for (i = 0; i < modules[m]->njobs; i++, (*n)++) {
			v[*n].name = modules[m]->jobs[i].name;
			v[*n].run = modules[m]->jobs[i].run;
			v[*n].interval_ms = modules[m]->jobs[i].interval_ms;
		}
	for (i = 0; i < nc; i++, (*n)++) {
		v[*n].name = cs[i]->name;
		v[*n].consumer = cs[i];
		v[*n].interval_ms = cs[i]->interval_ms ? cs[i]->interval_ms : 200;
	}
	return v;
}

void jobs_main(void)
{
	struct jstate { int64_t next; unsigned failures; } *st = NULL;
	struct job *jobs = NULL;
	struct db *db = NULL;
	struct kv *kv = NULL;
	struct arena *a = arena_new(64 * 1024);
	sigset_t block, sleeping;
	size_t i, njobs = 0;

	/* Every module's statements (nothing to do in a jobs process forked
	 * by shopd, which has them already). */
	modules_init();

	set_handler(SIGTERM, on_stop);
	set_handler(SIGINT, on_stop);
	set_handler(SIGHUP, SIG_IGN);	/* the master restarts us with SIGTERM */
	set_handler(SIGPIPE, SIG_IGN);	/* a dropped SMTP connection is an error, not a death */
	set_handler(SIGCHLD, SIG_DFL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_SETMASK, &block, NULL);
	sigemptyset(&sleeping);

	if (!a || !(jobs = jobs_list(&njobs)) || !(st = calloc(njobs ? njobs : 1, sizeof(*st)))) {
		log_err("jobs: out of memory");
		free(jobs);
		arena_destroy(a);
		return;
	}
	/* An unreachable server is not fatal: the handles reconnect on use. */
	if (db_open(&db) == E_NOMEM || kv_open(&kv) == E_NOMEM || !db || !kv) {
		log_err("jobs: out of memory");
		goto out;
	}
	log_info("jobs: started (mail by %s)", getenv("SHOP_SMTP_URL") && *getenv("SHOP_SMTP_URL") ?
		 "SMTP" : "maildir");
	for (i = 0; i < njobs; i++) {
		st[i].next = 0;
		st[i].failures = 0;
	}

	while (!jobs_stop) {
		int64_t now = now_ms(), wake = now + 1000;
		struct timespec ts;

		for (i = 0; i < njobs && !jobs_stop; i++) {
			int64_t delay;
			int r;

			if (st[i].next > now)
				continue;
			if (paused(kv, a, jobs[i].name)) {
				arena_reset(a);
				st[i].next = now + 200;
				continue;
			}
			r = jobs[i].consumer ? event_consume_batch(db, kv, a, jobs[i].consumer)
					      : jobs[i].run(db, kv, a);
			if (db_settle(db))
				log_err("jobs: %s: left a transaction open (rolled back)", jobs[i].name);
			arena_reset(a);
			if (r < 0) {
				if (st[i].failures++ == 0)
					log_warn("jobs: %s: database or Redis unavailable; retrying", jobs[i].name);
				delay = (int64_t)jobs[i].interval_ms << (st[i].failures < 6 ? st[i].failures : 6);
				if (delay > JOBS_BACKOFF_MAX_MS)
					delay = JOBS_BACKOFF_MAX_MS;
			} else {
				if (st[i].failures)
					log_info("jobs: %s: working again after %u failed tries",
						 jobs[i].name, st[i].failures);
				st[i].failures = 0;
				delay = r > 0 ? 0 : jobs[i].interval_ms;
			}
			now = now_ms();
			st[i].next = now + delay;
		}
		for (i = 0; i < njobs; i++)
			if (st[i].next < wake)
				wake = st[i].next;
		if (wake <= now) {
			/* Busy: no sleep, but a pending stop must still get in. */
			sigprocmask(SIG_SETMASK, &sleeping, NULL);
			sigprocmask(SIG_SETMASK, &block, NULL);
			continue;
		}
		ts.tv_sec = (time_t)((wake - now) / 1000);
		ts.tv_nsec = (long)((wake - now) % 1000) * 1000000;
		/* Stop signals are let in only here; one ends the sleep at once. */
		if (ppoll(NULL, 0, &ts, &sleeping) < 0 && errno != EINTR)
			log_warn("jobs: ppoll: %s", strerror(errno));
	}
	log_info("jobs: stopped");
out:
	kv_close(kv);
	db_close(db);
	arena_destroy(a);
	free(st);
	free(jobs);
}
