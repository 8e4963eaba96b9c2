/* t/http: webhooks to third parties (issue 16), against the real stack and a
 * real receiving HTTP server this test runs on a free loopback port. The
 * test stacks run with SHOP_WEBHOOK_ALLOW_PRIVATE=1 and a short backoff
 * (scripts/run-tests) so the shop may POST to loopback and retries come
 * within a second; the last case restarts shopd without the setting to see
 * loopback refused at registration and at delivery. The guard's ranges are
 * unit-tested in t/unit/test_webhook_guard.c. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "harness.h"
#include "../../app/core/arena.h"
#include "../../app/core/config.h"
#include "../../app/core/sig.h"
#include "../../app/module.h"
#include "../../app/store/db.h"
#include "../../app/webhook/webhook.h"

#define ADMIN_PW "admin password 12345"
#define PW "correct horse battery"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.600s", (s), (r)->body)

/* ---- the receiver ---- */

#define MAXREQ 512

struct rreq {
	char path[128];
	char event_id[32], event_type[64], signature[160], content_type[80];
	char *body;
	int answered;		/* the status it was answered */
	long long at_ms;	/* when it arrived (monotonic) */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct rreq reqs[MAXREQ];
static int nreqs, rport;

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void header_value(const char *head, const char *name, char *out, size_t n)
{
	size_t k = strlen(name);

	out[0] = '\0';
	for (const char *p = head; p && *p; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL) {
		if (!strncasecmp(p, name, k) && p[k] == ':') {
			const char *v = p + k + 1, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			snprintf(out, n, "%.*s", (int)(e ? (size_t)(e - v) : strlen(v)), v);
			return;
		}
	}
}

/* How the receiver answers a path: /flaky/... fails its first three
 * requests (500), /dead/... always fails (503), anything else is 200. */
static int answer_for(const char *path)
{
	int seen = 0;

	if (!strncmp(path, "/dead/", 6))
		return 503;
	if (strncmp(path, "/flaky/", 7))
		return 200;
	for (int i = 0; i < nreqs; i++)
		seen += !strcmp(reqs[i].path, path);
	return seen < 3 ? 500 : 200;
}

static void serve_one(int fd)
{
	static char buf[1 << 20];
	size_t len = 0, want = 0;
	char *end = NULL, cl[32], line[64];
	struct rreq *r;
	int status;
	ssize_t k;

	while (len < sizeof(buf) - 1) {
		if ((k = read(fd, buf + len, sizeof(buf) - 1 - len)) <= 0)
			break;
		len += (size_t)k;
		buf[len] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			header_value(buf, "Content-Length", cl, sizeof(cl));
			want = (size_t)(end + 4 - buf) + (size_t)atol(cl);
		}
		if (end && len >= want)
			break;
	}
	if (!end) {
		close(fd);
		return;
	}
	pthread_mutex_lock(&mu);
	if (nreqs < MAXREQ) {
		r = &reqs[nreqs];
		memset(r, 0, sizeof(*r));
		sscanf(buf, "%*s %127s", r->path);
		header_value(buf, "Shop-Event-Id", r->event_id, sizeof(r->event_id));
		header_value(buf, "Shop-Event-Type", r->event_type, sizeof(r->event_type));
		header_value(buf, "Shop-Signature", r->signature, sizeof(r->signature));
		header_value(buf, "Content-Type", r->content_type, sizeof(r->content_type));
		r->body = strdup(end + 4);
		r->at_ms = mono_ms();
		status = answer_for(r->path);
		r->answered = status;
		nreqs++;
	} else {
		status = 500;
	}
	pthread_mutex_unlock(&mu);
	snprintf(line, sizeof(line), "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", status);
	if (write(fd, line, strlen(line)) < 0)
		perror("receiver write");
	close(fd);
}

