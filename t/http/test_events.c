/* t/http: the event stream (app/events/stream.c) on a whole stack, watched
 * through its probe consumer (app/events/probe.c: test stacks only), which
 * counts each delivery of a "TestProbe" event in Redis.
 *
 * Every event is delivered once, in the order of the stream; an event whose
 * transaction commits after a later one's is still delivered; a failing
 * event is parked after its tries while the rest go on, is listed, and is
 * delivered by `shopctl events retry`; an unavailable world holds the event
 * without parking it; `shopctl events replay` re-delivers from an event or a
 * time; positions survive a restart of shopd without a second delivery; a
 * jobs process killed mid-batch is taken over at once; retention prunes and
 * archives what every consumer has passed. */
#include <mysql.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

static char home[1024];

/* redis-cli's one-line answer (an integer or a string) as a number. */
static long long redis_num(const char *cmd)
{
	char line[1500], out[64] = "";
	FILE *p;

	snprintf(line, sizeof(line), "redis-cli -s %s/run/redis.sock %s", home, cmd);
	ck_assert_ptr_nonnull(p = popen(line, "r"));
	if (!fgets(out, sizeof(out), p))
		out[0] = '\0';
	pclose(p);
	return atoll(out);
}

static long long delivered(long long id)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "HGET test:probe:count %lld", id);
	return redis_num(cmd);
}

/* Writes one TestProbe event; its outbox id. */
static long long probe_event(const char *payload)
{
	sql_execf("INSERT INTO outbox (topic, aggregate_id, payload) VALUES ('TestProbe', 1, '%s')",
		  payload ? payload : "{}");
	return sql_scalar("SELECT MAX(id) FROM outbox WHERE topic = 'TestProbe'");
}

/* Waits up to seconds for event id to have been delivered at least n times. */
static int wait_delivered(long long id, long long n, int seconds)
{
	for (int i = 0; i < seconds * 20; i++) {
		if (delivered(id) >= n)
			return 1;
		usleep(50 * 1000);
	}
	return 0;
}

