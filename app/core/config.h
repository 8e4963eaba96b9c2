/* Configuration from the environment. Every variable has a default that points
 * at the embedded stack under $SHOP_HOME (default ./var), so the binaries work
 * with no configuration at all after `make run`; a deployment sets SHOP_DB_*,
 * SHOP_REDIS_* etc. to point at real servers. README.md lists them all. */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include "err.h"

struct config {
	const char *root;	/* SHOP_ROOT: project tree (templates/, static/); default "." */
	const char *home;	/* SHOP_HOME: run directory; default "$root/var" */
	const char *socket;	/* SHOP_SOCKET: FastCGI socket; default "$home/run/shopd.sock" */
	int workers;		/* SHOP_WORKERS: default 4 */
	int port;		/* SHOP_PORT: public port nginx listens on; default 8080 */
	const char *base_url;	/* SHOP_BASE_URL: default "http://127.0.0.1:$port" */
	const char *templates;	/* SHOP_TEMPLATES: default "$root/templates" */
	const char *static_dir;	/* SHOP_STATIC: default "$root/static" */
	const char *media_dir;	/* SHOP_MEDIA_DIR: product photos; default "$home/media" */
	const char *shop_name;	/* SHOP_NAME: the shop's name in the header and titles; default "Shop" */

	const char *db_host;	/* SHOP_DB_HOST: default NULL (use the socket) */
	int db_port;		/* SHOP_DB_PORT: default 3306 */
	const char *db_socket;	/* SHOP_DB_SOCKET: default "$home/run/mysqld.sock" */
	const char *db_user;	/* SHOP_DB_USER: default "root" */
	const char *db_password;/* SHOP_DB_PASSWORD: default "" */
	const char *db_name;	/* SHOP_DB_NAME: default "shop" */

	const char *redis_host;	/* SHOP_REDIS_HOST: default NULL (use the socket) */
	int redis_port;		/* SHOP_REDIS_PORT: default 6379 */
	const char *redis_socket;/* SHOP_REDIS_SOCKET: default "$home/run/redis.sock" */
	const char *redis_sentinels;/* SHOP_REDIS_SENTINELS: "host:port,host:port,..." of Redis
				 * Sentinels; default NULL (no Sentinel: redis_host or the socket) */
	const char *redis_master;/* SHOP_REDIS_MASTER: the primary's name at the sentinels; default "shop" */

	/* Several hosts (issue 20, docs/scaling.md). */
	const char *listen;	/* SHOP_LISTEN: a unix socket path or host:port (TCP); default SHOP_SOCKET's */
	const char *host_id;	/* SHOP_HOST_ID: this host's name in the job leases; default the hostname */
	int jobs;		/* SHOP_JOBS: 1 (default) the master keeps a jobs process; 0 it does not */
	int jobs_lease_ms;	/* SHOP_JOBS_LEASE_MS: a job lease's length; default 15000 */
	int jobs_procs;		/* SHOP_JOBS_PROCS: jobs processes the master keeps, the jobs dealt out among them */

	const char *secret_file;/* SHOP_SECRET_FILE: default "$home/secret" (created if missing) */
	unsigned char secret[32];	/* key for cursors and other signed tokens */
};

/* Fills *c from the environment; strings are malloc'd for the process lifetime.
 * Returns E_INVAL with a message on stderr for a malformed value. */
enum err config_load(struct config *c);

/* A module's numeric setting (SHOP_LOW_STOCK, SHOP_WEBHOOK_TIMEOUT_MS, ...):
 * def when the variable is unset or empty; a value that is not a whole
 * number from min to max is logged ("NAME=VALUE is not a number from MIN to
 * MAX; using DEF") and def is used, so a typo never stops a running shop. */
long long config_env_num(const char *name, long long def, long long min, long long max);

/* The process-wide configuration, valid after config_load(&config). */
extern struct config config;

#endif