static void *receiver(void *p)
{
	int ls = *(int *)p;

	for (;;) {
		int fd = accept(ls, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		serve_one(fd);
	}
}

static void receiver_start(void)
{
	static int ls = -1;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	pthread_t th;
	int one = 1;

	if (ls >= 0)
		return;
	ls = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(ls, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;	/* a free port */
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(ls, 64), 0);
	ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	rport = ntohs(sa.sin_port);
	ck_assert_int_eq(pthread_create(&th, NULL, receiver, &ls), 0);
	pthread_detach(th);
}

static const char *receiver_url(const char *path)
{
	static char u[256];

	snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", rport, path);
	return u;
}

/* Requests the receiver got on path for event id (all of them when id is
 * NULL); ok counts those it answered 2xx. */
static int received(const char *path, const char *id, int *ok)
{
	int n = 0, good = 0;

	pthread_mutex_lock(&mu);
	for (int i = 0; i < nreqs; i++)
		if (!strcmp(reqs[i].path, path) && (!id || !strcmp(reqs[i].event_id, id))) {
			n++;
			good += reqs[i].answered / 100 == 2;
		}
	pthread_mutex_unlock(&mu);
	if (ok)
		*ok = good;
	return n;
}

/* ---- the shop ---- */

static long status_of(struct hresp *r)
{
	long s = r->status;

	hresp_free(r);
	return s;
}

static void admin_client(struct client *adm)
{
	char env[256], args[256];
	const char *email = fresh_email("whadmin");

	snprintf(env, sizeof(env), "SHOP_ADMIN_PASSWORD='%s' SHOP_ADMIN_NAME='Ada Admin'", ADMIN_PW);
	snprintf(args, sizeof(args), "create-admin %s", email);
	ck_assert_int_eq(shopctl_run(env, NULL, args), 0);
	memset(adm, 0, sizeof(*adm));
	ck_assert_int_eq(client_signin(adm, email, ADMIN_PW), 0);
}

/* Registers an endpoint over the API; its id, the secret into secret. */
static long long register_endpoint(struct client *adm, const char *url, const char *events, char *secret, size_t n)
{
	char body[1024];
	struct hresp *r;
	json_t *j;
	long long id;

	snprintf(body, sizeof(body), "{\"url\":\"%s\",\"events\":[%s]}", url, events);
	r = client_req(adm, "POST", "/api/admin/webhooks", body, 1);
	ck_assert_msg(r->status == 201, "register %s: %ld %s", url, r->status, r->body);
	j = hresp_json(r);
	ck_assert_ptr_nonnull(j);
	id = json_integer_value(json_object_get(j, "id"));
	ck_assert_int_gt(id, 0);
	if (secret)
		snprintf(secret, n, "%s", json_string_value(json_object_get(j, "secret")));
	json_decref(j);
	hresp_free(r);
	return id;
}

/* A StockChanged event made through the shop's own inventory code; its
 * outbox id. */
static long long stock_event(const char *tag)
{
	static long long sku_id;
	static char sku[64];
	char reason[128];
	long long cur;

	if (!sku_id)
		sku_id = sku_pick("KIT-", 1, sku, sizeof(sku));
	cur = sql_scalarf("SELECT available FROM inventory WHERE sku_id = %lld AND warehouse_id = 1", sku_id);
	ck_assert_int_ge(cur, 0);
	snprintf(reason, sizeof(reason), "test_webhooks %s %d %lld", tag, (int)getpid(), mono_ms());
	set_stock(sku, 1, cur + 1, reason);
	return sql_scalarf("SELECT MAX(id) FROM outbox WHERE topic = 'StockChanged' AND "
			   "JSON_UNQUOTE(JSON_EXTRACT(payload, '$.reason')) = '%s'", reason);
}

/* Waits until the receiver answered path 2xx for event id, or seconds pass. */
static int wait_delivered(const char *path, const char *id, int seconds)
{
	int ok = 0;

	for (int i = 0; i < seconds * 10; i++) {
		received(path, id, &ok);
		if (ok)
			return 1;
		usleep(100000);
	}
	return 0;
}

/* ---- cases ---- */

/* The API's answers and who may use it. */
START_TEST(api_statuses_and_roles)
{
	struct client adm, anon, shopper;
	char path[128], secret[128], body[512];
	struct hresp *r;
	json_t *j;
	long long id;

	receiver_start();
	admin_client(&adm);
	id = register_endpoint(&adm, receiver_url("/ok/api"), "\"OrderConfirmed\",\"StockChanged\"", secret,
			       sizeof(secret));
	ck_assert_msg(!strncmp(secret, "whsec_", 6) && strlen(secret) >= 40, "secret %s", secret);

	/* 201's body: id, url, events, secret */
	snprintf(body, sizeof(body), "{\"url\":\"%s\",\"events\":[\"ShipmentShipped\"]}", receiver_url("/ok/b"));
	r = client_req(&adm, "POST", "/api/admin/webhooks", body, 1);
	ck_assert_int_eq(r->status, 201);
	j = hresp_json(r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "url")), receiver_url("/ok/b"));
	ck_assert_int_eq(json_array_size(json_object_get(j, "events")), 1);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "events"), 0)), "ShipmentShipped");
	ck_assert_ptr_nonnull(json_string_value(json_object_get(j, "secret")));
	json_decref(j);
	hresp_free(r);

	/* GET one: no secret; the list has it */
	snprintf(path, sizeof(path), "/api/admin/webhooks/%lld", id);
	r = client_req(&adm, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "id")), id);
	ck_assert_str_eq(json_string_value(json_object_get(j, "url")), receiver_url("/ok/api"));
	ck_assert_int_eq(json_array_size(json_object_get(j, "events")), 2);
	ck_assert_ptr_null(json_object_get(j, "secret"));
	ck_assert(json_is_true(json_object_get(j, "enabled")));
	json_decref(j);
	ck_assert_ptr_null(strstr(r->body, secret));
	hresp_free(r);
	r = client_req(&adm, "GET", "/api/admin/webhooks", NULL, 0);
	ck_assert_int_eq(r->status, 200);
	HAS(r, receiver_url("/ok/api"));
	ck_assert_ptr_null(strstr(r->body, secret));
	hresp_free(r);

	/* unknown types, bad URLs: 422 with a message that says what */
	snprintf(body, sizeof(body), "{\"url\":\"%s\",\"events\":[\"OrderConfirmed\",\"OrderShipped\"]}",
		 receiver_url("/ok/c"));
	r = client_req(&adm, "POST", "/api/admin/webhooks", body, 1);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "unknown event type");
	HAS(r, "OrderShipped");
	HAS(r, "ShipmentShipped");	/* the valid types are listed */
	hresp_free(r);
	r = client_req(&adm, "POST", "/api/admin/webhooks", "{\"url\":\"https://example.com/h\",\"events\":[]}", 1);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "at least one event type");
	hresp_free(r);
	r = client_req(&adm, "POST", "/api/admin/webhooks", "{\"url\":\"ftp://example.com/h\",\"events\":[\"OrderPlaced\"]}", 1);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "http://");
	hresp_free(r);
	r = client_req(&adm, "POST", "/api/admin/webhooks", "{\"url\":\"not a url\",\"events\":[\"OrderPlaced\"]}", 1);
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	r = client_req(&adm, "POST", "/api/admin/webhooks",
		       "{\"url\":\"http://user:secret@example.com/h\",\"events\":[\"OrderPlaced\"]}", 1);
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	/* malformed bodies stay 400 (the route's declaration) */
	ck_assert_int_eq(status_of(client_req(&adm, "POST", "/api/admin/webhooks", "{\"url\":\"https://example.com/h\"}", 1)), 400);
	ck_assert_int_eq(status_of(client_req(&adm, "POST", "/api/admin/webhooks",
					      "{\"url\":\"https://example.com/h\",\"events\":\"OrderPlaced\"}", 1)), 400);
	ck_assert_int_eq(status_of(client_req(&adm, "POST", "/api/admin/webhooks",
					      "{\"url\":\"https://example.com/h\",\"events\":[\"OrderPlaced\"],\"secret\":\"x\"}", 1)), 400);

	/* not signed in: 401; a shopper: 403; on every route */
	memset(&anon, 0, sizeof(anon));
	ck_assert_int_eq(client_session(&anon), 0);
	ck_assert_int_eq(status_of(client_req(&anon, "GET", "/api/admin/webhooks", NULL, 0)), 401);
	ck_assert_int_eq(status_of(client_req(&anon, "GET", path, NULL, 0)), 401);
	ck_assert_int_eq(status_of(client_req(&anon, "POST", "/api/admin/webhooks", body, 1)), 401);
	ck_assert_int_eq(status_of(client_req(&anon, "DELETE", path, NULL, 1)), 401);
	buyer_new(&shopper, "whshopper", NULL, 0);
	ck_assert_int_eq(status_of(client_req(&shopper, "GET", "/api/admin/webhooks", NULL, 0)), 403);
	ck_assert_int_eq(status_of(client_req(&shopper, "GET", path, NULL, 0)), 403);
	ck_assert_int_eq(status_of(client_req(&shopper, "POST", "/api/admin/webhooks", body, 1)), 403);
	ck_assert_int_eq(status_of(client_req(&shopper, "DELETE", path, NULL, 1)), 403);
	ck_assert_int_eq(status_of(client_browse(&shopper, "GET", "/admin/webhooks", NULL)), 403);
	snprintf(body, sizeof(body), "/admin/webhooks/%lld", id);
	ck_assert_int_eq(status_of(client_browse(&shopper, "GET", body, NULL)), 403);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM webhook_endpoints WHERE id = %lld", id), 1);

	/* an admin's write without the CSRF token: 403 */
	ck_assert_int_eq(status_of(client_req(&adm, "DELETE", path, NULL, 0)), 403);

	/* DELETE: 204, then 404 */
	ck_assert_int_eq(status_of(client_req(&adm, "DELETE", path, NULL, 1)), 204);
	ck_assert_int_eq(status_of(client_req(&adm, "GET", path, NULL, 0)), 404);
	ck_assert_int_eq(status_of(client_req(&adm, "DELETE", path, NULL, 1)), 404);
	ck_assert_int_eq(status_of(client_req(&adm, "GET", "/api/admin/webhooks/abc", NULL, 0)), 404);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM webhook_endpoints WHERE id = %lld", id), 0);
}
END_TEST

