/* multipart/form-data bodies: req_parse_multipart() (app/http/req.c).
 * Input: the Content-Type header, a newline, then the body.
 *
 * Properties: at most REQ_MAX_UPLOADS files and REQ_MAX_PARAMS fields; every
 * field name is non-empty; a file's bytes lie inside the body and are
 * followed by CRLF "--" (the next delimiter); text fields have no NUL and
 * vlen == strlen(val). A body that parsed is written out again with a fresh
 * boundary and must parse to the same fields and files. */
#include "fuzz.h"
#include "../../app/core/buf.h"
#include "../../app/http/req.h"

#define BOUNDARY "fUzZ-b0uNdArY-7d1"

static int quotable(const char *s)
{
	return !strpbrk(s, "\"\r\n") && !strstr(s, "%00");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	const uint8_t *body;
	size_t n;
	char *ct;
	struct req r, r2;
	struct buf b;
	enum err e;
	int again = 1;

	fuzz_split(data, size, '\n', &ct, &body, &n);
	memset(&r, 0, sizeof(r));
	r.a = a;
	e = req_parse_multipart(&r, ct, (const char *)body, n);
	FUZZ_CHECK(r.nuploads <= REQ_MAX_UPLOADS && r.nparams <= REQ_MAX_PARAMS, "too many parts");
	for (size_t i = 0; i < r.nuploads; i++) {
		const struct upload *u = &r.uploads[i];

		FUZZ_CHECK(u->field && *u->field && u->filename && u->content_type, "upload %zu", i);
		FUZZ_CHECK(u->data >= (const char *)body && u->data + u->len + 4 <= (const char *)body + n,
			   "upload %zu outside the body", i);
		FUZZ_CHECK(!memcmp(u->data + u->len, "\r\n--", 4), "upload %zu not ended by a delimiter", i);
		if (!quotable(u->field) || !quotable(u->filename) || strpbrk(u->content_type, "\r\n"))
			again = 0;
	}
	for (size_t i = 0; i < r.nparams; i++) {
		FUZZ_CHECK(r.params[i].key && *r.params[i].key, "field %zu has no name", i);
		FUZZ_CHECK(strlen(r.params[i].val) == r.params[i].vlen, "field %zu holds NUL", i);
		if (!quotable(r.params[i].key))
			again = 0;
	}
	if (e == E_OK && again) {
		/* Fields first, then files: each list keeps its order. */
		buf_init(&b, a, n + 256);
		for (size_t i = 0; i < r.nparams; i++) {
			buf_printf(&b, "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n",
				   r.params[i].key);
			buf_put(&b, r.params[i].val, r.params[i].vlen);
			buf_puts(&b, "\r\n");
		}
		for (size_t i = 0; i < r.nuploads; i++) {
			const struct upload *u = &r.uploads[i];

			buf_printf(&b, "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"%s\"; "
				   "filename=\"%s\"\r\n", u->field, u->filename);
			if (*u->content_type)
				buf_printf(&b, "Content-Type: %s\r\n", u->content_type);
			buf_puts(&b, "\r\n");
			buf_put(&b, u->data, u->len);
			buf_puts(&b, "\r\n");
		}
		buf_puts(&b, "--" BOUNDARY "--\r\n");
		{
			int clash = 0;

			/* A value that holds our boundary would end its part early. */
			for (size_t i = 0; i < r.nparams && !clash; i++)
				clash = memmem(r.params[i].val, r.params[i].vlen, "--" BOUNDARY, sizeof(BOUNDARY) + 1) != NULL;
			for (size_t i = 0; i < r.nuploads && !clash; i++)
				clash = memmem(r.uploads[i].data, r.uploads[i].len, "--" BOUNDARY, sizeof(BOUNDARY) + 1) != NULL;
			if (!clash && r.nparams + r.nuploads) {
				memset(&r2, 0, sizeof(r2));
				r2.a = a;
				e = req_parse_multipart(&r2, "multipart/form-data; boundary=" BOUNDARY, b.p, b.len);
				FUZZ_CHECK(e == E_OK, "rewritten body refused (%d):\n%.*s", (int)e, (int)b.len, b.p);
				FUZZ_CHECK(r2.nparams == r.nparams && r2.nuploads == r.nuploads, "part count changed");
				for (size_t i = 0; i < r.nparams; i++)
					FUZZ_CHECK(!strcmp(r.params[i].key, r2.params[i].key) &&
						   r.params[i].vlen == r2.params[i].vlen &&
						   !memcmp(r.params[i].val, r2.params[i].val, r.params[i].vlen),
						   "field %zu changed", i);
				for (size_t i = 0; i < r.nuploads; i++) {
					const struct upload *u = &r.uploads[i], *v = &r2.uploads[i];

					FUZZ_CHECK(!strcmp(u->field, v->field) && !strcmp(u->filename, v->filename) &&
						   !strcmp(u->content_type, v->content_type) && u->len == v->len &&
						   !memcmp(u->data, v->data, u->len), "upload %zu changed", i);
				}
			}
		}
	}
	free(ct);
	arena_reset(a);
	return 0;
}
