/* Growable byte buffer. With an arena it grows inside the arena (old storage is
 * simply abandoned to it); with a NULL arena it uses malloc and must be freed
 * with buf_free(). The contents are always NUL-terminated after len. */
#ifndef CORE_BUF_H
#define CORE_BUF_H

#include <stddef.h>
#include <stdarg.h>

struct arena;

struct buf {
	char *p;
	size_t len, cap;
	struct arena *a;
	int oom;		/* set when growth failed; later writes are dropped */
};

void buf_init(struct buf *b, struct arena *a, size_t cap);
void buf_free(struct buf *b);	/* only for malloc-backed buffers */
void buf_reset(struct buf *b);	/* len = 0, keeps storage */
void buf_put(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);

#endif
