/* Flash-sale load for `make bench` (scripts/bench, scenario flashsale;
 * issue 18 part 5, docs/testing.md).
 *
 *   flashsale_load BASE_URL SALE_ID SKU_CODE BUYERS INFLIGHT START_EPOCH
 *
 * BUYERS guest shoppers go after one sale item, at most INFLIGHT requests
 * in flight at once (one thread, libcurl's multi interface: a buyer who
 * waits in the queue holds no connection, as a browser between two meta
 * refreshes holds none). START_EPOCH is the sale's startsAt (unix seconds,
 * fractions allowed). Buyer i arrives at START_EPOCH - 2 s + i *
 * (FLASH_ARRIVAL_S + 2) / BUYERS and then, as the waiting room's contract
 * says (docs/api.md, Waiting room):
 *
 *   GET  /api/session                      a guest session (sid, csrfToken)
 *   POST /api/sales/{id}/tickets           a ticket; "upcoming": ask again
 *   GET  /api/sales/{id}/tickets/mine      polled every pollSeconds (as the
 *   GET  /sales/{id}/wait                  page's refresh); every other poll is
 *                                          the HTML page a browser would load
 *                                          (its latency is the "wait page"
 *                                          figure; an `adm` cookie in its
 *                                          answer is an admission too)
 *   PATCH /api/cart {"itemId","quantity":1}  with cookie adm and header
 *   POST /api/checkout/quote                 Shop-Admission once admitted
 *   POST /api/checkout (Idempotency-Key, pm_card_visa, as a guest: "email")
 *
 * until a final answer: an order (201), sold out (the room says "soldout",
 * or the cart or checkout refuses for stock), the sale ended, or none by
 * FLASH_TIMEOUT_S. Answers that mean "ask again" (429 with Retry-After, 503,
 * 409 "being placed", a lost connection) are asked again with the same
 * Idempotency-Key; a lost session (401/403 without "wait") starts a new one;
 * 403 "Please wait for your turn" (an admission that expired) goes back to
 * polling; a ticket the room lost (404 on .../mine) joins again.
 *
 * Output, one line of key=value (scripts/bench reads it):
 *   buyers orders soldout ended other unanswered admitted errors http429
 *   first_order_s last_order_s  (seconds after START_EPOCH)
 *   first_admit_s               (the first admission any buyer saw)
 *   orders_per_s = orders / (last order - first admission seen, or
 *                  START_EPOCH without a room)
 *   sellout_s    = last order - START_EPOCH
 *   wait_p50_ms wait_p99_ms     (GET /sales/{id}/wait)
 *   poll_p99_ms                 (GET .../tickets/mine)
 *   checkout_p50_ms checkout_p99_ms  (an admitted buyer's add to cart,
 *                                     quote and place, first request to 201)
 *   place_p99_ms                (the POST /api/checkout that answered 201)
 *   fairness fairness_late inversions
 *
 * Fairness: over the buyers who were admitted, t = a buyer's rank by when
 * its ticket was issued (the join's answer, so arrival order), a = its rank
 * by when its admission was first seen; fairness = mean |a - t| / n (0: the
 * room admitted in ticket order; a random order gives about 1/3).
 * fairness_late is the same over the tickets issued FLASH_SHUFFLE_S
 * (default 10) or more after START_EPOCH, which the room orders by arrival
 * (the earlier ones it shuffles on purpose: when every admitted ticket came
 * in the shuffle window, fairness near 1/3 is the design at work).
 * inversions: the share of pairs
 * admitted in the other order than their tickets' by more than 2 s (the
 * polling interval: closer pairs say nothing). Polling blurs the admission
 * time by up to 2 s, so at R admissions/s fairness_late carries a noise of
 * about R / n.
 *
 * Environment: FLASH_ARRIVAL_S (10), FLASH_TIMEOUT_S (300, from the start),
 * FLASH_SHUFFLE_S (10), FLASH_ANSWERS (a file for each buyer's final answer:
 * "buyer answer order ticket_rank admission_rank checkout_ms polls detail"),
 * FLASH_HTML_POLLS (1: every other poll is the HTML page; 0: JSON only),
 * FLASH_NO_ROOM (1: no waiting room: session, cart, quote, place; a check
 * of the buying half against a SKU without a sale, SALE_ID then only names
 * the Idempotency-Keys and emails). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>

enum step { S_ARRIVE, S_SESSION, S_JOIN, S_POLL, S_CART, S_QUOTE, S_PLACE, S_DONE };
enum answer { A_NONE, A_ORDER, A_SOLDOUT, A_ENDED, A_OTHER };
static const char *answer_names[] = { "none", "order", "soldout", "ended", "other" };

struct buyer {
	int idx;
	enum step step;
	enum answer answer;
	double due;			/* wall clock (unix seconds) of the next request */
	char sid[160], csrf[160], adm[600], key[80], email[80];
	int key_n, polls, tries, html_next;
	long long amount, order_id;
	double t_ticket, t_admit, t_co_start, t_order;
	long ticket_seq, admit_seq;
	char detail[120];
	/* the request in flight */
	CURL *h;
	struct curl_slist *hdrs;
	char *body;
	size_t len, cap;
	char new_sid[160], new_adm[600];
	double retry_after, t_req;
	int html;
};

