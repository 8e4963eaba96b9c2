/* Wishlists: saved items, lists, sharing (issue 17). Domain code: no request, no template. */
#ifndef WISHLIST_WISHLIST_H
#define WISHLIST_WISHLIST_H

/* Statements and settings; idempotent. */
void wishlist_init(void);

#endif
