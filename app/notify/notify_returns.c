/* The returns' mails (issue 19; notify_ext.h): the shopper hears that the
 * request went out, then the seller's answer (approved: the address and
 * the label to send the parcel with; rejected: why); the seller hears of a
 * new request; the active admins of a request left unanswered. The refund
 * is the RefundSucceeded mail (notify.c). Transactional: no opt-out. */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../events/stream.h"
#include "../returns/returns.h"
#include "../order/order_link.h"
#include "notify_ext.h"

static int add(struct arena *a, struct notify_mail *v, size_t *n, size_t cap, enum notify_kind k, const char *to,
	       int64_t uid, const char *subject, json_t *model)
{
	if (!model || !subject || *n >= cap) {
		json_decref(model);
		return !model || !subject ? -1 : 0;
	}
	if (!to || !*to) {
		json_decref(model);
		return 0;
	}
	v[*n] = (struct notify_mail){ .kind = k, .to = to, .user_id = uid, .subject = subject, .model = model };
	(*n)++;
	(void)a;
	return 0;
}

/* The model of a return's mails: the return, its order, its lines. */
static json_t *model_of(struct arena *a, struct db_res *h, struct db_res *l, const char *name)
{
	json_t *lines = json_array(), *m;
	int64_t id = db_int(h, 0, RT_ID), oid = db_int(h, 0, RT_ORDER);

	for (size_t i = 0; i < l->nrows; i++)
		json_array_append_new(lines, json_pack("{ss, sI, sI}", "title", db_cell(l, i, RL_TITLE),
						       "quantity", (json_int_t)db_int(l, i, RL_QTY),
						       "amount", (json_int_t)db_int(l, i, RL_AMOUNT)));
	m = json_pack("{ss, sI, ss, sI, ss, ss, ss, sI, ss, so}", "name", name ? name : "",
		      "orderId", (json_int_t)oid, "orderUrl", arena_printf(a, "%s/orders/%lld", config.base_url, (long long)oid),
		      "returnId", (json_int_t)id,
		      "returnUrl", arena_printf(a, "%s/returns/%lld", config.base_url, (long long)id),
		      "currency", db_cell(h, 0, RT_CUR), "reason", db_cell(h, 0, RT_REASON),
		      "amount", (json_int_t)db_int(h, 0, RT_AMOUNT), "sellerName", db_cell(h, 0, RT_SELLER_NAME),
		      "lines", lines);
	return m;
}

/* The shopper's mails: a guest has no account to sign in to, so the
 * links carry the order link's token (never put in others' mails). */
static json_t *for_shopper(struct arena *a, struct db_res *h, json_t *m)
{
	int64_t id = db_int(h, 0, RT_ID), oid = db_int(h, 0, RT_ORDER);
	const char *t;

	if (!m || db_int(h, 0, RT_USER_GUEST) != 1 || !(t = order_link_token(a, oid)))
		return m;
	json_object_set_new(m, "orderUrl", json_string(arena_printf(a, "%s%s", config.base_url, order_link_path(a, oid))));
	json_object_set_new(m, "returnUrl", json_string(arena_printf(a, "%s/returns/%lld/view?t=%s", config.base_url,
								     (long long)id, t)));
	return m;
}

enum err notify_returns_collect(struct db *db, struct arena *a, const struct event *ev,
				struct notify_mail **out, size_t *n)
{
	json_t *rid = ev->json ? json_object_get(ev->json, "returnId") : NULL, *m;
	struct db_res *h = NULL, *l = NULL, *adm = NULL;
	struct notify_mail *v;
	size_t cap = 102;
	int64_t id;
	enum err e;

