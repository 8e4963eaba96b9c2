/* Small helpers every paygate module uses: buffers, ids, time, secrets,
 * logging and HTML escaping. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "pg.h"

struct pg_config pg_cfg;

static void pbuf_grow(struct pbuf *b, size_t add)
{
	size_t want = b->len + add + 1, cap = b->cap ? b->cap : 256;
	char *np;

	if (b->oom || want <= b->cap)
		return;
	while (cap < want)
		cap *= 2;
	np = realloc(b->p, cap);
	if (!np) {
		b->oom = 1;
		return;
	}
	b->p = np;
	b->cap = cap;
}

void pbuf_put(struct pbuf *b, const void *p, size_t n)
{
	pbuf_grow(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void pbuf_puts(struct pbuf *b, const char *s)
{
	pbuf_put(b, s, strlen(s));
}

void pbuf_printf(struct pbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	pbuf_grow(b, (size_t)n);
	if (b->oom)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void pbuf_free(struct pbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void pbuf_html(struct pbuf *b, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		pbuf_put(b, run, (size_t)(s - run));
		pbuf_puts(b, rep);
		run = s + 1;
	}
	pbuf_puts(b, run);
}

void reply_free(struct reply *r)
{
	pbuf_free(&r->body);
	free(r->location);
	r->location = NULL;
}

int64_t pg_now(void)
{
	return (int64_t)time(NULL);
}

int64_t pg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pg_random_id(char *out, size_t size, const char *prefix, int n)
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t len = strlen(prefix);

	if (size < len + (size_t)n + 1) {
		out[0] = '\0';
		return;
	}
	memcpy(out, prefix, len);
	for (int i = 0; i < n; i++)
		out[len + (size_t)i] = alnum[randombytes_uniform(sizeof(alnum) - 1)];
	out[len + (size_t)n] = '\0';
}

enum pg_err pg_read_secret(const char *path, char **out)
{
	char buf[1024];
	FILE *f;
	size_t n;
	char *s, *e;
	enum pg_err rc = PG_IO;

	*out = NULL;
	f = fopen(path, "r");
	if (!f)
		return PG_IO;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	if (ferror(f) || n == sizeof(buf) - 1)
		goto out;
	buf[n] = '\0';
	for (s = buf; *s && isspace((unsigned char)*s); s++)
		;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	/* An empty key would let an empty Bearer token in. */
	if (!*s || strlen(s) != (size_t)(e - s))
		goto out;
	*out = strdup(s);
	rc = *out ? PG_OK : PG_NOMEM;
out:
	sodium_memzero(buf, sizeof(buf));
	fclose(f);
	return rc;
}

void pg_log(const char *fmt, ...)
{
	char line[2048];
	struct tm tm;
	time_t t = time(NULL);
	va_list ap;
	size_t n;
	int k;

	gmtime_r(&t, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	k = snprintf(line + n, sizeof(line) - n, "paygate[%d]: ", (int)getpid());
	if (k > 0)
		n += (size_t)k;
	va_start(ap, fmt);
	k = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (k > 0)
		n += (size_t)k < sizeof(line) - n - 1 ? (size_t)k : sizeof(line) - n - 2;
	line[n++] = '\n';
	/* A short write to a log file is not worth more than one retry. */
	if (write(STDERR_FILENO, line, n) < 0 && errno == EINTR)
		(void)!write(STDERR_FILENO, line, n);
}

int pg_secret_eq(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (n != strlen(b))
		return 0;
	return sodium_memcmp(a, b, n) == 0;
}

int pg_one_of(const char *s, const char *const *choices)
{
	for (; *choices; choices++)
		if (!strcmp(s, *choices))
			return 1;
	return 0;
}
