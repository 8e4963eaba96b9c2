/* The route table: every module's routes (its routes.inc, through its
 * descriptor) joined in the order of the modules array, once at start.
 *
 * The first match wins where two patterns could match the same path with the
 * same method. Within a module that order is the module's own; across
 * modules it would depend on the order of the modules array, so the build
 * refuses any route that could take a request from another module's route:
 * the array can then be reordered for its dependencies without changing
 * which handler answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/log.h"
#include "http/router.h"
#include "module.h"

const struct route *routes;
size_t nroutes;

/* The next segment of a pattern: [*s, *e); 0 at the end. */
static int next_seg(const char **p, const char **s, const char **e)
{
	if (!**p)
		return 0;
	if (**p == '/')
		(*p)++;
	*s = *p;
	while (**p && **p != '/')
		(*p)++;
	*e = *p;
	return 1;
}

static int is_capture(const char *s, const char *e)
{
	return e > s && *s == '{' && e[-1] == '}';
}

/* 1 when some path matches both patterns (route_match: a {capture} takes one
 * non-empty segment, anything else must be equal). */
int routes_overlap(const char *a, const char *b)
{
	const char *as, *ae, *bs, *be;
	int ma, mb;

	if ((*a == '/') != (*b == '/'))
		return 0;
	for (;;) {
		ma = next_seg(&a, &as, &ae);
		mb = next_seg(&b, &bs, &be);
		if (!ma || !mb)
			return !ma && !mb;
		if (is_capture(as, ae) && be > bs)
			continue;
		if (is_capture(bs, be) && ae > as)
			continue;
		if (ae - as != be - bs || memcmp(as, bs, (size_t)(ae - as)))
			return 0;
	}
}

void routes_build(void)
{
	struct route *t;
	size_t n = 0, k = 0, i, j, m, *owner;

	if (routes)
		return;
	for (m = 0; modules[m]; m++)
		n += modules[m]->nroutes;
	t = calloc(n ? n : 1, sizeof(*t));
	owner = calloc(n ? n : 1, sizeof(*owner));
	if (!t || !owner)
		abort();	/* at start only */
	for (m = 0; modules[m]; m++)
		for (i = 0; i < modules[m]->nroutes; i++) {
			owner[k] = m;
			t[k++] = modules[m]->routes[i];
		}
	for (i = 0; i < n; i++) {
		for (j = 0; t[i].keys && t[i].keys[j].name; j++)
			;
		if (j > CTX_MAX_KEYS) {
			log_err("routes: %s's %s declares %zu keys, more than CTX_MAX_KEYS (%d)",
				modules[owner[i]]->name, t[i].pattern, j, CTX_MAX_KEYS);
			fprintf(stderr, "routes: %s's %s declares %zu keys, more than CTX_MAX_KEYS (%d)\n",
				modules[owner[i]]->name, t[i].pattern, j, CTX_MAX_KEYS);
			exit(1);	/* at start: a mistake in a routes.inc */
		}
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (owner[i] != owner[j] && (t[i].methods & t[j].methods) &&
			    routes_overlap(t[i].pattern, t[j].pattern)) {
				log_err("routes: %s's %s and %s's %s match the same requests",
					modules[owner[i]]->name, t[i].pattern, modules[owner[j]]->name, t[j].pattern);
				fprintf(stderr, "routes: %s's %s and %s's %s match the same requests\n",
					modules[owner[i]]->name, t[i].pattern, modules[owner[j]]->name, t[j].pattern);
				exit(1);	/* at start: a mistake in a routes.inc */
			}
	free(owner);
	routes = t;
	nroutes = n;
}
