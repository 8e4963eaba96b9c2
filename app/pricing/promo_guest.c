/* Promo codes and guest checkout (issue 15): a code that may be used once
 * per customer needs a customer who can be told apart, which a guest (a new
 * guest record per email) is not. See pricing_promo_per_customer. */
#include <string.h>
#include "../core/arena.h"
#include "../store/db.h"
#include "pricing.h"

enum { Q_ONCE, Q_COUNT };

static struct db_sql sql[Q_COUNT] = {
	/* issue 19: any limit per customer (per_customer) counts, not only once */
	[Q_ONCE] = { "SELECT once_per_customer OR per_customer IS NOT NULL FROM promo_codes WHERE code = TRIM(?)", 0 },
};

void pricing_promo_guest_init(void)
{
	db_register(sql, Q_COUNT);
}

enum err pricing_promo_per_customer(struct db *db, struct arena *a, const char *code, int *once)
{
	struct db_res *r = NULL;
	enum err e;

	*once = 0;
	if (!code || !*code)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_ONCE], &r, "s", code)))
		return e;
	*once = r->nrows && db_int(r, 0, 0) != 0;
	return E_OK;
}
