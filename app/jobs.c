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
 * finish and never waits longer than that batch.
 *
 * Several hosts (issue 20, docs/scaling.md): a job runs only in the jobs
 * process that holds its lease, a row of job_leases (migration 160). Any
 * number of jobs processes may run, on any hosts: each takes the leases
 * that are free, released or lapsed, renews those it holds every third of
 * SHOP_JOBS_LEASE_MS (default 15 s), and runs a job's batch only while at
 * least a third of its lease is left, so a batch (bounded, seconds at most)
 * ends before the lease can lapse. A killed jobs host stops renewing; its
 * leases lapse and another host takes them. On a stop the leases are
 * released, so a restart or a reload does not wait for them to lapse; a
 * jobs process killed and respawned on the same host (same SHOP_HOST_ID,
 * same boot) takes its dead predecessor's leases at once. Each take opens
 * a term (job_lease_terms: who, when, how many batches), the record from
 * which a test proves that no job ran on two hosts at once. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
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


/* ---- leases (issue 20) ----------------------------------------------------- */

static struct db_sql lease_sql[] = {
	{ "INSERT IGNORE INTO job_leases (name) VALUES (?)", 0 },
	{ "SELECT name, holder, host, expires_at < NOW(3) FROM job_leases", 0 },
	{ "SELECT holder, epoch, expires_at < NOW(3) FROM job_leases WHERE name = ? FOR UPDATE", 0 },
	{ "UPDATE job_leases SET holder = ?, host = ?, epoch = epoch + 1, renewed_at = NOW(3),"
	  " expires_at = NOW(3) + INTERVAL ? MICROSECOND WHERE name = ?", 0 },
	{ "INSERT INTO job_lease_terms (name, epoch, host, holder, taken_how, acquired_at, renewed_at, expires_at)"
	  " SELECT name, epoch, host, holder, ?, renewed_at, renewed_at, expires_at FROM job_leases WHERE name = ?", 0 },
	{ "UPDATE job_leases SET renewed_at = NOW(3), expires_at = NOW(3) + INTERVAL ? MICROSECOND"
	  " WHERE name = ? AND holder = ? AND epoch = ?", 0 },
	/* The term's times are copied from the lease row, never computed
	 * again: NOW() moves between statements. */
	{ "UPDATE job_lease_terms t JOIN job_leases l ON l.name = t.name AND l.epoch = t.epoch"
	  " SET t.renewed_at = l.renewed_at, t.expires_at = l.expires_at, t.batches = ?, t.busy_batches = ?"
	  " WHERE t.name = ? AND t.epoch = ?", 0 },
	{ "UPDATE job_leases SET holder = '', expires_at = NOW(3) WHERE name = ? AND holder = ? AND epoch = ?", 0 },
	{ "UPDATE job_lease_terms t JOIN job_leases l ON l.name = t.name AND l.epoch = t.epoch"
	  " SET t.released_at = l.expires_at, t.expires_at = l.expires_at, t.batches = ?, t.busy_batches = ?"
	  " WHERE t.name = ? AND t.epoch = ?", 0 },
	{ "DELETE FROM job_lease_terms WHERE name = ? AND epoch + 1000 < ?", 0 },
	{ "INSERT INTO job_probe_runs (host, holder, epoch, started_at) VALUES (?, ?, ?, NOW(6))", 0 },
	{ "UPDATE job_probe_runs SET ended_at = NOW(6) WHERE id = ?", 0 },
};
enum { L_ENSURE, L_LIST, L_LOCK, L_TAKE, L_TERM, L_RENEW, L_TERM_RENEW, L_RELEASE,
       L_TERM_RELEASE, L_PRUNE, L_PROBE_START, L_PROBE_END };

/* This process as a holder: "HOST/BOOT/PID.START", where BOOT is the start
 * of the kernel's boot id and START the process's start time in clock
 * ticks, so a pid used again is not taken for its earlier owner. */
static char holder[192];
static char boot_id[16];
static int64_t lease_ms, renew_ms, scan_ms;

/* The process's start time (field 22 of /proc/PID/stat), 0 when it does
 * not exist. */
static unsigned long long proc_start(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;
	int field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	/* After the command's closing parenthesis: field 3 onwards. */
	if (!(p = strrchr(buf, ')')))
		return 0;
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	sscanf(p, "%llu", &start);
	return start;
}

