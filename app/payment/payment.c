/* The paygate adapter (see payment.h). One libcurl easy handle per call:
 * payment calls are few per order, and a fresh handle never carries state
 * from a failed call into the next. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/fault.h"
#include "../core/log.h"
#include "../core/sig.h"
#include "payment.h"


static char *base_url, *api_key, *hook_secret;

static char *read_secret(const char *path)
{
	char buf[512];
	FILE *f = path && *path ? fopen(path, "r") : NULL;
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return n ? strdup(buf) : NULL;
}

enum err payment_init(void)
{
	const char *u = getenv("SHOP_PAYGATE_URL");

	if (base_url)
		return E_OK;
	if (!u || !*u)
		return E_UNAVAIL;
	api_key = read_secret(getenv("SHOP_PAYGATE_KEY_FILE"));
	hook_secret = read_secret(getenv("SHOP_PAYGATE_WEBHOOK_SECRET_FILE"));
	if (!api_key) {
		log_err("payment: SHOP_PAYGATE_KEY_FILE is missing or empty");
		return E_UNAVAIL;
	}
	base_url = strdup(u);
	return base_url ? E_OK : E_NOMEM;
}

struct sink {
	struct buf b;
};

static size_t sink_write(char *p, size_t sz, size_t n, void *ud)
{
	struct sink *s = ud;

	if (s->b.len + sz * n > 1024 * 1024)
		return 0;	/* no gateway answer is this large */
	buf_put(&s->b, p, sz * n);
	return sz * n;
}

static const char *str(struct arena *a, json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? arena_strdup(a, v) : "";
}

static void fill(struct arena *a, json_t *pi, struct payment *p)
{
	json_t *pm = json_object_get(pi, "payment_method"), *err = json_object_get(pi, "last_payment_error");

	p->id = str(a, pi, "id");
	p->status = str(a, pi, "status");
	p->amount = json_integer_value(json_object_get(pi, "amount"));
	p->amount_capturable = json_integer_value(json_object_get(pi, "amount_capturable"));
	p->amount_received = json_integer_value(json_object_get(pi, "amount_received"));
	p->amount_refunded = json_integer_value(json_object_get(pi, "amount_refunded"));
	p->hosted_url = str(a, pi, "hosted_url");
	p->brand = json_is_object(pm) ? str(a, pm, "brand") : "";
	p->last4 = json_is_object(pm) ? str(a, pm, "last4") : "";
	if (json_is_object(err) && !*p->error_code) {
		p->error_type = str(a, err, "type");
		p->error_code = str(a, err, "code");
		p->decline_code = str(a, err, "decline_code");
		p->error_message = str(a, err, "message");
	}
}

/* One call. body is JSON (NULL for GET). E_OK when the gateway answered with
 * a JSON object below 500, E_UNAVAIL otherwise. With raw, the parsed answer
 * is handed to the caller (a new reference) instead of read into p. */