/* The case: an endpoint that fails three times, then succeeds,
 * receives the event once (answered 2xx once; every try carries the same
 * Shop-Event-Id), signed so that the secret verifies it. */
START_TEST(fails_three_times_then_delivered_once)
{
	struct client adm;
	char secret[128], id[32], path[64], q[256];
	long long ep, ev;
	int ok = 0, n;
	json_t *j;
	struct hresp *r;

	receiver_start();
	admin_client(&adm);
	snprintf(path, sizeof(path), "/flaky/%d-%lld", (int)getpid(), mono_ms());
	ep = register_endpoint(&adm, receiver_url(path), "\"StockChanged\"", secret, sizeof(secret));
	ev = stock_event("flaky");
	ck_assert_int_gt(ev, 0);
	snprintf(id, sizeof(id), "%lld", ev);
	ck_assert_msg(wait_delivered(path, id, 30), "event %s not delivered in 30 s (%d tries)", id,
		      received(path, id, NULL));
	n = received(path, id, &ok);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(ok, 1);

	/* every try: the headers, a signature the secret verifies, the body */
	pthread_mutex_lock(&mu);
	for (int i = 0; i < nreqs; i++) {
		struct rreq *x = &reqs[i];

		if (strcmp(x->path, path))
			continue;
		ck_assert_str_eq(x->event_id, id);
		ck_assert_str_eq(x->event_type, "StockChanged");
		ck_assert_str_eq(x->content_type, "application/json");
		ck_assert_msg(sig_verify(secret, x->signature, x->body, strlen(x->body), time(NULL), 300) == 0,
			      "signature %s does not verify", x->signature);
		ck_assert_int_eq(sig_verify("whsec_wrong", x->signature, x->body, strlen(x->body), time(NULL), 300), -1);
		j = json_loads(x->body, 0, NULL);
		ck_assert_ptr_nonnull(j);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "id")), ev);
		ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "StockChanged");
		ck_assert_ptr_nonnull(json_string_value(json_object_get(j, "createdAt")));
		ck_assert(json_is_object(json_object_get(j, "data")));
		ck_assert_int_gt(json_integer_value(json_object_get(json_object_get(j, "data"), "productId")), 0);
		json_decref(j);
	}
	pthread_mutex_unlock(&mu);

	/* the shop's record: one delivery, delivered after 4 attempts, each in
	 * the log with its code and time */
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = %lld AND event_id = %lld", ep, ev);
	ck_assert_int_eq(sql_scalar(q), 1);
	ck_assert_int_eq(sql_scalarf("SELECT attempts FROM webhook_deliveries WHERE endpoint_id = %lld AND event_id = %lld", ep, ev), 4);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'delivered' FROM webhook_deliveries WHERE endpoint_id = %lld "
				     "AND event_id = %lld", ep, ev), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = "
				     "a.delivery_id WHERE d.endpoint_id = %lld AND a.ok = 0 AND a.http_code = 500", ep), 3);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = "
				     "a.delivery_id WHERE d.endpoint_id = %lld AND a.ok = 1 AND a.http_code = 200", ep), 1);
	ck_assert_int_eq(sql_scalarf("SELECT failures FROM webhook_endpoints WHERE id = %lld", ep), 0);
	/* the pauses grew: the third is longer than the first */
	pthread_mutex_lock(&mu);
	{
		long long t[4];
		int m = 0;

		for (int i = 0; i < nreqs && m < 4; i++)
			if (!strcmp(reqs[i].path, path))
				t[m++] = reqs[i].at_ms;
		pthread_mutex_unlock(&mu);
		ck_assert_int_eq(m, 4);
		ck_assert_msg(t[3] - t[2] > t[1] - t[0], "backoff did not grow: %lld, %lld, %lld ms",
			      t[1] - t[0], t[2] - t[1], t[3] - t[2]);
		printf("webhooks: pauses between the tries %lld, %lld, %lld ms; slowest attempt %lld ms\n",
		       t[1] - t[0], t[2] - t[1], t[3] - t[2],
		       sql_scalarf("SELECT MAX(a.ms) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = "
				   "a.delivery_id WHERE d.endpoint_id = %lld", ep));
	}

	/* replayed to the consumer, the event makes no second delivery */
	snprintf(q, sizeof(q), "events replay webhooks --from %lld", ev);
	ck_assert_int_eq(shopctl_run(NULL, NULL, q), 0);
	snprintf(q, sizeof(q), "SELECT position >= (SELECT seq FROM outbox WHERE id = %lld) FROM event_consumers "
		 "WHERE name = 'webhooks'", ev);
	for (int i = 0; i < 100 && sql_scalar(q) != 1; i++)
		usleep(100000);
	ck_assert_int_eq(sql_scalar(q), 1);

	/* nothing more comes */
	usleep(1500000);
	ck_assert_int_eq(received(path, id, NULL), 4);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = %lld", ev), 1);

	/* the delivery log page shows it */
	snprintf(q, sizeof(q), "/admin/webhooks/%lld", ep);
	r = client_browse(&adm, "GET", q, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "delivered");
	HAS(r, "StockChanged");
	HAS(r, "answered 500");
	HAS(r, " ms");
	HAS(r, id);
	hresp_free(r);
	/* and the API */
	snprintf(q, sizeof(q), "/api/admin/webhooks/%lld", ep);
	r = client_req(&adm, "GET", q, NULL, 0);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "deliveries"), "delivered")), 1);
	json_decref(j);
	hresp_free(r);
}
END_TEST