	*out = NULL;
	*n = 0;
	if (!json_is_integer(rid))
		return E_OK;
	id = json_integer_value(rid);
	if ((e = returns_get(db, a, id, &h, &l)))
		return e == E_NOTFOUND ? E_OK : e;
	if (!(v = arena_calloc(a, cap, sizeof(*v))))
		return E_NOMEM;
	switch (ev->type) {
	case EV_RETURN_REQUESTED:
		if ((m = for_shopper(a, h, model_of(a, h, l, db_cell(h, 0, RT_USER_NAME)))))
			json_object_set_new(m, "isRequested", json_true());
		if (add(a, v, n, cap, NK_RETURN, db_cell(h, 0, RT_USER_EMAIL), db_int(h, 0, RT_USER),
			arena_printf(a, "Your return request for order %lld", (long long)db_int(h, 0, RT_ORDER)), m))
			return E_NOMEM;
		if ((m = model_of(a, h, l, db_cell(h, 0, RT_SELLER_NAME)))) {
			struct db_res *ph = NULL;

			/* The seller's page of the return shows its photos. */
			json_object_set_new(m, "returnUrl", json_string(arena_printf(a, "%s/seller/returns/%lld",
									       config.base_url, (long long)id)));
			if (!returns_photos(db, a, id, &ph) && ph->nrows)
				json_object_set_new(m, "photoCount", json_integer((json_int_t)ph->nrows));
		}
		if (add(a, v, n, cap, NK_RETURN_SELLER, db_cell(h, 0, RT_SELLER_EMAIL), db_int(h, 0, RT_SELLER_USER),
			arena_printf(a, "A return to decide: order %lld", (long long)db_int(h, 0, RT_ORDER)), m))
			return E_NOMEM;
		break;
	case EV_RETURN_APPROVED:
	case EV_RETURN_REJECTED: {
		int ok = ev->type == EV_RETURN_APPROVED;

		if ((m = for_shopper(a, h, model_of(a, h, l, db_cell(h, 0, RT_USER_NAME))))) {
			json_object_set_new(m, ok ? "isApproved" : "isRejected", json_true());
			json_object_set_new(m, "returnAddress", json_string(db_cell(h, 0, RT_ADDRESS) ? db_cell(h, 0, RT_ADDRESS) : ""));
			json_object_set_new(m, "label", json_string(db_cell(h, 0, RT_LABEL) ? db_cell(h, 0, RT_LABEL) : ""));
			json_object_set_new(m, "carrier", json_string(db_cell(h, 0, RT_CARRIER) ? db_cell(h, 0, RT_CARRIER) : ""));
			json_object_set_new(m, "reason", json_string(db_cell(h, 0, RT_REJECT) ? db_cell(h, 0, RT_REJECT) :
								     db_cell(h, 0, RT_REASON)));
		}
		if (add(a, v, n, cap, NK_RETURN, db_cell(h, 0, RT_USER_EMAIL), db_int(h, 0, RT_USER),
			arena_printf(a, ok ? "Your return for order %lld is approved" : "Your return for order %lld was not accepted",
				     (long long)db_int(h, 0, RT_ORDER)), m))
			return E_NOMEM;
		break;
	}
	case EV_RETURN_ESCALATED: {
		/* Two causes: the seller's silence, or a refund the gateway
		 * refused for good ({"refundFailed": true, "error"}). */
		int failed = json_is_true(json_object_get(ev->json, "refundFailed"));
		const char *why = json_string_value(json_object_get(ev->json, "error"));

		if ((e = returns_admins(db, a, &adm)))
			return e;
		for (size_t i = 0; i < adm->nrows; i++) {
			if ((m = model_of(a, h, l, ""))) {
				json_object_set_new(m, "adminUrl", json_string(arena_printf(a, "%s/admin/returns",
											   config.base_url)));
				if (failed) {
					json_object_set_new(m, "refundFailed", json_true());
					json_object_set_new(m, "refundError", json_string(why ? why : ""));
					json_object_set_new(m, "returnUrl", json_string(arena_printf(a, "%s/admin/returns/%lld",
						config.base_url, (long long)id)));
				}
			}
			if (add(a, v, n, cap, NK_RETURN_ESCALATED, db_cell(adm, i, 0), db_int(adm, i, 1),
				failed ? arena_printf(a, "Return %lld: the refund was refused", (long long)id) :
					 arena_printf(a, "Return %lld: the seller has not answered", (long long)id), m))
				return E_NOMEM;
		}
		break;
	}
	default:
		break;
	}
	*out = v;
	return E_OK;
}