static enum err call_raw(struct arena *a, const char *method, const char *path, const char *idem_key,
			 json_t *body, struct payment *p, json_t **raw)
{
	struct curl_slist *h = NULL;
	struct sink s;
	char *text = NULL;
	const char *url;
	json_t *j = NULL, *err, *pi;
	long status = 0;
	CURLcode rc;
	CURL *c;
	enum fault_kind fk = fault_at(FAULT_PAY);
	enum err e = E_UNAVAIL;

	memset(p, 0, sizeof(*p));
	p->id = p->status = p->hosted_url = p->brand = p->last4 = "";
	p->error_type = p->error_code = p->decline_code = p->error_message = "";
	if (payment_init())
		return E_UNAVAIL;
	if (fk == FAULT_ERROR || fk == FAULT_LOST) {
		log_warn("payment: %s %s: injected fault: no answer", method, path);
		return E_UNAVAIL;	/* never reached the gateway */
	}
	if (!(c = curl_easy_init()))
		return E_NOMEM;
	buf_init(&s.b, a, 2048);
	url = arena_printf(a, "%s%s", base_url, path);
	h = curl_slist_append(h, arena_printf(a, "Authorization: Bearer %s", api_key));
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	if (idem_key)
		h = curl_slist_append(h, arena_printf(a, "Idempotency-Key: %s", idem_key));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text ? text : "{}");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)PAYMENT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(text);
	p->http_status = (int)status;
	if (rc == CURLE_OK && fk == FAULT_LOST_AFTER) {
		log_warn("payment: %s %s: injected fault: the answer is lost", method, path);
		return E_UNAVAIL;	/* the gateway acted; the shop does not know */
	}
	if (rc != CURLE_OK) {
		log_warn("payment: %s %s: %s", method, path, curl_easy_strerror(rc));
		return E_UNAVAIL;
	}
	if (status >= 500 || !(j = json_loadb(s.b.p ? s.b.p : "", s.b.len, 0, NULL)) || !json_is_object(j)) {
		log_warn("payment: %s %s: answer %ld", method, path, status);
		goto out;
	}
	err = json_object_get(j, "error");
	if (raw && !json_is_object(err)) {
		*raw = j;
		return E_OK;
	}
	if (json_is_object(err)) {
		p->error_type = str(a, err, "type");
		p->error_code = str(a, err, "code");
		p->decline_code = str(a, err, "decline_code");
		p->error_message = str(a, err, "message");
		pi = json_object_get(err, "payment_intent");
		if (json_is_object(pi))
			fill(a, pi, p);
	} else {
		fill(a, j, p);
	}
	e = E_OK;
	/* Answers about the key, not about the payment. "In use" means the
	 * first request with this key is still running at the gateway: its
	 * outcome is unknown, so it is never a decline (the caller asks
	 * again later and gets the stored answer). A key reused with another
	 * body is a bug of ours (keys are derived from the order). */
	if (!strcmp(p->error_type, "idempotency_error")) {
		if (!strcmp(p->error_code, "idempotency_key_in_use")) {
			e = E_BUSY;
		} else {
			log_err("payment: %s %s: key %s: %s", method, path, idem_key ? idem_key : "-", p->error_code);
			e = E_INTERNAL;
		}
	}
out:
	json_decref(j);
	return e;
}

/* Ids travel in URL paths: only the gateway's own alphabet is let through. */
static int safe_id(const char *id)
{
	return id && *id && strlen(id) < 64 &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(id);
}

static enum err call(struct arena *a, const char *method, const char *path, const char *idem_key,
		     json_t *body, struct payment *p)
{
	return call_raw(a, method, path, idem_key, body, p, NULL);
}

enum err payment_list(struct arena *a, const char *after, int limit, json_t **list, int *more)
{
	struct payment p;
	json_t *j = NULL;
	enum err e;

	*list = NULL;
	*more = 0;
	if (after && !safe_id(after))
		return E_INVAL;
	e = call_raw(a, "GET", arena_printf(a, "/v1/payment_intents?limit=%d%s%s", limit, after ? "&starting_after=" : "",
					    after ? after : ""), NULL, NULL, &p, &j);
	if (e)
		return e;
	if (!j)
		return E_INTERNAL;	/* an error answer: a bad cursor or key */
	*list = json_incref(json_object_get(j, "data"));
	*more = json_is_true(json_object_get(j, "has_more"));
	json_decref(j);
	return json_is_array(*list) ? E_OK : E_INTERNAL;
}

enum err payment_create(struct arena *a, const char *idem_key, int64_t amount, const char *currency,
			const char *payment_method, const char *return_url, int64_t order_id,
			struct payment *p)
{
	char cur[4] = "usd", oid[24];
	json_t *b;
	enum err e;