/* Only endpoints that asked for the type hear of it; a disabled one not. */
START_TEST(only_matching_enabled_endpoints)
{
	struct client adm;
	char p1[64], p2[64], p3[64], id[32];
	long long e1, e2, e3, ev;

	receiver_start();
	admin_client(&adm);
	snprintf(p1, sizeof(p1), "/ok/match-%lld", mono_ms());
	snprintf(p2, sizeof(p2), "/ok/other-%lld", mono_ms());
	snprintf(p3, sizeof(p3), "/ok/off-%lld", mono_ms());
	e1 = register_endpoint(&adm, receiver_url(p1), "\"StockChanged\"", NULL, 0);
	e2 = register_endpoint(&adm, receiver_url(p2), "\"OrderPlaced\"", NULL, 0);
	e3 = register_endpoint(&adm, receiver_url(p3), "\"StockChanged\"", NULL, 0);
	sql_execf("UPDATE webhook_endpoints SET enabled = 0 WHERE id = %lld", e3);
	ev = stock_event("match");
	snprintf(id, sizeof(id), "%lld", ev);
	ck_assert(wait_delivered(p1, id, 20));
	usleep(800000);
	ck_assert_int_eq(received(p2, NULL, NULL), 0);
	ck_assert_int_eq(received(p3, NULL, NULL), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id IN (%lld, %lld)", e2, e3), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = %lld", e1), 1);
}
END_TEST

