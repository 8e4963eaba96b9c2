/* The webhook delivery thread.
 *
 * It takes due events from the store in small batches (holding the store
 * lock only for the reads and writes, never during HTTP), POSTs each one,
 * and records the outcome: delivered, or the next attempt time with the
 * backoff doubled (PAYGATE_WEBHOOK_BACKOFF_MS first, capped at 60 s). It
 * sleeps on a condition variable until the next event is due or someone
 * wakes it. Once in a while it also purges old idempotency answers.
 *
 * A receiver that hangs holds the thread for up to the 10 s timeout per
 * event, so a change of URL, pause or faults abandons the delivery in
 * flight (not counted as an attempt) and the queue is looked at afresh:
 * a test that points webhooks at its own listener is not kept waiting
 * behind a slow shop. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <sodium.h>
#include "fault.h"
#include "store.h"
#include "webhook.h"

#define WEBHOOK_BATCH 16
#define WEBHOOK_BACKOFF_CAP_MS 60000
#define WEBHOOK_IDLE_MS 1000		/* longest sleep: a safety net for lost wake-ups */
#define IDEM_KEEP_S (48 * 3600)		/* answers are kept 24 h at least, purged after 48 h */
#define PURGE_EVERY_S 600

static pthread_t wh_thread;
static int wh_started;
static pthread_mutex_t wh_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wh_cond;
static int wh_stopping, wh_woken;

void webhook_wake(void)
{
	pthread_mutex_lock(&wh_mu);
	wh_woken = 1;
	pthread_cond_signal(&wh_cond);
	pthread_mutex_unlock(&wh_mu);
}

static int stopping(void)
{
	int s;

	pthread_mutex_lock(&wh_mu);
	s = wh_stopping;
	pthread_mutex_unlock(&wh_mu);
	return s;
}

void webhook_signature(const char *secret, int64_t t, const char *body, size_t len,
		       char *out, size_t size)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * sizeof(mac) + 1], ts[32];

	snprintf(ts, sizeof(ts), "%" PRId64 ".", t);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, size, "t=%" PRId64 ",v1=%s", t, hex);
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	return size * n;
}

/* Abandons a transfer when the gateway is stopping or the settings it
 * started under changed. */
static int progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const unsigned *gen = ud;

	return stopping() || fault_generation() != *gen;
}

/* One POST. 1 on a 2xx; otherwise 0 with err filled, or -1 when the
 * transfer was abandoned (not counted as an attempt). */
static int post(CURL *c, const char *url, unsigned gen, const struct due_event *e, char *err, size_t errsize)
{
	struct curl_slist *h = NULL;
	char sig[160], sighdr[192];
	long code = 0;
	CURLcode cc;
	int ok = 0;

	webhook_signature(pg_cfg.webhook_secret, pg_now(), e->body, strlen(e->body), sig, sizeof(sig));
	snprintf(sighdr, sizeof(sighdr), "Paygate-Signature: %s", sig);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, sighdr);
	h = curl_slist_append(h, "Expect:");
	if (!h) {
		snprintf(err, errsize, "out of memory");
		goto out;
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, e->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(e->body));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "paygate-webhooks/1");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &gen);
	/* Only http and https: a configured URL must not make the gateway
	 * read files or speak other protocols. */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cc = curl_easy_perform(c);
	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		ok = -1;
		goto out;
	}
	if (cc != CURLE_OK) {
		snprintf(err, errsize, "%s", curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300)
		ok = 1;
	else
		snprintf(err, errsize, "HTTP %ld", code);
out:
	curl_slist_free_all(h);
	return ok;
}

static int64_t backoff_ms(int attempts)
{
	int64_t d = pg_cfg.backoff_ms > 0 ? pg_cfg.backoff_ms : 1;

	for (int i = 1; i < attempts && d < WEBHOOK_BACKOFF_CAP_MS; i++)
		d *= 2;
	return d < WEBHOOK_BACKOFF_CAP_MS ? d : WEBHOOK_BACKOFF_CAP_MS;
}

