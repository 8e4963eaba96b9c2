/* The returns module: returns (RMA): a shopper's request to send lines of a delivered order back, the seller's approval, the parcel's way back, inspection, restock or write-off, and the refund (issue 19). FRAME: a placeholder the work that follows
 * replaces. */
#include "../module.h"

const struct module returns_module = {
	.name = "returns",
};
