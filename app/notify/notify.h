/* Notifications: the mails the shop sends shoppers and sellers when
 * something happens to their orders, stock or cart (issue 16).
 *
 * The consumer "notify" of the event stream (app/events/stream.h) turns
 * each event it follows into mails: notify_collect() says who gets which
 * mail with what data (a view model); the module renders it from
 * templates/mail/ (HTML and plain text, notify_pages.c); notify_send()
 * queues it in one transaction with a row of notify_sent keyed by (event,
 * kind, recipient), so an event delivered again (a crash before the
 * consumer saved its position, `shopctl events replay`) never mails twice.
 *
 * Transactional mails (order confirmed, payment failed, shipped,
 * delivered, cancelled, refunded, a seller's new order) are always sent.
 * The cart reminder and the seller's low-stock alert are not: each carries
 * a signed one-click unsubscribe link and obeys the person's preferences
 * (notify_prefs, the account page). Domain code: no request, no template. */
#ifndef NOTIFY_NOTIFY_H
#define NOTIFY_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;
struct db;
struct event;

enum notify_kind {
	NK_ORDER_CONFIRMED,
	NK_PAYMENT_FAILED,
	NK_SHIPPED,
	NK_DELIVERED,
	NK_CANCELLED,
	NK_REFUNDED,
	NK_SELLER_ORDER,	/* a seller: a new order to ship, their lines */
	NK_LOW_STOCK,		/* a seller: SKUs fell below the threshold (opt-out) */
	NK_CART_REMINDER,	/* a shopper: a saved cart left for a day (opt-out) */
	NK_REVIEW_REJECTED,	/* an author: their review was rejected, and why */
	NK_QUESTION,		/* a seller: a new question on their product */
	NK_ANSWER,		/* an asker: their question was answered */
	NK_BACK_IN_STOCK,	/* a shopper: a watched item is back (opt-out) */
	NK_PRICE_DROP,		/* a shopper: a watched item's price fell (opt-out) */
	/* RETURNS (issue 19; notify_returns.c) */
	NK_RETURN,		/* a shopper: their return asked, approved (address, label) or rejected */
	NK_RETURN_SELLER,	/* a seller: a new return to decide */
	NK_RETURN_ESCALATED,	/* the admins: a return its seller left unanswered */
	/* Issue 19, seller payouts (notify_payouts.c) */
	NK_PAYOUT_CLOSED,	/* a seller: a payout statement closed */
	NK_PAYOUT_PAID,		/* a seller: a statement was paid out */
	NK_COUNT
};

/* "order_confirmed", ...: the template's name and notify_sent.kind. */
const char *notify_kind_name(enum notify_kind k);
/* The kind named s (the unsubscribe link's), or -1. Only the opt-out kinds
 * when optout_only. */
int notify_kind_find(const char *s, int optout_only);

/* Statements; SHOP_LOW_STOCK (default 5: units available of a SKU, over
 * its warehouses, below which its seller hears), SHOP_CART_REMINDER_AFTER
 * (default 86400 s) and SHOP_NOTIFY_MAX_AGE (default 172800 s: an event
 * older than this, replayed, mails no one). Idempotent. */
void notify_init(void);
long notify_low_stock_threshold(void);

/* One mail to send: its kind, the address, the account behind it (0: none,
 * e.g. a seller without one), the subject and the view model (owned: the
 * caller decrefs; the rendering adds the shop's name and links). */
struct notify_mail {
	enum notify_kind kind;
	const char *to;
	int64_t user_id;
	const char *subject;
	json_t *model;
	/* NK_LOW_STOCK: the SKUs that crossed, marked low in the same
	 * transaction as the mail. */
	int64_t skus[32];
	size_t nskus;
};

/* The mails event ev brings (none for an event that concerns no one, an
 * order that is gone, an opted-out person). *out in a, *n its length. */
enum err notify_collect(struct db *db, struct arena *a, const struct event *ev,
			struct notify_mail **out, size_t *n);

/* Queues m (text, html, unsubscribe URL or NULL) in one transaction with
 * its notify_sent row keyed (event_id, kind, to); *sent 0 when that row was
 * there already (nothing queued). E_INVAL: an address mail refuses. */
enum err notify_send(struct db *db, struct arena *a, int64_t event_id, const struct notify_mail *m,
		     const char *text, const char *html, const char *unsubscribe, int *sent);

/* ---- the cart reminder ---- */

/* Saved carts untouched for SHOP_CART_REMINDER_AFTER seconds (and for at
 * most a day more), with items, of active accounts that have not turned
 * reminders off and were not reminded of this state of the cart: at most
 * limit, as mails in *out (user_id set, model with the items), and the
 * cart versions in versions[] (n entries, in a). */
enum err notify_cart_due(struct db *db, struct arena *a, size_t limit, struct notify_mail **out,
			 int64_t **versions, size_t *n);
/* Queues the reminder with its notify_cart_reminders row (user, version)
 * in one transaction; *sent 0 when the row was there. */
enum err notify_cart_send(struct db *db, struct arena *a, const struct notify_mail *m, int64_t version,
			  const char *text, const char *html, const char *unsubscribe, int *sent);

/* The job "notify-prune": notify_sent rows older than
 * SHOP_NOTIFY_MAX_AGE and a day (their events mail no one any more) and
 * cart-reminder rows past the carts' window, 1000 at a time. */
struct kv;
int notify_prune_batch(struct db *db, struct kv *kv, struct arena *a);

/* ---- preferences and unsubscribing ---- */

struct notify_prefs {
	int cart_reminders, low_stock;
	int back_in_stock, price_drop;	/* the alerts' mails (issue 17) */
};
enum err notify_prefs_get(struct db *db, struct arena *a, int64_t uid, struct notify_prefs *p);
enum err notify_prefs_set(struct db *db, struct arena *a, int64_t uid, const struct notify_prefs *p);
/* Turns the opt-out kind off for uid (the unsubscribe link). */
enum err notify_prefs_off(struct db *db, struct arena *a, int64_t uid, enum notify_kind k);

/* The signed token of an unsubscribe link for (uid, kind): HMAC-SHA256
 * under a key derived from the shop's secret, base64url, 43 characters. */
const char *notify_unsub_token(struct arena *a, int64_t uid, enum notify_kind k);
/* 1 when token is (uid, kind)'s (constant time). */
int notify_unsub_ok(int64_t uid, enum notify_kind k, const char *token);
/* The absolute link: "<base>/unsubscribe?u=<uid>&k=<kind>&t=<token>". */
const char *notify_unsub_url(struct arena *a, int64_t uid, enum notify_kind k);

#endif
