/* The payouts mails (notify_ext.h, issue 19): a statement closed
 * (PayoutClosed) and a statement paid (PayoutPaid), to the seller's
 * contact address (else the account's). Transactional: no opt-out. The
 * amounts are the statement's as it is now (read, not taken from the
 * event), so a replay says the same. A statement with nothing to pay
 * mails only when it closes, to say what carries over. */
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../store/db.h"
#include "../events/stream.h"
#include "../payouts/payouts.h"
#include "notify_ext.h"

enum err notify_payouts_collect(struct db *db, struct arena *a, const struct event *ev,
				struct notify_mail **out, size_t *n)
{
	int paid = ev->type == EV_PAYOUT_PAID;
	int64_t id = (int64_t)json_integer_value(json_object_get(ev->json, "statementId")), uid;
	const char *email, *name;
	struct notify_mail *m;
	struct db_res *r = NULL;
	json_t *model;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((ev->type != EV_PAYOUT_CLOSED && !paid) || id <= 0)
		return E_OK;
	if ((e = payouts_statement(db, a, id, ev->aggregate, &r)) == E_NOTFOUND)
		return E_OK;
	if (e)
		return e;
	if ((e = payouts_seller_contact(db, a, ev->aggregate, &email, &name, &uid)) == E_NOTFOUND)
		return E_OK;	/* no address to write to */
	if (e)
		return e;
	model = json_pack("{ss sI ss ss ss sI sI sI ss ss ss ss}", "name", name, "statementId", (json_int_t)id,
			  "periodStart", db_cell(r, 0, PO_START), "periodEnd", db_cell(r, 0, PO_END), "currency",
			  db_cell(r, 0, PO_CUR), "payout", (json_int_t)db_int(r, 0, PO_PAYOUT), "net",
			  (json_int_t)db_int(r, 0, PO_NET), "carry", (json_int_t)db_int(r, 0, PO_CARRY), "statementUrl",
			  arena_printf(a, "%s/seller/payouts/%lld", config.base_url, (long long)id), "csvUrl",
			  arena_printf(a, "%s/seller/payouts/%lld/csv", config.base_url, (long long)id), "payoutsUrl",
			  arena_printf(a, "%s/seller/payouts", config.base_url), "reference",
			  db_cell(r, 0, PO_REF) ? db_cell(r, 0, PO_REF) : "");
	if (!model)
		return E_NOMEM;
	if (!(m = arena_calloc(a, 1, sizeof(*m)))) {
		json_decref(model);
		return E_NOMEM;
	}
	m->kind = paid ? NK_PAYOUT_PAID : NK_PAYOUT_CLOSED;
	m->to = email;
	m->user_id = uid;
	m->subject = paid ? arena_printf(a, "Payout statement %lld is paid", (long long)id) :
			    arena_printf(a, "Your payout statement %lld", (long long)id);
	m->model = model;
	*out = m;
	*n = 1;
	return E_OK;
}
