/* The template compiler (app/view/tmpl.c): tmpl_compile_string() on the
 * input as the partial "partials/f" (so it may include itself or the
 * partial "p"), then, when it compiles, tmpl_render() with a model whose
 * every string starts "EVIL<".
 *
 * Properties: compiling either succeeds or fails with a message (never a
 * crash, a leak or a hang, whatever the nesting, a cycle of partials or
 * a malformed tag); a failed compile leaves the set usable; rendering ends;
 * when the template text itself has no "EVIL", the output never holds
 * "EVIL<": every way of printing a value escapes '<'. */
#include "fuzz.h"
#include "../../app/core/buf.h"
#include "../../app/view/tmpl.h"

static const char *const vocab[] = {
	"title", "items", "name", "price", "currency", "url", "count", "flag", "empty", "obj",
	"content", "tags", "none", "zero", NULL
};

static json_t *model;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl_set *set;
	char *src, err[256] = "";
	enum err e;

	if (size > 4096)
		return 0;
	if (!model) {
		model = json_pack("{s:s, s:[{s:s, s:i}, {s:s, s:i, s:s}], s:s, s:s, s:i, s:b, s:[], s:{s:s, s:[s, s]},"
				  " s:s, s:[s, s, i], s:n, s:i}",
				  "title", "EVIL<\"'&>",
				  "items", "name", "EVIL<a", "price", 1999, "name", "EVIL<b", "price", -5,
				  "currency", "EUR",
				  "currency", "USD", "url", "EVIL<u v?&=", "count", 3, "flag", 1, "empty",
				  "obj", "title", "EVIL<o", "tags", "EVIL<t1", "EVIL<t2",
				  "content", "EVIL<c", "tags", "EVIL<x", "EVIL<y", 7, "none", "zero", 0);
		if (!model)
			abort();
	}
	set = tmpl_set_new(vocab);
	if (!set)
		abort();
	e = tmpl_compile_string(set, "partials/p", "<i>{{name}}</i>{{#tags}}[{{.}}]{{/tags}}", err, sizeof(err));
	FUZZ_CHECK(e == E_OK, "the fixed partial does not compile: %s", err);
	src = fuzz_str(data, size);
	e = tmpl_compile_string(set, "partials/f", src, err, sizeof(err));
	if (e != E_OK) {
		FUZZ_CHECK(err[0], "compile error %d without a message", (int)e);
		FUZZ_CHECK(!tmpl_exists(set, "partials/f"), "a failed template stays in the set");
	} else {
		struct buf out;

		FUZZ_CHECK(tmpl_exists(set, "partials/f"), "compiled template missing");
		buf_init(&out, NULL, 1024);
		e = tmpl_render(set, "partials/f", model, &out);
		if (e == E_OK && out.p && !strstr(src, "EVIL"))
			FUZZ_CHECK(!memmem(out.p, out.len, "EVIL<", 5), "a value printed unescaped:\n%.*s",
				   (int)(out.len > 2000 ? 2000 : out.len), out.p);
		buf_free(&out);
	}
	free(src);
	tmpl_free(set);
	return 0;
}
