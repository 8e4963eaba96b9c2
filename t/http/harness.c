#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <sodium.h>
#include <mysql.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "../../app/core/arena.h"
#include "../../app/core/config.h"
#include "../../app/store/db.h"
#include "../../app/catalog/catalog.h"
#include "../../app/inventory/inventory.h"
#include "../../app/module.h"

static struct db_sql resync_ids = { "SELECT id FROM products", 0 };
static void register_resync(void) __attribute__((constructor));
static void register_resync(void)
{
	db_register(&resync_ids, 1);
}

static const char *base, *home;
static MYSQL *my;

void harness_init(void)
{
	base = getenv("SHOP_TEST_BASE");
	home = getenv("SHOP_HOME");
	if (!base || !home) {
		fprintf(stderr, "harness: SHOP_TEST_BASE and SHOP_HOME must be set (run through scripts/run-tests)\n");
		exit(2);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	routes_build();	/* routes/nroutes: the table the suites walk */
}

const char *base_url(void) { return base; }

struct sink { char *p; size_t len; };

static size_t sink_write(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t add = size * n;
	char *np = realloc(s->p, s->len + add + 1);

	if (!np)
		return 0;
	memcpy(np + s->len, p, add);
	s->len += add;
	np[s->len] = '\0';
	s->p = np;
	return add;
}

/* Keeps only the header block of the last response (after redirects or
 * 100-continue). */
static size_t header_write(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;

	if (n * size >= 5 && !strncmp(p, "HTTP/", 5))
		s->len = 0;
	return sink_write(p, size, n, ud);
}

struct hresp *http_url(const char *method, const char *url, const char *body,
		       const char *const *extra, int *curl_code)
{
	struct hresp *r = calloc(1, sizeof(*r));
	struct sink b = {0}, h = {0};
	struct curl_slist *hl = NULL;
	CURL *c = curl_easy_init();
	CURLcode cc;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	for (int i = 0; extra && extra[i]; i++)
		hl = curl_slist_append(hl, extra[i]);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_write);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, NULL);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (curl_code)
		*curl_code = (int)cc;
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	r->body = b.p ? b.p : strdup("");
	r->len = b.len;
	r->headers = h.p ? h.p : strdup("");
	return r;
}

struct hresp *http(const char *method, const char *path, const char *body,
		   const char *const *extra)
{
	char url[4096];

	snprintf(url, sizeof(url), "%s%s", base, path);
	return http_url(method, url, body, extra, NULL);
}

struct hresp *http_get(const char *path)
{
	return http("GET", path, NULL, NULL);
}

struct hresp *http_get_json(const char *path)
{
	static const char *const h[] = { "Accept: application/json", NULL };

	return http("GET", path, NULL, h);
}

void hresp_free(struct hresp *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->headers);
	free(r);
}

const char *hresp_header(const struct hresp *r, const char *name)
{
	static char val[4096];
	size_t n = strlen(name);
	const char *p = r->headers;

	while (p && *p) {
		const char *eol = strstr(p, "\r\n");

		if (!eol)
			break;
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			const char *v = p + n + 1;

			while (*v == ' ')
				v++;
			snprintf(val, sizeof(val), "%.*s", (int)(eol - v), v);
			return val;
		}
		p = eol + 2;
	}
	return NULL;
}

json_t *hresp_json(const struct hresp *r)
{
	return json_loadb(r->body, r->len, 0, NULL);
}

long raw_request(const char *bytes)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *port = strrchr(base, ':');
	char buf[256] = "";
	long status = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;

	sa.sin_port = htons((unsigned short)atoi(port + 1));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    write(fd, bytes, strlen(bytes)) == (ssize_t)strlen(bytes) &&
	    (n = read(fd, buf, sizeof(buf) - 1)) > 12) {
		buf[n] = '\0';
		status = strtol(buf + 9, NULL, 10);
	}
	close(fd);
	return status;
}

static MYSQL *db(void)
{
	char sock[4096];

	if (my && mysql_ping(my) == 0)
		return my;
	if (my)
		mysql_close(my);
	my = mysql_init(NULL);
	snprintf(sock, sizeof(sock), "%s/run/mysqld.sock", home);
	if (!mysql_real_connect(my, NULL, "root", "", getenv("SHOP_DB_NAME") ? getenv("SHOP_DB_NAME") : "shop",
				0, sock, 0)) {
		fprintf(stderr, "harness: cannot connect to MariaDB: %s\n", mysql_error(my));
		mysql_close(my);
		my = NULL;
	}
	return my;
}

