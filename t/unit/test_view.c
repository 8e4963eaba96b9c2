/* Unit tests: escapers, safe HTML, the template compiler (every error with its
 * file:line) and the renderer (filters, sections, partials, layout). */
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "../../app/core/arena.h"
#include "../../app/core/buf.h"
#include "../../app/view/escape.h"
#include "../../app/view/tmpl.h"
#include "../../app/module.h"

static const char *const vocab[] = {
	"title", "name", "items", "price", "currency", "x", "y", "tags", "product", "user",
	"html", "content", "pageTitle", "list", "flag", "u", "data", "inner", "outer", "url",
	"children", "label", NULL
};

static struct tmpl_set *S;
static char err[512];
static struct buf B;

static void setup(void)
{
	S = tmpl_set_new(vocab);
	ck_assert_ptr_nonnull(S);
	buf_init(&B, NULL, 0);
	err[0] = '\0';
}

static void teardown(void)
{
	tmpl_free(S);
	buf_free(&B);
}

/* ---- escapers ---- */

struct esc_case {
	const char *in;
	size_t n;		/* 0: strlen(in) */
	const char *want;
};

static void check_esc(void (*fn)(struct buf *, const char *, size_t), const struct esc_case *c)
{
	struct buf b;

	buf_init(&b, NULL, 0);
	fn(&b, c->in, c->n ? c->n : strlen(c->in));
	ck_assert_msg(!strcmp(b.p, c->want), "in '%s': got '%s', want '%s'", c->in, b.p, c->want);
	ck_assert_uint_eq(b.len, strlen(c->want));
	buf_free(&b);
}

static const struct esc_case html_cases[] = {
	{ "", 0, "" },
	{ "plain text", 0, "plain text" },
	{ "a & b", 0, "a &amp; b" },
	{ "<script>alert(1)</script>", 0, "&lt;script&gt;alert(1)&lt;/script&gt;" },
	{ "\"><script>x</script>", 0, "&quot;&gt;&lt;script&gt;x&lt;/script&gt;" },
	{ "it's \"quoted\"", 0, "it&#39;s &quot;quoted&quot;" },
	{ "javascript:alert(1)", 0, "javascript:alert(1)" },
	{ "caf\xC3\xA9 \xE2\x82\xAC" "5 \xF0\x9F\x98\x80", 0, "caf\xC3\xA9 \xE2\x82\xAC" "5 \xF0\x9F\x98\x80" },
	{ "line\xE2\x80\xA8sep", 0, "line\xE2\x80\xA8sep" },
	{ "a=b`c`", 0, "a=b`c`" },
	{ "nul\0here", 8, "nul\xEF\xBF\xBDhere" },
	{ "&&&", 0, "&amp;&amp;&amp;" },
	{ "&amp;", 0, "&amp;amp;" },
};

START_TEST(esc_html_table)
{
	check_esc(esc_html, &html_cases[_i]);
}
END_TEST

static const struct esc_case attr_cases[] = {
	{ "", 0, "" },
	{ "plain", 0, "plain" },
	{ "\" onmouseover=\"alert(1)", 0, "&quot; onmouseover&#61;&quot;alert(1)" },
	{ "x onerror=alert(1)", 0, "x onerror&#61;alert(1)" },
	{ "`backtick`", 0, "&#96;backtick&#96;" },
	{ "'><script>", 0, "&#39;&gt;&lt;script&gt;" },
	{ "/search?q=a&b=c", 0, "/search?q&#61;a&amp;b&#61;c" },
	/* Attribute escaping keeps the value inside the attribute; it does not
	 * vet URLs (that is what url: and the handlers are for). */
	{ "javascript:alert(1)", 0, "javascript:alert(1)" },
	{ "\xE2\x80\xA8\xC3\xA9", 0, "\xE2\x80\xA8\xC3\xA9" },
	{ "a\0b", 3, "a\xEF\xBF\xBD" "b" },
};

START_TEST(esc_attr_table)
{
	check_esc(esc_attr, &attr_cases[_i]);
}
END_TEST

static const struct esc_case url_cases[] = {
	{ "", 0, "" },
	{ "AZaz09-._~", 0, "AZaz09-._~" },
	{ "a b", 0, "a%20b" },
	{ "a+b", 0, "a%2Bb" },
	{ "javascript:alert(1)", 0, "javascript%3Aalert%281%29" },
	{ "\"><script>", 0, "%22%3E%3Cscript%3E" },
	{ "/?#[]@!$&'()*,;=", 0, "%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2C%3B%3D" },
	{ "caf\xC3\xA9", 0, "caf%C3%A9" },
	{ "\xE2\x80\xA8", 0, "%E2%80%A8" },
	{ "%41", 0, "%2541" },
	{ "\n\r\t\x7f", 0, "%0A%0D%09%7F" },
	{ "a\0b", 3, "a%00b" },
};

START_TEST(esc_url_table)
{
	check_esc(esc_url, &url_cases[_i]);
}
END_TEST

static const struct esc_case json_cases[] = {
	{ "", 0, "\"\"" },
	{ "plain", 0, "\"plain\"" },
	{ "a\"b\\c", 0, "\"a\\\"b\\\\c\"" },
	{ "\n\r\t\b\f", 0, "\"\\n\\r\\t\\b\\f\"" },
	{ "\x01\x1f", 0, "\"\\u0001\\u001f\"" },
	{ "</script><!--", 0, "\"\\u003c/script\\u003e\\u003c!--\"" },
	{ "a&b", 0, "\"a\\u0026b\"" },
	{ "x\xE2\x80\xA8y\xE2\x80\xA9z", 0, "\"x\\u2028y\\u2029z\"" },
	{ "\xE2\x82\xAC caf\xC3\xA9", 0, "\"\xE2\x82\xAC caf\xC3\xA9\"" },
	{ "\xE2\x80", 0, "\"\xE2\x80\"" },
	{ "a\0b", 3, "\"a\\u0000b\"" },
	{ "\"><script>alert(1)</script>", 0, "\"\\\"\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\"" },
};

START_TEST(esc_json_str_table)
{
	check_esc(esc_json_str, &json_cases[_i]);
}
END_TEST

static const struct {
	long long minor;
	const char *currency, *want;
} money_cases[] = {
	{ 999, "USD", "$9.99" },
	{ 0, "USD", "$0.00" },
	{ 5, "USD", "$0.05" },
	{ 100, "USD", "$1.00" },
	{ 123456789, "USD", "$1,234,567.89" },
	{ -100, "USD", "-$1.00" },
	{ -5, "USD", "-$0.05" },
	{ 999, "EUR", "\xE2\x82\xAC" "9.99" },
	{ 999, "GBP", "\xC2\xA3" "9.99" },
	{ -250, "EUR", "-\xE2\x82\xAC" "2.50" },
	{ 1250, "XYZ", "12.50 XYZ" },
	{ -1250, "CHF", "-12.50 CHF" },
	{ 1250, "chf", "12.50 CHF" },
	{ 999, "usd", "$9.99" },
	{ 999, NULL, "$9.99" },
	{ 999, "", "$9.99" },
	{ 999, "<b>", "9.99 XXX" },
	{ 999, "USDX", "9.99 XXX" },
	{ 999, "U1D", "9.99 XXX" },
	{ LLONG_MAX, "USD", "$92,233,720,368,547,758.07" },
	{ LLONG_MIN, "USD", "-$92,233,720,368,547,758.08" },
};

START_TEST(esc_money_table)
{
	struct buf b;

	buf_init(&b, NULL, 0);
	esc_money(&b, money_cases[_i].minor, money_cases[_i].currency);
	ck_assert_str_eq(b.p, money_cases[_i].want);
	buf_free(&b);
}
END_TEST