	for (int i = 0; i < 3 && currency && currency[i]; i++)
		cur[i] = (char)(currency[i] | 0x20);
	snprintf(oid, sizeof(oid), "%lld", (long long)order_id);
	b = json_pack("{s:I, s:s, s:s, s:s, s:{s:s}}", "amount", (json_int_t)amount, "currency", cur,
		      "capture_method", "manual", "description", arena_printf(a, "Shop order %s", oid),
		      "metadata", "order_id", oid);
	if (!b)
		return E_NOMEM;
	if (payment_method && *payment_method) {
		json_object_set_new(b, "payment_method", json_string(payment_method));
		json_object_set_new(b, "confirm", json_true());
	}
	if (return_url)
		json_object_set_new(b, "return_url", json_string(return_url));
	e = call(a, "POST", "/v1/payment_intents", idem_key, b, p);
	json_decref(b);
	return e;
}

enum err payment_get(struct arena *a, const char *intent, struct payment *p)
{
	if (!safe_id(intent))
		return E_INVAL;
	return call(a, "GET", arena_printf(a, "/v1/payment_intents/%s", intent), NULL, NULL, p);
}

enum err payment_confirm(struct arena *a, const char *idem_key, const char *intent,
			 const char *payment_method, struct payment *p)
{
	json_t *b = json_pack("{s:s}", "payment_method", payment_method ? payment_method : "");
	enum err e;

	if (!safe_id(intent)) {
		json_decref(b);
		return E_INVAL;
	}
	e = call(a, "POST", arena_printf(a, "/v1/payment_intents/%s/confirm", intent), idem_key, b, p);
	json_decref(b);
	return e;
}

enum err payment_capture(struct arena *a, const char *idem_key, const char *intent, int64_t amount,
			 int final, struct payment *p)
{
	json_t *b = json_pack("{s:I, s:b}", "amount_to_capture", (json_int_t)amount, "final_capture", final);
	enum err e;

	if (!safe_id(intent)) {
		json_decref(b);
		return E_INVAL;
	}
	e = call(a, "POST", arena_printf(a, "/v1/payment_intents/%s/capture", intent), idem_key, b, p);
	json_decref(b);
	return e;
}

enum err payment_cancel(struct arena *a, const char *idem_key, const char *intent, struct payment *p)
{
	json_t *b = json_pack("{s:s}", "cancellation_reason", "abandoned");
	enum err e;

	if (!safe_id(intent)) {
		json_decref(b);
		return E_INVAL;
	}
	e = call(a, "POST", arena_printf(a, "/v1/payment_intents/%s/cancel", intent), idem_key, b, p);
	json_decref(b);
	return e;
}

enum err payment_refund(struct arena *a, const char *idem_key, const char *intent, int64_t amount,
			struct payment *p)
{
	json_t *b = json_pack("{s:s, s:I}", "payment_intent", intent, "amount", (json_int_t)amount);
	enum err e = call(a, "POST", "/v1/refunds", idem_key, b, p);

	json_decref(b);
	return e;
}

const char *payment_origin(void)
{
	static char origin[256];
	const char *p;
	size_t n;

	if (origin[0] || payment_init())
		return origin;
	/* scheme://host[:port], without any path. */
	p = strstr(base_url, "://");
	n = p ? (size_t)(p + 3 - base_url) + strcspn(p + 3, "/?#") : 0;
	if (n && n < sizeof(origin) && !strpbrk(base_url, " ;,'\""))
		snprintf(origin, sizeof(origin), "%.*s", (int)n, base_url);
	return origin;
}

const char *payment_reason(const struct payment *p)
{
	if (!strcmp(p->decline_code, "insufficient_funds"))
		return "Your card was declined: insufficient funds. Try another card.";
	if (!strcmp(p->error_code, "expired_card"))
		return "Your card has expired. Try another card.";
	if (!strcmp(p->error_code, "processing_error"))
		return "The card could not be processed just now. Please try again.";
	if (!strcmp(p->error_code, "incorrect_number"))
		return "The card number is not right. Please check it.";
	if (!strcmp(p->error_code, "card_declined"))
		return "Your card was declined. Try another card.";
	return "The payment did not go through. Please try again.";
}

int payment_verify_webhook(const char *header, const char *body, size_t len, int64_t now)
{
	if (payment_init())
		return -1;
	return sig_verify(hook_secret, header, body, len, now, PAYMENT_WEBHOOK_TOLERANCE);
}