static const char *base, *sku;
static long long sale_id;
static int nbuyers, inflight, html_polls = 1, no_room;
static double start_epoch, arrival_s = 10, timeout_s = 300, shuffle_s = 10;
static struct buyer *buyers;
static long ticket_counter, admit_counter, errors, http429;
static long finished;

/* ---- time, samples ---- */

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct samples {
	double *v;
	size_t n, cap;
};
static struct samples s_wait, s_poll, s_checkout, s_place;

static void sample(struct samples *s, double ms)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = realloc(s->v, s->cap * sizeof(double));
		if (!s->v) {
			perror("flashsale_load");
			exit(1);
		}
	}
	s->v[s->n++] = ms;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(struct samples *s, double p)
{
	size_t i;

	if (!s->n)
		return 0;
	qsort(s->v, s->n, sizeof(double), cmp_d);
	i = (size_t)(p * (double)s->n);
	return s->v[i < s->n ? i : s->n - 1];
}

/* ---- the schedule: a min-heap of buyers by due time ---- */

static int *heap;
static size_t nheap;

static int before(int a, int b)
{
	return buyers[a].due < buyers[b].due;
}

static void heap_push(int b)
{
	size_t i = nheap++;

	heap[i] = b;
	while (i > 0 && before(heap[i], heap[(i - 1) / 2])) {
		int t = heap[i];

		heap[i] = heap[(i - 1) / 2];
		heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static int heap_pop(void)
{
	int top = heap[0];
	size_t i = 0;

	heap[0] = heap[--nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < nheap && before(heap[l], heap[m]))
			m = l;
		if (r < nheap && before(heap[r], heap[m]))
			m = r;
		if (m == i)
			break;
		int t = heap[i];

		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
	return top;
}

static void later(struct buyer *b, enum step st, double secs)
{
	/* A little jitter, so that buyers who answered together do not all
	 * come back in the same millisecond. */
	b->step = st;
	b->due = wall() + secs * (0.9 + 0.2 * (double)rand() / RAND_MAX);
	heap_push(b->idx);
}

static void now_step(struct buyer *b, enum step st)
{
	b->step = st;
	b->due = wall();
	heap_push(b->idx);
}

static void final(struct buyer *b, enum answer a, const char *why)
{
	b->step = S_DONE;
	b->answer = a;
	snprintf(b->detail, sizeof(b->detail), "%s", why ? why : "");
	for (char *p = b->detail; *p; p++)
		if (*p == '\n' || *p == '\t' || *p == ' ')
			*p = '_';
	finished++;
}

/* ---- requests ---- */

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct buyer *b = ud;
	size_t k = sz * n;

	if (b->len + k + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + k + 1)
			cap *= 2;
		if (!(b->body = realloc(b->body, cap)))
			return 0;
		b->cap = cap;
	}
	memcpy(b->body + b->len, p, k);
	b->len += k;
	b->body[b->len] = '\0';
	return k;
}

