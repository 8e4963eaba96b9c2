/* The gateway's own data: one SQLite file in WAL mode, one connection,
 * one mutex. Every store_* function except store_open/store_close expects
 * the caller to hold the lock (store_lock), and a request's reads and
 * writes run inside one store_begin/store_commit, so a state change, its
 * event and its idempotency answer are committed together or not at all. */
#ifndef PAYGATE_STORE_H
#define PAYGATE_STORE_H

#include <stdint.h>
#include <jansson.h>
#include "pg.h"

enum pi_status {
	PI_REQUIRES_PAYMENT_METHOD,
	PI_REQUIRES_CAPTURE,
	PI_SUCCEEDED,
	PI_CANCELED
};

/* One payment_intents row. The char * members are malloc'd (NULL = SQL
 * NULL) and freed by intent_row_free; metadata, payment_method and
 * last_payment_error hold JSON text. */
struct intent {
	char id[32];
	int64_t amount;
	char currency[4];
	enum pi_status status;
	int manual;			/* capture_method manual */
	int64_t capturable, received, refunded;
	char secret[32];		/* the hosted page's ?s= */
	char *return_url, *description, *metadata;
	char *pm_token;			/* a pm_card_* attached at create, not yet tried */
	char *payment_method, *last_error;
	int64_t created, canceled_at;	/* canceled_at 0 = null */
	char *cancel_reason;
};

struct refund {
	char id[32];
	char intent[32];
	int64_t amount;
	char *reason;			/* malloc'd or NULL */
	int64_t created;
};

/* An event due for delivery; body is malloc'd. */
struct due_event {
	int64_t seq;
	char id[32];
	int attempts;
	char *body;
};

/* The idempotency row of one (API key, Idempotency-Key). status 0 means
 * the first request is still being processed. response is malloc'd. */
struct idem {
	char method[8];
	char *path;
	unsigned char hash[32];
	int status;
	char *response;
	size_t response_len;
};

#define STORE_MAX_ATTEMPTS 20

enum pg_err store_open(const char *path);
void store_close(void);
void store_lock(void);
void store_unlock(void);
enum pg_err store_begin(void);
enum pg_err store_commit(void);
void store_rollback(void);
/* 1 when the database answers (for GET /health). */
int store_ping(void);

const char *pi_status_name(enum pi_status s);
void intent_row_free(struct intent *pi);
void refund_row_free(struct refund *re);

enum pg_err store_intent_insert(const struct intent *pi);
/* PG_NOTFOUND when absent; pi is filled and owned by the caller. */
enum pg_err store_intent_get(const char *id, struct intent *pi);
enum pg_err store_intent_update(const struct intent *pi);
/* Ids of the newest intents, newest first, into ids[max][32]; *n set. */
enum pg_err store_intent_ids(int max, const char *after, char (*ids)[32], int *n);

enum pg_err store_refund_insert(const struct refund *re);
enum pg_err store_refund_get(const char *id, struct refund *re);

enum pg_err store_event_insert(const char *id, const char *type, const char *intent,
			       const char *body, int64_t created, int64_t due_ms);
/* Appends the newest events (optionally of one intent) to arr as objects
 * with delivery fields added. */
enum pg_err store_event_list(int limit, const char *intent, json_t *arr);
/* Up to max undelivered events due at now_ms, oldest due first. The caller
 * frees each body. */
enum pg_err store_event_due(int64_t now_ms, int max, struct due_event *out, int *n);
enum pg_err store_event_delivered(int64_t seq, int64_t at);
enum pg_err store_event_failed(int64_t seq, int attempts, int64_t next_ms, const char *error);
/* The earliest next attempt of an undelivered event, or 0 when none. */
enum pg_err store_event_next_due(int64_t *ms);

/* PG_NOTFOUND when the key is new. row is owned by the caller (idem_free). */
enum pg_err store_idem_get(const char *owner, const char *key, struct idem *row);
void idem_free(struct idem *row);
enum pg_err store_idem_claim(const char *owner, const char *key, const char *method,
			     const char *path, const unsigned char hash[32], int64_t now);
enum pg_err store_idem_finish(const char *owner, const char *key, int status,
			      const char *body, size_t len);
enum pg_err store_idem_release(const char *owner, const char *key);
enum pg_err store_idem_purge(int64_t before);

#endif