long long sql_scalar(const char *sql)
{
	MYSQL *m = db();
	MYSQL_RES *res;
	MYSQL_ROW row;
	long long v = -1;

	ck_assert_msg(m != NULL, "SQL failed (no connection to MariaDB): %s", sql);
	ck_assert_msg(mysql_query(m, sql) == 0, "SQL failed: %s: %s", sql, mysql_error(m));
	res = mysql_store_result(m);
	ck_assert_msg(res != NULL || mysql_field_count(m) == 0, "SQL failed: %s: %s", sql, mysql_error(m));
	if (res && (row = mysql_fetch_row(res)) && row[0])
		v = strtoll(row[0], NULL, 10);
	mysql_free_result(res);
	return v;
}

int sql_text(const char *sql, char *out, size_t n)
{
	MYSQL *m = db();
	MYSQL_RES *res;
	MYSQL_ROW row;
	int found = 0;

	ck_assert_msg(m != NULL, "SQL failed (no connection to MariaDB): %s", sql);
	ck_assert_msg(mysql_query(m, sql) == 0, "SQL failed: %s: %s", sql, mysql_error(m));
	res = mysql_store_result(m);
	out[0] = '\0';
	if (res && (row = mysql_fetch_row(res)) && row[0]) {
		snprintf(out, n, "%s", row[0]);
		found = 1;
	}
	mysql_free_result(res);
	return found;
}

int sql_exec(const char *sql)
{
	MYSQL *m = db();
	int rc;

	ck_assert_msg(m != NULL, "SQL failed (no connection to MariaDB): %s", sql);
	/* A test's own write can meet the shop's jobs on the same rows (the
	 * sales job on a sale a test ends): a deadlock or lock wait timeout
	 * (1213, 1205) is tried again, as the shop's db_tx does. */
	for (int i = 0; (rc = mysql_query(m, sql)) && i < 5 &&
	     (mysql_errno(m) == 1213 || mysql_errno(m) == 1205); i++)
		usleep(20000 * (i + 1));
	ck_assert_msg(rc == 0, "SQL failed: %s: %s", sql, mysql_error(m));
	return 0;
}

unsigned sql_errno(const char *sql)
{
	MYSQL *m = db();
	MYSQL_RES *res;

	ck_assert_msg(m != NULL, "no connection to MariaDB for: %s", sql);
	if (mysql_query(m, sql))
		return mysql_errno(m);
	res = mysql_store_result(m);
	mysql_free_result(res);
	return 0;
}

/* The shop's own database handle (libshop's db module), for the helpers that
 * go through the shop's code. */
static struct db *app_db(struct arena **a_out)
{
	static struct db *d;
	static struct arena *a;

	if (!d) {
		ck_assert_msg(config_load(&config) == 0, "harness: cannot load the shop's configuration");
		ck_assert_msg((a = arena_new(64 * 1024)) != NULL, "harness: out of memory");
		modules_init();	/* every module's statements */
		ck_assert_msg(db_open(&d) == 0, "harness: the shop's db module cannot connect");
	}
	*a_out = a;
	return d;
}

void resync_read_model(void)
{
	struct arena *a;
	struct db *d = app_db(&a);
	struct db_res *r = NULL;
	enum err e;

	ck_assert_msg((e = db_exec(d, a, &resync_ids, &r, "")) == E_OK,
		      "resync_read_model: SELECT id FROM products failed (%d, MariaDB error %u)", (int)e, db_errno(d));
	for (size_t i = 0; i < r->nrows; i++) {
		long long id = db_int(r, i, 0);

		e = catalog_refresh_digest(d, a, id);
		ck_assert_msg(e == E_OK, "resync_read_model: product %lld failed (%d, MariaDB error %u)",
			      id, (int)e, db_errno(d));
	}
	arena_reset(a);
}

