/* The hosted payment page: GET /pay/{id}?s=<secret> shows the amount and a
 * card form; POST /pay/{id} tries the card. The shop sends the buyer here
 * and never sees the card number. */
#ifndef PAYGATE_HOSTED_H
#define PAYGATE_HOSTED_H

#include "pg.h"

/* Answers a request whose path starts with /pay/. */
void hosted_handle(const struct request *rq, struct reply *rp);

#endif
