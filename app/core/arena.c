/* Per-request arena: a chain of blocks; big requests get a block of their own.
 * Cleanups run in reverse order of registration, like destructors. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena.h"

/* Under AddressSanitizer (make SAN=1, the fuzz targets) every allocation
 * is unpoisoned exactly and followed by a poisoned gap, and the rest of a
 * block stays poisoned, so a read or write past an arena allocation is
 * reported as it would be for malloc. Elsewhere this costs nothing. */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define REDZONE 16
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define REDZONE 0
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct block {
	struct block *next;
	size_t size, used;
	max_align_t data[];
};

struct cleanup {
	struct cleanup *next;
	void (*fn)(void *);
	void *p;
};

#define SPARE_MAX 16	/* standard blocks kept between requests */

struct arena {
	struct block *head;	/* current block; the first block is last in the chain */
	struct block *first;
	struct block *spare;	/* standard-size blocks kept for the next request */
	int nspare;
	struct cleanup *cleanups;
	size_t block_size;
	size_t footprint;
};

static struct block *block_new(size_t size)
{
	struct block *b = malloc(sizeof(*b) + size);

	if (b) {
		b->next = NULL;
		b->size = size;
		b->used = 0;
		POISON(b->data, size);
	}
	return b;
}

static void block_free(struct block *b)
{
	UNPOISON(b->data, b->size);
	free(b);
}

struct arena *arena_new(size_t block_size)
{
	struct arena *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->block_size = block_size < 1024 ? 1024 : block_size;
	a->first = a->head = block_new(a->block_size);
	if (!a->first) {
		free(a);
		return NULL;
	}
	a->footprint = a->block_size;
	return a;
}

static void run_cleanups(struct arena *a)
{
	/* Take the list first: a cleanup must not see itself again if it
	 * registers more (it should not, but this keeps reset terminating). */
	struct cleanup *c = a->cleanups;

	a->cleanups = NULL;
	while (c) {
		c->fn(c->p);
		c = c->next;
	}
}

void arena_reset(struct arena *a)
{
	struct block *b, *next;

	if (!a)
		return;
	run_cleanups(a);
	/* Standard blocks are kept for the next request: a page that needs more
	 * than one block needs it every time, and malloc/free of 64 KB blocks
	 * per request showed up in profiles (malloc_consolidate). */
	for (b = a->head; b && b != a->first; b = next) {
		next = b->next;
		if (b->size == a->block_size && a->nspare < SPARE_MAX) {
			POISON(b->data, b->size);
			b->next = a->spare;
			a->spare = b;
			a->nspare++;
			continue;
		}
		a->footprint -= b->size;
		block_free(b);
	}
	a->head = a->first;
	a->first->next = NULL;
	a->first->used = 0;
	POISON(a->first->data, a->first->size);
}

void arena_destroy(struct arena *a)
{
	if (!a)
		return;
	arena_reset(a);
	while (a->spare) {
		struct block *b = a->spare;

		a->spare = b->next;
		block_free(b);
	}
	block_free(a->first);
	free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
	const size_t align = _Alignof(max_align_t);
	struct block *b;
	size_t need = (n + REDZONE + align - 1) & ~(align - 1);
	void *p;

	if (need < n)
		return NULL;	/* overflow */
	if (need == 0)
		need = align;
	b = a->head;
	if (b->size - b->used < need) {
		/* Oversized requests get their own block so one big body does not
		 * waste the tail of the current block for everything after it. */
		size_t size = need > a->block_size / 4 ? need : a->block_size;

		if (size == a->block_size && a->spare) {
			b = a->spare;
			a->spare = b->next;
			a->nspare--;
			b->used = 0;
		} else {
			b = block_new(size);
			if (!b)
				return NULL;
			a->footprint += size;
		}
		if (size == need && a->head != a->first) {
			/* Keep the partly-used head current: slot the big block in
			 * behind it. */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	p = (char *)b->data + b->used;
	b->used += need;
	UNPOISON(p, n);
	return p;
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
	char small[256], *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	if ((size_t)n < sizeof(small))
		return arena_strndup(a, small, (size_t)n);
	p = arena_alloc(a, (size_t)n + 1);
	if (!p)
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