void set_stock_id(long long sku_id, int warehouse, long long n, const char *reason)
{
	struct arena *a;
	struct db *d = app_db(&a);
	struct stock_change ch = {0};
	enum err e;

	ch.sku_id = sku_id;
	ch.product_id = sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", sku_id);
	ck_assert_msg(ch.product_id > 0, "set_stock: no SKU %lld", sku_id);
	ch.seller_id = sql_scalarf("SELECT seller_id FROM products WHERE id = %lld", (long long)ch.product_id);
	ch.warehouse_id = warehouse;
	ch.is_set = 1;
	ch.value = n;
	ch.reason = reason;
	ch.actor = "test";
	e = inventory_change(d, a, &ch);
	ck_assert_msg(e == E_OK, "set_stock: SKU %lld warehouse %d to %lld refused (%d, MariaDB error %u)",
		      sku_id, warehouse, n, (int)e, db_errno(d));
	arena_reset(a);
}

void set_stock_only(long long sku_id, int warehouse, long long n, const char *reason)
{
	long long last = sql_scalar("SELECT MAX(id) FROM warehouses");

	for (long long w = 1; w <= last; w++)
		if (w == warehouse)
			set_stock_id(sku_id, warehouse, n, reason);
		else if (sql_scalarf("SELECT COUNT(*) FROM inventory WHERE sku_id = %lld AND warehouse_id = %lld",
				     sku_id, w) > 0)
			set_stock_id(sku_id, (int)w, 0, reason);
}

void search_settled(void)
{
	for (int i = 0; i < 300; i++) {
		if (sql_scalar("SELECT (SELECT position FROM event_consumers WHERE name = 'search-index') >= "
			       "(SELECT seq FROM event_relay WHERE id = 1) "
			       "AND NOT EXISTS (SELECT 1 FROM outbox WHERE seq IS NULL)") == 1)
			return;
		usleep(50 * 1000);
	}
	ck_abort_msg("the search indexer did not catch up in 15 s");
}

void set_stock(const char *sku, int warehouse, long long n, const char *reason)
{
	MYSQL *m = db();
	char code[200];
	long long id;

	ck_assert_msg(m != NULL, "set_stock: no connection to MariaDB");
	mysql_real_escape_string(m, code, sku, strlen(sku) < 90 ? strlen(sku) : 90);
	id = sql_scalarf("SELECT id FROM skus WHERE code = '%s'", code);
	ck_assert_msg(id > 0, "set_stock: no SKU %s", sku);
	set_stock_id(id, warehouse, n, reason);
}

int stack_cmd(const char *cmd)
{
	char line[4096];
	const char *root = getenv("SHOP_ROOT");

	snprintf(line, sizeof(line), "%s/scripts/stack %s >/dev/null", root ? root : ".", cmd);
	return system(line);
}

int wait_status(const char *path, long status, int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		struct hresp *r = http_get(path);
		long got = r->status;

		hresp_free(r);
		if (got == status)
			return 1;
		usleep(100000);
	}
	return 0;
}

static int ncases;

void harness_add_test(TCase *tc, const TTest *tt, int sig, int allowed_exit, int start, int end)
{
	const char *only = getenv("HARNESS_ONLY");

	/* A developer's aid (never set by scripts/run-tests): run by hand
	 * with HARNESS_ONLY=name, a binary runs only that test. */
	if (only && *only && strcmp(only, tt->name))
		return;
	ncases += end > start ? end - start : 0;
	(_tcase_add_test)(tc, tt, sig, allowed_exit, start, end);
}

