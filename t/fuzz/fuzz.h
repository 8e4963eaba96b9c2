/* Shared helpers of the libFuzzer targets (t/fuzz/README.md). Each target is
 * one fuzz_<name>.c with LLVMFuzzerTestOneInput, linked with the shop's own
 * objects (build-fuzz/libshop.a). A property that does not hold aborts with
 * FUZZ_CHECK, which libFuzzer reports as a crash with the input saved. */
#ifndef T_FUZZ_H
#define T_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "../../app/core/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "\nproperty failed at %s:%d: %s\n  ",	\
				__FILE__, __LINE__, #cond);			\
			fprintf(stderr, __VA_ARGS__);				\
			fputc('\n', stderr);					\
			abort();						\
		}								\
	} while (0)

/* One arena for the whole run, reset after every input as a worker resets
 * its request arena (so leaks of what it owns show up as leaks). */
static inline struct arena *fuzz_arena(void)
{
	static struct arena *a;

	if (!a && !(a = arena_new(16 * 1024)))
		abort();
	return a;
}

/* A NUL-terminated malloc'ed copy of d[0..n) (cut at the first NUL, as a C
 * string read from a header or a form would be). */
static inline char *fuzz_str(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, d, n);
	s[n] = '\0';
	return s;
}

/* Splits d[0..n) at the first byte sep: *head (NUL-terminated, malloc'ed)
 * gets what is before it, *rest and *restlen what follows (into d). Without sep,
 * head is all of d and rest is empty. */
static inline void fuzz_split(const uint8_t *d, size_t n, int sep, char **head,
			      const uint8_t **rest, size_t *restlen)
{
	const uint8_t *p = memchr(d, sep, n);
	size_t hn = p ? (size_t)(p - d) : n;

	*head = fuzz_str(d, hn);
	*rest = p ? p + 1 : d + n;
	*restlen = p ? n - hn - 1 : 0;
}

/* The i-th of the fields of d separated by sep (0-based), NUL-terminated and
 * malloc'ed; "" past the last one. */
static inline char *fuzz_field(const uint8_t *d, size_t n, int sep, int i)
{
	const uint8_t *p = d, *end = d + n;

	while (i-- > 0) {
		const uint8_t *q = memchr(p, sep, (size_t)(end - p));

		if (!q)
			return fuzz_str(d, 0);
		p = q + 1;
	}
	{
		const uint8_t *q = memchr(p, sep, (size_t)(end - p));

		return fuzz_str(p, q ? (size_t)(q - p) : (size_t)(end - p));
	}
}

#endif
