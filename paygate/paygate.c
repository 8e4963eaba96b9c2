/* paygate: the sandbox card gateway the shop's payment adapter talks to
 * over HTTP (see paygate/README.md for the protocol).
 *
 * Process model: libmicrohttpd with one thread per connection (a handler
 * may sleep for the delay fault without holding up anyone else), one
 * SQLite connection behind a mutex, one webhook delivery thread. The main
 * thread only waits for SIGTERM or SIGINT, then stops taking connections,
 * lets the requests in flight finish and answer (up to DRAIN_MS), and
 * stops the server, the webhook thread and the database, in that order.
 *
 * Environment: PAYGATE_PORT (default 8081; 127.0.0.1 only), PAYGATE_DB,
 * PAYGATE_API_KEY_FILE, PAYGATE_WEBHOOK_SECRET_FILE (all three required),
 * PAYGATE_WEBHOOK_URL (empty: events are kept but not sent),
 * PAYGATE_PUBLIC_URL (default http://127.0.0.1:PORT),
 * PAYGATE_WEBHOOK_BACKOFF_MS (default 500). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <sodium.h>
#include "api.h"
#include "hosted.h"
#include "pg.h"
#include "store.h"
#include "webhook.h"

#define MAX_BODY (64 * 1024)
#define DRAIN_MS 10000

static atomic_int stopping;
/* Requests between their headers and their completion callback: a stop
 * waits for these, not for idle keep-alive connections. */
static atomic_int in_flight;

int pg_stopping(void)
{
	return atomic_load(&stopping);
}

/* Per-request state kept by libmicrohttpd between calls of on_request. */
struct conn_ctx {
	struct pbuf body;
	int too_big;
	int64_t started_ms;
	int status, dropped, replayed;
	char method[16], path[160];
};

