/* Wishlists: saved items, lists, sharing (wishlist.h). */
#include "wishlist.h"

void wishlist_init(void)
{
}