static void holder_init(void)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	if (!f || !fgets(boot_id, 9, f))
		strcpy(boot_id, "noboot");
	if (f)
		fclose(f);
	boot_id[strcspn(boot_id, "\n")] = '\0';
	snprintf(holder, sizeof(holder), "%s/%s/%ld.%llu", config.host_id, boot_id,
		 (long)getpid(), proc_start((long)getpid()));
	lease_ms = config.jobs_lease_ms;
	renew_ms = lease_ms / 3;
	scan_ms = lease_ms / 4 < 1000 ? lease_ms / 4 : 1000;
}

/* A holder that was a process of this host and boot that is gone (killed,
 * crashed): its leases need not lapse first. */
static int holder_dead(const char *h)
{
	char host[128], boot[16];
	long pid;
	unsigned long long start;

	if (!h || !*h || !strcmp(h, holder))
		return 0;
	if (sscanf(h, "%127[^/]/%15[^/]/%ld.%llu", host, boot, &pid, &start) != 4)
		return 0;
	if (strcmp(host, config.host_id) || strcmp(boot, boot_id))
		return 0;
	return proc_start(pid) != start;
}

struct lease {
	char name[72];		/* "event:" consumer names apart from job names */
	int unleased;		/* runs without a lease (a per-host consumer), or never (off) */
	int off;		/* SHOP_JOBS=0: a shopd host's jobs process runs per-host work only */
	int held;
	uint64_t epoch;
	int64_t valid_until;	/* local clock: the lease runs out no earlier */
	uint64_t batches, busy;
};

static uint64_t probe_epoch;	/* the lease-probe job's term, for its rows */

/* Takes one lease when it is free, released, lapsed or its holder a dead
 * process of this host; 1 when taken. Under the row's lock, so two hosts
 * that try at once take it one after the other: the second finds it held. */
static int lease_take(struct db *db, struct arena *a, struct lease *l)
{
	struct db_res *r = NULL;
	const char *how;
	int64_t t0 = now_ms();
	uint64_t epoch;

	if (db_exec(db, a, &lease_sql[L_ENSURE], NULL, "s", l->name) || db_begin(db))
		return 0;
	if (db_exec(db, a, &lease_sql[L_LOCK], &r, "s", l->name) || !r || r->nrows != 1)
		goto no;
	epoch = (uint64_t)db_int(r, 0, 1);
	if (!db_cell(r, 0, 0) || !*db_cell(r, 0, 0))
		how = epoch ? "released" : "free";
	else if (db_int(r, 0, 2))
		how = "lapsed";
	else if (holder_dead(db_cell(r, 0, 0)))
		how = "dead";
	else
		goto no;
	if (db_exec(db, a, &lease_sql[L_TAKE], NULL, "ssis", holder, config.host_id,
		    (int64_t)lease_ms * 1000, l->name) ||
	    db_exec(db, a, &lease_sql[L_TERM], NULL, "ss", how, l->name) ||
	    db_exec(db, a, &lease_sql[L_PRUNE], NULL, "su", l->name, epoch + 1) ||
	    db_commit(db))
		goto no;
	l->held = 1;
	l->epoch = epoch + 1;
	l->valid_until = t0 + lease_ms;
	l->batches = l->busy = 0;
	/* A take from another holder is news; a free or released one is the
	 * start of every jobs process (lease_scan counts those). */
	if (how[0] == 'l' || how[0] == 'd')
		log_info("jobs: %s: lease taken (term %" PRIu64 ", %s) by %s", l->name, l->epoch, how, holder);
	return 1;
no:
	db_rollback(db);
	return 0;
}

static size_t held_count(const struct lease *ls, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += ls[i].held != 0;
	return k;
}

/* Every lease not held that can be taken now. One read of the table, then
 * a take (a short transaction) for each that looks free. */
