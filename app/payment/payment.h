/* The payment adapter: the shop's side of the card gateway protocol
 * (paygate/README.md), spoken over HTTP with libcurl. The base URL and the
 * secrets come from configuration, so a real gateway's adapter can sit
 * beside this one. The shop never sees a card number: it keeps the
 * gateway's ids, status, brand and last four digits.
 *
 * Every call that changes something carries an idempotency key chosen by the
 * caller from the order (e.g. "order-12-auth"), so a retry after a lost
 * answer can never charge twice. */
#ifndef PAYMENT_PAYMENT_H
#define PAYMENT_PAYMENT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;

/* What the gateway said about a payment intent (or why it refused). Strings
 * are arena-owned, "" when absent. */
struct payment {
	int http_status;	/* of the gateway's answer */
	const char *id;		/* pi_... */
	const char *status;	/* requires_payment_method, requires_capture, succeeded, canceled */
	int64_t amount, amount_capturable, amount_received, amount_refunded;
	const char *hosted_url;	/* the gateway's payment page, while payable */
	const char *brand, *last4;
	/* A decline or other refusal: type card_error / invalid_request_error /
	 * idempotency_error, code such as card_declined or processing_error. */
	const char *error_type, *error_code, *decline_code, *error_message;
};

/* A gateway slower than this (connection included) is treated as silent:
 * the call answers E_UNAVAIL although the gateway may still act on it.
 * Anything that retries a call on its own (the saga's resumption) waits at
 * least PAYMENT_SETTLE_S after the last attempt began, so that it never
 * races an attempt that is still running. */
#define PAYMENT_TIMEOUT_MS 10000
#define PAYMENT_SETTLE_S (PAYMENT_TIMEOUT_MS / 1000 + 5)

/* Reads SHOP_PAYGATE_URL, SHOP_PAYGATE_KEY_FILE and
 * SHOP_PAYGATE_WEBHOOK_SECRET_FILE (once per process). E_UNAVAIL when the
 * gateway is not configured. */
enum err payment_init(void);

/* Creates an intent for amount (manual capture). With payment_method (a
 * token such as pm_card_visa) it is confirmed at once (server-side
 * confirmation); without, p->hosted_url is where the buyer pays and
 * return_url where the gateway sends them back.
 * Returns E_OK when the gateway answered (p filled; a decline is E_OK with
 * p->error_code set and status requires_payment_method), E_UNAVAIL when no
 * answer came (timeout, dropped connection, 5xx): retry with the same key.
 * Every call that takes a key may also answer E_BUSY: an earlier request
 * with the same key is still running at the gateway, its outcome unknown
 * (never treat it as a decline; ask again later), and E_INTERNAL when the
 * key was used for another request. */
enum err payment_create(struct arena *a, const char *idem_key, int64_t amount, const char *currency,
			const char *payment_method, const char *return_url, int64_t order_id,
			struct payment *p);
enum err payment_get(struct arena *a, const char *intent, struct payment *p);
/* Another attempt on an intent a card was declined for (server-side). */
enum err payment_confirm(struct arena *a, const char *idem_key, const char *intent,
			 const char *payment_method, struct payment *p);
/* final: release what is not captured. */
enum err payment_capture(struct arena *a, const char *idem_key, const char *intent, int64_t amount,
			 int final, struct payment *p);
enum err payment_cancel(struct arena *a, const char *idem_key, const char *intent, struct payment *p);
enum err payment_refund(struct arena *a, const char *idem_key, const char *intent, int64_t amount,
			struct payment *p);

/* One page of the gateway's intents, newest first (limit 1..100), older
 * than the intent `after` (NULL: from the newest). *list is a new
 * reference to the array of intent objects as the gateway sends them
 * (metadata included); *more is set when older ones remain. E_UNAVAIL when
 * no answer came. */
enum err payment_list(struct arena *a, const char *after, int limit, json_t **list, int *more);

/* The gateway's origin ("http://127.0.0.1:8081"), for the form-action of
 * pages whose form ends on the gateway's page; "" when not configured. */
const char *payment_origin(void);

/* A decline's words for the shopper ("Your card was declined: insufficient
 * funds."), static. */
const char *payment_reason(const struct payment *p);

#define PAYMENT_WEBHOOK_TOLERANCE 300	/* seconds a signature stays valid */

/* Checks a webhook's Paygate-Signature header ("t=...,v1=...") over body
 * with the webhook secret: 0 when genuine and no older than the tolerance
 * at time now, -1 otherwise. */
int payment_verify_webhook(const char *header, const char *body, size_t len, int64_t now);

#endif
