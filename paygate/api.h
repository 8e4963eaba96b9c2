/* The JSON API under /v1: authentication, the route table, body
 * validation, idempotency keys, test faults, and the handlers for payment
 * intents, refunds and events. */
#ifndef PAYGATE_API_H
#define PAYGATE_API_H

#include "pg.h"

/* Answers a request whose path starts with /v1/ (rp->drop may ask the
 * server to close the connection instead). */
void api_handle(const struct request *rq, struct reply *rp);

#endif
