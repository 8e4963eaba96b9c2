/* The /v1 JSON API.
 *
 * A request goes through, in order: the API key (401), the test endpoints
 * (/v1/test/..., answered at once), the route table (404, 405), the
 * Idempotency-Key (a stored answer, 409 while the first request runs, 400
 * when the key was used for another request), the delay fault, then one
 * transaction that validates the body against the route's field table
 * (400), runs the handler and stores the answer under the key. Handlers
 * never repeat those checks. Last, the drop fault may swallow the answer. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <jansson.h>
#include <sodium.h>
#include "api.h"
#include "card.h"
#include "fault.h"
#include "intent.h"
#include "store.h"
#include "webhook.h"

#define AMOUNT_MAX 99999999999LL
#define METADATA_KEYS 20
#define METADATA_KEY_CHARS 40
#define METADATA_VALUE_CHARS 500
#define DESCRIPTION_CHARS 1000
#define URL_BYTES 2048
#define LIST_MAX 100
#define IDEM_KEY_MAX 255

/* One API call on its way through: the request, its answer, the parsed
 * body (a JSON object once validated) and the {id} of the path. */
struct call {
	const struct request *rq;
	struct reply *rp;
	json_t *body;
	char id[64];
};

typedef void handler_fn(struct call *c);

/* Body parameter kinds; each has one validator and one message. */
enum ftype {
	F_AMOUNT,	/* integer 1..AMOUNT_MAX */
	F_COUNT,	/* integer 0..max */
	F_CURRENCY,	/* three lowercase letters */
	F_BOOL,
	F_ENUM,		/* one of choices */
	F_TEXT,		/* string of 1..max characters */
	F_ID,		/* an id or token: 1..255 printable ASCII */
	F_URL,		/* absolute http(s) URL */
	F_URL_OR_EMPTY,
	F_METADATA	/* object of up to 20 strings */
};

struct field {
	const char *name;
	enum ftype type;
	int required;
	int64_t max;			/* F_TEXT: characters; F_COUNT: largest value */
	const char *const *choices;	/* F_ENUM */
};

static const char *const capture_methods[] = { "manual", "automatic", NULL };
static const char *const cancel_reasons[] = { "duplicate", "fraudulent", "requested_by_customer", "abandoned", NULL };
static const char *const refund_reasons[] = { "duplicate", "fraudulent", "requested_by_customer", NULL };

static const struct field create_fields[] = {
	{ "amount", F_AMOUNT, 1, 0, NULL },
	{ "currency", F_CURRENCY, 1, 0, NULL },
	{ "capture_method", F_ENUM, 0, 0, capture_methods },
	{ "payment_method", F_ID, 0, 0, NULL },
	{ "confirm", F_BOOL, 0, 0, NULL },
	{ "return_url", F_URL, 0, 0, NULL },
	{ "description", F_TEXT, 0, DESCRIPTION_CHARS, NULL },
	{ "metadata", F_METADATA, 0, 0, NULL },
	{ NULL, 0, 0, 0, NULL }
};

static const struct field confirm_fields[] = {
	{ "payment_method", F_ID, 0, 0, NULL },
	{ NULL, 0, 0, 0, NULL }
};

static const struct field capture_fields[] = {
	{ "amount_to_capture", F_AMOUNT, 0, 0, NULL },
	{ "final_capture", F_BOOL, 0, 0, NULL },
	{ NULL, 0, 0, 0, NULL }
};

static const struct field cancel_fields[] = {
	{ "cancellation_reason", F_ENUM, 0, 0, cancel_reasons },
	{ NULL, 0, 0, 0, NULL }
};

static const struct field refund_fields[] = {
	{ "payment_intent", F_ID, 1, 0, NULL },
	{ "amount", F_AMOUNT, 0, 0, NULL },
	{ "reason", F_ENUM, 0, 0, refund_reasons },
	{ NULL, 0, 0, 0, NULL }
};

static const struct field fault_fields[] = {
	{ "drop_response", F_COUNT, 0, 1000, NULL },
	{ "delay_ms", F_COUNT, 0, 60000, NULL },
	{ "webhooks_paused", F_BOOL, 0, 0, NULL },
	{ NULL, 0, 0, 0, NULL }
};

static const struct field webhook_url_fields[] = {
	{ "url", F_URL_OR_EMPTY, 1, 0, NULL },
	{ NULL, 0, 0, 0, NULL }
};

