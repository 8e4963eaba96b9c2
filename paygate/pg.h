/* The sandbox payment gateway (bin/paygate): what every module shares.
 *
 * paygate is a standalone program, not part of libshop: the shop's payment
 * adapter talks to it over HTTP exactly as it would to a real card gateway,
 * so nothing here may be reached by the shop except through the protocol in
 * paygate/README.md. Modules: util (buffers, ids, time, logging, escaping),
 * store (SQLite), card (test cards), intent (payment intent state and
 * events), fault (test faults), api (/v1), hosted (/pay pages), webhook
 * (delivery thread), paygate.c (configuration, HTTP server, dispatch). */
#ifndef PAYGATE_PG_H
#define PAYGATE_PG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum pg_err {
	PG_OK = 0,
	PG_NOMEM,	/* allocation failed */
	PG_INVAL,	/* bad input */
	PG_NOTFOUND,	/* no such row */
	PG_DB,		/* SQLite error */
	PG_IO		/* file or network error */
};

/* Settings read once from the environment at start; read-only afterwards,
 * so threads read them without a lock. */
struct pg_config {
	int port;
	const char *db_path;
	char *api_key;			/* trimmed contents of PAYGATE_API_KEY_FILE */
	char api_owner[65];		/* hex SHA-256 of the key: idempotency rows are per key */
	char *webhook_url;		/* "" = no webhooks */
	char *webhook_secret;		/* trimmed contents of PAYGATE_WEBHOOK_SECRET_FILE */
	char *public_url;		/* base of hosted_url, no trailing slash */
	int64_t backoff_ms;		/* first webhook retry delay */
	int64_t webhook_delay_ms;	/* an event's first delivery, after its change */
};

extern struct pg_config pg_cfg;

/* Growable malloc'd byte buffer, always NUL-terminated after len. After an
 * allocation failure oom is set and later writes are dropped, so callers
 * check once at the end. Free with pbuf_free. */
struct pbuf {
	char *p;
	size_t len, cap;
	int oom;
};

void pbuf_put(struct pbuf *b, const void *p, size_t n);
void pbuf_puts(struct pbuf *b, const char *s);
void pbuf_printf(struct pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pbuf_free(struct pbuf *b);
/* Appends s escaped for HTML text and attribute values. */
void pbuf_html(struct pbuf *b, const char *s);

/* What a handler answers. body is owned by the reply; location and allow
 * point at memory that lives as long as the reply (location is malloc'd
 * and freed by reply_free). */
struct reply {
	int status;
	struct pbuf body;
	const char *ctype;
	char *location;		/* Location header or NULL */
	const char *allow;	/* Allow header for 405 or NULL */
	int auth_challenge;	/* add WWW-Authenticate (401) */
	int replayed;		/* answer came from the idempotency store */
	int drop;		/* close the connection instead of answering */
	int html;		/* hosted page: add the page's security headers */
};

void reply_free(struct reply *r);

/* One HTTP request as the handlers see it; every pointer lives until the
 * answer is queued. */
struct request {
	const char *method;
	const char *path;		/* percent-decoded, without the query */
	const char *body;		/* NUL-terminated; may hold NULs before body_len */
	size_t body_len;
	const char *content_type;	/* headers, NULL when absent */
	const char *authorization;
	const char *idem_key;
	void *conn;			/* the server's connection, for req_arg */
};

/* A query-string argument (decoded) or NULL. Implemented by paygate.c. */
const char *req_arg(const struct request *rq, const char *name);
/* 1 once SIGTERM or SIGINT arrived: long waits end early. */
int pg_stopping(void);

/* Wall-clock time: seconds and milliseconds since the epoch. */
int64_t pg_now(void);
int64_t pg_now_ms(void);
/* Writes prefix followed by n random characters from [0-9A-Za-z] into out
 * (size must hold them and the NUL). */
void pg_random_id(char *out, size_t size, const char *prefix, int n);
/* Reads a small file, trimming surrounding whitespace. *out is malloc'd and
 * owned by the caller. */
enum pg_err pg_read_secret(const char *path, char **out);
/* One line on stderr with a UTC time stamp; whole lines are written with
 * one write(2), so threads never interleave inside a line. */
void pg_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Equal strings, in time that depends only on the lengths. */
int pg_secret_eq(const char *a, const char *b);
/* 1 when s is one of the NULL-terminated choices. */
int pg_one_of(const char *s, const char *const *choices);

#endif
