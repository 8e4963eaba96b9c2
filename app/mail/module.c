/* The mail module: the queue of outgoing mail and its delivery job. */
#include "../module.h"
#include "mail.h"

static int job_mail(struct db *db, struct kv *kv, struct arena *a)
{
	(void)kv;
	return mail_deliver_batch(db, a);
}

static const struct module_job mail_jobs[] = {
	{ "mail", job_mail, 200 },
};

const struct module mail_module = {
	.name = "mail",
	.init = mail_init,
	.jobs = mail_jobs,
	.njobs = sizeof(mail_jobs) / sizeof(mail_jobs[0]),
};
