/* Faults that tests switch on over POST /v1/test/faults, and the runtime
 * webhook URL override. They live in memory only: a restart clears them,
 * so a test that dies mid-way cannot leave a gateway that drops answers. */
#ifndef PAYGATE_FAULT_H
#define PAYGATE_FAULT_H

#include <stddef.h>

struct faults {
	int drop_response;	/* answers still to drop */
	int delay_ms;		/* sleep before each processed /v1 request */
	int webhooks_paused;
};

void fault_get(struct faults *out);
/* Replaces every setting at once and wakes the webhook thread. */
void fault_set(const struct faults *f);
/* 1 when this answer is to be dropped (and counts it). */
int fault_take_drop(void);
/* Copies the webhook URL in force (the override, else the configured one;
 * "" = none) into out. */
void fault_webhook_url(char *out, size_t size);
/* Sets the override; "" returns to the configured URL. */
void fault_set_webhook_url(const char *url);
/* Grows with every change of the settings or the URL: a webhook delivery
 * in flight when it changes is abandoned and redone under the new ones. */
unsigned fault_generation(void);

#endif
