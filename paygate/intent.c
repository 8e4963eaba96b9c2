/* Payment intent state changes and their events.
 *
 * Every change writes its event into the events table in the same
 * transaction (an outbox): the webhook thread delivers it later, so an
 * event is never lost to a crash between the change and its delivery, nor
 * sent for a change that was rolled back. */
#include <stdlib.h>
#include <string.h>
#include "intent.h"

static json_t *json_text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A stored JSON column, or the fallback when it is NULL or unreadable. */
static json_t *json_column(const char *s, json_t *fallback)
{
	json_t *j = s ? json_loads(s, 0, NULL) : NULL;

	if (j) {
		json_decref(fallback);
		return j;
	}
	return fallback;
}

int intent_payable(const struct intent *pi)
{
	return pi->status == PI_REQUIRES_PAYMENT_METHOD;
}

json_t *intent_json(const struct intent *pi)
{
	json_t *o = json_object();
	char url[512];

	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_string(pi->id));
	json_object_set_new(o, "object", json_string("payment_intent"));
	json_object_set_new(o, "amount", json_integer(pi->amount));
	json_object_set_new(o, "currency", json_string(pi->currency));
	json_object_set_new(o, "status", json_string(pi_status_name(pi->status)));
	json_object_set_new(o, "capture_method", json_string(pi->manual ? "manual" : "automatic"));
	json_object_set_new(o, "amount_capturable", json_integer(pi->capturable));
	json_object_set_new(o, "amount_received", json_integer(pi->received));
	json_object_set_new(o, "amount_refunded", json_integer(pi->refunded));
	if (intent_payable(pi)) {
		snprintf(url, sizeof(url), "%s/pay/%s?s=%s", pg_cfg.public_url, pi->id, pi->secret);
		json_object_set_new(o, "hosted_url", json_string(url));
	} else {
		json_object_set_new(o, "hosted_url", json_null());
	}
	json_object_set_new(o, "return_url", json_text_or_null(pi->return_url));
	json_object_set_new(o, "description", json_text_or_null(pi->description));
	json_object_set_new(o, "metadata", json_column(pi->metadata, json_object()));
	json_object_set_new(o, "payment_method", json_column(pi->payment_method, json_null()));
	json_object_set_new(o, "last_payment_error", json_column(pi->last_error, json_null()));
	json_object_set_new(o, "created", json_integer(pi->created));
	json_object_set_new(o, "canceled_at", pi->canceled_at ? json_integer(pi->canceled_at) : json_null());
	json_object_set_new(o, "cancellation_reason", json_text_or_null(pi->cancel_reason));
	/* json_object_set_new drops a NULL value silently: a missing key
	 * means an allocation failed on the way. */
	if (json_object_size(o) != 18) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *refund_json(const struct refund *re)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:s, s:o, s:I}",
			 "id", re->id, "object", "refund", "payment_intent", re->intent,
			 "amount", (json_int_t)re->amount, "status", "succeeded",
			 "reason", json_text_or_null(re->reason), "created", (json_int_t)re->created);
}

/* Writes the event of a change: data.object is the intent as it is now,
 * plus data.refund for refunds. */
static enum pg_err emit(const char *type, const struct intent *pi, const struct refund *re)
{
	char id[32];
	json_t *ev = NULL, *obj = intent_json(pi), *data = NULL;
	char *body = NULL;
	int64_t now = pg_now();
	enum pg_err rc = PG_NOMEM;

	pg_random_id(id, sizeof(id), "evt_", 24);
	if (!obj)
		goto out;
	data = json_pack("{s:o}", "object", obj);
	obj = NULL;
	if (!data)
		goto out;
	if (re && json_object_set_new(data, "refund", refund_json(re)) != 0)
		goto out;
	ev = json_pack("{s:s, s:s, s:s, s:I, s:O}", "id", id, "object", "event", "type", type,
		       "created", (json_int_t)now, "data", data);
	if (!ev)
		goto out;
	body = json_dumps(ev, JSON_COMPACT);
	if (!body)
		goto out;
	/* A real gateway's notice travels through its queue and the internet,
	 * and comes after its answer to the call that caused it: the first
	 * attempt is PAYGATE_WEBHOOK_DELAY_MS after the change (README). */
	rc = store_event_insert(id, type, pi->id, body, now, pg_now_ms() + pg_cfg.webhook_delay_ms);
out:
	free(body);
	json_decref(ev);
	json_decref(data);
	json_decref(obj);
	return rc;
}