int run_suite(Suite *s)
{
	SRunner *sr;
	int failed;

	/* Nothing from the caller's environment picks or skips cases, or
	 * changes the mode: every case runs, in order, in this process. */
	for (char **e = environ; e && *e;) {
		if (!strncmp(*e, "CK_", 3)) {
			char name[128];

			snprintf(name, sizeof(name), "%.*s", (int)strcspn(*e, "="), *e);
			unsetenv(name);
			e = environ;	/* unsetenv moved the entries */
			continue;
		}
		e++;
	}
	sr = srunner_create(s);
	/* No fork: tests share the stack and run in order (some keep state in
	 * statics from one case to the next). A crash or a hang therefore ends
	 * the binary: the count printed first and the TAP lines let run-tests
	 * count every case that did not report as failed. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_set_tap(sr, "-");
	/* A developer's aid: each case's duration in Check's XML log. */
	if (getenv("HARNESS_XML"))
		srunner_set_xml(sr, getenv("HARNESS_XML"));
	printf("harness: %d test cases\n", ncases);
	fflush(stdout);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

static void take_cookie(struct client *cl, const struct hresp *r)
{
	const char *sc = hresp_header(r, "Set-Cookie");
	const char *semi;

	if (!sc)
		return;
	semi = strchr(sc, ';');
	snprintf(cl->cookie, sizeof(cl->cookie), "%.*s", (int)(semi ? semi - sc : (long)strlen(sc)), sc);
	if (!strcmp(cl->cookie, "sid="))
		cl->cookie[0] = '\0';
}

struct hresp *client_req(struct client *cl, const char *method, const char *path,
			 const char *body, int with_csrf)
{
	char cookie[300], token[200];
	const char *h[5];
	int n = 0;
	struct hresp *r;

	h[n++] = body && body[0] == '{' ? "Content-Type: application/json" :
		 "Content-Type: application/x-www-form-urlencoded";
	if (cl->cookie[0]) {
		snprintf(cookie, sizeof(cookie), "Cookie: %s", cl->cookie);
		h[n++] = cookie;
	}
	if (with_csrf) {
		snprintf(token, sizeof(token), "X-CSRF-Token: %s", cl->csrf);
		h[n++] = token;
	}
	h[n++] = "Accept: application/json";
	h[n] = NULL;
	r = http(method, path, body, h);
	take_cookie(cl, r);
	return r;
}

static void take_token(struct client *cl, const struct hresp *r)
{
	json_t *j = hresp_json(r);
	const char *t = j ? json_string_value(json_object_get(j, "csrfToken")) : NULL;

	if (t)
		snprintf(cl->csrf, sizeof(cl->csrf), "%s", t);
	json_decref(j);
}

int client_session(struct client *cl)
{
	struct hresp *r = client_req(cl, "GET", "/api/session", NULL, 0);
	int ok = r->status == 200;

	take_token(cl, r);
	hresp_free(r);
	return ok ? 0 : -1;
}

int client_signin(struct client *cl, const char *email, const char *password)
{
	char body[1024];
	struct hresp *r;
	int ok;

	if (!cl->csrf[0] && client_session(cl))
		return -1;
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
	r = client_req(cl, "POST", "/api/session", body, 1);
	ok = r->status == 200;
	if (ok)
		take_token(cl, r);
	hresp_free(r);
	return ok ? 0 : -1;
}

int client_signup(struct client *cl, const char *name, const char *email, const char *password)
{
	char body[1024];
	struct hresp *r;
	int ok;

	if (!cl->csrf[0] && client_session(cl))
		return -1;
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"email\":\"%s\",\"password\":\"%s\"}", name, email, password);
	r = client_req(cl, "POST", "/api/users", body, 1);
	ok = r->status == 201;
	hresp_free(r);
	return ok ? client_signin(cl, email, password) : -1;
}

struct hresp *client_browse(struct client *cl, const char *method, const char *path, const char *form)
{
	char cookie[300];
	const char *h[4];
	int n = 0;
	struct hresp *r;

	if (form)
		h[n++] = "Content-Type: application/x-www-form-urlencoded";
	if (cl->cookie[0]) {
		snprintf(cookie, sizeof(cookie), "Cookie: %s", cl->cookie);
		h[n++] = cookie;
	}
	h[n++] = "Accept: text/html";
	h[n] = NULL;
	r = http(method, path, form, h);
	take_cookie(cl, r);
	return r;
}

const char *fresh_email(const char *tag)
{
	static char e[128];
	static int seq;

	snprintf(e, sizeof(e), "%s%d.%d@example.com", tag, (int)getpid(), ++seq);
	return e;
}

void redis_cmd(const char *cmd)
{
	char line[4096];

	snprintf(line, sizeof(line), "redis-cli -s %s/run/redis.sock %s >/dev/null", home, cmd);
	ck_assert_int_eq(system(line), 0);
}

void clear_ip_throttles(void)
{
	redis_cmd("DEL t:reg:ip:127.0.0.1 t:login:ip:127.0.0.1 t:reset:ip:127.0.0.1");
}

