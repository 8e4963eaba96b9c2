#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena.h"
#include "buf.h"

void buf_init(struct buf *b, struct arena *a, size_t cap)
{
	b->a = a;
	b->len = 0;
	b->oom = 0;
	b->cap = cap ? cap : 64;
	b->p = a ? arena_alloc(a, b->cap + 1) : malloc(b->cap + 1);
	if (!b->p) {
		b->cap = 0;
		b->oom = 1;
	} else {
		b->p[0] = '\0';
	}
}

void buf_free(struct buf *b)
{
	if (!b->a)
		free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

/* Makes room for n more bytes plus the terminating NUL. */
static int buf_grow(struct buf *b, size_t n)
{
	size_t want, cap;
	char *p;

	if (b->oom)
		return -1;
	if (b->len + n <= b->cap)
		return 0;
	want = b->len + n;
	if (want < b->len)
		goto fail;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	if (b->a) {
		p = arena_alloc(b->a, cap + 1);
		if (p && b->len)
			memcpy(p, b->p, b->len);
	} else {
		p = realloc(b->p, cap + 1);
	}
	if (!p)
		goto fail;
	b->p = p;
	b->cap = cap;
	return 0;
fail:
	b->oom = 1;
	return -1;
}

void buf_put(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
	if (buf_grow(b, 1))
		return;
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len + 1 : 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if (b->p && (size_t)n <= b->cap - b->len) {
		b->len += (size_t)n;
		return;
	}
	if (buf_grow(b, (size_t)n))
		return;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}