/* Replaces a malloc'd string member; NULL clears it. */
static enum pg_err set_str(char **member, const char *value)
{
	char *copy = NULL;

	if (value && !(copy = strdup(value)))
		return PG_NOMEM;
	free(*member);
	*member = copy;
	return PG_OK;
}

enum pg_err intent_attempt(struct intent *pi, const struct card *card, int *approved)
{
	char pm_id[32];
	json_t *pm, *err = NULL;
	char *pm_text = NULL, *err_text = NULL;
	enum pg_err rc = PG_NOMEM;

	*approved = card->outcome == CARD_APPROVED;
	/* Each attempt makes a new payment method, as a real gateway makes
	 * one from each card entry or test token. */
	pg_random_id(pm_id, sizeof(pm_id), "pm_", 24);
	pm = json_pack("{s:s, s:s, s:s}", "id", pm_id, "brand", card->brand, "last4", card->last4);
	if (!pm)
		goto out;
	if (*approved) {
		pm_text = json_dumps(pm, JSON_COMPACT);
		if (!pm_text)
			goto out;
	} else {
		const char *decline = card_decline_code(card->outcome);

		err = json_pack("{s:s, s:s, s:o, s:s, s:O}", "type", "card_error",
				"code", card_error_code(card->outcome),
				"decline_code", decline ? json_string(decline) : json_null(),
				"message", card_message(card->outcome), "payment_method", pm);
		if (!err || !(err_text = json_dumps(err, JSON_COMPACT)))
			goto out;
	}
	free(pi->payment_method);
	free(pi->last_error);
	free(pi->pm_token);
	pi->payment_method = pm_text;
	pi->last_error = err_text;
	pi->pm_token = NULL;
	pm_text = err_text = NULL;
	if (*approved && pi->manual) {
		pi->status = PI_REQUIRES_CAPTURE;
		pi->capturable = pi->amount;
	} else if (*approved) {
		pi->status = PI_SUCCEEDED;
		pi->received = pi->amount;
		pi->capturable = 0;
	}
	rc = store_intent_update(pi);
	if (rc != PG_OK)
		goto out;
	if (!*approved)
		rc = emit("payment_intent.payment_failed", pi, NULL);
	else if (pi->manual)
		rc = emit("payment_intent.amount_capturable_updated", pi, NULL);
	else
		rc = emit("payment_intent.succeeded", pi, NULL);
out:
	free(pm_text);
	free(err_text);
	json_decref(pm);
	json_decref(err);
	return rc;
}

enum pg_err intent_capture(struct intent *pi, int64_t amount, int final)
{
	enum pg_err rc;

	pi->received += amount;
	pi->capturable -= amount;
	/* A final capture releases what is left of the authorization; a
	 * non-final one that takes the last of it is final all the same. */
	if (final || pi->capturable == 0) {
		pi->capturable = 0;
		pi->status = PI_SUCCEEDED;
	}
	rc = store_intent_update(pi);
	if (rc != PG_OK)
		return rc;
	return emit(pi->status == PI_SUCCEEDED ? "payment_intent.succeeded"
		    : "payment_intent.partially_captured", pi, NULL);
}

enum pg_err intent_cancel(struct intent *pi, const char *reason)
{
	enum pg_err rc;

	pi->capturable = 0;
	if (pi->received > 0) {
		/* Money already moved: the intent cannot become canceled, so
		 * the uncaptured rest is released and what was taken stands. */
		pi->status = PI_SUCCEEDED;
	} else {
		pi->status = PI_CANCELED;
		pi->canceled_at = pg_now();
		rc = set_str(&pi->cancel_reason, reason);
		if (rc != PG_OK)
			return rc;
		rc = set_str(&pi->pm_token, NULL);
		if (rc != PG_OK)
			return rc;
	}
	rc = store_intent_update(pi);
	if (rc != PG_OK)
		return rc;
	return emit(pi->status == PI_CANCELED ? "payment_intent.canceled" : "payment_intent.succeeded", pi, NULL);
}

enum pg_err intent_refund(struct intent *pi, struct refund *re)
{
	enum pg_err rc;

	pg_random_id(re->id, sizeof(re->id), "re_", 24);
	snprintf(re->intent, sizeof(re->intent), "%s", pi->id);
	re->created = pg_now();
	pi->refunded += re->amount;
	rc = store_refund_insert(re);
	if (rc == PG_OK)
		rc = store_intent_update(pi);
	if (rc == PG_OK)
		rc = emit("charge.refunded", pi, re);
	return rc;
}
