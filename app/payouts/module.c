/* The payouts module: seller payouts: commission rates, the sellers' ledger, payout periods and statements (issue 19). FRAME: a placeholder the work that follows
 * replaces. */
#include "../module.h"

const struct module payouts_module = {
	.name = "payouts",
};