/* A delivery that fails for its whole window fails; the endpoint is
 * disabled and the admins get a mail; enabling it again works. (The day is
 * made to have passed by moving the delivery's start back.) */
START_TEST(disabled_after_a_day_with_a_mail)
{
	struct client adm;
	char path[64], id[32], q[256], to[300], file[200];
	long long ep, ev, dl;
	int found = 0;
	struct hresp *r;
	json_t *j;

	receiver_start();
	admin_client(&adm);
	r = client_req(&adm, "GET", "/api/me", NULL, 0);
	j = hresp_json(r);
	snprintf(to, sizeof(to), "%s", json_string_value(json_object_get(j, "email")));
	json_decref(j);
	hresp_free(r);
	snprintf(path, sizeof(path), "/dead/%lld", mono_ms());
	ep = register_endpoint(&adm, receiver_url(path), "\"StockChanged\"", NULL, 0);
	ev = stock_event("dead");
	snprintf(id, sizeof(id), "%lld", ev);
	for (int i = 0; i < 100 && received(path, id, NULL) < 1; i++)
		usleep(100000);
	ck_assert_int_ge(received(path, id, NULL), 1);
	dl = sql_scalarf("SELECT id FROM webhook_deliveries WHERE endpoint_id = %lld AND event_id = %lld", ep, ev);
	ck_assert_int_gt(dl, 0);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'pending' FROM webhook_deliveries WHERE id = %lld", dl), 1);
	sql_execf("UPDATE webhook_deliveries SET created_at = NOW(3) - INTERVAL 25 HOUR, next_at = NOW(3) WHERE id = %lld", dl);
	for (int i = 0; i < 100; i++) {
		if (sql_scalarf("SELECT status = 'failed' FROM webhook_deliveries WHERE id = %lld", dl) == 1)
			break;
		usleep(100000);
	}
	ck_assert_int_eq(sql_scalarf("SELECT status = 'failed' FROM webhook_deliveries WHERE id = %lld", dl), 1);
	ck_assert_int_eq(sql_scalarf("SELECT enabled FROM webhook_endpoints WHERE id = %lld", ep), 0);
	ck_assert_int_ge(sql_scalarf("SELECT failures FROM webhook_endpoints WHERE id = %lld", ep), 2);

	/* the admin's mail */
	snprintf(q, sizeof(q), "Webhook endpoint %lld disabled", ep);
	{
		char *m = maildir_wait(to, q, 10);

		found = m && strstr(m, path);
		free(m);
	}
	ck_assert_msg(found, "no mail \"%s\" to the admin", q);

	/* the pages say so, and the admin enables it again */
	r = client_browse(&adm, "GET", "/admin/webhooks", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "disabled");
	HAS(r, "Enable again");
	hresp_free(r);
	snprintf(q, sizeof(q), "csrf=%s", adm.csrf);
	snprintf(file, sizeof(file), "/admin/webhooks/%lld/enable", ep);
	ck_assert_int_eq(status_of(client_browse(&adm, "POST", file, q)), 303);
	ck_assert_int_eq(sql_scalarf("SELECT enabled FROM webhook_endpoints WHERE id = %lld", ep), 1);
	ck_assert_int_eq(sql_scalarf("SELECT failures FROM webhook_endpoints WHERE id = %lld", ep), 0);
	/* the log's retention: a delivery finished 31 days ago goes, with its
	 * attempts (the webhook-prune job's batch, run here) */
	{
		struct arena *a = arena_new(16 * 1024);
		struct db *d = NULL;
		long long kept = sql_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'pending'");

		ck_assert_int_eq(config_load(&config), 0);
		modules_init();
		ck_assert_int_eq(db_open(&d), 0);
		sql_execf("UPDATE webhook_deliveries SET finished_at = NOW(3) - INTERVAL 31 DAY WHERE id = %lld", dl);
		ck_assert_int_eq(webhook_prune_batch(d, NULL, a), 0);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM webhook_deliveries WHERE id = %lld", dl), 0);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM webhook_attempts WHERE delivery_id = %lld", dl), 0);
		ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'pending'"), kept - 1);
		db_close(d);
		arena_destroy(a);
	}

	/* stop it failing on: it is deleted */
	snprintf(file, sizeof(file), "/admin/webhooks/%lld/delete", ep);
	ck_assert_int_eq(status_of(client_browse(&adm, "POST", file, q)), 303);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = %lld", ep), 0);
}
END_TEST

