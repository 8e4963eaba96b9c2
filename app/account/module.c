/* The account module: users, sessions, passwords and resets, addresses,
 * roles and seller applications; the pipeline's auth hook (auth_pages.c);
 * shopctl create-admin and grant. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sodium.h>
#include "../module.h"
#include "account_pages.h"
#include "guest.h"
#include "address_pages.h"
#include "admin_pages.h"
#include "reset_pages.h"
#include "sellers_admin_pages.h"
#include "session_pages.h"
#include "../core/arena.h"
#include "../store/db.h"
#include "account.h"
#include "session_pages.h"
#include "routes.inc"

/* Session and role checks; CSRF (auth_pages.c). */
int auth_check(struct ctx *c, const char **why);

static void account_module_init(void)
{
	session_init();
	account_init();
	guest_init();
	address_init();
	reset_init();
	admin_init();
	sellers_admin_init();
}

static const struct route account_routes[] = {
	ACCOUNT_ROUTES,
};

/* account.html: the model h_account builds. */
static const char *const account_names[] = {
	"user", "name", "email", "roles", "isSeller", "isAdmin", "addresses", "line1", "line2",
	"city", "region", "postalCode", "country", "isDefault", "id", "csrf", "error", "message",
	"mailPrefs", "cartReminders", "lowStock", "showLowStock",
	"backInStock", "priceDrop",	/* the alerts (issue 17) */
	NULL
};

/* address_edit.html: the model form_page (address_pages.c) builds. */
static const char *const address_edit_names[] = {
	"isNew", "error", "message", "errors", "field", "address", "id", "csrf", "fieldErrors",
	"name", "line1", "line2", "city", "region", "postalCode", "country", "isDefault",
	"makeDefault", NULL
};

/* admin.html: the model h_admin builds. */
static const char *const admin_names[] = {
	"applications", "date", "applicantName", "applicantEmail", "displayName", "slug",
	"contactEmail", "action", "csrf", "q", "searched", "users", "name", "isActive", "status",
	"email", "roles", "grantEmail", "id", NULL
};

/* admin_sellers.html: the model h_admin_sellers (sellers_admin_pages.c) builds. */
static const char *const admin_sellers_names[] = {
	"q", "sellers", "displayName", "slug", "email", "date", "items", "listed", "status",
	"action", "csrf", "isActive", "id", NULL
};

/* forgot.html: the model h_forgot_form, h_forgot (reset_pages.c) builds. */
static const char *const forgot_names[] = {
	"sent", "message", "error", "csrf", "email", NULL
};

/* password.html: the model h_password_form, h_password builds. */
static const char *const password_names[] = {
	"error", "message", "csrf", NULL
};

/* register.html: the model h_register_form, register_common builds. */
static const char *const register_names[] = {
	"error", "message", "csrf", "email", "name", "next", NULL
};

/* reset.html: the model h_reset_form, h_reset, invalid_page (reset_pages.c) builds. */
static const char *const reset_names[] = {
	"invalid", "message", "error", "csrf", "token", NULL
};

/* sell.html: the model sell_page (admin_pages.c) builds. */
static const char *const sell_names[] = {
	"error", "message", "isSeller", "seller", "displayName", "slug", "application", "isPending",
	"date", "contactEmail", "isRejected", "showForm", "form", "csrf", "status", NULL
};

/* signin.html: the model h_signin_form, h_signin builds. */
static const char *const signin_names[] = {
	"error", "message", "csrf", "next", "email", NULL
};

/* confirm_post.html: a form refused for its token, asked again (auth_pages.c). */
static const char *const confirm_post_names[] = {
	"action", "fields", "name", "value", "csrf", "back", "backIsHome", NULL
};

static const struct tmpl_page account_pages[] = {
	{ "account", account_names },
	{ "confirm_post", confirm_post_names },
	{ "address_edit", address_edit_names },
	{ "admin", admin_names },
	{ "admin_sellers", admin_sellers_names },
	{ "forgot", forgot_names },
	{ "password", password_names },
	{ "register", register_names },
	{ "reset", reset_names },
	{ "sell", sell_names },
	{ "signin", signin_names },
};

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
		rc = MODULE_EXIT_USAGE;
		goto out;
	}
	if (!(email = account_email(a, argv[1]))) {
		fprintf(stderr, "shopctl: '%s' is not a valid email address\n", argv[1]);
		rc = MODULE_EXIT_USAGE;
		goto out;
	}
	if (!name || !*name)
		name = "Administrator";
	if (module_open_db(&db))
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
		rc = MODULE_EXIT_USAGE;
		goto out;
	}
	if (!(email = account_email(a, argv[1]))) {
		fprintf(stderr, "shopctl: '%s' is not a valid email address\n", argv[1]);
		rc = MODULE_EXIT_USAGE;
		goto out;
	}
	if (module_open_db(&db))
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

static const struct module_command account_commands[] = {
	{ "create-admin", cmd_create_admin, "create-admin EMAIL",
	  "create an administrator (password: $SHOP_ADMIN_PASSWORD or stdin), or promote a user" },
	{ "grant", cmd_grant, "grant EMAIL seller|admin",
	  "give a role to an existing user (a seller also gets a seller profile)" },
};

static const struct module_job account_jobs[] = {
	{ "guests", guest_purge_batch, 60000 },	/* guest rows that never ordered */
};

const struct module account_module = {
	.name = "account",
	.init = account_module_init,
	.routes = account_routes,
	.nroutes = sizeof(account_routes) / sizeof(account_routes[0]),
	.templates = account_pages,
	.ntemplates = sizeof(account_pages) / sizeof(account_pages[0]),
	.commands = account_commands,
	.ncommands = sizeof(account_commands) / sizeof(account_commands[0]),
	.jobs = account_jobs,
	.njobs = sizeof(account_jobs) / sizeof(account_jobs[0]),
	.auth = auth_check,
	.wrote = session_note_write,	/* READ REPLICAS (issue 20) */
};
