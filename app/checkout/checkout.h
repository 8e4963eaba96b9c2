/* Checkout: the order saga (DESIGN.md section 2), its pages and API, the
 * gateway's return page and webhook, and the job that resumes sagas a dead
 * process left half-way.
 *
 * A checkout is one row of `checkouts`, keyed by (user, Idempotency-Key):
 *   started -> reserved (holds placed, order pending_payment, OrderPlaced in
 *   the outbox: one transaction) -> authorizing (the gateway is being asked,
 *   with a key derived from the order) -> done (the answer is stored and
 *   given to every replay of the same key and body), or failed (nothing
 *   held; the refusal is stored the same way).
 * Only a card error is a decline: no answer (503) and "still running at
 * the gateway" (409 "being placed") leave the saga where it is. */
#ifndef CHECKOUT_CHECKOUT_H
#define CHECKOUT_CHECKOUT_H

#include "../core/err.h"

struct arena;
struct ctx;
struct db;
struct kv;

#define CHECKOUT_HOLD_TTL 900	/* seconds; SHOP_HOLD_TTL overrides */

void checkout_init(void);

/* `shopd jobs`: resumes checkouts stuck in reserved/authorizing (a worker
 * died, the gateway's answer was lost) with the same idempotency keys, once
 * no attempt can still be running (PAYMENT_SETTLE_S after the latest one
 * began). An attempt the gateway still runs (E_BUSY) is left for later. */
int checkout_recover_batch(struct db *db, struct kv *kv, struct arena *a);

enum err h_checkout(struct ctx *c);
enum err h_checkout_review(struct ctx *c);
enum err h_checkout_place(struct ctx *c);
enum err h_checkout_return(struct ctx *c);
enum err h_api_checkout(struct ctx *c);
enum err h_api_checkout_quote(struct ctx *c);
enum err h_api_paygate_webhook(struct ctx *c);

#endif
