/* Configuration from the environment with embedded-stack defaults. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>
#include "config.h"
#include "log.h"

struct config config;

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s%s", a, b);
	return p;
}

static int env_int(const char *name, int def, int min, int max, int *out)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v) {
		*out = def;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max) {
		fprintf(stderr, "config: %s=%s: must be a whole number from %d to %d\n",
			name, v, min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* The secret keys cursors and other signed tokens. It is created once with
 * O_EXCL so concurrently starting processes agree on one key. */
static enum err load_secret(struct config *c)
{
	const char *env = getenv("SHOP_SECRET");
	unsigned char raw[32];
	ssize_t n;
	int fd;

	if (env && *env) {
		crypto_generichash(c->secret, sizeof(c->secret),
				   (const unsigned char *)env, strlen(env), NULL, 0);
		return E_OK;
	}
	/* A fresh checkout has no run directory yet. */
	{
		char dir[4096], *slash;

		snprintf(dir, sizeof(dir), "%s", c->secret_file);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			mkdir(dir, 0700);
		}
	}
	fd = open(c->secret_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		randombytes_buf(raw, sizeof(raw));
		n = write(fd, raw, sizeof(raw));
		close(fd);
		if (n != (ssize_t)sizeof(raw))
			goto fail;
	}
	fd = open(c->secret_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	n = read(fd, c->secret, sizeof(c->secret));
	close(fd);
	if (n != (ssize_t)sizeof(c->secret))
		goto fail;
	return E_OK;
fail:
	fprintf(stderr, "config: cannot read or create the secret file %s: %s\n",
		c->secret_file, strerror(errno));
	return E_IO;
}

/* "host:port,host:port,...": every entry a nonempty host, a colon and a
 * port from 1 to 65535 (the last colon splits, as kv.c does). */
static int host_ports_ok(const char *list)
{
	const char *p = list;

	for (;;) {
		const char *end = strchr(p, ','), *colon;
		size_t n = end ? (size_t)(end - p) : strlen(p);
		long port = 0;
		size_t i;

		colon = NULL;
		for (i = 0; i < n; i++)
			if (p[i] == ':')
				colon = p + i;
		if (!colon || colon == p || colon + 1 == p + n || p + n - colon > 6)
			return 0;
		for (const char *d = colon + 1; d < p + n; d++) {
			if (*d < '0' || *d > '9')
				return 0;
			port = port * 10 + (*d - '0');
		}
		if (port < 1 || port > 65535)
			return 0;
		if (!end)
			return 1;
		p = end + 1;
	}
}

enum err config_load(struct config *c)
{
	char cwd[PATH_MAX];
	char *def;

	if (sodium_init() < 0)
		return E_INTERNAL;
	memset(c, 0, sizeof(*c));
	if (!getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, ".");
	c->root = strdup(env_or("SHOP_ROOT", cwd));
	def = join(c->root, "/var");
	c->home = strdup(env_or("SHOP_HOME", def));
	free(def);
	if (env_int("SHOP_WORKERS", 4, 1, 256, &c->workers) ||
	    env_int("SHOP_PORT", 8080, 1, 65535, &c->port) ||
	    env_int("SHOP_DB_PORT", 3306, 1, 65535, &c->db_port) ||
	    env_int("SHOP_REDIS_PORT", 6379, 1, 65535, &c->redis_port) ||
	    env_int("SHOP_JOBS", 1, 0, 1, &c->jobs) ||
	    env_int("SHOP_JOBS_LEASE_MS", 15000, 300, 3600000, &c->jobs_lease_ms) ||
	    env_int("SHOP_JOBS_PROCS", 2, 1, 16, &c->jobs_procs))
		return E_INVAL;

#define PATHVAR(field, var, suffix, base) do { \
		char *d_ = join(base, suffix); \
		c->field = strdup(env_or(var, d_)); \
		free(d_); \
	} while (0)
	PATHVAR(socket, "SHOP_SOCKET", "/run/shopd.sock", c->home);
	PATHVAR(templates, "SHOP_TEMPLATES", "/templates", c->root);
	PATHVAR(static_dir, "SHOP_STATIC", "/static", c->root);
	PATHVAR(db_socket, "SHOP_DB_SOCKET", "/run/mysqld.sock", c->home);
	PATHVAR(redis_socket, "SHOP_REDIS_SOCKET", "/run/redis.sock", c->home);
	PATHVAR(secret_file, "SHOP_SECRET_FILE", "/secret", c->home);
	PATHVAR(media_dir, "SHOP_MEDIA_DIR", "/media", c->home);
#undef PATHVAR
	/* SHOP_LISTEN: where shopd listens, a path or host:port (libfcgi's
	 * FCGX_OpenSocket reads a name with a colon as TCP); unset, the
	 * socket of SHOP_SOCKET, as before. */
	c->listen = strdup(env_or("SHOP_LISTEN", c->socket));
	{
		char host[256] = "";

		if (gethostname(host, sizeof(host) - 1) || !host[0])
			strcpy(host, "localhost");
		c->host_id = strndup(env_or("SHOP_HOST_ID", host), 63);
	}
	{
		char url[64];

		snprintf(url, sizeof(url), "http://127.0.0.1:%d", c->port);
		c->base_url = strdup(env_or("SHOP_BASE_URL", url));
	}
	c->shop_name = strdup(env_or("SHOP_NAME", "Shop"));
	c->db_host = getenv("SHOP_DB_HOST") && *getenv("SHOP_DB_HOST") ? strdup(getenv("SHOP_DB_HOST")) : NULL;
	c->db_user = strdup(env_or("SHOP_DB_USER", "root"));
	c->db_password = strdup(env_or("SHOP_DB_PASSWORD", ""));
	c->db_name = strdup(env_or("SHOP_DB_NAME", "shop"));
	c->redis_host = getenv("SHOP_REDIS_HOST") && *getenv("SHOP_REDIS_HOST") ? strdup(getenv("SHOP_REDIS_HOST")) : NULL;
	c->redis_sentinels = getenv("SHOP_REDIS_SENTINELS") && *getenv("SHOP_REDIS_SENTINELS") ?
		strdup(getenv("SHOP_REDIS_SENTINELS")) : NULL;
	c->redis_master = strdup(env_or("SHOP_REDIS_MASTER", "shop"));
	if (c->redis_sentinels && !host_ports_ok(c->redis_sentinels)) {
		fprintf(stderr, "config: SHOP_REDIS_SENTINELS=%s is not a list of host:port (e.g. "
			"127.0.0.1:26379,127.0.0.1:26380)\n", c->redis_sentinels);
		return E_INVAL;
	}
	return load_secret(c);
}

long long config_env_num(const char *name, long long def, long long min, long long max)
{
	const char *v = getenv(name);
	char *end;
	long long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || *end || n < min || n > max) {
		log_warn("config: %s=%s is not a number from %lld to %lld; using %lld", name, v, min, max, def);
		return def;
	}
	return n;
}