const char *req_arg(const struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

static void reply_text_json(struct reply *rp, int status, const char *json)
{
	rp->status = status;
	rp->ctype = "application/json";
	rp->body.len = 0;
	pbuf_puts(&rp->body, json);
}

static void dispatch(const struct request *rq, struct reply *rp, int too_big)
{
	if (too_big) {
		reply_text_json(rp, 413, "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"body_too_large\","
				"\"message\":\"The request body is larger than 64 KiB.\"}}");
	} else if (!strcmp(rq->path, "/health")) {
		store_lock();
		if (store_ping())
			reply_text_json(rp, 200, "{\"status\":\"ok\"}");
		else
			reply_text_json(rp, 503, "{\"status\":\"database unavailable\"}");
		store_unlock();
	} else if (!strncmp(rq->path, "/v1/", 4)) {
		api_handle(rq, rp);
	} else if (!strncmp(rq->path, "/pay/", 5)) {
		hosted_handle(rq, rp);
	} else {
		reply_text_json(rp, 404, "{\"error\":{\"type\":\"invalid_request_error\","
				"\"code\":\"unrecognized_request_url\",\"message\":\"Unrecognized request URL.\"}}");
	}
	if (rp->body.oom) {
		rp->body.oom = 0;
		reply_text_json(rp, 500, "{\"error\":{\"type\":\"api_error\",\"code\":\"internal_error\","
				"\"message\":\"Out of memory.\"}}");
	}
}

static enum MHD_Result queue(struct MHD_Connection *conn, const struct request *rq, struct reply *rp)
{
	struct MHD_Response *res;
	enum MHD_Result ok;

	res = MHD_create_response_from_buffer(rp->body.len, rp->body.p ? rp->body.p : (char *)"",
					      MHD_RESPMEM_MUST_COPY);
	if (!res)
		return MHD_NO;
	MHD_add_response_header(res, "Content-Type", rp->ctype ? rp->ctype : "application/json");
	MHD_add_response_header(res, "Cache-Control", "no-store");
	MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
	if (rp->location)
		MHD_add_response_header(res, "Location", rp->location);
	if (rp->allow)
		MHD_add_response_header(res, "Allow", rp->allow);
	if (rp->auth_challenge)
		MHD_add_response_header(res, "WWW-Authenticate", "Bearer realm=\"paygate\"");
	if (rp->replayed)
		MHD_add_response_header(res, "Idempotent-Replayed", "true");
	if (rq->idem_key && !strncmp(rq->path, "/v1/", 4) && strlen(rq->idem_key) <= 255)
		MHD_add_response_header(res, "Idempotency-Key", rq->idem_key);
	/* While stopping, a keep-alive client is told to go elsewhere. */
	if (pg_stopping())
		MHD_add_response_header(res, "Connection", "close");
	if (rp->html) {
		/* Inline style only, no scripts, no frames around the card form,
		 * and no Referer carrying the ?s= secret to the shop. */
		MHD_add_response_header(res, "Content-Security-Policy",
					"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
					"base-uri 'none'");
		MHD_add_response_header(res, "X-Frame-Options", "DENY");
		MHD_add_response_header(res, "Referrer-Policy", "no-referrer");
	}
	ok = MHD_queue_response(conn, (unsigned int)rp->status, res);
	MHD_destroy_response(res);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct conn_ctx *cx = *con_cls;
	struct request rq = {0};
	struct reply rp = {0};
	enum MHD_Result ok;

	if (!cx) {
		cx = calloc(1, sizeof(*cx));
		if (!cx)
			return MHD_NO;
		cx->started_ms = pg_now_ms();
		atomic_fetch_add(&in_flight, 1);
		snprintf(cx->method, sizeof(cx->method), "%s", method);
		snprintf(cx->path, sizeof(cx->path), "%s", url);
		*con_cls = cx;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (cx->body.len + *upload_data_size > MAX_BODY)
			cx->too_big = 1;
		else
			pbuf_put(&cx->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	rq.method = method;
	rq.path = url;
	rq.body = cx->body.p ? cx->body.p : "";
	rq.body_len = cx->body.len;
	rq.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	rq.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	rq.idem_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key");
	rq.conn = conn;
	rp.status = 500;
	dispatch(&rq, &rp, cx->too_big || cx->body.oom);
	cx->status = rp.status;
	cx->replayed = rp.replayed;
	if (rp.drop) {
		/* The drop fault: all the work is done and stored; the client
		 * sees the connection close without an answer. */
		cx->dropped = 1;
		ok = MHD_NO;
	} else {
		ok = queue(conn, &rq, &rp);
	}
	reply_free(&rp);
	return ok;
}

/* One log line per request. The path is logged without its query (the
 * hosted page's secret is there); card numbers only ever travel in the
 * body of POST /pay, which is never logged, and are wiped here. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *cx = *con_cls;

	if (!cx)
		return;
	pg_log("%s %s %d %lldms%s%s", cx->method, cx->path, cx->dropped ? 0 : cx->status,
	       (long long)(pg_now_ms() - cx->started_ms), cx->replayed ? " replayed" : "",
	       cx->dropped ? " dropped (drop_response fault)" :
	       toe != MHD_REQUEST_TERMINATED_COMPLETED_OK ? " (connection ended early)" : "");
	if (cx->body.p)
		sodium_memzero(cx->body.p, cx->body.cap);
	pbuf_free(&cx->body);
	free(cx);
	*con_cls = NULL;
	atomic_fetch_sub(&in_flight, 1);
}

static int env_int(const char *name, long dflt, long min, long max, long *out)
{
	const char *s = getenv(name);
	char *end;

	*out = dflt;
	if (!s || !*s)
		return 1;
	*out = strtol(s, &end, 10);
	if (*end || *out < min || *out > max) {
		pg_log("%s must be an integer from %ld to %ld (got '%s')", name, min, max, s);
		return 0;
	}
	return 1;
}

static enum pg_err load_config(void)
{
	const char *key_file = getenv("PAYGATE_API_KEY_FILE"), *secret_file = getenv("PAYGATE_WEBHOOK_SECRET_FILE");
	const char *url = getenv("PAYGATE_WEBHOOK_URL"), *pub = getenv("PAYGATE_PUBLIC_URL");
	unsigned char hash[crypto_hash_sha256_BYTES];
	long port, backoff, delay;
	size_t n;

	if (!env_int("PAYGATE_PORT", 8081, 1, 65535, &port) ||
	    !env_int("PAYGATE_WEBHOOK_BACKOFF_MS", 500, 1, 3600000, &backoff) ||
	    !env_int("PAYGATE_WEBHOOK_DELAY_MS", 100, 0, 60000, &delay))
		return PG_INVAL;
	pg_cfg.port = (int)port;
	pg_cfg.backoff_ms = backoff;
	pg_cfg.webhook_delay_ms = delay;
	pg_cfg.db_path = getenv("PAYGATE_DB");
	if (!pg_cfg.db_path || !*pg_cfg.db_path || !key_file || !secret_file) {
		pg_log("PAYGATE_DB, PAYGATE_API_KEY_FILE and PAYGATE_WEBHOOK_SECRET_FILE must be set");
		return PG_INVAL;
	}
	if (pg_read_secret(key_file, &pg_cfg.api_key) != PG_OK) {
		pg_log("cannot read a non-empty API key from %s", key_file);
		return PG_IO;
	}
	if (pg_read_secret(secret_file, &pg_cfg.webhook_secret) != PG_OK) {
		pg_log("cannot read a non-empty webhook secret from %s", secret_file);
		return PG_IO;
	}
	crypto_hash_sha256(hash, (const unsigned char *)pg_cfg.api_key, strlen(pg_cfg.api_key));
	sodium_bin2hex(pg_cfg.api_owner, sizeof(pg_cfg.api_owner), hash, sizeof(hash));
	if (url && *url && strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		pg_log("PAYGATE_WEBHOOK_URL must be an http or https URL (got '%s')", url);
		return PG_INVAL;
	}
	pg_cfg.webhook_url = strdup(url ? url : "");
	if (pub && *pub) {
		pg_cfg.public_url = strdup(pub);
	} else {
		char buf[64];

		snprintf(buf, sizeof(buf), "http://127.0.0.1:%d", pg_cfg.port);
		pg_cfg.public_url = strdup(buf);
	}
	if (!pg_cfg.webhook_url || !pg_cfg.public_url)
		return PG_NOMEM;
	n = strlen(pg_cfg.public_url);
	while (n > 0 && pg_cfg.public_url[n - 1] == '/')
		pg_cfg.public_url[--n] = '\0';
	return PG_OK;
}

static void free_config(void)
{
	if (pg_cfg.api_key)
		sodium_memzero(pg_cfg.api_key, strlen(pg_cfg.api_key));
	if (pg_cfg.webhook_secret)
		sodium_memzero(pg_cfg.webhook_secret, strlen(pg_cfg.webhook_secret));
	free(pg_cfg.api_key);
	free(pg_cfg.webhook_secret);
	free(pg_cfg.webhook_url);
	free(pg_cfg.public_url);
	memset(&pg_cfg, 0, sizeof(pg_cfg));
}

int main(void)
{
	struct MHD_Daemon *d = NULL;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sigset_t sigs;
	int sig = 0, rc = 1, store_up = 0;

	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		pg_log("cannot initialise libsodium or libcurl");
		return 1;
	}
	if (load_config() != PG_OK)
		goto out;
	/* Every thread started from here on inherits the blocked signals, so
	 * SIGTERM and SIGINT reach only the sigwait below. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (store_open(pg_cfg.db_path) != PG_OK)
		goto out;
	store_up = 1;
	if (webhook_start() != PG_OK) {
		pg_log("cannot start the webhook thread");
		goto out;
	}
	sa.sin_port = htons((unsigned short)pg_cfg.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* MHD_USE_ITC: MHD_quiesce_daemon needs it in this thread mode. */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
			     MHD_USE_ITC | MHD_USE_ERROR_LOG,
			     (uint16_t)pg_cfg.port, NULL, NULL, on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
			     MHD_OPTION_END);
	if (!d) {
		pg_log("cannot listen on 127.0.0.1:%d (port in use?)", pg_cfg.port);
		goto out;
	}
	pg_log("listening on 127.0.0.1:%d; hosted pages at %s/pay/; webhooks to %s", pg_cfg.port,
	       pg_cfg.public_url, pg_cfg.webhook_url[0] ? pg_cfg.webhook_url : "(none)");
	while (sigwait(&sigs, &sig) != 0)
		;
	pg_log("signal %d: stopping", sig);
	rc = 0;
out:
	atomic_store(&stopping, 1);
	if (d) {
		struct timespec tick = { 0, 20 * 1000000L };
		int64_t until = pg_now_ms() + DRAIN_MS;

		/* Stop accepting, let what is running finish and answer; then
		 * close the idle connections. */
		MHD_quiesce_daemon(d);
		while (atomic_load(&in_flight) > 0 && pg_now_ms() < until)
			nanosleep(&tick, NULL);
		if (atomic_load(&in_flight) > 0)
			pg_log("stopping with %d requests still running", atomic_load(&in_flight));
		MHD_stop_daemon(d);
	}
	webhook_stop();
	if (store_up)
		store_close();
	free_config();
	curl_global_cleanup();
	if (rc == 0)
		pg_log("stopped");
	return rc;
}
