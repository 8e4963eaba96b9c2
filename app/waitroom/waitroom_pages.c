/* The waiting room. FRAME: the helper building issue 18's waiting room
 * replaces these with the real queue, admissions and token buckets. */
#include <stddef.h>
#include "../core/arena.h"
#include "../http/router.h"
#include "waitroom_pages.h"

int waitroom_admitted(struct ctx *c, int64_t sale_id)
{
	(void)c;
	(void)sale_id;
	return 1;
}

const char *waitroom_url(struct ctx *c, int64_t sale_id)
{
	return arena_printf(c->a, "/sales/%lld/wait", (long long)sale_id);
}

int waitroom_join(struct ctx *c, int64_t sale_id)
{
	(void)c;
	(void)sale_id;
	return 0;
}

void waitroom_used(struct ctx *c, int64_t sale_id)
{
	(void)c;
	(void)sale_id;
}

int waitroom_throttle(struct ctx *c)
{
	(void)c;
	return 0;
}