/* --- answers ---------------------------------------------------------- */

static void reply_reset(struct reply *rp)
{
	rp->body.len = 0;
	if (rp->body.p)
		rp->body.p[0] = '\0';
	rp->ctype = "application/json";
}

static void reply_internal(struct reply *rp)
{
	reply_reset(rp);
	rp->status = 500;
	pbuf_puts(&rp->body, "{\"error\":{\"type\":\"api_error\",\"code\":\"internal_error\","
		  "\"message\":\"An internal error occurred; the request may be retried.\"}}");
}

/* Sets the answer to j (stolen). */
static void reply_json(struct reply *rp, int status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (!s) {
		reply_internal(rp);
		return;
	}
	reply_reset(rp);
	rp->status = status;
	pbuf_puts(&rp->body, s);
	free(s);
}

/* An error answer; extra (stolen, may be NULL) adds fields after the
 * message, such as the payment_intent of a state error. */
static void reply_error_with(struct reply *rp, int status, const char *type, const char *code,
			     const char *param, json_t *extra, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static void reply_error_with(struct reply *rp, int status, const char *type, const char *code,
			     const char *param, json_t *extra, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	json_t *e = json_object();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!e) {
		json_decref(extra);
		reply_internal(rp);
		return;
	}
	json_object_set_new(e, "type", json_string(type));
	if (code)
		json_object_set_new(e, "code", json_string(code));
	json_object_set_new(e, "message", json_string(msg));
	if (param)
		json_object_set_new(e, "param", json_string(param));
	if (extra)
		json_object_update(e, extra);
	json_decref(extra);
	reply_json(rp, status, json_pack("{s:o}", "error", e));
}

#define reply_error(rp, status, type, code, param, ...) \
	reply_error_with(rp, status, type, code, param, NULL, __VA_ARGS__)
#define reply_invalid(rp, code, param, ...) \
	reply_error_with(rp, 400, "invalid_request_error", code, param, NULL, __VA_ARGS__)

/* 402 for a declined attempt: the decline's fields and the intent. */
static void reply_card_error(struct reply *rp, const struct intent *pi)
{
	json_t *le = pi->last_error ? json_loads(pi->last_error, 0, NULL) : NULL;
	json_t *e = json_object();

	if (!le || !e) {
		json_decref(le);
		json_decref(e);
		reply_internal(rp);
		return;
	}
	json_object_set_new(e, "type", json_string("card_error"));
	json_object_set(e, "code", json_object_get(le, "code"));
	json_object_set(e, "decline_code", json_object_get(le, "decline_code"));
	json_object_set(e, "message", json_object_get(le, "message"));
	json_object_set_new(e, "payment_intent", intent_json(pi));
	json_decref(le);
	reply_json(rp, 402, json_pack("{s:o}", "error", e));
}

static void reply_intent(struct reply *rp, const struct intent *pi)
{
	reply_json(rp, 200, intent_json(pi));
}

static void reply_unexpected_state(struct reply *rp, const struct intent *pi, const char *what)
{
	reply_error_with(rp, 400, "invalid_request_error", "payment_intent_unexpected_state", NULL,
			 json_pack("{s:o}", "payment_intent", intent_json(pi)),
			 "This PaymentIntent's status is %s; %s.", pi_status_name(pi->status), what);
}

/* --- validation -------------------------------------------------------- */

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* Text a person wrote: no control characters but tab and line breaks. */
static int plain_text(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && !strchr("\t\n\r", *s)) || *s == 0x7f)
			return 0;
	return 1;
}

static int printable_ascii(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return n >= 1 && n <= max;
}

/* An absolute http(s) URL with a host, no spaces, controls or characters
 * that could break out of an HTML attribute or a Location header. */
static int valid_url(const char *s)
{
	const char *host;

	if (!strncmp(s, "https://", 8))
		host = s + 8;
	else if (!strncmp(s, "http://", 7))
		host = s + 7;
	else
		return 0;
	if (!*host || *host == '/' || *host == '?' || *host == '#' || strlen(s) > URL_BYTES)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || strchr("\"<>\\^`{|}", *s))
			return 0;
	return 1;
}

static void join_choices(const char *const *choices, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (; *choices && n < size; choices++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "", *choices);
}