long long sql_scalarf(const char *fmt, ...)
{
	char q[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	return sql_scalar(q);
}

void sql_execf(const char *fmt, ...)
{
	char q[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	ck_assert_msg(sql_exec(q) == 0, "SQL failed: %s", q);
}

int shopctl_run(const char *env, const char *input, const char *args)
{
	char bin[2048], in[600], line[4096];
	int st;

	if (getenv("SHOP_BIN") && *getenv("SHOP_BIN"))
		snprintf(bin, sizeof(bin), "%s/shopctl", getenv("SHOP_BIN"));
	else
		snprintf(bin, sizeof(bin), "%s/bin/shopctl", getenv("SHOP_ROOT") ? getenv("SHOP_ROOT") : ".");
	if (input)
		snprintf(in, sizeof(in), "printf '%%s\\n' '%s' |", input);
	else
		in[0] = '\0';
	/* Its output goes where scripts/stack puts shopctl's: the stack's
	 * log/shopctl.log, which run-tests searches for sanitizer reports. */
	snprintf(line, sizeof(line), "%s %s %s %s %s >>'%s/log/shopctl.log' 2>&1", in, env ? env : "", bin, args,
		 input ? "" : "</dev/null", home);
	st = system(line);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

long long seller_item_like(struct client *cl, const char *tag, const char *prefix, char *code, size_t n,
			   long long *pid_out)
{
	long long sid = seller_new(cl, tag, NULL), pid;
	char q[600], cat[80], attrs[1024], body[1800];
	struct hresp *r;
	json_t *j;

	snprintf(q, sizeof(q), "SELECT c.slug FROM skus s JOIN products p ON p.id = s.product_id JOIN categories c "
		 "ON c.id = p.category_id WHERE s.code LIKE '%s%%' ORDER BY s.id LIMIT 1", prefix);
	ck_assert_msg(sql_text(q, cat, sizeof(cat)), "no %s* product to take the category of", prefix);
	/* The category's required attributes: a choice's first, a number 1, a
	 * text "Test". */
	snprintf(q, sizeof(q), "SELECT JSON_OBJECTAGG(name, JSON_EXTRACT(CASE kind WHEN 'choice' THEN "
		 "JSON_EXTRACT(choices, '$[0]') WHEN 'number' THEN '1' ELSE '\"Test\"' END, '$')) "
		 "FROM category_attributes WHERE category_slug = '%s' AND required = 1", cat);
	if (!sql_text(q, attrs, sizeof(attrs)))
		snprintf(attrs, sizeof(attrs), "{}");
	snprintf(body, sizeof(body), "{\"name\":\"%s item %d %u\",\"description\":\"An item of the %s tests, "
		 "in the category of the demo's %s* products.\",\"price\":4999,\"quantity\":50,\"category\":\"%s\","
		 "\"attributes\":%s}", tag, (int)getpid(), randombytes_random() % 100000, tag, prefix, cat, attrs);
	r = client_req(cl, "POST", "/api/items", body, 1);
	ck_assert_msg(r->status == 201, "item for %s: %ld %s", tag, r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	snprintf(code, n, "%s", json_string_value(json_object_get(json_array_get(json_object_get(j, "skus"), 0), "code")));
	pid = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	ck_assert_msg(code[0] && pid > 0, "item for %s: no SKU code or id", tag);
	if (pid_out)
		*pid_out = pid;
	return sid;
}

long long seller_new(struct client *cl, const char *tag, long long *uid_out)
{
	char email[128], args[256];
	long long uid, sid;

	clear_ip_throttles();	/* a test may make many accounts */
	memset(cl, 0, sizeof(*cl));
	snprintf(email, sizeof(email), "%s", fresh_email(tag));
	ck_assert_int_eq(client_signup(cl, "Sam Seller", email, "correct horse battery"), 0);
	snprintf(args, sizeof(args), "grant %s seller", email);
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
	/* The role change gives the session a new id on its next request:
	 * take the new cookie and token now. */
	ck_assert_int_eq(client_session(cl), 0);
	uid = sql_scalarf("SELECT id FROM users WHERE email = '%s'", email);
	sid = sql_scalarf("SELECT id FROM sellers WHERE user_id = %lld", uid);
	ck_assert_int_gt(sid, 0);
	if (uid_out)
		*uid_out = uid;
	return sid;
}

void sign_header(char *out, size_t n, const char *name, const char *secret, long long t, const char *body)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * sizeof(mac) + 1], ts[32];
	crypto_auth_hmacsha256_state st;

	snprintf(ts, sizeof(ts), "%lld", t);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, n, "%s: t=%s,v1=%s", name, ts, hex);
}

/* ---- the payment sandbox ---- */

static char pg_base[128], pg_key[128];

void file_trimmed(const char *path, char *out, size_t n)
{
	FILE *f = fopen(path, "r");
	size_t k;

	ck_assert_msg(f != NULL, "cannot read %s", path);
	k = fread(out, 1, n - 1, f);
	fclose(f);
	while (k && (out[k - 1] == '\n' || out[k - 1] == '\r' || out[k - 1] == ' '))
		k--;
	out[k] = '\0';
}

static void pg_read(const char *name, char *out, size_t n)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", home, name);
	file_trimmed(path, out, n);
}

