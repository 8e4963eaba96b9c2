/* The request: parsed once from the FastCGI environment and body, held in the
 * request arena. Parsers here are pure functions so they can be tested (and
 * fuzzed) without FastCGI. */
#ifndef HTTP_REQ_H
#define HTTP_REQ_H

#include <stddef.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;

enum method { M_GET = 1, M_HEAD = 2, M_POST = 4, M_PUT = 8, M_PATCH = 16,
	      M_DELETE = 32, M_OPTIONS = 64, M_OTHER = 128 };

#define REQ_MAX_BODY	(1024 * 1024)	/* bytes; larger bodies get 413 */
#define REQ_MAX_PARAMS	256
#define REQ_MAX_COOKIES	64
#define REQ_MAX_UPLOAD	(32 * 1024 * 1024)	/* bytes, for RF_UPLOAD routes */
#define REQ_MAX_UPLOADS	16	/* file parts per request */

struct kvpair {
	const char *key;
	const char *val;
	size_t vlen;
};

/* One file part of a multipart/form-data body. Everything is arena-owned;
 * filename is the client's claim (never used as a path, never trusted for
 * the type), data is the raw bytes (may contain NULs). */
struct upload {
	const char *field;		/* the form field's name */
	const char *filename;		/* "" when the part had none */
	const char *content_type;	/* the declared type, "" when none */
	const char *data;
	size_t len;
};

struct req {
	struct arena *a;
	enum method method;
	const char *method_str;
	const char *path;	/* percent-decoded, starts with '/' */
	const char *query;	/* raw query string ("" when none) */
	const char *content_type;
	const char *accept;
	const char *accept_language;	/* CURRENCIES (issue 19): the default currency */
	const char *origin, *sec_fetch_site, *host;
	const char *referer;	/* Referer (a same-origin one tells a refused form where it was) */
	const char *remote_addr;
	const char *csrf_header;	/* X-CSRF-Token, else a form body's csrf field (never the query) */
	const char *idem_key;		/* Idempotency-Key */
	const char *if_match;		/* If-Match (optimistic concurrency) */
	const char *signature;		/* Paygate-Signature (payment webhooks) */
	const char *carrier_signature;	/* Carrier-Signature (carrier webhooks) */
	const char *admission;		/* Shop-Admission (a sale's waiting room, app/waitroom) */
	int https;

	struct kvpair *params;	/* query, then form or top-level JSON scalars */
	size_t nparams;
	size_t nquery;		/* params[0..nquery) came from the query string */
	struct kvpair *cookies;
	size_t ncookies;
	const char *body;
	size_t body_len;
	json_t *json;		/* parsed JSON body (arena-owned reference) or NULL */
	size_t json_from;	/* params[json_from..] came from the JSON body */
	struct upload *uploads;	/* file parts of a multipart body (RF_UPLOAD routes) */
	size_t nuploads;

	/* Filled by the router. */
	const char *pathvar[4];	/* {..} segments of the matched pattern, in order */
	int npathvar;
	int wants_json;		/* /api/ path or Accept: application/json */
};

/* Percent-decodes s[0..n). plus_is_space for form/query encoding. Fails with
 * E_INVAL on a malformed escape or an encoded NUL. *out is arena-owned. */
enum err url_decode(struct arena *a, const char *s, size_t n, int plus_is_space,
		    char **out, size_t *outlen);

/* Parses "a=1&b=2" into r->params (appending). E_INVAL on malformed encoding or
 * too many parameters. */
enum err req_parse_urlencoded(struct req *r, const char *s, size_t n);
/* Parses a Cookie header into r->cookies. Malformed pairs are skipped, as
 * browsers do. */
void req_parse_cookies(struct req *r, const char *s);
/* Parses a JSON body: r->json is set; top-level strings, numbers and booleans
 * are also appended to params so key validators apply to forms and JSON alike.
 * E_INVAL with a message in *why on malformed JSON or a non-object. */
enum err req_parse_json(struct req *r, const char *s, size_t n, const char **why);
/* Appends JSON scalar v to r->params as key (a number as its decimal text,
 * a boolean as "true"/"false"); objects, arrays and null are not
 * parameters (E_OK, nothing added). E_INVAL for an embedded NUL or past
 * REQ_MAX_PARAMS. The router uses it for body members declared to feed a
 * flat key (struct field's key). */
enum err req_add_json_param(struct req *r, const char *key, json_t *v);

/* Parses a multipart/form-data body (boundary from content_type): file
 * parts into r->uploads, plain fields into r->params. E_INVAL on a malformed
 * body, a missing boundary, an encoded NUL in a field name, or more than
 * REQ_MAX_UPLOADS files / REQ_MAX_PARAMS fields. */
enum err req_parse_multipart(struct req *r, const char *content_type,
			     const char *s, size_t n);

enum method method_from_str(const char *s);

/* Lookups (first match). NULL when absent. */
const char *req_param(const struct req *r, const char *key);
const char *req_cookie(const struct req *r, const char *key);
/* The first file part sent as field, or NULL. */
const struct upload *req_upload(const struct req *r, const char *field);

#endif
