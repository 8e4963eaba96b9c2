/* The outbox writer (events.h). */
#include <stdlib.h>
#include <string.h>
#include "../core/arena.h"
#include "../store/db.h"
#include "events.h"

static const char *const names[EV_NTYPES] = {
	[EV_PRODUCT_UPDATED] = "ProductUpdated",
	[EV_STOCK_CHANGED] = "StockChanged",
	[EV_ORDER_PLACED] = "OrderPlaced",
	[EV_ORDER_CONFIRMED] = "OrderConfirmed",
	[EV_ORDER_EXPIRED] = "OrderExpired",
	[EV_ORDER_CANCELLED] = "OrderCancelled",
	[EV_SHIPMENT_SHIPPED] = "ShipmentShipped",
	[EV_REFUND_REQUESTED] = "RefundRequested",
	[EV_REFUND_SUCCEEDED] = "RefundSucceeded",
	[EV_ORDER_PAYMENT_FAILED] = "OrderPaymentFailed",
	[EV_SHIPMENT_DELIVERED] = "ShipmentDelivered",
	[EV_REVIEW_PUBLISHED] = "ReviewPublished",
	[EV_REVIEW_UPDATED] = "ReviewUpdated",
	[EV_REVIEW_REMOVED] = "ReviewRemoved",
	[EV_REVIEW_REJECTED] = "ReviewRejected",
	[EV_QUESTION_PUBLISHED] = "QuestionPublished",
	[EV_QUESTION_REJECTED] = "QuestionRejected",
	[EV_ANSWER_PUBLISHED] = "AnswerPublished",
	[EV_ANSWER_REJECTED] = "AnswerRejected",
	[EV_BACK_IN_STOCK] = "BackInStock",
	[EV_PRICE_DROPPED] = "PriceDropped",
	[EV_RETURN_REQUESTED] = "ReturnRequested",
	[EV_RETURN_APPROVED] = "ReturnApproved",
	[EV_RETURN_REJECTED] = "ReturnRejected",
	[EV_RETURN_SHIPPED] = "ReturnShipped",
	[EV_RETURN_RECEIVED] = "ReturnReceived",
	[EV_RETURN_ESCALATED] = "ReturnEscalated",
	[EV_CATEGORY_CHANGED] = "CategoryChanged",
	[EV_PAYOUT_CLOSED] = "PayoutClosed",
	[EV_PAYOUT_PAID] = "PayoutPaid",
};

enum { Q_ONE, Q_MANY, NQ };

static struct db_sql sql[NQ] = {
	[Q_ONE] = { "INSERT INTO outbox (topic, aggregate_id, payload) VALUES (?, ?, ?)", 0 },
	/* One row per element of a JSON array [{"a": id, "p": {...}}, ...],
	 * in the array's order (ids ascend with it). */
	[Q_MANY] = { "INSERT INTO outbox (topic, aggregate_id, payload) SELECT ?, j.a, j.p FROM "
		     "JSON_TABLE(?, '$[*]' COLUMNS (n FOR ORDINALITY, a BIGINT UNSIGNED PATH '$.a', "
		     "p JSON PATH '$.p')) j ORDER BY j.n", 0 },
};

const char *event_type_name(enum event_type type)
{
	return (unsigned)type < EV_NTYPES ? names[type] : NULL;
}

void events_init(void)
{
	db_register(sql, NQ);
}

/* The JSON text of v in the arena (NULL when out of memory). */
static const char *dump(struct arena *a, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);
	const char *out;

	if (!s)
		return NULL;
	out = arena_strdup(a, s);
	free(s);
	return out;
}

enum err event_emit(struct db *db, struct arena *a, enum event_type type, int64_t aggregate, json_t *payload)
{
	const char *name = event_type_name(type), *text;

	if (!name || !json_is_object(payload)) {
		json_decref(payload);
		return E_INTERNAL;
	}
	text = dump(a, payload);
	json_decref(payload);
	if (!text)
		return E_NOMEM;
	return db_exec(db, a, &sql[Q_ONE], NULL, "sis", name, aggregate, text);
}

enum err event_emit_many(struct db *db, struct arena *a, enum event_type type, size_t n,
			 const int64_t *aggregates, json_t *const *payloads)
{
	const char *name = event_type_name(type), *text;
	json_t *all = json_array();
	enum err e = E_OK;

	for (size_t i = 0; i < n; i++) {
		json_t *p = payloads[i];

		if (e == E_OK && (!name || !json_is_object(p)))
			e = E_INTERNAL;
		if (e == E_OK && (!all || json_array_append_new(all, json_pack("{sIsO}", "a", (json_int_t)aggregates[i],
										    "p", p))))
			e = E_NOMEM;
		json_decref(p);
	}
	if (e != E_OK || n == 0) {
		json_decref(all);
		return e;
	}
	text = dump(a, all);
	json_decref(all);
	if (!text)
		return E_NOMEM;
	return db_exec(db, a, &sql[Q_MANY], NULL, "ss", name, text);
}