START_TEST(safe_html_shape)
{
	json_t *s = view_safe_html("<b>hi</b>"), *o, *forged;

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(view_is_safe(s), "<b>hi</b>");
	ck_assert_ptr_null(view_is_safe(NULL));
	o = json_string("<b>hi</b>");
	ck_assert_ptr_null(view_is_safe(o));
	json_decref(o);
	o = json_pack("{s:s}", "html", "<b>");
	ck_assert_ptr_null(view_is_safe(o));
	json_decref(o);
	/* Any extra member spoils the shape. */
	o = json_deep_copy(s);
	json_object_set_new(o, "x", json_true());
	ck_assert_ptr_null(view_is_safe(o));
	json_decref(o);
	/* Parsed JSON cannot forge one, whatever key it tries. */
	forged = json_loads("{\"\\u0001safe_html\":\"<script>\"}", 0, NULL);
	ck_assert_ptr_nonnull(forged);
	ck_assert_ptr_null(view_is_safe(forged));
	json_decref(forged);
	ck_assert_ptr_null(json_loads("{\"\xFFsafe_html\":\"<script>\"}", 0, NULL));
	o = json_object();
	ck_assert_int_ne(json_object_set_new(o, "\xFFsafe_html", json_string("<script>")), 0);
	ck_assert_ptr_null(view_is_safe(o));
	json_decref(o);
	json_decref(s);
	ck_assert_ptr_null(view_safe_html(NULL));
}
END_TEST

/* ---- rendering ---- */

/* Compiles src as "t", renders it with the model given as JSON text, and
 * returns the render status; the output is in B. */
static enum err render(const char *src, const char *model_json)
{
	json_t *m = model_json ? json_loads(model_json, 0, NULL) : NULL;
	enum err e;

	ck_assert_msg(!model_json || m, "bad model JSON: %s", model_json);
	e = tmpl_compile_string(S, "t", src, err, sizeof(err));
	ck_assert_msg(e == E_OK, "compile '%s': %s", src, err);
	buf_reset(&B);
	e = tmpl_render(S, "t", m, &B);
	json_decref(m);
	return e;
}

static const struct {
	const char *src, *model, *want;
} render_cases[] = {
	/* scalars and the default HTML filter */
	{ "<p>{{title}}</p>", "{\"title\":\"Hello\"}", "<p>Hello</p>" },
	{ "{{title}}", "{\"title\":\"\\\"><script>alert(1)</script>\"}",
	  "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" },
	{ "{{x}}", "{\"x\":42}", "42" },
	{ "{{x}}", "{\"x\":-9007199254740993}", "-9007199254740993" },
	{ "{{x}}", "{\"x\":0}", "0" },
	{ "{{x}}", "{\"x\":1.5}", "1.5" },
	{ "{{x}}", "{\"x\":2.0}", "2" },
	{ "{{x}}", "{\"x\":1e21}", "1e+21" },
	{ "{{x}}", "{\"x\":true}", "true" },
	{ "[{{x}}]", "{\"x\":false}", "[]" },
	{ "[{{x}}]", "{\"x\":null}", "[]" },
	{ "[{{x}}]", "{}", "[]" },
	{ "[{{x}}]", "{\"x\":[1,2]}", "[]" },
	{ "[{{x}}]", "{\"x\":{\"y\":1}}", "[]" },
	{ "[{{x}}]", NULL, "[]" },
	{ "{{ x }}|{{attr: x}}", "{\"x\":\"a\"}", "a|a" },
	{ "caf\xC3\xA9 {{x}}", "{\"x\":\"\xE2\x82\xAC\"}", "caf\xC3\xA9 \xE2\x82\xAC" },
	/* attr, url */
	{ "<a title=\"{{attr:x}}\">", "{\"x\":\"\\\" onclick=alert(1) `\"}",
	  "<a title=\"&quot; onclick&#61;alert(1) &#96;\">" },
	{ "<a href=\"/s?q={{url:x}}\">", "{\"x\":\"javascript:alert(1) & more\"}",
	  "<a href=\"/s?q=javascript%3Aalert%281%29%20%26%20more\">" },
	{ "{{url:x}}", "{\"x\":12}", "12" },
	{ "{{url:x}}", "{\"x\":\"caf\xC3\xA9\"}", "caf%C3%A9" },
	/* json */
	{ "{{json:x}}", "{\"x\":{\"a\":[1,\"</script>\"],\"b\":null}}",
	  "{\"a\":[1,\"\\u003c/script\\u003e\"],\"b\":null}" },
	{ "{{json:x}}", "{\"x\":\"a&b<c>d\xE2\x80\xA8" "e\xE2\x80\xA9\"}", "\"a\\u0026b\\u003cc\\u003ed\\u2028e\\u2029\"" },
	{ "{{json:x}}", "{\"x\":12}", "12" },
	{ "{{json:x}}", "{\"x\":true}", "true" },
	{ "{{json:x}}", "{}", "null" },
	{ "{{json:.}}", "{\"x\":1}", "{\"x\":1}" },
	/* money */
	{ "{{money:price}}", "{\"price\":999}", "$9.99" },
	{ "{{money:price}}", "{\"price\":999,\"currency\":\"EUR\"}", "\xE2\x82\xAC" "9.99" },
	{ "{{money:price}}", "{\"price\":-100}", "-$1.00" },
	{ "{{money:price}}", "{\"price\":1250,\"currency\":\"XYZ\"}", "12.50 XYZ" },
	{ "[{{money:price}}]", "{\"price\":null}", "[]" },
	{ "[{{money:price}}]", "{}", "[]" },
	{ "{{#items}}{{money:price}} {{/items}}",
	  "{\"currency\":\"GBP\",\"items\":[{\"price\":100},{\"price\":200,\"currency\":\"EUR\"}]}",
	  "\xC2\xA3" "1.00 \xE2\x82\xAC" "2.00 " },
	{ "{{money:product.price}}", "{\"currency\":\"GBP\",\"product\":{\"price\":100,\"currency\":\"EUR\"}}",
	  "\xE2\x82\xAC" "1.00" },
	{ "{{money:product.price}}", "{\"currency\":\"GBP\",\"product\":{\"price\":100}}", "\xC2\xA3" "1.00" },
	{ "{{#product}}{{money:price}}{{/product}}", "{\"product\":{\"price\":5,\"currency\":7}}", "$0.05" },
	{ "{{money:price}}", "{\"price\":100,\"currency\":\"<i>\"}", "1.00 XXX" },
	/* sections over arrays, objects and scalars */
	{ "{{#items}}<li>{{name}}</li>{{/items}}", "{\"items\":[{\"name\":\"a\"},{\"name\":\"<b>\"}]}",
	  "<li>a</li><li>&lt;b&gt;</li>" },
	{ "{{#tags}}[{{.}}]{{/tags}}", "{\"tags\":[\"x\",2,true,\"<\"]}", "[x][2][true][&lt;]" },
	{ "{{#product}}{{title}}/{{name}}{{/product}}", "{\"name\":\"outer\",\"product\":{\"title\":\"T\"}}", "T/outer" },
	{ "{{#flag}}yes{{.}}{{/flag}}", "{\"flag\":true}", "yestrue" },
	{ "{{#url}}<a href=\"{{attr:.}}\">{{/url}}", "{\"url\":\"/x?a=1\"}", "<a href=\"/x?a&#61;1\">" },
	{ "{{#x}}{{.}}{{/x}}", "{\"x\":7}", "7" },
	{ "{{#x}}set{{/x}}", "{\"x\":{}}", "set" },
	{ "{{#x}}set{{/x}}", "{\"x\":\"0\"}", "set" },
	/* every falsy value, for sections and inverted sections */
	{ "[{{#x}}s{{/x}}{{^x}}i{{/x}}]", "{}", "[i]" },
	{ "[{{#x}}s{{/x}}{{^x}}i{{/x}}]", "{\"x\":null}", "[i]" },
	{ "[{{#x}}s{{/x}}{{^x}}i{{/x}}]", "{\"x\":false}", "[i]" },
	{ "[{{#x}}s{{/x}}{{^x}}i{{/x}}]", "{\"x\":0}", "[i]" },
	{ "[{{#x}}s{{/x}}{{^x}}i{{/x}}]", "{\"x\":0.0}", "[i]" },
	{ "[{{#x}}s{{/x}}{{^x}}i{{/x}}]", "{\"x\":\"\"}", "[i]" },
	{ "[{{#x}}s{{/x}}{{^x}}i{{/x}}]", "{\"x\":[]}", "[i]" },
	{ "[{{#x}}s{{/x}}{{^x}}i{{/x}}]", "{\"x\":[0]}", "[s]" },
	{ "[{{#x}}s{{/x}}{{^x}}i{{/x}}]", "{\"x\":1}", "[s]" },
	{ "[{{#x}}s{{/x}}{{^x}}i{{/x}}]", "{\"x\":-0.5}", "[s]" },
	{ "[{{#x}}s{{/x}}{{^x}}i{{/x}}]", NULL, "[i]" },
	/* nesting: inner names fall back to outer frames, innermost first */
	{ "{{#outer}}{{#inner}}{{name}}:{{title}};{{/inner}}{{/outer}}",
	  "{\"title\":\"root\",\"outer\":[{\"title\":\"o1\",\"inner\":[{\"name\":\"a\"},{\"name\":\"b\",\"title\":\"own\"}]},"
	  "{\"inner\":[{\"name\":\"c\"}]}]}",
	  "a:o1;b:own;c:root;" },
	{ "{{#items}}{{#children}}{{name}}{{/children}}|{{/items}}",
	  "{\"items\":[{\"children\":[{\"name\":\"1\"},{\"name\":\"2\"}]},{\"children\":[]}]}", "12||" },
	{ "{{#items}}{{^children}}none{{/children}}{{/items}}", "{\"items\":[{\"children\":[]},{\"children\":[1]}]}", "none" },
	/* dotted names and array indexes */
	{ "{{product.title}}", "{\"product\":{\"title\":\"T\"}}", "T" },
	{ "{{product.user.name}}", "{\"product\":{\"user\":{\"name\":\"N\"}}}", "N" },
	{ "[{{product.user.name}}]", "{\"product\":{\"user\":null}}", "[]" },
	{ "[{{product.title}}]", "{\"product\":\"str\"}", "[]" },
	{ "{{items.1.name}}", "{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", "b" },
	{ "[{{items.5.name}}]", "{\"items\":[{\"name\":\"a\"}]}", "[]" },
	{ "{{#items.0}}<ul>{{#items}}{{.}}{{/items}}</ul>{{/items.0}}", "{\"items\":[1,2]}", "<ul>12</ul>" },
	{ "[{{#items.0}}<ul>{{/items.0}}]", "{\"items\":[]}", "[]" },
	{ "{{#product}}{{user.name}}{{/product}}", "{\"user\":{\"name\":\"outer\"},\"product\":{\"title\":\"t\"}}", "outer" },
	/* A first part found in an inner frame is not searched for again
	 * outside it, as in Mustache. */
	{ "[{{#product}}{{user.name}}{{/product}}]",
	  "{\"user\":{\"name\":\"outer\"},\"product\":{\"user\":{}}}", "[]" },
	/* comments, whitespace and text kept exactly */
	{ "a{{! a comment }}b", "{}", "ab" },
	{ "a{{! multi\nline\n}}b", "{}", "ab" },
	{ "  {{#flag}}\n  x\n  {{/flag}}\n", "{\"flag\":1}", "  \n  x\n  \n" },
	{ "no tags at all", "{}", "no tags at all" },
	{ "", "{}", "" },
	{ "{ {x} } }} {", "{}", "{ {x} } }} {" },
};