/* "name=value" of a Set-Cookie line into out (empty value: cleared). */
static void cookie_value(const char *line, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	const char *v = line, *end;

	while (*v == ' ')
		v++;
	if (strncmp(v, name, nl) || v[nl] != '=')
		return;
	v += nl + 1;
	end = v + strcspn(v, ";\r\n");
	snprintf(out, n, "%.*s", (int)(end - v), v);
	if (!*out)
		snprintf(out, n, "-");	/* cleared by the server */
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct buyer *b = ud;
	size_t k = sz * n;
	char line[1024];

	snprintf(line, sizeof(line), "%.*s", (int)(k < sizeof(line) - 1 ? k : sizeof(line) - 1), p);
	if (!strncasecmp(line, "Set-Cookie:", 11)) {
		cookie_value(line + 11, "sid", b->new_sid, sizeof(b->new_sid));
		cookie_value(line + 11, "adm", b->new_adm, sizeof(b->new_adm));
	} else if (!strncasecmp(line, "Retry-After:", 12)) {
		b->retry_after = atof(line + 12);
	}
	return k;
}

static const char *addr = "\"shippingAddress\":{\"name\":\"Flash Buyer\",\"line1\":\"1 Main St\",\"city\":\"Austin\","
			  "\"region\":\"TX\",\"postalCode\":\"78701\",\"country\":\"US\"},\"shippingMethod\":\"standard\"";

