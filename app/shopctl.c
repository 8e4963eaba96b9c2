/* shopctl: the operator's command line (migrate, import, ...).
 *
 * Commands are one static table, like the route table: a name, a handler, a
 * usage line and a one-line summary. A handler gets the arguments after the
 * command name and returns the process exit status (0 ok, 1 failed, 2 usage).
 * Configuration comes from the environment (app/core/config.h), so shopctl
 * talks to the same database as shopd without any flags. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <mysql.h>
#include <mysqld_error.h>
#include "core/arena.h"
#include "core/config.h"
#include "core/err.h"
#include "store/db.h"
#include "http/valid.h"
#include "catalog/catalog.h"
#include "catalog/import.h"
#include "account/account.h"
#include "search/search.h"
#include "search/schema.h"
#include "seller/images.h"
#include "reconcile/reconcile.h"

#define EXIT_USAGE 2

struct command {
	const char *name;
	int (*run)(int argc, char **argv);	/* argv[0] is the command name */
	const char *usage;
	const char *summary;
};

static int cmd_migrate(int argc, char **argv);
static int cmd_import(int argc, char **argv);
static int cmd_create_admin(int argc, char **argv);
static int cmd_grant(int argc, char **argv);
static int cmd_media_sweep(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "migrate", cmd_migrate, "migrate",
	  "create the database if missing, apply schema.sql and pending migrations/" },
	{ "import", cmd_import, "import FILE",
	  "import a product list in the dummyjson format (e.g. data/demo/products.json)" },
	{ "create-admin", cmd_create_admin, "create-admin EMAIL",
	  "create an administrator (password: $SHOP_ADMIN_PASSWORD or stdin), or promote a user" },
	{ "grant", cmd_grant, "grant EMAIL seller|admin",
	  "give a role to an existing user (a seller also gets a seller profile)" },
	{ "reindex", search_cmd_reindex, "reindex",
	  "rebuild the search index from MariaDB (progress shown; searches go on meanwhile)" },
	{ "gen-catalog", search_cmd_gen_catalog, "gen-catalog N",
	  "add N synthetic products (names, brands, prices, Zipf-like sales) for benchmarks" },
	{ "search-schema", search_cmd_schema, "search-schema",
	  "print the products index's field lines for conf/sphinx.conf (from app/search/schema.c)" },
	{ "media-sweep", cmd_media_sweep, "media-sweep [MIN_AGE]",
	  "remove photo files no product names, older than MIN_AGE seconds (default 3600)" },
	{ "reconcile", reconcile_cmd, "reconcile payments|stock [--check] [--all] [--grace S] [--threshold N]",
	  "compare the gateway's payments with the orders, or the stock with its ledgers; repair what has "
	  "one right answer (--check: only report)" },
	{ "help", cmd_help, "help", "show this list" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

enum { Q_MIGRATIONS, Q_MIGRATION_DONE, Q_COUNT };

static struct db_sql ctl_sql[Q_COUNT] = {
	[Q_MIGRATIONS] = { "SELECT version FROM schema_migrations ORDER BY version", 0 },
	[Q_MIGRATION_DONE] = { "INSERT INTO schema_migrations (version) VALUES (?)", 0 },
};

static const char *db_where(void)
{
	return config.db_host ? config.db_host : config.db_socket;
}

/* Connects to the configured database; E_OK or a message on stderr. */
static enum err open_db(struct db **db)
{
	enum err e = db_open(db);

	if (e)
		fprintf(stderr, "shopctl: cannot connect to MariaDB at %s (database %s): %s\n",
			db_where(), config.db_name, *db ? db_error(*db) : err_str(e));
	return e;
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

static int cmd_import(int argc, char **argv)
{
	struct import_stats st;
	struct db *db = NULL;
	enum err e;

	if (argc != 2)
		return EXIT_USAGE;
	if (open_db(&db)) {
		db_close(db);
		return 1;
	}
	e = catalog_import_file(db, argv[1], stderr, &st);
	if (!e) {
		struct arena *a = arena_new(64 * 1024);

		/* The navigation's counts now, not at the next jobs run. */
		if (!a || catalog_refresh_counts(db, a))
			fprintf(stderr, "shopctl: could not recount the categories (shopd jobs will)\n");
		if (a)
			arena_destroy(a);
	}
	db_close(db);
	printf("imported %zu products, %zu failed\n", st.imported, st.failed);
	return e || st.failed ? 1 : 0;
}

/* What went wrong, for a message: MariaDB's words when it said something. */
static const char *db_why(struct db *db, enum err e)
{
	return db_errno(db) ? db_error(db) : err_str(e);
}

/* The first line of stdin, without its line end, into buf; echo is off when
 * stdin is a terminal. -1 at end of input. */
static int read_password(const char *email, char *buf, size_t n)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	int rc = 0;

	if (tty) {
		fprintf(stderr, "Password for %s: ", email);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (!fgets(buf, (int)n, stdin))
		rc = -1;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return rc;
}

static int cmd_create_admin(int argc, char **argv)
{
	struct arena *a = arena_new(16 * 1024);
	struct db *db = NULL;
	const char *email, *name = getenv("SHOP_ADMIN_NAME"), *env_pw = getenv("SHOP_ADMIN_PASSWORD");
	char pw[PW_MAX + 2] = "";
	const char *why;
	int64_t uid = 0;
	int rc = 1;
	enum err e;

	if (!a)
		return 1;
	if (argc != 2) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (!(email = account_email(a, argv[1]))) {
		fprintf(stderr, "shopctl: '%s' is not a valid email address\n", argv[1]);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!name || !*name)
		name = "Administrator";
	if (open_db(&db))
		goto out;
	/* An existing account just becomes an admin; its password stays. */
	e = admin_grant(db, a, email, "admin");
	if (e == E_OK) {
		printf("%s already had an account (password unchanged); it is an administrator now\n", email);
		rc = 0;
		goto out;
	}
	if (e != E_NOTFOUND) {
		fprintf(stderr, "shopctl: cannot grant admin to %s: %s\n", email, db_why(db, e));
		goto out;
	}
	if (env_pw && *env_pw)
		snprintf(pw, sizeof(pw), "%s", env_pw);
	else if (read_password(email, pw, sizeof(pw))) {
		fprintf(stderr, "shopctl: no password: set SHOP_ADMIN_PASSWORD or give it on stdin\n");
		goto out;
	}
	if ((why = pw_policy(pw))) {
		fprintf(stderr, "shopctl: %s\n", why);
		goto out;
	}
	e = account_create(db, a, name, email, pw, &uid);
	if (e && e != E_CONFLICT) {	/* E_CONFLICT: made meanwhile; grant anyway */
		fprintf(stderr, "shopctl: cannot create %s: %s\n", email, db_why(db, e));
		goto out;
	}
	if ((e = admin_grant(db, a, email, "admin"))) {
		fprintf(stderr, "shopctl: cannot grant admin to %s: %s\n", email, db_why(db, e));
		goto out;
	}
	printf("created administrator %s\n", email);
	rc = 0;
out:
	sodium_memzero(pw, sizeof(pw));
	db_close(db);
	arena_destroy(a);
	return rc;
}

static int cmd_grant(int argc, char **argv)
{
	struct arena *a = arena_new(16 * 1024);
	struct db *db = NULL;
	const char *email;
	int rc = 1;
	enum err e;

	if (!a)
		return 1;
	if (argc != 3 || (strcmp(argv[2], "seller") && strcmp(argv[2], "admin"))) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (!(email = account_email(a, argv[1]))) {
		fprintf(stderr, "shopctl: '%s' is not a valid email address\n", argv[1]);
		rc = EXIT_USAGE;
		goto out;
	}
	if (open_db(&db))
		goto out;
	e = admin_grant(db, a, email, argv[2]);
	if (e == E_NOTFOUND) {
		fprintf(stderr, "shopctl: no account has the email %s (it must register first)\n", email);
		goto out;
	}
	if (e) {
		fprintf(stderr, "shopctl: cannot grant %s to %s: %s\n", argv[2], email,
			db_why(db, e));
		goto out;
	}
	printf("%s is a%s %s now\n", email, argv[2][0] == 'a' ? "n" : "", argv[2]);
	rc = 0;
out:
	db_close(db);
	arena_destroy(a);
	return rc;
}

/* The same sweep shopd jobs runs hourly, now (an operator after a crash,
 * and the tests). */
static int cmd_media_sweep(int argc, char **argv)
{
	struct arena *a;
	struct db *db = NULL;
	int64_t age = MEDIA_ORPHAN_AGE;
	int n;

	if (argc > 2 || (argc == 2 && parse_int64(argv[1], strlen(argv[1]), 0, INT64_MAX, &age)))
		return EXIT_USAGE;
	if (open_db(&db)) {
		db_close(db);
		return 1;
	}
	if (!(a = arena_new(64 * 1024))) {
		db_close(db);
		return 1;
	}
	n = images_sweep(db, a, (long)age);
	arena_destroy(a);
	db_close(db);
	if (n < 0)
		return 1;
	printf("removed %d photo%s no product names\n", n, n == 1 ? "" : "s");
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	size_t i;

	printf("usage: shopctl COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		printf("  %-24s %s\n", commands[i].usage, commands[i].summary);
	printf("\nConfiguration comes from the environment (SHOP_DB_*, SHOP_HOME, ...).\n");
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	size_t i;
	int rc;

	if (config_load(&config))
		return 1;
	/* Every module's statements are registered before any connection. */
	catalog_import_init();
	catalog_init();	/* the importer refreshes the product read model */
	account_init();
	admin_init();
	search_init();
	images_init();
	reconcile_init();
	db_register(ctl_sql, Q_COUNT);

	if (argc < 2) {
		cmd_help(0, NULL);
		return EXIT_USAGE;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "shopctl: unknown command '%s' (try: shopctl help)\n", argv[1]);
		return EXIT_USAGE;
	}
	rc = cmd->run(argc - 1, argv + 1);
	if (rc == EXIT_USAGE)
		fprintf(stderr, "usage: shopctl %s\n", cmd->usage);
	return rc;
}