START_TEST(render_table)
{
	enum err e;

	e = render(render_cases[_i].src, render_cases[_i].model);
	ck_assert_msg(e == E_OK, "render '%s': %s", render_cases[_i].src, err_str(e));
	ck_assert_msg(!strcmp(B.p, render_cases[_i].want), "'%s' with %s: got '%s', want '%s'",
		      render_cases[_i].src, render_cases[_i].model, B.p, render_cases[_i].want);
}
END_TEST

START_TEST(render_raw_and_errors)
{
	json_t *m = json_object();

	ck_assert_int_eq(tmpl_compile_string(S, "r", "<div>{{raw:html}}</div>", err, sizeof(err)), E_OK);
	json_object_set_new(m, "html", view_safe_html("<b>bold</b> & \"q\""));
	buf_reset(&B);
	ck_assert_int_eq(tmpl_render(S, "r", m, &B), E_OK);
	ck_assert_str_eq(B.p, "<div><b>bold</b> & \"q\"</div>");
	/* Safe HTML under the default filter is text like anything else. */
	ck_assert_int_eq(tmpl_compile_string(S, "e", "{{html}}|{{json:html}}", err, sizeof(err)), E_OK);
	buf_reset(&B);
	ck_assert_int_eq(tmpl_render(S, "e", m, &B), E_OK);
	ck_assert_str_eq(B.p, "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;q&quot;|\"\\u003cb\\u003ebold\\u003c/b\\u003e \\u0026 \\\"q\\\"\"");

	/* raw: on anything else fails and leaves the buffer as it was. */
	json_object_set_new(m, "html", json_string("<script>alert(1)</script>"));
	buf_reset(&B);
	buf_puts(&B, "before");
	ck_assert_int_eq(tmpl_render(S, "r", m, &B), E_TEMPLATE);
	ck_assert_str_eq(B.p, "before");
	ck_assert_uint_eq(B.len, 6);
	json_object_del(m, "html");
	ck_assert_int_eq(tmpl_render(S, "r", m, &B), E_TEMPLATE);
	json_object_set_new(m, "html", json_pack("{s:s}", "html", "<b>"));
	ck_assert_int_eq(tmpl_render(S, "r", m, &B), E_TEMPLATE);
	ck_assert_str_eq(B.p, "before");

	/* money: on something other than an integer is a bug in the handler. */
	ck_assert_int_eq(tmpl_compile_string(S, "m", "{{money:price}}", err, sizeof(err)), E_OK);
	json_object_set_new(m, "price", json_string("9.99"));
	ck_assert_int_eq(tmpl_render(S, "m", m, &B), E_TEMPLATE);
	json_object_set_new(m, "price", json_real(9.99));
	ck_assert_int_eq(tmpl_render(S, "m", m, &B), E_TEMPLATE);

	ck_assert_int_eq(tmpl_render(S, "nope", m, &B), E_NOTFOUND);
	ck_assert_int_eq(tmpl_exists(S, "r"), 1);
	ck_assert_int_eq(tmpl_exists(S, "nope"), 0);
	json_decref(m);
}
END_TEST

START_TEST(render_into_arena)
{
	struct arena *a = arena_new(4096);
	struct buf ab;
	json_t *m = json_loads("{\"items\":[{\"name\":\"x\"}]}", 0, NULL);
	size_t i;

	buf_init(&ab, a, 16);
	ck_assert_int_eq(tmpl_compile_string(S, "t", "{{#items}}<li>{{name}}</li>{{/items}}", err, sizeof(err)), E_OK);
	for (i = 0; i < 500; i++)
		json_array_append_new(json_object_get(m, "items"), json_pack("{s:s}", "name", "a&b"));
	ck_assert_int_eq(tmpl_render(S, "t", m, &ab), E_OK);
	ck_assert_uint_eq(ab.len, strlen("<li>x</li>") + 500 * strlen("<li>a&amp;b</li>"));
	ck_assert_uint_eq(strlen(ab.p), ab.len);
	json_decref(m);
	arena_destroy(a);
}
END_TEST

