/* shopctl: the operator's command line (migrate, import, ...).
 *
 * Commands are shopctl's own (migrate, help) and those every module's
 * descriptor lists (struct module_command, app/module.h), in the order of the
 * modules array between them: a name, a handler, a usage line and a one-line
 * summary. A handler gets the arguments from the command name on and returns
 * the process exit status (0 ok, 1 failed, 2 usage).
 * Configuration comes from the environment (app/core/config.h), so shopctl
 * talks to the same database as shopd without any flags. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mysql.h>
#include <mysqld_error.h>
#include "core/arena.h"
#include "core/config.h"
#include "core/err.h"
#include "store/db.h"
#include "module.h"

#define EXIT_USAGE MODULE_EXIT_USAGE

static int cmd_migrate(int argc, char **argv);
static int cmd_help(int argc, char **argv);

/* shopctl's own commands: migrate first, help last, the modules' between. */
static const struct module_command first[] = {
	{ "migrate", cmd_migrate, "migrate",
	  "create the database if missing, apply schema.sql and pending migrations/" },
};
static const struct module_command last[] = {
	{ "help", cmd_help, "help", "show this list" },
};

/* Calls fn for each command in the order help lists them; stops at the first
 * nonzero answer and returns it. */
static int each_command(int (*fn)(const struct module_command *cmd, void *arg), void *arg)
{
	size_t m, i;
	int r;

	for (i = 0; i < sizeof(first) / sizeof(first[0]); i++)
		if ((r = fn(&first[i], arg)))
			return r;
	for (m = 0; modules[m]; m++)
		for (i = 0; i < modules[m]->ncommands; i++)
			if ((r = fn(&modules[m]->commands[i], arg)))
				return r;
	for (i = 0; i < sizeof(last) / sizeof(last[0]); i++)
		if ((r = fn(&last[i], arg)))
			return r;
	return 0;
}

enum { Q_MIGRATIONS, Q_MIGRATION_DONE, Q_COUNT };

static struct db_sql ctl_sql[Q_COUNT] = {
	[Q_MIGRATIONS] = { "SELECT version FROM schema_migrations ORDER BY version", 0 },
	[Q_MIGRATION_DONE] = { "INSERT INTO schema_migrations (version) VALUES (?)", 0 },
};

static const char *db_where(void)
{
	return config.db_host ? config.db_host : config.db_socket;
}

/* The database name is put into SQL text here (CREATE DATABASE takes no
 * parameters), so only plain identifiers are accepted. It comes from the
 * operator's configuration, never from a request. */
static int db_name_ok(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return n >= 1 && n <= 64;
}

/* db_open() connects to config.db_name, which a fresh server does not have
 * yet: create it with a connection that selects no database. */
static enum err create_database(void)
{
	char sql[160];
	MYSQL *my;
	enum err e = E_OK;

	if (!db_name_ok(config.db_name)) {
		fprintf(stderr, "shopctl: SHOP_DB_NAME=%s: use only letters, digits and '_'\n",
			config.db_name);
		return E_INVAL;
	}
	if (!(my = mysql_init(NULL)))
		return E_NOMEM;
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (!mysql_real_connect(my, config.db_host, config.db_user, config.db_password, NULL,
				(unsigned)config.db_port, config.db_host ? NULL : config.db_socket, 0)) {
		fprintf(stderr, "shopctl: cannot connect to MariaDB at %s: %s\n",
			db_where(), mysql_error(my));
		e = E_UNAVAIL;
		goto out;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE IF NOT EXISTS `%s` "
		 "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", config.db_name);
	if (mysql_query(my, sql)) {
		fprintf(stderr, "shopctl: cannot create database %s: %s\n",
			config.db_name, mysql_error(my));
		e = E_DB;
		goto out;
	}
	printf("created database %s\n", config.db_name);
out:
	mysql_close(my);
	return e;
}

/* Reads a whole file into a malloc'd NUL-terminated string (caller frees). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	if (!(p = malloc((size_t)n + 1)))
		goto out;
	if (fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
		goto out;
	}
	p[n] = '\0';
out:
	fclose(f);
	return p;
}

/* Runs one SQL file as a script; a message on stderr when it fails. */
static enum err run_file(struct db *db, const char *path)
{
	char *sql = slurp(path);
	enum err e;

	if (!sql) {
		fprintf(stderr, "shopctl: cannot read %s: %s\n", path, strerror(errno));
		return E_IO;
	}
	e = db_run_script(db, sql);
	if (e)
		fprintf(stderr, "shopctl: %s failed: %s\n", path, db_error(db));
	free(sql);
	return e;
}

/* A migration file is NNN_name.sql: its version is the number before the
 * first '_'. Anything else in migrations/ (README, editor files) is not one. */
static long migration_version(const char *name)
{
	const char *p = name;
	size_t n = strlen(name);
	long v = 0;

	if (n < 6 || strcmp(name + n - 4, ".sql") != 0 || !isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++)
		if ((v = v * 10 + (*p - '0')) > 999999)
			return -1;
	return *p == '_' && v > 0 ? v : -1;
}

static int is_migration(const struct dirent *d)
{
	return migration_version(d->d_name) > 0;
}

