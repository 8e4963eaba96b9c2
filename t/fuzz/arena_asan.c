/* The arena of app/core/arena.h for the fuzz targets only: every allocation
 * is its own malloc block of exactly the size asked for, so AddressSanitizer
 * sees a read or write one byte past any arena allocation (in the real
 * arena, neighbouring allocations share a block and such a bug goes
 * unseen). Same interface and semantics: 16-byte alignment, cleanups run
 * last-registered first at reset and destroy. Linked before libshop.a, so
 * the archive's arena.o is never pulled in. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../app/core/arena.h"

struct chunk {
	struct chunk *next;
	size_t size;
};	/* 16 bytes: what follows stays 16-byte aligned */

struct cleanup {
	struct cleanup *next;
	void (*fn)(void *);
	void *p;
};

struct arena {
	struct chunk *chunks;
	struct cleanup *cleanups;
	size_t footprint;
};

_Static_assert(sizeof(struct chunk) % 16 == 0, "chunk header keeps alignment");

struct arena *arena_new(size_t block_size)
{
	(void)block_size;
	return calloc(1, sizeof(struct arena));
}

void arena_reset(struct arena *a)
{
	while (a->cleanups) {
		struct cleanup *c = a->cleanups;

		a->cleanups = c->next;
		c->fn(c->p);
	}
	while (a->chunks) {
		struct chunk *c = a->chunks;

		a->chunks = c->next;
		free(c);
	}
	a->footprint = 0;
}

void arena_destroy(struct arena *a)
{
	if (!a)
		return;
	arena_reset(a);
	free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c;

	if (n > (size_t)-1 - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + n);
	if (!c)
		return NULL;
	c->next = a->chunks;
	c->size = n;
	a->chunks = c;
	a->footprint += n;
	return c + 1;
}

void *arena_calloc(struct arena *a, size_t n, size_t size)
{
	void *p;

	if (size && n > (size_t)-1 / size)
		return NULL;
	p = arena_alloc(a, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(p = arena_alloc(a, (size_t)n + 1)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int arena_on_reset(struct arena *a, void (*fn)(void *), void *p)
{
	struct cleanup *c = arena_alloc(a, sizeof(*c));

	if (!c) {
		fn(p);
		return -1;
	}
	c->fn = fn;
	c->p = p;
	c->next = a->cleanups;
	a->cleanups = c;
	return 0;
}

size_t arena_footprint(const struct arena *a)
{
	return a->footprint;
}
