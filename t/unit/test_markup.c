/* Unit tests: the content pages' markup (app/console/markup.h): what each
 * rule makes, and hostile input, which must come out as text: no tag the
 * rules do not make, no attribute, no script link. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../../app/core/buf.h"
#include "../../app/console/markup.h"

static char *render(const char *in)
{
	struct buf b;
	char *s;

	buf_init(&b, NULL, 64);
	markup_render(&b, in, strlen(in));
	buf_putc(&b, '\0');
	s = strdup(b.p);
	buf_free(&b);
	return s;
}

struct mcase {
	const char *in, *want;
};

static const struct mcase cases[] = {
	{ "Hello", "<p>Hello</p>\n" },
	{ "one\ntwo\n\nthree", "<p>one two</p>\n<p>three</p>\n" },
	{ "## Title\ntext", "<h2>Title</h2>\n<p>text</p>\n" },
	{ "# Top", "<h2>Top</h2>\n" },
	{ "### Small", "<h3>Small</h3>\n" },
	{ "#hashtag", "<p>#hashtag</p>\n" },
	{ "* a\n* b\n- c", "<ul>\n<li>a</li>\n<li>b</li>\n<li>c</li>\n</ul>\n" },
	{ "1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>\n" },
	{ "intro\n* a", "<p>intro</p>\n<ul>\n<li>a</li>\n</ul>\n" },
	{ "**bold** and *it* and _it_", "<p><strong>bold</strong> and <em>it</em> and <em>it</em></p>\n" },
	{ "snake_case_name", "<p>snake_case_name</p>\n" },
	{ "2 * 3 * 4", "<p>2 * 3 * 4</p>\n" },
	{ "[Shipping](/shipping)", "<p><a href=\"/shipping\">Shipping</a></p>\n" },
	{ "[mail](mailto:a@b.example) [web](https://x.example/?a=1&b=2)",
	  "<p><a href=\"mailto:a@b.example\">mail</a> <a href=\"https://x.example/?a=1&amp;b=2\">web</a></p>\n" },
	{ "[**b**](/x)", "<p><a href=\"/x\"><strong>b</strong></a></p>\n" },
	{ "a\r\nb\r\n\r\nc", "<p>a b</p>\n<p>c</p>\n" },
	{ "", "" },
	{ "\n\n\n", "" },
	/* hostile: everything is text */
	{ "<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n" },
	{ "<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n" },
	{ "[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n" },
	{ "[x](JaVaScRiPt:alert(1))", "<p>[x](JaVaScRiPt:alert(1))</p>\n" },
	{ "[x](data:text/html,<b>)", "<p>[x](data:text/html,&lt;b&gt;)</p>\n" },
	{ "[x](//evil.example)", "<p>[x](//evil.example)</p>\n" },
	{ "[x](/a\"onmouseover=\"alert(1))", "<p>[x](/a&quot;onmouseover=&quot;alert(1))</p>\n" },
	{ "[x](/a' onclick='b)", "<p>[x](/a&#39; onclick=&#39;b)</p>\n" },
	{ "[x](/a\tb)", "<p>[x](/a b)</p>\n" },
	{ "## <b>h</b>", "<h2>&lt;b&gt;h&lt;/b&gt;</h2>\n" },
	{ "* <i>x</i>", "<ul>\n<li>&lt;i&gt;x&lt;/i&gt;</li>\n</ul>\n" },
	{ "**<u>x</u>**", "<p><strong>&lt;u&gt;x&lt;/u&gt;</strong></p>\n" },
	{ "&amp; &lt;", "<p>&amp;amp; &amp;lt;</p>\n" },
	{ "a\x01\x1b[31mb\x7f", "<p>a[31mb</p>\n" },
	{ "[[x](/a)](/b)", "<p>[<a href=\"/a\">x</a>](/b)</p>\n" },
	{ "[a [b](/c)", "<p>[a <a href=\"/c\">b</a></p>\n" },
	{ "**unclosed", "<p>**unclosed</p>\n" },
	{ "[unclosed](/x", "<p>[unclosed](/x</p>\n" },
};

START_TEST(markup_table)
{
	char *got = render(cases[_i].in);

	ck_assert_msg(!strcmp(got, cases[_i].want), "case %d: %s\n  got  %s\n  want %s", _i, cases[_i].in, got,
		      cases[_i].want);
	free(got);
}
END_TEST

/* Whatever the input, the only '<' in the output begin the tags the rules
 * make, and no '"' is outside an href's quotes: random bytes from the
 * characters markup and HTML care about. */
START_TEST(markup_random_safe)
{
	static const char alphabet[] = "<>\"'&*_[]()#-1. /:\n\tjavascript:ahrefonload=x";
	static const char *const tags[] = { "<p>", "</p>", "<h2>", "</h2>", "<h3>", "</h3>", "<ul>", "</ul>",
		"<ol>", "</ol>", "<li>", "</li>", "<strong>", "</strong>", "<em>", "</em>", "<a href=\"", "</a>",
		NULL };
	char in[200];
	unsigned seed = 19;

	for (int round = 0; round < 5000; round++) {
		size_t n = (size_t)(rand_r(&seed) % (sizeof(in) - 1));
		char *out, *p;

		for (size_t i = 0; i < n; i++)
			in[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		in[n] = '\0';
		out = render(in);
		for (p = out; (p = strchr(p, '<')); p++) {
			int ok = 0;

			for (int t = 0; tags[t] && !ok; t++)
				ok = !strncmp(p, tags[t], strlen(tags[t]));
			ck_assert_msg(ok, "input %s gave a stray tag: %s", in, p);
			if (!strncmp(p, "<a href=\"", 9)) {
				char *q = strchr(p + 9, '"');

				ck_assert_msg(q && q[1] == '>', "input %s: href not closed: %s", in, p);
				ck_assert_msg(!strncasecmp(p + 9, "/", 1) || !strncasecmp(p + 9, "#", 1) ||
					      !strncasecmp(p + 9, "http", 4) || !strncasecmp(p + 9, "mailto:", 7) ||
					      !strncasecmp(p + 9, "tel:", 4), "input %s: link %s", in, p);
				ck_assert_msg(strncmp(p + 9, "//", 2), "input %s: protocol-relative %s", in, p);
			}
		}
		free(out);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("markup");
	TCase *t = tcase_create("markup");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(t, markup_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(t, markup_random_safe);
	suite_add_tcase(s, t);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
