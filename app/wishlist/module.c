/* The wishlist module: Wishlists: saved items, lists, sharing (issue 17). */
#include "../module.h"
#include "wishlist.h"
#include "wishlist_pages.h"

const struct module wishlist_module = {
	.name = "wishlist",
	.init = wishlist_init,
};
