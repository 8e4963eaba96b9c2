/* The waiting room as the pages see it (issue 18; docs/design.md section
 * 10). The cart's and checkout's handlers ask it before a sale line is
 * added or placed; the pipeline asks its token buckets on RF_BUCKET routes
 * (the module's throttle hook).
 *
 * An admission is a signed token with a short life (HMAC with the shop's
 * secret over the sale, the holder: "u<user id>" or the session, and the
 * expiry), carried by the cookie `adm` for browsers or the header
 * `Shop-Admission` for API clients. It is checked without Redis, so a lost
 * queue never voids an admission already given. */
#ifndef WAITROOM_WAITROOM_PAGES_H
#define WAITROOM_WAITROOM_PAGES_H

#include <stdint.h>
#include "../core/err.h"

struct ctx;

/* POST /api/sales/{id}/tickets: 201 a new ticket, 200 the one this
 * shopper has: {"ticket", "status", "place", "waitSeconds", "waitUrl",
 * "admission", "expiresAt"}; 404 no such sale; 503 no queue (Redis). */
enum err h_api_ticket_new(struct ctx *c);
/* GET /api/sales/{id}/tickets/mine: the same for this shopper's ticket
 * (admitted: the token, and the cookie adm); 404 when it has none. */
enum err h_api_ticket_mine(struct ctx *c);
/* POST /sales/{id}/queue: joins, 303 to the waiting page. */
enum err h_queue(struct ctx *c);
/* GET /sales/{id}/wait: the waiting page (meta refresh, no script). */
enum err h_wait(struct ctx *c);

/* 1 when the request may add sale_id's items to its cart and check them
 * out: it carries a valid admission for the sale, or the room is not
 * holding shoppers back for this sale now. 0 otherwise: the caller
 * answers 403 with waitroom_url (JSON "waitUrl") or, for a form, joins
 * the queue (waitroom_join) and redirects to the waiting page. */
int waitroom_admitted(struct ctx *c, int64_t sale_id);

/* What the cart and the checkout answer when waitroom_admitted says 0
 * (optional; the contract's answer, in one place): JSON 403 {"error":
 * {"status": 403, "title": "Please wait for your turn", "message",
 * "waitUrl"}}; a form: a ticket for the shopper and 303 to the waiting
 * page (503 when the queue cannot be reached). */
enum err waitroom_reply_wait(struct ctx *c, int64_t sale_id);

/* The sale's waiting page: "/sales/<id>/wait" (arena memory). */
const char *waitroom_url(struct ctx *c, int64_t sale_id);

/* A ticket in the sale's queue for this shopper (an existing one is kept).
 * 0 on success; -1 when the queue cannot be reached (the caller answers
 * 503). */
int waitroom_join(struct ctx *c, int64_t sale_id);

/* An order holding the sale's units was placed with this admission: its
 * slot goes to the next in the queue. */
void waitroom_used(struct ctx *c, int64_t sale_id);

/* The module's throttle hook: the shopper's and the IP's token buckets for
 * the route's action; 0 or the seconds to wait. */
int waitroom_throttle(struct ctx *c);

#endif
