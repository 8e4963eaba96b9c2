/* The alerts mails (notify_ext.h): BackInStock and PriceDropped, written by
 * the consumer "alerts" (app/alerts) once per subscription and episode, to
 * the subscriber. Opt-out mails: each kind can be turned off (notify_prefs,
 * the account page, the mail's one-click unsubscribe link). Nothing is
 * sent to a guest or disabled account, for a subscription dropped since,
 * for a wishlist item no longer saved with alerts on, or for a product no
 * longer on sale. */
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../events/stream.h"
#include "../alerts/alerts.h"
#include "notify_ext.h"

enum err notify_alerts_collect(struct db *db, struct arena *a, const struct event *ev,
			       struct notify_mail **out, size_t *n)
{
	int drop = ev->type == EV_PRICE_DROPPED;
	int64_t id = (int64_t)json_integer_value(json_object_get(ev->json, "alertId"));
	struct notify_prefs np;
	struct notify_mail *m;
	struct alert al;
	json_t *model;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((ev->type != EV_BACK_IN_STOCK && !drop) || id <= 0)
		return E_OK;
	if ((e = alerts_get(db, a, id, &al)) == E_NOTFOUND)
		return E_OK;	/* its account was deleted */
	if (e)
		return e;
	if (!al.active || !al.account_active || !al.email || !al.listed || (al.wishlist && !al.saved))
		return E_OK;
	if ((e = notify_prefs_get(db, a, al.user_id, &np)))
		return e;
	if (!(drop ? np.price_drop : np.back_in_stock))
		return E_OK;
	model = json_pack("{sssssIssss}", "name", al.name ? al.name : "", "productTitle", al.title ? al.title : "",
			  "productId", (json_int_t)al.product_id, "currency", al.currency ? al.currency : "USD",
			  "alertsUrl", arena_printf(a, "%s/account/alerts", config.base_url));
	if (!model)
		return E_NOMEM;
	json_object_set_new(model, "productUrl", json_string(arena_printf(a, "%s/p/%s%s%s#buy", config.base_url,
		al.slug ? al.slug : "", al.sku ? "?sku=" : "", al.sku ? al.sku : "")));
	if (al.sku)
		json_object_set_new(model, "sku", json_string(al.sku));
	json_object_set_new(model, "fromWishlist", json_boolean(al.wishlist));
	if (drop) {
		/* The prices of the episode, as the event saw them. */
		json_object_set_new(model, "price", json_integer(json_integer_value(json_object_get(ev->json, "price"))));
		json_object_set_new(model, "oldPrice",
				    json_integer(json_integer_value(json_object_get(ev->json, "refPrice"))));
	} else {
		json_object_set_new(model, "price", json_integer(al.price));
	}
	if (!(m = arena_calloc(a, 1, sizeof(*m)))) {
		json_decref(model);
		return E_NOMEM;
	}
	m->kind = drop ? NK_PRICE_DROP : NK_BACK_IN_STOCK;
	m->to = al.email;
	m->user_id = al.user_id;
	m->subject = arena_printf(a, drop ? "Price drop: %s" : "Back in stock: %s", al.title ? al.title : "");
	m->model = model;
	if (!m->subject) {
		json_decref(model);
		return E_NOMEM;
	}
	*out = m;
	*n = 1;
	return E_OK;
}
