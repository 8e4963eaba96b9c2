/* Payment intents: their API objects, their state changes and the event
 * each change emits. The callers (api.c, hosted.c) check that a change is
 * allowed from the current state before calling; these functions make the
 * change, store it and write its event, all inside the caller's
 * transaction (the store lock held). */
#ifndef PAYGATE_INTENT_H
#define PAYGATE_INTENT_H

#include <jansson.h>
#include "card.h"
#include "store.h"

/* The API objects (new references, NULL when out of memory). */
json_t *intent_json(const struct intent *pi);
json_t *refund_json(const struct refund *re);

/* 1 while the intent can still take a card (requires_payment_method). */
int intent_payable(const struct intent *pi);

/* One authorization attempt with card on an intent in
 * requires_payment_method. *approved says how it went: approved ends in
 * requires_capture (manual) or succeeded (automatic); a decline stays in
 * requires_payment_method with last_payment_error set. */
enum pg_err intent_attempt(struct intent *pi, const struct card *card, int *approved);
/* Captures amount (1..capturable) of an intent in requires_capture. */
enum pg_err intent_capture(struct intent *pi, int64_t amount, int final);
/* Cancels, or when part is captured already releases the rest. reason may
 * be NULL. */
enum pg_err intent_cancel(struct intent *pi, const char *reason);
/* Refunds re->amount (1..received - refunded); fills re's id and created. */
enum pg_err intent_refund(struct intent *pi, struct refund *re);

#endif