/* Checks one present, non-null value; 0 with the answer set when bad. */
static int valid_value(struct call *c, const struct field *f, json_t *v)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	char list[256];

	switch (f->type) {
	case F_AMOUNT:
		if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= AMOUNT_MAX)
			return 1;
		reply_invalid(c->rp, "parameter_invalid_integer", f->name,
			      "%s: must be an integer from 1 to %lld (minor units, such as cents)", f->name, AMOUNT_MAX);
		return 0;
	case F_COUNT:
		if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= f->max)
			return 1;
		reply_invalid(c->rp, "parameter_invalid_integer", f->name,
			      "%s: must be an integer from 0 to %" PRId64, f->name, f->max);
		return 0;
	case F_CURRENCY:
		if (s && strlen(s) == 3 && islower((unsigned char)s[0]) && islower((unsigned char)s[1]) &&
		    islower((unsigned char)s[2]))
			return 1;
		reply_invalid(c->rp, "parameter_invalid", f->name,
			      "%s: must be a three-letter ISO 4217 code in lowercase, such as \"usd\"", f->name);
		return 0;
	case F_BOOL:
		if (json_is_boolean(v))
			return 1;
		reply_invalid(c->rp, "parameter_invalid", f->name, "%s: must be true or false", f->name);
		return 0;
	case F_ENUM:
		if (s && pg_one_of(s, f->choices))
			return 1;
		join_choices(f->choices, list, sizeof(list));
		reply_invalid(c->rp, "parameter_invalid", f->name, "%s: must be one of: %s", f->name, list);
		return 0;
	case F_TEXT:
		if (s && *s && utf8_chars(s) <= (size_t)f->max && plain_text(s))
			return 1;
		reply_invalid(c->rp, "parameter_invalid", f->name,
			      "%s: must be a string of 1 to %" PRId64 " characters without control characters",
			      f->name, f->max);
		return 0;
	case F_ID:
		if (s && printable_ascii(s, 255))
			return 1;
		reply_invalid(c->rp, "parameter_invalid", f->name, "%s: must be an id (a string)", f->name);
		return 0;
	case F_URL:
	case F_URL_OR_EMPTY:
		if (s && (valid_url(s) || (f->type == F_URL_OR_EMPTY && !*s)))
			return 1;
		reply_invalid(c->rp, "parameter_invalid", f->name,
			      "%s: must be an absolute http or https URL of at most %d bytes%s", f->name,
			      URL_BYTES, f->type == F_URL_OR_EMPTY ? ", or \"\"" : "");
		return 0;
	case F_METADATA: {
		const char *k;
		json_t *mv;

		if (!json_is_object(v) || json_object_size(v) > METADATA_KEYS)
			goto bad_metadata;
		json_object_foreach(v, k, mv) {
			if (!*k || utf8_chars(k) > METADATA_KEY_CHARS || !json_is_string(mv) ||
			    utf8_chars(json_string_value(mv)) > METADATA_VALUE_CHARS)
				goto bad_metadata;
		}
		return 1;
bad_metadata:
		reply_invalid(c->rp, "parameter_invalid", f->name,
			      "%s: must be an object of at most %d keys (1 to %d characters each) with string "
			      "values of at most %d characters", f->name, METADATA_KEYS, METADATA_KEY_CHARS,
			      METADATA_VALUE_CHARS);
		return 0;
	}
	}
	return 0;
}

/* Parses the body as a JSON object and checks it against fields: unknown
 * parameters, missing required ones and bad values are refused. 1 when
 * valid (c->body set); 0 with the 400 answer set. */
static int valid_body_or_reply(struct call *c, const struct field *fields)
{
	const struct request *rq = c->rq;
	json_error_t jerr;
	const char *k;
	json_t *v;

	if (rq->body_len == 0) {
		c->body = json_object();
	} else {
		const char *ct = rq->content_type ? rq->content_type : "";

		if (strncasecmp(ct, "application/json", 16) || (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
			reply_invalid(c->rp, "body_invalid", NULL,
				      "Request bodies must be JSON, sent with Content-Type: application/json "
				      "(got \"%.100s\")", ct);
			return 0;
		}
		c->body = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!c->body) {
			reply_invalid(c->rp, "body_invalid", NULL, "Invalid JSON body: %s (line %d, column %d)",
				      jerr.text, jerr.line, jerr.column);
			return 0;
		}
	}
	if (!c->body) {
		reply_internal(c->rp);
		return 0;
	}
	if (!json_is_object(c->body)) {
		reply_invalid(c->rp, "body_invalid", NULL, "The JSON body must be an object");
		return 0;
	}
	json_object_foreach(c->body, k, v) {
		const struct field *f;

		for (f = fields; f->name && strcmp(f->name, k); f++)
			;
		if (!f->name) {
			reply_invalid(c->rp, "parameter_unknown", k, "Received unknown parameter: %.100s", k);
			return 0;
		}
	}
	for (const struct field *f = fields; f->name; f++) {
		v = json_object_get(c->body, f->name);
		if (!v || json_is_null(v)) {
			if (!f->required)
				continue;
			reply_invalid(c->rp, "parameter_missing", f->name, "%s: is required", f->name);
			return 0;
		}
		if (!valid_value(c, f, v))
			return 0;
	}
	return 1;
}