static void pg_init(void)
{
	char port[16];

	if (pg_key[0])
		return;
	pg_read("run/paygate.port", port, sizeof(port));
	snprintf(pg_base, sizeof(pg_base), "http://127.0.0.1:%s", port);
	pg_read("paygate/api-key", pg_key, sizeof(pg_key));
}

struct hresp *paygate_req(const char *method, const char *path, const char *body, const char *idem)
{
	char auth[200], url[512], key[300];
	const char *h[] = { auth, "Content-Type: application/json", idem ? key : NULL, NULL };

	pg_init();
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", pg_key);
	snprintf(url, sizeof(url), "%s%s", pg_base, path);
	snprintf(key, sizeof(key), "Idempotency-Key: %s", idem ? idem : "");
	return http_url(method, url, body, h, NULL);
}

void paygate_faults(const char *json)
{
	struct hresp *r = paygate_req("POST", "/v1/test/faults", json, NULL);

	ck_assert_msg(r->status == 200, "faults: %ld %s", r->status, r->body);
	hresp_free(r);
}

void paygate_status(const char *intent, char *out, size_t n)
{
	char path[160];
	struct hresp *r;
	json_t *j;

	snprintf(path, sizeof(path), "/v1/payment_intents/%s", intent);
	r = paygate_req("GET", path, NULL, NULL);
	j = hresp_json(r);
	snprintf(out, n, "%s", r->status == 200 ? json_string_value(json_object_get(j, "status")) : "");
	json_decref(j);
	hresp_free(r);
}

void paygate_authorize(long long amount, long long order_id, char *out, size_t n)
{
	char body[400], meta[80] = "";
	struct hresp *r;
	json_t *j;

	if (order_id)
		snprintf(meta, sizeof(meta), ",\"metadata\":{\"order_id\":\"%lld\"}", order_id);
	snprintf(body, sizeof(body), "{\"amount\":%lld,\"currency\":\"usd\",\"capture_method\":\"manual\","
		 "\"payment_method\":\"pm_card_visa\",\"confirm\":true%s}", amount, meta);
	r = paygate_req("POST", "/v1/payment_intents", body, NULL);
	ck_assert_msg(r->status == 200, "authorize: %ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "requires_capture");
	snprintf(out, n, "%s", json_string_value(json_object_get(j, "id")));
	json_decref(j);
	hresp_free(r);
}

const char *paygate_env(void)
{
	static char env[1200];

	pg_init();
	snprintf(env, sizeof(env), "SHOP_PAYGATE_URL=%s SHOP_PAYGATE_KEY_FILE='%s/paygate/api-key'", pg_base, home);
	return env;
}

void paygate_setenv(void)
{
	char key[1100];

	pg_init();
	snprintf(key, sizeof(key), "%s/paygate/api-key", home);
	setenv("SHOP_PAYGATE_URL", pg_base, 1);
	setenv("SHOP_PAYGATE_KEY_FILE", key, 1);
}

/* ---- buying ---- */

long long buyer_new(struct client *cl, const char *tag, char *email, size_t n)
{
	char e[160];

	memset(cl, 0, sizeof(*cl));
	snprintf(e, sizeof(e), "%s", fresh_email(tag));
	ck_assert_int_eq(client_signup(cl, "Ann Buyer", e, "correct horse battery"), 0);
	if (email)
		snprintf(email, n, "%s", e);
	return sql_scalarf("SELECT id FROM users WHERE email = '%s'", e);
}

void cart_put(struct client *cl, const char *code, int q)
{
	char body[200];
	struct hresp *r;

	snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":%d}", code, q);
	r = client_req(cl, "PATCH", "/api/cart", body, 1);
	ck_assert_msg(r->status == 200, "PATCH /api/cart %s: %ld %s", code, r->status, r->body);
	hresp_free(r);
}

long long checkout_amount(struct client *cl)
{
	struct hresp *r = client_req(cl, "POST", "/api/checkout/quote", "{" TEST_ADDR ",\"shippingMethod\":\"standard\"}", 1);
	json_t *j = hresp_json(r);
	long long a;

	ck_assert_msg(r->status == 200, "quote: %ld %s", r->status, r->body);
	a = json_integer_value(json_object_get(j, "amount"));
	json_decref(j);
	hresp_free(r);
	return a;
}