static void start(CURLM *m, struct buyer *b)
{
	char url[512], hdr[900], body[1024];
	const char *method = "GET", *payload = NULL;
	int json_body = 0;

	b->h = curl_easy_init();
	b->hdrs = NULL;
	b->len = 0;
	if (b->body)
		b->body[0] = '\0';
	b->new_sid[0] = b->new_adm[0] = '\0';
	b->retry_after = 0;
	b->html = 0;
	switch (b->step) {
	case S_SESSION:
		snprintf(url, sizeof(url), "%s/api/session", base);
		break;
	case S_JOIN:
		snprintf(url, sizeof(url), "%s/api/sales/%lld/tickets", base, sale_id);
		method = "POST";
		payload = "{}";
		json_body = 1;
		break;
	case S_POLL:
		b->html = html_polls && b->html_next;
		b->html_next = !b->html_next;
		if (b->html)
			snprintf(url, sizeof(url), "%s/sales/%lld/wait", base, sale_id);
		else
			snprintf(url, sizeof(url), "%s/api/sales/%lld/tickets/mine", base, sale_id);
		break;
	case S_CART:
		snprintf(url, sizeof(url), "%s/api/cart", base);
		snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":1}", sku);
		method = "PATCH";
		payload = body;
		json_body = 1;
		break;
	case S_QUOTE:
		snprintf(url, sizeof(url), "%s/api/checkout/quote", base);
		snprintf(body, sizeof(body), "{\"email\":\"%s\",%s}", b->email, addr);
		method = "POST";
		payload = body;
		json_body = 1;
		break;
	case S_PLACE:
		snprintf(url, sizeof(url), "%s/api/checkout", base);
		snprintf(body, sizeof(body), "{\"email\":\"%s\",%s,\"amount\":%lld,\"paymentMethod\":\"pm_card_visa\"}",
			 b->email, addr, b->amount);
		method = "POST";
		payload = body;
		json_body = 1;
		snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", b->key);
		b->hdrs = curl_slist_append(b->hdrs, hdr);
		break;
	default:
		fprintf(stderr, "flashsale_load: buyer %d in step %d\n", b->idx, b->step);
		exit(1);
	}
	b->hdrs = curl_slist_append(b->hdrs, b->html ? "Accept: text/html" : "Accept: application/json");
	if (json_body)
		b->hdrs = curl_slist_append(b->hdrs, "Content-Type: application/json");
	if (b->sid[0] || b->adm[0]) {
		snprintf(hdr, sizeof(hdr), "Cookie: %s%s%s%s%s", b->sid[0] ? "sid=" : "", b->sid,
			 b->sid[0] && b->adm[0] ? "; " : "", b->adm[0] ? "adm=" : "", b->adm);
		b->hdrs = curl_slist_append(b->hdrs, hdr);
	}
	if (b->csrf[0] && strcmp(method, "GET")) {
		snprintf(hdr, sizeof(hdr), "X-CSRF-Token: %s", b->csrf);
		b->hdrs = curl_slist_append(b->hdrs, hdr);
	}
	if (b->adm[0]) {
		snprintf(hdr, sizeof(hdr), "Shop-Admission: %s", b->adm);
		b->hdrs = curl_slist_append(b->hdrs, hdr);
	}
	curl_easy_setopt(b->h, CURLOPT_URL, url);
	curl_easy_setopt(b->h, CURLOPT_CUSTOMREQUEST, method);
	if (payload)
		curl_easy_setopt(b->h, CURLOPT_COPYPOSTFIELDS, payload);
	curl_easy_setopt(b->h, CURLOPT_HTTPHEADER, b->hdrs);
	curl_easy_setopt(b->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(b->h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(b->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(b->h, CURLOPT_HEADERDATA, b);
	curl_easy_setopt(b->h, CURLOPT_PRIVATE, b);
	curl_easy_setopt(b->h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(b->h, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(b->h, CURLOPT_NOSIGNAL, 1L);
	b->t_req = wall();
	curl_multi_add_handle(m, b->h);
}

/* ---- answers ---- */

static const char *jstr(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));

	return s ? s : "";
}

static const char *err_message(json_t *j)
{
	const char *s = json_string_value(json_object_get(json_object_get(j, "error"), "message"));

	return s ? s : "";
}

static const char *step_names[] = { "arrive", "GET /api/session", "POST .../tickets", "poll", "PATCH /api/cart",
				     "POST /api/checkout/quote", "POST /api/checkout", "done" };
static long shown;

/* The first few unexpected answers, to stderr: why a run went wrong. */
static void show(const struct buyer *b, long st)
{
	if (shown++ < 8)
		fprintf(stderr, "flashsale_load: buyer %d: %s%s answered %ld: %.200s\n", b->idx, step_names[b->step],
			b->step == S_POLL ? (b->html ? " (GET /sales/{id}/wait)" : " (GET .../tickets/mine)") : "", st,
			b->body ? b->body : "");
}

/* Ask again later: a throttle (Retry-After), the service busy or gone. */
static void again(struct buyer *b, long st)
{
	double wait = b->retry_after > 0 ? b->retry_after : 1;

	if (st == 429) {
		http429++;
	} else {
		errors++;
		show(b, st);
	}
	if (wall() > start_epoch + timeout_s) {
		char why[80];

		snprintf(why, sizeof(why), "no final answer: last status %ld", st);
		final(b, A_NONE, why);
		return;
	}
	later(b, b->step, wait > 5 ? 5 : wait);
}

/* 401/403 that is not the waiting room's: the session is gone (Redis lost
 * it); a new one, then the queue again (the ticket went with it). */
static void lost_session(struct buyer *b)
{
	b->sid[0] = b->csrf[0] = '\0';
	errors++;
	later(b, S_SESSION, 0.5);
}

static int please_wait(long st, const char *body)
{
	return st == 403 && body && (strstr(body, "wait") || strstr(body, "Wait") || strstr(body, "turn"));
}

static void admitted(struct buyer *b, const char *token)
{
	if (token && *token)
		snprintf(b->adm, sizeof(b->adm), "%s", token);
	if (!b->t_admit) {
		b->t_admit = wall();
		b->admit_seq = ++admit_counter;
	}
	if (!b->t_co_start)
		b->t_co_start = wall();
	now_step(b, S_CART);
}

static void ticket_issued(struct buyer *b)
{
	if (!b->t_ticket) {
		b->t_ticket = wall();
		b->ticket_seq = ++ticket_counter;
	}
}

/* As a browser on the waiting page: its meta refresh is the room's
 * pollSeconds (2 s near the front, up to 10 s far back). Without it,
 * waitSeconds within 1..2 s. Polling every 1-2 s whatever the place had
 * 10,000 buyers ask 5,000-10,000 times a second, which queued the admitted
 * buyers' checkouts behind the polls for seconds. */
static double poll_interval(json_t *j)
{
	double p = json_number_value(json_object_get(j, "pollSeconds"));
	double w = json_number_value(json_object_get(j, "waitSeconds"));

	if (p >= 1)
		return p > 10 ? 10 : p;
	return w < 1 ? 1 : w > 2 ? 2 : w;
}

/* The room's word on this buyer (the join's or the poll's answer). */
static void room_status(struct buyer *b, json_t *j)
{
	const char *st = jstr(j, "status");

	if (!strcmp(st, "admitted")) {
		ticket_issued(b);
		if (*jstr(j, "admission"))
			admitted(b, jstr(j, "admission"));
		else if (b->new_adm[0] && strcmp(b->new_adm, "-"))
			admitted(b, b->new_adm);
		else
			now_step(b, S_POLL);	/* the join says admitted; the poll hands the token */
	} else if (!strcmp(st, "waiting")) {
		ticket_issued(b);
		later(b, S_POLL, poll_interval(j));
	} else if (!strcmp(st, "upcoming")) {
		if (*jstr(j, "ticket"))
			ticket_issued(b);
		later(b, *jstr(j, "ticket") || b->step == S_POLL ? S_POLL : S_JOIN, 1);
	} else if (!strcmp(st, "soldout")) {
		final(b, A_SOLDOUT, "room: soldout");
	} else if (!strcmp(st, "ended")) {
		final(b, A_ENDED, "room: ended");
	} else {
		errors++;
		later(b, b->step, 1);
	}
}

static void done(struct buyer *b, CURLcode cc)
{
	long st = 0;
	double ms = (wall() - b->t_req) * 1000;
	json_t *j;
	const char *body = b->body ? b->body : "";

	if (cc == CURLE_OK)
		curl_easy_getinfo(b->h, CURLINFO_RESPONSE_CODE, &st);
	if (b->new_sid[0])
		snprintf(b->sid, sizeof(b->sid), "%s", strcmp(b->new_sid, "-") ? b->new_sid : "");
	j = st && b->len && body[0] == '{' ? json_loads(body, 0, NULL) : NULL;
	b->tries++;
	if (st == 0 || st == 429 || st == 500 || st == 502 || st == 503 || st == 504) {
		again(b, st);
		goto out;
	}
	switch (b->step) {
	case S_SESSION:
		if (st == 200 && *jstr(j, "csrfToken") && b->sid[0]) {
			snprintf(b->csrf, sizeof(b->csrf), "%s", jstr(j, "csrfToken"));
			if (no_room) {
				if (!b->t_co_start)
					b->t_co_start = wall();
				now_step(b, S_CART);
			} else {
				now_step(b, S_JOIN);
			}
		} else {
			again(b, st);
		}
		break;
	case S_JOIN:
		if (st == 200 || st == 201)
			room_status(b, j);
		else if (st == 401 || st == 403)
			lost_session(b);
		else
			again(b, st);	/* 404: the sale is not there yet */
		break;
	case S_POLL:
		b->polls++;
		if (b->html) {
			sample(&s_wait, ms);
			if (b->new_adm[0] && strcmp(b->new_adm, "-"))
				admitted(b, b->new_adm);
			else if (st == 200)
				later(b, S_POLL, 1);	/* the JSON poll next says more */
			else if (st == 404)
				now_step(b, S_JOIN);
			else
				again(b, st);
			break;
		}
		sample(&s_poll, ms);
		if (st == 200)
			room_status(b, j);
		else if (st == 404)
			now_step(b, S_JOIN);	/* the room lost the ticket (Redis): join again */
		else if (st == 401 || st == 403)
			lost_session(b);
		else
			again(b, st);
		break;
	case S_CART:
		if (st == 200)
			now_step(b, S_QUOTE);
		else if (please_wait(st, body))
			now_step(b, S_POLL);
		else if (st == 401 || st == 403)
			lost_session(b);
		else if (st == 409 || st == 422)
			final(b, A_SOLDOUT, *err_message(j) ? err_message(j) : "cart refused");
		else
			again(b, st);
		break;
	case S_QUOTE:
		if (st == 200 && json_integer_value(json_object_get(j, "amount")) > 0) {
			b->amount = json_integer_value(json_object_get(j, "amount"));
			if (!b->key[0])
				snprintf(b->key, sizeof(b->key), "flash-%lld-%d-%d", sale_id, b->idx, b->key_n++);
			now_step(b, S_PLACE);
		} else if (please_wait(st, body)) {
			now_step(b, S_POLL);
		} else if (st == 401 || st == 403) {
			lost_session(b);
		} else if (st == 409 || st == 422) {
			/* An empty cart (the room's Redis lost the guest cart) is
			 * put back; anything else is the stock. */
			if (strstr(body, "empty"))
				now_step(b, S_CART);
			else
				final(b, A_SOLDOUT, *err_message(j) ? err_message(j) : "quote refused");
		} else {
			again(b, st);
		}
		break;
	case S_PLACE:
		if (st == 201) {
			b->order_id = json_integer_value(json_object_get(j, "id"));
			b->t_order = wall();
			sample(&s_place, ms);
			sample(&s_checkout, (wall() - b->t_co_start) * 1000);
			final(b, A_ORDER, "201");
		} else if (st == 409 && strstr(body, "being placed")) {
			again(b, st);
		} else if (st == 409 && json_integer_value(json_object_get(json_object_get(j, "error"), "amount")) > 0) {
			/* The total changed (the sale's price gone): the new amount,
			 * a new key (the refusal is the old key's answer). */
			b->amount = json_integer_value(json_object_get(json_object_get(j, "error"), "amount"));
			snprintf(b->key, sizeof(b->key), "flash-%lld-%d-%d", sale_id, b->idx, b->key_n++);
			now_step(b, S_PLACE);
		} else if (st == 422 && strstr(body, "another order")) {
			snprintf(b->key, sizeof(b->key), "flash-%lld-%d-%d", sale_id, b->idx, b->key_n++);
			now_step(b, S_QUOTE);
		} else if (st == 422 && strstr(body, "empty")) {
			now_step(b, S_CART);	/* the guest cart went with Redis */
		} else if (please_wait(st, body)) {
			now_step(b, S_POLL);
		} else if (st == 401 || st == 403) {
			lost_session(b);
		} else if (st == 409) {
			final(b, A_SOLDOUT, *err_message(j) ? err_message(j) : "checkout refused");
		} else {
			char why[120];

			snprintf(why, sizeof(why), "checkout %ld: %.100s", st, *err_message(j) ? err_message(j) : body);
			show(b, st);
			final(b, A_OTHER, why);
		}
		break;
	default:
		break;
	}
out:
	json_decref(j);
}

/* ---- fairness ---- */

struct ranked {
	int b;
	double key;
};

static int cmp_r(const void *x, const void *y)
{
	double a = ((const struct ranked *)x)->key, c = ((const struct ranked *)y)->key;

	return a < c ? -1 : a > c;
}

/* mean |admission rank - ticket rank| / n over the admitted buyers whose
 * ticket came at or after from (unix seconds). */
static double fairness(double from, size_t *count)
{
	struct ranked *t = calloc((size_t)nbuyers, sizeof(*t)), *a = calloc((size_t)nbuyers, sizeof(*a));
	long *trank = calloc((size_t)nbuyers, sizeof(long));
	size_t n = 0;
	double sum = 0;

	if (!t || !a || !trank) {
		perror("flashsale_load");
		exit(1);
	}
	for (int i = 0; i < nbuyers; i++)
		if (buyers[i].ticket_seq && buyers[i].admit_seq && buyers[i].t_ticket >= from) {
			t[n].b = a[n].b = i;
			t[n].key = (double)buyers[i].ticket_seq;
			a[n].key = (double)buyers[i].admit_seq;
			n++;
		}
	qsort(t, n, sizeof(*t), cmp_r);
	qsort(a, n, sizeof(*a), cmp_r);
	for (size_t i = 0; i < n; i++)
		trank[t[i].b] = (long)i;
	for (size_t i = 0; i < n; i++)
		sum += fabs((double)i - (double)trank[a[i].b]);
	free(t);
	free(a);
	free(trank);
	*count = n;
	return n ? sum / ((double)n * (double)n) : 0;
}

/* The share of admitted pairs whose admissions came in the other order
 * than their tickets by more than 2 s. */
static double inversions(void)
{
	long long pairs = 0, inv = 0;

	for (int i = 0; i < nbuyers; i++) {
		const struct buyer *x = &buyers[i];

		if (!x->ticket_seq || !x->admit_seq)
			continue;
		for (int k = i + 1; k < nbuyers; k++) {
			const struct buyer *y = &buyers[k];

			if (!y->ticket_seq || !y->admit_seq)
				continue;
			pairs++;
			if ((x->ticket_seq < y->ticket_seq && y->t_admit < x->t_admit - 2) ||
			    (y->ticket_seq < x->ticket_seq && x->t_admit < y->t_admit - 2))
				inv++;
		}
	}
	return pairs ? (double)inv / (double)pairs : 0;
}

/* ---- main ---- */

static double env_num(const char *name, double dflt)
{
	const char *v = getenv(name);

	return v && *v ? atof(v) : dflt;
}

int main(int argc, char **argv)
{
	CURLM *m;
	int active = 0;
	long counts[5] = { 0 };
	double first_order = 0, last_order = 0, first_admit = 0;
	const char *answers = getenv("FLASH_ANSWERS");
	size_t nf, nl;
	double f_all, f_late, inv;

	if (argc != 7) {
		fprintf(stderr, "usage: flashsale_load BASE_URL SALE_ID SKU_CODE BUYERS INFLIGHT START_EPOCH\n");
		return 2;
	}
	base = argv[1];
	sale_id = atoll(argv[2]);
	sku = argv[3];
	nbuyers = atoi(argv[4]);
	inflight = atoi(argv[5]);
	start_epoch = atof(argv[6]);
	arrival_s = env_num("FLASH_ARRIVAL_S", arrival_s);
	timeout_s = env_num("FLASH_TIMEOUT_S", timeout_s);
	shuffle_s = env_num("FLASH_SHUFFLE_S", shuffle_s);
	html_polls = (int)env_num("FLASH_HTML_POLLS", 1);
	no_room = (int)env_num("FLASH_NO_ROOM", 0);
	if (sale_id <= 0 || !*sku || nbuyers < 1 || inflight < 1 || inflight > 4096 || start_epoch < 1e9) {
		fprintf(stderr, "flashsale_load: bad arguments (sale id, SKU code, buyers >= 1, 1 <= inflight <= 4096, "
			"start as unix seconds)\n");
		return 2;
	}
	buyers = calloc((size_t)nbuyers, sizeof(*buyers));
	heap = calloc((size_t)nbuyers, sizeof(*heap));
	if (!buyers || !heap) {
		perror("flashsale_load");
		return 1;
	}
	srand((unsigned)getpid());
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)inflight);
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)inflight);
	for (int i = 0; i < nbuyers; i++) {
		struct buyer *b = &buyers[i];

		b->idx = i;
		b->step = S_SESSION;
		b->html_next = i & 1;
		snprintf(b->email, sizeof(b->email), "flash-%lld-%d@example.com", sale_id, i);
		b->due = start_epoch - 2 + (double)i * (arrival_s + 2) / nbuyers;
		heap_push(i);
	}
	fprintf(stderr, "flashsale_load: %d buyers, %d in flight, sale %lld (%s) starting in %.1f s\n", nbuyers, inflight,
		sale_id, sku, start_epoch - wall());
	while (finished < nbuyers) {
		double t = wall(), wait_ms;
		CURLMsg *msg;
		int left, running;

		if (t > start_epoch + timeout_s + 35) {
			fprintf(stderr, "flashsale_load: stopped at the deadline with %d requests in flight\n", active);
			break;
		}
		while (active < inflight && nheap && buyers[heap[0]].due <= t) {
			struct buyer *b = &buyers[heap_pop()];

			if (t > start_epoch + timeout_s) {
				final(b, A_NONE, "no final answer by FLASH_TIMEOUT_S");
				continue;
			}
			start(m, b);
			active++;
		}
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left))) {
			struct buyer *b = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&b);
			curl_multi_remove_handle(m, msg->easy_handle);
			active--;
			done(b, msg->data.result);
			curl_easy_cleanup(b->h);
			curl_slist_free_all(b->hdrs);
			b->h = NULL;
			b->hdrs = NULL;
			if (b->step == S_DONE) {
				free(b->body);
				b->body = NULL;
				b->cap = b->len = 0;
			}
		}
		wait_ms = nheap ? (buyers[heap[0]].due - wall()) * 1000 : 100;
		if (active >= inflight || wait_ms > 100)
			wait_ms = 100;
		if (wait_ms > 0)
			curl_multi_poll(m, NULL, 0, (int)wait_ms, NULL);
	}
	curl_multi_cleanup(m);

	for (int i = 0; i < nbuyers; i++) {
		const struct buyer *b = &buyers[i];

		counts[b->step == S_DONE ? b->answer : A_NONE]++;
		if (b->t_admit && (!first_admit || b->t_admit < first_admit))
			first_admit = b->t_admit;
		if (b->answer == A_ORDER && b->t_order) {
			if (!first_order || b->t_order < first_order)
				first_order = b->t_order;
			if (b->t_order > last_order)
				last_order = b->t_order;
		}
	}
	f_all = fairness(0, &nf);
	f_late = fairness(start_epoch + shuffle_s, &nl);
	inv = inversions();
	if (answers) {
		FILE *f = fopen(answers, "w");

		if (!f) {
			perror(answers);
		} else {
			for (int i = 0; i < nbuyers; i++) {
				const struct buyer *b = &buyers[i];

				fprintf(f, "%d %s %lld %ld %ld %.0f %d %s\n", i, answer_names[b->answer], b->order_id,
					b->ticket_seq, b->admit_seq, b->t_order && b->t_co_start ? (b->t_order - b->t_co_start) * 1000 : 0,
					b->polls, b->detail[0] ? b->detail : "-");
			}
			fclose(f);
		}
	}
	printf("buyers=%d orders=%ld soldout=%ld ended=%ld other=%ld unanswered=%ld admitted=%ld errors=%ld http429=%ld "
	       "first_admit_s=%.2f first_order_s=%.2f last_order_s=%.2f orders_per_s=%.1f sellout_s=%.2f "
	       "wait_p50_ms=%.1f wait_p99_ms=%.1f poll_p99_ms=%.1f checkout_p50_ms=%.1f checkout_p99_ms=%.1f "
	       "place_p99_ms=%.1f fairness=%.3f fairness_late=%.3f late_admitted=%zu inversions=%.3f\n",
	       nbuyers, counts[A_ORDER], counts[A_SOLDOUT], counts[A_ENDED], counts[A_OTHER], counts[A_NONE], admit_counter,
	       errors, http429, first_admit ? first_admit - start_epoch : 0, first_order ? first_order - start_epoch : 0,
	       last_order ? last_order - start_epoch : 0,
	       last_order > (first_admit ? first_admit : start_epoch)
		       ? (double)counts[A_ORDER] / (last_order - (first_admit ? first_admit : start_epoch)) : 0,
	       last_order ? last_order - start_epoch : 0, pct(&s_wait, 0.5), pct(&s_wait, 0.99), pct(&s_poll, 0.99),
	       pct(&s_checkout, 0.5), pct(&s_checkout, 0.99), pct(&s_place, 0.99), f_all, f_late, nl, inv);
	(void)nf;
	free(buyers);
	free(heap);
	return 0;
}
