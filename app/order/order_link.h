/* Guest orders (issue 15): the signed link to an order page that the
 * confirmation mail carries (it works without signing in), finding a
 * guest's order again by email and number (the confirmation mail that
 * carries the link is app/notify's). Domain code: no request, no page. */
#ifndef ORDER_ORDER_LINK_H
#define ORDER_ORDER_LINK_H

#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;

/* Statements of this part (order_init calls it). */
void order_link_init(void);

/* The token that proves a link to order_id was made by the shop:
 * HMAC-SHA256 under a key derived from the shop's secret, base64url (43
 * characters). Arena-owned; NULL when out of memory. */
const char *order_link_token(struct arena *a, int64_t order_id);
/* 1 when token is order_id's (constant-time comparison). */
int order_link_ok(int64_t order_id, const char *token);
/* The order page a link opens: "/orders/<id>/view?t=<token>". */
const char *order_link_path(struct arena *a, int64_t order_id);

/* Who an order belongs to: *uid, *is_guest (a guest row's), *email (the
 * guest's or the account's) and *status (the order's). E_NOTFOUND when
 * there is no such order. */
enum err order_owner(struct db *db, struct arena *a, int64_t order_id, int64_t *uid, int *is_guest,
		     const char **email, const char **status);

/* The order with this number whose guest gave this (normalised) email, as
 * *found 1; 0 when the two do not name a guest order (which of them is
 * wrong is not told). */
enum err order_guest_find(struct db *db, struct arena *a, const char *email, int64_t order_id, int *found);

#endif