struct hresp *post_idem(struct client *cl, const char *path, const char *body, const char *key,
			const char *extra_header)
{
	char cookie[300], token[200], idem[300];
	const char *h[7];
	int n = 0;

	snprintf(cookie, sizeof(cookie), "Cookie: %s", cl->cookie);
	snprintf(token, sizeof(token), "X-CSRF-Token: %s", cl->csrf);
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", key ? key : "");
	h[n++] = "Content-Type: application/json";
	h[n++] = "Accept: application/json";
	h[n++] = cookie;
	h[n++] = token;
	if (key)
		h[n++] = idem;
	if (extra_header)
		h[n++] = extra_header;
	h[n] = NULL;
	return http("POST", path, body ? body : "{}", h);
}

long long sku_pick(const char *prefix, int min_available, char *code, size_t n)
{
	char path[100];
	long long id = sql_scalarf("SELECT MIN(s.id) FROM skus s JOIN products p ON p.id = s.product_id "
				   "WHERE s.code LIKE '%s%%' AND s.status = 'active' AND p.status = 'active' AND "
				   "(SELECT SUM(i.available) FROM inventory i WHERE i.sku_id = s.id) >= %d", prefix, min_available);
	struct hresp *r;
	json_t *j;

	ck_assert_msg(id > 0, "no %s* SKU with %d units", prefix, min_available);
	/* The item's own first SKU, the one its page and cart name. */
	snprintf(path, sizeof(path), "/api/items/%lld", sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", id));
	r = http_get_json(path);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	snprintf(code, n, "%s", json_string_value(json_object_get(j, "sku")));
	json_decref(j);
	hresp_free(r);
	return sql_scalarf("SELECT id FROM skus WHERE code = '%s'", code);
}

void stock_invariants(const char *when)
{
	long long n;

	n = sql_scalar("SELECT COUNT(*) FROM inventory i WHERE i.reserved <> (SELECT COALESCE(SUM(h.quantity), 0) "
		       "FROM holds h WHERE h.sku_id = i.sku_id AND h.warehouse_id = i.warehouse_id AND h.state = 'held' AND h.sale_id IS NULL) "
		       "OR i.committed <> (SELECT COALESCE(SUM(h.quantity), 0) FROM holds h WHERE h.sku_id = i.sku_id "
		       "AND h.warehouse_id = i.warehouse_id AND h.state = 'committed' AND h.sale_id IS NULL)");
	ck_assert_msg(n == 0, "%s: %lld inventory rows disagree with their holds", when, n);
	n = sql_scalar("SELECT COUNT(*) FROM inventory i WHERE (SELECT COALESCE(SUM(m.delta), 0) FROM stock_movements m "
		       "WHERE m.sku_id = i.sku_id AND m.warehouse_id = i.warehouse_id) <> i.available + i.reserved + "
		       "i.committed + (SELECT COALESCE(SUM(h.quantity), 0) FROM holds h WHERE h.sku_id = i.sku_id "
		       "AND h.warehouse_id = i.warehouse_id AND h.state = 'shipped') "
		       /* ARCHIVE: shipped holds of archived orders (app/archive). */
		       "+ (SELECT COALESCE(SUM(h.quantity), 0) FROM holds_archive h WHERE h.sku_id = i.sku_id "
		       "AND h.warehouse_id = i.warehouse_id AND h.state = 'shipped') + (SELECT COALESCE(SUM(s.available + "
		       "s.reserved + s.committed), 0) FROM stock_shards s WHERE s.sku_id = i.sku_id "
		       "AND s.warehouse_id = i.warehouse_id)");
	ck_assert_msg(n == 0, "%s: %lld inventory rows not conserved", when, n);
	n = sql_scalar("SELECT COUNT(*) FROM holds h JOIN orders o ON o.id = h.order_id WHERE h.state = 'held' "
		       "AND o.status NOT IN ('pending_payment', 'payment_failed')");
	ck_assert_msg(n == 0, "%s: %lld units held for orders that do not wait", when, n);
	n = sql_scalar("SELECT COUNT(*) FROM holds h JOIN orders o ON o.id = h.order_id WHERE h.state = 'committed' "
		       "AND o.status NOT IN ('confirmed', 'fulfilling', 'shipped', 'delivered')");
	ck_assert_msg(n == 0, "%s: %lld units committed to orders that are not paid", when, n);
	n = sql_scalar("SELECT COUNT(*) FROM orders o WHERE o.status IN ('pending_payment', 'payment_failed') AND "
		       "(SELECT COALESCE(SUM(quantity), 0) FROM holds h WHERE h.order_id = o.id AND h.state = 'held') <> "
		       "(SELECT SUM(quantity) FROM order_lines l WHERE l.order_id = o.id)");
	ck_assert_msg(n == 0, "%s: %lld waiting orders without all their units held", when, n);
	n = sql_scalar("SELECT COUNT(*) FROM orders o WHERE o.status = 'confirmed' AND "
		       "((SELECT COALESCE(SUM(quantity), 0) FROM holds h WHERE h.order_id = o.id AND h.state = 'committed') <> "
		       "(SELECT SUM(quantity) FROM order_lines l WHERE l.order_id = o.id) OR o.payment_intent IS NULL)");
	ck_assert_msg(n == 0, "%s: %lld confirmed orders without their units or their payment", when, n);
}

long shop_webhook(const char *body, long long t)
{
	char secret[200], sig[300];
	const char *h[] = { "Content-Type: application/json", sig, NULL };
	struct hresp *r;
	long status;

	pg_read("paygate/webhook-secret", secret, sizeof(secret));
	sign_header(sig, sizeof(sig), "Paygate-Signature", secret, t ? t : (long long)time(NULL), body);
	r = http("POST", "/api/webhooks/paygate", body, h);
	status = r->status;
	hresp_free(r);
	return status;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = n >= 0 ? calloc(1, (size_t)n + 1) : NULL;
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

int maildir_count(const char *to, const char *needle, char **last)
{
	char dir[1200], path[1500], want[300];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/mail/new", home);
	snprintf(want, sizeof(want), "\nTo: %s\n", to);
	if (last)
		*last = NULL;
	if (!(d = opendir(dir)))
		return 0;
	while ((de = readdir(d))) {
		char *m;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!(m = slurp(path)))
			continue;
		if (strstr(m, want) && strstr(m, needle)) {
			n++;
			if (last) {
				free(*last);
				*last = m;
				continue;
			}
		}
		free(m);
	}
	closedir(d);
	return n;
}

char *maildir_wait(const char *to, const char *needle, int seconds)
{
	char *m = NULL;

	for (int i = 0; i < seconds * 10; i++) {
		if (maildir_count(to, needle, &m) > 0)
			return m;
		usleep(100 * 1000);
	}
	return NULL;
}

long long buyer_shipped(struct client *buyer, struct client *seller, const char *sku_code, const char *tag,
			char *email, size_t n)
{
	static int k;
	char body[700], key[80], path[100];
	struct hresp *r;
	json_t *j;
	long long amount, oid;

	buyer_new(buyer, tag, email, n);
	cart_put(buyer, sku_code, 1);
	amount = checkout_amount(buyer);
	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
		 "\"paymentMethod\":\"pm_card_visa\"}", amount);
	snprintf(key, sizeof(key), "bs-%d-%d-%u", (int)getpid(), ++k, randombytes_random());
	r = post_idem(buyer, "/api/checkout", body, key, NULL);
	ck_assert_msg(r->status == 201, "buyer_shipped: checkout %ld %s", r->status, r->body);
	j = hresp_json(r);
	oid = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	hresp_free(r);
	ck_assert_int_gt(oid, 0);
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments", oid);
	snprintf(body, sizeof(body), "{\"lines\":[1],\"carrier\":\"UPS\",\"tracking\":\"1ZRV%d%d%u\"}",
		 (int)getpid(), k, randombytes_random() % 100000);
	r = client_req(seller, "POST", path, body, 1);
	ck_assert_msg(r->status == 201, "buyer_shipped: ship %ld %s", r->status, r->body);
	hresp_free(r);
	return oid;
}

void tidy_ok(const struct hresp *r, const char *what)
{
	char file[] = "/tmp/shop-tidy-XXXXXX", cmd[128];
	int fd = mkstemp(file), rc;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, r->body, r->len), (ssize_t)r->len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "tidy -q -e %s 2>/dev/null", file);
	rc = system(cmd);
	unlink(file);
	ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) < 2, "tidy found errors in %s", what);
}