START_TEST(partials_and_depth)
{
	char name[32], src[64];
	int i;

	ck_assert_int_eq(tmpl_compile_string(S, "partials/card", "<li>{{name}}</li>", err, sizeof(err)), E_OK);
	ck_assert_int_eq(render("<ul>{{#items}}{{>card}}{{/items}}</ul>{{> card }}",
				"{\"name\":\"top\",\"items\":[{\"name\":\"a\"},{\"name\":\"b\"}]}"), E_OK);
	ck_assert_str_eq(B.p, "<ul><li>a</li><li>b</li></ul><li>top</li>");

	/* A chain of eight partials below a page is allowed, nine is not. */
	ck_assert_int_eq(tmpl_compile_string(S, "partials/p8", "8", err, sizeof(err)), E_OK);
	for (i = 7; i >= 0; i--) {
		snprintf(name, sizeof(name), "partials/p%d", i);
		snprintf(src, sizeof(src), "%d{{>p%d}}", i, i + 1);
		ck_assert_msg(tmpl_compile_string(S, name, src, err, sizeof(err)) == E_OK, "%s", err);
	}
	ck_assert_int_eq(tmpl_compile_string(S, "ok8", "{{>p1}}", err, sizeof(err)), E_OK);
	buf_reset(&B);
	ck_assert_int_eq(tmpl_render(S, "ok8", NULL, &B), E_OK);
	ck_assert_str_eq(B.p, "12345678");
	ck_assert_int_eq(tmpl_compile_string(S, "deep", "x\n{{>p0}}", err, sizeof(err)), E_TEMPLATE);
	ck_assert_str_eq(err, "deep:2: partials nested deeper than 8 at {{>p0}}");
	ck_assert_int_eq(tmpl_exists(S, "deep"), 0);

	/* A partial that includes itself. */
	ck_assert_int_eq(tmpl_compile_string(S, "partials/me", "a\nb{{>me}}", err, sizeof(err)), E_TEMPLATE);
	ck_assert_str_eq(err, "partials/me:2: partial 'me' is recursive: partials nested deeper than 8");
	ck_assert_int_eq(tmpl_exists(S, "partials/me"), 0);

	/* Names are unique within a set. */
	ck_assert_int_eq(tmpl_compile_string(S, "partials/card", "x", err, sizeof(err)), E_TEMPLATE);
	ck_assert_str_eq(err, "partials/card:1: template 'partials/card' is already defined");
}
END_TEST

START_TEST(render_page_layout)
{
	json_t *m = json_loads("{\"title\":\"<T&>\",\"pageTitle\":\"P\"}", 0, NULL), *copy;

	copy = json_deep_copy(m);
	ck_assert_int_eq(tmpl_compile_string(S, "layout",
		"<title>{{pageTitle}}</title><main>{{raw:content}}</main><h>{{title}}</h>", err, sizeof(err)), E_OK);
	ck_assert_int_eq(tmpl_compile_string(S, "page", "<p>{{title}}</p>", err, sizeof(err)), E_OK);
	ck_assert_int_eq(tmpl_render_page(S, "page", m, &B), E_OK);
	ck_assert_str_eq(B.p, "<title>P</title><main><p>&lt;T&amp;&gt;</p></main><h>&lt;T&amp;&gt;</h>");
	ck_assert_msg(json_equal(m, copy), "model changed");
	ck_assert_ptr_null(json_object_get(m, "content"));

	/* A "content" the caller had is put back. */
	json_object_set_new(m, "content", json_string("mine"));
	buf_reset(&B);
	ck_assert_int_eq(tmpl_render_page(S, "page", m, &B), E_OK);
	ck_assert_str_eq(json_string_value(json_object_get(m, "content")), "mine");
	ck_assert_uint_eq(json_object_size(m), 3);

	/* Unknown page; page render error; NULL model. */
	buf_reset(&B);
	ck_assert_int_eq(tmpl_render_page(S, "nope", m, &B), E_NOTFOUND);
	ck_assert_int_eq(tmpl_compile_string(S, "bad", "{{raw:title}}", err, sizeof(err)), E_OK);
	ck_assert_int_eq(tmpl_render_page(S, "bad", m, &B), E_TEMPLATE);
	ck_assert_uint_eq(B.len, 0);
	ck_assert_str_eq(json_string_value(json_object_get(m, "content")), "mine");
	ck_assert_int_eq(tmpl_render_page(S, "page", NULL, &B), E_OK);
	ck_assert_str_eq(B.p, "<title></title><main><p></p></main><h></h>");
	json_decref(m);
	json_decref(copy);
}
END_TEST

START_TEST(render_page_without_layout)
{
	json_t *m = json_object();

	ck_assert_int_eq(tmpl_compile_string(S, "page", "p", err, sizeof(err)), E_OK);
	ck_assert_int_eq(tmpl_render_page(S, "page", m, &B), E_NOTFOUND);
	ck_assert_uint_eq(json_object_size(m), 0);
	json_decref(m);
}
END_TEST

/* ---- compile errors ---- */

static const struct {
	const char *src, *want;
} compile_errors[] = {
	{ "x\n{{nope}}", "t:2: unknown name 'nope'" },
	{ "{{attr:nope}}", "t:1: unknown name 'nope'" },
	{ "{{title.nope}}", "t:1: unknown name 'nope' in 'title.nope'" },
	{ "{{nope.title}}", "t:1: unknown name 'nope' in 'nope.title'" },
	{ "{{product.user.nope}}", "t:1: unknown name 'nope' in 'product.user.nope'" },
	{ "{{#nope}}{{/nope}}", "t:1: unknown name 'nope'" },
	{ "\n\n{{^items.nope}}{{/items.nope}}", "t:3: unknown name 'nope' in 'items.nope'" },
	{ "{{0}}", "t:1: unknown name '0'" },
	{ "a\n{{#items}}\n{{title}}\n", "t:2: unclosed section {{#items}}" },
	{ "{{#items}}{{#title}}{{/title}}", "t:1: unclosed section {{#items}}" },
	{ "{{^items}}", "t:1: unclosed section {{^items}}" },
	{ "{{#items}}\n{{/title}}", "t:2: {{/title}} does not match {{#items}} opened at line 1" },
	{ "{{#items}}{{#title}}\n{{/items}}{{/title}}", "t:2: {{/items}} does not match {{#title}} opened at line 1" },
	{ "x\n{{/items}}", "t:2: {{/items}} closes no open section" },
	{ "{{bogus:title}}", "t:1: unknown filter 'bogus'" },
	{ "{{HTML:title}}", "t:1: unknown filter 'HTML'" },
	{ "{{:title}}", "t:1: unknown filter ''" },
	{ "{{>nope}}", "t:1: unknown partial 'nope'" },
	{ "{{>../etc}}", "t:1: bad partial name '../etc'" },
	{ "a\n\nb {{title", "t:3: unterminated tag" },
	{ "{{title}\n}}", "t:1: unterminated tag" },
	{ "{{title}", "t:1: unterminated tag" },
	{ "{{", "t:1: unterminated tag" },
	{ "x\n{{{title}}}", "t:2: triple mustache {{{...}}} is not supported; use {{raw:name}}" },
	{ "{{&title}}", "t:1: {{&...}} is not supported; use {{raw:name}}" },
	{ "{{=<% %>=}}", "t:1: changing delimiters is not supported" },
	{ "{{! never closed\n", "t:1: unterminated comment" },
	{ "{{! one\ntwo }}\n{{nope}}", "t:3: unknown name 'nope'" },
	{ "{{}}", "t:1: empty tag" },
	{ "{{  }}", "t:1: empty tag" },
	{ "{{#}}", "t:1: empty tag" },
	{ "{{attr:}}", "t:1: empty name in tag" },
	{ "{{ti tle}}", "t:1: bad character in name 'ti tle'" },
	{ "{{title$}}", "t:1: bad character in name 'title$'" },
	{ "{{title..name}}", "t:1: empty part in name 'title..name'" },
	{ "{{title.}}", "t:1: empty part in name 'title.'" },
	{ "{{.title}}", "t:1: empty part in name '.title'" },
	{ "{{#money:price}}{{/money:price}}", "t:1: a section takes a name, not a filter: {{#money:price}}" },
	{ "ok\n\xC3(", "t:2: invalid UTF-8" },
	{ "\xED\xA0\x80", "t:1: invalid UTF-8" },
	{ "\xC0\xAF", "t:1: invalid UTF-8" },
	{ "\xE2\x82", "t:1: invalid UTF-8" },
};

START_TEST(compile_error_table)
{
	enum err e = tmpl_compile_string(S, "t", compile_errors[_i].src, err, sizeof(err));

	ck_assert_int_eq(e, E_TEMPLATE);
	ck_assert_msg(!strcmp(err, compile_errors[_i].want), "'%s': got '%s', want '%s'",
		      compile_errors[_i].src, err, compile_errors[_i].want);
	ck_assert_int_eq(tmpl_exists(S, "t"), 0);
}
END_TEST