/* The pages without JavaScript: register with the form (the secret shown
 * once), refusals, delete. */
START_TEST(admin_pages)
{
	struct client adm, anon;
	char form[1024], path[64], secret[128];
	struct hresp *r;
	const char *p;
	long long id;

	receiver_start();
	admin_client(&adm);
	r = client_browse(&adm, "GET", "/admin/webhooks", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Register an endpoint");
	HAS(r, "name=\"OrderConfirmed\"");
	HAS(r, "name=\"ShipmentDelivered\"");
	hresp_free(r);

	snprintf(path, sizeof(path), "/ok/form-%lld", mono_ms());
	snprintf(form, sizeof(form), "csrf=%s&url=http%%3A%%2F%%2F127.0.0.1%%3A%d%s&OrderConfirmed=1&RefundSucceeded=1",
		 adm.csrf, rport, path);
	r = client_browse(&adm, "POST", "/admin/webhooks", form);
	ck_assert_int_eq(r->status, 201);
	HAS(r, "Signing secret");
	ck_assert_ptr_nonnull(p = strstr(r->body, "whsec_"));
	snprintf(secret, sizeof(secret), "%.54s", p);
	HAS(r, "OrderConfirmed, RefundSucceeded");
	hresp_free(r);
	id = sql_scalarf("SELECT MAX(id) FROM webhook_endpoints WHERE url LIKE '%%%s'", path);
	ck_assert_int_gt(id, 0);
	/* shown once: the list and the log do not have it */
	r = client_browse(&adm, "GET", "/admin/webhooks", NULL);
	HAS(r, path);
	ck_assert_ptr_null(strstr(r->body, secret));
	hresp_free(r);
	snprintf(form, sizeof(form), "/admin/webhooks/%lld", id);
	r = client_browse(&adm, "GET", form, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "No delivery yet");
	ck_assert_ptr_null(strstr(r->body, secret));
	hresp_free(r);

	/* refusals keep what was typed */
	snprintf(form, sizeof(form), "csrf=%s&url=https%%3A%%2F%%2Fexample.com%%2Fh", adm.csrf);
	r = client_browse(&adm, "POST", "/admin/webhooks", form);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "at least one event type");
	HAS(r, "https://example.com/h");
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&url=gopher%%3A%%2F%%2Fexample.com%%2Fh&OrderPlaced=1", adm.csrf);
	r = client_browse(&adm, "POST", "/admin/webhooks", form);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "must start with http");
	hresp_free(r);
	/* without the token: 403 */
	snprintf(form, sizeof(form), "url=https%%3A%%2F%%2Fexample.com%%2Fh&OrderPlaced=1");
	ck_assert_int_eq(status_of(client_browse(&adm, "POST", "/admin/webhooks", form)), 403);

	/* delete */
	snprintf(form, sizeof(form), "csrf=%s", adm.csrf);
	snprintf(path, sizeof(path), "/admin/webhooks/%lld/delete", id);
	ck_assert_int_eq(status_of(client_browse(&adm, "POST", path, form)), 303);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM webhook_endpoints WHERE id = %lld", id), 0);
	ck_assert_int_eq(status_of(client_browse(&adm, "POST", path, form)), 404);
	ck_assert_int_eq(status_of(client_browse(&adm, "GET", "/admin/webhooks/999999999", NULL)), 404);

	/* not signed in: to the sign-in page */
	memset(&anon, 0, sizeof(anon));
	r = client_browse(&anon, "GET", "/admin/webhooks", NULL);
	ck_assert_msg(r->status == 303 || r->status == 401 || r->status == 403, "status %ld", r->status);
	hresp_free(r);
}
END_TEST