/* A validated optional string parameter, or NULL. */
static const char *param_str(const struct call *c, const char *name)
{
	return json_string_value(json_object_get(c->body, name));
}

static int64_t param_int(const struct call *c, const char *name, int64_t dflt)
{
	json_t *v = json_object_get(c->body, name);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static int param_bool(const struct call *c, const char *name, int dflt)
{
	json_t *v = json_object_get(c->body, name);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* limit=1..100 from the query (default 10); 0 with a 400 when bad. */
static int limit_or_reply(struct call *c, int *limit)
{
	const char *s = req_arg(c->rq, "limit");
	char *end;
	long n;

	*limit = 10;
	if (!s)
		return 1;
	n = strtol(s, &end, 10);
	if (!*s || *end || n < 1 || n > LIST_MAX) {
		reply_invalid(c->rp, "parameter_invalid_integer", "limit", "limit: must be an integer from 1 to %d",
			      LIST_MAX);
		return 0;
	}
	*limit = (int)n;
	return 1;
}

/* --- handlers (the store lock held, inside the request's transaction) -- */

static int load_intent_or_reply(struct call *c, const char *id, struct intent *pi, int status,
				const char *param)
{
	enum pg_err rc = store_intent_get(id, pi);

	if (rc == PG_OK)
		return 1;
	if (rc == PG_NOTFOUND)
		reply_error(c->rp, status, "invalid_request_error", "resource_missing", param,
			    "No such payment_intent: '%.64s'", id);
	else
		reply_internal(c->rp);
	return 0;
}

/* The test card behind a pm_card_* token; 0 with a 400 when unknown. */
static int card_or_reply(struct call *c, const char *token, struct card *card)
{
	if (card_from_token(token, card) == PG_OK)
		return 1;
	reply_invalid(c->rp, "resource_missing", "payment_method", "No such PaymentMethod: '%.64s'", token);
	return 0;
}

/* Tries the card and answers: the intent (200) or the decline (402). */
static void attempt_and_reply(struct call *c, struct intent *pi, const struct card *card)
{
	int approved;

	if (intent_attempt(pi, card, &approved) != PG_OK)
		reply_internal(c->rp);
	else if (approved)
		reply_intent(c->rp, pi);
	else
		reply_card_error(c->rp, pi);
}

static void h_create(struct call *c)
{
	struct intent pi = {0};
	struct card card = {0};
	const char *pm = param_str(c, "payment_method"), *cm = param_str(c, "capture_method");
	int confirm = param_bool(c, "confirm", 0);
	json_t *md = json_object_get(c->body, "metadata");

	if (confirm && !pm) {
		reply_invalid(c->rp, "parameter_missing", "payment_method",
			      "payment_method: is required when confirm is true");
		return;
	}
	if (pm && !card_or_reply(c, pm, &card))
		return;
	pg_random_id(pi.id, sizeof(pi.id), "pi_", 24);
	pg_random_id(pi.secret, sizeof(pi.secret), "", 24);
	pi.amount = param_int(c, "amount", 0);
	snprintf(pi.currency, sizeof(pi.currency), "%s", param_str(c, "currency"));
	pi.status = PI_REQUIRES_PAYMENT_METHOD;
	pi.manual = !cm || !strcmp(cm, "manual");
	pi.created = pg_now();
	if (param_str(c, "return_url") && !(pi.return_url = strdup(param_str(c, "return_url"))))
		goto fail;
	if (param_str(c, "description") && !(pi.description = strdup(param_str(c, "description"))))
		goto fail;
	pi.metadata = md && json_is_object(md) ? json_dumps(md, JSON_COMPACT) : strdup("{}");
	if (!pi.metadata)
		goto fail;
	/* A method given without confirm waits for a confirm that names none. */
	if (pm && !confirm && !(pi.pm_token = strdup(pm)))
		goto fail;
	if (store_intent_insert(&pi) != PG_OK)
		goto fail;
	if (confirm)
		attempt_and_reply(c, &pi, &card);
	else
		reply_intent(c->rp, &pi);
	intent_row_free(&pi);
	return;
fail:
	intent_row_free(&pi);
	reply_internal(c->rp);
}

static void h_get(struct call *c)
{
	struct intent pi;

	if (!load_intent_or_reply(c, c->id, &pi, 404, NULL))
		return;
	reply_intent(c->rp, &pi);
	intent_row_free(&pi);
}

static void h_list(struct call *c)
{
	char (*ids)[32] = NULL;
	json_t *data = json_array();
	int limit, n = 0;

	const char *after = req_arg(c->rq, "starting_after");

	if (!limit_or_reply(c, &limit))
		goto out;
	if (after) {
		struct intent pi;

		/* A cursor is an intent of this gateway: paging from an unknown
		 * one would silently list nothing. */
		if (!load_intent_or_reply(c, after, &pi, 400, "starting_after"))
			goto out;
		intent_row_free(&pi);
	}
	ids = calloc((size_t)limit + 1, sizeof(*ids));
	if (!ids || !data || store_intent_ids(limit + 1, after, ids, &n) != PG_OK)
		goto fail;
	for (int i = 0; i < n && i < limit; i++) {
		struct intent pi;

		if (store_intent_get(ids[i], &pi) != PG_OK)
			goto fail;
		json_array_append_new(data, intent_json(&pi));
		intent_row_free(&pi);
	}
	reply_json(c->rp, 200, json_pack("{s:s, s:s, s:b, s:O}", "object", "list", "url", "/v1/payment_intents",
					  "has_more", n > limit, "data", data));
	goto out;
fail:
	reply_internal(c->rp);
out:
	free(ids);
	json_decref(data);
}

static void h_confirm(struct call *c)
{
	struct intent pi;
	struct card card;
	const char *pm = param_str(c, "payment_method");

	if (!load_intent_or_reply(c, c->id, &pi, 404, NULL))
		return;
	if (!intent_payable(&pi)) {
		reply_unexpected_state(c->rp, &pi, "only a PaymentIntent in requires_payment_method can be confirmed");
		goto out;
	}
	if (!pm)
		pm = pi.pm_token;
	if (!pm) {
		reply_invalid(c->rp, "parameter_missing", "payment_method",
			      "payment_method: is required (none was attached when the PaymentIntent was created)");
		goto out;
	}
	if (card_or_reply(c, pm, &card))
		attempt_and_reply(c, &pi, &card);
out:
	intent_row_free(&pi);
}

static void h_capture(struct call *c)
{
	struct intent pi;
	int64_t amount;

	if (!load_intent_or_reply(c, c->id, &pi, 404, NULL))
		return;
	if (pi.status != PI_REQUIRES_CAPTURE) {
		reply_unexpected_state(c->rp, &pi, "only a PaymentIntent in requires_capture can be captured");
		goto out;
	}
	amount = param_int(c, "amount_to_capture", pi.capturable);
	if (amount > pi.capturable) {
		reply_invalid(c->rp, "amount_too_large", "amount_to_capture",
			      "amount_to_capture: %" PRId64 " is more than amount_capturable (%" PRId64 ")",
			      amount, pi.capturable);
		goto out;
	}
	if (intent_capture(&pi, amount, param_bool(c, "final_capture", 1)) != PG_OK)
		reply_internal(c->rp);
	else
		reply_intent(c->rp, &pi);
out:
	intent_row_free(&pi);
}

static void h_cancel(struct call *c)
{
	struct intent pi;

	if (!load_intent_or_reply(c, c->id, &pi, 404, NULL))
		return;
	if (pi.status != PI_REQUIRES_PAYMENT_METHOD && pi.status != PI_REQUIRES_CAPTURE) {
		reply_unexpected_state(c->rp, &pi, "only a PaymentIntent in requires_payment_method or "
				       "requires_capture can be canceled");
		goto out;
	}
	if (intent_cancel(&pi, param_str(c, "cancellation_reason")) != PG_OK)
		reply_internal(c->rp);
	else
		reply_intent(c->rp, &pi);
out:
	intent_row_free(&pi);
}

static void h_refund(struct call *c)
{
	struct intent pi;
	struct refund re = {0};
	int64_t left;

	if (!load_intent_or_reply(c, param_str(c, "payment_intent"), &pi, 400, "payment_intent"))
		return;
	left = pi.received - pi.refunded;
	if (pi.received == 0) {
		reply_invalid(c->rp, "charge_not_refundable", "payment_intent",
			      "payment_intent: %s has nothing captured to refund (status %s); cancel it instead",
			      pi.id, pi_status_name(pi.status));
		goto out;
	}
	if (left == 0) {
		reply_invalid(c->rp, "charge_already_refunded", "payment_intent",
			      "payment_intent: %s has been refunded in full already", pi.id);
		goto out;
	}
	re.amount = param_int(c, "amount", left);
	if (re.amount > left) {
		reply_invalid(c->rp, "amount_too_large", "amount",
			      "amount: %" PRId64 " is more than what is left to refund (%" PRId64 ")", re.amount, left);
		goto out;
	}
	if (param_str(c, "reason") && !(re.reason = strdup(param_str(c, "reason")))) {
		reply_internal(c->rp);
		goto out;
	}
	if (intent_refund(&pi, &re) != PG_OK)
		reply_internal(c->rp);
	else
		reply_json(c->rp, 200, refund_json(&re));
out:
	refund_row_free(&re);
	intent_row_free(&pi);
}

static void h_refund_get(struct call *c)
{
	struct refund re;
	enum pg_err rc = store_refund_get(c->id, &re);

	if (rc == PG_NOTFOUND)
		reply_error(c->rp, 404, "invalid_request_error", "resource_missing", NULL,
			    "No such refund: '%.64s'", c->id);
	else if (rc != PG_OK)
		reply_internal(c->rp);
	else
		reply_json(c->rp, 200, refund_json(&re));
	refund_row_free(&re);
}

static void h_events(struct call *c)
{
	json_t *data = json_array();
	const char *pi = req_arg(c->rq, "payment_intent");
	int limit, more;

	if (!limit_or_reply(c, &limit))
		goto out;
	if (!data || store_event_list(limit + 1, pi, data) != PG_OK) {
		reply_internal(c->rp);
		goto out;
	}
	more = json_array_size(data) > (size_t)limit;
	if (more)
		json_array_remove(data, (size_t)limit);
	reply_json(c->rp, 200, json_pack("{s:s, s:s, s:b, s:O}", "object", "list", "url", "/v1/events",
					  "has_more", more, "data", data));
out:
	json_decref(data);
}

/* --- routing ----------------------------------------------------------- */

/* fields NULL: the route takes no body (a GET). */
static const struct route {
	const char *method, *pattern;
	handler_fn *fn;
	const struct field *fields;
} routes[] = {
	{ "POST", "/v1/payment_intents", h_create, create_fields },
	{ "GET", "/v1/payment_intents", h_list, NULL },
	{ "GET", "/v1/payment_intents/*", h_get, NULL },
	{ "POST", "/v1/payment_intents/*/confirm", h_confirm, confirm_fields },
	{ "POST", "/v1/payment_intents/*/capture", h_capture, capture_fields },
	{ "POST", "/v1/payment_intents/*/cancel", h_cancel, cancel_fields },
	{ "POST", "/v1/refunds", h_refund, refund_fields },
	{ "GET", "/v1/refunds/*", h_refund_get, NULL },
	{ "GET", "/v1/events", h_events, NULL },
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

/* path matches pattern, where '*' stands for one non-empty segment that
 * is copied into id. */
static int match(const char *pattern, const char *path, char *id, size_t idsize)
{
	while (*pattern) {
		if (*pattern == '*') {
			size_t n = strcspn(path, "/");

			if (n == 0 || n >= idsize)
				return 0;
			memcpy(id, path, n);
			id[n] = '\0';
			path += n;
			pattern++;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	return *path == '\0';
}

/* The route for the request, or NULL with a 404 or 405 answer set. */
static const struct route *route_or_reply(struct call *c)
{
	static const char *const allow[] = { NULL, "GET", "POST", "GET, POST" };
	int methods = 0;

	for (size_t i = 0; i < N_ROUTES; i++) {
		char id[64];

		if (!match(routes[i].pattern, c->rq->path, id, sizeof(id)))
			continue;
		if (!strcmp(routes[i].method, c->rq->method)) {
			memcpy(c->id, id, sizeof(id));
			return &routes[i];
		}
		methods |= strcmp(routes[i].method, "GET") ? 2 : 1;
	}
	if (methods) {
		c->rp->allow = allow[methods];
		reply_error(c->rp, 405, "invalid_request_error", "method_not_allowed", NULL,
			    "%.16s is not allowed on %.200s (use %s)", c->rq->method, c->rq->path, allow[methods]);
	} else {
		reply_error(c->rp, 404, "invalid_request_error", "unrecognized_request_url", NULL,
			    "Unrecognized request URL (%.16s: %.200s)", c->rq->method, c->rq->path);
	}
	return NULL;
}

/* --- idempotency ------------------------------------------------------- */

/* Looks the key up. 1 when the request is to run (the key is now claimed
 * for it); 0 when rp already holds the answer: the stored one, or a 409
 * while the first request runs, or a 400 when the key was used for a
 * different request. */
static int idem_claim_or_reply(struct call *c, const unsigned char hash[32])
{
	const struct request *rq = c->rq;
	struct idem row;
	enum pg_err rc;
	int run = 0;

	store_lock();
	rc = store_idem_get(pg_cfg.api_owner, rq->idem_key, &row);
	if (rc == PG_NOTFOUND) {
		rc = store_idem_claim(pg_cfg.api_owner, rq->idem_key, rq->method, rq->path, hash, pg_now());
		run = rc == PG_OK;
	}
	store_unlock();
	if (run)
		return 1;
	if (rc != PG_OK) {
		reply_internal(c->rp);
		return 0;
	}
	if (strcmp(row.method, rq->method) || strcmp(row.path, rq->path) || sodium_memcmp(row.hash, hash, 32)) {
		reply_error(c->rp, 400, "idempotency_error", "idempotency_key_reused", NULL,
			    "Keys for idempotent requests can only be used with the same parameters they were "
			    "first used with (%s %.200s). Try using a key other than '%.255s'.",
			    row.method, row.path, rq->idem_key);
	} else if (row.status == 0) {
		reply_error(c->rp, 409, "idempotency_error", "idempotency_key_in_use", NULL,
			    "The request with Idempotency-Key '%.255s' is still being processed; retry it "
			    "once that one has finished.", rq->idem_key);
	} else {
		reply_reset(c->rp);
		c->rp->status = row.status;
		pbuf_put(&c->rp->body, row.response, row.response_len);
		c->rp->replayed = 1;
	}
	idem_free(&row);
	return 0;
}

/* Sleeps the delay fault, in slices so that a stop is not held up. */
static void fault_delay(void)
{
	struct faults f;
	struct timespec slice = { 0, 20 * 1000000L };

	fault_get(&f);
	for (int64_t until = pg_now_ms() + f.delay_ms; pg_now_ms() < until && !pg_stopping();)
		nanosleep(&slice, NULL);
}

/* Validates, runs the handler and stores the answer under the key (when
 * claimed), in one transaction. A 5xx rolls everything back and frees the
 * key, so a retry runs afresh. */
static void run_route(const struct route *rt, struct call *c, int claimed)
{
	struct reply *rp = c->rp;
	const char *key = c->rq->idem_key;

	store_lock();
	if (store_begin() != PG_OK) {
		reply_internal(rp);
	} else {
		if (!rt->fields || valid_body_or_reply(c, rt->fields))
			rt->fn(c);
		if (rp->status < 500 && rp->body.oom)
			reply_internal(rp);
		if (rp->status < 500 && claimed &&
		    store_idem_finish(pg_cfg.api_owner, key, rp->status, rp->body.p, rp->body.len) != PG_OK)
			reply_internal(rp);
		if (rp->status < 500 && store_commit() != PG_OK)
			reply_internal(rp);
		if (rp->status >= 500)
			store_rollback();
	}
	if (rp->status >= 500 && claimed && store_idem_release(pg_cfg.api_owner, key) != PG_OK)
		pg_log("idempotency: cannot release key after a failed request");
	store_unlock();
	if (!strcmp(c->rq->method, "POST") && rp->status < 500)
		webhook_wake();
}

/* --- test endpoints ------------------------------------------------------ */

static void reply_faults(struct reply *rp)
{
	struct faults f;

	fault_get(&f);
	reply_json(rp, 200, json_pack("{s:i, s:i, s:b}", "drop_response", f.drop_response,
				      "delay_ms", f.delay_ms, "webhooks_paused", f.webhooks_paused));
}

static void reply_webhook_url(struct reply *rp)
{
	char url[2049];

	fault_webhook_url(url, sizeof(url));
	reply_json(rp, 200, json_pack("{s:s, s:s, s:b}", "url", url, "configured", pg_cfg.webhook_url,
				      "overridden", strcmp(url, pg_cfg.webhook_url) != 0));
}

static void test_handle(struct call *c)
{
	const char *m = c->rq->method, *p = c->rq->path;
	int get = !strcmp(m, "GET"), post = !strcmp(m, "POST");

	if (!strcmp(p, "/v1/test/faults") && (get || post)) {
		if (post) {
			struct faults f = {0};

			if (!valid_body_or_reply(c, fault_fields))
				return;
			f.drop_response = (int)param_int(c, "drop_response", 0);
			f.delay_ms = (int)param_int(c, "delay_ms", 0);
			f.webhooks_paused = param_bool(c, "webhooks_paused", 0);
			fault_set(&f);
			pg_log("test faults: drop_response=%d delay_ms=%d webhooks_paused=%d",
			       f.drop_response, f.delay_ms, f.webhooks_paused);
		}
		reply_faults(c->rp);
	} else if (!strcmp(p, "/v1/test/webhook_url") && (get || post)) {
		if (post) {
			if (!valid_body_or_reply(c, webhook_url_fields))
				return;
			fault_set_webhook_url(param_str(c, "url"));
			pg_log("test webhook url: '%s'", param_str(c, "url"));
		}
		reply_webhook_url(c->rp);
	} else if (!strcmp(p, "/v1/test/faults") || !strcmp(p, "/v1/test/webhook_url")) {
		c->rp->allow = "GET, POST";
		reply_error(c->rp, 405, "invalid_request_error", "method_not_allowed", NULL,
			    "%s is not allowed on %s", m, p);
	} else {
		reply_error(c->rp, 404, "invalid_request_error", "unrecognized_request_url", NULL,
			    "Unrecognized request URL (%.16s: %.200s)", m, p);
	}
}

/* --- entry -------------------------------------------------------------- */

static int authorized(const struct request *rq, struct reply *rp)
{
	const char *h = rq->authorization;

	if (h && !strncasecmp(h, "Bearer ", 7)) {
		for (h += 7; *h == ' '; h++)
			;
		if (pg_secret_eq(h, pg_cfg.api_key))
			return 1;
		reply_error(rp, 401, "authentication_error", "invalid_api_key", NULL, "Invalid API key provided.");
	} else {
		reply_error(rp, 401, "authentication_error", "missing_api_key", NULL,
			    "No API key provided: send it as 'Authorization: Bearer <key>'.");
	}
	rp->auth_challenge = 1;
	return 0;
}

void api_handle(const struct request *rq, struct reply *rp)
{
	struct call c = { .rq = rq, .rp = rp };
	const struct route *rt;
	unsigned char hash[32];
	int claimed = 0;

	rp->ctype = "application/json";
	if (!authorized(rq, rp))
		return;
	if (!strncmp(rq->path, "/v1/test/", 9)) {
		test_handle(&c);
		goto out;
	}
	rt = route_or_reply(&c);
	if (rt && rq->idem_key && !strcmp(rq->method, "POST")) {
		if (!printable_ascii(rq->idem_key, IDEM_KEY_MAX)) {
			reply_error(rp, 400, "idempotency_error", "idempotency_key_invalid", NULL,
				    "Idempotency-Key must be 1 to %d printable ASCII characters", IDEM_KEY_MAX);
			rt = NULL;
		} else {
			crypto_hash_sha256(hash, (const unsigned char *)rq->body, rq->body_len);
			claimed = idem_claim_or_reply(&c, hash);
			if (!claimed)
				rt = NULL;
		}
	}
	if (rt) {
		fault_delay();
		run_route(rt, &c, claimed);
	}
	if (fault_take_drop())
		rp->drop = 1;
out:
	json_decref(c.body);
}
