/* Unit tests: the db layer's reads on replicas (issue 20, app/store/db.h)
 * without a server. Without SHOP_DB_REPLICAS db_for_read hands back the
 * primary's handle and nothing is counted; with replicas that do not answer
 * it still hands back the primary, counts why ("primary_dead") in the run
 * directory's counters, and skips the dead replica until its retry time.
 * The layer reads its settings once per process, so each case runs in a
 * child of its own. (t/scale/30-replicas.sh proves the rest against real
 * servers.) */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../../app/core/config.h"
#include "../../app/store/db.h"

static char home[64];

static void setup_home(void)
{
	char run[96];

	snprintf(home, sizeof(home), "/tmp/shop-unit-db.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(home));
	snprintf(run, sizeof(run), "%s/run", home);
	ck_assert_int_eq(mkdir(run, 0700), 0);
	setenv("SHOP_HOME", home, 1);
	/* A primary that is not there: nothing here needs it to answer. */
	setenv("SHOP_DB_SOCKET", "/nonexistent/mysqld.sock", 1);
	unsetenv("SHOP_DB_HOST");
}

static void cleanup_home(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", home);
}

/* Runs fn in a child; its exit status is the number of failed expectations. */
static int in_child(int (*fn)(void))
{
	int st = 0;
	pid_t p = fork();

	if (p == 0)
		_exit(fn());
	ck_assert_int_gt(p, 0);
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

#define EXPECT(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); bad++; } } while (0)

static uint64_t got[DB_READ_COUNTERS];
static void take_total(void *arg, long pid, const uint64_t *c)
{
	(void)arg;
	if (pid == 0)
		memcpy(got, c, sizeof(got));
}

static int no_replicas(void)
{
	struct db *db = NULL;
	int bad = 0;

	unsetenv("SHOP_DB_REPLICAS");
	if (config_load(&config))
		return 100;
	db_open(&db);	/* E_UNAVAIL: no server; the handle is there */
	EXPECT(db != NULL);
	if (!db)
		return bad;
	EXPECT(db_replica_count() == 0);
	db_request_begin(db);
	db_read_floor(db, "0-1-42");
	EXPECT(db_for_read(db) == db);
	EXPECT(!db_is_replica(db_for_read(db)));
	EXPECT(db_wrote_gtid(db) == NULL);
	EXPECT(db_read_stats(take_total, NULL) == -1);	/* nothing counted, no file */
	db_close(db);
	return bad;
}

static int dead_replicas(void)
{
	struct db *db = NULL;
	int bad = 0;

	/* Two replicas nobody listens on (port 1 refuses at once), and one
	 * entry that is neither host:port nor a path (skipped, with a line). */
	setenv("SHOP_DB_REPLICAS", "127.0.0.1:1, /nonexistent/replica.sock,bad:99999", 1);
	setenv("SHOP_DB_REPLICA_RETRY_MS", "60000", 1);
	if (config_load(&config))
		return 100;
	db_open(&db);
	EXPECT(db != NULL);
	if (!db)
		return bad;
	EXPECT(db_replica_count() == 2);
	db_request_begin(db);
	EXPECT(db_for_read(db) == db);	/* both dead: the primary */
	EXPECT(db_for_read(db) == db);	/* skipped now, not tried again */
	EXPECT(db_read_stats(take_total, NULL) == 0);
	EXPECT(got[DB_READ_PRIMARY_DEAD] == 2);
	EXPECT(got[DB_READ_REPLICA] == 0);
	EXPECT(db_read_counter_name(DB_READ_PRIMARY_DEAD) && !strcmp(db_read_counter_name(DB_READ_PRIMARY_DEAD), "primary_dead"));
	EXPECT(db_read_counter_name(DB_READ_COUNTERS) == NULL);
	db_close(db);
	return bad;
}

START_TEST(without_replicas_the_primary_and_nothing_counted)
{
	setup_home();
	ck_assert_int_eq(in_child(no_replicas), 0);
	cleanup_home();
}
END_TEST

START_TEST(dead_replicas_send_reads_to_the_primary_and_count_why)
{
	setup_home();
	ck_assert_int_eq(in_child(dead_replicas), 0);
	cleanup_home();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db_replicas");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, without_replicas_the_primary_and_nothing_counted);
	tcase_add_test(tc, dead_replicas_send_reads_to_the_primary_and_count_why);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
