/* Checkout: the order saga (docs/design.md section 2) over a plain request
 * (checkout_req), the gateway's notices, and the job that resumes sagas a
 * dead process left half-way. The pages and API that fill the request, the
 * gateway's return page and webhook are checkout_pages.c.
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

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"
#include "../account/address.h"
#include "../pricing/pricing.h"

struct arena;
struct cart;
struct db;
struct kv;

#define CHECKOUT_HOLD_TTL 900	/* seconds; SHOP_HOLD_TTL overrides */

/* The saga's statements and settings (once, at start). checkout_init()
 * (checkout_pages.h) calls it and hands it the order's answer builder. */
void checkout_saga_init(void);

/* What a placed order's stored answer is: the order as the API shows it,
 * a new JSON reference or NULL. */
typedef json_t *(*checkout_order_doc_fn)(struct db *db, struct arena *a, int64_t order_id, int64_t uid);
void checkout_set_order_doc(checkout_order_doc_fn fn);

/* A shopper's order as the pages or the API read it. */
struct checkout_req {
	int64_t user_id;
	const char *idem_key;		/* 1..255 characters */
	const char *request_hash;	/* of the request as sent: a replay with another body is refused */
	const char *payment_method;	/* the gateway's "pm_..." or NULL (pay on its page) */
	const char *method;		/* shipping method code */
	const char *promo;		/* promo code as typed, or NULL */
	struct address addr;		/* the shipping address, checked */
	int64_t address_id;		/* when it came from the address book */
	int64_t amount;			/* the total the shopper saw */
	int has_amount;
	struct cart *cart;		/* the shopper's cart */
	const char *bad_input;		/* set: the input was refused (400, this message) */
	json_t *bad_fields;		/* and, when given, {"fields": [...]} beside it (the
					 * caller's reference) */
	/* CURRENCIES (issue 19, app/fx): the currency to quote and charge in
	 * (an enabled one; NULL: the shop's). */
	const char *currency;
	const char *fx_date;		/* the rate's day the shopper was quoted, or NULL */
	const char *cart_key;		/* the cart as Review priced it (version and lines), or
					 * NULL: a cart that became an order (not expired or
					 * cancelled) is not placed again: 409 with "orderId" */
};

/* The cart priced for a request. status/msg/extra: a refusal (409 sold out
 * or changed, 422 empty cart, unknown method or promo), with JSON details
 * (a new reference the caller releases). */
struct checkout_plan {
	struct cart *cart;
	struct pricing_line *lines;
	size_t n;
	struct pricing_quote q;
	/* CURRENCIES: the rate the quote's amounts are at (FX_SCALE fixed
	 * point, its text and day; text "1.0000000000" and day NULL for the
	 * shop's own currency). The order records them. */
	int64_t fx_rate;
	const char *fx_rate_text, *fx_date;
	int status;
	const char *msg;
	json_t *extra;
};
enum err checkout_plan(struct db *db, struct arena *a, const struct checkout_req *in, struct checkout_plan *p);
/* The quote's totals as the API and the stored answers show them. */
json_t *checkout_quote_json(const struct checkout_plan *p);

/* The order (not expired or cancelled) that uid's cart named cart_key
 * became in the last day, else *order_id 0. */
enum err checkout_cart_order(struct db *db, struct arena *a, int64_t uid, const char *cart_key, int64_t *order_id);

/* *placed = 1 when (uid, key) names an attempt that got past placing (its
 * units held, or its answer stored): a replay or a resumption, which the
 * flash sale's waiting room lets through (it holds no new units). */
enum err checkout_key_placed(struct db *db, struct arena *a, int64_t uid, const char *key, int *placed);
/* The title of a checkout error answer of this status ("title" beside
 * "status" and "message"). */
const char *checkout_error_title(int status);

/* What the checkout form sent to Review (JSON text), kept for the session
 * (session_key: its Redis key) so that Review is a GET after a redirect
 * (Back after paying re-posts nothing) and the form can be shown again as
 * it was. *text NULL when there is none. */
enum err checkout_stash_put(struct kv *kv, struct arena *a, const char *session_key, const char *text);
enum err checkout_stash_get(struct kv *kv, struct arena *a, const char *session_key, const char **text);

/* What became of a place-order. */
struct checkout_answer {
	enum {
		CHECKOUT_ANSWER,	/* status and body: the key's stored answer (JSON text) */
		CHECKOUT_KEY_REUSED,	/* the key was used with another request: nothing done */
		CHECKOUT_UNAVAILABLE,	/* the gateway did not answer: the order is kept, retry */
		CHECKOUT_IN_FLIGHT,	/* another request with this key is at work */
	} kind;
	int status;
	const char *body;
};

/* The saga for one request: the checkouts row for (user, key) (a replay
 * gets the stored answer, a half-done one is resumed), the plan, the order
 * with its holds and promo use (order_create, inventory_hold), the
 * gateway's authorization and its outcome. kv: the test hooks' pause
 * points (SHOP_TEST_HOOKS=1). */
enum err checkout_place(struct db *db, struct arena *a, struct kv *kv, const struct checkout_req *rq,
			struct checkout_answer *ans);

/* A notice from the payment gateway (already authenticated). */
struct gateway_event {
	const char *id, *type, *intent;
	const char *brand, *last4;		/* of its payment method */
	const char *error_code, *decline_code;	/* of its last error */
	const char *order_id;			/* its metadata's order_id, text */
	int64_t amount;
	const char *currency;
};
/* Applies it once (by id): authorized orders are confirmed, declines
 * recorded, an intent no order knows linked to the order it names.
 * *duplicate when it was applied before. */
enum err checkout_gateway_event(struct db *db, struct arena *a, const struct gateway_event *ev, int *duplicate);

/* `shopd jobs`: resumes checkouts stuck in reserved/authorizing (a worker
 * died, the gateway's answer was lost) with the same idempotency keys, once
 * no attempt can still be running (PAYMENT_SETTLE_S after the latest one
 * began). An attempt the gateway still runs (E_BUSY) is left for later. */
int checkout_recover_batch(struct db *db, struct kv *kv, struct arena *a);

/* The module's start (checkout_pages.c): the saga and its answers. */
void checkout_init(void);

#endif