START_TEST(compile_error_small_errbuf)
{
	char small[8];

	ck_assert_int_eq(tmpl_compile_string(S, "template", "{{nope}}", small, sizeof(small)), E_TEMPLATE);
	ck_assert_str_eq(small, "templat");
	ck_assert_int_eq(tmpl_compile_string(S, "template", "{{nope}}", NULL, 0), E_TEMPLATE);
}
END_TEST

/* ---- tmpl_load_dir ---- */

static char tmpdir[64];

static void write_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void make_tmpdir(void)
{
	char sub[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_view.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(sub, sizeof(sub), "%s/partials", tmpdir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
}

static void rm_tree(const char *dir)
{
	char path[512];
	struct dirent *d;
	struct stat st;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (!lstat(path, &st) && S_ISDIR(st.st_mode))
			rm_tree(path);
		else
			unlink(path);
	}
	closedir(dp);
	rmdir(dir);
}

START_TEST(load_dir_renders_pages_with_partials)
{
	struct tmpl_set *set = NULL;
	json_t *m = json_loads("{\"pageTitle\":\"Shop\",\"currency\":\"EUR\","
			       "\"items\":[{\"name\":\"A\",\"price\":150},{\"name\":\"B&\",\"price\":99,\"currency\":\"USD\"}]}",
			       0, NULL);

	make_tmpdir();
	write_file("layout.html", "<title>{{pageTitle}}</title>\n{{raw:content}}\n");
	/* "a" sorts before the partial's directory and names a partial loaded
	 * later: partials resolve only once every file is in. */
	write_file("a.html", "<ul>{{#items}}{{>row}}{{/items}}</ul>");
	write_file("partials/row.html", "<li>{{name}} {{money:price}}</li>");
	write_file("notes.txt", "{{ignored");
	write_file("partials/README", "{{ignored");
	ck_assert_msg(tmpl_load_dir(tmpdir, vocab, &set, err, sizeof(err)) == E_OK, "%s", err);
	ck_assert_int_eq(tmpl_exists(set, "a"), 1);
	ck_assert_int_eq(tmpl_exists(set, "layout"), 1);
	ck_assert_int_eq(tmpl_exists(set, "partials/row"), 1);
	ck_assert_int_eq(tmpl_exists(set, "row"), 0);
	ck_assert_int_eq(tmpl_exists(set, "notes"), 0);
	ck_assert_int_eq(tmpl_render_page(set, "a", m, &B), E_OK);
	ck_assert_str_eq(B.p, "<title>Shop</title>\n<ul><li>A \xE2\x82\xAC" "1.50</li><li>B&amp; $0.99</li></ul>\n");
	tmpl_free(set);
	json_decref(m);
	rm_tree(tmpdir);
}
END_TEST

static const struct {
	const char *file, *text, *want;	/* want: message after "<dir>/" */
} dir_errors[] = {
	{ "page.html", "ok\n{{>missing}}", "page.html:2: unknown partial 'missing'" },
	{ "page.html", "{{#items}}\n\n{{/title}}", "page.html:3: {{/title}} does not match {{#items}} opened at line 1" },
	{ "partials/p.html", "\n{{titel}}", "partials/p.html:2: unknown name 'titel'" },
	{ "partials/a.html", "{{>b}}", "partials/b.html:1: partial 'a' is recursive: partials nested deeper than 8" },
	{ "page.html", "{{{content}}}", "page.html:1: triple mustache {{{...}}} is not supported; use {{raw:name}}" },
};

START_TEST(load_dir_errors)
{
	struct tmpl_set *set = (struct tmpl_set *)1;
	char want[512];

	make_tmpdir();
	write_file(dir_errors[_i].file, dir_errors[_i].text);
	if (!strcmp(dir_errors[_i].file, "partials/a.html"))
		write_file("partials/b.html", "{{>a}}");
	ck_assert_int_eq(tmpl_load_dir(tmpdir, vocab, &set, err, sizeof(err)), E_TEMPLATE);
	ck_assert_ptr_null(set);
	snprintf(want, sizeof(want), "%s/%s", tmpdir, dir_errors[_i].want);
	ck_assert_str_eq(err, want);
	tmpl_free(set);
	rm_tree(tmpdir);
}
END_TEST

START_TEST(load_dir_partial_chain_too_deep)
{
	struct tmpl_set *set = NULL;
	char name[256], text[64], want[512];
	int i;

	make_tmpdir();
	/* page -> q1 -> ... -> q9: the ninth level is one too many. */
	for (i = 1; i <= 9; i++) {
		snprintf(name, sizeof(name), "partials/q%d.html", i);
		if (i < 9)
			snprintf(text, sizeof(text), "%d{{>q%d}}", i, i + 1);
		else
			snprintf(text, sizeof(text), "%d", i);
		write_file(name, text);
	}
	write_file("page.html", "{{>q1}}");
	ck_assert_int_eq(tmpl_load_dir(tmpdir, vocab, &set, err, sizeof(err)), E_TEMPLATE);
	snprintf(want, sizeof(want), "%s/page.html:1: partials nested deeper than 8 at {{>q1}}", tmpdir);
	ck_assert_str_eq(err, want);
	/* Without the page, the chain of eight below q1 is fine. */
	snprintf(name, sizeof(name), "%s/page.html", tmpdir);
	unlink(name);
	ck_assert_msg(tmpl_load_dir(tmpdir, vocab, &set, err, sizeof(err)) == E_OK, "%s", err);
	ck_assert_int_eq(tmpl_render(set, "partials/q1", NULL, &B), E_OK);
	ck_assert_str_eq(B.p, "123456789");
	tmpl_free(set);
	rm_tree(tmpdir);
}
END_TEST

START_TEST(load_dir_missing)
{
	struct tmpl_set *set = NULL;

	ck_assert_int_eq(tmpl_load_dir("/nonexistent/templates", vocab, &set, err, sizeof(err)), E_IO);
	ck_assert_ptr_null(set);
	ck_assert_str_eq(err, "/nonexistent/templates: No such file or directory");
	/* A directory without partials/ is fine. */
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_view.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	write_file("x.html", "x");
	ck_assert_int_eq(tmpl_load_dir(tmpdir, vocab, &set, err, sizeof(err)), E_OK);
	tmpl_free(set);
	rm_tree(tmpdir);
}
END_TEST

/* ---- a real page ---- */

/* Copies of the shop's layout, product page and breadcrumb (as of this test's
 * writing) with the names they use, so this test stands alone: it needs
 * neither the rest of the program nor the templates directory. That the real
 * templates compile against the real vocabulary is checked by shopd at start. */
static const char *const shop_vocab[] = {
	"site", "nav", "css", "js", "pageTitle", "content", "notice", "canonical",
	"metaDescription", "breadcrumb", "product", "name", "url", "price", "currency",
	"brand", "sku", "skus", "stock", "stockStatus", "stockLabel", "rating", "ratingText",
	"reviewCount", "image", "title", "description", "attributeList", "value", "label",
	"reviews", "reviewer", "comment", "date", "stars", "ratingBars", "star", "count",
	"percent", "jsonld", NULL
};

static const char shop_layout[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>{{pageTitle}} · Shop</title>\n"
	"{{#metaDescription}}<meta name=\"description\" content=\"{{attr:.}}\">\n"
	"{{/metaDescription}}{{#canonical}}<link rel=\"canonical\" href=\"{{attr:.}}\">\n"
	"{{/canonical}}<link rel=\"stylesheet\" href=\"{{attr:site.css}}\">\n"
	"<link rel=\"icon\" href=\"/img/ph/S.svg\" type=\"image/svg+xml\">\n"
	"<script src=\"{{attr:site.js}}\" defer></script>\n"
	"</head>\n"
	"<body>\n"
	"<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
	"<header class=\"top\">\n"
	"<div class=\"wrap top-inner\">\n"
	"<a class=\"logo\" href=\"/\">Shop</a>\n"
	"</div>\n"
	"<nav class=\"catnav\" aria-label=\"Departments\">\n"
	"<ul class=\"wrap\">\n"
	"{{#site.nav}}<li><a href=\"{{attr:url}}\">{{name}}</a></li>\n"
	"{{/site.nav}}</ul>\n"
	"</nav>\n"
	"</header>\n"
	"{{#notice}}<div class=\"notice wrap\" role=\"status\">{{.}}</div>\n"
	"{{/notice}}<main id=\"main\" class=\"wrap\">\n"
	"{{raw:content}}\n"
	"</main>\n"
	"<footer class=\"foot\">\n"
	"<div class=\"wrap\">\n"
	"<p>Demo catalog from DummyJSON (MIT licence). Product photos are shown as placeholders offline.</p>\n"
	"<p><a href=\"/sitemap.xml\">Sitemap</a> · <a href=\"/api/categories\">API</a></p>\n"
	"</div>\n"
	"</footer>\n"
	"</body>\n"
	"</html>\n";

static const char shop_product[] =
	"{{>breadcrumb}}\n"
	"{{#product}}<article class=\"pdp\">\n"
	"<div class=\"gallery\">\n"
	"<img src=\"{{attr:image}}\" alt=\"{{attr:title}}\" width=\"360\" height=\"360\">\n"
	"</div>\n"
	"<div class=\"buybox\">\n"
	"<h1>{{title}}</h1>\n"
	"{{#brand}}<p class=\"brand\">Brand: {{.}}</p>\n"
	"{{/brand}}<p class=\"rating\"><span aria-hidden=\"true\">★</span> {{ratingText}} out of 5 · <a href=\"#reviews\">{{reviewCount}} reviews</a></p>\n"
	"<p class=\"price-lg\">{{money:price}}</p>\n"
	"<p class=\"stock stock-{{attr:stockStatus}}\">{{stockLabel}}</p>\n"
	"<table class=\"skus\">\n"
	"<caption>Options</caption>\n"
	"<thead><tr><th scope=\"col\">Option</th><th scope=\"col\">SKU</th><th scope=\"col\">Price</th><th scope=\"col\">Availability</th></tr></thead>\n"
	"<tbody>\n"
	"{{#skus}}<tr><td>{{label}}</td><td><code>{{sku}}</code></td><td>{{money:price}}</td><td>{{stock}} available</td></tr>\n"
	"{{/skus}}</tbody>\n"
	"</table>\n"
	"</div>\n"
	"</article>\n"
	"<section class=\"about\" aria-labelledby=\"about-h\">\n"
	"<h2 id=\"about-h\">About this item</h2>\n"
	"<p>{{description}}</p>\n"
	"</section>\n"
	"{{#attributeList.0}}<section aria-labelledby=\"details-h\">\n"
	"<h2 id=\"details-h\">Details</h2>\n"
	"<table class=\"attrs\">\n"
	"<tbody>\n"
	"{{#attributeList}}<tr><th scope=\"row\">{{name}}</th><td>{{value}}</td></tr>\n"
	"{{/attributeList}}</tbody>\n"
	"</table>\n"
	"</section>\n"
	"{{/attributeList.0}}{{/product}}<section id=\"reviews\" class=\"reviews\" aria-labelledby=\"reviews-h\">\n"
	"<h2 id=\"reviews-h\">Customer reviews</h2>\n"
	"{{#ratingBars.0}}<table class=\"bars\">\n"
	"<caption class=\"visually-hidden\">Ratings by number of stars</caption>\n"
	"<tbody>\n"
	"{{#ratingBars}}<tr><th scope=\"row\">{{star}} star</th><td><progress max=\"100\" value=\"{{attr:percent}}\">{{percent}}%</progress></td><td>{{count}}</td></tr>\n"
	"{{/ratingBars}}</tbody>\n"
	"</table>\n"
	"{{/ratingBars.0}}{{#reviews}}<article class=\"review\">\n"
	"<p class=\"stars\" aria-label=\"{{attr:rating}} out of 5 stars\">{{stars}}</p>\n"
	"<p>{{comment}}</p>\n"
	"<p class=\"muted\">{{reviewer}} · <time datetime=\"{{attr:date}}\">{{date}}</time></p>\n"
	"</article>\n"
	"{{/reviews}}{{^reviews}}<p>No reviews yet.</p>\n"
	"{{/reviews}}</section>\n"
	"<script type=\"application/ld+json\">{{json:jsonld}}</script>\n";

static const char shop_breadcrumb[] =
	"<nav class=\"crumbs\" aria-label=\"Breadcrumb\">\n"
	"<ol>\n"
	"<li><a href=\"/\">Home</a></li>\n"
	"{{#breadcrumb}}<li><a href=\"{{attr:url}}\">{{name}}</a></li>\n"
	"{{/breadcrumb}}<li aria-current=\"page\">{{pageTitle}}</li>\n"
	"</ol>\n"
	"</nav>\n";

/* A product page shaped like catalog's model. */
static const char product_model[] =
	"{\"pageTitle\":\"Essence Mascara Lash Princess\",\"metaDescription\":\"Buy it <now>\","
	"\"canonical\":\"http://127.0.0.1/p/essence\","
	"\"site\":{\"css\":\"/static/app.0123456789ab.css\",\"js\":\"/static/app.0123456789ab.js\","
	"\"nav\":[{\"name\":\"Beauty\",\"url\":\"/c/beauty\"},{\"name\":\"Fragrances\",\"url\":\"/c/fragrances\"},"
	"{\"name\":\"Furniture\",\"url\":\"/c/furniture\"},{\"name\":\"Groceries\",\"url\":\"/c/groceries\"},"
	"{\"name\":\"Home & Kitchen\",\"url\":\"/c/home-kitchen\"},{\"name\":\"Laptops\",\"url\":\"/c/laptops\"}]},"
	"\"breadcrumb\":[{\"name\":\"Beauty\",\"url\":\"/c/beauty\"},{\"name\":\"Makeup\",\"url\":\"/c/makeup\"}],"
	"\"product\":{\"id\":1,\"title\":\"Essence Mascara \\\"Lash\\\" Princess\",\"price\":999,\"currency\":\"USD\","
	"\"brand\":\"Essence\",\"image\":\"/img/ph/EM.svg\",\"ratingText\":\"4.9\",\"reviewCount\":3,"
	"\"stockStatus\":\"in\",\"stockLabel\":\"In stock\","
	"\"description\":\"The Essence Mascara Lash Princess is a popular mascara known for its volumizing and lengthening effects. Achieve dramatic lashes with this long-lasting and cruelty-free formula.\","
	"\"skus\":[{\"label\":\"Black\",\"sku\":\"ESS-1-BLK\",\"price\":999,\"stock\":40},"
	"{\"label\":\"Brown\",\"sku\":\"ESS-1-BRN\",\"price\":1099,\"stock\":0},"
	"{\"label\":\"Blue <limited>\",\"sku\":\"ESS-1-BLU\",\"price\":1199,\"stock\":3}],"
	"\"attributeList\":[{\"name\":\"Weight\",\"value\":\"2 g\"},{\"name\":\"Dimensions\",\"value\":\"15 x 24 x 28 cm\"},"
	"{\"name\":\"Warranty\",\"value\":\"1 month\"},{\"name\":\"Return policy\",\"value\":\"30 days\"}]},"
	"\"ratingBars\":[{\"star\":5,\"percent\":67,\"count\":2},{\"star\":4,\"percent\":33,\"count\":1},"
	"{\"star\":3,\"percent\":0,\"count\":0},{\"star\":2,\"percent\":0,\"count\":0},{\"star\":1,\"percent\":0,\"count\":0}],"
	"\"reviews\":[{\"rating\":5,\"stars\":\"\xE2\x98\x85\xE2\x98\x85\xE2\x98\x85\xE2\x98\x85\xE2\x98\x85\",\"comment\":\"Would buy again!\",\"reviewer\":\"Eleanor Collins\",\"date\":\"2024-05-23\"},"
	"{\"rating\":4,\"stars\":\"\xE2\x98\x85\xE2\x98\x85\xE2\x98\x85\xE2\x98\x85\",\"comment\":\"<script>alert('x')</script>\",\"reviewer\":\"Lucas Gordon\",\"date\":\"2024-05-23\"},"
	"{\"rating\":5,\"stars\":\"\xE2\x98\x85\xE2\x98\x85\xE2\x98\x85\xE2\x98\x85\xE2\x98\x85\",\"comment\":\"Very satisfied!\",\"reviewer\":\"Eleanor Collins\",\"date\":\"2024-05-23\"}],"
	"\"jsonld\":{\"@context\":\"https://schema.org\",\"@type\":\"Product\",\"name\":\"Essence </script><script>alert(1)</script>\","
	"\"offers\":{\"@type\":\"Offer\",\"price\":\"9.99\",\"priceCurrency\":\"USD\"}}}";

START_TEST(product_page_renders_the_same_every_time)
{
	struct tmpl_set *set = NULL;
	json_t *m = json_loads(product_model, 0, NULL);
	char *first;
	int i, n = 200;

	ck_assert_ptr_nonnull(m);
	make_tmpdir();
	write_file("layout.html", shop_layout);
	write_file("product.html", shop_product);
	write_file("partials/breadcrumb.html", shop_breadcrumb);
	ck_assert_msg(tmpl_load_dir(tmpdir, shop_vocab, &set, err, sizeof(err)) == E_OK, "%s", err);
	rm_tree(tmpdir);
	ck_assert_int_eq(tmpl_render_page(set, "product", m, &B), E_OK);
	ck_assert_ptr_nonnull(strstr(B.p, "<p class=\"price-lg\">$9.99</p>"));
	ck_assert_ptr_nonnull(strstr(B.p, "<h1>Essence Mascara &quot;Lash&quot; Princess</h1>"));
	ck_assert_ptr_nonnull(strstr(B.p, "<td>Blue &lt;limited&gt;</td><td><code>ESS-1-BLU</code></td><td>$11.99</td>"));
	ck_assert_ptr_nonnull(strstr(B.p, "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>"));
	ck_assert_ptr_nonnull(strstr(B.p, "content=\"Buy it &lt;now&gt;\""));
	ck_assert_ptr_nonnull(strstr(B.p, "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"));
	ck_assert_ptr_null(strstr(B.p, "<script>alert"));
	ck_assert_ptr_nonnull(strstr(B.p, "<main id=\"main\" class=\"wrap\">\n<nav class=\"crumbs\""));
	ck_assert_ptr_null(json_object_get(m, "content"));

	/* Rendering again (as a worker does, page after page, into a reused
	 * buffer) gives the very same page: nothing carried over from one
	 * render to the next. How fast is for `make bench`. */
	first = strndup(B.p, B.len);
	ck_assert_ptr_nonnull(first);
	for (i = 0; i < n; i++) {
		buf_reset(&B);
		ck_assert_int_eq(tmpl_render_page(set, "product", m, &B), E_OK);
		ck_assert_uint_eq(B.len, strlen(first));
		ck_assert_msg(!memcmp(B.p, first, B.len), "render %d differs from the first", i);
	}
	free(first);
	tmpl_free(set);
	json_decref(m);
}
END_TEST

/* ---- each page against the names its own model sets ---- */

static const char *const pg_layout[] = { "pageTitle", "content", "user", "name", NULL };
static const char *const pg_product[] = { "product", "title", "price", "breadcrumb", "url", NULL };
static const char *const pg_cart[] = { "items", "quantity", NULL };

/* A templates directory: layout, two pages, a partial the product page
 * includes. The cart page prints "extra" when extra is given. */
static void write_pages(const char *product_extra, const char *cart_extra, const char *crumb_extra)
{
	char text[512];

	make_tmpdir();
	write_file("layout.html", "<title>{{pageTitle}}</title>{{#user}}{{name}}{{/user}}\n{{raw:content}}\n");
	snprintf(text, sizeof(text), "{{>crumbs}}\n<h1>{{product.title}}</h1>\n%s{{money:product.price}}\n",
		 product_extra ? product_extra : "");
	write_file("product.html", text);
	snprintf(text, sizeof(text), "{{#items}}{{quantity}}{{/items}}\n%s\n", cart_extra ? cart_extra : "");
	write_file("cart.html", text);
	snprintf(text, sizeof(text), "<nav>\n{{#breadcrumb}}<a href=\"{{attr:url}}\">x</a>{{/breadcrumb}}\n%s</nav>\n",
		 crumb_extra ? crumb_extra : "");
	write_file("partials/crumbs.html", text);
}

static enum err load_pages(struct tmpl_set **set, size_t npages)
{
	static const struct tmpl_page pages[] = {
		{ "layout", pg_layout }, { "product", pg_product }, { "cart", pg_cart },
	};

	return tmpl_load_pages(tmpdir, pages, npages, set, err, sizeof(err));
}

START_TEST(pages_checked_against_their_own_names)
{
	struct tmpl_set *set = NULL;

	/* Each page prints only its own model's names and the layout's. */
	write_pages(NULL, "{{pageTitle}} {{#user}}{{name}}{{/user}}", NULL);
	ck_assert_msg(load_pages(&set, 3) == E_OK, "%s", err);
	tmpl_free(set);
	rm_tree(tmpdir);

	/* "title" is the product page's, not the cart's: the cart page fails,
	 * at the line that prints it, though another page's model has it. */
	write_pages(NULL, "\n{{title}}", NULL);
	ck_assert_int_eq(load_pages(&set, 3), E_TEMPLATE);
	ck_assert_ptr_null(set);
	ck_assert_ptr_nonnull(strstr(err, "/cart.html:3: 'title' is not a name the model of page 'cart' sets"));
	rm_tree(tmpdir);

	/* A dotted name: each part is checked. */
	write_pages("{{product.quantity}}", NULL, NULL);
	ck_assert_int_eq(load_pages(&set, 3), E_TEMPLATE);
	ck_assert_ptr_nonnull(strstr(err, "/product.html:3: 'quantity' is not a name the model of page 'product' sets"));
	rm_tree(tmpdir);
}
END_TEST

START_TEST(partial_names_count_for_the_pages_that_include_it)
{
	struct tmpl_set *set = NULL;

	/* The partial prints "breadcrumb" and "url", which the product page's
	 * model sets: fine there. Printing "items" (the cart's) is not. */
	write_pages(NULL, NULL, "{{#items}}x{{/items}}");
	ck_assert_int_eq(load_pages(&set, 3), E_TEMPLATE);
	ck_assert_ptr_nonnull(strstr(err, "/partials/crumbs.html:3: 'items' is not a name the model of page 'product' "
				       "(which includes crumbs) sets"));
	rm_tree(tmpdir);

	/* The cart page including it: the partial's names must then be the
	 * cart's too. */
	write_pages(NULL, "{{>crumbs}}", NULL);
	ck_assert_int_eq(load_pages(&set, 3), E_TEMPLATE);
	ck_assert_ptr_nonnull(strstr(err, "'breadcrumb' is not a name the model of page 'cart' (which includes crumbs) sets"));
	rm_tree(tmpdir);

	/* A partial no page includes is refused (nothing would check it). */
	write_pages(NULL, NULL, NULL);
	write_file("partials/orphan.html", "{{anything}}");
	ck_assert_int_eq(load_pages(&set, 3), E_TEMPLATE);
	ck_assert_ptr_nonnull(strstr(err, "/partials/orphan.html:1: partial 'orphan' is included by no page"));
	rm_tree(tmpdir);
}
END_TEST

START_TEST(layout_names_allowed_everywhere_and_every_page_claimed)
{
	struct tmpl_set *set = NULL;

	/* pageTitle, user and name are the layout's: any page may print them. */
	write_pages("{{pageTitle}}", "{{#user}}{{name}}{{/user}}", "{{pageTitle}}");
	ck_assert_msg(load_pages(&set, 3) == E_OK, "%s", err);
	tmpl_free(set);
	rm_tree(tmpdir);

	/* The layout itself is held to its own names. */
	write_pages(NULL, NULL, NULL);
	write_file("layout.html", "{{raw:content}}\n{{cartCount}}");
	ck_assert_int_eq(load_pages(&set, 3), E_TEMPLATE);
	ck_assert_ptr_nonnull(strstr(err, "/layout.html:2: 'cartCount' is not a name the model of page 'layout' sets"));
	rm_tree(tmpdir);

	/* A template no module claims fails; so does a page without its file. */
	write_pages(NULL, NULL, NULL);
	ck_assert_int_eq(load_pages(&set, 2), E_TEMPLATE);
	ck_assert_ptr_nonnull(strstr(err, "/cart.html:1: no module declares the page 'cart'"));
	{
		static const struct tmpl_page extra[] = {
			{ "layout", pg_layout }, { "product", pg_product }, { "cart", pg_cart }, { "gone", pg_cart },
		};

		ck_assert_int_eq(tmpl_load_pages(tmpdir, extra, 4, &set, err, sizeof(err)), E_TEMPLATE);
		ck_assert_str_eq(err, "gone.html: no such template, yet a module declares the page");
	}
	rm_tree(tmpdir);
}
END_TEST

START_TEST(model_keys_checked_against_the_declaration)
{
	struct tmpl_set *set = NULL;
	const char *key = NULL;
	json_t *ok = json_pack("{s:{s:s, s:i}, s:[{s:s}], s:s, s:{s:s}, s:o}", "product", "title", "T", "price", 5,
			       "breadcrumb", "url", "/", "pageTitle", "P", "user", "name", "N",
			       "content", view_safe_html("<p>"));
	json_t *bad = json_pack("{s:{s:s, s:[{s:s}]}}", "product", "title", "T", "skus", "code", "X");

	write_pages(NULL, NULL, NULL);
	ck_assert_msg(load_pages(&set, 3) == E_OK, "%s", err);
	rm_tree(tmpdir);
	ck_assert_int_eq(tmpl_model_undeclared(set, "product", ok, &key), 0);
	ck_assert_ptr_null(key);
	/* Nested keys count, inside objects and the objects of arrays. */
	ck_assert_int_eq(tmpl_model_undeclared(set, "product", bad, &key), 1);
	ck_assert_str_eq(key, "skus");
	json_object_del(json_object_get(bad, "product"), "skus");
	json_object_set_new(json_object_get(bad, "product"), "title", json_pack("[{s:i}]", "code", 1));
	ck_assert_int_eq(tmpl_model_undeclared(set, "product", bad, &key), 1);
	ck_assert_str_eq(key, "code");
	/* Another page's names do not count; an undeclared page is not checked. */
	ck_assert_int_eq(tmpl_model_undeclared(set, "cart", ok, &key), 1);
	ck_assert_str_eq(key, "product");
	ck_assert_int_eq(tmpl_model_undeclared(set, "nosuch", bad, &key), 0);
	tmpl_free(set);
	json_decref(ok);
	json_decref(bad);
}
END_TEST

/* "key.*": the keys inside key's value are data (attribute names, form
 * fields), never checked; key itself may be printed, and so may the names
 * inside it that are declared. */
START_TEST(data_keyed_objects)
{
	static const char *const names[] = { "attrs.*", "title", NULL };
	static const struct tmpl_page pages[] = { { "p", names } };
	struct tmpl_set *set = NULL;
	const char *key = NULL;
	json_t *m = json_pack("{s:{s:s, s:{s:s}}, s:s}", "attrs", "Warranty", "1 year", "v0.price", "x", "y",
			      "title", "T");

	make_tmpdir();
	write_file("p.html", "{{#attrs}}{{title}}{{/attrs}}{{attrs.title}}");
	ck_assert_msg(tmpl_load_pages(tmpdir, pages, 1, &set, err, sizeof(err)) == E_OK, "%s", err);
	ck_assert_int_eq(tmpl_model_undeclared(set, "p", m, &key), 0);
	json_object_set_new(m, "Warranty", json_string("top level: a name"));
	ck_assert_int_eq(tmpl_model_undeclared(set, "p", m, &key), 1);
	ck_assert_str_eq(key, "Warranty");
	tmpl_free(set);
	/* The data keys are not names a template may print. */
	write_file("p.html", "{{attrs.Warranty}}");
	ck_assert_int_eq(tmpl_load_pages(tmpdir, pages, 1, &set, err, sizeof(err)), E_TEMPLATE);
	ck_assert_ptr_nonnull(strstr(err, "'Warranty' is not a name the model of page 'p' sets"));
	rm_tree(tmpdir);
	json_decref(m);
}
END_TEST

/* The shop's own templates, each against the names its module declares for
 * it (what shopd checks at start), and every route of the modules' table. */
START_TEST(shop_templates_pass_the_per_page_check)
{
	struct tmpl_set *set = NULL;
	const struct tmpl_page *pages;
	size_t n;

	pages = modules_pages(&n);
	ck_assert_uint_gt(n, 20);
	ck_assert_msg(tmpl_load_pages("templates", pages, n, &set, err, sizeof(err)) == E_OK, "%s", err);
	tmpl_free(set);
	routes_build();
	ck_assert_uint_gt(nroutes, 100);
	ck_assert_str_eq(routes[0].pattern, "/");
	ck_assert_str_eq(routes[nroutes - 1].pattern, "/healthz");
}
END_TEST

START_TEST(route_patterns_overlap)
{
	ck_assert_int_eq(routes_overlap("/api/items/{id}", "/api/items/new"), 1);
	ck_assert_int_eq(routes_overlap("/a/{x}/b", "/a/{y}/b"), 1);
	ck_assert_int_eq(routes_overlap("/a/{x}/b", "/a/{y}/c"), 0);
	ck_assert_int_eq(routes_overlap("/seller", "/seller/"), 0);
	ck_assert_int_eq(routes_overlap("/seller/{id}", "/seller/"), 0);
	ck_assert_int_eq(routes_overlap("/a/{x}", "/a/{x}/b"), 0);
	ck_assert_int_eq(routes_overlap("/", "/"), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("view");
	TCase *esc = tcase_create("escape"), *tc = tcase_create("tmpl");
	SRunner *sr;
	int failed;

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))
	tcase_add_loop_test(esc, esc_html_table, 0, N(html_cases));
	tcase_add_loop_test(esc, esc_attr_table, 0, N(attr_cases));
	tcase_add_loop_test(esc, esc_url_table, 0, N(url_cases));
	tcase_add_loop_test(esc, esc_json_str_table, 0, N(json_cases));
	tcase_add_loop_test(esc, esc_money_table, 0, N(money_cases));
	tcase_add_test(esc, safe_html_shape);
	suite_add_tcase(s, esc);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, render_table, 0, N(render_cases));
	tcase_add_test(tc, render_raw_and_errors);
	tcase_add_test(tc, render_into_arena);
	tcase_add_test(tc, partials_and_depth);
	tcase_add_test(tc, render_page_layout);
	tcase_add_test(tc, render_page_without_layout);
	tcase_add_loop_test(tc, compile_error_table, 0, N(compile_errors));
	tcase_add_test(tc, compile_error_small_errbuf);
	tcase_add_test(tc, load_dir_renders_pages_with_partials);
	tcase_add_loop_test(tc, load_dir_errors, 0, N(dir_errors));
	tcase_add_test(tc, load_dir_partial_chain_too_deep);
	tcase_add_test(tc, load_dir_missing);
	tcase_add_test(tc, product_page_renders_the_same_every_time);
	tcase_add_test(tc, pages_checked_against_their_own_names);
	tcase_add_test(tc, partial_names_count_for_the_pages_that_include_it);
	tcase_add_test(tc, layout_names_allowed_everywhere_and_every_page_claimed);
	tcase_add_test(tc, model_keys_checked_against_the_declaration);
	tcase_add_test(tc, data_keyed_objects);
	tcase_add_test(tc, shop_templates_pass_the_per_page_check);
	tcase_add_test(tc, route_patterns_overlap);
	suite_add_tcase(s, tc);
#undef N

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
