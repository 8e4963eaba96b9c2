/* Webhook delivery: one background thread POSTs stored events to the
 * webhook URL, signed, retrying with exponential backoff until a 2xx or
 * STORE_MAX_ATTEMPTS attempts. The events table is the queue, so pending
 * deliveries survive a restart. */
#ifndef PAYGATE_WEBHOOK_H
#define PAYGATE_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>
#include "pg.h"

enum pg_err webhook_start(void);
/* Asks the thread to stop (an in-flight delivery is abandoned and retried
 * after the next start) and joins it. */
void webhook_stop(void);
/* New events, an unpause or a new URL: look at the queue now. */
void webhook_wake(void);

/* The Paygate-Signature value for body sent at time t:
 * "t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>". */
void webhook_signature(const char *secret, int64_t t, const char *body, size_t len,
		       char *out, size_t size);

#endif
