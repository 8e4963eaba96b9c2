/* Test faults and the webhook URL override, shared by the request threads
 * and the webhook thread under one small mutex. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "fault.h"
#include "pg.h"
#include "webhook.h"

static pthread_mutex_t fault_mu = PTHREAD_MUTEX_INITIALIZER;
static struct faults current;
static char url_override[2049];
static unsigned generation;

void fault_get(struct faults *out)
{
	pthread_mutex_lock(&fault_mu);
	*out = current;
	pthread_mutex_unlock(&fault_mu);
}

void fault_set(const struct faults *f)
{
	pthread_mutex_lock(&fault_mu);
	current = *f;
	generation++;
	pthread_mutex_unlock(&fault_mu);
	webhook_wake();
}

int fault_take_drop(void)
{
	int drop = 0;

	pthread_mutex_lock(&fault_mu);
	if (current.drop_response > 0) {
		current.drop_response--;
		drop = 1;
	}
	pthread_mutex_unlock(&fault_mu);
	return drop;
}

void fault_webhook_url(char *out, size_t size)
{
	pthread_mutex_lock(&fault_mu);
	snprintf(out, size, "%s", url_override[0] ? url_override : pg_cfg.webhook_url);
	pthread_mutex_unlock(&fault_mu);
}

void fault_set_webhook_url(const char *url)
{
	pthread_mutex_lock(&fault_mu);
	snprintf(url_override, sizeof(url_override), "%s", url);
	generation++;
	pthread_mutex_unlock(&fault_mu);
	webhook_wake();
}

unsigned fault_generation(void)
{
	unsigned g;

	pthread_mutex_lock(&fault_mu);
	g = generation;
	pthread_mutex_unlock(&fault_mu);
	return g;
}