/* Delivers one batch of due events to url, as long as the settings stay
 * those of generation gen. Returns how many were due (a full batch means
 * more may be waiting). */
static int deliver_batch(CURL *c, const char *url, unsigned gen)
{
	struct due_event due[WEBHOOK_BATCH];
	int n = 0, i;
	enum pg_err rc;

	store_lock();
	rc = store_event_due(pg_now_ms(), WEBHOOK_BATCH, due, &n);
	store_unlock();
	if (rc != PG_OK)
		pg_log("webhook: cannot read the queue");
	for (i = 0; i < n && !stopping() && fault_generation() == gen; i++) {
		char err[256] = "";
		int ok = post(c, url, gen, &due[i], err, sizeof(err)), attempts = due[i].attempts + 1;

		if (ok < 0)
			break;
		store_lock();
		if (ok)
			rc = store_event_delivered(due[i].seq, pg_now());
		else
			rc = store_event_failed(due[i].seq, attempts, pg_now_ms() + backoff_ms(attempts), err);
		store_unlock();
		if (rc != PG_OK)
			pg_log("webhook: cannot record the outcome of %s", due[i].id);
		if (ok)
			pg_log("webhook %s delivered to %s (attempt %d)", due[i].id, url, attempts);
		else if (attempts >= STORE_MAX_ATTEMPTS)
			pg_log("webhook %s to %s failed: %s; giving up after %d attempts", due[i].id, url, err, attempts);
		else
			pg_log("webhook %s to %s failed: %s (attempt %d)", due[i].id, url, err, attempts);
	}
	for (i = 0; i < n; i++)
		free(due[i].body);
	return n;
}

static void purge_idempotency(void)
{
	enum pg_err rc;

	store_lock();
	rc = store_idem_purge(pg_now() - IDEM_KEEP_S);
	store_unlock();
	if (rc != PG_OK)
		pg_log("webhook: idempotency purge failed");
}

static void *wh_main(void *arg)
{
	CURL *c = curl_easy_init();
	int64_t last_purge = 0;

	if (!c) {
		pg_log("webhook: curl_easy_init failed; no webhooks will be sent");
		return NULL;
	}
	for (;;) {
		struct faults f;
		char url[2049];
		int64_t wait_ms = WEBHOOK_IDLE_MS, next = 0, now;
		struct timespec until;
		unsigned gen;

		if (stopping())
			break;
		if (pg_now() - last_purge >= PURGE_EVERY_S) {
			purge_idempotency();
			last_purge = pg_now();
		}
		pthread_mutex_lock(&wh_mu);
		wh_woken = 0;
		pthread_mutex_unlock(&wh_mu);
		/* The generation is read first: a change after it is seen by
		 * the delivery, which then stops. */
		gen = fault_generation();
		fault_get(&f);
		fault_webhook_url(url, sizeof(url));
		if (!f.webhooks_paused && url[0]) {
			if (deliver_batch(c, url, gen) == WEBHOOK_BATCH || fault_generation() != gen)
				continue;
			store_lock();
			if (store_event_next_due(&next) != PG_OK)
				next = 0;
			store_unlock();
			now = pg_now_ms();
			if (next && next - now < wait_ms)
				wait_ms = next > now ? next - now : 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += wait_ms / 1000;
		until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&wh_mu);
		while (!wh_woken && !wh_stopping &&
		       pthread_cond_timedwait(&wh_cond, &wh_mu, &until) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&wh_mu);
	}
	curl_easy_cleanup(c);
	return NULL;
}

enum pg_err webhook_start(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wh_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&wh_thread, NULL, wh_main, NULL) != 0)
		return PG_NOMEM;
	wh_started = 1;
	return PG_OK;
}

void webhook_stop(void)
{
	if (!wh_started)
		return;
	pthread_mutex_lock(&wh_mu);
	wh_stopping = 1;
	pthread_cond_signal(&wh_cond);
	pthread_mutex_unlock(&wh_mu);
	pthread_join(wh_thread, NULL);
	wh_started = 0;
}