static void lease_scan(struct db *db, struct arena *a, struct lease *ls, size_t n)
{
	struct db_res *r = NULL;
	size_t i, k, taken = 0;

	for (i = 0; i < n && (ls[i].held || ls[i].unleased); i++)
		;
	if (i == n)
		return;
	if (db_exec(db, a, &lease_sql[L_LIST], &r, "") || !r)
		return;
	for (i = 0; i < n; i++) {
		int found = 0, takeable = 1;

		if (ls[i].held || ls[i].unleased)
			continue;
		for (k = 0; k < r->nrows; k++) {
			if (strcmp(db_cell(r, k, 0), ls[i].name))
				continue;
			found = 1;
			takeable = !db_cell(r, k, 1) || !*db_cell(r, k, 1) || db_int(r, k, 3) ||
				   holder_dead(db_cell(r, k, 1));
			break;
		}
		if ((!found || takeable) && lease_take(db, a, &ls[i]))
			taken++;
	}
	if (taken)
		log_info("jobs: %zu of %zu leases taken; this process (%s) holds %zu", taken, n, holder,
			 held_count(ls, n));
	arena_reset(a);
}

/* Renews every lease held, and writes each term's counters, in one
 * transaction. A lease another process holds now (this one was stopped
 * or cut off longer than its lease) is dropped. */
static void lease_renew(struct db *db, struct arena *a, struct lease *ls, size_t n)
{
	int64_t t0 = now_ms();
	size_t i;
	int *ok = calloc(n ? n : 1, sizeof(*ok));

	if (!ok || db_begin(db)) {
		free(ok);
		return;
	}
	for (i = 0; i < n; i++) {
		if (!ls[i].held)
			continue;
		if (db_exec(db, a, &lease_sql[L_RENEW], NULL, "issu", (int64_t)lease_ms * 1000,
			    ls[i].name, holder, ls[i].epoch))
			goto fail;
		if (db_affected(db) != 1) {
			log_warn("jobs: %s: lease lost (term %" PRIu64 "): another host holds it", ls[i].name,
				 ls[i].epoch);
			ls[i].held = 0;
			continue;
		}
		if (db_exec(db, a, &lease_sql[L_TERM_RENEW], NULL, "uusu",
			    ls[i].batches, ls[i].busy, ls[i].name, ls[i].epoch))
			goto fail;
		ok[i] = 1;
	}
	if (db_commit(db))
		goto fail;
	for (i = 0; i < n; i++)
		if (ok[i])
			ls[i].valid_until = t0 + lease_ms;
	free(ok);
	arena_reset(a);
	return;
fail:
	db_rollback(db);
	free(ok);
	arena_reset(a);
}

/* At a stop: every lease held is let go, so another process (the next
 * generation after a reload, another host) takes it at once. */
static void lease_release(struct db *db, struct arena *a, struct lease *ls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!ls[i].held)
			continue;
		if (db_begin(db))
			return;
		if (db_exec(db, a, &lease_sql[L_RELEASE], NULL, "ssu", ls[i].name, holder, ls[i].epoch) ||
		    (db_affected(db) == 1 &&
		     db_exec(db, a, &lease_sql[L_TERM_RELEASE], NULL, "uusu", ls[i].batches, ls[i].busy,
			     ls[i].name, ls[i].epoch)) ||
		    db_commit(db)) {
			/* MariaDB gone: the rest lapse by themselves; a stop
			 * does not wait for a reconnect per lease. */
			db_rollback(db);
			arena_reset(a);
			return;
		}
		ls[i].held = 0;
		arena_reset(a);
	}
}

/* The test hook's job (SHOP_TEST_HOOKS=1 and SHOP_JOBS_PROBE_MS set): each
 * batch writes its start, waits that long, and writes its end, so a test
 * can prove from rows that no two batches of a job overlapped. */
static int probe_run(struct db *db, struct kv *kv, struct arena *a)
{
	long long ms = config_env_num("SHOP_JOBS_PROBE_MS", 0, 0, 10000);
	uint64_t id;

	(void)kv;
	if (db_exec(db, a, &lease_sql[L_PROBE_START], NULL, "ssu", config.host_id, holder, probe_epoch))
		return -1;
	id = db_insert_id(db);
	usleep((useconds_t)ms * 1000);
	if (db_exec(db, a, &lease_sql[L_PROBE_END], NULL, "u", id))
		return -1;
	return 0;
}

/* A job of the loop: a module's job, or one of its event consumers (one
 * batch is event_consume_batch), named after the consumer. */