/* `shopctl ARGS` with its standard output in out; its exit status. */
static int shopctl_out(const char *args, char *out, size_t n)
{
	char line[2048];
	size_t len = 0, k;
	FILE *p;
	int st;

	snprintf(line, sizeof(line), "%s/bin/shopctl %s 2>&1", getenv("SHOP_ROOT") ? getenv("SHOP_ROOT") : ".",
		 args);
	ck_assert_ptr_nonnull(p = popen(line, "r"));
	while (len + 1 < n && (k = fread(out + len, 1, n - 1 - len, p)) > 0)
		len += k;
	out[len] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void setup(void)
{
	snprintf(home, sizeof(home), "%s", getenv("SHOP_HOME"));
	redis_cmd("DEL test:probe:down");
}

START_TEST(each_event_once_in_stream_order)
{
	long long first, last, before, seq_prev = 0;
	char cmd[128];

	redis_cmd("DEL test:probe:order");
	before = sql_scalar("SELECT COALESCE(MAX(id), 0) FROM outbox");
	/* Three transactions of ten. */
	for (int t = 0; t < 3; t++)
		sql_execf("INSERT INTO outbox (topic, aggregate_id, payload) SELECT 'TestProbe', seq, '{}' FROM "
			  "seq_1_to_10");
	first = sql_scalarf("SELECT MIN(id) FROM outbox WHERE topic = 'TestProbe' AND id > %lld", before);
	last = sql_scalar("SELECT MAX(id) FROM outbox WHERE topic = 'TestProbe'");
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'TestProbe' AND id > %lld", before), 30);
	/* Multi-row inserts leave gaps in the ids: walk the real ones. */
	for (long long id = first; id; id = sql_scalarf("SELECT COALESCE(MIN(id), 0) FROM outbox WHERE "
							 "topic = 'TestProbe' AND id > %lld", id))
		ck_assert_msg(wait_delivered(id, 1, 10), "event %lld never delivered", id);
	usleep(200 * 1000);
	for (long long id = first; id; id = sql_scalarf("SELECT COALESCE(MIN(id), 0) FROM outbox WHERE "
							 "topic = 'TestProbe' AND id > %lld", id))
		ck_assert_int_eq(delivered(id), 1);
	/* The order list holds them in delivery order: by seq. */
	ck_assert_int_eq(redis_num("LLEN test:probe:order"), 30);
	for (long long k = 0; k < 30; k++) {
		long long id, seq;

		snprintf(cmd, sizeof(cmd), "LINDEX test:probe:order %lld", k);
		id = redis_num(cmd);
		seq = sql_scalarf("SELECT seq FROM outbox WHERE id = %lld", id);
		ck_assert_int_gt(seq, seq_prev);
		seq_prev = seq;
	}
	/* The consumer's position is saved in MariaDB. */
	ck_assert_int_ge(sql_scalar("SELECT position FROM event_consumers WHERE name = 'probe'"),
			 sql_scalarf("SELECT seq FROM outbox WHERE id = %lld", last));
}
END_TEST

/* Ids are handed out at INSERT and seen at COMMIT: an event whose
 * transaction commits after a later event's must not fall behind the
 * consumer's position. */
START_TEST(late_commit_still_delivered)
{
	MYSQL *m = mysql_init(NULL);
	char sock[1100];
	long long early, later;

	snprintf(sock, sizeof(sock), "%s/run/mysqld.sock", home);
	ck_assert_ptr_nonnull(mysql_real_connect(m, NULL, "root", "", "shop", 0, sock, 0));
	ck_assert_int_eq(mysql_query(m, "BEGIN"), 0);
	ck_assert_int_eq(mysql_query(m, "INSERT INTO outbox (topic, aggregate_id, payload) VALUES ('TestProbe', 2, '{}')"), 0);
	early = (long long)mysql_insert_id(m);
	later = probe_event(NULL);
	ck_assert_int_gt(later, early);
	ck_assert_msg(wait_delivered(later, 1, 10), "the later event was never delivered");
	usleep(300 * 1000);
	ck_assert_int_eq(delivered(early), 0);
	ck_assert_int_eq(mysql_query(m, "COMMIT"), 0);
	mysql_close(m);
	ck_assert_msg(wait_delivered(early, 1, 10), "the event committed late was lost");
	ck_assert_int_gt(sql_scalarf("SELECT seq FROM outbox WHERE id = %lld", early),
			 sql_scalarf("SELECT seq FROM outbox WHERE id = %lld", later));
	ck_assert_int_eq(delivered(early), 1);
}
END_TEST

START_TEST(failing_event_parked_then_retried)
{
	char cmd[128], out[4096], args[128];
	long long bad, after;

	bad = probe_event("{\"fail\":true}");
	after = probe_event(NULL);
	/* The probe parks after 2 tries (1 s apart); the next event is not held up. */
	ck_assert_msg(wait_delivered(after, 1, 15), "an event behind a failing one was held up");
	ck_assert_int_eq(delivered(bad), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM event_parked WHERE consumer = 'probe' AND event_id = %lld",
				     bad), 1);
	/* Visible. */
	ck_assert_int_eq(shopctl_out("events parked probe", out, sizeof(out)), 0);
	snprintf(cmd, sizeof(cmd), "probe event %lld TestProbe", bad);
	ck_assert_msg(strstr(out, cmd), "parked list lacks %s: %s", cmd, out);
	ck_assert_int_eq(shopctl_out("events", out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "\nprobe ") || !strncmp(out, "probe ", 6), "no line for probe: %s", out);
	ck_assert_msg(strstr(out, "parked 1"), "the list does not count the parked event: %s", out);
	ck_assert_msg(strstr(out, "search-index ") && strstr(out, "pcache "), "consumers missing: %s", out);
	/* Still failing: retry says so and keeps it. */
	snprintf(args, sizeof(args), "events retry probe %lld", bad);
	ck_assert_int_eq(shopctl_out(args, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "still fails"), "%s", out);
	/* Mended: delivered once, no longer parked. */
	snprintf(cmd, sizeof(cmd), "SADD test:probe:mended %lld", bad);
	redis_cmd(cmd);
	ck_assert_int_eq(shopctl_out(args, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "delivered"), "%s", out);
	ck_assert_int_eq(delivered(bad), 1);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM event_parked WHERE consumer = 'probe'"), 0);
	ck_assert_int_eq(shopctl_out(args, out, sizeof(out)), 1);	/* nothing left to retry */
}
END_TEST

