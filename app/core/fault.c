/* Fault injection for tests: see fault.h. */
#include <stdlib.h>
#include <string.h>
#include "fault.h"

#define MAX_FAULTS 4

static struct {
	int armed;
	long calls[FAULT_NLAYERS];
	int n, fired;
	struct {
		enum fault_layer layer;
		long at;
		enum fault_kind kind;
		int onward;	/* fires at every call from at on */
	} f[MAX_FAULTS];
} st;

int fault_enabled(void)
{
	static int v = -1;

	if (v < 0) {
		const char *h = getenv("SHOP_TEST_HOOKS");

		v = h && !strcmp(h, "1");
	}
	return v;
}

static int parse_one(const char *s, size_t len)
{
	static const char *const layers[] = { "db", "kv", "pay" };
	static const struct { const char *name; enum fault_kind k; } kinds[] = {
		{ "error", FAULT_ERROR }, { "lost", FAULT_LOST }, { "lost-after", FAULT_LOST_AFTER },
		{ "deadlock", FAULT_DEADLOCK }, { "deadlocks", FAULT_DEADLOCK },
	};
	const char *c1 = memchr(s, ':', len), *c2;
	char *end;
	long at;
	int layer = -1, kind = -1;

	if (!c1 || !(c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - s))) || st.n == MAX_FAULTS)
		return -1;
	for (int i = 0; i < FAULT_NLAYERS; i++)
		if ((size_t)(c1 - s) == strlen(layers[i]) && !memcmp(s, layers[i], (size_t)(c1 - s)))
			layer = i;
	at = strtol(c1 + 1, &end, 10);
	if (end != c2 || at < 1 || at > 100000)
		return -1;
	int onward = 0;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((size_t)(s + len - c2 - 1) == strlen(kinds[i].name) && !memcmp(c2 + 1, kinds[i].name, strlen(kinds[i].name))) {
			kind = (int)kinds[i].k;
			onward = !strcmp(kinds[i].name, "deadlocks");
		}
	if (layer < 0 || kind < 0 || (kind == FAULT_DEADLOCK && layer != FAULT_DB))
		return -1;
	st.f[st.n].layer = (enum fault_layer)layer;
	st.f[st.n].at = at;
	st.f[st.n].kind = (enum fault_kind)kind;
	st.f[st.n].onward = onward;
	st.n++;
	return 0;
}

int fault_arm(const char *spec)
{
	fault_disarm();
	if (!spec)
		return -1;
	if (strcmp(spec, "count")) {
		for (const char *p = spec; *p;) {
			size_t len = strcspn(p, ",");

			if (parse_one(p, len)) {
				fault_disarm();
				return -1;
			}
			p += len + (p[len] == ',');
		}
	}
	st.armed = 1;
	return 0;
}

void fault_disarm(void)
{
	memset(&st, 0, sizeof(st));
}

enum fault_kind fault_at(enum fault_layer layer)
{
	long n;

	if (!st.armed)
		return FAULT_NONE;
	n = ++st.calls[layer];
	for (int i = 0; i < st.n; i++)
		if (st.f[i].layer == layer && (st.f[i].at == n || (st.f[i].onward && n > st.f[i].at))) {
			st.fired++;
			return st.f[i].kind;
		}
	return FAULT_NONE;
}

long fault_calls(enum fault_layer layer)
{
	return st.calls[layer];
}

int fault_fired(void)
{
	return st.fired;
}