static void restart_shopd(const char *allow)
{
	setenv("SHOP_WEBHOOK_ALLOW_PRIVATE", allow, 1);
	ck_assert_int_eq(stack_cmd("restart-shopd"), 0);
	ck_assert(wait_status("/healthz", 200, 30));
}

/* Without SHOP_WEBHOOK_ALLOW_PRIVATE (as in production) loopback and
 * private URLs are refused when registered, and an endpoint registered
 * while they were allowed gets nothing at delivery: the guard runs again
 * after resolving, before connecting. */
START_TEST(private_refused_without_the_setting)
{
	struct client adm;
	char path[64], id[32], body[512];
	long long ep, ev, dl;
	struct hresp *r;
	static const char *const urls[] = {
		"http://127.0.0.1:9/h", "http://localhost/h", "http://10.1.2.3/h", "http://192.168.0.10/h",
		"http://169.254.169.254/latest/meta-data/", "http://[::1]/h", "http://[fd00::1]/h",
		"http://100.64.0.1/h", "http://0.0.0.0/h", "http://[::ffff:127.0.0.1]/h",
	};

	receiver_start();
	admin_client(&adm);
	snprintf(path, sizeof(path), "/ok/guard-%lld", mono_ms());
	ep = register_endpoint(&adm, receiver_url(path), "\"StockChanged\"", NULL, 0);

	restart_shopd("0");
	ck_assert_int_eq(client_session(&adm), 0);
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		snprintf(body, sizeof(body), "{\"url\":\"%s\",\"events\":[\"OrderPlaced\"]}", urls[i]);
		r = client_req(&adm, "POST", "/api/admin/webhooks", body, 1);
		ck_assert_msg(r->status == 422, "%s: %ld %s", urls[i], r->status, r->body);
		HAS(r, "private");
		hresp_free(r);
	}
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM webhook_endpoints WHERE url LIKE 'http://10.1.2.3%'"), 0);

	ev = stock_event("guard");
	snprintf(id, sizeof(id), "%lld", ev);
	for (int i = 0; i < 100; i++) {
		if (sql_scalarf("SELECT COUNT(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id "
				"WHERE d.endpoint_id = %lld AND d.event_id = %lld", ep, ev) > 0)
			break;
		usleep(100000);
	}
	dl = sql_scalarf("SELECT id FROM webhook_deliveries WHERE endpoint_id = %lld AND event_id = %lld", ep, ev);
	ck_assert_int_gt(dl, 0);
	ck_assert_int_ge(sql_scalarf("SELECT COUNT(*) FROM webhook_attempts WHERE delivery_id = %lld AND ok = 0 "
				     "AND http_code IS NULL AND error LIKE '%%private%%'", dl), 1);
	ck_assert_int_eq(received(path, NULL, NULL), 0);

	restart_shopd("1");
	/* allowed again: the retry goes through */
	sql_execf("UPDATE webhook_deliveries SET next_at = NOW(3) WHERE id = %lld", dl);
	ck_assert(wait_delivered(path, id, 20));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-webhooks");
	TCase *tc = tcase_create("webhooks");

	harness_init();
	tcase_set_timeout(tc, 180);
	tcase_add_checked_fixture(tc, clear_ip_throttles, NULL);
	tcase_add_test(tc, api_statuses_and_roles);
	tcase_add_test(tc, fails_three_times_then_delivered_once);
	tcase_add_test(tc, only_matching_enabled_endpoints);
	tcase_add_test(tc, disabled_after_a_day_with_a_mail);
	tcase_add_test(tc, admin_pages);
	tcase_add_test(tc, private_refused_without_the_setting);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