START_TEST(unavailable_holds_without_parking)
{
	long long id;

	redis_cmd("SET test:probe:down 1");
	id = probe_event(NULL);
	sleep(2);
	ck_assert_int_eq(delivered(id), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM event_parked WHERE event_id = %lld", id), 0);
	ck_assert_int_eq(sql_scalar("SELECT last_error LIKE '%unavailable%' FROM event_consumers WHERE name = 'probe'"), 1);
	redis_cmd("DEL test:probe:down");
	ck_assert_msg(wait_delivered(id, 1, 15), "not delivered once the world came back");
	ck_assert_int_eq(delivered(id), 1);
}
END_TEST

START_TEST(replay_from_an_event_and_a_time)
{
	long long a = probe_event(NULL), b, c;
	char args[128], out[1024], when[32];

	b = probe_event(NULL);
	c = probe_event(NULL);
	ck_assert(wait_delivered(c, 1, 10));
	snprintf(args, sizeof(args), "events replay probe --from %lld", b);
	ck_assert_int_eq(shopctl_out(args, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "probe: position"), "%s", out);
	ck_assert_msg(wait_delivered(c, 2, 10), "replay did not deliver again");
	ck_assert_int_eq(delivered(a), 1);
	ck_assert_int_eq(delivered(b), 2);
	/* From a time: everything written since (a, b and c again). */
	sql_execf("UPDATE outbox SET created_at = NOW() + INTERVAL 1 HOUR WHERE id IN (%lld, %lld, %lld)", a, b, c);
	snprintf(when, sizeof(when), "%lld", sql_scalarf("SELECT DATE_FORMAT(created_at, '%%Y%%m%%d%%H%%i%%s') "
							 "FROM outbox WHERE id = %lld", a));
	snprintf(args, sizeof(args), "events replay probe --from %.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", when, when + 4,
		 when + 6, when + 8, when + 10, when + 12);
	ck_assert_int_eq(shopctl_out(args, out, sizeof(out)), 0);
	ck_assert_msg(wait_delivered(c, 3, 10), "replay by time did not deliver again");
	ck_assert_int_eq(delivered(a), 2);
	ck_assert_int_eq(delivered(b), 3);
	ck_assert_int_eq(shopctl_out("events replay probe --from yesterday", out, sizeof(out)), 2);
	ck_assert_int_eq(shopctl_out("events replay nobody --from 1", out, sizeof(out)), 1);
}
END_TEST

START_TEST(positions_survive_a_restart)
{
	long long id = probe_event(NULL), pos, id2;

	ck_assert(wait_delivered(id, 1, 10));
	usleep(300 * 1000);
	pos = sql_scalar("SELECT position FROM event_consumers WHERE name = 'probe'");
	ck_assert_int_eq(stack_cmd("restart-shopd"), 0);
	ck_assert(wait_status("/healthz", 200, 20));
	ck_assert_int_ge(sql_scalar("SELECT position FROM event_consumers WHERE name = 'probe'"), pos);
	id2 = probe_event(NULL);
	ck_assert(wait_delivered(id2, 1, 15));
	/* The one before the restart was not delivered again. */
	ck_assert_int_eq(delivered(id), 1);
	ck_assert_int_eq(delivered(id2), 1);
}
END_TEST

/* A jobs process killed in the middle of a batch: its claim names a dead
 * process of this host, so the new jobs process resumes at once instead of
 * waiting a minute for the claim to run out; nothing is lost. */
START_TEST(killed_consumer_resumes)
{
	long long first = 0, last = 0, pid = 0;

	for (int i = 0; i < 8; i++) {
		last = probe_event("{\"sleepMs\":400}");
		if (!first)
			first = last;
	}
	for (int i = 0; i < 100 && !pid; i++) {
		long long n = sql_scalar("SELECT COUNT(*) FROM event_consumers WHERE name = 'probe' AND lease_owner IS NOT NULL");

		if (n && delivered(first) >= 1)
			pid = sql_scalar("SELECT CAST(SUBSTRING_INDEX(lease_owner, ':', -1) AS INTEGER) "
					 "FROM event_consumers WHERE name = 'probe'");
		else
			usleep(50 * 1000);
	}
	ck_assert_msg(pid > 0, "never saw the probe at work");
	ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
	/* Well under the claim's 60 s. */
	ck_assert_msg(wait_delivered(last, 1, 25), "the batch was not resumed");
	for (long long id = first; id; id = sql_scalarf("SELECT COALESCE(MIN(id), 0) FROM outbox WHERE "
							 "topic = 'TestProbe' AND id > %lld", id))
		ck_assert_int_ge(delivered(id), 1);
}
END_TEST

START_TEST(retention_prunes_and_archives)
{
	long long id = probe_event(NULL), kept;
	char out[512];

	ck_assert(wait_delivered(id, 1, 10));
	kept = probe_event(NULL);	/* new: stays */
	ck_assert(wait_delivered(kept, 1, 10));
	/* Every consumer past it (the others skip TestProbe, saving now and then). */
	for (int i = 0; i < 100; i++) {
		if (sql_scalarf("SELECT MIN(position) >= (SELECT seq FROM outbox WHERE id = %lld) FROM event_consumers", id))
			break;
		usleep(100 * 1000);
	}
	sql_execf("UPDATE outbox SET created_at = NOW(3) - INTERVAL 30 DAY WHERE id <= %lld", id);
	ck_assert_int_eq(shopctl_run("SHOP_EVENTS_ARCHIVE=1", NULL, "events prune"), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE id = %lld", id), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox_archive WHERE id = %lld", id), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE id = %lld", kept), 1);
	ck_assert_int_eq(shopctl_out("events prune", out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "pruned 0 events"), "%s", out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("events");
	TCase *t = tcase_create("events");

	harness_init();
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, each_event_once_in_stream_order);
	tcase_add_test(t, late_commit_still_delivered);
	tcase_add_test(t, failing_event_parked_then_retried);
	tcase_add_test(t, unavailable_holds_without_parking);
	tcase_add_test(t, replay_from_an_event_and_a_time);
	tcase_add_test(t, positions_survive_a_restart);
	tcase_add_test(t, killed_consumer_resumes);
	tcase_add_test(t, retention_prunes_and_archives);
	suite_add_tcase(s, t);
	return run_suite(s);
}