struct job {
	const char *name;
	int (*run)(struct db *db, struct kv *kv, struct arena *a);
	const struct event_consumer *consumer;
	unsigned interval_ms;
	int per_host;		/* a per-host consumer: every process follows it, no lease */
	int64_t pos;		/* its position (-1: not started) */
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
	if (!(v = calloc(k + nc + 1, sizeof(*v))))
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
		v[*n].per_host = cs[i]->per_host;
		v[*n].pos = -1;
		v[*n].interval_ms = cs[i]->interval_ms ? cs[i]->interval_ms : 200;
	}
	if (fault_enabled() && config_env_num("SHOP_JOBS_PROBE_MS", 0, 0, 10000) > 0) {
		v[*n].name = "lease-probe";
		v[*n].run = probe_run;
		v[*n].interval_ms = 20;
		(*n)++;
	}
	return v;
}

void jobs_main(int part, int nparts)
{
	struct jstate { int64_t next; unsigned failures; } *st = NULL;
	struct lease *ls = NULL;
	int64_t next_renew = 0, next_scan = 0;
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

	db_register(lease_sql, sizeof(lease_sql) / sizeof(lease_sql[0]));
	holder_init();
	if (!a || !(jobs = jobs_list(&njobs)) || !(st = calloc(njobs ? njobs : 1, sizeof(*st))) ||
	    !(ls = calloc(njobs ? njobs : 1, sizeof(*ls)))) {
		log_err("jobs: out of memory");
		free(st);
		free(jobs);
		arena_destroy(a);
		return;
	}
	/* An unreachable server is not fatal: the handles reconnect on use. */
	if (db_open(&db) == E_NOMEM || kv_open(&kv) == E_NOMEM || !db || !kv) {
		log_err("jobs: out of memory");
		goto out;
	}
	log_info("jobs: started as %s (jobs %d of %d), leases of %" PRId64 " ms (mail by %s)", holder, part + 1,
		 nparts > 1 ? nparts : 1, lease_ms, getenv("SHOP_SMTP_URL") && *getenv("SHOP_SMTP_URL") ? "SMTP" : "maildir");
	for (i = 0; i < njobs; i++) {
		st[i].next = 0;
		st[i].failures = 0;
		snprintf(ls[i].name, sizeof(ls[i].name), "%s%s", jobs[i].consumer ? "event:" : "", jobs[i].name);
		ls[i].off = (!config.jobs && !jobs[i].per_host) || (nparts > 1 && (int)(i % (size_t)nparts) != part);
		ls[i].unleased = jobs[i].per_host || ls[i].off;
	}

	while (!jobs_stop) {
		int64_t now = now_ms(), wake = now + 1000;
		struct timespec ts;

		if (now >= next_renew) {
			lease_renew(db, a, ls, njobs);
			next_renew = now + renew_ms;
		}
		if (now >= next_scan) {
			lease_scan(db, a, ls, njobs);
			next_scan = now_ms() + scan_ms;
		}
		now = now_ms();
		for (i = 0; i < njobs && !jobs_stop; i++) {
			int64_t delay;
			int r;

			/* A pass over many busy jobs may outlast a renewal
			 * period: renew between batches too. */
			if (now >= next_renew) {
				lease_renew(db, a, ls, njobs);
				next_renew = now + renew_ms;
				now = now_ms();
			}
			/* Only with the lease, and with a third of it left for
			 * the batch (a renewal that failed runs it down). */
			if (ls[i].off || (!ls[i].unleased && (!ls[i].held || now > ls[i].valid_until - lease_ms / 3)))
				continue;
			if (st[i].next > now)
				continue;
			if (paused(kv, a, jobs[i].name)) {
				arena_reset(a);
				st[i].next = now + 200;
				continue;
			}
			probe_epoch = ls[i].epoch;
			r = jobs[i].per_host ? event_follow_batch(db, kv, a, jobs[i].consumer, &jobs[i].pos)
			    : jobs[i].consumer ? event_consume_batch(db, kv, a, jobs[i].consumer)
					       : jobs[i].run(db, kv, a);
			ls[i].batches++;
			if (r > 0)
				ls[i].busy++;
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
			if (!ls[i].off && (ls[i].unleased || (ls[i].held && now <= ls[i].valid_until - lease_ms / 3)) &&
			    st[i].next < wake)
				wake = st[i].next;
		if (next_renew < wake)
			wake = next_renew;
		if (next_scan < wake)
			wake = next_scan;
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
	lease_release(db, a, ls, njobs);
	log_info("jobs: stopped");
out:
	kv_close(kv);
	db_close(db);
	arena_destroy(a);
	free(ls);
	free(st);
	free(jobs);
}
