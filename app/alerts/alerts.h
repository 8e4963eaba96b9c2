/* Back-in-stock and price-drop alerts (issue 17). Domain code: no request, no template.
 *
 * A subscription is a product_alerts row (migrations/113_alerts.sql) of a
 * shopper, a product, a SKU (0: any SKU of the product) and a kind. It is
 * made explicitly (the product page, POST /api/items/{id}/alerts) or
 * implied by a saved wishlist item with alerts on (wishlist_items.alerts =
 * 1, W's switch): the consumer "alerts" creates that row (source wishlist,
 * ref_price the saved price) the first time it looks at the product.
 *
 * The consumer (alerts_on_event; topics StockChanged, ProductUpdated)
 * keeps each row's `armed` from what it sees, in one transaction per event
 * with the product's rows locked: back in stock arms at stock 0 and fires
 * (a BackInStock event, armed = 0) at stock > 0; a price drop arms at a
 * price >= ref_price and fires (PriceDropped) below it. So one mail per
 * subscription and episode (the notify consumer mails those events), and a
 * replayed event finds the state already moved. A subscription made while
 * the item is in stock starts disarmed (it mails after a sell-out and a
 * return), one made while it is out of stock starts armed. */
#ifndef ALERTS_ALERTS_H
#define ALERTS_ALERTS_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct kv;
struct event;

enum alert_kind { ALERT_BACK_IN_STOCK, ALERT_PRICE_DROP };

/* "back-in-stock", "price-drop"; NULL out of range. */
const char *alert_kind_name(int kind);
/* The kind named s, or -1. */
int alert_kind_find(const char *s);

/* A subscription with what the shopper sees of its product now. */
struct alert {
	int64_t id, user_id, product_id, sku_id;
	const char *sku;		/* the SKU's code; NULL: any SKU */
	int kind;			/* enum alert_kind */
	int wishlist;			/* source: 1 a saved wishlist item, 0 explicit */
	int64_t ref_price;
	int armed, active;
	int64_t episodes;
	const char *last_sent_at;	/* ISO 8601 UTC, or NULL */
	const char *created_at;
	/* The product now. */
	const char *title, *slug, *currency;
	int64_t price, stock;
	int listed;			/* the product (and SKU) is on sale */
	/* The subscriber (alerts_get). */
	const char *email, *name;
	int account_active;		/* users.status = 'active' (no guest, not disabled) */
	int saved;			/* a wishlist item with alerts on still stands behind it */
};

/* Statements; idempotent. */
void alerts_init(void);

/* How many explicit subscriptions a shopper may hold at once (the list
 * shows as many). */
#define ALERTS_MAX 200

/* Subscribes uid to kind on the product (sku_code NULL: any SKU of it).
 * *created 1 when a subscription was made (or one the shopper had dropped
 * made again), 0 when it was there already; *out the subscription.
 * E_NOTFOUND: no such product on sale, or no such SKU of it; E_TOOBIG: uid
 * holds ALERTS_MAX already. */
enum err alerts_subscribe(struct db *db, struct arena *a, int64_t uid, int64_t product_id, const char *sku_code,
			  int kind, struct alert *out, int *created);
/* uid's active subscriptions, newest first (at most 200; a wishlist one only
 * while its item is saved with alerts on). *v in a. */
enum err alerts_list(struct db *db, struct arena *a, int64_t uid, struct alert **v, size_t *n);
/* uid's active subscriptions to the product, for its page. */
enum err alerts_of_product(struct db *db, struct arena *a, int64_t uid, int64_t product_id, struct alert **v,
			   size_t *n);
/* Unsubscribes: E_NOTFOUND when id is not uid's active subscription. The
 * row stays (active = 0), so a wishlist item's implied one is not made
 * again by the consumer. */
enum err alerts_remove(struct db *db, struct arena *a, int64_t uid, int64_t id);
/* Subscription id with its subscriber, for the mail (any user, active or
 * not). E_NOTFOUND when there is none. */
enum err alerts_get(struct db *db, struct arena *a, int64_t id, struct alert *out);

/* For app/wishlist, in the transaction that saves an item with alerts on
 * (or turns them on): its two subscriptions made now (source wishlist,
 * ref_price the saved price), back in stock armed when the SKU is out of
 * stock now, so that its return right after is mailed (the consumer, which
 * makes them otherwise, sees the item only at its next change). A pair
 * that has its rows already (subscribed explicitly, or dropped by the
 * shopper) is left as it is. */
enum err alerts_wishlist_saved(struct db *db, struct arena *a, int64_t uid, int64_t product_id, int64_t sku_id,
			       int64_t saved_price);

/* The consumer "alerts" (app/alerts/module.c). */
enum err alerts_on_event(struct db *db, struct kv *kv, struct arena *a, const struct event *ev);

#endif
