/* Webhooks to third parties: endpoints an admin registers (a URL, the event
 * types it wants, a secret the shop makes and shows once), the "webhooks"
 * consumer of the event stream that writes one delivery per matching
 * enabled endpoint, and the delivery job that POSTs them, signed, with
 * retries for a day (docs/api.md "Webhooks").
 *
 * A delivery is the JSON {"id", "type", "createdAt", "data"} (data: the
 * event's payload), POSTed with Shop-Event-Id, Shop-Event-Type and
 * Shop-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 * (app/core/sig.h, the scheme of the payment gateway's webhooks). It is at
 * least once: a receiver deduplicates by Shop-Event-Id. A 2xx answer within
 * the timeout is a success; anything else is retried with exponential
 * backoff (SHOP_WEBHOOK_BACKOFF_MS, doubling, at most an hour apart) until
 * SHOP_WEBHOOK_RETRY_HOURS (24) after the event, then the delivery is
 * failed; an endpoint whose delivery failed so, with no success since that
 * delivery began, is disabled and the admins get a mail. */
#ifndef WEBHOOK_WEBHOOK_H
#define WEBHOOK_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct kv;
struct event;

struct webhook_endpoint {
	int64_t id;
	const char *url;
	const char *events;		/* "OrderPlaced,OrderConfirmed" */
	const char *secret;		/* only from webhook_create */
	int enabled;
	const char *disabled_reason;	/* "" when enabled */
	const char *disabled_at;	/* "" or "YYYY-MM-DD HH:MM:SS" */
	int64_t failures;		/* failed attempts in a row */
	const char *last_success_at;	/* "" or a time */
	const char *created_at;		/* "YYYY-MM-DDTHH:MM:SSZ" */
	int64_t pending, delivered, failed;	/* deliveries (list and get) */
};

struct webhook_delivery {
	int64_t id, event_id;
	const char *event_type, *status;	/* pending, delivered, failed */
	int64_t attempts;
	int64_t last_code;		/* -1: none (no answer) */
	int64_t last_ms;		/* -1: no attempt yet */
	const char *last_error, *created_at, *next_at, *finished_at;	/* "" when none */
};

struct webhook_attempt {
	int64_t delivery_id, event_id, attempt;
	const char *event_type;
	int ok;
	int64_t http_code;		/* -1: no answer */
	int64_t ms;
	const char *error, *at;
};

/* Statements and settings (SHOP_WEBHOOK_*); idempotent. */
void webhook_init(void);
/* SHOP_WEBHOOK_ALLOW_PRIVATE=1: the SSRF guard lets private and loopback
 * addresses through (tests, closed networks). */
int webhook_allow_private(void);

/* The event types an endpoint may ask for: every type of events.h. NULL
 * when each of types[0..n) is one, else a sentence for a 422. */
const char *webhook_types_check(struct arena *a, const char *const *types, size_t n);

/* Registers an endpoint: the URL through the SSRF guard (guard.h), the
 * types checked, a new secret. E_INVAL with *why (answered 422). */
enum err webhook_create(struct db *db, struct arena *a, const char *url, const char *const *types, size_t n,
			int64_t by, struct webhook_endpoint *out, const char **why);
enum err webhook_get(struct db *db, struct arena *a, int64_t id, struct webhook_endpoint *out);	/* E_NOTFOUND */
enum err webhook_list(struct db *db, struct arena *a, struct webhook_endpoint **out, size_t *n);
/* Deletes the endpoint with its deliveries and their log. E_NOTFOUND. */
enum err webhook_delete(struct db *db, struct arena *a, int64_t id);
/* Enables it again: failures cleared, its pending deliveries due now. */
enum err webhook_enable(struct db *db, struct arena *a, int64_t id);
/* The newest deliveries and attempts of an endpoint (at most 100 each). */
enum err webhook_deliveries(struct db *db, struct arena *a, int64_t id, struct webhook_delivery **out, size_t *n);
enum err webhook_attempts(struct db *db, struct arena *a, int64_t id, struct webhook_attempt **out, size_t *n);

/* The "webhooks" consumer's handler: one delivery row per enabled endpoint
 * that asked for ev's type, in one transaction, INSERT IGNORE on (endpoint,
 * event), so a replay adds nothing. */
enum err webhook_handle(struct db *db, struct kv *kv, struct arena *a, const struct event *ev);
/* The end of a batch: the endpoints are read again for the next. */
enum err webhook_flush(struct db *db, struct kv *kv, struct arena *a);

/* The delivery job: claims due deliveries (FOR UPDATE SKIP LOCKED, a lease
 * moved into next_at), POSTs each, records the attempt. The jobs contract
 * (app/module.h). */
int webhook_deliver_batch(struct db *db, struct kv *kv, struct arena *a);

/* The log's retention: delivered and failed deliveries finished more than
 * SHOP_WEBHOOK_KEEP_DAYS (30) ago are deleted with their attempts. */
int webhook_prune_batch(struct db *db, struct kv *kv, struct arena *a);

#endif
