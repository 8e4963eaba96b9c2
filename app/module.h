/* The module descriptor, like nginx's ngx_module_t: each module of the shop
 * says in one struct what it brings (its statements' init, its routes, its
 * page templates and the names their models set, its background jobs, its
 * shopctl commands, the pipeline hooks it provides), and app/modules.c lists
 * the modules once, in dependency order. shopd, `shopd jobs` and shopctl walk
 * that list; nothing else names the modules one by one. */
#ifndef MODULE_H
#define MODULE_H

#include <stddef.h>
#include <jansson.h>
#include "core/err.h"
#include "http/router.h"
#include "view/tmpl.h"

struct arena;
struct ctx;
struct db;
struct kv;
struct event_consumer;	/* app/events/stream.h */

/* A periodic job of the jobs process (app/jobs.c). run does one bounded
 * batch: > 0 "there may be more, call again at once", 0 idle (wait
 * interval_ms), < 0 MariaDB or Redis unavailable (back off). */
struct module_job {
	const char *name;
	int (*run)(struct db *db, struct kv *kv, struct arena *a);
	unsigned interval_ms;
};

/* A shopctl subcommand. run gets the arguments from the command name on and
 * returns the exit status (0 ok, 1 failed, MODULE_EXIT_USAGE: shopctl prints
 * "usage: shopctl <usage>"). */
struct module_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *summary;
};

#define MODULE_EXIT_USAGE 2

struct module {
	const char *name;
	/* Registers the module's statements and reads its settings; called once
	 * per process, before any fork or connection, in the order of the
	 * modules array. It calls no other module's init. */
	void (*init)(void);
	/* Its entries of the route table, from its routes.inc; the table is
	 * these lists joined in the order of the modules array. */
	const struct route *routes;
	size_t nroutes;
	/* Its page templates, each with the names its view model sets. */
	const struct tmpl_page *templates;
	size_t ntemplates;
	const struct module_job *jobs;
	size_t njobs;
	const struct module_command *commands;
	size_t ncommands;
	/* Its consumers of the event stream (app/events/stream.h); the jobs
	 * process runs each as a job named after it. */
	const struct event_consumer *consumers;
	size_t nconsumers;
	/* Pipeline hooks (app/http/server.h); at most one module gives each. */
	int (*auth)(struct ctx *c, const char **why);
	void (*decorate)(struct ctx *c, json_t *model);
	int (*throttle)(struct ctx *c);
	void (*localize)(struct ctx *c, json_t *model);	/* CURRENCIES (issue 19): app/fx */
	void (*wrote)(struct ctx *c, const char *gtid);	/* READ REPLICAS (issue 20): app/account */
};

/* The modules in dependency order (app/modules.c), NULL-terminated. */
extern const struct module *const modules[];

/* Walks the modules: each init in order (every init is idempotent, so a
 * second call, in the jobs process or a test after it has set up its
 * environment, is harmless), then, the first time, the route table and the
 * page list (fatal at start: a route that could take another module's
 * requests, a page two modules claim). */
void modules_init(void);

/* The route table is router.h's routes/nroutes: every module's routes
 * joined (app/routes.c), valid after modules_init. */
void routes_build(void);
/* 1 when some path matches both route patterns. */
int routes_overlap(const char *a, const char *b);

/* Every module's page templates (no init needed). */
const struct tmpl_page *modules_pages(size_t *n);

/* The pipeline's hooks from the modules (calls modules_init). */
struct http_hooks;
void modules_http_hooks(struct http_hooks *h);

/* For commands: connects to the configured database, or says why on stderr. */
enum err module_open_db(struct db **db);

#endif