static int cmd_migrate(int argc, char **argv)
{
	struct db *db = NULL;
	struct dirent **files = NULL;
	struct db_res *res = NULL;
	struct arena *a = arena_new(16 * 1024);
	char path[4096];
	int rc = 1, nfiles = 0, i, applied = 0;
	enum err e;

	if (argc != 1) {
		arena_destroy(a);
		return EXIT_USAGE;
	}
	if (!a)
		return 1;
	e = db_open(&db);
	if (e && db && db_errno(db) == ER_BAD_DB_ERROR) {
		db_close(db);
		db = NULL;
		if (create_database())
			goto out;
		e = db_open(&db);
	}
	if (e) {
		fprintf(stderr, "shopctl: cannot connect to MariaDB at %s (database %s): %s\n",
			db_where(), config.db_name, db ? db_error(db) : err_str(e));
		goto out;
	}

	/* schema.sql is idempotent and runs every time, so a table added to
	 * it before the first release appears without a migration. */
	snprintf(path, sizeof(path), "%s/schema.sql", config.root);
	if (run_file(db, path))
		goto out;
	printf("applied %s\n", path);

	snprintf(path, sizeof(path), "%s/migrations", config.root);
	nfiles = scandir(path, &files, is_migration, alphasort);
	if (nfiles < 0) {
		if (errno != ENOENT) {
			fprintf(stderr, "shopctl: cannot list %s: %s\n", path, strerror(errno));
			goto out;
		}
		nfiles = 0;
	}
	/* Applied in version order (not name order: 10_ sorts before 9_). */
	for (i = 1; i < nfiles; i++) {
		struct dirent *d = files[i];
		int j = i;

		while (j > 0 && migration_version(files[j - 1]->d_name) > migration_version(d->d_name)) {
			files[j] = files[j - 1];
			j--;
		}
		files[j] = d;
	}
	/* Versions must be unique, or "applied" would be ambiguous. */
	for (i = 1; i < nfiles; i++)
		if (migration_version(files[i]->d_name) == migration_version(files[i - 1]->d_name)) {
			fprintf(stderr, "shopctl: %s and %s have the same version\n",
				files[i - 1]->d_name, files[i]->d_name);
			goto out;
		}
	if (nfiles && (e = db_exec(db, a, &ctl_sql[Q_MIGRATIONS], &res, ""))) {
		fprintf(stderr, "shopctl: cannot read schema_migrations: %s\n", db_error(db));
		goto out;
	}
	for (i = 0; i < nfiles; i++) {
		long v = migration_version(files[i]->d_name);
		size_t r;
		int done = 0;

		for (r = 0; res && r < res->nrows && !done; r++)
			done = db_int(res, r, 0) == v;
		if (done)
			continue;
		snprintf(path, sizeof(path), "%s/migrations/%s", config.root, files[i]->d_name);
		/* MariaDB DDL commits as it goes, so a migration that fails
		 * half-way is not rolled back: write migrations so they can
		 * run again (IF NOT EXISTS / IF EXISTS), fix, re-run. */
		if (run_file(db, path))
			goto out;
		if ((e = db_exec(db, a, &ctl_sql[Q_MIGRATION_DONE], NULL, "i", (int64_t)v))) {
			fprintf(stderr, "shopctl: %s applied but not recorded: %s\n",
				path, db_error(db));
			goto out;
		}
		printf("applied %s\n", path);
		applied++;
	}
	printf("database %s is up to date (%d migration%s applied now, %d known)\n",
	       config.db_name, applied, applied == 1 ? "" : "s", nfiles);
	rc = 0;
out:
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	db_close(db);
	arena_destroy(a);
	return rc;
}

static int print_command(const struct module_command *cmd, void *arg)
{
	(void)arg;
	printf("  %-24s %s\n", cmd->usage, cmd->summary);
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	printf("usage: shopctl COMMAND [ARGS]\n\ncommands:\n");
	each_command(print_command, NULL);
	printf("\nConfiguration comes from the environment (SHOP_DB_*, SHOP_HOME, ...).\n");
	return 0;
}

struct lookup {
	const char *name;
	const struct module_command *cmd;
};

static int find_command(const struct module_command *cmd, void *arg)
{
	struct lookup *l = arg;

	if (strcmp(l->name, cmd->name))
		return 0;
	l->cmd = cmd;
	return 1;
}

int main(int argc, char **argv)
{
	struct lookup l = { NULL, NULL };
	const struct module_command *cmd;
	int rc;

	if (config_load(&config))
		return 1;
	/* Every module's statements are registered before any connection. */
	modules_init();
	db_register(ctl_sql, Q_COUNT);

	if (argc < 2) {
		cmd_help(0, NULL);
		return EXIT_USAGE;
	}
	l.name = argv[1];
	each_command(find_command, &l);
	if (!(cmd = l.cmd)) {
		fprintf(stderr, "shopctl: unknown command '%s' (try: shopctl help)\n", argv[1]);
		return EXIT_USAGE;
	}
	rc = cmd->run(argc - 1, argv + 1);
	if (rc == EXIT_USAGE)
		fprintf(stderr, "usage: shopctl %s\n", cmd->usage);
	return rc;
}
