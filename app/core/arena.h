/* Per-request arena, in the manner of nginx's request pool: allocations are
 * never freed one by one; everything goes at arena_reset(). Resources that are
 * not memory (MySQL results, Redis replies, jansson values) are registered with
 * arena_on_reset() when obtained, so a request cannot leak them. */
#ifndef CORE_ARENA_H
#define CORE_ARENA_H

#include <stddef.h>

struct arena;

/* Returns a new arena owned by the caller (free with arena_destroy), or NULL. */
struct arena *arena_new(size_t block_size);
/* Runs cleanups (last registered first) and frees every block. */
void arena_destroy(struct arena *a);
/* Runs cleanups and keeps only the first block, ready for the next request. */
void arena_reset(struct arena *a);

/* All returned memory belongs to the arena; NULL only when malloc fails. */
void *arena_alloc(struct arena *a, size_t n);		/* 16-byte aligned */
void *arena_calloc(struct arena *a, size_t n, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t n);	/* NUL-terminated */
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Registers fn(p) to run at reset/destroy. Returns 0, or -1 when out of memory
 * (in which case fn(p) has already been run, so the caller never leaks). */
int arena_on_reset(struct arena *a, void (*fn)(void *), void *p);

/* Bytes currently allocated from the system (for tests and stats). */
size_t arena_footprint(const struct arena *a);

#endif
